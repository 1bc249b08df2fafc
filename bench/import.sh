#!/usr/bin/env bash
# bench/import.sh - how fast `sipas-collect import` stores a large batch, against SQLite's own
# CSV import of the same file, and how much memory the import takes. Never run by ctest.
#
#   bench/import.sh [BUILD_DIR]      (default: build-bench, a Release build of this tree)
#
# Environment: BENCH_DIR (scratch, default /tmp/sipas-bench), ROUNDS (alternating rounds,
# default 5), ROWS (respondents, default 1000000), MEMORY_SIZES (respondents for the peak-memory
# table, default "250000 ROWS 4xROWS"; one run each).
# Needs sqlite3 and /usr/bin/time (Debian: apt-get install -y sqlite3 time).
#
# Data (bench/common.sh): the bench20 batch, six waves 2019-2024 totalling ROWS respondents
# (rounded up to a multiple of 6), 26 columns: id, wave, district written as Vietnamese labels
# ("Tràng Định", now and then lower-cased or padded as spreadsheets do), commune, weight, fpc and
# 20 criteria; fixed seed.
# What is timed, alternately (sipas, sqlite3, sipas, ...), each into a fresh database (the
# previous one deleted first, outside the timing), with /usr/bin/time (wall, user, system CPU
# seconds, peak RSS):
#   sipas   sipas-collect import: parse, check every value against the instrument (choice lists
#           and labels, types, required cells, duplicate ids), store typed columns with a unique
#           index on the respondent id, record the batch with the file's SHA-256, one transaction;
#           two threads (one reads and checks, the other stores: src/import_pipeline.c), so its
#           wall time can be below its CPU time (user + sys, both threads) on an idle machine
#   sqlite  sqlite3 -cmd '.mode csv' DB '.import FILE t': every field stored as text into a
#           table it creates, no index, no checks
# Results go to BENCH_DIR (import_rounds.csv, import_memory.csv) and a summary to standard output.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$source_dir/build-bench}
work=${BENCH_DIR:-/tmp/sipas-bench}
rounds=${ROUNDS:-5}
rows=${ROWS:-1000000}
memory_sizes=${MEMORY_SIZES:-"250000 $rows $((rows * 4))"}
mkdir -p "$work"
source "$source_dir/bench/common.sh"
bench_build

batch=$(bench_batch "$rows")
echo "batch: $batch, $(($(wc -l <"$batch") - 1)) rows, $(head -n 1 "$batch" | tr ',' '\n' | wc -l) columns, $(du -m "$batch" | cut -f1) MB"

store=$work/import.db
plain=$work/sqlite.db
clean() { rm -f "$store" "$store-journal" "$store-wal" "$store-shm" "$plain" "$plain-journal"; }
sipas_import() { # sipas_import FILE
    "$build/sipas-collect" import --quiet --db "$store" --surveys "$source_dir/bench/surveys" \
        --form bench20 "$1"
}
export -f sipas_import
export build store source_dir

cat "$batch" >/dev/null # page cache warm for both
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
timings=$work/import_rounds.csv
echo "command,wall_s,user_s,sys_s,peak_kib" >"$timings"
loads=$work/import_loads.txt
: >"$loads"
for ((r = 1; r <= rounds; r++)); do
    echo "round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$loads"
    clean
    bench_timed sipas bash -c 'sipas_import "$0"' "$batch"
    clean
    bench_timed sqlite sqlite3 -cmd '.mode csv' "$plain" ".import $batch t"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

timings=$work/import_memory.csv
echo "command,wall_s,user_s,sys_s,peak_kib" >"$timings"
for size in $memory_sizes; do
    file=$(bench_batch "$size")
    clean
    bench_timed "sipas_$size" bash -c 'sipas_import "$0"' "$file"
done
clean

echo
echo "== alternating rounds, $rows respondents =="
cat "$loads"
bench_summary "$work/import_rounds.csv"
awk -F, 'function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == "sipas" { s[++ns] = $2; su[ns] = $3 + $4 } $1 == "sqlite" { q[++nq] = $2; qu[nq] = $3 + $4 }
    END {
        for (i = 1; i <= ns && i <= nq; i++) {
            printf "round %d: wall ratio %.2f, CPU (user+sys) ratio %.2f\n", i, s[i] / q[i], su[i] / qu[i]
            w[i] = s[i] / q[i]; c[i] = su[i] / qu[i]; n = i
        }
        printf "median of the rounds: wall ratio %.2f, CPU ratio %.2f\n", median(w, n), median(c, n)
    }' "$work/import_rounds.csv"
echo "== peak memory of sipas-collect import (one run each) =="
bench_summary "$work/import_memory.csv"
