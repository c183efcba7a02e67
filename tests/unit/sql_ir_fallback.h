/*
 * sql_ir_fallback.h - weak stand-ins for the IR helpers of sql/sql_ir.c
 * (arena, errors, type names, node constructors), so the engine's unit tests
 * link on a branch where sql_ir.c has not landed yet.  They are weak: when
 * the library carries sql_ir.c, its definitions win and these are unused.
 * Include this from exactly one translation unit of a test.
 */
#ifndef METAFS_SQL_IR_FALLBACK_H
#define METAFS_SQL_IR_FALLBACK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_ir.h"

#define SQL_FALLBACK __attribute__((weak))

struct sql_fallback_chunk {
	struct sql_fallback_chunk *next;
	size_t size;
	_Alignas(max_align_t) unsigned char data[];
};

struct sql_arena {
	struct sql_fallback_chunk *chunks;
	size_t used;
};

SQL_FALLBACK sql_arena *sql_arena_new(void)
{
	sql_arena *a = calloc(1, sizeof *a);

	if (!a)
		abort();
	return a;
}

SQL_FALLBACK void sql_arena_free(sql_arena *a)
{
	if (!a)
		return;
	while (a->chunks) {
		struct sql_fallback_chunk *c = a->chunks;
		a->chunks = c->next;
		free(c);
	}
	free(a);
}

/* One malloc per allocation: slow, but exact for the sanitizers. */
SQL_FALLBACK void *sql_arena_alloc(sql_arena *a, size_t size)
{
	struct sql_fallback_chunk *c = calloc(1, sizeof *c + size + 1);

	if (!c)
		abort();
	c->size = size;
	c->next = a->chunks;
	a->chunks = c;
	a->used += size;
	return c->data;
}

SQL_FALLBACK char *sql_arena_strndup(sql_arena *a, const char *s, size_t n)
{
	char *p = sql_arena_alloc(a, n + 1);

	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

SQL_FALLBACK char *sql_arena_strdup(sql_arena *a, const char *s)
{
	return sql_arena_strndup(a, s, strlen(s));
}

SQL_FALLBACK char *sql_arena_printf(sql_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = sql_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

SQL_FALLBACK size_t sql_arena_used(const sql_arena *a)
{
	return a->used;
}

SQL_FALLBACK void sql_error_set(sql_error *e, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

SQL_FALLBACK void sql_error_format(const sql_error *e, char *out, size_t cap)
{
	if (e->line && e->col)
		snprintf(out, cap, "line %u, column %u: %s", e->line, e->col, e->message);
	else if (e->line)
		snprintf(out, cap, "line %u: %s", e->line, e->message);
	else
		snprintf(out, cap, "%s", e->message);
}

SQL_FALLBACK const char *sql_type_name(sql_type t)
{
	static const char *const names[] = {"null", "string", "bigint", "double",
					    "boolean", "date", "timestamp"};

	return (unsigned)t < 7 ? names[t] : "?";
}

SQL_FALLBACK sql_type sql_type_from_store(store_type t)
{
	return (sql_type)t;
}

SQL_FALLBACK store_type sql_type_to_store(sql_type t)
{
	return t == SQL_TYPE_NULL ? STORE_TYPE_STRING : (store_type)t;
}

SQL_FALLBACK sql_expr *sql_expr_new(sql_arena *a, sql_expr_kind kind, uint32_t line, uint32_t col)
{
	sql_expr *e = sql_arena_alloc(a, sizeof *e);

	e->kind = kind;
	e->line = line;
	e->col = col;
	e->ordinal = -1;
	return e;
}

SQL_FALLBACK sql_plan *sql_plan_new(sql_arena *a, sql_plan_kind kind, uint32_t line, uint32_t col)
{
	sql_plan *p = sql_arena_alloc(a, sizeof *p);

	p->kind = kind;
	p->line = line;
	p->col = col;
	return p;
}

#endif
