/*
 * mgr_catalog.c - databases, tables and partition directories: the
 * metastore records and the data-store directories that mirror them.
 */
#include "fmt.h"
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"
#include "sql.h"
#include "sync.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The end of every commit.  Writers live at three levels: the manager's own
 * catalog and file operations, the job engine's output (sql/) and sync
 * apply (sync/); the last two sit below manager/ and commit straight to the
 * store, so wrapping store_commit in a manager function could never catch
 * them, and each new writer would be one more place to forget.  Instead the
 * manager registers one observer on every environment it opens (each
 * platform's metastore and its own), and store_commit calls it after each
 * successful write transaction, whoever made it.  The observer counts the
 * commit (/.metafs/metrics) and wakes the change-log follower
 * (mgr_daemon.c), which reads what the commit appended to the log and hands
 * it to its subscribers: the sync scheduler (a rule whose source moved runs
 * at once) and the mount's cache invalidator.  So every writer ends in the
 * same place, and the follow-up runs on one thread of its own.
 *
 * The observer runs on the committing thread, possibly with the
 * committer's locks held (an access change holds the management mutex),
 * so it only counts and signals: it never waits for another thread.
 */
static void commit_observed(store_env *env, void *arg)
{
	mgr *m = arg;
	(void)env;
	__atomic_add_fetch(&m->commits, 1, __ATOMIC_RELAXED);
	mgr_metrics_commit(m);
	mgr_follower_wake(m);
}

void mgr_commit_observe(mgr *m)
{
	store_env_set_commit_observer(m->manager_store, commit_observed, m);
	for (unsigned i = 0; i < m->nplatforms; i++)
		store_env_set_commit_observer(m->platforms[i].store, commit_observed, m);
}

int mgr_staging_clean(mgr_platform *p)
{
	char path[PATH_MAX];
	int rc = base_path_format(path, sizeof path, "%s/%s", p->data_dir, MGR_STAGING_DIR);
	if (rc == 0)
		rc = base_fs_tree_remove(path);
	if (rc == 0 && mkdir(path, BASE_MODE_DIR) && errno != EEXIST)
		rc = -errno;
	return rc;
}

/* ---- databases ------------------------------------------------------------- */

static int path_join(char *out, size_t cap, const char *a, const char *b, const char *c)
{
	int n = c ? snprintf(out, cap, "%s/%s/%s", a, b, c) : snprintf(out, cap, "%s/%s", a, b);
	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

static bool check_name(const char *what, const char *name)
{
	const char *why = NULL;
	if (store_name_valid(name, &why))
		return true;
	mgr_log(MGR_LOG_WARN, "refused %s name \"%.80s%s\": %s", what, name,
		strlen(name) > 80 ? "..." : "", why);
	return false;
}

int mgr_database_create(mgr_platform *p, const char *name, uint32_t uid, uint32_t gid,
			store_origin origin, store_database *out)
{
	if (!check_name("database", name))
		return -EINVAL;
	if (name[0] == '.') {
		/* The data store keeps its own directories (staging) under dot names. */
		mgr_log(MGR_LOG_WARN, "refused database name \"%.80s\": names starting with '.' are "
				      "reserved", name);
		return -EINVAL;
	}
	char path[PATH_MAX];
	int rc = path_join(path, sizeof path, p->data_dir, name, NULL);
	if (rc)
		return rc;
	if (mkdir(path, BASE_MODE_DIR) && errno != EEXIST)
		return -errno;
	store_txn *txn = NULL;
	rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_database_create(txn, name, uid, gid, origin, out);
	if (rc == 0)
		rc = store_commit(txn);
	else
		store_abort(txn);
	return rc;
}

/* Remove the grants on what TXN has just dropped (DB, or its TABLE), before
 * TXN commits: see mgr_grants_drop_object. */
static int drop_grants(mgr_platform *p, const char *db, const char *table)
{
	mgr_object o = {table ? MGR_OBJ_TABLE : MGR_OBJ_DATABASE, p->name, db, table};
	return mgr_grants_drop_object(p->mgr, &o);
}

int mgr_database_drop(mgr_platform *p, const char *name, store_origin origin)
{
	store_txn *txn = NULL;
	int rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_database_drop(txn, name, origin);
	if (rc == 0)
		rc = drop_grants(p, name, NULL);
	if (rc == 0)
		rc = store_commit(txn);
	else
		store_abort(txn);
	if (rc)
		return rc;
	char path[PATH_MAX];
	if (path_join(path, sizeof path, p->data_dir, name, NULL) == 0 && rmdir(path) &&
	    errno != ENOENT)
		mgr_log(MGR_LOG_WARN, "dropped database %s.%s but kept its directory %s: %s",
			p->name, name, path, strerror(errno));
	return 0;
}

/* ---- tables -------------------------------------------------------------------- */

int mgr_table_create(mgr_platform *p, const char *db, const char *name, uint32_t uid,
		     uint32_t gid, store_origin origin, store_table *out)
{
	if (!check_name("table", name))
		return -EINVAL;
	char path[PATH_MAX];
	int rc = path_join(path, sizeof path, p->data_dir, db, name);
	if (rc)
		return rc;
	/* A database that a sync rule created has no directory yet: make both.
	 * An unknown database is refused by the metastore below. */
	store_txn *txn = NULL;
	store_database d;
	rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_database_get(txn, db, &d);
	store_abort(txn);
	txn = NULL;
	if (rc)
		return rc;
	if ((rc = base_fs_mkdirs(path, BASE_MODE_DIR)))
		return rc;
	rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_create(txn, db, name, uid, gid, origin, out);
	if (rc == 0)
		rc = store_commit(txn);
	else
		store_abort(txn);
	return rc;
}

static int table_is_empty(store_txn *txn, const store_table *t)
{
	store_iter *it = NULL;
	store_pnode pn;
	store_file f;
	int rc;
	if (t->npartkeys > 0) {
		rc = store_iter_pnodes(txn, t->id, 0, NULL, &it);
		if (rc == 0)
			rc = store_iter_next(it, &pn);
	} else {
		rc = store_iter_files(txn, t->id, NULL, &it);
		if (rc == 0)
			rc = store_iter_next(it, &f);
	}
	store_iter_close(it);
	if (rc == 0)
		return -ENOTEMPTY;
	return rc == -ENOENT ? 0 : rc;
}

int mgr_table_drop(mgr_platform *p, const char *db, const char *name, store_origin origin)
{
	store_txn *txn = NULL;
	store_table t = {0};
	int rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, db, name, &t);
	if (rc == 0)
		rc = table_is_empty(txn, &t);
	if (rc == 0)
		rc = store_table_drop(txn, db, name, origin);
	if (rc == 0)
		rc = drop_grants(p, db, name);
	if (rc == 0)
		rc = store_commit(txn);
	else
		store_abort(txn);
	store_table_clear(&t);
	if (rc)
		return rc;
	char path[PATH_MAX];
	int joined = path_join(path, sizeof path, p->data_dir, db, name);
	if (joined == 0)
		mgr_hidden_remove_all(p, path);
	if (joined == 0 && rmdir(path) && errno != ENOENT)
		mgr_log(MGR_LOG_WARN, "dropped table %s.%s.%s but kept its directory %s: %s",
			p->name, db, name, path, strerror(errno));
	return 0;
}

/* ---- schema text ------------------------------------------------------------------ */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse one .schema document into T (format, header, columns, properties). */
static int schema_parse(const char *text, size_t len, store_table *t, char *err, size_t errlen)
{
	int rc = 0;
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	/* A NUL byte was refused by mgr_table_define, which names its place. */
	t->format = STORE_FORMAT_CSV;
	t->header = false;
	t->ncolumns = t->npartkeys = 0;
	t->columns = calloc(STORE_MAX_COLUMNS + STORE_MAX_PARTKEYS, sizeof *t->columns);
	textbuf props = TEXTBUF_INIT;
	if (!t->columns) {
		rc = -ENOMEM;
		goto out;
	}
	unsigned lineno = 0;
	for (char *line = copy, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *kw = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
		s = trim(s);
		char *hash = strstr(s, " #");
		if (hash)
			*hash = '\0';
		hash = strstr(s, "\t#");
		if (hash)
			*hash = '\0';
		s = trim(s);
		if (!strcasecmp(kw, "property")) {
			char *eq = strchr(s, '=');
			if (!eq) {
				snprintf(err, errlen, "line %u: expected \"property KEY = VALUE\"", lineno);
				rc = -EINVAL;
				goto out_props;
			}
			*eq = '\0';
			char *key = trim(s), *value = trim(eq + 1);
			char why[160];
			/* Only what renders back as this very line is stored. */
			if (store_property_check(key, strlen(key), value, strlen(value), why,
						 sizeof why)) {
				snprintf(err, errlen, "line %u: %s", lineno, why);
				rc = -EINVAL;
				goto out_props;
			}
			/* metafs.* properties are the daemon's: sync apply writes
			 * them, nothing written here may. */
			if (sync_property_reserved(key, strlen(key))) {
				snprintf(err, errlen, "line %u: property %.128s is reserved for metafs",
					 lineno, key);
				rc = -EPERM;
				goto out_props;
			}
			textbuf_printf(&props, "%s=%s\n", key, value);
			continue;
		}
		char *arg1 = s, *arg2 = NULL;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s) {
			*s++ = '\0';
			arg2 = trim(s);
			if (!*arg2)
				arg2 = NULL;
		}
		if (!strcasecmp(kw, "format")) {
			store_format f;
			if (!arg2 && fmt_from_name(arg1, strlen(arg1), &f))
				t->format = f;
			else {
				snprintf(err, errlen, "line %u: unknown format \"%.40s\" (%s)",
					 lineno, arg1, fmt_names_list());
				rc = -EINVAL;
				goto out_props;
			}
		} else if (!strcasecmp(kw, "header")) {
			if (!strcasecmp(arg1, "true") && !arg2)
				t->header = true;
			else if (!strcasecmp(arg1, "false") && !arg2)
				t->header = false;
			else {
				snprintf(err, errlen, "line %u: header is true or false", lineno);
				rc = -EINVAL;
				goto out_props;
			}
		} else if (!strcasecmp(kw, "column") || !strcasecmp(kw, "partition")) {
			bool part = !strcasecmp(kw, "partition");
			const char *why = NULL;
			store_type type;
			if (!*arg1 || !arg2) {
				snprintf(err, errlen, "line %u: expected \"%s NAME TYPE\"", lineno,
					 part ? "partition" : "column");
				rc = -EINVAL;
				goto out_props;
			}
			if (!store_name_valid(arg1, &why) || strchr(arg1, '=') ||
			    store_text_control(arg1, strlen(arg1)) >= 0) {
				snprintf(err, errlen, "line %u: bad column name \"%.40s\": %s", lineno,
					 arg1, why ? why : strchr(arg1, '=') ? "'=' is not allowed"
						   : "name contains a control character");
				rc = -EINVAL;
				goto out_props;
			}
			/* Spaces only inside decimal(p, s)'s parentheses. */
			if ((strpbrk(arg2, " \t") && !strchr(arg2, '(')) ||
			    store_type_parse(arg2, &type)) {
				snprintf(err, errlen,
					 "line %u: unknown type \"%.40s\" (string, bigint, int, double, "
					 "decimal(p,s), boolean, date, timestamp)", lineno, arg2);
				rc = -EINVAL;
				goto out_props;
			}
			if (!part && t->npartkeys) {
				snprintf(err, errlen, "line %u: columns come before partition keys", lineno);
				rc = -EINVAL;
				goto out_props;
			}
			if (part ? t->npartkeys == STORE_MAX_PARTKEYS : t->ncolumns == STORE_MAX_COLUMNS) {
				snprintf(err, errlen, "line %u: too many %s (at most %d)", lineno,
					 part ? "partition keys" : "columns",
					 part ? STORE_MAX_PARTKEYS : STORE_MAX_COLUMNS);
				rc = -EINVAL;
				goto out_props;
			}
			for (uint32_t i = 0; i < t->ncolumns + t->npartkeys; i++)
				if (!strcasecmp(t->columns[i].name, arg1)) {
					snprintf(err, errlen, "line %u: duplicate column \"%.40s\"", lineno, arg1);
					rc = -EINVAL;
					goto out_props;
				}
			store_column *c = &t->columns[t->ncolumns + t->npartkeys];
			snprintf(c->name, sizeof c->name, "%s", arg1);
			c->type = type;
			if (part)
				t->npartkeys++;
			else
				t->ncolumns++;
		} else {
			snprintf(err, errlen,
				 "line %u: unknown keyword \"%.40s\" (format, header, column, partition, "
				 "property)", lineno, kw);
			rc = -EINVAL;
			goto out_props;
		}
	}
	if (t->ncolumns == 0) {
		snprintf(err, errlen, "no columns: a table needs at least one \"column NAME TYPE\" line");
		rc = -EINVAL;
		goto out_props;
	}
	/* header applies to csv only, and is rendered for csv only. */
	if (t->format != STORE_FORMAT_CSV)
		t->header = false;
	if ((rc = textbuf_error(&props)))
		goto out_props;
	t->properties = props.len ? textbuf_steal(&props, NULL) : NULL;
out_props:
	textbuf_free(&props);
out:
	free(copy);
	return rc;
}

int mgr_schema_parse(const char *text, size_t len, store_table *t, char *err, size_t errlen)
{
	int rc = mgr_definition_check_text(text, len, err, errlen);
	if (rc == 0)
		rc = schema_parse(text, len, t, err, errlen);
	t->has_schema = rc == 0;
	return rc;
}

int mgr_table_define(mgr_platform *p, const char *db, const char *name, const char *text,
		     size_t len, store_origin origin, char *err, size_t errlen)
{
	store_table t = {0};
	snprintf(t.db, sizeof t.db, "%s", db);
	snprintf(t.name, sizeof t.name, "%s", name);
	int rc = mgr_definition_check_text(text, len, err, errlen);
	if (rc == 0)
		rc = schema_parse(text, len, &t, err, errlen);
	if (rc == 0) {
		store_txn *txn = NULL;
		rc = store_write_begin(p->store, &txn);
		if (rc == 0)
			rc = store_table_set_schema(txn, &t, origin);
		if (rc == 0)
			rc = store_commit(txn);
		else
			store_abort(txn);
		if (rc == -EEXIST)
			snprintf(err, errlen, "the table already has a schema");
		else if (rc)
			snprintf(err, errlen, "%s", store_strerror(rc));
	}
	if (rc)
		mgr_log(MGR_LOG_WARN, "refused .schema of %s.%s.%s: %s", p->name, db, name, err);
	store_table_clear(&t);
	return rc;
}

/* Do A and B differ in format, header, columns or partition keys? */
static bool shape_differs(const store_table *a, const store_table *b)
{
	if (a->format != b->format || a->header != b->header || a->ncolumns != b->ncolumns ||
	    a->npartkeys != b->npartkeys)
		return true;
	for (uint32_t i = 0; i < a->ncolumns + a->npartkeys; i++)
		if (strcmp(a->columns[i].name, b->columns[i].name) || a->columns[i].type != b->columns[i].type)
			return true;
	return false;
}

int mgr_table_alter(mgr_platform *p, const char *db, const char *name, const char *text,
		    size_t len, store_origin origin, char *err, size_t errlen)
{
	store_table nt = {0}, cur = {0};
	textbuf props = TEXTBUF_INIT;
	store_txn *txn = NULL;
	snprintf(err, errlen, "%s", "");
	int rc = mgr_schema_parse(text, len, &nt, err, errlen);
	if (rc)
		goto out;
	rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, db, name, &cur);
	if (rc == 0 && !cur.has_schema) {
		snprintf(err, errlen, "the table has no schema yet");
		rc = -EINVAL;
	}
	if (rc == 0 && shape_differs(&cur, &nt) && (rc = table_is_empty(txn, &cur)) == -ENOTEMPTY)
		snprintf(err, errlen, "the format, columns or partition keys of a table that holds "
				      "partitions or files cannot change");
	if (rc)
		goto out;
	/* The daemon's own properties (metafs.*) stay as they are. */
	for (const char *s = cur.properties; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *eq = memchr(s, '=', n);
		if (eq && sync_property_reserved(s, (size_t)(eq - s)))
			textbuf_printf(&props, "%.*s\n", (int)n, s);
		s += n + (nl ? 1 : 0);
	}
	if (nt.properties)
		textbuf_printf(&props, "%s", nt.properties);
	if ((rc = textbuf_error(&props)))
		goto out;
	free(nt.properties);
	nt.properties = props.data;
	props = (textbuf)TEXTBUF_INIT;
	snprintf(nt.db, sizeof nt.db, "%s", db);
	snprintf(nt.name, sizeof nt.name, "%s", name);
	rc = store_table_alter(txn, &nt, origin);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	if (rc && !err[0])
		snprintf(err, errlen, "%s", store_strerror(rc));
out:
	store_abort(txn);
	if (rc && rc != -ENOENT)
		mgr_log(MGR_LOG_WARN, "refused a change of the schema of %s.%s.%s: %s", p->name, db, name,
			err);
	textbuf_free(&props);
	store_table_clear(&nt);
	store_table_clear(&cur);
	return rc;
}

int mgr_render_schema(const store_table *t, textbuf *out)
{
	if (!t->has_schema)
		return textbuf_error(out);
	textbuf_printf(out, "format %s\n", fmt_name(t->format));
	if (t->format == STORE_FORMAT_CSV)
		textbuf_printf(out, "header %s\n", t->header ? "true" : "false");
	for (uint32_t i = 0; i < t->ncolumns + t->npartkeys; i++)
		textbuf_printf(out, "%s %s %s\n", i < t->ncolumns ? "column" : "partition",
			       t->columns[i].name, store_type_name(t->columns[i].type));
	for (const char *s = t->properties; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *eq = memchr(s, '=', n);
		if (eq)
			textbuf_printf(out, "property %.*s = %.*s\n", (int)(eq - s), s,
				       (int)(n - (size_t)(eq - s) - 1), eq + 1);
		s += n + (nl ? 1 : 0);
	}
	return textbuf_error(out);
}

/* ---- partition directories ----------------------------------------------------------- */

int mgr_pnode_parse_name(const store_table *t, uint32_t depth, const char *name,
			 char value[STORE_NAME_MAX + 1])
{
	if (!check_name("partition", name))
		return -EINVAL;
	if (!t->has_schema || depth == 0 || depth > t->npartkeys)
		return -EINVAL;
	const char *key = t->columns[t->ncolumns + depth - 1].name;
	size_t klen = strlen(key);
	if (strncmp(name, key, klen) != 0 || name[klen] != '=') {
		mgr_log(MGR_LOG_WARN, "refused partition name \"%.80s\" in %s.%s: expected \"%s=VALUE\"",
			name, t->db, t->name, key);
		return -EINVAL;
	}
	const char *escaped = name + klen + 1;
	if (!*escaped) {
		mgr_log(MGR_LOG_WARN, "refused partition name \"%s\" in %s.%s: empty value", name,
			t->db, t->name);
		return -EINVAL;
	}
	int rc = store_hive_unescape(escaped, value, STORE_NAME_MAX + 1);
	if (rc) {
		mgr_log(MGR_LOG_WARN, "refused partition name \"%.80s\" in %s.%s: malformed %%XX escape",
			name, t->db, t->name);
		return -EINVAL;
	}
	return 0;
}

int mgr_pnode_name(const store_table *t, const store_pnode *pn, char *out, size_t cap)
{
	if (pn->depth == 0 || pn->depth > t->npartkeys)
		return -EINVAL;
	char esc[3 * STORE_NAME_MAX + 1];
	int rc = store_hive_escape(pn->value, esc, sizeof esc);
	if (rc)
		return rc;
	int n = snprintf(out, cap, "%s=%s", t->columns[t->ncolumns + pn->depth - 1].name, esc);
	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}


int mgr_pnode_create(mgr_platform *p, const store_table *t, uint64_t parent_id,
		     const char *name, uint32_t uid, uint32_t gid, store_origin origin,
		     store_pnode *out)
{
	char value[STORE_NAME_MAX + 1];
	store_txn *txn = NULL;
	uint32_t depth = 1;
	char path[PATH_MAX];
	int rc = store_write_begin(p->store, &txn);
	if (rc)
		return rc;
	if (parent_id) {
		store_kind kind;
		store_object parent;
		rc = store_object_by_id(txn, parent_id, &kind, &parent);
		if (rc == 0 && kind != STORE_KIND_PNODE) {
			if (kind == STORE_KIND_TABLE)
				store_table_clear(&parent.table);
			rc = -EINVAL;
		}
		if (rc)
			goto out;
		depth = parent.pnode.depth + 1;
	}
	rc = mgr_pnode_parse_name(t, depth, name, value);
	if (rc)
		goto out;
	/* A mkdir through the mount names a new value, which must read back as
	 * itself: the engine would read "dt=notadate" of a DATE key as NULL.
	 * Jobs, repair and sync register what the data store holds and keep
	 * their own rules, so only the mount's requests are checked here. */
	store_type type = t->columns[t->ncolumns + depth - 1].type;
	if (origin == STORE_ORIGIN_FS && sql_partition_value_check(value, type)) {
		mgr_log(MGR_LOG_WARN, "refused partition name \"%.80s\" in %s.%s: \"%.80s\" is not a %s",
			name, t->db, t->name, value, store_type_name(type));
		rc = -EINVAL;
		goto out;
	}
	/* The directory first: a crash before the commit leaves only an unlisted
	 * empty directory. */
	rc = store_data_path(txn, p->data_dir, t, parent_id ? parent_id : t->id, NULL, path, sizeof path);
	if (rc == 0) {
		size_t len = strlen(path);
		rc = snprintf(path + len, sizeof path - len, "/%s", name) >= (int)(sizeof path - len)
			     ? -ENAMETOOLONG : 0;
		char esc[STORE_NAME_MAX * 3 + 1];
		if (rc == 0 && (rc = store_hive_escape(value, esc, sizeof esc)) == 0)
			/* the canonical spelling, whatever the caller typed */
			snprintf(path + len, sizeof path - len, "/%s=%s",
				 t->columns[t->ncolumns + depth - 1].name, esc);
	}
	if (rc)
		goto out;
	if (mkdir(path, BASE_MODE_DIR) && errno != EEXIST) {
		rc = -errno;
		goto out;
	}
	rc = store_pnode_create(txn, t->id, parent_id, value, uid, gid, origin, out);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
out:
	store_abort(txn);
	if (rc == -ENAMETOOLONG)
		mgr_log(MGR_LOG_WARN, "refused partition \"%.80s\" in %s.%s: the partition spec is too long",
			name, t->db, t->name);
	return rc;
}

int mgr_partitions_create(mgr_platform *p, const store_table *t, uint32_t n,
			  const char *const *values, bool if_not_exists, uint32_t uid, uint32_t gid,
			  store_origin origin, bool *created, char *err, size_t errlen)
{
	uint32_t keys = t->npartkeys;
	snprintf(err, errlen, "%s", "");
	if (!t->has_schema || keys == 0) {
		snprintf(err, errlen, "table %s.%s is not partitioned", t->db, t->name);
		return -EINVAL;
	}
	/* Every value first, so a bad one changes nothing. */
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < keys; k++) {
			const char *v = values[(size_t)i * keys + k];
			store_type type = t->columns[t->ncolumns + k].type;
			if (!v || !*v || strlen(v) > STORE_NAME_MAX || strchr(v, '\n') ||
			    ((origin == STORE_ORIGIN_FS || origin == STORE_ORIGIN_HMS) &&
			     sql_partition_value_check(v, type))) {
				snprintf(err, errlen, "partition value %s=\"%.200s\" of %s.%s is not a %s",
					 t->columns[t->ncolumns + k].name, v ? v : "", t->db, t->name,
					 store_type_name(type));
				mgr_log(MGR_LOG_WARN, "refused %s", err);
				return -EINVAL;
			}
		}
	store_txn *txn = NULL;
	/* The directories this call made, removed again if it does not commit
	 * (repair would otherwise register them as partitions). */
	char **dirs = NULL;
	size_t ndirs = 0;
	int rc = store_write_begin(p->store, &txn);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		uint64_t parent = 0;
		bool made = false;
		for (uint32_t k = 0; rc == 0 && k < keys; k++) {
			const char *v = values[(size_t)i * keys + k];
			store_pnode pn;
			rc = store_pnode_get(txn, t->id, parent, v, &pn);
			if (rc == -ENOENT) {
				/* The directory first, as mgr_pnode_create does. */
				char path[PATH_MAX], esc[3 * STORE_NAME_MAX + 1];
				rc = store_data_path(txn, p->data_dir, t, parent ? parent : t->id, NULL, path,
						     sizeof path);
				size_t len = strlen(path);
				if (rc == 0)
					rc = store_hive_escape(v, esc, sizeof esc);
				if (rc == 0 && snprintf(path + len, sizeof path - len, "/%s=%s",
							t->columns[t->ncolumns + k].name, esc) >=
						       (int)(sizeof path - len))
					rc = -ENAMETOOLONG;
				if (rc == 0 && mkdir(path, BASE_MODE_DIR) == 0) {
					char **d = realloc(dirs, (ndirs + 1) * sizeof *dirs);
					if (d)
						dirs = d;
					if (d && (dirs[ndirs] = strdup(path))) {
						ndirs++;
					} else {
						rmdir(path);
						rc = -ENOMEM;
					}
				} else if (rc == 0 && errno != EEXIST) {
					rc = -errno;
				}
				if (rc == 0)
					rc = store_pnode_create(txn, t->id, parent, v, uid, gid, origin, &pn);
				made = rc == 0 && k + 1 == keys;
			}
			parent = pn.id;
		}
		if (rc == 0 && !made && !if_not_exists)
			rc = -EEXIST;
		if (created)
			created[i] = made;
	}
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	for (size_t i = ndirs; i-- > 0;) {
		if (rc)
			rmdir(dirs[i]);
		free(dirs[i]);
	}
	free(dirs);
	if (rc == -ENAMETOOLONG) {
		snprintf(err, errlen, "a partition of %s.%s: the partition spec is too long", t->db,
			 t->name);
		mgr_log(MGR_LOG_WARN, "refused %s", err);
	}
	return rc;
}

int mgr_pnode_drop(mgr_platform *p, const store_table *t, uint64_t pnode_id,
		   store_origin origin)
{
	char path[PATH_MAX];
	store_txn *txn = NULL;
	int rc = store_write_begin(p->store, &txn);
	if (rc)
		return rc;
	rc = store_data_path(txn, p->data_dir, t, pnode_id, NULL, path, sizeof path);
	if (rc == 0)
		rc = store_pnode_drop(txn, pnode_id, origin);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	if (rc == 0)
		mgr_hidden_remove_all(p, path);
	if (rc == 0 && rmdir(path) && errno != ENOENT)
		mgr_log(MGR_LOG_WARN, "dropped partition but kept its directory %s: %s", path,
			strerror(errno));
	return rc;
}

int mgr_table_purge(mgr_platform *p, const char *db, const char *name, store_origin origin)
{
	store_txn *txn = NULL;
	int rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_table_drop(txn, db, name, origin);
	if (rc == 0)
		rc = drop_grants(p, db, name);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	if (rc)
		return rc;
	char path[PATH_MAX];
	if (path_join(path, sizeof path, p->data_dir, db, name) == 0 && (rc = base_fs_tree_remove(path)))
		mgr_log(MGR_LOG_WARN, "dropped table %s.%s.%s but could not remove all of %s: %s", p->name,
			db, name, path, strerror(-rc));
	return 0;
}

int mgr_pnode_purge(mgr_platform *p, const store_table *t, uint64_t pnode_id,
		    store_origin origin)
{
	char path[PATH_MAX];
	store_txn *txn = NULL;
	int rc = store_write_begin(p->store, &txn);
	if (rc)
		return rc;
	rc = store_data_path(txn, p->data_dir, t, pnode_id, NULL, path, sizeof path);
	/* Drop the files first, a batch at a time (the iterator must not see
	 * its own deletions). */
	while (rc == 0) {
		char names[64][STORE_NAME_MAX + 1];
		unsigned n = 0;
		store_iter *it = NULL;
		store_file f;
		rc = store_iter_files(txn, pnode_id, NULL, &it);
		while (rc == 0 && n < 64 && (rc = store_iter_next(it, &f)) == 0)
			memcpy(names[n++], f.name, sizeof names[0]);
		store_iter_close(it);
		if (rc == -ENOENT)
			rc = 0;
		for (unsigned i = 0; rc == 0 && i < n; i++)
			rc = store_file_drop(txn, pnode_id, names[i], origin);
		if (n < 64)
			break;
	}
	if (rc == 0)
		rc = store_pnode_drop(txn, pnode_id, origin);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	if (rc)
		return rc;
	if ((rc = base_fs_tree_remove(path)))
		mgr_log(MGR_LOG_WARN, "dropped a partition but could not remove all of %s: %s", path,
			strerror(-rc));
	return 0;
}
