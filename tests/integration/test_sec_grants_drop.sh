#!/usr/bin/env bash
# test_sec_grants_drop.sh - grants go with their object.  Bob (CREATE and
# SUBMIT on lake) squats lake/sec, makes a table in it, grants himself
# SELECT on both (owners hold ADMIN) and drops them again, by rmdir through
# the mount and by SQL DROP.  The grants are gone from /.metafs/grants with
# the objects, each removal audited as a revoke by the daemon's uid.  When
# root's rule later mirrors warehouse.sec.* into lake, bob reads nothing of
# lake/sec/secret, neither its data nor its .refresh.  A grant on a mirror
# goes too when the rule drops the mirror.  Needs root (it creates a user);
# skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
BOB=mft_$$_gbob
mf_add_user "$BOB"
BUID=$(id -u "$BOB")
mf_mount_shared
J=$M/jobs
S=$M/sync
L=$M/lake
SECRET=123-45-6789

# bob_job NAME SQL : SQL submitted by bob as job NAME; its first status line in $STATE.
bob_job() {
	printf '%s\n' "$2" >"$MF_TMP/$1.sql"
	chmod 644 "$MF_TMP/$1.sql"
	STATUS=$(mf_as_sh "$BOB" "cp '$MF_TMP/$1.sql' '$J/$1.sql' && cat '$J/$1/wait'" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
}

# grants_on PREFIX : the lines of /.metafs/grants on PREFIX or below it
grants_on() { grep -E "^$1(/|	)" "$M/.metafs/grants"; }

# no_secret NAME TEXT : TEXT does not hold the secret value
no_secret() {
	if grep -qF -- "$SECRET" <<<"$2"; then
		fail "$1" "the secret was read:" "$2"
	else
		pass "$1"
	fi
}

# ---------------------------------------------------------------- the superuser's data
mkdir -p "$W/sec/secret" || mf_abort "mkdir sec/secret"
mf_put_schema "$W/sec/secret" $'format csv\nheader true\ncolumn id bigint\ncolumn ssn string\npartition dt date\n' ||
	mf_abort ".schema of sec/secret" "$MF_OUT"
mkdir "$W/sec/secret/dt=2024-05-01" || mf_abort "mkdir a partition of sec/secret"
printf 'id,ssn\n1,%s\n' "$SECRET" >"$MF_TMP/p.csv"
cp "$MF_TMP/p.csv" "$W/sec/secret/dt=2024-05-01/part-0.csv" || mf_abort "cp into sec/secret"
run_job g0 "GRANT CREATE, SUBMIT ON PLATFORM lake TO USER $BOB;"
assert_eq "root's grant succeeds" "succeeded" "$STATE" || note "$STATUS"

# ---------------------------------------------------------------- squat, grant, drop (rmdir)
assert_ok "bob (CREATE on lake) makes lake/sec" mf_as "$BOB" mkdir "$L/sec"
assert_ok "and lake/sec/secret in it" mf_as "$BOB" mkdir "$L/sec/secret"
bob_job b1 "GRANT SELECT ON DATABASE lake.sec TO USER $BOB;
GRANT SELECT ON TABLE lake.sec.secret TO USER $BOB;"
assert_eq "bob grants himself SELECT on lake.sec and lake.sec.secret" "succeeded" "$STATE" ||
	note "$STATUS"
assert_eq "/.metafs/grants shows both" "2" "$(grants_on /lake/sec | wc -l)"
assert_ok "bob drops lake/sec/secret" mf_as "$BOB" rmdir "$L/sec/secret"
assert_eq "the table's grant went with it" "" "$(grants_on /lake/sec/secret)"
assert_ok "bob drops lake/sec" mf_as "$BOB" rmdir "$L/sec"
assert_eq "/.metafs/grants shows no grant on /lake/sec" "" "$(grants_on /lake/sec)"
mf_check_audit "the table's grant is revoked by the daemon, audited" 0 revoke /lake/sec/secret allow \
	"dropped with its object"
mf_check_audit "the database's grant too" 0 revoke /lake/sec allow "dropped with its object"

# ---------------------------------------------------------------- squat, grant, drop (SQL)
bob_job b2 "CREATE DATABASE lake.sec;
CREATE TABLE lake.sec.secret (id BIGINT, ssn STRING);
GRANT SELECT ON DATABASE lake.sec TO USER $BOB;
GRANT SELECT ON TABLE lake.sec.secret TO USER $BOB;"
assert_eq "bob makes them again by SQL and grants himself SELECT" "succeeded" "$STATE" ||
	note "$STATUS"
assert_eq "/.metafs/grants shows both again" "2" "$(grants_on /lake/sec | wc -l)"
bob_job b3 "DROP TABLE lake.sec.secret;
DROP DATABASE lake.sec;"
assert_eq "bob drops them by SQL" "succeeded" "$STATE" || note "$STATUS"
assert_eq "/.metafs/grants shows no grant on /lake/sec after DROP" "" "$(grants_on /lake/sec)"
assert_eq "every removal is audited" "4" \
	"$(mf_audit_count 0 revoke "/lake/sec*" allow "dropped with its object")"

# ---------------------------------------------------------------- the rule makes lake/sec
printf 'source = warehouse.sec.*\ntarget = lake\nmirror = schema, properties, partitions\n' >"$MF_TMP/sec.rule"
assert_ok "root defines a rule on warehouse.sec.*" cp "$MF_TMP/sec.rule" "$S/sec.rule"
assert_match "the rule runs" "^idle" "$(cat "$S/sec/run" 2>&1)"
assert_exists "the mirror is in lake/sec" "$L/sec/secret/.schema"
assert_eq "/.metafs/grants shows no grant on the mirrors" "" "$(grants_on /lake/sec)"
mf_run mf_as "$BOB" cat "$L/sec/secret/dt=2024-05-01/part-0.csv"
assert_ne "bob cannot read the mirror's data" "0" "$MF_RC"
no_secret "nothing of the secret through the mirror" "$MF_OUT"
mf_run mf_as "$BOB" cat "$L/sec/secret/.refresh"
assert_ne "bob cannot read the mirror's .refresh" "0" "$MF_RC"
no_secret "nothing of the secret through .refresh" "$MF_OUT"
assert_eq "the audit has no read of the mirrors by bob allowed" "0" \
	"$(mf_audit_count "$BUID" read "/lake/sec*" allow)"

# ---------------------------------------------------------------- a rule's drop
run_job g1 "GRANT SELECT ON TABLE lake.sec.secret TO USER 4242;"
assert_eq "root grants SELECT on the mirror" "succeeded" "$STATE" || note "$STATUS"
assert_eq "/.metafs/grants shows it" "1" "$(grants_on /lake/sec/secret | wc -l)"
assert_ok "root empties the source table" rm "$W/sec/secret/dt=2024-05-01/part-0.csv"
assert_ok "and drops it" sh_c "rmdir '$W/sec/secret/dt=2024-05-01' && rmdir '$W/sec/secret'"
assert_match "the rule runs again" "^idle" "$(cat "$S/sec/run" 2>&1)"
assert_not_exists "the mirror is dropped" "$L/sec/secret"
assert_eq "its grant went with it" "" "$(grants_on /lake/sec/secret)"
mf_check_audit "the rule's drop audits the revoke" 0 revoke /lake/sec/secret allow \
	"SELECT from user 4242 dropped with its object"

mf_finish
