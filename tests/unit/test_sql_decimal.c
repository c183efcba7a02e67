/*
 * test_sql_decimal.c - DECIMAL(p,s) end to end through the engine: SQL
 * text parsed, analyzed, optimized, planned and run over CSV and JSONL
 * files of a temporary metastore, results as the engine renders them.
 * Expected values are Spark's (non-ANSI, allowPrecisionLoss) and are
 * computed by hand in integer cents.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sql_engine_fixture.h"

struct efx {
	fx f;
	sql_progress progress;
	sql_exec_ctx ctx;
	fx_rows rows;
	sql_error err;
	char schema[1024];
};

static int setup(void **state)
{
	struct efx *e = calloc(1, sizeof *e);

	if (!e || fx_open(&e->f))
		return -1;
	e->ctx.catalog = &e->f.cat;
	e->ctx.progress = &e->progress;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct efx *e = *state;

	fx_rows_free(&e->rows);
	fx_close(&e->f);
	free(e);
	return 0;
}

/* Plan and run the one query in TEXT: 0 and the rows in e->rows and the
 * output schema in e->schema, or the first failing stage's error. */
static int query(struct efx *e, const char *text)
{
	static const sql_limits limits = { .threads = 2, .memory_per_operator = 1 << 24,
					   .memory_per_job = 1 << 26 };
	sql_sink sink = {.ctx = &e->rows, .row = fx_rows_add};
	sql_script script;
	textbuf b = TEXTBUF_INIT;
	sql_stmt *st;
	int rc;

	fx_rows_free(&e->rows);
	memset(&e->err, 0, sizeof e->err);
	rc = sql_parse(e->f.a, text, strlen(text), &script, &e->err);
	if (rc)
		return rc;
	assert_int_equal(script.nstmts, 1);
	st = script.stmts[0];
	if ((rc = sql_analyze(e->f.a, &e->f.cat, st, &e->err)))
		return rc;
	sql_plan_print_schema(st->query, &b);
	snprintf(e->schema, sizeof e->schema, "%s", b.data ? b.data : "");
	e->schema[strcspn(e->schema, "\n")] = '\0';
	textbuf_free(&b);
	if ((rc = sql_optimize(e->f.a, &e->f.cat, &st->query, NULL, &e->err)) ||
	    (rc = sql_plan_physical(e->f.a, &limits, st->query, &e->err)))
		return rc;
	return sql_engine_embedded.run_query(&e->ctx, st->query, NULL, &sink, &e->err);
}

/* The rows of TEXT joined with spaces; fails the test if the query does. */
static const char *rows_of(struct efx *e, const char *text)
{
	static char buf[8192];
	size_t n = 0;

	if (query(e, text)) {
		char msg[600];

		sql_error_format(&e->err, msg, sizeof msg);
		fail_msg("%s: %s", text, msg);
	}
	buf[0] = '\0';
	for (uint32_t i = 0; i < e->rows.n; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", e->rows.rows[i]);
	return buf;
}

/* The output schema of TEXT ("x: decimal(2,2)"), which must run. */
static const char *schema_of(struct efx *e, const char *text)
{
	rows_of(e, text);
	return e->schema;
}

static void make_table(struct efx *e, const char *db, const char *name, store_format format,
		       const store_column *cols, uint32_t n)
{
	store_column c[16];

	memcpy(c, cols, n * sizeof *c);
	assert_int_equal(fx_table_create(e->f.env, db, name, format, format == STORE_FORMAT_CSV, c,
					 n, 0, NULL), 0);
}

#define DEC(p, s) store_type_decimal((p), (s))

/* tpch.lineitem (l_orderkey bigint, l_quantity, l_extendedprice,
 * l_discount, l_tax decimal(15,2), l_returnflag string) */
static void make_lineitem(struct efx *e)
{
	const store_column cols[] = {
		{"l_orderkey", STORE_TYPE_BIGINT}, {"l_quantity", DEC(15, 2)},
		{"l_extendedprice", DEC(15, 2)}, {"l_discount", DEC(15, 2)},
		{"l_tax", DEC(15, 2)}, {"l_returnflag", STORE_TYPE_STRING},
	};

	make_table(e, "tpch", "lineitem", STORE_FORMAT_CSV, cols, 6);
	assert_int_equal(fx_add_file(&e->f, "tpch", "lineitem", NULL, "part-0.csv",
				     "l_orderkey,l_quantity,l_extendedprice,l_discount,l_tax,l_returnflag\n"
				     "1,17.00,21168.23,0.04,0.02,N\n"
				     "1,36.00,45983.16,0.09,0.06,N\n"
				     "2,8.00,13309.60,0.10,0.02,R\n"
				     "3,28.00,28955.64,0.06,0.06,R\n"
				     "3,24.00,22824.48,0.05,0.08,A\n"
				     "4,32.00,49620.16,0.07,0.00,A\n"
				     "5,38,44694.46,.07,0.04,N\n"), 0);
}

/* ---- literals and types --------------------------------------------------------------- */

static void test_decimal_literals_add_exactly(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT 0.06 + 0.01 = 0.07"), "true");
	assert_string_equal(rows_of(e, "SELECT 0.1 + 0.2"), "0.3");
	assert_string_equal(e->schema, "(0.1 + 0.2): decimal(2,1)");
}

static void test_literal_types_follow_spark(void **state)
{
	struct efx *e = *state;

	assert_string_equal(schema_of(e, "SELECT 0.06 AS a, 1.5 AS b, 1.50 AS c, 1e3 AS d, 7 AS f"),
			    "a: decimal(2,2), b: decimal(2,1), c: decimal(3,2), d: double, f: bigint");
	assert_string_equal(rows_of(e, "SELECT 0.06 AS a, 1.5 AS b, 1.50 AS c, 1e3 AS d, -0.5 AS g"),
			    "0.06|1.5|1.50|1000.0|-0.5");
	assert_string_equal(schema_of(e, "SELECT 123456789012345678901234 AS big"),
			    "big: decimal(24,0)");
	assert_string_equal(rows_of(e, "SELECT 123456789012345678901234 AS big"),
			    "123456789012345678901234");
}

static void test_arithmetic_result_types_follow_decimal_precision(void **state)
{
	struct efx *e = *state;

	assert_string_equal(schema_of(e, "SELECT CAST(1 AS DECIMAL(15,2)) * CAST(1 AS DECIMAL(16,2)) AS m"),
			    "m: decimal(32,4)");
	/* 1 - x with x decimal(15,2): the literal 1 is decimal(1,0). */
	assert_string_equal(schema_of(e, "SELECT 1 - CAST(0.5 AS DECIMAL(15,2)) AS d"),
			    "d: decimal(16,2)");
	/* decimal(32,4) * decimal(16,2) would be (49,6): adjusted to (38,6). */
	assert_string_equal(schema_of(e, "SELECT CAST(1 AS DECIMAL(32,4)) * CAST(1 AS DECIMAL(16,2)) AS m"),
			    "m: decimal(38,6)");
	/* Division: scale max(6, s1 + p2 + 1), precision p1 - s1 + s2 + scale. */
	assert_string_equal(schema_of(e, "SELECT 1.0 / 3 AS q"), "q: decimal(7,6)");
	assert_string_equal(rows_of(e, "SELECT 1.0 / 3 AS q, 2.0 / 3 AS r"), "0.333333|0.666667");
	/* A bigint column is decimal(20,0); a decimal with a double is a double. */
	assert_string_equal(schema_of(e, "SELECT CAST(7 AS BIGINT) + 0 * 1.5 AS a, 1.5 * 2.0E0 AS b"),
			    "a: decimal(22,1), b: double");
	assert_string_equal(schema_of(e, "SELECT 10.5 % 3 AS r"), "r: decimal(2,1)");
	assert_string_equal(rows_of(e, "SELECT 10.5 % 3, -10.5 % 3"), "1.5|-1.5");
}

static void test_precision_loss_keeps_six_digits_of_scale(void **state)
{
	struct efx *e = *state;

	/* (38,10) / (38,10): scale 49, precision 87 -> (38,6). */
	assert_string_equal(schema_of(e, "SELECT CAST(1 AS DECIMAL(38,10)) / CAST(3 AS DECIMAL(38,10)) AS q"),
			    "q: decimal(38,6)");
	assert_string_equal(rows_of(e, "SELECT CAST(1 AS DECIMAL(38,10)) / CAST(3 AS DECIMAL(38,10))"),
			    "0.333333");
	/* The product of two large values is exact before it is rounded. */
	assert_string_equal(rows_of(e, "SELECT CAST(12345678901234567890.123456789 AS DECIMAL(38,18)) * "
					"CAST(1.000000001 AS DECIMAL(38,18))"),
			    "12345678913580246791.358025");
}

static void test_plans_print_decimal_types_and_literals(void **state)
{
	struct efx *e = *state;
	sql_script script;
	textbuf b = TEXTBUF_INIT;
	const char *text = "SELECT l_quantity * l_orderkey, l_discount + 0.05 FROM tpch.lineitem "
			   "WHERE l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01";

	make_lineitem(e);
	assert_int_equal(sql_parse(e->f.a, text, strlen(text), &script, &e->err), 0);
	assert_int_equal(sql_analyze(e->f.a, &e->f.cat, script.stmts[0], &e->err), 0);
	assert_int_equal(sql_optimize(e->f.a, &e->f.cat, &script.stmts[0]->query, NULL, &e->err), 0);
	sql_plan_print(script.stmts[0]->query, true, false, &b);
	assert_non_null(b.data);
	assert_non_null(strstr(b.data, "(l_quantity#2 * cast(l_orderkey#1 as decimal(20,0)))"));
	assert_non_null(strstr(b.data, "(l_discount#4 + 0.05)"));
	/* The bounds are folded into literals of the column's type. */
	assert_non_null(strstr(b.data, "0.05"));
	assert_non_null(strstr(b.data, "0.07"));
	textbuf_free(&b);
}

static void test_overflow_is_null(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT CAST(99999999999999999999999999999999999999 AS DECIMAL(38,0)) + 1"),
			    "NULL");
	assert_string_equal(rows_of(e, "SELECT CAST(123.45 AS DECIMAL(4,2))"), "NULL");
	assert_string_equal(rows_of(e, "SELECT CAST('abc' AS DECIMAL(4,2))"), "NULL");
	assert_string_equal(rows_of(e, "SELECT 1.5 / 0, 1.5 % 0"), "NULL|NULL");
}

static void test_rounding_is_half_up(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT CAST(2.345 AS DECIMAL(3,2)), CAST(-2.345 AS DECIMAL(3,2)), "
					"CAST(2.344 AS DECIMAL(3,2)), CAST(0.5 AS DECIMAL(1,0))"),
			    "2.35|-2.35|2.34|1");
	assert_string_equal(rows_of(e, "SELECT round(2.345, 2), round(-2.5), round(125.5, -1)"),
			    "2.35|-3|130");
	assert_string_equal(schema_of(e, "SELECT round(CAST(1 AS DECIMAL(15,4)), 2) AS r"),
			    "r: decimal(14,2)");
	assert_string_equal(rows_of(e, "SELECT abs(-1.50), abs(2.25)"), "1.50|2.25");
}

static void test_casts_to_and_from_other_types(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT CAST(' 12.5 ' AS DECIMAL(5,2)), CAST('1e2' AS DECIMAL(5,1)), "
					"CAST(12.99 AS BIGINT), CAST(-12.99 AS BIGINT), CAST(0.1 AS DOUBLE), "
					"CAST(0.1E0 AS DECIMAL(5,3)), CAST(7 AS DECIMAL(3,1)), "
					"CAST(1.50 AS STRING)"),
			    "12.50|100.0|12|-12|0.1|0.100|7.0|1.50");
	assert_string_equal(rows_of(e, "SELECT CAST(1000 AS DECIMAL(3,1))"), "NULL");
}

/* ---- tables ------------------------------------------------------------------------ */

static void test_tpch_q6_filter_and_sum_are_exact(void **state)
{
	struct efx *e = *state;

	make_lineitem(e);
	/* Rows with discount in [0.05, 0.07] and quantity < 24:
	 * 22824.48 * 0.05 = 1141.2240; the others have quantity >= 24. */
	assert_string_equal(rows_of(e, "SELECT sum(l_extendedprice * l_discount) AS revenue "
					"FROM tpch.lineitem WHERE l_discount BETWEEN 0.06 - 0.01 AND "
					"0.06 + 0.01 AND l_quantity < 25"),
			    "1141.2240");
	assert_string_equal(e->schema, "revenue: decimal(38,4)");
	assert_string_equal(rows_of(e, "SELECT sum(l_extendedprice * l_discount) FROM tpch.lineitem "
					"WHERE l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01"),
			    "9480.5858");
}

static void test_tpch_q1_charge_is_exact(void **state)
{
	struct efx *e = *state;

	make_lineitem(e);
	assert_string_equal(rows_of(e, "SELECT l_returnflag, sum(l_quantity), "
					"sum(l_extendedprice * (1 - l_discount)), "
					"sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)), "
					"avg(l_quantity), avg(l_discount), count(*) "
					"FROM tpch.lineitem GROUP BY l_returnflag ORDER BY l_returnflag"),
			    "A|56.00|67830.0048|69564.665280|28.000000|0.060000|2 "
			    "N|91.00|103732.0242|108311.768664|30.333333|0.066667|3 "
			    "R|36.00|39196.9416|41069.612496|18.000000|0.080000|2");
	assert_string_equal(e->schema,
			    "l_returnflag: string, sum(l_quantity): decimal(25,2), "
			    "sum((l_extendedprice * (1 - l_discount))): decimal(38,4), "
			    "sum(((l_extendedprice * (1 - l_discount)) * (1 + l_tax))): decimal(38,6), "
			    "avg(l_quantity): decimal(19,6), avg(l_discount): decimal(19,6), count(1): bigint");
}

static void test_group_by_distinct_and_join_on_decimals(void **state)
{
	struct efx *e = *state;
	const store_column rates[] = {{"rate", DEC(15, 2)}, {"label", STORE_TYPE_STRING}};

	make_lineitem(e);
	make_table(e, "tpch", "rates", STORE_FORMAT_JSONL, rates, 2);
	assert_int_equal(fx_add_file(&e->f, "tpch", "rates", NULL, "part-0.jsonl",
				     "{\"rate\": 0.04, \"label\": \"low\"}\n"
				     "{\"rate\": 0.10, \"label\": \"high\"}\n"
				     "{\"label\": \"none\", \"rate\": \"0.07\"}\n"), 0);
	assert_string_equal(rows_of(e, "SELECT l_discount, count(*) FROM tpch.lineitem "
					"GROUP BY l_discount ORDER BY l_discount DESC"),
			    "0.10|1 0.09|1 0.07|2 0.06|1 0.05|1 0.04|1");
	assert_string_equal(rows_of(e, "SELECT count(DISTINCT l_tax), count(DISTINCT l_quantity) "
					"FROM tpch.lineitem"),
			    "5|7");
	assert_string_equal(rows_of(e, "SELECT r.label, sum(l.l_extendedprice) FROM tpch.lineitem l "
					"JOIN tpch.rates r ON l.l_discount = r.rate "
					"GROUP BY r.label ORDER BY r.label"),
			    "high|13309.60 low|21168.23 none|94314.62");
}

static void test_exact_sum_over_many_rows(void **state)
{
	struct efx *e = *state;
	const store_column cols[] = {{"amount", DEC(10, 2)}};
	textbuf b = TEXTBUF_INIT;

	make_table(e, "db", "cents", STORE_FORMAT_CSV, cols, 1);
	textbuf_puts(&b, "amount\n");
	for (int i = 0; i < 3000; i++)
		textbuf_puts(&b, i % 3 == 0 ? "0.01\n" : i % 3 == 1 ? "0.10\n" : "-0.03\n");
	assert_int_equal(fx_add_file(&e->f, "db", "cents", NULL, "part-0.csv", b.data), 0);
	textbuf_free(&b);
	/* 1000 x (1 + 10 - 3) cents. */
	assert_string_equal(rows_of(e, "SELECT sum(amount), avg(amount), min(amount), max(amount) "
					"FROM db.cents"),
			    "80.00|0.026667|-0.03|0.10");
	/* The same sum as a double drifts; the decimal one does not. */
	assert_string_equal(rows_of(e, "SELECT sum(amount) = 80 FROM db.cents"), "true");
}

static void test_decimal_sum_overflow_is_null(void **state)
{
	struct efx *e = *state;
	const store_column cols[] = {{"x", DEC(38, 0)}};

	make_table(e, "db", "huge", STORE_FORMAT_CSV, cols, 1);
	assert_int_equal(fx_add_file(&e->f, "db", "huge", NULL, "part-0.csv",
				     "x\n99999999999999999999999999999999999999\n1\n"), 0);
	assert_string_equal(rows_of(e, "SELECT sum(x) FROM db.huge"), "NULL");
	assert_string_equal(rows_of(e, "SELECT max(x) FROM db.huge"),
			    "99999999999999999999999999999999999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_decimal_literals_add_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_types_follow_spark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arithmetic_result_types_follow_decimal_precision,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_precision_loss_keeps_six_digits_of_scale, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plans_print_decimal_types_and_literals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overflow_is_null, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rounding_is_half_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_casts_to_and_from_other_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpch_q6_filter_and_sum_are_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tpch_q1_charge_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_by_distinct_and_join_on_decimals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exact_sum_over_many_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decimal_sum_overflow_is_null, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
