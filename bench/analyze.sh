#!/usr/bin/env bash
# bench/analyze.sh - end-to-end speed of `sipas-analyze index --by district --format csv` against
# the same computation in R's survey package (bench/analyze.R). Never run by ctest.
#
#   bench/analyze.sh [BUILD_DIR]     (default: build-bench, a Release build of this tree)
#
# Environment: BENCH_DIR (scratch, default /tmp/sipas-bench), ROWS_PER_WAVE (default 166667:
# six waves 2019-2024 totalling 1,000,002 respondents, 22 criteria), RUNS (sipas runs, default
# 10), R_RUNS (runs of each R variant, default 1: one R run takes minutes; 0: sipas only), UNITS (the
# generator's --units-per-commune, default 1: with 166,667 rows per wave every commune is then
# sampled, a census of PSUs whose variances are 0; UNITS=40 gives a design with variance).
# Needs hyperfine, R with survey 4.1.1, data.table and RSQLite (Debian: r-cran-survey
# r-cran-data.table r-cran-rsqlite).
#
# What is timed, each end to end (start of the process to the CSV written):
#   sipas    sipas-analyze reads the store (imported once beforehand; the import is timed by
#            bench/import.sh), builds the design, computes 66 domains (11 districts x 6 waves) x
#            (overall + 5 elements + 22 criteria) with logit CIs, SE, df, deff, NCHS flags
#   R csv    Rscript bench/analyze.R csv: fread of the CSV batch, then the survey calls
#   R store  Rscript bench/analyze.R sqlite: RSQLite reads the sipas store, then the same calls
# Then the sipas and R results are compared with tests/cli/index_vs_r.sh's tolerances (a check
# that both computed the same thing, not part of the timing).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$source_dir/build-bench}
work=${BENCH_DIR:-/tmp/sipas-bench}
per_wave=${ROWS_PER_WAVE:-166667}
units=${UNITS:-1}
runs=${RUNS:-10}
r_runs=${R_RUNS:-1}
export SIPAS_SURVEYS=$source_dir/surveys
mkdir -p "$work"

if [ ! -x "$build/sipas-analyze" ]; then
    cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
    echo "warning: $build is not a Release build" >&2

suffix=$per_wave$([ "$units" = 1 ] || echo "_u$units")
csv=$work/waves6_$suffix.csv
store=$work/waves6_$suffix.db
[ -s "$csv" ] || "$build/sipas_gen_sample" --form sipas2017 --waves 2019-2024 --rows "$per_wave" \
    --units-per-commune "$units" --out "$csv"
if [ ! -s "$store" ]; then
    /usr/bin/time -f "import: %e s, peak %M KiB" "$build/sipas-collect" import --db "$store" \
        --form sipas2017 "$csv"
fi
echo "data: $(($(wc -l <"$csv") - 1)) respondents in 6 waves, $(du -m "$csv" | cut -f1) MB CSV, $(du -m "$store" | cut -f1) MB store"

sipas_cmd="$build/sipas-analyze index --db $store --form sipas2017 --by district --format csv --out $work/sipas_index.csv"
hyperfine --warmup 1 --runs "$runs" -n sipas-analyze "$sipas_cmd" \
    --export-json "$work/analyze_sipas.json" --export-markdown "$work/analyze_sipas.md"
/usr/bin/time -f "sipas-analyze peak RSS %M KiB" $sipas_cmd

if [ "$r_runs" -eq 0 ]; then
    echo "R_RUNS=0: R not run"
    exit 0
fi
# R: few runs (minutes each); hyperfine still gives mean/min/max. The phases go to r_*.log.
hyperfine --runs "$r_runs" -n "R (fread CSV)" \
    "Rscript $source_dir/bench/analyze.R csv $csv $work/r_csv.csv 2>>$work/r_csv.log" \
    -n "R (RSQLite store)" \
    "Rscript $source_dir/bench/analyze.R sqlite $store $work/r_store.csv 2>>$work/r_store.log" \
    --export-json "$work/analyze_r.json" --export-markdown "$work/analyze_r.md"
echo "R phases (last run):"
tail -n 5 "$work/r_csv.log" "$work/r_store.log"

# The same numbers? Compare sipas's CSV with R's, as tests/cli/index_vs_r.sh does.
awk -F, '
    function absd(a, b) { return a > b ? a - b : b - a }
    function rel(a, b,   m) { m = absd(a, 0) > absd(b, 0) ? absd(a, 0) : absd(b, 0); return m == 0 ? 0 : absd(a, b) / m }
    FNR == 1 { file++; next }
    file == 1 { key = $2 SUBSEP $3; for (k = 5; k <= 10; k++) e[key, k - 4] = $k; n++; next }
    {
        line = $0; gsub(/"[^"]*"/, "", line); split(line, f, ",")
        key = f[1] "|" f[2] SUBSEP f[3]
        v[1] = f[8]; v[2] = f[9]; v[3] = f[10]; v[4] = f[11]; v[5] = f[13]; v[6] = f[14]
        m++
        for (j = 1; j <= 6; j++) {
            if (v[j] == "" || e[key, j] == "") { if (v[j] != e[key, j]) bad++; continue }
            d = (j == 3 || j == 4) ? absd(v[j] + 0, e[key, j] + 0) : rel(v[j] + 0, e[key, j] + 0)
            if (d > worst[j]) worst[j] = d
            if (d > ((j == 3 || j == 4) ? 1e-7 : 1e-9)) bad++
        }
    }
    END {
        printf "sipas vs R on the benchmark data: %d R rows, %d sipas rows, worst: est %.2g se %.2g ci %.2g/%.2g df %.2g deff %.2g, %d beyond tolerance\n",
            n, m, worst[1], worst[2], worst[3], worst[4], worst[5], worst[6], bad
    }' "$work/r_csv.csv" "$work/sipas_index.csv"

echo
cat "$work/analyze_sipas.md" "$work/analyze_r.md"
