#!/usr/bin/env bash
# sipas-collect instrument --from FORM.xlsx: an XLSForm workbook (written by libxlsxwriter from
# tests/fixtures/xlsform, made by make_xlsform.py from surveys/sipas2017) becomes an instrument
# folder that scores the sample data exactly as sipas2017 does; forms sipas cannot use are
# refused with a message that names the sheet and row, and leave no folder behind.
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
WRITE="$SIPAS_BUILD/write_table_fixture"
FORM="$SIPAS_SOURCE/tests/fixtures/xlsform"
mkdir -p "$WORK/sv"

"$WRITE" xlsx-sheets "$WORK/form.xlsx" survey="$FORM/survey.csv" choices="$FORM/choices.csv" \
  settings="$FORM/settings.csv" || fail "write the XLSForm"
run "$COLLECT" instrument --from "$WORK/form.xlsx" --out "$WORK/sv"; expect_rc 0 "instrument --from"
expect_out "sipas2017_kobo version 1" "instrument --from"
expect_out "36 items, 22 criteria in 5 elements, 8 choice lists" "instrument --from"
expect_err "form.xlsx[survey]:2: 'start' (start) has no column in a batch; left out" "meta row note"
expect_err "elements.csv made from the 5 groups that hold criteria" "elements note"

# the same data, the same index as the hand-written sipas2017
run "$COLLECT" import --db "$WORK/a.db" --form sipas2017 "$SAMPLE"; expect_rc 0 "import sipas2017"
run "$COLLECT" import --db "$WORK/b.db" --surveys "$WORK/sv" --form sipas2017_kobo "$SAMPLE"
expect_rc 0 "import sipas2017_kobo"
"$ANALYZE" index --db "$WORK/a.db" --form sipas2017 --by district --format csv > "$WORK/a.idx"
"$ANALYZE" index --db "$WORK/b.db" --surveys "$WORK/sv" --form sipas2017_kobo --by district \
  --format csv > "$WORK/b.idx"
[ "$(wc -l < "$WORK/a.idx")" -gt 100 ] || fail "no index from sipas2017"
cmp -s "$WORK/a.idx" "$WORK/b.idx" || fail "the converted form scores differently: $(diff "$WORK/a.idx" "$WORK/b.idx" | head -5)"
checks=$((checks + 2))

# an instrument is never overwritten
run "$COLLECT" instrument --from "$WORK/form.xlsx" --out "$WORK/sv"; expect_rc 1 "existing folder"
expect_err "an instrument is never overwritten" "existing folder"

# forms sipas cannot use: a located message, no folder left
bad_form() { # name survey-csv-text expected-message
  printf '%b' "$2" > "$WORK/$1_survey.csv"
  printf 'list_name,name,label::vi\nsat5,1,Không hài lòng\nsat5,2,Hài lòng\n' > "$WORK/$1_choices.csv"
  printf 'form_id,version\n%s,1\n' "$1" > "$WORK/$1_settings.csv"
  "$WRITE" xlsx-sheets "$WORK/$1.xlsx" survey="$WORK/$1_survey.csv" choices="$WORK/$1_choices.csv" \
    settings="$WORK/$1_settings.csv" || fail "write $1"
  run "$COLLECT" instrument --from "$WORK/$1.xlsx" --out "$WORK/sv"; expect_rc 1 "$1"
  expect_err "$3" "$1"
  checks=$((checks + 1))
  [ ! -e "$WORK/sv/$1" ] || fail "$1: a folder was left behind"
}
bad_form no_role 'type,name,label::vi\ntext,id,Mã\nselect_one sat5,q1,Câu 1\n' \
  "no_role.xlsx[survey]: the form has no 'role' column, so sipas cannot know its design"
bad_form multi 'type,name,label::vi,role\ntext,id,Mã,id\nselect_multiple sat5,q1,Câu 1,criterion\n' \
  "multi.xlsx[survey]:3: 'q1' is select_multiple"
bad_form french 'type,name,label::Français (fr),role\ntext,id,Code,id\n' \
  "french.xlsx[survey]: no label column in Vietnamese or English"
bad_form no_element 'type,name,label::vi,role\ntext,id,Mã,id\ninteger,wave,Năm,wave\ntext,c,Xã,cluster\nselect_one sat5,q1,Câu 1,criterion\n' \
  "no_element.xlsx[survey]:5: "
run "$COLLECT" instrument --from "$SAMPLE" --out "$WORK/sv"; expect_rc 1 "a CSV given"
expect_err "an XLSForm is a workbook (.xlsx, .xls or .ods), but this is a csv file" "a CSV given"

finish
