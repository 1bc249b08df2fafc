#!/usr/bin/env bash
# Excel, SPSS, Stata and SAS batches: the sample data written by libxlsxwriter and ReadStat's writer
# (tests/write_table_fixture.c), and by `export --format sav|dta`, each imports to the same
# store contents as the CSV (compared through `sipas-analyze index`); bad files get located
# messages and leave the store as it was.
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
WRITE="$SIPAS_BUILD/write_table_fixture"

index_of() { # store -> the 2024 index by district, as CSV
  "$ANALYZE" index --db "$1" --form sipas2017 --wave 2024 --by district --format csv
}

run "$COLLECT" import --db "$WORK/csv.db" --form sipas2017 "$SAMPLE"; expect_rc 0 "import CSV"
index_of "$WORK/csv.db" > "$WORK/csv.idx"
[ -s "$WORK/csv.idx" ] || fail "no index from the CSV store"

# the same data written by the real tools; the names say nothing (content decides)
"$WRITE" xlsx "$SAMPLE" "$WORK/sample.xlsx" --sheet "Phiếu" || fail "write xlsx"
"$WRITE" sav "$SAMPLE" "$WORK/sample.sav" || fail "write sav"
"$WRITE" dta "$SAMPLE" "$WORK/sample.dta" || fail "write dta"
for f in zsav sas7bdat xpt; do "$WRITE" $f "$SAMPLE" "$WORK/sample.$f" || fail "write $f"; done
cp "$WORK/sample.xlsx" "$WORK/sample_xlsx_named.csv"
for f in sample.xlsx sample.sav sample.zsav sample.dta sample.sas7bdat sample.xpt sample_xlsx_named.csv; do
  run "$COLLECT" import --db "$WORK/$f.db" --form sipas2017 "$WORK/$f"; expect_rc 0 "import $f"
  expect_out "13200 rows stored" "import $f"
  index_of "$WORK/$f.db" > "$WORK/$f.idx"
  cmp -s "$WORK/csv.idx" "$WORK/$f.idx" || fail "$f: index differs from the CSV's"
  checks=$((checks + 1))
done
run "$COLLECT" check --form sipas2017 --sheet "Phiếu" "$WORK/sample.xlsx"; expect_rc 0 "--sheet"
run "$COLLECT" check --form sipas2017 --sheet Data "$WORK/sample.xlsx"; expect_rc 1 "no such sheet"
expect_err "no sheet named 'Data' (the sheets are 'Phiếu', 'Notes')" "no such sheet"
run "$COLLECT" check --form sipas2017 --sheet Data "$SAMPLE"; expect_rc 2 "--sheet on CSV"
expect_err "--sheet applies to spreadsheets, but this is a csv file" "--sheet on CSV"

# legacy .xls (xlwt) and OpenDocument .ods (odfpy): tests/fixtures/table/make_table_fixtures.py
TABLES="$SIPAS_SOURCE/tests/fixtures/table"
MINI="$TABLES/mini_batch"
# mini_batch_repeats.ods: runs of equal cells and the unused rows and columns as repeated cells,
# as LibreOffice saves a sheet
for f in mini_batch.csv mini_batch.xls mini_batch.ods mini_batch_repeats.ods; do
  run "$COLLECT" import --db "$WORK/$f.db" --surveys "$SIPAS_SOURCE/tests/fixtures/import" \
    --form mini "$TABLES/$f"; expect_rc 0 "import $f"; expect_out "24 rows stored" "import $f"
  "$ANALYZE" index --db "$WORK/$f.db" --surveys "$SIPAS_SOURCE/tests/fixtures/import" --form mini \
    --by district --format csv > "$WORK/$f.idx"
done
[ "$(wc -l < "$WORK/mini_batch.csv.idx")" -gt 2 ] || fail "no index of the mini batch"
for f in mini_batch.xls mini_batch.ods mini_batch_repeats.ods; do
  cmp -s "$WORK/mini_batch.csv.idx" "$WORK/$f.idx" || fail "$f: index differs from the CSV's"
  checks=$((checks + 1))
done
run "$COLLECT" check --surveys "$SIPAS_SOURCE/tests/fixtures/import" --form mini --sheet "Ghi chú" "$MINI.xls"
expect_rc 1 "xls notes sheet"; expect_err "mini_batch.xls[Ghi chú]:1: column 'notes' (cell A1): not a column" "xls notes sheet"

# labelled exports for SPSS and Stata, read back
for f in sav dta; do
  run "$COLLECT" export --db "$WORK/csv.db" --form sipas2017 --format $f --out "$WORK/export.$f"
  expect_rc 0 "export --format $f"; expect_err "13200 cases" "export --format $f"
  run "$COLLECT" import --db "$WORK/export_$f.db" --form sipas2017 "$WORK/export.$f"
  expect_rc 0 "import the $f export"
  index_of "$WORK/export_$f.db" > "$WORK/export_$f.idx"
  cmp -s "$WORK/csv.idx" "$WORK/export_$f.idx" || fail "$f export: index differs from the CSV's"
  checks=$((checks + 1))
done
run "$COLLECT" export --db "$WORK/csv.db" --form sipas2017 --format dta --out "$WORK/no/such/dir.dta"
expect_rc 3 "export to a missing folder"; expect_err "cannot write '$WORK/no/such/dir.dta'" "export to a missing folder"
run "$COLLECT" export --db "$WORK/csv.db" --form sipas2017 --format sav; expect_rc 2 "sav to stdout"
expect_err "--format sav writes a binary file: name it with --out FILE" "sav to stdout"

# bad files: a located message, and the store as it was
head -60 "$SAMPLE" > "$WORK/small.csv"
"$WRITE" xlsx "$WORK/small.csv" "$WORK/merged.xlsx" --merge-header || fail "write merged"
"$WRITE" xlsx "$WORK/small.csv" "$WORK/dated.xlsx" --date-column wave || fail "write dated"
sed 's/^2019-000003,2019,/2019-000003,hai nghin,/' "$WORK/small.csv" > "$WORK/badcell.csv"
"$WRITE" xlsx "$WORK/badcell.csv" "$WORK/badcell.xlsx" || fail "write badcell"
head -c 300000 "$WORK/sample.xlsx" > "$WORK/cut.xlsx"
cp "$WORK/sample.xlsx" "$WORK/flipped.xlsx" # one byte of the compressed sheet overwritten
at=$(grep -obUa "xl/worksheets/sheet1.xml" "$WORK/flipped.xlsx" | head -1 | cut -d: -f1)
printf 'XXXX' | dd of="$WORK/flipped.xlsx" bs=1 seek=$((at + 400)) conv=notrunc status=none
head -c 100000 "$WORK/sample.sav" > "$WORK/cut.sav"
head -c 100000 "$WORK/sample.dta" > "$WORK/cut.dta"
"$COLLECT" batches --db "$WORK/csv.db" > "$WORK/batches.before"
for f in cut.xlsx flipped.xlsx cut.sav cut.dta merged.xlsx dated.xlsx badcell.xlsx; do
  run "$COLLECT" import --db "$WORK/csv.db" --form sipas2017 --replace "$WORK/$f"; expect_rc 1 "$f refused"
  mv "$WORK/err" "$WORK/$f.err"
done
grep -qF "cut.xlsx: cannot open the archive: the workbook is damaged or not a workbook" "$WORK/cut.xlsx.err" \
  || fail "cut.xlsx: $(cat "$WORK/cut.xlsx.err")"
grep -qF "flipped.xlsx: xl/worksheets/sheet1.xml: the workbook is damaged or not a workbook" \
  "$WORK/flipped.xlsx.err" || fail "flipped.xlsx: $(cat "$WORK/flipped.xlsx.err")"
grep -qF "cut.sav: not a readable SPSS file" "$WORK/cut.sav.err" || fail "cut.sav: $(cat "$WORK/cut.sav.err")"
grep -qF "cut.dta: not a readable Stata file" "$WORK/cut.dta.err" || fail "cut.dta: $(cat "$WORK/cut.dta.err")"
grep -qF "merged.xlsx[Sheet1]:1: column 'Phiếu khảo sát' (cell A1): not a column" "$WORK/merged.xlsx.err" \
  || fail "merged: $(head -3 "$WORK/merged.xlsx.err")"
grep -qF "header cells A1:C1 are merged: unmerge them" "$WORK/merged.xlsx.err" \
  || fail "merged: $(tail -1 "$WORK/merged.xlsx.err")"
grep -qF "dated.xlsx[Sheet1]:2: column 'wave' (cell B2): '1905-07-11' is not a whole number (the cell is formatted as a date: format the column as a number)" \
  "$WORK/dated.xlsx.err" || fail "dated: $(head -3 "$WORK/dated.xlsx.err")"
grep -qF "badcell.xlsx[Sheet1]:4: column 'wave' (cell B4): 'hai nghin' is not a whole number" \
  "$WORK/badcell.xlsx.err" || fail "badcell: $(head -3 "$WORK/badcell.xlsx.err")"
checks=$((checks + 8))
"$COLLECT" batches --db "$WORK/csv.db" > "$WORK/batches.after"
cmp -s "$WORK/batches.before" "$WORK/batches.after" || fail "a refused file changed the batches"
index_of "$WORK/csv.db" > "$WORK/csv_after.idx"
cmp -s "$WORK/csv.idx" "$WORK/csv_after.idx" || fail "a refused file changed the index"
checks=$((checks + 2))

finish
