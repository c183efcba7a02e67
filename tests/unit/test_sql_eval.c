/*
 * test_sql_eval.c - expression evaluation: the NULL semantics table of
 * AND/OR/NOT, comparisons, IN, BETWEEN, LIKE, CASE and COALESCE, and
 * arithmetic the way Spark does it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt_text.h"
#include "sql_arena_fixture.h"

/* Three-valued truth: T, F, N(ULL). */
enum { F = 0, T = 1, N = 2 };

static sql_expr *lit(sql_value v)
{
	sql_expr *e = sql_expr_new(arena, SQL_EXPR_LITERAL, 1, 1);

	e->value = v;
	e->type = v.type;
	e->resolved = true;
	return e;
}

static sql_expr *tv(int t)
{
	return lit((sql_value){.type = SQL_TYPE_BOOLEAN, .null = t == N, .u.b = t == T});
}

static sql_expr *big(int64_t i)
{
	return lit((sql_value){.type = SQL_TYPE_BIGINT, .u.i = i});
}

static sql_expr *dbl(double d)
{
	return lit((sql_value){.type = SQL_TYPE_DOUBLE, .u.d = d});
}

static sql_expr *null_of(sql_type t)
{
	return lit((sql_value){.type = t, .null = true});
}

static sql_expr *str(const char *s)
{
	return lit((sql_value){.type = SQL_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}});
}

static sql_expr *node(sql_expr_kind kind, sql_type type, uint32_t nargs, ...)
{
	sql_expr *e = sql_expr_new(arena, kind, 1, 1);
	va_list ap;

	e->type = type;
	e->resolved = true;
	e->nargs = nargs;
	e->args = sql_arena_alloc(arena, (nargs + 1) * sizeof *e->args);
	va_start(ap, nargs);
	for (uint32_t i = 0; i < nargs; i++)
		e->args[i] = va_arg(ap, sql_expr *);
	va_end(ap);
	return e;
}

static sql_expr *bin(sql_op op, sql_type type, sql_expr *l, sql_expr *r)
{
	sql_expr *e = node(SQL_EXPR_BINARY, type, 2, l, r);

	e->op = op;
	return e;
}

static sql_value eval(const sql_expr *e)
{
	sql_value v;

	assert_int_equal(sql_eval_const(arena, e, &v), 0);
	return v;
}

/* The truth value of a boolean result. */
static int truth(const sql_expr *e)
{
	sql_value v = eval(e);

	assert_int_equal(v.type, SQL_TYPE_BOOLEAN);
	return v.null ? N : v.u.b ? T : F;
}

static void test_and_or_follow_three_valued_logic(void **state)
{
	/* rows: a, b, a AND b, a OR b */
	static const int table[9][4] = {
		{T, T, T, T}, {T, F, F, T}, {T, N, N, T},
		{F, T, F, T}, {F, F, F, F}, {F, N, F, N},
		{N, T, N, T}, {N, F, F, N}, {N, N, N, N},
	};

	(void)state;
	for (int i = 0; i < 9; i++) {
		assert_int_equal(truth(bin(SQL_OP_AND, SQL_TYPE_BOOLEAN, tv(table[i][0]), tv(table[i][1]))),
				 table[i][2]);
		assert_int_equal(truth(bin(SQL_OP_OR, SQL_TYPE_BOOLEAN, tv(table[i][0]), tv(table[i][1]))),
				 table[i][3]);
	}
}

static void test_not_of_null_is_null(void **state)
{
	(void)state;
	for (int t = 0; t < 3; t++) {
		sql_expr *e = node(SQL_EXPR_UNARY, SQL_TYPE_BOOLEAN, 1, tv(t));
		e->op = SQL_OP_NOT;
		assert_int_equal(truth(e), t == N ? N : !t);
	}
}

static void test_false_and_skips_the_right_side(void **state)
{
	/* The right side would fail (a column with no row); FALSE AND x never reads it. */
	sql_expr *c = sql_expr_new(arena, SQL_EXPR_COLUMN, 1, 1);

	(void)state;
	c->type = SQL_TYPE_BOOLEAN;
	c->ordinal = 0;
	assert_int_equal(truth(bin(SQL_OP_AND, SQL_TYPE_BOOLEAN, tv(F), c)), F);
	assert_int_equal(truth(bin(SQL_OP_OR, SQL_TYPE_BOOLEAN, tv(T), c)), T);
}

static void test_comparisons_with_null_are_null(void **state)
{
	static const sql_op ops[] = {SQL_OP_EQ, SQL_OP_NE, SQL_OP_LT, SQL_OP_LE, SQL_OP_GT, SQL_OP_GE};

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(truth(bin(ops[i], SQL_TYPE_BOOLEAN, big(1), null_of(SQL_TYPE_BIGINT))), N);
		assert_int_equal(truth(bin(ops[i], SQL_TYPE_BOOLEAN, null_of(SQL_TYPE_NULL), big(1))), N);
	}
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN, null_of(SQL_TYPE_BIGINT),
				    null_of(SQL_TYPE_BIGINT))), N);
}

static void test_comparisons_coerce_mixed_operands(void **state)
{
	sql_expr *d = lit((sql_value){.type = SQL_TYPE_DATE, .u.i = 19844});

	(void)state;
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN, big(2), dbl(2.0))), T);
	assert_int_equal(truth(bin(SQL_OP_LT, SQL_TYPE_BOOLEAN, big(2), dbl(2.5))), T);
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN, d, str("2024-05-01"))), T);
	assert_int_equal(truth(bin(SQL_OP_GT, SQL_TYPE_BOOLEAN, d, str("2024-04-30"))), T);
	assert_int_equal(truth(bin(SQL_OP_LT, SQL_TYPE_BOOLEAN, str("apple"), str("banana"))), T);
}

static void test_is_null_is_never_null(void **state)
{
	sql_expr *e;

	(void)state;
	e = node(SQL_EXPR_IS_NULL, SQL_TYPE_BOOLEAN, 1, null_of(SQL_TYPE_BIGINT));
	assert_int_equal(truth(e), T);
	e->negated = true;
	assert_int_equal(truth(e), F);
	e = node(SQL_EXPR_IS_NULL, SQL_TYPE_BOOLEAN, 1, big(0));
	assert_int_equal(truth(e), F);
}

static sql_expr *in(bool negated, sql_expr *x, sql_expr *a, sql_expr *b)
{
	sql_expr *e = node(SQL_EXPR_IN, SQL_TYPE_BOOLEAN, 3, x, a, b);

	e->negated = negated;
	return e;
}

static void test_in_list_null_semantics(void **state)
{
	(void)state;
	assert_int_equal(truth(in(false, big(1), big(1), null_of(SQL_TYPE_BIGINT))), T);
	assert_int_equal(truth(in(false, big(2), big(1), null_of(SQL_TYPE_BIGINT))), N);
	assert_int_equal(truth(in(false, big(2), big(1), big(3))), F);
	assert_int_equal(truth(in(false, null_of(SQL_TYPE_BIGINT), big(1), big(2))), N);
	assert_int_equal(truth(in(true, big(2), big(1), big(3))), T);
	assert_int_equal(truth(in(true, big(1), big(1), null_of(SQL_TYPE_BIGINT))), F);
	assert_int_equal(truth(in(true, big(2), big(1), null_of(SQL_TYPE_BIGINT))), N);
}

static sql_expr *between(bool negated, sql_expr *x, sql_expr *lo, sql_expr *hi)
{
	sql_expr *e = node(SQL_EXPR_BETWEEN, SQL_TYPE_BOOLEAN, 3, x, lo, hi);

	e->negated = negated;
	return e;
}

static void test_between_null_semantics(void **state)
{
	sql_expr *nb = null_of(SQL_TYPE_BIGINT);

	(void)state;
	assert_int_equal(truth(between(false, big(5), big(1), big(10))), T);
	assert_int_equal(truth(between(false, big(1), big(1), big(10))), T);
	assert_int_equal(truth(between(false, big(11), big(1), big(10))), F);
	assert_int_equal(truth(between(false, big(5), nb, big(10))), N);
	/* Below the low end is FALSE whatever the high end is. */
	assert_int_equal(truth(between(false, big(0), big(1), nb)), F);
	assert_int_equal(truth(between(false, nb, big(1), big(10))), N);
	assert_int_equal(truth(between(true, big(0), big(1), nb)), T);
	assert_int_equal(truth(between(true, big(5), nb, big(10))), N);
}

static sql_expr *like(bool negated, sql_expr *s, sql_expr *p)
{
	sql_expr *e = node(SQL_EXPR_LIKE, SQL_TYPE_BOOLEAN, 2, s, p);

	e->negated = negated;
	return e;
}

static void test_like_null_semantics_and_patterns(void **state)
{
	(void)state;
	assert_int_equal(truth(like(false, str("east-1"), str("east%"))), T);
	assert_int_equal(truth(like(false, null_of(SQL_TYPE_STRING), str("%"))), N);
	assert_int_equal(truth(like(false, str("x"), null_of(SQL_TYPE_STRING))), N);
	assert_int_equal(truth(like(true, str("west"), str("east%"))), T);
	assert_true(sql_like("abc", 3, "a_c", 3));
	assert_false(sql_like("abbc", 4, "a_c", 3));
	assert_true(sql_like("abbc", 4, "a%c", 3));
	assert_true(sql_like("", 0, "%", 1));
	assert_false(sql_like("", 0, "_", 1));
	assert_true(sql_like("50%", 3, "50\\%", 4));
	assert_false(sql_like("500", 3, "50\\%", 4));
	assert_true(sql_like("a_b", 3, "a\\_b", 4));
	assert_true(sql_like("mississippi", 11, "%iss%ppi", 8));
	assert_false(sql_like("mississippi", 11, "%iss%ppx", 8));
}

static void test_case_picks_the_first_true_branch_and_skips_null_conditions(void **state)
{
	sql_expr *e;
	sql_value v;

	(void)state;
	/* CASE WHEN NULL THEN 1 WHEN TRUE THEN 2 ELSE 3 END */
	e = node(SQL_EXPR_CASE, SQL_TYPE_BIGINT, 5, tv(N), big(1), tv(T), big(2), big(3));
	e->case_else = true;
	v = eval(e);
	assert_int_equal(v.u.i, 2);
	/* CASE WHEN FALSE THEN 1 END is NULL */
	e = node(SQL_EXPR_CASE, SQL_TYPE_BIGINT, 2, tv(F), big(1));
	v = eval(e);
	assert_true(v.null);
	assert_int_equal(v.type, SQL_TYPE_BIGINT);
}

static void test_simple_case_never_matches_null(void **state)
{
	sql_expr *e;
	sql_value v;

	(void)state;
	/* CASE NULL WHEN NULL THEN 'a' ELSE 'b' END is 'b' */
	e = node(SQL_EXPR_CASE, SQL_TYPE_STRING, 4, null_of(SQL_TYPE_BIGINT), null_of(SQL_TYPE_BIGINT),
		 str("a"), str("b"));
	e->case_operand = true;
	e->case_else = true;
	v = eval(e);
	assert_memory_equal(v.u.s.ptr, "b", 1);
	/* CASE 2 WHEN 1 THEN 'a' WHEN 2 THEN 'two' END */
	e = node(SQL_EXPR_CASE, SQL_TYPE_STRING, 5, big(2), big(1), str("a"), big(2), str("two"));
	e->case_operand = true;
	v = eval(e);
	assert_int_equal(v.u.s.len, 3);
}

static void test_case_result_is_cast_to_its_type(void **state)
{
	sql_expr *e = node(SQL_EXPR_CASE, SQL_TYPE_DOUBLE, 3, tv(T), big(1), dbl(0.5));
	sql_value v;

	(void)state;
	e->case_else = true;
	v = eval(e);
	assert_int_equal(v.type, SQL_TYPE_DOUBLE);
	assert_true(v.u.d == 1.0);
}

static void test_coalesce_returns_the_first_non_null(void **state)
{
	sql_expr *e;
	sql_value v;

	(void)state;
	e = node(SQL_EXPR_FUNC, SQL_TYPE_BIGINT, 3, null_of(SQL_TYPE_BIGINT), big(7), big(8));
	e->func = SQL_FUNC_COALESCE;
	v = eval(e);
	assert_int_equal(v.u.i, 7);
	e = node(SQL_EXPR_FUNC, SQL_TYPE_BIGINT, 2, null_of(SQL_TYPE_BIGINT), null_of(SQL_TYPE_NULL));
	e->func = SQL_FUNC_COALESCE;
	v = eval(e);
	assert_true(v.null);
	assert_int_equal(v.type, SQL_TYPE_BIGINT);
}

static void test_division_by_zero_is_null(void **state)
{
	sql_value v;

	(void)state;
	v = eval(bin(SQL_OP_DIV, SQL_TYPE_DOUBLE, big(1), big(0)));
	assert_true(v.null);
	v = eval(bin(SQL_OP_MOD, SQL_TYPE_BIGINT, big(1), big(0)));
	assert_true(v.null);
	v = eval(bin(SQL_OP_DIV, SQL_TYPE_DOUBLE, dbl(1), dbl(0)));
	assert_true(v.null);
	v = eval(bin(SQL_OP_DIV, SQL_TYPE_DOUBLE, big(7), big(2)));
	assert_true(v.u.d == 3.5);
}

static void test_bigint_overflow_wraps_as_java_does(void **state)
{
	sql_value v;

	(void)state;
	v = eval(bin(SQL_OP_ADD, SQL_TYPE_BIGINT, big(INT64_MAX), big(1)));
	assert_true(v.u.i == INT64_MIN);
	v = eval(bin(SQL_OP_MUL, SQL_TYPE_BIGINT, big(INT64_MIN), big(-1)));
	assert_true(v.u.i == INT64_MIN);
	v = eval(bin(SQL_OP_DIV, SQL_TYPE_BIGINT, big(INT64_MIN), big(-1)));
	assert_true(v.u.i == INT64_MIN);
	v = eval(bin(SQL_OP_MOD, SQL_TYPE_BIGINT, big(-7), big(3)));
	assert_int_equal(v.u.i, -1);
	sql_expr *neg = node(SQL_EXPR_UNARY, SQL_TYPE_BIGINT, 1, big(INT64_MIN));
	neg->op = SQL_OP_NEG;
	v = eval(neg);
	assert_true(v.u.i == INT64_MIN);
}

static void test_arithmetic_with_null_is_null(void **state)
{
	sql_value v;

	(void)state;
	v = eval(bin(SQL_OP_ADD, SQL_TYPE_BIGINT, big(1), null_of(SQL_TYPE_BIGINT)));
	assert_true(v.null);
	assert_int_equal(v.type, SQL_TYPE_BIGINT);
	v = eval(bin(SQL_OP_CONCAT, SQL_TYPE_STRING, str("a"), null_of(SQL_TYPE_STRING)));
	assert_true(v.null);
	v = eval(bin(SQL_OP_CONCAT, SQL_TYPE_STRING, str("a"), big(1)));
	assert_int_equal(v.u.s.len, 2);
	assert_memory_equal(v.u.s.ptr, "a1", 2);
}

static void test_columns_read_the_row_by_ordinal(void **state)
{
	sql_value row[2] = {{.type = SQL_TYPE_BIGINT, .u.i = 40}, {.type = SQL_TYPE_BIGINT, .u.i = 2}};
	sql_expr *c0 = sql_expr_new(arena, SQL_EXPR_COLUMN, 1, 1), *c1 = sql_expr_new(arena, SQL_EXPR_COLUMN, 1, 1);
	sql_value v;

	(void)state;
	c0->ordinal = 0;
	c0->type = SQL_TYPE_BIGINT;
	c1->ordinal = 1;
	c1->type = SQL_TYPE_BIGINT;
	assert_int_equal(sql_eval(arena, bin(SQL_OP_ADD, SQL_TYPE_BIGINT, c0, c1), row, &v), 0);
	assert_int_equal(v.u.i, 42);
}

static void test_cast_expression_of_bad_text_is_null(void **state)
{
	sql_expr *e = node(SQL_EXPR_CAST, SQL_TYPE_BIGINT, 1, str("12x"));
	sql_value v;

	(void)state;
	e->cast_type = SQL_TYPE_BIGINT;
	v = eval(e);
	assert_true(v.null);
}

static void test_aggregates_are_not_evaluated_here(void **state)
{
	sql_expr *e = node(SQL_EXPR_AGG, SQL_TYPE_BIGINT, 1, big(1));
	sql_value v;

	(void)state;
	assert_int_equal(sql_eval_const(arena, e, &v), -EINVAL);
}

/* ---- decimals ---------------------------------------------------------------------------- */

#define D(p, s) sql_type_decimal((p), (s))

static sql_expr *dec(sql_type t, const char *text)
{
	sql_value v = {.type = t};

	assert_int_equal(sql_decimal_parse(text, strlen(text), t, &v.u.dec), 0);
	return lit(v);
}

static const char *text_of(const sql_expr *e)
{
	static char buf[64];
	sql_value v = eval(e);
	textbuf b = TEXTBUF_INIT;

	assert_int_equal(v.type, e->type);
	sql_value_print(&v, &b);
	snprintf(buf, sizeof buf, "%s", b.data ? b.data : "");
	textbuf_free(&b);
	return buf;
}

static void test_decimal_arithmetic_mixes_precisions_and_scales(void **state)
{
	(void)state;
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN,
				   bin(SQL_OP_ADD, D(3, 2), dec(D(2, 2), "0.06"), dec(D(2, 2), "0.01")),
				   dec(D(2, 2), "0.07"))), T);
	/* Operands keep their own scales; the result is rounded into its type. */
	assert_string_equal(text_of(bin(SQL_OP_MUL, D(32, 4), dec(D(15, 2), "21168.23"),
					bin(SQL_OP_SUB, D(16, 2), dec(D(1, 0), "1"),
					    dec(D(15, 2), "0.04")))),
			    "20321.5008");
	assert_string_equal(text_of(bin(SQL_OP_DIV, D(7, 6), dec(D(2, 1), "1.0"), dec(D(1, 0), "3"))),
			    "0.333333");
	/* A bigint operand is read as decimal(20,0). */
	assert_string_equal(text_of(bin(SQL_OP_ADD, D(23, 2), big(INT64_MAX), dec(D(3, 2), "0.50"))),
			    "9223372036854775807.50");
	sql_expr *neg = node(SQL_EXPR_UNARY, D(3, 2), 1, dec(D(3, 2), "1.25"));
	neg->op = SQL_OP_NEG;
	assert_string_equal(text_of(neg), "-1.25");
}

static void test_decimal_overflow_and_division_by_zero_are_null(void **state)
{
	(void)state;
	sql_value v = eval(bin(SQL_OP_ADD, D(38, 0),
			       dec(D(38, 0), "99999999999999999999999999999999999999"),
			       dec(D(1, 0), "1")));
	assert_true(v.null);
	assert_int_equal(v.type, D(38, 0));
	assert_true(eval(bin(SQL_OP_DIV, D(9, 6), dec(D(3, 1), "1.5"), dec(D(1, 0), "0"))).null);
	assert_true(eval(bin(SQL_OP_MOD, D(2, 1), dec(D(3, 1), "1.5"), dec(D(1, 0), "0"))).null);
	assert_true(eval(bin(SQL_OP_ADD, D(3, 2), dec(D(2, 2), "0.06"), null_of(D(2, 2)))).null);
}

static void test_decimal_comparisons_ignore_the_scale(void **state)
{
	(void)state;
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN, dec(D(3, 1), "1.5"),
				   dec(D(10, 4), "1.5000"))), T);
	assert_int_equal(truth(bin(SQL_OP_LT, SQL_TYPE_BOOLEAN, dec(D(15, 2), "0.05"),
				   dec(D(2, 2), "0.06"))), T);
	assert_int_equal(truth(node(SQL_EXPR_BETWEEN, SQL_TYPE_BOOLEAN, 3, dec(D(15, 2), "0.07"),
				    dec(D(2, 2), "0.05"), dec(D(2, 2), "0.07"))), T);
	assert_int_equal(truth(node(SQL_EXPR_IN, SQL_TYPE_BOOLEAN, 3, dec(D(15, 2), "2.00"),
				    dec(D(2, 1), "1.5"), dec(D(1, 0), "2"))), T);
	assert_int_equal(truth(bin(SQL_OP_EQ, SQL_TYPE_BOOLEAN, dec(D(15, 2), "3.00"), big(3))), T);
	assert_int_equal(truth(bin(SQL_OP_GT, SQL_TYPE_BOOLEAN, dec(D(15, 2), "0.1"), dbl(0.1))), F);
}

static void test_decimal_cast_expression_rounds_half_up(void **state)
{
	(void)state;
	sql_expr *c = node(SQL_EXPR_CAST, D(3, 2), 1, dec(D(4, 3), "2.345"));
	c->cast_type = D(3, 2);
	assert_string_equal(text_of(c), "2.35");
	c = node(SQL_EXPR_CAST, D(3, 2), 1, str("123.456"));
	c->cast_type = D(3, 2);
	assert_true(eval(c).null);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- date parts and date arithmetic (EXTRACT, INTERVAL) --------------------------------------- */

static sql_expr *day_of(const char *text)
{
	sql_value v = {.type = SQL_TYPE_DATE};

	assert_int_equal(sql_date_parse(text, strlen(text), &v.u.i), 0);
	return lit(v);
}

static sql_expr *ts_of(const char *text)
{
	sql_value v = {.type = SQL_TYPE_TIMESTAMP};

	assert_int_equal(sql_timestamp_parse(text, strlen(text), &v.u.i), 0);
	return lit(v);
}

static sql_expr *call(sql_func func, sql_type type, sql_expr *a, sql_expr *b, sql_expr *c)
{
	sql_expr *e = node(SQL_EXPR_FUNC, type, c ? 3 : b ? 2 : 1, a, b, c);

	e->func = func;
	return e;
}

/* The result of E (a date or timestamp) as text. */
static const char *when(const sql_expr *e)
{
	static char buf[64];
	sql_value v = eval(e);

	assert_false(v.null);
	if (v.type == SQL_TYPE_DATE)
		fmt_date_text(v.u.i, buf);
	else
		fmt_timestamp_text(v.u.i, buf);
	return buf;
}

static int64_t part(sql_func func, sql_expr *x)
{
	sql_value v = eval(call(func, SQL_TYPE_BIGINT, x, NULL, NULL));

	assert_false(v.null);
	return v.u.i;
}

static void test_add_months_clamps_to_the_end_of_the_month(void **state)
{
	(void)state;
	assert_string_equal(when(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, day_of("2024-01-31"),
				      big(1), NULL)), "2024-02-29");
	assert_string_equal(when(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, day_of("2023-01-31"),
				      big(1), NULL)), "2023-02-28");
	assert_string_equal(when(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, day_of("2024-03-31"),
				      big(-1), NULL)), "2024-02-29");
	assert_string_equal(when(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, day_of("1994-01-01"),
				      big(12), NULL)), "1995-01-01");
	assert_string_equal(when(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, day_of("2020-12-15"),
				      big(-13), NULL)), "2019-11-15");
	assert_true(eval(call(SQL_FUNC_ADD_MONTHS, SQL_TYPE_DATE, null_of(SQL_TYPE_DATE), big(1),
			      NULL)).null);
}

static void test_date_sub_and_time_add(void **state)
{
	(void)state;
	/* TPC-H Q1: date '1998-12-01' - interval '90' day. */
	assert_string_equal(when(call(SQL_FUNC_DATE_SUB, SQL_TYPE_DATE, day_of("1998-12-01"),
				      big(90), NULL)), "1998-09-02");
	assert_string_equal(when(call(SQL_FUNC_DATE_ADD, SQL_TYPE_DATE, day_of("1998-12-01"),
				      big(-90), NULL)), "1998-09-02");
	assert_string_equal(when(call(SQL_FUNC_TIME_ADD, SQL_TYPE_TIMESTAMP,
				      ts_of("2024-01-31 10:00:00"), big(1), big(3600000000))),
			    "2024-02-29 11:00:00");
	assert_string_equal(when(call(SQL_FUNC_TIME_ADD, SQL_TYPE_TIMESTAMP,
				      ts_of("1970-01-01 00:00:00"), big(0), big(-1000000))),
			    "1969-12-31 23:59:59");
	assert_string_equal(when(call(SQL_FUNC_TIME_ADD, SQL_TYPE_TIMESTAMP, day_of("2024-02-29"),
				      big(12), big(0))), "2025-02-28 00:00:00");
}

static void test_extract_parts_of_dates_and_timestamps(void **state)
{
	(void)state;
	assert_int_equal(part(SQL_FUNC_YEAR, day_of("1995-03-15")), 1995);
	assert_int_equal(part(SQL_FUNC_QUARTER, day_of("2024-08-15")), 3);
	assert_int_equal(part(SQL_FUNC_QUARTER, day_of("2024-01-01")), 1);
	/* dayofweek: 1 Sunday .. 7 Saturday, as Spark. */
	assert_int_equal(part(SQL_FUNC_DAYOFWEEK, day_of("2024-12-01")), 1);
	assert_int_equal(part(SQL_FUNC_DAYOFWEEK, day_of("1970-01-01")), 5);
	assert_int_equal(part(SQL_FUNC_DAYOFWEEK, day_of("1969-12-27")), 7);
	/* ISO weeks: 2021-01-01 is in week 53 of 2020, 2024-12-30 in week 1 of 2025. */
	assert_int_equal(part(SQL_FUNC_WEEKOFYEAR, day_of("2021-01-01")), 53);
	assert_int_equal(part(SQL_FUNC_WEEKOFYEAR, day_of("2024-12-30")), 1);
	assert_int_equal(part(SQL_FUNC_WEEKOFYEAR, day_of("2024-06-15")), 24);
	assert_int_equal(part(SQL_FUNC_DAYOFYEAR, day_of("2024-12-31")), 366);
	assert_int_equal(part(SQL_FUNC_MINUTE, ts_of("2024-01-02 03:04:05")), 4);
	assert_int_equal(part(SQL_FUNC_SECOND, ts_of("2024-01-02 03:04:05.9")), 5);
	assert_int_equal(part(SQL_FUNC_MINUTE, ts_of("1969-12-31 23:59:58")), 59);
	assert_int_equal(part(SQL_FUNC_SECOND, ts_of("1969-12-31 23:59:58")), 58);
	assert_int_equal(part(SQL_FUNC_SECOND, day_of("2024-01-02")), 0);
	assert_true(eval(call(SQL_FUNC_QUARTER, SQL_TYPE_BIGINT, null_of(SQL_TYPE_DATE), NULL,
			      NULL)).null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_add_months_clamps_to_the_end_of_the_month),
		TEST(test_date_sub_and_time_add),
		TEST(test_extract_parts_of_dates_and_timestamps),
		TEST(test_and_or_follow_three_valued_logic),
		TEST(test_not_of_null_is_null),
		TEST(test_false_and_skips_the_right_side),
		TEST(test_comparisons_with_null_are_null),
		TEST(test_comparisons_coerce_mixed_operands),
		TEST(test_is_null_is_never_null),
		TEST(test_in_list_null_semantics),
		TEST(test_between_null_semantics),
		TEST(test_like_null_semantics_and_patterns),
		TEST(test_case_picks_the_first_true_branch_and_skips_null_conditions),
		TEST(test_simple_case_never_matches_null),
		TEST(test_case_result_is_cast_to_its_type),
		TEST(test_coalesce_returns_the_first_non_null),
		TEST(test_division_by_zero_is_null),
		TEST(test_bigint_overflow_wraps_as_java_does),
		TEST(test_arithmetic_with_null_is_null),
		TEST(test_columns_read_the_row_by_ordinal),
		TEST(test_cast_expression_of_bad_text_is_null),
		TEST(test_aggregates_are_not_evaluated_here),
		TEST(test_decimal_arithmetic_mixes_precisions_and_scales),
		TEST(test_decimal_overflow_and_division_by_zero_are_null),
		TEST(test_decimal_comparisons_ignore_the_scale),
		TEST(test_decimal_cast_expression_rounds_half_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
