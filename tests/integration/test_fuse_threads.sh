#!/usr/bin/env bash
# test_fuse_threads.sh - [metafs] fuse_threads bounds the threads that
# serve the mount.
#
# The daemon's own threads (the main thread, the manager's workers) are
# counted first: mounted with fuse_threads = 1, after a walk, the daemon
# has them and exactly one FUSE worker.  Mounted again with fuse_threads =
# 4, eight walks of a table of 2,000 partitions run in parallel while
# /proc/PID/status is read over and over: Threads never passes the daemon's
# own threads + 4.  A value out of range keeps the daemon from starting,
# naming the key and the range.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
assert_file_has_line "metafs init writes fuse_threads" "$H/metafs.ini" \
	"fuse_threads = 16      ; threads serving the mount at most (1 to 1024)"
P=2000
T=$M/warehouse/w/t

threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$MF_DPID/status" 2>/dev/null; }
walk() { find "$T" 2>&1 | wc -l; }

# ---------------------------------------------------------------- the daemon's own threads
sed -i 's/^fuse_threads = [0-9]*/fuse_threads = 1/' "$H/metafs.ini"
mf_mount || mf_abort "mount with fuse_threads = 1"
mf_make_table "$T" $'format csv\ncolumn v string\npartition p string\n'
mf_bulk_partitions warehouse w t "$P"
assert_eq "a walk with one FUSE thread" "$((P + 1))" "$(walk)"
IDLE=$(threads)
[ -n "$IDLE" ] || mf_abort "read Threads of pid $MF_DPID"
OWN=$((IDLE - 1))
pass "the daemon's own threads: $OWN (and one FUSE worker)"
mf_umount "$M" || mf_abort "umount"

# ---------------------------------------------------------------- eight parallel walks, four threads
sed -i 's/^fuse_threads = [0-9]*/fuse_threads = 4/' "$H/metafs.ini"
mf_mount || mf_abort "mount with fuse_threads = 4"
for i in 1 2 3 4 5 6 7 8; do
	(if [ $((i % 2)) = 0 ]; then ls -lR "$T"; else find "$T" -type d; fi >"$MF_TMP/walk.$i" 2>&1) &
done
MAX=0
while [ -n "$(jobs -rp)" ]; do
	n=$(threads)
	[ -n "$n" ] && [ "$n" -gt "$MAX" ] && MAX=$n
done
wait
n=$(threads)
[ -n "$n" ] && [ "$n" -gt "$MAX" ] && MAX=$n
assert_eq "every find saw every partition" "$((P + 1)) $((P + 1)) $((P + 1)) $((P + 1))" \
	"$(for i in 1 3 5 7; do wc -l <"$MF_TMP/walk.$i"; done | tr '\n' ' ' | sed 's/ $//')"
assert_eq "no walk met an error" "" "$(grep -l -i "error\|denied\|No such" "$MF_TMP"/walk.* 2>/dev/null)"
if [ "$MAX" -le $((OWN + 4)) ]; then
	pass "threads during the walks: at most $MAX <= $OWN own + 4"
else
	fail "threads during the walks stay within $OWN own + 4" "saw $MAX"
fi

# ---------------------------------------------------------------- out of range
mf_umount "$M" || mf_abort "umount"
for bad in 0 1025 many; do
	sed -i "s/^fuse_threads = .*/fuse_threads = $bad/" "$H/metafs.ini"
	assert_fails "metafsd refuses fuse_threads = $bad" \
		timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$H" "$M"
	assert_match "the message names the key, the value and the range" \
		"bad fuse_threads \"$bad\" \\(1 to 1024\\)" "$MF_OUT"
done

mf_finish
