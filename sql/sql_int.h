/*
 * sql_int.h - private to sql/: what one stage of sql/ offers another.
 */
#ifndef METAFS_SQL_INT_H
#define METAFS_SQL_INT_H

#include "sql.h"

/* ---- lexer (sql_lex.c) ------------------------------------------------------ */

typedef enum sql_token_type {
	SQL_TOK_EOF = 0,
	SQL_TOK_IDENT,           /* name, or `quoted name` (ptr/len exclude the backquotes) */
	SQL_TOK_KEYWORD,         /* a reserved word; compare with sql_token_is() */
	SQL_TOK_INTEGER,
	SQL_TOK_DECIMAL,         /* 1.5, 1e3 */
	SQL_TOK_STRING,          /* 'text' or "text" (ptr/len exclude quotes; '' and \' are escapes) */
	SQL_TOK_OP,              /* punctuation and operators: ( ) , . ; * + - / % = <> != < <= > >= || */
	SQL_TOK_ERROR,           /* unterminated string or comment, stray character */
} sql_token_type;

typedef struct sql_token {
	sql_token_type type;
	const char *ptr;         /* into the job text: no copies */
	uint32_t len;
	uint32_t line, col;
	size_t offset;           /* byte offset in the text */
	bool quoted;             /* IDENT: written `in backquotes` */
} sql_token;

/* A cursor over a job text; tokens point into the text, which must outlive
 * them.  Only words that can never be names are KEYWORD tokens (SELECT,
 * FROM, JOIN, AND, ...); words that are keywords only in one place (TABLE,
 * PARTITION, DATE, ASC, ...) are IDENT tokens the parser recognises by
 * position, so they still work as column names. */
typedef struct sql_lexer {
	const char *text;
	size_t len;
	size_t pos;
	uint32_t line, col;
} sql_lexer;
void sql_lex_init(sql_lexer *lx, const char *text, size_t len);
/* The next token; at the end, and after an ERROR token, it keeps returning
 * EOF or the same ERROR. */
void sql_lex_next(sql_lexer *lx, sql_token *tok);
/* Whether T is the word WORD (any case): a keyword, or an unquoted
 * identifier (a `quoted` name never matches, so it can name anything). */
bool sql_token_is(const sql_token *t, const char *word);
/* Why an ERROR token is one: "unterminated string literal", ... */
const char *sql_lex_error_reason(const sql_token *t);

/* ---- values and evaluation (sql_value.c, sql_eval.c) --------------------------------- */

/* Parse a DATE 'YYYY-MM-DD' / TIMESTAMP 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' text;
 * 0 or -EINVAL. */
int sql_date_parse(const char *s, size_t n, int64_t *days);
int sql_timestamp_parse(const char *s, size_t n, int64_t *micros);
/* Their text: fmt_date_text() and fmt_timestamp_text() (fmt_text.h). */
/* Parse the N bytes at S, all of them, as a double: decimal or exponent
 * notation, "NaN", "Infinity" or "-Infinity" (no spaces, no hex floats, no
 * "inf").  False when they are not a number or are 128 bytes or more. */
bool sql_double_parse(const char *s, size_t n, double *out);
/* Cast V to TYPE.  Strings produced live in A (or in SCRATCH when A is NULL,
 * see sql_eval.c).  A failed cast of a string yields NULL (Spark's
 * non-ANSI behaviour).  0 or -EINVAL for an impossible cast. */
int sql_value_cast(sql_arena *a, const sql_value *v, sql_type type, sql_value *out);
/* Three-way comparison of two non-NULL values of the same type. */
int sql_value_compare(const sql_value *a, const sql_value *b);
/* Render a value as text (CSV fields, plan literals): strings as their bytes
 * unquoted, doubles as Java prints them, NULL as "NULL" (the CSV writer
 * writes an empty field for NULL itself). */
void sql_value_print(const sql_value *v, textbuf *out);
/* The common type two operands are coerced to (for =, <, +, IN, CASE
 * branches, UNION); SQL_TYPE_NULL with a NULL operand gives the other type;
 * returns -EINVAL when there is none (e.g. boolean and date). */
int sql_type_common(sql_type a, sql_type b, sql_type *out);

/* ---- decimals (sql_value.c) ------------------------------------------------------------ */

/* 10^N for N <= 38 (0 beyond). */
sql_int128 sql_decimal_pow10(unsigned n);
/* Text to decimal type T, Java's BigDecimal syntax (sign, digits, point,
 * exponent; spaces around are ignored), rounded HALF_UP to T's scale: 0,
 * -EINVAL when it is not a number, -ERANGE when it does not fit T. */
int sql_decimal_parse(const char *s, size_t n, sql_type t, sql_int128 *out);
/* The plain text of a decimal ("1.50", "-0.06", "15") is fmt_decimal_text()
 * (fmt_text.h). */
/* V at scale FROM_SCALE as a value of decimal type TO (HALF_UP); false when
 * it does not fit TO's precision. */
bool sql_decimal_rescale(sql_int128 v, unsigned from_scale, sql_type to, sql_int128 *out);
/* X (scale XS) OP Y (scale YS), exact, then rounded HALF_UP into decimal
 * type T: 0, -ERANGE when the result does not fit T, -EDOM for a division
 * or remainder by zero (both are NULL to the caller). */
int sql_decimal_arith(sql_op op, sql_int128 x, unsigned xs, sql_int128 y, unsigned ys, sql_type t,
		      sql_int128 *out);
/* Exact three-way comparison of X x 10^-XS and Y x 10^-YS. */
int sql_decimal_compare(sql_int128 x, unsigned xs, sql_int128 y, unsigned ys);
/* The nearest double (BigDecimal.doubleValue). */
double sql_decimal_to_double(sql_int128 v, unsigned scale);
/* Spark's DecimalPrecision rules: the result type of decimal A OP decimal B
 * (+ - * / %), after adjustPrecisionScale; the decimal type that holds two
 * decimals (widerDecimalType); adjustPrecisionScale and bounded for
 * precision P and scale S that may exceed 38. */
sql_type sql_decimal_result_type(sql_op op, sql_type a, sql_type b);
sql_type sql_decimal_wider(sql_type a, sql_type b);
sql_type sql_decimal_adjust(int p, int s);
sql_type sql_decimal_bounded(int p, int s);

/* Evaluate a resolved expression over ROW (the input row of the node that
 * owns it).  Strings of the result may point into ROW or into the arena A
 * (per-row scratch, reset by the caller).  Errors (e.g. division by zero is
 * NULL in Spark, not an error) are rare: a -errno return stops the query. */
int sql_eval(sql_arena *a, const sql_expr *e, const sql_value *row, sql_value *out);
/* Evaluate an expression that references no column (constant folding). */
int sql_eval_const(sql_arena *a, const sql_expr *e, sql_value *out);
/* LIKE with % and _ over characters (UTF-8 code points), \ as escape. */
bool sql_like(const char *s, size_t n, const char *pattern, size_t pn);

/* ---- functions (sql_value.c) ---------------------------------------------------------- */

typedef struct sql_func_info {
	const char *name;        /* lower case */
	sql_func id;
	int min_args, max_args;  /* -1: any */
} sql_func_info;
/* By name, any case; NULL if unknown. */
const sql_func_info *sql_func_lookup(const char *name);
/* All of them (for "did you mean" suggestions); count in *n. */
const sql_func_info *sql_func_all(size_t *n);
/* Result type of FUNC for argument types ARGS, or -EINVAL with a reason. */
int sql_func_type(sql_func func, const sql_type *args, uint32_t nargs, sql_type *out,
		  const char **why);

/* Apply scalar function FUNC (any but COALESCE, which the evaluator runs
 * lazily) to evaluated ARGS.  NULL in, NULL out.  Strings produced live in A
 * (required by lower, upper and concat). */
int sql_func_apply(sql_arena *a, sql_func func, const sql_value *args, uint32_t nargs,
		   sql_value *out);

/* ---- data file readers (sql_read.c), used by the engine (sql_exec.c) --------------------- */

/* One open data file of a scan, producing rows of the scan's output columns
 * (scan->columns): data columns parsed from the file, partition columns from
 * PARTVALS (the partition's raw values, one per partition key; NULL for an
 * unpartitioned table).  Malformed rows follow CTX->bad_rows: FAIL makes
 * next() fail with the file and line in ERR; SKIP counts them in
 * CTX->progress->rows_skipped and logs the first ten of the query. */
typedef struct sql_reader sql_reader;
int sql_reader_open(const sql_exec_ctx *ctx, const sql_scan *scan, const char *path,
		    const char *const *partvals, sql_reader **out, sql_error *err);
/* The same over an open FD (the reader owns it, even on failure); PATH names
 * it in messages.  For files a catalog's scan_source opens (the exchange). */
int sql_reader_open_fd(const sql_exec_ctx *ctx, const sql_scan *scan, const char *path, int fd,
		       const char *const *partvals, sql_reader **out, sql_error *err);
/* 0 and *ROW (scan->nout values, valid until the next call), 1 at the end of
 * the file, or a negative errno with ERR filled. */
int sql_reader_next(sql_reader *r, const sql_value **row, sql_error *err);
/* Bytes of the file consumed so far. */
uint64_t sql_reader_offset(const sql_reader *r);
void sql_reader_close(sql_reader *r);   /* NULL allowed */
/* Parquet files (scan->format STORE_FORMAT_PARQUET) are read row group by
 * row group: only the columns the scan produces are decoded, and a row
 * group whose column chunk statistics (min, max, null count) prove that the
 * scan's data_filter holds for none of its rows is skipped.  The file's
 * schema must be the table's data columns (fmt_parquet_check_schema); a
 * mismatch fails the open, naming the table, the file and the column. */
/* The number of row groups of the Parquet file at PATH (opened as
 * sql_reader_open() does), for splitting a file among a scan's threads. */
int sql_reader_parquet_rowgroups(const sql_exec_ctx *ctx, const char *path, uint32_t *n,
				 sql_error *err);
/* Read only the COUNT row groups from FIRST of a Parquet reader's file
 * (before the first sql_reader_next(); clipped to the file's).  The bytes
 * sql_reader_offset() reaches are then that range's share of the file. */
void sql_reader_set_rowgroups(sql_reader *r, uint32_t first, uint32_t count);
/* Row groups of a Parquet reader decoded and skipped so far (0 for others). */
void sql_reader_rowgroup_counts(const sql_reader *r, uint64_t *read, uint64_t *skipped);

/* ---- skipping by statistics (sql_stats.c) ------------------------------------------- */

/* What is known of one data column over a set of rows (a Parquet row group,
 * a data file, a partition): whether every value or none is NULL, and
 * bounds of the non-NULL values (strings borrowed from the source). */
typedef struct sql_bounds {
	bool all_null;            /* every value is NULL */
	bool no_null;             /* no value is NULL */
	bool has_min, has_max;    /* min / max are bounds of the non-NULL values */
	sql_value min, max;       /* of the column's type */
	bool is_double;           /* NaN is left out of a double column's min and max */
} sql_bounds;
/* The bounds of table data column COL, or false when nothing is known. */
typedef bool (*sql_bounds_fn)(void *ctx, uint32_t col, sql_bounds *out);
/* Whether filter E (over SC's output, as SC->data_filter) is TRUE for no
 * row of a set whose columns GET describes.  False when it cannot tell.
 * The one predicate-vs-bounds decision: row groups, files and partitions
 * are all skipped through it. */
bool sql_bounds_none(const sql_scan *sc, const sql_expr *e, sql_bounds_fn get, void *ctx);
/* The same over a data file's recorded statistics STATS/NSTATS
 * (store_colstat; entries of another type than the column's now are
 * ignored) and its ROWS: false when it has none. */
bool sql_stats_none(const sql_scan *sc, const sql_expr *e, const store_colstat *stats,
		    uint32_t nstats, uint64_t rows);
/* The same over store_column_stats() of a container (SC->ncolumns entries)
 * holding ROWS rows. */
bool sql_table_stats_none(const sql_scan *sc, const sql_expr *e, const store_colstat *stats,
			  uint64_t rows);
/* A partition directory's raw value as a value of TYPE: Hive's
 * __HIVE_DEFAULT_PARTITION__ is NULL; a value that does not parse is NULL.
 * Strings point into RAW. */
void sql_partition_value(const char *raw, sql_type type, sql_value *out);

/* ---- spill files (sql_spill.c), used by the engine (sql_exec.c) ------------------------ */

/* Bytes of a spill file's buffer: what an open spill file holds in memory. */
#define SQL_SPILL_BUFFER ((size_t)8 << 10)

/* A file of rows of NCOLS values each, written once and then read back in
 * order, that no one else can see and that disappears when it is closed or
 * the process dies (see sql_spill.c).  Errors name the directory. */
typedef struct sql_spill_file sql_spill_file;
/* Create one in DIR (which must outlive it); *OUT is the caller's to close. */
int sql_spill_create(const char *dir, uint32_t ncols, sql_spill_file **out, sql_error *err);
/* Append ROW (NCOLS values; strings are copied). */
int sql_spill_write(sql_spill_file *f, const sql_value *row, sql_error *err);
/* Finish writing (or restart reading) and read from the first row. */
int sql_spill_rewind(sql_spill_file *f, sql_error *err);
/* 0 and *ROW (valid until the next call), 1 after the last row, or -errno. */
int sql_spill_read(sql_spill_file *f, const sql_value **row, sql_error *err);
uint64_t sql_spill_bytes(const sql_spill_file *f);   /* written */
uint64_t sql_spill_rows(const sql_spill_file *f);    /* written */
uint64_t sql_spill_held(const sql_spill_file *f);    /* memory it holds */
void sql_spill_close(sql_spill_file *f);             /* NULL allowed */

/* ---- plan helpers (sql_ir.c) ------------------------------------------------------------- */

/* Edit distance, for "did you mean" suggestions. */
unsigned sql_edit_distance(const char *a, const char *b);
/* The expression as text, Catalyst style: (a#1 + 1), count(1), 'region (unresolved). */
void sql_expr_print(const sql_expr *e, bool resolved, textbuf *out);

/* ---- subquery rewrite (sql_subquery.c), the optimizer's first rule ---------------------- */

/* Rewrite every subquery expression of the analyzed *PLAN into a join
 * (EXISTS and IN into LeftSemi/LeftAnti joins, scalar subqueries into
 * LeftOuter joins with their result).  *PREDICATE and *SCALAR tell which
 * kinds were rewritten, for the rule log.  0, or -EINVAL with ERR set at
 * the subquery when its form is not supported. */
int sql_rewrite_subqueries(sql_arena *a, sql_plan **plan, bool *predicate, bool *scalar,
			   sql_error *err);

/* ---- estimates (sql_physical.c) -------------------------------------------------------------- */

/* Estimated output rows of P from the scans' metastore statistics (no data
 * is read): what the physical planner sizes memory by and the optimizer
 * orders joins by. */
uint64_t sql_plan_estimate_rows(const sql_plan *p);

/* ---- analyzer helpers the optimizer shares (sql_analyze.c) ------------------------------- */

/* The conjuncts of E (a AND b AND c -> a, b, c), left to right, in an array
 * in A (NULL and 0 for a NULL E). */
void sql_expr_conjuncts(sql_arena *a, sql_expr *e, sql_expr ***out, uint32_t *n);
/* L AND R (either may be NULL: the other is returned). */
sql_expr *sql_expr_and(sql_arena *a, sql_expr *l, sql_expr *r);
/* Structural equality of resolved expressions (columns by attr id; an
 * ALIAS equals what it names). */
bool sql_expr_equal(const sql_expr *x, const sql_expr *y);
/* Recompute P's output attributes from its kind, children and exprs
 * (SCAN, VALUES and ONE_ROW keep theirs).  -EINVAL if a PROJECT or
 * AGGREGATE holds an unnamed expression. */
int sql_plan_compute_output(sql_arena *a, sql_plan *p);

#endif
