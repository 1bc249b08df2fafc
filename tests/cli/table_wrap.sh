#!/usr/bin/env bash
# Terminal tables never cut a label: a long criterion name in the index table, a long field
# name in the ranking and a long target name in the scorecard wrap within their column (the first line in the row, the rest on
# lines under it, indented like the label), and no "…" is printed.
source "$(dirname "$0")/lib.bash"

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"
run "$COLLECT" indicators import "$SIPAS_SOURCE/surveys/sample/indicators_2021-2024.csv"
expect_rc 0 "import the sample indicators"

run "$ANALYZE" index --form sipas2017 --wave 2024
expect_rc 0 "index table"
# "Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả kết quả có đủ chỗ ngồi" (64 characters, indented
# 4, in a 46-column cell): its first line carries the numbers, the rest is under it.
checks=$((checks + 1))
grep -qE '^    Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả +2110 ' "$WORK/out" ||
  fail "index: the criterion's first line with its row"
checks=$((checks + 1))
grep -qx '    kết quả có đủ chỗ ngồi' "$WORK/out" || fail "index: the rest of the criterion's name under it"
checks=$((checks + 1))
! grep -q '…' "$WORK/out" || fail "index: a label is cut: $(grep -m1 '…' "$WORK/out")"
# the wrapped row keeps the table's columns: n ends where it ends on the overall row (the
# label cell is 46 columns and a space, n is right-aligned in 7)
checks=$((checks + 1))
grep -qxE '    Nơi ngồi chờ tại Bộ phận Tiếp nhận và Trả {5}2110 .*' "$WORK/out" &&
  grep -qxE 'Chỉ số hài lòng chung {29}2200 .*' "$WORK/out" ||
  fail "index: the wrapped row's numbers are not in the table's columns"

# the ranking of fields: a long field name wraps under itself, its rank and numbers in line
run "$ANALYZE" rank --form sipas2017 --unit sector --wave 2024
expect_rc 0 "rank by sector"
checks=$((checks + 1))
grep -qxE ' +[0-9]+ Tư pháp, hộ tịch, {9}[0-9]{2},[0-9]{2}% .*' "$WORK/out" &&
  grep -qx '     chứng thực' "$WORK/out" || fail "rank: the field's name does not wrap in its column"
checks=$((checks + 1))
! grep -q '…' "$WORK/out" || fail "rank: a label is cut"

run "$ANALYZE" scorecard --year 2024
expect_rc 0 "scorecard table"
checks=$((checks + 1))
grep -qE '^a    Tỷ lệ văn bản quy phạm pháp luật của tỉnh +≥100,00% \(2025\)' "$WORK/out" ||
  fail "scorecard: the target's first line with its row"
checks=$((checks + 1))
grep -qx '     hình thức, trình tự, thủ tục' "$WORK/out" || fail "scorecard: the name's last line under it"
checks=$((checks + 1))
! grep -q '…' "$WORK/out" || fail "scorecard: a label is cut"
finish
