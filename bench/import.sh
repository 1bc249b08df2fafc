#!/usr/bin/env bash
# bench/import.sh - how fast `sipas-collect import` stores a large batch, against SQLite's own
# CSV import of the same file, and how much memory the import takes. Never run by ctest.
#
#   bench/import.sh [BUILD_DIR]      (default: build-bench, a Release build of this tree)
#
# Environment: BENCH_DIR (scratch, default /tmp/sipas-bench), RUNS (hyperfine runs per command,
# default 5), ROUNDS (alternating rounds, default 5), ROWS (default 1000000).
# Needs hyperfine and sqlite3 (Debian: apt-get install -y hyperfine sqlite3) and /usr/bin/time.
#
# What it does:
#  1. generates a batch of ROWS respondents of one wave, 22 criteria (sipas_gen_sample --form
#     sipas2017 --waves 2024), and one of ROWS/4 for the memory check;
#  2. hyperfine, both commands in one run, --prepare deleting the databases so that every run
#     imports into a fresh store / fresh db: sipas-collect import (parse, check every value
#     against the instrument, store typed columns in one transaction) vs sqlite3 .import (parse,
#     store every field as text into a table it creates, no checks);
#  3. ROUNDS alternating rounds (sipas, sqlite3, sipas, sqlite3, ...: one hyperfine run each) so
#     that a slow phase of the shared machine hits both alike; medians of those too;
#  4. peak resident memory (/usr/bin/time -f %M, KiB) of sipas-collect import for ROWS/4, ROWS
#     and 2 x ROWS rows: it should not grow with the file beyond SQLite's page cache, which the
#     store caps at 128 MiB (PRAGMA cache_size = -131072 in src/store.c).
# Results go to BENCH_DIR (hyperfine JSON/markdown, alternating.csv, memory.csv) and a summary
# to standard output.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$source_dir/build-bench}
work=${BENCH_DIR:-/tmp/sipas-bench}
runs=${RUNS:-5}
rounds=${ROUNDS:-5}
rows=${ROWS:-1000000}
small=$((rows / 4))
double=$((rows * 2))
mkdir -p "$work"

if [ ! -x "$build/sipas-collect" ]; then
    cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
    echo "warning: $build is not a Release build" >&2

big=$work/batch_$rows.csv
little=$work/batch_$small.csv
[ -s "$big" ] || "$build/sipas_gen_sample" --surveys "$source_dir/surveys" --form sipas2017 \
    --waves 2024 --rows "$rows" --out "$big"
[ -s "$little" ] || "$build/sipas_gen_sample" --surveys "$source_dir/surveys" --form sipas2017 \
    --waves 2024 --rows "$small" --out "$little"
huge=$work/batch_$double.csv
[ -s "$huge" ] || "$build/sipas_gen_sample" --surveys "$source_dir/surveys" --form sipas2017 \
    --waves 2024 --rows "$double" --out "$huge"
echo "batch: $big, $(($(wc -l <"$big") - 1)) rows, $(du -m "$big" | cut -f1) MB"

store=$work/import.db
plain=$work/sqlite.db
clean="rm -f $store $store-journal $store-wal $store-shm $plain $plain-journal"
sipas_cmd="$build/sipas-collect import --db $store --surveys $source_dir/surveys --form sipas2017 $big"
sqlite_cmd="sqlite3 -cmd '.mode csv' $plain '.import $big t'"

# 2. side by side
hyperfine --warmup 1 --runs "$runs" --prepare "$clean" \
    -n sipas-collect "$sipas_cmd" -n "sqlite3 .import" "$sqlite_cmd" \
    --export-json "$work/import.json" --export-markdown "$work/import.md"

# 3. alternating rounds
echo "round,command,seconds" >"$work/alternating.csv"
for ((r = 1; r <= rounds; r++)); do
    for which in sipas sqlite; do
        cmd=$sipas_cmd
        [ "$which" = sqlite ] && cmd=$sqlite_cmd
        hyperfine --runs 1 --prepare "$clean" --style none --export-csv "$work/round.csv" "$cmd" >/dev/null
        echo "$r,$which,$(awk -F, 'NR == 2 { print $2 }' "$work/round.csv")" >>"$work/alternating.csv"
    done
done
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
alt_sipas=$(awk -F, '$2 == "sipas" { print $3 }' "$work/alternating.csv" | median)
alt_sqlite=$(awk -F, '$2 == "sqlite" { print $3 }' "$work/alternating.csv" | median)

# 4. peak memory, fresh store each time
echo "rows,peak_rss_kib" >"$work/memory.csv"
for f in "$little" "$big" "$huge"; do
    eval "$clean"
    n=$(($(wc -l <"$f") - 1))
    /usr/bin/time -f %M -o "$work/time.txt" "$build/sipas-collect" import --db "$store" \
        --surveys "$source_dir/surveys" --form sipas2017 "$f" >/dev/null
    echo "$n,$(cat "$work/time.txt")" >>"$work/memory.csv"
done
eval "$clean"
/usr/bin/time -f %M -o "$work/time.txt" sqlite3 -cmd '.mode csv' "$plain" ".import $big t"
sqlite_rss=$(cat "$work/time.txt")
eval "$clean"

echo
echo "== summary =="
cat "$work/import.md"
awk -v s="$alt_sipas" -v q="$alt_sqlite" 'BEGIN {
    printf "alternating medians: sipas-collect %.3f s, sqlite3 .import %.3f s, ratio %.2f\n", s, q, s / q }'
echo "peak RSS of sipas-collect import (KiB):"
column -t -s, "$work/memory.csv"
echo "peak RSS of sqlite3 .import, $rows rows: $sqlite_rss KiB"
