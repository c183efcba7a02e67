/*
 * sql_catalog_fixture.h - a metastore in a temporary directory as the
 * analyzer and the optimizer see it: the platform "hive" over it, the tables
 * sales.orders (partitioned by dt) and sales.customers, an arena, and
 * builders that make expressions and plans by hand the way the parser
 * shapes them (Project/Aggregate over Filter over relations, HAVING as a
 * Filter over the Aggregate, ORDER BY as a Sort on top).
 *
 * Include it after <cmocka.h>.  Each test file writes its own setup: it calls
 * catalog_fixture_open, adds the tables and partitions it needs, and hands
 * teardown to cmocka with it.
 */
#ifndef METAFS_SQL_CATALOG_FIXTURE_H
#define METAFS_SQL_CATALOG_FIXTURE_H

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sql_engine_fixture.h"

struct fixture {
	char dir[PATH_MAX];
	store_env *env;
	sql_platform platform;
	sql_catalog cat;
	sql_arena *a;
	sql_error err;
	sql_rule_log log;
};

static const store_column catalog_fixture_orders[] = {
	{ "id", STORE_TYPE_BIGINT }, { "region", STORE_TYPE_STRING },
	{ "amount", STORE_TYPE_DOUBLE }, { "qty", STORE_TYPE_BIGINT },
	{ "dt", STORE_TYPE_DATE },
};
static const store_column catalog_fixture_customers[] = {
	{ "id", STORE_TYPE_BIGINT }, { "name", STORE_TYPE_STRING },
	{ "region", STORE_TYPE_STRING }, { "active", STORE_TYPE_BOOLEAN },
};

/* A CSV table with a header line; the last NKEYS of the NCOLS columns are
 * its partition keys.  Returns the table's id. */
static inline uint64_t make_table(store_env *env, const char *db, const char *name,
				  const store_column *cols, uint32_t ncols, uint32_t nkeys)
{
	uint64_t id = 0;

	assert_int_equal(fx_table_create(env, db, name, STORE_FORMAT_CSV, true,
					 (store_column *)cols, ncols - nkeys, nkeys, &id), 0);
	return id;
}

/* A fresh fixture with an empty metastore: NULL if it cannot be made. */
static inline struct fixture *catalog_fixture_open(void)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL || testdir_make(f->dir) != 0)
		return NULL;
	if (store_open(f->dir, NULL, &f->env) != 0)
		return NULL;
	f->platform = (sql_platform){ .name = "hive", .data_dir = f->dir, .store = f->env };
	f->cat = (sql_catalog){ .platforms = &f->platform, .nplatforms = 1, .default_platform = 0 };
	f->a = sql_arena_new();
	return f;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	sql_arena_free(f->a);
	store_close(f->env);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- builders ----------------------------------------------------------------------------- */

static sql_arena *A;

static inline sql_expr *col_at(const char *q, const char *name, uint32_t line, uint32_t c)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_COLUMN, line, c);

	e->qualifier = q;
	e->name = name;
	e->ordinal = -1;
	return e;
}

static inline sql_expr *col(const char *name)
{
	return col_at(NULL, name, 1, 8);
}

static inline sql_expr *qcol(const char *q, const char *name)
{
	return col_at(q, name, 1, 8);
}

static inline sql_expr *lit_int(int64_t v)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_LITERAL, 1, 1);

	e->value.type = SQL_TYPE_BIGINT;
	e->value.u.i = v;
	return e;
}

static inline sql_expr *lit_str(const char *s)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_LITERAL, 1, 1);

	e->value.type = SQL_TYPE_STRING;
	e->value.u.s.ptr = s;
	e->value.u.s.len = (uint32_t)strlen(s);
	return e;
}

static inline sql_expr *lit_bool(bool b)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_LITERAL, 1, 1);

	e->value.type = SQL_TYPE_BOOLEAN;
	e->value.u.b = b;
	return e;
}

static inline sql_expr *lit_null(void)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_LITERAL, 1, 1);

	e->value.type = SQL_TYPE_NULL;
	e->value.null = true;
	return e;
}

/* The N expressions of AP in a new array in the arena (one slot more than
 * N, so that N may be 0). */
static inline sql_expr **va_exprs(uint32_t n, va_list ap)
{
	sql_expr **v = sql_arena_alloc(A, (n + 1) * sizeof *v);

	for (uint32_t i = 0; i < n; i++)
		v[i] = va_arg(ap, sql_expr *);
	return v;
}

static inline sql_expr *nargs(sql_expr *e, uint32_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	e->args = va_exprs(n, ap);
	va_end(ap);
	e->nargs = n;
	return e;
}

static inline sql_expr *bin_at(sql_op op, sql_expr *l, sql_expr *r, uint32_t line, uint32_t c)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_BINARY, line, c);

	e->op = op;
	return nargs(e, 2, l, r);
}

static inline sql_expr *bin(sql_op op, sql_expr *l, sql_expr *r)
{
	return bin_at(op, l, r, 1, 1);
}

static inline sql_expr *func_at(const char *name, uint32_t line, uint32_t c)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_FUNC, line, c);

	e->name = name;
	return e;
}

static inline sql_expr *agg(sql_agg_fn fn, const char *name, sql_expr *arg)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_AGG, 1, 1);

	e->agg = fn;
	e->name = name;
	return arg ? nargs(e, 1, arg) : e;
}

static inline sql_expr *as(sql_expr *x, const char *name)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_ALIAS, x->line, x->col);

	e->name = name;
	return nargs(e, 1, x);
}

static inline sql_expr *star(const char *q)
{
	sql_expr *e = sql_expr_new(A, SQL_EXPR_STAR, 1, 8);

	e->qualifier = q;
	return e;
}

static inline sql_plan *rel_at(const char *a, const char *b, uint32_t line, uint32_t c)
{
	sql_plan *p = sql_plan_new(A, b ? SQL_PLAN_UNRESOLVED_RELATION : SQL_PLAN_CTE_REF, line, c);

	p->names[0] = a;
	p->names[1] = b;
	p->nnames = b ? 2 : 1;
	return p;
}

static inline sql_plan *rel(const char *a, const char *b)
{
	return rel_at(a, b, 1, 15);
}

static inline sql_plan *aliased(sql_plan *child, const char *name)
{
	sql_plan *p = sql_plan_new(A, SQL_PLAN_ALIAS, child->line, child->col);

	p->alias = name;
	p->child[0] = child;
	return p;
}

static inline sql_plan *wrap(sql_plan_kind kind, sql_plan *child)
{
	sql_plan *p = sql_plan_new(A, kind, 1, 1);

	p->child[0] = child;
	return p;
}

static inline sql_plan *filter(sql_plan *child, sql_expr *cond)
{
	sql_plan *p = wrap(SQL_PLAN_FILTER, child);

	p->cond = cond;
	return p;
}

static inline sql_plan *list(sql_plan_kind kind, sql_plan *child, uint32_t n, ...)
{
	sql_plan *p = wrap(kind, child);
	va_list ap;

	va_start(ap, n);
	p->exprs = va_exprs(n, ap);
	va_end(ap);
	p->nexprs = n;
	return p;
}

static inline sql_plan *group_by(sql_plan *agg, uint32_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	agg->groups = va_exprs(n, ap);
	va_end(ap);
	agg->ngroups = n;
	return agg;
}

static inline sql_plan *sort1(sql_plan *child, sql_expr *key, bool desc)
{
	sql_plan *p = wrap(SQL_PLAN_SORT, child);

	p->sort = sql_arena_alloc(A, sizeof *p->sort);
	p->sort[0] = (sql_sort_key){ key, desc, !desc };
	p->nsort = 1;
	return p;
}

static inline sql_plan *join(sql_join_type type, sql_plan *l, sql_plan *r, sql_expr *cond)
{
	sql_plan *p = sql_plan_new(A, SQL_PLAN_JOIN, 1, 20);

	p->join_type = type;
	p->child[0] = l;
	p->child[1] = r;
	p->cond = cond;
	return p;
}

static inline sql_stmt *select_stmt(sql_plan *q)
{
	sql_stmt *st = sql_arena_alloc(A, sizeof *st);

	st->kind = SQL_STMT_SELECT;
	st->line = st->col = 1;
	st->query = q;
	return st;
}

/* The fixture of a test, its arena made the builders' own. */
static inline struct fixture *F(void **state)
{
	struct fixture *f = *state;

	A = f->a;
	return f;
}

#endif
