/*
 * sql_optimize.c - the logical optimizer: Catalyst's rules, to a fixed point,
 * then partition pruning against the metastore.
 *
 * Rules work on attribute ids, never on ordinals: a rule that moves an
 * expression from one node to another only has to keep the ids right, and
 * after every change the tree is refreshed bottom-up (outputs recomputed,
 * every column's ordinal looked up again by id in its node's input).  A
 * column whose id cannot be found is a bug in a rule and fails the job
 * rather than reading the wrong column.
 *
 * The rules, by Catalyst's names: ConstantFolding, BooleanSimplification,
 * CombineFilters, PushDownPredicates (a FILTER sinks through PROJECT,
 * ALIAS, SORT, DISTINCT, UNION, through AGGREGATE on grouping keys, into
 * the sides of a JOIN, and into a SCAN as its pushed filter), ColumnPruning
 * (a SCAN reads only the columns used above it), CollapseProject and
 * PruneFilters and RemoveNoopOperators, after EliminateSubqueryAliases has removed the analyzer's
 * SubqueryAliases.  Each run of a rule that changes the plan is counted in the
 * rule log.  PartitionPruning runs once the rules are done: the
 * partition-only part of a scan's pushed filter decides which partitions
 * are read, with the comparisons on the first partition key as metastore
 * cursor ranges, and the metastore is walked to count what is selected.
 * Then ReorderJoin orders the relations of each region of inner joins,
 * turning WHERE equalities into join keys, and JoinBuildSide turns outer
 * joins around so that the smaller side is built (see their sections); the
 * rules run again over the new plan.
 *
 * Predicates and outer joins: a filter may move below a join only into a
 * side whose rows the join never pads with NULLs (op_join_pushable).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base_path.h"
#include "sql_int.h"

#define OP_MAX_ITERATIONS 100

typedef struct op_ctx {
	sql_arena *a;
	const sql_catalog *cat;
	sql_rule_log *log;
	sql_error *err;
} op_ctx;

/* A set of attribute ids (small: a linear array is enough). */
typedef struct op_ids {
	uint32_t *v;
	uint32_t n, cap;
} op_ids;

static bool op_ids_has(const op_ids *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i] == id)
			return true;
	return false;
}

static void op_ids_add(sql_arena *a, op_ids *s, uint32_t id)
{
	if (op_ids_has(s, id))
		return;
	s->v = sql_array_push(a, s->v, &s->n, &s->cap, sizeof *s->v);
	s->v[s->n - 1] = id;
}

static void op_ids_refs(sql_arena *a, op_ids *s, const sql_expr *e)
{
	if (e == NULL)
		return;
	if (e->kind == SQL_EXPR_COLUMN) {
		op_ids_add(a, s, e->attr_id);
		return;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		op_ids_refs(a, s, e->args[i]);
}

static bool op_in_attrs(const sql_attr *attrs, uint32_t n, uint32_t id)
{
	for (uint32_t i = 0; i < n; i++)
		if (attrs[i].id == id)
			return true;
	return false;
}

/* Do all columns of E come from ATTRS? */
static bool op_refs_only(const sql_expr *e, const sql_attr *attrs, uint32_t n)
{
	if (e->kind == SQL_EXPR_COLUMN)
		return op_in_attrs(attrs, n, e->attr_id);
	for (uint32_t i = 0; i < e->nargs; i++)
		if (!op_refs_only(e->args[i], attrs, n))
			return false;
	return true;
}

static bool op_has_column(const sql_expr *e)
{
	if (e->kind == SQL_EXPR_COLUMN)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (op_has_column(e->args[i]))
			return true;
	return false;
}

static void op_log(op_ctx *c, const char *rule)
{
	sql_rule_log *l = c->log;

	if (l == NULL)
		return;
	for (uint32_t i = 0; i < l->n; i++) {
		if (strcmp(l->names[i], rule) == 0) {
			l->counts[i]++;
			return;
		}
	}
	if (l->n < sizeof l->names / sizeof l->names[0]) {
		l->names[l->n] = rule;
		l->counts[l->n] = 1;
		l->n++;
	}
}

static sql_expr *op_bool_literal(op_ctx *c, bool v, uint32_t line, uint32_t col)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_LITERAL, line, col);

	e->type = SQL_TYPE_BOOLEAN;
	e->value.type = SQL_TYPE_BOOLEAN;
	e->value.u.b = v;
	e->resolved = true;
	return e;
}

static bool op_is_bool(const sql_expr *e, bool v)
{
	return e && e->kind == SQL_EXPR_LITERAL && !e->value.null &&
	       e->value.type == SQL_TYPE_BOOLEAN && e->value.u.b == v;
}

static bool op_is_null_literal(const sql_expr *e)
{
	return e && e->kind == SQL_EXPR_LITERAL && e->value.null;
}

/* ---- refresh: outputs and ordinals from attribute ids ---------------------------------------- */

static int op_fix(op_ctx *c, sql_expr *e, const sql_attr *attrs, uint32_t n)
{
	if (e == NULL)
		return 0;
	if (e->kind == SQL_EXPR_COLUMN) {
		for (uint32_t i = 0; i < n; i++) {
			if (attrs[i].id == e->attr_id) {
				e->ordinal = (int32_t)i;
				return 0;
			}
		}
		sql_error_set(c->err, e->line, e->col,
			      "internal error: the optimizer lost column %s#%u", e->name, e->attr_id);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = op_fix(c, e->args[i], attrs, n);

		if (rc)
			return rc;
	}
	return 0;
}

static int op_refresh(op_ctx *c, sql_plan *p)
{
	const sql_attr *in;
	uint32_t nin;
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		if (p->child[i]) {
			rc = op_refresh(c, p->child[i]);
			if (rc)
				return rc;
		}
	}
	rc = sql_plan_compute_output(c->a, p);
	if (rc)
		return rc;
	if (p->kind == SQL_PLAN_SCAN) {
		rc = op_fix(c, p->scan->data_filter, p->output, p->noutput);
		if (rc == 0)
			rc = op_fix(c, p->scan->partition_filter, p->output, p->noutput);
		return rc;
	}
	if (p->child[0] == NULL)
		return 0;
	in = p->child[0]->output;
	nin = p->child[0]->noutput;
	if (p->kind == SQL_PLAN_JOIN) {
		const sql_plan *l = p->child[0], *r = p->child[1];

		for (uint32_t i = 0; i < p->nkeys && rc == 0; i++) {
			rc = op_fix(c, p->lkeys[i], l->output, l->noutput);
			if (rc == 0)
				rc = op_fix(c, p->rkeys[i], r->output, r->noutput);
		}
		/* The residual reads the left row then the right row (the join's
		 * output, except for a semi or anti join, which outputs the left
		 * row only). */
		if (rc == 0 && p->cond) {
			uint32_t nboth = l->noutput + r->noutput;
			sql_attr *both = sql_arena_alloc(c->a, (nboth + 1) * sizeof *both);

			memcpy(both, l->output, l->noutput * sizeof *both);
			memcpy(both + l->noutput, r->output, r->noutput * sizeof *both);
			rc = op_fix(c, p->cond, both, nboth);
		}
		return rc;
	}
	if (p->kind == SQL_PLAN_FILTER)
		rc = op_fix(c, p->cond, in, nin);
	for (uint32_t i = 0; i < p->nexprs && rc == 0; i++)
		rc = op_fix(c, p->exprs[i], in, nin);
	for (uint32_t i = 0; i < p->ngroups && rc == 0; i++)
		rc = op_fix(c, p->groups[i], in, nin);
	for (uint32_t i = 0; i < p->nsort && rc == 0; i++)
		rc = op_fix(c, p->sort[i].expr, in, nin);
	if (rc == 0)
		rc = sql_plan_compute_output(c->a, p);
	return rc;
}

/* ---- expression rules ----------------------------------------------------------------------------- */

typedef bool (*op_expr_rule)(op_ctx *c, sql_expr **slot);

/* Apply RULE to every expression held by every node of the tree. */
static bool op_each_expr(op_ctx *c, sql_plan *p, op_expr_rule rule)
{
	bool changed = false;

	if (p == NULL)
		return false;
	changed |= op_each_expr(c, p->child[0], rule);
	changed |= op_each_expr(c, p->child[1], rule);
	if (p->cond)
		changed |= rule(c, &p->cond);
	for (uint32_t i = 0; i < p->nexprs; i++)
		changed |= rule(c, &p->exprs[i]);
	for (uint32_t i = 0; i < p->ngroups; i++)
		changed |= rule(c, &p->groups[i]);
	for (uint32_t i = 0; i < p->nsort; i++)
		changed |= rule(c, &p->sort[i].expr);
	for (uint32_t i = 0; i < p->nkeys; i++) {
		changed |= rule(c, &p->lkeys[i]);
		changed |= rule(c, &p->rkeys[i]);
	}
	for (uint32_t r = 0; r < p->nrows; r++)
		for (uint32_t k = 0; k < p->ncols; k++)
			changed |= rule(c, &p->rows[r][k]);
	if (p->kind == SQL_PLAN_SCAN) {
		if (p->scan->data_filter)
			changed |= rule(c, &p->scan->data_filter);
		if (p->scan->partition_filter)
			changed |= rule(c, &p->scan->partition_filter);
	}
	return changed;
}

/* ConstantFolding: an expression over literals only becomes a literal. */
static bool op_fold(op_ctx *c, sql_expr **slot)
{
	sql_expr *e = *slot, *lit;
	sql_value v;
	bool changed = false, all = true;

	for (uint32_t i = 0; i < e->nargs; i++) {
		changed |= op_fold(c, &e->args[i]);
		all &= e->args[i]->kind == SQL_EXPR_LITERAL;
	}
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
	case SQL_EXPR_COLUMN:
	case SQL_EXPR_STAR:
	case SQL_EXPR_AGG:
	case SQL_EXPR_ALIAS:
		return changed;
	default:
		break;
	}
	if (!all || e->nargs == 0)
		return changed;
	if (sql_eval_const(c->a, e, &v) != 0)
		return changed;
	lit = sql_expr_new(c->a, SQL_EXPR_LITERAL, e->line, e->col);
	lit->type = e->type;
	lit->value = v;
	lit->value.type = e->type;
	lit->resolved = true;
	*slot = lit;
	return true;
}

/* The disjuncts of E (a OR b OR c -> a, b, c) appended to *OUT. */
static void op_disjuncts(op_ctx *c, sql_expr *e, sql_expr ***out, uint32_t *n, uint32_t *cap)
{
	if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_OR) {
		op_disjuncts(c, e->args[0], out, n, cap);
		op_disjuncts(c, e->args[1], out, n, cap);
		return;
	}
	*out = sql_array_push(c->a, *out, n, cap, sizeof **out);
	(*out)[*n - 1] = e;
}

static sql_expr *op_or(op_ctx *c, sql_expr *l, sql_expr *r)
{
	sql_expr *e;

	if (l == NULL)
		return r;
	e = sql_expr_new(c->a, SQL_EXPR_BINARY, l->line, l->col);
	e->op = SQL_OP_OR;
	e->type = SQL_TYPE_BOOLEAN;
	e->resolved = true;
	e->nargs = 2;
	e->args = sql_arena_alloc(c->a, 2 * sizeof *e->args);
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

/* (a AND b) OR (a AND c) is a AND (b OR c), and (a) OR (a AND c) is a:
 * AND and OR distribute over each other in three-valued logic too.  This
 * is what lets TPC-H Q19, whose join key is repeated in each branch of an
 * OR, run as a hash join. */
static bool op_factor_or(op_ctx *c, sql_expr **slot)
{
	sql_expr **dis = NULL, **first, *common = NULL, *rest = NULL;
	uint32_t ndis = 0, dcap = 0, nfirst;
	bool absorbed = false;

	op_disjuncts(c, *slot, &dis, &ndis, &dcap);
	sql_expr_conjuncts(c->a, dis[0], &first, &nfirst);
	bool *is_common = sql_arena_alloc(c->a, (nfirst + 1) * sizeof *is_common);
	for (uint32_t i = 0; i < nfirst; i++) {
		bool all = true;
		for (uint32_t d = 1; d < ndis && all; d++) {
			sql_expr **conj;
			uint32_t n;
			bool found = false;
			sql_expr_conjuncts(c->a, dis[d], &conj, &n);
			for (uint32_t k = 0; k < n && !found; k++)
				found = sql_expr_equal(first[i], conj[k]);
			all = found;
		}
		if (all) {
			is_common[i] = true;
			common = sql_expr_and(c->a, common, first[i]);
		}
	}
	if (common == NULL)
		return false;
	for (uint32_t d = 0; d < ndis; d++) {
		sql_expr **conj, *left = NULL;
		uint32_t n;
		sql_expr_conjuncts(c->a, dis[d], &conj, &n);
		for (uint32_t k = 0; k < n; k++) {
			bool shared = false;
			for (uint32_t i = 0; i < nfirst && !shared; i++)
				shared = is_common[i] && sql_expr_equal(first[i], conj[k]);
			if (!shared)
				left = sql_expr_and(c->a, left, conj[k]);
		}
		if (left == NULL)
			absorbed = true;
		rest = op_or(c, rest, left ? left : common);
	}
	*slot = absorbed ? common : sql_expr_and(c->a, common, rest);
	return true;
}

/* BooleanSimplification: TRUE/FALSE absorbed by AND and OR, x AND x is x,
 * NOT NOT x is x, common conjuncts of the branches of an OR factored out.
 * NULL is left alone (x AND NULL is not x). */
static bool op_simplify(op_ctx *c, sql_expr **slot)
{
	sql_expr *e = *slot;
	bool changed = false;

	for (uint32_t i = 0; i < e->nargs; i++)
		changed |= op_simplify(c, &e->args[i]);
	if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_OR && op_factor_or(c, slot))
		return true;
	if (e->kind == SQL_EXPR_BINARY && (e->op == SQL_OP_AND || e->op == SQL_OP_OR)) {
		bool and = e->op == SQL_OP_AND;
		sql_expr *l = e->args[0], *r = e->args[1];

		/* AND: FALSE wins, TRUE vanishes; OR: TRUE wins, FALSE vanishes. */
		if (op_is_bool(l, !and) || op_is_bool(r, !and)) {
			*slot = op_bool_literal(c, !and, e->line, e->col);
			return true;
		}
		if (op_is_bool(l, and)) {
			*slot = r;
			return true;
		}
		if (op_is_bool(r, and) || sql_expr_equal(l, r)) {
			*slot = l;
			return true;
		}
	}
	if (e->kind == SQL_EXPR_UNARY && e->op == SQL_OP_NOT && e->args[0]->kind == SQL_EXPR_UNARY &&
	    e->args[0]->op == SQL_OP_NOT) {
		*slot = e->args[0]->args[0];
		return true;
	}
	return changed;
}

/* ---- substitution ---------------------------------------------------------------------------------- */

/* E with every column defined by one of EXPRS (a PROJECT's or AGGREGATE's
 * list) replaced by its definition. */
static sql_expr *op_subst(op_ctx *c, const sql_expr *e, sql_expr *const *exprs, uint32_t n)
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
	x = sql_arena_alloc(c->a, sizeof *x);
	*x = *e;
	if (e->nargs) {
		x->args = sql_arena_alloc(c->a, e->nargs * sizeof *x->args);
		for (uint32_t i = 0; i < e->nargs; i++)
			x->args[i] = op_subst(c, e->args[i], exprs, n);
	}
	return x;
}

/* E with columns of FROM replaced, position by position, by those of TO. */
static sql_expr *op_remap(op_ctx *c, const sql_expr *e, const sql_attr *from, const sql_attr *to,
			  uint32_t n)
{
	sql_expr *x = sql_arena_alloc(c->a, sizeof *x);

	*x = *e;
	if (e->kind == SQL_EXPR_COLUMN) {
		for (uint32_t i = 0; i < n; i++) {
			if (from[i].id == e->attr_id) {
				x->attr_id = to[i].id;
				x->name = to[i].name;
				x->type = to[i].type;
				break;
			}
		}
		return x;
	}
	if (e->nargs) {
		x->args = sql_arena_alloc(c->a, e->nargs * sizeof *x->args);
		for (uint32_t i = 0; i < e->nargs; i++)
			x->args[i] = op_remap(c, e->args[i], from, to, n);
	}
	return x;
}

static sql_plan *op_filter(op_ctx *c, sql_expr *cond, sql_plan *child)
{
	sql_plan *f = sql_plan_new(c->a, SQL_PLAN_FILTER, cond->line, cond->col);

	f->cond = cond;
	f->child[0] = child;
	sql_plan_compute_output(c->a, f);
	return f;
}

/* ---- plan rules --------------------------------------------------------------------------------------- */

typedef bool (*op_plan_rule)(op_ctx *c, sql_plan **slot);

/* Apply RULE at every node, top-down (a node first, then its new children). */
static bool op_each_plan(op_ctx *c, sql_plan **slot, op_plan_rule rule)
{
	bool changed = rule(c, slot);
	sql_plan *p = *slot;

	for (int i = 0; i < 2; i++)
		if (p->child[i])
			changed |= op_each_plan(c, &p->child[i], rule);
	return changed;
}

/* CombineFilters: Filter(Filter(x, a), b) -> Filter(x, a AND b). */
static bool op_combine_filters(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *ch = p->child[0];

	if (p->kind != SQL_PLAN_FILTER || ch->kind != SQL_PLAN_FILTER)
		return false;
	ch->cond = sql_expr_and(c->a, ch->cond, p->cond);
	*slot = ch;
	return true;
}

/* Push the conjuncts of a FILTER over an AGGREGATE that only use grouping
 * outputs below it. */
static bool op_push_through_aggregate(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *agg = p->child[0];
	sql_expr **conj, *keep = NULL, *push = NULL;
	uint32_t n;

	if (agg->ngroups == 0)
		return false;   /* one row even for no input: a filter below would change it */
	sql_expr_conjuncts(c->a, p->cond, &conj, &n);
	for (uint32_t i = 0; i < n; i++) {
		op_ids ids = { 0 };
		bool ok = op_has_column(conj[i]);

		op_ids_refs(c->a, &ids, conj[i]);
		for (uint32_t k = 0; k < ids.n && ok; k++) {
			ok = false;
			for (uint32_t j = 0; j < agg->nexprs; j++) {
				const sql_expr *x = agg->exprs[j];

				if (x->attr_id != ids.v[k])
					continue;
				if (x->kind == SQL_EXPR_ALIAS)
					x = x->args[0];
				for (uint32_t g = 0; g < agg->ngroups; g++)
					ok |= sql_expr_equal(x, agg->groups[g]);
			}
		}
		if (ok)
			push = sql_expr_and(c->a, push, op_subst(c, conj[i], agg->exprs, agg->nexprs));
		else
			keep = sql_expr_and(c->a, keep, conj[i]);
	}
	if (push == NULL)
		return false;
	agg->child[0] = op_filter(c, push, agg->child[0]);
	*slot = keep ? op_filter(c, keep, agg) : agg;
	return true;
}

/* Split COND into conjuncts that only read the left side, only the right
 * side, and the rest. */
static void op_split_sides(op_ctx *c, sql_expr *cond, const sql_plan *j, sql_expr **left,
			   sql_expr **right, sql_expr **rest)
{
	sql_expr **conj;
	uint32_t n;
	const sql_plan *l = j->child[0], *r = j->child[1];

	*left = *right = *rest = NULL;
	sql_expr_conjuncts(c->a, cond, &conj, &n);
	for (uint32_t i = 0; i < n; i++) {
		if (op_has_column(conj[i]) && op_refs_only(conj[i], l->output, l->noutput))
			*left = sql_expr_and(c->a, *left, conj[i]);
		else if (op_has_column(conj[i]) && op_refs_only(conj[i], r->output, r->noutput))
			*right = sql_expr_and(c->a, *right, conj[i]);
		else
			*rest = sql_expr_and(c->a, *rest, conj[i]);
	}
}

/* Put LEFT over J's left input and RIGHT over its right one, as filters
 * (either may be NULL); false when both are. */
static bool op_filter_sides(op_ctx *c, sql_plan *j, sql_expr *left, sql_expr *right)
{
	if (left == NULL && right == NULL)
		return false;
	if (left)
		j->child[0] = op_filter(c, left, j->child[0]);
	if (right)
		j->child[1] = op_filter(c, right, j->child[1]);
	return true;
}

/* Which sides of join J a predicate may filter before the join without
 * changing its result.  A WHERE predicate above the join (ON false) may
 * filter a side whose rows the join preserves (outputs even without a
 * match), never the side whose missing rows it pads with NULLs: there it
 * would remove rows the join would have padded instead.  An ON condition
 * only decides which pairs match, so it may filter the other way round:
 * the side that is not preserved (its rows only ever appear matched).
 * Inner and semi joins preserve nothing and pad nothing: both sides, both
 * ways.  An anti join outputs exactly the left rows without a match, so
 * its ON condition may filter only the right side. */
static void op_join_pushable(const sql_plan *j, bool on, bool *left, bool *right)
{
	switch (j->join_type) {
	case SQL_JOIN_LEFT:
		*left = !on;
		*right = on;
		return;
	case SQL_JOIN_RIGHT:
		*left = on;
		*right = !on;
		return;
	case SQL_JOIN_FULL:
		*left = *right = false;
		return;
	case SQL_JOIN_LEFT_ANTI:
		/* Above it only left columns exist. */
		*left = !on;
		*right = on;
		return;
	default:
		*left = *right = true;
		return;
	}
}

static bool op_push_into_join(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *j = p->child[0];
	sql_expr *left, *right, *rest;
	bool to_left, to_right;

	op_split_sides(c, p->cond, j, &left, &right, &rest);
	op_join_pushable(j, false, &to_left, &to_right);
	if (left && !to_left) {
		rest = sql_expr_and(c->a, left, rest);
		left = NULL;
	}
	if (right && !to_right) {
		rest = sql_expr_and(c->a, right, rest);
		right = NULL;
	}
	if (!op_filter_sides(c, j, left, right))
		return false;
	*slot = rest ? op_filter(c, rest, j) : j;
	return true;
}

/* A JOIN's own residual condition: its one-sided conjuncts filter the
 * sides op_join_pushable allows. */
static bool op_push_join_condition(op_ctx *c, sql_plan *j)
{
	sql_expr *left, *right, *rest;
	bool to_left, to_right;

	if (j->cond == NULL)
		return false;
	op_split_sides(c, j->cond, j, &left, &right, &rest);
	op_join_pushable(j, true, &to_left, &to_right);
	if (left && !to_left) {
		rest = sql_expr_and(c->a, left, rest);
		left = NULL;
	}
	if (right && !to_right) {
		rest = sql_expr_and(c->a, right, rest);
		right = NULL;
	}
	if (!op_filter_sides(c, j, left, right))
		return false;
	j->cond = rest;
	return true;
}

/* PushDownPredicates. */
static bool op_push_down(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *ch;
	sql_scan *s;

	if (p->kind == SQL_PLAN_JOIN)
		return op_push_join_condition(c, p);
	if (p->kind != SQL_PLAN_FILTER)
		return false;
	ch = p->child[0];
	switch (ch->kind) {
	case SQL_PLAN_PROJECT:
		/* Every projected expression is deterministic and side-effect
		 * free, so the condition can read the definitions instead. */
		p->cond = op_subst(c, p->cond, ch->exprs, ch->nexprs);
		p->child[0] = ch->child[0];
		ch->child[0] = p;
		*slot = ch;
		return true;
	case SQL_PLAN_ALIAS:
	case SQL_PLAN_SORT:
	case SQL_PLAN_DISTINCT:
		p->child[0] = ch->child[0];
		ch->child[0] = p;
		*slot = ch;
		return true;
	case SQL_PLAN_UNION:
		ch->child[0] = op_filter(c, p->cond, ch->child[0]);
		ch->child[1] = op_filter(c, op_remap(c, p->cond, ch->output, ch->child[1]->output,
						     ch->noutput),
					 ch->child[1]);
		*slot = ch;
		return true;
	case SQL_PLAN_AGGREGATE:
		return op_push_through_aggregate(c, slot);
	case SQL_PLAN_JOIN:
		return op_push_into_join(c, slot);
	case SQL_PLAN_SCAN:
		s = ch->scan;
		s->data_filter = sql_expr_and(c->a, s->data_filter, p->cond);
		*slot = ch;
		return true;
	default:
		return false;
	}
}

/* CollapseProject: Project(Project(x)) -> Project(x). */
static bool op_collapse_project(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *ch = p->child[0];

	if (p->kind != SQL_PLAN_PROJECT || ch->kind != SQL_PLAN_PROJECT)
		return false;
	for (uint32_t i = 0; i < p->nexprs; i++) {
		sql_expr *e = p->exprs[i];

		if (e->kind == SQL_EXPR_COLUMN) {
			/* A pass-through of a lower definition is that definition. */
			for (uint32_t k = 0; k < ch->nexprs; k++) {
				if (ch->exprs[k]->attr_id == e->attr_id) {
					p->exprs[i] = ch->exprs[k];
					break;
				}
			}
		} else {
			p->exprs[i] = op_subst(c, e, ch->exprs, ch->nexprs);
		}
	}
	p->child[0] = ch->child[0];
	return true;
}

/* RemoveNoopOperators: a PROJECT that passes its child's columns through
 * unchanged, in order. */
static bool op_remove_noop_project(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *ch = p->child[0];

	(void)c;
	if (p->kind != SQL_PLAN_PROJECT || p->nexprs != ch->noutput)
		return false;
	for (uint32_t i = 0; i < p->nexprs; i++)
		if (p->exprs[i]->kind != SQL_EXPR_COLUMN || p->exprs[i]->attr_id != ch->output[i].id)
			return false;
	*slot = ch;
	return true;
}

static sql_plan *op_empty(op_ctx *c, const sql_plan *like)
{
	sql_plan *v = sql_plan_new(c->a, SQL_PLAN_VALUES, like->line, like->col);

	v->output = like->output;
	v->noutput = like->noutput;
	v->ncols = like->noutput;
	return v;
}

/* PruneFilters: a filter that is always TRUE goes, one that is FALSE or
 * NULL leaves an empty relation. */
static bool op_prune_filters(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot;
	sql_scan *s = p->scan;

	if (p->kind == SQL_PLAN_FILTER) {
		if (op_is_bool(p->cond, true)) {
			*slot = p->child[0];
			return true;
		}
		if (op_is_bool(p->cond, false) || op_is_null_literal(p->cond)) {
			*slot = op_empty(c, p);
			return true;
		}
		return false;
	}
	if (p->kind != SQL_PLAN_SCAN)
		return false;
	if (op_is_bool(s->data_filter, false) || op_is_null_literal(s->data_filter) ||
	    op_is_bool(s->partition_filter, false) || op_is_null_literal(s->partition_filter)) {
		*slot = op_empty(c, p);
		return true;
	}
	if (op_is_bool(s->data_filter, true)) {
		s->data_filter = NULL;
		return true;
	}
	if (op_is_bool(s->partition_filter, true)) {
		s->partition_filter = NULL;
		return true;
	}
	return false;
}

/* ---- column pruning ---------------------------------------------------------------------------------- */

static bool op_prune(op_ctx *c, sql_plan *p, op_ids *need);

static void op_need_all(op_ctx *c, const sql_plan *p, op_ids *need)
{
	for (uint32_t i = 0; i < p->noutput; i++)
		op_ids_add(c->a, need, p->output[i].id);
}

static bool op_prune_scan(op_ctx *c, sql_plan *p, op_ids *need)
{
	sql_scan *s = p->scan;
	uint32_t n = 0, keep = UINT32_MAX;

	op_ids_refs(c->a, need, s->data_filter);
	op_ids_refs(c->a, need, s->partition_filter);
	for (uint32_t i = 0; i < s->nout; i++)
		if (op_ids_has(need, p->output[i].id))
			n++;
	if (n == s->nout)
		return false;
	if (n == 0) {
		/* Nothing is read, yet rows must still be counted: keep the
		 * cheapest column, a partition key (from the path) if there is one. */
		keep = 0;
		for (uint32_t i = 0; i < s->nout; i++) {
			if (s->columns[i] >= s->ncolumns) {
				keep = i;
				break;
			}
		}
		if (s->nout == 1)
			return false;
	}
	n = 0;
	sql_attr *out = sql_arena_alloc(c->a, (s->nout + 1) * sizeof *out);
	uint32_t *cols = sql_arena_alloc(c->a, (s->nout + 1) * sizeof *cols);

	for (uint32_t i = 0; i < s->nout; i++) {
		if (i != keep && !op_ids_has(need, p->output[i].id))
			continue;
		out[n] = p->output[i];
		cols[n++] = s->columns[i];
	}
	s->columns = cols;
	s->nout = n;
	p->output = out;
	p->noutput = n;
	return true;
}

static bool op_prune(op_ctx *c, sql_plan *p, op_ids *need)
{
	op_ids down = { 0 }, right = { 0 };
	bool changed = false;

	switch (p->kind) {
	case SQL_PLAN_SCAN:
		return op_prune_scan(c, p, need);
	case SQL_PLAN_PROJECT: {
		uint32_t n = 0;

		for (uint32_t i = 0; i < p->nexprs; i++) {
			/* Keep at least one column so the rows still exist. */
			if (op_ids_has(need, p->exprs[i]->attr_id) || (n == 0 && i + 1 == p->nexprs))
				p->exprs[n++] = p->exprs[i];
		}
		changed = n != p->nexprs;
		p->nexprs = n;
		for (uint32_t i = 0; i < n; i++)
			op_ids_refs(c->a, &down, p->exprs[i]);
		break;
	}
	case SQL_PLAN_AGGREGATE:
		for (uint32_t i = 0; i < p->nexprs; i++)
			op_ids_refs(c->a, &down, p->exprs[i]);
		for (uint32_t i = 0; i < p->ngroups; i++)
			op_ids_refs(c->a, &down, p->groups[i]);
		break;
	case SQL_PLAN_FILTER:
		down = *need;
		op_ids_refs(c->a, &down, p->cond);
		break;
	case SQL_PLAN_SORT:
		down = *need;
		for (uint32_t i = 0; i < p->nsort; i++)
			op_ids_refs(c->a, &down, p->sort[i].expr);
		break;
	case SQL_PLAN_LIMIT:
	case SQL_PLAN_ALIAS:
		down = *need;
		break;
	case SQL_PLAN_JOIN:
		down = *need;
		op_ids_refs(c->a, &down, p->cond);
		for (uint32_t i = 0; i < p->nkeys; i++) {
			op_ids_refs(c->a, &down, p->lkeys[i]);
			op_ids_refs(c->a, &down, p->rkeys[i]);
		}
		for (uint32_t i = 0; i < down.n; i++)
			op_ids_add(c->a, &right, down.v[i]);
		changed |= op_prune(c, p->child[1], &right);
		break;
	case SQL_PLAN_DISTINCT:
		op_need_all(c, p->child[0], &down);
		break;
	case SQL_PLAN_UNION:
		/* Columns pair up by position: both sides keep all of theirs. */
		op_need_all(c, p->child[0], &down);
		op_need_all(c, p->child[1], &right);
		changed |= op_prune(c, p->child[1], &right);
		break;
	default:
		return false;
	}
	if (p->child[0])
		changed |= op_prune(c, p->child[0], &down);
	return changed;
}

static bool op_column_pruning(op_ctx *c, sql_plan **slot)
{
	op_ids need = { 0 };

	op_need_all(c, *slot, &need);
	return op_prune(c, *slot, &need);
}

/* ---- partition pruning ---------------------------------------------------------------------------- */

/* Is E a column of S that is a partition key?  Its key index in *K. */
static bool op_partition_column(const sql_plan *scan, const sql_expr *e, uint32_t *k)
{
	const sql_scan *s = scan->scan;

	if (e->kind != SQL_EXPR_COLUMN)
		return false;
	for (uint32_t i = 0; i < s->nout; i++) {
		if (scan->output[i].id == e->attr_id && s->columns[i] >= s->ncolumns) {
			*k = s->columns[i] - s->ncolumns;
			return true;
		}
	}
	return false;
}

static bool op_partition_only(const sql_plan *scan, const sql_expr *e)
{
	uint32_t k;

	if (e->kind == SQL_EXPR_COLUMN)
		return op_partition_column(scan, e, &k);
	for (uint32_t i = 0; i < e->nargs; i++)
		if (!op_partition_only(scan, e->args[i]))
			return false;
	return true;
}

typedef struct op_ranges {
	sql_prange *v;
	uint32_t n, cap;
} op_ranges;

static const char *op_canonical(op_ctx *c, const sql_value *v)
{
	textbuf tb = TEXTBUF_INIT;
	const char *s;

	sql_value_print(v, &tb);
	s = sql_arena_strdup(c->a, tb.data ? tb.data : "");
	textbuf_free(&tb);
	return s;
}

static void op_range_push(op_ctx *c, op_ranges *r, const char *lo, bool lo_open, const char *hi,
			  bool hi_open)
{
	r->v = sql_array_push(c->a, r->v, &r->n, &r->cap, sizeof *r->v);
	r->v[r->n - 1] = (sql_prange){ lo, hi, lo_open, hi_open };
}

/* The ranges of the first key that conjunct E allows, or false if E says
 * nothing usable about it. */
static bool op_conjunct_ranges(op_ctx *c, const sql_plan *scan, const sql_expr *e, op_ranges *out)
{
	uint32_t k;
	sql_op op;
	const sql_expr *col, *lit;

	memset(out, 0, sizeof *out);
	if (e->kind == SQL_EXPR_BINARY && e->op >= SQL_OP_EQ && e->op <= SQL_OP_GE &&
	    e->op != SQL_OP_NE) {
		op = e->op;
		col = e->args[0];
		lit = e->args[1];
		if (col->kind == SQL_EXPR_LITERAL) {
			/* 5 > k is k < 5 */
			col = e->args[1];
			lit = e->args[0];
			op = op == SQL_OP_LT ? SQL_OP_GT : op == SQL_OP_LE ? SQL_OP_GE :
			     op == SQL_OP_GT ? SQL_OP_LT : op == SQL_OP_GE ? SQL_OP_LE : op;
		}
		if (!op_partition_column(scan, col, &k) || k != 0 || lit->kind != SQL_EXPR_LITERAL ||
		    lit->value.null)
			return false;
		const char *v = op_canonical(c, &lit->value);

		switch (op) {
		case SQL_OP_EQ: op_range_push(c, out, v, false, v, false); break;
		case SQL_OP_LT: op_range_push(c, out, NULL, false, v, true); break;
		case SQL_OP_LE: op_range_push(c, out, NULL, false, v, false); break;
		case SQL_OP_GT: op_range_push(c, out, v, true, NULL, false); break;
		default: op_range_push(c, out, v, false, NULL, false); break;
		}
		return true;
	}
	if (e->kind == SQL_EXPR_BETWEEN && !e->negated) {
		if (!op_partition_column(scan, e->args[0], &k) || k != 0)
			return false;
		for (int i = 1; i <= 2; i++)
			if (e->args[i]->kind != SQL_EXPR_LITERAL || e->args[i]->value.null)
				return false;
		op_range_push(c, out, op_canonical(c, &e->args[1]->value), false,
			      op_canonical(c, &e->args[2]->value), false);
		return true;
	}
	if (e->kind == SQL_EXPR_IN && !e->negated) {
		if (!op_partition_column(scan, e->args[0], &k) || k != 0)
			return false;
		for (uint32_t i = 1; i < e->nargs; i++)
			if (e->args[i]->kind != SQL_EXPR_LITERAL)
				return false;
		for (uint32_t i = 1; i < e->nargs; i++) {
			const char *v;

			if (e->args[i]->value.null)
				continue;   /* k = NULL is never true */
			v = op_canonical(c, &e->args[i]->value);
			op_range_push(c, out, v, false, v, false);
		}
		return true;
	}
	return false;
}

/* Compare range bounds: lower bounds (NULL is -inf) or upper (NULL is +inf). */
static int op_cmp_lo(const char *a, bool ao, const char *b, bool bo)
{
	int d;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL) ? (a == NULL ? -1 : 1) : 0;
	d = strcmp(a, b);
	return d ? d : (int)ao - (int)bo;   /* an open lower bound starts later */
}

static int op_cmp_hi(const char *a, bool ao, const char *b, bool bo)
{
	int d;

	if (a == NULL || b == NULL)
		return (a == NULL) - (b == NULL) ? (a == NULL ? 1 : -1) : 0;
	d = strcmp(a, b);
	return d ? d : (int)bo - (int)ao;   /* an open upper bound ends earlier */
}

static bool op_range_empty(const sql_prange *r)
{
	int d;

	if (r->lo == NULL || r->hi == NULL)
		return false;
	d = strcmp(r->lo, r->hi);
	return d > 0 || (d == 0 && (r->lo_open || r->hi_open));
}

static int op_range_order(const void *x, const void *y)
{
	const sql_prange *a = x, *b = y;

	return op_cmp_lo(a->lo, a->lo_open, b->lo, b->lo_open);
}

/* A ∩ B, sorted by lower bound, duplicates of points merged. */
static op_ranges op_intersect(op_ctx *c, const op_ranges *a, const op_ranges *b)
{
	op_ranges out = { 0 };

	for (uint32_t i = 0; i < a->n; i++) {
		for (uint32_t j = 0; j < b->n; j++) {
			const sql_prange *x = &a->v[i], *y = &b->v[j];
			sql_prange r;

			if (op_cmp_lo(x->lo, x->lo_open, y->lo, y->lo_open) >= 0) {
				r.lo = x->lo;
				r.lo_open = x->lo_open;
			} else {
				r.lo = y->lo;
				r.lo_open = y->lo_open;
			}
			if (op_cmp_hi(x->hi, x->hi_open, y->hi, y->hi_open) <= 0) {
				r.hi = x->hi;
				r.hi_open = x->hi_open;
			} else {
				r.hi = y->hi;
				r.hi_open = y->hi_open;
			}
			if (!op_range_empty(&r))
				op_range_push(c, &out, r.lo, r.lo_open, r.hi, r.hi_open);
		}
	}
	if (out.n > 1)
		qsort(out.v, out.n, sizeof *out.v, op_range_order);
	/* Drop repeated ranges (k IN ('a', 'a')). */
	uint32_t w = 0;

	for (uint32_t i = 0; i < out.n; i++) {
		if (w > 0 && op_cmp_lo(out.v[w - 1].lo, out.v[w - 1].lo_open, out.v[i].lo,
				       out.v[i].lo_open) == 0 &&
		    op_cmp_hi(out.v[w - 1].hi, out.v[w - 1].hi_open, out.v[i].hi,
			      out.v[i].hi_open) == 0)
			continue;
		out.v[w++] = out.v[i];
	}
	out.n = w;
	return out;
}

typedef struct op_walk {
	op_ctx *c;
	const sql_plan *scan;
	store_txn *txn;
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	uint64_t partitions, bytes, rows;
} op_walk;

/* Does the partition with W->values pass the scan's partition filter? */
static int op_walk_leaf(op_walk *w, const store_pnode *leaf)
{
	const sql_scan *s = w->scan->scan;
	sql_arena *scratch = sql_arena_new();
	sql_value *row = sql_arena_alloc(scratch, (s->nout + 1) * sizeof *row);
	sql_value out;
	int rc;

	for (uint32_t i = 0; i < s->nout; i++) {
		uint32_t col = s->columns[i];

		/* Data columns are never read by a partition filter. */
		if (col < s->ncolumns)
			row[i] = (sql_value){ .type = s->types[col], .null = true };
		else
			sql_partition_value(w->values[col - s->ncolumns], s->types[col], &row[i]);
	}
	rc = sql_eval(scratch, s->partition_filter, row, &out);
	if (rc == 0 && !out.null && out.type == SQL_TYPE_BOOLEAN && out.u.b) {
		w->partitions++;
		w->bytes += leaf->bytes;
		w->rows += leaf->rows;
	}
	sql_arena_free(scratch);
	return rc;
}

static int op_walk_pnode(op_walk *w, const store_pnode *pn)
{
	store_iter *it = NULL;
	store_pnode child;
	int rc;

	snprintf(w->values[pn->depth - 1], sizeof w->values[0], "%s", pn->value);
	if (pn->leaf)
		return op_walk_leaf(w, pn);
	rc = store_iter_pnodes(w->txn, w->scan->scan->table_id, pn->id, NULL, &it);
	if (rc)
		return rc;
	while ((rc = store_iter_next(it, &child)) == 0) {
		rc = op_walk_pnode(w, &child);
		if (rc)
			break;
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

/* Walk the first level within R, descending to the leaves. */
static int op_walk_range(op_walk *w, const sql_prange *r)
{
	uint64_t table = w->scan->scan->table_id;
	store_iter *it = NULL;
	store_pnode pn;
	int rc;

	if (r->lo && !r->lo_open) {
		/* The cursor resumes after a value: visit the bound itself first. */
		rc = store_pnode_get(w->txn, table, 0, r->lo, &pn);
		if (rc == 0 && (r->hi == NULL || strcmp(pn.value, r->hi) <= 0))
			rc = op_walk_pnode(w, &pn);
		if (rc && rc != -ENOENT)
			return rc;
	}
	rc = store_iter_pnodes(w->txn, table, 0, r->lo, &it);
	if (rc)
		return rc;
	while ((rc = store_iter_next(it, &pn)) == 0) {
		if (r->hi) {
			int d = strcmp(pn.value, r->hi);

			if (d > 0 || (d == 0 && r->hi_open))
				break;
		}
		rc = op_walk_pnode(w, &pn);
		if (rc)
			break;
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

static int op_count_partitions(op_ctx *c, sql_plan *scan)
{
	sql_scan *s = scan->scan;
	const sql_platform *pl = &c->cat->platforms[s->platform];
	op_walk *w = sql_arena_alloc(c->a, sizeof *w);
	sql_prange all = { 0 };
	int rc;

	w->c = c;
	w->scan = scan;
	rc = store_read_begin(pl->store, &w->txn);
	if (rc)
		goto out;
	if (s->nranges == 0) {
		rc = op_walk_range(w, &all);
	} else {
		for (uint32_t i = 0; i < s->nranges && rc == 0; i++)
			rc = op_walk_range(w, &s->ranges[i]);
	}
	store_commit(w->txn);
	if (rc == 0) {
		s->partitions_selected = w->partitions;
		s->bytes_selected = w->bytes;
		s->rows_selected = w->rows;
	}
out:
	if (rc)
		sql_error_set(c->err, scan->line, scan->col,
			      "cannot list the partitions of %s.%s: %s", s->db, s->table,
			      store_strerror(rc));
	return rc;
}

static int op_prune_partitions(op_ctx *c, sql_plan *p, bool *changed)
{
	sql_scan *s;
	sql_expr **conj, *part = NULL, *data = NULL;
	uint32_t n;
	int rc;

	for (int i = 0; i < 2; i++) {
		if (p->child[i]) {
			rc = op_prune_partitions(c, p->child[i], changed);
			if (rc)
				return rc;
		}
	}
	if (p->kind != SQL_PLAN_SCAN || p->scan->npartkeys == 0)
		return 0;
	s = p->scan;
	sql_expr_conjuncts(c->a, s->data_filter, &conj, &n);
	for (uint32_t i = 0; i < n; i++) {
		if (op_has_column(conj[i]) && op_partition_only(p, conj[i]))
			part = sql_expr_and(c->a, part, conj[i]);
		else
			data = sql_expr_and(c->a, data, conj[i]);
	}
	if (part == NULL)
		return 0;
	s->partition_filter = sql_expr_and(c->a, s->partition_filter, part);
	s->data_filter = data;
	*changed = true;

	/* Cursor ranges on the first key, where the raw values sort as the
	 * values do: strings, and dates in their canonical YYYY-MM-DD. */
	sql_type t0 = s->types[s->ncolumns];

	if (t0 == SQL_TYPE_STRING || t0 == SQL_TYPE_DATE) {
		op_ranges acc = { 0 }, one;
		bool any = false;

		op_range_push(c, &acc, NULL, false, NULL, false);
		sql_expr_conjuncts(c->a, s->partition_filter, &conj, &n);
		for (uint32_t i = 0; i < n; i++) {
			if (!op_conjunct_ranges(c, p, conj[i], &one))
				continue;
			any = true;
			acc = op_intersect(c, &acc, &one);
		}
		if (any && acc.n == 0) {
			/* Contradictory bounds: an empty range, so nothing is listed. */
			op_range_push(c, &acc, "", true, "", true);
		}
		if (any) {
			s->ranges = acc.v;
			s->nranges = acc.n;
		}
	}
	return op_count_partitions(c, p);
}

/* ---- file and partition skipping by recorded statistics ------------------------------------------- */

typedef struct op_files {
	op_ctx *c;
	sql_scan *s;
	store_txn *txn;
	const store_table *t;
	store_colstat *folded;    /* t->ncolumns */
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	uint64_t partitions, parts_skipped, files, files_skipped, bytes, rows;
} op_files;

/* Does the partition with F->values pass the scan's partition filter? */
static int op_files_part_selected(op_files *f, bool *keep)
{
	const sql_scan *s = f->s;
	sql_arena *scratch;
	sql_value *row, out;
	int rc;

	*keep = true;
	if (!s->partition_filter)
		return 0;
	scratch = sql_arena_new();
	row = sql_arena_alloc(scratch, (s->nout + 1) * sizeof *row);
	for (uint32_t i = 0; i < s->nout; i++) {
		uint32_t col = s->columns[i];
		if (col < s->ncolumns)
			row[i] = (sql_value){ .type = s->types[col], .null = true };
		else
			sql_partition_value(f->values[col - s->ncolumns], s->types[col], &row[i]);
	}
	rc = sql_eval(scratch, s->partition_filter, row, &out);
	*keep = rc == 0 && !out.null && out.type == SQL_TYPE_BOOLEAN && out.u.b;
	sql_arena_free(scratch);
	return rc;
}

/* The files of container ID (a selected partition holding ROWS rows, or
 * the table): each skipped when its statistics prove no row passes the
 * data filter; the whole container at once when the folded statistics of
 * its files do. */
static int op_files_container(op_files *f, uint64_t id, uint64_t rows)
{
	store_iter *it = NULL;
	store_file file;
	uint64_t kept = 0, skipped = 0;
	bool all = false;
	int rc;

	f->partitions++;
	if (f->t->npartkeys && f->t->ncolumns &&
	    store_column_stats(f->txn, f->t, id, f->folded, NULL) == 0)
		all = sql_table_stats_none(f->s, f->s->data_filter, f->folded, rows);
	if ((rc = store_iter_files(f->txn, id, NULL, &it)))
		return rc;
	while ((rc = store_iter_next(it, &file)) == 0) {
		if (base_name_hidden(file.name))
			continue;
		bool none = all && file.nstats;
		if (!all && file.nstats) {
			store_colstat *st = NULL;
			uint32_t n = 0;
			if ((rc = store_file_stats(f->txn, id, file.name, &st, &n)))
				break;
			none = sql_stats_none(f->s, f->s->data_filter, st, n, file.rows);
			free(st);
		}
		if (none) {
			skipped++;
			continue;
		}
		kept++;
		f->bytes += file.bytes;
		f->rows += file.rows;
	}
	store_iter_close(it);
	if (rc != -ENOENT)
		return rc;
	f->files += kept + skipped;
	f->files_skipped += skipped;
	if (f->t->npartkeys && skipped && !kept)
		f->parts_skipped++;
	return 0;
}

/* Is first-level value V inside one of the scan's cursor ranges (none: all)? */
static bool op_files_in_ranges(const sql_scan *s, const char *v)
{
	for (uint32_t i = 0; i < s->nranges; i++) {
		const sql_prange *r = &s->ranges[i];
		int lo = r->lo ? strcmp(v, r->lo) : 1, hi = r->hi ? strcmp(v, r->hi) : -1;
		if ((lo > 0 || (lo == 0 && !r->lo_open)) && (hi < 0 || (hi == 0 && !r->hi_open)))
			return true;
	}
	return s->nranges == 0;
}

static int op_files_walk(op_files *f, uint64_t parent, uint32_t depth)
{
	store_iter *it = NULL;
	store_pnode pn;
	int rc = store_iter_pnodes(f->txn, f->t->id, parent, NULL, &it);

	if (rc)
		return rc;
	while ((rc = store_iter_next(it, &pn)) == 0) {
		snprintf(f->values[depth - 1], sizeof f->values[0], "%s", pn.value);
		if (depth == 1 && !op_files_in_ranges(f->s, pn.value))
			continue;   /* the partition filter rules it out: not descended into */
		if (!pn.leaf) {
			rc = op_files_walk(f, pn.id, depth + 1);
		} else {
			bool keep;
			rc = op_files_part_selected(f, &keep);
			if (rc == 0 && keep)
				rc = op_files_container(f, pn.id, pn.rows);
		}
		if (rc)
			break;
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

/* Which files a Parquet scan with a pushed filter reads: those whose
 * recorded statistics (store_file.stats, folded per partition) do not
 * prove that no row passes it.  Sets the scan's file counts, and its
 * rows_selected and bytes_selected to the remaining files'.  Not for a
 * table read through the catalog's transform or from another table's
 * files (the engine then skips nothing either). */
static int op_stats_scan(op_ctx *c, sql_plan *p)
{
	sql_scan *s = p->scan;
	const sql_platform *pl;
	store_table t = { 0 };
	op_files *f;
	int rc;

	if (!c->cat || s->format != STORE_FORMAT_PARQUET || !s->data_filter ||
	    s->platform >= c->cat->nplatforms)
		return 0;
	pl = &c->cat->platforms[s->platform];
	f = sql_arena_alloc(c->a, sizeof *f);
	f->c = c;
	f->s = s;
	if ((rc = store_read_begin(pl->store, &f->txn)))
		return 0;   /* the engine will say what is wrong */
	rc = store_table_get(f->txn, s->db, s->table, &t);
	if (rc || t.id != s->table_id || t.ncolumns != s->ncolumns) {
		rc = 0;
		goto out;
	}
	if (c->cat->scan_source) {
		sql_scan_source src;
		sql_error e = { 0 };
		memset(&src, 0, sizeof src);
		rc = c->cat->scan_source(c->cat->scan_source_ctx, c->cat, s->platform, &t, &src, &e);
		bool other = rc || src.from_source || src.transformed;
		if (src.release)
			src.release(src.open_ctx);
		rc = 0;
		if (other)
			goto out;
	}
	f->t = &t;
	f->folded = sql_arena_alloc(c->a, (t.ncolumns + 1) * sizeof *f->folded);
	if (t.npartkeys == 0)
		rc = op_files_container(f, t.id, t.rows);
	else
		rc = op_files_walk(f, 0, 1);
	if (rc == 0) {
		s->stats_planned = true;
		s->files_total = f->files;
		s->files_skipped_by_stats = f->files_skipped;
		s->partitions_skipped_by_stats = f->parts_skipped;
		if (t.npartkeys)
			s->partitions_selected = f->partitions - f->parts_skipped;
		s->bytes_selected = f->bytes;
		s->rows_selected = f->rows;
	}
	rc = 0;   /* without counts the plan is only less well sized */
out:
	store_table_clear(&t);
	store_abort(f->txn);
	return rc;
}

static int op_stats_prune(op_ctx *c, sql_plan *p)
{
	int rc;

	for (int i = 0; i < 2; i++)
		if (p->child[i] && (rc = op_stats_prune(c, p->child[i])))
			return rc;
	if (p->kind == SQL_PLAN_SCAN && p->scan)
		return op_stats_scan(c, p);
	return 0;
}

/* EliminateSubqueryAliases: names were for the analyzer; attribute ids
 * carry the meaning from here on, and the aliases would stand between
 * nodes the rules want to see together. */
static bool op_eliminate_aliases(op_ctx *c, sql_plan **slot)
{
	bool changed = false;

	(void)c;
	while ((*slot)->kind == SQL_PLAN_ALIAS) {
		*slot = (*slot)->child[0];
		changed = true;
	}
	for (int i = 0; i < 2; i++)
		if ((*slot)->child[i])
			changed |= op_eliminate_aliases(c, &(*slot)->child[i]);
	return changed;
}

/* ---- join reordering ------------------------------------------------------------------------------- */

/*
 * ReorderJoin.  A region of inner joins (the relations of FROM a, b, c and
 * of a chain of [INNER] JOINs, with the filters between and above them) is
 * taken apart into its relations and the conjuncts of every condition
 * (equi keys become equalities again), and rebuilt left-deep the way
 * Catalyst's ReorderJoin does: from the first relation that an equality
 * connects to another, each step joins the first relation, in the order
 * written, that an equality connects to those already joined.  So every
 * join has an equi key when the conditions connect the relations at all (a
 * relation no equality reaches is joined after them, as a nested loop),
 * while the order otherwise stays the one written: without statistics of
 * distinct values nothing tells a join on a foreign key from one that
 * multiplies rows, and queries are written along their keys.  What the
 * metastore's row counts do decide is each join's build side: the new
 * relation, unless what is joined so far is estimated smaller.  Each
 * conjunct goes to the lowest join that has all its columns: an equality
 * between the two sides as a key, anything else as the join's residual.  A
 * PROJECT restores the region's column order when the new order differs.
 * Outer, semi and anti joins are never reordered: they are relations of
 * the region around them, and their inputs are regions of their own.
 */

#define OP_REORDER_MAX 64   /* relations of one region (a bit mask each) */

typedef struct op_region {
	sql_plan **rels;
	uint32_t nrels, rels_cap;
	sql_expr **conj;
	uint32_t nconj, conj_cap;
	uint32_t nkeys;           /* equi keys the region had */
} op_region;

static bool op_is_inner_join(const sql_plan *p)
{
	return p->kind == SQL_PLAN_JOIN && p->join_type == SQL_JOIN_INNER;
}

static void op_region_add_conj(op_ctx *c, op_region *r, sql_expr *cond)
{
	sql_expr **conj;
	uint32_t n;

	sql_expr_conjuncts(c->a, cond, &conj, &n);
	for (uint32_t i = 0; i < n; i++) {
		r->conj = sql_array_push(c->a, r->conj, &r->nconj, &r->conj_cap, sizeof *r->conj);
		r->conj[r->nconj - 1] = conj[i];
	}
}

static sql_expr *op_equal(op_ctx *c, sql_expr *l, sql_expr *r)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_BINARY, l->line, l->col);

	e->op = SQL_OP_EQ;
	e->type = SQL_TYPE_BOOLEAN;
	e->resolved = true;
	e->nargs = 2;
	e->args = sql_arena_alloc(c->a, 2 * sizeof *e->args);
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

static void op_region_collect(op_ctx *c, op_region *r, sql_plan *p)
{
	if (op_is_inner_join(p)) {
		for (uint32_t k = 0; k < p->nkeys; k++)
			op_region_add_conj(c, r, op_equal(c, p->lkeys[k], p->rkeys[k]));
		r->nkeys += p->nkeys;
		op_region_add_conj(c, r, p->cond);
		op_region_collect(c, r, p->child[0]);
		op_region_collect(c, r, p->child[1]);
		return;
	}
	if (p->kind == SQL_PLAN_FILTER && op_is_inner_join(p->child[0])) {
		op_region_add_conj(c, r, p->cond);
		op_region_collect(c, r, p->child[0]);
		return;
	}
	r->rels = sql_array_push(c->a, r->rels, &r->nrels, &r->rels_cap, sizeof *r->rels);
	r->rels[r->nrels - 1] = p;
}

/* The relations E reads, as a bit mask; all bits for a column no relation
 * of the region has, and for a subquery not yet made a join (whose columns
 * cannot be seen from here): it then stays in a filter above the region. */
static uint64_t op_rel_mask(const op_region *r, const sql_expr *e)
{
	uint64_t m = 0;

	if (e->subquery)
		return ~UINT64_C(0);
	if (e->kind == SQL_EXPR_COLUMN) {
		for (uint32_t i = 0; i < r->nrels; i++)
			if (op_in_attrs(r->rels[i]->output, r->rels[i]->noutput, e->attr_id))
				return UINT64_C(1) << i;
		return ~UINT64_C(0);
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		m |= op_rel_mask(r, e->args[i]);
	return m;
}

/* Is conjunct E an equality between an expression over the relations in
 * HAVE and one over the relations in ADD?  Which side is which in *SWAP. */
static bool op_equi_between(const op_region *r, const sql_expr *e, uint64_t have, uint64_t add,
			    bool *swap)
{
	if (e->kind != SQL_EXPR_BINARY || e->op != SQL_OP_EQ)
		return false;
	uint64_t a = op_rel_mask(r, e->args[0]), b = op_rel_mask(r, e->args[1]);
	if (!a || !b)
		return false;
	if ((a & ~have) == 0 && (b & ~add) == 0) {
		*swap = false;
		return true;
	}
	if ((b & ~have) == 0 && (a & ~add) == 0) {
		*swap = true;
		return true;
	}
	return false;
}

static sql_expr *op_column_of(op_ctx *c, const sql_attr *a, uint32_t ordinal)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_COLUMN, 0, 0);

	e->name = a->name;
	e->qualifier = a->qualifier;
	e->type = a->type;
	e->attr_id = a->id;
	e->ordinal = (int32_t)ordinal;
	e->resolved = true;
	return e;
}

static sql_plan *op_restore_columns(op_ctx *c, sql_plan *p, const sql_attr *attrs, uint32_t n);

/* Rebuild the region rooted at *SLOT; *CHANGED when the order of its
 * relations or its keys changed. */
static void op_reorder_region(op_ctx *c, sql_plan **slot, op_region *r, bool *changed)
{
	sql_plan *root = *slot, *cur;
	uint64_t est[OP_REORDER_MAX], have, cur_est;
	uint32_t order[OP_REORDER_MAX], nkeys = 0, start = 0;
	bool *used = sql_arena_alloc(c->a, (r->nconj + 1) * sizeof *used);
	bool connected = false;

	for (uint32_t i = 0; i < r->nrels; i++)
		est[i] = sql_plan_estimate_rows(r->rels[i]);
	/* Start from the first relation an equality connects to another. */
	for (uint32_t i = 0; i < r->nrels && !connected; i++) {
		bool swap;
		for (uint32_t k = 0; k < r->nconj && !connected; k++)
			connected = op_equi_between(r, r->conj[k], UINT64_C(1) << i,
						    ~(UINT64_C(1) << i), &swap);
		if (connected)
			start = i;
	}
	order[0] = start;
	have = UINT64_C(1) << start;
	cur = r->rels[start];
	cur_est = est[start];
	for (uint32_t step = 1; step < r->nrels; step++) {
		uint32_t best = UINT32_MAX;

		/* The first relation, in the order written, that an equality
		 * connects to those joined; else the first one left. */
		for (uint32_t i = 0; i < r->nrels; i++) {
			bool edge = false, swap;
			if (have & (UINT64_C(1) << i))
				continue;
			for (uint32_t k = 0; k < r->nconj && !edge; k++)
				edge = !used[k] && op_equi_between(r, r->conj[k], have, UINT64_C(1) << i,
								   &swap);
			if (best == UINT32_MAX)
				best = i;
			if (edge) {
				best = i;
				break;
			}
		}
		order[step] = best;
		uint64_t add = UINT64_C(1) << best;
		sql_plan *j = sql_plan_new(c->a, SQL_PLAN_JOIN, root->line, root->col);
		uint32_t kcap = 0, rcap = 0;
		/* The hash table holds the smaller side: the new relation unless
		 * what is joined so far is estimated smaller. */
		bool build_cur = est[best] > cur_est;

		*changed |= build_cur;
		j->join_type = SQL_JOIN_INNER;
		j->child[0] = build_cur ? r->rels[best] : cur;
		j->child[1] = build_cur ? cur : r->rels[best];
		for (uint32_t k = 0; k < r->nconj; k++) {
			sql_expr *e = r->conj[k];
			bool swap;
			if (used[k] || (op_rel_mask(r, e) & ~(have | add)))
				continue;
			used[k] = true;
			if (op_equi_between(r, e, have, add, &swap)) {
				uint32_t n = j->nkeys;
				/* args[swap] is over what is joined, the other over the new one. */
				sql_expr *over_cur = e->args[swap ? 1 : 0], *over_new = e->args[swap ? 0 : 1];
				j->lkeys = sql_array_push(c->a, j->lkeys, &n, &kcap, sizeof *j->lkeys);
				n = j->nkeys;
				j->rkeys = sql_array_push(c->a, j->rkeys, &n, &rcap, sizeof *j->rkeys);
				j->lkeys[n - 1] = build_cur ? over_new : over_cur;
				j->rkeys[n - 1] = build_cur ? over_cur : over_new;
				j->nkeys = n;
				nkeys++;
			} else {
				j->cond = sql_expr_and(c->a, j->cond, e);
			}
		}
		sql_plan_compute_output(c->a, j);
		have |= add;
		cur = j;
		cur_est = sql_plan_estimate_rows(j);
	}
	/* What no join could take (a column from outside the region). */
	sql_expr *rest = NULL;
	for (uint32_t k = 0; k < r->nconj; k++)
		if (!used[k])
			rest = sql_expr_and(c->a, rest, r->conj[k]);
	if (rest)
		cur = op_filter(c, rest, cur);
	/* The region's columns in their original order. */
	bool same = cur->noutput == root->noutput;
	for (uint32_t i = 0; same && i < cur->noutput; i++)
		same = cur->output[i].id == root->output[i].id;
	if (!same)
		cur = op_restore_columns(c, cur, root->output, root->noutput);
	for (uint32_t i = 0; i < r->nrels; i++)
		*changed |= order[i] != i;
	*changed |= nkeys != r->nkeys;
	*slot = cur;
}

static bool op_reorder_joins(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot;
	bool changed = false;

	if (op_is_inner_join(p) || (p->kind == SQL_PLAN_FILTER && op_is_inner_join(p->child[0]))) {
		op_region r = { 0 };

		op_region_collect(c, &r, p);
		if (r.nrels <= OP_REORDER_MAX) {
			bool moved = false;

			for (uint32_t i = 0; i < r.nrels; i++)
				changed |= op_reorder_joins(c, &r.rels[i]);
			op_reorder_region(c, slot, &r, &moved);
			/* Keep the old tree when nothing moved in or below it:
			 * the rebuilt one is the same plan, and the rule log
			 * should say so. */
			if (!moved && !changed)
				*slot = p;
			changed |= moved;
			return changed;
		}
	}
	for (int i = 0; i < 2; i++)
		if (p->child[i])
			changed |= op_reorder_joins(c, &p->child[i]);
	return changed;
}

/*
 * JoinBuildSide.  The engine builds every join's hash table from its right
 * side.  An outer join whose right side is estimated larger than its left
 * is turned around: LEFT becomes RIGHT (and RIGHT LEFT, FULL stays FULL)
 * with the sides and keys swapped, so the smaller side is the one held in
 * memory, and a PROJECT restores the column order.  Inner joins got their
 * sides from ReorderJoin; semi and anti joins cannot be turned around,
 * nor a scalar subquery's one_row join, whose right side the engine counts.
 */
static sql_plan *op_restore_columns(op_ctx *c, sql_plan *p, const sql_attr *attrs, uint32_t n)
{
	sql_plan *pr = sql_plan_new(c->a, SQL_PLAN_PROJECT, p->line, p->col);

	pr->child[0] = p;
	pr->nexprs = n;
	pr->exprs = sql_arena_alloc(c->a, (n + 1) * sizeof *pr->exprs);
	for (uint32_t i = 0; i < n; i++)
		pr->exprs[i] = op_column_of(c, &attrs[i], i);
	sql_plan_compute_output(c->a, pr);
	return pr;
}

static bool op_outer_build_sides(op_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot;
	bool changed = false;

	for (int i = 0; i < 2; i++)
		if (p->child[i])
			changed |= op_outer_build_sides(c, &p->child[i]);
	if (p->kind != SQL_PLAN_JOIN ||
	    (p->join_type != SQL_JOIN_LEFT && p->join_type != SQL_JOIN_RIGHT &&
	     p->join_type != SQL_JOIN_FULL) || p->one_row)
		return changed;
	if (sql_plan_estimate_rows(p->child[1]) <= sql_plan_estimate_rows(p->child[0]))
		return changed;
	const sql_attr *before = p->output;
	uint32_t nbefore = p->noutput;
	sql_plan *l = p->child[0];
	sql_expr **lk = p->lkeys;

	p->child[0] = p->child[1];
	p->child[1] = l;
	p->lkeys = p->rkeys;
	p->rkeys = lk;
	if (p->join_type != SQL_JOIN_FULL)
		p->join_type = p->join_type == SQL_JOIN_LEFT ? SQL_JOIN_RIGHT : SQL_JOIN_LEFT;
	sql_plan_compute_output(c->a, p);
	*slot = op_restore_columns(c, p, before, nbefore);
	return true;
}

/* ---- driver -------------------------------------------------------------------------------------------- */

static bool op_rule_constant_folding(op_ctx *c, sql_plan **slot)
{
	return op_each_expr(c, *slot, op_fold);
}

static bool op_rule_boolean_simplification(op_ctx *c, sql_plan **slot)
{
	return op_each_expr(c, *slot, op_simplify);
}

static bool op_rule_combine_filters(op_ctx *c, sql_plan **slot)
{
	return op_each_plan(c, slot, op_combine_filters);
}

static bool op_rule_push_down(op_ctx *c, sql_plan **slot)
{
	return op_each_plan(c, slot, op_push_down);
}

static bool op_rule_collapse_project(op_ctx *c, sql_plan **slot)
{
	return op_each_plan(c, slot, op_collapse_project);
}

static bool op_rule_remove_noop(op_ctx *c, sql_plan **slot)
{
	return op_each_plan(c, slot, op_remove_noop_project);
}

static bool op_rule_prune_filters(op_ctx *c, sql_plan **slot)
{
	return op_each_plan(c, slot, op_prune_filters);
}

static const struct {
	const char *name;
	bool (*apply)(op_ctx *c, sql_plan **slot);
} op_rules[] = {
	{ "CombineFilters", op_rule_combine_filters },
	{ "PushDownPredicates", op_rule_push_down },
	{ "ConstantFolding", op_rule_constant_folding },
	{ "BooleanSimplification", op_rule_boolean_simplification },
	{ "PruneFilters", op_rule_prune_filters },
	{ "CollapseProject", op_rule_collapse_project },
	{ "ColumnPruning", op_column_pruning },
	{ "RemoveNoopOperators", op_rule_remove_noop },
};

/* Run the rules until none changes the plan. */
static int op_fixed_point(op_ctx *c, sql_plan **plan)
{
	int rc;

	for (int iter = 0; iter < OP_MAX_ITERATIONS; iter++) {
		bool any = false;

		for (size_t r = 0; r < sizeof op_rules / sizeof op_rules[0]; r++) {
			if (!op_rules[r].apply(c, plan))
				continue;
			op_log(c, op_rules[r].name);
			any = true;
			rc = op_refresh(c, *plan);
			if (rc)
				return rc;
		}
		if (!any)
			break;
	}
	return 0;
}

int sql_optimize(sql_arena *a, const sql_catalog *cat, sql_plan **plan, sql_rule_log *log,
		 sql_error *err)
{
	op_ctx c = { .a = a, .cat = cat, .log = log, .err = err };
	bool changed = false, predicate = false, scalar = false;
	int rc;

	rc = sql_rewrite_subqueries(a, plan, &predicate, &scalar, err);
	if (rc)
		return rc;
	if (predicate)
		op_log(&c, "RewritePredicateSubquery");
	if (scalar)
		op_log(&c, "RewriteCorrelatedScalarSubquery");
	if (op_eliminate_aliases(&c, plan))
		op_log(&c, "EliminateSubqueryAliases");
	rc = op_refresh(&c, *plan);
	if (rc == 0)
		rc = op_fixed_point(&c, plan);
	if (rc)
		return rc;
	/* Partition pruning first, so the join order sees how much of each
	 * table is read; then the rules again for what the new order allows. */
	rc = op_prune_partitions(&c, *plan, &changed);
	if (rc)
		return rc;
	if (changed) {
		op_log(&c, "PartitionPruning");
		rc = op_refresh(&c, *plan);
		if (rc)
			return rc;
	}
	bool reordered = op_reorder_joins(&c, plan);

	if (reordered)
		op_log(&c, "ReorderJoin");
	if (op_outer_build_sides(&c, plan)) {
		op_log(&c, "JoinBuildSide");
		reordered = true;
	}
	if (reordered) {
		rc = op_refresh(&c, *plan);
		if (rc == 0)
			rc = op_fixed_point(&c, plan);
		if (rc)
			return rc;
		changed = false;
		rc = op_prune_partitions(&c, *plan, &changed);
		if (rc == 0 && changed)
			rc = op_refresh(&c, *plan);
	}
	/* Last, over the filters as the engine will push them. */
	if (rc == 0)
		rc = op_stats_prune(&c, *plan);
	return rc;
}
