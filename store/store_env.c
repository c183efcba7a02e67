/*
 * store_env.c - the LMDB environment, transactions and error codes.
 *
 * Readers.  LMDB gives every read transaction a slot in a reader table that
 * lives in the lock file and is shared by all processes using the
 * environment.  Beginning a read transaction claims a slot (a mutex and a
 * scan of the table) and mallocs the txn; renewing a reset one only stores
 * the current snapshot into the slot it already holds.  The file system asks
 * for a snapshot on every lookup and getattr, so each thread keeps one reset
 * read transaction per environment, found through a pthread key, and
 * store_read_begin renews it.  MDB_NOTLS makes the slot belong to the txn
 * rather than to the thread, which is what allows a thread that already
 * holds its snapshot to open a second, private one (nested reads, or a read
 * alongside a write), and allows store_close to end a reader from another
 * thread.
 *
 * The readers of all threads are also linked into the environment so that
 * store_close can abort them: a thread that is still alive when the
 * environment closes would otherwise keep a txn pointing into a closed map.
 * After store_close deletes the key, those threads' stale key values are
 * unreachable and their destructors do not run.
 *
 * Commit observer.  sql/ and sync/ commit straight to the store, below the
 * manager, so the manager cannot wrap their commits; instead each
 * environment carries one observer that store_commit calls after every
 * write transaction it committed.  That gives the manager one place that
 * sees every in-process commit (counting, waking the change-log follower),
 * without the store knowing what is done there.
 *
 * Durability.  No MDB_NOSYNC or MDB_NOMETASYNC: a store_commit that returned
 * 0 survives kill -9 and power loss.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#include "base_crash.h"
#include "base_fs.h"

#define STORE_DEFAULT_MAP_SIZE ((size_t)64 << 30)

static store_log_sink log_sink;

void store_log_set_sink(store_log_sink fn)
{
	__atomic_store_n(&log_sink, fn, __ATOMIC_RELEASE);
}

void store_log(const char *fmt, ...)
{
	store_log_sink fn = __atomic_load_n(&log_sink, __ATOMIC_ACQUIRE);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (fn)
		fn(msg);
	else
		fprintf(stderr, "metafs: store: %s\n", msg);
}

int store_mdb_error(int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
		return -ENOSPC;
	default:
		break;
	}
	/* LMDB passes system errors through as positive errno values. */
	if (rc > 0)
		return -rc;
	store_log("%s: %s", what, mdb_strerror(rc));
	return -EIO;
}

const char *store_strerror(int err)
{
	if (err == 0)
		return "Success";
	/* LMDB's own codes, should one ever escape unmapped. */
	if (err >= MDB_KEYEXIST && err <= MDB_LAST_ERRCODE)
		return mdb_strerror(err);
	if (err < 0)
		err = -err;
	/* The one errno the store gives a meaning of its own. */
	if (err == EPROTO)
		return "Unsupported metastore format version";
	return strerror(err);
}

int64_t store_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- environment ---------------------------------------------------------- */

static void reader_unlink(store_env *env, struct store_reader *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		env->readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

/* pthread key destructor: the thread is exiting. */
static void reader_destroy(void *arg)
{
	struct store_reader *r = arg;
	store_env *env = r->env;

	pthread_mutex_lock(&env->readers_lock);
	reader_unlink(env, r);
	pthread_mutex_unlock(&env->readers_lock);
	mdb_txn_abort(r->txn.mdb);
	free(r);
}

static int meta_get_u32(MDB_txn *txn, MDB_dbi dbi, const char *name, uint32_t *out)
{
	MDB_val k = { strlen(name), (void *)name }, v;
	const uint8_t *p;
	int rc;

	rc = mdb_get(txn, dbi, &k, &v);
	if (rc != 0)
		return store_mdb_error(rc, "mdb_get meta");
	if (v.mv_size != 4)
		return -EIO;
	p = v.mv_data;
	*out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return 0;
}

/* A fresh environment gets its format version and id counter, in the same
 * write txn that creates the sub-databases, so a half-initialised
 * environment never exists. */
static int meta_init(MDB_txn *txn, MDB_dbi dbi)
{
	uint8_t fmt[4] = { STORE_FORMAT_VERSION & 0xff, (STORE_FORMAT_VERSION >> 8) & 0xff,
			   (STORE_FORMAT_VERSION >> 16) & 0xff, (STORE_FORMAT_VERSION >> 24) & 0xff };
	uint8_t next[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };   /* u64 LE: ids start at 1 */
	MDB_val k = { 6, "format" }, v = { sizeof fmt, fmt };
	int rc;

	rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
	if (rc != 0)
		return store_mdb_error(rc, "mdb_put meta format");
	k = (MDB_val){ 7, "next_id" };
	v = (MDB_val){ sizeof next, next };
	rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
	return store_mdb_error(rc, "mdb_put meta next_id");
}

/* Open the sub-databases NAMES that came after format 1 (created on a
 * read-write open).  On a read-only open of an environment written before
 * them, *HAVE stays false and 0 is returned; else *HAVE is set. */
static int open_later_dbs(store_env *env, MDB_txn *txn, const char *const *names, MDB_dbi **dbis,
			  size_t n, bool *have)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = mdb_dbi_open(txn, names[i], env->read_only ? 0 : MDB_CREATE, dbis[i]);
	if (rc == MDB_NOTFOUND && env->read_only)
		return 0;
	if (rc != 0)
		return store_mdb_error(rc, "mdb_dbi_open");
	*have = true;
	return 0;
}

static int env_open_dbs(store_env *env, const char *dir)
{
	static const char *const names[] = {
		"meta", "databases", "tables", "pnodes", "files", "events", "ids",
	};
	MDB_dbi *dbis[] = {
		&env->meta, &env->databases, &env->tables, &env->pnodes,
		&env->files, &env->events, &env->ids,
	};
	unsigned flags = env->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn = NULL;
	uint32_t format = 0;
	int rc;

	rc = mdb_txn_begin(env->mdb, NULL, env->read_only ? MDB_RDONLY : 0, &txn);
	if (rc != 0) {
		rc = store_mdb_error(rc, "mdb_txn_begin");
		goto out;
	}
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		rc = mdb_dbi_open(txn, names[i], flags, dbis[i]);
		if (rc != 0) {
			rc = store_mdb_error(rc, "mdb_dbi_open");
			goto out;
		}
	}
	/* "cursors" came after format 1 was fixed: an environment written
	 * before it gains it on the next read-write open; a read-only open of
	 * such an environment simply has no cursors (every cursor reads 0). */
	static const char *const cursor_names[] = { "cursors" };
	MDB_dbi *cursor_dbis[] = { &env->cursors };
	rc = open_later_dbs(env, txn, cursor_names, cursor_dbis, 1, &env->have_cursors);
	if (rc != 0)
		goto out;
	/* Likewise the access-control sub-databases (roles, members, grants). */
	static const char *const acl_names[] = { "roles", "members", "grants" };
	MDB_dbi *acl_dbis[] = { &env->roles, &env->members, &env->grants };
	rc = open_later_dbs(env, txn, acl_names, acl_dbis, 3, &env->have_acl);
	if (rc != 0)
		goto out;
	/* And the intents of data files being moved into place. */
	static const char *const intent_names[] = { "intents" };
	MDB_dbi *intent_dbis[] = { &env->intents };
	rc = open_later_dbs(env, txn, intent_names, intent_dbis, 1, &env->have_intents);
	if (rc != 0)
		goto out;
	/* And the views. */
	static const char *const view_names[] = { "views" };
	MDB_dbi *view_dbis[] = { &env->views };
	rc = open_later_dbs(env, txn, view_names, view_dbis, 1, &env->have_views);
	if (rc != 0)
		goto out;
	rc = meta_get_u32(txn, env->meta, "format", &format);
	if (rc == -ENOENT && !env->read_only) {
		rc = meta_init(txn, env->meta);
		format = STORE_FORMAT_VERSION;
	}
	if (rc != 0)
		goto out;
	if (format != STORE_FORMAT_VERSION) {
		store_log("metastore '%s' has format version %u, this build reads %u", dir,
			  (unsigned)format, (unsigned)STORE_FORMAT_VERSION);
		rc = -EPROTO;
		goto out;
	}
	/* Committing (even a read-only txn) keeps the dbi handles for the env. */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	rc = store_mdb_error(rc, "mdb_txn_commit");
out:
	if (txn)
		mdb_txn_abort(txn);
	return rc;
}

int store_open(const char *dir, const store_options *opts, store_env **out)
{
	store_options o = { 0 };
	store_env *env = NULL;
	bool key_made = false;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (dir == NULL)
		return -EINVAL;
	if (opts)
		o = *opts;
	env = calloc(1, sizeof *env);
	if (env == NULL)
		return -ENOMEM;
	env->read_only = o.read_only;
	rc = mdb_env_create(&env->mdb);
	if (rc != 0) {
		env->mdb = NULL;
		rc = store_mdb_error(rc, "mdb_env_create");
		goto out;
	}
	rc = mdb_env_set_maxdbs(env->mdb, 16);
	if (rc == 0)
		rc = mdb_env_set_mapsize(env->mdb, o.map_size ? o.map_size : STORE_DEFAULT_MAP_SIZE);
	if (rc == 0 && o.max_readers)
		rc = mdb_env_set_maxreaders(env->mdb, o.max_readers);
	if (rc == 0)
		rc = mdb_env_open(env->mdb, dir, MDB_NOTLS | (o.read_only ? MDB_RDONLY : 0), BASE_MODE_FILE);
	if (rc != 0) {
		rc = store_mdb_error(rc, "mdb_env_open");
		goto out;
	}
	/* Table keys ("db" NUL "table") reach 511 bytes: an LMDB built with a
	 * smaller key limit could not store every valid name. */
	if (mdb_env_get_maxkeysize(env->mdb) < STORE_KEY_MAX) {
		store_log("liblmdb key size limit %d is below %d", mdb_env_get_maxkeysize(env->mdb),
			  STORE_KEY_MAX);
		rc = -ENOTSUP;
		goto out;
	}
	rc = env_open_dbs(env, dir);
	if (rc != 0)
		goto out;
	rc = -pthread_key_create(&env->reader_key, reader_destroy);
	if (rc != 0)
		goto out;
	key_made = true;
	rc = -pthread_mutex_init(&env->readers_lock, NULL);
	if (rc != 0)
		goto out;
	*out = env;
	env = NULL;
out:
	if (env) {
		if (key_made)
			pthread_key_delete(env->reader_key);
		if (env->mdb)
			mdb_env_close(env->mdb);
		free(env);
	}
	return rc;
}

/* No other thread may use ENV while it closes; threads that used it before
 * and are still alive are fine (their readers are ended here). */
void store_close(store_env *env)
{
	struct store_reader *r, *next;

	if (env == NULL)
		return;
	pthread_mutex_lock(&env->readers_lock);
	for (r = env->readers; r; r = next) {
		next = r->next;
		mdb_txn_abort(r->txn.mdb);
		free(r);
	}
	env->readers = NULL;
	pthread_mutex_unlock(&env->readers_lock);
	pthread_key_delete(env->reader_key);
	pthread_mutex_destroy(&env->readers_lock);
	mdb_env_close(env->mdb);
	free(env);
}

/* ---- transactions ----------------------------------------------------------- */

int store_write_begin(store_env *env, store_txn **out)
{
	store_txn *txn;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (env == NULL)
		return -EINVAL;
	if (env->read_only)
		return -EROFS;
	txn = calloc(1, sizeof *txn);
	if (txn == NULL)
		return -ENOMEM;
	rc = mdb_txn_begin(env->mdb, NULL, 0, &txn->mdb);
	if (rc != 0) {
		free(txn);
		return store_mdb_error(rc, "mdb_txn_begin");
	}
	txn->env = env;
	txn->write = true;
	*out = txn;
	return 0;
}

/* A private read txn, for a thread whose reader is busy. */
static int read_begin_private(store_env *env, store_txn **out)
{
	store_txn *txn;
	int rc;

	txn = calloc(1, sizeof *txn);
	if (txn == NULL)
		return -ENOMEM;
	rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &txn->mdb);
	if (rc != 0) {
		free(txn);
		return store_mdb_error(rc, "mdb_txn_begin");
	}
	txn->env = env;
	*out = txn;
	return 0;
}

static int reader_create(store_env *env, struct store_reader **out)
{
	struct store_reader *r;
	int rc;

	r = calloc(1, sizeof *r);
	if (r == NULL)
		return -ENOMEM;
	rc = mdb_txn_begin(env->mdb, NULL, MDB_RDONLY, &r->txn.mdb);
	if (rc != 0) {
		free(r);
		return store_mdb_error(rc, "mdb_txn_begin");
	}
	rc = -pthread_setspecific(env->reader_key, r);
	if (rc != 0) {
		mdb_txn_abort(r->txn.mdb);
		free(r);
		return rc;
	}
	r->env = env;
	pthread_mutex_lock(&env->readers_lock);
	r->next = env->readers;
	if (r->next)
		r->next->prev = r;
	env->readers = r;
	pthread_mutex_unlock(&env->readers_lock);
	*out = r;
	return 0;
}

uint64_t store_stamp(store_env *env)
{
	MDB_envinfo info;

	if (env == NULL || mdb_env_info(env->mdb, &info) != 0)
		return 0;
	return (uint64_t)info.me_last_txnid;
}

int store_read_begin(store_env *env, store_txn **out)
{
	struct store_reader *r;
	MDB_txn *mt;
	int rc;

	if (out == NULL)
		return -EINVAL;
	*out = NULL;
	if (env == NULL)
		return -EINVAL;
	r = pthread_getspecific(env->reader_key);
	if (r && r->busy)
		return read_begin_private(env, out);
	if (r == NULL) {
		rc = reader_create(env, &r);
		if (rc != 0)
			return rc;
	} else {
		rc = mdb_txn_renew(r->txn.mdb);
		if (rc != 0)
			return store_mdb_error(rc, "mdb_txn_renew");
	}
	mt = r->txn.mdb;
	r->txn = (store_txn){ .env = env, .mdb = mt, .reader = r };
	r->busy = true;
	*out = &r->txn;
	return 0;
}

static void read_end(store_txn *txn)
{
	if (txn->reader) {
		mdb_txn_reset(txn->mdb);
		txn->reader->busy = false;
	} else {
		mdb_txn_abort(txn->mdb);
		free(txn);
	}
}

int store_commit(store_txn *txn)
{
	int rc;

	if (txn == NULL)
		return -EINVAL;
	store_txn_detach_iters(txn);
	if (!txn->write) {
		read_end(txn);
		return 0;
	}
	store_env *env = txn->env;
	base_crash_point("store.commit");
	rc = mdb_txn_commit(txn->mdb);
	free(txn);
	rc = store_mdb_error(rc, "mdb_txn_commit");
	base_crash_point("store.committed");
	if (rc == 0 && env->observer)
		env->observer(env, env->observer_arg);
	return rc;
}

void store_env_set_commit_observer(store_env *env, store_commit_observer fn, void *arg)
{
	if (env == NULL)
		return;
	env->observer = fn;
	env->observer_arg = arg;
}

void store_abort(store_txn *txn)
{
	if (txn == NULL)
		return;
	store_txn_detach_iters(txn);
	if (!txn->write) {
		read_end(txn);
		return;
	}
	mdb_txn_abort(txn->mdb);
	free(txn);
}
