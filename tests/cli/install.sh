#!/usr/bin/env bash
# cmake --install into a scratch prefix, then the installed programs from an empty folder: they
# find the installed instruments and sample (PREFIX/share/sipas) by themselves; ./surveys, then
# SIPAS_SURVEYS and --surveys win over them; the man pages and the docs are installed.
. "$(dirname "$0")/lib.bash"
unset SIPAS_SURVEYS # lib.bash points it at the source tree; an installed program must not need it
prefix="$WORK/prefix"
run cmake --install "$SIPAS_BUILD" --prefix "$prefix"
expect_rc 0 "cmake --install"
for f in bin/sipas-collect bin/sipas-analyze share/man/man1/sipas-collect.1.gz \
         share/man/man1/sipas-analyze.1.gz share/sipas/sipas2017/survey.csv share/sipas/targets.csv \
         share/sipas/sample/sipas2017_2019-2024.csv share/doc/sipas/usage.md share/doc/sipas/copyright; do
  checks=$((checks + 1))
  [ -e "$prefix/$f" ] || fail "cmake --install did not install $f"
done
mkdir "$WORK/empty" && cd "$WORK/empty" || exit 1
run "$prefix/bin/sipas-collect" --version
expect_out "sipas-collect $("$SIPAS_BUILD/sipas-collect" --version | awk '{print $2}')" "--version of the installed program"
run "$prefix/bin/sipas-collect" import --form sipas2017 "$prefix/share/sipas/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import of the installed sample, instruments from the installed share/sipas"
expect_out "13200 rows stored" "import of the installed sample"
run "$prefix/bin/sipas-analyze" index --form sipas2017 --wave 2024 --level-of overall --format csv
expect_rc 0 "index with the installed instruments"
expect_out "overall" "index with the installed instruments"
run "$prefix/bin/sipas-collect" instrument nosuch
expect_rc 1 "an unknown form"
expect_err "in '$(realpath "$prefix")/share/sipas'" "the message names the installed folder, resolved"
mkdir surveys # ./surveys wins when it exists, even empty
run "$prefix/bin/sipas-collect" instrument sipas2017
expect_rc 1 "./surveys wins over the installed instruments"
expect_err "in 'surveys'" "./surveys wins over the installed instruments"
SIPAS_SURVEYS="$SIPAS_SOURCE/surveys" run "$prefix/bin/sipas-collect" instrument sipas2017
expect_rc 0 "SIPAS_SURVEYS wins over ./surveys"
run "$prefix/bin/sipas-collect" instrument --surveys "$prefix/share/sipas" sipas2017
expect_rc 0 "--surveys wins over ./surveys"
finish
