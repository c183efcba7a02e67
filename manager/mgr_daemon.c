/*
 * mgr_daemon.c - the daemon's threads: one start, one stop, and the
 * change-log follower.
 *
 * Life cycle.  mgr_start starts, in this order, the pipeline worker, the
 * sync scheduler, the job workers and the change-log follower; mgr_stop
 * stops them in the reverse order.  The order is that of their uses: a
 * sync run activates pipelines (mgr_pipelines_notify), a job reading a
 * mirror asks the sync rules (mgr_exchange.c), and the follower wakes the
 * scheduler; so each part is started after, and stopped before, the parts
 * it calls.  Every stop tolerates a part that never started (a start that
 * failed half-way calls mgr_stop), and mgr_stop may be called again.
 *
 * The follower.  Something must notice every change to a metastore: the
 * sync scheduler (a rule whose source moved runs at once) and the mount
 * (the kernel's caches of what changed must be dropped).  Changes made in
 * this process reach the manager's commit observer, but changes made by
 * another process (`metafs repair`) reach only the change log.  So one
 * thread follows each platform's log from where it was at start: it is
 * woken by the commit observer and otherwise looks every FOLLOW_POLL_MS,
 * which bounds how late another process's change is seen.  It hands each
 * new event to the subscribers, then tells them which logs moved.  They
 * run on this thread, never on a FUSE request's, which is what the kernel
 * notifications need (sent from a request handler they can deadlock).
 *
 * Locks.  wake_lock is a leaf (the commit observer takes it on committing
 * threads that may hold other locks); subs_lock is held while subscribers
 * run, so mgr_unfollow returns only when its subscriber is no longer
 * running.  See manager.h for the order of all the locks.
 */
#include "manager.h"
#include "mgr_int.h"
#include "mgr_job.h"
#include "mgr_pipeline.h"
#include "mgr_sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLLOW_POLL_MS 200
#define FOLLOW_MAX_SUBS 8

struct follower_sub {
	const mgr_follower_ops *ops;
	void *arg;
};

struct mgr_follower {
	mgr *m;
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
	bool woken, stopping;
	pthread_t thread;
	bool running;
	pthread_mutex_t subs_lock;
	struct follower_sub subs[FOLLOW_MAX_SUBS];
	unsigned nsubs;
	uint64_t last_seq[MGR_MAX_PLATFORMS];   /* the follower thread's alone once it runs */
};

void mgr_follower_wake(mgr *m)
{
	struct mgr_follower *f = __atomic_load_n(&m->follower, __ATOMIC_ACQUIRE);
	if (!f)
		return;
	pthread_mutex_lock(&f->wake_lock);
	f->woken = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->wake_lock);
}

int mgr_follow(mgr *m, const mgr_follower_ops *ops, void *arg)
{
	struct mgr_follower *f = __atomic_load_n(&m->follower, __ATOMIC_ACQUIRE);
	if (!f)
		return -ENOTSUP;
	int rc = 0;
	pthread_mutex_lock(&f->subs_lock);
	if (f->nsubs == FOLLOW_MAX_SUBS)
		rc = -ENOSPC;
	else
		f->subs[f->nsubs++] = (struct follower_sub){ops, arg};
	pthread_mutex_unlock(&f->subs_lock);
	return rc;
}

void mgr_unfollow(mgr *m, const mgr_follower_ops *ops, void *arg)
{
	struct mgr_follower *f = __atomic_load_n(&m->follower, __ATOMIC_ACQUIRE);
	if (!f)
		return;
	pthread_mutex_lock(&f->subs_lock);
	for (unsigned i = 0; i < f->nsubs; i++) {
		if (f->subs[i].ops != ops || f->subs[i].arg != arg)
			continue;
		memmove(&f->subs[i], &f->subs[i + 1], (f->nsubs - i - 1) * sizeof f->subs[0]);
		f->nsubs--;
		break;
	}
	pthread_mutex_unlock(&f->subs_lock);
}

/* Hand P's events after last_seq to the subscribers, then tell them P moved. */
static void follow_platform(struct mgr_follower *f, mgr_platform *p)
{
	store_txn *txn = NULL;
	store_iter *it = NULL;
	store_event ev;
	uint64_t head = 0;
	if (store_read_begin(p->store, &txn))
		return;
	if (store_event_head(txn, &head) || head <= f->last_seq[p->index] ||
	    store_iter_events(txn, f->last_seq[p->index], &it)) {
		store_abort(txn);
		return;
	}
	pthread_mutex_lock(&f->subs_lock);
	while (store_iter_next(it, &ev) == 0) {
		f->last_seq[p->index] = ev.seq;
		for (unsigned i = 0; i < f->nsubs; i++)
			if (f->subs[i].ops->event)
				f->subs[i].ops->event(f->subs[i].arg, p, &ev);
	}
	store_iter_close(it);
	store_abort(txn);
	for (unsigned i = 0; i < f->nsubs; i++)
		if (f->subs[i].ops->moved)
			f->subs[i].ops->moved(f->subs[i].arg, p);
	pthread_mutex_unlock(&f->subs_lock);
}

static void *follower_main(void *arg)
{
	struct mgr_follower *f = arg;
	pthread_mutex_lock(&f->wake_lock);
	while (!f->stopping) {
		f->woken = false;
		pthread_mutex_unlock(&f->wake_lock);
		for (unsigned i = 0; i < f->m->nplatforms; i++)
			follow_platform(f, &f->m->platforms[i]);
		pthread_mutex_lock(&f->wake_lock);
		if (f->stopping)
			break;
		if (!f->woken) {
			struct timespec until;
			mgr_deadline(&until, FOLLOW_POLL_MS);
			pthread_cond_timedwait(&f->wake, &f->wake_lock, &until);
		}
	}
	pthread_mutex_unlock(&f->wake_lock);
	return NULL;
}

/* The follower, not yet running, starting from each log's current head:
 * what happened before the daemon started is in no cache and every rule
 * compares its own cursor at its first pass. */
static int follower_create(mgr *m)
{
	struct mgr_follower *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->m = m;
	pthread_mutex_init(&f->wake_lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	pthread_mutex_init(&f->subs_lock, NULL);
	for (unsigned i = 0; i < m->nplatforms; i++) {
		store_txn *txn = NULL;
		if (store_read_begin(m->platforms[i].store, &txn) == 0) {
			store_event_head(txn, &f->last_seq[i]);
			store_abort(txn);
		}
	}
	__atomic_store_n(&m->follower, f, __ATOMIC_RELEASE);
	return 0;
}

static void follower_destroy(mgr *m)
{
	struct mgr_follower *f = m->follower;
	if (!f)
		return;
	__atomic_store_n(&m->follower, NULL, __ATOMIC_RELEASE);
	pthread_mutex_destroy(&f->wake_lock);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->subs_lock);
	free(f);
}

/* The sync scheduler is a subscriber: a moved log may give its rules work. */
static void sync_moved(void *arg, mgr_platform *p)
{
	(void)p;
	mgr_sync_kick(arg);
}

static const mgr_follower_ops sync_subscriber = {.moved = sync_moved};

int mgr_start(mgr *m, const char *mountpoint, char *err, size_t errlen)
{
	const char *what = "the change-log follower";
	int rc = m->follower ? -EALREADY : follower_create(m);
	if (rc == 0) {
		what = "the pipeline worker";
		rc = mgr_pipelines_start(m, mountpoint);
	}
	if (rc == 0) {
		what = "the sync scheduler";
		rc = mgr_sync_start(m);
	}
	if (rc == 0)
		rc = mgr_follow(m, &sync_subscriber, m);
	if (rc == 0) {
		what = "the job workers";
		rc = mgr_jobs_start(m, m->cfg.job_workers);
	}
	if (rc == 0) {
		what = "the change-log follower";
		rc = -pthread_create(&m->follower->thread, NULL, follower_main, m->follower);
		m->follower->running = rc == 0;
	}
	if (rc) {
		snprintf(err, errlen, "cannot start %s: %s", what, store_strerror(rc));
		if (rc != -EALREADY)
			mgr_stop(m);
	}
	return rc;
}

void mgr_stop(mgr *m)
{
	struct mgr_follower *f = m->follower;
	if (f && f->running) {
		pthread_mutex_lock(&f->wake_lock);
		f->stopping = true;
		pthread_cond_signal(&f->wake);
		pthread_mutex_unlock(&f->wake_lock);
		pthread_join(f->thread, NULL);
		f->running = false;
	}
	mgr_jobs_stop(m);
	mgr_sync_stop(m);
	mgr_pipelines_stop(m);
	/* Last: until the job workers are gone their commits still wake it. */
	follower_destroy(m);
}
