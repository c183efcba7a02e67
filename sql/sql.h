/*
 * sql.h - the public face of sql/: SQL text to plans, and the embedded
 * engine that runs them.  The manager (manager/mgr_job.c) drives a job
 * through these stages, one statement at a time:
 *
 *   sql_parse          text -> statements with unresolved plans   (sql_parse.c)
 *   sql_analyze        names and types resolved against the metastores
 *   sql_optimize       rewrite rules, partition pruning           (sql_optimize.c)
 *   sql_plan_physical  operators, stages and resources            (sql_physical.c)
 *   engine->run_query  rows out, into a sink                      (sql_exec.c)
 *   sql_output_*       rows of an INSERT into staged files, then one commit
 *
 * sql/ sees the platforms only through sql_catalog: a name, a data store
 * directory and a metastore (store_env) each.  It reads the metastores with
 * store/ directly, and never includes anything from manager/ or fs/.
 *
 * Errors: functions return 0 or a negative errno value and fill a sql_error
 * (sql_ir.h) with the place and reason.
 */
#ifndef METAFS_SQL_H
#define METAFS_SQL_H

#include "sql_ir.h"
#include "store.h"
#include "textbuf.h"

typedef struct sql_platform {
	const char *name;
	const char *data_dir;
	store_env *store;
} sql_platform;

/* Where the rows of a scanned table come from, when not simply from its own
 * platform's data store (see sql_catalog.scan_source). */
typedef struct sql_scan_source {
	/* Analysis: resolve the name to this table instead (platform index,
	 * db, table): a second-platform statement reading a first-platform
	 * table sees it as the second platform's mirror, with the mirror's
	 * schema. */
	bool redirect;
	unsigned platform;
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	/* Execution: list the partitions and files of table DB.TABLE (id
	 * TABLE_ID, 0: any) of platform PLATFORM, under that platform's data
	 * store, instead of the scanned table's (a mirror reads its source's
	 * files). */
	bool from_source;
	uint64_t table_id;
	/* Open one of those data files (F its record, PATH its path): the
	 * rows the scan sees are that fd's, already transformed (masks
	 * applied, dropped columns gone) before any operator sees a row.  *FD
	 * is the reader's to close.  NULL: open PATH.  Called from the scan's
	 * worker threads; on failure a reason in ERR. */
	int (*open_file)(void *open_ctx, const store_file *f, const char *path, int *fd,
			 char *err, size_t errlen);
	void *open_ctx;
	/* OPEN_FILE changes the rows (masks, dropped columns): the files'
	 * recorded statistics do not describe what the scan sees, so no file
	 * is skipped by them.  False: OPEN_FILE gives the stored bytes. */
	bool transformed;
	/* Called once when the scan is done with OPEN_CTX (may be NULL). */
	void (*release)(void *open_ctx);
} sql_scan_source;

/* What a statement's principal may do with a name (sql_catalog.access). */
typedef enum sql_access {
	SQL_ACCESS_OK = 0,           /* visible, and every privilege asked for is held */
	SQL_ACCESS_HIDDEN = 1,       /* not visible: resolved exactly as a name that does not exist */
	SQL_ACCESS_DENIED = 2,       /* visible, a privilege is missing: the reason in ERR */
} sql_access;

/* The temporary views of one job (CREATE TEMPORARY VIEW): each a name, the
 * names it gives its columns and its query text, copied, until the job's
 * end.  A statement reads the views its catalog's temp_views holds when it
 * is analyzed; the manager adds and removes them as the statements run. */
typedef struct sql_temp_views sql_temp_views;
/* NULL when out of memory. */
sql_temp_views *sql_temp_views_new(void);
void sql_temp_views_free(sql_temp_views *v);     /* NULL allowed */
/* Define the view of CREATE TEMPORARY VIEW statement S (analyzed), whose
 * job text is TEXT: -EEXIST (ERR filled) when the name is taken and S says
 * neither OR REPLACE nor IF NOT EXISTS; 0 (nothing changed) when it says IF
 * NOT EXISTS. */
int sql_temp_view_create(sql_temp_views *v, const sql_stmt *s, const char *text, sql_error *err);
/* Drop temporary view NAME (any case): 0, or -ENOENT when there is none. */
int sql_temp_view_drop(sql_temp_views *v, const char *name);
/* The view NAME (any case): its query text and column names (NCOLS 0: the
 * query's own), valid until it is dropped or replaced; -ENOENT if none. */
int sql_temp_view_get(const sql_temp_views *v, const char *name, const char **text,
		      const char *const **cols, uint32_t *ncols);
/* The query text of CREATE VIEW statement S of job text TEXT: from
 * S->query_start to S->end, into *PTR and *LEN. */
void sql_view_text(const sql_stmt *s, const char *text, const char **ptr, size_t *len);

/* sql_catalog.access flags. */
#define SQL_ACCESS_PROBE 1u      /* a "did you mean" candidate: decide only, record nothing */

typedef struct sql_catalog {
	const sql_platform *platforms;
	unsigned nplatforms;
	unsigned default_platform;   /* what `db.table` means: the first platform */
	/* The platform whose engine runs the statement (its output table's
	 * platform; default_platform when it has none).  Set per statement. */
	unsigned engine_platform;
	/* Optional: where table T of platform TABLE_PLATFORM is read from.
	 * Called by the analyzer for every table a statement reads (REDIRECT
	 * may be set) and when a scan starts (FROM_SOURCE and OPEN_FILE may be
	 * set).  OUT is zeroed by the caller; returns 0 (nothing set: read T
	 * as it is) or a negative errno with ERR filled. */
	int (*scan_source)(void *ctx, const struct sql_catalog *cat, unsigned table_platform,
			   const store_table *t, sql_scan_source *out, sql_error *err);
	void *scan_source_ctx;
	/* Optional (NULL: every name is visible; privileges are the caller's
	 * business after analysis).  Whether the statement's principal may see
	 * an object that exists, and hold PRIVS (SQL_PRIV_* bits, 0: only see
	 * it) on it: platform PLATFORM (DB NULL), its database DB (TABLE
	 * NULL), or table DB.TABLE.  The analyzer asks before an object's
	 * existence, schema or columns show in any message or plan: for every
	 * table a statement reads (SELECT), the target of INSERT, ADD/DROP
	 * PARTITION and MSCK REPAIR (MODIFY), of SHOW PARTITIONS (SELECT), the
	 * database of CREATE TABLE [AS] (CREATE), the table of DROP TABLE
	 * (ADMIN), every platform named explicitly (0), and, with
	 * SQL_ACCESS_PROBE, every name it would offer after "did you mean".
	 * HIDDEN names are answered as missing ones, byte for byte; DENIED ones
	 * with ERR's message (the analyzer sets the place).  Without
	 * SQL_ACCESS_PROBE the callee records its refusals (the manager's
	 * audit log). */
	sql_access (*access)(void *ctx, const struct sql_catalog *cat, unsigned platform,
			     const char *db, const char *table, unsigned privs, unsigned flags,
			     sql_error *err);
	void *access_ctx;
	/* The job's temporary views (NULL: none): one-part names in FROM that
	 * are no WITH query's name. */
	sql_temp_views *temp_views;
} sql_catalog;

/* The daemon's limits, from which the physical planner sizes each stage. */
typedef struct sql_limits {
	uint32_t threads;            /* worker threads a job may use */
	uint64_t memory_per_operator;/* bytes one operator may hold */
	uint64_t memory_per_job;     /* bytes all operators of a job may hold */
} sql_limits;

/* ---- compile --------------------------------------------------------------------- */

int sql_parse(sql_arena *a, const char *text, size_t len, sql_script *out, sql_error *err);
/* Resolve STMT's names against CAT (tables, columns, functions, types); for
 * INSERT and CREATE TABLE AS also check the query's columns against the target. */
int sql_analyze(sql_arena *a, const sql_catalog *cat, sql_stmt *stmt, sql_error *err);

/* Which optimizer rules changed the plan, in the order they first fired. */
typedef struct sql_rule_log {
	const char *names[32];
	uint32_t counts[32];
	uint32_t n;
} sql_rule_log;
int sql_optimize(sql_arena *a, const sql_catalog *cat, sql_plan **plan, sql_rule_log *log,
		 sql_error *err);
int sql_plan_physical(sql_arena *a, const sql_limits *limits, sql_plan *plan, sql_error *err);

/* Render PLAN as Catalyst's EXPLAIN does: one node a line, children indented
 * with "+- " and ":  ".  RESOLVED: attributes as name#id and types (the
 * analyzed and optimized forms); otherwise names as written, with
 * unresolved nodes and attributes marked by a leading "'" (the parsed
 * form).  PHYSICAL: operator names, stages (*(N)), resources, and for scans
 * PartitionFilters: [...], PushedFilters: [...], partitions: N of M (and,
 * for a Parquet scan with pushed filters, files=N skipped_by_stats=M). */
void sql_plan_print(const sql_plan *plan, bool resolved, bool physical, textbuf *out);
/* The output schema line of the analyzed plan: "region: string, n: bigint". */
void sql_plan_print_schema(const sql_plan *plan, textbuf *out);
/* Graphviz of the physical plan. */
void sql_plan_dot(const sql_plan *plan, textbuf *out);

/* ---- execute ----------------------------------------------------------------------- */

/* Where result rows go.  row() is called with the plan's output columns;
 * values (strings) are valid only during the call.  Returns 0 or -errno
 * (which stops the query). */
typedef struct sql_sink {
	void *ctx;
	int (*row)(void *ctx, const sql_value *values, uint32_t n);
} sql_sink;

typedef enum sql_bad_rows { SQL_BAD_ROWS_FAIL = 0, SQL_BAD_ROWS_SKIP = 1 } sql_bad_rows;

/* Shared between a running query and whoever watches it (counters are
 * updated with relaxed atomics). */
typedef struct sql_progress {
	uint64_t partitions_total, partitions_done;
	uint64_t bytes_total, bytes_read;
	uint64_t rows_read, rows_out, rows_skipped;
	volatile int cancel;         /* set to stop the query: it returns -ECANCELED */
} sql_progress;

typedef struct sql_exec_ctx {
	const sql_catalog *catalog;
	const sql_limits *limits;
	sql_progress *progress;
	sql_bad_rows bad_rows;
	/* Log a line (skipped rows are sampled here); may be NULL. */
	void (*log)(void *log_ctx, const char *line);
	void *log_ctx;
	/* Where operators over their memory budget write spill files (see
	 * sql_spill.c); NULL: $TMPDIR, else /tmp. */
	const char *spill_dir;
} sql_exec_ctx;

/* The engine interface: narrow and versioned, so an external engine (Spark
 * through spark-submit, Trino) can stand behind it.  Such an engine gets the
 * same optimized, annotated plan (or the statement text, in `text`), writes
 * its output under the target's staging directory, and the manager registers
 * what it wrote.  Members may be added at the end; version says which exist. */
#define SQL_ENGINE_VERSION 1
typedef struct sql_engine_methods {
	int version;
	const char *name;            /* "embedded" */
	/* Run a compiled query plan; rows go to SINK.  PLAN's phys counters are
	 * filled as it runs. */
	int (*run_query)(const sql_exec_ctx *ctx, sql_plan *plan, const char *text,
			 sql_sink *sink, sql_error *err);
} sql_engine_methods;

extern const sql_engine_methods sql_engine_embedded;

/* Remove what a crash may have left in the spill directory DIR: the names
 * a spill file has for an instant where O_TMPFILE is not supported
 * (sql_spill.c).  The daemon calls it at start-up.  0 or -errno. */
int sql_spill_sweep(const char *dir);

/* ---- values the manager needs -------------------------------------------------------- */

/* Render a value as the engine writes it to CSV (NULL: nothing). */
void sql_value_print(const sql_value *v, textbuf *out);
/* Evaluate an expression that references no column (a partition value). */
int sql_eval_const(sql_arena *a, const sql_expr *e, sql_value *out);

/* ---- output of an INSERT or CREATE TABLE AS ---------------------------------------------- */

/* Rows written to staged files of one target table, partitioned by the
 * table's partition keys, made visible by sql_output_commit() in one
 * metastore transaction.  Rows passed to sql_output_row() hold the data
 * columns then the partition columns in table order: all of them, or only
 * the dynamic ones (those without a static value).  STATIC_VALUES: for
 * each partition key the static value of PARTITION (k=v), or NULL when the
 * key is dynamic.  OVERWRITE: with no partition keys the table's files are
 * replaced; otherwise each partition that receives rows (or the static one)
 * is replaced, and no other. */
typedef struct sql_output sql_output;
int sql_output_open(const sql_catalog *cat, unsigned platform, const char *db, const char *table,
		    bool overwrite, const char *const *static_values, const char *run_tag,
		    sql_output **out, sql_error *err);
int sql_output_row(sql_output *o, const sql_value *values, uint32_t n);
/* What the commit did (for the job's status). */
typedef struct sql_output_stats {
	uint64_t rows, files, bytes, partitions_written, partitions_created, files_replaced;
} sql_output_stats;
/* Frees O, whether it succeeds or not (on failure nothing was committed and
 * the staged files are gone). */
int sql_output_commit(sql_output *o, store_origin origin, sql_output_stats *stats, sql_error *err);
/* Discard staged files; frees O.  NULL allowed. */
void sql_output_abort(sql_output *o);
/* A sink that feeds sql_output_row(). */
sql_sink sql_output_sink(sql_output *o);

/* Whether RAW (an unescaped partition value) reads as a value of TYPE, the
 * way the engine reads partition directories: 0, or -EINVAL when the engine
 * would read it as NULL although it is not __HIVE_DEFAULT_PARTITION__
 * ("notadate" for a DATE key, "1x" for a BIGINT one). */
int sql_partition_value_check(const char *raw, store_type type);

/* ---- the Hive Metastore's partition filter (sql_hive_filter.c) ------------------------- */

/* The filter text of get_partitions_by_filter over one table's partition
 * keys, decided as a job's partition pruning decides a WHERE over them
 * (see sql_hive_filter.c for the grammar, and for LIKE, which also reads
 * its pattern as the regular expression older Hive clients send).  Owns
 * its memory; one thread at a time. */
typedef struct sql_hive_filter sql_hive_filter;
/* The longest filter text accepted, in bytes (and at most 200,000
 * literals). */
#define SQL_HIVE_FILTER_MAX (1 << 20)
/* Parse and resolve the LEN bytes of TEXT over T's partition keys (T is not
 * kept).  Empty text (blanks) passes every partition.  0 and *OUT (the
 * caller's to free), or -EINVAL with the reason and place in ERR (an
 * unknown key, a data column, a syntax error, a type the key cannot be
 * compared with), or -ENOMEM. */
int sql_hive_filter_parse(const store_table *t, const char *text, size_t len,
			  sql_hive_filter **out, sql_error *err);
/* 1 when the partition whose raw (unescaped) values are VALUES[0 ..
 * npartkeys-1] passes, 0 when it does not (a value that does not read as
 * its key's type, or __HIVE_DEFAULT_PARTITION__, is NULL: it passes no
 * comparison), or a negative errno. */
int sql_hive_filter_match(const sql_hive_filter *f, const char *const *values);
/* The resolved condition, as plans print it ("true" for an empty filter). */
void sql_hive_filter_print(const sql_hive_filter *f, textbuf *out);
void sql_hive_filter_free(sql_hive_filter *f);   /* NULL allowed */

#endif
