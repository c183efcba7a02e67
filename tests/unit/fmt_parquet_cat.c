/*
 * fmt_parquet_cat.c - print Parquet files as CSV with metafs's reader, for
 * the integration tests (which have no Parquet reader of their own):
 *     fmt_parquet_cat [--schema] FILE...
 * A header line of the column names, then one line a row: strings as they
 * are (quoted when they hold a comma, a quote or a line break, or are
 * empty), other values in their CSV text (fmt_text.h), NULL an empty field.
 * --schema prints "NAME TYPE" a column instead (string, bigint, double,
 * boolean, date, timestamp, decimal(p,s)).  Exit 1 with the reader's
 * message when a file cannot be read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fmt_parquet.h"
#include "fmt_text.h"

static const char *type_name(store_type t, char *buf, size_t cap)
{
	static const char *const names[] = {"?", "string", "bigint", "double", "boolean", "date",
					    "timestamp"};
	if (store_type_base(t) == STORE_TYPE_DECIMAL) {
		snprintf(buf, cap, "decimal(%u,%u)", store_type_precision(t), store_type_scale(t));
		return buf;
	}
	return (unsigned)t < 7 ? names[t] : "?";
}

static void put_string(const char *s, size_t n)
{
	bool quote = n == 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		fwrite(s, 1, n, stdout);
		return;
	}
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			putchar('"');
		putchar(s[i]);
	}
	putchar('"');
}

static int cat(const char *path, bool schema, bool header)
{
	fmt_parquet *p = NULL;
	fmt_error fe;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0) {
		perror(path);
		return 1;
	}
	rc = fmt_parquet_open_fd(fd, path, &p, &fe);
	close(fd);
	if (rc) {
		fprintf(stderr, "%s\n", fe.msg);
		return 1;
	}
	size_t nc = fmt_parquet_ncolumns(p);
	char buf[64];
	if (schema) {
		for (size_t c = 0; c < nc; c++) {
			const fmt_parquet_column *col = fmt_parquet_column_at(p, c);
			printf("%s %s\n", col->name, type_name(col->type, buf, sizeof buf));
		}
		fmt_parquet_close(p);
		return 0;
	}
	if (header)
		for (size_t c = 0; c < nc; c++)
			printf("%s%s", fmt_parquet_column_at(p, c)->name, c + 1 < nc ? "," : "\n");
	fmt_vector *v = calloc(nc, sizeof *v);
	for (size_t c = 0; v && c < nc; c++)
		fmt_vector_init(&v[c], fmt_parquet_column_at(p, c)->type);
	for (size_t g = 0; v && rc == 0 && g < fmt_parquet_nrowgroups(p); g++) {
		for (size_t c = 0; c < nc && rc == 0; c++) {
			fmt_vector_clear(&v[c]);
			rc = fmt_parquet_read_column(p, g, c, &v[c], &fe);
		}
		if (rc) {
			fprintf(stderr, "%s\n", fe.msg);
			break;
		}
		for (size_t r = 0; nc && r < v[0].n; r++) {
			for (size_t c = 0; c < nc; c++) {
				if (!fmt_vector_is_null(&v[c], r)) {
					size_t n;
					if (store_type_base(v[c].type) == STORE_TYPE_STRING) {
						const char *s = fmt_vector_str(&v[c], r, &n);
						put_string(s, n);
					} else {
						char t[FMT_TEXT_MAX];
						n = fmt_value_text(&v[c], r, t);
						fwrite(t, 1, n, stdout);
					}
				}
				putchar(c + 1 < nc ? ',' : '\n');
			}
		}
	}
	for (size_t c = 0; v && c < nc; c++)
		fmt_vector_free(&v[c]);
	free(v);
	fmt_parquet_close(p);
	return rc || !v ? 1 : 0;
}

int main(int argc, char **argv)
{
	bool schema = argc > 1 && strcmp(argv[1], "--schema") == 0;
	int first = schema ? 2 : 1, rc = 0;

	if (first >= argc) {
		fprintf(stderr, "usage: fmt_parquet_cat [--schema] FILE...\n");
		return 2;
	}
	for (int i = first; i < argc; i++)
		rc |= cat(argv[i], schema, i == first);
	return fflush(stdout) == 0 ? rc : 1;
}
