#!/usr/bin/env bash
# test_parquet_commit.sh - a data file is checked against its table's format
# when it is committed: a Parquet file copied into a Parquet table records the
# footer's row count and per-column statistics (.partition and .table show
# them); a Parquet file in a csv table, csv text or a truncated file in a
# Parquet table are refused with EINVAL at close(2) or rename(2), logged in
# /.metafs/log with the file's name, nothing is recorded and the table's jobs
# keep working; metafs repair reports and skips such files and registers a
# Parquet file of a Parquet table with its statistics.  The Parquet files are
# the DuckDB-written fixtures of tests/unit/parquet/.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup
FIX=$METAFS_SRCDIR/tests/unit/parquet
[ -f "$FIX/duckdb_row_groups.parquet" ] || mf_abort "fixtures in $FIX"
cp "$FIX/duckdb_row_groups.parquet" "$SRC/rg.parquet"
cp "$FIX/duckdb_default.parquet" "$SRC/default.parquet"

mf_run mkdir "$W/d" || mf_abort "mkdir database" "$MF_OUT"
mf_make_table "$W/d/pq" 'format parquet
column id bigint
column d double
column s string
column b boolean
column dt date
column ts timestamp
column dec9 decimal(9,2)
column dec18 decimal(18,3)
column dec38 decimal(38,4)
column i32 bigint
column u string
partition p int
'
mf_make_table "$W/d/c" 'format csv
column id bigint
column name string
partition p int
'
mf_run mkdir "$W/d/pq/p=1" "$W/d/c/p=1" || mf_abort "mkdir partitions" "$MF_OUT"
PQ=$W/d/pq/p=1
C=$W/d/c/p=1

# ---- a Parquet file in a Parquet table: rows and statistics from the footer
assert_ok "cp of a Parquet file into a Parquet table succeeds" cp "$SRC/rg.parquet" "$PQ/a.parquet"
assert_cmp "the Parquet file reads back" "$SRC/rg.parquet" "$PQ/a.parquet"
assert_eq ".partition rows are the footer's" "120" "$(mf_field "$PQ/.partition" rows)"
assert_match "the file's line has the footer's rows" '^file: a\.parquet bytes=[0-9]+ rows=120 ' \
	"$(grep '^file: a.parquet ' "$PQ/.partition")"
stats=$(grep '^stats: ' "$PQ/.partition")
assert_eq ".partition shows the footer's statistics per column" 'stats: id min=0 max=119 nulls=0
stats: d min=1.5 max=178.5 nulls=24
stats: s min="name0" max="name9" nulls=18
stats: b min=false max=true nulls=0
stats: dt min=2024-01-01 max=2024-04-29 nulls=0
stats: ts min=2024-01-01T00:00:01.000000Z max=2024-01-01T00:01:59.000000Z nulls=11
stats: dec9 min=0.00 max=386.75 nulls=0
stats: dec18 min=0.000 max=119014.875 nulls=0
stats: dec38 min=12345678901.5000 max=1469135789278.5000 nulls=40
stats: i32 min=-500 max=-381 nulls=0
stats: u min="user-0" max="user-95028" nulls=0' "$stats"
assert_ok "a second Parquet file is committed" cp "$SRC/default.parquet" "$PQ/b.parquet"
assert_eq ".partition rows add up" "240" "$(mf_field "$PQ/.partition" rows)"
assert_eq ".partition statistics are summed over the files" "stats: d min=1.5 max=178.5 nulls=48" \
	"$(grep '^stats: d ' "$PQ/.partition")"
assert_eq ".table shows the table's statistics" "stats: id min=0 max=119 nulls=0" \
	"$(grep '^stats: id ' "$W/d/pq/.table")"
assert_eq ".table rows are the footers'" "240" "$(mf_field "$W/d/pq/.table" rows)"

# ---- a Parquet file in a csv table: refused at close(2)
printf '1,one\n2,two\n3,three\n' >"$SRC/good.csv"
assert_ok "a csv file is committed into the csv table" cp "$SRC/good.csv" "$C/good.csv"
log_before=$(mf_log_lines)
expect_fail_errno "cp of a Parquet file into a csv table fails with EINVAL" \
	"Invalid argument" cp "$SRC/rg.parquet" "$C/x.parquet"
assert_match "/.metafs/log names the refused file and why" \
	'refused to commit /warehouse/d/c/p=1/x\.parquet: a Parquet file \(it starts with PAR1\), in csv table d\.c' \
	"$(timeout 10 cat "$M/.metafs/log" | tail -n +"$((log_before + 1))")"
assert_eq "the refused file is not listed" "good.csv" "$(mf_ls "$C")"
assert_not_exists "the refused file cannot be looked up" "$C/x.parquet"
assert_eq ".partition does not count the refused file" "1" "$(mf_field "$C/.partition" files)"
assert_eq ".partition rows are the csv file's" "3" "$(mf_field "$C/.partition" rows)"
assert_eq "the refused bytes are not in the data store" "good.csv" "$(ls -A "$DS/d/c/p=1")"
assert_eq "no staging file is left" "" "$(find "$DS/.metafs-staging" -mindepth 1 2>/dev/null)"
if run_job count_c 'SELECT count(*) AS n FROM warehouse.d.c'; then
	assert_eq "a job on the csv table still succeeds" "succeeded" "$STATE"
else
	fail "a job on the csv table still succeeds" "$STATUS"
fi
assert_match "the job read the csv file's rows" '3' "$(timeout 10 cat "$M/jobs/count_c/result" 2>/dev/null || timeout 10 cat "$M/jobs/count_c/status")"

# ---- csv text and a truncated file in a Parquet table: refused
expect_fail_errno "cp of csv text into a Parquet table fails with EINVAL" \
	"Invalid argument" cp "$SRC/good.csv" "$PQ/c.parquet"
assert_match "/.metafs/log names the csv file in the Parquet table" \
	'refused to commit /warehouse/d/pq/p=1/c\.parquet: not a Parquet file' \
	"$(timeout 10 cat "$M/.metafs/log")"
head -c 1000 "$SRC/rg.parquet" >"$SRC/trunc.parquet"
expect_fail_errno "cp of a truncated Parquet file fails with EINVAL" \
	"Invalid argument" cp "$SRC/trunc.parquet" "$PQ/t.parquet"
assert_match "/.metafs/log names the truncated file" 'refused to commit /warehouse/d/pq/p=1/t\.parquet' \
	"$(timeout 10 cat "$M/.metafs/log")"
# a shell's redirection into a new file closes it once empty, before cat
# writes: that close commits nothing, the last one commits the bytes
assert_ok "cat into a new Parquet file through a redirection succeeds" \
	sh_c 'cat "$1" >"$2"' _ "$SRC/rg.parquet" "$PQ/redir.parquet"
assert_eq "the redirected file is recorded with the footer's rows" \
	"rows=120" "$(grep '^file: redir.parquet ' "$PQ/.partition" | grep -o 'rows=[0-9]*')"
assert_ok "the redirected file goes" rm "$PQ/redir.parquet"
expect_fail_errno "touch of a new Parquet file fails with EINVAL (empty is no Parquet file)" \
	"Invalid argument" touch "$PQ/e.parquet"
assert_eq "only the committed Parquet files are listed" "a.parquet
b.parquet" "$(mf_ls "$PQ")"
assert_eq ".partition still counts two files" "2" "$(mf_field "$PQ/.partition" files)"

# ---- rename into place (the hidden-file pattern of rsync and editors)
assert_ok "a hidden file is written with Parquet bytes" cp "$SRC/rg.parquet" "$C/.x.tmp"
# rename(2) itself (mv(1) words an EINVAL from rename as "cannot move ... to a
# subdirectory of itself")
expect_fail_errno "its rename to a data name of the csv table fails with EINVAL" \
	"Invalid argument" python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' \
	"$C/.x.tmp" "$C/y.csv"
assert_eq "the renamed file is not listed" "good.csv" "$(mf_ls "$C")"
assert_cmp "the hidden file is left as it was, as by any failed rename" "$SRC/rg.parquet" "$C/.x.tmp"
assert_ok "the hidden file can be removed" rm "$C/.x.tmp"
assert_eq "nothing of it is left in the data store" "good.csv" "$(ls -A "$DS/d/c/p=1")"
assert_match "/.metafs/log names the rename's target" 'refused to commit /warehouse/d/c/p=1/y\.csv: a Parquet file' \
	"$(timeout 10 cat "$M/.metafs/log")"
assert_ok "a hidden Parquet file is written in the Parquet table" cp "$SRC/rg.parquet" "$PQ/.z.tmp"
assert_ok "its rename into place succeeds" mv "$PQ/.z.tmp" "$PQ/z.parquet"
assert_eq ".partition counts the renamed Parquet file" "360" "$(mf_field "$PQ/.partition" rows)"
assert_eq "the renamed file has its statistics" "stats: d min=1.5 max=178.5 nulls=72" \
	"$(grep '^stats: d ' "$PQ/.partition")"
assert_ok "a data rename keeps the statistics" mv "$PQ/z.parquet" "$PQ/zz.parquet"
assert_eq "statistics after the data rename" "stats: d min=1.5 max=178.5 nulls=72" \
	"$(grep '^stats: d ' "$PQ/.partition")"

# ---- metafs repair: skips a Parquet file in the csv table's directory,
# registers one of the Parquet table with its statistics
cp "$SRC/rg.parquet" "$DS/d/c/p=1/direct.parquet"
mf_run "$METAFS" repair --home "$H" warehouse.d.c
assert_eq "metafs repair of the csv table succeeds" "0" "$MF_RC"
assert_match "metafs repair reports the Parquet file it skipped" \
	'skipped /warehouse/d/c/p=1/direct\.parquet: a Parquet file \(it starts with PAR1\), in csv table d\.c' "$MF_OUT"
assert_match "metafs repair counts it" 'repaired warehouse\.d\.c: 0 partitions added, 0 files added' "$MF_OUT"
assert_match "metafs repair says it skipped one file" 'skipped 1 files that are not of the table' "$MF_OUT"
assert_eq "the skipped file is not listed" "good.csv" "$(mf_ls "$C")"
assert_eq ".partition of the csv table is unchanged" "3" "$(mf_field "$C/.partition" rows)"
if run_job count_c2 'SELECT count(*) AS n FROM warehouse.d.c'; then
	assert_eq "a job on the csv table succeeds after repair" "succeeded" "$STATE"
else
	fail "a job on the csv table succeeds after repair" "$STATUS"
fi
mkdir -p "$DS/d/pq/p=2"
cp "$SRC/default.parquet" "$DS/d/pq/p=2/r.parquet"
mf_run "$METAFS" repair --home "$H" warehouse.d.pq
assert_match "metafs repair registers the Parquet file" \
	'repaired warehouse\.d\.pq: 1 partitions added, 1 files added' "$MF_OUT"
assert_eq "the repaired file's rows are the footer's" "120" "$(mf_field "$W/d/pq/p=2/.partition" rows)"
assert_eq "the repaired file's statistics are recorded" "stats: u min=\"user-0\" max=\"user-95028\" nulls=0" \
	"$(grep '^stats: u ' "$W/d/pq/p=2/.partition")"

mf_finish
