/*
 * sql_ir.h - the intermediate representation shared by every stage of sql/:
 * values, expressions, logical plans (parsed, analyzed, optimized), the
 * physical annotations, and statements.
 *
 * One IR for every stage, as in Spark's Catalyst: the parser builds
 * unresolved trees (names as written, UNRESOLVED_RELATION leaves, column
 * references by name); the analyzer resolves them in place against the
 * metastore (every expression gets a type, every column reference an input
 * ordinal and an attribute id, relations become SCANs); the optimizer
 * rewrites the tree; the physical planner annotates each node (sql_phys)
 * and the engine executes the annotated tree.  The plan printer renders
 * any stage in the Catalyst EXPLAIN EXTENDED style.
 *
 * Memory: every node, string and array of one job lives in one sql_arena
 * and is freed with it.  Nothing in the IR is freed individually; rewriting
 * a tree allocates new nodes in the same arena.  Strings in the IR are
 * NUL-terminated copies in the arena (identifiers are kept as written; the
 * analyzer compares them case-insensitively, as Spark does).
 *
 * Positions: line and column are 1-based and point at the first character
 * of the token that starts the construct, so errors can say
 * `line 3, column 17: unknown column "regin" (did you mean "region"?)`.
 */
#ifndef METAFS_SQL_IR_H
#define METAFS_SQL_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* ---- arena ------------------------------------------------------------------ */

typedef struct sql_arena sql_arena;
sql_arena *sql_arena_new(void);
void sql_arena_free(sql_arena *a);            /* NULL allowed */
/* Zeroed memory, aligned for any type; never NULL (aborts on exhaustion of
 * the address space, as an out-of-memory parse cannot be reported better). */
void *sql_arena_alloc(sql_arena *a, size_t size);
char *sql_arena_strndup(sql_arena *a, const char *s, size_t n);
char *sql_arena_strdup(sql_arena *a, const char *s);
/* printf into the arena. */
char *sql_arena_printf(sql_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for the job's resource report). */
size_t sql_arena_used(const sql_arena *a);

/* ---- errors ----------------------------------------------------------------- */

/* The first error of a stage: where and what.  message has no position
 * prefix; sql_error_format() adds "line L, column C: ". */
typedef struct sql_error {
	uint32_t line, col;          /* 0 when the error has no place (e.g. I/O) */
	char message[512];
} sql_error;
void sql_error_set(sql_error *e, uint32_t line, uint32_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "line 3, column 17: unknown column ...", "line 3: ..." when there is no
 * column, or just the message when there is no line. */
void sql_error_format(const sql_error *e, char *out, size_t cap);

/* ---- types and values ---------------------------------------------------------- */

/* Types.  DECIMAL(p,s) is the one parameterised type, and its precision
 * and scale travel inside the sql_type value itself: bits 0-7 hold the base
 * type (SQL_TYPE_DECIMAL), bits 8-15 the precision (1..38), bits 16-23 the
 * scale (0..p).  So every place that carries a type (sql_expr.type and
 * cast_type, sql_attr.type, sql_scan.types, sql_column_def.type, a
 * sql_value's type) carries the full decimal type with no extra field, two
 * types are the same exactly when the values are equal (decimal(15,2) is not
 * decimal(16,2)), and the store's column type uses the same encoding
 * (store_type_decimal), so sql_type_from_store/to_store keep it.  Code that
 * asks "is this a decimal" uses sql_type_is_decimal(); a bare
 * SQL_TYPE_DECIMAL (precision 0) is never the type of a value.  The other
 * types have no parameter bits, so `t == SQL_TYPE_BIGINT` still works. */
typedef enum sql_type {
	SQL_TYPE_NULL = 0,       /* the type of a bare NULL literal before coercion */
	SQL_TYPE_STRING = 1,
	SQL_TYPE_BIGINT = 2,
	SQL_TYPE_DOUBLE = 3,
	SQL_TYPE_BOOLEAN = 4,
	SQL_TYPE_DATE = 5,       /* days since 1970-01-01 */
	SQL_TYPE_TIMESTAMP = 6,  /* microseconds since 1970-01-01T00:00:00 UTC */
	SQL_TYPE_DECIMAL = 7,    /* base of decimal(p,s): unscaled 128-bit integer x 10^-s */
} sql_type;

#define SQL_DECIMAL_MAX_PRECISION 38

static inline sql_type sql_type_decimal(unsigned precision, unsigned scale)
{
	return (sql_type)(SQL_TYPE_DECIMAL | (precision << 8) | (scale << 16));
}
static inline bool sql_type_is_decimal(sql_type t)
{
	return ((unsigned)t & 0xffu) == SQL_TYPE_DECIMAL;
}
static inline unsigned sql_type_precision(sql_type t)
{
	return ((unsigned)t >> 8) & 0xffu;
}
static inline unsigned sql_type_scale(sql_type t)
{
	return ((unsigned)t >> 16) & 0xffu;
}

/* Catalyst's short type names for plan output: string, bigint, double,
 * boolean, date, timestamp, null, decimal(15,2).  The string is static. */
const char *sql_type_name(sql_type t);
sql_type sql_type_from_store(store_type t);
store_type sql_type_to_store(sql_type t);

/* The unscaled value of a DECIMAL: |v| < 10^precision. */
__extension__ typedef __int128 sql_int128;

typedef struct sql_value {
	sql_type type;           /* a decimal's value carries its precision and scale */
	bool null;
	union {
		int64_t i;           /* BIGINT; TIMESTAMP (us); DATE (days) */
		double d;            /* DOUBLE */
		bool b;              /* BOOLEAN */
		struct {
			const char *ptr; /* not NUL-terminated; owner depends on context */
			uint32_t len;
		} s;                 /* STRING */
		sql_int128 dec;      /* DECIMAL: the value is dec x 10^-scale */
	} u;
} sql_value;

/* ---- expressions ------------------------------------------------------------------ */

typedef enum sql_expr_kind {
	SQL_EXPR_LITERAL = 1,    /* value */
	SQL_EXPR_COLUMN,         /* qualifier.name; resolved: ordinal + attr_id */
	SQL_EXPR_STAR,           /* * or qualifier.* (parsed only; the analyzer expands it) */
	SQL_EXPR_UNARY,          /* op in {NOT, NEG}; args[0] */
	SQL_EXPR_BINARY,         /* op; args[0] op args[1] */
	SQL_EXPR_IS_NULL,        /* args[0] IS [NOT] NULL (negated) */
	SQL_EXPR_IN,             /* args[0] [NOT] IN (args[1..nargs-1]) */
	SQL_EXPR_BETWEEN,        /* args[0] [NOT] BETWEEN args[1] AND args[2] */
	SQL_EXPR_LIKE,           /* args[0] [NOT] LIKE args[1] */
	SQL_EXPR_CASE,           /* see case_operand / case_else below */
	SQL_EXPR_CAST,           /* CAST(args[0] AS cast_type) */
	SQL_EXPR_FUNC,           /* name(args...); resolved: func */
	SQL_EXPR_AGG,            /* agg(args[0]) or count(*) with nargs 0; distinct */
	SQL_EXPR_ALIAS,          /* args[0] AS name; attr_id is the new attribute */
	/* Subquery expressions (subquery holds the query); the optimizer
	 * rewrites each into a join before planning. */
	SQL_EXPR_SCALAR_SUBQUERY,/* (SELECT one column ...) */
	SQL_EXPR_EXISTS,         /* [NOT] EXISTS (subquery) (negated) */
	SQL_EXPR_IN_SUBQUERY,    /* args[0] [NOT] IN (subquery) (negated) */
} sql_expr_kind;

typedef enum sql_op {
	SQL_OP_NOT = 1, SQL_OP_NEG,
	SQL_OP_ADD, SQL_OP_SUB, SQL_OP_MUL, SQL_OP_DIV, SQL_OP_MOD,
	SQL_OP_EQ, SQL_OP_NE, SQL_OP_LT, SQL_OP_LE, SQL_OP_GT, SQL_OP_GE,
	SQL_OP_AND, SQL_OP_OR,
	SQL_OP_CONCAT,           /* || */
} sql_op;
/* The operator as plans and error messages write it: "+", "AND", "!=" ... */
const char *sql_op_text(sql_op op);

typedef enum sql_agg_fn {
	SQL_AGG_COUNT = 1, SQL_AGG_SUM, SQL_AGG_AVG, SQL_AGG_MIN, SQL_AGG_MAX,
} sql_agg_fn;

/* Scalar functions known to the analyzer and the engine. */
typedef enum sql_func {
	SQL_FUNC_NONE = 0,
	SQL_FUNC_COALESCE, SQL_FUNC_LOWER, SQL_FUNC_UPPER, SQL_FUNC_SUBSTR, SQL_FUNC_CONCAT,
	SQL_FUNC_LENGTH, SQL_FUNC_TRIM, SQL_FUNC_TO_DATE, SQL_FUNC_YEAR, SQL_FUNC_MONTH,
	SQL_FUNC_DAY, SQL_FUNC_HOUR, SQL_FUNC_DATE_ADD, SQL_FUNC_DATEDIFF, SQL_FUNC_DATE_TRUNC,
	SQL_FUNC_ABS, SQL_FUNC_ROUND,
	/* EXTRACT(field FROM x) fields beyond year, month, day and hour. */
	SQL_FUNC_QUARTER, SQL_FUNC_MINUTE, SQL_FUNC_SECOND, SQL_FUNC_DAYOFWEEK,
	SQL_FUNC_WEEKOFYEAR, SQL_FUNC_DAYOFYEAR,
	SQL_FUNC_ADD_MONTHS, SQL_FUNC_DATE_SUB,
	/* INTERVAL '90' DAY as the parser writes it: name "interval", args the
	 * months, days and microseconds (bigint literals).  The analyzer turns
	 * date +/- interval into date_add, add_months or time_add and refuses
	 * an interval anywhere else. */
	SQL_FUNC_INTERVAL,
	/* time_add(ts, months, micros): a timestamp plus an interval (not
	 * callable by name: only the analyzer writes it). */
	SQL_FUNC_TIME_ADD,
	SQL_FUNC_COUNT_
} sql_func;

typedef struct sql_expr sql_expr;
typedef struct sql_plan sql_plan;
struct sql_expr {
	sql_expr_kind kind;
	sql_type type;           /* set by the analyzer (SQL_TYPE_NULL before) */
	bool resolved;
	uint32_t line, col;
	sql_op op;
	bool negated;            /* IS NOT NULL, NOT IN, NOT BETWEEN, NOT LIKE */
	sql_value value;         /* LITERAL (strings point into the arena) */
	const char *qualifier;   /* COLUMN, STAR: table or alias as written, or NULL */
	const char *name;        /* COLUMN, FUNC, AGG (as written), ALIAS (the new name) */
	int32_t ordinal;         /* COLUMN resolved: index into the input row; -1 before */
	uint32_t attr_id;        /* COLUMN: the referenced attribute; ALIAS: the new one */
	sql_agg_fn agg;          /* AGG */
	bool distinct;           /* AGG: count(DISTINCT x) */
	sql_func func;           /* FUNC resolved */
	sql_type cast_type;      /* CAST */
	bool case_operand;       /* CASE x WHEN ...: args[0] is x */
	bool case_else;          /* the last arg is the ELSE value */
	/* CASE args: [operand] when1 then1 when2 then2 ... [else] */
	sql_expr **args;
	uint32_t nargs;
	sql_plan *subquery;      /* SCALAR_SUBQUERY, EXISTS, IN_SUBQUERY */
	/* COLUMN inside a subquery that names an attribute of the query
	 * around it (a correlated reference, printed outer(name#id)); its
	 * ordinal is -1 until the optimizer's rewrite makes it a join key. */
	bool outer;
};

/* ---- plans ---------------------------------------------------------------------------- */

/* An attribute of a plan node's output: what a column reference resolves to. */
typedef struct sql_attr {
	const char *name;
	const char *qualifier;   /* the relation alias or table name, or NULL */
	sql_type type;
	uint32_t id;             /* unique within a job (printed as name#id) */
	bool nullable;
} sql_attr;

typedef enum sql_plan_kind {
	SQL_PLAN_UNRESOLVED_RELATION = 1,  /* names[] as written */
	SQL_PLAN_SCAN,           /* a resolved table: see sql_scan */
	SQL_PLAN_FILTER,         /* cond */
	SQL_PLAN_PROJECT,        /* exprs (each COLUMN or ALIAS after analysis) */
	SQL_PLAN_AGGREGATE,      /* groups; exprs = output (groups and aggregates) */
	SQL_PLAN_JOIN,           /* join_type, keys, residual cond: see the fields */
	SQL_PLAN_SORT,           /* sort keys */
	SQL_PLAN_LIMIT,          /* limit */
	SQL_PLAN_DISTINCT,       /* child rows, duplicates removed */
	SQL_PLAN_UNION,          /* UNION ALL of child[0] and child[1] */
	SQL_PLAN_ALIAS,          /* SubqueryAlias: alias names child's output */
	SQL_PLAN_VALUES,         /* rows of literal expressions */
	SQL_PLAN_CTE_REF,        /* parsed reference to a WITH name (names[0]) */
	SQL_PLAN_WITH,           /* parsed WITH: ctes[] then child[0]; the analyzer inlines */
	SQL_PLAN_ONE_ROW,        /* SELECT without FROM */
} sql_plan_kind;

/* Join types as Catalyst names them.  LEFT_SEMI and LEFT_ANTI output only
 * the left side's columns: a left row once if it has a match (semi) or
 * none (anti).  A null-aware anti join (plan->null_aware, for NOT IN)
 * also drops every left row when the right side holds a NULL key, and a
 * left row whose key is NULL unless the right side is empty. */
typedef enum sql_join_type {
	SQL_JOIN_INNER = 1, SQL_JOIN_LEFT, SQL_JOIN_RIGHT, SQL_JOIN_FULL,
	SQL_JOIN_LEFT_SEMI, SQL_JOIN_LEFT_ANTI,
} sql_join_type;

typedef struct sql_sort_key {
	sql_expr *expr;
	bool desc;
	bool nulls_first;        /* default: NULLS FIRST for ASC, NULLS LAST for DESC (Spark) */
} sql_sort_key;

/* A range of partition values on the first partition key, as a metastore
 * cursor range: [lo, hi] with open/closed ends; NULL lo or hi is unbounded.
 * Values are raw partition values (strings, as stored). */
typedef struct sql_prange {
	const char *lo, *hi;
	bool lo_open, hi_open;
} sql_prange;

/* A resolved table scan. */
typedef struct sql_scan {
	unsigned platform;       /* index in the manager's platform list */
	const char *platform_name, *db, *table;
	uint64_t table_id;
	store_format format;
	bool header;
	uint32_t ncolumns;       /* data columns of the table */
	uint32_t npartkeys;      /* partition keys (after the data columns) */
	sql_type *types;         /* ncolumns + npartkeys */
	const char **names;      /* ncolumns + npartkeys */
	/* Which table columns the scan produces, in output order (indexes into
	 * names/types): all of them until column pruning narrows the list. */
	uint32_t *columns;
	uint32_t nout;
	/* Pushed down by the optimizer; expressions over the scan's output. */
	sql_expr *partition_filter;   /* only partition columns: decides which partitions are read */
	sql_expr *data_filter;        /* the rest: applied to rows as they are read */
	sql_prange *ranges;           /* partition pruning as cursor ranges (nranges 0: all) */
	uint32_t nranges;
	/* Statistics from the metastore (filled by the analyzer / planner). */
	uint64_t partitions_total, partitions_selected, bytes_selected, rows_selected;
	/* A Parquet scan with a data_filter (stats_planned): the files of the
	 * selected partitions, those whose recorded statistics prove no row
	 * passes the filter (never opened), and the partitions all of whose
	 * files are so skipped (left out of partitions_selected).
	 * bytes_selected and rows_selected then count the remaining files. */
	bool stats_planned;
	uint64_t files_total, files_skipped_by_stats, partitions_skipped_by_stats;
} sql_scan;

/* Physical annotations, filled by the physical planner. */
typedef struct sql_phys {
	const char *op;          /* "FileScan csv", "Filter", "HashAggregate", "HashJoin", ... */
	uint32_t stage;          /* pipeline stage (printed *(N)) */
	uint32_t threads;        /* worker threads for this stage */
	uint64_t memory_budget;  /* bytes this operator may hold before it spills or fails */
	uint32_t parallelism;    /* input splits (partitions or file ranges) */
	/* SORT right under a LIMIT: a TopN that keeps only the first topn_rows
	 * rows of the order (the limit plus the offset), never all its input. */
	bool topn;
	uint64_t topn_rows;
	/* Filled by the engine while and after it runs. */
	uint64_t rows_in, rows_out, peak_memory, cpu_ns;
	uint64_t peak_rows;      /* most rows a SORT or TopN held at once */
	/* What the operator wrote to spill files because its input did not
	 * fit memory_budget: bytes and rows written, files created, and passes
	 * (a sort's merge passes; an aggregate's or a join's partitioning
	 * rounds, 2 when a partition had to be partitioned again). */
	uint64_t spill_bytes, spill_rows, spill_files;
	uint32_t spill_passes;
	/* A Parquet scan: row groups decoded, and skipped by their statistics. */
	uint64_t rowgroups_read, rowgroups_skipped;
	/* A Parquet scan with a pushed filter: files read, files skipped by
	 * their recorded statistics (never opened), and partitions all of
	 * whose files were skipped. */
	uint64_t files_read, files_skipped, partitions_skipped;
} sql_phys;

struct sql_plan {
	sql_plan_kind kind;
	uint32_t line, col;
	sql_plan *child[2];
	/* Output attributes (analyzer). */
	sql_attr *output;
	uint32_t noutput;
	/* UNRESOLVED_RELATION: names as written (1 to 3 parts); CTE_REF: names[0]. */
	const char *names[3];
	uint32_t nnames;
	sql_scan *scan;          /* SCAN */
	sql_expr *cond;          /* FILTER; JOIN: see below */
	/* JOIN, after analysis (and after every optimizer rule), which is what
	 * the engine runs and what a rewrite that builds a join must produce:
	 *   lkeys[i], rkeys[i]  the equi keys, i < nkeys (nkeys 0: none, every
	 *                       pair of rows is a candidate, a nested loop);
	 *                       lkeys over child[0]'s output (ordinals into
	 *                       it), rkeys over child[1]'s output (ordinals
	 *                       into it, from 0), lkeys[i] and rkeys[i] of one
	 *                       type (casts inserted); a NULL key matches
	 *                       nothing (null_aware aside).
	 *   cond                the residual, or NULL: a boolean over the row
	 *                       child[0]'s output then child[1]'s (ordinals
	 *                       0 .. l->noutput + r->noutput - 1), evaluated
	 *                       on each key match; a pair matches when it is
	 *                       TRUE.  For LEFT_SEMI and LEFT_ANTI too, though
	 *                       they output child[0]'s columns only.
	 *   output              INNER, LEFT, RIGHT, FULL: child[0]'s attributes
	 *                       then child[1]'s (the padded side nullable);
	 *                       LEFT_SEMI, LEFT_ANTI: child[0]'s.
	 *   null_aware          LEFT_ANTI only, for x NOT IN (subquery): a
	 *                       right row also matches when a key of either
	 *                       row is NULL and the other keys are equal (and
	 *                       cond is TRUE), so a NULL on the right removes
	 *                       every left row and a left row with a NULL key
	 *                       stays only when no right row passes cond.
	 *   one_row             LEFT only, for an uncorrelated scalar
	 *                       subquery (child[1]): the engine fails the job
	 *                       with "more than one row returned by a subquery
	 *                       used as an expression" (at line, col: the
	 *                       subquery's position) when child[1] yields more
	 *                       than one row; none gives NULL.  child[1] stays
	 *                       the build side (the optimizer does not swap it).
	 * Columns carry attr_id as well: the optimizer recomputes ordinals from
	 * ids, so a rewrite may leave ordinals to it.  Before analysis cond is
	 * the ON condition as written (NULL for CROSS JOIN and FROM a, b). */
	sql_join_type join_type;
	bool null_aware;
	bool one_row;
	sql_expr **lkeys, **rkeys;
	uint32_t nkeys;
	sql_expr **exprs;        /* PROJECT, AGGREGATE output */
	uint32_t nexprs;
	sql_expr **groups;       /* AGGREGATE */
	uint32_t ngroups;
	sql_sort_key *sort;      /* SORT */
	uint32_t nsort;
	int64_t limit;           /* LIMIT */
	int64_t offset;          /* LIMIT: rows skipped before the first returned (OFFSET) */
	const char *alias;       /* ALIAS */
	/* ALIAS: the column names of `(query) AS t (a, b)`, `WITH t (a, b) AS`
	 * and a view's column list, as written (NULL: the child's names). */
	const char **alias_columns;
	uint32_t nalias_columns;
	sql_expr ***rows;        /* VALUES: nrows rows of ncols expressions */
	uint32_t nrows, ncols;
	/* WITH: ctes[i] named cte_names[i] */
	sql_plan **ctes;
	const char **cte_names;
	uint32_t nctes;
	sql_phys phys;
};

/* ---- statements ---------------------------------------------------------------------- */

typedef enum sql_stmt_kind {
	SQL_STMT_SELECT = 1,
	SQL_STMT_INSERT,             /* INSERT INTO|OVERWRITE TABLE t [PARTITION (...)] query */
	SQL_STMT_CREATE_DATABASE,
	SQL_STMT_CREATE_TABLE,       /* columns, partition columns, format, properties */
	SQL_STMT_CREATE_TABLE_AS,    /* ... AS query (columns from the query) */
	SQL_STMT_DROP_TABLE,
	SQL_STMT_DROP_DATABASE,
	SQL_STMT_ADD_PARTITION,      /* ALTER TABLE t ADD [IF NOT EXISTS] PARTITION (k=v, ...) ... */
	SQL_STMT_DROP_PARTITION,     /* ALTER TABLE t DROP [IF EXISTS] PARTITION (k=v, ...) ... */
	SQL_STMT_SET_PROPERTIES,     /* ALTER TABLE t SET TBLPROPERTIES ('k'='v', ...): props */
	SQL_STMT_MSCK_REPAIR,        /* MSCK REPAIR TABLE t */
	SQL_STMT_SHOW_PARTITIONS,    /* SHOW PARTITIONS t */
	SQL_STMT_EXPLAIN,            /* EXPLAIN [EXTENDED] inner */
	/* Access control: executed by the manager (manager/mgr_access.h);
	 * the analyzer passes them through unchanged. */
	SQL_STMT_CREATE_ROLE,        /* CREATE ROLE [IF NOT EXISTS] roles[0] */
	SQL_STMT_DROP_ROLE,          /* DROP ROLE [IF EXISTS] roles[0] */
	SQL_STMT_GRANT,              /* GRANT privs ON object TO grantees */
	SQL_STMT_REVOKE,             /* REVOKE privs ON object FROM grantees */
	SQL_STMT_GRANT_ROLE,         /* GRANT ROLE roles TO grantees (users, groups) */
	SQL_STMT_REVOKE_ROLE,        /* REVOKE ROLE roles FROM grantees */
	SQL_STMT_SHOW_GRANTS,        /* SHOW GRANTS [ON object] [FOR grantees[0]] */
	SQL_STMT_SHOW_ROLES,         /* SHOW ROLES */
	/* CREATE [OR REPLACE] [TEMPORARY] VIEW name [(cols)] AS query: columns
	 * (untyped) the column list, query the query, its text from
	 * query_start to end. */
	SQL_STMT_CREATE_VIEW,
	SQL_STMT_DROP_VIEW,          /* DROP VIEW [IF EXISTS] name */
	SQL_STMT_SHOW_VIEWS,         /* SHOW VIEWS {IN | FROM} [platform.]db */
} sql_stmt_kind;

/* Privileges of GRANT and REVOKE, a bit set.  The bits are those of
 * mgr_priv (manager/mgr_access.h), which the manager checks at compile
 * time; INSERT is parsed as MODIFY, ALL [PRIVILEGES] as SQL_PRIV_ALL. */
enum {
	SQL_PRIV_SELECT = 1u << 0,
	SQL_PRIV_MODIFY = 1u << 1,
	SQL_PRIV_CREATE = 1u << 2,
	SQL_PRIV_SUBMIT = 1u << 3,
	SQL_PRIV_SYNC = 1u << 4,
	SQL_PRIV_ADMIN = 1u << 5,
	SQL_PRIV_ALL = (1u << 6) - 1,
};

/* The object of GRANT, REVOKE and SHOW GRANTS ON, names as written:
 * METASTORE (no name), PLATFORM|CATALOG p, DATABASE|SCHEMA [p.]d,
 * [TABLE] [[p.]d.]t.  Missing parts are resolved by the manager as
 * everywhere in the dialect (db.table is on the first platform). */
typedef enum sql_object_kind {
	SQL_OBJECT_NONE = 0,         /* no ON clause (SHOW GRANTS) */
	SQL_OBJECT_METASTORE = 1,
	SQL_OBJECT_PLATFORM = 2,
	SQL_OBJECT_DATABASE = 3,
	SQL_OBJECT_TABLE = 4,
} sql_object_kind;

typedef struct sql_object {
	sql_object_kind kind;
	const char *names[3];
	uint32_t nnames;
	uint32_t line, col;          /* of the first name (of METASTORE for it) */
} sql_object;

/* USER u | GROUP g | ROLE r.  User and group names may have been written
 * as identifiers, quoted strings or numbers (a uid or gid); the text is
 * kept as written, unquoted. */
typedef enum sql_grantee_kind {
	SQL_GRANTEE_USER = 1,
	SQL_GRANTEE_GROUP = 2,
	SQL_GRANTEE_ROLE = 3,
} sql_grantee_kind;

typedef struct sql_grantee {
	sql_grantee_kind kind;
	const char *name;
	uint32_t line, col;          /* of the name */
} sql_grantee;

typedef struct sql_column_def {
	const char *name;
	sql_type type;
	uint32_t line, col;
} sql_column_def;

typedef struct sql_property {
	const char *key, *value;
} sql_property;

/* One PARTITION (k[=v], ...) clause: value NULL for a dynamic key. */
typedef struct sql_pspec_item {
	const char *key;
	sql_expr *value;             /* a literal, or NULL (dynamic) */
	uint32_t line, col;
} sql_pspec_item;

typedef struct sql_pspec {
	sql_pspec_item *items;
	uint32_t nitems;
} sql_pspec;

typedef struct sql_stmt sql_stmt;
struct sql_stmt {
	sql_stmt_kind kind;
	uint32_t line, col;
	size_t start, end;           /* byte offsets of the statement in the job text */
	uint32_t index;              /* 1-based position in the job file */
	bool if_not_exists, if_exists, overwrite, extended;
	const char *target[3];       /* table or database name as written */
	uint32_t ntarget;
	sql_column_def *columns;     /* CREATE TABLE */
	uint32_t ncolumns;
	sql_column_def *partcols;    /* PARTITIONED BY */
	uint32_t npartcols;
	store_format format;         /* STORED AS (default csv) */
	bool format_given;
	sql_property *props;         /* TBLPROPERTIES (CREATE TABLE, ALTER TABLE SET) */
	uint32_t nprops;
	sql_pspec *pspecs;           /* INSERT: at most one; ADD/DROP PARTITION: one or more */
	uint32_t npspecs;
	sql_plan *query;             /* SELECT, INSERT, CREATE TABLE AS */
	sql_stmt *inner;             /* EXPLAIN */
	/* Access control statements. */
	unsigned privs;              /* GRANT, REVOKE: SQL_PRIV_* bits */
	sql_object object;           /* GRANT, REVOKE, SHOW GRANTS ON */
	sql_grantee *grantees;       /* TO / FROM / FOR, in order */
	uint32_t ngrantees;
	sql_grantee *roles;          /* CREATE/DROP ROLE, GRANT/REVOKE ROLE (kind ROLE) */
	uint32_t nroles;
	/* CREATE VIEW. */
	bool temporary, or_replace;
	size_t query_start;          /* byte offset of the view's query in the job text */
};

/* A parsed job file: its statements in order. */
typedef struct sql_script {
	sql_stmt **stmts;
	uint32_t nstmts;
} sql_script;

/* ---- construction helpers (sql_ir.c) ----------------------------------------------------- */

sql_expr *sql_expr_new(sql_arena *a, sql_expr_kind kind, uint32_t line, uint32_t col);
sql_plan *sql_plan_new(sql_arena *a, sql_plan_kind kind, uint32_t line, uint32_t col);
/* A deep copy of E into A. */
sql_expr *sql_expr_copy(sql_arena *a, const sql_expr *e);
/* Append to a growable arena array (doubling); *cap tracks capacity.
 * Makes room for one more element of ELEM bytes, zeroes it, increments *n
 * and returns the array, which may have moved: the new element is
 * array[*n - 1].  Start with array NULL and *n = *cap = 0. */
void *sql_array_push(sql_arena *a, void *array, uint32_t *n, uint32_t *cap, size_t elem);

/* An access-control statement (CREATE/DROP ROLE, GRANT, REVOKE, GRANT/REVOKE
 * ROLE, SHOW GRANTS/ROLES): the analyzer leaves its names to the manager,
 * which runs it. */
bool sql_stmt_is_access(const sql_stmt *s);

#endif
