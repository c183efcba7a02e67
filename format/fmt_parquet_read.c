/*
 * fmt_parquet_read.c - opening a Parquet file and decoding its column chunks
 * (fmt_parquet.h), the RLE/bit-packed hybrid and the codecs.
 *
 * Every byte range comes from the file and is checked before it is used:
 * a column chunk must lie between the leading magic and the footer, a page
 * (header and body) inside its chunk, levels and values inside their page.
 * Counts are checked against what they count: a page holds no more values
 * than its chunk has left, a run no more than its page, a dictionary index
 * points into the dictionary.  Memory grows with the values really decoded,
 * never with a count a file merely claims, except for the one page buffer,
 * whose size is capped (PQ_MAX_PAGE) and checked against the codec's best
 * ratio; values that repeat bytes (dictionary indices, DELTA_BYTE_ARRAY
 * prefixes) are capped in total (FMT_PARQUET_MAX_BYTES), and a page holds
 * at most FMT_PARQUET_MAX_PAGE_VALUES values.
 */
#include "fmt_parquet_int.h"

#include "base_array.h"

#include <errno.h>
#include <limits.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

/* The largest page body (uncompressed) the reader accepts. */
#define PQ_MAX_PAGE (INT32_C(1) << 28)

struct fmt_parquet {
	char *name;
	const uint8_t *data;
	size_t size;
	void *map;                   /* our mapping, or NULL for caller's bytes */
	size_t footer_start;         /* first byte of the footer */
	pq_footer f;
	fmt_parquet_column *cols;
	size_t ncols;
	/* scratch, reused from page to page */
	uint8_t *page;
	size_t page_cap;
	uint32_t *u32;
	size_t u32_cap;
	int64_t *i64;
	size_t i64_cap;
	int64_t *i64b;
	size_t i64b_cap;
};

/* ---- errors ---- */

__attribute__((format(printf, 4, 5))) static int fail(const fmt_parquet *p, fmt_error *err, int rc,
						     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_errorv(err, p->name, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- little-endian loads ---- */

static uint32_t ld32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t ld64(const uint8_t *p)
{
	return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

/* ---- RLE / bit-packed hybrid ---- */

static int uleb(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -EINVAL;
		uint8_t b = *p++;
		if (shift == 63 && (b & 0x7e))
			return -EINVAL;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*pp = p;
			return 0;
		}
	}
	return -EINVAL;
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

/* The WIDTH-bit value (LSB first) at bit BIT of P, which holds at least
 * (BIT + WIDTH + 7) / 8 bytes. */
static uint64_t bits_at(const uint8_t *p, uint64_t bit, unsigned width)
{
	if (width == 0)
		return 0;
	const uint8_t *q = p + bit / 8;
	unsigned shift = (unsigned)(bit % 8);
	unsigned need = (shift + width + 7) / 8;     /* 1..9 bytes */
	uint64_t lo = 0;
	for (unsigned i = 0; i < need && i < 8; i++)
		lo |= (uint64_t)q[i] << (8 * i);
	uint64_t v = lo >> shift;
	if (need == 9)
		v |= (uint64_t)q[8] << (64 - shift);
	if (width < 64)
		v &= (UINT64_C(1) << width) - 1;
	return v;
}

int pq_rle_decode(const uint8_t *b, size_t len, unsigned width, uint32_t *out, size_t n)
{
	if (width > 32)
		return -EINVAL;
	const uint8_t *p = b, *end = b + len;
	size_t got = 0;
	unsigned vbytes = (width + 7) / 8;
	while (got < n) {
		uint64_t h;
		if (uleb(&p, end, &h))
			return -EINVAL;
		if (h & 1) {
			uint64_t groups = h >> 1;
			size_t left = (size_t)(end - p);
			if (width && groups > left / width)
				return -EINVAL;
			uint64_t bytes = groups * width;
			uint64_t count = groups > (n - got) / 8 + 1 ? (uint64_t)(n - got) : groups * 8;
			for (uint64_t i = 0; i < count && got < n; i++)
				out[got++] = (uint32_t)bits_at(p, i * width, width);
			p += bytes;
		} else {
			uint64_t count = h >> 1;
			if (vbytes > (size_t)(end - p))
				return -EINVAL;
			uint32_t v = 0;
			for (unsigned i = 0; i < vbytes; i++)
				v |= (uint32_t)p[i] << (8 * i);
			p += vbytes;
			if (count > n - got)
				count = n - got;
			for (uint64_t i = 0; i < count; i++)
				out[got++] = v;
		}
	}
	return 0;
}

/* ---- compression ---- */

const char *pq_codec_name(fmt_pq_codec codec)
{
	static const char *names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"};
	return (unsigned)codec < sizeof names / sizeof *names ? names[codec] : "unknown";
}

int pq_decompress(fmt_pq_codec codec, const uint8_t *src, size_t len, uint8_t *dst, size_t outlen)
{
	switch (codec) {
	case FMT_PQ_UNCOMPRESSED:
		if (len != outlen)
			return -EINVAL;
		if (len)
			memcpy(dst, src, len);
		return 0;
	case FMT_PQ_SNAPPY: {
		size_t n;
		if (snappy_uncompressed_length((const char *)src, len, &n) != SNAPPY_OK || n != outlen)
			return -EINVAL;
		size_t got = outlen;
		if (snappy_uncompress((const char *)src, len, (char *)dst, &got) != SNAPPY_OK || got != outlen)
			return -EINVAL;
		return 0;
	}
	case FMT_PQ_ZSTD: {
		/* a page may hold several frames; each must fit what is left */
		size_t got = 0;
		while (len > 0) {
			size_t fl = ZSTD_findFrameCompressedSize(src, len);
			if (ZSTD_isError(fl) || fl > len)
				return -EINVAL;
			size_t r = ZSTD_decompress(dst + got, outlen - got, src, fl);
			if (ZSTD_isError(r))
				return -EINVAL;
			got += r;
			src += fl;
			len -= fl;
		}
		return got == outlen ? 0 : -EINVAL;
	}
	case FMT_PQ_GZIP: {
		z_stream z;
		memset(&z, 0, sizeof z);
		/* 15 + 32: zlib or gzip header, detected */
		if (inflateInit2(&z, 15 + 32) != Z_OK)
			return -ENOMEM;
		int rc = -EINVAL;
		size_t got = 0;
		for (;;) {
			if (len > UINT_MAX || outlen - got > UINT_MAX)
				break;
			z.next_in = (Bytef *)(uintptr_t)src;
			z.avail_in = (uInt)len;
			z.next_out = dst + got;
			z.avail_out = (uInt)(outlen - got);
			int zr = inflate(&z, Z_FINISH);
			size_t used = len - z.avail_in;
			got = outlen - z.avail_out;
			src += used;
			len -= used;
			if (zr == Z_STREAM_END) {
				/* concatenated members, as some writers produce */
				if (len > 0 && got < outlen && inflateReset(&z) == Z_OK)
					continue;
				rc = got == outlen && len == 0 ? 0 : -EINVAL;
			}
			break;
		}
		inflateEnd(&z);
		return rc;
	}
	default:
		return -ENOTSUP;
	}
}

/* ---- the schema ---- */

/* The metafs type column C decodes to, or 0 with *WHY set. */
static store_type column_type(const fmt_parquet_column *c, const char **why)
{
	bool dec = c->logical == FMT_PQ_LOGICAL_DECIMAL || c->converted == FMT_PQ_CONV_DECIMAL;
	if (dec) {
		if (c->precision < 1 || c->precision > STORE_DECIMAL_MAX_PRECISION || c->scale < 0 ||
		    c->scale > c->precision) {
			*why = "a decimal precision or scale metafs does not read";
			return 0;
		}
		if (c->physical == FMT_PQ_INT32 || c->physical == FMT_PQ_INT64 ||
		    c->physical == FMT_PQ_BYTE_ARRAY ||
		    (c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY && c->type_length <= 16))
			return store_type_decimal((unsigned)c->precision, (unsigned)c->scale);
		*why = "a decimal of a physical type metafs does not read";
		return 0;
	}
	if (c->converted == FMT_PQ_INTERVAL || c->logical == FMT_PQ_LOGICAL_FLOAT16) {
		*why = c->converted == FMT_PQ_INTERVAL ? "INTERVAL, a type metafs does not read"
						       : "FLOAT16, a type metafs does not read";
		return 0;
	}
	switch (c->physical) {
	case FMT_PQ_BOOLEAN:
		return STORE_TYPE_BOOLEAN;
	case FMT_PQ_INT32:
		if (c->logical == FMT_PQ_LOGICAL_DATE || c->converted == FMT_PQ_CONV_DATE)
			return STORE_TYPE_DATE;
		return STORE_TYPE_BIGINT;
	case FMT_PQ_INT64:
		if (c->logical == FMT_PQ_LOGICAL_TIMESTAMP || c->converted == FMT_PQ_TIMESTAMP_MILLIS ||
		    c->converted == FMT_PQ_TIMESTAMP_MICROS)
			return STORE_TYPE_TIMESTAMP;
		if ((c->int_bits == 64 && !c->int_signed) || c->converted == FMT_PQ_UINT_64)
			return store_type_decimal(20, 0);
		return STORE_TYPE_BIGINT;
	case FMT_PQ_INT96:
		return STORE_TYPE_TIMESTAMP;
	case FMT_PQ_FLOAT:
	case FMT_PQ_DOUBLE:
		return STORE_TYPE_DOUBLE;
	case FMT_PQ_BYTE_ARRAY:
	case FMT_PQ_FIXED_LEN_BYTE_ARRAY:
		return STORE_TYPE_STRING;
	}
	*why = "an unknown physical type";
	return 0;
}

static int build_columns(fmt_parquet *p, fmt_error *err)
{
	const pq_footer *f = &p->f;
	if (f->nschema < 1)
		return fail(p, err, -EINVAL, "empty schema");
	const pq_schema *root = &f->schema[0];
	if (f->nschema - 1 > STORE_MAX_COLUMNS)
		return fail(p, err, -ENOTSUP, "%zu columns, more than %d", f->nschema - 1, STORE_MAX_COLUMNS);
	p->ncols = f->nschema - 1;
	p->cols = calloc(p->ncols ? p->ncols : 1, sizeof *p->cols);
	if (!p->cols)
		return fail(p, err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < p->ncols; i++) {
		const pq_schema *s = &f->schema[i + 1];
		fmt_parquet_column *c = &p->cols[i];
		c->name = s->name;
		if (s->num_children >= 0 || s->physical < 0)
			return fail(p, err, -ENOTSUP, "column '%s' is nested (a group), metafs reads flat files only",
				    s->name);
		if (s->repetition == PQ_REPEATED)
			return fail(p, err, -ENOTSUP, "column '%s' is repeated, metafs reads flat files only", s->name);
		if (s->repetition > PQ_REPEATED)
			return fail(p, err, -ENOTSUP, "column '%s' has repetition %d", s->name, (int)s->repetition);
		if (s->physical > FMT_PQ_FIXED_LEN_BYTE_ARRAY)
			return fail(p, err, -EINVAL, "column '%s': physical type %d unknown", s->name,
				    (int)s->physical);
		c->physical = (fmt_pq_physical)s->physical;
		if (c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY) {
			if (s->type_length < 1)
				return fail(p, err, -EINVAL, "column '%s': fixed length %d", s->name,
					    (int)s->type_length);
			c->type_length = s->type_length;
		}
		c->optional = s->repetition != PQ_REQUIRED;
		c->converted = s->converted >= 0 ? (fmt_pq_converted)s->converted : FMT_PQ_CONVERTED_NONE;
		c->logical = s->logical > 0 ? (fmt_pq_logical)s->logical : FMT_PQ_LOGICAL_NONE;
		c->precision = s->precision;
		c->scale = s->scale < 0 ? 0 : s->scale;
		if (c->logical == FMT_PQ_LOGICAL_DECIMAL) {
			c->precision = s->l_precision;
			c->scale = s->l_scale;
		}
		if (c->logical == FMT_PQ_LOGICAL_TIMESTAMP || c->logical == FMT_PQ_LOGICAL_TIME) {
			c->unit = (fmt_pq_time_unit)s->l_unit;
			c->utc = s->l_utc;
		} else if (c->converted == FMT_PQ_TIMESTAMP_MILLIS || c->converted == FMT_PQ_TIME_MILLIS) {
			c->unit = FMT_PQ_MILLIS;
			c->utc = true;
		} else if (c->converted == FMT_PQ_TIMESTAMP_MICROS || c->converted == FMT_PQ_TIME_MICROS) {
			c->unit = FMT_PQ_MICROS;
			c->utc = true;
		}
		if (c->logical == FMT_PQ_LOGICAL_INTEGER) {
			c->int_bits = s->l_bits;
			c->int_signed = s->l_signed;
		} else if (c->converted >= FMT_PQ_UINT_8 && c->converted <= FMT_PQ_INT_64) {
			static const int bits[] = {8, 16, 32, 64};
			c->int_bits = bits[(c->converted - FMT_PQ_UINT_8) % 4];
			c->int_signed = c->converted >= FMT_PQ_INT_8;
		}
		if (c->logical == FMT_PQ_LOGICAL_TIMESTAMP && c->unit == FMT_PQ_UNIT_NONE)
			return fail(p, err, -EINVAL, "column '%s': timestamp without a unit", s->name);
		const char *why = NULL;
		c->type = column_type(c, &why);
	}
	/* checked after the columns, so that a nested schema is refused by the
	 * name of its first group rather than by a count */
	if (root->num_children < 0 || (size_t)root->num_children != f->nschema - 1)
		return fail(p, err, -EINVAL, "schema root has %d children in a schema of %zu elements",
			    (int)root->num_children, f->nschema);
	/* every row group has one chunk per column, of the column's type */
	int64_t total = 0;
	for (size_t g = 0; g < f->nrowgroups; g++) {
		const fmt_parquet_rowgroup *rg = &f->rowgroups[g];
		if (rg->nchunks != p->ncols)
			return fail(p, err, -EINVAL, "row group %zu has %zu column chunks for %zu columns", g,
				    rg->nchunks, p->ncols);
		for (size_t i = 0; i < p->ncols; i++) {
			const fmt_parquet_chunk *c = &rg->chunks[i];
			if (strcmp(c->path, p->cols[i].name) != 0)
				return fail(p, err, -EINVAL, "row group %zu: chunk %zu is of column '%s', not '%s'", g,
					    i, c->path, p->cols[i].name);
			if (c->physical != p->cols[i].physical)
				return fail(p, err, -EINVAL, "column '%s': chunk of another physical type",
					    p->cols[i].name);
		}
		if (__builtin_add_overflow(total, rg->num_rows, &total))
			return fail(p, err, -EINVAL, "row counts overflow");
	}
	if (total != f->num_rows)
		return fail(p, err, -EINVAL, "%lld rows in the footer, %lld in its row groups",
			    (long long)f->num_rows, (long long)total);
	return 0;
}

/* ---- opening ---- */

static int open_bytes(fmt_parquet *p, fmt_error *err)
{
	const uint8_t *d = p->data;
	size_t n = p->size;
	if (n < 12)
		return fail(p, err, -EINVAL, "%zu bytes, too short for a Parquet file", n);
	if (memcmp(d, "PAR1", 4) != 0)
		return fail(p, err, -EINVAL, "not a Parquet file (no PAR1 at the start)");
	if (memcmp(d + n - 4, "PAR1", 4) != 0) {
		if (memcmp(d + n - 4, "PARE", 4) == 0)
			return fail(p, err, -ENOTSUP, "encrypted footer, which metafs does not read");
		return fail(p, err, -EINVAL, "no PAR1 at the end (a truncated file?)");
	}
	uint32_t flen = ld32(d + n - 8);
	if (flen == 0 || flen > n - 12)
		return fail(p, err, -EINVAL, "footer length %u does not fit a file of %zu bytes", flen, n);
	p->footer_start = n - 8 - flen;
	char msg[256];
	int rc = pq_footer_decode(d + p->footer_start, flen, &p->f, msg, sizeof msg);
	if (rc == -ENOMEM)
		return fail(p, err, rc, "out of memory reading the footer");
	if (rc)
		return fail(p, err, rc, "bad footer: %s", msg);
	return build_columns(p, err);
}

static fmt_parquet *parquet_new(const char *name)
{
	fmt_parquet *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->name = strdup(name ? name : "parquet");
	if (!p->name) {
		free(p);
		return NULL;
	}
	return p;
}

int fmt_parquet_open_mem(const void *data, size_t len, const char *name, fmt_parquet **out,
			 fmt_error *err)
{
	*out = NULL;
	fmt_parquet *p = parquet_new(name);
	if (!p) {
		if (err)
			snprintf(err->msg, sizeof err->msg, "%s: out of memory", name ? name : "parquet");
		return -ENOMEM;
	}
	p->data = data;
	p->size = len;
	int rc = open_bytes(p, err);
	if (rc) {
		fmt_parquet_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

int fmt_parquet_open_fd(int fd, const char *name, fmt_parquet **out, fmt_error *err)
{
	*out = NULL;
	fmt_parquet *p = parquet_new(name);
	if (!p) {
		if (err)
			snprintf(err->msg, sizeof err->msg, "%s: out of memory", name ? name : "parquet");
		return -ENOMEM;
	}
	struct stat st;
	int rc;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		fail(p, err, rc, "cannot stat: %s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = fail(p, err, -EINVAL, "not a regular file");
		goto out;
	}
	if (st.st_size < 12) {
		rc = fail(p, err, -EINVAL, "%lld bytes, too short for a Parquet file", (long long)st.st_size);
		goto out;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		rc = fail(p, err, -EFBIG, "file too large");
		goto out;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		fail(p, err, rc, "cannot map: %s", strerror(-rc));
		goto out;
	}
	p->map = m;
	p->data = m;
	p->size = (size_t)st.st_size;
	rc = open_bytes(p, err);
out:
	if (rc) {
		fmt_parquet_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void fmt_parquet_close(fmt_parquet *p)
{
	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->size);
	pq_footer_free(&p->f);
	free(p->cols);
	free(p->page);
	free(p->u32);
	free(p->i64);
	free(p->i64b);
	free(p->name);
	free(p);
}

size_t fmt_parquet_ncolumns(const fmt_parquet *p)
{
	return p->ncols;
}

const fmt_parquet_column *fmt_parquet_column_at(const fmt_parquet *p, size_t i)
{
	return i < p->ncols ? &p->cols[i] : NULL;
}

size_t fmt_parquet_nrowgroups(const fmt_parquet *p)
{
	return p->f.nrowgroups;
}

const fmt_parquet_rowgroup *fmt_parquet_rowgroup_at(const fmt_parquet *p, size_t i)
{
	return i < p->f.nrowgroups ? &p->f.rowgroups[i] : NULL;
}

int64_t fmt_parquet_nrows(const fmt_parquet *p)
{
	return p->f.num_rows;
}

const char *fmt_parquet_created_by(const fmt_parquet *p)
{
	return p->f.created_by ? p->f.created_by : "";
}

const char *fmt_parquet_kv(const fmt_parquet *p, const char *key)
{
	for (size_t i = 0; i < p->f.nkv; i++)
		if (strcmp(p->f.kv[i].key, key) == 0)
			return p->f.kv[i].value;
	return NULL;
}

/* ---- values ---- */

/* The state of one chunk's decoding. */
typedef struct rd {
	fmt_parquet *p;
	const fmt_parquet_column *c;
	fmt_vector *out;
	fmt_error *err;
	fmt_vector dict;
	bool has_dict;
} rd;

__attribute__((format(printf, 3, 4))) static int cfail(rd *r, int rc, const char *fmt, ...)
{
	char m[FMT_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	return fail(r->p, r->err, rc, "column '%s': %s", r->c->name, m);
}

static fmt_int128 dec_from_be(const uint8_t *b, size_t n)
{
	/* two's complement, big-endian; N <= 16 */
	__extension__ typedef unsigned __int128 u128;
	u128 u = 0;
	if (n && (b[0] & 0x80))
		u = ~u;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | b[i];
	return (fmt_int128)u;
}

static int put_i32(rd *r, fmt_vector *v, int32_t x)
{
	const fmt_parquet_column *c = r->c;
	if (store_type_base(v->type) == STORE_TYPE_DECIMAL)
		return fmt_vector_push_dec(v, x);
	if (c->int_bits && c->int_bits <= 32 && !c->int_signed)
		return fmt_vector_push_i64(v, (int64_t)(uint32_t)x);
	return fmt_vector_push_i64(v, x);
}

static int put_i64(rd *r, fmt_vector *v, int64_t x)
{
	const fmt_parquet_column *c = r->c;
	if (store_type_base(v->type) == STORE_TYPE_DECIMAL) {
		if (c->int_bits == 64 && !c->int_signed)
			return fmt_vector_push_dec(v, (fmt_int128)(uint64_t)x);
		return fmt_vector_push_dec(v, x);
	}
	if (store_type_base(v->type) == STORE_TYPE_TIMESTAMP) {
		if (c->unit == FMT_PQ_MILLIS) {
			int64_t us;
			if (__builtin_mul_overflow(x, 1000, &us))
				return cfail(r, -EINVAL, "timestamp %lld ms out of range", (long long)x);
			x = us;
		} else if (c->unit == FMT_PQ_NANOS) {
			x = x / 1000 - (x % 1000 < 0);
		}
	}
	return fmt_vector_push_i64(v, x);
}

static int put_int96(rd *r, fmt_vector *v, const uint8_t *b)
{
	(void)r;
	int64_t nanos = (int64_t)ld64(b);
	int64_t jd = (int32_t)ld32(b + 8);
	/* Julian day 2440588 is 1970-01-01 */
	int64_t us = (jd - 2440588) * INT64_C(86400000000) + (nanos / 1000 - (nanos % 1000 < 0));
	return fmt_vector_push_i64(v, us);
}

static int too_many_bytes(rd *r)
{
	return cfail(r, -ENOTSUP, "more than %llu bytes of strings in one column chunk",
		     (unsigned long long)FMT_PARQUET_MAX_BYTES);
}

static int put_bytes(rd *r, fmt_vector *v, const uint8_t *b, size_t n)
{
	if (store_type_base(v->type) == STORE_TYPE_DECIMAL) {
		if (n > 16)
			return cfail(r, -EINVAL, "decimal of %zu bytes", n);
		return fmt_vector_push_dec(v, dec_from_be(b, n));
	}
	if (n > FMT_PARQUET_MAX_BYTES - v->str_len)
		return too_many_bytes(r);
	return fmt_vector_push_str(v, b, n);
}

/* Fixed byte size of a PLAIN value of the column, 0 for BYTE_ARRAY and
 * BOOLEAN. */
static size_t plain_width(const fmt_parquet_column *c)
{
	switch (c->physical) {
	case FMT_PQ_INT32:
	case FMT_PQ_FLOAT:
		return 4;
	case FMT_PQ_INT64:
	case FMT_PQ_DOUBLE:
		return 8;
	case FMT_PQ_INT96:
		return 12;
	case FMT_PQ_FIXED_LEN_BYTE_ARRAY:
		return (size_t)c->type_length;
	default:
		return 0;
	}
}

/* One fixed-width value of the column's physical type from B. */
static int put_fixed(rd *r, fmt_vector *v, const uint8_t *b)
{
	switch (r->c->physical) {
	case FMT_PQ_INT32:
		return put_i32(r, v, (int32_t)ld32(b));
	case FMT_PQ_INT64:
		return put_i64(r, v, (int64_t)ld64(b));
	case FMT_PQ_INT96:
		return put_int96(r, v, b);
	case FMT_PQ_FLOAT: {
		uint32_t u = ld32(b);
		float f;
		memcpy(&f, &u, 4);
		return fmt_vector_push_f64(v, f);
	}
	case FMT_PQ_DOUBLE: {
		uint64_t u = ld64(b);
		double d;
		memcpy(&d, &u, 8);
		return fmt_vector_push_f64(v, d);
	}
	case FMT_PQ_FIXED_LEN_BYTE_ARRAY:
		return put_bytes(r, v, b, (size_t)r->c->type_length);
	default:
		return -EINVAL;
	}
}

/* N PLAIN values from the LEN bytes at B into V. */
static int decode_plain(rd *r, fmt_vector *v, const uint8_t *b, size_t len, size_t n)
{
	const fmt_parquet_column *c = r->c;
	int rc = fmt_vector_reserve(v, n, 0);
	if (rc)
		return cfail(r, rc, "out of memory");
	if (c->physical == FMT_PQ_BOOLEAN) {
		if (n > len * 8)
			return cfail(r, -EINVAL, "%zu booleans in %zu bytes", n, len);
		for (size_t i = 0; i < n; i++)
			if ((rc = fmt_vector_push_bool(v, (b[i / 8] >> (i % 8)) & 1)))
				return cfail(r, rc, "out of memory");
		return 0;
	}
	if (c->physical == FMT_PQ_BYTE_ARRAY) {
		size_t pos = 0;
		for (size_t i = 0; i < n; i++) {
			if (len - pos < 4)
				return cfail(r, -EINVAL, "byte array value %zu past the end of its page", i);
			uint32_t l = ld32(b + pos);
			pos += 4;
			if (l > len - pos)
				return cfail(r, -EINVAL, "byte array of %u bytes past the end of its page", l);
			if ((rc = put_bytes(r, v, b + pos, l)))
				return rc == -ENOMEM ? cfail(r, rc, "out of memory") : rc;
			pos += l;
		}
		return 0;
	}
	size_t w = plain_width(c);
	if (w == 0 || n > len / w)
		return cfail(r, -EINVAL, "%zu values of %zu bytes in %zu bytes", n, w, len);
	/* the common cases straight into the arrays (room reserved above) */
	store_type t = store_type_base(v->type);
	bool plain64 = c->physical == FMT_PQ_INT64 && (t == STORE_TYPE_BIGINT ||
		       (t == STORE_TYPE_TIMESTAMP && c->unit == FMT_PQ_MICROS));
	bool plain32 = c->physical == FMT_PQ_INT32 && (t == STORE_TYPE_DATE ||
		       (t == STORE_TYPE_BIGINT && !(c->int_bits && c->int_bits <= 32 && !c->int_signed)));
	if (plain64 || plain32 || c->physical == FMT_PQ_DOUBLE) {
		uint8_t *nulls = v->nulls + v->n;
		memset(nulls, 0, n);
		if (c->physical == FMT_PQ_DOUBLE) {
			double *d = v->v.f64 + v->n;
			for (size_t i = 0; i < n; i++) {
				uint64_t u = ld64(b + 8 * i);
				memcpy(&d[i], &u, 8);
			}
		} else if (plain64) {
			int64_t *d = v->v.i64 + v->n;
			for (size_t i = 0; i < n; i++)
				d[i] = (int64_t)ld64(b + 8 * i);
		} else {
			int64_t *d = v->v.i64 + v->n;
			for (size_t i = 0; i < n; i++)
				d[i] = (int32_t)ld32(b + 4 * i);
		}
		v->n += n;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = put_fixed(r, v, b + i * w)))
			return rc == -ENOMEM ? cfail(r, rc, "out of memory") : rc;
	return 0;
}

static int reserve_u32(rd *r, size_t n)
{
	if (base_array_reserve((void **)&r->p->u32, &r->p->u32_cap, n ? n : 1, sizeof(uint32_t)))
		return cfail(r, -ENOMEM, "out of memory");
	return 0;
}

/*
 * DELTA_BINARY_PACKED: exactly N values from [*PP, END) into OUT (room for
 * N); *PP moves past the encoded values.
 */
static int delta_decode(rd *r, const uint8_t **pp, const uint8_t *end, int64_t *out, size_t n)
{
	const uint8_t *p = *pp;
	uint64_t block, nmini, total, first;
	if (uleb(&p, end, &block) || uleb(&p, end, &nmini) || uleb(&p, end, &total) ||
	    uleb(&p, end, &first))
		return cfail(r, -EINVAL, "delta header past the end of its page");
	if (block == 0 || block % 128 || block > 65536 || nmini == 0 || block % nmini ||
	    (block / nmini) % 32)
		return cfail(r, -EINVAL, "delta block of %llu values in %llu miniblocks",
			     (unsigned long long)block, (unsigned long long)nmini);
	if (total != n)
		return cfail(r, -EINVAL, "delta encoding of %llu values where %zu were expected",
			     (unsigned long long)total, n);
	uint64_t per = block / nmini;
	uint64_t last = (uint64_t)unzigzag(first);
	size_t got = 0;
	if (n > 0)
		out[got++] = (int64_t)last;
	while (got < n) {
		uint64_t md;
		if (uleb(&p, end, &md))
			return cfail(r, -EINVAL, "delta block past the end of its page");
		uint64_t min_delta = (uint64_t)unzigzag(md);
		if (nmini > (size_t)(end - p))
			return cfail(r, -EINVAL, "delta bit widths past the end of its page");
		const uint8_t *widths = p;
		p += nmini;
		for (uint64_t m = 0; m < nmini && got < n; m++) {
			unsigned w = widths[m];
			if (w > 64)
				return cfail(r, -EINVAL, "delta bit width %u", w);
			uint64_t bytes = per * w / 8;
			if (bytes > (size_t)(end - p))
				return cfail(r, -EINVAL, "delta miniblock past the end of its page");
			for (uint64_t i = 0; i < per && got < n; i++) {
				last += min_delta + bits_at(p, i * w, w);
				out[got++] = (int64_t)last;
			}
			p += bytes;
		}
	}
	*pp = p;
	return 0;
}

static int reserve_i64(rd *r, int64_t **a, size_t *cap, size_t n)
{
	if (base_array_reserve((void **)a, cap, n ? n : 1, sizeof(int64_t)))
		return cfail(r, -ENOMEM, "out of memory");
	return 0;
}

/* N non-NULL values encoded ENC in the LEN bytes at B, appended to OUT. */
static int decode_values(rd *r, int enc, const uint8_t *b, size_t len, size_t n)
{
	const fmt_parquet_column *c = r->c;
	fmt_vector *out = r->out;
	const uint8_t *end = b + len;
	int rc;
	if (n == 0)
		return 0;   /* a page of NULLs: some writers leave the values empty */
	switch (enc) {
	case PQ_ENC_PLAIN:
		return decode_plain(r, out, b, len, n);
	case PQ_ENC_PLAIN_DICTIONARY:
	case PQ_ENC_RLE_DICTIONARY: {
		if (!r->has_dict)
			return cfail(r, -EINVAL, "dictionary-encoded page without a dictionary");
		if (len < 1)
			return cfail(r, -EINVAL, "dictionary page data is empty");
		unsigned w = b[0];
		if (w > 32)
			return cfail(r, -EINVAL, "dictionary index width %u", w);
		if ((rc = reserve_u32(r, n)))
			return rc;
		if (pq_rle_decode(b + 1, len - 1, w, r->p->u32, n))
			return cfail(r, -EINVAL, "dictionary indices past the end of their page");
		if (fmt_vector_reserve(out, n, 0))
			return cfail(r, -ENOMEM, "out of memory");
		const uint32_t *idx = r->p->u32;
		for (size_t i = 0; i < n; i++)
			if (idx[i] >= r->dict.n)
				return cfail(r, -EINVAL, "dictionary index %u of a dictionary of %zu", idx[i],
					     r->dict.n);
		store_type t = store_type_base(out->type);
		if (t == STORE_TYPE_STRING) {
			uint64_t total = 0;
			for (size_t i = 0; i < n; i++)
				total += r->dict.str_off[idx[i] + 1] - r->dict.str_off[idx[i]];
			if (total > FMT_PARQUET_MAX_BYTES - out->str_len)
				return too_many_bytes(r);
			for (size_t i = 0; i < n; i++)
				if (fmt_vector_push_from(out, &r->dict, idx[i]))
					return cfail(r, -ENOMEM, "out of memory");
			return 0;
		}
		/* fixed-width values: a gather (dictionary values are never NULL) */
		memset(out->nulls + out->n, 0, n);
		if (t == STORE_TYPE_DECIMAL)
			for (size_t i = 0; i < n; i++)
				out->v.dec[out->n + i] = r->dict.v.dec[idx[i]];
		else if (t == STORE_TYPE_DOUBLE)
			for (size_t i = 0; i < n; i++)
				out->v.f64[out->n + i] = r->dict.v.f64[idx[i]];
		else if (t == STORE_TYPE_BOOLEAN)
			for (size_t i = 0; i < n; i++)
				out->v.b[out->n + i] = r->dict.v.b[idx[i]];
		else
			for (size_t i = 0; i < n; i++)
				out->v.i64[out->n + i] = r->dict.v.i64[idx[i]];
		out->n += n;
		return 0;
	}
	case PQ_ENC_RLE: {
		if (c->physical != FMT_PQ_BOOLEAN)
			return cfail(r, -EINVAL, "RLE values of a non-boolean column");
		if (len < 4)
			return cfail(r, -EINVAL, "RLE booleans without their length");
		uint32_t l = ld32(b);
		if (l > len - 4)
			return cfail(r, -EINVAL, "RLE booleans of %u bytes past the end of their page", l);
		if ((rc = reserve_u32(r, n)))
			return rc;
		if (pq_rle_decode(b + 4, l, 1, r->p->u32, n))
			return cfail(r, -EINVAL, "RLE booleans past the end of their page");
		for (size_t i = 0; i < n; i++)
			if (fmt_vector_push_bool(out, r->p->u32[i]))
				return cfail(r, -ENOMEM, "out of memory");
		return 0;
	}
	case PQ_ENC_DELTA_BINARY_PACKED: {
		if (c->physical != FMT_PQ_INT32 && c->physical != FMT_PQ_INT64)
			return cfail(r, -EINVAL, "DELTA_BINARY_PACKED values of a non-integer column");
		if ((rc = reserve_i64(r, &r->p->i64, &r->p->i64_cap, n)))
			return rc;
		const uint8_t *p = b;
		if ((rc = delta_decode(r, &p, end, r->p->i64, n)))
			return rc;
		if (fmt_vector_reserve(out, n, 0))
			return cfail(r, -ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			rc = c->physical == FMT_PQ_INT32 ? put_i32(r, out, (int32_t)r->p->i64[i])
							 : put_i64(r, out, r->p->i64[i]);
			if (rc)
				return rc == -ENOMEM ? cfail(r, rc, "out of memory") : rc;
		}
		return 0;
	}
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
	case PQ_ENC_DELTA_BYTE_ARRAY: {
		if (c->physical != FMT_PQ_BYTE_ARRAY && c->physical != FMT_PQ_FIXED_LEN_BYTE_ARRAY)
			return cfail(r, -EINVAL, "delta byte array values of a non-byte-array column");
		const uint8_t *p = b;
		int64_t *prefix = NULL;
		if (enc == PQ_ENC_DELTA_BYTE_ARRAY) {
			if ((rc = reserve_i64(r, &r->p->i64b, &r->p->i64b_cap, n)))
				return rc;
			if ((rc = delta_decode(r, &p, end, r->p->i64b, n)))
				return rc;
			prefix = r->p->i64b;
		}
		if ((rc = reserve_i64(r, &r->p->i64, &r->p->i64_cap, n)))
			return rc;
		if ((rc = delta_decode(r, &p, end, r->p->i64, n)))
			return rc;
		/* the previous value, for prefixes: the page buffer's tail is not
		 * ours, so keep it in a vector of its own */
		fmt_vector prev;
		fmt_vector_init(&prev, STORE_TYPE_STRING);
		size_t prev_len = 0;
		rc = 0;
		for (size_t i = 0; i < n && rc == 0; i++) {
			int64_t l = r->p->i64[i];
			if (l < 0 || (uint64_t)l > (size_t)(end - p)) {
				rc = cfail(r, -EINVAL, "byte array of %lld bytes past the end of its page", (long long)l);
				break;
			}
			const uint8_t *val = p;
			size_t vlen = (size_t)l;
			if (prefix) {
				int64_t pl = prefix[i];
				if (pl >= 0 && (uint64_t)pl + vlen > FMT_PARQUET_MAX_BYTES - out->str_len) {
					rc = too_many_bytes(r);
					break;
				}
				if (pl < 0 || (uint64_t)pl > prev_len) {
					rc = cfail(r, -EINVAL, "prefix of %lld bytes of a value of %zu", (long long)pl,
						   prev_len);
					break;
				}
				fmt_vector_clear(&prev);
				if (fmt_vector_reserve(&prev, 1, (size_t)pl + vlen)) {
					rc = cfail(r, -ENOMEM, "out of memory");
					break;
				}
				/* prev.str still holds the previous value at offset 0 */
				if (vlen)
					memmove(prev.str + pl, val, vlen);
				prev_len = (size_t)pl + vlen;
				val = (const uint8_t *)prev.str;
				vlen = prev_len;
			}
			if (c->physical == FMT_PQ_FIXED_LEN_BYTE_ARRAY && vlen != (size_t)c->type_length)
				rc = cfail(r, -EINVAL, "value of %zu bytes in a column of %d", vlen, (int)c->type_length);
			else if ((rc = put_bytes(r, out, val, vlen)) == -ENOMEM)
				rc = cfail(r, rc, "out of memory");
			p += l;
		}
		fmt_vector_free(&prev);
		return rc;
	}
	case PQ_ENC_BYTE_STREAM_SPLIT: {
		size_t w = plain_width(c);
		if (w == 0 || c->physical == FMT_PQ_INT96)
			return cfail(r, -EINVAL, "BYTE_STREAM_SPLIT values of a %s column",
				     c->physical == FMT_PQ_BOOLEAN ? "boolean" : "variable-length");
		if (n > len / w)
			return cfail(r, -EINVAL, "%zu values of %zu bytes in %zu bytes", n, w, len);
		uint8_t tmp[256];
		if (w > sizeof tmp)
			return cfail(r, -ENOTSUP, "BYTE_STREAM_SPLIT of %zu-byte values", w);
		if (fmt_vector_reserve(out, n, 0))
			return cfail(r, -ENOMEM, "out of memory");
		/* the streams are N bytes each, however long the page */
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < w; k++)
				tmp[k] = b[k * n + i];
			if ((rc = put_fixed(r, out, tmp)))
				return rc == -ENOMEM ? cfail(r, rc, "out of memory") : rc;
		}
		return 0;
	}
	default:
		return cfail(r, -ENOTSUP, "encoding %d, which metafs does not read", enc);
	}
}

/*
 * The page's values were appended to OUT from index BASE, NN of them; spread
 * them over the page's NV slots by the definition levels DEF (1: a value,
 * 0: NULL), from the end so that nothing is overwritten before it is read.
 */
static int spread_nulls(rd *r, size_t base, size_t nn, const uint32_t *def, size_t nv)
{
	fmt_vector *v = r->out;
	if (nv == nn)
		return 0;
	if (fmt_vector_reserve(v, nv - nn, 0))
		return cfail(r, -ENOMEM, "out of memory");
	store_type t = store_type_base(v->type);
	size_t k = nn;     /* values not yet placed: indices base .. base + k - 1 */
	for (size_t j = nv; j-- > 0;) {
		size_t dst = base + j;
		if (def[j]) {
			size_t src = base + --k;
			v->nulls[dst] = v->nulls[src];
			switch (t) {
			case STORE_TYPE_STRING:
				v->str_off[dst + 1] = v->str_off[src + 1];
				break;
			case STORE_TYPE_BOOLEAN:
				v->v.b[dst] = v->v.b[src];
				break;
			case STORE_TYPE_DECIMAL:
				v->v.dec[dst] = v->v.dec[src];
				break;
			case STORE_TYPE_DOUBLE:
				v->v.f64[dst] = v->v.f64[src];
				break;
			default:
				v->v.i64[dst] = v->v.i64[src];
				break;
			}
		} else {
			v->nulls[dst] = 1;
			switch (t) {
			case STORE_TYPE_STRING:
				v->str_off[dst + 1] = v->str_off[base + k];
				break;
			case STORE_TYPE_BOOLEAN:
				v->v.b[dst] = 0;
				break;
			case STORE_TYPE_DECIMAL:
				v->v.dec[dst] = 0;
				break;
			case STORE_TYPE_DOUBLE:
				v->v.f64[dst] = 0;
				break;
			default:
				v->v.i64[dst] = 0;
				break;
			}
		}
	}
	v->n = base + nv;
	return 0;
}

/* The page's definition levels into the scratch u32 array; *NN gets the
 * number of values (level 1).  A REQUIRED column has none: all are values. */
static int read_levels(rd *r, int enc, const uint8_t *b, size_t len, size_t nv, size_t *nn)
{
	int rc = reserve_u32(r, nv);
	if (rc)
		return rc;
	uint32_t *def = r->p->u32;
	if (enc == PQ_ENC_RLE) {
		if (pq_rle_decode(b, len, 1, def, nv))
			return cfail(r, -EINVAL, "definition levels past the end of their page");
	} else if (enc == PQ_ENC_BIT_PACKED) {
		if (nv > len * 8)
			return cfail(r, -EINVAL, "definition levels past the end of their page");
		for (size_t i = 0; i < nv; i++)
			def[i] = (b[i / 8] >> (7 - i % 8)) & 1;   /* most significant bit first */
	} else {
		return cfail(r, -ENOTSUP, "definition level encoding %d", enc);
	}
	size_t k = 0;
	for (size_t i = 0; i < nv; i++) {
		if (def[i] > 1)
			return cfail(r, -EINVAL, "definition level %u above the maximum 1", def[i]);
		k += def[i];
	}
	*nn = k;
	return 0;
}

/* Whether LEN compressed bytes can hold N bytes with CODEC: the page buffer
 * is allocated before decompressing, so a header's size is checked against
 * the codec's best ratio first (deflate's is 1032:1, snappy's about 22:1;
 * zstd's has no useful bound, PQ_MAX_PAGE caps it). */
static bool size_plausible(fmt_pq_codec codec, size_t len, size_t n)
{
	switch (codec) {
	case FMT_PQ_UNCOMPRESSED:
		return n == len;
	case FMT_PQ_SNAPPY:
		return n / 32 <= len;
	case FMT_PQ_GZIP:
		return n / 1100 <= len;
	default:
		return true;
	}
}

static int page_buffer(rd *r, size_t n)
{
	if (base_array_reserve((void **)&r->p->page, &r->p->page_cap, n ? n : 1, 1))
		return cfail(r, -ENOMEM, "out of memory for a page of %zu bytes", n);
	return 0;
}

/* One data page (v1 or v2) of NV values whose header is H and whose body
 * is the LEN bytes at B. */
static int read_data_page(rd *r, const fmt_parquet_chunk *ch, const pq_page_header *h,
			  const uint8_t *b, size_t len)
{
	const fmt_parquet_column *c = r->c;
	size_t nv = (size_t)h->num_values;
	size_t usize = (size_t)h->uncompressed_size;
	const uint8_t *levels, *vals;
	size_t levels_len, vals_len;
	int rc;
	if (h->type == PQ_PAGE_DATA) {
		if (!size_plausible(ch->codec, len, usize))
			return cfail(r, -EINVAL, "page of %zu bytes cannot hold %zu bytes uncompressed", len, usize);
		if ((rc = page_buffer(r, usize)))
			return rc;
		rc = pq_decompress(ch->codec, b, len, r->p->page, usize);
		if (rc == -ENOTSUP)
			return cfail(r, rc, "%s compression, which metafs does not read", pq_codec_name(ch->codec));
		if (rc)
			return cfail(r, rc, "corrupt %s page (or not %zu bytes uncompressed)", pq_codec_name(ch->codec),
				     usize);
		const uint8_t *p = r->p->page;
		size_t n = usize;
		/* no repetition levels in a flat column; definition levels with
		 * RLE carry a 4-byte length, BIT_PACKED ones take (nv+7)/8 bytes */
		levels = p;
		levels_len = 0;
		if (c->optional) {
			if (h->def_encoding == PQ_ENC_RLE) {
				if (n < 4)
					return cfail(r, -EINVAL, "definition levels past the end of their page");
				levels_len = ld32(p);
				levels = p + 4;
				if (levels_len > n - 4)
					return cfail(r, -EINVAL, "definition levels of %zu bytes past the end of their page",
						     levels_len);
				vals = levels + levels_len;
				vals_len = n - 4 - levels_len;
			} else {
				levels_len = (nv + 7) / 8;
				if (levels_len > n)
					return cfail(r, -EINVAL, "definition levels past the end of their page");
				vals = p + levels_len;
				vals_len = n - levels_len;
			}
		} else {
			vals = p;
			vals_len = n;
		}
	} else {
		if (h->rep_len < 0 || h->def_len < 0 || (size_t)h->rep_len + (size_t)h->def_len > len)
			return cfail(r, -EINVAL, "levels of %d and %d bytes in a page of %zu", (int)h->rep_len,
				     (int)h->def_len, len);
		size_t lv = (size_t)h->rep_len + (size_t)h->def_len;
		if (lv > usize)
			return cfail(r, -EINVAL, "levels larger than their page");
		levels = b + h->rep_len;
		levels_len = (size_t)h->def_len;
		size_t ulen = usize - lv;
		if (h->is_compressed && ch->codec != FMT_PQ_UNCOMPRESSED) {
			if (!size_plausible(ch->codec, len - lv, ulen))
				return cfail(r, -EINVAL, "page of %zu bytes cannot hold %zu bytes uncompressed",
					     len - lv, ulen);
			if ((rc = page_buffer(r, ulen)))
				return rc;
			rc = pq_decompress(ch->codec, b + lv, len - lv, r->p->page, ulen);
			if (rc == -ENOTSUP)
				return cfail(r, rc, "%s compression, which metafs does not read",
					     pq_codec_name(ch->codec));
			if (rc)
				return cfail(r, rc, "corrupt %s page", pq_codec_name(ch->codec));
			vals = r->p->page;
			vals_len = ulen;
		} else {
			vals = b + lv;
			vals_len = len - lv;
		}
	}
	size_t nn = nv;
	size_t base = r->out->n;
	if (c->optional) {
		int enc = h->type == PQ_PAGE_DATA ? h->def_encoding : PQ_ENC_RLE;
		if ((rc = read_levels(r, enc, levels, levels_len, nv, &nn)))
			return rc;
		if (h->type == PQ_PAGE_DATA_V2 && h->num_nulls != (int32_t)(nv - nn))
			return cfail(r, -EINVAL, "page says %d NULLs, its levels %zu", (int)h->num_nulls, nv - nn);
	}
	/* the levels stay in u32 while the values decode: move them aside */
	uint32_t *def = NULL;
	if (nn != nv) {
		def = malloc(nv * sizeof *def);
		if (!def)
			return cfail(r, -ENOMEM, "out of memory");
		memcpy(def, r->p->u32, nv * sizeof *def);
	}
	rc = decode_values(r, h->encoding, vals, vals_len, nn);
	if (rc == 0 && r->out->n != base + nn)
		rc = cfail(r, -EINVAL, "page decoded to %zu values, not %zu", r->out->n - base, nn);
	if (rc == 0 && def)
		rc = spread_nulls(r, base, nn, def, nv);
	free(def);
	return rc;
}

static int read_dict_page(rd *r, const fmt_parquet_chunk *ch, const pq_page_header *h,
			  const uint8_t *b, size_t len)
{
	if (r->has_dict)
		return cfail(r, -EINVAL, "a second dictionary page");
	if (h->encoding != PQ_ENC_PLAIN && h->encoding != PQ_ENC_PLAIN_DICTIONARY)
		return cfail(r, -ENOTSUP, "dictionary encoded %d", (int)h->encoding);
	size_t usize = (size_t)h->uncompressed_size;
	if (!size_plausible(ch->codec, len, usize))
		return cfail(r, -EINVAL, "page of %zu bytes cannot hold %zu bytes uncompressed", len, usize);
	int rc = page_buffer(r, usize);
	if (rc)
		return rc;
	rc = pq_decompress(ch->codec, b, len, r->p->page, usize);
	if (rc == -ENOTSUP)
		return cfail(r, rc, "%s compression, which metafs does not read", pq_codec_name(ch->codec));
	if (rc)
		return cfail(r, rc, "corrupt %s dictionary page", pq_codec_name(ch->codec));
	if (h->num_values < 0)
		return cfail(r, -EINVAL, "dictionary of %d values", (int)h->num_values);
	rc = decode_plain(r, &r->dict, r->p->page, usize, (size_t)h->num_values);
	if (rc)
		return rc;
	r->has_dict = true;
	return 0;
}

struct fmt_parquet_pages {
	rd r;                        /* the file, the column, the dictionary */
	const fmt_parquet_chunk *ch;
	const uint8_t *pos, *end;    /* the pages not read yet */
	size_t want, got;            /* values of the chunk, values decoded */
};

void fmt_parquet_pages_close(fmt_parquet_pages *pg)
{
	if (!pg)
		return;
	fmt_vector_free(&pg->r.dict);
	free(pg);
}

int fmt_parquet_pages_open(fmt_parquet *p, size_t g, size_t col, fmt_parquet_pages **out, fmt_error *err)
{
	*out = NULL;
	if (g >= p->f.nrowgroups || col >= p->ncols)
		return fail(p, err, -EINVAL, "no column %zu in row group %zu", col, g);
	const fmt_parquet_column *c = &p->cols[col];
	const fmt_parquet_rowgroup *rg = &p->f.rowgroups[g];
	const fmt_parquet_chunk *ch = &rg->chunks[col];
	rd r = {.p = p, .c = c, .err = err};
	if (c->type == 0) {
		const char *why = "a type metafs does not read";
		column_type(c, &why);
		return cfail(&r, -ENOTSUP, "%s", why);
	}
	if (ch->num_values != rg->num_rows)
		return cfail(&r, -EINVAL, "%lld values in a row group of %lld rows", (long long)ch->num_values,
			     (long long)rg->num_rows);
	if ((uint64_t)rg->num_rows > FMT_PARQUET_MAX_ROWS)
		return cfail(&r, -ENOTSUP, "row group of %lld rows, more than metafs reads at once (%llu)",
			     (long long)rg->num_rows, (unsigned long long)FMT_PARQUET_MAX_ROWS);
	int64_t start = ch->data_page_offset;
	if (ch->dictionary_page_offset > 0 && ch->dictionary_page_offset < start)
		start = ch->dictionary_page_offset;
	int64_t size = ch->total_compressed_size;
	if (start < 4 || (uint64_t)start > p->footer_start)
		return cfail(&r, -EINVAL, "chunk offset %lld outside the file's data", (long long)start);
	if (size < 0 || (uint64_t)size > p->footer_start - (uint64_t)start)
		return cfail(&r, -EINVAL, "chunk of %lld bytes at %lld past the end of the file's data",
			     (long long)size, (long long)start);
	fmt_parquet_pages *pg = calloc(1, sizeof *pg);
	if (!pg)
		return cfail(&r, -ENOMEM, "out of memory");
	pg->r = r;
	fmt_vector_init(&pg->r.dict, c->type);
	pg->ch = ch;
	pg->pos = p->data + start;
	pg->end = pg->pos + size;
	pg->want = (size_t)rg->num_rows;
	*out = pg;
	return 0;
}

int fmt_parquet_pages_next(fmt_parquet_pages *pg, fmt_vector *out, size_t *n, fmt_error *err)
{
	rd *r = &pg->r;
	const fmt_parquet *p = r->p;
	r->out = out;
	r->err = err;
	*n = 0;
	if (out->type != r->c->type)
		return cfail(r, -EINVAL, "read into a vector of another type");
	while (pg->got < pg->want) {
		if (pg->pos >= pg->end)
			return cfail(r, -EINVAL, "chunk ends after %zu of %zu values", pg->got, pg->want);
		pq_page_header h;
		size_t used;
		char msg[256];
		if (pq_page_header_decode(pg->pos, (size_t)(pg->end - pg->pos), &h, &used, msg, sizeof msg))
			return cfail(r, -EINVAL, "bad page header at offset %lld: %s", (long long)(pg->pos - p->data),
				     msg);
		pg->pos += used;
		size_t clen = (size_t)h.compressed_size;
		if (clen > (size_t)(pg->end - pg->pos))
			return cfail(r, -EINVAL, "page size %zu past the end of the %s", clen,
				     (size_t)(p->data + p->footer_start - pg->pos) < clen ? "file" : "column chunk");
		if (h.uncompressed_size > PQ_MAX_PAGE)
			return cfail(r, -EINVAL, "page of %d bytes uncompressed, more than metafs reads",
				     (int)h.uncompressed_size);
		const uint8_t *body = pg->pos;
		pg->pos += clen;
		if (h.type == PQ_PAGE_DICTIONARY) {
			if (!h.has_dict)
				return cfail(r, -EINVAL, "dictionary page without its header");
			if (pg->got > 0)
				return cfail(r, -EINVAL, "dictionary page after data pages");
			int rc = read_dict_page(r, pg->ch, &h, body, clen);
			if (rc)
				return rc;
		} else if (h.type == PQ_PAGE_DATA || h.type == PQ_PAGE_DATA_V2) {
			if ((h.type == PQ_PAGE_DATA && !h.has_data) || (h.type == PQ_PAGE_DATA_V2 && !h.has_v2))
				return cfail(r, -EINVAL, "data page without its header");
			if (h.num_values > FMT_PARQUET_MAX_PAGE_VALUES)
				return cfail(r, -ENOTSUP, "page of %d values, more than metafs reads (%d)",
					     (int)h.num_values, (int)FMT_PARQUET_MAX_PAGE_VALUES);
			if (h.num_values < 0 || (size_t)h.num_values > pg->want - pg->got)
				return cfail(r, -EINVAL, "page of %d values where %zu are left", (int)h.num_values,
					     pg->want - pg->got);
			size_t base = out->n;
			int rc = read_data_page(r, pg->ch, &h, body, clen);
			if (rc)
				return rc;
			if (out->n != base + (size_t)h.num_values)
				return cfail(r, -EINVAL, "page decoded to %zu values, not %d", out->n - base,
					     (int)h.num_values);
			pg->got += (size_t)h.num_values;
			*n = (size_t)h.num_values;
			if (*n > 0)
				return 0;
		}
		/* index pages, unknown page types and empty data pages are skipped */
	}
	return 0;
}

int fmt_parquet_read_column(fmt_parquet *p, size_t g, size_t col, fmt_vector *out, fmt_error *err)
{
	fmt_parquet_pages *pg;
	int rc = fmt_parquet_pages_open(p, g, col, &pg, err);
	if (rc)
		return rc;
	size_t n;
	do
		rc = fmt_parquet_pages_next(pg, out, &n, err);
	while (rc == 0 && n > 0);
	fmt_parquet_pages_close(pg);
	return rc;
}

int fmt_parquet_check_schema(const fmt_parquet *p, const store_column *columns, size_t ncolumns,
			     fmt_error *err)
{
	if (p->ncols != ncolumns)
		return fail(p, err, -EINVAL, "%zu columns, the table has %zu", p->ncols, ncolumns);
	for (size_t i = 0; i < ncolumns; i++) {
		const fmt_parquet_column *c = &p->cols[i];
		const store_column *t = &columns[i];
		if (strcasecmp(c->name, t->name) != 0)
			return fail(p, err, -EINVAL, "column %zu is '%s', the table's is '%s'", i + 1, c->name, t->name);
		if (c->type == t->type)
			continue;
		bool ok = store_type_base(c->type) == STORE_TYPE_DECIMAL &&
			  store_type_base(t->type) == STORE_TYPE_DECIMAL &&
			  store_type_scale(c->type) == store_type_scale(t->type) &&
			  store_type_precision(c->type) <= store_type_precision(t->type);
		if (!ok) {
			const char *why = "a type metafs does not read";
			if (c->type == 0)
				column_type(c, &why);
			const char *tn = store_type_name(t->type);
			return fail(p, err, -EINVAL, "column '%s' is %s, the table's is %s", c->name,
				    c->type ? store_type_name(c->type) : why, tn ? tn : "not a type");
		}
	}
	return 0;
}

int fmt_parquet_stat_decode(const fmt_parquet_column *c, const uint8_t *b, size_t len, fmt_vector *out)
{
	if (c->type == 0 || out->type != c->type)
		return -EINVAL;
	fmt_parquet dummy = {.name = (char *)"stat"};
	rd r = {.p = &dummy, .c = c, .out = out, .err = NULL};
	switch (c->physical) {
	case FMT_PQ_BOOLEAN:
		if (len != 1)
			return -EINVAL;
		return fmt_vector_push_bool(out, b[0] & 1);
	case FMT_PQ_BYTE_ARRAY:
		return put_bytes(&r, out, b, len);
	default:
		if (len != plain_width(c))
			return -EINVAL;
		return put_fixed(&r, out, b);
	}
}
