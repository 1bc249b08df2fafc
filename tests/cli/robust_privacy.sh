#!/usr/bin/env bash
# Personal columns (personal = yes in survey.csv: full_name and phone in sipas2017) are stored as
# keyed hashes: after importing names and phone numbers, no name and no number appears anywhere
# in the bytes of the store, its WAL or its shared-memory file, nor in an export; a rejected
# row's name does not reach the store either (only the rejects file the user asked for).
set -euo pipefail
: "${SIPAS_BUILD:?}" "${SIPAS_SOURCE:?}"
collect="$SIPAS_BUILD/sipas-collect"
surveys="$SIPAS_SOURCE/surveys"
work=$(mktemp -d /tmp/sipas-robust-privacy-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }

# 200 respondents with a name and a phone number; the last row is refused (wave 1800)
src="$SIPAS_SOURCE/surveys/sample/sipas2017_2019-2024.csv"
head -n 1 "$src" | tr ',' '\n' | grep -n -x -e full_name -e phone > cols.txt
[ "$(cut -d: -f2 cols.txt | tr '\n' ' ')" = "full_name phone " ] || fail "columns: $(cat cols.txt)"
cn=$(sed -n 1p cols.txt | cut -d: -f1); cp=$(sed -n 2p cols.txt | cut -d: -f1)
families=(Nguyễn Trần Lê Phạm Hoàng Vi Hà Lương Nông Lăng)
{ head -n 1 "$src"
  sed -n '2,201p' "$src" | awk -F, -v OFS=, -v cn="$cn" -v cp="$cp" -v fam="${families[*]}" '
    BEGIN { n = split(fam, f, " ") }
    { $cn = f[(NR % n) + 1] " Thị Hồng Nhung " NR; $cp = sprintf("09%08d", 31415900 + NR); print }'
  sed -n '202p' "$src" | awk -F, -v OFS=, -v cn="$cn" -v cp="$cp" '{ $2 = 1800; $cn = "Hoàng Văn Bị Từ Chối"; $cp = "0987654321"; print }'
} > personal.csv
grep -q "Nguyễn Thị Hồng Nhung" personal.csv || fail "the test file has no names"

set +e
"$collect" import --db s.db --surveys "$surveys" --form sipas2017 --keep-valid --rejects rejects.csv personal.csv >out.txt 2>err.txt
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "import: exit $rc: $(cat err.txt)"
grep -q "200 rows stored, 1 rejected" out.txt || fail "import: $(cat out.txt)"
grep -q "Hoàng Văn Bị Từ Chối" rejects.csv || fail "the rejected row is not in the rejects file"
"$collect" export --db s.db --surveys "$surveys" --form sipas2017 --out export.csv

# every name and number, searched as raw bytes while the store is open (WAL present) and after
needles() {
  cut -d, -f"$cn" personal.csv | sed 1d
  cut -d, -f"$cp" personal.csv | sed 1d
  echo "Thị Hồng Nhung"; echo "0931415"
}
search() {
  local found=0 f
  for f in s.db s.db-wal s.db-shm export.csv; do
    [ -e "$f" ] || continue
    if needles | grep -a -F -f - "$f" >/dev/null; then
      echo "personal data in clear in '$f':" >&2
      needles | grep -a -o -F -f - "$f" | sort -u | head -5 >&2
      found=1
    fi
  done
  return $found
}
search || fail "a name or a phone number is stored in clear"
# the hashes are there instead: 64 hex digits, one per respondent, the same number twice -> one hash
n=$(sqlite3 s.db "SELECT count(DISTINCT phone) FROM responses_sipas2017 WHERE length(phone) = 64 AND phone NOT GLOB '*[^0-9a-f]*'")
[ "$n" = 200 ] || fail "$n distinct 64-hex-digit phone hashes, expected 200"
# checkpoint the WAL into the file and search again
sqlite3 s.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
search || fail "a name or a phone number is stored in clear after a checkpoint"
echo "ok: 200 names and phone numbers imported; none of them in the store's bytes or the export"
