#!/usr/bin/env bash
# sipas-analyze plot and report on the sample data: every chart kind in every format (file
# signatures, sizes, the labels inside the SVG), the HTML report (sections, inline SVG, no URL,
# decimal commas in Vietnamese, English labels), the CSV tables, the xlsx workbook (a zip whose
# xl/workbook.xml names the sheets), and the exit codes without gnuplot or with bad options.
source "$(dirname "$0")/lib.bash"

checks=$((checks + 1))
command -v unzip >/dev/null || fail "unzip is not installed (scripts/install-deps installs it)"

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

# expect_file PATH MIN_BYTES SIGNATURE_HEX description: the file exists, is at least MIN_BYTES
# and starts with the bytes given in hex.
expect_file() {
  checks=$((checks + 1))
  if [ ! -f "$1" ]; then
    fail "$4: '$1' was not written"
    return
  fi
  local size head
  size=$(stat -c %s "$1")
  head=$(head -c $((${#3} / 2)) "$1" | od -An -tx1 | tr -d ' \n')
  [ "$size" -ge "$2" ] || fail "$4: '$1' has $size bytes, expected at least $2"
  [ "$head" = "$3" ] || fail "$4: '$1' starts with $head, expected $3"
}

expect_in_file() { # file fixed-string description
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$3: '$1' lacks '$2'"
}

expect_not_in_file() { # file extended-regex description
  checks=$((checks + 1))
  if grep -qE -- "$2" "$1"; then
    fail "$3: '$1' has '$(grep -oE -- "$2" "$1" | head -1)'"
  fi
}

PNG=89504e470d0a1a0a
PDF=255044462d     # %PDF-
SVG=3c3f786d6c     # <?xml
ZIP=504b0304       # PK\3\4

# --- every kind in every format -------------------------------------------------------------
for kind in trend ranking profile heatmap; do
  for ext in png svg pdf; do
    run "$ANALYZE" plot --form sipas2017 --kind "$kind" --wave 2024 --out "$WORK/$kind.$ext"
    expect_rc 0 "plot $kind $ext"
  done
  expect_file "$WORK/$kind.png" 15000 "$PNG" "plot $kind png"
  expect_file "$WORK/$kind.pdf" 5000 "$PDF" "plot $kind pdf"
  expect_file "$WORK/$kind.svg" 5000 "$SVG" "plot $kind svg"
  expect_in_file "$WORK/$kind.svg" "<svg" "plot $kind svg element"
done
# The labels the review put on each chart, in Vietnamese with decimal commas.
expect_in_file "$WORK/trend.svg" "Toàn tỉnh" "trend legend"
expect_in_file "$WORK/trend.svg" "90% (2025)" "trend target 2025"
expect_in_file "$WORK/trend.svg" "95% (2030)" "trend target 2030"
expect_in_file "$WORK/trend.svg" "2030" "trend axis reaches 2030"
expect_in_file "$WORK/trend.svg" "Năm khảo sát" "trend x label"
expect_in_file "$WORK/ranking.svg" "Đình Lập" "ranking unit label"
expect_in_file "$WORK/ranking.svg" "Bình Gia" "ranking unit label"
expect_in_file "$WORK/ranking.svg" "Mục tiêu 2025: 90%" "ranking target legend"
expect_in_file "$WORK/ranking.svg" "Dưới mục tiêu" "ranking below-target legend"
expect_in_file "$WORK/ranking.svg" "Toàn tỉnh: 90,19%" "ranking province line, decimal comma"
expect_in_file "$WORK/profile.svg" "Thủ tục hành chính" "profile element label"
expect_in_file "$WORK/profile.svg" "2023" "profile previous wave"
expect_in_file "$WORK/heatmap.svg" "Cao Lộc" "heat map row"
expect_in_file "$WORK/heatmap.svg" "≥ 90% (mục tiêu 2025)" "heat map key: green from the target"
expect_in_file "$WORK/heatmap.svg" "80% đến dưới 90%" "heat map key: amber band"
# Values printed on the chart: a decimal comma in Vietnamese, a point in English.
checks=$((checks + 1))
grep -qE '>[0-9]{2},[0-9]<' "$WORK/heatmap.svg" || fail "heat map cells carry no 'dd,d' value"
run "$ANALYZE" plot --form sipas2017 --kind heatmap --wave 2024 --lang en --out "$WORK/heat_en.svg"
expect_rc 0 "plot heatmap en"
checks=$((checks + 1))
grep -qE '>[0-9]{2}\.[0-9]<' "$WORK/heat_en.svg" || fail "English heat map cells carry no 'dd.d' value"
expect_in_file "$WORK/heat_en.svg" "80% to under 90%" "English heat map key"

# A kept script redraws the chart.
run "$ANALYZE" plot --form sipas2017 --kind trend --out "$WORK/kept.png" --keep-script "$WORK/kept.gp"
expect_rc 0 "plot with --keep-script"
expect_in_file "$WORK/kept.gp" "EOD" "kept script holds its data"
rm -f "$WORK/kept.png"
(cd "$WORK" && gnuplot -d kept.gp) >"$WORK/out" 2>"$WORK/err"
rc=$?
expect_rc 0 "gnuplot redraws the kept script"
expect_file "$WORK/kept.png" 15000 "$PNG" "redrawn chart"

# --- options and failures -------------------------------------------------------------------
run "$ANALYZE" plot --form sipas2017 --kind pie --out "$WORK/x.png"
expect_rc 2 "unknown kind"
expect_err "--kind 'pie'" "unknown kind message"
run "$ANALYZE" plot --form sipas2017 --kind trend --out "$WORK/x.gif"
expect_rc 2 "unknown extension"
expect_err ".png, .svg or .pdf" "extension message"
run "$ANALYZE" plot --form sipas2017 --kind trend
expect_rc 2 "plot without --out"
run "$ANALYZE" plot --form sipas2017 --kind trend --wave 2031 --out "$WORK/x.png"
expect_rc 1 "a wave that is not in the data"
run "$ANALYZE" report --form sipas2017 --wave 2024
expect_rc 2 "report without --out"
# Without gnuplot on PATH: the plot module's message, exit code 1, nothing written.
nognuplot="$WORK/nognuplot"
mkdir -p "$nognuplot"
run env PATH="$nognuplot" "$ANALYZE" plot --form sipas2017 --kind trend --out "$WORK/none.png"
expect_rc 1 "plot without gnuplot"
expect_err "gnuplot is not installed; install the Debian package gnuplot-nox" "no gnuplot message"
checks=$((checks + 1))
[ ! -e "$WORK/none.png" ] || fail "a chart was written without gnuplot"
run env PATH="$nognuplot" "$ANALYZE" report --form sipas2017 --out "$WORK/none.html"
expect_rc 1 "report without gnuplot"
expect_err "gnuplot is not installed" "report without gnuplot message"
checks=$((checks + 1))
[ ! -e "$WORK/none.html" ] || fail "a report was written without gnuplot"

# --- the report, Vietnamese -----------------------------------------------------------------
run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/review.html" --csv "$WORK/csv" \
    --xlsx "$WORK/review.xlsx"
expect_rc 0 "report vi"
html="$WORK/review.html"
expect_file "$html" 50000 3c21444f4354595045 "report html" # <!DOCTYPE
for id in summary targets change trend scorecard ranking elements criteria methods; do
  expect_in_file "$html" "id=\"$id\"" "section $id"
done
for words in "Tóm tắt" "Mục tiêu" "Thay đổi so với năm trước" "Xu hướng" "Xếp hạng đơn vị" \
             "Các yếu tố" "Kết quả theo tiêu chí" "Phụ lục: phương pháp" "Có nguy cơ không đạt" \
             "Nghị quyết 60-NQ/TU" "Quy tắc:" "Korn-Graubard" "docs/methodology.md" \
             "tuyến tính hóa Taylor" "Hiệu ứng thiết kế"; do
  expect_in_file "$html" "$words" "report vi words"
done
checks=$((checks + 1))
nsvg=$(grep -c '^<svg role="img"' "$html")
[ "$nsvg" -eq 6 ] || fail "report: $nsvg inline charts, expected 6 (trend, scorecard, ranking, trend by unit, profile, heat map)"
expect_not_in_file "$html" 'https?://' "no URL in the page"
expect_not_in_file "$html" '<script|<link |@import|url\(http|<\?xml|<!DOCTYPE svg' "self-contained"
expect_not_in_file "$html" 'id="gpPt|href="#gpPt|href=.#gpPt' "chart ids are prefixed"
expect_in_file "$html" "id='c4-gpPt" "fourth chart's ids"
# The headline figure with a decimal comma and its interval; year-on-year change in points.
checks=$((checks + 1))
grep -qE '<div class="figure">[0-9]{2},[0-9]{2}%</div>' "$html" || fail "headline is not 'dd,dd%'"
checks=$((checks + 1))
grep -qE '<td class="num[a-z ]*">[+-][0-9]+,[0-9]{2}</td>' "$html" || fail "no change in points '+d,dd'"
expect_not_in_file "$html" '<td class="num[a-z ]*">[0-9]+\.[0-9]{2}%' "no decimal point in vi percentages"
# Suppressed values are shown greyed with the note, not hidden.
expect_in_file "$html" 'class="num suppressed"' "suppressed cells greyed"
expect_in_file "$html" "† Giá trị in nghiêng màu xám" "suppression footnote"

# CSV: one file per table, numbers with a decimal point.
for t in targets change series scorecard ranking elements criteria; do
  checks=$((checks + 1))
  [ -s "$WORK/csv/$t.csv" ] || fail "csv table $t missing"
done
expect_in_file "$WORK/csv/criteria.csv" "Cấp,Nội dung,n,Chỉ số (%)" "criteria csv header"
checks=$((checks + 1))
grep -qE '^tiêu chí,Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả kết quả có đủ chỗ ngồi,[0-9]+,[0-9]{2}\.[0-9]+,' "$WORK/csv/criteria.csv" ||
  fail "criteria csv row access_seating"
checks=$((checks + 1))
[ "$(wc -l <"$WORK/csv/ranking.csv")" -eq 13 ] || fail "ranking csv: header, province, 11 districts"

# xlsx: a zip with one sheet per table, numbers as numbers with percentage formats.
expect_file "$WORK/review.xlsx" 5000 "$ZIP" "workbook"
unzip -l "$WORK/review.xlsx" >"$WORK/out" 2>"$WORK/err"
rc=$?
expect_rc 0 "unzip lists the workbook"
expect_out "xl/workbook.xml" "workbook part"
expect_out "xl/worksheets/sheet6.xml" "six sheets"
unzip -p "$WORK/review.xlsx" xl/workbook.xml >"$WORK/out" 2>"$WORK/err"
for sheet in "Mục tiêu" "Thay đổi" "Chuỗi năm" "Xếp hạng" "Yếu tố" "Tiêu chí"; do
  expect_out "name=\"$sheet\"" "sheet $sheet"
done
unzip -p "$WORK/review.xlsx" xl/styles.xml >"$WORK/out" 2>"$WORK/err"
expect_out 'formatCode="0.00%"' "percentage format"
expect_out 'formatCode="+0.00;-0.00;0.00"' "points format"
unzip -p "$WORK/review.xlsx" xl/worksheets/sheet6.xml >"$WORK/out" 2>"$WORK/err"
checks=$((checks + 1))
grep -qE '<c r="E4" s="[0-9]+"><v>0\.[0-9]+</v></c>' "$WORK/out" ||
  fail "criteria sheet: the overall index is not a proportion stored as a number"

# --- the report, English --------------------------------------------------------------------
run "$ANALYZE" report --form sipas2017 --wave 2024 --lang en --out "$WORK/review_en.html" \
    --xlsx "$WORK/review_en.xlsx"
expect_rc 0 "report en"
for words in '<html lang="en">' "Summary" "Targets" "Change since last year" "Ranking of units" \
             "Appendix: methods" "At risk" "Taylor linearisation"; do
  expect_in_file "$WORK/review_en.html" "$words" "report en words"
done
checks=$((checks + 1))
grep -qE '<div class="figure">[0-9]{2}\.[0-9]{2}%</div>' "$WORK/review_en.html" ||
  fail "English headline is not 'dd.dd%'"
unzip -p "$WORK/review_en.xlsx" xl/workbook.xml >"$WORK/out" 2>"$WORK/err"
expect_out 'name="Criteria"' "English sheet names"

# An earlier report survives a failed run (written through a temporary file).
cp "$html" "$WORK/before.html"
run env PATH="$nognuplot" "$ANALYZE" report --form sipas2017 --out "$html"
expect_rc 1 "failed report run"
checks=$((checks + 1))
cmp -s "$html" "$WORK/before.html" || fail "a failed run changed the earlier report"

# answers: the distribution behind each criterion's index, as a table, CSV and JSON
run "$ANALYZE" answers --form sipas2017 --wave 2024 --lang en
expect_rc 0 "answers table"
expect_out "Very satisfied" "answers names the levels"
expect_out "2110 valid; empty 3, don't know 40, not applicable 41, refused 6" "answers counts the missing kinds"
run "$ANALYZE" answers --form sipas2017 --wave 2024 --format csv
expect_rc 0 "answers csv"
checks=$((checks + 1))
# the satisfied levels (4, 5) of a criterion add up to its index (criteria.csv of the report)
awk -F, '$1 == "access_seating" && ($3 == 4 || $3 == 5) { s += $5 } END { exit !(s > 0.9260 && s < 0.9262) }' \
  "$WORK/out" || fail "answers: levels 4 and 5 of access_seating do not add up to its index 92.61%"
run "$ANALYZE" answers --form sipas2017 --wave 2024 --format json
expect_rc 0 "answers json"
checks=$((checks + 1))
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["criteria"]) == 22 and len(d["criteria"][0]["levels"]) == 5' "$WORK/out" ||
  fail "answers json: 22 criteria with 5 levels each"
run "$ANALYZE" answers --form sipas2017
expect_rc 2 "answers without --wave"

# profile: who answered, as a table, CSV and JSON
run "$ANALYZE" profile --form sipas2017 --wave 2024 --lang en
expect_rc 0 "profile table"
expect_out "Lang Son city                           88     4.00%     3.05%" "profile: a district's count, share and weighted share"
run "$ANALYZE" profile --form sipas2017 --wave 2024 --format csv
expect_rc 0 "profile csv"
checks=$((checks + 1))
# every attribute counts the wave's 2200 respondents once, its not-answered row included
awk -F, 'NR > 1 { n[$1] += $(NF - 2) } END { for (a in n) if (n[a] != 2200) exit 1 }' "$WORK/out" ||
  fail "profile csv: an attribute does not count 2200 respondents"
run "$ANALYZE" profile --form sipas2017 --wave 2024 --format json
expect_rc 0 "profile json"
run "$ANALYZE" profile --form sipas2017 --wave 2030
expect_rc 1 "profile of a wave without respondents"
run "$ANALYZE" profile --form sipas2017
expect_rc 2 "profile without --wave"

# A weighting is disclosed: the appendix names it and the summary gives the headline under the
# stored weights beside the weighted one.
run "$COLLECT" frame --form sipas2017 "$SIPAS_SOURCE/surveys/sample/frame_district.csv"
expect_rc 0 "store the district margin"
run "$ANALYZE" report --form sipas2017 --poststratify district --lang en --out "$WORK/post.html"
expect_rc 0 "report --poststratify district"
expect_in_file "$WORK/post.html" "Weights: post-stratified to district (11 cells)" "the appendix names the weighting"
expect_in_file "$WORK/post.html" "Note: this index uses adjusted weights (appendix); with the design weights stored with the data it is 90.19%" \
  "the summary gives the headline under the stored weights"

# Degenerate designs (issue 9; tests/fixtures/review/make_degenerate.py): one district-wave
# with a single commune. report and plot complete under every --lonely-psu rule; the rows
# concerned say "not estimable" and why; a 3-wave trend is drawn dotted with a note.
degenerate="$SIPAS_SOURCE/tests/fixtures/review"
export SIPAS_DB="$WORK/degenerate.db"
run "$COLLECT" import --form sipas2017 "$degenerate/degenerate_sipas2017.csv"
expect_rc 0 "import the degenerate design"
for rule in fail remove certainty adjust average; do
  run "$ANALYZE" report --form sipas2017 --wave 2022 --lonely-psu "$rule" --lang en \
    --out "$WORK/degenerate_$rule.html" --csv "$WORK/degenerate_$rule"
  expect_rc 0 "report --lonely-psu $rule on a one-PSU district-wave"
  checks=$((checks + 1))
  grep -q "not estimable: one cluster (PSU): no design-based variance" "$WORK/degenerate_$rule/ranking.csv" ||
    fail "report --lonely-psu $rule: the one-commune district is not said not estimable"
  checks=$((checks + 1))
  ! grep -qiwE 'nan|inf' "$WORK/degenerate_$rule"/*.csv || fail "report --lonely-psu $rule: nan or inf"
  for kind in trend ranking profile heatmap; do
    run "$ANALYZE" plot --form sipas2017 --kind "$kind" --wave 2022 --lonely-psu "$rule" \
      --out "$WORK/degenerate_${rule}_$kind.svg"
    expect_rc 0 "plot --kind $kind --lonely-psu $rule"
  done
done
expect_in_file "$WORK/degenerate_fail.html" "2022 has 1 such stratum: Dinh Lap." \
  "the appendix names the stratum with one PSU"
expect_equal "$(grep -c 'the province has no design-based variance this wave' "$WORK/degenerate_fail/ranking.csv")" 3 \
  "under fail the other units say the province has no variance in 2022"
run "$ANALYZE" plot --form sipas2017 --kind ranking --wave 2022 --lang en --out "$WORK/r.png" \
  --keep-script "$WORK/r.gp"
expect_rc 0 "ranking chart with a not estimable unit"
checks=$((checks + 1))
grep -q "Dinh Lap (not estimable)" "$WORK/r.gp" || fail "the ranking chart does not mark the unit"
export SIPAS_DB="$WORK/three.db"
run "$COLLECT" import --form sipas2017 "$degenerate/degenerate_sipas2017_3waves.csv"
run "$ANALYZE" plot --form sipas2017 --kind trend --lonely-psu remove --lang en \
  --out "$WORK/t3.png" --keep-script "$WORK/t3.gp"
expect_rc 0 "trend chart of 3 waves"
checks=$((checks + 1))
grep -q "dt (1,3)" "$WORK/t3.gp" || fail "a 3-wave projection is not dotted"
checks=$((checks + 1))
grep -q "uncertain projection: only 3 waves (5 wanted)" "$WORK/t3.gp" || fail "no note on the chart"
run "$ANALYZE" report --form sipas2017 --lonely-psu remove --lang en --out "$WORK/t3.html" --csv "$WORK/t3"
expect_rc 0 "report of 3 waves"
checks=$((checks + 1))
grep -q "uncertain projection: only 3 waves (5 wanted)" "$WORK/t3/series.csv" ||
  fail "the series table does not flag the projections"
checks=$((checks + 1))
grep -q "uncertain projection" "$WORK/t3/targets.csv" || fail "the targets table does not flag them"

finish
