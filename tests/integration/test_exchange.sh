#!/usr/bin/env bash
# test_exchange.sh - masked data exchange between platforms: a rule with
# masks and a dropped column mirrors a CSV and a JSONL table of warehouse
# into lake; .table records the policy, .schema the masked types; nothing
# read through lake (data files, metadata files, .refresh) carries a raw
# value of a masked or dropped column; hashes are stable across reads and
# remounts; a new policy bumps the version and changes the bytes; jobs
# reading the mirror, or the source from a lake-output statement, write
# only masked values into lake's data store; a malformed source row makes
# the view fail with EIO and a logged reason.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
S=$M/sync
WAIT=5   # seconds for the scheduler to apply a rule; a loaded machine gets slack
LDS=$H/data/lake

# ---------------------------------------------------------------- source data
mf_make_table "$W/s/t" $'format csv\nheader true\ncolumn id bigint\ncolumn name string\ncolumn email string\ncolumn phone bigint\ncolumn ssn string\npartition dt date\n'
for d in 01 02; do
	mkdir "$W/s/t/dt=2024-05-$d" || mf_abort "mkdir partition"
	{
		printf 'id,name,email,phone,ssn\n'
		printf '1,Émilie,alice%s@example.com,5550001%s,111-22-33%s\n' "$d" "$d" "$d"
		printf '2,"Bob, Jr.",bob%s@example.com,5550002%s,222-33-44%s\n' "$d" "$d" "$d"
		printf '3,"multi\nline ""quoted""",alice%s@example.com,,333-44-55%s\n' "$d" "$d"
		printf '4,,,5550004%s,\n' "$d"
	} >"$MF_TMP/t$d.csv"
	cp "$MF_TMP/t$d.csv" "$W/s/t/dt=2024-05-$d/part-0.csv" || mf_abort "write part"
done
mf_make_table "$W/s/j" $'format jsonl\ncolumn id bigint\ncolumn name string\ncolumn email string\ncolumn phone bigint\ncolumn ssn string\n'
printf '%s\n' '{"id":1,"name":"Carla","email":"carla@example.com","phone":5559001,"ssn":"999-88-7777"}' \
	'{"id":2,"name":"Dan","email":null,"phone":5559002,"ssn":"888-77-6666"}' >"$MF_TMP/j.jsonl"
cp "$MF_TMP/j.jsonl" "$W/s/j/part-0.jsonl" || mf_abort "write jsonl"

# Every raw value of a masked or dropped column.
cat >"$MF_TMP/raw" <<'EOF'
alice01@example.com
alice02@example.com
bob01@example.com
bob02@example.com
carla@example.com
555000101
555000201
555000102
555000202
555000401
555000402
5559001
5559002
111-22-3301
222-33-4401
333-44-5501
111-22-3302
999-88-7777
888-77-6666
Émilie
Bob, Jr.
Carla
EOF

# ---------------------------------------------------------------- the rule
cat >"$MF_TMP/x.rule" <<'EOF'
source       = warehouse.s.*
target       = lake
mirror       = schema, properties, partitions
mask         = email:hash, phone:redact, name:truncate(2)
drop_columns = ssn
EOF
assert_ok "a rule with masks is accepted" cp "$MF_TMP/x.rule" "$S/x.rule"
assert_match "the canonical rule shows the masks" \
	'mask = email:hash, phone:redact, name:truncate\(2\)' "$(cat "$S/x.rule")"
mf_poll "$WAIT" test -e "$L/s/j/part-0.jsonl" || fail "the mirrors appear" "$(cat "$S/x/status")"
mf_poll "$WAIT" test -e "$L/s/t/dt=2024-05-02/part-0.csv" || fail "the partitions appear" "$(cat "$S/x/status")"

assert_eq ".table records the policy" "email:hash,phone:redact,name:truncate(2)" \
	"$(mf_field "$L/s/t/.table" property.metafs.mask.policy)"
assert_eq ".table records version 1" "1" "$(mf_field "$L/s/t/.table" property.metafs.mask.version)"
assert_match ".table records the key id" '^[0-9a-f]{8}$' "$(mf_field "$L/s/t/.table" property.metafs.mask.key)"
assert_eq "the mirror's schema: masked columns are strings, ssn is gone" "format csv
header true
column id bigint
column name string
column email string
column phone string
partition dt date" "$(grep -v '^property ' "$L/s/t/.schema" 2>&1)"

# ---------------------------------------------------------------- what lake serves
leak_check() {   # leak_check WHAT: every byte read through lake, no raw value
	local all=$MF_TMP/all.$RANDOM
	{
		find "$L" -type f -exec cat {} + 2>/dev/null
		cat "$L/s/t/.refresh" "$L/s/j/.refresh" 2>/dev/null
		for f in "$L/s/t/dt=2024-05-01/part-0.csv" "$L/s/j/part-0.jsonl"; do
			cp "$f" "$MF_TMP/cp.$RANDOM" && cat "$MF_TMP"/cp.*
			rm -f "$MF_TMP"/cp.*
		done
	} >"$all"
	if [ ! -s "$all" ]; then
		fail "$1: something was read through lake" "nothing read"
	elif grep -a -F -f "$MF_TMP/raw" "$all" >"$MF_TMP/leaks"; then
		fail "$1: no raw value is readable through lake" "$(head -n 5 "$MF_TMP/leaks")"
	else
		pass "$1: no raw value is readable through lake"
	fi
}
leak_check "after the first apply"

V1=$(cat "$L/s/t/dt=2024-05-01/part-0.csv" 2>&1)
H1=$(printf '%s\n' "$V1" | awk -F, 'NR==2 {print $3}')
assert_match "the masked CSV keeps the header without ssn" '^id,name,email,phone
1,Ém,[0-9a-f]{32},REDACTED
2,Bo,[0-9a-f]{32},REDACTED
3,mu,[0-9a-f]{32},
4,,,REDACTED$' "$V1"
assert_eq "equal values hash equally (rows 1 and 3)" "$H1" "$(printf '%s\n' "$V1" | awk -F, 'NR==4 {print $3}')"
assert_eq "a second read gives the same bytes" "$V1" "$(cat "$L/s/t/dt=2024-05-01/part-0.csv" 2>&1)"
SZ=$(printf '%s\n' "$V1" | wc -c)
if mf_poll "$WAIT" sh_c "[ \"\$(stat -c %s '$L/s/t/dt=2024-05-01/part-0.csv')\" = $SZ ]"; then
	pass "stat reports the served (masked) size once materialized"
else
	fail "stat reports the served (masked) size once materialized" "$(stat -c %s "$L/s/t/dt=2024-05-01/part-0.csv")"
fi
assert_match "the masked JSONL" '^\{"id":1,"name":"Ca","email":"[0-9a-f]{32}","phone":"REDACTED"\}
\{"id":2,"name":"Da","email":null,"phone":"REDACTED"\}$' "$(cat "$L/s/j/part-0.jsonl" 2>&1)"
P=$(awk 'NR==1 {print $2}' "$L/s/t/.refresh")
assert_eq "a .refresh path reads the masked bytes" "$V1" "$(cat "$M/$P/part-0.csv" 2>&1)"

mf_umount || fail "unmount"
mf_mount || mf_abort "remount"
assert_eq "hashes are the same after a remount" "$V1" "$(cat "$L/s/t/dt=2024-05-01/part-0.csv" 2>&1)"
leak_check "after a remount"

# ---------------------------------------------------------------- jobs
mkdir "$L/ml" || fail "mkdir lake/ml"
run_job ml1 'CREATE TABLE lake.ml.x AS SELECT email, count(*) AS n FROM lake.s.t GROUP BY email'
assert_eq "a job over the mirror succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job ml2 'CREATE TABLE lake.ml.y AS SELECT email, phone, name FROM warehouse.s.t WHERE id < 3'
assert_eq "a lake-output job reading warehouse succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job ml3 'SELECT count(*) AS n FROM lake.s.t WHERE email = '"'"'alice01@example.com'"'"''
assert_match "a predicate on a masked column sees masked values" $'^n\n0$' "$(cat "$M/jobs/ml3/result" 2>&1)"
Y=$(cat "$L/ml/y"/*.csv 2>/dev/null)
assert_match "the lake job wrote masked values" '[0-9a-f]{32}' "$Y"
if grep -r -a -F -f "$MF_TMP/raw" "$LDS" >"$MF_TMP/leaks" 2>/dev/null; then
	fail "lake's data store holds no raw value" "$(head -n 5 "$MF_TMP/leaks")"
else
	pass "lake's data store holds no raw value"
fi
assert_eq "the job's groups are the hashed emails" "$H1" \
	"$(cat "$L/ml/x"/*.csv 2>/dev/null | grep -o "$H1" | head -n 1)"

# ---------------------------------------------------------------- a new policy
sed 's/name:truncate(2)/name:truncate(1)/' "$MF_TMP/x.rule" >"$MF_TMP/x2.rule"
assert_ok "the rule is redefined" cp "$MF_TMP/x2.rule" "$S/x.rule"
if mf_poll "$WAIT" sh_c "grep -q 'metafs.mask.version: 2' '$L/s/t/.table'"; then
	pass "a new policy bumps metafs.mask.version"
else
	fail "a new policy bumps metafs.mask.version" "$(cat "$L/s/t/.table")"
fi
V2=$(cat "$L/s/t/dt=2024-05-01/part-0.csv" 2>&1)
assert_ne "the served bytes change with the policy" "$V1" "$V2"
assert_match "the new policy is applied" $'\n1,É,' "$V2"
leak_check "after the new policy"

# ---------------------------------------------------------------- a malformed row
printf 'id,name,email,phone,ssn\n1,ok,raw-leak@example.com,5,x\n2,"unterminated,raw2@example.com,6,y\n' >"$MF_TMP/bad.csv"
mkdir "$W/s/t/dt=2024-05-09" && cp "$MF_TMP/bad.csv" "$W/s/t/dt=2024-05-09/part-0.csv"
mf_poll "$WAIT" test -e "$L/s/t/dt=2024-05-09/part-0.csv" || fail "the bad partition is mirrored"
expect_fail_errno "a malformed source row fails the read" "Input/output error" cat "$L/s/t/dt=2024-05-09/part-0.csv"
assert_match "the reason is logged" 'exchange: cannot serve .*row 2' "$(cat "$M/.metafs/log" 2>&1)"
if grep -q 'raw-leak' "$L/s/t/dt=2024-05-09/part-0.csv" 2>/dev/null; then
	fail "no partial raw data is served"
else
	pass "no partial raw data is served"
fi

mf_finish
