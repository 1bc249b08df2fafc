#!/usr/bin/env bash
# Files in other encodings import to the same store contents as the UTF-8 original: the 60
# respondents of tests/fixtures/encodings (made by make.sh there with glibc iconv) as
# Windows-1258, TCVN3, UTF-16 LE with a BOM, UTF-16 BE without one and VNI (make_vni.py), each
# into its own store;
# the export (every stored value but the keyed hashes of personal columns) and `sipas-analyze index` must equal those of the UTF-8 file.
source "$SIPAS_SOURCE/tests/cli/lib.bash"
FIX="$SIPAS_SOURCE/tests/fixtures/encodings"

# import_into NAME FILE [OPTIONS...]: a fresh store $WORK/NAME.db, its export and its index
import_into() {
  local name=$1 file=$2
  shift 2
  run "$COLLECT" import --db "$WORK/$name.db" --form sipas2017 "$@" "$file"
  expect_rc 0 "$name: import"
  cp "$WORK/out" "$WORK/$name.import"
  # personal columns are hashed with each store's own key: left out of the comparison
  "$COLLECT" export --db "$WORK/$name.db" --form sipas2017 |
    awk -F, -v OFS=, '{ $13 = ""; $14 = ""; print }' > "$WORK/$name.export"
  "$ANALYZE" index --db "$WORK/$name.db" --form sipas2017 --by district --format csv \
    > "$WORK/$name.index"
}

import_into utf8 "$FIX/utf8.csv"
expect_equal "$(cat "$WORK/utf8.import")" "$FIX/utf8.csv: batch 1: 60 rows stored" "UTF-8 summary"
expect_equal "$(wc -l < "$WORK/utf8.export")" 61 "UTF-8 export rows"
for enc in cp1258:Windows-1258 tcvn3:"TCVN3 (ABC)" utf16:UTF-16LE utf16be:UTF-16BE vni:VNI; do
  name=${enc%%:*}
  import_into "$name" "$FIX/$name.csv"
  expect_equal "$(cat "$WORK/$name.import")" \
    "$FIX/$name.csv: batch 1: 60 rows stored (read as ${enc#*:})" "$name summary"
  checks=$((checks + 1))
  cmp -s "$WORK/utf8.export" "$WORK/$name.export" || fail "$name: export differs from UTF-8"
  checks=$((checks + 1))
  cmp -s "$WORK/utf8.index" "$WORK/$name.index" || fail "$name: index differs from UTF-8"
done

# files longer than the 64 KiB the encoding is detected from (and read in): the 300-row sample
# converted with glibc iconv here, so the decoder also runs on the chunks after detection
SAMPLE="$SIPAS_SOURCE/surveys/sample/sipas2017_2024_labels_vi.csv"
import_into big_utf8 "$SAMPLE"
for enc in CP1258:Windows-1258 TCVN5712-1:"TCVN3 (ABC)" VISCII:VISCII UTF-16:UTF-16LE; do
  name=big_${enc%%:*}
  iconv -f UTF-8 -t "${enc%%:*}" "$SAMPLE" > "$WORK/$name.csv"
  checks=$((checks + 1))
  [ "$(wc -c < "$WORK/$name.csv")" -gt 65536 ] || fail "$name: not longer than 64 KiB"
  import_into "$name" "$WORK/$name.csv"
  expect_equal "$(cat "$WORK/$name.import")" \
    "$WORK/$name.csv: batch 1: 300 rows stored (read as ${enc#*:})" "$name summary"
  checks=$((checks + 1))
  cmp -s "$WORK/big_utf8.export" "$WORK/$name.export" || fail "$name: export differs from UTF-8"
done

# the encoding named instead of detected
import_into named "$FIX/tcvn3.csv" --encoding tcvn3
checks=$((checks + 1))
cmp -s "$WORK/utf8.export" "$WORK/named.export" || fail "--encoding tcvn3: export differs"

finish
