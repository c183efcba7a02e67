/*
 * store_name.c - names, Hive path escaping, column type names.
 *
 * Partition values are stored raw and escaped only where they become a path
 * component ("dt=2024-05-01").  The escaped set is exactly the one of Hive's
 * FileUtils.escapePathName, so a directory tree written by metafs reads the
 * same in Hive or Spark and the other way round: control characters
 * 0x01-0x1F, DEL, and  " # % ' * / : = ? \ { [ ] ^  become %XX with upper-case
 * hex.  Bytes from 0x80 up pass through, as Hive passes non-ASCII characters.
 * Hive's unescape leaves a stray '%' alone; ours refuses it, so that every
 * path component maps to at most one value and a typo is an error rather
 * than a different partition.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store.h"

bool store_name_valid(const char *name, const char **why)
{
	const char *reason = NULL;
	size_t len = 0;

	if (name == NULL)
		reason = "name is missing";
	else if ((len = strnlen(name, STORE_NAME_MAX + 1)) == 0)
		reason = "name is empty";
	else if (len > STORE_NAME_MAX)
		reason = "name is longer than 255 bytes";
	else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		reason = "name is . or ..";
	else if (memchr(name, '/', len))
		reason = "name contains /";
	else
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
				/* they would break the line-oriented files the mount serves */
				reason = "name contains a control character";
				break;
			}
	if (reason && why)
		*why = reason;
	return reason == NULL;
}

static bool hive_escaped(unsigned char c)
{
	return (c >= 0x01 && c <= 0x1f) || c == 0x7f ||
	       (c != '\0' && strchr("\"#%'*/:=?\\{[]^", c) != NULL);
}

int store_hive_escape(const char *raw, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (raw == NULL || out == NULL || cap == 0)
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		size_t need = hive_escaped(*p) ? 3 : 1;

		if (o + need >= cap) {
			out[0] = '\0';
			return -ENAMETOOLONG;
		}
		if (need == 3) {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int store_hive_unescape(const char *escaped, char *out, size_t cap)
{
	size_t o = 0;
	int rc = 0;

	if (escaped == NULL || out == NULL || cap == 0)
		return -EINVAL;
	for (const char *p = escaped; *p; p++) {
		char c = *p;

		if (c == '%') {
			int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);

			/* %00 would end the string early: no value holds a NUL. */
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				rc = -EINVAL;
				goto out;
			}
			c = (char)(hi << 4 | lo);
			p += 2;
		}
		if (o + 1 >= cap) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		out[o++] = c;
	}
out:
	out[rc == 0 ? o : 0] = '\0';
	return rc;
}

long store_text_control(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return u[i];
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			return u[i + 1];
	}
	return -1;
}

/* Does the N bytes at S, without surrounding spaces, hold a '#' that .schema
 * would read as the start of a comment (first, or after a space)?  A tab
 * before it is a control character, refused before. */
static bool property_comment(const char *s, size_t n)
{
	while (n && *s == ' ') {
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] == '#' && (i == 0 || s[i - 1] == ' '))
			return true;
	return false;
}

void store_text_shown(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i;

	if (cap < 4) {
		if (cap)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < n && o + 4 < cap; i++) {
		if (store_text_control(s + i, 1) >= 0) {
			out[o++] = '?';
		} else if ((unsigned char)s[i] == 0xc2 &&
			   store_text_control(s + i, i + 1 < n ? 2 : 1) >= 0) {
			out[o++] = '?';         /* a C1 control: two bytes */
			i++;
		} else {
			out[o++] = s[i];
		}
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int store_property_check(const char *key, size_t klen, const char *value, size_t vlen, char *err,
			 size_t errlen)
{
	char shown[68];
	size_t i;
	long c;
	bool blank = true;

	store_text_shown(key, klen, shown, sizeof shown);
	for (i = 0; i < klen; i++)
		blank &= key[i] == ' ';
	if ((c = store_text_control(key, klen)) >= 0)
		snprintf(err, errlen, "property '%s': name holds a control character (U+%04lX)", shown,
			 (unsigned long)c);
	else if (blank)
		snprintf(err, errlen, "property '%s': empty name", shown);
	else if (memchr(key, '=', klen))
		snprintf(err, errlen, "property '%s': name holds '='", shown);
	else if (property_comment(key, klen))
		snprintf(err, errlen, "property '%s': name holds a '#' that .schema reads as a comment",
			 shown);
	else if ((c = store_text_control(value, vlen)) >= 0)
		snprintf(err, errlen, "property '%s': value holds a control character (U+%04lX)", shown,
			 (unsigned long)c);
	else if (property_comment(value, vlen))
		snprintf(err, errlen, "property '%s': value holds a '#' that .schema reads as a comment",
			 shown);
	else
		return 0;
	return -EINVAL;
}

static const char *const type_names[] = {
	[STORE_TYPE_STRING] = "string",
	[STORE_TYPE_BIGINT] = "bigint",
	[STORE_TYPE_DOUBLE] = "double",
	[STORE_TYPE_BOOLEAN] = "boolean",
	[STORE_TYPE_DATE] = "date",
	[STORE_TYPE_TIMESTAMP] = "timestamp",
};

bool store_format_valid(uint32_t f)
{
	return f == STORE_FORMAT_CSV || f == STORE_FORMAT_JSONL || f == STORE_FORMAT_PARQUET;
}

bool store_type_valid(store_type t)
{
	unsigned p = store_type_precision(t), sc = store_type_scale(t);

	if (store_type_base(t) == STORE_TYPE_DECIMAL)
		return ((unsigned)t >> 24) == 0 && p >= 1 && p <= STORE_DECIMAL_MAX_PRECISION &&
		       sc <= p;
	return t >= STORE_TYPE_STRING && t <= STORE_TYPE_TIMESTAMP;
}

/* "decimal(p,s)" for every valid p and s, made once: names are static so
 * that callers can print them as they print "bigint". */
static char decimal_names[STORE_DECIMAL_MAX_PRECISION + 1][STORE_DECIMAL_MAX_PRECISION + 1][16];
static pthread_once_t decimal_names_once = PTHREAD_ONCE_INIT;

static void decimal_names_init(void)
{
	for (unsigned p = 1; p <= STORE_DECIMAL_MAX_PRECISION; p++)
		for (unsigned sc = 0; sc <= p; sc++)
			snprintf(decimal_names[p][sc], sizeof decimal_names[p][sc],
				 "decimal(%u,%u)", p, sc);
}

/* NULL for a value that is not a store_type. */
const char *store_type_name(store_type t)
{
	if (!store_type_valid(t))
		return NULL;
	if (store_type_base(t) == STORE_TYPE_DECIMAL) {
		pthread_once(&decimal_names_once, decimal_names_init);
		return decimal_names[store_type_precision(t)][store_type_scale(t)];
	}
	return type_names[t];
}

/* An unsigned decimal number of at most two digits at *P, spaces around it. */
static bool parse_small(const char **p, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9' && n < 3) {
		v = v * 10 + (unsigned)(*s++ - '0');
		n++;
	}
	while (*s == ' ')
		s++;
	if (n == 0 || n > 2)
		return false;
	*p = s;
	*out = v;
	return true;
}

/* decimal, decimal(p), decimal(p,s); numeric and dec are the same word. */
static int parse_decimal(const char *s, store_type *out)
{
	static const char *const words[] = {"decimal", "numeric", "dec"};
	unsigned p = 10, sc = 0;
	size_t n = 0;

	for (size_t i = 0; i < 3 && n == 0; i++)
		if (strncasecmp(s, words[i], strlen(words[i])) == 0 &&
		    (s[strlen(words[i])] == '\0' || s[strlen(words[i])] == '('))
			n = strlen(words[i]);
	if (n == 0)
		return -EINVAL;
	s += n;
	if (*s == '(') {
		s++;
		if (!parse_small(&s, &p))
			return -EINVAL;
		if (*s == ',') {
			s++;
			if (!parse_small(&s, &sc))
				return -EINVAL;
		} else {
			sc = 0;
		}
		if (*s++ != ')')
			return -EINVAL;
	}
	if (*s != '\0' || p < 1 || p > STORE_DECIMAL_MAX_PRECISION || sc > p)
		return -EINVAL;
	*out = store_type_decimal(p, sc);
	return 0;
}

int store_type_parse(const char *s, store_type *out)
{
	if (s == NULL || out == NULL)
		return -EINVAL;
	if (strcasecmp(s, "int") == 0) {
		*out = STORE_TYPE_BIGINT;
		return 0;
	}
	for (unsigned i = 1; i < sizeof type_names / sizeof type_names[0]; i++) {
		if (strcasecmp(s, type_names[i]) == 0) {
			*out = (store_type)i;
			return 0;
		}
	}
	return parse_decimal(s, out);
}
