#!/usr/bin/env bash
# test_hms_misc.sh - the Hive Metastore API's schema, statistics, function,
# batch-table and notification calls (hms/hms_misc.c), through a Python
# client generated from hms/hive_metastore.thrift: get_fields and
# get_schema agree with .schema; column statistics are those .table and
# .partition show (and none where they show none); get_table_objects_by_name
# leaves out a missing and a hidden table; the function lists are empty;
# changes made through the mount come back from get_next_notification as
# Hive's events, in order, with increasing ids, page by page with
# maxEvents, and not to a user who may not see them; the ids survive a
# remount.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
mf_hms_setup
ALICE=mfhmsmalice$$
BOB=mfhmsmbob$$
mf_add_user "$ALICE"
mf_add_user "$BOB"
mf_mount_shared
W=$M/warehouse

# ---------------------------------------------------------------- the catalog, through the mount and jobs
mf_make_table "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn region string
column amount decimal(10,2)\npartition dt date\npartition hour bigint\n'
mf_run mkdir -p "$W/sales/orders/dt=2024-05-01/hour=3" || mf_abort "mkdir partition" "$MF_OUT"
printf 'id,region,amount\n1,east,1.50\n' >"$MF_TMP/o.csv"
mf_run cp "$MF_TMP/o.csv" "$W/sales/orders/dt=2024-05-01/hour=3/part-0.csv" || mf_abort "cp" "$MF_OUT"
mf_make_table "$W/sales/secret" $'format csv\ncolumn id bigint\n'
run_job ddl "CREATE TABLE sales.src (id BIGINT, name STRING, amount DECIMAL(12,2), d DATE, x DOUBLE, g BIGINT)
  STORED AS CSV TBLPROPERTIES ('header'='false');
CREATE TABLE sales.p (id BIGINT, name STRING, amount DECIMAL(12,2), d DATE, x DOUBLE) STORED AS PARQUET;
CREATE TABLE sales.pp (id BIGINT, name STRING) PARTITIONED BY (g BIGINT) STORED AS PARQUET;"
assert_eq "the Parquet tables are created" succeeded "$STATE" || note "$STATUS"
printf '1,a,1.50,2024-05-01,0.5,1\n2,,-2.25,2024-05-03,1.25,1\n3,c,,2024-05-02,-3.5,2\n' >"$MF_TMP/src.csv"
mf_run cp "$MF_TMP/src.csv" "$W/sales/src/part-0.csv" || mf_abort "cp src" "$MF_OUT"
run_job fill "INSERT INTO sales.p SELECT id, name, amount, d, x FROM sales.src;
INSERT INTO sales.pp SELECT id, name, g FROM sales.src;"
assert_eq "the Parquet tables are filled" succeeded "$STATE" || note "$STATUS"
run_job grant "GRANT SELECT ON TABLE warehouse.sales.orders TO USER $ALICE;
GRANT SELECT ON TABLE warehouse.sales.p TO USER $ALICE;
GRANT SELECT ON TABLE warehouse.sales.pp TO USER $ALICE;"
assert_eq "the grants to the first user" succeeded "$STATE" || note "$STATUS"

# expect_stat FILE COL TYPE KIND : what the client prints for COL's
# statistics, from FILE's "stats:" line ("COL TYPE KIND MIN MAX NULLS 0")
expect_stat() {
	local line min max nulls
	line=$(grep "^stats: $2 " "$1" 2>/dev/null)
	min=$(sed -n 's/.* min=\([^ ]*\).*/\1/p' <<<"$line")
	max=$(sed -n 's/.* max=\([^ ]*\).*/\1/p' <<<"$line")
	nulls=$(sed -n 's/.* nulls=\([^ ]*\).*/\1/p' <<<"$line")
	echo "$2 $3 $4 ${min:--} ${max:--} ${nulls:--} 0"
}

# ---------------------------------------------------------------- schema, tables, statistics, functions
hms_call hms_misc_client main "$ALICE"
assert_eq "the client's calls all return" 0 "$HMS_RC" || note "$OUT"
# the columns ("column NAME TYPE") and partition keys ("partition NAME TYPE") of .schema
schema_of() { awk -v k="$2" '$1 == k { printf "%s%s:%s", n++ ? "," : "", $2, $3 }' "$1/.schema" 2>&1; }
FIELDS=$(schema_of "$W/sales/orders" column)
PKEYS=$(schema_of "$W/sales/orders" partition)
assert_eq ".schema shows the columns" "id:bigint,region:string,amount:decimal(10,2)" "$FIELDS"
assert_eq ".schema shows the partition keys" "dt:date,hour:bigint" "$PKEYS"
assert_eq "get_fields: the data columns of .schema" "$FIELDS" "$(hms_val get_fields)"
assert_eq "get_fields_with_environment_context: the same" "$FIELDS" "$(hms_val get_fields_env)"
assert_eq "get_fields_req: the same" "$FIELDS" "$(hms_val get_fields_req)"
assert_eq "get_schema: the columns, then the partition keys" "$FIELDS,$PKEYS" "$(hms_val get_schema)"
assert_eq "get_schema_with_environment_context: the same" "$FIELDS,$PKEYS" "$(hms_val get_schema_env)"
assert_eq "get_schema_req: the same" "$FIELDS,$PKEYS" "$(hms_val get_schema_req)"
assert_match "get_fields of a missing table: UnknownTableException" '^UnknownTableException' \
	"$(hms_val get_fields.missing)"
assert_eq "get_schema of a hidden table answers as a missing one" \
	"$(hms_val get_fields.missing | sed 's/nope/X/')" "$(hms_val get_schema.hidden | sed 's/secret/X/')"
assert_match "get_fields in a missing database: UnknownTableException (as Hive)" '^UnknownTableException' \
	"$(hms_val get_fields.missing_db)"
assert_eq "get_database_req names the database" sales "$(hms_val get_database_req.name)"
assert_eq "get_database_req: its location in the mount" "file://$W/sales" "$(hms_val get_database_req.locationUri)"
assert_eq "get_database_req with catalogName hive" hive "$(hms_val get_database_req.catalog)"
assert_match "get_database_req of a missing database: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get_database_req.missing)"
assert_eq "get_table_objects_by_name: the tables the user sees, each once; missing and hidden left out" \
	"orders,p" "$(hms_val by_name)"
assert_eq "... with their columns" "$FIELDS" "$(hms_val by_name.cols)"
assert_eq "get_table_objects_by_name_req: the same" "p" "$(hms_val by_name_req)"
assert_eq "get_table_objects_by_name_req without names: every table the user sees" "orders,p,pp" \
	"$(hms_val by_name_req.all)"
assert_match "get_table_objects_by_name_req in a missing database: UnknownDBException" '^UnknownDBException' \
	"$(hms_val by_name_req.missing_db)"
assert_eq "get_table_objects_by_name in a missing database: empty" 0 "$(hms_val by_name.missing_db)"
assert_ne "the batch is audited per table as the set_ugi user" 0 \
	"$(mf_audit_count "$(id -u "$ALICE")" read /warehouse/sales/p allow get_table_objects_by_name)"
assert_ne "... and the hidden table as a denial" 0 \
	"$(mf_audit_count "$(id -u "$ALICE")" read /warehouse/sales/secret deny get_table_objects_by_name)"

T=$W/sales/p/.table
assert_file_contains "the Parquet table's statistics are recorded" "$T" "stats: id min=1 max=3"
assert_eq "bigint statistics are those of .table" "$(expect_stat "$T" id bigint longStats)" \
	"$(hms_val colstat.id)"
assert_eq "double statistics are those of .table" "$(expect_stat "$T" x double doubleStats)" \
	"$(hms_val colstat.x)"
assert_eq "decimal statistics are those of .table" "$(expect_stat "$T" amount 'decimal(12,2)' decimalStats)" \
	"$(hms_val colstat.amount)"
assert_eq "date statistics are those of .table" "$(expect_stat "$T" d date dateStats)" "$(hms_val colstat.d)"
assert_eq "... the table-level description" "True sales p hive" "$(hms_val colstat.id.desc)"
assert_match "a string column has none Hive can hold: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val colstat.name)"
assert_match "a CSV table has none: NoSuchObjectException" '^NoSuchObjectException' "$(hms_val colstat.csv)"
assert_match "an unknown column: NoSuchObjectException" '^NoSuchObjectException' "$(hms_val colstat.nocol)"
assert_match "a hidden table: NoSuchObjectException" '^NoSuchObjectException' "$(hms_val colstat.hidden)"
assert_eq "get_table_statistics_req: the named columns that have statistics, in the order asked" \
	"$(hms_val colstat.id)|$(hms_val colstat.d)|$(hms_val colstat.x)|$(hms_val colstat.amount)" \
	"$(hms_val tablestats)"
assert_eq "get_table_statistics_req of a CSV table: none" 0 "$(hms_val tablestats.csv)"
assert_match "get_table_statistics_req of a hidden table: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val tablestats.hidden)"
assert_eq "get_partitions_statistics_req: the partitions that exist" "g=1,g=2" "$(hms_val partstats.keys)"
for g in 1 2; do
	assert_eq "partition g=$g: the statistics of its .partition" \
		"$(expect_stat "$W/sales/pp/g=$g/.partition" id bigint longStats)" "$(hms_val "partstats.g=$g")"
done
assert_eq "get_functions: none" "[]" "$(hms_val get_functions)"
assert_eq "get_all_functions: none" "[]" "$(hms_val get_all_functions)"

hms_call hms_misc_client nougi
for k in current events by_name; do
	assert_match "$k before set_ugi: refused" 'set_ugi first' "$(hms_val "$k")"
done
assert_match "get_fields before set_ugi: MetaException" '^MetaException: set_ugi first' "$(hms_val get_fields)"

# ---------------------------------------------------------------- notifications
hms_call hms_misc_client current "$ALICE"
CUR=$(hms_val current)
assert_match "get_current_notificationEventId is a number" '^[0-9]+$' "$CUR"
mf_run mkdir "$W/ev" || mf_abort "mkdir ev" "$MF_OUT"
mf_make_table "$W/ev/t" $'format csv\ncolumn a bigint\npartition dt string\n'
mf_run mkdir "$W/ev/t/dt=a%3Ab" || mf_abort "mkdir dt=a%3Ab" "$MF_OUT"
mf_run mkdir "$W/ev/t/dt=b" || mf_abort "mkdir dt=b" "$MF_OUT"
printf '1\n' >"$MF_TMP/a.csv"
mf_run cp "$MF_TMP/a.csv" "$W/ev/t/dt=a%3Ab/a.csv" || mf_abort "cp a.csv" "$MF_OUT"
mf_run rmdir "$W/ev/t/dt=b" || mf_abort "rmdir dt=b" "$MF_OUT"
run_job grant2 "GRANT SELECT ON DATABASE warehouse.ev TO USER $ALICE;"
assert_eq "a grant on the new database" succeeded "$STATE" || note "$STATUS"

hms_call hms_misc_client events "$ALICE" "$CUR" 0
assert_eq "the events client returns" 0 "$HMS_RC" || note "$OUT"
i=0
prev=$CUR
for want in "CREATE_DATABASE ev -" "CREATE_TABLE ev t" "ALTER_TABLE ev t" "ADD_PARTITION ev t" \
	"ADD_PARTITION ev t" "INSERT ev t" "DROP_PARTITION ev t"; do
	i=$((i + 1))
	got=$(hms_val "event.$i")
	assert_eq "event $i is $want" "$want" "${got#* }" || note "$(cat "$M/.metafs/events" 2>&1 | tail -n 12)"
	id=${got%% *}
	assert_eq "event $i: its id is above the one before" 1 "$([ "${id:-0}" -gt "$prev" ] && echo 1)"
	prev=${id:-0}
	assert_eq "event $i: eventTime is the message's timestamp" True "$(hms_val "event.$i.time_ok")"
	assert_eq "event $i: messageFormat json-0.2" json-0.2 "$(hms_val "event.$i.format")"
	assert_eq "event $i: catName hive" hive "$(hms_val "event.$i.catName")"
	assert_eq "event $i: the message names the database" ev "$(hms_val "event.$i.msg.db")"
	assert_eq "event $i: servicePrincipal is empty" "" "$(hms_val "event.$i.msg.servicePrincipal")"
	assert_eq "event $i: server is a thrift URI" True "$(hms_val "event.$i.msg.server_ok")"
done
assert_eq "exactly those seven events" 7 "$(hms_val events)"
assert_eq "the table's events name it in the message" t "$(hms_val event.2.msg.table)"
assert_eq "ADD_PARTITION carries the partition's values, unescaped" '[{"dt": "a:b"}]' \
	"$(hms_val event.4.msg.partitions)"
assert_eq "DROP_PARTITION carries the dropped partition" '[{"dt": "b"}]' "$(hms_val event.7.msg.partitions)"
assert_eq "INSERT names the file's location in the mount" "file://$W/ev/t/dt=a%3Ab/a.csv" \
	"$(hms_val event.6.msg.files)"
FIRST=$(hms_val event.1 | cut -d' ' -f1)
ALL=$OUT
# hms_val_of TEXT KEY : hms_val over TEXT instead of $OUT
hms_val_of() { OUT=$1 hms_val "$2"; }

hms_call hms_misc_client events "$ALICE" "$CUR" 2
assert_eq "maxEvents=2 pages through them two at a time" "2,2,2,1" "$(hms_val pages)"
assert_eq "... the same events" "$(grep -P '^event\.\d+\t' <<<"$ALL")" "$(grep -P '^event\.\d+\t' <<<"$OUT")"
hms_call hms_misc_client events "$ALICE" "$FIRST" 0
assert_eq "from the first event's id: the six after it" 6 "$(hms_val events)"

hms_call hms_misc_client skip "$ALICE" "$CUR" ADD_PARTITION,INSERT
assert_eq "eventTypeSkipList leaves out the types named" \
	"CREATE_DATABASE ev -,CREATE_TABLE ev t,ALTER_TABLE ev t,DROP_PARTITION ev t" \
	"$(for i in 1 2 3 4; do hms_val "event.$i" | cut -d' ' -f2-; done | paste -sd,)"
assert_eq "... and only those" 4 "$(hms_val events)"

hms_call hms_misc_client count "$ALICE" "$CUR" ev
assert_eq "get_notification_events_count of the database" 7 "$(hms_val count)"
assert_eq "... at most limit" 2 "$(hms_val count.limit)"
assert_eq "... another catalog has none" 0 "$(hms_val count.other_catalog)"

hms_call hms_misc_client events "$BOB" "$CUR" 0
assert_eq "a user without grants sees none of those events" 0 "$(hms_val events)"
hms_call hms_misc_client count "$BOB" "$CUR" ev
assert_eq "... nor counts them" 0 "$(hms_val count)"
assert_ne "notification reads are audited as the set_ugi user" 0 \
	"$(mf_audit_count "$(id -u "$BOB")" read /.metafs/events allow get_next_notification)"

# A data file removed: its partition's data changed.
LAST=$(hms_val_of "$ALL" event.7 | cut -d' ' -f1)
mf_run rm "$W/ev/t/dt=a%3Ab/a.csv" || mf_abort "rm a.csv" "$MF_OUT"
hms_call hms_misc_client events "$ALICE" "$LAST" 0
assert_eq "a file removed is an ALTER_PARTITION of its partition" "ALTER_PARTITION ev t" \
	"$(hms_val event.1 | cut -d' ' -f2-)"
assert_eq "... with the partition's values" '{"dt": "a:b"}' "$(hms_val event.1.msg.keyValues)"
assert_eq "... and nothing else" 1 "$(hms_val events)"

# The ids are the log's: the same after a remount.
mf_umount "$M" || mf_abort "unmount"
mf_mount_shared
hms_call hms_misc_client events "$ALICE" "$CUR" 0
assert_eq "after a remount the same events have the same ids" \
	"$(grep -P '^event\.\d+\t' <<<"$ALL")" "$(grep -P '^event\.\d+\t' <<<"$OUT" | head -n 7)"

mf_finish
