#!/usr/bin/env bash
# test_schema_props.sh - a table property becomes a line of .schema, so
# nothing in a property's name or value (nor in a column name) may make
# other lines of it.  A job's CREATE TABLE ... TBLPROPERTIES with a newline,
# carriage return or NUL in a value (escaped or literal), a column name or a
# CREATE TABLE AS alias holding a newline, and ALTER TABLE ... SET
# TBLPROPERTIES fail naming the property or column, and create nothing; a
# .schema written through the mount with a control character or a comment
# '#' in a property is refused, the log naming the property.  Awkward but
# legal names and values (spaces, '=', quotes, '#' inside a word, UTF-8)
# read back as written, and the .schema read from the mount defines the
# same table again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mf_setup
S=$W/sales

run_job setup "CREATE DATABASE sales;"
assert_eq "the database is made" "succeeded" "$STATE" || mf_abort "setup" "$STATUS"

# ---- jobs
MSG="property 'k': value holds a control character \\(U\\+000A\\)"
run_job j1 "CREATE TABLE sales.t1 (id BIGINT) TBLPROPERTIES ('k'='a\\nformat jsonl');"
assert_eq "a '\\n' in a TBLPROPERTIES value fails the job" "failed" "$STATE"
assert_match "the job names the property and the character" "$MSG" "$STATUS"
assert_not_exists "no table is made" "$S/t1"

run_job j2 "CREATE TABLE sales.t2 (id BIGINT) TBLPROPERTIES ('k'='a
format jsonl
column evil string');"
assert_eq "a literal newline in a value fails the job" "failed" "$STATE"
assert_match "and names the property" "$MSG" "$STATUS"
assert_not_exists "no table is made" "$S/t2"

run_job j3 "CREATE TABLE sales.t3 (id BIGINT) TBLPROPERTIES ('k'='a\\rb', 'x'='1');"
assert_match "a carriage return is refused" "property 'k': value holds a control character \\(U\\+000D\\)" \
	"$STATUS"
run_job j4 "CREATE TABLE sales.t4 (id BIGINT) TBLPROPERTIES ('k'='a\\0format jsonl');"
assert_match "a NUL is refused, not cut short" \
	"property 'k': value holds a control character \\(U\\+0000\\)" "$STATUS"
assert_not_exists "no table is made" "$S/t4"
run_job j5 "CREATE TABLE sales.t5 (id BIGINT) TBLPROPERTIES ('k\\nformat jsonl'='v');"
assert_match "a newline in a name is refused" "property 'k\\?format jsonl': name holds a control" \
	"$STATUS"
run_job j6 "CREATE TABLE sales.t6 (\`id bigint
format jsonl
column x\` STRING);"
assert_eq "a newline in a column name fails the job" "failed" "$STATE"
assert_match "naming the column, on one line" \
	"error: .*bad column name \"id bigint[?]format jsonl[?]column x\": name contains a control character" \
	"$STATUS"
assert_not_exists "no table is made" "$S/t6"
run_job j7 "CREATE TABLE sales.t7 AS SELECT 1 AS \`a
format jsonl\`;"
assert_match "a newline in a CREATE TABLE AS alias is refused" \
	"error: .*bad column name \"a[?]format jsonl\": name contains a control character" "$STATUS"
run_job j7b "CREATE TABLE sales.t7b AS SELECT 1 AS \`a b\`;"
assert_match "a space in a CREATE TABLE AS alias is refused" "column 'a b': name holds a space" \
	"$STATUS"
assert_not_exists "no table is made" "$S/t7b"
assert_not_exists "no table is made" "$S/t7"
run_job j8 "CREATE TABLE sales.t8 (id BIGINT) TBLPROPERTIES ('k'='#v');"
assert_match "a value that .schema reads as a comment is refused" \
	"property 'k': value holds a '#' that .schema reads as a comment" "$STATUS"

run_job ok "CREATE TABLE sales.ok (id BIGINT) TBLPROPERTIES ('owner'='sales eng', 'eq'='x = y',
  'q'='it''s \"q\"', 'h#sh'='a#b', 'u'='été €');"
assert_eq "awkward but legal properties are accepted" "succeeded" "$STATE" || note "$STATUS"
WANT="format csv
header true
column id bigint
property owner = sales eng
property eq = x = y
property q = it's \"q\"
property h#sh = a#b
property u = été €"
assert_eq "and read back as written" "$WANT" "$(cat "$S/ok/.schema")"

run_job a1 "ALTER TABLE sales.ok SET TBLPROPERTIES ('k'='a\\nformat jsonl');"
assert_eq "ALTER TABLE SET TBLPROPERTIES with a newline fails" "failed" "$STATE"
assert_match "naming the property" "$MSG" "$STATUS"
assert_eq "the table is unchanged" "$WANT" "$(cat "$S/ok/.schema")"

# ---- .schema through the mount
mkdir "$S/m1" "$S/m2" "$S/m3" "$S/copy" || mf_abort "mkdir"
mf_put_schema "$S/m1" $'column id bigint\nproperty k = a\rformat jsonl\n'
assert_eq "a carriage return in a .schema property value is refused" 1 "$((MF_RC != 0))"
assert_file_contains "the log names the property" "$M/.metafs/log" \
	"line 2: property 'k': value holds a control character (U+000D)"
assert_eq "the table has no schema" "" "$(cat "$S/m1/.schema")"
mf_put_schema "$S/m2" $'column id bigint\nproperty k = a\x01b\n'
assert_eq "a control character in a .schema property value is refused" 1 "$((MF_RC != 0))"
assert_file_contains "the log names it" "$M/.metafs/log" \
	"line 2: property 'k': value holds a control character (U+0001)"
mf_put_schema "$S/m3" $'column id bigint\nproperty k =#v\n'
assert_eq "a value that would read back as a comment is refused" 1 "$((MF_RC != 0))"
assert_file_contains "the log says why" "$M/.metafs/log" \
	"line 2: property 'k': value holds a '#' that .schema reads as a comment"
cp "$S/ok/.schema" "$MF_TMP/ok.schema"
assert_ok "the .schema read from the mount defines another table" cp "$MF_TMP/ok.schema" "$S/copy/.schema"
assert_eq "the same table" "$WANT" "$(cat "$S/copy/.schema")"

mf_finish
