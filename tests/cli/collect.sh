#!/usr/bin/env bash
# sipas-collect end to end: every command, its --help, its exit codes and its messages.
source "$(dirname "$0")/lib.bash"
SAMPLE="$SIPAS_SOURCE/surveys/sample"

# usage and help
run "$COLLECT"; expect_rc 2 "no command"; expect_err "usage: sipas-collect COMMAND" "no command"
run "$COLLECT" --help; expect_rc 0 "--help"; expect_out "Exit codes: 0 success, 1 input refused" "--help"
run "$COLLECT" frobnicate; expect_rc 2 "unknown command"; expect_err "unknown command 'frobnicate'" "unknown command"
for cmd in import check batches show remove export instrument; do
  run "$COLLECT" $cmd --help; expect_rc 0 "$cmd --help"; expect_out "usage: sipas-collect $cmd" "$cmd --help"
done
run "$COLLECT" import --form sipas2017; expect_rc 2 "import without FILE"
expect_err "import needs --form ID and at least one FILE" "import without FILE"
run "$COLLECT" import --form sipas2017 --wave 1800 x.csv; expect_rc 2 "bad --wave"
expect_err "--wave '1800' is not a whole number from 1990 to 2100" "bad --wave"
run "$COLLECT" import --frm sipas2017 x.csv; expect_rc 2 "misspelt option"; expect_err "unknown option '--frm'" "misspelt option"

# instruments
run "$COLLECT" instrument sipas2017; expect_rc 0 "instrument"
expect_out "22 criteria in 5 elements" "instrument summary"
run "$COLLECT" instrument nosuchform; expect_rc 1 "unknown instrument"

# check stores nothing, and without a store creates none
run "$COLLECT" check --form sipas2017 "$SAMPLE/sipas2017_2024_labels_vi.csv"; expect_rc 0 "check"
expect_out "300 rows valid; it can be imported" "check"
[ ! -e "$SIPAS_DB" ] || fail "check created a store"

# import, batches, show
run "$COLLECT" import --form sipas2017 "$SAMPLE/sipas2017_2019-2024.csv"; expect_rc 0 "import"
expect_out "batch 1: 13200 rows stored" "import"
run "$COLLECT" import --form sipas2017 "$SAMPLE/sipas2017_2019-2024.csv"; expect_rc 1 "repeated batch"
expect_err "has the same content as batch 1" "repeated batch"
run "$COLLECT" batches; expect_rc 0 "batches"; expect_out "13200" "batches"
run "$COLLECT" show 1; expect_rc 0 "show"; expect_out "rows stored:    13200" "show"
run "$COLLECT" show 99; expect_rc 1 "show missing"; expect_err "no batch 99" "show missing"
run "$COLLECT" show x; expect_rc 2 "show non-number"

# a batch with rejects: refused whole by default, stored without them with --keep-valid
awk -F';' 'NR==4 {OFS=";"; $5="0"; print; next} NR<=4' "$SAMPLE/sipas2017_2024_labels_vi.csv" > "$WORK/bad.csv"
run "$COLLECT" import --form sipas2017 --rejects "$WORK/rej.csv" "$WORK/bad.csv"; expect_rc 1 "rejected row"
expect_err "bad.csv:4: column 'weight': '0' is not a positive number" "rejected row message"
expect_err "1 of 3 rows rejected; nothing was stored" "rejected row summary"
checks=$((checks + 1)); grep -q "^4,\"column 'weight'" "$WORK/rej.csv" || grep -q "^4,column 'weight'" "$WORK/rej.csv" || fail "rejects file lacks row 4: $(cat "$WORK/rej.csv" | head -3)"
run "$COLLECT" import --form sipas2017 --keep-valid --rejects "$WORK/rej.csv" "$WORK/bad.csv"; expect_rc 0 "keep-valid"
expect_out "2 rows stored, 1 rejected" "keep-valid"

# export: codes and labels, one line per respondent plus the header
run "$COLLECT" export --form sipas2017 --batch 1 --out "$WORK/export.csv"; expect_rc 0 "export"
expect_equal "$(wc -l < "$WORK/export.csv")" "13201" "export rows"
run "$COLLECT" export --form sipas2017 --labels en --batch 1; expect_rc 0 "export labels"
expect_out "Very satisfied" "export labels"
run "$COLLECT" export --form sipas2017 --labels fr; expect_rc 2 "export bad labels"

# remove takes the responses with it
run "$COLLECT" remove 1; expect_rc 0 "remove"; expect_out "removed batch 1" "remove"
run "$COLLECT" export --form sipas2017 --batch 1 --out "$WORK/export.csv"; expect_rc 0 "export after remove"
expect_equal "$(wc -l < "$WORK/export.csv")" "1" "export after remove"

# the store is readable by sqlite3 with labels
checks=$((checks + 1))
label=$(sqlite3 "$SIPAS_DB" "SELECT staff_polite FROM sipas2017_en LIMIT 1" 2>&1)
case "$label" in Very*|Satisfied|Neutral|Dissatisfied|"Don't know"|"Not applicable"|Refused|"") ;; *) fail "label view gave '$label'";; esac

finish
