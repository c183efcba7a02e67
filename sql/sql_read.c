/*
 * sql_read.c - readers of one data file: CSV (RFC 4180) and JSON Lines,
 * producing rows of a scan's output columns.
 *
 * The file is mapped read-only and parsed in place: an unquoted CSV field,
 * a quoted field without "" escapes, and every number are read straight from
 * the mapping; only selected quoted fields holding "" are unescaped into a per-record
 * scratch buffer.  Only the columns the scan selects are converted, so a
 * pruned scan of a wide file pays for splitting fields, not for parsing them.
 *
 * CSV rules (store_csv_next() splits the records, the same boundaries
 * fmt_file_scan() counts):
 *   - fields separated by ',', records by LF or CRLF; a field starting with '"'
 *     is quoted and may hold commas, newlines and "" (one quote);
 *   - blank lines are not records; with sql_scan.header the first record is
 *     the header and is skipped (columns are matched by position, as Hive does);
 *   - an empty unquoted field is NULL; an empty quoted field is the empty
 *     string for a string column and NULL for any other;
 *   - a record with the wrong number of fields, an unterminated quote, or a
 *     value that does not parse as its column's type is malformed.
 * JSON Lines (records and fields as fmt_jsonl.h defines them): one object
 * per non-blank line; a missing key or JSON null is
 * NULL; a value of the wrong JSON type is malformed (a double column takes
 * integers too, and the strings "NaN", "Infinity", "-Infinity").
 *
 * A malformed row fails the query (SQL_BAD_ROWS_FAIL) with
 *   malformed row at /path/file.csv line 17: column "amount": "abc" is not a double
 * or is skipped and counted (SQL_BAD_ROWS_SKIP); the first ten skipped rows of
 * a query are logged, the rest only counted.  Line numbers are the physical
 * line on which the record starts, counting the header.
 */
#include "fmt_parquet.h"
#include "sql_int.h"
#include "fmt_csv.h"
#include "fmt_jsonl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQL_READ_LOGGED_SKIPS 10

struct sql_reader {
	const sql_exec_ctx *ctx;
	const sql_scan *scan;
	char *path;
	int fd;
	const char *data;
	size_t size, pos;
	uint64_t line;            /* physical line at pos, 1-based */
	bool started;             /* header handled */
	sql_value *row;           /* scan->nout */
	char **partraw;           /* owned copies of the partition values */
	store_csv csv;            /* the CSV splitter over the mapping */
	store_csv_field *fields;  /* ncolumns */
	struct sql_unquoted {     /* ncolumns: where an escaped field's text is in scratch */
		size_t off, len;
	} *unq;
	textbuf scratch;
	fmt_jsonl jsonl;          /* the JSONL records over the mapping */
	fmt_jsonl_record json;    /* the current JSONL record, alive until the next row */
	bool scan_has_decimal;    /* a decimal column is read */
	/* Parquet: the open file, one vector per data column the scan
	 * produces (need[c]), the row groups [rg_next, rg_end) still to read,
	 * and the rows of the decoded one. */
	fmt_parquet *pq;
	fmt_vector *vec;          /* ncolumns */
	bool *need;               /* ncolumns */
	uint32_t rg_first, rg_next, rg_end;
	size_t rg_rows, rg_pos;
	uint64_t rg_read, rg_skipped;
	bool tail_counted;        /* the bytes outside the row groups are in pos */
	fmt_vector stat;          /* a decoded statistics value */
};

void sql_partition_value(const char *raw, sql_type type, sql_value *out)
{
	sql_value s = {.type = SQL_TYPE_STRING};

	if (!raw || !strcmp(raw, "__HIVE_DEFAULT_PARTITION__")) {
		*out = (sql_value){.type = type, .null = true};
		return;
	}
	s.u.s.ptr = raw;
	s.u.s.len = (uint32_t)strlen(raw);
	/* A non-string partition value never needs the arena. */
	if (sql_value_cast(NULL, &s, type, out))
		*out = (sql_value){.type = type, .null = true};
}

int sql_partition_value_check(const char *raw, store_type type)
{
	sql_value v;

	if (!strcmp(raw, "__HIVE_DEFAULT_PARTITION__"))
		return 0;
	sql_partition_value(raw, sql_type_from_store(type), &v);
	return v.null ? -EINVAL : 0;
}

/* Open PATH for reading: below a data store root, no symlink followed
 * (store_data_open). */
static int sql_reader_open_path(const sql_exec_ctx *ctx, const char *path, sql_error *err)
{
	const char *root = NULL;
	for (unsigned i = 0; ctx->catalog && i < ctx->catalog->nplatforms && !root; i++)
		if (store_data_relative(ctx->catalog->platforms[i].data_dir, path))
			root = ctx->catalog->platforms[i].data_dir;
	int fd = root ? store_data_open_path(root, path, O_RDONLY, 0)
		      : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		int rc = fd < -1 ? fd : -errno;
		sql_error_set(err, 0, 0, "cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	return fd;
}

int sql_reader_open(const sql_exec_ctx *ctx, const sql_scan *scan, const char *path,
		    const char *const *partvals, sql_reader **out, sql_error *err)
{
	int fd = sql_reader_open_path(ctx, path, err);

	if (fd < 0)
		return fd;
	return sql_reader_open_fd(ctx, scan, path, fd, partvals, out, err);
}

int sql_reader_parquet_rowgroups(const sql_exec_ctx *ctx, const char *path, uint32_t *n,
				 sql_error *err)
{
	fmt_parquet *pq = NULL;
	fmt_error ferr = {{0}};
	int fd = sql_reader_open_path(ctx, path, err);

	if (fd < 0)
		return fd;
	int rc = fmt_parquet_open_fd(fd, path, &pq, &ferr);
	close(fd);
	if (rc) {
		sql_error_set(err, 0, 0, "cannot read %s", ferr.msg);
		return rc;
	}
	size_t g = fmt_parquet_nrowgroups(pq);
	*n = g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
	fmt_parquet_close(pq);
	return 0;
}

/* Open the Parquet file on R->fd (then closed) and check its schema. */
static int sql_parquet_open(sql_reader *r, sql_error *err)
{
	const sql_scan *sc = r->scan;
	fmt_error ferr = {{0}};
	int rc = fmt_parquet_open_fd(r->fd, r->path, &r->pq, &ferr);

	close(r->fd);
	r->fd = -1;
	if (rc) {
		sql_error_set(err, 0, 0, "cannot read %s", ferr.msg);
		return rc;
	}
	store_column *cols = calloc(sc->ncolumns ? sc->ncolumns : 1, sizeof *cols);
	r->vec = calloc(sc->ncolumns ? sc->ncolumns : 1, sizeof *r->vec);
	r->need = calloc(sc->ncolumns ? sc->ncolumns : 1, sizeof *r->need);
	if (!cols || !r->vec || !r->need) {
		free(cols);
		return -ENOMEM;
	}
	for (uint32_t c = 0; c < sc->ncolumns; c++) {
		snprintf(cols[c].name, sizeof cols[c].name, "%s", sc->names[c]);
		cols[c].type = sql_type_to_store(sc->types[c]);
	}
	rc = fmt_parquet_check_schema(r->pq, cols, sc->ncolumns, &ferr);
	free(cols);
	if (rc) {
		sql_error_set(err, 0, 0, "table %s.%s: %s", sc->db ? sc->db : "?",
			      sc->table ? sc->table : "?", ferr.msg);
		return rc;
	}
	for (uint32_t c = 0; c < sc->ncolumns; c++)
		fmt_vector_init(&r->vec[c], fmt_parquet_column_at(r->pq, c)->type);
	for (uint32_t j = 0; j < sc->nout; j++)
		if (sc->columns[j] < sc->ncolumns)
			r->need[sc->columns[j]] = true;
	size_t g = fmt_parquet_nrowgroups(r->pq);
	r->rg_first = r->rg_next = 0;
	r->rg_end = g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
	return 0;
}

void sql_reader_set_rowgroups(sql_reader *r, uint32_t first, uint32_t count)
{
	if (!r->pq)
		return;
	size_t g = fmt_parquet_nrowgroups(r->pq);
	uint64_t end = (uint64_t)first + count;
	if (first > g)
		first = (uint32_t)g;
	if (end > g)
		end = g;
	r->rg_first = r->rg_next = first;
	r->rg_end = (uint32_t)end;
}

void sql_reader_rowgroup_counts(const sql_reader *r, uint64_t *read, uint64_t *skipped)
{
	*read = r->rg_read;
	*skipped = r->rg_skipped;
}

int sql_reader_open_fd(const sql_exec_ctx *ctx, const sql_scan *scan, const char *path, int fd,
		       const char *const *partvals, sql_reader **out, sql_error *err)
{
	sql_reader *r = calloc(1, sizeof *r);
	struct stat st;
	int rc = 0;

	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->ctx = ctx;
	r->scan = scan;
	r->fd = fd;
	r->line = 1;
	for (uint32_t j = 0; j < scan->nout; j++)
		if (scan->columns[j] < scan->ncolumns &&
		    sql_type_is_decimal(scan->types[scan->columns[j]]))
			r->scan_has_decimal = true;
	r->path = strdup(path);
	r->row = calloc(scan->nout ? scan->nout : 1, sizeof *r->row);
	r->fields = calloc(scan->ncolumns ? scan->ncolumns : 1, sizeof *r->fields);
	r->unq = calloc(scan->ncolumns ? scan->ncolumns : 1, sizeof *r->unq);
	r->partraw = calloc(scan->npartkeys ? scan->npartkeys : 1, sizeof *r->partraw);
	if (!r->path || !r->row || !r->fields || !r->unq || !r->partraw) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t k = 0; partvals && k < scan->npartkeys; k++) {
		if (partvals[k] && !(r->partraw[k] = strdup(partvals[k]))) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* Partition columns are the same for every row of the file: set them once. */
	for (uint32_t j = 0; j < scan->nout; j++) {
		uint32_t c = scan->columns[j];
		r->row[j].type = scan->types[c];
		if (c >= scan->ncolumns)
			sql_partition_value(r->partraw[c - scan->ncolumns], scan->types[c], &r->row[j]);
	}
	if (fstat(r->fd, &st)) {
		rc = -errno;
		sql_error_set(err, 0, 0, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	r->size = (size_t)st.st_size;
	if (scan->format == STORE_FORMAT_PARQUET) {
		rc = sql_parquet_open(r, err);
		goto out;
	}
	if (r->size) {
		void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, r->fd, 0);
		if (m == MAP_FAILED) {
			rc = -errno;
			sql_error_set(err, 0, 0, "cannot map %s: %s", path, strerror(errno));
			goto out;
		}
		madvise(m, r->size, MADV_SEQUENTIAL);
		r->data = m;
	}
	store_csv_init(&r->csv, r->data, r->size, r->fields, scan->ncolumns);
	fmt_jsonl_init(&r->jsonl, r->data, r->size);
out:
	if (rc) {
		sql_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void sql_reader_close(sql_reader *r)
{
	if (!r)
		return;
	if (r->data)
		munmap((void *)r->data, r->size);
	if (r->fd >= 0)
		close(r->fd);
	fmt_jsonl_record_free(&r->json);
	for (uint32_t c = 0; r->vec && c < r->scan->ncolumns; c++)
		fmt_vector_free(&r->vec[c]);
	free(r->vec);
	free(r->need);
	fmt_vector_free(&r->stat);
	fmt_parquet_close(r->pq);
	for (uint32_t k = 0; r->partraw && k < r->scan->npartkeys; k++)
		free(r->partraw[k]);
	free(r->partraw);
	free(r->fields);
	free(r->unq);
	free(r->row);
	free(r->path);
	textbuf_free(&r->scratch);
	free(r);
}

uint64_t sql_reader_offset(const sql_reader *r)
{
	return r->pos;
}

/* ---- malformed rows ------------------------------------------------------------ */

/* Report a malformed row that starts on LINE: 0 to skip it, or -EINVAL with
 * ERR filled to fail the query. */
static int sql_reader_bad_row(sql_reader *r, uint64_t line, sql_error *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int sql_reader_bad_row(sql_reader *r, uint64_t line, sql_error *err, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (r->ctx->bad_rows != SQL_BAD_ROWS_SKIP) {
		sql_error_set(err, 0, 0, "malformed row at %s line %llu: %s", r->path,
			      (unsigned long long)line, why);
		return -EINVAL;
	}
	uint64_t n = 1;
	if (r->ctx->progress)
		n = __atomic_add_fetch(&r->ctx->progress->rows_skipped, 1, __ATOMIC_RELAXED);
	if (n <= SQL_READ_LOGGED_SKIPS && r->ctx->log) {
		char msg[1024];
		snprintf(msg, sizeof msg, "skipped malformed row at %s line %llu: %s", r->path,
			 (unsigned long long)line, why);
		r->ctx->log(r->ctx->log_ctx, msg);
	}
	return 0;
}

/* ---- typed values from text ------------------------------------------------------ */

static bool sql_read_bigint(const char *s, uint32_t n, int64_t *out)
{
	uint32_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (n && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n)
		return false;
	if (n - i <= 18) {
		/* Up to 18 digits cannot overflow: no test per digit. */
		for (; i < n; i++) {
			unsigned d = (unsigned)(unsigned char)s[i] - '0';
			if (d > 9)
				return false;
			v = v * 10 + d;
		}
		*out = neg ? -(int64_t)v : (int64_t)v;
		return true;
	}
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* The readers have always refused a number of 64 bytes or more as
 * malformed, where a cast takes up to 127: kept so that the same files keep
 * the same rows. */
static bool sql_read_double(const char *s, uint32_t n, double *out)
{
	return n < 64 && sql_double_parse(s, n, out);
}

/* Parse text S of column TYPE into V (strings point at S); false if it does not parse. */
static bool sql_read_text(const char *s, uint32_t n, sql_type type, sql_value *v)
{
	v->type = type;
	v->null = false;
	switch (type) {
	case SQL_TYPE_STRING:
		v->u.s.ptr = s;
		v->u.s.len = n;
		return true;
	case SQL_TYPE_BIGINT:
		return sql_read_bigint(s, n, &v->u.i);
	case SQL_TYPE_DOUBLE:
		return sql_read_double(s, n, &v->u.d);
	case SQL_TYPE_BOOLEAN:
		if (n == 4 && !strncasecmp(s, "true", 4))
			v->u.b = true;
		else if (n == 5 && !strncasecmp(s, "false", 5))
			v->u.b = false;
		else
			return false;
		return true;
	case SQL_TYPE_DATE:
		return sql_date_parse(s, n, &v->u.i) == 0;
	case SQL_TYPE_TIMESTAMP:
		return sql_timestamp_parse(s, n, &v->u.i) == 0;
	default:
		/* A decimal is read from its text exactly, rounded HALF_UP to
		 * the column's scale, as Spark's CSV reader does; one that does
		 * not fit the column's precision, or has spaces around it (as a
		 * bigint may not), is malformed. */
		if (sql_type_is_decimal(type))
			return n > 0 && n < 128 && !isspace((unsigned char)s[0]) &&
			       !isspace((unsigned char)s[n - 1]) &&
			       sql_decimal_parse(s, n, type, &v->u.dec) == 0;
		return false;
	}
}

/* ---- CSV ------------------------------------------------------------------------- */

static int sql_csv_next(sql_reader *r, const sql_value **row, sql_error *err)
{
	const sql_scan *sc = r->scan;

	for (;;) {
		uint32_t nf = 0;
		uint64_t line = r->csv.line;
		int rc = store_csv_next(&r->csv, &nf, &line);
		r->pos = r->csv.pos;
		r->line = r->csv.line;
		if (rc == 1)
			return 1;
		if (!r->started) {
			r->started = true;
			if (sc->header)
				continue;
		}
		if (rc) {
			if ((rc = sql_reader_bad_row(r, line, err, "%s", r->csv.why)))
				return rc;
			continue;
		}
		if (nf != sc->ncolumns) {
			if ((rc = sql_reader_bad_row(r, line, err, "expected %u fields, found %u",
						     sc->ncolumns, nf)))
				return rc;
			continue;
		}
		/* The text of quoted fields holding "" goes to the scratch buffer,
		 * all of it before any value points there (appending may move it). */
		textbuf_reset(&r->scratch);
		for (uint32_t j = 0; j < sc->nout; j++) {
			uint32_t c = sc->columns[j];
			if (c < sc->ncolumns && r->fields[c].escaped) {
				r->unq[c].off = r->scratch.len;
				store_csv_unquote(r->data + r->fields[c].off, r->fields[c].len, &r->scratch);
				r->unq[c].len = r->scratch.len - r->unq[c].off;
			}
		}
		if (textbuf_error(&r->scratch))
			return -ENOMEM;
		bool bad = false;
		for (uint32_t j = 0; j < sc->nout && !bad; j++) {
			uint32_t c = sc->columns[j];
			if (c >= sc->ncolumns)
				continue;
			const store_csv_field *f = &r->fields[c];
			const char *s = r->data + f->off;
			uint32_t len = (uint32_t)f->len;
			sql_type t = sc->types[c];
			if (f->escaped) {
				s = r->scratch.data + r->unq[c].off;
				len = (uint32_t)r->unq[c].len;
			}
			if (store_csv_null(f, t == SQL_TYPE_STRING)) {
				r->row[j] = (sql_value){.type = t, .null = true};
				continue;
			}
			if (!sql_read_text(s, len, t, &r->row[j])) {
				bad = true;
				rc = sql_reader_bad_row(r, line, err, "column \"%s\": \"%.*s\" is not a %s",
							sc->names[c], len > 64 ? 64 : (int)len, s,
							sql_type_name(t));
			}
		}
		if (rc)
			return rc;
		if (bad)
			continue;
		*row = r->row;
		return 0;
	}
}

/* ---- JSON Lines ---------------------------------------------------------------------- */

/* Field V (of the record R) as a value of type T: 0, or -EINVAL when it is
 * not one (nested values never are).  Numbers keep their text where a
 * double would change them: decimals, and integers of a record parsed with
 * integers as reals (fmt_jsonl_parse). */
static int sql_jsonl_value(const fmt_jsonl_record *rec, const fmt_json_value *j, sql_type t,
			   const char *name, sql_value *v)
{
	const char *txt;
	size_t n;

	v->type = t;
	v->null = false;
	if (j->kind == FMT_JSON_NULL) {
		v->null = true;
		return 0;
	}
	switch (t) {
	case SQL_TYPE_STRING:
		if (j->kind != FMT_JSON_STRING)
			return -EINVAL;
		v->u.s.ptr = j->str;
		v->u.s.len = (uint32_t)j->len;
		return 0;
	case SQL_TYPE_BIGINT:
		if (rec->ints_as_real && j->kind == FMT_JSON_REAL) {
			/* Integers of this line were parsed as reals (one is too
			 * big for 64 bits): take this one from its text. */
			if (fmt_jsonl_number_text(rec, name, &txt, &n) && !memchr(txt, '.', n) &&
			    !memchr(txt, 'e', n) && !memchr(txt, 'E', n) &&
			    sql_read_bigint(txt, (uint32_t)n, &v->u.i))
				return 0;
			return -EINVAL;
		}
		if (j->kind != FMT_JSON_INTEGER)
			return -EINVAL;
		v->u.i = j->i;
		return 0;
	case SQL_TYPE_DOUBLE:
		if (j->kind == FMT_JSON_INTEGER || j->kind == FMT_JSON_REAL) {
			v->u.d = j->d;
			return 0;
		}
		if (j->kind == FMT_JSON_STRING && sql_read_double(j->str, (uint32_t)j->len, &v->u.d) &&
		    (isnan(v->u.d) || isinf(v->u.d)))
			return 0;
		return -EINVAL;
	case SQL_TYPE_BOOLEAN:
		if (j->kind != FMT_JSON_BOOLEAN)
			return -EINVAL;
		v->u.b = j->b;
		return 0;
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
		if (j->kind != FMT_JSON_STRING)
			return -EINVAL;
		return sql_read_text(j->str, (uint32_t)j->len, t, v) ? 0 : -EINVAL;
	default:
		if (!sql_type_is_decimal(t))
			return -EINVAL;
		/* A number from its text in the line (1.50 stays 1.50), or a
		 * string holding one. */
		if (j->kind == FMT_JSON_INTEGER || j->kind == FMT_JSON_REAL) {
			if (fmt_jsonl_number_text(rec, name, &txt, &n))
				return sql_read_text(txt, (uint32_t)n, t, v) ? 0 : -EINVAL;
			if (j->kind == FMT_JSON_INTEGER) {
				sql_value i = {.type = SQL_TYPE_BIGINT};
				i.u.i = j->i;
				return sql_value_cast(NULL, &i, t, v) || v->null ? -EINVAL : 0;
			}
			return -EINVAL;
		}
		if (j->kind == FMT_JSON_STRING && sql_read_text(j->str, (uint32_t)j->len, t, v))
			return 0;
		return -EINVAL;
	}
}

static int sql_jsonl_next(sql_reader *r, const sql_value **row, sql_error *err)
{
	const sql_scan *sc = r->scan;

	fmt_jsonl_record_free(&r->json);
	for (;;) {
		const char *text;
		size_t len;
		uint64_t line;
		char why[FMT_JSONL_WHY_MAX];
		int rc = fmt_jsonl_next(&r->jsonl, &text, &len, &line);

		r->pos = r->jsonl.pos;
		r->line = r->jsonl.line;
		if (rc == 1)
			return 1;
		if (fmt_jsonl_parse(text, len, r->scan_has_decimal, &r->json, why, NULL)) {
			if ((rc = sql_reader_bad_row(r, line, err, "%s", why)))
				return rc;
			continue;
		}
		bool bad = false;
		for (uint32_t j = 0; j < sc->nout && !bad; j++) {
			uint32_t c = sc->columns[j];
			if (c >= sc->ncolumns)
				continue;
			fmt_json_value jv;
			fmt_jsonl_get(&r->json, sc->names[c], &jv);
			if (sql_jsonl_value(&r->json, &jv, sc->types[c], sc->names[c], &r->row[j])) {
				char *txt = fmt_json_value_text(&jv);
				bad = true;
				rc = sql_reader_bad_row(r, line, err, "column \"%s\": %.64s is not a %s",
							sc->names[c], txt ? txt : "?",
							sql_type_name(sc->types[c]));
				free(txt);
			}
		}
		if (bad) {
			fmt_jsonl_record_free(&r->json);
			if (rc)
				return rc;
			continue;
		}
		/* Strings in the row point into the record: keep it until the
		 * next call. */
		*row = r->row;
		return 0;
	}
}

/* ---- Parquet ---------------------------------------------------------------------- */

/* Value I of vector V as a value of TYPE (the table column's: a decimal of
 * the file may be narrower, with the same scale). */
static void sql_parquet_value(const fmt_vector *v, size_t i, sql_type type, sql_value *out)
{
	*out = (sql_value){.type = type};
	if (fmt_vector_is_null(v, i)) {
		out->null = true;
		return;
	}
	switch (store_type_base(v->type)) {
	case STORE_TYPE_BOOLEAN:
		out->u.b = v->v.b[i] != 0;
		break;
	case STORE_TYPE_DOUBLE:
		out->u.d = v->v.f64[i];
		break;
	case STORE_TYPE_DECIMAL:
		out->u.dec = v->v.dec[i];
		break;
	case STORE_TYPE_STRING: {
		size_t n;
		out->u.s.ptr = fmt_vector_str(v, i, &n);
		out->u.s.len = (uint32_t)n;
		break;
	}
	default:   /* bigint, date (days), timestamp (micros) */
		out->u.i = v->v.i64[i];
		break;
	}
}

/* The statistics of table column C in row group G, as bounds
 * (sql_stats.c decides what they rule out); false when there are none to
 * trust. */
static bool sql_parquet_stats(sql_reader *r, uint32_t g, uint32_t c, sql_bounds *out)
{
	const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(r->pq, g);
	const fmt_parquet_column *col = fmt_parquet_column_at(r->pq, c);
	const fmt_parquet_stats *st;
	sql_type type = r->scan->types[c];

	memset(out, 0, sizeof *out);
	if (!rg || !col || c >= rg->nchunks)
		return false;
	st = &rg->chunks[c].stats;
	out->is_double = type == SQL_TYPE_DOUBLE;
	if (st->has_null_count && st->null_count >= 0) {
		out->no_null = st->null_count == 0;
		out->all_null = rg->num_rows > 0 && st->null_count >= rg->num_rows;
	}
	if (!st->has_min || !st->has_max)
		return true;
	/* The old min / max were written in signed order: trustworthy only
	 * for signed numbers and booleans.  INT96 timestamps are never
	 * ordered as their bytes. */
	if (st->min_max_deprecated &&
	    (col->physical == FMT_PQ_BYTE_ARRAY || col->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY ||
	     (col->int_bits && !col->int_signed) || col->converted == FMT_PQ_UINT_8 ||
	     col->converted == FMT_PQ_UINT_16 || col->converted == FMT_PQ_UINT_32 ||
	     col->converted == FMT_PQ_UINT_64))
		return true;
	if (col->physical == FMT_PQ_INT96)
		return true;
	fmt_vector_free(&r->stat);
	fmt_vector_init(&r->stat, col->type);
	if (fmt_parquet_stat_decode(col, st->min, st->min_len, &r->stat) ||
	    fmt_parquet_stat_decode(col, st->max, st->max_len, &r->stat) || r->stat.n != 2)
		return true;
	/* Strings point into r->stat, which stays until the next call. */
	sql_parquet_value(&r->stat, 0, type, &out->min);
	sql_parquet_value(&r->stat, 1, type, &out->max);
	if (out->min.null || out->max.null)
		return true;
	if (out->is_double && (isnan(out->min.u.d) || isnan(out->max.u.d)))
		return true;
	out->has_min = out->has_max = true;
	return true;
}

typedef struct sql_parquet_group {
	sql_reader *r;
	uint32_t g;
} sql_parquet_group;

static bool sql_parquet_group_bounds(void *ctx, uint32_t col, sql_bounds *out)
{
	sql_parquet_group *pg = ctx;

	return sql_parquet_stats(pg->r, pg->g, col, out);
}

/* Whether filter E is TRUE for no row of row group G, by its statistics. */
static bool sql_parquet_none(sql_reader *r, uint32_t g, const sql_expr *e)
{
	sql_parquet_group pg = {.r = r, .g = g};

	return sql_bounds_none(r->scan, e, sql_parquet_group_bounds, &pg);
}

static int sql_parquet_next(sql_reader *r, const sql_value **row, sql_error *err)
{
	const sql_scan *sc = r->scan;

	for (;;) {
		if (r->rg_pos < r->rg_rows) {
			size_t i = r->rg_pos++;
			for (uint32_t j = 0; j < sc->nout; j++) {
				uint32_t c = sc->columns[j];
				if (c < sc->ncolumns)
					sql_parquet_value(&r->vec[c], i, sc->types[c], &r->row[j]);
			}
			*row = r->row;
			return 0;
		}
		r->rg_rows = r->rg_pos = 0;
		if (r->rg_next >= r->rg_end) {
			/* The footer and whatever lies outside the row groups count
			 * with the range that holds the first one, so the ranges of
			 * a file add up to its size. */
			if (r->rg_first == 0 && !r->tail_counted) {
				uint64_t in_groups = 0;
				size_t n = fmt_parquet_nrowgroups(r->pq);
				for (size_t g = 0; g < n; g++) {
					const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(r->pq, g);
					for (size_t c = 0; c < rg->nchunks; c++)
						if (rg->chunks[c].total_compressed_size > 0)
							in_groups += (uint64_t)rg->chunks[c].total_compressed_size;
				}
				if (in_groups < r->size)
					r->pos += r->size - in_groups;
				r->tail_counted = true;
			}
			return 1;
		}
		uint32_t g = r->rg_next++;
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(r->pq, g);
		for (size_t c = 0; c < rg->nchunks; c++)
			if (rg->chunks[c].total_compressed_size > 0)
				r->pos += (uint64_t)rg->chunks[c].total_compressed_size;
		if (rg->num_rows <= 0)
			continue;
		if (sc->data_filter && sql_parquet_none(r, g, sc->data_filter)) {
			r->rg_skipped++;
			continue;
		}
		r->rg_read++;
		for (uint32_t c = 0; c < sc->ncolumns; c++) {
			if (!r->need[c])
				continue;
			fmt_error ferr = {{0}};
			fmt_vector_clear(&r->vec[c]);
			int rc = fmt_parquet_read_column(r->pq, g, c, &r->vec[c], &ferr);
			if (rc) {
				sql_error_set(err, 0, 0, "cannot read %s", ferr.msg);
				return rc;
			}
			if (r->vec[c].n != (uint64_t)rg->num_rows) {
				sql_error_set(err, 0, 0,
					      "cannot read %s: column '%s' of row group %u holds %zu values for %lld rows",
					      r->path, sc->names[c], g, r->vec[c].n, (long long)rg->num_rows);
				return -EINVAL;
			}
		}
		r->rg_rows = (size_t)rg->num_rows;
	}
}

int sql_reader_next(sql_reader *r, const sql_value **row, sql_error *err)
{
	if (r->pq)
		return sql_parquet_next(r, row, err);
	if (!r->data)
		return 1;
	if (r->scan->format == STORE_FORMAT_JSONL)
		return sql_jsonl_next(r, row, err);
	return sql_csv_next(r, row, err);
}
