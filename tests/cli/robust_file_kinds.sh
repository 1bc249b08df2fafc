#!/usr/bin/env bash
# Files that are not what their name says: a PNG, a PDF or a program renamed .csv gets "this
# is not a CSV or Excel file (it looks like ...)" instead of a stray quote or every column
# missing from the header; a UTF-8 file cut off inside a character is said to be cut off,
# not to be in another encoding. Nothing is stored and no rejects file is written.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
export SIPAS_SURVEYS="$SIPAS_SOURCE/tests/fixtures/import"
H='respondent_id,wave,district,commune,weight,respondent_type,phone,q1,q2'
printf '%s\nr1,2023,cao_loc,c1,1,citizen,,4,5\n' "$H" >good.csv
run "$COLLECT" import --form mini good.csv
expect_rc 0 "a first batch"
before=$(sha256sum "$SIPAS_DB")

# refused NAME FILE MESSAGE: import and check exit 1 with exactly MESSAGE
refused() {
  for cmd in import check; do
    run "$COLLECT" "$cmd" --form mini "$2"
    expect_rc 1 "$1 ($cmd)"
    expect_equal "$(cat "$WORK/err")" "sipas-collect: error: $3" "$1 ($cmd)"
  done
  expect_equal "$(ls "${2%.csv}.rejects.csv" 2>/dev/null)" "" "$1: no rejects file"
}
printf '\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00' >image.csv
refused "a PNG renamed .csv" image.csv "image.csv: this is not a CSV or Excel file (it looks like a PNG image)"
printf '%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n' >report.csv
refused "a PDF renamed .csv" report.csv "report.csv: this is not a CSV or Excel file (it looks like a PDF document)"
head -c 4096 "$COLLECT" >program.csv
refused "a program renamed .csv" program.csv "program.csv: this is not a CSV or Excel file (it looks like a program (ELF))"

# cut off inside 'ả' (E1 BA A3: two of its three bytes) and inside 'ố' (C3 B4 ... cut after C3)
printf '%s\nr2,2023,cao_loc,Xã Hồng Phong,1,citizen,,4,5\nr3,2023,cao_loc,Bản Ph\xe1\xba' "$H" >cut3.csv
refused "UTF-8 cut off in a 3-byte character" cut3.csv "cut3.csv:3: the file ends inside a UTF-8 character (byte 0xE1): it was cut off (an interrupted copy or download?); get the whole file again"
printf '%s\nr2,2023,cao_loc,Xã Hồng Ph\xc3' "$H" >cut2.csv
refused "UTF-8 cut off in a 2-byte character" cut2.csv "cut2.csv:2: the file ends inside a UTF-8 character (byte 0xC3): it was cut off (an interrupted copy or download?); get the whole file again"
expect_equal "$(sha256sum "$SIPAS_DB")" "$before" "the store is unchanged"

# the same rows whole, ending in a multi-byte character without a newline: accepted
printf '%s\nr2,2023,cao_loc,Bản Phả,1,citizen,,4,5' "$H" >whole.csv
run "$COLLECT" import --form mini whole.csv
expect_rc 0 "a file ending in a whole character"
expect_out "whole.csv: batch 2: 1 rows stored" "a file ending in a whole character"
finish
