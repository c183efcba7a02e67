#!/usr/bin/env bash
# test_basic.sh - the tree, metadata files and data files through a real mount.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z$'
HEX16='^[0-9a-f]{16}$'
HEX32='^[0-9a-f]{32}$'

# ---------------------------------------------------------------- local data
# orders: csv with header; quoted newline, escaped quotes, CRLF, no final newline
printf 'id,region,amount\n1,north,10.5\n2,"south\neast",20.25\n3,"say ""hi""",30\n' >"$SRC/orders1.csv"   # 3 rows
printf 'id,region,amount\n4,west,1\n5,"a,b",2' >"$SRC/orders2.csv"                                         # 2 rows
printf 'id,region,amount\r\n6,x,1\r\n7,y,2\r\n8,"z\r\nw",3\r\n9,q,4\r\n' >"$SRC/orders3.csv"             # 4 rows
# events: csv without header
printf '1,a\n2,b\n' >"$SRC/events.csv"                                                                     # 2 rows
# logs: jsonl
printf '{"id":1,"msg":"a"}\n\n{"id":2,"msg":"b\\nc"}\n\n{"id":3}\n' >"$SRC/logs1.jsonl"                  # 3 rows
printf '{"id":4}\n   \n{"id":5}\n' >"$SRC/logs2.jsonl"                                                     # 2 rows
# dim: unpartitioned
printf 'a,1\nb,2\nc,3\n' >"$SRC/dim.csv"                                                                   # 3 rows
size() { stat -c %s -- "$1"; }

# ---------------------------------------------------------------- platforms
assert_eq "ls of the root lists the platforms, jobs, pipelines and sync" "jobs
lake
pipelines
sync
warehouse" "$(mf_ls "$M")"
assert_eq "readdir of the root gives platforms in config order, then jobs, sync and pipelines" "warehouse
lake
jobs
sync
pipelines" "$(ls -1U -- "$M" 2>&1)"
assert_eq "ls -A of the root shows .metafs" ".metafs
jobs
lake
pipelines
sync
warehouse" "$(ls -1A -- "$M" 2>&1)"
assert_eq "a new platform lists empty" "" "$(mf_ls "$L")"

# ---------------------------------------------------------------- databases
assert_ok "mkdir database" mkdir "$W/sales"
assert_eq "database is listed" "sales" "$(mf_ls "$W")"
assert_eq "database dir mode is 0755" "755" "$(stat -c %a "$W/sales" 2>&1)"
assert_eq "database owner is the creating uid:gid" "$(id -u):$(id -g)" "$(stat -c %u:%g "$W/sales" 2>&1)"
expect_fail_errno "mkdir of an existing database: EEXIST" "File exists" mkdir "$W/sales"
expect_fail_errno "regular file in a database dir: EPERM" "Operation not permitted" cp "$SRC/dim.csv" "$W/sales/x.csv"

# ---------------------------------------------------------------- tables and .schema
assert_ok "mkdir table" mkdir "$W/sales/orders"
assert_eq "table is listed" "orders" "$(mf_ls "$W/sales")"
assert_eq ".schema is mode 0644 before it is defined" "644" "$(stat -c %a "$W/sales/orders/.schema" 2>&1)"
assert_ok ".table is readable before the schema is defined" cat "$W/sales/orders/.table"
assert_eq ".table columns: is empty before the schema" "" "$(mf_field "$W/sales/orders/.table" columns | tr -d ' ')"
expect_fail_errno "mkdir partition in a table without schema: EPERM" "Operation not permitted" \
	mkdir "$W/sales/orders/dt=2024-05-01"

SCHEMA_IN='# orders table
format csv

header true
# columns
column id BIGINT
column region String
column  amount   double
partition dt DATE
property owner_team = sales-eng
'
SCHEMA_CANON='format csv
header true
column id bigint
column region string
column amount double
partition dt date
property owner_team = sales-eng'
if mf_put_schema "$W/sales/orders" "$SCHEMA_IN"; then pass "write .schema"; else fail "write .schema" "$MF_OUT"; fi
assert_eq ".schema reads back in canonical form" "$SCHEMA_CANON" "$(cat "$W/sales/orders/.schema" 2>&1)"
assert_eq ".schema is mode 0444 once defined" "444" "$(stat -c %a "$W/sales/orders/.schema" 2>&1)"

# clone with cat a/.schema > b/.schema
mkdir "$W/sales/orders_clone" 2>/dev/null
assert_ok "cat a/.schema > b/.schema clones a schema" \
	sh_c 'cat "$1" > "$2"' _ "$W/sales/orders/.schema" "$W/sales/orders_clone/.schema"
assert_eq "cloned .schema equals the original" "$SCHEMA_CANON" "$(cat "$W/sales/orders_clone/.schema" 2>&1)"

T=$W/sales/orders/.table
assert_eq ".table platform:" "warehouse" "$(mf_field "$T" platform)"
assert_eq ".table database:" "sales" "$(mf_field "$T" database)"
assert_eq ".table table:" "orders" "$(mf_field "$T" table)"
assert_match ".table id: is a number" '^[0-9]+$' "$(mf_field "$T" id)"
assert_eq ".table format:" "csv" "$(mf_field "$T" format)"
assert_eq ".table header:" "true" "$(mf_field "$T" header)"
assert_eq ".table owner:" "$(id -u):$(id -g)" "$(mf_field "$T" owner)"
assert_match ".table created: is an RFC 3339 ns UTC time" "$TS_RE" "$(mf_field "$T" created)"
assert_match ".table modified: is an RFC 3339 ns UTC time" "$TS_RE" "$(mf_field "$T" modified)"
assert_eq ".table columns:" "id bigint, region string, amount double" "$(mf_field "$T" columns)"
assert_eq ".table partition_keys:" "dt date" "$(mf_field "$T" partition_keys)"
assert_eq ".table partitions: 0 for a new table" "0" "$(mf_field "$T" partitions)"
assert_eq ".table files: 0 for a new table" "0" "$(mf_field "$T" files)"
assert_eq ".table rows: 0 for a new table" "0" "$(mf_field "$T" rows)"
assert_eq ".table bytes: 0 for a new table" "0" "$(mf_field "$T" bytes)"
assert_match ".table etag: is 16 hex digits" "$HEX16" "$(mf_field "$T" etag)"
assert_eq ".table property.owner_team:" "sales-eng" "$(mf_field "$T" property.owner_team)"
LOC=$(mf_field "$T" location)
assert_eq ".table location: is DATASTORE/sales/orders" "$(mf_realpath "$DS/sales/orders")" "$(mf_realpath "$LOC")"
assert_match ".table location: is absolute" '^/' "$LOC"
assert_dir ".table location exists on disk" "$LOC"
assert_eq ".table fields come in the spec's order" \
	"platform database table id location format header owner created modified columns partition_keys partitions files rows bytes etag property.owner_team" \
	"$(cut -d: -f1 "$T" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
assert_eq ".table is mode 0444" "444" "$(stat -c %a "$T" 2>&1)"

# ---------------------------------------------------------------- partitions and data files
P1=$W/sales/orders/dt=2024-05-01
P2=$W/sales/orders/dt=2024-05-02
assert_ok "mkdir partition (one key)" mkdir "$P1"
assert_ok "mkdir a second partition" mkdir "$P2"
assert_eq "partitions are listed" "dt=2024-05-01
dt=2024-05-02" "$(mf_ls "$W/sales/orders")"
assert_eq "partition dir mode is 0755" "755" "$(stat -c %a "$P1" 2>&1)"

assert_ok "cp csv file into a partition" cp "$SRC/orders1.csv" "$P1/part-00000.csv"
assert_ok "cp csv file without final newline" cp "$SRC/orders2.csv" "$P1/part-00001.csv"
assert_ok "cp csv file with CRLF into the second partition" cp "$SRC/orders3.csv" "$P2/part-00000.csv"
assert_cmp "csv file reads back byte-exact" "$SRC/orders1.csv" "$P1/part-00000.csv"
assert_cmp "second csv file reads back byte-exact" "$SRC/orders2.csv" "$P1/part-00001.csv"
assert_cmp "CRLF csv file reads back byte-exact" "$SRC/orders3.csv" "$P2/part-00000.csv"
assert_eq "data files are listed" "part-00000.csv
part-00001.csv" "$(mf_ls "$P1")"
assert_eq "data file mode is 0644" "644" "$(stat -c %a "$P1/part-00000.csv" 2>&1)"
assert_eq "data file st_size is its byte count" "$(size "$SRC/orders1.csv")" "$(stat -c %s "$P1/part-00000.csv" 2>&1)"
assert_eq "data file owner is the creating uid:gid" "$(id -u):$(id -g)" "$(stat -c %u:%g "$P1/part-00000.csv" 2>&1)"

PP=$P1/.partition
PLOC=$(mf_field "$PP" location)
assert_eq ".partition table:" "warehouse.sales.orders" "$(mf_field "$PP" table)"
assert_eq ".partition spec:" "dt=2024-05-01" "$(mf_field "$PP" spec)"
assert_match ".partition id: is a number" '^[0-9]+$' "$(mf_field "$PP" id)"
assert_eq ".partition location: is DATASTORE/sales/orders/dt=2024-05-01" \
	"$(mf_realpath "$DS/sales/orders/dt=2024-05-01")" "$(mf_realpath "$PLOC")"
assert_match ".partition created:" "$TS_RE" "$(mf_field "$PP" created)"
assert_match ".partition modified:" "$TS_RE" "$(mf_field "$PP" modified)"
assert_eq ".partition files:" "2" "$(mf_field "$PP" files)"
assert_eq ".partition rows: (quoted newline and header not counted; no final newline)" "5" "$(mf_field "$PP" rows)"
assert_eq ".partition bytes:" "$(($(size "$SRC/orders1.csv") + $(size "$SRC/orders2.csv")))" "$(mf_field "$PP" bytes)"
assert_match ".partition checksum: is 32 hex digits" "$HEX32" "$(mf_field "$PP" checksum)"
assert_match ".partition etag: is 16 hex digits" "$HEX16" "$(mf_field "$PP" etag)"
X1=$(mf_xxh128 "$SRC/orders1.csv")
X2=$(mf_xxh128 "$SRC/orders2.csv")
X3=$(mf_xxh128 "$SRC/orders3.csv")
assert_file_has_line ".partition file line: bytes, rows (3), xxh128 = xxhsum" "$PP" \
	"file: part-00000.csv bytes=$(size "$SRC/orders1.csv") rows=3 xxh128=$X1"
assert_file_has_line ".partition file line of a file without final newline (2 rows)" "$PP" \
	"file: part-00001.csv bytes=$(size "$SRC/orders2.csv") rows=2 xxh128=$X2"
assert_file_has_line ".partition file line of a CRLF file with quoted CRLF (4 rows)" "$P2/.partition" \
	"file: part-00000.csv bytes=$(size "$SRC/orders3.csv") rows=4 xxh128=$X3"
assert_eq ".partition fields come in the spec's order" \
	"table spec id location created modified files rows bytes checksum etag file file" \
	"$(cut -d: -f1 "$PP" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
assert_eq ".partition is mode 0444" "444" "$(stat -c %a "$PP" 2>&1)"
assert_cmp "data file is at .partition location in the data store" "$SRC/orders1.csv" "$PLOC/part-00000.csv"
assert_cmp "data file is at DATASTORE/db/table/dt=VALUE/FILE (Hive layout)" "$SRC/orders2.csv" \
	"$DS/sales/orders/dt=2024-05-01/part-00001.csv"
assert_eq ".table partitions: counts leaf partitions" "2" "$(mf_field "$T" partitions)"
assert_eq ".table files:" "3" "$(mf_field "$T" files)"
assert_eq ".table rows:" "9" "$(mf_field "$T" rows)"
assert_eq ".table bytes:" "$(($(size "$SRC/orders1.csv") + $(size "$SRC/orders2.csv") + $(size "$SRC/orders3.csv")))" \
	"$(mf_field "$T" bytes)"

# shell redirection, truncate, mv within a table
printf 'id,region,amount\n10,r,1\n11,s,2\n' >"$SRC/redir.csv"
assert_ok "shell redirection creates a data file" sh_c 'cat "$1" > "$2"' _ "$SRC/redir.csv" "$P2/redir.csv"
assert_file_has_line "file written by redirection is in .partition (2 rows)" "$P2/.partition" \
	"file: redir.csv bytes=$(size "$SRC/redir.csv") rows=2 xxh128=$(mf_xxh128 "$SRC/redir.csv")"
assert_ok "truncate -s 0 of a data file" truncate -s 0 "$P2/redir.csv"
assert_eq "truncated file has size 0" "0" "$(stat -c %s "$P2/redir.csv" 2>&1)"
# truncate(1) writes nothing through its descriptor: the last close
# commits, and the kernel sends that after close(2) returned (metafs(5)).
mf_poll 10 grep -qxF "file: redir.csv bytes=0 rows=0 xxh128=$(mf_xxh128 /dev/null)" "$P2/.partition"
assert_file_has_line "truncated file is recorded with 0 bytes and 0 rows" "$P2/.partition" \
	"file: redir.csv bytes=0 rows=0 xxh128=$(mf_xxh128 /dev/null)"
assert_ok "mv of a data file to another partition of the same table" mv "$P2/redir.csv" "$P1/moved.csv"
assert_not_exists "moved file is gone from its old partition" "$P2/redir.csv"
assert_exists "moved file is in its new partition" "$P1/moved.csv"
assert_eq "source partition's .partition no longer lists the moved file" "0" "$(grep -c '^file: redir.csv ' "$P2/.partition" 2>&1)"
assert_ok "rm of the moved file" rm "$P1/moved.csv"
expect_fail_errno "renaming a file to another table: EXDEV" "Invalid cross-device link" \
	perl -e 'rename($ARGV[0], $ARGV[1]) or die "$!\n"' "$P2/part-00000.csv" "$W/sales/orders_clone/x.csv"
expect_fail_errno "renaming a directory: EXDEV" "Invalid cross-device link" \
	perl -e 'rename($ARGV[0], $ARGV[1]) or die "$!\n"' "$P2" "$W/sales/orders/dt=2024-06-01"

# two partition keys, nested
assert_ok "mkdir table events" mkdir "$W/sales/events"
if mf_put_schema "$W/sales/events" 'column id bigint
column name string
partition dt date
partition hour int
'; then pass "write two-key .schema"; else fail "write two-key .schema" "$MF_OUT"; fi
assert_ok "mkdir -p of nested partitions (two keys)" mkdir -p "$W/sales/events/dt=2024-05-01/hour=03"
assert_eq "first partition level is listed" "dt=2024-05-01" "$(mf_ls "$W/sales/events")"
assert_eq "second partition level is listed" "hour=03" "$(mf_ls "$W/sales/events/dt=2024-05-01")"
EP=$W/sales/events/dt=2024-05-01/hour=03
assert_ok "cp a file into a two-level leaf partition" cp "$SRC/events.csv" "$EP/part-00000.csv"
assert_cmp "two-level partition file reads back" "$SRC/events.csv" "$EP/part-00000.csv"
assert_eq ".partition spec: of a two-level partition" "dt=2024-05-01/hour=03" "$(mf_field "$EP/.partition" spec)"
assert_eq ".partition rows: headerless csv" "2" "$(mf_field "$EP/.partition" rows)"
assert_cmp "two-level partition file is in DATASTORE/db/table/k1=v1/k2=v2/" "$SRC/events.csv" \
	"$DS/sales/events/dt=2024-05-01/hour=03/part-00000.csv"
assert_eq ".table partition_keys: of a two-key table" "dt date, hour bigint" "$(mf_field "$W/sales/events/.table" partition_keys)"
assert_eq ".table partitions: counts only leaf partitions" "1" "$(mf_field "$W/sales/events/.table" partitions)"
expect_fail_errno "regular file in a non-leaf partition dir: EPERM" "Operation not permitted" \
	cp "$SRC/events.csv" "$W/sales/events/dt=2024-05-01/x.csv"

# jsonl
assert_ok "mkdir jsonl table" mkdir "$W/sales/logs"
if mf_put_schema "$W/sales/logs" 'format jsonl
column id bigint
column msg string
partition dt date
'; then pass "write jsonl .schema"; else fail "write jsonl .schema" "$MF_OUT"; fi
assert_eq "jsonl .schema reads back starting with format jsonl" "format jsonl" "$(head -n 1 "$W/sales/logs/.schema" 2>&1)"
assert_eq ".table format: jsonl" "jsonl" "$(mf_field "$W/sales/logs/.table" format)"
mkdir "$W/sales/logs/dt=2024-05-01" 2>/dev/null
assert_ok "cp jsonl file" cp "$SRC/logs1.jsonl" "$W/sales/logs/dt=2024-05-01/a.jsonl"
assert_ok "cp second jsonl file" cp "$SRC/logs2.jsonl" "$W/sales/logs/dt=2024-05-01/b.jsonl"
assert_cmp "jsonl file reads back byte-exact" "$SRC/logs1.jsonl" "$W/sales/logs/dt=2024-05-01/a.jsonl"
assert_file_has_line "jsonl rows: non-blank lines (3)" "$W/sales/logs/dt=2024-05-01/.partition" \
	"file: a.jsonl bytes=$(size "$SRC/logs1.jsonl") rows=3 xxh128=$(mf_xxh128 "$SRC/logs1.jsonl")"
assert_file_has_line "jsonl rows: a whitespace-only line is blank (2)" "$W/sales/logs/dt=2024-05-01/.partition" \
	"file: b.jsonl bytes=$(size "$SRC/logs2.jsonl") rows=2 xxh128=$(mf_xxh128 "$SRC/logs2.jsonl")"
assert_cmp "jsonl file is in the data store" "$SRC/logs1.jsonl" "$DS/sales/logs/dt=2024-05-01/a.jsonl"

# ---------------------------------------------------------------- rm of a file updates stats
CK_BEFORE=$(mf_field "$PP" checksum)
MOD_BEFORE=$(mf_field "$T" modified)
ETAG_BEFORE=$(mf_field "$T" etag)
assert_ok "rm of a data file" rm "$P1/part-00001.csv"
assert_eq "removed file is no longer listed" "part-00000.csv" "$(mf_ls "$P1")"
assert_not_exists "removed file is gone from the data store" "$DS/sales/orders/dt=2024-05-01/part-00001.csv"
expect_fail_errno "stat of the removed file: ENOENT" "No such file or directory" stat "$P1/part-00001.csv"
assert_eq ".partition files: after rm" "1" "$(mf_field "$PP" files)"
assert_eq ".partition rows: after rm" "3" "$(mf_field "$PP" rows)"
assert_eq ".partition bytes: after rm" "$(size "$SRC/orders1.csv")" "$(mf_field "$PP" bytes)"
assert_eq ".partition has no file line for the removed file" "0" "$(grep -c '^file: part-00001.csv ' "$PP" 2>&1)"
assert_ne ".partition checksum: changes after rm" "$CK_BEFORE" "$(mf_field "$PP" checksum)"
assert_ne ".table modified: changes after rm" "$MOD_BEFORE" "$(mf_field "$T" modified)"
assert_ne ".table etag: changes after rm" "$ETAG_BEFORE" "$(mf_field "$T" etag)"
assert_eq ".table files: after rm" "2" "$(mf_field "$T" files)"
assert_eq ".table rows: after rm" "7" "$(mf_field "$T" rows)"
assert_eq ".table bytes: after rm" "$(($(size "$SRC/orders1.csv") + $(size "$SRC/orders3.csv")))" "$(mf_field "$T" bytes)"

# ---------------------------------------------------------------- rmdir of non-empty dirs
expect_fail_errno "rmdir of a database with tables: ENOTEMPTY" "Directory not empty" rmdir "$W/sales"
expect_fail_errno "rmdir of a table with partitions: ENOTEMPTY" "Directory not empty" rmdir "$W/sales/orders"
expect_fail_errno "rmdir of a partition with files: ENOTEMPTY" "Directory not empty" rmdir "$P1"
expect_fail_errno "rmdir of a partition with child partitions: ENOTEMPTY" "Directory not empty" rmdir "$W/sales/events/dt=2024-05-01"
mkdir "$W/sales/orders/dt=2024-05-09" 2>/dev/null
assert_ok "rmdir of an empty partition" rmdir "$W/sales/orders/dt=2024-05-09"
assert_eq "removed partition is no longer listed" "dt=2024-05-01
dt=2024-05-02" "$(mf_ls "$W/sales/orders")"
assert_ok "mkdir + rmdir of an empty database" sh_c 'mkdir "$1" && rmdir "$1"' _ "$W/empty_db"
assert_not_exists "dropped empty database is gone" "$W/empty_db"

# ---------------------------------------------------------------- rm -r of a table
mkdir "$W/sales/tmp" 2>/dev/null
mf_put_schema "$W/sales/tmp" 'column a string
partition p string
' || fail "write tmp .schema" "$MF_OUT"
mkdir "$W/sales/tmp/p=1" "$W/sales/tmp/p=2" 2>/dev/null
cp "$SRC/dim.csv" "$W/sales/tmp/p=1/f.csv" 2>/dev/null
cp "$SRC/dim.csv" "$W/sales/tmp/p=2/f.csv" 2>/dev/null
TLOC=$(mf_field "$W/sales/tmp/.table" location)
assert_dir "table to drop has its data-store directory" "$TLOC"
assert_ok "rm -r of a table" rm -r "$W/sales/tmp"
assert_not_exists "dropped table is gone from the mount" "$W/sales/tmp"
assert_eq "dropped table is not listed" "events
logs
orders
orders_clone" "$(mf_ls "$W/sales")"
assert_not_exists "dropped table's data-store directory is gone" "$TLOC"
assert_ok "mkdir of a dropped table's name creates a fresh table" mkdir "$W/sales/tmp"
assert_eq "re-created table has no schema (schema was dropped)" "" "$(mf_field "$W/sales/tmp/.table" columns | tr -d ' ')"
assert_eq "re-created table has 0 partitions" "0" "$(mf_field "$W/sales/tmp/.table" partitions)"
rmdir "$W/sales/tmp" 2>/dev/null

# ---------------------------------------------------------------- metadata files are hidden
assert_eq "ls -a of a table shows no metadata files" ".
..
dt=2024-05-01
dt=2024-05-02" "$(mf_ls_a "$W/sales/orders")"
assert_eq "ls -a of a partition shows no .partition" ".
..
part-00000.csv" "$(mf_ls_a "$P1")"
assert_eq "find sees no dot files under a platform" "" "$(find "$W" -mindepth 1 -name '.*' 2>&1)"
assert_ok ".schema is readable by name" cat "$W/sales/orders/.schema"
assert_ok ".table can be stat'ed by name" stat "$W/sales/orders/.table"
assert_ok ".partition is readable by name" cat "$PP"

# ---------------------------------------------------------------- read-only nodes
expect_fail_errno "writing .table: EACCES" "Permission denied" sh_c 'echo x > "$1"' _ "$T"
expect_fail_errno "writing .partition: EACCES" "Permission denied" sh_c 'echo x > "$1"' _ "$PP"
expect_fail_errno "writing /.metafs/version: EACCES" "Permission denied" sh_c 'echo x > "$1"' _ "$M/.metafs/version"
expect_fail_errno "mkdir at the mount root: EACCES" "Permission denied" mkdir "$M/newplatform"
expect_fail_errno "creating a file at the mount root: EACCES" "Permission denied" cp "$SRC/dim.csv" "$M/x.csv"
ERR=$(cp "$SRC/dim.csv" "$W/x.csv" 2>&1)
assert_match "creating a file in a platform dir: EACCES or EPERM (the spec names both)" '(Permission denied|Operation not permitted)$' "$ERR"
printf 'column other string\n' >"$SRC/other.schema"
expect_fail_errno "rewriting a defined .schema: EACCES" "Permission denied" cp "$SRC/other.schema" "$W/sales/orders/.schema"
assert_eq "defined .schema is unchanged after the refused rewrite" "$SCHEMA_CANON" "$(cat "$W/sales/orders/.schema" 2>&1)"

# ---------------------------------------------------------------- bad schemas
mkdir "$W/sales/bad" 2>/dev/null
printf '# a bad schema\ncolumn id bigint\ncolumn name strin\n' >"$SRC/bad.schema"
expect_fail_errno "bad .schema (unknown type) fails on close: EINVAL" "Invalid argument" cp "$SRC/bad.schema" "$W/sales/bad/.schema"
assert_eq "table stays without schema after a bad .schema" "" "$(mf_field "$W/sales/bad/.table" columns | tr -d ' ')"
expect_fail_errno "table with a refused schema still refuses partitions: EPERM" "Operation not permitted" mkdir "$W/sales/bad/dt=x"
assert_file_contains "reason of the bad .schema (line 3, unknown type) is in /.metafs/log" "$M/.metafs/log" 'line 3: unknown type "strin"'
if mf_put_schema "$W/sales/bad" 'column id bigint
partition dt string
'; then pass "a good .schema is accepted after a refused one"; else fail "a good .schema is accepted after a refused one" "$MF_OUT"; fi

bad_schema() { # NAME TEXT
	local t=$W/sales/bad_$RANDOM
	mkdir "$t" 2>/dev/null
	printf '%s' "$2" >"$SRC/b.schema"
	expect_fail_errno "$1" "Invalid argument" cp "$SRC/b.schema" "$t/.schema"
}
bad_schema ".schema with a duplicate column: EINVAL" $'column a string\ncolumn a bigint\n'
bad_schema ".schema with no columns: EINVAL" $'format csv\nheader true\n'
KEYS17=$(printf 'column c string\n'; for i in $(seq 1 17); do printf 'partition k%d string\n' "$i"; done)
bad_schema ".schema with 17 partition keys: EINVAL" "$KEYS17"$'\n'
bad_schema ".schema with a bad column name: EINVAL" $'column a/b string\n'
mkdir "$W/sales/keys16" 2>/dev/null
KEYS16=$(printf 'column c string\n'; for i in $(seq 1 16); do printf 'partition k%d string\n' "$i"; done)
if mf_put_schema "$W/sales/keys16" "$KEYS16"$'\n'; then pass ".schema with 16 partition keys is accepted"; else fail ".schema with 16 partition keys is accepted" "$MF_OUT"; fi

# ---------------------------------------------------------------- unpartitioned table
assert_ok "mkdir unpartitioned table" mkdir "$W/sales/dim"
if mf_put_schema "$W/sales/dim" 'column k string
column v bigint
'; then pass "write unpartitioned .schema"; else fail "write unpartitioned .schema" "$MF_OUT"; fi
assert_eq ".table partition_keys: empty for an unpartitioned table" "" "$(mf_field "$W/sales/dim/.table" partition_keys | tr -d ' ')"
assert_ok "cp a file into an unpartitioned table dir" cp "$SRC/dim.csv" "$W/sales/dim/dim.csv"
assert_cmp "unpartitioned table file reads back" "$SRC/dim.csv" "$W/sales/dim/dim.csv"
assert_cmp "unpartitioned table file is in DATASTORE/db/table/" "$SRC/dim.csv" "$DS/sales/dim/dim.csv"
assert_eq "unpartitioned table lists its file" "dim.csv" "$(mf_ls "$W/sales/dim")"
assert_eq ".table files: of an unpartitioned table" "1" "$(mf_field "$W/sales/dim/.table" files)"
assert_eq ".table rows: of an unpartitioned table" "3" "$(mf_field "$W/sales/dim/.table" rows)"
assert_eq ".table bytes: of an unpartitioned table" "$(size "$SRC/dim.csv")" "$(mf_field "$W/sales/dim/.table" bytes)"
expect_fail_errno "mkdir in an unpartitioned table: EPERM" "Operation not permitted" mkdir "$W/sales/dim/x"
expect_fail_errno "rmdir of an unpartitioned table with files: ENOTEMPTY" "Directory not empty" rmdir "$W/sales/dim"
assert_eq "ls -a of an unpartitioned table shows only data" ".
..
dim.csv" "$(mf_ls_a "$W/sales/dim")"

# ---------------------------------------------------------------- /.metafs
printf 'metafs 0.1.0\nformat 1\n' >"$SRC/version"
assert_cmp "/.metafs/version" "$SRC/version" "$M/.metafs/version"

EV=$MF_TMP/events
if cat "$M/.metafs/events" >"$EV" 2>"$MF_TMP/events.err"; then pass "/.metafs/events is readable"; else fail "/.metafs/events is readable" "$(cat "$MF_TMP/events.err")"; fi
EV_RE='^(warehouse|lake) [0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z (create|alter|drop) (database|table|partition|file) (fs|job|sync|tool) [^ ]+ etag=[0-9a-f]{16}$'
assert_eq "every event line has the spec's format" "" "$(grep -Ev "$EV_RE" "$EV" | head -n 5)"
seq_of() { awk -v op="$1" -v k="$2" -v p="$3" '$1=="warehouse" && $4==op && $5==k && $7==p {print $2; exit}' "$EV"; }
S_DB=$(seq_of create database sales)
S_TB=$(seq_of create table sales/orders)
S_P1=$(seq_of create partition sales/orders/dt=2024-05-01)
S_E1=$(seq_of create partition sales/events/dt=2024-05-01)
S_E2=$(seq_of create partition sales/events/dt=2024-05-01/hour=03)
S_DROP=$(seq_of drop table sales/tmp)
assert_match "event: create database fs sales" '^[0-9]+$' "$S_DB"
assert_match "event: create table fs sales/orders" '^[0-9]+$' "$S_TB"
assert_match "event: create partition fs sales/orders/dt=2024-05-01" '^[0-9]+$' "$S_P1"
assert_match "event: create partition for a non-leaf level" '^[0-9]+$' "$S_E1"
assert_match "event: create partition for the leaf level" '^[0-9]+$' "$S_E2"
assert_match "event: drop table sales/tmp" '^[0-9]+$' "$S_DROP"
assert_eq "create events are in order: database < table < partition" "yes" \
	"$([ -n "$S_DB" ] && [ -n "$S_TB" ] && [ -n "$S_P1" ] && [ "$S_DB" -lt "$S_TB" ] && [ "$S_TB" -lt "$S_P1" ] && echo yes || echo "no ($S_DB $S_TB $S_P1)")"
assert_eq "nested partition events: outer level before inner level" "yes" \
	"$([ -n "$S_E1" ] && [ -n "$S_E2" ] && [ "$S_E1" -lt "$S_E2" ] && echo yes || echo "no ($S_E1 $S_E2)")"
assert_eq "warehouse event seq numbers strictly increase" "" \
	"$(awk '$1=="warehouse" { if (n++ && $2 <= last) print "seq " $2 " after " last; last=$2 }' "$EV" | head -n 3)"
assert_eq "drop events carry etag 0000000000000000" "" "$(awk '$4=="drop" && $8!="etag=0000000000000000"' "$EV" | head -n 3)"
assert_eq "events of the create database fs sales line: origin fs" "fs" \
	"$(awk '$1=="warehouse" && $4=="create" && $5=="database" && $7=="sales" {print $6; exit}' "$EV")"

MET=$MF_TMP/metrics
cat "$M/.metafs/metrics" >"$MET" 2>&1
assert_match "metrics: metafs_store_commits_total" '(^|'$'\n'')metafs_store_commits_total [0-9]+' "$(cat "$MET")"
assert_match "metrics: metafs_uptime_seconds" '(^|'$'\n'')metafs_uptime_seconds [0-9.]+' "$(cat "$MET")"
assert_match "metrics: metafs_requests_total{op=\"lookup\"}" '(^|'$'\n'')metafs_requests_total\{op="lookup"\} [0-9]+' "$(cat "$MET")"
assert_match "metrics: catalog objects of warehouse databases = 1" '(^|'$'\n'')metafs_catalog_objects\{platform="warehouse",kind="database"\} 1('$'\n''|$)' "$(cat "$MET")"

expect_fail_errno "unknown path under /.metafs: ENOENT" "No such file or directory" stat "$M/.metafs/nope"

mf_finish
