# Shared by the CLI tests: where the programs are, a scratch directory, and checks that print
# what they expected and what they got. Each test script sources this file.
set -u
: "${SIPAS_BUILD:?set by ctest}" "${SIPAS_SOURCE:?set by ctest}"
COLLECT="$SIPAS_BUILD/sipas-collect"
ANALYZE="$SIPAS_BUILD/sipas-analyze"
export SIPAS_SURVEYS="$SIPAS_SOURCE/surveys"
WORK=$(mktemp -d /tmp/sipas-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export SIPAS_DB="$WORK/test.db"
failures=0
checks=0

# run CMD...: runs it, keeping stdout in $WORK/out, stderr in $WORK/err and the exit code in $rc.
run() {
  "$@" >"$WORK/out" 2>"$WORK/err"
  rc=$?
}

fail() {
  echo "FAIL: $*"
  echo "  stdout: $(head -c 2000 "$WORK/out")"
  echo "  stderr: $(head -c 2000 "$WORK/err")"
  failures=$((failures + 1))
}

expect_rc() { # expected-code description
  checks=$((checks + 1))
  [ "$rc" -eq "$1" ] || fail "$2: exit code $rc, expected $1"
}

expect_out() { # fixed-string description
  checks=$((checks + 1))
  grep -qF -- "$1" "$WORK/out" || fail "$2: stdout lacks '$1'"
}

expect_err() { # fixed-string description
  checks=$((checks + 1))
  grep -qF -- "$1" "$WORK/err" || fail "$2: stderr lacks '$1'"
}

expect_equal() { # got expected description
  checks=$((checks + 1))
  [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

finish() {
  echo "$((checks - failures)) passed, $failures failed"
  [ "$failures" -eq 0 ]
}
