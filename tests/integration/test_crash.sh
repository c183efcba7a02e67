#!/usr/bin/env bash
# test_crash.sh - kill -9 the daemon in the middle of a burst of mkdir + cp;
# after a remount everything that returned success is there, intact, and no
# half-written partition or file is visible.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir
mf_init
mf_mount_fg || mf_abort "metafsd -f mount"
pass "metafsd -f mounts in the foreground"

NFILES=${NFILES:-600}
ROUNDS=${ROUNDS:-2}
TBL=$W/c/t
mkdir "$W/c" 2>/dev/null || mf_abort "mkdir $W/c"
mf_make_table "$TBL" $'column a bigint\ncolumn b bigint\npartition dt string\n'

# sources: most small, every 10th about 2 MB so that kills land mid-write too
for ((i = 1; i <= NFILES + 1; i++)); do
	if ((i % 10 == 0)); then
		seq 1 250000 | awk -v i="$i" '{print i "," $1}' >"$SRC/f$i.csv"
	else
		seq 1 $((i % 7 + 1)) | awk -v i="$i" '{print i "," $1}' >"$SRC/f$i.csv"
	fi
done
declare -A XXH ROWS SIZE
for ((i = 1; i <= NFILES + 1; i++)); do
	XXH[$i]=$(mf_xxh128 "$SRC/f$i.csv")
	ROWS[$i]=$(wc -l <"$SRC/f$i.csv")
	SIZE[$i]=$(stat -c %s "$SRC/f$i.csv")
done

OPLOG=$MF_TMP/ops.log # one line per operation that returned success
: >"$OPLOG"

# burst ROUND: mkdir dt=rROUND-i, cp part-0.csv (and for every 4th a part-1.csv);
# log each success; stop at the first failure (the daemon is gone)
burst() {
	local r=$1 i
	for ((i = 1; i <= NFILES; i++)); do
		timeout 30 mkdir "$TBL/dt=r$r-$i" 2>/dev/null || break
		echo "mkdir r$r-$i $i" >>"$OPLOG"
		timeout 30 cp "$SRC/f$i.csv" "$TBL/dt=r$r-$i/part-0.csv" 2>/dev/null || break
		echo "cp r$r-$i part-0.csv $i" >>"$OPLOG"
		if ((i % 4 == 0)); then
			timeout 30 cp "$SRC/f$((i + 1)).csv" "$TBL/dt=r$r-$i/part-1.csv" 2>/dev/null || break
			echo "cp r$r-$i part-1.csv $((i + 1))" >>"$OPLOG"
		fi
	done
	echo "$i" >"$MF_TMP/burst$r.stopped"
}

# source number of FILE in partition dt=rR-I
src_of() { # I FILE
	case $2 in
	part-0.csv) echo "$1" ;;
	part-1.csv) echo $(($1 + 1)) ;;
	*) echo 0 ;;
	esac
}

verify() { # LABEL
	local label=$1 missing_dirs=() bad_files=() bad_lines=() half=() extra_lines=() \
		op p f n d name i pfiles pbytes nlisted sumsize tparts=0 tfiles=0 lf
	while read -r op p f n; do
		case $op in
		mkdir) [ -d "$TBL/dt=$p" ] || missing_dirs+=("dt=$p") ;;
		cp)
			cmp -s "$SRC/f$n.csv" "$TBL/dt=$p/$f" || bad_files+=("dt=$p/$f")
			grep -qxF "file: $f bytes=${SIZE[$n]} rows=${ROWS[$n]} xxh128=${XXH[$n]}" "$TBL/dt=$p/.partition" 2>/dev/null ||
				bad_lines+=("dt=$p/$f")
			;;
		esac
	done <"$OPLOG"
	assert_eq "$label: every partition whose mkdir succeeded exists" "" "${missing_dirs[*]:0:10}"
	assert_eq "$label: every file whose cp succeeded is cmp-equal" "" "${bad_files[*]:0:10}"
	assert_eq "$label: every file whose cp succeeded has its .partition line (bytes, rows, xxh128)" "" "${bad_lines[*]:0:10}"

	# every listed partition: listed files complete, .partition agrees with the listing
	for d in "$TBL"/dt=*; do
		[ -d "$d" ] || continue
		name=${d##*/dt=}
		i=${name#r*-}
		tparts=$((tparts + 1))
		nlisted=0
		sumsize=0
		for lf in "$d"/*; do
			[ -e "$lf" ] || continue
			f=${lf##*/}
			n=$(src_of "$i" "$f")
			nlisted=$((nlisted + 1))
			sumsize=$((sumsize + $(stat -c %s "$lf")))
			if [ "$n" = 0 ] || ! cmp -s "$SRC/f$n.csv" "$lf"; then
				half+=("dt=$name/$f (listed but not equal to its source)")
			elif ! grep -qxF "file: $f bytes=${SIZE[$n]} rows=${ROWS[$n]} xxh128=${XXH[$n]}" "$d/.partition" 2>/dev/null; then
				half+=("dt=$name/$f (no matching .partition line)")
			fi
		done
		tfiles=$((tfiles + nlisted))
		pfiles=$(mf_field "$d/.partition" files)
		pbytes=$(mf_field "$d/.partition" bytes)
		[ "$pfiles" = "$nlisted" ] || extra_lines+=("dt=$name files: $pfiles, listed $nlisted")
		[ "$pbytes" = "$sumsize" ] || extra_lines+=("dt=$name bytes: $pbytes, listed sizes sum to $sumsize")
		[ "$(grep -c '^file: ' "$d/.partition" 2>/dev/null)" = "$nlisted" ] ||
			extra_lines+=("dt=$name has $(grep -c '^file: ' "$d/.partition" 2>/dev/null) file lines, $nlisted listed")
	done
	assert_eq "$label: no listed file is half there (cmp-equal to its source, in .partition)" "" "$(printf '%s\n' "${half[@]:0:10}")"
	assert_eq "$label: every .partition agrees with its listing (files, bytes, file lines)" "" "$(printf '%s\n' "${extra_lines[@]:0:10}")"
	assert_eq "$label: .table partitions: equals the listed partitions" "$tparts" "$(mf_field "$TBL/.table" partitions)"
	assert_eq "$label: .table files: equals the listed files" "$tfiles" "$(mf_field "$TBL/.table" files)"
	assert_eq "$label: staging area is empty after restart" "" "$(ls -A "$DS/.metafs-staging" 2>/dev/null | head -n 5)"
	if cat "$M/.metafs/events" >"$MF_TMP/events" 2>"$MF_TMP/events.err"; then
		pass "$label: /.metafs/events is readable"
	else
		fail "$label: /.metafs/events is readable" "$(cat "$MF_TMP/events.err")"
	fi
	missing_dirs=()
	while read -r op p f n; do
		[ "$op" = mkdir ] || continue
		grep -q " create partition fs c/t/dt=$p etag=" "$MF_TMP/events" || missing_dirs+=("dt=$p")
	done <"$OPLOG"
	assert_eq "$label: every successful mkdir has its create partition event" "" "${missing_dirs[*]:0:10}"
	note "$label: $tparts partitions, $tfiles files listed; $(grep -c '^cp ' "$OPLOG") cp and $(grep -c '^mkdir ' "$OPLOG") mkdir succeeded in total"
}

for ((r = 1; r <= ROUNDS; r++)); do
	burst "$r" &
	BPID=$!
	# wait for some progress, then kill at a slightly random moment
	target=$(($(grep -c '^cp ' "$OPLOG") + 30 + RANDOM % 40))
	for ((k = 0; k < 600; k++)); do
		[ "$(grep -c '^cp ' "$OPLOG")" -ge "$target" ] && break
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.1
	done
	sleep "0.0$((RANDOM % 10))"
	if kill -0 "$MF_DPID" 2>/dev/null; then
		kill -9 "$MF_DPID"
		wait "$MF_DPID" 2>/dev/null
		pass "round $r: daemon killed with SIGKILL mid-burst"
	else
		fail "round $r: daemon killed with SIGKILL mid-burst" "daemon was not running" "$(tail -n 20 "$MF_TMP/metafsd-fg.log")"
	fi
	# the burst stops at its first failing operation
	for ((k = 0; k < 600; k++)); do
		kill -0 "$BPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BPID" 2>/dev/null; then
		fail "round $r: operations fail promptly once the daemon is dead" "burst still running after 60 s"
		kill "$BPID" 2>/dev/null
	fi
	wait "$BPID" 2>/dev/null
	note "round $r: burst stopped at file $(cat "$MF_TMP/burst$r.stopped" 2>/dev/null) of $NFILES"
	assert_ok "round $r: dead mount is cleaned with fusermount3 -uz" fusermount3 -uz "$M"
	assert_eq "round $r: nothing mounted after the lazy unmount" "no" "$(mountpoint -q "$M" && echo yes || echo no)"
	if mf_mount_fg; then pass "round $r: store reopens cleanly (remount after kill -9)"; else mf_abort "remount after kill -9"; fi
	verify "round $r"
done

# the store still takes writes
assert_ok "after the crashes: mkdir works" mkdir "$TBL/dt=after"
assert_ok "after the crashes: cp works" cp "$SRC/f1.csv" "$TBL/dt=after/part-0.csv"
assert_cmp "after the crashes: new file reads back" "$SRC/f1.csv" "$TBL/dt=after/part-0.csv"

# and a clean unmount + remount still shows the same
BEFORE=$(find "$TBL" -printf '%P %i %s\n' 2>&1 | sort)
if mf_umount; then pass "clean unmount after the crashes"; else fail "clean unmount after the crashes"; fi
mf_mount_fg || mf_abort "final remount"
assert_eq "listing, inode numbers and sizes survive a clean remount after the crashes" "$BEFORE" \
	"$(find "$TBL" -printf '%P %i %s\n' 2>&1 | sort)"

mf_finish
