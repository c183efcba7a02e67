#!/usr/bin/env bash
# test_tpch.sh - TPC-H on metafs: the 22 queries, as jobs, over the TPC-H
# tables loaded through the mount, each result compared with DuckDB's answer.
#
# The data: metafs-tpch at the scale factor and seed recorded in
# tests/data/tpch/answers/params (the generator is deterministic: the sha256
# recorded there, of every generated file, is checked first, so the answers
# still belong to the data).  tools/tpch_load.sh loads it through the mount:
# the CREATE TABLE job of schema.sql, then cp -r of each table's files (which
# makes the partition directories of orders and lineitem, one per day).
#
# The queries: tests/data/tpch/qN.sql, the TPC-H texts with the validation
# parameters; the answers tests/data/tpch/answers/qN.csv were written by DuckDB
# (tests/data/tpch/README).  Each query is one check: the job succeeds and
# its result agrees with the answer under tests/data/compare.py: in order when
# the query has an ORDER BY, as sorted rows otherwise; numbers exactly equal
# except in the columns DuckDB typed DOUBLE (qN.types), which agree within a
# relative 1e-9 or as metafs's decimal rounding of the value.  A summary line
# per query follows the checks.  A few known pairs first check that the
# comparator keeps decimals exact and DOUBLE columns within its tolerance.
#
# MF_TPCH_MONEY=double loads the money columns as DOUBLE instead of
# DECIMAL(15,2) (for an engine without DECIMAL); numbers then agree within the
# tolerance in every column.  MF_TPCH_QUERIES="1 6 14" runs only those
# queries.  MF_KEEP=1 keeps the temporary directory (data, results).  Needs
# python3.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || mf_skip "python3 is missing"
TPCH_DIR=$METAFS_SRCDIR/tests/data/tpch
ANS=$TPCH_DIR/answers
COMPARE=$METAFS_SRCDIR/tests/data/compare.py
GEN=${METAFS_TPCH:-$(dirname "$METAFS")/metafs-tpch}
[ -x "$GEN" ] || mf_skip "$GEN is not built"

param() { sed -n "s/^$1 //p" "$ANS/params"; }
SF=$(param sf)
SEED=$(param seed)
SHA=$(param sha256)
QUERIES=${MF_TPCH_QUERIES:-$(seq 1 22)}
MONEY=${MF_TPCH_MONEY:-decimal}
case $MONEY in decimal | double) ;; *) mf_skip "MF_TPCH_MONEY is decimal or double" ;; esac

mf_setup
DATA=$MF_TMP/data

# ---------------------------------------------------------------- the comparator can fail
# compare.py --doubles as used below: decimals exact, DOUBLE columns within
# the tolerance or as metafs's decimal rounding, nothing more.
cmp_case() { # NAME EXPECTED-STATUS METAFS-TEXT ANSWER-TEXT OPTS...
	local name=$1 want=$2 rc
	printf '%s' "$3" >"$MF_TMP/cm.csv"
	printf '%s' "$4" >"$MF_TMP/ca.csv"
	python3 "$COMPARE" "${@:5}" "$MF_TMP/cm.csv" "$MF_TMP/ca.csv" >"$MF_TMP/cmp.out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then pass "comparator: $name"; else
		fail "comparator: $name" "exit status $rc, expected $want" "$(cat "$MF_TMP/cmp.out")"
	fi
}
cmp_case "decimals agree whatever their scale" 0 $'s,a\n12.50,0.25\n' $'s,a\n12.5000,0.25\n' --doubles a
cmp_case "decimals one unit in the last place apart differ" 1 \
	$'s,a\n491636888.7508,0.25\n' $'s,a\n491636888.7509,0.25\n' --doubles a
cmp_case "a decimal average rounded to 6 places agrees with the double" 0 \
	$'s,a\n1,25.284354\n' $'s,a\n1,25.284354021098782\n' --doubles a
cmp_case "a decimal average off by more than its rounding differs" 1 \
	$'s,a\n1,25.284355\n' $'s,a\n1,25.284354021098782\n' --doubles a
cmp_case "a double 1e-6 relative apart differs" 1 $'s,a\n1,0.05022474000000001\n' $'s,a\n1,0.05022469\n' --doubles a
cmp_case "the rounding rule is for DOUBLE columns only" 1 \
	$'s,a\n25.284354,1\n' $'s,a\n25.284354021098782,1\n' --doubles a
OUT=$MF_TMP/results
mkdir -p "$OUT"

# ---------------------------------------------------------------- the data
if ! out=$(timeout -k 5 300 "$GEN" --sf "$SF" --seed "$SEED" --out "$DATA" 2>&1); then
	mf_abort "metafs-tpch --sf $SF --seed $SEED writes the data" "$out"
fi
got=$(cd "$DATA" && find . -type f -print | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
assert_eq "metafs-tpch --sf $SF --seed $SEED writes the bytes the answers were made from" "$SHA" "$got"
[ "$got" = "$SHA" ] || mf_abort "the generated data differ from the answers' data: regenerate the answers (tests/data/tpch/README)"

if [ "$MONEY" = double ]; then
	sed -i 's/DECIMAL(15,2)/DOUBLE/g' "$DATA/schema.sql"
	note "money columns loaded as DOUBLE (MF_TPCH_MONEY=double)"
fi
if out=$(timeout -k 5 900 bash "$METAFS_SRCDIR/tools/tpch_load.sh" --data "$DATA" "$M" 2>&1); then
	pass "tpch_load.sh loads the 8 tables through the mount with every row"
else
	mf_abort "tpch_load.sh loads the 8 tables through the mount with every row" "$out"
fi

# ---------------------------------------------------------------- the queries
declare -A RES
NPASS=0
for n in $QUERIES; do
	q=q$n
	name="TPC-H Q$n"
	RES[$n]=FAIL
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cp "$TPCH_DIR/$q.sql" "$M/jobs/tpch_$q.sql" 2>"$MF_TMP/err"; then
		fail "$name: the job is submitted" "$(cat "$MF_TMP/err")"
		continue
	fi
	STATUS=$(timeout -k 5 600 cat "$M/jobs/tpch_$q/wait" 2>&1)
	if [ "$(printf '%s\n' "$STATUS" | head -n 1)" != succeeded ]; then
		fail "$name: the job succeeds" "$(printf '%s\n' "$STATUS" | head -n 8)"
		RES[$n]="FAIL ($(printf '%s\n' "$STATUS" | sed -n 's/^error: //p' | head -n 1 | cut -c1-100))"
		continue
	fi
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/jobs/tpch_$q/result" >"$OUT/$q.csv" 2>"$MF_TMP/err"; then
		fail "$name: the result is readable" "$(cat "$MF_TMP/err")"
		continue
	fi
	opts=()
	[ "$MONEY" = decimal ] &&
		opts+=(--doubles "$(awk '$2 == "DOUBLE" || $2 == "FLOAT" { printf "%s%s", s, $1; s = "," }' "$ANS/$q.types")")
	grep -qi 'order by' "$TPCH_DIR/$q.sql" && opts+=(--ordered)
	if out=$(python3 "$COMPARE" "${opts[@]}" "$OUT/$q.csv" "$ANS/$q.csv" 2>&1); then
		pass "$name: the result equals DuckDB's answer"
		RES[$n]=PASS
		NPASS=$((NPASS + 1))
	else
		fail "$name: the result equals DuckDB's answer" "$out"
		RES[$n]="FAIL (differs from the answer)"
	fi
done

note "TPC-H SF $SF summary (money columns $MONEY):"
for n in $QUERIES; do note "  Q$n ${RES[$n]}"; done
note "  $NPASS of $(echo "$QUERIES" | wc -w) queries pass"

mf_finish
