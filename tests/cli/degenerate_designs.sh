#!/usr/bin/env bash
# degenerate_designs.sh - issue 9: random designs with zero, noise-level and missing variances
# (tests/gen_designs.c: lonely strata, census fpc, hospitals that are their own cluster, domains
# of 1-5 respondents, everyone or nobody satisfied, criteria nobody answered) through every
# command under every lonely-PSU rule; index under every interval method, the review commands
# under one method per case and rule, in turn (so 10 cases cover each pair twice). Each run must
#   - exit 0, or 1 with a located message (never 2, the usage code, for a data problem);
#   - write no nan or inf into CSV or JSON, and no Kish deff below 1;
#   - give every interval of an estimate within [0, 1] containing it, and every interval of a
#     difference or slope containing it;
#   - label a unit trend rising/falling only with a slope of that sign.
# Then the issue's scenario (case 0: two hospitals of 30 patients per district, --by huyen,
# rank --unit on the hospital column) as a new user would run it.
source "$(dirname "$0")/lib.bash"

GEN="$SIPAS_BUILD/gen_designs"
NCASES=${SIPAS_DEGENERATE_CASES:-10}
METHODS="logit wilson beta mean asin"
RULES="fail remove certainty adjust average"
"$GEN" "$WORK/designs" 0 "$NCASES" || { echo "FAIL: gen_designs"; exit 1; }

# check_csv FILE WHAT: intervals and non-finite values in one CSV written by a command.
check_csv() {
  checks=$((checks + 1))
  if grep -qiwE 'nan|-nan|inf|-inf|infinity' "$1"; then
    fail "$2: nan or inf in $(basename "$1"): $(grep -iwE 'nan|inf|infinity' "$1" | head -2)"
    return
  fi
  checks=$((checks + 1))
  local bad
  bad=$(awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    # triple VALUE LOW HIGH MIN MAX: a present interval lies in [MIN, MAX] and contains VALUE
    function triple(v, l, h, lo_lim, hi_lim,    x, a, b) {
      if (!(v in col) || !(l in col) || !(h in col)) return
      x = $col[v]; a = $col[l]; b = $col[h]
      if (a == "" && b == "") return
      if (a == "" || b == "" || x == "") { print NR ": " l "/" h " half missing: " $0; return }
      if (a + 0 < lo_lim - 1e-12 || b + 0 > hi_lim + 1e-12 || a + 0 > x + 1e-12 || b + 0 < x - 1e-12)
        print NR ": " v " " x " outside [" a ", " b "]: " $0
    }
    {
      part = ("part" in col) ? $col["part"] : "wave"
      if (part == "slope" || part == "unit_trend") {
        triple("slope_per_year", "ci_low", "ci_high", -1e9, 1e9)
        lbl = ("label" in col) ? $col["label"] : ""
        s = $col["slope_per_year"]
        if ((lbl ~ /ris|tăng/ && !(s + 0 > 0)) || (lbl ~ /fall|giảm/ && !(s + 0 < 0)))
          print NR ": label " lbl " with slope " s ": " $0
      } else if (!("estimate" in col) && ("difference" in col)) {
        triple("difference", "ci_low", "ci_high", -1e9, 1e9)
      } else {
        triple("estimate", "ci_low", "ci_high", 0, 1)
      }
      triple("difference", "diff_ci_low", "diff_ci_high", -1e9, 1e9)
      # Kish: m sum(w^2) / (sum w)^2 >= 1, or empty when there is no estimate
      if ("kish_deff" in col && $col["kish_deff"] != "" && $col["kish_deff"] + 0 < 1 - 1e-12)
        print NR ": kish_deff " $col["kish_deff"] " below 1: " $0
    }' "$1" | head -3)
  [ -z "$bad" ] || fail "$2: $(basename "$1"): $bad"
}

# check_run WHAT: the last run exited 0, or 1 with a message that names the form, the unit, the
# measure or the wave it is about.
check_run() {
  checks=$((checks + 1))
  case $rc in
  0) ;;
  1) grep -qE "form '|unit '|measure '|wave [0-9]" "$WORK/err" ||
       fail "$1: a data error that does not say where" ;;
  *) fail "$1: exit code $rc (2 is for misuse, not for data)" ;;
  esac
}

for ((k = 0; k < NCASES; k++)); do
  dir="$WORK/designs/case_$k"
  form="gen$k"
  export SIPAS_SURVEYS="$dir/surveys" SIPAS_DB="$dir/store.db"
  cp "$SIPAS_SOURCE/surveys/targets.csv" "$dir/surveys/" # the survey targets the review judges
  last=$(awk '$1 == "last_wave" { print $2 }' "$dir/design.txt")
  run "$COLLECT" import --form "$form" "$dir/batch.csv"
  expect_rc 0 "case $k: import"
  r=0
  for rule in $RULES; do
    r=$((r + 1))
    m=0
    for ci in $METHODS; do
      m=$((m + 1))
      opts=(--form "$form" --ci "$ci" --lonely-psu "$rule" --lang en)
      what="case $k ($ci, --lonely-psu $rule)"
      run "$ANALYZE" index "${opts[@]}" --by huyen --format csv
      check_run "$what: index --by huyen"
      [ "$rc" -ne 0 ] || { cp "$WORK/out" "$WORK/o.csv"; check_csv "$WORK/o.csv" "$what: index"; }
      if [ "$rc" -eq 1 ]; then
        # under fail, the lonely stratum: the message names the form, the domain and the measure
        checks=$((checks + 1))
        grep -qF "measure '" "$WORK/err" || fail "$what: index error names no measure"
      fi
      # the review commands take one method per case and rule, in turn, to keep the run short
      [ $(((k + r) % 5 + 1)) -eq "$m" ] || continue
      for cmd in change trend rank; do
        run "$ANALYZE" "$cmd" "${opts[@]}" --format csv
        check_run "$what: $cmd"
        [ "$rc" -ne 0 ] || { cp "$WORK/out" "$WORK/o.csv"; check_csv "$WORK/o.csv" "$what: $cmd"; }
      done
    done
    opts=(--form "$form" --lonely-psu "$rule" --lang en)
    what="case $k (--lonely-psu $rule)"
    run "$ANALYZE" index "${opts[@]}" --by huyen,gioi --format json
    check_run "$what: index --format json"
    if [ "$rc" -eq 0 ]; then
      checks=$((checks + 1))
      grep -qiwE 'nan|inf' "$WORK/out" && fail "$what: nan or inf in index json"
    fi
    run "$ANALYZE" rank "${opts[@]}" --unit gioi --wave "$last" --format csv
    check_run "$what: rank --unit gioi"
    [ "$rc" -ne 0 ] || { cp "$WORK/out" "$WORK/o.csv"; check_csv "$WORK/o.csv" "$what: rank --unit gioi"; }
    for kind in trend ranking profile heatmap; do
      run "$ANALYZE" plot "${opts[@]}" --kind "$kind" --out "$WORK/p.svg"
      check_run "$what: plot --kind $kind"
    done
    rm -rf "$WORK/report"
    run "$ANALYZE" report "${opts[@]}" --out "$WORK/r.html" --csv "$WORK/report"
    check_run "$what: report"
    if [ "$rc" -eq 0 ]; then
      for f in "$WORK"/report/*.csv; do
        check_csv "$f" "$what: report"
      done
    fi
  done
done

# ---- the issue's scenario (case 0) as a new user meets it
export SIPAS_SURVEYS="$WORK/designs/case_0/surveys" SIPAS_DB="$WORK/designs/case_0/store.db"
# two hospitals of 30 per district, one district with the same share in both: no beta failure
for ci in logit beta; do
  run "$ANALYZE" index --form gen0 --by huyen --ci "$ci" --wave 2019
  expect_rc 0 "scenario: index --by huyen --ci $ci (a district whose hospitals are alike)"
done
# the alike district: SE exactly 0 and a real interval, not [p, p]
run "$ANALYZE" index --form gen0 --by huyen --wave 2019 --level-of overall --format csv
expect_rc 0 "scenario: index csv"
row=$(grep '^trang_dinh,' "$WORK/out")
se=$(echo "$row" | awk -F, '{ print $8 }')
lo=$(echo "$row" | awk -F, '{ print $9 }')
hi=$(echo "$row" | awk -F, '{ print $10 }')
expect_equal "$se" "0" "scenario: the alike district's SE is exactly 0"
checks=$((checks + 1))
awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(h - l > 0.05) }' ||
  fail "scenario: the alike district's interval [$lo, $hi] has width"
# the district-wave with one hospital (dinh_lap, 2022): fail names it; the other rules give
# the estimate with no interval and say why
run "$ANALYZE" index --form gen0 --by huyen --wave 2022
expect_rc 1 "scenario: --lonely-psu fail stops on the lonely district-wave"
expect_err "form 'gen0'" "scenario: the error names the form"
expect_err "huyen 'dinh_lap'" "scenario: the error names the district"
expect_err "wave" "scenario: the error names the wave"
expect_err "measure '" "scenario: the error names the measure"
for rule in remove certainty adjust average; do
  run "$ANALYZE" index --form gen0 --by huyen --wave 2022 --lonely-psu "$rule" --level-of overall --format csv
  expect_rc 0 "scenario: index --lonely-psu $rule"
  row=$(grep '^dinh_lap,' "$WORK/out")
  expect_equal "$(echo "$row" | awk -F, '{ print $8 "|" $9 "|" $10 "|" $NF }')" "|||one_psu" \
    "scenario: --lonely-psu $rule: the one-hospital district has no SE or interval, and says why"
  run "$ANALYZE" index --form gen0 --by huyen --wave 2022 --lonely-psu "$rule" --level-of overall --lang en
  expect_out "one cluster (PSU): no design-based variance" "scenario: $rule: the table says why"
done
# a population count below the hospitals sampled is the data's fault: exit 1, naming the column
# and the district-wave, before anything is estimated
for ((k = 0; k < NCASES; k++)); do
  grep -q '^fpc 1' "$WORK/designs/case_$k/design.txt" &&
    grep -q '^census 0' "$WORK/designs/case_$k/design.txt" && break
done
dir="$WORK/designs/case_$k"
export SIPAS_SURVEYS="$dir/surveys" SIPAS_DB="$WORK/bad_fpc.db"
awk -F, -v OFS=, 'NR == FNR { if ($4 ~ /_2$/) two[$2 "|" $3] = 1; next }
  FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "hospitals_total") c = i }
  FNR > 1 && (($2 "|" $3) in two) { $c = 1 } { print }' "$dir/batch.csv" "$dir/batch.csv" \
  >"$WORK/bad_fpc.csv"
run "$COLLECT" import --form "gen$k" "$WORK/bad_fpc.csv"
expect_rc 0 "import a batch whose fpc is below the sample (stored as given)"
run "$ANALYZE" index --form "gen$k" --by huyen
expect_rc 1 "fpc below the sample: a data error, not misuse"
expect_err "column 'hospitals_total': stratum '" "fpc below the sample: names column and stratum"
expect_err "in the population but" "fpc below the sample: says what is wrong"
export SIPAS_SURVEYS="$WORK/designs/case_0/surveys" SIPAS_DB="$WORK/designs/case_0/store.db"

# rank --unit on the hospital column: refused with a suggestion, as misuse (2)
run "$ANALYZE" rank --form gen0 --unit benh_vien --wave 2024
expect_rc 2 "scenario: rank --unit benh_vien (the cluster column)"
expect_err "huyen" "scenario: the refusal suggests the district column"

finish
