/*
 * sql_value.c - values: casts, comparison, text rendering, the calendar
 * (DATE and TIMESTAMP parse and format), exact DECIMAL arithmetic and
 * Spark's decimal result types, the common type of two operands, and the
 * table of scalar functions with their result types.
 *
 * Semantics follow Spark's non-ANSI mode, because jobs are written against
 * Spark and must give the same answers here:
 *   - a cast of a string that does not parse yields NULL, not an error;
 *   - double to bigint truncates toward zero and saturates, as Java's (long);
 *   - doubles render as Java's Double.toString does (1.0, 1.0E10, NaN);
 *   - NaN sorts above every other double and equals itself, -0.0 equals 0.0;
 *   - a decimal that does not fit its type is NULL; decimals round HALF_UP.
 * Dates are days since 1970-01-01 in the proleptic Gregorian calendar;
 * timestamps are microseconds since the epoch, always UTC (there is no
 * session time zone).
 */
#include "base_date.h"
#include "fmt_text.h"
#include "sql_int.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#define SQL_US_PER_DAY INT64_C(86400000000)

/* ---- calendar --------------------------------------------------------------- */

/* Floor division: dates before 1970 have negative day numbers and must still
 * land on the right day. */
static int64_t sql_floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Read 1..MAX digits at *P (below END) into *OUT. */
static bool sql_digits(const char **p, const char *end, int max, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	while (*p < end && n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0;
}

static void sql_trim_space(const char **s, const char **end)
{
	while (*s < *end && isspace((unsigned char)**s))
		(*s)++;
	while (*end > *s && isspace((unsigned char)(*end)[-1]))
		(*end)--;
}

/* "YYYY-MM-DD" (month and day may have one digit, as Spark allows); leaves
 * *P after the day. */
static int sql_date_parse_prefix(const char **p, const char *end, int64_t *days)
{
	int64_t y, m, d;
	bool neg = false;

	if (*p < end && (**p == '-' || **p == '+')) {
		neg = **p == '-';
		(*p)++;
	}
	const char *ys = *p;
	if (!sql_digits(p, end, 6, &y) || *p - ys < 4)
		return -EINVAL;
	if (neg)
		y = -y;
	if (*p >= end || **p != '-')
		return -EINVAL;
	(*p)++;
	if (!sql_digits(p, end, 2, &m) || m < 1 || m > 12)
		return -EINVAL;
	if (*p >= end || **p != '-')
		return -EINVAL;
	(*p)++;
	if (!sql_digits(p, end, 2, &d) || d < 1 || d > base_date_month_days(y, (unsigned)m))
		return -EINVAL;
	*days = base_date_to_days(y, (unsigned)m, (unsigned)d);
	return 0;
}

/* A date; like Spark's cast, text after the date that starts with a space or
 * 'T' (a time of day) is accepted and ignored. */
int sql_date_parse(const char *s, size_t n, int64_t *days)
{
	const char *end = s + n;

	sql_trim_space(&s, &end);
	int rc = sql_date_parse_prefix(&s, end, days);
	if (rc)
		return rc;
	if (s < end && *s != ' ' && *s != 'T')
		return -EINVAL;
	return 0;
}

int sql_timestamp_parse(const char *s, size_t n, int64_t *micros)
{
	const char *end = s + n;
	int64_t days, h = 0, mi = 0, sec = 0, frac = 0;

	sql_trim_space(&s, &end);
	int rc = sql_date_parse_prefix(&s, end, &days);
	if (rc)
		return rc;
	if (s < end && (*s == ' ' || *s == 'T')) {
		s++;
		if (!sql_digits(&s, end, 2, &h) || h > 23)
			return -EINVAL;
		if (s >= end || *s != ':')
			return -EINVAL;
		s++;
		if (!sql_digits(&s, end, 2, &mi) || mi > 59)
			return -EINVAL;
		if (s < end && *s == ':') {
			s++;
			if (!sql_digits(&s, end, 2, &sec) || sec > 59)
				return -EINVAL;
			if (s < end && *s == '.') {
				s++;
				int nd = 0;
				while (s < end && isdigit((unsigned char)*s)) {
					if (nd < 6) {
						frac = frac * 10 + (*s - '0');
						nd++;
					}
					s++;
				}
				if (nd == 0)
					return -EINVAL;
				for (; nd < 6; nd++)
					frac *= 10;
			}
		}
		/* Only UTC is known; "Z" says so explicitly. */
		if (s < end && *s == 'Z')
			s++;
	}
	if (s != end)
		return -EINVAL;
	*micros = days * SQL_US_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
	return 0;
}

/* ---- doubles as Java prints them (fmt_double_text) ----------------------------- */

/* Spark rounds a double by way of its decimal text (BigDecimal(d.toString)),
 * so round(2.675, 2) is 2.68 even though 2.675 is stored a little below. */
static double sql_double_round(double d, int64_t scale)
{
	char digits[24], text[64];

	if (isnan(d) || isinf(d) || d == 0)
		return d;
	if (scale > 300)
		return d;
	if (scale < -330)
		return 0.0 * d;
	bool neg = d < 0;
	int e = fmt_double_digits(neg ? -d : d, digits);
	int nd = (int)strlen(digits);
	/* Keep digits before position KEEP = e + scale (0.DIGITS x 10^e). */
	int64_t keep = e + scale;
	if (keep >= nd)
		return d;
	if (keep < 0)
		return neg ? -0.0 : 0.0;
	int carry = keep < nd && digits[keep] >= '5';
	char r[26];
	r[0] = '0';
	memcpy(r + 1, digits, (size_t)keep);
	int len = (int)keep + 1;
	for (int i = len - 1; carry && i >= 0; i--) {
		if (r[i] == '9') {
			r[i] = '0';
		} else {
			r[i]++;
			carry = 0;
		}
	}
	r[len] = '\0';
	/* r holds the kept digits with one leading digit for the carry: the value is
	 * 0.r x 10^(e+1). */
	snprintf(text, sizeof text, "%s0.%se%d", neg ? "-" : "", r, e + 1);
	return strtod(text, NULL);
}

/* ---- decimals ------------------------------------------------------------------ */

/* A DECIMAL value is its unscaled integer (|u| < 10^precision <= 10^38, so
 * it fits a signed 128-bit integer) and the scale of its type.  Results are
 * computed exactly and then rounded HALF_UP (away from zero on a tie) to
 * the result type's scale; a result that does not fit the result type's
 * precision is NULL, as in Spark's non-ANSI mode.  Most operations fit in
 * 128 bits; when an exact intermediate does not (a product of two large
 * values, a division's scaled dividend, operands aligned to a large scale),
 * it is carried in a 384-bit magnitude, which holds any of them. */

__extension__ typedef unsigned __int128 sql_uint128;

static const sql_uint128 sql_p10[39] = {
#define SQL_P10(x) ((sql_uint128)(x))
	SQL_P10(UINT64_C(1)), SQL_P10(UINT64_C(10)), SQL_P10(UINT64_C(100)),
	SQL_P10(UINT64_C(1000)), SQL_P10(UINT64_C(10000)), SQL_P10(UINT64_C(100000)),
	SQL_P10(UINT64_C(1000000)), SQL_P10(UINT64_C(10000000)), SQL_P10(UINT64_C(100000000)),
	SQL_P10(UINT64_C(1000000000)), SQL_P10(UINT64_C(10000000000)),
	SQL_P10(UINT64_C(100000000000)), SQL_P10(UINT64_C(1000000000000)),
	SQL_P10(UINT64_C(10000000000000)), SQL_P10(UINT64_C(100000000000000)),
	SQL_P10(UINT64_C(1000000000000000)), SQL_P10(UINT64_C(10000000000000000)),
	SQL_P10(UINT64_C(100000000000000000)), SQL_P10(UINT64_C(1000000000000000000)),
	SQL_P10(UINT64_C(10000000000000000000)),
	SQL_P10(UINT64_C(10000000000000000000)) * 10u,
	SQL_P10(UINT64_C(10000000000000000000)) * 100u,
	SQL_P10(UINT64_C(10000000000000000000)) * 1000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 10000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 100000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 1000000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 10000000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 100000000u,
	SQL_P10(UINT64_C(10000000000000000000)) * 1000000000u,
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(10000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(100000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(1000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(10000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(100000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(1000000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(10000000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(100000000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(1000000000000000000),
	SQL_P10(UINT64_C(10000000000000000000)) * UINT64_C(10000000000000000000),
#undef SQL_P10
};

sql_int128 sql_decimal_pow10(unsigned n)
{
	return n <= 38 ? (sql_int128)sql_p10[n] : 0;
}

static sql_uint128 sql_dec_abs(sql_int128 v)
{
	return v < 0 ? (sql_uint128)0 - (sql_uint128)v : (sql_uint128)v;
}

/* M / D rounded HALF_UP (D > 0). */
static sql_uint128 sql_dec_div_round(sql_uint128 m, sql_uint128 d)
{
	sql_uint128 q = m / d, r = m % d;

	return r >= d - r ? q + 1 : q;
}

/* V (at scale FROM) at scale TO with at most PREC digits; false when it
 * does not fit.  Rounds HALF_UP when TO < FROM. */
static bool sql_dec_scale128(sql_int128 v, unsigned from, unsigned to, unsigned prec,
			     sql_int128 *out)
{
	sql_uint128 m = sql_dec_abs(v);

	if (to == from) {
		/* The common case: no change of scale, only the precision's check. */
	} else if (to > from) {
		if (to - from > 38 || __builtin_mul_overflow(m, sql_p10[to - from], &m))
			return false;
	} else {
		m = from - to > 38 ? 0 : sql_dec_div_round(m, sql_p10[from - to]);
	}
	if (prec > 38 || m >= sql_p10[prec])
		return false;
	*out = v < 0 ? -(sql_int128)m : (sql_int128)m;
	return true;
}

bool sql_decimal_rescale(sql_int128 v, unsigned from_scale, sql_type to, sql_int128 *out)
{
	return sql_dec_scale128(v, from_scale, sql_type_scale(to), sql_type_precision(to), out);
}

/* ---- 384-bit magnitudes, for exact intermediates --------------------------------- */

#define SQL_WIDE_LIMBS 12
typedef struct sql_wide {
	uint32_t w[SQL_WIDE_LIMBS];     /* little-endian */
} sql_wide;

static sql_wide sql_wide_from(sql_uint128 v)
{
	sql_wide r = {{0}};

	for (int i = 0; i < 4; i++, v >>= 32)
		r.w[i] = (uint32_t)v;
	return r;
}

static bool sql_wide_fits128(const sql_wide *a, sql_uint128 *out)
{
	sql_uint128 v = 0;

	for (int i = SQL_WIDE_LIMBS - 1; i >= 4; i--)
		if (a->w[i])
			return false;
	for (int i = 3; i >= 0; i--)
		v = (v << 32) | a->w[i];
	*out = v;
	return true;
}

static int sql_wide_cmp(const sql_wide *a, const sql_wide *b)
{
	for (int i = SQL_WIDE_LIMBS - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

static sql_wide sql_wide_add(const sql_wide *a, const sql_wide *b)
{
	sql_wide r;
	uint64_t c = 0;

	for (int i = 0; i < SQL_WIDE_LIMBS; i++) {
		c += (uint64_t)a->w[i] + b->w[i];
		r.w[i] = (uint32_t)c;
		c >>= 32;
	}
	return r;
}

/* A - B for A >= B. */
static sql_wide sql_wide_sub(const sql_wide *a, const sql_wide *b)
{
	sql_wide r;
	int64_t c = 0;

	for (int i = 0; i < SQL_WIDE_LIMBS; i++) {
		c += (int64_t)a->w[i] - (int64_t)b->w[i];
		r.w[i] = (uint32_t)c;
		c = c < 0 ? -1 : 0;
	}
	return r;
}

/* The low 384 bits of A x B (callers keep products below 2^384). */
static sql_wide sql_wide_mul(const sql_wide *a, const sql_wide *b)
{
	sql_wide r = {{0}};

	for (int i = 0; i < SQL_WIDE_LIMBS; i++) {
		uint64_t c = 0;
		if (!a->w[i])
			continue;
		for (int j = 0; i + j < SQL_WIDE_LIMBS; j++) {
			c += (uint64_t)a->w[i] * b->w[j] + r.w[i + j];
			r.w[i + j] = (uint32_t)c;
			c >>= 32;
		}
	}
	return r;
}

static sql_wide sql_wide_pow10(unsigned n)
{
	sql_wide r = sql_wide_from(sql_p10[n > 38 ? 38 : n]);

	while (n > 38) {
		unsigned k = n - 38 > 38 ? 38 : n - 38;
		sql_wide f = sql_wide_from(sql_p10[k]);
		r = sql_wide_mul(&r, &f);
		n -= k;
	}
	return r;
}

static bool sql_wide_bit(const sql_wide *a, int i)
{
	return (a->w[i / 32] >> (i % 32)) & 1u;
}

static void sql_wide_shl1(sql_wide *a)
{
	for (int i = SQL_WIDE_LIMBS - 1; i > 0; i--)
		a->w[i] = (a->w[i] << 1) | (a->w[i - 1] >> 31);
	a->w[0] <<= 1;
}

/* Q = A / D and R = A % D (D > 0): shift and subtract, from A's top bit. */
static void sql_wide_divmod(const sql_wide *a, const sql_wide *d, sql_wide *q, sql_wide *r)
{
	int top = SQL_WIDE_LIMBS * 32 - 1;

	*q = (sql_wide){{0}};
	*r = (sql_wide){{0}};
	while (top >= 0 && !sql_wide_bit(a, top))
		top--;
	for (int i = top; i >= 0; i--) {
		sql_wide_shl1(r);
		r->w[0] |= sql_wide_bit(a, i);
		if (sql_wide_cmp(r, d) >= 0) {
			*r = sql_wide_sub(r, d);
			q->w[i / 32] |= 1u << (i % 32);
		}
	}
}

/* N / D rounded HALF_UP. */
static sql_wide sql_wide_div_round(const sql_wide *n, const sql_wide *d)
{
	sql_wide q, r, rest, one = sql_wide_from(1);

	sql_wide_divmod(n, d, &q, &r);
	rest = sql_wide_sub(d, &r);
	if (sql_wide_cmp(&r, &rest) >= 0)
		q = sql_wide_add(&q, &one);
	return q;
}

/* The exact value NEG, M x 10^-SCALE as a value of decimal type T. */
static bool sql_wide_finish(bool neg, sql_wide m, unsigned scale, sql_type t, sql_int128 *out)
{
	unsigned ts = sql_type_scale(t), tp = sql_type_precision(t);
	sql_uint128 v;

	if (ts < scale) {
		sql_wide d = sql_wide_pow10(scale - ts);
		m = sql_wide_div_round(&m, &d);
		scale = ts;
	}
	if (!sql_wide_fits128(&m, &v) || v >= sql_p10[38])
		return false;
	return sql_dec_scale128(neg ? -(sql_int128)v : (sql_int128)v, scale, ts, tp, out);
}

/* ---- decimal operations ------------------------------------------------------------ */

/* Spark's DecimalType.adjustPrecisionScale with allowPrecisionLoss: a
 * precision above 38 keeps the integral digits and gives up scale, down to
 * min(scale, 6). */
sql_type sql_decimal_adjust(int p, int s)
{
	if (p <= SQL_DECIMAL_MAX_PRECISION)
		return sql_type_decimal((unsigned)p, (unsigned)s);
	int intdigits = p - s, minscale = s < 6 ? s : 6;
	int scale = SQL_DECIMAL_MAX_PRECISION - intdigits;
	if (scale < minscale)
		scale = minscale;
	return sql_type_decimal(SQL_DECIMAL_MAX_PRECISION, (unsigned)scale);
}

/* Spark's DecimalType.bounded: both capped at 38. */
sql_type sql_decimal_bounded(int p, int s)
{
	if (p > SQL_DECIMAL_MAX_PRECISION)
		p = SQL_DECIMAL_MAX_PRECISION;
	if (s > SQL_DECIMAL_MAX_PRECISION)
		s = SQL_DECIMAL_MAX_PRECISION;
	return sql_type_decimal((unsigned)p, (unsigned)s);
}

sql_type sql_decimal_result_type(sql_op op, sql_type a, sql_type b)
{
	int p1 = (int)sql_type_precision(a), s1 = (int)sql_type_scale(a);
	int p2 = (int)sql_type_precision(b), s2 = (int)sql_type_scale(b);
	int s, p;

	switch (op) {
	case SQL_OP_ADD:
	case SQL_OP_SUB:
		s = s1 > s2 ? s1 : s2;
		p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s + 1;
		return sql_decimal_adjust(p, s);
	case SQL_OP_MUL:
		return sql_decimal_adjust(p1 + p2 + 1, s1 + s2);
	case SQL_OP_DIV:
		s = s1 + p2 + 1 > 6 ? s1 + p2 + 1 : 6;
		return sql_decimal_adjust(p1 - s1 + s2 + s, s);
	case SQL_OP_MOD:
		s = s1 > s2 ? s1 : s2;
		p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
		return sql_decimal_adjust(p, s);
	default:
		return a;
	}
}

sql_type sql_decimal_wider(sql_type a, sql_type b)
{
	int p1 = (int)sql_type_precision(a), s1 = (int)sql_type_scale(a);
	int p2 = (int)sql_type_precision(b), s2 = (int)sql_type_scale(b);
	int s = s1 > s2 ? s1 : s2, range = p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2;

	return sql_decimal_bounded(range + s, s);
}

/* Signed aligned addition in wide magnitudes. */
static void sql_wide_signed_add(bool xn, const sql_wide *x, bool yn, const sql_wide *y, bool *rn,
				sql_wide *r)
{
	if (xn == yn) {
		*r = sql_wide_add(x, y);
		*rn = xn;
	} else if (sql_wide_cmp(x, y) >= 0) {
		*r = sql_wide_sub(x, y);
		*rn = xn;
	} else {
		*r = sql_wide_sub(y, x);
		*rn = yn;
	}
}

static int sql_decimal_arith_any(sql_op op, sql_int128 x, unsigned xs, sql_int128 y, unsigned ys,
				 sql_type t, sql_int128 *out);

int sql_decimal_arith(sql_op op, sql_int128 x, unsigned xs, sql_int128 y, unsigned ys, sql_type t,
		      sql_int128 *out)
{
	/* Operands within 64 bits (nearly every value read from a file): a
	 * product, or a sum after scaling by at most 10^18, is exact in 128
	 * bits, no overflow test needed. */
	if (x >= INT64_MIN && x <= INT64_MAX && y >= INT64_MIN && y <= INT64_MAX) {
		int64_t x64 = (int64_t)x, y64 = (int64_t)y;
		unsigned s = xs > ys ? xs : ys;
		switch (op) {
		case SQL_OP_MUL:
			return sql_dec_scale128((sql_int128)x64 * y64, xs + ys, sql_type_scale(t),
						sql_type_precision(t), out)
				       ? 0
				       : -ERANGE;
		case SQL_OP_ADD:
		case SQL_OP_SUB:
			if (s - xs <= 18 && s - ys <= 18) {
				sql_int128 a = (sql_int128)x64 * (int64_t)sql_p10[s - xs];
				sql_int128 b = (sql_int128)y64 * (int64_t)sql_p10[s - ys];
				return sql_dec_scale128(op == SQL_OP_ADD ? a + b : a - b, s,
							sql_type_scale(t), sql_type_precision(t), out)
					       ? 0
					       : -ERANGE;
			}
			break;
		default:
			break;
		}
	}
	return sql_decimal_arith_any(op, x, xs, y, ys, t, out);
}

static int sql_decimal_arith_any(sql_op op, sql_int128 x, unsigned xs, sql_int128 y, unsigned ys,
				 sql_type t, sql_int128 *out)
{
	unsigned s = xs > ys ? xs : ys, ts = sql_type_scale(t), tp = sql_type_precision(t);
	sql_int128 a, b, r;
	bool xn = x < 0, yn = y < 0, rn;
	sql_wide wx = sql_wide_from(sql_dec_abs(x)), wy = sql_wide_from(sql_dec_abs(y)), w;

	switch (op) {
	case SQL_OP_ADD:
	case SQL_OP_SUB:
		if (op == SQL_OP_SUB) {
			y = -y;
			yn = !yn && y != 0;
		}
		if (!__builtin_mul_overflow(x, (sql_int128)sql_p10[s - xs], &a) &&
		    !__builtin_mul_overflow(y, (sql_int128)sql_p10[s - ys], &b) &&
		    !__builtin_add_overflow(a, b, &r))
			return sql_dec_scale128(r, s, ts, tp, out) ? 0 : -ERANGE;
		{
			sql_wide fx = sql_wide_pow10(s - xs), fy = sql_wide_pow10(s - ys);
			wx = sql_wide_mul(&wx, &fx);
			wy = sql_wide_mul(&wy, &fy);
		}
		sql_wide_signed_add(xn, &wx, yn, &wy, &rn, &w);
		return sql_wide_finish(rn, w, s, t, out) ? 0 : -ERANGE;
	case SQL_OP_MUL:
		if (!__builtin_mul_overflow(x, y, &r))
			return sql_dec_scale128(r, xs + ys, ts, tp, out) ? 0 : -ERANGE;
		w = sql_wide_mul(&wx, &wy);
		return sql_wide_finish(xn != yn, w, xs + ys, t, out) ? 0 : -ERANGE;
	case SQL_OP_DIV: {
		if (y == 0)
			return -EDOM;
		/* x/10^xs / (y/10^ys) at scale ts is x x 10^(ts - xs + ys) / y. */
		int e = (int)sql_type_scale(t) - (int)xs + (int)ys;
		sql_uint128 m = sql_dec_abs(x), d = sql_dec_abs(y), q;
		if (e >= 0 ? (e <= 38 && !__builtin_mul_overflow(m, sql_p10[e], &m))
			   : (-e <= 38 && !__builtin_mul_overflow(d, sql_p10[-e], &d))) {
			q = sql_dec_div_round(m, d);
			if (q >= sql_p10[sql_type_precision(t)])
				return -ERANGE;
			*out = xn != yn ? -(sql_int128)q : (sql_int128)q;
			return 0;
		}
		if (e >= 0) {
			sql_wide f = sql_wide_pow10((unsigned)e);
			wx = sql_wide_mul(&wx, &f);
		} else {
			sql_wide f = sql_wide_pow10((unsigned)-e);
			wy = sql_wide_mul(&wy, &f);
		}
		w = sql_wide_div_round(&wx, &wy);
		return sql_wide_finish(xn != yn, w, sql_type_scale(t), t, out) ? 0 : -ERANGE;
	}
	case SQL_OP_MOD: {
		if (y == 0)
			return -EDOM;
		/* Java's BigDecimal.remainder: the sign of the dividend. */
		if (!__builtin_mul_overflow(x, (sql_int128)sql_p10[s - xs], &a) &&
		    !__builtin_mul_overflow(y, (sql_int128)sql_p10[s - ys], &b))
			return sql_dec_scale128(a % b, s, ts, tp, out) ? 0 : -ERANGE;
		sql_wide fx = sql_wide_pow10(s - xs), fy = sql_wide_pow10(s - ys), q, rem;
		wx = sql_wide_mul(&wx, &fx);
		wy = sql_wide_mul(&wy, &fy);
		sql_wide_divmod(&wx, &wy, &q, &rem);
		return sql_wide_finish(xn, rem, s, t, out) ? 0 : -ERANGE;
	}
	default:
		return -EINVAL;
	}
}

int sql_decimal_compare(sql_int128 x, unsigned xs, sql_int128 y, unsigned ys)
{
	sql_int128 a = x, b = y;

	if (xs < ys && __builtin_mul_overflow(x, (sql_int128)sql_p10[ys - xs], &a))
		return x < 0 ? -1 : 1;   /* |x| x 10^k is beyond any decimal */
	if (ys < xs && __builtin_mul_overflow(y, (sql_int128)sql_p10[xs - ys], &b))
		return y < 0 ? 1 : -1;
	return a < b ? -1 : a > b;
}

/* Java's BigDecimal(String): [sign] digits [. digits] [e|E [sign] digits],
 * at least one digit; Spark trims spaces first.  Rounded HALF_UP to T's
 * scale; -EINVAL when it is not a number, -ERANGE when it does not fit T. */
int sql_decimal_parse(const char *s, size_t n, sql_type t, sql_int128 *out)
{
	const char *end = s + n;
	char sig[80];
	size_t nsig = 0;
	long frac = 0, exp = 0, ignored = 0;
	bool neg = false, any = false, point = false;
	unsigned ts = sql_type_scale(t), tp = sql_type_precision(t);

	{
		/* The common form first: [-]digits[.digits], at most 18 digits
		 * and no more fraction digits than the scale: exact in 64 bits,
		 * nothing to round.  Anything else takes the general path. */
		const char *p = s;
		bool fneg = p < end && *p == '-', fpoint = false;
		uint64_t m = 0;
		unsigned nd = 0, nf = 0;
		for (p += fneg; p < end; p++) {
			unsigned d = (unsigned)(unsigned char)*p - '0';
			if (d < 10) {
				m = m * 10 + d;
				nd++;
				nf += fpoint;
			} else if (*p == '.' && !fpoint) {
				fpoint = true;
			} else {
				break;
			}
		}
		if (p == end && nd > 0 && nd <= 18 && nf <= ts && tp <= 38) {
			sql_uint128 v;
			if (__builtin_mul_overflow((sql_uint128)m, sql_p10[ts - nf], &v) || v >= sql_p10[tp])
				return -ERANGE;
			*out = fneg ? -(sql_int128)v : (sql_int128)v;
			return 0;
		}
	}
	sql_trim_space(&s, &end);
	if (s < end && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
	}
	for (; s < end; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			break;
		any = true;
		if (point)
			frac++;
		if (nsig == 0 && *s == '0')
			continue;          /* leading zeros carry no digit */
		if (nsig < sizeof sig)
			sig[nsig++] = *s;
		else if (point)
			frac--;            /* beyond any rounding digit: only its place counts */
		else
			ignored++;
	}
	if (!any)
		return -EINVAL;
	if (s < end && (*s == 'e' || *s == 'E')) {
		bool eneg = false, edig = false;
		s++;
		if (s < end && (*s == '-' || *s == '+')) {
			eneg = *s == '-';
			s++;
		}
		for (; s < end && isdigit((unsigned char)*s); s++) {
			edig = true;
			if (exp < 100000)
				exp = exp * 10 + (*s - '0');
		}
		if (!edig)
			return -EINVAL;
		if (eneg)
			exp = -exp;
	}
	if (s != end)
		return -EINVAL;
	/* value = SIG x 10^(exp + ignored - frac); we want it x 10^ts. */
	long k = exp + ignored - frac + (long)ts;
	bool up = false;
	if (k < 0) {
		long drop = -k;
		if ((long)nsig < drop) {
			up = (long)nsig == drop && nsig > 0 && sig[0] >= '5';
			nsig = 0;
		} else {
			nsig -= (size_t)drop;
			up = sig[nsig] >= '5';
		}
		k = 0;
	}
	if (nsig > 38)
		return -ERANGE;
	sql_uint128 m = 0;
	for (size_t i = 0; i < nsig; i++)
		m = m * 10 + (sql_uint128)(sig[i] - '0');
	if (up)
		m++;
	if (nsig > 0 || up) {
		if (k > 38 || __builtin_mul_overflow(m, sql_p10[k], &m))
			return -ERANGE;
	}
	if (m >= sql_p10[tp])
		return -ERANGE;
	*out = neg ? -(sql_int128)m : (sql_int128)m;
	return 0;
}

/* A bigint as decimal(20,0) (or T, when given): 0, or -ERANGE. */
static int sql_decimal_from_bigint(int64_t i, sql_type t, sql_int128 *out)
{
	return sql_dec_scale128(i, 0, sql_type_scale(t), sql_type_precision(t), out) ? 0 : -ERANGE;
}

double sql_decimal_to_double(sql_int128 v, unsigned scale)
{
	static const double p10d[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
					1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
					1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	char buf[64];

	/* Both exact doubles: one correctly rounded division, as BigDecimal's
	 * doubleValue gives. */
	if (scale <= 22 && sql_dec_abs(v) <= ((sql_uint128)1 << 53))
		return (double)v / p10d[scale];
	fmt_decimal_text(v, scale, buf);
	return strtod(buf, NULL);
}

/* ---- casts ----------------------------------------------------------------------- */

/* Text for a cast to string when the caller gives no arena: a small ring of
 * per-thread buffers, enough for the few values of one expression.  Only
 * non-string values render here, and they fit in 64 bytes. */
static char *sql_scratch_text(void)
{
	static _Thread_local char ring[16][64];
	static _Thread_local unsigned next;

	return ring[next++ % 16];
}

static size_t sql_value_text(const sql_value *v, char *buf)
{
	if (sql_type_is_decimal(v->type))
		return fmt_decimal_text(v->u.dec, sql_type_scale(v->type), buf);
	switch (v->type) {
	case SQL_TYPE_BIGINT:
		return (size_t)snprintf(buf, 32, "%" PRId64, v->u.i);
	case SQL_TYPE_DOUBLE:
		return fmt_double_text(v->u.d, buf);
	case SQL_TYPE_BOOLEAN:
		return (size_t)snprintf(buf, 32, "%s", v->u.b ? "true" : "false");
	case SQL_TYPE_DATE:
		return fmt_date_text(v->u.i, buf);
	case SQL_TYPE_TIMESTAMP:
		return fmt_timestamp_text(v->u.i, buf);
	default:
		buf[0] = '\0';
		return 0;
	}
}

/* Spark's UTF8String.toLong: optional sign, digits, and a fraction that is
 * dropped ("1.9" is 1); overflow or anything else is not a number. */
static bool sql_text_to_bigint(const char *s, size_t n, int64_t *out)
{
	const char *end = s + n;

	sql_trim_space(&s, &end);
	if (s == end)
		return false;
	bool neg = false;
	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	bool any = false;
	for (; s < end && isdigit((unsigned char)*s); s++) {
		unsigned dg = (unsigned)(*s - '0');
		if (v > (limit - dg) / 10)
			return false;
		v = v * 10 + dg;
		any = true;
	}
	if (s < end && *s == '.') {
		s++;
		for (; s < end && isdigit((unsigned char)*s); s++)
			any = true;
	}
	if (!any || s != end)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

bool sql_double_parse(const char *s, size_t n, double *out)
{
	char buf[128];

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "NaN")) {
		*out = NAN;
		return true;
	}
	if (!strcmp(buf, "Infinity") || !strcmp(buf, "-Infinity")) {
		*out = buf[0] == '-' ? -INFINITY : INFINITY;
		return true;
	}
	/* strtod would take hex floats and "inf"/"nan" words Spark refuses. */
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)buf[i]) && !strchr("+-.eE", buf[i]))
			return false;
	char *end;
	*out = strtod(buf, &end);
	return end == buf + n;
}

/* A cast from string, like Spark's, ignores spaces around the number and
 * also takes "+Infinity". */
static bool sql_text_to_double(const char *s, size_t n, double *out)
{
	const char *end = s + n;

	sql_trim_space(&s, &end);
	n = (size_t)(end - s);
	if (n == 9 && !memcmp(s, "+Infinity", 9)) {
		*out = INFINITY;
		return true;
	}
	return sql_double_parse(s, n, out);
}

static bool sql_text_to_boolean(const char *s, size_t n, bool *out)
{
	static const char *const yes[] = {"t", "true", "y", "yes", "1"};
	static const char *const no[] = {"f", "false", "n", "no", "0"};
	const char *end = s + n;

	sql_trim_space(&s, &end);
	n = (size_t)(end - s);
	for (size_t i = 0; i < 5; i++) {
		if (strlen(yes[i]) == n && !strncasecmp(s, yes[i], n)) {
			*out = true;
			return true;
		}
		if (strlen(no[i]) == n && !strncasecmp(s, no[i], n)) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Java's (long) of a double: truncation, saturation, NaN is 0. */
static int64_t sql_double_to_bigint(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* Casts to and from decimals (Spark, non-ANSI): a value that does not fit
 * the target decimal, or text that is no number, is NULL; to a smaller
 * scale rounds HALF_UP; decimal to bigint truncates toward zero (and keeps
 * the low 64 bits, as BigDecimal.longValue does); a double goes through its
 * shortest decimal text, as Spark's Decimal(double) does. */
static int sql_decimal_cast(const sql_value *v, sql_type type, sql_value *r)
{
	if (sql_type_is_decimal(type)) {
		int rc = 0;
		char buf[64];
		switch (v->type) {
		case SQL_TYPE_STRING:
			rc = sql_decimal_parse(v->u.s.ptr, v->u.s.len, type, &r->u.dec);
			break;
		case SQL_TYPE_BIGINT:
			rc = sql_decimal_from_bigint(v->u.i, type, &r->u.dec);
			break;
		case SQL_TYPE_BOOLEAN:
			rc = sql_decimal_from_bigint(v->u.b, type, &r->u.dec);
			break;
		case SQL_TYPE_TIMESTAMP:
			rc = sql_decimal_rescale(v->u.i, 6, type, &r->u.dec) ? 0 : -ERANGE;
			break;
		case SQL_TYPE_DOUBLE:
			if (isnan(v->u.d) || isinf(v->u.d)) {
				rc = -ERANGE;
				break;
			}
			fmt_double_text(v->u.d, buf);
			rc = sql_decimal_parse(buf, strlen(buf), type, &r->u.dec);
			break;
		default:
			if (!sql_type_is_decimal(v->type))
				return -EINVAL;
			rc = sql_decimal_rescale(v->u.dec, sql_type_scale(v->type), type, &r->u.dec)
				     ? 0 : -ERANGE;
			break;
		}
		r->null = rc != 0;
		return 0;
	}
	/* From a decimal to another type. */
	unsigned sc = sql_type_scale(v->type);
	switch (type) {
	case SQL_TYPE_STRING:
		return -EAGAIN;           /* the caller renders the text */
	case SQL_TYPE_BIGINT:
		r->u.i = (int64_t)(uint64_t)(sql_uint128)(v->u.dec / (sql_int128)sql_p10[sc]);
		return 0;
	case SQL_TYPE_DOUBLE:
		r->u.d = sql_decimal_to_double(v->u.dec, sc);
		return 0;
	case SQL_TYPE_BOOLEAN:
		r->u.b = v->u.dec != 0;
		return 0;
	case SQL_TYPE_TIMESTAMP: {
		sql_int128 us;
		if (!sql_dec_scale128(v->u.dec, sc, 6, 38, &us) || us > INT64_MAX || us < INT64_MIN)
			r->null = true;
		else
			r->u.i = (int64_t)us;
		return 0;
	}
	default:
		return -EINVAL;
	}
}

int sql_value_cast(sql_arena *a, const sql_value *v, sql_type type, sql_value *out)
{
	sql_value r = {.type = type};

	if (v->null || v->type == SQL_TYPE_NULL) {
		r.null = true;
		*out = r;
		return 0;
	}
	if (v->type == type) {
		*out = *v;
		return 0;
	}
	if (sql_type_is_decimal(type) || sql_type_is_decimal(v->type)) {
		int rc = sql_decimal_cast(v, type, &r);
		if (rc == 0) {
			*out = r;
			return 0;
		}
		if (rc != -EAGAIN)
			return rc;
	}
	switch (type) {
	case SQL_TYPE_STRING: {
		char tmp[64];
		size_t n = sql_value_text(v, tmp);
		char *s = a ? sql_arena_strndup(a, tmp, n) : memcpy(sql_scratch_text(), tmp, n + 1);
		r.u.s.ptr = s;
		r.u.s.len = (uint32_t)n;
		break;
	}
	case SQL_TYPE_BIGINT:
		switch (v->type) {
		case SQL_TYPE_STRING:
			r.null = !sql_text_to_bigint(v->u.s.ptr, v->u.s.len, &r.u.i);
			break;
		case SQL_TYPE_DOUBLE:
			r.u.i = sql_double_to_bigint(v->u.d);
			break;
		case SQL_TYPE_BOOLEAN:
			r.u.i = v->u.b;
			break;
		case SQL_TYPE_TIMESTAMP:
			r.u.i = sql_floor_div(v->u.i, 1000000);
			break;
		default:
			return -EINVAL;
		}
		break;
	case SQL_TYPE_DOUBLE:
		switch (v->type) {
		case SQL_TYPE_STRING:
			r.null = !sql_text_to_double(v->u.s.ptr, v->u.s.len, &r.u.d);
			break;
		case SQL_TYPE_BIGINT:
			r.u.d = (double)v->u.i;
			break;
		case SQL_TYPE_BOOLEAN:
			r.u.d = v->u.b;
			break;
		case SQL_TYPE_TIMESTAMP:
			r.u.d = (double)v->u.i / 1e6;
			break;
		default:
			return -EINVAL;
		}
		break;
	case SQL_TYPE_BOOLEAN:
		switch (v->type) {
		case SQL_TYPE_STRING:
			r.null = !sql_text_to_boolean(v->u.s.ptr, v->u.s.len, &r.u.b);
			break;
		case SQL_TYPE_BIGINT:
		case SQL_TYPE_TIMESTAMP:
			r.u.b = v->u.i != 0;
			break;
		case SQL_TYPE_DOUBLE:
			r.u.b = v->u.d != 0;
			break;
		default:
			return -EINVAL;
		}
		break;
	case SQL_TYPE_DATE:
		switch (v->type) {
		case SQL_TYPE_STRING:
			r.null = sql_date_parse(v->u.s.ptr, v->u.s.len, &r.u.i) != 0;
			break;
		case SQL_TYPE_TIMESTAMP:
			r.u.i = sql_floor_div(v->u.i, SQL_US_PER_DAY);
			break;
		default:
			return -EINVAL;
		}
		break;
	case SQL_TYPE_TIMESTAMP:
		switch (v->type) {
		case SQL_TYPE_STRING:
			r.null = sql_timestamp_parse(v->u.s.ptr, v->u.s.len, &r.u.i) != 0;
			break;
		case SQL_TYPE_DATE:
			r.u.i = v->u.i * SQL_US_PER_DAY;
			break;
		case SQL_TYPE_BIGINT:
			r.u.i = (int64_t)((uint64_t)v->u.i * 1000000u);
			break;
		case SQL_TYPE_DOUBLE:
			r.u.i = sql_double_to_bigint(v->u.d * 1e6);
			break;
		default:
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	*out = r;
	return 0;
}

/* ---- comparison and printing --------------------------------------------------------- */

static int sql_double_compare(double x, double y)
{
	bool xn = isnan(x), yn = isnan(y);

	if (xn || yn)
		return xn - yn;
	return x < y ? -1 : x > y;
}

int sql_value_compare(const sql_value *a, const sql_value *b)
{
	bool ad = sql_type_is_decimal(a->type), bd = sql_type_is_decimal(b->type);

	if (ad || bd) {
		/* Decimals compare exactly whatever their scales; with a bigint
		 * exactly too, with a double as doubles. */
		if (ad && bd)
			return sql_decimal_compare(a->u.dec, sql_type_scale(a->type), b->u.dec,
						   sql_type_scale(b->type));
		const sql_value *o = ad ? b : a, *d = ad ? a : b;
		int sign = ad ? 1 : -1;
		if (o->type == SQL_TYPE_BIGINT)
			return sign *
			       sql_decimal_compare(d->u.dec, sql_type_scale(d->type), o->u.i, 0);
		if (o->type == SQL_TYPE_DOUBLE)
			return sign * sql_double_compare(sql_decimal_to_double(d->u.dec,
									       sql_type_scale(d->type)),
							 o->u.d);
		return a->type < b->type ? -1 : 1;
	}
	if (a->type != b->type) {
		/* Mixed numbers compare by value; the analyzer normally coerces first. */
		if ((a->type == SQL_TYPE_BIGINT || a->type == SQL_TYPE_DOUBLE) &&
		    (b->type == SQL_TYPE_BIGINT || b->type == SQL_TYPE_DOUBLE))
			return sql_double_compare(a->type == SQL_TYPE_DOUBLE ? a->u.d : (double)a->u.i,
						  b->type == SQL_TYPE_DOUBLE ? b->u.d : (double)b->u.i);
		return a->type < b->type ? -1 : 1;
	}
	switch (a->type) {
	case SQL_TYPE_STRING: {
		uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
		int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
		if (c)
			return c < 0 ? -1 : 1;
		return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
	}
	case SQL_TYPE_DOUBLE:
		return sql_double_compare(a->u.d, b->u.d);
	case SQL_TYPE_BOOLEAN:
		return (int)a->u.b - (int)b->u.b;
	case SQL_TYPE_BIGINT:
	case SQL_TYPE_DATE:
	case SQL_TYPE_TIMESTAMP:
		return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
	default:
		return 0;
	}
}

/* NULL renders as "NULL" (plan literals); the CSV writer writes an empty
 * field for NULL itself and never calls this for one.  Strings render as
 * their bytes, unquoted, as Catalyst prints string literals. */
void sql_value_print(const sql_value *v, textbuf *out)
{
	char buf[64];

	if (v->null || v->type == SQL_TYPE_NULL) {
		textbuf_puts(out, "NULL");
		return;
	}
	if (v->type == SQL_TYPE_STRING) {
		textbuf_append(out, v->u.s.ptr, v->u.s.len);
		return;
	}
	size_t n = sql_value_text(v, buf);
	textbuf_append(out, buf, n);
}

/* Coercion, Spark style:
 *   same type -> it; NULL and X -> X;
 *   bigint and double -> double;
 *   string and date -> date, string and timestamp -> timestamp (so dt = '2024-05-01' compares dates);
 *   date and timestamp -> timestamp;
 *   string and bigint/double -> double (a comparison of '1.5' with 1 must not truncate);
 *   decimal and decimal -> the wider decimal (Spark's widerDecimalType: the
 *     larger scale, the larger integral part, capped at 38 digits);
 *   decimal and bigint -> the wider of it and decimal(20,0);
 *   decimal and double or string -> double;
 *   string and boolean -> boolean;
 *   anything else (boolean with a number, a date with a number) has none. */
int sql_type_common(sql_type a, sql_type b, sql_type *out)
{
	if (a == b) {
		*out = a;
		return 0;
	}
	if (a == SQL_TYPE_NULL || b == SQL_TYPE_NULL) {
		*out = a == SQL_TYPE_NULL ? b : a;
		return 0;
	}
	if (sql_type_is_decimal(a) || sql_type_is_decimal(b)) {
		sql_type o = sql_type_is_decimal(a) ? b : a, d = sql_type_is_decimal(a) ? a : b;
		if (sql_type_is_decimal(o))
			*out = sql_decimal_wider(a, b);
		else if (o == SQL_TYPE_BIGINT)
			*out = sql_decimal_wider(d, sql_type_decimal(20, 0));
		else if (o == SQL_TYPE_DOUBLE || o == SQL_TYPE_STRING)
			*out = SQL_TYPE_DOUBLE;
		else
			return -EINVAL;
		return 0;
	}
	if (a > b) {
		sql_type t = a;
		a = b;
		b = t;
	}
	/* now a < b in enum order: STRING < BIGINT < DOUBLE < BOOLEAN < DATE < TIMESTAMP */
	if (a == SQL_TYPE_BIGINT && b == SQL_TYPE_DOUBLE) {
		*out = SQL_TYPE_DOUBLE;
		return 0;
	}
	if (a == SQL_TYPE_STRING) {
		*out = b == SQL_TYPE_BIGINT ? SQL_TYPE_DOUBLE : b;
		return 0;
	}
	if (a == SQL_TYPE_DATE && b == SQL_TYPE_TIMESTAMP) {
		*out = SQL_TYPE_TIMESTAMP;
		return 0;
	}
	return -EINVAL;
}

/* ---- functions ------------------------------------------------------------------------- */

static const sql_func_info sql_funcs[] = {
	{"abs", SQL_FUNC_ABS, 1, 1},
	{"add_months", SQL_FUNC_ADD_MONTHS, 2, 2},
	{"coalesce", SQL_FUNC_COALESCE, 1, -1},
	{"concat", SQL_FUNC_CONCAT, 1, -1},
	{"date_add", SQL_FUNC_DATE_ADD, 2, 2},
	{"date_sub", SQL_FUNC_DATE_SUB, 2, 2},
	{"date_trunc", SQL_FUNC_DATE_TRUNC, 2, 2},
	{"datediff", SQL_FUNC_DATEDIFF, 2, 2},
	{"day", SQL_FUNC_DAY, 1, 1},
	{"dayofmonth", SQL_FUNC_DAY, 1, 1},
	{"dayofweek", SQL_FUNC_DAYOFWEEK, 1, 1},
	{"dayofyear", SQL_FUNC_DAYOFYEAR, 1, 1},
	{"hour", SQL_FUNC_HOUR, 1, 1},
	{"length", SQL_FUNC_LENGTH, 1, 1},
	{"lower", SQL_FUNC_LOWER, 1, 1},
	{"minute", SQL_FUNC_MINUTE, 1, 1},
	{"month", SQL_FUNC_MONTH, 1, 1},
	{"quarter", SQL_FUNC_QUARTER, 1, 1},
	{"round", SQL_FUNC_ROUND, 1, 2},
	{"second", SQL_FUNC_SECOND, 1, 1},
	{"substr", SQL_FUNC_SUBSTR, 2, 3},
	{"substring", SQL_FUNC_SUBSTR, 2, 3},
	{"to_date", SQL_FUNC_TO_DATE, 1, 1},
	{"trim", SQL_FUNC_TRIM, 1, 1},
	{"upper", SQL_FUNC_UPPER, 1, 1},
	{"weekofyear", SQL_FUNC_WEEKOFYEAR, 1, 1},
	{"year", SQL_FUNC_YEAR, 1, 1},
};

const sql_func_info *sql_func_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof sql_funcs / sizeof sql_funcs[0]; i++)
		if (!strcasecmp(sql_funcs[i].name, name))
			return &sql_funcs[i];
	return NULL;
}

const sql_func_info *sql_func_all(size_t *n)
{
	*n = sizeof sql_funcs / sizeof sql_funcs[0];
	return sql_funcs;
}

static bool sql_type_numeric(sql_type t)
{
	return t == SQL_TYPE_BIGINT || t == SQL_TYPE_DOUBLE || t == SQL_TYPE_NULL ||
	       sql_type_is_decimal(t);
}

/* Arguments a date function takes: a date, a timestamp, or text that the
 * engine parses (NULL for a bare NULL). */
static bool sql_type_datelike(sql_type t)
{
	return t == SQL_TYPE_DATE || t == SQL_TYPE_TIMESTAMP || t == SQL_TYPE_STRING ||
	       t == SQL_TYPE_NULL;
}

int sql_func_type(sql_func func, const sql_type *args, uint32_t nargs, sql_type *out,
		  const char **why)
{
	const char *reason = NULL;
	sql_type t = SQL_TYPE_NULL;

	switch (func) {
	case SQL_FUNC_COALESCE:
		for (uint32_t i = 0; i < nargs; i++) {
			if (sql_type_common(t, args[i], &t)) {
				reason = "coalesce arguments have no common type";
				break;
			}
		}
		break;
	case SQL_FUNC_LOWER:
	case SQL_FUNC_UPPER:
	case SQL_FUNC_TRIM:
	case SQL_FUNC_CONCAT:
		t = SQL_TYPE_STRING;
		break;
	case SQL_FUNC_SUBSTR:
		t = SQL_TYPE_STRING;
		for (uint32_t i = 1; i < nargs; i++)
			if (args[i] != SQL_TYPE_BIGINT && args[i] != SQL_TYPE_NULL)
				reason = "substr position and length must be integers";
		break;
	case SQL_FUNC_LENGTH:
		t = SQL_TYPE_BIGINT;
		break;
	case SQL_FUNC_TO_DATE:
		t = SQL_TYPE_DATE;
		if (nargs < 1 || !sql_type_datelike(args[0]))
			reason = "to_date requires a string, date or timestamp";
		break;
	case SQL_FUNC_YEAR:
	case SQL_FUNC_MONTH:
	case SQL_FUNC_DAY:
	case SQL_FUNC_HOUR:
		t = SQL_TYPE_BIGINT;
		if (nargs < 1 || !sql_type_datelike(args[0]))
			reason = "requires a date or timestamp argument";
		break;
	case SQL_FUNC_DATE_ADD:
		t = SQL_TYPE_DATE;
		if (nargs != 2 || !sql_type_datelike(args[0]))
			reason = "date_add requires a date as its first argument";
		else if (args[1] != SQL_TYPE_BIGINT && args[1] != SQL_TYPE_NULL)
			reason = "date_add requires an integer number of days";
		break;
	case SQL_FUNC_QUARTER:
	case SQL_FUNC_MINUTE:
	case SQL_FUNC_SECOND:
	case SQL_FUNC_DAYOFWEEK:
	case SQL_FUNC_WEEKOFYEAR:
	case SQL_FUNC_DAYOFYEAR:
		t = SQL_TYPE_BIGINT;
		if (nargs < 1 || !sql_type_datelike(args[0]))
			reason = "requires a date or timestamp argument";
		break;
	case SQL_FUNC_DATE_SUB:
	case SQL_FUNC_ADD_MONTHS:
		t = SQL_TYPE_DATE;
		if (nargs != 2 || !sql_type_datelike(args[0]))
			reason = "requires a date as its first argument";
		else if (args[1] != SQL_TYPE_BIGINT && args[1] != SQL_TYPE_NULL)
			reason = func == SQL_FUNC_DATE_SUB ? "requires an integer number of days"
							   : "requires an integer number of months";
		break;
	case SQL_FUNC_TIME_ADD:
		t = SQL_TYPE_TIMESTAMP;
		if (nargs != 3 || !sql_type_datelike(args[0]) || args[1] != SQL_TYPE_BIGINT ||
		    args[2] != SQL_TYPE_BIGINT)
			reason = "requires a timestamp, months and microseconds";
		break;
	case SQL_FUNC_INTERVAL:
		reason = "an interval can only be added to or subtracted from a date or timestamp";
		break;
	case SQL_FUNC_DATEDIFF:
		t = SQL_TYPE_BIGINT;
		if (nargs != 2 || !sql_type_datelike(args[0]) || !sql_type_datelike(args[1]))
			reason = "datediff requires two dates";
		break;
	case SQL_FUNC_DATE_TRUNC:
		t = SQL_TYPE_TIMESTAMP;
		if (nargs != 2 || (args[0] != SQL_TYPE_STRING && args[0] != SQL_TYPE_NULL))
			reason = "date_trunc requires a unit string as its first argument";
		else if (!sql_type_datelike(args[1]))
			reason = "date_trunc requires a timestamp as its second argument";
		break;
	case SQL_FUNC_ABS:
		t = nargs ? args[0] : SQL_TYPE_NULL;
		if (nargs != 1 || !sql_type_numeric(args[0]))
			reason = "abs requires a numeric argument";
		break;
	case SQL_FUNC_ROUND:
		t = nargs ? args[0] : SQL_TYPE_NULL;
		if (nargs < 1 || !sql_type_numeric(args[0]))
			reason = "round requires a numeric argument";
		else if (nargs == 2 && args[1] != SQL_TYPE_BIGINT)
			reason = "round requires an integer scale";
		break;
	default:
		reason = "unknown function";
		break;
	}
	if (reason) {
		if (why)
			*why = reason;
		return -EINVAL;
	}
	*out = t;
	return 0;
}

/* ---- function evaluation ------------------------------------------------------------- */

/* Strings are byte strings: trim acts on ASCII spaces only; length and
 * substr count UTF-8 characters (a byte that is not a continuation byte
 * starts one), as Spark does; lower and upper map every character that has
 * a simple Unicode case mapping and leave bytes that are not UTF-8 alone. */

/* The C.UTF-8 locale's character classes, for towupper_l/towlower_l
 * (Unicode's simple case mappings, kept up to date by the C library); no
 * global setlocale, so any thread may use it.  (locale_t)0 when the system
 * lacks it: then only ASCII letters change case. */
static locale_t sql_utf8_locale;
static pthread_once_t sql_utf8_locale_once = PTHREAD_ONCE_INIT;

static void sql_utf8_locale_init(void)
{
	sql_utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (sql_utf8_locale == (locale_t)0)
		sql_utf8_locale = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

/* Decode the well-formed UTF-8 character at S (N bytes left, N > 0): its
 * length, with the code point in *CP, or 0 when the bytes are not one
 * (overlong forms, surrogates and values above U+10FFFF are not). */
static uint32_t sql_utf8_decode(const unsigned char *s, uint32_t n, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t len, c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (uint32_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static uint32_t sql_utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3F));
	out[2] = (char)(0x80 | (c >> 6 & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* upper (UPPER) or lower of the N bytes at S, in A: each UTF-8 character
 * by its simple case mapping (one character to one: ß stays ß, where
 * Spark's full mapping makes SS), every other byte as it is. */
static const char *sql_case_map(sql_arena *a, const char *s, uint32_t n, bool upper,
				uint32_t *len)
{
	const unsigned char *in = (const unsigned char *)s;
	/* A mapped character is at most 3/2 of its bytes (2 -> 3). */
	char *out = sql_arena_alloc(a, (size_t)n * 2 + 1);
	uint32_t o = 0, i = 0;

	pthread_once(&sql_utf8_locale_once, sql_utf8_locale_init);
	while (i < n) {
		uint32_t cp, k;

		if (in[i] < 0x80) {
			out[o++] = (char)(upper ? (in[i] >= 'a' && in[i] <= 'z' ? in[i] - 32 : in[i])
					        : (in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]));
			i++;
			continue;
		}
		k = sql_utf8_decode(in + i, n - i, &cp);
		if (k == 0) {
			out[o++] = (char)in[i++];     /* not UTF-8: as it is */
			continue;
		}
		if (sql_utf8_locale != (locale_t)0) {
			wint_t m = upper ? towupper_l((wint_t)cp, sql_utf8_locale)
					 : towlower_l((wint_t)cp, sql_utf8_locale);

			/* (To ASCII too: U+0131 dotless i -> I.) */
			if (m != (wint_t)cp && m <= 0x10FFFF && !(m >= 0xD800 && m <= 0xDFFF)) {
				o += sql_utf8_encode((uint32_t)m, out + o);
				i += k;
				continue;
			}
		}
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static uint32_t sql_utf8_chars(const char *s, uint32_t n)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* Byte offset of character CH (clamped to N). */
static uint32_t sql_utf8_offset(const char *s, uint32_t n, int64_t ch)
{
	uint32_t i = 0;

	for (int64_t seen = -1; i < n; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++seen == ch)
			return i;
	}
	return n;
}

/* Spark's UTF8String.substringSQL. */
static void sql_substr(const sql_value *s, int64_t pos, int64_t len, sql_value *out)
{
	int64_t nch = sql_utf8_chars(s->u.s.ptr, s->u.s.len);
	int64_t start = pos > 0 ? pos - 1 : pos < 0 ? nch + pos : 0;
	int64_t end;

	if (__builtin_add_overflow(start, len, &end))
		end = len > 0 ? INT64_MAX : INT64_MIN;

	if (start < 0)
		start = 0;
	if (end > nch)
		end = nch;
	out->type = SQL_TYPE_STRING;
	out->null = false;
	if (start >= end) {
		out->u.s.ptr = s->u.s.ptr;
		out->u.s.len = 0;
		return;
	}
	uint32_t b0 = sql_utf8_offset(s->u.s.ptr, s->u.s.len, start);
	uint32_t b1 = sql_utf8_offset(s->u.s.ptr, s->u.s.len, end);
	out->u.s.ptr = s->u.s.ptr + b0;
	out->u.s.len = b1 - b0;
}

/* A date argument: a date, the day of a timestamp, or text that parses as one. */
static bool sql_arg_days(const sql_value *v, int64_t *days)
{
	switch (v->type) {
	case SQL_TYPE_DATE:
		*days = v->u.i;
		return true;
	case SQL_TYPE_TIMESTAMP:
		*days = sql_floor_div(v->u.i, SQL_US_PER_DAY);
		return true;
	case SQL_TYPE_STRING:
		return sql_date_parse(v->u.s.ptr, v->u.s.len, days) == 0;
	default:
		return false;
	}
}

static bool sql_arg_micros(const sql_value *v, int64_t *us)
{
	switch (v->type) {
	case SQL_TYPE_DATE:
		*us = v->u.i * SQL_US_PER_DAY;
		return true;
	case SQL_TYPE_TIMESTAMP:
		*us = v->u.i;
		return true;
	case SQL_TYPE_STRING:
		return sql_timestamp_parse(v->u.s.ptr, v->u.s.len, us) == 0;
	default:
		return false;
	}
}

/* date_trunc: the start of the unit holding US; false for an unknown unit. */
static bool sql_date_trunc(const char *unit, uint32_t n, int64_t us, int64_t *out)
{
	char u[16];
	int64_t days = sql_floor_div(us, SQL_US_PER_DAY), y;
	unsigned m, d;

	if (n == 0 || n >= sizeof u)
		return false;
	for (uint32_t i = 0; i < n; i++)
		u[i] = (char)tolower((unsigned char)unit[i]);
	u[n] = '\0';
	base_date_from_days(days, &y, &m, &d);
	if (!strcmp(u, "year") || !strcmp(u, "yyyy") || !strcmp(u, "yy"))
		*out = base_date_to_days(y, 1, 1) * SQL_US_PER_DAY;
	else if (!strcmp(u, "quarter"))
		*out = base_date_to_days(y, (m - 1) / 3 * 3 + 1, 1) * SQL_US_PER_DAY;
	else if (!strcmp(u, "month") || !strcmp(u, "mon") || !strcmp(u, "mm"))
		*out = base_date_to_days(y, m, 1) * SQL_US_PER_DAY;
	else if (!strcmp(u, "week"))
		/* Weeks start on Monday; 1970-01-01 was a Thursday (day 0 -> weekday 3). */
		*out = (days - ((days % 7 + 7 + 3) % 7)) * SQL_US_PER_DAY;
	else if (!strcmp(u, "day") || !strcmp(u, "dd"))
		*out = days * SQL_US_PER_DAY;
	else if (!strcmp(u, "hour"))
		*out = sql_floor_div(us, INT64_C(3600000000)) * INT64_C(3600000000);
	else if (!strcmp(u, "minute"))
		*out = sql_floor_div(us, 60000000) * 60000000;
	else if (!strcmp(u, "second"))
		*out = sql_floor_div(us, 1000000) * 1000000;
	else
		return false;
	return true;
}

/* DAYS plus MONTHS months, the day of the month clamped to the length of
 * the month reached (Spark's add_months: 2024-01-31 + 1 month is
 * 2024-02-29). */
static int64_t sql_add_months(int64_t days, int64_t months)
{
	int64_t y, total;
	unsigned m, d, last;

	base_date_from_days(days, &y, &m, &d);
	total = y * 12 + (int64_t)(m - 1) + months;
	y = sql_floor_div(total, 12);
	m = (unsigned)(total - y * 12) + 1;
	last = base_date_month_days(y, m);
	return base_date_to_days(y, m, d > last ? last : d);
}

/* The parts of a date that EXTRACT reads beyond year, month and day. */
static int64_t sql_date_part(sql_func func, int64_t days)
{
	int64_t y, jan1;
	unsigned m, d;

	base_date_from_days(days, &y, &m, &d);
	switch (func) {
	case SQL_FUNC_QUARTER:
		return (m - 1) / 3 + 1;
	case SQL_FUNC_DAYOFWEEK:
		/* 1 Sunday .. 7 Saturday; 1970-01-01 was a Thursday. */
		return days - sql_floor_div(days + 4, 7) * 7 + 4 + 1;
	case SQL_FUNC_DAYOFYEAR:
		return days - base_date_to_days(y, 1, 1) + 1;
	default: {
		/* ISO 8601 week: the week (Monday to Sunday) whose Thursday is
		 * in the year counts. */
		int64_t iso_dow = days + 3 - sql_floor_div(days + 3, 7) * 7;   /* 0 Monday */
		int64_t thursday = days - iso_dow + 3;

		base_date_from_days(thursday, &y, &m, &d);
		jan1 = base_date_to_days(y, 1, 1);
		return (thursday - jan1) / 7 + 1;
	}
	}
}

int sql_func_apply(sql_arena *a, sql_func func, const sql_value *args, uint32_t nargs,
		   sql_value *out)
{
	sql_value r = {.null = true};
	int64_t x, y2;

	/* Every function here is NULL when an argument is NULL. */
	for (uint32_t i = 0; i < nargs; i++)
		if (args[i].null || args[i].type == SQL_TYPE_NULL)
			goto done;
	switch (func) {
	case SQL_FUNC_LOWER:
	case SQL_FUNC_UPPER: {
		sql_value s;
		int rc = sql_value_cast(a, &args[0], SQL_TYPE_STRING, &s);
		if (rc)
			return rc;
		if (!a)
			return -EINVAL;
		r = (sql_value){.type = SQL_TYPE_STRING};
		r.u.s.ptr = sql_case_map(a, s.u.s.ptr, s.u.s.len, func == SQL_FUNC_UPPER, &r.u.s.len);
		break;
	}
	case SQL_FUNC_TRIM: {
		sql_value s;
		int rc = sql_value_cast(a, &args[0], SQL_TYPE_STRING, &s);
		if (rc)
			return rc;
		const char *p = s.u.s.ptr, *e = p + s.u.s.len;
		while (p < e && *p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			e--;
		r = (sql_value){.type = SQL_TYPE_STRING, .u.s = {p, (uint32_t)(e - p)}};
		break;
	}
	case SQL_FUNC_LENGTH: {
		sql_value s;
		int rc = sql_value_cast(a, &args[0], SQL_TYPE_STRING, &s);
		if (rc)
			return rc;
		r = (sql_value){.type = SQL_TYPE_BIGINT, .u.i = sql_utf8_chars(s.u.s.ptr, s.u.s.len)};
		break;
	}
	case SQL_FUNC_SUBSTR: {
		sql_value s;
		int rc = sql_value_cast(a, &args[0], SQL_TYPE_STRING, &s);
		if (rc)
			return rc;
		if (args[1].type != SQL_TYPE_BIGINT || (nargs == 3 && args[2].type != SQL_TYPE_BIGINT))
			return -EINVAL;
		sql_substr(&s, args[1].u.i, nargs == 3 ? args[2].u.i : INT64_MAX, &r);
		break;
	}
	case SQL_FUNC_CONCAT: {
		if (!a)
			return -EINVAL;
		sql_value parts[nargs ? nargs : 1];
		size_t total = 0;
		for (uint32_t i = 0; i < nargs; i++) {
			int rc = sql_value_cast(a, &args[i], SQL_TYPE_STRING, &parts[i]);
			if (rc)
				return rc;
			total += parts[i].u.s.len;
		}
		if (total > UINT32_MAX)
			return -E2BIG;
		char *p = sql_arena_alloc(a, total + 1);
		size_t off = 0;
		for (uint32_t i = 0; i < nargs; i++) {
			if (parts[i].u.s.len)
				memcpy(p + off, parts[i].u.s.ptr, parts[i].u.s.len);
			off += parts[i].u.s.len;
		}
		r = (sql_value){.type = SQL_TYPE_STRING, .u.s = {p, (uint32_t)total}};
		break;
	}
	case SQL_FUNC_TO_DATE:
		r.type = SQL_TYPE_DATE;
		r.null = !sql_arg_days(&args[0], &r.u.i);
		break;
	case SQL_FUNC_YEAR:
	case SQL_FUNC_MONTH:
	case SQL_FUNC_DAY: {
		int64_t yy;
		unsigned m, d;
		r.type = SQL_TYPE_BIGINT;
		if (!sql_arg_days(&args[0], &x))
			break;
		base_date_from_days(x, &yy, &m, &d);
		r.null = false;
		r.u.i = func == SQL_FUNC_YEAR ? yy : func == SQL_FUNC_MONTH ? (int64_t)m : (int64_t)d;
		break;
	}
	case SQL_FUNC_HOUR:
		r.type = SQL_TYPE_BIGINT;
		if (!sql_arg_micros(&args[0], &x))
			break;
		r.null = false;
		r.u.i = (x - sql_floor_div(x, SQL_US_PER_DAY) * SQL_US_PER_DAY) / INT64_C(3600000000);
		break;
	case SQL_FUNC_DATE_ADD:
		r.type = SQL_TYPE_DATE;
		if (args[1].type != SQL_TYPE_BIGINT || !sql_arg_days(&args[0], &x))
			break;
		r.null = false;
		r.u.i = (int64_t)((uint64_t)x + (uint64_t)args[1].u.i);
		break;
	case SQL_FUNC_QUARTER:
	case SQL_FUNC_DAYOFWEEK:
	case SQL_FUNC_WEEKOFYEAR:
	case SQL_FUNC_DAYOFYEAR:
		r.type = SQL_TYPE_BIGINT;
		if (!sql_arg_days(&args[0], &x))
			break;
		r.null = false;
		r.u.i = sql_date_part(func, x);
		break;
	case SQL_FUNC_MINUTE:
	case SQL_FUNC_SECOND:
		r.type = SQL_TYPE_BIGINT;
		if (!sql_arg_micros(&args[0], &x))
			break;
		r.null = false;
		x = sql_floor_div(x - sql_floor_div(x, SQL_US_PER_DAY) * SQL_US_PER_DAY, 1000000);
		r.u.i = func == SQL_FUNC_MINUTE ? x / 60 % 60 : x % 60;
		break;
	case SQL_FUNC_DATE_SUB:
		r.type = SQL_TYPE_DATE;
		if (args[1].type != SQL_TYPE_BIGINT || !sql_arg_days(&args[0], &x))
			break;
		r.null = false;
		r.u.i = (int64_t)((uint64_t)x - (uint64_t)args[1].u.i);
		break;
	case SQL_FUNC_ADD_MONTHS:
		r.type = SQL_TYPE_DATE;
		if (args[1].type != SQL_TYPE_BIGINT || !sql_arg_days(&args[0], &x))
			break;
		if (args[1].u.i > INT32_MAX || args[1].u.i < INT32_MIN)
			return -ERANGE;
		r.null = false;
		r.u.i = sql_add_months(x, args[1].u.i);
		break;
	case SQL_FUNC_TIME_ADD: {
		int64_t days, rest;

		r.type = SQL_TYPE_TIMESTAMP;
		if (args[1].type != SQL_TYPE_BIGINT || args[2].type != SQL_TYPE_BIGINT ||
		    !sql_arg_micros(&args[0], &x))
			break;
		if (args[1].u.i > INT32_MAX || args[1].u.i < INT32_MIN)
			return -ERANGE;
		/* Months first, on the day (the time of day kept), then the rest. */
		days = sql_floor_div(x, SQL_US_PER_DAY);
		rest = x - days * SQL_US_PER_DAY;
		if (args[1].u.i)
			days = sql_add_months(days, args[1].u.i);
		r.null = false;
		r.u.i = (int64_t)((uint64_t)days * (uint64_t)SQL_US_PER_DAY + (uint64_t)rest +
				  (uint64_t)args[2].u.i);
		break;
	}
	case SQL_FUNC_DATEDIFF:
		r.type = SQL_TYPE_BIGINT;
		if (!sql_arg_days(&args[0], &x) || !sql_arg_days(&args[1], &y2))
			break;
		r.null = false;
		r.u.i = x - y2;
		break;
	case SQL_FUNC_DATE_TRUNC:
		r.type = SQL_TYPE_TIMESTAMP;
		if (args[0].type != SQL_TYPE_STRING || !sql_arg_micros(&args[1], &x))
			break;
		r.null = !sql_date_trunc(args[0].u.s.ptr, args[0].u.s.len, x, &r.u.i);
		break;
	case SQL_FUNC_ABS:
		r = args[0];
		if (sql_type_is_decimal(r.type))
			r.u.dec = r.u.dec < 0 ? -r.u.dec : r.u.dec;
		else if (r.type == SQL_TYPE_BIGINT)
			r.u.i = r.u.i < 0 ? (int64_t)(0 - (uint64_t)r.u.i) : r.u.i; /* abs(MIN) is MIN, as in Java */
		else if (r.type == SQL_TYPE_DOUBLE)
			r.u.d = fabs(r.u.d);
		else
			return -EINVAL;
		break;
	case SQL_FUNC_ROUND: {
		int64_t scale = nargs == 2 ? args[1].u.i : 0;
		r = args[0];
		if (sql_type_is_decimal(r.type)) {
			/* HALF_UP to SCALE digits; the value comes out at scale
			 * max(SCALE, 0) (or its own, when smaller), and the
			 * evaluator brings it to the type the analyzer gave. */
			int64_t sc = (int64_t)sql_type_scale(r.type);
			if (scale >= sc)
				break;
			int64_t ns = scale < 0 ? 0 : scale, k = sc - scale;
			sql_uint128 m = sql_dec_abs(r.u.dec);
			m = k > 38 ? 0 : sql_dec_div_round(m, sql_p10[k]);
			r.type = sql_type_decimal(38, (unsigned)ns);
			if (scale < 0 && m != 0 &&
			    (-scale > 38 || __builtin_mul_overflow(m, sql_p10[-scale], &m)))
				r.null = true;
			if (m >= sql_p10[38])
				r.null = true;
			r.u.dec = args[0].u.dec < 0 ? -(sql_int128)m : (sql_int128)m;
		} else if (r.type == SQL_TYPE_DOUBLE) {
			r.u.d = sql_double_round(r.u.d, scale);
		} else if (r.type == SQL_TYPE_BIGINT) {
			if (scale < 0) {
				/* HALF_UP to a power of ten; beyond 10^18 everything rounds to 0. */
				if (scale < -18) {
					r.u.i = 0;
					break;
				}
				int64_t p = 1;
				for (int64_t i = 0; i < -scale; i++)
					p *= 10;
				int64_t q = r.u.i / p, rem = r.u.i % p;
				if (rem >= (p + 1) / 2)
					q++;
				else if (rem <= -((p + 1) / 2))
					q--;
				r.u.i = (int64_t)((uint64_t)q * (uint64_t)p);
			}
		} else {
			return -EINVAL;
		}
		break;
	}
	default:
		return -EINVAL;
	}
done:
	*out = r;
	return 0;
}
