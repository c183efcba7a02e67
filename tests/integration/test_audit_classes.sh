#!/usr/bin/env bash
# test_audit_classes.sh - [access] audit: what the audit log records.
#
# With the default (denials, changes, grants, admin) a walk of a table by
# a user allowed to read it, and by root, writes no line at all, while a
# second user's refused walk is recorded, and so are a mkdir (a change)
# and a GRANT.  With audit = all the same walk records its lists.  A bad
# word keeps the daemon from starting, with a message that names the key,
# the word and the choices; the value it suggests starts it.  Needs root
# (it creates users); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
ALICE=mfc_$$_alice
BOB=mfc_$$_bob
mf_add_user "$ALICE"
mf_add_user "$BOB"
AUID=$(id -u "$ALICE")
BUID=$(id -u "$BOB")
assert_file_has_line "metafs init writes the default audit classes" "$H/metafs.ini" \
	"audit = denials, changes, grants, admin  ; add reads (or: all) to record allowed reads"
mf_mount_shared
T=$W/s/t

# ---------------------------------------------------------------- the default
mf_make_table "$T" $'format csv\ncolumn v string\npartition p string\n'
for i in $(seq 0 49); do
	mkdir "$T/p=$i" || mf_abort "mkdir p=$i"
done
printf 'x\n' >"$T/p=0/part-0.csv" || mf_abort "write a data file"
run_job grant "GRANT SELECT ON TABLE s.t TO USER $ALICE;"
assert_eq "the GRANT job succeeds" "succeeded" "$STATE" || mf_abort "grant" "$STATUS"
mf_check_audit "a mkdir (a change) is recorded" 0 create /warehouse/s/t allow
mf_check_audit "the GRANT is recorded" 0 grant /warehouse/s/t allow

lines() { wc -l <"$AUDIT"; }
BEFORE=$(lines)
assert_eq "alice's find walks the table" "52" "$(mf_as "$ALICE" find "$T" 2>&1 | wc -l)"
assert_eq "alice reads a data file" "x" "$(mf_as "$ALICE" cat "$T/p=0/part-0.csv" 2>&1)"
assert_eq "root's find walks the table" "52" "$(find "$T" 2>&1 | wc -l)"
assert_eq "the walks and the read write no audit line" "$BEFORE" "$(lines)"
assert_eq "no allowed list is recorded" "0" "$(mf_audit_count "*" list "*" allow)"
assert_eq "no allowed read is recorded" "0" "$(mf_audit_count "*" read "*" allow)"
expect_fail_errno "bob cannot walk the table" "Permission denied" mf_as "$BOB" find "$T"
mf_check_audit "bob's refused walk is recorded" "$BUID" lookup "/warehouse*" deny
B2=$(lines)
mkdir "$T/p=new" || mf_abort "mkdir p=new"
assert_eq "a mkdir writes one line" "$((B2 + 1))" "$(lines)"
assert_match "it is the mkdir's" $'\t0\tcreate\t/warehouse/s/t\tallow\t' "$(tail -n 1 "$AUDIT")"

# ---------------------------------------------------------------- audit = all
mf_umount "$M" || mf_abort "umount"
sed -i 's/^audit = .*/audit = all/' "$H/metafs.ini"
mf_mount_shared
assert_eq "alice's find walks the table again" "53" "$(mf_as "$ALICE" find "$T" 2>&1 | wc -l)"
N=$(mf_audit_count "$AUID" list /warehouse/s/t allow)
if [ "$N" -gt 0 ]; then
	pass "with audit = all alice's lists are recorded ($N)"
else
	fail "with audit = all alice's lists are recorded" "$(tail -n 15 "$AUDIT")"
fi
assert_eq "alice reads a data file" "x" "$(mf_as "$ALICE" cat "$T/p=0/part-0.csv" 2>&1)"
mf_check_audit "with audit = all alice's read is recorded" "$AUID" read "/warehouse/s/t*" allow

# ---------------------------------------------------------------- a bad word
mf_umount "$M" || mf_abort "umount"
sed -i 's/^audit = .*/audit = denials, writes/' "$H/metafs.ini"
assert_fails "metafsd refuses audit = denials, writes" \
	timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H" "$M"
assert_match "the message names the key and the bad word" 'audit: unknown class "writes"' "$MF_OUT"
assert_match "the message names the choices" \
	'a comma list of denials, reads, changes, grants, admin, or all' "$MF_OUT"
assert_match "the message names the file's line" "metafs.ini line [0-9]+" "$MF_OUT"
sed -i 's/^audit = .*/audit = denials, changes, grants, admin/' "$H/metafs.ini"
mf_mount_shared
assert_eq "with the suggested value it starts, and alice walks" "53" \
	"$(mf_as "$ALICE" find "$T" 2>&1 | wc -l)"

mf_finish
