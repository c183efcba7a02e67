#!/usr/bin/env bash
# test_sql_joins.sh - differential test of every join type: the same queries
# run as metafs jobs and in SQLite over the same data, and the results compared
# (as in test_sql_diff.sh, whose comparator this uses).
#
# Data: the seeded `calls` fact table and `regions` dimension of
# tests/data/gen_calls.py (a region in calls that regions lacks, one in
# regions no call uses, NULL regions), and a small hand-written `tiers` table
# with a NULL key, a duplicate key and a key nothing else has.
#
# SQLite has no LEFT SEMI or LEFT ANTI join: its side of those checks uses
# EXISTS and NOT EXISTS.  RIGHT and FULL joins are written as LEFT JOINs (and
# a UNION ALL of the unmatched rows) so the checks do not depend on the
# SQLite version.  Each join type also runs with a residual (non-equi)
# condition, as TPC-H Q13 and Q21 need, and a comma join must run with equi
# keys from its WHERE clause (the job's plan shows no NestedLoopJoin).
#
# Needs python3 and sqlite3 (skipped when missing).  MF_KEEP=1 keeps the
# temporary directory.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || mf_skip "python3 is missing"
command -v sqlite3 >/dev/null || mf_skip "sqlite3 is missing"
DATA_DIR=$METAFS_SRCDIR/tests/data
COMPARE=$DATA_DIR/compare.py

mf_setup
J=$M/jobs
Q=$MF_TMP/q            # per check: NAME.sql, NAME.sqlite.sql, NAME.metafs.csv, NAME.sqlite.csv
REF=$MF_TMP/ref.db     # the SQLite copy, attached as schema qa so table names match
mkdir -p "$Q"

# ---------------------------------------------------------------- helpers

# run_job NAME FILE : submit FILE as job NAME and wait for it; the final
# status text in $STATUS, its first line in $STATE.
run_job() { mf_job_file "$@"; }

# sqlite_run SQL-FILE OUT-FILE : run the statements in the reference database
# with CSV output and headers; stderr in OUT-FILE.err.
sqlite_run() { mf_sqlite_ref "$REF" qa "$@"; }

# diffq NAME [compare.py options] <<'SQL'
#   metafs SQL
#   ==== sqlite
#   SQLite SQL            (left out when the same text runs on both)
#   SQL
# One check: the job succeeds, SQLite succeeds, the outputs agree.
NCHECKS=0
diffq() {
	local name=$1 text msql ssql sep=$'\n==== sqlite\n' out
	shift
	text=$(cat)
	if [[ $text == *"$sep"* ]]; then
		msql=${text%%"$sep"*}
		ssql=${text#*"$sep"}
	else
		msql=$text
		ssql=$text
	fi
	NCHECKS=$((NCHECKS + 1))
	printf '%s\n' "$msql" >"$Q/$name.sql"
	printf '%s\n' "$ssql" >"$Q/$name.sqlite.sql"
	if ! run_job "$name" "$Q/$name.sql"; then
		fail "$name: metafs runs the query" "$STATUS" "SQL:" "$msql"
		return 1
	fi
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$name/result" >"$Q/$name.metafs.csv" 2>"$MF_TMP/err"; then
		fail "$name: metafs result is readable" "$(cat "$MF_TMP/err")"
		return 1
	fi
	if ! sqlite_run "$Q/$name.sqlite.sql" "$Q/$name.sqlite.csv"; then
		fail "$name: sqlite runs the reference query (a test bug)" "$(cat "$Q/$name.sqlite.csv.err")" "SQL:" "$ssql"
		return 1
	fi
	if out=$(python3 "$COMPARE" "$@" "$Q/$name.metafs.csv" "$Q/$name.sqlite.csv" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out" "metafs SQL:" "$msql"
		return 1
	fi
}

# plan_check WHAT JOB PRESENT [ABSENT] : the physical plan of JOB's run
# matches the extended regular expression PRESENT and not ABSENT.
plan_check() {
	local plan
	if ! plan=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat "$J/$2/plan" 2>&1); then
		fail "$1: the plan is readable" "$plan"
		return 1
	fi
	plan=${plan#*== Physical Plan ==}
	if printf '%s\n' "$plan" | grep -Eq -- "$3" &&
		{ [ -z "${4:-}" ] || ! printf '%s\n' "$plan" | grep -Eq -- "$4"; }; then
		pass "$1"
	else
		fail "$1" "$plan"
	fi
}

# ---------------------------------------------------------------- the data set
DATA=$MF_TMP/data
if ! out=$(python3 "$DATA_DIR/gen_calls.py" --seed 20240601 --rows 600 --days 3 "$DATA" 2>&1); then
	mf_abort "gen_calls.py writes the data set" "$out"
fi
NROWS=$(cat "$DATA/calls.count")
mapfile -t PARTS < <(cd "$DATA/calls" && printf '%s\n' dt=* | sort)
printf 'tier,rank\ngold,1\nsilver,2\n,3\ngold,4\nplatinum,5\n' >"$DATA/tiers.csv"

cat >"$Q/ddl.sql" <<'SQL'
CREATE DATABASE qa;
CREATE TABLE qa.calls (
  meeting_id STRING, region STRING, client_type STRING,
  participants BIGINT, duration_s BIGINT, jitter_ms DOUBLE, packet_loss_pct DOUBLE,
  latency_ms BIGINT, mos DOUBLE, dropped BOOLEAN, started_at TIMESTAMP)
PARTITIONED BY (dt DATE) STORED AS CSV TBLPROPERTIES ('header'='true');
SQL
run_job ddl "$Q/ddl.sql" || mf_abort "CREATE TABLE qa.calls job succeeds" "$STATUS"
for p in "${PARTS[@]}"; do
	mf_run mkdir "$W/qa/calls/$p" || mf_abort "mkdir $W/qa/calls/$p" "$MF_OUT"
	mf_run cp "$DATA/calls/$p/part-00000.csv" "$W/qa/calls/$p/" || mf_abort "cp into $p" "$MF_OUT"
done
mf_make_table "$W/qa/regions" $'format csv\nheader true\ncolumn region string\ncolumn country string\ncolumn tier string\n'
mf_run cp "$DATA/regions.csv" "$W/qa/regions/" || mf_abort "cp regions.csv" "$MF_OUT"
mf_make_table "$W/qa/tiers" $'format csv\nheader true\ncolumn tier string\ncolumn rank bigint\n'
mf_run cp "$DATA/tiers.csv" "$W/qa/tiers/" || mf_abort "cp tiers.csv" "$MF_OUT"
assert_eq "calls holds every generated row" "$NROWS" "$(mf_field "$W/qa/calls/.table" rows)"
assert_eq "tiers holds 5 rows" "5" "$(mf_field "$W/qa/tiers/.table" rows)"

{
	cat <<'SQL'
.bail on
CREATE TABLE calls (meeting_id TEXT, region TEXT, client_type TEXT,
  participants INTEGER, duration_s INTEGER, jitter_ms REAL, packet_loss_pct REAL,
  latency_ms INTEGER, mos REAL, dropped INTEGER, started_at TEXT, dt TEXT);
CREATE TABLE stage (meeting_id TEXT, region TEXT, client_type TEXT,
  participants TEXT, duration_s TEXT, jitter_ms TEXT, packet_loss_pct TEXT,
  latency_ms TEXT, mos TEXT, dropped TEXT, started_at TEXT);
CREATE TABLE regions (region TEXT, country TEXT, tier TEXT);
CREATE TABLE tiers (tier TEXT, rank INTEGER);
SQL
	for p in "${PARTS[@]}"; do
		printf '.import --csv --skip 1 "%s" stage\n' "$DATA/calls/$p/part-00000.csv"
		cat <<SQL
INSERT INTO calls SELECT NULLIF(meeting_id, ''), NULLIF(region, ''), NULLIF(client_type, ''),
  NULLIF(participants, ''), NULLIF(duration_s, ''), NULLIF(jitter_ms, ''), NULLIF(packet_loss_pct, ''),
  NULLIF(latency_ms, ''), NULLIF(mos, ''),
  CASE dropped WHEN 'true' THEN 1 WHEN 'false' THEN 0 END, NULLIF(started_at, ''), '${p#dt=}'
FROM stage;
DELETE FROM stage;
SQL
	done
	printf '.import --csv --skip 1 "%s" regions\n' "$DATA/regions.csv"
	printf '.import --csv --skip 1 "%s" tiers\n' "$DATA/tiers.csv"
	printf "UPDATE tiers SET tier = NULL WHERE tier = '';\n"
	printf 'DROP TABLE stage;\n'
} >"$MF_TMP/load.sqlite"
if ! out=$(sqlite3 -batch "$REF" <"$MF_TMP/load.sqlite" 2>&1); then
	mf_abort "sqlite3 loads the data set" "$out"
fi
assert_eq "sqlite holds every generated row" "$NROWS" "$(sqlite3 "$REF" 'SELECT count(*) FROM calls')"

# ---------------------------------------------------------------- inner and cross

diffq inner_join_duplicate_and_null_keys <<'SQL'
SELECT r.region, t.tier, t.rank FROM qa.regions r JOIN qa.tiers t ON r.tier = t.tier
SQL

diffq cross_join <<'SQL'
SELECT r.region, t.rank FROM qa.regions r CROSS JOIN qa.tiers t
SQL

diffq inner_join_without_equality <<'SQL'
SELECT c.meeting_id, c.mos, a.m
FROM qa.calls c JOIN (SELECT avg(mos) AS m FROM qa.calls) a ON c.mos > a.m + 0.6
SQL

diffq comma_join_with_keys_in_where <<'SQL'
SELECT t.rank, r.country, count(*) AS n, sum(c.participants) AS legs
FROM qa.tiers t, qa.calls c, qa.regions r
WHERE c.region = r.region AND r.tier = t.tier AND c.client_type <> 'web'
GROUP BY t.rank, r.country
SQL
plan_check "comma join: every join of the plan has equi keys" comma_join_with_keys_in_where \
	'HashJoin' 'NestedLoopJoin'

# TPC-H Q19: the join key repeated in every branch of an OR.
diffq comma_join_key_in_every_or_branch <<'SQL'
SELECT c.meeting_id, r.country, c.mos
FROM qa.calls c, qa.regions r
WHERE (c.region = r.region AND r.tier = 'gold' AND c.mos < 2.5)
   OR (c.region = r.region AND r.tier = 'silver' AND c.participants > 8)
   OR (r.tier = 'bronze' AND c.region = r.region)
SQL

# ---------------------------------------------------------------- outer joins

diffq right_join <<'SQL'
SELECT r.region, r.country, t.tier, t.rank FROM qa.regions r RIGHT JOIN qa.tiers t ON r.tier = t.tier
==== sqlite
SELECT r.region, r.country, t.tier, t.rank FROM qa.tiers t LEFT JOIN qa.regions r ON r.tier = t.tier
SQL

diffq right_outer_join_with_residual <<'SQL'
SELECT r.region, t.tier, t.rank
FROM qa.regions r RIGHT OUTER JOIN qa.tiers t ON r.tier = t.tier AND r.country <> 'Ireland' AND t.rank > 1
==== sqlite
SELECT r.region, t.tier, t.rank
FROM qa.tiers t LEFT JOIN qa.regions r ON r.tier = t.tier AND r.country <> 'Ireland' AND t.rank > 1
SQL

diffq right_join_where_on_preserved_and_padded_sides <<'SQL'
SELECT r.region, t.rank FROM qa.regions r RIGHT JOIN qa.tiers t ON r.tier = t.tier
WHERE t.rank < 5 AND (r.country IS NULL OR r.country <> 'Germany')
==== sqlite
SELECT r.region, t.rank FROM qa.tiers t LEFT JOIN qa.regions r ON r.tier = t.tier
WHERE t.rank < 5 AND (r.country IS NULL OR r.country <> 'Germany')
SQL

diffq full_join <<'SQL'
SELECT r.region, r.tier AS rtier, t.tier AS ttier, t.rank
FROM qa.regions r FULL OUTER JOIN qa.tiers t ON r.tier = t.tier
==== sqlite
SELECT r.region, r.tier AS rtier, t.tier AS ttier, t.rank
FROM qa.regions r LEFT JOIN qa.tiers t ON r.tier = t.tier
UNION ALL
SELECT NULL, NULL, t.tier, t.rank FROM qa.tiers t
WHERE NOT EXISTS (SELECT 1 FROM qa.regions r WHERE r.tier = t.tier)
SQL

diffq full_join_with_residual_fact_to_dim <<'SQL'
SELECT c.region AS call_region, r.region AS dim_region, count(*) AS n, count(c.meeting_id) AS legs
FROM qa.calls c FULL JOIN qa.regions r ON c.region = r.region AND c.mos >= 3.5
GROUP BY c.region, r.region
==== sqlite
SELECT call_region, dim_region, count(*) AS n, count(meeting_id) AS legs FROM (
  SELECT c.region AS call_region, r.region AS dim_region, c.meeting_id
  FROM qa.calls c LEFT JOIN qa.regions r ON c.region = r.region AND c.mos >= 3.5
  UNION ALL
  SELECT NULL, r.region, NULL FROM qa.regions r
  WHERE NOT EXISTS (SELECT 1 FROM qa.calls c WHERE c.region = r.region AND c.mos >= 3.5))
GROUP BY call_region, dim_region
SQL

# The smaller side written on the left: both run turned around (JoinBuildSide).
diffq full_join_small_left_side <<'SQL'
SELECT r.region AS dim_region, r.tier, c.meeting_id, c.region AS call_region
FROM qa.regions r FULL JOIN qa.calls c ON r.region = c.region AND c.mos > 4.3
==== sqlite
SELECT r.region AS dim_region, r.tier, c.meeting_id, c.region AS call_region
FROM qa.regions r LEFT JOIN qa.calls c ON r.region = c.region AND c.mos > 4.3
UNION ALL
SELECT NULL, NULL, c.meeting_id, c.region FROM qa.calls c
WHERE NOT EXISTS (SELECT 1 FROM qa.regions r WHERE r.region = c.region AND c.mos > 4.3)
SQL

diffq right_join_small_left_side <<'SQL'
SELECT r.country, c.meeting_id, c.client_type
FROM qa.regions r RIGHT JOIN qa.calls c ON r.region = c.region AND r.tier <> 'gold'
WHERE c.dt = DATE '2024-05-03'
==== sqlite
SELECT r.country, c.meeting_id, c.client_type
FROM qa.calls c LEFT JOIN qa.regions r ON r.region = c.region AND r.tier <> 'gold'
WHERE c.dt = '2024-05-03'
SQL
plan_check "a right join with the larger right side builds its left side" \
	right_join_small_left_side 'LeftOuter, BuildRight'

# TPC-H Q13: a condition on the right side inside a LEFT OUTER JOIN's ON.
diffq left_outer_join_count_distribution <<'SQL'
SELECT c_count, count(*) AS regions
FROM (SELECT r.region, count(c.meeting_id) AS c_count
      FROM qa.regions r LEFT OUTER JOIN qa.calls c
        ON r.region = c.region AND c.client_type NOT LIKE '%web%'
      GROUP BY r.region) x
GROUP BY c_count
SQL

# regions (8 rows) LEFT JOIN calls (600) runs as calls RIGHT JOIN regions,
# so that the hash table holds regions.
plan_check "a left join with the larger right side builds its left side" \
	left_outer_join_count_distribution 'HashJoin \[region#[0-9]+\], \[region#[0-9]+\], RightOuter, BuildRight'

# ---------------------------------------------------------------- semi and anti

diffq left_semi_join <<'SQL'
SELECT r.region, r.country FROM qa.regions r LEFT SEMI JOIN qa.calls c ON r.region = c.region
==== sqlite
SELECT r.region, r.country FROM qa.regions r
WHERE EXISTS (SELECT 1 FROM qa.calls c WHERE r.region = c.region)
SQL

diffq left_anti_join <<'SQL'
SELECT r.region, r.country FROM qa.regions r LEFT ANTI JOIN qa.calls c ON r.region = c.region
==== sqlite
SELECT r.region, r.country FROM qa.regions r
WHERE NOT EXISTS (SELECT 1 FROM qa.calls c WHERE r.region = c.region)
SQL

diffq left_anti_join_null_and_duplicate_keys <<'SQL'
SELECT t.tier, t.rank FROM qa.tiers t LEFT ANTI JOIN qa.regions r ON t.tier = r.tier
==== sqlite
SELECT t.tier, t.rank FROM qa.tiers t
WHERE NOT EXISTS (SELECT 1 FROM qa.regions r WHERE t.tier = r.tier)
SQL

diffq left_semi_join_each_row_once <<'SQL'
SELECT t.tier, t.rank FROM qa.tiers t LEFT SEMI JOIN qa.regions r ON t.tier = r.tier
==== sqlite
SELECT t.tier, t.rank FROM qa.tiers t
WHERE EXISTS (SELECT 1 FROM qa.regions r WHERE t.tier = r.tier)
SQL

# TPC-H Q21: another row of the same key with a different value (semi) and
# none (anti), the inequality a residual of the join.
diffq left_semi_join_with_residual <<'SQL'
SELECT c1.meeting_id, c1.client_type, c1.dt
FROM qa.calls c1 LEFT SEMI JOIN qa.calls c2
  ON c1.meeting_id = c2.meeting_id AND c2.client_type <> c1.client_type
==== sqlite
SELECT c1.meeting_id, c1.client_type, c1.dt FROM qa.calls c1
WHERE EXISTS (SELECT 1 FROM qa.calls c2
              WHERE c1.meeting_id = c2.meeting_id AND c2.client_type <> c1.client_type)
SQL

diffq left_anti_join_with_residual <<'SQL'
SELECT c1.meeting_id, c1.client_type, c1.region
FROM qa.calls c1 LEFT ANTI JOIN qa.calls c2
  ON c1.meeting_id = c2.meeting_id AND c2.client_type <> c1.client_type AND c2.mos < 3.0
WHERE c1.dt = DATE '2024-05-02'
==== sqlite
SELECT c1.meeting_id, c1.client_type, c1.region FROM qa.calls c1
WHERE NOT EXISTS (SELECT 1 FROM qa.calls c2
                  WHERE c1.meeting_id = c2.meeting_id AND c2.client_type <> c1.client_type
                    AND c2.mos < 3.0)
  AND c1.dt = '2024-05-02'
SQL

diffq semi_and_anti_joins_in_one_query <<'SQL'
SELECT r.region, t.rank
FROM qa.regions r LEFT SEMI JOIN qa.calls c ON r.region = c.region AND c.dropped
  JOIN qa.tiers t ON r.tier = t.tier
  LEFT ANTI JOIN qa.calls d ON r.region = d.region AND d.mos > 4.4
==== sqlite
SELECT r.region, t.rank FROM qa.regions r JOIN qa.tiers t ON r.tier = t.tier
WHERE EXISTS (SELECT 1 FROM qa.calls c WHERE r.region = c.region AND c.dropped)
  AND NOT EXISTS (SELECT 1 FROM qa.calls d WHERE r.region = d.region AND d.mos > 4.4)
SQL

note "$NCHECKS differential queries"
mf_finish
