/*
 * store_record.c - the versioned binary encoding of records and events.
 *
 * Layout (record version 1).  Every encoding starts with a u8 version.
 * Integers are fixed width, little-endian; i64 is two's complement; a bool
 * is a u8 holding 0 or 1; "str" is a u16 byte length followed by the bytes,
 * without a NUL; checksums are 16 raw bytes.  The decoder accepts exactly
 * this and nothing else: a short buffer, trailing bytes, an out-of-range
 * enum, a string with a NUL or an invalid name all give -EINVAL, and every
 * read is bounds-checked, so a corrupt value in the map cannot make a reader
 * run past it.
 *
 *   database  u8 ver, u64 id, str name, u32 uid, u32 gid, i64 created_ns
 *   table     u8 ver, u64 id, u64 db_id, str db, str name, u32 uid, u32 gid,
 *             i64 created_ns, i64 modified_ns,
 *             u8 flags (1 has_schema, 2 header, 4 properties present),
 *             u8 format, u32 ncolumns, u32 npartkeys,
 *             (ncolumns + npartkeys) x { str name, u8 type
 *                                        [, u8 precision, u8 scale: type 7] },
 *             [u32 length, bytes: properties, only if flag 4],
 *             u64 npartitions, u64 nfiles, u64 rows, u64 bytes
 *   pnode     u8 ver, u64 id, u64 table_id, u64 parent_id, u32 depth, bool leaf,
 *             str value, u32 uid, u32 gid, i64 created_ns, i64 modified_ns,
 *             u64 nfiles, u64 rows, u64 bytes, 16 checksum
 *   file      u8 ver, u64 id, u64 pnode_id, str name, u32 uid, u32 gid,
 *             i64 created_ns, i64 modified_ns, u64 bytes, u64 rows, 16 checksum
 *             [, i64 mtime_ns: version 2 and 3]
 *             [, u16 nstats, nstats x colstat: version 3 only]
 *   colstat   u16 column, u32 type (as the table record's type and
 *             parameters: base | precision << 8 | scale << 16), u8 flags
 *             (1 min, 2 max, 4 nulls, 8 min truncated, 16 max truncated),
 *             [u64 nulls: flag 4], [u8 length, bytes: min, flag 1],
 *             [u8 length, bytes: max, flag 2]
 *   event     u8 ver, u64 seq, i64 time_ns, u8 op, u8 kind, u8 origin,
 *             u64 object_id, u64 parent_id, u64 etag, str path
 *
 * A decimal column (type 7, added later) is the one whose type is followed
 * by its precision and scale: tables without one encode exactly as before
 * (same bytes, same etag), and every older record stays readable.  A
 * reader that does not know type 7 refuses the record rather than misread
 * it.
 *
 * A file record with a time set by utimensat(2) (mtime_ns, added later) is
 * version 2: the version 1 bytes with version byte 2 and the mtime appended.
 * A file without one encodes exactly as before (version 1, same bytes, same
 * etag), and every older record stays readable.  A version 2 record with an
 * mtime of 0 is refused: there is one encoding of every record.
 *
 * A file record with column statistics (added later, for Parquet files:
 * null counts, min and max from the footer) is version 3: the version 1
 * bytes with version byte 3, the mtime (0 allowed: none), and the
 * statistics, at least one, columns strictly increasing; a value has its
 * type's width (store_stat_value_width), a string at most 64 bytes, and
 * only a string may be marked truncated.  A file without statistics encodes
 * as before (version 1 or 2).  The etag of a version 3 record is XXH3-64
 * of its bytes with the mtime as 0: a time is not a data change.
 *
 * The etag of a record is XXH3-64 of these bytes, version byte included; it
 * is not stored, decode computes it.  A new field means a new version byte
 * and a decoder that still reads the old one.  The etag of a version 2 file
 * record is that of the version 1 record it holds: setting a time is not a
 * data change, and nothing that compares etags sees one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY   /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "store_int.h"

#define TABLE_HAS_SCHEMA 0x1
#define TABLE_HEADER 0x2
#define TABLE_HAS_PROPERTIES 0x4

/* ---- writing ---------------------------------------------------------------- */

/* The encoders size the buffer exactly first, so the writers never check. */
struct wbuf {
	uint8_t *p;
};

static void put_u8(struct wbuf *w, uint8_t v)
{
	*w->p++ = v;
}

static void put_u16(struct wbuf *w, uint16_t v)
{
	put_u8(w, (uint8_t)v);
	put_u8(w, (uint8_t)(v >> 8));
}

static void put_u32(struct wbuf *w, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		put_u8(w, (uint8_t)v);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		put_u8(w, (uint8_t)v);
}

static void put_bytes(struct wbuf *w, const void *src, size_t n)
{
	memcpy(w->p, src, n);
	w->p += n;
}

static void put_str(struct wbuf *w, const char *s, size_t n)
{
	put_u16(w, (uint16_t)n);
	put_bytes(w, s, n);
}

/* ---- reading ---------------------------------------------------------------- */

/* A failed read sets BAD and returns zeros; callers check once at the end. */
struct rbuf {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint8_t get_u8(struct rbuf *r)
{
	const uint8_t *p = take(r, 1);

	return p ? p[0] : 0;
}

static uint16_t get_u16(struct rbuf *r)
{
	const uint8_t *p = take(r, 2);

	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

static uint32_t get_u32(struct rbuf *r)
{
	const uint8_t *p = take(r, 4);
	uint32_t v = 0;

	for (int i = 3; p && i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get_u64(struct rbuf *r)
{
	const uint8_t *p = take(r, 8);
	uint64_t v = 0;

	for (int i = 7; p && i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool get_bool(struct rbuf *r)
{
	uint8_t v = get_u8(r);

	if (v > 1)
		r->bad = true;
	return v == 1;
}

static void get_bytes(struct rbuf *r, void *dst, size_t n)
{
	const uint8_t *p = take(r, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

/* A string of at most MAX bytes with no NUL, copied into DST[MAX + 1]. */
static void get_str(struct rbuf *r, char *dst, size_t max)
{
	size_t n = get_u16(r);
	const uint8_t *p;

	dst[0] = '\0';
	if (n > max) {
		r->bad = true;
		return;
	}
	p = take(r, n);
	if (p == NULL || memchr(p, '\0', n)) {
		r->bad = true;
		return;
	}
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static void get_name(struct rbuf *r, char *dst)
{
	get_str(r, dst, STORE_NAME_MAX);
	if (!r->bad && !store_name_valid(dst, NULL))
		r->bad = true;
}

/* ---- validation shared by encode and decode --------------------------------- */

/* Length of a name held in a char[STORE_NAME_MAX + 1], or -1 if it is not a
 * valid, terminated name. */
static long name_len(const char *name)
{
	size_t n = strnlen(name, STORE_NAME_MAX + 1);

	if (n > STORE_NAME_MAX || !store_name_valid(name, NULL))
		return -1;
	return (long)n;
}

static bool type_ok(uint32_t t)
{
	return store_type_valid((store_type)t);
}

static bool type_is_decimal(store_type t)
{
	return store_type_base(t) == STORE_TYPE_DECIMAL;
}

/* A partition value: 1..255 bytes; anything but NUL (it is escaped for paths). */
static long value_len(const char *v)
{
	size_t n = strnlen(v, STORE_NAME_MAX + 1);

	if (n == 0 || n > STORE_NAME_MAX)
		return -1;
	return (long)n;
}

/* ---- encoders --------------------------------------------------------------- */

static int encode_database(const store_database *d, void **buf, size_t *len)
{
	long n = name_len(d->name);
	struct wbuf w;
	size_t size;

	if (n < 0)
		return -EINVAL;
	size = 1 + 8 + 2 + (size_t)n + 4 + 4 + 8;
	*buf = malloc(size);
	if (*buf == NULL)
		return -ENOMEM;
	w.p = *buf;
	put_u8(&w, STORE_RECORD_VERSION);
	put_u64(&w, d->id);
	put_str(&w, d->name, (size_t)n);
	put_u32(&w, d->owner_uid);
	put_u32(&w, d->owner_gid);
	put_u64(&w, (uint64_t)d->created_ns);
	*len = size;
	return 0;
}

static int encode_table(const store_table *t, void **buf, size_t *len)
{
	long ndb = name_len(t->db), nname = name_len(t->name);
	uint32_t ncols = t->ncolumns + t->npartkeys;
	size_t size, plen = 0;
	uint8_t flags = 0;
	struct wbuf w;

	if (ndb < 0 || nname < 0 || !store_format_valid(t->format))
		return -EINVAL;
	if (t->ncolumns > STORE_MAX_COLUMNS || t->npartkeys > STORE_MAX_PARTKEYS)
		return -EINVAL;
	if (ncols > 0 && t->columns == NULL)
		return -EINVAL;
	if (!t->has_schema && ncols > 0)
		return -EINVAL;
	size = 1 + 8 + 8 + 2 + (size_t)ndb + 2 + (size_t)nname + 4 + 4 + 8 + 8 + 1 + 1 + 4 + 4;
	for (uint32_t i = 0; i < ncols; i++) {
		long n = name_len(t->columns[i].name);

		if (n < 0 || !type_ok(t->columns[i].type))
			return -EINVAL;
		size += 2 + (size_t)n + 1 + (type_is_decimal(t->columns[i].type) ? 2 : 0);
	}
	if (t->properties) {
		plen = strlen(t->properties);
		if (plen > UINT32_MAX)
			return -EINVAL;
		size += 4 + plen;
		flags |= TABLE_HAS_PROPERTIES;
	}
	size += 4 * 8;
	if (t->has_schema)
		flags |= TABLE_HAS_SCHEMA;
	if (t->header)
		flags |= TABLE_HEADER;

	*buf = malloc(size);
	if (*buf == NULL)
		return -ENOMEM;
	w.p = *buf;
	put_u8(&w, STORE_RECORD_VERSION);
	put_u64(&w, t->id);
	put_u64(&w, t->db_id);
	put_str(&w, t->db, (size_t)ndb);
	put_str(&w, t->name, (size_t)nname);
	put_u32(&w, t->owner_uid);
	put_u32(&w, t->owner_gid);
	put_u64(&w, (uint64_t)t->created_ns);
	put_u64(&w, (uint64_t)t->modified_ns);
	put_u8(&w, flags);
	put_u8(&w, (uint8_t)t->format);
	put_u32(&w, t->ncolumns);
	put_u32(&w, t->npartkeys);
	for (uint32_t i = 0; i < ncols; i++) {
		put_str(&w, t->columns[i].name, strlen(t->columns[i].name));
		put_u8(&w, (uint8_t)store_type_base(t->columns[i].type));
		if (type_is_decimal(t->columns[i].type)) {
			put_u8(&w, (uint8_t)store_type_precision(t->columns[i].type));
			put_u8(&w, (uint8_t)store_type_scale(t->columns[i].type));
		}
	}
	if (t->properties) {
		put_u32(&w, (uint32_t)plen);
		put_bytes(&w, t->properties, plen);
	}
	put_u64(&w, t->npartitions);
	put_u64(&w, t->nfiles);
	put_u64(&w, t->rows);
	put_u64(&w, t->bytes);
	*len = size;
	return 0;
}

static int encode_pnode(const store_pnode *p, void **buf, size_t *len)
{
	long n = value_len(p->value);
	struct wbuf w;
	size_t size;

	if (n < 0 || p->depth < 1 || p->depth > STORE_MAX_PARTKEYS)
		return -EINVAL;
	size = 1 + 8 + 8 + 8 + 4 + 1 + 2 + (size_t)n + 4 + 4 + 8 + 8 + 8 + 8 + 8 + 16;
	*buf = malloc(size);
	if (*buf == NULL)
		return -ENOMEM;
	w.p = *buf;
	put_u8(&w, STORE_RECORD_VERSION);
	put_u64(&w, p->id);
	put_u64(&w, p->table_id);
	put_u64(&w, p->parent_id);
	put_u32(&w, p->depth);
	put_u8(&w, p->leaf ? 1 : 0);
	put_str(&w, p->value, (size_t)n);
	put_u32(&w, p->owner_uid);
	put_u32(&w, p->owner_gid);
	put_u64(&w, (uint64_t)p->created_ns);
	put_u64(&w, (uint64_t)p->modified_ns);
	put_u64(&w, p->nfiles);
	put_u64(&w, p->rows);
	put_u64(&w, p->bytes);
	put_bytes(&w, p->checksum, 16);
	*len = size;
	return 0;
}

size_t store_stat_value_width(store_type t)
{
	switch (store_type_base(t)) {
	case STORE_TYPE_BOOLEAN:
		return 1;
	case STORE_TYPE_BIGINT:
	case STORE_TYPE_DATE:
	case STORE_TYPE_TIMESTAMP:
	case STORE_TYPE_DOUBLE:
		return 8;
	case STORE_TYPE_DECIMAL:
		return 16;
	default:
		return 0;
	}
}

/* Whether S is a statistics entry the encoding can hold (and the decoder
 * gives back): known flags, a valid type, values of the type's width. */
static bool colstat_ok(const store_colstat *s)
{
	size_t w = store_stat_value_width(s->type);
	bool str = store_type_base(s->type) == STORE_TYPE_STRING;

	if (s->column >= STORE_MAX_COLUMNS || !type_ok(s->type) || (s->flags & ~STORE_STAT_FLAGS))
		return false;
	if (!str && (s->flags & (STORE_STAT_MIN_TRUNCATED | STORE_STAT_MAX_TRUNCATED)))
		return false;
	if ((s->flags & STORE_STAT_MIN_TRUNCATED) && !(s->flags & STORE_STAT_MIN))
		return false;
	if ((s->flags & STORE_STAT_MAX_TRUNCATED) && !(s->flags & STORE_STAT_MAX))
		return false;
	if ((s->flags & STORE_STAT_MIN) &&
	    (str ? s->min_len > STORE_STAT_VALUE_MAX : s->min_len != w))
		return false;
	if ((s->flags & STORE_STAT_MAX) &&
	    (str ? s->max_len > STORE_STAT_VALUE_MAX : s->max_len != w))
		return false;
	return true;
}

static size_t colstat_size(const store_colstat *s)
{
	return 2 + 4 + 1 + ((s->flags & STORE_STAT_NULLS) ? 8 : 0) +
	       ((s->flags & STORE_STAT_MIN) ? 1 + (size_t)s->min_len : 0) +
	       ((s->flags & STORE_STAT_MAX) ? 1 + (size_t)s->max_len : 0);
}

static void put_colstat(struct wbuf *w, const store_colstat *s)
{
	put_u16(w, (uint16_t)s->column);
	put_u32(w, (uint32_t)s->type);
	put_u8(w, s->flags);
	if (s->flags & STORE_STAT_NULLS)
		put_u64(w, s->nulls);
	if (s->flags & STORE_STAT_MIN) {
		put_u8(w, s->min_len);
		put_bytes(w, s->min, s->min_len);
	}
	if (s->flags & STORE_STAT_MAX) {
		put_u8(w, s->max_len);
		put_bytes(w, s->max, s->max_len);
	}
}

/* One entry, checked as colstat_ok checks what is encoded. */
static void get_colstat(struct rbuf *r, store_colstat *s)
{
	memset(s, 0, sizeof *s);
	s->column = get_u16(r);
	s->type = (store_type)get_u32(r);
	s->flags = get_u8(r);
	if (s->flags & STORE_STAT_NULLS)
		s->nulls = get_u64(r);
	if (s->flags & STORE_STAT_MIN) {
		s->min_len = get_u8(r);
		if (s->min_len <= STORE_STAT_VALUE_MAX)
			get_bytes(r, s->min, s->min_len);
	}
	if (s->flags & STORE_STAT_MAX) {
		s->max_len = get_u8(r);
		if (s->max_len <= STORE_STAT_VALUE_MAX)
			get_bytes(r, s->max, s->max_len);
	}
	if (!r->bad && !colstat_ok(s))
		r->bad = true;
}

static int encode_file(const store_file *f, void **buf, size_t *len)
{
	long n = name_len(f->name);
	bool stats = f->stats != NULL && f->nstats > 0;
	struct wbuf w;
	size_t size;

	if (n < 0)
		return -EINVAL;
	size = 1 + 8 + 8 + 2 + (size_t)n + 4 + 4 + 8 + 8 + 8 + 8 + 16 +
	       (f->mtime_ns || stats ? 8 : 0);
	if (stats) {
		if (f->nstats > STORE_MAX_COLUMNS)
			return -EINVAL;
		size += 2;
		for (uint32_t i = 0; i < f->nstats; i++) {
			if (!colstat_ok(&f->stats[i]) ||
			    (i > 0 && f->stats[i].column <= f->stats[i - 1].column))
				return -EINVAL;
			size += colstat_size(&f->stats[i]);
		}
	}
	*buf = malloc(size);
	if (*buf == NULL)
		return -ENOMEM;
	w.p = *buf;
	put_u8(&w, stats ? STORE_FILE_RECORD_VERSION_STATS
			 : f->mtime_ns ? STORE_FILE_RECORD_VERSION_MTIME : STORE_RECORD_VERSION);
	put_u64(&w, f->id);
	put_u64(&w, f->pnode_id);
	put_str(&w, f->name, (size_t)n);
	put_u32(&w, f->owner_uid);
	put_u32(&w, f->owner_gid);
	put_u64(&w, (uint64_t)f->created_ns);
	put_u64(&w, (uint64_t)f->modified_ns);
	put_u64(&w, f->bytes);
	put_u64(&w, f->rows);
	put_bytes(&w, f->checksum, 16);
	if (f->mtime_ns || stats)
		put_u64(&w, (uint64_t)f->mtime_ns);
	if (stats) {
		put_u16(&w, (uint16_t)f->nstats);
		for (uint32_t i = 0; i < f->nstats; i++)
			put_colstat(&w, &f->stats[i]);
	}
	*len = size;
	return 0;
}

int store_record_encode(store_kind kind, const void *rec, void **buf, size_t *len)
{
	int rc;

	if (buf == NULL || len == NULL)
		return -EINVAL;
	*buf = NULL;
	*len = 0;
	if (rec == NULL)
		return -EINVAL;
	switch (kind) {
	case STORE_KIND_DATABASE:
		rc = encode_database(rec, buf, len);
		break;
	case STORE_KIND_TABLE:
		rc = encode_table(rec, buf, len);
		break;
	case STORE_KIND_PNODE:
		rc = encode_pnode(rec, buf, len);
		break;
	case STORE_KIND_FILE:
		rc = encode_file(rec, buf, len);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	return rc;
}

int store_event_encode(const store_event *ev, void **buf, size_t *len)
{
	struct wbuf w;
	size_t n, size;

	if (buf == NULL || len == NULL)
		return -EINVAL;
	*buf = NULL;
	*len = 0;
	if (ev == NULL)
		return -EINVAL;
	n = strnlen(ev->path, sizeof ev->path);
	if (n == sizeof ev->path)
		return -EINVAL;
	if (ev->op < STORE_OP_CREATE || ev->op > STORE_OP_DROP ||
	    ev->kind < STORE_KIND_DATABASE || ev->kind > STORE_KIND_FILE ||
	    ev->origin < STORE_ORIGIN_FS || ev->origin > STORE_ORIGIN_HMS)
		return -EINVAL;
	size = 1 + 8 + 8 + 1 + 1 + 1 + 8 + 8 + 8 + 2 + n;
	*buf = malloc(size);
	if (*buf == NULL)
		return -ENOMEM;
	w.p = *buf;
	put_u8(&w, STORE_RECORD_VERSION);
	put_u64(&w, ev->seq);
	put_u64(&w, (uint64_t)ev->time_ns);
	put_u8(&w, (uint8_t)ev->op);
	put_u8(&w, (uint8_t)ev->kind);
	put_u8(&w, (uint8_t)ev->origin);
	put_u64(&w, ev->object_id);
	put_u64(&w, ev->parent_id);
	put_u64(&w, ev->etag);
	put_str(&w, ev->path, n);
	*len = size;
	return 0;
}

/* ---- decoders --------------------------------------------------------------- */

static void decode_database(struct rbuf *r, store_database *d)
{
	d->id = get_u64(r);
	get_name(r, d->name);
	d->owner_uid = get_u32(r);
	d->owner_gid = get_u32(r);
	d->created_ns = (int64_t)get_u64(r);
}

/* The only decoder that allocates: on failure it frees what it took. */
static int decode_table(struct rbuf *r, store_table *t)
{
	uint8_t flags;
	uint32_t ncols;
	size_t plen;
	const uint8_t *p;

	t->columns = NULL;
	t->properties = NULL;
	t->id = get_u64(r);
	t->db_id = get_u64(r);
	get_name(r, t->db);
	get_name(r, t->name);
	t->owner_uid = get_u32(r);
	t->owner_gid = get_u32(r);
	t->created_ns = (int64_t)get_u64(r);
	t->modified_ns = (int64_t)get_u64(r);
	flags = get_u8(r);
	t->format = get_u8(r);
	t->ncolumns = get_u32(r);
	t->npartkeys = get_u32(r);
	t->has_schema = flags & TABLE_HAS_SCHEMA;
	t->header = flags & TABLE_HEADER;
	if (r->bad || (flags & ~(TABLE_HAS_SCHEMA | TABLE_HEADER | TABLE_HAS_PROPERTIES)) ||
	    !store_format_valid(t->format) || t->ncolumns > STORE_MAX_COLUMNS ||
	    t->npartkeys > STORE_MAX_PARTKEYS || (!t->has_schema && t->ncolumns + t->npartkeys))
		goto bad;
	ncols = t->ncolumns + t->npartkeys;
	/* Each column takes at least 4 bytes: refuse counts the buffer cannot
	 * hold before allocating for them. */
	if (ncols > r->left / 4)
		goto bad;
	if (ncols) {
		t->columns = calloc(ncols, sizeof *t->columns);
		if (t->columns == NULL)
			return -ENOMEM;
	}
	for (uint32_t i = 0; i < ncols && !r->bad; i++) {
		get_name(r, t->columns[i].name);
		t->columns[i].type = get_u8(r);
		if (t->columns[i].type == STORE_TYPE_DECIMAL) {
			unsigned p = get_u8(r);
			t->columns[i].type = store_type_decimal(p, get_u8(r));
		}
		if (!type_ok(t->columns[i].type))
			r->bad = true;
	}
	if (flags & TABLE_HAS_PROPERTIES) {
		plen = get_u32(r);
		p = take(r, plen);
		if (p == NULL || memchr(p, '\0', plen))
			goto bad;
		t->properties = malloc(plen + 1);
		if (t->properties == NULL) {
			store_table_clear(t);
			return -ENOMEM;
		}
		memcpy(t->properties, p, plen);
		t->properties[plen] = '\0';
	}
	t->npartitions = get_u64(r);
	t->nfiles = get_u64(r);
	t->rows = get_u64(r);
	t->bytes = get_u64(r);
	if (r->bad)
		goto bad;
	return 0;
bad:
	store_table_clear(t);
	return -EINVAL;
}

static void decode_pnode(struct rbuf *r, store_pnode *p)
{
	p->id = get_u64(r);
	p->table_id = get_u64(r);
	p->parent_id = get_u64(r);
	p->depth = get_u32(r);
	p->leaf = get_bool(r);
	get_str(r, p->value, STORE_NAME_MAX);
	p->owner_uid = get_u32(r);
	p->owner_gid = get_u32(r);
	p->created_ns = (int64_t)get_u64(r);
	p->modified_ns = (int64_t)get_u64(r);
	p->nfiles = get_u64(r);
	p->rows = get_u64(r);
	p->bytes = get_u64(r);
	get_bytes(r, p->checksum, 16);
	if (p->value[0] == '\0' || p->depth < 1 || p->depth > STORE_MAX_PARTKEYS)
		r->bad = true;
}

static void decode_file(struct rbuf *r, store_file *f, uint8_t version)
{
	f->id = get_u64(r);
	f->pnode_id = get_u64(r);
	get_name(r, f->name);
	f->owner_uid = get_u32(r);
	f->owner_gid = get_u32(r);
	f->created_ns = (int64_t)get_u64(r);
	f->modified_ns = (int64_t)get_u64(r);
	f->bytes = get_u64(r);
	f->rows = get_u64(r);
	get_bytes(r, f->checksum, 16);
	f->mtime_ns = 0;
	f->stats = NULL;
	f->nstats = 0;
	if (version == STORE_FILE_RECORD_VERSION_MTIME) {
		f->mtime_ns = (int64_t)get_u64(r);
		if (f->mtime_ns == 0)
			r->bad = true;
	}
	if (version == STORE_FILE_RECORD_VERSION_STATS) {
		f->mtime_ns = (int64_t)get_u64(r);
		f->nstats = get_u16(r);
		if (f->nstats == 0 || f->nstats > STORE_MAX_COLUMNS)
			r->bad = true;
		/* Checked here, kept by store_record_file_stats(). */
		uint32_t prev = 0;
		for (uint32_t i = 0; i < f->nstats && !r->bad; i++) {
			store_colstat cs;
			get_colstat(r, &cs);
			if (i > 0 && cs.column <= prev)
				r->bad = true;
			prev = cs.column;
		}
	}
}

/* Where the mtime of a version 3 file record BUF/LEN is: after the name
 * and the fixed fields; 0 when the record is too short to say. */
static size_t file_mtime_offset(const uint8_t *buf, size_t len)
{
	size_t at = 1 + 8 + 8;

	if (len < at + 2)
		return 0;
	at += 2 + (size_t)(buf[at] | buf[at + 1] << 8) + 4 + 4 + 8 + 8 + 8 + 8 + 16;
	return at + 8 <= len ? at : 0;
}

int store_record_file_stats(const void *buf, size_t len, store_colstat **out, uint32_t *n)
{
	const uint8_t *b = buf;
	size_t at;
	struct rbuf r;
	uint32_t count;

	*out = NULL;
	*n = 0;
	if (buf == NULL || len < 1)
		return -EINVAL;
	if (b[0] != STORE_FILE_RECORD_VERSION_STATS)
		return b[0] == STORE_RECORD_VERSION || b[0] == STORE_FILE_RECORD_VERSION_MTIME
			       ? 0 : -EINVAL;
	at = file_mtime_offset(b, len);
	if (at == 0)
		return -EINVAL;
	r = (struct rbuf){b + at + 8, len - at - 8, false};
	count = get_u16(&r);
	if (r.bad || count == 0 || count > STORE_MAX_COLUMNS)
		return -EINVAL;
	*out = calloc(count, sizeof **out);
	if (*out == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < count && !r.bad; i++) {
		get_colstat(&r, &(*out)[i]);
		if (i > 0 && (*out)[i].column <= (*out)[i - 1].column)
			r.bad = true;
	}
	if (r.bad || r.left != 0) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	*n = count;
	return 0;
}

uint64_t store_record_etag(store_kind kind, const void *buf, size_t len)
{
	/* A file record without statistics is at most
	 * 1 + 8 + 8 + 2 + 255 + 4 + 4 + 5 * 8 + 16 + 8 bytes. */
	uint8_t v1[512];

	if (kind == STORE_KIND_FILE && len >= 1 &&
	    ((const uint8_t *)buf)[0] == STORE_FILE_RECORD_VERSION_STATS) {
		size_t at = file_mtime_offset(buf, len);
		if (at == 0)
			return XXH3_64bits(buf, len);
		/* The bytes with the mtime as 0 (streamed: the same hash as
		 * over one copy of them). */
		static const uint8_t zero[8];
		XXH3_state_t st;
		XXH3_INITSTATE(&st);
		XXH3_64bits_reset(&st);
		XXH3_64bits_update(&st, buf, at);
		XXH3_64bits_update(&st, zero, sizeof zero);
		XXH3_64bits_update(&st, (const uint8_t *)buf + at + 8, len - at - 8);
		return XXH3_64bits_digest(&st);
	}
	if (kind != STORE_KIND_FILE || len < 1 + 8 || len > sizeof v1 ||
	    ((const uint8_t *)buf)[0] != STORE_FILE_RECORD_VERSION_MTIME)
		return XXH3_64bits(buf, len);
	/* The version 1 record: its version byte, then all but the mtime. */
	memcpy(v1, buf, len - 8);
	v1[0] = STORE_RECORD_VERSION;
	return XXH3_64bits(v1, len - 8);
}

int store_record_decode(store_kind kind, const void *buf, size_t len, void *out)
{
	struct rbuf r = { buf, len, false };
	uint64_t etag;
	uint8_t version;
	int rc = 0;

	if (out == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (kind == STORE_KIND_TABLE)
		memset(out, 0, sizeof(store_table));
	version = get_u8(&r);
	if (version != STORE_RECORD_VERSION &&
	    !(kind == STORE_KIND_FILE && (version == STORE_FILE_RECORD_VERSION_MTIME ||
					  version == STORE_FILE_RECORD_VERSION_STATS)))
		return -EINVAL;
	etag = store_record_etag(kind, buf, len);
	switch (kind) {
	case STORE_KIND_DATABASE:
		decode_database(&r, out);
		((store_database *)out)->etag = etag;
		break;
	case STORE_KIND_TABLE:
		rc = decode_table(&r, out);
		if (rc != 0)
			return rc;
		((store_table *)out)->etag = etag;
		break;
	case STORE_KIND_PNODE:
		decode_pnode(&r, out);
		((store_pnode *)out)->etag = etag;
		break;
	case STORE_KIND_FILE:
		decode_file(&r, out, version);
		((store_file *)out)->etag = etag;
		break;
	default:
		return -EINVAL;
	}
	if (r.bad || r.left != 0) {
		if (kind == STORE_KIND_TABLE)
			store_table_clear(out);
		return -EINVAL;
	}
	return 0;
}

int store_event_decode(const void *buf, size_t len, store_event *out)
{
	struct rbuf r = { buf, len, false };
	uint8_t op, kind, origin;

	if (out == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	if (get_u8(&r) != STORE_RECORD_VERSION)
		return -EINVAL;
	out->seq = get_u64(&r);
	out->time_ns = (int64_t)get_u64(&r);
	op = get_u8(&r);
	kind = get_u8(&r);
	origin = get_u8(&r);
	out->object_id = get_u64(&r);
	out->parent_id = get_u64(&r);
	out->etag = get_u64(&r);
	get_str(&r, out->path, sizeof out->path - 1);
	if (r.bad || r.left != 0 || op < STORE_OP_CREATE || op > STORE_OP_DROP ||
	    kind < STORE_KIND_DATABASE || kind > STORE_KIND_FILE ||
	    origin < STORE_ORIGIN_FS || origin > STORE_ORIGIN_HMS)
		return -EINVAL;
	out->op = op;
	out->kind = kind;
	out->origin = origin;
	return 0;
}

void store_table_clear(store_table *t)
{
	if (t == NULL)
		return;
	free(t->columns);
	free(t->properties);
	t->columns = NULL;
	t->properties = NULL;
	t->ncolumns = 0;
	t->npartkeys = 0;
}

/* ---- column statistics -------------------------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int store_stat_value_cmp(store_type t, const uint8_t *a, size_t alen, const uint8_t *b,
			 size_t blen)
{
	switch (store_type_base(t)) {
	case STORE_TYPE_BOOLEAN:
		return (alen ? a[0] : 0) - (blen ? b[0] : 0);
	case STORE_TYPE_BIGINT:
	case STORE_TYPE_DATE:
	case STORE_TYPE_TIMESTAMP: {
		int64_t x = alen == 8 ? (int64_t)le64(a) : 0, y = blen == 8 ? (int64_t)le64(b) : 0;
		return (x > y) - (x < y);
	}
	case STORE_TYPE_DOUBLE: {
		uint64_t xb = alen == 8 ? le64(a) : 0, yb = blen == 8 ? le64(b) : 0;
		double x, y;
		memcpy(&x, &xb, sizeof x);
		memcpy(&y, &yb, sizeof y);
		if (x != x || y != y)
			return (x != x) - (y != y);
		return (x > y) - (x < y);
	}
	case STORE_TYPE_DECIMAL: {
		if (alen != 16 || blen != 16)
			return (int)alen - (int)blen;
		int64_t xh = (int64_t)le64(a + 8), yh = (int64_t)le64(b + 8);
		if (xh != yh)
			return (xh > yh) - (xh < yh);
		uint64_t xl = le64(a), yl = le64(b);
		return (xl > yl) - (xl < yl);
	}
	default: {
		int c = memcmp(a, b, alen < blen ? alen : blen);
		if (c)
			return c < 0 ? -1 : 1;
		return (alen > blen) - (alen < blen);
	}
	}
}

void store_colstat_merge(store_colstat *acc, const store_colstat *x)
{
	if (acc->column == UINT32_MAX && acc->flags == 0) {
		*acc = *x;
		return;
	}
	uint8_t f = acc->flags & x->flags;
	if ((f & STORE_STAT_MIN) &&
	    store_stat_value_cmp(x->type, x->min, x->min_len, acc->min, acc->min_len) < 0) {
		memcpy(acc->min, x->min, x->min_len);
		acc->min_len = x->min_len;
		acc->flags = (uint8_t)((acc->flags & ~STORE_STAT_MIN_TRUNCATED) |
				       (x->flags & STORE_STAT_MIN_TRUNCATED));
	}
	if ((f & STORE_STAT_MAX) &&
	    store_stat_value_cmp(x->type, x->max, x->max_len, acc->max, acc->max_len) > 0) {
		memcpy(acc->max, x->max, x->max_len);
		acc->max_len = x->max_len;
		acc->flags = (uint8_t)((acc->flags & ~STORE_STAT_MAX_TRUNCATED) |
				       (x->flags & STORE_STAT_MAX_TRUNCATED));
	}
	if (f & STORE_STAT_NULLS)
		acc->nulls += x->nulls;
	uint8_t keep = f & (STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS);
	if (!(keep & STORE_STAT_MIN))
		acc->flags &= (uint8_t)~STORE_STAT_MIN_TRUNCATED;
	if (!(keep & STORE_STAT_MAX))
		acc->flags &= (uint8_t)~STORE_STAT_MAX_TRUNCATED;
	acc->flags = (uint8_t)((acc->flags & (STORE_STAT_MIN_TRUNCATED | STORE_STAT_MAX_TRUNCATED)) |
			       keep);
}
