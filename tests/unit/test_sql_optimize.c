/*
 * test_sql_optimize.c - the optimizer's rules, one behaviour each, on plans
 * analyzed against a metastore in a temporary directory, and partition
 * pruning over a table with a partition per day of 2023.
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

static const int month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* sales.orders partitioned by dt: one partition per day of 2023, the
 * partition of day N (1..365) holding one file of N bytes and 10 rows. */
static void make_days(store_env *env, uint64_t table_id)
{
	store_txn *txn = NULL;
	int day = 0;

	assert_int_equal(store_write_begin(env, &txn), 0);
	for (int m = 0; m < 12; m++) {
		for (int d = 1; d <= month_days[m]; d++) {
			char value[32];
			store_pnode pn;
			store_file file = { 0 };

			day++;
			snprintf(value, sizeof value, "2023-%02d-%02d", m + 1, d);
			assert_int_equal(store_pnode_create(txn, table_id, 0, value, 0, 0,
							    STORE_ORIGIN_TOOL, &pn), 0);
			file.pnode_id = pn.id;
			snprintf(file.name, sizeof file.name, "part-0.csv");
			file.bytes = (uint64_t)day;
			file.rows = 10;
			assert_int_equal(store_file_put(txn, &file, STORE_ORIGIN_TOOL), 0);
		}
	}
	assert_int_equal(store_commit(txn), 0);
}

static int setup(void **state)
{
	struct fixture *f = catalog_fixture_open();

	if (f == NULL)
		return -1;
	make_days(f->env, make_table(f->env, "sales", "orders", catalog_fixture_orders, 5, 1));
	make_table(f->env, "sales", "customers", catalog_fixture_customers, 4, 0);
	*state = f;
	return 0;
}

/* Analyze and optimize Q; returns the optimized plan. */
static sql_plan *optimize(struct fixture *f, sql_plan *q)
{
	sql_stmt *st = select_stmt(q);
	char buf[600];

	if (sql_analyze(f->a, &f->cat, st, &f->err) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("analyze: %s", buf);
	}
	if (sql_optimize(f->a, &f->cat, &st->query, &f->log, &f->err) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("optimize: %s", buf);
	}
	return st->query;
}

static bool fired(const struct fixture *f, const char *rule)
{
	for (uint32_t i = 0; i < f->log.n; i++)
		if (strcmp(f->log.names[i], rule) == 0)
			return true;
	return false;
}

static sql_plan *find(sql_plan *p, sql_plan_kind kind)
{
	sql_plan *x;

	if (p == NULL)
		return NULL;
	if (p->kind == kind)
		return p;
	x = find(p->child[0], kind);
	return x ? x : find(p->child[1], kind);
}

static char *text(const sql_expr *e)
{
	textbuf tb = TEXTBUF_INIT;
	char *s;

	sql_expr_print(e, true, &tb);
	s = sql_arena_strdup(A, tb.data ? tb.data : "");
	textbuf_free(&tb);
	return s;
}

static sql_expr *lit_date(const char *s)
{
	sql_expr *e = lit_str(s);
	sql_expr *c = sql_expr_new(A, SQL_EXPR_CAST, 1, 1);

	c->cast_type = SQL_TYPE_DATE;
	return nargs(c, 1, e);
}

static sql_expr *in_list(sql_expr *x, uint32_t n, ...)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_IN, 1, 1);
	va_list ap;

	e->args = sql_arena_alloc(A, (n + 2) * sizeof *e->args);
	e->args[0] = x;
	va_start(ap, n);
	for (uint32_t i = 0; i < n; i++)
		e->args[i + 1] = va_arg(ap, sql_expr *);
	va_end(ap);
	e->nargs = n + 1;
	return e;
}

static sql_expr *between(sql_expr *x, sql_expr *lo, sql_expr *hi)
{
	return nargs(sql_expr_new(A, SQL_EXPR_BETWEEN, 1, 1), 3, x, lo, hi);
}

/* ---- rules ------------------------------------------------------------------------------------ */

static void test_optimize_constant_folding_evaluates_literal_expressions(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT, rel("sales", "customers"), 2, col("name"),
				       as(bin(SQL_OP_MUL, bin(SQL_OP_ADD, lit_int(1), lit_int(2)),
					      lit_int(4)), "x")));

	assert_true(fired(f, "ConstantFolding"));
	assert_int_equal(p->exprs[1]->kind, SQL_EXPR_ALIAS);
	assert_int_equal(p->exprs[1]->args[0]->kind, SQL_EXPR_LITERAL);
	assert_int_equal(p->exprs[1]->args[0]->value.u.i, 12);
	assert_string_equal(p->output[1].name, "x");
}

static void test_optimize_boolean_simplification_drops_true_conjunct(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT,
			   filter(rel("sales", "customers"),
				  bin(SQL_OP_AND, bin(SQL_OP_EQ, col("region"), lit_str("eu")),
				      bin(SQL_OP_EQ, lit_int(1), lit_int(1)))),
			   1, col("name"));
	sql_plan *scan = find(optimize(f, q), SQL_PLAN_SCAN);

	assert_true(fired(f, "BooleanSimplification"));
	assert_string_equal(text(scan->scan->data_filter), "(region#3 = eu)");
}

static void test_optimize_combine_filters_joins_conditions_with_and(void **state)
{
	struct fixture *f = F(state);
	sql_plan *q = list(SQL_PLAN_PROJECT,
			   filter(filter(rel("sales", "customers"), bin(SQL_OP_EQ, col("region"),
									  lit_str("eu"))),
				  col("active")),
			   1, col("name"));
	sql_plan *p = optimize(f, q);
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	assert_true(fired(f, "CombineFilters"));
	assert_null(find(p, SQL_PLAN_FILTER));
	assert_string_equal(text(scan->scan->data_filter), "((region#3 = eu) AND active#4)");
}

static void test_optimize_pushes_filter_through_project_into_scan(void **state)
{
	struct fixture *f = F(state);
	/* SELECT * FROM (SELECT id, qty * 2 AS q2 FROM sales.orders) s WHERE q2 > 10 */
	sql_plan *inner = aliased(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 2, col("id"),
				       as(bin(SQL_OP_MUL, col("qty"), lit_int(2)), "q2")), "s");
	sql_plan *q = list(SQL_PLAN_PROJECT, filter(inner, bin(SQL_OP_GT, col("q2"), lit_int(10))),
			   1, star(NULL));
	sql_plan *p = optimize(f, q);
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	assert_true(fired(f, "PushDownPredicates"));
	assert_null(find(p, SQL_PLAN_FILTER));
	assert_string_equal(text(scan->scan->data_filter), "((qty#4 * 2) > 10)");
	assert_null(scan->scan->partition_filter);
}

static void test_optimize_pushes_grouping_key_filter_below_aggregate(void **state)
{
	struct fixture *f = F(state);
	sql_plan *g = group_by(list(SQL_PLAN_AGGREGATE, rel("sales", "customers"), 2, col("region"),
				    as(agg(SQL_AGG_COUNT, "count", NULL), "n")),
			       1, col("region"));
	sql_plan *h = filter(g, bin(SQL_OP_AND, bin(SQL_OP_EQ, col("region"), lit_str("eu")),
				    bin(SQL_OP_GT, col("n"), lit_int(1))));
	sql_plan *p = optimize(f, h);
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	/* the key's conjunct reaches the scan, the count's stays above the aggregate */
	assert_int_equal(p->kind, SQL_PLAN_FILTER);
	assert_string_equal(text(p->cond), "(n#5 > 1)");
	assert_int_equal(p->child[0]->kind, SQL_PLAN_AGGREGATE);
	assert_string_equal(text(scan->scan->data_filter), "(region#3 = eu)");
}

static void test_optimize_pushes_filter_through_sorted_subquery(void **state)
{
	struct fixture *f = F(state);
	sql_plan *inner = aliased(sort1(list(SQL_PLAN_PROJECT, rel("sales", "customers"), 1,
					     col("region")), col("region"), false), "s");
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT,
				       filter(inner, bin(SQL_OP_EQ, col("region"), lit_str("eu"))), 1,
				       star(NULL)));
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	assert_null(find(p, SQL_PLAN_FILTER));
	assert_non_null(find(p, SQL_PLAN_SORT));
	assert_string_equal(text(scan->scan->data_filter), "(region#3 = eu)");
	assert_int_equal(scan->scan->nout, 1);
}

static sql_plan *orders_join_customers(sql_join_type type, sql_expr *where)
{
	sql_plan *j = join(type, aliased(rel("sales", "orders"), "o"),
			   aliased(rel("sales", "customers"), "c"),
			   bin(SQL_OP_EQ, qcol("o", "id"), qcol("c", "id")));

	return list(SQL_PLAN_PROJECT, filter(j, where), 2, qcol("c", "name"), qcol("o", "amount"));
}

static void test_optimize_pushes_one_sided_conjuncts_into_inner_join_sides(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = bin(SQL_OP_AND, bin(SQL_OP_GT, qcol("o", "qty"), lit_int(5)),
			      qcol("c", "active"));
	sql_plan *p = optimize(f, orders_join_customers(SQL_JOIN_INNER, where));
	sql_plan *j = find(p, SQL_PLAN_JOIN);

	assert_null(find(p, SQL_PLAN_FILTER));
	assert_int_equal(j->child[0]->kind, SQL_PLAN_SCAN);
	assert_int_equal(j->child[1]->kind, SQL_PLAN_SCAN);
	assert_string_equal(text(j->child[0]->scan->data_filter), "(qty#4 > 5)");
	assert_string_equal(text(j->child[1]->scan->data_filter), "active#9");
	/* keys still find their columns after pruning */
	assert_int_equal(j->lkeys[0]->ordinal, 0);
	assert_int_equal(j->rkeys[0]->ordinal, 0);
}

static void test_optimize_left_join_keeps_right_side_filter_above(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = bin(SQL_OP_AND, bin(SQL_OP_GT, qcol("o", "qty"), lit_int(5)),
			      qcol("c", "active"));
	sql_plan *p = optimize(f, orders_join_customers(SQL_JOIN_LEFT, where));
	sql_plan *j = find(p, SQL_PLAN_JOIN);
	sql_plan *above = find(p, SQL_PLAN_FILTER);

	assert_non_null(above);
	assert_string_equal(text(above->cond), "active#9");
	assert_ptr_equal(above->child[0], j);
	assert_string_equal(text(j->child[0]->scan->data_filter), "(qty#4 > 5)");
	assert_null(j->child[1]->scan->data_filter);
}

static void test_optimize_column_pruning_narrows_scan_and_fixes_ordinals(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT, rel("sales", "orders"), 2, col("qty"),
				       col("region")));
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	assert_true(fired(f, "ColumnPruning"));
	assert_int_equal(scan->scan->nout, 2);
	assert_int_equal(scan->scan->columns[0], 1);   /* region */
	assert_int_equal(scan->scan->columns[1], 3);   /* qty */
	assert_int_equal(p->exprs[0]->ordinal, 1);
	assert_int_equal(p->exprs[1]->ordinal, 0);
}

static void test_optimize_count_star_reads_only_a_partition_key(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT, rel("sales", "orders"), 1,
				       agg(SQL_AGG_COUNT, "count", NULL)));
	sql_plan *scan = find(p, SQL_PLAN_SCAN);

	assert_int_equal(scan->scan->nout, 1);
	assert_int_equal(scan->scan->columns[0], 4);
}

static void test_optimize_collapse_project_merges_adjacent_projects(void **state)
{
	struct fixture *f = F(state);
	sql_plan *inner = aliased(list(SQL_PLAN_PROJECT, rel("sales", "orders"), 2,
				       as(bin(SQL_OP_MUL, col("qty"), lit_int(2)), "q2"), col("id")), "s");
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT, inner, 1,
				       as(bin(SQL_OP_ADD, col("q2"), lit_int(1)), "q3")));

	assert_true(fired(f, "CollapseProject"));
	assert_int_equal(p->kind, SQL_PLAN_PROJECT);
	assert_int_equal(p->child[0]->kind, SQL_PLAN_SCAN);
	assert_string_equal(text(p->exprs[0]), "((qty#4 * 2) + 1) AS q3#7");
	assert_int_equal(p->exprs[0]->args[0]->args[0]->args[0]->ordinal, 0);
}

static void test_optimize_prune_filters_removes_where_true(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT, filter(rel("sales", "customers"),
								lit_bool(true)), 1, col("name")));

	assert_true(fired(f, "PruneFilters"));
	assert_null(find(p, SQL_PLAN_FILTER));
	assert_null(find(p, SQL_PLAN_SCAN)->scan->data_filter);
}

static void test_optimize_prune_filters_where_false_gives_empty_relation(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT,
				       filter(rel("sales", "customers"),
					      bin(SQL_OP_EQ, lit_int(1), lit_int(2))), 1, col("name")));
	sql_plan *v = find(p, SQL_PLAN_VALUES);

	assert_true(fired(f, "PruneFilters"));
	assert_null(find(p, SQL_PLAN_SCAN));
	assert_non_null(v);
	assert_int_equal(v->nrows, 0);
	assert_int_equal(p->noutput, 1);
	assert_string_equal(p->output[0].name, "name");
}

static void test_optimize_prune_filters_where_null_gives_empty_relation(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, list(SQL_PLAN_PROJECT,
				       filter(rel("sales", "customers"),
					      bin(SQL_OP_EQ, col("region"), lit_null())), 1,
				       col("name")));

	/* region = NULL folds to NULL only through the column: it stays a data filter */
	assert_non_null(find(p, SQL_PLAN_SCAN));
	p = optimize(f, list(SQL_PLAN_PROJECT, filter(rel("sales", "customers"), lit_null()), 1,
			     col("name")));
	assert_null(find(p, SQL_PLAN_SCAN));
	assert_int_equal(find(p, SQL_PLAN_VALUES)->nrows, 0);
}

/* ---- partition pruning ------------------------------------------------------------------------ */

static sql_plan *orders_where(sql_expr *where)
{
	return list(SQL_PLAN_PROJECT, filter(rel("sales", "orders"), where), 2, col("id"),
		    col("amount"));
}

static void test_partition_pruning_counts_a_month_of_365_partitions(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize(f, orders_where(between(col("dt"), lit_str("2023-03-01"),
						       lit_str("2023-03-31"))));
	sql_scan *s = find(p, SQL_PLAN_SCAN)->scan;
	uint64_t bytes = 0;

	for (int day = 60; day <= 90; day++)   /* March 1 is day 60 of 2023 */
		bytes += (uint64_t)day;
	assert_true(fired(f, "PartitionPruning"));
	assert_int_equal(s->partitions_total, 365);
	assert_int_equal(s->partitions_selected, 31);
	assert_int_equal(s->bytes_selected, bytes);
	assert_int_equal(s->rows_selected, 310);
	assert_int_equal(s->nranges, 1);
	assert_string_equal(s->ranges[0].lo, "2023-03-01");
	assert_string_equal(s->ranges[0].hi, "2023-03-31");
	assert_false(s->ranges[0].lo_open);
	assert_false(s->ranges[0].hi_open);
	assert_null(s->data_filter);
	assert_non_null(s->partition_filter);
}

static void test_partition_pruning_open_bounds_and_data_filter_split(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = bin(SQL_OP_AND,
			      bin(SQL_OP_AND, bin(SQL_OP_GT, col("dt"), lit_date("2023-12-01")),
				  bin(SQL_OP_LT, col("dt"), lit_date("2023-12-25"))),
			      bin(SQL_OP_EQ, col("region"), lit_str("eu")));
	sql_scan *s = find(optimize(f, orders_where(where)), SQL_PLAN_SCAN)->scan;

	assert_int_equal(s->partitions_selected, 23);   /* Dec 2 .. Dec 24 */
	assert_int_equal(s->nranges, 1);
	assert_true(s->ranges[0].lo_open);
	assert_true(s->ranges[0].hi_open);
	assert_string_equal(text(s->data_filter), "(region#2 = eu)");
}

static void test_partition_pruning_in_list_gives_point_ranges(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = in_list(col("dt"), 4, lit_str("2023-07-04"), lit_str("2023-01-01"),
				  lit_str("2023-07-04"), lit_str("2024-01-01"));
	sql_scan *s = find(optimize(f, orders_where(where)), SQL_PLAN_SCAN)->scan;

	assert_int_equal(s->partitions_selected, 2);
	assert_int_equal(s->nranges, 3);
	assert_string_equal(s->ranges[0].lo, "2023-01-01");
	assert_string_equal(s->ranges[0].hi, "2023-01-01");
	assert_string_equal(s->ranges[1].lo, "2023-07-04");
	assert_string_equal(s->ranges[2].lo, "2024-01-01");
}

static void test_partition_pruning_function_of_key_filters_without_ranges(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = bin(SQL_OP_EQ, nargs(func_at("month", 1, 1), 1, col("dt")), lit_int(2));
	sql_scan *s = find(optimize(f, orders_where(where)), SQL_PLAN_SCAN)->scan;

	assert_int_equal(s->partitions_selected, 28);
	assert_int_equal(s->nranges, 0);
	assert_int_equal(s->rows_selected, 280);
}

static void test_partition_pruning_contradiction_selects_nothing(void **state)
{
	struct fixture *f = F(state);
	sql_expr *where = bin(SQL_OP_AND, bin(SQL_OP_EQ, col("dt"), lit_str("2023-02-01")),
			      bin(SQL_OP_EQ, col("dt"), lit_str("2023-02-02")));
	sql_scan *s = find(optimize(f, orders_where(where)), SQL_PLAN_SCAN)->scan;

	assert_int_equal(s->partitions_selected, 0);
	assert_int_equal(s->bytes_selected, 0);
	assert_int_equal(s->nranges, 1);
}

/* ---- joins and outer joins ------------------------------------------------------------------------ */

/* Parse, analyze and optimize the one query in SQL. */
static sql_plan *optimize_sql(struct fixture *f, const char *sql)
{
	sql_script sc;
	char buf[600];

	if (sql_parse(f->a, sql, strlen(sql), &sc, &f->err) != 0 ||
	    sql_analyze(f->a, &f->cat, sc.stmts[0], &f->err) != 0 ||
	    sql_optimize(f->a, &f->cat, &sc.stmts[0]->query, &f->log, &f->err) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("%s: %s", sql, buf);
	}
	return sc.stmts[0]->query;
}

/* The filters pushed into the scan of TABLE under P, as text ("" for none). */
static const char *pushed(sql_plan *p, const char *table)
{
	if (p == NULL)
		return NULL;
	if (p->kind == SQL_PLAN_SCAN && strcmp(p->scan->table, table) == 0)
		return p->scan->data_filter ? text(p->scan->data_filter) : "";
	const char *x = pushed(p->child[0], table);
	return x ? x : pushed(p->child[1], table);
}

#define OC_JOIN "SELECT o.id FROM sales.orders o %s JOIN sales.customers c ON o.id = c.id"

static sql_plan *outer_join_where(struct fixture *f, const char *type, const char *rest)
{
	char sql[512];

	snprintf(sql, sizeof sql, OC_JOIN " %s", type, rest);
	return optimize_sql(f, sql);
}

static void test_optimize_where_filters_only_the_preserved_side_of_an_outer_join(void **state)
{
	struct fixture *f = F(state);
	const char *where = "WHERE o.qty > 5 AND c.active";
	sql_plan *p;

	p = outer_join_where(f, "LEFT", where);
	assert_string_equal(pushed(p, "orders"), "(qty#4 > 5)");
	assert_string_equal(pushed(p, "customers"), "");
	assert_string_equal(text(find(p, SQL_PLAN_FILTER)->cond), "active#9");
	p = outer_join_where(f, "RIGHT", where);
	assert_string_equal(pushed(p, "orders"), "");
	assert_string_equal(pushed(p, "customers"), "active#9");
	assert_string_equal(text(find(p, SQL_PLAN_FILTER)->cond), "(qty#4 > 5)");
	p = outer_join_where(f, "FULL", where);
	assert_string_equal(pushed(p, "orders"), "");
	assert_string_equal(pushed(p, "customers"), "");
	assert_string_equal(text(find(p, SQL_PLAN_FILTER)->cond), "((qty#4 > 5) AND active#9)");
}

static void test_optimize_on_filters_only_the_side_an_outer_join_does_not_preserve(void **state)
{
	struct fixture *f = F(state);
	const char *on = "AND o.qty > 5 AND c.active";
	sql_plan *p;

	p = outer_join_where(f, "LEFT", on);
	assert_string_equal(pushed(p, "orders"), "");
	assert_string_equal(pushed(p, "customers"), "active#9");
	assert_string_equal(text(find(p, SQL_PLAN_JOIN)->cond), "(qty#4 > 5)");
	p = outer_join_where(f, "RIGHT", on);
	assert_string_equal(pushed(p, "orders"), "(qty#4 > 5)");
	assert_string_equal(pushed(p, "customers"), "");
	assert_string_equal(text(find(p, SQL_PLAN_JOIN)->cond), "active#9");
	p = outer_join_where(f, "FULL", on);
	assert_string_equal(pushed(p, "orders"), "");
	assert_string_equal(pushed(p, "customers"), "");
	assert_string_equal(text(find(p, SQL_PLAN_JOIN)->cond), "((qty#4 > 5) AND active#9)");
}

static void test_optimize_semi_join_filters_both_sides_anti_join_only_the_right(void **state)
{
	struct fixture *f = F(state);
	const char *on = "AND o.qty > 5 AND c.active WHERE o.amount > 1";
	sql_plan *p;

	p = outer_join_where(f, "LEFT SEMI", on);
	assert_string_equal(pushed(p, "orders"), "((amount#3 > 1.0) AND (qty#4 > 5))");
	assert_string_equal(pushed(p, "customers"), "active#9");
	assert_null(find(p, SQL_PLAN_JOIN)->cond);
	/* A left row failing the ON condition has no match, so it is output. */
	p = outer_join_where(f, "LEFT ANTI", on);
	assert_string_equal(pushed(p, "orders"), "(amount#3 > 1.0)");
	assert_string_equal(pushed(p, "customers"), "active#9");
	assert_string_equal(text(find(p, SQL_PLAN_JOIN)->cond), "(qty#4 > 5)");
}

/* An unpartitioned table db.NAME of COLS whose one file holds ROWS rows. */
static void make_sized_table(struct fixture *f, const char *name, const char *cols, uint64_t rows)
{
	store_column c[16];
	uint32_t n = fx_columns(cols, c);
	uint64_t id = make_table(f->env, "h", name, c, n, 0);
	store_txn *txn = NULL;
	store_file file = { .pnode_id = id, .rows = rows, .bytes = rows * 100 };

	snprintf(file.name, sizeof file.name, "part-0.csv");
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_file_put(txn, &file, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
}

static void test_optimize_comma_join_is_reordered_so_every_join_has_keys(void **state)
{
	struct fixture *f = F(state);
	static const sql_limits limits = { .threads = 1 };
	sql_plan *p;
	textbuf tb = TEXTBUF_INIT;

	make_sized_table(f, "part", "p_partkey:bigint,p_name:string", 2000);
	make_sized_table(f, "supplier", "s_suppkey:bigint,s_nationkey:bigint", 100);
	make_sized_table(f, "lineitem", "l_partkey:bigint,l_suppkey:bigint,l_qty:double", 60000);
	make_sized_table(f, "nation", "n_nationkey:bigint,n_name:string", 25);
	/* TPC-H Q8's order: part and supplier share no predicate. */
	p = optimize_sql(f, "SELECT n_name, sum(l_qty) AS q FROM h.part, h.supplier, h.lineitem, "
			 "h.nation WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey "
			 "AND s_nationkey = n_nationkey AND p_name LIKE '%green%' GROUP BY n_name");
	assert_true(fired(f, "ReorderJoin"));
	assert_int_equal(sql_plan_physical(f->a, &limits, p, &f->err), 0);
	sql_plan_print(p, true, true, &tb);
	/* In the order written, skipping supplier until an equality reaches
	 * it: part, lineitem, supplier, nation.  The first join builds part
	 * (1000 rows after its filter) and streams lineitem (60000); the
	 * others build the new relation, smaller than what is joined. */
	assert_string_equal(strstr(tb.data, "HashJoin"),
		"HashJoin [s_nationkey#4], [n_nationkey#8], Inner, BuildRight, threads=1, memory=4.0 MiB, parallelism=1\n"
		"      :- *(4) HashJoin [l_suppkey#6], [s_suppkey#3], Inner, BuildRight, threads=1, memory=4.0 MiB, parallelism=1\n"
		"      :  :- *(1) HashJoin [l_partkey#5], [p_partkey#1], Inner, BuildRight, threads=1, memory=4.0 MiB, parallelism=1\n"
		"      :  :  :- *(1) FileScan csv hive.h.lineitem[l_partkey#5,l_suppkey#6,l_qty#7] PartitionFilters: [], PushedFilters: [], partitions: 0 of 0, threads=1, parallelism=1\n"
		"      :  :  +- *(2) FileScan csv hive.h.part[p_partkey#1,p_name#2] PartitionFilters: [], PushedFilters: [p_name#2 LIKE %green%], partitions: 0 of 0, threads=1, parallelism=1\n"
		"      :  +- *(3) FileScan csv hive.h.supplier[s_suppkey#3,s_nationkey#4] PartitionFilters: [], PushedFilters: [], partitions: 0 of 0, threads=1, parallelism=1\n"
		"      +- *(5) FileScan csv hive.h.nation[n_nationkey#8,n_name#9] PartitionFilters: [], PushedFilters: [], partitions: 0 of 0, threads=1, parallelism=1\n");
	textbuf_free(&tb);
}

static void test_optimize_relations_no_equality_reaches_join_last_without_keys(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p, *top;

	make_sized_table(f, "a", "x:bigint", 10);
	make_sized_table(f, "b", "y:bigint", 1000);
	make_sized_table(f, "c", "z:bigint", 100);
	p = optimize_sql(f, "SELECT x, y, z FROM h.a, h.b, h.c WHERE x = y AND z < y + x");
	top = find(p, SQL_PLAN_JOIN);
	/* (b JOIN a ON y = x) JOIN c ON nothing, with the rest as residual. */
	assert_int_equal(top->nkeys, 0);
	assert_string_equal(text(top->cond), "(z#3 < (y#2 + x#1))");
	assert_string_equal(top->child[1]->scan->table, "c");
	assert_int_equal(top->child[0]->nkeys, 1);
	assert_string_equal(top->child[0]->child[0]->scan->table, "b");
	assert_string_equal(text(top->child[0]->lkeys[0]), "y#2");
	assert_string_equal(text(top->child[0]->rkeys[0]), "x#1");
	/* The columns keep the order the query wrote. */
	assert_string_equal(p->output[0].name, "x");
	assert_string_equal(p->output[2].name, "z");
}

static void test_optimize_outer_join_builds_its_smaller_side(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p, *j;

	make_sized_table(f, "small", "x:bigint,s:string", 10);
	make_sized_table(f, "big", "y:bigint,b:string", 5000);
	/* small LEFT JOIN big runs as big RIGHT JOIN small: big is probed. */
	p = optimize_sql(f, "SELECT * FROM h.small LEFT JOIN h.big ON x = y AND b <> s");
	assert_true(fired(f, "JoinBuildSide"));
	j = find(p, SQL_PLAN_JOIN);
	assert_int_equal(j->join_type, SQL_JOIN_RIGHT);
	assert_string_equal(j->child[0]->scan->table, "big");
	assert_string_equal(text(j->lkeys[0]), "y#3");
	assert_string_equal(text(j->rkeys[0]), "x#1");
	/* The residual reads big's row, then small's. */
	assert_int_equal(j->cond->args[0]->ordinal, 1);
	assert_int_equal(j->cond->args[1]->ordinal, 3);
	assert_int_equal(p->kind, SQL_PLAN_PROJECT);
	assert_string_equal(p->output[0].name, "x");
	assert_string_equal(p->output[3].name, "b");
	/* A FULL join stays FULL; a semi join keeps its sides. */
	p = optimize_sql(f, "SELECT * FROM h.small FULL JOIN h.big ON x = y");
	j = find(p, SQL_PLAN_JOIN);
	assert_int_equal(j->join_type, SQL_JOIN_FULL);
	assert_string_equal(j->child[0]->scan->table, "big");
	p = optimize_sql(f, "SELECT * FROM h.small LEFT SEMI JOIN h.big ON x = y");
	j = find(p, SQL_PLAN_JOIN);
	assert_string_equal(j->child[0]->scan->table, "small");
}

static void test_join_budget_counts_the_build_rows_columns_and_bytes(void **state)
{
	struct fixture *f = F(state);
	static const sql_limits limits = { .threads = 1 };
	sql_plan *p, *j;

	make_sized_table(f, "fact", "k:bigint,v:double", 4000000);
	/* One million rows of 100 bytes in their file, two columns. */
	make_sized_table(f, "dim", "k:bigint,name:string", 1000000);
	p = optimize_sql(f, "SELECT v, name FROM h.fact f JOIN h.dim d ON f.k = d.k");
	assert_int_equal(sql_plan_physical(f->a, &limits, p, &f->err), 0);
	j = find(p, SQL_PLAN_JOIN);
	assert_string_equal(j->child[1]->scan->table, "dim");
	/* Per row: the flat 96 bytes, 2 columns + 1 key + 1 values, 100 bytes
	 * of file. */
	assert_int_equal(j->phys.memory_budget, UINT64_C(1000000) * (96 + 4 * sizeof(sql_value) + 100));
}

static void test_optimize_or_branches_share_their_join_key(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p, *j;

	/* TPC-H Q19's shape: the key repeated in every branch of an OR. */
	p = optimize_sql(f, "SELECT o.id FROM sales.orders o, sales.customers c "
			 "WHERE (o.id = c.id AND o.qty > 5 AND c.active) "
			 "OR (o.id = c.id AND o.qty < 2) OR (o.qty = 3 AND o.id = c.id)");
	assert_true(fired(f, "BooleanSimplification"));
	j = find(p, SQL_PLAN_JOIN);
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(text(j->lkeys[0]), "id#1");
	assert_string_equal(text(j->rkeys[0]), "id#6");
	assert_string_equal(text(j->cond),
			    "((((qty#4 > 5) AND active#9) OR (qty#4 < 2)) OR (qty#4 = 3))");
	/* A branch that is only the common part absorbs the others. */
	p = optimize_sql(f, "SELECT o.id FROM sales.orders o, sales.customers c "
			 "WHERE o.id = c.id OR (o.id = c.id AND o.qty < 2)");
	j = find(p, SQL_PLAN_JOIN);
	assert_int_equal(j->nkeys, 1);
	assert_null(j->cond);
	assert_null(find(p, SQL_PLAN_FILTER));
}

/* ---- the whole optimized plan, as EXPLAIN prints it ------------------------------------------------- */

static void test_optimize_plan_text_for_a_pruned_aggregate(void **state)
{
	struct fixture *f = F(state);
	const char *sql = "SELECT region, count(*) AS n FROM (SELECT * FROM sales.orders) s\n"
			  "WHERE dt BETWEEN DATE '2023-03-01' AND DATE '2023-03-31' AND amount > 1\n"
			  "GROUP BY region HAVING count(*) > 1 ORDER BY n DESC";
	const char *want =
		"Sort [n#6 DESC NULLS LAST], true\n"
		"+- Filter (n#6 > 1)\n"
		"   +- Aggregate [region#2], [region#2, count(1) AS n#6]\n"
		"      +- Project [region#2]\n"
		"         +- Relation hive.sales.orders[region#2,amount#3,dt#5] csv, "
		"PartitionFilters: [(dt#5 BETWEEN 2023-03-01 AND 2023-03-31)], "
		"PushedFilters: [(amount#3 > 1.0)]\n";
	sql_script sc;
	textbuf tb = TEXTBUF_INIT;
	char buf[600];

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	if (sql_analyze(f->a, &f->cat, sc.stmts[0], &f->err) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("analyze: %s", buf);
	}
	assert_int_equal(sql_optimize(f->a, &f->cat, &sc.stmts[0]->query, &f->log, &f->err), 0);
	sql_plan_print(sc.stmts[0]->query, true, false, &tb);
	assert_string_equal(tb.data, want);
	textbuf_free(&tb);
	assert_int_equal(find(sc.stmts[0]->query, SQL_PLAN_SCAN)->scan->partitions_selected, 31);
}

/* ---- subqueries rewritten into joins ---------------------------------------------------------- */

/* Parse, analyze and optimize SQL; the optimized plan, or NULL with f->err
 * set when the optimizer refuses it. */
static sql_plan *optimize_text(struct fixture *f, const char *sql)
{
	sql_script sc;
	char buf[600];

	assert_int_equal(sql_parse(f->a, sql, strlen(sql), &sc, &f->err), 0);
	if (sql_analyze(f->a, &f->cat, sc.stmts[0], &f->err) != 0) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("analyze: %s", buf);
	}
	if (sql_optimize(f->a, &f->cat, &sc.stmts[0]->query, &f->log, &f->err) != 0)
		return NULL;
	return sc.stmts[0]->query;
}

static sql_plan *optimize_ok(struct fixture *f, const char *sql)
{
	sql_plan *p = optimize_text(f, sql);
	char buf[600];

	if (p == NULL) {
		sql_error_format(&f->err, buf, sizeof buf);
		fail_msg("optimize: %s", buf);
	}
	return p;
}

/* The join of type T in P, or NULL. */
static sql_plan *find_join(sql_plan *p, sql_join_type t)
{
	sql_plan *x;

	if (p == NULL)
		return NULL;
	if (p->kind == SQL_PLAN_JOIN && p->join_type == t)
		return p;
	x = find_join(p->child[0], t);
	return x ? x : find_join(p->child[1], t);
}

/* No subquery expression is left anywhere in P. */
static bool no_subqueries(const sql_expr *e)
{
	if (e == NULL)
		return true;
	if (e->kind == SQL_EXPR_SCALAR_SUBQUERY || e->kind == SQL_EXPR_EXISTS ||
	    e->kind == SQL_EXPR_IN_SUBQUERY || e->subquery || e->outer)
		return false;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (!no_subqueries(e->args[i]))
			return false;
	return true;
}

static bool plan_clean(const sql_plan *p)
{
	if (p == NULL)
		return true;
	if (!no_subqueries(p->cond))
		return false;
	for (uint32_t i = 0; i < p->nexprs; i++)
		if (!no_subqueries(p->exprs[i]))
			return false;
	for (uint32_t i = 0; i < p->nkeys; i++)
		if (!no_subqueries(p->lkeys[i]) || !no_subqueries(p->rkeys[i]))
			return false;
	return plan_clean(p->child[0]) && plan_clean(p->child[1]);
}

static void test_subquery_exists_is_left_semi_join_on_correlated_keys(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT c.id FROM sales.customers c WHERE c.active AND EXISTS "
		"(SELECT * FROM sales.orders o WHERE o.region = c.region AND o.qty <> c.id "
		"AND o.amount > 10)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_SEMI);

	assert_true(fired(f, "RewritePredicateSubquery"));
	assert_non_null(j);
	assert_true(plan_clean(p));
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(j->lkeys[0]->name, "region");
	assert_string_equal(j->rkeys[0]->name, "region");
	/* keys read their own side's row, by ordinal */
	assert_int_equal(j->child[0]->output[j->lkeys[0]->ordinal].id, j->lkeys[0]->attr_id);
	assert_int_equal(j->child[1]->output[j->rkeys[0]->ordinal].id, j->rkeys[0]->attr_id);
	/* the non-equality correlated predicate is the residual, over both sides */
	assert_non_null(j->cond);
	assert_non_null(strstr(text(j->cond), "!="));
	assert_false(j->null_aware);
	/* the semi join outputs the left side only */
	assert_int_equal(j->noutput, j->child[0]->noutput);
	/* the uncorrelated conjunct stays in the subquery, pushed into its scan */
	assert_non_null(find(j->child[1], SQL_PLAN_SCAN)->scan->data_filter);
}

static void test_subquery_not_exists_is_left_anti_join(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.customers c WHERE NOT EXISTS "
		"(SELECT 1 FROM sales.orders o WHERE o.id = c.id)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_ANTI);

	assert_non_null(j);
	assert_null(find_join(p, SQL_JOIN_LEFT_SEMI));
	assert_int_equal(j->nkeys, 1);
	assert_null(j->cond);
	assert_false(j->null_aware);
	assert_true(plan_clean(p));
}

static void test_subquery_uncorrelated_exists_is_join_without_keys(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.customers WHERE EXISTS (SELECT id FROM sales.orders "
		"WHERE qty > 5)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_SEMI);

	assert_non_null(j);
	assert_int_equal(j->nkeys, 0);
	assert_null(j->cond);
}

static void test_subquery_in_is_left_semi_join_on_the_column(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers WHERE id IN (SELECT qty FROM sales.orders "
		"WHERE amount > 1)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_SEMI);

	assert_non_null(j);
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(j->lkeys[0]->name, "id");
	assert_string_equal(j->rkeys[0]->name, "qty");
	assert_false(j->null_aware);
	assert_true(plan_clean(p));
}

static void test_subquery_in_coerces_both_sides_to_a_common_type(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers WHERE id IN (SELECT amount FROM sales.orders)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_SEMI);

	assert_non_null(j);
	assert_int_equal(j->lkeys[0]->type, SQL_TYPE_DOUBLE);
	assert_int_equal(j->rkeys[0]->type, SQL_TYPE_DOUBLE);
}

/* NOT IN keeps a row only when it differs from every value of the
 * subquery: a NULL on either side makes x NOT IN (q) NULL, so the join
 * must be null-aware, not a plain anti join on x = y. */
static void test_subquery_not_in_is_null_aware_anti_join(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers WHERE id NOT IN (SELECT qty FROM sales.orders)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_ANTI);

	assert_non_null(j);
	assert_true(j->null_aware);
	assert_int_equal(j->nkeys, 1);
	assert_null(j->cond);
}

/* NOT (x IN (q)) is x NOT IN (q). */
static void test_subquery_not_of_in_is_not_in(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers WHERE NOT id IN (SELECT qty FROM sales.orders)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_ANTI);

	assert_non_null(j);
	assert_true(j->null_aware);
}

/* Correlated NOT IN: the row goes when some row of its own subquery equals
 * it or may equal it (x = y is NULL), Spark's rewrite. */
static void test_subquery_correlated_not_in_keeps_null_semantics_in_condition(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers c WHERE id NOT IN "
		"(SELECT qty FROM sales.orders o WHERE o.region = c.region)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_ANTI);

	assert_non_null(j);
	assert_false(j->null_aware);
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(j->lkeys[0]->name, "region");
	assert_non_null(j->cond);
	assert_non_null(strstr(text(j->cond), " OR "));
	assert_non_null(strstr(text(j->cond), "isnull((id#"));
}

/* The join a scalar subquery became: a LeftOuter join with the subquery's
 * result on the right, which the join rules may turn into a RightOuter join
 * with the sides swapped (or an Inner join under a filter that rejects
 * NULLs).  *SUB is the subquery's side, *SKEYS its keys, *OKEYS the other
 * side's. */
static sql_plan *scalar_join(sql_plan *p, sql_plan **sub, sql_expr ***skeys, sql_expr ***okeys)
{
	sql_plan *j = find_join(p, SQL_JOIN_LEFT);
	bool swapped = false;

	if (j == NULL) {
		j = find_join(p, SQL_JOIN_RIGHT);
		swapped = j != NULL;
	}
	if (j == NULL) {
		j = find_join(p, SQL_JOIN_INNER);
		swapped = j && find(j->child[0], SQL_PLAN_AGGREGATE) &&
			  !find(j->child[1], SQL_PLAN_AGGREGATE);
	}
	assert_non_null(j);
	*sub = j->child[swapped ? 0 : 1];
	*skeys = swapped ? j->lkeys : j->rkeys;
	*okeys = swapped ? j->rkeys : j->lkeys;
	return j;
}

static void test_subquery_uncorrelated_scalar_joins_its_one_row(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.orders WHERE amount > (SELECT avg(amount) FROM sales.orders)");
	sql_plan *sub, *j;
	sql_expr **skeys, **okeys;

	j = scalar_join(p, &sub, &skeys, &okeys);
	assert_true(fired(f, "RewriteCorrelatedScalarSubquery"));
	assert_int_equal(j->nkeys, 0);
	assert_null(j->cond);
	assert_int_equal(sub->kind, SQL_PLAN_AGGREGATE);
	assert_int_equal(sub->ngroups, 0);
	assert_true(plan_clean(p));
	/* the output is the query's, not the join's */
	assert_int_equal(p->noutput, 1);
	assert_string_equal(p->output[0].name, "id");
}

static void test_subquery_scalar_that_may_return_rows_is_checked_when_run(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_text(f, "SELECT id FROM sales.orders\n"
				       "WHERE amount > (SELECT amount FROM sales.orders WHERE id = 5)");
	sql_plan *j;
	textbuf tb = TEXTBUF_INIT;

	assert_non_null(p);
	j = find_join(p, SQL_JOIN_LEFT);
	assert_non_null(j);
	/* the subquery stays the build side, and the join its position */
	assert_true(j->one_row);
	assert_non_null(find(j->child[1], SQL_PLAN_SCAN));
	assert_int_equal(j->line, 2);
	assert_int_equal(j->col, 16);
	sql_plan_print(p, true, false, &tb);
	assert_non_null(strstr(tb.data, "Join LeftOuter, one row\n"));
	textbuf_free(&tb);
	/* a subquery estimated larger than the rows around it stays the
	 * right side, where the engine counts its rows */
	p = optimize_ok(f, "SELECT id FROM sales.orders WHERE id = 1 AND region = 'eu' AND "
			   "amount > (SELECT amount FROM sales.orders)");
	assert_null(find_join(p, SQL_JOIN_RIGHT));
	j = find_join(p, SQL_JOIN_LEFT);
	assert_non_null(j);
	assert_true(j->one_row);
}

static void test_subquery_scalar_proven_one_row_is_not_checked(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.orders WHERE amount > (SELECT avg(amount) FROM sales.orders)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT);

	assert_non_null(j);
	assert_false(j->one_row);
	/* correlated ones are aggregated per group: no check either */
	p = optimize_ok(f, "SELECT id FROM sales.customers c WHERE 1 < "
			   "(SELECT count(*) FROM sales.orders o WHERE o.region = c.region)");
	j = find_join(p, SQL_JOIN_LEFT);
	if (!j)
		j = find_join(p, SQL_JOIN_RIGHT);
	assert_non_null(j);
	assert_false(j->one_row);
}

static void test_subquery_scalar_with_limit_one_is_one_row(void **state)
{
	struct fixture *f = F(state);

	assert_non_null(optimize_text(f, "SELECT id FROM sales.orders WHERE amount > "
				      "(SELECT amount FROM sales.orders ORDER BY amount LIMIT 1)"));
}

/* Q17's shape: the aggregate is grouped by the correlation key and joined on it. */
static void test_subquery_correlated_scalar_aggregate_groups_by_correlation_key(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT c.name FROM sales.customers c WHERE c.id < "
		"(SELECT 0.2 * avg(o.qty) FROM sales.orders o WHERE o.region = c.region)");
	sql_plan *sub, *j, *agg;
	sql_expr **skeys, **okeys;

	j = scalar_join(p, &sub, &skeys, &okeys);
	assert_true(fired(f, "RewriteCorrelatedScalarSubquery"));
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(okeys[0]->name, "region");
	assert_string_equal(skeys[0]->name, "region");
	assert_int_not_equal(okeys[0]->attr_id, skeys[0]->attr_id);
	agg = find(sub, SQL_PLAN_AGGREGATE);
	assert_non_null(agg);
	assert_int_equal(agg->ngroups, 1);
	assert_string_equal(agg->groups[0]->name, "region");
	/* avg over no rows is NULL: no count-bug marker is needed */
	assert_null(strstr(text(agg->exprs[agg->nexprs - 1]), "alwaysTrue"));
	assert_true(plan_clean(p));
	assert_string_equal(p->output[0].name, "name");
	assert_int_equal(p->noutput, 1);
}

/* count(*) of a group that does not exist is 0, not NULL (Spark's count bug fix). */
static void test_subquery_correlated_count_gives_zero_for_no_rows(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT c.name FROM sales.customers c WHERE "
		"(SELECT count(*) FROM sales.orders o WHERE o.region = c.region) = 0");
	sql_plan *sub, *fl = find(p, SQL_PLAN_FILTER);
	sql_expr **skeys, **okeys;
	sql_plan *j = scalar_join(p, &sub, &skeys, &okeys);
	char *cond;

	/* the join keeps the rows without a group: it stays an outer join */
	assert_int_not_equal(j->join_type, SQL_JOIN_INNER);
	assert_non_null(fl);
	cond = text(fl->cond);
	assert_non_null(strstr(cond, "CASE WHEN isnull(alwaysTrue#"));
	assert_non_null(strstr(cond, ") THEN 0 ELSE count(1)#"));
}

static void test_subquery_correlated_scalar_must_be_aggregated(void **state)
{
	struct fixture *f = F(state);

	/* grouped by a correlated column: one row per outer row still */
	assert_non_null(optimize_text(f, "SELECT name FROM sales.customers c WHERE id = "
				      "(SELECT max(qty) FROM sales.orders o WHERE o.region = c.region "
				      "GROUP BY o.region)"));
	assert_null(optimize_text(f, "SELECT name FROM sales.customers c WHERE id = "
				     "(SELECT max(qty) FROM sales.orders o WHERE o.region = c.region "
				     "GROUP BY o.dt)"));
	assert_non_null(strstr(f->err.message, "may group only by its correlated columns"));

	assert_null(optimize_text(f, "SELECT name FROM sales.customers c WHERE id = "
				     "(SELECT qty FROM sales.orders o WHERE o.region = c.region)"));
	assert_non_null(strstr(f->err.message, "must be aggregated"));
}

static void test_subquery_scalar_in_select_list_and_having(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id, (SELECT max(amount) FROM sales.orders) AS top FROM sales.customers");
	sql_plan *sub;
	sql_expr **skeys, **okeys;

	scalar_join(p, &sub, &skeys, &okeys);
	assert_non_null(find(sub, SQL_PLAN_AGGREGATE));
	assert_true(plan_clean(p));
	assert_int_equal(p->noutput, 2);
	assert_string_equal(p->output[1].name, "top");

	p = optimize_ok(f,
		"SELECT region, sum(amount) AS s FROM sales.orders GROUP BY region "
		"HAVING sum(amount) > (SELECT sum(amount) * 0.1 FROM sales.orders)");
	scalar_join(p, &sub, &skeys, &okeys);
	assert_true(plan_clean(p));
	assert_int_equal(p->noutput, 2);
	assert_string_equal(p->output[1].name, "s");
}

static uint32_t count_joins(const sql_plan *p, sql_join_type t)
{
	if (p == NULL)
		return 0;
	return (p->kind == SQL_PLAN_JOIN && p->join_type == t) + count_joins(p->child[0], t) +
	       count_joins(p->child[1], t);
}

/* In an aggregate's select list a subquery is joined above the aggregate,
 * which computes what the subquery's value is combined with. */
static void test_subquery_scalar_in_aggregate_select_list(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT region, sum(amount) / (SELECT sum(amount) FROM sales.orders) AS share "
		"FROM sales.orders GROUP BY region");
	sql_plan *sub, *j;
	sql_expr **skeys, **okeys;

	assert_true(plan_clean(p));
	assert_int_equal(p->noutput, 2);
	assert_string_equal(p->output[0].name, "region");
	assert_string_equal(p->output[1].name, "share");
	j = scalar_join(p, &sub, &skeys, &okeys);
	assert_int_equal(j->nkeys, 0);
	/* the grouped aggregate is below the join, the subquery's beside it */
	assert_int_equal(find(sub, SQL_PLAN_AGGREGATE)->ngroups, 0);
	assert_int_equal(find(j->child[sub == j->child[0] ? 1 : 0], SQL_PLAN_AGGREGATE)->ngroups, 1);

	/* correlated on a grouping column: joined on it */
	p = optimize_ok(f,
		"SELECT c.region, count(*) AS n, (SELECT count(*) FROM sales.orders o "
		"WHERE o.region = c.region) AS orders FROM sales.customers c GROUP BY c.region");
	assert_true(plan_clean(p));
	assert_int_equal(p->noutput, 3);
	assert_string_equal(p->output[2].name, "orders");
	j = scalar_join(p, &sub, &skeys, &okeys);
	assert_int_equal(j->nkeys, 1);
	assert_string_equal(okeys[0]->name, "region");

	/* on anything else: refused */
	assert_null(optimize_text(f, "SELECT region, count(*) AS n, (SELECT max(qty) FROM "
				     "sales.orders o WHERE o.id = c.id) AS m FROM sales.customers c "
				     "GROUP BY region"));
	assert_non_null(strstr(f->err.message, "may only refer to its grouping columns"));
}

/* Subqueries inside subqueries (Q20's shape) rewrite from the inside out. */
static void test_subquery_nested_subqueries(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT name FROM sales.customers WHERE id IN (SELECT o.id FROM sales.orders o "
		"WHERE o.region IN (SELECT region FROM sales.customers WHERE active) AND "
		"o.qty > (SELECT 0.5 * sum(o2.qty) FROM sales.orders o2 WHERE o2.id = o.id))");

	assert_true(plan_clean(p));
	assert_int_equal(count_joins(p, SQL_JOIN_LEFT_SEMI), 2);
	assert_int_equal(count_joins(p, SQL_JOIN_LEFT) + count_joins(p, SQL_JOIN_RIGHT) +
			 count_joins(p, SQL_JOIN_INNER), 1);
}

static void test_subquery_exists_ignores_order_and_limit(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.customers c WHERE EXISTS (SELECT 1 FROM sales.orders o "
		"WHERE o.id = c.id ORDER BY o.qty LIMIT 1)");
	sql_plan *j = find_join(p, SQL_JOIN_LEFT_SEMI);

	assert_non_null(j);
	assert_int_equal(j->nkeys, 1);
	assert_null(find(j->child[1], SQL_PLAN_LIMIT));
	/* a correlated reference under a limit that may cut rows is refused */
	assert_null(optimize_text(f, "SELECT id FROM sales.customers c WHERE id IN "
				     "(SELECT o.id FROM sales.orders o WHERE o.region = c.region LIMIT 2)"));
	assert_non_null(strstr(f->err.message, "the correlated reference to region is only supported"));
}

static void test_subquery_exists_in_or_is_refused(void **state)
{
	struct fixture *f = F(state);

	assert_null(optimize_text(f, "SELECT id FROM sales.customers c WHERE active OR EXISTS "
				     "(SELECT 1 FROM sales.orders o WHERE o.id = c.id)"));
	assert_non_null(strstr(f->err.message, "joined by AND"));
}

static void test_subquery_plan_text_shows_the_joins(void **state)
{
	struct fixture *f = F(state);
	sql_plan *p = optimize_ok(f,
		"SELECT id FROM sales.customers c WHERE id NOT IN (SELECT qty FROM sales.orders) "
		"AND EXISTS (SELECT 1 FROM sales.orders o WHERE o.region = c.region)");
	textbuf tb = TEXTBUF_INIT;

	sql_plan_print(p, true, false, &tb);
	assert_non_null(strstr(tb.data, "Join LeftAnti, ((id#1 = qty#8) OR isnull((id#1 = qty#8)))\n"));
	assert_non_null(strstr(tb.data, "Join LeftSemi, (region#3 = region#11)\n"));
	assert_null(strstr(tb.data, "subquery"));
	textbuf_free(&tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_optimize_constant_folding_evaluates_literal_expressions),
		TEST(test_optimize_boolean_simplification_drops_true_conjunct),
		TEST(test_optimize_combine_filters_joins_conditions_with_and),
		TEST(test_optimize_pushes_filter_through_project_into_scan),
		TEST(test_optimize_pushes_grouping_key_filter_below_aggregate),
		TEST(test_optimize_pushes_filter_through_sorted_subquery),
		TEST(test_optimize_pushes_one_sided_conjuncts_into_inner_join_sides),
		TEST(test_optimize_left_join_keeps_right_side_filter_above),
		TEST(test_optimize_column_pruning_narrows_scan_and_fixes_ordinals),
		TEST(test_optimize_count_star_reads_only_a_partition_key),
		TEST(test_optimize_collapse_project_merges_adjacent_projects),
		TEST(test_optimize_prune_filters_removes_where_true),
		TEST(test_optimize_prune_filters_where_false_gives_empty_relation),
		TEST(test_optimize_prune_filters_where_null_gives_empty_relation),
		TEST(test_partition_pruning_counts_a_month_of_365_partitions),
		TEST(test_partition_pruning_open_bounds_and_data_filter_split),
		TEST(test_partition_pruning_in_list_gives_point_ranges),
		TEST(test_partition_pruning_function_of_key_filters_without_ranges),
		TEST(test_partition_pruning_contradiction_selects_nothing),
		TEST(test_optimize_plan_text_for_a_pruned_aggregate),
		TEST(test_optimize_where_filters_only_the_preserved_side_of_an_outer_join),
		TEST(test_optimize_on_filters_only_the_side_an_outer_join_does_not_preserve),
		TEST(test_optimize_semi_join_filters_both_sides_anti_join_only_the_right),
		TEST(test_optimize_comma_join_is_reordered_so_every_join_has_keys),
		TEST(test_optimize_relations_no_equality_reaches_join_last_without_keys),
		TEST(test_optimize_or_branches_share_their_join_key),
		TEST(test_join_budget_counts_the_build_rows_columns_and_bytes),
		TEST(test_optimize_outer_join_builds_its_smaller_side),
		TEST(test_subquery_exists_is_left_semi_join_on_correlated_keys),
		TEST(test_subquery_not_exists_is_left_anti_join),
		TEST(test_subquery_uncorrelated_exists_is_join_without_keys),
		TEST(test_subquery_in_is_left_semi_join_on_the_column),
		TEST(test_subquery_in_coerces_both_sides_to_a_common_type),
		TEST(test_subquery_not_in_is_null_aware_anti_join),
		TEST(test_subquery_not_of_in_is_not_in),
		TEST(test_subquery_correlated_not_in_keeps_null_semantics_in_condition),
		TEST(test_subquery_uncorrelated_scalar_joins_its_one_row),
		TEST(test_subquery_scalar_that_may_return_rows_is_checked_when_run),
		TEST(test_subquery_scalar_proven_one_row_is_not_checked),
		TEST(test_subquery_scalar_with_limit_one_is_one_row),
		TEST(test_subquery_correlated_scalar_aggregate_groups_by_correlation_key),
		TEST(test_subquery_correlated_count_gives_zero_for_no_rows),
		TEST(test_subquery_correlated_scalar_must_be_aggregated),
		TEST(test_subquery_scalar_in_select_list_and_having),
		TEST(test_subquery_scalar_in_aggregate_select_list),
		TEST(test_subquery_nested_subqueries),
		TEST(test_subquery_exists_ignores_order_and_limit),
		TEST(test_subquery_exists_in_or_is_refused),
		TEST(test_subquery_plan_text_shows_the_joins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
