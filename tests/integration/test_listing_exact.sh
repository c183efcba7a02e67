#!/usr/bin/env bash
# test_listing_exact.sh - a listing names every entry exactly once: a
# table of N partitions (MF_LISTING_PARTITIONS; 1,000,000 in the plain
# build, 100,000 under the sanitizers, see tools/test.sh) listed with
# `ls -f`, `ls -l` (right after `ls -f` on a fresh mount), `find` and a
# getdents64 reader with a 512-byte buffer, each compared with the names
# made; then, in a table of 20,000, readers paused between two reads while
# the entry they stopped at, and others, are removed and added (through the
# mount and by a job): each resumes where it stopped, with no name twice
# and none lost.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${MF_LISTING_PARTITIONS:-100000}
GETDENTS=$METAFS_SRCDIR/tests/integration/getdents.py

mf_setup
T=$M/warehouse/ls/t
mf_make_table "$T" $'format csv\ncolumn v string\npartition p string\n'
mf_bulk_partitions warehouse ls t "$N"
EXPECT=$MF_TMP/expect
sort "$MF_TMP/bulk-names" >"$EXPECT"

# names_of FILE: FILE's names without . and .., sorted (repeats kept)
names_of() { grep -v -x -e . -e .. "$1" | LC_ALL=C sort; }
# check_listing LABEL FILE EXPECTED: FILE names each of EXPECTED once and nothing else
check_listing() {
	local got=$MF_TMP/got.$$ dups
	names_of "$2" >"$got"
	dups=$(uniq -d "$got" | wc -l)
	assert_eq "$1: no name twice" 0 "$dups" || note "$(uniq -d "$got" | head -3)"
	assert_eq "$1: every name, and only those ($(wc -l <"$3") expected)" "" \
		"$(LC_ALL=C comm -3 <(uniq "$got") "$3" | head -3)"
}

# ---------------------------------------------------------------- whole listings
mf_umount
mf_mount || mf_abort "remount"
timeout 600 ls -f "$T" >"$MF_TMP/ls-f" || mf_abort "ls -f"
check_listing "ls -f on a fresh mount" "$MF_TMP/ls-f" "$EXPECT"
timeout 600 ls -l --quoting-style=literal "$T" | awk 'NR > 1 { print $NF }' >"$MF_TMP/ls-l"
check_listing "ls -l right after" "$MF_TMP/ls-l" "$EXPECT"
timeout 600 find "$T" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' >"$MF_TMP/find"
check_listing "find -type d" "$MF_TMP/find" "$EXPECT"
timeout 600 python3 "$GETDENTS" "$T" 512 >"$MF_TMP/gd" || mf_abort "getdents 512" "$(tail -2 "$MF_TMP/gd")"
check_listing "getdents64 with a 512-byte buffer" "$MF_TMP/gd" "$EXPECT"

# ---------------------------------------------------------------- a smaller table for the paused readers
T=$M/warehouse/ls/small
mf_make_table "$T" $'format csv\ncolumn v string\npartition p string\n'
mf_bulk_partitions warehouse ls small 20000
sort "$MF_TMP/bulk-names" >"$EXPECT"

# ---------------------------------------------------------------- a reader paused while the directory changes
# paused_reader LABEL CHANGE: a 512-byte reader stops after 40 reads; CHANGE
# runs with $LAST (the last name it got) and edits the table; the reader
# goes on.  Every name there before and after the change must come exactly
# once; a name removed or added meanwhile may come or not (POSIX leaves it
# open), but at most once; nothing else.
paused_reader() {
	local label=$1 change=$2 before=$MF_TMP/before
	rm -f "$MF_TMP/paused" "$MF_TMP/go"
	cp "$EXPECT" "$before"
	timeout 600 python3 "$GETDENTS" "$T" 512 40 "$MF_TMP/paused" "$MF_TMP/go" >"$MF_TMP/pr" 2>"$MF_TMP/pr.err" &
	local pid=$! i
	for ((i = 0; i < 600; i++)); do
		[ -s "$MF_TMP/paused" ] && break
		sleep 0.1
	done
	[ -s "$MF_TMP/paused" ] || mf_abort "$label: the reader did not pause" "$(cat "$MF_TMP/pr.err")"
	LAST=$(cat "$MF_TMP/paused")
	"$change"
	touch "$MF_TMP/go"
	wait "$pid"
	assert_eq "$label: the reader ends without an error" "" "$(cat "$MF_TMP/pr.err")"
	timeout 600 ls -f "$T" | grep -v -x -e . -e .. | LC_ALL=C sort >"$EXPECT"
	local got=$MF_TMP/pr.sorted
	names_of "$MF_TMP/pr" >"$got"
	assert_eq "$label: no name twice" "" "$(uniq -d "$got" | head -3)"
	assert_eq "$label: every name there throughout comes" "" \
		"$(LC_ALL=C comm -23 <(LC_ALL=C comm -12 "$before" "$EXPECT") "$got" | head -3)"
	assert_eq "$label: nothing that was never there" "" \
		"$(LC_ALL=C comm -23 "$got" <(LC_ALL=C sort -u "$before" "$EXPECT") | head -3)"
}

# Its own entry and the next three removed, two names added after it and one before.
change_mount() {
	local next
	next=$(awk -v l="$LAST" '$0 > l' "$EXPECT" | head -3)
	local n
	for n in "$LAST" $next; do
		rmdir "$T/$n" || mf_abort "rmdir $n through the mount"
	done
	mkdir "$T/${LAST}a" "$T/${LAST}b" "$T/p=0000000a" || mf_abort "mkdir through the mount"
}
paused_reader "a reader paused while its entry is removed through the mount" change_mount

# The entry it stopped at dropped by a job (another origin: the kernel
# learns of it from the change log).
change_job() {
	local v=${LAST#p=}
	run_job dropp "ALTER TABLE ls.small DROP PARTITION (p = '$v');" ||
		mf_abort "the DROP PARTITION job did not run"
	assert_eq "the DROP PARTITION job succeeds" succeeded "$STATE" || note "$STATUS"
}
paused_reader "a reader paused while a job drops its entry" change_job

mf_finish
