#!/usr/bin/env bash
# Checks that no text of a gnuplot SVG chart overlaps a drawn line, a point symbol or another
# text, and that no text leaves the canvas, as headless Chromium (Debian package chromium) lays
# the chart out with the real fonts: tests/browser/chart_overlap.js measures and reports.
#
# usage: tests/browser/chart_overlap.sh CHART.svg
# Prints each overlap ("text-line: ...") and a last line "checked N texts, M lines".
# Exit 0 when nothing overlaps, 1 when something does, 2 when the check could not run (no
# chromium, no result): a missing chromium fails, it is not skipped.
set -u
svg=${1:?usage: chart_overlap.sh CHART.svg}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "chromium is not installed (scripts/install-deps installs the Debian package chromium)"
  exit 2
fi
scratch=$(mktemp -d /tmp/sipas-overlap.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
{
  echo '<!DOCTYPE html><html><head><meta charset="utf-8">'
  echo '<style>body{margin:0}</style></head><body>'
  sed '1{/^<?xml/d}' "$svg"
  echo '<pre id="result">not run</pre><script>'
  cat "$(dirname "$0")/chart_overlap.js"
  echo '</script></body></html>'
} >"$scratch/page.html"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$scratch/profile" --virtual-time-budget=5000 \
  --dump-dom "file://$scratch/page.html" >"$scratch/dom" 2>"$scratch/log"
# The result is the text of <pre id="result">, its entities decoded.
awk '/<pre id="result">/ { on = 1 } on { print } on && /<\/pre>/ { exit }' "$scratch/dom" |
  sed -e 's/.*<pre id="result">//' -e 's/<\/pre>.*//' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g' \
  >"$scratch/result"
if ! grep -q '^checked [0-9]* texts' "$scratch/result"; then
  echo "no result from chromium: $(head -c 300 "$scratch/result") $(tail -3 "$scratch/log")"
  exit 2
fi
cat "$scratch/result"
[ "$(wc -l <"$scratch/result")" -eq 1 ]
