#!/usr/bin/env bash
# test_read_cache.sh - a read of a data file through the mount returns the
# bytes its latest commit gave it, whatever made the commit: read twice
# (warm), then changed by each route - cp over it and a truncate followed
# by a write through the mount, a job's INSERT OVERWRITE of its partition,
# `metafs repair` in another process after the data store was changed
# directly, a sync rule's mirror of a changed source - and the very next
# read returns the new bytes, compared with the data store's file.
#
# A reader that kept a descriptor open across an overwrite through the
# mount reads the version it opened, whole (an overwrite is a rename-over;
# see fs_catalog.c above file_open), and a reader that opens after the
# commit reads the new one.  A masked mirror serves only masked bytes, on
# every read, and on a shared mount a second user reads only what its
# grants allow, whatever the owner read before.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

WAIT=30
mkdir "$W/rc" 2>/dev/null || mf_abort "mkdir $W/rc"
mf_make_table "$W/rc/t" $'column id bigint\ncolumn v string\npartition dt string\n'
T=$W/rc/t
D=$DS/rc/t
mkdir "$T/dt=a" "$T/dt=b" 2>/dev/null || mf_abort "mkdir partitions"

# Versions of different sizes: a stale size or stale pages show.
version() { # NAME ROWS TAG
	awk -v n="$2" -v tag="$3" 'BEGIN { for (i = 1; i <= n; i++) printf "%d,%s-%06d\n", i, tag, i }' \
		>"$SRC/$1.csv"
}
version v1 2000 one
version v2 5000 two
version v3 300 three
version v4 1200 four
version r1 700 repair-one
version r2 2500 repair-two

# reads_as NAME FILE EXPECTED: one open+read+close of FILE returns EXPECTED's bytes.
reads_as() {
	if timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$2" >"$MF_TMP/read.out" 2>"$MF_TMP/read.err" &&
		cmp -s -- "$MF_TMP/read.out" "$3"; then
		pass "$1"
	else
		fail "$1" "read $(wc -c <"$MF_TMP/read.out") bytes, expected $(wc -c <"$3")" \
			"$(head -c 300 "$MF_TMP/read.out"; cat "$MF_TMP/read.err")"
	fi
}

# ---------------------------------------------------------------- warm reads
assert_ok "write v1" cp "$SRC/v1.csv" "$T/dt=a/f.csv"
reads_as "first read: v1" "$T/dt=a/f.csv" "$SRC/v1.csv"
reads_as "second (warm) read: v1" "$T/dt=a/f.csv" "$SRC/v1.csv"
assert_cmp "the data store holds v1" "$SRC/v1.csv" "$D/dt=a/f.csv"
assert_eq "stat: v1's size" "$(stat -c %s "$SRC/v1.csv")" "$(stat -c %s "$T/dt=a/f.csv")"

# ---------------------------------------------------------------- cp over it
assert_ok "cp v2 over it" cp "$SRC/v2.csv" "$T/dt=a/f.csv"
reads_as "the next read after cp: v2" "$T/dt=a/f.csv" "$SRC/v2.csv"
reads_as "and the one after: v2" "$T/dt=a/f.csv" "$SRC/v2.csv"
assert_cmp "the data store holds v2" "$SRC/v2.csv" "$D/dt=a/f.csv"
assert_eq "stat after cp: v2's size" "$(stat -c %s "$SRC/v2.csv")" "$(stat -c %s "$T/dt=a/f.csv")"

# ---------------------------------------------------------------- a reader open across an overwrite
exec 3<"$T/dt=a/f.csv"
head -c 100 <&3 >"$MF_TMP/fd3.head"   # reads 100 bytes before the commit (and maybe more: head buffers)
assert_ok "cp v3 over it while fd 3 holds v2" cp "$SRC/v3.csv" "$T/dt=a/f.csv"
reads_as "a reader opening after the commit: v3" "$T/dt=a/f.csv" "$SRC/v3.csv"
cat <&3 >"$MF_TMP/fd3.rest"
exec 3<&-
assert_eq "fd 3 (opened before the commit) read v2 from where it was to its end" \
	"$(stat -c %s "$SRC/v2.csv")" "$(cat "$MF_TMP/fd3.head" "$MF_TMP/fd3.rest" | wc -c)"
if head -c 100 "$SRC/v2.csv" | cmp -s - "$MF_TMP/fd3.head" &&
	! grep -q three "$MF_TMP/fd3.rest"; then
	pass "fd 3 saw no byte of v3"
else
	fail "fd 3 saw no byte of v3" "$(head -c 200 "$MF_TMP/fd3.rest")"
fi
reads_as "after fd 3's close: v3" "$T/dt=a/f.csv" "$SRC/v3.csv"

# ---------------------------------------------------------------- truncate, then write
reads_as "warm before the truncate: v3" "$T/dt=a/f.csv" "$SRC/v3.csv"
assert_ok "truncate -s 0" truncate -s 0 "$T/dt=a/f.csv"
assert_eq "the next read after the truncate: empty" "0" "$(wc -c <"$T/dt=a/f.csv")"
assert_eq "stat after the truncate: 0" "0" "$(stat -c %s "$T/dt=a/f.csv")"
assert_ok "append v4" sh_c "cat '$SRC/v4.csv' >>'$T/dt=a/f.csv'"
reads_as "the next read after the write: v4" "$T/dt=a/f.csv" "$SRC/v4.csv"
assert_cmp "the data store holds v4" "$SRC/v4.csv" "$D/dt=a/f.csv"
head -c 1000 "$SRC/v4.csv" >"$MF_TMP/v4.prefix"
assert_ok "truncate -s 1000" truncate -s 1000 "$T/dt=a/f.csv"
reads_as "the next read after a shortening truncate: v4's first 1000 bytes" "$T/dt=a/f.csv" \
	"$MF_TMP/v4.prefix"
assert_ok "a write inside the file (dd conv=notrunc)" \
	sh_c "printf XYZ | dd of='$T/dt=a/f.csv' bs=1 seek=10 conv=notrunc status=none"
printf XYZ | dd of="$MF_TMP/v4.prefix" bs=1 seek=10 conv=notrunc status=none
reads_as "the next read after the write inside: the changed bytes" "$T/dt=a/f.csv" "$MF_TMP/v4.prefix"
assert_cmp "the data store holds the changed bytes" "$MF_TMP/v4.prefix" "$D/dt=a/f.csv"

# ---------------------------------------------------------------- a job's INSERT OVERWRITE
reads_as "warm before the job: the changed v4" "$T/dt=a/f.csv" "$MF_TMP/v4.prefix"
run_job ow "INSERT OVERWRITE TABLE warehouse.rc.t PARTITION (dt = 'a') VALUES (41, 'job-x'), (42, 'job-y');"
assert_eq "INSERT OVERWRITE succeeds" "succeeded" "$STATE" || note "$STATUS"
expect_fail_errno "the overwritten partition's old file is gone" "No such file or directory" \
	cat "$T/dt=a/f.csv"
mapfile -t mnt_files < <(cd "$T/dt=a" && ls)
mapfile -t ds_files < <(cd "$D/dt=a" && ls)
assert_eq "the partition lists the data store's files" "${ds_files[*]}" "${mnt_files[*]}"
(cd "$D/dt=a" && cat -- "${ds_files[@]}") >"$MF_TMP/job.ds"
(cd "$T/dt=a" && cat -- "${mnt_files[@]}") >"$MF_TMP/job.mnt" 2>&1
assert_cmp "the partition's files read as the data store's" "$MF_TMP/job.ds" "$MF_TMP/job.mnt"
assert_match "they hold the job's rows" 'job-x' "$(cat "$MF_TMP/job.mnt")"
for f in "${mnt_files[@]}"; do
	reads_as "warm read of the job's $f" "$T/dt=a/$f" "$D/dt=a/$f"
done

# ---------------------------------------------------------------- metafs repair in another process
assert_ok "write r1 into dt=b" cp "$SRC/r1.csv" "$T/dt=b/g.csv"
reads_as "first read: r1" "$T/dt=b/g.csv" "$SRC/r1.csv"
reads_as "second (warm) read: r1" "$T/dt=b/g.csv" "$SRC/r1.csv"
cp "$SRC/r2.csv" "$D/dt=b/g.csv"
mf_run "$METAFS" repair --home "$H" warehouse.rc.t
assert_eq "metafs repair updates the file" \
	"repaired warehouse.rc.t: 0 partitions added, 0 files added, 0 files removed, 1 files updated" "$MF_OUT"
reads_as "the next read after the repair: r2" "$T/dt=b/g.csv" "$SRC/r2.csv"
mf_poll "$WAIT" test "$(stat -c %s "$SRC/r2.csv")" = "$(stat -c %s "$T/dt=b/g.csv")"
assert_eq "stat after the repair: r2's size" "$(stat -c %s "$SRC/r2.csv")" "$(stat -c %s "$T/dt=b/g.csv")"

# ---------------------------------------------------------------- a masked mirror
mkdir "$W/ms" 2>/dev/null || mf_abort "mkdir $W/ms"
mf_make_table "$W/ms/u" $'column id bigint\ncolumn email string\n'
printf '1,alice@example.com\n2,bob@example.com\n' >"$SRC/m1.csv"
printf '1,carol@example.com\n2,dave@example.com\n3,erin@example.com\n' >"$SRC/m2.csv"
assert_ok "write the source" cp "$SRC/m1.csv" "$W/ms/u/part-0.csv"
cat >"$MF_TMP/m.rule" <<'RULE'
source = warehouse.ms.*
target = lake
mirror = schema, properties, partitions
mask   = email:hash
RULE
assert_ok "a rule with a mask is accepted" cp "$MF_TMP/m.rule" "$M/sync/m.rule"
MF=$L/ms/u/part-0.csv
mf_poll "$WAIT" test -e "$MF" || fail "the mirror appears" "$(cat "$M/sync/m/status" 2>&1)"
cat "$MF" >"$MF_TMP/mask1.a" 2>&1
cat "$MF" >"$MF_TMP/mask1.b" 2>&1
assert_cmp "the masked file reads the same twice" "$MF_TMP/mask1.a" "$MF_TMP/mask1.b"
assert_match "the mirror serves masked bytes" '^1,[0-9a-f]{32}$' "$(head -n 1 "$MF_TMP/mask1.a")"
if grep -q '@' "$MF_TMP/mask1.a"; then
	fail "no raw address is read through the mirror" "$(cat "$MF_TMP/mask1.a")"
else
	pass "no raw address is read through the mirror"
fi
assert_ok "overwrite the source" cp "$SRC/m2.csv" "$W/ms/u/part-0.csv"
mf_poll "$WAIT" sh_c "test \$(wc -l <'$MF') = 3" ||
	fail "the mirror shows the new source" "$(cat "$MF" 2>&1)"
cat "$MF" >"$MF_TMP/mask2.a" 2>&1
assert_eq "the mirror's next read: the new source's rows, masked" "3" "$(wc -l <"$MF_TMP/mask2.a")"
if grep -q '@' "$MF_TMP/mask2.a"; then
	fail "no raw address after the change" "$(cat "$MF_TMP/mask2.a")"
else
	pass "no raw address after the change"
fi
assert_eq "stat of the mirror's file: the size a read returns" "$(wc -c <"$MF_TMP/mask2.a")" \
	"$(stat -c %s "$MF")"

# ---------------------------------------------------------------- a second user (a shared mount)
# The kernel must never answer one user with bytes another one read: a
# user without SELECT is refused right after the owner's warm reads, and
# once granted and revoked again, refused again at once.
if [ "$(id -u)" = 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	RU=mfrc$$
	mf_add_user "$RU"
	chmod 711 "$MF_TMP"
	mf_umount "$M" || fail "unmount before the shared mount"
	mf_mount_shared
	reads_as "shared mount: the owner's first read: r2" "$T/dt=b/g.csv" "$SRC/r2.csv"
	reads_as "shared mount: the owner's second (warm) read: r2" "$T/dt=b/g.csv" "$SRC/r2.csv"
	expect_fail_errno "a user without SELECT cannot read it" "Permission denied" \
		mf_as "$RU" cat "$T/dt=b/g.csv"
	run_job grant_rc "GRANT SELECT ON TABLE warehouse.rc.t TO USER $RU;"
	assert_eq "GRANT succeeds" "succeeded" "$STATE" || note "$STATUS"
	mf_as "$RU" cat "$T/dt=b/g.csv" >"$MF_TMP/ru.out" 2>&1
	assert_cmp "once granted, the user reads r2" "$SRC/r2.csv" "$MF_TMP/ru.out"
	run_job revoke_rc "REVOKE SELECT ON TABLE warehouse.rc.t FROM USER $RU;"
	assert_eq "REVOKE succeeds" "succeeded" "$STATE" || note "$STATUS"
	reads_as "the owner still reads r2" "$T/dt=b/g.csv" "$SRC/r2.csv"
	expect_fail_errno "once revoked, the user's next read is refused" "Permission denied" \
		mf_as "$RU" cat "$T/dt=b/g.csv"
else
	note "not root: the second user's reads are not checked"
fi

mf_finish
