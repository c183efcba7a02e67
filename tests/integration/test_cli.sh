#!/usr/bin/env bash
# test_cli.sh - the metafs and metafsd command lines: help, version, init,
# errors, platforms from --platform.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_require_fuse
mf_require_binaries
mf_tmpdir

# run_split CMD...: stdout in $OUT, stderr in $ERR, status in $RC
run_split() {
	timeout -k 5 "$MF_CMD_TIMEOUT" "$@" >"$MF_TMP/out" 2>"$MF_TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$MF_TMP/out")
	ERR=$(cat "$MF_TMP/err")
}

# ---------------------------------------------------------------- help and version
run_split "$METAFS" --help
assert_eq "metafs --help exits 0" "0" "$RC"
assert_match "metafs --help prints usage on stdout" '[Uu]sage' "$OUT"
for c in init mount repair; do
	assert_match "metafs --help names the $c command" "(^|[^a-z])$c([^a-z]|$)" "$OUT"
done
run_split "$METAFS" --version
assert_eq "metafs --version exits 0" "0" "$RC"
assert_match "metafs --version prints 0.1.0" '0\.1\.0' "$OUT"
for c in init mount repair; do
	run_split "$METAFS" "$c" --help
	assert_eq "metafs $c --help exits 0" "0" "$RC"
	assert_match "metafs $c --help prints usage" '[Uu]sage' "$OUT"
done
run_split "$METAFS" no-such-command
assert_ne "metafs with an unknown command exits non-zero" "0" "$RC"

# Every command `metafs --help` lists (with its subcommand: "sync now")
# answers --help and -h on stdout with status 0, naming itself.
CMDS=$("$METAFS" --help 2>/dev/null | awk '/^  [a-z]/ && $1 != "metafs" {
	c = $1; if ($2 ~ /^[a-z]+$/) c = c " " $2; if (!seen[c]++) print c }')
assert_match "metafs --help lists sync now and sync diff" $'sync now\nsync diff' "$CMDS"
assert_eq "metafs --help lists the same commands as metafs --commands" \
	"$("$METAFS" --commands 2>&1 | cut -f1)" "$CMDS"
while IFS= read -r c; do
	# shellcheck disable=SC2086  # "sync now" is two words
	for h in --help -h; do
		run_split "$METAFS" $c $h
		assert_eq "metafs $c $h exits 0" "0" "$RC" || note "$ERR"
		assert_match "metafs $c $h prints its usage on stdout, naming it" "usage: metafs $c" "$OUT"
		assert_eq "metafs $c $h prints nothing on stderr" "" "$ERR"
	done
	# shellcheck disable=SC2086
	run_split "$METAFS" $c --no-such-option
	assert_eq "metafs $c with an unknown option exits 2" "2" "$RC"
	assert_eq "metafs $c with an unknown option prints nothing on stdout" "" "$OUT"
	assert_match "metafs $c with an unknown option says which, in one line" \
		"^metafs $c: .*no-such-option" "$(head -n 1 <<<"$ERR")"
	assert_match "metafs $c with an unknown option shows its usage on stderr" "usage: metafs $c" "$ERR"
done <<<"$CMDS"
run_split "$METAFS" sync --help
assert_eq "metafs sync --help exits 0" "0" "$RC"
assert_match "metafs sync --help lists its subcommands" $'sync now.*\n.*\n  sync diff' "$OUT"
for args in "sync now" "sync diff" "wait" "submit" "init" "trim-log --home /nowhere" "repair --home /nowhere"; do
	# shellcheck disable=SC2086
	run_split "$METAFS" $args
	assert_eq "metafs $args without its operand exits 2" "2" "$RC"
	assert_match "metafs $args without its operand says what is missing" "^metafs [a-z -]+: missing " "$ERR"
	assert_match "metafs $args without its operand shows the usage" $'\nusage: metafs ' "$ERR"
done
run_split "$METAFS" sync now --mount
assert_eq "metafs sync now --mount without its value exits 2" "2" "$RC"
assert_match "and says the option needs a value" "^metafs sync now: option '--mount' requires an argument" "$ERR"
run_split "$METAFS" sync
assert_eq "metafs sync without a subcommand exits 2" "2" "$RC"
assert_match "and says so, listing the subcommands" $'^metafs sync: missing subcommand\n.*sync now' "$ERR"
run_split "$METAFS" sync later x
assert_eq "metafs sync with an unknown subcommand exits 2" "2" "$RC"
assert_match "and names it" "unknown command 'sync later'" "$ERR"

# ---------------------------------------------------------------- bash completion
COMPLETION=$METAFS_SRCDIR/tools/metafs.bash-completion
# complete WORD... : the completions of the last word (COMPREPLY, one a line),
# by the completion function in a clean bash, with the metafs under test
complete_words() {
	env PATH="$(dirname "$METAFS"):$PATH" bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		_metafs
		printf "%s\n" "${COMPREPLY[@]}"' complete_words "$COMPLETION" metafs "$@" 2>&1
}
assert_eq "the completion script registers _metafs for metafs" "complete -F _metafs metafs" \
	"$(bash --norc --noprofile -c '. "$1" && complete -p metafs' x "$COMPLETION" 2>&1)"
assert_eq "metafs sy<TAB> completes sync" "sync" "$(complete_words sy)"
assert_eq "metafs sync n<TAB> completes now" "now" "$(complete_words sync n)"
assert_eq "metafs <TAB> offers every command, from metafs --commands" \
	"$("$METAFS" --commands | cut -f1 | cut -d' ' -f1 | sort -u)" "$(complete_words '' | sort)"
assert_eq "metafs sync <TAB> offers now and diff" $'diff\nnow' "$(complete_words sync '' | sort)"
assert_eq "metafs tr<TAB> completes trim-log" "trim-log" "$(complete_words tr)"
assert_eq "metafs submit --<TAB> offers its options" $'--help\n--mount\n--name\n--wait' \
	"$(complete_words submit -- | sort)"
assert_eq "metafs sync now --m<TAB> completes --mount" "--mount" "$(complete_words sync now --m)"
assert_eq "metafs gen --format <TAB> offers the formats" $'csv\njsonl\nparquet' "$(complete_words gen --format '' | sort)"
assert_eq "metafs gen --format=j<TAB> (split at '=' by bash) completes jsonl" "jsonl" \
	"$(complete_words gen --format = j)"
mkdir -p "$MF_TMP/comp/alpha" "$MF_TMP/comp/beta"
touch "$MF_TMP/comp/afile.sql"
assert_eq "metafs init <TAB> completes a directory" "$MF_TMP/comp/alpha" "$(complete_words init "$MF_TMP/comp/al")"
assert_eq "metafs gen --rows 5 <TAB>: an option's value is no operand" "$MF_TMP/comp/alpha" \
	"$(complete_words gen --rows 5 "$MF_TMP/comp/al")"
assert_eq "metafs init DIR <TAB>: nothing after the one operand" "" \
	"$(complete_words init "$MF_TMP/comp/beta" "$MF_TMP/comp/al")"
assert_eq "metafs submit <TAB> completes a file" "$MF_TMP/comp/afile.sql" \
	"$(complete_words submit --name x "$MF_TMP/comp/af")"
"$METAFS" init --platform north --platform south "$MF_TMP/comp/home" >/dev/null 2>&1
assert_eq "metafs trim-log --home DIR <TAB> offers the home's platforms" $'north\nsouth' \
	"$(complete_words trim-log --home "$MF_TMP/comp/home" '' | sort)"

run_split "$METAFSD" --help
assert_eq "metafsd --help exits 0" "0" "$RC"
assert_match "metafsd --help prints usage on stdout" '[Uu]sage' "$OUT"
assert_match "metafsd --help mentions --home" '--home' "$OUT"
run_split "$METAFSD" --version
assert_eq "metafsd --version exits 0" "0" "$RC"
assert_match "metafsd --version prints 0.1.0" '0\.1\.0' "$OUT"

# ---------------------------------------------------------------- init
HOME1=$MF_TMP/h1/nested   # does not exist yet: init creates it
run_split "$METAFS" init "$HOME1"
assert_eq "metafs init of a new directory exits 0" "0" "$RC"
assert_match "metafs init prints the home path" "$HOME1" "$OUT"
assert_match "metafs init prints the platforms" 'warehouse' "$OUT"
assert_match "metafs init prints the second platform" 'lake' "$OUT"
assert_exists "init creates DIR/metafs.ini" "$HOME1/metafs.ini"
for d in meta/warehouse meta/lake manager data/warehouse data/lake; do
	assert_dir "init creates DIR/$d" "$HOME1/$d"
done
assert_eq "metafs.ini lists the default platforms in order" "[platform warehouse]
[platform lake]" "$(grep '^\[platform ' "$HOME1/metafs.ini" 2>&1)"

cp "$HOME1/metafs.ini" "$MF_TMP/ini.before"
run_split "$METAFS" init "$HOME1"
assert_eq "metafs init of an existing home exits 1" "1" "$RC"
assert_match "metafs init of an existing home says so" "^metafs: $HOME1 already holds a metafs home" "$ERR"
assert_cmp "refused init leaves metafs.ini unchanged" "$MF_TMP/ini.before" "$HOME1/metafs.ini"

# ---------------------------------------------------------------- metafsd errors
MNT1=$MF_TMP/m1
mkdir -p "$MNT1"
mf_register_mount "$MNT1"
run_split "$METAFSD" --home "$MF_TMP/no-such-home" "$MNT1"
assert_eq "metafsd with a missing home exits 1" "1" "$RC"
assert_match "metafsd with a missing home names it" "$MF_TMP/no-such-home" "$ERR"
assert_eq "metafsd with a missing home mounts nothing" "no" "$(mountpoint -q "$MNT1" && echo yes || echo no)"
run_split "$METAFSD" "$MNT1"
assert_ne "metafsd without --home exits non-zero" "0" "$RC"
assert_eq "metafsd without --home mounts nothing" "no" "$(mountpoint -q "$MNT1" && echo yes || echo no)"

# unknown key in metafs.ini: error naming the file, line and key
HOME2=$MF_TMP/h2
"$METAFS" init "$HOME2" >/dev/null 2>&1 || fail "init $HOME2"
printf 'frobnicate = 1\n' >>"$HOME2/metafs.ini"
BADLINE=$(wc -l <"$HOME2/metafs.ini")
run_split "$METAFSD" --home "$HOME2" "$MNT1"
assert_eq "metafsd with an unknown ini key exits 1" "1" "$RC"
assert_match "unknown ini key: message names the file" 'metafs\.ini' "$ERR"
assert_match "unknown ini key: message names the line ($BADLINE)" "(^|[^0-9])$BADLINE([^0-9]|$)" "$ERR"
assert_match "unknown ini key: message names the key" 'frobnicate' "$ERR"
assert_eq "metafsd with a bad config mounts nothing" "no" "$(mountpoint -q "$MNT1" && echo yes || echo no)"

# a metastore that cannot be opened
HOME3=$MF_TMP/h3
"$METAFS" init "$HOME3" >/dev/null 2>&1 || fail "init $HOME3"
rm -rf "$HOME3/meta/lake"
printf 'not a directory\n' >"$HOME3/meta/lake"
chmod 600 "$HOME3/meta/lake"   # private, or the daemon refuses the home before it opens anything
run_split "$METAFSD" --home "$HOME3" "$MNT1"
assert_eq "metafsd with an unopenable metastore exits 1" "1" "$RC"
assert_match "unopenable metastore: \"metafsd: cannot open metastore 'lake': ...\"" "metafsd: cannot open metastore 'lake': " "$ERR"
assert_eq "metafsd with an unopenable metastore mounts nothing" "no" "$(mountpoint -q "$MNT1" && echo yes || echo no)"

# reserved platform names
HOME4=$MF_TMP/h4
run_split "$METAFS" init --platform jobs "$HOME4"
if [ "$RC" != 0 ]; then
	pass "platform name 'jobs' is refused (by init)"
else
	run_split "$METAFSD" --home "$HOME4" "$MNT1"
	if [ "$RC" != 0 ]; then pass "platform name 'jobs' is refused (by metafsd)"; else
		fail "platform name 'jobs' is refused" "init and metafsd both accepted it"
		mountpoint -q "$MNT1" && mf_umount "$MNT1"
	fi
fi
run_split "$METAFS" init --platform .hidden "$MF_TMP/h5"
assert_ne "platform name starting with '.' is refused by init" "0" "$RC"

# ---------------------------------------------------------------- init --platform
HOME6=$MF_TMP/h6
MNT6=$MF_TMP/m6
ABS=$MF_TMP/elsewhere/adata
run_split "$METAFS" init --platform a="$ABS" --platform b=rel/bdata "$HOME6"
assert_eq "metafs init --platform a --platform b exits 0" "0" "$RC"
assert_dir "--platform a=ABSDIR: data store at ABSDIR" "$ABS"
assert_dir "--platform b=RELDIR: data store at DIR/RELDIR" "$HOME6/rel/bdata"
assert_dir "--platform a: metastore at DIR/meta/a" "$HOME6/meta/a"
assert_dir "--platform b: metastore at DIR/meta/b" "$HOME6/meta/b"
assert_dir "--platform: manager metastore at DIR/manager" "$HOME6/manager"
assert_not_exists "--platform: no default warehouse platform" "$HOME6/meta/warehouse"
if mf_mount "$HOME6" "$MNT6"; then
	assert_eq "root listing of --platform a --platform b is 'a b jobs pipelines sync'" "a
b
jobs
pipelines
sync" "$(mf_ls "$MNT6")"
	assert_eq "ls -A of that root also shows .metafs" ".metafs
a
b
jobs
pipelines
sync" "$(ls -1A "$MNT6" 2>&1)"
	mkdir "$MNT6/a/db" "$MNT6/a/db/t" 2>/dev/null
	mf_put_schema "$MNT6/a/db/t" $'column x string\n' || fail "schema in platform a" "$MF_OUT"
	printf 'hello\n' >"$MF_TMP/hello.csv"
	assert_ok "cp into platform a" cp "$MF_TMP/hello.csv" "$MNT6/a/db/t/hello.csv"
	assert_cmp "platform a's file lands in its configured data store" "$MF_TMP/hello.csv" "$ABS/db/t/hello.csv"
	mf_umount "$MNT6" || fail "unmount $MNT6"
fi

# ---------------------------------------------------------------- metafs mount
HOME7=$MF_TMP/h7
MNT7=$MF_TMP/m7
"$METAFS" init "$HOME7" >/dev/null 2>&1 || fail "init $HOME7"
mkdir -p "$MNT7"
mf_register_mount "$MNT7"
run_split "$METAFS" mount "$HOME7" "$MNT7"
assert_eq "metafs mount DIR MNT exits 0" "0" "$RC"
assert_eq "metafs mount: the mount is usable when it returns" "yes" "$(mountpoint -q "$MNT7" && echo yes || echo no)"
mf_wait_mounted "$MNT7" 5
assert_eq "metafs mount: root lists the default platforms and the managed directories" "jobs
lake
pipelines
sync
warehouse" "$(mf_ls "$MNT7")"
printf "metafs 0.1.0\nformat 1\n" >"$MF_TMP/version"
assert_cmp "metafs mount: /.metafs/version" "$MF_TMP/version" "$MNT7/.metafs/version"
MNT7B=$MF_TMP/m7b
mkdir -p "$MNT7B"
mf_register_mount "$MNT7B"
run_split "$METAFSD" --home "$HOME7" "$MNT7B"
assert_ne "a second metafsd for a mounted home fails" "0" "$RC"
assert_match "a second metafsd says the home is already mounted, naming the pid" \
	"already mounted by metafsd \(pid [0-9]+\)" "$ERR"
assert_eq "a second metafsd leaves no mount behind" "no" "$(mountpoint -q "$MNT7B" && echo yes || echo no)"
printf 'SHOW DATABASES;\n' >"$MF_TMP/comp/q.sql"
cp "$MF_TMP/comp/q.sql" "$MNT7/jobs/quarterly.sql" 2>/dev/null && cat "$MNT7/jobs/quarterly/wait" >/dev/null 2>&1
assert_eq "metafs wait --mount MNT <TAB> offers the mount's jobs" "quarterly" \
	"$(complete_words wait --mount "$MNT7" qu)"
assert_eq "metafs wait <TAB> finds the mount through METAFS_MOUNT" "quarterly" \
	"$(METAFS_MOUNT=$MNT7 complete_words wait q)"
assert_eq "metafs sync now <TAB> offers nothing when the mount has no rules" "" \
	"$(complete_words sync now --mount "$MNT7" '')"
if mf_umount "$MNT7"; then pass "fusermount3 -u of a metafs mount; daemon exits"; else fail "fusermount3 -u of a metafs mount; daemon exits"; fi

mf_finish
