/*
 * fs_sync.c - the managed trees: sync/ for rules, pipelines/ for pipelines.
 *
 * Both managed trees have one shape, described by a table of operations
 * (struct managed_tree): DIR/NAME.SUFFIX is a definition: writing it defines
 * or replaces it (on close), unlinking it removes it.  DIR/NAME/ holds its
 * state files; reading DIR/NAME/run runs it now and blocks until it is done
 * (opening it is refused, EACCES, to whom the kind does not let run it).
 *
 * The directories sync/ and pipelines/ have the row fs_tree_root_ops, every
 * node in them the row fs_sync_ops (FS_KIND_SYNC).
 *
 * Inode ids (fs_int.h's scheme):
 *   FS_KIND_SYNC  id = sub << 40 | item << 8 | file   (sub: tree * 3 + what)
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

static uint64_t sync_id(unsigned sub, uint32_t rule, unsigned file)
{
	return ((uint64_t)sub << 40) | ((uint64_t)rule << 8) | file;
}
static unsigned sync_sub(uint64_t id) { return (unsigned)(id >> 40) & 0xff; }
static uint32_t sync_rule_of(uint64_t id) { return (uint32_t)(id >> 8) & 0xffffffff; }
static unsigned sync_file(uint64_t id) { return (unsigned)(id & 0xff); }

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
	int (*may_run)(mgr *m, const mgr_principal *who, uint32_t id);   /* audited */
};

static const struct managed_tree trees[] = {
	{FS_GLOBAL_SYNC, ".rule", "sync rule", MGR_SYNC_FILE_COUNT, MGR_SYNC_RUN, mgr_sync_file_names,
	 mgr_sync_count, mgr_sync_info, mgr_sync_find, mgr_sync_read_rule, sync_read_file,
	 mgr_sync_define_as, mgr_sync_owner, mgr_sync_delete, mgr_sync_run_now, mgr_sync_may_run},
	{FS_GLOBAL_PIPELINES, ".ini", "pipeline", MGR_PIPELINE_FILE_COUNT, MGR_PIPELINE_RUN,
	 mgr_pipeline_file_names, mgr_pipeline_count, mgr_pipeline_info, mgr_pipeline_find,
	 mgr_pipeline_read_def, pipeline_read_file, mgr_pipeline_define_as, mgr_pipeline_owner,
	 mgr_pipeline_delete, mgr_pipeline_run_now, mgr_pipeline_may_run},
};
#define NTREES (sizeof trees / sizeof trees[0])

/* The tree whose directory (sync/, pipelines/) N is. */
static const struct managed_tree *root_tree(const fs_node *n)
{
	for (unsigned t = 0; t < NTREES; t++)
		if (trees[t].global_id == n->id)
			return &trees[t];
	return NULL;
}

/* The tree a node in it belongs to, and what it is there (SYNC_SUB_*). */
static const struct managed_tree *item_tree(const fs_node *n, unsigned *what)
{
	unsigned sub = sync_sub(n->id);
	if (sub < 1 || (sub - 1) / 3 >= NTREES)
		return NULL;
	*what = (sub - 1) % 3 + 1;
	return &trees[(sub - 1) / 3];
}

static fuse_ino_t tree_ino(const struct managed_tree *t, unsigned what, uint32_t item, unsigned file)
{
	return fs_ino_make(0, FS_KIND_SYNC, sync_id((unsigned)(t - trees) * 3 + what, item, file));
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

static bool req_interrupted(void *req)
{
	return fuse_req_interrupted(req);
}

/* Reading DIR/NAME/run runs the item, once per open. */
static int run_prepare_read(fuse_req_t req, fs_handle *h)
{
	if (h->waited)
		return 0;
	int rc = h->run < NTREES ? trees[h->run].run_now(fs_state.m, h->job, req_interrupted, req, &h->text)
				 : -EINVAL;
	if (rc == 0)
		h->waited = true;
	return rc;
}

/* A definition written: defined (or replaced) as who opened the file. */
static int define_commit(fs_handle *h)
{
	if (!h->text_dirty || h->run >= NTREES)
		return 0;
	char err[512] = "";
	int rc = trees[h->run].define(fs_state.m, &h->who, h->name, h->text.data ? h->text.data : "",
				      h->text.len, err, sizeof err);
	h->text_dirty = false;
	/* A definition that could not be stored says why the way a file would
	 * (a full or read-only disk, a quota); only failures that have no
	 * meaning for a close become EIO. */
	switch (rc) {
	case 0:
	case -EINVAL:
	case -EACCES:
	case -ENOSPC:
	case -EDQUOT:
	case -EROFS:
	case -EFBIG:
	case -ENOMEM:
		return rc;
	default:
		return -EIO;
	}
}

/* ---- sync/ and pipelines/ ------------------------------------------------------------ */

static void root_attr(const fs_node *n, struct stat *st)
{
	(void)n;
	st->st_mode = S_IFDIR | S_ISVTX | 0777;
	st->st_nlink = 2;
}

static int root_lookup(fs_node *parent, const char *name, fs_node *child)
{
	const struct managed_tree *t = root_tree(parent);
	uint32_t item;
	char base[STORE_NAME_MAX + 1];
	if (!t)
		return -ENOENT;
	bool def = split_def(t, name, base, sizeof base);
	if (t->find(fs_state.m, def ? base : name, &item))
		return -ENOENT;
	return fs_node_load(tree_ino(t, def ? SYNC_SUB_RULE : SYNC_SUB_DIR, item, 0), child);
}

/* Two entries an item: NAME.SUFFIX and NAME/. */
static int root_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	const struct managed_tree *t = root_tree(dir);
	if (!t)
		return -ENOTDIR;
	uint32_t n = t->count(fs_state.m);
	for (uint64_t i = off < 3 ? 0 : (uint64_t)(off - 2); i < 2 * (uint64_t)n; i++) {
		uint32_t item = (uint32_t)(i / 2) + 1;
		char name[STORE_NAME_MAX + 8];
		if (t->info(fs_state.m, item, name))
			continue;   /* removed */
		bool def = i % 2 == 0;
		if (def)
			strcat(name, t->suffix);
		if (!fs_dir_add_ino(df, name, tree_ino(t, def ? SYNC_SUB_RULE : SYNC_SUB_DIR, item, 0),
				    (off_t)i + 3))
			break;
	}
	return 0;
}

/* DIR/NAME.SUFFIX: a handle that defines the item when it is closed. */
static int root_create(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		       struct fuse_entry_param *e)
{
	(void)who;
	const struct managed_tree *t = root_tree(dir);
	char base[STORE_NAME_MAX + 1];
	if (!t)
		return -EACCES;
	if (!split_def(t, name, base, sizeof base)) {
		mgr_log(MGR_LOG_WARN, "refused %s file \"%.80s\": a definition is NAME%s", t->what, name,
			t->suffix);
		return -EINVAL;
	}
	h->type = FS_HANDLE_SYNC_DEFINE;
	h->text_max = FS_DEFINITION_MAX;
	h->commit = define_commit;
	h->run = (uint32_t)(t - trees);
	snprintf(h->name, sizeof h->name, "%s", base);
	uint32_t item;
	/* A new item has no number until it is defined: the file answers with
	 * the number it will get, or its own if it exists. */
	if (t->find(fs_state.m, base, &item))
		item = t->count(fs_state.m) + 1;
	h->ino = tree_ino(t, SYNC_SUB_RULE, item, 0);
	memset(e, 0, sizeof *e);
	e->ino = h->ino;
	e->attr.st_ino = h->ino;
	e->attr.st_mode = S_IFREG | 0644;
	e->attr.st_nlink = 1;
	e->attr.st_uid = fs_state.uid;
	e->attr.st_gid = fs_state.gid;
	/* Until it is closed the item does not exist, and a getattr would say
	 * so: let the kernel keep these attributes for the open. */
	e->attr_timeout = 1.0;
	return 0;
}

const struct fs_kind_ops fs_tree_root_ops = {
	.name = "managed tree",
	.flags = FS_NODE_DIR | FS_NODE_UNCACHED,
	.attr = root_attr,
	.lookup = root_lookup,
	.readdir = root_readdir,
	.create = root_create,
	.mkdir = fs_mkdir_refused,
	.check_access = fs_access_anyone,   /* 01777 */
};

/* ---- their definitions, directories and files ---------------------------------------- */

static unsigned item_flags(const fs_node *n)
{
	unsigned what = 0;
	const struct managed_tree *t = item_tree(n, &what);
	return FS_NODE_UNCACHED | (t && what == SYNC_SUB_DIR ? FS_NODE_DIR : 0);
}

static int item_load(fs_node *n)
{
	unsigned what;
	const struct managed_tree *t = item_tree(n, &what);
	if (!t)
		return -ENOENT;
	if (what == SYNC_SUB_FILE && sync_file(n->id) >= t->nfiles)
		return -ENOENT;
	return t->info(fs_state.m, sync_rule_of(n->id), NULL);
}

static void item_attr(const fs_node *n, struct stat *st)
{
	unsigned what = 0;
	item_tree(n, &what);
	if (what == SYNC_SUB_DIR) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return;
	}
	st->st_mode = S_IFREG | (what == SYNC_SUB_RULE ? 0644 : 0444);
	st->st_size = (off_t)n->size;   /* the rendering's (fs_snapshot.c); `run`: 0 */
}

/* What a reader gets: the definition or a state file, rendered; `run` has
 * no bytes until its read runs the item. */
static int item_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	(void)who;
	unsigned what;
	const struct managed_tree *t = item_tree(n, &what);
	uint32_t item = sync_rule_of(n->id);
	if (!t || what == SYNC_SUB_DIR || (what == SYNC_SUB_FILE && sync_file(n->id) == t->run_file))
		return -ENODATA;
	int rc = what == SYNC_SUB_RULE ? t->read_def(fs_state.m, item, out)
				       : t->read(fs_state.m, item, sync_file(n->id), out);
	*len = out->len;
	return rc;
}

static int item_lookup(fs_node *parent, const char *name, fs_node *child)
{
	unsigned what;
	const struct managed_tree *t = item_tree(parent, &what);
	if (!t)
		return -ENOENT;
	uint32_t item = sync_rule_of(parent->id);
	for (unsigned f = 0; f < t->nfiles; f++)
		if (!strcmp(name, t->file_names[f]))
			return fs_node_load(tree_ino(t, SYNC_SUB_FILE, item, f), child);
	return -ENOENT;
}

static int item_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	unsigned what;
	const struct managed_tree *t = item_tree(dir, &what);
	if (!t)
		return -ENOTDIR;
	uint32_t item = sync_rule_of(dir->id);
	for (unsigned f = off < 3 ? 0 : (unsigned)(off - 2); f < t->nfiles; f++)
		if (!fs_dir_add_ino(df, t->file_names[f], tree_ino(t, SYNC_SUB_FILE, item, f), (off_t)f + 3))
			break;
	return 0;
}

static int item_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	unsigned what;
	const struct managed_tree *t = item_tree(n, &what);
	uint32_t item = sync_rule_of(n->id);
	if (!t || what == SYNC_SUB_DIR)
		return -EISDIR;
	if (what == SYNC_SUB_RULE) {
		if (writing) {
			h->type = FS_HANDLE_SYNC_DEFINE;
			h->text_max = FS_DEFINITION_MAX;
			h->commit = define_commit;
			h->run = (uint32_t)(t - trees);
			return t->info(fs_state.m, item, h->name);
		}
		h->type = FS_HANDLE_TEXT;
		return t->read_def(fs_state.m, item, &h->text);
	}
	if (writing)
		return -EACCES;
	if (sync_file(n->id) == t->run_file) {
		/* Running is for the owner and the few the kind names. */
		int rc = t->may_run(fs_state.m, &h->who, item);
		if (rc)
			return rc;
		h->type = FS_HANDLE_SYNC_RUN;
		h->prepare_read = run_prepare_read;
		h->job = item;
		h->run = (uint32_t)(t - trees);
		return 0;
	}
	h->type = FS_HANDLE_TEXT;
	return t->read(fs_state.m, item, sync_file(n->id), &h->text);
}

static int item_truncate(fs_node *n, off_t size, fs_handle *h, const mgr_principal *who)
{
	(void)who;
	return fs_node_truncate_definition(n, size, h, FS_HANDLE_SYNC_DEFINE);
}

/* In an item's directory nothing is created; beside a file, refused as a
 * job file would be. */
static int item_create(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		       struct fuse_entry_param *e)
{
	unsigned what = 0;
	item_tree(dir, &what);
	return what == SYNC_SUB_DIR ? -EACCES : fs_create_refused(dir, name, who, h, e);
}

/* Unlinking a definition removes the item: its owner or ADMIN on the
 * metastore. */
static int item_unlink(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	(void)dir;
	unsigned what;
	const struct managed_tree *t = item_tree(child, &what);
	mgr_principal owner;
	char name[STORE_NAME_MAX + 1] = "";
	if (!t || what != SYNC_SUB_RULE)
		return -EPERM;
	uint32_t item = sync_rule_of(child->id);
	if (t->owner(fs_state.m, item, &owner) == 0 && owner.uid != who->uid) {
		char path[STORE_NAME_MAX + 32];
		t->info(fs_state.m, item, name);
		snprintf(path, sizeof path, "/%s/%s%s", fs_global_name(t->global_id), name, t->suffix);
		mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
		int rc = mgr_authorize(fs_state.m, who, MGR_PRIV_ADMIN, &all, "drop", path);
		if (rc)
			return rc;
	}
	int rc = t->info(fs_state.m, item, name);
	return rc ? rc : t->remove(fs_state.m, name);
}

/* A pipeline's definition (which may hold secrets, such as webhook_token)
 * and its log (its runs' output, with the owner's data in errors) are its
 * owner's and ADMIN's to read. */
static bool owner_only(const fs_node *n, const struct managed_tree **tp, unsigned *what)
{
	const struct managed_tree *t = item_tree(n, what);
	*tp = t;
	return t && t->global_id == FS_GLOBAL_PIPELINES &&
	       (*what == SYNC_SUB_RULE || (*what == SYNC_SUB_FILE && sync_file(n->id) == MGR_PIPELINE_LOG));
}

/* May WHO read N?  Audited when AUDIT (the open), not for access(2). */
static int item_check_read(const mgr_principal *who, const fs_node *n, bool audit)
{
	const struct managed_tree *t;
	unsigned what = 0;
	mgr_principal owner;
	if (!owner_only(n, &t, &what))
		return 0;
	uint32_t item = sync_rule_of(n->id);
	if (t->owner(fs_state.m, item, &owner) == 0 && owner.uid == who->uid)
		return 0;
	if (!audit)
		return fs_metastore_admin(who) ? 0 : -EACCES;
	char name[STORE_NAME_MAX + 1] = "", path[2 * STORE_NAME_MAX + 32];
	t->info(fs_state.m, item, name);
	if (what == SYNC_SUB_RULE)
		snprintf(path, sizeof path, "/%s/%s%s", fs_global_name(t->global_id), name, t->suffix);
	else
		snprintf(path, sizeof path, "/%s/%s/%s", fs_global_name(t->global_id), name,
			 t->file_names[sync_file(n->id)]);
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	return mgr_authorize(fs_state.m, who, MGR_PRIV_ADMIN, &all, "read", path);
}

/* Definitions written are checked when they are made (the manager). */
static int item_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	return writing ? 0 : item_check_read(who, n, true);
}

static int item_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	if (item_flags(n) & FS_NODE_DIR)
		return mask & W_OK ? -EACCES : 0;
	if (mask & X_OK)
		return -EACCES;
	return mask & R_OK ? item_check_read(who, n, false) : 0;
}

const struct fs_kind_ops fs_sync_ops = {
	.name = "managed item",
	.node_flags = item_flags,
	.load = item_load,
	.attr = item_attr,
	.lookup = item_lookup,
	.readdir = item_readdir,
	.snapshot = item_snapshot,
	.open = item_open,
	.truncate = item_truncate,
	.create = item_create,
	.unlink = item_unlink,
	.check_open = item_check_open,
	.check_access = item_check_access,
};
