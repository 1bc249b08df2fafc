#!/usr/bin/env bash
# Runs every example of docs/usage.md, then of docs/instruments.md, in order, in a fresh folder
# that holds the repository's surveys/: each line of a ```console block that starts with "$ "
# must exit 0, or with the code its "# exit N" comment names. Keeps the manual honest.
source "$(dirname "$0")/lib.bash"
unset SIPAS_DB SIPAS_SURVEYS
cd "$WORK"
ln -s "$SIPAS_SOURCE/surveys" surveys
export PATH="$SIPAS_BUILD:$PATH"
for doc in usage instruments; do
in_block=0
while IFS= read -r line; do
  case "$line" in
    '```console') in_block=1; continue ;;
    '```'*) in_block=0; continue ;;
  esac
  [ "$in_block" -eq 1 ] || continue
  case "$line" in '$ '*) ;; *) continue ;; esac
  command=${line#\$ }
  expected=0
  if [[ "$command" =~ \#\ exit\ ([0-9]+)[[:space:]]*$ ]]; then expected=${BASH_REMATCH[1]}; fi
  run bash -c "$command"
  expect_rc "$expected" "docs/$doc.md: $command"
done < "$SIPAS_SOURCE/docs/$doc.md"
done
[ "$checks" -ge 15 ] || fail "only $checks examples found in docs/usage.md"
finish
