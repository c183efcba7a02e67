/*
 * fmt_parquet.h - Apache Parquet files: the reader and the writer of flat
 * tables (one leaf column per metafs column, no groups, no repeated fields).
 *
 * A Parquet file is "PAR1", column chunks grouped in row groups, the footer
 * (a Thrift compact-protocol FileMetaData: schema, row groups, column chunk
 * metadata with statistics), the footer's length (u32 LE) and "PAR1" again.
 * A column chunk is an optional dictionary page then data pages; each page
 * has a Thrift PageHeader and a body, compressed with the chunk's codec.
 *
 * Reading.  fmt_parquet_open_fd() maps the file, fmt_parquet_open_mem()
 * takes bytes the caller keeps alive; either checks the magic at both ends,
 * the footer length, and parses the footer strictly: every length and count
 * is bounded by the bytes left, Thrift nesting is capped, and the schema must
 * be flat (a group or a repeated field is refused, naming the column).  The
 * footer's row groups, chunks, types and statistics are then plain structs
 * (below).  fmt_parquet_read_column() decodes one column chunk into a
 * fmt_vector of the column's metafs type:
 *   BOOLEAN                                   -> boolean
 *   INT32, INT64 (plain, INT(8..64), UINT(8..32),
 *     TIME in its own unit)                   -> bigint
 *   INT32 DATE                                -> date (days)
 *   INT64 TIMESTAMP(MILLIS|MICROS|NANOS)      -> timestamp (micros; nanos
 *                                                are rounded down)
 *   INT96 (Impala/Hive/Spark timestamps)      -> timestamp (micros)
 *   FLOAT, DOUBLE                             -> double
 *   DECIMAL(p,s) on INT32, INT64, BYTE_ARRAY,
 *     FIXED_LEN_BYTE_ARRAY (p <= 38)          -> decimal(p,s)
 *   UINT(64)                                  -> decimal(20,0)
 *   BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY (others) -> string (the raw bytes)
 * Pages may be data page v1 or v2, encoded PLAIN, RLE (booleans),
 * PLAIN_DICTIONARY/RLE_DICTIONARY, DELTA_BINARY_PACKED,
 * DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY or BYTE_STREAM_SPLIT, compressed
 * UNCOMPRESSED, SNAPPY, GZIP or ZSTD.  Anything else (LZ4, BROTLI, LZO,
 * encryption) is refused with a message naming the column.
 *
 * The reader faces files from anywhere: a malformed file is an error with a
 * message, never a crash, an endless loop or an allocation the file's size
 * does not justify (beyond FMT_PARQUET_MAX_ROWS values and
 * FMT_PARQUET_MAX_BYTES bytes of strings per column chunk,
 * FMT_PARQUET_MAX_PAGE_VALUES values per page).  A mapped file must not shrink
 * while it is open (metafs never rewrites a data file in place).  One
 * fmt_parquet is used by one thread at a time (it keeps decoding buffers);
 * separate ones are independent.
 *
 * Writing.  fmt_parquet_writer_open() takes the table's columns
 * (store_column) and writes the way Spark does: every column OPTIONAL,
 *   bigint -> INT64, double -> DOUBLE, boolean -> BOOLEAN,
 *   string -> BYTE_ARRAY STRING (converted type UTF8),
 *   date -> INT32 DATE, timestamp -> INT64 TIMESTAMP(isAdjustedToUTC, MICROS),
 *   decimal(p,s) -> INT32 (p <= 9), INT64 (p <= 18) or FIXED_LEN_BYTE_ARRAY
 *     of the fewest bytes that hold p digits, with DECIMAL logical and
 *     converted types;
 * data pages v1 (v2 when asked) with RLE definition levels, cut at about
 * page_bytes or 20000 rows; a column chunk is dictionary encoded
 * (RLE_DICTIONARY) when its distinct values are few against its values,
 * else PLAIN; statistics min_value/max_value/null_count per chunk, with
 * TYPE_ORDER column orders; created_by "metafs version VERSION" (Parquet's
 * "<application> version <version>" form, which readers parse).  A value its
 * Parquet type cannot hold (a date beyond 32-bit days, a decimal with more
 * digits than its precision) fails the row group with -ERANGE.
 *
 * Errors: functions return 0 or a negative errno value (-EINVAL a malformed
 * file or a bad argument, -ENOTSUP a valid feature metafs does not read,
 * -ENOMEM, -EIO or the errno of a failed system call) and fill a fmt_error
 * with a message that starts with the file's name:
 *   x.parquet: column 'price': page size 1234567 past the end of the file
 */
#ifndef METAFS_FMT_PARQUET_H
#define METAFS_FMT_PARQUET_H

#include "fmt_vector.h"
#include "store.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_ERROR_MAX 512
typedef struct fmt_error {
	char msg[FMT_ERROR_MAX];
} fmt_error;
/* Fill ERR (when not NULL) with "NAME: " and the message FMT makes of AP
 * (NAME NULL: "file"); every message of format/ is made here. */
void fmt_errorv(fmt_error *err, const char *name, const char *fmt, va_list ap);

/* The most values the reader decodes from one column chunk (a chunk is
 * decoded whole: 64 Mi rows is the largest row group pyarrow ever wrote by
 * default) and from one page (writers cut pages at 20000 rows or 1 MiB; a
 * page of millions of values in a few bytes is a memory bomb). */
#define FMT_PARQUET_MAX_ROWS (UINT64_C(1) << 26)
#define FMT_PARQUET_MAX_PAGE_VALUES (INT32_C(1) << 24)
/* The most bytes of strings one column chunk decodes to: dictionary indices
 * and DELTA_BYTE_ARRAY prefixes repeat bytes, so a small page can expand
 * without bound. */
#define FMT_PARQUET_MAX_BYTES (UINT64_C(1) << 30)

/* Parquet's enums, with Parquet's numbers. */
typedef enum fmt_pq_physical {
	FMT_PQ_BOOLEAN = 0,
	FMT_PQ_INT32 = 1,
	FMT_PQ_INT64 = 2,
	FMT_PQ_INT96 = 3,
	FMT_PQ_FLOAT = 4,
	FMT_PQ_DOUBLE = 5,
	FMT_PQ_BYTE_ARRAY = 6,
	FMT_PQ_FIXED_LEN_BYTE_ARRAY = 7,
} fmt_pq_physical;

typedef enum fmt_pq_codec {
	FMT_PQ_UNCOMPRESSED = 0,
	FMT_PQ_SNAPPY = 1,
	FMT_PQ_GZIP = 2,
	FMT_PQ_LZO = 3,
	FMT_PQ_BROTLI = 4,
	FMT_PQ_LZ4 = 5,
	FMT_PQ_ZSTD = 6,
	FMT_PQ_LZ4_RAW = 7,
} fmt_pq_codec;

/* ConvertedType (the old annotation); FMT_PQ_CONVERTED_NONE when absent. */
typedef enum fmt_pq_converted {
	FMT_PQ_CONVERTED_NONE = -1,
	FMT_PQ_UTF8 = 0,
	FMT_PQ_CONV_DECIMAL = 5,
	FMT_PQ_CONV_DATE = 6,
	FMT_PQ_TIME_MILLIS = 7,
	FMT_PQ_TIME_MICROS = 8,
	FMT_PQ_TIMESTAMP_MILLIS = 9,
	FMT_PQ_TIMESTAMP_MICROS = 10,
	FMT_PQ_UINT_8 = 11,
	FMT_PQ_UINT_16 = 12,
	FMT_PQ_UINT_32 = 13,
	FMT_PQ_UINT_64 = 14,
	FMT_PQ_INT_8 = 15,
	FMT_PQ_INT_16 = 16,
	FMT_PQ_INT_32 = 17,
	FMT_PQ_INT_64 = 18,
	FMT_PQ_JSON = 19,
	FMT_PQ_BSON = 20,
	FMT_PQ_INTERVAL = 21,
} fmt_pq_converted;

/* LogicalType (the union's field id); FMT_PQ_LOGICAL_NONE when absent. */
typedef enum fmt_pq_logical {
	FMT_PQ_LOGICAL_NONE = 0,
	FMT_PQ_LOGICAL_STRING = 1,
	FMT_PQ_LOGICAL_MAP = 2,
	FMT_PQ_LOGICAL_LIST = 3,
	FMT_PQ_LOGICAL_ENUM = 4,
	FMT_PQ_LOGICAL_DECIMAL = 5,
	FMT_PQ_LOGICAL_DATE = 6,
	FMT_PQ_LOGICAL_TIME = 7,
	FMT_PQ_LOGICAL_TIMESTAMP = 8,
	FMT_PQ_LOGICAL_INTEGER = 10,
	FMT_PQ_LOGICAL_UNKNOWN = 11,
	FMT_PQ_LOGICAL_JSON = 12,
	FMT_PQ_LOGICAL_BSON = 13,
	FMT_PQ_LOGICAL_UUID = 14,
	FMT_PQ_LOGICAL_FLOAT16 = 15,
} fmt_pq_logical;

typedef enum fmt_pq_time_unit {
	FMT_PQ_UNIT_NONE = 0,
	FMT_PQ_MILLIS = 1,
	FMT_PQ_MICROS = 2,
	FMT_PQ_NANOS = 3,
} fmt_pq_time_unit;

/* One leaf column of the schema. */
typedef struct fmt_parquet_column {
	const char *name;            /* NUL-terminated, owned by the reader */
	fmt_pq_physical physical;
	int32_t type_length;         /* FIXED_LEN_BYTE_ARRAY's byte length, else 0 */
	bool optional;               /* OPTIONAL (may be NULL) rather than REQUIRED */
	fmt_pq_converted converted;
	fmt_pq_logical logical;
	int32_t precision, scale;    /* DECIMAL (from the logical or the converted type) */
	fmt_pq_time_unit unit;       /* TIMESTAMP / TIME, also from the converted type */
	bool utc;                    /* TIMESTAMP / TIME isAdjustedToUTC */
	int32_t int_bits;            /* INTEGER bitWidth (8..64), 0 if none */
	bool int_signed;
	store_type type;             /* what fmt_parquet_read_column() decodes to */
} fmt_parquet_column;

/* Statistics of one column chunk, as stored: values in PLAIN encoding (no
 * length prefix for byte arrays); pointers borrowed from the reader. */
typedef struct fmt_parquet_stats {
	bool has_min, has_max;       /* min_value / max_value, else the old min / max */
	const uint8_t *min, *max;
	uint32_t min_len, max_len;
	bool min_max_deprecated;     /* taken from the old signed min / max fields */
	bool has_null_count;
	int64_t null_count;
	bool has_distinct_count;
	int64_t distinct_count;
} fmt_parquet_stats;

typedef struct fmt_parquet_chunk {
	const char *path;            /* path_in_schema, joined with '.' */
	fmt_pq_physical physical;
	fmt_pq_codec codec;
	int64_t num_values;          /* values including NULLs */
	int64_t data_page_offset;
	int64_t dictionary_page_offset;  /* -1 when there is none */
	int64_t total_compressed_size;   /* pages with their headers */
	int64_t total_uncompressed_size;
	uint32_t encodings;          /* bit (1 << e) for each Encoding listed */
	fmt_parquet_stats stats;
} fmt_parquet_chunk;

typedef struct fmt_parquet_rowgroup {
	int64_t num_rows;
	int64_t total_byte_size;
	size_t nchunks;              /* fmt_parquet_ncolumns() */
	fmt_parquet_chunk *chunks;   /* one per column, in schema order */
} fmt_parquet_rowgroup;

typedef struct fmt_parquet fmt_parquet;   /* opaque: an open file */

/*
 * Open the Parquet file on FD (read through a private read-only mapping; FD
 * may be closed afterwards), or the LEN bytes at DATA, which must stay valid
 * and unchanged until fmt_parquet_close().  NAME is used in messages only.
 * On success *OUT is yours (fmt_parquet_close()).
 */
int fmt_parquet_open_fd(int fd, const char *name, fmt_parquet **out, fmt_error *err);
int fmt_parquet_open_mem(const void *data, size_t len, const char *name, fmt_parquet **out,
			 fmt_error *err);
void fmt_parquet_close(fmt_parquet *p);

/* The schema and the footer, borrowed until fmt_parquet_close(). */
size_t fmt_parquet_ncolumns(const fmt_parquet *p);
const fmt_parquet_column *fmt_parquet_column_at(const fmt_parquet *p, size_t i);
size_t fmt_parquet_nrowgroups(const fmt_parquet *p);
const fmt_parquet_rowgroup *fmt_parquet_rowgroup_at(const fmt_parquet *p, size_t i);
int64_t fmt_parquet_nrows(const fmt_parquet *p);
const char *fmt_parquet_created_by(const fmt_parquet *p);   /* "" when absent */
/* The value of the footer's key_value_metadata KEY, or NULL. */
const char *fmt_parquet_kv(const fmt_parquet *p, const char *key);

/*
 * Decode the chunk of column COL in row group RG and append its values to
 * OUT, which must be a vector of the column's type (fmt_parquet_column.type).
 * On failure OUT may hold part of the chunk's values.
 */
int fmt_parquet_read_column(fmt_parquet *p, size_t rg, size_t col, fmt_vector *out,
			    fmt_error *err);

/*
 * The same, a page at a time, so that a large row group is read in bounded
 * memory: fmt_parquet_pages_open() checks the chunk's place in the file;
 * each fmt_parquet_pages_next() decodes the next data page (reading the
 * dictionary page first when there is one) and appends its values to OUT,
 * *N of them (at most FMT_PARQUET_MAX_PAGE_VALUES); *N is 0 at the end of the
 * chunk.  The vector may change from call to call (it may be cleared between
 * calls).  Page readers of one file may be interleaved, in the file's one
 * thread.  *OUT is yours (fmt_parquet_pages_close()); it borrows P.
 */
typedef struct fmt_parquet_pages fmt_parquet_pages;
int fmt_parquet_pages_open(fmt_parquet *p, size_t rg, size_t col, fmt_parquet_pages **out,
			   fmt_error *err);
int fmt_parquet_pages_next(fmt_parquet_pages *pg, fmt_vector *out, size_t *n, fmt_error *err);
void fmt_parquet_pages_close(fmt_parquet_pages *pg);

/*
 * Decode one statistics value (a min or a max in PLAIN encoding) of column C
 * and append it to OUT (a vector of C's type).  -EINVAL when the bytes do not
 * fit the column's physical type.
 */
int fmt_parquet_stat_decode(const fmt_parquet_column *c, const uint8_t *b, size_t len,
			    fmt_vector *out);

/*
 * Whether the file's columns are the table's data columns COLUMNS (NCOLUMNS,
 * partition keys excluded): as many, in order, names equal ignoring ASCII
 * case (as Hive and Spark match them), and each file column decoding to the
 * table column's type, where a decimal may be narrower with the same scale
 * (what a widening INSERT leaves in old files).  -EINVAL with a message
 * naming the first column that differs.
 */
int fmt_parquet_check_schema(const fmt_parquet *p, const store_column *columns, size_t ncolumns,
			     fmt_error *err);

/* ---- writing ---------------------------------------------------------------------- */

typedef enum fmt_pq_dictionary {
	FMT_PQ_DICT_AUTO = 0,        /* when distinct values are at most half the values */
	FMT_PQ_DICT_NEVER = 1,
	FMT_PQ_DICT_ALWAYS = 2,      /* whenever the dictionary fits its limit (not booleans) */
} fmt_pq_dictionary;

typedef struct fmt_parquet_write_options {
	fmt_pq_codec codec;          /* UNCOMPRESSED, SNAPPY, GZIP or ZSTD */
	int level;                   /* GZIP/ZSTD level; 0: the library's default */
	uint64_t row_group_rows;     /* a row group ends at this many rows ... */
	uint64_t row_group_bytes;    /* ... or at about this many bytes of values */
	uint64_t page_bytes;         /* a data page holds about this many bytes of values */
	fmt_pq_dictionary dictionary;
	bool data_page_v2;           /* DATA_PAGE_V2 pages (levels apart, uncompressed) */
} fmt_parquet_write_options;

/* Spark's defaults: SNAPPY, 128 MiB row groups (and at most 1M rows, to bound
 * the writer's memory), 1 MiB pages, dictionaries when they pay. */
#define FMT_PARQUET_WRITE_OPTIONS_INIT                                                    \
	{FMT_PQ_SNAPPY, 0, UINT64_C(1) << 20, UINT64_C(128) << 20, UINT64_C(1) << 20,       \
	 FMT_PQ_DICT_AUTO, false}

typedef struct fmt_parquet_writer fmt_parquet_writer;   /* opaque */

/*
 * Start a Parquet file on FD (written sequentially from its current offset,
 * which must be 0; FD stays the caller's).  COLUMNS (NCOLUMNS of them, at
 * least one) are copied.  OPTS may be NULL for the defaults.  On success
 * *OUT is yours: end it with fmt_parquet_writer_close() or _abort().
 */
int fmt_parquet_writer_open(int fd, const char *name, const store_column *columns,
			    size_t ncolumns, const fmt_parquet_write_options *opts,
			    fmt_parquet_writer **out, fmt_error *err);
/*
 * Append the rows of COLS (one vector per column, each of its column's type,
 * all of the same length).  Row groups are written as they fill; the values
 * are copied.
 */
int fmt_parquet_writer_append(fmt_parquet_writer *w, const fmt_vector *cols, fmt_error *err);
/*
 * Write the last row group and the footer, then free W (also on failure).
 * *ROWS and *BYTES (either may be NULL) get the file's rows and size.
 */
int fmt_parquet_writer_close(fmt_parquet_writer *w, uint64_t *rows, uint64_t *bytes,
			     fmt_error *err);
/* Free W without finishing the file (the bytes written stay). */
void fmt_parquet_writer_abort(fmt_parquet_writer *w);

#endif
