/*
 * fmt_csv.c - the out-of-line part of the CSV splitter (fmt_csv.h): the
 * unescaping of quoted fields, which only fields holding "" need.
 */
#include "fmt_csv.h"

#include <string.h>

void store_csv_unquote(const char *text, size_t len, textbuf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *q = memchr(text + i, '"', len - i);
		size_t run = q ? (size_t)(q - text) + 1 - i : len - i;

		/* The run up to and including a quote; its twin is skipped. */
		textbuf_append(out, text + i, run);
		i += run;
		if (q && i < len && text[i] == '"')
			i++;
	}
}
