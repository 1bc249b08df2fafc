#!/usr/bin/env bash
# Population frames and calibrated estimates: sipas-collect frame, then sipas-analyze index
# --poststratify, compared with R's postStratify + svyciprop (tests/fixtures/frame/).
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample"
FIX="$SIPAS_SOURCE/tests/fixtures/frame"

run "$COLLECT" import --form sipas2017 "$SAMPLE/sipas2017_2019-2024.csv"; expect_rc 0 "import"
run "$COLLECT" frame --form sipas2017 "$SAMPLE/frame_district.csv"; expect_rc 0 "frame"
expect_out "margin 'district': 11 cells stored (every wave; 558200 people)" "frame summary"

# refused frames store nothing and name the row and column
printf 'district,population\ncao_loc,100\nha_noi,5\n' > "$WORK/f1.csv"
run "$COLLECT" frame --form sipas2017 "$WORK/f1.csv"; expect_rc 1 "unknown district"
expect_err "f1.csv:3: column 'district': 'ha_noi' is not a code or label of list 'district'; nothing was stored" "unknown district"
printf 'district;population\nCao Lộc;-3\n' > "$WORK/f2.csv"
run "$COLLECT" frame --form sipas2017 "$WORK/f2.csv"; expect_rc 1 "negative population"
expect_err "f2.csv:2: column 'population': '-3' is not a count of people" "negative population"
printf 'district,people\ncao_loc,1\n' > "$WORK/f3.csv"
run "$COLLECT" frame --form sipas2017 "$WORK/f3.csv"; expect_rc 1 "no population column"
expect_err "column 'people': not a coded column" "no population column"

# post-stratified criteria agree with R
run "$ANALYZE" index --form sipas2017 --wave 2024 --level-of criterion --poststratify district --format csv
expect_rc 0 "poststratified index"
sed -E 's/"([^"]|"")*"//g' "$WORK/out" > "$WORK/ours.csv"   # drop quoted labels: they hold commas
checks=$((checks + 1))
worst=$(awk -F, 'NR == FNR { if (FNR > 1) { e[$1] = $2; s[$1] = $3; lo[$1] = $4; hi[$1] = $5; d[$1] = $6 }; next }
  FNR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
  ($1 in e) {
    seen++
    r1 = ($(col["estimate"]) - e[$1]) / e[$1]; r2 = ($(col["se"]) - s[$1]) / s[$1]
    a1 = $(col["ci_low"]) - lo[$1]; a2 = $(col["ci_high"]) - hi[$1]
    if (r1 < 0) r1 = -r1; if (r2 < 0) r2 = -r2; if (a1 < 0) a1 = -a1; if (a2 < 0) a2 = -a2
    if (r1 > 1e-9 || r2 > 1e-9 || a1 > 1e-7 || a2 > 1e-7 || $(col["df"]) != d[$1]) bad = bad " " $1
  }
  END { print seen + 0, (bad == "" ? "ok" : bad) }' "$FIX/poststratify_2024.csv" "$WORK/ours.csv")
[ "$worst" = "4 ok" ] || fail "post-stratified estimates differ from R: $worst"

# raking needs two margins; a missing margin is named
run "$ANALYZE" index --form sipas2017 --rake district; expect_rc 2 "rake with one margin"
run "$ANALYZE" index --form sipas2017 --poststratify sex; expect_rc 1 "missing margin"
expect_err "no population margin 'sex' for form 'sipas2017'" "missing margin"
# a decimal comma in a small ;-separated frame (the delimiter is known before the first row)
printf 'district;population\nCao Lộc;55400,5\n' > "$WORK/f4.csv"
SIPAS_DB="$WORK/comma.db" run "$COLLECT" frame --form sipas2017 "$WORK/f4.csv"
expect_rc 0 "decimal comma"
expect_out "1 cells stored (every wave; 55400 people)" "decimal comma"
finish
