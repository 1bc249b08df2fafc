# bench/common.sh - what bench/import.sh and bench/review.sh share; sourced, never run.
# Expects source_dir, build and work to be set by the script that sources it.

# Builds $build (Release) when its programs are missing; warns when it is not a Release build.
bench_build() {
    if [ ! -x "$build/sipas-collect" ] || [ ! -x "$build/sipas-analyze" ] ||
        [ ! -x "$build/sipas_gen_sample" ]; then
        cmake -S "$source_dir" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
        cmake --build "$build" -j"$(nproc)" >/dev/null
    fi
    grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" ||
        echo "warning: $build is not a Release build" >&2
}

# bench_batch SIZE: the bench20 batch of SIZE respondents (6 waves of ceil(SIZE / 6), district
# names as Vietnamese labels, seed 2640), generated once; prints its path.
bench_batch() {
    local csv=$work/bench20_$1.csv
    [ -s "$csv" ] || "$build/sipas_gen_sample" --surveys "$source_dir/bench/surveys" --form bench20 \
        --waves 2019-2024 --rows $((($1 + 5) / 6)) --labels vi --label-columns district --out "$csv"
    echo "$csv"
}

# bench_timed NAME CMD...: runs CMD once, its output discarded; appends
# "NAME,wall_s,user_s,sys_s,peak_kib" to the file $timings.
bench_timed() {
    local name=$1
    shift
    /usr/bin/time -f "%e,%U,%S,%M" -o "$work/time.txt" "$@" >/dev/null
    echo "$name,$(cat "$work/time.txt")" >>"$timings"
}

# bench_summary FILE: per command, the median and min-max of each column of bench_timed's lines.
bench_summary() {
    awk -F, 'NR > 1 { if (!($1 in n)) order[++nc] = $1; n[$1]++; for (k = 2; k <= 5; k++) v[$1, k, n[$1]] = $k }
        END {
            split("wall_s user_s sys_s peak_KiB", label, " ")
            for (o = 1; o <= nc; o++) {
                c = order[o]
                printf "%-18s %d run(s)", c, n[c]
                for (k = 2; k <= 5; k++) {
                    m = n[c]
                    for (i = 1; i <= m; i++) x[i] = v[c, k, i] + 0
                    for (i = 2; i <= m; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
                    med = m % 2 ? x[(m + 1) / 2] : (x[m / 2] + x[m / 2 + 1]) / 2
                    printf "  %s %g (%g-%g)", label[k - 1], med, x[1], x[m]
                }
                printf "\n"
            }
        }' "$1"
}
