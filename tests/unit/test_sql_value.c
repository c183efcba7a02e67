/*
 * test_sql_value.c - casts, comparison, rendering, the calendar, the common
 * type rule and the scalar functions, against Spark's answers.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fmt_text.h"
#include "sql_int.h"

static sql_value str(const char *s)
{
	return (sql_value){.type = SQL_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}};
}

static sql_value big(int64_t i)
{
	return (sql_value){.type = SQL_TYPE_BIGINT, .u.i = i};
}

static sql_value dbl(double d)
{
	return (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = d};
}

static int64_t date_of(const char *s)
{
	int64_t d = 0;

	assert_int_equal(sql_date_parse(s, strlen(s), &d), 0);
	return d;
}

static int64_t ts_of(const char *s)
{
	int64_t us = 0;

	assert_int_equal(sql_timestamp_parse(s, strlen(s), &us), 0);
	return us;
}

/* The text a value prints as. */
static void assert_prints(sql_value v, const char *want)
{
	textbuf b = TEXTBUF_INIT;

	sql_value_print(&v, &b);
	assert_non_null(b.data);
	assert_string_equal(b.data, want);
	textbuf_free(&b);
}

static sql_value apply(sql_arena *a, sql_func f, uint32_t n, ...)
{
	sql_value args[4], out;
	va_list ap;

	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++)
		args[i] = va_arg(ap, sql_value);
	va_end(ap);
	assert_int_equal(sql_func_apply(a, f, args, n, &out), 0);
	return out;
}

static void test_date_parse_counts_days_from_the_epoch(void **state)
{
	(void)state;
	assert_int_equal(date_of("1970-01-01"), 0);
	assert_int_equal(date_of("1970-01-02"), 1);
	assert_int_equal(date_of("2000-03-01"), 11017);
	assert_int_equal(date_of("2024-05-01"), 19844);
}

static void test_dates_before_the_epoch_are_negative_days(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(date_of("1969-12-31"), -1);
	assert_int_equal(date_of("1900-01-01"), -25567);
	fmt_date_text(-1, buf);
	assert_string_equal(buf, "1969-12-31");
	fmt_date_text(-25567, buf);
	assert_string_equal(buf, "1900-01-01");
}

static void test_february_29_exists_only_in_leap_years(void **state)
{
	int64_t d;

	(void)state;
	assert_int_equal(sql_date_parse("2024-02-29", 10, &d), 0);
	assert_int_equal(sql_date_parse("2000-02-29", 10, &d), 0);
	assert_int_equal(sql_date_parse("2023-02-29", 10, &d), -EINVAL);
	assert_int_equal(sql_date_parse("1900-02-29", 10, &d), -EINVAL);
	assert_int_equal(date_of("2024-03-01") - date_of("2024-02-28"), 2);
	assert_int_equal(date_of("2023-03-01") - date_of("2023-02-28"), 1);
}

static void test_date_parse_refuses_impossible_dates(void **state)
{
	int64_t d;

	(void)state;
	assert_int_equal(sql_date_parse("2024-13-01", 10, &d), -EINVAL);
	assert_int_equal(sql_date_parse("2024-04-31", 10, &d), -EINVAL);
	assert_int_equal(sql_date_parse("2024-00-10", 10, &d), -EINVAL);
	assert_int_equal(sql_date_parse("hello", 5, &d), -EINVAL);
	assert_int_equal(sql_date_parse("", 0, &d), -EINVAL);
}

static void test_date_parse_ignores_a_time_of_day_as_spark_does(void **state)
{
	(void)state;
	assert_int_equal(date_of("2024-05-01 10:30:00"), date_of("2024-05-01"));
	assert_int_equal(date_of("2024-5-1"), date_of("2024-05-01"));
}

static void test_date_format_round_trips_over_four_centuries(void **state)
{
	char buf[32];

	(void)state;
	for (int64_t d = -146097; d <= 146097; d += 37) {
		int64_t back;
		size_t n = fmt_date_text(d, buf);
		assert_int_equal(sql_date_parse(buf, n, &back), 0);
		assert_int_equal(back, d);
	}
}

static void test_timestamp_parse_and_format_with_fractions(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(ts_of("1970-01-01 00:00:01"), 1000000);
	assert_int_equal(ts_of("1970-01-01T00:00:00.5"), 500000);
	assert_int_equal(ts_of("2024-05-01"), date_of("2024-05-01") * INT64_C(86400000000));
	fmt_timestamp_text(ts_of("2024-05-01 03:04:05.120000"), buf);
	assert_string_equal(buf, "2024-05-01 03:04:05.12");
	fmt_timestamp_text(ts_of("2024-05-01 23:59:59"), buf);
	assert_string_equal(buf, "2024-05-01 23:59:59");
	fmt_timestamp_text(-1, buf);
	assert_string_equal(buf, "1969-12-31 23:59:59.999999");
}

static void test_timestamp_parse_refuses_bad_times(void **state)
{
	int64_t us;

	(void)state;
	assert_int_equal(sql_timestamp_parse("2024-05-01 24:00:00", 19, &us), -EINVAL);
	assert_int_equal(sql_timestamp_parse("2024-05-01 10:60", 16, &us), -EINVAL);
	assert_int_equal(sql_timestamp_parse("2024-05-01 10:00:00x", 20, &us), -EINVAL);
}

static void test_cast_of_unparsable_string_is_null(void **state)
{
	sql_value v = str("abc"), out;

	(void)state;
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_true(out.null);
	assert_int_equal(out.type, SQL_TYPE_BIGINT);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_DOUBLE, &out), 0);
	assert_true(out.null);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_DATE, &out), 0);
	assert_true(out.null);
}

static void test_cast_string_to_numbers_like_spark(void **state)
{
	sql_value out, v;

	(void)state;
	v = str(" 42 ");
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_false(out.null);
	assert_int_equal(out.u.i, 42);
	v = str("1.9");
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_int_equal(out.u.i, 1);
	v = str("9223372036854775808");
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_true(out.null);
	v = str("-2.5e3");
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_DOUBLE, &out), 0);
	assert_true(out.u.d == -2500.0);
	v = str("yes");
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BOOLEAN, &out), 0);
	assert_true(out.u.b);
}

static void test_cast_double_to_bigint_truncates_and_saturates(void **state)
{
	sql_value out, v;

	(void)state;
	v = dbl(-2.9);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_int_equal(out.u.i, -2);
	v = dbl(1e30);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_true(out.u.i == INT64_MAX);
	v = dbl(NAN);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), 0);
	assert_int_equal(out.u.i, 0);
}

static void test_cast_between_dates_and_timestamps(void **state)
{
	sql_value v = {.type = SQL_TYPE_TIMESTAMP, .u.i = ts_of("1969-12-31 23:00:00")}, out;

	(void)state;
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_DATE, &out), 0);
	assert_int_equal(out.u.i, -1);
	v = (sql_value){.type = SQL_TYPE_DATE, .u.i = 1};
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_TIMESTAMP, &out), 0);
	assert_int_equal(out.u.i, INT64_C(86400000000));
}

static void test_cast_of_date_to_number_is_impossible(void **state)
{
	sql_value v = {.type = SQL_TYPE_DATE, .u.i = 3}, out;

	(void)state;
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BIGINT, &out), -EINVAL);
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_BOOLEAN, &out), -EINVAL);
}

static void test_cast_to_string_renders_into_the_arena(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value v = dbl(0.1), out;

	(void)state;
	assert_int_equal(sql_value_cast(a, &v, SQL_TYPE_STRING, &out), 0);
	assert_int_equal(out.u.s.len, 3);
	assert_memory_equal(out.u.s.ptr, "0.1", 3);
	v = (sql_value){.type = SQL_TYPE_DATE, .u.i = 19844};
	assert_int_equal(sql_value_cast(NULL, &v, SQL_TYPE_STRING, &out), 0);
	assert_memory_equal(out.u.s.ptr, "2024-05-01", 10);
	sql_arena_free(a);
}

static void test_doubles_print_as_java_does(void **state)
{
	(void)state;
	assert_prints(dbl(1), "1.0");
	assert_prints(dbl(0.1), "0.1");
	assert_prints(dbl(-2.5), "-2.5");
	assert_prints(dbl(1234567.0), "1234567.0");
	assert_prints(dbl(1e7), "1.0E7");
	assert_prints(dbl(1.5e-4), "1.5E-4");
	assert_prints(dbl(0.001), "0.001");
	assert_prints(dbl(NAN), "NaN");
	assert_prints(dbl(-INFINITY), "-Infinity");
	assert_prints(dbl(-0.0), "-0.0");
}

static void test_print_renders_each_type(void **state)
{
	sql_value n = {.type = SQL_TYPE_STRING, .null = true};

	(void)state;
	assert_prints(big(-7), "-7");
	assert_prints(str("east"), "east");
	assert_prints((sql_value){.type = SQL_TYPE_BOOLEAN, .u.b = true}, "true");
	assert_prints((sql_value){.type = SQL_TYPE_DATE, .u.i = -1}, "1969-12-31");
	assert_prints(n, "NULL");
}

static void test_compare_orders_each_type(void **state)
{
	sql_value a = str("ab"), b = str("abc"), x = dbl(NAN), y = dbl(1e300);

	(void)state;
	assert_true(sql_value_compare(&a, &b) < 0);
	assert_true(sql_value_compare(&b, &a) > 0);
	assert_int_equal(sql_value_compare(&a, &a), 0);
	/* NaN sorts above every double and equals itself. */
	assert_true(sql_value_compare(&x, &y) > 0);
	assert_int_equal(sql_value_compare(&x, &x), 0);
	sql_value z = dbl(0.0), nz = dbl(-0.0);
	assert_int_equal(sql_value_compare(&z, &nz), 0);
	sql_value i1 = big(-5), i2 = big(3);
	assert_true(sql_value_compare(&i1, &i2) < 0);
}

static void test_common_type_follows_spark_coercion(void **state)
{
	sql_type t;

	(void)state;
	assert_int_equal(sql_type_common(SQL_TYPE_BIGINT, SQL_TYPE_DOUBLE, &t), 0);
	assert_int_equal(t, SQL_TYPE_DOUBLE);
	assert_int_equal(sql_type_common(SQL_TYPE_NULL, SQL_TYPE_DATE, &t), 0);
	assert_int_equal(t, SQL_TYPE_DATE);
	assert_int_equal(sql_type_common(SQL_TYPE_DATE, SQL_TYPE_STRING, &t), 0);
	assert_int_equal(t, SQL_TYPE_DATE);
	assert_int_equal(sql_type_common(SQL_TYPE_TIMESTAMP, SQL_TYPE_DATE, &t), 0);
	assert_int_equal(t, SQL_TYPE_TIMESTAMP);
	assert_int_equal(sql_type_common(SQL_TYPE_STRING, SQL_TYPE_BIGINT, &t), 0);
	assert_int_equal(t, SQL_TYPE_DOUBLE);
	assert_int_equal(sql_type_common(SQL_TYPE_BOOLEAN, SQL_TYPE_BIGINT, &t), -EINVAL);
	assert_int_equal(sql_type_common(SQL_TYPE_DATE, SQL_TYPE_DOUBLE, &t), -EINVAL);
}

static void test_function_lookup_ignores_case_and_knows_aliases(void **state)
{
	size_t n;

	(void)state;
	assert_non_null(sql_func_lookup("UPPER"));
	assert_int_equal(sql_func_lookup("Substring")->id, SQL_FUNC_SUBSTR);
	assert_int_equal(sql_func_lookup("date_trunc")->min_args, 2);
	assert_int_equal(sql_func_lookup("coalesce")->max_args, -1);
	assert_null(sql_func_lookup("nosuch"));
	const sql_func_info *all = sql_func_all(&n);
	assert_true(n >= 17);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(sql_func_lookup(all[i].name), &all[i]);
}

static void test_function_types_and_refusals(void **state)
{
	sql_type t, args[2] = {SQL_TYPE_BIGINT, SQL_TYPE_DOUBLE};
	const char *why = NULL;

	(void)state;
	assert_int_equal(sql_func_type(SQL_FUNC_COALESCE, args, 2, &t, &why), 0);
	assert_int_equal(t, SQL_TYPE_DOUBLE);
	sql_type d[2] = {SQL_TYPE_DATE, SQL_TYPE_BIGINT};
	assert_int_equal(sql_func_type(SQL_FUNC_DATE_ADD, d, 2, &t, &why), 0);
	assert_int_equal(t, SQL_TYPE_DATE);
	sql_type s[1] = {SQL_TYPE_STRING};
	assert_int_equal(sql_func_type(SQL_FUNC_ABS, s, 1, &t, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, "numeric"));
	sql_type b[1] = {SQL_TYPE_BOOLEAN};
	assert_int_equal(sql_func_type(SQL_FUNC_YEAR, b, 1, &t, &why), -EINVAL);
	sql_type l[1] = {SQL_TYPE_STRING};
	assert_int_equal(sql_func_type(SQL_FUNC_LENGTH, l, 1, &t, &why), 0);
	assert_int_equal(t, SQL_TYPE_BIGINT);
}

static void test_substr_is_one_based_with_negative_positions(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value r;

	(void)state;
	r = apply(a, SQL_FUNC_SUBSTR, 3, str("Spark SQL"), big(1), big(5));
	assert_int_equal(r.u.s.len, 5);
	assert_memory_equal(r.u.s.ptr, "Spark", 5);
	r = apply(a, SQL_FUNC_SUBSTR, 2, str("Spark SQL"), big(-3));
	assert_int_equal(r.u.s.len, 3);
	assert_memory_equal(r.u.s.ptr, "SQL", 3);
	r = apply(a, SQL_FUNC_SUBSTR, 3, str("Spark SQL"), big(0), big(2));
	assert_memory_equal(r.u.s.ptr, "Sp", 2);
	r = apply(a, SQL_FUNC_SUBSTR, 3, str("abc"), big(-5), big(3));
	assert_int_equal(r.u.s.len, 1);
	assert_memory_equal(r.u.s.ptr, "a", 1);
	r = apply(a, SQL_FUNC_SUBSTR, 3, str("abc"), big(2), big(-1));
	assert_int_equal(r.u.s.len, 0);
	sql_arena_free(a);
}

static void test_length_and_substr_count_utf8_characters(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value r;

	(void)state;
	r = apply(a, SQL_FUNC_LENGTH, 1, str("caf\xc3\xa9"));
	assert_int_equal(r.u.i, 4);
	r = apply(a, SQL_FUNC_SUBSTR, 3, str("caf\xc3\xa9!"), big(4), big(1));
	assert_int_equal(r.u.s.len, 2);
	sql_arena_free(a);
}

static void test_string_functions(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value r;

	(void)state;
	r = apply(a, SQL_FUNC_UPPER, 1, str("east-1"));
	assert_memory_equal(r.u.s.ptr, "EAST-1", 6);
	r = apply(a, SQL_FUNC_LOWER, 1, str("WeSt"));
	assert_memory_equal(r.u.s.ptr, "west", 4);
	r = apply(a, SQL_FUNC_TRIM, 1, str("  x y  "));
	assert_int_equal(r.u.s.len, 3);
	assert_memory_equal(r.u.s.ptr, "x y", 3);
	r = apply(a, SQL_FUNC_CONCAT, 3, str("a"), big(1), dbl(2));
	assert_int_equal(r.u.s.len, 5);
	assert_memory_equal(r.u.s.ptr, "a12.0", 5);
	r = apply(a, SQL_FUNC_CONCAT, 2, str("a"), (sql_value){.type = SQL_TYPE_STRING, .null = true});
	assert_true(r.null);
	sql_arena_free(a);
}

static void test_date_parts_of_dates_timestamps_and_strings(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value d = {.type = SQL_TYPE_DATE, .u.i = date_of("2024-02-29")};
	sql_value ts = {.type = SQL_TYPE_TIMESTAMP, .u.i = ts_of("1969-12-31 22:15:00")};

	(void)state;
	assert_int_equal(apply(a, SQL_FUNC_YEAR, 1, d).u.i, 2024);
	assert_int_equal(apply(a, SQL_FUNC_MONTH, 1, d).u.i, 2);
	assert_int_equal(apply(a, SQL_FUNC_DAY, 1, d).u.i, 29);
	assert_int_equal(apply(a, SQL_FUNC_HOUR, 1, ts).u.i, 22);
	assert_int_equal(apply(a, SQL_FUNC_DAY, 1, ts).u.i, 31);
	assert_int_equal(apply(a, SQL_FUNC_YEAR, 1, str("1999-12-31")).u.i, 1999);
	assert_true(apply(a, SQL_FUNC_YEAR, 1, str("not a date")).null);
	sql_arena_free(a);
}

static void test_date_arithmetic_crosses_leap_days_and_the_epoch(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value d = {.type = SQL_TYPE_DATE, .u.i = date_of("2024-02-28")};

	(void)state;
	assert_int_equal(apply(a, SQL_FUNC_DATE_ADD, 2, d, big(1)).u.i, date_of("2024-02-29"));
	assert_int_equal(apply(a, SQL_FUNC_DATE_ADD, 2, d, big(2)).u.i, date_of("2024-03-01"));
	sql_value e = {.type = SQL_TYPE_DATE, .u.i = 0};
	assert_int_equal(apply(a, SQL_FUNC_DATE_ADD, 2, e, big(-1)).u.i, date_of("1969-12-31"));
	assert_int_equal(apply(a, SQL_FUNC_DATEDIFF, 2, str("2024-03-01"), str("2023-03-01")).u.i, 366);
	assert_int_equal(apply(a, SQL_FUNC_DATEDIFF, 2, e, str("1970-01-10")).u.i, -9);
	sql_value t = apply(a, SQL_FUNC_TO_DATE, 1, str("2024-05-01 12:00:00"));
	assert_int_equal(t.type, SQL_TYPE_DATE);
	assert_int_equal(t.u.i, date_of("2024-05-01"));
	sql_arena_free(a);
}

static void test_date_trunc_units(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value ts = {.type = SQL_TYPE_TIMESTAMP, .u.i = ts_of("2024-05-15 13:45:12.5")};

	(void)state;
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("month"), ts).u.i, ts_of("2024-05-01"));
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("YEAR"), ts).u.i, ts_of("2024-01-01"));
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("day"), ts).u.i, ts_of("2024-05-15"));
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("hour"), ts).u.i,
			 ts_of("2024-05-15 13:00:00"));
	/* 2024-05-15 is a Wednesday; weeks start on Monday. */
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("week"), ts).u.i, ts_of("2024-05-13"));
	sql_value old = {.type = SQL_TYPE_TIMESTAMP, .u.i = ts_of("1969-12-31 23:59:59")};
	assert_int_equal(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("week"), old).u.i, ts_of("1969-12-29"));
	assert_true(apply(a, SQL_FUNC_DATE_TRUNC, 2, str("fortnight"), ts).null);
	sql_arena_free(a);
}

static void test_abs_and_round(void **state)
{
	sql_arena *a = sql_arena_new();

	(void)state;
	assert_int_equal(apply(a, SQL_FUNC_ABS, 1, big(-3)).u.i, 3);
	assert_true(apply(a, SQL_FUNC_ABS, 1, big(INT64_MIN)).u.i == INT64_MIN);
	assert_true(apply(a, SQL_FUNC_ABS, 1, dbl(-1.5)).u.d == 1.5);
	assert_true(apply(a, SQL_FUNC_ROUND, 1, dbl(2.5)).u.d == 3.0);
	assert_true(apply(a, SQL_FUNC_ROUND, 1, dbl(-2.5)).u.d == -3.0);
	assert_true(apply(a, SQL_FUNC_ROUND, 2, dbl(2.675), big(2)).u.d == 2.68);
	assert_true(apply(a, SQL_FUNC_ROUND, 2, dbl(1234.5678), big(-2)).u.d == 1200.0);
	assert_true(apply(a, SQL_FUNC_ROUND, 2, dbl(9.99), big(1)).u.d == 10.0);
	assert_int_equal(apply(a, SQL_FUNC_ROUND, 2, big(1250), big(-2)).u.i, 1300);
	assert_int_equal(apply(a, SQL_FUNC_ROUND, 2, big(-1250), big(-2)).u.i, -1300);
	assert_int_equal(apply(a, SQL_FUNC_ROUND, 2, big(17), big(1)).u.i, 17);
	sql_arena_free(a);
}

/* ---- decimals ------------------------------------------------------------------------ */

#define D(p, s) sql_type_decimal((p), (s))

static sql_value dec(sql_type t, const char *text)
{
	sql_value v = {.type = t};

	assert_int_equal(sql_decimal_parse(text, strlen(text), t, &v.u.dec), 0);
	return v;
}

static sql_int128 unscaled(const char *text, sql_type t)
{
	sql_int128 v = 0;

	assert_int_equal(sql_decimal_parse(text, strlen(text), t, &v), 0);
	return v;
}

static void test_decimal_parse_rounds_half_up_to_the_scale(void **state)
{
	sql_int128 v;

	(void)state;
	assert_true(unscaled("1.5", D(5, 2)) == 150);
	assert_true(unscaled(" -0.005 ", D(5, 2)) == -1);    /* a tie goes away from zero */
	assert_true(unscaled("0.004999", D(5, 2)) == 0);
	assert_true(unscaled("2.345", D(3, 2)) == 235);
	assert_true(unscaled("+.5", D(1, 0)) == 1);
	assert_true(unscaled("1e2", D(5, 2)) == 10000);
	assert_true(unscaled("12345E-4", D(5, 4)) == 12345);
	assert_true(unscaled("0000000000000000000000000000000000000000000001.25", D(3, 2)) == 125);
	/* Digits far beyond any scale only decide nothing. */
	assert_true(unscaled("0.12500000000000000000000000000000000000000000000000000000000000000"
			     "000000000000000000000000000000000001", D(2, 2)) == 13);
	assert_true(unscaled("99999999999999999999999999999999999999", D(38, 0)) ==
		    sql_decimal_pow10(38) - 1);
	assert_int_equal(sql_decimal_parse("1000", 4, D(5, 2), &v), -ERANGE);
	assert_int_equal(sql_decimal_parse("9.995", 5, D(3, 2), &v), -ERANGE);  /* rounds to 10.00 */
	assert_int_equal(sql_decimal_parse("1e40", 4, D(38, 0), &v), -ERANGE);
	assert_int_equal(sql_decimal_parse("abc", 3, D(5, 2), &v), -EINVAL);
	assert_int_equal(sql_decimal_parse("1.2.3", 5, D(5, 2), &v), -EINVAL);
	assert_int_equal(sql_decimal_parse("1e", 2, D(5, 2), &v), -EINVAL);
	assert_int_equal(sql_decimal_parse("", 0, D(5, 2), &v), -EINVAL);
	assert_int_equal(sql_decimal_parse(".", 1, D(5, 2), &v), -EINVAL);
}

static void test_decimal_format_writes_every_digit_of_the_scale(void **state)
{
	char buf[48];

	(void)state;
	fmt_decimal_text(150, 2, buf);
	assert_string_equal(buf, "1.50");
	fmt_decimal_text(-6, 2, buf);
	assert_string_equal(buf, "-0.06");
	fmt_decimal_text(0, 3, buf);
	assert_string_equal(buf, "0.000");
	fmt_decimal_text(15, 0, buf);
	assert_string_equal(buf, "15");
	assert_int_equal(fmt_decimal_text(-(sql_decimal_pow10(38) - 1), 38, buf), 41);
	assert_string_equal(buf, "-0.99999999999999999999999999999999999999");
	assert_prints(dec(D(15, 2), "1234.5"), "1234.50");
}

static void test_decimal_result_types_follow_decimal_precision(void **state)
{
	(void)state;
	assert_int_equal(sql_decimal_result_type(SQL_OP_ADD, D(15, 2), D(10, 4)), D(18, 4));
	assert_int_equal(sql_decimal_result_type(SQL_OP_SUB, D(1, 0), D(15, 2)), D(16, 2));
	assert_int_equal(sql_decimal_result_type(SQL_OP_MUL, D(15, 2), D(16, 2)), D(32, 4));
	/* Beyond 38 digits the integral part stays and the scale shrinks to 6 at least. */
	assert_int_equal(sql_decimal_result_type(SQL_OP_MUL, D(32, 4), D(16, 2)), D(38, 6));
	assert_int_equal(sql_decimal_result_type(SQL_OP_MUL, D(38, 10), D(38, 10)), D(38, 6));
	assert_int_equal(sql_decimal_result_type(SQL_OP_MUL, D(38, 2), D(38, 2)), D(38, 4));
	assert_int_equal(sql_decimal_result_type(SQL_OP_ADD, D(38, 0), D(38, 38)), D(38, 6));
	assert_int_equal(sql_decimal_result_type(SQL_OP_DIV, D(15, 2), D(15, 2)), D(33, 18));
	assert_int_equal(sql_decimal_result_type(SQL_OP_DIV, D(2, 1), D(1, 0)), D(7, 6));
	assert_int_equal(sql_decimal_result_type(SQL_OP_DIV, D(25, 2), D(20, 0)), D(38, 15));
	assert_int_equal(sql_decimal_result_type(SQL_OP_MOD, D(15, 2), D(10, 0)), D(12, 2));
	assert_int_equal(sql_decimal_bounded(48, 2), D(38, 2));
	assert_int_equal(sql_decimal_bounded(42, 40), D(38, 38));
}

static int arith(sql_op op, sql_value x, sql_value y, sql_type t, char *out)
{
	sql_int128 r;
	int rc = sql_decimal_arith(op, x.u.dec, sql_type_scale(x.type), y.u.dec,
				   sql_type_scale(y.type), t, &r);

	if (rc == 0)
		fmt_decimal_text(r, sql_type_scale(t), out);
	return rc;
}

static void test_decimal_arithmetic_is_exact_then_rounded_half_up(void **state)
{
	char buf[48];

	(void)state;
	assert_int_equal(arith(SQL_OP_ADD, dec(D(2, 2), "0.06"), dec(D(2, 2), "0.01"), D(3, 2), buf), 0);
	assert_string_equal(buf, "0.07");
	assert_int_equal(arith(SQL_OP_SUB, dec(D(1, 0), "1"), dec(D(15, 2), "0.04"), D(16, 2), buf), 0);
	assert_string_equal(buf, "0.96");
	assert_int_equal(arith(SQL_OP_DIV, dec(D(2, 1), "2.0"), dec(D(1, 0), "3"), D(7, 6), buf), 0);
	assert_string_equal(buf, "0.666667");
	assert_int_equal(arith(SQL_OP_DIV, dec(D(2, 1), "-2.0"), dec(D(1, 0), "3"), D(7, 6), buf), 0);
	assert_string_equal(buf, "-0.666667");
	assert_int_equal(arith(SQL_OP_MOD, dec(D(3, 1), "-10.5"), dec(D(1, 0), "3"), D(2, 1), buf), 0);
	assert_string_equal(buf, "-1.5");
	/* A product of 76 digits, exact before it is rounded to (38,6). */
	assert_int_equal(arith(SQL_OP_MUL, dec(D(38, 10), "1234567890123456789012345678.9012345678"),
			       dec(D(38, 10), "0.0000000001"), D(38, 6), buf), 0);
	assert_string_equal(buf, "123456789012345678.901235");
	/* Aligning 38 integral digits to scale 38 needs more than 128 bits. */
	assert_int_equal(arith(SQL_OP_ADD, dec(D(38, 0), "12345"), dec(D(38, 38), "0.00000049"),
			       D(38, 6), buf), 0);
	assert_string_equal(buf, "12345.000000");
	assert_int_equal(arith(SQL_OP_ADD, dec(D(38, 0), "12345"), dec(D(38, 38), "0.0000005"),
			       D(38, 6), buf), 0);
	assert_string_equal(buf, "12345.000001");
	/* A dividend scaled beyond 128 bits. */
	assert_int_equal(arith(SQL_OP_DIV, dec(D(38, 0), "99999999999999999999999999999999999999"),
			       dec(D(38, 37), "3.0000000000000000000000000000000000000"), D(38, 6), buf),
			 -ERANGE);
	assert_int_equal(arith(SQL_OP_DIV, dec(D(20, 0), "10000000000000000000"),
			       dec(D(38, 37), "3.0000000000000000000000000000000000000"), D(38, 17), buf),
			 0);
	assert_string_equal(buf, "3333333333333333333.33333333333333333");
	/* A remainder whose operands align beyond 128 bits. */
	assert_int_equal(arith(SQL_OP_MOD, dec(D(38, 0), "-12345678901234567890"),
			       dec(D(38, 38), "0.00000000000000000000000000000000000007"),
			       D(38, 38), buf), 0);
	assert_string_equal(buf, "-0.00000000000000000000000000000000000002");
	assert_int_equal(arith(SQL_OP_MOD, dec(D(38, 0), "99999999999999999999999999999999999999"),
			       dec(D(1, 1), "0.3"), D(1, 1), buf), 0);
	assert_string_equal(buf, "0.0");
}

static void test_decimal_overflow_and_division_by_zero_are_refused(void **state)
{
	char buf[48];

	(void)state;
	assert_int_equal(arith(SQL_OP_ADD, dec(D(38, 0), "99999999999999999999999999999999999999"),
			       dec(D(1, 0), "1"), D(38, 0), buf), -ERANGE);
	assert_int_equal(arith(SQL_OP_MUL, dec(D(38, 0), "99999999999999999999999999999999999999"),
			       dec(D(38, 0), "99999999999999999999999999999999999999"), D(38, 0), buf),
			 -ERANGE);
	assert_int_equal(arith(SQL_OP_DIV, dec(D(3, 1), "1.5"), dec(D(1, 0), "0"), D(9, 6), buf),
			 -EDOM);
	assert_int_equal(arith(SQL_OP_MOD, dec(D(3, 1), "1.5"), dec(D(1, 0), "0"), D(2, 1), buf),
			 -EDOM);
}

static void test_decimal_casts_follow_spark(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value v;

	(void)state;
	assert_int_equal(sql_value_cast(a, &(sql_value){.type = SQL_TYPE_DOUBLE, .u.d = 0.1}, D(5, 3), &v), 0);
	assert_prints(v, "0.100");
	assert_int_equal(sql_value_cast(a, &(sql_value){.type = SQL_TYPE_DOUBLE, .u.d = 1e300}, D(38, 0), &v), 0);
	assert_true(v.null);
	assert_int_equal(sql_value_cast(a, &(sql_value){.type = SQL_TYPE_DOUBLE, .u.d = NAN}, D(5, 0), &v), 0);
	assert_true(v.null);
	assert_int_equal(sql_value_cast(a, &(sql_value){.type = SQL_TYPE_BIGINT, .u.i = 100}, D(3, 1), &v), 0);
	assert_true(v.null);
	assert_int_equal(sql_value_cast(a, &(sql_value){.type = SQL_TYPE_BIGINT, .u.i = -99}, D(3, 1), &v), 0);
	assert_prints(v, "-99.0");
	sql_value x = dec(D(5, 2), "-12.99");
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_BIGINT, &v), 0);
	assert_int_equal(v.u.i, -12);
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_DOUBLE, &v), 0);
	assert_true(v.u.d == -12.99);
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_STRING, &v), 0);
	assert_int_equal(v.u.s.len, 6);
	assert_memory_equal(v.u.s.ptr, "-12.99", 6);
	assert_int_equal(sql_value_cast(a, &x, D(4, 1), &v), 0);
	assert_prints(v, "-13.0");
	assert_int_equal(sql_value_cast(a, &x, D(2, 1), &v), 0);
	assert_true(v.null);
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_BOOLEAN, &v), 0);
	assert_true(v.u.b);
	sql_value s = str(" 7.125 ");
	assert_int_equal(sql_value_cast(a, &s, D(4, 2), &v), 0);
	assert_prints(v, "7.13");
	s = str("seven");
	assert_int_equal(sql_value_cast(a, &s, D(4, 2), &v), 0);
	assert_true(v.null);
	/* 2^53 + 1 and more digits than a double holds: the nearest double. */
	x = dec(D(38, 2), "9007199254740993.00");
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_DOUBLE, &v), 0);
	assert_true(v.u.d == 9007199254740992.0);
	assert_int_equal(sql_value_cast(a, &x, SQL_TYPE_DATE, &v), -EINVAL);
	sql_arena_free(a);
}

static void test_decimals_compare_by_value_whatever_the_scale(void **state)
{
	sql_value a = dec(D(3, 1), "1.5"), b = dec(D(10, 4), "1.5000"), c = dec(D(38, 0), "-2");

	(void)state;
	assert_int_equal(sql_value_compare(&a, &b), 0);
	assert_int_equal(sql_value_compare(&c, &a), -1);
	assert_int_equal(sql_value_compare(&a, &c), 1);
	sql_value big_v = dec(D(38, 0), "99999999999999999999999999999999999999");
	sql_value tiny = dec(D(38, 38), "0.00000000000000000000000000000000000001");
	assert_int_equal(sql_value_compare(&big_v, &tiny), 1);
	assert_int_equal(sql_value_compare(&tiny, &big_v), -1);
	sql_value two = big(2), d15 = dbl(1.5);
	assert_int_equal(sql_value_compare(&c, &two), -1);
	assert_int_equal(sql_value_compare(&two, &a), 1);
	assert_int_equal(sql_value_compare(&a, &d15), 0);
}

static void test_decimal_common_types(void **state)
{
	sql_type t;

	(void)state;
	assert_int_equal(sql_type_common(D(15, 2), D(10, 4), &t), 0);
	assert_int_equal(t, D(17, 4));
	assert_int_equal(sql_type_common(D(15, 2), SQL_TYPE_BIGINT, &t), 0);
	assert_int_equal(t, D(22, 2));
	assert_int_equal(sql_type_common(SQL_TYPE_DOUBLE, D(15, 2), &t), 0);
	assert_int_equal(t, SQL_TYPE_DOUBLE);
	assert_int_equal(sql_type_common(D(38, 0), D(38, 38), &t), 0);
	assert_int_equal(t, D(38, 38));
	assert_int_equal(sql_type_common(SQL_TYPE_NULL, D(5, 1), &t), 0);
	assert_int_equal(t, D(5, 1));
	assert_int_equal(sql_type_common(SQL_TYPE_DATE, D(5, 1), &t), -EINVAL);
	assert_string_equal(sql_type_name(D(15, 2)), "decimal(15,2)");
	assert_int_equal(sql_type_from_store(sql_type_to_store(D(38, 38))), D(38, 38));
}

static void test_decimal_abs_and_round(void **state)
{
	sql_arena *a = sql_arena_new();
	sql_value v;

	(void)state;
	assert_prints(apply(a, SQL_FUNC_ABS, 1, dec(D(3, 2), "-1.50")), "1.50");
	/* round leaves the value at its new scale; the evaluator casts it to
	 * the analyzer's type. */
	v = apply(a, SQL_FUNC_ROUND, 2, dec(D(5, 3), "2.345"), big(2));
	assert_prints(v, "2.35");
	v = apply(a, SQL_FUNC_ROUND, 2, dec(D(5, 3), "-2.345"), big(2));
	assert_prints(v, "-2.35");
	v = apply(a, SQL_FUNC_ROUND, 1, dec(D(3, 1), "-2.5"));
	assert_prints(v, "-3");
	v = apply(a, SQL_FUNC_ROUND, 2, dec(D(4, 1), "125.5"), big(-1));
	assert_prints(v, "130");
	v = apply(a, SQL_FUNC_ROUND, 2, dec(D(4, 1), "125.5"), big(3));
	assert_prints(v, "125.5");
	sql_type t;
	sql_type args[2] = {D(5, 3), SQL_TYPE_BIGINT};
	assert_int_equal(sql_func_type(SQL_FUNC_ABS, args, 1, &t, NULL), 0);
	assert_int_equal(t, D(5, 3));
	sql_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_parse_counts_days_from_the_epoch),
		cmocka_unit_test(test_dates_before_the_epoch_are_negative_days),
		cmocka_unit_test(test_february_29_exists_only_in_leap_years),
		cmocka_unit_test(test_date_parse_refuses_impossible_dates),
		cmocka_unit_test(test_date_parse_ignores_a_time_of_day_as_spark_does),
		cmocka_unit_test(test_date_format_round_trips_over_four_centuries),
		cmocka_unit_test(test_timestamp_parse_and_format_with_fractions),
		cmocka_unit_test(test_timestamp_parse_refuses_bad_times),
		cmocka_unit_test(test_cast_of_unparsable_string_is_null),
		cmocka_unit_test(test_cast_string_to_numbers_like_spark),
		cmocka_unit_test(test_cast_double_to_bigint_truncates_and_saturates),
		cmocka_unit_test(test_cast_between_dates_and_timestamps),
		cmocka_unit_test(test_cast_of_date_to_number_is_impossible),
		cmocka_unit_test(test_cast_to_string_renders_into_the_arena),
		cmocka_unit_test(test_doubles_print_as_java_does),
		cmocka_unit_test(test_print_renders_each_type),
		cmocka_unit_test(test_compare_orders_each_type),
		cmocka_unit_test(test_common_type_follows_spark_coercion),
		cmocka_unit_test(test_function_lookup_ignores_case_and_knows_aliases),
		cmocka_unit_test(test_function_types_and_refusals),
		cmocka_unit_test(test_substr_is_one_based_with_negative_positions),
		cmocka_unit_test(test_length_and_substr_count_utf8_characters),
		cmocka_unit_test(test_string_functions),
		cmocka_unit_test(test_date_parts_of_dates_timestamps_and_strings),
		cmocka_unit_test(test_date_arithmetic_crosses_leap_days_and_the_epoch),
		cmocka_unit_test(test_date_trunc_units),
		cmocka_unit_test(test_abs_and_round),
		cmocka_unit_test(test_decimal_parse_rounds_half_up_to_the_scale),
		cmocka_unit_test(test_decimal_format_writes_every_digit_of_the_scale),
		cmocka_unit_test(test_decimal_result_types_follow_decimal_precision),
		cmocka_unit_test(test_decimal_arithmetic_is_exact_then_rounded_half_up),
		cmocka_unit_test(test_decimal_overflow_and_division_by_zero_are_refused),
		cmocka_unit_test(test_decimal_casts_follow_spark),
		cmocka_unit_test(test_decimals_compare_by_value_whatever_the_scale),
		cmocka_unit_test(test_decimal_common_types),
		cmocka_unit_test(test_decimal_abs_and_round),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
