#!/usr/bin/env bash
# test_invalidate.sh - `metafs repair` run while the home is mounted: the
# daemon notices the change in the log and invalidates the kernel's caches
# (positive and negative entries) within about a second.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

WAIT=2 # seconds allowed for the change to show through the mount
printf 'a,1\nb,2\n' >"$SRC/one.csv"
printf 'c,3\nd,4\ne,5\n' >"$SRC/new.csv"
printf 'f,6\n' >"$SRC/extra.csv"

mkdir "$W/inv" 2>/dev/null || mf_abort "mkdir $W/inv"
mf_make_table "$W/inv/t" $'column k string\ncolumn v bigint\npartition dt string\n'
TBL=$W/inv/t
mkdir "$TBL/dt=a" 2>/dev/null || mf_abort "mkdir dt=a"
cp "$SRC/one.csv" "$TBL/dt=a/part-0.csv" 2>/dev/null || mf_abort "cp into dt=a"

# fill the kernel's caches: the listing, a positive entry, negative entries
assert_eq "table lists its partition before the repair" "dt=a" "$(mf_ls "$TBL")"
expect_fail_errno "stat of the not-yet-existing partition: ENOENT (negative entry cached)" \
	"No such file or directory" stat "$TBL/dt=new"
expect_fail_errno "stat of the not-yet-existing file: ENOENT" "No such file or directory" stat "$TBL/dt=a/extra.csv"
stat "$TBL/dt=a" "$TBL/dt=a/part-0.csv" >/dev/null 2>&1
PARTS_BEFORE=$(mf_field "$TBL/.table" partitions)
assert_eq ".table partitions: before the repair" "1" "$PARTS_BEFORE"

# change the data store behind the daemon's back
mkdir -p "$DS/inv/t/dt=new" "$DS/inv/t/dt=10%3A00"
cp "$SRC/new.csv" "$DS/inv/t/dt=new/part-0.csv"
cp "$SRC/extra.csv" "$DS/inv/t/dt=a/extra.csv"
cp "$SRC/one.csv" "$DS/inv/t/dt=10%3A00/x.csv"

if mf_run "$METAFS" repair --home "$H" warehouse.inv.t; then
	pass "metafs repair exits 0 while mounted"
else
	fail "metafs repair exits 0 while mounted" "exit status $MF_RC" "$MF_OUT"
fi
assert_eq "metafs repair reports what it added" \
	"repaired warehouse.inv.t: 2 partitions added, 3 files added, 0 files removed, 0 files updated" "$MF_OUT"

if mf_poll "$WAIT" sh_c '[ "$(ls -1 "$1")" = "$2" ]' _ "$TBL" $'dt=10%3A00\ndt=a\ndt=new'; then
	pass "ls of the mounted table shows the new partitions within ${WAIT}s (${MF_POLL_ELAPSED}s)"
else
	fail "ls of the mounted table shows the new partitions within ${WAIT}s" "after ${MF_POLL_ELAPSED}s:" "$(mf_ls "$TBL")"
fi
if mf_poll "$WAIT" stat "$TBL/dt=new"; then
	pass "negative cached lookup of dt=new is cleared within ${WAIT}s (${MF_POLL_ELAPSED}s)"
else
	fail "negative cached lookup of dt=new is cleared within ${WAIT}s" "$(stat "$TBL/dt=new" 2>&1)"
fi
if mf_poll "$WAIT" stat "$TBL/dt=a/extra.csv"; then
	pass "negative cached lookup of a file in a known partition is cleared within ${WAIT}s (${MF_POLL_ELAPSED}s)"
else
	fail "negative cached lookup of a file in a known partition is cleared within ${WAIT}s" "$(stat "$TBL/dt=a/extra.csv" 2>&1)"
fi
assert_cmp "file added by repair reads back" "$SRC/new.csv" "$TBL/dt=new/part-0.csv"
assert_cmp "file added by repair to an existing partition reads back" "$SRC/extra.csv" "$TBL/dt=a/extra.csv"
assert_cmp "file in a repaired escaped partition reads back" "$SRC/one.csv" "$TBL/dt=10:00/x.csv"
assert_eq "listing of the existing partition shows the new file" "extra.csv
part-0.csv" "$(mf_ls "$TBL/dt=a")"
assert_file_has_line ".partition of a repaired partition: file line" "$TBL/dt=new/.partition" \
	"file: part-0.csv bytes=$(stat -c %s "$SRC/new.csv") rows=3 xxh128=$(mf_xxh128 "$SRC/new.csv")"
assert_eq ".partition rows: of the existing partition after repair" "3" "$(mf_field "$TBL/dt=a/.partition" rows)"
if mf_poll "$WAIT" sh_c '[ "$(awk "\$1==\"partitions:\"{print \$2}" "$1")" = 3 ]' _ "$TBL/.table"; then
	pass ".table partitions: 3 after repair"
else
	fail ".table partitions: 3 after repair" "$(cat "$TBL/.table" 2>&1)"
fi
assert_eq "repair events have origin tool" "1" \
	"$(awk '$1=="warehouse" && $4=="create" && $5=="partition" && $6=="tool" && $7=="inv/t/dt=new"' "$M/.metafs/events" 2>&1 | wc -l)"

# removal: a cached positive entry must go away
stat "$TBL/dt=a/extra.csv" >/dev/null 2>&1
rm -f "$DS/inv/t/dt=a/extra.csv"
mf_run "$METAFS" repair --home "$H" warehouse.inv.t
assert_eq "metafs repair reports a removed file" \
	"repaired warehouse.inv.t: 0 partitions added, 0 files added, 1 files removed, 0 files updated" "$MF_OUT"
if mf_poll "$WAIT" sh_c '! stat "$1"' _ "$TBL/dt=a/extra.csv"; then
	pass "cached entry of a removed file is dropped within ${WAIT}s (${MF_POLL_ELAPSED}s)"
else
	fail "cached entry of a removed file is dropped within ${WAIT}s" "$(stat "$TBL/dt=a/extra.csv" 2>&1)"
fi
if mf_poll "$WAIT" sh_c '[ "$(ls -1 "$1")" = part-0.csv ]' _ "$TBL/dt=a"; then
	pass "listing drops the removed file within ${WAIT}s (${MF_POLL_ELAPSED}s)"
else
	fail "listing drops the removed file within ${WAIT}s" "$(mf_ls "$TBL/dt=a")"
fi
assert_eq ".partition rows: after the removal" "2" "$(mf_field "$TBL/dt=a/.partition" rows)"

mf_run "$METAFS" repair --home "$H" warehouse.inv.t
assert_eq "a second repair finds nothing to do" \
	"repaired warehouse.inv.t: 0 partitions added, 0 files added, 0 files removed, 0 files updated" "$MF_OUT"
expect_fail_errno "repair of an unknown table fails" "" "$METAFS" repair --home "$H" warehouse.inv.nope

assert_match "metrics: metafs_invalidations_total is positive" \
	'(^|'$'\n'')metafs_invalidations_total [1-9][0-9]*' "$(cat "$M/.metafs/metrics" 2>&1)"

mf_finish
