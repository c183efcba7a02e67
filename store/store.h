/*
 * store.h - the metastore: one LMDB environment per platform.
 *
 * A metastore holds the catalog of one data platform: databases, tables,
 * partition directories ("pnodes") and data-file records, plus a change log
 * of events.  Everything here is plain C over LMDB; nothing knows about
 * FUSE or SQL.  Errors are ints: 0 is success, a negative errno value is a
 * failure (-ENOENT, -EEXIST, -ENOTEMPTY, -EINVAL, -ENOSPC, -EIO ...).  LMDB's
 * own codes are mapped to errno values at this boundary (MDB_MAP_FULL ->
 * -ENOSPC, MDB_NOTFOUND -> -ENOENT, MDB_KEYEXIST -> -EEXIST, anything else
 * -> -EIO with the LMDB message logged).
 *
 * Identity.  Every database, table, pnode and file gets a 56-bit id from a
 * per-environment counter when it is created.  Ids are never reused.  The
 * file system derives inode numbers from (platform, kind, id), so inode
 * numbers are stable across remounts and no in-memory map from inode to
 * object is needed: the "ids" sub-database maps an id back to its record.
 *
 * Key order is listing order.  Sub-databases and their keys:
 *   meta        "format" -> u32 format version, "next_id" -> u64
 *   databases   name                                    -> database record
 *   tables      db name, NUL, table name                -> table record
 *   pnodes      table id (u64 BE), values each + NUL     -> pnode record
 *   files       pnode id (u64 BE), file name            -> file record
 *   events      seq (u64 BE)                            -> event record
 *   ids         id (u64 BE)                              -> kind (u8) + primary key
 *   cursors     sync rule name                           -> version (u8) + u64 LE seq
 *   roles, members, grants   access control, see store_acl.c (manager's environment)
 * A pnode is one directory level below a table: a table partitioned by
 * (dt, hour) has pnodes "2024-05-01" (depth 1) and "2024-05-01\0" "03"
 * (depth 2, a leaf: a partition proper).  Listing one level is a cursor
 * range that skips deeper levels by seeking, so it never reads them.
 *
 * Records are versioned binary encodings (see store_record_*, and metafs(5)
 * for the byte layout).  Every record's etag is the XXH3-64 of its encoded
 * payload.
 *
 * Transactions.  One writer at a time (LMDB's rule).  Read transactions are
 * cheap: store_read_begin() reuses a per-thread reader (MDB_NOTLS with
 * reset/renew).  Every catalog change made through the functions below
 * appends an event in the same write transaction, so the log and the catalog
 * can never disagree; the one exception is a file's mtime set by utimensat(2)
 * (store_file_set_mtime), which is not a change of the data.
 */
#ifndef METAFS_STORE_H
#define METAFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STORE_FORMAT_VERSION 1
#define STORE_NAME_MAX 255          /* bytes in one name, as in a path component */
#define STORE_MAX_COLUMNS 1024
#define STORE_MAX_PARTKEYS 16
#define STORE_PSPEC_MAX 400         /* bytes of all partition values + NULs in one key */
#define STORE_ID_MAX ((UINT64_C(1) << 56) - 1)

typedef struct store_env store_env;  /* opaque: one LMDB environment */
typedef struct store_txn store_txn;  /* opaque: one read or write transaction */

typedef enum store_kind {
	STORE_KIND_NONE = 0,
	STORE_KIND_DATABASE = 1,
	STORE_KIND_TABLE = 2,
	STORE_KIND_PNODE = 3,
	STORE_KIND_FILE = 4,
} store_kind;

typedef enum store_type {
	STORE_TYPE_STRING = 1,
	STORE_TYPE_BIGINT = 2,
	STORE_TYPE_DOUBLE = 3,
	STORE_TYPE_BOOLEAN = 4,
	STORE_TYPE_DATE = 5,
	STORE_TYPE_TIMESTAMP = 6,
	/* decimal(p,s): the value holds p in bits 8-15 and s in bits 16-23 above
	 * this base (store_type_decimal); the table record persists both. */
	STORE_TYPE_DECIMAL = 7,
} store_type;

#define STORE_DECIMAL_MAX_PRECISION 38

static inline store_type store_type_decimal(unsigned precision, unsigned scale)
{
	return (store_type)(STORE_TYPE_DECIMAL | (precision << 8) | (scale << 16));
}
/* The base type of T (STORE_TYPE_DECIMAL for any decimal(p,s)). */
static inline store_type store_type_base(store_type t)
{
	return (store_type)((unsigned)t & 0xffu);
}
static inline unsigned store_type_precision(store_type t)
{
	return ((unsigned)t >> 8) & 0xffu;
}
static inline unsigned store_type_scale(store_type t)
{
	return ((unsigned)t >> 16) & 0xffu;
}
/* Whether T is a type a column may have: a base type without parameter
 * bits, or decimal(p,s) with 1 <= p <= 38 and 0 <= s <= p. */
bool store_type_valid(store_type t);

typedef enum store_format {
	STORE_FORMAT_CSV = 1,
	STORE_FORMAT_JSONL = 2,
	STORE_FORMAT_PARQUET = 3,
} store_format;
/* Whether F is one of the formats above. */
bool store_format_valid(uint32_t f);

typedef enum store_op {
	STORE_OP_CREATE = 1,
	STORE_OP_ALTER = 2,
	STORE_OP_DROP = 3,
} store_op;

/* Who made a change: lets the cache invalidator skip changes the kernel saw. */
typedef enum store_origin {
	STORE_ORIGIN_FS = 1,      /* a request through the mount */
	STORE_ORIGIN_JOB = 2,
	STORE_ORIGIN_SYNC = 3,
	STORE_ORIGIN_TOOL = 4,    /* the metafs command line, another process */
	STORE_ORIGIN_HMS = 5,     /* a Hive Metastore API call (hms/) */
} store_origin;

typedef struct store_database {
	uint64_t id;
	char name[STORE_NAME_MAX + 1];
	uint32_t owner_uid, owner_gid;
	int64_t created_ns;
	uint64_t etag;            /* filled by get/iterate; ignored by put */
} store_database;

typedef struct store_column {
	char name[STORE_NAME_MAX + 1];
	store_type type;
} store_column;

typedef struct store_table {
	uint64_t id;
	uint64_t db_id;
	char db[STORE_NAME_MAX + 1];
	char name[STORE_NAME_MAX + 1];
	uint32_t owner_uid, owner_gid;
	int64_t created_ns, modified_ns;
	bool has_schema;          /* false between mkdir and the first .schema write */
	store_format format;
	bool header;              /* csv files start with a header line */
	uint32_t ncolumns;        /* data columns, then npartkeys partition keys */
	uint32_t npartkeys;
	store_column *columns;    /* ncolumns + npartkeys entries; owned by the record */
	char *properties;         /* "key=value\n" lines, owned, may be NULL */
	/* statistics, kept by store_file_put/drop and store_pnode_* */
	uint64_t npartitions, nfiles, rows, bytes;
	uint64_t etag;
} store_table;

typedef struct store_pnode {
	uint64_t id;
	uint64_t table_id;
	uint64_t parent_id;       /* the pnode above, 0 at depth 1 */
	uint32_t depth;           /* number of values, 1..npartkeys */
	bool leaf;                /* depth == table's npartkeys: a partition */
	char value[STORE_NAME_MAX + 1];  /* this level's raw (unescaped) value */
	uint32_t owner_uid, owner_gid;
	int64_t created_ns, modified_ns;
	uint64_t nfiles, rows, bytes;
	uint8_t checksum[16];     /* XXH3-128 over (name, checksum) of its files in name order */
	uint64_t etag;
} store_pnode;

/*
 * Statistics of one data column of one file, as its format's own metadata
 * gives them without reading the data (a Parquet footer): null count, the
 * least and the greatest value.  A value is held as the typed bytes of the
 * column's base type (store_stat_value):
 *   BOOLEAN                    1 byte, 0 or 1
 *   BIGINT, DATE, TIMESTAMP    8 bytes, the i64 little-endian (days, microseconds)
 *   DOUBLE                     8 bytes, the IEEE 754 bits little-endian
 *   DECIMAL(p,s)               16 bytes, the unscaled i128 little-endian
 *   STRING                     the bytes, at most STORE_STAT_VALUE_MAX: a longer
 *                              value keeps its first STORE_STAT_VALUE_MAX bytes
 *                              and is marked truncated (a truncated min is still
 *                              a lower bound; a truncated max bounds only the
 *                              values' prefixes, see store_stat_value_cmp)
 */
#define STORE_STAT_VALUE_MAX 64
enum {
	STORE_STAT_MIN = 0x01,            /* min is set */
	STORE_STAT_MAX = 0x02,            /* max is set */
	STORE_STAT_NULLS = 0x04,          /* nulls is set */
	STORE_STAT_MIN_TRUNCATED = 0x08,  /* min is a prefix of the least value */
	STORE_STAT_MAX_TRUNCATED = 0x10,  /* max is a prefix of the greatest value */
};
#define STORE_STAT_FLAGS 0x1fu

typedef struct store_colstat {
	uint32_t column;          /* index of the data column in its table */
	store_type type;          /* that column's type when the statistics were taken */
	uint8_t flags;            /* STORE_STAT_* */
	uint8_t min_len, max_len;
	uint64_t nulls;
	uint8_t min[STORE_STAT_VALUE_MAX], max[STORE_STAT_VALUE_MAX];
} store_colstat;

typedef struct store_file {
	uint64_t id;
	uint64_t pnode_id;
	char name[STORE_NAME_MAX + 1];
	uint32_t owner_uid, owner_gid;
	int64_t created_ns, modified_ns;
	uint64_t bytes, rows;
	uint8_t checksum[16];     /* XXH3-128 of the data file's bytes */
	int64_t mtime_ns;         /* set by utimensat(2); 0: none, the mtime is modified_ns */
	uint64_t etag;            /* not covering mtime_ns: a time is not a data change */
	/* Column statistics (see store_colstat), in column order, each column
	 * at most once.  store_file_put records the NSTATS entries at STATS
	 * (borrowed for the call; STATS NULL: none).  Getters and iterators
	 * set STATS to NULL and NSTATS to how many the record holds: read them
	 * with store_file_stats().  So a record read and put back (a rename)
	 * loses its statistics unless the caller reads and passes them. */
	const store_colstat *stats;
	uint32_t nstats;
} store_file;

typedef struct store_event {
	uint64_t seq;             /* 1, 2, 3 ... per environment */
	int64_t time_ns;
	store_op op;
	store_kind kind;
	store_origin origin;
	uint64_t object_id;
	uint64_t parent_id;       /* db id for a table, table id or pnode id for a pnode, pnode id (or unpartitioned table id) for a file; 0 for a database */
	uint64_t etag;            /* of the record after the change (0 for a drop) */
	char path[1024];          /* "db", "db/table", "db/table/dt=2024-05-01/hour=03", ".../part-0.csv" (escaped names) */
} store_event;

typedef struct store_options {
	size_t map_size;          /* bytes; 0 means the default (64 GiB of address space) */
	unsigned max_readers;     /* 0 means the default (126) */
	bool read_only;
} store_options;

/* ---- environment ---------------------------------------------------------- */

/* Open (creating if needed) the environment in directory DIR, which must exist.
 * Checks the format version.  On success *out is yours: store_close() it. */
int store_open(const char *dir, const store_options *opts, store_env **out);
void store_close(store_env *env);
/* Human-readable message for a code returned by this module (and errno values). */
const char *store_strerror(int err);
/* Where the store's own messages go (an undecodable record, an LMDB error
 * with no errno meaning, a format version it cannot read): FN(MSG), MSG one
 * line without a newline.  NULL, the default, writes "metafs: store: MSG"
 * to stderr, which suits a command-line tool; a daemon, whose stderr is
 * /dev/null once it runs in the background, sends them to its log.
 * Process-wide; FN may be called from any thread. */
typedef void (*store_log_sink)(const char *msg);
void store_log_set_sink(store_log_sink fn);

/* ---- transactions ----------------------------------------------------------- */

/* A write transaction; blocks while another writer holds the lock. */
int store_write_begin(store_env *env, store_txn **out);
/* A read snapshot, reusing the calling thread's reader (reset/renew). */
int store_read_begin(store_env *env, store_txn **out);
/* A number that changes whenever a write transaction commits in ENV, from
 * any process (LMDB's last transaction id): anything read from ENV while
 * the stamp was S (a copy of the grants, an index of owners) is current as
 * long as the stamp is still S. */
uint64_t store_stamp(store_env *env);
/* Commit a write txn (a read txn is simply ended).  Frees TXN either way.
 * After a write txn commits, ENV's commit observer (if any) is called. */
int store_commit(store_txn *txn);
/* The commit observer of ENV: FN(ENV, ARG) is called by store_commit after
 * every write transaction it committed successfully in ENV, on the
 * committing thread, after LMDB's writer lock is released (FN may begin a
 * read, or even another write, transaction).  It is not called for aborts,
 * failed commits, read transactions or other processes' commits.  It is how
 * a layer above learns of every commit, whoever made it (sql/ and sync/
 * commit directly to the store): FN must be quick and must not wait for
 * anything that a committer may be holding.  Set it before ENV is shared
 * between threads; NULL removes it. */
typedef void (*store_commit_observer)(store_env *env, void *arg);
void store_env_set_commit_observer(store_env *env, store_commit_observer fn, void *arg);
/* Abandon TXN; frees it.  NULL is allowed. */
void store_abort(store_txn *txn);

/* ---- records ---------------------------------------------------------------- */
/* Getters fill caller storage.  For store_table, columns and properties are
 * allocated: release them with store_table_clear().  Names are validated with
 * store_name_valid(); a bad one gives -EINVAL. */

int store_database_create(store_txn *txn, const char *name, uint32_t uid, uint32_t gid,
			  store_origin origin, store_database *out /* may be NULL */);
int store_database_get(store_txn *txn, const char *name, store_database *out);
/* -ENOTEMPTY if it still holds tables. */
int store_database_drop(store_txn *txn, const char *name, store_origin origin);

/* Creates a table without a schema (has_schema false): the state after mkdir. */
int store_table_create(store_txn *txn, const char *db, const char *name, uint32_t uid,
		       uint32_t gid, store_origin origin, store_table *out /* may be NULL */);
int store_table_get(store_txn *txn, const char *db, const char *name, store_table *out);
/* Set format, header, columns, partition keys and properties of table T->db/T->name
 * from T (its other fields are ignored).  -EEXIST if the table already has a
 * schema, -EINVAL if the schema is not valid (no columns, duplicate names, too
 * many partition keys, bad names). */
int store_table_set_schema(store_txn *txn, const store_table *t, store_origin origin);
/* Replace format, header, columns, partition keys and properties of the
 * existing table T->db/T->name with T's (its other fields are ignored),
 * keeping its id, owner, pnodes, files and statistics; appends an ALTER
 * event.  Unlike store_table_set_schema this works on a table that has a
 * schema (a mirror following its source).  -ENOENT if the table is missing,
 * -EINVAL if the schema is not valid, -ENOTEMPTY if the partition keys would
 * change while the table holds pnodes or files. */
int store_table_alter(store_txn *txn, const store_table *t, store_origin origin);
/* Drops the table and every pnode and file record under it (one event for the
 * table; the data files are the caller's business). */
int store_table_drop(store_txn *txn, const char *db, const char *name, store_origin origin);
void store_table_clear(store_table *t);

/* Create a pnode under PARENT_ID (0: directly under the table).  VALUE is raw.
 * -ENOENT if the table or parent is missing, -EINVAL if the table has no
 * schema or is not partitioned, or the depth would exceed npartkeys,
 * -ENAMETOOLONG if the partition spec exceeds STORE_PSPEC_MAX. */
int store_pnode_create(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		       uint32_t uid, uint32_t gid, store_origin origin, store_pnode *out);
/* Create the partition (leaf pnode) VALUE under PARENT_ID holding the N
 * files FILES (their pnode_id and id are ignored; names must be distinct),
 * in one step: the same records and events as store_pnode_create followed
 * by a store_file_put per file, for writers of many partitions (sync).  On
 * success FILES[i].id, .pnode_id and .etag are set and *OUT (may be NULL)
 * is the pnode.  -EINVAL if VALUE would not be a leaf or a file name is bad
 * or repeated; otherwise as store_pnode_create. */
int store_partition_create(store_txn *txn, uint64_t table_id, uint64_t parent_id,
			   const char *value, uint32_t uid, uint32_t gid, store_file *files,
			   uint32_t n, store_origin origin, store_pnode *out);
/* Get or create: the child VALUE of PARENT_ID as store_pnode_get finds it,
 * or, when there is none, created as store_pnode_create does (owner UID/GID,
 * ORIGIN).  *CREATED (may be NULL) tells which.  The one way every writer
 * that fills partitions (job output, repair, sync) reaches a pnode. */
int store_pnode_ensure(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		       uint32_t uid, uint32_t gid, store_origin origin, store_pnode *out,
		       bool *created);
/* Look up the child VALUE of PARENT_ID (0: the table's first level). */
int store_pnode_get(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *value,
		    store_pnode *out);
/* -ENOTEMPTY if it has child pnodes or files. */
int store_pnode_drop(store_txn *txn, uint64_t pnode_id, store_origin origin);
/* The raw values from depth 1 down to PNODE (count in *n). */
int store_pnode_values(store_txn *txn, uint64_t pnode_id, char values[][STORE_NAME_MAX + 1],
		       uint32_t max, uint32_t *n);

/* Insert or replace the file record F->name in leaf pnode F->pnode_id, keeping
 * the pnode's and table's statistics and checksum in step.  A table without
 * partition keys holds its files directly: there F->pnode_id is the table's id
 * (likewise for store_file_get/drop and store_iter_files).  F->id: 0 to
 * allocate (a new file), or the existing id (a rewrite keeps its id).  On
 * success F->id and F->etag are set. */
int store_file_put(store_txn *txn, store_file *f, store_origin origin);
int store_file_get(store_txn *txn, uint64_t pnode_id, const char *name, store_file *out);
/* Set the mtime of file NAME in PNODE_ID to MTIME_NS (0: none, the commit
 * time shows) if its id is still ID (-ENOENT otherwise).  A time is not a
 * data change: the record's etag, the statistics of its partition and table
 * and their times stay as they are, and no event is appended (the one
 * catalog change without one). */
int store_file_set_mtime(store_txn *txn, uint64_t pnode_id, const char *name, uint64_t id,
			 int64_t mtime_ns);
int store_file_drop(store_txn *txn, uint64_t pnode_id, const char *name, store_origin origin);

/* Reserve a fresh id (for an object whose record is written later, e.g. a file
 * being written).  Committed with TXN. */
int store_id_reserve(store_txn *txn, uint64_t *out);

/* Resolve an id to its kind and record.  OUT must point at the struct matching
 * the kind found; pass a union store_object. */
typedef union store_object {
	store_database database;
	store_table table;        /* store_table_clear() it */
	store_pnode pnode;
	store_file file;
} store_object;
int store_object_by_id(store_txn *txn, uint64_t id, store_kind *kind, store_object *out);

/* ---- views (store_view.c) ----------------------------------------------------- */
/* A view is a named query, kept as Hive keeps a virtual view: its text,
 * expanded by the SQL analyzer wherever the view is read.  Sub-database
 * "views", key db name, NUL, view name (as tables); the record layout is in
 * metafs(5).  Views and tables share one namespace per database: a view
 * cannot take a table's name nor a table a view's (store_table_create gives
 * -EEXIST).  Views have no id, no pnodes and no files, append no events
 * (sync does not carry them) and go with their database
 * (store_database_drop drops them). */
typedef struct store_view {
	char db[STORE_NAME_MAX + 1];
	char name[STORE_NAME_MAX + 1];
	uint32_t owner_uid, owner_gid;
	int64_t created_ns;
	char *text;               /* the query, NUL-terminated; owned */
	uint32_t ncolumns;        /* names the view gives its columns (0: the query's) */
	char **columns;           /* ncolumns names; owned */
} store_view;

/* Create view V->db/V->name (V's owner, created_ns, text and columns; a
 * created_ns of 0 is now), or with REPLACE also replace one.  -ENOENT if
 * the database is missing, -EEXIST if a table has the name or (without
 * REPLACE) a view has, -EINVAL for a bad name, an empty text or a column
 * name that is not a name. */
int store_view_put(store_txn *txn, const store_view *v, bool replace);
/* OUT's text and columns are allocated: store_view_clear() it. */
int store_view_get(store_txn *txn, const char *db, const char *name, store_view *out);
/* -ENOENT if there is no such view. */
int store_view_drop(store_txn *txn, const char *db, const char *name);
void store_view_clear(store_view *v);
/* The views of DB in name order: FN(view, ARG) for each (return non-zero
 * to stop with that value). */
int store_view_iter(store_txn *txn, const char *db, int (*fn)(const store_view *v, void *arg),
		    void *arg);

/* ---- iteration -------------------------------------------------------------- */
/* A cursor over one listing, in key order.  AFTER (may be NULL) resumes after
 * the entry with that name.  Next returns 0 and fills OUT, or -ENOENT at the
 * end.  The cursor lives within its transaction. */
typedef struct store_iter store_iter;
int store_iter_databases(store_txn *txn, const char *after, store_iter **out);
int store_iter_tables(store_txn *txn, const char *db, const char *after, store_iter **out);
/* Pnodes directly under PARENT_ID (0: the table's first level), after raw value AFTER. */
int store_iter_pnodes(store_txn *txn, uint64_t table_id, uint64_t parent_id, const char *after,
		      store_iter **out);
int store_iter_files(store_txn *txn, uint64_t pnode_id, const char *after, store_iter **out);
/* Events with seq > AFTER_SEQ in order. */
int store_iter_events(store_txn *txn, uint64_t after_seq, store_iter **out);
/* OUT must be the struct matching the iterator (store_table: clear it after use). */
int store_iter_next(store_iter *it, void *out);
void store_iter_close(store_iter *it);

/* Sequence number of the newest event (0 if none). */
int store_event_head(store_txn *txn, uint64_t *seq);
/* Sequence number of the oldest event still in the log (0 if none). */
int store_event_first(store_txn *txn, uint64_t *seq);
/* Log retention: delete the events with seq < BEFORE_SEQ (write txn).  The
 * newest event is always kept, so sequence numbers never go back. */
int store_events_trim(store_txn *txn, uint64_t before_seq);

/* ---- sync cursors ----------------------------------------------------------- */
/* The last source event a sync rule applied into this (the target)
 * environment, written in the same transaction as the records it covers. */

/* *SEQ = the cursor of RULE, 0 when it has none. */
int store_cursor_get(store_txn *txn, const char *rule, uint64_t *seq);
/* Set the cursor of RULE (write txn). */
int store_cursor_put(store_txn *txn, const char *rule, uint64_t seq);

/* ---- intents ------------------------------------------------------------------ */
/* A data file about to be moved into the data store, recorded (in its own
 * committed transaction) before the rename, and cleared in the transaction
 * that records the file.  After a crash an intent still present says the
 * rename may have happened without its record: the daemon finishes the
 * commit if the file in place has the intent's bytes, and drops the intent
 * otherwise (see the commit protocol in manager.h).  A removal intent
 * (REMOVE) is written instead in the transaction that drops the record of a
 * file whose bytes are removed after the commit (the files an INSERT
 * OVERWRITE replaces), and cleared once they are: after a crash the daemon
 * removes the bytes still in place.  Sub-database "intents", key the
 * file's id (8 bytes big-endian). */
typedef struct store_intent {
	uint64_t file_id;        /* the id the file's record will have */
	uint64_t table_id;
	uint64_t container_id;   /* leaf pnode, or the table when unpartitioned */
	uint64_t bytes, rows;
	uint8_t checksum[16];    /* XXH3-128 of the bytes */
	uint32_t uid, gid;
	char name[STORE_NAME_MAX + 1];
	bool remove;             /* the record is dropped: the bytes go */
} store_intent;

/* Record IN (write txn); replaces an intent of the same file id. */
int store_intent_put(store_txn *txn, const store_intent *in);
/* Clear the intent of FILE_ID (write txn); 0 when there is none. */
int store_intent_clear(store_txn *txn, uint64_t file_id);
/* Every pending intent: *OUT (you own it, free()) of *N. */
int store_intent_list(store_txn *txn, store_intent **out, size_t *n);

/* ---- access control (store_acl.c) ---------------------------------------------- */
/* Roles, role memberships and grants, kept in the manager's environment
 * (sub-databases "roles", "members" and "grants", see metafs(5)).  The
 * store knows nothing of what a privilege means: a grant carries a u32 bit
 * set.  An object is named by its level (0 the metastore, 1 a platform, 2 a
 * database, 3 a table) and that many names; names past the level are
 * ignored.  Grant keys sort by object (level, then names) and then by
 * grantee, so the grants on one object are one cursor range.  A key is at
 * most STORE_KEY_MAX bytes: an object and grantee whose names together do
 * not fit give -ENAMETOOLONG.  An environment written before these
 * sub-databases existed gains them on its next read-write open; opened
 * read-only it simply holds no roles and no grants. */

typedef enum store_grantee_kind {
	STORE_GRANTEE_USER = 1,     /* by uid */
	STORE_GRANTEE_GROUP = 2,    /* by gid */
	STORE_GRANTEE_ROLE = 3,     /* by role name */
} store_grantee_kind;

#define STORE_ACL_LEVEL_MAX 3

typedef struct store_role {
	char name[STORE_NAME_MAX + 1];
	uint32_t creator_uid;
	int64_t created_ns;
} store_role;

/* ROLE is granted to a user (KIND user, ID uid) or a group (KIND group, ID gid). */
typedef struct store_member {
	char role[STORE_NAME_MAX + 1];
	store_grantee_kind kind;    /* STORE_GRANTEE_USER or STORE_GRANTEE_GROUP */
	uint32_t id;
	uint32_t grantor_uid;
	int64_t created_ns;
} store_member;

typedef struct store_grant {
	uint32_t level;             /* 0..STORE_ACL_LEVEL_MAX */
	char names[STORE_ACL_LEVEL_MAX][STORE_NAME_MAX + 1];  /* platform, db, table */
	store_grantee_kind kind;
	uint32_t id;                /* uid or gid; 0 for a role */
	char role[STORE_NAME_MAX + 1];   /* the role's name; "" otherwise */
	uint32_t privs;             /* bit set, never 0 in a stored grant */
	uint32_t grantor_uid;
	int64_t created_ns;         /* when the grant last changed */
} store_grant;

/* Callbacks of the iterators: return 0 to go on, anything else stops the
 * iteration, which then returns that value. */
typedef int (*store_role_fn)(const store_role *r, void *arg);
typedef int (*store_member_fn)(const store_member *m, void *arg);
typedef int (*store_grant_fn)(const store_grant *g, void *arg);

/* Create role R->name (-EEXIST if it exists). */
int store_role_put(store_txn *txn, const store_role *r);
int store_role_get(store_txn *txn, const char *name, store_role *out);
/* Drop the role, its memberships and every grant to it (-ENOENT if missing). */
int store_role_drop(store_txn *txn, const char *name);
/* Every role in name order. */
int store_role_iter(store_txn *txn, store_role_fn fn, void *arg);

/* Insert or replace the membership (M->role, M->kind, M->id).  The role
 * must exist (-ENOENT). */
int store_member_put(store_txn *txn, const store_member *m);
/* -ENOENT if there is no such membership. */
int store_member_drop(store_txn *txn, const char *role, store_grantee_kind kind, uint32_t id);
/* The members of ROLE (NULL: of every role), by role, then kind, then id. */
int store_member_iter(store_txn *txn, const char *role, store_member_fn fn, void *arg);

/* Insert or replace the grant G (its object and grantee are the key).
 * -EINVAL if G->privs is 0 or a name is bad; -ENOENT for a role grantee
 * whose role does not exist. */
int store_grant_put(store_txn *txn, const store_grant *g);
/* The grant of KEY's object to KEY's grantee (only those fields of KEY are
 * read) into OUT; -ENOENT if there is none. */
int store_grant_get(store_txn *txn, const store_grant *key, store_grant *out);
int store_grant_drop(store_txn *txn, const store_grant *key);
/* Every grant, in key order. */
int store_grant_iter(store_txn *txn, store_grant_fn fn, void *arg);
/* Drop every grant on the object of KEY (its LEVEL, 1 or more, and NAMES;
 * the rest of KEY is not read) and on every object below it, calling FN
 * (when not NULL) with each before it goes; FN returning non-zero stops
 * the walk with that value, and the caller then aborts.  What goes with a
 * dropped database or table (see mgr_grants_drop_object). */
int store_grant_drop_object(store_txn *txn, const store_grant *key, store_grant_fn fn, void *arg);


/* ---- names ------------------------------------------------------------------ */
/* A name is valid if it is 1..255 bytes, not "." or "..", and holds no '/' or NUL.
 * On failure returns false and, if WHY is not NULL, points it at a static reason. */
bool store_name_valid(const char *name, const char **why);
/* Whether a valid file name is data or hidden (a leading '.' or '_') is
 * base_name_hidden() in base/base_path.h: base/, so that metafs-pipeline,
 * which links nothing else, applies the same rule. */
/* Hive path escaping of a partition value ("a/b" -> "a%2Fb"); writes at most
 * CAP bytes including NUL; -ENAMETOOLONG if it does not fit. */
int store_hive_escape(const char *raw, char *out, size_t cap);
/* Inverse; -EINVAL on a malformed escape. */
int store_hive_unescape(const char *escaped, char *out, size_t cap);

/* The first control character in the N bytes at S, as a code point: a C0
 * control (NUL, tab, newline and carriage return included), DEL, or a C1
 * control in UTF-8 (U+0080..U+009F); -1 if there is none. */
long store_text_control(const char *s, size_t n);
/* The N bytes at S as a message may show them: each control character of
 * store_text_control() becomes '?'; cut to fit CAP bytes with its NUL, an
 * ellipsis saying so. */
void store_text_shown(const char *s, size_t n, char *out, size_t cap);
/* Can KEY = VALUE (KLEN and VLEN bytes, NULs counted) be a table property:
 * does the .schema line "property KEY = VALUE" read back as this key and
 * value?  Spaces around either are not part of it (.schema drops them).
 * Refused: a control character anywhere, an empty key, '=' in the key, and
 * a '#' that starts the key or the value or follows a space in them (it
 * would read as a comment).  On refusal -EINVAL, the reason in ERR naming
 * the property ("property 'k': value holds a control character (U+000A)"). */
int store_property_check(const char *key, size_t klen, const char *value, size_t vlen, char *err,
			 size_t errlen);

/* Type names as written in .schema ("string", "bigint", "decimal(15,2)",
 * ...; the name is static); parse accepts any case, the alias "int",
 * "decimal" alone as decimal(10,0) (Spark's default), "decimal(p)" as
 * decimal(p,0), and "numeric"/"dec" for "decimal", spaces allowed inside the
 * parentheses.  Parse returns 0 or -EINVAL. */
const char *store_type_name(store_type t);
int store_type_parse(const char *s, store_type *out);

/* ---- encoding (exposed for tests and tools) --------------------------------- */
/* Encode REC of KIND into a buffer you own (free()).  Decode into OUT (a
 * matching struct; a table's arrays are allocated).  -EINVAL on a malformed or
 * unknown-version buffer. */
int store_record_encode(store_kind kind, const void *rec, void **buf, size_t *len);
int store_record_decode(store_kind kind, const void *buf, size_t len, void *out);
/* The etag of the encoded record BUF/LEN of KIND: XXH3-64 of its bytes, but
 * for a file record of version 2 that of the version 1 bytes it holds (the
 * set mtime is not covered). */
uint64_t store_record_etag(store_kind kind, const void *buf, size_t len);
int store_event_encode(const store_event *ev, void **buf, size_t *len);
int store_event_decode(const void *buf, size_t len, store_event *out);

/* ---- data store layout (store_layout.c) ------------------------------------- */

/* Absolute path, under the data store DATA_DIR, of table T's directory
 * (CONTAINER_ID = T->id) or of a partition directory (CONTAINER_ID = a pnode
 * id: DATA_DIR/db/table/key=escaped/...), with "/NAME" appended when NAME is
 * not NULL.  Reads the pnode's values through TXN. */
int store_data_path(store_txn *txn, const char *data_dir, const store_table *t,
		    uint64_t container_id, const char *name, char *out, size_t cap);
/* Open RELPATH (relative, e.g. "db/table/key=v/file") below the data store
 * DATA_DIR with open(2) FLAGS and MODE, refusing to follow a symlink in any
 * component and any path that would leave DATA_DIR (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS; without
 * openat2, O_NOFOLLOW on every component and ".." refused).  The fd, or
 * -ELOOP for a symlink, -EXDEV for an escape, another -errno otherwise.
 * O_CLOEXEC is always added. */
int store_data_open(const char *data_dir, const char *relpath, int flags, mode_t mode);
/* PATH (absolute, from store_data_path) relative to DATA_DIR: a pointer into
 * PATH, or NULL when PATH is not below DATA_DIR. */
const char *store_data_relative(const char *data_dir, const char *path);
/* store_data_open() of an absolute PATH below DATA_DIR; -EXDEV when it is not. */
int store_data_open_path(const char *data_dir, const char *path, int flags, mode_t mode);
/* Put the staged file STAGED (absolute; FD, when not -1, an open descriptor
 * of it) in place as PATH (absolute, below DATA_DIR), durably: fsync the
 * file, rename it into PATH's directory as opened by store_data_open (no
 * symlink followed below DATA_DIR), fsync that directory and, when TOP is
 * not NULL, each directory above it up to TOP (new directories need their
 * parents synced for their entries to last).  The file is replaced if it
 * exists.  -ELOOP or -EXDEV when PATH's directory is refused (nothing was
 * moved); another -errno otherwise.  Every writer of data files (the
 * mount's file commit, job output) places its bytes through this. */
int store_data_place(const char *data_dir, const char *staged, int fd, const char *path,
		     const char *top);
/* What a data file holds (rows, bytes, checksum, column statistics) is
 * read by format/ (fmt_file_scan in fmt_scan.h), which knows the formats. */

/* ---- column statistics (store_record.c) -------------------------------------- */

/* The column statistics of file NAME in PNODE_ID: *OUT (you own it, free())
 * of *N entries; *OUT NULL and *N 0 when it has none. */
int store_file_stats(store_txn *txn, uint64_t pnode_id, const char *name, store_colstat **out,
		     uint32_t *n);
/* The column statistics of the encoded file record BUF/LEN, as above. */
int store_record_file_stats(const void *buf, size_t len, store_colstat **out, uint32_t *n);
/* The width of a value of base type T in a store_colstat (STRING: 0, any
 * length up to STORE_STAT_VALUE_MAX). */
size_t store_stat_value_width(store_type t);
/* Order two statistics values A/ALEN and B/BLEN of type T: <0, 0, >0 (strings
 * bytewise unsigned, a prefix first; doubles by value, NaN last). */
int store_stat_value_cmp(store_type t, const uint8_t *a, size_t alen, const uint8_t *b,
			 size_t blen);
/* Fold X into ACC (both of the same column and type): the least min, the
 * greatest max, the sum of the null counts.  A bound or count X lacks is
 * lost in ACC (no longer known over both).  ACC with flags 0 and column
 * UINT32_MAX is the start: it takes X whole. */
void store_colstat_merge(store_colstat *acc, const store_colstat *x);
/*
 * The statistics of table T's data columns over the files of CONTAINER_ID
 * (a leaf pnode, or T->id for an unpartitioned table; 0: every file of the
 * table): OUT has T->ncolumns entries, entry i for column i, its flags
 * saying which of min, max and nulls are known over all the files (a
 * bound is known only when every file with rows has it, and was recorded
 * for the column's current type).  *NFILES (may be NULL) gets the files
 * counted.  What a planner reads to skip partitions and files whose
 * [min, max] cannot hold a predicate's values.
 */
int store_column_stats(store_txn *txn, const store_table *t, uint64_t container_id,
		       store_colstat *out, uint64_t *nfiles);

/* Current time in ns since the epoch (CLOCK_REALTIME). */
int64_t store_now_ns(void);

#endif
