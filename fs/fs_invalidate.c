/*
 * fs_invalidate.c - keep the kernel's caches true to the metastore.
 *
 * The kernel caches entries, attributes and listings for a long time
 * (entry_timeout), which is what makes `ls` and `stat` fast.  Changes made
 * through the mount need nothing: the kernel saw them.  Changes made any
 * other way (a job or sync inside the daemon, `metafs repair` in another
 * process) reach the change log like every other change.  The manager's
 * change-log follower (mgr_daemon.c) reads every platform's log and hands
 * each event to its subscribers; this file is one: for every event whose
 * origin is not the mount, it tells the kernel to forget the affected entry
 * and the parent's cached listing.  The follower calls it on its own
 * thread, never from a request handler, where the notifications could
 * deadlock against the kernel.
 */
#include "fs_int.h"

#include <string.h>

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

static void invalidate_event(void *arg, mgr_platform *p, const store_event *ev)
{
	(void)arg;
	if (ev->origin == STORE_ORIGIN_FS)
		return;
	unsigned depth = 1;
	for (const char *s = ev->path; *s; s++)
		depth += *s == '/';
	const char *name = strrchr(ev->path, '/');
	name = name ? name + 1 : ev->path;
	fuse_ino_t parent = event_parent(p, ev, depth);
	if (parent)
		invalidate_entry(parent, name);
	if (ev->kind == STORE_KIND_FILE && ev->op != STORE_OP_CREATE)
		fuse_lowlevel_notify_inval_inode(fs_state.se, fs_ino_of(p, FS_KIND_FILE, ev->object_id),
						 0, 0);
}

static const mgr_follower_ops invalidator = {.event = invalidate_event};

int fs_invalidator_start(void)
{
	int rc = mgr_follow(fs_state.m, &invalidator, NULL);
	fs_state.invalidator_subscribed = rc == 0;
	return rc;
}

void fs_invalidator_stop(void)
{
	if (!fs_state.invalidator_subscribed)
		return;
	mgr_unfollow(fs_state.m, &invalidator, NULL);
	fs_state.invalidator_subscribed = false;
}
