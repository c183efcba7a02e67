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
 * Node kinds.  Each kind is one row of operations (struct fs_kind_ops
 * below), in the manner of Redis's dictType: the FUSE handlers (fs_ops.c)
 * load the node, take its row (fs_node_ops), call the member or, where it
 * is NULL, the common default, and reply once.  The rows live with the code
 * of their family, one file each:
 *
 *   fs_global.c    the root, .metafs and its files
 *   fs_catalog.c   platform, database, table, partition directory, data file
 *   fs_metafile.c  .schema, .table, .partition
 *   fs_jobs.c      jobs/ and everything under it
 *   fs_sync.c      sync/ and pipelines/ (the managed trees)
 *   fs_view.c      .refresh and a mirror's source seen from the target
 *
 * fs_snapshot.c keeps the renderings of generated files between a stat and
 * the open that follows it, so that st_size is what a read returns.
 *
 * and the table from kind to row is in fs_kinds.c.  Adding a kind means its
 * value in fs_kind, its row in the family's file (declared below) and one
 * line in that table; no handler changes.
 *
 * Calls go one way.  fs_ops.c calls fs_node.c (loading, attributes, lookup,
 * listing) and fs_access.c (the checks common to every kind).  The family
 * files call those two and never fs_ops.c; between families only the few
 * helpers declared at the end of this file are shared (the metadata files
 * load their table as the catalog does, the catalog asks fs_view.c for the
 * names only a mirror has).  fs_node.c and fs_access.c reach a family only
 * through the table.
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
	FS_KIND_VIEW = 15,      /* .refresh, and a mirror's source partitions and files (fs_view.c) */
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
	bool unmasked;           /* FILE found without its table: the table is no mirror */
	/* A view (fs_view.c): a source partition or file seen from a mirror in
	 * the target platform VIEW_TARGET (index + 1), read-only; or .refresh. */
	unsigned view_target;
	unsigned view_sub;
	uint64_t since;          /* .refresh@N: N */
	/* Under jobs/ (fs_jobs.c): the job and the run the node shows (run 0:
	 * the latest), and which of the run's files. */
	uint32_t job, run;
	unsigned job_file;
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

typedef struct fs_handle fs_handle;
struct fs_handle {
	fs_handle_type type;
	fuse_ino_t ino;
	int fd;                  /* READ_FD */
	mgr_writer *writer;      /* WRITER */
	bool overwrite;          /* WRITER: of a file already committed */
	bool wrote;              /* WRITER: a write or a size change came through it */
	bool committed;          /* WRITER: of a new file, committed once (writers_lock) */
	int64_t mtime_ns;        /* WRITER: set by futimens(2) while open, recorded after the commit */
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
	/* Set by the open: what a close (flush, fsync, release) makes of the
	 * bytes written, and what the first read waits for.  NULL: nothing. */
	int (*commit)(fs_handle *h);
	int (*prepare_read)(fuse_req_t req, fs_handle *h);
	size_t text_max;         /* a text being written (a definition): at most this long */
	/* TEXT, and READ_FD of the audit log: the rendering (fs_snapshot.c)
	 * this open serves, pinned until the release. */
	struct fs_snapshot *snapshot;
	/* READ_FD: reads end at LIMIT (the size a stat reported) when LIMITED. */
	uint64_t limit;
	bool limited;
};

/* st_blksize of a data file: what readers ask for at once (fs_catalog.c). */
#define FS_DATA_BLKSIZE (1 << 20)

/* The longest definition (schema, sync rule, pipeline) written through the mount. */
#define FS_DEFINITION_MAX (1 << 20)

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
	/* The kernel passes O_TRUNC to the open (FUSE_CAP_ATOMIC_O_TRUNC):
	 * a truncate through a handle is then always its writer's own. */
	bool atomic_o_trunc;
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

/* A listing being filled for one readdir request (fs_node.c). */
typedef struct fs_dirfill {
	fuse_req_t req;
	char *buf;
	size_t size, used;
	bool plus;               /* readdirplus: entries carry attributes */
	bool full;
	fs_handle *dh;           /* where the last listing stopped */
	mgr_principal who;       /* lists only what they can see */
} fs_dirfill;

/* What a node is, beyond its kind's row (fs_kind_ops.flags). */
enum {
	FS_NODE_DIR = 1,         /* a directory */
	FS_NODE_RENDERED = 2,    /* a metadata file: size from its rendering (fs_snapshot.c), never cached */
	FS_NODE_UNCACHED = 4,    /* changes as jobs and rules run: the kernel caches nothing of it */
};

/*
 * The operations of one node kind.  Every member may be NULL, which means
 * the default named beside it.  Members taking a directory are called on the
 * directory's row, members taking CHILD on the child's row.  All return 0 or
 * a negative errno; none replies to the kernel.
 */
struct fs_kind_ops {
	const char *name;
	bool in_platform;        /* its inodes carry a platform index (else 0) */
	unsigned flags;          /* FS_NODE_* of every node of the kind */
	/* FS_NODE_* when they differ from node to node (default: flags) */
	unsigned (*node_flags)(const fs_node *n);
	/* Fill N from its inode (kind, id, platform set); default: nothing to read. */
	int (*load)(fs_node *n);
	/* Mode, size, owner, times over the common defaults (default: none). */
	void (*attr)(const fs_node *n, struct stat *st);
	/* A metadata file's text (default: -EINVAL). */
	int (*render)(fs_node *n, textbuf *out);
	/* The bytes WHO reads from N when they are generated: rendered into
	 * OUT with their length in *LEN (0), or only *LEN with OUT left empty
	 * when the open serves them from a file (1: the audit log); -ENODATA when the
	 * read itself makes them (a job's wait, a rule's run).  A stat reports
	 * *LEN and the open that follows serves the same rendering
	 * (fs_snapshot.c).  Default: render for an FS_NODE_RENDERED node, else
	 * -ENODATA (the node's size is its own). */
	int (*snapshot)(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len);
	/* Set N's size for WHO's stat when it takes work beyond the load (a
	 * masked data file is materialized); default: none. */
	int (*size)(fs_node *n, const mgr_principal *who);
	/* The catalog object access is decided on (default: N's table, if any). */
	bool (*object)(const fs_node *n, mgr_object *o);
	/* NAME in the directory N (default: -ENOTDIR). */
	int (*lookup)(fs_node *dir, const char *name, fs_node *child);
	/* Entries from OFF on, through fs_dir_add (default: -ENOTDIR). */
	int (*readdir)(fs_node *dir, off_t off, fs_dirfill *df);
	/* Fill H for reading or writing N; may set direct_io in FI (default:
	 * writing is -EACCES, reading serves the rendering). */
	int (*open)(fs_node *n, bool writing, fs_handle *h, struct fuse_file_info *fi);
	/* truncate(2) to SIZE, H the handle it came through or NULL (default:
	 * fs_node_truncate_refused). */
	int (*truncate)(fs_node *n, off_t size, fs_handle *h, const mgr_principal *who);
	/* A file NAME in DIR, opened in H, its entry in E (default: -EROFS on a
	 * read-only node, else -ENOTDIR). */
	int (*create)(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		      struct fuse_entry_param *e);
	/* A directory NAME in DIR, authorized; its inode in *INO (default: -ENOTDIR). */
	int (*mkdir)(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino);
	/* Remove the directory CHILD of DIR (default: -ENOTDIR). */
	int (*rmdir)(fs_node *dir, fs_node *child, const mgr_principal *who);
	/* Remove the file CHILD of DIR (default: -EISDIR for a directory, else -EPERM). */
	int (*unlink)(fs_node *dir, fs_node *child, const mgr_principal *who);
	/* Move CHILD of FROM to NEWNAME in TO, a file of a writable table
	 * (default: -EPERM). */
	int (*rename)(fs_node *from, const char *name, fs_node *child, fs_node *to,
		      const char *newname, unsigned flags, const mgr_principal *who);
	/* Where data files made in the directory N live (default: -ENOTDIR). */
	int (*container)(const fs_node *n, uint64_t *container_id);
	/* opendir, audited as "list" (default: fs_check_list). */
	int (*check_list)(const mgr_principal *who, const fs_node *n);
	/* open, audited (default: SELECT to read, MODIFY to write, on the object). */
	int (*check_open)(const mgr_principal *who, const fs_node *n, bool writing);
	/* The FUSE access op, not audited (default: -EACCES). */
	int (*check_access)(const mgr_principal *who, const fs_node *n, int mask);
};

/* fs_kinds.c: the table. */
const struct fs_kind_ops *fs_node_ops(const fs_node *n);

/* The rows, exported by their families. */
extern const struct fs_kind_ops fs_global_ops;          /* fs_global.c */
extern const struct fs_kind_ops fs_platform_ops;        /* fs_catalog.c */
extern const struct fs_kind_ops fs_database_ops;
extern const struct fs_kind_ops fs_table_ops;
extern const struct fs_kind_ops fs_pnode_ops;
extern const struct fs_kind_ops fs_file_ops;
extern const struct fs_kind_ops fs_schema_ops;          /* fs_metafile.c */
extern const struct fs_kind_ops fs_tablemeta_ops;
extern const struct fs_kind_ops fs_partmeta_ops;
extern const struct fs_kind_ops fs_jobs_root_ops;       /* fs_jobs.c: jobs/ */
extern const struct fs_kind_ops fs_jobdir_ops;
extern const struct fs_kind_ops fs_jobsql_ops;
extern const struct fs_kind_ops fs_jobfile_ops;
extern const struct fs_kind_ops fs_jobruns_ops;
extern const struct fs_kind_ops fs_jobrun_ops;
extern const struct fs_kind_ops fs_tree_root_ops;       /* fs_sync.c: sync/, pipelines/ */
extern const struct fs_kind_ops fs_sync_ops;
extern const struct fs_kind_ops fs_view_ops;            /* fs_view.c */

/* fs_node.c: the common part of every operation. */
int fs_node_load(fuse_ino_t ino, fs_node *n);
void fs_node_clear(fs_node *n);
unsigned fs_node_flags(const fs_node *n);
static inline bool fs_node_is_dir(const fs_node *n) { return fs_node_flags(n) & FS_NODE_DIR; }
void fs_node_attr(const fs_node *n, struct stat *st);
/* Attributes (as WHO sees them: a generated file's size is that of its
 * rendering for WHO) and how long the kernel may keep them. */
int fs_node_stat(fs_node *n, const mgr_principal *who, struct stat *st, double *timeout);
int fs_node_entry(fs_node *n, const mgr_principal *who, struct fuse_entry_param *e);
/* Look NAME up under PARENT; fills *child (caller clears it). */
int fs_node_lookup(fs_node *parent, const char *name, fs_node *child);
/* Render a metadata file's text. */
int fs_node_render(fs_node *n, textbuf *out);
/* A mirror's source seen from the target, and a mirrored table itself, are
 * kept by their sync rule: the mount serves them read-only. */
bool fs_node_read_only(const fs_node *n);
/* The default truncate: -EROFS, -EISDIR or -EACCES. */
int fs_node_truncate_refused(const fs_node *n);
/* The truncate of a definition (a job's SQL, a rule, a pipeline): to 0
 * only; when H is the handle writing it (of type WRITING), what it holds is
 * dropped so that the close defines what is written after. */
int fs_node_truncate_definition(fs_node *n, off_t size, fs_handle *h, fs_handle_type writing);
/* A symlink in the data store, or a path leaving it, refused by the manager. */
int fs_refusal_errno(int rc);
/* Add one entry of a listing; NODE supplies the attributes, AFTER is the key
 * the listing resumes from (default: NAME).  False once the buffer is full. */
bool fs_dir_add(fs_dirfill *df, const char *name, fs_node *node, off_t off, const char *after);
/* The same for the node at INO, loaded here; one gone meanwhile is skipped. */
bool fs_dir_add_ino(fs_dirfill *df, const char *name, fuse_ino_t ino, off_t off);
/* Release what an open handle holds and free it (not committing anything). */
void fs_handle_discard(fs_handle *h);
/* The writer registry. */
void fs_writers_add(fs_handle *h);
void fs_writers_remove(fs_handle *h);
/* Find an in-progress file by inode or by (container, name); fills size.  By
 * name, only a new file never committed: once committed, its record (or
 * hidden file) is what its name leads to, and after a rename or an unlink of
 * it, nothing. */
bool fs_writers_find(fuse_ino_t ino, uint64_t container_id, const char *name, fuse_ino_t *ino_out,
		     uint64_t *size);
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
/* Does WHO hold PRIVS on N's object (no audit)?  True for nodes with none. */
bool fs_node_holds(const mgr_principal *who, const fs_node *n, unsigned privs);
/* ADMIN on the whole metastore (no audit). */
bool fs_metastore_admin(const mgr_principal *who);
/* lookup/getattr: -EACCES (audited as a "lookup" deny) when WHO cannot see N. */
int fs_check_lookup(const mgr_principal *who, const fs_node *n);
/* opendir: audited as "list". */
int fs_check_list(const mgr_principal *who, const fs_node *n);
/* open, the default: SELECT to read, MODIFY to write (audited). */
int fs_check_open(const mgr_principal *who, const fs_node *n, bool writing);
/* Writing a job file: SUBMIT on at least one platform (audited). */
int fs_check_submit(const mgr_principal *who);
/* Is SUBMIT held on at least one platform (no audit)? */
bool fs_submit_holds(const mgr_principal *who);
/* Members for rows that refuse, where the default answers otherwise: a
 * create in the mount's own trees (asked for SUBMIT first, audited as a job
 * file would be, then -EACCES); a mkdir or rmdir (-EACCES); access(2) on a
 * directory anyone may use (01777: 0). */
int fs_create_refused(fs_node *dir, const char *name, const mgr_principal *who, fs_handle *h,
		      struct fuse_entry_param *e);
int fs_mkdir_refused(fs_node *dir, const char *name, const mgr_principal *who, fuse_ino_t *ino);
int fs_rmdir_refused(fs_node *dir, fs_node *child, const mgr_principal *who);
int fs_access_anyone(const mgr_principal *who, const fs_node *n, int mask);
/* The FUSE access op (MASK of R_OK, W_OK, X_OK; not audited) for a file of
 * the catalog: seen, SELECT to read, never executed, MODIFY to write where
 * WRITABLE and not a view. */
int fs_check_access_file(const mgr_principal *who, const fs_node *n, int mask, bool writable);

/* The few helpers families share. */
/* fs_global.c: the name of a fixed node of the mount (".metafs", "jobs", ...). */
const char *fs_global_name(unsigned id);
/* fs_catalog.c: load N's table, or its partition and table (the metadata
 * files load as the objects they describe). */
int fs_catalog_load_table(fs_node *n);
int fs_catalog_load_pnode(fs_node *n);
/* fs_view.c: the inode of child KIND/ID of DIR, a view inode when DIR is a view. */
fuse_ino_t fs_view_ino(const fs_node *dir, fs_kind kind, uint64_t id);
/* In a mirrored table: .refresh, .refresh@N, or a partition of the source. */
int fs_view_lookup(fs_node *parent, const char *name, fs_node *child);

/* fs_snapshot.c: the renderings of generated files.  The handlers name the
 * calling process first (a rendering serves that process only).  Take N's
 * rendering for WHO - the one kept for this process, or a new one - and its
 * length in *LEN; with H (an open for reading) copy its bytes into H's text
 * and pin it until fs_snapshot_release(H).  0, or 1 when the open serves a
 * file (the audit log) which its reads must not pass *LEN of; -ENODATA: N
 * is not generated. */
void fs_snapshot_caller(pid_t pid);
int fs_snapshot_take(fs_node *n, const mgr_principal *who, fs_handle *h, uint64_t *len);
void fs_snapshot_release(fs_handle *h);
/* Drop every rendering not being read (a change made through the mount). */
void fs_snapshot_forget(void);

/* fs_invalidate.c: subscribe to the change-log follower (at FUSE init) and
 * unsubscribe (at destroy). */
int fs_invalidator_start(void);
void fs_invalidator_stop(void);

#endif
