#!/usr/bin/env bash
# test_sql_decimal.sh - DECIMAL(p,s) through the mount: a table with decimal
# columns made by a CREATE TABLE job and one by mkdir + .schema, CSV and
# JSONL files copied in, sums, averages, GROUP BY, DISTINCT, ORDER BY and a
# join on decimals checked against SQLite computing in integer cents (and
# against literals computed by hand), and decimals written back by INSERT
# and CREATE TABLE AS with exactly their scale.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || mf_skip "sqlite3 is missing"

mf_setup
J=$M/jobs
W=$M/warehouse
REF=$MF_TMP/ref.db

# sqlite_q SQL : SQLite's CSV output (no header) of SQL over the reference copy
sqlite_q() { timeout -k 5 "$MF_CMD_TIMEOUT" sqlite3 -batch -list -separator , -nullvalue '' "$REF" "$1" 2>&1; }
# result NAME : a job's result without its header line
result() { tail -n +2 "$J/$1/result" 2>&1; }

# ---------------------------------------------------------------- tables
run_job ddl "CREATE DATABASE shop;
CREATE TABLE shop.items (id BIGINT, cat STRING, price DECIMAL(15,2), qty NUMERIC(10, 3))
  STORED AS CSV TBLPROPERTIES ('header'='true');"
assert_eq "CREATE TABLE with decimal columns succeeds" succeeded "$STATE" || note "$STATUS"
assert_eq ".schema shows decimal(p,s) column types" "format csv
header true
column id bigint
column cat string
column price decimal(15,2)
column qty decimal(10,3)" "$(cat "$W/shop/items/.schema" 2>&1)"

# 3 files of deterministic rows: price in cents, qty in thousandths; some
# NULL prices, one row per file with a price that has no fraction digits.
: >"$MF_TMP/ref.csv"
for f in 0 1 2; do
	{
		echo "id,cat,price,qty"
		for i in $(seq 1 400); do
			id=$((f * 1000 + i))
			cents=$(( (id * 7919) % 250000 + 1 ))
			milli=$(( (id * 104729) % 90000 + 1 ))
			cat=$(printf 'c%d' $((id % 7)))
			if [ $((id % 97)) = 0 ]; then
				echo "$id,$cat,,$((milli / 1000)).$(printf '%03d' $((milli % 1000)))"
				echo "$id,$cat,,$milli" >>"$MF_TMP/ref.csv"
			elif [ "$i" = 5 ]; then
				echo "$id,$cat,$((cents / 100 * 100 / 100)),$((milli / 1000)).$(printf '%03d' $((milli % 1000)))"
				echo "$id,$cat,$((cents / 100 * 100)),$milli" >>"$MF_TMP/ref.csv"
			else
				echo "$id,$cat,$((cents / 100)).$(printf '%02d' $((cents % 100))),$((milli / 1000)).$(printf '%03d' $((milli % 1000)))"
				echo "$id,$cat,$cents,$milli" >>"$MF_TMP/ref.csv"
			fi
		done
	} >"$MF_TMP/part-$f.csv"
	mf_run cp "$MF_TMP/part-$f.csv" "$W/shop/items/" || mf_abort "cp part-$f.csv" "$MF_OUT"
done
assert_eq "items holds every row" 1200 "$(mf_field "$W/shop/items/.table" rows)"

# The rates table through the mount: JSONL, decimal(5, 4) written with a space.
mf_make_table "$W/shop/rates" $'format jsonl\ncolumn cat string\ncolumn rate decimal(5, 4)\n'
assert_eq ".schema of a table made through the mount reads back canonical" "column rate decimal(5,4)" \
	"$(grep rate "$W/shop/rates/.schema" 2>&1)"
printf '%s\n' '{"cat":"c0","rate":0.0825}' '{"cat":"c1","rate":0.1000}' '{"cat":"c2","rate":"0.0700"}' \
	'{"cat":"c3","rate":1}' '{"cat":"c4","rate":null}' >"$MF_TMP/rates.jsonl"
mf_run cp "$MF_TMP/rates.jsonl" "$W/shop/rates/" || mf_abort "cp rates.jsonl" "$MF_OUT"

sqlite3 "$REF" "CREATE TABLE items (id INTEGER, cat TEXT, cents INTEGER, milli INTEGER);
CREATE TABLE rates (cat TEXT, bp INTEGER);
INSERT INTO rates VALUES ('c0', 825), ('c1', 1000), ('c2', 700), ('c3', 10000), ('c4', NULL);" ||
	mf_abort "sqlite3 setup"
printf '.mode csv\n.import %s items\n' "$MF_TMP/ref.csv" | sqlite3 "$REF" || mf_abort "sqlite3 import"
sqlite3 "$REF" "UPDATE items SET cents = NULL WHERE cents = '';" || mf_abort "sqlite3 nulls"

# SQLite's text of an integer count of 10^-S units as a decimal of scale S
# (values here are positive).
dec() {
	printf "CASE WHEN (%s) IS NOT NULL THEN printf('%%d.%%0%dd', (%s) / %d, (%s) %% %d) END" \
		"$1" "$2" "$1" "$((10 ** $2))" "$1" "$((10 ** $2))"
}

# ---------------------------------------------------------------- literals
run_job lit "SELECT 0.06 + 0.01 = 0.07 AS eq, 0.1 + 0.2 AS s, 1e3 AS d, CAST(2.345 AS DECIMAL(3,2)) AS r,
  CAST(99999999999999999999999999999999999999 AS DECIMAL(38,0)) + 1 AS o, 1.0 / 3 AS q;"
assert_eq "decimal literals are exact, 1e3 a double, HALF_UP, overflow NULL, division at scale 6" \
	"true,0.3,1000.0,2.35,,0.333333" "$(result lit)"

# ---------------------------------------------------------------- aggregates
run_job sums "SELECT sum(price) AS total, avg(price) AS mean, count(price) AS n, min(price) AS lo,
  max(price) AS hi, sum(qty) AS q FROM shop.items;"
assert_eq "sum, avg, min, max of decimals are exact" \
	"$(sqlite_q "SELECT $(dec 'sum(cents)' 2), $(dec '(sum(cents) * 10000 * 2 + count(cents)) / (2 * count(cents))' 6),
	  count(cents), $(dec 'min(cents)' 2), $(dec 'max(cents)' 2), $(dec 'sum(milli)' 3) FROM items")" \
	"$(result sums)"
assert_match "sum of decimal(15,2) is decimal(25,2), avg decimal(19,6)" \
	"total: decimal\(25,2\), mean: decimal\(19,6\)" "$(cat "$J/sums/plan" 2>&1)"

run_job groups "SELECT cat, sum(price * qty) AS value, count(DISTINCT price) AS prices
  FROM shop.items GROUP BY cat ORDER BY cat;"
assert_eq "GROUP BY with a sum of products (scale 5) and DISTINCT decimals" \
	"$(sqlite_q "SELECT cat, $(dec 'sum(cents * milli)' 5), count(DISTINCT cents) FROM items GROUP BY cat ORDER BY cat")" \
	"$(result groups)"

run_job bykey "SELECT price, count(*) AS n FROM shop.items WHERE price IS NOT NULL
  GROUP BY price ORDER BY n DESC, price DESC LIMIT 5;"
assert_eq "GROUP BY and ORDER BY a decimal key" \
	"$(sqlite_q "SELECT $(dec cents 2), count(*) AS n FROM items WHERE cents IS NOT NULL
	  GROUP BY cents ORDER BY n DESC, cents DESC LIMIT 5")" "$(result bykey)"

run_job joined "SELECT r.rate, sum(i.price * r.rate) AS tax FROM shop.items i JOIN shop.rates r
  ON i.cat = r.cat GROUP BY r.rate ORDER BY r.rate;"
assert_eq "join to a JSONL table (numbers, strings, an integer, null), sum of decimal(15,2) x decimal(5,4)" \
	"$(sqlite_q "SELECT $(dec bp 4), $(dec 'sum(cents * bp)' 6) FROM items JOIN rates USING (cat)
	  GROUP BY bp ORDER BY bp")" "$(result joined)"

run_job onkey "SELECT count(*) AS n FROM shop.items a JOIN shop.items b ON a.price = b.price;"
assert_eq "a join on decimal keys matches equal prices" \
	"$(sqlite_q "SELECT count(*) FROM items a JOIN items b ON a.cents = b.cents")" "$(result onkey)"

# ---------------------------------------------------------------- output
run_job ctas "CREATE TABLE shop.totals STORED AS CSV TBLPROPERTIES ('header'='true') AS
  SELECT cat, sum(price) AS total, CAST(1.5 AS DECIMAL(15,2)) AS fee FROM shop.items GROUP BY cat;
CREATE TABLE shop.rounded (id BIGINT, p DECIMAL(15,2)) STORED AS JSONL;
INSERT INTO shop.rounded SELECT id, price * 1.005 FROM shop.items WHERE id IN (1, 2, 3);"
assert_eq "CREATE TABLE AS and INSERT of decimals succeed" succeeded "$STATE" || note "$STATUS"
assert_eq "CREATE TABLE AS keeps the decimal types" "column total decimal(25,2)
column fee decimal(15,2)" "$(grep -E 'total|fee' "$W/shop/totals/.schema" 2>&1)"
assert_eq "CSV output writes every decimal with its scale" \
	"$(sqlite_q "SELECT cat, $(dec 'sum(cents)' 2), '1.50' FROM items GROUP BY cat ORDER BY cat")" \
	"$(cat "$W"/shop/totals/*.csv 2>&1 | grep -v '^cat,' | sort)"
# price x 1.005 has scale 5, rounded HALF_UP into decimal(15,2).
assert_eq "JSONL output writes decimals as numbers, rounded HALF_UP" \
	"$(sqlite_q "SELECT '{\"id\":' || id || ',\"p\":' || $(dec '(cents * 1005 + 500) / 1000' 2) || '}'
	  FROM items WHERE id IN (1, 2, 3) ORDER BY id")" \
	"$(cat "$W"/shop/rounded/*.jsonl 2>&1 | sort)"
run_job reread "SELECT sum(total) AS t FROM shop.totals;"
assert_eq "written decimals read back exactly" "$(sqlite_q "SELECT $(dec 'sum(cents)' 2) FROM items")" \
	"$(result reread)"

mf_finish
