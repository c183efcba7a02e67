/*
 * sql_stats.c - whether a scan's pushed filter can hold for any row of a
 * set of rows known only by per-column bounds: null counts, the least and
 * the greatest value.  One decision for every granularity: a Parquet row
 * group by its footer's chunk statistics (sql_read.c), a data file by the
 * statistics its metastore record holds, a partition by those of its files
 * folded (store_column_stats).  The caller says where the bounds come from
 * (sql_bounds_fn); the predicate side is here only.
 *
 * Understood: comparisons of a column (or an order-keeping cast of one)
 * with a literal, IN lists of literals, IS [NOT] NULL, BETWEEN, a boolean
 * column or NOT one, and AND / OR of them.  Anything else may hold.
 */
#include "sql_int.h"

#include <math.h>
#include <string.h>

/* Whether the value of E over a row is a column read straight from the file
 * (possibly through a cast that keeps the order of values): *COL the table
 * column, *CAST the type it is cast to (0: none). */
static bool sql_bounds_column_ref(const sql_scan *sc, const sql_expr *e, uint32_t *col,
				  sql_type *cast)
{
	*cast = SQL_TYPE_NULL;
	if (e->kind == SQL_EXPR_CAST && e->nargs == 1) {
		sql_type from = e->args[0]->type, to = e->cast_type;
		bool num_from = from == SQL_TYPE_BIGINT || sql_type_is_decimal(from);
		bool num_to = to == SQL_TYPE_DOUBLE || sql_type_is_decimal(to);
		bool ok = (num_from && num_to) || (from == SQL_TYPE_DATE && to == SQL_TYPE_TIMESTAMP);
		if (!ok)
			return false;
		*cast = to;
		e = e->args[0];
	}
	if (e->kind != SQL_EXPR_COLUMN || e->outer || e->ordinal < 0 ||
	    (uint32_t)e->ordinal >= sc->nout)
		return false;
	*col = sc->columns[e->ordinal];
	return *col < sc->ncolumns;
}

/* Three-way comparison of a bound (cast to CAST when set) with literal L;
 * false when they do not compare. */
static bool sql_bounds_compare(const sql_value *stat, sql_type cast, const sql_value *l, int *out)
{
	sql_value v = *stat;

	if (cast != SQL_TYPE_NULL) {
		if (sql_value_cast(NULL, stat, cast, &v) || v.null)
			return false;
	}
	bool vnum = v.type == SQL_TYPE_BIGINT || v.type == SQL_TYPE_DOUBLE || sql_type_is_decimal(v.type);
	bool lnum = l->type == SQL_TYPE_BIGINT || l->type == SQL_TYPE_DOUBLE || sql_type_is_decimal(l->type);
	if (v.type != l->type && !(vnum && lnum))
		return false;
	if ((v.type == SQL_TYPE_DOUBLE && isnan(v.u.d)) || (l->type == SQL_TYPE_DOUBLE && isnan(l->u.d)))
		return false;
	*out = sql_value_compare(&v, l);
	return true;
}

static sql_op sql_op_flip(sql_op op)
{
	switch (op) {
	case SQL_OP_LT: return SQL_OP_GT;
	case SQL_OP_LE: return SQL_OP_GE;
	case SQL_OP_GT: return SQL_OP_LT;
	case SQL_OP_GE: return SQL_OP_LE;
	default: return op;
	}
}

/* Whether COL OP LIT holds for no row described by B. */
static bool sql_bounds_cmp_none(const sql_bounds *b, sql_type cast, sql_op op, const sql_value *lit)
{
	int cmin = 0, cmax = 0;
	bool lo, hi;

	if (lit->null || lit->type == SQL_TYPE_NULL)
		return true;   /* a comparison with NULL is never TRUE */
	if (b->all_null)
		return true;
	/* NaN values are in no double column's min and max, and NaN is above
	 * every number: only what NaN cannot satisfy may skip. */
	if (b->is_double && (op == SQL_OP_GT || op == SQL_OP_GE || op == SQL_OP_NE))
		return false;
	lo = b->has_min && sql_bounds_compare(&b->min, cast, lit, &cmin);
	hi = b->has_max && sql_bounds_compare(&b->max, cast, lit, &cmax);
	switch (op) {
	case SQL_OP_EQ: return (lo && cmin > 0) || (hi && cmax < 0);
	case SQL_OP_NE: return lo && hi && cmin == 0 && cmax == 0;
	case SQL_OP_LT: return lo && cmin >= 0;
	case SQL_OP_LE: return lo && cmin > 0;
	case SQL_OP_GT: return hi && cmax <= 0;
	case SQL_OP_GE: return hi && cmax < 0;
	default: return false;
	}
}

bool sql_bounds_none(const sql_scan *sc, const sql_expr *e, sql_bounds_fn get, void *ctx)
{
	sql_bounds b;
	uint32_t col;
	sql_type cast;

	if (!e)
		return false;
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		return e->value.null || (e->value.type == SQL_TYPE_BOOLEAN && !e->value.u.b);
	case SQL_EXPR_COLUMN:
	case SQL_EXPR_UNARY: {
		/* A boolean column, or NOT one: col = true, col = false. */
		bool neg = e->kind == SQL_EXPR_UNARY;
		const sql_expr *c = neg ? e->args[0] : e;
		sql_value lit = {.type = SQL_TYPE_BOOLEAN, .u.b = !neg};
		if ((neg && e->op != SQL_OP_NOT) || c->type != SQL_TYPE_BOOLEAN ||
		    !sql_bounds_column_ref(sc, c, &col, &cast) || cast != SQL_TYPE_NULL)
			return false;
		return get(ctx, col, &b) && sql_bounds_cmp_none(&b, cast, SQL_OP_EQ, &lit);
	}
	case SQL_EXPR_BINARY:
		if (e->op == SQL_OP_AND)
			return sql_bounds_none(sc, e->args[0], get, ctx) ||
			       sql_bounds_none(sc, e->args[1], get, ctx);
		if (e->op == SQL_OP_OR)
			return sql_bounds_none(sc, e->args[0], get, ctx) &&
			       sql_bounds_none(sc, e->args[1], get, ctx);
		if (e->op < SQL_OP_EQ || e->op > SQL_OP_GE)
			return false;
		if (e->args[1]->kind == SQL_EXPR_LITERAL &&
		    sql_bounds_column_ref(sc, e->args[0], &col, &cast))
			return get(ctx, col, &b) &&
			       sql_bounds_cmp_none(&b, cast, e->op, &e->args[1]->value);
		if (e->args[0]->kind == SQL_EXPR_LITERAL &&
		    sql_bounds_column_ref(sc, e->args[1], &col, &cast))
			return get(ctx, col, &b) &&
			       sql_bounds_cmp_none(&b, cast, sql_op_flip(e->op), &e->args[0]->value);
		return false;
	case SQL_EXPR_IS_NULL:
		if (!sql_bounds_column_ref(sc, e->args[0], &col, &cast) || !get(ctx, col, &b))
			return false;
		return e->negated ? b.all_null : b.no_null;
	case SQL_EXPR_IN:
		if (e->negated || e->nargs < 2 || !sql_bounds_column_ref(sc, e->args[0], &col, &cast) ||
		    !get(ctx, col, &b))
			return false;
		for (uint32_t i = 1; i < e->nargs; i++)
			if (e->args[i]->kind != SQL_EXPR_LITERAL ||
			    !sql_bounds_cmp_none(&b, cast, SQL_OP_EQ, &e->args[i]->value))
				return false;
		return true;
	case SQL_EXPR_BETWEEN:
		if (e->negated || e->nargs != 3 || e->args[1]->kind != SQL_EXPR_LITERAL ||
		    e->args[2]->kind != SQL_EXPR_LITERAL ||
		    !sql_bounds_column_ref(sc, e->args[0], &col, &cast) || !get(ctx, col, &b))
			return false;
		return sql_bounds_cmp_none(&b, cast, SQL_OP_GE, &e->args[1]->value) ||
		       sql_bounds_cmp_none(&b, cast, SQL_OP_LE, &e->args[2]->value);
	default:
		return false;
	}
}

/* ---- bounds from metastore statistics ------------------------------------------------ */

static uint64_t sql_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The value of TYPE held in statistics bytes P/LEN (store_colstat); false
 * when they are not one. */
static bool sql_stat_value(sql_type type, const uint8_t *p, size_t len, sql_value *out)
{
	*out = (sql_value){.type = type};
	switch (type) {
	case SQL_TYPE_BOOLEAN:
		if (len != 1)
			return false;
		out->u.b = p[0] != 0;
		return true;
	case SQL_TYPE_BIGINT:
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
		if (len != 8)
			return false;
		out->u.i = (int64_t)sql_le64(p);
		return true;
	case SQL_TYPE_DOUBLE: {
		uint64_t bits;
		if (len != 8)
			return false;
		bits = sql_le64(p);
		memcpy(&out->u.d, &bits, sizeof out->u.d);
		return !isnan(out->u.d);
	}
	case SQL_TYPE_STRING:
		out->u.s.ptr = (const char *)p;
		out->u.s.len = (uint32_t)len;
		return true;
	default:
		if (!sql_type_is_decimal(type) || len != 16)
			return false;
		__extension__ unsigned __int128 u = 0;
		for (int i = 15; i >= 0; i--)
			u = u << 8 | p[i];
		out->u.dec = (sql_int128)u;
		return true;
	}
}

typedef struct sql_file_bounds {
	const sql_scan *sc;
	const store_colstat *st;
	uint32_t n;
	uint64_t rows;
} sql_file_bounds;

static bool sql_file_bounds_get(void *ctx, uint32_t col, sql_bounds *out)
{
	const sql_file_bounds *fb = ctx;
	const store_colstat *st = NULL;
	sql_type type = fb->sc->types[col];

	memset(out, 0, sizeof *out);
	for (uint32_t i = 0; i < fb->n && !st; i++)
		if (fb->st[i].column == col)
			st = &fb->st[i];
	/* Statistics taken when the column had another type say nothing. */
	if (!st || st->type != sql_type_to_store(type))
		return false;
	out->is_double = type == SQL_TYPE_DOUBLE;
	if (st->flags & STORE_STAT_NULLS) {
		out->no_null = st->nulls == 0;
		out->all_null = fb->rows > 0 && st->nulls >= fb->rows;
	}
	/* A truncated min is a prefix of the least value, still a lower
	 * bound; a truncated max bounds only prefixes: no upper bound. */
	if ((st->flags & STORE_STAT_MIN) &&
	    sql_stat_value(type, st->min, st->min_len, &out->min))
		out->has_min = true;
	if ((st->flags & STORE_STAT_MAX) && !(st->flags & STORE_STAT_MAX_TRUNCATED) &&
	    sql_stat_value(type, st->max, st->max_len, &out->max))
		out->has_max = true;
	return true;
}

bool sql_stats_none(const sql_scan *sc, const sql_expr *e, const store_colstat *stats,
		    uint32_t nstats, uint64_t rows)
{
	sql_file_bounds fb = {.sc = sc, .st = stats, .n = nstats, .rows = rows};

	if (!e || !stats || nstats == 0)
		return false;
	return sql_bounds_none(sc, e, sql_file_bounds_get, &fb);
}

bool sql_table_stats_none(const sql_scan *sc, const sql_expr *e, const store_colstat *stats,
			  uint64_t rows)
{
	/* store_column_stats: one entry per data column, entry i column i;
	 * those it knows nothing of have flags 0. */
	sql_file_bounds fb = {.sc = sc, .st = stats, .n = sc->ncolumns, .rows = rows};

	if (!e || !stats)
		return false;
	return sql_bounds_none(sc, e, sql_file_bounds_get, &fb);
}
