#!/usr/bin/env python3
"""hms_load_client.py - many Hive Metastore API clients at once, for
test_hms_load.sh.

usage: hms_load_client.py GENDIR PORT MODE [ARGS...]
  lister USER DB TABLE BASE ADDED ROUNDS
        ROUNDS times: get_partition_names, then get_partitions_by_filter
        (p >= "1"), of DB.TABLE.  Also prints "seen<TAB>j,j,...": how many
        additions each get_partition_names saw.  Each answer must be a state some commit
        left: the BASE partitions p=0000000 ... and the first j of the
        ADDED partitions p=1000000, p=1000001 ... (added one at a time, in
        that order), for some j.  Prints "ok<TAB>R" or "bad<TAB>reason".
  count USER DB TABLE
        The number of names get_partition_names answers: "names<TAB>N".
  adder USER DB TABLE ADDED
        add_partition p=1000000 ... one at a time.  Prints "added<TAB>N".
"""
from hms_lib import ARGS, MODE, connect, out  # noqa: E402 (sets the path)

from hive_metastore.ttypes import Partition  # noqa: E402


def consistent(names, base, added):
    """'' when NAMES is BASE + a prefix of ADDED partitions, else why not."""
    want_base = ["p=%07d" % i for i in range(base)]
    got = sorted(names)
    if len(got) != len(set(got)):
        return "a name repeats"
    if got[:base] != want_base:
        return "the base partitions are not all there (%d names)" % len(got)
    extra = got[base:]
    if extra != ["p=%07d" % (1000000 + i) for i in range(len(extra))]:
        return "the added partitions are not a prefix of the additions: %r" % extra[:5]
    if len(extra) > added:
        return "more partitions than were added"
    return ""


def lister(user, db, table, base, added, rounds):
    c, _, trans = connect(user)
    seen = []
    for r in range(rounds):
        names = c.get_partition_names(db, table, -1)
        why = consistent(names, base, added)
        if why:
            out("bad", "get_partition_names: " + why)
            return
        seen.append(len(names) - base)
        parts = c.get_partitions_by_filter(db, table, 'p >= "1"', -1)
        names = ["p=" + p.values[0] for p in parts]
        extra = sorted(n for n in names)
        if extra != ["p=%07d" % (1000000 + i) for i in range(len(extra))] or len(extra) > added:
            out("bad", "get_partitions_by_filter: %r" % extra[:5])
            return
    out("ok", rounds)
    out("seen", ",".join(str(j) for j in seen))
    trans.close()


def adder(user, db, table, added):
    c, _, trans = connect(user)
    t = c.get_table(db, table)
    where = t.sd.location
    n = 0
    for i in range(added):
        v = "%07d" % (1000000 + i)
        sd = t.sd
        sd.location = where + "/p=" + v
        c.add_partition(Partition(values=[v], dbName=db, tableName=table, sd=sd, parameters={}))
        n += 1
    out("added", n)
    trans.close()


def count(user, db, table):
    c, _, trans = connect(user)
    out("names", len(c.get_partition_names(db, table, -1)))
    trans.close()


if MODE == "lister":
    lister(ARGS[0], ARGS[1], ARGS[2], int(ARGS[3]), int(ARGS[4]), int(ARGS[5]))
elif MODE == "count":
    count(ARGS[0], ARGS[1], ARGS[2])
elif MODE == "adder":
    adder(ARGS[0], ARGS[1], ARGS[2], int(ARGS[3]))
