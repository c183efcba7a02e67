/*
 * fs_sync.c - the managed trees (sync/ for rules, pipelines/ for pipelines),
 * the `.refresh` node of a mirrored table, and the read-only view of a
 * mirror's source partitions.
 *
 * Both managed trees have one shape, described by a table of operations
 * (struct managed_tree): DIR/NAME.SUFFIX is a definition: writing it defines
 * or replaces it (on close), unlinking it removes it.  DIR/NAME/ holds its
 * state files; reading DIR/NAME/run runs it now and blocks until it is done.
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
 *   FS_KIND_SYNC  id = sub << 40 | item << 8 | file   (sub: tree * 3 + what)
 *   FS_KIND_VIEW  id = sub << 52 | source platform + 1 << 48 | object id
 */
#include "fs_int.h"
#include "mgr_pipeline.h"
#include "mgr_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { SYNC_SUB_RULE = 1, SYNC_SUB_DIR = 2, SYNC_SUB_FILE = 3 };   /* + 3 * tree */
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

/* ---- the managed trees ------------------------------------------------------------------ */

static int sync_read_file(mgr *m, uint32_t id, unsigned f, textbuf *out)
{
	return mgr_sync_read(m, id, (mgr_sync_file)f, out);
}

static int pipeline_read_file(mgr *m, uint32_t id, unsigned f, textbuf *out)
{
	return mgr_pipeline_read(m, id, (mgr_pipeline_file)f, out);
}

struct managed_tree {
	unsigned global_id;            /* the directory: FS_GLOBAL_SYNC, FS_GLOBAL_PIPELINES */
	const char *suffix;            /* of a definition's file name */
	const char *what;              /* for messages */
	unsigned nfiles, run_file;
	const char *const *file_names;
	uint32_t (*count)(mgr *m);
	int (*info)(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1]);
	int (*find)(mgr *m, const char *name, uint32_t *id);
	int (*read_def)(mgr *m, uint32_t id, textbuf *out);
	int (*read)(mgr *m, uint32_t id, unsigned file, textbuf *out);
	int (*define)(mgr *m, const mgr_principal *who, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);
	int (*owner)(mgr *m, uint32_t id, mgr_principal *owner);
	int (*remove)(mgr *m, const char *name);
	int (*run_now)(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out);
};

static const struct managed_tree trees[] = {
	{FS_GLOBAL_SYNC, ".rule", "sync rule", MGR_SYNC_FILE_COUNT, MGR_SYNC_RUN, mgr_sync_file_names,
	 mgr_sync_count, mgr_sync_info, mgr_sync_find, mgr_sync_read_rule, sync_read_file,
	 mgr_sync_define_as, mgr_sync_owner, mgr_sync_delete, mgr_sync_run_now},
	{FS_GLOBAL_PIPELINES, ".ini", "pipeline", MGR_PIPELINE_FILE_COUNT, MGR_PIPELINE_RUN,
	 mgr_pipeline_file_names, mgr_pipeline_count, mgr_pipeline_info, mgr_pipeline_find,
	 mgr_pipeline_read_def, pipeline_read_file, mgr_pipeline_define_as, mgr_pipeline_owner,
	 mgr_pipeline_delete, mgr_pipeline_run_now},
};
#define NTREES (sizeof trees / sizeof trees[0])

/* The tree a node belongs to, and what it is in it (SYNC_SUB_*). */
static const struct managed_tree *tree_of(const fs_node *n, unsigned *what)
{
	if (n->kind == FS_KIND_GLOBAL) {
		for (unsigned t = 0; t < NTREES; t++)
			if (trees[t].global_id == n->id) {
				*what = 0;
				return &trees[t];
			}
		return NULL;
	}
	unsigned sub = sync_sub(n->id);
	if (n->kind != FS_KIND_SYNC || sub < 1 || (sub - 1) / 3 >= NTREES)
		return NULL;
	*what = (sub - 1) % 3 + 1;
	return &trees[(sub - 1) / 3];
}

static fuse_ino_t tree_ino(const struct managed_tree *t, unsigned what, uint32_t item, unsigned file)
{
	return fs_ino_make(0, FS_KIND_SYNC, sync_id((unsigned)(t - trees) * 3 + what, item, file));
}

bool fs_sync_is_dir(const fs_node *n)
{
	unsigned what;
	const struct managed_tree *t = tree_of(n, &what);
	return t && (what == 0 || what == SYNC_SUB_DIR);
}

int fs_sync_load(fs_node *n)
{
	unsigned what;
	const struct managed_tree *t = tree_of(n, &what);
	if (!t || what == 0)
		return -ENOENT;
	if (what == SYNC_SUB_FILE && sync_file(n->id) >= t->nfiles)
		return -ENOENT;
	return t->info(fs_state.m, sync_rule_of(n->id), NULL);
}

static bool split_def(const struct managed_tree *t, const char *name, char *base, size_t cap)
{
	size_t n = strlen(name), sl = strlen(t->suffix);
	if (n <= sl || strcmp(name + n - sl, t->suffix) || n - sl >= cap || name[0] == '.')
		return false;
	memcpy(base, name, n - sl);
	base[n - sl] = '\0';
	return store_name_valid(base, NULL);
}

int fs_sync_lookup(fs_node *parent, const char *name, fs_node *child)
{
	unsigned what;
	const struct managed_tree *t = tree_of(parent, &what);
	uint32_t item;
	char base[STORE_NAME_MAX + 1];
	if (!t)
		return -ENOENT;
	if (what == 0) {
		bool def = split_def(t, name, base, sizeof base);
		if (t->find(fs_state.m, def ? base : name, &item))
			return -ENOENT;
		return fs_node_load(tree_ino(t, def ? SYNC_SUB_RULE : SYNC_SUB_DIR, item, 0), child);
	}
	item = sync_rule_of(parent->id);
	for (unsigned f = 0; f < t->nfiles; f++)
		if (!strcmp(name, t->file_names[f]))
			return fs_node_load(tree_ino(t, SYNC_SUB_FILE, item, f), child);
	return -ENOENT;
}

int fs_sync_readdir(fs_node *dir, off_t off,
		    bool (*add)(void *ctx, const char *name, fuse_ino_t ino, off_t off), void *ctx)
{
	unsigned what;
	const struct managed_tree *t = tree_of(dir, &what);
	if (!t)
		return -ENOTDIR;
	if (what == 0) {
		/* Two entries an item: NAME.SUFFIX and NAME/. */
		uint32_t n = t->count(fs_state.m);
		for (uint64_t i = off < 3 ? 0 : (uint64_t)(off - 2); i < 2 * (uint64_t)n; i++) {
			uint32_t item = (uint32_t)(i / 2) + 1;
			char name[STORE_NAME_MAX + 8];
			if (t->info(fs_state.m, item, name))
				continue;   /* removed */
			bool def = i % 2 == 0;
			if (def)
				strcat(name, t->suffix);
			if (!add(ctx, name, tree_ino(t, def ? SYNC_SUB_RULE : SYNC_SUB_DIR, item, 0), (off_t)i + 3))
				break;
		}
		return 0;
	}
	uint32_t item = sync_rule_of(dir->id);
	for (unsigned f = off < 3 ? 0 : (unsigned)(off - 2); f < t->nfiles; f++)
		if (!add(ctx, t->file_names[f], tree_ino(t, SYNC_SUB_FILE, item, f), (off_t)f + 3))
			break;
	return 0;
}

int fs_sync_create(fs_node *dir, const char *name, fs_handle *h, fuse_ino_t *ino)
{
	unsigned what;
	const struct managed_tree *t = tree_of(dir, &what);
	char base[STORE_NAME_MAX + 1];
	if (!t || what != 0)
		return -EACCES;
	if (!split_def(t, name, base, sizeof base)) {
		mgr_log(MGR_LOG_WARN, "refused %s file \"%.80s\": a definition is NAME%s", t->what, name,
			t->suffix);
		return -EINVAL;
	}
	h->type = FS_HANDLE_SYNC_DEFINE;
	h->run = (uint32_t)(t - trees);
	snprintf(h->name, sizeof h->name, "%s", base);
	uint32_t item;
	/* A new item has no number until it is defined: the file answers with
	 * the number it will get, or its own if it exists. */
	if (t->find(fs_state.m, base, &item))
		item = t->count(fs_state.m) + 1;
	*ino = tree_ino(t, SYNC_SUB_RULE, item, 0);
	return 0;
}

int fs_sync_define(fs_handle *h)
{
	if (!h->text_dirty || h->run >= NTREES)
		return 0;
	char err[512] = "";
	/* As who opened the file: the definition is theirs. */
	int rc = trees[h->run].define(fs_state.m, &h->who, h->name, h->text.data ? h->text.data : "",
				      h->text.len, err, sizeof err);
	h->text_dirty = false;
	return rc;
}

int fs_sync_may_remove(const mgr_principal *who, fs_node *child)
{
	unsigned what;
	const struct managed_tree *t = tree_of(child, &what);
	mgr_principal owner;
	if (!t || what != SYNC_SUB_RULE || t->owner(fs_state.m, sync_rule_of(child->id), &owner) ||
	    owner.uid == who->uid)
		return 0;
	char name[STORE_NAME_MAX + 1] = "", path[STORE_NAME_MAX + 32];
	t->info(fs_state.m, sync_rule_of(child->id), name);
	snprintf(path, sizeof path, "/%s/%s%s", fs_global_name(t->global_id), name, t->suffix);
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	return mgr_authorize(fs_state.m, who, MGR_PRIV_ADMIN, &all, "drop", path);
}

int fs_sync_unlink(fs_node *child)
{
	unsigned what;
	const struct managed_tree *t = tree_of(child, &what);
	char name[STORE_NAME_MAX + 1];
	if (!t || what != SYNC_SUB_RULE)
		return -EPERM;
	int rc = t->info(fs_state.m, sync_rule_of(child->id), name);
	return rc ? rc : t->remove(fs_state.m, name);
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

/* ---- attributes and opening ------------------------------------------------------------ */

void fs_sync_attr(const fs_node *n, struct stat *st)
{
	unsigned what = 0;
	tree_of(n, &what);
	if (fs_sync_is_dir(n)) {
		st->st_mode = S_IFDIR | (n->kind == FS_KIND_GLOBAL ? (S_ISVTX | 0777) : 0755);
		st->st_nlink = 2;
		return;
	}
	st->st_mode = S_IFREG | (what == SYNC_SUB_RULE ? 0644 : 0444);
	st->st_size = 0;   /* generated at open: read with direct_io */
}

int fs_sync_open(fs_node *n, bool writing, fs_handle *h)
{
	unsigned what;
	const struct managed_tree *t = tree_of(n, &what);
	uint32_t item = sync_rule_of(n->id);
	if (!t || what == 0 || what == SYNC_SUB_DIR)
		return -EISDIR;
	if (what == SYNC_SUB_RULE) {
		if (writing) {
			h->type = FS_HANDLE_SYNC_DEFINE;
			h->run = (uint32_t)(t - trees);
			return t->info(fs_state.m, item, h->name);
		}
		h->type = FS_HANDLE_TEXT;
		return t->read_def(fs_state.m, item, &h->text);
	}
	if (writing)
		return -EACCES;
	if (sync_file(n->id) == t->run_file) {
		h->type = FS_HANDLE_SYNC_RUN;
		h->job = item;
		h->run = (uint32_t)(t - trees);
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	return t->read(fs_state.m, item, sync_file(n->id), &h->text);
}

static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req);
}

int fs_sync_run(fuse_req_t req, fs_handle *h)
{
	if (h->waited)
		return 0;
	int rc = h->run < NTREES ? trees[h->run].run_now(fs_state.m, h->job, req_interrupted, req, &h->text)
				 : -EINVAL;
	if (rc == 0)
		h->waited = true;
	return rc;
}
