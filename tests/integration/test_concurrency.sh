#!/usr/bin/env bash
# test_concurrency.sh - a writer creating 300 partitions while readers walk the
# table and read .partition files; then several writers at once.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

NPART=${NPART:-300}
mkdir "$W/c" 2>/dev/null || mf_abort "mkdir $W/c"
mf_make_table "$W/c/t" $'column id bigint\ncolumn v string\npartition dt string\n'
TBL=$W/c/t

# distinct small files, 1..3 rows each
for ((i = 1; i <= NPART; i++)); do
	{
		printf '%d,first-%d\n' "$i" "$i"
		((i % 2)) && printf '%d,"second\n%d"\n' "$i" "$i"
		((i % 3 == 0)) && printf '%d,third\n' "$i"
	} >"$SRC/f$i.csv"
done
rows_of() { # expected rows of file i
	local r=1
	(($1 % 2)) && r=$((r + 1))
	(($1 % 3 == 0)) && r=$((r + 1))
	echo $r
}

DONE=$MF_TMP/writer.done
WLOG=$MF_TMP/writer.log
R1LOG=$MF_TMP/reader1.log
R2LOG=$MF_TMP/reader2.log
: >"$WLOG"
: >"$R1LOG"
: >"$R2LOG"

writer() {
	local i fails=0
	for ((i = 1; i <= NPART; i++)); do
		if ! err=$(timeout 30 mkdir "$TBL/dt=p$i" 2>&1); then
			printf 'mkdir dt=p%d: %s\n' "$i" "$err" >>"$WLOG"
			fails=$((fails + 1))
			continue
		fi
		if ! err=$(timeout 30 cp "$SRC/f$i.csv" "$TBL/dt=p$i/part-0.csv" 2>&1); then
			printf 'cp dt=p%d: %s\n' "$i" "$err" >>"$WLOG"
			fails=$((fails + 1))
		fi
	done
	touch "$DONE"
}

reader_find() {
	local n=0 out
	while [ ! -e "$DONE" ]; do
		if ! out=$(timeout 30 find "$TBL" 2>&1 >/dev/null); then
			printf 'find failed: %s\n' "$out" >>"$R1LOG"
		fi
		n=$((n + 1))
	done
	echo "$n" >"$MF_TMP/reader1.iterations"
}

reader_cat() {
	local n=0 d out
	while [ ! -e "$DONE" ]; do
		for d in "$TBL"/dt=*; do
			[ -e "$d" ] || continue
			if ! out=$(timeout 30 cat "$d/.partition" 2>&1 >/dev/null); then
				printf 'cat %s/.partition: %s\n' "$d" "$out" >>"$R2LOG"
			fi
			n=$((n + 1))
		done
		sleep 0.01
	done
	echo "$n" >"$MF_TMP/reader2.iterations"
}

reader_find &
R1=$!
reader_cat &
R2=$!
writer
wait "$R1"
wait "$R2"

assert_eq "writer: every mkdir and cp succeeded" "" "$(head -n 10 "$WLOG")"
assert_eq "reader 1: every find succeeded" "" "$(sort "$R1LOG" | uniq -c | head -n 10)"
assert_eq "reader 2: every cat .partition succeeded" "" "$(sort "$R2LOG" | uniq -c | head -n 10)"
assert_match "reader 1 ran during the writes" '^[1-9][0-9]*$' "$(cat "$MF_TMP/reader1.iterations" 2>/dev/null)"
assert_match "reader 2 ran during the writes" '^[1-9][0-9]*$' "$(cat "$MF_TMP/reader2.iterations" 2>/dev/null)"
note "find loops: $(cat "$MF_TMP/reader1.iterations" 2>/dev/null), .partition reads: $(cat "$MF_TMP/reader2.iterations" 2>/dev/null)"

assert_eq "final partition count is exactly $NPART" "$NPART" "$(ls -1 "$TBL" 2>/dev/null | wc -l)"
assert_eq "find sees exactly $NPART data files" "$NPART" "$(find "$TBL" -type f 2>/dev/null | wc -l)"
assert_eq ".table partitions: $NPART" "$NPART" "$(mf_field "$TBL/.table" partitions)"
assert_eq ".table files: $NPART" "$NPART" "$(mf_field "$TBL/.table" files)"
total_rows=0
total_bytes=0
bad_cmp=()
bad_meta=()
for ((i = 1; i <= NPART; i++)); do
	f=$TBL/dt=p$i/part-0.csv
	cmp -s "$SRC/f$i.csv" "$f" || bad_cmp+=("dt=p$i")
	r=$(rows_of "$i")
	b=$(stat -c %s "$SRC/f$i.csv")
	total_rows=$((total_rows + r))
	total_bytes=$((total_bytes + b))
	grep -qxF "file: part-0.csv bytes=$b rows=$r xxh128=$(mf_xxh128 "$SRC/f$i.csv")" "$TBL/dt=p$i/.partition" 2>/dev/null ||
		bad_meta+=("dt=p$i")
done
assert_eq "every file reads back cmp-equal" "" "${bad_cmp[*]:0:10}"
assert_eq "every .partition records bytes, rows and xxh128 of its file" "" "${bad_meta[*]:0:10}"
assert_eq ".table rows: sum of all files" "$total_rows" "$(mf_field "$TBL/.table" rows)"
assert_eq ".table bytes: sum of all files" "$total_bytes" "$(mf_field "$TBL/.table" bytes)"

# events: one create partition event per partition level, seqs unique
EVC=$(awk '$1=="warehouse" && $4=="create" && $5=="partition" && $7 ~ /^c\/t\//' "$M/.metafs/events" 2>/dev/null | wc -l)
assert_eq "one create partition event per partition of c/t" "$NPART" "$EVC"
assert_eq "event seq numbers are unique" "" "$(awk '$1=="warehouse" {print $2}' "$M/.metafs/events" 2>/dev/null | sort | uniq -d | head -n 3)"

# ---------------------------------------------------------------- parallel writers
mf_make_table "$W/c/p" $'column id bigint\ncolumn v string\npartition w string\npartition n int\n'
NW=4
PER=50
for ((w = 1; w <= NW; w++)); do
	(
		for ((j = 1; j <= PER; j++)); do
			i=$(((w - 1) * PER + j))
			k=$(((i - 1) % NPART + 1))
			timeout 30 mkdir -p "$W/c/p/w=$w/n=$j" 2>>"$MF_TMP/pw$w.err" || { echo "mkdir w=$w/n=$j" >>"$MF_TMP/pw$w.fail"; continue; }
			timeout 30 cp "$SRC/f$k.csv" "$W/c/p/w=$w/n=$j/data.csv" 2>>"$MF_TMP/pw$w.err" || echo "cp w=$w/n=$j" >>"$MF_TMP/pw$w.fail"
		done
	) &
done
wait
assert_eq "parallel writers: every mkdir -p and cp succeeded" "" "$(cat "$MF_TMP"/pw*.fail "$MF_TMP"/pw*.err 2>/dev/null | head -n 10)"
assert_eq "parallel writers: $((NW * PER)) leaf partitions" "$((NW * PER))" "$(mf_field "$W/c/p/.table" partitions)"
assert_eq "parallel writers: $((NW * PER)) files found" "$((NW * PER))" "$(find "$W/c/p" -type f 2>/dev/null | wc -l)"
bad=()
for ((w = 1; w <= NW; w++)); do
	for ((j = 1; j <= PER; j++)); do
		i=$(((w - 1) * PER + j))
		k=$(((i - 1) % NPART + 1))
		cmp -s "$SRC/f$k.csv" "$W/c/p/w=$w/n=$j/data.csv" || bad+=("w=$w/n=$j")
	done
done
assert_eq "parallel writers: every file cmp-equal" "" "${bad[*]:0:10}"

mf_finish
