#!/usr/bin/env bash
# test_enospc.sh - a write that fails for lack of space commits nothing: cp
# reports "No space left on device", the file is not listed or counted, no
# staging file is left in the data store, an overwritten file keeps its old
# bytes and record, and the data store is usable afterwards.  The warehouse's
# data store is a 4 MiB tmpfs (so the test needs root).
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
[ "$(id -u)" = 0 ] || mf_skip "needs root (mounts a tmpfs)"

# The tmpfs lives outside the test's temp dir, and is unmounted after metafs
# (whose daemon holds files in it), whatever way the script ends.
TFS=$(mktemp -d "${TMPDIR:-/tmp}/metafs-enospc-tfs.XXXXXX") || mf_abort "mktemp -d for the tmpfs"
tfs_exit() {
	local rc=$?
	mf_cleanup
	if mountpoint -q "$TFS" 2>/dev/null; then
		umount "$TFS" 2>/dev/null || umount -l "$TFS" 2>/dev/null
	fi
	rmdir "$TFS" 2>/dev/null
	(exit "$rc")
	mf_on_exit
}
trap tfs_exit EXIT
mount -t tmpfs -o size=4m tmpfs "$TFS" || mf_skip "cannot mount a tmpfs"

mf_tmpdir
mf_init --platform "warehouse=$TFS/data"
mf_mount || mf_abort "mount $H on $M"
DS=$TFS/data

mf_run mkdir "$W/d" || mf_abort "mkdir database" "$MF_OUT"
mf_make_table "$W/d/t" 'column id bigint
column name string
partition p int
'
P=$W/d/t/p=1
mf_run mkdir "$P" || mf_abort "mkdir partition" "$MF_OUT"

printf '1,one\n2,two\n3,three\n' >"$SRC/old.csv"
assert_ok "a small file is committed" cp "$SRC/old.csv" "$P/old.csv"
old_record=$(grep '^file: old.csv ' "$P/.partition")
# about 6 MiB of rows: more than the tmpfs holds
awk 'BEGIN { for (i = 1; i <= 300000; i++) printf "%d,row-%012d\n", i, i }' >"$SRC/big.csv"

expect_fail_errno "cp of a file larger than the free space fails with ENOSPC" \
	"No space left on device" cp "$SRC/big.csv" "$P/big.csv"
assert_eq "the failed file is not listed" "old.csv" "$(mf_ls "$P")"
assert_not_exists "the failed file cannot be looked up" "$P/big.csv"
assert_eq ".partition does not count the failed file" "1" "$(mf_field "$P/.partition" files)"
assert_eq ".partition rows are the committed file's" "3" "$(mf_field "$P/.partition" rows)"
assert_eq "the failed file is not in the data store" "" "$(ls -A "$DS/d/t/p=1" | grep -v '^old.csv$')"
assert_eq "no staging file is left in the data store" "" \
	"$(find "$DS/.metafs-staging" -mindepth 1 2>/dev/null)"

expect_fail_errno "cp over an existing file that runs out of space fails with ENOSPC" \
	"No space left on device" cp "$SRC/big.csv" "$P/old.csv"
assert_cmp "the overwritten file keeps its old bytes" "$SRC/old.csv" "$P/old.csv"
assert_eq "the overwritten file keeps its record" "$old_record" "$(grep '^file: old.csv ' "$P/.partition")"
assert_eq ".partition rows are unchanged after the failed overwrite" "3" "$(mf_field "$P/.partition" rows)"
assert_eq "no staging file is left after the failed overwrite" "" \
	"$(find "$DS/.metafs-staging" -mindepth 1 2>/dev/null)"

printf '4,four\n5,five\n' >"$SRC/new.csv"
assert_ok "a small cp succeeds after the failures" cp "$SRC/new.csv" "$P/new.csv"
assert_cmp "the small file reads back" "$SRC/new.csv" "$P/new.csv"
assert_eq "both committed files are listed" "new.csv
old.csv" "$(mf_ls "$P")"
assert_eq ".partition counts the committed files" "2" "$(mf_field "$P/.partition" files)"
assert_eq ".partition rows are the committed files'" "5" "$(mf_field "$P/.partition" rows)"

mf_finish
