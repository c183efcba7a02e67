#!/usr/bin/env bash
# test_hms_load.sh - the Hive Metastore API under load: 16 clients at once
# each list the partitions of a 100,000-partition table (get_partition_names
# and get_partitions_by_filter) while another client adds partitions one at
# a time with add_partition.  No call fails, and every answer is a state
# some commit left (the 100,000 and a prefix of the additions, no name
# twice); afterwards the API and the mount agree.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BASE=100000
ADDED=200
LISTERS=16
ROUNDS=2

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
mf_hms_setup
printf 'allow_daemon_user = true\n' >>"$H/metafs.ini"
mf_mount || mf_abort "mount $H on $M"
USER_NAME=$(id -un)
T=$M/warehouse/load/t
mf_make_table "$T" $'format csv\ncolumn v string\npartition p string\n'
mf_bulk_partitions warehouse load t "$BASE"
assert_eq "the mount lists the $BASE partitions" "$BASE" "$(timeout 120 ls -f "$T" | grep -c '^p=')"

PIDS=()
for i in $(seq 1 "$LISTERS"); do
	timeout -k 5 600 "$PY" "$METAFS_SRCDIR/tests/integration/hms_load_client.py" "$GEN" "$PORT" \
		lister "$USER_NAME" load t "$BASE" "$ADDED" "$ROUNDS" >"$MF_TMP/lister-$i.out" 2>&1 &
	PIDS+=($!)
done
timeout -k 5 600 "$PY" "$METAFS_SRCDIR/tests/integration/hms_load_client.py" "$GEN" "$PORT" \
	adder "$USER_NAME" load t "$ADDED" >"$MF_TMP/adder.out" 2>&1
ADDER_RC=$?
FAILED=0
for i in "${!PIDS[@]}"; do
	wait "${PIDS[$i]}" || FAILED=$((FAILED + 1))
done
assert_eq "the adder's $ADDED add_partition calls all succeed" "0 added	$ADDED" \
	"$ADDER_RC $(cat "$MF_TMP/adder.out")" || note "$(cat "$MF_TMP/adder.out")"
assert_eq "all $LISTERS listers exit 0" 0 "$FAILED"
OKS=$(cat "$MF_TMP"/lister-*.out | grep -c "^ok	$ROUNDS\$")
assert_eq "every lister's every answer is a committed state" "$LISTERS" "$OKS" ||
	note "$(grep -hv '^ok' "$MF_TMP"/lister-*.out | head -5)"

# How far the additions had got at each answer (not asserted: it depends
# on timing; it shows the answers were taken while partitions were added).
note "additions seen by the listers' answers: $(awk -F'\t' '$1 == "seen" { printf "%s ", $2 }' "$MF_TMP"/lister-*.out)"

hms_call hms_load_client lister "$USER_NAME" load t "$BASE" "$ADDED" 1
assert_eq "afterwards the API's answer is consistent" "ok	1" "$(hms_val ok | sed 's/^/ok	/')"
assert_eq "... and it sees every addition" "$ADDED" "$(hms_val seen)"
hms_call hms_load_client count "$USER_NAME" load t
assert_eq "get_partition_names counts every partition" $((BASE + ADDED)) "$(hms_val names)"
assert_eq "the mount lists the same number" $((BASE + ADDED)) "$(timeout 120 ls -f "$T" | grep -c '^p=')"
assert_eq "an added partition is a directory in the mount" yes \
	"$([ -d "$T/p=$((1000000 + ADDED - 1))" ] && echo yes)"

mf_finish
