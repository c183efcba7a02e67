/*
 * test_sql_exec.c - the embedded engine over plans built by hand with the
 * IR constructors, against a temporary metastore and data files.
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
};

static int setup(void **state)
{
	struct efx *e = calloc(1, sizeof *e);

	if (!e || fx_open(&e->f))
		return -1;
	e->ctx.catalog = &e->f.cat;
	e->ctx.progress = &e->progress;
	e->ctx.spill_dir = e->f.dir;
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

static int run(struct efx *e, sql_plan *plan)
{
	sql_sink sink = {.ctx = &e->rows, .row = fx_rows_add};

	fx_rows_free(&e->rows);
	memset(&e->err, 0, sizeof e->err);
	return sql_engine_embedded.run_query(&e->ctx, plan, NULL, &sink, &e->err);
}

/* Parse, analyze, optimize and plan the one query in TEXT: 0 and the
 * physical plan in *OUT, or the first failing stage's error. */
static int plan_query(struct efx *e, const char *text, sql_plan **out)
{
	static const sql_limits limits = { .threads = 2, .memory_per_operator = 1 << 24,
					   .memory_per_job = 1 << 26 };
	sql_script script;
	sql_stmt *st;
	int rc;

	fx_rows_free(&e->rows);
	memset(&e->err, 0, sizeof e->err);
	rc = sql_parse(e->f.a, text, strlen(text), &script, &e->err);
	if (rc)
		return rc;
	assert_int_equal(script.nstmts, 1);
	st = script.stmts[0];
	rc = sql_analyze(e->f.a, &e->f.cat, st, &e->err);
	if (rc == 0)
		rc = sql_optimize(e->f.a, &e->f.cat, &st->query, NULL, &e->err);
	if (rc == 0)
		rc = sql_plan_physical(e->f.a, &limits, st->query, &e->err);
	*out = st->query;
	return rc;
}

/* Plan the one query in TEXT and run it: 0 and the rows in e->rows, or the
 * first failing stage's error. */
static int query(struct efx *e, const char *text)
{
	sql_plan *p;
	int rc = plan_query(e, text, &p);

	return rc ? rc : run(e, p);
}

/* The first node of KIND in P, depth first. */
static sql_plan *find_node(sql_plan *p, sql_plan_kind kind)
{
	if (!p || p->kind == kind)
		return p;
	sql_plan *c = find_node(p->child[0], kind);
	return c ? c : find_node(p->child[1], kind);
}

/* The rows of TEXT, joined with spaces; fails the test if the query does. */
static const char *rows_of(struct efx *e, const char *text)
{
	static char buf[4096];
	size_t n = 0;
	int rc = query(e, text);

	if (rc) {
		char msg[600];

		sql_error_format(&e->err, msg, sizeof msg);
		fail_msg("%s: %s", text, msg);
	}
	buf[0] = '\0';
	for (uint32_t i = 0; i < e->rows.n; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", e->rows.rows[i]);
	return buf;
}

/* The error message of TEXT, which must fail. */
static const char *error_of(struct efx *e, const char *text)
{
	static char msg[600];

	assert_int_not_equal(query(e, text), 0);
	sql_error_format(&e->err, msg, sizeof msg);
	return msg;
}

/* sales.orders (id bigint, region string, amount double) PARTITIONED BY (dt string),
 * three days of two files each... */
static void make_orders(struct efx *e)
{
	fx *f = &e->f;
	const char *d1[] = {"2024-05-01"}, *d2[] = {"2024-05-02"}, *d3[] = {"2024-05-03"};

	assert_int_equal(fx_table(f, "sales", "orders", STORE_FORMAT_CSV, true,
				  "id:bigint,region:string,amount:double", "dt:string"), 0);
	assert_int_equal(fx_add_file(f, "sales", "orders", d1, "part-0.csv",
				     "id,region,amount\n1,east,10\n2,west,1\n"), 0);
	assert_int_equal(fx_add_file(f, "sales", "orders", d2, "part-0.csv",
				     "id,region,amount\n3,east,5\n4,east,0.5\n"), 0);
	assert_int_equal(fx_add_file(f, "sales", "orders", d2, "part-1.csv",
				     "id,region,amount\n3,east,2\n5,west,7\n6,,3\n"), 0);
	assert_int_equal(fx_add_file(f, "sales", "orders", d3, "part-0.csv",
				     "id,region,amount\n7,west,4\n"), 0);
}

static sql_expr *alias(fx *f, sql_expr *x, const char *name)
{
	sql_expr *a = sql_expr_new(f->a, SQL_EXPR_ALIAS, 1, 1);

	a->name = name;
	a->type = x->type;
	a->nargs = 1;
	a->args = sql_arena_alloc(f->a, sizeof *a->args);
	a->args[0] = x;
	return a;
}

static void test_scan_filter_aggregate_over_selected_partitions(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_orders(e);
	sql_plan *scan = fx_scan(f, "sales", "orders");
	/* columns: id 0, region 1, amount 2, dt 3 */
	scan->scan->partition_filter = fx_bin(f, SQL_OP_GE, SQL_TYPE_BOOLEAN, fx_col(f, 3, SQL_TYPE_STRING),
					      fx_str(f, "2024-05-02"));
	scan->phys.threads = 3;
	sql_plan *filter = fx_node(f, SQL_PLAN_FILTER, scan, 3);
	filter->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 2, SQL_TYPE_DOUBLE),
			      fx_lit(f, (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = 1.0}));
	sql_plan *agg = fx_node(f, SQL_PLAN_AGGREGATE, filter, 4);
	agg->ngroups = 1;
	agg->groups = sql_arena_alloc(f->a, sizeof *agg->groups);
	agg->groups[0] = fx_col(f, 1, SQL_TYPE_STRING);
	agg->nexprs = 4;
	agg->exprs = sql_arena_alloc(f->a, 4 * sizeof *agg->exprs);
	agg->exprs[0] = fx_col(f, 1, SQL_TYPE_STRING);
	agg->exprs[1] = alias(f, fx_agg(f, SQL_AGG_COUNT, SQL_TYPE_BIGINT, NULL, false), "n");
	agg->exprs[2] = alias(f, fx_agg(f, SQL_AGG_SUM, SQL_TYPE_DOUBLE, fx_col(f, 2, SQL_TYPE_DOUBLE), false), "total");
	agg->exprs[3] = alias(f, fx_agg(f, SQL_AGG_COUNT, SQL_TYPE_BIGINT, fx_col(f, 0, SQL_TYPE_BIGINT), true), "ids");

	assert_int_equal(run(e, agg), 0);
	fx_rows_sort(&e->rows);
	/* 2024-05-02 and -03 only; amount > 1: east 5, 2 (id 3 twice); west 7, 4; NULL 3 */
	assert_int_equal(e->rows.n, 3);
	assert_string_equal(e->rows.rows[0], "NULL|1|3.0|1");
	assert_string_equal(e->rows.rows[1], "east|2|7.0|1");
	assert_string_equal(e->rows.rows[2], "west|2|11.0|2");
	assert_int_equal(e->progress.partitions_total, 2);
	assert_int_equal(e->progress.partitions_done, 2);
	assert_int_equal(e->progress.rows_read, 6);
	assert_int_equal(e->progress.rows_out, 3);
	assert_int_equal(scan->phys.rows_out, 6);
	assert_int_equal(filter->phys.rows_in, 6);
	assert_int_equal(filter->phys.rows_out, 5);
	assert_int_equal(agg->phys.rows_out, 3);
	assert_true(agg->phys.peak_memory > 0);
}

static void test_data_filter_and_partition_ranges_prune_the_scan(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_orders(e);
	sql_plan *scan = fx_scan(f, "sales", "orders");
	sql_prange *r = sql_arena_alloc(f->a, sizeof *r);
	r->lo = "2024-05-01";
	r->hi = "2024-05-02";
	r->hi_open = true;
	scan->scan->ranges = r;
	scan->scan->nranges = 1;
	scan->scan->data_filter = fx_bin(f, SQL_OP_EQ, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_STRING),
					 fx_str(f, "east"));
	assert_int_equal(run(e, scan), 0);
	assert_int_equal(e->rows.n, 1);
	assert_string_equal(e->rows.rows[0], "1|east|10.0|2024-05-01");
	assert_int_equal(e->progress.partitions_total, 1);
	assert_int_equal(e->progress.rows_read, 2);
}

static void test_global_aggregate_over_no_rows_yields_one_row(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_orders(e);
	sql_plan *scan = fx_scan(f, "sales", "orders");
	scan->scan->data_filter = fx_lit(f, (sql_value){.type = SQL_TYPE_BOOLEAN, .u.b = false});
	sql_plan *agg = fx_node(f, SQL_PLAN_AGGREGATE, scan, 1);
	agg->nexprs = 4;
	agg->exprs = sql_arena_alloc(f->a, 4 * sizeof *agg->exprs);
	agg->exprs[0] = fx_agg(f, SQL_AGG_COUNT, SQL_TYPE_BIGINT, NULL, false);
	agg->exprs[1] = fx_agg(f, SQL_AGG_SUM, SQL_TYPE_BIGINT, fx_col(f, 0, SQL_TYPE_BIGINT), false);
	agg->exprs[2] = fx_agg(f, SQL_AGG_AVG, SQL_TYPE_DOUBLE, fx_col(f, 2, SQL_TYPE_DOUBLE), false);
	agg->exprs[3] = fx_agg(f, SQL_AGG_MAX, SQL_TYPE_STRING, fx_col(f, 1, SQL_TYPE_STRING), false);
	assert_int_equal(run(e, agg), 0);
	assert_int_equal(e->rows.n, 1);
	assert_string_equal(e->rows.rows[0], "0|NULL|NULL|NULL");
}

static void test_aggregates_keep_types_and_skip_nulls(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_orders(e);
	sql_plan *agg = fx_node(f, SQL_PLAN_AGGREGATE, fx_scan(f, "sales", "orders"), 1);
	agg->nexprs = 6;
	agg->exprs = sql_arena_alloc(f->a, 6 * sizeof *agg->exprs);
	agg->exprs[0] = fx_agg(f, SQL_AGG_SUM, SQL_TYPE_BIGINT, fx_col(f, 0, SQL_TYPE_BIGINT), false);
	agg->exprs[1] = fx_agg(f, SQL_AGG_AVG, SQL_TYPE_DOUBLE, fx_col(f, 0, SQL_TYPE_BIGINT), false);
	agg->exprs[2] = fx_agg(f, SQL_AGG_MIN, SQL_TYPE_STRING, fx_col(f, 1, SQL_TYPE_STRING), false);
	agg->exprs[3] = fx_agg(f, SQL_AGG_MAX, SQL_TYPE_DOUBLE, fx_col(f, 2, SQL_TYPE_DOUBLE), false);
	agg->exprs[4] = fx_agg(f, SQL_AGG_COUNT, SQL_TYPE_BIGINT, fx_col(f, 1, SQL_TYPE_STRING), false);
	/* count(DISTINCT region) + 1: an expression over an aggregate */
	agg->exprs[5] = fx_bin(f, SQL_OP_ADD, SQL_TYPE_BIGINT,
			       fx_agg(f, SQL_AGG_COUNT, SQL_TYPE_BIGINT, fx_col(f, 1, SQL_TYPE_STRING), true),
			       fx_big(f, 1));
	assert_int_equal(run(e, agg), 0);
	assert_int_equal(e->rows.n, 1);
	/* ids 1,2,3,4,3,5,6,7 = 31; 8 rows; one NULL region */
	assert_string_equal(e->rows.rows[0], "31|3.875|east|10.0|7|3");
}

/* VALUES of bigint pairs; INT64_MIN stands for NULL. */
static sql_plan *values2(fx *f, uint32_t n, const int64_t (*rows)[2])
{
	sql_plan *p = sql_plan_new(f->a, SQL_PLAN_VALUES, 1, 1);

	p->nrows = n;
	p->ncols = 2;
	p->rows = sql_arena_alloc(f->a, n * sizeof *p->rows);
	for (uint32_t r = 0; r < n; r++) {
		p->rows[r] = sql_arena_alloc(f->a, 2 * sizeof **p->rows);
		for (int c = 0; c < 2; c++)
			p->rows[r][c] = rows[r][c] == INT64_MIN
						? fx_lit(f, (sql_value){.type = SQL_TYPE_BIGINT, .null = true})
						: fx_big(f, rows[r][c]);
	}
	return p;
}

static sql_plan *join(fx *f, sql_join_type type, sql_plan *l, sql_plan *r)
{
	sql_plan *j = sql_plan_new(f->a, SQL_PLAN_JOIN, 1, 1);

	j->join_type = type;
	j->child[0] = l;
	j->child[1] = r;
	j->nkeys = 1;
	j->lkeys = sql_arena_alloc(f->a, sizeof *j->lkeys);
	j->rkeys = sql_arena_alloc(f->a, sizeof *j->rkeys);
	j->lkeys[0] = fx_col(f, 0, SQL_TYPE_BIGINT);
	j->rkeys[0] = fx_col(f, 0, SQL_TYPE_BIGINT);
	return j;
}

static const int64_t LEFT[][2] = {{1, 10}, {2, 20}, {INT64_MIN, 30}, {4, 40}};
static const int64_t RIGHT[][2] = {{1, 100}, {1, 101}, {INT64_MIN, 300}, {4, 400}, {5, 500}};

static void test_inner_join_matches_equal_keys_and_never_null_keys(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_int_equal(run(e, join(f, SQL_JOIN_INNER, values2(f, 4, LEFT), values2(f, 5, RIGHT))), 0);
	fx_rows_sort(&e->rows);
	assert_int_equal(e->rows.n, 3);
	assert_string_equal(e->rows.rows[0], "1|10|1|100");
	assert_string_equal(e->rows.rows[1], "1|10|1|101");
	assert_string_equal(e->rows.rows[2], "4|40|4|400");
}

static void test_left_join_keeps_unmatched_rows_with_nulls(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_int_equal(run(e, join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 5, RIGHT))), 0);
	fx_rows_sort(&e->rows);
	assert_int_equal(e->rows.n, 5);
	assert_string_equal(e->rows.rows[0], "1|10|1|100");
	assert_string_equal(e->rows.rows[1], "1|10|1|101");
	assert_string_equal(e->rows.rows[2], "2|20|NULL|NULL");
	assert_string_equal(e->rows.rows[3], "4|40|4|400");
	assert_string_equal(e->rows.rows[4], "NULL|30|NULL|NULL");
}

static void test_join_residual_condition_filters_matches(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *j = join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 5, RIGHT));

	/* ... ON l.k = r.k AND r.v > 100 */
	j->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 3, SQL_TYPE_BIGINT), fx_big(f, 100));
	assert_int_equal(run(e, j), 0);
	fx_rows_sort(&e->rows);
	assert_int_equal(e->rows.n, 4);
	assert_string_equal(e->rows.rows[0], "1|10|1|101");
	assert_string_equal(e->rows.rows[1], "2|20|NULL|NULL");
}

/* The rows of join plan J, sorted and joined with spaces. */
static const char *join_rows(struct efx *e, sql_plan *j)
{
	static char buf[8192];
	size_t n = 0;
	int rc = run(e, j);

	if (rc) {
		char msg[600];

		sql_error_format(&e->err, msg, sizeof msg);
		fail_msg("join failed: %s", msg);
	}
	fx_rows_sort(&e->rows);
	buf[0] = '\0';
	for (uint32_t i = 0; i < e->rows.n && n < sizeof buf; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", e->rows.rows[i]);
	return buf;
}

static const int64_t NO_ROWS[][2] = {{0, 0}};
/* A right side without NULL keys, with a duplicate key. */
static const int64_t RIGHT_NOT_NULL[][2] = {{1, 100}, {5, 500}, {5, 501}};

/* Residual r.v <> l.v * 10 (Q21's l3.l_suppkey <> l1.l_suppkey): over the
 * left row (0, 1) then the right row (2, 3). */
static sql_expr *residual_v_ne(fx *f)
{
	return fx_bin(f, SQL_OP_NE, SQL_TYPE_BOOLEAN, fx_col(f, 3, SQL_TYPE_BIGINT),
		      fx_bin(f, SQL_OP_MUL, SQL_TYPE_BIGINT, fx_col(f, 1, SQL_TYPE_BIGINT), fx_big(f, 10)));
}

static void test_right_join_adds_unmatched_build_rows_with_nulls(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* The right row with a NULL key never matches, but is output. */
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_RIGHT, values2(f, 4, LEFT), values2(f, 5, RIGHT))),
			    "1|10|1|100 1|10|1|101 4|40|4|400 NULL|NULL|5|500 NULL|NULL|NULL|300");
}

static void test_full_join_keeps_unmatched_rows_of_both_sides(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_string_equal(join_rows(e, join(f, SQL_JOIN_FULL, values2(f, 4, LEFT), values2(f, 5, RIGHT))),
			    "1|10|1|100 1|10|1|101 2|20|NULL|NULL 4|40|4|400 NULL|30|NULL|NULL "
			    "NULL|NULL|5|500 NULL|NULL|NULL|300");
}

static void test_outer_joins_with_a_residual_pad_what_fails_it(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *j;

	/* Right row (1, 100) fails r.v <> l.v * 10 against (1, 10): unmatched. */
	j = join(f, SQL_JOIN_RIGHT, values2(f, 4, LEFT), values2(f, 5, RIGHT));
	j->cond = residual_v_ne(f);
	assert_string_equal(join_rows(e, j),
			    "1|10|1|101 NULL|NULL|1|100 NULL|NULL|4|400 NULL|NULL|5|500 NULL|NULL|NULL|300");
	j = join(f, SQL_JOIN_FULL, values2(f, 4, LEFT), values2(f, 5, RIGHT));
	j->cond = residual_v_ne(f);
	assert_string_equal(join_rows(e, j),
			    "1|10|1|101 2|20|NULL|NULL 4|40|NULL|NULL NULL|30|NULL|NULL "
			    "NULL|NULL|1|100 NULL|NULL|4|400 NULL|NULL|5|500 NULL|NULL|NULL|300");
}

static void test_semi_join_outputs_each_matching_left_row_once(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* Key 1 has two matches; the NULL key none. */
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_LEFT_SEMI, values2(f, 4, LEFT),
					      values2(f, 5, RIGHT))),
			    "1|10 4|40");
}

static void test_anti_join_outputs_left_rows_without_a_match(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* Not null-aware: a NULL key on either side matches nothing. */
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT),
					      values2(f, 5, RIGHT))),
			    "2|20 NULL|30");
}

static void test_semi_and_anti_joins_apply_the_residual_after_the_keys(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *j;

	/* Key 1: (1, 101) passes r.v <> l.v * 10; key 4: (4, 400) does not. */
	j = join(f, SQL_JOIN_LEFT_SEMI, values2(f, 4, LEFT), values2(f, 5, RIGHT));
	j->cond = residual_v_ne(f);
	assert_string_equal(join_rows(e, j), "1|10");
	j = join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT), values2(f, 5, RIGHT));
	j->cond = residual_v_ne(f);
	assert_string_equal(join_rows(e, j), "2|20 4|40 NULL|30");
}

static sql_plan *null_aware(sql_plan *j)
{
	j->null_aware = true;
	return j;
}

static void test_null_aware_anti_join_with_a_null_on_the_right_outputs_nothing(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* x NOT IN (1, 1, NULL, 4, 5) is never true. */
	assert_string_equal(join_rows(e, null_aware(join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT),
							 values2(f, 5, RIGHT)))),
			    "");
}

static void test_null_aware_anti_join_drops_a_null_left_key_unless_right_is_empty(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* NULL NOT IN (1, 5, 5) is NULL: the row goes; 2 and 4 stay. */
	assert_string_equal(join_rows(e, null_aware(join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT),
							 values2(f, 3, RIGHT_NOT_NULL)))),
			    "2|20 4|40");
	/* Anything NOT IN () is true, NULL included. */
	assert_string_equal(join_rows(e, null_aware(join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT),
							 values2(f, 0, NO_ROWS)))),
			    "1|10 2|20 4|40 NULL|30");
}

static void test_null_aware_anti_join_residual_decides_which_nulls_count(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const int64_t right[][2] = {{INT64_MIN, 300}, {1, 100}};
	sql_plan *j = null_aware(join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT), values2(f, 2, right)));

	/* NOT IN (SELECT k FROM right WHERE right.v > left.v * 20): for
	 * (1, 10) the subquery holds NULL (300 > 200), so the row goes; for
	 * every other row it is empty. */
	j->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 3, SQL_TYPE_BIGINT),
			 fx_bin(f, SQL_OP_MUL, SQL_TYPE_BIGINT, fx_col(f, 1, SQL_TYPE_BIGINT),
				fx_big(f, 20)));
	assert_string_equal(join_rows(e, j), "2|20 4|40 NULL|30");
}

static void test_joins_over_an_empty_side(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_string_equal(join_rows(e, join(f, SQL_JOIN_INNER, values2(f, 2, LEFT), values2(f, 0, NO_ROWS))),
			    "");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_LEFT, values2(f, 2, LEFT), values2(f, 0, NO_ROWS))),
			    "1|10|NULL|NULL 2|20|NULL|NULL");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_RIGHT, values2(f, 0, NO_ROWS), values2(f, 2, LEFT))),
			    "NULL|NULL|1|10 NULL|NULL|2|20");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_FULL, values2(f, 0, NO_ROWS), values2(f, 0, NO_ROWS))),
			    "");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_FULL, values2(f, 0, NO_ROWS), values2(f, 2, LEFT))),
			    "NULL|NULL|1|10 NULL|NULL|2|20");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_LEFT_SEMI, values2(f, 2, LEFT), values2(f, 0, NO_ROWS))),
			    "");
	assert_string_equal(join_rows(e, join(f, SQL_JOIN_LEFT_ANTI, values2(f, 2, LEFT), values2(f, 0, NO_ROWS))),
			    "1|10 2|20");
}

static sql_plan *no_keys(sql_plan *j)
{
	j->nkeys = 0;
	j->lkeys = j->rkeys = NULL;
	return j;
}

static void test_join_without_keys_compares_every_pair(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const int64_t one[][2] = {{7, 25}};
	sql_plan *j;

	/* A cross product: NULL keys are just values here. */
	assert_string_equal(join_rows(e, no_keys(join(f, SQL_JOIN_INNER, values2(f, 2, LEFT),
						      values2(f, 3, RIGHT)))),
			    "1|10|1|100 1|10|1|101 1|10|NULL|300 2|20|1|100 2|20|1|101 2|20|NULL|300");
	/* A scalar subquery's one row, with a non-equi condition l.v > r.v. */
	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 1, one)));
	j->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_BIGINT),
			 fx_col(f, 3, SQL_TYPE_BIGINT));
	assert_string_equal(join_rows(e, j), "1|10|NULL|NULL 2|20|NULL|NULL 4|40|7|25 NULL|30|7|25");
	j = no_keys(join(f, SQL_JOIN_LEFT_ANTI, values2(f, 4, LEFT), values2(f, 1, one)));
	j->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_BIGINT),
			 fx_col(f, 3, SQL_TYPE_BIGINT));
	assert_string_equal(join_rows(e, j), "1|10 2|20");
	j = no_keys(join(f, SQL_JOIN_RIGHT, values2(f, 4, LEFT), values2(f, 1, one)));
	j->cond = fx_bin(f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_BIGINT), fx_big(f, 1000));
	assert_string_equal(join_rows(e, j), "NULL|NULL|7|25");
}

/* An uncorrelated scalar subquery's join (one_row): no right row gives
 * NULLs, one is joined to every left row, a second fails the query with
 * Spark's message at the subquery's position. */
static void test_one_row_join_fails_on_a_second_right_row(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const int64_t one[][2] = {{7, 25}};
	static const int64_t two[][2] = {{7, 25}, {8, 26}};
	char msg[600];
	sql_plan *j;

	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 0, NO_ROWS)));
	j->one_row = true;
	assert_string_equal(join_rows(e, j), "1|10|NULL|NULL 2|20|NULL|NULL 4|40|NULL|NULL NULL|30|NULL|NULL");
	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 1, one)));
	j->one_row = true;
	assert_string_equal(join_rows(e, j), "1|10|7|25 2|20|7|25 4|40|7|25 NULL|30|7|25");
	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 2, two)));
	j->line = 3;
	j->col = 9;
	j->one_row = true;
	assert_int_equal(run(e, j), -EINVAL);
	sql_error_format(&e->err, msg, sizeof msg);
	assert_string_equal(msg, "line 3, column 9: more than one row returned by a subquery used as an "
				 "expression");
	assert_int_equal(e->rows.n, 0);
	/* the subquery is checked even when no left row would read it */
	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 0, NO_ROWS), values2(f, 2, two)));
	j->one_row = true;
	assert_int_equal(run(e, j), -EINVAL);
	assert_non_null(strstr(e->err.message, "more than one row returned by a subquery"));
	/* without the flag the same join is a plain cross product */
	j = no_keys(join(f, SQL_JOIN_LEFT, values2(f, 1, one), values2(f, 2, two)));
	assert_string_equal(join_rows(e, j), "7|25|7|25 7|25|8|26");
}

/* A one_row join with keys, over a budget so small that its first right
 * row would make it partition: a second right row fails the query with
 * the subquery's message before anything is kept or spilled. */
static void test_one_row_join_checks_when_it_spills(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const int64_t two[][2] = {{1, 25}, {4, 26}};
	sql_plan *j;

	j = join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 2, two));
	j->one_row = true;
	j->phys.memory_budget = 1024;
	assert_int_equal(run(e, j), -EINVAL);
	assert_string_equal(e->err.message, "more than one row returned by a subquery used as an expression");
	assert_int_equal(j->phys.spill_files, 0);
	/* without the check the same join partitions its sides */
	j = join(f, SQL_JOIN_LEFT, values2(f, 4, LEFT), values2(f, 2, two));
	j->phys.memory_budget = 1024;
	assert_int_not_equal(run(e, j), -EINVAL);
	assert_true(j->phys.spill_files > 0);
}

/* N rows (i, i % 3) for i in 0..N-1. */
static sql_plan *values_seq(fx *f, uint32_t n)
{
	int64_t (*rows)[2] = sql_arena_alloc(f->a, n * sizeof *rows);

	for (uint32_t i = 0; i < n; i++) {
		rows[i][0] = i % 3;
		rows[i][1] = i;
	}
	return values2(f, n, (const int64_t(*)[2])rows);
}

static void test_join_output_larger_than_a_batch_is_complete(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	/* 60 x 60 rows on 3 keys: 3 * 20 * 20 = 1200 pairs, one left row
	 * alone matching 20; and a cross product of 3600 pairs. */
	assert_int_equal(run(e, join(f, SQL_JOIN_INNER, values_seq(f, 60), values_seq(f, 60))), 0);
	assert_int_equal(e->rows.n, 1200);
	assert_int_equal(run(e, no_keys(join(f, SQL_JOIN_FULL, values_seq(f, 60), values_seq(f, 60)))), 0);
	assert_int_equal(e->rows.n, 3600);
	fx_rows_sort(&e->rows);
	assert_string_equal(e->rows.rows[0], "0|0|0|0");
}

/* A small TPC-H shaped schema: part, supplier, partsupp, nation, region. */
static void make_suppliers(struct efx *e)
{
	fx *f = &e->f;

	assert_int_equal(fx_table(f, "h", "region", STORE_FORMAT_CSV, true,
				  "r_regionkey:bigint,r_name:string", NULL), 0);
	assert_int_equal(fx_add_file(f, "h", "region", NULL, "r.csv",
				     "r_regionkey,r_name\n0,AMERICA\n1,EUROPE\n"), 0);
	assert_int_equal(fx_table(f, "h", "nation", STORE_FORMAT_CSV, true,
				  "n_nationkey:bigint,n_name:string,n_regionkey:bigint", NULL), 0);
	assert_int_equal(fx_add_file(f, "h", "nation", NULL, "n.csv",
				     "n_nationkey,n_name,n_regionkey\n0,CANADA,0\n1,FRANCE,1\n"
				     "2,GERMANY,1\n3,PERU,0\n"), 0);
	assert_int_equal(fx_table(f, "h", "supplier", STORE_FORMAT_CSV, true,
				  "s_suppkey:bigint,s_name:string,s_nationkey:bigint", NULL), 0);
	assert_int_equal(fx_add_file(f, "h", "supplier", NULL, "s.csv",
				     "s_suppkey,s_name,s_nationkey\n10,s10,0\n11,s11,1\n12,s12,2\n"
				     "13,s13,\n14,s14,1\n"), 0);
	assert_int_equal(fx_table(f, "h", "part", STORE_FORMAT_CSV, true,
				  "p_partkey:bigint,p_name:string", NULL), 0);
	assert_int_equal(fx_add_file(f, "h", "part", NULL, "p.csv",
				     "p_partkey,p_name\n1,bolt\n2,nut\n3,gear\n"), 0);
	assert_int_equal(fx_table(f, "h", "partsupp", STORE_FORMAT_CSV, true,
				  "ps_partkey:bigint,ps_suppkey:bigint,ps_cost:double", NULL), 0);
	assert_int_equal(fx_add_file(f, "h", "partsupp", NULL, "ps.csv",
				     "ps_partkey,ps_suppkey,ps_cost\n1,10,1.5\n1,11,2.5\n2,11,3\n"
				     "2,12,4\n3,13,5\n3,14,6\n2,14,7\n1,12,8\n"), 0);
}

/* Every JOIN under P has equi keys. */
static bool every_join_has_keys(const sql_plan *p)
{
	if (!p)
		return true;
	if (p->kind == SQL_PLAN_JOIN && p->nkeys == 0)
		return false;
	return every_join_has_keys(p->child[0]) && every_join_has_keys(p->child[1]);
}

static void test_comma_join_runs_with_keys_from_where(void **state)
{
	struct efx *e = *state;
	sql_plan *p;
	const char *q =
		"SELECT p_name, s_name, n_name, ps_cost FROM h.part, h.supplier, h.partsupp, "
		"h.nation, h.region WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey "
		"AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE' "
		"ORDER BY ps_cost";

	make_suppliers(e);
	/* part and supplier, written first, share no predicate. */
	assert_int_equal(plan_query(e, q, &p), 0);
	assert_true(every_join_has_keys(p));
	/* part, written first, is joined to partsupp, which is larger, so part
	 * is built and partsupp probed; region's filter went into its scan. */
	textbuf b = TEXTBUF_INIT;
	sql_plan_print(p, true, true, &b);
	assert_int_equal(textbuf_error(&b), 0);
	assert_non_null(strstr(b.data, "HashJoin [ps_partkey#6], [p_partkey#1], Inner, BuildRight"));
	assert_non_null(strstr(b.data, "PushedFilters: [(r_name#13 = EUROPE)]"));
	assert_null(strstr(b.data, "NestedLoopJoin"));
	textbuf_free(&b);
	assert_string_equal(rows_of(e, q),
			    "bolt|s11|FRANCE|2.5 nut|s11|FRANCE|3.0 nut|s12|GERMANY|4.0 "
			    "gear|s14|FRANCE|6.0 nut|s14|FRANCE|7.0 bolt|s12|GERMANY|8.0");
}

/* The TPC-H tables, with the columns the join shapes below use. */
static void make_tpch_tables(struct efx *e)
{
	static const char *const tables[][2] = {
		{"region", "r_regionkey:bigint,r_name:string"},
		{"nation", "n_nationkey:bigint,n_name:string,n_regionkey:bigint"},
		{"supplier", "s_suppkey:bigint,s_name:string,s_nationkey:bigint,s_acctbal:double"},
		{"customer", "c_custkey:bigint,c_name:string,c_nationkey:bigint,c_mktsegment:string"},
		{"part", "p_partkey:bigint,p_name:string,p_type:string,p_size:bigint,p_brand:string"},
		{"partsupp", "ps_partkey:bigint,ps_suppkey:bigint,ps_supplycost:double"},
		{"orders", "o_orderkey:bigint,o_custkey:bigint,o_orderdate:date"},
		{"lineitem", "l_orderkey:bigint,l_partkey:bigint,l_suppkey:bigint,l_quantity:double,"
			     "l_extendedprice:double,l_discount:double,l_shipdate:date,l_shipmode:string"},
	};

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		assert_int_equal(fx_table(&e->f, "tpch", tables[i][0], STORE_FORMAT_CSV, true,
					  tables[i][1], NULL), 0);
}

/* The comma joins of TPC-H Q2, Q5, Q7, Q8, Q9 and Q19 (their subqueries
 * and date arithmetic left out) plan with equi keys on every join. */
static void test_tpch_comma_joins_plan_every_join_with_keys(void **state)
{
	struct efx *e = *state;
	static const char *const queries[] = {
		/* Q2 */
		"SELECT s_acctbal, s_name, n_name, p_partkey FROM tpch.part, tpch.supplier, "
		"tpch.partsupp, tpch.nation, tpch.region WHERE p_partkey = ps_partkey "
		"AND s_suppkey = ps_suppkey AND p_size = 15 AND p_type LIKE '%BRASS' "
		"AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = 'EUROPE'",
		/* Q5 */
		"SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.customer, "
		"tpch.orders, tpch.lineitem, tpch.supplier, tpch.nation, tpch.region "
		"WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey "
		"AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey "
		"AND n_regionkey = r_regionkey AND r_name = 'ASIA' "
		"AND o_orderdate >= DATE '1994-01-01' GROUP BY n_name",
		/* Q7 */
		"SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation, year(l_shipdate) AS y "
		"FROM tpch.supplier, tpch.lineitem, tpch.orders, tpch.customer, tpch.nation n1, "
		"tpch.nation n2 WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey "
		"AND c_custkey = o_custkey AND s_nationkey = n1.n_nationkey "
		"AND c_nationkey = n2.n_nationkey AND ((n1.n_name = 'FRANCE' AND n2.n_name = 'GERMANY') "
		"OR (n1.n_name = 'GERMANY' AND n2.n_name = 'FRANCE'))",
		/* Q8 */
		"SELECT year(o_orderdate) AS o_year, n2.n_name AS nation FROM tpch.part, tpch.supplier, "
		"tpch.lineitem, tpch.orders, tpch.customer, tpch.nation n1, tpch.nation n2, "
		"tpch.region WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey "
		"AND l_orderkey = o_orderkey AND o_custkey = c_custkey AND c_nationkey = n1.n_nationkey "
		"AND n1.n_regionkey = r_regionkey AND r_name = 'AMERICA' "
		"AND s_nationkey = n2.n_nationkey AND p_type = 'ECONOMY ANODIZED STEEL'",
		/* Q9 */
		"SELECT n_name AS nation, year(o_orderdate) AS o_year, "
		"l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount "
		"FROM tpch.part, tpch.supplier, tpch.lineitem, tpch.partsupp, tpch.orders, tpch.nation "
		"WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey "
		"AND p_partkey = l_partkey AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey "
		"AND p_name LIKE '%green%'",
		/* Q19 */
		"SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue FROM tpch.lineitem, tpch.part "
		"WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12' AND l_quantity <= 11 "
		"AND l_shipmode IN ('AIR', 'AIR REG')) OR (p_partkey = l_partkey "
		"AND p_brand = 'Brand#23' AND l_quantity >= 10 AND l_shipmode IN ('AIR', 'AIR REG'))",
	};
	sql_plan *p;

	make_tpch_tables(e);
	for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
		int rc = plan_query(e, queries[i], &p);
		if (rc) {
			char msg[600];
			sql_error_format(&e->err, msg, sizeof msg);
			fail_msg("%s: %s", queries[i], msg);
		}
		if (!every_join_has_keys(p))
			fail_msg("a join without keys in the plan of %s", queries[i]);
		assert_int_equal(run(e, p), 0);
	}
}

static void test_every_join_type_from_sql(void **state)
{
	struct efx *e = *state;

	make_suppliers(e);
	assert_string_equal(rows_of(e, "SELECT s_name, n_name FROM h.supplier RIGHT JOIN h.nation "
				       "ON s_nationkey = n_nationkey ORDER BY n_name, s_name"),
			    "s10|CANADA s11|FRANCE s14|FRANCE s12|GERMANY NULL|PERU");
	assert_string_equal(rows_of(e, "SELECT s_name, n_name FROM h.supplier FULL OUTER JOIN h.nation "
				       "ON s_nationkey = n_nationkey AND n_name <> 'FRANCE' "
				       "ORDER BY n_name, s_name"),
			    "s11|NULL s13|NULL s14|NULL s10|CANADA NULL|FRANCE s12|GERMANY NULL|PERU");
	assert_string_equal(rows_of(e, "SELECT n_name FROM h.nation LEFT SEMI JOIN h.supplier "
				       "ON s_nationkey = n_nationkey ORDER BY n_name"),
			    "CANADA FRANCE GERMANY");
	assert_string_equal(rows_of(e, "SELECT n_name FROM h.nation LEFT ANTI JOIN h.supplier "
				       "ON s_nationkey = n_nationkey ORDER BY n_name"),
			    "PERU");
	assert_string_equal(rows_of(e, "SELECT count(*) FROM h.nation CROSS JOIN h.region"), "8");
	/* Q13's shape: a condition on the right side inside a LEFT JOIN's ON
	 * keeps the left rows it fails. */
	assert_string_equal(rows_of(e, "SELECT n_name, count(s_suppkey) AS c FROM h.nation "
				       "LEFT OUTER JOIN h.supplier ON s_nationkey = n_nationkey "
				       "AND s_name NOT LIKE '%4' GROUP BY n_name ORDER BY n_name"),
			    "CANADA|1 FRANCE|1 GERMANY|1 PERU|0");
	/* A WHERE on the NULL-padded side of an outer join filters after it. */
	assert_string_equal(rows_of(e, "SELECT n_name FROM h.nation LEFT JOIN h.supplier "
				       "ON s_nationkey = n_nationkey WHERE s_name IS NULL"),
			    "PERU");
	assert_string_equal(rows_of(e, "SELECT s_name FROM h.nation RIGHT JOIN h.supplier "
				       "ON s_nationkey = n_nationkey WHERE n_name IS NULL"),
			    "s13");
}

static sql_plan *sort(fx *f, sql_plan *child, bool desc, bool nulls_first)
{
	sql_plan *s = fx_node(f, SQL_PLAN_SORT, child, 1);

	s->nsort = 1;
	s->sort = sql_arena_alloc(f->a, sizeof *s->sort);
	s->sort[0].expr = fx_col(f, 0, SQL_TYPE_BIGINT);
	s->sort[0].desc = desc;
	s->sort[0].nulls_first = nulls_first;
	return s;
}

static void test_sort_places_nulls_first_or_last_in_either_direction(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_int_equal(run(e, sort(f, values2(f, 4, LEFT), false, true)), 0);
	assert_int_equal(e->rows.n, 4);
	assert_string_equal(e->rows.rows[0], "NULL|30");
	assert_string_equal(e->rows.rows[1], "1|10");
	assert_string_equal(e->rows.rows[3], "4|40");
	assert_int_equal(run(e, sort(f, values2(f, 4, LEFT), false, false)), 0);
	assert_string_equal(e->rows.rows[0], "1|10");
	assert_string_equal(e->rows.rows[3], "NULL|30");
	assert_int_equal(run(e, sort(f, values2(f, 4, LEFT), true, false)), 0);
	assert_string_equal(e->rows.rows[0], "4|40");
	assert_string_equal(e->rows.rows[2], "1|10");
	assert_string_equal(e->rows.rows[3], "NULL|30");
	assert_int_equal(run(e, sort(f, values2(f, 4, LEFT), true, true)), 0);
	assert_string_equal(e->rows.rows[0], "NULL|30");
	assert_string_equal(e->rows.rows[1], "4|40");
}

static void test_sort_is_stable_for_equal_keys(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_int_equal(run(e, sort(f, values2(f, 5, RIGHT), false, false)), 0);
	assert_string_equal(e->rows.rows[0], "1|100");
	assert_string_equal(e->rows.rows[1], "1|101");
}

static void test_limit_stops_after_n_rows(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *l = fx_node(f, SQL_PLAN_LIMIT, sort(f, values2(f, 5, RIGHT), true, false), 1);

	l->limit = 2;
	assert_int_equal(run(e, l), 0);
	assert_int_equal(e->rows.n, 2);
	assert_string_equal(e->rows.rows[0], "5|500");
	l->limit = 0;
	assert_int_equal(run(e, l), 0);
	assert_int_equal(e->rows.n, 0);
}

static void test_limit_over_a_parallel_scan_stops_the_workers(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	textbuf big = TEXTBUF_INIT;

	assert_int_equal(fx_table(f, "s", "t", STORE_FORMAT_CSV, false, "n:bigint", NULL), 0);
	for (int i = 0; i < 5000; i++)
		textbuf_printf(&big, "%d\n", i);
	for (int i = 0; i < 8; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%d.csv", i);
		assert_int_equal(fx_add_file(f, "s", "t", NULL, name, big.data), 0);
	}
	textbuf_free(&big);
	sql_plan *scan = fx_scan(f, "s", "t");
	scan->phys.threads = 4;
	sql_plan *l = fx_node(f, SQL_PLAN_LIMIT, scan, 1);
	l->limit = 3;
	assert_int_equal(run(e, l), 0);
	assert_int_equal(e->rows.n, 3);
	/* And all of it when nothing stops early. */
	sql_plan *agg = fx_node(f, SQL_PLAN_AGGREGATE, scan, 1);
	agg->nexprs = 1;
	agg->exprs = sql_arena_alloc(f->a, sizeof *agg->exprs);
	agg->exprs[0] = fx_agg(f, SQL_AGG_SUM, SQL_TYPE_BIGINT, fx_col(f, 0, SQL_TYPE_BIGINT), false);
	assert_int_equal(run(e, agg), 0);
	assert_string_equal(e->rows.rows[0], "99980000");
}

static void test_distinct_removes_duplicate_rows_including_nulls(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const int64_t dup[][2] = {{1, 1}, {INT64_MIN, 2}, {1, 1}, {INT64_MIN, 2}, {1, 2}};

	assert_int_equal(run(e, fx_node(f, SQL_PLAN_DISTINCT, values2(f, 5, dup), 1)), 0);
	fx_rows_sort(&e->rows);
	assert_int_equal(e->rows.n, 3);
	assert_string_equal(e->rows.rows[0], "1|1");
	assert_string_equal(e->rows.rows[1], "1|2");
	assert_string_equal(e->rows.rows[2], "NULL|2");
}

static void test_union_all_keeps_both_sides(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *u = sql_plan_new(f->a, SQL_PLAN_UNION, 1, 1);

	u->child[0] = values2(f, 4, LEFT);
	u->child[1] = values2(f, 5, RIGHT);
	assert_int_equal(run(e, u), 0);
	assert_int_equal(e->rows.n, 9);
	assert_string_equal(e->rows.rows[0], "1|10");
	assert_string_equal(e->rows.rows[4], "1|100");
}

static void test_project_and_one_row(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	sql_plan *p = fx_node(f, SQL_PLAN_PROJECT, sql_plan_new(f->a, SQL_PLAN_ONE_ROW, 1, 1), 1);

	p->nexprs = 2;
	p->exprs = sql_arena_alloc(f->a, 2 * sizeof *p->exprs);
	p->exprs[0] = alias(f, fx_bin(f, SQL_OP_ADD, SQL_TYPE_BIGINT, fx_big(f, 1), fx_big(f, 2)), "three");
	p->exprs[1] = fx_bin(f, SQL_OP_CONCAT, SQL_TYPE_STRING, fx_str(f, "a"), fx_str(f, "b"));
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 1);
	assert_string_equal(e->rows.rows[0], "3|ab");
}

/* ---- spilling: operators over their memory budget ---------------------------------- */

/* A sink that keeps a digest of the rows: their count, a hash of them in
 * order, and one that ignores the order. */
typedef struct digest {
	uint64_t n, ordered, unordered;
} digest;

static int digest_row(void *ctx, const sql_value *v, uint32_t n)
{
	digest *d = ctx;
	textbuf b = TEXTBUF_INIT;
	uint64_t h = UINT64_C(1469598103934665603);

	for (uint32_t i = 0; i < n; i++) {
		textbuf_puts(&b, "|");
		sql_value_print(&v[i], &b);
	}
	for (size_t i = 0; i < b.len; i++)
		h = (h ^ (unsigned char)b.data[i]) * UINT64_C(1099511628211);
	textbuf_free(&b);
	h ^= h >> 29;
	d->n++;
	d->ordered = d->ordered * UINT64_C(0x100000001b3) + h;
	d->unordered += h * UINT64_C(0x9e3779b97f4a7c15) ^ (h >> 17);
	return 0;
}

/* Run PLAN with its NODE's budget set to BUDGET; the rows' digest. */
static digest run_digest(struct efx *e, sql_plan *plan, sql_plan *node, uint64_t budget)
{
	digest d = {0};
	sql_sink sink = {.ctx = &d, .row = digest_row};

	node->phys.memory_budget = budget;
	memset(&e->err, 0, sizeof e->err);
	int rc = sql_engine_embedded.run_query(&e->ctx, plan, NULL, &sink, &e->err);
	if (rc)
		fail_msg("query failed: %s", e->err.message);
	return d;
}

/* s.big (k bigint, s string, v double): ROWS rows, k = i % GROUPS, some
 * v NULL, and strings of different lengths. */
static void make_big(struct efx *e, int rows, int groups)
{
	fx *f = &e->f;
	textbuf data = TEXTBUF_INIT;

	assert_int_equal(fx_table(f, "s", "big", STORE_FORMAT_CSV, false, "k:bigint,s:string,v:double",
				  NULL), 0);
	for (int i = 0; i < rows; i++) {
		int k = (int)(((int64_t)i * 7919) % groups);
		if (i % 11 == 0)
			textbuf_printf(&data, "%d,s-%d%s,\n", k, i % 977, i % 3 ? "" : "-longer-string");
		else
			textbuf_printf(&data, "%d,s-%d%s,%d.5\n", k, i % 977, i % 3 ? "" : "-longer-string", i % 1000);
	}
	assert_int_equal(fx_add_file(f, "s", "big", NULL, "a.csv", data.data), 0);
	textbuf_free(&data);
}

/* A scalar subquery that nothing proves to return one row runs: its one
 * row is used, none gives NULL, and a second fails the query. */
static void test_scalar_subquery_is_checked_for_one_row_when_it_runs(void **state)
{
	struct efx *e = *state;
	sql_plan *p;
	textbuf b = TEXTBUF_INIT;

	/* s.big: (i * 7919 % 5, ..., i % 1000 + 0.5), v NULL when i % 11 = 0 */
	make_big(e, 20, 5);
	/* v = 3.5: i = 3 alone, k = 2 */
	assert_string_equal(rows_of(e, "SELECT count(*) FROM s.big WHERE k = (SELECT k FROM s.big WHERE v = 3.5)"),
			    "4");
	assert_string_equal(rows_of(e, "SELECT count(*) FROM s.big WHERE k = (SELECT k FROM s.big WHERE v > 99)"),
			    "0");
	assert_string_equal(rows_of(e, "SELECT (SELECT k FROM s.big WHERE v > 99) IS NULL AS n FROM s.big "
				       "WHERE v = 1.5"),
			    "true");
	/* v < 3: i = 1 and 2 */
	assert_string_equal(error_of(e, "SELECT count(*) FROM s.big\n"
				        "WHERE k = (SELECT k FROM s.big WHERE v < 3)"),
			    "line 2, column 11: more than one row returned by a subquery used as an expression");
	/* a subquery of more rows than the query around it too */
	assert_non_null(strstr(error_of(e, "SELECT s FROM s.big WHERE v = 1.5 AND "
					   "k > (SELECT k FROM s.big WHERE v < 10)"),
			       "more than one row returned by a subquery used as an expression"));
	/* the plan shows the check */
	assert_int_equal(plan_query(e, "SELECT k FROM s.big WHERE k = (SELECT k FROM s.big WHERE v < 3)", &p), 0);
	sql_plan_print(p, true, true, &b);
	assert_non_null(strstr(b.data, "LeftOuter, BuildRight, one row"));
	textbuf_free(&b);
}

static void test_sort_over_its_budget_spills_sorted_runs_and_merges_them(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 200000, 1000);
	/* Many ties on k: the order among them (input order) must hold too. */
	assert_int_equal(plan_query(e, "SELECT k, s, v, CAST(v AS DECIMAL(20,3)) AS dv FROM s.big ORDER BY k DESC",
				    &p), 0);
	sql_plan *srt = find_node(p, SQL_PLAN_SORT);
	digest big = run_digest(e, p, srt, (uint64_t)1 << 30);
	assert_int_equal(big.n, 200000);
	assert_int_equal(srt->phys.spill_files, 0);
	digest small = run_digest(e, p, srt, 256 << 10);
	assert_int_equal(small.n, big.n);
	assert_true(small.ordered == big.ordered);
	assert_true(srt->phys.spill_bytes > 0);
	assert_true(srt->phys.spill_rows >= 200000);
	assert_true(srt->phys.spill_files > 20);
	/* More runs than 256 KiB of read buffers can merge at once: two passes or more. */
	assert_true(srt->phys.spill_passes >= 2);
	assert_true(srt->phys.peak_memory <= 256 << 10);
}

static void test_topn_whose_limit_outgrows_its_budget_becomes_an_external_sort(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 200000, 1000);
	assert_int_equal(plan_query(e, "SELECT k, s, v FROM s.big ORDER BY k, s LIMIT 150000 OFFSET 10", &p), 0);
	sql_plan *srt = find_node(p, SQL_PLAN_SORT);
	assert_true(srt->phys.topn);
	digest big = run_digest(e, p, srt, (uint64_t)1 << 30);
	assert_int_equal(big.n, 150000);
	assert_int_equal(srt->phys.spill_files, 0);
	digest small = run_digest(e, p, srt, 256 << 10);
	assert_int_equal(small.n, big.n);
	assert_true(small.ordered == big.ordered);
	assert_true(srt->phys.spill_files > 1);
	assert_true(srt->phys.peak_memory <= 256 << 10);
}

static void test_sort_of_a_row_larger_than_its_budget_names_memory_per_job(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	textbuf data = TEXTBUF_INIT;
	sql_plan *p;

	assert_int_equal(fx_table(f, "s", "wide", STORE_FORMAT_CSV, false, "n:bigint,s:string", NULL), 0);
	textbuf_puts(&data, "1,");
	for (int i = 0; i < 300000; i++)
		textbuf_puts(&data, "x");
	textbuf_puts(&data, "\n2,y\n");
	assert_int_equal(fx_add_file(f, "s", "wide", NULL, "a.csv", data.data), 0);
	textbuf_free(&data);
	assert_int_equal(plan_query(e, "SELECT n, length(s) AS l FROM (SELECT n, s FROM s.wide ORDER BY n DESC) t",
				    &p), 0);
	sql_plan *srt = find_node(p, SQL_PLAN_SORT);
	srt->line = 9;
	srt->phys.memory_budget = 256 << 10;
	assert_int_equal(run(e, p), -ENOMEM);
	char msg[600];
	sql_error_format(&e->err, msg, sizeof msg);
	assert_string_equal(msg, "line 9: Sort needs more than its memory budget of 0.25 MiB for a single row "
				 "(raise memory_per_job in metafs.ini)");
	srt->phys.memory_budget = 1 << 20;
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 2);
	assert_string_equal(e->rows.rows[0], "2|1");
	assert_string_equal(e->rows.rows[1], "1|300000");
}

static void test_aggregate_over_its_budget_partitions_its_input_by_hash(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 200000, 50000);
	assert_int_equal(plan_query(e, "SELECT k, count(*) AS n, sum(v) AS sv, avg(v) AS av, min(s) AS mn, "
				       "max(s) AS mx, sum(CAST(v AS DECIMAL(12,2))) AS dv, "
				       "avg(CAST(v AS DECIMAL(12,2))) AS da FROM s.big GROUP BY k", &p), 0);
	sql_plan *agg = find_node(p, SQL_PLAN_AGGREGATE);
	digest big = run_digest(e, p, agg, (uint64_t)1 << 30);
	assert_int_equal(big.n, 50000);
	assert_int_equal(agg->phys.spill_files, 0);
	digest small = run_digest(e, p, agg, 512 << 10);
	assert_int_equal(small.n, 50000);
	assert_true(small.unordered == big.unordered);
	assert_true(agg->phys.spill_bytes > 0);
	assert_true(agg->phys.spill_files > 0);
	/* 50000 groups do not fit a sixteenth of 512 KiB: partitions split again. */
	assert_int_equal(agg->phys.spill_passes, 2);
	assert_true(agg->phys.peak_memory <= 512 << 10);
}

static void test_distinct_over_its_budget_partitions_its_input_by_hash(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 100000, 50000);
	assert_int_equal(plan_query(e, "SELECT DISTINCT k, s FROM s.big", &p), 0);
	sql_plan *d = find_node(p, SQL_PLAN_DISTINCT);
	if (!d)
		d = find_node(p, SQL_PLAN_AGGREGATE);
	digest big = run_digest(e, p, d, (uint64_t)1 << 30);
	digest small = run_digest(e, p, d, 256 << 10);
	assert_true(big.n > 50000);
	assert_int_equal(small.n, big.n);
	assert_true(small.unordered == big.unordered);
	assert_true(d->phys.spill_bytes > 0);
}

static void test_a_group_larger_than_its_budget_names_memory_per_job(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 100000, 1);
	assert_int_equal(plan_query(e, "SELECT count(DISTINCT v) AS n FROM s.big WHERE k = 0", &p), 0);
	sql_plan *agg = find_node(p, SQL_PLAN_AGGREGATE);
	agg->line = 7;
	agg->phys.memory_budget = 64 << 10;
	assert_int_equal(run(e, p), -ENOMEM);
	char msg[600];
	sql_error_format(&e->err, msg, sizeof msg);
	assert_string_equal(msg, "line 7: HashAggregate needs more than its memory budget of 0.06 MiB for the "
				 "groups it holds (raise memory_per_job in metafs.ini)");
	agg->phys.memory_budget = 8 << 20;
	assert_int_equal(run(e, p), 0);
	assert_string_equal(e->rows.rows[0], "1000");
}

/* s.l (k bigint, v string), 100000 rows, and s.r (k bigint, w string),
 * 100000 rows: keys that repeat, match or not, and some NULL keys. */
static void make_join_sides(struct efx *e)
{
	fx *f = &e->f;
	textbuf l = TEXTBUF_INIT, r = TEXTBUF_INIT;

	assert_int_equal(fx_table(f, "s", "l", STORE_FORMAT_CSV, false, "k:bigint,v:string", NULL), 0);
	assert_int_equal(fx_table(f, "s", "r", STORE_FORMAT_CSV, false, "k:bigint,w:string", NULL), 0);
	for (int i = 0; i < 100000; i++) {
		if (i % 13 == 0)
			textbuf_printf(&l, ",v-%d\n", i);
		else
			textbuf_printf(&l, "%d,v-%d\n", i % 60000, i);
	}
	for (int i = 0; i < 100000; i++) {
		if (i % 17 == 0)
			textbuf_printf(&r, ",w-%d\n", i);
		else
			textbuf_printf(&r, "%d,w-%d\n", (i * 7) % 80000, i);
	}
	assert_int_equal(fx_add_file(f, "s", "l", NULL, "a.csv", l.data), 0);
	assert_int_equal(fx_add_file(f, "s", "r", NULL, "a.csv", r.data), 0);
	textbuf_free(&l);
	textbuf_free(&r);
}

static void test_join_over_its_budget_partitions_both_sides(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	static const sql_join_type types[] = {SQL_JOIN_INNER, SQL_JOIN_LEFT, SQL_JOIN_RIGHT, SQL_JOIN_FULL,
					      SQL_JOIN_LEFT_SEMI, SQL_JOIN_LEFT_ANTI};

	make_join_sides(e);
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		/* A residual condition too, where it decides unmatched rows. */
		int variants = types[t] == SQL_JOIN_FULL || types[t] == SQL_JOIN_LEFT_ANTI ? 2 : 1;
		for (int residual = 0; residual < variants; residual++) {
			sql_plan *j = join(f, types[t], fx_scan(f, "s", "l"), fx_scan(f, "s", "r"));
			if (residual)
				j->cond = fx_bin(f, SQL_OP_LT, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_STRING),
						 fx_col(f, 3, SQL_TYPE_STRING));
			digest big = run_digest(e, j, j, (uint64_t)1 << 30);
			assert_int_equal(j->phys.spill_files, 0);
			digest small = run_digest(e, j, j, 256 << 10);
			assert_int_equal(small.n, big.n);
			assert_true(small.unordered == big.unordered);
			assert_true(j->phys.spill_bytes > 0);
			assert_true(j->phys.spill_files > 0);
			assert_true(j->phys.spill_passes >= 1);
			assert_true(j->phys.peak_memory <= 256 << 10);
		}
	}
}

static void test_not_in_over_its_budget_partitions_both_sides(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_join_sides(e);
	/* s.r holds NULL keys: NOT IN is never true. */
	sql_plan *j = null_aware(join(f, SQL_JOIN_LEFT_ANTI, fx_scan(f, "s", "l"), fx_scan(f, "s", "r")));
	digest big = run_digest(e, j, j, (uint64_t)1 << 30);
	digest small = run_digest(e, j, j, 256 << 10);
	assert_int_equal(big.n, 0);
	assert_int_equal(small.n, 0);
	assert_true(j->phys.spill_files > 0);
	/* Without them: the left rows whose key is not on the right, and not NULL. */
	sql_plan *nonnull = fx_node(f, SQL_PLAN_FILTER, fx_scan(f, "s", "r"), 1);
	nonnull->cond = sql_expr_new(f->a, SQL_EXPR_IS_NULL, 1, 1);
	nonnull->cond->type = SQL_TYPE_BOOLEAN;
	nonnull->cond->resolved = true;
	nonnull->cond->negated = true;
	nonnull->cond->nargs = 1;
	nonnull->cond->args = sql_arena_alloc(f->a, sizeof *nonnull->cond->args);
	nonnull->cond->args[0] = fx_col(f, 0, SQL_TYPE_BIGINT);
	j = null_aware(join(f, SQL_JOIN_LEFT_ANTI, fx_scan(f, "s", "l"), nonnull));
	big = run_digest(e, j, j, (uint64_t)1 << 30);
	small = run_digest(e, j, j, 256 << 10);
	assert_true(big.n > 1000);
	assert_int_equal(small.n, big.n);
	assert_true(small.unordered == big.unordered);
	assert_true(j->phys.spill_files > 0);
	/* With a residual it cannot be partitioned. */
	j->cond = fx_bin(f, SQL_OP_LT, SQL_TYPE_BOOLEAN, fx_col(f, 1, SQL_TYPE_STRING), fx_col(f, 3, SQL_TYPE_STRING));
	j->phys.memory_budget = 256 << 10;
	assert_int_equal(run(e, j), -ENOMEM);
	assert_non_null(strstr(e->err.message, "for the right side of a NOT IN of several columns or with a "
				"condition, which it cannot partition (raise memory_per_job in metafs.ini)"));
}

static void test_join_without_keys_over_its_budget_names_memory_per_job(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_join_sides(e);
	sql_plan *j = no_keys(join(f, SQL_JOIN_INNER, fx_scan(f, "s", "l"), fx_scan(f, "s", "r")));
	j->line = 4;
	j->phys.memory_budget = 1 << 20;
	assert_int_equal(run(e, j), -ENOMEM);
	char msg[600];
	sql_error_format(&e->err, msg, sizeof msg);
	assert_string_equal(msg, "line 4: HashJoin needs more than its memory budget of 1 MiB for its right side, "
				 "which it cannot partition without an equality key (raise memory_per_job in metafs.ini)");
}

static void test_the_planner_shares_memory_per_job_among_the_operators_that_hold_rows(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	make_big(e, 1000, 10);
	assert_int_equal(plan_query(e, "SELECT k, count(*) AS n FROM s.big GROUP BY k ORDER BY n", &p), 0);
	sql_plan *agg = find_node(p, SQL_PLAN_AGGREGATE), *srt = find_node(p, SQL_PLAN_SORT);
	sql_limits lim = {.threads = 1, .memory_per_job = 1 << 20};
	assert_int_equal(sql_plan_physical(e->f.a, &lim, p, &e->err), 0);
	/* A floor of a sixteenth each, the rest by estimate: all of it, no more. */
	assert_true(agg->phys.memory_budget >= (1 << 16) && srt->phys.memory_budget >= (1 << 16));
	assert_true(agg->phys.memory_budget + srt->phys.memory_budget <= 1 << 20);
	assert_true(agg->phys.memory_budget + srt->phys.memory_budget >= (1 << 20) - 2);
	lim.memory_per_job = (uint64_t)1 << 30;
	assert_int_equal(sql_plan_physical(e->f.a, &lim, p, &e->err), 0);
	assert_true(srt->phys.memory_budget >= (1 << 20));
	lim.memory_per_operator = 1 << 22;
	assert_int_equal(sql_plan_physical(e->f.a, &lim, p, &e->err), 0);
	assert_int_equal(agg->phys.memory_budget, 1 << 22);
}

/* Every field of every type of value comes back from a spill file as it
 * was written, whatever fields sql_value has. */
static void test_a_spill_file_gives_back_every_value_as_written(void **state)
{
	struct efx *e = *state;
	sql_value row[10];
	sql_spill_file *f;
	const sql_value *back;
	char big[20000];

	memset(row, 0, sizeof row);
	memset(big, 'b', sizeof big);
	row[0] = (sql_value){.type = SQL_TYPE_BIGINT, .u.i = INT64_MIN};
	row[1] = (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = -0.5};
	row[2] = (sql_value){.type = SQL_TYPE_BOOLEAN, .u.b = true};
	row[3] = (sql_value){.type = SQL_TYPE_DATE, .u.i = 19845};
	row[4] = (sql_value){.type = SQL_TYPE_TIMESTAMP, .u.i = 1714521600123456};
	row[5] = (sql_value){.type = SQL_TYPE_STRING, .u.s = {"h\0llo", 5}};
	row[6] = (sql_value){.type = SQL_TYPE_STRING, .u.s = {big, sizeof big}};
	row[7] = (sql_value){.type = SQL_TYPE_DOUBLE, .null = true};
	/* A NULL of a type with parameter bits (decimal(15,2)'s encoding). */
	row[8] = (sql_value){.type = sql_type_decimal(15, 2), .null = true};
	/* A decimal's 128 bits, both halves. */
	row[9] = (sql_value){.type = sql_type_decimal(38, 4)};
	row[9].u.dec = (sql_int128)INT64_MAX * 1000000007 + 12345;
	assert_int_equal(sql_spill_create(e->f.dir, 10, &f, &e->err), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sql_spill_write(f, row, &e->err), 0);
	assert_int_equal(sql_spill_rewind(f, &e->err), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sql_spill_read(f, &back, &e->err), 0);
		for (int c = 0; c < 10; c++) {
			sql_value x = row[c], y = back[c];
			assert_int_equal(x.type, y.type);
			assert_int_equal(x.null, y.null);
			if (x.null)
				continue;
			if (x.type == SQL_TYPE_STRING) {
				assert_int_equal(x.u.s.len, y.u.s.len);
				assert_memory_equal(x.u.s.ptr, y.u.s.ptr, x.u.s.len);
				x.u.s.ptr = y.u.s.ptr = NULL;
			}
			assert_memory_equal(&x, &y, sizeof x);
		}
	}
	assert_int_equal(sql_spill_read(f, &back, &e->err), 1);
	assert_true(sql_spill_bytes(f) > 3 * sizeof big);
	assert_int_equal(sql_spill_rows(f), 3);
	sql_spill_close(f);
	/* Nothing of it has a name in the directory. */
	assert_int_equal(sql_spill_sweep(e->f.dir), 0);
}

static void test_bad_rows_fail_the_query_or_are_skipped(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	assert_int_equal(fx_table(f, "s", "dirty", STORE_FORMAT_CSV, false, "n:bigint", NULL), 0);
	assert_int_equal(fx_add_file(f, "s", "dirty", NULL, "a.csv", "1\n2\nthree\n4\n"), 0);
	sql_plan *scan = fx_scan(f, "s", "dirty");
	assert_int_equal(run(e, scan), -EINVAL);
	assert_non_null(strstr(e->err.message, "/s/dirty/a.csv line 3: column \"n\": \"three\" is not a bigint"));
	e->ctx.bad_rows = SQL_BAD_ROWS_SKIP;
	e->progress = (sql_progress){0};
	assert_int_equal(run(e, scan), 0);
	assert_int_equal(e->rows.n, 3);
	assert_int_equal(e->progress.rows_skipped, 1);
}

static void test_cancel_stops_the_query(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	e->progress.cancel = 1;
	assert_int_equal(run(e, values2(f, 4, LEFT)), -ECANCELED);
	assert_string_equal(e->err.message, "query cancelled");
}

/* ---- the catalog's scan_source hook (the exchange) ------------------------------- */

struct hook_state {
	unsigned opens, releases;
	char paths[8][PATH_MAX];
};

/* Every file reads as one transformed row: its id kept, region masked. */
static int hook_open(void *ctx, const store_file *f, const char *path, int *fd, char *err,
		     size_t errlen)
{
	struct hook_state *h = ctx;
	FILE *tmp = tmpfile();

	(void)err;
	(void)errlen;
	assert_non_null(f);
	if (h->opens < 8)
		snprintf(h->paths[h->opens], sizeof h->paths[0], "%s", path);
	h->opens++;
	if (!tmp)
		return -errno;
	fprintf(tmp, "id,region,amount\n%u,masked,1\n", h->opens);
	fflush(tmp);
	*fd = dup(fileno(tmp));
	fclose(tmp);
	lseek(*fd, 0, SEEK_SET);
	return 0;
}

static void hook_release(void *ctx)
{
	((struct hook_state *)ctx)->releases++;
}

static int hook_source(void *ctx, const sql_catalog *cat, unsigned table_platform,
		       const store_table *t, sql_scan_source *out, sql_error *err)
{
	(void)cat;
	(void)err;
	if (table_platform != 0 || strcmp(t->name, "mirror") != 0)
		return 0;
	out->from_source = true;
	out->platform = 0;
	strcpy(out->db, "sales");
	strcpy(out->table, "orders");
	out->open_file = hook_open;
	out->open_ctx = ctx;
	out->release = hook_release;
	return 0;
}

static void test_scan_source_reads_another_tables_files_through_open_file(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;
	struct hook_state h = {0};

	make_orders(e);
	assert_int_equal(fx_table(f, "sales", "mirror", STORE_FORMAT_CSV, true,
				  "id:bigint,region:string,amount:double", "dt:string"), 0);
	f->cat.scan_source = hook_source;
	f->cat.scan_source_ctx = &h;
	assert_int_equal(run(e, fx_scan(f, "sales", "mirror")), 0);
	/* The mirror has no files of its own: the source's four, each through
	 * the hook, and only its rows. */
	assert_int_equal(h.opens, 4);
	assert_int_equal(h.releases, 1);
	assert_int_equal(e->rows.n, 4);
	for (uint32_t i = 0; i < e->rows.n; i++)
		assert_non_null(strstr(e->rows.rows[i], "|masked|1.0|2024-05-0"));
	assert_non_null(strstr(h.paths[0], "/sales/orders/dt="));
	/* A table the hook leaves alone reads its own files. */
	assert_int_equal(run(e, fx_scan(f, "sales", "orders")), 0);
	assert_int_equal(e->rows.n, 8);
	assert_int_equal(h.opens, 4);
}

static void test_scan_without_a_source_hook_reads_only_its_own_files(void **state)
{
	struct efx *e = *state;
	fx *f = &e->f;

	make_orders(e);
	assert_int_equal(fx_table(f, "sales", "mirror", STORE_FORMAT_CSV, true,
				  "id:bigint,region:string,amount:double", "dt:string"), 0);
	/* Without the hook, a table with no files reads nothing: never
	 * another table's bytes by accident. */
	assert_int_equal(run(e, fx_scan(f, "sales", "mirror")), 0);
	assert_int_equal(e->rows.n, 0);
}

/* Column c: 2, 3, 1, 2. */
#define V4 "(SELECT col1 AS c FROM (VALUES 2, 3, 1, 2) t) v"

static void test_order_by_position_and_alias_name_the_output_column(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT 2 AS x UNION ALL SELECT 3 UNION ALL SELECT 1 ORDER BY 1 LIMIT 1"),
			    "1");
	assert_string_equal(rows_of(e, "SELECT 2 AS x UNION ALL SELECT 3 UNION ALL SELECT 1 ORDER BY x DESC"),
			    "3 2 1");
	assert_string_equal(rows_of(e, "SELECT 2 AS x UNION SELECT 3 UNION SELECT 2 ORDER BY 1 DESC"), "3 2");
	assert_string_equal(rows_of(e, "SELECT DISTINCT c FROM " V4 " ORDER BY 1 DESC"), "3 2 1");
	assert_string_equal(rows_of(e, "SELECT DISTINCT c AS k FROM " V4 " ORDER BY k LIMIT 2"), "1 2");
	assert_string_equal(rows_of(e, "SELECT DISTINCT 10 - c, c FROM " V4 " ORDER BY 2"),
			    "9|1 8|2 7|3");
	assert_string_equal(rows_of(e, "SELECT c, count(*) FROM " V4 " GROUP BY c "
				       "ORDER BY 2 DESC, 1 LIMIT 2"), "2|2 1|1");
	assert_string_equal(rows_of(e, "SELECT DISTINCT count(*) AS n FROM " V4 " "
				       "GROUP BY c ORDER BY 1 DESC"), "2 1");
	assert_string_equal(rows_of(e, "SELECT c, count(*) FROM " V4 " GROUP BY c "
				       "HAVING count(*) > 0 ORDER BY 2, 1 DESC"), "3|1 1|1 2|2");
	assert_string_equal(rows_of(e, "SELECT -c FROM " V4 " ORDER BY 1"), "-3 -2 -2 -1");
	assert_string_equal(rows_of(e, "SELECT * FROM (SELECT 2 AS x UNION ALL SELECT 1) u ORDER BY 1"),
			    "1 2");
}

static void test_order_by_position_out_of_range_is_an_error_naming_it(void **state)
{
	struct efx *e = *state;

	assert_non_null(strstr(error_of(e, "SELECT 1 UNION ALL SELECT 2 ORDER BY 2"),
			       "ORDER BY position 2 is not in the select list"));
	assert_non_null(strstr(error_of(e, "SELECT DISTINCT c FROM " V4 " ORDER BY 0"),
			       "ORDER BY position 0 is not in the select list"));
	assert_non_null(strstr(error_of(e, "SELECT 1 UNION SELECT 2 ORDER BY 3 DESC"),
			       "ORDER BY position 3 is not in the select list"));
	assert_non_null(strstr(error_of(e, "SELECT c FROM " V4 " ORDER BY -1"),
			       "ORDER BY position -1 is not in the select list"));
}

static void test_smallest_bigint_literal_is_a_bigint(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT -9223372036854775808, -9223372036854775808 + 1, "
				       "-9223372036854775807 - 1, -9223372036854775809"),
			    "-9223372036854775808|-9223372036854775807|-9223372036854775808|"
			    "-9223372036854775809");
	assert_string_equal(rows_of(e, "SELECT col1 FROM (VALUES -9223372036854775808, 1, "
				       "9223372036854775807) v ORDER BY 1 DESC"),
			    "9223372036854775807 1 -9223372036854775808");
}

static void test_upper_and_lower_map_every_script(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT upper('h\xc3\xa9llo'), lower('\xc3\x89T\xc3\x89')"),
			    "H\xc3\x89LLO|\xc3\xa9t\xc3\xa9");
	/* Greek, Cyrillic, Latin Extended, fullwidth. */
	assert_string_equal(rows_of(e, "SELECT upper('\xce\xb1\xce\xb2\xce\xb3 \xd0\xbf\xd1\x80\xd0\xb8"
				       " \xc5\x82\xc3\xb8 \xef\xbd\x81')"),
			    "\xce\x91\xce\x92\xce\x93 \xd0\x9f\xd0\xa0\xd0\x98 \xc5\x81\xc3\x98 \xef\xbc\xa1");
	assert_string_equal(rows_of(e, "SELECT lower('\xce\xa3\xce\xa9 \xd0\x96 \xc3\x84\xc3\x96')"),
			    "\xcf\x83\xcf\x89 \xd0\xb6 \xc3\xa4\xc3\xb6");
	/* No simple mapping: unchanged (sharp s, CJK, digits). */
	assert_string_equal(rows_of(e, "SELECT upper('\xc3\x9f\xe4\xb8\xad" "1'), lower('\xe4\xb8\xad')"),
			    "\xc3\x9f\xe4\xb8\xad" "1|\xe4\xb8\xad");
}

static void test_upper_and_lower_pass_invalid_utf8_through(void **state)
{
	struct efx *e = *state;
	static const char in[] = "a\xff" "b\xc3(\xe9";
	char out[32];
	sql_value arg = {.type = SQL_TYPE_STRING, .u.s = {in, sizeof in - 1}}, v;

	assert_int_equal(sql_func_apply(e->f.a, SQL_FUNC_UPPER, &arg, 1, &v), 0);
	assert_int_equal(v.u.s.len, sizeof in - 1);
	memcpy(out, v.u.s.ptr, v.u.s.len);
	assert_memory_equal(out, "A\xff" "B\xc3(\xe9", sizeof in - 1);
	assert_int_equal(sql_func_apply(e->f.a, SQL_FUNC_LOWER, &v, 1, &v), 0);
	assert_memory_equal(v.u.s.ptr, in, sizeof in - 1);
}

static void test_like_wildcards_match_characters_not_bytes(void **state)
{
	struct efx *e = *state;

	assert_string_equal(rows_of(e, "SELECT '\xc3\xa9' LIKE '_', '\xc3\xa9' LIKE '__', "
				       "'\xe4\xb8\xad\xc3\xa9x' LIKE '_\xc3\xa9_', '\xf0\x9f\x98\x80' LIKE '_', "
				       "'a\xc3\xa9z' LIKE 'a%z', 'a\xc3\xa9z' LIKE '%\xc3\xa9_'"),
			    "true|false|true|true|true|true");
	assert_string_equal(rows_of(e, "SELECT 'a_\xc3\xa9' LIKE 'a\\\\__', 'ab\xc3\xa9' LIKE 'a\\\\__', "
				       "'5%' LIKE '_\\\\%', '\xc3\xa9%' LIKE '_\\\\%'"),
			    "true|false|true|true");
}

/* Only scans run on several threads; everything else says threads=1, and
 * the one join the engine has is named for what it is. */
static void test_plan_states_the_threads_and_join_that_run(void **state)
{
	struct efx *e = *state;
	sql_plan *p, *n;

	make_orders(e);
	assert_int_equal(plan_query(e, "SELECT a.region, count(*) AS n FROM sales.orders a "
				       "JOIN sales.orders b ON a.id = b.id GROUP BY a.region "
				       "ORDER BY n", &p), 0);
	n = find_node(p, SQL_PLAN_SCAN);
	assert_non_null(n);
	assert_int_equal(n->phys.threads, 2);
	n = find_node(p, SQL_PLAN_JOIN);
	assert_non_null(n);
	assert_string_equal(n->phys.op, "HashJoin");
	assert_int_equal(n->phys.threads, 1);
	assert_int_equal(find_node(p, SQL_PLAN_AGGREGATE)->phys.threads, 1);
	assert_int_equal(find_node(p, SQL_PLAN_SORT)->phys.threads, 1);

	textbuf b = TEXTBUF_INIT;
	sql_plan_print(p, true, true, &b);
	assert_int_equal(textbuf_error(&b), 0);
	assert_non_null(strstr(b.data, "HashJoin [id#"));
	assert_non_null(strstr(b.data, "Inner, BuildRight, threads=1"));
	assert_null(strstr(b.data, "Broadcast"));
	textbuf_free(&b);
}

/* sales.rnd (id bigint, k bigint, s string, d double): ROWS seeded random
 * rows in one file (so one scan thread, and input order is file order),
 * with few distinct keys (many ties) and NULLs in every key. */
static void make_random(struct efx *e, uint32_t rows)
{
	textbuf b = TEXTBUF_INIT;
	uint64_t x = 42;

	assert_int_equal(fx_table(&e->f, "sales", "rnd", STORE_FORMAT_CSV, true,
				  "id:bigint,k:bigint,s:string,d:double", ""), 0);
	textbuf_puts(&b, "id,k,s,d\n");
	for (uint32_t i = 0; i < rows; i++) {
		uint32_t r[3];
		for (int j = 0; j < 3; j++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			r[j] = (uint32_t)(x >> 33);
		}
		textbuf_printf(&b, "%u,", i);
		if (r[0] % 7)
			textbuf_printf(&b, "%u", r[0] % 5);
		textbuf_puts(&b, ",");
		if (r[1] % 5)
			textbuf_printf(&b, "s%u", r[1] % 4);
		textbuf_puts(&b, ",");
		if (r[2] % 6)
			textbuf_printf(&b, "%u.5", r[2] % 9);
		textbuf_puts(&b, "\n");
	}
	assert_int_equal(textbuf_error(&b), 0);
	assert_int_equal(fx_add_file(&e->f, "sales", "rnd", NULL, "part-0.csv", b.data), 0);
	textbuf_free(&b);
}

/* ORDER BY ... LIMIT n [OFFSET m] keeps no more than n + m rows, and gives
 * exactly the rows and order of the full sort cut to the limit. */
static void test_top_n_equals_sort_then_limit_and_holds_only_n_rows(void **state)
{
	struct efx *e = *state;
	static const char *orders[] = {
		"k", "k DESC", "k NULLS LAST, s DESC", "s DESC NULLS FIRST, d", "d DESC, k, s",
	};
	static const struct { int64_t n, off; } cuts[] = {
		{0, 0}, {1, 0}, {7, 0}, {100, 0}, {499, 0}, {500, 0}, {1000, 0},
		{1, 3}, {10, 95}, {50, 480}, {5, 500}, {0, 10},
	};
	enum { ROWS = 500 };
	char *full[ROWS];
	char text[256];
	sql_plan *p;

	make_random(e, ROWS);
	for (size_t o = 0; o < sizeof orders / sizeof *orders; o++) {
		snprintf(text, sizeof text, "SELECT id, k, s, d FROM sales.rnd ORDER BY %s", orders[o]);
		assert_int_equal(plan_query(e, text, &p), 0);
		assert_string_equal(find_node(p, SQL_PLAN_SORT)->phys.op, "Sort");
		assert_int_equal(run(e, p), 0);
		assert_int_equal(e->rows.n, ROWS);
		assert_int_equal(find_node(p, SQL_PLAN_SORT)->phys.peak_rows, ROWS);
		for (uint32_t i = 0; i < ROWS; i++)
			full[i] = strdup(e->rows.rows[i]);
		for (size_t c = 0; c < sizeof cuts / sizeof *cuts; c++) {
			int64_t n = cuts[c].n, off = cuts[c].off;
			int len = snprintf(text, sizeof text, "SELECT id, k, s, d FROM sales.rnd "
					   "ORDER BY %s LIMIT %" PRId64, orders[o], n);
			if (off)
				snprintf(text + len, sizeof text - (size_t)len, " OFFSET %" PRId64, off);
			assert_int_equal(plan_query(e, text, &p), 0);
			sql_plan *sort = find_node(p, SQL_PLAN_SORT);
			assert_string_equal(sort->phys.op, "TopN");
			assert_int_equal(sort->phys.topn_rows, (uint64_t)(n + off));
			assert_int_equal(run(e, p), 0);
			int64_t want = ROWS - off < n ? ROWS - off : n;
			if (want < 0)
				want = 0;
			assert_int_equal(e->rows.n, (uint32_t)want);
			for (uint32_t i = 0; i < e->rows.n; i++)
				assert_string_equal(e->rows.rows[i], full[off + i]);
			assert_true(sort->phys.peak_rows <= (uint64_t)(n + off));
			assert_true(sort->phys.peak_rows <= ROWS);
		}
		for (uint32_t i = 0; i < ROWS; i++)
			free(full[i]);
	}
}

static void test_limit_offset_skips_rows_and_plans_show_top_n(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	assert_string_equal(rows_of(e, "SELECT col1 FROM (VALUES 5, 3, NULL, 1, 4, 2) v "
				       "ORDER BY col1 DESC LIMIT 2 OFFSET 1"), "4 3");
	assert_string_equal(rows_of(e, "SELECT col1 FROM (VALUES 5, 3, 1) v LIMIT 5 OFFSET 1"), "3 1");
	assert_string_equal(rows_of(e, "SELECT col1 FROM (VALUES 5, 3, 1) v LIMIT 2 OFFSET 3"), "");
	assert_int_equal(plan_query(e, "SELECT col1 FROM (VALUES 5, 3, 1) v ORDER BY col1 "
				       "LIMIT 2 OFFSET 1", &p), 0);
	textbuf b = TEXTBUF_INIT;
	sql_plan_print(p, true, true, &b);
	assert_int_equal(textbuf_error(&b), 0);
	assert_non_null(strstr(b.data, "CollectLimit 2, offset=1, threads=1"));
	assert_non_null(strstr(b.data, "TopN [col1#"));
	assert_non_null(strstr(b.data, " ASC NULLS FIRST], limit=3, threads=1"));
	textbuf_free(&b);
}

/* ---- Parquet tables ------------------------------------------------------------------------ */

#include "fmt_parquet.h"

/* Parquet table sales.NAME with the columns and partition keys COLS and
 * PARTKEYS, and the table properties PROPS ("k=v\n" lines, or NULL). */
static void pq_table(struct efx *e, const char *name, const char *cols, const char *partkeys,
		     const char *props)
{
	store_txn *txn;
	store_table t = {0};
	store_column c[16];
	uint32_t ncolumns = fx_columns(cols, c);
	uint32_t npartkeys = fx_columns(partkeys, c + ncolumns);

	assert_int_equal(fx_table_create(e->f.env, "sales", name, STORE_FORMAT_PARQUET, false, c,
					 ncolumns, npartkeys, NULL), 0);
	if (!props)
		return;
	assert_int_equal(store_write_begin(e->f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", name, &t), 0);
	free(t.properties);
	t.properties = strdup(props);
	assert_int_equal(store_table_alter(txn, &t, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	store_table_clear(&t);
}

static sql_value pq_v(sql_type t, const char *text)
{
	sql_value v = {.type = t};

	if (!text) {
		v.null = true;
		return v;
	}
	size_t n = strlen(text);
	if (t == SQL_TYPE_STRING) {
		v.u.s.ptr = text;
		v.u.s.len = (uint32_t)n;
	} else if (t == SQL_TYPE_BIGINT) {
		v.u.i = strtoll(text, NULL, 10);
	} else if (t == SQL_TYPE_DOUBLE) {
		v.u.d = strtod(text, NULL);
	} else if (t == SQL_TYPE_BOOLEAN) {
		v.u.b = !strcmp(text, "true");
	} else if (t == SQL_TYPE_DATE) {
		assert_int_equal(sql_date_parse(text, n, &v.u.i), 0);
	} else if (t == SQL_TYPE_TIMESTAMP) {
		assert_int_equal(sql_timestamp_parse(text, n, &v.u.i), 0);
	} else {
		assert_int_equal(sql_decimal_parse(text, n, t, &v.u.dec), 0);
	}
	return v;
}

/* The path of the one data file of unpartitioned table sales.NAME. */
static void pq_only_file(struct efx *e, const char *name, char *path, size_t cap)
{
	store_txn *txn;
	store_table t = {0};
	store_iter *it;
	store_file f;

	assert_int_equal(store_read_begin(e->f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", name, &t), 0);
	assert_int_equal(store_iter_files(txn, t.id, NULL, &it), 0);
	assert_int_equal(store_iter_next(it, &f), 0);
	assert_int_equal(store_data_path(txn, e->f.data, &t, t.id, f.name, path, cap), 0);
	store_iter_close(it);
	store_table_clear(&t);
	store_abort(txn);
}

static fmt_parquet *pq_open(const char *path)
{
	fmt_parquet *p = NULL;
	fmt_error ferr;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fmt_parquet_open_fd(fd, path, &p, &ferr), 0);
	close(fd);
	return p;
}

/* sales.pnums (id bigint, name string), rows 0..N-1 ("n<id>"), small row groups. */
static void pq_numbers(struct efx *e, const char *props, int n)
{
	sql_output *o = NULL;
	char name[32];

	pq_table(e, "pnums", "id:bigint,name:string", NULL, props);
	assert_int_equal(sql_output_open(&e->f.cat, 0, "sales", "pnums", false, NULL, "n1", &o, &e->err), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "n%d", i);
		sql_value row[2] = {pq_v(SQL_TYPE_BIGINT, "0"), pq_v(SQL_TYPE_STRING, name)};
		row[0].u.i = i;
		assert_int_equal(sql_output_row(o, row, 2), 0);
	}
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &e->err), 0);
}

/* The one SCAN of P. */
static sql_plan *pq_scan_node(sql_plan *p)
{
	sql_plan *s = find_node(p, SQL_PLAN_SCAN);

	assert_non_null(s);
	return s;
}

static void test_parquet_every_type_with_nulls_reads_back(void **state)
{
	struct efx *e = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	store_txn *txn;
	store_table t = {0};
	sql_type dec = sql_type_decimal(15, 2), big = sql_type_decimal(30, 5);
	const sql_type types[9] = {SQL_TYPE_BIGINT, SQL_TYPE_DOUBLE, SQL_TYPE_BOOLEAN, SQL_TYPE_STRING,
				   SQL_TYPE_DATE, SQL_TYPE_TIMESTAMP, dec, big, SQL_TYPE_STRING};
	const char *rows[3][9] = {
		{"1", "1.5", "true", "a,b", "2024-05-01", "2024-05-01 12:34:56.123456", "12.34",
		 "123456789012345678901.12345", "x"},
		{NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "x"},
		{"-7", "-0.25", "false", "", "1969-12-31", "1960-01-01 00:00:00", "-0.05", "-1", "y"},
	};

	store_column cols[9] = {{"b", STORE_TYPE_BIGINT}, {"d", STORE_TYPE_DOUBLE},
				{"ok", STORE_TYPE_BOOLEAN}, {"s", STORE_TYPE_STRING},
				{"day", STORE_TYPE_DATE}, {"ts", STORE_TYPE_TIMESTAMP},
				{"amt", store_type_decimal(15, 2)}, {"big", store_type_decimal(30, 5)},
				{"dt", STORE_TYPE_STRING}};
	assert_int_equal(fx_table_create(e->f.env, "sales", "pall", STORE_FORMAT_PARQUET, false, cols,
					 8, 1, NULL), 0);
	assert_int_equal(sql_output_open(&e->f.cat, 0, "sales", "pall", false, NULL, "a1", &o, &e->err), 0);
	for (int r = 0; r < 3; r++) {
		sql_value row[9];
		for (int c = 0; c < 9; c++)
			row[c] = pq_v(types[c], rows[r][c]);
		assert_int_equal(sql_output_row(o, row, 9), 0);
	}
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &e->err), 0);
	assert_int_equal(st.files, 2);
	/* The recorded rows are the files' footers' (3), not a count of lines. */
	assert_int_equal(st.rows, 3);
	assert_int_equal(store_read_begin(e->f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "pall", &t), 0);
	assert_int_equal(t.rows, 3);
	store_table_clear(&t);
	store_abort(txn);

	assert_string_equal(rows_of(e, "SELECT * FROM sales.pall ORDER BY b"),
			    "NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|x "
			    "-7|-0.25|false||1969-12-31|1960-01-01 00:00:00|-0.05|-1.00000|y "
			    "1|1.5|true|a,b|2024-05-01|2024-05-01 12:34:56.123456|12.34|"
			    "123456789012345678901.12345|x");
	/* Projection, and partition values from the path. */
	assert_string_equal(rows_of(e, "SELECT dt, amt FROM sales.pall WHERE s IS NOT NULL ORDER BY amt"),
			    "y|-0.05 x|12.34");
	assert_string_equal(rows_of(e, "SELECT count(*), count(ts), sum(amt) FROM sales.pall"),
			    "3|2|12.29");

	/* Filters of every type skip the file (one row group) that cannot match. */
	static const struct {
		const char *where, *rows;
		uint64_t read;
	} f[] = {{"amt > 1.5", "1", 1}, {"amt > 100", "", 0}, {"b > 1.5", "", 0},
		 {"b IN (1, 2.5)", "1", 1}, {"day >= DATE '2024-01-01'", "1", 1},
		 {"ts < TIMESTAMP '1970-01-01 00:00:00'", "-7", 1}, {"big = 1", "", 0},
		 {"big = -1", "-7", 1}, {"s = 'a,b'", "1", 1}, {"ok", "1", 1}, {"NOT ok", "-7", 1},
		 {"b IS NULL", "NULL", 1}, {"d <= -0.25", "-7", 1}};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char q[160];
		sql_plan *p;
		snprintf(q, sizeof q, "SELECT b FROM sales.pall WHERE %s", f[i].where);
		assert_int_equal(plan_query(e, q, &p), 0);
		assert_int_equal(run(e, p), 0);
		assert_string_equal(e->rows.n ? e->rows.rows[0] : "", f[i].rows);
		if (pq_scan_node(p)->phys.rowgroups_read != f[i].read)
			fail_msg("%s: %" PRIu64 " row groups read, not %" PRIu64, q,
				 pq_scan_node(p)->phys.rowgroups_read, f[i].read);
		/* The file whose recorded statistics rule it out is not even
		 * opened: its row group is neither read nor skipped. */
		assert_int_equal(pq_scan_node(p)->phys.rowgroups_read +
				 pq_scan_node(p)->phys.rowgroups_skipped +
				 pq_scan_node(p)->phys.files_skipped, 2);
		assert_int_equal(pq_scan_node(p)->phys.files_read +
				 pq_scan_node(p)->phys.files_skipped, 2);
		/* Each file's recorded statistics of every type decide as its
		 * footer's do: the file that cannot match is not opened. */
		if (pq_scan_node(p)->phys.files_read != f[i].read)
			fail_msg("%s: %" PRIu64 " files read, not %" PRIu64, q,
				 pq_scan_node(p)->phys.files_read, f[i].read);
	}
}

static void test_parquet_row_groups_are_skipped_by_their_statistics(void **state)
{
	struct efx *e = *state;
	char path[PATH_MAX + 64];
	sql_plan *p;

	pq_numbers(e, "parquet.block.size=2048\n", 2000);
	pq_only_file(e, "pnums", path, sizeof path);
	fmt_parquet *pq = pq_open(path);
	uint64_t groups = fmt_parquet_nrowgroups(pq);
	assert_int_equal(fmt_parquet_nrows(pq), 2000);
	fmt_parquet_close(pq);
	assert_true(groups >= 8);

	/* Everything, no column decoded for count(*). */
	assert_string_equal(rows_of(e, "SELECT count(*), sum(id), max(name) FROM sales.pnums"),
			    "2000|1999000|n999");

	/* A selective range: only the last row group(s) are decoded. */
	assert_int_equal(plan_query(e, "SELECT count(*), sum(id) FROM sales.pnums WHERE id >= 1990", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 1);
	assert_string_equal(e->rows.rows[0], "10|19945");
	sql_plan *s = pq_scan_node(p);
	assert_true(s->phys.rowgroups_read >= 1);
	assert_true(s->phys.rowgroups_read <= 2);
	assert_int_equal(s->phys.rowgroups_read + s->phys.rowgroups_skipped, groups);
	textbuf tb = TEXTBUF_INIT;
	char want[96];
	sql_plan_print(p, true, true, &tb);
	snprintf(want, sizeof want, "row groups: %" PRIu64 " read, %" PRIu64 " skipped",
		 s->phys.rowgroups_read, s->phys.rowgroups_skipped);
	assert_non_null(strstr(tb.data, "FileScan parquet"));
	assert_non_null(strstr(tb.data, want));
	textbuf_free(&tb);

	/* Equality with projection, an IN list, IS NULL, a literal on the left. */
	assert_int_equal(plan_query(e, "SELECT name FROM sales.pnums WHERE id = 7", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 1);
	assert_string_equal(e->rows.rows[0], "n7");
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_read, 1);

	assert_int_equal(plan_query(e, "SELECT id FROM sales.pnums WHERE id IN (3, 1999) ORDER BY id", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 2);
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_read, 2);
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_skipped, groups - 2);

	assert_int_equal(plan_query(e, "SELECT id FROM sales.pnums WHERE name IS NULL", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_int_equal(e->rows.n, 0);
	/* The file's recorded null count already says so: not opened. */
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_read, 0);
	assert_int_equal(pq_scan_node(p)->phys.files_skipped, 1);
	assert_int_equal(pq_scan_node(p)->phys.files_read, 0);

	assert_int_equal(plan_query(e, "SELECT count(*) FROM sales.pnums WHERE 100 > id AND name <> 'n5'", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_string_equal(e->rows.rows[0], "99");
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_read, 1);

	/* A filter statistics cannot decide reads everything, and still filters. */
	assert_int_equal(plan_query(e, "SELECT count(*) FROM sales.pnums WHERE id % 100 = 0", &p), 0);
	assert_int_equal(run(e, p), 0);
	assert_string_equal(e->rows.rows[0], "20");
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_read, groups);
	assert_int_equal(pq_scan_node(p)->phys.rowgroups_skipped, 0);
}

static void test_parquet_file_of_another_schema_fails_naming_file_and_column(void **state)
{
	struct efx *e = *state;
	store_txn *txn;
	store_table t = {0};

	pq_numbers(e, NULL, 10);
	/* The table now says name is a bigint; its file says string. */
	assert_int_equal(store_write_begin(e->f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "pnums", &t), 0);
	t.columns[1].type = STORE_TYPE_BIGINT;
	assert_int_equal(store_table_alter(txn, &t, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	store_table_clear(&t);
	const char *msg = error_of(e, "SELECT id FROM sales.pnums");
	assert_non_null(strstr(msg, "sales.pnums"));
	assert_non_null(strstr(msg, "part-n1-00000.parquet"));
	assert_non_null(strstr(msg, "column 'name' is string, the table's is bigint"));
}

static void test_parquet_compression_follows_the_table_property(void **state)
{
	struct efx *e = *state;
	char path[PATH_MAX + 64];
	static const struct {
		const char *props;
		fmt_pq_codec codec;
	} cases[] = {{NULL, FMT_PQ_SNAPPY},
		     {"parquet.compression=zstd\n", FMT_PQ_ZSTD},
		     {"compression=gzip\n", FMT_PQ_GZIP},
		     {"parquet.compression=UNCOMPRESSED\n", FMT_PQ_UNCOMPRESSED}};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		store_txn *txn;
		if (i) {
			assert_int_equal(store_write_begin(e->f.env, &txn), 0);
			assert_int_equal(store_table_drop(txn, "sales", "pnums", STORE_ORIGIN_TOOL), 0);
			assert_int_equal(store_commit(txn), 0);
			assert_int_equal(base_fs_tree_remove(path), 0);
		}
		pq_numbers(e, cases[i].props, 300);
		pq_only_file(e, "pnums", path, sizeof path);
		fmt_parquet *pq = pq_open(path);
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(pq, 0);
		assert_int_equal(rg->chunks[0].codec, cases[i].codec);
		assert_int_equal(rg->chunks[1].codec, cases[i].codec);
		fmt_parquet_close(pq);
		assert_string_equal(rows_of(e, "SELECT count(*), sum(id), min(name) FROM sales.pnums"),
				    "300|44850|n0");
	}
}

static void test_parquet_unknown_compression_fails_naming_the_property(void **state)
{
	struct efx *e = *state;
	sql_output *o = NULL;

	pq_table(e, "pbad", "id:bigint", NULL, "parquet.compression=lz4\n");
	assert_int_equal(sql_output_open(&e->f.cat, 0, "sales", "pbad", false, NULL, "b1", &o, &e->err),
			 -EINVAL);
	assert_non_null(strstr(e->err.message, "parquet.compression is 'lz4'"));
}

/* Append one Parquet file to sales.NAME (id bigint, name string, note
 * string): ids FIRST..FIRST+N-1, names LETTER x 70 then the id (longer than
 * the 64 bytes statistics keep), notes "k<id>" or all NULL. */
static void pq_append(struct efx *e, const char *name, int first, int n, char letter, bool nulls)
{
	sql_output *o = NULL;
	char nm[96], note[32], tag[16];

	/* Each its own run tag: its own file names. */
	snprintf(tag, sizeof tag, "s%d", first);
	assert_int_equal(sql_output_open(&e->f.cat, 0, "sales", name, false, NULL, tag, &o, &e->err), 0);
	for (int i = first; i < first + n; i++) {
		memset(nm, letter, 70);
		snprintf(nm + 70, sizeof nm - 70, "%d", i);
		snprintf(note, sizeof note, "k%d", i);
		sql_value row[3] = {pq_v(SQL_TYPE_BIGINT, "0"), pq_v(SQL_TYPE_STRING, nm),
				    pq_v(SQL_TYPE_STRING, nulls ? NULL : note)};
		row[0].u.i = i;
		assert_int_equal(sql_output_row(o, row, 3), 0);
	}
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &e->err), 0);
}

/* Plan and run TEXT: its rows joined, and the scan's file counts, as
 * planned (files_total, skipped) and as run (read, skipped). */
static const char *pq_files_of(struct efx *e, const char *text, uint64_t *plan_files,
			       uint64_t *plan_skipped, uint64_t *read, uint64_t *skipped)
{
	static char buf[4096];
	size_t n = 0;
	sql_plan *p;

	if (plan_query(e, text, &p) || run(e, p)) {
		char msg[600];
		sql_error_format(&e->err, msg, sizeof msg);
		fail_msg("%s: %s", text, msg);
	}
	buf[0] = '\0';
	for (uint32_t i = 0; i < e->rows.n; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", e->rows.rows[i]);
	sql_plan *s = pq_scan_node(p);
	assert_true(s->scan->stats_planned);
	*plan_files = s->scan->files_total - s->scan->files_skipped_by_stats;
	*plan_skipped = s->scan->files_skipped_by_stats;
	*read = s->phys.files_read;
	*skipped = s->phys.files_skipped;
	return buf;
}

static void test_parquet_files_are_skipped_by_their_recorded_statistics(void **state)
{
	struct efx *e = *state;
	uint64_t pf, ps, rd, sk;
	sql_plan *p;

	/* Five files of ten rows: ids 0-9, 100-109, ... 400-409; names of
	 * 'a' .. 'e'; the last file's notes all NULL. */
	pq_table(e, "pfiles", "id:bigint,name:string,note:string", NULL, NULL);
	for (int k = 0; k < 5; k++)
		pq_append(e, "pfiles", 100 * k, 10, (char)('a' + k), k == 4);

	static const struct {
		const char *where, *rows;
		uint64_t read;
	} f[] = {
		{"id >= 300", "20", 2},
		{"id BETWEEN 105 AND 108", "4", 1},
		{"id = 1000", "0", 0},
		{"id < 0 OR id > 400", "9", 1},
		{"id IN (3, 203)", "2", 2},
		{"note IS NULL", "10", 1},
		{"note IS NOT NULL", "40", 4},
		{"note = 'k7'", "1", 1},      /* strings order bytewise; NULLs never compare */
		{"id % 100 = 0", "5", 5},     /* nothing to decide by */
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		char q[160];
		snprintf(q, sizeof q, "SELECT count(*) FROM sales.pfiles WHERE %s", f[i].where);
		assert_string_equal(pq_files_of(e, q, &pf, &ps, &rd, &sk), f[i].rows);
		if (rd != f[i].read || pf != f[i].read)
			fail_msg("%s: %" PRIu64 " files read (%" PRIu64 " planned), not %" PRIu64, q, rd,
				 pf, f[i].read);
		assert_int_equal(sk, 5 - f[i].read);
		assert_int_equal(ps, 5 - f[i].read);
	}

	/* Names are cut to 64 bytes in the statistics: a name past a file's
	 * recorded max prefix may still be in it.  'c' x 70 then "205" is in
	 * the third file; only the files whose least name is above it go. */
	char q[200], nm[80];
	memset(nm, 'c', 70);
	snprintf(nm + 70, sizeof nm - 70, "205");
	snprintf(q, sizeof q, "SELECT id FROM sales.pfiles WHERE name = '%s'", nm);
	assert_string_equal(pq_files_of(e, q, &pf, &ps, &rd, &sk), "205");
	assert_int_equal(rd, 3);
	assert_int_equal(sk, 2);
	snprintf(q, sizeof q, "SELECT count(*) FROM sales.pfiles WHERE name > '%s'", nm);
	assert_string_equal(pq_files_of(e, q, &pf, &ps, &rd, &sk), "24");
	assert_int_equal(sk, 0);

	/* EXPLAIN: the files left and those skipped; the row estimate is the
	 * remaining files' recorded rows. */
	assert_int_equal(plan_query(e, "SELECT id FROM sales.pfiles WHERE id >= 300", &p), 0);
	textbuf tb = TEXTBUF_INIT;
	sql_plan_print(p, true, true, &tb);
	if (!strstr(tb.data, "files=2 skipped_by_stats=3"))
		fail_msg("%s", tb.data);
	textbuf_free(&tb);
	assert_int_equal(pq_scan_node(p)->scan->rows_selected, 20);
	assert_int_equal(plan_query(e, "SELECT id FROM sales.pfiles", &p), 0);
	assert_false(pq_scan_node(p)->scan->stats_planned);
	assert_int_equal(pq_scan_node(p)->scan->rows_selected, 50);

	/* A file recorded without statistics (before they existed) is read. */
	store_txn *txn;
	store_table t = {0};
	store_iter *it;
	store_file file;
	assert_int_equal(store_write_begin(e->f.env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "pfiles", &t), 0);
	assert_int_equal(store_iter_files(txn, t.id, NULL, &it), 0);
	bool found = false;
	while (!found && store_iter_next(it, &file) == 0) {
		store_colstat *st = NULL;
		uint32_t n = 0;
		assert_int_equal(store_file_stats(txn, t.id, file.name, &st, &n), 0);
		for (uint32_t i = 0; i < n; i++)
			if (st[i].column == 0 && st[i].min_len == 8 && st[i].min[0] == 0 &&
			    st[i].min[1] == 0)
				found = true;   /* ids from 0: the first file */
		free(st);
	}
	store_iter_close(it);
	assert_true(found);
	assert_true(file.nstats > 0);
	file.stats = NULL;
	file.nstats = 0;
	assert_int_equal(store_file_put(txn, &file, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	store_table_clear(&t);
	assert_string_equal(pq_files_of(e, "SELECT count(*) FROM sales.pfiles WHERE id >= 300",
					&pf, &ps, &rd, &sk), "20");
	assert_int_equal(rd, 3);
	assert_int_equal(sk, 2);
	assert_int_equal(pf, 3);
}

/* A catalog whose files are read through a transform (a mask). */
static int pq_transformed_source(void *ctx, const sql_catalog *cat, unsigned table_platform,
				 const store_table *t, sql_scan_source *out, sql_error *err)
{
	(void)ctx, (void)cat, (void)table_platform, (void)t, (void)err;
	out->transformed = true;
	return 0;
}

static void test_parquet_files_read_through_a_transform_are_never_skipped(void **state)
{
	struct efx *e = *state;
	uint64_t pf, ps, rd, sk;
	sql_plan *p;

	pq_table(e, "pmask", "id:bigint,name:string,note:string", NULL, NULL);
	for (int k = 0; k < 3; k++)
		pq_append(e, "pmask", 100 * k, 10, 'a', false);
	assert_string_equal(pq_files_of(e, "SELECT count(*) FROM sales.pmask WHERE id >= 200", &pf,
					&ps, &rd, &sk), "10");
	assert_int_equal(sk, 2);
	/* Masked values are not the recorded ones: every file is opened. */
	e->f.cat.scan_source = pq_transformed_source;
	assert_int_equal(plan_query(e, "SELECT count(*) FROM sales.pmask WHERE id >= 200", &p), 0);
	assert_false(pq_scan_node(p)->scan->stats_planned);
	assert_int_equal(run(e, p), 0);
	assert_string_equal(e->rows.rows[0], "10");
	assert_int_equal(pq_scan_node(p)->phys.files_skipped, 0);
	e->f.cat.scan_source = NULL;
}

static void test_parquet_partitions_are_skipped_by_their_files_statistics(void **state)
{
	struct efx *e = *state;
	sql_plan *p;

	/* Partitions p=a (ids 0-9) and p=b (ids 10-19), two files each. */
	pq_table(e, "pparts", "id:bigint", "p:string", NULL);
	for (int k = 0; k < 4; k++) {
		sql_output *o = NULL;
		char tag[16];
		snprintf(tag, sizeof tag, "p%d", k);
		assert_int_equal(sql_output_open(&e->f.cat, 0, "sales", "pparts", false, NULL, tag, &o,
						 &e->err), 0);
		for (int i = 5 * k; i < 5 * k + 5; i++) {
			sql_value row[2] = {pq_v(SQL_TYPE_BIGINT, "0"),
					    pq_v(SQL_TYPE_STRING, i < 10 ? "a" : "b")};
			row[0].u.i = i;
			assert_int_equal(sql_output_row(o, row, 2), 0);
		}
		assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &e->err), 0);
	}
	assert_int_equal(plan_query(e, "SELECT count(*), min(p) FROM sales.pparts WHERE id < 3", &p), 0);
	sql_plan *s = pq_scan_node(p);
	assert_true(s->scan->stats_planned);
	assert_int_equal(s->scan->partitions_total, 2);
	assert_int_equal(s->scan->partitions_selected, 1);
	assert_int_equal(s->scan->partitions_skipped_by_stats, 1);
	assert_int_equal(s->scan->files_total, 4);
	assert_int_equal(s->scan->files_skipped_by_stats, 3);
	assert_int_equal(run(e, p), 0);
	assert_string_equal(e->rows.rows[0], "3|a");
	assert_int_equal(s->phys.files_read, 1);
	assert_int_equal(s->phys.files_skipped, 3);
	assert_int_equal(s->phys.partitions_skipped, 1);

	/* With a partition filter too: the partitions it leaves, then their files. */
	assert_string_equal(rows_of(e, "SELECT count(*) FROM sales.pparts WHERE p = 'b' AND id >= 15"),
			    "5");
	assert_int_equal(plan_query(e, "SELECT count(*) FROM sales.pparts WHERE p = 'b' AND id >= 15",
				    &p), 0);
	s = pq_scan_node(p);
	assert_int_equal(s->scan->partitions_selected, 1);
	assert_int_equal(s->scan->partitions_skipped_by_stats, 0);
	assert_int_equal(s->scan->files_total, 2);
	assert_int_equal(s->scan->files_skipped_by_stats, 1);
	assert_int_equal(s->scan->rows_selected, 5);
	assert_int_equal(run(e, p), 0);
	assert_int_equal(s->phys.files_read, 1);
	assert_int_equal(s->phys.files_skipped, 1);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_scan_filter_aggregate_over_selected_partitions),
		TEST(test_data_filter_and_partition_ranges_prune_the_scan),
		TEST(test_global_aggregate_over_no_rows_yields_one_row),
		TEST(test_aggregates_keep_types_and_skip_nulls),
		TEST(test_inner_join_matches_equal_keys_and_never_null_keys),
		TEST(test_left_join_keeps_unmatched_rows_with_nulls),
		TEST(test_join_residual_condition_filters_matches),
		TEST(test_right_join_adds_unmatched_build_rows_with_nulls),
		TEST(test_full_join_keeps_unmatched_rows_of_both_sides),
		TEST(test_outer_joins_with_a_residual_pad_what_fails_it),
		TEST(test_semi_join_outputs_each_matching_left_row_once),
		TEST(test_anti_join_outputs_left_rows_without_a_match),
		TEST(test_semi_and_anti_joins_apply_the_residual_after_the_keys),
		TEST(test_null_aware_anti_join_with_a_null_on_the_right_outputs_nothing),
		TEST(test_null_aware_anti_join_drops_a_null_left_key_unless_right_is_empty),
		TEST(test_null_aware_anti_join_residual_decides_which_nulls_count),
		TEST(test_joins_over_an_empty_side),
		TEST(test_join_without_keys_compares_every_pair),
		TEST(test_one_row_join_fails_on_a_second_right_row),
		TEST(test_one_row_join_checks_when_it_spills),
		TEST(test_scalar_subquery_is_checked_for_one_row_when_it_runs),
		TEST(test_join_output_larger_than_a_batch_is_complete),
		TEST(test_comma_join_runs_with_keys_from_where),
		TEST(test_every_join_type_from_sql),
		TEST(test_tpch_comma_joins_plan_every_join_with_keys),
		TEST(test_sort_places_nulls_first_or_last_in_either_direction),
		TEST(test_sort_is_stable_for_equal_keys),
		TEST(test_limit_stops_after_n_rows),
		TEST(test_limit_over_a_parallel_scan_stops_the_workers),
		TEST(test_distinct_removes_duplicate_rows_including_nulls),
		TEST(test_union_all_keeps_both_sides),
		TEST(test_project_and_one_row),
		TEST(test_sort_over_its_budget_spills_sorted_runs_and_merges_them),
		TEST(test_sort_of_a_row_larger_than_its_budget_names_memory_per_job),
		TEST(test_topn_whose_limit_outgrows_its_budget_becomes_an_external_sort),
		TEST(test_aggregate_over_its_budget_partitions_its_input_by_hash),
		TEST(test_distinct_over_its_budget_partitions_its_input_by_hash),
		TEST(test_a_group_larger_than_its_budget_names_memory_per_job),
		TEST(test_join_over_its_budget_partitions_both_sides),
		TEST(test_not_in_over_its_budget_partitions_both_sides),
		TEST(test_join_without_keys_over_its_budget_names_memory_per_job),
		TEST(test_the_planner_shares_memory_per_job_among_the_operators_that_hold_rows),
		TEST(test_a_spill_file_gives_back_every_value_as_written),
		TEST(test_bad_rows_fail_the_query_or_are_skipped),
		TEST(test_cancel_stops_the_query),
		TEST(test_scan_source_reads_another_tables_files_through_open_file),
		TEST(test_scan_without_a_source_hook_reads_only_its_own_files),
		TEST(test_order_by_position_and_alias_name_the_output_column),
		TEST(test_order_by_position_out_of_range_is_an_error_naming_it),
		TEST(test_smallest_bigint_literal_is_a_bigint),
		TEST(test_upper_and_lower_map_every_script),
		TEST(test_upper_and_lower_pass_invalid_utf8_through),
		TEST(test_like_wildcards_match_characters_not_bytes),
		TEST(test_plan_states_the_threads_and_join_that_run),
		TEST(test_top_n_equals_sort_then_limit_and_holds_only_n_rows),
		TEST(test_limit_offset_skips_rows_and_plans_show_top_n),
		TEST(test_parquet_every_type_with_nulls_reads_back),
		TEST(test_parquet_row_groups_are_skipped_by_their_statistics),
		TEST(test_parquet_files_are_skipped_by_their_recorded_statistics),
		TEST(test_parquet_partitions_are_skipped_by_their_files_statistics),
		TEST(test_parquet_files_read_through_a_transform_are_never_skipped),
		TEST(test_parquet_file_of_another_schema_fails_naming_file_and_column),
		TEST(test_parquet_compression_follows_the_table_property),
		TEST(test_parquet_unknown_compression_fails_naming_the_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
