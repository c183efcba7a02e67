#!/usr/bin/env bash
# test_hms.sh - the Hive Metastore API ([hms] listen): a Python client
# generated with `thrift --gen py` from hms/hive_metastore.thrift drives
# every served call against the daemon, and its answers agree with what the
# mount shows; a user without grants sees no tables and gets
# NoSuchObjectException; set_ugi of the daemon's own user and of an
# unknown user is refused; an unknown method gets a TApplicationException
# on a connection that stays usable; malformed bytes (garbage, a string or
# list length of 2^31-1, a truncated message) close only their connection.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
mf_hms_setup
ALICE=mfhmsalice$$
BOB=mfhmsbob$$
mf_add_user "$ALICE"
mf_add_user "$BOB"
mf_mount_shared
W=$M/warehouse

# ---------------------------------------------------------------- the catalog, through the mount
mf_make_table "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn region string
column amount decimal(10,2)\ncolumn ok boolean\ncolumn ts timestamp\ncolumn score double
partition dt date\nproperty owner_team = sales-eng\n'
for d in 2024-05-01 2024-05-02; do
	mf_run mkdir "$W/sales/orders/dt=$d" || mf_abort "mkdir dt=$d" "$MF_OUT"
	printf 'id,region,amount,ok,ts,score\n1,east,1.50,true,2024-05-01 10:00:00,0.5\n2,west,2.25,false,2024-05-01 11:00:00,1.5\n' \
		>"$MF_TMP/p.csv"
	mf_run cp "$MF_TMP/p.csv" "$W/sales/orders/dt=$d/part-0.csv" || mf_abort "cp part-0.csv" "$MF_OUT"
done
mf_make_table "$W/sales/logs" $'format jsonl\ncolumn msg string\ncolumn at date\n'
PARQUET=0
mf_run mkdir "$W/sales/events" || mf_abort "mkdir events" "$MF_OUT"
if mf_put_schema "$W/sales/events" $'format parquet\ncolumn id bigint\ncolumn ts timestamp\n'; then
	PARQUET=1
else
	rmdir "$W/sales/events"
fi
run_job grant "GRANT SELECT ON DATABASE warehouse.sales TO USER $ALICE;"
assert_eq "GRANT SELECT on the database to the first user succeeds" succeeded "$STATE" || note "$STATUS"

# ---------------------------------------------------------------- every served call
hms_call hms_client main "$ALICE"
assert_eq "the client's calls all return" 0 "$HMS_RC" || note "$OUT"
assert_eq "set_ugi returns the groups, then the user" "['g1', '$ALICE']" "$(hms_val set_ugi)"
assert_eq "getName is metafs" metafs "$(hms_val getName)"
assert_match "getVersion is a version" '^[0-9]+\.[0-9]+' "$(hms_val getVersion)"
assert_eq "getStatus is ALIVE (2)" 2 "$(hms_val getStatus)"
assert_eq "aliveSince is a time" True "$(hms_val aliveSince_positive)"
assert_eq "get_config_value of an unknown key returns the default" dflt "$(hms_val get_config_value.default)"
assert_eq "get_config_value of the warehouse dir names the first platform in the mount" \
	"file://$M/warehouse" "$(hms_val get_config_value.warehouse)"
assert_eq "get_all_databases lists the database the mount shows" "$(mf_ls "$W")" "$(hms_val get_all_databases)"
assert_eq "get_databases matches a * pattern" sales "$(hms_val get_databases.star)"
assert_eq "get_databases matches | alternatives, case-insensitively" sales "$(hms_val get_databases.alt)"
assert_eq "get_databases takes Hive 3's @catalog#pattern" sales "$(hms_val get_databases.catalog)"
assert_eq "get_database names the database" sales "$(hms_val db.name)"
assert_eq "get_database's location is in the mount" "file://$M/warehouse/sales" "$(hms_val db.locationUri)"
assert_eq "the first platform is the catalog hive" hive "$(hms_val db.catalogName)"
assert_match "get_database of a missing database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_database.missing)"
EXPECT_TABLES=$(mf_ls "$W/sales" | paste -sd,)
assert_eq "get_all_tables lists the tables the mount shows" "$EXPECT_TABLES" "$(hms_val get_all_tables)"
assert_eq "get_tables matches a pattern" orders "$(hms_val get_tables.pattern)"
assert_eq "get_tables takes @catalog#db" "$EXPECT_TABLES" "$(hms_val get_tables.catalog)"
assert_eq "get_tables_by_type EXTERNAL_TABLE with a pattern" orders "$(hms_val get_tables_by_type.external)"
assert_eq "get_tables_by_type without a type lists every table" "$EXPECT_TABLES" \
	"$(hms_val get_tables_by_type.any)"
assert_eq "get_tables_by_type VIRTUAL_VIEW lists none" "" "$(hms_val get_tables_by_type.view)"
assert_eq "get_table: tableName" orders "$(hms_val orders.tableName)"
assert_eq "get_table: dbName" sales "$(hms_val orders.dbName)"
assert_eq "get_table: owner is the creator (the daemon's user)" "$(id -un)" "$(hms_val orders.owner)"
assert_eq "get_table: tableType" EXTERNAL_TABLE "$(hms_val orders.tableType)"
assert_eq "get_table: catName" hive "$(hms_val orders.catName)"
assert_eq "get_table: columns with Hive's type names" \
	"id:bigint,region:string,amount:decimal(10,2),ok:boolean,ts:timestamp,score:double" "$(hms_val orders.cols)"
assert_eq "get_table: partition keys" "dt:date" "$(hms_val orders.partitionKeys)"
assert_eq "get_table: location is the table's directory in the mount" "file://$W/sales/orders" \
	"$(hms_val orders.location)"
assert_eq "get_table: CSV input format" org.apache.hadoop.mapred.TextInputFormat "$(hms_val orders.inputFormat)"
assert_eq "get_table: CSV output format" org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat \
	"$(hms_val orders.outputFormat)"
assert_eq "get_table: CSV serde" org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe "$(hms_val orders.serde)"
assert_eq "get_table: CSV serde parameters" "field.delim=,,serialization.format=," "$(hms_val orders.serdeParams)"
assert_eq "get_table: numRows is the rows of .table" "$(mf_field "$W/sales/orders/.table" rows)" \
	"$(hms_val orders.param.numRows)"
assert_eq "get_table: numFiles is the files of .table" "$(mf_field "$W/sales/orders/.table" files)" \
	"$(hms_val orders.param.numFiles)"
assert_eq "get_table: totalSize is the bytes of .table" "$(mf_field "$W/sales/orders/.table" bytes)" \
	"$(hms_val orders.param.totalSize)"
assert_eq "get_table: the table's properties" sales-eng "$(hms_val orders.param.owner_team)"
assert_eq "get_table: a CSV header is skip.header.line.count" 1 "$(hms_val orders.param.skip.header.line.count)"
assert_eq "get_table: EXTERNAL" TRUE "$(hms_val orders.param.EXTERNAL)"
assert_eq "get_table_req answers the same table" orders "$(hms_val req.tableName)"
assert_eq "get_table_req: the same columns" "$(hms_val orders.cols)" "$(hms_val req.cols)"
assert_eq "get_table_req with the platform as catName" orders "$(hms_val req.platform.tableName)"
assert_eq "JSONL: serde" org.apache.hive.hcatalog.data.JsonSerDe "$(hms_val logs.serde)"
assert_eq "JSONL: columns" "msg:string,at:date" "$(hms_val logs.cols)"
if [ "$PARQUET" = 1 ]; then
	assert_eq "Parquet: input format" org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat \
		"$(hms_val events.inputFormat)"
	assert_eq "Parquet: output format" org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat \
		"$(hms_val events.outputFormat)"
	assert_eq "Parquet: serde" org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe "$(hms_val events.serde)"
else
	note "format parquet was refused in .schema: Parquet answers not checked"
fi
assert_match "get_table of a missing table: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_table.missing)"
assert_match "get_table in a missing database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_table.missing_db)"
assert_match "get_table_req of an unknown catalog: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_table.bad_catalog)"
assert_eq "an unknown method is answered with an exception message" exception "$(hms_val unknown.type)"
assert_eq "the exception carries the call's seqid" 77 "$(hms_val unknown.seqid)"
assert_eq "the exception is UNKNOWN_METHOD (1)" 1 "$(hms_val unknown.app_type)"
assert_eq "the connection answers after an unknown method" metafs "$(hms_val unknown.after)"
assert_ne "calls are audited as the set_ugi user" 0 \
	"$(mf_audit_count "$(id -u "$ALICE")" read /warehouse/sales/orders allow get_table)"

hms_call hms_client many "$ALICE" 300
assert_eq "300 connections one after another are all answered (threads give their readers back)" 300 \
	"$(hms_val many)" || note "$OUT"

# ---------------------------------------------------------------- a user without grants
hms_call hms_client other "$BOB"
assert_eq "the second user's calls return" 0 "$HMS_RC" || note "$OUT"
assert_eq "a user without grants lists no databases" "" "$(hms_val get_all_databases)"
assert_eq "a user without grants lists no tables" "" "$(hms_val get_all_tables)"
assert_eq "nor with a pattern" "" "$(hms_val get_tables)"
assert_eq "a table the user may not see answers as a missing one does" \
	"$(hms_val get_table.missing | sed 's/nope/X/')" "$(hms_val get_table.hidden | sed 's/orders/X/')"
assert_match "... NoSuchObjectException" '^NoSuchObjectException' "$(hms_val get_table.hidden)"
assert_match "a database the user may not see: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_database.hidden)"
assert_ne "the refusal is audited as a denial" 0 \
	"$(mf_audit_count "$(id -u "$BOB")" read /warehouse/sales/orders deny get_table)"

# ---------------------------------------------------------------- who may call
hms_call hms_client refused "$(id -un)"
assert_match "set_ugi as the daemon's own user is refused" '^MetaException: .*daemon' "$(hms_val set_ugi)"
assert_match "... and catalog calls stay refused" '^MetaException' "$(hms_val after)"
hms_call hms_client refused no_such_user_$$
assert_match "set_ugi of an unknown user is refused" '^MetaException: .*no user' "$(hms_val set_ugi)"
hms_call hms_client nougi
assert_match "a catalog call before set_ugi is refused" '^MetaException: set_ugi first' "$(hms_val get_all_databases)"
assert_eq "... and the connection stays usable" metafs "$(hms_val getName)"

# ---------------------------------------------------------------- malformed bytes
hms_call hms_client raw
assert_eq "the raw-socket client runs" 0 "$HMS_RC" || note "$OUT"
for k in garbage bad_version huge_name huge_string huge_list truncated; do
	assert_eq "$k: the server closes that connection without a reply" closed "$(hms_val "$k")"
done
assert_eq "the server answers a new connection afterwards" metafs "$(hms_val after_raw)"
assert_match "the mount still works" orders "$(mf_ls "$W/sales")"

mf_finish
