/*
 * test_sql_hive_filter.c - the Hive Metastore's partition filter
 * (get_partitions_by_filter) over a table's partition keys: every form of
 * the grammar, both quote kinds, comparison by the key's type as a job's
 * WHERE compares, values that read as NULL, the errors and their messages,
 * and hostile input (deep nesting, huge lists) answered without a crash.
 * Through manager/'s wrapper (what hms/ calls) and sql/'s API.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manager.h"
#include "sql_engine_fixture.h"

/* sales.events (id bigint, name string) partitioned by
 * (dt date, hour bigint, region string). */
static store_column columns[] = {
	{ "id", STORE_TYPE_BIGINT },   { "name", STORE_TYPE_STRING },
	{ "dt", STORE_TYPE_DATE },     { "hour", STORE_TYPE_BIGINT },
	{ "region", STORE_TYPE_STRING },
};
static store_table table = {
	.db = "sales", .name = "events", .ncolumns = 2, .npartkeys = 3, .columns = columns,
};

static char err[512];

/* Does the partition (DT, HOUR, REGION) pass FILTER?  The filter must parse. */
static int match(const char *filter, const char *dt, const char *hour, const char *region)
{
	mgr_part_filter *f = NULL;
	char values[3][STORE_NAME_MAX + 1];
	int rc = mgr_part_filter_parse(&table, filter, &f, err, sizeof err);

	if (rc) {
		print_error("filter %s: %s\n", filter, err);
		fail();
	}
	snprintf(values[0], sizeof values[0], "%s", dt);
	snprintf(values[1], sizeof values[1], "%s", hour);
	snprintf(values[2], sizeof values[2], "%s", region);
	rc = mgr_part_filter_match(f, values);
	mgr_part_filter_free(f);
	return rc;
}

/* The partition every test starts from. */
static int m(const char *filter)
{
	return match(filter, "2024-05-01", "10", "eu");
}

/* FILTER must be refused: its message. */
static const char *refused(const char *filter)
{
	mgr_part_filter *f = NULL;
	int rc = mgr_part_filter_parse(&table, filter, &f, err, sizeof err);

	assert_int_equal(rc, -EINVAL);
	assert_null(f);
	return err;
}

/* The resolved condition, as plans print it. */
static char printed[1024];
static const char *resolved(const char *filter)
{
	sql_hive_filter *f = NULL;
	sql_error e = { 0 };
	textbuf b = TEXTBUF_INIT;

	assert_int_equal(sql_hive_filter_parse(&table, filter, strlen(filter), &f, &e), 0);
	sql_hive_filter_print(f, &b);
	snprintf(printed, sizeof printed, "%s", b.data ? b.data : "");
	textbuf_free(&b);
	sql_hive_filter_free(f);
	return printed;
}

static void test_equality_with_either_quote(void **state)
{
	(void)state;
	assert_int_equal(m("region = \"eu\""), 1);
	assert_int_equal(m("region = 'eu'"), 1);
	assert_int_equal(m("region = 'us'"), 0);
	assert_int_equal(m("region = \"us\""), 0);
	assert_int_equal(m("'eu' = region"), 1);
	assert_int_equal(m("region == 'eu'"), 1);
	/* A quote of the other kind is part of the value. */
	assert_int_equal(match("region = \"it's\"", "2024-05-01", "1", "it's"), 1);
	assert_int_equal(match("region = 'say \"hi\"'", "2024-05-01", "1", "say \"hi\""), 1);
}

static void test_and_or_and_precedence(void **state)
{
	(void)state;
	assert_int_equal(m("region = 'eu' and hour = 10"), 1);
	assert_int_equal(m("region = 'eu' and hour = 11"), 0);
	assert_int_equal(m("region = 'us' or hour = 10"), 1);
	assert_int_equal(m("region = 'us' or hour = 11"), 0);
	/* AND binds tighter than OR. */
	assert_int_equal(m("region = 'eu' or hour = 11 and region = 'us'"), 1);
	assert_int_equal(m("(region = 'eu' or hour = 11) and region = 'us'"), 0);
	assert_int_equal(m("region = 'us' and hour = 11 or dt = '2024-05-01'"), 1);
}

static void test_every_comparison_operator(void **state)
{
	(void)state;
	assert_int_equal(m("hour = 10"), 1);
	assert_int_equal(m("hour <> 10"), 0);
	assert_int_equal(m("hour != 10"), 0);
	assert_int_equal(m("hour != 9"), 1);
	assert_int_equal(m("hour < 11"), 1);
	assert_int_equal(m("hour < 10"), 0);
	assert_int_equal(m("hour <= 10"), 1);
	assert_int_equal(m("hour <= 9"), 0);
	assert_int_equal(m("hour > 9"), 1);
	assert_int_equal(m("hour > 10"), 0);
	assert_int_equal(m("hour >= 10"), 1);
	assert_int_equal(m("hour >= 11"), 0);
	/* literal OP key reads as key OP' literal. */
	assert_int_equal(m("9 < hour"), 1);
	assert_int_equal(m("10 < hour"), 0);
	assert_int_equal(m("11 >= hour"), 1);
	assert_int_equal(m("-1 < hour"), 1);
	assert_int_equal(match("hour = -3", "2024-05-01", "-3", "eu"), 1);
}

static void test_int_key_compares_as_a_number(void **state)
{
	(void)state;
	/* As strings "10" < "9"; as numbers 10 > 9. */
	assert_int_equal(match("hour > 9", "2024-05-01", "10", "eu"), 1);
	assert_int_equal(match("hour > 9", "2024-05-01", "9", "eu"), 0);
	assert_int_equal(match("hour = 9", "2024-05-01", "09", "eu"), 1);
	/* A string literal beside an int key is read as a number, as in a job. */
	assert_int_equal(match("hour > '9'", "2024-05-01", "10", "eu"), 1);
	assert_int_equal(match("hour = \"10\"", "2024-05-01", "10", "eu"), 1);
	assert_string_equal(resolved("hour > 9"), "(hour#2 > 9)");
}

static void test_string_key_compares_as_a_string(void **state)
{
	(void)state;
	assert_int_equal(match("region > '9'", "2024-05-01", "10", "10"), 0);
	assert_int_equal(match("region < '9'", "2024-05-01", "10", "10"), 1);
	assert_int_equal(m("region >= 'eu'"), 1);
	assert_int_equal(m("region > 'eu'"), 0);
	assert_int_equal(m("region between 'a' and 'f'"), 1);
}

static void test_date_key_compares_as_a_date(void **state)
{
	(void)state;
	assert_int_equal(m("dt = '2024-05-01'"), 1);
	assert_int_equal(m("dt = \"2024-05-02\""), 0);
	assert_int_equal(m("dt = date '2024-05-01'"), 1);
	assert_int_equal(m("dt = DATE '2024-05-01'"), 1);
	assert_int_equal(m("dt > 2024-04-30"), 1);   /* Hive's bare date literal */
	assert_int_equal(m("dt < 2024-04-30"), 0);
	assert_int_equal(m("date '2024-05-02' > dt"), 1);
	assert_int_equal(m("dt >= timestamp '2024-05-01 00:00:00'"), 1);
	assert_int_equal(m("dt > timestamp '2024-05-01 00:00:01'"), 0);
	/* As dates 2024-05-01 < 2024-10-01; '2024-5-01' still reads as a date. */
	assert_int_equal(m("dt < '2024-10-01'"), 1);
	assert_int_equal(m("dt between '2024-04-01' and '2024-05-31'"), 1);
	assert_int_equal(m("dt between date '2024-05-02' and date '2024-05-31'"), 0);
}

static void test_between_and_not_between(void **state)
{
	(void)state;
	assert_int_equal(m("hour between 10 and 12"), 1);
	assert_int_equal(m("hour between 8 and 10"), 1);
	assert_int_equal(m("hour between 11 and 12"), 0);
	assert_int_equal(m("hour not between 11 and 12"), 1);
	assert_int_equal(m("hour NOT BETWEEN 9 and 11"), 0);
	assert_int_equal(m("hour between 12 and 8"), 0);
}

static void test_in_and_not_in(void **state)
{
	(void)state;
	assert_int_equal(m("hour in (1, 10, 20)"), 1);
	assert_int_equal(m("hour in (1, 2)"), 0);
	assert_int_equal(m("hour not in (1, 2)"), 1);
	assert_int_equal(m("hour not in (10)"), 0);
	assert_int_equal(m("region in ('us', \"eu\")"), 1);
	/* Hive's client puts the key of IN in parentheses. */
	assert_int_equal(m("(region) IN ('us', 'eu')"), 1);
	assert_int_equal(m("(region) NOT IN ('us', 'eu')"), 0);
	assert_int_equal(m("(hour) in (10) and (region) not in ('us')"), 1);
	assert_int_equal(m("dt in ('2024-05-01', '2024-06-01')"), 1);
}

static void test_like_reads_sql_patterns(void **state)
{
	(void)state;
	assert_int_equal(m("region like 'e%'"), 1);
	assert_int_equal(m("region LIKE 'e_'"), 1);
	assert_int_equal(m("region like '%u'"), 1);
	assert_int_equal(m("region like 'e'"), 0);
	assert_int_equal(m("region like 'u%'"), 0);
	assert_int_equal(m("region not like 'u%'"), 1);
	assert_int_equal(m("region not like '%u'"), 0);
	assert_int_equal(m("not region like '%u'"), 0);
	assert_int_equal(match("region like 'a\\%%'", "2024-05-01", "1", "a%b"), 1);
	assert_int_equal(match("region like 'a\\%%'", "2024-05-01", "1", "ab"), 0);
	assert_int_equal(match("region like 'a_c'", "2024-05-01", "1", "abc"), 1);
	/* A pattern without regular expression syntax reads the same both ways. */
	assert_string_equal(resolved("region like 'e%'"), "(region#3 LIKE e% OR region#3 LIKE e\\%)");
	assert_string_equal(resolved("region like 'eu'"), "region#3 LIKE eu");
}

/* What Spark 3 sends for StartsWith, EndsWith and Contains, for Hive 2 and
 * 3, which read LIKE as a Java regular expression. */
static void test_like_reads_the_regular_expressions_spark_sends(void **state)
{
	(void)state;
	assert_int_equal(m("region like \"e.*\""), 1);
	assert_int_equal(m("region like \".*u\""), 1);
	assert_int_equal(m("region like \".*eu.*\""), 1);
	assert_int_equal(m("region like \"u.*\""), 0);
	assert_int_equal(m("region like \".*x.*\""), 0);
	assert_int_equal(m("region like \"e.\""), 1);
	assert_int_equal(m("region like \"^eu$\""), 1);
	/* An escaped dot is a dot. */
	assert_int_equal(match("region like \"a\\.b.*\"", "2024-05-01", "1", "a.bc"), 1);
	assert_int_equal(match("region like \"a\\.b.*\"", "2024-05-01", "1", "axbc"), 0);
	/* % and _ of a regular expression are characters. */
	assert_int_equal(match("region like \"5%.*\"", "2024-05-01", "1", "5%off"), 1);
	/* Syntax beyond that (classes, groups, other quantifiers) passes every
	 * value under that reading: more partitions, never fewer. */
	assert_int_equal(m("region like \"(us|ca)\""), 1);
	assert_int_equal(m("region like \"[xyz]+\""), 1);
	assert_int_equal(match("region like \"[xyz]+\"", "2024-05-01", "1", "__HIVE_DEFAULT_PARTITION__"),
			 0);
	assert_string_equal(resolved("region like \"e.*\""),
			    "(region#3 LIKE e.* OR region#3 LIKE e%)");
}

static void test_struct_in_over_several_keys(void **state)
{
	(void)state;
	assert_int_equal(m("(struct(dt, hour)) IN (const struct('2024-05-01', 10), "
			   "const struct('2024-05-02', 11))"), 1);
	assert_int_equal(m("(STRUCT(hour, region)) IN (STRUCT(10, 'us'), STRUCT(9, 'eu'))"), 0);
	assert_int_equal(m("(struct(hour, region)) not in (const struct(10, 'eu'))"), 0);
	assert_int_equal(m("(struct(hour, region)) not in (const struct(9, 'eu'))"), 1);
	assert_int_equal(m("(struct(region)) in (struct(\"eu\")) and hour = 10"), 1);
	assert_string_equal(refused("(struct(hour, region)) in (const struct(10))"),
			    "line 1, column 28: STRUCT has 1 value for 2 keys");
	assert_string_equal(refused("(struct(hour, name)) in (const struct(10, 'x'))"),
			    "line 1, column 15: \"name\" is a data column of sales.events, not a "
			    "partition key: a partition filter can only use partition keys");
	assert_string_equal(refused("(struct(hour)) in (10)"),
			    "line 1, column 20: expected STRUCT, found \"10\"");
}

static void test_not_and_parentheses(void **state)
{
	(void)state;
	assert_int_equal(m("not region = 'us'"), 1);
	assert_int_equal(m("NOT (region = 'eu' or hour = 1)"), 0);
	assert_int_equal(m("not not region = 'eu'"), 1);
	assert_int_equal(m("((((region = 'eu'))))"), 1);
	assert_int_equal(m("(hour = 1 or (hour = 10 and (region = 'eu')))"), 1);
	assert_int_equal(m("not (hour) in (1, 2)"), 1);
}

static void test_names_in_any_case_and_backquoted(void **state)
{
	(void)state;
	assert_int_equal(m("REGION = 'eu' AnD Hour = 10"), 1);
	assert_int_equal(m("`region` = 'eu'"), 1);
	assert_int_equal(m("`Hour` BETWEEN 1 and 10"), 1);
	/* The value is not folded: 'EU' is another value. */
	assert_int_equal(m("region = 'EU'"), 0);
}

static void test_values_that_are_not_of_the_key_type_match_nothing(void **state)
{
	(void)state;
	const char *filters[] = { "hour > 9", "hour < 9", "hour = 0", "not hour = 0",
				  "hour != 5", "hour in (1, 2)", "hour not in (1, 2)",
				  "hour between 0 and 100", "not (hour between 0 and 100)" };

	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		assert_int_equal(match(filters[i], "2024-05-01", "abc", "eu"), 0);
		assert_int_equal(match(filters[i], "2024-05-01", "__HIVE_DEFAULT_PARTITION__", "eu"),
				 0);
	}
	assert_int_equal(match("dt < '2030-01-01'", "notadate", "1", "eu"), 0);
	assert_int_equal(match("not dt < '2030-01-01'", "notadate", "1", "eu"), 0);
	assert_int_equal(match("region = 'eu'", "2024-05-01", "1", "__HIVE_DEFAULT_PARTITION__"), 0);
	/* NULL OR TRUE is TRUE, as in a job's WHERE. */
	assert_int_equal(match("hour = 1 or region = 'eu'", "2024-05-01", "abc", "eu"), 1);
}

static void test_empty_filter_passes_every_partition(void **state)
{
	(void)state;
	assert_int_equal(m(""), 1);
	assert_int_equal(m("  \t\n"), 1);
	assert_string_equal(resolved(""), "true");
}

static void test_unknown_key_is_refused_with_the_keys(void **state)
{
	(void)state;
	assert_string_equal(refused("hr = 1"),
			    "line 1, column 1: unknown partition key \"hr\" (the partition keys "
			    "of sales.events are dt, hour, region)");
	assert_string_equal(refused("hour = 1 and x in (1)"),
			    "line 1, column 14: unknown partition key \"x\" (the partition keys "
			    "of sales.events are dt, hour, region)");
}

static void test_data_column_is_refused(void **state)
{
	(void)state;
	assert_string_equal(refused("name = 'x'"),
			    "line 1, column 1: \"name\" is a data column of sales.events, not a "
			    "partition key: a partition filter can only use partition keys");
	assert_non_null(strstr(refused("'x' = ID"), "\"id\" is a data column of sales.events"));
}

static void test_syntax_errors_say_what_was_expected(void **state)
{
	(void)state;
	assert_string_equal(refused("region ="),
			    "line 1, column 9: expected a string, integer, date or timestamp "
			    "literal, found the end of the filter");
	assert_string_equal(refused("region 'eu'"),
			    "line 1, column 8: expected a comparison operator, IN, BETWEEN or "
			    "LIKE, found \"'eu'\"");
	assert_string_equal(refused("region = 'eu' hour = 1"),
			    "line 1, column 15: expected AND, OR or the end of the filter, found "
			    "\"hour\"");
	assert_string_equal(refused("hour = region"),
			    "line 1, column 8: expected a string, integer, date or timestamp "
			    "literal, found \"region\"");
	assert_string_equal(refused("1 = 1"),
			    "line 1, column 5: expected a partition key, found \"1\"");
	assert_string_equal(refused("(hour = 1"),
			    "line 1, column 10: expected \")\", found the end of the filter");
	assert_string_equal(refused("hour in (1, 2"),
			    "line 1, column 14: expected \",\" or \")\" in the IN list, found the end "
			    "of the filter");
	assert_string_equal(refused("hour between 1 or 2"),
			    "line 1, column 16: expected AND, found \"or\"");
	assert_string_equal(refused("hour = 1 and"),
			    "line 1, column 13: expected a partition key, a literal, NOT or \"(\", "
			    "found the end of the filter");
	assert_string_equal(refused("hour = 1.5"),
			    "line 1, column 8: expected a string, integer, date or timestamp "
			    "literal, found \"1.5\"");
	assert_string_equal(refused("hour = 99999999999999999999"),
			    "line 1, column 8: integer 99999999999999999999 out of range");
	assert_string_equal(refused("dt = date '2024-13-01'"),
			    "line 1, column 6: invalid DATE literal '2024-13-01'");
	assert_string_equal(refused("hour = 1 # 2"),
			    "line 1, column 10: unexpected character");
}

static void test_a_long_token_is_quoted_shortened_at_a_character(void **state)
{
	(void)state;
	char text[256] = "region '", expected[256];
	size_t n = strlen(text);

	for (int i = 0; i < 30; i++, n += 2)
		memcpy(text + n, "\xc3\xa9", 2);   /* é */
	strcpy(text + n, "'");
	/* The quote and 19 é are 39 bytes: the 20th é would not fit whole. */
	strcpy(expected, "line 1, column 8: expected a comparison operator, IN, BETWEEN or LIKE, "
			 "found \"'");
	for (int i = 0; i < 19; i++)
		strcat(expected, "\xc3\xa9");
	strcat(expected, "...\"");
	assert_string_equal(refused(text), expected);
}

static void test_unterminated_strings_are_refused(void **state)
{
	(void)state;
	assert_string_equal(refused("region = 'eu"),
			    "line 1, column 10: unterminated string literal");
	assert_string_equal(refused("region = \"eu"),
			    "line 1, column 10: unterminated string literal");
	assert_string_equal(refused("`region = 'eu'"),
			    "line 1, column 1: unterminated quoted identifier");
}

static void test_types_the_key_cannot_compare_with_are_refused(void **state)
{
	(void)state;
	assert_string_equal(refused("dt > 5"), "line 1, column 1: cannot compare date with bigint");
	assert_string_equal(refused("hour like '1%'"),
			    "line 1, column 1: LIKE needs strings, not bigint");
	assert_string_equal(refused("'e%' like region"),
			    "line 1, column 6: LIKE needs the partition key on its left (key LIKE "
			    "'pattern')");
}

/* N copies of S, then T, then N copies of U, in one malloc'd string. */
static char *repeat(const char *s, size_t n, const char *t, const char *u)
{
	size_t ls = strlen(s), lt = strlen(t), lu = strlen(u);
	char *out = malloc(n * (ls + lu) + lt + 1), *w = out;

	assert_non_null(out);
	for (size_t i = 0; i < n; i++, w += ls)
		memcpy(w, s, ls);
	memcpy(w, t, lt);
	w += lt;
	for (size_t i = 0; i < n; i++, w += lu)
		memcpy(w, u, lu);
	*w = '\0';
	return out;
}

static void test_deep_nesting_is_refused_not_a_crash(void **state)
{
	(void)state;
	char *text = repeat("(", 100000, "hour = 10", ")");

	assert_string_equal(refused(text),
			    "line 1, column 101: partition filter nested too deeply (more than "
			    "100 levels)");
	free(text);
	text = repeat("not ", 100000, "hour = 10", "");
	assert_non_null(strstr(refused(text), "nested too deeply"));
	free(text);
	/* Nesting within the parser's cap that the balanced chains make deeper
	 * than the analyzer's: refused by the analyzer. */
	text = repeat("hour = 1 or hour = 2 or hour = 3 or (", 100, "hour = 10", ")");
	assert_non_null(strstr(refused(text), ": expression nested too deeply"));
	free(text);
	text = repeat("hour = 1 or hour = 2 or hour = 3 or (", 60, "hour = 10", ")");
	assert_int_equal(m(text), 1);
	free(text);
	/* What real clients nest is answered. */
	text = repeat("(", 50, "hour = 10", ")");
	assert_int_equal(m(text), 1);
	free(text);
}

static void test_huge_lists_are_answered(void **state)
{
	(void)state;
	/* A 1 MB IN list: 0, 1, 2, ... */
	textbuf b = TEXTBUF_INIT;
	int i;

	textbuf_puts(&b, "hour in (");
	for (i = 0; b.len < (1u << 20) - 32; i++)
		textbuf_printf(&b, "%s%d", i ? ", " : "", i * 2);
	textbuf_puts(&b, ")");
	assert_int_equal(match(b.data, "2024-05-01", "10", "eu"), 1);
	assert_int_equal(match(b.data, "2024-05-01", "11", "eu"), 0);
	textbuf_reset(&b);
	/* As Spark sends IN: a chain of ORs, balanced, not 60,000 deep. */
	for (i = 0; b.len < (1u << 20) - 32; i++)
		textbuf_printf(&b, "%shour = %d", i ? " or " : "", i * 2);
	assert_int_equal(match(b.data, "2024-05-01", "10", "eu"), 1);
	assert_int_equal(match(b.data, "2024-05-01", "11", "eu"), 0);
	textbuf_reset(&b);
	for (i = 0; b.len < (1u << 20) - 32; i++)
		textbuf_printf(&b, "%shour != %d", i ? " and " : "", i * 2 + 1);
	assert_int_equal(match(b.data, "2024-05-01", "10", "eu"), 1);
	assert_int_equal(match(b.data, "2024-05-01", "11", "eu"), 0);
	/* Short literals are counted, not only bytes. */
	textbuf_reset(&b);
	textbuf_puts(&b, "region in (");
	for (i = 0; b.len < (1u << 20) - 32; i++)
		textbuf_printf(&b, "%s1", i ? "," : "");
	textbuf_puts(&b, ")");
	assert_string_equal(refused(b.data),
			    "line 1, column 400012: partition filter has more than 200000 literals");
	textbuf_free(&b);
}

static void test_too_long_a_filter_is_refused(void **state)
{
	(void)state;
	size_t n = (size_t)SQL_HIVE_FILTER_MAX + 1;
	char *text = malloc(n + 1);

	assert_non_null(text);
	memset(text, ' ', n);
	text[n] = '\0';
	assert_non_null(strstr(refused(text), "partition filter too long"));
	free(text);
}

static void test_unpartitioned_table_refuses_any_key(void **state)
{
	(void)state;
	store_table t = table;
	mgr_part_filter *f = NULL;

	t.ncolumns = 5;
	t.npartkeys = 0;
	assert_int_equal(mgr_part_filter_parse(&t, "x = 1", &f, err, sizeof err), -EINVAL);
	assert_string_equal(err, "line 1, column 1: unknown partition key \"x\": sales.events is "
				 "not partitioned");
	assert_int_equal(mgr_part_filter_parse(&t, "", &f, err, sizeof err), 0);
	assert_int_equal(mgr_part_filter_match(f, NULL), 1);
	mgr_part_filter_free(f);
	mgr_part_filter_free(NULL);
}

/* ---- the same partitions as a job's WHERE -------------------------------------------------- */

static const char *const agree_dt[] = { "2024-04-30", "2024-05-01", "2024-05-02", "notadate",
					"__HIVE_DEFAULT_PARTITION__" };
static const char *const agree_hour[] = { "9", "09", "10", "abc", "__HIVE_DEFAULT_PARTITION__" };
static const char *const agree_region[] = { "eu", "us", "e_x", "__HIVE_DEFAULT_PARTITION__" };

/* The partitions of sales.events a job reading WHERE COND would read,
 * counted by the optimizer's partition pruning. */
static uint64_t pruned_by_a_job(fx *f, const char *cond)
{
	char sql[512];
	sql_script sc;
	sql_error e = { 0 };
	sql_rule_log log = { 0 };
	sql_plan *p;
	char msg[600];

	snprintf(sql, sizeof sql, "SELECT id FROM sales.events WHERE %s", cond);
	if (sql_parse(f->a, sql, strlen(sql), &sc, &e) ||
	    sql_analyze(f->a, &f->cat, sc.stmts[0], &e) ||
	    sql_optimize(f->a, &f->cat, &sc.stmts[0]->query, &log, &e)) {
		sql_error_format(&e, msg, sizeof msg);
		fail_msg("%s: %s", sql, msg);
	}
	for (p = sc.stmts[0]->query; p && p->kind != SQL_PLAN_SCAN; p = p->child[0])
		;
	/* No scan left: the optimizer proved the filter false. */
	return p ? p->scan->partitions_selected : 0;
}

/* The partitions of the same table the Hive filter COND passes. */
static uint64_t passed_by_the_filter(const store_table *t, const char *cond)
{
	mgr_part_filter *pf = NULL;
	char values[3][STORE_NAME_MAX + 1];
	uint64_t n = 0;

	if (mgr_part_filter_parse(t, cond, &pf, err, sizeof err))
		fail_msg("%s: %s", cond, err);
	for (size_t d = 0; d < sizeof agree_dt / sizeof agree_dt[0]; d++)
		for (size_t h = 0; h < sizeof agree_hour / sizeof agree_hour[0]; h++)
			for (size_t r = 0; r < sizeof agree_region / sizeof agree_region[0]; r++) {
				snprintf(values[0], sizeof values[0], "%s", agree_dt[d]);
				snprintf(values[1], sizeof values[1], "%s", agree_hour[h]);
				snprintf(values[2], sizeof values[2], "%s", agree_region[r]);
				int rc = mgr_part_filter_match(pf, values);

				assert_true(rc == 0 || rc == 1);
				n += (uint64_t)rc;
			}
	mgr_part_filter_free(pf);
	return n;
}

static void test_filter_passes_the_partitions_a_jobs_where_reads(void **state)
{
	(void)state;
	/* Conditions that are both a Hive filter and a WHERE clause. */
	static const char *const conds[] = {
		"hour > 9", "hour = 9", "hour >= '9'", "9 < hour", "hour <> 10", "hour != 10",
		"hour between 9 and 10", "hour not between 9 and 9", "hour in (9, 10)",
		"hour not in (9)", "(hour) in (10)", "not hour = 9",
		"region = \"eu\"", "region = 'eu'", "region > 'f'", "region like 'e%'",
		"region like 'e_x'", "region not like 'e%'", "region in ('eu', 'us')",
		"dt = '2024-05-01'", "dt < \"2024-05-02\"", "dt = date '2024-05-01'",
		"dt between '2024-05-01' and '2024-05-31'", "dt >= timestamp '2024-05-01 00:00:00'",
		"dt in ('2024-04-30', '2024-05-02')", "not dt > '2024-05-01'",
		"hour = 10 and region = 'eu'", "hour = 10 or region = 'eu'",
		"not (hour = 10 or region = 'us')", "(dt = '2024-05-01' or hour = 9) and region != 'us'",
		"REGION = 'eu' AND `Hour` > 9",
	};
	fx f;
	store_txn *txn;
	store_table t = { 0 };

	assert_int_equal(fx_open(&f), 0);
	assert_int_equal(fx_table(&f, "sales", "events", STORE_FORMAT_CSV, true,
				  "id:bigint,name:string", "dt:date,hour:bigint,region:string"),
			 0);
	for (size_t d = 0; d < sizeof agree_dt / sizeof agree_dt[0]; d++)
		for (size_t h = 0; h < sizeof agree_hour / sizeof agree_hour[0]; h++)
			for (size_t r = 0; r < sizeof agree_region / sizeof agree_region[0]; r++) {
				const char *v[3] = { agree_dt[d], agree_hour[h], agree_region[r] };

				assert_int_equal(fx_add_file(&f, "sales", "events", v, "part-0.csv",
							     "id,name\n1,a\n"),
						 0);
			}
	assert_int_equal(store_read_begin(f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "events", &t), 0);
	store_abort(txn);
	for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
		uint64_t job = pruned_by_a_job(&f, conds[i]), filter = passed_by_the_filter(&t, conds[i]);

		if (job != filter)
			fail_msg("%s: a job reads %llu partitions, the filter passes %llu", conds[i],
				 (unsigned long long)job, (unsigned long long)filter);
	}
	/* Not vacuous: the conditions select different partitions. */
	assert_int_equal(passed_by_the_filter(&t, "hour > 9"), 5 * 4);
	assert_int_equal(passed_by_the_filter(&t, "hour = 9"), 2 * 5 * 4);
	assert_int_equal(passed_by_the_filter(&t, "region like 'e_x'"), 5 * 5);
	store_table_clear(&t);
	fx_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality_with_either_quote),
		cmocka_unit_test(test_and_or_and_precedence),
		cmocka_unit_test(test_every_comparison_operator),
		cmocka_unit_test(test_int_key_compares_as_a_number),
		cmocka_unit_test(test_string_key_compares_as_a_string),
		cmocka_unit_test(test_date_key_compares_as_a_date),
		cmocka_unit_test(test_between_and_not_between),
		cmocka_unit_test(test_in_and_not_in),
		cmocka_unit_test(test_like_reads_sql_patterns),
		cmocka_unit_test(test_like_reads_the_regular_expressions_spark_sends),
		cmocka_unit_test(test_struct_in_over_several_keys),
		cmocka_unit_test(test_not_and_parentheses),
		cmocka_unit_test(test_names_in_any_case_and_backquoted),
		cmocka_unit_test(test_values_that_are_not_of_the_key_type_match_nothing),
		cmocka_unit_test(test_empty_filter_passes_every_partition),
		cmocka_unit_test(test_unknown_key_is_refused_with_the_keys),
		cmocka_unit_test(test_data_column_is_refused),
		cmocka_unit_test(test_syntax_errors_say_what_was_expected),
		cmocka_unit_test(test_a_long_token_is_quoted_shortened_at_a_character),
		cmocka_unit_test(test_unterminated_strings_are_refused),
		cmocka_unit_test(test_types_the_key_cannot_compare_with_are_refused),
		cmocka_unit_test(test_deep_nesting_is_refused_not_a_crash),
		cmocka_unit_test(test_huge_lists_are_answered),
		cmocka_unit_test(test_too_long_a_filter_is_refused),
		cmocka_unit_test(test_unpartitioned_table_refuses_any_key),
		cmocka_unit_test(test_filter_passes_the_partitions_a_jobs_where_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
