#!/usr/bin/env bash
# Terminal tables never cut a label: a long criterion name in the index table, a long field
# name in the ranking, a long target name in the scorecard, a long answer level in answers and a
# long group in profile wrap within their column (the first line in the row, the rest on lines
# under it, indented like the label), and no "…" is printed.
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

# chars_to TEXT FILE LINE-START: the characters (not bytes) before TEXT on the first line of FILE
# that starts with LINE-START, so that columns can be compared across rows of accented labels.
chars_to() {
  TEXT="$1" START="$3" perl -CSD -ne 'BEGIN { ($text, $start) = @ENV{qw(TEXT START)};
      utf8::decode($text); utf8::decode($start) }
    if (index($_, $start) == 0) { print index($_, $text); $found = 1; exit }
    END { print "no line starting \"$start\"" unless $found }' "$2"
}

# expect_wrapped WHAT FIRST REST MARK ROW: in $WORK/out a line matches the regex FIRST (the
# label's first line with the row's numbers) and the line REST (the rest of the label, in its
# column) follows it; MARK stands in the wrapped row at the same character as in the line that
# starts with ROW (an unwrapped row), and no label is cut.
expect_wrapped() {
  checks=$((checks + 1))
  grep -A1 -E "$2" "$WORK/out" | tail -n +2 | grep -qx -- "$3" ||
    fail "$1: the label does not wrap in its column"
  expect_equal "$(chars_to "$4" "$WORK/out" "$(grep -m1 -oE "$2" "$WORK/out" | cut -c1-8)")" \
               "$(chars_to "$4" "$WORK/out" "$5")" "$1: the wrapped row's numbers in their columns"
  checks=$((checks + 1))
  ! grep -q '…' "$WORK/out" || fail "$1: a label is cut"
}

# answers: the 0-10 scale's end labels ("0 - Hoàn toàn không giới thiệu", 30 characters) wrap
# within their 24-column cell
run "$COLLECT" import --form sipas2017_business \
  "$SIPAS_SOURCE/surveys/sample/sipas2017_business_2023-2024.csv"
expect_rc 0 "import the business sample"
run "$ANALYZE" answers --form sipas2017_business --wave 2024
expect_rc 0 "answers table"
expect_wrapped answers '^  0 - Hoàn toàn không +[0-9]+,[0-9]{2}%  \(' '  giới thiệu' '%  (' '  1  '

# profile: "Nông nghiệp và phát triển nông thôn" (35 characters) in its 34-column cell
run "$ANALYZE" profile --form sipas2017 --wave 2024
expect_rc 0 "profile table"
expect_wrapped profile '^  Nông nghiệp và phát triển nông +[0-9]+ +[0-9]+,[0-9]{2}% +[0-9]+,[0-9]{2}%$' \
  '  thôn' '%' '  Đất đai'
finish
