#!/usr/bin/env bash
# No silent write failure: every command of both programs, with its output on a full device
# (stdout on /dev/full, --out /dev/full, --xlsx /dev/full, --keep-script /dev/full), exits 3
# with a message naming what could not be written. A file named by a path is replaced whole or
# not at all: under a file-size limit (writes fail with EFBIG, as on a full disk) the old file
# keeps its content and no temporary is left beside it.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
sample="$SIPAS_SOURCE/surveys/sample"

run "$COLLECT" import --form sipas2017 "$sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

# full NAME CMD...: CMD with stdout on /dev/full exits 3 and says so on stderr.
full() {
  local name=$1
  shift
  "$@" >/dev/full 2>"$WORK/err"
  rc=$?
  : >"$WORK/out"
  expect_rc 3 "$name, stdout on /dev/full"
  expect_err "cannot write to standard output: No space left on device" "$name, stdout on /dev/full"
}

# full_out NAME OPTION CMD...: CMD OPTION /dev/full exits 3 naming /dev/full.
full_out() {
  local name=$1 option=$2
  shift 2
  run "$@" "$option" /dev/full
  expect_rc 3 "$name $option /dev/full"
  expect_err "cannot write '/dev/full': " "$name $option /dev/full"
}

# ---- sipas-collect: every command, stdout on /dev/full
full "sipas-collect --help" "$COLLECT" --help
full "sipas-collect --version" "$COLLECT" --version
full "instrument" "$COLLECT" instrument sipas2017
full "instrument --help" "$COLLECT" instrument --help
full "check" "$COLLECT" check --form sipas2017_business "$sample/sipas2017_business_2023-2024.csv"
full "batches" "$COLLECT" batches
full "show" "$COLLECT" show 1
full "export" "$COLLECT" export --form sipas2017
full "frame" "$COLLECT" frame --form sipas2017 "$sample/frame_district.csv"
full "import" "$COLLECT" import --form sipas2017_business "$sample/sipas2017_business_2023-2024.csv"
full "remove" "$COLLECT" remove 2
full_out "export" --out "$COLLECT" export --form sipas2017

# ---- sipas-analyze: every command, stdout on /dev/full and --out /dev/full
full "sipas-analyze --help" "$ANALYZE" --help
for command in index change trend rank targets; do
  full "$command" "$ANALYZE" "$command" --form sipas2017
  full "$command --format csv" "$ANALYZE" "$command" --form sipas2017 --format csv
  full "$command --help" "$ANALYZE" "$command" --help
  full_out "$command" --out "$ANALYZE" "$command" --form sipas2017
  full_out "$command --format json" --out "$ANALYZE" "$command" --form sipas2017 --format json
done
full_out "report" --out "$ANALYZE" report --form sipas2017 --wave 2024
full_out "report" --xlsx "$ANALYZE" report --form sipas2017 --wave 2024 --out report.html
if command -v gnuplot >/dev/null; then
  full_out "plot" --keep-script "$ANALYZE" plot --form sipas2017 --kind trend --out trend.svg
fi

# ---- a path: replaced whole or not at all. `ulimit -f 64` makes every write past 64 KiB fail
# with EFBIG (SIGXFSZ ignored), as a full disk does with ENOSPC; the store's 32 KiB s.db-shm
# stays below it. Each output below is larger.
limited() { (trap '' XFSZ; ulimit -f 64; "$@"); }

# keeps NAME FILE CMD...: CMD under the limit exits 3 naming FILE, FILE keeps its old content,
# and no FILE.tmp* is left.
keeps() {
  local name=$1 file=$2
  shift 2
  printf 'the old content\n' >"$file"
  limited "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
  expect_rc 3 "$name under a file-size limit"
  expect_err "cannot write '$file': File too large" "$name under a file-size limit"
  expect_equal "$(cat "$file")" "the old content" "$name: '$file' keeps its content"
  expect_equal "$(ls "$file".tmp* 2>/dev/null)" "" "$name: no temporary left beside '$file'"
}
keeps "export --out" export.csv "$COLLECT" export --form sipas2017 --out export.csv
keeps "index --out" index.csv "$ANALYZE" index --form sipas2017 --by district,wave --format csv --out index.csv
keeps "index --format json" index.json "$ANALYZE" index --form sipas2017 --by district,wave --format json --out index.json
keeps "report --out" report.html "$ANALYZE" report --form sipas2017 --wave 2024 --out report.html

# The rejects file of a refused batch: the refusal and the failed write are both named, and
# no rejects file (old or partial) is left to mislead.
awk -F, 'BEGIN { OFS = "," } NR == 1 { print; next } NR <= 400 { $2 = 1889; print }' \
  "$sample/sipas2017_2019-2024.csv" >bad.csv
printf 'an old rejects file\n' >rejects.csv
limited "$COLLECT" import --form sipas2017 --keep-valid --rejects rejects.csv bad.csv >"$WORK/out" 2>"$WORK/err"
rc=$?
expect_rc 3 "import with an unwritable rejects file"
expect_err "bad.csv: every row was rejected; nothing was stored; and the rejected rows could not be kept: cannot write 'rejects.csv': File too large" \
  "import with an unwritable rejects file"
expect_equal "$(ls rejects.csv* 2>/dev/null)" "" "no rejects file or temporary left"

# The same commands without the limit write the whole file, with a new file's permissions.
run "$ANALYZE" index --form sipas2017 --by district --format csv --out index.csv
expect_rc 0 "index --out without a limit"
expect_equal "$(cat index.csv)" "$("$ANALYZE" index --form sipas2017 --by district --format csv)" "index.csv is the whole new table"
expect_equal "$(stat -c %a index.csv)" "644" "index.csv keeps the permissions it had"
rm -f fresh.csv
(umask 027; "$ANALYZE" index --form sipas2017 --format csv --out fresh.csv)
expect_equal "$(stat -c %a fresh.csv)" "640" "a new --out file gets 0666 less the umask"

finish
