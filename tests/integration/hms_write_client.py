#!/usr/bin/env python3
"""hms_write_client.py - drives metafsd's Hive Metastore API write calls for
test_hms_writes.sh.

usage: hms_write_client.py GENDIR PORT MODE USER [ARGS...]
Prints one "key<TAB>value" line per answer (an exception as "Class:
message"); the test compares them with what the mount shows.  Modes:
  create USER               database hdb, the CSV table hdb.events
                            partitioned by dt, partitions 2024-06-01 (add_partition)
                            and 2024-06-02, 2024-06-03 (add_partitions)
  add USER DT...            add_partition of each DT
  drop USER DT              drop_partition of DT (by values)
  dropname USER NAME        drop_partition_by_name
  dups USER                 duplicates, ifNotExists, all-or-nothing
  bad USER                  bad names, types, formats and values
  alter USER                alter_table and alter_partition(s)
  denied USER               every write, by a user who may not
  hidden USER               writes of a table the user cannot see
  mirror USER               writes of lake's mirror of hdb.events (read-only)
  drops USER                drop_database (refused), drop_table, drop_database;
                            hdb2 with a JSONL and a Parquet table, dropped with cascade
"""
from hms_lib import MODE, ARGS, attempt, connect, out  # noqa: E402 (sets the path)

from hive_metastore.ttypes import (  # noqa: E402
    AddPartitionsRequest, Database, EnvironmentContext, FieldSchema, Partition, SerDeInfo,
    StorageDescriptor, Table)

LAZY = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
TEXT_IN = "org.apache.hadoop.mapred.TextInputFormat"
TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"


def table(db, name, cols, parts, serde=LAZY, serde_params=None, params=None, inf=TEXT_IN):
    sd = StorageDescriptor(
        cols=[FieldSchema(n, t, "") for n, t in cols], location="file:///elsewhere/" + name,
        inputFormat=inf, outputFormat=TEXT_OUT, compressed=False, numBuckets=-1,
        serdeInfo=SerDeInfo(name, serde, serde_params if serde_params is not None
                            else {"field.delim": ",", "serialization.format": ","}),
        bucketCols=[], sortCols=[], parameters={})
    return Table(tableName=name, dbName=db, owner="x", createTime=0, lastAccessTime=0,
                 retention=0, sd=sd, partitionKeys=[FieldSchema(n, t, "") for n, t in parts],
                 parameters=params or {}, viewOriginalText=None, viewExpandedText=None,
                 tableType="EXTERNAL_TABLE")


def part(dt, db="hdb", tbl="events", location=None, params=None):
    sd = StorageDescriptor(cols=[], location=location) if location else None
    return Partition(values=[dt], dbName=db, tableName=tbl, createTime=0, lastAccessTime=0,
                     sd=sd, parameters=params or {})


EVENTS_COLS = [("id", "bigint"), ("name", "string"), ("amount", "decimal(10,2)"), ("n", "int")]


def main():
    user = ARGS[0]
    rest = ARGS[1:]
    c, proto, trans = connect(user)
    if MODE == "create":
        attempt("create_database", lambda: c.create_database(
            Database(name="hdb", description="", locationUri="file:///ignored", parameters={})))
        t = table("hdb", "events", EVENTS_COLS, [("dt", "date")],
                  params={"team": "ingest", "skip.header.line.count": "1", "EXTERNAL": "TRUE"})
        attempt("create_table", lambda: c.create_table(t))
        p = attempt("add_partition", lambda: c.add_partition(part("2024-06-01")))
        if p is not None:
            out("add_partition.values", ",".join(p.values))
            out("add_partition.location", p.sd.location)
        attempt("add_partitions", lambda: c.add_partitions([part("2024-06-02"), part("2024-06-03")]))
        got = c.get_table("hdb", "events")
        out("get_table.cols", ",".join("%s:%s" % (f.name, f.type) for f in got.sd.cols))
        out("get_table.location", got.sd.location)
    elif MODE == "add":
        for dt in rest:
            attempt("add." + dt, lambda: ",".join(c.add_partition(part(dt)).values))
    elif MODE == "drop":
        attempt("drop", lambda: c.drop_partition("hdb", "events", [rest[0]], True))
    elif MODE == "dropname":
        attempt("dropname", lambda: c.drop_partition_by_name("hdb", "events", rest[0], False))
    elif MODE == "dups":
        attempt("dup.add_partition", lambda: c.add_partition(part("2024-06-01")))
        attempt("dup.add_partitions", lambda: c.add_partitions([part("2024-06-05"), part("2024-06-01")]))
        attempt("dup.twice", lambda: c.add_partitions([part("2024-06-06"), part("2024-06-06")]))
        r = attempt("dup.ifnotexists", lambda: c.add_partitions_req(AddPartitionsRequest(
            dbName="hdb", tblName="events", parts=[part("2024-06-01"), part("2024-06-04")],
            ifNotExists=True, needResult=True)))
        if r is not None:
            out("dup.ifnotexists.added", ";".join(",".join(p.values) for p in r.partitions))
        attempt("dup.create_database", lambda: c.create_database(
            Database(name="hdb", description="", locationUri="", parameters={})))
        attempt("dup.create_table", lambda: c.create_table(
            table("hdb", "events", EVENTS_COLS, [("dt", "date")])))
    elif MODE == "bad":
        attempt("bad.db_name", lambda: c.create_database(
            Database(name="bad/db", description="", locationUri="", parameters={})))
        attempt("bad.table_name", lambda: c.create_table(
            table("hdb", "bad/name", EVENTS_COLS, [])))
        attempt("bad.type", lambda: c.create_table(
            table("hdb", "badtype", [("id", "bigint"), ("tags", "array<string>")], [])))
        attempt("bad.serde", lambda: c.create_table(table(
            "hdb", "badserde", EVENTS_COLS, [], serde="org.apache.hadoop.hive.ql.io.orc.OrcSerde",
            inf="org.apache.hadoop.hive.ql.io.orc.OrcInputFormat")))
        attempt("bad.delim", lambda: c.create_table(table(
            "hdb", "baddelim", EVENTS_COLS, [], serde_params={"field.delim": "|"})))
        attempt("bad.no_db", lambda: c.create_table(table("nodb", "t", EVENTS_COLS, [])))
        attempt("bad.value", lambda: c.add_partition(part("notadate")))
        attempt("bad.nvalues", lambda: c.add_partition(
            Partition(values=["2024-06-07", "x"], dbName="hdb", tableName="events")))
        attempt("bad.no_table", lambda: c.add_partition(part("2024-06-07", tbl="nope")))
        attempt("bad.drop_missing", lambda: c.drop_partition("hdb", "events", ["2030-01-01"], True))
        attempt("bad.drop_table_missing", lambda: c.drop_table("hdb", "nope", True))
        attempt("bad.drop_database_missing", lambda: c.drop_database("nodb", True, False))
    elif MODE == "alter":
        t = c.get_table("hdb", "events")
        t.parameters["team"] = "platform"
        t.parameters["tier"] = "gold"
        attempt("alter_table.props", lambda: c.alter_table("hdb", "events", t))
        t2 = c.get_table("hdb", "events")
        out("alter_table.after.team", t2.parameters.get("team"))
        t2.sd.cols.append(FieldSchema("extra", "string", ""))
        attempt("alter_table.cols", lambda: c.alter_table_with_environment_context(
            "hdb", "events", t2, EnvironmentContext({})))
        t3 = c.get_table("hdb", "events")
        t3.tableName = "renamed"
        attempt("alter_table.rename", lambda: c.alter_table("hdb", "events", t3))
        attempt("alter_partition.stats", lambda: c.alter_partition(
            "hdb", "events", part("2024-06-01", params={"numRows": "99", "COLUMN_STATS_ACCURATE": "x"})))
        attempt("alter_partitions.stats", lambda: c.alter_partitions(
            "hdb", "events", [part("2024-06-01"), part("2024-06-03")]))
        attempt("alter_partition.location", lambda: c.alter_partition(
            "hdb", "events", part("2024-06-01", location="file:///elsewhere/dt=2024-06-01")))
        attempt("alter_partition.missing", lambda: c.alter_partition(
            "hdb", "events", part("2031-01-01")))
    elif MODE == "denied":
        attempt("denied.create_database", lambda: c.create_database(
            Database(name="bobdb", description="", locationUri="", parameters={})))
        attempt("denied.create_table", lambda: c.create_table(
            table("hdb", "bobt", EVENTS_COLS, [])))
        attempt("denied.add_partition", lambda: c.add_partition(part("2024-07-01")))
        attempt("denied.add_partitions_req", lambda: c.add_partitions_req(AddPartitionsRequest(
            dbName="hdb", tblName="events", parts=[part("2024-07-02")], ifNotExists=True)))
        attempt("denied.drop_partition", lambda: c.drop_partition("hdb", "events", ["2024-06-01"], True))
        t = c.get_table("hdb", "events")
        t.parameters["team"] = "bob"
        attempt("denied.alter_table", lambda: c.alter_table("hdb", "events", t))
        attempt("denied.alter_partition", lambda: c.alter_partition("hdb", "events", part("2024-06-01")))
        attempt("denied.drop_table", lambda: c.drop_table("hdb", "events", True))
        attempt("denied.drop_database", lambda: c.drop_database("hdb", True, True))
    elif MODE == "hidden":
        attempt("hidden.add_partition", lambda: c.add_partition(part("2024-07-01")))
        attempt("hidden.drop_table", lambda: c.drop_table("hdb", "events", True))
        attempt("hidden.drop_database", lambda: c.drop_database("hdb", True, True))
    elif MODE == "mirror":
        mp = part("2024-06-11")
        mp.catName = "lake"
        attempt("mirror.add_partition", lambda: c.add_partition(mp))
        attempt("mirror.drop_partition", lambda: c.drop_partition("@lake#hdb", "events", ["2024-06-02"], True))
        attempt("mirror.drop_table", lambda: c.drop_table("@lake#hdb", "events", True))
    elif MODE == "drops":
        attempt("drops.database_not_empty", lambda: c.drop_database("hdb", True, False))
        attempt("drops.table", lambda: c.drop_table_with_environment_context(
            "hdb", "events", True, EnvironmentContext({})))
        attempt("drops.database", lambda: c.drop_database("hdb", True, False))
        attempt("drops.create_hdb2", lambda: c.create_database(
            Database(name="hdb2", description="", locationUri="", parameters={})))
        attempt("drops.create_json", lambda: c.create_table(table(
            "hdb2", "logs", [("msg", "varchar(100)"), ("at", "timestamp")], [],
            serde="org.apache.hive.hcatalog.data.JsonSerDe", serde_params={})))
        attempt("drops.create_parquet", lambda: c.create_table(table(
            "hdb2", "facts", [("k", "tinyint"), ("v", "float")], [("region", "string")],
            serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", serde_params={},
            inf="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")))
        logs = c.get_table("hdb2", "logs")
        out("drops.json_serde", logs.sd.serdeInfo.serializationLib)
        logs.sd.cols.append(FieldSchema("level", "string", ""))
        attempt("drops.alter_empty_cols", lambda: c.alter_table("hdb2", "logs", logs))
        out("drops.json_cols", ",".join("%s:%s" % (f.name, f.type) for f in c.get_table("hdb2", "logs").sd.cols))
        attempt("drops.cascade", lambda: c.drop_database("hdb2", True, True))
    trans.close()


main()
