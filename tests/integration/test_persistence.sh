#!/usr/bin/env bash
# test_persistence.sh - everything survives unmount + remount unchanged:
# listings, contents, metadata files, checksums and inode numbers.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

# ---------------------------------------------------------------- build a tree
printf 'id,v\n1,a\n2,"b\nc"\n' >"$SRC/a.csv"
printf 'id,v\n3,d\n' >"$SRC/b.csv"
printf '5,e\n6,f\n7,g\n' >"$SRC/c.csv"
printf '{"x":1}\n{"x":2}\n' >"$SRC/d.jsonl"
head -c 300000 /dev/urandom | od -An -tx1 | tr -d ' ' | sed 's/^/9,/' >"$SRC/big.csv"

step() { # NAME CMD... : a setup step; a failure is reported and the test goes on
	local name=$1
	shift
	mf_run "$@" || fail "setup: $name" "\$ $*" "$MF_OUT"
}
step "mkdir sales" mkdir "$W/sales"
step "mkdir hr (empty database)" mkdir "$W/hr"
step "mkdir orders" mkdir "$W/sales/orders"
mf_put_schema "$W/sales/orders" $'format csv\nheader true\ncolumn id bigint\ncolumn v string\npartition dt date\nproperty team = x\n' ||
	fail "setup: orders schema" "$MF_OUT"
step "mkdir dt=2024-05-01" mkdir "$W/sales/orders/dt=2024-05-01"
step "mkdir dt=2024-05-02" mkdir "$W/sales/orders/dt=2024-05-02"
step "mkdir dt=2024-05-03 (empty partition)" mkdir "$W/sales/orders/dt=2024-05-03"
step "cp a.csv" cp "$SRC/a.csv" "$W/sales/orders/dt=2024-05-01/part-0.csv"
step "cp b.csv" cp "$SRC/b.csv" "$W/sales/orders/dt=2024-05-01/part-1.csv"
step "cp big.csv" cp "$SRC/big.csv" "$W/sales/orders/dt=2024-05-02/big.csv"
step "mkdir events" mkdir "$W/sales/events"
mf_put_schema "$W/sales/events" $'column id bigint\ncolumn v string\npartition dt date\npartition hour int\n' ||
	fail "setup: events schema" "$MF_OUT"
step "mkdir -p events/dt/hour" mkdir -p "$W/sales/events/dt=2024-05-01/hour=03" "$W/sales/events/dt=2024-05-01/hour=04"
step "cp c.csv" cp "$SRC/c.csv" "$W/sales/events/dt=2024-05-01/hour=03/part-0.csv"
step "mkdir escaped" mkdir "$W/sales/esc"
mf_put_schema "$W/sales/esc" $'column id bigint\npartition k string\n' || fail "setup: esc schema" "$MF_OUT"
step "mkdir k=10:00" mkdir "$W/sales/esc/k=10:00"
step "mkdir 'k=a b'" mkdir "$W/sales/esc/k=a b"
step "cp into k=10:00" cp "$SRC/c.csv" "$W/sales/esc/k=10:00/x.csv"
step "mkdir dim" mkdir "$W/sales/dim"
mf_put_schema "$W/sales/dim" $'column id bigint\ncolumn v string\n' || fail "setup: dim schema" "$MF_OUT"
step "cp into dim" cp "$SRC/c.csv" "$W/sales/dim/dim.csv"
step "mkdir lake db" mkdir "$L/mirror"
step "mkdir lake table" mkdir "$L/mirror/logs"
mf_put_schema "$L/mirror/logs" $'format jsonl\ncolumn x bigint\n' || fail "setup: lake schema" "$MF_OUT"
step "cp jsonl into lake" cp "$SRC/d.jsonl" "$L/mirror/logs/d.jsonl"

# ---------------------------------------------------------------- snapshot
# snap DIR: record everything observable into DIR/*.txt
snap() {
	local out=$1 d f
	mkdir -p "$out"
	(
		cd "$M" || exit 1
		ls -1UA . >"$out/root.txt" 2>&1
		find warehouse lake -printf '%p|%y|%s|%m|%u:%g\n' 2>&1 | sort >"$out/tree.txt"
		find warehouse lake -printf '%p|%i\n' 2>&1 | sort >"$out/inodes.txt"
		find warehouse lake -printf '%p|%T@\n' 2>&1 | sort >"$out/mtimes.txt"
		find warehouse lake -type d -print 2>&1 | sort | while IFS= read -r d; do
			printf '== %s\n' "$d"
			ls -1U --quoting-style=literal -- "$d" 2>&1
		done >"$out/readdir.txt"
		find warehouse lake -type f -print0 2>/dev/null | sort -z | xargs -0 -r xxh128sum -- >"$out/sums.txt" 2>/dev/null
		: >"$out/meta.txt"
		: >"$out/meta_inodes.txt"
		: >"$out/checksums.txt"
		find warehouse lake -type d -print 2>&1 | sort | while IFS= read -r d; do
			for f in .schema .table .partition; do
				[ -e "$d/$f" ] || continue
				printf '== %s/%s\n' "$d" "$f" >>"$out/meta.txt"
				cat -- "$d/$f" >>"$out/meta.txt" 2>&1
				printf '%s/%s|%s\n' "$d" "$f" "$(stat -c %i -- "$d/$f" 2>&1)" >>"$out/meta_inodes.txt"
				if [ "$f" = .partition ]; then
					printf '%s|%s\n' "$d" "$(grep '^checksum: ' "$d/$f" 2>&1)" >>"$out/checksums.txt"
				fi
			done
		done
		cat .metafs/events >"$out/events.txt" 2>&1
	)
}

cmp_snap() { # LABEL A B
	local label=$1 a=$2 b=$3 f
	for f in root:root.txt tree:tree.txt "readdir order":readdir.txt "inode numbers":inodes.txt \
		"file contents (xxh128)":sums.txt "metadata files (.schema/.table/.partition)":meta.txt \
		"metadata file inode numbers":meta_inodes.txt ".partition checksums":checksums.txt \
		"/.metafs/events":events.txt "mtimes":mtimes.txt; do
		assert_eq "$label: ${f%%:*} identical" "$(cat "$a/${f#*:}")" "$(cat "$b/${f#*:}")"
	done
}

S0=$MF_TMP/snap0
snap "$S0"

# sanity of the snapshot itself, so identical-but-empty cannot pass
assert_eq "snapshot sees every object (tree entries)" "25" "$(wc -l <"$S0/tree.txt")"
assert_eq "snapshot sees 7 data files" "7" "$(wc -l <"$S0/sums.txt")"
assert_eq "snapshot sees 7 .partition files (leaf partitions, empty ones too)" "7" "$(wc -l <"$S0/checksums.txt")"
assert_eq "inode numbers are unique within the tree" "" "$(cut -d'|' -f2 "$S0/inodes.txt" "$S0/meta_inodes.txt" | sort | uniq -d | head -n 5)"
assert_eq "events: platforms in config order (no warehouse line after a lake line)" "" \
	"$(awk '$1=="lake" {seen=1} $1=="warehouse" && seen {print; exit}' "$S0/events.txt")"
assert_match "events include the lake platform" '(^|'$'\n'')lake [0-9]+ ' "$(cat "$S0/events.txt")"
assert_match "events were recorded" 'create partition fs sales/esc/k=10%3A00 ' "$(cat "$S0/events.txt")"

# ---------------------------------------------------------------- unmount, remount
if mf_umount; then pass "fusermount3 -u unmounts and the daemon exits"; else fail "fusermount3 -u unmounts and the daemon exits"; fi
assert_eq "nothing is mounted after unmount" "no" "$(mountpoint -q "$M" && echo yes || echo no)"
assert_cmp "data file is in the data store while unmounted" "$SRC/big.csv" "$DS/sales/orders/dt=2024-05-02/big.csv"
mf_mount || mf_abort "remount"
assert_eq "staging area is empty after restart" "" "$(ls -A "$DS/.metafs-staging" 2>/dev/null)"

S1=$MF_TMP/snap1
snap "$S1"
cmp_snap "after remount" "$S0" "$S1"

assert_cmp "big file reads back byte-exact after remount" "$SRC/big.csv" "$W/sales/orders/dt=2024-05-02/big.csv"
assert_cmp "file in an escaped partition reads back after remount" "$SRC/c.csv" "$W/sales/esc/k=10%3A00/x.csv"
assert_eq "escaped partition names after remount" "k=10%3A00
k=a b" "$(mf_ls "$W/sales/esc")"

# ---------------------------------------------------------------- change, remount again
step "cp after remount" cp "$SRC/a.csv" "$W/sales/orders/dt=2024-05-03/new.csv"
step "rm after remount" rm "$W/sales/orders/dt=2024-05-01/part-1.csv"
step "mkdir after remount" mkdir "$W/sales/orders/dt=2024-05-04"
S2=$MF_TMP/snap2
snap "$S2"
assert_ne "changes after remount are visible" "$(cat "$S1/tree.txt")" "$(cat "$S2/tree.txt")"
if mf_umount; then pass "second unmount is clean"; else fail "second unmount is clean"; fi
mf_mount || mf_abort "second remount"
S3=$MF_TMP/snap3
snap "$S3"
cmp_snap "after second remount" "$S2" "$S3"
assert_cmp "file written after the first remount persists" "$SRC/a.csv" "$W/sales/orders/dt=2024-05-03/new.csv"
assert_not_exists "file removed after the first remount stays removed" "$W/sales/orders/dt=2024-05-01/part-1.csv"

mf_finish
