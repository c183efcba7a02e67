/*
 * fs_sync.c - the sync/ tree (rules and their state), the `.refresh` node of
 * a mirrored table, and the read-only view of a mirror's source partitions.
 *
 * sync/NAME.rule is a rule's definition: writing it defines or replaces the
 * rule (on close), unlinking it forgets the rule.  sync/NAME/ holds its state
 * files; reading sync/NAME/run runs the rule now and blocks until it is done.
 *
 * A mirrored table (in the target platform) lists no partitions unless its
 * rule mirrors them, yet the paths its `.refresh` returns
 * (TARGET/db/table/key=value/...) must be readable: such a name is looked up
 * in the source metastore, through the manager, and served as a read-only
 * "view" node whose files are read from the source's data store.  A view has
 * inode numbers of its own (never the source's: a directory must not have two
 * parents), built from the target platform, the source platform and the
 * source object's id.
 *
 * Inode ids (fs_int.h's scheme):
 *   FS_KIND_SYNC  id = sub << 40 | rule << 8 | file
 *   FS_KIND_VIEW  id = sub << 52 | source platform + 1 << 48 | object id
 */
#include "fs_int.h"
#include "mgr_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { SYNC_SUB_RULE = 1, SYNC_SUB_DIR = 2, SYNC_SUB_FILE = 3 };
enum { VIEW_SUB_REFRESH = 1, VIEW_SUB_REFRESH_SINCE = 2, VIEW_SUB_PNODE = 3, VIEW_SUB_FILE = 4 };
#define VIEW_OBJECT_MASK ((UINT64_C(1) << 48) - 1)

static uint64_t sync_id(unsigned sub, uint32_t rule, unsigned file)
{
	return ((uint64_t)sub << 40) | ((uint64_t)rule << 8) | file;
}
static unsigned sync_sub(uint64_t id) { return (unsigned)(id >> 40) & 0xff; }
static uint32_t sync_rule_of(uint64_t id) { return (uint32_t)(id >> 8) & 0xffffffff; }
static unsigned sync_file(uint64_t id) { return (unsigned)(id & 0xff); }

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

/* ---- the sync/ tree ------------------------------------------------------------------ */

bool fs_sync_is_dir(const fs_node *n)
{
	return (n->kind == FS_KIND_GLOBAL && n->id == FS_GLOBAL_SYNC) ||
	       (n->kind == FS_KIND_SYNC && sync_sub(n->id) == SYNC_SUB_DIR);
}

static int load_sync(fs_node *n)
{
	uint32_t rule = sync_rule_of(n->id);
	unsigned sub = sync_sub(n->id);
	if (sub < SYNC_SUB_RULE || sub > SYNC_SUB_FILE)
		return -ENOENT;
	if (sub == SYNC_SUB_FILE && sync_file(n->id) >= MGR_SYNC_FILE_COUNT)
		return -ENOENT;
	return mgr_sync_info(fs_state.m, rule, NULL);
}

static bool split_rule(const char *name, char *base, size_t cap)
{
	size_t n = strlen(name);
	if (n <= 5 || strcmp(name + n - 5, ".rule") || n - 5 >= cap || name[0] == '.')
		return false;
	memcpy(base, name, n - 5);
	base[n - 5] = '\0';
	return store_name_valid(base, NULL);
}

static int lookup_sync(fs_node *parent, const char *name, fs_node *child)
{
	uint32_t rule;
	char base[STORE_NAME_MAX + 1];
	if (parent->kind == FS_KIND_GLOBAL) {
		if (split_rule(name, base, sizeof base)) {
			if (mgr_sync_find(fs_state.m, base, &rule))
				return -ENOENT;
			return fs_node_load(fs_ino_make(0, FS_KIND_SYNC, sync_id(SYNC_SUB_RULE, rule, 0)), child);
		}
		if (mgr_sync_find(fs_state.m, name, &rule))
			return -ENOENT;
		return fs_node_load(fs_ino_make(0, FS_KIND_SYNC, sync_id(SYNC_SUB_DIR, rule, 0)), child);
	}
	rule = sync_rule_of(parent->id);
	for (unsigned f = 0; f < MGR_SYNC_FILE_COUNT; f++)
		if (!strcmp(name, mgr_sync_file_names[f]))
			return fs_node_load(fs_ino_make(0, FS_KIND_SYNC, sync_id(SYNC_SUB_FILE, rule, f)), child);
	return -ENOENT;
}

int fs_sync_readdir(fs_node *dir, off_t off,
		    bool (*add)(void *ctx, const char *name, fuse_ino_t ino, off_t off), void *ctx)
{
	if (dir->kind == FS_KIND_GLOBAL) {
		uint32_t n = mgr_sync_count(fs_state.m);
		for (uint64_t i = off < 3 ? 0 : (uint64_t)(off - 2); i < 2 * (uint64_t)n; i++) {
			uint32_t rule = (uint32_t)(i / 2) + 1;
			char name[STORE_NAME_MAX + 8];
			if (mgr_sync_info(fs_state.m, rule, name))
				continue;   /* deleted */
			bool def = i % 2 == 0;
			if (def)
				strcat(name, ".rule");
			if (!add(ctx, name, fs_ino_make(0, FS_KIND_SYNC,
							sync_id(def ? SYNC_SUB_RULE : SYNC_SUB_DIR, rule, 0)),
				 (off_t)i + 3))
				break;
		}
		return 0;
	}
	uint32_t rule = sync_rule_of(dir->id);
	for (unsigned f = off < 3 ? 0 : (unsigned)(off - 2); f < MGR_SYNC_FILE_COUNT; f++)
		if (!add(ctx, mgr_sync_file_names[f],
			 fs_ino_make(0, FS_KIND_SYNC, sync_id(SYNC_SUB_FILE, rule, f)), (off_t)f + 3))
			break;
	return 0;
}

int fs_sync_create(fs_node *dir, const char *name, fs_handle *h, fuse_ino_t *ino)
{
	char base[STORE_NAME_MAX + 1];
	if (dir->kind != FS_KIND_GLOBAL || dir->id != FS_GLOBAL_SYNC)
		return -EACCES;
	if (!split_rule(name, base, sizeof base)) {
		mgr_log(MGR_LOG_WARN, "refused sync file \"%.80s\": a rule is NAME.rule", name);
		return -EINVAL;
	}
	h->type = FS_HANDLE_SYNC_DEFINE;
	snprintf(h->name, sizeof h->name, "%s", base);
	uint32_t rule;
	/* A new rule has no number until it is defined: the file answers with
	 * the number it will get, or its own if it exists. */
	if (mgr_sync_find(fs_state.m, base, &rule))
		rule = mgr_sync_count(fs_state.m) + 1;
	*ino = fs_ino_make(0, FS_KIND_SYNC, sync_id(SYNC_SUB_RULE, rule, 0));
	return 0;
}

int fs_sync_define(fs_handle *h)
{
	if (!h->text_dirty)
		return 0;
	char err[512] = "";
	int rc = mgr_sync_define(fs_state.m, h->name, h->text.data ? h->text.data : "", h->text.len, err,
				 sizeof err);
	h->text_dirty = false;
	return rc;
}

int fs_sync_unlink(fs_node *child)
{
	char name[STORE_NAME_MAX + 1];
	if (child->kind != FS_KIND_SYNC || sync_sub(child->id) != SYNC_SUB_RULE)
		return -EPERM;
	int rc = mgr_sync_info(fs_state.m, sync_rule_of(child->id), name);
	return rc ? rc : mgr_sync_delete(fs_state.m, name);
}

/* ---- views of a mirror's source ---------------------------------------------------------- */

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

int fs_view_load(fs_node *n)
{
	return load_view(n, fs_ino_plat(n->ino));
}

/* .refresh: generated at open, read with direct_io. */
void fs_view_attr(const fs_node *n, struct stat *st)
{
	(void)n;
	st->st_mode = S_IFREG | 0444;
	st->st_size = 0;
	st->st_nlink = 1;
}

/* Lookup in a mirrored table (or a view partition) of a name the target
 * does not have: `.refresh`, `.refresh@N`, or a partition of the source. */
int fs_view_lookup(fs_node *parent, const char *name, fs_node *child)
{
	bool in_table = parent->kind == FS_KIND_TABLE;
	if (in_table && !mgr_is_mirror(&parent->table))
		return -ENOENT;
	unsigned target = in_table ? parent->p->index + 1 : parent->view_target;
	if (in_table && !strcmp(name, ".refresh"))
		return fs_node_load(fs_ino_make(target, FS_KIND_VIEW,
						view_id(VIEW_SUB_REFRESH, 0, parent->table.id)), child);
	if (in_table && !strncmp(name, ".refresh@", 9)) {
		char *end;
		unsigned long long since = strtoull(name + 9, &end, 10);
		if (*end || name[9] == '\0')
			return -ENOENT;
		unsigned slot = since_slot(parent->table.id, since);
		return fs_node_load(fs_ino_make(target, FS_KIND_VIEW, view_id(VIEW_SUB_REFRESH_SINCE, 0, slot)),
				    child);
	}
	/* A partition of the source table: look it up there. */
	fs_node src;
	memset(&src, 0, sizeof src);
	int rc;
	if (in_table) {
		mgr_platform *sp;
		store_table st = {0};
		rc = mgr_mirror_source(fs_state.m, &parent->table, &sp, &st);
		if (rc)
			return -ENOENT;
		src.kind = FS_KIND_TABLE;
		src.p = sp;
		src.table = st;
		src.have_table = true;
		src.view_target = target;
		rc = fs_node_lookup(&src, name, child);
		fs_node_clear(&src);
		return rc;
	}
	return -ENOENT;
}

int fs_view_open_refresh(fs_node *n, fs_handle *h)
{
	h->type = FS_HANDLE_TEXT;
	return mgr_refresh(fs_state.m, n->p, &n->table, n->since, &h->text);
}

/* ---- dispatch helpers for fs_node.c ----------------------------------------------------- */

int fs_sync_load(fs_node *n)
{
	return load_sync(n);
}

int fs_sync_lookup(fs_node *parent, const char *name, fs_node *child)
{
	return lookup_sync(parent, name, child);
}

void fs_sync_attr(const fs_node *n, struct stat *st)
{
	if (fs_sync_is_dir(n)) {
		st->st_mode = S_IFDIR | (n->kind == FS_KIND_GLOBAL ? (S_ISVTX | 0777) : 0755);
		st->st_nlink = 2;
		return;
	}
	st->st_mode = S_IFREG | (sync_sub(n->id) == SYNC_SUB_RULE ? 0644 : 0444);
	st->st_size = 0;   /* generated at open: read with direct_io */
}

int fs_sync_open(fs_node *n, bool writing, fs_handle *h)
{
	unsigned sub = sync_sub(n->id);
	uint32_t rule = sync_rule_of(n->id);
	if (sub == SYNC_SUB_RULE) {
		if (writing) {
			h->type = FS_HANDLE_SYNC_DEFINE;
			return mgr_sync_info(fs_state.m, rule, h->name);
		}
		h->type = FS_HANDLE_TEXT;
		return mgr_sync_read_rule(fs_state.m, rule, &h->text);
	}
	if (writing)
		return -EACCES;
	if (sync_file(n->id) == MGR_SYNC_RUN) {
		h->type = FS_HANDLE_SYNC_RUN;
		h->job = rule;
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	return mgr_sync_read(fs_state.m, rule, (mgr_sync_file)sync_file(n->id), &h->text);
}

static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req);
}

int fs_sync_run(fuse_req_t req, fs_handle *h)
{
	if (h->waited)
		return 0;
	int rc = mgr_sync_run_now(fs_state.m, h->job, req_interrupted, req, &h->text);
	if (rc == 0)
		h->waited = true;
	return rc;
}
