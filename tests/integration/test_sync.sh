#!/usr/bin/env bash
# test_sync.sh - sync rules through the mount: a rule written into sync/
# mirrors warehouse tables into lake (schema and properties, a dropped
# column, no partitions), changes on the source show up within a second,
# .refresh lists the source's partitions with paths readable read-only in
# lake's tree, the incremental .refresh@N, drops, narrowing a rule (what it
# no longer mirrors is removed), conflicts, state files,
# metafs sync now/diff, and a bad rule.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
S=$M/sync
L=$M/lake
WAIT=3   # seconds: the goal is under one; a loaded machine gets slack

# ---------------------------------------------------------------- source data
mkdir -p "$W/sales/orders" || mf_abort "mkdir"
mf_put_schema "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn email string\ncolumn amount double\npartition dt date\nproperty owner = sales-eng\n' ||
	mf_abort ".schema" "$MF_OUT"
for d in 01 02 03; do
	mkdir "$W/sales/orders/dt=2024-05-$d"
	printf 'id,email,amount\n1,a@example.com,1.5\n2,b@example.com,2.5\n' >"$MF_TMP/p$d.csv"
	cp "$MF_TMP/p$d.csv" "$W/sales/orders/dt=2024-05-$d/part-0.csv"
done

# ---------------------------------------------------------------- a rule
cat >"$MF_TMP/sales.rule" <<'EOF'
source       = warehouse.sales.*
target       = lake
mirror       = schema, properties
drop_columns = email
on_conflict  = fail
EOF
assert_ok "writing sync/sales.rule defines the rule" cp "$MF_TMP/sales.rule" "$S/sales.rule"
assert_eq "sync/ lists the rule and its directory" "sales
sales.rule" "$(mf_ls "$S")"
if mf_poll "$WAIT" test -e "$L/sales/orders/.schema"; then
	pass "the mirrored table appears in lake (${MF_POLL_ELAPSED}s)"
else
	fail "the mirrored table appears in lake within ${WAIT}s" "$(cat "$S/sales/status" 2>&1)"
fi
assert_eq "the mirror's schema lacks the dropped column" "format csv
header true
column id bigint
column amount double
partition dt date
property owner = sales-eng" "$(grep -v '^property metafs\.mirror\.' "$L/sales/orders/.schema" 2>&1)"
assert_eq ".table names the source object" "warehouse.sales.orders" "$(mf_field "$L/sales/orders/.table" property.metafs.mirror.source)"
assert_eq ".table names the rule" "sales" "$(mf_field "$L/sales/orders/.table" property.metafs.mirror.rule)"
assert_match ".table carries the source etag" '^[0-9a-f]{16}$' "$(mf_field "$L/sales/orders/.table" property.metafs.mirror.source_etag)"
assert_match ".table carries the source event id" '^[0-9]+$' "$(mf_field "$L/sales/orders/.table" property.metafs.mirror.event)"
assert_eq "a mirror without partitions lists none" "" "$(mf_ls "$L/sales/orders")"
assert_eq "status of an idle rule" "idle" "$(head -n 1 "$S/sales/status")"
assert_eq "lag is 0 once applied" "0" "$(cat "$S/sales/lag" 2>&1)"
assert_match "cursor is an event id" '^[0-9]+$' "$(cat "$S/sales/cursor" 2>&1)"
assert_file_contains "history has a line per run" "$S/sales/history" "applied="

# ---------------------------------------------------------------- .refresh
R=$(cat "$L/sales/orders/.refresh" 2>&1)
assert_eq ".refresh lists every partition, then a trailer" "4" "$(printf '%s\n' "$R" | wc -l)"
assert_match ".refresh gives lake paths" "dt=2024-05-01 lake/sales/orders/dt=2024-05-01 rows=2 bytes=" "$R"
assert_match ".refresh ends with the snapshot's event id" $'\nsnapshot [0-9]+$' "$R"
P=$(printf '%s\n' "$R" | awk 'NR==1 {print $2}')
printf 'id,amount\n1,1.5\n2,2.5\n' >"$MF_TMP/p01-dropped.csv"
assert_cmp "a path from .refresh reads the source's rows without the dropped column" "$MF_TMP/p01-dropped.csv" "$M/$P/part-0.csv"
assert_eq "the view lists the partition's file" "part-0.csv" "$(mf_ls "$M/$P")"
expect_fail_errno "the view is read-only" "Read-only file system" cp "$MF_TMP/p01.csv" "$M/$P/x.csv"
expect_fail_errno "the mirrored table is read-only" "Read-only file system" mkdir "$L/sales/orders/dt=2030-01-01"

SNAP=$(printf '%s\n' "$R" | awk '$1 == "snapshot" {print $2}')
mkdir "$W/sales/orders/dt=2024-05-04" && cp "$MF_TMP/p01.csv" "$W/sales/orders/dt=2024-05-04/part-0.csv"
printf 'id,email,amount\n9,z@example.com,9.5\n' >"$MF_TMP/re.csv"
cp "$MF_TMP/re.csv" "$W/sales/orders/dt=2024-05-02/part-0.csv"
rm "$W/sales/orders/dt=2024-05-03/part-0.csv" && rmdir "$W/sales/orders/dt=2024-05-03"
INC=$(cat "$L/sales/orders/.refresh@$SNAP" 2>&1)
assert_match "incremental .refresh shows an added partition" $'(^|\n)\\+ dt=2024-05-04 ' "$INC"
assert_match "incremental .refresh shows a rewritten partition" $'(^|\n)~ dt=2024-05-02 ' "$INC"
assert_match "incremental .refresh shows a dropped partition" $'(^|\n)- dt=2024-05-03' "$INC"
assert_eq "incremental .refresh lists only what changed" "4" "$(printf '%s\n' "$INC" | wc -l)"
assert_eq "a fresh .refresh reflects the source now" "3" "$(grep -c '^dt=' "$L/sales/orders/.refresh")"

# ---------------------------------------------------------------- on-demand: a job and a mkdir
printf 'CREATE TABLE sales.returns (id BIGINT, email STRING) STORED AS CSV;\n' >"$MF_TMP/ret.sql"
cp "$MF_TMP/ret.sql" "$M/jobs/ret.sql" && cat "$M/jobs/ret/wait" >/dev/null
if mf_poll "$WAIT" test -e "$L/sales/returns/.schema"; then
	pass "a table created by a job appears in lake (${MF_POLL_ELAPSED}s)"
else
	fail "a table created by a job appears in lake within ${WAIT}s"
fi

# ---------------------------------------------------------------- drops
rm -r "$W/sales/returns" 2>/dev/null || rmdir "$W/sales/returns"
if mf_poll "$WAIT" sh_c '! test -e "$1"' _ "$L/sales/returns"; then
	pass "a dropped source table is dropped from lake"
else
	fail "a dropped source table is dropped from lake within ${WAIT}s"
fi

# ---------------------------------------------------------------- narrowing a rule
# A rule mirroring two tables with partitions is redefined to one table,
# schema only, one column dropped: lake keeps exactly what it now mirrors.
mkdir -p "$W/narrow/n1" "$W/narrow/n2" || mf_abort "mkdir narrow"
mf_put_schema "$W/narrow/n1" $'column a bigint\ncolumn b string\npartition dt string\n' || mf_abort "n1" "$MF_OUT"
mf_put_schema "$W/narrow/n2" $'column c bigint\n' || mf_abort "n2" "$MF_OUT"
mkdir "$W/narrow/n1/dt=1" "$W/narrow/n1/dt=2"
printf 'source = warehouse.narrow.*\ntarget = lake\nmirror = schema, partitions\n' >"$MF_TMP/narrow.rule"
cp "$MF_TMP/narrow.rule" "$S/narrow.rule" || fail "define the rule narrow"
if mf_poll "$WAIT" sh_c '[ "$(ls "$1" 2>/dev/null | wc -l)" = 2 ] && [ -e "$2" ]' _ "$L/narrow/n1" "$L/narrow/n2/.schema"; then
	pass "the wide rule mirrors both tables and the partitions (${MF_POLL_ELAPSED}s)"
else
	fail "the wide rule mirrors both tables and the partitions" "$(ls -R "$L/narrow" 2>&1)"
fi
printf 'source = warehouse.narrow.n1\ntarget = lake\nmirror = schema\ndrop_columns = b\n' >"$MF_TMP/narrow.rule"
cp "$MF_TMP/narrow.rule" "$S/narrow.rule" || fail "redefine the rule narrow"
if mf_poll "$WAIT" sh_c '[ -z "$(ls "$1" 2>&1)" ] && ! [ -e "$2" ] && [ "$(cat "$3")" = 0 ]' _ \
	"$L/narrow/n1" "$L/narrow/n2" "$S/narrow/lag"; then
	pass "narrowing the rule removes what it no longer mirrors (${MF_POLL_ELAPSED}s)"
else
	fail "narrowing the rule removes what it no longer mirrors within ${WAIT}s" "$(ls -R "$L/narrow" 2>&1)" \
		"$(cat "$S/narrow/history" 2>&1)"
fi
assert_eq "the narrowed mirror lists no partitions" "" "$(mf_ls "$L/narrow/n1")"
assert_eq "the narrowed mirror's .table counts none" "0" "$(mf_field "$L/narrow/n1/.table" partitions)"
assert_eq "the table the rule no longer matches is gone from lake" "n1" "$(mf_ls "$L/narrow")"
assert_eq "the newly dropped column is gone from the mirror" "column a bigint" "$(grep '^column' "$L/narrow/n1/.schema" 2>&1)"
mf_run "$METAFS" sync diff --mount "$M" narrow
assert_eq "sync diff of the narrowed rule is empty" "" "$MF_OUT"
rm "$S/narrow.rule"

# ---------------------------------------------------------------- conflicts
mkdir -p "$L/sales/mine"
mf_put_schema "$L/sales/mine" $'column x string\n' || fail "lake's own table" "$MF_OUT"
mkdir -p "$W/sales/mine"
mf_put_schema "$W/sales/mine" $'column y bigint\n' || fail "warehouse table of the same name" "$MF_OUT"
mf_run cat "$S/sales/run"
assert_match "a conflict fails the rule (on_conflict = fail)" "^failed" "$MF_OUT"
assert_match "the failure names the object" "sales.mine" "$(cat "$S/sales/status")"
assert_eq "the object the rule did not create is left alone" "column x string" "$(grep '^column' "$L/sales/mine/.schema")"
sed 's/on_conflict  = fail/on_conflict  = skip/' "$MF_TMP/sales.rule" >"$MF_TMP/skip.rule"
cp "$MF_TMP/skip.rule" "$S/sales.rule"
mf_run "$METAFS" sync now --mount "$M" sales
assert_eq "metafs sync now exits 0 once the conflict is skipped" "0" "$MF_RC"
assert_match "sync now reports the run" "^idle" "$MF_OUT"
assert_match "the run that met the conflict under skip counted it" "ok [a-z]+ applied=[0-9]+ dropped=[0-9]+ unchanged=[0-9]+ skipped=[1-9]" "$(cat "$S/sales/history")"
assert_eq "skip leaves lake's table alone" "column x string" "$(grep '^column' "$L/sales/mine/.schema")"
mf_run "$METAFS" sync diff --mount "$M" sales
assert_eq "metafs sync diff exits 0" "0" "$MF_RC"

# ---------------------------------------------------------------- a gap in the log
# Stop the rule (its cursor stays in lake), change the source, trim the
# log past the cursor, define the rule again: the log has a gap.
rm "$S/sales.rule"
mkdir "$W/sales/late"
mf_put_schema "$W/sales/late" $'column z bigint\n' || fail "a table while the rule is away" "$MF_OUT"
mf_run "$METAFS" trim-log --home "$H" --keep 1 warehouse
assert_eq "metafs trim-log trims a platform's change log" "0" "$MF_RC"
cp "$MF_TMP/skip.rule" "$S/sales.rule"
mf_run cat "$S/sales/run"
assert_match "after a gap in the log the rule says it fell back to a full compare" \
	"fell back to a full compare" "$(cat "$S/sales/status")"
assert_eq "the full compare still mirrors the new table" "column z bigint" \
	"$(grep '^column' "$L/sales/late/.schema" 2>&1)"

# ---------------------------------------------------------------- periodic
mkdir -p "$W/ops/events"
mf_put_schema "$W/ops/events" $'column e string\n' || fail "ops.events" "$MF_OUT"
printf 'source = warehouse.ops.*\ntarget = lake\ninterval = 1s\n' >"$MF_TMP/ops.rule"
cp "$MF_TMP/ops.rule" "$S/ops.rule"
if mf_poll 5 sh_c '[ "$(grep -c " ok full " "$1")" -ge 2 ]' _ "$S/ops/history"; then
	pass "a rule with an interval runs a full compare every interval (${MF_POLL_ELAPSED}s for two)"
else
	fail "a rule with an interval runs a full compare every interval" "$(cat "$S/ops/history")"
fi
assert_eq "the periodic rule mirrors its table" "column e string" "$(grep '^column' "$L/ops/events/.schema" 2>&1)"

# ---------------------------------------------------------------- a bad rule
printf 'source = warehouse\ntarget = lake\n' >"$MF_TMP/bad.rule"
expect_fail_errno "a malformed rule is refused" "Invalid argument" cp "$MF_TMP/bad.rule" "$S/bad.rule"
assert_file_contains "the reason is logged" "$M/.metafs/log" "refused sync rule bad"
expect_fail_errno "a rule file must be NAME.rule" "Invalid argument" cp "$MF_TMP/bad.rule" "$S/bad.txt"

# ---------------------------------------------------------------- removing a rule
assert_ok "rm sync/NAME.rule removes the rule" rm "$S/sales.rule"
assert_eq "sync/ lists only the other rule" "ops
ops.rule" "$(mf_ls "$S")"

mf_finish
