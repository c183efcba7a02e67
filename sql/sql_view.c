/*
 * sql_view.c - the temporary views of a job.
 *
 * A temporary view is kept as its text, as a persistent one is in the
 * metastore (store_view_*): the analyzer parses it again at each use (in
 * the using statement's arena), so nothing here outlives a statement's
 * arena but these copies.  A job holds a handful of views: a list.
 */
#include "sql_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sql_temp_view {
	char *name, *text;
	char **cols;
	uint32_t ncols;
	struct sql_temp_view *next;
} sql_temp_view;

struct sql_temp_views {
	sql_temp_view *head;
};

sql_temp_views *sql_temp_views_new(void)
{
	return calloc(1, sizeof(sql_temp_views));
}

static void sql_temp_view_free(sql_temp_view *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cols);
	free(t->name);
	free(t->text);
	free(t);
}

void sql_temp_views_free(sql_temp_views *v)
{
	if (!v)
		return;
	while (v->head) {
		sql_temp_view *t = v->head;

		v->head = t->next;
		sql_temp_view_free(t);
	}
	free(v);
}

static sql_temp_view **sql_temp_view_find(sql_temp_views *v, const char *name)
{
	sql_temp_view **at = &v->head;

	while (*at && strcasecmp((*at)->name, name) != 0)
		at = &(*at)->next;
	return at;
}

void sql_view_text(const sql_stmt *s, const char *text, const char **ptr, size_t *len)
{
	*ptr = text + s->query_start;
	*len = s->end > s->query_start ? s->end - s->query_start : 0;
}

int sql_temp_view_create(sql_temp_views *v, const sql_stmt *s, const char *text, sql_error *err)
{
	sql_temp_view **at, *t;
	const char *q;
	size_t n;

	if (!v || s->kind != SQL_STMT_CREATE_VIEW || !s->temporary || s->ntarget != 1)
		return -EINVAL;
	at = sql_temp_view_find(v, s->target[0]);
	if (*at && s->if_not_exists)
		return 0;
	if (*at && !s->or_replace) {
		sql_error_set(err, s->line, s->col, "temporary view \"%s\" already exists",
			      s->target[0]);
		return -EEXIST;
	}
	t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	sql_view_text(s, text, &q, &n);
	t->name = strdup(s->target[0]);
	t->text = strndup(q, n);
	t->cols = calloc(s->ncolumns + 1, sizeof *t->cols);
	if (!t->name || !t->text || !t->cols) {
		sql_temp_view_free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < s->ncolumns; i++) {
		t->cols[i] = strdup(s->columns[i].name);
		if (!t->cols[i]) {
			sql_temp_view_free(t);
			return -ENOMEM;
		}
		t->ncols = i + 1;
	}
	if (*at) {
		t->next = (*at)->next;
		sql_temp_view_free(*at);
	}
	*at = t;
	return 0;
}

int sql_temp_view_drop(sql_temp_views *v, const char *name)
{
	sql_temp_view **at, *t;

	if (!v)
		return -ENOENT;
	at = sql_temp_view_find(v, name);
	if (!*at)
		return -ENOENT;
	t = *at;
	*at = t->next;
	sql_temp_view_free(t);
	return 0;
}

int sql_temp_view_get(const sql_temp_views *v, const char *name, const char **text,
		      const char *const **cols, uint32_t *ncols)
{
	sql_temp_view *const *at;

	if (!v)
		return -ENOENT;
	at = sql_temp_view_find((sql_temp_views *)v, name);
	if (!*at)
		return -ENOENT;
	*text = (*at)->text;
	*cols = (const char *const *)(*at)->cols;
	*ncols = (*at)->ncols;
	return 0;
}
