/*
 * fs_ops.c - the FUSE low-level request handlers.  This is the only file
 * that calls fuse_reply_*: every handler computes an int (0 or -errno) and
 * replies once, at its end.
 */
#include "fs_int.h"
#include "mgr_exchange.h"
#include "mgr_job.h"
#include "mgr_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define SCHEMA_TEXT_MAX (1 << 20)

static void count(int op)
{
	__atomic_add_fetch(&fs_state.requests[op], 1, __ATOMIC_RELAXED);
}

static bool is_virtual(const fs_node *n)
{
	return n->kind == FS_KIND_SCHEMA || n->kind == FS_KIND_TABLEMETA ||
	       n->kind == FS_KIND_PARTMETA ||
	       (n->kind == FS_KIND_GLOBAL && fs_global_in_metadir((unsigned)n->id) &&
		n->id != FS_GLOBAL_AUDIT);
}

/* On a shared mount (allow_other) what a caller may see depends on who
 * asks: the kernel must not answer one user from another's cache. */
static bool per_caller(const fs_node *n)
{
	return fs_state.shared && n->p != NULL;
}

/* Nodes under jobs/ and sync/, and .refresh, change as jobs and rules run:
 * the kernel caches none of them. */
static bool is_jobs_node(const fs_node *n)
{
	return fs_jobs_kind(n->kind) || n->kind == FS_KIND_SYNC || n->kind == FS_KIND_VIEW ||
	       (n->kind == FS_KIND_GLOBAL && n->id >= FS_GLOBAL_JOBS);
}

static bool is_dir(const fs_node *n)
{
	if (fs_jobs_is_dir(n) || fs_sync_is_dir(n))
		return true;
	return n->kind == FS_KIND_PLATFORM || n->kind == FS_KIND_DATABASE ||
	       n->kind == FS_KIND_TABLE || n->kind == FS_KIND_PNODE ||
	       (n->kind == FS_KIND_GLOBAL && (n->id == FS_GLOBAL_ROOT || n->id == FS_GLOBAL_METADIR));
}

/* Metadata files change whenever the catalog does: their attributes are not
 * cached and their size is that of a fresh rendering. */
static int node_stat(fs_node *n, struct stat *st, double *timeout)
{
	if (is_virtual(n)) {
		textbuf text = TEXTBUF_INIT;
		int rc = fs_node_render(n, &text);
		n->size = text.len;
		textbuf_free(&text);
		if (rc)
			return rc;
	}
	fs_node_attr(n, st);
	*timeout = (is_virtual(n) || n->in_progress || is_jobs_node(n) || per_caller(n))
			   ? 0 : fs_state.entry_timeout;
	return 0;
}

static int node_entry(fs_node *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof *e);
	int rc = node_stat(n, &e->attr, &e->attr_timeout);
	e->ino = n->ino;
	e->entry_timeout = is_jobs_node(n) || per_caller(n) ? 0 : fs_state.entry_timeout;
	return rc;
}

static void reply_entry_or_err(fuse_req_t req, int rc, fs_node *child)
{
	struct fuse_entry_param e;
	if (rc == 0)
		rc = node_entry(child, &e);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want &= ~FUSE_CAP_CACHE_SYMLINKS;
	if (fs_invalidator_start())
		mgr_log(MGR_LOG_ERROR, "cannot start the cache invalidator: changes made by other "
				       "processes will show only when cached entries expire");
}

static void op_destroy(void *userdata)
{
	(void)userdata;
	fs_invalidator_stop();
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_LOOKUP);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(parent, &p);
	if (rc == 0)
		rc = fs_node_lookup(&p, name, &child);
	if (rc == 0)
		rc = fs_check_lookup(&who, &child);
	if (rc == -ENOENT) {
		/* Negative entry: the kernel remembers the miss until a change
		 * through the mount or an invalidation from the change log. */
		struct fuse_entry_param e = {.ino = 0,
					     .entry_timeout = is_jobs_node(&p) ? 0 : fs_state.entry_timeout};
		fuse_reply_entry(req, &e);
	} else {
		reply_entry_or_err(req, rc, &child);
	}
	fs_node_clear(&child);
	fs_node_clear(&p);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);   /* nothing to release: inodes are addresses */
}

static void op_forget_multi(fuse_req_t req, size_t count_, struct fuse_forget_data *forgets)
{
	(void)count_;
	(void)forgets;
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	count(FS_OP_GETATTR);
	fs_node n;
	struct stat st;
	double timeout = 0;
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(ino, &n);
	if (rc == 0)
		rc = fs_check_lookup(&who, &n);
	if (rc == 0)
		rc = node_stat(&n, &st, &timeout);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, timeout);
	fs_node_clear(&n);
}

/* ---- directories ---------------------------------------------------------------- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fs_node n;
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(ino, &n);
	if (rc == 0 && !is_dir(&n))
		rc = -ENOTDIR;
	if (rc == 0)
		rc = fs_check_list(&who, &n);
	fs_handle *h = NULL;
	if (rc == 0 && !(h = calloc(1, sizeof *h)))
		rc = -ENOMEM;
	/* A listing filtered for its caller is not kept for the next one. */
	bool jobs = rc == 0 && (is_jobs_node(&n) || fs_state.shared);
	fs_node_clear(&n);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	h->type = FS_HANDLE_DIR;
	h->ino = ino;
	fi->fh = (uint64_t)(uintptr_t)h;
	/* Listings are snapshots the kernel may keep: every change either goes
	 * through the kernel or is invalidated from the change log. */
	if (!jobs) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	fuse_reply_open(req, fi);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	free((fs_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

struct dirfill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
	bool plus;
	bool full;
	fs_handle *dh;
	mgr_principal who;       /* lists only what they can see */
};

/* Add one entry; NODE supplies the attributes.  AFTER is the key this entry
 * resumes from (the raw name).  Returns false once the buffer is full. */
static bool dir_add(struct dirfill *df, const char *name, fs_node *node, off_t off,
		    const char *after)
{
	size_t need;
	if (df->plus) {
		struct fuse_entry_param e;
		if (node_entry(node, &e))
			memset(&e, 0, sizeof e);   /* listed without attributes */
		need = fuse_add_direntry_plus(df->req, df->buf + df->used, df->size - df->used, name,
					      &e, off);
	} else {
		struct stat st;
		fs_node_attr(node, &st);
		need = fuse_add_direntry(df->req, df->buf + df->used, df->size - df->used, name, &st,
					 off);
	}
	if (need > df->size - df->used) {
		df->full = true;
		return false;
	}
	df->used += need;
	df->dh->last_off = off;
	snprintf(df->dh->last_name, sizeof df->dh->last_name, "%s", after ? after : name);
	return true;
}

/* The name to resume after when the kernel asks for offset OFF (an object id
 * + 2) without the handle having stopped there (seekdir, or a new handle). */
static int resume_name(fs_node *dir, off_t off, char *after, size_t cap)
{
	uint64_t id = (uint64_t)off - 2;
	store_txn *txn = NULL;
	store_kind kind;
	store_object obj;
	int rc = store_read_begin(dir->p->store, &txn);
	if (rc == 0)
		rc = store_object_by_id(txn, id, &kind, &obj);
	store_abort(txn);
	if (rc)
		return rc;
	switch (kind) {
	case STORE_KIND_DATABASE: snprintf(after, cap, "%s", obj.database.name); break;
	case STORE_KIND_TABLE:
		snprintf(after, cap, "%s", obj.table.name);
		store_table_clear(&obj.table);
		break;
	case STORE_KIND_PNODE: snprintf(after, cap, "%s", obj.pnode.value); break;
	case STORE_KIND_FILE: snprintf(after, cap, "%s", obj.file.name); break;
	default: return -ENOENT;
	}
	return 0;
}

static int list_catalog(struct dirfill *df, fs_node *dir, const char *after)
{
	store_txn *txn = NULL;
	store_iter *it = NULL;
	mgr_platform *p = dir->p;
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	fs_node child;
	memset(&child, 0, sizeof child);
	child.p = p;
	child.view_target = dir->view_target;
	switch (dir->kind) {
	case FS_KIND_PLATFORM:
		rc = store_iter_databases(txn, after, &it);
		child.kind = FS_KIND_DATABASE;
		while (rc == 0 && (rc = store_iter_next(it, &child.db)) == 0) {
			if (!fs_node_visible(&df->who, &child))
				continue;
			child.ino = fs_ino_of(p, FS_KIND_DATABASE, child.db.id);
			if (!dir_add(df, child.db.name, &child, (off_t)child.db.id + 2, NULL))
				break;
		}
		break;
	case FS_KIND_DATABASE:
		rc = store_iter_tables(txn, dir->db.name, after, &it);
		child.kind = FS_KIND_TABLE;
		while (rc == 0 && (rc = store_iter_next(it, &child.table)) == 0) {
			child.have_table = true;
			bool seen = fs_node_visible(&df->who, &child);
			child.have_table = false;
			if (!seen) {
				store_table_clear(&child.table);
				continue;
			}
			child.ino = fs_ino_of(p, FS_KIND_TABLE, child.table.id);
			bool more = dir_add(df, child.table.name, &child, (off_t)child.table.id + 2, NULL);
			store_table_clear(&child.table);
			if (!more)
				break;
		}
		break;
	case FS_KIND_TABLE:
	case FS_KIND_PNODE: {
		bool files = dir->kind == FS_KIND_TABLE ? dir->table.npartkeys == 0 : dir->pn.leaf;
		if (dir->kind == FS_KIND_TABLE && !dir->table.has_schema)
			break;
		if (files) {
			rc = store_iter_files(txn, dir->kind == FS_KIND_TABLE ? dir->table.id : dir->pn.id,
					      after, &it);
			child.kind = FS_KIND_FILE;
			while (rc == 0 && (rc = store_iter_next(it, &child.file)) == 0) {
				child.ino = fs_view_ino(dir, FS_KIND_FILE, child.file.id);
				child.size = child.file.bytes;
				if (!dir_add(df, child.file.name, &child, (off_t)child.file.id + 2, NULL))
					break;
			}
			break;
		}
		rc = store_iter_pnodes(txn, dir->table.id, dir->kind == FS_KIND_TABLE ? 0 : dir->pn.id,
				       after, &it);
		child.kind = FS_KIND_PNODE;
		while (rc == 0 && (rc = store_iter_next(it, &child.pn)) == 0) {
			char name[STORE_NAME_MAX * 3 + 2];
			child.ino = fs_view_ino(dir, FS_KIND_PNODE, child.pn.id);
			if (mgr_pnode_name(&dir->table, &child.pn, name, sizeof name))
				continue;
			if (!dir_add(df, name, &child, (off_t)child.pn.id + 2, child.pn.value))
				break;
		}
		break;
	}
	default:
		rc = -ENOTDIR;
	}
	store_iter_close(it);
	store_abort(txn);
	return rc == -ENOENT ? 0 : rc;
}

static bool jobs_add(void *ctx, const char *name, fuse_ino_t ino, off_t off)
{
	fs_node child;
	if (fs_node_load(ino, &child))
		return true;   /* gone meanwhile: skip it */
	bool more = dir_add(ctx, name, &child, off, NULL);
	fs_node_clear(&child);
	return more;
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	count(FS_OP_READDIR);
	fs_handle *dh = (fs_handle *)(uintptr_t)fi->fh;
	fs_node dir;
	struct dirfill df = {req, NULL, size, 0, plus, false, dh, fs_principal(req)};
	int rc = fs_node_load(ino, &dir);
	if (rc == 0 && !(df.buf = malloc(size)))
		rc = -ENOMEM;
	if (rc)
		goto out;
	fs_node dot;
	memset(&dot, 0, sizeof dot);
	dot.kind = FS_KIND_GLOBAL;
	dot.id = FS_GLOBAL_ROOT;
	dot.ino = ino;
	if (off < 1 && !dir_add(&df, ".", &dot, 1, NULL))
		goto out;
	dot.ino = FUSE_ROOT_ID;
	if (off < 2 && !dir_add(&df, "..", &dot, 2, NULL))
		goto out;
	if (fs_jobs_is_dir(&dir)) {
		rc = fs_jobs_readdir(&dir, off, jobs_add, &df);
		goto out;
	}
	if (fs_sync_is_dir(&dir)) {
		rc = fs_sync_readdir(&dir, off, jobs_add, &df);
		goto out;
	}
	if (dir.kind == FS_KIND_GLOBAL) {
		/* The root lists the platforms, jobs and .metafs; .metafs its files. */
		static const unsigned root_globals[] = {FS_GLOBAL_JOBS, FS_GLOBAL_SYNC, FS_GLOBAL_PIPELINES,
							FS_GLOBAL_METADIR};
		static const unsigned meta_files[] = {FS_GLOBAL_VERSION, FS_GLOBAL_METRICS, FS_GLOBAL_EVENTS,
						      FS_GLOBAL_LOG, FS_GLOBAL_AUDIT, FS_GLOBAL_GRANTS,
						      FS_GLOBAL_ROLES};
		bool root = dir.id == FS_GLOBAL_ROOT;
		unsigned nplat = mgr_platform_count(fs_state.m);
		unsigned total = root ? nplat + 4 : sizeof meta_files / sizeof meta_files[0];
		for (unsigned i = off < 2 ? 0 : (unsigned)(off - 2); i < total; i++) {
			fs_node child;
			const char *name;
			if (root && i < nplat) {
				mgr_platform *p = mgr_platform_at(fs_state.m, i);
				rc = fs_node_load(fs_ino_of(p, FS_KIND_PLATFORM, 0), &child);
				name = p->name;
				if (rc == 0 && !fs_node_visible(&df.who, &child))
					continue;   /* a platform the caller has nothing on */
			} else {
				unsigned gid = root ? root_globals[i - nplat] : meta_files[i];
				rc = fs_node_load(fs_ino_make(0, FS_KIND_GLOBAL, gid), &child);
				name = fs_global_name(gid);
			}
			if (rc || !dir_add(&df, name, &child, (off_t)i + 3, NULL))
				break;
		}
		goto out;
	}
	char after_buf[STORE_NAME_MAX + 1];
	const char *after = NULL;
	if (off > 2) {
		if (off == dh->last_off) {
			after = dh->last_name;
		} else if (resume_name(&dir, off, after_buf, sizeof after_buf) == 0) {
			after = after_buf;
		} else {
			goto out;    /* the entry we stopped at is gone: end the listing */
		}
		snprintf(after_buf, sizeof after_buf, "%s", after);
		after = after_buf;
	}
	rc = list_catalog(&df, &dir, after);
out:
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, df.buf, df.used);
	free(df.buf);
	fs_node_clear(&dir);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

/* A mirror's source seen from the target, and a mirrored table itself, are
 * kept by their sync rule: the mount serves them read-only. */
static bool read_only_node(const fs_node *n)
{
	return n->view_target || (n->have_table && mgr_mirror_maintained(fs_state.m, &n->table));
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)mode;
	count(FS_OP_MKDIR);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mgr_principal who = fs_principal(req);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	int rc = fs_node_load(parent, &p);
	fuse_ino_t ino = 0;
	if (rc)
		goto out;
	if (read_only_node(&p)) {
		rc = -EROFS;
		goto out;
	}
	/* A database needs CREATE on the platform, a table CREATE on the
	 * database, a partition MODIFY on its table. */
	if (p.kind == FS_KIND_PLATFORM || p.kind == FS_KIND_DATABASE)
		rc = fs_node_authorize(&who, &p, MGR_PRIV_CREATE, "create");
	else if (p.kind == FS_KIND_TABLE || p.kind == FS_KIND_PNODE)
		rc = fs_node_authorize(&who, &p, MGR_PRIV_MODIFY, "create");
	if (rc)
		goto out;
	switch (p.kind) {
	case FS_KIND_PLATFORM: {
		store_database db;
		rc = mgr_database_create(p.p, name, ctx->uid, ctx->gid, STORE_ORIGIN_FS, &db);
		ino = fs_ino_of(p.p, FS_KIND_DATABASE, db.id);
		break;
	}
	case FS_KIND_DATABASE: {
		store_table t = {0};
		rc = mgr_table_create(p.p, p.db.name, name, ctx->uid, ctx->gid, STORE_ORIGIN_FS, &t);
		ino = fs_ino_of(p.p, FS_KIND_TABLE, t.id);
		store_table_clear(&t);
		break;
	}
	case FS_KIND_TABLE:
	case FS_KIND_PNODE: {
		store_pnode pn;
		if (!p.table.has_schema) {
			mgr_log(MGR_LOG_WARN, "refused mkdir \"%.80s\" in %s.%s.%s: the table has no schema "
					      "yet (write its .schema first)", name, p.p->name, p.table.db,
				p.table.name);
			rc = -EPERM;
		} else if (p.table.npartkeys == 0 || (p.kind == FS_KIND_PNODE && p.pn.leaf)) {
			mgr_log(MGR_LOG_WARN, "refused mkdir \"%.80s\" in %s.%s.%s: %s", name, p.p->name,
				p.table.db, p.table.name,
				p.table.npartkeys == 0 ? "the table is not partitioned"
						       : "a partition holds files, not directories");
			rc = -EPERM;
		} else {
			rc = mgr_pnode_create(p.p, &p.table, p.kind == FS_KIND_TABLE ? 0 : p.pn.id, name,
					      ctx->uid, ctx->gid, STORE_ORIGIN_FS, &pn);
			ino = fs_ino_of(p.p, FS_KIND_PNODE, pn.id);
		}
		break;
	}
	case FS_KIND_GLOBAL:
		rc = p.id == FS_GLOBAL_ROOT || p.id == FS_GLOBAL_METADIR || p.id >= FS_GLOBAL_JOBS
			     ? -EACCES : -ENOTDIR;
		break;
	default:
		rc = -ENOTDIR;
	}
	if (rc == 0)
		rc = fs_node_load(ino, &child);
out:
	reply_entry_or_err(req, rc, &child);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_RMDIR);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(parent, &p);
	if (rc == 0)
		rc = fs_node_lookup(&p, name, &child);
	if (rc == 0)
		rc = fs_check_lookup(&who, &child);
	if (rc == 0 && (read_only_node(&p) || read_only_node(&child)))
		rc = -EROFS;
	else if (rc == 0) {
		switch (child.kind) {
		case FS_KIND_DATABASE:   /* dropping: ADMIN on it (owners have it) */
			rc = fs_node_authorize(&who, &child, MGR_PRIV_ADMIN, "drop");
			if (rc == 0)
				rc = mgr_database_drop(child.p, child.db.name, STORE_ORIGIN_FS);
			break;
		case FS_KIND_TABLE:
			rc = fs_node_authorize(&who, &child, MGR_PRIV_ADMIN, "drop");
			if (rc == 0)
				rc = mgr_table_drop(child.p, child.table.db, child.table.name, STORE_ORIGIN_FS);
			break;
		case FS_KIND_PNODE:   /* the parent (table or partition) carries the table */
			rc = fs_node_authorize(&who, &p, MGR_PRIV_MODIFY, "drop");
			if (rc == 0)
				rc = mgr_pnode_drop(child.p, &p.table, child.pn.id, STORE_ORIGIN_FS);
			break;
		case FS_KIND_PLATFORM:
		case FS_KIND_JOBDIR:    /* runs are history: kept */
			rc = -EACCES;
			break;
		case FS_KIND_GLOBAL:
			rc = child.id == FS_GLOBAL_METADIR ? -EACCES : -ENOTDIR;
			break;
		default:
			rc = -ENOTDIR;
		}
	}
	fuse_reply_err(req, -rc);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

/* ---- files ---------------------------------------------------------------------- */

/* The container a data file may be created in, or an error saying why not. */
static int file_container(fs_node *dir, uint64_t *container)
{
	switch (dir->kind) {
	case FS_KIND_TABLE:
		if (!dir->table.has_schema)
			return -EPERM;
		if (dir->table.npartkeys)
			return -EPERM;
		*container = dir->table.id;
		return 0;
	case FS_KIND_PNODE:
		if (!dir->pn.leaf)
			return -EPERM;
		*container = dir->pn.id;
		return 0;
	case FS_KIND_PLATFORM:
	case FS_KIND_DATABASE:
		return -EPERM;
	case FS_KIND_GLOBAL:
		return -EACCES;
	default:
		return -ENOTDIR;
	}
}

/* A symlink in the data store, or a path leaving it (refused, logged and
 * audited by the manager), is a permission error to the caller. */
static int refusal_errno(int rc)
{
	return rc == -ELOOP || rc == -EXDEV ? -EACCES : rc;
}

static bool reserved_name(const char *name)
{
	return !strcmp(name, FS_SCHEMA_NAME) || !strcmp(name, FS_TABLEMETA_NAME) ||
	       !strcmp(name, FS_PARTMETA_NAME);
}

static int open_writer(fs_node *dir_or_file, uint64_t table_id, uint64_t container,
		       const char *name, uint64_t file_id, bool keep, const struct fuse_ctx *ctx,
		       fs_handle **out)
{
	fs_handle *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	int rc = mgr_writer_open(dir_or_file->p, table_id, container, name, file_id, keep, ctx->uid,
				 ctx->gid, &h->writer);
	if (rc) {
		free(h);
		return refusal_errno(rc);
	}
	h->type = FS_HANDLE_WRITER;
	h->ino = fs_ino_of(dir_or_file->p, FS_KIND_FILE, mgr_writer_id(h->writer));
	h->container_id = container;
	h->parent = fs_ino_of(dir_or_file->p, container == table_id ? FS_KIND_TABLE : FS_KIND_PNODE,
			      container);
	snprintf(h->name, sizeof h->name, "%s", name);
	fs_writers_add(h);
	*out = h;
	return 0;
}

/* jobs/NAME.sql: a handle that submits what is written when it is closed. */
static void create_job_file(fuse_req_t req, fs_node *dir, const char *name,
			    struct fuse_file_info *fi)
{
	fuse_ino_t ino = 0;
	fs_node child;
	memset(&child, 0, sizeof child);
	fs_handle *h = calloc(1, sizeof *h);
	bool sync = fs_sync_is_dir(dir);
	mgr_principal who = fs_principal(req);
	int rc = !h ? -ENOMEM : sync ? 0 : fs_check_submit(&who);
	if (rc == 0)
		rc = sync ? fs_sync_create(dir, name, h, &ino) : fs_jobs_create(dir, name, &ino);
	if (h)
		h->who = who;
	struct fuse_entry_param e;
	if (rc == 0 && sync) {
		/* The rule exists only once its definition is written and closed. */
		memset(&e, 0, sizeof e);
		e.ino = ino;
		e.attr.st_ino = ino;
		e.attr.st_mode = S_IFREG | 0644;
		e.attr.st_nlink = 1;
		e.attr.st_uid = fs_state.uid;
		e.attr.st_gid = fs_state.gid;
		/* Until it is closed the rule does not exist, and a getattr would say
		 * so: let the kernel keep these attributes for the open. */
		e.attr_timeout = 1.0;
	} else {
		if (rc == 0)
			rc = fs_node_load(ino, &child);
		if (rc == 0)
			rc = fs_jobs_open(&child, true, h);
		if (rc == 0)
			rc = node_entry(&child, &e);
	}
	if (rc) {
		free(h);
		fuse_reply_err(req, -rc);
	} else {
		h->ino = ino;
		fi->fh = (uint64_t)(uintptr_t)h;
		fi->direct_io = 1;
		if (fuse_reply_create(req, &e, fi) == -ENOENT)
			free(h);
	}
	fs_node_clear(&child);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)mode;
	count(FS_OP_CREATE);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	uint64_t container = 0;
	fs_handle *h = NULL;
	int rc = fs_node_load(parent, &p);
	if (rc == 0 && is_jobs_node(&p)) {
		create_job_file(req, &p, name, fi);
		fs_node_clear(&p);
		return;
	}
	mgr_principal who = fs_principal(req);
	if (rc == 0 && read_only_node(&p))
		rc = -EROFS;
	if (rc == 0)
		rc = file_container(&p, &container);
	if (rc == 0 && reserved_name(name))
		rc = -EPERM;
	if (rc == 0)
		rc = fs_node_authorize(&who, &p, MGR_PRIV_MODIFY, "write");
	if (rc == 0)
		rc = open_writer(&p, p.table.id, container, name, 0, false, fuse_req_ctx(req), &h);
	if (rc == 0)
		rc = fs_node_load(h->ino, &child);
	struct fuse_entry_param e;
	if (rc == 0)
		rc = node_entry(&child, &e);
	if (rc) {
		if (rc == -EPERM)
			mgr_log(MGR_LOG_WARN, "refused to create file \"%.80s\": data files live in leaf "
					      "partitions, or in an unpartitioned table with a schema", name);
		if (h) {
			fs_writers_remove(h);
			mgr_writer_close(h->writer);
			free(h);
		}
		fuse_reply_err(req, -rc);
	} else {
		fi->fh = (uint64_t)(uintptr_t)h;
		if (fuse_reply_create(req, &e, fi) == -ENOENT) {
			fs_writers_remove(h);   /* the caller was interrupted */
			mgr_writer_close(h->writer);
			free(h);
		}
	}
	fs_node_clear(&child);
	fs_node_clear(&p);
}

static int open_data_file(fs_node *n, struct fuse_file_info *fi, const struct fuse_ctx *ctx,
			  fs_handle **out)
{
	if (n->in_progress)
		return -EBUSY;
	uint64_t container = n->file.pnode_id;
	if ((fi->flags & O_ACCMODE) != O_RDONLY)
		return open_writer(n, n->table.id, container, n->file.name, n->file.id,
				   !(fi->flags & O_TRUNC), ctx, out);
	char path[PATH_MAX];
	store_txn *txn = NULL;
	const char *data_dir = n->p->data_dir;
	store_table where = n->table;   /* shallow: only db and name may change */
	mgr_platform *src;
	store_table st = {0};
	if (!n->view_target && mgr_is_mirror(&n->table)) {
		/* A mirrored partition's bytes stay in the source's data store. */
		if (mgr_mirror_source(fs_state.m, &n->table, &src, &st))
			return -ENOENT;
		data_dir = src->data_dir;
		memcpy(where.db, st.db, sizeof where.db);
		memcpy(where.name, st.name, sizeof where.name);
		store_table_clear(&st);
	}
	int rc = store_read_begin(n->p->store, &txn);
	if (rc == 0)
		rc = store_data_path(txn, data_dir, &where, container, n->file.name, path, sizeof path);
	store_abort(txn);
	if (rc)
		return rc;
	fs_handle *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	h->type = FS_HANDLE_READ_FD;
	h->ino = n->ino;
	/* A mirror's data goes through its exchange (masks, dropped columns). */
	bool masked = false;
	rc = mgr_exchange_open_data(fs_state.m, n->p, &n->table, n->view_target, &n->file, path,
				    ctx->uid, &h->fd, &masked);
	if (rc) {
		free(h);
		return refusal_errno(rc);
	}
	fi->direct_io = masked;   /* its size is the transform's, not the record's */
	*out = h;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	count(FS_OP_OPEN);
	fs_node n;
	fs_handle *h = NULL;
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(ino, &n);
	if (rc)
		goto out;
	if (is_dir(&n)) {
		rc = -EISDIR;
	} else if (writing && read_only_node(&n)) {
		rc = -EROFS;
	} else if ((rc = fs_check_open(&who, &n, writing))) {
		/* refused (and audited) */
	} else if (n.kind == FS_KIND_GLOBAL && n.id == FS_GLOBAL_AUDIT) {
		/* Served from the file itself, read with direct_io. */
		if (writing)
			rc = -EACCES;
		else if (!(h = calloc(1, sizeof *h)))
			rc = -ENOMEM;
		else {
			h->type = FS_HANDLE_READ_FD;
			h->ino = ino;
			h->fd = open(mgr_audit_path(fs_state.m), O_RDONLY | O_CLOEXEC);
			if (h->fd < 0)
				rc = -errno;
		}
	} else if (fs_jobs_kind(n.kind) || n.kind == FS_KIND_SYNC || n.kind == FS_KIND_VIEW) {
		if (!(h = calloc(1, sizeof *h)))
			rc = -ENOMEM;
		else {
			h->ino = ino;
			rc = n.kind == FS_KIND_SYNC ? fs_sync_open(&n, writing, h)
			     : n.kind == FS_KIND_VIEW ? (writing ? -EROFS : fs_view_open_refresh(&n, h))
						      : fs_jobs_open(&n, writing, h);
		}
	} else if (writing && read_only_node(&n)) {
		rc = -EROFS;
	} else if (n.kind == FS_KIND_FILE) {
		rc = open_data_file(&n, fi, fuse_req_ctx(req), &h);
	} else if (writing && !(n.kind == FS_KIND_SCHEMA && !n.table.has_schema)) {
		rc = -EACCES;
	} else if (!(h = calloc(1, sizeof *h))) {
		rc = -ENOMEM;
	} else if (writing) {
		h->type = FS_HANDLE_SCHEMA_WRITE;
		h->ino = ino;
	} else {
		h->type = FS_HANDLE_TEXT;
		h->ino = ino;
		rc = fs_node_render(&n, &h->text);
	}
	if (rc == 0 && h)
		h->who = who;
	if (rc == 0 && ((h->type != FS_HANDLE_READ_FD && h->type != FS_HANDLE_WRITER) ||
			n.kind == FS_KIND_GLOBAL))
		fi->direct_io = 1;   /* size comes from the rendering, not the kernel's cache */
out:
	if (rc) {
		if (h)
			textbuf_free(&h->text);
		free(h);
		fuse_reply_err(req, -rc);
	} else {
		fi->fh = (uint64_t)(uintptr_t)h;
		fuse_reply_open(req, fi);
	}
	fs_node_clear(&n);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	count(FS_OP_READ);
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	if (h->type == FS_HANDLE_READ_FD || h->type == FS_HANDLE_WRITER) {
		struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
		buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		buf.buf[0].fd = h->type == FS_HANDLE_READ_FD ? h->fd : mgr_writer_fd(h->writer);
		buf.buf[0].pos = off;
		fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
		return;
	}
	if (h->type == FS_HANDLE_JOB_WAIT || h->type == FS_HANDLE_SYNC_RUN) {
		/* Blocks this request (not the mount) until the run ends. */
		int rc = h->type == FS_HANDLE_JOB_WAIT ? fs_jobs_wait(req, h) : fs_sync_run(req, h);
		if (rc) {
			fuse_reply_err(req, -rc);
			return;
		}
	}
	size_t len = h->text.len;
	if ((uint64_t)off >= len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	/* Reply from a copy: once the kernel has the bytes the reader may close
	 * the file, and the release (on another thread) frees the handle's text
	 * while this thread is still returning from the reply. */
	size_t n = size < len - (size_t)off ? size : len - (size_t)off;
	char *copy = malloc(n);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, h->text.data + off, n);
	fuse_reply_buf(req, copy, n);
	free(copy);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	count(FS_OP_WRITE);
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	if (h->type == FS_HANDLE_WRITER) {
		ssize_t n = pwrite(mgr_writer_fd(h->writer), data, size, off);
		if (n < 0) {
			int e = errno;
			mgr_log(MGR_LOG_ERROR, "cannot write data file %s: %s", h->name, strerror(e));
			fuse_reply_err(req, e);
			return;
		}
		mgr_writer_touch(h->writer);
		fuse_reply_write(req, (size_t)n);
		return;
	}
	if (h->type != FS_HANDLE_SCHEMA_WRITE && h->type != FS_HANDLE_JOB_SUBMIT &&
	    h->type != FS_HANDLE_SYNC_DEFINE) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if ((uint64_t)off + size > (h->type == FS_HANDLE_JOB_SUBMIT ? MGR_JOB_TEXT_MAX : SCHEMA_TEXT_MAX)) {
		fuse_reply_err(req, EFBIG);
		return;
	}
	if ((size_t)off > h->text.len) {   /* a hole: fill it with blanks */
		while (h->text.len < (size_t)off)
			textbuf_append(&h->text, " ", 1);
	}
	if ((size_t)off + size <= h->text.len) {
		memcpy(h->text.data + off, data, size);
	} else {
		size_t overlap = h->text.len - (size_t)off;
		if (overlap)
			memcpy(h->text.data + off, data, overlap);
		textbuf_append(&h->text, data + overlap, size - overlap);
	}
	h->text_dirty = true;
	if (textbuf_error(&h->text))
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_write(req, size);
}

/* Make what was written visible.  Called on every close (flush) and fsync. */
static int handle_commit(fs_handle *h, const struct fuse_ctx *ctx)
{
	if (h->type == FS_HANDLE_WRITER)
		return refusal_errno(mgr_writer_commit(h->writer, STORE_ORIGIN_FS));
	if (h->type == FS_HANDLE_JOB_SUBMIT)
		return fs_jobs_submit(h, ctx);   /* ctx NULL (release): as h->who */
	if (h->type == FS_HANDLE_SYNC_DEFINE) {
		int rc = fs_sync_define(h);
		return rc == -EINVAL || rc == -EACCES || rc == 0 ? rc : -EIO;
	}
	if (h->type != FS_HANDLE_SCHEMA_WRITE || !h->text_dirty)
		return 0;
	fs_node n;
	int rc = fs_node_load(h->ino, &n);
	if (rc == 0) {
		char err[256];
		rc = mgr_table_define(n.p, n.table.db, n.table.name, h->text.data ? h->text.data : "",
				      h->text.len, STORE_ORIGIN_FS, err, sizeof err);
		if (rc == -EEXIST)
			rc = -EACCES;
		else if (rc)
			rc = -EINVAL;
	}
	fs_node_clear(&n);
	h->text_dirty = false;    /* reported once; a failed schema is not retried at release */
	return rc;
}

/* A data file's commit makes it part of its directory's listing.  The
 * kernel dropped its cached listing when the file was created, but a
 * listing read between the create and this commit was cached without the
 * file: drop it again.  Called after the reply (never inside a handler's
 * exchange with the kernel), with the directory's inode. */
static void listing_changed(fuse_ino_t dir)
{
	if (dir)
		fuse_lowlevel_notify_inval_inode(fs_state.se, dir, 0, 0);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	count(FS_OP_FLUSH);
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	bool wrote = h->type == FS_HANDLE_WRITER && mgr_writer_dirty(h->writer);
	fuse_ino_t dir = h->type == FS_HANDLE_WRITER ? h->parent : 0;
	int rc = handle_commit(h, fuse_req_ctx(req));
	/* Once replied to, the release may free H: nothing of it after. */
	fuse_reply_err(req, -rc);
	if (wrote && rc == 0)
		listing_changed(dir);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	fuse_reply_err(req, -handle_commit((fs_handle *)(uintptr_t)fi->fh, fuse_req_ctx(req)));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	fuse_ino_t changed = 0;
	if (h->type == FS_HANDLE_WRITER) {
		if (mgr_writer_dirty(h->writer)) {
			int rc = mgr_writer_commit(h->writer, STORE_ORIGIN_FS);
			if (rc)
				mgr_log(MGR_LOG_ERROR, "file %s was not committed: %s", h->name,
					store_strerror(rc));
			else
				changed = h->parent;
		}
		fs_writers_remove(h);
		mgr_writer_close(h->writer);
	} else if (h->type == FS_HANDLE_READ_FD) {
		close(h->fd);
	} else if (h->type == FS_HANDLE_SCHEMA_WRITE || h->type == FS_HANDLE_JOB_SUBMIT ||
		   h->type == FS_HANDLE_SYNC_DEFINE) {
		handle_commit(h, NULL);
	}
	textbuf_free(&h->text);
	free(h);
	fuse_reply_err(req, 0);
	listing_changed(changed);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_UNLINK);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(parent, &p);
	if (rc == 0)
		rc = fs_node_lookup(&p, name, &child);
	if (rc == 0)
		rc = fs_check_lookup(&who, &child);
	if (rc == 0 && child.kind == FS_KIND_SYNC) {
		rc = fs_sync_may_remove(&who, &child);
		if (rc == 0)
			rc = fs_sync_unlink(&child);
	} else if (rc == 0 && (read_only_node(&p) || read_only_node(&child))) {
		rc = -EROFS;
	} else if (rc == 0) {
		if (child.kind == FS_KIND_FILE) {
			rc = child.in_progress ? -EBUSY
			     : fs_node_authorize(&who, &p, MGR_PRIV_MODIFY, "delete");
			if (rc == 0)
				rc = mgr_file_drop(p.p, &p.table, child.file.pnode_id, child.file.name,
						   STORE_ORIGIN_FS);
		} else if (is_dir(&child)) {
			rc = -EISDIR;
		} else {
			rc = -EPERM;   /* metadata files go with their object */
		}
	}
	fuse_reply_err(req, -rc);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	count(FS_OP_RENAME);
	fs_node from, to, child, target;
	memset(&to, 0, sizeof to);
	memset(&child, 0, sizeof child);
	memset(&target, 0, sizeof target);
	uint64_t to_container = 0;
	int rc = fs_node_load(parent, &from);
	if (rc == 0)
		rc = fs_node_lookup(&from, name, &child);
	if (rc == 0)
		rc = fs_node_load(newparent, &to);
	if (rc)
		goto out;
	if (read_only_node(&from) || read_only_node(&to) || read_only_node(&child)) {
		rc = -EROFS;
	} else if (flags & RENAME_EXCHANGE) {
		rc = -EINVAL;
	} else if (is_dir(&child)) {
		rc = -EXDEV;   /* mv falls back to copy and delete */
	} else if (child.kind != FS_KIND_FILE) {
		rc = -EPERM;
	} else if (child.in_progress) {
		rc = -EBUSY;
	} else if (to.p != from.p || !to.have_table || to.table.id != from.table.id) {
		rc = -EXDEV;
	} else if ((rc = file_container(&to, &to_container)) == 0 && reserved_name(newname)) {
		rc = -EPERM;
	} else if (rc == 0 && (flags & RENAME_NOREPLACE) &&
		   fs_node_lookup(&to, newname, &target) == 0) {
		rc = -EEXIST;
	}
	if (rc == 0) {
		mgr_principal who = fs_principal(req);
		rc = fs_node_authorize(&who, &from, MGR_PRIV_MODIFY, "rename");
	}
	if (rc == 0)
		rc = mgr_file_rename(from.p, &from.table, child.file.pnode_id, name, to_container,
				     newname, STORE_ORIGIN_FS);
out:
	fuse_reply_err(req, -rc);
	fs_node_clear(&target);
	fs_node_clear(&child);
	fs_node_clear(&to);
	fs_node_clear(&from);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	count(FS_OP_SETATTR);
	fs_node n;
	int rc = fs_node_load(ino, &n);
	if (rc || !(to_set & FUSE_SET_ATTR_SIZE))
		goto reply;   /* modes, owners and times are the catalog's: kept as they are */
	if (n.kind == FS_KIND_JOBSQL && attr->st_size == 0) {
		fs_handle *h = fi ? (fs_handle *)(uintptr_t)fi->fh : NULL;
		if (h && h->type == FS_HANDLE_JOB_SUBMIT) {
			textbuf_reset(&h->text);
			h->text_dirty = true;
		}
	} else if (n.kind == FS_KIND_SCHEMA && !n.table.has_schema && attr->st_size == 0) {
		fs_handle *h = fi ? (fs_handle *)(uintptr_t)fi->fh : NULL;
		if (h && h->type == FS_HANDLE_SCHEMA_WRITE)
			textbuf_reset(&h->text);
	} else if (n.kind == FS_KIND_SYNC && attr->st_size == 0) {
		fs_handle *h = fi ? (fs_handle *)(uintptr_t)fi->fh : NULL;
		if (h && h->type == FS_HANDLE_SYNC_DEFINE) {
			textbuf_reset(&h->text);
			h->text_dirty = true;
		}
	} else if (read_only_node(&n)) {
		rc = -EROFS;
	} else if (n.kind != FS_KIND_FILE) {
		rc = is_dir(&n) ? -EISDIR : -EACCES;
	} else if (fi && ((fs_handle *)(uintptr_t)fi->fh)->type == FS_HANDLE_WRITER) {
		/* opened for writing: MODIFY was checked at the open */
		fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
		if (ftruncate(mgr_writer_fd(h->writer), attr->st_size))
			rc = -errno;
		else
			mgr_writer_touch(h->writer);
	} else if (n.in_progress) {
		rc = -EBUSY;
	} else {
		/* truncate(1) on a closed file: rewrite it through a writer. */
		mgr_writer *w = NULL;
		const struct fuse_ctx *ctx = fuse_req_ctx(req);
		mgr_principal who = fs_principal(req);
		rc = fs_node_authorize(&who, &n, MGR_PRIV_MODIFY, "write");
		if (rc == 0)
			rc = mgr_writer_open(n.p, n.table.id, n.file.pnode_id, n.file.name, n.file.id,
					     true, ctx->uid, ctx->gid, &w);
		if (rc == 0 && ftruncate(mgr_writer_fd(w), attr->st_size))
			rc = -errno;
		if (rc == 0)
			rc = mgr_writer_commit(w, STORE_ORIGIN_FS);
		mgr_writer_close(w);
	}
	if (rc == 0) {
		fs_node_clear(&n);
		rc = fs_node_load(ino, &n);
	}
reply:
	if (rc) {
		fuse_reply_err(req, -rc);
	} else {
		struct stat st;
		double timeout;
		rc = node_stat(&n, &st, &timeout);
		if (rc)
			fuse_reply_err(req, -rc);
		else
			fuse_reply_attr(req, &st, timeout);
	}
	fs_node_clear(&n);
}

/* Links would let a path of the mount lead somewhere else: refused. */
static void refuse_link(fuse_req_t req, fuse_ino_t parent, const char *name, const char *what)
{
	mgr_principal who = fs_principal(req);
	fs_node p;
	mgr_object o;
	char path[3 * (STORE_NAME_MAX + 1) + 2] = "/";
	if (fs_node_load(parent, &p) == 0 && fs_node_object(&p, &o))
		mgr_object_path(&o, path, sizeof path);
	fs_node_clear(&p);
	mgr_log(MGR_LOG_WARN, "refused %s \"%.80s\" in %s from uid %u: the mount holds no links", what,
		name, path, who.uid);
	mgr_audit(fs_state.m, who.uid, what, path, false, 0, "the mount holds no links");
	fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	refuse_link(req, parent, name, "symlink");
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	refuse_link(req, newparent, newname, "link");
}

/* access(2), test -r/-w/-x, chdir: the answers the operations would give. */
static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	mgr_principal who = fs_principal(req);
	fs_node n;
	int rc = fs_node_load(ino, &n);
	if (rc == 0 && (mask & W_OK) && read_only_node(&n))
		rc = -EROFS;
	if (rc == 0)
		rc = fs_check_access(&who, &n, mask);
	fs_node_clear(&n);
	fuse_reply_err(req, -rc);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct statvfs sv;
	mgr_platform *p = mgr_platform_at(fs_state.m, 0);
	if (statvfs(p->data_dir, &sv))
		fuse_reply_err(req, errno);
	else {
		sv.f_namemax = STORE_NAME_MAX;
		fuse_reply_statfs(req, &sv);
	}
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = op_init,
	.destroy = op_destroy,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.create = op_create,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.fsync = op_fsync,
	.release = op_release,
	.unlink = op_unlink,
	.rename = op_rename,
	.statfs = op_statfs,
	.symlink = op_symlink,
	.link = op_link,
	.access = op_access,
};
