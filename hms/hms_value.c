/*
 * hms_value.c - Thrift values read whole into a tree (hms_value.h).
 */
#include "hms_value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct budget {
	uint32_t left;
} budget;

static int value_read(hms_reader *r, int type, hms_value *out, int depth, budget *b);

/* A new child of V, zeroed, counted against B.  The array grows as
 * children arrive, never by a length the wire announced, so memory follows
 * the bytes actually sent. */
static hms_value *child(hms_reader *r, hms_value *v, uint32_t *cap, budget *b)
{
	if (b->left < 1) {
		r->err = -EMSGSIZE;
		return NULL;
	}
	if (v->n == *cap) {
		uint32_t ncap = *cap ? 2 * *cap : 8;
		hms_value *nv = realloc(v->v, ncap * sizeof *nv);
		if (!nv) {
			r->err = -ENOMEM;
			return NULL;
		}
		v->v = nv;
		*cap = ncap;
	}
	b->left--;
	hms_value *c = &v->v[v->n++];
	memset(c, 0, sizeof *c);
	return c;
}

static int struct_read(hms_reader *r, hms_value *out, int depth, budget *b)
{
	uint32_t cap = 0;
	for (;;) {
		int t;
		int16_t id;
		if (hms_read_field_begin(r, &t, &id))
			return r->err;
		if (t == HMS_T_STOP)
			return 0;
		hms_value *f = child(r, out, &cap, b);
		if (!f)
			return r->err;
		value_read(r, t, f, depth + 1, b);
		f->id = id;
		if (r->err)
			return r->err;
	}
}

static int value_read(hms_reader *r, int type, hms_value *out, int depth, budget *b)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	if (depth > HMS_DEPTH_MAX)
		return r->err = -EMSGSIZE;
	switch (type) {
	case HMS_T_BOOL: {
		bool v;
		if (hms_read_bool(r, &v) == 0)
			out->i = v;
		return r->err;
	}
	case HMS_T_BYTE: {
		int8_t v;
		if (hms_read_byte(r, &v) == 0)
			out->i = v;
		return r->err;
	}
	case HMS_T_I16: {
		int16_t v;
		if (hms_read_i16(r, &v) == 0)
			out->i = v;
		return r->err;
	}
	case HMS_T_I32: {
		int32_t v;
		if (hms_read_i32(r, &v) == 0)
			out->i = v;
		return r->err;
	}
	case HMS_T_I64:
		hms_read_i64(r, &out->i);
		return r->err;
	case HMS_T_DOUBLE:
		hms_read_double(r, &out->d);
		return r->err;
	case HMS_T_STRING:
		hms_read_string(r, &out->s, &out->len);
		return r->err;
	case HMS_T_STRUCT:
		return struct_read(r, out, depth, b);
	case HMS_T_LIST:
	case HMS_T_SET: {
		uint32_t n, cap = 0;
		if (hms_read_list_begin(r, &out->elem_type, &n))
			return r->err;
		for (uint32_t i = 0; i < n; i++) {
			hms_value *e = child(r, out, &cap, b);
			if (!e || value_read(r, out->elem_type, e, depth + 1, b))
				return r->err;
		}
		return 0;
	}
	case HMS_T_MAP: {
		uint32_t n, cap = 0;
		if (hms_read_map_begin(r, &out->key_type, &out->elem_type, &n))
			return r->err;
		for (uint64_t i = 0; i < 2 * (uint64_t)n; i++) {
			hms_value *e = child(r, out, &cap, b);
			if (!e || value_read(r, i % 2 ? out->elem_type : out->key_type, e, depth + 1, b))
				return r->err;
		}
		return 0;
	}
	default:
		return r->err = -EPROTO;
	}
}

int hms_value_read(hms_reader *r, int type, hms_value *out)
{
	budget b = {HMS_VALUES_MAX};
	if (r->err) {
		memset(out, 0, sizeof *out);
		return r->err;
	}
	return value_read(r, type, out, 0, &b);
}

void hms_value_free(hms_value *v)
{
	if (!v)
		return;
	for (uint32_t i = 0; i < v->n; i++)
		hms_value_free(&v->v[i]);
	free(v->v);
	free(v->s);
	memset(v, 0, sizeof *v);
}

const hms_value *hms_field(const hms_value *s, int16_t id)
{
	if (!s || s->type != HMS_T_STRUCT)
		return NULL;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].id == id)
			return &s->v[i];
	return NULL;
}

char *hms_field_string(const hms_value *s, int16_t id)
{
	const hms_value *f = hms_field(s, id);
	return f && f->type == HMS_T_STRING ? f->s : NULL;
}

int64_t hms_field_int(const hms_value *s, int16_t id, int64_t def)
{
	const hms_value *f = hms_field(s, id);
	if (!f)
		return def;
	switch (f->type) {
	case HMS_T_BOOL: case HMS_T_BYTE: case HMS_T_I16: case HMS_T_I32: case HMS_T_I64:
		return f->i;
	default:
		return def;
	}
}

const hms_value *hms_field_list(const hms_value *s, int16_t id, int elem_type)
{
	const hms_value *f = hms_field(s, id);
	if (!f || (f->type != HMS_T_LIST && f->type != HMS_T_SET) ||
	    (f->n && f->elem_type != elem_type))
		return NULL;
	return f;
}
