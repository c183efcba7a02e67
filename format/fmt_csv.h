/*
 * fmt_csv.h - CSV: the record splitter, the one definition of what a CSV
 * record and its fields are, for every layer that reads CSV data files
 * (fmt_file_scan counts records, the SQL engine's reader converts fields,
 * the exchange transform masks them, metafs-pipeline reads them); and the
 * field writer, the one definition of how a value is written as a CSV field
 * (the engine's output, job results, the exchange transform, the
 * pipeline's scores).
 *
 * Rules (RFC 4180, as metafs(5) describes the csv format):
 *   - fields are separated by ',', records by LF or CRLF;
 *   - a field starting with '"' is quoted: it runs to the closing quote and
 *     may hold commas, newlines and "" (one quote); after the closing quote
 *     comes ',', the end of the record or the end of the file, anything else
 *     is malformed;
 *   - an unquoted field runs to the next ',' or LF, a CR just before the LF
 *     (or before the end of the file) is not part of it;
 *   - blank lines (LF or CRLF alone) are not records.
 * The text is not copied: a field is an offset and a length into the
 * caller's bytes (without the quotes of a quoted field, "" still doubled;
 * store_csv_unquote() gives the text of a field marked "escaped").
 *
 * The splitter sits in the engine's scan loop, one call per record: it is
 * static inline so that the field loop is compiled into the reader.
 */
#ifndef METAFS_FMT_CSV_H
#define METAFS_FMT_CSV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "textbuf.h"

typedef struct store_csv_field {
	size_t off;     /* first byte of the text (after the opening quote when quoted) */
	size_t len;     /* bytes of text, quotes excluded */
	bool quoted;
	bool escaped;   /* quoted and holding "": the text needs store_csv_unquote() */
} store_csv_field;

typedef struct store_csv {
	const char *data;
	size_t size;
	size_t pos;                /* where the next record is looked for */
	uint64_t line;             /* physical line at pos, 1-based */
	store_csv_field *fields;   /* cap entries; fields past cap are counted, not kept */
	uint32_t cap;
	const char *why;           /* after -EINVAL: what is wrong with the record */
} store_csv;

/* Split DATA (SIZE bytes) into records, keeping up to CAP fields of each in
 * FIELDS (NULL when CAP is 0: records are only counted). */
static inline void store_csv_init(store_csv *c, const char *data, size_t size,
				  store_csv_field *fields, uint32_t cap)
{
	*c = (store_csv){.data = data, .size = size, .line = 1, .fields = fields, .cap = cap};
}

/* The raw bytes of field F as they are in the data (quotes included). */
static inline const char *store_csv_raw(const store_csv *c, const store_csv_field *f, size_t *len)
{
	*len = f->len + (f->quoted ? 2 : 0);
	return c->data + f->off - (f->quoted ? 1 : 0);
}

/* Where the unquoted field at P (of data D, N bytes) ends: the first ',' or
 * LF at or after P, or N.  Eight bytes at a time where the byte order lets
 * the first match be found from the lowest set bit. */
static inline size_t store_csv_plain_end(const char *d, size_t p, size_t n)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
	while (p + 8 <= n) {
		uint64_t w;
		__builtin_memcpy(&w, d + p, sizeof w);
		/* A zero byte of C or L is a ',' or LF in W; the lowest flagged
		 * byte is exact (false flags only come above a true one). */
		uint64_t c = w ^ (ones * (uint8_t)','), l = w ^ (ones * (uint8_t)'\n');
		uint64_t m = (((c - ones) & ~c) | ((l - ones) & ~l)) & highs;
		if (m)
			return p + ((unsigned)__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < n && d[p] != ',' && d[p] != '\n')
		p++;
	return p;
}

/* Split the record at c->pos: 1 at the end of the data; 0 with a record of
 * *NFIELDS fields starting on physical line *START_LINE; -EINVAL for a
 * malformed record (c->why: an unterminated quoted field, which takes the
 * rest of the data, or text after a closing quote, where the rest of the
 * line is skipped).  c->pos is left after the record in every case, so a
 * caller may count a malformed record and go on. */
static inline int store_csv_next(store_csv *c, uint32_t *nfields, uint64_t *start_line)
{
	const char *d = c->data;
	size_t n = c->size, p = c->pos;
	uint32_t nf = 0;

	/* Blank lines are not records. */
	while (p < n && (d[p] == '\n' || (d[p] == '\r' && p + 1 < n && d[p + 1] == '\n'))) {
		if (d[p] == '\n')
			c->line++;
		p++;
	}
	if (p >= n) {
		c->pos = p;
		return 1;
	}
	*start_line = c->line;
	for (;;) {
		store_csv_field f = {.off = p};
		if (p < n && d[p] == '"') {
			/* Quoted: up to the closing quote; "" is one quote. */
			size_t s = ++p;
			bool escaped = false;
			for (;;) {
				if (p >= n) {
					c->pos = p;
					c->why = "unterminated quoted field";
					return -EINVAL;
				}
				if (d[p] == '"') {
					if (p + 1 < n && d[p + 1] == '"') {
						escaped = true;
						p += 2;
						continue;
					}
					break;
				}
				if (d[p] == '\n')
					c->line++;
				p++;
			}
			f.off = s;
			f.len = p - s;
			f.quoted = true;
			f.escaped = escaped;
			p++; /* the closing quote */
			if (p < n && d[p] != ',' && d[p] != '\n' &&
			    !(d[p] == '\r' && (p + 1 == n || d[p + 1] == '\n'))) {
				/* Skip the rest of the line so the next record starts clean. */
				while (p < n && d[p] != '\n')
					p++;
				c->pos = p;
				c->why = "unexpected text after a closing quote";
				return -EINVAL;
			}
		} else {
			size_t s = p;
			p = store_csv_plain_end(d, p, n);
			size_t e = p;
			if (e > s && d[e - 1] == '\r' && (e == n || d[e] == '\n'))
				e--;
			f.len = e - s;
		}
		if (nf < c->cap)
			c->fields[nf] = f;
		nf++;
		if (p < n && d[p] == ',') {
			p++;
			continue;
		}
		if (p < n && d[p] == '\r')
			p++;
		if (p < n && d[p] == '\n') {
			p++;
			c->line++;
		}
		break;
	}
	c->pos = p;
	*nfields = nf;
	return 0;
}

/* Whether field F is NULL: empty and unquoted, or empty and quoted in a
 * column that is not a string column (a quoted empty field of a string
 * column is the empty string).  A reader that does not know the column's
 * type takes it as a string column. */
static inline bool store_csv_null(const store_csv_field *f, bool string_column)
{
	return f->len == 0 && (!f->quoted || !string_column);
}

/* Append to OUT the text of a quoted field whose bytes between the quotes
 * are TEXT (LEN bytes): each "" becomes one quote. */
void store_csv_unquote(const char *text, size_t len, textbuf *out);

/* Append to OUT the LEN bytes at S as one CSV field: quoted when they hold
 * ',', '"', CR or LF, or are empty, each '"' doubled.  S NULL is SQL's NULL,
 * written as an empty field: an empty string is written "" so that the two
 * read back apart (as Spark's CSV writer does, and as the splitter's
 * readers take them). */
void fmt_csv_field(textbuf *out, const char *s, size_t len);

#endif
