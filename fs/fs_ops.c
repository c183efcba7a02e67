/*
 * fs_ops.c - the FUSE low-level request handlers.  This is the only file
 * that calls fuse_reply_*.  Every handler loads its node, takes the node's
 * row (fs_node_ops), calls the member or, where it is NULL, the default,
 * and replies once, at its end; what differs between kinds is in the rows.
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static void count(int op)
{
	__atomic_add_fetch(&fs_state.requests[op], 1, __ATOMIC_RELAXED);
}

/* Every handler starts here: the lines it logs are about UID, the caller (a
 * handle's requests: who opened it), or no one (MGR_LOG_NO_UID).  A FUSE
 * thread serves one request at a time, so no request inherits another's. */
static void log_for(uint32_t uid)
{
	mgr_log_set_uid(uid);
}

static void log_for_caller(fuse_req_t req)
{
	log_for(fs_principal(req).uid);
	fs_snapshot_caller(fuse_req_ctx(req)->pid);   /* whose renderings it sees */
}

static bool is_uncached(const fs_node *n)
{
	return fs_node_flags(n) & FS_NODE_UNCACHED;
}

static void reply_entry_or_err(fuse_req_t req, int rc, fs_node *child)
{
	struct fuse_entry_param e;
	mgr_principal who = fs_principal(req);
	if (rc == 0)
		rc = fs_node_entry(child, &who, &e);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_entry(req, &e);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	log_for(MGR_LOG_NO_UID);
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
	if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
		conn->want &= ~FUSE_CAP_CACHE_SYMLINKS;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	fs_state.atomic_o_trunc = (conn->want & FUSE_CAP_ATOMIC_O_TRUNC) != 0;
	if (fs_invalidator_start())
		mgr_log(MGR_LOG_ERROR, "cannot start the cache invalidator: changes made by other "
				       "processes will show only when cached entries expire");
}

static void op_destroy(void *userdata)
{
	(void)userdata;
	log_for(MGR_LOG_NO_UID);
	fs_invalidator_stop();
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_LOOKUP);
	log_for_caller(req);
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
					     .entry_timeout = is_uncached(&p) ? 0 : fs_state.entry_timeout};
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
	log_for(MGR_LOG_NO_UID);
	fuse_reply_none(req);   /* nothing to release: inodes are addresses */
}

static void op_forget_multi(fuse_req_t req, size_t count_, struct fuse_forget_data *forgets)
{
	(void)count_;
	(void)forgets;
	log_for(MGR_LOG_NO_UID);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	count(FS_OP_GETATTR);
	log_for_caller(req);
	fs_node n;
	struct stat st;
	double timeout = 0;
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(ino, &n);
	if (rc == 0)
		rc = fs_check_lookup(&who, &n);
	if (rc == 0)
		rc = fs_node_stat(&n, &who, &st, &timeout);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, timeout);
	fs_node_clear(&n);
}

/* ---- directories ---------------------------------------------------------------- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	log_for_caller(req);
	fs_node n;
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(ino, &n);
	if (rc == 0 && !fs_node_is_dir(&n))
		rc = -ENOTDIR;
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&n);
		rc = ops->check_list ? ops->check_list(&who, &n) : fs_check_list(&who, &n);
	}
	fs_handle *h = NULL;
	if (rc == 0 && !(h = calloc(1, sizeof *h)))
		rc = -ENOMEM;
	/* A listing filtered for its caller is not kept for the next one. */
	bool uncached = rc == 0 && (is_uncached(&n) || fs_state.shared);
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
	if (!uncached) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	fuse_reply_open(req, fi);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	log_for(MGR_LOG_NO_UID);
	free((fs_handle *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	count(FS_OP_READDIR);
	log_for_caller(req);
	fs_handle *dh = (fs_handle *)(uintptr_t)fi->fh;
	fs_node dir;
	fs_dirfill df = {req, NULL, size, 0, plus, false, dh, fs_principal(req)};
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
	if (off < 1 && !fs_dir_add(&df, ".", &dot, 1, NULL))
		goto out;
	dot.ino = FUSE_ROOT_ID;
	if (off < 2 && !fs_dir_add(&df, "..", &dot, 2, NULL))
		goto out;
	const struct fs_kind_ops *ops = fs_node_ops(&dir);
	rc = ops->readdir ? ops->readdir(&dir, off, &df) : -ENOTDIR;
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

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)mode;
	count(FS_OP_MKDIR);
	log_for_caller(req);
	mgr_principal who = fs_principal(req);
	fs_node p, child;
	memset(&child, 0, sizeof child);
	fuse_ino_t ino = 0;
	int rc = fs_node_load(parent, &p);
	if (rc == 0 && fs_node_read_only(&p))
		rc = -EROFS;
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&p);
		rc = ops->mkdir ? ops->mkdir(&p, name, &who, &ino) : -ENOTDIR;
	}
	if (rc == 0)
		rc = fs_node_load(ino, &child);
	reply_entry_or_err(req, rc, &child);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

/* rmdir and unlink: load PARENT and its child NAME, which WHO must be able
 * to see and which must not be read-only.  The caller clears both nodes,
 * whatever the result. */
static int load_removable(fuse_ino_t parent, const char *name, const mgr_principal *who,
			  fs_node *p, fs_node *child)
{
	memset(child, 0, sizeof *child);
	int rc = fs_node_load(parent, p);
	if (rc == 0)
		rc = fs_node_lookup(p, name, child);
	if (rc == 0)
		rc = fs_check_lookup(who, child);
	if (rc == 0 && (fs_node_read_only(p) || fs_node_read_only(child)))
		rc = -EROFS;
	return rc;
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_RMDIR);
	log_for_caller(req);
	fs_node p, child;
	mgr_principal who = fs_principal(req);
	int rc = load_removable(parent, name, &who, &p, &child);
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&child);
		rc = ops->rmdir ? ops->rmdir(&p, &child, &who) : -ENOTDIR;
	}
	fuse_reply_err(req, -rc);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

/* ---- files ---------------------------------------------------------------------- */

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)mode;
	count(FS_OP_CREATE);
	log_for_caller(req);
	fs_node p;
	struct fuse_entry_param e;
	fs_handle *h = calloc(1, sizeof *h);
	int rc = fs_node_load(parent, &p);
	if (rc == 0 && !h)
		rc = -ENOMEM;
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&p);
		h->who = fs_principal(req);
		h->fd = -1;
		rc = ops->create ? ops->create(&p, name, &h->who, h, &e)
				 : fs_node_read_only(&p) ? -EROFS : -ENOTDIR;
	}
	if (rc) {
		fs_handle_discard(h);
		fuse_reply_err(req, -rc);
	} else {
		fi->fh = (uint64_t)(uintptr_t)h;
		if (h->type != FS_HANDLE_WRITER)
			fi->direct_io = 1;   /* size comes from the rendering, not the kernel's cache */
		if (fuse_reply_create(req, &e, fi) == -ENOENT)
			fs_handle_discard(h);   /* the caller was interrupted */
	}
	fs_node_clear(&p);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	count(FS_OP_OPEN);
	log_for_caller(req);
	fs_node n;
	fs_handle *h = NULL;
	bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	mgr_principal who = fs_principal(req);
	const struct fs_kind_ops *ops = NULL;
	int rc = fs_node_load(ino, &n);
	if (rc)
		goto out;
	ops = fs_node_ops(&n);
	if (fs_node_is_dir(&n))
		rc = -EISDIR;
	else if (writing && fs_node_read_only(&n))
		rc = -EROFS;
	else if (ops->check_open)
		rc = ops->check_open(&who, &n, writing);   /* audited */
	else
		rc = fs_check_open(&who, &n, writing);
	if (rc == 0 && !(h = calloc(1, sizeof *h)))
		rc = -ENOMEM;
	if (rc)
		goto out;
	h->ino = ino;
	h->who = who;
	h->fd = -1;
	/* A generated file serves the rendering a stat of this process just
	 * reported (fs_snapshot.c), or a new one. */
	uint64_t len = 0;
	int snap = writing ? -ENODATA : fs_snapshot_take(&n, &who, h, &len);
	if (snap < 0 && snap != -ENODATA) {
		rc = snap;
	} else if (snap == 0) {
		h->type = FS_HANDLE_TEXT;
	} else if (ops->open) {
		rc = ops->open(&n, writing, h, fi);
		if (rc == 0 && snap == 1 && h->type == FS_HANDLE_READ_FD) {
			h->limited = true;   /* no further than the size the stat reported */
			h->limit = len;
		}
	} else if (writing) {
		rc = -EACCES;
	} else {
		h->type = FS_HANDLE_TEXT;
		rc = fs_node_render(&n, &h->text);
	}
	/* A generated file's reads are served from the open's own rendering,
	 * never from the kernel's page cache: the kernel keeps one size and one
	 * cache per inode, and two opens of a changing file (a growing log,
	 * metrics) hold different renderings.  Their size is the rendering's
	 * (fs_snapshot.c); direct_io keeps each open's reads to its own. */
	if (rc == 0 && h->type != FS_HANDLE_READ_FD && h->type != FS_HANDLE_WRITER)
		fi->direct_io = 1;
out:
	if (rc) {
		fs_handle_discard(h);
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
	log_for(h->who.uid);
	if (h->type == FS_HANDLE_READ_FD || h->type == FS_HANDLE_WRITER) {
		if (h->limited) {   /* the audit log: what the stat reported */
			if ((uint64_t)off >= h->limit) {
				fuse_reply_buf(req, NULL, 0);
				return;
			}
			if (size > h->limit - (uint64_t)off)
				size = (size_t)(h->limit - (uint64_t)off);
		}
		struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
		buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		buf.buf[0].fd = h->type == FS_HANDLE_READ_FD ? h->fd : mgr_writer_fd(h->writer);
		buf.buf[0].pos = off;
		fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
		return;
	}
	if (h->prepare_read) {
		/* Blocks this request (not the mount) until the run ends. */
		int rc = h->prepare_read(req, h);
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
	log_for(h->who.uid);
	if (h->type == FS_HANDLE_WRITER) {
		int rc = mgr_writer_stage(h->writer);
		if (rc) {
			fuse_reply_err(req, -rc);
			return;
		}
		ssize_t n = pwrite(mgr_writer_fd(h->writer), data, size, off);
		if (n < 0) {
			int e = errno;
			mgr_log(MGR_LOG_ERROR, "cannot write data file %s: %s", h->name, strerror(e));
			/* The file lacks bytes its writer meant it to have: never commit it. */
			mgr_writer_fail(h->writer, -e);
			fuse_reply_err(req, e);
			return;
		}
		mgr_writer_touch(h->writer);
		h->wrote = true;
		fuse_reply_write(req, (size_t)n);
		return;
	}
	if (h->text_max == 0) {   /* not a text being written */
		fuse_reply_err(req, EBADF);
		return;
	}
	if ((uint64_t)off + size > h->text_max) {
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

/* A time set while H was open for writing (set_times): recorded once its
 * bytes are committed. */
static void writer_times(fs_handle *h)
{
	if (h->type != FS_HANDLE_WRITER || !h->mtime_ns || mgr_writer_dirty(h->writer) ||
	    mgr_writer_failed(h->writer))
		return;
	int rc = mgr_writer_set_mtime(h->writer, h->mtime_ns);
	if (rc && rc != -ENOENT)
		mgr_log(MGR_LOG_ERROR, "the time of file %s was not recorded: %s", h->name,
			store_strerror(rc));
	h->mtime_ns = 0;
}

/* Make what was written visible.  Called on every close (flush) and fsync. */
static int handle_commit(fs_handle *h)
{
	if (!h->commit)
		return 0;
	int rc = h->commit(h);
	fs_snapshot_forget();   /* what it defined shows in the next stat */
	if (rc == 0 && h->type == FS_HANDLE_WRITER && !mgr_writer_dirty(h->writer)) {
		pthread_mutex_lock(&fs_state.writers_lock);
		h->committed = true;
		pthread_mutex_unlock(&fs_state.writers_lock);
	}
	if (rc == 0)
		writer_times(h);
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
	log_for(h->who.uid);
	/* A shell opens a redirection's file, moves it to its descriptor and
	 * closes the first one: a flush before any byte is written.  An
	 * overwrite committed then would show readers an empty file before the
	 * new one; it waits for bytes, or for the release (the last close),
	 * which commits it whatever was written.  A new file is committed at
	 * once: no reader can have seen an older version of it. */
	if (h->type == FS_HANDLE_WRITER && h->overwrite && !h->wrote &&
	    !mgr_writer_failed(h->writer)) {
		fuse_reply_err(req, 0);
		return;
	}
	bool wrote = h->type == FS_HANDLE_WRITER && mgr_writer_dirty(h->writer);
	fuse_ino_t dir = h->type == FS_HANDLE_WRITER ? h->parent : 0;
	int rc = handle_commit(h);
	/* Once replied to, the release may free H: nothing of it after. */
	fuse_reply_err(req, -rc);
	if (wrote && rc == 0)
		listing_changed(dir);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	log_for(h->who.uid);
	fuse_reply_err(req, -handle_commit(h));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	fs_handle *h = (fs_handle *)(uintptr_t)fi->fh;
	log_for(h->who.uid);
	fuse_ino_t changed = 0, dropped = 0, file = 0;
	char name[STORE_NAME_MAX + 1] = "";
	if (h->type == FS_HANDLE_WRITER) {
		if (mgr_writer_dirty(h->writer) || mgr_writer_failed(h->writer)) {
			int rc = mgr_writer_commit(h->writer, STORE_ORIGIN_FS);
			if (rc) {
				mgr_log(MGR_LOG_ERROR, "file %s was not committed: %s", h->name,
					store_strerror(rc));
				/* The kernel knows the name and size of the file in
				 * progress: it must look them up again. */
				dropped = h->parent;
				file = h->ino;
				snprintf(name, sizeof name, "%s", h->name);
			} else {
				changed = h->parent;
			}
		}
		writer_times(h);
	} else {
		handle_commit(h);   /* a close with no caller: committed as who opened it */
	}
	fs_handle_discard(h);
	fuse_reply_err(req, 0);
	listing_changed(changed);
	if (dropped) {
		listing_changed(dropped);
		fuse_lowlevel_notify_inval_entry(fs_state.se, dropped, name, strlen(name));
		fuse_lowlevel_notify_inval_inode(fs_state.se, file, 0, 0);
	}
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	count(FS_OP_UNLINK);
	log_for_caller(req);
	fs_node p, child;
	mgr_principal who = fs_principal(req);
	int rc = load_removable(parent, name, &who, &p, &child);
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&child);
		if (ops->unlink)
			rc = ops->unlink(&p, &child, &who);
		else
			rc = fs_node_is_dir(&child) ? -EISDIR : -EPERM;   /* metadata files go with their object */
	}
	fuse_reply_err(req, -rc);
	fs_node_clear(&child);
	fs_node_clear(&p);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	count(FS_OP_RENAME);
	log_for_caller(req);
	fs_node from, to, child;
	memset(&to, 0, sizeof to);
	memset(&child, 0, sizeof child);
	mgr_principal who = fs_principal(req);
	int rc = fs_node_load(parent, &from);
	if (rc == 0)
		rc = fs_node_lookup(&from, name, &child);
	if (rc == 0)
		rc = fs_node_load(newparent, &to);
	if (rc)
		goto out;
	const struct fs_kind_ops *ops = fs_node_ops(&child);
	if (fs_node_read_only(&from) || fs_node_read_only(&to) || fs_node_read_only(&child))
		rc = -EROFS;
	else if (flags & RENAME_EXCHANGE)
		rc = -EINVAL;
	else if (fs_node_is_dir(&child))
		rc = -EXDEV;   /* mv falls back to copy and delete */
	else
		rc = ops->rename ? ops->rename(&from, name, &child, &to, newname, flags, &who) : -EPERM;
out:
	fuse_reply_err(req, -rc);
	fs_node_clear(&child);
	fs_node_clear(&to);
	fs_node_clear(&from);
}

#define SET_TIMES (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_ATIME | \
		   FUSE_SET_ATTR_ATIME_NOW)

/* utimensat(2) on N.  A data file keeps its mtime in its record (not a data
 * change: no version, no event); its atime is not kept (it reads as the
 * mtime), so setting the atime alone changes nothing.  Setting either needs
 * MODIFY on the file, as a write does.  The times of directories and
 * metadata files are the catalog's (the last change under them): accepted
 * and left as they are, so that rsync -a and tar -x, which set them too,
 * succeed. */
static int set_times(fs_node *n, const struct stat *attr, int to_set, const mgr_principal *who)
{
	if (n->kind != FS_KIND_FILE || n->view_target)
		return 0;
	if (fs_node_read_only(n))
		return -EROFS;
	int rc = fs_node_authorize(who, n, MGR_PRIV_MODIFY, "write");
	if (rc || !(to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW)))
		return rc;
	int64_t ns = (to_set & FUSE_SET_ATTR_MTIME_NOW)
			     ? store_now_ns()
			     : (int64_t)attr->st_mtim.tv_sec * 1000000000 + attr->st_mtim.tv_nsec;
	/* A file written but not yet committed (tar -x sets the time before
	 * its close): the commit would make its mtime the commit time, so the
	 * time is recorded after it.  A writer whose bytes are committed (a
	 * close whose release has not come yet) has nothing pending.  "Now"
	 * needs nothing: the commit time is later still. */
	bool pending = false;
	pthread_mutex_lock(&fs_state.writers_lock);
	for (fs_handle *h = fs_state.writers; h; h = h->next_writer)
		if (h->ino == n->ino && (n->in_progress || mgr_writer_dirty(h->writer))) {
			h->mtime_ns = (to_set & FUSE_SET_ATTR_MTIME_NOW) ? 0 : ns;
			pending = true;
		}
	pthread_mutex_unlock(&fs_state.writers_lock);
	if (pending || n->in_progress)
		return 0;
	return mgr_file_set_mtime(n->p, n->file.pnode_id, n->file.name, n->file.id, ns);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	count(FS_OP_SETATTR);
	log_for_caller(req);
	fs_node n;
	struct stat st;
	double timeout = 0;
	int rc = fs_node_load(ino, &n);
	/* Modes and owners are the catalog's: kept as they are. */
	if (rc == 0 && (to_set & FUSE_SET_ATTR_SIZE)) {
		const struct fs_kind_ops *ops = fs_node_ops(&n);
		fs_handle *h = fi ? (fs_handle *)(uintptr_t)fi->fh : NULL;
		mgr_principal who = fs_principal(req);
		rc = ops->truncate ? ops->truncate(&n, attr->st_size, h, &who)
				   : fs_node_truncate_refused(&n);
		if (rc == 0) {
			fs_node_clear(&n);
			rc = fs_node_load(ino, &n);
		}
	}
	if (rc == 0 && (to_set & SET_TIMES)) {
		mgr_principal who = fs_principal(req);
		rc = set_times(&n, attr, to_set, &who);
		if (rc == 0) {
			fs_node_clear(&n);
			rc = fs_node_load(ino, &n);
		}
	}
	if (rc == 0) {
		mgr_principal who = fs_principal(req);
		rc = fs_node_stat(&n, &who, &st, &timeout);
	}
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, timeout);
	fs_node_clear(&n);
}

/* Links would let a path of the mount lead somewhere else: refused. */
static void refuse_link(fuse_req_t req, fuse_ino_t parent, const char *name, const char *what)
{
	log_for_caller(req);
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
	log_for_caller(req);
	mgr_principal who = fs_principal(req);
	fs_node n;
	int rc = fs_node_load(ino, &n);
	if (rc == 0 && (mask & W_OK) && fs_node_read_only(&n))
		rc = -EROFS;
	if (rc == 0) {
		const struct fs_kind_ops *ops = fs_node_ops(&n);
		rc = ops->check_access ? ops->check_access(&who, &n, mask) : -EACCES;
	}
	fs_node_clear(&n);
	fuse_reply_err(req, -rc);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	log_for(MGR_LOG_NO_UID);
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
