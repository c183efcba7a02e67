/*
 * sql_engine_fixture.h - a temporary platform for the engine's tests: a
 * metastore (store_open in a fresh directory), a data store beside it,
 * tables with schemas, data files registered in partitions, resolved scans
 * built by hand, and a sink that collects result rows as text.
 */
#ifndef METAFS_SQL_ENGINE_FIXTURE_H
#define METAFS_SQL_ENGINE_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base_fs.h"
#include "base_path.h"
#include "fmt_scan.h"
#include "sql_int.h"
#include "testdir.h"

typedef struct fx {
	char dir[PATH_MAX];
	char data[PATH_MAX];
	store_env *env;
	sql_platform pf;
	sql_catalog cat;
	sql_arena *a;
} fx;

static inline int fx_open(fx *f)
{
	char meta[PATH_MAX + 8];

	memset(f, 0, sizeof *f);
	if (testdir_make(f->dir))
		return -1;
	if (base_path_format(meta, sizeof meta, "%s/meta", f->dir) ||
	    base_path_format(f->data, sizeof f->data, "%s/data", f->dir) ||
	    mkdir(meta, 0755) || mkdir(f->data, 0755))
		return -1;
	if (store_open(meta, NULL, &f->env))
		return -1;
	f->pf = (sql_platform){.name = "warehouse", .data_dir = f->data, .store = f->env};
	f->cat = (sql_catalog){.platforms = &f->pf, .nplatforms = 1};
	f->a = sql_arena_new();
	return 0;
}

static inline void fx_close(fx *f)
{
	store_close(f->env);
	sql_arena_free(f->a);
	testdir_remove(f->dir);
}

/* Parse "name:type,name:type" into columns; returns the count. */
static inline uint32_t fx_columns(const char *spec, store_column *out)
{
	uint32_t n = 0;
	char buf[1024];

	if (!spec || !spec[0])
		return 0;
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		*colon = '\0';
		snprintf(out[n].name, sizeof out[n].name, "%s", tok);
		if (store_type_parse(colon + 1, &out[n].type))
			abort();
		n++;
	}
	return n;
}

/* Create db (if needed) and table db.name whose schema is the NCOLUMNS data
 * columns at C followed by its NPARTKEYS partition keys; its id in *ID
 * (ID may be NULL).  The catalog fixture makes its tables here too. */
static inline int fx_table_create(store_env *env, const char *db, const char *name,
				  store_format format, bool header, store_column *c,
				  uint32_t ncolumns, uint32_t npartkeys, uint64_t *id)
{
	store_txn *txn;
	store_table t = {0};
	int rc = store_write_begin(env, &txn);

	if (rc)
		return rc;
	rc = store_database_create(txn, db, 0, 0, STORE_ORIGIN_TOOL, NULL);
	if (rc && rc != -EEXIST)
		goto out;
	if ((rc = store_table_create(txn, db, name, 0, 0, STORE_ORIGIN_TOOL, &t)))
		goto out;
	snprintf(t.db, sizeof t.db, "%s", db);
	snprintf(t.name, sizeof t.name, "%s", name);
	t.format = format;
	t.header = header;
	t.ncolumns = ncolumns;
	t.npartkeys = npartkeys;
	t.columns = c;
	t.properties = NULL;
	rc = store_table_set_schema(txn, &t, STORE_ORIGIN_TOOL);
out:
	if (rc) {
		store_abort(txn);
		return rc;
	}
	if ((rc = store_commit(txn)) == 0 && id)
		*id = t.id;
	return rc;
}

/* Create db (if needed) and table db.name with COLS and PARTKEYS. */
static inline int fx_table(fx *f, const char *db, const char *name, store_format format,
			   bool header, const char *cols, const char *partkeys)
{
	store_column c[64];
	uint32_t ncolumns = fx_columns(cols, c);
	uint32_t npartkeys = fx_columns(partkeys, c + ncolumns);

	return fx_table_create(f->env, db, name, format, header, c, ncolumns, npartkeys, NULL);
}

static inline int fx_write(const char *path, const char *content)
{
	char dir[PATH_MAX];

	if (base_path_format(dir, sizeof dir, "%s", path))
		return -ENAMETOOLONG;
	*strrchr(dir, '/') = '\0';
	base_fs_mkdirs(dir, 0755);
	FILE *fp = fopen(path, "w");
	if (!fp)
		return -errno;
	fputs(content, fp);
	return fclose(fp) ? -errno : 0;
}

/* Write CONTENT as data file NAME of partition VALUES (NULL: unpartitioned)
 * of db.table, and register it (pnodes created as needed). */
static inline int fx_add_file(fx *f, const char *db, const char *table, const char *const *values,
			      const char *name, const char *content)
{
	store_txn *txn;
	store_table t = {0};
	char path[PATH_MAX];
	int rc = store_write_begin(f->env, &txn);

	if (rc)
		return rc;
	if ((rc = store_table_get(txn, db, table, &t)))
		goto out;
	uint64_t parent = 0;
	for (uint32_t k = 0; k < t.npartkeys; k++) {
		store_pnode p;
		rc = store_pnode_get(txn, t.id, parent, values[k], &p);
		if (rc == -ENOENT)
			rc = store_pnode_create(txn, t.id, parent, values[k], 0, 0, STORE_ORIGIN_TOOL, &p);
		if (rc)
			goto out;
		parent = p.id;
	}
	uint64_t container = t.npartkeys ? parent : t.id;
	if ((rc = store_data_path(txn, f->data, &t, container, name, path, sizeof path)) ||
	    (rc = fx_write(path, content)))
		goto out;
	store_file rec = {.pnode_id = container};
	snprintf(rec.name, sizeof rec.name, "%s", name);
	int fd = open(path, O_RDONLY);
	fmt_file_stats scan;
	rc = fmt_file_scan(fd, path, &t, &scan, NULL);
	close(fd);
	if (!rc) {
		fmt_file_stats_to_record(&scan, &rec);
		rc = store_file_put(txn, &rec, STORE_ORIGIN_TOOL);
		fmt_file_stats_clear(&scan);
	}
out:
	store_table_clear(&t);
	if (rc) {
		store_abort(txn);
		return rc;
	}
	return store_commit(txn);
}

/* A resolved SCAN of every column of db.table, as the analyzer builds it. */
static inline sql_plan *fx_scan(fx *f, const char *db, const char *table)
{
	store_txn *txn;
	store_table t = {0};

	if (store_read_begin(f->env, &txn) || store_table_get(txn, db, table, &t))
		abort();
	store_abort(txn);
	sql_scan *s = sql_arena_alloc(f->a, sizeof *s);
	uint32_t n = t.ncolumns + t.npartkeys;
	s->platform = 0;
	s->platform_name = "warehouse";
	s->db = sql_arena_strdup(f->a, db);
	s->table = sql_arena_strdup(f->a, table);
	s->table_id = t.id;
	s->format = t.format;
	s->header = t.header;
	s->ncolumns = t.ncolumns;
	s->npartkeys = t.npartkeys;
	s->types = sql_arena_alloc(f->a, n * sizeof *s->types);
	s->names = sql_arena_alloc(f->a, n * sizeof *s->names);
	s->columns = sql_arena_alloc(f->a, n * sizeof *s->columns);
	for (uint32_t i = 0; i < n; i++) {
		s->types[i] = sql_type_from_store(t.columns[i].type);
		s->names[i] = sql_arena_strdup(f->a, t.columns[i].name);
		s->columns[i] = i;
	}
	s->nout = n;
	store_table_clear(&t);
	sql_plan *p = sql_plan_new(f->a, SQL_PLAN_SCAN, 1, 15);
	p->scan = s;
	return p;
}

/* ---- expressions ---------------------------------------------------------------- */

static inline sql_expr *fx_col(fx *f, int32_t ordinal, sql_type type)
{
	sql_expr *e = sql_expr_new(f->a, SQL_EXPR_COLUMN, 1, 8);

	e->ordinal = ordinal;
	e->type = type;
	e->resolved = true;
	return e;
}

static inline sql_expr *fx_lit(fx *f, sql_value v)
{
	sql_expr *e = sql_expr_new(f->a, SQL_EXPR_LITERAL, 1, 8);

	e->value = v;
	e->type = v.type;
	e->resolved = true;
	return e;
}

static inline sql_expr *fx_str(fx *f, const char *s)
{
	return fx_lit(f, (sql_value){.type = SQL_TYPE_STRING,
				     .u.s = {sql_arena_strdup(f->a, s), (uint32_t)strlen(s)}});
}

static inline sql_expr *fx_big(fx *f, int64_t i)
{
	return fx_lit(f, (sql_value){.type = SQL_TYPE_BIGINT, .u.i = i});
}

static inline sql_expr *fx_bin(fx *f, sql_op op, sql_type type, sql_expr *l, sql_expr *r)
{
	sql_expr *e = sql_expr_new(f->a, SQL_EXPR_BINARY, 2, 7);

	e->op = op;
	e->type = type;
	e->resolved = true;
	e->nargs = 2;
	e->args = sql_arena_alloc(f->a, 2 * sizeof *e->args);
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

static inline sql_expr *fx_agg(fx *f, sql_agg_fn fn, sql_type type, sql_expr *arg, bool distinct)
{
	sql_expr *e = sql_expr_new(f->a, SQL_EXPR_AGG, 1, 20);

	e->agg = fn;
	e->type = type;
	e->distinct = distinct;
	e->resolved = true;
	if (arg) {
		e->nargs = 1;
		e->args = sql_arena_alloc(f->a, sizeof *e->args);
		e->args[0] = arg;
	}
	return e;
}

static inline sql_plan *fx_node(fx *f, sql_plan_kind kind, sql_plan *child, uint32_t line)
{
	sql_plan *p = sql_plan_new(f->a, kind, line, 1);

	p->child[0] = child;
	return p;
}

/* ---- a sink that keeps rows as text ----------------------------------------------- */

typedef struct fx_rows {
	char *rows[4096];
	uint32_t n;
} fx_rows;

/* "a|b|NULL" */
static inline int fx_rows_add(void *ctx, const sql_value *v, uint32_t n)
{
	fx_rows *r = ctx;
	textbuf b = TEXTBUF_INIT;

	for (uint32_t i = 0; i < n; i++) {
		if (i)
			textbuf_puts(&b, "|");
		sql_value_print(&v[i], &b);
	}
	if (r->n >= 4096) {
		textbuf_free(&b);
		return -E2BIG;
	}
	r->rows[r->n++] = b.data ? textbuf_steal(&b, NULL) : strdup("");
	return 0;
}

static inline void fx_rows_free(fx_rows *r)
{
	for (uint32_t i = 0; i < r->n; i++)
		free(r->rows[i]);
	r->n = 0;
}

static inline int fx_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void fx_rows_sort(fx_rows *r)
{
	qsort(r->rows, r->n, sizeof r->rows[0], fx_cmp_str);
}

#endif
