"""hms_lib.py - what every Hive Metastore API test client shares.

A client is run as CLIENT.py GENDIR PORT MODE [ARGS...] (see hms_call in
lib.sh): GENDIR holds the code `thrift --gen py` made from
hms/hive_metastore.thrift, PORT is metafsd's [hms] port.  Clients print one
"key<TAB>value" line per answer, which the test script compares with what
the mount shows.
"""
import sys

sys.path.insert(0, sys.argv[1])
PORT = int(sys.argv[2])
MODE = sys.argv[3]
ARGS = sys.argv[4:]

from thrift.Thrift import TException  # noqa: E402
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import TSocket, TTransport  # noqa: E402

from hive_metastore import ThriftHiveMetastore  # noqa: E402


def out(key, value):
    print("%s\t%s" % (key, value), flush=True)


def connect(user=None):
    """A client on a new buffered binary connection; with USER, set_ugi
    USER first."""
    sock = TSocket.TSocket("127.0.0.1", PORT)
    sock.setTimeout(60000)
    trans = TTransport.TBufferedTransport(sock)
    proto = TBinaryProtocol.TBinaryProtocol(trans)
    client = ThriftHiveMetastore.Client(proto)
    trans.open()
    if user is not None:
        client.set_ugi(user, [])
    return client, proto, trans


def attempt(key, fn):
    """Call FN; print its answer, or the exception's class and message
    (any exception Hive's IDL declares: they all carry a message)."""
    try:
        v = fn()
    except TException as e:
        out(key, "%s: %s" % (type(e).__name__, getattr(e, "message", e)))
        return None
    out(key, v)
    return v
