/*
 * test_fmt_jsonl.c - JSON Lines (fmt_jsonl.h): what a record is, parsing
 * one, what its fields hold, the text of numbers, and the record counts and
 * check of fmt_file_scan().
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

#include "store.h"
#include "fmt_jsonl.h"
#include "fmt_scan.h"

/* Records are the non-blank lines; their text starts at the first byte
 * that is not blank and ends before the LF; lines are physical lines. */
static void test_records(void **state)
{
	const char *d = "\n  {\"a\":1}\r\n \t\r\n{\"b\":2}\n\n\n   {\"c\":3}";
	fmt_jsonl j;
	const char *t;
	size_t n;
	uint64_t line;

	(void)state;
	fmt_jsonl_init(&j, d, strlen(d));
	assert_int_equal(fmt_jsonl_next(&j, &t, &n, &line), 0);
	assert_int_equal(line, 2);
	assert_int_equal(n, strlen("{\"a\":1}\r"));
	assert_memory_equal(t, "{\"a\":1}\r", n);
	assert_int_equal(fmt_jsonl_next(&j, &t, &n, &line), 0);
	assert_int_equal(line, 4);
	assert_memory_equal(t, "{\"b\":2}", n);
	assert_int_equal(fmt_jsonl_next(&j, &t, &n, &line), 0);
	assert_int_equal(line, 7);
	assert_int_equal(n, strlen("{\"c\":3}"));
	assert_int_equal(fmt_jsonl_next(&j, &t, &n, &line), 1);
	assert_int_equal(fmt_jsonl_next(&j, &t, &n, &line), 1);

	assert_int_equal(fmt_jsonl_count(d, strlen(d)), 3);
	assert_int_equal(fmt_jsonl_count("", 0), 0);
	assert_int_equal(fmt_jsonl_count(" \r\n\t\n", 5), 0);
	assert_int_equal(fmt_jsonl_count("x", 1), 1);
}

static void parse_ok(const char *text, bool big_ints, fmt_jsonl_record *rec)
{
	char why[FMT_JSONL_WHY_MAX];

	assert_int_equal(fmt_jsonl_parse(text, strlen(text), big_ints, rec, why, NULL), 0);
	assert_non_null(rec->obj);
}

/* A record that is not an object is refused with the parser's message, or
 * "not a JSON object" for valid JSON of another kind. */
static void test_parse_refused(void **state)
{
	char why[FMT_JSONL_WHY_MAX];
	fmt_jsonl_record rec;
	bool syntax = false;

	(void)state;
	assert_int_equal(fmt_jsonl_parse("[1,2]", 5, false, &rec, why, &syntax), -EINVAL);
	assert_string_equal(why, "not a JSON object");
	assert_false(syntax);
	assert_null(rec.obj);
	assert_int_equal(fmt_jsonl_parse("{\"a\":", 5, false, &rec, why, &syntax), -EINVAL);
	assert_true(syntax);
	assert_true(strlen(why) > 0);
	assert_string_not_equal(why, "not a JSON object");
	assert_null(rec.obj);
}

/* Every kind of value a field holds; a missing key and null are NULL. */
static void test_fields(void **state)
{
	fmt_jsonl_record rec;
	fmt_json_value v;

	(void)state;
	parse_ok("{\"s\":\"h\\u00e9\",\"i\":-42,\"r\":1.5,\"t\":true,\"f\":false,\"n\":null,"
		 "\"o\":{\"x\":[1]},\"a\":[1,2],\"i\":7}", false, &rec);
	fmt_jsonl_get(&rec, "s", &v);
	assert_int_equal(v.kind, FMT_JSON_STRING);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.str, "h\xc3\xa9", 3);
	fmt_jsonl_get(&rec, "i", &v);   /* the last of a repeated key */
	assert_int_equal(v.kind, FMT_JSON_INTEGER);
	assert_int_equal(v.i, 7);
	assert_true(v.d == 7.0);
	fmt_jsonl_get(&rec, "r", &v);
	assert_int_equal(v.kind, FMT_JSON_REAL);
	assert_true(v.d == 1.5);
	fmt_jsonl_get(&rec, "t", &v);
	assert_int_equal(v.kind, FMT_JSON_BOOLEAN);
	assert_true(v.b);
	fmt_jsonl_get(&rec, "f", &v);
	assert_int_equal(v.kind, FMT_JSON_BOOLEAN);
	assert_false(v.b);
	fmt_jsonl_get(&rec, "n", &v);
	assert_int_equal(v.kind, FMT_JSON_NULL);
	assert_non_null(v.json);
	fmt_jsonl_get(&rec, "missing", &v);
	assert_int_equal(v.kind, FMT_JSON_NULL);
	assert_null(v.json);
	assert_null(fmt_json_value_text(&v));
	fmt_jsonl_get(&rec, "o", &v);
	assert_int_equal(v.kind, FMT_JSON_NESTED);
	char *txt = fmt_json_value_text(&v);
	assert_string_equal(txt, "{\"x\":[1]}");
	free(txt);
	fmt_jsonl_get(&rec, "a", &v);
	assert_int_equal(v.kind, FMT_JSON_NESTED);
	fmt_jsonl_get(&rec, "r", &v);
	txt = fmt_json_value_text(&v);
	assert_string_equal(txt, "1.5");
	free(txt);
	fmt_jsonl_record_free(&rec);
	assert_null(rec.obj);
}

/* The text of a number as written, for decimals; the last of repeated
 * keys; none for a string, or a key written with escapes. */
static void test_number_text(void **state)
{
	fmt_jsonl_record rec;
	const char *t;
	size_t n;

	(void)state;
	parse_ok("{ \"p\" : 1.50 , \"q\":{\"p\":9},\"e\":-2E3,\"s\":\"12\",\"d\":1,\"d\":2.250,"
		 "\"k\\u0065y\":5}", false, &rec);
	assert_true(fmt_jsonl_number_text(&rec, "p", &t, &n));
	assert_int_equal(n, 4);
	assert_memory_equal(t, "1.50", 4);
	assert_true(fmt_jsonl_number_text(&rec, "e", &t, &n));
	assert_memory_equal(t, "-2E3", n);
	assert_true(fmt_jsonl_number_text(&rec, "d", &t, &n));
	assert_int_equal(n, 5);
	assert_memory_equal(t, "2.250", 5);
	assert_false(fmt_jsonl_number_text(&rec, "s", &t, &n));
	assert_false(fmt_jsonl_number_text(&rec, "key", &t, &n));
	assert_false(fmt_jsonl_number_text(&rec, "x", &t, &n));
	fmt_jsonl_record_free(&rec);
}

/* An integer beyond 64 bits: refused by the parser unless BIG_INTS, where
 * every integer of the record is a real and its text is still there. */
static void test_big_integers(void **state)
{
	const char *text = "{\"big\":123456789012345678901234567890,\"small\":3}";
	char why[FMT_JSONL_WHY_MAX];
	fmt_jsonl_record rec;
	fmt_json_value v;
	const char *t;
	size_t n;

	(void)state;
	assert_int_equal(fmt_jsonl_parse(text, strlen(text), false, &rec, why, NULL), -EINVAL);
	assert_non_null(strstr(why, "too big"));
	parse_ok(text, true, &rec);
	assert_true(rec.ints_as_real);
	fmt_jsonl_get(&rec, "small", &v);
	assert_int_equal(v.kind, FMT_JSON_REAL);
	assert_true(v.d == 3.0);
	assert_true(fmt_jsonl_number_text(&rec, "big", &t, &n));
	assert_int_equal(n, 30);
	fmt_jsonl_record_free(&rec);
	parse_ok("{\"small\":3}", true, &rec);
	assert_false(rec.ints_as_real);
	fmt_jsonl_get(&rec, "small", &v);
	assert_int_equal(v.kind, FMT_JSON_INTEGER);
	fmt_jsonl_record_free(&rec);
}

/* fmt_file_scan over a jsonl table: its records, and the check. */
static void test_scan(void **state)
{
	store_table t = {.db = "d", .name = "t", .format = STORE_FORMAT_JSONL};
	fmt_file_stats st;
	fmt_error err;
	const char *ok = "\n {\"a\":1}\n\n{\"a\":2}\r\n  \n";

	(void)state;
	assert_int_equal(fmt_file_scan_mem(ok, strlen(ok), "x.jsonl", &t, &st, &err), 0);
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.bytes, strlen(ok));
	fmt_file_stats_clear(&st);
	assert_int_equal(fmt_file_scan_mem(" \n", 2, "x.jsonl", &t, &st, &err), 0);
	assert_int_equal(st.rows, 0);
	assert_int_equal(fmt_file_scan_mem("a,b\n", 4, "x.jsonl", &t, &st, &err), -EINVAL);
	assert_string_equal(err.msg, "x.jsonl: not JSON lines (the first byte that is not blank "
				     "is not '{'), in jsonl table d.t");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_number_text),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
