#!/usr/bin/env bash
# bench/import_xlsx.sh - importing a batch from an Excel workbook against the same batch as CSV.
# Never run by ctest.
#
#   bench/import_xlsx.sh [BUILD_DIR]      (default: build-bench, a Release build of this tree)
#
# Environment: BENCH_DIR (scratch, default /tmp/sipas-bench), RUNS (hyperfine runs, default 5),
# ROWS (default 100000). Needs hyperfine and /usr/bin/time.
#
# What it does:
#  1. generates ROWS respondents of one wave (sipas_gen_sample --form sipas2017 --waves 2024)
#     and writes the same rows as .xlsx with libxlsxwriter (tests/write_table_fixture.c: numbers
#     as numbers, text as shared strings, as Excel saves a typed sheet);
#  2. hyperfine, both imports in one run, --prepare deleting the stores: the .xlsx import
#     (unzip and parse the sheet's XML as a stream, then the same validation and store as CSV)
#     against the CSV import;
#  3. peak resident memory (/usr/bin/time -f %M, KiB) of each import: the workbook is read as a
#     stream, so memory should not grow with the sheet beyond its shared strings.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$source_dir/build-bench}
work=${BENCH_DIR:-/tmp/sipas-bench}
runs=${RUNS:-5}
rows=${ROWS:-100000}
mkdir -p "$work"

if [ ! -x "$build/sipas-collect" ] || [ ! -x "$build/write_table_fixture" ]; then
    cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$build" -j"$(nproc)" >/dev/null
fi

csv=$work/batch_$rows.csv
xlsx=$work/batch_$rows.xlsx
[ -s "$csv" ] || "$build/sipas_gen_sample" --surveys "$source_dir/surveys" --form sipas2017 \
    --waves 2024 --rows "$rows" --out "$csv"
[ -s "$xlsx" ] || "$build/write_table_fixture" xlsx "$csv" "$xlsx"
ls -l "$csv" "$xlsx"

collect="$build/sipas-collect"
export SIPAS_SURVEYS="$source_dir/surveys"
hyperfine --runs "$runs" --warmup 1 \
    --prepare "rm -f '$work/xlsx.db' '$work/csv.db'" \
    --export-markdown "$work/import_xlsx.md" \
    "$collect import --quiet --db $work/xlsx.db --form sipas2017 $xlsx" \
    "$collect import --quiet --db $work/csv.db --form sipas2017 $csv"

for f in "$xlsx" "$csv"; do
    rm -f "$work/mem.db"
    kib=$(/usr/bin/time -f %M "$collect" import --quiet --db "$work/mem.db" --form sipas2017 "$f" \
          2>&1 >/dev/null | tail -1)
    echo "peak RSS $(basename "$f"): $kib KiB"
done
cat "$work/import_xlsx.md"
