#!/usr/bin/env bash
# Hostile stores and hostile analysis options: a file that is not SQLite, an SQLite file of
# another program, a store from a newer sipas, a read-only store (run as the user nobody), a
# full disk (a 3 MiB tmpfs; where mounting is not allowed, a file-size limit), and --where /
# --by / --form values written as SQL. Each gives the exact message and exit code of cli/cli.h
# and leaves every file as it was.
set -euo pipefail
: "${SIPAS_BUILD:?}" "${SIPAS_SOURCE:?}"
collect="$SIPAS_BUILD/sipas-collect"
analyze="$SIPAS_BUILD/sipas-analyze"
surveys="$SIPAS_SOURCE/tests/fixtures/import"
work=$(mktemp -d /tmp/sipas-robust-store-XXXXXX)
mounted=
cleanup() { [ -n "$mounted" ] && umount "$mounted"; rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"
cd "$work"
failures=0
H='respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'

# expect NAME CODE EXPECTED_STDERR FILE_THAT_MUST_NOT_CHANGE CMD...
expect() {
  local name=$1 want_rc=$2 want_err=$3 keep=$4
  shift 4
  local before rc why=()
  before=$(sha256sum "$keep")
  set +e; "$@" >out.txt 2>err.txt; rc=$?; set -e
  [ "$rc" -eq "$want_rc" ] || why+=("exit $rc, expected $want_rc")
  [ "$(cat err.txt)" = "$want_err" ] || why+=("stderr: $(cat err.txt)")
  [ "$(sha256sum "$keep")" = "$before" ] || why+=("'$keep' changed")
  if [ ${#why[@]} -gt 0 ]; then
    failures=$((failures + 1)); printf 'FAIL %s: %s\n  expected: %s\n' "$name" "${why[*]}" "$want_err"
  else
    echo "ok   $name"
  fi
}

{ printf '%s\n' "$H"
  for i in $(seq 1 40); do
    printf 'r%d,%d,%s,c%d,%d,%s,,%d,%d\n' "$i" $((2023 + i % 2)) "$([ $((i % 3)) = 0 ] && echo cao_loc || echo loc_binh)" \
      $((i % 8)) $((1 + i % 3)) "$([ $((i % 4)) = 0 ] && echo business || echo citizen)" $((1 + i % 5)) $((1 + (i * 7) % 5))
  done; } > good.csv
"$collect" import --db s.db --surveys "$surveys" --form mini good.csv >/dev/null
printf '%s\nz1,2023,cao_loc,c1,1,citizen,,4,5\n' "$H" > new.csv

# ---- files that are not sipas stores
printf 'hello, this is a text file\n' > text.db
expect "text file as store (import)" 3 "sipas-collect: error: 'text.db' is not a sipas store (not an SQLite database)" \
  text.db "$collect" import --db text.db --surveys "$surveys" --form mini new.csv
expect "text file as store (analyze)" 3 "sipas-analyze: error: 'text.db' is not a sipas store (not an SQLite database)" \
  text.db "$analyze" index --db text.db --surveys "$surveys" --form mini
head -c 8192 /dev/urandom > random.db
expect "random bytes as store" 3 "sipas-collect: error: 'random.db' is not a sipas store (not an SQLite database)" \
  random.db "$collect" batches --db random.db
sqlite3 other.db "CREATE TABLE accounts(name TEXT); INSERT INTO accounts VALUES ('x')"
expect "another program's SQLite file" 3 "sipas-collect: error: 'other.db' is an SQLite database but not a sipas store" \
  other.db "$collect" import --db other.db --surveys "$surveys" --form mini new.csv
cp s.db newer.db
sqlite3 newer.db "PRAGMA user_version = 99"
expect "a store from a newer sipas" 3 "sipas-collect: error: 'newer.db' has schema version 99; this sipas knows up to $(sqlite3 s.db 'PRAGMA user_version'): use a newer sipas" \
  newer.db "$collect" import --db newer.db --surveys "$surveys" --form mini new.csv
: > zero.db
set +e; "$collect" batches --db zero.db >/dev/null 2>err.txt; rc=$?; set -e
if [ "$rc" -eq 3 ] && [ ! -s zero.db ] && grep -q "^sipas-collect: error: 'zero.db' " err.txt; then
  echo "ok   an empty file as store (read-only command)"
else
  failures=$((failures + 1)); echo "FAIL an empty file as store: exit $rc, $(cat err.txt)"
fi

# ---- a read-only store, as a user who may not write it (root may write anything)
nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
mkdir rodir rwdir
cp s.db rodir/s.db; cp s.db rwdir/s.db; cp new.csv rodir/; cp new.csv rwdir/
chmod 644 rodir/* rwdir/*; chmod 755 rodir; chmod 1777 rwdir
# a writable folder, a file nobody may not write: reading works, importing is refused
expect "read-only store file: import" 3 "sipas-collect: error: 'rwdir/s.db': cannot record the batch: the store is read-only" \
  rwdir/s.db "${nobody[@]}" "$collect" import --db rwdir/s.db --surveys "$surveys" --form mini rwdir/new.csv
set +e; "${nobody[@]}" "$collect" batches --db rwdir/s.db >out.txt 2>err.txt; rc=$?; set -e
if [ "$rc" -eq 0 ] && grep -q "good.csv" out.txt; then echo "ok   read-only store file: batches"; else
  failures=$((failures + 1)); echo "FAIL read-only store file: batches: exit $rc $(cat err.txt)"; fi
expect "read-only store file: remove" 3 "sipas-collect: error: 'rwdir/s.db': cannot remove the batch: the store is read-only" \
  rwdir/s.db "${nobody[@]}" "$collect" remove --db rwdir/s.db 1
# a read-only folder too: SQLite cannot make the WAL index beside the file; importing is
# refused, reading works (the file is read as immutable: no -wal holds changes)
expect "read-only folder: import" 3 "sipas-collect: error: 'rodir/s.db': cannot read the store: the store is read-only" \
  rodir/s.db "${nobody[@]}" "$collect" import --db rodir/s.db --surveys "$surveys" --form mini rodir/new.csv
expect "read-only folder: analyze" 0 "" \
  rodir/s.db "${nobody[@]}" "$analyze" index --db rodir/s.db --surveys "$surveys" --form mini
grep -q "Chỉ số hài lòng chung" out.txt || { failures=$((failures + 1)); echo "FAIL read-only folder: analyze printed no index"; }
[ -z "$(ls rodir | grep -v -x -e s.db -e new.csv)" ] || { failures=$((failures + 1)); echo "FAIL files left in rodir: $(ls rodir)"; }

# ---- a full disk
"$SIPAS_BUILD/sipas_gen_sample" --surveys "$surveys" --form mini --waves 2024 --rows 20000 --out mid.csv
mkdir full
if mount -t tmpfs -o size=3m tmpfs full 2>/dev/null; then
  mounted=$PWD/full
  how="a 3 MiB tmpfs"
  "$collect" import --db full/s.db --surveys "$surveys" --form mini good.csv >/dev/null
  want="sipas-collect: error: 'full/s.db': cannot commit the batch: the disk is full; nothing of this operation was stored"
  run_full() { "$collect" import --db full/s.db --surveys "$surveys" --form mini mid.csv; }
else
  # no mount allowed (a container): cap the file size; SIGXFSZ ignored, so writes fail EFBIG
  how="ulimit -f"
  "$collect" import --db full/s.db --surveys "$surveys" --form mini good.csv >/dev/null
  want="sipas-collect: error: 'full/s.db': cannot commit the batch: disk I/O error"
  run_full() { (trap '' XFSZ; ulimit -f 2048; exec "$collect" import --db full/s.db --surveys "$surveys" --form mini mid.csv); }
fi
n_before=$(sqlite3 full/s.db "SELECT count(*) FROM responses_mini")
expect "full disk ($how)" 3 "$want" good.csv run_full
[ "$(sqlite3 full/s.db 'PRAGMA integrity_check')" = ok ] &&
  [ "$(sqlite3 full/s.db "SELECT count(*) FROM responses_mini")" = "$n_before" ] &&
  [ "$(sqlite3 full/s.db "SELECT count(*) FROM batches")" = 1 ] ||
  { failures=$((failures + 1)); echo "FAIL the store after a full disk is not as before"; }

# ---- --where, --by and --form written as SQL: refused or matched as plain values
sqlite3 s.db .dump > before.sql
expect "--where with a quote" 1 "sipas-analyze: error: --where: 'x' OR 1=1 --' is not a code or label of list 'district' (column 'district')" \
  s.db "$analyze" index --db s.db --surveys "$surveys" --form mini --where "district=x' OR 1=1 --"
expect "--where with SQL in the column" 2 "sipas-analyze: error: --where: condition 'district; DROP TABLE batches=1' has no operator (= != < <= > >= or in)" \
  s.db "$analyze" index --db s.db --surveys "$surveys" --form mini --where "district; DROP TABLE batches=1"
expect "--where with SQL in a number" 2 "sipas-analyze: error: --where: '2023) OR (1=1' is not a number (column 'wave' is numeric)" \
  s.db "$analyze" index --db s.db --surveys "$surveys" --form mini --where "wave in 2023) OR (1=1"
expect "--by with SQL" 1 "sipas-analyze: error: --by: form 'mini' has no column 'district; DROP TABLE batches'" \
  s.db "$analyze" index --db s.db --surveys "$surveys" --form mini --by "district; DROP TABLE batches"
expect "--by with a quote" 1 "sipas-analyze: error: --by: form 'mini' has no column 'district\" FROM batches --'" \
  s.db "$analyze" index --db s.db --surveys "$surveys" --form mini --by 'district" FROM batches --'
expect "--form with SQL" 2 "sipas-collect: error: 'mini; DROP TABLE batches' is not a form id (lowercase letters, digits and '_')" \
  s.db "$collect" export --db s.db --surveys "$surveys" --form "mini; DROP TABLE batches"
sqlite3 s.db .dump > after.sql
cmp -s before.sql after.sql || { failures=$((failures + 1)); echo "FAIL the store changed"; }
# a value that looks like SQL is only a value: it matches nothing, and the real code matches
set +e; "$analyze" index --db s.db --surveys "$surveys" --form mini --where "respondent_type=citizen" \
  --lonely-psu adjust --format csv >plain.csv 2>err.txt; rc=$?; set -e
[ "$rc" -eq 0 ] && grep -q '^2023,overall' plain.csv ||
  { failures=$((failures + 1)); echo "FAIL a plain --where: exit $rc $(cat err.txt)"; }

if [ "$failures" -gt 0 ]; then
  echo "$failures cases failed"
  exit 1
fi
echo "all cases gave the expected message; no store changed"
