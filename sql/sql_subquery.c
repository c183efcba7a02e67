/*
 * sql_subquery.c - subquery expressions become joins, before any other
 * optimizer rule, as Catalyst's RewritePredicateSubquery and
 * RewriteCorrelatedScalarSubquery do:
 *
 *   - a WHERE (or HAVING) conjunct EXISTS (q) becomes a LeftSemi join of
 *     the filtered rows with q, NOT EXISTS (q) a LeftAnti join;
 *   - x IN (q) becomes a LeftSemi join on x = q's column; x NOT IN (q) a
 *     null-aware LeftAnti join on it (plan->null_aware: a NULL on either
 *     side keeps the row out, as SQL's three-valued NOT IN does);
 *   - a scalar subquery becomes a LeftOuter join with its result, and the
 *     expression a reference to the result's column: an uncorrelated one
 *     that may return more than one row makes a join marked one_row: the
 *     engine fails the job with Spark's message ("more than one row
 *     returned by a subquery used as an expression") when the subquery's
 *     side yields a second row, and none gives NULL; one whose shape proves
 *     it returns at most one row (an aggregate without GROUP BY, LIMIT 1,
 *     ...) needs no check.  A correlated one must be aggregated, and is
 *     grouped by the columns its correlated equalities read and joined on
 *     them.  When
 *     its value over no rows is not NULL (count(*) is 0), a column
 *     alwaysTrue tells a missing group from a NULL result, so the join's
 *     miss gives that value, not NULL, as in Spark.  In the select list of
 *     an aggregate the join sits over the aggregate, which computes the
 *     rest of the expression as hidden columns.
 *
 * An ORDER BY and a LIMIT of at least one row on top of an EXISTS subquery
 * are dropped first.  EXISTS and IN elsewhere than as conjuncts of a filter
 * (under OR, in a select list) are refused: Catalyst's ExistenceJoin has no
 * counterpart in the engine.
 *
 * Correlated predicates (those reading outer(...) columns) are pulled out
 * of the subquery's WHERE and up through its Project, Aggregate and inner
 * joins: an equality between an outer expression and an inner one becomes
 * a join key, anything else the join's residual condition.  The columns
 * they read are added to the Projects they pass (and, under an Aggregate,
 * to its grouping).  Everything works on attribute ids; the optimizer
 * recomputes outputs and ordinals after the rewrite.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sql_int.h"

typedef struct sq_ctx {
	sql_arena *a;
	sql_error *err;
	uint32_t next_id;
	bool predicate, scalar;  /* which rewrites happened (for the rule log) */
	bool grouped;            /* the last pull passed an aggregate grouped by more */
} sq_ctx;

typedef struct sq_preds {
	sql_expr **v;
	uint32_t n, cap;
} sq_preds;

static int sq_plan(sq_ctx *c, sql_plan **slot);

static int sq_fail(sq_ctx *c, uint32_t line, uint32_t col, const char *msg)
{
	sql_error_set(c->err, line, col, "%s", msg);
	return -EINVAL;
}

/* ---- ids ------------------------------------------------------------------------------------ */

static void sq_max_expr(const sql_expr *e, uint32_t *max);

static void sq_max_plan(const sql_plan *p, uint32_t *max)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->noutput; i++)
		if (p->output[i].id > *max)
			*max = p->output[i].id;
	sq_max_expr(p->cond, max);
	for (uint32_t i = 0; i < p->nexprs; i++)
		sq_max_expr(p->exprs[i], max);
	sq_max_plan(p->child[0], max);
	sq_max_plan(p->child[1], max);
}

static void sq_max_expr(const sql_expr *e, uint32_t *max)
{
	if (e == NULL)
		return;
	if (e->attr_id > *max)
		*max = e->attr_id;
	for (uint32_t i = 0; i < e->nargs; i++)
		sq_max_expr(e->args[i], max);
	sq_max_plan(e->subquery, max);
}

/* ---- expression helpers ---------------------------------------------------------------------- */

static bool sq_is_subquery(const sql_expr *e)
{
	return e->kind == SQL_EXPR_SCALAR_SUBQUERY || e->kind == SQL_EXPR_EXISTS ||
	       e->kind == SQL_EXPR_IN_SUBQUERY;
}

static bool sq_has_subquery(const sql_expr *e)
{
	if (e == NULL)
		return false;
	if (sq_is_subquery(e))
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sq_has_subquery(e->args[i]))
			return true;
	return false;
}

/* Bit 1: E reads an outer column; bit 2: an inner one. */
static unsigned sq_refs(const sql_expr *e)
{
	unsigned m = 0;

	if (e == NULL)
		return 0;
	if (e->kind == SQL_EXPR_COLUMN)
		return e->outer ? 1u : 2u;
	for (uint32_t i = 0; i < e->nargs; i++)
		m |= sq_refs(e->args[i]);
	return m;
}

/* The first outer column under E, or NULL. */
static const sql_expr *sq_first_outer(const sql_expr *e)
{
	if (e == NULL)
		return NULL;
	if (e->kind == SQL_EXPR_COLUMN)
		return e->outer ? e : NULL;
	for (uint32_t i = 0; i < e->nargs; i++) {
		const sql_expr *x = sq_first_outer(e->args[i]);

		if (x)
			return x;
	}
	return NULL;
}

/* A copy of E whose outer columns are ordinary ones (of the join's left side). */
static sql_expr *sq_unouter(sq_ctx *c, const sql_expr *e)
{
	sql_expr *x = sql_expr_copy(c->a, e);

	if (x->kind == SQL_EXPR_COLUMN) {
		x->outer = false;
		return x;
	}
	for (uint32_t i = 0; i < x->nargs; i++)
		x->args[i] = sq_unouter(c, e->args[i]);
	return x;
}

static sql_expr *sq_col(sq_ctx *c, const sql_attr *at, uint32_t line, uint32_t col)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_COLUMN, line, col);

	e->name = at->name;
	e->type = at->type;
	e->attr_id = at->id;
	e->ordinal = -1;
	e->resolved = true;
	return e;
}

static sql_expr *sq_node(sq_ctx *c, sql_expr_kind kind, sql_type type, uint32_t nargs,
			 const sql_expr *at)
{
	sql_expr *e = sql_expr_new(c->a, kind, at->line, at->col);

	e->type = type;
	e->resolved = true;
	if (nargs) {
		e->args = sql_arena_alloc(c->a, nargs * sizeof *e->args);
		e->nargs = nargs;
	}
	return e;
}

static sql_expr *sq_cast(sq_ctx *c, sql_expr *e, sql_type to)
{
	sql_expr *x;

	if (e->type == to)
		return e;
	x = sq_node(c, SQL_EXPR_CAST, to, 1, e);
	x->cast_type = to;
	x->args[0] = e;
	return x;
}

static sql_expr *sq_eq(sq_ctx *c, sql_expr *l, sql_expr *r)
{
	sql_expr *e = sq_node(c, SQL_EXPR_BINARY, SQL_TYPE_BOOLEAN, 2, l);

	e->op = SQL_OP_EQ;
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

static sql_expr *sq_alias(sq_ctx *c, sql_expr *e, const char *name)
{
	sql_expr *al = sq_node(c, SQL_EXPR_ALIAS, e->type, 1, e);

	al->name = name;
	al->attr_id = c->next_id++;
	al->args[0] = e;
	return al;
}

static void sq_push(sq_ctx *c, sq_preds *ps, sql_expr *e)
{
	ps->v = sql_array_push(c->a, ps->v, &ps->n, &ps->cap, sizeof *ps->v);
	ps->v[ps->n - 1] = e;
}

/* Is COLUMN id ID among EXPRS' outputs? */
static bool sq_defines(sql_expr *const *exprs, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (exprs[i]->attr_id == id)
			return true;
	return false;
}

/* Append to P's exprs (and with GROUP, its groups) every inner column of E
 * it does not yet output. */
static void sq_add_columns(sq_ctx *c, sql_plan *p, const sql_expr *e, bool group)
{
	if (e->kind == SQL_EXPR_COLUMN) {
		if (e->outer)
			return;
		if (group) {
			bool have = false;

			for (uint32_t g = 0; g < p->ngroups && !have; g++)
				have = sql_expr_equal(p->groups[g], e);
			if (!have) {
				uint32_t n = p->ngroups, cap = n;

				p->groups = sql_array_push(c->a, p->groups, &n, &cap, sizeof *p->groups);
				p->groups[n - 1] = sql_expr_copy(c->a, e);
				p->ngroups = n;
			}
		}
		if (!sq_defines(p->exprs, p->nexprs, e->attr_id)) {
			uint32_t n = p->nexprs, cap = n;

			p->exprs = sql_array_push(c->a, p->exprs, &n, &cap, sizeof *p->exprs);
			p->exprs[n - 1] = sql_expr_copy(c->a, e);
			p->nexprs = n;
		}
		return;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		sq_add_columns(c, p, e->args[i], group);
}

/* ---- pulling correlated predicates up ------------------------------------------------------------ */

/* Does E read the inner column COL? */
static bool sq_reads(const sql_expr *e, const sql_expr *col)
{
	if (e->kind == SQL_EXPR_COLUMN)
		return !e->outer && col->kind == SQL_EXPR_COLUMN && e->attr_id == col->attr_id;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sq_reads(e->args[i], col))
			return true;
	return false;
}

/* Take the correlated conjuncts out of the subquery plan *SLOT into PS,
 * adding what they read to the outputs they pass.  *AGG tells whether they
 * passed an Aggregate (which then groups by their inner columns). */
static int sq_pull(sq_ctx *c, sql_plan **slot, sq_preds *ps, bool *agg)
{
	sql_plan *p = *slot;
	uint32_t before = ps->n;
	int rc = 0;

	switch (p->kind) {
	case SQL_PLAN_FILTER: {
		sql_expr **conj, *keep = NULL;
		uint32_t n;

		rc = sq_pull(c, &p->child[0], ps, agg);
		if (rc)
			return rc;
		sql_expr_conjuncts(c->a, p->cond, &conj, &n);
		for (uint32_t i = 0; i < n; i++) {
			if (sq_refs(conj[i]) & 1u)
				sq_push(c, ps, conj[i]);
			else
				keep = sql_expr_and(c->a, keep, conj[i]);
		}
		if (keep)
			p->cond = keep;
		else
			*slot = p->child[0];
		return 0;
	}
	case SQL_PLAN_PROJECT:
		rc = sq_pull(c, &p->child[0], ps, agg);
		for (uint32_t i = before; i < ps->n && rc == 0; i++)
			sq_add_columns(c, p, ps->v[i], false);
		break;
	case SQL_PLAN_AGGREGATE: {
		uint32_t ngroups = p->ngroups;

		rc = sq_pull(c, &p->child[0], ps, agg);
		/* A group that is not a correlated column makes several rows per
		 * outer row possible. */
		for (uint32_t g = 0; g < ngroups && rc == 0 && ps->n > before; g++) {
			bool corr = false;

			for (uint32_t i = before; i < ps->n && !corr; i++)
				corr = sq_reads(ps->v[i], p->groups[g]);
			if (!corr)
				c->grouped = true;
		}
		for (uint32_t i = before; i < ps->n && rc == 0; i++) {
			const sql_expr *e = ps->v[i];

			/* Under an aggregate only outer = inner can be answered by grouping. */
			if (!(e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_EQ &&
			      ((sq_refs(e->args[0]) == 1 && sq_refs(e->args[1]) == 2) ||
			       (sq_refs(e->args[0]) == 2 && sq_refs(e->args[1]) == 1))))
				return sq_fail(c, e->line, e->col,
					       "a correlated condition of an aggregated subquery must be "
					       "an equality between an outer and an inner expression");
			sq_add_columns(c, p, e, true);
		}
		if (ps->n > before)
			*agg = true;
		break;
	}
	case SQL_PLAN_JOIN:
		rc = sq_pull(c, &p->child[0], ps, agg);
		if (rc == 0 && p->join_type == SQL_JOIN_INNER)
			rc = sq_pull(c, &p->child[1], ps, agg);
		break;
	case SQL_PLAN_ALIAS:
	case SQL_PLAN_SORT:
		rc = sq_pull(c, &p->child[0], ps, agg);
		break;
	default:
		/* Correlation below anything else stays and is reported. */
		return 0;
	}
	if (rc == 0)
		rc = sql_plan_compute_output(c->a, p);
	return rc;
}

/* The first outer column left anywhere in P. */
static const sql_expr *sq_plan_outer(const sql_plan *p)
{
	const sql_expr *x = NULL;

	if (p == NULL)
		return NULL;
	x = sq_first_outer(p->cond);
	for (uint32_t i = 0; i < p->nexprs && !x; i++)
		x = sq_first_outer(p->exprs[i]);
	for (uint32_t i = 0; i < p->ngroups && !x; i++)
		x = sq_first_outer(p->groups[i]);
	for (uint32_t i = 0; i < p->nsort && !x; i++)
		x = sq_first_outer(p->sort[i].expr);
	for (uint32_t i = 0; i < p->nkeys && !x; i++)
		x = sq_first_outer(p->lkeys[i]) ? sq_first_outer(p->lkeys[i])
						  : sq_first_outer(p->rkeys[i]);
	if (!x)
		x = sq_plan_outer(p->child[0]);
	if (!x)
		x = sq_plan_outer(p->child[1]);
	return x;
}

/* Rewrite the subqueries inside subquery Q, then pull its correlated
 * predicates into PS. */
static int sq_prepare(sq_ctx *c, sql_plan **q, sq_preds *ps, bool *agg)
{
	const sql_expr *x;
	int rc = sq_plan(c, q);

	if (rc)
		return rc;
	c->grouped = false;
	rc = sq_pull(c, q, ps, agg);
	if (rc)
		return rc;
	x = sq_plan_outer(*q);
	if (x) {
		sql_error_set(c->err, x->line, x->col,
			      "the correlated reference to %s is only supported in the WHERE clause "
			      "of a subquery (not under DISTINCT, LIMIT, UNION or an outer join)",
			      x->name);
		return -EINVAL;
	}
	return 0;
}

/* ---- joins -------------------------------------------------------------------------------------- */

typedef struct sq_join {
	sql_plan *j;
	uint32_t kcap, rcap;
} sq_join;

static void sq_join_new(sq_ctx *c, sq_join *b, sql_join_type t, sql_plan *l, sql_plan *r,
			const sql_expr *at)
{
	memset(b, 0, sizeof *b);
	b->j = sql_plan_new(c->a, SQL_PLAN_JOIN, at->line, at->col);
	b->j->join_type = t;
	b->j->child[0] = l;
	b->j->child[1] = r;
}

static void sq_join_key(sq_ctx *c, sq_join *b, sql_expr *l, sql_expr *r)
{
	sql_plan *j = b->j;
	uint32_t n = j->nkeys;

	j->lkeys = sql_array_push(c->a, j->lkeys, &n, &b->kcap, sizeof *j->lkeys);
	n = j->nkeys;
	j->rkeys = sql_array_push(c->a, j->rkeys, &n, &b->rcap, sizeof *j->rkeys);
	j->lkeys[n - 1] = l;
	j->rkeys[n - 1] = r;
	j->nkeys = n;
}

/* A correlated predicate: outer = inner is a key, the rest residual. */
static void sq_join_pred(sq_ctx *c, sq_join *b, const sql_expr *e)
{
	if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_EQ) {
		unsigned l = sq_refs(e->args[0]), r = sq_refs(e->args[1]);

		if (l == 1 && r == 2) {
			sq_join_key(c, b, sq_unouter(c, e->args[0]), sq_unouter(c, e->args[1]));
			return;
		}
		if (l == 2 && r == 1) {
			sq_join_key(c, b, sq_unouter(c, e->args[1]), sq_unouter(c, e->args[0]));
			return;
		}
	}
	b->j->cond = sql_expr_and(c->a, b->j->cond, sq_unouter(c, e));
}

static int sq_join_done(sq_ctx *c, sq_join *b)
{
	return sql_plan_compute_output(c->a, b->j);
}

/* EXISTS (q) or x IN (q), a conjunct of a filter: *CHILD becomes a semi or
 * anti join of itself with q. */
static int sq_predicate(sq_ctx *c, sql_plan **child, sql_expr *e)
{
	sq_preds ps = { 0 };
	sq_join b;
	bool agg = false;
	int rc;

	/* Whether a row exists does not depend on the order of the rows nor
	 * on a limit that keeps at least one: EXISTS (... ORDER BY x LIMIT 1)
	 * is EXISTS (...), which lets its correlation be pulled. */
	while (e->kind == SQL_EXPR_EXISTS &&
	       ((e->subquery->kind == SQL_PLAN_LIMIT && e->subquery->limit >= 1 &&
		 e->subquery->offset == 0) ||
		e->subquery->kind == SQL_PLAN_SORT))
		e->subquery = e->subquery->child[0];
	rc = sq_prepare(c, &e->subquery, &ps, &agg);

	if (rc)
		return rc;
	sq_join_new(c, &b, e->negated ? SQL_JOIN_LEFT_ANTI : SQL_JOIN_LEFT_SEMI, *child,
		    e->subquery, e);
	if (e->kind == SQL_EXPR_IN_SUBQUERY) {
		sql_expr *x = e->args[0];
		sql_expr *y = sq_cast(c, sq_col(c, &e->subquery->output[0], e->line, e->col), x->type);

		if (!e->negated) {
			sq_join_key(c, &b, x, y);
		} else if (ps.n == 0) {
			/* NOT IN: no row passes beside a NULL, on either side. */
			sq_join_key(c, &b, x, y);
			b.j->null_aware = true;
		} else {
			/* Correlated NOT IN, as Spark writes it: the row goes when a
			 * row of its subquery equals it or may (x = y is NULL). */
			sql_expr *eq = sq_eq(c, x, y);
			sql_expr *isnull = sq_node(c, SQL_EXPR_IS_NULL, SQL_TYPE_BOOLEAN, 1, e);
			sql_expr *or = sq_node(c, SQL_EXPR_BINARY, SQL_TYPE_BOOLEAN, 2, e);

			isnull->args[0] = sq_eq(c, sql_expr_copy(c->a, x), sql_expr_copy(c->a, y));
			or->op = SQL_OP_OR;
			or->args[0] = eq;
			or->args[1] = isnull;
			b.j->cond = or;
		}
	}
	for (uint32_t i = 0; i < ps.n; i++)
		sq_join_pred(c, &b, ps.v[i]);
	rc = sq_join_done(c, &b);
	if (rc == 0)
		*child = b.j;
	c->predicate = true;
	return rc;
}

/* Can Q return more than one row?  False when it provably cannot. */
static bool sq_at_most_one_row(const sql_plan *q)
{
	switch (q->kind) {
	case SQL_PLAN_AGGREGATE:
		return q->ngroups == 0;
	case SQL_PLAN_ONE_ROW:
		return true;
	case SQL_PLAN_VALUES:
		return q->nrows <= 1;
	case SQL_PLAN_LIMIT:
		return q->limit <= 1 || sq_at_most_one_row(q->child[0]);
	case SQL_PLAN_PROJECT:
	case SQL_PLAN_FILTER:
	case SQL_PLAN_ALIAS:
	case SQL_PLAN_SORT:
	case SQL_PLAN_DISTINCT:
		return sq_at_most_one_row(q->child[0]);
	default:
		return false;
	}
}

/* E with the columns defined by EXPRS replaced by their definitions. */
static sql_expr *sq_subst(sq_ctx *c, const sql_expr *e, sql_expr *const *exprs, uint32_t n)
{
	sql_expr *x;

	if (e->kind == SQL_EXPR_COLUMN) {
		for (uint32_t i = 0; i < n; i++) {
			if (exprs[i]->attr_id != e->attr_id)
				continue;
			if (exprs[i]->kind == SQL_EXPR_ALIAS)
				return sql_expr_copy(c->a, exprs[i]->args[0]);
			return sql_expr_copy(c->a, exprs[i]);
		}
		return sql_expr_copy(c->a, e);
	}
	x = sql_expr_copy(c->a, e);
	for (uint32_t i = 0; i < e->nargs; i++)
		x->args[i] = sq_subst(c, e->args[i], exprs, n);
	return x;
}

/* Aggregates as they come out of no rows: count 0, the others NULL. */
static sql_expr *sq_empty_aggs(sq_ctx *c, sql_expr *e)
{
	if (e->kind == SQL_EXPR_AGG) {
		sql_expr *lit = sq_node(c, SQL_EXPR_LITERAL, e->type, 0, e);

		lit->value.type = e->type;
		if (e->agg == SQL_AGG_COUNT)
			lit->value.u.i = 0;
		else
			lit->value.null = true;
		return lit;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		e->args[i] = sq_empty_aggs(c, e->args[i]);
	return e;
}

/* The value correlated scalar subquery Q (aggregated) gives for a row
 * without a group: its column evaluated over no rows, when that is not
 * NULL; NULL (the join's miss is right as it is) otherwise.  *AGGP is the
 * aggregate the value comes from. */
static sql_expr *sq_empty_value(sq_ctx *c, sql_plan *q, sql_plan **aggp)
{
	sql_expr *x = sq_col(c, &q->output[0], 0, 0);
	sql_value v;

	for (sql_plan *p = q; p; p = p->child[0]) {
		switch (p->kind) {
		case SQL_PLAN_PROJECT:
			x = sq_subst(c, x, p->exprs, p->nexprs);
			continue;
		case SQL_PLAN_ALIAS:
		case SQL_PLAN_SORT:
			continue;
		case SQL_PLAN_AGGREGATE:
			x = sq_empty_aggs(c, sq_subst(c, x, p->exprs, p->nexprs));
			if (sql_eval_const(c->a, x, &v) != 0 || v.null)
				return NULL;
			x = sq_node(c, SQL_EXPR_LITERAL, x->type, 0, x);
			x->value = v;
			x->value.type = x->type;
			*aggp = p;
			return x;
		default:
			/* A HAVING above the aggregate, or no aggregate at all. */
			return NULL;
		}
	}
	return NULL;
}

/* The scalar subquery *SLOT, in an expression over *CHILD's rows: *CHILD
 * becomes a LeftOuter join with the subquery's result and *SLOT a
 * reference to its column. */
static int sq_scalar(sq_ctx *c, sql_plan **child, sql_expr **slot)
{
	sql_expr *e = *slot, *val;
	sq_preds ps = { 0 };
	sq_join b;
	bool agg = false;
	int rc = sq_prepare(c, &e->subquery, &ps, &agg);
	sql_plan *q = e->subquery;

	if (rc)
		return rc;
	if (ps.n > 0 && !agg)
		return sq_fail(c, e->line, e->col,
			       "a correlated scalar subquery must be aggregated (e.g. SELECT max(x) "
			       "... WHERE y = outer_column)");
	if (ps.n > 0 && c->grouped)
		return sq_fail(c, e->line, e->col,
			       "a correlated scalar subquery may group only by its correlated columns: "
			       "another group could return more than one row");
	val = sq_col(c, &q->output[0], e->line, e->col);
	if (ps.n > 0) {
		sql_plan *ag = NULL;
		sql_expr *empty = sq_empty_value(c, q, &ag);

		if (empty && ag) {
			/* count bug: a missing group is the value over no rows */
			sql_expr *t = sq_node(c, SQL_EXPR_LITERAL, SQL_TYPE_BOOLEAN, 0, e);
			sql_expr *marker, *cs, *isnull;
			uint32_t n = ag->nexprs, cap = n;

			t->value.type = SQL_TYPE_BOOLEAN;
			t->value.u.b = true;
			marker = sq_alias(c, t, "alwaysTrue");
			ag->exprs = sql_array_push(c->a, ag->exprs, &n, &cap, sizeof *ag->exprs);
			ag->exprs[n - 1] = marker;
			ag->nexprs = n;
			for (sql_plan *p = q; p != ag; p = p->child[0])
				if (p->kind == SQL_PLAN_PROJECT)
					sq_add_columns(c, p, sq_col(c, &(sql_attr){ .name = "alwaysTrue",
						.type = SQL_TYPE_BOOLEAN, .id = marker->attr_id }, 0, 0), false);
			/* outputs from the aggregate up */
			{
				sql_plan *path[64];
				uint32_t np = 0;

				for (sql_plan *p = q; p != ag && np < 64; p = p->child[0])
					path[np++] = p;
				rc = sql_plan_compute_output(c->a, ag);
				while (rc == 0 && np > 0)
					rc = sql_plan_compute_output(c->a, path[--np]);
				if (rc)
					return rc;
			}
			isnull = sq_node(c, SQL_EXPR_IS_NULL, SQL_TYPE_BOOLEAN, 1, e);
			isnull->args[0] = sq_col(c, &(sql_attr){ .name = "alwaysTrue",
				.type = SQL_TYPE_BOOLEAN, .id = marker->attr_id }, e->line, e->col);
			cs = sq_node(c, SQL_EXPR_CASE, val->type, 3, e);
			cs->case_else = true;
			cs->args[0] = isnull;
			cs->args[1] = sq_cast(c, empty, val->type);
			cs->args[2] = val;
			val = cs;
		}
	}
	sq_join_new(c, &b, SQL_JOIN_LEFT, *child, q, e);
	/* Uncorrelated: the engine checks that q yields at most one row,
	 * unless its shape proves it (an aggregate without GROUP BY, ...). */
	b.j->one_row = ps.n == 0 && !sq_at_most_one_row(q);
	for (uint32_t i = 0; i < ps.n; i++)
		sq_join_pred(c, &b, ps.v[i]);
	rc = sq_join_done(c, &b);
	if (rc)
		return rc;
	*child = b.j;
	*slot = val;
	c->scalar = true;
	return 0;
}

/* Every scalar subquery in *SLOT, joined to *CHILD. */
static int sq_scalars(sq_ctx *c, sql_plan **child, sql_expr **slot)
{
	sql_expr *e = *slot;
	int rc;

	if (e == NULL)
		return 0;
	if (e->kind == SQL_EXPR_SCALAR_SUBQUERY)
		return sq_scalar(c, child, slot);
	if (e->kind == SQL_EXPR_EXISTS || e->kind == SQL_EXPR_IN_SUBQUERY)
		return sq_fail(c, e->line, e->col,
			       "EXISTS and IN (subquery) are only supported as conditions of WHERE or "
			       "HAVING, joined by AND");
	for (uint32_t i = 0; i < e->nargs; i++) {
		rc = sq_scalars(c, child, &e->args[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- subqueries in an aggregate's select list ---------------------------------------------------- */

/* Does E read the aggregate's input (a column or an aggregate)? */
static bool sq_reads_input(const sql_expr *e)
{
	if (e->kind == SQL_EXPR_COLUMN || e->kind == SQL_EXPR_AGG)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sq_reads_input(e->args[i]))
			return true;
	return false;
}

/* Append E to P's exprs as a hidden output; a reference to it. */
static sql_expr *sq_hidden(sq_ctx *c, sql_plan *p, sql_expr *e, const char *name)
{
	uint32_t n = p->nexprs, cap = n;
	sql_expr *al = e->kind == SQL_EXPR_COLUMN ? e : sq_alias(c, e, name);
	sql_attr at = { .name = al->name, .type = al->type, .id = al->attr_id };

	if (e->kind == SQL_EXPR_COLUMN && sq_defines(p->exprs, p->nexprs, e->attr_id))
		return sq_col(c, &at, e->line, e->col);
	p->exprs = sql_array_push(c->a, p->exprs, &n, &cap, sizeof *p->exprs);
	p->exprs[n - 1] = al;
	p->nexprs = n;
	return sq_col(c, &at, e->line, e->col);
}

/* E (an aggregate's output expression holding subqueries) over the
 * aggregate's output: each largest part without a subquery that reads the
 * input becomes a hidden output of AGG. */
static sql_expr *sq_hoist(sq_ctx *c, sql_plan *agg, sql_expr *e)
{
	if (sq_is_subquery(e))
		return e;
	if (!sq_has_subquery(e))
		return sq_reads_input(e) ? sq_hidden(c, agg, e, "subquery_arg") : e;
	for (uint32_t i = 0; i < e->nargs; i++)
		e->args[i] = sq_hoist(c, agg, e->args[i]);
	return e;
}

/* The outer columns of Q that AGG does not output yet become hidden
 * outputs when they are grouping columns; anything else is refused. */
static int sq_expose_outer(sq_ctx *c, sql_plan *agg, const sql_plan *q);

static int sq_expose_expr(sq_ctx *c, sql_plan *agg, const sql_expr *e)
{
	if (e == NULL)
		return 0;
	if (e->kind == SQL_EXPR_COLUMN && e->outer) {
		bool grouped = false;

		if (sq_defines(agg->exprs, agg->nexprs, e->attr_id))
			return 0;
		for (uint32_t g = 0; g < agg->ngroups && !grouped; g++)
			grouped = agg->groups[g]->kind == SQL_EXPR_COLUMN &&
				  agg->groups[g]->attr_id == e->attr_id;
		if (!grouped)
			return sq_fail(c, e->line, e->col,
				       "a subquery in the select list of an aggregate may only refer to "
				       "its grouping columns");
		sq_hidden(c, agg, sq_unouter(c, e), e->name);
		return 0;
	}
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = sq_expose_expr(c, agg, e->args[i]);

		if (rc)
			return rc;
	}
	return e->subquery ? sq_expose_outer(c, agg, e->subquery) : 0;
}

static int sq_expose_outer(sq_ctx *c, sql_plan *agg, const sql_plan *q)
{
	int rc = 0;

	if (q == NULL)
		return 0;
	rc = sq_expose_expr(c, agg, q->cond);
	for (uint32_t i = 0; i < q->nexprs && rc == 0; i++)
		rc = sq_expose_expr(c, agg, q->exprs[i]);
	for (uint32_t i = 0; i < q->ngroups && rc == 0; i++)
		rc = sq_expose_expr(c, agg, q->groups[i]);
	for (uint32_t i = 0; i < q->nsort && rc == 0; i++)
		rc = sq_expose_expr(c, agg, q->sort[i].expr);
	if (rc == 0)
		rc = sq_expose_outer(c, agg, q->child[0]);
	if (rc == 0)
		rc = sq_expose_outer(c, agg, q->child[1]);
	return rc;
}

static int sq_expose_subqueries(sq_ctx *c, sql_plan *agg, const sql_expr *e)
{
	int rc;

	if (e->subquery)
		return sq_expose_outer(c, agg, e->subquery);
	for (uint32_t i = 0; i < e->nargs; i++) {
		rc = sq_expose_subqueries(c, agg, e->args[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* An aggregate whose select list holds scalar subqueries: the subqueries
 * are evaluated over its output, as Spark does, by a Project on top that
 * joins them there, the aggregate computing what they are combined with:
 * Aggregate [g], [g, sum(x) / scalar-subquery AS share] becomes
 * Project [g, (subquery_arg / col) AS share] over the join of
 * Aggregate [g], [g, sum(x) AS subquery_arg] with the subquery. */
static int sq_aggregate(sq_ctx *c, sql_plan **slot)
{
	sql_plan *agg = *slot, *top;
	uint32_t n = agg->nexprs, keep = 0;
	sql_attr *out = sql_arena_alloc(c->a, (n + 1) * sizeof *out);
	sql_expr **tops = sql_arena_alloc(c->a, (n + 1) * sizeof *tops);
	bool *moved = sql_arena_alloc(c->a, (n + 1) * sizeof *moved);
	int rc;

	memcpy(out, agg->output, n * sizeof *out);
	for (uint32_t i = 0; i < n; i++) {
		sql_expr *e = agg->exprs[i], *al;

		if (!sq_has_subquery(e)) {
			tops[i] = sq_col(c, &out[i], e->line, e->col);
			continue;
		}
		if (e->kind != SQL_EXPR_ALIAS)
			return sq_fail(c, e->line, e->col, "internal error: an unnamed aggregate output");
		rc = sq_expose_subqueries(c, agg, e);
		if (rc)
			return rc;
		/* the analyzer names every computed output: e is an ALIAS */
		al = sql_arena_alloc(c->a, sizeof *al);
		*al = *e;
		al->args = sql_arena_alloc(c->a, sizeof *al->args);
		al->args[0] = sq_hoist(c, agg, e->args[0]);
		tops[i] = al;
		moved[i] = true;
	}
	for (uint32_t i = 0; i < agg->nexprs; i++)
		if (i >= n || !moved[i])
			agg->exprs[keep++] = agg->exprs[i];
	agg->nexprs = keep;
	rc = sql_plan_compute_output(c->a, agg);
	if (rc)
		return rc;
	top = sql_plan_new(c->a, SQL_PLAN_PROJECT, agg->line, agg->col);
	top->child[0] = agg;
	top->exprs = tops;
	top->nexprs = n;
	for (uint32_t i = 0; i < n; i++) {
		rc = sq_scalars(c, &top->child[0], &top->exprs[i]);
		if (rc)
			return rc;
	}
	rc = sql_plan_compute_output(c->a, top);
	if (rc == 0)
		*slot = top;
	return rc;
}

/* ---- the plan walk ------------------------------------------------------------------------------- */

/* A Project of exactly P's output (after a rewrite added columns to it). */
static sql_plan *sq_restore(sq_ctx *c, sql_plan *p, const sql_attr *out, uint32_t n)
{
	sql_plan *top = sql_plan_new(c->a, SQL_PLAN_PROJECT, p->line, p->col);

	top->child[0] = p;
	top->exprs = sql_arena_alloc(c->a, (n + 1) * sizeof *top->exprs);
	for (uint32_t i = 0; i < n; i++)
		top->exprs[i] = sq_col(c, &out[i], p->line, p->col);
	top->nexprs = n;
	sql_plan_compute_output(c->a, top);
	return top;
}

static int sq_filter(sq_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *below = p->child[0], *top;
	const sql_attr *out = p->output;
	uint32_t nout = p->noutput, n;
	sql_expr **conj, *rest = NULL;
	int rc;

	sql_expr_conjuncts(c->a, p->cond, &conj, &n);
	/* Scalar subqueries of the plain conjuncts join below the filter. */
	for (uint32_t i = 0; i < n; i++) {
		if (conj[i]->kind == SQL_EXPR_EXISTS || conj[i]->kind == SQL_EXPR_IN_SUBQUERY)
			continue;
		rc = sq_scalars(c, &below, &conj[i]);
		if (rc)
			return rc;
		rest = sql_expr_and(c->a, rest, conj[i]);
	}
	if (rest) {
		p->cond = rest;
		p->child[0] = below;
		sql_plan_compute_output(c->a, p);
		top = p;
	} else {
		top = below;
	}
	/* EXISTS and IN conjuncts join above it, as Spark orders them. */
	for (uint32_t i = 0; i < n; i++) {
		if (conj[i]->kind != SQL_EXPR_EXISTS && conj[i]->kind != SQL_EXPR_IN_SUBQUERY)
			continue;
		rc = sq_predicate(c, &top, conj[i]);
		if (rc)
			return rc;
	}
	if (top->noutput != nout)
		top = sq_restore(c, top, out, nout);
	*slot = top;
	return 0;
}

static int sq_plan(sq_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot;
	const sql_expr *bad = NULL;
	int rc;

	for (int i = 0; i < 2; i++) {
		if (p->child[i]) {
			rc = sq_plan(c, &p->child[i]);
			if (rc)
				return rc;
		}
	}
	if (p->kind == SQL_PLAN_FILTER && sq_has_subquery(p->cond))
		return sq_filter(c, slot);
	if (p->kind == SQL_PLAN_PROJECT) {
		for (uint32_t i = 0; i < p->nexprs; i++) {
			if (!sq_has_subquery(p->exprs[i]))
				continue;
			rc = sq_scalars(c, &p->child[0], &p->exprs[i]);
			if (rc)
				return rc;
		}
		return sql_plan_compute_output(c->a, p);
	}
	if (p->kind == SQL_PLAN_AGGREGATE) {
		bool any = false;

		for (uint32_t i = 0; i < p->nexprs; i++)
			any |= sq_has_subquery(p->exprs[i]);
		for (uint32_t g = 0; g < p->ngroups && any; g++)
			if (sq_has_subquery(p->groups[g]))
				return sq_fail(c, p->groups[g]->line, p->groups[g]->col,
					       "subqueries are not supported in GROUP BY");
		if (any)
			return sq_aggregate(c, slot);
	}
	/* Anywhere else a subquery is not rewritten: say where. */
	for (uint32_t i = 0; i < p->nexprs && !bad; i++)
		if (sq_has_subquery(p->exprs[i]))
			bad = p->exprs[i];
	for (uint32_t i = 0; i < p->ngroups && !bad; i++)
		if (sq_has_subquery(p->groups[i]))
			bad = p->groups[i];
	for (uint32_t i = 0; i < p->nsort && !bad; i++)
		if (sq_has_subquery(p->sort[i].expr))
			bad = p->sort[i].expr;
	if (!bad && sq_has_subquery(p->cond))
		bad = p->cond;
	for (uint32_t r = 0; r < p->nrows && !bad; r++)
		for (uint32_t k = 0; k < p->ncols && !bad; k++)
			if (sq_has_subquery(p->rows[r][k]))
				bad = p->rows[r][k];
	if (bad)
		return sq_fail(c, bad->line, bad->col,
			       "subqueries are supported in WHERE, HAVING and select lists, not here");
	return 0;
}

int sql_rewrite_subqueries(sql_arena *a, sql_plan **plan, bool *predicate, bool *scalar,
			   sql_error *err)
{
	sq_ctx c = { .a = a, .err = err };
	uint32_t max = 0;
	int rc;

	sq_max_plan(*plan, &max);
	c.next_id = max + 1;
	rc = sq_plan(&c, plan);
	*predicate = c.predicate;
	*scalar = c.scalar;
	return rc;
}
