"""hms_parts_client.py - the partition reads of the Hive Metastore API
(test_hms_partitions.sh), on hms_lib.py.

Modes (after GENDIR PORT):
  main USER       every partition read on warehouse.sales.ev (dt, hour) and
                  warehouse.sales.tags (tag, n)
  denied USER     the same calls as a user who may not see the tables
  big USER        get_partition_names, get_partitions and a filter count of
                  warehouse.sales.big
Lists are printed with "|" between entries (no test value holds one).
"""
from hms_lib import ARGS, MODE, attempt, connect, out

from thrift.Thrift import TException
from hive_metastore.ttypes import MetaException, NoSuchObjectException

DB = "sales"


def names(parts):
    """The partition names from each partition's location (its last
    directories, one per key)."""
    res = []
    for p in parts:
        res.append("/".join(p.sd.location.split("/")[-len(p.values):]))
    return res


def call(key, fn):
    """FN's answer; on an exception print its class and message as KEY.raw
    (and KEY is left out) and give None."""
    try:
        return fn()
    except TException as e:
        out(key + ".raw", "%s: %s" % (type(e).__name__, getattr(e, "message", e)))
        return None


def show_parts(key, fn):
    """Call FN (a list of Partition); print the names, values, locations,
    statistics and other fields under KEY.*."""
    ps = call(key, fn)
    if ps is None:
        return None
    out(key, "|".join(names(ps)))
    out(key + ".values", "|".join(",".join(p.values) for p in ps))
    out(key + ".locations", "|".join(p.sd.location for p in ps))
    out(key + ".numRows", "|".join(p.parameters.get("numRows", "?") for p in ps))
    out(key + ".numFiles", "|".join(p.parameters.get("numFiles", "?") for p in ps))
    out(key + ".totalSize", "|".join(p.parameters.get("totalSize", "?") for p in ps))
    out(key + ".db", "|".join(sorted(set(p.dbName for p in ps))))
    out(key + ".table", "|".join(sorted(set(p.tableName for p in ps))))
    out(key + ".catName", "|".join(sorted(set(str(p.catName) for p in ps))))
    out(key + ".createTime_positive", all(p.createTime > 0 for p in ps))
    out(key + ".lastAccessTime", "|".join(sorted(set(str(p.lastAccessTime) for p in ps))))
    out(key + ".ddlTime_positive",
        all(int(p.parameters.get("transient_lastDdlTime", "0")) > 0 for p in ps))
    out(key + ".cols", "|".join(sorted(set(",".join(c.name + ":" + c.type for c in p.sd.cols) for p in ps))))
    out(key + ".inputFormat", "|".join(sorted(set(p.sd.inputFormat for p in ps))))
    out(key + ".serde", "|".join(sorted(set(p.sd.serdeInfo.serializationLib for p in ps))))
    return ps


def show_names(key, fn):
    v = call(key, fn)
    if v is not None:
        out(key, "|".join(v))


def one(key, fn):
    """A single Partition: its name, values and location, or the exception."""
    try:
        p = fn()
    except (MetaException, NoSuchObjectException) as e:
        out(key, "%s: %s" % (type(e).__name__, e.message))
        return
    out(key, names([p])[0])
    out(key + ".values", ",".join(p.values))
    out(key + ".location", p.sd.location)
    out(key + ".numRows", p.parameters.get("numRows"))


def main(user):
    c, _, _ = connect(user)
    ev, tags = "ev", "tags"
    show_names("names", lambda: c.get_partition_names(DB, ev, -1))
    show_names("names.max2", lambda: c.get_partition_names(DB, ev, 2))
    show_names("names.max0", lambda: c.get_partition_names(DB, ev, 0))
    show_names("names.catalog", lambda: c.get_partition_names("@hive#" + DB, ev, -1))
    show_parts("parts", lambda: c.get_partitions(DB, ev, -1))
    show_parts("parts.max2", lambda: c.get_partitions(DB, ev, 2))
    show_parts("parts.auth", lambda: c.get_partitions_with_auth(DB, ev, -1, "someone", ["g"]))
    show_parts("parts.catalog", lambda: c.get_partitions("@hive#" + DB, ev, -1))
    show_parts("ps.prefix", lambda: c.get_partitions_ps(DB, ev, ["2024-05-01"], -1))
    show_parts("ps.wild", lambda: c.get_partitions_ps(DB, ev, ["", "10"], -1))
    show_parts("ps.full", lambda: c.get_partitions_ps(DB, ev, ["2024-05-02", "9"], -1))
    show_parts("ps.none", lambda: c.get_partitions_ps(DB, ev, ["1999-01-01"], -1))
    show_parts("ps.empty", lambda: c.get_partitions_ps(DB, ev, [], -1))
    show_parts("ps.max1", lambda: c.get_partitions_ps(DB, ev, ["", "10"], 1))
    show_parts("ps.auth", lambda: c.get_partitions_ps_with_auth(DB, ev, ["", "10"], -1, "x", []))
    attempt("ps.toolong", lambda: c.get_partitions_ps(DB, ev, ["a", "b", "c"], -1))
    show_names("names_ps.prefix", lambda: c.get_partition_names_ps(DB, ev, ["2024-05-01"], -1))
    show_names("names_ps.wild", lambda: c.get_partition_names_ps(DB, ev, ["", "10"], -1))
    show_names("names_ps.tag", lambda: c.get_partition_names_ps(DB, tags, ["a b/c=d:e%f"], -1))
    show_parts("by_names", lambda: c.get_partitions_by_names(
        DB, ev, ["dt=2024-05-02/hour=9", "dt=2024-05-09/hour=1", "dt=2024-05-01/hour=10",
                 "dt=2024-05-02/hour=9", "nonsense"]))
    show_parts("by_names.none", lambda: c.get_partitions_by_names(DB, ev, []))
    one("get", lambda: c.get_partition(DB, ev, ["2024-05-01", "10"]))
    one("get.missing", lambda: c.get_partition(DB, ev, ["2024-05-01", "11"]))
    one("get.short", lambda: c.get_partition(DB, ev, ["2024-05-01"]))
    one("get.long", lambda: c.get_partition(DB, ev, ["2024-05-01", "10" + "0" * 300]))
    show_names("names_ps.long", lambda: c.get_partition_names_ps(DB, ev, ["2024-05-01" + "x" * 300], -1))
    one("get.auth", lambda: c.get_partition_with_auth(DB, ev, ["2024-05-01", "10"], "x", []))
    one("get.catalog", lambda: c.get_partition("@hive#" + DB, ev, ["2024-05-01", "10"]))
    one("by_name", lambda: c.get_partition_by_name(DB, ev, "dt=2024-05-01/hour=10"))
    one("by_name.missing", lambda: c.get_partition_by_name(DB, ev, "dt=2024-05-01/hour=11"))
    one("by_name.bad", lambda: c.get_partition_by_name(DB, ev, "hour=10/dt=2024-05-01"))
    one("get.notable", lambda: c.get_partition(DB, "nope", ["2024-05-01", "10"]))
    show_names("names.notable", lambda: c.get_partition_names(DB, "nope", -1))
    show_names("flat.names", lambda: c.get_partition_names(DB, "flat", -1))
    show_parts("flat.parts", lambda: c.get_partitions(DB, "flat", -1))
    one("flat.get", lambda: c.get_partition(DB, "flat", []))
    # the string key whose values need escaping
    show_names("tags.names", lambda: c.get_partition_names(DB, tags, -1))
    show_parts("tags.parts", lambda: c.get_partitions(DB, tags, -1))
    one("tags.get", lambda: c.get_partition(DB, tags, ["a b/c=d:e%f", "1"]))
    one("tags.by_name", lambda: c.get_partition_by_name(DB, tags, "tag=a b%2Fc%3Dd%3Ae%25f/n=1"))
    one("tags.by_name_lower", lambda: c.get_partition_by_name(DB, tags, "tag=a b%2fc%3dd%3ae%25f/n=1"))
    show_parts("tags.by_names", lambda: c.get_partitions_by_names(DB, tags, ["tag=a b%2Fc%3Dd%3Ae%25f/n=1"]))
    # filters
    filters = {
        "gt": "hour > 9",
        "eq": "dt = '2024-05-02'",
        "range": "dt >= '2024-05-02' and dt < '2024-06-01'",
        "in": "hour in (3, 10)",
        "or": "dt = '2024-05-01' or hour = 3",
        "and_num": "hour >= 3 and hour <= 9",
    }
    for k, f in filters.items():
        show_names("filter." + k, lambda f=f: names(c.get_partitions_by_filter(DB, ev, f, -1)))
        attempt("count." + k, lambda f=f: c.get_num_partitions_by_filter(DB, ev, f))
    show_names("filter.max1", lambda: names(c.get_partitions_by_filter(DB, ev, "hour > 0", 1)))
    attempt("filter.bad", lambda: c.get_partitions_by_filter(DB, ev, "hour >>> 3", -1))
    attempt("count.bad", lambda: c.get_num_partitions_by_filter(DB, ev, "nokey = 1"))


def denied(user):
    c, _, _ = connect(user)
    ev = "ev"
    calls = {
        "get_partitions": lambda: c.get_partitions(DB, ev, -1),
        "get_partitions_with_auth": lambda: c.get_partitions_with_auth(DB, ev, -1, user, []),
        "get_partition_names": lambda: c.get_partition_names(DB, ev, -1),
        "get_partitions_ps": lambda: c.get_partitions_ps(DB, ev, ["2024-05-01"], -1),
        "get_partitions_ps_with_auth": lambda: c.get_partitions_ps_with_auth(DB, ev, [], -1, user, []),
        "get_partition_names_ps": lambda: c.get_partition_names_ps(DB, ev, [], -1),
        "get_partitions_by_names": lambda: c.get_partitions_by_names(DB, ev, ["dt=2024-05-01/hour=10"]),
        "get_partition": lambda: c.get_partition(DB, ev, ["2024-05-01", "10"]),
        "get_partition_with_auth": lambda: c.get_partition_with_auth(DB, ev, ["2024-05-01", "10"], user, []),
        "get_partition_by_name": lambda: c.get_partition_by_name(DB, ev, "dt=2024-05-01/hour=10"),
        "get_partitions_by_filter": lambda: c.get_partitions_by_filter(DB, ev, "hour > 9", -1),
        "get_num_partitions_by_filter": lambda: c.get_num_partitions_by_filter(DB, ev, "hour > 9"),
    }
    for k, fn in calls.items():
        try:
            v = fn()
            out(k, "answered: %r" % (v,))
        except TException as e:
            out(k, "%s: %s" % (type(e).__name__, getattr(e, "message", e)))
    one("missing", lambda: c.get_partition(DB, "nope", ["2024-05-01", "10"]))
    one("hidden", lambda: c.get_partition(DB, ev, ["2024-05-01", "10"]))


def big(user):
    c, _, _ = connect(user)
    n = c.get_partition_names(DB, "big", -1)
    out("big.names", len(n))
    out("big.names.distinct", len(set(n)))
    ps = c.get_partitions(DB, "big", -1)
    out("big.parts", len(ps))
    out("big.agree", names(ps) == n)
    out("big.rows", sum(int(p.parameters["numRows"]) for p in ps))
    out("big.ps", len(c.get_partitions_ps(DB, "big", [""], -1)))
    out("big.max", len(c.get_partition_names(DB, "big", 32767)))
    try:
        out("big.filter", c.get_num_partitions_by_filter(DB, "big", "k >= 10000"))
    except TException as e:
        out("big.filter", "%s: %s" % (type(e).__name__, getattr(e, "message", e)))


{"main": main, "denied": denied, "big": big}[MODE](*ARGS)
