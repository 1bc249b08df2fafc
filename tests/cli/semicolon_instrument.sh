#!/usr/bin/env bash
# An instrument whose sheets were saved by a spreadsheet with ';' as separator (a Vietnamese
# Excel's "CSV") is read alike by every command: instrument, check, import and index accept it,
# and a batch imported under it is analysed with it.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
cp -r "$SIPAS_SOURCE/tests/fixtures/import" surveys
sed -i 's/,/;/g' surveys/mini/*.csv
export SIPAS_SURVEYS="$WORK/surveys"
{ echo 'respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'
  for i in $(seq 1 20); do
    printf 'r%d,2023,%s,c%d,1,citizen,,%d,%d\n' "$i" "$([ $((i % 2)) = 0 ] && echo cao_loc || echo loc_binh)" \
      $((i % 4)) $((1 + i % 5)) $((1 + (i * 3) % 5))
  done; } >batch.csv
run "$COLLECT" instrument mini
expect_rc 0 "instrument"
expect_out "9 items, 2 criteria in 2 elements, 3 choice lists" "instrument reads every sheet"
run "$COLLECT" check --form mini batch.csv
expect_rc 0 "check"
expect_out "batch.csv: 20 rows valid; it can be imported" "check"
run "$COLLECT" import --form mini batch.csv
expect_rc 0 "import"
expect_out "batch.csv: batch 1: 20 rows stored" "import"
run "$ANALYZE" index --form mini --level-of overall --format csv
expect_rc 0 "index"
expect_out "overall,overall," "index"
finish
