#!/usr/bin/env bash
# Opens a sipas HTML report in headless Chromium (Debian package chromium) and checks that a
# browser draws it: the page parses with its four inline charts (their paths and texts in the
# DOM), the console logs no error, no request leaves the page, and the charts paint pixels (a
# screenshot of the page is much larger than one of the same page with its charts taken out:
# blank areas compress to almost nothing).
#
# usage: tests/browser/report_chromium.sh REPORT.html SCREENSHOT.png [WIDTH,HEIGHT]
# Exit 0 when every check passes, 1 otherwise (a missing chromium fails: it is not skipped).
# docs/img/report_*.png were taken with this script (docs/report.md).
set -u
html=${1:?usage: report_chromium.sh REPORT.html SCREENSHOT.png [WIDTH,HEIGHT]}
shot=${2:?usage: report_chromium.sh REPORT.html SCREENSHOT.png [WIDTH,HEIGHT]}
size=${3:-1280,4000}
failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); }

check
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  fail "chromium is not installed (scripts/install-deps installs the Debian package chromium)"
  echo "$((checks - failures)) passed, $failures failed"
  exit 1
fi
scratch=$(mktemp -d /tmp/sipas-chromium.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# chrome ARGS...: one headless run with a fresh profile; stdout to $scratch/stdout, the log
# (console messages included) to $scratch/log.
chrome() {
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$(mktemp -d "$scratch/profile.XXXXXX")" --enable-logging=stderr --v=0 \
    "$@" >"$scratch/stdout" 2>"$scratch/log"
}

url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"

# 1. The DOM as the browser built it.
chrome --dump-dom "$url"
check
[ $? -eq 0 ] || fail "chromium --dump-dom failed: $(tail -3 "$scratch/log")"
dom="$scratch/stdout"
check
nsvg=$(grep -o '<svg role="img"' "$dom" | wc -l)
[ "$nsvg" -eq 6 ] || fail "the DOM has $nsvg inline charts, expected 6"
check
npath=$(grep -o '<path ' "$dom" | wc -l)
[ "$npath" -ge 100 ] || fail "the charts have $npath paths in the DOM, expected at least 100"
check
grep -q '<figcaption>' "$dom" || fail "no figure caption in the DOM"
check
ntable=$(grep -o '<table>' "$dom" | wc -l)
[ "$ntable" -ge 6 ] || fail "the DOM has $ntable tables, expected at least 6"
for f in "$scratch/log"; do
  check
  if grep -E 'Uncaught|ERROR:CONSOLE|CONSOLE\(|Failed to load resource|net::ERR_' "$f" | grep -v 'dbus' >"$scratch/errors"; then
    fail "console errors: $(head -3 "$scratch/errors")"
  fi
done

# 2. The screenshot, and one of the page without its charts.
chrome --screenshot="$shot" --window-size="$size" "$url"
check
[ -s "$shot" ] || fail "no screenshot written: $(tail -3 "$scratch/log")"
check
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
check
if grep -E 'Uncaught|ERROR:CONSOLE|Failed to load resource|net::ERR_' "$scratch/log" >"$scratch/errors"; then
  fail "console errors while drawing: $(head -3 "$scratch/errors")"
fi
# The same page with every <svg ...>...</svg> replaced by an empty box of the chart's size, so
# that everything else stays in place.
awk '/^<svg role="img"/ { skip = 1; w = 960; h = 600 }
     skip && match($0, /width="[0-9]+"/) && !gotw { w = substr($0, RSTART + 7, RLENGTH - 8); gotw = 1 }
     skip && match($0, /height="[0-9]+"/) && !goth { h = substr($0, RSTART + 8, RLENGTH - 9); goth = 1 }
     !skip { print }
     skip && /<\/svg>/ { skip = 0; gotw = 0; goth = 0
                         printf "<div style=\"display:inline-block;width:%dpx;height:%dpx\"></div>\n", w, h }' \
  "$html" >"$scratch/nocharts.html"
check
[ "$(grep -c '<svg' "$scratch/nocharts.html")" -eq 0 ] || fail "could not take the charts out"
chrome --screenshot="$scratch/nocharts.png" --window-size="$size" "file://$scratch/nocharts.html"
with=$(stat -c %s "$shot" 2>/dev/null || echo 0)
without=$(stat -c %s "$scratch/nocharts.png" 2>/dev/null || echo 0)
check
[ "$without" -gt 0 ] || fail "no screenshot of the page without charts"
check
[ "$with" -ge $((without + 40000)) ] ||
  fail "the charts add $((with - without)) bytes to the screenshot ($with with, $without without): not drawn?"
echo "screenshot: $shot ($with bytes; $without without the charts)"
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
