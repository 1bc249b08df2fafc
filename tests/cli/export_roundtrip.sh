#!/usr/bin/env bash
# Every export imports again unchanged: codes, labels, and the --excel form (byte order mark,
# ';', decimal comma) each go into a fresh store whose export equals the first one (personal
# columns stay the same keyed hashes, batch_id is ignored on import), with the same index.
# Numbers are written with the fewest digits that read back exactly. A rejects file, corrected,
# imports as it is (its row and problems columns are ignored).
source "$SIPAS_SOURCE/tests/cli/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample/sipas2017_2024_labels_vi.csv"
cd "$WORK"

index_of() { "$ANALYZE" index --db "$1" --form sipas2017 --by district --format csv; }

run "$COLLECT" import --db a.db --form sipas2017 "$SAMPLE"
expect_rc 0 "import the sample"
"$COLLECT" export --db a.db --form sipas2017 > codes.csv
index_of a.db > a.index

# the weight typed 2449.40 is the double 2449.4000000000001; written as 2449.4
checks=$((checks + 1))
grep -q '^vi-2024-000001,2024,tp_lang_son,tp_lang_son-commune-02,2449.4,' codes.csv ||
  fail "shortest weight: $(sed -n 2p codes.csv | cut -c1-80)"
checks=$((checks + 1))
! grep -Eq '[0-9]\.[0-9]{15,}' codes.csv || fail "a number with 15 or more decimals"

# roundtrip NAME FILE [EXPORT OPTIONS...]: FILE into a fresh store; its export in the same
# options must equal FILE, its codes export codes.csv, its index a.index
roundtrip() {
  local name=$1 file=$2
  shift 2
  run "$COLLECT" import --db "$name.db" --form sipas2017 "$file"
  expect_rc 0 "$name: import the export"
  "$COLLECT" export --db "$name.db" --form sipas2017 "$@" > "$name.again"
  "$COLLECT" export --db "$name.db" --form sipas2017 > "$name.codes"
  checks=$((checks + 3))
  cmp -s "$file" "$name.again" || fail "$name: export of the re-import differs"
  cmp -s codes.csv "$name.codes" || fail "$name: stored values differ"
  [ "$(index_of "$name.db")" = "$(cat a.index)" ] || fail "$name: index differs"
}

roundtrip codes codes.csv
"$COLLECT" export --db a.db --form sipas2017 --labels vi > labels.csv
roundtrip labels labels.csv --labels vi
"$COLLECT" export --db a.db --form sipas2017 --excel > excel.csv
expect_equal "$(head -c 3 excel.csv | od -An -tx1 | tr -d ' ')" "efbbbf" "--excel: byte order mark"
checks=$((checks + 1))
grep -q '^vi-2024-000001;2024;tp_lang_son;tp_lang_son-commune-02;2449,4;' excel.csv ||
  fail "--excel: ';' and decimal comma: $(sed -n 2p excel.csv | cut -c1-80)"
roundtrip excel excel.csv --excel
"$COLLECT" export --db a.db --form sipas2017 --excel --labels vi > excel_labels.csv
roundtrip excel_labels excel_labels.csv --excel --labels vi

run "$COLLECT" export --db a.db --form sipas2017 --excel --sep ,
expect_rc 2 "--excel with --sep ,"
expect_err "--excel writes ';' between fields; leave out --sep ','" "--excel with --sep ,"

# a rejects file for Excel, corrected, imports as it is
awk -F';' 'NR == 3 { OFS = ";"; $1 = "r-bad"; $15 = "Hai long lam" } { print }' "$SAMPLE" | head -n 5 > bad.csv
run "$COLLECT" import --db r.db --form sipas2017 --keep-valid --excel bad.csv
expect_rc 0 "--keep-valid"
expect_out "3 rows stored, 1 rejected" "--keep-valid"
expect_equal "$(head -c 3 bad.rejects.csv | od -An -tx1 | tr -d ' ')" "efbbbf" "rejects: byte order mark"
sed -i 's/;Hai long lam;/;Hài lòng;/' bad.rejects.csv
run "$COLLECT" import --db r.db --form sipas2017 bad.rejects.csv
expect_rc 0 "the corrected rejects file"
expect_out "1 rows stored" "the corrected rejects file"

finish
