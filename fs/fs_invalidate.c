/*
 * fs_invalidate.c - keep the kernel's caches true to the metastore.
 *
 * The kernel caches entries, attributes and listings for a long time
 * (entry_timeout), which is what makes `ls` and `stat` fast.  Changes made
 * through the mount need nothing: the kernel saw them.  Changes made any
 * other way (a job or sync inside the daemon, `metafs repair` in another
 * process) reach the change log like every other change, so one thread
 * follows each platform's log and, for every event whose origin is not the
 * mount, tells the kernel to forget the affected entry and the parent's
 * cached listing.  The notifications are sent from this thread, never from a
 * request handler, where they could deadlock against the kernel.
 *
 * The thread wakes when kicked (an in-process commit) and otherwise every
 * POLL_MS, which bounds how late another process's change shows.
 */
#include "fs_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define POLL_MS 200

static uint64_t last_seq[MGR_MAX_PLATFORMS];

static void invalidate_entry(fuse_ino_t parent, const char *name)
{
	fuse_lowlevel_notify_inval_entry(fs_state.se, parent, name, strlen(name));
	fuse_lowlevel_notify_inval_inode(fs_state.se, parent, 0, 0);
	__atomic_add_fetch(&fs_state.invalidations, 1, __ATOMIC_RELAXED);
}

/* The parent directory's inode of the object an event is about.  The path's
 * depth tells a partition at the first level (parent: the table) from a
 * deeper one (parent: a partition), and likewise for files. */
static fuse_ino_t event_parent(const mgr_platform *p, const store_event *ev, unsigned depth)
{
	switch (ev->kind) {
	case STORE_KIND_DATABASE:
		return fs_ino_of(p, FS_KIND_PLATFORM, 0);
	case STORE_KIND_TABLE:
		return fs_ino_of(p, FS_KIND_DATABASE, ev->parent_id);
	case STORE_KIND_PNODE:
	case STORE_KIND_FILE:
		return fs_ino_of(p, depth == 3 ? FS_KIND_TABLE : FS_KIND_PNODE, ev->parent_id);
	default:
		return 0;
	}
}

static void follow_platform(mgr_platform *p)
{
	store_txn *txn = NULL;
	store_iter *it = NULL;
	store_event ev;
	uint64_t head = 0;
	if (store_read_begin(p->store, &txn))
		return;
	if (store_event_head(txn, &head) || head <= last_seq[p->index] ||
	    store_iter_events(txn, last_seq[p->index], &it)) {
		store_abort(txn);
		return;
	}
	while (store_iter_next(it, &ev) == 0) {
		last_seq[p->index] = ev.seq;
		if (ev.origin == STORE_ORIGIN_FS)
			continue;
		unsigned depth = 1;
		for (const char *s = ev.path; *s; s++)
			depth += *s == '/';
		const char *name = strrchr(ev.path, '/');
		name = name ? name + 1 : ev.path;
		fuse_ino_t parent = event_parent(p, &ev, depth);
		if (parent)
			invalidate_entry(parent, name);
		if (ev.kind == STORE_KIND_FILE && ev.op != STORE_OP_CREATE)
			fuse_lowlevel_notify_inval_inode(fs_state.se,
							 fs_ino_of(p, FS_KIND_FILE, ev.object_id), 0, 0);
	}
	store_iter_close(it);
	store_abort(txn);
}

static void *invalidator_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&fs_state.inval_lock);
	while (!fs_state.stopping) {
		pthread_mutex_unlock(&fs_state.inval_lock);
		for (unsigned i = 0; i < mgr_platform_count(fs_state.m); i++)
			follow_platform(mgr_platform_at(fs_state.m, i));
		pthread_mutex_lock(&fs_state.inval_lock);
		if (fs_state.stopping)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&fs_state.inval_cond, &fs_state.inval_lock, &until);
	}
	pthread_mutex_unlock(&fs_state.inval_lock);
	return NULL;
}

int fs_invalidator_start(void)
{
	/* Start from the current head: what happened before the mount is not
	 * in any cache. */
	for (unsigned i = 0; i < mgr_platform_count(fs_state.m); i++) {
		mgr_platform *p = mgr_platform_at(fs_state.m, i);
		store_txn *txn = NULL;
		if (store_read_begin(p->store, &txn) == 0) {
			store_event_head(txn, &last_seq[i]);
			store_abort(txn);
		}
	}
	fs_state.stopping = false;
	int rc = pthread_create(&fs_state.invalidator, NULL, invalidator_main, NULL);
	fs_state.invalidator_running = rc == 0;
	return -rc;
}

void fs_invalidator_kick(void)
{
	pthread_mutex_lock(&fs_state.inval_lock);
	pthread_cond_signal(&fs_state.inval_cond);
	pthread_mutex_unlock(&fs_state.inval_lock);
}

void fs_invalidator_stop(void)
{
	if (!fs_state.invalidator_running)
		return;
	pthread_mutex_lock(&fs_state.inval_lock);
	fs_state.stopping = true;
	pthread_cond_signal(&fs_state.inval_cond);
	pthread_mutex_unlock(&fs_state.inval_lock);
	pthread_join(fs_state.invalidator, NULL);
	fs_state.invalidator_running = false;
}
