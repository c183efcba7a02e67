#!/usr/bin/env bash
# test_torn_reads.sh - an overwrite through the mount behaves as a rename-over:
# a reader sees the old file whole or the new file whole, never an empty
# file, a prefix or a mix, and a reader that opened before a commit keeps
# reading the old bytes to their end.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

ROUNDS=${ROUNDS:-60}      # writer rounds: `cp B f.csv; cp A f.csv`, or the same with `cat >`
NREADERS=3
MIN_READS=${MIN_READS:-60}

mf_make_table "$W/torn/t" $'column id bigint\ncolumn v string\n'
T=$W/torn/t

# Two versions of different sizes (64 KiB and 200 KiB); every line names its
# version and number, so a mix of the two has neither checksum.
make_version() { # NAME BYTES
	awk -v tag="$1" -v want="$2" 'BEGIN {
		n = 0; size = 0
		while (size < want) { line = sprintf("%d,%s-%08d-xxxxxxxxxxxxxxxxxxxxxxxx", n, tag, n); n++
			if (size + length(line) + 1 > want) line = substr(line, 1, want - size - 1)
			print line; size += length(line) + 1 }
	}' >"$SRC/$1.csv"
}
make_version A 65536
make_version B 204800
SUM_A=$(mf_xxh128 "$SRC/A.csv")
SUM_B=$(mf_xxh128 "$SRC/B.csv")
assert_eq "version A is 64 KiB" 65536 "$(stat -c %s "$SRC/A.csv")"
assert_eq "version B is 200 KiB" 204800 "$(stat -c %s "$SRC/B.csv")"
assert_ok "write version A" cp "$SRC/A.csv" "$T/f.csv"

# ---------------------------------------------------------------- a reader open across a commit
sum_fd() { xxh128sum | awk '{print $1}'; }
exec 3<"$T/f.csv"
assert_ok "overwrite with B while fd 3 holds A" cp "$SRC/B.csv" "$T/f.csv"
assert_eq "a reader that opened before the commit reads A whole" "$SUM_A" "$(sum_fd <&3)"
exec 3<&-
assert_eq "a reader that opens after the commit reads B whole" "$SUM_B" "$(sum_fd <"$T/f.csv")"
assert_eq "stat after the commit: B's size" 204800 "$(stat -c %s "$T/f.csv")"

# ---------------------------------------------------------------- a reader during an uncommitted rewrite
# The rewrite is written by the shell's builtins inside one redirection, so
# nothing closes the file (every close commits, and so would a redirection
# inside the group: the shell saves and closes a copy of the descriptor)
# until the group ends.  A reader started before waits until stat shows the
# first part written, then opens the file.
IFS= read -r -d '' PART1 < <(head -c 1000 "$SRC/A.csv")
IFS= read -r -d '' PART2 < <(tail -c +1001 "$SRC/A.csv")
CHECKED=$MF_TMP/checked
mkfifo "$MF_TMP/tick"
exec 7<>"$MF_TMP/tick"
(
	for ((i = 0; i < 600; i++)); do
		[ "$(stat -c %s "$T/f.csv")" = 1000 ] && break
		sleep 0.05
	done
	timeout 30 xxh128sum <"$T/f.csv" | awk '{print $1}' >"$MF_TMP/halfway.sum"
	: >"$CHECKED"
) &
CHECKER=$!
exec 3<"$T/f.csv"
{
	printf '%s' "$PART1"
	for ((i = 0; i < 600; i++)); do [ -e "$CHECKED" ] && break; read -r -t 0.05 -u 7 _; done
	printf '%s' "$PART2"
} >"$T/f.csv"
wait "$CHECKER"
exec 7<&-
assert_eq "while a rewrite is open, a new reader reads the committed B whole" "$SUM_B" \
	"$(cat "$MF_TMP/halfway.sum")"
assert_eq "once the rewrite is closed, a new reader reads A whole" "$SUM_A" "$(sum_fd <"$T/f.csv")"
assert_eq "the reader opened before the rewrite still reads B whole" "$SUM_B" "$(sum_fd <&3)"
exec 3<&-

# ---------------------------------------------------------------- writes after a commit
# Each command writing to fd 4 closes it when it exits, which commits what
# is written so far; what comes after must not land in the committed file.
SUM_P=$(head -c 1000 "$SRC/A.csv" | xxh128sum | awk '{print $1}')
assert_ok "overwrite with B" cp "$SRC/B.csv" "$T/f.csv"
exec 4>"$T/f.csv"
head -c 1000 "$SRC/A.csv" >&4
assert_eq "the first command's close committed A's first 1000 bytes" "$SUM_P" "$(sum_fd <"$T/f.csv")"
exec 5<"$T/f.csv"
tail -c +1001 "$SRC/A.csv" >&4
assert_eq "the second command's close committed A whole" "$SUM_A" "$(sum_fd <"$T/f.csv")"
assert_eq "a reader that opened between the commits reads the 1000 bytes, no more" "$SUM_P" \
	"$(sum_fd <&5)"
exec 5<&-
exec 4>&-
assert_eq "the last close changes nothing: A whole" "$SUM_A" "$(sum_fd <"$T/f.csv")"
assert_eq "stat: A's size" 65536 "$(stat -c %s "$T/f.csv")"

# ---------------------------------------------------------------- a writer loop and readers
DONE=$MF_TMP/writer.done
writer() {
	local i
	for ((i = 0; i < ROUNDS; i++)); do
		if ((i % 2 == 0)); then
			timeout 30 cp "$SRC/B.csv" "$T/f.csv" || echo "cp B round $i" >>"$MF_TMP/writer.err"
			timeout 30 cp "$SRC/A.csv" "$T/f.csv" || echo "cp A round $i" >>"$MF_TMP/writer.err"
		else   # a shell redirection: its file is opened and a first descriptor closed
			timeout 30 cat "$SRC/B.csv" >"$T/f.csv" || echo "cat B round $i" >>"$MF_TMP/writer.err"
			timeout 30 cat "$SRC/A.csv" >"$T/f.csv" || echo "cat A round $i" >>"$MF_TMP/writer.err"
		fi
	done
	touch "$DONE"
}
reader() { # N
	local reads=0 torn=0 sum
	while [ ! -e "$DONE" ]; do
		sum=$(timeout 30 xxh128sum <"$T/f.csv" | awk '{print $1}')
		reads=$((reads + 1))
		if [ "$sum" != "$SUM_A" ] && [ "$sum" != "$SUM_B" ]; then
			torn=$((torn + 1))
		fi
	done
	echo "$reads $torn" >"$MF_TMP/reader$1.counts"
}
: >"$MF_TMP/writer.err"
pids=()
for ((r = 1; r <= NREADERS; r++)); do
	reader "$r" &
	pids+=($!)
done
writer
for p in "${pids[@]}"; do wait "$p"; done

reads=0
torn=0
for ((r = 1; r <= NREADERS; r++)); do
	read -r a b <"$MF_TMP/reader$r.counts" || { a=0; b=0; }
	reads=$((reads + a))
	torn=$((torn + b))
done
note "$ROUNDS writer rounds, $NREADERS readers: $reads reads, $torn torn"
assert_eq "the writer's every cp succeeded" "" "$(head -n 5 "$MF_TMP/writer.err")"
assert_eq "no reader saw a torn file ($torn of $reads reads)" 0 "$torn"
assert_ok "readers read at least $MIN_READS times ($reads)" test "$reads" -ge "$MIN_READS"
assert_eq "the last version written is A, whole" "$SUM_A" "$(sum_fd <"$T/f.csv")"

# ---------------------------------------------------------------- an overwrite that writes nothing
# `: >f.csv` writes no byte: the last close commits the empty file.
assert_ok "empty the file with : >" sh_c ": >'$T/f.csv'"
for ((i = 0; i < 100; i++)); do
	[ "$(wc -c <"$T/f.csv")" = 0 ] && break
	sleep 0.05
done
assert_eq "the emptied file reads empty" "" "$(cat "$T/f.csv")"
assert_eq "the emptied file's size is 0" 0 "$(stat -c %s "$T/f.csv")"

mf_finish
