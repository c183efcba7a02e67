/*
 * fs_node.c - nodes of the tree: from inode number to node, attributes,
 * name lookup, renderings of the metadata files, and the registry of files
 * being written.
 */
#include "fs_int.h"
#include "mgr_exchange.h"
#include "mgr_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fs fs_state;

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

fuse_ino_t fs_ino_of(const mgr_platform *p, fs_kind kind, uint64_t id)
{
	return fs_ino_make(p->index + 1, kind, id);
}

void fs_node_clear(fs_node *n)
{
	store_table_clear(&n->table);
	n->have_table = false;
}

static int load_table(store_txn *txn, uint64_t id, fs_node *n)
{
	store_kind kind;
	store_object obj;
	int rc = store_object_by_id(txn, id, &kind, &obj);
	if (rc)
		return rc;
	if (kind != STORE_KIND_TABLE)
		return -ENOENT;
	n->table = obj.table;
	n->have_table = true;
	return 0;
}

static int load_pnode(store_txn *txn, uint64_t id, fs_node *n)
{
	store_kind kind;
	store_object obj;
	int rc = store_object_by_id(txn, id, &kind, &obj);
	if (rc)
		return rc;
	if (kind != STORE_KIND_PNODE) {
		if (kind == STORE_KIND_TABLE)
			store_table_clear(&obj.table);
		return -ENOENT;
	}
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

int fs_node_load(fuse_ino_t ino, fs_node *n)
{
	memset(n, 0, sizeof *n);
	n->ino = ino;
	n->kind = fs_ino_kind(ino);
	n->id = fs_ino_id(ino);
	unsigned plat = fs_ino_plat(ino);
	if (plat == 0) {
		if (fs_jobs_kind(n->kind))
			return fs_jobs_load(n);
		if (n->kind == FS_KIND_SYNC)
			return fs_sync_load(n);
		if (n->kind != FS_KIND_GLOBAL || n->id == 0 || n->id >= FS_GLOBAL_COUNT)
			return -ENOENT;
		if (n->id == FS_GLOBAL_AUDIT) {   /* served from the file: its size */
			struct stat st;
			n->size = stat(mgr_audit_path(fs_state.m), &st) == 0 ? (uint64_t)st.st_size : 0;
		}
		return 0;
	}
	n->p = mgr_platform_at(fs_state.m, plat - 1);
	if (!n->p || n->kind == FS_KIND_GLOBAL)
		return -ENOENT;
	if (n->kind == FS_KIND_VIEW)
		return fs_view_load(n);
	if (n->kind == FS_KIND_PLATFORM)
		return n->id == 0 ? 0 : -ENOENT;
	store_txn *txn = NULL;
	int rc = store_read_begin(n->p->store, &txn);
	if (rc)
		return rc;
	store_kind kind;
	store_object obj;
	switch (n->kind) {
	case FS_KIND_DATABASE:
		rc = store_object_by_id(txn, n->id, &kind, &obj);
		if (rc == 0 && kind != STORE_KIND_DATABASE) {
			if (kind == STORE_KIND_TABLE)
				store_table_clear(&obj.table);
			rc = -ENOENT;
		}
		if (rc == 0)
			n->db = obj.database;
		break;
	case FS_KIND_TABLE:
	case FS_KIND_SCHEMA:
	case FS_KIND_TABLEMETA:
		rc = load_table(txn, n->id, n);
		break;
	case FS_KIND_PNODE:
		rc = load_pnode(txn, n->id, n);
		break;
	case FS_KIND_PARTMETA:
		rc = load_pnode(txn, n->id, n);
		if (rc == 0 && !n->pn.leaf)
			rc = -ENOENT;
		break;
	case FS_KIND_FILE:
		rc = store_object_by_id(txn, n->id, &kind, &obj);
		if (rc == 0 && kind != STORE_KIND_FILE) {
			if (kind == STORE_KIND_TABLE)
				store_table_clear(&obj.table);
			rc = -ENOENT;
		}
		if (rc == 0) {
			uint64_t size;
			n->file = obj.file;
			/* A rewrite in progress: the writer has the current size. */
			n->size = fs_writers_find(ino, 0, NULL, NULL, &size) ? size : n->file.bytes;
			rc = load_container(txn, n->file.pnode_id, n);
		} else if (rc == -ENOENT) {
			/* Created but not yet closed: only the writer knows it. */
			uint64_t size;
			if (fs_writers_find(ino, 0, NULL, NULL, &size)) {
				n->in_progress = true;
				n->size = size;
				n->file.id = n->id;
				n->file.owner_uid = fs_state.uid;
				n->file.owner_gid = fs_state.gid;
				n->file.created_ns = n->file.modified_ns = store_now_ns();
				rc = 0;
			}
		}
		break;
	default:
		rc = -ENOENT;
	}
	store_abort(txn);
	if (rc)
		fs_node_clear(n);
	return rc;
}

static void set_times(struct stat *st, int64_t created, int64_t modified)
{
	st->st_mtim.tv_sec = modified / 1000000000;
	st->st_mtim.tv_nsec = modified % 1000000000;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
	(void)created;
}

/* A data file served masked (mgr_exchange.h) has the transform's size: the
 * materialized file's, or 0 until it is (reads use direct_io). */
static void fs_exchange_attr(const fs_node *n, struct stat *st)
{
	uint64_t size = 0;

	if (mgr_exchange_data_size(fs_state.m, n->p, &n->table, n->view_target, &n->file, &size) > 0) {
		st->st_size = (off_t)size;
		st->st_blocks = (blkcnt_t)((size + 511) / 512);
	}
}

void fs_node_attr(const fs_node *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = n->ino;
	st->st_uid = fs_state.uid;
	st->st_gid = fs_state.gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	set_times(st, fs_state.home_mtime_ns, fs_state.home_mtime_ns);
	if (fs_jobs_kind(n->kind) || (n->kind == FS_KIND_GLOBAL && n->id == FS_GLOBAL_JOBS)) {
		fs_jobs_attr(n, st);
		return;
	}
	if (n->kind == FS_KIND_SYNC || fs_sync_is_dir(n)) {
		fs_sync_attr(n, st);
		return;
	}
	if (n->kind == FS_KIND_VIEW) {
		fs_view_attr(n, st);
		return;
	}
	switch (n->kind) {
	case FS_KIND_GLOBAL:
		if (n->id == FS_GLOBAL_ROOT || n->id == FS_GLOBAL_METADIR) {
			st->st_mode = S_IFDIR | (n->id == FS_GLOBAL_ROOT ? 0755 : 0555);
			st->st_nlink = 2;
		} else {
			st->st_mode = S_IFREG | (n->id == FS_GLOBAL_AUDIT ? 0400 : 0444);
			st->st_size = (off_t)n->size;
		}
		break;
	case FS_KIND_PLATFORM:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case FS_KIND_DATABASE:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_uid = n->db.owner_uid;
		st->st_gid = n->db.owner_gid;
		set_times(st, n->db.created_ns, n->db.created_ns);
		break;
	case FS_KIND_TABLE:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_uid = n->table.owner_uid;
		st->st_gid = n->table.owner_gid;
		set_times(st, n->table.created_ns, n->table.modified_ns);
		break;
	case FS_KIND_PNODE:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		st->st_uid = n->pn.owner_uid;
		st->st_gid = n->pn.owner_gid;
		set_times(st, n->pn.created_ns, n->pn.modified_ns);
		break;
	case FS_KIND_FILE:
		st->st_mode = S_IFREG | 0644;
		st->st_size = (off_t)n->size;
		st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
		st->st_uid = n->file.owner_uid;
		st->st_gid = n->file.owner_gid;
		set_times(st, n->file.created_ns, n->file.modified_ns);
		if (n->have_table && (n->view_target || mgr_is_mirror(&n->table)))
			fs_exchange_attr(n, st);
		break;
	case FS_KIND_SCHEMA:
		st->st_mode = S_IFREG | (n->table.has_schema ? 0444 : 0644);
		st->st_size = (off_t)n->size;
		st->st_uid = n->table.owner_uid;
		st->st_gid = n->table.owner_gid;
		set_times(st, n->table.created_ns, n->table.modified_ns);
		break;
	case FS_KIND_TABLEMETA:
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)n->size;
		set_times(st, n->table.created_ns, n->table.modified_ns);
		break;
	case FS_KIND_PARTMETA:
		st->st_mode = S_IFREG | 0444;
		st->st_size = (off_t)n->size;
		set_times(st, n->pn.created_ns, n->pn.modified_ns);
		break;
	default:   /* jobs/ nodes: handled above */
		break;
	}
	if (n->view_target)   /* a mirror's source, seen from the target: read-only */
		st->st_mode &= ~(mode_t)0222;
}

/* ---- renderings ------------------------------------------------------------- */

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
		       "# HELP metafs_uptime_seconds Seconds since the mount.\n"
		       "# TYPE metafs_uptime_seconds gauge\n"
		       "metafs_uptime_seconds %lld\n",
		       (unsigned long long)mgr_commit_count(fs_state.m),
		       (unsigned long long)__atomic_load_n(&fs_state.invalidations, __ATOMIC_RELAXED),
		       (long long)((store_now_ns() - fs_state.started_ns) / 1000000000));
	return textbuf_error(out);
}

int fs_node_render(fs_node *n, textbuf *out)
{
	switch (n->kind) {
	case FS_KIND_GLOBAL:
		switch (n->id) {
		case FS_GLOBAL_VERSION:
			textbuf_printf(out, "metafs %s\nformat %d\n", METAFS_VERSION, STORE_FORMAT_VERSION);
			return textbuf_error(out);
		case FS_GLOBAL_METRICS:
			return render_metrics(out);
		case FS_GLOBAL_EVENTS:
			return mgr_render_events(fs_state.m, FS_EVENTS_SHOWN, out);
		case FS_GLOBAL_LOG:
			return mgr_log_render(out);
		case FS_GLOBAL_GRANTS:
			return mgr_grants_render(fs_state.m, NULL, NULL, out);
		case FS_GLOBAL_ROLES:
			return mgr_roles_render(fs_state.m, out);
		default:
			return -EISDIR;
		}
	case FS_KIND_SCHEMA:
		return mgr_render_schema(&n->table, out);
	case FS_KIND_TABLEMETA:
		return mgr_render_table(n->p, &n->table, out);
	case FS_KIND_PARTMETA: {
		store_txn *txn = NULL;
		int rc = store_read_begin(n->p->store, &txn);
		if (rc == 0)
			rc = mgr_render_partition(n->p, txn, &n->table, &n->pn, out);
		store_abort(txn);
		return rc;
	}
	default:
		return -EINVAL;
	}
}

/* ---- lookup ------------------------------------------------------------------ */

/* Fill CHILD for one of the mount's own nodes or a metadata file. */
static int child_of(fs_node *child, fuse_ino_t ino)
{
	return fs_node_load(ino, child);
}

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
		child->size = fs_writers_find(child->ino, 0, NULL, NULL, &size) ? size : f.bytes;
		return 0;
	}
	fuse_ino_t ino;
	if (rc == -ENOENT && fs_writers_find(0, container_id, name, &ino, NULL))
		return child_of(child, ino);
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
	store_txn *txn = NULL;
	int rc = 0;
	switch (parent->kind) {
	case FS_KIND_GLOBAL:
		if (parent->id == FS_GLOBAL_JOBS)
			return fs_jobs_lookup(parent, name, child);
		if (fs_sync_is_dir(parent))
			return fs_sync_lookup(parent, name, child);
		if (parent->id == FS_GLOBAL_ROOT) {
			if (!strcmp(name, FS_META_DIR_NAME))
				return child_of(child, fs_ino_make(0, FS_KIND_GLOBAL, FS_GLOBAL_METADIR));
			for (unsigned g = FS_GLOBAL_JOBS; g < FS_GLOBAL_COUNT; g++)
				if (!strcmp(name, global_names[g]))
					return child_of(child, fs_ino_make(0, FS_KIND_GLOBAL, g));
			mgr_platform *p = mgr_platform_find(fs_state.m, name);
			return p ? child_of(child, fs_ino_of(p, FS_KIND_PLATFORM, 0)) : -ENOENT;
		}
		if (parent->id == FS_GLOBAL_METADIR) {
			for (unsigned i = FS_GLOBAL_VERSION; i < FS_GLOBAL_COUNT; i++)
				if (fs_global_in_metadir(i) && !strcmp(name, global_names[i]))
					return child_of(child, fs_ino_make(0, FS_KIND_GLOBAL, i));
			return -ENOENT;
		}
		return -ENOTDIR;
	case FS_KIND_JOBDIR:
	case FS_KIND_JOBRUNS:
	case FS_KIND_JOBRUN:
		return fs_jobs_lookup(parent, name, child);
	case FS_KIND_SYNC:
		return fs_sync_lookup(parent, name, child);
	case FS_KIND_PLATFORM: {
		store_database db;
		rc = store_read_begin(parent->p->store, &txn);
		if (rc == 0)
			rc = store_database_get(txn, name, &db);
		store_abort(txn);
		if (rc == 0) {
			child_from_record(child, parent, FS_KIND_DATABASE, db.id);
			child->db = db;
		}
		return rc;
	}
	case FS_KIND_DATABASE: {
		store_table t = {0};
		rc = store_read_begin(parent->p->store, &txn);
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
	case FS_KIND_TABLE:
		if (!strcmp(name, FS_SCHEMA_NAME))
			return child_of(child, fs_ino_of(parent->p, FS_KIND_SCHEMA, parent->table.id));
		if (!strcmp(name, FS_TABLEMETA_NAME))
			return child_of(child, fs_ino_of(parent->p, FS_KIND_TABLEMETA, parent->table.id));
		if (!strncmp(name, ".refresh", 8) && !parent->view_target)
			return fs_view_lookup(parent, name, child);
		if (!parent->table.has_schema)
			return -ENOENT;
		if (parent->table.npartkeys == 0)
			return lookup_in_container(parent, parent->table.id, name, child);
		break;
	case FS_KIND_PNODE:
		if (parent->pn.leaf) {
			if (!strcmp(name, FS_PARTMETA_NAME))
				return child_of(child, fs_ino_of(parent->p, FS_KIND_PARTMETA, parent->pn.id));
			return lookup_in_container(parent, parent->pn.id, name, child);
		}
		break;
	default:
		return -ENOTDIR;
	}
	/* A partition directory: any spelling that unescapes to the value. */
	uint32_t depth = parent->kind == FS_KIND_TABLE ? 1 : parent->pn.depth + 1;
	const char *key = parent->table.columns[parent->table.ncolumns + depth - 1].name;
	size_t klen = strlen(key);
	if (strncmp(name, key, klen) || name[klen] != '=')
		return -ENOENT;
	char value[STORE_NAME_MAX + 1];
	if (store_hive_unescape(name + klen + 1, value, sizeof value))
		return -ENOENT;
	store_pnode pn;
	rc = store_read_begin(parent->p->store, &txn);
	if (rc == 0)
		rc = store_pnode_get(txn, parent->table.id,
				     parent->kind == FS_KIND_TABLE ? 0 : parent->pn.id, value, &pn);
	store_abort(txn);
	if (rc == 0) {
		child_from_record(child, parent, FS_KIND_PNODE, pn.id);
		child->pn = pn;
	} else if (rc == -ENOENT && parent->kind == FS_KIND_TABLE && !parent->view_target &&
		   mgr_is_mirror(&parent->table)) {
		/* A path .refresh gave: the source's partition, read-only. */
		rc = fs_view_lookup(parent, name, child);
	}
	return rc;
}

/* ---- files being written --------------------------------------------------------- */

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
		if (ino ? h->ino != ino : (h->container_id != container_id || strcmp(h->name, name)))
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
