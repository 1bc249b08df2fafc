#!/usr/bin/env bash
# From the draw to the import (issue 14): `sample --wave` stores its selection, and the import of
# that wave's entry sheets fills their empty or missing weight and fpc cells from it. The filled
# values must equal the selection list's, the index the same as with the columns filled by hand;
# a row from a commune that was not drawn is refused, naming the commune and the wave.
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample"
FRAME="$SAMPLE/frame_communes.csv"

run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2025 --clusters-per-unit 3 \
  --size-column population --certainty --interviews-per-cluster 10 --wave 2025 --out "$WORK/sel.csv"
expect_rc 0 "draw for 2025"
expect_err "selection stored for wave 2025" "the draw says it stored the selection"

# entry sheets: 10 respondents in each drawn commune, their answers taken from the 2024 sample;
# by_hand.csv copies weight and fpc from the list, blank.csv leaves them empty and missing.csv
# has no such columns at all
awk -F, -v OFS=, -v hand="$WORK/by_hand.csv" -v blank="$WORK/blank.csv" -v missing="$WORK/missing.csv" '
  NR == FNR { if (FNR > 1) { n++; d[n] = $1; c[n] = $2; w[n] = $8; f[n] = $4 } next }
  FNR == 1 { print > hand; print > blank
             h = $1 "," $2 "," $3 "," $4; for (i = 7; i <= NF; i++) h = h "," $i; print h > missing; next }
  $2 == 2024 && used < 10 * n { used++; k = int((used - 1) / 10) + 1
    $1 = sprintf("2025-%06d", used); $2 = 2025; $3 = d[k]; $4 = c[k]
    $5 = w[k]; $6 = f[k]; print > hand
    $5 = ""; $6 = ""; print > blank
    r = $1 "," $2 "," $3 "," $4; for (i = 7; i <= NF; i++) r = r "," $i; print r > missing }' \
  "$WORK/sel.csv" "$SAMPLE/sipas2017_2019-2024.csv"
expect_equal "$(($(wc -l < "$WORK/blank.csv") - 1))" 330 "3 communes x 10 respondents x 11 districts"

# the same respondents with the cells filled by hand, in a store of their own
SIPAS_DB="$WORK/hand.db" run "$COLLECT" import --form sipas2017 "$WORK/by_hand.csv"
expect_rc 0 "import filled by hand"
SIPAS_DB="$WORK/hand.db" run "$ANALYZE" index --form sipas2017 --wave 2025 --by district --format csv
expect_rc 0 "index of the batch filled by hand"
cp "$WORK/out" "$WORK/index_hand.csv"

run "$COLLECT" check --form sipas2017 "$WORK/missing.csv"
expect_rc 0 "missing weight and fpc columns are filled"
expect_err "filled 330 weight and 330 fpc cells from the draw for wave 2025 (frame '$FRAME', seed 2025" \
  "one message: how many cells, which draw"
run "$COLLECT" import --form sipas2017 "$WORK/blank.csv"
expect_rc 0 "empty weight and fpc cells are filled"
expect_err "filled 330 weight and 330 fpc cells from the draw for wave 2025" "the message"
checks=$((checks + 1))
[ "$(grep -c "filled" "$WORK/err")" -eq 1 ] || fail "the filled cells are told once per batch"
# the stored design columns equal the selection list's, commune by commune
run "$COLLECT" export --form sipas2017
expect_rc 0 "export the 2025 batch"
checks=$((checks + 1))
bad=$(awk -F, 'NR == FNR { if (FNR > 1) { w[$1 "/" $2] = $8; f[$1 "/" $2] = $4 } next }
  FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  { k = $(col["district"]) "/" $(col["commune"]); rows++
    if (!(k in w)) { print "not drawn: " k; next }
    dw = $(col["weight"]) - w[k]; if (dw > 1e-9 * w[k] || -dw > 1e-9 * w[k]) print "weight " k ": " $(col["weight"]) " vs " w[k]
    if ($(col["communes_total"]) != f[k]) print "fpc " k ": " $(col["communes_total"]) " vs " f[k] }
  END { if (rows != 330) print "rows: " rows }' "$WORK/sel.csv" "$WORK/out")
[ -z "$bad" ] || fail "stored design cells differ from the selection list: $bad"
run "$ANALYZE" index --form sipas2017 --wave 2025 --by district --format csv
expect_rc 0 "index of the filled batch"
checks=$((checks + 1))
cmp -s "$WORK/out" "$WORK/index_hand.csv" || fail "the index differs from the batch filled by hand: $(diff "$WORK/out" "$WORK/index_hand.csv" | head -5)"

# a cell the file gives is kept; one that differs from the draw by more than rounding is told
awk -F, -v OFS=, 'NR == 1 { print; next } NR == 2 { $1 = "2025-x1"; $5 = 999; print }
  NR == 3 { $1 = "2025-x2"; $5 = ""; $6 = 99; print }' "$WORK/by_hand.csv" > "$WORK/given.csv"
run "$COLLECT" check --form sipas2017 "$WORK/given.csv"
expect_rc 0 "given cells are kept"
expect_err "2 given weight or fpc cells differ from the stored draw by more than 0.5 (first: row 2, column 'weight': 999" \
  "disagreement told once"
expect_err "filled 1 weight and 0 fpc cells" "the empty weight of the second row filled"

# a commune that was not drawn: refused, with the reason, whether the design cells are empty or
# their columns missing; nothing stored
for sheet in blank missing; do
  awk -F, -v OFS=, 'NR == 1 { print; next } NR == 2 { $1 = "2025-y"; $4 = "not-drawn-commune"; print }' \
    "$WORK/$sheet.csv" > "$WORK/undrawn_$sheet.csv"
  run "$COLLECT" import --form sipas2017 "$WORK/undrawn_$sheet.csv"
  expect_rc 1 "undrawn commune refused ($sheet)"
  expect_err "1 of 1 row rejected; nothing was stored" "nothing stored ($sheet)"
  cp "$WORK/err" "$WORK/err_$sheet"
done
district=$(awk -F, 'NR == 2 { print $3 }' "$WORK/undrawn_blank.csv")
cp "$WORK/err_blank" "$WORK/err"
expect_err "undrawn_blank.csv:2: column 'weight': empty, but a value is required: commune 'not-drawn-commune' of district '$district' was not drawn for wave 2025" \
  "the message names the commune and the wave"
cp "$WORK/err_missing" "$WORK/err"
expect_err "undrawn_missing.csv:2: column 'communes_total': missing from the file, but a value is required: commune 'not-drawn-commune'" \
  "a missing column is named as missing"
run "$COLLECT" export --form sipas2017
expect_equal "$(($(wc -l < "$WORK/out") - 1))" 330 "the refused rows stored nothing"
# a wave without a stored draw keeps the old rule
sed 's/^2025-\([0-9]*\),2025,/2026-\1,2026,/' "$WORK/blank.csv" | head -2 > "$WORK/w2026.csv"
run "$COLLECT" import --form sipas2017 "$WORK/w2026.csv"
expect_rc 1 "no draw for 2026"
expect_err "no draw is stored for wave 2026 to fill it from" "no draw for the wave"

# a draw without --interviews-per-cluster stores no weight: import fills the fpc only and
# never invents a weight
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2025 --clusters-per-unit 3 \
  --size-column population --certainty --wave 2025 --out "$WORK/sel_nw.csv"
expect_rc 0 "redraw without interviews"
expect_err "import fills the batch's empty fpc cells from it" "no weights stored"
sed 's/^2025-/2025-b-/' "$WORK/blank.csv" | head -2 > "$WORK/noweight.csv"
run "$COLLECT" import --form sipas2017 "$WORK/noweight.csv"
expect_rc 1 "weight still required"
expect_err "has no respondent weights (it was made without --interviews-per-cluster)" "why no weight"
finish
