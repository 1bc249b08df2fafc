#!/usr/bin/env bash
# index_vs_r.sh - end to end against R: import a CSV batch with sipas-collect, run
# `sipas-analyze index --format csv` for each case of tests/fixtures/index/cases.tsv and compare
# every estimate, se, ci_low, ci_high, df and deff with expected.csv, which
# tests/fixtures/index/make_index_fixtures.R made with survey 4.1.1 (R is not run here).
#
# Tolerances: relative difference <= 1e-9 for estimate, se, deff and df; absolute <= 1e-7 for
# the interval bounds. An empty field (NA in R, NaN in sipas) must be empty on both sides. Every
# expected row must be printed and every printed row expected. A variance that is zero in exact
# arithmetic comes out as rounding noise on both sides (a domain that is a whole lonely stratum
# under --lonely-psu adjust: its scores sum to 0, V = f t^2 ~ 1e-34); there se <= 1e-15 and
# deff <= 1e-12 on both sides count as equal. Prints the worst difference of each kind per case.
# Also checks that the lonely stratum fails by default, naming it.
#
# Environment (set by ctest): SIPAS_BUILD (the build directory), SIPAS_SOURCE (the source tree).
set -euo pipefail

build=${SIPAS_BUILD:?SIPAS_BUILD is not set}
source_dir=${SIPAS_SOURCE:?SIPAS_SOURCE is not set}
fixtures=$source_dir/tests/fixtures/index
collect=$build/sipas-collect
analyze=$build/sipas-analyze
export SIPAS_SURVEYS=$source_dir/surveys

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

declare -A batch=(
    [sample]=$source_dir/surveys/sample/sipas2017_2019-2024.csv
    [lonely]=$fixtures/lonely.csv
)
for data in "${!batch[@]}"; do
    "$collect" import --db "$tmp/$data.db" --form sipas2017 "${batch[$data]}" >"$tmp/import_$data.log" 2>&1 ||
        fail "import of ${batch[$data]} failed: $(cat "$tmp/import_$data.log")"
done

# The lonely stratum under the default rule (fail): exit 1, the stratum named.
set +e
"$analyze" index --db "$tmp/lonely.db" --form sipas2017 --by district --format csv \
    >"$tmp/fail.out" 2>"$tmp/fail.err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "lonely stratum with --lonely-psu fail: exit $code, expected 1"
grep -q "binh_gia (wave 2024)' has only one PSU" "$tmp/fail.err" ||
    fail "lonely stratum: message does not name it: $(cat "$tmp/fail.err")"

ncases=0
worst_all=0
while IFS=$'\t' read -r name data argstring; do
    [ "$name" = name ] && continue
    IFS='|' read -r -a args <<<"$argstring"
    out=$tmp/$name.csv
    "$analyze" index --db "$tmp/$data.db" --form sipas2017 --format csv "${args[@]}" \
        >"$out" 2>"$tmp/$name.err" || fail "$name: sipas-analyze index ${args[*]} failed: $(cat "$tmp/$name.err")"
    # Labels are the only quoted fields; blank them (awk splits on every comma). The expected
    # file's domain joins the by values with "|".
    if ! awk -F, -v case="$name" -v report="$tmp/report" '
        function absd(a, b) { return a > b ? a - b : b - a }
        function rel(a, b,   m) { m = absd(a, 0) > absd(b, 0) ? absd(a, 0) : absd(b, 0); return m == 0 ? 0 : absd(a, b) / m }
        FNR == 1 { file++ }
        file == 1 && FNR == 1 { next }
        file == 1 {
            if ($1 != case) next
            key = $2 SUBSEP $3
            if (key in exp_level) { print case ": expected row repeated: " $2 " " $3; bad++ }
            exp_level[key] = $4
            for (k = 5; k <= 10; k++) ev[key, k - 4] = $k
            nexp++
            next
        }
        {
            line = $0
            gsub(/"[^"]*"/, "", line)
            nf = split(line, f, ",")
        }
        FNR == 1 {
            for (k = 1; k <= nf; k++) col[f[k]] = k
            nby = col["measure"] - 1
            split("estimate se ci_low ci_high df deff", names, " ")
            for (j = 1; j <= 6; j++) at[j] = col[names[j]]
            next
        }
        {
            dom = ""
            for (k = 1; k <= nby; k++) dom = dom (k > 1 ? "|" : "") f[k]
            key = dom SUBSEP f[nby + 1]
            if (!(key in exp_level)) { print case ": unexpected row " dom " " f[nby + 1]; bad++; next }
            if (exp_level[key] != f[nby + 2]) { print case ": " dom " " f[nby + 1] ": level " f[nby + 2] " expected " exp_level[key]; bad++ }
            seen[key] = 1
            nact++
            for (j = 1; j <= 6; j++) {
                a = f[at[j]]; e = ev[key, j]
                if (a == "" || e == "") {
                    if (a != e) { print case ": " dom " " f[nby + 1] " " names[j] ": sipas \"" a "\", R \"" e "\""; bad++ }
                    continue
                }
                d = (j == 3 || j == 4) ? absd(a + 0, e + 0) : rel(a + 0, e + 0)
                # zero in exact arithmetic, rounding noise on both sides (see the header)
                if ((j == 2 && absd(a, 0) <= 1e-15 && absd(e, 0) <= 1e-15) ||
                    (j == 6 && absd(a, 0) <= 1e-12 && absd(e, 0) <= 1e-12)) d = 0
                tol = (j == 3 || j == 4) ? 1e-7 : 1e-9
                if (d > worst[j]) { worst[j] = d; where[j] = dom " " f[nby + 1] " (sipas " a ", R " e ")" }
                if (d > tol) { print case ": " dom " " f[nby + 1] " " names[j] ": sipas " a ", R " e ", difference " d; bad++ }
            }
        }
        END {
            for (key in exp_level) if (!(key in seen)) { split(key, p, SUBSEP); print case ": missing row " p[1] " " p[2]; bad++ }
            printf "%-38s %4d rows  worst: est %.2g  se %.2g  ci_low %.2g  ci_high %.2g  df %.2g  deff %.2g\n", case, nact, worst[1], worst[2], worst[3], worst[4], worst[5], worst[6]
            for (j = 1; j <= 6; j++) if (worst[j] > 0) printf "%s\t%s\t%.17g\t%s\n", case, names[j], worst[j], where[j] >> report
            if (nexp == 0) { print case ": no expected rows"; bad++ }
            exit bad > 0
        }' "$fixtures/expected.csv" "$out"; then
        fail "$name: sipas and R disagree (see above)"
    fi
    ncases=$((ncases + 1))
done <"$fixtures/cases.tsv"

[ "$ncases" -gt 0 ] || fail "no cases in $fixtures/cases.tsv"
if [ -s "$tmp/report" ]; then
    for what in "estimate" "se" "ci_low" "ci_high" "df" "deff"; do
        awk -F'\t' -v w="$what" '$2 == w && $3 + 0 >= best + 0 { best = $3; line = $1 ": " $4 }
            END { if (line != "") printf "worst %-8s %.3g  %s\n", w, best, line }' "$tmp/report"
    done
fi
# Several --by sets in one invocation (one reading of the store): every row of each single-set
# run, the columns of the other set left empty, in the order of the sets.
"$analyze" index --db "$tmp/sample.db" --form sipas2017 --format csv --by wave \
    >"$tmp/by_wave.csv" || fail "index --by wave failed"
"$analyze" index --db "$tmp/sample.db" --form sipas2017 --format csv --by wave,district \
    >"$tmp/by_wave_district.csv" || fail "index --by wave,district failed"
"$analyze" index --db "$tmp/sample.db" --form sipas2017 --format csv --by wave --by wave,district \
    >"$tmp/by_both.csv" || fail "index --by wave --by wave,district failed"
{
    head -n 1 "$tmp/by_wave_district.csv"
    tail -n +2 "$tmp/by_wave.csv" | sed 's/^\([^,]*\),/\1,,/'
    tail -n +2 "$tmp/by_wave_district.csv"
} >"$tmp/by_expected.csv"
cmp -s "$tmp/by_expected.csv" "$tmp/by_both.csv" ||
    fail "--by wave --by wave,district differs from the two single runs: $(diff "$tmp/by_expected.csv" "$tmp/by_both.csv" | head -5)"
"$analyze" index --db "$tmp/sample.db" --form sipas2017 --format json --by wave --by district \
    >"$tmp/by_both.json" || fail "index --format json with two --by sets failed"
[ "$(head -c 2 "$tmp/by_both.json")" = '[{' ] && [ "$(grep -c '"by":\[' "$tmp/by_both.json")" = 2 ] ||
    fail "two --by sets in JSON: expected an array of two results"

echo "ok: $ncases cases agree with R's survey 4.1.1"
