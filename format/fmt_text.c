/*
 * fmt_text.c - the text of a typed value (see fmt_text.h): the one
 * implementation, used by the SQL engine (sql_value.c), the masked exchange
 * and the pipeline.
 */
#include "fmt_text.h"

#include "base_date.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY INT64_C(86400000000)

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

size_t fmt_date_text(int64_t days, char *out)
{
	int64_t y;
	unsigned m, d;

	base_date_from_days(days, &y, &m, &d);
	int n = snprintf(out, 32, y < 0 ? "%05" PRId64 "-%02u-%02u" : "%04" PRId64 "-%02u-%02u",
			 y, m, d);
	return n < 0 ? 0 : (size_t)n;
}

size_t fmt_timestamp_text(int64_t micros, char *out)
{
	int64_t days = floor_div(micros, US_PER_DAY);
	int64_t rest = micros - days * US_PER_DAY;
	size_t n = fmt_date_text(days, out);
	int64_t secs = rest / 1000000, frac = rest % 1000000;

	n += (size_t)snprintf(out + n, 32 - n, " %02d:%02d:%02d", (int)(secs / 3600),
			      (int)(secs / 60 % 60), (int)(secs % 60));
	if (frac) {
		char f[8];
		int len = 6;

		snprintf(f, sizeof f, "%06d", (int)frac);
		while (len > 0 && f[len - 1] == '0')
			len--;
		n += (size_t)snprintf(out + n, 32 - n, ".%.*s", len, f);
	}
	return n;
}

/* The shortest digits that read back as D (finite, > 0) into DIGITS; the
 * return value E gives D = 0.DIGITS x 10^E. */
int fmt_double_digits(double d, char digits[24])
{
	char buf[40];
	int prec;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	size_t n = 0;
	const char *p = buf;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	return atoi(p + 1) + 1;
}

size_t fmt_double_text(double d, char *out)
{
	char digits[24];
	size_t n = 0;

	if (isnan(d))
		return (size_t)snprintf(out, 32, "NaN");
	if (isinf(d))
		return (size_t)snprintf(out, 32, d > 0 ? "Infinity" : "-Infinity");
	if (d == 0)
		return (size_t)snprintf(out, 32, signbit(d) ? "-0.0" : "0.0");
	if (d < 0) {
		out[n++] = '-';
		d = -d;
	}
	int e = fmt_double_digits(d, digits);
	int nd = (int)strlen(digits);
	if (d >= 1e-3 && d < 1e7) {
		if (e <= 0) {
			out[n++] = '0';
			out[n++] = '.';
			for (int i = 0; i < -e; i++)
				out[n++] = '0';
			memcpy(out + n, digits, (size_t)nd);
			n += (size_t)nd;
		} else {
			for (int i = 0; i < e; i++)
				out[n++] = i < nd ? digits[i] : '0';
			out[n++] = '.';
			if (nd > e) {
				memcpy(out + n, digits + e, (size_t)(nd - e));
				n += (size_t)(nd - e);
			} else {
				out[n++] = '0';
			}
		}
		out[n] = '\0';
		return n;
	}
	out[n++] = digits[0];
	out[n++] = '.';
	if (nd > 1) {
		memcpy(out + n, digits + 1, (size_t)(nd - 1));
		n += (size_t)(nd - 1);
	} else {
		out[n++] = '0';
	}
	n += (size_t)snprintf(out + n, 32 - n, "E%d", e - 1);
	return n;
}

size_t fmt_decimal_text(fmt_int128 v, unsigned scale, char *out)
{
	__extension__ typedef unsigned __int128 u128;
	char digits[48];
	size_t nd = 0, n = 0;
	u128 m = v < 0 ? (u128)0 - (u128)v : (u128)v;

	do {
		digits[nd++] = (char)('0' + (int)(m % 10));
		m /= 10;
	} while (m);
	while (nd < (size_t)scale + 1)
		digits[nd++] = '0';
	if (v < 0)
		out[n++] = '-';
	for (size_t i = nd; i > 0; i--) {
		if (i == scale && scale)
			out[n++] = '.';
		out[n++] = digits[i - 1];
	}
	out[n] = '\0';
	return n;
}

size_t fmt_value_text(const fmt_vector *v, size_t i, char out[FMT_TEXT_MAX])
{
	switch (store_type_base(v->type)) {
	case STORE_TYPE_BIGINT:
		return (size_t)snprintf(out, FMT_TEXT_MAX, "%" PRId64, v->v.i64[i]);
	case STORE_TYPE_DOUBLE:
		return fmt_double_text(v->v.f64[i], out);
	case STORE_TYPE_BOOLEAN:
		return (size_t)snprintf(out, FMT_TEXT_MAX, "%s", v->v.b[i] ? "true" : "false");
	case STORE_TYPE_DATE:
		return fmt_date_text(v->v.i64[i], out);
	case STORE_TYPE_TIMESTAMP:
		return fmt_timestamp_text(v->v.i64[i], out);
	case STORE_TYPE_DECIMAL:
		return fmt_decimal_text(v->v.dec[i], store_type_scale(v->type), out);
	default:
		out[0] = '\0';
		return 0;
	}
}
