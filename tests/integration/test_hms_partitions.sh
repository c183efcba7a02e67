#!/usr/bin/env bash
# test_hms_partitions.sh - the partition reads of the Hive Metastore API
# ([hms] listen): a Python client generated with `thrift --gen py` from
# hms/hive_metastore.thrift calls get_partitions, get_partitions_with_auth,
# get_partition_names, the _ps calls (a prefix, an empty-string wildcard),
# get_partitions_by_names, get_partition(_with_auth, _by_name),
# get_partitions_by_filter and get_num_partitions_by_filter, and each answer
# agrees with what the mount shows: names, raw values, locations that are
# the partitions' directories, numRows/numFiles/totalSize of .partition.
# Values needing Hive's escaping ("a b/c=d:e%f") round-trip; a user without
# grants gets NoSuchObjectException from every call, as for a missing
# table, and is audited; a table of 20,000 partitions is listed whole.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
MF_AUDIT=all   # the test checks entries of allowed reads and lists

mf_shared_home
mf_hms_setup
ALICE=mfhpalice$$
BOB=mfhpbob$$
CAROL=mfhpcarol$$
mf_add_user "$ALICE"
mf_add_user "$BOB"
mf_add_user "$CAROL"
mf_mount_shared
W=$M/warehouse
EV=$W/sales/ev
TAGS=$W/sales/tags

# ---------------------------------------------------------------- the tables, through the mount
mf_make_table "$EV" $'format csv\nheader true\ncolumn id bigint\ncolumn msg string
partition dt date\npartition hour int\n'
for p in dt=2024-05-01/hour=10 dt=2024-05-01/hour=9 dt=2024-05-02/hour=3 dt=2024-05-02/hour=9 \
	dt=2024-06-10/hour=10; do
	mf_run mkdir -p "$EV/$p" || mf_abort "mkdir $p" "$MF_OUT"
done
printf 'id,msg\n1,a\n2,b\n' >"$MF_TMP/two.csv"
printf 'id,msg\n1,a\n2,b\n3,c\n' >"$MF_TMP/three.csv"
mf_run cp "$MF_TMP/two.csv" "$EV/dt=2024-05-01/hour=10/part-0.csv" || mf_abort "cp" "$MF_OUT"
mf_run cp "$MF_TMP/three.csv" "$EV/dt=2024-05-02/hour=9/part-0.csv" || mf_abort "cp" "$MF_OUT"
mf_run cp "$MF_TMP/two.csv" "$EV/dt=2024-05-02/hour=9/part-1.csv" || mf_abort "cp" "$MF_OUT"

# A string key whose value holds a space, '/', '=', ':' and '%': the
# directory is named with Hive's escaping.
TAGDIR='tag=a b%2Fc%3Dd%3Ae%25f'
mf_make_table "$TAGS" $'format csv\nheader true\ncolumn id bigint\npartition tag string\npartition n bigint\n'
for p in "$TAGDIR/n=1" "tag=plain/n=2"; do
	mf_run mkdir -p "$TAGS/$p" || mf_abort "mkdir $p" "$MF_OUT"
done
mf_run cp "$MF_TMP/two.csv" "$TAGS/$TAGDIR/n=1/part-0.csv" || mf_abort "cp tags" "$MF_OUT"
mf_make_table "$W/sales/flat" $'format csv\ncolumn id bigint\n'
run_job grant "GRANT SELECT ON DATABASE warehouse.sales TO USER $ALICE;
GRANT MODIFY ON TABLE warehouse.sales.ev TO USER $CAROL;"
assert_eq "GRANT SELECT on the database to the first user (MODIFY on ev to the third) succeeds" succeeded "$STATE" || note "$STATUS"

# The partitions as the mount lists them: "dt=.../hour=..." in the mount's
# own order (ls -U: the order of readdir), and each one's .partition fields.
mount_parts() {
	local d h
	while IFS= read -r d; do
		while IFS= read -r h; do
			printf '%s/%s\n' "$d" "$h"
		done < <(ls -1U --quoting-style=literal "$1/$d")
	done < <(ls -1U --quoting-style=literal "$1")
}
joined() { paste -sd'|'; }
fields_of() {
	local p
	while IFS= read -r p; do mf_field "$1/$p/.partition" "$2"; done < <(mount_parts "$1")
}
EXPECT=$(mount_parts "$EV" | joined)
EXPECT_N=$(mount_parts "$EV" | wc -l)
assert_eq "the mount shows five partitions" 5 "$EXPECT_N"

# ---------------------------------------------------------------- every call
hms_call hms_parts_client main "$ALICE"
assert_eq "the client's calls all return" 0 "$HMS_RC" || note "$OUT"
assert_eq "get_partition_names: the mount's partitions, in the mount's order" "$EXPECT" "$(hms_val names)"
assert_eq "... which is the order of the values (raw bytes), the first key first" \
	"dt=2024-05-01/hour=10|dt=2024-05-01/hour=9|dt=2024-05-02/hour=3|dt=2024-05-02/hour=9|dt=2024-06-10/hour=10" \
	"$(hms_val names)"
assert_eq "get_partition_names with max_parts 2: the first two" "$(mount_parts "$EV" | head -n 2 | joined)" \
	"$(hms_val names.max2)"
assert_eq "get_partition_names with max_parts 0: none" "" "$(hms_val names.max0)"
assert_eq "get_partition_names takes @catalog#db" "$EXPECT" "$(hms_val names.catalog)"
assert_eq "get_partitions: the same partitions in the same order" "$EXPECT" "$(hms_val parts)"
assert_eq "get_partitions: raw values" \
	"2024-05-01,10|2024-05-01,9|2024-05-02,3|2024-05-02,9|2024-06-10,10" "$(hms_val parts.values)"
assert_eq "get_partitions: numRows of each is rows of its .partition" "$(fields_of "$EV" rows | joined)" \
	"$(hms_val parts.numRows)"
assert_eq "get_partitions: numFiles of each is files of its .partition" "$(fields_of "$EV" files | joined)" \
	"$(hms_val parts.numFiles)"
assert_eq "get_partitions: totalSize of each is bytes of its .partition" "$(fields_of "$EV" bytes | joined)" \
	"$(hms_val parts.totalSize)"
assert_eq "... and they are not all zero" "2|0|0|5|0" "$(hms_val parts.numRows)"
assert_eq "get_partitions: locations are the partitions' directories in the mount" \
	"$(mount_parts "$EV" | sed "s|^|file://$EV/|" | joined)" "$(hms_val parts.locations)"
LOCS_OK=yes
IFS='|' read -r -a LOCS <<<"$(hms_val parts.locations)"
for l in "${LOCS[@]}"; do [ -d "${l#file://}" ] || LOCS_OK="no: $l"; done
assert_eq "... and each exists in the mount" yes "$LOCS_OK"
assert_eq "get_partitions: dbName" sales "$(hms_val parts.db)"
assert_eq "get_partitions: tableName" ev "$(hms_val parts.table)"
assert_eq "get_partitions: catName" hive "$(hms_val parts.catName)"
assert_eq "get_partitions: createTime is the partition's" True "$(hms_val parts.createTime_positive)"
assert_eq "get_partitions: lastAccessTime 0" 0 "$(hms_val parts.lastAccessTime)"
assert_eq "get_partitions: transient_lastDdlTime is set" True "$(hms_val parts.ddlTime_positive)"
assert_eq "get_partitions: the table's columns in the partition's descriptor" "id:bigint,msg:string" \
	"$(hms_val parts.cols)"
assert_eq "get_partitions: the table's input format" org.apache.hadoop.mapred.TextInputFormat \
	"$(hms_val parts.inputFormat)"
assert_eq "get_partitions: the table's serde" org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe \
	"$(hms_val parts.serde)"
assert_eq "get_partitions with max_parts 2" "$(mount_parts "$EV" | head -n 2 | joined)" "$(hms_val parts.max2)"
assert_eq "get_partitions_with_auth: the same (user_name and groups are ignored)" "$EXPECT" "$(hms_val parts.auth)"
assert_eq "get_partitions takes @catalog#db" "$EXPECT" "$(hms_val parts.catalog)"
assert_eq "get_partitions_ps with a prefix" "$(mount_parts "$EV" | grep '^dt=2024-05-01/' | joined)" \
	"$(hms_val ps.prefix)"
assert_eq "get_partitions_ps: an empty string matches any value" \
	"$(mount_parts "$EV" | grep '/hour=10$' | joined)" "$(hms_val ps.wild)"
assert_eq "get_partitions_ps with every value: that partition" "dt=2024-05-02/hour=9" "$(hms_val ps.full)"
assert_eq "get_partitions_ps of a missing value: none" "" "$(hms_val ps.none)"
assert_eq "get_partitions_ps with no values: all" "$EXPECT" "$(hms_val ps.empty)"
assert_eq "get_partitions_ps with max_parts 1" "dt=2024-05-01/hour=10" "$(hms_val ps.max1)"
assert_eq "get_partitions_ps_with_auth" "$(hms_val ps.wild)" "$(hms_val ps.auth)"
assert_match "get_partitions_ps with more values than keys: MetaException" '^MetaException' \
	"$(hms_val ps.toolong)"
assert_eq "get_partition_names_ps with a prefix" "$(hms_val ps.prefix)" "$(hms_val names_ps.prefix)"
assert_eq "get_partition_names_ps with a wildcard" "$(hms_val ps.wild)" "$(hms_val names_ps.wild)"
assert_eq "get_partition_names_ps with a value needing escapes" "$TAGDIR/n=1" "$(hms_val names_ps.tag)"
assert_eq "get_partitions_by_names: those found, in the order asked, each once" \
	"dt=2024-05-02/hour=9|dt=2024-05-01/hour=10" "$(hms_val by_names)"
assert_eq "get_partitions_by_names: their statistics" \
	"$(mf_field "$EV/dt=2024-05-02/hour=9/.partition" rows)|$(mf_field "$EV/dt=2024-05-01/hour=10/.partition" rows)" \
	"$(hms_val by_names.numRows)"
assert_eq "get_partitions_by_names of no names: none" "" "$(hms_val by_names.none)"
assert_eq "get_partition" "dt=2024-05-01/hour=10" "$(hms_val get)"
assert_eq "get_partition: values" "2024-05-01,10" "$(hms_val get.values)"
assert_eq "get_partition: location" "file://$EV/dt=2024-05-01/hour=10" "$(hms_val get.location)"
assert_eq "get_partition: numRows" "$(mf_field "$EV/dt=2024-05-01/hour=10/.partition" rows)" \
	"$(hms_val get.numRows)"
assert_match "get_partition of a missing partition: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get.missing)"
assert_match "get_partition with fewer values than keys: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get.short)"
assert_match "get_partition with a value longer than a name: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get.long)"
assert_eq "get_partition_names_ps with a value longer than a name: none" "" "$(hms_val names_ps.long)"
assert_eq "get_partition_with_auth" "dt=2024-05-01/hour=10" "$(hms_val get.auth)"
assert_eq "get_partition takes @catalog#db" "dt=2024-05-01/hour=10" "$(hms_val get.catalog)"
assert_eq "get_partition_by_name" "dt=2024-05-01/hour=10" "$(hms_val by_name)"
assert_match "get_partition_by_name of a missing one: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val by_name.missing)"
assert_match "get_partition_by_name with the keys out of order: MetaException" '^MetaException' \
	"$(hms_val by_name.bad)"
assert_match "get_partition of a missing table: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val get.notable)"
assert_match "get_partition_names of a missing table: NoSuchObjectException" '^NoSuchObjectException' \
	"$(hms_val names.notable.raw)"
assert_eq "an unpartitioned table has no partition names" "" "$(hms_val flat.names)"
assert_eq "... nor partitions" "" "$(hms_val flat.parts)"
assert_match "... and get_partition: NoSuchObjectException" '^NoSuchObjectException' "$(hms_val flat.get)"

# ---------------------------------------------------------------- Hive's escaping
assert_eq "a value needing escapes: the name is the mount's directory names" \
	"$(mount_parts "$TAGS" | joined)" "$(hms_val tags.names)"
assert_eq "... escaped as Hive escapes it" "$TAGDIR/n=1|tag=plain/n=2" "$(hms_val tags.names)"
assert_eq "... its value raw" "a b/c=d:e%f,1|plain,2" "$(hms_val tags.parts.values)"
assert_eq "... its location is its directory" "file://$TAGS/$TAGDIR/n=1|file://$TAGS/tag=plain/n=2" \
	"$(hms_val tags.parts.locations)"
assert_eq "... its numRows" "$(fields_of "$TAGS" rows | joined)" "$(hms_val tags.parts.numRows)"
assert_eq "get_partition by the raw value" "$TAGDIR/n=1" "$(hms_val tags.get)"
assert_eq "get_partition_by_name by the escaped name" "a b/c=d:e%f,1" "$(hms_val tags.by_name.values)"
assert_eq "... lower-case hex digits too" "a b/c=d:e%f,1" "$(hms_val tags.by_name_lower.values)"
assert_eq "get_partitions_by_names by the escaped name" "$TAGDIR/n=1" "$(hms_val tags.by_names)"

# ---------------------------------------------------------------- filters
assert_eq "filter hour > 9 compares numbers: 10 is in, 9 and 3 are out" \
	"dt=2024-05-01/hour=10|dt=2024-06-10/hour=10" "$(hms_val filter.gt)"
assert_eq "filter dt = '2024-05-02'" "dt=2024-05-02/hour=3|dt=2024-05-02/hour=9" "$(hms_val filter.eq)"
assert_eq "filter: a date range" "dt=2024-05-02/hour=3|dt=2024-05-02/hour=9" "$(hms_val filter.range)"
assert_eq "filter: IN" "dt=2024-05-01/hour=10|dt=2024-05-02/hour=3|dt=2024-06-10/hour=10" \
	"$(hms_val filter.in)"
assert_eq "filter: OR" "dt=2024-05-01/hour=10|dt=2024-05-01/hour=9|dt=2024-05-02/hour=3" \
	"$(hms_val filter.or)"
assert_eq "filter: a numeric range" "dt=2024-05-01/hour=9|dt=2024-05-02/hour=3|dt=2024-05-02/hour=9" \
	"$(hms_val filter.and_num)"
for k in gt eq range in or and_num; do
	assert_eq "get_num_partitions_by_filter $k counts what the filter lists" \
		"$(hms_val "filter.$k" | tr '|' '\n' | grep -c .)" "$(hms_val "count.$k")"
done
assert_eq "filter with max_parts 1" "dt=2024-05-01/hour=10" "$(hms_val filter.max1)"
assert_match "a filter that does not parse: MetaException with the reason" \
	'^MetaException: filter "hour >>> 3": .+' "$(hms_val filter.bad)"
assert_match "a filter naming no partition key: MetaException" '^MetaException' "$(hms_val count.bad)"
assert_ne "the listing calls are audited as a list of the table" 0 \
	"$(mf_audit_count "$(id -u "$ALICE")" list /warehouse/sales/ev allow get_partitions)"
assert_ne "a single partition is audited as a read of the table" 0 \
	"$(mf_audit_count "$(id -u "$ALICE")" read /warehouse/sales/ev allow get_partition)"

# ---------------------------------------------------------------- a user without grants
hms_call hms_parts_client denied "$BOB"
assert_eq "the second user's calls return" 0 "$HMS_RC" || note "$OUT"
for k in get_partitions get_partitions_with_auth get_partition_names get_partitions_ps \
	get_partitions_ps_with_auth get_partition_names_ps get_partitions_by_names get_partition \
	get_partition_with_auth get_partition_by_name get_partitions_by_filter \
	get_num_partitions_by_filter; do
	assert_match "$k on a table the user cannot see: NoSuchObjectException" '^NoSuchObjectException' \
		"$(hms_val "$k")"
done
assert_eq "the answer is the one for a missing table" "$(hms_val missing | sed 's/nope/X/')" \
	"$(hms_val hidden | sed 's/ev/X/')"
assert_ne "the refusal of a listing is audited as a denial" 0 \
	"$(mf_audit_count "$(id -u "$BOB")" list /warehouse/sales/ev deny get_partitions)"
assert_ne "the refusal of a read is audited as a denial" 0 \
	"$(mf_audit_count "$(id -u "$BOB")" read /warehouse/sales/ev deny get_partition_by_name)"

# ---------------------------------------------------------------- seen, without SELECT
# MODIFY alone shows the table, but listing its directory in the mount
# needs SELECT: so do its partitions.
hms_call hms_parts_client denied "$CAROL"
assert_eq "the third user's calls return" 0 "$HMS_RC" || note "$OUT"
assert_match "a table seen without SELECT: MetaException naming SELECT" '^MetaException: .*SELECT' \
	"$(hms_val get_partitions)"
assert_match "... for a single partition too" '^MetaException: .*SELECT' "$(hms_val get_partition_by_name)"
assert_ne "... and the refusal is audited" 0 \
	"$(mf_audit_count "$(id -u "$CAROL")" list /warehouse/sales/ev deny get_partitions)"

# ---------------------------------------------------------------- 20,000 partitions
# Made in the data store and registered by `metafs repair` (as MSCK REPAIR
# TABLE would), one file of one row in each.
mf_make_table "$W/sales/big" $'format csv\ncolumn v bigint\npartition k bigint\n'
"$PY" -c '
import os, sys
d = sys.argv[1]
for i in range(20000):
    os.mkdir("%s/k=%d" % (d, i))
    with open("%s/k=%d/part-0.csv" % (d, i), "w") as f:
        f.write("%d\n" % (2 * i))
' "$H/data/warehouse/sales/big" || mf_abort "make 20,000 partition directories"
mf_run "$METAFS" repair --home "$H" warehouse.sales.big
assert_eq "metafs repair registers 20,000 partitions" 0 "$MF_RC" || note "$MF_OUT"
run_job grant_big "GRANT SELECT ON TABLE warehouse.sales.big TO USER $ALICE;"
BIG_N=$(ls "$W/sales/big" | wc -l)
assert_eq "the mount lists 20,000" 20000 "$BIG_N"
hms_call hms_parts_client big "$ALICE"
assert_eq "the client's calls on the big table return" 0 "$HMS_RC" || note "$OUT"
assert_eq "get_partition_names lists as many as ls" "$BIG_N" "$(hms_val big.names)"
assert_eq "... all distinct" "$BIG_N" "$(hms_val big.names.distinct)"
assert_eq "get_partitions answers them all in one reply" "$BIG_N" "$(hms_val big.parts)"
assert_eq "... in the order of get_partition_names" True "$(hms_val big.agree)"
assert_eq "... with every row counted once" 20000 "$(hms_val big.rows)"
assert_eq "get_partitions_ps with a wildcard: all" "$BIG_N" "$(hms_val big.ps)"
assert_eq "max_parts 32767, more than there are: all" 20000 "$(hms_val big.max)"
assert_eq "a filter count over 20,000 partitions" 10000 "$(hms_val big.filter)"

mf_finish
