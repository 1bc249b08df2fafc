#!/usr/bin/env bash
# --db takes only a path to a file that is or will become a sipas store: an in-memory database
# (":memory:", ""), an SQLite URI ("file:...") or a folder is refused before SQLite sees it, so
# an import never reports rows stored that nothing keeps; a missing store is the store error.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
export SIPAS_SURVEYS="$SIPAS_SOURCE/tests/fixtures/import"
H='respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'
printf '%s\nr1,2023,cao_loc,c1,1,citizen,,4,5\nr2,2023,loc_binh,c2,1,citizen,,3,4\n' "$H" >good.csv

# refused NAME DB CODE MESSAGE: import and batches and index with --db DB exit CODE with MESSAGE
# on stderr and nothing on stdout.
refused() {
  local name=$1 db=$2 code=$3 message=$4
  for cmd in "$COLLECT import --form mini good.csv" "$COLLECT batches" "$ANALYZE index --form mini"; do
    # shellcheck disable=SC2086
    run $cmd --db "$db"
    expect_rc "$code" "$name: ${cmd##*/}"
    expect_err "$message" "$name: ${cmd##*/}"
    expect_equal "$(cat "$WORK/out")" "" "$name: ${cmd##*/} prints nothing on stdout"
  done
}
refused ":memory:" ":memory:" 2 "error: ':memory:' is not a file: a store is kept in a file (--db sipas.db); an in-memory database would keep nothing"
refused "empty name" "" 2 "error: the store's file name is empty (--db or SIPAS_DB): name a file such as sipas.db"
refused "URI" "file::memory:" 2 "error: 'file::memory:' is an SQLite URI, not a file name: give the store's path (for a file whose name starts with 'file:', write ./file::memory:)"
refused "URI with options" "file:s.db?mode=memory" 2 "error: 'file:s.db?mode=memory' is an SQLite URI, not a file name"
mkdir folder
refused "a folder" folder 3 "error: 'folder' is a folder, not a sipas store: name a file in it, e.g. 'folder/sipas.db'"
refused "a folder with a slash" folder/ 3 "error: 'folder/' is a folder, not a sipas store: name a file in it, e.g. 'folder/sipas.db'"
expect_equal "$(ls -A folder)" "" "nothing created in the folder"
expect_equal "$(ls | grep -c '^file:')" "0" "no file named like the URI"

# A missing store: the store error (3), and no file is created by a reading command.
for cmd in "$COLLECT batches" "$COLLECT show 1" "$COLLECT export --form mini" "$ANALYZE index --form mini"; do
  # shellcheck disable=SC2086
  run $cmd --db missing.db
  expect_rc 3 "missing store: ${cmd##*/}"
  expect_err "error: cannot open store 'missing.db': no such file (import a batch first)" "missing store: ${cmd##*/}"
done
expect_equal "$(ls missing.db* 2>/dev/null)" "" "a reading command creates no store"

# A file literally named file:x is still reachable as ./file:x.
run "$COLLECT" import --form mini --db ./file:x good.csv
expect_rc 0 "./file:x is a file name"
expect_equal "$(ls file:x)" "file:x" "the store is the file 'file:x'"
finish
