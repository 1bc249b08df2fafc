#!/usr/bin/env bash
# The sample report opened in headless Chromium: tests/browser/report_chromium.sh checks the DOM,
# the console and that the charts are painted. Fails (does not skip) without chromium.
source "$(dirname "$0")/lib.bash"

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"
for lang in vi en; do
  run "$ANALYZE" report --form sipas2017 --wave 2024 --lang "$lang" --out "$WORK/review_$lang.html"
  expect_rc 0 "report $lang"
  checks=$((checks + 1))
  if ! bash "$SIPAS_SOURCE/tests/browser/report_chromium.sh" "$WORK/review_$lang.html" \
       "$WORK/review_$lang.png" >"$WORK/out" 2>"$WORK/err"; then
    fail "chromium checks of the $lang report: $(grep FAIL "$WORK/out" | head -5)"
  fi
done
finish
