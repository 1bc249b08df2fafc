#!/usr/bin/env bash
# sipas-analyze report --docx on the sample data, in Vietnamese and English: every part of the
# Word package is well-formed XML (xmllint), the headings are Heading1/Heading2 paragraphs (as
# many as the HTML's sections), the Vietnamese text is intact, there are as many tables as in
# the HTML and as CSV files, every table's cells read exactly as the HTML's cells (numbers,
# decimal commas, the † and ‡ marks), its rows as many as the CSV's, every header row repeats,
# the table style is defined, every chart references a PNG that is in the package, and the
# document properties carry the title and language. A failed write leaves the earlier file.
source "$(dirname "$0")/lib.bash"

for tool in unzip xmllint perl; do
  checks=$((checks + 1))
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps)"
done

expect_in_file_docx() { # file fixed-string description
  checks=$((checks + 1))
  grep -qF -- "$2" "$1" || fail "$3: '$1' lacks '$2'"
}

run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
expect_rc 0 "import the sample"

# cells_html FILE / cells_docx FILE: one line per table cell, tables separated by "--", the
# cell's text with entities decoded as a reader sees it.
cells_html() {
  perl -0777 -ne 'while (/<tbody>(.*?)<\/tbody>/sg) { my $t = $1;
    while ($t =~ /<td[^>]*>(.*?)<\/td>/sg) { my $c = $1; $c =~ s/&#39;/\x27/g;
      $c =~ s/&quot;/"/g; $c =~ s/&lt;/</g; $c =~ s/&gt;/>/g; $c =~ s/&amp;/&/g; print "$c\n" }
    print "--\n" }' "$1"
}
cells_docx() {
  perl -0777 -ne 'while (/<w:tbl>(.*?)<\/w:tbl>/sg) { my $t = $1;
    $t =~ s/<w:tr><w:trPr><w:cantSplit\/><w:tblHeader\/>.*?<\/w:tr>//s;
    while ($t =~ /<w:tc>(.*?)<\/w:tc>/sg) { my $c = $1; my $s = "";
      $s .= $1 while $c =~ /<w:t(?: [^>]*)?>(.*?)<\/w:t>/sg;
      $s =~ s/&quot;/"/g; $s =~ s/&lt;/</g; $s =~ s/&gt;/>/g; $s =~ s/&amp;/&/g; print "$s\n" }
    print "--\n" }' "$1"
}

for lang in vi en; do
  out="$WORK/$lang"
  mkdir -p "$out"
  run "$ANALYZE" report --form sipas2017 --wave 2024 --lang "$lang" --out "$out/review.html" \
    --csv "$out/csv" --docx "$out/review.docx"
  expect_rc 0 "report --docx ($lang)"
  checks=$((checks + 1))
  if ! unzip -q -o "$out/review.docx" -d "$out/docx" 2>"$WORK/err"; then
    fail "$lang: the .docx is not a zip archive"
    continue
  fi
  doc="$out/docx/word/document.xml"
  for part in '[Content_Types].xml' _rels/.rels docProps/core.xml docProps/app.xml \
              word/document.xml word/_rels/document.xml.rels word/styles.xml \
              word/settings.xml word/footer1.xml; do
    checks=$((checks + 1))
    if [ ! -f "$out/docx/$part" ]; then
      fail "$lang: the package has no $part"
    elif ! xmllint --noout "$out/docx/$part" 2>"$WORK/err"; then
      fail "$lang: $part is not well-formed XML: $(head -3 "$WORK/err")"
    fi
  done

  # headings: the HTML's sections (<h2 id=) and subsections (<h3 id=)
  expect_equal "$(grep -o 'w:pStyle w:val="Heading1"' "$doc" | wc -l)" \
               "$(grep -o '<h2 id=' "$out/review.html" | wc -l)" "$lang: Heading1 paragraphs"
  expect_equal "$(grep -o 'w:pStyle w:val="Heading2"' "$doc" | wc -l)" \
               "$(grep -o '<h3 id=' "$out/review.html" | wc -l)" "$lang: Heading2 paragraphs"
  for style in Title Heading1 Heading2 Caption SipasNote SipasHeadline; do
    checks=$((checks + 1))
    grep -q "w:styleId=\"$style\"" "$out/docx/word/styles.xml" ||
      fail "$lang: styles.xml does not define $style"
  done
  checks=$((checks + 1))
  grep -q '<w:style w:type="table" w:customStyle="1" w:styleId="SipasTable">' \
    "$out/docx/word/styles.xml" || fail "$lang: styles.xml does not define the table style"

  # the contents: a TOC field listing every section, each entry linking a heading's bookmark
  checks=$((checks + 1))
  grep -qF '<w:instrText xml:space="preserve"> TOC \o "1-1" \h \z \u </w:instrText>' "$doc" ||
    fail "$lang: no contents field"
  expect_equal "$(grep -o '<w:hyperlink w:anchor="_sec_[a-z0-9_]*"' "$doc" | wc -l)" \
               "$(grep -o '<h2 id=' "$out/review.html" | wc -l)" "$lang: contents entries"
  for anchor in $(grep -o '<w:hyperlink w:anchor="_sec_[a-z0-9_]*"' "$doc" | grep -o '_sec_[a-z0-9_]*'); do
    checks=$((checks + 1))
    grep -q "<w:bookmarkStart w:id=\"[0-9]*\" w:name=\"$anchor\"/>" "$doc" ||
      fail "$lang: contents entry $anchor links no heading"
  done

  # tables: as many as in the HTML and as CSV files, each styled with a repeated header row
  ntables=$(grep -o '<table>' "$out/review.html" | wc -l)
  expect_equal "$(grep -o '<w:tbl>' "$doc" | wc -l)" "$ntables" "$lang: tables in the docx"
  expect_equal "$(ls "$out/csv" | wc -l)" "$ntables" "$lang: CSV files"
  expect_equal "$(grep -o '<w:tblStyle w:val="SipasTable"/>' "$doc" | wc -l)" "$ntables" \
               "$lang: tables in the SIPAS Table style"
  expect_equal "$(grep -o '<w:tblHeader/>' "$doc" | wc -l)" "$ntables" \
               "$lang: repeated header rows"
  checks=$((checks + 1))
  [ "$ntables" -ge 8 ] || fail "$lang: only $ntables tables"

  # every cell as the HTML shows it, in the same order
  cells_html "$out/review.html" >"$out/cells_html"
  cells_docx "$doc" >"$out/cells_docx"
  checks=$((checks + 1))
  if ! diff "$out/cells_html" "$out/cells_docx" >"$out/cells_diff"; then
    fail "$lang: docx cells differ from the HTML's: $(head -6 "$out/cells_diff")"
  fi
  checks=$((checks + 1))
  [ "$(wc -l <"$out/cells_html")" -ge 300 ] || fail "$lang: only $(wc -l <"$out/cells_html") cells"
  # data rows: the CSV files' lines less their header lines
  csv_rows=$(( $(cat "$out"/csv/*.csv | wc -l) - ntables ))
  docx_rows=$(( $(grep -o '<w:tr>' "$doc" | wc -l) - ntables ))
  expect_equal "$docx_rows" "$csv_rows" "$lang: table rows in the docx and the CSV files"

  # charts: one PNG per HTML figure, referenced and present
  nfig=$(grep -o '<figure ' "$out/review.html" | wc -l)
  expect_equal "$(grep -o '<a:blip r:embed="rIdChart[0-9]*"/>' "$doc" | wc -l)" "$nfig" \
               "$lang: charts in the docx"
  for id in $(grep -o 'r:embed="rIdChart[0-9]*"' "$doc" | grep -o 'rIdChart[0-9]*'); do
    target=$(grep -o "Id=\"$id\" Type=\"[^\"]*image\" Target=\"[^\"]*\"" \
             "$out/docx/word/_rels/document.xml.rels" | sed 's/.*Target="//; s/"$//')
    checks=$((checks + 1))
    if [ -z "$target" ]; then
      fail "$lang: $id has no image relationship"
    elif [ "$(head -c 8 "$out/docx/word/$target" 2>/dev/null | od -An -tx1 | tr -d ' \n')" \
           != 89504e470d0a1a0a ]; then
      fail "$lang: $id -> word/$target is not a PNG in the package"
    fi
  done

  # properties and language
  title=$(sed -n 's:.*<title>\(.*\)</title>.*:\1:p' "$out/review.html" | head -1)
  expect_in_file_docx "$out/docx/docProps/core.xml" "<dc:title>$title</dc:title>" "$lang: title"
  expect_in_file_docx "$doc" ">$title</w:t>" "$lang: title paragraph"
  figure=$(sed -n 's:.*<div class="figure">\([^<]*\)</div>.*:\1:p' "$out/review.html")
  checks=$((checks + 1))
  [ -n "$figure" ] || fail "$lang: no headline figure in the HTML"
  expect_in_file_docx "$doc" "<w:sz w:val=\"56\"/></w:rPr><w:t xml:space=\"preserve\">$figure</w:t>" \
    "$lang: the headline figure"
done

vi_doc="$WORK/vi/docx/word/document.xml"
expect_in_file_docx "$WORK/vi/docx/docProps/core.xml" "<dc:language>vi-VN</dc:language>" "vi language"
expect_in_file_docx "$WORK/en/docx/docProps/core.xml" "<dc:language>en-US</dc:language>" "en language"
expect_in_file_docx "$WORK/vi/docx/word/styles.xml" '<w:lang w:val="vi-VN"/>' "vi proofing language"
expect_in_file_docx "$vi_doc" 'Chỉ số hài lòng chung' "Vietnamese text intact"
expect_in_file_docx "$vi_doc" 'xml:space="preserve"' "runs keep their spaces"
expect_in_file_docx "$WORK/vi/docx/word/footer1.xml" 'w:instr=" PAGE "' "page numbers"
# Sections: the ranking's and the targets' eleven columns do not fit a portrait page with whole
# words, so each sits in a landscape section (the sectPr closing it, the first after its
# caption: w:orient="landscape", A4 swapped) that began on a portrait one; the last section (the
# body's sectPr) is portrait again; every section has the footer with the page numbers.
# section_after DOC TEXT: the w:pgSz of the first section ending after TEXT ("" when none);
# section_before: of the last section ending before it.
section_after() {
  FIND="$2" perl -0777 -ne 'my $i = index($_, $ENV{FIND}); exit if $i < 0;
    print $1 if substr($_, $i) =~ /<w:sectPr>.*?(<w:pgSz [^>]*>)/s' "$1"
}
section_before() {
  FIND="$2" perl -0777 -ne 'my $i = index($_, $ENV{FIND}); exit if $i < 0;
    my $before = substr($_, 0, $i); my $p = "";
    $p = $1 while $before =~ /<w:sectPr>.*?(<w:pgSz [^>]*>)/sg; print $p' "$1"
}
landscape='<w:pgSz w:w="16838" w:h="11906" w:orient="landscape"/>'
portrait='<w:pgSz w:w="11906" w:h="16838"/>'
for caption in "Xếp hạng đơn vị và so sánh với toàn tỉnh" "Đánh giá mục tiêu"; do
  expect_equal "$(section_after "$vi_doc" ">$caption<")" "$landscape" "the section of '$caption'"
  expect_equal "$(section_before "$vi_doc" ">$caption<")" "$portrait" "the section before '$caption'"
done
expect_equal "$(section_after "$vi_doc" "Phụ lục: phương pháp")" "$portrait" "the last section"
checks=$((checks + 1))
perl -0777 -ne 'exit 1 unless /<w:sectPr>.*?<\/w:sectPr>\s*<\/w:body>/s' "$vi_doc" ||
  fail "the body does not end with the last section's properties"
expect_equal "$(grep -o '<w:sectPr><w:footerReference w:type="default" r:id="rIdFooter"/>' "$vi_doc" | wc -l)" \
             "$(grep -o '<w:sectPr>' "$vi_doc" | wc -l)" "sections with the footer"
checks=$((checks + 1))
[ "$(grep -o "$landscape" "$vi_doc" | wc -l)" -ge 2 ] || fail "fewer than two landscape sections"

checks=$((checks + 1))
grep -qE '[0-9],[0-9]{2}%' "$WORK/vi/cells_docx" || fail "no decimal comma in the vi docx"
checks=$((checks + 1))
grep -qE '[0-9]\.[0-9]{2}%' "$WORK/en/cells_docx" || fail "no decimal point in the en docx"

# Opened by LibreOffice, where it is installed (not in CI: scripts/install-deps leaves it out as
# too large; docs/report.md's screenshots were made this way): printed to PDF, its text holds
# the Vietnamese words, the table cells and the footer's page numbers.
if command -v soffice >/dev/null && command -v pdftotext >/dev/null; then
  mkdir -p "$WORK/lo"
  HOME="$WORK/lo" timeout 300 soffice --headless --norestore --convert-to pdf --outdir "$WORK/lo" \
    "$WORK/vi/review.docx" >"$WORK/out" 2>"$WORK/err"
  checks=$((checks + 1))
  if pdftotext "$WORK/lo/review.pdf" "$WORK/lo/review.txt" 2>/dev/null; then
    vi_figure=$(sed -n 's:.*<div class="figure">\([^<]*\)</div>.*:\1:p' "$WORK/vi/review.html")
    for words in "Chỉ số hài lòng chung" "Thành phố Lạng Sơn" "Trang 1 / " "$vi_figure"; do
      expect_in_file_docx "$WORK/lo/review.txt" "$words" "LibreOffice's rendering"
    done
    # No word of the ranking and targets tables is broken across lines: every word the PDF
    # shows from the table's caption to the next block is a word of document.xml's text (a
    # broken "Hạng" shows as "Hạn" and "g"); the ranking's page is landscape A4.
    for range in "Xếp hạng đơn vị và so sánh với toàn tỉnh|Chỉ số của từng đơn vị qua các năm" \
                 "Đánh giá mục tiêu|Thay đổi so với năm trước"; do
      checks=$((checks + 1))
      broken=$(perl -CSDA -Mutf8 -0777 -e 'my ($doc, $txt, $from, $until) = @ARGV; my %word;
        open my $d, "<:utf8", $doc or die "$doc\n"; my $x = <$d>;
        while ($x =~ /<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g) { my $t = $1; $t =~ s/&quot;/"/g;
          $t =~ s/&lt;/</g; $t =~ s/&gt;/>/g; $t =~ s/&amp;/&/g; $word{$_} = 1 for split /\s+/, $t }
        open my $p, "<:utf8", $txt or die "$txt\n"; my $y = <$p>;
        my $a = index($y, $from); my $b = index($y, $until, $a + 1);
        die "no \"$from\" .. \"$until\"\n" if $a < 0 || $b < 0;
        print join(" ", grep { $_ ne "" && !$word{$_} && !/^(\d+|\/|Trang)$/ }
                        split /\s+/, substr($y, $a, $b - $a))' \
        "$vi_doc" "$WORK/lo/review.txt" "${range%%|*}" "${range#*|}" 2>&1)
      [ -z "$broken" ] || fail "LibreOffice breaks words in '${range%%|*}': $broken"
    done
    # a section break never leaves a page with only its footer
    pages=$(pdfinfo "$WORK/lo/review.pdf" | sed -n 's/^Pages: *//p')
    for page in $(seq 1 "${pages:-0}"); do
      checks=$((checks + 1))
      pdftotext -f "$page" -l "$page" "$WORK/lo/review.pdf" - | grep -v '^Trang [0-9]* / [0-9]*$' |
        grep -q '[[:alnum:]]' || fail "LibreOffice: page $page of $pages is blank"
    done
    ranking_page=$(pdftotext -layout "$WORK/lo/review.pdf" - | awk -v RS='\f' \
      '/Xếp hạng đơn vị và so sánh với toàn tỉnh/ { print NR; exit }')
    checks=$((checks + 1))
    pdfinfo -f "${ranking_page:-1}" -l "${ranking_page:-1}" "$WORK/lo/review.pdf" |
      grep -q "^Page *${ranking_page:-x} size: *841\.[0-9]* x 595\.[0-9]* pts" ||
      fail "LibreOffice: the ranking's page ${ranking_page:-?} is not landscape A4"
  else
    fail "LibreOffice did not convert the docx: $(tail -2 "$WORK/err")"
  fi
fi

# The Word file alone (no HTML), and no output at all (usage, exit 2).
run "$ANALYZE" report --form sipas2017 --wave 2024 --docx "$WORK/alone.docx"
expect_rc 0 "report --docx without --out"
checks=$((checks + 1))
unzip -tq "$WORK/alone.docx" >/dev/null 2>&1 || fail "report --docx alone: not a whole zip"
run "$ANALYZE" report --form sipas2017 --wave 2024
expect_rc 2 "report without any output"
expect_err "--out, --csv, --xlsx, --docx or --pdf" "the message lists the outputs"

# A write that cannot be made: exit code 3 (I/O), the message names the file, the earlier file
# stays whole.
cp "$WORK/vi/review.docx" "$WORK/before.docx"
chmod a-w "$WORK/vi"
if [ -w "$WORK/vi" ]; then
  echo "running as root: the read-only folder check is not made"
else
  run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/again.html" \
    --docx "$WORK/vi/review.docx"
  expect_rc 3 "docx into a read-only folder"
  expect_err "review.docx" "the message names the file"
  checks=$((checks + 1))
  cmp -s "$WORK/before.docx" "$WORK/vi/review.docx" || fail "the earlier docx was changed"
fi
chmod u+w "$WORK/vi"
run "$ANALYZE" report --form sipas2017 --wave 2024 --out "$WORK/again.html" \
  --docx "$WORK/no-such-folder/review.docx"
expect_rc 3 "docx into a missing folder"
expect_err "no-such-folder/review.docx" "the message names the missing path"
finish
