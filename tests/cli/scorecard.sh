#!/usr/bin/env bash
# scorecard.sh - administrative indicators end to end: sipas-collect indicators import / list /
# show / remove with its refusals, and sipas-analyze scorecard on the sample data (the synthetic
# 2021-2024 values of surveys/sample/indicators_2021-2024.csv and the SIPAS sample survey).
. "$(dirname "$0")/lib.bash"

SAMPLE="$SIPAS_SOURCE/surveys/sample/indicators_2021-2024.csv"
ADMIN_TARGETS=$(($(wc -l <"$SIPAS_SOURCE/surveys/indicators/targets.csv") - 1))
SURVEY_TARGETS=$(($(wc -l <"$SIPAS_SOURCE/surveys/targets.csv") - 1))

# field FILE INDICATOR YEAR COLUMN: one column of the scorecard CSV's row for a target
field() {
  python3 - "$@" <<'EOF'
import csv, sys
path, ind, year, col = sys.argv[1:5]
for r in csv.DictReader(open(path, encoding="utf-8")):
    if r["indicator"] == ind and r["target_year"] == year:
        print(r[col]); break
else:
    print("<no row>")
EOF
}

# ---- import, repeats, list, show, remove ----
run "$COLLECT" indicators import "$SAMPLE"
expect_rc 0 "import the sample values"
expect_out "indicator batch 1: 91 values stored (84 marked synthetic)" "import summary"
run "$COLLECT" indicators import "$SAMPLE"
expect_rc 1 "the same file twice"
expect_err "the same content as indicator batch 1" "repeat names the batch"
cp "$SAMPLE" "$WORK/renamed.csv"
run "$COLLECT" indicators import "$WORK/renamed.csv"
expect_rc 1 "the same content under another name"
run "$COLLECT" indicators list
expect_rc 0 "list"
expect_out "imported (UTC)" "list header"
expect_equal "$(grep -c 'indicators_2021-2024.csv' "$WORK/out")" 1 "one batch listed"
run "$COLLECT" indicators show --indicator dossiers_on_time
expect_rc 0 "show an indicator"
expect_out "226105" "numerator shown"
expect_equal "$(grep -c '^dossiers_on_time' "$WORK/out")" 4 "four years of dossiers_on_time"

# a value another batch holds: refused whole, naming file, row and the batch that holds it
printf 'indicator,year,unit,value,source\ndossiers_on_time,2025,lang_son,98.9%%,UBND tỉnh\ndossiers_on_time,2024,lang_son,0.986,UBND tỉnh\n' >"$WORK/overlap.csv"
run "$COLLECT" indicators import "$WORK/overlap.csv"
expect_rc 1 "overlapping value"
expect_err "overlap.csv:3: indicator 'dossiers_on_time' for lang_son in 2024 is already stored from indicator batch 1" "overlap message"
run "$COLLECT" indicators show --indicator dossiers_on_time
expect_equal "$(grep -c '^dossiers_on_time' "$WORK/out")" 4 "nothing of the refused file stored"

# validation messages name file, row and column
printf 'indicator,year,unit,value,numerator,denominator,source\nonline_level4_share,2025,lang_son,52.1,,,UBND\n' >"$WORK/bad.csv"
run "$COLLECT" indicators import "$WORK/bad.csv"
expect_rc 1 "share written as 52.1"
expect_err "bad.csv:2: column 'value': '52.1' is out of range for a share (0 to 1): write 0.985 or 98.5%" "unit of a share"
printf 'indicator,year,unit,value,numerator,denominator,source\nonline_level4_share,2025,lang_son,,250,200,UBND\n' >"$WORK/bad.csv"
run "$COLLECT" indicators import "$WORK/bad.csv"
expect_err "bad.csv:2: column 'numerator': '250' is larger than the denominator 200" "numerator > denominator"
run "$COLLECT" indicators show 7
expect_rc 1 "an unknown batch"
run "$COLLECT" indicators frobnicate
expect_rc 2 "unknown subcommand"

# ---- the scorecard on reported values only ----
run "$ANALYZE" scorecard --format csv
expect_rc 0 "scorecard csv"
cp "$WORK/out" "$WORK/card.csv"
rows=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.DictReader(open(sys.argv[1]))))' "$WORK/card.csv")
expect_equal "$rows" "$((ADMIN_TARGETS + SURVEY_TARGETS))" "one row per target of both files"
expect_equal "$(field "$WORK/card.csv" civil_servants_degree_share 2025 verdict)" "on track" "degrees on track"
expect_equal "$(field "$WORK/card.csv" dossiers_on_time 2030 verdict)" "off track" "dossiers 2030 off track"
expect_equal "$(field "$WORK/card.csv" dossiers_on_time 2030 trend)" "worsening" "dossiers worsening"
expect_equal "$(field "$WORK/card.csv" online_level4_share 2025 verdict)" "at risk" "online dossiers at risk"
expect_equal "$(field "$WORK/card.csv" public_service_payroll 2030 verdict)" "insufficient data" "2030 payroll needs 2025's value"
expect_equal "$(field "$WORK/card.csv" public_service_payroll 2025 base_from)" "2021" "payroll against 2021"
# the latest payroll change: 22472 / 24318 - 1
expect_equal "$(field "$WORK/card.csv" public_service_payroll 2025 latest_value | cut -c1-8)" "-0.07591" "payroll change computed from the base"
# without survey data the satisfaction target falls back to the published 2021 figure
expect_equal "$(field "$WORK/card.csv" sipas_procedures 2025 data)" "reported" "SIPAS on reported values"
expect_equal "$(field "$WORK/card.csv" sipas_procedures 2025 latest_value)" "0.8706999999999999" "SIPAS 87.07% from the seed"
expect_equal "$(field "$WORK/card.csv" sipas_procedures 2025 verdict)" "insufficient data" "one published value"
expect_equal "$(head -1 "$WORK/card.csv" | tr ',' '\n' | grep -c '^quote$')" 1 "quote column"
grep -q "Nghị quyết 60-NQ/TU" "$WORK/card.csv" || fail "sources cite the resolution"

run "$ANALYZE" scorecard
expect_rc 0 "scorecard table"
expect_out "đánh giá tại năm 2024" "table in Vietnamese by default"
expect_out "đúng hướng" "Vietnamese verdicts"
run "$ANALYZE" scorecard --lang en --format json
expect_rc 0 "scorecard json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["as_of"] == 2024 and len(d["targets"]) > 20' "$WORK/out" || fail "json parses"
expect_out '"label":"Administrative dossiers settled on time or early"' "English labels"

# the compact chart, as PNG and SVG
run "$ANALYZE" scorecard --chart "$WORK/card.png"
expect_rc 0 "scorecard --chart png"
checks=$((checks + 1))
[ "$(head -c 4 "$WORK/card.png" | od -An -tx1 | tr -d ' ')" = "89504e47" ] || fail "chart is a PNG"
run "$ANALYZE" scorecard --lang en --chart "$WORK/card.svg"
checks=$((checks + 1))
grep -q "Resolution 60-NQ/TU targets, 2024" "$WORK/card.svg" || fail "svg chart has its title"
run "$ANALYZE" scorecard --chart "$WORK/card.txt"
expect_rc 2 "a chart needs .png, .svg or .pdf"

# judged as in 2023: the 2024 values are left out
run "$ANALYZE" scorecard --year 2023 --format csv
cp "$WORK/out" "$WORK/card2023.csv"
expect_equal "$(field "$WORK/card2023.csv" dossiers_on_time 2025 latest_year)" "2023" "--year leaves later values out"
expect_equal "$(field "$WORK/card2023.csv" dossiers_on_time 2025 values)" "3" "three values up to 2023"

# a past year: import 2025 and judge as in 2025
printf 'indicator,year,unit,value,numerator,denominator,source,synthetic\ndossiers_on_time,2025,lang_son,,236000,240000,test,yes\ncivil_servants_degree_share,2025,lang_son,94.9%%,,,test,yes\n' >"$WORK/y2025.csv"
run "$COLLECT" indicators import "$WORK/y2025.csv"
expect_rc 0 "import 2025"
run "$ANALYZE" scorecard --format csv
cp "$WORK/out" "$WORK/card2025.csv"
expect_equal "$(field "$WORK/card2025.csv" dossiers_on_time 2025 verdict)" "met" "98.33% > 98%: met"
expect_equal "$(field "$WORK/card2025.csv" civil_servants_degree_share 2025 verdict)" "not met" "94.9% < 95%: not met"
expect_equal "$(field "$WORK/card2025.csv" dossiers_on_time 2025 projected)" "false" "a past year is not projected"
# removing the batch brings the projection back
batch=$("$COLLECT" indicators list | awk '/y2025.csv/ {print $1}')
run "$COLLECT" indicators remove "$batch"
expect_rc 0 "remove"
run "$ANALYZE" scorecard --format csv
cp "$WORK/out" "$WORK/card.csv"
expect_equal "$(field "$WORK/card.csv" dossiers_on_time 2025 verdict)" "at risk" "back to the projection"

# ---- with the survey: satisfaction judged on the survey's province series ----
run "$COLLECT" import --form sipas2017 --quiet "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the survey sample"
run "$ANALYZE" scorecard --form sipas2017 --format csv
expect_rc 0 "scorecard with --form"
cp "$WORK/out" "$WORK/cardf.csv"
expect_equal "$(field "$WORK/cardf.csv" sipas_procedures 2025 data)" "survey" "SIPAS on the survey"
expect_equal "$(field "$WORK/cardf.csv" sipas_procedures 2025 values)" "6" "six waves"
# the same verdict as the targets command gives
run "$ANALYZE" targets --form sipas2017 --format csv
want=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["indicator"] == "sipas_procedures" and r["year"] == "2025": print(r["verdict"], r["estimate"])' "$WORK/out")
got=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["indicator"] == "sipas_procedures" and r["target_year"] == "2025": print(r["verdict"], r["estimate"])' "$WORK/cardf.csv")
expect_equal "$got" "$want" "scorecard agrees with targets"
expect_equal "$(field "$WORK/cardf.csv" dossiers_on_time 2025 verdict)" "at risk" "administrative rows unchanged"

finish
