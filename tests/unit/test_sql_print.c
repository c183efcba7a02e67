/*
 * test_sql_print.c - plans rendered as Catalyst's EXPLAIN EXTENDED renders
 * them: parsed plans of real queries, a hand-built analyzed plan and a
 * hand-built physical plan, compared with golden texts (tests/unit/golden/).
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

/* The golden file NAME from tests/unit/golden/, NUL-terminated, in the arena. */
static const char *golden(const char *name)
{
	const char *dir = getenv("METAFS_TEST_SRCDIR");
	char path[4096];
	char *buf;
	long n;
	FILE *f;

	assert_non_null(dir);
	snprintf(path, sizeof path, "%s/golden/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open golden file %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = sql_arena_alloc(arena, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static sql_plan *parsed_plan(const char *text)
{
	sql_script script;
	sql_error err = { 0 };

	if (sql_parse(arena, text, strlen(text), &script, &err)) {
		char msg[600];

		sql_error_format(&err, msg, sizeof msg);
		fail_msg("parse failed: %s", msg);
	}
	assert_int_equal(script.nstmts, 1);
	return script.stmts[0]->query;
}

/* The rendering of PLAN, copied into the arena. */
static const char *render(const sql_plan *plan, bool resolved, bool physical)
{
	textbuf b = TEXTBUF_INIT;
	char *s;

	sql_plan_print(plan, resolved, physical, &b);
	assert_int_equal(textbuf_error(&b), 0);
	s = sql_arena_strdup(arena, b.data ? b.data : "");
	textbuf_free(&b);
	return s;
}

static const char *render_expr(const sql_expr *e, bool resolved)
{
	textbuf b = TEXTBUF_INIT;
	char *s;

	sql_expr_print(e, resolved, &b);
	s = sql_arena_strdup(arena, b.data ? b.data : "");
	textbuf_free(&b);
	return s;
}

/* ---- building resolved plans by hand --------------------------------------------------- */

static sql_expr *col(const char *name, uint32_t id, sql_type type)
{
	sql_expr *e = sql_expr_new(arena, SQL_EXPR_COLUMN, 1, 1);

	e->name = name;
	e->attr_id = id;
	e->type = type;
	e->resolved = true;
	e->ordinal = 0;
	return e;
}

static sql_expr *lit_date(int64_t days)
{
	sql_expr *e = sql_expr_new(arena, SQL_EXPR_LITERAL, 1, 1);

	e->value.type = SQL_TYPE_DATE;
	e->value.u.i = days;
	e->type = SQL_TYPE_DATE;
	e->resolved = true;
	return e;
}

static sql_expr *node(sql_expr_kind kind, sql_op op, sql_expr *a, sql_expr *b)
{
	sql_expr *e = sql_expr_new(arena, kind, 1, 1);

	e->op = op;
	e->nargs = b ? 2 : 1;
	e->args = sql_arena_alloc(arena, e->nargs * sizeof *e->args);
	e->args[0] = a;
	if (b)
		e->args[1] = b;
	e->type = SQL_TYPE_BOOLEAN;
	e->resolved = true;
	return e;
}

static sql_expr *count_star(void)
{
	sql_expr *e = sql_expr_new(arena, SQL_EXPR_AGG, 1, 1);

	e->agg = SQL_AGG_COUNT;
	e->name = "count";
	e->type = SQL_TYPE_BIGINT;
	e->resolved = true;
	return e;
}

static sql_expr *alias(sql_expr *child, const char *name, uint32_t id)
{
	sql_expr *e = node(SQL_EXPR_ALIAS, 0, child, NULL);

	e->name = name;
	e->attr_id = id;
	e->type = child->type;
	return e;
}

static sql_expr **list(int n, ...)
{
	sql_expr **l = sql_arena_alloc(arena, (size_t)n * sizeof *l);
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		l[i] = va_arg(ap, sql_expr *);
	va_end(ap);
	return l;
}

static void set_output(sql_plan *p, int n, ...)
{
	va_list ap;

	p->output = sql_arena_alloc(arena, (size_t)n * sizeof *p->output);
	p->noutput = (uint32_t)n;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		sql_expr *c = va_arg(ap, sql_expr *);

		p->output[i].name = c->name;
		p->output[i].id = c->attr_id;
		p->output[i].type = c->type;
	}
	va_end(ap);
}

static sql_plan *plan(sql_plan_kind kind, sql_plan *child)
{
	sql_plan *p = sql_plan_new(arena, kind, 1, 1);

	p->child[0] = child;
	return p;
}

/* warehouse.sales.orders(order_id bigint, region string) PARTITIONED BY (dt date). */
static sql_plan *orders_scan(void)
{
	static const char *names[] = { "order_id", "region", "dt" };
	static sql_type types[] = { SQL_TYPE_BIGINT, SQL_TYPE_STRING, SQL_TYPE_DATE };
	sql_plan *p = plan(SQL_PLAN_SCAN, NULL);
	sql_scan *s = sql_arena_alloc(arena, sizeof *s);

	s->platform_name = "warehouse";
	s->db = "sales";
	s->table = "orders";
	s->format = STORE_FORMAT_CSV;
	s->ncolumns = 2;
	s->npartkeys = 1;
	s->names = names;
	s->types = types;
	s->columns = sql_arena_alloc(arena, 3 * sizeof *s->columns);
	for (uint32_t i = 0; i < 3; i++)
		s->columns[i] = i;
	s->nout = 3;
	s->partitions_total = 365;
	s->partitions_selected = 3;
	p->scan = s;
	set_output(p, 3, col("order_id", 1, SQL_TYPE_BIGINT), col("region", 2, SQL_TYPE_STRING),
		   col("dt", 3, SQL_TYPE_DATE));
	return p;
}

/* SELECT region, count(*) AS n FROM warehouse.sales.orders o
 *   WHERE dt >= DATE '2024-05-01' GROUP BY region, as the analyzer leaves it. */
static sql_plan *analyzed_aggregate(void)
{
	sql_plan *scan = orders_scan();
	sql_plan *a = plan(SQL_PLAN_ALIAS, scan);
	sql_plan *f = plan(SQL_PLAN_FILTER, a);
	sql_plan *agg = plan(SQL_PLAN_AGGREGATE, f);
	sql_expr *n = alias(count_star(), "n", 10);

	a->alias = "o";
	f->cond = node(SQL_EXPR_BINARY, SQL_OP_GE, col("dt", 3, SQL_TYPE_DATE), lit_date(19844));
	agg->groups = list(1, col("region", 2, SQL_TYPE_STRING));
	agg->ngroups = 1;
	agg->exprs = list(2, col("region", 2, SQL_TYPE_STRING), n);
	agg->nexprs = 2;
	set_output(agg, 2, col("region", 2, SQL_TYPE_STRING), col("n", 10, SQL_TYPE_BIGINT));
	return agg;
}

/* ---- parsed plans ------------------------------------------------------------------------ */

static void test_print_parsed_aggregate_query_matches_golden(void **state)
{
	sql_plan *p;

	(void)state;
	p = parsed_plan("SELECT region, count(*) AS n, sum(amount * 1.5) AS total\n"
			"FROM warehouse.sales.orders o\n"
			"WHERE dt >= '2024-05-01' AND region IS NOT NULL\n"
			"GROUP BY region HAVING count(*) > 100\n"
			"ORDER BY n DESC, region LIMIT 10");
	assert_string_equal(render(p, false, false), golden("parsed_aggregate.txt"));
}

static void test_print_parsed_joins_draw_non_last_children_with_colons(void **state)
{
	sql_plan *p;

	(void)state;
	p = parsed_plan("SELECT o.order_id, c.name, lower(c.country) AS country\n"
			"FROM sales.orders o JOIN sales.items i ON o.order_id = i.order_id\n"
			"LEFT JOIN crm.customers c ON o.customer_id = c.id");
	assert_string_equal(render(p, false, false), golden("parsed_join.txt"));
}

static void test_print_parsed_with_union_values_draws_ctes_as_inner_children(void **state)
{
	sql_plan *p;

	(void)state;
	p = parsed_plan("WITH recent AS (SELECT * FROM sales.orders WHERE dt >= DATE '2024-05-01'),\n"
			"     big AS (SELECT r.* FROM recent r WHERE amount > 100)\n"
			"SELECT region FROM big\n"
			"UNION ALL SELECT CASE WHEN x = 1 THEN 'a' ELSE 'b' END AS region\n"
			"          FROM (VALUES (1, true), (2, NULL))\n"
			"UNION SELECT CAST(y AS STRING) AS region");
	assert_string_equal(render(p, false, false), golden("parsed_with.txt"));
}

static void test_print_parsed_small_plans_inline(void **state)
{
	(void)state;
	assert_string_equal(render(parsed_plan("SELECT 1"), false, false),
			    "'Project [1]\n+- OneRowRelation\n");
	assert_string_equal(render(parsed_plan("SELECT DISTINCT a FROM t"), false, false),
			    "'Distinct\n"
			    "+- 'Project ['a]\n"
			    "   +- 'UnresolvedRelation [t], [], false\n");
	assert_string_equal(render(parsed_plan("SELECT q.a FROM (SELECT a FROM d.t) q"), false, false),
			    "'Project ['q.a]\n"
			    "+- 'SubqueryAlias q\n"
			    "   +- 'Project ['a]\n"
			    "      +- 'UnresolvedRelation [d, t], [], false\n");
}

/* ---- resolved plans --------------------------------------------------------------------------- */

static void test_print_analyzed_plan_shows_attributes_with_ids(void **state)
{
	(void)state;
	assert_string_equal(render(analyzed_aggregate(), true, false),
			    golden("analyzed_aggregate.txt"));
}

static void test_print_schema_lists_output_names_and_types(void **state)
{
	textbuf b = TEXTBUF_INIT;

	(void)state;
	sql_plan_print_schema(analyzed_aggregate(), &b);
	assert_string_equal(b.data, "region: string, n: bigint\n");
	textbuf_free(&b);
}

static void test_print_relation_shows_filters_the_optimizer_pushed_into_it(void **state)
{
	sql_plan *scan = orders_scan();

	(void)state;
	scan->scan->partition_filter = node(SQL_EXPR_BINARY, SQL_OP_AND,
		node(SQL_EXPR_IS_NULL, 0, col("dt", 3, SQL_TYPE_DATE), NULL),
		node(SQL_EXPR_BINARY, SQL_OP_GE, col("dt", 3, SQL_TYPE_DATE), lit_date(19844)));
	scan->scan->partition_filter->args[0]->negated = true;
	scan->scan->columns[0] = 1;
	scan->scan->columns[1] = 2;
	scan->scan->nout = 2;
	set_output(scan, 2, col("region", 2, SQL_TYPE_STRING), col("dt", 3, SQL_TYPE_DATE));
	assert_string_equal(render(scan, true, false),
			    "Relation warehouse.sales.orders[region#2,dt#3] csv, PartitionFilters: "
			    "[isnotnull(dt#3), (dt#3 >= 2024-05-01)]\n");
}

/* ---- physical plans -------------------------------------------------------------------------- */

static sql_plan *physical_aggregate(void)
{
	sql_plan *scan = orders_scan();
	sql_plan *proj = plan(SQL_PLAN_PROJECT, scan);
	sql_plan *agg = plan(SQL_PLAN_AGGREGATE, proj);
	sql_expr *n = alias(count_star(), "n", 10);

	scan->scan->columns[0] = 1;
	scan->scan->columns[1] = 2;
	scan->scan->nout = 2;
	set_output(scan, 2, col("region", 2, SQL_TYPE_STRING), col("dt", 3, SQL_TYPE_DATE));
	scan->scan->partition_filter = node(SQL_EXPR_BINARY, SQL_OP_GE,
					    col("dt", 3, SQL_TYPE_DATE), lit_date(19844));
	scan->scan->data_filter = node(SQL_EXPR_IS_NULL, 0, col("region", 2, SQL_TYPE_STRING), NULL);
	scan->scan->data_filter->negated = true;
	scan->phys = (sql_phys){ .op = "FileScan csv", .stage = 1, .threads = 2,
				 .memory_budget = 64u << 20, .parallelism = 3 };
	proj->exprs = list(1, col("region", 2, SQL_TYPE_STRING));
	proj->nexprs = 1;
	proj->phys = (sql_phys){ .op = "Project", .stage = 1, .threads = 1 };
	agg->groups = list(1, col("region", 2, SQL_TYPE_STRING));
	agg->ngroups = 1;
	agg->exprs = list(2, col("region", 2, SQL_TYPE_STRING), n);
	agg->nexprs = 2;
	set_output(agg, 2, col("region", 2, SQL_TYPE_STRING), col("n", 10, SQL_TYPE_BIGINT));
	agg->phys = (sql_phys){ .op = "HashAggregate", .stage = 2, .threads = 1,
				.memory_budget = 256u << 20, .parallelism = 4 };
	return agg;
}

static void test_print_physical_plan_shows_stages_scans_and_resources(void **state)
{
	(void)state;
	assert_string_equal(render(physical_aggregate(), true, true),
			    golden("physical_aggregate.txt"));
}

static void test_print_physical_join_and_engine_counters(void **state)
{
	sql_plan *left = orders_scan(), *right = orders_scan();
	sql_plan *j = plan(SQL_PLAN_JOIN, left);

	(void)state;
	right->scan->table = "returns";
	right->scan->format = STORE_FORMAT_JSONL;
	right->scan->partitions_selected = 365;
	set_output(right, 3, col("order_id", 4, SQL_TYPE_BIGINT), col("region", 5, SQL_TYPE_STRING),
		   col("dt", 6, SQL_TYPE_DATE));
	right->phys = (sql_phys){ .op = "FileScan jsonl", .threads = 1, .memory_budget = 1536,
				  .rows_out = 7, .rows_in = 7, .peak_memory = 2048,
				  .cpu_ns = 2500000 };
	left->phys = (sql_phys){ .op = "FileScan csv", .stage = 1, .threads = 2 };
	j->child[1] = right;
	j->join_type = SQL_JOIN_LEFT;
	j->lkeys = list(1, col("order_id", 1, SQL_TYPE_BIGINT));
	j->rkeys = list(1, col("order_id", 4, SQL_TYPE_BIGINT));
	j->nkeys = 1;
	j->phys = (sql_phys){ .op = "HashJoin", .stage = 1, .threads = 1,
			      .memory_budget = 3ull << 30 };
	assert_string_equal(render(j, true, true),
			    "*(1) HashJoin [order_id#1], [order_id#4], LeftOuter, BuildRight, threads=1, "
			    "memory=3.0 GiB\n"
			    ":- *(1) FileScan csv warehouse.sales.orders[order_id#1,region#2,dt#3] "
			    "PartitionFilters: [], PushedFilters: [], partitions: 3 of 365, threads=2\n"
			    "+- FileScan jsonl warehouse.sales.returns[order_id#4,region#5,dt#6] "
			    "PartitionFilters: [], PushedFilters: [], partitions: 365 of 365, threads=1, "
			    "memory=1.5 KiB, rows: 7 in, 7 out, peak=2.0 KiB, cpu=2.5 ms\n");
}

/* TEXT's first line (without its newline). */
static const char *first_line(const char *text)
{
	static char line[512];
	size_t n = strcspn(text, "\n");

	assert_true(n < sizeof line);
	memcpy(line, text, n);
	line[n] = '\0';
	return line;
}

static void test_print_logical_join_shows_keys_anded_with_the_residual(void **state)
{
	sql_plan *left = orders_scan(), *right = orders_scan();
	sql_plan *j = plan(SQL_PLAN_JOIN, left);
	const char *text;

	(void)state;
	set_output(right, 3, col("order_id", 4, SQL_TYPE_BIGINT), col("region", 5, SQL_TYPE_STRING),
		   col("dt", 6, SQL_TYPE_DATE));
	j->child[1] = right;
	j->join_type = SQL_JOIN_INNER;
	/* no key, no residual: the type alone */
	text = render(j, true, false);
	assert_string_equal(first_line(text), "Join Inner");
	/* one key */
	j->lkeys = list(2, col("order_id", 1, SQL_TYPE_BIGINT), col("region", 2, SQL_TYPE_STRING));
	j->rkeys = list(2, col("order_id", 4, SQL_TYPE_BIGINT), col("region", 5, SQL_TYPE_STRING));
	j->nkeys = 1;
	text = render(j, true, false);
	assert_string_equal(first_line(text), "Join Inner, (order_id#1 = order_id#4)");
	/* two keys and a residual, ANDed left to right as Catalyst prints them */
	j->nkeys = 2;
	j->cond = node(SQL_EXPR_BINARY, SQL_OP_LT, col("dt", 3, SQL_TYPE_DATE),
		       col("dt", 6, SQL_TYPE_DATE));
	text = render(j, true, false);
	assert_string_equal(first_line(text),
			    "Join Inner, (((order_id#1 = order_id#4) AND (region#2 = region#5)) "
			    "AND (dt#3 < dt#6))");
	/* a residual alone */
	j->nkeys = 0;
	text = render(j, true, false);
	assert_string_equal(first_line(text), "Join Inner, (dt#3 < dt#6)");
	/* NOT IN of two columns */
	j->cond = NULL;
	j->nkeys = 2;
	j->join_type = SQL_JOIN_LEFT_ANTI;
	j->null_aware = true;
	text = render(j, true, false);
	assert_string_equal(first_line(text),
			    "Join LeftAnti, (((order_id#1 = order_id#4) OR isnull((order_id#1 = "
			    "order_id#4))) AND ((region#2 = region#5) OR isnull((region#2 = region#5))))");
	/* an uncorrelated scalar subquery's run-time check */
	j->null_aware = false;
	j->nkeys = 0;
	j->join_type = SQL_JOIN_LEFT;
	j->one_row = true;
	text = render(j, true, false);
	assert_string_equal(first_line(text), "Join LeftOuter, one row");
	j->phys = (sql_phys){ .op = "NestedLoopJoin", .stage = 1, .threads = 1 };
	left->phys = (sql_phys){ .op = "FileScan csv", .stage = 1, .threads = 2 };
	right->phys = (sql_phys){ .op = "FileScan csv", .threads = 1 };
	text = render(j, true, true);
	assert_string_equal(first_line(text),
			    "*(1) NestedLoopJoin LeftOuter, BuildRight, one row, threads=1");
}

static void test_print_physical_mode_falls_back_to_logical_for_unannotated_nodes(void **state)
{
	sql_plan *p = plan(SQL_PLAN_LIMIT, physical_aggregate());

	(void)state;
	p->limit = 5;
	assert_true(strncmp(render(p, true, true), "Limit 5\n+- *(2) HashAggregate", 29) == 0);
}

static void test_print_dot_has_a_node_per_operator_and_edges_toward_the_root(void **state)
{
	textbuf b = TEXTBUF_INIT;

	(void)state;
	sql_plan_dot(physical_aggregate(), &b);
	assert_non_null(strstr(b.data, "digraph plan {\n"));
	assert_non_null(strstr(b.data, "  n0 [label=\"*(2) HashAggregate(keys=[region#2], "));
	assert_non_null(strstr(b.data, "  n2 [label=\"*(1) FileScan csv warehouse.sales.orders"));
	assert_non_null(strstr(b.data, "  n1 -> n0;\n"));
	assert_non_null(strstr(b.data, "  n2 -> n1;\n"));
	assert_null(strstr(b.data, "n3"));
	assert_string_equal(b.data + b.len - 2, "}\n");
	textbuf_free(&b);
}

/* ---- expressions ------------------------------------------------------------------------------ */

static void test_print_literals_as_catalyst_shows_them(void **state)
{
	sql_expr *e = sql_expr_new(arena, SQL_EXPR_LITERAL, 1, 1);

	(void)state;
	e->value.type = SQL_TYPE_DOUBLE;
	e->value.u.d = 3.0;
	assert_string_equal(render_expr(e, true), "3.0");
	e->value.u.d = 0.1;
	assert_string_equal(render_expr(e, true), "0.1");
	e->value.type = SQL_TYPE_TIMESTAMP;
	e->value.u.i = -1;
	assert_string_equal(render_expr(e, true), "1969-12-31 23:59:59.999999");
	e->value.type = SQL_TYPE_DATE;
	e->value.u.i = -719162;
	assert_string_equal(render_expr(e, true), "0001-01-01");
	e->value.type = SQL_TYPE_BIGINT;
	e->value.null = true;
	assert_string_equal(render_expr(e, true), "null");
}

static void test_print_resolved_functions_lower_case_and_unresolved_quoted(void **state)
{
	sql_expr *f = node(SQL_EXPR_FUNC, 0, col("region", 2, SQL_TYPE_STRING), NULL);

	(void)state;
	f->name = "UPPER";
	f->func = SQL_FUNC_UPPER;
	assert_string_equal(render_expr(f, true), "upper(region#2)");
	assert_string_equal(render_expr(f, false), "'UPPER('region)");
}

static void test_expr_copy_is_deep(void **state)
{
	sql_expr *e = node(SQL_EXPR_BINARY, SQL_OP_ADD, col("a", 1, SQL_TYPE_BIGINT),
			   col("b", 2, SQL_TYPE_BIGINT));
	sql_arena *other = sql_arena_new();
	sql_expr *c = sql_expr_copy(other, e);

	(void)state;
	assert_ptr_not_equal(c, e);
	assert_ptr_not_equal(c->args, e->args);
	assert_ptr_not_equal(c->args[0], e->args[0]);
	assert_ptr_not_equal(c->args[0]->name, e->args[0]->name);
	c->args[1]->attr_id = 9;
	assert_string_equal(render_expr(e, true), "(a#1 + b#2)");
	assert_string_equal(render_expr(c, true), "(a#1 + b#9)");
	sql_arena_free(other);
}

static void test_edit_distance_ignores_case(void **state)
{
	(void)state;
	assert_int_equal(sql_edit_distance("regin", "region"), 1);
	assert_int_equal(sql_edit_distance("REGION", "region"), 0);
	assert_int_equal(sql_edit_distance("", "abc"), 3);
	assert_int_equal(sql_edit_distance("kitten", "sitting"), 3);
}

static void test_error_format_adds_the_place_when_there_is_one(void **state)
{
	sql_error e;
	char out[600];

	(void)state;
	sql_error_set(&e, 3, 17, "unknown column \"%s\"", "regin");
	sql_error_format(&e, out, sizeof out);
	assert_string_equal(out, "line 3, column 17: unknown column \"regin\"");
	sql_error_set(&e, 0, 0, "cannot read %s", "x.csv");
	sql_error_format(&e, out, sizeof out);
	assert_string_equal(out, "cannot read x.csv");
}

static void test_array_push_grows_and_zeroes(void **state)
{
	uint64_t *a = NULL;
	uint32_t n = 0, cap = 0;

	(void)state;
	for (uint64_t i = 0; i < 100; i++) {
		a = sql_array_push(arena, a, &n, &cap, sizeof *a);
		assert_int_equal(a[n - 1], 0);
		a[n - 1] = i * 3;
	}
	assert_int_equal(n, 100);
	assert_true(cap >= 100);
	for (uint64_t i = 0; i < 100; i++)
		assert_int_equal(a[i], i * 3);
}

static void test_arena_hands_out_aligned_zeroed_memory_of_any_size(void **state)
{
	sql_arena *a = sql_arena_new();
	size_t before = sql_arena_used(a);

	(void)state;
	for (size_t size = 1; size < 300000; size = size * 3 + 1) {
		unsigned char *p = sql_arena_alloc(a, size);

		assert_int_equal((uintptr_t)p % 16, 0);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xff, size);
	}
	assert_true(sql_arena_used(a) > before);
	assert_string_equal(sql_arena_printf(a, "%s#%d", "n", 10), "n#10");
	assert_string_equal(sql_arena_strndup(a, "abcdef", 3), "abc");
	sql_arena_free(a);
}

static void test_type_names_and_store_mapping(void **state)
{
	(void)state;
	assert_string_equal(sql_type_name(SQL_TYPE_BIGINT), "bigint");
	assert_string_equal(sql_type_name(SQL_TYPE_NULL), "null");
	for (int t = SQL_TYPE_STRING; t <= SQL_TYPE_TIMESTAMP; t++)
		assert_int_equal(sql_type_from_store(sql_type_to_store((sql_type)t)), t);
	assert_int_equal(sql_type_to_store(SQL_TYPE_NULL), STORE_TYPE_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_parsed_aggregate_query_matches_golden),
		cmocka_unit_test(test_print_parsed_joins_draw_non_last_children_with_colons),
		cmocka_unit_test(test_print_parsed_with_union_values_draws_ctes_as_inner_children),
		cmocka_unit_test(test_print_parsed_small_plans_inline),
		cmocka_unit_test(test_print_analyzed_plan_shows_attributes_with_ids),
		cmocka_unit_test(test_print_schema_lists_output_names_and_types),
		cmocka_unit_test(test_print_relation_shows_filters_the_optimizer_pushed_into_it),
		cmocka_unit_test(test_print_physical_plan_shows_stages_scans_and_resources),
		cmocka_unit_test(test_print_physical_join_and_engine_counters),
		cmocka_unit_test(test_print_logical_join_shows_keys_anded_with_the_residual),
		cmocka_unit_test(test_print_physical_mode_falls_back_to_logical_for_unannotated_nodes),
		cmocka_unit_test(test_print_dot_has_a_node_per_operator_and_edges_toward_the_root),
		cmocka_unit_test(test_print_literals_as_catalyst_shows_them),
		cmocka_unit_test(test_print_resolved_functions_lower_case_and_unresolved_quoted),
		cmocka_unit_test(test_expr_copy_is_deep),
		cmocka_unit_test(test_edit_distance_ignores_case),
		cmocka_unit_test(test_error_format_adds_the_place_when_there_is_one),
		cmocka_unit_test(test_array_push_grows_and_zeroes),
		cmocka_unit_test(test_arena_hands_out_aligned_zeroed_memory_of_any_size),
		cmocka_unit_test(test_type_names_and_store_mapping),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
