#!/usr/bin/env bash
# test_tools.sh - the standard tools a data engineer uses, on a real mount
# holding a partitioned CSV table, a sync rule mirroring it with its
# partitions into lake (email hashed) and one mirroring its schema only into
# edge (email redacted: its .refresh paths are views of the source):
#   cat and cp read every byte of data files, masked mirrors and views,
#     .refresh, .refresh@N, a job's files and /.metafs's files (compared with
#     the source or a recomputation of the masks), and stat's size is the
#     number of bytes read;
#   shell redirections (>, >>, dd of=) write data files whole, an
#     overwrite is one event, a file made empty is there for the next command;
#   rsync -a of files into a partition, and of a tree of partitions into the
#     table, twice: the second run transfers nothing and records no event,
#     the mtimes are the source's; cp -a and cp -p keep mtimes; rsync -a out
#     of the mount (masked mirror and view included) copies every byte;
#   tar -c of a table exits 0 without "file changed as we read it", its
#     members' sizes are right; tar -x into a new partition keeps mtimes;
#   touch -d sets a data file's mtime, kept across a remount, no event;
#   vim's save in place and a vim-style save (swap file, hidden temporary
#     file renamed over), Python's NamedTemporaryFile + os.replace (prefixes
#     '.' and '_tmp'): one event each, no temporary file listed or recorded;
#   DuckDB (when node and @duckdb/node-api are installed, as tools/deps.sh
#     --bench-tpch does): read_text of .refresh is its text, read_csv of the
#     tree with hive_partitioning has the rows and sums awk computes from the
#     source files, and of the masked mirror and the paths of .refresh the
#     rows with their emails masked.
# (awk reads ./dt=.../f.csv: an operand NAME=VALUE would be an assignment.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null || mf_skip "rsync is missing"
command -v tar >/dev/null || mf_skip "tar is missing"

mf_setup --platform warehouse --platform lake --platform edge
T=$W/sales/orders
LT=$L/sales/orders
ET=$M/edge/sales/orders
J=$M/jobs

# mtime FILE: in ns since the epoch
mtime() { date -r "$1" +%s%N 2>&1; }
# events: the number of warehouse events about sales/orders
events() {
	timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/events" 2>/dev/null |
		awk '$1 == "warehouse" && $7 ~ /^sales\/orders(\/|$)/' | wc -l
}
# events_of REGEX: the number of warehouse file events "OP PATH" of sales/orders matching REGEX
events_of() {
	timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/events" 2>/dev/null |
		awk '$1 == "warehouse" && $5 == "file" && $7 ~ /^sales\/orders\// { print $4, $7 }' |
		grep -cE -- "$1"
}
# recorded PARTITION-DIR: the names of the files its .partition records
recorded() { grep '^file: ' "$1/.partition" 2>/dev/null | awk '{print $2}' | sort; }
# listed DIR: every name readdir gives, . and .. left out
listed() { mf_ls_a "$1" | grep -v '^\.\.\?$'; }

# same_bytes NAME FILE EXPECTED-FILE: stat's size is what cat reads, cat and
# cp read EXPECTED-FILE's bytes.  The stat comes first (a masked file is
# materialized by its first stat).
same_bytes() {
	local name=$1 f=$2 want=$3 size bytes
	size=$(stat -c %s -- "$f" 2>&1)
	bytes=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$f" 2>/dev/null | wc -c)
	assert_eq "$name: stat's size is the bytes cat reads" "$bytes" "$size"
	if timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$f" 2>/dev/null | cmp -s - "$want"; then
		pass "$name: cat reads the expected bytes"
	else
		fail "$name: cat reads the expected bytes" \
			"$(diff <(cat -- "$f" 2>&1) "$want" | head -n 10)"
	fi
	rm -f "$MF_TMP/copy"
	timeout -k 5 "$MF_CMD_TIMEOUT" cp -- "$f" "$MF_TMP/copy" 2>/dev/null
	assert_cmp "$name: cp copies the expected bytes" "$want" "$MF_TMP/copy"
}
# self_consistent NAME FILE: a generated file that has no independent
# expectation: stat's size is the bytes cat reads, cp copies what cat reads
self_consistent() {
	local name=$1 f=$2
	timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$f" >"$MF_TMP/cat" 2>/dev/null
	same_bytes "$name" "$f" "$MF_TMP/cat"
}

# ---------------------------------------------------------------- the table and its mirror
mf_make_table "$T" $'format csv\nheader true\ncolumn id bigint\ncolumn email string\ncolumn amount double\npartition dt date\n'
mkdir -p "$SRC/orders/dt=2024-05-01" "$SRC/orders/dt=2024-05-02"
printf 'id,email,amount\n1,a@example.com,1.50\n2,bb@example.org,2.25\n3,a@example.com,10.00\n' \
	>"$SRC/orders/dt=2024-05-01/part-0.csv"
printf 'id,email,amount\n4,c@example.net,4.75\n5,dd@example.com,0.50\n' \
	>"$SRC/orders/dt=2024-05-02/part-0.csv"
printf 'id,email,amount\n6,e@example.com,6.00\n' >"$SRC/orders/dt=2024-05-02/part-1.csv"
touch -d '2023-01-02 03:04:05' "$SRC/orders/dt=2024-05-01/part-0.csv"
assert_ok "cp -r of two partitions into the table" cp -r "$SRC/orders/dt=2024-05-01" \
	"$SRC/orders/dt=2024-05-02" "$T/"

printf 'source = warehouse.sales.*\ntarget = lake\nmirror = schema, properties, partitions\nmask = email:hash\n' \
	>"$MF_TMP/orders.rule"
assert_ok "a rule mirroring the table with a masked column is accepted" \
	cp "$MF_TMP/orders.rule" "$M/sync/orders.rule"
if mf_poll 10 test -e "$LT/dt=2024-05-02/part-1.csv"; then
	pass "the masked mirror appears in lake"
else
	fail "the masked mirror appears in lake" "$(cat "$M/sync/orders/status" 2>&1)"
fi

# a second rule mirrors the schema only into edge, the email redacted: its
# .refresh paths lead to views of the source's partitions
printf 'source = warehouse.sales.*\ntarget = edge\nmirror = schema\nmask = email:redact\n' \
	>"$MF_TMP/edge.rule"
assert_ok "a schema-only rule with a redacted column is accepted" cp "$MF_TMP/edge.rule" "$M/sync/edge.rule"
mf_poll 10 test -e "$ET/.refresh" || fail "the schema-only mirror appears in edge" "$(cat "$M/sync/edge/status" 2>&1)"
redacted() { awk -F, -v OFS=, 'NR > 1 { $2 = "REDACTED" } { print }' "$1"; }

# masked SRC-FILE: the mirror's bytes, computed here: the email column (the
# 2nd) as the first 16 bytes of HMAC-SHA256 under the home's exchange key
cat >"$MF_TMP/mask.py" <<'EOF'
import hashlib, hmac, sys
key = open(sys.argv[1], "rb").read()
lines = open(sys.argv[2], "rb").read().decode().split("\n")
out = []
for i, line in enumerate(lines[:-1]):
    f = line.split(",")
    if i > 0:
        f[1] = hmac.new(key, f[1].encode(), hashlib.sha256).hexdigest()[:32]
    out.append(",".join(f))
sys.stdout.write("\n".join(out) + "\n")
EOF
masked() { python3 "$MF_TMP/mask.py" "$H/manager/exchange.key" "$1"; }

# ---------------------------------------------------------------- cat and cp
for f in dt=2024-05-01/part-0.csv dt=2024-05-02/part-0.csv dt=2024-05-02/part-1.csv; do
	same_bytes "warehouse $f" "$T/$f" "$SRC/orders/$f"
	masked "$SRC/orders/$f" >"$MF_TMP/want.csv"
	same_bytes "lake (masked) $f" "$LT/$f" "$MF_TMP/want.csv"
done
assert_eq "the mask hides every address" "0" "$(cat "$LT"/*/*.csv | grep -c @)"
assert_eq "the schema-only mirror lists no partition" "" "$(mf_ls "$ET")"
for p in $(awk '$1 ~ /^dt=/ {print $2}' "$ET/.refresh"); do
	for f in $(mf_ls "$M/$p"); do
		redacted "$SRC/orders/${p##*/}/$f" >"$MF_TMP/want.csv"
		same_bytes "the view $p/$f (redacted)" "$M/$p/$f" "$MF_TMP/want.csv"
	done
done
assert_eq ".refresh of edge leads to every source file" "3" "$(cd "$M" && awk '$1 ~ /^dt=/ {print $2}' "$ET/.refresh" | xargs -I{} ls {} | wc -l)"
mf_run rsync -a "$ET/dt=2024-05-02/" "$MF_TMP/out-e/"
assert_eq "rsync -a of a view succeeds" 0 "$MF_RC" || note "$MF_OUT"
redacted "$SRC/orders/dt=2024-05-02/part-1.csv" >"$MF_TMP/want.csv"
assert_cmp "rsync -a of a view copies every redacted byte" "$MF_TMP/want.csv" "$MF_TMP/out-e/part-1.csv"

# .refresh: one line per partition (rows without the header, the masked
# files' bytes), then the snapshot; recomputed from the source files
refresh_want() {
	local p rows bytes f
	for p in dt=2024-05-01 dt=2024-05-02; do
		rows=0 bytes=0
		for f in "$SRC/orders/$p"/*.csv; do
			rows=$((rows + $(wc -l <"$f") - 1))
			bytes=$((bytes + $(wc -c <"$f")))
		done
		printf '%s lake/sales/orders/%s rows=%s bytes=%s\n' "$p" "$p" "$rows" "$bytes"
	done
}
cat "$LT/.refresh" >"$MF_TMP/refresh" 2>&1
assert_eq ".refresh lists the partitions as the source files make them" "$(refresh_want)" \
	"$(sed -n 's/ etag=[0-9a-f]*$//p' "$MF_TMP/refresh" | grep '^dt=')"
SNAP=$(awk '$1 == "snapshot" {print $2}' "$MF_TMP/refresh")
assert_match ".refresh ends with its snapshot" '^[0-9]+$' "$SNAP"
same_bytes ".refresh" "$LT/.refresh" "$MF_TMP/refresh"
cat "$LT/.refresh@0" >"$MF_TMP/refresh0" 2>&1
assert_eq ".refresh@0 is the full listing" "$(cat "$MF_TMP/refresh")" "$(cat "$MF_TMP/refresh0")"
same_bytes ".refresh@0" "$LT/.refresh@0" "$MF_TMP/refresh"
printf 'snapshot %s\n' "$SNAP" >"$MF_TMP/refresh-head"
same_bytes ".refresh@SNAP (nothing changed since)" "$LT/.refresh@$SNAP" "$MF_TMP/refresh-head"

# a job's files
printf 'SELECT dt, count(*) AS n, sum(amount) AS s FROM sales.orders GROUP BY dt ORDER BY dt;\n' \
	>"$MF_TMP/q.sql"
mf_job_file q "$MF_TMP/q.sql"
assert_eq "a job over the table succeeds" "succeeded" "$STATE" || note "$STATUS"
same_bytes "jobs/q.sql" "$J/q.sql" "$MF_TMP/q.sql"
for f in status plan log; do
	self_consistent "jobs/q/$f" "$J/q/$f"
done
assert_eq "the job's status says succeeded" "succeeded" "$(head -n 1 "$J/q/status" 2>&1)"

# a role and a grant, so that /.metafs/roles and grants hold text
run_job r1 "CREATE ROLE analysts;"
assert_eq "CREATE ROLE succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job g1 "GRANT SELECT ON TABLE warehouse.sales.orders TO ROLE analysts;"
assert_eq "GRANT SELECT to the role succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_file_contains "/.metafs/roles lists the role" "$M/.metafs/roles" "analysts"
assert_file_contains "/.metafs/grants lists the grant" "$M/.metafs/grants" "analysts"
# /.metafs: metrics change with every request, see below
for f in version events grants roles log; do
	self_consistent "/.metafs/$f" "$M/.metafs/$f"
done
assert_ok "/.metafs/events names the table's files" grep -q ' sales/orders/dt=2024-05-01/part-0.csv ' \
	"$M/.metafs/events"
if [ -r "$M/.metafs/audit" ]; then
	assert_ok "/.metafs/audit: stat, reads and fstat in one process agree" mf_stat_read_agree "$M/.metafs/audit"
	cp "$M/.metafs/audit" "$MF_TMP/audit" 2>/dev/null
	assert_eq "cp of /.metafs/audit copies whole lines" "" "$(tail -c 1 "$MF_TMP/audit" | tr -d '\n')"
fi
cp "$M/.metafs/metrics" "$MF_TMP/metrics" 2>/dev/null
assert_eq "cp of /.metafs/metrics copies whole lines" "" "$(tail -c 1 "$MF_TMP/metrics" | tr -d '\n')"
assert_ne "cp of /.metafs/metrics copies text" "0" "$(wc -c <"$MF_TMP/metrics")"
assert_ok "/.metafs/metrics: stat, reads and fstat in one process agree" mf_stat_read_agree "$M/.metafs/metrics"

# ---------------------------------------------------------------- shell redirections
# The shell opens the file, moves it to descriptor 1 and closes the first
# descriptor before any byte is written: a new file is committed empty
# there, then with its bytes (two events, man metafs(5), "DATA FILES"); an
# overwrite waits for the bytes: one event.
P6=$T/dt=2024-05-06
mkdir "$P6" || fail "mkdir dt=2024-05-06"
sh_c 'cat "$1" >"$2/cat.csv"' _ "$SRC/orders/dt=2024-05-02/part-0.csv" "$P6"
assert_cmp "cat SRC > a new data file wrote it" "$SRC/orders/dt=2024-05-02/part-0.csv" "$P6/cat.csv"
ev=$(events)
sh_c 'cat "$1" >"$2/cat.csv"' _ "$SRC/orders/dt=2024-05-01/part-0.csv" "$P6"
assert_eq "cat SRC > the data file again is one event" "$((ev + 1))" "$(events)"
assert_cmp "cat SRC > the data file rewrote it" "$SRC/orders/dt=2024-05-01/part-0.csv" "$P6/cat.csv"
sh_c 'cat "$1" >>"$2/app.csv"' _ "$SRC/orders/dt=2024-05-02/part-0.csv" "$P6"
assert_cmp "cat SRC >> a new data file wrote it" "$SRC/orders/dt=2024-05-02/part-0.csv" "$P6/app.csv"
sh_c 'head -n 1 "$1" | dd of="$2/dd.csv" status=none' _ "$SRC/orders/dt=2024-05-01/part-0.csv" "$P6"
assert_eq "dd wrote it" "id,email,amount" "$(cat "$P6/dd.csv" 2>&1)"
assert_eq "the partition records the redirections' files" "app.csv
cat.csv
dd.csv" "$(recorded "$P6")"
# an empty file made by a redirection is there for the next command
bad=
for i in 1 2 3 4 5; do
	sh_c ': >"$1/e$2.csv" && mv "$1/e$2.csv" "$1/m$2.csv" && : >"$1/r$2.csv" && rm "$1/r$2.csv" &&
		: >"$1/c$2.csv" && cat "$1/c$2.csv"' _ "$P6" "$i" 2>>"$MF_TMP/redir.err" || bad="$bad $i"
done
assert_eq "mv, rm and cat right after : > FILE succeed" "" "$bad" || note "$(head -n 3 "$MF_TMP/redir.err")"
rm -r "$P6" || fail "rm -r dt=2024-05-06"

# ---------------------------------------------------------------- rsync -a into a partition, twice
P3=$T/dt=2024-05-03
mkdir -p "$SRC/rs"
printf 'id,email,amount\n7,f@example.com,7.00\n' >"$SRC/rs/r1.csv"
printf 'id,email,amount\n8,g@example.com,8.00\n9,h@example.com,9.00\n' >"$SRC/rs/r2.csv"
touch -d '2020-02-02 02:02:02.5' "$SRC/rs/r1.csv"
touch -d '2021-03-03 03:03:03' "$SRC/rs/r2.csv"
mkdir "$P3" || fail "mkdir dt=2024-05-03"
ev=$(events)
mf_run rsync -a --itemize-changes --stats "$SRC/rs/" "$P3/"
assert_eq "the first rsync -a succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "the first rsync transfers the 2 files" 'Number of regular files transferred: 2' "$MF_OUT"
assert_eq "the first rsync records one event per file" "$((ev + 2))" "$(events)"
for f in r1.csv r2.csv; do
	assert_eq "rsync -a kept $f's mtime" "$(stat -c %Y "$SRC/rs/$f")" "$(stat -c %Y "$P3/$f" 2>&1)"
	assert_cmp "rsync -a wrote $f whole" "$SRC/rs/$f" "$P3/$f"
done
assert_eq "the partition records rsync's files, not its temporary ones" "r1.csv
r2.csv" "$(recorded "$P3")"
ev=$(events)
mf_run rsync -a --itemize-changes --stats "$SRC/rs/" "$P3/"
assert_eq "the second rsync -a succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "the second rsync transfers nothing" 'Number of regular files transferred: 0' "$MF_OUT"
# (a directory's time is the last change under it: rsync sets it, in vain)
assert_eq "the second rsync itemizes no file" "" "$(printf '%s\n' "$MF_OUT" | grep -E '^[<>ch.*]f')"
assert_eq "the second rsync records no event" "$ev" "$(events)"

# rsync -a of a local tree of partitions into the table, twice
mkdir -p "$SRC/tree/dt=2024-05-07" "$SRC/tree/dt=2024-05-08"
printf 'id,email,amount\n21,m@example.com,1.25\n' >"$SRC/tree/dt=2024-05-07/a.csv"
printf 'id,email,amount\n22,n@example.com,2.25\n' >"$SRC/tree/dt=2024-05-07/b.csv"
printf 'id,email,amount\n23,o@example.com,3.25\n' >"$SRC/tree/dt=2024-05-08/c.csv"
touch -d '2015-05-05 05:05:05' "$SRC/tree/dt=2024-05-07/a.csv"
ev=$(events)
mf_run rsync -a --stats "$SRC/tree/" "$T/"
assert_eq "rsync -a of a tree of partitions into the table succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "it transfers the 3 files" 'Number of regular files transferred: 3' "$MF_OUT"
assert_eq "it records 2 partitions and 3 files: 5 events" "$((ev + 5))" "$(events)"
mf_run diff -r "$SRC/tree/dt=2024-05-07" "$T/dt=2024-05-07"
assert_eq "the tree's files read back whole" 0 "$MF_RC" || note "$MF_OUT"
assert_eq "and keep their mtimes" "$(cd "$SRC/tree" && stat -c '%n %.9Y' */*.csv)" \
	"$(cd "$T" && stat -c '%n %.9Y' dt=2024-05-07/*.csv dt=2024-05-08/*.csv 2>&1)"
ev=$(events)
mf_run rsync -a --itemize-changes --stats "$SRC/tree/" "$T/"
assert_eq "rsync -a of the tree again succeeds" 0 "$MF_RC" || note "$MF_OUT"
assert_match "and transfers nothing" 'Number of regular files transferred: 0' "$MF_OUT"
assert_eq "and itemizes no file" "" "$(printf '%s\n' "$MF_OUT" | grep -E '^[<>ch.*]f')"
assert_eq "and records no event" "$ev" "$(events)"
rm -r "$T/dt=2024-05-07" "$T/dt=2024-05-08" || fail "rm -r the tree's partitions"

# cp -p and cp -a keep times
ev=$(events)
assert_ok "cp -a of a partition directory into the table" cp -a "$SRC/tree/dt=2024-05-07" "$T/"
assert_eq "cp -a kept the mtime" "$(mtime "$SRC/tree/dt=2024-05-07/a.csv")" "$(mtime "$T/dt=2024-05-07/a.csv")"
assert_eq "cp -a is one event per partition and file" "$((ev + 3))" "$(events)"
assert_ok "cp -p of a file into a partition" cp -p "$SRC/tree/dt=2024-05-07/a.csv" "$T/dt=2024-05-07/a2.csv"
assert_eq "cp -p kept the mtime" "$(mtime "$SRC/tree/dt=2024-05-07/a.csv")" "$(mtime "$T/dt=2024-05-07/a2.csv")"
assert_eq "cp -p is one event" "$((ev + 4))" "$(events)"
rm -r "$T/dt=2024-05-07" || fail "rm -r dt=2024-05-07"

# rsync -a out of the mount: the warehouse table and its masked mirror
SRC3=$MF_TMP/orders-all
cp -r "$SRC/orders" "$SRC3" && mkdir "$SRC3/dt=2024-05-03" && cp -p "$SRC/rs/"*.csv "$SRC3/dt=2024-05-03/"
mf_run rsync -a "$T/" "$MF_TMP/out-w/"
assert_eq "rsync -a out of the warehouse table succeeds" 0 "$MF_RC" || note "$MF_OUT"
mf_run diff -r "$SRC3" "$MF_TMP/out-w"
assert_eq "rsync -a copied every file of the table whole" 0 "$MF_RC" || note "$MF_OUT"
assert_eq "rsync -a out kept the mount's mtimes" "$(cd "$T" && stat -c '%n %.9Y' */*.csv)" \
	"$(cd "$MF_TMP/out-w" && stat -c '%n %.9Y' */*.csv)"
# (the partitions made and removed since are gone from the mirror too)
if mf_poll 10 sh_c '[ "$(ls "$1" | tr "\n" " ")" = "dt=2024-05-01 dt=2024-05-02 dt=2024-05-03 " ] &&
	[ -e "$1/dt=2024-05-03/r2.csv" ]' _ "$LT"; then
	pass "the rsynced partition reaches the mirror"
else
	fail "the rsynced partition reaches the mirror" "$(cat "$M/sync/orders/status" 2>&1)"
fi
# .refresh@SNAP: the partition added since, recomputed from rsync's files
rows=0 bytes=0
for f in "$SRC/rs"/*.csv; do
	rows=$((rows + $(wc -l <"$f") - 1))
	bytes=$((bytes + $(wc -c <"$f")))
done
cat "$LT/.refresh@$SNAP" >"$MF_TMP/refresh-inc" 2>&1
assert_eq ".refresh@SNAP lists the partition rsync made" \
	"+ dt=2024-05-03 lake/sales/orders/dt=2024-05-03 rows=$rows bytes=$bytes" \
	"$(sed -n 's/ etag=[0-9a-f]*$//p' "$MF_TMP/refresh-inc" | grep -v '^snapshot ')"
assert_match ".refresh@SNAP ends with a later snapshot" $'\nsnapshot [0-9]+$' "$(cat "$MF_TMP/refresh-inc")"
same_bytes ".refresh@SNAP" "$LT/.refresh@$SNAP" "$MF_TMP/refresh-inc"
mf_run rsync -a "$LT/" "$MF_TMP/out-l/"
assert_eq "rsync -a out of the masked mirror succeeds" 0 "$MF_RC" || note "$MF_OUT"
bad=
for f in dt=2024-05-01/part-0.csv dt=2024-05-02/part-0.csv dt=2024-05-02/part-1.csv \
	dt=2024-05-03/r1.csv dt=2024-05-03/r2.csv; do
	masked "$SRC3/$f" | cmp -s - "$MF_TMP/out-l/$f" || bad="$bad $f"
done
assert_eq "rsync -a copied every masked byte" "" "$bad"
assert_eq "rsync -a out of the mirror copied only the data files" "dt=2024-05-01/part-0.csv
dt=2024-05-02/part-0.csv
dt=2024-05-02/part-1.csv
dt=2024-05-03/r1.csv
dt=2024-05-03/r2.csv" "$(cd "$MF_TMP/out-l" && find . -type f | sed 's|^\./||' | sort)"

# ---------------------------------------------------------------- tar -c and tar -x
for side in warehouse lake; do
	if (cd "$M/$side/sales" && tar -cf "$MF_TMP/$side.tar" orders) 2>"$MF_TMP/tar.err"; then
		pass "tar -c of the $side table exits 0"
	else
		fail "tar -c of the $side table exits 0" "$(head -n 5 "$MF_TMP/tar.err")"
	fi
	assert_eq "tar -c of the $side table warns of nothing" "" "$(cat "$MF_TMP/tar.err")"
	assert_eq "tar's member sizes of the $side table are the files' sizes" \
		"$(cd "$M/$side/sales" && find orders -type f | sort | while read -r f; do printf '%s %s\n' "$f" "$(wc -c <"$f")"; done)" \
		"$(tar -tvf "$MF_TMP/$side.tar" | awk '$1 ~ /^-/ {print $6, $3}' | sort)"
done
mkdir -p "$MF_TMP/untar" && tar -xf "$MF_TMP/lake.tar" -C "$MF_TMP/untar"
masked "$SRC3/dt=2024-05-03/r2.csv" >"$MF_TMP/want.csv"
assert_cmp "tar's member of the masked mirror is the masked text" "$MF_TMP/want.csv" \
	"$MF_TMP/untar/orders/dt=2024-05-03/r2.csv"

P4=$T/dt=2024-05-04
mkdir -p "$SRC/tr"
printf 'id,email,amount\n10,i@example.com,1.00\n' >"$SRC/tr/t1.csv"
printf 'id,email,amount\n11,j@example.com,2.00\n' >"$SRC/tr/t2.csv"
touch -d '2018-03-03 03:03:03' "$SRC/tr/t1.csv"
touch -d '2017-07-07 07:07:07' "$SRC/tr/t2.csv"
tar -cf "$MF_TMP/tr.tar" -C "$SRC/tr" t1.csv t2.csv
mkdir "$P4" || fail "mkdir dt=2024-05-04"
ev=$(events)
assert_ok "tar -x into a new partition" tar -xf "$MF_TMP/tr.tar" -C "$P4"
for f in t1.csv t2.csv; do
	assert_eq "tar -x kept $f's mtime" "$(mtime "$SRC/tr/$f")" "$(mtime "$P4/$f")"
	assert_cmp "tar -x wrote $f whole" "$SRC/tr/$f" "$P4/$f"
done
assert_eq "tar -x records one event per file" "$((ev + 2))" "$(events)"

# tar -x of a tree of partitions into the table (it sets the directories'
# times too, which succeeds and changes nothing)
tar -cf "$MF_TMP/tree.tar" -C "$SRC/tree" dt=2024-05-07 dt=2024-05-08
ev=$(events)
if tar -xf "$MF_TMP/tree.tar" -C "$T" 2>"$MF_TMP/tar.err"; then
	pass "tar -x of a tree of partitions into the table"
else
	fail "tar -x of a tree of partitions into the table" "$(cat "$MF_TMP/tar.err")"
fi
assert_eq "tar -x of the tree warns of nothing" "" "$(cat "$MF_TMP/tar.err")"
# (tar's default format keeps whole seconds)
assert_eq "tar -x of the tree kept the mtimes" "$(cd "$SRC/tree" && stat -c '%n %Y' */*.csv)" \
	"$(cd "$T" && stat -c '%n %.9Y' dt=2024-05-07/*.csv dt=2024-05-08/*.csv 2>&1 | sed 's/\.000000000$//')"
mf_run diff -r "$SRC/tree/dt=2024-05-08" "$T/dt=2024-05-08"
assert_eq "tar -x of the tree wrote the files whole" 0 "$MF_RC" || note "$MF_OUT"
assert_eq "tar -x of the tree is one event per partition and file" "$((ev + 5))" "$(events)"
rm -r "$T/dt=2024-05-07" "$T/dt=2024-05-08" || fail "rm -r the tree's partitions"

# ---------------------------------------------------------------- touch -d, kept across a remount
D=$T/dt=2024-05-02/part-0.csv
ev=$(events)
assert_ok "touch -d 2019-01-01 on a data file" touch -d 2019-01-01 "$D"
want=$(date -d 2019-01-01 +%s)
assert_eq "touch -d set the mtime" "$want" "$(stat -c %Y "$D" 2>&1)"
assert_eq "touch -d records no event" "$ev" "$(events)"
assert_cmp "touch -d left the bytes" "$SRC/orders/dt=2024-05-02/part-0.csv" "$D"
if mf_umount; then pass "unmount"; else fail "unmount"; fi
mf_mount || mf_abort "remount"
assert_eq "the mtime set by touch -d survives a remount" "$want" "$(stat -c %Y "$D" 2>&1)"
assert_eq "so do rsync's" "$(stat -c %Y "$SRC/rs/r1.csv")" "$(stat -c %Y "$P3/r1.csv" 2>&1)"
assert_eq "and tar's" "$(mtime "$SRC/tr/t2.csv")" "$(mtime "$P4/t2.csv")"
ev=$(events)
mf_run rsync -a --stats "$SRC/rs/" "$P3/"
assert_match "after the remount rsync -a still transfers nothing" \
	'Number of regular files transferred: 0' "$MF_OUT"
assert_eq "and records no event" "$ev" "$(events)"

# ---------------------------------------------------------------- vim
P5=$T/dt=2024-05-05
mkdir "$P5" || fail "mkdir dt=2024-05-05"
printf 'id,email,amount\n12,k@example.com,3.00\n' >"$SRC/v.csv"
cp "$SRC/v.csv" "$P5/v.csv" || fail "write v.csv"
if command -v vim >/dev/null; then
	# vim's own save, its swap file in the partition, its backup (writebackup)
	# outside the mount (backupskip= : the mount is under /tmp, which vim's
	# default backupskip would exempt).
	# backupcopy=yes copies the old file to the backup and writes the file in
	# place: one commit.  backupcopy=no renames the file to the backup and
	# writes a new one: the file is dropped and created again (two events,
	# and a new id), but nothing else is left.  (backupcopy=auto, vim's
	# default, also creates and removes a probe file named 4913 in the
	# directory, and a backup in the directory itself is FILE~: names that
	# are not hidden, so data files for a moment: man metafs(5), "Hidden
	# files".)
	mkdir -p "$MF_TMP/vim-backup"
	n=13
	for bc in yes no; do
		ev=$(events)
		sh_c 'cd "$1" && HOME="$2" vim -u NONE -N -i NONE -es \
			-c "set directory=. swapfile backupskip= backupdir=$2/vim-backup writebackup nobackup backupcopy=$3" \
			-c "normal Go$4,v$4@example.com,1.00" -c wq v.csv </dev/null' _ "$P5" "$MF_TMP" "$bc" "$n"
		assert_eq "vim (backupcopy=$bc) saves the new line" "$(cat "$SRC/v.csv")
$n,v$n@example.com,1.00" "$(cat "$P5/v.csv" 2>&1)"
		cp "$P5/v.csv" "$SRC/v.csv"
		if [ "$bc" = yes ]; then
			assert_eq "vim's save in place is one event" "$((ev + 1))" "$(events)" ||
				note "$(tail -n 5 "$M/.metafs/events")"
		fi
		assert_eq "vim (backupcopy=$bc) leaves only v.csv" "v.csv" "$(listed "$P5")"
		assert_eq "only v.csv is recorded after vim (backupcopy=$bc)" "v.csv" "$(recorded "$P5")"
		n=$((n + 1))
	done
	assert_eq "no event names vim's swap file" "0" "$(events_of '\.swp$')"
else
	note "vim is not installed: only the vim-style save is checked"
fi
# a vim-style save by hand: swap file, a hidden temporary file renamed over
ev=$(events)
alters=$(events_of '^alter sales/orders/dt=2024-05-05/v\.csv$')
printf 'swap' >"$P5/.v.csv.swp" || fail "write the swap file"
cp "$SRC/v.csv" "$MF_TMP/v2.csv" && printf '20,z@example.com,5.00\n' >>"$MF_TMP/v2.csv"
sh_c 'cat "$1" >"$2/.v.csv~" && mv -f "$2/.v.csv~" "$2/v.csv"' _ "$MF_TMP/v2.csv" "$P5"
rm -f "$P5/.v.csv.swp"
assert_cmp "the vim-style save wrote the new bytes" "$MF_TMP/v2.csv" "$P5/v.csv"
assert_eq "the vim-style save is one event" "$((ev + 1))" "$(events)"
assert_eq "... an alter of v.csv" "$((alters + 1))" "$(events_of '^alter sales/orders/dt=2024-05-05/v\.csv$')"
assert_eq "no swap or temporary file is listed" "v.csv" "$(listed "$P5")"
assert_eq "no swap or temporary file is recorded" "v.csv" "$(recorded "$P5")"

# sed -i writes a temporary file sedXXXXXX (not a hidden name) and renames
# it over: only the end state is checked; sed into a hidden file and mv is
# one event
cp "$P5/v.csv" "$MF_TMP/v3.csv" && sed -i 's/z@example.com/y@example.com/' "$MF_TMP/v3.csv"
assert_ok "sed -i on a data file" sed -i 's/z@example.com/y@example.com/' "$P5/v.csv"
assert_cmp "sed -i wrote the edit" "$MF_TMP/v3.csv" "$P5/v.csv"
assert_eq "sed -i leaves only v.csv" "v.csv" "$(listed "$P5"; recorded "$P5" | grep -vx v.csv)"
sed -i 's/y@example.com/x@example.com/' "$MF_TMP/v3.csv"
ev=$(events)
sh_c 'cd "$1" && sed "s/y@example.com/x@example.com/" v.csv >.v.csv.tmp && mv .v.csv.tmp v.csv' _ "$P5"
assert_cmp "sed into a hidden file and mv over wrote the edit" "$MF_TMP/v3.csv" "$P5/v.csv"
assert_eq "sed into a hidden file and mv over is one event" "$((ev + 1))" "$(events)"

# ---------------------------------------------------------------- python temp file + os.replace
cat >"$MF_TMP/replace.py" <<'EOF'
import os, sys, tempfile
d, prefix, name, text = sys.argv[1:5]
with tempfile.NamedTemporaryFile("w", dir=d, prefix=prefix, suffix=".tmp", delete=False) as f:
    f.write(text)
    tmp = f.name
os.replace(tmp, os.path.join(d, name))
EOF
for prefix in . _tmp; do
	for name in py.csv py.csv; do
		ev=$(events)
		text=$(printf 'id,email,amount\n%s,p@example.com,%s.00\n' "$RANDOM" "$RANDOM")
		assert_ok "python NamedTemporaryFile(prefix='$prefix') + os.replace to $name" \
			python3 "$MF_TMP/replace.py" "$P5" "$prefix" "$name" "$text"$'\n'
		assert_eq "python's replace (prefix '$prefix') is one event" "$((ev + 1))" "$(events)"
		assert_eq "python's replace (prefix '$prefix') wrote the text" "$text" "$(cat "$P5/$name" 2>&1)"
	done
	assert_eq "python's temporary files (prefix '$prefix') are neither listed nor recorded" "py.csv
v.csv
py.csv
v.csv" "$(listed "$P5"; recorded "$P5")"
done
assert_eq "no event names a hidden file" "0" "$(events_of '/[._][^/]*$')"
assert_eq "the data store holds no temporary file" "" \
	"$(find "$DS/sales/orders/dt=2024-05-05" -mindepth 1 -maxdepth 1 -name '[._]*' 2>&1)"

# ---------------------------------------------------------------- DuckDB
if mf_have_duckdb; then
	duck() { mf_duckdb -s ' ' "$1" 2>&1; }
	got=$(duck "SELECT content FROM read_text('$LT/.refresh')")
	assert_eq "DuckDB's read_text of .refresh returns all of it" "$(cat "$LT/.refresh")" "$got"
	got=$(duck "SELECT count(*), sum(id), printf('%.2f', sum(amount)), count(DISTINCT dt)
		FROM read_csv('$T/*/*.csv', hive_partitioning = true)")
	want=$(cd "$T" && awk -F, 'FNR > 1 { n++; i += $1; a += $3 } END { printf "%d %d %.2f\n", n, i, a }' \
		./*/*.csv)" $(ls "$T" | wc -l)"
	assert_eq "DuckDB's read_csv of the tree has awk's rows and sums" "$want" "$got"
	got=$(duck "SELECT dt, count(*) FROM read_csv('$T/*/*.csv', hive_partitioning = true)
		GROUP BY dt ORDER BY dt")
	want=$(cd "$T" && for p in dt=*; do printf '%s %s\n' "${p#dt=}" "$(cat "$p"/*.csv | grep -vc '^id,')"; done)
	assert_eq "DuckDB's read_csv sees each partition's rows" "$want" "$got"
	mf_poll 10 sh_c '[ "$(cat "$1/sync/orders/lag")" = 0 ] && [ "$(ls "$2")" = "$(ls "$3")" ]' _ "$M" "$T" "$LT" ||
		fail "the mirror catches up with the table" "$(cat "$M/sync/orders/status" 2>&1)"
	got=$(duck "SELECT count(*), count(DISTINCT email), min(length(email)), max(length(email))
		FROM read_csv('$LT/*/*.csv', hive_partitioning = true)")
	want=$(cd "$T" && awk -F, 'FNR > 1 { n++; if (!($2 in s)) { s[$2]; d++ } } END { print n, d, 32, 32 }' ./*/*.csv)
	assert_eq "DuckDB reads the masked mirror: every row, emails hashed" "$want" "$got"
	# an engine reading a table through .refresh: the paths it lists, views
	# of the source's partitions with the email redacted
	list=$(awk -v m="$M" '$1 ~ /^dt=/ { printf "%s\x27%s/%s/*.csv\x27", (n++ ? ", " : ""), m, $2 }' "$ET/.refresh")
	got=$(duck "SELECT count(*), count(*) FILTER (WHERE email = 'REDACTED'), count(DISTINCT dt)
		FROM read_csv([$list], hive_partitioning = true)")
	want=$(cd "$T" && awk -F, 'FNR > 1 { n++ } END { print n, n }' ./*/*.csv)" $(ls "$T" | wc -l)"
	assert_eq "DuckDB reads the paths of .refresh: every row, the email redacted" "$want" "$got"
else
	echo "skip: DuckDB not available"
fi

mf_finish
