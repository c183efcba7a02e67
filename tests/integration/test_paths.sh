#!/usr/bin/env bash
# test_paths.sh - path tricks refused: partition values that spell `..` or
# `/..` stay values and land inside the table's data directory; symlinks
# planted in the data store (a registered file replaced by an absolute
# link, a relative link climbing out, a partition directory replaced by a
# link) are refused through the mount and by a job, and repair (MSCK REPAIR
# TABLE, `metafs repair`) registers none of them; `ln -s` and `ln` in the
# mount are refused; the audit log has the denials.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
AUDIT=$H/manager/audit.log
T=$W/sales/orders
DT=$DS/sales/orders

# check_audit NAME ACTION OBJECT DECISION DETAIL-REGEX (any uid)
check_audit() { mf_check_audit "$1" "*" "$2" "$3" "$4" "$5"; }

mkdir -p "$T" || mf_abort "mkdir"
mf_put_schema "$T" $'format csv\nheader true\ncolumn id bigint\ncolumn amount double\npartition dt string\n' ||
	mf_abort ".schema" "$MF_OUT"
printf 'id,amount\n1,1.5\n2,2.5\n' >"$MF_TMP/p.csv"

# ---------------------------------------------------------------- values that spell paths
assert_ok "a partition value '..' is a value" mkdir "$T/dt=.."
assert_ok "a partition value '/..' (escaped %2F..) is a value" mkdir "$T/dt=%2F.."
assert_ok "a partition value '../../x' (escaped) is a value" mkdir "$T/dt=..%2F..%2Fx"
assert_dir "'..' is a directory inside the table's data directory" "$DT/dt=.."
assert_dir "'/..' lands inside, escaped" "$DT/dt=%2F.."
assert_dir "'../../x' lands inside, escaped" "$DT/dt=..%2F..%2Fx"
assert_not_exists "nothing was made beside the table" "$DS/sales/x"
assert_eq "every one of them is listed as a partition" "dt=%2F..
dt=..
dt=..%2F..%2Fx" "$(mf_ls "$T")"
assert_eq "its location is inside the table's data directory" "$(mf_realpath "$DT")/dt=%2F.." \
	"$(mf_field "$T/dt=%2F../.partition" location)"
assert_ok "a file goes into the '/..' partition" cp "$MF_TMP/p.csv" "$T/dt=%2F../a.csv"
assert_exists "its bytes are inside the partition's own directory" "$DT/dt=%2F../a.csv"
assert_cmp "and read back through the mount" "$MF_TMP/p.csv" "$T/dt=%2F../a.csv"
run_job vals "SELECT DISTINCT dt FROM sales.orders;"
assert_eq "a job sees the value as it was written" "dt
/.." "$(cat "$M/jobs/vals/result" 2>&1)"

# ---------------------------------------------------------------- links through the mount
mkdir "$T/dt=a" "$T/dt=b" "$T/dt=c" || mf_abort "mkdir partitions"
for d in a b c; do cp "$MF_TMP/p.csv" "$T/dt=$d/part-0.csv" || mf_abort "cp into dt=$d"; done
expect_fail_errno "ln -s in the mount is refused" "Operation not permitted" \
	ln -s /etc/passwd "$T/dt=a/evil.csv"
expect_fail_errno "ln (a hard link) in the mount is refused" "Operation not permitted" \
	ln "$T/dt=a/part-0.csv" "$T/dt=a/hard.csv"
check_audit "the refused symlink is audited" symlink /warehouse/sales/orders deny "links"
assert_eq "nothing was added" "part-0.csv" "$(mf_ls "$T/dt=a")"

# ---------------------------------------------------------------- links planted in the data store
# a registered file replaced by an absolute link
PASSWD_SUM=$(cksum </etc/passwd)
rm -f "$DT/dt=a/part-0.csv" && ln -s /etc/passwd "$DT/dt=a/part-0.csv" || mf_abort "plant a link"
expect_fail_errno "a registered file replaced by an absolute symlink is not read" "Permission denied" \
	cat "$T/dt=a/part-0.csv"
check_audit "the refusal is audited" open /warehouse/sales/orders/dt=a/part-0.csv deny \
	"symlink in data store"
assert_file_contains "and logged" "$M/.metafs/log" "symlink in data store"
expect_fail_errno "nor rewritten through it" "Permission denied" \
	sh_c "printf 'x\n' >>'$T/dt=a/part-0.csv'"
assert_eq "/etc/passwd is untouched" "$PASSWD_SUM" "$(cksum </etc/passwd)"

# a partition directory replaced by a link to somewhere else
mkdir -p "$MF_TMP/elsewhere" && cp "$MF_TMP/p.csv" "$MF_TMP/elsewhere/part-0.csv"
rm -rf "$DT/dt=b" && ln -s "$MF_TMP/elsewhere" "$DT/dt=b" || mf_abort "plant a directory link"
expect_fail_errno "a file under a symlinked partition directory is not read" "Permission denied" \
	cat "$T/dt=b/part-0.csv"
check_audit "that refusal is audited" open /warehouse/sales/orders/dt=b/part-0.csv deny \
	"symlink in data store"
expect_fail_errno "nor written" "" cp "$MF_TMP/p.csv" "$T/dt=b/new.csv"
assert_not_exists "nothing was written where the link points" "$MF_TMP/elsewhere/new.csv"

# a job reading the table refuses the links too.  Each count is of the
# file the job reads: the refusals above, made through the mount, are of
# other objects (the cp's is of the directory dt=b) or were audited before
# their command returned.
job_refusals() { mf_audit_count "*" open "/warehouse/sales/orders/$1" deny "symlink in data store"; }
na=$(job_refusals dt=a/part-0.csv)
run_job sel "SELECT count(*) FROM sales.orders WHERE dt = 'a';"
assert_eq "a job reading a symlinked file fails" "failed" "$STATE"
assert_match "and says why" "symbolic links|symlink" "$STATUS"
assert_eq "the job's refusal is audited, once" "$((na + 1))" "$(job_refusals dt=a/part-0.csv)"
nb=$(job_refusals dt=b/part-0.csv)
run_job sel2 "SELECT count(*) FROM sales.orders WHERE dt = 'b';"
assert_eq "a job reading under a symlinked partition directory fails" "failed" "$STATE"
assert_eq "that refusal is audited too, once" "$((nb + 1))" "$(job_refusals dt=b/part-0.csv)"
run_job sel3 "SELECT count(*) FROM sales.orders WHERE dt = 'c';"
assert_eq "a job reading an ordinary partition succeeds" "succeeded" "$STATE" || note "$STATUS"
# The cp into dt=b was refused when close(2) flushed it; its last close (the
# release, which the kernel sends after close(2) returned, long done by now)
# does not try, and audit, again.
assert_eq "the refused write into dt=b is audited once" 1 "$(job_refusals dt=b)"

# relative links climbing out, and a new partition that is a link: repair skips them
ln -s ../../../../../../../../etc/passwd "$DT/dt=c/up.csv" || mf_abort "plant a relative link"
ln -s "$MF_TMP/elsewhere" "$DT/dt=d" || mf_abort "plant a partition link"
run_job repair "MSCK REPAIR TABLE sales.orders;"
assert_eq "MSCK REPAIR TABLE succeeds" "succeeded" "$STATE" || note "$STATUS"
assert_eq "the relative link is not registered" "part-0.csv" "$(mf_ls "$T/dt=c")"
assert_not_exists "the linked partition directory is not registered" "$T/dt=d"
check_audit "the skipped relative link is audited" repair /warehouse/sales/orders/dt=c/up.csv deny \
	"symlink in data store"
check_audit "the skipped directory link is audited" repair /warehouse/sales/orders/dt=d deny \
	"symlink in data store"
assert_file_contains "repair logs what it skipped" "$M/.metafs/log" "dt=d"
assert_eq "the file replaced by a link is no longer listed after repair" "" "$(mf_ls "$T/dt=a")"

mf_finish
