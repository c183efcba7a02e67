#!/usr/bin/env bash
# bench_engine.sh - engine benchmark: a CSV scan + filter + group-by over a
# partitioned table of UCaaS call records, run as a metafs job, in SQLite and
# in DuckDB on the same files, with the three results checked against each
# other.
#
#   bench_engine.sh [--rows N] [--partitions P] [--runs R] [--dir DIR]
#                   [--cache DIR] [--no-sqlite] [--no-duckdb] [--keep]
#
#   --rows N         rows in the table (default 10000000, about 1 GB of CSV)
#   --partitions P   date partitions dt=..., one file each (default 100)
#   --runs R         each engine's query time is the best of R runs (default 1)
#   --dir DIR        where the temporary home goes (default $TMPDIR or /tmp)
#   --cache DIR      where the generator binary and @duckdb/node-api are kept
#                    (default ${XDG_CACHE_HOME:-~/.cache}/metafs-bench)
#   --no-sqlite, --no-duckdb   leave an engine out
#   --keep           keep the temporary directory
#
# The data files are written by a small C program (compiled with cc on
# first use) straight into the data store of a fresh metafs home, and the
# table is registered with `metafs repair`.  The query:
#
#   SELECT region, client_type, count(*), avg(mos), avg(jitter_ms),
#          sum(CASE WHEN dropped THEN 1 ELSE 0 END)
#   FROM calls WHERE packet_loss_pct > 1.0 GROUP BY region, client_type
#
# metafs: the job is timed from the copy into jobs/ to the end of the read of
# jobs/NAME/wait.  SQLite (sqlite3 CLI): .import of every file into one
# table, then the query, timed separately.  DuckDB (Node.js, npm package
# @duckdb/node-api, installed into the cache on first use): read_csv over
# <data store>/**/*.csv with hive_partitioning, timed inside node.  All
# engines read files that are in the page cache (just written).
#
# Environment: METAFSD, METAFS (default: build/fs/metafsd, build/tools/metafs
# of the repository holding this script).  Needs /dev/fuse, fusermount3, cc,
# python3, and sqlite3 / node+npm for those engines.
set -u
set -o pipefail
export LC_ALL=C

# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"

ROWS=10000000
PARTS=100
RUNS=1
BASE=${TMPDIR:-/tmp}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/metafs-bench
KEEP=0
DO_SQLITE=1
DO_DUCKDB=1

usage() {
	sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--rows) ROWS=${2:?--rows needs a number}; shift 2 ;;
	--rows=*) ROWS=${1#*=}; shift ;;
	--partitions) PARTS=${2:?--partitions needs a number}; shift 2 ;;
	--partitions=*) PARTS=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--dir) BASE=${2:?--dir needs a directory}; shift 2 ;;
	--cache) CACHE=${2:?--cache needs a directory}; shift 2 ;;
	--no-sqlite) DO_SQLITE=0; shift ;;
	--no-duckdb) DO_DUCKDB=0; shift ;;
	--keep) KEEP=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench_engine.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
for v in ROWS PARTS RUNS; do
	case ${!v} in '' | *[!0-9]*) echo "bench_engine.sh: --${v,,} needs a positive number" >&2; exit 2 ;; esac
	[ "${!v}" -ge 1 ] || { echo "bench_engine.sh: --${v,,} needs a positive number" >&2; exit 2; }
done
[ "$PARTS" -le 10000 ] || { echo "bench_engine.sh: at most 10000 partitions" >&2; exit 2; }
bench_preflight cc python3
if [ "$DO_SQLITE" = 1 ] && ! command -v sqlite3 >/dev/null; then
	echo "bench_engine.sh: sqlite3 is missing (or use --no-sqlite)" >&2
	exit 2
fi
if [ "$DO_DUCKDB" = 1 ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
	echo "bench_engine.sh: node and npm are needed for DuckDB (or use --no-duckdb)" >&2
	exit 2
fi

mkdir -p "$CACHE" || exit 1
bench_workdir metafs-bench-engine
H=$T/home
DS=$H/data/warehouse/bench/calls     # the table's directory in the data store

# ---------------------------------------------------------------- helpers

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a < b) }'; }
rate() { awk -v n="$ROWS" -v t="$1" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "-" }'; }

# ---------------------------------------------------------------- the generator
# A tiny C program: 10M rows in a few seconds (Python's csv writer manages
# about 50k rows/s, over three minutes for the default size).
GEN_SRC=$CACHE/gen_calls_fast.c
GEN=$CACHE/gen_calls_fast
cat >"$T/gen.c" <<'C'
/* gen_calls_fast OUTDIR ROWS PARTITIONS SEED: OUTDIR/dt=YYYY-MM-DD/part-00000.csv,
 * partitions from 2024-01-01 on, each with a header line; no NULLs (so every
 * engine, SQLite's .import included, reads the same values). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>

static uint64_t s;
static uint64_t next(void) /* splitmix64 */
{
	uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static double unif(void) { return (double)(next() >> 11) * (1.0 / 9007199254740992.0); }

static char *put_u(char *p, uint64_t v)
{
	char t[24];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = t[--n];
	return p;
}
static char *put_fixed(char *p, uint64_t v, int decimals) /* v / 10^decimals */
{
	uint64_t d = 1;
	for (int i = 0; i < decimals; i++)
		d *= 10;
	p = put_u(p, v / d);
	*p++ = '.';
	uint64_t f = v % d;
	for (uint64_t k = d / 10; k; k /= 10) {
		*p++ = (char)('0' + f / k);
		f %= k;
	}
	return p;
}
static char *put2(char *p, unsigned v) { *p++ = (char)('0' + v / 10); *p++ = (char)('0' + v % 10); return p; }
static char *put_s(char *p, const char *x) { size_t n = strlen(x); memcpy(p, x, n); return p + n; }

static void civil(long z, int *y, unsigned *m, unsigned *d) /* days since 1970-01-01 */
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static const char *regions[] = {"us-east", "us-east", "us-east", "us-west", "us-west", "eu-west", "eu-west",
				"eu-central", "ap-south", "ap-northeast", "ap-northeast-2", "sa-east"};
static const char *clients[] = {"desktop", "desktop", "desktop", "web", "web", "mobile-ios", "mobile-android",
				"room-system", "\"web, legacy\"", "\"desktop \"\"beta\"\"\""};

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: gen_calls_fast OUTDIR ROWS PARTITIONS SEED\n");
		return 2;
	}
	const char *out = argv[1];
	uint64_t rows = strtoull(argv[2], NULL, 10), parts = strtoull(argv[3], NULL, 10);
	s = strtoull(argv[4], NULL, 10);
	static char buf[1 << 20];
	char path[4096];
	uint64_t meeting = 0;
	const long day0 = 19723; /* 2024-01-01 */
	for (uint64_t pi = 0; pi < parts; pi++) {
		int y;
		unsigned m, d;
		civil(day0 + (long)pi, &y, &m, &d);
		char dt[32];
		snprintf(dt, sizeof dt, "%04d-%02u-%02u", y, m, d);
		snprintf(path, sizeof path, "%s/dt=%s", out, dt);
		if (mkdir(path, 0755) && errno != EEXIST) {
			perror(path);
			return 1;
		}
		snprintf(path, sizeof path, "%s/dt=%s/part-00000.csv", out, dt);
		FILE *f = fopen(path, "w");
		if (!f) {
			perror(path);
			return 1;
		}
		fputs("meeting_id,region,client_type,participants,duration_s,jitter_ms,packet_loss_pct,"
		      "latency_ms,mos,dropped,started_at\n", f);
		uint64_t n = rows / parts + (pi < rows % parts);
		char *p = buf;
		unsigned legs = 0, nlegs = 0, region = 0, duration = 0, secs = 0;
		for (uint64_t r = 0; r < n; r++) {
			if (legs == 0) {
				meeting++;
				double u = unif();
				nlegs = legs = 1 + (unsigned)(u * u * u * 12);
				region = (unsigned)(next() % (sizeof regions / sizeof *regions));
				duration = 30 + (unsigned)(unif() * unif() * 5400);
				secs = (unsigned)(next() % 86400);
			}
			legs--;
			double u = unif();
			unsigned loss = (unsigned)(u * u * u * u * 12000.0);          /* thousandths */
			unsigned jitter = 200 + (unsigned)(unif() * unif() * 6000.0) + loss / 4; /* hundredths */
			unsigned latency = 20 + (unsigned)(next() % 180) + (region == 8 || region == 11 ? 120 : 0);
			int mos = 445 - (int)(loss * 22 / 1000) - (int)(jitter * 12 / 1000) - (int)(latency * 8 / 100);
			mos = mos < 100 ? 100 : mos > 450 ? 450 : mos;
			int dropped = unif() < 0.02 + loss * 0.00003;
			unsigned t = secs + (unsigned)(next() % 120);
			t = t > 86399 ? 86399 : t;
			p = put_s(p, "m-");
			char id[16];
			snprintf(id, sizeof id, "%010llu", (unsigned long long)meeting);
			p = put_s(p, id);
			*p++ = ',';
			p = put_s(p, regions[region]);
			*p++ = ',';
			p = put_s(p, clients[next() % (sizeof clients / sizeof *clients)]);
			*p++ = ',';
			p = put_u(p, nlegs);
			*p++ = ',';
			p = put_u(p, duration);
			*p++ = ',';
			p = put_fixed(p, jitter, 2);
			*p++ = ',';
			p = put_fixed(p, loss, 3);
			*p++ = ',';
			p = put_u(p, latency);
			*p++ = ',';
			p = put_fixed(p, (uint64_t)mos, 2);
			*p++ = ',';
			p = put_s(p, dropped ? "true" : "false");
			*p++ = ',';
			p = put_s(p, dt);
			*p++ = ' ';
			p = put2(p, t / 3600);
			*p++ = ':';
			p = put2(p, t / 60 % 60);
			*p++ = ':';
			p = put2(p, t % 60);
			*p++ = '\n';
			if (p - buf > (long)sizeof buf - 512) {
				fwrite(buf, 1, (size_t)(p - buf), f);
				p = buf;
			}
		}
		fwrite(buf, 1, (size_t)(p - buf), f);
		if (fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
C
if [ ! -x "$GEN" ] || ! cmp -s "$T/gen.c" "$GEN_SRC"; then
	if ! { cp "$T/gen.c" "$GEN_SRC" && cc -O2 -o "$GEN.tmp" "$GEN_SRC" && mv "$GEN.tmp" "$GEN"; }; then
		die "cannot compile the generator"
	fi
fi

# ---------------------------------------------------------------- DuckDB through Node.js
DUCK=$CACHE/duckdb
if [ "$DO_DUCKDB" = 1 ]; then
	if [ ! -d "$DUCK/node_modules/@duckdb/node-api" ]; then
		echo "== installing @duckdb/node-api into $DUCK" >&2
		mkdir -p "$DUCK"
		npm install --prefix "$DUCK" --no-audit --no-fund @duckdb/node-api >"$T/npm.log" 2>&1 ||
			die "npm install @duckdb/node-api failed: $(tail -n 20 "$T/npm.log")"
	fi
	# the script lives next to node_modules so that its import resolves
	cat >"$DUCK/bench_query.mjs" <<'JS'
// node bench_query.mjs GLOB RUNS: runs the benchmark query RUNS times; prints
// "seconds <best>" then the result as CSV (header line first) on stdout.
import { DuckDBInstance } from '@duckdb/node-api';
const [glob, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 1);
const sql = `SELECT region, client_type, count(*) AS n, avg(mos) AS avg_mos,
  avg(jitter_ms) AS avg_jitter, sum(CASE WHEN dropped THEN 1 ELSE 0 END) AS drops
FROM read_csv('${glob.replace(/'/g, "''")}', hive_partitioning = true, header = true)
WHERE packet_loss_pct > 1.0
GROUP BY region, client_type`;
const instance = await DuckDBInstance.create(':memory:');
const conn = await instance.connect();
let best = Infinity, rows = null, names = null;
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const reader = await conn.runAndReadAll(sql);
  rows = reader.getRows();
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  names = reader.columnNames();
  if (t < best) best = t;
}
const csv = (v) => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'bigint' ? v.toString() : String(v);
  return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
};
let out = `seconds ${best}\n` + names.join(',') + '\n';
for (const r of rows) out += r.map(csv).join(',') + '\n';
process.stdout.write(out);
JS
fi

# ---------------------------------------------------------------- data
echo "== metafs home and table" >&2
"$METAFS" init "$H" >/dev/null || die "metafs init $H"
bench_mount
mkdir "$MNT/warehouse/bench" "$MNT/warehouse/bench/calls" || die "mkdir bench/calls through the mount"
cat >"$T/schema" <<'EOF'
format csv
header true
column meeting_id string
column region string
column client_type string
column participants bigint
column duration_s bigint
column jitter_ms double
column packet_loss_pct double
column latency_ms bigint
column mos double
column dropped boolean
column started_at timestamp
partition dt date
EOF
cp "$T/schema" "$MNT/warehouse/bench/calls/.schema" || die "writing .schema"
bench_umount

echo "== generating $ROWS rows in $PARTS partitions" >&2
mkdir -p "$DS"
t0=$(now)
"$GEN" "$DS" "$ROWS" "$PARTS" 20240501 || die "the generator failed"
t1=$(now)
GEN_T=$(elapsed "$t0" "$t1")
BYTES=$(du -sb "$DS" | cut -f1)
echo "   $(awk -v b="$BYTES" 'BEGIN { printf "%.1f MB", b / 1e6 }') in $GEN_T s" >&2
t0=$(now)
"$METAFS" repair --home "$H" warehouse.bench.calls >"$T/repair.out" 2>&1 || die "repair: $(cat "$T/repair.out")"
t1=$(now)
REPAIR_T=$(elapsed "$t0" "$t1")
echo "   $(cat "$T/repair.out") in $REPAIR_T s" >&2

QUERY="SELECT region, client_type, count(*) AS n, avg(mos) AS avg_mos,
  avg(jitter_ms) AS avg_jitter, sum(CASE WHEN dropped THEN 1 ELSE 0 END) AS drops
FROM warehouse.bench.calls
WHERE packet_loss_pct > 1.0
GROUP BY region, client_type;"

# ---------------------------------------------------------------- metafs
echo "== metafs job" >&2
bench_mount
[ "$(awk '$1 == "rows:" { print $2; exit }' "$MNT/warehouse/bench/calls/.table" 2>/dev/null)" = "$ROWS" ] ||
	echo "   warning: .table does not say rows: $ROWS" >&2
printf '%s\n' "$QUERY" >"$T/q.sql"
MF_T=''
for ((i = 1; i <= RUNS; i++)); do
	t0=$(now)
	cp "$T/q.sql" "$MNT/jobs/engine$i.sql" || die "job submission failed"
	status=$(cat "$MNT/jobs/engine$i/wait")
	t1=$(now)
	[ "$(printf '%s\n' "$status" | head -n 1)" = succeeded ] || die "the metafs job failed: $status"
	t=$(elapsed "$t0" "$t1")
	echo "   run $i: $t s" >&2
	smaller "$t" "$MF_T" && MF_T=$t
done
cat "$MNT/jobs/engine$RUNS/result" >"$T/metafs.csv" || die "cannot read the job's result"
cp "$MNT/jobs/engine$RUNS/resources" "$T/metafs.resources" 2>/dev/null
bench_umount

# ---------------------------------------------------------------- SQLite
SQ_IMPORT_T=''
SQ_T=''
if [ "$DO_SQLITE" = 1 ]; then
	echo "== SQLite import" >&2
	{
		printf 'PRAGMA journal_mode = OFF;\nPRAGMA synchronous = OFF;\n'
		printf 'CREATE TABLE calls (meeting_id TEXT, region TEXT, client_type TEXT, participants INTEGER,
  duration_s INTEGER, jitter_ms REAL, packet_loss_pct REAL, latency_ms INTEGER, mos REAL,
  dropped TEXT, started_at TEXT);\n'
		printf 'BEGIN;\n'
		for f in "$DS"/dt=*/part-00000.csv; do
			printf '.import --csv --skip 1 "%s" calls\n' "$f"
		done
		printf 'COMMIT;\n'
	} >"$T/import.sqlite"
	t0=$(now)
	sqlite3 -batch -bail "$T/sqlite.db" <"$T/import.sqlite" >"$T/sqlite.import.out" 2>&1 ||
		die "sqlite import failed: $(tail -n 5 "$T/sqlite.import.out")"
	t1=$(now)
	SQ_IMPORT_T=$(elapsed "$t0" "$t1")
	echo "   $SQ_IMPORT_T s" >&2
	echo "== SQLite query" >&2
	SQ_QUERY="SELECT region, client_type, count(*) AS n, avg(mos) AS avg_mos,
  avg(jitter_ms) AS avg_jitter, sum(CASE WHEN dropped = 'true' THEN 1 ELSE 0 END) AS drops
FROM calls WHERE packet_loss_pct > 1.0 GROUP BY region, client_type;"
	for ((i = 1; i <= RUNS; i++)); do
		t0=$(now)
		sqlite3 -batch -bail -csv -header "$T/sqlite.db" "$SQ_QUERY" >"$T/sqlite.csv" 2>"$T/sqlite.err" ||
			die "sqlite query failed: $(cat "$T/sqlite.err")"
		t1=$(now)
		t=$(elapsed "$t0" "$t1")
		echo "   run $i: $t s" >&2
		smaller "$t" "$SQ_T" && SQ_T=$t
	done
fi

# ---------------------------------------------------------------- DuckDB
DK_T=''
if [ "$DO_DUCKDB" = 1 ]; then
	echo "== DuckDB query (Node.js)" >&2
	node "$DUCK/bench_query.mjs" "$DS/**/*.csv" "$RUNS" >"$T/duckdb.out" 2>"$T/duckdb.err" ||
		die "duckdb failed: $(tail -n 20 "$T/duckdb.err")"
	DK_T=$(awk 'NR == 1 && $1 == "seconds" { printf "%.3f", $2 }' "$T/duckdb.out")
	tail -n +2 "$T/duckdb.out" >"$T/duckdb.csv"
	echo "   $DK_T s" >&2
fi

# ---------------------------------------------------------------- agreement
# Same groups, equal counts and drop counts, averages within 1e-6 relative.
AGREE=yes
python3 - "$T/metafs.csv" "$T/sqlite.csv" "$T/duckdb.csv" >"$T/agree.out" 2>&1 <<'PY' || AGREE=no
import csv, os, sys

def load(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise SystemExit("%s: empty" % path)
    head, body = rows[0], rows[1:]
    want = ["region", "client_type", "n", "avg_mos", "avg_jitter", "drops"]
    if [h.lower() for h in head] != want:
        raise SystemExit("%s: columns %s, expected %s" % (path, head, want))
    return {(r[0], r[1]): (int(r[2]), float(r[3]), float(r[4]), int(float(r[5]))) for r in body}

def close(a, b):
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))

ref = load(sys.argv[1])
failed = False
for path in sys.argv[2:]:
    if not os.path.exists(path):
        continue
    name = os.path.basename(path).split(".")[0]
    other = load(path)
    bad = 0
    if set(other) != set(ref):
        print("%s: groups differ: only in metafs %s, only in %s %s" % (
            name, sorted(set(ref) - set(other)), name, sorted(set(other) - set(ref))))
        bad += 1
    for k in sorted(set(ref) & set(other)):
        (n, m, j, d), (on, om, oj, od) = ref[k], other[k]
        if n != on or d != od or not close(m, om) or not close(j, oj):
            print("%s: group %s: metafs %s, %s %s" % (name, k, ref[k], name, other[k]))
            bad += 1
    if bad:
        failed = True
    else:
        print("%s: all %d groups agree with metafs (%d rows counted)" % (
            name, len(ref), sum(v[0] for v in ref.values())))
sys.exit(1 if failed else 0)
PY

# ---------------------------------------------------------------- report
echo
printf 'metafs engine benchmark (%s, %s CPUs, kernel %s)\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)"
printf '%s rows, %s partitions, %s bytes of CSV; generation %s s, metafs repair %s s; best of %s run(s)\n' \
	"$ROWS" "$PARTS" "$BYTES" "$GEN_T" "$REPAIR_T" "$RUNS"
[ "$DO_DUCKDB" = 1 ] && printf 'DuckDB: @duckdb/node-api %s, Node.js %s\n' \
	"$(node -p "require('$DUCK/node_modules/@duckdb/node-api/package.json').version" 2>/dev/null)" "$(node --version)"
[ "$DO_SQLITE" = 1 ] && printf 'SQLite: %s\n' "$(sqlite3 --version | cut -d' ' -f1)"
echo
printf '%-22s %12s %14s\n' engine 'time (s)' 'rows/s'
printf '%-22s %12s %14s\n' 'metafs job' "$MF_T" "$(rate "$MF_T")"
if [ "$DO_SQLITE" = 1 ]; then
	printf '%-22s %12s %14s\n' 'SQLite query' "$SQ_T" "$(rate "$SQ_T")"
	printf '%-22s %12s %14s\n' 'SQLite .import' "$SQ_IMPORT_T" "$(rate "$SQ_IMPORT_T")"
	SQ_BOTH=$(awk -v a="$SQ_T" -v b="$SQ_IMPORT_T" 'BEGIN { printf "%.3f", a + b }')
	printf '%-22s %12s %14s\n' 'SQLite import + query' "$SQ_BOTH" "$(rate "$SQ_BOTH")"
fi
[ "$DO_DUCKDB" = 1 ] && printf '%-22s %12s %14s\n' 'DuckDB (node-api)' "$DK_T" "$(rate "$DK_T")"
echo
echo 'throughput ratios (metafs rows/s over the other'"'"'s; above 1 = metafs faster):'
if [ "$DO_SQLITE" = 1 ]; then
	printf '  metafs/SQLite query            %s\n' "$(ratio "$SQ_T" "$MF_T")"
	printf '  metafs/SQLite import + query   %s\n' "$(ratio "$SQ_BOTH" "$MF_T")"
fi
[ "$DO_DUCKDB" = 1 ] && printf '  metafs/DuckDB                  %s\n' "$(ratio "$DK_T" "$MF_T")"
echo
echo "results agree: $AGREE"
sed 's/^/  /' "$T/agree.out"
if [ -s "$T/metafs.resources" ]; then
	echo
	echo "metafs job resources:"
	sed 's/^/  /' "$T/metafs.resources"
fi
[ "$AGREE" = yes ] || exit 1
exit 0
