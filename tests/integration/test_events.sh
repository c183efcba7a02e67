#!/usr/bin/env bash
# test_events.sh - /.metafs/events is one stream in commit order across the
# platforms: commits made on warehouse, then lake, then warehouse again are
# listed in that order, `tail -n 1` is the newest event whatever its
# platform, the times never go back, the file's size is what a read
# returns, and a user sees only the events about what the user may see.
# Needs root (it creates a user); skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
BOB=mfe_$$_bob
mf_add_user "$BOB"
mf_mount_shared
EVF=$M/.metafs/events
SCHEMA=$'format csv\nheader true\ncolumn id bigint\npartition k string\n'

mf_make_table "$W/wdb/t" "$SCHEMA"
mf_make_table "$L/ldb/t" "$SCHEMA"
mkdir "$W/wdb/t/k=a" "$L/ldb/t/k=a" || mf_abort "mkdir partitions"
printf 'id\n1\n' >"$MF_TMP/r.csv"
chmod 644 "$MF_TMP/r.csv"

# Three file commits, interleaved over the platforms.
assert_ok "cp into warehouse" cp "$MF_TMP/r.csv" "$W/wdb/t/k=a/first.csv"
assert_ok "cp into lake" cp "$MF_TMP/r.csv" "$L/ldb/t/k=a/second.csv"
assert_ok "cp into warehouse again" cp "$MF_TMP/r.csv" "$W/wdb/t/k=a/third.csv"

EV=$MF_TMP/events
mf_run cat "$EVF"
assert_eq "/.metafs/events is readable" 0 "$MF_RC" || note "$MF_OUT"
printf '%s\n' "$MF_OUT" >"$EV"
line_of() { awk -v plat="$1" -v p="$2" '$1==plat && $4=="create" && $5=="file" && $7==p {print NR; exit}' "$EV"; }
N1=$(line_of warehouse wdb/t/k=a/first.csv)
N2=$(line_of lake ldb/t/k=a/second.csv)
N3=$(line_of warehouse wdb/t/k=a/third.csv)
assert_eq "the three file commits are listed in the order they were made" "yes" \
	"$([ -n "$N1" ] && [ -n "$N2" ] && [ -n "$N3" ] && [ "$N1" -lt "$N2" ] && [ "$N2" -lt "$N3" ] &&
		echo yes || echo "no (lines '$N1' '$N2' '$N3')")" || note "$(cat "$EV")"
assert_match "tail -n 1 is the newest event: the last warehouse commit" \
	'^warehouse [0-9]+ [^ ]+ create file fs wdb/t/k=a/third\.csv etag=[0-9a-f]{16}$' \
	"$(timeout -k 5 "$MF_CMD_TIMEOUT" tail -n 1 "$EVF" 2>&1)"
assert_eq "the times never go back" "" \
	"$(awk '{ if (NR > 1 && $3 < last) print NR ": " $3 " after " last; last = $3 }' "$EV" | head -n 3)"
assert_eq "each platform's seq numbers increase" "" \
	"$(awk '{ if (($1 in last) && $2 <= last[$1]) print NR ": " $1 " " $2 " after " last[$1]; last[$1] = $2 }' "$EV" | head -n 3)"
assert_eq "both platforms' databases are there" "2" \
	"$(awk '$4=="create" && $5=="database" && ($7=="wdb" || $7=="ldb")' "$EV" | wc -l)"
assert_eq "st_size is the number of bytes a read returns" \
	"$(stat -c %s "$EVF" 2>&1)" "$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$EVF" | wc -c)"

# ---------------------------------------------------------------- another reader
mf_run mf_as "$BOB" cat "$EVF"
assert_eq "a user without grants reads the file" 0 "$MF_RC" || note "$MF_OUT"
assert_eq "and sees no event (he may see nothing)" "" "$MF_OUT"

mkdir "$L/bobdb" || mf_abort "mkdir lake/bobdb"
run_job g "GRANT ALL PRIVILEGES ON DATABASE lake.bobdb TO USER $BOB;"
assert_eq "root grants bob a database of lake" "succeeded" "$STATE" || note "$STATUS"
assert_ok "bob creates a table there" mf_as "$BOB" mkdir "$L/bobdb/t"
mf_run mf_as_sh "$BOB" "printf '%s' '$SCHEMA' >'$L/bobdb/t/.schema'"
assert_eq "bob writes its schema" 0 "$MF_RC" || note "$MF_OUT"
assert_ok "bob makes a partition" mf_as "$BOB" mkdir "$L/bobdb/t/k=b"
assert_ok "bob writes a file" mf_as "$BOB" cp "$MF_TMP/r.csv" "$L/bobdb/t/k=b/bob.csv"
assert_ok "root commits on warehouse after bob" cp "$MF_TMP/r.csv" "$W/wdb/t/k=a/fourth.csv"

BEV=$MF_TMP/bob_events
mf_as "$BOB" cat "$EVF" >"$BEV" 2>&1
assert_eq "bob sees only the events about his database" "" \
	"$(awk '!($1=="lake" && ($7=="bobdb" || index($7, "bobdb/")==1))' "$BEV" | head -n 3)"
assert_eq "bob sees his database, table, partition and file, in order" \
"create database bobdb
create table bobdb/t
alter table bobdb/t
create partition bobdb/t/k=b
create file bobdb/t/k=b/bob.csv" "$(awk '{print $4, $5, $7}' "$BEV" | awk '!seen[$0]++')"
assert_eq "bob's file size is what his read returns" \
	"$(mf_as "$BOB" stat -c %s "$EVF" 2>&1)" "$(mf_as "$BOB" cat "$EVF" | wc -c)"
assert_match "root's newest line is the warehouse commit after bob's" \
	'^warehouse [0-9]+ [^ ]+ create file fs wdb/t/k=a/fourth\.csv ' \
	"$(timeout -k 5 "$MF_CMD_TIMEOUT" tail -n 1 "$EVF" 2>&1)"
assert_eq "root sees bob's lines too, before its own last commit" "yes" \
	"$(awk '$1=="lake" && $7=="bobdb/t/k=b/bob.csv" {b=NR} $7=="wdb/t/k=a/fourth.csv" {f=NR}
		END {print (b && f && b < f) ? "yes" : "no (" b " " f ")"}' "$EVF")"

mf_finish
