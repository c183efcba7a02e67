/*
 * test_store_env.c - opening environments, transactions across threads and
 * processes, durability and error codes.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "base_path.h"
#include "store.h"
#include "store_fixture.h"

static void create_db(store_env *env, const char *name, uint64_t *id)
{
	store_database d;
	store_txn *txn;

	assert_int_equal(store_write_begin(env, &txn), 0);
	assert_int_equal(store_database_create(txn, name, 0, 0, STORE_ORIGIN_TOOL, &d), 0);
	assert_int_equal(store_commit(txn), 0);
	if (id)
		*id = d.id;
}

static int db_get(store_env *env, const char *name, store_database *d)
{
	store_txn *txn;
	int rc;

	assert_int_equal(store_read_begin(env, &txn), 0);
	rc = store_database_get(txn, name, d);
	assert_int_equal(store_commit(txn), 0);
	return rc;
}

static void test_reopen_keeps_ids_and_data(void **state)
{
	struct fixture *f = *state;
	store_database d;
	uint64_t a, b, seq;
	store_txn *txn;

	create_db(f->env, "sales", &a);
	store_close(f->env);
	f->env = NULL;
	assert_int_equal(store_open(f->dir, NULL, &f->env), 0);
	assert_int_equal(db_get(f->env, "sales", &d), 0);
	assert_int_equal(d.id, a);
	create_db(f->env, "lake", &b);
	assert_true(b > a);
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_event_head(txn, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(store_commit(txn), 0);
}

/* An environment written before the "cursors" sub-database existed. */
static void test_open_adds_cursors_to_an_older_environment(void **state)
{
	struct fixture *f = *state;
	store_options ro = { .read_only = true };
	MDB_env *mdb;
	MDB_txn *mt;
	MDB_dbi dbi;
	store_txn *txn;
	uint64_t seq = 9;

	create_db(f->env, "sales", NULL);
	store_close(f->env);
	f->env = NULL;
	assert_int_equal(mdb_env_create(&mdb), 0);
	assert_int_equal(mdb_env_set_maxdbs(mdb, 16), 0);
	assert_int_equal(mdb_env_open(mdb, f->dir, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(mdb, NULL, 0, &mt), 0);
	assert_int_equal(mdb_dbi_open(mt, "cursors", 0, &dbi), 0);
	assert_int_equal(mdb_drop(mt, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(mt), 0);
	mdb_env_close(mdb);

	/* Read-only: no cursors, every cursor reads 0. */
	assert_int_equal(store_open(f->dir, &ro, &f->env), 0);
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_cursor_get(txn, "r1", &seq), 0);
	assert_int_equal(seq, 0);
	store_abort(txn);
	store_close(f->env);
	/* Read-write: created on open. */
	assert_int_equal(store_open(f->dir, NULL, &f->env), 0);
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_cursor_put(txn, "r1", 42), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_cursor_get(txn, "r1", &seq), 0);
	assert_int_equal(seq, 42);
	store_abort(txn);
}

static void test_open_reports_missing_directory(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 16];
	store_env *env = (store_env *)1;

	snprintf(path, sizeof path, "%s/nope", f->dir);
	assert_int_equal(store_open(path, NULL, &env), -ENOENT);
	assert_null(env);
}

static void test_read_only_open_refuses_writes(void **state)
{
	struct fixture *f = *state;
	store_options ro = { .read_only = true };
	store_database d;
	store_env *env;
	store_txn *txn = (store_txn *)1;

	create_db(f->env, "sales", NULL);
	assert_int_equal(store_open(f->dir, &ro, &env), 0);
	assert_int_equal(store_write_begin(env, &txn), -EROFS);
	assert_null(txn);
	assert_int_equal(db_get(env, "sales", &d), 0);
	store_close(env);
}

/* The last store message, caught by a log sink. */
static char logged[512];

static void catch_log(const char *msg)
{
	snprintf(logged, sizeof logged, "%s", msg);
}

static void test_open_refuses_other_format_version(void **state)
{
	struct fixture *f = *state;
	uint8_t two[4] = { 2, 0, 0, 0 };
	MDB_val k = { 6, "format" }, v = { 4, two };
	MDB_env *menv;
	MDB_txn *mtxn;
	MDB_dbi meta;
	store_env *env;

	store_close(f->env);
	f->env = NULL;
	assert_int_equal(mdb_env_create(&menv), 0);
	assert_int_equal(mdb_env_set_maxdbs(menv, 8), 0);
	assert_int_equal(mdb_env_open(menv, f->dir, 0, 0644), 0);
	assert_int_equal(mdb_txn_begin(menv, NULL, 0, &mtxn), 0);
	assert_int_equal(mdb_dbi_open(mtxn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(mtxn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(mtxn), 0);
	mdb_env_close(menv);

	/* The refusal's reason goes to the log sink the daemon sets (its own
	 * log), not to stderr. */
	logged[0] = '\0';
	store_log_set_sink(catch_log);
	assert_int_equal(store_open(f->dir, NULL, &env), -EPROTO);
	store_log_set_sink(NULL);
	assert_non_null(strstr(logged, "has format version 2"));
	assert_non_null(strstr(store_strerror(-EPROTO), "format"));
}

static void test_map_full_is_enospc(void **state)
{
	struct fixture *f = *state;
	store_options small = { .map_size = 1 << 20 };
	char name[32], dir[PATH_MAX + 16];
	store_env *env;
	store_txn *txn;
	int rc = 0, i;

	snprintf(dir, sizeof dir, "%s/small", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_open(dir, &small, &env), 0);
	assert_int_equal(store_write_begin(env, &txn), 0);
	for (i = 0; i < 100000 && rc == 0; i++) {
		snprintf(name, sizeof name, "database-%06d", i);
		rc = store_database_create(txn, name, 0, 0, STORE_ORIGIN_TOOL, NULL);
	}
	assert_int_equal(rc, -ENOSPC);
	store_abort(txn);
	/* nothing of the failed transaction, and the environment still works */
	assert_int_equal(store_write_begin(env, &txn), 0);
	assert_int_equal(store_database_create(txn, "small", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(store_commit(txn), 0);
	store_close(env);
}

static void test_read_begin_reuses_the_thread_reader(void **state)
{
	struct fixture *f = *state;
	store_txn *a, *b, *c;
	store_database d;

	create_db(f->env, "x", NULL);
	assert_int_equal(store_read_begin(f->env, &a), 0);
	/* a second snapshot while the first is open: nested, private */
	assert_int_equal(store_read_begin(f->env, &b), 0);
	assert_ptr_not_equal(a, b);
	assert_int_equal(store_database_get(a, "x", &d), 0);
	assert_int_equal(store_database_get(b, "x", &d), 0);
	assert_int_equal(store_commit(b), 0);
	assert_int_equal(store_commit(a), 0);
	assert_int_equal(store_read_begin(f->env, &c), 0);
	assert_ptr_equal(c, a);
	store_abort(c);
}

struct reader_arg {
	store_env *env;
	int rounds;
	int found;
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;
	store_database d;
	store_txn *txn;

	for (int i = 0; i < a->rounds; i++) {
		if (store_read_begin(a->env, &txn) != 0)
			return NULL;
		if (store_database_get(txn, "base", &d) == 0)
			a->found++;
		store_commit(txn);
	}
	return NULL;
}

static void test_readers_in_many_threads_while_writing(void **state)
{
	struct fixture *f = *state;
	struct reader_arg args[8];
	pthread_t th[8];
	char name[32];

	create_db(f->env, "base", NULL);
	for (int i = 0; i < 8; i++) {
		args[i] = (struct reader_arg){ f->env, 300, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &args[i]), 0);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "w%d", i);
		create_db(f->env, name, NULL);
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].found, 300);
	}
}

/* A thread that read through the environment outlives it. */
struct idle_arg {
	store_env *env;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;
};

static void *idle_thread(void *p)
{
	struct idle_arg *a = p;
	store_txn *txn;

	if (store_read_begin(a->env, &txn) == 0)
		store_commit(txn);
	pthread_mutex_lock(&a->lock);
	a->stage = 1;
	pthread_cond_broadcast(&a->cond);
	while (a->stage != 2)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void test_close_ends_readers_of_live_threads(void **state)
{
	struct fixture *f = *state;
	struct idle_arg a = { f->env, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, idle_thread, &a), 0);
	pthread_mutex_lock(&a.lock);
	while (a.stage != 1)
		pthread_cond_wait(&a.cond, &a.lock);
	pthread_mutex_unlock(&a.lock);
	store_close(f->env);
	assert_int_equal(store_open(f->dir, NULL, &f->env), 0);
	pthread_mutex_lock(&a.lock);
	a.stage = 2;
	pthread_cond_broadcast(&a.cond);
	pthread_mutex_unlock(&a.lock);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/* The metafs command line writes while the daemon has the store open. */
static void test_second_process_writes_while_open(void **state)
{
	struct fixture *f = *state;
	store_database d;
	uint64_t mine, theirs;
	pid_t pid;
	int status;

	create_db(f->env, "daemon", &mine);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store_env *env;
		store_txn *txn;
		int ok;

		ok = store_open(f->dir, NULL, &env) == 0 && store_write_begin(env, &txn) == 0 &&
		     store_database_create(txn, "cli", 0, 0, STORE_ORIGIN_TOOL, NULL) == 0 &&
		     store_commit(txn) == 0;
		store_close(env);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(db_get(f->env, "cli", &d), 0);
	theirs = d.id;
	assert_true(theirs > mine);
	create_db(f->env, "after", &mine);
	assert_true(mine > theirs);
}

/* A commit that returned survives the process being killed outright. */
static void test_commit_survives_kill(void **state)
{
	struct fixture *f = *state;
	store_database d;
	int pipefd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		store_env *env;
		store_txn *txn;

		close(pipefd[0]);
		if (store_open(f->dir, NULL, &env) == 0 && store_write_begin(env, &txn) == 0 &&
		    store_database_create(txn, "durable", 0, 0, STORE_ORIGIN_TOOL, NULL) == 0 &&
		    store_commit(txn) == 0 && store_write_begin(env, &txn) == 0 &&
		    store_database_create(txn, "unfinished", 0, 0, STORE_ORIGIN_TOOL, NULL) == 0)
			(void)!write(pipefd[1], "k", 1);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* the writer lock of the dead process is released */
	assert_int_equal(db_get(f->env, "durable", &d), 0);
	assert_int_equal(db_get(f->env, "unfinished", &d), -ENOENT);
	create_db(f->env, "later", NULL);
}

static void test_strerror_names_store_codes(void **state)
{
	(void)state;
	assert_string_equal(store_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(store_strerror(-ENOSPC), strerror(ENOSPC));
	assert_string_equal(store_strerror(ENOTEMPTY), strerror(ENOTEMPTY));
	assert_string_equal(store_strerror(MDB_MAP_FULL), mdb_strerror(MDB_MAP_FULL));
	assert_non_null(store_strerror(0));
}

static void test_now_ns_is_wall_clock(void **state)
{
	int64_t a, b;
	time_t t = time(NULL);

	(void)state;
	a = store_now_ns();
	b = store_now_ns();
	assert_true(b >= a);
	assert_true(a / 1000000000 >= t - 1 && a / 1000000000 <= t + 1);
}

struct observed {
	store_env *env;
	unsigned calls;
	bool could_write;         /* a write txn could begin inside the observer */
};

static void observe(store_env *env, void *arg)
{
	struct observed *o = arg;
	store_txn *txn = NULL;

	o->env = env;
	o->calls++;
	/* LMDB's writer lock is released before the observer runs. */
	if (store_write_begin(env, &txn) == 0) {
		o->could_write = true;
		store_abort(txn);
	}
}

static void test_commit_observer_sees_each_write_commit(void **state)
{
	struct fixture *f = *state;
	struct observed o = { 0 };
	store_txn *txn;

	store_env_set_commit_observer(f->env, observe, &o);
	create_db(f->env, "a", NULL);
	create_db(f->env, "b", NULL);
	assert_int_equal(o.calls, 2);
	assert_ptr_equal(o.env, f->env);
	assert_true(o.could_write);
	/* A committed write txn that changed nothing is still a commit. */
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(o.calls, 3);
	store_env_set_commit_observer(f->env, NULL, NULL);
	create_db(f->env, "c", NULL);
	assert_int_equal(o.calls, 3);
}

static void test_commit_observer_ignores_reads_aborts_and_failures(void **state)
{
	struct fixture *f = *state;
	struct observed o = { 0 };
	store_database d;
	store_txn *txn;

	create_db(f->env, "sales", NULL);
	store_env_set_commit_observer(f->env, observe, &o);
	assert_int_equal(db_get(f->env, "sales", &d), 0);
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_database_create(txn, "x", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	store_abort(txn);
	/* A failed operation aborted by its caller commits nothing either. */
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_TOOL, NULL), -EEXIST);
	store_abort(txn);
	assert_int_equal(o.calls, 0);
	assert_int_equal(db_get(f->env, "x", &d), -ENOENT);
}

static void test_commit_observer_is_per_environment(void **state)
{
	struct fixture *f = *state;
	struct observed o = { 0 };
	char dir[PATH_MAX];
	store_env *other;

	assert_int_equal(base_path_format(dir, sizeof dir, "%s/other", f->dir), 0);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(store_open(dir, NULL, &other), 0);
	store_env_set_commit_observer(other, observe, &o);
	create_db(f->env, "mine", NULL);
	assert_int_equal(o.calls, 0);
	create_db(other, "theirs", NULL);
	assert_int_equal(o.calls, 1);
	assert_ptr_equal(o.env, other);
	store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_reopen_keeps_ids_and_data),
		TEST(test_open_adds_cursors_to_an_older_environment),
		TEST(test_open_reports_missing_directory),
		TEST(test_read_only_open_refuses_writes),
		TEST(test_open_refuses_other_format_version),
		TEST(test_map_full_is_enospc),
		TEST(test_read_begin_reuses_the_thread_reader),
		TEST(test_readers_in_many_threads_while_writing),
		TEST(test_close_ends_readers_of_live_threads),
		TEST(test_second_process_writes_while_open),
		TEST(test_commit_survives_kill),
		TEST(test_strerror_names_store_codes),
		TEST(test_now_ns_is_wall_clock),
		TEST(test_commit_observer_sees_each_write_commit),
		TEST(test_commit_observer_ignores_reads_aborts_and_failures),
		TEST(test_commit_observer_is_per_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
