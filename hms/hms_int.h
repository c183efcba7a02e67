/*
 * hms_int.h - private to hms/: the connection and the call table.
 */
#ifndef METAFS_HMS_INT_H
#define METAFS_HMS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hms.h"
#include "hms_thrift.h"
#include "hms_value.h"
#include "store.h"
#include "mgr_access.h"

typedef struct hms_conn {
	mgr *m;
	const char *location_prefix;  /* the server's; no trailing '/' */
	bool allow_daemon_user;
	int64_t started_s;            /* the server's start, for aliveSince */
	bool old_style;               /* the client sends old-style message headers */
	bool has_user;                /* set_ugi named a known user */
	char user[256];
	mgr_principal who;
} hms_conn;

/* Serve one call of method NAME: read its arguments from R (the args
 * struct, to its STOP) and write the whole reply message to W.  0;
 * HMS_NOT_SERVED, having read nothing, when NAME is not served; or -errno
 * when the connection must close (malformed arguments). */
#define HMS_NOT_SERVED 1
int hms_call(hms_conn *c, hms_reader *r, hms_writer *w, const char *name, int32_t seqid);
/* ---- the call tables ------------------------------------------------------------- */

/* A catalog call: its arguments read whole (A, the args struct), its
 * caller named by set_ugi; every error is a reply (an exception). */
typedef void hms_catalog_fn(hms_conn *c, const hms_value *a, hms_writer *w, const char *name,
			    int32_t seqid);
/* A session call (fb303, set_ugi): reads its own arguments from R. */
typedef int hms_session_fn(hms_conn *c, hms_reader *r, hms_writer *w, const char *name,
			   int32_t seqid);
typedef struct hms_call_def {
	const char *name;
	hms_session_fn *session;
	hms_catalog_fn *catalog;
	int16_t meta_exc;   /* the MetaException's field: refusal before set_ugi; 0: none */
} hms_call_def;
/* Each table sorted by name (strcmp) and ended by {NULL}; hms_call()
 * searches them in turn.  Databases, tables and the session: hms_calls.c. */
extern const hms_call_def hms_read_calls[];
extern const hms_call_def hms_partition_calls[];   /* partition reads: hms_parts.c */
extern const hms_call_def hms_misc_calls[];   /* schema, statistics, functions, notifications: hms_misc.c */
extern const hms_call_def hms_write_calls[];   /* hms_write.c */

/* ---- shared by the call files ---------------------------------------------------- */

/* A list of names that grows; hms_names_free() it. */
typedef struct hms_names {
	char **v;
	size_t n, cap;
} hms_names;
int hms_names_add(hms_names *l, const char *s);
void hms_names_free(hms_names *l);

/* The reply header of call NAME. */
void hms_reply_begin(hms_conn *c, hms_writer *w, const char *name, int32_t seqid);
/* A whole reply holding only exception ID (MetaException,
 * NoSuchObjectException, ...: each a struct with 1: string message). */
void hms_reply_exception(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			 int16_t id, const char *msg);
void hms_write_string_list(hms_writer *w, char **v, size_t n);
/* A string map written from KEYS[i] = VALS[i]. */
void hms_write_map(hms_writer *w, char **keys, char **vals, size_t n);
/* list<FieldSchema> of N columns. */
void hms_write_field_schemas(hms_writer *w, const store_column *cols, uint32_t n);
/* Hive's name of a column type ("bigint", "decimal(10,2)", ...). */
void hms_type_name(store_type t, char *out, size_t cap);
/* The user name of UID (its number when it has none). */
void hms_user_name(uint32_t uid, char *out, size_t cap);

/* Split Hive 3's "@CATALOG#DB" form ("!" for an empty DB); a plain name
 * keeps *CAT NULL.  RAW (may be NULL) is modified in place. */
void hms_split_catalog(char *raw, const char **cat, const char **db);
/* The catalog and database a request struct REQ names: its field DB_ID
 * (maybe "@CAT#DB"), its field CAT_ID (catName; 0: none) overriding the catalog. */
void hms_request_names(const hms_value *req, int16_t db_id, int16_t cat_id, const char **cat,
		       const char **db);
/* The platform of catalog CAT: "hive", NULL or "" the first one; NULL if none. */
mgr_platform *hms_catalog_platform(hms_conn *c, const char *cat);
/* The catalog name of P ("hive" for the first platform). */
const char *hms_catalog_name(const mgr_platform *p);

/* Look up CAT/DB.TBL for C's user, audited as "read" with detail CALL: 0
 * with *PP and *T filled (store_table_clear it), or -ENOENT for a missing
 * table or one the user cannot see (existence is not revealed). */
int hms_table_lookup(hms_conn *c, const char *call, const char *cat, const char *db,
		     const char *tbl, mgr_platform **pp, store_table *t);
/* The whole reply of NAME answering database CAT/DB (hms_calls.c). */
void hms_reply_database(hms_conn *c, hms_writer *w, const char *name, int32_t seqid,
			const char *cat, const char *db);
/* The names of the tables of DB in P matching Hive PATTERN (NULL: all),
 * whoever may see them: 0 or -errno (-ENOENT: no such database). */
int hms_table_names(mgr_platform *p, const char *db, const char *pattern, hms_names *out);
/* hms_table_lookup for call NAME, answering a missing or unseen table with
 * exception EXC_ID ("DB.TBL table not found") itself: 0, or -ENOENT when
 * the reply is written. */
int hms_table_get(hms_conn *c, hms_writer *w, const char *name, int32_t seqid, int16_t exc_id,
		  const char *cat, const char *db, const char *tbl, mgr_platform **pp, store_table *t);
/* The Table struct of T (a struct value, without its field header). */
int hms_write_table(hms_conn *c, hms_writer *w, mgr_platform *p, const store_table *t);
/* The StorageDescriptor of T with LOCATION (a struct value, without its
 * field header): one writer for a table's and each of its partitions'. */
void hms_write_sd(hms_writer *w, const store_table *t, const char *location);
/* Split Hive partition name NAME ("k1=v1/k2=v2", each value escaped as
 * Hive's FileUtils.escapePathName does) into T's raw values, all of its
 * keys in order (a key may be named in any case).  0 or -EINVAL. */
int hms_part_name_parse(const store_table *t, const char *name, char vals[][STORE_NAME_MAX + 1]);
/* The Partition struct (a struct value, without its field header) of T's
 * leaf partition PN whose raw values are VALS (T->npartkeys of them):
 * values, names, times, the StorageDescriptor with the partition's
 * location, its statistics as parameters, catName.  0 or -errno. */
int hms_write_partition(hms_conn *c, hms_writer *w, const mgr_platform *p, const store_table *t,
			char vals[][STORE_NAME_MAX + 1], const store_pnode *pn);

/* Write an exception reply TApplicationException(TYPE, MESSAGE). */
void hms_write_app_exception(hms_writer *w, bool old_style, const char *name, int32_t seqid,
			     int type, const char *message);

#endif
