/*
 * fs_global.c - the mount's own nodes: the root, .metafs and its files
 * (version, metrics, events, log, audit, grants, roles).  The root lists the
 * platforms and the mount's own directories; jobs/, sync/ and pipelines/
 * have their families' rows (fs_kinds.c).
 *
 * events, grants and log are rendered for who opens them (the entries about
 * what that user may see; ADMIN on the metastore reads every line of the
 * log, anyone else the lines of that user's own requests and runs), audit
 * needs ADMIN on the metastore.  Every file's size is that of the rendering
 * its reader gets (fs_snapshot.c: the per-caller files are rendered for who
 * stats them), the audit log's that of its file when stat'ed, which the
 * reads of the open that follows do not pass; all are read with direct_io
 * and the per-caller files never cached.
 */
#include "fs_int.h"
#include "mgr_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const global_names[FS_GLOBAL_COUNT] = {
	[FS_GLOBAL_METADIR] = FS_META_DIR_NAME,
	[FS_GLOBAL_VERSION] = "version",
	[FS_GLOBAL_METRICS] = "metrics",
	[FS_GLOBAL_EVENTS] = "events",
	[FS_GLOBAL_LOG] = "log",
	[FS_GLOBAL_JOBS] = "jobs",
	[FS_GLOBAL_SYNC] = "sync",
	[FS_GLOBAL_PIPELINES] = "pipelines",
	[FS_GLOBAL_AUDIT] = "audit",
	[FS_GLOBAL_GRANTS] = "grants",
	[FS_GLOBAL_ROLES] = "roles",
};

const char *fs_global_name(unsigned id)
{
	return id < FS_GLOBAL_COUNT ? global_names[id] : NULL;
}

/* Is id a file of .metafs/ (version, metrics, ..., audit, grants, roles)? */
static bool in_metadir(unsigned id)
{
	return (id >= FS_GLOBAL_VERSION && id <= FS_GLOBAL_LOG) ||
	       (id >= FS_GLOBAL_AUDIT && id < FS_GLOBAL_COUNT);
}

static bool is_dir_id(uint64_t id)
{
	return id == FS_GLOBAL_ROOT || id == FS_GLOBAL_METADIR;
}

/* Files whose text depends on who reads them (or who may read them):
 * rendered for the caller of the stat or the open (global_snapshot), never
 * cached by the kernel. */
static bool per_caller(uint64_t id)
{
	return id == FS_GLOBAL_EVENTS || id == FS_GLOBAL_LOG || id == FS_GLOBAL_GRANTS;
}

static unsigned global_flags(const fs_node *n)
{
	unsigned flags = 0;
	if (is_dir_id(n->id))
		flags |= FS_NODE_DIR;
	/* The audit log is served from its file, the per-caller files rendered
	 * for their caller (global_snapshot), the others rendered. */
	if (in_metadir((unsigned)n->id) && n->id != FS_GLOBAL_AUDIT && !per_caller(n->id))
		flags |= FS_NODE_RENDERED;
	/* Who may read these depends on grants that change at any time. */
	if (n->id >= FS_GLOBAL_JOBS || per_caller(n->id))
		flags |= FS_NODE_UNCACHED;
	return flags;
}

static int global_load(fs_node *n)
{
	if (n->id == 0 || n->id >= FS_GLOBAL_COUNT)
		return -ENOENT;
	if (n->id == FS_GLOBAL_AUDIT) {   /* served from the file: its size */
		struct stat st;
		n->size = stat(mgr_audit_path(fs_state.m), &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	return 0;
}

static void global_attr(const fs_node *n, struct stat *st)
{
	if (is_dir_id(n->id)) {
		st->st_mode = S_IFDIR | (n->id == FS_GLOBAL_ROOT ? 0755 : 0555);
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG |
			      (n->id == FS_GLOBAL_AUDIT ? 0400 : 0444);
		st->st_size = (off_t)n->size;
	}
}

static int render_metrics(textbuf *out)
{
	static const char *const op_names[FS_OP_COUNT] = {
		"lookup", "getattr", "readdir", "mkdir", "rmdir", "create", "open",
		"read", "write", "flush", "unlink", "rename", "setattr"};
	textbuf_puts(out, "# HELP metafs_requests_total FUSE requests handled, by operation.\n"
			  "# TYPE metafs_requests_total counter\n");
	for (int i = 0; i < FS_OP_COUNT; i++)
		textbuf_printf(out, "metafs_requests_total{op=\"%s\"} %llu\n", op_names[i],
			       (unsigned long long)__atomic_load_n(&fs_state.requests[i], __ATOMIC_RELAXED));
	textbuf_puts(out, "# HELP metafs_catalog_objects Catalog objects per platform.\n"
			  "# TYPE metafs_catalog_objects gauge\n");
	for (unsigned i = 0; i < mgr_platform_count(fs_state.m); i++) {
		mgr_platform *p = mgr_platform_at(fs_state.m, i);
		store_txn *txn = NULL;
		store_iter *dbs = NULL;
		store_database db;
		uint64_t ndb = 0, ntables = 0, nparts = 0, nfiles = 0;
		int rc = store_read_begin(p->store, &txn);
		if (rc == 0)
			rc = store_iter_databases(txn, NULL, &dbs);
		while (rc == 0 && store_iter_next(dbs, &db) == 0) {
			ndb++;
			store_iter *tit = NULL;
			store_table t = {0};
			if (store_iter_tables(txn, db.name, NULL, &tit) == 0)
				while (store_iter_next(tit, &t) == 0) {
					ntables++;
					nparts += t.npartitions;
					nfiles += t.nfiles;
					store_table_clear(&t);
				}
			store_iter_close(tit);
		}
		store_iter_close(dbs);
		store_abort(txn);
		textbuf_printf(out,
			       "metafs_catalog_objects{platform=\"%s\",kind=\"database\"} %llu\n"
			       "metafs_catalog_objects{platform=\"%s\",kind=\"table\"} %llu\n"
			       "metafs_catalog_objects{platform=\"%s\",kind=\"partition\"} %llu\n"
			       "metafs_catalog_objects{platform=\"%s\",kind=\"file\"} %llu\n",
			       p->name, (unsigned long long)ndb, p->name, (unsigned long long)ntables,
			       p->name, (unsigned long long)nparts, p->name, (unsigned long long)nfiles);
	}
	textbuf_printf(out,
		       "# HELP metafs_store_commits_total Metastore write transactions committed.\n"
		       "# TYPE metafs_store_commits_total counter\n"
		       "metafs_store_commits_total %llu\n"
		       "# HELP metafs_invalidations_total Kernel cache invalidations sent.\n"
		       "# TYPE metafs_invalidations_total counter\n"
		       "metafs_invalidations_total %llu\n"
		       "# HELP metafs_audit_failures_total Audit entries that could not be written.\n"
		       "# TYPE metafs_audit_failures_total counter\n"
		       "metafs_audit_failures_total %llu\n"
		       "# HELP metafs_uptime_seconds Seconds since the mount.\n"
		       "# TYPE metafs_uptime_seconds gauge\n"
		       "metafs_uptime_seconds %lld\n",
		       (unsigned long long)mgr_commit_count(fs_state.m),
		       (unsigned long long)__atomic_load_n(&fs_state.invalidations, __ATOMIC_RELAXED),
		       (unsigned long long)mgr_audit_failures(fs_state.m),
		       (long long)((store_now_ns() - fs_state.started_ns) / 1000000000));
	return mgr_metrics_render(fs_state.m, out);
}

static int global_render(fs_node *n, textbuf *out)
{
	switch (n->id) {
	case FS_GLOBAL_VERSION:
		textbuf_printf(out, "metafs %s\nformat %d\n", METAFS_VERSION, STORE_FORMAT_VERSION);
		return textbuf_error(out);
	case FS_GLOBAL_METRICS:
		return render_metrics(out);
	case FS_GLOBAL_ROLES:
		return mgr_roles_render(fs_state.m, out);
	default:
		return -EISDIR;
	}
}

static int global_lookup(fs_node *parent, const char *name, fs_node *child)
{
	if (parent->id == FS_GLOBAL_ROOT) {
		if (!strcmp(name, FS_META_DIR_NAME))
			return fs_node_load(fs_ino_make(0, FS_KIND_GLOBAL, FS_GLOBAL_METADIR), child);
		for (unsigned g = FS_GLOBAL_JOBS; g < FS_GLOBAL_COUNT; g++)
			if (!strcmp(name, global_names[g]))
				return fs_node_load(fs_ino_make(0, FS_KIND_GLOBAL, g), child);
		mgr_platform *p = mgr_platform_find(fs_state.m, name);
		return p ? fs_node_load(fs_ino_of(p, FS_KIND_PLATFORM, 0), child) : -ENOENT;
	}
	if (parent->id == FS_GLOBAL_METADIR) {
		for (unsigned i = FS_GLOBAL_VERSION; i < FS_GLOBAL_COUNT; i++)
			if (in_metadir(i) && !strcmp(name, global_names[i]))
				return fs_node_load(fs_ino_make(0, FS_KIND_GLOBAL, i), child);
		return -ENOENT;
	}
	return -ENOTDIR;
}

/* The root lists the platforms (those the caller sees), jobs/, sync/,
 * pipelines/ and .metafs; .metafs its files. */
static int global_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	static const unsigned root_globals[] = {FS_GLOBAL_JOBS, FS_GLOBAL_SYNC, FS_GLOBAL_PIPELINES,
						FS_GLOBAL_METADIR};
	static const unsigned meta_files[] = {FS_GLOBAL_VERSION, FS_GLOBAL_METRICS, FS_GLOBAL_EVENTS,
					      FS_GLOBAL_LOG, FS_GLOBAL_AUDIT, FS_GLOBAL_GRANTS,
					      FS_GLOBAL_ROLES};
	bool root = dir->id == FS_GLOBAL_ROOT;
	unsigned nplat = mgr_platform_count(fs_state.m);
	unsigned total = root ? nplat + 4 : sizeof meta_files / sizeof meta_files[0];
	int rc = 0;
	for (unsigned i = off < 2 ? 0 : (unsigned)(off - 2); i < total; i++) {
		fs_node child;
		const char *name;
		if (root && i < nplat) {
			mgr_platform *p = mgr_platform_at(fs_state.m, i);
			rc = fs_node_load(fs_ino_of(p, FS_KIND_PLATFORM, 0), &child);
			name = p->name;
			if (rc == 0 && !fs_node_visible(&df->who, &child))
				continue;   /* a platform the caller has nothing on */
		} else {
			unsigned gid = root ? root_globals[i - nplat] : meta_files[i];
			rc = fs_node_load(fs_ino_make(0, FS_KIND_GLOBAL, gid), &child);
			name = fs_global_name(gid);
		}
		if (rc || !fs_dir_add(df, name, &child, (off_t)i + 3, NULL))
			break;
	}
	return rc;
}

/* The text of a per-caller file, as WHO may see it (the log: all of it for
 * ADMIN on the metastore, else the lines about WHO). */
static int render_for(const fs_node *n, const mgr_principal *who, textbuf *out)
{
	switch (n->id) {
	case FS_GLOBAL_EVENTS:
		return mgr_render_events(fs_state.m, who, FS_EVENTS_SHOWN, out);
	case FS_GLOBAL_LOG:
		return mgr_log_render(out, fs_metastore_admin(who), who->uid);
	default:
		return mgr_grants_render_as(fs_state.m, who, NULL, NULL, out);
	}
}

/* What a reader of .metafs's file N gets; the audit log is read from its
 * file, up to the size it has now (1). */
static int global_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	if (!in_metadir((unsigned)n->id))
		return -ENODATA;
	if (n->id == FS_GLOBAL_AUDIT) {
		struct stat st;
		*len = stat(mgr_audit_path(fs_state.m), &st) == 0 ? (uint64_t)st.st_size : 0;
		return 1;
	}
	int rc = per_caller(n->id) ? render_for(n, who, out) : global_render(n, out);
	*len = out->len;
	return rc;
}

/* The audit log is served from its file itself, read with direct_io. */
static int global_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	if (writing)
		return -EACCES;
	if (n->id != FS_GLOBAL_AUDIT) {
		h->type = FS_HANDLE_TEXT;
		return per_caller(n->id) ? render_for(n, &h->who, &h->text) : fs_node_render(n, &h->text);
	}
	h->type = FS_HANDLE_READ_FD;
	h->fd = open(mgr_audit_path(fs_state.m), O_RDONLY | O_CLOEXEC);
	return h->fd < 0 ? -errno : 0;
}

static int global_create(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
			 struct fuse_entry_param *e)
{
	/* .metafs/audit, grants and roles are refused as a job file would be. */
	return dir->id >= FS_GLOBAL_JOBS ? fs_create_refused(dir, name, who, h, e) : -EACCES;
}

static int global_mkdir(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	(void)name;
	(void)who;
	(void)ino;
	return is_dir_id(dir->id) || dir->id >= FS_GLOBAL_JOBS ? -EACCES : -ENOTDIR;
}

static int global_rmdir(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	(void)dir;
	(void)who;
	return child->id == FS_GLOBAL_METADIR ? -EACCES : -ENOTDIR;
}

/* The audit log (which names any user's objects and paths): ADMIN on the
 * metastore. */
static int global_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	(void)writing;
	if (n->id != FS_GLOBAL_AUDIT)
		return 0;
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	return mgr_authorize(fs_state.m, who, MGR_PRIV_ADMIN, &all, "read", "/.metafs/audit");
}

static int global_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	bool w = mask & W_OK, x = mask & X_OK;
	if (n->id == FS_GLOBAL_AUDIT)
		return !w && !x && fs_metastore_admin(who) ? 0 : -EACCES;
	if (is_dir_id(n->id))
		return w ? -EACCES : 0;
	return w || x ? -EACCES : 0;
}

const struct fs_kind_ops fs_global_ops = {
	.name = "global",
	.node_flags = global_flags,
	.load = global_load,
	.attr = global_attr,
	.render = global_render,
	.snapshot = global_snapshot,
	.lookup = global_lookup,
	.readdir = global_readdir,
	.open = global_open,
	.create = global_create,
	.mkdir = global_mkdir,
	.rmdir = global_rmdir,
	.check_open = global_check_open,
	.check_access = global_check_access,
};
