/*
 * fs_metafile.c - the metadata files of the catalog: TABLE/.schema,
 * TABLE/.table and PARTITION/.partition.  Their text is rendered from the
 * metastore whenever they are stat'ed or opened; writing a table's first
 * .schema defines the table (on close).  Their inode id is the id of the
 * object they describe.
 */
#include "fs_int.h"
#include "mgr_sync.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void set_times(struct stat *st, int64_t modified)
{
	st->st_mtim.tv_sec = modified / 1000000000;
	st->st_mtim.tv_nsec = modified % 1000000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

/* ---- .schema ------------------------------------------------------------------------- */

static void schema_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | (n->table.has_schema ? 0444 : 0644);
	st->st_size = (off_t)n->size;
	st->st_uid = n->table.owner_uid;
	st->st_gid = n->table.owner_gid;
	set_times(st, n->table.modified_ns);
}

static int schema_render(fs_node *n, textbuf *out)
{
	return mgr_render_schema(&n->table, out);
}

/* The schema written: it defines the table, once per close. */
static int schema_commit(fs_handle *h)
{
	if (!h->text_dirty)
		return 0;
	fs_node n;
	int rc = fs_node_load(h->ino, &n);
	if (rc == 0) {
		char err[256];
		rc = mgr_table_define(n.p, n.table.db, n.table.name, h->text.data ? h->text.data : "",
				      h->text.len, STORE_ORIGIN_FS, err, sizeof err);
		if (rc == -EPERM) {
			/* A metafs.* property: refused to everyone, and audited. */
			char path[3 * (STORE_NAME_MAX + 1) + 2];
			mgr_object o = {MGR_OBJ_TABLE, n.p->name, n.table.db, n.table.name};
			mgr_object_path(&o, path, sizeof path);
			mgr_audit(fs_state.m, h->who.uid, "create", path, false, MGR_PRIV_CREATE, err);
		}
		if (rc == -EEXIST)
			rc = -EACCES;
		else if (rc)
			rc = -EINVAL;
	}
	fs_node_clear(&n);
	h->text_dirty = false;    /* reported once; a failed schema is not retried at release */
	return rc;
}

/* Only a table without a schema takes one. */
static int schema_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	if (!writing) {
		h->type = FS_HANDLE_TEXT;
		return fs_node_render(n, &h->text);
	}
	if (n->table.has_schema)
		return -EACCES;
	h->type = FS_HANDLE_SCHEMA_WRITE;
	h->text_max = FS_DEFINITION_MAX;
	h->commit = schema_commit;
	return 0;
}

static int schema_truncate(fs_node *n, off_t size, fs_handle *h, const mgr_principal *who)
{
	(void)who;
	if (n->table.has_schema || size != 0)
		return fs_node_truncate_refused(n);
	if (h && h->type == FS_HANDLE_SCHEMA_WRITE)
		textbuf_reset(&h->text);
	return 0;
}

/* The first schema makes the table: CREATE on its database. */
static int schema_check_open(const mgr_principal *who, const fs_node *n, bool writing)
{
	if (!writing)
		return fs_node_authorize(who, n, MGR_PRIV_SELECT, "read");
	mgr_object o = {MGR_OBJ_DATABASE, n->p->name, n->table.db, NULL};
	return mgr_authorize(fs_state.m, who, MGR_PRIV_CREATE, &o, "create", NULL);
}

static int schema_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	int rc = fs_check_access_file(who, n, mask & ~W_OK, false);
	if (rc || !(mask & W_OK))
		return rc;
	mgr_object o = {MGR_OBJ_DATABASE, n->p->name, n->table.db, NULL};
	if (n->table.has_schema || !mgr_access_holds(fs_state.m, who, MGR_PRIV_CREATE, &o))
		return -EACCES;
	return 0;
}

const struct fs_kind_ops fs_schema_ops = {
	.name = "schema",
	.in_platform = true,
	.flags = FS_NODE_RENDERED,
	.load = fs_catalog_load_table,
	.attr = schema_attr,
	.render = schema_render,
	.open = schema_open,
	.truncate = schema_truncate,
	.check_open = schema_check_open,
	.check_access = schema_check_access,
};

/* ---- .table -------------------------------------------------------------------------- */

static void tablemeta_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)n->size;
	set_times(st, n->table.modified_ns);
}

/* The rendering for no particular reader: without a mirror's source
 * properties.  A stat and an open render for their caller
 * (tablemeta_snapshot). */
static int tablemeta_render(fs_node *n, textbuf *out)
{
	return mgr_render_table(n->p, &n->table, !mgr_is_mirror(fs_state.m, n->p, &n->table), out);
}

/* A mirror's properties that describe its source (where it is, its ids,
 * its data directory) are shown to who holds SELECT on the source only:
 * nothing the reader could not read at the source itself. */
static bool source_readable(const mgr_principal *who, const fs_node *n)
{
	if (!mgr_is_mirror(fs_state.m, n->p, &n->table))
		return true;
	mgr_platform *src = NULL;
	store_table st = {0};
	if (mgr_mirror_source(fs_state.m, n->p, &n->table, &src, &st))
		return false;   /* gone: nobody reads it there */
	mgr_object o = {MGR_OBJ_TABLE, src->name, st.db, st.name};
	bool ok = mgr_access_holds(fs_state.m, who, MGR_PRIV_SELECT, &o);
	store_table_clear(&st);
	return ok;
}

/* What WHO reads: the rendering their stat reports too. */
static int tablemeta_snapshot(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	int rc = mgr_render_table(n->p, &n->table, source_readable(who, n), out);
	*len = out->len;
	return rc;
}

static int tablemeta_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	(void)fi;
	if (writing)
		return -EACCES;
	h->type = FS_HANDLE_TEXT;
	return mgr_render_table(n->p, &n->table, source_readable(&h->who, n), &h->text);
}

static int metafile_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	return fs_check_access_file(who, n, mask, false);
}

const struct fs_kind_ops fs_tablemeta_ops = {
	.name = "table metadata",
	.in_platform = true,
	.flags = FS_NODE_RENDERED,
	.load = fs_catalog_load_table,
	.attr = tablemeta_attr,
	.render = tablemeta_render,
	.snapshot = tablemeta_snapshot,
	.open = tablemeta_open,
	.check_access = metafile_check_access,
};

/* ---- .partition ---------------------------------------------------------------------- */

/* Only a leaf partition (one holding files) has one. */
static int partmeta_load(fs_node *n)
{
	int rc = fs_catalog_load_pnode(n);
	return rc == 0 && !n->pn.leaf ? -ENOENT : rc;
}

static void partmeta_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | 0444;
	st->st_size = (off_t)n->size;
	set_times(st, n->pn.modified_ns);
}

static int partmeta_render(fs_node *n, textbuf *out)
{
	store_txn *txn = NULL;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc == 0)
		rc = mgr_render_partition(n->p, txn, &n->table, &n->pn, out);
	store_abort(txn);
	return rc;
}

const struct fs_kind_ops fs_partmeta_ops = {
	.name = "partition metadata",
	.in_platform = true,
	.flags = FS_NODE_RENDERED,
	.load = partmeta_load,
	.attr = partmeta_attr,
	.render = partmeta_render,
	.check_access = metafile_check_access,
};
