#!/usr/bin/env bash
# No text of any chart overlaps a drawn line, a point or another text, and none is cut at the
# canvas edge: every kind of sipas-analyze plot (trend, ranking, profile, heat map, trend by
# domain as lines and as small multiples, the scorecard), in Vietnamese and English, on the sample and on a
# degenerate design, measured in headless Chromium by tests/browser/chart_overlap.sh. Also the
# legend entries of what is drawn (fit, band, projection, targets, suppressed values), each
# element's own target in the profile, and the heat map's fixed thresholds. Fails (does not
# skip) without chromium.
source "$(dirname "$0")/lib.bash"
overlap="$SIPAS_SOURCE/tests/browser/chart_overlap.sh"

expect_in_file() { # file fixed-string description
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$3: '$1' lacks '$2'"
}

# expect_no_overlap SVG description
expect_no_overlap() {
  checks=$((checks + 1))
  bash "$overlap" "$1" >"$WORK/overlap" 2>&1
  local code=$?
  [ "$code" -eq 0 ] || fail "$2: $(head -5 "$WORK/overlap") (exit $code)"
}

# The check itself fails on what it must catch: a label crossed by a line, two labels on top
# of each other, a label cut at the edge, and two reference lines 2 px apart.
cat >"$WORK/bad.svg" <<'SVG'
<?xml version="1.0" encoding="utf-8"?>
<svg width="400" height="300" viewBox="0 0 400 300" xmlns="http://www.w3.org/2000/svg">
<path stroke="black" d="M20,100 L380,100"/>
<g transform="translate(100,105)" font-family="DejaVu Sans" font-size="14.67"><text>90% (2025)</text></g>
<g transform="translate(200,200)" font-family="DejaVu Sans" font-size="14.67"><text>Toàn tỉnh</text></g>
<g transform="translate(210,204)" font-family="DejaVu Sans" font-size="14.67"><text>Mục tiêu</text></g>
<g transform="translate(360,250)" font-family="DejaVu Sans" font-size="14.67"><text>Đình Lập</text></g>
<path stroke="rgb(51,51,51)" d="M300,20 L300,280"/>
<path stroke="rgb(178,24,43)" d="M302,20 L302,280"/>
</svg>
SVG
bash "$overlap" "$WORK/bad.svg" >"$WORK/overlap" 2>&1
expect_equal "$?" 1 "the overlap check fails on a chart with overlaps"
for finding in 'text-line: "90% (2025)"' 'text-text: "Toàn tỉnh" and "Mục tiêu"' \
                'outside: "Đình Lập"' 'lines-close'; do
  checks=$((checks + 1))
  grep -qF "$finding" "$WORK/overlap" || fail "the overlap check missed $finding: $(cat "$WORK/overlap")"
done

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

# --- every kind, Vietnamese; the kinds with the most words also in English ------------------
for kind in trend ranking profile heatmap; do
  run "$ANALYZE" plot --form sipas2017 --kind "$kind" --out "$WORK/$kind.svg" \
    --keep-script "$WORK/$kind.gp"
  expect_rc 0 "plot $kind"
  expect_no_overlap "$WORK/$kind.svg" "plot $kind"
done
for by in respondent_type district; do
  run "$ANALYZE" plot --form sipas2017 --kind trend --by "$by" --out "$WORK/by_$by.svg" \
    --keep-script "$WORK/by_$by.gp"
  expect_rc 0 "plot trend --by $by"
  expect_no_overlap "$WORK/by_$by.svg" "plot trend --by $by"
done
for kind in trend heatmap; do
  run "$ANALYZE" plot --form sipas2017 --kind "$kind" --lang en --out "$WORK/${kind}_en.svg"
  expect_rc 0 "plot $kind en"
  expect_no_overlap "$WORK/${kind}_en.svg" "plot $kind en"
done

# --- a key for every element drawn --------------------------------------------------------
for words in "Toàn tỉnh" "Xu hướng (hồi quy logit)" "Dự báo" "Khoảng tin cậy 95% của xu hướng" \
             "Mục tiêu" "≥90% (2025)" "≥95% (2030)"; do
  expect_in_file "$WORK/trend.svg" "$words" "trend key or target label"
done
# the target labels sit right of the plot, not at the target year inside it
checks=$((checks + 1))
grep -q "at graph 1, first 90 left" "$WORK/trend.gp" || fail "the 90% label is not in the right margin"
for words in "Toàn tỉnh: 90,19%" "Khoảng tin cậy 95% của toàn tỉnh" "Mục tiêu 2025: 90%" \
             "Dưới mục tiêu" "Không đủ tin cậy để công bố (NCHS)"; do
  expect_in_file "$WORK/ranking.svg" "$words" "ranking key"
done
# Đình Lập's 2024 index is suppressed (NCHS): an outlined bar, its value in dark text
checks=$((checks + 1))
grep -A2 '^\$bars_open\|^\$below_open' "$WORK/ranking.gp" | grep -q "^[0-9.]* 1 " ||
  fail "the suppressed unit is not among the outlined bars"
for words in "≥ 90% (mục tiêu 2025)" "80% đến dưới 90%" "dưới 80%" "Không đủ tin cậy để công bố (NCHS)" "75,3 †"; do
  expect_in_file "$WORK/heatmap.svg" "$words" "heat map key or suppressed cell"
done
# classes from the fixed thresholds: 79,1% (Bình Gia, feedback) red, 88,7% amber, 92,0% green
for cell in " 79.1 2 0" " 88.7 1 0" " 92.0 0 0"; do
  checks=$((checks + 1))
  grep -q -- "$cell$" "$WORK/heatmap.gp" || fail "heat map cell class '$cell' not found"
done
for words in "Người dân" "Doanh nghiệp" "Tổ chức"; do
  expect_in_file "$WORK/by_respondent_type.svg" "$words" "trend by respondent type: labels, not codes"
done
checks=$((checks + 1))
[ "$(grep -c '^plot ' "$WORK/by_district.gp")" -ge 12 ] ||
  fail "trend by district is not small multiples (one plot per district and the legend)"
for words in "Thành phố Lạng Sơn" "Đình Lập" "Huyện/thành phố" "Toàn tỉnh"; do
  expect_in_file "$WORK/by_district.svg" "$words" "trend by district panels and key"
done
run "$ANALYZE" plot --form sipas2017 --kind ranking --by sector --out "$WORK/x.svg"
expect_rc 2 "--by with a kind other than trend"

# --- the scorecard chart: 29 targets with names of two and three lines --------------------
run "$COLLECT" indicators import "$SIPAS_SOURCE/surveys/sample/indicators_2021-2024.csv"
expect_rc 0 "import the sample indicators"
run "$ANALYZE" scorecard --year 2024 --chart "$WORK/scorecard.svg"
expect_rc 0 "scorecard chart"
expect_no_overlap "$WORK/scorecard.svg" "scorecard chart"

# --- an element's own target (targets.csv on the element 'results') in the profile ---------
cp -r "$SIPAS_SOURCE/surveys" "$WORK/surveys"
printf '%s\n' 'sipas_results,province,lang_son,2025,0.95,>=,test,,Kết quả giải quyết TTHC,Results' \
  >>"$WORK/surveys/targets.csv"
SIPAS_SURVEYS="$WORK/surveys" run "$ANALYZE" plot --form sipas2017 --kind profile \
  --out "$WORK/own.svg" --keep-script "$WORK/own.gp"
expect_rc 0 "profile with an element's own target"
expect_in_file "$WORK/own.svg" "Mục tiêu riêng của yếu tố (targets.csv)" "profile key of the element's target"
expect_in_file "$WORK/own.svg" "Mục tiêu chung 2025: 90%" "profile key of the overall target"
checks=$((checks + 1))
[ "$(sed -n '/^\$own << EOD/,/^EOD/p' "$WORK/own.gp" | grep -c '^95 ')" -eq 2 ] ||
  fail "the profile does not draw the results element's 95% target across its row"
expect_no_overlap "$WORK/own.svg" "profile with an element's own target"

# --- a degenerate design (one commune in a district-wave) ---------------------------------
export SIPAS_DB="$WORK/degenerate.db"
run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/tests/fixtures/review/degenerate_sipas2017.csv"
expect_rc 0 "import the degenerate design"
for kind in trend ranking heatmap; do
  run "$ANALYZE" plot --form sipas2017 --kind "$kind" --wave 2022 --lang en \
    --out "$WORK/degenerate_$kind.svg"
  expect_rc 0 "plot $kind on the degenerate design"
  expect_no_overlap "$WORK/degenerate_$kind.svg" "plot $kind on the degenerate design"
done
finish
