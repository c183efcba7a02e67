# shellcheck shell=bash
# lib.sh - shared helpers for the metafs integration tests.
#
# Each test script sources this file, then:
#   mf_setup            temp dir, `metafs init` of a home, mount it
#   ... checks ...      assert_* / expect_fail_errno / pass / fail
#   mf_finish           unmount, clean up, print "N passed, M failed", exit
#
# Environment: METAFSD, METAFS (the binaries) and METAFS_SRCDIR (the source
# tree).  When unset they default to the repository containing this file and
# its build/ directory.  MF_VERBOSE=1 prints every command's output.
#
# Everything the tests create lives under one `mktemp -d` directory; a trap on
# EXIT/INT/TERM unmounts every mount the test made (fusermount3 -u, falling back
# to -uz), kills any daemon of ours that is still running (by pid), and
# removes the directory.

set -u
set -o pipefail
export LC_ALL=C           # English strerror() messages, byte-order sorting
umask 022

MF_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${METAFS_SRCDIR:=$(cd "$MF_LIB_DIR/../.." && pwd)}"
: "${METAFSD:=$METAFS_SRCDIR/build/fs/metafsd}"
: "${METAFS:=$METAFS_SRCDIR/build/tools/metafs}"
export METAFSD METAFS METAFS_SRCDIR

MF_TEST_NAME=$(basename "$0" .sh)
MF_CMD_TIMEOUT=${MF_CMD_TIMEOUT:-60}    # seconds for any single command
MF_MOUNT_WAIT=${MF_MOUNT_WAIT:-10}      # seconds to wait for a mount

MF_PASS=0
MF_FAIL=0
MF_FINISHED=0
MF_TMP=
MF_MOUNTS=()        # every mount point this test may have mounted
MF_FG_PIDS=()       # daemons started in the foreground (in the background)
MF_DPID=            # pid of the daemon serving $M, when known

# ---------------------------------------------------------------------------
# reporting

pass() {
	MF_PASS=$((MF_PASS + 1))
	printf 'ok   %s\n' "$1"
}

# fail NAME [DETAIL...]
fail() {
	MF_FAIL=$((MF_FAIL + 1))
	printf 'FAIL %s\n' "$1"
	shift
	local d
	for d in "$@"; do
		printf '%s\n' "$d" | head -n 40 | sed 's/^/     | /'
	done
}

note() { printf '#    %s\n' "$*"; }

# Print the summary line (always the last line) and exit.
mf_finish() {
	mf_cleanup
	MF_FINISHED=1
	printf '%d passed, %d failed\n' "$MF_PASS" "$MF_FAIL"
	if [ "$MF_FAIL" -gt 0 ]; then exit 1; fi
	exit 0
}

# A setup step failed: nothing after it can be checked meaningfully.
mf_abort() {
	fail "setup: $1" "${@:2}"
	mf_finish
}

mf_on_exit() {
	local rc=$?
	if [ "$MF_FINISHED" = 1 ]; then
		exit "$rc"
	fi
	mf_cleanup
	MF_FINISHED=1
	fail "script ran to completion" "exited early with status $rc"
	printf '%d passed, %d failed\n' "$MF_PASS" "$MF_FAIL"
	exit 1
}

trap mf_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# environment

mf_skip() {
	# meson treats 77 as "skipped"
	printf 'SKIP %s\n' "$*"
	MF_FINISHED=1
	printf '%d passed, %d failed\n' "$MF_PASS" "$MF_FAIL"
	exit 77
}

mf_require_binaries() {
	local b
	for b in "$METAFSD" "$METAFS"; do
		if [ ! -x "$b" ]; then
			mf_abort "binary $b exists and is executable" "not found (set METAFSD/METAFS or build into $METAFS_SRCDIR/build)"
		fi
	done
}

mf_require_fuse() {
	[ -c /dev/fuse ] || mf_skip "/dev/fuse is missing"
	command -v fusermount3 >/dev/null || mf_skip "fusermount3 is missing"
	command -v mountpoint >/dev/null || mf_skip "mountpoint(1) is missing"
}

# mf_tmpdir: create the temp dir and the standard names
#   H   the home      M   the mount point      SRC  local source files
#   W   $M/warehouse  DS  the warehouse data store ($H/data/warehouse)
mf_tmpdir() {
	MF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/metafs-$MF_TEST_NAME.XXXXXX") ||
		mf_abort "mktemp -d"
	H=$MF_TMP/home
	M=$MF_TMP/mnt
	SRC=$MF_TMP/src
	W=$M/warehouse
	L=$M/lake
	DS=$H/data/warehouse
	mkdir -p "$M" "$SRC"
}

# mf_init [ARGS...] : `metafs init ARGS... $H`; with MF_AUDIT set, its
# value becomes the home's [access] audit (e.g. MF_AUDIT=all for a test
# that checks the entries of allowed reads).
mf_init() {
	local out
	if ! out=$(timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFS" init "$@" "$H" 2>&1 </dev/null); then
		mf_abort "metafs init $* $H" "$out"
	fi
	if [ -n "${MF_AUDIT:-}" ]; then
		sed -i "s/^audit = .*/audit = $MF_AUDIT/" "$H/metafs.ini"
		grep -q "^audit = $MF_AUDIT\$" "$H/metafs.ini" ||
			mf_abort "audit = $MF_AUDIT in $H/metafs.ini" "$(cat "$H/metafs.ini")"
	fi
	[ "${MF_VERBOSE:-0}" = 1 ] && printf '%s\n' "$out"
	return 0
}

mf_register_mount() {
	local m
	for m in "${MF_MOUNTS[@]}"; do
		[ "$m" = "$1" ] && return 0
	done
	MF_MOUNTS+=("$1")
}

# mf_wait_mounted MNT SECONDS : poll mountpoint -q every 0.1 s
mf_wait_mounted() {
	local mnt=$1 secs=$2 i n
	n=$((secs * 10))
	for ((i = 0; i < n; i++)); do
		mountpoint -q "$mnt" && return 0
		sleep 0.1
	done
	mountpoint -q "$mnt"
}

# mf_wait_unmounted MNT SECONDS
mf_wait_unmounted() {
	local mnt=$1 secs=$2 i n
	n=$((secs * 10))
	for ((i = 0; i < n; i++)); do
		mountpoint -q "$mnt" || return 0
		sleep 0.1
	done
	! mountpoint -q "$mnt"
}

# Pids of metafsd/metafs processes whose arguments include exactly the mount
# point MNT (our mount points are unique temp paths).
mf_find_daemons() {
	local mnt=$1 p args a0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = "$$" ] && continue
		args=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline") || continue
		[ -n "$args" ] || continue
		a0=$(basename "$(printf '%s\n' "$args" | head -n 1)")
		case $a0 in metafsd | metafs) ;; *) continue ;; esac
		if grep -qxF -- "$mnt" <<<"$args"; then
			printf '%s\n' "$p"
		fi
	done
}

# mf_mount [HOME [MNT [EXTRA-ARGS...]]]: daemonizing mount.  The spec says the
# mount is usable when metafsd returns; that is checked (once per test) and
# then, so the rest of the test can go on, waited for.
MF_READY_CHECKED=0
mf_mount() {
	local home=${1:-$H} mnt=${2:-$M} rc log
	shift $(($# > 2 ? 2 : $#))
	mkdir -p "$mnt"
	mf_register_mount "$mnt"
	log=$MF_TMP/metafsd.$RANDOM.out
	# output to a file, not a pipe: a daemon that keeps stdio open must not hang us
	timeout -k 5 "$MF_CMD_TIMEOUT" "$METAFSD" --home "$home" "$@" "$mnt" >"$log" 2>&1 </dev/null
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "metafsd --home $home $mnt exits 0" "exit status $rc" "$(cat "$log")"
		return 1
	fi
	if [ "$MF_READY_CHECKED" = 0 ]; then
		MF_READY_CHECKED=1
		if mountpoint -q "$mnt"; then
			pass "mount is ready when metafsd returns"
		else
			fail "mount is ready when metafsd returns" "mountpoint -q $mnt failed right after metafsd exited 0"
		fi
	fi
	if ! mf_wait_mounted "$mnt" "$MF_MOUNT_WAIT"; then
		fail "mount of $mnt appears" "not a mount point after ${MF_MOUNT_WAIT}s" "$(cat "$log")"
		return 1
	fi
	MF_DPID=$(mf_find_daemons "$mnt" | head -n 1)
	return 0
}

# mf_mount_fg [HOME [MNT]]: `metafsd -f` started in the background; sets MF_DPID
# to its pid and waits (bounded) until the mount appears.  stderr goes to
# $MF_TMP/metafsd-fg.log.
mf_mount_fg() {
	local home=${1:-$H} mnt=${2:-$M} i
	mkdir -p "$mnt"
	mf_register_mount "$mnt"
	"$METAFSD" --home "$home" -f "$mnt" >>"$MF_TMP/metafsd-fg.log" 2>&1 </dev/null &
	MF_DPID=$!
	MF_FG_PIDS+=("$MF_DPID")
	for ((i = 0; i < MF_MOUNT_WAIT * 10; i++)); do
		mountpoint -q "$mnt" && return 0
		if ! kill -0 "$MF_DPID" 2>/dev/null; then
			fail "metafsd -f stays up and mounts $mnt" "daemon exited" "$(tail -n 20 "$MF_TMP/metafsd-fg.log")"
			return 1
		fi
		sleep 0.1
	done
	fail "metafsd -f mounts $mnt within ${MF_MOUNT_WAIT}s" "$(tail -n 20 "$MF_TMP/metafsd-fg.log")"
	return 1
}

# Wait (bounded) for pid to exit; 0 if it did.
mf_wait_pid_gone() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		# a zombie child of ours counts as gone
		case $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) in Z | "") return 0 ;; esac
		sleep 0.1
	done
	return 1
}

# mf_umount [MNT]: clean unmount; waits for the daemon to exit (the spec
# says metastores are closed cleanly on fusermount3 -u).  Returns non-zero if
# either step fails.
mf_umount() {
	local mnt=${1:-$M} pids p i ok=1 out
	pids=$(mf_find_daemons "$mnt")
	for ((i = 0; i < 20; i++)); do
		out=$(fusermount3 -u "$mnt" 2>&1) && break
		sleep 0.25
	done
	if mountpoint -q "$mnt"; then
		note "fusermount3 -u $mnt failed: $out; lazy unmount"
		fusermount3 -uz "$mnt" 2>/dev/null
		ok=0
	fi
	for p in $pids; do
		if ! mf_wait_pid_gone "$p" 10; then
			note "daemon $p still running 10 s after unmount"
			ok=0
		fi
	done
	[ $ok = 1 ]
}

mf_cleanup() {
	local m p pids
	cd / || true
	for m in "${MF_MOUNTS[@]}"; do
		pids=$(mf_find_daemons "$m")
		if mountpoint -q "$m" 2>/dev/null; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null
		fi
		for p in $pids; do
			mf_wait_pid_gone "$p" 3 || kill -TERM "$p" 2>/dev/null
		done
		for p in $pids; do
			mf_wait_pid_gone "$p" 2 || kill -KILL "$p" 2>/dev/null
		done
	done
	for p in "${MF_FG_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
			mf_wait_pid_gone "$p" 2 || kill -KILL "$p" 2>/dev/null
		fi
		wait "$p" 2>/dev/null
	done
	MF_FG_PIDS=()
	for m in "${MF_MOUNTS[@]}"; do
		mountpoint -q "$m" 2>/dev/null && fusermount3 -uz "$m" 2>/dev/null
	done
	mf_users_remove
	if [ -n "$MF_TMP" ] && [ -d "$MF_TMP" ]; then
		if [ "${MF_KEEP:-0}" = 1 ]; then
			note "kept $MF_TMP"
		else
			rm -rf --one-file-system "$MF_TMP" 2>/dev/null
		fi
	fi
	MF_MOUNTS=()
}

# mf_setup [INIT-ARGS...]: the common start of a test.
mf_setup() {
	mf_require_fuse
	mf_require_binaries
	mf_tmpdir
	mf_init "$@"
	mf_mount || mf_abort "mount $H on $M"
}

# ---------------------------------------------------------------------------
# running commands

# mf_run CMD...: run with a timeout; output (stdout+stderr) in $MF_OUT, status
# in $MF_RC.
# mf_exec CMD...: run CMD with the command timeout; shell functions (which
# timeout(1) cannot run, e.g. sh_c, which has its own) are called directly.
mf_exec() {
	if declare -F -- "$1" >/dev/null; then
		"$@"
	else
		timeout -k 5 "$MF_CMD_TIMEOUT" "$@"
	fi
}

MF_OUT=
MF_RC=0
mf_run() {
	MF_OUT=$(mf_exec "$@" 2>&1 </dev/null)
	MF_RC=$?
	[ "${MF_VERBOSE:-0}" = 1 ] && printf '     $ %s\n%s\n' "$*" "$MF_OUT"
	return "$MF_RC"
}

# sh_c 'SCRIPT' ARGS...: run a bash snippet (for redirections) with a timeout.
sh_c() { timeout -k 5 "$MF_CMD_TIMEOUT" bash -c "$@"; }

# ---------------------------------------------------------------------------
# assertions: each is one check, named by its first argument

# assert_ok NAME CMD... : the command exits 0
assert_ok() {
	local name=$1
	shift
	if mf_run "$@"; then
		pass "$name"
	else
		fail "$name" "\$ $*" "exit status $MF_RC" "$MF_OUT"
		return 1
	fi
}

# assert_fails NAME CMD... : the command exits non-zero
assert_fails() {
	local name=$1
	shift
	if mf_run "$@"; then
		fail "$name" "\$ $*" "expected failure, exit status 0" "$MF_OUT"
		return 1
	fi
	pass "$name"
}

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" == "$3" ]; then
		pass "$1"
	else
		if [ "$(printf '%s' "$2" | wc -l)" -gt 0 ] || [ "$(printf '%s' "$3" | wc -l)" -gt 0 ]; then
			fail "$1" "diff -u expected actual:" \
				"$(diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed -n '3,$p')"
		else
			fail "$1" "expected: '$2'" "actual:   '$3'"
		fi
		return 1
	fi
}

# assert_ne NAME UNEXPECTED ACTUAL
assert_ne() {
	if [ "$2" != "$3" ]; then
		pass "$1"
	else
		fail "$1" "value should differ from '$2' but is equal"
		return 1
	fi
}

# assert_match NAME EXTENDED-REGEX ACTUAL
assert_match() {
	if [[ $3 =~ $2 ]]; then
		pass "$1"
	else
		fail "$1" "does not match /$2/:" "'$3'"
		return 1
	fi
}

# assert_file_contains NAME FILE STRING : fixed substring somewhere in FILE
assert_file_contains() {
	local content
	if ! content=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$2" 2>&1); then
		fail "$1" "cannot read $2: $content"
		return 1
	fi
	if grep -qF -- "$3" <<<"$content"; then
		pass "$1"
	else
		fail "$1" "'$3' not found in $2:" "$content"
		return 1
	fi
}

# assert_file_has_line NAME FILE LINE : FILE has a line exactly equal to LINE
assert_file_has_line() {
	local content
	if ! content=$(timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$2" 2>&1); then
		fail "$1" "cannot read $2: $content"
		return 1
	fi
	if grep -qxF -- "$3" <<<"$content"; then
		pass "$1"
	else
		fail "$1" "no line '$3' in $2:" "$content"
		return 1
	fi
}

# assert_cmp NAME EXPECTED-FILE ACTUAL-FILE : byte-exact
assert_cmp() {
	if mf_run cmp -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "cmp $2 $3" "$MF_OUT"
		return 1
	fi
}

assert_exists() {
	if [ -e "$2" ]; then pass "$1"; else
		fail "$1" "$2 does not exist"
		return 1
	fi
}
assert_dir() {
	if [ -d "$2" ]; then pass "$1"; else
		fail "$1" "$2 is not a directory"
		return 1
	fi
}
assert_not_exists() {
	if [ ! -e "$2" ] && [ ! -L "$2" ]; then pass "$1"; else
		fail "$1" "$2 exists"
		return 1
	fi
}

# expect_fail_errno NAME MESSAGE CMD... : CMD exits non-zero and its stderr
# contains MESSAGE (a strerror text such as "Invalid argument").
expect_fail_errno() {
	local name=$1 msg=$2 err rc
	shift 2
	err=$(mf_exec "$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ "${MF_VERBOSE:-0}" = 1 ] && printf '     $ %s -> %s: %s\n' "$*" "$rc" "$err"
	if [ $rc -ne 0 ] && grep -qF -- "$msg" <<<"$err"; then
		pass "$name"
	else
		fail "$name" "\$ $*" "expected failure with '$msg'; exit status $rc, stderr:" "$err"
		return 1
	fi
}

# mf_poll SECONDS CMD... : run CMD every 0.1 s until it succeeds; 0 if it did.
# MF_POLL_ELAPSED holds the seconds waited.
MF_POLL_ELAPSED=0
mf_poll() {
	local secs=$1 t0 i n
	shift
	t0=$(date +%s.%N)
	n=$(awk -v s="$secs" 'BEGIN{print int(s*10)}')
	for ((i = 0; i <= n; i++)); do
		if MF_CMD_TIMEOUT=5 mf_exec "$@" >/dev/null 2>&1 </dev/null; then
			MF_POLL_ELAPSED=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
			return 0
		fi
		sleep 0.1
	done
	MF_POLL_ELAPSED=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}')
	return 1
}

# ---------------------------------------------------------------------------
# metafs specifics

# mf_field FILE KEY : value of the first "KEY: value" line of a metadata file
mf_field() {
	timeout -k 5 "$MF_CMD_TIMEOUT" cat -- "$1" 2>/dev/null |
		awk -v k="$2:" '$1 == k { sub(/^[^:]*: ?/, ""); print; exit }'
}

# mf_xxh128 FILE : XXH3-128 of FILE as 32 hex digits, computed by xxhash's CLI
mf_xxh128() {
	local out
	if command -v xxh128sum >/dev/null; then
		out=$(xxh128sum -- "$1" 2>/dev/null) || return 1
	elif command -v xxhsum >/dev/null; then
		out=$(xxhsum -H2 -- "$1" 2>/dev/null) || return 1
	else
		echo "NO-XXHSUM-INSTALLED"
		return 1
	fi
	printf '%s\n' "${out%% *}"
}

# mf_rows_expected FILE FORMAT HEADER: not used for verification (the tests
# state their expected row counts literally); kept out on purpose.

# mf_put_schema DIR TEXT : write TEXT to DIR/.schema with cp (cp reports
# errors from close()); status of cp, its stderr in $MF_OUT.
mf_put_schema() {
	local f
	f=$(mktemp "$MF_TMP/schema.XXXXXX")
	printf '%s' "$2" >"$f"
	mf_run cp -- "$f" "$1/.schema"
}

# mf_job_file NAME FILE : submit the SQL in FILE as job NAME through
# $M/jobs and wait for it (a blocking read of its `wait` file); the final
# status text in $STATUS, its first line in $STATE (none when the submit
# failed).  Succeeds when the job did.
mf_job_file() {
	if ! timeout -k 5 "$MF_CMD_TIMEOUT" cp "$2" "$M/jobs/$1.sql" 2>"$MF_TMP/err"; then
		STATUS="submit failed: $(cat "$MF_TMP/err")"
		STATE=none
		return 1
	fi
	STATUS=$(timeout -k 5 300 cat "$M/jobs/$1/wait" 2>&1)
	STATE=$(printf '%s\n' "$STATUS" | head -n 1)
	[ "$STATE" = succeeded ]
}

# run_job NAME SQL : mf_job_file with the SQL text itself (kept in
# $MF_TMP/NAME.sql); fails only when the submit did: callers read $STATE.
run_job() {
	printf '%s\n' "$2" >"$MF_TMP/$1.sql"
	mf_job_file "$1" "$MF_TMP/$1.sql"
	[ "$STATE" != none ]
}

# mf_stat_read_agree PATH : true when one process's stat of PATH, the bytes
# its open and read return and the fstat after the read all agree, and are
# not empty (what tar, rsync and cp rely on).
mf_stat_read_agree() {
	timeout -k 5 "$MF_CMD_TIMEOUT" python3 -c '
import os, sys
p = sys.argv[1]
n = os.stat(p).st_size
with open(p, "rb") as f:
    data = f.read()
    m = os.fstat(f.fileno()).st_size
sys.exit(0 if n == len(data) == m and n > 0 else 1)' "$1"
}

# mf_have_duckdb : true when node can load @duckdb/node-api, from
# tests/data/tpch/.node (where tools/deps.sh --duckdb installs it) or
# NODE_PATH; exports the NODE_PATH that finds it.  Tests compare with DuckDB
# only when this holds and say what they skipped otherwise.
mf_have_duckdb() {
	export NODE_PATH=$METAFS_SRCDIR/tests/data/tpch/.node/node_modules${NODE_PATH:+:$NODE_PATH}
	command -v node >/dev/null && node -e 'require("@duckdb/node-api")' 2>/dev/null
}

# mf_duckdb [-h] [-s SEP] SQL... : the rows DuckDB returns for the
# statements, run in order in one in-memory database (duckdb_query.js):
# a line a row, fields joined by SEP (default ","), NULL empty; -h: column
# names first.  After mf_have_duckdb.
mf_duckdb() {
	timeout -k 5 "$MF_CMD_TIMEOUT" node "$MF_LIB_DIR/duckdb_query.js" "$@"
}

# mf_sqlite_ref DB SCHEMA SQL-FILE OUT-FILE : run the statements of SQL-FILE
# in sqlite3 with the database DB attached as SCHEMA (so table names match
# metafs's db.table), CSV output with headers and case-sensitive LIKE (as
# Spark's); stderr in OUT-FILE.err.
mf_sqlite_ref() {
	{
		printf '.bail on\n.mode csv\n.headers on\n'
		printf 'PRAGMA case_sensitive_like = ON;\n'
		printf "ATTACH '%s' AS %s;\n" "$1" "$2"
		cat "$3"
	} | timeout -k 5 "$MF_CMD_TIMEOUT" sqlite3 -batch :memory: >"$4" 2>"$4.err"
}

# mf_realpath PATH
mf_realpath() { readlink -f -- "$1"; }

# mf_inode PATH
mf_inode() { timeout -k 5 "$MF_CMD_TIMEOUT" stat -c %i -- "$1" 2>&1; }

# mf_ls DIR : one name per line, literal, sorted (C locale), no dotfiles
mf_ls() { timeout -k 5 "$MF_CMD_TIMEOUT" ls -1 --quoting-style=literal -- "$1" 2>&1; }
# mf_ls_a DIR : including dotfiles, ., ..
mf_ls_a() { timeout -k 5 "$MF_CMD_TIMEOUT" ls -1a --quoting-style=literal -- "$1" 2>&1; }

# mf_log_lines : number of lines in /.metafs/log
mf_log_lines() { timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/log" 2>/dev/null | wc -l; }

# mf_check_agree TABLE DATADIR : the data store and the metastore agree for
# a table with one partition level, as the mounted daemon shows it.  TABLE
# is the table's directory in the mount, DATADIR its directory in the data
# store.  Prints one line per violation (nothing when they agree): a data
# file the metastore does not list, a recorded file missing from the data
# store, or a recorded file whose size, rows (CSV: its lines), xxh128 or
# bytes read through the mount differ from its record.
mf_check_agree() {
	local tbl=$1 data=$2 part name rec got f fname fbytes frows fxxh
	for part in "$data"/*=*; do
		[ -d "$part" ] || continue
		name=${part##*/}
		if [ ! -d "$tbl/$name" ]; then
			# An unlisted directory is fine only if it holds no data file.
			if [ -n "$(find "$part" -maxdepth 1 -type f ! -name '.*' 2>/dev/null)" ]; then
				echo "$name: data files in a partition the metastore does not list"
			fi
			continue
		fi
		rec=$(timeout 10 cat "$tbl/$name/.partition" 2>&1) || {
			echo "$name: .partition unreadable: $rec"
			continue
		}
		for f in "$part"/*; do
			[ -f "$f" ] || continue
			case ${f##*/} in .* | _*) continue ;; esac
			if ! grep -q "^file: ${f##*/} " <<<"$rec"; then
				echo "$name/${f##*/}: in the data store, not recorded"
			fi
		done
		while read -r _ fname fbytes frows fxxh; do
			fbytes=${fbytes#bytes=}
			frows=${frows#rows=}
			fxxh=${fxxh#xxh128=}
			if [ ! -f "$part/$fname" ]; then
				echo "$name/$fname: recorded, missing from the data store"
				continue
			fi
			got=$(stat -c %s "$part/$fname")
			[ "$got" = "$fbytes" ] || echo "$name/$fname: $got bytes, recorded $fbytes"
			if [ "${fname##*.}" = csv ]; then
				got=$(awk 'END { print NR }' "$part/$fname")
				[ "$got" = "$frows" ] || echo "$name/$fname: $got rows, recorded $frows"
			fi
			got=$(mf_xxh128 "$part/$fname")
			[ "$got" = "$fxxh" ] || echo "$name/$fname: xxh128 $got, recorded $fxxh"
			got=$(timeout 10 cat "$tbl/$name/$fname" | mf_xxh128 /dev/stdin)
			[ "$got" = "$fxxh" ] || echo "$name/$fname: read through the mount as $got, recorded $fxxh"
		done < <(printf '%s\n' "$rec" | grep '^file: ')
	done
}

# mf_make_table DIR SCHEMA-TEXT : mkdir DIR and define its schema; aborts on failure
mf_make_table() {
	mf_run mkdir -p -- "$(dirname "$1")" || mf_abort "mkdir $(dirname "$1")" "$MF_OUT"
	mf_run mkdir -- "$1" || mf_abort "mkdir $1" "$MF_OUT"
	mf_put_schema "$1" "$2" || mf_abort "write $1/.schema" "$MF_OUT"
}

# ---------------------------------------------------------------------------
# several users (tests of access control; they need root)

MF_USERS=()         # users this test created: removed by mf_cleanup

# mf_require_root : skip unless the test runs as root with useradd and setpriv
mf_require_root() {
	[ "$(id -u)" = 0 ] || mf_skip "needs root (creates users)"
	command -v useradd >/dev/null || mf_skip "useradd is missing"
	command -v setpriv >/dev/null || mf_skip "setpriv is missing"
}

# mf_add_user NAME : a user with a group of its own and no home; removed at exit
mf_add_user() {
	local out
	if ! out=$(useradd -M -N -s /usr/sbin/nologin "$1" 2>&1 && groupadd -f "$1" 2>&1 &&
		usermod -g "$1" "$1" 2>&1); then
		mf_abort "useradd $1" "$out"
	fi
	MF_USERS+=("$1")
}

mf_users_remove() {
	local u
	for u in "${MF_USERS[@]}"; do
		userdel "$u" 2>/dev/null
		groupdel "$u" 2>/dev/null
	done
	MF_USERS=()
}

# mf_shared_home : the start of a test of several users (needs root): a
# temporary directory the users can only pass through to the mount point,
# and a new home.  Add the users, then mf_mount_shared.
mf_shared_home() {
	mf_require_root
	mf_require_fuse
	mf_require_binaries
	mf_tmpdir
	chmod 711 "$MF_TMP"   # the users reach the mount point, nothing else
	mf_init
}

# mf_mount_shared : mount $H on $M with -o allow_other (aborts on failure)
# and point AUDIT at the home's audit log.
mf_mount_shared() {
	mf_mount "$H" "$M" -o allow_other || mf_abort "mount with -o allow_other"
	AUDIT=$H/manager/audit.log
}

# mf_as USER CMD... : run CMD as USER (its uid and primary gid, no other
# groups), with the command timeout
mf_as() {
	local u=$1
	shift
	timeout -k 5 "$MF_CMD_TIMEOUT" setpriv --reuid "$(id -u "$u")" --regid "$(id -g "$u")" \
		--clear-groups -- "$@"
}

# mf_as_sh USER 'SCRIPT' : a bash snippet as USER
mf_as_sh() { mf_as "$1" bash -c "$2"; }

# ---------------------------------------------------------------- the audit log

# mf_audit_count UID ACTION OBJECT DECISION [DETAIL-REGEX] : lines of the audit
# log ($AUDIT, default $H/manager/audit.log) with these fields; "*" matches
# any value, an OBJECT ending in "*" matches that prefix.
mf_audit_count() {
	awk -F'\t' -v u="$1" -v a="$2" -v o="$3" -v d="$4" -v x="${5:-}" '
		function ok(want, have) {
			if (want == "*") return 1
			if (substr(want, length(want)) == "*") return index(have, substr(want, 1, length(want) - 1)) == 1
			return have == want
		}
		ok(u, $2) && ok(a, $3) && ok(o, $4) && ok(d, $5) && (x == "" || $7 ~ x) { n++ }
		END { print n + 0 }' "${AUDIT:-$H/manager/audit.log}"
}

# mf_check_audit NAME UID ACTION OBJECT DECISION [DETAIL-REGEX] : pass NAME when
# the audit log has such a line, else fail it showing the log's end.
mf_check_audit() {
	local name=$1
	shift
	if [ "$(mf_audit_count "$@")" -gt 0 ]; then
		pass "$name"
	else
		fail "$name" "no audit line uid=$1 action=$2 object=$3 decision=$4 detail~${5:-}; the log's end:" \
			"$(tail -n 15 "${AUDIT:-$H/manager/audit.log}" 2>&1)"
	fi
}

# ---- the Hive Metastore API ([hms] listen) ------------------------------------------------

# mf_hms_setup: before mounting $H, make the test clients' code with
# `thrift --gen py` from hms/hive_metastore.thrift (into $GEN), find a
# python3 with Debian's thrift module ($PY) and a free port ($PORT), and
# set [hms] listen in $H/metafs.ini.  Skips the test when thrift is missing.
mf_hms_setup() {
	command -v thrift >/dev/null || mf_skip "thrift (the compiler) is missing: tools/deps.sh installs it"
	# The first python3 that has the thrift module (Debian's python3-thrift
	# is for /usr/bin/python3, which another python3 on PATH may shadow).
	PY=
	local p
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import thrift' 2>/dev/null; then PY=$p; break; fi
	done
	[ -n "$PY" ] || mf_skip "python3-thrift is missing: tools/deps.sh installs it"
	GEN=$MF_TMP/gen
	mkdir -p "$GEN"
	thrift --gen py -out "$GEN" "$METAFS_SRCDIR/hms/hive_metastore.thrift" ||
		mf_abort "thrift --gen py hms/hive_metastore.thrift"
	PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '\n[hms]\nlisten = 127.0.0.1:%s\n' "$PORT" >>"$H/metafs.ini"
}

# hms_call CLIENT MODE [ARGS]: run tests/integration/CLIENT.py (a client on
# hms_lib.py) against $PORT; its "key<TAB>value" lines in $OUT, its exit
# status in $HMS_RC.
hms_call() {
	local client=$1
	shift
	OUT=$(timeout -k 5 "$MF_CMD_TIMEOUT" "$PY" "$METAFS_SRCDIR/tests/integration/$client.py" \
		"$GEN" "$PORT" "$@" 2>&1)
	HMS_RC=$?
}

# hms_val KEY: the value of KEY in $OUT (the first line with it).
hms_val() { awk -F'\t' -v k="$1" '$1 == k { sub(/^[^\t]*\t/, ""); print; exit }' <<<"$OUT"; }

# mf_bulk_partitions PLATFORM DB TABLE N [FORMAT]: give table DB.TABLE of
# PLATFORM (made through the mount, partitioned by one key) N empty
# partitions named by `seq -f FORMAT` (default 'p=%07.0f': p=0000000 ...),
# made with plain mkdir in the data store and registered with `metafs
# repair`, far faster than N mkdirs through the mount.  The names are in
# $MF_TMP/bulk-names.
mf_bulk_partitions() {
	local dir=$H/data/$1/$2/$3 names=$MF_TMP/bulk-names
	seq -f "${5:-p=%07.0f}" 0 $(($4 - 1)) >"$names"
	mkdir -p "$dir" || mf_abort "mkdir $dir"
	(cd "$dir" && xargs -d '\n' -a "$names" mkdir --) || mf_abort "mkdir of $4 partitions in $dir"
	# registering 10^6 directories takes minutes on a loaded machine
	MF_CMD_TIMEOUT=900 mf_run "$METAFS" repair --home "$H" "$1.$2.$3" ||
		mf_abort "metafs repair $1.$2.$3" "$MF_OUT"
}
