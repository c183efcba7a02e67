#!/usr/bin/env bash
# test_commit_counter.sh - every writer ends in the same commit path:
# metafs_store_commits_total (/.metafs/metrics) counts the commits of a
# job's output and of a sync rule's apply, not only those made through the
# mount.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup
J=$M/jobs
S=$M/sync
W=$M/warehouse
L=$M/lake
WAIT=5   # seconds for the rule to mirror the table on a loaded machine

commits() {
	sed -n 's/^metafs_store_commits_total \([0-9][0-9]*\)$/\1/p' "$M/.metafs/metrics" 2>/dev/null
}

mkdir "$W/cc" 2>/dev/null || mf_abort "mkdir $W/cc"
mf_make_table "$W/cc/t" $'column k string\ncolumn v bigint\npartition dt string\n'

C0=$(commits)
assert_match "metrics show a commit count before the job" '^[0-9]+$' "$C0"

# One job, one output commit writing two partitions.
printf "INSERT INTO warehouse.cc.t VALUES ('a', 1, 'x'), ('b', 2, 'y');\n" >"$MF_TMP/two.sql"
cp "$MF_TMP/two.sql" "$J/two.sql" 2>/dev/null || mf_abort "submit two.sql"
STATE=$(timeout 60 cat "$J/two/wait" 2>&1 | head -n 1)
assert_eq "the job writing two partitions succeeds" "succeeded" "$STATE" || note "$(cat "$J/two/status" 2>&1)"
assert_eq "the job's two partitions are listed" $'dt=x\ndt=y' "$(mf_ls "$W/cc/t")"
C1=$(commits)
note "metafs_store_commits_total: $C0 before the job, $C1 after it"
if [ -n "$C1" ] && [ "$C1" -ge $((C0 + 1)) ]; then
	pass "the job's output commit is counted ($C0 -> $C1)"
else
	fail "the job's output commit is counted" "before: $C0" "after: $C1"
fi

# A rule mirroring the table into lake: its apply commits to lake's metastore.
printf 'source = warehouse.cc.*\ntarget = lake\n' >"$MF_TMP/cc.rule"
assert_ok "writing sync/cc.rule defines the rule" cp "$MF_TMP/cc.rule" "$S/cc.rule"
if mf_poll "$WAIT" test -e "$L/cc/t/.schema"; then
	pass "the rule mirrors the table into lake (${MF_POLL_ELAPSED}s)"
else
	fail "the rule mirrors the table into lake within ${WAIT}s" "$(cat "$S/cc/status" 2>&1)"
fi
C2=$(commits)
note "metafs_store_commits_total: $C2 after the rule mirrored the table"
if [ -n "$C2" ] && [ "$C2" -ge $((C1 + 1)) ]; then
	pass "the rule's apply commits are counted ($C1 -> $C2)"
else
	fail "the rule's apply commits are counted" "before: $C1" "after: $C2"
fi

mf_finish
