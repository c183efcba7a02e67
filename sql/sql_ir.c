/*
 * sql_ir.c - the arena, errors, type names, node constructors and the
 * Catalyst-style rendering of expressions shared by every stage.
 *
 * The arena is a list of chunks with a bump pointer.  A parse of a job file
 * allocates thousands of small nodes that all die together, so freeing them
 * one by one would only cost time and invite leaks on error paths.
 */
#include "fmt_text.h"
#include "sql_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena ------------------------------------------------------------------ */

#define SQL_ARENA_CHUNK (64 * 1024)
#define SQL_ARENA_ALIGN 16

typedef struct sql_arena_chunk {
	struct sql_arena_chunk *next;
	size_t size, used;
	/* Payload follows, aligned: the header is padded to SQL_ARENA_ALIGN. */
} sql_arena_chunk;

struct sql_arena {
	sql_arena_chunk *head;   /* the chunk being filled; older ones follow */
	size_t used;             /* bytes handed out */
};

#define SQL_ARENA_HEADER ((sizeof(sql_arena_chunk) + SQL_ARENA_ALIGN - 1) & \
			  ~(size_t)(SQL_ARENA_ALIGN - 1))

sql_arena *sql_arena_new(void)
{
	sql_arena *a = calloc(1, sizeof *a);

	if (!a)
		abort();
	return a;
}

void sql_arena_free(sql_arena *a)
{
	if (!a)
		return;
	for (sql_arena_chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *sql_arena_alloc(sql_arena *a, size_t size)
{
	sql_arena_chunk *c = a->head;
	size_t need = (size + SQL_ARENA_ALIGN - 1) & ~(size_t)(SQL_ARENA_ALIGN - 1);

	if (need == 0)
		need = SQL_ARENA_ALIGN;
	if (!c || c->size - c->used < need) {
		size_t payload = need > SQL_ARENA_CHUNK / 4 ? need : SQL_ARENA_CHUNK;

		if (payload > SIZE_MAX - SQL_ARENA_HEADER)
			abort();
		c = malloc(SQL_ARENA_HEADER + payload);
		if (!c)
			abort();
		c->size = payload;
		c->used = 0;
		/* A big block gets a chunk of its own behind the current one, so
		 * the space left in the current chunk is not wasted. */
		if (payload != SQL_ARENA_CHUNK && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c + SQL_ARENA_HEADER + c->used;
	c->used += need;
	a->used += need;
	memset(p, 0, need);
	return p;
}

char *sql_arena_strndup(sql_arena *a, const char *s, size_t n)
{
	char *p = sql_arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sql_arena_strdup(sql_arena *a, const char *s)
{
	return sql_arena_strndup(a, s, strlen(s));
}

/* gcc 12 under -fsanitize=undefined reports the measuring vsnprintf(NULL,
 * 0, ...) below as a "null format string" (the format is never NULL: the
 * prototype's format attribute checks every caller); the warning is off
 * for this one function only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-truncation"
char *sql_arena_printf(sql_arena *a, const char *fmt, ...)
{
	va_list ap, again;
	int n;
	char *p;

	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = sql_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, again);
	va_end(again);
	return p;
}
#pragma GCC diagnostic pop

size_t sql_arena_used(const sql_arena *a)
{
	return a->used;
}

/* ---- errors ----------------------------------------------------------------- */

void sql_error_set(sql_error *e, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

void sql_error_format(const sql_error *e, char *out, size_t cap)
{
	if (!cap)
		return;
	if (e->line && e->col)
		snprintf(out, cap, "line %" PRIu32 ", column %" PRIu32 ": %s", e->line, e->col,
			 e->message);
	else if (e->line)   /* a whole statement or operator: no column to point at */
		snprintf(out, cap, "line %" PRIu32 ": %s", e->line, e->message);
	else
		snprintf(out, cap, "%s", e->message);
}

/* ---- types ------------------------------------------------------------------- */

const char *sql_type_name(sql_type t)
{
	if (sql_type_is_decimal(t)) {
		const char *name = store_type_name((store_type)t);
		return name ? name : "decimal";
	}
	switch (t) {
	case SQL_TYPE_NULL: return "null";
	case SQL_TYPE_STRING: return "string";
	case SQL_TYPE_BIGINT: return "bigint";
	case SQL_TYPE_DOUBLE: return "double";
	case SQL_TYPE_BOOLEAN: return "boolean";
	case SQL_TYPE_DATE: return "date";
	case SQL_TYPE_TIMESTAMP: return "timestamp";
	case SQL_TYPE_DECIMAL: break;
	}
	return "unknown";
}

/* The two enums share their numbering on purpose; the switches keep that
 * an implementation detail.  Decimals share the parameter bits too. */
sql_type sql_type_from_store(store_type t)
{
	if (store_type_base(t) == STORE_TYPE_DECIMAL)
		return sql_type_decimal(store_type_precision(t), store_type_scale(t));
	switch (t) {
	case STORE_TYPE_STRING: return SQL_TYPE_STRING;
	case STORE_TYPE_BIGINT: return SQL_TYPE_BIGINT;
	case STORE_TYPE_DOUBLE: return SQL_TYPE_DOUBLE;
	case STORE_TYPE_BOOLEAN: return SQL_TYPE_BOOLEAN;
	case STORE_TYPE_DATE: return SQL_TYPE_DATE;
	case STORE_TYPE_TIMESTAMP: return SQL_TYPE_TIMESTAMP;
	case STORE_TYPE_DECIMAL: break;
	}
	return SQL_TYPE_NULL;
}

/* A column of NULL type (CREATE TABLE AS SELECT NULL) is stored as string,
 * which is what Hive does with a void column. */
store_type sql_type_to_store(sql_type t)
{
	if (sql_type_is_decimal(t))
		return store_type_decimal(sql_type_precision(t), sql_type_scale(t));
	switch (t) {
	case SQL_TYPE_BIGINT: return STORE_TYPE_BIGINT;
	case SQL_TYPE_DOUBLE: return STORE_TYPE_DOUBLE;
	case SQL_TYPE_BOOLEAN: return STORE_TYPE_BOOLEAN;
	case SQL_TYPE_DATE: return STORE_TYPE_DATE;
	case SQL_TYPE_TIMESTAMP: return STORE_TYPE_TIMESTAMP;
	case SQL_TYPE_STRING:
	case SQL_TYPE_NULL:
	case SQL_TYPE_DECIMAL:
		break;
	}
	return STORE_TYPE_STRING;
}

/* ---- constructors -------------------------------------------------------------- */

sql_expr *sql_expr_new(sql_arena *a, sql_expr_kind kind, uint32_t line, uint32_t col)
{
	sql_expr *e = sql_arena_alloc(a, sizeof *e);

	e->kind = kind;
	e->line = line;
	e->col = col;
	e->ordinal = -1;
	return e;
}

sql_plan *sql_plan_new(sql_arena *a, sql_plan_kind kind, uint32_t line, uint32_t col)
{
	sql_plan *p = sql_arena_alloc(a, sizeof *p);

	p->kind = kind;
	p->line = line;
	p->col = col;
	return p;
}

sql_expr *sql_expr_copy(sql_arena *a, const sql_expr *e)
{
	sql_expr *c;

	if (!e)
		return NULL;
	c = sql_arena_alloc(a, sizeof *c);
	*c = *e;
	/* Strings are copied too: the copy may go to another arena that
	 * outlives E's. */
	if (e->qualifier)
		c->qualifier = sql_arena_strdup(a, e->qualifier);
	if (e->name)
		c->name = sql_arena_strdup(a, e->name);
	if (e->value.type == SQL_TYPE_STRING && !e->value.null && e->value.u.s.ptr)
		c->value.u.s.ptr = sql_arena_strndup(a, e->value.u.s.ptr, e->value.u.s.len);
	if (e->nargs) {
		c->args = sql_arena_alloc(a, e->nargs * sizeof *c->args);
		for (uint32_t i = 0; i < e->nargs; i++)
			c->args[i] = sql_expr_copy(a, e->args[i]);
	} else {
		c->args = NULL;
	}
	return c;
}

void *sql_array_push(sql_arena *a, void *array, uint32_t *n, uint32_t *cap, size_t elem)
{
	if (*n == *cap || !array) {
		uint32_t ncap = *cap ? *cap * 2 : 4;
		void *grown;

		if (ncap <= *n)
			ncap = *n + 4;
		grown = sql_arena_alloc(a, (size_t)ncap * elem);
		if (array && *n)
			memcpy(grown, array, (size_t)*n * elem);
		array = grown;
		*cap = ncap;
	}
	memset((char *)array + (size_t)*n * elem, 0, elem);
	(*n)++;
	return array;
}

bool sql_stmt_is_access(const sql_stmt *s)
{
	switch (s->kind) {
	case SQL_STMT_CREATE_ROLE:
	case SQL_STMT_DROP_ROLE:
	case SQL_STMT_GRANT:
	case SQL_STMT_REVOKE:
	case SQL_STMT_GRANT_ROLE:
	case SQL_STMT_REVOKE_ROLE:
	case SQL_STMT_SHOW_GRANTS:
	case SQL_STMT_SHOW_ROLES:
		return true;
	default:
		return false;
	}
}

/* ---- suggestions ------------------------------------------------------------------ */

/* Levenshtein distance, ignoring case, as identifiers are compared that way. */
unsigned sql_edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned small[64], *row = small;
	unsigned result;

	if (m + 1 > sizeof small / sizeof small[0]) {
		row = malloc((m + 1) * sizeof *row);
		if (!row)
			return (unsigned)(n > m ? n : m);
	}
	for (size_t j = 0; j <= m; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned up = row[j];
			unsigned cost = tolower((unsigned char)a[i - 1]) ==
					tolower((unsigned char)b[j - 1]) ? 0 : 1;
			unsigned best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	result = row[m];
	if (row != small)
		free(row);
	return result;
}

/* ---- rendering ----------------------------------------------------------------------- */

static void sql_ir_print_double(double v, textbuf *out)
{
	char buf[64];

	if (isnan(v)) {
		textbuf_puts(out, "NaN");
		return;
	}
	if (isinf(v)) {
		textbuf_puts(out, v < 0 ? "-Infinity" : "Infinity");
		return;
	}
	/* The shortest form that reads back to the same double. */
	snprintf(buf, sizeof buf, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof buf, "%.17g", v);
	textbuf_puts(out, buf);
	/* Spark shows doubles with a fraction: 1.0, not 1. */
	if (!strpbrk(buf, ".eE"))
		textbuf_puts(out, ".0");
}

/* Literals as Catalyst's Literal.toString shows them: strings unquoted,
 * null lower case. */
static void sql_ir_print_literal(const sql_value *v, textbuf *out)
{
	char buf[32];
	int64_t us;

	if (v->null || v->type == SQL_TYPE_NULL) {
		textbuf_puts(out, "null");
		return;
	}
	if (sql_type_is_decimal(v->type)) {
		sql_value_print(v, out);
		return;
	}
	switch (v->type) {
	case SQL_TYPE_STRING:
		textbuf_append(out, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
		break;
	case SQL_TYPE_BIGINT:
		textbuf_printf(out, "%" PRId64, v->u.i);
		break;
	case SQL_TYPE_DOUBLE:
		sql_ir_print_double(v->u.d, out);
		break;
	case SQL_TYPE_BOOLEAN:
		textbuf_puts(out, v->u.b ? "true" : "false");
		break;
	case SQL_TYPE_DATE:
		fmt_date_text(v->u.i, buf);
		textbuf_puts(out, buf);
		break;
	case SQL_TYPE_TIMESTAMP:
		/* Plans show a fraction with all six digits (12:30:05.250000),
		 * results only up to the last significant one: the whole seconds
		 * come from the result format, the fraction is written here. */
		us = v->u.i % 1000000;
		if (us < 0)
			us += 1000000;
		fmt_timestamp_text(v->u.i - us, buf);
		textbuf_puts(out, buf);
		if (us)
			textbuf_printf(out, ".%06" PRId64, us);
		break;
	case SQL_TYPE_NULL:
	case SQL_TYPE_DECIMAL:
		break;
	}
}

const char *sql_op_text(sql_op op)
{
	switch (op) {
	case SQL_OP_NOT: return "NOT";
	case SQL_OP_NEG: return "-";
	case SQL_OP_ADD: return "+";
	case SQL_OP_SUB: return "-";
	case SQL_OP_MUL: return "*";
	case SQL_OP_DIV: return "/";
	case SQL_OP_MOD: return "%";
	case SQL_OP_EQ: return "=";
	case SQL_OP_NE: return "!=";
	case SQL_OP_LT: return "<";
	case SQL_OP_LE: return "<=";
	case SQL_OP_GT: return ">";
	case SQL_OP_GE: return ">=";
	case SQL_OP_AND: return "AND";
	case SQL_OP_OR: return "OR";
	case SQL_OP_CONCAT: return "||";
	}
	return "?";
}

static const char *sql_ir_agg_name(sql_agg_fn f)
{
	switch (f) {
	case SQL_AGG_COUNT: return "count";
	case SQL_AGG_SUM: return "sum";
	case SQL_AGG_AVG: return "avg";
	case SQL_AGG_MIN: return "min";
	case SQL_AGG_MAX: return "max";
	}
	return "?";
}

static void sql_ir_print_args(const sql_expr *e, uint32_t from, const char *sep, bool resolved,
			      textbuf *out)
{
	for (uint32_t i = from; i < e->nargs; i++) {
		if (i > from)
			textbuf_puts(out, sep);
		sql_expr_print(e->args[i], resolved, out);
	}
}

static void sql_ir_print_lower(const char *s, textbuf *out)
{
	for (; *s; s++) {
		char c = (char)tolower((unsigned char)*s);

		textbuf_append(out, &c, 1);
	}
}

void sql_expr_print(const sql_expr *e, bool resolved, textbuf *out)
{
	uint32_t i, end;
	bool done;

	if (!e) {
		textbuf_puts(out, "<null>");
		return;
	}
	switch (e->kind) {
	case SQL_EXPR_LITERAL:
		sql_ir_print_literal(&e->value, out);
		break;
	case SQL_EXPR_COLUMN:
		if (resolved && (e->resolved || e->attr_id)) {
			if (e->outer)
				textbuf_printf(out, "outer(%s#%" PRIu32 ")", e->name, e->attr_id);
			else
				textbuf_printf(out, "%s#%" PRIu32, e->name, e->attr_id);
		} else {
			textbuf_puts(out, "'");
			if (e->qualifier)
				textbuf_printf(out, "%s.", e->qualifier);
			textbuf_puts(out, e->name);
		}
		break;
	case SQL_EXPR_STAR:
		if (e->qualifier)
			textbuf_printf(out, "%s.", e->qualifier);
		textbuf_puts(out, "*");
		break;
	case SQL_EXPR_UNARY:
		textbuf_puts(out, e->op == SQL_OP_NOT ? "NOT " : "-");
		sql_expr_print(e->args[0], resolved, out);
		break;
	case SQL_EXPR_BINARY:
		textbuf_puts(out, "(");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_printf(out, " %s ", sql_op_text(e->op));
		sql_expr_print(e->args[1], resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_IS_NULL:
		textbuf_puts(out, e->negated ? "isnotnull(" : "isnull(");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_IN:
		if (e->negated)
			textbuf_puts(out, "NOT ");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_puts(out, " IN (");
		sql_ir_print_args(e, 1, ",", resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_BETWEEN:
		if (e->negated)
			textbuf_puts(out, "NOT ");
		textbuf_puts(out, "(");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_puts(out, " BETWEEN ");
		sql_expr_print(e->args[1], resolved, out);
		textbuf_puts(out, " AND ");
		sql_expr_print(e->args[2], resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_LIKE:
		if (e->negated)
			textbuf_puts(out, "NOT ");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_puts(out, " LIKE ");
		sql_expr_print(e->args[1], resolved, out);
		break;
	case SQL_EXPR_CASE:
		textbuf_puts(out, "CASE");
		i = 0;
		if (e->case_operand && e->nargs) {
			textbuf_puts(out, " ");
			sql_expr_print(e->args[0], resolved, out);
			i = 1;
		}
		end = e->nargs - (e->case_else && e->nargs ? 1u : 0u);
		for (; i + 1 < end; i += 2) {
			textbuf_puts(out, " WHEN ");
			sql_expr_print(e->args[i], resolved, out);
			textbuf_puts(out, " THEN ");
			sql_expr_print(e->args[i + 1], resolved, out);
		}
		if (e->case_else && e->nargs) {
			textbuf_puts(out, " ELSE ");
			sql_expr_print(e->args[e->nargs - 1], resolved, out);
		}
		textbuf_puts(out, " END");
		break;
	case SQL_EXPR_CAST:
		textbuf_puts(out, "cast(");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_printf(out, " as %s)", sql_type_name(e->cast_type));
		break;
	case SQL_EXPR_FUNC:
		done = resolved && (e->resolved || e->func != SQL_FUNC_NONE);
		if (done) {
			sql_ir_print_lower(e->name ? e->name : "?", out);
		} else {
			textbuf_puts(out, "'");
			textbuf_puts(out, e->name ? e->name : "?");
		}
		textbuf_puts(out, "(");
		sql_ir_print_args(e, 0, ", ", resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_AGG:
		done = resolved && (e->resolved || e->type != SQL_TYPE_NULL);
		if (done)
			textbuf_puts(out, sql_ir_agg_name(e->agg));
		else
			textbuf_printf(out, "'%s", e->name ? e->name : sql_ir_agg_name(e->agg));
		textbuf_puts(out, "(");
		if (e->distinct)
			textbuf_puts(out, "distinct ");
		/* count(*) is count(1), as Spark's parser rewrites it. */
		if (e->nargs == 0)
			textbuf_puts(out, "1");
		sql_ir_print_args(e, 0, ", ", resolved, out);
		textbuf_puts(out, ")");
		break;
	case SQL_EXPR_ALIAS:
		sql_expr_print(e->args[0], resolved, out);
		if (e->attr_id)
			textbuf_printf(out, " AS %s#%" PRIu32, e->name, e->attr_id);
		else
			textbuf_printf(out, " AS %s#?", e->name);
		break;
	case SQL_EXPR_SCALAR_SUBQUERY:
		textbuf_puts(out, "scalar-subquery");
		break;
	case SQL_EXPR_EXISTS:
		textbuf_puts(out, e->negated ? "NOT exists(subquery)" : "exists(subquery)");
		break;
	case SQL_EXPR_IN_SUBQUERY:
		if (e->negated)
			textbuf_puts(out, "NOT ");
		sql_expr_print(e->args[0], resolved, out);
		textbuf_puts(out, " IN (list)");
		break;
	}
}
