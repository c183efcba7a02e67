/*
 * test_store_name.c - names, Hive path escaping and column type names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"

/* Hive's FileUtils.escapePathName set, written out independently of the
 * implementation. */
static bool hive_escapes(unsigned c)
{
	if (c >= 0x01 && c <= 0x1f)
		return true;
	switch (c) {
	case '"': case '#': case '%': case '\'': case '*': case '/': case ':': case '=':
	case '?': case '\\': case 0x7f: case '{': case '[': case ']': case '^':
		return true;
	default:
		return false;
	}
}

static void test_name_accepts_ordinary_names(void **state)
{
	char longest[STORE_NAME_MAX + 1];
	const char *why = NULL;

	(void)state;
	memset(longest, 'x', STORE_NAME_MAX);
	longest[STORE_NAME_MAX] = '\0';
	assert_true(store_name_valid("sales", &why));
	assert_null(why);
	assert_true(store_name_valid("...", NULL));
	assert_true(store_name_valid(".hidden", NULL));
	assert_true(store_name_valid("a b=c%2F", NULL));
	assert_true(store_name_valid("caf\xc3\xa9", NULL));
	assert_true(store_name_valid(longest, NULL));
}

static void test_name_rejects_dot_dotdot_slash_and_long(void **state)
{
	char toolong[STORE_NAME_MAX + 2];
	const char *bad[] = { "", ".", "..", "a/b", "/", "db/", NULL };
	const char *why;

	(void)state;
	memset(toolong, 'x', sizeof toolong - 1);
	toolong[sizeof toolong - 1] = '\0';
	for (int i = 0; bad[i]; i++) {
		why = NULL;
		assert_false(store_name_valid(bad[i], &why));
		assert_non_null(why);
	}
	why = NULL;
	assert_false(store_name_valid(toolong, &why));
	assert_non_null(strstr(why, "255"));
	assert_false(store_name_valid(NULL, NULL));
}

static void test_name_rejects_control_characters(void **state)
{
	const char *bad[] = { "a\nb", "tab\there", "\x01", "del\x7f", NULL };
	const char *why;

	(void)state;
	for (int i = 0; bad[i]; i++) {
		why = NULL;
		assert_false(store_name_valid(bad[i], &why));
		assert_non_null(strstr(why, "control character"));
	}
	assert_true(store_name_valid("a b~!\xc3\xa9", NULL));
}

static void test_hive_escape_matches_hive_character_set(void **state)
{
	char raw[2] = { 0 }, out[8], expect[8];

	(void)state;
	for (unsigned c = 1; c < 256; c++) {
		raw[0] = (char)c;
		assert_int_equal(store_hive_escape(raw, out, sizeof out), 0);
		if (hive_escapes(c))
			snprintf(expect, sizeof expect, "%%%02X", c);
		else
			memcpy(expect, raw, 2);
		assert_string_equal(out, expect);
	}
	assert_int_equal(store_hive_escape("2024-05-01 03:00", out, sizeof out), -ENAMETOOLONG);
}

static void test_hive_escape_of_path_like_values(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(store_hive_escape("a/b", out, sizeof out), 0);
	assert_string_equal(out, "a%2Fb");
	assert_int_equal(store_hive_escape("2024-05-01 03:00", out, sizeof out), 0);
	assert_string_equal(out, "2024-05-01 03%3A00");
	assert_int_equal(store_hive_escape("100%", out, sizeof out), 0);
	assert_string_equal(out, "100%25");
	assert_int_equal(store_hive_escape("", out, sizeof out), 0);
	assert_string_equal(out, "");
}

static void test_hive_escape_roundtrip_all_bytes(void **state)
{
	char raw[256], esc[3 * 255 + 1], back[256];

	(void)state;
	/* Every byte alone, between ordinary characters. */
	for (unsigned c = 1; c < 256; c++) {
		raw[0] = 'a';
		raw[1] = (char)c;
		raw[2] = 'z';
		raw[3] = '\0';
		assert_int_equal(store_hive_escape(raw, esc, sizeof esc), 0);
		assert_null(strchr(esc, '/'));
		assert_int_equal(store_hive_unescape(esc, back, sizeof back), 0);
		assert_string_equal(back, raw);
	}
	/* All of them at once. */
	for (unsigned c = 1; c < 256; c++)
		raw[c - 1] = (char)c;
	raw[255] = '\0';
	assert_int_equal(store_hive_escape(raw, esc, sizeof esc), 0);
	assert_int_equal(store_hive_unescape(esc, back, sizeof back), 0);
	assert_memory_equal(back, raw, 256);
}

static void test_hive_escape_reports_overflow(void **state)
{
	char out[8];

	(void)state;
	/* "a%2Fb" is 5 bytes: 6 with the NUL fits, 5 does not. */
	assert_int_equal(store_hive_escape("a/b", out, 6), 0);
	assert_string_equal(out, "a%2Fb");
	assert_int_equal(store_hive_escape("a/b", out, 5), -ENAMETOOLONG);
	assert_int_equal(store_hive_escape("abcdefgh", out, sizeof out), -ENAMETOOLONG);
	assert_int_equal(store_hive_unescape("abcdefgh", out, sizeof out), -ENAMETOOLONG);
	assert_int_equal(store_hive_unescape("abc%2F", out, 5), 0);
	assert_string_equal(out, "abc/");
}

static void test_hive_unescape_rejects_malformed(void **state)
{
	const char *bad[] = { "%", "%2", "a%", "a%2", "%G0", "%0G", "%zz", "%00", "x%%41", NULL };
	char out[32];

	(void)state;
	for (int i = 0; bad[i]; i++) {
		out[0] = 'q';
		assert_int_equal(store_hive_unescape(bad[i], out, sizeof out), -EINVAL);
		assert_string_equal(out, "");
	}
}

static void test_hive_unescape_accepts_either_hex_case(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(store_hive_unescape("a%2fb%3A", out, sizeof out), 0);
	assert_string_equal(out, "a/b:");
	assert_int_equal(store_hive_unescape("plain", out, sizeof out), 0);
	assert_string_equal(out, "plain");
}

static void test_type_parse_accepts_any_case_and_int_alias(void **state)
{
	store_type t;

	(void)state;
	assert_int_equal(store_type_parse("STRING", &t), 0);
	assert_int_equal(t, STORE_TYPE_STRING);
	assert_int_equal(store_type_parse("BigInt", &t), 0);
	assert_int_equal(t, STORE_TYPE_BIGINT);
	assert_int_equal(store_type_parse("int", &t), 0);
	assert_int_equal(t, STORE_TYPE_BIGINT);
	assert_int_equal(store_type_parse("INT", &t), 0);
	assert_int_equal(t, STORE_TYPE_BIGINT);
	assert_int_equal(store_type_parse("Timestamp", &t), 0);
	assert_int_equal(t, STORE_TYPE_TIMESTAMP);
	assert_int_equal(store_type_parse("varchar", &t), -EINVAL);
	assert_int_equal(store_type_parse("", &t), -EINVAL);
	assert_int_equal(store_type_parse("string ", &t), -EINVAL);
}

static void test_type_name_parses_back_to_the_same_type(void **state)
{
	store_type back;

	(void)state;
	for (int t = STORE_TYPE_STRING; t <= STORE_TYPE_TIMESTAMP; t++) {
		const char *name = store_type_name((store_type)t);

		assert_non_null(name);
		assert_int_equal(store_type_parse(name, &back), 0);
		assert_int_equal(back, t);
	}
	assert_string_equal(store_type_name(STORE_TYPE_DOUBLE), "double");
	assert_null(store_type_name((store_type)0));
	assert_null(store_type_name((store_type)7));
}

static void test_decimal_types_parse_with_precision_and_scale(void **state)
{
	store_type t;

	(void)state;
	assert_int_equal(store_type_parse("decimal(15,2)", &t), 0);
	assert_int_equal(t, store_type_decimal(15, 2));
	assert_int_equal(store_type_base(t), STORE_TYPE_DECIMAL);
	assert_int_equal(store_type_precision(t), 15);
	assert_int_equal(store_type_scale(t), 2);
	assert_int_equal(store_type_parse("DECIMAL( 38 , 38 )", &t), 0);
	assert_int_equal(t, store_type_decimal(38, 38));
	assert_int_equal(store_type_parse("numeric(5)", &t), 0);
	assert_int_equal(t, store_type_decimal(5, 0));
	assert_int_equal(store_type_parse("Dec", &t), 0);
	assert_int_equal(t, store_type_decimal(10, 0));
	assert_int_equal(store_type_parse("decimal", &t), 0);
	assert_int_equal(t, store_type_decimal(10, 0));
	const char *bad[] = {"decimal(39,2)", "decimal(5,6)", "decimal(0)", "decimal(15,2",
			     "decimal(15,2)x", "decimal (15,2)", "decimal(,2)", "decimal(123,1)",
			     "decimal()", "decimals", "decimal(1,2,3)", "decimal(-1,0)"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (store_type_parse(bad[i], &t) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void test_decimal_type_names_parse_back(void **state)
{
	store_type back;

	(void)state;
	for (unsigned p = 1; p <= STORE_DECIMAL_MAX_PRECISION; p++) {
		for (unsigned sc = 0; sc <= p; sc++) {
			const char *name = store_type_name(store_type_decimal(p, sc));

			assert_non_null(name);
			assert_int_equal(store_type_parse(name, &back), 0);
			assert_int_equal(back, store_type_decimal(p, sc));
		}
	}
	assert_string_equal(store_type_name(store_type_decimal(15, 2)), "decimal(15,2)");
	assert_null(store_type_name(store_type_decimal(39, 0)));
	assert_null(store_type_name(store_type_decimal(5, 6)));
	assert_true(store_type_valid(store_type_decimal(1, 1)));
	assert_false(store_type_valid(store_type_decimal(0, 0)));
	assert_false(store_type_valid((store_type)(STORE_TYPE_BIGINT | (5u << 8))));
}

/* A property must read back from its .schema line as itself. */
static void expect_property(const char *key, size_t klen, const char *value, size_t vlen,
			    const char *message)
{
	char err[200] = "";
	int rc = store_property_check(key, klen, value, vlen, err, sizeof err);

	if (!message) {
		if (rc != 0)
			fail_msg("refused: %s", err);
		return;
	}
	assert_int_equal(rc, -EINVAL);
	if (strcmp(err, message))
		fail_msg("expected \"%s\", got \"%s\"", message, err);
}

#define PROP(k, v, m) expect_property(k, sizeof k - 1, v, sizeof v - 1, m)

static void test_property_check_refuses_what_would_not_read_back(void **state)
{
	(void)state;
	PROP("owner", "sales eng", NULL);
	PROP("a b", "x = y", NULL);
	PROP(" team ", " 'q' \"d\" ", NULL);
	PROP("k#1", "a#b", NULL);
	PROP("\xc3\xa9t\xc3\xa9", "\xe2\x82\xac \xf0\x9f\x98\x80", NULL);
	PROP("k", "", NULL);
	PROP("k", "a\nformat jsonl", "property 'k': value holds a control character (U+000A)");
	PROP("k", "a\rb", "property 'k': value holds a control character (U+000D)");
	PROP("k", "a\0format jsonl", "property 'k': value holds a control character (U+0000)");
	PROP("k", "a\tb", "property 'k': value holds a control character (U+0009)");
	PROP("k", "a\x7f", "property 'k': value holds a control character (U+007F)");
	PROP("k", "a\xc2\x85z", "property 'k': value holds a control character (U+0085)");
	PROP("k\nformat", "v", "property 'k?format': name holds a control character (U+000A)");
	PROP("k\xc2\x9b", "v", "property 'k?': name holds a control character (U+009B)");
	PROP("", "v", "property '': empty name");
	PROP("  ", "v", "property '  ': empty name");
	PROP("a=b", "v", "property 'a=b': name holds '='");
	PROP("#k", "v", "property '#k': name holds a '#' that .schema reads as a comment");
	PROP("k", "#v", "property 'k': value holds a '#' that .schema reads as a comment");
	PROP("k", " #v", "property 'k': value holds a '#' that .schema reads as a comment");
	PROP("k", "a #v", "property 'k': value holds a '#' that .schema reads as a comment");
	assert_int_equal(store_text_control("abc", 3), -1);
	assert_int_equal(store_text_control("\xc2\xa0", 2), -1);   /* U+00A0 is no control */
	assert_int_equal(store_text_control("\xc2", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_accepts_ordinary_names),
		cmocka_unit_test(test_name_rejects_dot_dotdot_slash_and_long),
		cmocka_unit_test(test_name_rejects_control_characters),
		cmocka_unit_test(test_property_check_refuses_what_would_not_read_back),
		cmocka_unit_test(test_hive_escape_matches_hive_character_set),
		cmocka_unit_test(test_hive_escape_of_path_like_values),
		cmocka_unit_test(test_hive_escape_roundtrip_all_bytes),
		cmocka_unit_test(test_hive_escape_reports_overflow),
		cmocka_unit_test(test_hive_unescape_rejects_malformed),
		cmocka_unit_test(test_hive_unescape_accepts_either_hex_case),
		cmocka_unit_test(test_type_parse_accepts_any_case_and_int_alias),
		cmocka_unit_test(test_type_name_parses_back_to_the_same_type),
		cmocka_unit_test(test_decimal_types_parse_with_precision_and_scale),
		cmocka_unit_test(test_decimal_type_names_parse_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
