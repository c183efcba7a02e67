/*
 * sql_eval.c - evaluation of resolved expressions over one row.
 *
 * The semantics are Spark's (non-ANSI):
 *   - NULL propagates through operators and functions; AND, OR and NOT use
 *     three-valued logic (FALSE AND NULL is FALSE, TRUE OR NULL is TRUE);
 *   - x IN (list) is NULL when nothing matched and the list holds a NULL;
 *   - division or remainder by zero is NULL, not an error;
 *   - bigint arithmetic wraps on overflow, as Java's long does;
 *   - decimal arithmetic is exact, rounded HALF_UP into the result type the
 *     analyzer gave (Spark's DecimalPrecision rules), and a result that does
 *     not fit that type is NULL;
 *   - operands of different types are coerced with sql_type_common() (the
 *     analyzer normally inserts the casts; this is the safety net), and every
 *     result is cast to the expression's resolved type.
 * Strings are byte strings: comparison is bytewise; LIKE's _ matches one
 * UTF-8 character, and lower/upper map every character with a simple
 * Unicode case mapping (sql_value.c).
 */
#include "sql_int.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static int sql_eval_node(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out);

static bool sql_is_null(const sql_value *v)
{
	return v->null || v->type == SQL_TYPE_NULL;
}

static sql_value sql_null_of(sql_type t)
{
	return (sql_value){.type = t, .null = true};
}

static sql_value sql_bool(bool b)
{
	return (sql_value){.type = SQL_TYPE_BOOLEAN, .u.b = b};
}

/* Bring X and Y to their common type for a comparison. */
static int sql_coerce_pair(sql_arena *a, sql_value *x, sql_value *y)
{
	sql_type t;

	if (x->type == y->type)
		return 0;
	if (sql_type_common(x->type, y->type, &t))
		return -EINVAL;
	int rc = sql_value_cast(a, x, t, x);
	if (!rc)
		rc = sql_value_cast(a, y, t, y);
	return rc;
}

/* Three-way comparison with NULLs: *NUL set when either side is NULL (or a
 * cast made one NULL). */
static int sql_compare_values(sql_arena *a, sql_value x, sql_value y, int *cmp, bool *nul)
{
	*nul = sql_is_null(&x) || sql_is_null(&y);
	if (*nul)
		return 0;
	int rc = sql_coerce_pair(a, &x, &y);
	if (rc)
		return rc;
	*nul = x.null || y.null;
	if (!*nul)
		*cmp = sql_value_compare(&x, &y);
	return 0;
}

static bool sql_cmp_holds(sql_op op, int c)
{
	switch (op) {
	case SQL_OP_EQ: return c == 0;
	case SQL_OP_NE: return c != 0;
	case SQL_OP_LT: return c < 0;
	case SQL_OP_LE: return c <= 0;
	case SQL_OP_GT: return c > 0;
	default: return c >= 0;
	}
}

static int sql_eval_logic(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value l, r;
	bool and = e->op == SQL_OP_AND;
	int rc = sql_eval_node(a, e->args[0], row, &l);

	if (rc)
		return rc;
	/* FALSE AND x is FALSE, TRUE OR x is TRUE, whatever x is: skip it. */
	if (!sql_is_null(&l) && l.u.b != and) {
		*out = sql_bool(!and);
		return 0;
	}
	rc = sql_eval_node(a, e->args[1], row, &r);
	if (rc)
		return rc;
	if (!sql_is_null(&r) && r.u.b != and)
		*out = sql_bool(!and);
	else if (sql_is_null(&l) || sql_is_null(&r))
		*out = sql_null_of(SQL_TYPE_BOOLEAN);
	else
		*out = sql_bool(and);
	return 0;
}

/* Arithmetic in the expression's type; bigint wraps (unsigned arithmetic is
 * the defined way to get Java's two's complement results in C). */
static int sql_eval_arith(sql_arena *a, const sql_expr *e, sql_value l, sql_value r,
			  sql_value *out)
{
	sql_type t = e->type;

	if (t == SQL_TYPE_NULL && sql_type_common(l.type, r.type, &t))
		return -EINVAL;
	if (sql_is_null(&l) || sql_is_null(&r)) {
		*out = sql_null_of(t);
		return 0;
	}
	if (sql_type_is_decimal(t)) {
		/* Each operand keeps its own precision and scale (a bigint is
		 * decimal(20,0)); the exact result is rounded into T. */
		sql_value *ops[2] = {&l, &r};
		for (int i = 0; i < 2; i++) {
			if (sql_type_is_decimal(ops[i]->type))
				continue;
			int rc = sql_value_cast(a, ops[i], sql_type_decimal(38, 0), ops[i]);
			if (rc)
				return rc;
			if (ops[i]->null) {
				*out = sql_null_of(t);
				return 0;
			}
		}
		sql_value v = {.type = t};
		int rc = sql_decimal_arith(e->op, l.u.dec, sql_type_scale(l.type), r.u.dec,
					   sql_type_scale(r.type), t, &v.u.dec);
		if (rc == -ERANGE || rc == -EDOM)
			v.null = true;   /* overflow and division by zero are NULL */
		else if (rc)
			return rc;
		*out = v;
		return 0;
	}
	if (t == SQL_TYPE_DATE) {
		/* date + n, date - n, n + date: days. */
		sql_value d = l.type == SQL_TYPE_DATE ? l : r, n = l.type == SQL_TYPE_DATE ? r : l;
		if (n.type != SQL_TYPE_BIGINT)
			return -EINVAL;
		uint64_t days = e->op == SQL_OP_SUB ? (uint64_t)d.u.i - (uint64_t)n.u.i
						    : (uint64_t)d.u.i + (uint64_t)n.u.i;
		*out = (sql_value){.type = SQL_TYPE_DATE, .u.i = (int64_t)days};
		return 0;
	}
	if (t == SQL_TYPE_BIGINT) {
		int rc = sql_value_cast(a, &l, SQL_TYPE_BIGINT, &l);
		if (!rc)
			rc = sql_value_cast(a, &r, SQL_TYPE_BIGINT, &r);
		if (rc)
			return rc;
		if (l.null || r.null) {
			*out = sql_null_of(t);
			return 0;
		}
		uint64_t x = (uint64_t)l.u.i, y = (uint64_t)r.u.i;
		int64_t v;
		switch (e->op) {
		case SQL_OP_ADD: v = (int64_t)(x + y); break;
		case SQL_OP_SUB: v = (int64_t)(x - y); break;
		case SQL_OP_MUL: v = (int64_t)(x * y); break;
		case SQL_OP_DIV:
		case SQL_OP_MOD:
			if (r.u.i == 0) {
				*out = sql_null_of(t);
				return 0;
			}
			/* MIN / -1 overflows in C; Java gives MIN (and 0 for the remainder). */
			if (r.u.i == -1)
				v = e->op == SQL_OP_DIV ? (int64_t)(0 - x) : 0;
			else
				v = e->op == SQL_OP_DIV ? l.u.i / r.u.i : l.u.i % r.u.i;
			break;
		default:
			return -EINVAL;
		}
		*out = (sql_value){.type = SQL_TYPE_BIGINT, .u.i = v};
		return 0;
	}
	if (t != SQL_TYPE_DOUBLE)
		return -EINVAL;
	int rc = sql_value_cast(a, &l, SQL_TYPE_DOUBLE, &l);
	if (!rc)
		rc = sql_value_cast(a, &r, SQL_TYPE_DOUBLE, &r);
	if (rc)
		return rc;
	if (l.null || r.null) {
		*out = sql_null_of(t);
		return 0;
	}
	double v;
	switch (e->op) {
	case SQL_OP_ADD: v = l.u.d + r.u.d; break;
	case SQL_OP_SUB: v = l.u.d - r.u.d; break;
	case SQL_OP_MUL: v = l.u.d * r.u.d; break;
	case SQL_OP_DIV:
	case SQL_OP_MOD:
		if (r.u.d == 0) {
			*out = sql_null_of(t);
			return 0;
		}
		v = e->op == SQL_OP_DIV ? l.u.d / r.u.d : fmod(l.u.d, r.u.d);
		break;
	default:
		return -EINVAL;
	}
	*out = (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = v};
	return 0;
}

static int sql_eval_binary(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value l, r;
	int rc;

	if (e->op == SQL_OP_AND || e->op == SQL_OP_OR)
		return sql_eval_logic(a, e, row, out);
	if ((rc = sql_eval_node(a, e->args[0], row, &l)) ||
	    (rc = sql_eval_node(a, e->args[1], row, &r)))
		return rc;
	switch (e->op) {
	case SQL_OP_EQ: case SQL_OP_NE: case SQL_OP_LT:
	case SQL_OP_LE: case SQL_OP_GT: case SQL_OP_GE: {
		int c = 0;
		bool nul;
		rc = sql_compare_values(a, l, r, &c, &nul);
		if (rc)
			return rc;
		*out = nul ? sql_null_of(SQL_TYPE_BOOLEAN) : sql_bool(sql_cmp_holds(e->op, c));
		return 0;
	}
	case SQL_OP_CONCAT: {
		sql_value parts[2] = {l, r};
		return sql_func_apply(a, SQL_FUNC_CONCAT, parts, 2, out);
	}
	default:
		return sql_eval_arith(a, e, l, r, out);
	}
}

static int sql_eval_unary(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value v;
	int rc = sql_eval_node(a, e->args[0], row, &v);

	if (rc)
		return rc;
	if (e->op == SQL_OP_NOT) {
		*out = sql_is_null(&v) ? sql_null_of(SQL_TYPE_BOOLEAN) : sql_bool(!v.u.b);
		return 0;
	}
	if (sql_is_null(&v)) {
		*out = sql_null_of(e->type ? e->type : v.type);
		return 0;
	}
	if (sql_type_is_decimal(v.type))
		v.u.dec = -v.u.dec;
	else if (v.type == SQL_TYPE_BIGINT)
		v.u.i = (int64_t)(0 - (uint64_t)v.u.i);
	else if (v.type == SQL_TYPE_DOUBLE)
		v.u.d = -v.u.d;
	else
		return -EINVAL;
	*out = v;
	return 0;
}

static int sql_eval_in(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value x;
	bool saw_null = false;
	int rc = sql_eval_node(a, e->args[0], row, &x);

	if (rc)
		return rc;
	if (sql_is_null(&x)) {
		*out = sql_null_of(SQL_TYPE_BOOLEAN);
		return 0;
	}
	for (uint32_t i = 1; i < e->nargs; i++) {
		sql_value y;
		int c = 0;
		bool nul;
		if ((rc = sql_eval_node(a, e->args[i], row, &y)) ||
		    (rc = sql_compare_values(a, x, y, &c, &nul)))
			return rc;
		if (nul) {
			saw_null = true;
		} else if (c == 0) {
			*out = sql_bool(!e->negated);
			return 0;
		}
	}
	*out = saw_null ? sql_null_of(SQL_TYPE_BOOLEAN) : sql_bool(e->negated);
	return 0;
}

static int sql_eval_between(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value x, lo, hi;
	int c1 = 0, c2 = 0, rc;
	bool n1, n2;

	if ((rc = sql_eval_node(a, e->args[0], row, &x)) ||
	    (rc = sql_eval_node(a, e->args[1], row, &lo)) ||
	    (rc = sql_eval_node(a, e->args[2], row, &hi)) ||
	    (rc = sql_compare_values(a, x, lo, &c1, &n1)) ||
	    (rc = sql_compare_values(a, x, hi, &c2, &n2)))
		return rc;
	/* x >= lo AND x <= hi, in three-valued logic, then NOT when negated. */
	bool f1 = !n1 && c1 < 0, f2 = !n2 && c2 > 0;
	if (f1 || f2)
		*out = sql_bool(e->negated);
	else if (n1 || n2)
		*out = sql_null_of(SQL_TYPE_BOOLEAN);
	else
		*out = sql_bool(!e->negated);
	return 0;
}

static int sql_eval_like(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	sql_value s, p;
	int rc;

	if ((rc = sql_eval_node(a, e->args[0], row, &s)) ||
	    (rc = sql_eval_node(a, e->args[1], row, &p)))
		return rc;
	if (sql_is_null(&s) || sql_is_null(&p)) {
		*out = sql_null_of(SQL_TYPE_BOOLEAN);
		return 0;
	}
	if ((rc = sql_value_cast(a, &s, SQL_TYPE_STRING, &s)) ||
	    (rc = sql_value_cast(a, &p, SQL_TYPE_STRING, &p)))
		return rc;
	bool m = sql_like(s.u.s.ptr, s.u.s.len, p.u.s.ptr, p.u.s.len);
	*out = sql_bool(m != e->negated);
	return 0;
}

static int sql_eval_case(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	uint32_t i = 0, end = e->nargs - (e->case_else ? 1 : 0);
	sql_value operand = {0};
	int rc;

	if (e->case_operand) {
		if ((rc = sql_eval_node(a, e->args[0], row, &operand)))
			return rc;
		i = 1;
	}
	for (; i + 1 < end; i += 2) {
		sql_value w;
		bool hit;
		if ((rc = sql_eval_node(a, e->args[i], row, &w)))
			return rc;
		if (e->case_operand) {
			int c = 0;
			bool nul;
			if ((rc = sql_compare_values(a, operand, w, &c, &nul)))
				return rc;
			hit = !nul && c == 0;
		} else {
			hit = !sql_is_null(&w) && w.u.b;
		}
		if (hit)
			return sql_eval_node(a, e->args[i + 1], row, out);
	}
	if (e->case_else)
		return sql_eval_node(a, e->args[e->nargs - 1], row, out);
	*out = sql_null_of(e->type);
	return 0;
}

static int sql_eval_func(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	int rc;

	if (e->func == SQL_FUNC_COALESCE) {
		/* Lazy: later arguments are not evaluated once one is not NULL. */
		for (uint32_t i = 0; i < e->nargs; i++) {
			if ((rc = sql_eval_node(a, e->args[i], row, out)))
				return rc;
			if (!sql_is_null(out))
				return 0;
		}
		*out = sql_null_of(e->type);
		return 0;
	}
	sql_value args[e->nargs ? e->nargs : 1];
	for (uint32_t i = 0; i < e->nargs; i++)
		if ((rc = sql_eval_node(a, e->args[i], row, &args[i])))
			return rc;
	return sql_func_apply(a, e->func, args, e->nargs, out);
}

static int sql_eval_node(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	int rc = 0;

	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		*out = e->value;
		break;
	case SQL_EXPR_COLUMN:
		if (!row || e->ordinal < 0)
			return -EINVAL;
		*out = row[e->ordinal];
		break;
	case SQL_EXPR_ALIAS:
		rc = sql_eval_node(a, e->args[0], row, out);
		break;
	case SQL_EXPR_UNARY:
		rc = sql_eval_unary(a, e, row, out);
		break;
	case SQL_EXPR_BINARY:
		rc = sql_eval_binary(a, e, row, out);
		break;
	case SQL_EXPR_IS_NULL: {
		sql_value v;
		rc = sql_eval_node(a, e->args[0], row, &v);
		*out = sql_bool(sql_is_null(&v) != e->negated);
		break;
	}
	case SQL_EXPR_IN:
		rc = sql_eval_in(a, e, row, out);
		break;
	case SQL_EXPR_BETWEEN:
		rc = sql_eval_between(a, e, row, out);
		break;
	case SQL_EXPR_LIKE:
		rc = sql_eval_like(a, e, row, out);
		break;
	case SQL_EXPR_CASE:
		rc = sql_eval_case(a, e, row, out);
		break;
	case SQL_EXPR_CAST: {
		sql_value v;
		rc = sql_eval_node(a, e->args[0], row, &v);
		if (!rc)
			rc = sql_value_cast(a, &v, e->cast_type, out);
		break;
	}
	case SQL_EXPR_FUNC:
		rc = sql_eval_func(a, e, row, out);
		break;
	default:
		/* AGG and STAR never reach evaluation: the engine computes
		 * aggregates, the analyzer expands stars. */
		return -EINVAL;
	}
	if (rc)
		return rc;
	/* The resolved type is the contract with the consumer of the value. */
	if (e->type != SQL_TYPE_NULL && out->type != e->type) {
		if (sql_is_null(out))
			*out = sql_null_of(e->type);
		else
			rc = sql_value_cast(a, out, e->type, out);
	}
	return rc;
}

int sql_eval(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out)
{
	return sql_eval_node(a, e, row, out);
}

int sql_eval_const(sql_arena *a, const sql_expr *e, sql_value *out)
{
	return sql_eval_node(a, e, NULL, out);
}

/* Bytes of the character at S[I] (N bytes in all): its first byte and the
 * continuation bytes after it, as length() counts characters. */
static size_t sql_like_char(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80)
		j++;
	return j - i;
}

/* LIKE: % any run of characters, _ one character (a UTF-8 code point; a
 * byte that is not UTF-8 counts as one), \ makes the next pattern byte
 * literal; other pattern bytes match themselves.  Greedy with one backtrack
 * point (the last %), which is enough because % matches anything: linear
 * in practice, O(n*m) at worst. */
bool sql_like(const char *s, size_t n, const char *p, size_t pn)
{
	size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;

	while (si < n) {
		if (pi < pn && p[pi] == '%') {
			star_p = ++pi;
			star_s = si;
			continue;
		}
		if (pi < pn) {
			char pc = p[pi];
			size_t adv = 1;
			bool any = pc == '_';
			if (pc == '\\' && pi + 1 < pn) {
				pc = p[pi + 1];
				adv = 2;
				any = false;
			}
			if (any || pc == s[si]) {
				pi += adv;
				si += any ? sql_like_char(s, n, si) : 1;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return false;
		/* % takes one more character, never part of one. */
		pi = star_p;
		star_s += sql_like_char(s, n, star_s);
		si = star_s;
	}
	while (pi < pn && p[pi] == '%')
		pi++;
	return pi == pn;
}
