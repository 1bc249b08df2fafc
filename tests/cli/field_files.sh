#!/usr/bin/env bash
# Files as people write them import to the same store contents as the clean file (the batches
# of tests/fixtures/field, made by make.py there, for the instrument 'field' whose sheets use
# KoboToolbox's label::Tiếng Việt (vi) columns and aliases): labels with accents, without them
# and with codes as 4.0, old tone placement and an alias, a KoboToolbox export with group paths
# and system columns, and one with question text as headers and _uuid as the respondent id.
# Compared: the export (every stored value) and `sipas-analyze index` by district. Then the
# refusals: an ambiguous unaccented label, an ambiguous header, --wave without a wave column.
source "$SIPAS_SOURCE/tests/cli/lib.bash"
FIX="$SIPAS_SOURCE/tests/fixtures/field"
export SIPAS_SURVEYS="$FIX"

# import_into NAME FILE: a fresh store $WORK/NAME.db, its export and its index
import_into() {
  local name=$1 file=$2
  run "$COLLECT" import --db "$WORK/$name.db" --form field "$file"
  expect_rc 0 "$name: import"
  expect_out "batch 1: 30 rows stored" "$name: summary"
  "$COLLECT" export --db "$WORK/$name.db" --form field > "$WORK/$name.export"
  "$ANALYZE" index --db "$WORK/$name.db" --form field --by district --format csv \
    > "$WORK/$name.index"
}

import_into clean "$FIX/clean.csv"
expect_equal "$(wc -l < "$WORK/clean.export")" 31 "clean export rows"
for name in labels unaccented oldtone kobo; do
  import_into "$name" "$FIX/$name.csv"
  checks=$((checks + 1))
  cmp -s "$WORK/clean.export" "$WORK/$name.export" || fail "$name: export differs from clean.csv"
  checks=$((checks + 1))
  cmp -s "$WORK/clean.index" "$WORK/$name.index" || fail "$name: index differs from clean.csv"
done
# the ids are the KoboToolbox _uuid: the same answers, other respondent ids
import_into kobo_labels "$FIX/kobo_labels.csv"
checks=$((checks + 1))
cmp -s "$WORK/clean.index" "$WORK/kobo_labels.index" || fail "kobo_labels: index differs"
expect_equal "$(sed -n 2p "$WORK/kobo_labels.export" | cut -d, -f1)" \
  "6f1c0000-2b7e-4c1a-9d3e-000000000000" "kobo_labels: _uuid is the respondent id"

H=respondent_id,wave,district,commune,weight,q1,q2
printf '%s\nx1,2025,Hoa An,c1,20,4,4\nx2,2025,TP Lang Son,c1,20,Hai long lam,6\n' "$H" > "$WORK/bad.csv"
run "$COLLECT" check --db "$WORK/clean.db" --form field "$WORK/bad.csv"
expect_rc 1 "ambiguous and unknown labels"
expect_err "bad.csv:2: column 'district': 'Hoa An' matches more than one choice of list 'district' when accents are ignored: hoa_an (Hòa An), hoa_an_moi (Hóa An); write it with its accents, or use the code" "ambiguous unaccented label"
expect_err "bad.csv:3: column 'q1': 'Hai long lam' is not a code or label of list 'sat5'; did you mean 'Hài lòng' (4)?" "did you mean"
expect_err "bad.csv:3: column 'q2': '6' is not a code or label of list 'sat5'; allowed: 1 Rất không hài lòng, 2 Không hài lòng, 3 Bình thường, 4 Hài lòng, 5 Rất hài lòng, 97 Không biết, 98 Không áp dụng, 99 Từ chối trả lời" "allowed values"

printf 'respondent_id,wave,district,commune,weight,grp_a/q1,grp_b/q1,q2\nx1,2025,hoa_an,c1,20,4,4,4\n' > "$WORK/twice.csv"
run "$COLLECT" check --db "$WORK/clean.db" --form field "$WORK/twice.csv"
expect_rc 1 "two groups end in q1"
expect_err "twice.csv:1: column 'grp_b/q1': names column 'q1', as 'grp_a/q1' (field 6) does; rename one of them" "two groups end in q1"

# whole numbers as spreadsheets and pandas write them
sed 's/,2025,/,2025.0,/' "$FIX/clean.csv" > "$WORK/wave_decimal.csv"
run "$COLLECT" check --db "$WORK/fresh.db" --form field "$WORK/wave_decimal.csv"
expect_rc 0 "wave written 2025.0"
sed '2s/,2025,/,2025.5,/' "$FIX/clean.csv" > "$WORK/wave_fraction.csv"
run "$COLLECT" check --db "$WORK/fresh.db" --form field "$WORK/wave_fraction.csv"
expect_rc 1 "wave written 2025.5"
expect_err "wave_fraction.csv:2: column 'wave': '2025.5' is not a whole number" "wave written 2025.5"

run "$COLLECT" check --db "$WORK/fresh.db" --form field --wave 2025 "$FIX/clean.csv"
expect_rc 0 "--wave with a wave column"
mkdir -p "$WORK/surveys/nowave"
for sheet in settings choices elements; do sed 's/^field,1,/nowave,1,/' "$FIX/field/$sheet.csv" > "$WORK/surveys/nowave/$sheet.csv"; done
grep -v '^integer,wave,' "$FIX/field/survey.csv" > "$WORK/surveys/nowave/survey.csv"
cut -d, -f1,3- "$FIX/clean.csv" > "$WORK/nowave.csv"
run "$COLLECT" check --db "$WORK/nw.db" --surveys "$WORK/surveys" --form nowave --wave 2000 "$WORK/nowave.csv"
expect_rc 2 "--wave without a wave column"
expect_err "--wave 2000 was given, but instrument 'nowave' version '1' has no wave column (role 'wave' in survey.csv)" "--wave without a wave column"

# a choices sheet whose labels sipas cannot place is refused, not loaded with blank labels
mkdir -p "$WORK/surveys/field"
cp "$FIX/field/"*.csv "$WORK/surveys/field/"
sed -i '1s/.*/list_name,name,label::Français (fr),label,satisfied,missing,aliases/' "$WORK/surveys/field/choices.csv"
sed -i '1s/,label,/,etiquette,/' "$WORK/surveys/field/choices.csv"
run "$COLLECT" instrument --surveys "$WORK/surveys" field
expect_rc 1 "no label column"
expect_err "choices.csv: no label column in Vietnamese or English (label::vi, label::en, or label::Tiếng Việt (vi) as KoboToolbox writes it); found 'label::Français (fr)'" "no label column"

finish
