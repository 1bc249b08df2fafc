# cmake/package.cmake - the Debian package (CPack DEB): scripts/package builds it,
# `cpack -G DEB` in a configured build folder too. Included from CMakeLists.txt after the
# install rules. What Debian policy and lintian ask of a binary package: Depends from the shared
# libraries the programs link (dpkg-shlibdeps) plus gnuplot for the charts, stripped binaries,
# compressed man pages (CMakeLists.txt), /usr/share/doc/sipas/copyright and changelog.gz.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sipas)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # sipas_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "sipas maintainers <maintainers@users.noreply.r-seed-2dc18e93.example>")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# gnuplot draws the report's charts (sipas-analyze plot, report); -nox is enough on a server.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gnuplot-nox | gnuplot")
# chromium prints `report --pdf` (sipas/report_pdf.h): Recommends, not Depends, because only that
# option needs it and it is large; apt installs recommended packages by default, so a desktop
# install prints PDF out of the box, and a --no-install-recommends server gets a message naming
# the package (exit code 1) instead of a browser it may not want.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core, chromium")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The control file's synopsis line, then the extended description (CPack indents it and turns
# the lone "." into dpkg's paragraph break).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "satisfaction surveys of public services (SIPAS index)")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "sipas is a toolkit for citizen and business satisfaction surveys of public
services, in the spirit of Vietnam's SIPAS index. sipas-collect validates
survey batches (CSV, Excel, OpenDocument, SPSS, Stata, SAS, KoboToolbox
exports) against an instrument and stores them in one SQLite file;
sipas-analyze computes weighted satisfaction indices with design-based
standard errors that agree with R's survey package, year-on-year change,
trends against targets, rankings, sample plans and an annual review report
(HTML, CSV, Excel).
.
The shipped instruments and a synthetic sample survey are in
/usr/share/sipas.")

# The package's copyright file and changelog, in the doc folder of every install. The package is
# native (made by upstream, no Debian revision), so its changelog is changelog.gz.
set(SIPAS_DEBIAN_CHANGELOG ${CMAKE_CURRENT_BINARY_DIR}/debian/changelog)
string(TIMESTAMP SIPAS_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in ${SIPAS_DEBIAN_CHANGELOG} @ONLY)
add_custom_command(OUTPUT ${SIPAS_DEBIAN_CHANGELOG}.gz
  COMMAND gzip -9n -f -k ${SIPAS_DEBIAN_CHANGELOG}
  DEPENDS ${SIPAS_DEBIAN_CHANGELOG} VERBATIM)
add_custom_target(debian-changelog ALL DEPENDS ${SIPAS_DEBIAN_CHANGELOG}.gz)
install(FILES ${SIPAS_DEBIAN_CHANGELOG}.gz ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
include(CPack)
