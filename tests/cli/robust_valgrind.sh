#!/usr/bin/env bash
# The main commands of both programs under valgrind memcheck, on small inputs: no invalid read
# or write, no use of uninitialised memory, no leak (--error-exitcode=99 turns any report into
# a failure). Skipped (exit 0, saying so) when valgrind is missing or the build is sanitized:
# ASan and valgrind cannot run together; build-asan/ covers those builds.
set -euo pipefail
: "${SIPAS_BUILD:?}" "${SIPAS_SOURCE:?}"
collect="$SIPAS_BUILD/sipas-collect"
analyze="$SIPAS_BUILD/sipas-analyze"
if ! command -v valgrind >/dev/null; then
  echo "skipped: valgrind is not installed (scripts/install-deps installs it)"
  exit 0
fi
if grep -q __asan_init "$collect"; then
  echo "skipped: a sanitizer build (valgrind runs in the plain build)"
  exit 0
fi
surveys="$SIPAS_SOURCE/surveys"
work=$(mktemp -d /tmp/sipas-robust-valgrind-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible
    --track-origins=yes)

# expect CODE CMD...: runs CMD under memcheck and checks its exit code (99 = a memcheck report)
expect() {
  local want=$1; shift
  set +e; "${vg[@]}" "$@" >out.txt 2>err.txt; local rc=$?; set -e
  if [ "$rc" -ne "$want" ]; then
    cat out.txt err.txt >&2
    fail "exit $rc (want $want; 99 = memcheck found an error): $*"
  fi
  echo "ok (exit $rc): ${*##*/sipas-}"
}

# 300 respondents of the sample file, and one with labels
head -n 301 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv" > a.csv
head -n 120 "$SIPAS_SOURCE/surveys/sample/sipas2017_2024_labels_vi.csv" > b.csv
{ head -n 1 a.csv; sed -n '302,340p' "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"; echo "bad,1800,x"; } > c.csv
db=(--db s.db --surveys "$surveys")

expect 0 "$collect" instrument "${db[@]:2}" sipas2017
expect 0 "$collect" check "${db[@]}" --form sipas2017 a.csv
expect 0 "$collect" import "${db[@]}" --form sipas2017 a.csv b.csv
expect 1 "$collect" import "${db[@]}" --form sipas2017 a.csv          # repeated batch
expect 1 "$collect" import "${db[@]}" --form sipas2017 c.csv          # rejected rows
expect 0 "$collect" import "${db[@]}" --form sipas2017 --keep-valid c.csv
expect 0 "$collect" batches --db s.db
expect 0 "$collect" show --db s.db 1
expect 0 "$collect" export "${db[@]}" --form sipas2017 --labels vi --out e.csv
expect 0 "$collect" remove --db s.db 3
expect 2 "$collect" import "${db[@]}" --form sipas2017 --wave 3000 a.csv
expect 3 "$collect" batches --db c.csv                                 # not a store
expect 0 "$analyze" index "${db[@]}" --form sipas2017 --lonely-psu adjust
expect 0 "$analyze" index "${db[@]}" --form sipas2017 --by district --wave 2019 --format csv --lonely-psu adjust
expect 0 "$analyze" index "${db[@]}" --form sipas2017 --where "sector in land,justice" --format json --lang en --lonely-psu adjust
expect 1 "$analyze" index "${db[@]}" --form sipas2017 --by "district; DROP TABLE batches"
expect 2 "$analyze" index "${db[@]}" --form sipas2017 --where "district"
[ "$(wc -l < e.csv)" -gt 300 ] || fail "the export has $(wc -l < e.csv) lines"
echo "ok: no memcheck report"
