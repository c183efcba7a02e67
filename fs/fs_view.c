/*
 * fs_view.c - the `.refresh` node of a mirrored table, and the read-only
 * view of a mirror's source partitions.
 *
 * A mirrored table (in the target platform) lists no partitions unless its
 * rule mirrors them, yet the paths its `.refresh` returns
 * (TARGET/db/table/key=value/...) must be readable: such a name is looked up
 * in the source metastore, through the manager, and served as a read-only
 * "view" node whose files are read from the source's data store.  A view has
 * inode numbers of its own (never the source's: a directory must not have two
 * parents), built from the target platform, the source platform and the
 * source object's id.  Once loaded, a view of a partition or a file is that
 * partition or file (with view_target set) and has the catalog's rows; only
 * `.refresh` keeps the view's row.
 *
 * Inode ids (fs_int.h's scheme):
 *   FS_KIND_VIEW  id = sub << 52 | source platform + 1 << 48 | object id
 */
#include "fs_int.h"
#include "mgr_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { VIEW_SUB_REFRESH = 1, VIEW_SUB_REFRESH_SINCE = 2, VIEW_SUB_PNODE = 3, VIEW_SUB_FILE = 4 };
#define VIEW_OBJECT_MASK ((UINT64_C(1) << 48) - 1)

static uint64_t view_id(unsigned sub, unsigned src_plus1, uint64_t object)
{
	return ((uint64_t)sub << 52) | ((uint64_t)src_plus1 << 48) | (object & VIEW_OBJECT_MASK);
}
static unsigned view_sub(uint64_t id) { return (unsigned)(id >> 52) & 0xf; }
static unsigned view_src(uint64_t id) { return (unsigned)(id >> 48) & 0xf; }
static uint64_t view_object(uint64_t id) { return id & VIEW_OBJECT_MASK; }

/* `.refresh@N` needs N in its inode: the pairs (table, N) looked up lately
 * get a slot each, in a small ring (a slot reused while the kernel still
 * holds its inode makes that inode answer ENOENT: read it again by name). */
#define SINCE_SLOTS 1024
static struct {
	pthread_mutex_t lock;
	uint64_t table[SINCE_SLOTS], since[SINCE_SLOTS];
	unsigned next;
} since_ring = {PTHREAD_MUTEX_INITIALIZER, {0}, {0}, 0};

static unsigned since_slot(uint64_t table, uint64_t since)
{
	pthread_mutex_lock(&since_ring.lock);
	unsigned slot = SINCE_SLOTS;
	for (unsigned i = 0; i < SINCE_SLOTS; i++)
		if (since_ring.table[i] == table && since_ring.since[i] == since)
			slot = i;
	if (slot == SINCE_SLOTS) {
		slot = since_ring.next;
		since_ring.next = (since_ring.next + 1) % SINCE_SLOTS;
		since_ring.table[slot] = table;
		since_ring.since[slot] = since;
	}
	pthread_mutex_unlock(&since_ring.lock);
	return slot;
}

static bool since_get(unsigned slot, uint64_t *table, uint64_t *since)
{
	if (slot >= SINCE_SLOTS)
		return false;
	pthread_mutex_lock(&since_ring.lock);
	*table = since_ring.table[slot];
	*since = since_ring.since[slot];
	pthread_mutex_unlock(&since_ring.lock);
	return *table != 0;
}

fuse_ino_t fs_view_ino(const fs_node *dir, fs_kind kind, uint64_t id)
{
	if (!dir->view_target)
		return fs_ino_of(dir->p, kind, id);
	return fs_ino_make(dir->view_target, FS_KIND_VIEW,
			   view_id(kind == FS_KIND_PNODE ? VIEW_SUB_PNODE : VIEW_SUB_FILE, dir->p->index + 1, id));
}


/* Load a view node: its object from the source platform. */
static int load_view(fs_node *n, unsigned target_plus1)
{
	unsigned sub = view_sub(n->id);
	mgr_platform *target = mgr_platform_at(fs_state.m, target_plus1 - 1);
	if (!target)
		return -ENOENT;
	if (sub == VIEW_SUB_REFRESH || sub == VIEW_SUB_REFRESH_SINCE) {
		uint64_t table = view_object(n->id), since = 0;
		if (sub == VIEW_SUB_REFRESH_SINCE && !since_get((unsigned)table, &table, &since))
			return -ENOENT;
		fs_node t;
		int rc = fs_node_load(fs_ino_of(target, FS_KIND_TABLE, table), &t);
		if (rc)
			return rc;
		n->p = target;
		n->table = t.table;   /* the node owns it now */
		n->have_table = true;
		n->since = since;
		n->view_sub = sub;
		return 0;
	}
	mgr_platform *src = mgr_platform_at(fs_state.m, view_src(n->id) - 1);
	if (!src || (sub != VIEW_SUB_PNODE && sub != VIEW_SUB_FILE))
		return -ENOENT;
	fs_node s;
	int rc = fs_node_load(fs_ino_of(src, sub == VIEW_SUB_PNODE ? FS_KIND_PNODE : FS_KIND_FILE,
					view_object(n->id)), &s);
	if (rc)
		return rc;
	fuse_ino_t ino = n->ino;
	*n = s;   /* the source's partition or file, seen from the target's tree */
	n->ino = ino;
	n->view_sub = sub;
	n->view_target = target_plus1;
	return 0;
}

static int view_load(fs_node *n)
{
	return load_view(n, fs_ino_plat(n->ino));
}

/* .refresh: its size is that of the list a stat renders, which the open
 * that follows serves (fs_snapshot.c); read with direct_io. */
static void view_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)n->size;
	st->st_nlink = 1;
}

static int view_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	(void)who;
	int rc = mgr_refresh(fs_state.m, n->p, &n->table, n->since, out);
	*len = out->len;
	return rc;
}

/* Lookup in a mirrored table (PARENT, in the target platform) of a name the
 * target does not have: `.refresh`, `.refresh@N`, or a partition of the
 * source. */
int fs_view_lookup(fs_node *parent, const char *name, fs_node *child)
{
	if (!mgr_is_mirror(fs_state.m, parent->p, &parent->table))
		return -ENOENT;
	unsigned target = parent->p->index + 1;
	if (!strcmp(name, ".refresh"))
		return fs_node_load(fs_ino_make(target, FS_KIND_VIEW,
						view_id(VIEW_SUB_REFRESH, 0, parent->table.id)), child);
	if (!strncmp(name, ".refresh@", 9)) {
		char *end;
		unsigned long long since = strtoull(name + 9, &end, 10);
		if (*end || name[9] == '\0')
			return -ENOENT;
		unsigned slot = since_slot(parent->table.id, since);
		return fs_node_load(fs_ino_make(target, FS_KIND_VIEW, view_id(VIEW_SUB_REFRESH_SINCE, 0, slot)),
				    child);
	}
	/* A partition of the source table: look it up there, as a view. */
	fs_node src;
	memset(&src, 0, sizeof src);
	mgr_platform *sp;
	store_table st = {0};
	if (mgr_mirror_source(fs_state.m, parent->p, &parent->table, &sp, &st))
		return -ENOENT;
	src.kind = FS_KIND_TABLE;
	src.p = sp;
	src.table = st;
	src.have_table = true;
	src.view_target = target;
	int rc = fs_node_lookup(&src, name, child);
	fs_node_clear(&src);
	return rc;
}

static int view_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	if (writing)
		return -EROFS;
	h->type = FS_HANDLE_TEXT;
	return mgr_refresh(fs_state.m, n->p, &n->table, n->since, &h->text);
}


static int view_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	return fs_check_access_file(who, n, mask, false);
}

const struct fs_kind_ops fs_view_ops = {
	.name = "view",
	.in_platform = true,
	.flags = FS_NODE_UNCACHED,
	.load = view_load,
	.attr = view_attr,
	.snapshot = view_snapshot,
	.open = view_open,
	.create = fs_create_refused,   /* as beside a job file */
	.check_access = view_check_access,
};
