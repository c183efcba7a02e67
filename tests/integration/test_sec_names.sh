#!/usr/bin/env bash
# test_sec_names.sh - name resolution is no existence oracle.  Root creates
# warehouse.sec.secret (id, ssn_col) and a few tables in warehouse.pub; an
# unprivileged user, who holds SUBMIT on lake and privileges on some pub
# tables only, submits jobs through the mount that name the secret table
# every way a name is resolved (FROM, JOIN, a subquery, a CTE body, UNION,
# INSERT's target and source, CREATE TABLE AS's source, SHOW PARTITIONS,
# DROP TABLE, EXPLAIN, SHOW GRANTS ON, GRANT, CREATE TABLE in the hidden
# database).  Each error is recorded, root drops the table, the same jobs
# run again, then root drops the database and they run a third time: the
# three errors of each job are equal byte for byte.  No error names
# ssn_col, "did you mean" never offers a hidden table, a column error comes
# only after the table's SELECT check, and each denial is in the audit log.
# Needs root (it creates a user); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
U=mfs_$$_u
mf_add_user "$U"
UUID=$(id -u "$U")
mf_mount_shared
J=$M/jobs

# user_job NAME SQL : SQL submitted by the user as job NAME; the status in
# $STATUS, its first line in $STATE, its error line (without "error: ") in $ERR.
user_job() {
	printf '%s\n' "$2" >"$MF_TMP/$1.sql"
	chmod 644 "$MF_TMP/$1.sql"
	STATUS=$(mf_as_sh "$U" "cp '$MF_TMP/$1.sql' '$J/$1.sql' && cat '$J/$1/wait'" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
	ERR=$(printf '%s\n' "$STATUS" | sed -n 's/^error: //p')
}

run_job setup "CREATE DATABASE sec;
CREATE TABLE sec.secret (id BIGINT, ssn_col STRING);
INSERT INTO sec.secret VALUES (1, '123-45-6789');
CREATE DATABASE pub;
CREATE TABLE pub.items (id BIGINT, name STRING);
INSERT INTO pub.items VALUES (1, 'a');
CREATE TABLE pub.itemsx (id BIGINT, code STRING);
CREATE TABLE pub.w (id BIGINT, ssn STRING);
CREATE DATABASE lake.ml;
CREATE TABLE lake.ml.out (id BIGINT);
GRANT SUBMIT ON PLATFORM lake TO USER $UUID;
GRANT CREATE ON DATABASE lake.ml TO USER $UUID;
GRANT SELECT ON TABLE warehouse.pub.items TO USER $UUID;
GRANT MODIFY ON TABLE warehouse.pub.w TO USER $UUID;"
assert_eq "root's setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"

# The jobs, each naming the secret table (or a near name) one way.
names=(from join subquery cte union insert_target insert_source ctas show_partitions drop
	explain three_part show_grants grant create_in_db near_db near_visible)
declare -A sql=(
	[from]="SELECT ssn_co FROM sec.secret"
	[join]="SELECT i.id FROM pub.items i JOIN sec.secret s ON i.id = s.id"
	[subquery]="SELECT n FROM (SELECT ssn_co AS n FROM sec.secret) q"
	[cte]="WITH c AS (SELECT ssn_co FROM sec.secret) SELECT id FROM pub.items"
	[union]="SELECT id FROM pub.items UNION ALL SELECT ssn_co FROM sec.secret"
	[insert_target]="INSERT INTO sec.secret VALUES (1)"
	[insert_source]="INSERT INTO lake.ml.out SELECT ssn_co FROM warehouse.sec.secret"
	[ctas]="CREATE TABLE lake.ml.t2 AS SELECT ssn_co FROM warehouse.sec.secret"
	[show_partitions]="SHOW PARTITIONS sec.secret"
	[drop]="DROP TABLE sec.secret"
	[explain]="EXPLAIN SELECT ssn_co FROM sec.secret"
	[three_part]="SELECT * FROM warehouse.sec.secret"
	[show_grants]="SHOW GRANTS ON TABLE warehouse.sec.secret"
	[grant]="GRANT SELECT ON TABLE sec.secret TO USER $UUID"
	[create_in_db]="CREATE TABLE sec.mine (id BIGINT)"
	[near_db]="SELECT * FROM sec.secre"
	[near_visible]="SELECT * FROM pub.itemsxx"
)
declare -A err1 err2 err3

round() {
	local n
	for n in "${names[@]}"; do
		user_job "$1_$n" "${sql[$n]};"
		eval "$2[\$n]=\$ERR"
		[ "$STATE" = failed ] || note "$1_$n: $STATUS"
	done
}

# ---------------------------------------------------------------- the table exists, hidden
round hidden err1
assert_eq "SELECT ssn_co FROM sec.secret answers as for a missing table" \
	'line 1, column 20: unknown table "sec.secret"' "${err1[from]}"
for n in "${names[@]}"; do
	case "${err1[$n]}" in
	*ssn_col*) fail "no error names the hidden column ($n)" "${err1[$n]}" ;;
	"") fail "the job fails ($n)" "no error line" ;;
	*) pass "no error names the hidden column ($n)" ;;
	esac
done
assert_eq "did-you-mean does not offer the hidden table" 'line 1, column 15: unknown table "sec.secre"' \
	"${err1[near_db]}"
assert_eq "did-you-mean offers the visible table, not the hidden nearer one" \
	'line 1, column 15: unknown table "pub.itemsxx" (did you mean "pub.items"?)' "${err1[near_visible]}"
assert_eq "a CREATE TABLE in the hidden database finds no database" \
	'line 1, column 1: unknown database "sec"' "${err1[create_in_db]}"

mf_check_audit "a hidden read is audited" "$UUID" read /warehouse/sec/secret deny "not visible"
mf_check_audit "a hidden INSERT target is audited" "$UUID" write /warehouse/sec/secret deny "not visible"
mf_check_audit "the hidden database of a DROP TABLE is audited" "$UUID" lookup /warehouse/sec deny "not visible"
mf_check_audit "a hidden database of CREATE TABLE is audited" "$UUID" create /warehouse/sec deny "not visible"
mf_check_audit "a hidden GRANT / SHOW GRANTS object is audited" "$UUID" lookup /warehouse/sec/secret deny \
	"not visible"
before=$(mf_audit_count "$UUID" read /warehouse/sec/secret deny)
user_job once "SELECT ssn_co FROM sec.secret;"
assert_eq "a job naming a hidden table is audited once" "$((before + 1))" \
	"$(mf_audit_count "$UUID" read /warehouse/sec/secret deny)"

# ---------------------------------------------------------------- visible without SELECT
user_job no_select "SELECT ssm FROM pub.w;"
assert_eq "a visible table without SELECT is refused before its columns are resolved" \
	"line 1, column 17: permission denied: uid $UUID lacks SELECT on warehouse.pub.w" "$ERR"
mf_check_audit "the SELECT denial is audited" "$UUID" read /warehouse/pub/w deny

# ---------------------------------------------------------------- the table is gone, then its database
run_job drop_t "DROP TABLE sec.secret;
DROP TABLE pub.itemsx;"
assert_eq "root drops the tables" "succeeded" "$STATE" || note "$STATUS"
round missing err2
run_job drop_db "DROP DATABASE sec;"
assert_eq "root drops the database" "succeeded" "$STATE" || note "$STATUS"
round nodb err3

for n in "${names[@]}"; do
	assert_eq "$n: the hidden table's error equals the missing table's" "${err2[$n]}" "${err1[$n]}"
	assert_eq "$n: the hidden table's error equals the missing database's" "${err3[$n]}" "${err1[$n]}"
done

mf_finish
