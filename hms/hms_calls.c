/*
 * hms_calls.c - the calls of ThriftHiveMetastore and fb303 that metafs
 * serves, mapped onto the manager's catalog (field ids: hive_metastore.thrift).
 *
 * Who asks.  A connection names its user with set_ugi (Hive clients do so
 * when hive.metastore.execute.setugi is on, the default; Trino with
 * hive.metastore.username).  The name is resolved with getpwnam; an
 * unknown name, or the daemon's own unless [hms] allow_daemon_user, is
 * refused with MetaException.  Catalog calls before set_ugi are refused
 * the same way.  Nothing checks the name: an unsecured metastore trusts
 * its network (metafsd(8)).
 *
 * What a user sees.  Listings leave out databases and tables the user
 * cannot see (mgr_access_visible); a get of one of those answers
 * NoSuchObjectException, exactly as for a missing one, so existence is not
 * revealed.  Every call is audited as "list" or "read" of the object with
 * the call's name as detail.
 *
 * Tables are answered as EXTERNAL_TABLE: their bytes live in the platform's
 * data store and stay metafs's, whatever a client would do on a drop.
 */
#include "hms_int.h"
#include "hms_value.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FB303_ALIVE 2
#define PRINCIPAL_USER 1
void hms_reply_begin(hms_conn *c, hms_writer *w, const char *name, int32_t seqid)
{
	hms_write_message_begin(w, name, HMS_REPLY, seqid, c->old_style);
}

/* A result struct holding only exception ID (MetaException,
 * NoSuchObjectException, ...: each a struct with 1: string message). */
void hms_reply_exception(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			    int16_t id, const char *msg)
{
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, id);
	hms_write_string_field(w, 1, msg);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
}

void hms_write_string_list(hms_writer *w, char **v, size_t n)
{
	hms_write_list_begin(w, HMS_T_STRING, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		hms_write_string(w, v[i]);
}

void hms_user_name(uint32_t uid, char *out, size_t cap)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof buf, &res) == 0 && res)
		snprintf(out, cap, "%s", pw.pw_name);
	else
		snprintf(out, cap, "%u", uid);
}

int hms_names_add(hms_names *l, const char *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(s)))
		return -ENOMEM;
	l->n++;
	return 0;
}

void hms_names_free(hms_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

bool hms_pattern_match(const char *pattern, const char *name)
{
	if (!pattern || !*pattern)
		return true;
	const char *alt = pattern;
	for (;;) {
		const char *end = strchr(alt, '|');
		size_t len = end ? (size_t)(end - alt) : strlen(alt);
		while (len > 0 && *alt == ' ') {
			alt++;
			len--;
		}
		while (len > 0 && alt[len - 1] == ' ')
			len--;
		/* Glob with '*' over ALT[0..len), backtracking to the last star. */
		const char *p = alt, *pe = alt + len, *s = name, *star = NULL, *mark = NULL;
		bool ok = false;
		for (;;) {
			if (p < pe && *p == '*') {
				star = ++p;
				mark = s;
			} else if (*s && p < pe && tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
				p++;
				s++;
			} else if (!*s && p == pe) {
				ok = true;
				break;
			} else if (star && *mark) {
				p = star;
				s = ++mark;
			} else {
				break;
			}
		}
		if (ok)
			return true;
		if (!end)
			return false;
		alt = end + 1;
	}
}

/* Split Hive 3's "@CATALOG#DB" form ("!" for an empty DB); a plain name
 * keeps *CAT NULL.  RAW is modified in place. */
void hms_split_catalog(char *raw, const char **cat, const char **db)
{
	*cat = NULL;
	*db = raw ? raw : "";
	if (raw && raw[0] == '@') {
		char *hash = strchr(raw, '#');
		*cat = raw + 1;
		if (hash) {
			*hash = '\0';
			*db = hash + 1;
		} else {
			*db = "";
		}
		if (strcmp(*db, "!") == 0)
			*db = "";
	}
}

void hms_request_names(const hms_value *req, int16_t db_id, int16_t cat_id, const char **cat,
		       const char **db)
{
	hms_split_catalog(hms_field_string(req, db_id), cat, db);
	if (hms_field_string(req, cat_id))
		*cat = hms_field_string(req, cat_id);
}

/* The platform of catalog CAT: "hive", none or "" the first one. */
mgr_platform *hms_catalog_platform(hms_conn *c, const char *cat)
{
	if (!cat || !*cat || strcasecmp(cat, "hive") == 0)
		return mgr_platform_count(c->m) ? mgr_platform_at(c->m, 0) : NULL;
	return mgr_platform_find(c->m, cat);
}

const char *hms_catalog_name(const mgr_platform *p)
{
	return p->index == 0 ? "hive" : p->name;
}

/* Refuse a catalog call before set_ugi: MetaException in field EXC_ID. */
static bool need_user(hms_conn *c, hms_writer *w, const char *name, int32_t seqid, int16_t exc_id)
{
	if (c->has_user)
		return true;
	hms_reply_exception(c, w, name, seqid, exc_id, "set_ugi first: metafs decides every call as a named user");
	return false;
}

/* ---- fb303 and the session ------------------------------------------------------ */

static int call_get_name(hms_conn *c, hms_reader *r, hms_writer *w, const char *name, int32_t seqid)
{
	if (hms_skip(r, HMS_T_STRUCT))
		return r->err;
	hms_reply_begin(c, w, name, seqid);
	hms_write_string_field(w, 0, "metafs");
	hms_write_field_stop(w);
	return 0;
}

static int call_get_version(hms_conn *c, hms_reader *r, hms_writer *w, const char *name,
			    int32_t seqid)
{
	if (hms_skip(r, HMS_T_STRUCT))
		return r->err;
	hms_reply_begin(c, w, name, seqid);
	hms_write_string_field(w, 0, METAFS_VERSION);
	hms_write_field_stop(w);
	return 0;
}

static int call_get_status(hms_conn *c, hms_reader *r, hms_writer *w, const char *name,
			   int32_t seqid)
{
	if (hms_skip(r, HMS_T_STRUCT))
		return r->err;
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_I32, 0);
	hms_write_i32(w, FB303_ALIVE);
	hms_write_field_stop(w);
	return 0;
}

static int call_alive_since(hms_conn *c, hms_reader *r, hms_writer *w, const char *name,
			    int32_t seqid)
{
	if (hms_skip(r, HMS_T_STRUCT))
		return r->err;
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_I64, 0);
	hms_write_i64(w, c->started_s);
	hms_write_field_stop(w);
	return 0;
}

/* set_ugi(1: string hms_user_name, 2: list<string> group_names) -> list<string>:
 * the groups given, then the user name (as Hive's HMSHandler answers). */
static int call_set_ugi(hms_conn *c, hms_reader *r, hms_writer *w, const char *name, int32_t seqid)
{
	char *user = NULL;
	hms_names groups = {0};
	int rc = 0;
	for (;;) {
		int t;
		int16_t id;
		if (hms_read_field_begin(r, &t, &id))
			goto bad;
		if (t == HMS_T_STOP)
			break;
		if (t == HMS_T_STRING && id == 1 && !user) {
			if (hms_read_string(r, &user, NULL))
				goto bad;
		} else if (t == HMS_T_LIST && id == 2 && groups.n == 0) {
			int et;
			uint32_t n;
			if (hms_read_list_begin(r, &et, &n))
				goto bad;
			for (uint32_t i = 0; i < n; i++) {
				char *g = NULL;
				if (et != HMS_T_STRING) {
					if (hms_skip(r, et))
						goto bad;
					continue;
				}
				if (hms_read_string(r, &g, NULL))
					goto bad;
				rc = hms_names_add(&groups, g);
				free(g);
				if (rc)
					goto out;
			}
		} else if (hms_skip(r, t)) {
			goto bad;
		}
	}
	struct passwd pw, *res = NULL;
	char buf[2048];
	char msg[400];
	if (!user || !*user || getpwnam_r(user, &pw, buf, sizeof buf, &res) || !res) {
		snprintf(msg, sizeof msg, "set_ugi: no user \"%.256s\" on the metastore's host",
			 user ? user : "");
		mgr_audit(c->m, MGR_LOG_NO_UID, "hms set_ugi", "/", false, 0, msg);
		hms_reply_exception(c, w, name, seqid, 1, msg);
		goto out;
	}
	if (pw.pw_uid == getuid() && !c->allow_daemon_user) {
		snprintf(msg, sizeof msg,
			 "set_ugi: \"%.256s\" is the daemon's own user ([hms] allow_daemon_user is off)", user);
		mgr_audit(c->m, (uint32_t)pw.pw_uid, "hms set_ugi", "/", false, 0, msg);
		mgr_log(MGR_LOG_WARN, "hms: %s", msg);
		hms_reply_exception(c, w, name, seqid, 1, msg);
		goto out;
	}
	mgr_principal who = {.uid = (uint32_t)pw.pw_uid, .gid = (uint32_t)pw.pw_gid};
	if (mgr_audit_decision(c->m, &who, "hms set_ugi", "/", true, 0, user)) {
		hms_reply_exception(c, w, name, seqid, 1, "set_ugi: the audit log cannot be written");
		goto out;
	}
	c->has_user = true;
	snprintf(c->user, sizeof c->user, "%s", user);
	c->who = who;
	mgr_log_set_uid(who.uid);
	if ((rc = hms_names_add(&groups, user)))
		goto out;
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_LIST, 0);
	hms_write_string_list(w, groups.v, groups.n);
	hms_write_field_stop(w);
	goto out;
bad:
	rc = r->err;
out:
	free(user);
	hms_names_free(&groups);
	return rc;
}

/* get_config_value(1: name, 2: defaultValue) -> string. */
static void call_get_config_value(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
				  int32_t seqid)
{
	const char *key = hms_field_string(a, 1) ? hms_field_string(a, 1) : "";
	const char *val = hms_field_string(a, 2) ? hms_field_string(a, 2) : "";
	char buf[PATH_MAX + 300];
	if (strcmp(key, "hive.metastore.warehouse.dir") == 0 ||
	    strcmp(key, "metastore.warehouse.dir") == 0) {
		mgr_platform *p = hms_catalog_platform(c, NULL);
		snprintf(buf, sizeof buf, "%s/%s", c->location_prefix, p ? p->name : "");
		val = buf;
	} else if (strcmp(key, "metastore.catalog.default") == 0) {
		val = "hive";
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_string_field(w, 0, val);
	hms_write_field_stop(w);
}

/* ---- databases ---------------------------------------------------------------- */

static int list_databases(hms_conn *c, mgr_platform *p, const char *pattern, hms_names *out)
{
	store_txn *txn;
	store_iter *it;
	hms_names all = {0};
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	rc = store_iter_databases(txn, NULL, &it);
	if (rc == 0) {
		store_database d;
		while ((rc = store_iter_next(it, &d)) == 0)
			if (hms_pattern_match(pattern, d.name) && (rc = hms_names_add(&all, d.name)))
				break;
		if (rc == -ENOENT)
			rc = 0;
		store_iter_close(it);
	}
	store_commit(txn);
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		mgr_object o = {.level = MGR_OBJ_DATABASE, .platform = p->name, .db = all.v[i]};
		if (mgr_access_visible(c->m, &c->who, &o))
			rc = hms_names_add(out, all.v[i]);
	}
	hms_names_free(&all);
	return rc;
}

/* get_all_databases() and get_databases(1: pattern) -> list<string>,
 * throws (1: MetaException). */
static void call_get_databases(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			       int32_t seqid)
{
	hms_names out = {0};
	int rc = 0;
	const char *cat, *pattern;
	hms_split_catalog(hms_field_string(a, 1), &cat, &pattern);
	if (strcmp(name, "get_all_databases") == 0)
		pattern = NULL;
	mgr_platform *p = hms_catalog_platform(c, cat);
	if (p) {
		char path[STORE_NAME_MAX + 2];
		snprintf(path, sizeof path, "/%s", p->name);
		if (mgr_audit_decision(c->m, &c->who, "list", path, true, 0, name)) {
			hms_reply_exception(c, w, name, seqid, 1, "the audit log cannot be written");
			goto out;
		}
		if ((rc = list_databases(c, p, pattern, &out)))
			goto out;
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_LIST, 0);
	hms_write_string_list(w, out.v, out.n);
	hms_write_field_stop(w);
out:
	if (rc) {
		hms_writer_reset(w);
		hms_reply_exception(c, w, name, seqid, 1, strerror(-rc));
	}
	hms_names_free(&out);
}

/* The whole reply of NAME answering database CAT/DB: the Database in field
 * 0, or NoSuchObjectException (1) for a missing one or one the user may
 * not see, audited as "read" either way. */
void hms_reply_database(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			const char *cat, const char *db)
{
	mgr_platform *p = hms_catalog_platform(c, cat);
	store_database d;
	int rc = -ENOENT;
	char path[2 * STORE_NAME_MAX + 4];
	snprintf(path, sizeof path, "/%s/%s", p ? p->name : (cat ? cat : ""), db);
	if (p && store_name_valid(db, NULL)) {
		store_txn *txn;
		if ((rc = store_read_begin(p->store, &txn)) == 0) {
			rc = store_database_get(txn, db, &d);
			store_commit(txn);
		}
	}
	bool seen = false;
	if (rc == 0) {
		mgr_object o = {.level = MGR_OBJ_DATABASE, .platform = p->name, .db = db};
		seen = mgr_access_visible(c->m, &c->who, &o);
	}
	if (mgr_audit_decision(c->m, &c->who, "read", path, seen, MGR_PRIV_SELECT, name)) {
		char msg[300];
		snprintf(msg, sizeof msg, "database %.200s not found", db);
		hms_reply_exception(c, w, name, seqid, 1, msg);
		return;
	}
	char owner[256], loc[PATH_MAX + 600];
	hms_user_name(d.owner_uid, owner, sizeof owner);
	snprintf(loc, sizeof loc, "%s/%s/%s", c->location_prefix, p->name, d.name);
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_string_field(w, 1, d.name);
	hms_write_string_field(w, 2, "");
	hms_write_string_field(w, 3, loc);
	hms_write_field_begin(w, HMS_T_MAP, 4);
	hms_write_map_begin(w, HMS_T_STRING, HMS_T_STRING, 0);
	hms_write_string_field(w, 6, owner);
	hms_write_field_begin(w, HMS_T_I32, 7);
	hms_write_i32(w, PRINCIPAL_USER);
	hms_write_string_field(w, 8, hms_catalog_name(p));
	hms_write_field_stop(w);
	hms_write_field_stop(w);
}

/* get_database(1: name) -> Database, throws (1: NoSuchObjectException,
 * 2: MetaException). */
static void call_get_database(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			      int32_t seqid)
{
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	hms_reply_database(c, w, name, seqid, cat, db);
}

/* ---- tables ---------------------------------------------------------------------- */

int hms_table_names(mgr_platform *p, const char *db, const char *pattern, hms_names *out)
{
	store_txn *txn;
	store_iter *it;
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	rc = store_iter_tables(txn, db, NULL, &it);
	if (rc == 0) {
		store_table t;
		while ((rc = store_iter_next(it, &t)) == 0) {
			if (hms_pattern_match(pattern, t.name))
				rc = hms_names_add(out, t.name);
			store_table_clear(&t);
			if (rc)
				break;
		}
		if (rc == -ENOENT)
			rc = 0;
		store_iter_close(it);
	}
	store_commit(txn);
	return rc;
}

/* The names of hms_table_names that C's user may see. */
static int list_tables(hms_conn *c, mgr_platform *p, const char *db, const char *pattern,
		       hms_names *out)
{
	hms_names all = {0};
	int rc = hms_table_names(p, db, pattern, &all);
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		mgr_object o = {.level = MGR_OBJ_TABLE, .platform = p->name, .db = db,
				.table = all.v[i]};
		if (mgr_access_visible(c->m, &c->who, &o))
			rc = hms_names_add(out, all.v[i]);
	}
	hms_names_free(&all);
	return rc;
}

/* get_all_tables(1: db_name), get_tables(1: db_name, 2: pattern) and
 * get_tables_by_type(1: db_name, 2: pattern, 3: tableType) -> list<string>,
 * throws (1: MetaException).  A database the user cannot see lists as
 * empty, as a missing one does.  Every table is an EXTERNAL_TABLE to the
 * API: any other tableType (VIRTUAL_VIEW, MANAGED_TABLE ...) lists none. */
static void call_get_tables(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			    int32_t seqid)
{
	hms_names out = {0};
	int rc = 0;
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	const char *pattern = strcmp(name, "get_all_tables") != 0 ? hms_field_string(a, 2) : NULL;
	const char *type = strcmp(name, "get_tables_by_type") == 0 ? hms_field_string(a, 3) : NULL;
	mgr_platform *p = hms_catalog_platform(c, cat);
	if (type && *type && strcasecmp(type, "EXTERNAL_TABLE") != 0)
		p = NULL;
	if (p && store_name_valid(db, NULL)) {
		mgr_object o = {.level = MGR_OBJ_DATABASE, .platform = p->name, .db = db};
		char path[2 * STORE_NAME_MAX + 4];
		snprintf(path, sizeof path, "/%s/%s", p->name, db);
		bool seen = mgr_access_visible(c->m, &c->who, &o);
		if (mgr_audit_decision(c->m, &c->who, "list", path, seen, 0, name) == 0) {
			rc = list_tables(c, p, db, pattern, &out);
			if (rc == -ENOENT)
				rc = 0;
		}
	}
	if (rc) {
		hms_reply_exception(c, w, name, seqid, 1, strerror(-rc));
		goto out;
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_LIST, 0);
	hms_write_string_list(w, out.v, out.n);
	hms_write_field_stop(w);
out:
	hms_names_free(&out);
}

void hms_type_name(store_type t, char *out, size_t cap)
{
	switch (store_type_base(t)) {
	case STORE_TYPE_STRING: snprintf(out, cap, "string"); break;
	case STORE_TYPE_BIGINT: snprintf(out, cap, "bigint"); break;
	case STORE_TYPE_DOUBLE: snprintf(out, cap, "double"); break;
	case STORE_TYPE_BOOLEAN: snprintf(out, cap, "boolean"); break;
	case STORE_TYPE_DATE: snprintf(out, cap, "date"); break;
	case STORE_TYPE_TIMESTAMP: snprintf(out, cap, "timestamp"); break;
	case STORE_TYPE_DECIMAL:
		snprintf(out, cap, "decimal(%u,%u)", store_type_precision(t), store_type_scale(t));
		break;
	default: snprintf(out, cap, "string"); break;
	}
}

void hms_write_field_schemas(hms_writer *w, const store_column *cols, uint32_t n)
{
	hms_write_list_begin(w, HMS_T_STRUCT, n);
	for (uint32_t i = 0; i < n; i++) {
		char tn[64];
		hms_type_name(cols[i].type, tn, sizeof tn);
		hms_write_string_field(w, 1, cols[i].name);
		hms_write_string_field(w, 2, tn);
		hms_write_string_field(w, 3, "");
		hms_write_field_stop(w);
	}
}

/* A string map written from KEYS[i] = VALS[i]. */
void hms_write_map(hms_writer *w, char **keys, char **vals, size_t n)
{
	hms_write_map_begin(w, HMS_T_STRING, HMS_T_STRING, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		hms_write_string(w, keys[i]);
		hms_write_string(w, vals[i]);
	}
}

/* Add K = V unless RC already failed; the new RC. */
static int param_add(hms_names *keys, hms_names *vals, const char *k, const char *v, int rc)
{
	if (rc)
		return rc;
	rc = hms_names_add(keys, k);
	return rc ? rc : hms_names_add(vals, v);
}

/* The StorageDescriptor of T with LOCATION (a struct value, without its
 * field header): the table's own (hms_write_table) and each partition's
 * (hms_parts.c), which differ only in the location. */
void hms_write_sd(hms_writer *w, const store_table *t, const char *location)
{
	const char *in = "org.apache.hadoop.mapred.TextInputFormat";
	const char *outf = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
	const char *serde = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
	if (t->format == STORE_FORMAT_JSONL) {
		serde = "org.apache.hive.hcatalog.data.JsonSerDe";
	} else if (t->format == STORE_FORMAT_PARQUET) {
		in = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
		outf = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
		serde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
	}
	hms_write_field_begin(w, HMS_T_LIST, 1);
	hms_write_field_schemas(w, t->columns, t->has_schema ? t->ncolumns : 0);
	hms_write_string_field(w, 2, location);
	hms_write_string_field(w, 3, in);
	hms_write_string_field(w, 4, outf);
	hms_write_field_begin(w, HMS_T_BOOL, 5);
	hms_write_bool(w, false);
	hms_write_field_begin(w, HMS_T_I32, 6);
	hms_write_i32(w, -1);
	hms_write_field_begin(w, HMS_T_STRUCT, 7);     /* SerDeInfo */
	hms_write_string_field(w, 1, t->name);
	hms_write_string_field(w, 2, serde);
	hms_write_field_begin(w, HMS_T_MAP, 3);
	if (t->format == STORE_FORMAT_CSV) {
		char *k[] = {"field.delim", "serialization.format"}, *v[] = {",", ","};
		hms_write_map(w, k, v, 2);
	} else {
		char *k[] = {"serialization.format"}, *v[] = {"1"};
		hms_write_map(w, k, v, 1);
	}
	hms_write_field_stop(w);
	hms_write_field_begin(w, HMS_T_LIST, 8);
	hms_write_list_begin(w, HMS_T_STRING, 0);
	hms_write_field_begin(w, HMS_T_LIST, 9);
	hms_write_list_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_MAP, 10);
	hms_write_map_begin(w, HMS_T_STRING, HMS_T_STRING, 0);
	hms_write_field_begin(w, HMS_T_BOOL, 12);
	hms_write_bool(w, false);
	hms_write_field_stop(w);
}

/* The Table struct of T (as a struct value, without its field header).
 * Properties under "metafs." are the daemon's and not shown. */
int hms_write_table(hms_conn *c, hms_writer *w, mgr_platform *p, const store_table *t)
{
	hms_names keys = {0}, vals = {0};
	char num[32];
	int rc = 0;
	for (const char *line = t->properties; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *eq = memchr(line, '=', len);
		if (eq && strncmp(line, "metafs.", 7) != 0) {
			char *k = strndup(line, (size_t)(eq - line));
			char *v = strndup(eq + 1, len - (size_t)(eq - line) - 1);
			if (!k || !v || hms_names_add(&keys, k) || hms_names_add(&vals, v))
				rc = -ENOMEM;
			free(k);
			free(v);
			if (rc)
				goto out;
		}
		line = nl ? nl + 1 : line + len;
	}
	snprintf(num, sizeof num, "%llu", (unsigned long long)t->rows);
	rc = param_add(&keys, &vals, "numRows", num, rc);
	snprintf(num, sizeof num, "%llu", (unsigned long long)t->bytes);
	rc = param_add(&keys, &vals, "totalSize", num, rc);
	snprintf(num, sizeof num, "%llu", (unsigned long long)t->nfiles);
	rc = param_add(&keys, &vals, "numFiles", num, rc);
	rc = param_add(&keys, &vals, "EXTERNAL", "TRUE", rc);
	snprintf(num, sizeof num, "%lld", (long long)(t->modified_ns / 1000000000));
	rc = param_add(&keys, &vals, "transient_lastDdlTime", num, rc);
	if (t->format == STORE_FORMAT_CSV && t->header)
		rc = param_add(&keys, &vals, "skip.header.line.count", "1", rc);
	if (rc)
		goto out;

	char owner[256], loc[PATH_MAX + 800];
	hms_user_name(t->owner_uid, owner, sizeof owner);
	snprintf(loc, sizeof loc, "%s/%s/%s/%s", c->location_prefix, p->name, t->db, t->name);

	hms_write_string_field(w, 1, t->name);
	hms_write_string_field(w, 2, t->db);
	hms_write_string_field(w, 3, owner);
	hms_write_field_begin(w, HMS_T_I32, 4);
	hms_write_i32(w, (int32_t)(t->created_ns / 1000000000));
	hms_write_field_begin(w, HMS_T_I32, 5);
	hms_write_i32(w, 0);
	hms_write_field_begin(w, HMS_T_I32, 6);
	hms_write_i32(w, 0);
	hms_write_field_begin(w, HMS_T_STRUCT, 7);
	hms_write_sd(w, t, loc);
	/* 8: partitionKeys */
	hms_write_field_begin(w, HMS_T_LIST, 8);
	hms_write_field_schemas(w, t->columns ? t->columns + t->ncolumns : NULL,
			    t->has_schema ? t->npartkeys : 0);
	hms_write_field_begin(w, HMS_T_MAP, 9);
	hms_write_map(w, keys.v, vals.v, keys.n);
	hms_write_string_field(w, 12, "EXTERNAL_TABLE");
	hms_write_string_field(w, 17, hms_catalog_name(p));
	hms_write_field_begin(w, HMS_T_I32, 18);
	hms_write_i32(w, PRINCIPAL_USER);
	hms_write_field_stop(w);
out:
	hms_names_free(&keys);
	hms_names_free(&vals);
	return rc;
}

/* Look up CAT/DB.TBL for C's user: 0 with *T filled (clear it), or
 * -ENOENT for a missing or unseen table (audited either way). */
int hms_table_lookup(hms_conn *c, const char *call, const char *cat, const char *db,
			const char *tbl, mgr_platform **pp, store_table *t)
{
	mgr_platform *p = hms_catalog_platform(c, cat);
	int rc = -ENOENT;
	memset(t, 0, sizeof *t);
	char path[3 * STORE_NAME_MAX + 8];
	snprintf(path, sizeof path, "/%s/%.255s/%.255s", p ? p->name : (cat ? cat : ""), db,
		 tbl ? tbl : "");
	if (p && tbl && store_name_valid(db, NULL) && store_name_valid(tbl, NULL)) {
		store_txn *txn;
		if ((rc = store_read_begin(p->store, &txn)) == 0) {
			rc = store_table_get(txn, db, tbl, t);
			store_commit(txn);
		}
	}
	bool seen = false;
	if (rc == 0) {
		mgr_object o = {.level = MGR_OBJ_TABLE, .platform = p->name, .db = db, .table = tbl};
		seen = mgr_access_visible(c->m, &c->who, &o);
	}
	if (mgr_audit_decision(c->m, &c->who, "read", path, seen, MGR_PRIV_SELECT, call)) {
		store_table_clear(t);
		return -ENOENT;
	}
	*pp = p;
	return 0;
}

int hms_table_get(hms_conn *c, hms_writer *w, const char *name, int32_t seqid, int16_t exc_id,
		  const char *cat, const char *db, const char *tbl, mgr_platform **pp, store_table *t)
{
	if (hms_table_lookup(c, name, cat, db, tbl, pp, t) == 0)
		return 0;
	char msg[600];
	snprintf(msg, sizeof msg, "%.255s.%.255s table not found", db, tbl ? tbl : "");
	hms_reply_exception(c, w, name, seqid, exc_id, msg);
	return -ENOENT;
}

/* get_table(1: dbname, 2: tbl_name) -> Table, throws (1: MetaException,
 * 2: NoSuchObjectException); get_table_req(1: GetTableRequest {1: dbName,
 * 2: tblName, 4: catName}) -> GetTableResult {1: Table}, the same throws. */
static void call_get_table(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			   int32_t seqid)
{
	bool req = strcmp(name, "get_table_req") == 0;
	const char *cat, *db;
	const hms_value *r = req ? hms_field(a, 1) : a;
	hms_request_names(r, 1, req ? 4 : 0, &cat, &db);
	const char *tbl = hms_field_string(r, 2);
	mgr_platform *p = NULL;
	store_table t;
	if (hms_table_get(c, w, name, seqid, 2, cat, db, tbl, &p, &t))
		return;
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	if (req)
		hms_write_field_begin(w, HMS_T_STRUCT, 1);
	int rc = hms_write_table(c, w, p, &t);
	if (req)
		hms_write_field_stop(w);
	hms_write_field_stop(w);
	store_table_clear(&t);
	if (rc) {
		hms_writer_reset(w);
		hms_reply_exception(c, w, name, seqid, 1, strerror(-rc));
	}
}

const hms_call_def hms_read_calls[] = {
	/* sorted by name (strcmp): bsearch */
	{"aliveSince", call_alive_since, NULL, 0},
	{"getName", call_get_name, NULL, 0},
	{"getStatus", call_get_status, NULL, 0},
	{"getVersion", call_get_version, NULL, 0},
	{"get_all_databases", NULL, call_get_databases, 1},
	{"get_all_tables", NULL, call_get_tables, 1},
	{"get_config_value", NULL, call_get_config_value, 0},
	{"get_database", NULL, call_get_database, 2},
	{"get_databases", NULL, call_get_databases, 1},
	{"get_table", NULL, call_get_table, 1},
	{"get_table_req", NULL, call_get_table, 1},
	{"get_tables", NULL, call_get_tables, 1},
	{"get_tables_by_type", NULL, call_get_tables, 1},
	{"set_ugi", call_set_ugi, NULL, 0},
	{NULL, NULL, NULL, 0},
};

/* Every call table, each sorted by name and ended by a NULL name. */
static const hms_call_def *const tables[] = {
	hms_read_calls,
	hms_partition_calls,
	hms_misc_calls,
	hms_write_calls,
};

int hms_call(hms_conn *c, hms_reader *r, hms_writer *w, const char *name, int32_t seqid)
{
	for (size_t k = 0; k < sizeof tables / sizeof *tables; k++) {
		const hms_call_def *calls = tables[k];
		size_t lo = 0, hi = 0;
		while (calls[hi].name)
			hi++;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int cmp = strcmp(name, calls[mid].name);
			if (cmp < 0) {
				hi = mid;
			} else if (cmp > 0) {
				lo = mid + 1;
			} else if (calls[mid].session) {
				return calls[mid].session(c, r, w, name, seqid);
			} else {
				hms_value a;
				int rc = hms_value_read(r, HMS_T_STRUCT, &a);
				if (rc == 0 && (!calls[mid].meta_exc ||
						need_user(c, w, name, seqid, calls[mid].meta_exc)))
					calls[mid].catalog(c, &a, w, name, seqid);
				hms_value_free(&a);
				return rc;
			}
		}
	}
	return HMS_NOT_SERVED;
}
