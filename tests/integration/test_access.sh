#!/usr/bin/env bash
# test_access.sh - access control at the mount, with several real users on
# one mount (-o allow_other): each privilege allowed and denied through
# file operations (SELECT: ls, cat, .refresh; CREATE: mkdir of a database
# and a table; MODIFY: cp into a partition, rm; SUBMIT: a job file; SYNC: a
# rule; ADMIN: rmdir, /.metafs/audit), ownership (a creator can do
# everything in what it created; others do not even see it until granted),
# grants and revokes through SQL jobs (roles), a job that reads what its
# submitter may not read, test -r/-w (the access op), and the audit entries
# of each decision.  Needs root (it creates users); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
ALICE=mfa_$$_alice
BOB=mfa_$$_bob
mf_add_user "$ALICE"
mf_add_user "$BOB"
AUID=$(id -u "$ALICE")
BUID=$(id -u "$BOB")
mf_mount_shared
J=$M/jobs

# ---------------------------------------------------------------- the superuser's data
mkdir -p "$W/sales/orders" || mf_abort "mkdir sales/orders"
mf_put_schema "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn amount double\npartition dt date\n' ||
	mf_abort ".schema" "$MF_OUT"
mkdir "$W/sales/orders/dt=2024-05-01" || mf_abort "mkdir partition"
printf 'id,amount\n1,1.5\n2,2.5\n' >"$MF_TMP/p.csv"
cp "$MF_TMP/p.csv" "$W/sales/orders/dt=2024-05-01/part-0.csv" || mf_abort "cp a data file"

# ---------------------------------------------------------------- nothing granted
expect_fail_errno "bob cannot see a platform he holds nothing on" "Permission denied" \
	mf_as "$BOB" stat "$W"
mf_check_audit "the refused lookup is audited" "$BUID" lookup /warehouse deny
assert_eq "bob's listing of the root leaves the platforms out" ".metafs
jobs
pipelines
sync" "$(mf_as "$BOB" ls -A "$M" 2>&1)"
assert_eq "root's listing shows them" ".metafs
jobs
lake
pipelines
sync
warehouse" "$(ls -A "$M" 2>&1)"
expect_fail_errno "bob cannot read a data file" "Permission denied" \
	mf_as "$BOB" cat "$W/sales/orders/dt=2024-05-01/part-0.csv"
expect_fail_errno "bob cannot submit a job (SUBMIT on no platform)" "Permission denied" \
	mf_as_sh "$BOB" "printf 'SHOW DATABASES;\n' >'$J/bobjob.sql'"
mf_check_audit "the refused submission is audited" "$BUID" submit /jobs deny
expect_fail_errno "bob cannot read the audit log (ADMIN on the metastore)" "Permission denied" \
	mf_as "$BOB" cat "$M/.metafs/audit"
assert_ok "everyone may read /.metafs/grants" mf_as "$BOB" cat "$M/.metafs/grants"
assert_ok "everyone may read /.metafs/roles" mf_as "$BOB" cat "$M/.metafs/roles"
assert_fails "test -r says bob cannot read the data file" \
	mf_as "$BOB" test -r "$W/sales/orders/.schema"
assert_ok "test -r says root can" test -r "$W/sales/orders/.schema"
expect_fail_errno "ln -s in the mount is refused" "Operation not permitted" \
	ln -s /etc/passwd "$W/sales/orders/dt=2024-05-01/link.csv"

# ---------------------------------------------------------------- grants through jobs
run_job g1 "GRANT CREATE ON PLATFORM warehouse TO USER $ALICE;
GRANT SUBMIT ON PLATFORM warehouse TO USER $ALICE;
CREATE ROLE readers;
GRANT SELECT ON TABLE warehouse.sales.orders TO ROLE readers;
GRANT ROLE readers TO USER $BOB;"
assert_eq "root's GRANT job succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_match "/.metafs/grants shows the role's SELECT" \
	$'/warehouse/sales/orders\trole\treaders\tSELECT' "$(cat "$M/.metafs/grants")"
assert_match "/.metafs/roles shows bob in readers" "readers.*user:$BOB" "$(cat "$M/.metafs/roles")"

# SELECT through the role
assert_eq "bob now sees the database" "sales" "$(mf_as "$BOB" ls "$W" 2>&1)"
expect_fail_errno "bob cannot create a database (CREATE on the platform)" "Permission denied" \
	mf_as "$BOB" mkdir "$W/bobdb"
mf_check_audit "the refused mkdir is audited" "$BUID" create /warehouse deny
assert_eq "bob lists the table's partitions" "dt=2024-05-01" "$(mf_as "$BOB" ls "$W/sales/orders" 2>&1)"
assert_eq "bob reads a data file" "$(cat "$MF_TMP/p.csv")" \
	"$(mf_as "$BOB" cat "$W/sales/orders/dt=2024-05-01/part-0.csv" 2>&1)"
mf_check_audit "the read is audited as allowed" "$BUID" read /warehouse/sales/orders allow
assert_ok "test -r says bob can read .schema now" mf_as "$BOB" test -r "$W/sales/orders/.schema"
assert_fails "test -w says bob cannot write into the partition" \
	mf_as "$BOB" test -w "$W/sales/orders/dt=2024-05-01"
# SELECT on a mirror's .refresh: the lake table decides
printf 'source = warehouse.sales.orders\ntarget = lake\nmirror = schema, properties\n' >"$MF_TMP/m.rule"
cp "$MF_TMP/m.rule" "$M/sync/m.rule" || fail "root defines a rule" "$(cat "$M/.metafs/log" | tail -3)"
cat "$M/sync/m/run" >/dev/null
expect_fail_errno "bob cannot read lake's .refresh (no SELECT on the lake table)" "Permission denied" \
	mf_as "$BOB" cat "$L/sales/orders/.refresh"
run_job g_lake "GRANT SELECT ON TABLE lake.sales.orders TO USER $BOB;"
assert_match "with SELECT on the lake table bob reads .refresh" "dt=2024-05-01" \
	"$(mf_as "$BOB" cat "$L/sales/orders/.refresh" 2>&1)"
mf_check_audit "the .refresh read is audited" "$BUID" read /lake/sales/orders allow
# MODIFY denied
chmod 644 "$MF_TMP/p.csv"
expect_fail_errno "bob cannot add a file (MODIFY)" "Permission denied" \
	mf_as "$BOB" cp "$MF_TMP/p.csv" "$W/sales/orders/dt=2024-05-01/bob.csv"
mf_check_audit "the refused write is audited" "$BUID" write /warehouse/sales/orders deny
expect_fail_errno "bob cannot remove a file (MODIFY)" "Permission denied" \
	mf_as "$BOB" rm "$W/sales/orders/dt=2024-05-01/part-0.csv"
expect_fail_errno "bob cannot drop the table (ADMIN)" "Permission denied" \
	mf_as "$BOB" rmdir "$W/sales/orders"
mf_check_audit "the refused drop is audited" "$BUID" drop /warehouse/sales/orders deny

# ---------------------------------------------------------------- ownership
assert_ok "alice creates a database (CREATE on warehouse)" mf_as "$ALICE" mkdir "$W/adb"
mf_check_audit "the create is audited as allowed" "$AUID" create /warehouse allow
assert_eq "the database is hers" "$AUID" "$(stat -c %u "$W/adb")"
assert_ok "alice creates a table in it (she owns the database)" mf_as "$ALICE" mkdir "$W/adb/t"
mf_run mf_as_sh "$ALICE" "printf 'column id bigint\ncolumn v string\npartition k string\n' >'$W/adb/t/.schema'"
assert_eq "alice writes the table's first .schema" 0 "$MF_RC" || note "$MF_OUT"
assert_ok "alice makes a partition" mf_as "$ALICE" mkdir "$W/adb/t/k=a"
printf '1,x\n2,y\n' >"$MF_TMP/a.csv"
chmod 644 "$MF_TMP/a.csv"
assert_ok "alice copies a file in (MODIFY: she owns it)" mf_as "$ALICE" cp "$MF_TMP/a.csv" "$W/adb/t/k=a/a.csv"
assert_eq "alice reads it back" "$(cat "$MF_TMP/a.csv")" "$(mf_as "$ALICE" cat "$W/adb/t/k=a/a.csv" 2>&1)"
assert_ok "alice removes it" mf_as "$ALICE" rm "$W/adb/t/k=a/a.csv"
assert_ok "alice copies it in again" mf_as "$ALICE" cp "$MF_TMP/a.csv" "$W/adb/t/k=a/a.csv"
assert_ok "test -w says alice may write her partition" mf_as "$ALICE" test -w "$W/adb/t/k=a"
expect_fail_errno "bob cannot see alice's database" "Permission denied" mf_as "$BOB" ls "$W/adb"
assert_eq "bob's listing of warehouse shows only sales" "sales" "$(mf_as "$BOB" ls "$W" 2>&1)"
expect_fail_errno "alice cannot read the sales table (nothing granted on it)" "Permission denied" \
	mf_as "$ALICE" cat "$W/sales/orders/dt=2024-05-01/part-0.csv"

# alice grants bob SELECT on her table (she owns it: ADMIN) through a job of hers
run_job a_grant_setup "GRANT SUBMIT, CREATE ON PLATFORM warehouse TO USER $BOB;"
printf 'GRANT SELECT ON TABLE warehouse.adb.t TO USER %s;\n' "$BOB" >"$MF_TMP/ag.sql"
chmod 644 "$MF_TMP/ag.sql"
assert_ok "alice submits a job (SUBMIT on warehouse)" mf_as "$ALICE" cp "$MF_TMP/ag.sql" "$J/ag.sql"
mf_check_audit "the submission is audited" "$AUID" submit /jobs allow
assert_eq "alice's GRANT job succeeds" "succeeded" "$(mf_as "$ALICE" cat "$J/ag/wait" 2>&1 | head -n 1)"
expect_fail_errno "bob cannot read alice's job" "Permission denied" mf_as "$BOB" cat "$J/ag/status"
assert_eq "bob now reads alice's table" "$(cat "$MF_TMP/a.csv")" \
	"$(mf_as "$BOB" cat "$W/adb/t/k=a/a.csv" 2>&1)"
expect_fail_errno "but cannot write to it" "Permission denied" \
	mf_as "$BOB" cp "$MF_TMP/a.csv" "$W/adb/t/k=a/b.csv"

# a job of bob's that reads what he may not read fails at analysis, commits nothing
assert_ok "bob creates a database of his own" mf_as "$BOB" mkdir "$W/bobdb"
assert_ok "and a table in it" mf_as "$BOB" mkdir "$W/bobdb/c"
mf_run mf_as_sh "$BOB" "printf 'column id bigint\ncolumn amount double\n' >'$W/bobdb/c/.schema'"
assert_eq "bob writes its schema" 0 "$MF_RC" || note "$MF_OUT"
printf 'INSERT INTO warehouse.bobdb.c SELECT id, amount FROM warehouse.sales.orders;\n' >"$MF_TMP/bj.sql"
chmod 644 "$MF_TMP/bj.sql"
run_job revoke_sales "REVOKE ROLE readers FROM USER $BOB;"
assert_eq "REVOKE succeeds" "succeeded" "$STATE" || note "$STATUS"
expect_fail_errno "after the revoke bob cannot read the sales data" "Permission denied" \
	mf_as "$BOB" cat "$W/sales/orders/dt=2024-05-01/part-0.csv"
assert_ok "bob submits a job reading the sales table" mf_as "$BOB" cp "$MF_TMP/bj.sql" "$J/bj.sql"
ST=$(mf_as "$BOB" cat "$J/bj/wait" 2>&1)
assert_eq "bob's job fails" "failed" "$(printf '%s\n' "$ST" | head -n 1)"
assert_match "it names the missing privilege" "SELECT|permission|denied" "$ST"
assert_eq "nothing was committed to bob's table" "" "$(mf_as "$BOB" ls "$W/bobdb/c" 2>&1)"

# ---------------------------------------------------------------- SYNC
cat >"$MF_TMP/r.rule" <<'EOF'
source = warehouse.adb.*
target = lake
mirror = schema
EOF
chmod 644 "$MF_TMP/r.rule"
expect_fail_errno "alice cannot define a rule without SYNC" "Permission denied" \
	mf_as "$ALICE" cp "$MF_TMP/r.rule" "$M/sync/ar.rule"
assert_not_exists "the refused rule does not exist" "$M/sync/ar.rule"
mf_check_audit "the refused rule is audited (her database is hers, lake is not)" "$AUID" sync /lake deny
run_job g_sync "GRANT SYNC ON DATABASE warehouse.adb TO USER $ALICE;
GRANT SYNC ON PLATFORM lake TO USER $ALICE;"
assert_eq "granting SYNC succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_ok "with SYNC on both ends alice defines the rule" mf_as "$ALICE" cp "$MF_TMP/r.rule" "$M/sync/ar.rule"
mf_check_audit "the rule's definition is audited" "$AUID" sync /lake allow
assert_match "the rule's status names its owner" "owner: $AUID" "$(cat "$M/sync/ar/status")"
assert_match "a run as the owner succeeds" "^idle" "$(cat "$M/sync/ar/run")"
run_job r_sync "REVOKE SYNC ON PLATFORM lake FROM USER $ALICE;"
assert_match "once the owner lost SYNC the rule's run fails" "permission denied" "$(cat "$M/sync/ar/run")"
assert_match "its status says why" "reason: permission denied: .*SYNC on /lake" "$(cat "$M/sync/ar/status")"
expect_fail_errno "bob cannot remove alice's rule" "Permission denied" mf_as "$BOB" rm "$M/sync/ar.rule"

# ---------------------------------------------------------------- ADMIN
assert_ok "root reads the audit log" cat "$M/.metafs/audit"
VIA_MOUNT=$(cat "$M/.metafs/audit")
# A read returns the file as the stat before its open saw it: its own
# open's entry comes next.
N=$(printf '%s\n' "$VIA_MOUNT" | wc -l)
assert_eq "/.metafs/audit is the audit file up to its own read" "$VIA_MOUNT" "$(head -n "$N" "$AUDIT")"
assert_match "the next entry is its own read" $'\tread\t/.metafs/audit\tallow\t' "$(sed -n "$((N + 1))p" "$AUDIT")"
expect_fail_errno "alice cannot drop the sales database" "Permission denied" \
	mf_as "$ALICE" rmdir "$W/sales"
run_job g_admin "GRANT ADMIN ON METASTORE TO USER $ALICE;"
assert_ok "with ADMIN on the metastore alice reads the audit log" mf_as "$ALICE" cat "$M/.metafs/audit"
mf_check_audit "the read is audited" "$AUID" read /.metafs/audit allow
assert_ok "alice (ADMIN) drops bob's table file" mf_as "$ALICE" rm "$W/sales/orders/dt=2024-05-01/part-0.csv"
assert_ok "alice drops the partition" mf_as "$ALICE" rmdir "$W/sales/orders/dt=2024-05-01"
assert_ok "and the table" mf_as "$ALICE" rmdir "$W/sales/orders"
mf_check_audit "the drop is audited as allowed" "$AUID" drop /warehouse/sales/orders allow
assert_ok "an owner drops what it owns" mf_as "$ALICE" rm "$W/adb/t/k=a/a.csv"

mf_finish
