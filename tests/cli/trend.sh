#!/usr/bin/env bash
# trend.sh - the review commands end to end: change, trend, rank and targets on the sample data.
# Exit codes (0; 2 for misuse; 1 for an unknown measure or wave), --help, the three formats, and
# a few numbers against tests/fixtures/review/review_expected.csv (made with survey 4.1.1 by
# make_review_fixtures.R; R is not run here): relative 1e-9 for estimates, 1e-7 for bounds.
source "$(dirname "$0")/lib.bash"

expected="$SIPAS_SOURCE/tests/fixtures/review/review_expected.csv"
value_of() { awk -F, -v q="$1" '$1 == q { print $2 }' "$expected"; }
# close GOT WANT TOL DESCRIPTION: |got - want| <= tol * max(1, |want|)
close() {
  checks=$((checks + 1))
  awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; s = w < 0 ? -w : w;
    if (s < 1) s = 1; exit !(g != "" && d <= t * s) }' || fail "$4: got '$1', R '$2'"
}
# csv_field FILE KEYCOL KEY COLUMN: the COLUMN (by header name) of the row whose KEYCOL is KEY
csv_field() {
  awk -F, -v kc="$2" -v k="$3" -v c="$4" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col[kc] == k { print $col[c] }' "$1"
}

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

for cmd in change trend rank targets; do
  run "$ANALYZE" "$cmd" --help
  expect_rc 0 "$cmd --help"
  expect_out "usage: sipas-analyze $cmd" "$cmd --help"
  run "$ANALYZE" "$cmd" --form sipas2017 --no-such-option
  expect_rc 2 "$cmd with an unknown option"
  run "$ANALYZE" "$cmd"
  expect_rc 2 "$cmd without --form"
  for fmt in table csv json; do
    run "$ANALYZE" "$cmd" --form sipas2017 --format "$fmt"
    expect_rc 0 "$cmd --format $fmt"
  done
  if command -v python3 >/dev/null; then
    run "$ANALYZE" "$cmd" --form sipas2017 --format json
    checks=$((checks + 1))
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/out" || fail "$cmd json parses"
  fi
done

# unknown measure: 1; unknown wave: 1; misuse: 2
for cmd in change trend rank; do
  run "$ANALYZE" "$cmd" --form sipas2017 --measure no_such_thing
  expect_rc 1 "$cmd --measure no_such_thing"
  expect_err "'no_such_thing'" "$cmd names the unknown measure"
done
run "$ANALYZE" rank --form sipas2017 --wave 2018
expect_rc 1 "rank --wave 2018 (no such wave)"
run "$ANALYZE" rank --form sipas2017 --adjust bonferroni
expect_rc 2 "rank --adjust bonferroni"
run "$ANALYZE" rank --form sipas2017 --by district
expect_rc 2 "rank --by (it takes --unit)"
run "$ANALYZE" change --form sipas2017 --by wave
expect_rc 2 "change --by wave"
run "$ANALYZE" change --form sipas2017 --from 2024 --to 2024
expect_rc 2 "change --from = --to"
run "$ANALYZE" change --form sipas2017 --from 20x4
expect_rc 2 "change --from not a year"
run "$ANALYZE" trend --form sipas2017 --threshold 90
expect_rc 2 "trend --threshold 90 (a percentage, not a proportion)"
run "$ANALYZE" trend --form sipas2017 --by district,sex
expect_rc 2 "trend --by with two columns"

# did we improve since last year: the change against R
run "$ANALYZE" change --form sipas2017 --format csv
expect_rc 0 "change csv"
cp "$WORK/out" "$WORK/change.csv"
close "$(csv_field "$WORK/change.csv" measure overall difference)" "$(value_of change.overall.difference)" 1e-9 "change difference"
close "$(csv_field "$WORK/change.csv" measure overall se)" "$(value_of change.overall.se)" 1e-9 "change se"
close "$(csv_field "$WORK/change.csv" measure overall ci_low)" "$(value_of change.overall.ci_low)" 1e-7 "change ci_low"
close "$(csv_field "$WORK/change.csv" measure overall p_value)" "$(value_of change.overall.p_value)" 1e-7 "change p"
run "$ANALYZE" change --form sipas2017 --by district --format csv
cp "$WORK/out" "$WORK/change_d.csv"
close "$(csv_field "$WORK/change_d.csv" district dinh_lap difference)" "$(value_of unit.dinh_lap.change)" 1e-9 "district change"
run "$ANALYZE" change --form sipas2017 --lang vi
expect_out "2023" "change table names the earlier wave"
expect_out "điểm phần trăm" "change table in Vietnamese"

# are we on course: the trend table, projections and verdicts
run "$ANALYZE" trend --form sipas2017 --lang en --by district
expect_rc 0 "trend table"
expect_out "projection 2025" "trend projects to 2025"
expect_out "Satisfaction with the handling of administrative procedures (SIPAS) ≥ 90.00% 2025" "trend judges the 2025 target by its label"
expect_out "Binh Gia" "trend labels each district"
run "$ANALYZE" trend --form sipas2017 --format csv
cp "$WORK/out" "$WORK/trend.csv"
proj=$(awk -F, '$1 == "projection" && $3 == "2025" { print $4 }' "$WORK/trend.csv")
close "$proj" "$(value_of projection.known.2025.estimate)" 1e-9 "projection 2025"
lo=$(awk -F, '$1 == "projection" && $3 == "2030" { print $6 }' "$WORK/trend.csv")
close "$lo" "$(value_of projection.known.2030.ci_low)" 1e-7 "projection 2030 ci_low"
run "$ANALYZE" trend --form sipas2017 --method lm --format csv
proj=$(awk -F, '$1 == "projection" && $3 == "2030" { print $7 }' "$WORK/out")
close "$proj" "$(value_of projection.lm.2030.ci_high)" 1e-7 "lm projection 2030 ci_high"

# which units hold us back: the ranking against R
run "$ANALYZE" rank --form sipas2017 --format csv
expect_rc 0 "rank csv"
cp "$WORK/out" "$WORK/rank.csv"
for u in binh_gia dinh_lap tp_lang_son; do
  close "$(csv_field "$WORK/rank.csv" district $u difference)" "$(value_of unit.$u.difference)" 1e-9 "rank $u difference"
  close "$(csv_field "$WORK/rank.csv" district $u p_adjusted)" "$(value_of unit.$u.p_holm)" 1e-7 "rank $u Holm"
done
run "$ANALYZE" rank --form sipas2017 --adjust bh --format csv
close "$(csv_field "$WORK/out" district dinh_lap p_adjusted)" "$(value_of unit.dinh_lap.p_bh)" 1e-7 "rank BH"
run "$ANALYZE" rank --form sipas2017 --lang en
expect_out "significantly above" "rank counts units above/below"
expect_out "Against 2023" "rank counts units up/down"

# targets: every row of targets.csv, survey or reported
run "$ANALYZE" targets --form sipas2017 --format csv
expect_rc 0 "targets csv"
rows=$(($(wc -l <"$WORK/out") - 1))
expect_equal "$rows" "$(($(wc -l <"$SIPAS_SOURCE/surveys/targets.csv") - 1))" "one verdict per target"
expect_out "sipas_procedures,province,lang_son,2025,>=,0.90000000000000002,sipas2017,overall,survey,6," "2025 target judged on the survey"
run "$ANALYZE" targets --form sipas2017 --map sipas_procedures=sipas2017:results --format csv
expect_out "sipas2017,results,survey" "--map remaps the indicator"
run "$ANALYZE" targets --form sipas2017 --map broken
expect_rc 2 "--map without ="

# Degenerate designs (issue 9; tests/fixtures/review/make_degenerate.py): a district-wave with a
# single commune, a wave where everyone in a district is satisfied, short series. Every review
# command completes under every --lonely-psu rule, says "not estimable" in the rows concerned,
# never prints nan/inf; the index command keeps R's fail.
degenerate="$SIPAS_SOURCE/tests/fixtures/review"
no_nan() { # description: no nan or inf in the output
  checks=$((checks + 1))
  ! grep -qiwE 'nan|-?inf' "$WORK/out" || fail "$1 prints nan or inf"
}
export SIPAS_DB="$WORK/degenerate.db"
run "$COLLECT" import --form sipas2017 "$degenerate/degenerate_sipas2017.csv"
expect_rc 0 "import the degenerate design"
run "$ANALYZE" index --form sipas2017 --by district
expect_rc 1 "index under fail with a lonely stratum"
expect_err "stratum 'dinh_lap (wave 2022)' has only one PSU" "index names the lonely stratum"
for rule in fail remove certainty adjust average; do
  for cmd in "rank --wave 2022" "trend --by district" "change --by district --to 2022"; do
    for fmt in table csv json; do
      # shellcheck disable=SC2086 # cmd holds the command and its options
      run "$ANALYZE" $cmd --form sipas2017 --lonely-psu "$rule" --lang en --format "$fmt"
      expect_rc 0 "$cmd --lonely-psu $rule --format $fmt on the degenerate design"
      no_nan "$cmd --lonely-psu $rule --format $fmt"
    done
  done
  run "$ANALYZE" rank --form sipas2017 --lonely-psu "$rule" --wave 2022 --lang en
  expect_out "Dinh Lap                  75.47%  not estimable: one cluster (PSU): no design-based variance" \
    "rank --lonely-psu $rule: the one-commune district is not estimable"
  expect_out "1 not estimable, left out." "rank --lonely-psu $rule: up/down counts leave it out"
  run "$ANALYZE" trend --form sipas2017 --lonely-psu "$rule" --by district --lang en --format csv
  checks=$((checks + 1))
  grep -q '^unit_trend,cao_loc,.*,falling,' "$WORK/out" && fail "cao_loc (66% to 86%) labelled falling under $rule"
done
# under fail the province of 2022 has no variance: every unit says why it is not compared
run "$ANALYZE" rank --form sipas2017 --wave 2022 --lang en --format csv
expect_out ",the province has no design-based variance this wave (a stratum with a single PSU)," \
  "rank under fail names the province as the reason"
run "$ANALYZE" change --form sipas2017 --by district --to 2022 --lang en
expect_out "-0.07  not estimable: one cluster (PSU): no design-based variance" "change row not estimable"
run "$ANALYZE" rank --form sipas2017 --unit commune
expect_rc 2 "rank --unit on the cluster column"
expect_err "'commune' is the cluster column (the PSUs)" "the refusal names the cluster column"
expect_err "such as 'district'" "the refusal suggests the stratum"
run "$ANALYZE" trend --form sipas2017 --by district --lang en
expect_out "note: the waves deviate from the line; 1 wave at the variance floor; 1 wave without design variance (SRS variance used)" \
  "trend says what the floor rule did"
expect_out "* uncertain projection: the waves deviate from the line" "lack of fit flags the projections"

# hospitals as the clusters, two per district, one district with the same share in both: the
# district review works under every rule; the facility column itself is refused as a unit
export SIPAS_DB="$WORK/health.db"
run "$COLLECT" import --form health2021 "$degenerate/degenerate_health2021.csv"
expect_rc 0 "import the two-hospital design"
for rule in fail remove certainty adjust average; do
  for fmt in table csv json; do
    run "$ANALYZE" rank --form health2021 --lonely-psu "$rule" --lang en --format "$fmt"
    expect_rc 0 "health rank --lonely-psu $rule --format $fmt"
    no_nan "health rank --lonely-psu $rule --format $fmt"
  done
done
for cmd in "rank --unit facility" "trend --by facility"; do
  # shellcheck disable=SC2086 # cmd holds the command and its options
  run "$ANALYZE" $cmd --form health2021
  expect_rc 2 "$cmd: a unit that is the cluster"
  expect_err "'facility' is the cluster column (the PSUs)" "$cmd names the cluster column"
done

# short series: 3 waves give flagged projections, 2 waves none
export SIPAS_DB="$WORK/three.db"
run "$COLLECT" import --form sipas2017 "$degenerate/degenerate_sipas2017_3waves.csv"
run "$ANALYZE" trend --form sipas2017 --lang en
expect_rc 0 "trend over 3 waves"
expect_out "* uncertain projection: only 3 waves (5 wanted)" "3-wave projections are flagged"
run "$ANALYZE" trend --form sipas2017 --format csv
expect_out "projection,,2030," "3 waves are projected"
expect_out ",,,,few_waves" "CSV flag of a 3-wave projection"
run "$ANALYZE" trend --form sipas2017 --format json
expect_out '"projection_flag":"few_waves"' "JSON flag of a 3-wave projection"
export SIPAS_DB="$WORK/two.db"
run "$COLLECT" import --form sipas2017 "$degenerate/degenerate_sipas2017_2waves.csv"
run "$ANALYZE" trend --form sipas2017 --lang en
expect_rc 0 "trend over 2 waves"
expect_out "no projection: it needs 3 waves" "2 waves: no projection"
run "$ANALYZE" trend --form sipas2017 --format csv
checks=$((checks + 1))
! grep -q '^projection,' "$WORK/out" || fail "a 2-wave trend was projected"

finish
