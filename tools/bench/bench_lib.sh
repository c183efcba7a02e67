# shellcheck shell=bash
# bench_lib.sh - what the benchmarks share: where the programs are, the
# checks before a run, the temporary directory and its clean-up, finding the
# daemon that serves a mount point and taking a mount down for good.  Source
# it first thing (after `set -u`).

BENCH_NAME=$(basename "$0")
# The programs: METAFSD and METAFS, else this repository's build tree.
SRCDIR=${METAFS_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
METAFSD=${METAFSD:-$SRCDIR/build/fs/metafsd}
METAFS=${METAFS:-$SRCDIR/build/tools/metafs}

die() {
	echo "$BENCH_NAME: $*" >&2
	exit 1
}

# bench_preflight [COMMAND...] : the built programs, fusermount3, /dev/fuse,
# bash 5 (EPOCHREALTIME) and each COMMAND are there; exit 2 saying what is
# missing otherwise.
bench_preflight() {
	local b c
	for b in "$METAFSD" "$METAFS"; do
		[ -x "$b" ] || { echo "$BENCH_NAME: $b not found; build first (meson setup build && ninja -C build)" >&2; exit 2; }
	done
	for c in fusermount3 "$@"; do
		command -v "$c" >/dev/null || { echo "$BENCH_NAME: $c is missing" >&2; exit 2; }
	done
	[ -c /dev/fuse ] || { echo "$BENCH_NAME: /dev/fuse missing" >&2; exit 2; }
	[ -n "${EPOCHREALTIME:-}" ] || { echo "$BENCH_NAME: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }
}

# bench_workdir PREFIX : T, a new directory under $BASE, and MNT=$T/mnt.  At
# exit the mount is taken down, bench_cleanup_more runs when the script
# defines it, and T is removed unless KEEP=1.
bench_workdir() {
	T=$(mktemp -d "$BASE/$1.XXXXXX") || exit 1
	MNT=$T/mnt
	mkdir -p "$MNT" || exit 1
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2317 # called from the EXIT trap
bench_cleanup() {
	cd / || true
	bench_umount
	declare -F bench_cleanup_more >/dev/null && bench_cleanup_more
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf --one-file-system "$T"
	fi
}

# bench_daemon_pids: pids of metafsd processes serving $MNT
bench_daemon_pids() {
	local p args
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		args=$(tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline") || continue
		case $(basename "$(printf '%s\n' "$args" | head -n 1)") in metafsd | metafs) ;; *) continue ;; esac
		printf '%s\n' "$args" | grep -qxF -- "$MNT" && echo "$p"
	done
}

# bench_umount: unmount $MNT (lazily if it stays busy) and wait for its
# daemon to exit, killing it after 10 s.
bench_umount() {
	local pids p i
	mountpoint -q "$MNT" || return 0
	pids=$(bench_daemon_pids)
	for ((i = 0; i < 20; i++)); do
		fusermount3 -u "$MNT" 2>/dev/null && break
		sleep 0.25
	done
	mountpoint -q "$MNT" && fusermount3 -uz "$MNT"
	for p in $pids; do
		for ((i = 0; i < 100; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p"
	done
	return 0
}

# bench_mount [HOME] : mount HOME (default $H) on $MNT with metafsd (its
# output in $T/metafsd.out), wait for the mount and set DPID to the daemon's
# pid; die if it does not come up.
bench_mount() {
	"$METAFSD" --home "${1:-$H}" "$MNT" >"$T/metafsd.out" 2>&1 </dev/null ||
		die "metafsd failed: $(cat "$T/metafsd.out")"
	local i
	for ((i = 0; i < 100; i++)); do
		mountpoint -q "$MNT" && break
		sleep 0.1
	done
	mountpoint -q "$MNT" || die "the mount did not appear"
	DPID=$(bench_daemon_pids | head -n 1)
	[ -n "$DPID" ] || die "cannot find the daemon's pid"
}

# ratio A B : A / B to two decimals, or "-" when either is not positive
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

# median : the median of the numbers on standard input (one a line), to
# four decimals (the mean of the middle two for an even count)
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f\n", m }'
}
