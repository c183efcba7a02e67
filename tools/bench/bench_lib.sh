# shellcheck shell=bash
# bench_lib.sh - what the benchmarks share: finding the daemon that serves a
# mount point, and taking a mount down for good.  Source it; set MNT first.

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
