/*
 * hms_write.c - the write calls of ThriftHiveMetastore: databases, tables
 * and partitions made, changed and dropped through the manager's catalog
 * operations, the same ones (and the same transactions) as the mount's and
 * the jobs' (field ids: hive_metastore.thrift, the writes section).
 *
 * Who may.  Every write is decided as the set_ugi user exactly as the same
 * change through the mount or a job: CREATE on the platform for a database,
 * CREATE on the database for a table, MODIFY on the table to add, drop or
 * alter partitions and to change a table's properties, ADMIN on a table or
 * database to drop it or to change a table's columns.  mgr_authorize
 * audits each decision; a denial answers MetaException "permission denied:
 * ..." and changes nothing.  A database or table the user cannot see
 * answers as a missing one (existence is not revealed), audited as a
 * refused lookup.  A table a sync rule maintains is read-only, as in the
 * mount.
 *
 * What changes.  Changes are recorded with the origin "hms" in the change
 * log (/.metafs/events): the mount's kernel caches are invalidated as for
 * any change not made through the mount, and sync rules fire as after any
 * commit.
 *
 * Locations.  metafs places every database, table and partition in its
 * platform's data store; a client's locationUri and sd.location are
 * ignored on create, and an alter_partition that would move a partition
 * elsewhere is refused.  The answers name the location in the mount.
 *
 * Drops.  Tables are EXTERNAL to clients but their bytes are metafs's:
 * drop_table is a job's DROP TABLE (mgr_table_purge: the table, its
 * partitions and files in one transaction, then the bytes), whatever
 * deleteData says.  drop_partition likewise drops the partition and its
 * files.  drop_database refuses a database that holds tables unless
 * cascade, which drops each table as drop_table does first.
 */
#include "hms_int.h"
#include "hms_value.h"
#include "mgr_sync.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PRINCIPAL_USER 1
#define MSG_MAX 900

/* ---- reading Hive's structs ------------------------------------------------------- */

/* The value of KEY in the string map member ID of S, or NULL. */
static const char *map_get(const hms_value *s, int16_t id, const char *key)
{
	const hms_value *m = hms_field(s, id);
	if (!m || m->type != HMS_T_MAP || m->key_type != HMS_T_STRING || m->elem_type != HMS_T_STRING)
		return NULL;
	for (uint32_t i = 0; i + 1 < m->n; i += 2)
		if (m->v[i].s && strcmp(m->v[i].s, key) == 0)
			return m->v[i + 1].s ? m->v[i + 1].s : "";
	return NULL;
}

static const char *str_or(const char *s, const char *def)
{
	return s ? s : def;
}

/* Hive's type name T as a metafs type name into OUT, or false. */
static bool map_type(const char *t, char *out, size_t cap)
{
	char low[64];
	size_t n = 0;
	for (const char *s = t; *s && n + 1 < sizeof low; s++)
		if (!isspace((unsigned char)*s))
			low[n++] = (char)tolower((unsigned char)*s);
	low[n] = '\0';
	if (!*t || strlen(t) >= sizeof low)
		return false;
	unsigned p = 10, sc = 0;
	char tail;
	if (!strcmp(low, "string") || !strncmp(low, "varchar(", 8) || !strncmp(low, "char(", 5)) {
		if (strcmp(low, "string") && low[n - 1] != ')')
			return false;
		snprintf(out, cap, "string");
	} else if (!strcmp(low, "bigint") || !strcmp(low, "int") || !strcmp(low, "integer") ||
		   !strcmp(low, "smallint") || !strcmp(low, "tinyint")) {
		snprintf(out, cap, "bigint");
	} else if (!strcmp(low, "double") || !strcmp(low, "float") || !strcmp(low, "doubleprecision")) {
		snprintf(out, cap, "double");
	} else if (!strcmp(low, "boolean") || !strcmp(low, "date") || !strcmp(low, "timestamp")) {
		snprintf(out, cap, "%s", low);
	} else if (!strcmp(low, "decimal") ||
		   (low[n - 1] == ')' && ((sscanf(low, "decimal(%u)%c", &p, &tail) == 1 &&
					   !strchr(low, ',')) ||
					  sscanf(low, "decimal(%u,%u)%c", &p, &sc, &tail) == 2))) {
		if (p < 1 || p > 38 || sc > p)
			return false;
		snprintf(out, cap, "decimal(%u,%u)", p, sc);
	} else {
		return false;
	}
	return true;
}

/* Table parameters that are Hive's bookkeeping or metafs's statistics,
 * never stored as properties. */
static bool param_ignored(const char *k)
{
	static const char *const keys[] = {
		"EXTERNAL", "transient_lastDdlTime", "numRows", "numFiles", "totalSize",
		"rawDataSize", "COLUMN_STATS_ACCURATE", "numFilesErasureCoded",
		"skip.header.line.count", "last_modified_time", "last_modified_by",
		"numPartitions", "bucketing_version",
	};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		if (strcmp(k, keys[i]) == 0)
			return true;
	return false;
}

/* The .schema text (metafs(5)) of Hive table TBL into OUT: 0, or -EINVAL
 * with the reason in MSG. */
static int schema_of(const hms_value *tbl, textbuf *out, char *msg, size_t cap)
{
	const hms_value *sd = hms_field(tbl, 7);
	const char *serde = str_or(hms_field_string(hms_field(sd, 7), 2), "");
	const char *in = str_or(hms_field_string(sd, 3), "");
	const char *type = hms_field_string(tbl, 12);
	if (type && (!strcmp(type, "VIRTUAL_VIEW") || !strcmp(type, "MATERIALIZED_VIEW"))) {
		snprintf(msg, cap, "%s is not supported: metafs serves tables only", type);
		return -EINVAL;
	}
	const char *fmt = NULL;
	bool csv = false;
	if (strstr(serde, "ParquetHiveSerDe") || strstr(in, "MapredParquetInputFormat")) {
		fmt = "parquet";
	} else if (strstr(serde, "JsonSerDe")) {
		fmt = "jsonl";
	} else if (strstr(serde, "LazySimpleSerDe") || strstr(serde, "OpenCSVSerde") ||
		   (!*serde && strstr(in, "TextInputFormat"))) {
		const hms_value *si = hms_field(sd, 7);
		const char *d = strstr(serde, "OpenCSVSerde") ? str_or(map_get(si, 3, "separatorChar"), ",")
							       : map_get(si, 3, "field.delim");
		if (!d) {
			const char *sf = map_get(si, 3, "serialization.format");
			d = sf && strlen(sf) == 1 && !isdigit((unsigned char)sf[0]) ? sf : "\\001";
		}
		if (strcmp(d, ",") != 0) {
			snprintf(msg, cap, "text tables must be CSV with field.delim ',' (this one has "
					   "\"%.20s\")", d);
			return -EINVAL;
		}
		fmt = "csv";
		csv = true;
	} else {
		snprintf(msg, cap, "storage format not supported by metafs (serde \"%.200s\", input format "
				   "\"%.200s\"): use LazySimpleSerDe with field.delim ',' (csv), JsonSerDe (jsonl) "
				   "or Parquet", serde, in);
		return -EINVAL;
	}
	textbuf_printf(out, "format %s\n", fmt);
	if (csv) {
		const char *skip = map_get(tbl, 9, "skip.header.line.count");
		if (skip && strcmp(skip, "0") && strcmp(skip, "1")) {
			snprintf(msg, cap, "skip.header.line.count must be 0 or 1 (a CSV header line)");
			return -EINVAL;
		}
		textbuf_printf(out, "header %s\n", skip && !strcmp(skip, "1") ? "true" : "false");
	}
	for (int part = 0; part < 2; part++) {
		const hms_value *cols = part ? hms_field_list(tbl, 8, HMS_T_STRUCT)
					     : hms_field_list(sd, 1, HMS_T_STRUCT);
		for (uint32_t i = 0; cols && i < cols->n; i++) {
			const char *name = hms_field_string(&cols->v[i], 1);
			const char *t = str_or(hms_field_string(&cols->v[i], 2), "");
			char mt[64];
			if (!name || !*name || strpbrk(name, " \t\n\r")) {
				snprintf(msg, cap, "column %u: bad column name \"%.200s\"", i + 1, str_or(name, ""));
				return -EINVAL;
			}
			if (!map_type(t, mt, sizeof mt)) {
				snprintf(msg, cap, "column %.200s: type \"%.100s\" is not supported by metafs "
						   "(string, varchar, char, bigint, int, smallint, tinyint, double, "
						   "float, boolean, date, timestamp, decimal(p,s))", name, t);
				return -EINVAL;
			}
			textbuf_printf(out, "%s %s %s\n", part ? "partition" : "column", name, mt);
		}
	}
	const hms_value *m = hms_field(tbl, 9);
	if (m && m->type == HMS_T_MAP && m->key_type == HMS_T_STRING && m->elem_type == HMS_T_STRING) {
		for (uint32_t i = 0; i + 1 < m->n; i += 2) {
			const char *k = str_or(m->v[i].s, ""), *v = str_or(m->v[i + 1].s, "");
			if (param_ignored(k))
				continue;
			if (strchr(k, '\n') || strchr(v, '\n') || strchr(k, '=') || !*k) {
				snprintf(msg, cap, "property \"%.200s\": names hold no '=' and neither holds a "
						   "newline", k);
				return -EINVAL;
			}
			textbuf_printf(out, "property %s = %s\n", k, v);
		}
	}
	return textbuf_error(out);
}

/* ---- decisions ------------------------------------------------------------------- */

/* The platform of catalog CAT, DB as the object O (a database, or the table
 * TBL when not NULL). */
static void object_of(mgr_object *o, mgr_platform *p, const char *db, const char *tbl)
{
	o->level = tbl ? MGR_OBJ_TABLE : MGR_OBJ_DATABASE;
	o->platform = p->name;
	o->db = db;
	o->table = tbl;
}

/* Does the database or table O exist for C's user?  A missing one, or one
 * the user cannot see (audited as a refused lookup), is -ENOENT.  With T,
 * the table is read into it (store_table_clear it). */
static int visible(hms_conn *c, mgr_platform *p, const mgr_object *o, store_table *t)
{
	store_txn *txn;
	store_table tmp = {0};
	store_table *tt = t ? t : &tmp;
	memset(tt, 0, sizeof *tt);
	if (!store_name_valid(o->db, NULL) || (o->table && !store_name_valid(o->table, NULL)))
		return -ENOENT;
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	if (o->table) {
		rc = store_table_get(txn, o->db, o->table, tt);
	} else {
		store_database d;
		rc = store_database_get(txn, o->db, &d);
	}
	store_commit(txn);
	if (rc == 0 && !mgr_access_visible(c->m, &c->who, o)) {
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		mgr_object_path(o, path, sizeof path);
		mgr_audit(c->m, c->who.uid, "lookup", path, false, 0, "not visible to the caller");
		rc = -ENOENT;
	}
	if (rc || !t)
		store_table_clear(tt);
	return rc;
}

/* visible() of DB (TBL NULL) or DB.TBL of platform P (may be NULL: none),
 * filling O. */
static int lookup(hms_conn *c, mgr_platform *p, const char *db, const char *tbl, mgr_object *o,
		  store_table *t)
{
	if (t)
		memset(t, 0, sizeof *t);
	if (!p)
		return -ENOENT;
	object_of(o, p, db, tbl);
	return visible(c, p, o, t);
}

/* lookup, answering a missing or unseen database (TBL NULL) or table with
 * exception EXC_ID itself: 0, or -ENOENT once the reply is written. */
static int lookup_or_reply(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			   int16_t exc_id, mgr_platform *p, const char *db, const char *tbl,
			   mgr_object *o, store_table *t)
{
	if (lookup(c, p, db, tbl, o, t) == 0)
		return 0;
	char msg[2 * STORE_NAME_MAX + 32];
	if (tbl)
		snprintf(msg, sizeof msg, "table %.255s.%.255s not found", db, tbl);
	else
		snprintf(msg, sizeof msg, "database %.255s not found", db);
	hms_reply_exception(c, w, name, seqid, exc_id, msg);
	return -ENOENT;
}

/* A table a sync rule maintains is read-only for everyone else, as in the
 * mount: true, with the reason in MSG, when T is one. */
static bool mirror_refused(hms_conn *c, const store_table *t, char *msg, size_t cap)
{
	if (!mgr_mirror_maintained(c->m, t))
		return false;
	snprintf(msg, cap, "table %.255s.%.255s is read-only: a sync rule maintains it", t->db, t->name);
	return true;
}

/* mgr_authorize as C's user, audited with the call's name CALL as detail:
 * 0, or the denial's message in MSG. */
static int authorize(hms_conn *c, unsigned privs, const mgr_object *o, const char *action,
		     const char *call, char *msg, size_t cap)
{
	int rc = mgr_authorize_detail(c->m, &c->who, privs, o, action, NULL, call);
	if (rc == 0)
		return 0;
	char path[3 * (STORE_NAME_MAX + 1) + 2];
	mgr_object_path(o, path, sizeof path);
	snprintf(msg, cap, "permission denied: %.100s lacks %s on %.700s", c->user, mgr_priv_name(privs),
		 path);
	return rc;
}

/* The platform of the catalog and database named by RAW (Hive 3's
 * "@cat#db" or a plain name) and CAT (a struct's catName, may be NULL). */
static mgr_platform *platform_of(hms_conn *c, char *raw, const char *cat_field, const char **db)
{
	const char *cat;
	hms_split_catalog(raw, &cat, db);
	if (cat_field && *cat_field)
		cat = cat_field;
	return hms_catalog_platform(c, cat);
}

static void reply_void(hms_conn *c, hms_writer *w, const char *name, int32_t seqid)
{
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_stop(w);
}

static void reply_bool(hms_conn *c, hms_writer *w, const char *name, int32_t seqid, bool v)
{
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_BOOL, 0);
	hms_write_bool(w, v);
	hms_write_field_stop(w);
}

/* ---- databases ------------------------------------------------------------------- */

/* create_database(1: Database) throws (1: AlreadyExistsException,
 * 2: InvalidObjectException, 3: MetaException). */
static void call_create_database(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
				 int32_t seqid)
{
	const hms_value *d = hms_field(a, 1);
	const char *db;
	char msg[MSG_MAX];
	mgr_platform *p = platform_of(c, hms_field_string(d, 1), hms_field_string(d, 8), &db);
	if (!p) {
		hms_reply_exception(c, w, name, seqid, 2, "no such catalog");
		return;
	}
	mgr_object o = {.level = MGR_OBJ_PLATFORM, .platform = p->name};
	if (authorize(c, MGR_PRIV_CREATE, &o, "create", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 3, msg);
		return;
	}
	const char *why = NULL;
	int rc = store_name_valid(db, &why) ? mgr_database_create(p, db, c->who.uid, c->who.gid,
								 STORE_ORIGIN_HMS, NULL)
					    : -EINVAL;
	if (rc == 0) {
		reply_void(c, w, name, seqid);
	} else if (rc == -EEXIST) {
		snprintf(msg, sizeof msg, "database %.255s already exists", db);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else if (rc == -EINVAL) {
		snprintf(msg, sizeof msg, "invalid database name \"%.255s\": %s", db,
			 why ? why : "names starting with '.' are reserved");
		hms_reply_exception(c, w, name, seqid, 2, msg);
	} else {
		snprintf(msg, sizeof msg, "cannot create database %.255s: %s", db, strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 3, msg);
	}
}

/* drop_database(1: name, 2: deleteData, 3: cascade) throws
 * (1: NoSuchObjectException, 2: InvalidOperationException, 3: MetaException). */
static void call_drop_database(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			       int32_t seqid)
{
	const char *db;
	char msg[MSG_MAX];
	bool cascade = hms_field_int(a, 3, 0) != 0;
	mgr_platform *p = platform_of(c, hms_field_string(a, 1), NULL, &db);
	mgr_object o;
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, NULL, &o, NULL))
		return;
	if (authorize(c, MGR_PRIV_ADMIN, &o, "drop", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 3, msg);
		return;
	}
	hms_names tables = {0};
	int rc = 0;
	if (cascade && (rc = hms_table_names(p, db, NULL, &tables)) == 0) {
		/* A table a sync rule maintains is not dropped: nothing is. */
		for (size_t i = 0; i < tables.n; i++) {
			mgr_object to;
			store_table t;
			if (lookup(c, p, db, tables.v[i], &to, &t))
				continue;
			bool ro = mirror_refused(c, &t, msg, sizeof msg);
			store_table_clear(&t);
			if (ro) {
				hms_reply_exception(c, w, name, seqid, 2, msg);
				hms_names_free(&tables);
				return;
			}
		}
	}
	if (cascade && rc == 0)
		for (size_t i = 0; rc == 0 && i < tables.n; i++)
			if ((rc = mgr_table_purge(p, db, tables.v[i], STORE_ORIGIN_HMS)) == -ENOENT)
				rc = 0;
	hms_names_free(&tables);
	if (rc == 0)
		rc = mgr_database_drop(p, db, STORE_ORIGIN_HMS);
	if (rc == 0) {
		reply_void(c, w, name, seqid);
	} else if (rc == -ENOTEMPTY) {
		snprintf(msg, sizeof msg, "database %.255s is not empty: drop its tables first (or cascade)",
			 db);
		hms_reply_exception(c, w, name, seqid, 2, msg);
	} else if (rc == -ENOENT) {
		snprintf(msg, sizeof msg, "database %.255s not found", db);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else {
		snprintf(msg, sizeof msg, "cannot drop database %.255s: %s", db, strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 3, msg);
	}
}

/* ---- tables ---------------------------------------------------------------------- */

/* create_table(1: Table) and create_table_with_environment_context(1: Table,
 * 2: EnvironmentContext) throws (1: AlreadyExistsException,
 * 2: InvalidObjectException, 3: MetaException, 4: NoSuchObjectException). */
static void call_create_table(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			      int32_t seqid)
{
	const hms_value *t = hms_field(a, 1);
	const char *db, *tbl = str_or(hms_field_string(t, 1), "");
	char msg[MSG_MAX] = "";
	mgr_platform *p = platform_of(c, hms_field_string(t, 2), hms_field_string(t, 17), &db);
	mgr_object o;
	if (lookup_or_reply(c, w, name, seqid, 4, p, db, NULL, &o, NULL))
		return;
	if (authorize(c, MGR_PRIV_CREATE, &o, "create", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 3, msg);
		return;
	}
	textbuf text = TEXTBUF_INIT;
	store_table parsed = {0};
	const char *why = NULL;
	int rc = schema_of(t, &text, msg, sizeof msg);
	if (rc == 0 && !store_name_valid(tbl, &why)) {
		snprintf(msg, sizeof msg, "invalid table name \"%.255s\": %s", tbl, why);
		rc = -EINVAL;
	}
	/* Checked whole before anything is made: a refusal changes nothing. */
	if (rc == 0 && (rc = mgr_schema_parse(text.data, text.len, &parsed, msg, sizeof msg)) == 0 &&
	    parsed.ncolumns == 0) {
		snprintf(msg, sizeof msg, "a table needs at least one column");
		rc = -EINVAL;
	}
	store_table_clear(&parsed);
	if (rc) {
		hms_reply_exception(c, w, name, seqid, rc == -ENOMEM ? 3 : 2, msg);
		goto out;
	}
	rc = mgr_table_create(p, db, tbl, c->who.uid, c->who.gid, STORE_ORIGIN_HMS, NULL);
	if (rc == 0) {
		rc = mgr_table_define(p, db, tbl, text.data, text.len, STORE_ORIGIN_HMS, msg, sizeof msg);
		if (rc) {
			mgr_table_drop(p, db, tbl, STORE_ORIGIN_HMS);
			hms_reply_exception(c, w, name, seqid, 2, msg);
			goto out;
		}
		reply_void(c, w, name, seqid);
	} else if (rc == -EEXIST) {
		snprintf(msg, sizeof msg, "table %.255s.%.255s already exists", db, tbl);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else if (rc == -ENOENT) {
		snprintf(msg, sizeof msg, "database %.255s not found", db);
		hms_reply_exception(c, w, name, seqid, 4, msg);
	} else {
		snprintf(msg, sizeof msg, "cannot create table %.255s.%.255s: %s", db, tbl, strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 3, msg);
	}
out:
	textbuf_free(&text);
}

/* drop_table(1: dbname, 2: name, 3: deleteData) and
 * drop_table_with_environment_context(..., 4: EnvironmentContext) throws
 * (1: NoSuchObjectException, 2: MetaException). */
static void call_drop_table(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			    int32_t seqid)
{
	const char *db, *tbl = str_or(hms_field_string(a, 2), "");
	char msg[MSG_MAX];
	mgr_platform *p = platform_of(c, hms_field_string(a, 1), NULL, &db);
	mgr_object o;
	store_table t;
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, tbl, &o, &t))
		return;
	bool refused = mirror_refused(c, &t, msg, sizeof msg) ||
		       authorize(c, MGR_PRIV_ADMIN, &o, "drop", name, msg, sizeof msg);
	store_table_clear(&t);
	if (refused) {
		hms_reply_exception(c, w, name, seqid, 2, msg);
		return;
	}
	int rc = mgr_table_purge(p, db, tbl, STORE_ORIGIN_HMS);
	if (rc == 0) {
		reply_void(c, w, name, seqid);
	} else if (rc == -ENOENT) {
		snprintf(msg, sizeof msg, "table %.255s.%.255s not found", db, tbl);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else {
		snprintf(msg, sizeof msg, "cannot drop table %.255s.%.255s: %s", db, tbl, strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 2, msg);
	}
}

static bool same_shape(const store_table *a, const store_table *b)
{
	if (a->format != b->format || a->header != b->header || a->ncolumns != b->ncolumns ||
	    a->npartkeys != b->npartkeys)
		return false;
	for (uint32_t i = 0; i < a->ncolumns + a->npartkeys; i++)
		if (strcmp(a->columns[i].name, b->columns[i].name) || a->columns[i].type != b->columns[i].type)
			return false;
	return true;
}

/* alter_table(1: dbname, 2: tbl_name, 3: Table) and
 * alter_table_with_environment_context(..., 4: EnvironmentContext) throws
 * (1: InvalidOperationException, 2: MetaException).  metafs changes a
 * table's properties (MODIFY on it, as SET TBLPROPERTIES) and, while it
 * holds no partition and no file, its format and columns (ADMIN on it, as
 * a drop and a new create); a rename and any other change are refused. */
static void call_alter_table(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			     int32_t seqid)
{
	const char *db, *tbl = str_or(hms_field_string(a, 2), "");
	const hms_value *nt = hms_field(a, 3);
	char msg[MSG_MAX] = "";
	mgr_platform *p = platform_of(c, hms_field_string(a, 1), hms_field_string(nt, 17), &db);
	mgr_object o;
	store_table cur = {0}, parsed = {0};
	textbuf text = TEXTBUF_INIT;
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, tbl, &o, &cur))
		return;
	if (mirror_refused(c, &cur, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 1, msg);
		goto out;
	}
	const char *nname = hms_field_string(nt, 1), *ndb = hms_field_string(nt, 2);
	const char *ncat, *ndbname = NULL;
	char ndbcopy[STORE_NAME_MAX + 64];
	snprintf(ndbcopy, sizeof ndbcopy, "%s", str_or(ndb, db));
	hms_split_catalog(ndbcopy, &ncat, &ndbname);
	int rc = 0;
	if ((nname && strcmp(nname, tbl)) || strcmp(ndbname, db)) {
		snprintf(msg, sizeof msg, "renaming table %.255s.%.255s is not supported by metafs", db, tbl);
		rc = -ENOTSUP;
	}
	if (rc == 0 && (rc = schema_of(nt, &text, msg, sizeof msg)) == 0)
		rc = mgr_schema_parse(text.data, text.len, &parsed, msg, sizeof msg);
	if (rc) {
		hms_reply_exception(c, w, name, seqid, rc == -ENOMEM ? 2 : 1, msg);
		goto out;
	}
	bool shape = !cur.has_schema || !same_shape(&cur, &parsed);
	if (authorize(c, shape ? MGR_PRIV_ADMIN : MGR_PRIV_MODIFY, &o, "write", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 2, msg);
		goto out;
	}
	rc = mgr_table_alter(p, db, tbl, text.data, text.len, STORE_ORIGIN_HMS, msg, sizeof msg);
	if (rc == 0) {
		reply_void(c, w, name, seqid);
	} else if (rc == -ENOTEMPTY || rc == -EINVAL || rc == -EPERM || rc == -ENOENT) {
		char full[MSG_MAX + 64];
		snprintf(full, sizeof full, "cannot alter table %.255s.%.255s: %s", db, tbl, msg);
		hms_reply_exception(c, w, name, seqid, 1, full);
	} else {
		snprintf(msg, sizeof msg, "cannot alter table %.255s.%.255s: %s", db, tbl, strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 2, msg);
	}
out:
	textbuf_free(&text);
	store_table_clear(&parsed);
	store_table_clear(&cur);
}

/* ---- partitions ------------------------------------------------------------------ */

/* Find the leaf pnode of VALS (T->npartkeys raw values) in a fresh read
 * snapshot: 0 with *PN and the ids of its levels in IDS (may be NULL). */
static int find_partition(mgr_platform *p, const store_table *t, const char *const *vals,
			  store_pnode *pn, uint64_t *ids)
{
	store_txn *txn;
	int rc = store_read_begin(p->store, &txn);
	uint64_t parent = 0;
	for (uint32_t k = 0; rc == 0 && k < t->npartkeys; k++) {
		rc = store_pnode_get(txn, t->id, parent, vals[k], pn);
		if (rc == 0 && ids)
			ids[k] = pn->id;
		parent = pn->id;
	}
	if (txn)
		store_commit(txn);
	return rc;
}

/* The values of Hive partition PART (its 1: values) into V (T->npartkeys
 * entries): 0, or -EINVAL with the reason in MSG. */
static int part_values(const store_table *t, const hms_value *part, const char **v, char *msg,
		       size_t cap)
{
	const hms_value *l = hms_field_list(part, 1, HMS_T_STRING);
	if (!t->has_schema || t->npartkeys == 0) {
		snprintf(msg, cap, "table %.255s.%.255s is not partitioned", t->db, t->name);
		return -EINVAL;
	}
	if (!l || l->n != t->npartkeys) {
		snprintf(msg, cap, "a partition of %.255s.%.255s needs %u values (one per partition key), "
				   "not %u", t->db, t->name, t->npartkeys, l ? l->n : 0);
		return -EINVAL;
	}
	for (uint32_t k = 0; k < l->n; k++) {
		v[k] = l->v[k].s ? l->v[k].s : "";
		if (!*v[k] || strlen(v[k]) > STORE_NAME_MAX) {
			snprintf(msg, cap, "partition value %u of %.255s.%.255s is empty or too long", k + 1,
				 t->db, t->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Add the partitions PARTS (a list of Partition) of one table: the shared
 * body of add_partition(s) and add_partitions_req (throws 1:
 * InvalidObjectException, 2: AlreadyExistsException, 3: MetaException).
 * RESULT: 0 none, 1 the one Partition, 2 i32 count, 3 AddPartitionsResult. */
static void add_partitions(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			   const hms_value *parts, uint32_t n, const char *dbraw, const char *tblname,
			   const char *catname, bool if_not_exists, int result)
{
	char msg[MSG_MAX] = "";
	char dbcopy[STORE_NAME_MAX + 64];
	snprintf(dbcopy, sizeof dbcopy, "%s", str_or(dbraw, n ? str_or(hms_field_string(&parts[0], 2), "")
							     : ""));
	const char *tbl = str_or(tblname, n ? str_or(hms_field_string(&parts[0], 3), "") : "");
	const char *db;
	mgr_platform *p = platform_of(c, dbcopy, catname ? catname
							 : (n ? hms_field_string(&parts[0], 9) : NULL), &db);
	store_table t = {0};
	mgr_object o;
	const char **vals = NULL;
	bool *created = NULL;
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, tbl, &o, &t))
		return;
	if (mirror_refused(c, &t, msg, sizeof msg) ||
	    authorize(c, MGR_PRIV_MODIFY, &o, "create", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 3, msg);
		goto out;
	}
	uint32_t keys = t.npartkeys ? t.npartkeys : 1;
	vals = calloc((size_t)(n ? n : 1) * keys, sizeof *vals);
	created = calloc(n ? n : 1, sizeof *created);
	if (!vals || !created) {
		hms_reply_exception(c, w, name, seqid, 3, strerror(ENOMEM));
		goto out;
	}
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const char *pdb = hms_field_string(&parts[i], 2), *ptbl = hms_field_string(&parts[i], 3);
		char pdbcopy[STORE_NAME_MAX + 64];
		const char *pcat, *pdbname;
		snprintf(pdbcopy, sizeof pdbcopy, "%s", str_or(pdb, db));
		hms_split_catalog(pdbcopy, &pcat, &pdbname);
		if (strcmp(pdbname, db) || (ptbl && strcmp(ptbl, tbl))) {
			snprintf(msg, sizeof msg, "every partition must be of table %.255s.%.255s", db, tbl);
			rc = -EINVAL;
		} else {
			rc = part_values(&t, &parts[i], vals + (size_t)i * keys, msg, sizeof msg);
		}
	}
	if (rc == 0 && n)
		rc = mgr_partitions_create(p, &t, n, vals, if_not_exists, c->who.uid, c->who.gid,
					   STORE_ORIGIN_HMS, created, msg, sizeof msg);
	if (rc == -EEXIST) {
		snprintf(msg, sizeof msg, "a partition of %.255s.%.255s already exists (nothing was added)", db,
			 tbl);
		hms_reply_exception(c, w, name, seqid, 2, msg);
		goto out;
	}
	if (rc) {
		if (rc != -EINVAL || !msg[0])
			snprintf(msg, sizeof msg, "cannot add partitions to %.255s.%.255s: %s", db, tbl,
				 strerror(-rc));
		hms_reply_exception(c, w, name, seqid, rc == -EINVAL || rc == -ENAMETOOLONG ? 1 : 3, msg);
		goto out;
	}
	uint32_t made = 0;
	for (uint32_t i = 0; i < n; i++)
		made += created[i];
	hms_reply_begin(c, w, name, seqid);
	if (result == 2) {
		hms_write_field_begin(w, HMS_T_I32, 0);
		hms_write_i32(w, (int32_t)made);
	} else if (result == 1 || result == 3) {
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
		if (result == 3) {
			hms_write_field_begin(w, HMS_T_LIST, 1);
			hms_write_list_begin(w, HMS_T_STRUCT, made);
		}
		for (uint32_t i = 0; i < n; i++) {
			store_pnode pn;
			char pv[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
			if (!created[i])
				continue;
			for (uint32_t k = 0; k < t.npartkeys; k++)
				snprintf(pv[k], sizeof pv[k], "%s", vals[(size_t)i * keys + k]);
			memset(&pn, 0, sizeof pn);
			find_partition(p, &t, vals + (size_t)i * keys, &pn, NULL);
			hms_write_partition(c, w, p, &t, pv, &pn);
		}
		if (result == 3)
			hms_write_field_stop(w);
	}
	hms_write_field_stop(w);
out:
	free(vals);
	free(created);
	store_table_clear(&t);
}

/* add_partition(1: Partition), add_partition_with_environment_context(1:
 * Partition, 2: EnvironmentContext) -> Partition; add_partitions(1:
 * list<Partition>) -> i32. */
static void call_add_partition(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			       int32_t seqid)
{
	if (strcmp(name, "add_partitions") == 0) {
		const hms_value *l = hms_field_list(a, 1, HMS_T_STRUCT);
		add_partitions(c, w, name, seqid, l ? l->v : NULL, l ? l->n : 0, NULL, NULL, NULL, false, 2);
		return;
	}
	const hms_value *part = hms_field(a, 1);
	if (!part || part->type != HMS_T_STRUCT) {
		hms_reply_exception(c, w, name, seqid, 1, "no partition given");
		return;
	}
	add_partitions(c, w, name, seqid, part, 1, NULL, NULL, NULL, false, 1);
}

/* add_partitions_req(1: AddPartitionsRequest {1: dbName, 2: tblName,
 * 3: parts, 4: ifNotExists, 5: needResult = true, 6: catName}) ->
 * AddPartitionsResult {1: partitions: those added}. */
static void call_add_partitions_req(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
				    int32_t seqid)
{
	const hms_value *r = hms_field(a, 1);
	const hms_value *l = hms_field_list(r, 3, HMS_T_STRUCT);
	add_partitions(c, w, name, seqid, l ? l->v : NULL, l ? l->n : 0, str_or(hms_field_string(r, 1), ""),
		       str_or(hms_field_string(r, 2), ""), hms_field_string(r, 6),
		       hms_field_int(r, 4, 0) != 0, hms_field_int(r, 5, 1) ? 3 : 0);
}

/* drop_partition(1: db_name, 2: tbl_name, 3: part_vals, 4: deleteData),
 * drop_partition_by_name(..., 3: part_name, 4: deleteData) and their
 * _with_environment_context forms (5: EnvironmentContext) -> bool, throws
 * (1: NoSuchObjectException, 2: MetaException).  The partition and its
 * files go (mgr_pnode_purge), whatever deleteData says; upper levels left
 * empty go with it. */
static void call_drop_partition(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
				int32_t seqid)
{
	bool by_name = strncmp(name, "drop_partition_by_name", 22) == 0;
	const char *db, *tbl = str_or(hms_field_string(a, 2), "");
	char msg[MSG_MAX] = "";
	mgr_platform *p = platform_of(c, hms_field_string(a, 1), NULL, &db);
	mgr_object o;
	store_table t = {0};
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, tbl, &o, &t))
		return;
	const char *vals[STORE_MAX_PARTKEYS];
	char raw[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	int rc = 0;
	if (!t.has_schema || t.npartkeys == 0) {
		rc = -ENOENT;
	} else if (by_name) {
		/* "k1=v1/k2=v2", each level escaped as a directory name */
		rc = hms_part_name_parse(&t, str_or(hms_field_string(a, 3), ""), raw);
		for (uint32_t i = 0; rc == 0 && i < t.npartkeys; i++)
			vals[i] = raw[i];
	} else {
		const hms_value *l = hms_field_list(a, 3, HMS_T_STRING);
		if (!l || l->n != t.npartkeys)
			rc = -EINVAL;
		for (uint32_t k = 0; rc == 0 && k < t.npartkeys; k++)
			vals[k] = l->v[k].s ? l->v[k].s : "";
	}
	store_pnode pn;
	uint64_t ids[STORE_MAX_PARTKEYS];
	if (mirror_refused(c, &t, msg, sizeof msg) ||
	    authorize(c, MGR_PRIV_MODIFY, &o, "drop", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 2, msg);
		goto out;
	}
	if (rc == 0)
		rc = find_partition(p, &t, vals, &pn, ids);
	if (rc) {
		snprintf(msg, sizeof msg, "partition %.255s of %.255s.%.255s not found",
			 by_name ? str_or(hms_field_string(a, 3), "") : "(values given)", db, tbl);
		hms_reply_exception(c, w, name, seqid, 1, msg);
		goto out;
	}
	rc = mgr_pnode_purge(p, &t, pn.id, STORE_ORIGIN_HMS);
	for (uint32_t k = t.npartkeys - 1; rc == 0 && k > 0; k--)
		if (mgr_pnode_drop(p, &t, ids[k - 1], STORE_ORIGIN_HMS))
			break;   /* not empty: other partitions below it */
	if (rc == 0) {
		reply_bool(c, w, name, seqid, true);
	} else if (rc == -ENOENT) {
		snprintf(msg, sizeof msg, "partition of %.255s.%.255s not found", db, tbl);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else {
		snprintf(msg, sizeof msg, "cannot drop the partition of %.255s.%.255s: %s", db, tbl,
			 strerror(-rc));
		hms_reply_exception(c, w, name, seqid, 2, msg);
	}
out:
	store_table_clear(&t);
}

/* alter_partition(1: db_name, 2: tbl_name, 3: Partition), alter_partitions(...,
 * 3: list<Partition>) and their _with_environment_context forms
 * (4: EnvironmentContext), throws (1: InvalidOperationException,
 * 2: MetaException).  A partition's parameters are metafs's statistics: a
 * client's are accepted and ignored.  Its values name it (they cannot
 * change here); a location other than metafs's is refused.  So a call
 * that passes its checks changes nothing. */
static void call_alter_partition(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
				 int32_t seqid)
{
	bool many = strncmp(name, "alter_partitions", 16) == 0;
	const char *db, *tbl = str_or(hms_field_string(a, 2), "");
	char msg[MSG_MAX] = "";
	mgr_platform *p = platform_of(c, hms_field_string(a, 1), NULL, &db);
	mgr_object o;
	store_table t = {0};
	if (lookup_or_reply(c, w, name, seqid, 1, p, db, tbl, &o, &t))
		return;
	const hms_value *parts = NULL;
	uint32_t n = 0;
	if (many) {
		const hms_value *l = hms_field_list(a, 3, HMS_T_STRUCT);
		parts = l ? l->v : NULL;
		n = l ? l->n : 0;
	} else if ((parts = hms_field(a, 3)) && parts->type == HMS_T_STRUCT) {
		n = 1;
	}
	if (mirror_refused(c, &t, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 1, msg);
		goto out;
	}
	if (authorize(c, MGR_PRIV_MODIFY, &o, "write", name, msg, sizeof msg)) {
		hms_reply_exception(c, w, name, seqid, 2, msg);
		goto out;
	}
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const char *vals[STORE_MAX_PARTKEYS];
		store_pnode pn;
		rc = part_values(&t, &parts[i], vals, msg, sizeof msg);
		if (rc == 0 && find_partition(p, &t, vals, &pn, NULL)) {
			snprintf(msg, sizeof msg, "partition %u of the call does not exist in %.255s.%.255s "
					   "(add_partition makes partitions)", i + 1, db, tbl);
			rc = -ENOENT;
		}
		const char *loc = hms_field_string(hms_field(&parts[i], 6), 2);
		if (rc == 0 && loc && *loc) {
			char want[PATH_MAX + 1200];
			int m = snprintf(want, sizeof want, "%s/%s/%s/%s", c->location_prefix, p->name, db, tbl);
			for (uint32_t k = 0; m > 0 && (size_t)m < sizeof want && k < t.npartkeys; k++) {
				char esc[3 * STORE_NAME_MAX + 1];
				if (store_hive_escape(vals[k], esc, sizeof esc) == 0)
					m += snprintf(want + m, sizeof want - (size_t)m, "/%s=%s",
						      t.columns[t.ncolumns + k].name, esc);
			}
			size_t wl = strlen(want), ll = strlen(loc);
			while (ll > wl && loc[ll - 1] == '/')
				ll--;
			if (ll != wl || strncmp(loc, want, wl)) {
				snprintf(msg, sizeof msg, "the location of a partition is metafs's (%.400s): "
						   "it cannot move to %.300s", want, loc);
				rc = -EINVAL;
			}
		}
	}
	if (rc)
		hms_reply_exception(c, w, name, seqid, 1, msg);
	else
		reply_void(c, w, name, seqid);
out:
	store_table_clear(&t);
}

const hms_call_def hms_write_calls[] = {
	/* sorted by name (strcmp): bsearch */
	{"add_partition", NULL, call_add_partition, 3},
	{"add_partition_with_environment_context", NULL, call_add_partition, 3},
	{"add_partitions", NULL, call_add_partition, 3},
	{"add_partitions_req", NULL, call_add_partitions_req, 3},
	{"alter_partition", NULL, call_alter_partition, 2},
	{"alter_partition_with_environment_context", NULL, call_alter_partition, 2},
	{"alter_partitions", NULL, call_alter_partition, 2},
	{"alter_partitions_with_environment_context", NULL, call_alter_partition, 2},
	{"alter_table", NULL, call_alter_table, 2},
	{"alter_table_with_environment_context", NULL, call_alter_table, 2},
	{"create_database", NULL, call_create_database, 3},
	{"create_table", NULL, call_create_table, 3},
	{"create_table_with_environment_context", NULL, call_create_table, 3},
	{"drop_database", NULL, call_drop_database, 3},
	{"drop_partition", NULL, call_drop_partition, 2},
	{"drop_partition_by_name", NULL, call_drop_partition, 2},
	{"drop_partition_by_name_with_environment_context", NULL, call_drop_partition, 2},
	{"drop_partition_with_environment_context", NULL, call_drop_partition, 2},
	{"drop_table", NULL, call_drop_table, 2},
	{"drop_table_with_environment_context", NULL, call_drop_table, 2},
	{NULL, NULL, NULL, 0},
};
