/*
 * mgr_job_exec.c - running one job: every statement through the sql/
 * stages, DDL through the manager's catalog operations, output through the
 * engine and one commit per statement.
 *
 * Each statement is atomic: a query's output is staged and committed in one
 * metastore transaction at its end (sql_output_commit); a failed statement
 * commits nothing and stops the job, whose status then names it.
 * Statements before it stay committed, as in any SQL script run without an
 * enclosing transaction.
 *
 * Privileges (mgr_access.h).  Every statement runs as the job's submitter
 * and needs: SUBMIT on the platform whose engine runs it, SELECT on every
 * table it reads (each table its parsed plan names, and those the queries
 * of the views it names name: a view grants nothing), and for its target
 * MODIFY (INSERT, ADD/DROP PARTITION, MSCK REPAIR), CREATE on the database
 * (CREATE TABLE [AS]) or on the platform (CREATE DATABASE), ADMIN (DROP
 * TABLE, DROP DATABASE) or SELECT (SHOW PARTITIONS).  So that a denial
 * commits nothing in the common case, the whole job is checked before its
 * first statement runs: every statement that can be analyzed against the
 * catalog as it is (in an arena of its own) is checked then, and audited
 * once; one that cannot (it reads or writes what an earlier statement
 * creates) is checked, and audited, right before it runs.  A statement
 * checked up front is checked again before it runs, silently, in case an
 * earlier statement revoked something.  Access control statements (GRANT,
 * CREATE ROLE, ...) are checked by the access API itself.
 *
 * Names (job_access, the catalog's access hook).  The analyzer resolves
 * every name a statement writes as the submitter sees the catalog, by the
 * rule of the mount's listings (mgr_access_visible): a platform, database
 * or table the submitter holds no privilege on, above or below, is
 * answered exactly as one that does not exist ("unknown table ..."), and
 * "did you mean" offers only visible names.  A visible table the statement
 * reads without SELECT (or writes without MODIFY, ...) is refused during
 * analysis, before its columns are resolved, with the message and audit
 * entry the check below would give.  A hidden name is audited (its action,
 * "deny", "not visible to the caller"); a missing one writes nothing: the
 * audit log is read only with ADMIN on the metastore, which sees every
 * name anyway.  Up front, a hidden name is treated as a missing one (the
 * statement is left to be checked when it runs, as it may read what an
 * earlier statement creates) and audited only then, so that what the job
 * commits before failing does not tell the two apart either.
 *
 * Engines.  A statement runs on the engine of the platform its output is
 * on (the target of INSERT, CREATE TABLE [AS] and the DDL statements); a
 * SELECT on that of the platform of the tables it reads when they are all
 * on one, else the first platform's.  Each platform names its engine in
 * metafs.ini (engine = embedded, the default).  The choice is the
 * catalog's engine_platform: the scans of other platforms' tables then read
 * through the exchange (mgr_exchange_catalog).
 */
#include "fmt.h"
#include "fmt_csv.h"
#include "mgr_access.h"
#include "mgr_job_int.h"
#include "sync.h"
#include "mgr_int.h"
#include "mgr_exchange.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

_Static_assert((unsigned)SQL_PRIV_SELECT == (unsigned)MGR_PRIV_SELECT &&
	       (unsigned)SQL_PRIV_MODIFY == (unsigned)MGR_PRIV_MODIFY &&
	       (unsigned)SQL_PRIV_CREATE == (unsigned)MGR_PRIV_CREATE &&
	       (unsigned)SQL_PRIV_SUBMIT == (unsigned)MGR_PRIV_SUBMIT &&
	       (unsigned)SQL_PRIV_SYNC == (unsigned)MGR_PRIV_SYNC &&
	       (unsigned)SQL_PRIV_ADMIN == (unsigned)MGR_PRIV_ADMIN &&
	       (unsigned)SQL_PRIV_ALL == (unsigned)MGR_PRIV_ALL,
	       "the privilege bits of sql/ and manager/ differ");

/* The engines a platform may name in metafs.ini. */
static const sql_engine_methods *const known_engines[] = {&sql_engine_embedded};

const sql_engine_methods *mgr_engine_find(const char *name)
{
	for (size_t i = 0; i < sizeof known_engines / sizeof *known_engines; i++)
		if (strcmp(known_engines[i]->name, name) == 0)
			return known_engines[i];
	return NULL;
}

struct run_ctx {
	mgr *m;
	struct job *job;
	uint32_t run;
	uint32_t uid, gid;
	const char *text;
	size_t len;
	sql_catalog catalog;
	mgr_exchange_scan scans;    /* the catalog's scan hook: as the submitter */
	sql_platform platforms[MGR_MAX_PLATFORMS];
	sql_limits limits;
	sql_progress progress;
	textbuf plan, log, dot, resources;
	textbuf result;             /* the rows of the current statement that produces rows */
	uint32_t nresults;          /* results written so far (results/N.csv) */
	uint64_t rows_written, partitions_written;
	sql_error err;
	sql_arena *arena;
	mgr_principal who;          /* the submitter */
	bool *prechecked;           /* [statement index - 1]: checked and audited up front */
	bool preflight;             /* analyzing up front: hidden names are not audited yet */
	const sql_engine_methods *engine;   /* of the current statement */
	textbuf engine_stmts[MGR_MAX_PLATFORMS];   /* ", 1, 3": statements each engine ran */
};

static void run_log(struct run_ctx *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_log(struct run_ctx *rc, const char *fmt, ...)
{
	char when[40];
	mgr_format_time(store_now_ns(), when);
	textbuf_printf(&rc->log, "%s ", when);
	va_list ap;
	va_start(ap, fmt);
	textbuf_vprintf(&rc->log, fmt, ap);
	va_end(ap);
	textbuf_puts(&rc->log, "\n");
	mgr_job_write_file(rc->job, rc->run, MGR_JOB_FILE_LOG, rc->log.data ? rc->log.data : "",
			   rc->log.len);
}

static void engine_log(void *ctx, const char *line)
{
	run_log(ctx, "%s", line);
}

void mgr_job_render_progress(const struct job *job, uint32_t run, textbuf *out)
{
	const struct job_run *r = &job->runs[run - 1];
	const sql_progress *p = r->progress;
	double elapsed = (double)(store_now_ns() - r->started_ns) / 1e9;
	textbuf_printf(out,
		       "partitions: %llu of %llu\nbytes: %llu of %llu\nrows_read: %llu\nrows_written: %llu\n"
		       "rows_skipped: %llu\nelapsed: %.3f s\n",
		       (unsigned long long)__atomic_load_n(&p->partitions_done, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->partitions_total, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->bytes_read, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->bytes_total, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->rows_read, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->rows_out, __ATOMIC_RELAXED),
		       (unsigned long long)__atomic_load_n(&p->rows_skipped, __ATOMIC_RELAXED), elapsed);
}

/* The statement's first line, shortened, for logs and status. */
static void stmt_summary(const struct run_ctx *rc, const sql_stmt *s, char *out, size_t cap)
{
	size_t start = s->start < rc->len ? s->start : rc->len;
	size_t end = s->end <= rc->len && s->end > start ? s->end : rc->len;
	size_t n = 0;
	for (size_t i = start; i < end && n + 4 < cap; i++) {
		char c = rc->text[i];
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && n > 0 && out[n - 1] == ' ')
			continue;
		out[n++] = c;
	}
	if (n + 4 >= cap && end - start > n)
		memcpy(out + n - 3, "...", 3);
	out[n] = '\0';
}

/* Resolve [platform.]name: the platform named, or the default. */
static mgr_platform *target_platform(struct run_ctx *rc, const sql_stmt *s, unsigned parts,
				     const char **names)
{
	if (s->ntarget == parts + 1) {
		mgr_platform *p = mgr_platform_find(rc->m, s->target[0]);
		if (!p)
			sql_error_set(&rc->err, s->line, s->col, "unknown platform \"%s\"", s->target[0]);
		for (unsigned i = 0; i < parts; i++)
			names[i] = s->target[i + 1];
		return p;
	}
	if (s->ntarget != parts) {
		sql_error_set(&rc->err, s->line, s->col, "expected %s", parts == 1 ? "[platform.]database"
							       : "[platform.]database.table");
		return NULL;
	}
	for (unsigned i = 0; i < parts; i++)
		names[i] = s->target[i];
	return mgr_platform_at(rc->m, rc->catalog.default_platform);
}

static int fail_errno(struct run_ctx *rc, const sql_stmt *s, int err, const char *what)
{
	sql_error_set(&rc->err, s->line, s->col, "%s: %s", what, store_strerror(err));
	return err;
}

/* ---- results ------------------------------------------------------------------------- */

/* Every statement that produces rows makes one result (mgr_job.h): its
 * CSV, header line first, collects in rc->result from result_begin() and
 * becomes results/N.csv and `result` at result_end(), once the statement
 * has produced all of it. */
static void result_begin(struct run_ctx *rc)
{
	textbuf_reset(&rc->result);
}

/* One line of fields, each CSV-quoted as needed. */
static void result_line(struct run_ctx *rc, const char *const *fields, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			textbuf_append(&rc->result, ",", 1);
		fmt_csv_field(&rc->result, fields[i], strlen(fields[i]));
	}
	textbuf_append(&rc->result, "\n", 1);
}

static int result_end(struct run_ctx *rc, const sql_stmt *s)
{
	int err = textbuf_error(&rc->result);
	if (err == 0)
		err = mgr_job_write_result(rc->job, rc->run, rc->nresults + 1,
					   rc->result.data ? rc->result.data : "", rc->result.len);
	textbuf_reset(&rc->result);
	if (err)
		return fail_errno(rc, s, err, "cannot write the result");
	rc->nresults++;
	return 0;
}

/* Does S (as it runs, not explained) produce rows? */
static bool stmt_makes_result(const sql_stmt *s)
{
	switch (s->kind) {
	case SQL_STMT_SELECT:
	case SQL_STMT_SHOW_PARTITIONS:
	case SQL_STMT_SHOW_GRANTS:
	case SQL_STMT_SHOW_ROLES:
	case SQL_STMT_SHOW_VIEWS:
		return true;
	default:
		return false;
	}
}

/* ---- DDL --------------------------------------------------------------------------- */

static void schema_text(const sql_stmt *s, const sql_plan *query, textbuf *out)
{
	textbuf_printf(out, "format %s\n", fmt_name(s->format));
	/* A csv table made by a job starts its files with a header line unless
	 * the statement says 'header' = 'false': other engines then read the
	 * column names from the files. */
	bool header = true;
	for (uint32_t i = 0; i < s->nprops; i++)
		if (!strcasecmp(s->props[i].key, "header"))
			header = !strcasecmp(s->props[i].value, "true");
	if (s->format == STORE_FORMAT_CSV)
		textbuf_printf(out, "header %s\n", header ? "true" : "false");
	if (query) {
		/* CREATE TABLE AS: the query's columns; those named in PARTITIONED BY
		 * become the partition keys, in that order. */
		for (uint32_t i = 0; i < query->noutput; i++) {
			bool part = false;
			for (uint32_t k = 0; k < s->npartcols; k++)
				part |= !strcasecmp(s->partcols[k].name, query->output[i].name);
			if (!part)
				textbuf_printf(out, "column %s %s\n", query->output[i].name,
					       store_type_name(sql_type_to_store(query->output[i].type)));
		}
		for (uint32_t k = 0; k < s->npartcols; k++)
			for (uint32_t i = 0; i < query->noutput; i++)
				if (!strcasecmp(s->partcols[k].name, query->output[i].name))
					textbuf_printf(out, "partition %s %s\n", query->output[i].name,
						       store_type_name(sql_type_to_store(query->output[i].type)));
	} else {
		for (uint32_t i = 0; i < s->ncolumns; i++)
			textbuf_printf(out, "column %s %s\n", s->columns[i].name,
				       store_type_name(sql_type_to_store(s->columns[i].type)));
		for (uint32_t i = 0; i < s->npartcols; i++)
			textbuf_printf(out, "partition %s %s\n", s->partcols[i].name,
				       store_type_name(sql_type_to_store(s->partcols[i].type)));
	}
	for (uint32_t i = 0; i < s->nprops; i++)
		if (strcasecmp(s->props[i].key, "header"))
			textbuf_printf(out, "property %s = %s\n", s->props[i].key, s->props[i].value);
}

/* Can NAME be a column of the schema text: one word that reads back as
 * itself?  Else the reason, at LINE:COL. */
static int schema_name_check(struct run_ctx *rc, const char *name, uint32_t line, uint32_t col)
{
	long c = store_text_control(name, strlen(name));
	const char *why = NULL;
	char shown[68];
	store_text_shown(name, strlen(name), shown, sizeof shown);
	if (c >= 0)
		sql_error_set(&rc->err, line, col, "column '%s': name holds a control character "
			      "(U+%04lX)", shown, (unsigned long)c);
	else if (strchr(name, ' '))
		sql_error_set(&rc->err, line, col, "column '%s': name holds a space", shown);
	else if (strchr(name, '='))
		sql_error_set(&rc->err, line, col, "column '%s': name holds '='", shown);
	else if (!store_name_valid(name, &why))
		sql_error_set(&rc->err, line, col, "column '%s': %s", shown, why);
	else
		return 0;
	return -EINVAL;
}

/* Refuse, before anything is made, what schema_text would write as other
 * lines than it means: every name and property is checked as .schema
 * reads it back. */
static int schema_check(struct run_ctx *rc, const sql_stmt *s, const sql_plan *query)
{
	int err = 0;
	if (query)
		for (uint32_t i = 0; i < query->noutput && !err; i++)
			err = schema_name_check(rc, query->output[i].name, s->line, s->col);
	for (uint32_t i = 0; i < s->ncolumns && !err; i++)
		err = schema_name_check(rc, s->columns[i].name, s->columns[i].line, s->columns[i].col);
	for (uint32_t i = 0; i < s->npartcols && !err; i++)
		err = schema_name_check(rc, s->partcols[i].name, s->partcols[i].line, s->partcols[i].col);
	for (uint32_t i = 0; i < s->nprops && !err; i++) {
		char why[160];
		const char *k = s->props[i].key, *v = s->props[i].value;
		err = store_property_check(k, strlen(k), v, strlen(v), why, sizeof why);
		if (err)
			sql_error_set(&rc->err, s->line, s->col, "%s", why);
	}
	return err;
}

static int create_table(struct run_ctx *rc, const sql_stmt *s, const sql_plan *query,
			mgr_platform **pout, const char **names)
{
	mgr_platform *p = target_platform(rc, s, 2, names);
	if (!p)
		return -EINVAL;
	*pout = p;
	int err = schema_check(rc, s, query);
	if (err)
		return err;
	err = mgr_table_create(p, names[0], names[1], rc->uid, rc->gid, STORE_ORIGIN_JOB, NULL);
	if (err == -EEXIST && s->if_not_exists)
		return -EEXIST;   /* the caller does nothing, as Spark does */
	if (err == -EEXIST) {
		sql_error_set(&rc->err, s->line, s->col, "table %s.%s.%s already exists", p->name, names[0],
			      names[1]);
		return err;
	}
	if (err == -ENOENT) {
		sql_error_set(&rc->err, s->line, s->col, "unknown database \"%s\" in platform %s", names[0],
			      p->name);
		return err;
	}
	if (err)
		return fail_errno(rc, s, err, "cannot create the table");
	textbuf text = TEXTBUF_INIT;
	schema_text(s, query, &text);
	char why[256] = "";
	err = textbuf_error(&text);
	if (err == 0)
		err = mgr_table_define(p, names[0], names[1], text.data, text.len, STORE_ORIGIN_JOB, why,
				       sizeof why);
	textbuf_free(&text);
	if (err) {
		mgr_table_drop(p, names[0], names[1], STORE_ORIGIN_JOB);
		sql_error_set(&rc->err, s->line, s->col, "cannot create the table: %s", why);
	}
	return err;
}

/* Find the leaf pnode of a full PARTITION (k=v, ...) spec, creating the
 * levels when CREATE; then -EEXIST if the leaf was there already. */
static int pspec_pnode(struct run_ctx *rc, mgr_platform *p, const store_table *t,
		       const sql_stmt *s, const sql_pspec *ps, bool create, uint64_t *leaf)
{
	bool made_leaf = false;
	if (ps->nitems != t->npartkeys) {
		sql_error_set(&rc->err, s->line, s->col, "the partition spec must name all %u partition keys",
			      t->npartkeys);
		return -EINVAL;
	}
	uint64_t parent = 0;
	for (uint32_t i = 0; i < ps->nitems; i++) {
		const sql_pspec_item *it = &ps->items[i];
		const char *key = t->columns[t->ncolumns + i].name;
		if (strcasecmp(it->key, key) || !it->value) {
			sql_error_set(&rc->err, it->line, it->col, "expected %s=VALUE here", key);
			return -EINVAL;
		}
		sql_value v;
		int err = sql_eval_const(rc->arena, it->value, &v);
		textbuf raw = TEXTBUF_INIT;
		if (err == 0)
			sql_value_print(&v, &raw);
		if (err || v.null || !raw.data || textbuf_error(&raw)) {
			textbuf_free(&raw);
			sql_error_set(&rc->err, it->line, it->col, "partition value of %s must be a non-NULL literal",
				      key);
			return -EINVAL;
		}
		store_txn *txn = NULL;
		store_pnode pn;
		err = store_read_begin(p->store, &txn);
		if (err == 0)
			err = store_pnode_get(txn, t->id, parent, raw.data, &pn);
		store_abort(txn);
		if (err == -ENOENT && create) {
			char esc[3 * STORE_NAME_MAX + 1], name[4 * STORE_NAME_MAX];
			err = store_hive_escape(raw.data, esc, sizeof esc);
			if (err == 0)
				err = base_path_format(name, sizeof name, "%s=%s", key, esc);
			if (err == 0)
				err = mgr_pnode_create(p, t, parent, name, rc->uid, rc->gid, STORE_ORIGIN_JOB, &pn);
			made_leaf = err == 0 && i + 1 == ps->nitems;
		}
		textbuf_free(&raw);
		if (err)
			return err;
		parent = pn.id;
	}
	*leaf = parent;
	return create && !made_leaf ? -EEXIST : 0;
}

static int load_target(struct run_ctx *rc, const sql_stmt *s, mgr_platform **pout, store_table *t)
{
	const char *names[2];
	mgr_platform *p = target_platform(rc, s, 2, names);
	if (!p)
		return -EINVAL;
	store_txn *txn = NULL;
	int err = store_read_begin(p->store, &txn);
	if (err == 0)
		err = store_table_get(txn, names[0], names[1], t);
	store_abort(txn);
	if (err == -ENOENT)
		sql_error_set(&rc->err, s->line, s->col, "unknown table %s.%s.%s", p->name, names[0], names[1]);
	else if (err)
		return fail_errno(rc, s, err, "cannot read the table");
	*pout = p;
	return err;
}

static int partitions_ddl(struct run_ctx *rc, const sql_stmt *s)
{
	mgr_platform *p;
	store_table t = {0};
	int err = load_target(rc, s, &p, &t);
	for (uint32_t i = 0; err == 0 && i < s->npspecs; i++) {
		uint64_t leaf = 0;
		if (s->kind == SQL_STMT_ADD_PARTITION) {
			err = pspec_pnode(rc, p, &t, s, &s->pspecs[i], true, &leaf);
			if (err == -EEXIST && s->if_not_exists)
				err = 0;
			else if (err == -EEXIST)
				sql_error_set(&rc->err, s->line, s->col,
					      "partition %u of the statement already exists (use IF NOT EXISTS)", i + 1);
			continue;
		}
		err = pspec_pnode(rc, p, &t, s, &s->pspecs[i], false, &leaf);
		if (err == -ENOENT && s->if_exists) {
			err = 0;
			continue;
		}
		if (err == -ENOENT)
			sql_error_set(&rc->err, s->line, s->col, "no such partition");
		if (err)
			break;
		err = mgr_pnode_purge(p, &t, leaf, STORE_ORIGIN_JOB);
		if (err)
			fail_errno(rc, s, err, "cannot drop the partition");
	}
	if (err && !rc->err.message[0])
		fail_errno(rc, s, err, "cannot change partitions");
	store_table_clear(&t);
	return err;
}

static int show_partitions(struct run_ctx *rc, const sql_stmt *s)
{
	mgr_platform *p;
	store_table t = {0};
	int err = load_target(rc, s, &p, &t);
	if (err)
		return err;
	const char *header = "partition";
	result_begin(rc);
	result_line(rc, &header, 1);
	/* Depth-first over the levels, in key order. */
	store_txn *txn = NULL;
	err = store_read_begin(p->store, &txn);
	struct level {
		store_iter *it;
		char prefix[1024];
	} stack[STORE_MAX_PARTKEYS + 1];
	int depth = 0;
	if (err == 0 && t.npartkeys) {
		stack[0].prefix[0] = '\0';
		err = store_iter_pnodes(txn, t.id, 0, NULL, &stack[0].it);
	}
	while (err == 0 && t.npartkeys && depth >= 0) {
		store_pnode pn;
		int e = store_iter_next(stack[depth].it, &pn);
		if (e == -ENOENT) {
			store_iter_close(stack[depth].it);
			depth--;
			continue;
		}
		if (e) {
			err = e;
			break;
		}
		char name[4 * STORE_NAME_MAX];
		mgr_pnode_name(&t, &pn, name, sizeof name);
		char path[1024];
		snprintf(path, sizeof path, "%s%s%s", stack[depth].prefix, depth ? "/" : "", name);
		if (pn.leaf) {
			const char *field = path;
			result_line(rc, &field, 1);
		} else if (depth + 1 < STORE_MAX_PARTKEYS) {
			depth++;
			snprintf(stack[depth].prefix, sizeof stack[depth].prefix, "%s", path);
			err = store_iter_pnodes(txn, t.id, pn.id, NULL, &stack[depth].it);
		}
	}
	if (err)
		while (depth >= 0)
			store_iter_close(stack[depth--].it);
	store_abort(txn);
	store_table_clear(&t);
	return err ? fail_errno(rc, s, err, "cannot list partitions") : result_end(rc, s);
}

static int run_ddl(struct run_ctx *rc, const sql_stmt *s)
{
	const char *names[2] = {NULL, NULL};
	mgr_platform *p = NULL;
	int err;
	switch (s->kind) {
	case SQL_STMT_CREATE_DATABASE:
		if (!(p = target_platform(rc, s, 1, names)))
			return -EINVAL;
		err = mgr_database_create(p, names[0], rc->uid, rc->gid, STORE_ORIGIN_JOB, NULL);
		if (err == -EEXIST && s->if_not_exists)
			return 0;
		if (err == -EEXIST)
			sql_error_set(&rc->err, s->line, s->col, "database %s.%s already exists", p->name, names[0]);
		else if (err)
			fail_errno(rc, s, err, "cannot create the database");
		return err;
	case SQL_STMT_DROP_DATABASE:
		if (!(p = target_platform(rc, s, 1, names)))
			return -EINVAL;
		err = mgr_database_drop(p, names[0], STORE_ORIGIN_JOB);
		if (err == -ENOENT && s->if_exists)
			return 0;
		if (err == -ENOTEMPTY)
			sql_error_set(&rc->err, s->line, s->col, "database %s.%s is not empty: drop its tables first",
				      p->name, names[0]);
		else if (err == -ENOENT)
			sql_error_set(&rc->err, s->line, s->col, "unknown database %s.%s", p->name, names[0]);
		else if (err)
			fail_errno(rc, s, err, "cannot drop the database");
		return err;
	case SQL_STMT_CREATE_TABLE:
		err = create_table(rc, s, NULL, &p, names);
		return err == -EEXIST && s->if_not_exists ? 0 : err;
	case SQL_STMT_DROP_TABLE:
		if (!(p = target_platform(rc, s, 2, names)))
			return -EINVAL;
		err = mgr_table_purge(p, names[0], names[1], STORE_ORIGIN_JOB);
		if (err == -ENOENT && s->if_exists)
			return 0;
		if (err == -ENOENT)
			sql_error_set(&rc->err, s->line, s->col, "unknown table %s.%s.%s", p->name, names[0], names[1]);
		else if (err)
			fail_errno(rc, s, err, "cannot drop the table");
		return err;
	case SQL_STMT_ADD_PARTITION:
	case SQL_STMT_DROP_PARTITION:
		return partitions_ddl(rc, s);
	case SQL_STMT_SET_PROPERTIES:
		/* Reserved names were refused before (stmt_authorize). */
		sql_error_set(&rc->err, s->line, s->col, "ALTER TABLE ... SET TBLPROPERTIES is not "
			      "supported: give the properties in CREATE TABLE ... TBLPROPERTIES");
		return -ENOTSUP;
	case SQL_STMT_MSCK_REPAIR: {
		if (!(p = target_platform(rc, s, 2, names)))
			return -EINVAL;
		mgr_repair_stats st;
		err = mgr_table_repair(p, names[0], names[1], STORE_ORIGIN_JOB, &st);
		if (err == -ENOENT)
			sql_error_set(&rc->err, s->line, s->col, "unknown table %s.%s.%s", p->name, names[0], names[1]);
		else if (err)
			return fail_errno(rc, s, err, "cannot repair the table");
		else
			run_log(rc, "repaired %s.%s.%s: %llu partitions added, %llu files added, %llu files "
				    "removed, %llu files updated%s%s", p->name, names[0], names[1],
				(unsigned long long)st.partitions_added, (unsigned long long)st.files_added,
				(unsigned long long)st.files_removed, (unsigned long long)st.files_updated,
				st.files_skipped ? "; uncommitted job output skipped (see the log)" : "",
				st.files_refused ? "; files not of the table's format skipped (see the log)"
						 : "");
		return err;
	}
	case SQL_STMT_SHOW_PARTITIONS:
		return show_partitions(rc, s);
	default:
		sql_error_set(&rc->err, s->line, s->col, "internal error: not a DDL statement");
		return -EINVAL;
	}
}

/* ---- views ------------------------------------------------------------------------------ */

/* CREATE VIEW and DROP VIEW.  A temporary view (one-part name) lives in the
 * job's catalog until the job ends.  A persistent one is a record of its
 * platform's metastore (store_view_*); replacing or dropping one needs its
 * ownership or ADMIN on its database (CREATE on the database was checked
 * with the statement's other privileges). */
static int run_view(struct run_ctx *rc, const sql_stmt *s)
{
	const char *names[2] = {NULL, NULL};
	mgr_platform *p;
	store_txn *txn = NULL;
	store_view old = {0}, v = {0};
	bool create = s->kind == SQL_STMT_CREATE_VIEW;
	int err;

	if (s->ntarget == 1) {
		if (create) {
			err = sql_temp_view_create(rc->catalog.temp_views, s, rc->text, &rc->err);
			return err == -ENOMEM ? fail_errno(rc, s, err, "cannot create the view") : err;
		}
		err = sql_temp_view_drop(rc->catalog.temp_views, s->target[0]);
		if (err == -ENOENT && s->if_exists)
			return 0;
		if (err)
			sql_error_set(&rc->err, s->line, s->col, "unknown temporary view \"%s\"",
				      s->target[0]);
		return err;
	}
	if (!(p = target_platform(rc, s, 2, names)))
		return -EINVAL;
	/* The view as it is, read (and its owner checked) before the write. */
	err = store_read_begin(p->store, &txn);
	if (err == 0) {
		err = store_view_get(txn, names[0], names[1], &old);
		store_commit(txn);
		txn = NULL;
	}
	if (err == -ENOENT && !create && s->if_exists)
		return 0;
	if (err == -ENOENT && !create) {
		sql_error_set(&rc->err, s->line, s->col, "unknown view %s.%s.%s", p->name, names[0],
			      names[1]);
		return err;
	}
	if (err && err != -ENOENT)
		return fail_errno(rc, s, err, "cannot read the view");
	if (err == 0 && create && s->if_not_exists) {
		store_view_clear(&old);
		run_log(rc, "view exists: nothing to do");
		return 0;
	}
	if (err == 0) {
		/* Replace or drop an existing view: its owner, or ADMIN on the database. */
		mgr_object db = {MGR_OBJ_DATABASE, p->name, names[0], NULL};
		bool owner = old.owner_uid == rc->uid;
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		snprintf(path, sizeof path, "/%s/%s/%s", p->name, names[0], names[1]);
		store_view_clear(&old);
		if (!owner && mgr_authorize(rc->m, &rc->who, MGR_PRIV_ADMIN, &db, "drop", path) != 0) {
			sql_error_set(&rc->err, s->line, s->col, "permission denied: uid %u neither owns "
				      "view %s.%s.%s nor holds ADMIN on %s.%s", rc->uid, p->name,
				      names[0], names[1], p->name, names[0]);
			return -EACCES;
		}
	}
	err = store_write_begin(p->store, &txn);
	if (err)
		return fail_errno(rc, s, err, "cannot write the metastore");
	if (create) {
		const char *text;
		size_t len;
		sql_view_text(s, rc->text, &text, &len);
		snprintf(v.db, sizeof v.db, "%s", names[0]);
		snprintf(v.name, sizeof v.name, "%s", names[1]);
		v.owner_uid = rc->uid;
		v.owner_gid = rc->gid;
		v.text = strndup(text, len);
		v.columns = calloc(s->ncolumns + 1, sizeof *v.columns);
		err = v.text && v.columns ? 0 : -ENOMEM;
		for (uint32_t i = 0; err == 0 && i < s->ncolumns; i++) {
			v.columns[i] = strdup(s->columns[i].name);
			err = v.columns[i] ? 0 : -ENOMEM;
			v.ncolumns = i + 1;
		}
		if (err == 0)
			err = store_view_put(txn, &v, s->or_replace);
		store_view_clear(&v);
	} else {
		err = store_view_drop(txn, names[0], names[1]);
	}
	if (err == 0)
		err = store_commit(txn);
	else
		store_abort(txn);
	if (err == -EEXIST)
		sql_error_set(&rc->err, s->line, s->col, "%s.%s.%s already exists", p->name, names[0],
			      names[1]);
	else if (err == -ENOENT && create)
		sql_error_set(&rc->err, s->line, s->col, "unknown database %s.%s", p->name, names[0]);
	else if (err == -ENOENT)
		sql_error_set(&rc->err, s->line, s->col, "unknown view %s.%s.%s", p->name, names[0],
			      names[1]);
	else if (err)
		fail_errno(rc, s, err, create ? "cannot create the view" : "cannot drop the view");
	return err;
}

static int show_view(const store_view *v, void *arg)
{
	const char *field = v->name;
	result_line(arg, &field, 1);
	return 0;
}

/* SHOW VIEWS IN [platform.]db: a line "view", then the names of its
 * persistent views in name order (names only: a view's text may name
 * tables the caller does not see). */
static int show_views(struct run_ctx *rc, const sql_stmt *s)
{
	const char *names[1] = {NULL};
	const char *header = "view";
	mgr_platform *p;
	store_txn *txn = NULL;
	int err;

	if (!(p = target_platform(rc, s, 1, names)))
		return -EINVAL;
	result_begin(rc);
	result_line(rc, &header, 1);
	err = store_read_begin(p->store, &txn);
	if (err == 0) {
		err = store_view_iter(txn, names[0], show_view, rc);
		store_commit(txn);
	}
	return err ? fail_errno(rc, s, err, "cannot list the views") : result_end(rc, s);
}

/* ---- engines and privileges ------------------------------------------------------------ */

/* The index of platform NAME (any case, as the analyzer compares), or DEF. */
static unsigned platform_index(const struct run_ctx *rc, const char *name, unsigned def)
{
	for (unsigned i = 0; i < rc->catalog.nplatforms; i++)
		if (strcasecmp(rc->platforms[i].name, name) == 0)
			return i;
	return def;
}

/* The platforms of the tables PLAN reads, a bit each: from the names of a
 * parsed plan or the scans of an analyzed one. */
static unsigned plan_platforms(const struct run_ctx *rc, const sql_plan *p)
{
	unsigned set = 0;
	if (!p)
		return 0;
	if (p->kind == SQL_PLAN_SCAN && p->scan)
		set |= 1u << p->scan->platform;
	else if (p->kind == SQL_PLAN_UNRESOLVED_RELATION && p->nnames == 3)
		set |= 1u << platform_index(rc, p->names[0], rc->catalog.default_platform);
	else if (p->kind == SQL_PLAN_UNRESOLVED_RELATION && p->nnames == 2)
		set |= 1u << rc->catalog.default_platform;
	set |= plan_platforms(rc, p->child[0]) | plan_platforms(rc, p->child[1]);
	for (uint32_t i = 0; i < p->nctes; i++)
		set |= plan_platforms(rc, p->ctes[i]);
	return set;
}

/* The platform whose engine runs statement S (parsed or analyzed). */
static unsigned stmt_engine_platform(const struct run_ctx *rc, const sql_stmt *s)
{
	unsigned def = rc->catalog.default_platform, set;
	switch (s->kind) {
	case SQL_STMT_EXPLAIN:
		return stmt_engine_platform(rc, s->inner);
	case SQL_STMT_SELECT:
		set = plan_platforms(rc, s->query);
		return set && !(set & (set - 1)) ? (unsigned)__builtin_ctz(set) : def;
	case SQL_STMT_CREATE_DATABASE:
	case SQL_STMT_DROP_DATABASE:
		return s->ntarget == 2 ? platform_index(rc, s->target[0], def) : def;
	case SQL_STMT_INSERT:
	case SQL_STMT_CREATE_TABLE:
	case SQL_STMT_CREATE_TABLE_AS:
	case SQL_STMT_DROP_TABLE:
	case SQL_STMT_ADD_PARTITION:
	case SQL_STMT_DROP_PARTITION:
	case SQL_STMT_SET_PROPERTIES:
	case SQL_STMT_MSCK_REPAIR:
	case SQL_STMT_SHOW_PARTITIONS:
	case SQL_STMT_CREATE_VIEW:
	case SQL_STMT_DROP_VIEW:
		return s->ntarget == 3 ? platform_index(rc, s->target[0], def) : def;
	case SQL_STMT_SHOW_VIEWS:
		return s->ntarget == 2 ? platform_index(rc, s->target[0], def) : def;
	default:
		return def;
	}
}

/* One privilege a statement needs on one object. */
struct need {
	unsigned priv;              /* one MGR_PRIV_* bit */
	mgr_object obj;
	const char *action;         /* mgr_authorize's verb */
	uint32_t line, col;         /* where the statement names the object */
};

struct needs {
	struct need *v;
	uint32_t n, cap;
	/* need_reads inside a view: how deep, and whether in a persistent one. */
	uint32_t view_depth;
	bool persistent;
};

static void need_add(sql_arena *a, struct needs *nd, unsigned priv, mgr_object_level level,
		     const char *platform, const char *db, const char *table, const char *action,
		     uint32_t line, uint32_t col)
{
	for (uint32_t i = 0; i < nd->n; i++) {
		const struct need *x = &nd->v[i];
		if (x->priv == priv && x->obj.level == level && !strcmp(x->obj.platform, platform) &&
		    (level < MGR_OBJ_DATABASE || !strcmp(x->obj.db, db)) &&
		    (level < MGR_OBJ_TABLE || !strcmp(x->obj.table, table)))
			return;
	}
	nd->v = sql_array_push(a, nd->v, &nd->n, &nd->cap, sizeof *nd->v);
	nd->v[nd->n - 1] = (struct need){priv, {level, platform, db, table}, action, line, col};
}

static void need_reads(const struct run_ctx *rc, sql_arena *a, const sql_plan *p, struct needs *nd);

/* The query text of view DB.NAME of platform PI, or with DB NULL of the
 * job's temporary view NAME, copied into A; NULL when there is none. */
static char *view_text(const struct run_ctx *rc, sql_arena *a, unsigned pi, const char *db,
		       const char *name)
{
	store_txn *txn = NULL;
	store_view v;
	char *text = NULL;
	if (db == NULL) {
		const char *t, *const *cols;
		uint32_t n;
		if (sql_temp_view_get(rc->catalog.temp_views, name, &t, &cols, &n) == 0)
			text = sql_arena_strdup(a, t);
		return text;
	}
	if (store_read_begin(rc->platforms[pi].store, &txn) == 0) {
		if (store_view_get(txn, db, name, &v) == 0)
			text = sql_arena_strdup(a, v.text);
		store_view_clear(&v);
		store_commit(txn);
	}
	return text;
}

/* Does plan P (anywhere in it) define a WITH query NAME? */
static bool plan_has_cte(const sql_plan *p, const char *name)
{
	if (!p)
		return false;
	for (uint32_t i = 0; i < p->nctes; i++)
		if (strcasecmp(p->cte_names[i], name) == 0 || plan_has_cte(p->ctes[i], name))
			return true;
	return plan_has_cte(p->child[0], name) || plan_has_cte(p->child[1], name);
}

/* When relation P (of the query ROOT) names a view, the reads of the view's
 * query (a view is read with the reader's own privileges on its tables),
 * placed where P names the view; true if it is a view.  A one-part name is
 * a temporary view unless a WITH query of ROOT has it, and not inside a
 * persistent view (PERSISTENT).  Views nested deeper than the analyzer
 * reads them are left to it. */
static bool need_view_reads(const struct run_ctx *rc, sql_arena *a, const sql_plan *p,
			    const sql_plan *root, struct needs *nd)
{
	unsigned pi = rc->catalog.default_platform;
	const char *db = NULL;
	if (p->nnames < 1 || p->nnames > 3 || (p->nnames == 1 && plan_has_cte(root, p->names[0])))
		return false;
	if (p->nnames >= 2) {
		if (p->nnames == 3)
			pi = platform_index(rc, p->names[0], pi);
		db = p->names[p->nnames - 2];
	}
	char *text = view_text(rc, a, pi, db, p->names[p->nnames - 1]);
	if (!text)
		return false;
	sql_script sc;
	sql_error e = {0};
	if (nd->view_depth < 32 && sql_parse(a, text, strlen(text), &sc, &e) == 0 && sc.nstmts == 1) {
		struct needs inner = {0};
		inner.view_depth = nd->view_depth + 1;
		inner.persistent = nd->persistent || db != NULL;
		need_reads(rc, a, sc.stmts[0]->query, &inner);
		for (uint32_t i = 0; i < inner.n; i++)
			need_add(a, nd, inner.v[i].priv, inner.v[i].obj.level, inner.v[i].obj.platform,
				 inner.v[i].obj.db, inner.v[i].obj.table, inner.v[i].action, p->line, p->col);
	}
	return true;
}

/* SELECT on every table plan P reads, as written: taken from the parsed
 * plan, before the analyzer resolves names (it may resolve a table of
 * another platform to the mirror the exchange reads it through; the
 * privilege is still needed on the table named). */
static void need_reads_in(const struct run_ctx *rc, sql_arena *a, const sql_plan *p,
			  const sql_plan *root, struct needs *nd)
{
	if (!p)
		return;
	if (p->kind == SQL_PLAN_UNRESOLVED_RELATION && (p->nnames == 2 || p->nnames == 3)) {
		unsigned pi = p->nnames == 3 ? platform_index(rc, p->names[0], rc->catalog.default_platform)
					     : rc->catalog.default_platform;
		if (!need_view_reads(rc, a, p, root, nd))
			need_add(a, nd, MGR_PRIV_SELECT, MGR_OBJ_TABLE, rc->platforms[pi].name,
				 p->names[p->nnames - 2], p->names[p->nnames - 1], "read", p->line, p->col);
	} else if (p->kind == SQL_PLAN_CTE_REF && p->nnames == 1 && !nd->persistent) {
		need_view_reads(rc, a, p, root, nd);
	} else if (p->kind == SQL_PLAN_SCAN && p->scan) {
		need_add(a, nd, MGR_PRIV_SELECT, MGR_OBJ_TABLE, rc->platforms[p->scan->platform].name,
			 p->scan->db, p->scan->table, "read", p->line, p->col);
	}
	need_reads_in(rc, a, p->child[0], root, nd);
	need_reads_in(rc, a, p->child[1], root, nd);
	for (uint32_t i = 0; i < p->nctes; i++)
		need_reads_in(rc, a, p->ctes[i], root, nd);
}

static void need_reads(const struct run_ctx *rc, sql_arena *a, const sql_plan *p, struct needs *nd)
{
	need_reads_in(rc, a, p, p, nd);
}

/* What statement S needs, but for its reads (need_reads, on the parsed
 * plan): nothing for access control statements, which the access API
 * checks. */
static void stmt_needs(const struct run_ctx *rc, sql_arena *a, const sql_stmt *s, struct needs *nd)
{
	bool explain = s->kind == SQL_STMT_EXPLAIN;
	const sql_stmt *q = explain ? s->inner : s;
	if (sql_stmt_is_access(q))
		return;
	if (!explain) {
		unsigned ep = rc->catalog.engine_platform;
		unsigned tp = stmt_engine_platform(rc, q);
		const char *tname = rc->platforms[tp].name;
		const char *db = NULL, *table = NULL;
		bool dbstmt = q->kind == SQL_STMT_CREATE_DATABASE || q->kind == SQL_STMT_DROP_DATABASE;
		if (q->ntarget >= 1) {
			bool qualified = q->ntarget == (dbstmt ? 2u : 3u);
			db = q->target[qualified ? 1 : 0];
			table = q->ntarget >= 2 ? q->target[q->ntarget - 1] : NULL;
		}
		need_add(a, nd, MGR_PRIV_SUBMIT, MGR_OBJ_PLATFORM, rc->platforms[ep].name, NULL, NULL,
			 "submit", q->line, q->col);
		switch (q->kind) {
		case SQL_STMT_INSERT:
		case SQL_STMT_ADD_PARTITION:
		case SQL_STMT_DROP_PARTITION:
		case SQL_STMT_SET_PROPERTIES:
		case SQL_STMT_MSCK_REPAIR:
			if (table)
				need_add(a, nd, MGR_PRIV_MODIFY, MGR_OBJ_TABLE, tname, db, table, "write",
					 q->line, q->col);
			break;
		case SQL_STMT_CREATE_TABLE:
		case SQL_STMT_CREATE_TABLE_AS:
			if (db)
				need_add(a, nd, MGR_PRIV_CREATE, MGR_OBJ_DATABASE, tname, db, NULL, "create",
					 q->line, q->col);
			break;
		case SQL_STMT_CREATE_DATABASE:
			need_add(a, nd, MGR_PRIV_CREATE, MGR_OBJ_PLATFORM, tname, NULL, NULL, "create",
				 q->line, q->col);
			break;
		case SQL_STMT_CREATE_VIEW:
			if (db && !q->temporary && q->ntarget >= 2)
				need_add(a, nd, MGR_PRIV_CREATE, MGR_OBJ_DATABASE, tname, db, NULL, "create",
					 q->line, q->col);
			break;
		case SQL_STMT_DROP_TABLE:
			if (table)
				need_add(a, nd, MGR_PRIV_ADMIN, MGR_OBJ_TABLE, tname, db, table, "drop",
					 q->line, q->col);
			break;
		case SQL_STMT_DROP_DATABASE:
			need_add(a, nd, MGR_PRIV_ADMIN, MGR_OBJ_DATABASE, tname, db, NULL, "drop", q->line,
				 q->col);
			break;
		case SQL_STMT_SHOW_PARTITIONS:
			if (table)
				need_add(a, nd, MGR_PRIV_SELECT, MGR_OBJ_TABLE, tname, db, table, "read",
					 q->line, q->col);
			break;
		default:
			break;
		}
	}
	/* EXPLAIN shows schemas and statistics: it needs SELECT on what it reads
	 * (READS, which the caller collected). */
}

/* "warehouse.sales.orders", "warehouse.sales", "lake", "the metastore". */
static void object_display(const mgr_object *o, char *out, size_t cap)
{
	switch (o->level) {
	case MGR_OBJ_METASTORE:
		snprintf(out, cap, "the metastore");
		break;
	case MGR_OBJ_PLATFORM:
		snprintf(out, cap, "%s", o->platform);
		break;
	case MGR_OBJ_DATABASE:
		snprintf(out, cap, "%s.%s", o->platform, o->db);
		break;
	case MGR_OBJ_TABLE:
		snprintf(out, cap, "%s.%s.%s", o->platform, o->db, o->table);
		break;
	}
}

/* mgr_authorize's verb for a privilege the analyzer asks about. */
static const char *priv_action(unsigned privs)
{
	if (privs & MGR_PRIV_ADMIN)
		return "drop";
	if (privs & MGR_PRIV_CREATE)
		return "create";
	if (privs & MGR_PRIV_MODIFY)
		return "write";
	if (privs & MGR_PRIV_SELECT)
		return "read";
	return "lookup";
}

/* The catalog's access hook (sql_catalog.access): names as the submitter
 * sees them (see "Names" above). */
static sql_access job_access(void *ctx, const sql_catalog *cat, unsigned platform, const char *db,
			     const char *table, unsigned privs, unsigned flags, sql_error *err)
{
	struct run_ctx *rc = ctx;
	if (platform >= cat->nplatforms)
		return SQL_ACCESS_HIDDEN;
	mgr_object o = {table ? MGR_OBJ_TABLE : db ? MGR_OBJ_DATABASE : MGR_OBJ_PLATFORM,
			rc->platforms[platform].name, db, table};
	privs &= MGR_PRIV_ALL;
	if (!mgr_access_visible(rc->m, &rc->who, &o)) {
		if (!(flags & SQL_ACCESS_PROBE) && !rc->preflight) {
			char path[3 * (STORE_NAME_MAX + 1) + 2];
			mgr_object_path(&o, path, sizeof path);
			mgr_audit(rc->m, rc->who.uid, priv_action(privs), path, false, privs,
				  "not visible to the caller");
		}
		return SQL_ACCESS_HIDDEN;
	}
	if (!privs || mgr_access_holds(rc->m, &rc->who, privs, &o))
		return SQL_ACCESS_OK;
	if (flags & SQL_ACCESS_PROBE)
		return SQL_ACCESS_DENIED;
	/* Audited and logged as the check before a statement runs does it. */
	mgr_authorize(rc->m, &rc->who, privs, &o, priv_action(privs), NULL);
	unsigned missing = privs & ~mgr_access_privs(rc->m, &rc->who, &o);
	char what[3 * STORE_NAME_MAX + 8];
	object_display(&o, what, sizeof what);
	sql_error_set(err, 0, 0, "permission denied: uid %u lacks %s on %s", rc->who.uid,
		      mgr_priv_name(missing ? missing & -missing : privs & -privs), what);
	return SQL_ACCESS_DENIED;
}

/* Check what analyzed statement S needs, READS (from need_reads) last.
 * SILENT (it was checked and audited up front): a privilege still held is
 * not audited again. */
/* Does statement S (analyzed) set a property reserved for metafs?  Refused
 * to everyone, superusers included: only sync apply writes metafs.*
 * properties.  Audited as a denial, the reason in rc->err. */
static int stmt_reserved(struct run_ctx *rc, const sql_stmt *s)
{
	if (s->kind != SQL_STMT_CREATE_TABLE && s->kind != SQL_STMT_CREATE_TABLE_AS &&
	    s->kind != SQL_STMT_SET_PROPERTIES)
		return 0;
	for (uint32_t i = 0; i < s->nprops; i++) {
		const char *key = s->props[i].key ? s->props[i].key : "";
		if (!sync_property_reserved(key, strlen(key)))
			continue;
		while (*key == ' ' || *key == '\t' || *key == '\r' || *key == '\n' || *key == '\v' ||
		       *key == '\f')
			key++;
		unsigned tp = stmt_engine_platform(rc, s);
		const char *db = s->ntarget >= 2 ? s->target[s->ntarget - 2] : NULL;
		const char *table = s->ntarget >= 2 ? s->target[s->ntarget - 1] : NULL;
		mgr_object o = {MGR_OBJ_TABLE, rc->platforms[tp].name, db, table};
		char path[3 * (STORE_NAME_MAX + 1) + 2], why[300];
		if (!db)
			o.level = MGR_OBJ_PLATFORM;
		mgr_object_path(&o, path, sizeof path);
		snprintf(why, sizeof why, "property %.200s is reserved for metafs", key);
		mgr_audit(rc->m, rc->who.uid, s->kind == SQL_STMT_SET_PROPERTIES ? "write" : "create",
			  path, false, s->kind == SQL_STMT_SET_PROPERTIES ? MGR_PRIV_MODIFY : MGR_PRIV_CREATE,
			  why);
		sql_error_set(&rc->err, s->line, s->col, "%s", why);
		return -EPERM;
	}
	return 0;
}

static int stmt_authorize(struct run_ctx *rc, sql_arena *a, const sql_stmt *s,
			  const struct needs *reads, bool silent)
{
	struct needs nd = {0};
	int rerr = stmt_reserved(rc, s->kind == SQL_STMT_EXPLAIN ? s->inner : s);
	if (rerr)
		return rerr;
	stmt_needs(rc, a, s, &nd);
	for (uint32_t i = 0; i < reads->n; i++) {
		nd.v = sql_array_push(a, nd.v, &nd.n, &nd.cap, sizeof *nd.v);
		nd.v[nd.n - 1] = reads->v[i];
	}
	for (uint32_t i = 0; i < nd.n; i++) {
		const struct need *x = &nd.v[i];
		if (silent && mgr_access_holds(rc->m, &rc->who, x->priv, &x->obj))
			continue;
		int err = mgr_authorize(rc->m, &rc->who, x->priv, &x->obj, x->action, NULL);
		if (err == 0)
			continue;
		char what[3 * STORE_NAME_MAX + 8];
		object_display(&x->obj, what, sizeof what);
		if (err == -EACCES)
			sql_error_set(&rc->err, x->line, x->col, "permission denied: uid %u lacks %s on %s",
				      rc->who.uid, mgr_priv_name(x->priv), what);
		else
			sql_error_set(&rc->err, x->line, x->col, "cannot check %s on %s: %s",
				      mgr_priv_name(x->priv), what, store_strerror(err));
		return err;
	}
	return 0;
}

/* Before the first statement runs: check every statement that can be
 * analyzed now.  Returns 0, or the denial (in rc->err) with *FAILED_AT the
 * statement's number. */
static int preflight(struct run_ctx *rc, uint32_t nstmts, uint32_t *failed_at)
{
	sql_arena *pa = sql_arena_new();
	sql_script script = {0};
	sql_error perr = {0};
	int err = 0;
	if (!pa)
		return 0;   /* every statement is then checked when it runs */
	if (sql_parse(pa, rc->text, rc->len, &script, &perr) == 0 && script.nstmts == nstmts) {
		for (uint32_t i = 0; i < script.nstmts; i++) {
			sql_stmt *s = script.stmts[i];
			if (sql_stmt_is_access(s) || (s->inner && sql_stmt_is_access(s->inner)))
				continue;
			const sql_stmt *q = s->inner ? s->inner : s;
			struct needs reads = {0};
			need_reads(rc, pa, q->query, &reads);
			rc->catalog.engine_platform = stmt_engine_platform(rc, s);
			memset(&perr, 0, sizeof perr);
			rc->preflight = true;
			int aerr = sql_analyze(pa, &rc->catalog, s, &perr);
			rc->preflight = false;
			if (aerr == -EACCES) {
				/* A visible name without the privilege: refused now. */
				rc->err = perr;
				*failed_at = i + 1;
				err = aerr;
				break;
			}
			if (aerr)
				continue;   /* depends on an earlier statement: checked when it runs */
			err = stmt_authorize(rc, pa, s, &reads, false);
			if (err) {
				*failed_at = i + 1;
				break;
			}
			rc->prechecked[i] = true;
		}
	}
	rc->catalog.engine_platform = rc->catalog.default_platform;
	sql_arena_free(pa);
	return err;
}

/* ---- access control statements ------------------------------------------------------------ */

/* Is O hidden from the submitter (see "Names")?  Audited when it is. */
static bool object_hidden(struct run_ctx *rc, const mgr_object *o)
{
	if (mgr_access_visible(rc->m, &rc->who, o))
		return false;
	char path[3 * (STORE_NAME_MAX + 1) + 2];
	mgr_object_path(o, path, sizeof path);
	mgr_audit(rc->m, rc->who.uid, "lookup", path, false, 0, "not visible to the caller");
	return true;
}

/* Is platform index PI unknown to the submitter: missing, or hidden? */
static bool platform_unknown(struct run_ctx *rc, unsigned pi)
{
	if (pi >= rc->catalog.nplatforms)
		return true;
	mgr_object p = {MGR_OBJ_PLATFORM, rc->platforms[pi].name, NULL, NULL};
	return object_hidden(rc, &p);
}

/* The object as written, resolved (db.table is on the first platform) and
 * checked to exist; the error names the object's place.  An object the
 * submitter may not see is unknown, as a missing one. */
static int resolve_object(struct run_ctx *rc, const sql_object *so, mgr_object *o)
{
	unsigned def = rc->catalog.default_platform, pi = def;
	bool qualified;
	memset(o, 0, sizeof *o);
	switch (so->kind) {
	case SQL_OBJECT_NONE:
	case SQL_OBJECT_METASTORE:
		o->level = MGR_OBJ_METASTORE;
		return 0;
	case SQL_OBJECT_PLATFORM:
		pi = platform_index(rc, so->names[0], rc->catalog.nplatforms);
		if (platform_unknown(rc, pi)) {
			sql_error_set(&rc->err, so->line, so->col, "unknown platform \"%s\"", so->names[0]);
			return -ENOENT;
		}
		o->level = MGR_OBJ_PLATFORM;
		o->platform = rc->platforms[pi].name;
		return 0;
	case SQL_OBJECT_DATABASE:
		o->level = MGR_OBJ_DATABASE;
		qualified = so->nnames == 2;
		break;
	case SQL_OBJECT_TABLE:
		o->level = MGR_OBJ_TABLE;
		qualified = so->nnames == 3;
		break;
	default:
		sql_error_set(&rc->err, so->line, so->col, "internal error: object kind %d", (int)so->kind);
		return -EINVAL;
	}
	if (qualified) {
		pi = platform_index(rc, so->names[0], rc->catalog.nplatforms);
		if (platform_unknown(rc, pi)) {
			sql_error_set(&rc->err, so->line, so->col, "unknown platform \"%s\"", so->names[0]);
			return -ENOENT;
		}
	}
	o->platform = rc->platforms[pi].name;
	o->db = so->names[qualified ? 1 : 0];
	o->table = o->level == MGR_OBJ_TABLE ? so->names[so->nnames - 1] : NULL;
	store_txn *txn = NULL;
	int err = store_read_begin(rc->platforms[pi].store, &txn);
	if (err == 0 && o->level == MGR_OBJ_DATABASE) {
		store_database d;
		err = store_database_get(txn, o->db, &d);
	} else if (err == 0) {
		store_table t;
		err = store_table_get(txn, o->db, o->table, &t);
		if (err == 0)
			store_table_clear(&t);
	}
	store_abort(txn);
	if (err == 0 && object_hidden(rc, o))
		err = -ENOENT;
	char what[3 * STORE_NAME_MAX + 8];
	object_display(o, what, sizeof what);
	if (err == -ENOENT || err == -EINVAL)
		sql_error_set(&rc->err, so->line, so->col, "unknown %s %s",
			      o->level == MGR_OBJ_TABLE ? "table" : "database", what);
	else if (err)
		sql_error_set(&rc->err, so->line, so->col, "cannot read %s: %s", what, store_strerror(err));
	return err;
}

static int resolve_grantee(struct run_ctx *rc, const sql_grantee *g, mgr_grantee *out)
{
	char why[256] = "";
	int err = 0;
	memset(out, 0, sizeof *out);
	switch (g->kind) {
	case SQL_GRANTEE_USER:
		err = mgr_grantee_user(g->name, out, why, sizeof why);
		break;
	case SQL_GRANTEE_GROUP:
		err = mgr_grantee_group(g->name, out, why, sizeof why);
		break;
	case SQL_GRANTEE_ROLE:
		out->kind = MGR_GRANTEE_ROLE;
		if (strlen(g->name) > STORE_NAME_MAX) {
			snprintf(why, sizeof why, "role name \"%.40s...\" is too long", g->name);
			err = -EINVAL;
		} else {
			snprintf(out->role, sizeof out->role, "%s", g->name);
		}
		break;
	}
	if (err)
		sql_error_set(&rc->err, g->line, g->col, "%s", why[0] ? why : store_strerror(err));
	return err;
}

static const char *grantee_kind_word(sql_grantee_kind k)
{
	return k == SQL_GRANTEE_USER ? "user" : k == SQL_GRANTEE_GROUP ? "group" : "role";
}

/* A refusal of the access API at LINE:COL, with its reason. */
static int access_fail(struct run_ctx *rc, uint32_t line, uint32_t col, int err, const char *why)
{
	if (why[0])
		sql_error_set(&rc->err, line, col, "%s", why);
	else if (err == -EACCES)
		sql_error_set(&rc->err, line, col, "permission denied: uid %u", rc->who.uid);
	else
		sql_error_set(&rc->err, line, col, "%s", store_strerror(err));
	return err;
}

/* "SELECT, MODIFY" */
static void privs_text(unsigned privs, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	if (privs == MGR_PRIV_ALL) {
		snprintf(out, cap, "ALL PRIVILEGES");
		return;
	}
	for (unsigned bit = 1; bit & MGR_PRIV_ALL; bit <<= 1)
		if (privs & bit && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", mgr_priv_name(bit));
}

/* Tab-separated lines to CSV rows. */
static void tsv_to_csv(textbuf *out, const char *text, size_t len);

static int run_access(struct run_ctx *rc, const sql_stmt *s)
{
	char why[512] = "", privs[128];
	mgr_object o;
	mgr_grantee g;
	int err = 0;
	switch (s->kind) {
	case SQL_STMT_CREATE_ROLE:
	case SQL_STMT_DROP_ROLE: {
		const sql_grantee *r = &s->roles[0];
		bool create = s->kind == SQL_STMT_CREATE_ROLE;
		err = create ? mgr_role_create(rc->m, &rc->who, r->name, s->if_not_exists, why, sizeof why)
			     : mgr_role_drop(rc->m, &rc->who, r->name, s->if_exists, why, sizeof why);
		if (err)
			return access_fail(rc, r->line, r->col, err, why);
		run_log(rc, "%s role %s", create ? "created" : "dropped", r->name);
		return 0;
	}
	case SQL_STMT_GRANT:
	case SQL_STMT_REVOKE: {
		bool grant = s->kind == SQL_STMT_GRANT;
		if ((err = resolve_object(rc, &s->object, &o)))
			return err;
		char what[3 * STORE_NAME_MAX + 8];
		object_display(&o, what, sizeof what);
		privs_text(s->privs, privs, sizeof privs);
		for (uint32_t i = 0; i < s->ngrantees; i++) {
			const sql_grantee *x = &s->grantees[i];
			if ((err = resolve_grantee(rc, x, &g)))
				return err;
			why[0] = '\0';
			err = grant ? mgr_grant(rc->m, &rc->who, s->privs, &o, &g, why, sizeof why)
				    : mgr_revoke(rc->m, &rc->who, s->privs, &o, &g, why, sizeof why);
			if (err) {
				/* The object exists (resolved above): an unknown name is the role. */
				bool at_grantee = err != -EACCES && (err != -ENOENT || x->kind == SQL_GRANTEE_ROLE);
				return access_fail(rc, at_grantee ? x->line : s->object.line,
						   at_grantee ? x->col : s->object.col, err, why);
			}
			run_log(rc, "%s %s on %s %s %s %s", grant ? "granted" : "revoked", privs, what,
				grant ? "to" : "from", grantee_kind_word(x->kind), x->name);
		}
		return 0;
	}
	case SQL_STMT_GRANT_ROLE:
	case SQL_STMT_REVOKE_ROLE: {
		bool grant = s->kind == SQL_STMT_GRANT_ROLE;
		for (uint32_t i = 0; i < s->ngrantees; i++) {
			const sql_grantee *x = &s->grantees[i];
			if ((err = resolve_grantee(rc, x, &g)))
				return err;
			for (uint32_t r = 0; r < s->nroles; r++) {
				why[0] = '\0';
				err = grant ? mgr_role_grant(rc->m, &rc->who, s->roles[r].name, &g, why, sizeof why)
					    : mgr_role_revoke(rc->m, &rc->who, s->roles[r].name, &g, why, sizeof why);
				if (err)
					return access_fail(rc, s->roles[r].line, s->roles[r].col, err, why);
				run_log(rc, "%s role %s %s %s %s", grant ? "granted" : "revoked", s->roles[r].name,
					grant ? "to" : "from", grantee_kind_word(x->kind), x->name);
			}
		}
		return 0;
	}
	case SQL_STMT_SHOW_GRANTS:
	case SQL_STMT_SHOW_ROLES: {
		textbuf t = TEXTBUF_INIT;
		if (s->kind == SQL_STMT_SHOW_ROLES) {
			err = mgr_roles_render(rc->m, &t);
		} else {
			bool on = s->object.kind != SQL_OBJECT_NONE, to = s->ngrantees > 0;
			if (on)
				err = resolve_object(rc, &s->object, &o);
			if (!err && to)
				err = resolve_grantee(rc, &s->grantees[0], &g);
			if (err) {
				textbuf_free(&t);
				return err;
			}
			err = mgr_grants_render_as(rc->m, &rc->who, on ? &o : NULL, to ? &g : NULL, &t);
		}
		if (err == 0)
			err = textbuf_error(&t);
		if (err) {
			textbuf_free(&t);
			return fail_errno(rc, s, err, "cannot list grants");
		}
		result_begin(rc);
		textbuf_puts(&rc->result, s->kind == SQL_STMT_SHOW_ROLES
						  ? "role,members\n"
						  : "object,grantee_kind,grantee,privileges,grantor_uid,time\n");
		tsv_to_csv(&rc->result, t.data ? t.data : "", t.len);
		textbuf_free(&t);
		return result_end(rc, s);
	}
	default:
		sql_error_set(&rc->err, s->line, s->col, "internal error: not an access control statement");
		return -EINVAL;
	}
}

/* ---- queries ------------------------------------------------------------------------- */

static void tsv_to_csv(textbuf *out, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		for (size_t f = i; f <= end;) {
			const char *tab = memchr(text + f, '\t', end - f);
			size_t fe = tab ? (size_t)(tab - text) : end;
			if (f > i)
				textbuf_append(out, ",", 1);
			fmt_csv_field(out, text + f, fe - f);
			f = fe + 1;
		}
		textbuf_append(out, "\n", 1);
		i = end + 1;
	}
}

static int result_row(void *ctx, const sql_value *values, uint32_t n)
{
	struct run_ctx *rc = ctx;
	textbuf cell = TEXTBUF_INIT;
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			textbuf_append(&rc->result, ",", 1);
		if (values[i].null)
			continue;
		textbuf_reset(&cell);
		sql_value_print(&values[i], &cell);
		fmt_csv_field(&rc->result, cell.data ? cell.data : "", cell.len);
	}
	textbuf_free(&cell);
	textbuf_append(&rc->result, "\n", 1);
	return textbuf_error(&rc->result);
}

static void append_plan_section(textbuf *plan, const char *title)
{
	textbuf_printf(plan, "== %s ==\n", title);
}

static void record_resources(struct run_ctx *rc, const sql_plan *p, int depth)
{
	if (!p)
		return;
	if (p->phys.op) {
		textbuf_printf(&rc->resources, "%*s%s (stage %u): threads=%u parallelism=%u", depth * 2, "",
			       p->phys.op, p->phys.stage, p->phys.threads, p->phys.parallelism);
		if (p->phys.memory_budget)
			textbuf_printf(&rc->resources, " memory_budget=%.2f MiB peak_memory=%.2f MiB"
				       " spilled=%.2f MiB spill_files=%llu spill_passes=%u",
				       (double)p->phys.memory_budget / 1048576.0,
				       (double)p->phys.peak_memory / 1048576.0,
				       (double)p->phys.spill_bytes / 1048576.0,
				       (unsigned long long)p->phys.spill_files, p->phys.spill_passes);
		textbuf_printf(&rc->resources, " rows_in=%llu rows_out=%llu cpu=%.3f ms",
			       (unsigned long long)p->phys.rows_in, (unsigned long long)p->phys.rows_out,
			       (double)p->phys.cpu_ns / 1e6);
		/* A Parquet scan: row groups decoded, and skipped by their statistics. */
		if (p->phys.rowgroups_read || p->phys.rowgroups_skipped)
			textbuf_printf(&rc->resources, " row_groups_read=%llu row_groups_skipped=%llu",
				       (unsigned long long)p->phys.rowgroups_read,
				       (unsigned long long)p->phys.rowgroups_skipped);
		/* A Parquet scan with a pushed filter: files not opened because
		 * their recorded statistics prove no row passes it. */
		if (p->phys.files_read || p->phys.files_skipped)
			textbuf_printf(&rc->resources,
				       " files_read=%llu files_skipped=%llu partitions_skipped=%llu",
				       (unsigned long long)p->phys.files_read,
				       (unsigned long long)p->phys.files_skipped,
				       (unsigned long long)p->phys.partitions_skipped);
		textbuf_puts(&rc->resources, "\n");
	}
	record_resources(rc, p->child[0], depth + 1);
	record_resources(rc, p->child[1], depth + 1);
}

/* Compile QUERY (already parsed and analyzed with its statement) into an
 * optimized physical plan, writing the plan sections as it goes. */
static int compile_query(struct run_ctx *rc, sql_arena *a, sql_plan **query)
{
	textbuf_puts(&rc->plan, "\n");
	append_plan_section(&rc->plan, "Analyzed Logical Plan");
	sql_plan_print_schema(*query, &rc->plan);
	textbuf_puts(&rc->plan, "\n");
	sql_plan_print(*query, true, false, &rc->plan);
	sql_rule_log rules = {0};
	int err = sql_optimize(a, &rc->catalog, query, &rules, &rc->err);
	if (err)
		return err;
	textbuf_puts(&rc->plan, "\n");
	append_plan_section(&rc->plan, "Optimized Logical Plan");
	sql_plan_print(*query, true, false, &rc->plan);
	textbuf_puts(&rc->plan, "Rules fired:");
	if (rules.n == 0)
		textbuf_puts(&rc->plan, " none");
	for (uint32_t i = 0; i < rules.n; i++)
		textbuf_printf(&rc->plan, "%s %s (%u)", i ? "," : "", rules.names[i], rules.counts[i]);
	textbuf_puts(&rc->plan, "\n");
	err = sql_plan_physical(a, &rc->limits, *query, &rc->err);
	if (err)
		return err;
	textbuf_puts(&rc->plan, "\n");
	append_plan_section(&rc->plan, "Physical Plan");
	textbuf_printf(&rc->plan, "Engine: %s on %s\n", rc->engine->name,
		       rc->platforms[rc->catalog.engine_platform].name);
	sql_plan_print(*query, true, true, &rc->plan);
	sql_plan_dot(*query, &rc->dot);
	return 0;
}

static int run_query_to(struct run_ctx *rc, sql_plan *query, sql_sink *sink)
{
	const sql_exec_ctx ctx = {
		.catalog = &rc->catalog,
		.limits = &rc->limits,
		.progress = &rc->progress,
		.bad_rows = rc->m->cfg.bad_rows_skip ? SQL_BAD_ROWS_SKIP : SQL_BAD_ROWS_FAIL,
		.log = engine_log,
		.log_ctx = rc,
		.spill_dir = rc->m->cfg.spill_dir,
	};
	return rc->engine->run_query(&ctx, query, rc->text, sink, &rc->err);
}

static int run_insert(struct run_ctx *rc, const sql_stmt *s, sql_plan *query, unsigned platform,
		      const char *db, const char *table, bool overwrite, const char *const *statics)
{
	char tag[64];
	snprintf(tag, sizeof tag, "%u-%u-%u", rc->job->id, rc->run, s->index);
	sql_output *out = NULL;
	int err = sql_output_open(&rc->catalog, platform, db, table, overwrite, statics, tag, &out,
				  &rc->err);
	if (err)
		return err;
	sql_sink sink = sql_output_sink(out);
	err = run_query_to(rc, query, &sink);
	sql_output_stats st = {0};
	if (err == 0)
		err = sql_output_commit(out, STORE_ORIGIN_JOB, &st, &rc->err);
	else
		sql_output_abort(out);
	if (err == 0) {
		rc->rows_written += st.rows;
		rc->partitions_written += st.partitions_written;
		run_log(rc, "committed %llu rows in %llu files to %llu partitions (%llu new, %llu files replaced)",
			(unsigned long long)st.rows, (unsigned long long)st.files,
			(unsigned long long)st.partitions_written, (unsigned long long)st.partitions_created,
			(unsigned long long)st.files_replaced);
	}
	return err;
}

/* Static partition values of an INSERT: one per partition key, NULL for a
 * dynamic key (every key is dynamic when there is no PARTITION clause). */
static int insert_statics(struct run_ctx *rc, sql_arena *a, const sql_stmt *s, const store_table *t,
			  const char ***out)
{
	const char **v = sql_arena_alloc(a, (t->npartkeys + 1) * sizeof *v);
	if (s->npspecs) {
		const sql_pspec *ps = &s->pspecs[0];
		for (uint32_t i = 0; i < ps->nitems; i++) {
			uint32_t k = 0;
			while (k < t->npartkeys && strcasecmp(t->columns[t->ncolumns + k].name, ps->items[i].key))
				k++;
			if (k == t->npartkeys) {
				sql_error_set(&rc->err, ps->items[i].line, ps->items[i].col,
					      "\"%s\" is not a partition key of %s.%s", ps->items[i].key, t->db, t->name);
				return -EINVAL;
			}
			if (!ps->items[i].value)
				continue;
			sql_value val;
			textbuf raw = TEXTBUF_INIT;
			int err = sql_eval_const(a, ps->items[i].value, &val);
			if (err == 0 && !val.null)
				sql_value_print(&val, &raw);
			if (err || val.null || !raw.data) {
				textbuf_free(&raw);
				sql_error_set(&rc->err, ps->items[i].line, ps->items[i].col,
					      "partition value of %s must be a non-NULL literal", ps->items[i].key);
				return -EINVAL;
			}
			v[k] = sql_arena_strdup(a, raw.data);
			textbuf_free(&raw);
		}
	}
	*out = v;
	return 0;
}

static int run_statement(struct run_ctx *rc, sql_arena *a, sql_stmt *s)
{
	bool explain = s->kind == SQL_STMT_EXPLAIN;
	sql_stmt *q = explain ? s->inner : s;
	bool has_query = q->query != NULL;
	if (has_query) {
		append_plan_section(&rc->plan, "Parsed Logical Plan");
		sql_plan_print(q->query, false, false, &rc->plan);
	}
	struct needs reads = {0};
	need_reads(rc, a, q->query, &reads);
	int err = sql_analyze(a, &rc->catalog, q, &rc->err);
	if (err)
		return err;
	err = stmt_authorize(rc, a, s, &reads, rc->prechecked[s->index - 1]);
	if (err)
		return err;
	if (q->kind == SQL_STMT_CREATE_VIEW || q->kind == SQL_STMT_DROP_VIEW ||
	    q->kind == SQL_STMT_SHOW_VIEWS) {
		if (explain) {
			textbuf_puts(&rc->plan, "== Physical Plan ==\nExecute command (no query plan)\n");
			return 0;
		}
		return q->kind == SQL_STMT_SHOW_VIEWS ? show_views(rc, q) : run_view(rc, q);
	}
	if (!has_query) {
		if (explain) {
			textbuf_puts(&rc->plan, "== Physical Plan ==\nExecute command (no query plan)\n");
			return 0;
		}
		return sql_stmt_is_access(q) ? run_access(rc, q) : run_ddl(rc, q);
	}
	if ((err = compile_query(rc, a, &q->query)))
		return err;
	if (explain)
		return 0;
	switch (q->kind) {
	case SQL_STMT_SELECT: {
		result_begin(rc);
		for (uint32_t i = 0; i < q->query->noutput; i++) {
			if (i)
				textbuf_puts(&rc->result, ",");
			fmt_csv_field(&rc->result, q->query->output[i].name, strlen(q->query->output[i].name));
		}
		textbuf_puts(&rc->result, "\n");
		sql_sink sink = {rc, result_row};
		err = run_query_to(rc, q->query, &sink);
		if (err == 0)
			err = result_end(rc, q);
		break;
	}
	case SQL_STMT_INSERT:
	case SQL_STMT_CREATE_TABLE_AS: {
		mgr_platform *p = NULL;
		store_table t = {0};
		const char *names[2];
		bool created = false;
		if (q->kind == SQL_STMT_CREATE_TABLE_AS) {
			err = create_table(rc, q, q->query, &p, names);
			if (err == -EEXIST && q->if_not_exists) {
				run_log(rc, "table exists: nothing to do");
				err = 0;
				break;
			}
			created = err == 0;
		}
		if (err == 0)
			err = load_target(rc, q, &p, &t);
		const char **statics = NULL;
		if (err == 0)
			err = insert_statics(rc, a, q, &t, &statics);
		if (err == 0)
			err = run_insert(rc, q, q->query, p->index, t.db, t.name, q->overwrite, statics);
		if (err && created) {
			/* CREATE TABLE AS is one statement: a failed fill takes the new
			 * table away again, so the failed job leaves nothing behind. */
			int e = mgr_table_purge(p, names[0], names[1], STORE_ORIGIN_JOB);
			if (e)
				run_log(rc, "could not drop the table the failed statement created: %s",
					store_strerror(e));
		}
		store_table_clear(&t);
		break;
	}
	default:
		sql_error_set(&rc->err, q->line, q->col, "internal error: statement kind %d has a query",
			      (int)q->kind);
		err = -EINVAL;
	}
	record_resources(rc, q->query, 1);
	return err;
}

static void flush_files(struct run_ctx *rc)
{
	mgr_job_write_file(rc->job, rc->run, MGR_JOB_FILE_PLAN, rc->plan.data ? rc->plan.data : "",
			   rc->plan.len);
	mgr_job_write_file(rc->job, rc->run, MGR_JOB_FILE_DOT, rc->dot.data ? rc->dot.data : "",
			   rc->dot.len);
	mgr_job_write_file(rc->job, rc->run, MGR_JOB_FILE_RESOURCES,
			   rc->resources.data ? rc->resources.data : "", rc->resources.len);
}

/* "engine: embedded on lake (statements 2, 3)", a line for each platform
 * whose engine ran statements of the job. */
static void engines_status(struct run_ctx *rc, textbuf *out)
{
	for (unsigned i = 0; i < rc->catalog.nplatforms; i++) {
		const textbuf *t = &rc->engine_stmts[i];
		if (!t->len)
			continue;
		const sql_engine_methods *e = mgr_engine_find(rc->m->cfg.platforms[i].engine);
		textbuf_printf(out, "engine: %s on %s (statement%s %s)\n", e ? e->name : "embedded",
			       rc->platforms[i].name, strchr(t->data + 2, ',') ? "s" : "", t->data + 2);
	}
}

void mgr_job_spill_prepare(mgr *m)
{
	const char *dir = m->cfg.spill_dir;
	int rc = base_fs_mkdirs(dir, BASE_MODE_DIR);

	if (rc == 0)
		rc = sql_spill_sweep(dir);
	if (rc)
		mgr_log(MGR_LOG_WARN, "spill directory %s: %s", dir, strerror(-rc));
}

void mgr_job_execute(mgr *m, struct job *job, uint32_t run)
{
	struct run_ctx *rc = calloc(1, sizeof *rc);
	textbuf sqltext = TEXTBUF_INIT, details = TEXTBUF_INIT;
	sql_arena *a = sql_arena_new();
	if (!rc || !a) {
		mgr_job_set_state(job, run, MGR_JOB_FAILED, "error: out of memory\n");
		free(rc);
		sql_arena_free(a);
		return;
	}
	rc->m = m;
	rc->arena = a;
	rc->job = job;
	rc->run = run;
	for (unsigned i = 0; i < m->nplatforms; i++)
		rc->platforms[i] = (sql_platform){m->platforms[i].name, m->platforms[i].data_dir,
						  m->platforms[i].store};
	rc->catalog = (sql_catalog){.platforms = rc->platforms, .nplatforms = m->nplatforms,
				    .default_platform = 0, .engine_platform = 0};
	rc->limits = (sql_limits){m->cfg.job_threads, m->cfg.memory_per_operator, m->cfg.memory_per_job};
	mgr_job_lock(job);
	rc->uid = job->runs[run - 1].uid;
	rc->gid = job->runs[run - 1].gid;
	rc->scans = (mgr_exchange_scan){m, rc->uid};
	mgr_exchange_catalog(&rc->scans, &rc->catalog);
	rc->catalog.access = job_access;
	rc->catalog.access_ctx = rc;
	rc->catalog.temp_views = sql_temp_views_new();   /* NULL: no temporary views */
	rc->who = (mgr_principal){rc->uid, rc->gid};
	uint32_t log_was = mgr_log_set_uid(rc->uid);   /* the run's lines are its submitter's */
	job->runs[run - 1].started_ns = store_now_ns();
	job->runs[run - 1].progress = &rc->progress;
	mgr_job_unlock(job);
	mgr_job_set_state(job, run, MGR_JOB_RUNNING, NULL);
	int64_t t0 = store_now_ns();
	textbuf_printf(&rc->resources, "limits: threads=%u memory_per_job=%.1f MiB", rc->limits.threads,
		       (double)rc->limits.memory_per_job / 1048576.0);
	if (rc->limits.memory_per_operator)
		textbuf_printf(&rc->resources, " memory_per_operator=%.1f MiB",
			       (double)rc->limits.memory_per_operator / 1048576.0);
	textbuf_printf(&rc->resources, " spill_dir=%s\n", m->cfg.spill_dir);

	int err = mgr_job_read(m, job->id, run, MGR_JOB_FILE_SQL, &sqltext);
	sql_script script = {0};
	if (err == 0) {
		rc->text = sqltext.data ? sqltext.data : "";
		rc->len = sqltext.len;
		run_log(rc, "run %u of job %s started", run, job->name);
		err = sql_parse(a, rc->text, rc->len, &script, &rc->err);
	} else {
		sql_error_set(&rc->err, 0, 0, "cannot read the job text: %s", store_strerror(err));
	}
	uint32_t failed_at = 0;
	/* A run picked up again after a restart starts with no results. */
	mgr_job_drop_results(job, run);
	for (uint32_t i = 0, n = 0; err == 0 && i < script.nstmts; i++)
		if (stmt_makes_result(script.stmts[i]) && ++n > MGR_JOB_RESULTS_MAX) {
			failed_at = i + 1;
			sql_error_set(&rc->err, script.stmts[i]->line, script.stmts[i]->col,
				      "a job produces at most %u results (statements that return rows)",
				      MGR_JOB_RESULTS_MAX);
			err = -EINVAL;
		}
	if (err == 0) {
		rc->prechecked = sql_arena_alloc(a, (script.nstmts + 1) * sizeof *rc->prechecked);
		err = preflight(rc, script.nstmts, &failed_at);
		if (err) {
			char summary[120];
			stmt_summary(rc, script.stmts[failed_at - 1], summary, sizeof summary);
			run_log(rc, "statement %u (line %u) refused before the job ran: %s", failed_at,
				script.stmts[failed_at - 1]->line, summary);
		}
	}
	for (uint32_t i = 0; err == 0 && i < script.nstmts; i++) {
		sql_stmt *s = script.stmts[i];
		char summary[120];
		stmt_summary(rc, s, summary, sizeof summary);
		run_log(rc, "statement %u (line %u): %s", i + 1, s->line, summary);
		textbuf_printf(&rc->plan, "%s-- statement %u (line %u): %s\n", i ? "\n" : "", i + 1, s->line,
			       summary);
		/* The engine of the platform of the statement's output. */
		unsigned ep = stmt_engine_platform(rc, s);
		rc->catalog.engine_platform = ep;
		rc->engine = mgr_engine_find(m->cfg.platforms[ep].engine);
		if (!rc->engine)
			rc->engine = &sql_engine_embedded;
		if (sql_stmt_is_access(s) || (s->inner && sql_stmt_is_access(s->inner))) {
			textbuf_printf(&rc->resources, "statement %u: access control (no engine)\n", i + 1);
		} else {
			textbuf_printf(&rc->resources, "statement %u: engine: %s on %s\n", i + 1,
				       rc->engine->name, rc->platforms[ep].name);
			textbuf_printf(&rc->engine_stmts[ep], ", %u", i + 1);
		}
		memset(&rc->err, 0, sizeof rc->err);
		err = run_statement(rc, a, s);
		if (err) {
			failed_at = i + 1;
			if (!rc->err.message[0])
				sql_error_set(&rc->err, s->line, s->col, "%s", store_strerror(err));
		}
		flush_files(rc);
	}
	double secs = (double)(store_now_ns() - t0) / 1e9;
	char msg[700];
	sql_error_format(&rc->err, msg, sizeof msg);
	mgr_job_lock(job);
	job->runs[run - 1].progress = NULL;
	mgr_job_unlock(job);
	/* The final progress, frozen. */
	textbuf prog = TEXTBUF_INIT;
	struct job_run snapshot = {.progress = &rc->progress, .started_ns = t0};
	struct job fake = *job;
	fake.runs = &snapshot;
	mgr_job_render_progress(&fake, 1, &prog);
	mgr_job_write_file(job, run, MGR_JOB_FILE_PROGRESS, prog.data ? prog.data : "", prog.len);
	textbuf_free(&prog);
	flush_files(rc);
	if (err) {
		/* A failed run leaves no result: what it produced before the
		 * failure is gone before its state says failed. */
		mgr_job_drop_results(job, run);
		if (failed_at)
			textbuf_printf(&details, "statement: %u\n", failed_at);
		textbuf_printf(&details, "error: %s\n", msg);
		engines_status(rc, &details);
		textbuf_printf(&details, "elapsed: %.3f s\n", secs);
		run_log(rc, "failed: %s%s", failed_at ? "" : "", msg);
		mgr_log(MGR_LOG_WARN, "job %s run %u failed: %s", job->name, run, msg);
		mgr_job_set_state(job, run, MGR_JOB_FAILED, details.data);
	} else {
		textbuf_printf(&details, "statements: %u\nresults: %u\nrows_written: %llu\n"
			       "partitions_written: %llu\n",
			       script.nstmts, rc->nresults, (unsigned long long)rc->rows_written,
			       (unsigned long long)rc->partitions_written);
		engines_status(rc, &details);
		textbuf_printf(&details, "elapsed: %.3f s\n", secs);
		run_log(rc, "succeeded in %.3f s", secs);
		mgr_job_set_state(job, run, MGR_JOB_SUCCEEDED, details.data);
	}
	textbuf_free(&details);
	textbuf_free(&sqltext);
	textbuf_free(&rc->plan);
	textbuf_free(&rc->log);
	textbuf_free(&rc->dot);
	textbuf_free(&rc->result);
	textbuf_free(&rc->resources);
	for (unsigned i = 0; i < MGR_MAX_PLATFORMS; i++)
		textbuf_free(&rc->engine_stmts[i]);
	sql_arena_free(a);
	sql_temp_views_free(rc->catalog.temp_views);
	free(rc);
	mgr_log_set_uid(log_was);
}
