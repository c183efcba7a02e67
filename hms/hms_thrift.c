/*
 * hms_thrift.c - the Thrift binary protocol (see hms_thrift.h).  All
 * integers are big-endian; a string is an i32 length and its bytes; a
 * field is a type byte and an i16 id; a list or set an element type byte
 * and an i32 count; a map two type bytes and an i32 count.
 */
#include "hms_thrift.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FILL_CAP 65536
#define STRICT_VERSION 0x80010000u
#define VERSION_MASK 0xffff0000u

void hms_reader_init_mem(hms_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof *r);
	r->data = data;
	r->len = len;
}

int hms_reader_init_fill(hms_reader *r, hms_fill_fn fill, void *arg)
{
	memset(r, 0, sizeof *r);
	r->buf = malloc(FILL_CAP);
	if (!r->buf)
		return -ENOMEM;
	r->cap = FILL_CAP;
	r->data = r->buf;
	r->fill = fill;
	r->fill_arg = arg;
	return 0;
}

void hms_reader_free(hms_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->data = NULL;
}

bool hms_reader_buffered(const hms_reader *r)
{
	return r->pos < r->len;
}

static int fail(hms_reader *r, int err)
{
	if (!r->err)
		r->err = err;
	return r->err;
}

/* Copy N bytes to DST (NULL: drop them), filling as needed. */
static int take(hms_reader *r, void *dst, size_t n)
{
	uint8_t *d = dst;
	if (r->err)
		return r->err;
	while (n > 0) {
		if (r->pos == r->len) {
			if (!r->fill)
				return fail(r, -EPIPE);
			long got = r->fill(r->fill_arg, r->buf, r->cap);
			if (got < 0)
				return fail(r, (int)got);
			if (got == 0)
				return fail(r, -EPIPE);
			r->data = r->buf;
			r->pos = 0;
			r->len = (size_t)got;
		}
		size_t k = r->len - r->pos;
		if (k > n)
			k = n;
		if (d) {
			memcpy(d, r->data + r->pos, k);
			d += k;
		}
		r->pos += k;
		n -= k;
	}
	return 0;
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int hms_read_byte(hms_reader *r, int8_t *v)
{
	uint8_t b = 0;
	int rc = take(r, &b, 1);
	*v = (int8_t)b;
	return rc;
}

int hms_read_bool(hms_reader *r, bool *v)
{
	int8_t b = 0;
	int rc = hms_read_byte(r, &b);
	*v = b != 0;
	return rc;
}

int hms_read_i16(hms_reader *r, int16_t *v)
{
	uint8_t b[2] = {0};
	int rc = take(r, b, 2);
	*v = (int16_t)(uint16_t)((unsigned)b[0] << 8 | b[1]);
	return rc;
}

int hms_read_i32(hms_reader *r, int32_t *v)
{
	uint8_t b[4] = {0};
	int rc = take(r, b, 4);
	*v = (int32_t)be32(b);
	return rc;
}

int hms_read_i64(hms_reader *r, int64_t *v)
{
	uint8_t b[8] = {0};
	int rc = take(r, b, 8);
	*v = (int64_t)((uint64_t)be32(b) << 32 | be32(b + 4));
	return rc;
}

int hms_read_double(hms_reader *r, double *v)
{
	int64_t bits = 0;
	int rc = hms_read_i64(r, &bits);
	memcpy(v, &bits, sizeof *v);
	return rc;
}

/* A length: not negative, at most MAX. */
static int read_length(hms_reader *r, uint32_t max, uint32_t *n)
{
	int32_t v = 0;
	*n = 0;
	if (hms_read_i32(r, &v))
		return r->err;
	if (v < 0)
		return fail(r, -EPROTO);
	if ((uint32_t)v > max)
		return fail(r, -EMSGSIZE);
	*n = (uint32_t)v;
	return 0;
}

static int read_string_body(hms_reader *r, uint32_t n, char **out, uint32_t *len)
{
	char *s = malloc((size_t)n + 1);
	if (!s)
		return fail(r, -ENOMEM);
	if (take(r, s, n)) {
		free(s);
		return r->err;
	}
	s[n] = '\0';
	*out = s;
	if (len)
		*len = n;
	return 0;
}

int hms_read_string(hms_reader *r, char **out, uint32_t *len)
{
	uint32_t n;
	*out = NULL;
	if (read_length(r, HMS_STRING_MAX, &n))
		return r->err;
	return read_string_body(r, n, out, len);
}

static bool type_valid(int t)
{
	switch (t) {
	case HMS_T_BOOL: case HMS_T_BYTE: case HMS_T_DOUBLE: case HMS_T_I16: case HMS_T_I32:
	case HMS_T_I64: case HMS_T_STRING: case HMS_T_STRUCT: case HMS_T_MAP: case HMS_T_SET:
	case HMS_T_LIST:
		return true;
	default:
		return false;
	}
}

int hms_read_message_begin(hms_reader *r, char **name, int *type, int32_t *seqid)
{
	int32_t first = 0;
	*name = NULL;
	*type = 0;
	*seqid = 0;
	if (hms_read_i32(r, &first))
		return r->err;
	if (first < 0) {
		if (((uint32_t)first & VERSION_MASK) != STRICT_VERSION)
			return fail(r, -EPROTO);
		*type = (int)((uint32_t)first & 0xffu);
		if (hms_read_string(r, name, NULL))
			return r->err;
	} else {
		if ((uint32_t)first > HMS_STRING_MAX)
			return fail(r, -EMSGSIZE);
		if (read_string_body(r, (uint32_t)first, name, NULL))
			return r->err;
		int8_t t = 0;
		if (hms_read_byte(r, &t))
			goto bad;
		*type = t;
	}
	if (hms_read_i32(r, seqid))
		goto bad;
	if (*type < HMS_CALL || *type > HMS_ONEWAY) {
		fail(r, -EPROTO);
		goto bad;
	}
	return 0;
bad:
	free(*name);
	*name = NULL;
	return r->err;
}

int hms_read_field_begin(hms_reader *r, int *type, int16_t *id)
{
	int8_t t = 0;
	*id = 0;
	*type = HMS_T_STOP;
	if (hms_read_byte(r, &t))
		return r->err;
	*type = t;
	if (t == HMS_T_STOP)
		return 0;
	if (!type_valid(t))
		return fail(r, -EPROTO);
	return hms_read_i16(r, id);
}

int hms_read_list_begin(hms_reader *r, int *elem_type, uint32_t *n)
{
	int8_t t = 0;
	*n = 0;
	if (hms_read_byte(r, &t))
		return r->err;
	*elem_type = t;
	if (!type_valid(t))
		return fail(r, -EPROTO);
	return read_length(r, HMS_ELEMS_MAX, n);
}

int hms_read_map_begin(hms_reader *r, int *key_type, int *value_type, uint32_t *n)
{
	int8_t k = 0, v = 0;
	*n = 0;
	if (hms_read_byte(r, &k) || hms_read_byte(r, &v))
		return r->err;
	*key_type = k;
	*value_type = v;
	if (read_length(r, HMS_ELEMS_MAX, n))
		return r->err;
	/* An empty map may carry no types (some writers send zeros). */
	if (*n > 0 && (!type_valid(k) || !type_valid(v)))
		return fail(r, -EPROTO);
	return 0;
}

static int skip_depth(hms_reader *r, int type, int depth)
{
	if (depth > HMS_DEPTH_MAX)
		return fail(r, -EMSGSIZE);
	switch (type) {
	case HMS_T_BOOL: case HMS_T_BYTE: return take(r, NULL, 1);
	case HMS_T_I16: return take(r, NULL, 2);
	case HMS_T_I32: return take(r, NULL, 4);
	case HMS_T_DOUBLE: case HMS_T_I64: return take(r, NULL, 8);
	case HMS_T_STRING: {
		uint32_t n;
		if (read_length(r, HMS_STRING_MAX, &n))
			return r->err;
		return take(r, NULL, n);
	}
	case HMS_T_STRUCT:
		for (;;) {
			int t;
			int16_t id;
			if (hms_read_field_begin(r, &t, &id))
				return r->err;
			if (t == HMS_T_STOP)
				return 0;
			if (skip_depth(r, t, depth + 1))
				return r->err;
		}
	case HMS_T_LIST: case HMS_T_SET: {
		int et;
		uint32_t n;
		if (hms_read_list_begin(r, &et, &n))
			return r->err;
		for (uint32_t i = 0; i < n; i++)
			if (skip_depth(r, et, depth + 1))
				return r->err;
		return 0;
	}
	case HMS_T_MAP: {
		int kt, vt;
		uint32_t n;
		if (hms_read_map_begin(r, &kt, &vt, &n))
			return r->err;
		for (uint32_t i = 0; i < n; i++)
			if (skip_depth(r, kt, depth + 1) || skip_depth(r, vt, depth + 1))
				return r->err;
		return 0;
	}
	default:
		return fail(r, -EPROTO);
	}
}

int hms_skip(hms_reader *r, int type)
{
	if (r->err)
		return r->err;
	return skip_depth(r, type, 0);
}

/* ---- writing ------------------------------------------------------------------- */

void hms_writer_init(hms_writer *w)
{
	memset(w, 0, sizeof *w);
}

void hms_writer_free(hms_writer *w)
{
	free(w->data);
	memset(w, 0, sizeof *w);
}

void hms_writer_reset(hms_writer *w)
{
	w->len = 0;
	w->err = 0;
}

static void put(hms_writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *d = realloc(w->data, cap);
		if (!d) {
			w->err = -ENOMEM;
			return;
		}
		w->data = d;
		w->cap = cap;
	}
	memcpy(w->data + w->len, p, n);
	w->len += n;
}

void hms_write_byte(hms_writer *w, int8_t v)
{
	put(w, &v, 1);
}

void hms_write_bool(hms_writer *w, bool v)
{
	hms_write_byte(w, v ? 1 : 0);
}

void hms_write_i16(hms_writer *w, int16_t v)
{
	uint8_t b[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
	put(w, b, 2);
}

void hms_write_i32(hms_writer *w, int32_t v)
{
	uint32_t u = (uint32_t)v;
	uint8_t b[4] = {(uint8_t)(u >> 24), (uint8_t)(u >> 16), (uint8_t)(u >> 8), (uint8_t)u};
	put(w, b, 4);
}

void hms_write_i64(hms_writer *w, int64_t v)
{
	uint64_t u = (uint64_t)v;
	hms_write_i32(w, (int32_t)(uint32_t)(u >> 32));
	hms_write_i32(w, (int32_t)(uint32_t)u);
}

void hms_write_double(hms_writer *w, double v)
{
	int64_t bits;
	memcpy(&bits, &v, sizeof bits);
	hms_write_i64(w, bits);
}

void hms_write_binary(hms_writer *w, const void *s, uint32_t len)
{
	hms_write_i32(w, (int32_t)len);
	put(w, s, len);
}

void hms_write_string(hms_writer *w, const char *s)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	if (n > HMS_STRING_MAX) {
		w->err = -EMSGSIZE;
		return;
	}
	hms_write_binary(w, s, (uint32_t)n);
}

void hms_write_message_begin(hms_writer *w, const char *name, int type, int32_t seqid,
			     bool old_style)
{
	if (old_style) {
		hms_write_string(w, name);
		hms_write_byte(w, (int8_t)type);
	} else {
		hms_write_i32(w, (int32_t)(STRICT_VERSION | (uint32_t)type));
		hms_write_string(w, name);
	}
	hms_write_i32(w, seqid);
}

void hms_write_field_begin(hms_writer *w, int type, int16_t id)
{
	hms_write_byte(w, (int8_t)type);
	hms_write_i16(w, id);
}

void hms_write_field_stop(hms_writer *w)
{
	hms_write_byte(w, HMS_T_STOP);
}

void hms_write_list_begin(hms_writer *w, int elem_type, uint32_t n)
{
	hms_write_byte(w, (int8_t)elem_type);
	hms_write_i32(w, (int32_t)n);
}

void hms_write_map_begin(hms_writer *w, int key_type, int value_type, uint32_t n)
{
	hms_write_byte(w, (int8_t)key_type);
	hms_write_byte(w, (int8_t)value_type);
	hms_write_i32(w, (int32_t)n);
}

void hms_write_string_field(hms_writer *w, int16_t id, const char *s)
{
	hms_write_field_begin(w, HMS_T_STRING, id);
	hms_write_string(w, s);
}
