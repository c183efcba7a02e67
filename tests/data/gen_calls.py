#!/usr/bin/env python3
"""gen_calls.py - a seeded, realistic UCaaS call-quality data set.

    gen_calls.py [--seed S] [--rows N] [--days D] [--start YYYY-MM-DD] OUT

writes
    OUT/calls/dt=YYYY-MM-DD/part-00000.csv   one file per day, with a header line
    OUT/regions.csv                          the region dimension, with a header line
    OUT/calls.count                          the number of call rows written
    OUT/tariffs.csv                          per-minute tariffs (DECIMAL columns), with a header line

calls(meeting_id, region, client_type, participants, duration_s, jitter_ms,
packet_loss_pct, latency_ms, mos, dropped, started_at), partitioned by dt: one
row per participant leg of a meeting, so a meeting_id repeats.  The data has
what a differential test needs:
  - NULLs in every column but meeting_id (an empty field; no column holds an empty
    string, which the engines' CSV outputs could not tell from NULL);
  - strings that need CSV quoting: client types with a comma and with
    double quotes, a country with a comma; one with surrounding blanks;
  - a region in calls that the regions table lacks (sa-east) and one in
    regions that no call uses (af-south);
  - correlated measures (loss and jitter lower the MOS and raise drops), so
    filters and group-bys give uneven groups.
tariffs(tariff_id, region, client_type, rate, fee, tax, tax_cap, valid_from)
is a small table of exact amounts for DECIMAL(6,4), DECIMAL(8,2), DECIMAL(4,2)
and DECIMAL(6,3) columns: NULLs, negative fees, values written without
trailing zeros ("12.5", "7") and tax / tax_cap values that are equal across
the two scales (0.06 and 0.060).  It comes from its own random stream, so the
calls data is the same with or without it.
The same seed always gives the same bytes (Python's random is stable across
versions for random(), randint() is not used).  Standard library only.
"""
import argparse
import csv
import datetime
import os
import random
import sys

REGIONS = [  # (name, weight); None is a NULL region
    ("us-east", 30), ("us-west", 18), ("eu-west", 20), ("eu-central", 12),
    ("ap-south", 8), ("ap-northeast", 6), ("ap-northeast-2", 3), ("sa-east", 2),
    (None, 1),
]
CLIENTS = [
    ("desktop", 34), ("web", 20), ("mobile-ios", 14), ("mobile-android", 13),
    ("room-system", 8), ("web, legacy", 5), ('desktop "beta"', 4), (" kiosk ", 1),
    (None, 1),
]
# region, country, tier: af-south is in no call; sa-east (in calls) is missing
REGION_DIM = [
    ("us-east", "United States", "gold"),
    ("us-west", "United States", "gold"),
    ("eu-west", "Ireland", "gold"),
    ("eu-central", "Germany", "silver"),
    ("ap-south", "India", "silver"),
    ("ap-northeast", "Japan", "silver"),
    ("ap-northeast-2", "Korea, Republic of", "bronze"),
    ("af-south", "South Africa", "bronze"),
]
HEADER = ["meeting_id", "region", "client_type", "participants", "duration_s",
          "jitter_ms", "packet_loss_pct", "latency_ms", "mos", "dropped",
          "started_at"]


def pick(rng, table):
    total = sum(w for _, w in table)
    x = rng.random() * total
    for v, w in table:
        x -= w
        if x < 0:
            return v
    return table[-1][0]


def maybe_null(rng, value, p):
    return None if rng.random() < p else value


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def fmt_dec(n, scale, short=False):
    """n * 10^-scale as plain decimal text with scale digits after the point;
    short drops trailing zeros (and the point), as hand-written files do."""
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(scale + 1, "0")
    whole, frac = digits[:len(digits) - scale], digits[len(digits) - scale:]
    if short:
        frac = frac.rstrip("0")
    return sign + whole + ("." + frac if frac else "")


def write_tariffs(path, seed, start):
    rng = random.Random(seed * 7 + 1)
    regions = [r for r, _ in REGIONS] + ["af-south"]
    clients = ["desktop", "web", "mobile-ios", "mobile-android", "room-system", None]
    taxes = [5, 6, 6, 7, 8, 10, 20, None]            # DECIMAL(4,2), in cents
    caps = [50, 60, 65, 70, 100, 125, None]          # DECIMAL(6,3), in thousandths
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["tariff_id", "region", "client_type", "rate", "fee", "tax", "tax_cap", "valid_from"])
        for i in range(1, 61):
            short = i % 7 == 0
            rate = 10 + int(rng.random() * 490)                 # 0.0010 .. 0.0499
            fee = int(rng.random() * 55000) - 5000             # -50.00 .. 499.99
            if i % 9 == 0:
                fee = (fee // 100) * 100                       # a whole amount
            tax = taxes[int(rng.random() * len(taxes))]
            cap = caps[int(rng.random() * len(caps))]
            day = start + datetime.timedelta(days=int(rng.random() * 15) - 3)
            w.writerow([
                i,
                fmt(regions[int(rng.random() * len(regions))]),
                fmt(clients[int(rng.random() * len(clients))]),
                "" if rng.random() < 0.05 else fmt_dec(rate, 4, short),
                "" if rng.random() < 0.08 else fmt_dec(fee, 2, short),
                "" if tax is None else fmt_dec(tax, 2, short),
                "" if cap is None else fmt_dec(cap, 3, short),
                day.isoformat(),
            ])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=20240501)
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--start", default="2024-05-01")
    ap.add_argument("out")
    a = ap.parse_args()
    if a.rows < 1 or a.days < 1:
        sys.exit("gen_calls.py: --rows and --days must be positive")
    rng = random.Random(a.seed)
    start = datetime.date.fromisoformat(a.start)

    # uneven days: weekends are quieter
    weights = []
    for d in range(a.days):
        day = start + datetime.timedelta(days=d)
        weights.append(0.35 if day.weekday() >= 5 else 1.0 + 0.3 * rng.random())
    total = sum(weights)
    per_day = [int(a.rows * w / total) for w in weights]
    per_day[-1] += a.rows - sum(per_day)

    meeting = 0
    written = 0
    for d in range(a.days):
        day = start + datetime.timedelta(days=d)
        pdir = os.path.join(a.out, "calls", "dt=" + day.isoformat())
        os.makedirs(pdir, exist_ok=True)
        with open(os.path.join(pdir, "part-00000.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(HEADER)
            n = 0
            while n < per_day[d]:
                meeting += 1
                legs = min(per_day[d] - n, 1 + int(rng.random() ** 3 * 12))
                mid = "m-%06d" % meeting
                region = pick(rng, REGIONS)
                secs = int(rng.random() * 86400)
                duration = 30 + int(rng.random() ** 2 * 5400)
                for _ in range(legs):
                    client = pick(rng, CLIENTS)
                    loss = round(rng.random() ** 4 * 12.0, 3)
                    jitter = round(2.0 + rng.random() ** 2 * 60.0 + loss * 2.5, 2)
                    latency = 20 + int(rng.random() * 180) + (120 if region in ("ap-south", "sa-east") else 0)
                    mos = round(max(1.0, min(4.5, 4.45 - loss * 0.22 - jitter * 0.012 - latency * 0.0008)), 2)
                    dropped = rng.random() < 0.02 + loss * 0.03
                    leg_start = min(86399, secs + int(rng.random() * 120))
                    ts = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(seconds=leg_start)
                    row = [
                        mid,
                        region,
                        client,
                        maybe_null(rng, legs, 0.02),
                        maybe_null(rng, max(5, duration - int(rng.random() * 300)), 0.02),
                        maybe_null(rng, jitter, 0.03),
                        maybe_null(rng, loss, 0.03),
                        maybe_null(rng, latency, 0.02),
                        maybe_null(rng, mos, 0.04),
                        maybe_null(rng, dropped, 0.02),
                        maybe_null(rng, ts.strftime("%Y-%m-%d %H:%M:%S"), 0.01),
                    ]
                    w.writerow([fmt(v) for v in row])
                    n += 1
            written += n

    with open(os.path.join(a.out, "regions.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "country", "tier"])
        for r in REGION_DIM:
            w.writerow(r)
    write_tariffs(os.path.join(a.out, "tariffs.csv"), a.seed, start)
    with open(os.path.join(a.out, "calls.count"), "w") as f:
        f.write("%d\n" % written)


if __name__ == "__main__":
    main()
