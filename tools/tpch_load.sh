#!/usr/bin/env bash
# tpch_load.sh - load the TPC-H tables into a mounted metafs, through the mount.
#
#   tpch_load.sh [--sf SF] [--seed S] [--money-type decimal|double]
#                [--data DIR] [--platform P] [--job NAME] MOUNT
#
#   --sf SF          scale factor (default 1)
#   --seed S         generator seed (default 19920101, metafs-tpch's default)
#   --money-type T   decimal (default) or double: the type of the money columns
#   --data DIR       the CSV files: generated there first unless DIR already holds
#                    metafs-tpch's output (schema.sql); default a temporary
#                    directory, removed at the end
#   --platform P     the platform of database tpch (default: the mount's first
#                    platform, where names without a platform go)
#   --job NAME       the name of the CREATE TABLE job (default tpch_schema)
#
# Steps: metafs-tpch writes the CSV files and schema.sql; schema.sql is
# submitted as job NAME (a file written into MOUNT/jobs/) and waited for (a read
# of MOUNT/jobs/NAME/wait); then each table's files are copied into
# MOUNT/P/tpch/TABLE/ with cp -r, which makes the partition directories
# (o_orderdate=..., l_shipdate=...) with mkdir through the mount.  Exit status
# 0 when every table holds the generated row count (its .table file says so).
#
# METAFS_TPCH names the generator (default: build/tools/metafs-tpch of this
# repository, else metafs-tpch on PATH).
set -u
set -o pipefail
export LC_ALL=C

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SF=1
SEED=19920101
MONEY=decimal
DATA=
PLATFORM=
JOB=tpch_schema

die() {
	echo "tpch_load.sh: $*" >&2
	exit 1
}
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
	case $1 in
	--sf) SF=${2:?--sf needs a number}; shift 2 ;;
	--seed) SEED=${2:?--seed needs a number}; shift 2 ;;
	--money-type) MONEY=${2:?--money-type needs decimal or double}; shift 2 ;;
	--data) DATA=${2:?--data needs a directory}; shift 2 ;;
	--platform) PLATFORM=${2:?--platform needs a name}; shift 2 ;;
	--job) JOB=${2:?--job needs a name}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "tpch_load.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# = 1 ] || { usage >&2; exit 2; }
MNT=$1
[ -d "$MNT/jobs" ] || die "$MNT is not a metafs mount (no jobs/)"

GEN=${METAFS_TPCH:-}
if [ -z "$GEN" ]; then
	if [ -x "$SRCDIR/build/tools/metafs-tpch" ]; then GEN=$SRCDIR/build/tools/metafs-tpch; else GEN=metafs-tpch; fi
fi

if [ -z "$PLATFORM" ]; then
	# the root lists the platforms in configuration order (a glob would sort them)
	# shellcheck disable=SC2010
	PLATFORM=$(ls -1U "$MNT" | grep -vxE 'jobs|sync|pipelines' | head -n 1)
	[ -n "$PLATFORM" ] || die "no platform in $MNT"
fi

TMP=
if [ -z "$DATA" ]; then
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/tpch_load.XXXXXX") || exit 1
	trap 'rm -rf "$TMP"' EXIT
	DATA=$TMP/data
fi
if [ ! -f "$DATA/schema.sql" ]; then
	echo "== metafs-tpch --sf $SF --seed $SEED --money-type $MONEY --out $DATA" >&2
	"$GEN" --sf "$SF" --seed "$SEED" --money-type "$MONEY" --out "$DATA" || die "metafs-tpch failed"
fi

echo "== CREATE TABLE job $JOB" >&2
cp "$DATA/schema.sql" "$MNT/jobs/$JOB.sql" || die "cannot submit $MNT/jobs/$JOB.sql"
STATUS=$(cat "$MNT/jobs/$JOB/wait") || die "cannot read $MNT/jobs/$JOB/wait"
[ "$(printf '%s\n' "$STATUS" | head -n 1)" = succeeded ] || die "job $JOB: $STATUS"

rc=0
for t in region nation supplier customer part partsupp orders lineitem; do
	dst=$MNT/$PLATFORM/tpch/$t
	[ -d "$dst" ] || die "$dst does not exist after the CREATE TABLE job"
	echo "== $t" >&2
	cp -r "$DATA/$t/." "$dst/" || die "cp -r $DATA/$t/. $dst/ failed"
	want=$(find "$DATA/$t" -name '*.csv' -exec cat {} + | grep -c '^[0-9]')
	got=$(sed -n 's/^rows: //p' "$dst/.table")
	if [ "$got" != "$want" ]; then
		echo "tpch_load.sh: $t holds $got rows, $want generated" >&2
		rc=1
	fi
done
exit $rc
