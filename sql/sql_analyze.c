/*
 * sql_analyze.c - the analyzer: names, types and attributes.
 *
 * The parser hands over trees whose names are as written.  The analyzer
 * rewrites them in place, bottom-up, the way Catalyst's Analyzer does:
 *
 *   - relations become SCANs of metastore tables wrapped in a SubqueryAlias
 *     (ALIAS), or the inlined plan of a CTE from an enclosing WITH;
 *   - every node gets its output attributes; every attribute a job-unique id
 *     (printed name#id), so later rewrites can find a column by id however
 *     the tree moves, and the optimizer recomputes ordinals from ids;
 *   - every column reference gets the ordinal of its attribute in the input
 *     row of the node that owns it (for a JOIN condition: the left row then
 *     the right row; for a SCAN's filters: the scan's output);
 *   - every expression gets a type, with casts inserted where an operator
 *     needs a common type (bigint -> double, a string beside a date compares
 *     as a date, a NULL literal takes the other side's type);
 *   - aggregates are checked against GROUP BY; HAVING and ORDER BY may use
 *     aggregates and columns the select list does not show: those are added
 *     to the AGGREGATE (or PROJECT) below as hidden columns and a PROJECT on
 *     top restores the visible ones, as Spark does;
 *   - a JOIN's ON condition is split into equi keys and a residual.
 *
 * The first error stops the analysis and names the place.
 *
 * Names the caller may not see.  When the catalog has an access hook
 * (sql_catalog.access: the manager's privileges, for the job's submitter),
 * every platform, database and table a statement names is resolved through
 * it, right after the metastore says the object exists and before anything
 * of it (its schema, its columns, whether it has a schema) can show in a
 * message: an object the caller may not see is resolved exactly as one
 * that does not exist, down to the byte of the message; one it sees but
 * lacks the statement's privilege on fails with the hook's "permission
 * denied" before its columns are looked at, so a column error ("unknown
 * column ... did you mean ...") only ever names columns of tables the
 * caller may read.  "Did you mean" offers only names the hook calls
 * visible.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql_int.h"

#define AN_MAX_DEPTH 200

typedef struct an_cte an_cte;
struct an_cte {
	const char *name;
	const sql_plan *def;     /* unresolved: each reference analyzes a copy */
	an_cte *scope;           /* the CTEs visible where this one is defined */
	an_cte *next;
};

/* The input rows of the queries around a subquery, innermost first: where
 * a name the subquery's own FROM does not know is looked up next. */
typedef struct an_outer an_outer;
struct an_outer {
	const sql_attr *attrs;
	uint32_t n;
	an_outer *next;
};

typedef struct an_ctx {
	sql_arena *a;
	const sql_catalog *cat;
	sql_error *err;
	uint32_t next_id;
	an_cte *ctes;
	an_outer *outer;         /* NULL outside subquery expressions */
	unsigned depth;
	unsigned views;          /* views being expanded, one inside another */
	bool no_temp_views;      /* in a persistent view: temporary views are not there */
	bool view_loop;          /* the error is the view nesting limit: not prefixed again */
} an_ctx;

/* Where an expression is resolved and what it may contain. */
typedef struct an_scope {
	const sql_attr *attrs;   /* the input row */
	uint32_t n;
	bool allow_agg;          /* AGGREGATE output, HAVING, ORDER BY over an aggregate */
	bool in_agg;             /* inside an aggregate's arguments */
	const char *clause;      /* for "not allowed in WHERE" */
} an_scope;

static int an_plan(an_ctx *c, sql_plan **slot);

/* an_table_get's PRIVS for a table that is not asked about (the mirror a
 * name is redirected to: the privilege is needed on the name written). */
#define AN_UNCHECKED (~0u)

/* ---- shared helpers (declared in sql_int.h) --------------------------------------- */

void sql_expr_conjuncts(sql_arena *a, sql_expr *e, sql_expr ***out, uint32_t *n)
{
	uint32_t cap = 0;

	*out = NULL;
	*n = 0;
	if (e == NULL)
		return;
	/* An explicit stack keeps deep AND chains off the C stack. */
	sql_expr **stack = NULL;
	uint32_t ns = 0, scap = 0;

	stack = sql_array_push(a, stack, &ns, &scap, sizeof *stack);
	stack[ns - 1] = e;
	while (ns > 0) {
		sql_expr *x = stack[--ns];

		if (x->kind == SQL_EXPR_BINARY && x->op == SQL_OP_AND) {
			/* right first so the left conjunct comes out first */
			stack = sql_array_push(a, stack, &ns, &scap, sizeof *stack);
			stack[ns - 1] = x->args[1];
			stack = sql_array_push(a, stack, &ns, &scap, sizeof *stack);
			stack[ns - 1] = x->args[0];
			continue;
		}
		*out = sql_array_push(a, *out, n, &cap, sizeof **out);
		(*out)[*n - 1] = x;
	}
}

sql_expr *sql_expr_and(sql_arena *a, sql_expr *l, sql_expr *r)
{
	sql_expr *e;

	if (l == NULL)
		return r;
	if (r == NULL)
		return l;
	e = sql_expr_new(a, SQL_EXPR_BINARY, l->line, l->col);
	e->op = SQL_OP_AND;
	e->type = SQL_TYPE_BOOLEAN;
	e->resolved = true;
	e->args = sql_arena_alloc(a, 2 * sizeof *e->args);
	e->args[0] = l;
	e->args[1] = r;
	e->nargs = 2;
	return e;
}

static bool an_value_equal(const sql_value *x, const sql_value *y)
{
	if (x->type != y->type || x->null != y->null)
		return false;
	if (x->null)
		return true;
	switch (x->type) {
	case SQL_TYPE_STRING:
		return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
	case SQL_TYPE_DOUBLE:
		return x->u.d == y->u.d;
	case SQL_TYPE_BOOLEAN:
		return x->u.b == y->u.b;
	case SQL_TYPE_NULL:
		return true;
	default:
		if (sql_type_is_decimal(x->type))
			return x->u.dec == y->u.dec;
		return x->u.i == y->u.i;
	}
}

bool sql_expr_equal(const sql_expr *x, const sql_expr *y)
{
	if (x == y)
		return true;
	if (x == NULL || y == NULL)
		return false;
	/* An alias names a value; the value is what is compared. */
	if (x->kind == SQL_EXPR_ALIAS)
		return sql_expr_equal(x->args[0], y);
	if (y->kind == SQL_EXPR_ALIAS)
		return sql_expr_equal(x, y->args[0]);
	if (x->kind != y->kind || x->type != y->type || x->nargs != y->nargs)
		return false;
	switch (x->kind) {
	case SQL_EXPR_COLUMN:
		return x->attr_id == y->attr_id;
	case SQL_EXPR_LITERAL:
		return an_value_equal(&x->value, &y->value);
	case SQL_EXPR_UNARY:
	case SQL_EXPR_BINARY:
		if (x->op != y->op)
			return false;
		break;
	case SQL_EXPR_FUNC:
		if (x->func != y->func)
			return false;
		break;
	case SQL_EXPR_AGG:
		if (x->agg != y->agg || x->distinct != y->distinct)
			return false;
		break;
	case SQL_EXPR_CAST:
		if (x->cast_type != y->cast_type)
			return false;
		break;
	case SQL_EXPR_CASE:
		if (x->case_operand != y->case_operand || x->case_else != y->case_else)
			return false;
		break;
	default:
		break;
	}
	if (x->negated != y->negated)
		return false;
	for (uint32_t i = 0; i < x->nargs; i++)
		if (!sql_expr_equal(x->args[i], y->args[i]))
			return false;
	return true;
}

/* The input row of PLAN's expressions: its child's output, or for a JOIN
 * the left output then the right output. */
static sql_attr *an_input(sql_arena *a, const sql_plan *p, uint32_t *n)
{
	const sql_plan *l = p->child[0], *r = p->child[1];
	sql_attr *attrs;

	if (p->kind != SQL_PLAN_JOIN) {
		*n = l ? l->noutput : 0;
		return l ? l->output : NULL;
	}
	*n = l->noutput + r->noutput;
	attrs = sql_arena_alloc(a, (*n + 1) * sizeof *attrs);
	memcpy(attrs, l->output, l->noutput * sizeof *attrs);
	memcpy(attrs + l->noutput, r->output, r->noutput * sizeof *attrs);
	return attrs;
}

int sql_plan_compute_output(sql_arena *a, sql_plan *p)
{
	const sql_plan *l = p->child[0];
	uint32_t nin;
	const sql_attr *in;

	switch (p->kind) {
	case SQL_PLAN_FILTER:
	case SQL_PLAN_SORT:
	case SQL_PLAN_LIMIT:
	case SQL_PLAN_DISTINCT:
	case SQL_PLAN_UNION:
		p->output = l->output;
		p->noutput = l->noutput;
		return 0;
	case SQL_PLAN_ALIAS:
		p->noutput = l->noutput;
		p->output = sql_arena_alloc(a, (l->noutput + 1) * sizeof *p->output);
		for (uint32_t i = 0; i < l->noutput; i++) {
			p->output[i] = l->output[i];
			p->output[i].qualifier = p->alias;
		}
		return 0;
	case SQL_PLAN_JOIN:
		/* A semi or anti join outputs the left side only; an outer join
		 * makes the side that may be missing nullable. */
		p->output = an_input(a, p, &p->noutput);
		if (p->join_type == SQL_JOIN_LEFT_SEMI || p->join_type == SQL_JOIN_LEFT_ANTI) {
			p->noutput = p->child[0]->noutput;
			return 0;
		}
		if (p->join_type == SQL_JOIN_RIGHT || p->join_type == SQL_JOIN_FULL)
			for (uint32_t i = 0; i < p->child[0]->noutput; i++)
				p->output[i].nullable = true;
		if (p->join_type == SQL_JOIN_LEFT || p->join_type == SQL_JOIN_FULL)
			for (uint32_t i = p->child[0]->noutput; i < p->noutput; i++)
				p->output[i].nullable = true;
		return 0;
	case SQL_PLAN_PROJECT:
	case SQL_PLAN_AGGREGATE:
		in = an_input(a, p, &nin);
		p->noutput = p->nexprs;
		p->output = sql_arena_alloc(a, (p->nexprs + 1) * sizeof *p->output);
		for (uint32_t i = 0; i < p->nexprs; i++) {
			const sql_expr *e = p->exprs[i];
			sql_attr *o = &p->output[i];

			o->type = e->type;
			o->nullable = true;
			if (e->kind == SQL_EXPR_COLUMN) {
				o->name = e->name;
				o->id = e->attr_id;
				if (e->ordinal >= 0 && (uint32_t)e->ordinal < nin) {
					o->qualifier = in[e->ordinal].qualifier;
					o->name = in[e->ordinal].name;
				}
			} else if (e->kind == SQL_EXPR_ALIAS) {
				o->name = e->name;
				o->id = e->attr_id;
			} else {
				return -EINVAL;
			}
		}
		return 0;
	default:
		/* SCAN, VALUES and ONE_ROW keep the output they were given. */
		return 0;
	}
}

/* ---- small helpers ----------------------------------------------------------------- */

static int an_fail(an_ctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int an_fail(an_ctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof c->err->message];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sql_error_set(c->err, line, col, "%s", msg);
	return -EINVAL;
}

static uint32_t an_new_id(an_ctx *c)
{
	return c->next_id++;
}

static bool an_is_numeric(sql_type t)
{
	return t == SQL_TYPE_BIGINT || t == SQL_TYPE_DOUBLE || sql_type_is_decimal(t);
}

/* The decimal type a bigint operand takes next to a decimal, as Spark's
 * DecimalPrecision does: an integer literal the fewest digits that hold it
 * (literalPickMinimumPrecision: 1 is decimal(1,0)), any other bigint
 * decimal(20,0).  Other types are returned as they are. */
static sql_type an_decimal_operand(const sql_expr *e)
{
	if (e->type != SQL_TYPE_BIGINT)
		return e->type;
	if (e->kind == SQL_EXPR_LITERAL && !e->value.null && e->value.type == SQL_TYPE_BIGINT) {
		uint64_t m = e->value.u.i < 0 ? 0 - (uint64_t)e->value.u.i : (uint64_t)e->value.u.i;
		unsigned digits = 1;
		while (m >= 10) {
			m /= 10;
			digits++;
		}
		return sql_type_decimal(digits, 0);
	}
	return sql_type_decimal(20, 0);
}

static bool an_is_null_literal(const sql_expr *e)
{
	return e->kind == SQL_EXPR_LITERAL && e->value.null;
}

/* Make *SLOT produce TO: a NULL literal simply takes the type, anything
 * else is wrapped in a CAST. */
static void an_coerce(an_ctx *c, sql_expr **slot, sql_type to)
{
	sql_expr *e = *slot, *cast;

	if (e->type == to || to == SQL_TYPE_NULL)
		return;
	if (an_is_null_literal(e)) {
		e->type = to;
		e->value.type = to;
		return;
	}
	cast = sql_expr_new(c->a, SQL_EXPR_CAST, e->line, e->col);
	cast->cast_type = to;
	cast->type = to;
	cast->resolved = true;
	cast->args = sql_arena_alloc(c->a, sizeof *cast->args);
	cast->args[0] = e;
	cast->nargs = 1;
	*slot = cast;
}

static bool an_castable(sql_type from, sql_type to)
{
	if (from == to || from == SQL_TYPE_NULL || from == SQL_TYPE_STRING || to == SQL_TYPE_STRING)
		return true;
	if (an_is_numeric(from) && (an_is_numeric(to) || to == SQL_TYPE_BOOLEAN))
		return true;
	if (from == SQL_TYPE_BOOLEAN && an_is_numeric(to))
		return true;
	if ((from == SQL_TYPE_DATE || from == SQL_TYPE_TIMESTAMP) &&
	    (to == SQL_TYPE_DATE || to == SQL_TYPE_TIMESTAMP))
		return true;
	/* Spark casts a timestamp to seconds and back. */
	if ((from == SQL_TYPE_TIMESTAMP && an_is_numeric(to)) ||
	    (an_is_numeric(from) && to == SQL_TYPE_TIMESTAMP))
		return true;
	return false;
}

/* ---- aggregates by name --------------------------------------------------------------- */

static const struct {
	const char *name;
	sql_agg_fn fn;
} an_aggs[] = {
	{ "count", SQL_AGG_COUNT }, { "sum", SQL_AGG_SUM }, { "avg", SQL_AGG_AVG },
	{ "min", SQL_AGG_MIN }, { "max", SQL_AGG_MAX },
};

static const char *an_agg_name(sql_agg_fn fn)
{
	for (size_t i = 0; i < sizeof an_aggs / sizeof an_aggs[0]; i++)
		if (an_aggs[i].fn == fn)
			return an_aggs[i].name;
	return "?";
}

/* The parser may leave count(x) as a plain call: make it an AGG. */
static void an_normalize_agg(sql_expr *e)
{
	if (e->kind != SQL_EXPR_FUNC || e->resolved)
		return;
	for (size_t i = 0; i < sizeof an_aggs / sizeof an_aggs[0]; i++) {
		if (strcasecmp(e->name, an_aggs[i].name) == 0) {
			e->kind = SQL_EXPR_AGG;
			e->agg = an_aggs[i].fn;
			return;
		}
	}
}

static bool an_contains_subquery(const sql_expr *e)
{
	if (e == NULL)
		return false;
	if (e->subquery)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (an_contains_subquery(e->args[i]))
			return true;
	return false;
}

static bool an_contains_agg(sql_expr *e)
{
	if (e == NULL)
		return false;
	an_normalize_agg(e);
	if (e->kind == SQL_EXPR_AGG)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (an_contains_agg(e->args[i]))
			return true;
	return false;
}

/* ---- names ------------------------------------------------------------------------- */

/* The expression as Spark names it in a select list: its text without
 * attribute ids, e.g. sum(amount) or (price * 2). */
static char *an_expr_text(an_ctx *c, const sql_expr *e)
{
	textbuf tb = TEXTBUF_INIT;
	char *s, *w;

	sql_expr_print(e, true, &tb);
	s = sql_arena_strdup(c->a, tb.data ? tb.data : "");
	textbuf_free(&tb);
	w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '#' && r[1] >= '0' && r[1] <= '9') {
			while (r[1] >= '0' && r[1] <= '9')
				r++;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return s;
}

/* The name Spark gives an unnamed select-list expression: its text. */
static const char *an_auto_name(an_ctx *c, const sql_expr *e)
{
	if (e->kind == SQL_EXPR_COLUMN)
		return e->name;
	return an_expr_text(c, e);
}

static sql_expr *an_alias(an_ctx *c, sql_expr *e, const char *name)
{
	sql_expr *al = sql_expr_new(c->a, SQL_EXPR_ALIAS, e->line, e->col);

	al->name = name;
	al->type = e->type;
	al->resolved = true;
	al->attr_id = an_new_id(c);
	al->args = sql_arena_alloc(c->a, sizeof *al->args);
	al->args[0] = e;
	al->nargs = 1;
	return al;
}

static sql_expr *an_column_ref(an_ctx *c, const sql_attr *attrs, uint32_t ordinal, uint32_t line,
			       uint32_t col)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_COLUMN, line, col);

	e->name = attrs[ordinal].name;
	e->type = attrs[ordinal].type;
	e->attr_id = attrs[ordinal].id;
	e->ordinal = (int32_t)ordinal;
	e->resolved = true;
	return e;
}

/* Find QUALIFIER.NAME in ATTRS.  0 and *ORD, or -ENOENT, or -EINVAL with the
 * error set (ambiguous). */
static int an_find_attr(an_ctx *c, const sql_attr *attrs, uint32_t n, const char *qualifier,
			const char *name, uint32_t line, uint32_t col, uint32_t *ord)
{
	int found = -1;

	for (uint32_t i = 0; i < n; i++) {
		if (strcasecmp(attrs[i].name, name) != 0)
			continue;
		if (qualifier && (attrs[i].qualifier == NULL ||
				  strcasecmp(attrs[i].qualifier, qualifier) != 0))
			continue;
		if (found >= 0 && attrs[found].id != attrs[i].id) {
			const char *qa = attrs[found].qualifier, *qb = attrs[i].qualifier;

			return an_fail(c, line, col, "ambiguous column \"%s\" (in %s and %s)", name,
				       qa ? qa : "?", qb ? qb : "?");
		}
		if (found < 0)
			found = (int)i;
	}
	if (found < 0)
		return -ENOENT;
	*ord = (uint32_t)found;
	return 0;
}

static int an_unknown_column(an_ctx *c, const sql_expr *e, const sql_attr *attrs, uint32_t n)
{
	const char *best = NULL;
	unsigned bestd = 0;
	unsigned limit = (unsigned)strlen(e->name) / 2 + 1;

	for (uint32_t i = 0; i < n; i++) {
		unsigned d = sql_edit_distance(e->name, attrs[i].name);

		if (d <= limit && (best == NULL || d < bestd)) {
			best = attrs[i].name;
			bestd = d;
		}
	}
	if (e->qualifier) {
		if (best)
			return an_fail(c, e->line, e->col,
				       "unknown column \"%s.%s\" (did you mean \"%s\"?)", e->qualifier,
				       e->name, best);
		return an_fail(c, e->line, e->col, "unknown column \"%s.%s\"", e->qualifier, e->name);
	}
	if (best)
		return an_fail(c, e->line, e->col, "unknown column \"%s\" (did you mean \"%s\"?)",
			       e->name, best);
	return an_fail(c, e->line, e->col, "unknown column \"%s\"", e->name);
}

static int an_unknown_function(an_ctx *c, const sql_expr *e)
{
	size_t n = 0;
	const sql_func_info *all = sql_func_all(&n);
	const char *best = NULL;
	unsigned bestd = 0;
	unsigned limit = (unsigned)strlen(e->name) / 2 + 1;

	for (size_t i = 0; i < n + sizeof an_aggs / sizeof an_aggs[0]; i++) {
		const char *cand = i < n ? all[i].name : an_aggs[i - n].name;
		unsigned d = sql_edit_distance(e->name, cand);

		if (d <= limit && (best == NULL || d < bestd)) {
			best = cand;
			bestd = d;
		}
	}
	if (best)
		return an_fail(c, e->line, e->col, "unknown function \"%s\" (did you mean \"%s\"?)",
			       e->name, best);
	return an_fail(c, e->line, e->col, "unknown function \"%s\"", e->name);
}

/* ---- expressions --------------------------------------------------------------------- */

static int an_expr(an_ctx *c, sql_expr **slot, an_scope *s);

static int an_args(an_ctx *c, sql_expr *e, an_scope *s, uint32_t from)
{
	for (uint32_t i = from; i < e->nargs; i++) {
		int rc = an_expr(c, &e->args[i], s);

		if (rc)
			return rc;
	}
	return 0;
}

static int an_need_boolean(an_ctx *c, sql_expr **slot, const char *what)
{
	sql_expr *e = *slot;

	if (e->type == SQL_TYPE_NULL) {
		an_coerce(c, slot, SQL_TYPE_BOOLEAN);
		return 0;
	}
	if (e->type != SQL_TYPE_BOOLEAN)
		return an_fail(c, e->line, e->col, "%s needs a boolean, not %s", what,
			       sql_type_name(e->type));
	return 0;
}

/* Coerce args[from..] of E to one common type for a comparison-like operator. */
static int an_compare_types(an_ctx *c, sql_expr *e, uint32_t from, uint32_t to, sql_type *common)
{
	bool dec = false;

	/* Next to a decimal, an integer literal is the smallest decimal that
	 * holds it, so l_quantity < 24 compares as decimal(15,2). */
	for (uint32_t i = from; i < to; i++)
		dec |= sql_type_is_decimal(e->args[i]->type);
	sql_type t = dec ? an_decimal_operand(e->args[from]) : e->args[from]->type;

	for (uint32_t i = from + 1; i < to; i++) {
		sql_type u = dec ? an_decimal_operand(e->args[i]) : e->args[i]->type, r;

		if (sql_type_common(t, u, &r) != 0)
			return an_fail(c, e->line, e->col, "cannot compare %s with %s",
				       sql_type_name(t), sql_type_name(u));
		t = r;
	}
	for (uint32_t i = from; i < to; i++)
		an_coerce(c, &e->args[i], t);
	*common = t;
	return 0;
}

static int an_binary(an_ctx *c, sql_expr *e)
{
	sql_type l = e->args[0]->type, r = e->args[1]->type, t;
	const char *op = sql_op_text(e->op);

	switch (e->op) {
	case SQL_OP_AND:
	case SQL_OP_OR:
		for (int i = 0; i < 2; i++) {
			sql_type u = e->args[i]->type;

			if (u == SQL_TYPE_NULL)
				an_coerce(c, &e->args[i], SQL_TYPE_BOOLEAN);
			else if (u != SQL_TYPE_BOOLEAN)
				return an_fail(c, e->line, e->col, "%s needs boolean operands, not %s",
					       op, sql_type_name(u));
		}
		e->type = SQL_TYPE_BOOLEAN;
		return 0;
	case SQL_OP_EQ:
	case SQL_OP_NE:
	case SQL_OP_LT:
	case SQL_OP_LE:
	case SQL_OP_GT:
	case SQL_OP_GE:
		if (an_compare_types(c, e, 0, 2, &t))
			return -EINVAL;
		e->type = SQL_TYPE_BOOLEAN;
		return 0;
	case SQL_OP_CONCAT:
		an_coerce(c, &e->args[0], SQL_TYPE_STRING);
		an_coerce(c, &e->args[1], SQL_TYPE_STRING);
		e->type = SQL_TYPE_STRING;
		return 0;
	default:
		break;
	}
	/* Arithmetic: numbers (a string is read as a double, as Spark does). */
	if (l == SQL_TYPE_STRING)
		l = SQL_TYPE_DOUBLE;
	if (r == SQL_TYPE_STRING)
		r = SQL_TYPE_DOUBLE;
	if (l == SQL_TYPE_NULL)
		l = r == SQL_TYPE_NULL ? SQL_TYPE_BIGINT : r;
	if (r == SQL_TYPE_NULL)
		r = l;
	if (!an_is_numeric(l) || !an_is_numeric(r))
		return an_fail(c, e->line, e->col, "cannot apply %s to %s and %s", op,
			       sql_type_name(e->args[0]->type), sql_type_name(e->args[1]->type));
	if ((sql_type_is_decimal(l) || sql_type_is_decimal(r)) && l != SQL_TYPE_DOUBLE &&
	    r != SQL_TYPE_DOUBLE) {
		/* Spark's DecimalPrecision: a bigint operand becomes a decimal
		 * (an_decimal_operand), each operand keeps its own precision and
		 * scale, and the result type follows from both. */
		if (!sql_type_is_decimal(l))
			l = e->args[0]->type == SQL_TYPE_BIGINT ? an_decimal_operand(e->args[0])
								: sql_type_decimal(20, 0);
		if (!sql_type_is_decimal(r))
			r = e->args[1]->type == SQL_TYPE_BIGINT ? an_decimal_operand(e->args[1])
								: sql_type_decimal(20, 0);
		an_coerce(c, &e->args[0], l);
		an_coerce(c, &e->args[1], r);
		e->type = sql_decimal_result_type(e->op, l, r);
		return 0;
	}
	t = (l == SQL_TYPE_DOUBLE || r == SQL_TYPE_DOUBLE || e->op == SQL_OP_DIV) ? SQL_TYPE_DOUBLE
										 : SQL_TYPE_BIGINT;
	an_coerce(c, &e->args[0], t);
	an_coerce(c, &e->args[1], t);
	e->type = t;
	return 0;
}

/* The type E contributes to a common type (CASE branches, coalesce): next
 * to a decimal, an integer literal that fits 32 bits is Spark's IntegerType,
 * decimal(10,0), so CASE WHEN ... THEN l_discount ELSE 0 END stays
 * decimal(15,2) as in Spark; other types are their own. */
static sql_type an_wider_operand(const sql_expr *e, bool dec)
{
	if (dec && e->type == SQL_TYPE_BIGINT && e->kind == SQL_EXPR_LITERAL && !e->value.null &&
	    e->value.u.i >= INT32_MIN && e->value.u.i <= INT32_MAX)
		return sql_type_decimal(10, 0);
	return e->type;
}

static int an_case(an_ctx *c, sql_expr *e)
{
	uint32_t first = e->case_operand ? 1 : 0;
	uint32_t end = e->case_else ? e->nargs - 1 : e->nargs;   /* WHEN/THEN pairs in [first, end) */
	sql_type rt = SQL_TYPE_NULL, r;

	if (e->case_operand) {
		/* The operand and every WHEN value meet at one type. */
		sql_type t = e->args[0]->type;

		for (uint32_t i = first; i + 1 < end; i += 2) {
			if (sql_type_common(t, e->args[i]->type, &r) != 0)
				return an_fail(c, e->args[i]->line, e->args[i]->col,
					       "cannot compare %s with %s", sql_type_name(t),
					       sql_type_name(e->args[i]->type));
			t = r;
		}
		an_coerce(c, &e->args[0], t);
		for (uint32_t i = first; i + 1 < end; i += 2)
			an_coerce(c, &e->args[i], t);
	} else {
		for (uint32_t i = first; i + 1 < end; i += 2)
			if (an_need_boolean(c, &e->args[i], "WHEN"))
				return -EINVAL;
	}
	/* THEN values, then the ELSE value, meet at one result type */
	bool dec = false;
	for (uint32_t i = first + 1; i < end; i += 2)
		dec |= sql_type_is_decimal(e->args[i]->type);
	if (e->case_else)
		dec |= sql_type_is_decimal(e->args[e->nargs - 1]->type);
	for (uint32_t i = first + 1; i <= e->nargs; i += 2) {
		/* k walks the THEN values (i < end), then the ELSE value once */
		uint32_t k = i < end ? i : e->nargs - 1;

		if (i >= end && !e->case_else)
			break;
		if (sql_type_common(rt, an_wider_operand(e->args[k], dec), &r) != 0)
			return an_fail(c, e->args[k]->line, e->args[k]->col,
				       "CASE branches have incompatible types %s and %s",
				       sql_type_name(rt), sql_type_name(e->args[k]->type));
		rt = r;
		if (i >= end)
			break;
	}
	for (uint32_t i = first + 1; i < end; i += 2)
		an_coerce(c, &e->args[i], rt);
	if (e->case_else)
		an_coerce(c, &e->args[e->nargs - 1], rt);
	e->type = rt;
	return 0;
}

static int an_func(an_ctx *c, sql_expr *e, an_scope *s)
{
	const sql_func_info *fi = sql_func_lookup(e->name);
	sql_type types[16];
	const char *why = NULL;
	int rc;

	if (e->func == SQL_FUNC_INTERVAL)
		return an_fail(c, e->line, e->col, "an interval can only be added to or subtracted "
			       "from a date or timestamp");
	if (fi == NULL)
		return an_unknown_function(c, e);
	if ((int)e->nargs < fi->min_args || (fi->max_args >= 0 && (int)e->nargs > fi->max_args)) {
		if (fi->min_args == fi->max_args)
			return an_fail(c, e->line, e->col, "%s takes %d argument%s, not %u",
				       fi->name, fi->min_args, fi->min_args == 1 ? "" : "s", e->nargs);
		if (fi->max_args < 0)
			return an_fail(c, e->line, e->col, "%s takes at least %d arguments, not %u",
				       fi->name, fi->min_args, e->nargs);
		return an_fail(c, e->line, e->col, "%s takes %d to %d arguments, not %u", fi->name,
			       fi->min_args, fi->max_args, e->nargs);
	}
	if (e->nargs > sizeof types / sizeof types[0])
		return an_fail(c, e->line, e->col, "too many arguments to %s", fi->name);
	rc = an_args(c, e, s, 0);
	if (rc)
		return rc;
	bool dec = false;
	for (uint32_t i = 0; i < e->nargs; i++)
		dec |= sql_type_is_decimal(e->args[i]->type);
	for (uint32_t i = 0; i < e->nargs; i++)
		types[i] = fi->id == SQL_FUNC_COALESCE ? an_wider_operand(e->args[i], dec)
						       : e->args[i]->type;
	if (sql_func_type(fi->id, types, e->nargs, &e->type, &why) != 0)
		return an_fail(c, e->line, e->col, "%s: %s", fi->name, why ? why : "wrong argument types");
	e->func = fi->id;
	if (fi->id == SQL_FUNC_ROUND && sql_type_is_decimal(e->type)) {
		/* Spark's Round of decimal(p,s) to n digits: decimal(p - s + 1 +
		 * min(s, n), min(s, n)), or for n < 0 decimal(max(p - s + 1, 1 - n), 0);
		 * n must be a constant. */
		sql_value n = {.type = SQL_TYPE_BIGINT};
		if (e->nargs == 2 && (sql_eval_const(c->a, e->args[1], &n) || n.null))
			return an_fail(c, e->line, e->col, "round: the scale must be a constant");
		int p = (int)sql_type_precision(e->type), sc = (int)sql_type_scale(e->type);
		int64_t want = e->nargs == 2 ? n.u.i : 0;
		if (want < 0) {
			int64_t np = p - sc + 1 > 1 - want ? p - sc + 1 : 1 - want;
			e->type = sql_decimal_bounded(np > 38 ? 38 : (int)np, 0);
		} else {
			int ns = want < sc ? (int)want : sc;
			e->type = sql_decimal_bounded(p - sc + 1 + ns, ns);
		}
	}
	if (fi->id == SQL_FUNC_COALESCE)
		for (uint32_t i = 0; i < e->nargs; i++)
			an_coerce(c, &e->args[i], e->type);
	return 0;
}

static int an_agg(an_ctx *c, sql_expr *e, an_scope *s)
{
	const char *name = an_agg_name(e->agg);
	int rc;

	if (!s->allow_agg)
		return an_fail(c, e->line, e->col, "aggregate function %s is not allowed in %s", name,
			       s->clause ? s->clause : "this place");
	if (s->in_agg)
		return an_fail(c, e->line, e->col,
			       "aggregate function %s is not allowed inside another aggregate", name);
	if (e->nargs > 1)
		return an_fail(c, e->line, e->col, "%s takes one argument, not %u", name, e->nargs);
	if (e->nargs == 0 && e->agg != SQL_AGG_COUNT)
		return an_fail(c, e->line, e->col, "%s needs an argument", name);
	if (e->nargs == 1 && e->args[0]->kind == SQL_EXPR_STAR) {
		if (e->agg != SQL_AGG_COUNT || e->distinct)
			return an_fail(c, e->line, e->col, "%s(*) is not allowed", name);
		e->nargs = 0;
	}
	s->in_agg = true;
	rc = an_args(c, e, s, 0);
	s->in_agg = false;
	if (rc)
		return rc;
	if (e->nargs == 0) {
		e->type = SQL_TYPE_BIGINT;
		return 0;
	}
	sql_type t = e->args[0]->type;

	switch (e->agg) {
	case SQL_AGG_COUNT:
		e->type = SQL_TYPE_BIGINT;
		break;
	case SQL_AGG_SUM:
	case SQL_AGG_AVG:
		if (t == SQL_TYPE_STRING || t == SQL_TYPE_NULL) {
			an_coerce(c, &e->args[0], SQL_TYPE_DOUBLE);
			t = SQL_TYPE_DOUBLE;
		}
		if (!an_is_numeric(t))
			return an_fail(c, e->line, e->col, "%s needs a number, not %s", name,
				       sql_type_name(t));
		if (sql_type_is_decimal(t)) {
			/* Spark: sum of decimal(p,s) is decimal(p+10,s), avg is
			 * decimal(p+4,s+4), both capped at 38. */
			int p = (int)sql_type_precision(t), sc = (int)sql_type_scale(t);
			e->type = e->agg == SQL_AGG_AVG ? sql_decimal_bounded(p + 4, sc + 4)
							: sql_decimal_bounded(p + 10, sc);
			break;
		}
		e->type = e->agg == SQL_AGG_AVG ? SQL_TYPE_DOUBLE : t;
		break;
	default:
		e->type = t;
		break;
	}
	return 0;
}

static int an_column(an_ctx *c, sql_expr *e, an_scope *s)
{
	uint32_t ord = 0;
	int rc = an_find_attr(c, s->attrs, s->n, e->qualifier, e->name, e->line, e->col, &ord);

	if (rc == -ENOENT && c->outer) {
		/* A correlated reference to the query around the subquery. */
		rc = an_find_attr(c, c->outer->attrs, c->outer->n, e->qualifier, e->name, e->line,
				  e->col, &ord);
		if (rc == 0) {
			e->outer = true;
			e->ordinal = -1;
			e->attr_id = c->outer->attrs[ord].id;
			e->type = c->outer->attrs[ord].type;
			e->name = c->outer->attrs[ord].name;
			return 0;
		}
		for (const an_outer *o = c->outer->next; o && rc == -ENOENT; o = o->next) {
			rc = an_find_attr(c, o->attrs, o->n, e->qualifier, e->name, e->line, e->col,
					  &ord);
			if (rc == 0)
				return an_fail(c, e->line, e->col,
					       "column \"%s\" belongs to a query two or more levels out: "
					       "a subquery may only refer to the query right around it",
					       e->name);
		}
	}
	if (rc == -ENOENT)
		return an_unknown_column(c, e, s->attrs, s->n);
	if (rc)
		return rc;
	e->ordinal = (int32_t)ord;
	e->attr_id = s->attrs[ord].id;
	e->type = s->attrs[ord].type;
	e->name = s->attrs[ord].name;
	return 0;
}

/* A subquery expression: its query is analyzed with the input row of S as
 * the outer scope, for correlated references. */
static int an_subquery(an_ctx *c, sql_expr *e, an_scope *s)
{
	an_outer frame = { .attrs = s->attrs, .n = s->n, .next = c->outer };
	sql_type t;
	int rc;

	if (e->kind == SQL_EXPR_IN_SUBQUERY) {
		rc = an_args(c, e, s, 0);
		if (rc)
			return rc;
	}
	c->outer = &frame;
	rc = an_plan(c, &e->subquery);
	c->outer = frame.next;
	if (rc)
		return rc;
	switch (e->kind) {
	case SQL_EXPR_SCALAR_SUBQUERY:
		if (e->subquery->noutput != 1)
			return an_fail(c, e->line, e->col,
				       "a scalar subquery must return one column, not %u",
				       e->subquery->noutput);
		e->type = e->subquery->output[0].type;
		return 0;
	case SQL_EXPR_IN_SUBQUERY:
		if (e->subquery->noutput != 1)
			return an_fail(c, e->line, e->col,
				       "the subquery of IN must return one column, not %u",
				       e->subquery->noutput);
		t = e->subquery->output[0].type;
		if (sql_type_common(e->args[0]->type, t, &t) != 0)
			return an_fail(c, e->line, e->col, "cannot compare %s with %s",
				       sql_type_name(e->args[0]->type),
				       sql_type_name(e->subquery->output[0].type));
		an_coerce(c, &e->args[0], t);
		e->type = SQL_TYPE_BOOLEAN;
		return 0;
	default:
		e->type = SQL_TYPE_BOOLEAN;
		return 0;
	}
}

/* ---- intervals ------------------------------------------------------------------------ */

static bool an_is_interval(const sql_expr *e)
{
	return e->kind == SQL_EXPR_FUNC && e->func == SQL_FUNC_INTERVAL && !e->resolved;
}

static sql_expr *an_bigint(an_ctx *c, int64_t v, uint32_t line, uint32_t col)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_LITERAL, line, col);

	e->value.type = e->type = SQL_TYPE_BIGINT;
	e->value.u.i = v;
	e->resolved = true;
	return e;
}

/* A resolved call of FUNC (NAME, as plans print it) on X and the bigints V. */
static sql_expr *an_call(an_ctx *c, sql_func func, const char *name, sql_type type, sql_expr *x,
			 const int64_t *v, uint32_t nv)
{
	sql_expr *e = sql_expr_new(c->a, SQL_EXPR_FUNC, x->line, x->col);

	e->func = func;
	e->name = name;
	e->type = type;
	e->resolved = true;
	e->nargs = nv + 1;
	e->args = sql_arena_alloc(c->a, (nv + 1) * sizeof *e->args);
	e->args[0] = x;
	for (uint32_t i = 0; i < nv; i++)
		e->args[i + 1] = an_bigint(c, v[i], x->line, x->col);
	return e;
}

/* x + interval, interval + x, x - interval: X a date or a timestamp.  As
 * Spark: months first (add_months, the day clamped to the month's end),
 * then days, then the time.  A date plus whole days and months stays a
 * date (date_add, add_months); anything with a time is a timestamp
 * (time_add). */
static int an_interval_arith(an_ctx *c, sql_expr **slot, an_scope *s)
{
	sql_expr *e = *slot, *iv, **xslot, *x;
	bool left = an_is_interval(e->args[0]);
	int64_t months, days, micros, total;
	sql_type t;
	int rc;

	iv = left ? e->args[0] : e->args[1];
	xslot = left ? &e->args[1] : &e->args[0];
	if ((e->op != SQL_OP_ADD && e->op != SQL_OP_SUB) || an_is_interval(*xslot) ||
	    (left && e->op == SQL_OP_SUB))
		return an_fail(c, e->line, e->col, "an interval can only be added to or "
			       "subtracted from a date or timestamp");
	rc = an_expr(c, xslot, s);
	if (rc)
		return rc;
	t = (*xslot)->type;
	if (t == SQL_TYPE_NULL) {
		an_coerce(c, xslot, SQL_TYPE_DATE);
		t = SQL_TYPE_DATE;
	}
	if (t != SQL_TYPE_DATE && t != SQL_TYPE_TIMESTAMP)
		return an_fail(c, e->line, e->col, "an interval can only be added to or "
			       "subtracted from a date or timestamp, not %s", sql_type_name(t));
	months = iv->args[0]->value.u.i;
	days = iv->args[1]->value.u.i;
	micros = iv->args[2]->value.u.i;
	if (e->op == SQL_OP_SUB) {
		if (months == INT64_MIN || days == INT64_MIN || micros == INT64_MIN)
			return an_fail(c, e->line, e->col, "interval out of range");
		months = -months;
		days = -days;
		micros = -micros;
	}
	if (months > INT32_MAX || months < INT32_MIN)
		return an_fail(c, e->line, e->col, "interval out of range");
	x = *xslot;
	if (t == SQL_TYPE_DATE && micros == 0) {
		if (months)
			x = an_call(c, SQL_FUNC_ADD_MONTHS, "add_months", SQL_TYPE_DATE, x, &months, 1);
		if (days)
			x = an_call(c, SQL_FUNC_DATE_ADD, "date_add", SQL_TYPE_DATE, x, &days, 1);
	} else {
		int64_t v[2];

		if (__builtin_mul_overflow(days, INT64_C(86400000000), &total) ||
		    __builtin_add_overflow(total, micros, &total))
			return an_fail(c, e->line, e->col, "interval out of range");
		an_coerce(c, xslot, SQL_TYPE_TIMESTAMP);
		v[0] = months;
		v[1] = total;
		x = an_call(c, SQL_FUNC_TIME_ADD, "time_add", SQL_TYPE_TIMESTAMP, *xslot, v, 2);
	}
	x->line = e->line;
	x->col = e->col;
	*slot = x;
	return 0;
}

static int an_expr(an_ctx *c, sql_expr **slot, an_scope *s)
{
	sql_expr *e = *slot;
	sql_type t;
	int rc = 0;

	if (e->resolved)
		return 0;
	if (++c->depth > AN_MAX_DEPTH) {
		rc = an_fail(c, e->line, e->col, "expression nested too deeply");
		goto out;
	}
	an_normalize_agg(e);
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		e->type = e->value.type;
		break;
	case SQL_EXPR_COLUMN:
		rc = an_column(c, e, s);
		break;
	case SQL_EXPR_STAR:
		rc = an_fail(c, e->line, e->col, "* is only allowed in a select list or count(*)");
		break;
	case SQL_EXPR_SCALAR_SUBQUERY:
	case SQL_EXPR_EXISTS:
	case SQL_EXPR_IN_SUBQUERY:
		rc = an_subquery(c, e, s);
		break;
	case SQL_EXPR_UNARY:
		rc = an_args(c, e, s, 0);
		if (rc)
			break;
		if (e->op == SQL_OP_NOT && (e->args[0]->kind == SQL_EXPR_EXISTS ||
					    e->args[0]->kind == SQL_EXPR_IN_SUBQUERY)) {
			/* NOT EXISTS (q), NOT x IN (q): the negated forms. */
			e->args[0]->negated = !e->args[0]->negated;
			*slot = e->args[0];
			break;
		}
		if (e->op == SQL_OP_NOT) {
			rc = an_need_boolean(c, &e->args[0], "NOT");
			e->type = SQL_TYPE_BOOLEAN;
			break;
		}
		t = e->args[0]->type;
		if (t == SQL_TYPE_NULL || t == SQL_TYPE_STRING) {
			an_coerce(c, &e->args[0], t == SQL_TYPE_NULL ? SQL_TYPE_BIGINT : SQL_TYPE_DOUBLE);
			t = e->args[0]->type;
		}
		if (!an_is_numeric(t))
			rc = an_fail(c, e->line, e->col, "cannot negate %s", sql_type_name(t));
		e->type = t;
		break;
	case SQL_EXPR_BINARY:
		if (an_is_interval(e->args[0]) || an_is_interval(e->args[1])) {
			rc = an_interval_arith(c, slot, s);
			break;
		}
		rc = an_args(c, e, s, 0);
		if (rc == 0)
			rc = an_binary(c, e);
		break;
	case SQL_EXPR_IS_NULL:
		rc = an_args(c, e, s, 0);
		e->type = SQL_TYPE_BOOLEAN;
		break;
	case SQL_EXPR_IN:
	case SQL_EXPR_BETWEEN:
		rc = an_args(c, e, s, 0);
		if (rc == 0)
			rc = an_compare_types(c, e, 0, e->nargs, &t);
		e->type = SQL_TYPE_BOOLEAN;
		break;
	case SQL_EXPR_LIKE:
		rc = an_args(c, e, s, 0);
		if (rc)
			break;
		for (int i = 0; i < 2; i++) {
			t = e->args[i]->type;
			if (t != SQL_TYPE_STRING && t != SQL_TYPE_NULL) {
				rc = an_fail(c, e->line, e->col, "LIKE needs strings, not %s",
					     sql_type_name(t));
				break;
			}
			an_coerce(c, &e->args[i], SQL_TYPE_STRING);
		}
		e->type = SQL_TYPE_BOOLEAN;
		break;
	case SQL_EXPR_CASE:
		rc = an_args(c, e, s, 0);
		if (rc == 0)
			rc = an_case(c, e);
		break;
	case SQL_EXPR_CAST:
		rc = an_args(c, e, s, 0);
		if (rc)
			break;
		if (!an_castable(e->args[0]->type, e->cast_type))
			rc = an_fail(c, e->line, e->col, "cannot cast %s to %s",
				     sql_type_name(e->args[0]->type), sql_type_name(e->cast_type));
		e->type = e->cast_type;
		break;
	case SQL_EXPR_FUNC:
		rc = an_func(c, e, s);
		break;
	case SQL_EXPR_AGG:
		rc = an_agg(c, e, s);
		break;
	case SQL_EXPR_ALIAS:
		rc = an_args(c, e, s, 0);
		e->type = e->args[0]->type;
		e->attr_id = an_new_id(c);
		break;
	}
	if (rc == 0)
		e->resolved = true;
out:
	c->depth--;
	return rc;
}

/* ---- what the caller may see (sql_catalog.access) ------------------------------------- */

/* May the caller see the existing object (PLATFORM; DB; DB.TABLE) and hold
 * PRIVS on it?  0; -ENOENT when it may not see it (nothing is set: the
 * caller answers as for a missing name); -EACCES with the error set at
 * LINE:COL when it sees it but a privilege is missing. */
static int an_access(an_ctx *c, unsigned platform, const char *db, const char *table,
		     unsigned privs, uint32_t line, uint32_t col)
{
	sql_error why = { 0 };

	if (c->cat->access == NULL)
		return 0;
	switch (c->cat->access(c->cat->access_ctx, c->cat, platform, db, table, privs, 0, &why)) {
	case SQL_ACCESS_OK:
		return 0;
	case SQL_ACCESS_HIDDEN:
		return -ENOENT;
	default:
		sql_error_set(c->err, line, col, "%s",
			      why.message[0] ? why.message : "permission denied");
		return -EACCES;
	}
}

/* May a "did you mean" name the object? */
static bool an_visible(an_ctx *c, unsigned platform, const char *db, const char *table)
{
	return c->cat->access == NULL ||
	       c->cat->access(c->cat->access_ctx, c->cat, platform, db, table, 0, SQL_ACCESS_PROBE,
			      NULL) == SQL_ACCESS_OK;
}

/* ---- relations ---------------------------------------------------------------------- */

/* Platform NAME, when it exists and the caller may see it: a hidden one is
 * as unknown as a missing one (and the access hook records the refusal). */
static const sql_platform *an_platform(an_ctx *c, const char *name, unsigned *index)
{
	for (unsigned i = 0; i < c->cat->nplatforms; i++) {
		if (strcasecmp(c->cat->platforms[i].name, name) == 0) {
			if (an_access(c, i, NULL, NULL, 0, 0, 0) != 0)
				return NULL;
			*index = i;
			return &c->cat->platforms[i];
		}
	}
	return NULL;
}

/* Split NAMES (db.table or platform.db.table) into a platform and db/table;
 * the error names WHAT as written. */
static int an_table_name(an_ctx *c, const char *const *names, uint32_t n, uint32_t line,
			 uint32_t col, unsigned *platform, const char **db, const char **table)
{
	if (n == 3) {
		if (an_platform(c, names[0], platform) == NULL)
			return an_fail(c, line, col, "unknown platform \"%s\" in \"%s.%s.%s\"",
				       names[0], names[0], names[1], names[2]);
		*db = names[1];
		*table = names[2];
		return 0;
	}
	if (n == 2) {
		if (c->cat->nplatforms == 0 || c->cat->default_platform >= c->cat->nplatforms)
			return an_fail(c, line, col, "no platform for \"%s.%s\"", names[0], names[1]);
		*platform = c->cat->default_platform;
		*db = names[0];
		*table = names[1];
		return 0;
	}
	return an_fail(c, line, col, "unknown table \"%s\"", n ? names[0] : "");
}

static char *an_joined_name(an_ctx *c, const char *const *names, uint32_t n)
{
	if (n == 3)
		return sql_arena_printf(c->a, "%s.%s.%s", names[0], names[1], names[2]);
	if (n == 2)
		return sql_arena_printf(c->a, "%s.%s", names[0], names[1]);
	return sql_arena_strdup(c->a, n ? names[0] : "");
}

/* Read table DB.TABLE of PLATFORM into *T (store_table_clear() it), which
 * the caller needs PRIVS on (AN_UNCHECKED: not asked).  Errors: unknown
 * table (with a suggestion from the same database, among the tables the
 * caller may see), which is also the answer for a table the caller may not
 * see; permission denied; or a table without a schema. */
static int an_table_get(an_ctx *c, unsigned platform, const char *db, const char *table,
			unsigned privs, const char *written, uint32_t line, uint32_t col,
			store_table *t)
{
	store_env *env = c->cat->platforms[platform].store;
	store_txn *txn = NULL;
	store_iter *it = NULL;
	store_table cand;
	char best[2 * STORE_NAME_MAX + 2] = "";
	unsigned bestd = 0, limit = (unsigned)strlen(table) / 2 + 1;
	int rc;

	memset(t, 0, sizeof *t);
	rc = store_read_begin(env, &txn);
	if (rc) {
		sql_error_set(c->err, line, col, "cannot read the metastore of %s: %s",
			      c->cat->platforms[platform].name, store_strerror(rc));
		return rc;
	}
	rc = store_table_get(txn, db, table, t);
	if (rc == 0 && privs != AN_UNCHECKED) {
		rc = an_access(c, platform, t->db, t->name, privs, line, col);
		if (rc == -EACCES)
			goto out;
		if (rc)
			store_table_clear(t);   /* hidden: answered as missing, below */
	}
	if (rc == 0 && !t->has_schema) {
		rc = an_fail(c, line, col, "table \"%s\" has no schema yet", written);
		goto out;
	}
	if (rc == 0)
		goto out;
	if (rc != -ENOENT && rc != -EINVAL) {
		sql_error_set(c->err, line, col, "cannot read table \"%s\": %s", written,
			      store_strerror(rc));
		goto out;
	}
	/* Suggest the nearest table name of that database. */
	if (store_iter_tables(txn, db, NULL, &it) == 0) {
		while (store_iter_next(it, &cand) == 0) {
			unsigned d = sql_edit_distance(table, cand.name);

			if (d <= limit && (best[0] == '\0' || d < bestd) &&
			    (privs == AN_UNCHECKED || an_visible(c, platform, cand.db, cand.name))) {
				snprintf(best, sizeof best, "%s.%s", db, cand.name);
				bestd = d;
			}
			store_table_clear(&cand);
		}
		store_iter_close(it);
	}
	if (best[0])
		rc = an_fail(c, line, col, "unknown table \"%s\" (did you mean \"%s\"?)", written, best);
	else
		rc = an_fail(c, line, col, "unknown table \"%s\"", written);
out:
	store_commit(txn);
	if (rc)
		store_table_clear(t);
	return rc;
}

/* A SCAN of table T wrapped in a SubqueryAlias named ALIAS. */
static sql_plan *an_scan_node(an_ctx *c, unsigned platform, const store_table *t,
			      const char *alias, uint32_t line, uint32_t col)
{
	sql_plan *p = sql_plan_new(c->a, SQL_PLAN_SCAN, line, col);
	sql_plan *al = sql_plan_new(c->a, SQL_PLAN_ALIAS, line, col);
	sql_scan *s = sql_arena_alloc(c->a, sizeof *s);
	uint32_t n = t->ncolumns + t->npartkeys;

	s->platform = platform;
	s->platform_name = c->cat->platforms[platform].name;
	s->db = sql_arena_strdup(c->a, t->db);
	s->table = sql_arena_strdup(c->a, t->name);
	s->table_id = t->id;
	s->format = t->format;
	s->header = t->header;
	s->ncolumns = t->ncolumns;
	s->npartkeys = t->npartkeys;
	s->types = sql_arena_alloc(c->a, (n + 1) * sizeof *s->types);
	s->names = sql_arena_alloc(c->a, (n + 1) * sizeof *s->names);
	s->columns = sql_arena_alloc(c->a, (n + 1) * sizeof *s->columns);
	s->nout = n;
	p->output = sql_arena_alloc(c->a, (n + 1) * sizeof *p->output);
	p->noutput = n;
	for (uint32_t i = 0; i < n; i++) {
		s->types[i] = sql_type_from_store(t->columns[i].type);
		s->names[i] = sql_arena_strdup(c->a, t->columns[i].name);
		s->columns[i] = i;
		p->output[i].name = s->names[i];
		p->output[i].qualifier = s->table;
		p->output[i].type = s->types[i];
		p->output[i].id = an_new_id(c);
		p->output[i].nullable = true;
	}
	s->partitions_total = t->npartitions;
	s->partitions_selected = t->npartitions;
	s->bytes_selected = t->bytes;
	s->rows_selected = t->rows;
	p->scan = s;
	al->alias = alias ? alias : s->table;
	al->child[0] = p;
	sql_plan_compute_output(c->a, al);
	return al;
}

static an_cte *an_cte_find(an_ctx *c, const char *name)
{
	for (an_cte *x = c->ctes; x; x = x->next)
		if (strcasecmp(x->name, name) == 0)
			return x;
	return NULL;
}

/* ---- plan copies (a CTE is analyzed afresh at each reference) ------------------------------ */

static sql_plan *an_copy_plan(an_ctx *c, const sql_plan *p);

/* sql_expr_copy shares subquery plans: each copy gets its own here. */
static void an_copy_subqueries(an_ctx *c, sql_expr *e)
{
	if (e == NULL)
		return;
	if (e->subquery)
		e->subquery = an_copy_plan(c, e->subquery);
	for (uint32_t i = 0; i < e->nargs; i++)
		an_copy_subqueries(c, e->args[i]);
}

static sql_expr *an_copy_expr(an_ctx *c, const sql_expr *e)
{
	sql_expr *x = sql_expr_copy(c->a, e);

	an_copy_subqueries(c, x);
	return x;
}

static sql_expr **an_copy_exprs(an_ctx *c, sql_expr *const *v, uint32_t n)
{
	sql_expr **out;

	if (v == NULL)
		return NULL;
	out = sql_arena_alloc(c->a, (n + 1) * sizeof *out);
	for (uint32_t i = 0; i < n; i++)
		out[i] = v[i] ? an_copy_expr(c, v[i]) : NULL;
	return out;
}

static sql_plan *an_copy_plan(an_ctx *c, const sql_plan *p)
{
	sql_plan *q;

	if (p == NULL)
		return NULL;
	q = sql_arena_alloc(c->a, sizeof *q);
	*q = *p;
	q->child[0] = an_copy_plan(c, p->child[0]);
	q->child[1] = an_copy_plan(c, p->child[1]);
	q->cond = p->cond ? an_copy_expr(c, p->cond) : NULL;
	q->exprs = an_copy_exprs(c, p->exprs, p->nexprs);
	q->groups = an_copy_exprs(c, p->groups, p->ngroups);
	if (p->sort) {
		q->sort = sql_arena_alloc(c->a, (p->nsort + 1) * sizeof *q->sort);
		for (uint32_t i = 0; i < p->nsort; i++) {
			q->sort[i] = p->sort[i];
			q->sort[i].expr = an_copy_expr(c, p->sort[i].expr);
		}
	}
	if (p->rows) {
		q->rows = sql_arena_alloc(c->a, (p->nrows + 1) * sizeof *q->rows);
		for (uint32_t i = 0; i < p->nrows; i++)
			q->rows[i] = an_copy_exprs(c, p->rows[i], p->ncols);
	}
	if (p->ctes) {
		q->ctes = sql_arena_alloc(c->a, (p->nctes + 1) * sizeof *q->ctes);
		for (uint32_t i = 0; i < p->nctes; i++)
			q->ctes[i] = an_copy_plan(c, p->ctes[i]);
	}
	return q;
}

/* ---- column aliases and views -------------------------------------------------------------- */

/* ALIAS node P names its child's columns (P->alias_columns): a PROJECT of
 * new attributes goes between, as Spark's UnresolvedSubqueryColumnAliases
 * becomes, so the names outlive the aliases the optimizer removes. */
static int an_alias_columns(an_ctx *c, sql_plan *p)
{
	sql_plan *child = p->child[0], *proj;

	if (p->nalias_columns == 0)
		return 0;
	if (p->nalias_columns != child->noutput)
		return an_fail(c, p->line, p->col, "\"%s\" names %u columns but its query has %u",
			       p->alias ? p->alias : "?", p->nalias_columns, child->noutput);
	proj = sql_plan_new(c->a, SQL_PLAN_PROJECT, p->line, p->col);
	proj->child[0] = child;
	proj->nexprs = child->noutput;
	proj->exprs = sql_arena_alloc(c->a, (child->noutput + 1) * sizeof *proj->exprs);
	for (uint32_t i = 0; i < child->noutput; i++)
		proj->exprs[i] = an_alias(c, an_column_ref(c, child->output, i, p->line, p->col),
					  p->alias_columns[i]);
	if (sql_plan_compute_output(c->a, proj))
		return an_fail(c, p->line, p->col, "cannot name the columns of \"%s\"", p->alias);
	p->child[0] = proj;
	/* Applied: a second analysis of this node must not rename again. */
	p->nalias_columns = 0;
	return 0;
}

#define AN_MAX_VIEWS 32

/* The view NAME (as written: WRITTEN), defined by TEXT and column names
 * COLS, read at LINE:COL: its query parsed and analyzed in place of the
 * name, under a SubqueryAlias ALIAS (or the view's name).  A persistent
 * view (PERSISTENT) sees no WITH query and no temporary view of the
 * statement that reads it, only tables; a temporary one no WITH query. */
static int an_view(an_ctx *c, sql_plan **slot, const char *name, const char *written,
		   const char *text, const char *const *cols, uint32_t ncols, bool persistent,
		   const char *alias, uint32_t line, uint32_t col)
{
	char *copy = sql_arena_strdup(c->a, text);
	sql_error verr = { 0 };
	sql_script sc;
	sql_plan *al;
	an_cte *saved = c->ctes;
	bool saved_temp = c->no_temp_views;
	int rc;

	if (c->views >= AN_MAX_VIEWS) {
		c->view_loop = true;
		return an_fail(c, line, col, "views nested more than %d deep in \"%s\" "
			       "(does a view read itself?)", AN_MAX_VIEWS, written);
	}
	rc = sql_parse(c->a, copy, strlen(copy), &sc, &verr);
	if (rc == 0 && (sc.nstmts != 1 || sc.stmts[0]->kind != SQL_STMT_SELECT))
		sql_error_set(&verr, 1, 1, "not one query");
	if (rc || sc.nstmts != 1 || sc.stmts[0]->kind != SQL_STMT_SELECT) {
		char why[sizeof verr.message + 64];

		sql_error_format(&verr, why, sizeof why);
		return an_fail(c, line, col, "view \"%s\" cannot be read: %s", written, why);
	}
	al = sql_plan_new(c->a, SQL_PLAN_ALIAS, line, col);
	/* NAME may be the caller's (a store_view it clears): the arena's copy. */
	al->alias = sql_arena_strdup(c->a, alias ? alias : name);
	al->child[0] = sc.stmts[0]->query;
	if (ncols) {
		al->alias_columns = sql_arena_alloc(c->a, ncols * sizeof *al->alias_columns);
		for (uint32_t i = 0; i < ncols; i++)
			al->alias_columns[i] = sql_arena_strdup(c->a, cols[i]);
		al->nalias_columns = ncols;
	}
	c->ctes = NULL;
	c->no_temp_views = saved_temp || persistent;
	c->views++;
	rc = an_plan(c, &al);
	c->views--;
	c->ctes = saved;
	c->no_temp_views = saved_temp;
	if (rc) {
		/* The place is the view's name; what went wrong, inside it. */
		char why[sizeof c->err->message];

		sql_error_format(c->err, why, sizeof why);
		if (c->view_loop) {
			c->err->line = line;
			c->err->col = col;
		} else {
			sql_error_set(c->err, line, col, "in view \"%.*s\": %.*s", 200, written,
				      (int)(sizeof why - 220), why);
		}
		return rc;
	}
	*slot = al;
	return 0;
}

/* The persistent view PLATFORM.DB.NAME into *V (store_view_clear() it):
 * 0, or -ENOENT when there is none or the caller may not see its database
 * (the name is then resolved as a table). */
static int an_view_get(an_ctx *c, unsigned platform, const char *db, const char *name,
		       store_view *v)
{
	store_txn *txn = NULL;
	int rc;

	memset(v, 0, sizeof *v);
	if (!store_name_valid(db, NULL) || !store_name_valid(name, NULL))
		return -ENOENT;
	rc = store_read_begin(c->cat->platforms[platform].store, &txn);
	if (rc)
		return -ENOENT;   /* an_table_get reports the metastore */
	rc = store_view_get(txn, db, name, v);
	store_commit(txn);
	if (rc == 0 && an_access(c, platform, db, NULL, 0, 0, 0) != 0) {
		store_view_clear(v);
		rc = -ENOENT;
	}
	return rc == 0 ? 0 : -ENOENT;
}

/* Resolve a relation name: a CTE (single name) or a table. */
static int an_relation(an_ctx *c, sql_plan **slot, const char *alias)
{
	sql_plan *p = *slot;
	store_table t;
	unsigned platform = 0;
	const char *db = NULL, *table = NULL;
	const char *written = an_joined_name(c, p->names, p->nnames);
	int rc;

	if (p->nnames == 1) {
		an_cte *x = an_cte_find(c, p->names[0]);
		an_cte *saved = c->ctes;
		sql_plan *body, *al;

		if (x == NULL) {
			const char *text, *const *cols;
			uint32_t ncols;

			if (sql_temp_view_get(c->cat->temp_views, p->names[0], &text, &cols,
					      &ncols) == 0) {
				if (c->no_temp_views)
					return an_fail(c, p->line, p->col, "a persistent view cannot "
						       "read temporary view \"%s\"", written);
				return an_view(c, slot, p->names[0], written, text, cols, ncols,
					       false, alias, p->line, p->col);
			}
			return an_fail(c, p->line, p->col, "unknown table \"%s\"", written);
		}
		body = an_copy_plan(c, x->def);
		c->ctes = x->scope;
		rc = an_plan(c, &body);
		c->ctes = saved;
		if (rc)
			return rc;
		/* The parser already names a CTE's body with a SubqueryAlias;
		 * a reference's own alias renames it. */
		if (body->kind == SQL_PLAN_ALIAS) {
			al = body;
			al->alias = alias ? alias : al->alias;
		} else {
			al = sql_plan_new(c->a, SQL_PLAN_ALIAS, p->line, p->col);
			al->alias = alias ? alias : x->name;
			al->child[0] = body;
		}
		sql_plan_compute_output(c->a, al);
		*slot = al;
		return 0;
	}
	rc = an_table_name(c, p->names, p->nnames, p->line, p->col, &platform, &db, &table);
	if (rc)
		return rc;
	{
		store_view v;

		if (an_view_get(c, platform, db, table, &v) == 0) {
			rc = an_view(c, slot, v.name, written, v.text,
				     (const char *const *)v.columns, v.ncolumns, true, alias, p->line,
				     p->col);
			store_view_clear(&v);
			return rc;
		}
	}
	rc = an_table_get(c, platform, db, table, SQL_PRIV_SELECT, written, p->line, p->col, &t);
	if (rc)
		return rc;
	/* The catalog may resolve the name to another table (a first-platform
	 * table read by a second-platform statement: its mirror). */
	if (c->cat->scan_source) {
		sql_scan_source src = {0};

		rc = c->cat->scan_source(c->cat->scan_source_ctx, c->cat, platform, &t, &src, c->err);
		if (src.release)
			src.release(src.open_ctx);
		if (rc == 0 && src.redirect && src.platform < c->cat->nplatforms) {
			store_table_clear(&t);
			platform = src.platform;
			rc = an_table_get(c, platform, src.db, src.table, AN_UNCHECKED, written,
					  p->line, p->col, &t);
			if (rc)
				return rc;
		}
		if (rc) {
			c->err->line = p->line;
			c->err->col = p->col;
			store_table_clear(&t);
			return rc;
		}
	}
	*slot = an_scan_node(c, platform, &t, alias, p->line, p->col);
	store_table_clear(&t);
	return 0;
}

/* ---- select lists ----------------------------------------------------------------------- */

/* Expand * and q.* in P's exprs against its input. */
static int an_expand_stars(an_ctx *c, sql_plan *p, const sql_attr *in, uint32_t nin)
{
	sql_expr **out = NULL;
	uint32_t n = 0, cap = 0;

	for (uint32_t i = 0; i < p->nexprs; i++) {
		sql_expr *e = p->exprs[i];
		uint32_t before = n;

		if (e->kind != SQL_EXPR_STAR) {
			out = sql_array_push(c->a, out, &n, &cap, sizeof *out);
			out[n - 1] = e;
			continue;
		}
		for (uint32_t k = 0; k < nin; k++) {
			if (e->qualifier && (in[k].qualifier == NULL ||
					     strcasecmp(in[k].qualifier, e->qualifier) != 0))
				continue;
			out = sql_array_push(c->a, out, &n, &cap, sizeof *out);
			out[n - 1] = an_column_ref(c, in, k, e->line, e->col);
		}
		if (e->qualifier && n == before)
			return an_fail(c, e->line, e->col, "unknown table \"%s\" in %s.*", e->qualifier,
				       e->qualifier);
	}
	p->exprs = out;
	p->nexprs = n;
	return 0;
}

/* The names Spark gives unnamed select-list expressions: their text as
 * written, before implicit casts are added (count(1), (qty + amount)). */
static const char **an_pre_names(an_ctx *c, const sql_plan *p)
{
	const char **names = sql_arena_alloc(c->a, (p->nexprs + 1) * sizeof *names);

	for (uint32_t i = 0; i < p->nexprs; i++) {
		const sql_expr *e = p->exprs[i];
		textbuf tb = TEXTBUF_INIT;
		char *s, *w;

		if (e->kind == SQL_EXPR_COLUMN || e->kind == SQL_EXPR_ALIAS || e->resolved)
			continue;
		sql_expr_print(e, false, &tb);
		s = sql_arena_strdup(c->a, tb.data ? tb.data : "");
		textbuf_free(&tb);
		/* drop the printer's unresolved marks */
		w = s;
		for (const char *r = s; *r; r++)
			if (*r != '\'')
				*w++ = *r;
		*w = '\0';
		names[i] = s;
	}
	return names;
}

/* Give every top-level expression that is not a plain column a name. */
static void an_name_outputs(an_ctx *c, sql_plan *p, const char **names)
{
	for (uint32_t i = 0; i < p->nexprs; i++) {
		sql_expr *e = p->exprs[i];

		if (e->kind != SQL_EXPR_COLUMN && e->kind != SQL_EXPR_ALIAS)
			p->exprs[i] = an_alias(c, e, names[i] ? names[i] : an_auto_name(c, e));
	}
}


/* Every column E uses outside an aggregate must be (part of) a group. */
static int an_check_grouped(an_ctx *c, const sql_expr *e, const sql_plan *p)
{
	for (uint32_t g = 0; g < p->ngroups; g++)
		if (sql_expr_equal(e, p->groups[g]))
			return 0;
	if (e->kind == SQL_EXPR_AGG || e->kind == SQL_EXPR_LITERAL || e->outer)
		return 0;
	if (e->kind == SQL_EXPR_COLUMN)
		return an_fail(c, e->line, e->col,
			       "expression \"%s\" is neither in GROUP BY nor an aggregate", e->name);
	for (uint32_t i = 0; i < e->nargs; i++) {
		int rc = an_check_grouped(c, e->args[i], p);

		if (rc)
			return rc;
	}
	return 0;
}

/* S over the input of P (a PROJECT or an AGGREGATE), whose select list has
 * its stars expanded against that input. */
static int an_select_scope(an_ctx *c, sql_plan *p, an_scope *s)
{
	s->attrs = p->child[0]->output;
	s->n = p->child[0]->noutput;
	return an_expand_stars(c, p, s->attrs, s->n);
}

/* Resolve the select list of P in S and name its outputs.  Under an
 * AGGREGATE each expression is checked against the groups as soon as it is
 * resolved, so the first faulty expression is the one reported. */
static int an_select_list(an_ctx *c, sql_plan *p, an_scope *s)
{
	const char **names = an_pre_names(c, p);
	int rc;

	for (uint32_t i = 0; i < p->nexprs; i++) {
		rc = an_expr(c, &p->exprs[i], s);
		if (rc)
			return rc;
		if (p->kind == SQL_PLAN_AGGREGATE) {
			rc = an_check_grouped(c, p->exprs[i], p);
			if (rc)
				return rc;
		}
	}
	an_name_outputs(c, p, names);
	return sql_plan_compute_output(c->a, p);
}

static int an_project(an_ctx *c, sql_plan *p)
{
	an_scope s = { .clause = "a select list without GROUP BY" };
	int rc = an_select_scope(c, p, &s);

	return rc ? rc : an_select_list(c, p, &s);
}

static bool an_is_int_literal(const sql_expr *e)
{
	return e->kind == SQL_EXPR_LITERAL && !e->value.null && e->value.type == SQL_TYPE_BIGINT;
}

static int an_aggregate(an_ctx *c, sql_plan *p)
{
	an_scope s = { .clause = "GROUP BY" };
	int rc = an_select_scope(c, p, &s);

	if (rc)
		return rc;
	for (uint32_t g = 0; g < p->ngroups; g++) {
		sql_expr *e = p->groups[g];

		/* GROUP BY 2 names the second select-list expression. */
		if (an_is_int_literal(e)) {
			int64_t k = e->value.u.i;

			if (k < 1 || (uint64_t)k > p->nexprs)
				return an_fail(c, e->line, e->col,
					       "GROUP BY position %lld is not in the select list",
					       (long long)k);
			e = p->exprs[k - 1];
			if (e->kind == SQL_EXPR_ALIAS)
				e = e->args[0];
			if (an_contains_agg(e))
				return an_fail(c, p->groups[g]->line, p->groups[g]->col,
					       "GROUP BY position %lld is an aggregate", (long long)k);
			p->groups[g] = sql_expr_copy(c->a, e);
		} else if (e->kind == SQL_EXPR_COLUMN && e->qualifier == NULL && !e->resolved) {
			/* GROUP BY a select-list alias, when no input column has the name. */
			uint32_t ord = 0;

			if (an_find_attr(c, s.attrs, s.n, NULL, e->name, e->line, e->col, &ord) ==
			    -ENOENT) {
				for (uint32_t i = 0; i < p->nexprs; i++) {
					sql_expr *x = p->exprs[i];

					if (x->kind == SQL_EXPR_ALIAS && strcasecmp(x->name, e->name) == 0 &&
					    !an_contains_agg(x->args[0])) {
						p->groups[g] = sql_expr_copy(c->a, x->args[0]);
						break;
					}
				}
			}
		}
		rc = an_expr(c, &p->groups[g], &s);
		if (rc)
			return rc;
	}
	s.allow_agg = true;
	s.clause = "the select list";
	return an_select_list(c, p, &s);
}

/* ---- HAVING and ORDER BY over a select list --------------------------------------------------- */

/* Resolve E for a node that sits on BELOW (an AGGREGATE or PROJECT, maybe
 * under FILTERs).  Names of BELOW's output (select-list aliases) come
 * first; otherwise the expression is resolved against BELOW's input and
 * added to BELOW as a hidden output column.  On return *SLOT refers only to
 * BELOW's output (by attr id; ordinals are fixed by the caller). */
static int an_extra(an_ctx *c, sql_expr **slot, sql_plan *below, const char *clause)
{
	sql_expr *e = *slot;
	an_scope s = { .clause = clause };
	uint32_t ord = 0;
	int rc;

	if (e->resolved)
		return 0;
	an_normalize_agg(e);
	if (e->kind == SQL_EXPR_COLUMN) {
		rc = an_find_attr(c, below->output, below->noutput, e->qualifier, e->name, e->line,
				  e->col, &ord);
		if (rc == 0) {
			*slot = an_column_ref(c, below->output, ord, e->line, e->col);
			return 0;
		}
		if (rc != -ENOENT)
			return rc;
	}
	if (e->kind != SQL_EXPR_COLUMN && e->kind != SQL_EXPR_AGG) {
		if (below->kind == SQL_PLAN_AGGREGATE && !an_contains_agg(e) &&
		    !an_contains_subquery(e)) {
			/* A grouping expression repeated: match it whole first. */
			sql_expr *copy = sql_expr_copy(c->a, e);

			s.attrs = below->child[0]->output;
			s.n = below->child[0]->noutput;
			if (an_expr(c, &copy, &s) == 0) {
				for (uint32_t i = 0; i < below->nexprs; i++) {
					if (sql_expr_equal(below->exprs[i], copy)) {
						*slot = an_column_ref(c, below->output, i, e->line, e->col);
						return 0;
					}
				}
			}
		}
		for (uint32_t i = 0; i < e->nargs; i++) {
			rc = an_extra(c, &e->args[i], below, clause);
			if (rc)
				return rc;
		}
		/* The arguments now refer to BELOW's output: type this node there. */
		s.attrs = below->output;
		s.n = below->noutput;
		return an_expr(c, slot, &s);
	}
	/* A column BELOW does not show, or an aggregate: resolve it on BELOW's input. */
	s.attrs = below->child[0]->output;
	s.n = below->child[0]->noutput;
	s.allow_agg = below->kind == SQL_PLAN_AGGREGATE;
	rc = an_expr(c, &e, &s);
	if (rc)
		return rc;
	if (below->kind == SQL_PLAN_AGGREGATE) {
		rc = an_check_grouped(c, e, below);
		if (rc)
			return rc;
	}
	for (uint32_t i = 0; i < below->nexprs; i++) {
		if (sql_expr_equal(below->exprs[i], e)) {
			*slot = an_column_ref(c, below->output, i, e->line, e->col);
			return 0;
		}
	}
	if (below->child[0]->kind == SQL_PLAN_DISTINCT || below->kind == SQL_PLAN_DISTINCT)
		return an_fail(c, e->line, e->col, "\"%s\" must be in the select list of a DISTINCT",
			       an_auto_name(c, e));
	{
		uint32_t n = below->nexprs, cap = n;

		below->exprs = sql_array_push(c->a, below->exprs, &n, &cap, sizeof *below->exprs);
		below->exprs[n - 1] = e->kind == SQL_EXPR_COLUMN ? e : an_alias(c, e, an_auto_name(c, e));
		below->nexprs = n;
	}
	rc = sql_plan_compute_output(c->a, below);
	if (rc)
		return rc;
	*slot = an_column_ref(c, below->output, below->noutput - 1, e->line, e->col);
	return 0;
}

/* Fix ordinals of E against ATTRS by attr id. */
static void an_fix_ordinals(sql_expr *e, const sql_attr *attrs, uint32_t n)
{
	if (e == NULL)
		return;
	if (e->kind == SQL_EXPR_COLUMN) {
		for (uint32_t i = 0; i < n; i++) {
			if (attrs[i].id == e->attr_id) {
				e->ordinal = (int32_t)i;
				break;
			}
		}
		return;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		an_fix_ordinals(e->args[i], attrs, n);
}

/* ORDER BY 2 names the second select-list column, as in Spark, whatever
 * the query's shape: *SLOT (an integer literal) becomes a reference to
 * that column of LIST's output (the select list, a DISTINCT or a UNION),
 * of which the first VISIBLE columns are the select list's. */
static int an_order_position(an_ctx *c, sql_expr **slot, const sql_plan *list, uint32_t visible)
{
	const sql_expr *e = *slot;
	int64_t k = e->value.u.i;

	if (k < 1 || (uint64_t)k > visible)
		return an_fail(c, e->line, e->col, "ORDER BY position %lld is not in the select list",
			       (long long)k);
	*slot = an_column_ref(c, list->output, (uint32_t)(k - 1), e->line, e->col);
	return 0;
}

/* P (FILTER or SORT) sits on a select list: resolve its expressions there.
 * Hidden columns added below are dropped again by a PROJECT on top. */
static int an_over_select(an_ctx *c, sql_plan **slot, sql_plan *below, const char *clause)
{
	sql_plan *p = *slot;
	uint32_t visible = below->noutput;
	int rc;

	if (p->kind == SQL_PLAN_FILTER) {
		rc = an_extra(c, &p->cond, below, clause);
		if (rc == 0)
			rc = an_need_boolean(c, &p->cond, "HAVING");
	} else {
		rc = 0;
		for (uint32_t i = 0; i < p->nsort && rc == 0; i++) {
			sql_expr *e = p->sort[i].expr;

			if (an_is_int_literal(e)) {
				rc = an_order_position(c, &p->sort[i].expr, below, visible);
				continue;
			}
			rc = an_extra(c, &p->sort[i].expr, below, clause);
		}
	}
	if (rc)
		return rc;
	/* Outputs of the nodes between P and BELOW follow BELOW's. */
	for (sql_plan *x = p->child[0]; x != below; x = x->child[0])
		sql_plan_compute_output(c->a, x);
	sql_plan_compute_output(c->a, p);
	if (p->kind == SQL_PLAN_FILTER) {
		an_fix_ordinals(p->cond, p->child[0]->output, p->child[0]->noutput);
	} else {
		for (uint32_t i = 0; i < p->nsort; i++)
			an_fix_ordinals(p->sort[i].expr, p->child[0]->output, p->child[0]->noutput);
	}
	if (below->noutput > visible) {
		sql_plan *top = sql_plan_new(c->a, SQL_PLAN_PROJECT, p->line, p->col);

		top->child[0] = p;
		top->exprs = sql_arena_alloc(c->a, (visible + 1) * sizeof *top->exprs);
		for (uint32_t i = 0; i < visible; i++)
			top->exprs[i] = an_column_ref(c, p->output, i, p->line, p->col);
		top->nexprs = visible;
		sql_plan_compute_output(c->a, top);
		*slot = top;
	}
	return 0;
}

/* The select-list node under P: an AGGREGATE or PROJECT, through FILTERs. */
static sql_plan *an_select_below(sql_plan *p)
{
	sql_plan *x = p->child[0];

	while (x && x->kind == SQL_PLAN_FILTER)
		x = x->child[0];
	if (x && (x->kind == SQL_PLAN_AGGREGATE || x->kind == SQL_PLAN_PROJECT))
		return x;
	return NULL;
}

/* ---- joins -------------------------------------------------------------------------------------- */

/* Which side of the join E's columns come from: bit 1 left, bit 2 right. */
static unsigned an_sides(const sql_expr *e, uint32_t nleft)
{
	unsigned m = 0;

	if (e->kind == SQL_EXPR_COLUMN)
		return e->ordinal < (int32_t)nleft ? 1u : 2u;
	for (uint32_t i = 0; i < e->nargs; i++)
		m |= an_sides(e->args[i], nleft);
	return m;
}

static void an_shift_ordinals(sql_expr *e, int32_t by)
{
	if (e->kind == SQL_EXPR_COLUMN) {
		e->ordinal += by;
		return;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		an_shift_ordinals(e->args[i], by);
}

static int an_join(an_ctx *c, sql_plan *p)
{
	an_scope s = { .clause = "a join condition" };
	sql_expr **conj, *residual = NULL;
	uint32_t nconj, nleft = p->child[0]->noutput, cap = 0, rcap = 0;
	int rc;

	p->lkeys = p->rkeys = NULL;
	p->nkeys = 0;
	/* CROSS JOIN and FROM a, b: no condition.  The optimizer may still
	 * find keys for it in the WHERE clause. */
	if (p->cond == NULL)
		return sql_plan_compute_output(c->a, p);
	s.attrs = an_input(c->a, p, &s.n);
	rc = an_expr(c, &p->cond, &s);
	if (rc)
		return rc;
	rc = an_need_boolean(c, &p->cond, "ON");
	if (rc)
		return rc;
	sql_expr_conjuncts(c->a, p->cond, &conj, &nconj);
	for (uint32_t i = 0; i < nconj; i++) {
		sql_expr *e = conj[i];

		if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_EQ) {
			unsigned l = an_sides(e->args[0], nleft), r = an_sides(e->args[1], nleft);
			sql_expr *lk = NULL, *rk = NULL;

			if (l == 1 && r == 2) {
				lk = e->args[0];
				rk = e->args[1];
			} else if (l == 2 && r == 1) {
				lk = e->args[1];
				rk = e->args[0];
			}
			if (lk) {
				uint32_t n = p->nkeys;

				an_shift_ordinals(rk, -(int32_t)nleft);
				p->lkeys = sql_array_push(c->a, p->lkeys, &n, &cap, sizeof *p->lkeys);
				n = p->nkeys;
				p->rkeys = sql_array_push(c->a, p->rkeys, &n, &rcap, sizeof *p->rkeys);
				p->lkeys[n - 1] = lk;
				p->rkeys[n - 1] = rk;
				p->nkeys = n;
				continue;
			}
		}
		residual = sql_expr_and(c->a, residual, e);
	}
	/* Without an equality between the sides the join compares every
	 * pair of rows (a nested loop): allowed, as Spark allows it. */
	p->cond = residual;
	return sql_plan_compute_output(c->a, p);
}

/* ---- set operations and constant rows -------------------------------------------------------------- */

/* Wrap *SLOT in a PROJECT that casts its columns to TYPES where they differ. */
static void an_cast_columns(an_ctx *c, sql_plan **slot, const sql_type *types)
{
	sql_plan *p = *slot, *top;
	bool need = false;

	for (uint32_t i = 0; i < p->noutput; i++)
		need |= p->output[i].type != types[i];
	if (!need)
		return;
	top = sql_plan_new(c->a, SQL_PLAN_PROJECT, p->line, p->col);
	top->child[0] = p;
	top->nexprs = p->noutput;
	top->exprs = sql_arena_alloc(c->a, (p->noutput + 1) * sizeof *top->exprs);
	for (uint32_t i = 0; i < p->noutput; i++) {
		sql_expr *e = an_column_ref(c, p->output, i, p->line, p->col);

		if (e->type != types[i]) {
			an_coerce(c, &e, types[i]);
			e = an_alias(c, e, p->output[i].name);
		}
		top->exprs[i] = e;
	}
	sql_plan_compute_output(c->a, top);
	*slot = top;
}

static int an_union(an_ctx *c, sql_plan *p)
{
	sql_plan *l = p->child[0], *r = p->child[1];
	sql_type *types;

	if (l->noutput != r->noutput)
		return an_fail(c, p->line, p->col,
			       "UNION ALL needs the same number of columns on both sides, not %u and %u",
			       l->noutput, r->noutput);
	types = sql_arena_alloc(c->a, (l->noutput + 1) * sizeof *types);
	for (uint32_t i = 0; i < l->noutput; i++)
		if (sql_type_common(l->output[i].type, r->output[i].type, &types[i]) != 0)
			return an_fail(c, p->line, p->col,
				       "UNION ALL column %u is %s on one side and %s on the other", i + 1,
				       sql_type_name(l->output[i].type), sql_type_name(r->output[i].type));
	an_cast_columns(c, &p->child[0], types);
	an_cast_columns(c, &p->child[1], types);
	return sql_plan_compute_output(c->a, p);
}

static int an_values(an_ctx *c, sql_plan *p)
{
	an_scope s = { .clause = "VALUES" };
	uint32_t ncols = p->ncols;
	int rc;

	for (uint32_t r = 0; r < p->nrows; r++) {
		for (uint32_t k = 0; k < ncols; k++) {
			rc = an_expr(c, &p->rows[r][k], &s);
			if (rc)
				return rc;
		}
	}
	p->output = sql_arena_alloc(c->a, (ncols + 1) * sizeof *p->output);
	p->noutput = ncols;
	for (uint32_t k = 0; k < ncols; k++) {
		sql_type t = SQL_TYPE_NULL;
		bool dec = false;

		for (uint32_t r = 0; r < p->nrows; r++)
			dec |= sql_type_is_decimal(p->rows[r][k]->type);
		for (uint32_t r = 0; r < p->nrows; r++) {
			sql_expr *e = p->rows[r][k];

			if (sql_type_common(t, an_wider_operand(e, dec), &t) != 0)
				return an_fail(c, e->line, e->col,
					       "VALUES column %u mixes %s and %s", k + 1,
					       sql_type_name(p->rows[0][k]->type), sql_type_name(e->type));
		}
		for (uint32_t r = 0; r < p->nrows; r++)
			an_coerce(c, &p->rows[r][k], t);
		p->output[k].name = sql_arena_printf(c->a, "col%u", k + 1);
		p->output[k].type = t;
		p->output[k].id = an_new_id(c);
		p->output[k].nullable = true;
	}
	return 0;
}

/* ---- plans ------------------------------------------------------------------------------------------ */

static int an_with(an_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot;
	an_cte *saved = c->ctes;
	int rc = 0;

	for (uint32_t i = 0; i < p->nctes; i++) {
		an_cte *x = sql_arena_alloc(c->a, sizeof *x);
		sql_plan *check = an_copy_plan(c, p->ctes[i]);
		uint32_t ids = c->next_id;

		/* Analyze each definition once so an unused CTE still reports its
		 * errors; the copy is dropped, so its ids may be handed out again. */
		rc = an_plan(c, &check);
		if (rc)
			goto out;
		c->next_id = ids;
		x->name = p->cte_names[i];
		x->def = p->ctes[i];
		x->scope = c->ctes;
		x->next = c->ctes;
		c->ctes = x;
	}
	rc = an_plan(c, &p->child[0]);
	if (rc == 0)
		*slot = p->child[0];
out:
	c->ctes = saved;
	return rc;
}

static int an_plan(an_ctx *c, sql_plan **slot)
{
	sql_plan *p = *slot, *below;
	an_scope s = { 0 };
	int rc = 0;

	if (++c->depth > AN_MAX_DEPTH) {
		rc = an_fail(c, p->line, p->col, "query nested too deeply");
		goto out;
	}
	switch (p->kind) {
	case SQL_PLAN_UNRESOLVED_RELATION:
		rc = an_relation(c, slot, p->alias);
		goto out;
	case SQL_PLAN_CTE_REF:
		p->nnames = 1;
		rc = an_relation(c, slot, p->alias);
		goto out;
	case SQL_PLAN_WITH:
		rc = an_with(c, slot);
		goto out;
	case SQL_PLAN_ALIAS:
		if (p->child[0]->kind == SQL_PLAN_UNRESOLVED_RELATION ||
		    p->child[0]->kind == SQL_PLAN_CTE_REF) {
			/* t AS x: one SubqueryAlias named x, not two. */
			if (p->child[0]->kind == SQL_PLAN_CTE_REF)
				p->child[0]->nnames = 1;
			rc = an_relation(c, &p->child[0], p->alias);
			if (rc == 0 && p->nalias_columns) {
				/* t AS x (a, b): the relation's alias names its columns. */
				sql_plan *r = p->child[0];

				r->alias_columns = p->alias_columns;
				r->nalias_columns = p->nalias_columns;
				rc = an_alias_columns(c, r);
				if (rc == 0)
					rc = sql_plan_compute_output(c->a, r);
			}
			if (rc == 0)
				*slot = p->child[0];
			goto out;
		}
		break;
	case SQL_PLAN_SCAN:
		goto out;            /* already resolved (a re-analysis) */
	default:
		break;
	}
	for (int i = 0; i < 2; i++) {
		if (p->child[i]) {
			rc = an_plan(c, &p->child[i]);
			if (rc)
				goto out;
		}
	}
	switch (p->kind) {
	case SQL_PLAN_FILTER:
		if (an_contains_agg(p->cond)) {
			below = an_select_below(p);
			if (below == NULL || below->kind != SQL_PLAN_AGGREGATE) {
				s.clause = "WHERE";
				s.attrs = p->child[0]->output;
				s.n = p->child[0]->noutput;
				rc = an_expr(c, &p->cond, &s);   /* reports the aggregate */
				break;
			}
			rc = an_over_select(c, slot, below, "HAVING");
			break;
		}
		below = p->child[0]->kind == SQL_PLAN_AGGREGATE ? p->child[0] : NULL;
		if (below) {
			rc = an_over_select(c, slot, below, "HAVING");
			break;
		}
		s.clause = "WHERE";
		s.attrs = p->child[0]->output;
		s.n = p->child[0]->noutput;
		rc = an_expr(c, &p->cond, &s);
		if (rc == 0)
			rc = an_need_boolean(c, &p->cond, "WHERE");
		if (rc == 0)
			rc = sql_plan_compute_output(c->a, p);
		break;
	case SQL_PLAN_PROJECT:
		for (uint32_t i = 0; i < p->nexprs; i++) {
			if (an_contains_agg(p->exprs[i])) {
				/* SELECT count(*) FROM t: an aggregate without groups. */
				p->kind = SQL_PLAN_AGGREGATE;
				break;
			}
		}
		rc = p->kind == SQL_PLAN_AGGREGATE ? an_aggregate(c, p) : an_project(c, p);
		break;
	case SQL_PLAN_AGGREGATE:
		rc = an_aggregate(c, p);
		break;
	case SQL_PLAN_JOIN:
		rc = an_join(c, p);
		break;
	case SQL_PLAN_SORT:
		below = an_select_below(p);
		if (below) {
			rc = an_over_select(c, slot, below, "ORDER BY");
			break;
		}
		/* Over DISTINCT or UNION: the child's output is the select list. */
		s.clause = "ORDER BY";
		s.attrs = p->child[0]->output;
		s.n = p->child[0]->noutput;
		for (uint32_t i = 0; i < p->nsort && rc == 0; i++) {
			sql_expr **e = &p->sort[i].expr;

			if (an_is_int_literal(*e))
				rc = an_order_position(c, e, p->child[0], p->child[0]->noutput);
			else
				rc = an_expr(c, e, &s);
		}
		if (rc == 0)
			rc = sql_plan_compute_output(c->a, p);
		break;
	case SQL_PLAN_LIMIT:
		if (p->limit < 0)
			rc = an_fail(c, p->line, p->col, "LIMIT must not be negative");
		else
			rc = sql_plan_compute_output(c->a, p);
		break;
	case SQL_PLAN_ALIAS:
		rc = an_alias_columns(c, p);
		if (rc == 0)
			rc = sql_plan_compute_output(c->a, p);
		break;
	case SQL_PLAN_DISTINCT:
		rc = sql_plan_compute_output(c->a, p);
		break;
	case SQL_PLAN_UNION:
		rc = an_union(c, p);
		break;
	case SQL_PLAN_VALUES:
		rc = an_values(c, p);
		break;
	case SQL_PLAN_ONE_ROW:
		p->output = NULL;
		p->noutput = 0;
		break;
	default:
		rc = an_fail(c, p->line, p->col, "unexpected plan node %d", (int)p->kind);
		break;
	}
out:
	c->depth--;
	return rc;
}

/* ---- statements ------------------------------------------------------------------------------------ */

static int an_target(an_ctx *c, const sql_stmt *st, unsigned *platform, const char **db,
		     const char **table)
{
	if (st->ntarget == 1)
		return an_fail(c, st->line, st->col, "table name \"%s\" needs a database (db.table)",
			       st->target[0]);
	return an_table_name(c, st->target, st->ntarget, st->line, st->col, platform, db, table);
}

/* The target table of ST, which the caller needs PRIVS on. */
static int an_target_table(an_ctx *c, const sql_stmt *st, unsigned privs, unsigned *platform,
			   store_table *t)
{
	const char *db = NULL, *table = NULL;
	int rc = an_target(c, st, platform, &db, &table);

	if (rc)
		return rc;
	return an_table_get(c, *platform, db, table, privs,
			    an_joined_name(c, st->target, st->ntarget), st->line, st->col, t);
}

/* Whether the target of CREATE TABLE [AS] or DROP TABLE exists: 0 and
 * *EXISTS, or an error (unknown database).  CREATE needs CREATE on the
 * database, DROP ADMIN on the table; a database or a table the caller may
 * not see is answered as missing. */
static int an_table_exists(an_ctx *c, const sql_stmt *st, bool *exists)
{
	bool drop = st->kind == SQL_STMT_DROP_TABLE;
	const char *db = NULL, *table = NULL;
	unsigned platform = 0;
	store_txn *txn = NULL;
	store_table t;
	store_database d;
	int rc = an_target(c, st, &platform, &db, &table);

	if (rc)
		return rc;
	rc = store_read_begin(c->cat->platforms[platform].store, &txn);
	if (rc) {
		sql_error_set(c->err, st->line, st->col, "cannot read the metastore: %s",
			      store_strerror(rc));
		return rc;
	}
	rc = store_database_get(txn, db, &d);
	if (rc == 0)
		rc = an_access(c, platform, d.name, NULL, drop ? 0 : SQL_PRIV_CREATE, st->line,
			       st->col);
	if (rc == -EACCES) {
		store_commit(txn);
		return rc;
	}
	if (rc != 0) {
		store_commit(txn);
		return an_fail(c, st->line, st->col, "unknown database \"%s\"", db);
	}
	rc = store_table_get(txn, db, table, &t);
	store_commit(txn);
	if (rc == 0 && drop) {
		rc = an_access(c, platform, t.db, t.name, SQL_PRIV_ADMIN, st->line, st->col);
		if (rc)
			store_table_clear(&t);
		if (rc == -EACCES)
			return rc;
	}
	*exists = rc == 0;
	if (rc == 0)
		store_table_clear(&t);
	return rc == 0 || rc == -ENOENT ? 0 : an_fail(c, st->line, st->col,
						     "cannot read table \"%s.%s\": %s", db, table,
						     store_strerror(rc));
}

static int an_pspec_keys(an_ctx *c, const store_table *t, const sql_pspec *ps, bool need_all,
			 bool need_values)
{
	for (uint32_t i = 0; i < ps->nitems; i++) {
		const sql_pspec_item *it = &ps->items[i];
		bool found = false;

		for (uint32_t k = 0; k < t->npartkeys; k++)
			found |= strcasecmp(t->columns[t->ncolumns + k].name, it->key) == 0;
		if (!found)
			return an_fail(c, it->line, it->col, "\"%s\" is not a partition column of %s.%s",
				       it->key, t->db, t->name);
		for (uint32_t j = 0; j < i; j++)
			if (strcasecmp(ps->items[j].key, it->key) == 0)
				return an_fail(c, it->line, it->col, "partition column \"%s\" given twice",
					       it->key);
		if (need_values && it->value == NULL)
			return an_fail(c, it->line, it->col, "partition column \"%s\" needs a value",
				       it->key);
		if (it->value && (it->value->kind != SQL_EXPR_LITERAL || it->value->value.null))
			return an_fail(c, it->value->line, it->value->col,
				       "the value of partition column \"%s\" must be a literal", it->key);
	}
	if (need_all && ps->nitems != t->npartkeys)
		return an_fail(c, ps->nitems ? ps->items[0].line : 0, ps->nitems ? ps->items[0].col : 0,
			       "a partition of %s.%s needs all %u partition columns", t->db, t->name,
			       t->npartkeys);
	return 0;
}

/* May a value of type FROM be written into a column of type TO?  Spark's
 * store assignment: numbers into numbers, anything into a string, dates and
 * timestamps into each other. */
static bool an_assignable(sql_type from, sql_type to)
{
	if (from == to || from == SQL_TYPE_NULL || to == SQL_TYPE_STRING)
		return true;
	if (an_is_numeric(from) && an_is_numeric(to))
		return true;
	return (from == SQL_TYPE_DATE || from == SQL_TYPE_TIMESTAMP) &&
	       (to == SQL_TYPE_DATE || to == SQL_TYPE_TIMESTAMP);
}

static int an_insert(an_ctx *c, sql_stmt *st)
{
	store_table t;
	unsigned platform = 0;
	const sql_pspec *ps = st->npspecs ? &st->pspecs[0] : NULL;
	uint32_t want[STORE_MAX_COLUMNS + STORE_MAX_PARTKEYS], nwant = 0;
	sql_plan *q, *top;
	bool need = false, seen_dynamic = false;
	int rc;

	if (st->npspecs > 1)
		return an_fail(c, st->pspecs[1].items[0].line, st->pspecs[1].items[0].col,
			       "INSERT takes one PARTITION clause");
	rc = an_target_table(c, st, SQL_PRIV_MODIFY, &platform, &t);
	if (rc)
		return rc;
	if (ps && ps->nitems && t.npartkeys == 0) {
		rc = an_fail(c, ps->items[0].line, ps->items[0].col, "%s.%s is not partitioned", t.db,
			     t.name);
		goto out;
	}
	if (ps) {
		rc = an_pspec_keys(c, &t, ps, false, false);
		if (rc)
			goto out;
	}
	for (uint32_t i = 0; i < t.ncolumns; i++)
		want[nwant++] = i;
	/* Partition keys in table order: static ones take the PARTITION value,
	 * the others (dynamic, listed or not) come from the query. */
	for (uint32_t k = 0; k < t.npartkeys; k++) {
		const char *key = t.columns[t.ncolumns + k].name;
		const sql_pspec_item *item = NULL;

		for (uint32_t i = 0; ps && i < ps->nitems; i++)
			if (strcasecmp(ps->items[i].key, key) == 0)
				item = &ps->items[i];
		if (item && item->value) {
			sql_type kt = sql_type_from_store(t.columns[t.ncolumns + k].type);

			if (seen_dynamic) {
				rc = an_fail(c, item->line, item->col,
					     "static partition column \"%s\" follows a dynamic one", key);
				goto out;
			}
			if (!an_castable(item->value->value.type, kt)) {
				rc = an_fail(c, item->value->line, item->value->col,
					     "cannot use a %s value for partition column \"%s\" of type %s",
					     sql_type_name(item->value->value.type), key, sql_type_name(kt));
				goto out;
			}
			item->value->type = item->value->value.type;
			item->value->resolved = true;
			continue;
		}
		seen_dynamic = true;
		want[nwant++] = t.ncolumns + k;
	}
	rc = an_plan(c, &st->query);
	if (rc)
		goto out;
	q = st->query;
	if (q->noutput != nwant) {
		rc = an_fail(c, q->line, q->col,
			     "%s.%s needs %u columns (data columns then dynamic partition columns), "
			     "the query gives %u", t.db, t.name, nwant, q->noutput);
		goto out;
	}
	for (uint32_t i = 0; i < nwant; i++) {
		sql_type to = sql_type_from_store(t.columns[want[i]].type);

		if (!an_assignable(q->output[i].type, to)) {
			rc = an_fail(c, q->line, q->col,
				     "cannot write %s into column \"%s\" of type %s (column %u of the query)",
				     sql_type_name(q->output[i].type), t.columns[want[i]].name,
				     sql_type_name(to), i + 1);
			goto out;
		}
		need |= q->output[i].type != to;
	}
	if (need) {
		top = sql_plan_new(c->a, SQL_PLAN_PROJECT, q->line, q->col);
		top->child[0] = q;
		top->nexprs = nwant;
		top->exprs = sql_arena_alloc(c->a, (nwant + 1) * sizeof *top->exprs);
		for (uint32_t i = 0; i < nwant; i++) {
			sql_type to = sql_type_from_store(t.columns[want[i]].type);
			sql_expr *e = an_column_ref(c, q->output, i, q->line, q->col);

			if (e->type != to) {
				an_coerce(c, &e, to);
				e = an_alias(c, e, sql_arena_strdup(c->a, t.columns[want[i]].name));
			}
			top->exprs[i] = e;
		}
		sql_plan_compute_output(c->a, top);
		st->query = top;
	}
out:
	store_table_clear(&t);
	return rc;
}

static int an_check_columns(an_ctx *c, const sql_column_def *cols, uint32_t n,
			    const sql_column_def *more, uint32_t nmore)
{
	for (uint32_t i = 0; i < n + nmore; i++) {
		const sql_column_def *x = i < n ? &cols[i] : &more[i - n];
		const char *why = NULL;

		if (!store_name_valid(x->name, &why)) {
			/* Shown without its control characters: the message is
			 * one line of the job's status. */
			char shown[STORE_NAME_MAX + 4];

			store_text_shown(x->name, strlen(x->name), shown, sizeof shown);
			return an_fail(c, x->line, x->col, "bad column name \"%s\": %s", shown, why);
		}
		for (uint32_t j = 0; j < i; j++) {
			const sql_column_def *y = j < n ? &cols[j] : &more[j - n];

			if (strcasecmp(x->name, y->name) == 0)
				return an_fail(c, x->line, x->col, "column \"%s\" is defined twice",
					       x->name);
		}
	}
	return 0;
}

static int an_create_table(an_ctx *c, sql_stmt *st)
{
	bool exists = false;
	int rc = an_table_exists(c, st, &exists);

	if (rc)
		return rc;
	if (exists && !st->if_not_exists)
		return an_fail(c, st->line, st->col, "table \"%s\" already exists",
			       an_joined_name(c, st->target, st->ntarget));
	if (st->ncolumns + st->npartcols > STORE_MAX_COLUMNS)
		return an_fail(c, st->line, st->col, "too many columns");
	if (st->npartcols > STORE_MAX_PARTKEYS)
		return an_fail(c, st->line, st->col, "at most %d partition columns",
			       STORE_MAX_PARTKEYS);
	if (st->kind == SQL_STMT_CREATE_TABLE) {
		if (st->ncolumns == 0)
			return an_fail(c, st->line, st->col, "a table needs at least one data column");
		return an_check_columns(c, st->columns, st->ncolumns, st->partcols, st->npartcols);
	}
	/* CREATE TABLE AS: columns from the query, partition columns last. */
	rc = an_plan(c, &st->query);
	if (rc)
		return rc;
	sql_plan *q = st->query;
	uint32_t *part = sql_arena_alloc(c->a, (st->npartcols + 1) * sizeof *part);
	uint32_t nd = 0;

	for (uint32_t k = 0; k < st->npartcols; k++) {
		uint32_t ord = 0;

		rc = an_find_attr(c, q->output, q->noutput, NULL, st->partcols[k].name,
				  st->partcols[k].line, st->partcols[k].col, &ord);
		if (rc == -ENOENT)
			return an_fail(c, st->partcols[k].line, st->partcols[k].col,
				       "partition column \"%s\" is not a column of the query",
				       st->partcols[k].name);
		if (rc)
			return rc;
		part[k] = ord;
	}
	st->columns = sql_arena_alloc(c->a, (q->noutput + 1) * sizeof *st->columns);
	sql_plan *top = sql_plan_new(c->a, SQL_PLAN_PROJECT, q->line, q->col);

	top->child[0] = q;
	top->exprs = sql_arena_alloc(c->a, (q->noutput + 1) * sizeof *top->exprs);
	for (uint32_t i = 0; i < q->noutput; i++) {
		bool is_part = false;

		for (uint32_t k = 0; k < st->npartcols; k++)
			is_part |= part[k] == i;
		if (is_part)
			continue;
		st->columns[nd].name = q->output[i].name;
		st->columns[nd].type = q->output[i].type;
		st->columns[nd].line = q->line;
		st->columns[nd].col = q->col;
		top->exprs[nd++] = an_column_ref(c, q->output, i, q->line, q->col);
	}
	st->ncolumns = nd;
	for (uint32_t k = 0; k < st->npartcols; k++) {
		st->partcols[k].name = q->output[part[k]].name;
		st->partcols[k].type = q->output[part[k]].type;
		top->exprs[nd + k] = an_column_ref(c, q->output, part[k], q->line, q->col);
	}
	top->nexprs = nd + st->npartcols;
	for (uint32_t i = 0; i < top->nexprs; i++) {
		if (top->exprs[i]->type == SQL_TYPE_NULL)
			return an_fail(c, q->line, q->col,
				       "column \"%s\" has no type (CAST the NULL to one)",
				       top->exprs[i]->name);
	}
	if (nd == 0)
		return an_fail(c, q->line, q->col, "a table needs at least one data column");
	rc = an_check_columns(c, st->columns, st->ncolumns, st->partcols, st->npartcols);
	if (rc)
		return rc;
	sql_plan_compute_output(c->a, top);
	st->query = top;
	return 0;
}

/* Where a persistent view's name is: 0 with the database checked to exist
 * and be visible (needing PRIVS on it), and *KIND what the name is now:
 * 0 nothing, 1 a view, 2 a table. */
static int an_view_target(an_ctx *c, const sql_stmt *st, unsigned privs, unsigned *platform,
			  const char **db, const char **name, int *kind)
{
	store_txn *txn = NULL;
	store_database d;
	store_view v;
	store_table t;
	int rc;

	rc = an_table_name(c, st->target, st->ntarget, st->line, st->col, platform, db, name);
	if (rc)
		return rc;
	rc = store_read_begin(c->cat->platforms[*platform].store, &txn);
	if (rc) {
		sql_error_set(c->err, st->line, st->col, "cannot read the metastore: %s",
			      store_strerror(rc));
		return rc;
	}
	rc = store_database_get(txn, *db, &d);
	if (rc == 0)
		rc = an_access(c, *platform, d.name, NULL, privs, st->line, st->col);
	if (rc == -EACCES) {
		store_commit(txn);
		return rc;
	}
	if (rc) {
		store_commit(txn);
		return an_fail(c, st->line, st->col, "unknown database \"%s\"", *db);
	}
	*kind = 0;
	if (store_view_get(txn, *db, *name, &v) == 0) {
		*kind = 1;
		store_view_clear(&v);
	} else if (store_table_get(txn, *db, *name, &t) == 0) {
		*kind = 2;
		store_table_clear(&t);
	}
	store_commit(txn);
	return 0;
}

/* CREATE [OR REPLACE] [TEMPORARY] VIEW: the name, and the query analyzed
 * as the view will be read (under its name and column list). */
static int an_create_view(an_ctx *c, sql_stmt *st)
{
	const char *written = an_joined_name(c, st->target, st->ntarget), *db, *name;
	unsigned platform = 0;
	int kind = 0, rc;
	sql_plan *al;

	if (st->temporary) {
		if (st->ntarget != 1)
			return an_fail(c, st->line, st->col, "a temporary view's name has one part, "
				       "not \"%s\"", written);
		name = st->target[0];
		if (!store_name_valid(name, NULL))
			return an_fail(c, st->line, st->col, "bad view name \"%s\"", name);
		if (!st->or_replace && !st->if_not_exists) {
			const char *text, *const *cols;
			uint32_t n;

			if (sql_temp_view_get(c->cat->temp_views, name, &text, &cols, &n) == 0)
				return an_fail(c, st->line, st->col,
					       "temporary view \"%s\" already exists", name);
		}
	} else {
		rc = an_view_target(c, st, SQL_PRIV_CREATE, &platform, &db, &name, &kind);
		if (rc)
			return rc;
		if (kind == 2)
			return an_fail(c, st->line, st->col, "\"%s\" is a table, not a view", written);
		if (kind == 1 && !st->or_replace && !st->if_not_exists)
			return an_fail(c, st->line, st->col, "view \"%s\" already exists", written);
		c->no_temp_views = true;
	}
	for (uint32_t i = 0; i < st->ncolumns; i++)
		if (!store_name_valid(st->columns[i].name, NULL))
			return an_fail(c, st->columns[i].line, st->columns[i].col,
				       "bad column name \"%s\"", st->columns[i].name);
	al = sql_plan_new(c->a, SQL_PLAN_ALIAS, st->line, st->col);
	al->alias = name;
	al->child[0] = st->query;
	if (st->ncolumns) {
		al->alias_columns = sql_arena_alloc(c->a, st->ncolumns * sizeof *al->alias_columns);
		for (uint32_t i = 0; i < st->ncolumns; i++)
			al->alias_columns[i] = st->columns[i].name;
		al->nalias_columns = st->ncolumns;
	}
	rc = an_plan(c, &al);
	c->no_temp_views = false;
	if (rc)
		return rc;
	for (uint32_t i = 0; i < al->noutput; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcasecmp(al->output[i].name, al->output[j].name) == 0)
				return an_fail(c, st->line, st->col, "view \"%s\" has two columns "
					       "named \"%s\": name them (AS, or a column list)",
					       written, al->output[i].name);
	st->query = al;
	return 0;
}

/* DROP VIEW [IF EXISTS]: a one-part name is a temporary view. */
static int an_drop_view(an_ctx *c, const sql_stmt *st)
{
	const char *written = an_joined_name(c, st->target, st->ntarget), *db, *name;
	unsigned platform = 0;
	int kind = 0, rc;

	if (st->ntarget == 1) {
		const char *text, *const *cols;
		uint32_t n;

		if (sql_temp_view_get(c->cat->temp_views, st->target[0], &text, &cols, &n) != 0 &&
		    !st->if_exists)
			return an_fail(c, st->line, st->col, "unknown temporary view \"%s\"", written);
		return 0;
	}
	rc = an_view_target(c, st, 0, &platform, &db, &name, &kind);
	if (rc)
		return rc;
	if (kind == 2)
		return an_fail(c, st->line, st->col, "\"%s\" is a table: use DROP TABLE", written);
	if (kind == 0 && !st->if_exists)
		return an_fail(c, st->line, st->col, "unknown view \"%s\"", written);
	return 0;
}

int sql_analyze(sql_arena *a, const sql_catalog *cat, sql_stmt *stmt, sql_error *err)
{
	an_ctx c = { .a = a, .cat = cat, .err = err, .next_id = 1 };
	store_table t;
	unsigned platform = 0;
	bool exists = false;
	int rc = 0;

	/* Access control: names are resolved by the manager, which runs them. */
	if (sql_stmt_is_access(stmt))
		return 0;
	switch (stmt->kind) {
	case SQL_STMT_EXPLAIN:
		return sql_analyze(a, cat, stmt->inner, err);
	case SQL_STMT_SELECT:
		return an_plan(&c, &stmt->query);
	case SQL_STMT_INSERT:
		return an_insert(&c, stmt);
	case SQL_STMT_CREATE_TABLE:
	case SQL_STMT_CREATE_TABLE_AS:
		return an_create_table(&c, stmt);
	case SQL_STMT_CREATE_VIEW:
		return an_create_view(&c, stmt);
	case SQL_STMT_DROP_VIEW:
		return an_drop_view(&c, stmt);
	case SQL_STMT_SHOW_VIEWS: {
		/* The database must exist and be visible. */
		store_txn *txn = NULL;
		store_database d;
		const char *db = stmt->target[stmt->ntarget - 1];

		if (stmt->ntarget == 2 && an_platform(&c, stmt->target[0], &platform) == NULL)
			return an_fail(&c, stmt->line, stmt->col, "unknown platform \"%s\"",
				       stmt->target[0]);
		if (stmt->ntarget != 2)
			platform = cat->default_platform;
		if (platform >= cat->nplatforms)
			return an_fail(&c, stmt->line, stmt->col, "no platform for \"%s\"", db);
		rc = store_read_begin(cat->platforms[platform].store, &txn);
		if (rc == 0) {
			rc = store_database_get(txn, db, &d);
			store_commit(txn);
		}
		if (rc == 0)
			rc = an_access(&c, platform, db, NULL, 0, stmt->line, stmt->col);
		if (rc == -EACCES)
			return rc;
		if (rc)
			return an_fail(&c, stmt->line, stmt->col, "unknown database \"%s\"", db);
		return 0;
	}
	case SQL_STMT_DROP_TABLE:
		rc = an_table_exists(&c, stmt, &exists);
		if (rc == 0 && !exists && !stmt->if_exists)
			rc = an_fail(&c, stmt->line, stmt->col, "unknown table \"%s\"",
				     an_joined_name(&c, stmt->target, stmt->ntarget));
		return rc;
	case SQL_STMT_CREATE_DATABASE:
	case SQL_STMT_DROP_DATABASE: {
		const char *name = stmt->target[stmt->ntarget - 1], *why = NULL;

		if (stmt->ntarget == 2 && an_platform(&c, stmt->target[0], &platform) == NULL)
			return an_fail(&c, stmt->line, stmt->col, "unknown platform \"%s\"",
				       stmt->target[0]);
		if (stmt->ntarget < 1 || stmt->ntarget > 2)
			return an_fail(&c, stmt->line, stmt->col, "bad database name");
		if (!store_name_valid(name, &why))
			return an_fail(&c, stmt->line, stmt->col, "bad database name \"%s\": %s", name,
				       why);
		return 0;
	}
	case SQL_STMT_ADD_PARTITION:
	case SQL_STMT_DROP_PARTITION:
	case SQL_STMT_SET_PROPERTIES:
	case SQL_STMT_MSCK_REPAIR:
	case SQL_STMT_SHOW_PARTITIONS:
		rc = an_target_table(&c, stmt,
				     stmt->kind == SQL_STMT_SHOW_PARTITIONS ? SQL_PRIV_SELECT
									  : SQL_PRIV_MODIFY,
				     &platform, &t);
		if (rc)
			return rc;
		if (stmt->kind == SQL_STMT_SET_PROPERTIES) {
			/* Nothing to resolve: the properties are checked when it runs. */
		} else if (t.npartkeys == 0 && stmt->kind != SQL_STMT_MSCK_REPAIR) {
			rc = an_fail(&c, stmt->line, stmt->col, "%s.%s is not partitioned", t.db,
				     t.name);
		} else {
			for (uint32_t i = 0; i < stmt->npspecs && rc == 0; i++)
				rc = an_pspec_keys(&c, &t, &stmt->pspecs[i],
						   stmt->kind == SQL_STMT_ADD_PARTITION, true);
		}
		store_table_clear(&t);
		return rc;
	default:   /* the access-control statements, returned above */
		break;
	}
	return an_fail(&c, stmt->line, stmt->col, "unknown statement kind %d", (int)stmt->kind);
}
