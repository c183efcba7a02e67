/*
 * fmt_parquet_write.c - writing a flat Parquet file (fmt_parquet.h).
 *
 * Rows are buffered per column until a row group is full (row_group_rows or
 * about row_group_bytes of values); then each column chunk is written:
 *   - the dictionary decision: the chunk's distinct non-NULL values are
 *     collected (up to PQ_DICT_MAX_ENTRIES / PQ_DICT_MAX_BYTES); with AUTO a
 *     dictionary is used when they are at most half of the values, which is
 *     where the indices plus the dictionary beat PLAIN values clearly;
 *   - an optional dictionary page (PLAIN values), then data pages (v1, or v2
 *     when asked) of about page_bytes of values each: RLE definition levels
 *     (every column is OPTIONAL, as Spark writes them) and the non-NULL values, PLAIN or
 *     RLE_DICTIONARY indices, each page compressed on its own;
 *   - statistics of the chunk: min_value/max_value (NaN never counts, a zero
 *     minimum is -0.0 and a zero maximum +0.0, as parquet.thrift asks),
 *     null_count.
 * The footer follows the last row group, with TYPE_ORDER column orders so
 * that readers trust min_value/max_value.
 */
#include "fmt_parquet_int.h"

#include "base_array.h"

#include <errno.h>
#include <math.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#define PQ_DICT_MAX_ENTRIES (1u << 16)
#define PQ_DICT_MAX_BYTES (UINT64_C(1) << 20)
/* a data page ends at this many rows too (parquet-mr's and Arrow's limit) */
#define PQ_PAGE_ROWS 20000
/* rows copied into the buffers between two checks of the row group's size */
#define PQ_APPEND_SLICE 4096

__extension__ typedef unsigned __int128 u128;

typedef struct wcol {
	char *name;
	store_type type;
	pq_schema schema;            /* the leaf element written to the footer */
	fmt_pq_physical physical;
	size_t width;                /* PLAIN bytes of a fixed-width value, 0 for strings/booleans */
	fmt_int128 dec_limit;        /* decimal(p,s): 10^p, the first value out of range */
	fmt_vector buf;              /* the current row group's values */
} wcol;

struct fmt_parquet_writer {
	int fd;
	char *name;
	fmt_parquet_write_options o;
	size_t ncols;
	wcol *cols;
	uint64_t offset;             /* bytes written so far */
	size_t group_rows;
	uint64_t group_bytes;        /* estimated bytes of values in the buffers */
	uint64_t total_rows;
	fmt_parquet_rowgroup *groups;
	size_t ngroups, groups_cap;
	/* scratch */
	textbuf body, comp, hdr, dict, levels_buf;
	uint32_t *idx;               /* dictionary index of each non-NULL value */
	size_t idx_cap;
	uint32_t *levels;
	size_t levels_cap;
	uint32_t *slots;             /* the dictionary's hash table: entry + 1, 0 empty */
	size_t nslots;
	uint64_t *entry_off;         /* entries' offsets in dict (n + 1) */
	size_t entry_cap;
	size_t nentries;
	bool failed;
};

__attribute__((format(printf, 4, 5))) static int wfail(fmt_parquet_writer *w, fmt_error *err, int rc,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_errorv(err, w->name, fmt, ap);
	va_end(ap);
	return rc;
}

static void st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void st64(uint8_t *p, uint64_t v)
{
	st32(p, (uint32_t)v);
	st32(p + 4, (uint32_t)(v >> 32));
}

/* ---- RLE / bit-packed hybrid ---- */


/* Bit-pack the N values at V (N a multiple of 8, or the last values, then
 * padded with zeros) as one bit-packed run. */
static void rle_literals(textbuf *out, const uint32_t *v, size_t n, unsigned width)
{
	if (n == 0)
		return;
	size_t groups = (n + 7) / 8;
	pq_put_uleb(out, (uint64_t)groups << 1 | 1);
	uint64_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < groups * 8; i++) {
		uint64_t x = i < n ? v[i] : 0;
		acc |= x << bits;
		bits += width;
		while (bits >= 8) {
			char c = (char)(acc & 0xff);
			textbuf_append(out, &c, 1);
			acc >>= 8;
			bits -= 8;
		}
	}
}

static void rle_run(textbuf *out, uint32_t v, size_t n, unsigned width)
{
	pq_put_uleb(out, (uint64_t)n << 1);
	for (unsigned i = 0; i < (width + 7) / 8; i++) {
		char c = (char)(v >> (8 * i));
		textbuf_append(out, &c, 1);
	}
}

void pq_rle_encode(textbuf *out, const uint32_t *v, size_t n, unsigned width)
{
	size_t ls = 0, i = 0;    /* literals pending: [ls, i) */
	while (i < n) {
		size_t r = 1;
		while (i + r < n && v[i + r] == v[i])
			r++;
		if (r < 8) {
			i += r;
			continue;
		}
		/* a run worth its header: first round the literals up to a
		 * multiple of 8 with values of the run */
		size_t pending = i - ls;
		size_t t = (8 - pending % 8) % 8;
		i += t;
		r -= t;
		rle_literals(out, v + ls, i - ls, width);
		if (r >= 8) {
			rle_run(out, v[i], r, width);
			i += r;
		}
		ls = i;
	}
	rle_literals(out, v + ls, n - ls, width);
}

/* ---- compression ---- */

int pq_compress(fmt_pq_codec codec, int level, const uint8_t *src, size_t len, textbuf *out)
{
	textbuf_reset(out);
	switch (codec) {
	case FMT_PQ_UNCOMPRESSED:
		textbuf_append(out, (const char *)src, len);
		return textbuf_error(out);
	case FMT_PQ_SNAPPY: {
		size_t cap = snappy_max_compressed_length(len);
		if (base_array_reserve((void **)&out->data, &out->cap, cap + 1, 1))
			return -ENOMEM;
		size_t n = cap;
		if (snappy_compress((const char *)src, len, out->data, &n) != SNAPPY_OK)
			return -EIO;
		out->len = n;
		return 0;
	}
	case FMT_PQ_ZSTD: {
		size_t cap = ZSTD_compressBound(len);
		if (base_array_reserve((void **)&out->data, &out->cap, cap + 1, 1))
			return -ENOMEM;
		size_t n = ZSTD_compress(out->data, cap, src, len, level ? level : ZSTD_CLEVEL_DEFAULT);
		if (ZSTD_isError(n))
			return -EIO;
		out->len = n;
		return 0;
	}
	case FMT_PQ_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof z);
		/* 15 + 16: a gzip header, as Parquet's GZIP means */
		if (deflateInit2(&z, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		size_t cap = deflateBound(&z, (uLong)len) + 32;
		if (base_array_reserve((void **)&out->data, &out->cap, cap + 1, 1)) {
			deflateEnd(&z);
			return -ENOMEM;
		}
		z.next_in = (Bytef *)(uintptr_t)src;
		z.avail_in = (uInt)len;
		z.next_out = (Bytef *)out->data;
		z.avail_out = (uInt)cap;
		int zr = deflate(&z, Z_FINISH);
		out->len = cap - z.avail_out;
		deflateEnd(&z);
		return zr == Z_STREAM_END ? 0 : -EIO;
	}
	default:
		return -ENOTSUP;
	}
}

/* ---- the schema ---- */

/* The fewest bytes of a two's complement integer that hold P digits. */
static int32_t decimal_bytes(unsigned p)
{
	u128 pow = 1;
	for (unsigned i = 0; i < p; i++)
		pow *= 10;
	for (int32_t n = 1; n <= 16; n++)
		if (pow <= (u128)1 << (8 * n - 1))
			return n;
	return 16;
}

static int column_setup(wcol *c, const store_column *sc)
{
	pq_schema *s = &c->schema;
	memset(s, 0, sizeof *s);
	s->type_length = s->num_children = s->converted = s->scale = s->precision = s->field_id = -1;
	s->repetition = PQ_OPTIONAL;
	s->name = c->name;
	c->type = sc->type;
	switch (store_type_base(sc->type)) {
	case STORE_TYPE_BIGINT:
		c->physical = FMT_PQ_INT64;
		break;
	case STORE_TYPE_DOUBLE:
		c->physical = FMT_PQ_DOUBLE;
		break;
	case STORE_TYPE_BOOLEAN:
		c->physical = FMT_PQ_BOOLEAN;
		break;
	case STORE_TYPE_STRING:
		c->physical = FMT_PQ_BYTE_ARRAY;
		s->converted = FMT_PQ_UTF8;
		s->logical = FMT_PQ_LOGICAL_STRING;
		break;
	case STORE_TYPE_DATE:
		c->physical = FMT_PQ_INT32;
		s->converted = FMT_PQ_CONV_DATE;
		s->logical = FMT_PQ_LOGICAL_DATE;
		break;
	case STORE_TYPE_TIMESTAMP:
		c->physical = FMT_PQ_INT64;
		s->converted = FMT_PQ_TIMESTAMP_MICROS;
		s->logical = FMT_PQ_LOGICAL_TIMESTAMP;
		s->l_utc = true;
		s->l_unit = FMT_PQ_MICROS;
		break;
	case STORE_TYPE_DECIMAL: {
		if (!store_type_valid(sc->type))
			return -EINVAL;
		unsigned p = store_type_precision(sc->type), sc_ = store_type_scale(sc->type);
		c->physical = p <= 9 ? FMT_PQ_INT32 : p <= 18 ? FMT_PQ_INT64 : FMT_PQ_FIXED_LEN_BYTE_ARRAY;
		if (c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY)
			s->type_length = decimal_bytes(p);
		s->converted = FMT_PQ_CONV_DECIMAL;
		s->logical = FMT_PQ_LOGICAL_DECIMAL;
		s->scale = s->l_scale = (int32_t)sc_;
		s->precision = s->l_precision = (int32_t)p;
		c->dec_limit = 1;
		for (unsigned i = 0; i < p; i++)
			c->dec_limit *= 10;
		break;
	}
	default:
		return -EINVAL;
	}
	s->physical = c->physical;
	c->width = c->physical == FMT_PQ_INT32 ? 4
		   : c->physical == FMT_PQ_INT64 || c->physical == FMT_PQ_DOUBLE ? 8
		   : c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY ? (size_t)s->type_length
								 : 0;
	fmt_vector_init(&c->buf, sc->type);
	return 0;
}

static void writer_free(fmt_parquet_writer *w)
{
	for (size_t i = 0; i < w->ncols; i++) {
		free(w->cols[i].name);
		fmt_vector_free(&w->cols[i].buf);
	}
	free(w->cols);
	for (size_t g = 0; g < w->ngroups; g++) {
		for (size_t i = 0; i < w->groups[g].nchunks; i++) {
			fmt_parquet_chunk *c = &w->groups[g].chunks[i];
			free((void *)c->stats.min);
			free((void *)c->stats.max);
		}
		free(w->groups[g].chunks);
	}
	free(w->groups);
	textbuf_free(&w->body);
	textbuf_free(&w->comp);
	textbuf_free(&w->hdr);
	textbuf_free(&w->dict);
	textbuf_free(&w->levels_buf);
	free(w->idx);
	free(w->levels);
	free(w->slots);
	free(w->entry_off);
	free(w->name);
	free(w);
}

void fmt_parquet_writer_abort(fmt_parquet_writer *w)
{
	if (w)
		writer_free(w);
}

static int write_all(fmt_parquet_writer *w, const void *p, size_t n, fmt_error *err)
{
	const char *c = p;
	while (n > 0) {
		ssize_t k = write(w->fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			int rc = -errno;
			w->failed = true;
			return wfail(w, err, rc, "write: %s", strerror(-rc));
		}
		c += k;
		n -= (size_t)k;
		w->offset += (uint64_t)k;
	}
	return 0;
}

int fmt_parquet_writer_open(int fd, const char *name, const store_column *columns, size_t ncolumns,
			    const fmt_parquet_write_options *opts, fmt_parquet_writer **out,
			    fmt_error *err)
{
	*out = NULL;
	fmt_parquet_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->name = strdup(name ? name : "parquet"))) {
		free(w);
		if (err)
			snprintf(err->msg, sizeof err->msg, "%s: out of memory", name ? name : "parquet");
		return -ENOMEM;
	}
	w->fd = fd;
	fmt_parquet_write_options def = FMT_PARQUET_WRITE_OPTIONS_INIT;
	w->o = opts ? *opts : def;
	if (w->o.row_group_rows == 0)
		w->o.row_group_rows = def.row_group_rows;
	if (w->o.row_group_bytes == 0)
		w->o.row_group_bytes = def.row_group_bytes;
	if (w->o.page_bytes == 0)
		w->o.page_bytes = def.page_bytes;
	int rc;
	if (w->o.codec != FMT_PQ_UNCOMPRESSED && w->o.codec != FMT_PQ_SNAPPY && w->o.codec != FMT_PQ_GZIP &&
	    w->o.codec != FMT_PQ_ZSTD) {
		rc = wfail(w, err, -ENOTSUP, "compression %s is not one metafs writes", pq_codec_name(w->o.codec));
		goto fail;
	}
	if (ncolumns == 0 || ncolumns > STORE_MAX_COLUMNS) {
		rc = wfail(w, err, -EINVAL, "%zu columns", ncolumns);
		goto fail;
	}
	w->cols = calloc(ncolumns, sizeof *w->cols);
	if (!w->cols) {
		rc = wfail(w, err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ncolumns; i++) {
		w->ncols = i + 1;
		if (!(w->cols[i].name = strdup(columns[i].name))) {
			rc = wfail(w, err, -ENOMEM, "out of memory");
			goto fail;
		}
		if (column_setup(&w->cols[i], &columns[i])) {
			rc = wfail(w, err, -EINVAL, "column '%s': type %#x is not one metafs writes", columns[i].name,
				   (unsigned)columns[i].type);
			goto fail;
		}
	}
	/* the footer's offsets count from the writer's first byte */
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (at > 0) {
		rc = wfail(w, err, -EINVAL, "writing must start at offset 0, not %lld", (long long)at);
		goto fail;
	}
	if ((rc = write_all(w, "PAR1", 4, err)))
		goto fail;
	*out = w;
	return 0;
fail:
	writer_free(w);
	return rc;
}

/* ---- values ---- */

/* The PLAIN bytes of non-NULL value I of column C: fixed-width values are
 * encoded into TMP (16 bytes); strings point into the vector. */
static int value_bytes(const wcol *c, const fmt_vector *v, size_t i, uint8_t *tmp, const uint8_t **p,
		       size_t *len)
{
	if (c->dec_limit && (v->v.dec[i] >= c->dec_limit || v->v.dec[i] <= -c->dec_limit))
		return -ERANGE;
	switch (c->physical) {
	case FMT_PQ_INT32: {
		int64_t x = store_type_base(c->type) == STORE_TYPE_DECIMAL ? (int64_t)v->v.dec[i] : v->v.i64[i];
		if (x < INT32_MIN || x > INT32_MAX)
			return -ERANGE;
		st32(tmp, (uint32_t)(int32_t)x);
		*len = 4;
		break;
	}
	case FMT_PQ_INT64: {
		if (store_type_base(c->type) == STORE_TYPE_DECIMAL) {
			fmt_int128 d = v->v.dec[i];
			if (d < INT64_MIN || d > INT64_MAX)
				return -ERANGE;
			st64(tmp, (uint64_t)(int64_t)d);
		} else {
			st64(tmp, (uint64_t)v->v.i64[i]);
		}
		*len = 8;
		break;
	}
	case FMT_PQ_DOUBLE: {
		uint64_t u;
		memcpy(&u, &v->v.f64[i], 8);
		st64(tmp, u);
		*len = 8;
		break;
	}
	case FMT_PQ_FIXED_LEN_BYTE_ARRAY: {
		/* big-endian two's complement in width bytes */
		u128 u = (u128)v->v.dec[i];
		for (size_t k = c->width; k-- > 0;) {
			tmp[k] = (uint8_t)u;
			u >>= 8;
		}
		*len = c->width;
		break;
	}
	case FMT_PQ_BYTE_ARRAY: {
		size_t n;
		*p = (const uint8_t *)fmt_vector_str(v, i, &n);
		*len = n;
		return 0;
	}
	case FMT_PQ_BOOLEAN:
		tmp[0] = v->v.b[i];
		*len = 1;
		break;
	default:
		return -EINVAL;
	}
	*p = tmp;
	return 0;
}

/* Append the PLAIN encoding of non-NULL value I to OUT. */
static int plain_append(const wcol *c, const fmt_vector *v, size_t i, textbuf *out)
{
	uint8_t tmp[16];
	const uint8_t *p;
	size_t len;
	int rc = value_bytes(c, v, i, tmp, &p, &len);
	if (rc)
		return rc;
	if (c->physical == FMT_PQ_BYTE_ARRAY) {
		if (len > UINT32_MAX)
			return -ERANGE;
		uint8_t l[4];
		st32(l, (uint32_t)len);
		textbuf_append(out, (const char *)l, 4);
	}
	textbuf_append(out, (const char *)p, len);
	return 0;
}

/* ---- the dictionary ---- */

/* Collect the distinct non-NULL values of the chunk into w->dict (their
 * PLAIN encodings, one after another) and each value's index into w->idx
 * (one per non-NULL value, in order).  *OK false when the dictionary
 * outgrew its limits. */
static int dict_build(fmt_parquet_writer *w, const wcol *c, const fmt_vector *v, size_t nonnull, bool *ok)
{
	*ok = false;
	textbuf_reset(&w->dict);
	w->nentries = 0;
	size_t want = nonnull < PQ_DICT_MAX_ENTRIES ? nonnull : PQ_DICT_MAX_ENTRIES;
	size_t nslots = 16;
	while (nslots < want * 2)
		nslots *= 2;
	if (nslots > w->nslots) {
		free(w->slots);
		w->slots = malloc(nslots * sizeof *w->slots);
		if (!w->slots) {
			w->nslots = 0;
			return -ENOMEM;
		}
		w->nslots = nslots;
	}
	memset(w->slots, 0, nslots * sizeof *w->slots);
	if (base_array_reserve((void **)&w->idx, &w->idx_cap, nonnull ? nonnull : 1, sizeof *w->idx) ||
	    base_array_reserve((void **)&w->entry_off, &w->entry_cap, want + 1, sizeof *w->entry_off))
		return -ENOMEM;
	w->entry_off[0] = 0;
	size_t k = 0;
	size_t prefix = c->physical == FMT_PQ_BYTE_ARRAY ? 4 : 0;
	for (size_t i = 0; i < v->n; i++) {
		if (v->nulls[i])
			continue;
		uint8_t tmp[16];
		const uint8_t *p;
		size_t len;
		int rc = value_bytes(c, v, i, tmp, &p, &len);
		if (rc)
			return rc;
		uint64_t h = XXH3_64bits(p, len);
		size_t s = (size_t)h & (nslots - 1);
		uint32_t found = 0;
		while (w->slots[s]) {
			uint32_t e = w->slots[s] - 1;
			const char *ep = w->dict.data + w->entry_off[e] + prefix;
			size_t elen = (size_t)(w->entry_off[e + 1] - w->entry_off[e]) - prefix;
			if (elen == len && memcmp(ep, p, len) == 0) {
				found = e + 1;
				break;
			}
			s = (s + 1) & (nslots - 1);
		}
		if (!found) {
			if (w->nentries >= want || w->dict.len + len + prefix > PQ_DICT_MAX_BYTES)
				return 0;
			if ((rc = plain_append(c, v, i, &w->dict)))
				return rc;
			if (textbuf_error(&w->dict))
				return -ENOMEM;
			w->entry_off[++w->nentries] = w->dict.len;
			found = (uint32_t)w->nentries;
			w->slots[s] = found;
		}
		w->idx[k++] = found - 1;
	}
	*ok = true;
	return 0;
}

/* ---- pages ---- */

/* Compress w->body and write it with its page header H (sizes filled here),
 * after the uncompressed LEVELS of a v2 page (NULL for other pages).  Adds
 * to the chunk's sizes. */
static int write_page(fmt_parquet_writer *w, fmt_parquet_chunk *ch, pq_page_header *h, const textbuf *levels,
		      fmt_error *err)
{
	if (textbuf_error(&w->body) || (levels && textbuf_error(levels)))
		return wfail(w, err, -ENOMEM, "out of memory");
	size_t lv = levels ? levels->len : 0;
	if (w->body.len > INT32_MAX - lv)
		return wfail(w, err, -EFBIG, "column '%s': page of %zu bytes", ch->path, w->body.len);
	int rc = pq_compress(w->o.codec, w->o.level, (const uint8_t *)w->body.data, w->body.len, &w->comp);
	if (rc)
		return wfail(w, err, rc, "column '%s': %s compression failed", ch->path, pq_codec_name(w->o.codec));
	if (w->comp.len > INT32_MAX - lv)
		return wfail(w, err, -EFBIG, "column '%s': page of %zu bytes", ch->path, w->comp.len);
	h->uncompressed_size = (int32_t)(lv + w->body.len);
	h->compressed_size = (int32_t)(lv + w->comp.len);
	textbuf_reset(&w->hdr);
	pq_page_header_encode(h, &w->hdr);
	if (textbuf_error(&w->hdr))
		return wfail(w, err, -ENOMEM, "out of memory");
	if ((rc = write_all(w, w->hdr.data, w->hdr.len, err)) ||
	    (lv && (rc = write_all(w, levels->data, lv, err))) ||
	    (rc = write_all(w, w->comp.data ? w->comp.data : "", w->comp.len, err)))
		return rc;
	ch->total_uncompressed_size += (int64_t)(w->hdr.len + lv + w->body.len);
	ch->total_compressed_size += (int64_t)(w->hdr.len + lv + w->comp.len);
	return 0;
}

static unsigned bit_width(uint64_t max)
{
	unsigned b = 0;
	while (max) {
		b++;
		max >>= 1;
	}
	return b;
}

/* Min/max of the chunk's non-NULL values into the chunk's statistics. */
static int chunk_stats(const wcol *c, const fmt_vector *v, fmt_parquet_stats *st)
{
	size_t mn = SIZE_MAX, mx = SIZE_MAX, nulls = 0;
	store_type t = store_type_base(c->type);
	for (size_t i = 0; i < v->n; i++) {
		if (v->nulls[i]) {
			nulls++;
			continue;
		}
		if (t == STORE_TYPE_DOUBLE && isnan(v->v.f64[i]))
			continue;
		if (mn == SIZE_MAX) {
			mn = mx = i;
			continue;
		}
		int lo, hi;
		switch (t) {
		case STORE_TYPE_STRING: {
			size_t la, lb;
			const char *a = fmt_vector_str(v, i, &la);
			const char *b = fmt_vector_str(v, mn, &lb);
			int cmp = memcmp(a, b, la < lb ? la : lb);
			lo = cmp < 0 || (cmp == 0 && la < lb);
			b = fmt_vector_str(v, mx, &lb);
			cmp = memcmp(a, b, la < lb ? la : lb);
			hi = cmp > 0 || (cmp == 0 && la > lb);
			break;
		}
		case STORE_TYPE_BOOLEAN:
			lo = v->v.b[i] < v->v.b[mn];
			hi = v->v.b[i] > v->v.b[mx];
			break;
		case STORE_TYPE_DOUBLE:
			lo = v->v.f64[i] < v->v.f64[mn];
			hi = v->v.f64[i] > v->v.f64[mx];
			break;
		case STORE_TYPE_DECIMAL:
			lo = v->v.dec[i] < v->v.dec[mn];
			hi = v->v.dec[i] > v->v.dec[mx];
			break;
		default:
			lo = v->v.i64[i] < v->v.i64[mn];
			hi = v->v.i64[i] > v->v.i64[mx];
			break;
		}
		if (lo)
			mn = i;
		if (hi)
			mx = i;
	}
	st->has_null_count = true;
	st->null_count = (int64_t)nulls;
	if (mn == SIZE_MAX)
		return 0;
	size_t idx[2] = {mn, mx};
	for (int k = 0; k < 2; k++) {
		uint8_t tmp[16];
		const uint8_t *p;
		size_t len;
		int rc = value_bytes(c, v, idx[k], tmp, &p, &len);
		if (rc)
			return rc;
		if (t == STORE_TYPE_DOUBLE && v->v.f64[idx[k]] == 0) {
			double z = k == 0 ? -0.0 : 0.0;
			uint64_t u;
			memcpy(&u, &z, 8);
			st64(tmp, u);
			p = tmp;
		}
		uint8_t *copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		if (len)
			memcpy(copy, p, len);
		if (k == 0) {
			st->has_min = true;
			st->min = copy;
			st->min_len = (uint32_t)len;
		} else {
			st->has_max = true;
			st->max = copy;
			st->max_len = (uint32_t)len;
		}
	}
	return 0;
}

/* The estimated PLAIN bytes of value I (for page and row group sizes). */
static size_t value_cost(const wcol *c, const fmt_vector *v, size_t i)
{
	if (v->nulls[i])
		return 0;
	if (c->physical == FMT_PQ_BYTE_ARRAY)
		return 4 + (size_t)(v->str_off[i + 1] - v->str_off[i]);
	if (c->physical == FMT_PQ_BOOLEAN)
		return 1;
	return c->width;
}

static int write_chunk(fmt_parquet_writer *w, wcol *c, fmt_parquet_chunk *ch, fmt_error *err)
{
	const fmt_vector *v = &c->buf;
	int rc;
	ch->path = c->name;
	ch->physical = c->physical;
	ch->codec = w->o.codec;
	ch->num_values = (int64_t)v->n;
	ch->dictionary_page_offset = -1;
	ch->encodings = 1u << PQ_ENC_RLE;
	if ((rc = chunk_stats(c, v, &ch->stats)))
		return rc == -ERANGE ? wfail(w, err, rc, "column '%s': a value out of its type's range", c->name)
				     : wfail(w, err, rc, "out of memory");
	size_t nonnull = v->n - (size_t)ch->stats.null_count;
	bool use_dict = false;
	if (w->o.dictionary != FMT_PQ_DICT_NEVER && c->physical != FMT_PQ_BOOLEAN && nonnull > 0) {
		bool ok;
		if ((rc = dict_build(w, c, v, nonnull, &ok)))
			return rc == -ERANGE ? wfail(w, err, rc, "column '%s': a value out of its type's range", c->name)
					     : wfail(w, err, rc, "out of memory");
		use_dict = ok && (w->o.dictionary == FMT_PQ_DICT_ALWAYS || w->nentries * 2 <= nonnull);
	}
	if (use_dict) {
		ch->dictionary_page_offset = (int64_t)w->offset;
		ch->encodings |= 1u << PQ_ENC_PLAIN | 1u << PQ_ENC_RLE_DICTIONARY;
		textbuf_reset(&w->body);
		textbuf_append(&w->body, w->dict.data ? w->dict.data : "", w->dict.len);
		pq_page_header h = {.type = PQ_PAGE_DICTIONARY, .num_values = (int32_t)w->nentries,
				    .encoding = PQ_ENC_PLAIN};
		if ((rc = write_page(w, ch, &h, NULL, err)))
			return rc;
	} else {
		ch->encodings |= 1u << PQ_ENC_PLAIN;
	}
	ch->data_page_offset = (int64_t)w->offset;
	unsigned iw = use_dict ? bit_width(w->nentries > 1 ? w->nentries - 1 : 1) : 0;
	if (base_array_reserve((void **)&w->levels, &w->levels_cap, v->n ? v->n : 1, sizeof *w->levels))
		return wfail(w, err, -ENOMEM, "out of memory");
	size_t row = 0, k = 0;   /* k: non-NULL values written so far (index into idx) */
	while (row < v->n || (row == 0 && v->n == 0)) {
		/* this page's rows: about page_bytes of values */
		size_t end = row, bytes = 0;
		while (end < v->n && (end == row || (bytes < w->o.page_bytes && end - row < PQ_PAGE_ROWS))) {
			bytes += use_dict ? (iw + 7) / 8 + (v->nulls[end] ? 0 : 1) : value_cost(c, v, end) + 1;
			end++;
		}
		size_t nv = end - row, nn = 0;
		for (size_t i = row; i < end; i++) {
			w->levels[i - row] = !v->nulls[i];
			nn += !v->nulls[i];
		}
		textbuf_reset(&w->body);
		textbuf_reset(&w->levels_buf);
		if (w->o.data_page_v2) {
			/* v2: the levels apart, uncompressed, their length in the header */
			pq_rle_encode(&w->levels_buf, w->levels, nv, 1);
		} else {
			/* v1: a 4-byte length, then the hybrid runs */
			textbuf_append(&w->body, "\0\0\0\0", 4);
			size_t before = w->body.len;
			pq_rle_encode(&w->body, w->levels, nv, 1);
			if (textbuf_error(&w->body))
				return wfail(w, err, -ENOMEM, "out of memory");
			st32((uint8_t *)w->body.data + before - 4, (uint32_t)(w->body.len - before));
		}
		if (use_dict) {
			char b = (char)iw;
			textbuf_append(&w->body, &b, 1);
			pq_rle_encode(&w->body, w->idx + k, nn, iw);
			k += nn;
		} else if (c->physical == FMT_PQ_BOOLEAN) {
			uint8_t acc = 0;
			unsigned bit = 0;
			for (size_t i = row; i < end; i++) {
				if (v->nulls[i])
					continue;
				acc |= (uint8_t)(v->v.b[i] << bit);
				if (++bit == 8) {
					textbuf_append(&w->body, (const char *)&acc, 1);
					acc = 0;
					bit = 0;
				}
			}
			if (bit)
				textbuf_append(&w->body, (const char *)&acc, 1);
		} else {
			for (size_t i = row; i < end; i++)
				if (!v->nulls[i] && (rc = plain_append(c, v, i, &w->body)))
					return wfail(w, err, rc, "column '%s': a value out of its type's range", c->name);
		}
		pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = (int32_t)nv,
				    .encoding = use_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN,
				    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
		if (w->o.data_page_v2) {
			h.type = PQ_PAGE_DATA_V2;
			h.num_nulls = (int32_t)(nv - nn);
			h.num_rows = (int32_t)nv;
			h.def_len = (int32_t)w->levels_buf.len;
			h.rep_len = 0;
			h.is_compressed = true;
		}
		if ((rc = write_page(w, ch, &h, w->o.data_page_v2 ? &w->levels_buf : NULL, err)))
			return rc;
		row = end;
		if (v->n == 0)
			break;
	}
	return 0;
}

static int flush_group(fmt_parquet_writer *w, fmt_error *err)
{
	if (w->group_rows == 0)
		return 0;
	if (BASE_ARRAY_RESERVE(w->groups, w->groups_cap, w->ngroups + 1))
		return wfail(w, err, -ENOMEM, "out of memory");
	fmt_parquet_rowgroup *g = &w->groups[w->ngroups++];
	memset(g, 0, sizeof *g);
	g->chunks = calloc(w->ncols, sizeof *g->chunks);
	if (!g->chunks)
		return wfail(w, err, -ENOMEM, "out of memory");
	g->nchunks = w->ncols;
	g->num_rows = (int64_t)w->group_rows;
	for (size_t i = 0; i < w->ncols; i++) {
		int rc = write_chunk(w, &w->cols[i], &g->chunks[i], err);
		if (rc) {
			w->failed = true;
			return rc;
		}
		g->total_byte_size += g->chunks[i].total_uncompressed_size;
		fmt_vector_clear(&w->cols[i].buf);
	}
	w->total_rows += w->group_rows;
	w->group_rows = 0;
	w->group_bytes = 0;
	return 0;
}

int fmt_parquet_writer_append(fmt_parquet_writer *w, const fmt_vector *cols, fmt_error *err)
{
	if (w->failed)
		return wfail(w, err, -EIO, "an earlier write failed");
	size_t n = cols[0].n;
	for (size_t c = 0; c < w->ncols; c++) {
		if (cols[c].type != w->cols[c].type)
			return wfail(w, err, -EINVAL, "column '%s': values of another type", w->cols[c].name);
		if (cols[c].n != n)
			return wfail(w, err, -EINVAL, "column '%s': %zu values, not %zu", w->cols[c].name, cols[c].n, n);
	}
	size_t i = 0;
	while (i < n) {
		size_t k = n - i;
		if (k > PQ_APPEND_SLICE)
			k = PQ_APPEND_SLICE;
		if (k > w->o.row_group_rows - w->group_rows)
			k = (size_t)(w->o.row_group_rows - w->group_rows);
		for (size_t c = 0; c < w->ncols; c++) {
			wcol *wc = &w->cols[c];
			for (size_t j = i; j < i + k; j++) {
				if (fmt_vector_push_from(&wc->buf, &cols[c], j))
					return wfail(w, err, -ENOMEM, "out of memory");
				w->group_bytes += value_cost(wc, &cols[c], j) + 1;
			}
		}
		w->group_rows += k;
		i += k;
		if (w->group_rows >= w->o.row_group_rows || w->group_bytes >= w->o.row_group_bytes) {
			int rc = flush_group(w, err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int fmt_parquet_writer_close(fmt_parquet_writer *w, uint64_t *rows, uint64_t *bytes, fmt_error *err)
{
	int rc = 0;
	if (w->failed) {
		rc = wfail(w, err, -EIO, "an earlier write failed");
		goto out;
	}
	if ((rc = flush_group(w, err)))
		goto out;
	pq_footer f;
	memset(&f, 0, sizeof f);
	f.version = 1;
	f.nschema = w->ncols + 1;
	f.schema = calloc(f.nschema, sizeof *f.schema);
	if (!f.schema) {
		rc = wfail(w, err, -ENOMEM, "out of memory");
		goto out;
	}
	pq_schema *root = &f.schema[0];
	root->name = (char *)"schema";
	root->physical = root->type_length = root->repetition = -1;
	root->converted = root->scale = root->precision = root->field_id = -1;
	root->num_children = (int32_t)w->ncols;
	for (size_t i = 0; i < w->ncols; i++)
		f.schema[i + 1] = w->cols[i].schema;
	f.num_rows = (int64_t)w->total_rows;
	f.rowgroups = w->groups;
	f.nrowgroups = w->ngroups;
	char created_by[64];
	snprintf(created_by, sizeof created_by, "metafs version %s", METAFS_VERSION);
	f.created_by = created_by;
	f.ncolumn_orders = w->ncols;
	textbuf b = TEXTBUF_INIT;
	pq_footer_encode(&f, &b);
	free(f.schema);
	if (textbuf_error(&b) || b.len > UINT32_MAX) {
		textbuf_free(&b);
		rc = wfail(w, err, -ENOMEM, "out of memory");
		goto out;
	}
	uint8_t tail[8];
	st32(tail, (uint32_t)b.len);
	memcpy(tail + 4, "PAR1", 4);
	rc = write_all(w, b.data, b.len, err);
	if (!rc)
		rc = write_all(w, tail, 8, err);
	textbuf_free(&b);
	if (!rc) {
		if (rows)
			*rows = w->total_rows;
		if (bytes)
			*bytes = w->offset;
	}
out:
	writer_free(w);
	return rc;
}
