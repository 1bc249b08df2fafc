#!/usr/bin/env bash
# Planning the next wave: sipas-analyze plan (sizes, clusters, allocation, power) and
# sipas-collect sample (the draw, its probabilities, the stored counts): exit codes, numbers
# recomputed from the output, and bad frame rows named by file, row and column.
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample"
FRAME="$SAMPLE/frame_communes.csv"

run "$COLLECT" import --form sipas2017 "$SAMPLE/sipas2017_2019-2024.csv"; expect_rc 0 "import"

# ---- plan
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district --margin 0.05 --format csv
expect_rc 0 "plan by district"
expect_equal "$(grep -c '^unit,' "$WORK/out")" 11 "one row per district"
expect_equal "$(grep -c '^total,' "$WORK/out")" 1 "a total row"
# every row: n_margin = ceil(z^2 p (1 - p) deff / e^2), clusters_margin = ceil(n_margin / m),
# and a unit's deff is its own only with df >= 10, else 1 + (m - 1) rho_pooled (one rho for all)
checks=$((checks + 1))
bad=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  { z = 1.959963984540054; p = $(c["p_used"]); d = $(c["deff_used"]); m = $(c["cluster_size"])
    n0 = z * z * p * (1 - p) * d / 0.0025; n = int(n0 - 1e-9); if (n < n0 - 1e-9) n++
    k = $(c["n_margin"]) / m; a = int(k - 1e-9); if (a < k - 1e-9) a++
    if ($(c["n_margin"]) != n || $(c["clusters_margin"]) != a) print "row " NR ": " $0
    if ($1 == "unit" && $(c["deff_source"]) == "own" && $(c["df"]) < 10) print "own deff at df < 10: " $0
    if ($1 == "unit" && $(c["deff_source"]) == "pooled") {
      r = (d - 1) / (m - 1); if (seen && (r - rho > 1e-12 || rho - r > 1e-12)) print "two rhos: " $0
      rho = r; seen = 1 }
  }' "$WORK/out")
[ -z "$bad" ] || fail "plan rows inconsistent: $bad"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district --budget 3000 --allocation equal \
  --detect 0.03 --format csv
expect_rc 0 "plan with a budget"
checks=$((checks + 1))
sums=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
  $1 == "unit" { s += $(c["n_allocated"]); if ($(c["n_allocated"]) < 272 || $(c["n_allocated"]) > 273) odd = 1;
                 if ($(c["n_detect"]) == "") odd = 1 }
  $1 == "total" { t = $(c["n_allocated"]) } END { print s, t, odd + 0 }' "$WORK/out")
expect_equal "$sums" "3000 3000 0" "equal allocation of 3000 over 11 districts"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --format json --margin 0.03
expect_rc 0 "plan json"
expect_out '"margin":0.029999999999999999' "json margin"
expect_out '"total":{"respondents":2200,"clusters":48' "json total"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district --margin 0.05 --lang en
expect_rc 0 "plan table"
expect_out "Margin ±5.00 points at 95% confidence" "table heading"
expect_out "Dinh Lap" "district labels"
# usage errors and refusals
run "$ANALYZE" plan --form sipas2017 --by district; expect_rc 2 "no --wave"
expect_err "plan needs --wave YEAR" "no --wave"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --allocation neyman; expect_rc 2 "allocation without budget"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --margin 5; expect_rc 2 "margin in points"
expect_err "--margin '5' is not a proportion between 0 and 1" "margin in points"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district,sex; expect_rc 2 "two unit columns"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district --budget 5; expect_rc 2 "budget below units"
expect_err "a budget of 5 respondents cannot give each of 11 units one" "budget below units"
run "$ANALYZE" plan --form sipas2017 --wave 2024 --measure nosuch; expect_rc 1 "unknown measure"

# ---- sample
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2025 --clusters-per-unit 4 \
  --size-column population --wave 2024 --out "$WORK/draw1.csv"
expect_rc 0 "PPS draw"
expect_err "margin 'district' stored for wave 2024" "counts stored"
expect_equal "$(head -1 "$WORK/draw1.csv")" \
  "district,commune,size,communes_total,inclusion_probability,cluster_weight,certainty" "list header"
expect_equal "$(($(wc -l < "$WORK/draw1.csv") - 1))" 44 "4 communes in each of 11 districts"
# pi = 4 size / district total; weights are 1 / pi
checks=$((checks + 1))
bad=$(awk -F, 'NR == FNR { if (FNR > 1) tot[$1] += $3; next }
  FNR > 1 { want = 4 * $3 / tot[$1]; if (want > 1) want = 1
            if ($5 - want > 1e-12 || want - $5 > 1e-12 || $5 * $6 - 1 > 1e-12 || 1 - $5 * $6 > 1e-12) print }' \
  "$FRAME" "$WORK/draw1.csv")
[ -z "$bad" ] || fail "inclusion probabilities: $bad"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2025 --clusters-per-unit 4 \
  --size-column population --no-store
expect_rc 0 "same seed"
checks=$((checks + 1))
cmp -s "$WORK/out" "$WORK/draw1.csv" || fail "the same seed drew other communes"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2026 --clusters-per-unit 4 \
  --size-column population --no-store
checks=$((checks + 1))
cmp -s "$WORK/out" "$WORK/draw1.csv" && fail "another seed drew the same communes"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 3 --clusters-per-unit 3
expect_rc 0 "SRS draw"
expect_equal "$(head -1 "$WORK/out")" \
  "district,commune,communes_total,inclusion_probability,cluster_weight,certainty" "SRS header"
expect_out "dinh_lap,dinh_lap-commune-" "SRS rows"
checks=$((checks + 1))
grep -q '^dinh_lap,.*,13,0.23076923076923' "$WORK/out" || fail "SRS pi = 3/13"
# the stored counts serve --base-weights (every wave from frame_district.csv, 2024 from the draw)
run "$COLLECT" frame --form sipas2017 "$SAMPLE/frame_district.csv"; expect_rc 0 "district frame"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 2025 --clusters-per-unit 4 \
  --size-column population --wave 2024
expect_rc 0 "draw stores 2024 counts"
run "$ANALYZE" index --form sipas2017 --wave 2024 --base-weights district --level-of overall --format csv
expect_rc 0 "base weights from the stored counts"

# the plan's clusters per district drive the draw
run "$ANALYZE" plan --form sipas2017 --wave 2024 --by district --margin 0.05 --format csv --out "$WORK/plan.csv"
expect_rc 0 "plan to a file"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-from "$WORK/plan.csv" --seed 5 \
  --size-column population --certainty --no-store
expect_rc 0 "draw the plan's clusters"
checks=$((checks + 1))
bad=$(awk -F, 'NR == FNR { if ($1 == "unit") { for (i = 1; i <= NF; i++) if (h[i] == "clusters_t") want[$2] = $i }
                           else if (FNR == 1) for (i = 1; i <= NF; i++) h[i] = $i; next }
  FNR > 1 { got[$1]++ } END { for (d in want) if (got[d] != want[d]) print d, got[d], want[d] }' \
  "$WORK/plan.csv" "$WORK/out")
[ -z "$bad" ] || fail "clusters drawn differ from the plan: $bad"
# respondents' weights: size / (pi m); the same for every non-certainty commune of a district
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-from "$WORK/plan.csv" --seed 5 \
  --size-column population --certainty --interviews-per-cluster 45 --no-store
expect_rc 0 "weights in the list"
checks=$((checks + 1))
bad=$(awk -F, 'NR == FNR { if (FNR > 1) tot[$1] += $3; next }
  FNR == 1 { if ($8 != "weight") print "header " $0; next }
  { w = $3 / ($5 * 45); if ($8 - w > 1e-9 * w || w - $8 > 1e-9 * w) print "weight: " $0
    if ($7 == "no") { if (($1 in first) && (first[$1] - $8 > 1e-9 * w || $8 - first[$1] > 1e-9 * w)) print "unequal: " $0
                      first[$1] = $8 } }' "$FRAME" "$WORK/out")
[ -z "$bad" ] || fail "respondent weights: $bad"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 5 --clusters-per-unit 2 --interviews-per-cluster 45 --no-store
expect_rc 2 "weights without sizes"
printf 'district,clusters_t\ncao_loc,2.5\n' > "$WORK/c1.csv"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-from "$WORK/c1.csv" --seed 1 --no-store
expect_rc 1 "fractional clusters"
expect_err "c1.csv:2: column 'clusters_t': '2.5' is not a whole number of clusters" "fractional clusters"
printf 'district,clusters_t\ncao_loc,2\n' > "$WORK/c2.csv"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-from "$WORK/c2.csv" --seed 1 --no-store
expect_rc 1 "a district without clusters"
expect_err "no clusters for district 'tp_lang_son' of the frame in column 'clusters_t'" "a district without clusters"

# usage errors
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-per-unit 4 --clusters-from "$WORK/c2.csv" --seed 1
expect_rc 2 "two ways to say the clusters"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --clusters-per-unit 4; expect_rc 2 "no seed"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed -1 --clusters-per-unit 4; expect_rc 2 "negative seed"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 1 --clusters-per-unit 4 --size-column population
expect_rc 2 "sizes without --wave"
expect_err "give --wave YEAR (or --no-store)" "sizes without --wave"
run "$COLLECT" sample --form sipas2017 --frame "$FRAME" --seed 1 --clusters-per-unit 9 --no-store
expect_rc 1 "more clusters than a district has"
expect_err "district 'tp_lang_son' has 8 commune clusters in the frame, fewer than the 9 to draw" "K too large"

# bad frames: file:row: column, nothing drawn or stored
printf 'district,commune,population\ncao_loc,a,100\nha_noi,b,50\n' > "$WORK/f1.csv"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f1.csv" --seed 1 --clusters-per-unit 1 \
  --size-column population --wave 2023
expect_rc 1 "unknown district"
expect_err "f1.csv:3: column 'district': 'ha_noi' is not a code or label of list 'district'; nothing was drawn" "unknown district"
printf 'district;commune;population\nCao Lộc;a;1,5\nCao Lộc;b;-3\nCao Lộc;c;x\n' > "$WORK/f2.csv"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f2.csv" --seed 1 --clusters-per-unit 1 \
  --size-column population --wave 2023
expect_rc 1 "negative size"
expect_err "f2.csv:3: column 'population': '-3' is not a size (a number > 0) (and more problems); nothing was drawn" "negative size"
printf 'district,commune,population\ncao_loc,,100\n' > "$WORK/f3.csv"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f3.csv" --seed 1 --clusters-per-unit 1 --no-store
expect_rc 1 "empty commune"
expect_err "f3.csv:2: column 'commune': empty, but every cluster needs its name" "empty commune"
printf 'district,population\ncao_loc,100\n' > "$WORK/f4.csv"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f4.csv" --seed 1 --clusters-per-unit 1 --no-store
expect_rc 1 "no commune column"
expect_err "f4.csv:1: no column 'commune'" "no commune column"
printf 'district,commune,population\ncao_loc,a,100\ncao_loc,b,2\ncao_loc,c,2\n' > "$WORK/f5.csv"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f5.csv" --seed 1 --clusters-per-unit 2 \
  --size-column population --no-store
expect_rc 1 "a commune larger than the interval"
expect_err "commune 'a' (size 100) is larger than the sampling interval 52; take it with certainty" "certainty needed"
run "$COLLECT" sample --form sipas2017 --frame "$WORK/f5.csv" --seed 1 --clusters-per-unit 2 \
  --size-column population --no-store --certainty
expect_rc 0 "with --certainty"
expect_out "cao_loc,a,100,3,1,1,yes" "the certainty commune"
# the refused frames stored nothing: wave 2023 still takes the every-wave counts
run "$ANALYZE" index --form sipas2017 --wave 2023 --base-weights district --level-of overall --format csv
expect_rc 0 "2023 weighted from the every-wave counts"
finish
