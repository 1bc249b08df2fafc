#!/usr/bin/env bash
# Published numbers do not change silently: analysis checks the folder's sheets against the
# instrument versions the stored batches were imported under. A sheet edited without a version
# bump is refused (exit 1, naming form, version, batch and sheet), or with
# --allow-changed-instrument analysed with a warning above the table, on stderr and in the
# report; batches imported under versions 1 and 2 with different choice lists are each scored
# under their own; a version whose criteria or elements differ is refused.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
cp -r "$SIPAS_SOURCE/tests/fixtures/import" surveys
export SIPAS_SURVEYS="$WORK/surveys"
H='respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'
{ echo "$H"
  for i in $(seq 1 40); do
    printf 'r%d,2023,%s,c%d,1,citizen,,%d,%d\n' "$i" "$([ $((i % 2)) = 0 ] && echo cao_loc || echo loc_binh)" \
      $((i % 6)) $((1 + i % 5)) $((1 + (i * 3) % 5))
  done; } >v1.csv
sed 's/^r/s/; s/,2023,/,2024,/' v1.csv | sed "1s/.*/$H/" >v2.csv

run "$COLLECT" import --form mini v1.csv
expect_rc 0 "import under version 1"
run "$ANALYZE" index --form mini --level-of overall --format csv
expect_rc 0 "the unchanged instrument"
before=$(cat "$WORK/out")

# Code 3 counted as satisfied, version still 1.
sed -i 's/^sat5,3,Bình thường,Neutral,0,$/sat5,3,Bình thường,Neutral,1,/' surveys/mini/choices.csv
grep -q '^sat5,3,Bình thường,Neutral,1,$' surveys/mini/choices.csv || fail "the test did not edit choices.csv"
changed="form 'mini' version '1' in '$WORK/surveys/mini' differs from the version '1' recorded with batch 1: sheet 'choices.csv' (list 'sat5') changed without a new version, which would change published numbers. Restore it, or give the change a new version in settings.csv"
for command in index change trend rank targets; do
  run "$ANALYZE" "$command" --form mini
  expect_rc 1 "$command with an edited choices.csv"
  expect_equal "$(cat "$WORK/err")" "sipas-analyze: error: $changed (--allow-changed-instrument analyses anyway, with a warning)" \
    "$command with an edited choices.csv"
  expect_equal "$(cat "$WORK/out")" "" "$command prints no table"
done
run "$ANALYZE" report --form mini --out report.html
expect_rc 1 "report with an edited choices.csv"
expect_err "sipas-analyze: error: $changed" "report with an edited choices.csv"

run "$ANALYZE" index --form mini --level-of overall --allow-changed-instrument
expect_rc 0 "--allow-changed-instrument"
expect_equal "$(head -n 1 "$WORK/out")" "warning: $changed" "the warning heads the table"
expect_equal "$(cat "$WORK/err")" "sipas-analyze: warning: $changed" "and is on stderr"
run "$ANALYZE" index --form mini --level-of overall --format json --allow-changed-instrument
expect_rc 0 "--allow-changed-instrument --format json"
expect_out ",\"stored_versions\":\"version '1' (batch 1)\",\"warning\":\"$changed\"," "the JSON carries the warning"
run "$ANALYZE" index --form mini --level-of overall --format csv --allow-changed-instrument
expect_rc 0 "--allow-changed-instrument --format csv"
expect_err "sipas-analyze: warning: $changed" "the CSV's warning is on stderr"
if command -v gnuplot >/dev/null; then
  run "$ANALYZE" report --form mini --out report.html --lang en --allow-changed-instrument
  expect_rc 0 "report --allow-changed-instrument"
  checks=$((checks + 1))
  grep -qF "differs from the version &#39;1&#39; recorded with batch 1" report.html || fail "the report lacks the warning"
  checks=$((checks + 1))
  grep -qF "the stored data were imported under version &#39;1&#39; (batch 1)." report.html || fail "the report lacks the versions"
fi
checks=$((checks + 1))
[ "$(cat "$WORK/out")" != "$before" ] || fail "the edited sheet did not change the index (the test proves nothing)"

# A label changed: still the version's content, still refused, naming the sheet.
cp "$SIPAS_SOURCE/tests/fixtures/import/mini/choices.csv" surveys/mini/choices.csv
sed -i 's/Officials are courteous/Officials were courteous/; s/Civil servants are courteous/Civil servants were courteous/' surveys/mini/survey.csv
run "$ANALYZE" index --form mini
expect_rc 1 "an edited label"
expect_err "sheet 'survey.csv' (item 'q2') changed without a new version" "an edited label"
cp "$SIPAS_SOURCE/tests/fixtures/import/mini/survey.csv" surveys/mini/survey.csv
run "$ANALYZE" index --form mini --level-of overall --format csv
expect_rc 0 "the sheets restored"
expect_equal "$(cat "$WORK/out")" "$before" "the restored sheets give the numbers of before"

# Version 2 counts code 3 as satisfied; a batch (wave 2024) is imported under it. Each batch is
# scored under its own version: wave 2023 (batch 1, version 1) keeps the value it had, wave 2024
# has the value version 2 gives it alone.
estimate() { # CSV of --by wave, wave -> the estimate column
  awk -F, -v wave="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "estimate") e = i; next }
                        $1 == wave { print $e }' <<<"$1"
}
v1_2023=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "estimate") e = i; next } { print $e }' <<<"$before")
sed -i 's/^sat5,3,Bình thường,Neutral,0,$/sat5,3,Bình thường,Neutral,1,/' surveys/mini/choices.csv
sed -i '2s/^mini,1,/mini,2,/' surveys/mini/settings.csv
grep -q '^mini,2,' surveys/mini/settings.csv || fail "the test did not bump the version"
run "$COLLECT" import --form mini v2.csv
expect_rc 0 "import under version 2"
run "$ANALYZE" index --form mini --level-of overall --by wave --format csv
expect_rc 0 "two versions with different choice lists"
both=$(cat "$WORK/out")
expect_equal "$(estimate "$both" 2023)" "$v1_2023" "wave 2023 is scored under version 1"
run "$COLLECT" import --db v2only.db --form mini v2.csv
run "$ANALYZE" index --db v2only.db --form mini --level-of overall --by wave --format csv
expect_equal "$(estimate "$both" 2024)" "$(estimate "$(cat "$WORK/out")" 2024)" "wave 2024 is scored under version 2"
# the versions do score differently: batch 1 under version 2 would give another value
run "$COLLECT" import --db v1under2.db --form mini v1.csv
run "$ANALYZE" index --db v1under2.db --form mini --level-of overall --by wave --format csv
checks=$((checks + 1))
[ "$(estimate "$(cat "$WORK/out")" 2023)" != "$v1_2023" ] || fail "version 2 scores batch 1 as version 1 does (the test proves nothing)"

# A version whose element weights differ cannot be analysed with the others.
sed -i 's/^e1,\(.*\),1$/e1,\1,2/' surveys/mini/elements.csv
grep -q '^e1,.*,2$' surveys/mini/elements.csv || fail "the test did not change the weight"
sed -i '2s/^mini,2,/mini,3,/' surveys/mini/settings.csv
run "$ANALYZE" index --form mini
expect_rc 1 "a version whose element weights differ"
expect_equal "$(cat "$WORK/err")" "sipas-analyze: error: form 'mini': batch 1, imported under version '1', cannot be analysed with version '3' in '$WORK/surveys/mini', whose sheet 'elements.csv' (element 'e1') differs: the criteria, their elements and weights must be the same in every version analysed together (--allow-changed-instrument analyses anyway, with a warning)" \
  "a version whose element weights differ"
finish
