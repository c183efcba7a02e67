/*
 * manager.h - the metastore manager: platforms, their data stores and
 * metastores, and the catalog operations that must keep the two in step.
 *
 * A platform is a pair: a data store (a directory of data files in Hive
 * layout, DATASTORE/db/table/key=value/.../file) and a metastore (a store_env).
 * Every operation here that changes both follows one protocol, so a crash at
 * any instant leaves nothing half-visible:
 *
 *   creating  - make the data-store directory or file first, then commit the
 *               metastore transaction.  A crash in between leaves an orphan
 *               directory or staging file that no listing shows (listings come
 *               from the metastore) and that the next start cleans up.
 *   writing   - bytes go to DATASTORE/.metafs-staging/ and are fsynced; an
 *               intent (the file's id, table, partition, name, size, rows
 *               and XXH3-128) is committed to the metastore; the file is
 *               renamed into place (rename is atomic) and the directory
 *               fsynced; then one transaction records the file, its
 *               checksum and the new partition and table statistics and
 *               clears the intent.  Only then does close() return.  At
 *               start the daemon resolves every intent a crash left
 *               (mgr_intents_resolve; so does metafs repair when it can
 *               take the home's lock, i.e. no daemon runs, while with a
 *               daemon running it leaves the intents, commits in
 *               progress, to it and registers no file one of them
 *               names): a file in place with exactly the
 *               intent's bytes was renamed but not recorded, and its commit
 *               is finished; anything else means the rename never happened
 *               (the staged bytes went with the staging area) and the intent
 *               is dropped.  So no crash point leaves a recorded file whose
 *               bytes differ from its record, nor an unrecorded file in a
 *               listed partition.  A write that fails (ENOSPC, EIO, a failed fsync or
 *               rename) fails the writer: it commits nothing, its staging
 *               file is removed, and every later close or fsync returns that
 *               error.  A new file is then neither recorded nor listed; an
 *               overwritten one keeps its old bytes and record.  A writer
 *               that goes on writing after a commit (an fsync, or a close
 *               of one of several descriptors) first copies the committed
 *               bytes to a new staging file (mgr_writer_stage): bytes never
 *               land in a committed file, so a reader sees one whole
 *               version or the next, never a mix, and a failure after
 *               that commit keeps the committed bytes and record.
 *   job output - an INSERT or CREATE TABLE AS stages its files, renames
 *               them into their partition directories as
 *               part-JOB-RUN-STATEMENT-NNNNN.EXT, then one transaction lists
 *               them (sql_output.c).  Until that commit no listing shows
 *               them; the run's state says whether it committed.  A run the
 *               daemon stopped in the middle of (found running at start-up)
 *               is failed, and its unlisted output files (and the partition
 *               directories they alone made) are removed before any run
 *               starts (mgr_output_sweep).  Repair never registers an
 *               unlisted file so named unless its run is recorded as
 *               succeeded: it leaves it in place (a run in progress may be
 *               about to commit it) and reports it.
 *               The files an INSERT OVERWRITE replaces lose their records
 *               in that transaction, which also records a removal intent
 *               for each; their bytes are removed after the commit and the
 *               intents cleared.  A crash in between leaves the intents,
 *               and the next start (or repair with no daemon) removes the
 *               bytes: never old and new files listed together, nor an
 *               unlisted file left in a listed partition.
 *   dropping  - commit the metastore transaction first, then remove the data.
 *               A crash in between leaves unlisted bytes, never a listed
 *               object without its data.  A data file's drop commits, with
 *               the record's removal, a removal intent that describes the
 *               file, and clears it after the unlink: a crash in between
 *               leaves the bytes in place and the daemon's start removes
 *               them (the drop was committed), so a listed partition never
 *               holds a data file it does not list.
 *   hidden    - a file name base_name_hidden() calls hidden (a leading '.'
 *               or '_': rsync's .f.XXXXXX, vim's .swp, _SUCCESS) is never
 *               a data file.  Its writer stages and fsyncs like any other,
 *               and its commit renames the bytes into the partition's
 *               directory under the hidden name, with no intent, no record
 *               and no change event; a daemon restart finds them there.  A
 *               rename of it to a data name is its commit, with the
 *               protocol of "writing" (intent, rename, record: one event).
 *               Repair removes hidden files older than hidden_grace; a
 *               partition's or table's drop removes them.
 *   one name  - a file's commit (intent, rename, record), its drop (record,
 *               unlink) and a rename hold the manager's lock of the file's
 *               name (mgr_file.c, striped by a hash) from their first
 *               metastore change to their last, so concurrent writers and
 *               removers of one name never interleave: the record always
 *               names the bytes in place, and each intent is the one its
 *               own rename needs.
 *
 * Locks, and the order they are taken in.  A thread may take a lock further
 * down this list while holding one further up, never the other way round;
 * locks marked "leaf" are held only around their own data, with no other
 * lock taken and no waiting (beyond the lock itself) inside.
 *
 *   1. fs/: FUSE request handlers hold no lock across calls into the
 *      manager; fs_state.writers_lock and fs_sync.c's since_ring.lock are
 *      leaves.
 *   2. the access management mutex (mgr_access.c "manage": one grant
 *      change or reload at a time) - held across the manager environment's
 *      write transaction (so across LMDB's writer lock and the commit
 *      observer, 6) and the snapshot's rwlock (5).  One exception, taken
 *      the other way: a drop removes the grants of what it drops
 *      (mgr_grants_drop_object) while it holds its platform's writer lock,
 *      before it commits.  Nothing that holds this mutex ever waits for a
 *      platform's writer lock (it writes only the manager's environment and
 *      only reads the platforms'), so that cannot deadlock.
 *   3. the change-log follower's subs_lock (mgr_daemon.c) - held while
 *      subscribers run: the sync scheduler's kick takes the sync lock (4);
 *      the mount's invalidator sends kernel notifications, which may wait
 *      for FUSE requests in progress, so no request handler may ever wait
 *      for subs_lock (only FUSE init/destroy subscribe and unsubscribe).
 *   4. the sync lock (mgr_sync.c), the pipelines' lock (mgr_pipeline.c),
 *      the job queue's lock (mgr_job.c) - each held only around its own
 *      tables and state files, with the log (7) below; none of them is held
 *      while taking another of the three.  A sync run drops the sync lock
 *      before it applies (LMDB writes, access checks, audit) and before it
 *      activates pipelines (the pipelines' lock), so the three stay peers
 *      with no order among them.
 *   5. the access snapshot's rwlock and the per-platform owner index locks
 *      (mgr_access.c); the audit lock (mgr_audit.c), held while one entry
 *      is written.
 *   5a. the name locks of data files (mgr_file.c), one or two (a
 *      rename's, taken in index order) - held across a file's write
 *      transactions, its rename or unlink and its fsyncs; nothing of 2-5
 *      is held while taking them.
 *   6. LMDB's writer lock (store_write_begin to commit or abort), then,
 *      after it is released inside store_commit, the commit observer, which
 *      takes only the follower's wake_lock (a leaf).  No manager lock of 4
 *      is held across a write transaction.
 *   7. leaves: the log ring (mgr_log.c), the follower's wake_lock, the
 *      exchange key lock (mgr_exchange.c), the store's readers_lock, the
 *      table of hidden files' ids (mgr_file.c hidden_lock).
 *
 * Nothing here includes a FUSE header: the fs/ layer maps these int results
 * (0 or a negative errno) to replies.  Reasons for refusals are logged with
 * mgr_log() so a user can read them at /.metafs/log (each user the lines
 * of that user's requests and runs: see mgr_log_set_uid).
 */
#ifndef METAFS_MANAGER_H
#define METAFS_MANAGER_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"
#include "textbuf.h"   /* from store/ */

#define MGR_MAX_PLATFORMS 15
#define MGR_STAGING_DIR ".metafs-staging"
#define MGR_MAX_ADMINS 64               /* [access] admins */

typedef struct mgr mgr;

typedef struct mgr_platform {
	unsigned index;                 /* 0-based, config order */
	char name[STORE_NAME_MAX + 1];
	char data_dir[PATH_MAX];        /* absolute */
	char meta_dir[PATH_MAX];        /* absolute */
	store_env *store;
	struct mgr *mgr;                /* the manager this platform belongs to */
} mgr_platform;

typedef struct mgr_config {
	char home[PATH_MAX];
	size_t map_size;
	double entry_timeout;           /* seconds */
	double hidden_grace;            /* seconds a hidden file may stay before repair removes it */
	/* [jobs] */
	unsigned job_workers;           /* jobs run at once */
	unsigned job_threads;           /* worker threads one job may use */
	size_t memory_per_operator;     /* cap on one operator's share (0: none) */
	size_t memory_per_job;          /* bytes all operators of one job may hold */
	char spill_dir[PATH_MAX];       /* where operators over their budget spill */
	bool bad_rows_skip;             /* default policy for malformed rows */
	/* [metafs] pipeline_* (mgr_pipeline.c) */
	unsigned pipeline_workers;      /* pipelines run at once (default 2) */
	double pipeline_timeout;        /* seconds a run may take; 0: no limit (default 3600) */
	unsigned pipeline_debounce_ms;  /* quiet time after a change before a run (default 1000) */
	unsigned fuse_threads;          /* [metafs] fuse_threads: FUSE worker threads at most (16) */
	/* [access] */
	unsigned nadmins;
	uint32_t admins[MGR_MAX_ADMINS];   /* uids that are superusers besides the daemon's */
	size_t audit_max_bytes;         /* the audit log rotates past this size */
	unsigned audit_classes;         /* audit = ...: MGR_AUDIT_* bits of allowed entries written */
	bool has_home_group;            /* home_group = NAME: the group that may read the home */
	uint32_t home_gid;
	char home_group[64];            /* as written */
	/* [hms] (hms/: the Hive Metastore Thrift API; off unless listen is set) */
	char hms_listen[128];           /* ADDRESS:PORT ("" : not served) */
	char hms_allow[1024];           /* comma list of CIDRs ("" : loopback only) */
	unsigned hms_max_connections;   /* connections served at once (default 64) */
	char hms_location_prefix[PATH_MAX];  /* "" : file:// + the mount point */
	bool hms_allow_daemon_user;     /* may set_ugi name the daemon's own user */
	unsigned nplatforms;
	struct {
		char name[STORE_NAME_MAX + 1];
		char data_dir[PATH_MAX];
		char meta_dir[PATH_MAX];
		char engine[32];        /* engine = NAME: the engine of its jobs ("embedded") */
	} platforms[MGR_MAX_PLATFORMS];
} mgr_config;


/* ---- configuration and lifetime -------------------------------------------- */

/* Read HOME/metafs.ini.  On failure writes a one-line reason into ERR. */
int mgr_config_load(const char *home, mgr_config *cfg, char *err, size_t errlen);
/* Write a new home at HOME with the given platforms (NAMES[i], DATA[i] may be
 * NULL for the default data/NAME).  -EEXIST if HOME/metafs.ini exists. */
int mgr_home_init(const char *home, unsigned n, const char *const *names,
		  const char *const *data, char *err, size_t errlen);
/* The same, with GROUP (a name or a gid; NULL for none) as the home's group
 * ([access] home_group): the group may read the home, others nothing. */
int mgr_home_init_group(const char *home, unsigned n, const char *const *names,
			const char *const *data, const char *group, char *err, size_t errlen);
/* Is the home private?  0, or -EACCES with ERR naming the first path of
 * HOME's own (the home, data stores, metastores, the manager's directory,
 * exchange cache, jobs, logs, pipeline state) that users other than the
 * daemon's (and the home's group, for reading) may use, its mode and the
 * command that fixes it.  A few stat calls: no walk. */
int mgr_home_check(const mgr_config *cfg, char *err, size_t errlen);
/* metafs repair --fix-permissions: make every file and directory of the
 * home (and of data stores and metastores outside it) private: group and
 * other bits cleared, the home's group given read (directories: read,
 * search and set-group-ID) where one is configured; pipelines' own state
 * directories stay their owners' alone.  Symbolic links are never followed
 * and mounts inside the home not entered.  *CHANGED counts the paths whose
 * mode or group changed.  0 or -errno with ERR. */
int mgr_home_fix_permissions(const char *home, uint64_t *changed, char *err, size_t errlen);
/* Open the manager's environment (HOME/manager) and every platform's
 * metastore, and prepare each data store.  With DAEMON, take the home's lock
 * (one daemon per home: a second one fails with -EBUSY) and empty the
 * staging areas, which only a crashed daemon can have left non-empty.
 * *out is yours: mgr_close() it. */
int mgr_open(const char *home, bool daemon, mgr **out, char *err, size_t errlen);
/* Take the home's lock (HOME/.metafsd.lock) for M, opened without DAEMON:
 * 0 when no daemon holds it (M then holds it until mgr_close, and a daemon
 * started meanwhile fails with -EBUSY), -EBUSY with the reason in ERR when
 * a daemon runs.  A tool that holds it knows no commit is in progress. */
int mgr_home_lock(mgr *m, char *err, size_t errlen);
/* The manager's own environment (jobs, rules, grants in later stages). */
store_env *mgr_manager_store(mgr *m);
void mgr_close(mgr *m);
const mgr_config *mgr_get_config(const mgr *m);
unsigned mgr_platform_count(const mgr *m);
mgr_platform *mgr_platform_at(mgr *m, unsigned index);
mgr_platform *mgr_platform_find(mgr *m, const char *name);

/* Count of write transactions committed in this process to the metastores
 * and the manager's environment, whoever made them (for metrics). */
uint64_t mgr_commit_count(const mgr *m);

/* ---- the daemon's threads ---------------------------------------------------- */

/* Start the daemon's threads: the pipeline worker (pipelines see the mount at
 * MOUNTPOINT), the sync scheduler, the job workers and the change-log
 * follower, in that order (see mgr_daemon.c).  On failure everything started
 * is stopped again and ERR names the part that failed. */
int mgr_start(mgr *m, const char *mountpoint, char *err, size_t errlen);
/* Stop them in the reverse order.  Safe after a failed or partial start,
 * and when called again. */
void mgr_stop(mgr *m);

/* A subscriber of the change-log follower.  Both are called on the
 * follower's thread, never on a caller's (so a FUSE layer may send kernel
 * notifications from them); either may be NULL.  EVENT: one event of P's
 * log, in order, from the daemon's start on (or from the subscription on).
 * MOVED: P's log moved past where it was (after its events). */
typedef struct mgr_follower_ops {
	void (*event)(void *arg, mgr_platform *p, const store_event *ev);
	void (*moved)(void *arg, mgr_platform *p);
} mgr_follower_ops;
/* Subscribe (OPS and ARG are borrowed until mgr_unfollow).  -ENOTSUP when the
 * daemon's threads are not started. */
int mgr_follow(mgr *m, const mgr_follower_ops *ops, void *arg);
/* Unsubscribe; when it returns, OPS is not being called and will not be. */
void mgr_unfollow(mgr *m, const mgr_follower_ops *ops, void *arg);

/* ---- logging --------------------------------------------------------------- */

enum { MGR_LOG_ERROR = 0, MGR_LOG_WARN = 1, MGR_LOG_INFO = 2, MGR_LOG_DEBUG = 3 };
/* Log sinks: stderr (foreground) or syslog, and always an in-memory ring of the
 * newest lines.  From the first call on, the store's messages (see
 * store_log_set_sink) are logged here too, as errors. */
void mgr_log_setup(bool to_stderr, int level);
void mgr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line of the ring concerns no user (the daemon's own), or the uid set
 * for the calling thread: a FUSE request's handler sets its caller's, the
 * job, sync and pipeline runners the submitter's or owner's around a run.
 * Returns the thread's previous uid, to be set back. */
#define MGR_LOG_NO_UID UINT32_MAX
uint32_t mgr_log_set_uid(uint32_t uid);
/* Append the ring's lines, oldest first, to OUT: all of them with ALL, else
 * only those that concern UID (never the daemon's own). */
int mgr_log_render(textbuf *out, bool all, uint32_t uid);

/* ---- catalog operations ------------------------------------------------------- */
/* UID/GID are the caller's; ORIGIN says who asks.  All return 0 or -errno. */

int mgr_database_create(mgr_platform *p, const char *name, uint32_t uid, uint32_t gid,
			store_origin origin, store_database *out);
int mgr_database_drop(mgr_platform *p, const char *name, store_origin origin);
int mgr_table_create(mgr_platform *p, const char *db, const char *name, uint32_t uid,
		     uint32_t gid, store_origin origin, store_table *out);
/* Drops a table with no partitions and no files, and its data directory. */
int mgr_table_drop(mgr_platform *p, const char *db, const char *name, store_origin origin);
/* DROP TABLE: the table, all its partitions and files in one transaction,
 * then its data directory (after the commit, so a crash never leaves a
 * listed table without its data). */
int mgr_table_purge(mgr_platform *p, const char *db, const char *name, store_origin origin);
/* Parse schema TEXT (the .schema format of metafs(5)) and set it on DB.NAME.
 * On a parse error returns -EINVAL and writes "line N: reason" into ERR;
 * -EPERM (the same) for a property whose name is reserved for metafs
 * (sync_property_reserved), whoever asks. */
int mgr_table_define(mgr_platform *p, const char *db, const char *name, const char *text,
		     size_t len, store_origin origin, char *err, size_t errlen);
/* Change the schema of DB.NAME, which has one, to TEXT (the .schema
 * format): its properties always; its format, header, columns and
 * partition keys only while it holds no partition and no file (else
 * -ENOTEMPTY).  One transaction, one ALTER event.  The daemon's own
 * properties (metafs.*: sync_property_reserved) are kept; TEXT may not
 * name them.  On a refusal ERR says why (-EINVAL a parse error, as
 * mgr_table_define). */
int mgr_table_alter(mgr_platform *p, const char *db, const char *name, const char *text,
		    size_t len, store_origin origin, char *err, size_t errlen);
/* Parse schema TEXT into T (format, header, columns, properties; has_schema
 * set), storing nothing: what mgr_table_define would set, with its errors.
 * mgr_render_schema of the result parses back to the same table.  Free T
 * with store_table_clear(). */
int mgr_schema_parse(const char *text, size_t len, store_table *t, char *err, size_t errlen);

/* Create the partition directory NAME ("key=escaped-value") under PARENT_ID
 * (0: the table's first level) of table T. */
int mgr_pnode_create(mgr_platform *p, const store_table *t, uint64_t parent_id,
		     const char *name, uint32_t uid, uint32_t gid, store_origin origin,
		     store_pnode *out);
/* Create N partitions of T in one transaction (all or nothing): partition
 * I has the raw values VALUES[I * T->npartkeys + K], one per key; missing
 * upper levels are made, each level's directory before the commit as
 * mgr_pnode_create does.  A partition that exists already (or twice in
 * VALUES) is -EEXIST, or skipped with IF_NOT_EXISTS.  The mount's and the
 * Hive Metastore API's values must read back as their key's type (else
 * -EINVAL, nothing changed).  CREATED (N entries, may be NULL): which ones
 * were made.  ERR says why on -EINVAL and -ENAMETOOLONG. */
int mgr_partitions_create(mgr_platform *p, const store_table *t, uint32_t n,
			  const char *const *values, bool if_not_exists, uint32_t uid, uint32_t gid,
			  store_origin origin, bool *created, char *err, size_t errlen);
/* Split and check a partition directory name against T's key at DEPTH
 * (1-based); the raw value goes to VALUE.  Logs the reason on -EINVAL. */
int mgr_pnode_parse_name(const store_table *t, uint32_t depth, const char *name,
			 char value[STORE_NAME_MAX + 1]);
/* The directory name of a pnode: "key=escaped". */
int mgr_pnode_name(const store_table *t, const store_pnode *pn, char *out, size_t cap);
int mgr_pnode_drop(mgr_platform *p, const store_table *t, uint64_t pnode_id,
		   store_origin origin);
/* ALTER TABLE DROP PARTITION: the leaf partition PNODE_ID and its files in
 * one transaction, then their bytes. */
int mgr_pnode_purge(mgr_platform *p, const store_table *t, uint64_t pnode_id,
		    store_origin origin);

/* The Hive Metastore's partition filter (get_partitions_by_filter's text)
 * over one table's partition keys, decided by the SQL engine as a job's
 * partition pruning decides the same condition, LIKE aside (mgr_part_filter.c;
 * the grammar in metafsd(8)).  One object is used by one thread at a time. */
typedef struct mgr_part_filter mgr_part_filter;
/* Parse Hive metastore filter TEXT over T's partition keys (T is not kept;
 * empty text passes every partition); on error -EINVAL and the reason in
 * ERR ("line 1, column 7: unknown partition key ..."), or -ENOMEM. */
int mgr_part_filter_parse(const store_table *t, const char *text, mgr_part_filter **out,
			  char *err, size_t errlen);
/* 1 when the partition whose raw values are VALUES[0..t->npartkeys-1] passes,
 * 0 when not, -errno on failure. */
int mgr_part_filter_match(mgr_part_filter *f, char values[][STORE_NAME_MAX + 1]);
void mgr_part_filter_free(mgr_part_filter *f);   /* NULL allowed */

/* ---- data files ---------------------------------------------------------------- */

/* An open data file being written.  Bytes go to a staging file; commit makes
 * them durable and visible. */
typedef struct mgr_writer mgr_writer;

/* Start writing file NAME in CONTAINER_ID (a leaf pnode, or the table id of an
 * unpartitioned table).  FILE_ID: 0 for a new file (an id is reserved), else
 * the existing file's id; with KEEP the current bytes are copied into the
 * staging file first (an open without O_TRUNC), and W is not dirty until
 * mgr_writer_touch: its bytes are the committed ones.  *out is yours. */
int mgr_writer_open(mgr_platform *p, uint64_t table_id, uint64_t container_id,
		    const char *name, uint64_t file_id, bool keep, uint32_t uid, uint32_t gid,
		    mgr_writer **out);
uint64_t mgr_writer_id(const mgr_writer *w);
int mgr_writer_fd(const mgr_writer *w);
/* Bytes staged so far (the file's current size). */
int mgr_writer_size(mgr_writer *w, uint64_t *size);
bool mgr_writer_dirty(const mgr_writer *w);
void mgr_writer_touch(mgr_writer *w);
/* Call before every write or size change through mgr_writer_fd(W): after a
 * commit, it copies the committed bytes to a new staging file (the fd keeps
 * its number), so new bytes never land in the committed file.  0, or
 * -errno (W's failure, or a failed copy; W is then unchanged). */
int mgr_writer_stage(mgr_writer *w);
/* Record that a write or size change through W's fd failed with ERR (a
 * negative errno; the first one is kept): the caller's bytes are not whole,
 * so W never commits again.  The file's last committed bytes and record
 * stay as they were. */
void mgr_writer_fail(mgr_writer *w, int err);
/* The error W failed with (see mgr_writer_fail), or 0. */
int mgr_writer_failed(const mgr_writer *w);
/* Make the staged bytes durable and visible (see the protocol above).  The
 * writer stays usable: later writes go to a new staging file (see
 * mgr_writer_stage) and a further commit records them again.  A failed writer (a failed write, or a failed
 * fsync or rename in an earlier commit) commits nothing: its staging file is
 * removed and its error returned, every time it is asked. */
int mgr_writer_commit(mgr_writer *w, store_origin origin);
/* Discard uncommitted bytes and free W.  NULL is allowed. */
void mgr_writer_close(mgr_writer *w);

/* Open PATH (absolute, below DATA_DIR: P's data store, or the source's for
 * a mirror) with store_data_open(): no symlink is followed anywhere below
 * DATA_DIR.  A refusal (-ELOOP, -EXDEV) is logged and audited as UID's
 * (action "open", deny, "symlink in data store").  The fd or -errno. */
int mgr_data_open(mgr_platform *p, const char *data_dir, const char *path, int flags, mode_t mode,
		  uint32_t uid);

/* Remove file NAME of CONTAINER_ID: a data file's record and bytes (see
 * "dropping"), a hidden file's bytes (it has no record). */
int mgr_file_drop(mgr_platform *p, const store_table *t, uint64_t container_id,
		  const char *name, store_origin origin);
/* Hidden files (base_name_hidden: ".f.XXXXXX", "_SUCCESS") are never data
 * files: a writer of one commits its bytes under its name in the
 * partition's directory of the data store, with no record and no change
 * event; a rename of one to a data name is that file's commit (intent,
 * rename, record: one event); a rename of a data file to a hidden name
 * drops its record.  The mount knows hidden files by ids kept in memory.
 * Lookup gives the id of the hidden file NAME of CONTAINER_ID of table T
 * (one is reserved the first time): 0, or -ENOENT when there is no such
 * regular file or NAME is not hidden.  Get describes the file known by ID
 * as a record would (size, owner and times from the bytes); after a rename
 * over an existing data file, which kept its own id, ID still names that
 * file (the kernel knows the renamed file by it).  -ENOENT when unknown or
 * gone. */
int mgr_hidden_lookup(mgr_platform *p, const store_table *t, uint64_t container_id,
		      const char *name, uint64_t *id);
int mgr_hidden_get(mgr_platform *p, uint64_t id, store_file *out);
/* Remove the hidden files (regular files only) directly in DIR, a
 * directory of P's data store: the drop of an empty partition or table
 * takes them with it (the mount showed the directory empty). */
void mgr_hidden_remove_all(mgr_platform *p, const char *dir);
/* Rename a data file within one table (containers may differ). */
int mgr_file_rename(mgr_platform *p, const store_table *t, uint64_t from_container,
		    const char *from, uint64_t to_container, const char *to,
		    store_origin origin);
/* Set the mtime of data file NAME (id ID) in CONTAINER_ID to MTIME_NS, as
 * utimensat(2) does: recorded in its file record only (store_file_set_mtime),
 * not a data change - no new version, no event, the etag unchanged.  Under
 * the name's lock, so a commit of the name does not interleave.  -ENOENT if
 * the name now holds another file.  A hidden file's time is kept in memory
 * and recorded when a rename to a data name commits it. */
int mgr_file_set_mtime(mgr_platform *p, uint64_t container_id, const char *name, uint64_t id,
		       int64_t mtime_ns);
/* mgr_file_set_mtime on the file W writes, once committed (futimens(2) on
 * a file being written takes effect at its commit); -ENOENT before. */
int mgr_writer_set_mtime(mgr_writer *w, int64_t mtime_ns);

/* Finish or undo every data-file commit of P that a crash left between its
 * intent and its record (see "writing" above): a file in place with exactly
 * the intent's bytes is recorded (finished), any other intent is cleared
 * (dropped); the bytes a removal intent names (a dropped file, the files
 * an INSERT OVERWRITE replaced) are removed if still in place and unlisted
 * (removed).  Only
 * for a process that holds the home's lock (the daemon at
 * start, after emptying the staging areas; metafs repair when no daemon
 * runs): a running daemon's pending intents are commits in progress.
 * STATS may be NULL. */
typedef struct mgr_intent_stats {
	uint64_t finished, dropped, removed;
} mgr_intent_stats;
int mgr_intents_resolve(mgr_platform *p, mgr_intent_stats *stats);

/* One run of a job (ids as in mgr_job.h). */
typedef struct mgr_job_run_ref {
	uint32_t job, run;
} mgr_job_run_ref;

/* Register partitions and files found in the data store that the metastore
 * lacks, and drop records of files that are gone (MSCK REPAIR TABLE).
 * A file named as a job run's output (part-JOB-RUN-STATEMENT-NNNNN.EXT) that
 * no record lists is registered only when that run is recorded as
 * succeeded: the output of a run that failed, was interrupted or is still
 * running was never committed.  Such a file is left where it is (a run in
 * progress may be about to commit it), logged and counted as skipped.  A
 * file that a pending intent names is never registered nor updated: its
 * commit is in progress (a running daemon's) or is resolved by
 * mgr_intents_resolve; it is logged and counted in files_in_commit.  The
 * scan commits every few thousand changes; a crash between those commits
 * leaves what was committed, every record true to its bytes, and a repair
 * run again finishes the rest. */
typedef void mgr_repair_hidden_fn(void *arg, const char *path, double age_s, bool removed);
typedef struct mgr_repair_stats {
	uint64_t partitions_added, files_added, files_removed, files_updated;
	uint64_t files_skipped;
	uint64_t files_in_commit;
	/* Files whose bytes are not of the table's format (a Parquet file in
	 * a csv table, junk in a Parquet table ...): never registered. */
	uint64_t files_refused;
	/* Hidden files (base_name_hidden) of the table's data directories,
	 * never registered: those unchanged for longer than the configured
	 * hidden_grace are removed, the others kept. */
	uint64_t hidden_kept, hidden_removed;
} mgr_repair_stats;
int mgr_table_repair(mgr_platform *p, const char *db, const char *name, store_origin origin,
		     mgr_repair_stats *stats);
typedef void mgr_repair_refused_fn(void *arg, const char *path, const char *why);
/* mgr_table_repair, telling ON_HIDDEN(ARG, ...) of each hidden file found:
 * its data-store path, its age (seconds since its last change) and whether
 * it was removed; and ON_REFUSED(ARG, ...) of each file it did not register
 * because its bytes are not of the table's format: its data-store path and
 * why (fmt_file_scan's message, naming the file as the mount shows it).
 * Either may be NULL. */
int mgr_table_repair_report(mgr_platform *p, const char *db, const char *name,
			    store_origin origin, mgr_repair_stats *stats,
			    mgr_repair_hidden_fn *on_hidden, mgr_repair_refused_fn *on_refused,
			    void *arg);

/* ---- renderings of the metadata files (formats in metafs(5)) -------------------- */

int mgr_render_schema(const store_table *t, textbuf *out);
/* A table's .table; SHOW_SOURCE false leaves out the properties of a
 * mirror that describe its source (metafs.mirror.* but .rule). */
int mgr_render_table(mgr_platform *p, const store_table *t, bool show_source, textbuf *out);
int mgr_render_partition(mgr_platform *p, store_txn *txn, const store_table *t,
			 const store_pnode *pn, textbuf *out);
/* The column statistics of table T over the files of CONTAINER_ID (a leaf
 * pnode, T->id for an unpartitioned table, 0 for the whole table): OUT gets
 * T->ncolumns entries, as store_column_stats() in a fresh read snapshot of
 * P's metastore.  The bounds a planner may use to skip partitions and
 * files (a truncated string max, STORE_STAT_MAX_TRUNCATED, bounds prefixes
 * only). */
int mgr_column_stats(mgr_platform *p, const store_table *t, uint64_t container_id,
		     store_colstat *out, uint64_t *nfiles);
/* The newest MAX events of all platforms together, as one stream in commit
 * order (time, then the platforms' order, then seq); with WHO, only those
 * about what WHO may see (metafs(5)); NULL: all of them. */
struct mgr_principal;
int mgr_render_events(mgr *m, const struct mgr_principal *who, unsigned max, textbuf *out);
/* May WHO see event EV of P: a database's if WHO sees the database, a
 * table's if WHO sees the table, a partition's or a file's (which name
 * partition values) if WHO holds SELECT on the table, as a listing would
 * need.  What /.metafs/events and the Hive Metastore API's notifications
 * show. */
bool mgr_event_visible(mgr *m, const struct mgr_principal *who, const mgr_platform *p,
		       const store_event *ev);
/* RFC 3339 UTC time with nanoseconds. */
void mgr_format_time(int64_t ns, char out[40]);
void mgr_format_hex(const uint8_t *bytes, size_t n, char *out);

#endif
