/*
 * hms_misc.c - the schema, statistics, functions and notification calls of
 * ThriftHiveMetastore, and the batch and request forms of the database and
 * table gets (field ids: hive_metastore.thrift).
 *
 * Access is decided and audited as in hms_calls.c: a table or database the
 * set_ugi user may not see answers exactly as a missing one.
 *
 * Statistics.  metafs keeps, per data file, what the file's own metadata
 * says of each column (a Parquet footer: null count, least and greatest
 * value; see store_colstat).  A column's statistics are answered when they
 * are known over every file of the table (or partition), as .table and
 * .partition show them, and only where Hive's ColumnStatisticsData can
 * carry them without a number metafs does not have: bigint (longStats),
 * double (doubleStats), date (dateStats) and decimal (decimalStats), each
 * with numNulls and the bounds known.  Hive requires numDVs in those
 * structs; metafs counts no distinct values and sends 0, which says
 * nothing true or false about them but which a reader may take as few
 * (Trino reads 0 as 1 when a column has non-null values).  Strings
 * (maxColLen and avgColLen are required and unknown),
 * booleans (numTrues and numFalses required) and timestamps are not
 * answered: such a column has no statistics here.
 *
 * Notifications: see hms.h.
 */
#include "hms_int.h"
#include "hms_value.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Events in one get_next_notification reply at most (a client pages on). */
#define EVENTS_PER_REPLY 10000
#define EVENTS_PATH "/.metafs/events"

/* A call without a throws clause cannot refuse with MetaException: before
 * set_ugi it is answered with a TApplicationException. */
static bool have_user(hms_conn *c, hms_writer *w, const char *name, int32_t seqid)
{
	if (c->has_user)
		return true;
	hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
				"set_ugi first: metafs decides every call as a named user");
	return false;
}

/* The list or map header just written to W ends with its i32 count: set it
 * to N once the elements are written (offset AT = w->len after the header). */
static void patch_count(hms_writer *w, size_t at, uint32_t n)
{
	if (w->err || at < 4 || at > w->len)
		return;
	w->data[at - 4] = (uint8_t)(n >> 24);
	w->data[at - 3] = (uint8_t)(n >> 16);
	w->data[at - 2] = (uint8_t)(n >> 8);
	w->data[at - 1] = (uint8_t)n;
}

/* ---- databases and tables --------------------------------------------------------- */

/* get_database_req(1: GetDatabaseRequest {1: name, 2: catalogName}) ->
 * Database, throws (1: NoSuchObjectException, 2: MetaException). */
static void call_get_database_req(hms_conn *c, const hms_value *a, hms_writer *w,
				  const char *name, int32_t seqid)
{
	const hms_value *r = hms_field(a, 1);
	const char *cat, *db;
	hms_request_names(r, 1, 2, &cat, &db);
	hms_reply_database(c, w, name, seqid, cat, db);
}

/* get_fields(1: db_name, 2: table_name), get_schema(...) and their
 * _with_environment_context forms (3: EnvironmentContext, ignored) ->
 * list<FieldSchema>; get_fields_req / get_schema_req (1: {1: catName,
 * 2: dbName, 3: tblName}) -> {1: fields}.  All throw (1: MetaException,
 * 2: UnknownTableException, 3: UnknownDBException).  get_fields answers
 * the data columns, get_schema the columns then the partition keys (as
 * Hive's get_schema); a missing or unseen table or database is
 * UnknownTableException, as Hive answers for both. */
static void call_get_fields(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			    int32_t seqid)
{
	bool req = strstr(name, "_req") != NULL;
	bool schema = strncmp(name, "get_schema", 10) == 0;
	const hms_value *r = req ? hms_field(a, 1) : a;
	const char *cat, *db, *tbl;
	hms_request_names(r, req ? 2 : 1, req ? 1 : 0, &cat, &db);
	tbl = hms_field_string(r, req ? 3 : 2);
	mgr_platform *p = NULL;
	store_table t;
	if (hms_table_get(c, w, name, seqid, 2, cat, db, tbl, &p, &t))
		return;
	uint32_t n = t.has_schema ? t.ncolumns + (schema ? t.npartkeys : 0) : 0;
	hms_reply_begin(c, w, name, seqid);
	if (req) {
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
		hms_write_field_begin(w, HMS_T_LIST, 1);
		hms_write_field_schemas(w, t.columns, n);
		hms_write_field_stop(w);
	} else {
		hms_write_field_begin(w, HMS_T_LIST, 0);
		hms_write_field_schemas(w, t.columns, n);
	}
	hms_write_field_stop(w);
	store_table_clear(&t);
}

/* Whether C's user sees database DB of P (audited as a "list" of it with
 * detail CALL); false also for a missing one. */
static bool database_seen(hms_conn *c, const char *call, mgr_platform *p, const char *db)
{
	bool seen = false;
	char path[2 * STORE_NAME_MAX + 4];
	snprintf(path, sizeof path, "/%s/%.255s", p ? p->name : "", db);
	if (p && store_name_valid(db, NULL)) {
		store_txn *txn;
		store_database d;
		if (store_read_begin(p->store, &txn) == 0) {
			seen = store_database_get(txn, db, &d) == 0;
			store_commit(txn);
		}
		mgr_object o = {.level = MGR_OBJ_DATABASE, .platform = p->name, .db = db};
		seen = seen && mgr_access_visible(c->m, &c->who, &o);
	}
	return mgr_audit_decision(c->m, &c->who, "list", path, seen, 0, call) == 0;
}

/* Append table TBL of CAT/DB to the list being written (its count in *N)
 * when the user may see it and it was not written already (NAMES). */
static int write_table_named(hms_conn *c, hms_writer *w, const char *call, const char *cat,
			     const char *db, const char *tbl, hms_names *names, uint32_t *n)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], tbl) == 0)
			return 0;
	mgr_platform *p = NULL;
	store_table t;
	if (hms_table_lookup(c, call, cat, db, tbl, &p, &t))
		return 0;   /* missing or unseen: left out, as Hive leaves out missing ones */
	int rc = hms_names_add(names, tbl);
	if (rc == 0)
		rc = hms_write_table(c, w, p, &t);   /* with its STOP */
	if (rc == 0)
		(*n)++;
	store_table_clear(&t);
	return rc;
}

/* get_table_objects_by_name(1: dbname, 2: list<string> tbl_names) ->
 * list<Table> (no declared exceptions) and get_table_objects_by_name_req
 * (1: GetTablesRequest {1: dbName, 2: tblNames, 4: catName,
 * 8: tablesPattern}) -> GetTablesResult {1: list<Table>}, throws
 * (1: MetaException, 2: InvalidOperationException, 3: UnknownDBException).
 * The tables named that the user may see, each once; missing and unseen
 * ones are left out.  A missing or unseen database: UnknownDBException for
 * the request form, an empty list for the other (it declares none).  The
 * request form without tblNames answers every table (matching
 * tablesPattern). */
static void call_get_table_objects(hms_conn *c, const hms_value *a, hms_writer *w,
				   const char *name, int32_t seqid)
{
	bool req = strcmp(name, "get_table_objects_by_name_req") == 0;
	if (!req && !have_user(c, w, name, seqid))
		return;
	const hms_value *r = req ? hms_field(a, 1) : a;
	const char *cat, *db;
	hms_split_catalog(hms_field_string(r, 1), &cat, &db);
	if (req && hms_field_string(r, 4))
		cat = hms_field_string(r, 4);
	const hms_value *want = hms_field_list(r, 2, HMS_T_STRING);
	mgr_platform *p = hms_catalog_platform(c, cat);
	bool seen = database_seen(c, name, p, db);
	if (!seen && req) {
		char msg[300];
		snprintf(msg, sizeof msg, "database %.200s not found", db);
		hms_reply_exception(c, w, name, seqid, 3, msg);
		return;
	}
	hms_names all = {0}, written = {0};
	int rc = 0;
	if (seen && !want) {
		/* Every table of the database (the request form without names). */
		const char *pattern = req ? hms_field_string(r, 8) : NULL;
		store_txn *txn;
		store_iter *it;
		if ((rc = store_read_begin(p->store, &txn)) == 0) {
			if ((rc = store_iter_tables(txn, db, NULL, &it)) == 0) {
				store_table t;
				while ((rc = store_iter_next(it, &t)) == 0) {
					/* Only those the user sees: a listing, not a
					 * refusal per hidden table. */
					mgr_object o = {.level = MGR_OBJ_TABLE, .platform = p->name,
							.db = db, .table = t.name};
					if (hms_pattern_match(pattern, t.name) &&
					    mgr_access_visible(c->m, &c->who, &o))
						rc = hms_names_add(&all, t.name);
					store_table_clear(&t);
					if (rc)
						break;
				}
				store_iter_close(it);
			}
			store_commit(txn);
		}
		if (rc == -ENOENT)
			rc = 0;
	}
	hms_reply_begin(c, w, name, seqid);
	if (req)
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_LIST, req ? 1 : 0);
	hms_write_list_begin(w, HMS_T_STRUCT, 0);
	size_t at = w->len;
	uint32_t n = 0;
	for (uint32_t i = 0; seen && rc == 0 && want && i < want->n; i++)
		if (want->v[i].s)
			rc = write_table_named(c, w, name, cat, db, want->v[i].s, &written, &n);
	for (size_t i = 0; seen && rc == 0 && i < all.n; i++)
		rc = write_table_named(c, w, name, cat, db, all.v[i], &written, &n);
	patch_count(w, at, n);
	if (req)
		hms_write_field_stop(w);
	hms_write_field_stop(w);
	if (rc) {
		hms_writer_reset(w);
		if (req)
			hms_reply_exception(c, w, name, seqid, 1, strerror(-rc));
		else
			hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
						strerror(-rc));
	}
	hms_names_free(&all);
	hms_names_free(&written);
}

/* ---- column statistics ------------------------------------------------------------ */

static int64_t le64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return (int64_t)v;
}

/* Can Hive's ColumnStatisticsData carry S, statistics of a column of type
 * T, without a number metafs does not have (see the top of this file)? */
static bool stats_answerable(store_type t, const store_colstat *s)
{
	if (!(s->flags & STORE_STAT_NULLS))
		return false;
	switch (store_type_base(t)) {
	case STORE_TYPE_BIGINT:
	case STORE_TYPE_DOUBLE:
	case STORE_TYPE_DATE:
	case STORE_TYPE_DECIMAL:
		return true;
	default:
		return false;
	}
}

/* A Decimal {3: scale, 1: unscaled}: the unscaled value as Java's
 * BigInteger.toByteArray gives it (big-endian two's complement, fewest
 * bytes). */
static void write_decimal(hms_writer *w, const uint8_t *le, unsigned scale)
{
	uint8_t be[16];
	for (int i = 0; i < 16; i++)
		be[i] = le[15 - i];
	int skip = 0;
	while (skip < 15 && ((be[skip] == 0x00 && !(be[skip + 1] & 0x80)) ||
			     (be[skip] == 0xff && (be[skip + 1] & 0x80))))
		skip++;
	hms_write_field_begin(w, HMS_T_I16, 3);
	hms_write_i16(w, (int16_t)scale);
	hms_write_field_begin(w, HMS_T_STRING, 1);
	hms_write_binary(w, be + skip, (uint32_t)(16 - skip));
	hms_write_field_stop(w);
}

/* One bound (field ID: 1 low, 2 high) of S's type T from the value at B. */
static void write_bound(hms_writer *w, store_type t, int16_t id, const uint8_t *b)
{
	switch (store_type_base(t)) {
	case STORE_TYPE_BIGINT:
		hms_write_field_begin(w, HMS_T_I64, id);
		hms_write_i64(w, le64(b));
		break;
	case STORE_TYPE_DOUBLE: {
		uint64_t bits = (uint64_t)le64(b);
		double d;
		memcpy(&d, &bits, sizeof d);
		if (isnan(d))
			break;   /* no bound Hive can hold */
		hms_write_field_begin(w, HMS_T_DOUBLE, id);
		hms_write_double(w, d);
		break;
	}
	case STORE_TYPE_DATE:
		hms_write_field_begin(w, HMS_T_STRUCT, id);
		hms_write_field_begin(w, HMS_T_I64, 1);
		hms_write_i64(w, le64(b));
		hms_write_field_stop(w);
		break;
	case STORE_TYPE_DECIMAL:
		hms_write_field_begin(w, HMS_T_STRUCT, id);
		write_decimal(w, b, store_type_scale(t));
		break;
	default:
		break;
	}
}

/* A ColumnStatisticsObj (a struct value, with its STOP) of column COL from
 * S; stats_answerable(COL->type, S) must hold. */
static void write_stats_obj(hms_writer *w, const store_column *col, const store_colstat *s)
{
	char tn[64];
	int16_t member = 2;
	switch (store_type_base(col->type)) {
	case STORE_TYPE_DOUBLE: member = 3; break;
	case STORE_TYPE_DECIMAL: member = 6; break;
	case STORE_TYPE_DATE: member = 7; break;
	default: member = 2; break;
	}
	hms_type_name(col->type, tn, sizeof tn);
	hms_write_string_field(w, 1, col->name);
	hms_write_string_field(w, 2, tn);
	hms_write_field_begin(w, HMS_T_STRUCT, 3);      /* ColumnStatisticsData, a union */
	hms_write_field_begin(w, HMS_T_STRUCT, member);
	if (s->flags & STORE_STAT_MIN)
		write_bound(w, col->type, 1, s->min);
	if (s->flags & STORE_STAT_MAX)
		write_bound(w, col->type, 2, s->max);
	hms_write_field_begin(w, HMS_T_I64, 3);
	hms_write_i64(w, (int64_t)s->nulls);
	hms_write_field_begin(w, HMS_T_I64, 4);        /* numDVs: not counted */
	hms_write_i64(w, 0);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
}

/* The data column of T named NAME (case-insensitively, as Hive's
 * lower-cased names match), or -1. */
static int column_index(const store_table *t, const char *name)
{
	if (!name || !t->has_schema)
		return -1;
	for (uint32_t i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The statistics of T's data columns over CONTAINER (0: the table): *OUT
 * (free() it) of T->ncolumns entries. */
static int table_stats(mgr_platform *p, const store_table *t, uint64_t container,
		       store_colstat **out)
{
	*out = NULL;
	if (!t->has_schema || t->ncolumns == 0)
		return 0;
	store_colstat *st = calloc(t->ncolumns, sizeof *st);
	if (!st)
		return -ENOMEM;
	int rc = mgr_column_stats(p, t, container, st, NULL);
	if (rc) {
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

/* get_table_column_statistics(1: db_name, 2: tbl_name, 3: col_name) ->
 * ColumnStatistics, throws (1: NoSuchObjectException, 2: MetaException,
 * 3: InvalidInputException, 4: InvalidObjectException): the table-level
 * statistics of the column over all the table's files, or
 * NoSuchObjectException when there are none (as Hive answers), the column
 * or the table is missing, or the table is one the user may not see. */
static void call_get_table_column_statistics(hms_conn *c, const hms_value *a, hms_writer *w,
					     const char *name, int32_t seqid)
{
	const char *cat, *db;
	hms_split_catalog(hms_field_string(a, 1), &cat, &db);
	const char *tbl = hms_field_string(a, 2), *col = hms_field_string(a, 3);
	mgr_platform *p = NULL;
	store_table t;
	char msg[900];
	if (hms_table_get(c, w, name, seqid, 1, cat, db, tbl, &p, &t))
		return;
	store_colstat *st = NULL;
	int i = column_index(&t, col);
	int rc = i >= 0 ? table_stats(p, &t, 0, &st) : 0;
	if (rc) {
		hms_reply_exception(c, w, name, seqid, 2, strerror(-rc));
	} else if (i < 0 || !st || !stats_answerable(t.columns[i].type, &st[i])) {
		snprintf(msg, sizeof msg, "no statistics of column %.255s of %.255s.%.255s",
			 col ? col : "", db, t.name);
		hms_reply_exception(c, w, name, seqid, 1, msg);
	} else {
		hms_reply_begin(c, w, name, seqid);
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
		hms_write_field_begin(w, HMS_T_STRUCT, 1);     /* ColumnStatisticsDesc */
		hms_write_field_begin(w, HMS_T_BOOL, 1);
		hms_write_bool(w, true);
		hms_write_string_field(w, 2, t.db);
		hms_write_string_field(w, 3, t.name);
		hms_write_string_field(w, 6, hms_catalog_name(p));
		hms_write_field_stop(w);
		hms_write_field_begin(w, HMS_T_LIST, 2);
		hms_write_list_begin(w, HMS_T_STRUCT, 1);
		write_stats_obj(w, &t.columns[i], &st[i]);
		hms_write_field_stop(w);
		hms_write_field_stop(w);
	}
	free(st);
	store_table_clear(&t);
}

/* Write, as list<ColumnStatisticsObj>, the statistics in ST of T's columns
 * named in COLS that Hive can carry (each column once). */
static void write_stats_list(hms_writer *w, const store_table *t, const store_colstat *st,
			     const hms_value *cols)
{
	hms_write_list_begin(w, HMS_T_STRUCT, 0);
	size_t at = w->len;
	uint32_t n = 0;
	bool *done = st ? calloc(t->ncolumns, sizeof *done) : NULL;
	for (uint32_t k = 0; done && cols && k < cols->n; k++) {
		int i = column_index(t, cols->v[k].s);
		if (i < 0 || done[i] || !stats_answerable(t->columns[i].type, &st[i]))
			continue;
		done[i] = true;
		write_stats_obj(w, &t->columns[i], &st[i]);
		n++;
	}
	free(done);
	patch_count(w, at, n);
}

/* get_table_statistics_req(1: TableStatsRequest {1: dbName, 2: tblName,
 * 3: colNames, 4: catName}) -> TableStatsResult {1: tableStats}, throws
 * (1: NoSuchObjectException, 2: MetaException): the named columns that
 * have statistics; the others are left out. */
static void call_get_table_statistics_req(hms_conn *c, const hms_value *a, hms_writer *w,
					  const char *name, int32_t seqid)
{
	const hms_value *r = hms_field(a, 1);
	const char *cat, *db;
	hms_request_names(r, 1, 4, &cat, &db);
	const char *tbl = hms_field_string(r, 2);
	mgr_platform *p = NULL;
	store_table t;
	if (hms_table_get(c, w, name, seqid, 1, cat, db, tbl, &p, &t))
		return;
	store_colstat *st = NULL;
	int rc = table_stats(p, &t, 0, &st);
	if (rc) {
		hms_reply_exception(c, w, name, seqid, 2, strerror(-rc));
	} else {
		hms_reply_begin(c, w, name, seqid);
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
		hms_write_field_begin(w, HMS_T_LIST, 1);
		write_stats_list(w, &t, st, hms_field_list(r, 3, HMS_T_STRING));
		hms_write_field_stop(w);
		hms_write_field_stop(w);
	}
	free(st);
	store_table_clear(&t);
}

/* The leaf pnode of T named by Hive's partition name PNAME ("k1=v1/k2=v2",
 * the keys in order, values escaped as in a directory name): 0 with *ID,
 * or -ENOENT. */
static int partition_by_name(mgr_platform *p, const store_table *t, const char *pname,
			     uint64_t *id)
{
	if (!t->has_schema || t->npartkeys == 0 || !pname)
		return -ENOENT;
	store_txn *txn;
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	uint64_t parent = 0;
	const char *s = pname;
	for (uint32_t d = 0; rc == 0 && d < t->npartkeys; d++) {
		const char *key = t->columns[t->ncolumns + d].name;
		size_t klen = strlen(key);
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char esc[3 * STORE_NAME_MAX + 1], value[STORE_NAME_MAX + 1];
		store_pnode pn;
		if ((d + 1 < t->npartkeys) != (end != NULL) || len <= klen + 1 ||
		    len - klen - 1 >= sizeof esc || strncmp(s, key, klen) != 0 || s[klen] != '=') {
			rc = -ENOENT;
			break;
		}
		memcpy(esc, s + klen + 1, len - klen - 1);
		esc[len - klen - 1] = '\0';
		if (store_hive_unescape(esc, value, sizeof value) ||
		    store_pnode_get(txn, t->id, parent, value, &pn)) {
			rc = -ENOENT;
			break;
		}
		parent = pn.id;
		s = end ? end + 1 : s + len;
	}
	store_commit(txn);
	if (rc == 0)
		*id = parent;
	return rc;
}

/* get_partitions_statistics_req(1: PartitionsStatsRequest {1: dbName,
 * 2: tblName, 3: colNames, 4: partNames, 5: catName}) ->
 * PartitionsStatsResult {1: partStats}, throws (1: NoSuchObjectException,
 * 2: MetaException): for each named partition that exists, the statistics
 * of the named columns over its files, keyed by the name as given; a
 * partition without any is left out of the map. */
static void call_get_partitions_statistics_req(hms_conn *c, const hms_value *a, hms_writer *w,
					       const char *name, int32_t seqid)
{
	const hms_value *r = hms_field(a, 1);
	const char *cat, *db;
	hms_request_names(r, 1, 5, &cat, &db);
	const char *tbl = hms_field_string(r, 2);
	mgr_platform *p = NULL;
	store_table t;
	if (hms_table_get(c, w, name, seqid, 1, cat, db, tbl, &p, &t))
		return;
	const hms_value *cols = hms_field_list(r, 3, HMS_T_STRING);
	const hms_value *parts = hms_field_list(r, 4, HMS_T_STRING);
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_MAP, 1);
	hms_write_map_begin(w, HMS_T_STRING, HMS_T_LIST, 0);
	size_t at = w->len;
	uint32_t n = 0;
	int rc = 0;
	for (uint32_t k = 0; rc == 0 && parts && k < parts->n; k++) {
		uint64_t id;
		store_colstat *st = NULL;
		if (partition_by_name(p, &t, parts->v[k].s, &id))
			continue;
		if ((rc = table_stats(p, &t, id, &st)))
			break;
		bool any = false;
		for (uint32_t i = 0; st && i < t.ncolumns; i++)
			any |= stats_answerable(t.columns[i].type, &st[i]);
		if (any) {
			hms_write_string(w, parts->v[k].s);
			write_stats_list(w, &t, st, cols);
			n++;
		}
		free(st);
	}
	patch_count(w, at, n);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
	if (rc) {
		hms_writer_reset(w);
		hms_reply_exception(c, w, name, seqid, 2, strerror(-rc));
	}
	store_table_clear(&t);
}

/* ---- functions --------------------------------------------------------------------- */

/* get_functions(1: dbName, 2: pattern) -> list<string>, throws
 * (1: MetaException); get_all_functions() -> GetAllFunctionsResponse
 * {1: functions}, the same throws.  metafs keeps no user-defined
 * functions: both are empty. */
static void call_get_functions(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			       int32_t seqid)
{
	bool all = strcmp(name, "get_all_functions") == 0;
	char path[2 * STORE_NAME_MAX + 4];
	if (all) {
		snprintf(path, sizeof path, "/");
	} else {
		const char *cat, *db;
		hms_split_catalog(hms_field_string(a, 1), &cat, &db);
		mgr_platform *p = hms_catalog_platform(c, cat);
		snprintf(path, sizeof path, "/%s/%.255s", p ? p->name : "", db);
	}
	if (mgr_audit_decision(c->m, &c->who, "list", path, true, 0, name)) {
		hms_reply_exception(c, w, name, seqid, 1, "the audit log cannot be written");
		return;
	}
	hms_reply_begin(c, w, name, seqid);
	if (all) {
		hms_write_field_begin(w, HMS_T_STRUCT, 0);
		hms_write_field_begin(w, HMS_T_LIST, 1);
		hms_write_list_begin(w, HMS_T_STRUCT, 0);
		hms_write_field_stop(w);
	} else {
		hms_write_field_begin(w, HMS_T_LIST, 0);
		hms_write_list_begin(w, HMS_T_STRING, 0);
	}
	hms_write_field_stop(w);
}

/* ---- notifications ----------------------------------------------------------------- */

/* A change-log event as Hive's notification event. */
typedef struct hive_event {
	const char *type;                 /* Hive's eventType; NULL: none */
	char db[STORE_NAME_MAX + 1];
	char table[STORE_NAME_MAX + 1];   /* "" for a database's event */
	char parts[STORE_MAX_PARTKEYS][2 * STORE_NAME_MAX + 2];  /* "key=escaped" each */
	uint32_t nparts;
	const char *file;                 /* a file event's file name, in EV's path */
} hive_event;

/* Split EV's path ("db", "db/t", "db/t/k=v/...", ".../file") into HE and
 * give the Hive event type: databases CREATE_DATABASE / ALTER_DATABASE /
 * DROP_DATABASE, tables CREATE_TABLE / ALTER_TABLE / DROP_TABLE,
 * partitions (leaf pnodes) ADD_PARTITION / ALTER_PARTITION /
 * DROP_PARTITION, a file created INSERT, a file rewritten or removed
 * ALTER_PARTITION (ALTER_TABLE in an unpartitioned table): its partition's
 * or table's data changed.  A pnode above the leaves has no Hive event.
 * Whether a pnode is a leaf is told by its table as it is now; a pnode of
 * a table dropped since counts as a partition. */
static bool event_map(store_txn *txn, const store_event *ev, hive_event *he)
{
	memset(he, 0, sizeof *he);
	char comp[2 + STORE_MAX_PARTKEYS + 1][2 * STORE_NAME_MAX + 2];
	uint32_t n = 0;
	const char *s = ev->path;
	while (*s) {
		const char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len >= sizeof comp[0] || n == sizeof comp / sizeof *comp)
			return false;
		memcpy(comp[n], s, len);
		comp[n][len] = '\0';
		n++;
		if (!end)
			break;
		s = end + 1;
	}
	if (n == 0 || strlen(comp[0]) > STORE_NAME_MAX)
		return false;
	snprintf(he->db, sizeof he->db, "%s", comp[0]);
	if (ev->kind == STORE_KIND_DATABASE) {
		he->type = ev->op == STORE_OP_CREATE ? "CREATE_DATABASE" :
			   ev->op == STORE_OP_DROP ? "DROP_DATABASE" : "ALTER_DATABASE";
		return n == 1;
	}
	if (n < 2 || strlen(comp[1]) > STORE_NAME_MAX)
		return false;
	snprintf(he->table, sizeof he->table, "%s", comp[1]);
	if (ev->kind == STORE_KIND_TABLE) {
		he->type = ev->op == STORE_OP_CREATE ? "CREATE_TABLE" :
			   ev->op == STORE_OP_DROP ? "DROP_TABLE" : "ALTER_TABLE";
		return n == 2;
	}
	uint32_t nparts = n - 2 - (ev->kind == STORE_KIND_FILE);
	if (n < 2 + (ev->kind == STORE_KIND_FILE) || nparts > STORE_MAX_PARTKEYS)
		return false;
	for (uint32_t i = 0; i < nparts; i++)
		memcpy(he->parts[i], comp[2 + i], sizeof he->parts[i]);
	he->nparts = nparts;
	if (ev->kind == STORE_KIND_FILE) {
		const char *slash = strrchr(ev->path, '/');
		he->file = slash ? slash + 1 : ev->path;
		he->type = ev->op == STORE_OP_CREATE ? "INSERT" :
			   nparts ? "ALTER_PARTITION" : "ALTER_TABLE";
		return true;
	}
	if (ev->kind != STORE_KIND_PNODE || nparts == 0)
		return false;
	store_table t;
	if (store_table_get(txn, he->db, he->table, &t) == 0) {
		bool leaf = t.has_schema && nparts == t.npartkeys;
		store_table_clear(&t);
		if (!leaf)
			return false;
	}
	he->type = ev->op == STORE_OP_CREATE ? "ADD_PARTITION" :
		   ev->op == STORE_OP_DROP ? "DROP_PARTITION" : "ALTER_PARTITION";
	return true;
}

/* HE's partition values as a JSON object {key: value, ...} (unescaped). */
static json_t *json_partition(const hive_event *he)
{
	json_t *o = json_object();
	for (uint32_t i = 0; o && i < he->nparts; i++) {
		char *eq = strchr(he->parts[i], '=');
		char value[STORE_NAME_MAX + 1];
		if (!eq || store_hive_unescape(eq + 1, value, sizeof value))
			continue;
		char key[2 * STORE_NAME_MAX + 2];
		snprintf(key, sizeof key, "%.*s", (int)(eq - he->parts[i]), he->parts[i]);
		json_t *v = json_string(value);
		if (v)
			json_object_set_new(o, key, v);
	}
	return o;
}

static void json_put_string(json_t *o, const char *key, const char *s)
{
	json_t *v = json_string(s);
	json_object_set_new(o, key, v ? v : json_string(""));
}

/* The message of HE (EV of P), in the form of Hive's JSONMessageEncoder
 * ("json-0.2"): server, servicePrincipal, db, timestamp; for a table's,
 * partition's or file's event also table and tableType; partitions
 * [{key: value}] for ADD_PARTITION and DROP_PARTITION, keyValues and
 * isTruncateOp for ALTER_PARTITION, isTruncateOp for ALTER_TABLE, replace
 * and files (the file's location) for INSERT, with partKeyVals when the
 * file is in a partition.  The Thrift objects Hive adds as JSON
 * (tableObjJson, partitionListJson, ...) are not sent.  NULL when out of
 * memory. */
static char *event_message(hms_conn *c, const mgr_platform *p, const store_event *ev,
			   const hive_event *he)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	char server[200];
	snprintf(server, sizeof server, "thrift://%s", mgr_get_config(c->m)->hms_listen);
	json_put_string(o, "server", server);
	json_put_string(o, "servicePrincipal", "");
	json_put_string(o, "db", he->db);
	if (he->table[0]) {
		json_put_string(o, "table", he->table);
		json_put_string(o, "tableType", "EXTERNAL_TABLE");
	}
	json_object_set_new(o, "timestamp", json_integer(ev->time_ns / 1000000000));
	const char *type = he->type;
	if (strcmp(type, "ADD_PARTITION") == 0 || strcmp(type, "DROP_PARTITION") == 0) {
		json_t *l = json_array();
		json_array_append_new(l, json_partition(he));
		json_object_set_new(o, "partitions", l);
	} else if (strcmp(type, "ALTER_PARTITION") == 0) {
		json_object_set_new(o, "keyValues", json_partition(he));
		json_put_string(o, "isTruncateOp", "false");
	} else if (strcmp(type, "ALTER_TABLE") == 0) {
		json_put_string(o, "isTruncateOp", "false");
	} else if (strcmp(type, "INSERT") == 0) {
		char loc[PATH_MAX + 1200];
		snprintf(loc, sizeof loc, "%s/%s/%s", c->location_prefix, p->name, ev->path);
		json_put_string(o, "replace", "false");
		json_t *files = json_array(), *f = json_string(loc);
		json_array_append_new(files, f ? f : json_string(""));
		json_object_set_new(o, "files", files);
		if (he->nparts)
			json_object_set_new(o, "partKeyVals", json_partition(he));
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* Is TYPE in the request's eventTypeSkipList SKIP? */
static bool skipped(const hms_value *skip, const char *type)
{
	for (uint32_t i = 0; skip && i < skip->n; i++)
		if (skip->v[i].s && strcmp(skip->v[i].s, type) == 0)
			return true;
	return false;
}

/* The platform whose log is the notification log: the default catalog's. */
static mgr_platform *notification_platform(hms_conn *c)
{
	return hms_catalog_platform(c, NULL);
}

/* get_next_notification(1: NotificationEventRequest {1: lastEvent,
 * 2: maxEvents, 3: eventTypeSkipList}) -> NotificationEventResponse
 * {1: events}: the events after lastEvent that have a Hive form, that the
 * user may see and whose type is not skipped, in id order, at most
 * maxEvents (at most EVENTS_PER_REPLY; none or <= 0: that many). */
static void call_get_next_notification(hms_conn *c, const hms_value *a, hms_writer *w,
				       const char *name, int32_t seqid)
{
	if (!have_user(c, w, name, seqid))
		return;
	const hms_value *r = hms_field(a, 1);
	int64_t last = hms_field_int(r, 1, 0);
	int64_t max = hms_field_int(r, 2, 0);
	const hms_value *skip = hms_field_list(r, 3, HMS_T_STRING);
	if (max <= 0 || max > EVENTS_PER_REPLY)
		max = EVENTS_PER_REPLY;
	if (mgr_audit_decision(c->m, &c->who, "read", EVENTS_PATH, true, 0, name)) {
		hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
					"the audit log cannot be written");
		return;
	}
	mgr_platform *p = notification_platform(c);
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_LIST, 1);
	hms_write_list_begin(w, HMS_T_STRUCT, 0);
	size_t at = w->len;
	uint32_t n = 0;
	int rc = 0;
	store_txn *txn = NULL;
	store_iter *it = NULL;
	if (p && (rc = store_read_begin(p->store, &txn)) == 0)
		rc = store_iter_events(txn, last > 0 ? (uint64_t)last : 0, &it);
	store_event ev;
	while (rc == 0 && it && n < (uint64_t)max && (rc = store_iter_next(it, &ev)) == 0) {
		hive_event he;
		if (!event_map(txn, &ev, &he) || skipped(skip, he.type) ||
		    !mgr_event_visible(c->m, &c->who, p, &ev))
			continue;
		char *msg = event_message(c, p, &ev, &he);
		if (!msg) {
			rc = -ENOMEM;
			break;
		}
		hms_write_field_begin(w, HMS_T_I64, 1);
		hms_write_i64(w, (int64_t)ev.seq);
		hms_write_field_begin(w, HMS_T_I32, 2);
		hms_write_i32(w, (int32_t)(ev.time_ns / 1000000000));
		hms_write_string_field(w, 3, he.type);
		hms_write_string_field(w, 4, he.db);
		if (he.table[0])
			hms_write_string_field(w, 5, he.table);
		hms_write_string_field(w, 6, msg);
		hms_write_string_field(w, 7, "json-0.2");
		hms_write_string_field(w, 8, hms_catalog_name(p));
		hms_write_field_stop(w);
		free(msg);
		n++;
	}
	if (rc == -ENOENT)
		rc = 0;
	store_iter_close(it);
	store_abort(txn);
	patch_count(w, at, n);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
	if (rc) {
		hms_writer_reset(w);
		hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
					strerror(-rc));
	}
}

/* get_current_notificationEventId() -> CurrentNotificationEventId
 * {1: eventId}: the newest event's id (0: none), whoever may see it, as
 * Hive answers. */
static void call_get_current_notification_id(hms_conn *c, const hms_value *a, hms_writer *w,
					     const char *name, int32_t seqid)
{
	(void)a;
	if (!have_user(c, w, name, seqid))
		return;
	mgr_platform *p = notification_platform(c);
	uint64_t head = 0;
	int rc = mgr_audit_decision(c->m, &c->who, "read", EVENTS_PATH, true, 0, name) ? -EACCES : 0;
	if (rc == 0 && p) {
		store_txn *txn;
		if ((rc = store_read_begin(p->store, &txn)) == 0) {
			rc = store_event_head(txn, &head);
			store_abort(txn);
		}
	}
	if (rc) {
		hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
					rc == -EACCES ? "the audit log cannot be written" : strerror(-rc));
		return;
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_I64, 1);
	hms_write_i64(w, (int64_t)head);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
}

/* get_notification_events_count(1: NotificationEventsCountRequest
 * {1: fromEventId, 2: dbName, 3: catName, 4: toEventId, 5: limit}) ->
 * NotificationEventsCountResponse {1: eventsCount}: the events
 * get_next_notification would give after fromEventId (up to toEventId)
 * about database dbName, at most limit.  A catalog other than the default
 * one has no notifications: 0. */
static void call_get_notification_events_count(hms_conn *c, const hms_value *a, hms_writer *w,
					       const char *name, int32_t seqid)
{
	if (!have_user(c, w, name, seqid))
		return;
	const hms_value *r = hms_field(a, 1);
	int64_t from = hms_field_int(r, 1, 0), to = hms_field_int(r, 4, INT64_MAX);
	int64_t limit = hms_field_int(r, 5, 0);
	const char *cat, *db;
	hms_request_names(r, 2, 3, &cat, &db);
	mgr_platform *p = notification_platform(c);
	if (p && hms_catalog_platform(c, cat) != p)
		p = NULL;
	int rc = mgr_audit_decision(c->m, &c->who, "read", EVENTS_PATH, true, 0, name) ? -EACCES : 0;
	int64_t count = 0;
	store_txn *txn = NULL;
	store_iter *it = NULL;
	if (rc == 0 && p && (rc = store_read_begin(p->store, &txn)) == 0)
		rc = store_iter_events(txn, from > 0 ? (uint64_t)from : 0, &it);
	store_event ev;
	while (rc == 0 && it && (limit <= 0 || count < limit) &&
	       (rc = store_iter_next(it, &ev)) == 0 && ev.seq <= (uint64_t)(to < 0 ? 0 : to)) {
		hive_event he;
		if (event_map(txn, &ev, &he) && strcmp(he.db, db) == 0 &&
		    mgr_event_visible(c->m, &c->who, p, &ev))
			count++;
	}
	if (rc == -ENOENT)
		rc = 0;
	store_iter_close(it);
	store_abort(txn);
	if (rc) {
		hms_write_app_exception(w, c->old_style, name, seqid, HMS_TAPP_INTERNAL_ERROR,
					rc == -EACCES ? "the audit log cannot be written" : strerror(-rc));
		return;
	}
	hms_reply_begin(c, w, name, seqid);
	hms_write_field_begin(w, HMS_T_STRUCT, 0);
	hms_write_field_begin(w, HMS_T_I64, 1);
	hms_write_i64(w, count);
	hms_write_field_stop(w);
	hms_write_field_stop(w);
}

const hms_call_def hms_misc_calls[] = {
	/* sorted by name (strcmp): bsearch */
	{"get_all_functions", NULL, call_get_functions, 1},
	{"get_current_notificationEventId", NULL, call_get_current_notification_id, 0},
	{"get_database_req", NULL, call_get_database_req, 2},
	{"get_fields", NULL, call_get_fields, 1},
	{"get_fields_req", NULL, call_get_fields, 1},
	{"get_fields_with_environment_context", NULL, call_get_fields, 1},
	{"get_functions", NULL, call_get_functions, 1},
	{"get_next_notification", NULL, call_get_next_notification, 0},
	{"get_notification_events_count", NULL, call_get_notification_events_count, 0},
	{"get_partitions_statistics_req", NULL, call_get_partitions_statistics_req, 2},
	{"get_schema", NULL, call_get_fields, 1},
	{"get_schema_req", NULL, call_get_fields, 1},
	{"get_schema_with_environment_context", NULL, call_get_fields, 1},
	{"get_table_column_statistics", NULL, call_get_table_column_statistics, 2},
	{"get_table_objects_by_name", NULL, call_get_table_objects, 0},
	{"get_table_objects_by_name_req", NULL, call_get_table_objects, 1},
	{"get_table_statistics_req", NULL, call_get_table_statistics_req, 2},
	{NULL, NULL, NULL, 0},
};
