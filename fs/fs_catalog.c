/*
 * fs_catalog.c - the catalog's nodes: platform, database, table, partition
 * directory (pnode) and data file.  Their inode ids are the store's ids
 * (fs_int.h); a view of a mirror's source (fs_view.c) loads as the source's
 * partition or file with view_target set, and is served by these rows
 * read-only.
 */
#include "fs_int.h"
#include "base_path.h"
#include "mgr_exchange.h"
#include "mgr_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- loading ------------------------------------------------------------------------- */

/* The object ID if it is of kind WANT; -ENOENT for another kind (an inode
 * number from a stale cache can name anything). */
static int object_of_kind(store_txn *txn, uint64_t id, store_kind want, store_object *obj)
{
	store_kind kind;
	int rc = store_object_by_id(txn, id, &kind, obj);
	if (rc == 0 && kind != want) {
		if (kind == STORE_KIND_TABLE)
			store_table_clear(&obj->table);
		rc = -ENOENT;
	}
	return rc;
}

static int load_table(store_txn *txn, uint64_t id, fs_node *n)
{
	store_object obj;
	int rc = object_of_kind(txn, id, STORE_KIND_TABLE, &obj);
	if (rc)
		return rc;
	n->table = obj.table;
	n->have_table = true;
	return 0;
}

static int load_pnode(store_txn *txn, uint64_t id, fs_node *n)
{
	store_object obj;
	int rc = object_of_kind(txn, id, STORE_KIND_PNODE, &obj);
	if (rc)
		return rc;
	n->pn = obj.pnode;
	return load_table(txn, n->pn.table_id, n);
}

/* A file's container is a leaf pnode or, in an unpartitioned table, the
 * table itself; load the table either way. */
static int load_container(store_txn *txn, uint64_t container_id, fs_node *n)
{
	store_kind kind;
	store_object obj;
	int rc = store_object_by_id(txn, container_id, &kind, &obj);
	if (rc)
		return rc;
	if (kind == STORE_KIND_TABLE) {
		n->table = obj.table;
		n->have_table = true;
		return 0;
	}
	if (kind != STORE_KIND_PNODE)
		return -ENOENT;
	n->pn = obj.pnode;
	return load_table(txn, n->pn.table_id, n);
}

int fs_catalog_load_table(fs_node *n)
{
	store_txn *txn = NULL;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc == 0)
		rc = load_table(txn, n->id, n);
	store_abort(txn);
	return rc;
}

int fs_catalog_load_pnode(fs_node *n)
{
	store_txn *txn = NULL;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc == 0)
		rc = load_pnode(txn, n->id, n);
	store_abort(txn);
	return rc;
}

static int platform_load(fs_node *n)
{
	return n->id == 0 ? 0 : -ENOENT;
}

static int database_load(fs_node *n)
{
	store_txn *txn = NULL;
	store_object obj;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc)
		return rc;
	rc = object_of_kind(txn, n->id, STORE_KIND_DATABASE, &obj);
	if (rc == 0)
		n->db = obj.database;
	store_abort(txn);
	return rc;
}

static int file_load(fs_node *n)
{
	store_txn *txn = NULL;
	store_object obj;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc)
		return rc;
	rc = object_of_kind(txn, n->id, STORE_KIND_FILE, &obj);
	if (rc == 0) {
		uint64_t size;
		n->file = obj.file;
		/* A rewrite in progress: the writer has the current size. */
		n->size = fs_writers_find(n->ino, 0, NULL, NULL, &size) ? size : n->file.bytes;
		rc = load_container(txn, n->file.pnode_id, n);
	} else if (rc == -ENOENT) {
		uint64_t size;
		if (mgr_hidden_get(n->p, n->id, &n->file) == 0) {
			/* A hidden file, committed: its bytes are its only record.
			 * Its writer may still be registered (it is written again,
			 * or the release of its close has not come yet): that one
			 * has the current size, as for a data file. */
			n->size = fs_writers_find(n->ino, 0, NULL, NULL, &size) ? size : n->file.bytes;
			rc = load_container(txn, n->file.pnode_id, n);
		} else if (fs_writers_find(n->ino, 0, NULL, NULL, &size)) {
			/* Created but not yet committed: only the writer knows it. */
			n->in_progress = true;
			n->size = size;
			n->file.id = n->id;
			n->file.owner_uid = fs_state.uid;
			n->file.owner_gid = fs_state.gid;
			n->file.created_ns = n->file.modified_ns = store_now_ns();
			rc = 0;
		}
	}
	store_abort(txn);
	return rc;
}

/* ---- attributes ---------------------------------------------------------------------- */

static void set_times(struct stat *st, int64_t modified)
{
	/* Floored, so a time before the epoch (touch -d 1960-...) has
	 * 0 <= tv_nsec < 1e9. */
	int64_t sec = modified / 1000000000, nsec = modified % 1000000000;
	if (nsec < 0) {
		sec--;
		nsec += 1000000000;
	}
	st->st_mtim.tv_sec = (time_t)sec;
	st->st_mtim.tv_nsec = (long)nsec;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

/* The time of the newest event in P's change log (0: none): the last change
 * anywhere in the platform.  One read of the log's last key. */
static int64_t platform_changed(mgr_platform *p)
{
	store_txn *txn = NULL;
	store_iter *it = NULL;
	store_event ev;
	uint64_t head = 0;
	int64_t t = 0;
	if (store_read_begin(p->store, &txn))
		return 0;
	if (store_event_head(txn, &head) == 0 && head > 0 &&
	    store_iter_events(txn, head - 1, &it) == 0 && store_iter_next(it, &ev) == 0)
		t = ev.time_ns;
	store_iter_close(it);
	store_abort(txn);
	return t;
}

/* The last change under database N: the newest of its creation and its
 * tables' times (each table's time moves with every change in it).  One
 * read of each table record, none of partitions or files.  A dropped table
 * leaves no time behind. */
static int64_t database_changed(const fs_node *n)
{
	store_txn *txn = NULL;
	store_iter *it = NULL;
	store_table t;
	int64_t newest = n->db.created_ns;
	if (store_read_begin(n->p->store, &txn))
		return newest;
	if (store_iter_tables(txn, n->db.name, NULL, &it) == 0) {
		while (store_iter_next(it, &t) == 0) {
			if (t.modified_ns > newest)
				newest = t.modified_ns;
			store_table_clear(&t);
		}
	}
	store_iter_close(it);
	store_abort(txn);
	return newest;
}

static void platform_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	int64_t t = platform_changed(n->p);
	if (t)
		set_times(st, t);
}

/* A catalog directory: its owner's and its time. */
static void dir_attr(struct stat *st, uint32_t uid, uint32_t gid, int64_t modified)
{
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
	st->st_uid = uid;
	st->st_gid = gid;
	set_times(st, modified);
}

static void database_attr(const fs_node *n, struct stat *st)
{
	dir_attr(st, n->db.owner_uid, n->db.owner_gid, database_changed(n));
}

static void table_attr(const fs_node *n, struct stat *st)
{
	dir_attr(st, n->table.owner_uid, n->table.owner_gid, n->table.modified_ns);
}

static void pnode_attr(const fs_node *n, struct stat *st)
{
	/* A partition's time moves with its files; a level above partitions
	 * has no time of its own beyond its creation: it shows its table's,
	 * the last change anywhere in the table (no walk below it). */
	int64_t t = n->pn.modified_ns;
	if (!n->pn.leaf && n->have_table && n->table.modified_ns > t)
		t = n->table.modified_ns;
	dir_attr(st, n->pn.owner_uid, n->pn.owner_gid, t);
}

static void file_attr(const fs_node *n, struct stat *st)
{
	st->st_mode = S_IFREG | 0644;
	st->st_size = (off_t)n->size;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_uid = n->file.owner_uid;
	st->st_gid = n->file.owner_gid;
	/* The size cat, cp and stdio read in: each read(2) of a data file is
	 * one request to the daemon (direct_io, see file_open). */
	st->st_blksize = FS_DATA_BLKSIZE;
	/* A time set by utimensat(2), else the commit time; atime and ctime alike. */
	set_times(st, n->file.mtime_ns ? n->file.mtime_ns : n->file.modified_ns);
}

static bool platform_object(const fs_node *n, mgr_object *o)
{
	(void)n;
	o->level = MGR_OBJ_PLATFORM;
	return true;
}

static bool database_object(const fs_node *n, mgr_object *o)
{
	o->level = MGR_OBJ_DATABASE;
	o->db = n->db.name;
	return true;
}

/* ---- lookup -------------------------------------------------------------------------- */

/* Fill CHILD from the record the lookup just read, without reading it again:
 * lookup is the hottest request (every stat of an uncached name).  Such a
 * child carries its own record only, not its table (callers use the
 * parent's). */
static void child_from_record(fs_node *child, const fs_node *parent, fs_kind kind, uint64_t id)
{
	child->ino = fs_view_ino(parent, kind, id);
	child->view_target = parent->view_target;
	child->kind = kind;
	child->p = parent->p;
	child->id = id;
}

static int lookup_in_container(fs_node *parent, uint64_t container_id, const char *name,
			       fs_node *child)
{
	store_txn *txn = NULL;
	store_file f;
	int rc = store_read_begin(parent->p->store, &txn);
	if (rc == 0)
		rc = store_file_get(txn, container_id, name, &f);
	store_abort(txn);
	if (rc == 0) {
		uint64_t size;
		child_from_record(child, parent, FS_KIND_FILE, f.id);
		child->file = f;
		child->unmasked = !parent->view_target && parent->have_table &&
				  !mgr_is_mirror(fs_state.m, parent->p, &parent->table);
		child->size = fs_writers_find(child->ino, 0, NULL, NULL, &size) ? size : f.bytes;
		return 0;
	}
	fuse_ino_t ino;
	if (rc == -ENOENT && fs_writers_find(0, container_id, name, &ino, NULL))
		return fs_node_load(ino, child);
	uint64_t hidden_id;
	if (rc == -ENOENT && base_name_hidden(name) && parent->have_table &&
	    mgr_hidden_lookup(parent->p, &parent->table, container_id, name, &hidden_id) == 0)
		return fs_node_load(fs_ino_of(parent->p, FS_KIND_FILE, hidden_id), child);
	return rc;
}

/* A partition directory of PARENT (the table, or the partition PARENT_PN
 * at DEPTH - 1): any spelling that unescapes to the value.  *IN_STORE says
 * whether NAME had the form KEY=VALUE and the store was asked. */
static int lookup_partition(fs_node *parent, uint32_t depth, uint64_t parent_pn, const char *name,
			    fs_node *child, bool *in_store)
{
	*in_store = false;
	const char *key = parent->table.columns[parent->table.ncolumns + depth - 1].name;
	size_t klen = strlen(key);
	if (strncmp(name, key, klen) || name[klen] != '=')
		return -ENOENT;
	char value[STORE_NAME_MAX + 1];
	if (store_hive_unescape(name + klen + 1, value, sizeof value))
		return -ENOENT;
	*in_store = true;
	store_pnode pn;
	store_txn *txn = NULL;
	int rc = store_read_begin(parent->p->store, &txn);
	if (rc == 0)
		rc = store_pnode_get(txn, parent->table.id, parent_pn, value, &pn);
	store_abort(txn);
	if (rc == 0) {
		child_from_record(child, parent, FS_KIND_PNODE, pn.id);
		child->pn = pn;
	}
	return rc;
}

static int platform_lookup(fs_node *parent, const char *name, fs_node *child)
{
	store_txn *txn = NULL;
	store_database db;
	int rc = store_read_begin(parent->p->store, &txn);
	if (rc == 0)
		rc = store_database_get(txn, name, &db);
	store_abort(txn);
	if (rc == 0) {
		child_from_record(child, parent, FS_KIND_DATABASE, db.id);
		child->db = db;
	}
	return rc;
}

static int database_lookup(fs_node *parent, const char *name, fs_node *child)
{
	store_txn *txn = NULL;
	store_table t = {0};
	int rc = store_read_begin(parent->p->store, &txn);
	if (rc == 0)
		rc = store_table_get(txn, parent->db.name, name, &t);
	store_abort(txn);
	if (rc) {
		store_table_clear(&t);
		return rc;
	}
	child_from_record(child, parent, FS_KIND_TABLE, t.id);
	child->table = t;     /* the child owns it now */
	child->have_table = true;
	return 0;
}

static int table_lookup(fs_node *parent, const char *name, fs_node *child)
{
	if (!strcmp(name, FS_SCHEMA_NAME))
		return fs_node_load(fs_ino_of(parent->p, FS_KIND_SCHEMA, parent->table.id), child);
	if (!strcmp(name, FS_TABLEMETA_NAME))
		return fs_node_load(fs_ino_of(parent->p, FS_KIND_TABLEMETA, parent->table.id), child);
	if (!strncmp(name, ".refresh", 8) && !parent->view_target)
		return fs_view_lookup(parent, name, child);
	if (!parent->table.has_schema)
		return -ENOENT;
	if (parent->table.npartkeys == 0)
		return lookup_in_container(parent, parent->table.id, name, child);
	bool in_store;
	int rc = lookup_partition(parent, 1, 0, name, child, &in_store);
	if (rc == -ENOENT && in_store && !parent->view_target &&
	    mgr_is_mirror(fs_state.m, parent->p, &parent->table)) {
		/* A path .refresh gave: the source's partition, read-only. */
		rc = fs_view_lookup(parent, name, child);
	}
	return rc;
}

static int pnode_lookup(fs_node *parent, const char *name, fs_node *child)
{
	if (parent->pn.leaf) {
		if (!strcmp(name, FS_PARTMETA_NAME))
			return fs_node_load(fs_ino_of(parent->p, FS_KIND_PARTMETA, parent->pn.id), child);
		return lookup_in_container(parent, parent->pn.id, name, child);
	}
	bool in_store;
	return lookup_partition(parent, parent->pn.depth + 1, parent->pn.id, name, child, &in_store);
}

/* ---- listing ------------------------------------------------------------------------- */

/*
 * Resuming a listing.  An entry's offset is its object id + 2 ("." and ".."
 * are 1 and 2): unique, and the same on every handle, which the kernel's
 * listing cache needs (it hands a cached offset to whichever handle reads on
 * when its pages are gone).  A listing resumes after the key of the object
 * the offset names.  When that object is gone (removed while a reader was
 * between two reads), its key is still in the change log, in the event that
 * dropped it: the listing resumes after that key, so no name is skipped and
 * none repeats.  An offset that names nothing in this directory, live or in
 * the log, is an error (ESTALE), never a listing cut short in silence.
 */

/* How far back the change log is searched for a departed entry. */
#define RESUME_LOG_EVENTS 262144

/* DIR's own object id (0 for a platform): the parent id of its children's
 * events. */
static uint64_t dir_object_id(const fs_node *dir)
{
	switch (dir->kind) {
	case FS_KIND_DATABASE: return dir->db.id;
	case FS_KIND_TABLE: return dir->table.id;
	case FS_KIND_PNODE: return dir->pn.id;
	default: return 0;
	}
}

/* The store key of the last component COMP (escaped, as in event paths) of
 * a child of DIR of kind KIND. */
static int key_of_component(fs_node *dir, store_kind kind, const char *comp, char *out, size_t cap)
{
	char value[STORE_NAME_MAX + 1];
	if (kind == STORE_KIND_PNODE) {
		uint32_t depth = dir->kind == FS_KIND_PNODE ? dir->pn.depth + 1 : 1;
		int rc = mgr_pnode_parse_name(&dir->table, depth, comp, value);
		if (rc)
			return rc;
		comp = value;
	}
	size_t len = strlen(comp);
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(out, comp, len + 1);
	return 0;
}

/* The key a child of DIR with object id ID had when it was dropped, from
 * the newest of the last RESUME_LOG_EVENTS events: 0, or -ENOENT. */
static int departed_name(fs_node *dir, store_txn *txn, uint64_t id, char *after, size_t cap)
{
	uint64_t head = 0, first = 0;
	int rc = store_event_head(txn, &head);
	if (rc == 0)
		rc = store_event_first(txn, &first);
	if (rc)
		return rc;
	uint64_t from = head > RESUME_LOG_EVENTS ? head - RESUME_LOG_EVENTS : 0;
	if (first > 0 && from < first - 1)
		from = first - 1;
	store_iter *it = NULL;
	if ((rc = store_iter_events(txn, from, &it)))
		return rc;
	store_event ev;
	bool found = false;
	store_kind kind = 0;
	char comp[sizeof ev.path];
	while ((rc = store_iter_next(it, &ev)) == 0) {
		if (ev.op != STORE_OP_DROP || ev.object_id != id)
			continue;
		const char *slash = strrchr(ev.path, '/');
		if (ev.parent_id != dir_object_id(dir))
			continue;
		snprintf(comp, sizeof comp, "%s", slash ? slash + 1 : ev.path);
		kind = ev.kind;
		found = true;
	}
	store_iter_close(it);
	if (rc != -ENOENT)
		return rc;
	return found ? key_of_component(dir, kind, comp, after, cap) : -ENOENT;
}

/* The key to resume after when the kernel asks for offset OFF without the
 * handle having stopped there (seekdir, a small reader's buffer, or a new
 * handle reading on from the kernel's cache): that of the child of DIR
 * with object id OFF - 2, live or departed.  -ESTALE when there is none. */
static int resume_name(fs_node *dir, off_t off, char *after, size_t cap)
{
	uint64_t id = (uint64_t)off - 2;
	store_txn *txn = NULL;
	store_kind kind;
	store_object obj;
	bool mine = false;
	int rc = store_read_begin(dir->p->store, &txn);
	if (rc)
		return rc;
	rc = store_object_by_id(txn, id, &kind, &obj);
	if (rc == 0) {
		switch (kind) {
		case STORE_KIND_DATABASE:
			mine = dir->kind == FS_KIND_PLATFORM;
			snprintf(after, cap, "%s", obj.database.name);
			break;
		case STORE_KIND_TABLE:
			mine = dir->kind == FS_KIND_DATABASE && strcmp(obj.table.db, dir->db.name) == 0;
			snprintf(after, cap, "%s", obj.table.name);
			store_table_clear(&obj.table);
			break;
		case STORE_KIND_PNODE:
			mine = (dir->kind == FS_KIND_TABLE || dir->kind == FS_KIND_PNODE) &&
			       obj.pnode.table_id == dir->table.id &&
			       obj.pnode.parent_id == (dir->kind == FS_KIND_PNODE ? dir->pn.id : 0);
			snprintf(after, cap, "%s", obj.pnode.value);
			break;
		case STORE_KIND_FILE:
			mine = obj.file.pnode_id == (dir->kind == FS_KIND_PNODE ? dir->pn.id : dir->table.id);
			snprintf(after, cap, "%s", obj.file.name);
			break;
		default:
			break;
		}
		rc = mine ? 0 : -ESTALE;
	} else if (rc == -ENOENT) {
		rc = departed_name(dir, txn, id, after, cap);
		if (rc == -ENOENT)
			rc = -ESTALE;
	}
	store_abort(txn);
	return rc;
}

/* Where a listing from OFF resumes: *AFTER is NULL from the start, else the
 * key to continue after (in BUF).  0, or -errno (-ESTALE: OFF names no
 * entry of DIR, live or departed). */
static int resume_after(fs_node *dir, off_t off, fs_dirfill *df, char *buf, size_t cap,
			const char **after)
{
	*after = NULL;
	if (off <= 2)
		return 0;
	if (off == df->dh->last_off) {
		snprintf(buf, cap, "%s", df->dh->last_name);
	} else {
		int rc = resume_name(dir, off, buf, cap);
		if (rc)
			return rc;
	}
	*after = buf;
	return 0;
}

/* One catalog listing: LIST iterates in a read transaction of DIR's store
 * after the key AFTER, adding entries for CHILD (its platform and view
 * already set). */
typedef int list_fn(fs_dirfill *df, fs_node *dir, store_txn *txn, const char *after,
		    store_iter **it, fs_node *child);

static int catalog_list(fs_node *dir, off_t off, fs_dirfill *df, list_fn *list)
{
	char after_buf[STORE_NAME_MAX + 1];
	const char *after;
	int rc = resume_after(dir, off, df, after_buf, sizeof after_buf, &after);
	if (rc) {
		if (rc == -ESTALE)
			mgr_log(MGR_LOG_WARN, "readdir: offset %lld names no entry of this directory, "
				"live or in the change log: listing refused", (long long)off);
		return rc;
	}
	store_txn *txn = NULL;
	store_iter *it = NULL;
	if ((rc = store_read_begin(dir->p->store, &txn)))
		return rc;
	fs_node child;
	memset(&child, 0, sizeof child);
	child.p = dir->p;
	child.view_target = dir->view_target;
	rc = list(df, dir, txn, after, &it, &child);
	store_iter_close(it);
	store_abort(txn);
	return rc == -ENOENT ? 0 : rc;
}

static int list_databases(fs_dirfill *df, fs_node *dir, store_txn *txn, const char *after,
			  store_iter **it, fs_node *child)
{
	int rc = store_iter_databases(txn, after, it);
	child->kind = FS_KIND_DATABASE;
	while (rc == 0 && (rc = store_iter_next(*it, &child->db)) == 0) {
		if (!fs_node_visible(&df->who, child))
			continue;
		child->ino = fs_ino_of(dir->p, FS_KIND_DATABASE, child->db.id);
		if (!fs_dir_add(df, child->db.name, child, (off_t)child->db.id + 2, NULL))
			break;
	}
	return rc;
}

static int list_tables(fs_dirfill *df, fs_node *dir, store_txn *txn, const char *after,
		       store_iter **it, fs_node *child)
{
	int rc = store_iter_tables(txn, dir->db.name, after, it);
	child->kind = FS_KIND_TABLE;
	while (rc == 0 && (rc = store_iter_next(*it, &child->table)) == 0) {
		child->have_table = true;
		bool seen = fs_node_visible(&df->who, child);
		child->have_table = false;
		if (!seen) {
			store_table_clear(&child->table);
			continue;
		}
		child->ino = fs_ino_of(dir->p, FS_KIND_TABLE, child->table.id);
		bool more = fs_dir_add(df, child->table.name, child, (off_t)child->table.id + 2, NULL);
		store_table_clear(&child->table);
		if (!more)
			break;
	}
	return rc;
}

static int list_files(fs_dirfill *df, fs_node *dir, store_txn *txn, uint64_t container,
		      const char *after, store_iter **it, fs_node *child)
{
	int rc = store_iter_files(txn, container, after, it);
	child->kind = FS_KIND_FILE;
	child->unmasked = !dir->view_target && dir->have_table &&
			  !mgr_is_mirror(fs_state.m, dir->p, &dir->table);
	while (rc == 0 && (rc = store_iter_next(*it, &child->file)) == 0) {
		child->ino = fs_view_ino(dir, FS_KIND_FILE, child->file.id);
		child->size = child->file.bytes;
		if (!fs_dir_add(df, child->file.name, child, (off_t)child->file.id + 2, NULL))
			break;
	}
	return rc;
}

static int list_pnodes(fs_dirfill *df, fs_node *dir, store_txn *txn, uint64_t parent_pn,
		       const char *after, store_iter **it, fs_node *child)
{
	int rc = store_iter_pnodes(txn, dir->table.id, parent_pn, after, it);
	child->kind = FS_KIND_PNODE;
	while (rc == 0 && (rc = store_iter_next(*it, &child->pn)) == 0) {
		char name[STORE_NAME_MAX * 3 + 2];
		child->ino = fs_view_ino(dir, FS_KIND_PNODE, child->pn.id);
		if (mgr_pnode_name(&dir->table, &child->pn, name, sizeof name))
			continue;
		if (!fs_dir_add(df, name, child, (off_t)child->pn.id + 2, child->pn.value))
			break;
	}
	return rc;
}

static int list_table(fs_dirfill *df, fs_node *dir, store_txn *txn, const char *after,
		      store_iter **it, fs_node *child)
{
	if (!dir->table.has_schema)
		return 0;
	if (dir->table.npartkeys == 0)
		return list_files(df, dir, txn, dir->table.id, after, it, child);
	return list_pnodes(df, dir, txn, 0, after, it, child);
}

static int list_pnode(fs_dirfill *df, fs_node *dir, store_txn *txn, const char *after,
		      store_iter **it, fs_node *child)
{
	if (dir->pn.leaf)
		return list_files(df, dir, txn, dir->pn.id, after, it, child);
	return list_pnodes(df, dir, txn, dir->pn.id, after, it, child);
}

static int platform_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	return catalog_list(dir, off, df, list_databases);
}

static int database_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	return catalog_list(dir, off, df, list_tables);
}

static int table_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	return catalog_list(dir, off, df, list_table);
}

static int pnode_readdir(fs_node *dir, off_t off, fs_dirfill *df)
{
	return catalog_list(dir, off, df, list_pnode);
}

/* ---- directories ----------------------------------------------------------------------- */

/* A database needs CREATE on the platform, a table CREATE on the database,
 * a partition MODIFY on its table. */
static int platform_mkdir(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	store_database db;
	int rc = fs_node_authorize(who, dir, MGR_PRIV_CREATE, "create");
	if (rc == 0)
		rc = mgr_database_create(dir->p, name, who->uid, who->gid, STORE_ORIGIN_FS, &db);
	if (rc == 0)
		*ino = fs_ino_of(dir->p, FS_KIND_DATABASE, db.id);
	return rc;
}

static int database_mkdir(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	store_table t = {0};
	int rc = fs_node_authorize(who, dir, MGR_PRIV_CREATE, "create");
	if (rc)
		return rc;
	rc = mgr_table_create(dir->p, dir->db.name, name, who->uid, who->gid, STORE_ORIGIN_FS, &t);
	if (rc == 0)
		*ino = fs_ino_of(dir->p, FS_KIND_TABLE, t.id);
	store_table_clear(&t);
	return rc;
}

/* A partition directory in DIR, under the partition PARENT_PN (0: the table);
 * LEAF: DIR holds files, not directories. */
static int partition_mkdir(fs_node *dir, uint64_t parent_pn, bool leaf, const char *name,
			   const mgr_principal *who, fuse_ino_t *ino)
{
	int rc = fs_node_authorize(who, dir, MGR_PRIV_MODIFY, "create");
	if (rc)
		return rc;
	if (!dir->table.has_schema) {
		mgr_log(MGR_LOG_WARN, "refused mkdir \"%.80s\" in %s.%s.%s: the table has no schema "
				      "yet (write its .schema first)", name, dir->p->name, dir->table.db,
			dir->table.name);
		return -EPERM;
	}
	if (dir->table.npartkeys == 0 || leaf) {
		mgr_log(MGR_LOG_WARN, "refused mkdir \"%.80s\" in %s.%s.%s: %s", name, dir->p->name,
			dir->table.db, dir->table.name,
			dir->table.npartkeys == 0 ? "the table is not partitioned"
						  : "a partition holds files, not directories");
		return -EPERM;
	}
	store_pnode pn;
	rc = mgr_pnode_create(dir->p, &dir->table, parent_pn, name, who->uid, who->gid,
			      STORE_ORIGIN_FS, &pn);
	*ino = fs_ino_of(dir->p, FS_KIND_PNODE, pn.id);
	return rc;
}

static int table_mkdir(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	return partition_mkdir(dir, 0, false, name, who, ino);
}

static int pnode_mkdir(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino)
{
	return partition_mkdir(dir, dir->pn.id, dir->pn.leaf, name, who, ino);
}

/* Dropping a database or a table: ADMIN on it (owners have it). */
static int database_rmdir(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	(void)dir;
	int rc = fs_node_authorize(who, child, MGR_PRIV_ADMIN, "drop");
	return rc ? rc : mgr_database_drop(child->p, child->db.name, STORE_ORIGIN_FS);
}

static int table_rmdir(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	(void)dir;
	int rc = fs_node_authorize(who, child, MGR_PRIV_ADMIN, "drop");
	return rc ? rc : mgr_table_drop(child->p, child->table.db, child->table.name, STORE_ORIGIN_FS);
}

/* The parent (table or partition) carries the table. */
static int pnode_rmdir(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	int rc = fs_node_authorize(who, dir, MGR_PRIV_MODIFY, "drop");
	return rc ? rc : mgr_pnode_drop(child->p, &dir->table, child->pn.id, STORE_ORIGIN_FS);
}

/* ---- data files ---------------------------------------------------------------------- */

/* The container data files of DIR live in, or an error saying why not. */
static int platform_container(const fs_node *dir, uint64_t *container)
{
	(void)dir;
	(void)container;
	return -EPERM;
}

static int table_container(const fs_node *dir, uint64_t *container)
{
	if (!dir->table.has_schema || dir->table.npartkeys)
		return -EPERM;
	*container = dir->table.id;
	return 0;
}

static int pnode_container(const fs_node *dir, uint64_t *container)
{
	if (!dir->pn.leaf)
		return -EPERM;
	*container = dir->pn.id;
	return 0;
}

static int file_container(const fs_node *dir, uint64_t *container)
{
	const struct fs_kind_ops *ops = fs_node_ops(dir);
	return ops->container ? ops->container(dir, container) : -ENOTDIR;
}

static bool reserved_name(const char *name)
{
	return !strcmp(name, FS_SCHEMA_NAME) || !strcmp(name, FS_TABLEMETA_NAME) ||
	       !strcmp(name, FS_PARTMETA_NAME);
}

static int writer_commit(fs_handle *h)
{
	return fs_refusal_errno(mgr_writer_commit(h->writer, STORE_ORIGIN_FS));
}

/* Open H as the writer of NAME in CONTAINER of the table of DIR_OR_FILE. */
static int open_writer(fs_node *dir_or_file, uint64_t table_id, uint64_t container,
		       const char *name, uint64_t file_id, bool keep, fs_handle *h)
{
	int rc = mgr_writer_open(dir_or_file->p, table_id, container, name, file_id, keep, h->who.uid,
				 h->who.gid, &h->writer);
	if (rc)
		return fs_refusal_errno(rc);
	h->type = FS_HANDLE_WRITER;
	h->commit = writer_commit;
	h->overwrite = file_id != 0;
	h->ino = fs_ino_of(dir_or_file->p, FS_KIND_FILE, mgr_writer_id(h->writer));
	h->container_id = container;
	h->parent = fs_ino_of(dir_or_file->p, container == table_id ? FS_KIND_TABLE : FS_KIND_PNODE,
			      container);
	snprintf(h->name, sizeof h->name, "%s", name);
	fs_writers_add(h);
	return 0;
}

static int catalog_create(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
			  struct fuse_entry_param *e)
{
	uint64_t container = 0;
	fs_node child;
	memset(&child, 0, sizeof child);
	int rc = fs_node_read_only(dir) ? -EROFS : file_container(dir, &container);
	if (rc == 0 && reserved_name(name))
		rc = -EPERM;
	if (rc == 0)
		rc = fs_node_authorize(who, dir, MGR_PRIV_MODIFY, "write");
	if (rc == 0)
		rc = open_writer(dir, dir->table.id, container, name, 0, false, h);
	if (rc == 0)
		rc = fs_node_load(h->ino, &child);
	if (rc == 0)
		rc = fs_node_entry(&child, who, e);
	if (rc == -EPERM)
		mgr_log(MGR_LOG_WARN, "refused to create file \"%.80s\": data files live in leaf "
				      "partitions, or in an unpartitioned table with a schema", name);
	fs_node_clear(&child);
	return rc;
}

/*
 * Readers of a data file use direct_io: every read(2) is served from the
 * reader's own fd in the data store, never from the kernel's page cache.
 *
 * Why.  A data file keeps one inode number across versions (the number is
 * the file's store id, fs_int.h), and the kernel keeps one page cache and
 * one size per inode, shared by every open of it.  An overwrite is staged
 * and renamed into place, so the daemon's fd of a reader that opened before
 * the commit still holds the old bytes; but through the page cache:
 *  - the writer's open with O_TRUNC sets the shared size to 0 and drops the
 *    pages, so a reader in the middle of the old file meets an early end
 *    (an empty file or a prefix);
 *  - the writer's sizes (getattr reports the file in progress) reach the
 *    old reader's read(2) limit, and pages filled by an old reader's fd and
 *    by a new reader's fd serve each other: old and new bytes mixed.
 * With direct_io the size and pages of the inode play no part in a read:
 * an old reader reads its old file to the end, a reader that opens after
 * the commit reads the new file whole.
 *
 * What else was weighed.  A new inode number for each version (with
 * keep_cache) would keep warm reads in the page cache, but the writer still
 * opens and truncates the inode the name leads to - the old readers' - and
 * every overwrite would change the file's id, which the change log, sync
 * and jobs rely on.  Invalidating the inode's pages at each commit (from
 * the change-log follower) leaves a window in which pages of both versions
 * are cached for the same inode.  Neither is a rename-over.
 *
 * The page cache across opens (keep_cache, issue 16's warm reads), weighed
 * again.  Caching a data file's pages is correct only while every page
 * the kernel holds is of the version every open reader reads, and the
 * kernel's size of the inode is that version's.  Invalidating the inode
 * at each commit (after the reply through the mount, from the follower
 * for every other origin) keeps that for readers that open after the
 * commit, but not for the others:
 *  - a reader open across the commit fills pages from its own fd, the old
 *    version: once the commit's invalidation is done, a new reader is
 *    served those old pages (serving such a reader from the current file
 *    instead ends the rename-over: it would read a mix, which
 *    integration_torn_reads forbids);
 *  - a writer's open with O_TRUNC sets the inode's size to 0 and drops its
 *    pages while readers read them, and every stat of the file in progress
 *    (getattr reports it, which tools and integration_torn_reads rely on)
 *    sets the size readers read up to: a cached reader meets an early end.
 *    Answering a reader's getattr (it carries the reader's handle) with its
 *    version's size narrows this to the instant between that answer and
 *    the read, which another getattr can still land in.
 * An inode number per committed version does not end this: the kernel
 * opens the inode the name led to, so a writer opens the one its readers
 * read, and needs its own sizes there (its fstat(2), O_APPEND, its
 * ftruncate(2)) while they need theirs.  A shared page cache and a
 * rename-over are at odds on one inode; caching would mean in-place (POSIX)
 * semantics for a reader open across an overwrite - it would see the new
 * bytes, or the writer's truncate - which metafs.5 and
 * integration_torn_reads promise against.  So readers use direct_io and
 * cost a request per read(2).  FUSE_CAP_AUTO_INVAL_DATA
 * (libfuse's default) and attribute timeouts play no part in a direct_io
 * read.
 *
 * What is done for speed instead: st_blksize is 1 MiB (FS_DATA_BLKSIZE),
 * so cat, cp and stdio read 1 MiB per request (libfuse allows 1 MiB, 256
 * pages, per request) instead of 128 KiB; a reader's close sends no FLUSH
 * (noflush: it commits nothing).  Splicing replies (FUSE_CAP_SPLICE_WRITE,
 * with or without SPLICE_MOVE) was measured and not kept: a 1 GB file read
 * no faster, and four times slower with SPLICE_MOVE (4.5 s against
 * 0.85 s).  Counted (.metafs/metrics): `cat` of a 1 GB
 * file makes 957 read requests (7,633 with a 4 KiB st_blksize), and 100
 * `cat`s of 4 KB files 100 opens, 202 reads and no flush (100 flushes
 * before).  Timed on 2 busy cores (warm, the range of three runs): cat of
 * 1 GB 0.67-0.89 s (0.92 s before) against 0.24-0.29 s from the data store
 * directly; 4 readers of 1 GB each 2.1-3.0 s either way against 0.7 s;
 * 10,000 files of 4 KB opened, read and closed 3,900-5,100/s against
 * 43,000-63,000/s.
 *
 * What is lost is a shared mmap(2) (MAP_SHARED fails with ENODEV: the
 * kernel allows it with direct_io only when asked at init, which libfuse
 * 3.14 cannot do); private maps work.
 */
static int file_data_path(fs_node *n, char path[PATH_MAX])
{
	uint64_t container = n->file.pnode_id;
	store_txn *txn = NULL;
	const char *data_dir = n->p->data_dir;
	store_table where = n->table;   /* shallow: only db and name may change */
	mgr_platform *src;
	store_table st = {0};
	if (!n->view_target && mgr_is_mirror(fs_state.m, n->p, &n->table)) {
		/* A mirrored partition's bytes stay in the source's data store. */
		if (mgr_mirror_source(fs_state.m, n->p, &n->table, &src, &st))
			return -ENOENT;
		data_dir = src->data_dir;
		memcpy(where.db, st.db, sizeof where.db);
		memcpy(where.name, st.name, sizeof where.name);
		store_table_clear(&st);
	}
	int rc = store_read_begin(n->p->store, &txn);
	if (rc == 0)
		rc = store_data_path(txn, data_dir, &where, container, n->file.name, path, PATH_MAX);
	store_abort(txn);
	return rc;
}

/* A data file served masked (mgr_exchange.h) has the transform's size,
 * whatever the source's: a stat materializes the transform (once: it is
 * kept, named by everything it depends on) and reports its size, which is
 * what every read of it returns.  Materialized as WHO, as the open would. */
static int file_size(fs_node *n, const mgr_principal *who)
{
	uint64_t size = 0;
	if (!n->have_table && !n->in_progress && !n->unmasked) {
		/* Found by a lookup or a listing, without its table: load it whole. */
		fs_node full;
		if (fs_node_load(n->ino, &full) == 0 && full.have_table && !full.in_progress) {
			int rc = file_size(&full, who);
			n->size = full.size;
			fs_node_clear(&full);
			return rc;
		}
		fs_node_clear(&full);
		return 0;
	}
	if (n->in_progress || !n->have_table ||
	    !(n->view_target || mgr_is_mirror(fs_state.m, n->p, &n->table)) ||
	    mgr_exchange_data_size(fs_state.m, n->p, &n->table, n->view_target, &n->file, &size) <= 0)
		return 0;
	char path[PATH_MAX];
	bool masked = false;
	int fd = -1;
	struct stat st;
	if (file_data_path(n, path) == 0 &&
	    mgr_exchange_open_data(fs_state.m, n->p, &n->table, n->view_target, &n->file, path,
				   who->uid, &fd, &masked) == 0) {
		if (masked && fstat(fd, &st) == 0)
			size = (uint64_t)st.st_size;
		close(fd);
	}
	/* Not materialized (a malformed source row: its read fails, EIO): the
	 * materialized size if there is one, else 0. */
	n->size = size;
	return 0;
}

static int file_open(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi)
{
	if (n->in_progress)
		return -EBUSY;
	if (writing)
		return open_writer(n, n->table.id, n->file.pnode_id, n->file.name, n->file.id,
				   !(fi->flags & O_TRUNC), h);
	char path[PATH_MAX];
	int rc = file_data_path(n, path);
	if (rc)
		return rc;
	/* A mirror's data goes through its exchange (masks, dropped columns). */
	bool masked = false;
	int fd = -1;
	rc = mgr_exchange_open_data(fs_state.m, n->p, &n->table, n->view_target, &n->file, path,
				    h->who.uid, &fd, &masked);
	if (rc)
		return fs_refusal_errno(rc);
	h->type = FS_HANDLE_READ_FD;
	h->fd = fd;
	(void)masked;   /* its size is the transform's (file_size): stat and reads agree */
	fi->direct_io = 1;   /* see the comment above file_open */
	fi->noflush = 1;     /* a reader's close commits nothing: no FLUSH round trip */
	return 0;
}

static int file_truncate(fs_node *n, off_t size, fs_handle *h, const mgr_principal *who)
{
	if (fs_node_read_only(n))
		return -EROFS;
	if (h && h->type == FS_HANDLE_WRITER) {
		/* opened for writing: MODIFY was checked at the open */
		int rc = mgr_writer_stage(h->writer);
		if (rc)
			return rc;
		if (ftruncate(mgr_writer_fd(h->writer), size)) {
			rc = -errno;
			mgr_writer_fail(h->writer, rc);
			return rc;
		}
		mgr_writer_touch(h->writer);
		/* With atomic O_TRUNC (fs_ops.c init) the open itself empties
		 * the file, and a truncate through the handle is an ftruncate(2)
		 * its writer asked for (truncate(1)): committed at the close like
		 * a write, so that the next open reads it.  Without, the kernel
		 * empties a file opened with O_TRUNC this way, which is no write. */
		h->wrote = h->wrote || size > 0 || fs_state.atomic_o_trunc;
		return 0;
	}
	if (n->in_progress)
		return -EBUSY;
	/* truncate(1) on a closed file: rewrite it through a writer. */
	mgr_writer *w = NULL;
	int rc = fs_node_authorize(who, n, MGR_PRIV_MODIFY, "write");
	if (rc == 0)
		rc = mgr_writer_open(n->p, n->table.id, n->file.pnode_id, n->file.name, n->file.id,
				     true, who->uid, who->gid, &w);
	if (rc == 0 && ftruncate(mgr_writer_fd(w), size))
		rc = -errno;
	if (rc == 0) {
		mgr_writer_touch(w);
		rc = mgr_writer_commit(w, STORE_ORIGIN_FS);
	}
	mgr_writer_close(w);
	return rc;
}

static int file_unlink(fs_node *dir, fs_node *child, const mgr_principal *who)
{
	int rc = child->in_progress ? -EBUSY : fs_node_authorize(who, dir, MGR_PRIV_MODIFY, "delete");
	if (rc == 0)
		rc = mgr_file_drop(dir->p, &dir->table, child->file.pnode_id, child->file.name,
				   STORE_ORIGIN_FS);
	return rc;
}

static int file_rename(fs_node *from, const char *name, fs_node *child, fs_node *to,
		       const char *newname, unsigned flags, const mgr_principal *who)
{
	uint64_t to_container = 0;
	fs_node target;
	memset(&target, 0, sizeof target);
	int rc;
	if (child->in_progress)
		rc = -EBUSY;
	else if (to->p != from->p || !to->have_table || to->table.id != from->table.id)
		rc = -EXDEV;
	else if ((rc = file_container(to, &to_container)) == 0 && reserved_name(newname))
		rc = -EPERM;
	else if (rc == 0 && (flags & RENAME_NOREPLACE) && fs_node_lookup(to, newname, &target) == 0)
		rc = -EEXIST;
	if (rc == 0)
		rc = fs_node_authorize(who, from, MGR_PRIV_MODIFY, "rename");
	if (rc == 0)
		rc = mgr_file_rename(from->p, &from->table, child->file.pnode_id, name, to_container,
				     newname, STORE_ORIGIN_FS);
	fs_node_clear(&target);
	return rc;
}

/* ---- access -------------------------------------------------------------------------- */

/* A platform or a database: CREATE makes what is in it. */
static int container_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	if (!fs_node_visible(who, n))
		return -EACCES;
	return (mask & W_OK) && !fs_node_holds(who, n, MGR_PRIV_CREATE) ? -EACCES : 0;
}

static int table_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	if (!fs_node_visible(who, n))
		return -EACCES;
	if ((mask & (R_OK | X_OK)) && !fs_node_holds(who, n, MGR_PRIV_SELECT))
		return -EACCES;
	if ((mask & W_OK) && (n->view_target || !fs_node_holds(who, n, MGR_PRIV_MODIFY)))
		return -EACCES;
	return 0;
}

static int file_check_access(const mgr_principal *who, const fs_node *n, int mask)
{
	return fs_check_access_file(who, n, mask, true);
}

/* ---- the rows ------------------------------------------------------------------------ */

const struct fs_kind_ops fs_platform_ops = {
	.name = "platform",
	.in_platform = true,
	.flags = FS_NODE_DIR,
	.load = platform_load,
	.attr = platform_attr,
	.object = platform_object,
	.lookup = platform_lookup,
	.readdir = platform_readdir,
	.container = platform_container,
	.create = catalog_create,
	.mkdir = platform_mkdir,
	.rmdir = fs_rmdir_refused,
	.check_access = container_check_access,
};

const struct fs_kind_ops fs_database_ops = {
	.name = "database",
	.in_platform = true,
	.flags = FS_NODE_DIR,
	.load = database_load,
	.attr = database_attr,
	.object = database_object,
	.lookup = database_lookup,
	.readdir = database_readdir,
	.container = platform_container,
	.create = catalog_create,
	.mkdir = database_mkdir,
	.rmdir = database_rmdir,
	.check_access = container_check_access,
};

const struct fs_kind_ops fs_table_ops = {
	.name = "table",
	.in_platform = true,
	.flags = FS_NODE_DIR,
	.load = fs_catalog_load_table,
	.attr = table_attr,
	.lookup = table_lookup,
	.readdir = table_readdir,
	.container = table_container,
	.create = catalog_create,
	.mkdir = table_mkdir,
	.rmdir = table_rmdir,
	.check_access = table_check_access,
};

const struct fs_kind_ops fs_pnode_ops = {
	.name = "partition",
	.in_platform = true,
	.flags = FS_NODE_DIR,
	.load = fs_catalog_load_pnode,
	.attr = pnode_attr,
	.lookup = pnode_lookup,
	.readdir = pnode_readdir,
	.container = pnode_container,
	.create = catalog_create,
	.mkdir = pnode_mkdir,
	.rmdir = pnode_rmdir,
	.check_access = table_check_access,
};

const struct fs_kind_ops fs_file_ops = {
	.name = "file",
	.in_platform = true,
	.load = file_load,
	.attr = file_attr,
	.size = file_size,
	.open = file_open,
	.truncate = file_truncate,
	.unlink = file_unlink,
	.rename = file_rename,
	.check_access = file_check_access,
};
