#!/usr/bin/env bash
# test_grants.sh - access control through SQL jobs, as the daemon's user
# (the superuser): CREATE/DROP ROLE, GRANT and REVOKE of privileges and of
# roles, SHOW GRANTS and SHOW ROLES in the job's result, errors that name
# the line and column (unknown role, bad privilege, unknown object), the
# job-time checks recorded in the audit log, and a job whose output is on
# the second platform running on that platform's engine.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_setup
J=$M/jobs
AUDIT=$H/manager/audit.log

# The lines of a job's result FILE (under jobs/) without their time (the last field).
grants_of() { sed -n "$2" "$J/$1" | sed 's/,[^,]*$//'; }

run_job ddl "CREATE DATABASE s;
CREATE TABLE s.t (id BIGINT, email STRING);
INSERT INTO s.t VALUES (1, 'a@x.org'), (2, 'b@y.org'), (3, NULL);
CREATE DATABASE lake.ml;"
assert_eq "the setup job succeeds" "succeeded" "$STATE" || note "$STATUS"

# ---------------------------------------------------------------- roles and grants
run_job grant "CREATE ROLE analysts;
CREATE ROLE IF NOT EXISTS analysts;
CREATE ROLE \`data eng\`;
GRANT SELECT, INSERT ON TABLE s.t TO ROLE analysts;
GRANT SUBMIT ON PLATFORM lake TO USER 4242, GROUP 4343;
GRANT ROLE analysts, \`data eng\` TO USER 4242;
GRANT CREATE ON SCHEMA lake.ml TO ROLE \`data eng\`;
GRANT ALL PRIVILEGES ON METASTORE TO USER '4444';
SHOW GRANTS;
SHOW ROLES;"
assert_eq "a job of GRANT, CREATE ROLE and SHOW statements succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "SHOW GRANTS lists every grant as CSV, sorted by object then grantee" \
"object,grantee_kind,grantee,privileges,grantor_uid
/,user,4444,\"SELECT, MODIFY, CREATE, SUBMIT, SYNC, ADMIN\",0
/lake,user,4242,SUBMIT,0
/lake,group,4343,SUBMIT,0
/lake/ml,role,data eng,CREATE,0
/warehouse/s/t,role,analysts,\"SELECT, MODIFY\",0" "$(grants_of grant/results/1.csv '1,$p')"
assert_eq "SHOW ROLES lists the roles and their members in the second result, the last" "role,members
analysts,user:4242
data eng,user:4242" "$(cat "$J/grant/results/2.csv")"
assert_cmp "result is the last result" "$J/grant/results/2.csv" "$J/grant/result"
assert_file_contains "the log tells what was granted" "$J/grant/log" \
	"granted SELECT, MODIFY on warehouse.s.t to role analysts"
assert_match "a grant time is RFC 3339 UTC" \
	'^/lake,user,4242,SUBMIT,0,[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(grep '^/lake,user' "$J/grant/results/1.csv")"

run_job show_on "SHOW GRANTS ON TABLE warehouse.s.t;
SHOW GRANTS FOR USER 4242;
SHOW GRANTS ON DATABASE lake.ml FOR ROLE \`data eng\`;"
assert_eq "SHOW GRANTS ON and FOR succeed" "succeeded" "$STATE" || note "$STATUS"
assert_eq "SHOW GRANTS ON an object lists the grants on it and above; FOR a user, also through its roles" \
"object,grantee_kind,grantee,privileges,grantor_uid
/,user,4444,\"SELECT, MODIFY, CREATE, SUBMIT, SYNC, ADMIN\",0
/warehouse/s/t,role,analysts,\"SELECT, MODIFY\",0

object,grantee_kind,grantee,privileges,grantor_uid
/lake,user,4242,SUBMIT,0
/lake/ml,role,data eng,CREATE,0
/warehouse/s/t,role,analysts,\"SELECT, MODIFY\",0

object,grantee_kind,grantee,privileges,grantor_uid
/lake/ml,role,data eng,CREATE,0" "$(for n in 1 2 3; do grants_of "show_on/results/$n.csv" '1,$p'; echo; done)"

run_job revoke "REVOKE INSERT ON s.t FROM ROLE analysts;
REVOKE SUBMIT ON CATALOG lake FROM GROUP 4343;
REVOKE ROLE \`data eng\` FROM USER 4242;
DROP ROLE \`data eng\`;
DROP ROLE IF EXISTS \`data eng\`;
SHOW GRANTS;
SHOW ROLES;"
assert_eq "REVOKE and DROP ROLE succeed" "succeeded" "$STATE" || note "$STATUS"
assert_eq "what is revoked is gone, and a dropped role's grants with it" \
"object,grantee_kind,grantee,privileges,grantor_uid
/,user,4444,\"SELECT, MODIFY, CREATE, SUBMIT, SYNC, ADMIN\",0
/lake,user,4242,SUBMIT,0
/warehouse/s/t,role,analysts,SELECT,0" "$(grants_of revoke/results/1.csv '1,$p')"
assert_eq "a dropped role is no longer listed" "role,members
analysts,user:4242" "$(sed -n '/^role,members$/,$p' "$J/revoke/result")"

# ---------------------------------------------------------------- errors with line and column
run_job err_role "SHOW ROLES;
GRANT SELECT ON s.t TO ROLE analysts, nosuch;"
assert_eq "a grant to an unknown role fails" "failed" "$STATE"
assert_match "the error names the role's line and column" \
	'statement: 2.*error: line 2, column 39: no role "nosuch"' "$(printf '%s' "$STATUS" | tr '\n' ' ')"

run_job err_priv "SHOW ROLES;
GRANT SELECT,
      UPDATE ON s.t TO USER 0;"
assert_eq "an unknown privilege fails the job" "failed" "$STATE"
assert_match "the error names the privilege's line and column" \
	'line 3, column 7: unknown privilege "UPDATE"' "$STATUS"
assert_not_exists "a job that does not parse runs nothing" "$J/err_priv/result"

run_job err_obj "GRANT SELECT ON TABLE s.nosuch TO USER 0;"
assert_eq "a grant on an unknown table fails" "failed" "$STATE"
assert_match "the error names the object's line and column" \
	'line 1, column 23: unknown table warehouse.s.nosuch' "$STATUS"
run_job err_db "REVOKE ALL ON DATABASE lake.nosuch FROM USER 0;"
assert_match "a revoke on an unknown database fails at the name" \
	'line 1, column 24: unknown database lake.nosuch' "$STATUS"
run_job err_pf "GRANT SELECT ON PLATFORM nowhere TO USER 0;"
assert_match "a grant on an unknown platform fails at the name" \
	'line 1, column 26: unknown platform "nowhere"' "$STATUS"
run_job err_user "GRANT SELECT ON s.t TO USER 'no such user';"
assert_match "a grant to an unknown user fails at the name" \
	'line 1, column 29: no user "no such user"' "$STATUS"
run_job err_drop "DROP ROLE ghost;"
assert_match "dropping an unknown role fails at its name" 'line 1, column 11: no role "ghost"' "$STATUS"
run_job err_dup "CREATE ROLE analysts;"
assert_match "creating an existing role fails" 'line 1, column 13: role "analysts" exists' "$STATUS"

run_job explain "EXPLAIN GRANT SELECT ON s.t TO ROLE nosuch;"
assert_eq "EXPLAIN of a GRANT does nothing and succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_file_contains "EXPLAIN of a GRANT prints no query plan" "$J/explain/plan" "Execute command (no query plan)"

# ---------------------------------------------------------------- checks are audited
run_job audited "SELECT count(*) AS n FROM s.t;"
assert_eq "the superuser's SELECT succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_match "the job's SELECT check is in the audit log" \
	$'\tread\t/warehouse/s/t\tallow\tSELECT\t' "$(cat "$AUDIT" 2>&1)"
assert_match "the job's SUBMIT check is in the audit log" \
	$'\tsubmit\t/warehouse\tallow\tSUBMIT\t' "$(cat "$AUDIT" 2>&1)"
assert_eq "a job checked up front is audited once per privilege" "1" \
	"$(grep -c $'\tread\t/warehouse/s/t\tallow' "$AUDIT")"

# ---------------------------------------------------------------- the second platform's engine
run_job to_lake "CREATE TABLE lake.ml.t AS SELECT id, email FROM warehouse.s.t;
SELECT count(*) AS n FROM lake.ml.t;
SELECT count(*) AS n FROM s.t;"
assert_eq "CREATE TABLE lake.ml.t AS SELECT ... FROM warehouse.s.t succeeds" "succeeded" "$STATE" ||
	note "$STATUS"
assert_match "status names the lake engine for the statements on lake" \
	'engine: embedded on lake \(statements 1, 2\)' "$STATUS"
assert_match "status names the warehouse engine for the warehouse SELECT" \
	'engine: embedded on warehouse \(statement 3\)' "$STATUS"
assert_file_has_line "the physical plan names the engine that ran it" "$J/to_lake/plan" \
	"Engine: embedded on lake"
assert_file_contains "resources names each statement's engine" "$J/to_lake/resources" \
	"statement 1: engine: embedded on lake"
assert_eq "the data lands in lake's data store" "1" \
	"$(find "$H/data/lake/ml/t" -name '*.csv' -type f | wc -l)"
assert_eq "and not in the warehouse's" "" "$(find "$DS" -path '*/ml/*' -print)"
assert_eq "the lake table holds the rows" "n
3" "$(cat "$J/to_lake/results/1.csv")"
assert_eq "lake's .table counts them" "3" "$(mf_field "$L/ml/t/.table" rows)"
assert_match "the lake job's SUBMIT was checked on lake" \
	$'\tsubmit\t/lake\tallow\tSUBMIT\t' "$(cat "$AUDIT" 2>&1)"

# ---------------------------------------------------------------- a user without privileges
# Jobs submitted by uid 5151 (no such user is needed: FUSE reports the
# caller's uid).  The mount is remounted with allow_other for it.
U=5151
as_user() { timeout -k 5 60 setpriv --reuid "$U" --regid "$U" --clear-groups "$@"; }
user_job() {
	STATUS=$(as_user bash -c 'printf "%s\n" "$2" >"$1/$3.sql" && cat "$1/$3/wait"' _ "$J" "$2" "$1" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
}
if command -v setpriv >/dev/null; then
	chmod 755 "$MF_TMP"
	mf_umount "$M"
	# lake's section is the last of the file: name its engine explicitly.
	printf 'engine = embedded\n' >>"$H/metafs.ini"
	mf_mount "$H" "$M" -o allow_other || mf_abort "remount with allow_other"
	run_job user_setup "CREATE TABLE s.pub (id BIGINT);
INSERT INTO s.pub VALUES (10), (20);
CREATE TABLE s.out (id BIGINT);
GRANT SUBMIT ON PLATFORM warehouse TO USER $U;
GRANT MODIFY ON TABLE s.out TO USER $U;
GRANT SELECT ON s.pub TO USER $U;"
	assert_eq "the grants for uid $U are made" "succeeded" "$STATE" || note "$STATUS"

	user_job denied "INSERT INTO s.out SELECT id FROM s.pub;
INSERT INTO s.out SELECT id
FROM s.t;"
	assert_eq "a job reading a table without SELECT fails" "failed" "$STATE" || note "$STATUS"
	assert_match "the status names the statement and the denial at the reference" \
		"statement: 2.*error: line 3, column 6: permission denied: uid $U lacks SELECT on warehouse.s.t" \
		"$(printf '%s' "$STATUS" | tr '\n' ' ')"
	assert_eq "the denied job commits nothing, not even its allowed first statement" "0" \
		"$(mf_field "$W/s/out/.table" rows)"
	assert_match "the denial is audited" \
		$'\t'"$U"$'\tread\t/warehouse/s/t\tdeny\tSELECT\t' "$(cat "$AUDIT" 2>&1)"

	run_job user_role "CREATE ROLE readers;
GRANT SELECT ON DATABASE s TO ROLE readers;
GRANT ROLE readers TO USER $U;"
	assert_eq "SELECT on the database is granted to a role of the user" "succeeded" "$STATE" || note "$STATUS"
	user_job allowed "INSERT INTO s.out SELECT id FROM s.pub;
INSERT INTO s.out SELECT id
FROM s.t;"
	assert_eq "the same job succeeds through the role's grant on the database" "succeeded" "$STATE" ||
		note "$STATUS"
	assert_eq "and commits both statements" "5" "$(mf_field "$W/s/out/.table" rows)"

	user_job lake_denied "CREATE TABLE lake.ml.mine (id BIGINT);"
	assert_match "a platform the user holds nothing on is unknown to its jobs, as to its listings" \
		'line 1, column 1: unknown platform "lake" in "lake.ml.mine"' "$STATUS"
	run_job user_lake_db "GRANT CREATE ON DATABASE lake.ml TO USER $U;"
	user_job lake_denied2 "CREATE TABLE lake.ml.mine (id BIGINT);"
	assert_match "a job on lake needs SUBMIT on lake" \
		"line 1, column 1: permission denied: uid $U lacks SUBMIT on lake" "$STATUS"
	run_job user_lake "GRANT SUBMIT ON PLATFORM lake TO USER $U;
GRANT CREATE ON DATABASE lake.ml TO USER $U;"
	user_job lake_owner "CREATE TABLE lake.ml.mine AS SELECT id FROM warehouse.s.pub;
DROP TABLE lake.ml.mine;"
	assert_eq "the creator of a table owns it: it may drop it" "succeeded" "$STATE" || note "$STATUS"
	user_job lake_drop "DROP TABLE lake.ml.t;"
	assert_match "but not a table another user created" \
		"permission denied: uid $U lacks ADMIN on lake.ml.t" "$STATUS"
	user_job user_grant "GRANT SELECT ON s.pub TO USER 4242;"
	assert_match "GRANT needs ADMIN on the object" "line 1, column 17: .*ADMIN" "$STATUS"
else
	note "setpriv missing: the tests as another user are skipped"
fi

# ---------------------------------------------------------------- engine = in metafs.ini
H2=$MF_TMP/home2
M2=$MF_TMP/mnt2
mkdir -p "$M2"
mf_register_mount "$M2"
"$METAFS" init "$H2" >/dev/null 2>&1 || mf_abort "metafs init $H2"
printf 'engine = spark\n' >>"$H2/metafs.ini"
out=$(timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H2" "$M2" 2>&1 </dev/null)
rc=$?
assert_ne "a platform naming an unknown engine stops the daemon" "0" "$rc"
assert_match "the error names the engine" 'unknown engine "spark"' "$out"

mf_finish
