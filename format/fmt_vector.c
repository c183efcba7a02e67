/*
 * fmt_vector.c - growth and appends of a column vector (fmt_vector.h).
 */
#include "fmt_vector.h"

#include "base_array.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t value_size(store_type t)
{
	switch (store_type_base(t)) {
	case STORE_TYPE_BOOLEAN:
		return 1;
	case STORE_TYPE_DOUBLE:
		return sizeof(double);
	case STORE_TYPE_DECIMAL:
		return sizeof(fmt_int128);
	case STORE_TYPE_STRING:
		return 0;
	default:
		return sizeof(int64_t);
	}
}

void fmt_vector_init(fmt_vector *v, store_type t)
{
	memset(v, 0, sizeof *v);
	v->type = t;
}

void fmt_vector_free(fmt_vector *v)
{
	store_type t = v->type;
	free(v->nulls);
	free(v->v.b);
	free(v->str_off);
	free(v->str);
	fmt_vector_init(v, t);
}

void fmt_vector_clear(fmt_vector *v)
{
	v->n = 0;
	v->str_len = 0;
}

int fmt_vector_reserve(fmt_vector *v, size_t n, size_t nbytes)
{
	size_t need = v->n + n;
	if (need < v->n)
		return -ENOMEM;
	void *p;
	if (need > v->cap) {
		/* parallel arrays grow from the same capacity to the same length */
		size_t cap = v->cap, c2 = v->cap;
		p = v->nulls;
		if (base_array_reserve(&p, &cap, need, 1))
			return -ENOMEM;
		v->nulls = p;
		size_t vs = value_size(v->type);
		if (vs) {
			p = v->v.b;
			if (base_array_reserve(&p, &c2, need, vs))
				return -ENOMEM;
			v->v.b = p;
		}
		v->cap = cap;
	}
	if (store_type_base(v->type) == STORE_TYPE_STRING && (need + 1 > v->off_cap || !v->str_off)) {
		/* one more offset than values */
		bool fresh = v->str_off == NULL;
		p = v->str_off;
		if (base_array_reserve(&p, &v->off_cap, need + 1, sizeof(uint64_t)))
			return -ENOMEM;
		v->str_off = p;
		if (fresh)
			v->str_off[0] = 0;
	}
	if (store_type_base(v->type) == STORE_TYPE_STRING && nbytes) {
		size_t bneed = v->str_len + nbytes;
		if (bneed < nbytes)
			return -ENOMEM;
		void *p = v->str;
		if (base_array_reserve(&p, &v->str_cap, bneed, 1))
			return -ENOMEM;
		v->str = p;
	}
	return 0;
}

int fmt_vector_push_null(fmt_vector *v)
{
	int rc = fmt_vector_reserve(v, 1, 0);
	if (rc)
		return rc;
	v->nulls[v->n] = 1;
	switch (store_type_base(v->type)) {
	case STORE_TYPE_STRING:
		v->str_off[v->n + 1] = v->str_len;
		break;
	case STORE_TYPE_BOOLEAN:
		v->v.b[v->n] = 0;
		break;
	case STORE_TYPE_DOUBLE:
		v->v.f64[v->n] = 0;
		break;
	case STORE_TYPE_DECIMAL:
		v->v.dec[v->n] = 0;
		break;
	default:
		v->v.i64[v->n] = 0;
		break;
	}
	v->n++;
	return 0;
}

int fmt_vector_push_bool(fmt_vector *v, bool x)
{
	assert(store_type_base(v->type) == STORE_TYPE_BOOLEAN);
	int rc = fmt_vector_reserve(v, 1, 0);
	if (rc)
		return rc;
	v->nulls[v->n] = 0;
	v->v.b[v->n++] = x ? 1 : 0;
	return 0;
}

int fmt_vector_push_i64(fmt_vector *v, int64_t x)
{
	assert(value_size(v->type) == sizeof(int64_t) && store_type_base(v->type) != STORE_TYPE_DOUBLE);
	int rc = fmt_vector_reserve(v, 1, 0);
	if (rc)
		return rc;
	v->nulls[v->n] = 0;
	v->v.i64[v->n++] = x;
	return 0;
}

int fmt_vector_push_f64(fmt_vector *v, double x)
{
	assert(store_type_base(v->type) == STORE_TYPE_DOUBLE);
	int rc = fmt_vector_reserve(v, 1, 0);
	if (rc)
		return rc;
	v->nulls[v->n] = 0;
	v->v.f64[v->n++] = x;
	return 0;
}

int fmt_vector_push_dec(fmt_vector *v, fmt_int128 x)
{
	assert(store_type_base(v->type) == STORE_TYPE_DECIMAL);
	int rc = fmt_vector_reserve(v, 1, 0);
	if (rc)
		return rc;
	v->nulls[v->n] = 0;
	v->v.dec[v->n++] = x;
	return 0;
}

int fmt_vector_push_str(fmt_vector *v, const void *s, size_t len)
{
	assert(store_type_base(v->type) == STORE_TYPE_STRING);
	int rc = fmt_vector_reserve(v, 1, len);
	if (rc)
		return rc;
	if (len)
		memcpy(v->str + v->str_len, s, len);
	v->str_len += len;
	v->nulls[v->n] = 0;
	v->str_off[++v->n] = v->str_len;
	return 0;
}

int fmt_vector_push_from(fmt_vector *v, const fmt_vector *src, size_t i)
{
	assert(store_type_base(v->type) == store_type_base(src->type));
	if (src->nulls[i])
		return fmt_vector_push_null(v);
	switch (store_type_base(v->type)) {
	case STORE_TYPE_STRING: {
		size_t len;
		const char *s = fmt_vector_str(src, i, &len);
		return fmt_vector_push_str(v, s, len);
	}
	case STORE_TYPE_BOOLEAN:
		return fmt_vector_push_bool(v, src->v.b[i]);
	case STORE_TYPE_DOUBLE:
		return fmt_vector_push_f64(v, src->v.f64[i]);
	case STORE_TYPE_DECIMAL:
		return fmt_vector_push_dec(v, src->v.dec[i]);
	default:
		return fmt_vector_push_i64(v, src->v.i64[i]);
	}
}

bool fmt_vector_value_equal(const fmt_vector *a, size_t i, const fmt_vector *b, size_t j)
{
	if (store_type_base(a->type) != store_type_base(b->type))
		return false;
	if (a->nulls[i] || b->nulls[j])
		return a->nulls[i] && b->nulls[j];
	switch (store_type_base(a->type)) {
	case STORE_TYPE_STRING: {
		size_t la, lb;
		const char *sa = fmt_vector_str(a, i, &la), *sb = fmt_vector_str(b, j, &lb);
		return la == lb && (la == 0 || memcmp(sa, sb, la) == 0);
	}
	case STORE_TYPE_BOOLEAN:
		return a->v.b[i] == b->v.b[j];
	case STORE_TYPE_DOUBLE:
		return memcmp(&a->v.f64[i], &b->v.f64[j], sizeof(double)) == 0;
	case STORE_TYPE_DECIMAL:
		return a->v.dec[i] == b->v.dec[j];
	default:
		return a->v.i64[i] == b->v.i64[j];
	}
}
