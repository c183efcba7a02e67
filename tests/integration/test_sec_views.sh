#!/usr/bin/env bash
# test_sec_views.sh - the shared files of the mount show each user only what
# that user may see.  As root, with a real user U and a mount with
# -o allow_other: a table warehouse.vault.hidden U holds nothing on, a table
# warehouse.vault.secrets mirrored into lake (U holds SELECT on the mirror,
# not on the source), a table warehouse.pub.t U may read, a table
# warehouse.pub.d partitioned by a DATE that U and a second user A may modify,
# a pipeline of root's with a webhook_token, and a job of root's that fails
# naming the hidden table.  Then:
#   - pipelines/NAME.ini is readable by its owner and ADMIN only: U's read of
#     root's definition is EACCES and audited; U reads U's own, and root
#     reads U's
#   - /.metafs/log shows U the lines of U's own requests and runs: the reason
#     of U's refused mkdir (dt=notadate) and U's failed job (naming a value);
#     not root's failed job nor the daemon's own lines; A sees none of U's
#     lines; root (ADMIN) sees every line; the exchange's refusal to serve
#     a malformed source file of a masked mirror U reads is the daemon's line
#     (it names the source's data path): root's, not U's
#   - /.metafs/events shows U the events of what U can see (pub, the lake
#     mirror), nothing of warehouse's vault: no table name, no partition value
#   - /.metafs/grants and SHOW GRANTS show U the grants on what U can see and
#     the grants to U, not the grant on the hidden table; root sees all
#   - the mirror's .table shows U no metafs.mirror.location, source or
#     source_id, nor the source's data path; root sees them
# Needs root; skipped otherwise.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

WAIT_SYNC=10

mf_shared_home
U=mfv_$$_u
mf_add_user "$U"
UUID_=$(id -u "$U")
A=mfv_$$_a
mf_add_user "$A"
mf_mount_shared
J=$M/jobs
PL=$M/pipelines
SCHEMA=$'format csv\nheader true\ncolumn id bigint\ncolumn amount double\npartition region string\n'
printf 'id,amount\n1,1.5\n' >"$MF_TMP/p.csv"

# table DB TABLE VALUE : a table of root's in warehouse with one partition
table() {
	mkdir -p "$W/$1/$2" || mf_abort "mkdir $1/$2"
	mf_put_schema "$W/$1/$2" "$SCHEMA" || mf_abort "$1/$2/.schema" "$MF_OUT"
	mkdir "$W/$1/$2/region=$3" || mf_abort "mkdir $1/$2/region=$3"
	cp "$MF_TMP/p.csv" "$W/$1/$2/region=$3/part-0.csv" || mf_abort "a data file in $1/$2"
}

# ---------------------------------------------------------------- root's data
table vault hidden zzhiddenval
table vault secrets zzsecretval
table pub t pubval
mkdir -p "$W/pub/d" || mf_abort "mkdir pub/d"
mf_put_schema "$W/pub/d" $'format csv\ncolumn id bigint\npartition dt date\n' || mf_abort "pub/d/.schema" "$MF_OUT"
printf 'source = warehouse.vault.secrets\ntarget = lake\nmirror = schema, properties\n' >"$MF_TMP/m.rule"
cp "$MF_TMP/m.rule" "$M/sync/m.rule" || mf_abort "the sync rule" "$(cat "$M/sync/m/status" 2>&1)"
mf_poll "$WAIT_SYNC" test -e "$L/vault/secrets/.table" ||
	mf_abort "the mirror appears in lake" "$(cat "$M/sync/m/status" 2>&1)"
run_job g1 "CREATE ROLE auditors;
GRANT SELECT ON TABLE warehouse.vault.hidden TO ROLE auditors;
GRANT SELECT ON TABLE warehouse.pub.t TO USER $U;
GRANT SELECT ON TABLE lake.vault.secrets TO USER $U;
GRANT SUBMIT ON PLATFORM lake TO USER $U;
GRANT MODIFY ON TABLE warehouse.pub.d TO USER $U;
GRANT MODIFY ON TABLE warehouse.pub.d TO USER $A;"
assert_eq "root's GRANT job succeeds" "succeeded" "$STATE" || note "$STATUS"
run_job bad "SELECT nosuchcolumn FROM warehouse.vault.hidden;"
assert_eq "root's job on the hidden table fails" "failed" "$STATE" || note "$STATUS"

{
	printf '[pipeline]\nname = rootpipe\nsource = warehouse/pub/t\noperation = predict\n'
	printf 'features = amount\n\n[output]\nwebhook_url = http://127.0.0.1:9/hook\n'
	printf 'webhook_token = tok_s3cr3t_value\n'
} >"$MF_TMP/rootpipe.ini"
cp "$MF_TMP/rootpipe.ini" "$PL/rootpipe.ini" || mf_abort "root's pipeline" "$(tail -n 3 "$M/.metafs/log")"
{
	printf '[pipeline]\nname = upipe\nsource = lake/vault/secrets\noperation = predict\n'
	printf 'features = amount\n\n[output]\nwebhook_url = http://127.0.0.1:9/hook\n'
	printf 'webhook_token_file = /nonexistent/u-token\n'
} >"$MF_TMP/upipe.ini"
chmod 644 "$MF_TMP/upipe.ini"
mf_run mf_as_sh "$U" "cat '$MF_TMP/upipe.ini' >'$PL/upipe.ini'"
assert_eq "U defines a pipeline with webhook_token_file" 0 "$MF_RC" || note "$MF_OUT"

# ---------------------------------------------------------------- pipeline definitions
expect_fail_errno "U cannot read root's pipeline definition" "Permission denied" \
	mf_as "$U" cat "$PL/rootpipe.ini"
assert_eq "nothing of the token reaches U" "" \
	"$(mf_as "$U" cat "$PL/rootpipe.ini" 2>/dev/null | grep tok_s3cr3t_value)"
mf_check_audit "the refused read of the definition is audited" "$UUID_" read /pipelines/rootpipe.ini deny
assert_eq "U still lists both pipelines" "rootpipe.ini
upipe.ini" "$(mf_as "$U" ls "$PL" 2>&1 | grep '\.ini$')"
assert_match "root (ADMIN) reads the definition and its token" "tok_s3cr3t_value" "$(cat "$PL/rootpipe.ini" 2>&1)"
assert_match "U reads U's own definition" "webhook_token_file = /nonexistent/u-token" \
	"$(mf_as "$U" cat "$PL/upipe.ini" 2>&1)"
assert_match "root reads U's definition" "name = upipe" "$(cat "$PL/upipe.ini" 2>&1)"
assert_fails "test -r says U cannot read root's definition" mf_as "$U" test -r "$PL/rootpipe.ini"
assert_ok "test -r says U can read U's own" mf_as "$U" test -r "$PL/upipe.ini"
expect_fail_errno "U cannot read the log of root's pipeline" "Permission denied" \
	mf_as "$U" cat "$PL/rootpipe/log"
mf_check_audit "the refused read of the pipeline's log is audited" "$UUID_" read /pipelines/rootpipe/log deny
assert_ok "U reads the status of root's pipeline" mf_as "$U" cat "$PL/rootpipe/status"
assert_ok "U reads the log of U's pipeline" mf_as "$U" cat "$PL/upipe/log"

# ---------------------------------------------------------------- /.metafs/log
expect_fail_errno "U's mkdir of a partition that is not a date is refused" "Invalid argument" \
	mf_as "$U" mkdir "$W/pub/d/dt=notadate"
assert_ok "A makes a partition" mf_as "$A" mkdir "$W/pub/d/dt=2024-05-01"
expect_fail_errno "A's mkdir of a bad partition name is refused" "Invalid argument" \
	mf_as "$A" mkdir "$W/pub/d/day=zzalicevalue"
printf 'SELECT DATE %s;\n' "'zzbobdatum'" >"$MF_TMP/ubad.sql"
mf_run mf_as_sh "$U" "cat '$MF_TMP/ubad.sql' >'$J/ubad.sql'"
assert_eq "U submits a job" 0 "$MF_RC" || note "$MF_OUT"
timeout -k 5 60 cat "$J/ubad/wait" >/dev/null 2>&1
LOG_ROOT=$(cat "$M/.metafs/log" 2>&1)
LOG_U=$(mf_as "$U" cat "$M/.metafs/log" 2>&1)
LOG_A=$(mf_as "$A" cat "$M/.metafs/log" 2>&1)
assert_match "root's failed job is in root's /.metafs/log" "job bad run 1 failed" "$LOG_ROOT"
assert_match "root's /.metafs/log has U's refused mkdir" 'refused partition name "dt=notadate" in pub.d: "notadate" is not a date' "$LOG_ROOT"
assert_match "root's /.metafs/log has U's failed job" "job ubad run 1 failed: .*zzbobdatum" "$LOG_ROOT"
assert_match "root's /.metafs/log has A's refused mkdir" 'refused partition name "day=zzalicevalue"' "$LOG_ROOT"
assert_match "root's /.metafs/log has the daemon's own lines" "info mounted " "$LOG_ROOT"
assert_eq "U reads why U's mkdir was refused, a line as root reads it" 1 \
	"$(printf '%s\n' "$LOG_U" | grep -cxE '[^ ]+ warning refused partition name "dt=notadate" in pub.d: "notadate" is not a date')"
assert_match "U reads why U's job failed" "job ubad run 1 failed: .*zzbobdatum" "$LOG_U"
assert_eq "U's /.metafs/log has nothing of root's job, A or the daemon" "" \
	"$(printf '%s\n' "$LOG_U" | grep -E 'job bad |hidden|zzalicevalue|mounted ')"
assert_match "A reads why A's mkdir was refused" 'refused partition name "day=zzalicevalue"' "$LOG_A"
assert_eq "A's /.metafs/log has nothing of U's" "" "$(printf '%s\n' "$LOG_A" | grep -E 'notadate|zzbobdatum|ubad')"
assert_eq "A's /.metafs/log has nothing of root's or the daemon's" "" \
	"$(printf '%s\n' "$LOG_A" | grep -E 'job bad |hidden|mounted ')"
assert_ok "test -r says U can read /.metafs/log" mf_as "$U" test -r "$M/.metafs/log"

mkdir -p "$W/mvault/masked" || mf_abort "mkdir mvault/masked"
mf_put_schema "$W/mvault/masked" "$SCHEMA" || mf_abort "mvault/masked/.schema" "$MF_OUT"
mkdir "$W/mvault/masked/region=zzmaskedval" || mf_abort "mkdir mvault/masked/region=zzmaskedval"
printf 'id,amount\n1,1.5\n2,"unterminated\n' >"$MF_TMP/bad.csv"
cp "$MF_TMP/bad.csv" "$W/mvault/masked/region=zzmaskedval/part-0.csv" || mf_abort "mvault/masked's file"
printf 'source = warehouse.mvault.masked\ntarget = lake\nmirror = schema, properties, partitions\nmask = amount:redact\n' \
	>"$MF_TMP/mx.rule"
cp "$MF_TMP/mx.rule" "$M/sync/mx.rule" || mf_abort "the masked rule" "$(cat "$M/sync/mx/status" 2>&1)"
mf_poll "$WAIT_SYNC" test -e "$L/mvault/masked/region=zzmaskedval/part-0.csv" ||
	mf_abort "the masked mirror appears in lake" "$(cat "$M/sync/mx/status" 2>&1)"
run_job g3 "GRANT SELECT ON TABLE lake.mvault.masked TO USER $U;"
assert_eq "root grants U SELECT on the masked mirror" "succeeded" "$STATE" || note "$STATUS"
expect_fail_errno "U's read of the malformed masked file fails" "Input/output error" \
	mf_as "$U" cat "$L/mvault/masked/region=zzmaskedval/part-0.csv"
assert_match "root's /.metafs/log says why, naming the source's file" \
	"exchange: cannot serve [^ ]*/warehouse/mvault/masked/region=zzmaskedval/part-0.csv masked" \
	"$(cat "$M/.metafs/log" 2>&1)"
assert_eq "U's /.metafs/log has nothing of the exchange or the source's path" "" \
	"$(mf_as "$U" cat "$M/.metafs/log" 2>&1 | grep -E 'exchange|/warehouse/')"
assert_eq "U's read of /.metafs/log is not a denial" 0 "$(mf_audit_count "$UUID_" read /.metafs/log deny)"

# ---------------------------------------------------------------- /.metafs/events
EV_ROOT=$(cat "$M/.metafs/events" 2>&1)
EV_U=$(mf_as "$U" cat "$M/.metafs/events" 2>&1)
assert_match "root's events have the hidden partition" "warehouse .* vault/hidden/region=zzhiddenval" "$EV_ROOT"
assert_match "U's events have pub's partition" "warehouse .* pub/t/region=pubval" "$EV_U"
assert_match "U's events have the lake mirror" "lake .* vault/secrets" "$EV_U"
assert_eq "U's events have nothing of warehouse's vault" "" "$(printf '%s\n' "$EV_U" | awk '$1 == "warehouse" && $7 ~ /^vault/')"
assert_eq "U's events have no hidden name or partition value" "" "$(printf '%s\n' "$EV_U" | grep -E 'hidden|zzsecretval')"

# ---------------------------------------------------------------- grants
G_ROOT=$(cat "$M/.metafs/grants" 2>&1)
G_U=$(mf_as "$U" cat "$M/.metafs/grants" 2>&1)
assert_match "root's /.metafs/grants has the grant on the hidden table" $'/warehouse/vault/hidden\trole\tauditors' "$G_ROOT"
assert_match "U's /.metafs/grants has U's grant" $'/lake/vault/secrets\tuser\t'"$U" "$G_U"
assert_eq "U's /.metafs/grants has nothing on the hidden table" "" "$(printf '%s\n' "$G_U" | grep hidden)"
printf 'SHOW GRANTS;\n' >"$MF_TMP/ushow.sql"
mf_run mf_as_sh "$U" "cat '$MF_TMP/ushow.sql' >'$J/ushow.sql'"
assert_eq "U submits SHOW GRANTS" 0 "$MF_RC" || note "$MF_OUT"
timeout -k 5 60 cat "$J/ushow/wait" >/dev/null 2>&1
R_U=$(mf_as "$U" cat "$J/ushow/result" 2>&1)
assert_match "U's SHOW GRANTS has U's grant" "/lake/vault/secrets,user,$U" "$R_U"
assert_eq "U's SHOW GRANTS has nothing on the hidden table" "" "$(printf '%s\n' "$R_U" | grep hidden)"

# ---------------------------------------------------------------- the mirror's .table
T_ROOT=$(cat "$L/vault/secrets/.table" 2>&1)
T_U=$(mf_as "$U" cat "$L/vault/secrets/.table" 2>&1)
assert_match "root's .table shows metafs.mirror.location" "property.metafs.mirror.location: " "$T_ROOT"
assert_match "U reads the mirror's .table" "table: secrets" "$T_U"
assert_match "U's .table names the rule" "property.metafs.mirror.rule: m" "$T_U"
assert_eq "U's .table has no source, source_id or location" "" \
	"$(printf '%s\n' "$T_U" | grep -E 'metafs\.mirror\.(location|source|source_id|source_etag|event):')"
WDATA=$(printf '%s\n' "$T_ROOT" | awk '$1 == "property.metafs.mirror.location:" {print $2}')
assert_ne "the source's data path is known" "" "$WDATA"
assert_eq "U's .table has nothing of the source's data path" "" \
	"$(printf '%s\n' "$T_U" | grep -F "${WDATA:-/nonexistent}")"

# ---------------------------------------------------------------- SELECT on the source
run_job g2 "GRANT SELECT ON TABLE warehouse.vault.secrets TO USER $U;"
assert_eq "root grants U SELECT on the source" "succeeded" "$STATE" || note "$STATUS"
assert_match "with SELECT on the source U's .table shows metafs.mirror.location" \
	"property.metafs.mirror.location: ${WDATA:-/nonexistent}" "$(mf_as "$U" cat "$L/vault/secrets/.table" 2>&1)"
assert_match "and U's events show the source's partition" "warehouse .* vault/secrets/region=zzsecretval" \
	"$(mf_as "$U" cat "$M/.metafs/events" 2>&1)"
assert_eq "still nothing of the hidden table" "" "$(mf_as "$U" cat "$M/.metafs/events" "$M/.metafs/grants" 2>&1 | grep hidden)"

mf_finish
