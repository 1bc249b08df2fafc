#!/usr/bin/env bash
# The installed man pages (build/man/*.1, written by "PROGRAM --man" at build time) against
# what the programs say: every command of PROGRAM --help has its section, every option of
# every "PROGRAM COMMAND --help" appears in that section, and .TH carries the --version.
. "$(dirname "$0")/lib.bash"
: >"$WORK/out" # fail() shows them; most checks here run no program
: >"$WORK/err"

for program in sipas-collect sipas-analyze; do
  page="$SIPAS_BUILD/man/$program.1"
  checks=$((checks + 1))
  if [ ! -s "$page" ]; then
    fail "$page was not built"
    continue
  fi
  version=$("$SIPAS_BUILD/$program" --version | awk '{print $2}')
  checks=$((checks + 1))
  grep -q "^\.TH .* \"sipas $version\" " "$page" || fail "$program.1: .TH lacks 'sipas $version'"
  commands=$("$SIPAS_BUILD/$program" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
  checks=$((checks + 1))
  [ -n "$commands" ] || fail "$program --help lists no commands"
  for command in $commands; do
    # the command's section: from ".SS command" to the next section or subsection
    section=$(awk -v c="$command" '$0 == ".SS " c {on = 1; next} on && /^\.S[HS] / {on = 0} on' "$page")
    checks=$((checks + 1))
    if [ -z "$section" ]; then
      fail "$program.1 has no section for the command '$command'"
      continue
    fi
    options=$("$SIPAS_BUILD/$program" "$command" --help | sed -n 's/^  --\([a-z0-9-]*\).*/\1/p')
    checks=$((checks + 1))
    [ -n "$options" ] || fail "$program $command --help lists no options"
    for option in $options; do
      roff="\\-\\-${option//-/\\-}" # --key-file is written \-\-key\-file
      checks=$((checks + 1))
      grep -qF -- ".B \\&$roff" <<<"$section" ||
        fail "$program.1: the section of '$command' lacks its option --$option"
    done
  done
  # groff's own checks of the page (when groff is there): no warnings
  if command -v groff >/dev/null; then
    run groff -man -ww -z "$page"
    checks=$((checks + 1))
    [ ! -s "$WORK/err" ] || fail "groff warns about $program.1: $(head -c 500 "$WORK/err")"
  fi
done
finish
