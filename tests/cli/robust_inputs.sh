#!/usr/bin/env bash
# A catalogue of bad inputs to sipas-collect import: each is refused with the exact message and
# exit code expected (cli/cli.h: 1 refused, 2 usage, 3 store or file error) and leaves the
# store byte for byte as it was (its SQL dump is compared before and after). The cases, with
# the command that reproduces each, are listed in docs/reliability.md.
set -euo pipefail
: "${SIPAS_BUILD:?}" "${SIPAS_SOURCE:?}"
collect="$SIPAS_BUILD/sipas-collect"
surveys="$SIPAS_SOURCE/tests/fixtures/import"   # the instrument 'mini'
work=$(mktemp -d /tmp/sipas-robust-inputs-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
H='respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'
P='sipas-collect: error: '

dump() { sqlite3 s.db .dump | sha256sum; }

# refused NAME CODE EXPECTED_STDERR FILE [OPTIONS...]: imports FILE into s.db and checks the
# exit code, the whole of stderr, an empty stdout and an unchanged store.
refused() {
  local name=$1 want_rc=$2 want_err=$3 file=$4
  shift 4
  local before rc
  before=$(dump)
  set +e
  "$collect" import --db s.db --surveys "$surveys" --form mini "$@" "$file" >out.txt 2>err.txt
  rc=$?
  set -e
  local why=()
  [ "$rc" -eq "$want_rc" ] || why+=("exit $rc, expected $want_rc")
  [ "$(cat err.txt)" = "$want_err" ] || why+=("stderr differs")
  [ ! -s out.txt ] || why+=("stdout not empty: $(cat out.txt)")
  [ "$(dump)" = "$before" ] || why+=("the store changed")
  [ "$(sqlite3 s.db 'PRAGMA integrity_check')" = ok ] || why+=("integrity_check fails")
  if [ ${#why[@]} -gt 0 ]; then
    failures=$((failures + 1))
    echo "FAIL $name: ${why[*]}"
    echo "  expected stderr:"; printf '%s\n' "$want_err" | sed 's/^/    /'
    echo "  got stderr:"; sed 's/^/    /' err.txt
  else
    echo "ok   $name"
  fi
}

# the store before: one good batch
printf '%s\nr0,2023,cao_loc,c1,1,citizen,,4,5\n' "$H" > good.csv
"$collect" import --db s.db --surveys "$surveys" --form mini good.csv >/dev/null

: > empty.csv
refused "empty file" 1 "${P}empty.csv: the file is empty (no header row)" empty.csv

printf '%s\n' "$H" > header.csv
refused "header only" 1 "${P}header.csv: no data rows (only a header)" header.csv

printf '%s\nr1,2023,cao_loc,c1,1,citizen,,4\nr2,2023,cao_loc,c1,1,citizen,,4,5,6\n' "$H" > ragged.csv
refused "ragged rows" 1 "ragged.csv:2: the row has 8 fields but the header has 9
ragged.csv:3: the row has 10 fields but the header has 9
${P}ragged.csv: 2 of 2 rows rejected; nothing was stored (rejected rows are in 'ragged.rejects.csv')" ragged.csv
[ "$(wc -l < ragged.rejects.csv)" -ge 3 ] || { failures=$((failures + 1)); echo "FAIL ragged rows: no rejects file"; }

printf '%s\nr1,2023,cao_loc,"c1,1,citizen,,4,5\nr2,2023,cao_loc,c1,1,citizen,,4,5\n' "$H" > unterminated.csv
refused "unterminated quote" 1 "${P}unterminated.csv:2: unterminated quoted field" unterminated.csv

printf '%s\nr1,2023,cao_loc,c\0001,1,citizen,,4,5\n' "$H" > nul.csv
refused "NUL byte" 1 "${P}nul.csv:2: field 4 holds a NUL byte; this is not a text file (UTF-16 or a spreadsheet?): save it as UTF-8 CSV" nul.csv

{ printf '%s\nr1,2023,cao_loc,' "$H"; head -c 10485760 /dev/zero | tr '\0' x; printf ',1,citizen,,4,5\n'; } > bigfield.csv
refused "10 MB field" 1 "${P}bigfield.csv:2: column 'commune' (field 4) is longer than 1048576 bytes" bigfield.csv

{ printf '%s' "$H"; for i in $(seq 1 10000); do printf ',c%d' "$i"; done; echo; } > wide.csv
refused "10,000 columns" 1 "${P}wide.csv:1: more than 4096 fields" wide.csv

printf '%s\nr1,2023,Lộc Bình,c1,1,Người dân,,Hài lòng,5\n' "$H" > vi.csv
# Files in other encodings are converted (tests/cli/encodings.sh checks the stored values);
# what is refused is a wrong --encoding and bytes that are text in no encoding, each with one
# message for the file, never one per cell.
iconv -f UTF-8 -t CP1258 vi.csv > cp1258.csv
refused "UTF-8 named for a Windows-1258 file" 1 "${P}cp1258.csv:2: not valid UTF-8 (byte 0xF4); the text looks like Windows-1258: give --encoding Windows-1258, or save the file as UTF-8" cp1258.csv --encoding UTF-8
refused "TCVN3 named for a UTF-8 file" 1 "${P}vi.csv: the file is UTF-8, not TCVN3 (ABC) as --encoding says; leave --encoding out" vi.csv --encoding TCVN3
refused "an unknown encoding" 2 "${P}unknown encoding 'latin9' (known: UTF-8, UTF-16, UTF-16LE, UTF-16BE, Windows-1258, TCVN3, VISCII, VNI, auto)" vi.csv --encoding latin9
{ printf '%s\n' "$H"; for i in $(seq 1 20); do printf 'x%d,2023,Lộc Bình,c1,1,Người dân,,Hài lòng,5\n' "$i"; done; printf 'y1,2023,L'; printf '\xf4'; printf 'c,c1,1,citizen,,4,5\n'; } > damaged.csv
refused "one bad byte in a UTF-8 file" 1 "${P}damaged.csv:22: not valid UTF-8 (byte 0xF4), though the text before it is UTF-8 (this part looks like Windows-1258); correct that text, or save the file as UTF-8 again" damaged.csv
head -c "$(( $(wc -c < vi.csv) - 11 ))" vi.csv > cutoff.csv   # ends inside the 'à' of 'Hài'
refused "UTF-8 cut off inside a character" 1 "${P}cutoff.csv:2: the file ends inside a UTF-8 character (byte 0xC3): it was cut off (an interrupted copy or download?); get the whole file again" cutoff.csv
printf '%s\nr1,2023,cao_loc,c1,1,citizen,,\x81\x8d\x8f,5\n' "$H" > binary.csv
refused "bytes of no Vietnamese encoding" 1 "${P}binary.csv: the file is not UTF-8, and its bytes do not read as Vietnamese in Windows-1258, TCVN3, VISCII or VNI; name its encoding with --encoding, or save it as UTF-8" binary.csv
printf '\xff\xfe\0\0' > utf32.csv
refused "UTF-32" 1 "${P}utf32.csv: the file is UTF-32 (byte order mark FF FE 00 00); save it as UTF-8" utf32.csv

printf '%s,Q1\nr1,2023,cao_loc,c1,1,citizen,,4,5,4\n' "$H" > duphead.csv
refused "duplicate header names" 1 "duphead.csv:1: column 'Q1': appears twice in the header
${P}duphead.csv:1: the header does not match instrument 'mini' version '1' (1 problem)" duphead.csv

printf '%s\nr5,2023,cao_loc,c1,1,citizen,,4,5\nr5,2023,cao_loc,c1,1,citizen,,4,5\nr0,2023,cao_loc,c1,1,citizen,,4,5\n' "$H" > dupid.csv
refused "duplicate respondent ids" 1 "dupid.csv:3: column 'respondent_id': respondent id 'r5' is already at row 2 of this file
dupid.csv:4: column 'respondent_id': respondent id 'r0' is already stored from batch 1 ('good.csv' row 2)
${P}dupid.csv: 2 of 3 rows rejected; nothing was stored (rejected rows are in 'dupid.rejects.csv')" dupid.csv

printf '%s\nw1,2023,cao_loc,c1,0,citizen,,4,5\nw2,2023,cao_loc,c1,-1,citizen,,4,5\nw3,2023,cao_loc,c1,NaN,citizen,,4,5\nw4,2023,cao_loc,c1,"1,5e3",citizen,,4,5\n' "$H" > weights.csv
refused "weights 0, -1, NaN, 1,5e3" 1 "weights.csv:2: column 'weight': '0' is not a positive number
weights.csv:3: column 'weight': '-1' is not a positive number
weights.csv:4: column 'weight': 'NaN' is not a number
weights.csv:5: column 'weight': '1,5e3' is not a number (a decimal comma is accepted only in semicolon- or tab-separated files)
${P}weights.csv: 4 of 4 rows rejected; nothing was stored (rejected rows are in 'weights.rejects.csv')" weights.csv

printf '%s\nv1,1889,cao_loc,c1,1,citizen,,4,5\nv2,20244,cao_loc,c1,1,citizen,,4,5\n' "$H" > wave.csv
refused "implausible wave in the file" 1 "wave.csv:2: column 'wave': wave 1889 is implausible (expected a year from 1990 to 2100)
wave.csv:3: column 'wave': wave 20244 is implausible (expected a year from 1990 to 2100)
${P}wave.csv: 2 of 2 rows rejected; nothing was stored (rejected rows are in 'wave.rejects.csv')" wave.csv
cp good.csv good2.csv
refused "implausible --wave" 2 "${P}--wave '3000' is not a whole number from 1990 to 2100" good2.csv --wave 3000

before=$(dump)
set +e; "$collect" import --db s.db --surveys "$surveys" --form nosuch good2.csv >out.txt 2>err.txt; rc=$?; set -e
if [ "$rc" -eq 1 ] && [ "$(cat err.txt)" = "${P}no instrument 'nosuch' in '$surveys'" ] && [ "$(dump)" = "$before" ]; then
  echo "ok   unknown instrument"
else
  failures=$((failures + 1)); echo "FAIL unknown instrument: exit $rc: $(cat err.txt)"
fi
set +e; "$collect" import --db s.db --surveys "$surveys" --form ../mini good2.csv >out.txt 2>err.txt; rc=$?; set -e
if [ "$rc" -eq 2 ] && [ "$(cat err.txt)" = "${P}'../mini' is not a form id (lowercase letters, digits and '_')" ] && [ "$(dump)" = "$before" ]; then
  echo "ok   a path as form id"
else
  failures=$((failures + 1)); echo "FAIL a path as form id: exit $rc: $(cat err.txt)"
fi

# a decimal comma is a value, not an error, where the file is not comma-separated
printf '%s\nd1;2023;cao_loc;c1;1,5e3;citizen;;4;5\n' "${H//,/;}" > semicolon.csv
out=$("$collect" import --db s.db --surveys "$surveys" --form mini semicolon.csv)
w=$(sqlite3 s.db "SELECT weight FROM responses_mini WHERE respondent_id = 'd1'")
if [ "$out" = "semicolon.csv: batch 2: 1 rows stored" ] && [ "$w" = 1500.0 ]; then
  echo "ok   1,5e3 in a semicolon file is 1500"
else
  failures=$((failures + 1)); echo "FAIL 1,5e3 in a semicolon file: '$out', weight '$w'"
fi

# the rows are what they were: the good batch and the semicolon one
ids=$(sqlite3 s.db "SELECT group_concat(respondent_id) FROM (SELECT respondent_id FROM responses_mini ORDER BY 1)")
[ "$ids" = "d1,r0" ] || { failures=$((failures + 1)); echo "FAIL the stored ids are $ids"; }

if [ "$failures" -gt 0 ]; then
  echo "$failures cases failed"
  exit 1
fi
echo "all cases refused as expected; the store did not change"
