/*
 * fmt_scan.h - what a data file holds, by its table's format: the rows, the
 * bytes, the XXH3-128 checksum and (where the format keeps them) column
 * statistics, and the check that the bytes are of the table's format.  Every
 * commit of a data file (the mount's close and rename, a job's output,
 * repair, the resolution of a crash's intents) reads its file through this.
 *
 * Per format (the scan of each format's entry in fmt.c's table):
 *   csv      rows: the records store_csv_next() splits (fmt_csv.h), a
 *            malformed one counting as one, the first one not counted when
 *            the table has a header.  Checked: the file is not a Parquet
 *            file, whole or cut: it does not start with "PAR1" and then
 *            either end with "PAR1" or go on with a control character (a
 *            page header's first byte).  The records themselves are not
 *            parsed here (a malformed row is the engine's to report).
 *   jsonl    rows: the records fmt_jsonl_next() finds (fmt_jsonl.h).  Checked: not Parquet, and the first
 *            byte that is not blank (space, tab, CR, LF) is '{' (an empty
 *            or blank file is fine: no rows).
 *   parquet  rows: the footer's num_rows, without reading a data page.
 *            Checked: the magic at both ends, the footer (fmt_parquet_open_*
 *            parses it strictly: a truncated file fails), and its columns
 *            against the table's data columns (fmt_parquet_check_schema),
 *            and every column chunk's codec (one the reader decodes).
 *            Statistics: per data column, from the row groups' column
 *            chunk statistics: the null count when every chunk has one, the
 *            least min and the greatest max when every chunk with a value
 *            has them (strings cut to STORE_STAT_VALUE_MAX bytes and marked
 *            truncated; the old signed min/max fields are used for numbers
 *            only, never for strings or byte-array decimals).
 */
#ifndef METAFS_FMT_SCAN_H
#define METAFS_FMT_SCAN_H

#include "fmt_parquet.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct fmt_file_stats {
	uint64_t rows, bytes;
	uint8_t checksum[16];     /* XXH3-128, canonical big-endian bytes (as xxh128sum prints) */
	store_colstat *stats;     /* nstats entries, owned: fmt_file_stats_clear() */
	uint32_t nstats;
} fmt_file_stats;

/*
 * Read the data file FD (mapped; a regular file opened for reading) as a
 * file of table T (its format, header and data columns; a table with no
 * columns skips the Parquet schema check) and fill OUT.  NAME is for
 * messages only (the path, or the file's name).  -EINVAL when the bytes are
 * not of T's format, with ERR (may be NULL) saying why:
 *   x.parquet: a Parquet file (it starts with PAR1), not csv
 * other -errno values for a failed read.  On failure OUT holds nothing to
 * free.
 */
int fmt_file_scan(int fd, const char *name, const store_table *t, fmt_file_stats *out,
		  fmt_error *err);
/* The same over the LEN bytes at DATA (the checksum included). */
int fmt_file_scan_mem(const void *data, size_t len, const char *name, const store_table *t,
		      fmt_file_stats *out, fmt_error *err);
void fmt_file_stats_clear(fmt_file_stats *s);

/* The size and XXH3-128 checksum of the file FD, whatever its bytes are. */
int fmt_file_checksum(int fd, uint64_t *bytes, uint8_t checksum[16]);

/* ---- the scans of fmt.c's table (fmt_ops.scan), one per format's file ---- */

int fmt_csv_scan(const char *data, size_t len, const char *name, const store_table *t,
		 fmt_file_stats *out, fmt_error *err);      /* fmt_csv.c */
int fmt_jsonl_scan(const char *data, size_t len, const char *name, const store_table *t,
		   fmt_file_stats *out, fmt_error *err);    /* fmt_jsonl.c */
int fmt_parquet_scan(const char *data, size_t len, const char *name, const store_table *t,
		     fmt_file_stats *out, fmt_error *err);  /* fmt_scan.c */
/* -EINVAL, with ERR (may be NULL) "NAME: " and the message. */
__attribute__((format(printf, 3, 4))) int fmt_refuse(fmt_error *err, const char *name,
						     const char *fmt, ...);

/* The file record's fields from S: rows, bytes, checksum, and the
 * statistics (borrowed from S: keep S until the record is put). */
void fmt_file_stats_to_record(const fmt_file_stats *s, store_file *f);

#endif
