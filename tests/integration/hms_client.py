#!/usr/bin/env python3
"""hms_client.py - drives metafsd's Hive Metastore API for test_hms.sh.

usage: hms_client.py GENDIR PORT MODE [ARGS...]
Prints one "key<TAB>value" line per answer; test_hms.sh compares them with
what the mount shows.  Modes:
  main USER        every served call as USER (who may see warehouse.sales)
  other USER       the calls of a user without grants
  refused USER     set_ugi USER, then get_all_databases
  nougi            a catalog call before set_ugi
  raw              malformed bytes on raw sockets (python3 socket)
  many USER N      N connections one after another
"""
import socket
import struct
import sys

from hms_lib import PORT, MODE, attempt, connect, out  # noqa: E402 (sets the path)
from thrift.Thrift import TApplicationException, TMessageType  # noqa: E402

from hive_metastore.ttypes import GetTableRequest  # noqa: E402


def cols(fs):
    return ",".join("%s:%s" % (f.name, f.type) for f in fs)


def show_table(key, t):
    out(key + ".tableName", t.tableName)
    out(key + ".dbName", t.dbName)
    out(key + ".owner", t.owner)
    out(key + ".createTime", t.createTime)
    out(key + ".tableType", t.tableType)
    out(key + ".catName", t.catName)
    out(key + ".cols", cols(t.sd.cols))
    out(key + ".partitionKeys", cols(t.partitionKeys))
    out(key + ".location", t.sd.location)
    out(key + ".inputFormat", t.sd.inputFormat)
    out(key + ".outputFormat", t.sd.outputFormat)
    out(key + ".serde", t.sd.serdeInfo.serializationLib)
    out(key + ".serdeParams", ",".join("%s=%s" % kv for kv in sorted(t.sd.serdeInfo.parameters.items())))
    for k in sorted(t.parameters):
        out(key + ".param." + k, t.parameters[k])


def main_calls(user):
    c, proto, trans = connect()
    out("set_ugi", c.set_ugi(user, ["g1"]))
    out("getName", c.getName())
    out("getVersion", c.getVersion())
    out("getStatus", c.getStatus())
    out("aliveSince_positive", c.aliveSince() > 0)
    out("get_config_value.default", c.get_config_value("no.such.key", "dflt"))
    out("get_config_value.warehouse", c.get_config_value("hive.metastore.warehouse.dir", ""))
    out("get_all_databases", ",".join(c.get_all_databases()))
    out("get_databases.star", ",".join(c.get_databases("sal*")))
    out("get_databases.alt", ",".join(c.get_databases("nomatch|SALES")))
    out("get_databases.catalog", ",".join(c.get_databases("@hive#*")))
    d = c.get_database("sales")
    out("db.name", d.name)
    out("db.locationUri", d.locationUri)
    out("db.catalogName", d.catalogName)
    attempt("get_database.missing", lambda: c.get_database("nope"))
    out("get_all_tables", ",".join(c.get_all_tables("sales")))
    out("get_tables.pattern", ",".join(c.get_tables("sales", "ord*")))
    out("get_tables.catalog", ",".join(c.get_tables("@hive#sales", "*")))
    out("get_tables_by_type.external", ",".join(c.get_tables_by_type("sales", "ord*", "EXTERNAL_TABLE")))
    out("get_tables_by_type.any", ",".join(c.get_tables_by_type("sales", "*", "")))
    out("get_tables_by_type.view", ",".join(c.get_tables_by_type("sales", "*", "VIRTUAL_VIEW")))
    show_table("orders", c.get_table("sales", "orders"))
    r = c.get_table_req(GetTableRequest(dbName="sales", tblName="orders"))
    out("req.tableName", r.table.tableName)
    out("req.cols", cols(r.table.sd.cols))
    r = c.get_table_req(GetTableRequest(dbName="sales", tblName="orders", catName="warehouse"))
    out("req.platform.tableName", r.table.tableName)
    if "events" in c.get_all_tables("sales"):
        show_table("events", c.get_table("sales", "events"))
    show_table("logs", c.get_table("sales", "logs"))
    attempt("get_table.missing", lambda: c.get_table("sales", "nope"))
    attempt("get_table.missing_db", lambda: c.get_table("nodb", "orders"))
    attempt("get_table.bad_catalog", lambda: c.get_table_req(
        GetTableRequest(dbName="sales", tblName="orders", catName="nocatalog")))
    # An unknown method: a TApplicationException, and the connection stays.
    proto.writeMessageBegin("no_such_method", TMessageType.CALL, 77)
    proto.writeStructBegin("args")
    proto.writeFieldStop()
    proto.writeStructEnd()
    proto.writeMessageEnd()
    trans.flush()
    name, mtype, seqid = proto.readMessageBegin()
    x = TApplicationException()
    x.read(proto)
    proto.readMessageEnd()
    out("unknown.type", "exception" if mtype == TMessageType.EXCEPTION else mtype)
    out("unknown.seqid", seqid)
    out("unknown.app_type", x.type)
    out("unknown.after", c.getName())
    trans.close()


def other_calls(user):
    c, _, trans = connect()
    out("set_ugi", c.set_ugi(user, []))
    out("get_all_databases", ",".join(c.get_all_databases()))
    out("get_all_tables", ",".join(c.get_all_tables("sales")))
    out("get_tables", ",".join(c.get_tables("sales", "*")))
    attempt("get_table.hidden", lambda: c.get_table("sales", "orders"))
    attempt("get_table.missing", lambda: c.get_table("sales", "nope"))
    attempt("get_database.hidden", lambda: c.get_database("sales"))
    trans.close()


def refused(user):
    c, _, trans = connect()
    attempt("set_ugi", lambda: c.set_ugi(user, []))
    attempt("after", lambda: c.get_all_databases())
    trans.close()


def nougi():
    c, _, trans = connect()
    attempt("get_all_databases", lambda: c.get_all_databases())
    out("getName", c.getName())
    trans.close()


def closed_after(key, payload, shut=False):
    """Send PAYLOAD on a new socket; print whether the server closed it
    without a reply."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=20)
    s.sendall(payload)
    if shut:
        s.shutdown(socket.SHUT_WR)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    out(key, "closed" if data == b"" else "answered %r" % data[:40])
    s.close()


def raw():
    closed_after("garbage", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    closed_after("bad_version", b"\x80\x02\x00\x01" + b"\x00" * 16)
    closed_after("huge_name", struct.pack(">I", 0x80010001) + struct.pack(">i", 2**31 - 1) + b"abc")
    # get_table with a db_name string claiming 2^31-1 bytes
    msg = struct.pack(">I", 0x80010001) + struct.pack(">i", 9) + b"get_table" + struct.pack(">i", 1)
    closed_after("huge_string", msg + b"\x0b\x00\x01" + struct.pack(">i", 2**31 - 1) + b"xx")
    # a list of 2^31-1 elements inside skipped arguments
    closed_after("huge_list", msg + b"\x0f\x00\x09\x0b" + struct.pack(">i", 2**31 - 1))
    closed_after("truncated", msg + b"\x0b\x00\x01" + struct.pack(">i", 10) + b"sal", shut=True)
    c, _, trans = connect()
    out("after_raw", c.getName())
    trans.close()


def many(user, n):
    """N connections one after another (more than LMDB's 126 reader
    slots: each connection's thread must give its reader back)."""
    answered = 0
    for _ in range(n):
        c, _, trans = connect()
        c.set_ugi(user, [])
        if "orders" in c.get_all_tables("sales"):
            answered += 1
        trans.close()
    out("many", answered)


if MODE == "main":
    main_calls(sys.argv[4])
elif MODE == "other":
    other_calls(sys.argv[4])
elif MODE == "refused":
    refused(sys.argv[4])
elif MODE == "many":
    many(sys.argv[4], int(sys.argv[5]))
elif MODE == "nougi":
    nougi()
elif MODE == "raw":
    raw()
