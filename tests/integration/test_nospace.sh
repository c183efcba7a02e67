#!/usr/bin/env bash
# test_nospace.sh - a full disk under the home: a job or a sync rule written
# through the mount fails with ENOSPC ("No space left on device"), not EIO,
# and works again once there is room.  Needs root (mounts a 2 MiB tmpfs as
# the home).
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "$(id -u)" = 0 ] || mf_skip "needs root (mounts a tmpfs)"
command -v mount >/dev/null && command -v umount >/dev/null || mf_skip "mount(8) is missing"
mf_require_fuse
mf_require_binaries
mf_tmpdir

# The tmpfs must go after the daemon has unmounted and before the temp
# directory is removed (rm --one-file-system would leave it mounted), on
# every exit: wrap the library's cleanup.
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
mf_run mount -t tmpfs -o size=2m tmpfs "$H" || mf_skip "cannot mount a tmpfs: $MF_OUT"
mf_init
mf_mount || mf_abort "mount $H on $M"

printf 'SELECT 1;\n' >"$SRC/job.sql"
printf 'source = warehouse.none.*\ntarget = lake\n' >"$SRC/r.rule"
assert_ok "with room, a job is submitted" cp "$SRC/job.sql" "$M/jobs/roomy.sql"
timeout -k 5 60 cat "$M/jobs/roomy/wait" >/dev/null 2>&1

# fill the home to the last block
dd if=/dev/zero of="$H/fill" bs=64k >/dev/null 2>&1
dd if=/dev/zero of="$H/fill2" bs=512 >/dev/null 2>&1
assert_eq "the home is full" "0" "$(df --output=avail -B1 "$H" | tail -n 1 | tr -d ' ')"

expect_fail_errno "a new job on a full disk: ENOSPC" "No space left on device" \
	cp "$SRC/job.sql" "$M/jobs/full.sql"
expect_fail_errno "a new run of a job on a full disk: ENOSPC" "No space left on device" \
	cp "$SRC/job.sql" "$M/jobs/roomy.sql"
expect_fail_errno "a sync rule on a full disk: ENOSPC" "No space left on device" \
	cp "$SRC/r.rule" "$M/sync/full.rule"

rm -f "$H/fill" "$H/fill2"
assert_ok "with room again, the rule is defined" cp "$SRC/r.rule" "$M/sync/full.rule"
assert_ok "and the job submitted" cp "$SRC/job.sql" "$M/jobs/full.sql"

mf_finish
