#!/usr/bin/env bash
# test_sec_mirror.sh - a table is a mirror only when a sync rule made it.
# Root creates warehouse.sec.secret (partitioned, one secret row) and no
# sync rule.  An unprivileged user holding CREATE and SUBMIT on lake tries
# to make a table of lake read the secret by giving it the properties a
# mirror carries (metafs.mirror.source_id, .location, ...): with CREATE
# TABLE ... TBLPROPERTIES (in case and spacing variants, and smuggled in a
# value's newline), with a .schema written through the mount, and with
# ALTER TABLE ... SET TBLPROPERTIES.  Each is refused with a message naming
# the property, and audited; root is refused the same.  No secret row is
# readable through any table so made, and a plain table's .refresh lists
# nothing of the source.  Needs root (it creates a user); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
U=mfs_$$_m
mf_add_user "$U"
UUID=$(id -u "$U")
mf_mount_shared
J=$M/jobs
SECRET=123-45-6789

# user_job NAME SQL : SQL submitted by the user as job NAME; the status in
# $STATUS, its first line in $STATE, its error line (without "error: ") in
# $ERR, what its result file holds in $ROWS.
user_job() {
	printf '%s\n' "$2" >"$MF_TMP/$1.sql"
	chmod 644 "$MF_TMP/$1.sql"
	STATUS=$(mf_as_sh "$U" "cp '$MF_TMP/$1.sql' '$J/$1.sql' && cat '$J/$1/wait'" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
	ERR=$(printf '%s\n' "$STATUS" | sed -n 's/^error: //p')
	ROWS=$(mf_as "$U" cat "$J/$1/result" 2>&1)
}

# no_secret NAME TEXT : TEXT does not hold the secret value
no_secret() {
	if grep -qF -- "$SECRET" <<<"$2"; then
		fail "$1" "the secret was read:" "$2"
	else
		pass "$1"
	fi
}

run_job setup "CREATE DATABASE sec;
CREATE TABLE sec.secret (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING);
INSERT INTO sec.secret PARTITION (dt='2024-01-01') VALUES (1, '$SECRET');
CREATE DATABASE lake.mine;
GRANT CREATE, SUBMIT ON PLATFORM lake TO USER $UUID;
GRANT ADMIN ON DATABASE lake.mine TO USER $UUID;"
assert_eq "root's setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
SID=$(mf_field "$W/sec/secret/.table" id)
LOC=$(mf_field "$W/sec/secret/.table" location)
[ -n "$SID" ] && [ -n "$LOC" ] || mf_abort "the secret's id and location" "$SID $LOC"

PROPS="'metafs.mirror.source_id'='$SID', 'metafs.mirror.location'='$LOC',
  'metafs.mirror.rule'='r', 'metafs.mirror.source'='warehouse.sec.secret',
  'metafs.mirror.source_etag'='0000000000000000', 'metafs.mirror.event'='1'"
MSG="property metafs.mirror.source_id is reserved for metafs"

# ---- CREATE TABLE ... TBLPROPERTIES
user_job c1 "CREATE TABLE lake.mine.x (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING)
  TBLPROPERTIES ($PROPS);"
assert_eq "CREATE TABLE with metafs.mirror.* properties fails" "failed" "$STATE"
assert_match "the refusal names the property" "$MSG" "$ERR"
user_job c1_read "SELECT * FROM lake.mine.x"
no_secret "nothing of the secret is read through it" "$ROWS"
assert_not_exists "no table is left behind" "$L/mine/x"
mf_check_audit "the refusal is audited" "$UUID" create "/lake/mine/x" deny "reserved for metafs"

variants=("METAFS.MIRROR.SOURCE_ID" "Metafs.Mirror.Source_Id" " metafs.mirror.source_id"
	"metafs.mirror.source_id " "metafs.anything" "METAFS.mask.policy")
i=0
for v in "${variants[@]}"; do
	i=$((i + 1))
	user_job "cv$i" "CREATE TABLE lake.mine.v$i (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING)
  TBLPROPERTIES ('$v'='$SID', 'metafs.mirror.location'='$LOC');"
	assert_eq "CREATE TABLE with property '$v' fails" "failed" "$STATE"
	assert_match "its refusal says reserved ('$v')" "is reserved for metafs" "$ERR"
	user_job "cv${i}_read" "SELECT * FROM lake.mine.v$i"
	no_secret "nothing of the secret through v$i" "$ROWS"
done

# A newline in a value would make a second property line of the schema text.
user_job cn "CREATE TABLE lake.mine.n (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING)
  TBLPROPERTIES ('a'='b
property metafs.mirror.source_id = $SID');"
assert_eq "a property smuggled in a value's newline fails" "failed" "$STATE"
user_job cn_read "SELECT * FROM lake.mine.n"
no_secret "nothing of the secret through the smuggled property" "$ROWS"

# ---- .schema through the mount
mf_as "$U" mkdir "$L/mine/s" || fail "the user makes lake.mine.s"
SCHEMA="column id bigint
column ssn string
partition dt string
property metafs.mirror.source_id = $SID
property metafs.mirror.location = $LOC
property metafs.mirror.rule = r
property metafs.mirror.source = warehouse.sec.secret
"
printf '%s' "$SCHEMA" >"$MF_TMP/schema"
chmod 644 "$MF_TMP/schema"
expect_fail_errno ".schema with metafs.mirror.* properties is refused" "Invalid argument" \
	mf_as "$U" cp "$MF_TMP/schema" "$L/mine/s/.schema"
assert_match "the log names the property" "$MSG" "$(cat "$M/.metafs/log")"
mf_check_audit ".schema refusal is audited" "$UUID" "*" "/lake/mine/s" deny "reserved for metafs"
user_job s_read "SELECT * FROM lake.mine.s"
no_secret "nothing of the secret through a .schema table" "$ROWS"
mf_run mf_as "$U" cat "$L/mine/s/.refresh"
no_secret ".refresh of it shows nothing" "$MF_OUT"
if grep -q 'dt=2024-01-01' <<<"$MF_OUT"; then
	fail ".refresh lists none of the source's partitions" "$MF_OUT"
else
	pass ".refresh lists none of the source's partitions"
fi
mf_run mf_as "$U" cat "$L/mine/s/dt=2024-01-01/part-00000.csv"
no_secret "no source partition is reachable below it" "$MF_OUT"

printf '%s' "$SCHEMA" | sed 's/^property metafs/property METAFS/' >"$MF_TMP/schema2"
chmod 644 "$MF_TMP/schema2"
mf_as "$U" mkdir "$L/mine/s2" || fail "the user makes lake.mine.s2"
expect_fail_errno ".schema with upper-case METAFS.* properties is refused" "Invalid argument" \
	mf_as "$U" cp "$MF_TMP/schema2" "$L/mine/s2/.schema"

# ---- ALTER TABLE ... SET TBLPROPERTIES
user_job a0 "CREATE TABLE lake.mine.a (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING);"
assert_eq "a plain table is made" "succeeded" "$STATE"
user_job a1 "ALTER TABLE lake.mine.a SET TBLPROPERTIES ($PROPS);"
assert_eq "ALTER TABLE SET TBLPROPERTIES with metafs.* fails" "failed" "$STATE"
assert_match "the ALTER refusal names the property" "$MSG" "$ERR"
mf_check_audit "the ALTER refusal is audited" "$UUID" "*" "/lake/mine/a" deny "reserved for metafs"
user_job a_read "SELECT * FROM lake.mine.a"
no_secret "nothing of the secret through the altered table" "$ROWS"
mf_run mf_as "$U" cat "$L/mine/a/.refresh"
no_secret "its .refresh shows nothing" "$MF_OUT"

# ---- root, the administrator, is refused the same
run_job r1 "CREATE TABLE lake.mine.rx (id BIGINT, ssn STRING) PARTITIONED BY (dt STRING)
  TBLPROPERTIES ($PROPS);"
assert_eq "root's CREATE TABLE with metafs.* fails" "failed" "$STATE"
assert_match "root's refusal names the property" "$MSG" "$STATUS"
mkdir "$L/mine/rs" || fail "root makes lake.mine.rs"
expect_fail_errno "root's .schema with metafs.* is refused" "Invalid argument" \
	cp "$MF_TMP/schema" "$L/mine/rs/.schema"
run_job r2 "ALTER TABLE lake.mine.a SET TBLPROPERTIES ($PROPS);"
assert_eq "root's ALTER with metafs.* fails" "failed" "$STATE"
assert_match "root's ALTER refusal names the property" "$MSG" "$STATUS"
run_job r_read "SELECT * FROM lake.mine.a"
no_secret "root reads nothing of the secret through lake.mine.a" "$(cat "$J/r_read/result" 2>&1)"

# ---- other properties still work
user_job ok1 "CREATE TABLE lake.mine.ok (id BIGINT) TBLPROPERTIES ('owner.team'='x', 'metafsx'='y');"
assert_eq "ordinary properties are still accepted" "succeeded" "$STATE"
assert_match "and shown" "property metafsx = y" "$(cat "$L/mine/ok/.schema")"

mf_finish
