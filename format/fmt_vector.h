/*
 * fmt_vector.h - one column of values in memory, the unit every file format
 * of format/ reads into and writes from.
 *
 * A vector holds N values of one metafs type (store_type) and a NULL flag
 * per value.  The storage depends on the base type:
 *   BOOLEAN                      b[i]    0 or 1
 *   BIGINT, DATE, TIMESTAMP      i64[i]  the integer; DATE in days since
 *                                        1970-01-01, TIMESTAMP in
 *                                        microseconds since the epoch (UTC),
 *                                        as the SQL engine keeps them
 *   DOUBLE                       f64[i]
 *   DECIMAL(p,s)                 dec[i]  the unscaled value (v x 10^-s)
 *   STRING                       bytes from str_off[i] to str_off[i+1] of str
 *                                (not NUL-terminated, any bytes)
 * A NULL value's slot holds zero (the empty string for STRING), so two
 * vectors with the same values compare equal slot by slot.
 *
 * The vector owns all of its arrays (fmt_vector_free).  Appends grow the
 * arrays by doubling and return 0 or -ENOMEM; after a failed append the
 * vector is unchanged.
 */
#ifndef METAFS_FMT_VECTOR_H
#define METAFS_FMT_VECTOR_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__extension__ typedef __int128 fmt_int128;

typedef struct fmt_vector {
	store_type type;
	size_t n;
	size_t cap;
	uint8_t *nulls;          /* n flags: 1 is NULL */
	union {
		uint8_t *b;
		int64_t *i64;
		double *f64;
		fmt_int128 *dec;
	} v;                     /* n values (unused for STRING) */
	uint64_t *str_off;       /* STRING: n + 1 offsets into str */
	size_t off_cap;
	char *str;               /* STRING: the bytes of all values */
	size_t str_len, str_cap;
} fmt_vector;

/* An empty vector of type T (no allocation yet). */
void fmt_vector_init(fmt_vector *v, store_type t);
/* Free the arrays; V is empty again, of the same type. */
void fmt_vector_free(fmt_vector *v);
/* Drop the values, keeping the arrays for reuse. */
void fmt_vector_clear(fmt_vector *v);
/* Make room for N more values (and, for STRING, NBYTES more bytes). */
int fmt_vector_reserve(fmt_vector *v, size_t n, size_t nbytes);

/* Append one value; the type of the call must fit the vector's base type
 * (asserted): _bool for BOOLEAN, _i64 for BIGINT/DATE/TIMESTAMP, _f64 for
 * DOUBLE, _dec for DECIMAL, _str for STRING. */
int fmt_vector_push_null(fmt_vector *v);
int fmt_vector_push_bool(fmt_vector *v, bool x);
int fmt_vector_push_i64(fmt_vector *v, int64_t x);
int fmt_vector_push_f64(fmt_vector *v, double x);
int fmt_vector_push_dec(fmt_vector *v, fmt_int128 x);
int fmt_vector_push_str(fmt_vector *v, const void *s, size_t len);
/* Append value I of SRC (same base type as V), NULL or not. */
int fmt_vector_push_from(fmt_vector *v, const fmt_vector *src, size_t i);

static inline bool fmt_vector_is_null(const fmt_vector *v, size_t i)
{
	return v->nulls[i] != 0;
}
/* The bytes of string value I (borrowed: valid until V changes). */
static inline const char *fmt_vector_str(const fmt_vector *v, size_t i, size_t *len)
{
	*len = (size_t)(v->str_off[i + 1] - v->str_off[i]);
	return v->str ? v->str + v->str_off[i] : "";   /* no bytes yet: all empty */
}

/* Whether value I of A and value J of B are the same (both NULL counts as
 * the same; doubles compare by bits, so NaN equals itself). */
bool fmt_vector_value_equal(const fmt_vector *a, size_t i, const fmt_vector *b, size_t j);

#endif
