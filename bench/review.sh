#!/usr/bin/env bash
# bench/review.sh - the annual review job (index by wave, and by wave and district) against one
# SQLite full-scan query over the same store and against the same job on the array path
# (--in-memory), the growth of both with the number of respondents, and an ASan build on 300,000
# respondents. Never run by ctest.
#
#   bench/review.sh [BUILD_DIR [ASAN_BUILD_DIR]]
#       BUILD_DIR       Release build (default build-bench, made when missing)
#       ASAN_BUILD_DIR  a -DSIPAS_SANITIZE=ON build; the ASan step is skipped without it
#
# Environment: BENCH_DIR (scratch, default /tmp/sipas-bench), ROUNDS (alternating rounds at 1M,
# default 5), SIZES (respondents for the growth table, default "250000 1000000 4000000 10000000";
# each size runs once per path: the 4M store is 0.5 GB; the 10M batch and store, 2.3 GB together
# and about 2 minutes to make, are deleted after their runs).
# Needs sqlite3 and /usr/bin/time (Debian: apt-get install -y sqlite3 time).
#
# Data: sipas_gen_sample --surveys bench/surveys --form bench20 --labels vi --label-columns
# district (seed 2640): six waves 2019-2024, 11 districts written as Vietnamese labels, 20
# criteria, 26 columns; SIZE respondents = 6 x ceil(SIZE / 6). Each store is imported once.
#
# What is timed (each end to end, a fresh process, page cache warm; wall, user and system CPU
# seconds and peak RSS from /usr/bin/time):
#   job     sipas-analyze index --by wave --by wave,district --format csv: one pass over the
#           store keeping sums per domain and per (domain, PSU), 6 + 66 domains x (overall + 5
#           elements + 20 criteria), logit CIs, SE, df, deff, Kish deff, NCHS flags
#   scan    sqlite3 STORE 'SELECT sum(wave), sum(weight), sum(communes_total), sum(<each
#           criterion>), count(DISTINCT commune), count(DISTINCT district) FROM responses_bench20':
#           reads every column the job needs from every row, without grouping
#   inmem   the job with --in-memory: every respondent loaded into arrays, then estimated (the
#           path calibration and designs without clusters take)
#   two     the job as two invocations (--by wave, then --by wave,district): issue 16 accepts
#           either form; each invocation reads the store once
# Rounds alternate job, scan, inmem, two so that a busy phase of a shared machine hits all alike;
# the growth table runs job and inmem at each size. After each pair of job and inmem runs their
# CSVs are compared (numbers within 1e-9 relative, text equal): the two paths must agree.
# Results: BENCH_DIR/review_rounds.csv, review_sizes.csv, review_asan.csv and a summary on
# standard output (medians and min-max).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$source_dir/build-bench}
asan_build=${2:-}
work=${BENCH_DIR:-/tmp/sipas-bench}
rounds=${ROUNDS:-5}
sizes=${SIZES:-"250000 1000000 4000000 10000000"}
surveys=$source_dir/bench/surveys
mkdir -p "$work"

source "$source_dir/bench/common.sh"
bench_build

# store_for SIZE: the bench20 batch of SIZE respondents, imported once; prints the store's path.
store_for() {
    local csv store=$work/bench20_$1.db
    csv=$(bench_batch "$1")
    [ -s "$store" ] || "$build/sipas-collect" import --quiet --db "$store" --surveys "$surveys" \
        --form bench20 "$csv" >/dev/null
    echo "$store"
}

criteria=$(awk -F, '$5 == "criterion" { printf ", sum(\"%s\")", $2 }' "$surveys/bench20/survey.csv")
scan_sql="SELECT sum(wave), sum(weight), sum(communes_total)$criteria, count(DISTINCT commune),
    count(DISTINCT district) FROM responses_bench20"

# index STORE OUT [OPTION...]: the review job's two --by sets in one invocation.
index() {
    local store=$1 out=$2
    shift 2
    "$build/sipas-analyze" index --db "$store" --surveys "$surveys" --form bench20 --format csv \
        --by wave --by wave,district --out "$out" "$@"
}
job() { index "$1" "$2"; }                # job STORE OUT: the one pass
inmem() { index "$1" "$2" --in-memory; }  # inmem STORE OUT: the array path
two() { # two STORE OUT: the same tables from two invocations
    "$build/sipas-analyze" index --db "$1" --surveys "$surveys" --form bench20 --format csv \
        --by wave --out "$2.wave" &&
        "$build/sipas-analyze" index --db "$1" --surveys "$surveys" --form bench20 --format csv \
            --by wave,district --out "$2.district"
}

# same_numbers A.csv B.csv: whether two index CSVs agree: the same rows and columns, text equal,
# numbers within 1e-9 relative (|a - b| / max(|a|, |b|)); prints the worst difference and where.
same_numbers() {
    awk -F, -v tolerance=1e-9 '
        # splits a line on commas outside quotes into f[1..n]
        function fields(line, f,   q, out) {
            out = ""
            while (match(line, /"[^"]*"/)) {
                q = substr(line, RSTART, RLENGTH)
                gsub(/,/, "\001", q)
                out = out substr(line, 1, RSTART - 1) q
                line = substr(line, RSTART + RLENGTH)
            }
            return split(out line, f, ",")
        }
        function numeric(x) { return x ~ /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ }
        function absolute(x) { return x < 0 ? -x : x }
        FNR == 1 { file++; if (file == 1) { fields($0, name); header = $0 } else if ($0 != header) bad++; next }
        file == 1 { a[FNR] = $0; na = FNR; next }
        {
            nb = FNR
            if (!(FNR in a)) { bad++; next }
            n = fields(a[FNR], x); m = fields($0, y)
            if (n != m) { bad++; next }
            for (k = 1; k <= n; k++) {
                if (x[k] == y[k]) continue
                if (!numeric(x[k]) || !numeric(y[k])) { bad++; if (!text) text = FNR ": " name[k] " " x[k] " / " y[k]; continue }
                big = absolute(x[k] + 0) > absolute(y[k] + 0) ? absolute(x[k] + 0) : absolute(y[k] + 0)
                d = absolute(x[k] - y[k]) / big
                if (d > worst) { worst = d; where = "row " FNR - 1 ", " name[k] ": " x[k] " / " y[k] }
                if (d > tolerance) bad++
            }
        }
        END {
            if (na != nb) bad++
            printf "%s against %s: rows %d / %d, worst relative difference %.3g%s, %d beyond %g%s\n",
                ARGV[1], ARGV[2], na - 1, nb - 1, worst, (worst > 0 ? " (" where ")" : ""), bad,
                tolerance, (text ? "; text differs at line " text : "")
            exit (bad > 0)
        }' "$1" "$2"
}

million=$(store_for 1000000)
echo "1M store: $million, $(du -m "$million" | cut -f1) MB"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
job "$million" "$work/review.csv" # warm the page cache
sqlite3 "$million" "$scan_sql" >/dev/null

timings=$work/review_rounds.csv
echo "command,wall_s,user_s,sys_s,peak_kib" >"$timings"
export -f index job inmem two
export build surveys
for ((r = 1; r <= rounds; r++)); do
    bench_timed job bash -c 'job "$0" "$1"' "$million" "$work/review.csv"
    bench_timed scan sqlite3 "$million" "$scan_sql"
    bench_timed inmem bash -c 'inmem "$0" "$1"' "$million" "$work/review_inmem.csv"
    bench_timed two bash -c 'two "$0" "$1"' "$million" "$work/review_two"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
agreement=$work/review_agreement.txt
same_numbers "$work/review.csv" "$work/review_inmem.csv" >"$agreement" || true

timings=$work/review_sizes.csv
echo "command,wall_s,user_s,sys_s,peak_kib" >"$timings"
for size in $sizes; do
    store=$(store_for "$size")
    bench_timed "job_$size" bash -c 'job "$0" "$1"' "$store" "$work/review_$size.csv"
    bench_timed "inmem_$size" bash -c 'inmem "$0" "$1"' "$store" "$work/review_inmem_$size.csv"
    same_numbers "$work/review_$size.csv" "$work/review_inmem_$size.csv" >>"$agreement" || true
    if [ "$size" -gt 4000000 ]; then # too large to keep in scratch
        rm -f "$store" "$store-wal" "$store-shm" "$work/bench20_$size.csv"
    fi
done
echo "load average after the growth table: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "$asan_build" ]; then
    timings=$work/review_asan.csv
    echo "command,wall_s,user_s,sys_s,peak_kib" >"$timings"
    store=$(store_for 300000)
    bench_timed asan_job_300000 "$asan_build/sipas-analyze" index --db "$store" --surveys "$surveys" \
        --form bench20 --format csv --by wave --by wave,district --out "$work/review_asan.csv.out"
fi

echo
echo "== alternating rounds, 1M respondents =="
bench_summary "$work/review_rounds.csv"
echo "== growth (one run each) =="
bench_summary "$work/review_sizes.csv"
echo "== one pass against --in-memory (job's CSV / inmem's) =="
cat "$agreement"
[ -z "$asan_build" ] || { echo "== ASan =="; bench_summary "$work/review_asan.csv"; }
