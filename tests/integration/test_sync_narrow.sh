#!/usr/bin/env bash
# test_sync_narrow.sh - what a rule does to the objects it made when it is
# narrowed, when its target changes and when it is removed, through the
# mount with a home of three platforms (warehouse, lake, lake2):
#   - narrowing the source drops the mirrors it no longer matches and the
#     databases the rule created that are left empty; a database the rule
#     created that holds a table of lake's own stays (with a line in the
#     log); a database and table of lake's own are never touched;
#   - changing the target to lake2 mirrors into lake2 and then removes the
#     rule's mirrors and empty databases from lake; while that is held up
#     (a conflict on lake2) lake keeps them, the lag is not 0 and
#     `sync diff` lists what lake is still to lose;
#   - removing the rule leaves its mirrors where they are.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup --platform warehouse --platform lake --platform lake2
S=$M/sync
L2=$M/lake2
WAIT=5   # seconds

# the rule with SOURCE and TARGET (and more lines), written through the mount
define() {
	printf 'source = %s\ntarget = %s\nmirror = schema\n%s' "$1" "$2" "${3:-}" >"$MF_TMP/wide.rule"
	cp "$MF_TMP/wide.rule" "$S/wide.rule"
}

# wait for the rule to be applied (lag 0, idle)
applied() {
	mf_poll "$WAIT" sh_c '[ "$(cat "$1/lag")" = 0 ] && head -n 1 "$1/status" | grep -qx idle' _ "$S/wide"
}

# ---------------------------------------------------------------- source data
for t in sales/orders sales/returns hr/people ops/events; do
	mkdir -p "$W/$t" || mf_abort "mkdir $t"
	mf_put_schema "$W/$t" $'column id bigint\n' || mf_abort "$t/.schema" "$MF_OUT"
done

define 'warehouse.*.*' lake || mf_abort "define the rule"
applied || fail "the wide rule is applied within ${WAIT}s" "$(cat "$S/wide/status" 2>&1)"
assert_eq "lake holds the rule's databases" "hr
ops
sales" "$(mf_ls "$L")"
assert_eq "lake holds both sales tables" "orders
returns" "$(mf_ls "$L/sales")"

# lake's own objects: a database with a table, and a table in ops (a
# database the rule created)
mkdir -p "$L/own/t" "$L/ops/mine" || fail "mkdir lake's own objects"
mf_put_schema "$L/own/t" $'column x string\n' || fail "lake's own.t" "$MF_OUT"
mf_put_schema "$L/ops/mine" $'column x string\n' || fail "lake's ops.mine" "$MF_OUT"

# ---------------------------------------------------------------- narrowing
LOG0=$(mf_log_lines)
define warehouse.sales.orders lake || fail "narrow the rule"
applied || fail "the narrowed rule is applied within ${WAIT}s" "$(cat "$S/wide/status" 2>&1)"
assert_eq "narrowed: lake keeps sales, ops (holds lake's own table) and its own database" "ops
own
sales" "$(mf_ls "$L")"
assert_eq "narrowed: sales holds only orders" "orders" "$(mf_ls "$L/sales")"
assert_eq "narrowed: ops holds only lake's own table" "mine" "$(mf_ls "$L/ops")"
assert_eq "lake's own table in ops is untouched" "column x string" "$(grep '^column' "$L/ops/mine/.schema" 2>&1)"
assert_eq "lake's own database is untouched" "t" "$(mf_ls "$L/own")"
assert_match "the database left in place is logged" \
	"sync rule wide: database ops on lake, made by the rule, holds tables it did not make: left in place" \
	"$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/log" | tail -n +"$((LOG0 + 1))")"
mf_run "$METAFS" sync diff --mount "$M" wide
assert_eq "sync diff of the narrowed rule is empty" "" "$MF_OUT"

# ---------------------------------------------------------------- a new target, held up
# lake2 has a database and a table of its own where the rule's mirror would
# go: the run fails on the conflict before it touches lake.
mkdir -p "$L2/sales/orders" || fail "mkdir lake2's own sales.orders"
mf_put_schema "$L2/sales/orders" $'column y string\n' || fail "lake2's own table" "$MF_OUT"
define warehouse.sales.orders lake2 || fail "change the target"
mf_run cat "$S/wide/run"
assert_match "the conflict on lake2 fails the rule" "^failed" "$MF_OUT"
assert_eq "held up: lake still holds the mirror" "orders" "$(mf_ls "$L/sales")"
assert_match "held up: the lag shows work left" '^[1-9][0-9]*$' "$(cat "$S/wide/lag" 2>&1)"
mf_run "$METAFS" sync diff --mount "$M" wide
assert_eq "sync diff exits 0" "0" "$MF_RC"
assert_match "sync diff lists the mirror to drop from lake" $'(^|\n)drop table sales\\.orders on lake(\n|$)' "$MF_OUT"
assert_match "sync diff lists the database to drop from lake" $'(^|\n)drop database sales on lake(\n|$)' "$MF_OUT"
assert_match "sync diff names the conflict" "conflict: database sales exists on lake2" "$MF_OUT"

# ---------------------------------------------------------------- the new target, applied
rm -r "$L2/sales/orders" 2>/dev/null || rmdir "$L2/sales/orders" || fail "remove lake2's own table"
rmdir "$L2/sales" || fail "remove lake2's own database"
mf_run "$METAFS" sync now --mount "$M" wide
assert_eq "metafs sync now applies the new target" "0" "$MF_RC"
applied || fail "the new target is applied within ${WAIT}s" "$(cat "$S/wide/status" 2>&1)"
assert_eq "lake2 holds the mirror" "sales" "$(mf_ls "$L2")"
assert_eq "lake2's sales holds orders" "orders" "$(mf_ls "$L2/sales")"
assert_eq "lake2's mirror names the rule" "wide" "$(mf_field "$L2/sales/orders/.table" property.metafs.mirror.rule)"
assert_eq "lake lost the rule's mirror and its empty database, nothing else" "ops
own" "$(mf_ls "$L")"
assert_eq "lake's own table survives" "column x string" "$(grep '^column' "$L/own/t/.schema" 2>&1)"
assert_eq "lake's ops and its table survive" "mine" "$(mf_ls "$L/ops")"
assert_match "the log says the former target was emptied" \
	"sync rule wide: its mirrors on lake, its former target, are removed \(2 objects\)" \
	"$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/log")"
mf_run "$METAFS" sync diff --mount "$M" wide
assert_eq "sync diff is empty once converged" "" "$MF_OUT"

# ---------------------------------------------------------------- removing the rule
assert_ok "rm sync/wide.rule removes the rule" rm "$S/wide.rule"
assert_eq "the removed rule's mirror stays in lake2" "orders" "$(mf_ls "$L2/sales")"
assert_eq "and still names the rule" "wide" "$(mf_field "$L2/sales/orders/.table" property.metafs.mirror.rule)"
assert_eq "lake is as it was" "ops
own" "$(mf_ls "$L")"

mf_finish
