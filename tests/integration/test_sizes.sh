#!/usr/bin/env bash
# test_sizes.sh - every file the mount exposes reports the size its read
# returns: generated files (.schema, .table, .partition, .refresh,
# .refresh@N, a job's files, a rule's files, .metafs's files) and a masked
# data file of a mirror.  stat agrees with cat; cp and python read every
# byte; rsync -a copies a masked mirror whole; tar -c of the tree exits 0
# without "file changed as we read it" and its members equal what cat
# reads; DuckDB's read_text of .refresh (when node and @duckdb/node-api are
# installed) returns its text.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_setup
S=$M/sync
J=$M/jobs
WAIT=5   # seconds for the scheduler to apply a rule

# ---------------------------------------------------------------- a table, a masked mirror, a job
mf_make_table "$W/s/t" $'format csv\nheader true\ncolumn id bigint\ncolumn email string\npartition dt date\n'
mkdir "$W/s/t/dt=2024-05-01" || mf_abort "mkdir partition"
printf 'id,email\n1,a@x.io\n2,bb@y.io\n' >"$MF_TMP/part.csv"
cp "$MF_TMP/part.csv" "$W/s/t/dt=2024-05-01/part-0.csv" || mf_abort "write part"
printf 'source = warehouse.s.*\ntarget = lake\nmirror = schema, properties, partitions\nmask = email:hash\n' \
	>"$MF_TMP/x.rule"
assert_ok "a masking rule is accepted" cp "$MF_TMP/x.rule" "$S/x.rule"
mf_poll "$WAIT" test -e "$L/s/t/dt=2024-05-01/part-0.csv" || fail "the mirror appears" "$(cat "$S/x/status")"
run_job q "SELECT id, email FROM s.t ORDER BY id;"
assert_eq "the job succeeds" "succeeded" "$STATE" || note "$STATUS"

MASKED=$L/s/t/dt=2024-05-01/part-0.csv

# ---------------------------------------------------------------- stat agrees with every reader
# check FILE: stat, cat, cp and python agree on FILE's bytes.  A masked
# file is checked before any read of it: its first stat is the one.
check() {
	local f=$1 name=${1#"$M"/} size bytes
	size=$(stat -c %s -- "$f" 2>&1)
	bytes=$(cat -- "$f" 2>/dev/null | wc -c)
	assert_eq "$name: stat reports what cat reads" "$bytes" "$size"
	rm -f "$MF_TMP/copy"
	cp -- "$f" "$MF_TMP/copy" 2>/dev/null
	assert_eq "$name: cp copies every byte" "$bytes" "$(wc -c <"$MF_TMP/copy" 2>&1)"
	assert_eq "$name: python reads every byte, as many as its stat says" "$bytes $bytes" \
		"$(python3 -c 'import os,sys; p=sys.argv[1]; n=os.stat(p).st_size; print(len(open(p,"rb").read()), n)' "$f" 2>&1)"
}
check "$MASKED"
check "$W/s/t/.schema"
check "$W/s/t/.table"
check "$L/s/t/.table"
check "$W/s/t/dt=2024-05-01/.partition"
check "$L/s/t/.refresh"
check "$L/s/t/.refresh@0"
for f in status plan resources progress log dag.dot result; do
	check "$J/q/$f"
	check "$J/q/runs/1/$f"
done
check "$J/q.sql"
check "$S/x.rule"
for f in status cursor lag last_run history; do
	check "$S/x/$f"
done
for f in version events log grants roles; do
	check "$M/.metafs/$f"
done
assert_ne ".refresh is not empty" "0" "$(stat -c %s "$L/s/t/.refresh")"
assert_ne "a job's status is not empty" "0" "$(stat -c %s "$J/q/status")"
assert_ne "events is not empty" "0" "$(stat -c %s "$M/.metafs/events")"

# metrics change with every request: one process's stat and read agree.
assert_ok "metrics: stat, open and fstat in one process agree with the bytes read" mf_stat_read_agree "$M/.metafs/metrics"

# ---------------------------------------------------------------- rsync of a masked mirror
MASKED_TEXT=$(cat "$MASKED")
assert_match "the mirror is masked" '^id,email
1,[0-9a-f]{32}
2,[0-9a-f]{32}$' "$MASKED_TEXT"
if command -v rsync >/dev/null; then
	assert_ok "rsync -a copies the mirror" rsync -a "$L/s/t/" "$MF_TMP/rsync/"
	assert_eq "rsync copied every masked byte" "$MASKED_TEXT" \
		"$(cat "$MF_TMP/rsync/dt=2024-05-01/part-0.csv" 2>&1)"
	assert_ok "rsync -a copies .table" rsync -a "$L/s/t/.table" "$MF_TMP/rsync/"
	assert_eq "rsync copied .table whole" "$(cat "$L/s/t/.table")" "$(cat "$MF_TMP/rsync/.table" 2>&1)"
else
	note "rsync is not installed: rsync -a is not checked"
fi

# ---------------------------------------------------------------- tar of the tree
# Everything but the files a read acts on (a job's wait blocks until its
# run ends, a rule's run runs it); the metadata files and .refresh are
# named, they are not listed.
tar_tree() {
	(cd "$M" && tar -cf "$MF_TMP/tree.tar" --exclude=wait --exclude=run --exclude=audit \
		warehouse lake jobs sync .metafs lake/s/t/.refresh lake/s/t/.table warehouse/s/t/.schema \
		warehouse/s/t/dt=2024-05-01/.partition) 2>"$MF_TMP/tar.err"
}
if tar_tree; then
	pass "tar -c of the tree exits 0"
else
	fail "tar -c of the tree exits 0" "$(head -n 5 "$MF_TMP/tar.err")"
fi
if grep -q "changed as we read it\|shrank\|Read error" "$MF_TMP/tar.err"; then
	fail "tar reads every file whole" "$(head -n 5 "$MF_TMP/tar.err")"
else
	pass "tar reads every file whole"
fi
mkdir -p "$MF_TMP/x" && tar -xf "$MF_TMP/tree.tar" -C "$MF_TMP/x" 2>/dev/null
bad=
for f in lake/s/t/dt=2024-05-01/part-0.csv lake/s/t/.refresh lake/s/t/.table warehouse/s/t/.schema \
	 warehouse/s/t/dt=2024-05-01/.partition jobs/q/status jobs/q/plan jobs/q/result jobs/q.sql \
	 sync/x.rule sync/x/status .metafs/version .metafs/events .metafs/grants; do
	cmp -s "$MF_TMP/x/$f" <(cat "$M/$f") || bad="$bad $f"
done
assert_eq "tar's members are what cat reads" "" "$bad"
rm -rf "$MF_TMP/x" "$MF_TMP/tree.tar"

# The audit log grows with every audited request, tar's own among them:
# what a stat reports is what the reads of the open after it return.
if [ "$(id -u)" = 0 ] || [ -r "$M/.metafs/audit" ]; then
	if (cd "$M" && tar -cf "$MF_TMP/audit.tar" .metafs/audit) 2>"$MF_TMP/tar.err"; then
		pass "tar of the growing audit log exits 0"
	else
		fail "tar of the growing audit log exits 0" "$(head -n 3 "$MF_TMP/tar.err")"
	fi
	assert_ok "audit: stat, open and fstat in one process agree with the bytes read" mf_stat_read_agree "$M/.metafs/audit"
fi

# ---------------------------------------------------------------- DuckDB read_text
if mf_have_duckdb; then
	got=$(mf_duckdb "SELECT content FROM read_text('$L/s/t/.refresh')" 2>&1)
	assert_eq "DuckDB read_text of .refresh returns its text" "$(cat "$L/s/t/.refresh")" "$got"
else
	note "node with @duckdb/node-api is not installed: read_text is not checked"
fi

mf_finish
