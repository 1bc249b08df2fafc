#!/usr/bin/env bash
# index_stream.sh - issue 16: `sipas-analyze index` gives the same table whether it streams the
# store once (per domain x PSU sums, the default) or loads every respondent (--in-memory). The
# two paths add the same numbers in another order, so they may differ by rounding only.
#
# For the random degenerate designs of tests/gen_designs.c (cases 0..SIPAS_STREAM_CASES-1,
# default 12: lonely strata, census fpc, domains of 1-5 respondents, shares of 0 and 1, criteria
# nobody answered) and the bundled sample (also with calibrated weights), each argument list
# below runs twice, as given and with SIPAS_STREAM_SECOND_ARGS appended (default --in-memory),
# and the two runs must have
#   - the same exit code and the same standard error (the same message when both fail);
#   - the same number of CSV rows, the same header, every non-numeric field identical and every
#     count (n, n_empty, n_dont_know, n_not_applicable, n_refused) identical;
#   - every other numeric field equal within relative 1e-9 or absolute 1e-13 (the absolute
#     bound covers a variance that is zero in exact arithmetic and comes out as noise); a field
#     empty on one side only is a difference.
# Prints the worst relative difference of each case and argument list, and "N comparisons".
# Before that, the comparison itself is shown to fail on tables that differ (another interval
# method; one estimate moved by 1e-8 relative) and to pass on a move of 1e-12 relative.
#
# SIPAS_STREAM_SECOND_ARGS="" compares a path with itself (must pass); "--ci beta" makes every
# pair differ (must fail). Environment (set by ctest): SIPAS_BUILD, SIPAS_SOURCE.
# To reproduce "case K: index ARGS" by hand: `gen_designs DIR K 1`, then with
# SIPAS_SURVEYS=DIR/case_K/surveys and SIPAS_DB=DIR/case_K/store.db,
# `sipas-collect import --form genK DIR/case_K/batch.csv` and `sipas-analyze index --format csv ARGS`.
source "$(dirname "$0")/lib.bash"

GEN="$SIPAS_BUILD/gen_designs"
NCASES=${SIPAS_STREAM_CASES:-12}
read -r -a second_args <<<"${SIPAS_STREAM_SECOND_ARGS---in-memory}"
# The rules that survive a lonely stratum; the argument lists that are not about the rule take
# one of them, in turn by case, so that they compare tables rather than the same failure.
SURVIVING_RULES=(remove certainty adjust average)

# compare.py MANIFEST: each line "PREFIX<TAB>WHAT" names a pair of runs, PREFIX.{a,b}.{csv,err,rc}.
# Prints one line per pair (worst relative difference, or what differs), then "N comparisons"
# and "M differ"; exits 1 when a pair differs.
cat >"$WORK/compare.py" <<'EOF'
import csv, math, sys

REL, ABS = 1e-9, 1e-13
MAX_SHOWN = 5  # differing fields shown per pair


def is_count(name):
    return name == "n" or (name.startswith("n_") and name != "n_eff")


def number(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def compare(prefix):
    """Returns (problems, worst relative difference, where it was)."""
    problems = []
    rc_a, rc_b = read(prefix + ".a.rc").strip(), read(prefix + ".b.rc").strip()
    err_a, err_b = read(prefix + ".a.err"), read(prefix + ".b.err")
    if rc_a != rc_b:
        problems.append(f"exit code {rc_a} vs {rc_b}; stderr {err_a.strip()[:300]!r} vs {err_b.strip()[:300]!r}")
        return problems, 0.0, ""
    if err_a != err_b:
        problems.append(f"stderr differs (exit {rc_a}): {err_a.strip()[:300]!r} vs {err_b.strip()[:300]!r}")
    rows_a = list(csv.reader(read(prefix + ".a.csv").splitlines()))
    rows_b = list(csv.reader(read(prefix + ".b.csv").splitlines()))
    if len(rows_a) != len(rows_b):
        problems.append(f"{len(rows_a)} vs {len(rows_b)} CSV rows (header included)")
    if rows_a and rows_b and rows_a[0] != rows_b[0]:
        problems.append(f"header {','.join(rows_a[0])} vs {','.join(rows_b[0])}")
        return problems, 0.0, ""
    header = rows_a[0] if rows_a else []
    worst, worst_at = 0.0, ""
    shown = 0
    for r, (ra, rb) in enumerate(zip(rows_a, rows_b), start=1):
        if r == 1:
            continue
        if len(ra) != len(rb):
            problems.append(f"row {r}: {len(ra)} vs {len(rb)} fields")
            continue
        for i, (fa, fb) in enumerate(zip(ra, rb)):
            name = header[i] if i < len(header) else f"field {i + 1}"
            where = f"row {r} ({','.join(x for x in ra[:4] if x)}) {name}"
            if fa == fb:
                continue
            va, vb = number(fa), number(fb)
            if fa != "" and fb != "" and not is_count(name) and va is not None and vb is not None:
                diff = abs(va - vb)
                scale = max(abs(va), abs(vb))
                rel = diff / scale
                if rel > worst:
                    worst, worst_at = rel, where
                if diff <= ABS or diff <= REL * scale:
                    continue
            problems.append(f"{where}: {fa!r} vs {fb!r}")
            shown += 1
            if shown >= MAX_SHOWN:
                problems.append("(more differences not shown)")
                return problems, worst, worst_at
    return problems, worst, worst_at


def main():
    pairs = differ = 0
    with open(sys.argv[1], encoding="utf-8") as manifest:
        for line in manifest:
            prefix, what = line.rstrip("\n").split("\t", 1)
            pairs += 1
            problems, worst, worst_at = compare(prefix)
            if problems:
                differ += 1
                print(f"FAIL: {what}:")
                for p in problems:
                    print(f"    {p}")
            else:
                at = f" at {worst_at}" if worst else ""
                rc = read(prefix + ".a.rc").strip()
                outcome = f"both exit {rc}, the same message" if rc != "0" else f"worst relative difference {worst:.3g}{at}"
                print(f"ok: {what}: {outcome}")
    print(f"{pairs} comparisons")
    print(f"{differ} differ")
    return 1 if differ else 0


try:
    sys.exit(main())
except Exception as e:  # a broken comparison must not read as "the tables differ" (exit 1)
    print(f"compare.py: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(3)
EOF

pairs=0
: >"$WORK/manifest"

# save_run PREFIX CMD...: the output, messages and exit code of one run, for compare.py.
save_run() {
  local prefix=$1
  shift
  "$@" >"$prefix.csv" 2>"$prefix.err"
  echo $? >"$prefix.rc"
}

# index_pair WHAT ARGS...: `sipas-analyze index --format csv ARGS` as given and with the second
# path's arguments, recorded for compare.py.
index_pair() {
  local what=$1
  shift
  pairs=$((pairs + 1))
  local prefix="$WORK/pairs/$pairs"
  save_run "$prefix.a" "$ANALYZE" index --format csv "$@"
  save_run "$prefix.b" "$ANALYZE" index --format csv "$@" "${second_args[@]}"
  printf '%s\t%s\n' "$prefix" "$what: index $*" >>"$WORK/manifest"
}
mkdir -p "$WORK/pairs" "$WORK/selftest"

# ---- the comparison can fail: tables of one design that differ, and one that moves by rounding
"$GEN" "$WORK/designs" 0 "$NCASES" || { echo "FAIL: gen_designs"; exit 1; }
export SIPAS_SURVEYS="$WORK/designs/case_0/surveys" SIPAS_DB="$WORK/designs/case_0/store.db"
run "$COLLECT" import --form gen0 "$WORK/designs/case_0/batch.csv"
expect_rc 0 "case 0: import"
base=(--form gen0 --by huyen --lonely-psu adjust --wave 2019)
self="$WORK/selftest"
save_run "$self/logit" "$ANALYZE" index --format csv "${base[@]}" --ci logit
save_run "$self/beta" "$ANALYZE" index --format csv "${base[@]}" --ci beta
expect_equal "$(cat "$self/logit.rc") $(grep -c ',logit,' "$self/logit.csv")" "0 $(($(wc -l <"$self/logit.csv") - 1))" \
  "self-test: case 0 --wave 2019 --by huyen gives a logit table"
# moved PERTURBATION: the logit table with its first estimate multiplied by 1 + PERTURBATION
moved() {
  awk -F, -v OFS=, -v by="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "estimate") c = i }
    NR == 2 { $c = sprintf("%.17g", $c * (1 + by)) } { print }' "$self/logit.csv"
}
cp "$self/logit.err" "$self/moved.err"
cp "$self/logit.rc" "$self/moved.rc"
# expect_compare A B EXPECTED-CODE WHAT
expect_compare() {
  local kind
  for kind in csv err rc; do
    cp "$self/$1.$kind" "$self/x.a.$kind" && cp "$self/$2.$kind" "$self/x.b.$kind" || exit 1
  done
  printf '%s\t%s\n' "$self/x" "self-test" >"$self/manifest"
  run python3 "$WORK/compare.py" "$self/manifest"
  expect_rc "$3" "self-test: $4"
  expect_out "$3 differ" "self-test: $4"
}
expect_compare logit logit 0 "a table compared with itself is the same"
expect_compare logit beta 1 "logit and beta intervals differ"
moved 1e-8 >"$self/moved.csv"
expect_compare logit moved 1 "an estimate moved by 1e-8 relative differs"
moved 1e-12 >"$self/moved.csv"
expect_compare logit moved 0 "an estimate moved by 1e-12 relative is rounding"
echo 1 >"$self/moved.rc"
expect_compare logit moved 1 "another exit code differs"

# ---- the random degenerate designs
for ((k = 0; k < NCASES; k++)); do
  dir="$WORK/designs/case_$k"
  form="gen$k"
  export SIPAS_SURVEYS="$dir/surveys" SIPAS_DB="$dir/store.db"
  cp "$SIPAS_SOURCE/surveys/targets.csv" "$dir/surveys/"
  if [ "$k" -ne 0 ]; then
    run "$COLLECT" import --form "$form" "$dir/batch.csv"
    expect_rc 0 "case $k: import"
  fi
  first_wave=$(awk '$1 == "first_wave" { print $2 }' "$dir/design.txt")
  last_wave=$(awk '$1 == "last_wave" { print $2 }' "$dir/design.txt")
  districts=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "huyen") c = i; next }
    !seen[$c]++ { printf "%s%s", (n++ ? "," : ""), $c }' "$dir/batch.csv")
  first_district=${districts%%,*}
  rule=${SURVIVING_RULES[k % ${#SURVIVING_RULES[@]}]}
  what="case $k"
  opts=(--form "$form" --lonely-psu "$rule")
  index_pair "$what" "${opts[@]}"
  index_pair "$what" "${opts[@]}" --by huyen
  index_pair "$what" "${opts[@]}" --by wave --by wave,huyen
  for each_rule in fail remove certainty adjust average; do
    index_pair "$what" --form "$form" --lonely-psu "$each_rule"
    index_pair "$what" --form "$form" --lonely-psu "$each_rule" --by huyen --by wave,huyen
  done
  for ci in logit wilson beta mean asin; do
    index_pair "$what" "${opts[@]}" --by huyen --ci "$ci"
  done
  index_pair "$what" "${opts[@]}" --by wave,huyen --min-cell 1
  index_pair "$what" "${opts[@]}" --by wave --where "huyen=$first_district"
  index_pair "$what" "${opts[@]}" --by wave,huyen --where "huyen!=$first_district" --where "wave>=$((first_wave + 1))"
  index_pair "$what" "${opts[@]}" --by huyen --where "huyen in $districts"
  index_pair "$what" "${opts[@]}" --by huyen --wave "$last_wave"
  index_pair "$what" "${opts[@]}" --by wave --scoring percent_to_max
done

# ---- the bundled sample
export SIPAS_SURVEYS="$SIPAS_SOURCE/surveys" SIPAS_DB="$WORK/sample.db"
run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "sample: import"
what="sample"
index_pair "$what" --form sipas2017 --by wave --by wave,district
index_pair "$what" --form sipas2017 --by wave --by wave,district --scoring percent_to_max
index_pair "$what" --form sipas2017 --by district --wave 2024 --ci beta --min-cell 1
# calibrated weights: population margins of districts (the bundled frame) and of sex (51
# respondents have no sex, so raking on it fails, naming a row of the stored data)
run "$COLLECT" frame --form sipas2017 "$SIPAS_SOURCE/surveys/sample/frame_district.csv"
expect_rc 0 "sample: frame of districts"
printf 'sex,population\nfemale,290000\nmale,268200\n' >"$WORK/frame_sex.csv"
run "$COLLECT" frame --form sipas2017 "$WORK/frame_sex.csv"
expect_rc 0 "sample: frame of sex"
index_pair "$what" --form sipas2017 --by wave --by wave,district --poststratify district
index_pair "$what" --form sipas2017 --by wave,district --base-weights district --ci mean
index_pair "$what" --form sipas2017 --by wave --rake district --rake sex

run python3 "$WORK/compare.py" "$WORK/manifest"
cat "$WORK/out" "$WORK/err"
checks=$((checks + pairs))
differ=$(awk '$2 == "differ" { print $1 }' "$WORK/out")
case $rc in
0 | 1) failures=$((failures + differ)) ;;
*) fail "compare.py exit code $rc" ;;
esac
finish
