#!/usr/bin/env bash
# test_names.sh - name validation (EINVAL), Hive escaping of partition values,
# partition values checked against their key's type, definitions holding a NUL byte, ENOENT for unknown paths.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup

rep() { # CHAR COUNT : CHAR repeated COUNT times
	local s=
	for ((i = 0; i < $2; i++)); do s+=$1; done
	printf '%s' "$s"
}
printf '1\n' >"$SRC/one.csv"

mkdir "$W/n" 2>/dev/null || mf_abort "mkdir $W/n"
mf_make_table "$W/n/t" $'column id bigint\npartition dt string\n'
mf_make_table "$W/n/t2" $'column id bigint\npartition dt string\npartition hour int\n'
mf_make_table "$W/n/u" $'column id bigint\n'

# ---------------------------------------------------------------- length limits
N255=$(rep a 255)
N256=$(rep a 256)
assert_ok "database name of 255 bytes is accepted" mkdir "$W/$N255"
assert_eq "255-byte database name is listed" "$N255
n" "$(mf_ls "$W")"
LOG0=$(mf_log_lines)
expect_fail_errno "database name of 256 bytes: EINVAL" "Invalid argument" mkdir "$W/$N256"
assert_eq "refused 256-byte name is not listed" "$N255
n" "$(mf_ls "$W")"
LOG1=$(mf_log_lines)
assert_eq "a refused name logs its reason in /.metafs/log" "yes" "$([ "$LOG1" -gt "$LOG0" ] && echo yes || echo "no ($LOG0 -> $LOG1 lines)")"
E85=$(rep '€' 85)   # 255 bytes
E86=$(rep '€' 86)   # 258 bytes
assert_ok "multibyte name of 255 bytes is accepted" mkdir "$W/n/$E85"
expect_fail_errno "multibyte name of 258 bytes: EINVAL" "Invalid argument" mkdir "$W/n/$E86"
expect_fail_errno "table name of 256 bytes: EINVAL" "Invalid argument" mkdir "$W/n/$N256"
assert_ok "file name of 255 bytes is accepted" cp "$SRC/one.csv" "$W/n/u/$N255"
expect_fail_errno "file name of 256 bytes: EINVAL" "Invalid argument" cp "$SRC/one.csv" "$W/n/u/$N256"
V252=$(rep v 252)
V253=$(rep v 253)
assert_ok "partition name of 255 bytes (dt= + 252) is accepted" mkdir "$W/n/t/dt=$V252"
expect_fail_errno "partition name of 256 bytes: EINVAL" "Invalid argument" mkdir "$W/n/t/dt=$V253"
rmdir "$W/n/t/dt=$V252" "$W/n/$E85" 2>/dev/null

# ---------------------------------------------------------------- partition names
expect_fail_errno "partition dir with the wrong key: EINVAL" "Invalid argument" mkdir "$W/n/t/hour=1"
expect_fail_errno "partition dir without '=': EINVAL" "Invalid argument" mkdir "$W/n/t/2024-05-01"
expect_fail_errno "second-level key in first position: EINVAL" "Invalid argument" mkdir "$W/n/t2/hour=1"
mkdir "$W/n/t2/dt=x" 2>/dev/null
expect_fail_errno "first-level key repeated at the second level: EINVAL" "Invalid argument" mkdir "$W/n/t2/dt=x/dt=y"
mkdir "$W/n/t/dt=1" 2>/dev/null
ERR=$(mkdir "$W/n/t/dt=1/x=2" 2>&1)
assert_match "mkdir inside a leaf partition: EPERM or EINVAL" '(Operation not permitted|Invalid argument)$' "$ERR"
rmdir "$W/n/t/dt=1" 2>/dev/null
expect_fail_errno "empty partition value: EINVAL" "Invalid argument" mkdir "$W/n/t/dt="
expect_fail_errno "malformed escape %G1: EINVAL" "Invalid argument" mkdir "$W/n/t/dt=a%G1"
expect_fail_errno "truncated escape at the end (%4): EINVAL" "Invalid argument" mkdir "$W/n/t/dt=a%4"
assert_eq "refused partition names left no trace" "" "$(mf_ls "$W/n/t")"

# ---------------------------------------------------------------- Hive escaping round trip
# mkdir name | listed (canonical) name | another spelling of the same value ('-' none)
CASES=(
	'dt=10:00|dt=10%3A00|dt=10%3a00'
	'dt=a=b|dt=a%3Db|dt=a%3db'
	'dt=x#y|dt=x%23y|-'
	'dt=50%25|dt=50%25|-'
	'dt=a b|dt=a b|dt=a%20b'
	'dt=café|dt=café|-'
	'dt=a%2Fb|dt=a%2Fb|dt=a%2fb'
	'dt=q?*|dt=q%3F%2A|-'
)
EXPECT_LIST=()
for c in "${CASES[@]}"; do
	IFS='|' read -r made listed alt <<<"$c"
	EXPECT_LIST+=("$listed")
	if assert_ok "mkdir '$made'" mkdir "$W/n/t/$made"; then
		ino_made=$(mf_inode "$W/n/t/$made")
		ino_listed=$(mf_inode "$W/n/t/$listed")
		assert_match "'$made' stats as an inode" '^[0-9]+$' "$ino_made"
		assert_eq "'$made' and '$listed' stat the same inode" "$ino_made" "$ino_listed"
		if [ "$alt" != - ]; then
			assert_eq "'$alt' stats the same inode as '$made'" "$ino_made" "$(mf_inode "$W/n/t/$alt")"
		fi
		if [ "$made" != "$listed" ]; then
			expect_fail_errno "mkdir of '$listed' after '$made': EEXIST" "File exists" mkdir "$W/n/t/$listed"
		fi
		assert_eq ".partition spec: of '$made' is '$listed'" "$listed" "$(mf_field "$W/n/t/$made/.partition" spec)"
	fi
done
assert_eq "listing shows the canonical escaped names" \
	"$(printf '%s\n' "${EXPECT_LIST[@]}" | sort)" "$(mf_ls "$W/n/t")"
assert_eq "readdir of the escaped names via find" \
	"$(printf '%s\n' "${EXPECT_LIST[@]}" | sort)" "$(find "$W/n/t" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>&1 | sort)"
assert_ok "cp into the partition made as 'dt=10:00'" cp "$SRC/one.csv" "$W/n/t/dt=10:00/f.csv"
assert_cmp "file in dt=10:00 reads back through the escaped spelling" "$SRC/one.csv" "$W/n/t/dt=10%3A00/f.csv"
assert_cmp "data store directory uses the escaped name (dt=10%3A00)" "$SRC/one.csv" "$DS/n/t/dt=10%3A00/f.csv"
assert_eq ".partition location: ends in the escaped name" "/dt=10%3A00" \
	"$(mf_field "$W/n/t/dt=10:00/.partition" location | grep -o '/[^/]*$')"
assert_ok "cp into the partition made as 'dt=a%2Fb' (value a/b)" cp "$SRC/one.csv" "$W/n/t/dt=a%2Fb/g.csv"
assert_cmp "value with '/' is one directory level in the data store" "$SRC/one.csv" "$DS/n/t/dt=a%2Fb/g.csv"
assert_eq "events use the escaped partition path" "1" \
	"$(awk '$4=="create" && $5=="partition" && $7=="n/t/dt=10%3A00"' "$M/.metafs/events" 2>&1 | wc -l)"

# ---------------------------------------------------------------- partition values of typed keys
# mkdir checks a value against its key's type the way the engine reads it;
# repair and jobs register what the data store holds as before.
mf_make_table "$W/n/ty" $'column id bigint\npartition d date\npartition h int\npartition b boolean\npartition x double\npartition ts timestamp\n'
TY=$W/n/ty
expect_fail_errno "a DATE key refuses 'notadate': EINVAL" "Invalid argument" mkdir "$TY/d=notadate"
assert_match "the log says why" 'refused partition name "d=notadate" in n\.ty: "notadate" is not a date' \
	"$(tail -n 1 "$M/.metafs/log" 2>&1)"
expect_fail_errno "a DATE key refuses '2024-13-01': EINVAL" "Invalid argument" mkdir "$TY/d=2024-13-01"
assert_ok "a DATE key takes 2024-05-01" mkdir "$TY/d=2024-05-01"
assert_ok "any key takes __HIVE_DEFAULT_PARTITION__" mkdir "$TY/d=__HIVE_DEFAULT_PARTITION__"
expect_fail_errno "an INT key refuses '1x': EINVAL" "Invalid argument" mkdir "$TY/d=2024-05-01/h=1x"
assert_ok "an INT key takes -7" mkdir "$TY/d=2024-05-01/h=-7"
expect_fail_errno "a BOOLEAN key refuses 'maybe': EINVAL" "Invalid argument" mkdir "$TY/d=2024-05-01/h=-7/b=maybe"
assert_ok "a BOOLEAN key takes true" mkdir "$TY/d=2024-05-01/h=-7/b=true"
expect_fail_errno "a DOUBLE key refuses 'abc': EINVAL" "Invalid argument" mkdir "$TY/d=2024-05-01/h=-7/b=true/x=abc"
assert_ok "a DOUBLE key takes 1.5e3" mkdir "$TY/d=2024-05-01/h=-7/b=true/x=1.5e3"
expect_fail_errno "a TIMESTAMP key refuses 'noon': EINVAL" "Invalid argument" \
	mkdir "$TY/d=2024-05-01/h=-7/b=true/x=1.5e3/ts=noon"
assert_ok "a TIMESTAMP key takes '2024-05-01 10:00:00'" mkdir "$TY/d=2024-05-01/h=-7/b=true/x=1.5e3/ts=2024-05-01 10:00:00"
assert_eq "the refused values left no trace" $'d=2024-05-01\nd=__HIVE_DEFAULT_PARTITION__' "$(mf_ls "$TY")"
mf_make_table "$W/n/ty2" $'column id bigint\npartition d date\n'
mkdir -p "$DS/n/ty2/d=notadate"
printf '1\n' >"$DS/n/ty2/d=notadate/f.csv"
assert_ok "repair still registers an existing d=notadate" "$METAFS" repair --home "$H" warehouse.n.ty2
mf_poll 10 test -e "$W/n/ty2/d=notadate" || true
assert_eq "the repaired partition is listed" "d=notadate" "$(mf_ls "$W/n/ty2")"
run_job ty "INSERT INTO n.ty2 PARTITION (d) SELECT 1, DATE '2024-05-02';"
assert_eq "a job still creates the partitions it writes" "succeeded" "$STATE" || note "$STATUS"
assert_eq "beside the repaired one" $'d=2024-05-02\nd=notadate' "$(mf_ls "$W/n/ty2")"

# ---------------------------------------------------------------- definitions holding a NUL byte
# A definition is text: a NUL byte in it is refused at close (EINVAL, with the
# place in the log), never cut short silently.  A job with one fails naming it.
mf_run mkdir "$W/n/z"
printf 'column id bigint\npartition dt string\n# a\0b\n' >"$MF_TMP/nul.schema"
expect_fail_errno ".schema holding a NUL byte: EINVAL" "Invalid argument" cp "$MF_TMP/nul.schema" "$W/n/z/.schema"
assert_eq "the refused .schema defined nothing" "" "$(cat "$W/n/z/.schema" 2>&1)"
printf 'source = warehouse.n.t\ntarget = lake\n# a\0b\n' >"$MF_TMP/nul.rule"
expect_fail_errno "sync rule holding a NUL byte: EINVAL" "Invalid argument" cp "$MF_TMP/nul.rule" "$M/sync/nul.rule"
assert_not_exists "the refused rule does not exist" "$M/sync/nul.rule"
{
	printf '[pipeline]\nname = nul\nsource = warehouse/n/t\noperation = train\nfeatures = id\nlabel = id\n'
	printf '# a\0b\n'
} >"$MF_TMP/nul.ini"
expect_fail_errno "pipeline holding a NUL byte: EINVAL" "Invalid argument" cp "$MF_TMP/nul.ini" "$M/pipelines/nul.ini"
assert_not_exists "the refused pipeline does not exist" "$M/pipelines/nul.ini"
LOG=$(cat "$M/.metafs/log" 2>&1)
assert_match "the log names the NUL byte of the .schema" "refused \.schema of warehouse\.n\.z: line 3, column 4: a NUL byte" "$LOG"
assert_match "the log names the NUL byte of the rule" "refused [a-z ]*nul: line 3, column 4: a NUL byte" "$LOG"
assert_match "the log names the NUL byte of the pipeline" "refused pipeline[a-z ]* nul: line 7, column 4: a NUL byte" "$LOG"
printf 'SELECT 1;\n-- a\0b\n' >"$MF_TMP/nul.sql"
assert_ok "a job holding a NUL byte is submitted" cp "$MF_TMP/nul.sql" "$M/jobs/nul.sql"
STATUS=$(timeout -k 5 60 cat "$M/jobs/nul/wait" 2>&1)
assert_eq "the job holding a NUL byte fails" "failed" "$(printf '%s\n' "$STATUS" | head -n 1)" || note "$STATUS"
assert_match "its status names the NUL byte and where it is" "line 2, column 5: a NUL byte" "$STATUS"

# ---------------------------------------------------------------- unknown paths
for p in "$M/nope" "$W/nope" "$W/n/nope" "$W/n/t/dt=zzz" "$W/n/t/dt=10:00/nofile.csv" \
	"$W/n/u/nofile.csv" "$L/n" "$M/.metafs/nope" "$W/n/t/dt=zzz/x.csv"; do
	expect_fail_errno "unknown path ${p#"$M"}: ENOENT" "No such file or directory" stat "$p"
done
expect_fail_errno "cat of an unknown file: ENOENT" "No such file or directory" cat "$W/n/u/nofile.csv"
expect_fail_errno "ls of an unknown table: ENOENT" "No such file or directory" ls "$W/n/nope"

mf_finish
