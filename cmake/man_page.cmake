# cmake/man_page.cmake - writes a program's man page and its gzip -9n copy (cmake -P).
# -DPROGRAM=path of sipas-collect or sipas-analyze, -DOUTPUT=path of the .1 file.
# The page comes from the program itself ("PROGRAM --man", cli/manual.c): its option tables and
# the project version, so what is installed cannot differ from what --help says.
get_filename_component(dir ${OUTPUT} DIRECTORY)
file(MAKE_DIRECTORY ${dir})
execute_process(COMMAND ${PROGRAM} --man OUTPUT_FILE ${OUTPUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.tmp)
  message(FATAL_ERROR "${PROGRAM} --man failed (${rc})")
endif()
file(RENAME ${OUTPUT}.tmp ${OUTPUT})
execute_process(COMMAND gzip -9n -c ${OUTPUT} OUTPUT_FILE ${OUTPUT}.gz.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUTPUT}.gz.tmp)
  message(FATAL_ERROR "gzip of ${OUTPUT} failed (${rc})")
endif()
file(RENAME ${OUTPUT}.gz.tmp ${OUTPUT}.gz)
