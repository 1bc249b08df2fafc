#!/usr/bin/env bash
# sipas-analyze report --pdf on the sample data, read back with poppler-utils: A4 pages, more
# than one, every font embedded, the title and the Vietnamese text intact, "Trang N / M" on
# every page, the long tables' header row repeated on the pages they span; English "Page N / M".
# Then the failures: no Chromium on PATH or a --chromium that cannot run (exit 1, the message
# names the Debian package), a browser that fails (exit 3, the earlier PDF left whole), and a
# run stopped by a signal while the browser runs (nothing left behind).
# Skipped (exit 77) only when chromium is absent outside CI; CI installs it (scripts/install-deps),
# so there ($CI set) a missing chromium fails.
source "$(dirname "$0")/lib.bash"

if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [ -n "${CI:-}" ]; then
    checks=$((checks + 1))
    fail "chromium is not installed (scripts/install-deps installs it)"
    finish
    exit 1
  fi
  echo "SKIP: chromium is not installed"
  exit 77
fi
for tool in pdfinfo pdftotext pdffonts; do
  checks=$((checks + 1))
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps: poppler-utils)"
done

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

for lang in vi en; do
  pdf="$WORK/review_$lang.pdf"
  run "$ANALYZE" report --form sipas2017 --wave 2024 --lang "$lang" --out "$WORK/review_$lang.html" \
    --pdf "$pdf"
  expect_rc 0 "report --pdf ($lang)"
  pdfinfo "$pdf" >"$WORK/info_$lang" 2>&1
  pages=$(sed -n 's/^Pages: *//p' "$WORK/info_$lang")
  checks=$((checks + 1))
  [ "${pages:-0}" -gt 1 ] || fail "$lang: $pages pages, expected more than one"
  checks=$((checks + 1))
  grep -qE '^Page size: +59[45](\.[0-9]+)? x 84[12](\.[0-9]+)? pts \(A4\)' "$WORK/info_$lang" ||
    fail "$lang: not A4: $(grep 'Page size' "$WORK/info_$lang")"
  title=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$WORK/review_$lang.html" | head -1)
  checks=$((checks + 1))
  grep -qF "Title:           $title" "$WORK/info_$lang" || fail "$lang: PDF title is not '$title'"

  # every font embedded (the column emb of pdffonts), and at least one font
  pdffonts "$pdf" | tail -n +3 >"$WORK/fonts_$lang"
  checks=$((checks + 1))
  [ -s "$WORK/fonts_$lang" ] || fail "$lang: no fonts in the PDF"
  checks=$((checks + 1))
  if awk '{ if ($(NF-4) != "yes") bad = 1 } END { exit !bad }' "$WORK/fonts_$lang"; then
    fail "$lang: a font is not embedded: $(cat "$WORK/fonts_$lang")"
  fi

  pdftotext -layout "$pdf" "$WORK/text_$lang" 2>/dev/null
  page_word=$([ "$lang" = vi ] && echo Trang || echo Page)
  for n in 1 "$pages"; do
    checks=$((checks + 1))
    grep -qE "^ *$page_word $n / $pages *$" "$WORK/text_$lang" ||
      fail "$lang: no page number '$page_word $n / $pages'"
  done
  expect_equal "$(grep -cE "^ *$page_word [0-9]+ / $pages *$" "$WORK/text_$lang")" "$pages" \
               "$lang: a page number on every page"
done

text="$WORK/text_vi"
for words in "Chỉ số hài lòng chung" "Phụ lục: phương pháp" "Thành phố Lạng Sơn" "Huyện/thành phố"; do
  checks=$((checks + 1))
  grep -qF "$words" "$text" || fail "vi PDF lacks '$words'"
done
checks=$((checks + 1))
grep -qE '[0-9]{2},[0-9]{2}%' "$text" || fail "vi PDF has no decimal comma"
# A table that spans pages repeats its header row: the criteria table's header "Chỉ tiêu" is on
# more pages than the table starts on.
checks=$((checks + 1))
header_pages=$(awk 'BEGIN { RS = "\f" } /Chỉ tiêu/ { n++ } END { print n + 0 }' "$text")
[ "$header_pages" -ge 2 ] || fail "the header 'Chỉ tiêu' is on $header_pages page(s): no repeated header row"

# No Chromium: PATH holds gnuplot only.
mkdir -p "$WORK/bin"
ln -s "$(command -v gnuplot)" "$WORK/bin/gnuplot"
PATH="$WORK/bin" run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/r.html" \
  --pdf "$WORK/none.pdf"
expect_rc 1 "no chromium on PATH"
expect_err "Chromium is not installed" "no chromium: the reason"
expect_err "install the Debian package chromium" "no chromium: the remedy"
checks=$((checks + 1))
[ ! -e "$WORK/none.pdf" ] || fail "a PDF was written without chromium"
run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/r.html" --pdf "$WORK/none.pdf" \
  --chromium "$WORK/no-such-browser"
expect_rc 1 "--chromium that does not exist"
expect_err "no-such-browser" "the message names the browser"

# A browser that fails: exit 3, the earlier PDF unchanged.
cp "$WORK/review_vi.pdf" "$WORK/before.pdf"
run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/r.html" \
  --pdf "$WORK/review_vi.pdf" --chromium "$(type -P false)"
expect_rc 3 "a failing browser"
expect_err "failed (exit code 1)" "the browser's exit code"
checks=$((checks + 1))
cmp -s "$WORK/before.pdf" "$WORK/review_vi.pdf" || fail "the earlier PDF was changed"
# Interrupted while the browser runs (SIGTERM; Ctrl-C is SIGINT, handled alike): the program
# ends by that signal, the browser's whole process group is killed (a helper it started is
# gone), its temporary directory is removed, no PDF is written. The stand-in browser records
# its helper's pid and waits.
mkdir -p "$WORK/tmp"
cat >"$WORK/slow-browser" <<EOF
#!/bin/sh
sleep 300 &
echo \$! > "$WORK/helper.pid"
wait
EOF
chmod +x "$WORK/slow-browser"
TMPDIR="$WORK/tmp" "$ANALYZE" report --form sipas2017 --wave 2024 --pdf "$WORK/stopped.pdf" \
  --chromium "$WORK/slow-browser" >"$WORK/out" 2>"$WORK/err" &
analyze_pid=$!
for _ in $(seq 1 600); do
  [ -s "$WORK/helper.pid" ] && break
  sleep 0.1
done
kill -TERM "$analyze_pid"
wait "$analyze_pid"
rc=$?
expect_rc 143 "report --pdf stopped by SIGTERM"
checks=$((checks + 1))
helper=$(cat "$WORK/helper.pid" 2>/dev/null)
if [ -z "$helper" ]; then
  fail "the stand-in browser never started"
else
  # ended: gone, or a zombie not yet reaped (a container without init leaves those)
  running() { [ -e "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'; }
  for _ in $(seq 1 50); do running "$helper" || break; sleep 0.1; done
  if running "$helper"; then
    fail "the browser's helper $helper outlived the interrupted report"
    kill "$helper"
  fi
fi
expect_equal "$(ls "$WORK/tmp")" "" "no temporary directory left"
checks=$((checks + 1))
[ ! -e "$WORK/stopped.pdf" ] || fail "an interrupted run wrote a PDF"
finish
