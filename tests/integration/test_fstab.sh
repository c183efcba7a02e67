#!/usr/bin/env bash
# test_fstab.sh - metafsd as a file system type of mount(8): `mount -t
# fuse.metafsd HOME MNT`, an /etc/fstab line (mount -T FSTAB), mount.fuse3's
# `metafsd#HOME` form, umount(8), and the ExecStart line of the systemd
# unit metafsd@.service.
#
# mount(8) clears PATH before it runs mount.fuse3, whose /bin/sh then finds
# `metafsd` on the shell's default path only.  So the test runs in a mount
# namespace of its own, where a directory holding a link to the metafsd
# under test is bind-mounted on /usr/local/sbin; nothing outside sees it.
if [ "${MF_FSTAB_NS:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || ! command -v mount.fuse3 >/dev/null || ! command -v unshare >/dev/null ||
		! command -v findmnt >/dev/null; then
		echo "SKIP needs root, mount.fuse3, unshare(1) and findmnt(8)"
		echo "0 passed, 0 failed"
		exit 77
	fi
	if ! unshare --mount --propagation private true 2>/dev/null; then
		echo "SKIP cannot make a mount namespace (unshare --mount)"
		echo "0 passed, 0 failed"
		exit 77
	fi
	MF_FSTAB_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
mf_register_mount "$M"      # every mount below is on $M: cleanup unmounts it

mkdir -p "$MF_TMP/sbin"
ln -s "$(readlink -f "$METAFSD")" "$MF_TMP/sbin/metafsd"
mf_run mount --bind "$MF_TMP/sbin" /usr/local/sbin ||
	mf_abort "bind-mount a directory with metafsd on /usr/local/sbin (in this namespace)" "$MF_OUT"
HOME_REAL=$(readlink -f "$H")

# daemon_of MNT : the pid of the metafsd serving MNT (empty when none)
daemon_of() { mf_find_daemons "$1" | head -n 1; }

# check_mounted WHAT : the mount on $M is metafsd's, with the home as source
check_mounted() {
	assert_eq "$1: findmnt shows type fuse.metafsd" "fuse.metafsd" "$(findmnt -n -o FSTYPE "$M" 2>&1)"
	assert_eq "$1: findmnt shows the home as source" "$HOME_REAL" "$(findmnt -n -o SOURCE "$M" 2>&1)"
}

# check_umount WHAT CMD... : CMD unmounts $M; the mount is gone and the daemon exits
check_umount() {
	local what=$1 pid
	shift
	pid=$(daemon_of "$M")
	assert_ne "$what: a daemon serves the mount" "" "$pid"
	assert_ok "$what: $* exits 0" "$@"
	if mountpoint -q "$M"; then
		fail "$what: the mount is gone after $1" "$(findmnt "$M")"
	else
		pass "$what: the mount is gone after $1"
	fi
	if [ -n "$pid" ] && mf_wait_pid_gone "$pid" 10; then
		pass "$what: the daemon exits after $1"
	else
		fail "$what: the daemon exits after $1" "pid ${pid:-?} still running"
	fi
}

# ---------------------------------------------------------------- mount -t fuse.metafsd
assert_ok "mount -t fuse.metafsd HOME MNT -o allow_other exits 0" \
	mount -t fuse.metafsd "$H" "$M" -o allow_other
if mountpoint -q "$M"; then
	pass "the mount is ready when mount(8) returns"
else
	mf_abort "the mount is ready when mount(8) returns" "$MF_OUT"
fi
check_mounted "mount -t"
assert_match "mount -t: allow_other reached the kernel" '(^|,)allow_other(,|$)' \
	"$(findmnt -n -o OPTIONS "$M" 2>&1)"
assert_ok "mount -t: the tree is there" test -d "$W"

printf 'id,v\n1,a\n2,b\n' >"$SRC/part-0.csv"
mf_run mkdir "$W/sales" || fail "mkdir a database" "$MF_OUT"
mf_make_table "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn v string\n'
assert_ok "mount -t: a data file is written" cp "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
assert_cmp "mount -t: the data file reads back" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"

check_umount "mount -t" umount "$M"

# ---------------------------------------------------------------- remount
assert_ok "remount after the daemon exited" mount -t fuse.metafsd "$H" "$M"
check_mounted "remount"
assert_cmp "remount: the data file committed before umount is there" \
	"$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
assert_eq "remount: without allow_other the kernel has no allow_other" "" \
	"$(findmnt -n -o OPTIONS "$M" | tr ',' '\n' | grep -x allow_other)"

# umount and mount at once: the new daemon waits for the old one to close the home
if mf_run umount "$M" && mf_run mount -t fuse.metafsd "$H" "$M"; then
	pass "umount MNT && mount -t fuse.metafsd HOME MNT works at once"
else
	fail "umount MNT && mount -t fuse.metafsd HOME MNT works at once" "$MF_OUT"
fi
assert_cmp "umount && mount: the data file is there" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
check_umount "umount && mount" umount "$M"

# A daemon still closing the home after its umount holds the home's lock
# with no mount of the home left: a new mount waits for it.  Here the holder
# is a process that records its pid in the lock file as the daemon does.
LOCK=$H/.metafsd.lock
OLD=$(cat "$LOCK" 2>/dev/null)
flock -x "$LOCK" bash -c 'echo $$ >"$1"; sleep 2' _ "$LOCK" </dev/null >/dev/null 2>&1 &
MF_FG_PIDS+=("$!")
if mf_poll 10 bash -c '[ "$(cat "$1")" != "$2" ]' _ "$LOCK" "$OLD"; then
	assert_ok "mount waits for a holder of the home's lock that has no mount of it" \
		mount -t fuse.metafsd "$H" "$M"
	check_mounted "after the lock holder"
	# with the home mounted, a second mount of it fails at once, naming the daemon
	M2=$MF_TMP/mnt2
	mkdir -p "$M2"
	mf_register_mount "$M2"
	expect_fail_errno "a second mount of a mounted home fails" "already mounted by metafsd" \
		mount -t fuse.metafsd "$H" "$M2"
	check_umount "after the lock holder" umount "$M"
else
	fail "setup: a process holds the home's lock" "the lock file still says '$OLD'"
fi

# ---------------------------------------------------------------- an fstab line
FSTAB=$MF_TMP/fstab
printf '# metafs\n%s\t%s\tfuse.metafsd\tdefaults,allow_other,_netdev,nofail,noatime,x-systemd.after=network-online.target\t0 0\n' \
	"$H" "$M" >"$FSTAB"
assert_ok "mount -T FSTAB MNT exits 0" mount -T "$FSTAB" "$M"
check_mounted "fstab"
OPTS=$(findmnt -n -o OPTIONS "$M" 2>&1)
assert_match "fstab: allow_other reached the kernel" '(^|,)allow_other(,|$)' "$OPTS"
assert_match "fstab: noatime reached the kernel" '(^|,)noatime(,|$)' "$OPTS"
assert_cmp "fstab: the data file is there" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
assert_ok "fstab: mount -a -T FSTAB with the line mounted exits 0" mount -a -T "$FSTAB"
assert_eq "fstab: mount -a does not mount the line a second time" "1" \
	"$(findmnt -n -o TARGET "$M" | wc -l)"
check_umount "fstab" umount "$M"
assert_ok "fstab: mount -a -T FSTAB mounts the line" mount -a -T "$FSTAB"
check_mounted "fstab mount -a"
check_umount "fstab mount -a" umount "$M"

# ---------------------------------------------------------------- bad options
expect_fail_errno "mount -o with an unknown option fails naming it" "unknown mount option 'bogus_opt'" \
	mount -t fuse.metafsd "$H" "$M" -o allow_other,bogus_opt
if mountpoint -q "$M"; then
	fail "unknown option: nothing is mounted" "$(findmnt "$M")"
else
	pass "unknown option: nothing is mounted"
fi
assert_eq "unknown option: no daemon is left" "" "$(daemon_of "$M")"
expect_fail_errno "an option libfuse does not take (relatime) is refused by name" \
	"unknown mount option 'relatime'" mount -t fuse.metafsd "$H" "$M" -o relatime
expect_fail_errno "metafsd HOME MNT -o unknown fails naming it" "unknown mount option 'nope=1'" \
	"$METAFSD" "$H" "$M" -o nope=1
expect_fail_errno "a missing home fails naming it" "$MF_TMP/nohome" \
	mount -t fuse.metafsd "$MF_TMP/nohome" "$M"
assert_eq "a missing home: no daemon is left" "" "$(daemon_of "$M")"

# ---------------------------------------------------------------- mount.fuse3 metafsd#HOME
assert_ok "mount.fuse3 metafsd#HOME MNT -o allow_other exits 0" \
	env PATH="$MF_TMP/sbin:$PATH" mount.fuse3 "metafsd#$H" "$M" -o allow_other
check_mounted "mount.fuse3"
assert_cmp "mount.fuse3: the data file is there" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
check_umount "mount.fuse3" fusermount3 -u "$M"

# ---------------------------------------------------------------- systemd unit
UNIT=$(dirname "$(readlink -f "$METAFSD")")/../tools/metafsd@.service
if [ ! -f "$UNIT" ]; then
	fail "the build made tools/metafsd@.service" "$UNIT is missing"
else
	pass "the build made tools/metafsd@.service"
	INSTANCE=$(systemd-escape --path "$HOME_REAL" 2>/dev/null || printf 'x')
	mkdir -p "$MF_TMP/units"
	# the unit as installed, but running the metafsd under test
	sed "s|^ExecStart=[^ ]*/metafsd |ExecStart=$(readlink -f "$METAFSD") |" "$UNIT" >"$MF_TMP/units/metafsd@.service"
	ln -s "metafsd@.service" "$MF_TMP/units/metafsd@$INSTANCE.service"
	assert_file_has_line "the unit is Type=forking (metafsd returns once mounted)" "$UNIT" "Type=forking"
	if command -v systemd-analyze >/dev/null && command -v systemd-escape >/dev/null; then
		OUT=$(timeout -k 5 "$MF_CMD_TIMEOUT" systemd-analyze verify --man=no \
			"$MF_TMP/units/metafsd@$INSTANCE.service" 2>&1)
		RC=$?
		if [ $RC = 0 ] && [ -z "$OUT" ]; then
			pass "systemd-analyze verify metafsd@$INSTANCE.service is clean"
		else
			fail "systemd-analyze verify metafsd@$INSTANCE.service is clean" "exit status $RC" "$OUT"
		fi
	else
		note "systemd-analyze or systemd-escape missing: the unit is not verified"
	fi
	# ExecStart as systemd would run it: %f is the home (the instance
	# unescaped, with a leading /); MOUNTPOINT and OPTIONS come from the
	# environment file, here $M and allow_other.
	LINE=$(sed -n 's/^ExecStart=//p' "$MF_TMP/units/metafsd@.service")
	LINE=${LINE//%f/$HOME_REAL}
	LINE=${LINE//\$\{MOUNTPOINT\}/$M}
	LINE=${LINE//\$\{OPTIONS\}/allow_other}
	read -r -a CMD <<<"$LINE"
	assert_ok "the unit's ExecStart ($LINE) exits 0" "${CMD[@]}"
	if mountpoint -q "$M"; then
		pass "ExecStart: the mount is ready when it returns"
	else
		fail "ExecStart: the mount is ready when it returns" "$MF_OUT"
	fi
	check_mounted "ExecStart"
	assert_cmp "ExecStart: the data file is there" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
	# systemctl stop: SIGTERM to the main process (KillMode=mixed)
	PID=$(daemon_of "$M")
	assert_ne "ExecStart: a daemon serves the mount" "" "$PID"
	[ -n "$PID" ] && kill -TERM "$PID"
	if [ -n "$PID" ] && mf_wait_pid_gone "$PID" 10; then
		pass "ExecStart: SIGTERM (systemctl stop) ends the daemon"
	else
		fail "ExecStart: SIGTERM (systemctl stop) ends the daemon" "pid ${PID:-?} still running"
	fi
	if mountpoint -q "$M"; then
		fail "ExecStart: SIGTERM unmounts" "$(findmnt "$M")"
	else
		pass "ExecStart: SIGTERM unmounts"
	fi
	assert_ok "remount after the unit's daemon stopped" mount -t fuse.metafsd "$H" "$M"
	assert_cmp "remount after stop: the data file is there" "$SRC/part-0.csv" "$W/sales/orders/part-0.csv"
	check_umount "after stop" umount "$M"
fi

mf_finish
