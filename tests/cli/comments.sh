# sipas-analyze comments on the business sample (surveys/sample/sipas2017_business_2023-2024.csv,
# whose open-ended question `comments` holds phone numbers, e-mails, ID numbers): the counts by
# unit recounted here from the file itself, no phone, e-mail or long number left in any output,
# the three formats, --by a text column, --counts, and the refusals (a personal column, no
# --wave, a form without an open-ended question).
. "$(dirname "$0")/lib.bash"
sample="$SIPAS_SOURCE/surveys/sample/sipas2017_business_2023-2024.csv"

run "$COLLECT" import --form sipas2017_business "$sample"
expect_rc 0 "import the business sample"

# the counts from the file: respondents, empty cells and "no comment" answers of 2024 (the
# sample writes four spellings of it), by district
python3 - "$sample" >"$WORK/expected_counts.csv" <<'EOF'
import csv, sys
none = {"không", "không có ý kiến", "không có góp ý gì"}
counts = {}
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if row["wave"] != "2024":
        continue
    c = counts.setdefault(row["district"], [0, 0, 0, 0])
    text = row["comments"].strip()
    key = text.lower().rstrip(".! ")
    c[0] += 1
    c[3 if not text else 2 if key in none else 1] += 1
for district in sorted(counts):
    print(district + "," + ",".join(map(str, counts[district])))
EOF
run "$ANALYZE" comments --form sipas2017_business --wave 2024 --format csv --counts
expect_rc 0 "comments --counts csv"
expect_out "question,unit,unit_label,respondents,answered,no_comment,empty" "counts header"
tail -n +2 "$WORK/out" | cut -d, -f2,4- | sort >"$WORK/got_counts.csv"
checks=$((checks + 1))
cmp -s "$WORK/got_counts.csv" "$WORK/expected_counts.csv" ||
  fail "comments counts differ from the file's: $(diff "$WORK/got_counts.csv" "$WORK/expected_counts.csv" | head -5)"
expect_out "comments,bac_son,Bắc Sơn," "counts carry the unit's label"

# the listing: as many answers as counted, nothing that looks like personal data left
run "$ANALYZE" comments --form sipas2017_business --wave 2024 --format json
expect_rc 0 "comments json"
python3 - "$WORK/out" <<'EOF' || fail "comments json: the check above failed"
import json, re, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["form"] == "sipas2017_business" and d["wave"] == 2024, d.keys()
q = d["questions"][0]
assert q["question"] == "comments" and q["unit_column"] == "district", q["unit_column"]
assert q["respondents"] == sum(u["respondents"] for u in q["units"])
assert q["answered"] + q["no_comment"] + q["empty"] == q["respondents"]
texts = [a["text"] for u in q["units"] for a in u["answers"]]
assert len(texts) == q["answered"] > 0
assert all(len(u["answers"]) == u["answered"] for u in q["units"])
for t in texts:
    assert "@" not in t, t
    assert not re.search(r"\d{9}", t), t
    assert not re.search(r"(\+84|\b0[1-9]\d{2})[ .-]?\d{3}[ .-]?\d{3}", t), t
masked = [a for u in q["units"] for a in u["answers"] if a["masked"]]
assert len(masked) == q["masked_answers"] > 0
assert any("[số điện thoại]" in a["text"] for a in masked)
assert any("[email]" in a["text"] for a in masked)
assert any("2.500.000 đồng" in t for t in texts), "an amount was masked"
for u in q["units"]:
    assert [a["text"] for a in u["answers"]] == sorted((a["text"] for a in u["answers"]),
                                                        key=lambda s: s.encode())
EOF
checks=$((checks + 1))

run "$ANALYZE" comments --form sipas2017_business --wave 2024 --lang en
expect_rc 0 "comments table en"
expect_out "District of the head office" "the unit column's label, whole"
expect_out "Lang Son city" "units by their labels"
expect_out "[phone]" "English masks"
checks=$((checks + 1))
grep -q "tp_lang_son" "$WORK/out" && fail "comments table shows a code where a label exists"

run "$ANALYZE" comments --form sipas2017_business --wave 2023 --by commune --format csv
expect_rc 0 "comments by commune"
expect_out "question,unit,unit_label,answer,masked" "listing header"
expect_out ",phone" "masked kinds in the listing"
run "$ANALYZE" comments --form sipas2017_business --wave 2023 --by commune --format csv --counts
expect_equal "$(tail -n +2 "$WORK/out" | awk -F, '{ n += $4 } END { print n }')" 600 "communes add up to the wave"

# the review report: a section with the counts and the listing, the same tables in the CSV
# files and as sheets of the workbook; --comments-max below the count keeps only the counts
run "$ANALYZE" report --form sipas2017_business --wave 2024 --lang en --out "$WORK/r.html" \
  --csv "$WORK/csv" --xlsx "$WORK/r.xlsx"
expect_rc 0 "report of the business form"
expect_equal "$(grep -c 'id="comments"' "$WORK/r.html")" 1 "report has the comments section"
answered=$(awk -F, '{ n += $3 } END { print n }' "$WORK/expected_counts.csv")
expect_equal "$(tail -1 "$WORK/csv/comment_counts.csv" | cut -d, -f1-3)" "Province,600,$answered" \
  "report counts the wave's comments"
expect_equal "$(($(wc -l <"$WORK/csv/comments.csv") - 1))" "$answered" "report lists every comment"
unzip -p "$WORK/r.xlsx" xl/workbook.xml >"$WORK/out" 2>"$WORK/err"
expect_out '<sheet name="Comment counts"' "workbook sheet of the counts"
expect_out '<sheet name="Comments"' "workbook sheet of the listing"
run "$ANALYZE" report --form sipas2017_business --wave 2024 --out "$WORK/r2.html" \
  --csv "$WORK/csv2" --comments-max 10
expect_rc 0 "report with --comments-max"
checks=$((checks + 1))
[ -f "$WORK/csv2/comment_counts.csv" ] && [ ! -e "$WORK/csv2/comments.csv" ] ||
  fail "--comments-max 10: the counts without the listing"
checks=$((checks + 1))
grep -q "dài hơn giới hạn 10 của báo cáo" "$WORK/r2.html" || fail "--comments-max: the note"
run "$ANALYZE" report --form sipas2017_business --out "$WORK/r3.html" --comments-max -1
expect_rc 2 "--comments-max below 0"

run "$ANALYZE" comments --form sipas2017_business --wave 2024 --question phone
expect_rc 2 "a personal column is never listed"
expect_err "'phone' is a personal column" "says why"
run "$ANALYZE" comments --form sipas2017_business
expect_rc 2 "comments without --wave"
run "$ANALYZE" comments --form sipas2017_business --wave 2019
expect_rc 1 "a wave without respondents"
expect_err "no respondent in wave 2019" "names the wave"
run "$COLLECT" import --form sipas2017 "$SIPAS_SOURCE/surveys/sample/sipas2017_2024_labels_vi.csv"
run "$ANALYZE" comments --form sipas2017 --wave 2024
expect_rc 1 "a form without an open-ended question"
expect_err "has no open-ended question" "says so"

# a store whose batches were all imported under version 1 (no `comments` column yet), analysed
# with the version-2 sheets: the report has no comments section, the command says why
v1="$WORK/surveys_v1/sipas2017_business"
mkdir -p "$v1"
cp "$SIPAS_SOURCE"/surveys/sipas2017_business/{choices,elements}.csv "$v1/"
grep -v '^text,comments,' "$SIPAS_SOURCE/surveys/sipas2017_business/survey.csv" >"$v1/survey.csv"
sed 's/^sipas2017_business,2,/sipas2017_business,1,/' \
  "$SIPAS_SOURCE/surveys/sipas2017_business/settings.csv" >"$v1/settings.csv"
python3 - "$sample" "$WORK/business_v1.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
drop = rows[0].index("comments")
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows([c for i, c in enumerate(r) if i != drop] for r in rows)
EOF
checks=$((checks + 1))
head -1 "$WORK/business_v1.csv" | grep -q comments && fail "the v1 file still has comments"
v1db="$WORK/v1.db"
run "$COLLECT" import --db "$v1db" --surveys "$WORK/surveys_v1" --form sipas2017_business \
  "$WORK/business_v1.csv"
expect_rc 0 "import under version 1"
run "$ANALYZE" report --db "$v1db" --form sipas2017_business --wave 2024 --out "$WORK/v1.html"
expect_rc 0 "report of a version-1 store under version 2"
expect_equal "$(grep -c 'id="comments"' "$WORK/v1.html")" 0 "no comments section without answers"
run "$ANALYZE" profile --db "$v1db" --form sipas2017_business --wave 2024
expect_rc 0 "profile of a version-1 store under version 2"
run "$ANALYZE" comments --db "$v1db" --form sipas2017_business --wave 2024
expect_rc 1 "comments of a version-1 store"
expect_err "no batch of form 'sipas2017_business' was imported under a version that asks it" \
  "says why there are no answers"

finish
