/*
 * test_sql_parse.c - the SQL parser: every statement form, the plan shapes
 * a SELECT becomes, operator precedence, comments and statement offsets,
 * and errors that name the line and column.
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

#include "sql_arena_fixture.h"

/* Parse TEXT, which must succeed, and return its only statement. */
static sql_stmt *parse_one(const char *text)
{
	sql_script script;
	sql_error err = { 0 };
	int rc = sql_parse(arena, text, strlen(text), &script, &err);

	if (rc) {
		char msg[600];

		sql_error_format(&err, msg, sizeof msg);
		fail_msg("parse of \"%s\" failed: %s", text, msg);
	}
	assert_int_equal(script.nstmts, 1);
	return script.stmts[0];
}

/* Parse TEXT, which must fail, and return the formatted error. */
static const char *parse_error(const char *text)
{
	static char msg[600];
	sql_script script;
	sql_error err = { 0 };
	int rc = sql_parse(arena, text, strlen(text), &script, &err);

	assert_int_not_equal(rc, 0);
	sql_error_format(&err, msg, sizeof msg);
	return msg;
}

static const char *expr_text(const sql_expr *e)
{
	static char buf[1024];
	textbuf b = TEXTBUF_INIT;

	sql_expr_print(e, false, &b);
	snprintf(buf, sizeof buf, "%s", b.data ? b.data : "");
	textbuf_free(&b);
	return buf;
}

/* The first select item of SELECT <EXPR> FROM d.t, as text. */
static const char *parsed_expr(const char *expr)
{
	char text[512];
	sql_stmt *s;

	snprintf(text, sizeof text, "SELECT %s FROM d.t", expr);
	s = parse_one(text);
	assert_int_equal(s->query->kind, SQL_PLAN_PROJECT);
	return expr_text(s->query->exprs[0]);
}

static const char *plan_text(const sql_plan *p)
{
	static char buf[4096];
	textbuf b = TEXTBUF_INIT;

	sql_plan_print(p, false, false, &b);
	snprintf(buf, sizeof buf, "%s", b.data ? b.data : "");
	textbuf_free(&b);
	return buf;
}

/* ---- SELECT shapes ------------------------------------------------------------------- */

static void test_parse_select_stacks_limit_sort_having_aggregate_filter_relation(void **state)
{
	sql_stmt *s;
	sql_plan *p;

	(void)state;
	s = parse_one("SELECT region, count(*) AS n FROM w.sales.orders o WHERE dt >= '2024-05-01' "
		      "GROUP BY region HAVING count(*) > 10 ORDER BY n DESC LIMIT 5");
	assert_int_equal(s->kind, SQL_STMT_SELECT);
	p = s->query;
	assert_int_equal(p->kind, SQL_PLAN_LIMIT);
	assert_int_equal(p->limit, 5);
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_SORT);
	assert_int_equal(p->nsort, 1);
	assert_true(p->sort[0].desc);
	assert_false(p->sort[0].nulls_first);
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_FILTER);
	assert_string_equal(expr_text(p->cond), "('count(1) > 10)");
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_AGGREGATE);
	assert_int_equal(p->ngroups, 1);
	assert_int_equal(p->nexprs, 2);
	assert_string_equal(expr_text(p->exprs[1]), "'count(1) AS n#?");
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_FILTER);
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_ALIAS);
	assert_string_equal(p->alias, "o");
	p = p->child[0];
	assert_int_equal(p->kind, SQL_PLAN_UNRESOLVED_RELATION);
	assert_int_equal(p->nnames, 3);
	assert_string_equal(p->names[0], "w");
	assert_string_equal(p->names[1], "sales");
	assert_string_equal(p->names[2], "orders");
}

static void test_parse_select_without_aggregates_is_a_project(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT a, b + 1 FROM d.t");
	assert_int_equal(s->query->kind, SQL_PLAN_PROJECT);
	assert_int_equal(s->query->nexprs, 2);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_UNRESOLVED_RELATION);
	assert_int_equal(s->query->child[0]->nnames, 2);
}

static void test_parse_aggregate_call_without_group_by_makes_an_aggregate(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT max(x) + 1 FROM d.t");
	assert_int_equal(s->query->kind, SQL_PLAN_AGGREGATE);
	assert_int_equal(s->query->ngroups, 0);
	s = parse_one("SELECT 1 FROM d.t HAVING sum(x) > 0");
	assert_int_equal(s->query->kind, SQL_PLAN_FILTER);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_AGGREGATE);
}

static void test_parse_select_without_from_reads_one_row(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT 1 + 1");
	assert_int_equal(s->query->kind, SQL_PLAN_PROJECT);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_ONE_ROW);
}

static void test_parse_one_part_table_name_is_a_cte_reference(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT * FROM recent");
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_CTE_REF);
	assert_string_equal(s->query->child[0]->names[0], "recent");
	assert_int_equal(s->query->exprs[0]->kind, SQL_EXPR_STAR);
	assert_null(s->query->exprs[0]->qualifier);
}

static void test_parse_four_part_table_name_is_refused(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT * FROM a.b.c.d"),
			    "line 1, column 15: a table name has more than 3 parts");
}

static void test_parse_with_defines_ctes_as_subquery_aliases(void **state)
{
	sql_stmt *s;
	sql_plan *w;

	(void)state;
	s = parse_one("WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b");
	w = s->query;
	assert_int_equal(w->kind, SQL_PLAN_WITH);
	assert_int_equal(w->nctes, 2);
	assert_string_equal(w->cte_names[0], "a");
	assert_string_equal(w->cte_names[1], "b");
	assert_int_equal(w->ctes[1]->kind, SQL_PLAN_ALIAS);
	assert_string_equal(w->ctes[1]->alias, "b");
	assert_int_equal(w->ctes[1]->child[0]->child[0]->kind, SQL_PLAN_CTE_REF);
	assert_int_equal(w->child[0]->kind, SQL_PLAN_PROJECT);
}

static void test_parse_with_refuses_a_name_defined_twice(void **state)
{
	(void)state;
	assert_string_equal(parse_error("WITH a AS (SELECT 1), A AS (SELECT 2) SELECT * FROM a"),
			    "line 1, column 23: WITH query \"A\" is defined twice");
}

static void test_parse_inner_and_left_joins_keep_their_conditions(void **state)
{
	sql_stmt *s;
	sql_plan *j;

	(void)state;
	s = parse_one("SELECT * FROM d.a x JOIN d.b y ON x.id = y.id "
		      "LEFT OUTER JOIN d.c z ON y.k = z.k INNER JOIN d.e ON 1 = 1");
	j = s->query->child[0];
	assert_int_equal(j->kind, SQL_PLAN_JOIN);
	assert_int_equal(j->join_type, SQL_JOIN_INNER);
	j = j->child[0];
	assert_int_equal(j->kind, SQL_PLAN_JOIN);
	assert_int_equal(j->join_type, SQL_JOIN_LEFT);
	assert_string_equal(expr_text(j->cond), "('y.k = 'z.k)");
	assert_int_equal(j->child[1]->kind, SQL_PLAN_ALIAS);
	j = j->child[0];
	assert_int_equal(j->join_type, SQL_JOIN_INNER);
	assert_string_equal(expr_text(j->cond), "('x.id = 'y.id)");
	assert_string_equal(j->child[0]->alias, "x");
	assert_string_equal(j->child[1]->alias, "y");
}

static void test_parse_comma_join_has_no_condition(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT * FROM d.a, d.b");
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_JOIN);
	assert_null(s->query->child[0]->cond);
}

/* The join type of the Nth join of FROM d.a <JOIN> d.b ON ... (the only one). */
static sql_join_type parsed_join_type(const char *join)
{
	char text[256];
	sql_stmt *s;

	snprintf(text, sizeof text, "SELECT * FROM d.a %s d.b ON a.x = b.x", join);
	s = parse_one(text);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_JOIN);
	assert_non_null(s->query->child[0]->cond);
	return s->query->child[0]->join_type;
}

static void test_parse_every_join_type_with_and_without_outer(void **state)
{
	(void)state;
	assert_int_equal(parsed_join_type("JOIN"), SQL_JOIN_INNER);
	assert_int_equal(parsed_join_type("INNER JOIN"), SQL_JOIN_INNER);
	assert_int_equal(parsed_join_type("LEFT JOIN"), SQL_JOIN_LEFT);
	assert_int_equal(parsed_join_type("left outer join"), SQL_JOIN_LEFT);
	assert_int_equal(parsed_join_type("RIGHT JOIN"), SQL_JOIN_RIGHT);
	assert_int_equal(parsed_join_type("RIGHT OUTER JOIN"), SQL_JOIN_RIGHT);
	assert_int_equal(parsed_join_type("FULL JOIN"), SQL_JOIN_FULL);
	assert_int_equal(parsed_join_type("FULL OUTER JOIN"), SQL_JOIN_FULL);
	assert_int_equal(parsed_join_type("LEFT SEMI JOIN"), SQL_JOIN_LEFT_SEMI);
	assert_int_equal(parsed_join_type("left anti join"), SQL_JOIN_LEFT_ANTI);
}

static void test_parse_semi_and_anti_are_still_names_elsewhere(void **state)
{
	sql_stmt *s;

	(void)state;
	/* SEMI and ANTI are words only after LEFT: a table alias may be one. */
	s = parse_one("SELECT semi.x FROM d.a semi LEFT ANTI JOIN d.b anti ON semi.x = anti.x");
	assert_int_equal(s->query->child[0]->join_type, SQL_JOIN_LEFT_ANTI);
	assert_string_equal(s->query->child[0]->child[0]->alias, "semi");
	assert_string_equal(s->query->child[0]->child[1]->alias, "anti");
}

static void test_parse_cross_join_and_comma_joins_have_no_condition(void **state)
{
	sql_stmt *s;
	sql_plan *j;

	(void)state;
	s = parse_one("SELECT * FROM d.a CROSS JOIN d.b, d.c, d.e WHERE a.x = c.x");
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_FILTER);
	j = s->query->child[0]->child[0];
	/* Left to right: ((a CROSS JOIN b), c), e. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j->kind, SQL_PLAN_JOIN);
		assert_int_equal(j->join_type, SQL_JOIN_INNER);
		assert_null(j->cond);
		j = j->child[0];
	}
	assert_string_equal(j->names[1], "a");
}

static void test_parse_semi_join_needs_join(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT * FROM d.a LEFT SEMI d.b ON a.x = b.x"),
			    "line 1, column 29: expected JOIN, found \"d\"");
}

static void test_parse_join_needs_on(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT * FROM d.a JOIN d.b WHERE x = 1"),
			    "line 1, column 28: expected ON, found \"WHERE\"");
}

static void test_parse_union_all_and_union_distinct(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT a FROM d.t UNION ALL SELECT b FROM d.u UNION SELECT c FROM d.v "
		      "ORDER BY 1 LIMIT 3");
	assert_int_equal(s->query->kind, SQL_PLAN_LIMIT);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_SORT);
	assert_int_equal(s->query->child[0]->child[0]->kind, SQL_PLAN_DISTINCT);
	assert_int_equal(s->query->child[0]->child[0]->child[0]->kind, SQL_PLAN_UNION);
	assert_int_equal(s->query->child[0]->child[0]->child[0]->child[0]->kind, SQL_PLAN_UNION);
}

static void test_parse_subquery_in_from_with_alias(void **state)
{
	sql_stmt *s;
	sql_plan *a;

	(void)state;
	s = parse_one("SELECT q.n FROM (SELECT count(*) n FROM d.t) AS q");
	a = s->query->child[0];
	assert_int_equal(a->kind, SQL_PLAN_ALIAS);
	assert_string_equal(a->alias, "q");
	assert_int_equal(a->child[0]->kind, SQL_PLAN_AGGREGATE);
	assert_string_equal(s->query->exprs[0]->qualifier, "q");
	assert_string_equal(s->query->exprs[0]->name, "n");
}

static void test_parse_select_distinct_sits_above_the_project(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT DISTINCT region FROM d.t ORDER BY region");
	assert_int_equal(s->query->kind, SQL_PLAN_SORT);
	assert_int_equal(s->query->child[0]->kind, SQL_PLAN_DISTINCT);
	assert_int_equal(s->query->child[0]->child[0]->kind, SQL_PLAN_PROJECT);
}

static void test_parse_qualified_star_and_aliases_with_and_without_as(void **state)
{
	sql_stmt *s;
	sql_expr **e;

	(void)state;
	s = parse_one("SELECT o.*, a AS x, b y, `weird name` FROM d.t o");
	e = s->query->exprs;
	assert_int_equal(s->query->nexprs, 4);
	assert_int_equal(e[0]->kind, SQL_EXPR_STAR);
	assert_string_equal(e[0]->qualifier, "o");
	assert_int_equal(e[1]->kind, SQL_EXPR_ALIAS);
	assert_string_equal(e[1]->name, "x");
	assert_int_equal(e[2]->kind, SQL_EXPR_ALIAS);
	assert_string_equal(e[2]->name, "y");
	assert_int_equal(e[3]->kind, SQL_EXPR_COLUMN);
	assert_string_equal(e[3]->name, "weird name");
}

static void test_parse_order_by_nulls_defaults_and_overrides(void **state)
{
	sql_stmt *s;
	sql_plan *p;

	(void)state;
	s = parse_one("SELECT a FROM d.t ORDER BY a, b DESC, c ASC NULLS LAST, d DESC NULLS FIRST");
	p = s->query;
	assert_int_equal(p->nsort, 4);
	assert_true(p->sort[0].nulls_first);
	assert_false(p->sort[0].desc);
	assert_false(p->sort[1].nulls_first);
	assert_false(p->sort[2].nulls_first);
	assert_true(p->sort[3].nulls_first);
	assert_true(p->sort[3].desc);
}

static void test_parse_values_rows_must_have_equal_widths(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("VALUES (1, 'a'), (2, 'b'), (3, NULL)");
	assert_int_equal(s->query->kind, SQL_PLAN_VALUES);
	assert_int_equal(s->query->nrows, 3);
	assert_int_equal(s->query->ncols, 2);
	assert_true(s->query->rows[2][1]->value.null);
	assert_string_equal(parse_error("VALUES (1, 2),\n (3)"),
			    "line 2, column 2: VALUES row 2 has 1 values, expected 2 as in the first row");
}

/* ---- expressions ------------------------------------------------------------------------ */

static void test_parse_arithmetic_precedence_and_left_associativity(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("1 + 2 * 3"), "(1 + (2 * 3))");
	assert_string_equal(parsed_expr("1 - 2 - 3"), "((1 - 2) - 3)");
	assert_string_equal(parsed_expr("a / b % c"), "(('a / 'b) % 'c)");
	assert_string_equal(parsed_expr("(1 + 2) * 3"), "((1 + 2) * 3)");
	assert_string_equal(parsed_expr("-a * b"), "(-'a * 'b)");
	assert_string_equal(parsed_expr("a - -b"), "('a - -'b)");
}

static void test_parse_concat_binds_looser_than_plus_tighter_than_comparison(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("a + b || c"), "(('a + 'b) || 'c)");
	assert_string_equal(parsed_expr("a || b = c"), "(('a || 'b) = 'c)");
}

static void test_parse_boolean_precedence_or_and_not(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("a OR b AND c"), "('a OR ('b AND 'c))");
	assert_string_equal(parsed_expr("a AND b OR c"), "(('a AND 'b) OR 'c)");
	assert_string_equal(parsed_expr("NOT a = b AND c"), "(NOT ('a = 'b) AND 'c)");
	assert_string_equal(parsed_expr("NOT NOT a"), "NOT NOT 'a");
	assert_string_equal(parsed_expr("x + 1 > y * 2 OR z IS NULL"),
			    "((('x + 1) > ('y * 2)) OR isnull('z))");
}

static void test_parse_predicates_in_between_like_is(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("a NOT IN (1, 2, 3)"), "NOT 'a IN (1,2,3)");
	assert_string_equal(parsed_expr("a IN ('x')"), "'a IN (x)");
	assert_string_equal(parsed_expr("a BETWEEN 1 AND 2 AND b"),
			    "(('a BETWEEN 1 AND 2) AND 'b)");
	assert_string_equal(parsed_expr("a NOT BETWEEN b + 1 AND 5"),
			    "NOT ('a BETWEEN ('b + 1) AND 5)");
	assert_string_equal(parsed_expr("name NOT LIKE 'x%' OR name LIKE '_y'"),
			    "(NOT 'name LIKE x% OR 'name LIKE _y)");
	assert_string_equal(parsed_expr("a IS NOT NULL AND b IS NULL"),
			    "(isnotnull('a) AND isnull('b))");
	assert_string_equal(parsed_expr("a + 1 IN (2)"), "('a + 1) IN (2)");
}

static void test_parse_literals_of_every_type(void **state)
{
	sql_stmt *s;
	sql_expr **e;

	(void)state;
	s = parse_one("SELECT 42, -7, 1.5, 'it''s', TRUE, false, NULL, DATE '2024-05-01', "
		      "TIMESTAMP '2024-05-01 12:30:05.25', 99999999999999999999");
	e = s->query->exprs;
	assert_int_equal(e[0]->value.type, SQL_TYPE_BIGINT);
	assert_int_equal(e[0]->value.u.i, 42);
	assert_int_equal(e[1]->kind, SQL_EXPR_LITERAL);
	assert_int_equal(e[1]->value.u.i, -7);
	assert_int_equal(e[2]->value.type, sql_type_decimal(2, 1));
	assert_true(e[2]->value.u.dec == 15);
	assert_int_equal(e[3]->value.type, SQL_TYPE_STRING);
	assert_int_equal(e[3]->value.u.s.len, 4);
	assert_memory_equal(e[3]->value.u.s.ptr, "it's", 4);
	assert_true(e[4]->value.u.b);
	assert_false(e[5]->value.u.b);
	assert_int_equal(e[5]->value.type, SQL_TYPE_BOOLEAN);
	assert_true(e[6]->value.null);
	assert_int_equal(e[7]->value.type, SQL_TYPE_DATE);
	assert_int_equal(e[7]->value.u.i, 19844);
	assert_int_equal(e[8]->value.type, SQL_TYPE_TIMESTAMP);
	assert_int_equal(e[8]->value.u.i, 19844LL * 86400000000LL + 45005250000LL);
	assert_string_equal(expr_text(e[8]), "2024-05-01 12:30:05.250000");
	/* Too big for a bigint: a decimal, as in Spark. */
	assert_int_equal(e[9]->value.type, sql_type_decimal(20, 0));
}

static void test_parse_smallest_bigint_literal_folds_its_minus(void **state)
{
	sql_stmt *s;
	sql_expr **e;

	(void)state;
	s = parse_one("SELECT -9223372036854775808, 9223372036854775808, -9223372036854775809, "
		      "-9223372036854775808.0, - 9223372036854775808 * 2, -00009223372036854775808, "
		      "-(-9223372036854775808)");
	e = s->query->exprs;
	assert_int_equal(e[0]->kind, SQL_EXPR_LITERAL);
	assert_int_equal(e[0]->value.type, SQL_TYPE_BIGINT);
	assert_true(e[0]->value.u.i == INT64_MIN);
	assert_int_equal(e[0]->col, 8);
	/* Without the minus it is out of range: Spark's DECIMAL(19,0). */
	assert_int_equal(e[1]->value.type, sql_type_decimal(19, 0));
	assert_int_equal(e[2]->value.type, sql_type_decimal(19, 0));
	assert_true(e[2]->value.u.dec == (sql_int128)INT64_MIN - 1);
	assert_int_equal(e[3]->value.type, sql_type_decimal(20, 1));
	/* The minus binds tighter than *: (-9223372036854775808) * 2. */
	assert_int_equal(e[4]->kind, SQL_EXPR_BINARY);
	assert_int_equal(e[4]->args[0]->value.type, SQL_TYPE_BIGINT);
	assert_true(e[4]->args[0]->value.u.i == INT64_MIN);
	assert_int_equal(e[5]->value.type, SQL_TYPE_BIGINT);
	assert_true(e[5]->value.u.i == INT64_MIN);
	/* Negating the smallest bigint again is left to the evaluator. */
	assert_int_equal(e[6]->kind, SQL_EXPR_UNARY);
	assert_true(e[6]->args[0]->value.u.i == INT64_MIN);
}

static void test_parse_string_escapes(void **state)
{
	sql_stmt *s;
	const sql_value *v;

	(void)state;
	s = parse_one("SELECT 'a\\tb\\'c\\\\d\\%'");
	v = &s->query->exprs[0]->value;
	assert_int_equal(v->u.s.len, 9);
	assert_memory_equal(v->u.s.ptr, "a\tb'c\\d\\%", 9);
}

static void test_parse_date_column_is_a_column_not_a_literal(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("date + 1"), "('date + 1)");
	assert_string_equal(parsed_expr("year(date)"), "'year('date)");
}

static void test_parse_invalid_date_literal_names_its_place(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT\n  DATE '2024-02-30'"),
			    "line 2, column 3: invalid DATE literal '2024-02-30'");
	assert_string_equal(parse_error("SELECT TIMESTAMP '2024-01-01 25:00:00'"),
			    "line 1, column 8: invalid TIMESTAMP literal '2024-01-01 25:00:00'");
}

static void test_parse_case_both_forms_and_cast(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' END"),
			    "CASE WHEN ('a > 1) THEN big WHEN ('a > 0) THEN small END");
	assert_string_equal(parsed_expr("CASE region WHEN 'eu' THEN 1 ELSE 0 END"),
			    "CASE 'region WHEN eu THEN 1 ELSE 0 END");
	assert_string_equal(parsed_expr("CAST(x AS INT) + CAST('1' AS double)"),
			    "(cast('x as bigint) + cast(1 as double))");
}

static void test_parse_aggregate_and_function_calls(void **state)
{
	sql_stmt *s;
	sql_expr **e;

	(void)state;
	s = parse_one("SELECT count(*), COUNT(DISTINCT x), sum(y), avg(y), min(y), max(y), "
		      "lower(s), coalesce(a, b, 'c'), o.t.col FROM d.t");
	e = s->query->exprs;
	assert_int_equal(e[0]->kind, SQL_EXPR_AGG);
	assert_int_equal(e[0]->agg, SQL_AGG_COUNT);
	assert_int_equal(e[0]->nargs, 0);
	assert_int_equal(e[1]->agg, SQL_AGG_COUNT);
	assert_true(e[1]->distinct);
	assert_string_equal(expr_text(e[1]), "'COUNT(distinct 'x)");
	assert_int_equal(e[2]->agg, SQL_AGG_SUM);
	assert_int_equal(e[3]->agg, SQL_AGG_AVG);
	assert_int_equal(e[4]->agg, SQL_AGG_MIN);
	assert_int_equal(e[5]->agg, SQL_AGG_MAX);
	assert_int_equal(e[6]->kind, SQL_EXPR_FUNC);
	assert_string_equal(e[6]->name, "lower");
	assert_int_equal(e[7]->nargs, 3);
	assert_string_equal(expr_text(e[7]), "'coalesce('a, 'b, c)");
	assert_string_equal(e[8]->qualifier, "o.t");
	assert_string_equal(e[8]->name, "col");
}

static void test_parse_function_call_errors(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT lower(DISTINCT a)"),
			    "line 1, column 8: DISTINCT is only allowed in aggregate functions, "
			    "not in lower()");
	assert_string_equal(parse_error("SELECT sum()"), "line 1, column 8: sum() needs an argument");
	assert_string_equal(parse_error("SELECT sum(*)"),
			    "line 1, column 12: expected an expression, found \"*\"");
	assert_string_equal(parse_error("SELECT a + t.* FROM d.t"),
			    "line 1, column 14: t.* is only allowed in the select list");
}

static void test_parse_positions_of_expressions(void **state)
{
	sql_stmt *s;
	sql_expr *e;

	(void)state;
	s = parse_one("SELECT a,\n   b + c FROM d.t");
	e = s->query->exprs[1];
	assert_int_equal(e->line, 2);
	assert_int_equal(e->col, 4);
	assert_int_equal(e->args[1]->col, 8);
}

/* ---- statements ------------------------------------------------------------------------- */

static void test_parse_create_database(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("CREATE DATABASE IF NOT EXISTS sales");
	assert_int_equal(s->kind, SQL_STMT_CREATE_DATABASE);
	assert_true(s->if_not_exists);
	assert_int_equal(s->ntarget, 1);
	assert_string_equal(s->target[0], "sales");
	s = parse_one("create database lake.raw");
	assert_false(s->if_not_exists);
	assert_int_equal(s->ntarget, 2);
}

static void test_parse_create_table_with_partitions_format_and_properties(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("CREATE TABLE IF NOT EXISTS sales.orders (order_id BIGINT, region STRING, "
		      "amount DOUBLE, n INT) PARTITIONED BY (dt DATE, hr int) STORED AS JSONL "
		      "TBLPROPERTIES ('header'='true', 'owner' = 'it''s')");
	assert_int_equal(s->kind, SQL_STMT_CREATE_TABLE);
	assert_true(s->if_not_exists);
	assert_int_equal(s->ntarget, 2);
	assert_int_equal(s->ncolumns, 4);
	assert_string_equal(s->columns[1].name, "region");
	assert_int_equal(s->columns[1].type, SQL_TYPE_STRING);
	assert_int_equal(s->columns[3].type, SQL_TYPE_BIGINT);
	assert_int_equal(s->npartcols, 2);
	assert_string_equal(s->partcols[0].name, "dt");
	assert_int_equal(s->partcols[0].type, SQL_TYPE_DATE);
	assert_int_equal(s->format, STORE_FORMAT_JSONL);
	assert_true(s->format_given);
	assert_int_equal(s->nprops, 2);
	assert_string_equal(s->props[0].key, "header");
	assert_string_equal(s->props[1].value, "it's");
	/* Spark's and Hive's spellings of a Parquet table */
	s = parse_one("CREATE TABLE d.p (a INT) STORED AS PARQUET");
	assert_int_equal(s->format, STORE_FORMAT_PARQUET);
	s = parse_one("CREATE TABLE d.p USING parquet AS SELECT 1 AS a");
	assert_int_equal(s->format, STORE_FORMAT_PARQUET);
	assert_true(s->format_given);
	/* the clauses in any order, as Spark takes them */
	s = parse_one("CREATE TABLE d.p USING parquet PARTITIONED BY (dt) TBLPROPERTIES ('k'='v') "
		      "AS SELECT 1 AS a, DATE '2024-01-01' AS dt");
	assert_int_equal(s->format, STORE_FORMAT_PARQUET);
	assert_int_equal(s->npartcols, 1);
	assert_int_equal(s->nprops, 1);
	s = parse_one("CREATE TABLE d.p (a INT) TBLPROPERTIES ('k'='v') STORED AS JSONL PARTITIONED BY (dt DATE)");
	assert_int_equal(s->format, STORE_FORMAT_JSONL);
	assert_int_equal(s->npartcols, 1);
}

static void test_parse_properties_refuse_control_characters(void **state)
{
	(void)state;
	assert_string_equal(parse_error("CREATE TABLE d.t (a string) TBLPROPERTIES "
					"('k'='a\\nformat jsonl')"),
			    "line 1, column 44: property 'k': value holds a control character (U+000A)");
	assert_string_equal(parse_error("CREATE TABLE d.t (a string) TBLPROPERTIES ('x'='1', "
					"'k'='a\nformat jsonl')"),
			    "line 1, column 53: property 'k': value holds a control character (U+000A)");
	assert_string_equal(parse_error("CREATE TABLE d.t (a string) TBLPROPERTIES ('k'='a\\0b')"),
			    "line 1, column 44: property 'k': value holds a control character (U+0000)");
	assert_string_equal(parse_error("ALTER TABLE d.t SET TBLPROPERTIES ('k\\r'='v')"),
			    "line 1, column 36: property 'k?': name holds a control character (U+000D)");
	assert_string_equal(parse_error("CREATE TABLE d.t (a string) TBLPROPERTIES ('a=b'='v')"),
			    "line 1, column 44: property 'a=b': name holds '='");
}

static void test_parse_create_table_defaults_to_csv(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("CREATE TABLE d.t (a string)");
	assert_int_equal(s->format, STORE_FORMAT_CSV);
	assert_false(s->format_given);
	assert_int_equal(s->npartcols, 0);
}

static void test_parse_create_table_errors(void **state)
{
	(void)state;
	assert_string_equal(parse_error("CREATE TABLE d.t (a varchar)"),
			    "line 1, column 21: unknown type \"varchar\": expected string, bigint, "
			    "int, double, decimal(p,s), boolean, date or timestamp");
	assert_string_equal(parse_error("CREATE TABLE d.t (a int, A string)"),
			    "line 1, column 26: column \"A\" is defined twice");
	assert_string_equal(parse_error("CREATE TABLE d.t (a int, dt date) PARTITIONED BY (dt date)"),
			    "line 1, column 51: partition column \"dt\" is also a data column: "
			    "list it only in PARTITIONED BY");
	assert_string_equal(parse_error("CREATE TABLE d.t (a int) AS SELECT 1"),
			    "line 1, column 26: CREATE TABLE AS SELECT takes its columns from the "
			    "query: drop the column list");
	assert_string_equal(parse_error("CREATE TABLE d.t"),
			    "line 1, column 17: unexpected end of input: expected \"(\" or AS");
	assert_string_equal(parse_error("CREATE TABLE d.t (a int) STORED AS csv USING parquet"),
			    "line 1, column 40: the format (STORED AS or USING) is given twice");
	assert_string_equal(parse_error("CREATE TABLE d.t (a int) STORED AS orc"),
			    "line 1, column 36: expected CSV, JSONL or PARQUET, found \"orc\"");
}

static void test_parse_create_table_as_select_with_partition_names(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("CREATE TABLE d.daily PARTITIONED BY (dt) STORED AS CSV AS "
		      "SELECT region, count(*) AS n, dt FROM d.t GROUP BY region, dt");
	assert_int_equal(s->kind, SQL_STMT_CREATE_TABLE_AS);
	assert_int_equal(s->ncolumns, 0);
	assert_int_equal(s->npartcols, 1);
	assert_string_equal(s->partcols[0].name, "dt");
	assert_int_equal(s->partcols[0].type, SQL_TYPE_NULL);
	assert_int_equal(s->query->kind, SQL_PLAN_AGGREGATE);
}

static void test_parse_drop_table_and_database(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("DROP TABLE IF EXISTS p.d.t");
	assert_int_equal(s->kind, SQL_STMT_DROP_TABLE);
	assert_true(s->if_exists);
	assert_int_equal(s->ntarget, 3);
	s = parse_one("DROP DATABASE d");
	assert_int_equal(s->kind, SQL_STMT_DROP_DATABASE);
	assert_false(s->if_exists);
	assert_string_equal(parse_error("DROP INDEX v"),
			    "line 1, column 6: expected TABLE, VIEW, DATABASE or ROLE, found \"INDEX\"");
}

static void test_parse_alter_table_add_and_drop_partitions(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("ALTER TABLE d.t ADD IF NOT EXISTS PARTITION (dt='2024-05-01', hr=3) "
		      "PARTITION (dt='2024-05-02', hr=-1)");
	assert_int_equal(s->kind, SQL_STMT_ADD_PARTITION);
	assert_true(s->if_not_exists);
	assert_int_equal(s->npspecs, 2);
	assert_int_equal(s->pspecs[0].nitems, 2);
	assert_string_equal(s->pspecs[0].items[0].key, "dt");
	assert_int_equal(s->pspecs[0].items[0].value->value.type, SQL_TYPE_STRING);
	assert_int_equal(s->pspecs[1].items[1].value->value.u.i, -1);
	s = parse_one("ALTER TABLE d.t DROP IF EXISTS PARTITION (dt='a'), PARTITION (dt='b'), "
		      "PARTITION (dt='c')");
	assert_int_equal(s->kind, SQL_STMT_DROP_PARTITION);
	assert_true(s->if_exists);
	assert_int_equal(s->npspecs, 3);
	assert_string_equal(s->pspecs[2].items[0].key, "dt");
}

static void test_parse_alter_partition_needs_values(void **state)
{
	(void)state;
	assert_string_equal(parse_error("ALTER TABLE d.t ADD PARTITION (dt)"),
			    "line 1, column 32: partition key \"dt\" needs a value");
	assert_string_equal(parse_error("ALTER TABLE d.t ADD PARTITION (dt=a)"),
			    "line 1, column 35: partition value of \"dt\" must be a literal");
	assert_string_equal(parse_error("ALTER TABLE d.t ADD PARTITION (dt=1, DT=2)"),
			    "line 1, column 38: partition key \"DT\" is given twice");
}

static void test_parse_msck_and_show_partitions(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("MSCK REPAIR TABLE d.t");
	assert_int_equal(s->kind, SQL_STMT_MSCK_REPAIR);
	assert_string_equal(s->target[1], "t");
	s = parse_one("SHOW PARTITIONS d.t");
	assert_int_equal(s->kind, SQL_STMT_SHOW_PARTITIONS);
	assert_int_equal(s->ntarget, 2);
}

static void test_parse_insert_into_with_static_and_dynamic_partitions(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("INSERT INTO TABLE d.t PARTITION (dt='2024-05-01', hr) "
		      "SELECT a, b, hr FROM d.src");
	assert_int_equal(s->kind, SQL_STMT_INSERT);
	assert_false(s->overwrite);
	assert_int_equal(s->npspecs, 1);
	assert_int_equal(s->pspecs[0].nitems, 2);
	assert_non_null(s->pspecs[0].items[0].value);
	assert_null(s->pspecs[0].items[1].value);
	assert_int_equal(s->query->kind, SQL_PLAN_PROJECT);
}

static void test_parse_insert_overwrite_values(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("INSERT OVERWRITE TABLE d.t VALUES (1, 'a'), (2, 'b')");
	assert_true(s->overwrite);
	assert_int_equal(s->query->kind, SQL_PLAN_VALUES);
	assert_int_equal(s->query->nrows, 2);
	s = parse_one("INSERT INTO d.t WITH x AS (SELECT 1 AS a) SELECT a FROM x");
	assert_int_equal(s->query->kind, SQL_PLAN_WITH);
	assert_string_equal(parse_error("INSERT d.t SELECT 1"),
			    "line 1, column 8: expected INTO or OVERWRITE, found \"d\"");
}

static void test_parse_explain_extended_wraps_the_statement(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("EXPLAIN EXTENDED SELECT a FROM d.t");
	assert_int_equal(s->kind, SQL_STMT_EXPLAIN);
	assert_true(s->extended);
	assert_non_null(s->inner);
	assert_int_equal(s->inner->kind, SQL_STMT_SELECT);
	assert_int_equal(s->inner->start, 17);
	assert_int_equal(s->inner->index, 1);
	s = parse_one("explain INSERT INTO d.t SELECT 1");
	assert_false(s->extended);
	assert_int_equal(s->inner->kind, SQL_STMT_INSERT);
}

static void test_parse_script_of_statements_with_comments_offsets_and_indexes(void **state)
{
	const char *text =
		"-- daily job\n"
		"CREATE DATABASE IF NOT EXISTS d;\n"
		"/* the table */ CREATE TABLE d.t (a int) ;;\n"
		"INSERT INTO d.t VALUES (1); -- done\n"
		"SELECT a FROM d.t -- no semicolon at the end\n";
	sql_script script;
	sql_error err = { 0 };

	(void)state;
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), 0);
	assert_int_equal(script.nstmts, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(script.stmts[i]->index, i + 1);
	assert_int_equal(script.stmts[0]->line, 2);
	assert_int_equal(script.stmts[0]->col, 1);
	assert_int_equal(script.stmts[1]->kind, SQL_STMT_CREATE_TABLE);
	assert_int_equal(script.stmts[1]->line, 3);
	assert_int_equal(script.stmts[1]->col, 17);
	for (uint32_t i = 0; i < 4; i++) {
		static const char *const want[] = {
			"CREATE DATABASE IF NOT EXISTS d", "CREATE TABLE d.t (a int)",
			"INSERT INTO d.t VALUES (1)", "SELECT a FROM d.t" };
		const sql_stmt *s = script.stmts[i];

		assert_int_equal(s->end - s->start, strlen(want[i]));
		assert_memory_equal(text + s->start, want[i], s->end - s->start);
	}
}

static void test_parse_empty_script_has_no_statements(void **state)
{
	sql_script script;
	sql_error err = { 0 };

	(void)state;
	assert_int_equal(sql_parse(arena, " -- nothing\n ; ;", 16, &script, &err), 0);
	assert_int_equal(script.nstmts, 0);
}

static void test_parse_statement_end_includes_a_closing_quote(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT 'x' ; ");
	assert_int_equal(s->end, 10);
	s = parse_one("SELECT `a b`");
	assert_int_equal(s->end, 12);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_parse_reports_line_and_column_of_a_misspelt_from(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT region,\n       amount FORM sales.orders"),
			    "line 2, column 15: expected FROM, found \"FORM\"");
	assert_string_equal(parse_error("SELECT a FROM d.t WHER a > 1"),
			    "line 1, column 19: expected WHERE, found \"WHER\"");
}

static void test_parse_reports_unexpected_token_after_statement(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT a FROM d.t x y"),
			    "line 1, column 21: expected \";\", found \"y\"");
	assert_string_equal(parse_error("SELECT a b c"),
			    "line 1, column 12: expected FROM, found \"c\"");
}

static void test_parse_reports_unexpected_end_of_input(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT (a + 1"),
			    "line 1, column 14: unexpected end of input: expected \")\"");
	assert_string_equal(parse_error("SELECT a FROM\n"),
			    "line 2, column 1: unexpected end of input: expected a table name or "
			    "subquery");
	assert_string_equal(parse_error("SELECT a +"),
			    "line 1, column 11: unexpected end of input: expected an expression");
}

static void test_parse_reports_lexer_errors_at_their_start(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT a\nFROM d.t WHERE b = 'open"),
			    "line 2, column 20: unterminated string literal");
	assert_string_equal(parse_error("SELECT a /* oops\n FROM d.t"),
			    "line 1, column 10: unterminated comment");
	assert_string_equal(parse_error("SELECT a @ b"),
			    "line 1, column 10: unexpected character \"@\"");
}

static void test_parse_reports_unknown_statement(void **state)
{
	(void)state;
	assert_string_equal(parse_error("UPDATE d.t SET a = 1"),
			    "line 1, column 1: expected a statement (SELECT, INSERT, CREATE, DROP, "
			    "ALTER, MSCK, SHOW, GRANT, REVOKE or EXPLAIN), found \"UPDATE\"");
	assert_string_equal(parse_error("SELECT 1;\n  FOO"),
			    "line 2, column 3: expected a statement (SELECT, INSERT, CREATE, DROP, "
			    "ALTER, MSCK, SHOW, GRANT, REVOKE or EXPLAIN), found \"FOO\"");
}

static void test_parse_keyword_cannot_be_a_column_unless_quoted(void **state)
{
	sql_stmt *s;

	(void)state;
	assert_string_equal(parse_error("SELECT select FROM d.t"),
			    "line 1, column 8: expected an expression, found \"select\"");
	s = parse_one("SELECT `select` FROM d.t");
	assert_string_equal(s->query->exprs[0]->name, "select");
}

static void test_parse_not_is_refused_as_an_arithmetic_operand(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT a + NOT b"),
			    "line 1, column 12: expected an expression, found \"NOT\"");
}

static void test_parse_in_subquery_is_told_from_in_list(void **state)
{
	sql_stmt *s = parse_one("SELECT a FROM d.t WHERE a NOT IN (SELECT b FROM d.u) AND "
				"b IN ((1), 2)");
	const sql_expr *w = s->query->child[0]->cond, *in, *list;

	(void)state;
	assert_int_equal(w->kind, SQL_EXPR_BINARY);
	in = w->args[0];
	list = w->args[1];
	assert_int_equal(in->kind, SQL_EXPR_IN_SUBQUERY);
	assert_true(in->negated);
	assert_int_equal(in->nargs, 1);
	assert_string_equal(in->args[0]->name, "a");
	assert_non_null(in->subquery);
	assert_int_equal(in->subquery->kind, SQL_PLAN_PROJECT);
	assert_int_equal(in->line, 1);
	assert_int_equal(in->col, 25);
	assert_int_equal(list->kind, SQL_EXPR_IN);
	assert_int_equal(list->nargs, 3);
	assert_null(list->subquery);
}

static void test_parse_exists_and_not_exists(void **state)
{
	sql_stmt *s = parse_one("SELECT a FROM d.t WHERE NOT EXISTS (SELECT * FROM d.u "
				"WHERE u.b = t.a) AND exists(WITH x AS (SELECT 1) SELECT * FROM x)");
	const sql_expr *w = s->query->child[0]->cond;

	(void)state;
	/* NOT EXISTS parses as NOT over EXISTS; the analyzer folds it */
	assert_int_equal(w->args[0]->kind, SQL_EXPR_UNARY);
	assert_int_equal(w->args[0]->args[0]->kind, SQL_EXPR_EXISTS);
	assert_int_equal(w->args[0]->args[0]->col, 29);
	assert_int_equal(w->args[0]->args[0]->subquery->kind, SQL_PLAN_PROJECT);
	assert_int_equal(w->args[1]->kind, SQL_EXPR_EXISTS);
	assert_int_equal(w->args[1]->subquery->kind, SQL_PLAN_WITH);
	/* exists as a column name, and as a function call, stays what it was */
	assert_string_equal(parsed_expr("exists + 1"), "('exists + 1)");
	assert_string_equal(parsed_expr("exists(1)"), "'exists(1)");
}

static void test_parse_scalar_subquery_in_expressions(void **state)
{
	sql_stmt *s = parse_one("SELECT (SELECT max(b) FROM d.u) + 1 AS m FROM d.t "
				"WHERE a > (SELECT 0.2 * avg(b) FROM d.u WHERE u.k = t.k ORDER BY 1 "
				"LIMIT 1)");
	const sql_expr *e = s->query->exprs[0]->args[0], *w = s->query->child[0]->cond;

	(void)state;
	assert_int_equal(e->kind, SQL_EXPR_BINARY);
	assert_int_equal(e->args[0]->kind, SQL_EXPR_SCALAR_SUBQUERY);
	assert_int_equal(e->args[0]->col, 8);
	assert_int_equal(w->args[1]->kind, SQL_EXPR_SCALAR_SUBQUERY);
	assert_int_equal(w->args[1]->subquery->kind, SQL_PLAN_LIMIT);
	/* a parenthesized expression is still one */
	assert_string_equal(parsed_expr("(a + 1) * 2"), "(('a + 1) * 2)");
	assert_string_equal(parse_error("SELECT a FROM d.t WHERE a IN (SELECT b FROM d.u"),
			    "line 1, column 48: unexpected end of input: expected \")\"");
}

static void test_parse_limit_needs_a_row_count(void **state)
{
	(void)state;
	assert_string_equal(parse_error("SELECT a FROM d.t LIMIT x"),
			    "line 1, column 25: expected a row count after LIMIT, found \"x\"");
}

/* ---- depth ------------------------------------------------------------------------------- */

/* PREFIX, DEPTH times OPEN, MIDDLE, DEPTH times CLOSE; free() it. */
static char *nested(const char *prefix, const char *open, const char *middle, const char *close,
		    int depth)
{
	textbuf b = TEXTBUF_INIT;

	textbuf_puts(&b, prefix);
	for (int i = 0; i < depth; i++)
		textbuf_puts(&b, open);
	textbuf_puts(&b, middle);
	for (int i = 0; i < depth; i++)
		textbuf_puts(&b, close);
	assert_int_equal(textbuf_error(&b), 0);
	return textbuf_steal(&b, NULL);
}

static void test_parse_accepts_nesting_below_the_depth_cap(void **state)
{
	char *text = nested("SELECT ", "(", "1", ")", 150);
	sql_script script;
	sql_error err = { 0 };

	(void)state;
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), 0);
	free(text);
}

static void test_parse_refuses_nesting_past_the_depth_cap_instead_of_overflowing(void **state)
{
	char *text;
	sql_script script;
	sql_error err = { 0 };

	(void)state;
	text = nested("SELECT ", "(", "1", ")", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	assert_string_equal(err.message, "too deeply nested: more than 200 levels");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 8 + 200);
	free(text);

	text = nested("SELECT ", "NOT ", "a", "", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	assert_string_equal(err.message, "too deeply nested: more than 200 levels");
	free(text);

	text = nested("SELECT * FROM ", "(SELECT * FROM ", "d.t", ")", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	assert_string_equal(err.message, "too deeply nested: more than 200 levels");
	free(text);

	text = nested("SELECT ", "lower(", "a", ")", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	free(text);
}

static void test_parse_long_operator_chains_are_accepted_up_to_the_tree_budget(void **state)
{
	char *text = nested("SELECT 1", "", "", " + 1", 1500);
	sql_script script;
	sql_error err = { 0 };

	(void)state;
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), 0);
	free(text);
}

/* A chain makes a left-deep tree that later stages walk recursively, so a
 * very long one is refused like deep nesting is. */
static void test_parse_refuses_chains_taller_than_the_tree_budget(void **state)
{
	sql_script script;
	sql_error err = { 0 };
	char *text;

	(void)state;
	text = nested("SELECT 1", "", "", " OR a", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	assert_string_equal(err.message, "expression too long: more than 2000 operators deep "
			    "(use IN (...) for long lists)");
	free(text);
	text = nested("SELECT 1", "", "", " UNION ALL SELECT 1", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	free(text);
	text = nested("SELECT 1 FROM d.t", "", "", " JOIN d.t ON 1 = 1", 100000);
	assert_int_equal(sql_parse(arena, text, strlen(text), &script, &err), -EINVAL);
	free(text);
}

static void test_parse_prints_as_catalyst_parsed_plan(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SELECT region, count(*) AS n FROM sales.orders WHERE dt >= DATE '2024-05-01' "
		      "GROUP BY region");
	assert_string_equal(plan_text(s->query),
			    "'Aggregate ['region], ['region, 'count(1) AS n#?]\n"
			    "+- 'Filter ('dt >= 2024-05-01)\n"
			    "   +- 'UnresolvedRelation [sales, orders], [], false\n");
}


/* ---- access control ------------------------------------------------------------------------- */

static void test_parse_create_and_drop_role(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("CREATE ROLE IF NOT EXISTS analysts");
	assert_int_equal(s->kind, SQL_STMT_CREATE_ROLE);
	assert_true(s->if_not_exists);
	assert_int_equal(s->nroles, 1);
	assert_string_equal(s->roles[0].name, "analysts");
	assert_int_equal(s->roles[0].col, 27);
	s = parse_one("create role `data eng`");
	assert_false(s->if_not_exists);
	assert_string_equal(s->roles[0].name, "data eng");
	s = parse_one("DROP ROLE IF EXISTS analysts");
	assert_int_equal(s->kind, SQL_STMT_DROP_ROLE);
	assert_true(s->if_exists);
	assert_string_equal(s->roles[0].name, "analysts");
	assert_string_equal(parse_error("CREATE ROLE 'x'"),
			    "line 1, column 13: expected a role name, found \"'x'\"");
	assert_string_equal(parse_error("DROP ROLE"),
			    "line 1, column 10: unexpected end of input: expected a role name");
}

static void test_parse_grant_privileges_on_every_object_kind(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("GRANT SELECT, MODIFY ON TABLE warehouse.sales.orders TO ROLE analysts");
	assert_int_equal(s->kind, SQL_STMT_GRANT);
	assert_int_equal(s->privs, SQL_PRIV_SELECT | SQL_PRIV_MODIFY);
	assert_int_equal(s->object.kind, SQL_OBJECT_TABLE);
	assert_int_equal(s->object.nnames, 3);
	assert_string_equal(s->object.names[2], "orders");
	assert_int_equal(s->object.col, 31);
	assert_int_equal(s->ngrantees, 1);
	assert_int_equal(s->grantees[0].kind, SQL_GRANTEE_ROLE);
	assert_string_equal(s->grantees[0].name, "analysts");
	assert_int_equal(s->grantees[0].col, 62);

	s = parse_one("GRANT insert ON sales.orders TO USER alice");
	assert_int_equal(s->privs, SQL_PRIV_MODIFY);
	assert_int_equal(s->object.kind, SQL_OBJECT_TABLE);
	assert_int_equal(s->object.nnames, 2);

	s = parse_one("GRANT ALL PRIVILEGES ON METASTORE TO GROUP 'data ops'");
	assert_int_equal(s->privs, SQL_PRIV_ALL);
	assert_int_equal(s->object.kind, SQL_OBJECT_METASTORE);
	assert_int_equal(s->object.nnames, 0);
	assert_int_equal(s->grantees[0].kind, SQL_GRANTEE_GROUP);
	assert_string_equal(s->grantees[0].name, "data ops");

	s = parse_one("GRANT CREATE, SUBMIT ON PLATFORM lake TO USER 1001");
	assert_int_equal(s->privs, SQL_PRIV_CREATE | SQL_PRIV_SUBMIT);
	assert_int_equal(s->object.kind, SQL_OBJECT_PLATFORM);
	assert_string_equal(s->object.names[0], "lake");
	assert_string_equal(s->grantees[0].name, "1001");
	s = parse_one("GRANT SYNC ON CATALOG lake TO USER bob");
	assert_int_equal(s->object.kind, SQL_OBJECT_PLATFORM);

	s = parse_one("GRANT ADMIN ON SCHEMA lake.ml TO USER bob");
	assert_int_equal(s->privs, SQL_PRIV_ADMIN);
	assert_int_equal(s->object.kind, SQL_OBJECT_DATABASE);
	assert_int_equal(s->object.nnames, 2);
	s = parse_one("GRANT ALL ON DATABASE sales TO USER bob");
	assert_int_equal(s->privs, SQL_PRIV_ALL);
	assert_int_equal(s->object.kind, SQL_OBJECT_DATABASE);
	assert_int_equal(s->object.nnames, 1);

	/* A kind word followed by a dot starts a dotted name. */
	s = parse_one("GRANT SELECT ON platform.d.t TO USER bob");
	assert_int_equal(s->object.kind, SQL_OBJECT_TABLE);
	assert_string_equal(s->object.names[0], "platform");
}

static void test_parse_grantee_lists_keep_the_previous_kind(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("GRANT SELECT ON d.t TO USER alice, bob, GROUP staff, ROLE r, `user`");
	assert_int_equal(s->ngrantees, 5);
	assert_int_equal(s->grantees[0].kind, SQL_GRANTEE_USER);
	assert_int_equal(s->grantees[1].kind, SQL_GRANTEE_USER);
	assert_string_equal(s->grantees[1].name, "bob");
	assert_int_equal(s->grantees[2].kind, SQL_GRANTEE_GROUP);
	assert_int_equal(s->grantees[3].kind, SQL_GRANTEE_ROLE);
	assert_int_equal(s->grantees[4].kind, SQL_GRANTEE_ROLE);
	assert_string_equal(s->grantees[4].name, "user");
	/* A user may be called "role". */
	s = parse_one("GRANT SELECT ON d.t TO USER alice, role");
	assert_int_equal(s->grantees[1].kind, SQL_GRANTEE_USER);
	assert_string_equal(s->grantees[1].name, "role");
}

static void test_parse_revoke_privileges(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("REVOKE SELECT ON TABLE sales.orders FROM ROLE analysts");
	assert_int_equal(s->kind, SQL_STMT_REVOKE);
	assert_int_equal(s->privs, SQL_PRIV_SELECT);
	assert_int_equal(s->grantees[0].kind, SQL_GRANTEE_ROLE);
	assert_string_equal(parse_error("REVOKE SELECT ON d.t TO USER a"),
			    "line 1, column 22: expected FROM, found \"TO\"");
}

static void test_parse_grant_and_revoke_role(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("GRANT ROLE analysts, eng TO USER alice, GROUP staff");
	assert_int_equal(s->kind, SQL_STMT_GRANT_ROLE);
	assert_int_equal(s->nroles, 2);
	assert_string_equal(s->roles[1].name, "eng");
	assert_int_equal(s->ngrantees, 2);
	assert_int_equal(s->grantees[1].kind, SQL_GRANTEE_GROUP);
	s = parse_one("REVOKE ROLE analysts FROM USER \"alice\"");
	assert_int_equal(s->kind, SQL_STMT_REVOKE_ROLE);
	assert_string_equal(s->grantees[0].name, "alice");
	assert_string_equal(parse_error("GRANT ROLE a TO ROLE b"),
			    "line 1, column 17: a role is granted to users and groups, not to a role");
}

static void test_parse_show_grants_and_roles(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("SHOW GRANTS");
	assert_int_equal(s->kind, SQL_STMT_SHOW_GRANTS);
	assert_int_equal(s->object.kind, SQL_OBJECT_NONE);
	assert_int_equal(s->ngrantees, 0);
	s = parse_one("SHOW GRANTS ON TABLE lake.ml.t FOR ROLE analysts");
	assert_int_equal(s->object.kind, SQL_OBJECT_TABLE);
	assert_int_equal(s->ngrantees, 1);
	assert_int_equal(s->grantees[0].kind, SQL_GRANTEE_ROLE);
	s = parse_one("SHOW GRANT TO USER 0 ON METASTORE");
	assert_int_equal(s->object.kind, SQL_OBJECT_METASTORE);
	assert_string_equal(s->grantees[0].name, "0");
	s = parse_one("show roles");
	assert_int_equal(s->kind, SQL_STMT_SHOW_ROLES);
	assert_string_equal(parse_error("SHOW GRANTS FOR alice"),
			    "line 1, column 17: expected USER, GROUP or ROLE, found \"alice\"");
	assert_string_equal(parse_error("SHOW TABLES"),
			    "line 1, column 6: expected PARTITIONS, VIEWS, GRANTS or ROLES, found \"TABLES\"");
}

static void test_parse_access_control_errors_name_line_and_column(void **state)
{
	(void)state;
	assert_string_equal(parse_error("GRANT SELECT,\n  UPDATE ON d.t TO USER a"),
			    "line 2, column 3: unknown privilege \"UPDATE\": expected SELECT, MODIFY, "
			    "CREATE, SUBMIT, SYNC, ADMIN, INSERT or ALL [PRIVILEGES]");
	assert_string_equal(parse_error("GRANT ON d.t TO USER a"),
			    "line 1, column 7: expected a privilege, found \"ON\"");
	assert_string_equal(parse_error("GRANT SELECT d.t TO USER a"),
			    "line 1, column 14: expected ON, found \"d\"");
	assert_string_equal(parse_error("GRANT SELECT ON TABLE t TO USER a"),
			    "line 1, column 23: table name \"t\" needs a database (db.table)");
	assert_string_equal(parse_error("GRANT SELECT ON DATABASE a.b.c TO USER a"),
			    "line 1, column 26: a database name has more than 2 parts");
	assert_string_equal(parse_error("GRANT SELECT ON d.t TO alice"),
			    "line 1, column 24: expected USER, GROUP or ROLE, found \"alice\"");
	assert_string_equal(parse_error("GRANT SELECT ON d.t TO USER ''"),
			    "line 1, column 29: empty or invalid user name");
	assert_string_equal(parse_error("GRANT SELECT ON d.t TO ROLE 'r'"),
			    "line 1, column 29: expected a role name, found \"'r'\"");
}

static void test_parse_explain_of_a_grant_wraps_it(void **state)
{
	sql_stmt *s;

	(void)state;
	s = parse_one("EXPLAIN GRANT SELECT ON d.t TO USER a");
	assert_int_equal(s->kind, SQL_STMT_EXPLAIN);
	assert_int_equal(s->inner->kind, SQL_STMT_GRANT);
	assert_null(s->inner->query);
}

/* ---- TPC-H syntax: EXTRACT, INTERVAL, SUBSTRING FROM, column aliases, views ---------------- */

static void test_parse_extract_becomes_the_field_function(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("extract(year FROM dt)"), "'year('dt)");
	assert_string_equal(parsed_expr("EXTRACT(Month FROM dt)"), "'month('dt)");
	assert_string_equal(parsed_expr("extract(day from t.dt)"), "'day('t.dt)");
	assert_string_equal(parsed_expr("extract(quarter from dt)"), "'quarter('dt)");
	assert_string_equal(parsed_expr("extract(week from dt)"), "'weekofyear('dt)");
	assert_string_equal(parsed_expr("extract(dow from dt)"), "'dayofweek('dt)");
	assert_string_equal(parsed_expr("extract(second from ts)"), "'second('ts)");
	assert_string_equal(parse_error("SELECT extract(fortnight FROM dt) FROM d.t"),
			    "line 1, column 16: EXTRACT cannot take \"fortnight\": use YEAR, QUARTER, "
			    "MONTH, WEEK, DAY, DAYOFWEEK, DAYOFYEAR, HOUR, MINUTE or SECOND");
}

static void test_parse_interval_literals_carry_months_days_and_microseconds(void **state)
{
	(void)state;
	/* TPC-H Q1 writes the leading field precision DAY (3): ignored. */
	assert_string_equal(parsed_expr("date '1998-12-01' - interval '90' day (3)"),
			    "(1998-12-01 - 'interval(0, 90, 0))");
	assert_string_equal(parsed_expr("dt + interval '3' month"), "('dt + 'interval(3, 0, 0))");
	assert_string_equal(parsed_expr("dt + interval '1' year"), "('dt + 'interval(12, 0, 0))");
	assert_string_equal(parsed_expr("dt + INTERVAL 3 MONTHS"), "('dt + 'interval(3, 0, 0))");
	assert_string_equal(parsed_expr("dt + interval 1 year 2 months"),
			    "('dt + 'interval(14, 0, 0))");
	assert_string_equal(parsed_expr("dt + interval 2 weeks"), "('dt + 'interval(0, 14, 0))");
	assert_string_equal(parsed_expr("ts + interval '1.5' second"),
			    "('ts + 'interval(0, 0, 1500000))");
	assert_string_equal(parsed_expr("ts - interval '-2' hour"),
			    "('ts - 'interval(0, 0, -7200000000))");
	assert_string_equal(parsed_expr("dt + interval -1 day"), "('dt + 'interval(0, -1, 0))");
	assert_string_equal(parsed_expr("dt + interval '1 year 2 months 3 days'"),
			    "('dt + 'interval(14, 3, 0))");
	assert_string_equal(parsed_expr("ts + INTERVAL '-1 hour 30 minutes'"),
			    "('ts + 'interval(0, 0, -1800000000))");
	assert_string_equal(parse_error("SELECT dt + interval '1 fortnight' FROM d.t"),
			    "line 1, column 22: invalid interval '1 fortnight': expected a unit");
	assert_string_equal(parse_error("SELECT dt + interval '1.5 months' FROM d.t"),
			    "line 1, column 22: invalid interval '1.5 months': expected whole months "
			    "and years");
	/* A column named interval is still a column. */
	assert_string_equal(parsed_expr("interval + 1"), "('interval + 1)");
	assert_string_equal(parsed_expr("interval - 1"), "('interval - 1)");
	assert_string_equal(parsed_expr("interval"), "'interval");
	assert_string_equal(parse_error("SELECT dt + interval '1' fortnight FROM d.t"),
			    "line 1, column 26: expected an interval unit (YEAR, MONTH, WEEK, DAY, "
			    "HOUR, MINUTE or SECOND), found \"fortnight\"");
	assert_string_equal(parse_error("SELECT dt + interval '1.5' month FROM d.t"),
			    "line 1, column 22: an interval of month must be a whole number");
	assert_string_equal(parse_error("SELECT dt + interval 'x' day FROM d.t"),
			    "line 1, column 22: invalid interval value 'x'");
}

static void test_parse_substring_from_for(void **state)
{
	(void)state;
	assert_string_equal(parsed_expr("substring(c_phone from 1 for 2)"),
			    "'substring('c_phone, 1, 2)");
	assert_string_equal(parsed_expr("substring(name FROM 3)"), "'substring('name, 3)");
	assert_string_equal(parsed_expr("substr(name, 1, 2)"), "'substr('name, 1, 2)");
	assert_string_equal(parsed_expr("SUBSTRING(name, 2)"), "'SUBSTRING('name, 2)");
}

static void test_parse_derived_table_and_cte_column_aliases(void **state)
{
	sql_stmt *s;
	sql_plan *al;

	(void)state;
	s = parse_one("SELECT c_count FROM (SELECT a, count(*) FROM d.t GROUP BY a) AS "
		      "c_orders (c_custkey, c_count)");
	al = s->query->child[0];
	assert_int_equal(al->kind, SQL_PLAN_ALIAS);
	assert_string_equal(al->alias, "c_orders");
	assert_int_equal(al->nalias_columns, 2);
	assert_string_equal(al->alias_columns[0], "c_custkey");
	assert_string_equal(al->alias_columns[1], "c_count");
	s = parse_one("WITH t (a, b) AS (SELECT 1, 2) SELECT a FROM t");
	assert_int_equal(s->query->kind, SQL_PLAN_WITH);
	assert_int_equal(s->query->ctes[0]->nalias_columns, 2);
	assert_string_equal(s->query->ctes[0]->alias_columns[1], "b");
	assert_string_equal(s->query->cte_names[0], "t");
	assert_string_equal(parse_error("SELECT 1 FROM (SELECT 1, 2) x (a, A)"),
			    "line 1, column 35: column \"A\" is named twice");
}

static void test_parse_create_and_drop_view(void **state)
{
	const char *text = "CREATE OR REPLACE TEMPORARY VIEW v (a, b) AS SELECT x, y FROM d.t";
	sql_stmt *s;

	(void)state;
	s = parse_one(text);
	assert_int_equal(s->kind, SQL_STMT_CREATE_VIEW);
	assert_true(s->or_replace);
	assert_true(s->temporary);
	assert_int_equal(s->ntarget, 1);
	assert_string_equal(s->target[0], "v");
	assert_int_equal(s->ncolumns, 2);
	assert_string_equal(s->columns[1].name, "b");
	assert_string_equal(text + s->query_start, "SELECT x, y FROM d.t");
	assert_int_equal(s->end, strlen(text));
	assert_int_equal(s->query->kind, SQL_PLAN_PROJECT);
	s = parse_one("create view if not exists db.revenue0 as select 1 AS one");
	assert_int_equal(s->kind, SQL_STMT_CREATE_VIEW);
	assert_false(s->temporary);
	assert_true(s->if_not_exists);
	assert_int_equal(s->ntarget, 2);
	assert_int_equal(s->ncolumns, 0);
	s = parse_one("DROP VIEW IF EXISTS p.d.v");
	assert_int_equal(s->kind, SQL_STMT_DROP_VIEW);
	assert_true(s->if_exists);
	assert_int_equal(s->ntarget, 3);
	s = parse_one("SHOW VIEWS IN p.d");
	assert_int_equal(s->kind, SQL_STMT_SHOW_VIEWS);
	assert_int_equal(s->ntarget, 2);
	s = parse_one("show views from d");
	assert_int_equal(s->kind, SQL_STMT_SHOW_VIEWS);
	assert_string_equal(s->target[0], "d");
	assert_string_equal(parse_error("SHOW VIEWS d"), "line 1, column 12: expected IN, found \"d\"");
	assert_string_equal(parse_error("CREATE OR REPLACE TABLE d.t (a bigint)"),
			    "line 1, column 19: expected VIEW, found \"TABLE\"");
	assert_string_equal(parse_error("CREATE VIEW d.v AS INSERT INTO d.t VALUES (1)"),
			    "line 1, column 20: expected SELECT, found \"INSERT\"");
}

static void test_parse_q15_job_is_three_statements(void **state)
{
	const char *text =
		"create view revenue0 (supplier_no, total_revenue) as\n"
		"  select l_suppkey, sum(l_extendedprice * (1 - l_discount)) from tpch.lineitem\n"
		"  where l_shipdate >= date '1996-01-01'\n"
		"    and l_shipdate < date '1996-01-01' + interval '3' month\n"
		"  group by l_suppkey;\n"
		"select s_suppkey, total_revenue from tpch.supplier, revenue0\n"
		"where s_suppkey = supplier_no;\n"
		"drop view revenue0;\n";
	sql_script sc;
	sql_error err = { 0 };

	(void)state;
	assert_int_equal(sql_parse(arena, text, strlen(text), &sc, &err), 0);
	assert_int_equal(sc.nstmts, 3);
	assert_int_equal(sc.stmts[0]->kind, SQL_STMT_CREATE_VIEW);
	/* A one-part view name: the view lives for the job. */
	assert_true(sc.stmts[0]->temporary);
	assert_int_equal(sc.stmts[1]->kind, SQL_STMT_SELECT);
	assert_int_equal(sc.stmts[2]->kind, SQL_STMT_DROP_VIEW);
	assert_memory_equal(text + sc.stmts[0]->query_start, "select l_suppkey", 16);
	assert_int_equal(text[sc.stmts[0]->end - 1], 'y');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_select_stacks_limit_sort_having_aggregate_filter_relation),
		cmocka_unit_test(test_parse_select_without_aggregates_is_a_project),
		cmocka_unit_test(test_parse_aggregate_call_without_group_by_makes_an_aggregate),
		cmocka_unit_test(test_parse_select_without_from_reads_one_row),
		cmocka_unit_test(test_parse_one_part_table_name_is_a_cte_reference),
		cmocka_unit_test(test_parse_four_part_table_name_is_refused),
		cmocka_unit_test(test_parse_with_defines_ctes_as_subquery_aliases),
		cmocka_unit_test(test_parse_with_refuses_a_name_defined_twice),
		cmocka_unit_test(test_parse_inner_and_left_joins_keep_their_conditions),
		cmocka_unit_test(test_parse_comma_join_has_no_condition),
		cmocka_unit_test(test_parse_every_join_type_with_and_without_outer),
		cmocka_unit_test(test_parse_semi_and_anti_are_still_names_elsewhere),
		cmocka_unit_test(test_parse_cross_join_and_comma_joins_have_no_condition),
		cmocka_unit_test(test_parse_semi_join_needs_join),
		cmocka_unit_test(test_parse_join_needs_on),
		cmocka_unit_test(test_parse_union_all_and_union_distinct),
		cmocka_unit_test(test_parse_subquery_in_from_with_alias),
		cmocka_unit_test(test_parse_select_distinct_sits_above_the_project),
		cmocka_unit_test(test_parse_qualified_star_and_aliases_with_and_without_as),
		cmocka_unit_test(test_parse_order_by_nulls_defaults_and_overrides),
		cmocka_unit_test(test_parse_values_rows_must_have_equal_widths),
		cmocka_unit_test(test_parse_arithmetic_precedence_and_left_associativity),
		cmocka_unit_test(test_parse_concat_binds_looser_than_plus_tighter_than_comparison),
		cmocka_unit_test(test_parse_boolean_precedence_or_and_not),
		cmocka_unit_test(test_parse_predicates_in_between_like_is),
		cmocka_unit_test(test_parse_literals_of_every_type),
		cmocka_unit_test(test_parse_smallest_bigint_literal_folds_its_minus),
		cmocka_unit_test(test_parse_string_escapes),
		cmocka_unit_test(test_parse_date_column_is_a_column_not_a_literal),
		cmocka_unit_test(test_parse_invalid_date_literal_names_its_place),
		cmocka_unit_test(test_parse_case_both_forms_and_cast),
		cmocka_unit_test(test_parse_aggregate_and_function_calls),
		cmocka_unit_test(test_parse_function_call_errors),
		cmocka_unit_test(test_parse_positions_of_expressions),
		cmocka_unit_test(test_parse_create_database),
		cmocka_unit_test(test_parse_create_table_with_partitions_format_and_properties),
		cmocka_unit_test(test_parse_properties_refuse_control_characters),
		cmocka_unit_test(test_parse_create_table_defaults_to_csv),
		cmocka_unit_test(test_parse_create_table_errors),
		cmocka_unit_test(test_parse_create_table_as_select_with_partition_names),
		cmocka_unit_test(test_parse_drop_table_and_database),
		cmocka_unit_test(test_parse_alter_table_add_and_drop_partitions),
		cmocka_unit_test(test_parse_alter_partition_needs_values),
		cmocka_unit_test(test_parse_msck_and_show_partitions),
		cmocka_unit_test(test_parse_insert_into_with_static_and_dynamic_partitions),
		cmocka_unit_test(test_parse_insert_overwrite_values),
		cmocka_unit_test(test_parse_explain_extended_wraps_the_statement),
		cmocka_unit_test(test_parse_script_of_statements_with_comments_offsets_and_indexes),
		cmocka_unit_test(test_parse_empty_script_has_no_statements),
		cmocka_unit_test(test_parse_statement_end_includes_a_closing_quote),
		cmocka_unit_test(test_parse_reports_line_and_column_of_a_misspelt_from),
		cmocka_unit_test(test_parse_reports_unexpected_token_after_statement),
		cmocka_unit_test(test_parse_reports_unexpected_end_of_input),
		cmocka_unit_test(test_parse_reports_lexer_errors_at_their_start),
		cmocka_unit_test(test_parse_reports_unknown_statement),
		cmocka_unit_test(test_parse_keyword_cannot_be_a_column_unless_quoted),
		cmocka_unit_test(test_parse_not_is_refused_as_an_arithmetic_operand),
		cmocka_unit_test(test_parse_in_subquery_is_told_from_in_list),
		cmocka_unit_test(test_parse_exists_and_not_exists),
		cmocka_unit_test(test_parse_scalar_subquery_in_expressions),
		cmocka_unit_test(test_parse_limit_needs_a_row_count),
		cmocka_unit_test(test_parse_accepts_nesting_below_the_depth_cap),
		cmocka_unit_test(test_parse_refuses_nesting_past_the_depth_cap_instead_of_overflowing),
		cmocka_unit_test(test_parse_long_operator_chains_are_accepted_up_to_the_tree_budget),
		cmocka_unit_test(test_parse_refuses_chains_taller_than_the_tree_budget),
		cmocka_unit_test(test_parse_prints_as_catalyst_parsed_plan),
		cmocka_unit_test(test_parse_create_and_drop_role),
		cmocka_unit_test(test_parse_grant_privileges_on_every_object_kind),
		cmocka_unit_test(test_parse_grantee_lists_keep_the_previous_kind),
		cmocka_unit_test(test_parse_revoke_privileges),
		cmocka_unit_test(test_parse_grant_and_revoke_role),
		cmocka_unit_test(test_parse_show_grants_and_roles),
		cmocka_unit_test(test_parse_access_control_errors_name_line_and_column),
		cmocka_unit_test(test_parse_explain_of_a_grant_wraps_it),
		cmocka_unit_test(test_parse_extract_becomes_the_field_function),
		cmocka_unit_test(test_parse_interval_literals_carry_months_days_and_microseconds),
		cmocka_unit_test(test_parse_substring_from_for),
		cmocka_unit_test(test_parse_derived_table_and_cte_column_aliases),
		cmocka_unit_test(test_parse_create_and_drop_view),
		cmocka_unit_test(test_parse_q15_job_is_three_statements),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
