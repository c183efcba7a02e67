#!/usr/bin/env bash
# test_hidden.sh - hidden files (names starting with '.' or '_', as in Hive
# and Spark) in a partition: rsync's temporary files, a vim-style save and
# Python's tempfile + os.replace each commit one data file with one change
# event; a job's count(*), .partition, .table and .refresh ignore hidden
# files placed in the partition; repair lists a hidden file and removes it
# once older than hidden_grace; the pipeline's file set (the mount's listing
# without hidden names) is the job's; a daemon restart keeps a closed
# hidden file; the drop of a partition takes its hidden files; a hidden file
# committed (fsync) while still open is renamed, timed and unlinked like a
# closed one, and an unlinked name no longer leads to the open file.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
T=$W/sales/t
P=$T/dt=2024-05-01
DP=$DS/sales/t/dt=2024-05-01
mf_make_table "$T" $'format csv\nheader false\ncolumn id bigint\ncolumn v string\npartition dt date\n'
mkdir "$P" || mf_abort "mkdir $P"

# events PATTERN: the number of file events of sales/t whose "OP PATH"
# matches the extended regular expression PATTERN
events() {
	timeout -k 5 "$MF_CMD_TIMEOUT" cat "$M/.metafs/events" 2>/dev/null |
		awk '$5 == "file" && $7 ~ /^sales\/t\// { print $4, $7 }' | grep -cE -- "$1"
}
files_recorded() { grep -c '^file: ' "$P/.partition" 2>/dev/null; }

# ---------------------------------------------------------------- rsync
mkdir -p "$SRC/r"
printf '1,a\n2,b\n' >"$SRC/r/r1.csv"
printf '3,c\n' >"$SRC/r/r2.csv"
printf '4,d\n5,e\n6,f\n' >"$SRC/r/r3.csv"
assert_ok "rsync of 3 files into a partition succeeds" rsync -r "$SRC/r/" "$P/"
assert_eq "rsync's 3 files are listed, its temporary files are not" "r1.csv
r2.csv
r3.csv" "$(mf_ls_a "$P" | grep -v '^\.\.\?$')"
assert_eq "rsync records exactly 3 files" "3" "$(files_recorded)"
assert_eq "rsync makes exactly 3 file events" "3" "$(events '/dt=2024-05-01/')"
assert_eq "no event names a hidden file" "0" "$(events '/[._][^/]*$')"
assert_cmp "an rsynced file reads back whole" "$SRC/r/r3.csv" "$P/r3.csv"
assert_eq "the data store holds no temporary file after rsync" "" \
	"$(ls -A "$DP" | grep -E '^[._]')"

# ---------------------------------------------------------------- vim-style save
printf '7,g\n' >"$SRC/x.csv"
cp "$SRC/x.csv" "$P/x.csv" || fail "create x.csv"
before=$(events '/x\.csv$')
sh_c 'printf "swap" >"$1/.x.csv.swp"' _ "$P"
assert_exists "vim's swap file exists while editing" "$P/.x.csv.swp"
sh_c 'printf "7,g\n8,h\n" >"$1/.x.csv.tmp" && mv -f "$1/.x.csv.tmp" "$1/x.csv"' _ "$P"
assert_eq "the saved file reads the new bytes" "7,g
8,h" "$(cat "$P/x.csv" 2>&1)"
assert_eq "a vim-style save is one event" "1" "$(($(events '/x\.csv$') - before))"
assert_eq "the save's event is an alter of the kept file" "1" "$(events '^alter .*/x\.csv$')"
assert_eq "the swap file reads back" "swap" "$(cat "$P/.x.csv.swp" 2>&1)"
assert_ok "the swap file is removed at the end" rm "$P/.x.csv.swp"
assert_not_exists "the swap file is gone" "$P/.x.csv.swp"
assert_eq "after the save the partition records 4 files" "4" "$(files_recorded)"
if command -v vim >/dev/null; then
	before=$(events '/x\.csv$')
	sh_c 'cd "$1" && HOME="$2" vim -u NONE -N -i NONE -es -c "normal Go9" -c wq x.csv </dev/null' \
		_ "$P" "$MF_TMP"
	assert_eq "vim's own save is one event" "1" "$(($(events '/x\.csv$') - before))"
	assert_eq "vim's save is in place" "7,g
8,h
9" "$(cat "$P/x.csv" 2>&1)"
	sh_c 'printf "7,g\n8,h\n" >"$1/x.csv"' _ "$P"
	assert_eq "vim leaves no file behind" "4" "$(files_recorded)"
else
	note "vim is not installed: only the vim-style save is checked"
fi

# ---------------------------------------------------------------- Python tempfile + os.replace
cat >"$MF_TMP/replace.py" <<'EOF'
import os, sys, tempfile
d = sys.argv[1]
fd, tmp = tempfile.mkstemp(dir=d, prefix=".py-", suffix=".tmp")
with os.fdopen(fd, "w") as f:
    f.write("9,i\n10,j\n")
    f.flush()
    os.fsync(f.fileno())
os.replace(tmp, os.path.join(d, "py.csv"))
with open(os.path.join(d, "py.csv")) as f:
    assert f.read() == "9,i\n10,j\n"
EOF
assert_ok "python writes a temporary file and replaces a new name with it" \
	python3 "$MF_TMP/replace.py" "$P"
assert_eq "python's replace is one event" "1" "$(events '/py\.csv$')"
assert_eq "python's temporary name has no event" "0" "$(events '/\.py-')"
assert_eq "after python the partition records 5 files" "5" "$(files_recorded)"

# ---------------------------------------------------------------- committed, still open
# The state of every closed file until the kernel's release reaches the
# daemon (later than close(2) returns): a swap file unlinked then, or an
# rsync temporary file renamed then, is no file in progress.
U=$W/sales/u/dt=2024-05-01
mf_make_table "$W/sales/u" $'format csv\nheader false\ncolumn id bigint\ncolumn v string\npartition dt date\n'
mkdir "$U" || mf_abort "mkdir $U"
cat >"$MF_TMP/open.py" <<'EOF'
import errno, os, sys
d = sys.argv[1]
def check(what, ok):
    if not ok:
        sys.exit(what)
for name in (".o.swp", "o.csv"):
    p = os.path.join(d, name)
    fd = os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"1,a\n")
    os.fsync(fd)
    os.unlink(p)
    check(name + " unlinked while open still exists", not os.path.exists(p))
    try:
        os.close(os.open(p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(p)
    except OSError as e:
        check(name + " cannot be created again: " + os.strerror(e.errno), False)
    os.close(fd)
fd = os.open(os.path.join(d, ".o2.tmp"), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
os.write(fd, b"2,b\n")
os.fsync(fd)
os.utime(os.path.join(d, ".o2.tmp"), ns=(1400000000000000000, 1400000000000000000))
os.rename(os.path.join(d, ".o2.tmp"), os.path.join(d, "o2.csv"))
os.close(fd)
EOF
mf_run python3 "$MF_TMP/open.py" "$U"
assert_eq "hidden and data files committed while open are unlinked, renamed and timed" 0 \
	"$MF_RC" || note "$MF_OUT"
assert_eq "the rename of the open hidden file committed it" "2,b" "$(cat "$U/o2.csv" 2>&1)"
assert_eq "with the time set on it" "1400000000000000000" "$(date -r "$U/o2.csv" +%s%N 2>&1)"
assert_eq "nothing else is left" "o2.csv" "$(mf_ls_a "$U" | grep -v '^\.\.\?$')"

# ---------------------------------------------------------------- jobs, statistics, .refresh
printf '100,x\n101,y\n' >"$SRC/h.csv"
for f in .hidden.csv _tmp.csv _SUCCESS; do
	cp "$SRC/h.csv" "$P/$f" || fail "place $f in the partition"
done
assert_eq "hidden files read back through the mount" "100,x" "$(head -n 1 "$P/_tmp.csv" 2>&1)"
assert_eq "hidden files are not listed" "py.csv
r1.csv
r2.csv
r3.csv
x.csv" "$(mf_ls_a "$P" | grep -v '^\.\.\?$')"
assert_eq "hidden files are not recorded" "5" "$(files_recorded)"
assert_eq "hidden files make no event" "0" "$(events '/[._][^/]*$')"
assert_eq ".partition rows ignore hidden files" "10" "$(mf_field "$P/.partition" rows)"
assert_eq ".table rows ignore hidden files" "10" "$(mf_field "$T/.table" rows)"
run_job cnt "SELECT count(*) AS n FROM sales.t;"
assert_eq "a job's count(*) ignores hidden files" "n
10" "$(cat "$M/jobs/cnt/result" 2>&1)" || note "$STATUS"
# The pipeline reads the mount's listing without hidden names (pl_features.c);
# the job reads the recorded files: the same set.
pl_set=$(mf_ls_a "$P" | grep -v '^\.\.\?$' | grep -v '^[._]' | sort)
job_set=$(grep '^file: ' "$P/.partition" | awk '{print $2}' | sort)
assert_eq "the pipeline's file set is the job's" "$pl_set" "$job_set"
assert_eq "the pipeline's rows are the job's" "10" "$(for f in $pl_set; do cat "$P/$f"; done | wc -l)"

cat >"$MF_TMP/h.rule" <<'EOF'
source = warehouse.sales.t
target = lake
mirror = schema, partitions
EOF
cp "$MF_TMP/h.rule" "$M/sync/h.rule" || fail "define a sync rule"
if mf_poll 5 test -e "$L/sales/t/.refresh"; then
	R=$(cat "$L/sales/t/.refresh" 2>&1)
	assert_match ".refresh counts only data files' rows" "dt=2024-05-01 lake/sales/t/dt=2024-05-01 rows=10 " "$R"
	assert_eq "the mirror lists only data files" "py.csv
r1.csv
r2.csv
r3.csv
x.csv" "$(mf_ls_a "$L/sales/t/dt=2024-05-01" | grep -v '^\.\.\?$')"
else
	fail "the mirror appears in lake" "$(cat "$M/sync/h/status" 2>&1)"
fi

# ---------------------------------------------------------------- restart, repair
cp "$SRC/h.csv" "$P/.stale.csv" || fail "place .stale.csv"
mf_umount || mf_abort "unmount"
assert_exists "a closed hidden file stays in the partition's data directory" "$DP/.stale.csv"
printf '\n[metafs]\nhidden_grace = 3600\n' >>"$H/metafs.ini"
mf_run "$METAFS" repair --home "$H" warehouse.sales.t
assert_match "repair lists a hidden file younger than the grace" "kept hidden file .*/\.stale\.csv" "$MF_OUT"
assert_exists "repair keeps a hidden file younger than the grace" "$DP/.stale.csv"
assert_match "repair registers no hidden file" "0 files added" "$MF_OUT"
sed -i 's/^hidden_grace = 3600$/hidden_grace = 0/' "$H/metafs.ini"
touch -d '-2 seconds' "$DP/.stale.csv"
mf_run "$METAFS" repair --home "$H" warehouse.sales.t
assert_match "repair removes a hidden file older than the grace" "removed hidden file .*/\.stale\.csv" "$MF_OUT"
assert_not_exists "the stale hidden file is gone from the data store" "$DP/.stale.csv"
assert_not_exists "_SUCCESS is gone with it" "$DP/_SUCCESS"
mf_mount || mf_abort "mount again"
assert_eq "after the restart the partition still records 5 files" "5" "$(files_recorded)"
run_job cnt2 "SELECT count(*) AS n FROM sales.t;"
assert_eq "after repair a job still counts 10 rows" "n
10" "$(cat "$M/jobs/cnt2/result" 2>&1)" || note "$STATUS"

# ---------------------------------------------------------------- a drop takes hidden files
P2=$T/dt=2024-05-02
mkdir "$P2" || fail "mkdir $P2"
cp "$SRC/h.csv" "$P2/_SUCCESS" || fail "place _SUCCESS in $P2"
assert_ok "rmdir of a partition holding only hidden files succeeds" rmdir "$P2"
assert_not_exists "its directory is gone from the data store" "$DS/sales/t/dt=2024-05-02"
mkdir "$P2" || fail "mkdir $P2 again"
assert_not_exists "a partition made again does not find the old hidden file" "$P2/_SUCCESS"

mf_finish
