#!/usr/bin/env bash
# test_audit_full.sh - the audit fails closed on a full disk.
#
# The home is a small tmpfs.  A user U holds SELECT on s.t (mount with -o
# allow_other).  The home is filled to the last block; U then reads s.t's
# data file over and over: the reads are allowed while the audit log's last
# page has room, and once an entry cannot be written U's reads fail with
# EACCES, the daemon logs why, /.metafs/metrics counts the failures, and
# root (the daemon's user, a superuser) still reads.  Once there is room
# again U reads again.  No line of the audit log is ever malformed: each
# has exactly seven tab-separated fields and starts with a valid time (a
# short write at the full page must not leave a fragment that the next
# line joins).  Needs root (mounts a tmpfs, creates a user).
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_require_root
command -v mount >/dev/null && command -v umount >/dev/null || mf_skip "mount(8) is missing"
mf_require_fuse
mf_require_binaries
mf_tmpdir
chmod 711 "$MF_TMP"

# The tmpfs must go after the daemon has unmounted and before the temp
# directory is removed (as in test_nospace.sh).
eval "$(declare -f mf_cleanup | sed '1s/mf_cleanup/mf_cleanup_lib/')"
mf_cleanup() {
	local tmp=$MF_TMP
	MF_TMP=
	mf_cleanup_lib
	if [ -n "$tmp" ] && mountpoint -q "$tmp/home" 2>/dev/null; then
		umount "$tmp/home" 2>/dev/null || umount -l "$tmp/home" 2>/dev/null
	fi
	MF_TMP=$tmp
	if [ -n "$MF_TMP" ] && [ -d "$MF_TMP" ] && ! mountpoint -q "$MF_TMP/home" 2>/dev/null; then
		rm -rf --one-file-system "$MF_TMP"
	fi
}

mkdir -p "$H" || mf_abort "mkdir $H"
mf_run mount -t tmpfs -o size=4m tmpfs "$H" || mf_skip "cannot mount a tmpfs: $MF_OUT"
mf_init
U=mfa_$$_u
mf_add_user "$U"
UUID_=$(id -u "$U")
mf_mount "$H" "$M" -o allow_other || mf_abort "mount with -o allow_other"
AUDIT=$H/manager/audit.log
F=$W/s/t/part-0.csv
TAB=$(printf '\t')

run_job setup "CREATE DATABASE s;
CREATE TABLE s.t (a BIGINT, b STRING);
GRANT SELECT ON TABLE s.t TO USER $U;"
assert_eq "root's setup job succeeds" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"
printf '1,x\n2,y\n' >"$MF_TMP/rows.csv"
cp "$MF_TMP/rows.csv" "$F" || mf_abort "cp into s.t"
assert_eq "U reads s.t" "$(cat "$MF_TMP/rows.csv")" "$(mf_as "$U" cat "$F" 2>&1)"
mf_check_audit "U's read is audited" "$UUID_" read /warehouse/s/t allow

# malformed : audit lines that are not TIME and six more fields
malformed() {
	grep -cvE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z(${TAB}[^${TAB}]*){6}\$" \
		"$AUDIT"
}
# failures : metafs_audit_failures_total
failures() { awk '$1 == "metafs_audit_failures_total" { print $2 }' "$M/.metafs/metrics" 2>/dev/null; }
assert_eq "no audit failure yet" "0" "$(failures)"

# ---------------------------------------------------------------- a full disk
dd if=/dev/zero of="$H/fill" bs=64k >/dev/null 2>&1
dd if=/dev/zero of="$H/fill2" bs=512 >/dev/null 2>&1
assert_eq "the home is full" "0" "$(df --output=avail -B1 "$H" | tail -n 1 | tr -d ' ')"

# U reads until a read is refused: the audit log's last page fills first.
allowed=0
denied=0
for ((i = 0; i < 400; i++)); do
	if mf_as "$U" cat "$F" >/dev/null 2>&1; then
		allowed=$((allowed + 1))
	else
		denied=1
		break
	fi
done
if [ "$denied" = 1 ]; then
	pass "once the audit cannot be written, U's read is refused (after $allowed allowed)"
else
	fail "once the audit cannot be written, U's read is refused" "$allowed reads allowed" \
		"$(tail -c 300 "$AUDIT" | od -c | tail -n 5)"
fi
expect_fail_errno "U's read fails with EACCES while the audit cannot be written" "Permission denied" \
	mf_as "$U" cat "$F"
expect_fail_errno "so does U's listing of s.t" "Permission denied" mf_as "$U" ls "$W/s/t"
assert_eq "root still reads (a superuser)" "$(cat "$MF_TMP/rows.csv")" "$(cat "$F" 2>&1)"
LOG=$(cat "$M/.metafs/log" 2>&1)
assert_match "the daemon logs that the audit cannot be written" \
	"audit: cannot write '$AUDIT': No space left on device" "$LOG"
assert_match "and why U was denied" \
	"access: uid $UUID_ denied read on /warehouse/s/t: the audit log cannot be written" "$LOG"
N=$(failures)
if [ -n "$N" ] && [ "$N" -ge 3 ]; then
	pass "metrics count the audit failures ($N)"
else
	fail "metrics count the audit failures" "metafs_audit_failures_total '$N'" \
		"$(grep audit "$M/.metafs/metrics" 2>&1)"
fi
assert_eq "no audit line is malformed while the disk is full" "0" "$(malformed)"
assert_eq "the audit log ends with a whole line" "" "$(tail -c 1 "$AUDIT" | tr -d '\n')"

# ---------------------------------------------------------------- room again
rm -f "$H/fill" "$H/fill2"
assert_eq "with room again, U reads s.t" "$(cat "$MF_TMP/rows.csv")" "$(mf_as "$U" cat "$F" 2>&1)"
assert_ok "and lists it" mf_as "$U" ls "$W/s/t"
assert_match "the daemon logs that the audit is written again" \
	"audit: writing '$AUDIT' again; [0-9]+ entries could not be written" "$(cat "$M/.metafs/log" 2>&1)"
N2=$(failures)
assert_eq "no more failures are counted" "$N" "$N2"
L=$(tail -n 3 "$AUDIT")
assert_match "U's read after the disk freed up is audited" \
	"${TAB}${UUID_}${TAB}read${TAB}/warehouse/s/t${TAB}allow${TAB}" "$L"
assert_eq "no audit line is malformed" "0" "$(malformed)"
B=$(grep -cE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "$AUDIT")
assert_eq "every line starts with a time" "$(wc -l <"$AUDIT")" "$B"

mf_finish
