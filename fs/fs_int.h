/*
 * fs_int.h - the FUSE face of metafs, private to fs/.
 *
 * Inode numbers.  The inode number *is* the address of the node, so the
 * daemon keeps no table from inode to node and its memory does not grow
 * with the catalog (the kernel may hold a million inodes after `stat` of a
 * million partitions; we hold none of them):
 *
 *   bits 63..60  platform index + 1 (0 for the mount's own nodes)
 *   bits 59..56  node kind (fs_kind)
 *   bits 55..0   object id: the store's persistent id of the database,
 *                table, partition directory or file; for the metadata files
 *                (.schema, .table, .partition) the id of the object they
 *                describe; for the mount's own nodes a fixed small number.
 *
 * Store ids are never reused and survive restarts, so inode numbers are
 * stable across remounts.  The alternatives were worse: a hash of the path
 * changes on rename and can collide; a counter handed out at lookup needs a
 * table that grows with every inode the kernel ever saw.
 *
 * Node kinds have one operations table each (fs_kind_ops in fs_node.c);
 * a NULL member means the operation does not apply to that kind and the
 * handler answers with the kind's default error.
 */
#ifndef METAFS_FS_INT_H
#define METAFS_FS_INT_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "manager.h"
#include "mgr_access.h"

typedef enum fs_kind {
	FS_KIND_GLOBAL = 0,     /* root, /.metafs and its files (platform bits 0) */
	FS_KIND_PLATFORM = 1,
	FS_KIND_DATABASE = 2,
	FS_KIND_TABLE = 3,
	FS_KIND_PNODE = 4,
	FS_KIND_FILE = 5,
	FS_KIND_SCHEMA = 6,     /* TABLE/.schema */
	FS_KIND_TABLEMETA = 7,  /* TABLE/.table */
	FS_KIND_PARTMETA = 8,   /* PARTITION/.partition */
	FS_KIND_JOBDIR = 9,     /* jobs/NAME/ (see fs_jobs.c) */
	FS_KIND_JOBSQL = 10,    /* jobs/NAME.sql */
	FS_KIND_JOBFILE = 11,   /* jobs/NAME/status, jobs/NAME/runs/N/plan, ... */
	FS_KIND_JOBRUNS = 12,   /* jobs/NAME/runs/ */
	FS_KIND_JOBRUN = 13,    /* jobs/NAME/runs/N/ */
	FS_KIND_SYNC = 14,      /* sync/NAME.rule, sync/NAME/, its files (see fs_sync.c) */
	FS_KIND_VIEW = 15,      /* .refresh, and a mirror's source partitions and files */
	FS_KIND_COUNT
} fs_kind;

/* Fixed ids of FS_KIND_GLOBAL nodes. */
enum {
	FS_GLOBAL_ROOT = 1,     /* FUSE_ROOT_ID */
	FS_GLOBAL_METADIR = 2,
	FS_GLOBAL_VERSION = 3,
	FS_GLOBAL_METRICS = 4,
	FS_GLOBAL_EVENTS = 5,
	FS_GLOBAL_LOG = 6,
	FS_GLOBAL_JOBS = 7,     /* jobs/ */
	FS_GLOBAL_SYNC = 8,     /* sync/ */
	FS_GLOBAL_PIPELINES = 9, /* pipelines/ */
	FS_GLOBAL_AUDIT = 10,   /* .metafs/audit: the audit log (ADMIN on the metastore) */
	FS_GLOBAL_GRANTS = 11,  /* .metafs/grants */
	FS_GLOBAL_ROLES = 12,   /* .metafs/roles */
	FS_GLOBAL_COUNT
};

#define FS_META_DIR_NAME ".metafs"
#define FS_SCHEMA_NAME ".schema"
#define FS_TABLEMETA_NAME ".table"
#define FS_PARTMETA_NAME ".partition"
#define FS_EVENTS_SHOWN 1000

static inline fuse_ino_t fs_ino_make(unsigned plat_index_plus1, fs_kind kind, uint64_t id)
{
	return ((uint64_t)plat_index_plus1 << 60) | ((uint64_t)kind << 56) | (id & STORE_ID_MAX);
}
static inline unsigned fs_ino_plat(fuse_ino_t ino) { return (unsigned)(ino >> 60); }
static inline fs_kind fs_ino_kind(fuse_ino_t ino) { return (fs_kind)((ino >> 56) & 15); }
static inline uint64_t fs_ino_id(fuse_ino_t ino) { return ino & STORE_ID_MAX; }

/* A node loaded for one request.  The records it holds are copies; the table
 * (for TABLE, PNODE, FILE in a table, SCHEMA, TABLEMETA, PARTMETA) owns
 * arrays: fs_node_clear() it. */
typedef struct fs_node {
	fuse_ino_t ino;
	fs_kind kind;
	mgr_platform *p;         /* NULL for global nodes */
	uint64_t id;
	store_database db;
	store_table table;
	bool have_table;
	store_pnode pn;
	store_file file;
	bool in_progress;        /* FILE: being written, not yet committed */
	uint64_t size;           /* FILE: current size; virtual files: rendered size */
	/* A view (fs_sync.c): a source partition or file seen from a mirror in
	 * the target platform VIEW_TARGET (index + 1), read-only; or .refresh. */
	unsigned view_target;
	unsigned view_sub;
	uint64_t since;          /* .refresh@N: N */
} fs_node;

/* An open file. */
typedef enum fs_handle_type {
	FS_HANDLE_READ_FD = 1,   /* a data file opened for reading */
	FS_HANDLE_WRITER = 2,    /* a data file being written */
	FS_HANDLE_TEXT = 3,      /* a rendered metadata file (snapshot at open) */
	FS_HANDLE_SCHEMA_WRITE = 4,
	FS_HANDLE_DIR = 5,
	FS_HANDLE_JOB_SUBMIT = 6,   /* jobs/NAME.sql being written: submitted on close */
	FS_HANDLE_JOB_WAIT = 7,     /* jobs/.../wait: the first read blocks */
	FS_HANDLE_SYNC_DEFINE = 8,  /* sync/NAME.rule being written: defined on close */
	FS_HANDLE_SYNC_RUN = 9,     /* sync/NAME/run: the first read runs the rule */
} fs_handle_type;

typedef struct fs_handle {
	fs_handle_type type;
	fuse_ino_t ino;
	int fd;                  /* READ_FD */
	mgr_writer *writer;      /* WRITER */
	uint64_t container_id;   /* WRITER: where the file lives */
	fuse_ino_t parent;       /* WRITER: that directory's inode */
	char name[STORE_NAME_MAX + 1];
	textbuf text;            /* TEXT, SCHEMA_WRITE, JOB_SUBMIT, JOB_WAIT (once ended) */
	bool text_dirty;         /* SCHEMA_WRITE, JOB_SUBMIT: bytes not yet used */
	uint32_t job, run;       /* JOB_SUBMIT, JOB_WAIT */
	bool waited;             /* JOB_WAIT: the run has ended, text holds its status */
	/* DIR: where the last readdir stopped */
	off_t last_off;
	char last_name[STORE_NAME_MAX + 1];
	struct fs_handle *next_writer;   /* fs.writers list */
	mgr_principal who;       /* who opened it: a definition is made as them at close */
} fs_handle;

enum { FS_OP_LOOKUP, FS_OP_GETATTR, FS_OP_READDIR, FS_OP_MKDIR, FS_OP_RMDIR, FS_OP_CREATE,
       FS_OP_OPEN, FS_OP_READ, FS_OP_WRITE, FS_OP_FLUSH, FS_OP_UNLINK, FS_OP_RENAME,
       FS_OP_SETATTR, FS_OP_COUNT };

struct fs {
	mgr *m;
	struct fuse_session *se;
	double entry_timeout;
	uid_t uid;
	gid_t gid;
	/* Mounted with allow_other (or allow_root): several users share the
	 * kernel's caches, so nothing whose visibility depends on the caller
	 * is cached (see fs_access.c). */
	bool shared;
	int64_t started_ns;
	int64_t home_mtime_ns;   /* times of the mount's own directories: stable across remounts */
	pthread_mutex_t writers_lock;
	fs_handle *writers;      /* open writers, so lookup/getattr see files in progress */
	uint64_t requests[FS_OP_COUNT];
	uint64_t invalidations;
	/* cache invalidation: a subscriber of the manager's change-log follower */
	bool invalidator_subscribed;
};

extern struct fs fs_state;
extern const struct fuse_lowlevel_ops fs_ops;

/* fs_node.c */
int fs_node_load(fuse_ino_t ino, fs_node *n);
void fs_node_clear(fs_node *n);
void fs_node_attr(const fs_node *n, struct stat *st);
/* Look NAME up under PARENT; fills *child (caller clears it). */
int fs_node_lookup(fs_node *parent, const char *name, fs_node *child);
/* Render a metadata file's text. */
int fs_node_render(fs_node *n, textbuf *out);
/* The writer registry. */
void fs_writers_add(fs_handle *h);
void fs_writers_remove(fs_handle *h);
/* Find an in-progress file by inode or by (container, name); fills size. */
bool fs_writers_find(fuse_ino_t ino, uint64_t container_id, const char *name, fuse_ino_t *ino_out,
		     uint64_t *size);
/* The name of a fixed node of the mount (".metafs", "jobs", "version", ...). */
const char *fs_global_name(unsigned id);
/* Map a store id of kind KIND on platform P to its inode. */
fuse_ino_t fs_ino_of(const mgr_platform *p, fs_kind kind, uint64_t id);

/* fs_access.c: access control at the mount (see the comment there). */
mgr_principal fs_principal(fuse_req_t req);
/* The catalog object N belongs to; false for the mount's own nodes. */
bool fs_node_object(const fs_node *n, mgr_object *o);
bool fs_node_visible(const mgr_principal *who, const fs_node *n);
/* mgr_authorize() on N's object; 0 for nodes with no object. */
int fs_node_authorize(const mgr_principal *who, const fs_node *n, unsigned privs,
		      const char *action);
/* lookup/getattr: -EACCES (audited as a "lookup" deny) when WHO cannot see N. */
int fs_check_lookup(const mgr_principal *who, const fs_node *n);
/* opendir: audited as "list". */
int fs_check_list(const mgr_principal *who, const fs_node *n);
/* open: what reading or writing N needs (audited). */
int fs_check_open(const mgr_principal *who, const fs_node *n, bool writing);
/* Writing a job file: SUBMIT on at least one platform (audited). */
int fs_check_submit(const mgr_principal *who);
/* The FUSE access op: MASK of R_OK, W_OK, X_OK (F_OK: 0).  Not audited. */
int fs_check_access(const mgr_principal *who, const fs_node *n, int mask);
/* Is id a file of .metafs/ (version, metrics, ..., audit, grants, roles)? */
bool fs_global_in_metadir(unsigned id);

/* fs_jobs.c */
/* The submitter of the job run N shows (the latest run for NAME/ and
 * NAME.sql); -ENOENT when it has no run yet. */
int fs_jobs_owner(const fs_node *n, mgr_principal *owner);
bool fs_jobs_kind(fs_kind kind);
bool fs_jobs_is_dir(const fs_node *n);
int fs_jobs_load(fs_node *n);
void fs_jobs_attr(const fs_node *n, struct stat *st);
int fs_jobs_lookup(fs_node *parent, const char *name, fs_node *child);
int fs_jobs_readdir(fs_node *dir, off_t off,
		    bool (*add)(void *ctx, const char *name, fuse_ino_t ino, off_t off), void *ctx);
int fs_jobs_create(fs_node *dir, const char *name, fuse_ino_t *ino);
int fs_jobs_open(fs_node *n, bool writing, fs_handle *h);
int fs_jobs_wait(fuse_req_t req, fs_handle *h);
int fs_jobs_submit(fs_handle *h, const struct fuse_ctx *ctx);

/* fs_sync.c */
bool fs_sync_is_dir(const fs_node *n);
int fs_sync_load(fs_node *n);
void fs_sync_attr(const fs_node *n, struct stat *st);
int fs_sync_lookup(fs_node *parent, const char *name, fs_node *child);
int fs_sync_readdir(fs_node *dir, off_t off,
		    bool (*add)(void *ctx, const char *name, fuse_ino_t ino, off_t off), void *ctx);
int fs_sync_create(fs_node *dir, const char *name, fs_handle *h, fuse_ino_t *ino);
int fs_sync_open(fs_node *n, bool writing, fs_handle *h);
int fs_sync_define(fs_handle *h);
/* Unlinking a definition: its owner or ADMIN on the metastore. */
int fs_sync_may_remove(const mgr_principal *who, fs_node *child);
int fs_sync_run(fuse_req_t req, fs_handle *h);
int fs_sync_unlink(fs_node *child);
/* The inode of child KIND/ID of DIR: a view inode when DIR is a view. */
fuse_ino_t fs_view_ino(const fs_node *dir, fs_kind kind, uint64_t id);
int fs_view_load(fs_node *n);
void fs_view_attr(const fs_node *n, struct stat *st);
int fs_view_lookup(fs_node *parent, const char *name, fs_node *child);
int fs_view_open_refresh(fs_node *n, fs_handle *h);

/* fs_invalidate.c: subscribe to the change-log follower (at FUSE init) and
 * unsubscribe (at destroy). */
int fs_invalidator_start(void);
void fs_invalidator_stop(void);

#endif
