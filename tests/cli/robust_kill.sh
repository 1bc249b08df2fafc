#!/usr/bin/env bash
# Crash safety: an import killed with SIGKILL at several points leaves a store that passes
# PRAGMA integrity_check and holds nothing of the killed batch (no response, no batch record);
# the retry succeeds. Two imports into one store at once both succeed (the second waits for the
# write lock) and the counts add up. Needs sqlite3 (scripts/install-deps).
set -euo pipefail
: "${SIPAS_BUILD:?}" "${SIPAS_SOURCE:?}"
collect="$SIPAS_BUILD/sipas-collect"
gen="$SIPAS_BUILD/sipas_gen_sample"
surveys="$SIPAS_SOURCE/surveys"
work=$(mktemp -d /tmp/sipas-robust-kill-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

rows=${SIPAS_KILL_ROWS:-300000}
"$gen" --surveys "$surveys" --form sipas2017 --waves 2024 --rows "$rows" --seed 11 --out big.csv
"$gen" --surveys "$surveys" --form sipas2017 --waves 2023 --rows 2000 --seed 12 --out small.csv

# the store before any kill: one committed batch
"$collect" import --quiet --db s.db --surveys "$surveys" --form sipas2017 small.csv >/dev/null

counts() { sqlite3 s.db "SELECT (SELECT count(*) FROM responses_sipas2017) || ' ' || (SELECT count(*) FROM batches)"; }
check_store() {
  local ic
  ic=$(sqlite3 s.db "PRAGMA integrity_check")
  [ "$ic" = ok ] || fail "integrity_check after $1: $ic"
  [ "$(counts)" = "2000 1" ] || fail "after $1 the store holds '$(counts)' (responses, batches), not '2000 1'"
  # no row of the killed import: its ids are those of wave 2024
  [ "$(sqlite3 s.db "SELECT count(*) FROM responses_sipas2017 WHERE wave = 2024")" = 0 ] ||
    fail "rows of the killed import are stored after $1"
  [ "$(sqlite3 s.db "SELECT count(*) FROM batches WHERE file_name LIKE '%big.csv'")" = 0 ] ||
    fail "a batch record of the killed import is stored after $1"
}

# the kills land at fractions of one import's own time (a fixed schedule outran the two-thread
# import on a fast machine: every import ended before the later kills), no later than 70 % of
# it, so that an import that runs a third faster than the timed one (the timed run hit a busy
# moment of a shared machine) is still killed mid-way
start=$(date +%s%N)
"$collect" import --quiet --db timing.db --surveys "$surveys" --form sipas2017 big.csv >/dev/null
total_ms=$((($(date +%s%N) - start) / 1000000))
killed=0
for percent in 10 25 40 55 70; do
  ms=$((total_ms * percent / 100))
  delay=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
  "$collect" import --quiet --db s.db --surveys "$surveys" --form sipas2017 big.csv >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -KILL "$pid" 2>/dev/null || true
  set +e; wait "$pid"; rc=$?; set -e
  if [ "$rc" -eq 137 ] && [ "$(counts)" = "$((2000 + rows)) 2" ]; then
    # killed after its COMMIT, before the process exited: the whole batch is stored, as it
    # should be; undo it and go on
    echo "killed after the commit at ${delay}s"
    id=$(sqlite3 s.db "SELECT batch_id FROM batches WHERE file_name LIKE '%big.csv'")
    "$collect" remove --db s.db "$id" >/dev/null
  elif [ "$rc" -eq 137 ]; then
    killed=$((killed + 1))
    echo "killed after ${delay}s"
  else
    # the import ended before the kill (a fast machine): undo it and go on
    echo "the import ended (exit $rc) before the kill at ${delay}s"
    [ "$rc" -eq 0 ] || fail "the import failed with exit $rc"
    id=$(sqlite3 s.db "SELECT batch_id FROM batches WHERE file_name LIKE '%big.csv'")
    "$collect" remove --db s.db "$id" >/dev/null
  fi
  check_store "SIGKILL at ${delay}s"
done
[ "$killed" -ge 3 ] || fail "only $killed imports were killed mid-way"

# the retry succeeds and stores everything
out=$("$collect" import --db s.db --surveys "$surveys" --form sipas2017 big.csv)
echo "$out"
[[ "$out" == *"big.csv: batch "*": $rows rows stored" ]] || fail "retry: $out"
[ "$(sqlite3 s.db "PRAGMA integrity_check")" = ok ] || fail "integrity after the retry"
[ "$(counts)" = "$((2000 + rows)) 2" ] || fail "after the retry: $(counts)"

# two imports at once into one store, different files: both succeed, one of them waits for the
# other's write lock and says so, and the counts add up (files large enough that the two
# overlap even when one process is started late on a busy machine)
concurrent=${SIPAS_KILL_CONCURRENT_ROWS:-150000}
"$gen" --surveys "$surveys" --form sipas2017 --waves 2022 --rows "$concurrent" --seed 13 --out c1.csv
"$gen" --surveys "$surveys" --form sipas2017 --waves 2021 --rows "$concurrent" --seed 14 --out c2.csv
"$collect" import --db s.db --surveys "$surveys" --form sipas2017 c1.csv >c1.out 2>c1.err &
p1=$!
"$collect" import --db s.db --surveys "$surveys" --form sipas2017 c2.csv >c2.out 2>c2.err &
p2=$!
set +e; wait "$p1"; r1=$?; wait "$p2"; r2=$?; set -e
cat c1.out c1.err c2.out c2.err
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ] || fail "concurrent imports: exit codes $r1 and $r2"
grep -q "c1.csv: batch [0-9]*: $concurrent rows stored" c1.out || fail "c1: $(cat c1.out)"
grep -q "c2.csv: batch [0-9]*: $concurrent rows stored" c2.out || fail "c2: $(cat c2.out)"
cat c1.err c2.err | grep -q "waiting for another process writing to 's.db'" ||
  fail "neither import said that it waited for the other"
[ "$(sqlite3 s.db "PRAGMA integrity_check")" = ok ] || fail "integrity after concurrent imports"
[ "$(counts)" = "$((2000 + rows + 2 * concurrent)) 4" ] || fail "after concurrent imports: $(counts)"
[ "$(sqlite3 s.db "SELECT sum(rows_stored) FROM batches")" = "$((2000 + rows + 2 * concurrent))" ] ||
  fail "batch counts do not add up to the stored rows"
echo "ok: $killed kills left the store intact; retry and concurrent imports succeeded"
