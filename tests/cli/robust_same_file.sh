#!/usr/bin/env bash
# The same 60,000-row file imported twice at the same moment into one store: one run stores it,
# the other, which waited for the write lock, says "same content as batch N" (exit 1) instead
# of rejecting all 60,000 rows as duplicate respondent ids and writing a 60,000-row rejects
# file. Reproduce: start `sipas-collect import --db s.db --form sipas2017 same.csv` twice with &.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
"$SIPAS_BUILD/sipas_gen_sample" --surveys "$SIPAS_SURVEYS" --form sipas2017 --waves 2022 --rows 60000 \
  --seed 13 --out same.csv >/dev/null
"$COLLECT" import --form sipas2017 same.csv >a.out 2>a.err &
pa=$!
"$COLLECT" import --form sipas2017 same.csv >b.out 2>b.err &
pb=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
outcomes=$(printf '%s\n%s\n' "$ra" "$rb" | sort | tr '\n' ' ')
expect_equal "$outcomes" "0 1 " "one run stores the file, the other is refused"
both="$(cat a.out b.out a.err b.err)"
checks=$((checks + 1))
grep -qF "same.csv: batch 1: 60000 rows stored" <<<"$both" || fail "no run stored the file: $both"
checks=$((checks + 1))
grep -qF "sipas-collect: error: 'same.csv' has the same content as batch 1 (" <<<"$both" ||
  fail "the refused run does not name batch 1: $both"
checks=$((checks + 1))
if grep -q "already stored from batch" <<<"$both"; then fail "duplicate respondent ids reported: $(head -c 300 <<<"$both")"; fi
expect_equal "$(ls same.rejects.csv 2>/dev/null)" "" "no rejects file"
expect_equal "$(sqlite3 "$SIPAS_DB" "SELECT count(*) FROM batches")" "1" "one batch stored"
expect_equal "$(sqlite3 "$SIPAS_DB" "SELECT count(*) FROM responses_sipas2017")" "60000" "its 60,000 rows"
finish
