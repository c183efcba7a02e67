/*
 * test_sql_analyze.c - the analyzer against a metastore in a temporary
 * directory: relations, columns, types, aggregates, joins, INSERT and DDL
 * checks, every error message with its place, and names the caller may not
 * see (answered as missing ones, never suggested).
 *
 * Plans are built by hand with the IR constructors, shaped as the parser
 * shapes them (Project/Aggregate over Filter over relations, HAVING as a
 * Filter over the Aggregate, ORDER BY as a Sort on top).
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql_catalog_fixture.h"

static int setup(void **state)
{
	static const store_column notes[] = { { "text", STORE_TYPE_STRING } };
	struct fixture *f = catalog_fixture_open();
	store_txn *txn = NULL;

	if (f == NULL)
		return -1;
	make_table(f->env, "sales", "orders", catalog_fixture_orders, 5, 1);
	make_table(f->env, "sales", "customers", catalog_fixture_customers, 4, 0);
	make_table(f->env, "sales", "notes", notes, 1, 0);
	/* A table made by mkdir, before its .schema was written. */
	if (store_write_begin(f->env, &txn) != 0 ||
	    store_table_create(txn, "sales", "raw", 0, 0, STORE_ORIGIN_TOOL, NULL) != 0 ||
	    store_commit(txn) != 0)
		return -1;
	*state = f;
	return 0;
}

static int analyze(struct fixture *f, sql_stmt *st)
{
	return sql_analyze(f->a, &f->cat, st, &f->err);
}

static void assert_error(struct fixture *f, sql_stmt *st, const char *want)
{
	char buf[600];

	assert_int_not_equal(analyze(f, st), 0);
	sql_error_format(&f->err, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* ---- relations ------------------------------------------------------------------------------ */

static void test_analyze_table_becomes_scan_in_subquery_alias(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, star(NULL)));
	sql_plan *al, *scan;

	assert_int_equal(analyze(f, st), 0);
	al = st->query->child[0];
	assert_int_equal(al->kind, SQL_PLAN_ALIAS);
	assert_string_equal(al->alias, "orders");
	scan = al->child[0];
	assert_int_equal(scan->kind, SQL_PLAN_SCAN);
	assert_string_equal(scan->scan->platform_name, "hive");
	assert_string_equal(scan->scan->db, "sales");
	assert_string_equal(scan->scan->table, "orders");
	assert_int_equal(scan->scan->ncolumns, 4);
	assert_int_equal(scan->scan->npartkeys, 1);
	assert_int_equal(scan->scan->nout, 5);
	assert_int_equal(scan->scan->types[4], SQL_TYPE_DATE);
	assert_string_equal(scan->scan->names[4], "dt");
	assert_int_equal(scan->scan->format, STORE_FORMAT_CSV);
	assert_true(scan->scan->header);
	/* The star expands to every column, partition key last, ids increasing. */
	assert_int_equal(st->query->noutput, 5);
	for (uint32_t i = 0; i < 5; i++) {
		assert_string_equal(st->query->output[i].name, scan->scan->names[i]);
		assert_int_equal(st->query->exprs[i]->ordinal, (int)i);
		if (i > 0)
			assert_true(st->query->output[i].id > st->query->output[i - 1].id);
	}
	assert_string_equal(st->query->output[1].qualifier, "orders");
}

static void test_analyze_three_part_name_and_alias(void **state)
{
	struct fixture *f = F(state);
	sql_plan *r = sql_plan_new(A, SQL_PLAN_UNRESOLVED_RELATION, 1, 15);
	sql_stmt *st;

	r->names[0] = "hive";
	r->names[1] = "sales";
	r->names[2] = "orders";
	r->nnames = 3;
	st = select_stmt(list(SQL_PLAN_PROJECT, aliased(r, "o"), 1, qcol("o", "region")));
	assert_int_equal(analyze(f, st), 0);
	assert_string_equal(st->query->child[0]->alias, "o");
	assert_int_equal(st->query->child[0]->child[0]->kind, SQL_PLAN_SCAN);
	assert_int_equal(st->query->exprs[0]->ordinal, 1);
}

static void test_analyze_unknown_table_suggests_nearest(void **state)
{
	struct fixture *f = F(state);

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel_at("sales", "ordrs", 2, 6), 1,
					 star(NULL))),
		     "line 2, column 6: unknown table \"sales.ordrs\" (did you mean \"sales.orders\"?)");
}

static void test_analyze_single_name_without_cte_is_unknown_table(void **state)
{
	struct fixture *f = F(state);

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel_at("orders", NULL, 1, 15), 1,
					 star(NULL))),
		     "line 1, column 15: unknown table \"orders\"");
}

static void test_analyze_table_without_schema_is_refused(void **state)
{
	struct fixture *f = F(state);

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "raw"), 1, star(NULL))),
		     "line 1, column 15: table \"sales.raw\" has no schema yet");
}

static void test_analyze_inlines_cte_with_its_name_as_qualifier(void **state)
{
	struct fixture *f = F(state);
	sql_plan *body = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, col("region"));
	sql_plan *w = sql_plan_new(A, SQL_PLAN_WITH, 1, 1);
	sql_stmt *st;

	w->ctes = sql_arena_alloc(A, sizeof *w->ctes);
	w->cte_names = sql_arena_alloc(A, sizeof *w->cte_names);
	w->ctes[0] = aliased(body, "r");
	w->cte_names[0] = "r";
	w->nctes = 1;
	w->child[0] = list(SQL_PLAN_PROJECT, rel("r", NULL), 1, qcol("r", "region"));
	st = select_stmt(w);
	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->kind, SQL_PLAN_PROJECT);
	assert_int_equal(st->query->child[0]->kind, SQL_PLAN_ALIAS);
	assert_string_equal(st->query->child[0]->alias, "r");
	assert_int_equal(st->query->child[0]->child[0]->kind, SQL_PLAN_PROJECT);
	assert_string_equal(st->query->output[0].name, "region");
}

/* ---- columns ------------------------------------------------------------------------------------ */

static void test_analyze_unknown_column_suggests_nearest_with_place(void **state)
{
	struct fixture *f = F(state);

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
					 col_at(NULL, "regin", 3, 17))),
		     "line 3, column 17: unknown column \"regin\" (did you mean \"region\"?)");
}

static void test_analyze_unknown_column_far_from_any_has_no_suggestion(void **state)
{
	struct fixture *f = F(state);

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
					 col_at(NULL, "zzzzzzzz", 1, 8))),
		     "line 1, column 8: unknown column \"zzzzzzzz\"");
}

static void test_analyze_ambiguous_column_names_both_relations(void **state)
{
	struct fixture *f = F(state);
	sql_plan *j = join(SQL_JOIN_INNER, aliased(rel("sales", "orders"), "a"),
			   aliased(rel("sales", "customers"), "b"),
			   bin(SQL_OP_EQ, qcol("a", "id"), qcol("b", "id")));

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, j, 1, col_at(NULL, "id", 1, 8))),
		     "line 1, column 8: ambiguous column \"id\" (in a and b)");
}

static void test_analyze_columns_match_case_insensitively(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
					qcol("ORDERS", "Region")));

	assert_int_equal(analyze(f, st), 0);
	assert_string_equal(st->query->output[0].name, "region");
	assert_int_equal(st->query->exprs[0]->type, SQL_TYPE_STRING);
}

static void test_analyze_qualified_star_expands_one_side(void **state)
{
	struct fixture *f = F(state);
	sql_plan *j = join(SQL_JOIN_INNER, aliased(rel("sales", "orders"), "o"),
			   aliased(rel("sales", "customers"), "c"),
			   bin(SQL_OP_EQ, qcol("o", "id"), qcol("c", "id")));
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, j, 1, star("c")));

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->noutput, 4);
	assert_string_equal(st->query->output[1].name, "name");
	assert_int_equal(st->query->exprs[0]->ordinal, 5);   /* after orders' 5 columns */
}

/* ---- types ----------------------------------------------------------------------------------------- */

static void test_analyze_bigint_plus_double_promotes_to_double(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
					bin(SQL_OP_ADD, col("qty"), col("amount"))));
	sql_expr *e;

	assert_int_equal(analyze(f, st), 0);
	e = st->query->exprs[0];
	assert_int_equal(e->kind, SQL_EXPR_ALIAS);
	assert_int_equal(e->type, SQL_TYPE_DOUBLE);
	assert_int_equal(e->args[0]->args[0]->kind, SQL_EXPR_CAST);
	assert_int_equal(e->args[0]->args[0]->cast_type, SQL_TYPE_DOUBLE);
	assert_string_equal(e->name, "(qty + amount)");
}

static void test_analyze_string_literal_compares_as_date(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT,
			   filter(rel("sales", "orders"), bin(SQL_OP_GE, col("dt"), lit_str("2024-05-01"))),
			   1, col("id"));
	sql_stmt *st = select_stmt(q);
	sql_expr *cond;

	assert_int_equal(analyze(f, st), 0);
	cond = st->query->child[0]->cond;
	assert_int_equal(cond->type, SQL_TYPE_BOOLEAN);
	assert_int_equal(cond->args[0]->kind, SQL_EXPR_COLUMN);
	assert_int_equal(cond->args[1]->kind, SQL_EXPR_CAST);
	assert_int_equal(cond->args[1]->type, SQL_TYPE_DATE);
}

static void test_analyze_null_literal_takes_other_side_type(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT,
			   filter(rel("sales", "orders"), bin(SQL_OP_EQ, col("region"), lit_null())),
			   1, col("id"));
	sql_stmt *st = select_stmt(q);

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->child[0]->cond->args[1]->kind, SQL_EXPR_LITERAL);
	assert_int_equal(st->query->child[0]->cond->args[1]->type, SQL_TYPE_STRING);
}

static void test_analyze_date_compared_with_boolean_is_a_type_error(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT,
			   filter(rel("sales", "orders"),
				  bin_at(SQL_OP_EQ, col("dt"), lit_bool(true), 1, 30)),
			   1, col("id"));

	assert_error(f, select_stmt(q), "line 1, column 30: cannot compare date with boolean");
}

static void test_analyze_where_must_be_boolean(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, filter(rel("sales", "orders"), col_at(NULL, "qty", 1, 33)),
			   1, col("id"));

	assert_error(f, select_stmt(q), "line 1, column 33: WHERE needs a boolean, not bigint");
}

static void test_analyze_unknown_function_suggests_nearest(void **state)
{
	struct fixture *f = F(state);
	sql_expr *fn = nargs(func_at("lenght", 1, 8), 1, col("region"));

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, fn)),
		     "line 1, column 8: unknown function \"lenght\" (did you mean \"length\"?)");
}

static void test_analyze_function_gets_its_result_type(void **state)
{
	struct fixture *f = F(state);
	sql_expr *fn = nargs(func_at("LENGTH", 1, 8), 1, col("region"));
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, fn));

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->exprs[0]->args[0]->func, SQL_FUNC_LENGTH);
	assert_int_equal(st->query->output[0].type, SQL_TYPE_BIGINT);
}

static void test_analyze_function_with_wrong_argument_count(void **state)
{
	struct fixture *f = F(state);
	sql_expr *fn = nargs(func_at("upper", 2, 4), 2, col("region"), col("region"));

	assert_error(f, select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, fn)),
		     "line 2, column 4: upper takes 1 argument, not 2");
}

/* ---- aggregates ------------------------------------------------------------------------------------- */

static void test_analyze_group_by_types_aggregates(void **state)
{
	struct fixture *f = F(state);
	sql_plan *g = group_by(list(SQL_PLAN_AGGREGATE, rel("sales", "orders"), 3, col("region"),
				    as(agg(SQL_AGG_COUNT, "count", NULL), "n"),
				    agg(SQL_AGG_SUM, "sum", col("amount"))),
			       1, col("region"));
	sql_stmt *st = select_stmt(g);

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->noutput, 3);
	assert_int_equal(st->query->output[1].type, SQL_TYPE_BIGINT);
	assert_string_equal(st->query->output[1].name, "n");
	assert_int_equal(st->query->output[2].type, SQL_TYPE_DOUBLE);
	assert_string_equal(st->query->output[2].name, "sum(amount)");
}

static void test_analyze_ungrouped_column_is_an_error(void **state)
{
	struct fixture *f = F(state);
	sql_plan *g = group_by(list(SQL_PLAN_AGGREGATE, rel("sales", "orders"), 2, col("region"),
				    col_at(NULL, "qty", 1, 16)),
			       1, col("region"));

	assert_error(f, select_stmt(g),
		     "line 1, column 16: expression \"qty\" is neither in GROUP BY nor an aggregate");
}

static void test_analyze_aggregate_in_select_without_group_by_makes_aggregate(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
					agg(SQL_AGG_COUNT, "count", NULL)));

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->kind, SQL_PLAN_AGGREGATE);
	assert_int_equal(st->query->ngroups, 0);
	assert_string_equal(st->query->output[0].name, "count(1)");
}

static void test_analyze_aggregate_in_where_is_an_error(void **state)
{
	struct fixture *f = F(state);
	sql_expr *c = agg(SQL_AGG_COUNT, "count", NULL);
	sql_plan *q;

	c->line = 1;
	c->col = 35;
	q = list(SQL_PLAN_PROJECT, filter(rel("sales", "orders"), bin(SQL_OP_GT, c, lit_int(1))), 1,
		 col("id"));
	assert_error(f, select_stmt(q),
		     "line 1, column 35: aggregate function count is not allowed in WHERE");
}

static void test_analyze_having_adds_hidden_aggregate_and_projects_it_away(void **state)
{
	struct fixture *f = F(state);
	sql_plan *g = group_by(list(SQL_PLAN_AGGREGATE, rel("sales", "orders"), 1, col("region")), 1,
			       col("region"));
	sql_plan *h = filter(g, bin(SQL_OP_GT, agg(SQL_AGG_SUM, "sum", col("amount")), lit_int(10)));
	sql_stmt *st = select_stmt(h);
	sql_plan *top;

	assert_int_equal(analyze(f, st), 0);
	top = st->query;
	assert_int_equal(top->kind, SQL_PLAN_PROJECT);
	assert_int_equal(top->noutput, 1);
	assert_int_equal(top->child[0]->kind, SQL_PLAN_FILTER);
	assert_int_equal(top->child[0]->child[0]->kind, SQL_PLAN_AGGREGATE);
	assert_int_equal(top->child[0]->child[0]->nexprs, 2);
	/* (sum(amount) > cast(10 as double)) over the aggregate's second column */
	assert_int_equal(top->child[0]->cond->args[0]->kind, SQL_EXPR_COLUMN);
	assert_int_equal(top->child[0]->cond->args[0]->ordinal, 1);
	assert_int_equal(top->child[0]->cond->args[1]->type, SQL_TYPE_DOUBLE);
}

static void test_analyze_order_by_select_alias(void **state)
{
	struct fixture *f = F(state);
	sql_plan *g = group_by(list(SQL_PLAN_AGGREGATE, rel("sales", "orders"), 2, col("region"),
				    as(agg(SQL_AGG_COUNT, "count", NULL), "n")),
			       1, col("region"));
	sql_stmt *st = select_stmt(sort1(g, col("n"), true));

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->kind, SQL_PLAN_SORT);
	assert_int_equal(st->query->sort[0].expr->ordinal, 1);
	assert_int_equal(st->query->sort[0].expr->attr_id, st->query->child[0]->output[1].id);
}

static void test_analyze_order_by_unselected_column_is_hidden(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, col("region"));
	sql_stmt *st = select_stmt(sort1(p, col("amount"), false));

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->kind, SQL_PLAN_PROJECT);
	assert_int_equal(st->query->noutput, 1);
	assert_int_equal(st->query->child[0]->kind, SQL_PLAN_SORT);
	assert_int_equal(st->query->child[0]->child[0]->noutput, 2);
}

/* ---- joins ------------------------------------------------------------------------------------------ */

static void test_analyze_join_splits_equi_keys_and_residual(void **state)
{
	struct fixture *f = F(state);
	sql_expr *on = bin(SQL_OP_AND, bin(SQL_OP_EQ, qcol("c", "id"), qcol("o", "id")),
			   bin(SQL_OP_GT, qcol("o", "amount"), lit_int(5)));
	sql_plan *j = join(SQL_JOIN_LEFT, aliased(rel("sales", "orders"), "o"),
			   aliased(rel("sales", "customers"), "c"), on);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, j, 1, qcol("c", "name")));

	assert_int_equal(analyze(f, st), 0);
	j = st->query->child[0];
	assert_int_equal(j->nkeys, 1);
	assert_int_equal(j->lkeys[0]->attr_id, j->child[0]->output[0].id);
	assert_int_equal(j->lkeys[0]->ordinal, 0);
	assert_int_equal(j->rkeys[0]->attr_id, j->child[1]->output[0].id);
	assert_int_equal(j->rkeys[0]->ordinal, 0);
	assert_non_null(j->cond);
	assert_int_equal(j->cond->op, SQL_OP_GT);
	assert_int_equal(j->noutput, 9);
	assert_true(j->output[5].nullable);
	assert_int_equal(st->query->exprs[0]->ordinal, 6);
}

static void test_analyze_join_without_equality_keeps_its_condition_as_residual(void **state)
{
	struct fixture *f = F(state);
	sql_plan *j = join(SQL_JOIN_INNER, aliased(rel("sales", "orders"), "o"),
			   aliased(rel("sales", "customers"), "c"),
			   bin_at(SQL_OP_LT, qcol("o", "id"), qcol("c", "id"), 2, 9));
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, j, 1, star(NULL)));

	assert_int_equal(analyze(f, st), 0);
	j = st->query->child[0];
	assert_int_equal(j->nkeys, 0);
	assert_non_null(j->cond);
	assert_int_equal(j->cond->op, SQL_OP_LT);
	/* The residual reads the left row then the right row. */
	assert_int_equal(j->cond->args[0]->ordinal, 0);
	assert_int_equal(j->cond->args[1]->ordinal, 5);
}

static void test_analyze_cross_join_has_no_keys_and_no_condition(void **state)
{
	struct fixture *f = F(state);
	sql_plan *j = join(SQL_JOIN_INNER, rel("sales", "orders"), rel("sales", "customers"), NULL);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, j, 1, star(NULL)));

	assert_int_equal(analyze(f, st), 0);
	j = st->query->child[0];
	assert_int_equal(j->nkeys, 0);
	assert_null(j->cond);
	assert_int_equal(j->noutput, 9);
	assert_int_equal(st->query->nexprs, 9);
}

/* Analyze SELECT * FROM orders o <TYPE> JOIN customers c ON o.id = c.id
 * AND o.qty < 3 and return the join. */
static sql_plan *analyzed_join(struct fixture *f, sql_join_type type)
{
	sql_expr *on = bin(SQL_OP_AND, bin(SQL_OP_EQ, qcol("o", "id"), qcol("c", "id")),
			   bin(SQL_OP_LT, qcol("o", "qty"), qcol("c", "id")));
	sql_plan *j = join(type, aliased(rel("sales", "orders"), "o"),
			   aliased(rel("sales", "customers"), "c"), on);
	sql_stmt *st = select_stmt(list(SQL_PLAN_PROJECT, j, 1, star(NULL)));

	assert_int_equal(analyze(f, st), 0);
	return st->query->child[0];
}

static void test_analyze_semi_and_anti_joins_output_only_the_left_side(void **state)
{
	struct fixture *f = F(state);
	sql_join_type types[] = { SQL_JOIN_LEFT_SEMI, SQL_JOIN_LEFT_ANTI };

	for (int i = 0; i < 2; i++) {
		sql_plan *j = analyzed_join(f, types[i]);

		assert_int_equal(j->noutput, 5);
		assert_string_equal(j->output[4].name, "dt");
		assert_int_equal(j->nkeys, 1);
		/* The residual still reads both sides: c.id is at 5 + 0. */
		assert_int_equal(j->cond->args[1]->ordinal, 5);
	}
}

/* The join's output nullability for TYPE over sides whose columns are
 * not nullable (scans' columns always are, so the test clears them). */
static sql_plan *join_over_non_nullable(struct fixture *f, sql_join_type type)
{
	sql_plan *j = analyzed_join(f, SQL_JOIN_INNER);

	for (int s = 0; s < 2; s++)
		for (uint32_t i = 0; i < j->child[s]->noutput; i++)
			j->child[s]->output[i].nullable = false;
	j->join_type = type;
	assert_int_equal(sql_plan_compute_output(f->a, j), 0);
	return j;
}

static void test_analyze_outer_joins_make_the_missing_side_nullable(void **state)
{
	struct fixture *f = F(state);
	sql_plan *j;

	j = join_over_non_nullable(f, SQL_JOIN_INNER);
	assert_false(j->output[0].nullable);
	assert_false(j->output[8].nullable);
	j = join_over_non_nullable(f, SQL_JOIN_LEFT);
	assert_false(j->output[4].nullable);
	assert_true(j->output[5].nullable);
	j = join_over_non_nullable(f, SQL_JOIN_RIGHT);
	assert_true(j->output[4].nullable);
	assert_false(j->output[5].nullable);
	j = join_over_non_nullable(f, SQL_JOIN_FULL);
	assert_true(j->output[0].nullable);
	assert_true(j->output[8].nullable);
	j = join_over_non_nullable(f, SQL_JOIN_LEFT_SEMI);
	assert_int_equal(j->noutput, 5);
	assert_false(j->output[0].nullable);
}

/* ---- INSERT, CREATE TABLE AS, DDL ---------------------------------------------------------------------- */

static sql_stmt *insert_stmt(const char *db, const char *table, sql_plan *q)
{
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_INSERT;
	st->line = st->col = 1;
	st->target[0] = db;
	st->target[1] = table;
	st->ntarget = 2;
	st->query = q;
	return st;
}

static void test_analyze_insert_casts_to_target_types(void **state)
{
	struct fixture *f = F(state);
	/* orders: id bigint, region string, amount double, qty bigint, dt date (dynamic) */
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 5, col("id"), col("region"),
			   col("qty"), col("qty"), col("dt"));
	sql_stmt *st = insert_stmt("sales", "orders", q);

	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->kind, SQL_PLAN_PROJECT);
	assert_int_equal(st->query->exprs[2]->kind, SQL_EXPR_ALIAS);
	assert_string_equal(st->query->exprs[2]->name, "amount");
	assert_int_equal(st->query->exprs[2]->args[0]->kind, SQL_EXPR_CAST);
	assert_int_equal(st->query->output[2].type, SQL_TYPE_DOUBLE);
	assert_int_equal(st->query->exprs[0]->kind, SQL_EXPR_COLUMN);
}

static void test_analyze_insert_with_static_partition_needs_data_columns_only(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 4, col("id"), col("region"),
			   col("amount"), col("qty"));
	sql_stmt *st = insert_stmt("sales", "orders", q);
	sql_expr *v = lit_str("2024-05-01");

	st->pspecs = sql_arena_alloc(A, sizeof *st->pspecs);
	st->npspecs = 1;
	st->pspecs[0].items = sql_arena_alloc(A, sizeof *st->pspecs[0].items);
	st->pspecs[0].items[0] = (sql_pspec_item){ "dt", v, 1, 40 };
	st->pspecs[0].nitems = 1;
	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->query->noutput, 4);
}

static void test_analyze_insert_column_count_mismatch(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 2, col("id"), col("region"));

	q->line = 2;
	q->col = 1;
	assert_error(f, insert_stmt("sales", "orders", q),
		     "line 2, column 1: sales.orders needs 5 columns (data columns then dynamic "
		     "partition columns), the query gives 2");
}

static void test_analyze_insert_refuses_unsafe_cast(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "customers"), 5, col("name"), col("name"),
			   col("id"), col("id"), col("active"));

	assert_error(f, insert_stmt("sales", "orders", q),
		     "line 1, column 1: cannot write string into column \"id\" of type bigint "
		     "(column 1 of the query)");
}

static void test_analyze_insert_unknown_partition_column(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1, star(NULL));
	sql_stmt *st = insert_stmt("sales", "orders", q);

	st->pspecs = sql_arena_alloc(A, sizeof *st->pspecs);
	st->npspecs = 1;
	st->pspecs[0].items = sql_arena_alloc(A, sizeof *st->pspecs[0].items);
	st->pspecs[0].items[0] = (sql_pspec_item){ "day", NULL, 1, 42 };
	st->pspecs[0].nitems = 1;
	assert_error(f, st, "line 1, column 42: \"day\" is not a partition column of sales.orders");
}

static void test_analyze_create_table_as_puts_partition_columns_last(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT, rel("sales", "orders"), 3, col("dt"), col("region"),
			   as(bin(SQL_OP_MUL, col("qty"), lit_int(2)), "q2"));
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_CREATE_TABLE_AS;
	st->target[0] = "sales";
	st->target[1] = "daily";
	st->ntarget = 2;
	st->partcols = sql_arena_alloc(A, sizeof *st->partcols);
	st->partcols[0] = (sql_column_def){ "dt", SQL_TYPE_NULL, 1, 30 };
	st->npartcols = 1;
	st->query = q;
	assert_int_equal(analyze(f, st), 0);
	assert_int_equal(st->ncolumns, 2);
	assert_string_equal(st->columns[0].name, "region");
	assert_int_equal(st->columns[1].type, SQL_TYPE_BIGINT);
	assert_int_equal(st->partcols[0].type, SQL_TYPE_DATE);
	assert_string_equal(st->query->output[2].name, "dt");
}

static void test_analyze_create_existing_table_is_an_error(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_CREATE_TABLE;
	st->line = 1;
	st->col = 1;
	st->target[0] = "sales";
	st->target[1] = "orders";
	st->ntarget = 2;
	assert_error(f, st, "line 1, column 1: table \"sales.orders\" already exists");
	st->if_not_exists = true;
	st->columns = sql_arena_alloc(A, sizeof *st->columns);
	st->columns[0] = (sql_column_def){ "x", SQL_TYPE_BIGINT, 1, 40 };
	st->ncolumns = 1;
	assert_int_equal(analyze(f, st), 0);
}

static void test_analyze_drop_missing_table_unless_if_exists(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_DROP_TABLE;
	st->line = 4;
	st->col = 1;
	st->target[0] = "sales";
	st->target[1] = "gone";
	st->ntarget = 2;
	assert_error(f, st, "line 4, column 1: unknown table \"sales.gone\"");
	st->if_exists = true;
	assert_int_equal(analyze(f, st), 0);
}

static void test_analyze_show_partitions_of_unpartitioned_table(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_SHOW_PARTITIONS;
	st->line = 1;
	st->col = 1;
	st->target[0] = "sales";
	st->target[1] = "customers";
	st->ntarget = 2;
	assert_error(f, st, "line 1, column 1: sales.customers is not partitioned");
}

/* ---- names the caller may not see (sql_catalog.access) ------------------------------------------ */

/* The access hook of these tests: sales.secret and the database vault are
 * hidden, sales.notes is visible but not readable; REFUSALS counts what the
 * hook would record (every answer but OK, probes left out). */
static unsigned refusals;

static sql_access hide_secret(void *ctx, const sql_catalog *cat, unsigned platform, const char *db,
			      const char *table, unsigned privs, unsigned flags, sql_error *err)
{
	bool probe = flags & SQL_ACCESS_PROBE;

	(void)ctx;
	(void)cat;
	(void)platform;
	if ((db && strcmp(db, "vault") == 0) || (table && strcmp(table, "secret") == 0)) {
		refusals += !probe;
		return SQL_ACCESS_HIDDEN;
	}
	if (table && strcmp(table, "notes") == 0 && (privs & ~SQL_PRIV_MODIFY)) {
		refusals += !probe;
		if (err)
			sql_error_set(err, 0, 0, "permission denied: no %s on %s.%s",
				      privs & SQL_PRIV_SELECT ? "SELECT" : "ADMIN", db, table);
		return SQL_ACCESS_DENIED;
	}
	return SQL_ACCESS_OK;
}

static int setup_hidden(void **state)
{
	static const store_column secret[] = { { "id", STORE_TYPE_BIGINT },
					       { "ssn_col", STORE_TYPE_STRING } };
	struct fixture *f;

	if (setup(state) != 0)
		return -1;
	f = *state;
	make_table(f->env, "sales", "secret", secret, 2, 0);
	make_table(f->env, "vault", "box", secret, 2, 0);
	f->cat.access = hide_secret;
	refusals = 0;
	return 0;
}

/* The error of SQL's first statement ("" when it analyzes). */
static void sql_error_of(struct fixture *f, const char *sql, char *out, size_t cap)
{
	sql_script sc;

	memset(&f->err, 0, sizeof f->err);
	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	out[0] = '\0';
	if (analyze(f, sc.stmts[0]) != 0)
		sql_error_format(&f->err, out, cap);
}

static const char *const hidden_refs[] = {
	"SELECT ssn_co FROM sales.secret",
	"SELECT * FROM hive.sales.secret",
	"SELECT o.id FROM sales.orders o JOIN sales.secret s ON o.id = s.id",
	"SELECT n FROM (SELECT ssn_co AS n FROM sales.secret) q",
	"WITH c AS (SELECT ssn_co FROM sales.secret) SELECT id FROM sales.orders",
	"SELECT id FROM sales.orders UNION ALL SELECT ssn_co FROM sales.secret",
	"INSERT INTO sales.secret VALUES (1)",
	"INSERT INTO sales.customers SELECT ssn_co, 'x', 'y', true FROM sales.secret",
	"CREATE TABLE sales.copy AS SELECT ssn_co FROM sales.secret",
	"SHOW PARTITIONS sales.secret",
	"DROP TABLE sales.secret",
	"EXPLAIN SELECT ssn_co FROM sales.secret",
	"SELECT * FROM sales.secre",
	"CREATE TABLE vault.mine (id BIGINT)",
	"DROP TABLE vault.box",
	"SELECT * FROM vault.box",
};

static void test_analyze_hidden_table_answers_as_missing_byte_for_byte(void **state)
{
	struct fixture *f = F(state);
	size_t n = sizeof hidden_refs / sizeof hidden_refs[0];
	char (*hidden)[600] = calloc(n, sizeof *hidden);
	char missing[600];
	store_txn *txn = NULL;

	assert_non_null(hidden);
	for (size_t i = 0; i < n; i++) {
		unsigned before = refusals;

		sql_error_of(f, hidden_refs[i], hidden[i], sizeof hidden[i]);
		assert_true(hidden[i][0] != '\0');
		assert_null(strstr(hidden[i], "ssn_col"));
		assert_null(strstr(hidden[i], "did you mean"));
		/* Each refusal recorded once, probes for suggestions not at all
		 * (sales.secre does not exist: nothing to refuse). */
		assert_int_equal(refusals, before + (strstr(hidden_refs[i], "secret") ||
						     strstr(hidden_refs[i], "vault")));
	}
	assert_string_equal(hidden[0], "line 1, column 20: unknown table \"sales.secret\"");
	assert_string_equal(hidden[13], "line 1, column 1: unknown database \"vault\"");
	/* The same statements once the objects are really gone. */
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_table_drop(txn, "sales", "secret", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_table_drop(txn, "vault", "box", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_database_drop(txn, "vault", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	for (size_t i = 0; i < n; i++) {
		sql_error_of(f, hidden_refs[i], missing, sizeof missing);
		assert_string_equal(hidden[i], missing);
	}
	free(hidden);
}

static void test_analyze_did_you_mean_offers_only_visible_tables(void **state)
{
	struct fixture *f = F(state);
	char msg[600];

	sql_error_of(f, "SELECT * FROM sales.secre", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 15: unknown table \"sales.secre\"");
	sql_error_of(f, "SELECT * FROM sales.ordrs", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 15: unknown table \"sales.ordrs\" (did you mean \"sales.orders\"?)");
	f->cat.access = NULL;
	sql_error_of(f, "SELECT * FROM sales.secre", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 15: unknown table \"sales.secre\" (did you mean \"sales.secret\"?)");
}

static void test_analyze_column_error_only_after_select_check(void **state)
{
	struct fixture *f = F(state);
	char msg[600];

	sql_error_of(f, "SELECT txt FROM sales.notes", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 17: permission denied: no SELECT on sales.notes");
	assert_int_equal(refusals, 1);
	sql_error_of(f, "DROP TABLE sales.notes", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 1: permission denied: no ADMIN on sales.notes");
	/* A readable table still says what it has. */
	sql_error_of(f, "SELECT regin FROM sales.orders", msg, sizeof msg);
	assert_string_equal(msg, "line 1, column 8: unknown column \"regin\" (did you mean \"region\"?)");
	assert_int_equal(refusals, 2);
}

/* ---- from SQL text: the places the parser gives ------------------------------------------------- */

static void assert_sql_error(struct fixture *f, const char *sql, const char *want)
{
	sql_script sc;

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	assert_error(f, sc.stmts[0], want);
}

static void test_analyze_right_side_of_a_semi_join_is_not_visible_above_it(void **state)
{
	struct fixture *f = F(state);

	assert_sql_error(f, "SELECT c.name FROM sales.orders o LEFT SEMI JOIN sales.customers c "
			    "ON o.id = c.id",
			 "line 1, column 8: unknown column \"c.name\"");
	/* id is no longer ambiguous: only the left side's id is there. */
	assert_sql_error(f, "SELECT id FROM sales.orders o LEFT ANTI JOIN sales.customers c "
			    "ON o.id = c.id WHERE active",
			 "line 1, column 85: unknown column \"active\"");
}

static void test_analyze_sql_errors_name_line_and_column(void **state)
{
	struct fixture *f = F(state);

	assert_sql_error(f, "SELECT id,\n  regin\nFROM sales.orders",
			 "line 2, column 3: unknown column \"regin\" (did you mean \"region\"?)");
	assert_sql_error(f, "SELECT id FROM sales.orders WHERE dt = TRUE",
			 "line 1, column 35: cannot compare date with boolean");
	assert_sql_error(f, "SELECT lenght(region) FROM sales.orders",
			 "line 1, column 8: unknown function \"lenght\" (did you mean \"length\"?)");
	assert_sql_error(f, "SELECT id FROM sales.orders o JOIN sales.customers c ON o.id = c.id",
			 "line 1, column 8: ambiguous column \"id\" (in o and c)");
	assert_sql_error(f, "SELECT region, qty FROM sales.orders GROUP BY region",
			 "line 1, column 16: expression \"qty\" is neither in GROUP BY nor an aggregate");
	assert_sql_error(f, "SELECT * FROM orders",
			 "line 1, column 15: unknown table \"orders\"");
}

static void test_analyze_sql_order_by_alias_and_group_by_position(void **state)
{
	struct fixture *f = F(state);
	const char *sql = "WITH r AS (SELECT region, amount FROM sales.orders)\n"
			  "SELECT region AS reg, sum(amount) AS total FROM r GROUP BY 1 ORDER BY total DESC";
	sql_script sc;
	sql_plan *q;

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	assert_int_equal(analyze(f, sc.stmts[0]), 0);
	q = sc.stmts[0]->query;
	assert_int_equal(q->kind, SQL_PLAN_SORT);
	assert_int_equal(q->sort[0].expr->ordinal, 1);
	assert_int_equal(q->child[0]->kind, SQL_PLAN_AGGREGATE);
	assert_string_equal(q->child[0]->output[0].name, "reg");
	assert_int_equal(q->child[0]->groups[0]->kind, SQL_EXPR_COLUMN);
	assert_string_equal(q->child[0]->groups[0]->name, "region");
}

static void test_analyze_sql_order_by_position_names_a_select_column(void **state)
{
	struct fixture *f = F(state);
	const char *sql = "SELECT region, amount FROM sales.orders ORDER BY 2 DESC, 1";
	sql_script sc;
	sql_plan *q;

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	assert_int_equal(analyze(f, sc.stmts[0]), 0);
	q = sc.stmts[0]->query;
	assert_int_equal(q->kind, SQL_PLAN_SORT);
	assert_int_equal(q->sort[0].expr->kind, SQL_EXPR_COLUMN);
	assert_string_equal(q->sort[0].expr->name, "amount");
	assert_int_equal(q->sort[0].expr->ordinal, 1);
	assert_string_equal(q->sort[1].expr->name, "region");
	assert_int_equal(q->sort[1].expr->ordinal, 0);
	assert_sql_error(f, "SELECT region FROM sales.orders ORDER BY 3",
			 "line 1, column 42: ORDER BY position 3 is not in the select list");
}

/* ---- subquery expressions -------------------------------------------------------------------- */

/* SQL's first statement analyzed (which must succeed). */
static sql_stmt *analyzed(struct fixture *f, const char *sql)
{
	sql_script sc;
	char buf[600];

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	if (analyze(f, sc.stmts[0]) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("analyze: %s", buf);
	}
	return sc.stmts[0];
}

static sql_plan *first_of(sql_plan *p, sql_plan_kind kind)
{
	sql_plan *x;

	if (p == NULL)
		return NULL;
	if (p->kind == kind)
		return p;
	x = first_of(p->child[0], kind);
	return x ? x : first_of(p->child[1], kind);
}

static void test_analyze_subquery_marks_correlated_references(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "SELECT id FROM sales.customers c WHERE NOT EXISTS "
				   "(SELECT 1 FROM sales.orders o WHERE o.region = c.region)");
	sql_plan *outer = first_of(st->query, SQL_PLAN_FILTER), *inner;
	const sql_expr *ex = outer->cond, *eq;
	uint32_t region_id = 0;

	/* NOT EXISTS is one negated EXISTS */
	assert_int_equal(ex->kind, SQL_EXPR_EXISTS);
	assert_true(ex->negated);
	assert_int_equal(ex->type, SQL_TYPE_BOOLEAN);
	inner = first_of(ex->subquery, SQL_PLAN_FILTER);
	assert_non_null(inner);
	eq = inner->cond;
	assert_false(eq->args[0]->outer);
	assert_true(eq->args[1]->outer);
	assert_int_equal(eq->args[1]->ordinal, -1);
	for (uint32_t i = 0; i < outer->child[0]->noutput; i++)
		if (strcmp(outer->child[0]->output[i].name, "region") == 0)
			region_id = outer->child[0]->output[i].id;
	assert_int_equal(eq->args[1]->attr_id, region_id);
	assert_string_equal(eq->args[1]->name, "region");
}

static void test_analyze_scalar_subquery_has_its_column_type(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "SELECT (SELECT max(amount) FROM sales.orders) AS m, id "
				   "FROM sales.customers");
	const sql_expr *m = st->query->exprs[0];

	assert_int_equal(m->kind, SQL_EXPR_ALIAS);
	assert_int_equal(m->args[0]->kind, SQL_EXPR_SCALAR_SUBQUERY);
	assert_int_equal(m->args[0]->type, SQL_TYPE_DOUBLE);
	assert_int_equal(st->query->output[0].type, SQL_TYPE_DOUBLE);
}

static void test_analyze_scalar_subquery_must_return_one_column(void **state)
{
	struct fixture *f = F(state);
	char buf[600];

	sql_error_of(f, "SELECT id FROM sales.customers\nWHERE id = (SELECT id, qty FROM sales.orders)",
		     buf, sizeof buf);
	assert_string_equal(buf, "line 2, column 12: a scalar subquery must return one column, not 2");
	sql_error_of(f, "SELECT id FROM sales.customers WHERE id IN (SELECT * FROM sales.orders)",
		     buf, sizeof buf);
	assert_string_equal(buf,
			    "line 1, column 38: the subquery of IN must return one column, not 5");
}

static void test_analyze_in_subquery_coerces_to_a_common_type(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "SELECT id FROM sales.customers WHERE id IN "
				   "(SELECT amount FROM sales.orders)");
	const sql_expr *in = first_of(st->query, SQL_PLAN_FILTER)->cond;
	char buf[600];

	assert_int_equal(in->kind, SQL_EXPR_IN_SUBQUERY);
	assert_int_equal(in->args[0]->kind, SQL_EXPR_CAST);
	assert_int_equal(in->args[0]->type, SQL_TYPE_DOUBLE);
	sql_error_of(f, "SELECT id FROM sales.customers WHERE active IN "
			"(SELECT dt FROM sales.orders)", buf, sizeof buf);
	assert_string_equal(buf, "line 1, column 38: cannot compare boolean with date");
}

static void test_analyze_subquery_errors_name_their_place(void **state)
{
	struct fixture *f = F(state);
	char buf[600];

	sql_error_of(f, "SELECT id FROM sales.customers c WHERE EXISTS\n"
			"  (SELECT 1 FROM sales.orders o WHERE o.regin = c.region)", buf, sizeof buf);
	assert_string_equal(buf,
			    "line 2, column 39: unknown column \"o.regin\" (did you mean \"region\"?)");
	/* two levels out is not the query right around the subquery */
	sql_error_of(f, "SELECT id FROM sales.customers c WHERE EXISTS (SELECT 1 FROM sales.orders o "
			"WHERE o.id IN (SELECT n.text FROM sales.notes n WHERE n.text = c.name))",
		     buf, sizeof buf);
	assert_non_null(strstr(buf, "column \"name\" belongs to a query two or more levels out"));
}

/* A CTE that holds a subquery, named twice: each reference analyzes its
 * own copy of the subquery too. */
static void test_analyze_cte_with_subquery_named_twice(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "WITH x AS (SELECT id FROM sales.orders o WHERE EXISTS "
				   "(SELECT 1 FROM sales.customers c WHERE c.id = o.qty)) "
				   "SELECT a.id FROM x a JOIN x b ON a.id = b.id");
	sql_plan *j = first_of(st->query, SQL_PLAN_JOIN);
	sql_plan *fa = first_of(j->child[0], SQL_PLAN_FILTER), *fb = first_of(j->child[1], SQL_PLAN_FILTER);

	assert_non_null(fa);
	assert_non_null(fb);
	assert_ptr_not_equal(fa->cond->subquery, fb->cond->subquery);
	assert_int_not_equal(fa->cond->subquery->output[0].id, fb->cond->subquery->output[0].id);
}

/* An outer column is a constant of the subquery: it needs no GROUP BY. */
static void test_analyze_outer_column_beside_aggregate_is_allowed(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "SELECT id FROM sales.customers c WHERE id < "
				   "(SELECT max(o.qty) + c.id FROM sales.orders o)");

	assert_non_null(st->query);
}

/* The analyzed plan draws each subquery's plan below the node that holds
 * it, as Spark does, with its correlated references as outer(...). */
static void test_analyze_plan_text_shows_subquery_plans(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = analyzed(f, "SELECT id FROM sales.customers c WHERE EXISTS "
				   "(SELECT 1 FROM sales.orders o WHERE o.region = c.region)");
	textbuf tb = TEXTBUF_INIT;
	const char *want =
		"Project [id#1]\n"
		"+- Filter exists(subquery)\n"
		"   :  +- Project [1 AS 1#10]\n"
		"   :     +- Filter (region#6 = outer(region#3))\n"
		"   :        +- SubqueryAlias o\n"
		"   :           +- Relation hive.sales.orders[id#5,region#6,amount#7,qty#8,dt#9] csv\n"
		"   +- SubqueryAlias c\n"
		"      +- Relation hive.sales.customers[id#1,name#2,region#3,active#4] csv\n";

	sql_plan_print(st->query, true, false, &tb);
	assert_string_equal(tb.data, want);
	textbuf_free(&tb);
}

/* ---- decimals ------------------------------------------------------------------------------ */

/* sales.ledger (id bigint, price decimal(15,2), rate decimal(5,4), amount
 * double, note string, qty bigint) */
static void make_ledger(struct fixture *f)
{
	const store_column cols[] = {
		{ "id", STORE_TYPE_BIGINT }, { "price", store_type_decimal(15, 2) },
		{ "rate", store_type_decimal(5, 4) }, { "amount", STORE_TYPE_DOUBLE },
		{ "note", STORE_TYPE_STRING }, { "qty", STORE_TYPE_BIGINT },
	};

	make_table(f->env, "sales", "ledger", cols, 6, 0);
}

/* The analyzed output schema of the one query in TEXT, on one line. */
static const char *schema_of(struct fixture *f, const char *text, sql_stmt **out)
{
	static char buf[1024];
	sql_script script;
	textbuf b = TEXTBUF_INIT;

	assert_int_equal(sql_parse(f->a, text, strlen(text), &script, &f->err), 0);
	if (analyze(f, script.stmts[0])) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("%s: %s", text, buf);
	}
	sql_plan_print_schema(script.stmts[0]->query, &b);
	snprintf(buf, sizeof buf, "%s", b.data ? b.data : "");
	buf[strcspn(buf, "\n")] = '\0';
	textbuf_free(&b);
	if (out)
		*out = script.stmts[0];
	return buf;
}

static void test_analyze_decimal_literals_are_typed_as_spark_types_them(void **state)
{
	struct fixture *f = F(state);

	assert_string_equal(schema_of(f, "SELECT 0.06 AS a, 1.5 AS b, .5 AS c, 100.0 AS d, 007.50 AS e, "
					 "1e3 AS g, 12 AS h, -0.06 AS i", NULL),
			    "a: decimal(2,2), b: decimal(2,1), c: decimal(1,1), d: decimal(4,1), "
			    "e: decimal(3,2), g: double, h: bigint, i: decimal(2,2)");
	assert_string_equal(schema_of(f, "SELECT 0.06 + 0.01 AS s, 0.06 - 0.01 AS t", NULL),
			    "s: decimal(3,2), t: decimal(3,2)");
	assert_string_equal(schema_of(f, "SELECT 12345678901234567890123456789012345678 AS x", NULL),
			    "x: decimal(38,0)");
	assert_string_equal(schema_of(f, "SELECT 123456789012345678901234567890123456789 AS x", NULL),
			    "x: double");
}

static void test_analyze_decimal_arithmetic_result_types(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st;

	make_ledger(f);
	assert_string_equal(schema_of(f, "SELECT price * qty AS a, price + 1 AS b, price * amount AS c, "
					 "price / rate AS d, price % 7 AS e, -price AS g, note + price AS h, "
					 "price * rate AS i FROM sales.ledger", &st),
			    "a: decimal(36,2), b: decimal(16,2), c: double, d: decimal(25,8), "
			    "e: decimal(3,2), g: decimal(15,2), h: double, i: decimal(21,6)");
	/* The bigint column is read as decimal(20,0), the literal 1 as decimal(1,0). */
	sql_expr *a = st->query->exprs[0]->args[0], *b = st->query->exprs[1]->args[0];
	assert_int_equal(a->args[1]->kind, SQL_EXPR_CAST);
	assert_int_equal(a->args[1]->cast_type, sql_type_decimal(20, 0));
	assert_int_equal(b->args[1]->kind, SQL_EXPR_CAST);
	assert_int_equal(b->args[1]->cast_type, sql_type_decimal(1, 0));
	/* Past 38 digits: the integral digits stay, the scale gives way down to 6. */
	assert_string_equal(schema_of(f, "SELECT price * (1 - rate) * (1 + rate) * price AS x, "
					 "CAST(price AS DECIMAL(38,10)) / 3 AS y FROM sales.ledger", NULL),
			    "x: decimal(38,6), y: decimal(38,10)");
}

static void test_analyze_decimal_comparisons_meet_at_the_wider_decimal(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st;

	make_ledger(f);
	schema_of(f, "SELECT id FROM sales.ledger WHERE price < 24 AND rate BETWEEN 0.05 AND 0.07 "
		     "AND price = qty", &st);
	sql_expr *w = st->query->child[0]->cond;
	sql_expr *lt = w->args[0]->args[0], *between = w->args[0]->args[1], *eq = w->args[1];
	/* 24 is decimal(2,0) next to a decimal: decimal(15,2) holds both. */
	assert_int_equal(lt->args[1]->type, sql_type_decimal(15, 2));
	assert_int_equal(lt->args[0]->type, sql_type_decimal(15, 2));
	assert_int_equal(between->args[0]->type, sql_type_decimal(5, 4));
	assert_int_equal(between->args[1]->type, sql_type_decimal(5, 4));
	/* A bigint column is decimal(20,0): decimal(22,2) holds both. */
	assert_int_equal(eq->args[0]->type, sql_type_decimal(22, 2));
	assert_int_equal(eq->args[1]->type, sql_type_decimal(22, 2));
}

static void test_analyze_decimal_aggregates_and_functions(void **state)
{
	struct fixture *f = F(state);

	make_ledger(f);
	assert_string_equal(schema_of(f, "SELECT sum(price) AS a, avg(price) AS b, sum(rate) AS c, "
					 "avg(rate) AS d, min(price) AS e, sum(CAST(price AS DECIMAL(38,2))) AS g, "
					 "avg(CAST(price AS DECIMAL(36,36))) AS h FROM sales.ledger", NULL),
			    "a: decimal(25,2), b: decimal(19,6), c: decimal(15,4), d: decimal(9,8), "
			    "e: decimal(15,2), g: decimal(38,2), h: decimal(38,38)");
	/* An integer literal beside a decimal branch is decimal(10,0), as
	 * Spark's int literal; a bigint column decimal(20,0). */
	assert_string_equal(schema_of(f, "SELECT CASE WHEN id > 0 THEN rate ELSE 0 END AS a, "
					 "coalesce(rate, 1) AS b, CASE WHEN id > 0 THEN rate ELSE qty END AS c, "
					 "coalesce(price, 10000000000) AS d FROM sales.ledger", NULL),
			    "a: decimal(14,4), b: decimal(14,4), c: decimal(24,4), d: decimal(22,2)");
	assert_string_equal(schema_of(f, "SELECT col1, col2 FROM (VALUES (1.5, 1), (2, 2.25))", NULL),
			    "col1: decimal(11,1), col2: decimal(12,2)");
	assert_string_equal(schema_of(f, "SELECT round(price, 1) AS a, round(price) AS b, "
					 "round(price, 5) AS c, round(price, -2) AS d, abs(rate) AS e, "
					 "CAST(price AS STRING) AS g, CAST(note AS DEC(7)) AS h, "
					 "CAST(note AS NUMERIC) AS i FROM sales.ledger", NULL),
			    "a: decimal(15,1), b: decimal(14,0), c: decimal(16,2), d: decimal(14,0), "
			    "e: decimal(5,4), g: string, h: decimal(7,0), i: decimal(10,0)");
}

static void test_analyze_decimal_type_errors(void **state)
{
	struct fixture *f = F(state);
	sql_script script;

	assert_int_equal(sql_parse(f->a, "SELECT CAST(1 AS DECIMAL(39,2))", 31, &script, &f->err),
			 -EINVAL);
	assert_string_equal(f->err.message, "decimal precision 39 is out of range: it must be 1 to 38");
	assert_int_equal(sql_parse(f->a, "SELECT CAST(1 AS DECIMAL(5,6))", 30, &script, &f->err),
			 -EINVAL);
	assert_string_equal(f->err.message, "decimal scale 6 is larger than its precision 5");
	make_ledger(f);
	assert_int_equal(sql_parse(f->a, "SELECT price + DATE '2024-01-01' FROM sales.ledger", 49,
				   &script, &f->err), 0);
	assert_int_not_equal(analyze(f, script.stmts[0]), 0);
}

/* ---- TPC-H syntax: intervals, EXTRACT, column alias lists, views ------------------------------ */

/* Parse SQL and analyze each statement in turn, keeping the temporary
 * views it defines (as the manager does when the statements run).  The
 * first error, formatted, into OUT ("" when all analyze); the last
 * statement in *LAST. */
static void run_sql(struct fixture *f, const char *sql, char *out, size_t cap, sql_stmt **last)
{
	sql_script sc;

	memset(&f->err, 0, sizeof f->err);
	out[0] = '\0';
	if (sql_parse(f->a, sql, strlen(sql), &sc, &f->err) != 0) {
		sql_error_format(&f->err, out, cap);
		return;
	}
	for (uint32_t i = 0; i < sc.nstmts; i++) {
		sql_stmt *s = sc.stmts[i];

		if (last)
			*last = s;
		if (analyze(f, s) != 0) {
			sql_error_format(&f->err, out, cap);
			return;
		}
		if (s->kind == SQL_STMT_CREATE_VIEW && s->temporary)
			assert_int_equal(sql_temp_view_create(f->cat.temp_views, s, sql, &f->err), 0);
		if (s->kind == SQL_STMT_DROP_VIEW && s->ntarget == 1)
			sql_temp_view_drop(f->cat.temp_views, s->target[0]);
	}
}

/* The plan of the last statement of SQL (which must analyze), analyzed
 * (OPTIMIZED: and optimized), as text. */
static const char *plan_of(struct fixture *f, const char *sql, bool optimized)
{
	static char buf[4096];
	char err[600];
	sql_stmt *st = NULL;
	textbuf tb = TEXTBUF_INIT;

	run_sql(f, sql, err, sizeof err, &st);
	if (err[0])
		fail_msg("%s: %s", sql, err);
	if (optimized)
		assert_int_equal(sql_optimize(f->a, &f->cat, &st->query, &f->log, &f->err), 0);
	sql_plan_print(st->query, true, false, &tb);
	snprintf(buf, sizeof buf, "%s", tb.data ? tb.data : "");
	textbuf_free(&tb);
	return buf;
}

static const char *error_of(struct fixture *f, const char *sql)
{
	static char buf[600];

	run_sql(f, sql, buf, sizeof buf, NULL);
	return buf;
}

static int setup_views(void **state)
{
	struct fixture *f;

	if (setup(state))
		return -1;
	f = *state;
	f->cat.temp_views = sql_temp_views_new();
	return f->cat.temp_views ? 0 : -1;
}

static int teardown_views(void **state)
{
	struct fixture *f = *state;

	sql_temp_views_free(f->cat.temp_views);
	return teardown(state);
}

static void put_view(struct fixture *f, const char *db, const char *name, const char *text,
		     const char *const *cols, uint32_t ncols)
{
	store_txn *txn = NULL;
	store_view v = { .owner_uid = 7, .owner_gid = 7, .text = (char *)text,
			 .ncolumns = ncols, .columns = (char **)cols };

	snprintf(v.db, sizeof v.db, "%s", db);
	snprintf(v.name, sizeof v.name, "%s", name);
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_view_put(txn, &v, false), 0);
	assert_int_equal(store_commit(txn), 0);
}

static void test_analyze_date_plus_interval_becomes_date_functions(void **state)
{
	struct fixture *f = F(state);
	const char *plan = plan_of(f, "SELECT dt + interval '3' month AS a, "
				   "dt - interval '90' day (3) AS b, "
				   "dt + interval 1 year 2 days AS c, "
				   "interval '1' month + dt AS d FROM sales.orders", false);

	assert_non_null(strstr(plan, "add_months(dt#5, 3) AS a#6, date_add(dt#5, -90) AS b#7, "
				     "date_add(add_months(dt#5, 12), 2) AS c#8, "
				     "add_months(dt#5, 1) AS d#9"));
	plan = plan_of(f, "SELECT dt + interval 1 hour AS a, "
		       "cast(dt AS timestamp) - interval '1' day AS b FROM sales.orders", false);
	assert_non_null(strstr(plan, "time_add(cast(dt#5 as timestamp), 0, 3600000000) AS a#"));
	assert_non_null(strstr(plan, "time_add(cast(dt#5 as timestamp), 0, -86400000000) AS b#"));
}

static void test_analyze_interval_types(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = NULL;
	char err[600];

	run_sql(f, "SELECT dt + interval '1' month, dt + interval '1' minute, "
		   "dt - interval '2' week FROM sales.orders", err, sizeof err, &st);
	assert_string_equal(err, "");
	assert_int_equal(st->query->output[0].type, SQL_TYPE_DATE);
	assert_int_equal(st->query->output[1].type, SQL_TYPE_TIMESTAMP);
	assert_int_equal(st->query->output[2].type, SQL_TYPE_DATE);
}

static void test_analyze_interval_outside_date_arithmetic_is_refused(void **state)
{
	struct fixture *f = F(state);

	assert_string_equal(error_of(f, "SELECT interval '1' day FROM sales.orders"),
			    "line 1, column 8: an interval can only be added to or subtracted from "
			    "a date or timestamp");
	assert_string_equal(error_of(f, "SELECT qty + interval '1' day FROM sales.orders"),
			    "line 1, column 8: an interval can only be added to or subtracted from "
			    "a date or timestamp, not bigint");
	assert_string_equal(error_of(f, "SELECT interval '1' day - dt FROM sales.orders"),
			    "line 1, column 8: an interval can only be added to or subtracted from "
			    "a date or timestamp");
	assert_string_equal(error_of(f, "SELECT dt * interval '1' day FROM sales.orders"),
			    "line 1, column 8: an interval can only be added to or subtracted from "
			    "a date or timestamp");
	assert_string_equal(error_of(f, "SELECT id FROM sales.orders WHERE interval 1 day"),
			    "line 1, column 35: an interval can only be added to or subtracted from "
			    "a date or timestamp");
}

static void test_analyze_date_plus_interval_folds_to_a_partition_filter_literal(void **state)
{
	struct fixture *f = F(state);
	const char *plan = plan_of(f, "SELECT id FROM sales.orders WHERE dt >= date '1994-01-01' "
				   "AND dt < date '1994-01-01' + interval '1' year", true);

	assert_non_null(strstr(plan, "PartitionFilters: [(dt#5 >= 1994-01-01), (dt#5 < 1995-01-01)]"));
}

static void test_analyze_extract_is_a_bigint_of_a_date(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = NULL;
	char err[600];

	run_sql(f, "SELECT extract(year FROM dt) AS y, extract(quarter FROM dt) q FROM sales.orders",
		err, sizeof err, &st);
	assert_string_equal(err, "");
	assert_int_equal(st->query->output[0].type, SQL_TYPE_BIGINT);
	assert_int_equal(st->query->exprs[0]->args[0]->func, SQL_FUNC_YEAR);
	assert_int_equal(st->query->exprs[1]->args[0]->func, SQL_FUNC_QUARTER);
	assert_string_equal(error_of(f, "SELECT extract(year FROM true) FROM sales.orders"),
			    "line 1, column 8: year: requires a date or timestamp argument");
}

static void test_analyze_derived_table_column_aliases_rename_and_survive_optimization(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = NULL;
	char err[600];

	run_sql(f, "SELECT c_count, count(*) AS custdist FROM (SELECT id, count(*) FROM sales.orders "
		   "GROUP BY id) AS c_orders (c_custkey, c_count) GROUP BY c_count", err, sizeof err,
		&st);
	assert_string_equal(err, "");
	assert_string_equal(st->query->output[0].name, "c_count");
	run_sql(f, "SELECT * FROM (SELECT id, region FROM sales.orders) t (a, b)", err, sizeof err,
		&st);
	assert_string_equal(err, "");
	assert_int_equal(sql_optimize(f->a, &f->cat, &st->query, &f->log, &f->err), 0);
	assert_string_equal(st->query->output[0].name, "a");
	assert_string_equal(st->query->output[1].name, "b");
	run_sql(f, "SELECT x.k FROM sales.customers AS x (k, n, r, act)", err, sizeof err, &st);
	assert_string_equal(err, "");
	assert_string_equal(st->query->output[0].name, "k");
	assert_string_equal(error_of(f, "SELECT a FROM (SELECT id, region FROM sales.orders) t (a)"),
			    "line 1, column 15: \"t\" names 1 columns but its query has 2");
	assert_string_equal(error_of(f, "SELECT id FROM (SELECT id FROM sales.orders) t (a)"),
			    "line 1, column 8: unknown column \"id\" (did you mean \"a\"?)");
}

static void test_analyze_cte_column_aliases(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = NULL;
	char err[600];

	run_sql(f, "WITH t (a, b) AS (SELECT id, region FROM sales.orders) SELECT t.b FROM t", err,
		sizeof err, &st);
	assert_string_equal(err, "");
	assert_string_equal(st->query->output[0].name, "b");
	assert_string_equal(error_of(f, "WITH t (a, b, c) AS (SELECT id, region FROM sales.orders) "
				     "SELECT a FROM t"),
			    "line 1, column 6: \"t\" names 3 columns but its query has 2");
}

static void test_analyze_temporary_view_lives_until_dropped(void **state)
{
	struct fixture *f = F(state);
	sql_stmt *st = NULL;
	char err[600];

	run_sql(f, "CREATE TEMPORARY VIEW big (r, n) AS SELECT region, qty FROM sales.orders "
		   "WHERE qty > 10;\n"
		   "SELECT b.r, n FROM big b JOIN sales.customers c ON b.r = c.region", err,
		sizeof err, &st);
	assert_string_equal(err, "");
	assert_string_equal(st->query->output[0].name, "r");
	assert_string_equal(error_of(f, "CREATE TEMPORARY VIEW big AS SELECT 1"),
			    "line 1, column 1: temporary view \"big\" already exists");
	assert_string_equal(error_of(f, "CREATE OR REPLACE TEMPORARY VIEW big AS SELECT 1 AS one;"
				     "SELECT one FROM big"), "");
	assert_string_equal(error_of(f, "DROP VIEW big; SELECT * FROM big"),
			    "line 1, column 30: unknown table \"big\"");
	assert_string_equal(error_of(f, "DROP VIEW big"),
			    "line 1, column 1: unknown temporary view \"big\"");
	assert_string_equal(error_of(f, "DROP VIEW IF EXISTS big"), "");
	/* A WITH query of the same name hides the view. */
	assert_string_equal(error_of(f, "CREATE TEMP VIEW w AS SELECT 1 AS one;"
				     "WITH w AS (SELECT 2 AS two) SELECT two FROM w"), "");
}

static void test_analyze_persistent_view_expands_its_text(void **state)
{
	struct fixture *f = F(state);
	static const char *const cols[] = { "r", "q" };
	sql_stmt *st = NULL;
	char err[600];

	put_view(f, "sales", "recent", "SELECT region, qty FROM sales.orders\n"
		 "WHERE dt >= date '2023-01-01'", cols, 2);
	run_sql(f, "SELECT v.r, sum(q) FROM hive.sales.recent v GROUP BY v.r", err, sizeof err, &st);
	assert_string_equal(err, "");
	assert_string_equal(st->query->output[0].name, "r");
	assert_non_null(strstr(plan_of(f, "SELECT * FROM sales.recent", false),
			       "SubqueryAlias recent"));
	/* The name is taken: by a view for a table, by a table for a view. */
	{
		store_txn *txn = NULL;

		assert_int_equal(store_write_begin(f->env, &txn), 0);
		assert_int_equal(store_table_create(txn, "sales", "recent", 0, 0, STORE_ORIGIN_TOOL,
						    NULL), -EEXIST);
		store_abort(txn);
	}
	assert_string_equal(error_of(f, "CREATE VIEW sales.orders AS SELECT 1 AS one"),
			    "line 1, column 1: \"sales.orders\" is a table, not a view");
	assert_string_equal(error_of(f, "CREATE VIEW sales.recent AS SELECT 1 AS one"),
			    "line 1, column 1: view \"sales.recent\" already exists");
	assert_string_equal(error_of(f, "CREATE OR REPLACE VIEW sales.recent AS SELECT 1 AS one"), "");
	assert_string_equal(error_of(f, "DROP VIEW sales.orders"),
			    "line 1, column 1: \"sales.orders\" is a table: use DROP TABLE");
	assert_string_equal(error_of(f, "DROP VIEW sales.gone"),
			    "line 1, column 1: unknown view \"sales.gone\"");
	assert_string_equal(error_of(f, "DROP VIEW IF EXISTS sales.gone"), "");
	/* A one-part name is a temporary view. */
	assert_string_equal(error_of(f, "CREATE VIEW recent2 AS SELECT 1 AS one;"
				     "SELECT one FROM recent2"), "");
	assert_string_equal(error_of(f, "CREATE VIEW nodb.v AS SELECT 1 AS one"),
			    "line 1, column 1: unknown database \"nodb\"");
	assert_string_equal(error_of(f, "CREATE VIEW sales.two AS SELECT id, id FROM sales.orders"),
			    "line 1, column 1: view \"sales.two\" has two columns named \"id\": name "
			    "them (AS, or a column list)");
	assert_string_equal(error_of(f, "CREATE VIEW sales.cnt (a, b) AS SELECT id FROM sales.orders"),
			    "line 1, column 1: \"cnt\" names 2 columns but its query has 1");
}

static void test_analyze_persistent_view_reads_no_temporary_view(void **state)
{
	struct fixture *f = F(state);

	assert_string_equal(error_of(f, "CREATE TEMP VIEW t AS SELECT 1 AS one;"
				     "CREATE VIEW sales.p AS SELECT one FROM t"),
			    "line 1, column 78: a persistent view cannot read temporary view \"t\"");
}

static void test_analyze_view_errors_name_the_view(void **state)
{
	struct fixture *f = F(state);

	put_view(f, "sales", "broken", "SELECT regin FROM sales.orders", NULL, 0);
	put_view(f, "sales", "loop", "SELECT * FROM sales.loop", NULL, 0);
	assert_string_equal(error_of(f, "SELECT * FROM sales.broken"),
			    "line 1, column 15: in view \"sales.broken\": line 1, column 8: unknown "
			    "column \"regin\" (did you mean \"region\"?)");
	assert_string_equal(error_of(f, "SELECT * FROM sales.loop"),
			    "line 1, column 15: views nested more than 32 deep in \"sales.loop\" "
			    "(does a view read itself?)");
}

static void test_analyze_database_drop_takes_its_views(void **state)
{
	struct fixture *f = F(state);
	store_txn *txn = NULL;
	store_view v;

	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_database_create(txn, "empty", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(store_commit(txn), 0);
	put_view(f, "empty", "v", "SELECT 1 AS one", NULL, 0);
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_view_get(txn, "empty", "v", &v), 0);
	assert_string_equal(v.text, "SELECT 1 AS one");
	assert_int_equal(v.owner_uid, 7);
	store_view_clear(&v);
	assert_int_equal(store_database_drop(txn, "empty", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_view_get(txn, "empty", "v", &v), -ENOENT);
	assert_int_equal(store_commit(txn), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_analyze_sql_order_by_position_names_a_select_column),
		TEST(test_analyze_table_becomes_scan_in_subquery_alias),
		TEST(test_analyze_three_part_name_and_alias),
		TEST(test_analyze_unknown_table_suggests_nearest),
		TEST(test_analyze_single_name_without_cte_is_unknown_table),
		TEST(test_analyze_table_without_schema_is_refused),
		TEST(test_analyze_inlines_cte_with_its_name_as_qualifier),
		TEST(test_analyze_unknown_column_suggests_nearest_with_place),
		TEST(test_analyze_unknown_column_far_from_any_has_no_suggestion),
		TEST(test_analyze_ambiguous_column_names_both_relations),
		TEST(test_analyze_columns_match_case_insensitively),
		TEST(test_analyze_qualified_star_expands_one_side),
		TEST(test_analyze_bigint_plus_double_promotes_to_double),
		TEST(test_analyze_string_literal_compares_as_date),
		TEST(test_analyze_null_literal_takes_other_side_type),
		TEST(test_analyze_date_compared_with_boolean_is_a_type_error),
		TEST(test_analyze_where_must_be_boolean),
		TEST(test_analyze_unknown_function_suggests_nearest),
		TEST(test_analyze_function_gets_its_result_type),
		TEST(test_analyze_function_with_wrong_argument_count),
		TEST(test_analyze_group_by_types_aggregates),
		TEST(test_analyze_ungrouped_column_is_an_error),
		TEST(test_analyze_aggregate_in_select_without_group_by_makes_aggregate),
		TEST(test_analyze_aggregate_in_where_is_an_error),
		TEST(test_analyze_having_adds_hidden_aggregate_and_projects_it_away),
		TEST(test_analyze_order_by_select_alias),
		TEST(test_analyze_order_by_unselected_column_is_hidden),
		TEST(test_analyze_join_splits_equi_keys_and_residual),
		TEST(test_analyze_join_without_equality_keeps_its_condition_as_residual),
		TEST(test_analyze_cross_join_has_no_keys_and_no_condition),
		TEST(test_analyze_semi_and_anti_joins_output_only_the_left_side),
		TEST(test_analyze_outer_joins_make_the_missing_side_nullable),
		TEST(test_analyze_right_side_of_a_semi_join_is_not_visible_above_it),
		TEST(test_analyze_insert_casts_to_target_types),
		TEST(test_analyze_insert_with_static_partition_needs_data_columns_only),
		TEST(test_analyze_insert_column_count_mismatch),
		TEST(test_analyze_insert_refuses_unsafe_cast),
		TEST(test_analyze_insert_unknown_partition_column),
		TEST(test_analyze_create_table_as_puts_partition_columns_last),
		TEST(test_analyze_create_existing_table_is_an_error),
		TEST(test_analyze_drop_missing_table_unless_if_exists),
		TEST(test_analyze_show_partitions_of_unpartitioned_table),
		TEST(test_analyze_sql_errors_name_line_and_column),
		TEST(test_analyze_sql_order_by_alias_and_group_by_position),
		TEST(test_analyze_subquery_marks_correlated_references),
		TEST(test_analyze_scalar_subquery_has_its_column_type),
		TEST(test_analyze_scalar_subquery_must_return_one_column),
		TEST(test_analyze_in_subquery_coerces_to_a_common_type),
		TEST(test_analyze_subquery_errors_name_their_place),
		TEST(test_analyze_outer_column_beside_aggregate_is_allowed),
		TEST(test_analyze_plan_text_shows_subquery_plans),
		TEST(test_analyze_cte_with_subquery_named_twice),
		TEST(test_analyze_decimal_literals_are_typed_as_spark_types_them),
		TEST(test_analyze_decimal_arithmetic_result_types),
		TEST(test_analyze_decimal_comparisons_meet_at_the_wider_decimal),
		TEST(test_analyze_decimal_aggregates_and_functions),
		TEST(test_analyze_decimal_type_errors),
		cmocka_unit_test_setup_teardown(test_analyze_hidden_table_answers_as_missing_byte_for_byte,
						setup_hidden, teardown),
		cmocka_unit_test_setup_teardown(test_analyze_did_you_mean_offers_only_visible_tables,
						setup_hidden, teardown),
		cmocka_unit_test_setup_teardown(test_analyze_column_error_only_after_select_check,
						setup_hidden, teardown),
#define VTEST(t) cmocka_unit_test_setup_teardown(t, setup_views, teardown_views)
		VTEST(test_analyze_date_plus_interval_becomes_date_functions),
		VTEST(test_analyze_interval_types),
		VTEST(test_analyze_interval_outside_date_arithmetic_is_refused),
		VTEST(test_analyze_date_plus_interval_folds_to_a_partition_filter_literal),
		VTEST(test_analyze_extract_is_a_bigint_of_a_date),
		VTEST(test_analyze_derived_table_column_aliases_rename_and_survive_optimization),
		VTEST(test_analyze_cte_column_aliases),
		VTEST(test_analyze_temporary_view_lives_until_dropped),
		VTEST(test_analyze_persistent_view_expands_its_text),
		VTEST(test_analyze_persistent_view_reads_no_temporary_view),
		VTEST(test_analyze_view_errors_name_the_view),
		VTEST(test_analyze_database_drop_takes_its_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
