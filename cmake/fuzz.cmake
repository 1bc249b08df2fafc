# cmake/fuzz.cmake - fuzz targets for the parsers (tests/fuzz/fuzz_*.c) and their replay tests.
#
# Included from CMakeLists.txt (anywhere: the work is deferred to the end of the top directory,
# when the library target exists). Two modes:
#   -DSIPAS_FUZZ=ON (clang only)  each target is a libFuzzer binary built with
#       -fsanitize=fuzzer,address,undefined; the library gets coverage and the sanitizers too.
#       Run one: build/fuzz_csv_import -max_total_time=60 tests/fuzz/corpus/csv_import
#       (scripts/fuzz runs them all).
#   default (any compiler)        each target is linked with tests/fuzz/driver.c, a main() that
#       replays files; so every build runs the seed corpus and the kept crash inputs.
# Either way ctest runs fuzz_replay_NAME over tests/fuzz/corpus/NAME and
# tests/fuzz/regressions/NAME (each input once).
include_guard(GLOBAL)

option(SIPAS_FUZZ "Build the libFuzzer targets (needs clang)" OFF)

function(sipas_fuzz_setup)
  if(NOT SIPAS_FUZZ AND DEFINED SIPAS_BUILD_TESTS AND NOT SIPAS_BUILD_TESTS)
    return() # a build without tests (the package) has no replay tests either
  endif()
  set(dir ${CMAKE_SOURCE_DIR}/tests/fuzz)
  file(GLOB fuzz_sources CONFIGURE_DEPENDS ${dir}/fuzz_*.c)
  set(sanitize -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  if(SIPAS_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR "SIPAS_FUZZ needs clang (libFuzzer): configure with CC=clang")
    endif()
    target_compile_options(sipas PRIVATE -fsanitize=fuzzer-no-link ${sanitize})
    # whatever links the instrumented library needs the sanitizer runtimes
    target_link_options(sipas INTERFACE -fsanitize=address,undefined)
  endif()
  foreach(src ${fuzz_sources})
    get_filename_component(target ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" name ${target})
    if(SIPAS_FUZZ)
      add_executable(${target} ${src})
      target_compile_options(${target} PRIVATE -fsanitize=fuzzer ${sanitize})
      target_link_options(${target} PRIVATE -fsanitize=fuzzer ${sanitize})
      set(replay_flags -runs=0)
    else()
      add_executable(${target} ${src} ${dir}/driver.c)
      set(replay_flags)
    endif()
    target_compile_definitions(${target} PRIVATE _POSIX_C_SOURCE=200809L
      SIPAS_FUZZ_FIXTURES="${CMAKE_SOURCE_DIR}/tests/fixtures")
    target_link_libraries(${target} PRIVATE sipas)
    # like the unit tests, a target may check the library's private headers (src/*.h)
    target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/src)
    set(inputs)
    foreach(kind corpus regressions)
      file(GLOB present ${dir}/${kind}/${name}/*)
      if(present)
        list(APPEND inputs ${dir}/${kind}/${name})
      endif()
    endforeach()
    if(inputs)
      add_test(NAME fuzz_replay_${name} COMMAND ${target} ${replay_flags} ${inputs})
    endif()
  endforeach()
endfunction()

cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL sipas_fuzz_setup)
