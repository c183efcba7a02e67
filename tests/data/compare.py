#!/usr/bin/env python3
"""compare.py - compare a metafs job result with the same query's SQLite output.

    compare.py [--ordered] [--bools COL,...] [--doubles COL,...] [--rel-tol T]
               METAFS.csv SQLITE.csv

Both files are CSV with a header line (sqlite3 -csv -header omits the header
when there are no rows; then only the row count is compared).  Exit status 0
when they agree, 1 with a report on stdout when they do not, 2 on bad usage.

Agreement:
  - the same column names, in order (queries alias every output column);
  - the same rows: in the same order with --ordered (the query's ORDER BY is
    a total order), otherwise as multisets (both sides sorted the same way);
  - fields: NULL (an empty unquoted field) equals only NULL; an empty string
    is a quoted empty field ("") and equals only an empty string; two numbers
    are equal when |a - b| <= T * max(|a|, |b|) (T = 1e-9 by default), so 3
    and 3.0 agree but 3 and 3.5 do not; anything else compares as text,
    byte for byte (dates, timestamps, strings, true/false).
  - with --doubles, the tolerance holds in the named columns only: numbers in
    the other columns (DECIMAL, BIGINT) must be equal exactly, as decimal
    numbers (1.50 equals 1.5, 0.105 does not equal 0.1050000001); in the
    named columns a number metafs writes with 6 or more decimal places (a
    DECIMAL average or quotient, as Spark types them) also agrees when it is
    the other value rounded to those places (0.050225 and 0.0502246883).
  - SQLite has no boolean type: in the columns named by --bools its 1 and 0
    are read as true and false.  Nothing else is normalised, in particular
    not metafs's side.
"""
import argparse
import decimal
import difflib
import math
import re
import sys

NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class Field:
    """One CSV field: text, or None for NULL (an empty field not quoted)."""
    __slots__ = ("text", "num")

    def __init__(self, text):
        self.text = text
        self.num = float(text) if text is not None and NUM.match(text) else None

    def sort_key(self):
        if self.text is None:
            return (0, 0.0, "")
        if self.num is not None:
            # rounded so that values within the tolerance sort alike
            return (1, float("%.10g" % self.num), "")
        return (2, 0.0, self.text)

    def show(self, raw=True):
        if self.text is None:
            return "NULL"
        if self.num is not None:
            # in the diff, numbers equal within the tolerance look alike
            return self.text if raw else "%.9g" % self.num
        if self.text == "" or any(c in self.text for c in ',"\n') or self.text != self.text.strip():
            return '"' + self.text.replace('"', '""') + '"'
        return self.text


def parse_csv(data, path):
    """RFC 4180 records; a field is (text or None).  Unlike Python's csv
    module this keeps an unquoted empty field (NULL) apart from "" (an empty
    string)."""
    records = []
    rec = []
    i, n = 0, len(data)
    if n == 0:
        return records
    while True:
        if i < n and data[i] == '"':
            i += 1
            buf = []
            while True:
                j = data.find('"', i)
                if j < 0:
                    raise ValueError("%s: unterminated quoted field" % path)
                buf.append(data[i:j])
                if j + 1 < n and data[j + 1] == '"':
                    buf.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            rec.append("".join(buf))
            if i < n and data[i] not in ",\r\n":
                raise ValueError("%s: text after a closing quote at offset %d" % (path, i))
        else:
            j = i
            while j < n and data[j] not in ",\r\n":
                j += 1
            rec.append(data[i:j] if j > i else None)
            i = j
        if i < n and data[i] == ",":
            i += 1
            continue
        # end of record
        if i < n and data[i] == "\r":
            i += 1
        if i < n and data[i] == "\n":
            i += 1
        records.append(rec)
        rec = []
        if i >= n:
            break
    return records


SCALED = re.compile(r"^[+-]?\d*\.(\d{6,})$")


def fields_equal(a, b, tol, exact=False, rounded=False):
    if a.text is None or b.text is None:
        return a.text is None and b.text is None
    if a.num is not None and b.num is not None:
        if exact:
            return decimal.Decimal(a.text) == decimal.Decimal(b.text)
        m = SCALED.match(a.text) if rounded else None
        if m and not math.isnan(b.num):
            half = decimal.Decimal(5).scaleb(-len(m.group(1)) - 1)
            if abs(decimal.Decimal(a.text) - decimal.Decimal(repr(b.num))) <= half:
                return True
        if a.num == b.num:
            return True
        if math.isnan(a.num) or math.isnan(b.num):
            return False
        return abs(a.num - b.num) <= tol * max(abs(a.num), abs(b.num))
    return a.text == b.text


def rows_equal(r, s, tol, exact=None):
    """exact: None (tolerance everywhere) or the columns compared exactly;
    the others then also take metafs's rounded decimals (r is metafs's row)."""
    return len(r) == len(s) and all(
        fields_equal(a, b, tol, exact is not None and k in exact, exact is not None)
        for k, (a, b) in enumerate(zip(r, s)))


def show_row(r, raw=True):
    return ",".join(f.show(raw) for f in r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ordered", action="store_true")
    ap.add_argument("--bools", default="")
    ap.add_argument("--doubles", default=None)
    ap.add_argument("--rel-tol", type=float, default=1e-9)
    ap.add_argument("metafs")
    ap.add_argument("sqlite")
    a = ap.parse_args()

    try:
        with open(a.metafs, encoding="utf-8", newline="") as f:
            mrec = parse_csv(f.read(), a.metafs)
        with open(a.sqlite, encoding="utf-8", newline="") as f:
            srec = parse_csv(f.read(), a.sqlite)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        print("compare.py: %s" % e)
        return 1

    problems = []
    if not mrec:
        print("metafs result is empty: no header line")
        return 1
    mhead = [h if h is not None else "" for h in mrec[0]]
    mrows = mrec[1:]
    if srec:
        shead = [h if h is not None else "" for h in srec[0]]
        srows = srec[1:]
        if mhead != shead:
            problems.append("columns differ: metafs %s, sqlite %s" % (mhead, shead))
    else:
        shead = None
        srows = []

    bools = [c for c in a.bools.split(",") if c]
    for c in bools:
        if c not in mhead:
            print("compare.py: --bools column %r is not in the result %s" % (c, mhead))
            return 2
    bidx = [mhead.index(c) for c in bools]
    for r in srows:
        for k in bidx:
            if k < len(r):
                r[k] = {"1": "true", "0": "false"}.get(r[k], r[k]) if r[k] is not None else None

    exact = None
    if a.doubles is not None:
        doubles = [c for c in a.doubles.split(",") if c]
        for c in doubles:
            if c not in mhead:
                print("compare.py: --doubles column %r is not in the result %s" % (c, mhead))
                return 2
        exact = frozenset(k for k, c in enumerate(mhead) if c not in doubles)

    mrows = [[Field(x) for x in r] for r in mrows]
    srows = [[Field(x) for x in r] for r in srows]
    for label, rows, width in (("metafs", mrows, len(mhead)), ("sqlite", srows, len(shead or mhead))):
        bad = [i for i, r in enumerate(rows) if len(r) != width]
        if bad:
            problems.append("%s: row %d has %d fields, the header %d" % (label, bad[0] + 1, len(rows[bad[0]]), width))
    if not a.ordered:
        def key(r):
            return [f.sort_key() for f in r]
        mrows.sort(key=key)
        srows.sort(key=key)
    if len(mrows) != len(srows):
        problems.append("row counts differ: metafs %d, sqlite %d" % (len(mrows), len(srows)))
    first = None
    ndiff = 0
    for i, (r, s) in enumerate(zip(mrows, srows)):
        if not rows_equal(r, s, a.rel_tol, exact):
            ndiff += 1
            if first is None:
                first = i
    if ndiff:
        problems.append("%d of %d rows differ (%s); first at row %d:" % (
            ndiff, min(len(mrows), len(srows)), "in order" if a.ordered else "sorted", first + 1))
        problems.append("  metafs: " + show_row(mrows[first]))
        problems.append("  sqlite: " + show_row(srows[first]))
    if not problems:
        return 0
    for p in problems:
        print(p)
    ml = [show_row(r, False) for r in mrows]
    sl = [show_row(r, False) for r in srows]
    d = list(difflib.unified_diff(sl, ml, "sqlite", "metafs", n=1, lineterm=""))
    if d:
        print("diff (sqlite -> metafs, %s rows):" % ("ordered" if a.ordered else "sorted"))
        for line in d[:60]:
            print(line)
        if len(d) > 60:
            print("... %d more diff lines" % (len(d) - 60))
    return 1


if __name__ == "__main__":
    sys.exit(main())
