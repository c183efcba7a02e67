/*
 * store_int.h - private to store/: the environment and transaction structs,
 * key layout helpers and the pieces the .c files share.
 *
 * Nothing outside store/ includes this, except the unit tests, which use it
 * to check properties the public interface cannot show (how many entries a
 * listing read).
 */
#ifndef METAFS_STORE_INT_H
#define METAFS_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>

#include "store.h"

/* Version byte leading every encoded record and event. */
#define STORE_RECORD_VERSION 1
/* A file record with a set mtime (store_record.c). */
#define STORE_FILE_RECORD_VERSION_MTIME 2
/* A file record with column statistics (store_record.c). */
#define STORE_FILE_RECORD_VERSION_STATS 3
/* LMDB's compile-time key limit (MDB_MAXKEYSIZE in the default build). */
#define STORE_KEY_MAX 511
/* The longest pnode key: table id plus the partition spec. */
#define STORE_PNODE_KEY_MAX (8 + STORE_PSPEC_MAX)
#define STORE_EVENT_PATH_MAX (sizeof(((store_event *)0)->path) - 1)

struct store_reader;

struct store_env {
	MDB_env *mdb;
	MDB_dbi meta, databases, tables, pnodes, files, events, ids, cursors;
	bool read_only;
	bool have_cursors;              /* false: a read-only open of an older environment */
	MDB_dbi roles, members, grants; /* access control (store_acl.c) */
	bool have_acl;                  /* false: a read-only open of an older environment */
	MDB_dbi intents;                /* data files being moved into place (store_intent_*) */
	bool have_intents;              /* false: a read-only open of an older environment */
	MDB_dbi views;                  /* views (store_view.c) */
	bool have_views;                /* false: a read-only open of an older environment */
	/* Each thread's reusable read transaction (see store_env.c). */
	pthread_key_t reader_key;
	pthread_mutex_t readers_lock;
	struct store_reader *readers;   /* all of them, so store_close can end them */
	store_commit_observer observer; /* see store_env_set_commit_observer */
	void *observer_arg;
};

struct store_txn {
	store_env *env;
	MDB_txn *mdb;
	bool write;
	struct store_reader *reader;    /* the thread reader this txn borrows, or NULL */
	store_iter *iters;              /* open iterators, detached when the txn ends */
	/* Counters read once per write txn, then kept here (written through). */
	bool have_next_id, have_last_seq;
	uint64_t next_id, last_seq;
};

struct store_reader {
	store_env *env;
	store_txn txn;                  /* txn.mdb stays allocated; reset between uses */
	bool busy;
	struct store_reader *prev, *next;
};

/* Map an LMDB (or errno) return code to 0 or a negative errno; codes that
 * have no errno meaning are logged with WHAT and become -EIO. */
int store_mdb_error(int rc, const char *what);

/* A message of the store, to the sink set by store_log_set_sink. */
void store_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called by store_commit/store_abort: closes the cursors of TXN's open
 * iterators, which stay allocated until store_iter_close. */
void store_txn_detach_iters(store_txn *txn);

/* Views (store_view.c) for the table and database functions: whether
 * DB.NAME is a view (0, or -ENOENT), and dropping every view of DB. */
int store_view_exists(store_txn *txn, const char *db, const char *name);
int store_views_drop_database(store_txn *txn, const char *db);

/* Number of entries the iterator's cursor has landed on so far. */
uint64_t store_iter_reads(const store_iter *it);

static inline void store_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t store_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

#endif
