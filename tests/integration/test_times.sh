#!/usr/bin/env bash
# test_times.sh - times of data files and directories through a real mount:
# touch -d sets a data file's mtime, kept in its record across a restart and
# without a change event; rsync -a run twice transfers nothing the second
# time and records no event; tar -x keeps mtimes (set while the file is still
# open); a time set on a hidden file (closed, or still open for writing) shows
# in its stat and is what its rename to a data name records; atime reads as mtime; a partition's and a table's mtime move when a
# file is added under them; a user without MODIFY cannot set times (needs
# root for the second user; that part is skipped otherwise).
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v rsync >/dev/null || mf_skip "rsync is missing"
command -v tar >/dev/null || mf_skip "tar is missing"

USERS=0
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	USERS=1
	mf_shared_home
	BOB=mft_$$_bob
	mf_add_user "$BOB"
	mf_mount_shared
else
	mf_setup
fi

# mtime and atime in ns since the epoch
mtime() { date -r "$1" +%s%N 2>&1; }
atime() { stat -c '%X' -- "$1" 2>&1; }
# events of the warehouse in /.metafs/events
events() { grep -c '^warehouse ' "$M/.metafs/events"; }

mf_make_table "$W/sales/t" $'column id bigint\ncolumn v string\npartition dt date\n'
P=$W/sales/t/dt=2024-05-01
P2=$W/sales/t/dt=2024-05-02
P3=$W/sales/t/dt=2024-05-03
P4=$W/sales/t/dt=2024-05-04
mkdir "$P" "$P2" "$P3" "$P4" || mf_abort "mkdir partitions"

# ---------------------------------------------------------------- touch -d
printf '1,a\n' >"$P/a.csv" || mf_abort "write a.csv"
before=$(mtime "$P/a.csv")
assert_match "a new data file's mtime is its commit time (now)" '^[0-9]{19}$' "$before"
ev=$(events)
assert_ok "touch -d on a data file succeeds" touch -d '2019-01-01 12:00:00' "$P/a.csv"
assert_eq "touch -d sets the data file's mtime" "$(date -d '2019-01-01 12:00:00' +%s)000000000" \
	"$(mtime "$P/a.csv")"
assert_eq "the atime, not kept, reads as the mtime" "$(date -d '2019-01-01 12:00:00' +%s)" \
	"$(atime "$P/a.csv")"
assert_eq "setting a time records no event" "$ev" "$(events)"
assert_eq "the data is unchanged" "1,a" "$(cat "$P/a.csv")"
assert_ok "touch -m -d with nanoseconds" touch -m -d '@1500000000.123456789' "$P/a.csv"
assert_eq "the nanoseconds are kept" "1500000000123456789" "$(mtime "$P/a.csv")"
assert_ok "touch -d before the epoch" touch -m -d '@-100.25' "$P/a.csv"
assert_eq "a time before the epoch is kept" "-100.250000000" "$(stat -c %.9Y -- "$P/a.csv" 2>&1)"
assert_ok "touch -m -d with nanoseconds, again" touch -m -d '@1500000000.123456789' "$P/a.csv"
assert_ok "touch -a (the atime alone) succeeds" touch -a -d '@1600000000' "$P/a.csv"
assert_eq "touch -a leaves the mtime (atime is not kept)" "1500000000123456789" "$(mtime "$P/a.csv")"
assert_ok "touch (UTIME_NOW) succeeds" touch "$P/a.csv"
now=$(mtime "$P/a.csv")
assert_ok "touch makes the mtime now" test "$now" -gt 1500000000123456789
touch -d '2019-01-01 12:00:00' "$P/a.csv"
printf '2,b\n' >"$P/a.csv" || mf_abort "rewrite a.csv"
assert_ok "a rewrite makes the mtime its commit time again" \
	test "$(mtime "$P/a.csv")" -gt "$(date -d '2019-01-01 12:00:00' +%s)000000000"
touch -d '2019-01-01 12:00:00' "$P/a.csv"

assert_ok "touch creates a new data file" touch "$P/b.csv"
assert_eq "the new empty file is there" "0" "$(stat -c %s -- "$P/b.csv" 2>&1)"
assert_ok "its mtime is its commit time, not before the file before it" \
	test "$(mtime "$P/b.csv")" -ge "$now"

# ---------------------------------------------------------------- rsync -a twice
mkdir -p "$MF_TMP/rs"
for i in 1 2 3; do printf '%s,x\n' "$i" >"$MF_TMP/rs/f$i.csv"; done
touch -d '2020-02-02 02:02:02.5' "$MF_TMP/rs/f1.csv"
touch -d '2021-03-03 03:03:03' "$MF_TMP/rs/f2.csv"
touch -d '2022-04-04 04:04:04' "$MF_TMP/rs/f3.csv"
mf_run rsync -a --stats "$MF_TMP/rs/" "$P2/"
assert_eq "the first rsync -a succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "the first rsync transfers the 3 files" 'Number of regular files transferred: 3' "$MF_OUT"
for i in 1 2 3; do
	assert_eq "rsync -a kept f$i.csv's mtime" "$(mtime "$MF_TMP/rs/f$i.csv")" "$(mtime "$P2/f$i.csv")"
done
ev=$(events)
mf_run rsync -a --stats "$MF_TMP/rs/" "$P2/"
assert_eq "the second rsync -a succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "the second rsync transfers nothing" 'Number of regular files transferred: 0' "$MF_OUT"
assert_eq "the second rsync records no event" "$ev" "$(events)"
assert_eq "the partition holds the 3 files" "f1.csv
f2.csv
f3.csv" "$(mf_ls "$P2")"

# ---------------------------------------------------------------- tar -x
mkdir -p "$MF_TMP/tr"
printf '7,t\n' >"$MF_TMP/tr/g1.csv"
printf '8,u\n' >"$MF_TMP/tr/g2.csv"
touch -d '2018-03-03 03:03:03' "$MF_TMP/tr/g1.csv"
touch -d '2017-07-07 07:07:07' "$MF_TMP/tr/g2.csv"
assert_ok "tar -cf" tar -cf "$MF_TMP/t.tar" -C "$MF_TMP/tr" g1.csv g2.csv
assert_ok "tar -xf into a partition" tar -xf "$MF_TMP/t.tar" -C "$P3"
assert_eq "tar -x keeps g1.csv's mtime" "$(mtime "$MF_TMP/tr/g1.csv")" "$(mtime "$P3/g1.csv")"
assert_eq "tar -x keeps g2.csv's mtime" "$(mtime "$MF_TMP/tr/g2.csv")" "$(mtime "$P3/g2.csv")"
assert_eq "tar -x wrote the data" "7,t" "$(cat "$P3/g1.csv")"

# ---------------------------------------------------------------- hidden files
t1=$(date -d '2016-06-06 06:06:06' +%s)000000000
printf '11,h\n' >"$P4/.h1.csv.tmp"
assert_ok "touch -d on a closed hidden file succeeds" touch -d '2016-06-06 06:06:06' "$P4/.h1.csv.tmp"
assert_eq "the hidden file's stat shows the time" "$t1" "$(mtime "$P4/.h1.csv.tmp")"
assert_ok "mv -n .h1.csv.tmp h1.csv" mv -n "$P4/.h1.csv.tmp" "$P4/h1.csv"
assert_eq "its rename to a data name records the time" "$t1" "$(mtime "$P4/h1.csv")"
printf '12,i\n' >"$P4/.h2.csv.tmp"
touch -d '2016-06-06 06:06:06' "$P4/.h2.csv.tmp"
assert_ok "mv .h2.csv.tmp .h3.csv.tmp" mv "$P4/.h2.csv.tmp" "$P4/.h3.csv.tmp"
assert_eq "a rename to another hidden name keeps the time" "$t1" "$(mtime "$P4/.h3.csv.tmp")"
assert_ok "mv -f .h3.csv.tmp over h1.csv" mv -f "$P4/.h3.csv.tmp" "$P4/h1.csv"
assert_eq "a rename over a data file records the hidden file's time" "$t1" "$(mtime "$P4/h1.csv")"
assert_eq "and its bytes" "12,i" "$(cat "$P4/h1.csv" 2>&1)"
printf '13,j\n' >"$P4/.h4.csv.tmp"
assert_ok "mv -f a hidden file with no time set over h1.csv" mv -f "$P4/.h4.csv.tmp" "$P4/h1.csv"
assert_ok "the data file's mtime is the rename's commit time" \
	test "$(mtime "$P4/h1.csv")" -gt "$t1"
# cp -p and tar -x set the time before the close
cat >"$MF_TMP/futimens.py" <<'EOF'
import os, sys
d = sys.argv[1]
fd = os.open(os.path.join(d, ".h5.csv.tmp"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.write(fd, b"14,k\n")
os.utime(fd, ns=(1500000000123456789, 1500000000123456789))
os.close(fd)
os.rename(os.path.join(d, ".h5.csv.tmp"), os.path.join(d, "h5.csv"))
EOF
assert_ok "futimens on a hidden file open for writing, then its rename" \
	python3 "$MF_TMP/futimens.py" "$P4"
assert_eq "the rename records the time set before the close" "1500000000123456789" \
	"$(mtime "$P4/h5.csv")"

# ---------------------------------------------------------------- directories
pt=$(mtime "$P")
tt=$(mtime "$W/sales/t")
dt=$(mtime "$W/sales")
wt=$(mtime "$W")
printf '3,c\n' >"$P/new.csv" || mf_abort "write new.csv"
assert_ok "a partition's mtime moves when a file is added to it" test "$(mtime "$P")" -gt "$pt"
assert_ok "its table's mtime moves too" test "$(mtime "$W/sales/t")" -gt "$tt"
assert_ok "its database's mtime moves too" test "$(mtime "$W/sales")" -gt "$dt"
assert_ok "its platform's mtime moves too" test "$(mtime "$W")" -gt "$wt"
assert_ok "the partition's mtime is no older than the new file's" \
	test "$(mtime "$P")" -ge "$(mtime "$P/new.csv")"
pt=$(mtime "$P")
assert_ok "touch -d on a partition directory is accepted" touch -d '2000-01-01' "$P"
assert_eq "a directory's mtime stays the last change under it" "$pt" "$(mtime "$P")"
touch -d '2019-01-01' "$P/new.csv"
assert_eq "setting a file's time is not a change of its partition" "$pt" "$(mtime "$P")"

# ---------------------------------------------------------------- a mirror
printf 'source = warehouse.sales.t\ntarget = lake\nmirror = schema\non_conflict = fail\n' \
	>"$MF_TMP/times.rule"
assert_ok "a sync rule mirrors the table into lake" cp "$MF_TMP/times.rule" "$M/sync/times.rule"
if mf_poll 10 test -e "$L/sales/t/dt=2024-05-02/f2.csv"; then
	pass "the mirrored file appears in lake"
else
	fail "the mirrored file appears in lake" "$(cat "$M/sync/times/status" 2>&1)"
fi
assert_eq "the mirror shows the source's set mtime" "$(mtime "$P2/f2.csv")" \
	"$(mtime "$L/sales/t/dt=2024-05-02/f2.csv")"
assert_eq "and the one tar -x set" "$(mtime "$P3/g2.csv")" "$(mtime "$L/sales/t/dt=2024-05-03/g2.csv")"

# ---------------------------------------------------------------- another user
if [ $USERS = 1 ]; then
	run_job g1 "GRANT SELECT ON TABLE warehouse.sales.t TO USER $BOB;"
	assert_eq "GRANT SELECT to bob succeeds" "succeeded" "$STATE" || note "$STATUS"
	m=$(mtime "$P/a.csv")
	assert_eq "bob sees the file's mtime" "$m" "$(mf_as "$BOB" date -r "$P/a.csv" +%s%N 2>&1)"
	expect_fail_errno "bob (SELECT, no MODIFY) cannot set the file's times" "Permission denied" \
		mf_as "$BOB" touch -d '2001-01-01' "$P/a.csv"
	expect_fail_errno "bob cannot set them to now either" "Permission denied" \
		mf_as "$BOB" touch "$P/a.csv"
	assert_eq "the refused touch left the mtime" "$m" "$(mtime "$P/a.csv")"
	printf '15,l\n' >"$P4/.h6.csv.tmp"
	m=$(mtime "$P4/.h6.csv.tmp")
	expect_fail_errno "bob cannot set a hidden file's times either" "Permission denied" \
		mf_as "$BOB" touch -d '2001-01-01' "$P4/.h6.csv.tmp"
	assert_eq "the refused touch left the hidden file's mtime" "$m" "$(mtime "$P4/.h6.csv.tmp")"
	rm -f "$P4/.h6.csv.tmp"
else
	note "not root: the second user's refusal is not tested"
fi

# ---------------------------------------------------------------- restart
if mf_umount; then pass "unmount"; else fail "unmount"; fi
if [ $USERS = 1 ]; then mf_mount_shared; else mf_mount || mf_abort "remount"; fi
assert_eq "a set mtime persists across a restart" "$(date -d '2019-01-01 12:00:00' +%s)000000000" \
	"$(mtime "$P/a.csv")"
assert_eq "rsync's mtimes persist" "$(mtime "$MF_TMP/rs/f1.csv")" "$(mtime "$P2/f1.csv")"
assert_eq "tar's mtimes persist" "$(mtime "$MF_TMP/tr/g2.csv")" "$(mtime "$P3/g2.csv")"
ev=$(events)
mf_run rsync -a --stats "$MF_TMP/rs/" "$P2/"
assert_match "after the restart rsync still transfers nothing" \
	'Number of regular files transferred: 0' "$MF_OUT"
assert_eq "and records no event" "$ev" "$(events)"

mf_finish
