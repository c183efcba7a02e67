#!/usr/bin/env bash
# test_hms_writes.sh - the write calls of the Hive Metastore API: a
# database, a partitioned CSV table and its partitions made through the API
# show in the mount at once (the kernel's caches are told); a file copied
# into an API-made partition is read by a job; a partition made in the
# mount is seen by the next call; duplicates, ifNotExists and
# all-or-nothing add_partitions; bad names, types, formats and values are
# refused with the right exception and change nothing; alter_table of a
# property shows in .schema, of the columns of a table with partitions is
# refused; drops remove directories and files; a user who may not is
# refused every write (audited), a user who cannot see the table is
# answered as if it were missing; every change is in /.metafs/events with
# the origin hms; and a sync rule mirrors an API-added partition.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_shared_home
mf_hms_setup
ALICE=mfhmswalice$$
BOB=mfhmswbob$$
CAROL=mfhmswcarol$$
mf_add_user "$ALICE"
mf_add_user "$BOB"
mf_add_user "$CAROL"
mf_mount_shared
W=$M/warehouse
L=$M/lake
T=$W/hdb/events
EVF=$M/.metafs/events

run_job grant "GRANT CREATE ON PLATFORM warehouse TO USER $ALICE;"
assert_eq "GRANT CREATE on the platform to the first user succeeds" succeeded "$STATE" || note "$STATUS"
# The kernel may cache the platform's listing before the API changes it.
mf_ls "$W" >/dev/null
EV_BEFORE=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$EVF" | wc -l)

# ---------------------------------------------------------------- create through the API
hms_call hms_write_client create "$ALICE"
assert_eq "the client's calls return" 0 "$HMS_RC" || note "$OUT"
assert_eq "create_database succeeds" None "$(hms_val create_database)"
assert_eq "create_table succeeds" None "$(hms_val create_table)"
assert_eq "add_partition answers the partition" 2024-06-01 "$(hms_val add_partition.values)"
assert_eq "... with its location in the mount" "file://$T/dt=2024-06-01" "$(hms_val add_partition.location)"
assert_eq "add_partitions answers how many it added" 2 "$(hms_val add_partitions)"
assert_eq "get_table: Hive's int is metafs's bigint" "id:bigint,name:string,amount:decimal(10,2),n:bigint" \
	"$(hms_val get_table.cols)"
assert_eq "get_table: the client's location is ignored, metafs's is the table's" "file://$T" \
	"$(hms_val get_table.location)"

assert_match "the mount lists the new database at once" '(^|
)hdb($|
)' "$(mf_ls "$W")"
assert_eq "the mount lists the new table" events "$(mf_ls "$W/hdb")"
assert_eq "its .schema is the API's table" "format csv
header true
column id bigint
column name string
column amount decimal(10,2)
column n bigint
partition dt date
property team = ingest" "$(cat "$T/.schema" 2>&1)"
assert_eq "the partitions are directories of the table at once" "dt=2024-06-01
dt=2024-06-02
dt=2024-06-03" "$(mf_ls "$T")"
# The kernel has looked the next day up and listed the table: the API's
# change must reach it all the same.
assert_not_exists "a day not yet added is not there" "$T/dt=2024-06-10"
hms_call hms_write_client add "$ALICE" 2024-06-10
assert_eq "add_partition of it" 2024-06-10 "$(hms_val add.2024-06-10)"
assert_dir "the mount finds it at once (the kernel's negative entry is dropped)" "$T/dt=2024-06-10"
assert_match "ls lists it at once" 'dt=2024-06-10' "$(mf_ls "$T")"
assert_eq "the table is the creator's" "$ALICE" "$(stat -c %U "$T" 2>&1)"
assert_dir "the data store holds the partition's directory" "$H/data/warehouse/hdb/events/dt=2024-06-01" 2>/dev/null ||
	note "data store layout: $(ls "$H" 2>&1)"

# ---------------------------------------------------------------- data through the mount, read by a job
printf 'id,name,amount,n\n1,a,1.50,3\n2,b,2.25,4\n' >"$MF_TMP/p.csv"
assert_ok "a CSV file is copied into an API-made partition" cp "$MF_TMP/p.csv" "$T/dt=2024-06-02/part-0.csv"
run_job sel "SELECT id, name, amount, dt FROM warehouse.hdb.events ORDER BY id;"
assert_eq "a job reads the rows" succeeded "$STATE" || note "$STATUS"
assert_eq "... the file's rows with the API partition's value" "id,name,amount,dt
1,a,1.50,2024-06-02
2,b,2.25,2024-06-02" "$(cat "$M/jobs/sel/result" 2>&1)"

# ---------------------------------------------------------------- the mount's partition, seen by the API
assert_ok "a partition is made through the mount" mkdir "$T/dt=2024-06-08"
hms_call hms_write_client add "$ALICE" 2024-06-08
assert_match "add_partition of it is AlreadyExistsException" '^AlreadyExistsException' "$(hms_val add.2024-06-08)"
hms_call hms_write_client dropname "$ALICE" dt=2024-06-08
assert_eq "drop_partition_by_name of it succeeds" True "$(hms_val dropname)"
assert_not_exists "... and the mount no longer shows it" "$T/dt=2024-06-08"

# ---------------------------------------------------------------- duplicates
hms_call hms_write_client dups "$ALICE"
assert_match "a duplicate add_partition: AlreadyExistsException" '^AlreadyExistsException: .*already exists' \
	"$(hms_val dup.add_partition)"
assert_match "add_partitions with one duplicate: AlreadyExistsException" '^AlreadyExistsException' \
	"$(hms_val dup.add_partitions)"
assert_not_exists "... and none of its partitions is added (all or nothing)" "$T/dt=2024-06-05"
assert_match "the same partition twice in one call: AlreadyExistsException" '^AlreadyExistsException' \
	"$(hms_val dup.twice)"
assert_not_exists "... and it is not added" "$T/dt=2024-06-06"
assert_eq "add_partitions_req with ifNotExists adds the missing one and answers it" 2024-06-04 \
	"$(hms_val dup.ifnotexists.added)"
assert_dir "... which the mount shows" "$T/dt=2024-06-04"
assert_match "a duplicate database: AlreadyExistsException" '^AlreadyExistsException' \
	"$(hms_val dup.create_database)"
assert_match "a duplicate table: AlreadyExistsException" '^AlreadyExistsException' "$(hms_val dup.create_table)"

# ---------------------------------------------------------------- refusals that change nothing
BEFORE_TABLES=$(mf_ls "$W/hdb")
BEFORE_PARTS=$(mf_ls "$T")
hms_call hms_write_client bad "$ALICE"
assert_eq "the refusals' client returns" 0 "$HMS_RC" || note "$OUT"
assert_match "a bad database name: InvalidObjectException" '^InvalidObjectException: invalid database name' \
	"$(hms_val bad.db_name)"
assert_match "a bad table name: InvalidObjectException" '^InvalidObjectException: invalid table name' \
	"$(hms_val bad.table_name)"
assert_match "an unsupported type: InvalidObjectException naming the column" \
	'^InvalidObjectException: column tags: type "array<string>" is not supported' "$(hms_val bad.type)"
assert_match "an unsupported SerDe: InvalidObjectException naming it" \
	'^InvalidObjectException: storage format not supported.*OrcSerde' "$(hms_val bad.serde)"
assert_match "a text table not delimited by ',': InvalidObjectException" \
	"^InvalidObjectException: text tables must be CSV" "$(hms_val bad.delim)"
assert_match "a table in a missing database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val bad.no_db)"
assert_match "a partition value that is not of its key's type: InvalidObjectException" \
	'^InvalidObjectException: partition value dt="notadate".* is not a date' "$(hms_val bad.value)"
assert_match "a partition with too many values: InvalidObjectException" '^InvalidObjectException: .*needs 1 values' \
	"$(hms_val bad.nvalues)"
assert_match "a partition of a missing table: InvalidObjectException" '^InvalidObjectException: .*not found' \
	"$(hms_val bad.no_table)"
assert_match "drop_partition of a missing partition: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val bad.drop_missing)"
assert_match "drop_table of a missing table: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val bad.drop_table_missing)"
assert_match "drop_database of a missing database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val bad.drop_database_missing)"
assert_eq "the refusals made no table" "$BEFORE_TABLES" "$(mf_ls "$W/hdb")"
assert_eq "the refusals made no partition" "$BEFORE_PARTS" "$(mf_ls "$T")"

# ---------------------------------------------------------------- alter
hms_call hms_write_client alter "$ALICE"
assert_eq "alter_table of the properties succeeds" None "$(hms_val alter_table.props)"
assert_eq "get_table shows the new property" platform "$(hms_val alter_table.after.team)"
assert_eq ".schema shows the properties at once" "property team = platform
property tier = gold" "$(grep '^property' "$T/.schema" 2>&1)"
assert_match "a new column on a table with partitions: InvalidOperationException" \
	'^InvalidOperationException: .*partitions or files cannot change' "$(hms_val alter_table.cols)"
assert_match "a rename: InvalidOperationException" '^InvalidOperationException: renaming' \
	"$(hms_val alter_table.rename)"
assert_eq "... and the columns are unchanged" 4 "$(grep -c '^column' "$T/.schema" 2>&1)"
assert_eq "alter_partition with client statistics succeeds (they are ignored)" None \
	"$(hms_val alter_partition.stats)"
assert_eq "alter_partitions likewise" None "$(hms_val alter_partitions.stats)"
assert_match "alter_partition to another location: InvalidOperationException" \
	"^InvalidOperationException: the location of a partition is metafs's" "$(hms_val alter_partition.location)"
assert_match "alter_partition of a missing partition: InvalidOperationException" '^InvalidOperationException' \
	"$(hms_val alter_partition.missing)"

# ---------------------------------------------------------------- who may not
run_job grantb "GRANT SELECT ON DATABASE warehouse.hdb TO USER $BOB;"
assert_eq "GRANT SELECT on the database to the second user" succeeded "$STATE" || note "$STATUS"
BEFORE_SCHEMA=$(cat "$T/.schema" 2>&1)
BEFORE_PARTS=$(mf_ls "$T")
hms_call hms_write_client denied "$BOB"
assert_eq "the second user's client returns" 0 "$HMS_RC" || note "$OUT"
for k in create_database create_table add_partition add_partitions_req drop_partition alter_table \
	alter_partition drop_table drop_database; do
	assert_match "$k without the privilege: MetaException permission denied" \
		"^MetaException: permission denied: $BOB lacks" "$(hms_val "denied.$k")"
done
assert_eq "... nothing changed: the partitions" "$BEFORE_PARTS" "$(mf_ls "$T")"
assert_eq "... nothing changed: the schema" "$BEFORE_SCHEMA" "$(cat "$T/.schema" 2>&1)"
assert_eq "... nothing changed: the databases" "hdb" "$(mf_ls "$W" | grep -x 'hdb\|bobdb')"
mf_check_audit "a refused add_partition is audited as a denial, naming the call" "$(id -u "$BOB")" create \
	/warehouse/hdb/events deny '^add_partition$'
mf_check_audit "a refused drop_table is audited as a denial" "$(id -u "$BOB")" drop /warehouse/hdb/events deny \
	'^drop_table$'
mf_check_audit "a refused create_database is audited as a denial" "$(id -u "$BOB")" create /warehouse deny \
	'^create_database$'
mf_check_audit "an allowed add_partitions is audited" "$(id -u "$ALICE")" create /warehouse/hdb/events allow \
	'^add_partitions$'
mf_check_audit "an allowed create_table is audited" "$(id -u "$ALICE")" create /warehouse/hdb allow \
	'^create_table$'
mf_check_audit "an allowed alter_table is audited" "$(id -u "$ALICE")" write /warehouse/hdb/events allow \
	'^alter_table$'

hms_call hms_write_client hidden "$CAROL"
assert_match "a table the user cannot see: add_partition answers as for a missing table" \
	'^InvalidObjectException: .*not found' "$(hms_val hidden.add_partition)"
assert_match "... drop_table: NoSuchObjectException" '^NoSuchObjectException' "$(hms_val hidden.drop_table)"
assert_match "... drop_database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val hidden.drop_database)"
assert_eq "... nothing changed" "$BEFORE_PARTS" "$(mf_ls "$T")"

# ---------------------------------------------------------------- a sync rule fires on an API change
printf 'source = warehouse.hdb.*\ntarget = lake\nmirror = schema, partitions\n' >"$MF_TMP/hmsw.rule"
assert_ok "a sync rule mirrors the database into lake" cp "$MF_TMP/hmsw.rule" "$M/sync/hmsw.rule"
if mf_poll 10 test -d "$L/hdb/events/dt=2024-06-02"; then
	pass "the mirror has the table's partitions"
else
	fail "the mirror has the table's partitions" "$(cat "$M/sync/hmsw/status" 2>&1)"
fi
hms_call hms_write_client add "$ALICE" 2024-06-09
assert_eq "add_partition of a new day" 2024-06-09 "$(hms_val add.2024-06-09)"
if mf_poll 10 test -d "$L/hdb/events/dt=2024-06-09"; then
	pass "the sync rule mirrors the API-added partition"
else
	fail "the sync rule mirrors the API-added partition" "$(cat "$M/sync/hmsw/status" 2>&1)"
fi
run_job grantl "GRANT SELECT, MODIFY, ADMIN ON DATABASE lake.hdb TO USER $ALICE;"
assert_eq "GRANT on the mirror's database" succeeded "$STATE" || note "$STATUS"
hms_call hms_write_client mirror "$ALICE"
for k in add_partition drop_partition drop_table; do
	assert_match "$k of a table a sync rule maintains is refused, as in the mount" \
		'^MetaException: table hdb.events is read-only: a sync rule maintains it' "$(hms_val "mirror.$k")"
done
assert_not_exists "... and the mirror gets no partition of its own" "$L/hdb/events/dt=2024-06-11"
assert_dir "... nor loses one" "$L/hdb/events/dt=2024-06-02"
rm -f "$M/sync/hmsw.rule"

# ---------------------------------------------------------------- drops
hms_call hms_write_client drop "$ALICE" 2024-06-02
assert_eq "drop_partition succeeds" True "$(hms_val drop)"
assert_not_exists "the partition is gone from the mount at once" "$T/dt=2024-06-02"
assert_not_exists "... and its directory and files from the data store" "$H/data/warehouse/hdb/events/dt=2024-06-02"
run_job sel2 "SELECT count(*) AS n FROM warehouse.hdb.events;"
assert_eq "a job no longer reads its rows" "n
0" "$(cat "$M/jobs/sel2/result" 2>&1)"

hms_call hms_write_client drops "$ALICE"
assert_match "drop_database of a database with tables, without cascade: InvalidOperationException" \
	'^InvalidOperationException: database hdb is not empty' "$(hms_val drops.database_not_empty)"
assert_eq "drop_table succeeds" None "$(hms_val drops.table)"
assert_eq "drop_database succeeds once it is empty" None "$(hms_val drops.database)"
assert_eq "the mount no longer lists the database" "" "$(mf_ls "$W" | grep -x hdb)"
assert_eq "a JSONL table (JsonSerDe) is made" None "$(hms_val drops.create_json)"
assert_eq "a Parquet table (ParquetHiveSerDe) is made" None "$(hms_val drops.create_parquet)"
assert_eq "... answered with JsonSerDe" org.apache.hive.hcatalog.data.JsonSerDe "$(hms_val drops.json_serde)"
assert_eq "alter_table adds a column to a table that holds no partition or file" None \
	"$(hms_val drops.alter_empty_cols)"
assert_eq "... which get_table then shows" "msg:string,at:timestamp,level:string" "$(hms_val drops.json_cols)"
assert_eq "drop_database with cascade drops a database with tables" None "$(hms_val drops.cascade)"
assert_eq "... the mount no longer lists it" "" "$(mf_ls "$W" | grep -x hdb2)"
assert_ne "... and its tables' drops are in the change log" 0 \
	"$(timeout -k 5 "$MF_CMD_TIMEOUT" awk '$4=="drop" && $5=="table" && $6=="hms" && $7=="hdb2/facts"' "$EVF" | wc -l)"

# ---------------------------------------------------------------- the change log
EV=$MF_TMP/events
timeout -k 5 "$MF_CMD_TIMEOUT" cat "$EVF" | tail -n +"$((EV_BEFORE + 1))" >"$EV"
ev() { awk -v op="$1" -v k="$2" -v p="$3" '$1=="warehouse" && $4==op && $5==k && $6=="hms" && $7==p' "$EV" | wc -l; }
assert_ne "create_database is in the change log with the origin hms" 0 "$(ev create database hdb)" || note "$(cat "$EV")"
assert_ne "create_table too" 0 "$(ev create table hdb/events)"
assert_ne "add_partition too" 0 "$(ev create partition hdb/events/dt=2024-06-01)"
assert_ne "add_partitions too" 0 "$(ev create partition hdb/events/dt=2024-06-03)"
assert_ne "alter_table too" 0 "$(ev alter table hdb/events)"
assert_ne "drop_partition too" 0 "$(ev drop partition hdb/events/dt=2024-06-02)"
assert_ne "drop_table too" 0 "$(ev drop table hdb/events)"
assert_ne "drop_database too" 0 "$(ev drop database hdb)"

mf_finish
