/*
 * fmt_scan.c - what a data file holds (fmt_scan.h): rows, bytes, checksum
 * and the check against the table's format, by the scan of the format's
 * entry in fmt.c's table; Parquet's scan (the footer's column statistics)
 * is here, CSV's and JSONL's are in their own files.
 */
#include "fmt_scan.h"
#include "fmt.h"
#include "fmt_parquet_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static const char parquet_magic[4] = {'P', 'A', 'R', '1'};

int fmt_refuse(fmt_error *err, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_errorv(err, name, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Whether the LEN bytes at D are a Parquet file, whole or cut: "PAR1" at
 * the start, and "PAR1" at the end or a control character right after the
 * magic (the first page header's Thrift field byte, 0x15 or 0x18, which no
 * text has).  Text that merely starts with "PAR1" ("PAR123,x") is not. */
static bool looks_parquet(const char *d, size_t len)
{
	if (len < 5 || memcmp(d, parquet_magic, 4) != 0)
		return false;
	if (len >= 8 && memcmp(d + len - 4, parquet_magic, 4) == 0)
		return true;
	unsigned char c = (unsigned char)d[4];
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/* ---- Parquet statistics ------------------------------------------------------------ */

/* Value 0 of V (of the file column's type) as the typed bytes of a
 * store_colstat for table type T; *TRUNC when a string was cut. */
static void stat_value(const fmt_vector *v, store_type t, uint8_t *out, uint8_t *len, bool *trunc)
{
	*trunc = false;
	switch (store_type_base(t)) {
	case STORE_TYPE_BOOLEAN:
		out[0] = v->v.b[0] ? 1 : 0;
		*len = 1;
		return;
	case STORE_TYPE_BIGINT:
	case STORE_TYPE_DATE:
	case STORE_TYPE_TIMESTAMP: {
		uint64_t x = (uint64_t)v->v.i64[0];
		for (int i = 0; i < 8; i++, x >>= 8)
			out[i] = (uint8_t)x;
		*len = 8;
		return;
	}
	case STORE_TYPE_DOUBLE: {
		uint64_t x;
		memcpy(&x, &v->v.f64[0], sizeof x);
		for (int i = 0; i < 8; i++, x >>= 8)
			out[i] = (uint8_t)x;
		*len = 8;
		return;
	}
	case STORE_TYPE_DECIMAL: {
		fmt_int128 d = v->v.dec[0];
		uint64_t lo = (uint64_t)d, hi = (uint64_t)(d >> 64);
		for (int i = 0; i < 8; i++, lo >>= 8, hi >>= 8) {
			out[i] = (uint8_t)lo;
			out[8 + i] = (uint8_t)hi;
		}
		*len = 16;
		return;
	}
	default: {
		size_t n;
		const char *s = fmt_vector_str(v, 0, &n);
		if (n > STORE_STAT_VALUE_MAX) {
			n = STORE_STAT_VALUE_MAX;
			*trunc = true;
		}
		if (n)
			memcpy(out, s, n);
		*len = (uint8_t)n;
		return;
	}
	}
}

/* Whether the old signed min/max fields order column C's values as metafs
 * does: numbers of signed physical types only.  (INT96 has no defined
 * order at all: its bounds are never used, see parquet_column_stats.) */
static bool deprecated_order_ok(const fmt_parquet_column *c)
{
	if (c->physical == FMT_PQ_BYTE_ARRAY || c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY ||
	    c->physical == FMT_PQ_INT96)
		return false;
	if (c->int_bits && !c->int_signed)
		return false;
	return !(c->converted >= FMT_PQ_UINT_8 && c->converted <= FMT_PQ_UINT_64);
}

/* One bound (MIN or MAX) of a chunk decoded into S's slot; false when the
 * bytes do not decode. */
static bool chunk_bound(const fmt_parquet_column *c, store_type t, const uint8_t *b, uint32_t blen,
			uint8_t *out, uint8_t *len, bool *trunc)
{
	fmt_vector v;
	bool ok;

	fmt_vector_init(&v, c->type);
	ok = fmt_parquet_stat_decode(c, b, blen, &v) == 0 && v.n == 1 && !fmt_vector_is_null(&v, 0);
	/* A NaN bound (which writers should not write) bounds nothing. */
	if (ok && store_type_base(c->type) == STORE_TYPE_DOUBLE && v.v.f64[0] != v.v.f64[0])
		ok = false;
	if (ok)
		stat_value(&v, t, out, len, trunc);
	fmt_vector_free(&v);
	return ok;
}

static void parquet_column_stats(const fmt_parquet *p, size_t col, store_type t, store_colstat *s)
{
	const fmt_parquet_column *c = fmt_parquet_column_at(p, col);
	bool nulls_known = true, bounds_known = true, any_bound = false;

	*s = (store_colstat){.column = (uint32_t)col, .type = t};
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++) {
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, g);
		if (col >= rg->nchunks || rg->num_rows == 0)
			continue;
		const fmt_parquet_stats *st = &rg->chunks[col].stats;
		if (st->has_null_count && st->null_count >= 0)
			s->nulls += (uint64_t)st->null_count;
		else
			nulls_known = false;
		if (st->has_null_count && st->null_count >= rg->num_rows)
			continue;   /* all NULL: no bound to miss */
		uint8_t mn[STORE_STAT_VALUE_MAX], mx[STORE_STAT_VALUE_MAX], mnl = 0, mxl = 0;
		bool mnt = false, mxt = false;
		if (!bounds_known || !st->has_min || !st->has_max || c->physical == FMT_PQ_INT96 ||
		    (st->min_max_deprecated && !deprecated_order_ok(c)) ||
		    !chunk_bound(c, t, st->min, st->min_len, mn, &mnl, &mnt) ||
		    !chunk_bound(c, t, st->max, st->max_len, mx, &mxl, &mxt)) {
			bounds_known = false;
			continue;
		}
		if (!any_bound || store_stat_value_cmp(t, mn, mnl, s->min, s->min_len) < 0) {
			memcpy(s->min, mn, mnl);
			s->min_len = mnl;
			s->flags = (uint8_t)((s->flags & ~STORE_STAT_MIN_TRUNCATED) |
					     (mnt ? STORE_STAT_MIN_TRUNCATED : 0));
		}
		if (!any_bound || store_stat_value_cmp(t, mx, mxl, s->max, s->max_len) > 0) {
			memcpy(s->max, mx, mxl);
			s->max_len = mxl;
			s->flags = (uint8_t)((s->flags & ~STORE_STAT_MAX_TRUNCATED) |
					     (mxt ? STORE_STAT_MAX_TRUNCATED : 0));
		}
		any_bound = true;
	}
	if (bounds_known && any_bound)
		s->flags |= STORE_STAT_MIN | STORE_STAT_MAX;
	else
		s->flags = 0;
	if (nulls_known)
		s->flags |= STORE_STAT_NULLS;
	else
		s->nulls = 0;
}

int fmt_parquet_scan(const char *data, size_t len, const char *name, const store_table *t,
		     fmt_file_stats *out, fmt_error *err)
{
	fmt_parquet *p = NULL;
	fmt_error perr = {{0}};
	int rc;

	if (len < 4 || memcmp(data, parquet_magic, 4) != 0)
		return fmt_refuse(err, name,
				  "not a Parquet file (no PAR1 at its start), in %s table %s.%s",
				  fmt_name(t->format), t->db, t->name);
	rc = fmt_parquet_open_mem(data, len, name ? name : "file", &p, &perr);
	if (rc == 0 && t->ncolumns > 0 && t->columns)
		rc = fmt_parquet_check_schema(p, t->columns, t->ncolumns, &perr);
	if (rc) {
		fmt_parquet_close(p);
		if (err)
			snprintf(err->msg, sizeof err->msg, "%s", perr.msg);
		return rc == -ENOTSUP ? -EINVAL : rc;
	}
	/* The codecs are in the footer: a file the reader cannot decode is
	 * refused now, not by every job that reads the table later. */
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++) {
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, g);
		for (size_t c = 0; c < rg->nchunks; c++) {
			fmt_pq_codec k = rg->chunks[c].codec;
			if (k == FMT_PQ_UNCOMPRESSED || k == FMT_PQ_SNAPPY || k == FMT_PQ_GZIP ||
			    k == FMT_PQ_ZSTD)
				continue;
			rc = fmt_refuse(err, name, "column '%s': %s compression, which metafs does not "
						   "read", rg->chunks[c].path, pq_codec_name(k));
			fmt_parquet_close(p);
			return rc;
		}
	}
	int64_t rows = fmt_parquet_nrows(p);
	out->rows = rows > 0 ? (uint64_t)rows : 0;
	if (t->ncolumns > 0 && t->columns && fmt_parquet_ncolumns(p) == t->ncolumns) {
		out->stats = calloc(t->ncolumns, sizeof *out->stats);
		if (!out->stats) {
			fmt_parquet_close(p);
			return -ENOMEM;
		}
		for (uint32_t c = 0; c < t->ncolumns; c++)
			parquet_column_stats(p, c, t->columns[c].type, &out->stats[c]);
		out->nstats = t->ncolumns;
	}
	fmt_parquet_close(p);
	return 0;
}

/* ---- the scan ------------------------------------------------------------------------ */

int fmt_file_scan_mem(const void *data, size_t len, const char *name, const store_table *t,
		      fmt_file_stats *out, fmt_error *err)
{
	const char *d = data ? data : "";
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (err)
		err->msg[0] = '\0';
	const fmt_ops *ops = fmt_ops_of(t->format);
	if (!ops)
		return fmt_refuse(err, name, "table %s.%s has no known format", t->db, t->name);
	if (ops->text && looks_parquet(d, len))
		return fmt_refuse(err, name,
				  "a Parquet file (it starts with PAR1), in %s table %s.%s", ops->name,
				  t->db, t->name);
	rc = ops->scan(d, len, name, t, out, err);
	if (rc) {
		fmt_file_stats_clear(out);
		return rc;
	}
	XXH128_hash_t h = XXH3_128bits(d, len);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, h);
	memcpy(out->checksum, canon.digest, 16);
	out->bytes = len;
	return 0;
}

int fmt_file_scan(int fd, const char *name, const store_table *t, fmt_file_stats *out,
		  fmt_error *err)
{
	struct stat st;
	void *m = NULL;
	size_t n;

	memset(out, 0, sizeof *out);
	if (fstat(fd, &st)) {
		int rc = -errno;
		if (err)
			snprintf(err->msg, sizeof err->msg, "%s: cannot stat: %s", name ? name : "file",
				 strerror(errno));
		return rc;
	}
	n = (size_t)st.st_size;
	if (n) {
		m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			int rc = -errno;
			if (err)
				snprintf(err->msg, sizeof err->msg, "%s: cannot map: %s",
					 name ? name : "file", strerror(errno));
			return rc;
		}
		const fmt_ops *ops = fmt_ops_of(t->format);
		madvise(m, n, ops && ops->random_access ? MADV_RANDOM : MADV_SEQUENTIAL);
	}
	int rc = fmt_file_scan_mem(m, n, name, t, out, err);
	if (m)
		munmap(m, n);
	return rc;
}

int fmt_file_checksum(int fd, uint64_t *bytes, uint8_t checksum[16])
{
	struct stat st;
	void *m = NULL;
	size_t n;

	if (fstat(fd, &st))
		return -errno;
	n = (size_t)st.st_size;
	if (n) {
		m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return -errno;
	}
	XXH128_hash_t h = XXH3_128bits(m ? m : "", n);
	XXH128_canonical_t canon;
	XXH128_canonicalFromHash(&canon, h);
	memcpy(checksum, canon.digest, 16);
	*bytes = n;
	if (m)
		munmap(m, n);
	return 0;
}

void fmt_file_stats_clear(fmt_file_stats *s)
{
	if (!s)
		return;
	free(s->stats);
	s->stats = NULL;
	s->nstats = 0;
}

void fmt_file_stats_to_record(const fmt_file_stats *s, store_file *f)
{
	f->rows = s->rows;
	f->bytes = s->bytes;
	memcpy(f->checksum, s->checksum, sizeof f->checksum);
	f->stats = s->stats;
	f->nstats = s->stats ? s->nstats : 0;
}
