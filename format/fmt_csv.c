/*
 * fmt_csv.c - the out-of-line part of CSV (fmt_csv.h): the unescaping of
 * quoted fields, which only fields holding "" need, and the field writer.
 */
#include "fmt_csv.h"
#include "fmt_scan.h"

#include <string.h>

/* TEXT (LEN bytes) to OUT in runs that end at a quote; after each quote,
 * its twin is skipped (UNDOUBLE: reading a quoted field) or added (writing
 * one). */
static void quote_runs(const char *text, size_t len, textbuf *out, bool undouble)
{
	size_t i = 0;

	while (i < len) {
		const char *q = memchr(text + i, '"', len - i);
		size_t run = q ? (size_t)(q - text) + 1 - i : len - i;

		textbuf_append(out, text + i, run);
		i += run;
		if (!q)
			break;
		if (!undouble)
			textbuf_append(out, "\"", 1);
		else if (i < len && text[i] == '"')
			i++;
	}
}

void store_csv_unquote(const char *text, size_t len, textbuf *out)
{
	quote_runs(text, len, out, true);
}

void fmt_csv_field(textbuf *out, const char *s, size_t len)
{
	if (s == NULL)
		return;
	bool quote = len == 0;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		textbuf_append(out, s, len);
		return;
	}
	textbuf_append(out, "\"", 1);
	quote_runs(s, len, out, false);
	textbuf_append(out, "\"", 1);
}

/* The records the splitter splits, a malformed one counting as one; the
 * first one is the header when the table has one. */
int fmt_csv_scan(const char *data, size_t len, const char *name, const store_table *t,
		 fmt_file_stats *out, fmt_error *err)
{
	uint64_t records = 0;
	store_csv c;
	uint32_t nf;
	uint64_t line;

	(void)name;
	(void)err;
	store_csv_init(&c, data, len, NULL, 0);
	while (store_csv_next(&c, &nf, &line) != 1)
		records++;
	out->rows = t->header && records > 0 ? records - 1 : records;
	return 0;
}
