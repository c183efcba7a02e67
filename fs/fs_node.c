/*
 * fs_node.c - what every node has in common: from inode number to node,
 * attributes and how long the kernel keeps them, name lookup, listings, and
 * the registry of files being written.  What differs between kinds is asked
 * of the node's row (fs_node_ops); a NULL member gets the default here.
 */
#include "fs_int.h"
#include "mgr_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fs fs_state;

fuse_ino_t fs_ino_of(const mgr_platform *p, fs_kind kind, uint64_t id)
{
	return fs_ino_make(p->index + 1, kind, id);
}

void fs_node_clear(fs_node *n)
{
	store_table_clear(&n->table);
	n->have_table = false;
}

int fs_node_load(fuse_ino_t ino, fs_node *n)
{
	memset(n, 0, sizeof *n);
	n->ino = ino;
	n->kind = fs_ino_kind(ino);
	n->id = fs_ino_id(ino);
	unsigned plat = fs_ino_plat(ino);
	const struct fs_kind_ops *ops = fs_node_ops(n);
	if (ops->in_platform != (plat != 0))
		return -ENOENT;
	if (plat && !(n->p = mgr_platform_at(fs_state.m, plat - 1)))
		return -ENOENT;
	int rc = ops->load ? ops->load(n) : 0;
	if (rc)
		fs_node_clear(n);
	return rc;
}

unsigned fs_node_flags(const fs_node *n)
{
	const struct fs_kind_ops *ops = fs_node_ops(n);
	return ops->node_flags ? ops->node_flags(n) : ops->flags;
}

bool fs_node_read_only(const fs_node *n)
{
	return n->view_target || (n->have_table && mgr_mirror_maintained(fs_state.m, &n->table));
}

int fs_node_truncate_refused(const fs_node *n)
{
	if (fs_node_read_only(n))
		return -EROFS;
	return fs_node_is_dir(n) ? -EISDIR : -EACCES;
}

int fs_node_truncate_definition(fs_node *n, off_t size, fs_handle *h, fs_handle_type writing)
{
	if (size != 0)
		return fs_node_truncate_refused(n);
	if (h && h->type == writing) {
		textbuf_reset(&h->text);
		h->text_dirty = true;
	}
	return 0;
}

int fs_refusal_errno(int rc)
{
	return rc == -ELOOP || rc == -EXDEV ? -EACCES : rc;
}

void fs_node_attr(const fs_node *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = n->ino;
	st->st_uid = fs_state.uid;
	st->st_gid = fs_state.gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_mtim.tv_sec = fs_state.home_mtime_ns / 1000000000;
	st->st_mtim.tv_nsec = fs_state.home_mtime_ns % 1000000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
	const struct fs_kind_ops *ops = fs_node_ops(n);
	if (ops->attr)
		ops->attr(n, st);
	if (n->view_target)   /* a mirror's source, seen from the target: read-only */
		st->st_mode &= ~(mode_t)0222;
}

int fs_node_render(fs_node *n, textbuf *out)
{
	const struct fs_kind_ops *ops = fs_node_ops(n);
	return ops->render ? ops->render(n, out) : -EINVAL;
}

/* On a shared mount (allow_other) what a caller may see depends on who
 * asks: the kernel must not answer one user from another's cache. */
static bool per_caller(const fs_node *n)
{
	return fs_state.shared && n->p != NULL;
}

/* Metadata files change whenever the catalog does: their attributes are not
 * cached.  A generated file's size is that of its rendering for WHO, the
 * one the open that follows serves (fs_snapshot.c); a masked data file's
 * that of its transform. */
int fs_node_stat(fs_node *n, const mgr_principal *who, struct stat *st, double *timeout)
{
	unsigned flags = fs_node_flags(n);
	const struct fs_kind_ops *ops = fs_node_ops(n);
	uint64_t len = 0;
	int rc = fs_snapshot_take(n, who, NULL, &len);
	if (rc >= 0)
		n->size = len;
	else if (rc != -ENODATA)
		return rc;
	if (ops->size && (rc = ops->size(n, who)) != 0)
		return rc;
	fs_node_attr(n, st);
	/* The mtime of a platform, database, table or level above partitions
	 * is the last change anywhere under it (fs_catalog.c), which the
	 * kernel does not see coming: their attributes are not cached. */
	bool derived_time = n->kind == FS_KIND_PLATFORM || n->kind == FS_KIND_DATABASE ||
			    n->kind == FS_KIND_TABLE || (n->kind == FS_KIND_PNODE && !n->pn.leaf);
	*timeout = ((flags & (FS_NODE_RENDERED | FS_NODE_UNCACHED)) || n->in_progress || per_caller(n) ||
		    derived_time)
			   ? 0 : fs_state.entry_timeout;
	return 0;
}

int fs_node_entry(fs_node *n, const mgr_principal *who, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof *e);
	int rc = fs_node_stat(n, who, &e->attr, &e->attr_timeout);
	e->ino = n->ino;
	e->entry_timeout = (fs_node_flags(n) & FS_NODE_UNCACHED) || per_caller(n) ? 0 : fs_state.entry_timeout;
	return rc;
}

int fs_node_lookup(fs_node *parent, const char *name, fs_node *child)
{
	memset(child, 0, sizeof *child);
	const char *why = NULL;
	if (!store_name_valid(name, &why)) {
		/* Nothing by this name can exist; say why, so that the mkdir or
		 * create that looked it up first is refused with the reason. */
		mgr_log(MGR_LOG_WARN, "refused name \"%.80s%s\": %s", name,
			strlen(name) > 80 ? "..." : "", why);
		return -EINVAL;
	}
	const struct fs_kind_ops *ops = fs_node_ops(parent);
	return ops->lookup ? ops->lookup(parent, name, child) : -ENOTDIR;
}

/* ---- listings ------------------------------------------------------------------------ */

bool fs_dir_add(fs_dirfill *df, const char *name, fs_node *node, off_t off, const char *after)
{
	size_t need;
	if (df->plus) {
		struct fuse_entry_param e;
		if (fs_node_entry(node, &df->who, &e))
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

bool fs_dir_add_ino(fs_dirfill *df, const char *name, fuse_ino_t ino, off_t off)
{
	fs_node child;
	if (fs_node_load(ino, &child))
		return true;   /* gone meanwhile: skip it */
	bool more = fs_dir_add(df, name, &child, off, NULL);
	fs_node_clear(&child);
	return more;
}

/* ---- open files ---------------------------------------------------------------------- */

void fs_handle_discard(fs_handle *h)
{
	if (!h)
		return;
	fs_snapshot_release(h);
	if (h->type == FS_HANDLE_WRITER) {
		fs_writers_remove(h);
		mgr_writer_close(h->writer);
	} else if (h->type == FS_HANDLE_READ_FD) {
		close(h->fd);
	}
	textbuf_free(&h->text);
	free(h);
}

void fs_writers_add(fs_handle *h)
{
	pthread_mutex_lock(&fs_state.writers_lock);
	h->next_writer = fs_state.writers;
	fs_state.writers = h;
	pthread_mutex_unlock(&fs_state.writers_lock);
}

void fs_writers_remove(fs_handle *h)
{
	pthread_mutex_lock(&fs_state.writers_lock);
	for (fs_handle **pp = &fs_state.writers; *pp; pp = &(*pp)->next_writer)
		if (*pp == h) {
			*pp = h->next_writer;
			break;
		}
	pthread_mutex_unlock(&fs_state.writers_lock);
}

bool fs_writers_find(fuse_ino_t ino, uint64_t container_id, const char *name, fuse_ino_t *ino_out,
		     uint64_t *size)
{
	bool found = false;
	pthread_mutex_lock(&fs_state.writers_lock);
	for (fs_handle *h = fs_state.writers; h; h = h->next_writer) {
		if (ino ? h->ino != ino
			: (h->overwrite || h->committed || h->container_id != container_id ||
			   strcmp(h->name, name)))
			continue;
		found = true;
		if (ino_out)
			*ino_out = h->ino;
		if (size && mgr_writer_size(h->writer, size))
			*size = 0;
		break;
	}
	pthread_mutex_unlock(&fs_state.writers_lock);
	return found;
}
