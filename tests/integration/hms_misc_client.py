#!/usr/bin/env python3
"""hms_misc_client.py - drives metafsd's schema, statistics, function,
batch-table and notification calls for test_hms_misc.sh.

usage: hms_misc_client.py GENDIR PORT MODE [ARGS...]
Prints one "key<TAB>value" line per answer.  Modes:
  main USER            the schema, statistics, function and table calls
  current USER         get_current_notificationEventId
  events USER LAST MAX get_next_notification after LAST, MAX a call, paged
                       to the end: one "event.I" line per event
                       ("ID TYPE DB TABLE"), its message's fields, and the
                       size of each page
  skip USER LAST TYPES the events after LAST but those of the TYPES
                       (comma-separated eventTypeSkipList)
  count USER FROM DB   get_notification_events_count
  nougi                the calls without a throws clause, before set_ugi
"""
import datetime
import decimal
import json
import sys

from hms_lib import MODE, ARGS, attempt, connect, out  # noqa: E402 (sets the path)
from thrift.Thrift import TException  # noqa: E402

from hive_metastore.ttypes import (  # noqa: E402
    GetDatabaseRequest, GetFieldsRequest, GetSchemaRequest, GetTablesRequest,
    NotificationEventRequest, NotificationEventsCountRequest, PartitionsStatsRequest,
    TableStatsRequest)


def cols(fs):
    return ",".join("%s:%s" % (f.name, f.type) for f in fs)


def stat_text(o):
    """A ColumnStatisticsObj as "name type kind low high nulls ndv"."""
    d = o.statsData
    for kind in ("longStats", "doubleStats", "dateStats", "decimalStats",
                 "stringStats", "booleanStats", "binaryStats", "timestampStats"):
        s = getattr(d, kind, None)
        if s is not None:
            break
    lo = getattr(s, "lowValue", None)
    hi = getattr(s, "highValue", None)

    def val(v):
        if v is None:
            return "-"
        if kind == "dateStats":
            return (datetime.date(1970, 1, 1) + datetime.timedelta(days=v.daysSinceEpoch)).isoformat()
        if kind == "decimalStats":
            n = int.from_bytes(v.unscaled, "big", signed=True)
            return str(decimal.Decimal(n).scaleb(-v.scale))
        if kind == "doubleStats":
            return repr(float(v))
        return str(v)
    return "%s %s %s %s %s %s %s" % (o.colName, o.colType, kind, val(lo), val(hi),
                                     s.numNulls, getattr(s, "numDVs", "-"))


def main_calls(user):
    c = connect(user)[0]
    out("get_fields", cols(c.get_fields("sales", "orders")))
    out("get_fields_env", cols(c.get_fields_with_environment_context("sales", "orders", None)))
    out("get_schema", cols(c.get_schema("sales", "orders")))
    out("get_schema_env", cols(c.get_schema_with_environment_context("sales", "orders", None)))
    out("get_fields_req", cols(c.get_fields_req(GetFieldsRequest(dbName="sales", tblName="orders")).fields))
    out("get_schema_req", cols(c.get_schema_req(GetSchemaRequest(dbName="sales", tblName="orders")).fields))
    attempt("get_fields.missing", lambda: c.get_fields("sales", "nope"))
    attempt("get_schema.hidden", lambda: c.get_schema("sales", "secret"))
    attempt("get_fields.missing_db", lambda: c.get_fields("nodb", "orders"))
    d = c.get_database_req(GetDatabaseRequest(name="sales"))
    out("get_database_req.name", d.name)
    out("get_database_req.locationUri", d.locationUri)
    d = c.get_database_req(GetDatabaseRequest(name="sales", catalogName="hive"))
    out("get_database_req.catalog", d.catalogName)
    attempt("get_database_req.missing", lambda: c.get_database_req(GetDatabaseRequest(name="nope")))

    ts = c.get_table_objects_by_name("sales", ["orders", "nope", "secret", "orders", "p"])
    out("by_name", ",".join(t.tableName for t in ts))
    out("by_name.cols", cols(ts[0].sd.cols) if ts else "")
    r = c.get_table_objects_by_name_req(GetTablesRequest(dbName="sales", tblNames=["secret", "p", "nope"]))
    out("by_name_req", ",".join(t.tableName for t in r.tables))
    r = c.get_table_objects_by_name_req(GetTablesRequest(dbName="sales"))
    out("by_name_req.all", ",".join(sorted(t.tableName for t in r.tables)))
    attempt("by_name_req.missing_db", lambda: c.get_table_objects_by_name_req(
        GetTablesRequest(dbName="nodb", tblNames=["orders"])))
    out("by_name.missing_db", len(c.get_table_objects_by_name("nodb", ["orders"])))

    for col in ("id", "x", "amount", "d", "name"):
        try:
            st = c.get_table_column_statistics("sales", "p", col)
        except TException as e:
            out("colstat." + col, "%s: %s" % (type(e).__name__, getattr(e, "message", e)))
            continue
        out("colstat." + col, stat_text(st.statsObj[0]))
        out("colstat." + col + ".desc", "%s %s %s %s" % (st.statsDesc.isTblLevel, st.statsDesc.dbName,
                                                         st.statsDesc.tableName, st.statsDesc.catName))
    attempt("colstat.csv", lambda: c.get_table_column_statistics("sales", "orders", "id"))
    attempt("colstat.nocol", lambda: c.get_table_column_statistics("sales", "p", "nocol"))
    attempt("colstat.hidden", lambda: c.get_table_column_statistics("sales", "secret", "id"))
    r = c.get_table_statistics_req(TableStatsRequest(dbName="sales", tblName="p",
                                                     colNames=["name", "id", "nocol", "d", "x", "amount"],
                                                     engine="hive"))
    out("tablestats", "|".join(stat_text(o) for o in r.tableStats))
    r = c.get_table_statistics_req(TableStatsRequest(dbName="sales", tblName="orders", colNames=["id"],
                                                     engine="hive"))
    out("tablestats.csv", len(r.tableStats))
    attempt("tablestats.hidden", lambda: c.get_table_statistics_req(
        TableStatsRequest(dbName="sales", tblName="secret", colNames=["id"], engine="hive")))
    r = c.get_partitions_statistics_req(PartitionsStatsRequest(
        dbName="sales", tblName="pp", colNames=["id", "name"], partNames=["g=1", "g=2", "g=9", "bad"],
        engine="hive"))
    for k in sorted(r.partStats):
        out("partstats." + k, "|".join(stat_text(o) for o in r.partStats[k]))
    out("partstats.keys", ",".join(sorted(r.partStats)))

    out("get_functions", c.get_functions("sales", "*"))
    out("get_all_functions", c.get_all_functions().functions)


def show_events(user, last, maxev, skip=None):
    c = connect(user)[0]
    i = 0
    pages = []
    while True:
        r = c.get_next_notification(NotificationEventRequest(lastEvent=last, maxEvents=maxev,
                                                             eventTypeSkipList=skip))
        if not r.events:
            break
        pages.append(str(len(r.events)))
        for e in r.events:
            i += 1
            out("event.%d" % i, "%d %s %s %s" % (e.eventId, e.eventType, e.dbName, e.tableName or "-"))
            m = json.loads(e.message)
            out("event.%d.time_ok" % i, e.eventTime > 0 and m.get("timestamp") == e.eventTime)
            out("event.%d.format" % i, e.messageFormat)
            out("event.%d.catName" % i, e.catName)
            out("event.%d.increasing" % i, e.eventId > last)
            for k in ("db", "table", "servicePrincipal"):
                out("event.%d.msg.%s" % (i, k), m.get(k, "-"))
            out("event.%d.msg.server_ok" % i, m.get("server", "").startswith("thrift://"))
            if "partitions" in m:
                out("event.%d.msg.partitions" % i, json.dumps(m["partitions"], sort_keys=True))
            if "keyValues" in m:
                out("event.%d.msg.keyValues" % i, json.dumps(m["keyValues"], sort_keys=True))
            if "files" in m:
                out("event.%d.msg.files" % i, ",".join(m["files"]))
            last = e.eventId
        if maxev > 0 and len(r.events) > maxev:
            out("too_many", len(r.events))
            break
    out("events", i)
    out("pages", ",".join(pages))


if MODE == "main":
    main_calls(ARGS[0])
elif MODE == "skip":
    show_events(ARGS[0], int(ARGS[1]), 0, ARGS[2].split(","))
elif MODE == "current":
    out("current", connect(ARGS[0])[0].get_current_notificationEventId().eventId)
elif MODE == "events":
    show_events(ARGS[0], int(ARGS[1]), int(ARGS[2]))
elif MODE == "count":
    c = connect(ARGS[0])[0]
    out("count", c.get_notification_events_count(
        NotificationEventsCountRequest(fromEventId=int(ARGS[1]), dbName=ARGS[2])).eventsCount)
    out("count.limit", c.get_notification_events_count(
        NotificationEventsCountRequest(fromEventId=int(ARGS[1]), dbName=ARGS[2], limit=2)).eventsCount)
    out("count.other_catalog", c.get_notification_events_count(
        NotificationEventsCountRequest(fromEventId=int(ARGS[1]), dbName=ARGS[2], catName="nocat")).eventsCount)
elif MODE == "nougi":
    c = connect()[0]
    attempt("current", lambda: c.get_current_notificationEventId().eventId)
    attempt("events", lambda: len(c.get_next_notification(NotificationEventRequest(lastEvent=0)).events))
    attempt("by_name", lambda: len(c.get_table_objects_by_name("sales", ["orders"])))
    attempt("get_fields", lambda: c.get_fields("sales", "orders"))
else:
    sys.exit("unknown mode " + MODE)
