/*
 * pl_refresh.c - the refresh client and the data readers.
 *
 * .refresh gives one line a partition, "SPEC PATH rows=N bytes=N etag=HEX",
 * then "snapshot N"; .refresh@N the same lines after "+ ", "~ " or "- ".
 * A partition value may hold a space (Hive escaping leaves it alone), so a
 * line is split from the right: the three statistics, then PATH, which is
 * always SOURCE/SPEC; SPEC is what comes before " SOURCE/SPEC".
 *
 * The readers hand each row's wanted values to a callback without copying:
 * CSV per RFC 4180 (quoted fields with "" and newlines; an unquoted empty
 * field is NULL, a quoted empty field the empty string), JSONL one object a
 * line (null or a missing key is NULL).  Parquet files are decoded with
 * format/'s reader (fmt_parquet.h) one row group at a time, only the wanted
 * columns; a wanted column the file lacks is NULL, as a missing CSV column
 * or JSON key is.  Numbers are handed over as numbers with their CSV text,
 * booleans as booleans, dates, timestamps and strings as text: a value of a
 * Parquet file is what the same value of a CSV file would be.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "base_array.h"
#include "fmt.h"
#include "fmt_parquet.h"
#include "fmt_text.h"
#include "pipeline.h"

/* ---- .refresh ------------------------------------------------------------------------- */

static const char *rfind(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (n > len)
		return NULL;
	for (size_t i = len - n + 1; i-- > 0;)
		if (memcmp(s + i, needle, n) == 0)
			return s + i;
	return NULL;
}

/* Every component of REL (the part of a path after SOURCE/) is key=value. */
static bool spec_path_ok(const char *rel, size_t len)
{
	size_t i = 0;

	while (i <= len) {
		size_t j = i;
		bool eq = false;

		while (j < len && rel[j] != '/') {
			if (rel[j] == '=')
				eq = true;
			j++;
		}
		if (j == i) {
			if (len == 0)
				return true;   /* an unpartitioned table: SOURCE/ */
			return false;
		}
		if (!eq || rel[i] == '=')
			return false;
		i = j + 1;
	}
	return true;
}

static int parse_line(const char *source, const char *line, size_t len, pl_part *part)
{
	size_t srclen = strlen(source), remlen, speclen;
	const char *stats, *path = NULL;

	stats = rfind(line, len, " rows=");
	if (stats == NULL)
		return -EINVAL;
	remlen = (size_t)(stats - line);
	/* REM = SPEC " " SOURCE "/" SPEC */
	if (remlen >= srclen + 2 && (remlen - srclen - 2) % 2 == 0) {
		speclen = (remlen - srclen - 2) / 2;
		if (line[speclen] == ' ' && memcmp(line + speclen + 1, source, srclen) == 0 &&
		    line[speclen + 1 + srclen] == '/' &&
		    memcmp(line + speclen + srclen + 2, line, speclen) == 0)
			path = line + speclen + 1;
	}
	if (path == NULL) {
		char needle[PATH_MAX + 2];

		snprintf(needle, sizeof needle, " %s/", source);
		path = strstr(line, needle);
		if (path == NULL || path >= stats)
			return -EINVAL;
		speclen = (size_t)(path - line);
		path++;
	}
	if ((size_t)(stats - path) >= sizeof part->path || speclen >= sizeof part->spec)
		return -ENAMETOOLONG;
	if (!spec_path_ok(path + srclen + 1, (size_t)(stats - path) - srclen - 1))
		return -EINVAL;
	memcpy(part->spec, line, speclen);
	part->spec[speclen] = '\0';
	memcpy(part->path, path, (size_t)(stats - path));
	part->path[stats - path] = '\0';
	/* no trailing slash (an unpartitioned table lists SOURCE/) */
	if (part->path[strlen(part->path) - 1] == '/')
		part->path[strlen(part->path) - 1] = '\0';
	return 0;
}

int pl_refresh_parse(const char *source, const char *text, size_t len, bool incremental,
		     pl_refresh *r, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	bool trailer = false;
	size_t cap = 0;
	int rc = 0;

	memset(r, 0, sizeof *r);
	r->incremental = incremental;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;

		p = nl ? nl + 1 : end;
		lineno++;
		if (n == 0)
			continue;
		if (trailer) {
			snprintf(err, errlen, ".refresh line %u: a line after the snapshot trailer", lineno);
			rc = -EINVAL;
			goto out;
		}
		if (n > 9 && memcmp(line, "snapshot ", 9) == 0) {
			char num[32], *e;

			if (n - 9 >= sizeof num)
				goto bad;
			memcpy(num, line + 9, n - 9);
			num[n - 9] = '\0';
			errno = 0;
			r->snapshot = strtoull(num, &e, 10);
			if (errno || *e != '\0' || !isdigit((unsigned char)num[0]))
				goto bad;
			trailer = true;
			continue;
		}
		if (n >= 2 && line[1] == ' ' && (line[0] == '+' || line[0] == '~' || line[0] == '-')) {
			if (line[0] == '-') {
				r->ndropped++;
				continue;
			}
			line += 2;
			n -= 2;
		}
		if ((rc = BASE_ARRAY_RESERVE(r->parts, cap, r->nparts + 1)))
			goto out;
		if (parse_line(source, line, n, &r->parts[r->nparts]) != 0)
			goto bad;
		r->nparts++;
		continue;
bad:
		snprintf(err, errlen, ".refresh line %u: not a partition line of %s: '%.*s'", lineno,
			 source, (int)(n > 200 ? 200 : n), line);
		rc = -EINVAL;
		goto out;
	}
	if (!trailer) {
		snprintf(err, errlen, ".refresh of %s has no 'snapshot N' trailer", source);
		rc = -EINVAL;
	}
out:
	if (rc != 0)
		pl_refresh_free(r);
	return rc;
}

void pl_refresh_free(pl_refresh *r)
{
	free(r->parts);
	r->parts = NULL;
	r->nparts = 0;
}

/* ---- .table and .schema ------------------------------------------------------------------ */

static int add_column(pl_column **cols, unsigned *n, unsigned *cap, const char *name, size_t nlen,
		      const char *type, size_t tlen)
{
	int rc = BASE_ARRAY_RESERVE(*cols, *cap, (size_t)*n + 1);

	if (rc)
		return rc;
	pl_column *nc = *cols;
	if (nlen >= sizeof nc->name || tlen >= sizeof nc->type)
		return -ENAMETOOLONG;
	memcpy(nc[*n].name, name, nlen);
	nc[*n].name[nlen] = '\0';
	memcpy(nc[*n].type, type, tlen);
	nc[*n].type[tlen] = '\0';
	(*n)++;
	return 0;
}

/* The next white-space separated word of [*P, END). */
static bool word(const char **p, const char *end, const char **w, size_t *wlen)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s == end)
		return false;
	*w = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	*wlen = (size_t)(s - *w);
	*p = s;
	return true;
}

/* The reader of the format named by the LEN bytes at NAME (fmt.h's names). */
static bool data_format(const char *name, size_t len, pl_data_format *out)
{
	store_format f;

	if (!fmt_from_name(name, len, &f))
		return false;
	*out = f == STORE_FORMAT_JSONL ? PL_DATA_JSONL
	       : f == STORE_FORMAT_PARQUET ? PL_DATA_PARQUET : PL_DATA_CSV;
	return true;
}

int pl_table_info_parse(const char *table_text, const char *schema_text, pl_table_info *info,
			char *err, size_t errlen)
{
	const char *p, *end;
	bool have_format = false, have_header = false;
	int rc = 0;

	memset(info, 0, sizeof *info);
	for (p = table_text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n >= 8 && strncmp(p, "format: ", 8) == 0) {
			have_format = true;
			if (!data_format(p + 8, n - 8, &info->format)) {
				snprintf(err, errlen, ".table: unknown format '%.*s'", (int)(n - 8), p + 8);
				return -EINVAL;
			}
		} else if (n >= 8 && strncmp(p, "header: ", 8) == 0) {
			have_header = true;
			info->header = n - 8 == 4 && strncmp(p + 8, "true", 4) == 0;
		}
		p = nl ? nl + 1 : p + n;
	}
	for (p = schema_text; p && *p;) {
		const char *nl = strchr(p, '\n');
		const char *line = p, *kw, *name, *type;
		size_t kwlen, nlen, tlen;

		end = nl ? nl : p + strlen(p);
		p = nl ? nl + 1 : end;
		if (!word(&line, end, &kw, &kwlen) || kw[0] == '#')
			continue;
		if ((kwlen == 6 && strncasecmp(kw, "column", 6) == 0) ||
		    (kwlen == 9 && strncasecmp(kw, "partition", 9) == 0)) {
			if (!word(&line, end, &name, &nlen) || !word(&line, end, &type, &tlen)) {
				snprintf(err, errlen, ".schema: a '%.*s' line without a name and type",
					 (int)kwlen, kw);
				rc = -EINVAL;
				goto fail;
			}
			if (kwlen == 6)
				rc = add_column(&info->columns, &info->ncolumns, &info->capcolumns, name, nlen, type, tlen);
			else
				rc = add_column(&info->keys, &info->nkeys, &info->capkeys, name, nlen, type, tlen);
			if (rc != 0) {
				snprintf(err, errlen, ".schema: %s", strerror(-rc));
				goto fail;
			}
		} else if (kwlen == 6 && strncasecmp(kw, "format", 6) == 0 && !have_format) {
			if (word(&line, end, &name, &nlen))
				(void)data_format(name, nlen, &info->format);
		} else if (kwlen == 6 && strncasecmp(kw, "header", 6) == 0 && !have_header) {
			if (word(&line, end, &name, &nlen))
				info->header = nlen == 4 && strncasecmp(name, "true", 4) == 0;
		}
	}
	if (info->ncolumns == 0) {
		snprintf(err, errlen, ".schema: the table has no columns (no schema?)");
		rc = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	pl_table_info_free(info);
	return rc;
}

void pl_table_info_free(pl_table_info *info)
{
	free(info->columns);
	free(info->keys);
	info->columns = info->keys = NULL;
	info->ncolumns = info->nkeys = 0;
	info->capcolumns = info->capkeys = 0;
}

/* ---- CSV ------------------------------------------------------------------------------------ */

struct field {
	size_t off, len;   /* into the record buffer */
	bool quoted;
};

struct record {
	char *buf;
	size_t len, cap;
	struct field *fields;
	unsigned n, fcap;
};

static int rec_putc(struct record *r, char c)
{
	int rc = BASE_ARRAY_RESERVE(r->buf, r->cap, r->len + 1);

	if (rc)
		return rc;
	r->buf[r->len++] = c;
	return 0;
}

static int rec_field(struct record *r, size_t off, bool quoted)
{
	int rc = BASE_ARRAY_RESERVE(r->fields, r->fcap, (size_t)r->n + 1);

	if (rc)
		return rc;
	r->fields[r->n].off = off;
	r->fields[r->n].len = r->len - off;
	r->fields[r->n].quoted = quoted;
	r->n++;
	return 0;
}

/* Read one record from *P; 1 when one was read, 0 at the end, -EINVAL for an
 * unclosed quote.  A record that is an empty line is returned with n = 0. */
static int csv_next(const char **pp, const char *end, struct record *r)
{
	const char *p = *pp;
	size_t off;
	bool quoted;
	int rc;

	r->len = 0;
	r->n = 0;
	if (p >= end)
		return 0;
	if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
		*pp = p + (*p == '\r' ? 2 : 1);
		return 1;
	}
	for (;;) {
		off = r->len;
		quoted = false;
		if (p < end && *p == '"') {
			quoted = true;
			p++;
			for (;;) {
				if (p >= end)
					return -EINVAL;
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						if ((rc = rec_putc(r, '"')) != 0)
							return rc;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if ((rc = rec_putc(r, *p++)) != 0)
					return rc;
			}
		}
		/* unquoted text, or (leniently) text after a closing quote */
		while (p < end && *p != ',' && *p != '\n') {
			if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
				p++;
				continue;
			}
			if ((rc = rec_putc(r, *p++)) != 0)
				return rc;
		}
		if ((rc = rec_field(r, off, quoted)) != 0)
			return rc;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end)
			p++;   /* the newline */
		break;
	}
	*pp = p;
	return 1;
}

static int read_csv(const pl_table_info *info, const char *file, const char *text, size_t len,
		    pl_wanted *wanted, unsigned nwanted, char *const *keyvals, pl_row_fn fn,
		    void *ctx, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	struct record rec = {0};
	pl_value *vals;
	size_t recno = 0;
	int rc = 0;

	vals = calloc(nwanted ? nwanted : 1, sizeof *vals);
	if (vals == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < nwanted; i++) {
		wanted[i].pos = -1;
		if (wanted[i].key >= 0 || info->header)
			continue;
		for (unsigned c = 0; c < info->ncolumns; c++)
			if (strcmp(info->columns[c].name, wanted[i].name) == 0)
				wanted[i].pos = (int)c;
	}
	for (;;) {
		rc = csv_next(&p, end, &rec);
		if (rc <= 0)
			break;
		recno++;
		if (rec.n == 0)
			continue;   /* an empty line */
		if (recno == 1 && info->header) {
			for (unsigned i = 0; i < nwanted; i++)
				for (unsigned f = 0; f < rec.n && wanted[i].key < 0; f++)
					if (rec.fields[f].len == strlen(wanted[i].name) &&
					    memcmp(rec.buf + rec.fields[f].off, wanted[i].name,
						   rec.fields[f].len) == 0) {
						wanted[i].pos = (int)f;
						break;
					}
			continue;
		}
		for (unsigned i = 0; i < nwanted; i++) {
			pl_value *v = &vals[i];

			memset(v, 0, sizeof *v);
			if (wanted[i].key >= 0) {
				const char *kv = keyvals ? keyvals[wanted[i].key] : NULL;

				if (kv) {
					v->kind = PL_V_TEXT;
					v->text = kv;
					v->len = strlen(kv);
				}
				continue;
			}
			if (wanted[i].pos < 0 || (unsigned)wanted[i].pos >= rec.n)
				continue;
			const struct field *f = &rec.fields[wanted[i].pos];

			if (f->len == 0 && !f->quoted)
				continue;   /* NULL */
			/* The record buffer is still NULL when no field so far had a byte
			 * (",\n\"\""), and NULL + 0 is undefined: an empty text points at "". */
			v->kind = PL_V_TEXT;
			v->text = f->len ? rec.buf + f->off : "";
			v->len = f->len;
		}
		if (fn(ctx, vals, nwanted) != 0) {
			rc = -ECANCELED;
			break;
		}
	}
	if (rc == -EINVAL)
		snprintf(err, errlen, "%s: record %zu: a quoted field is not closed", file, recno + 1);
	else if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	free(rec.buf);
	free(rec.fields);
	free(vals);
	return rc < 0 ? rc : 0;
}

/* ---- JSONL ------------------------------------------------------------------------------ */

static void json_to_value(json_t *j, pl_value *v)
{
	memset(v, 0, sizeof *v);
	switch (j ? json_typeof(j) : JSON_NULL) {
	case JSON_STRING:
		v->kind = PL_V_TEXT;
		v->text = json_string_value(j);
		v->len = json_string_length(j);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		v->kind = PL_V_NUMBER;
		v->number = json_number_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->kind = PL_V_BOOL;
		v->boolean = json_is_true(j);
		break;
	default:
		v->kind = PL_V_NULL;   /* null, objects and arrays */
		break;
	}
}

static int read_jsonl(const char *file, const char *text, size_t len, pl_wanted *wanted,
		      unsigned nwanted, char *const *keyvals, pl_row_fn fn, void *ctx, char *err,
		      size_t errlen)
{
	const char *p = text, *end = text + len;
	pl_value *vals;
	size_t lineno = 0;
	int rc = 0;

	vals = calloc(nwanted ? nwanted : 1, sizeof *vals);
	if (vals == NULL)
		return -ENOMEM;
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *line = p;
		json_error_t jerr;
		json_t *obj;
		bool blank = true;

		p = nl ? nl + 1 : end;
		lineno++;
		for (size_t i = 0; i < n && blank; i++)
			blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
		if (blank)
			continue;
		obj = json_loadb(line, n, 0, &jerr);
		if (obj == NULL || !json_is_object(obj)) {
			snprintf(err, errlen, "%s: line %zu: not a JSON object%s%s", file, lineno,
				 obj ? "" : ": ", obj ? "" : jerr.text);
			json_decref(obj);
			rc = -EINVAL;
			break;
		}
		for (unsigned i = 0; i < nwanted; i++) {
			if (wanted[i].key >= 0) {
				const char *kv = keyvals ? keyvals[wanted[i].key] : NULL;

				memset(&vals[i], 0, sizeof vals[i]);
				if (kv) {
					vals[i].kind = PL_V_TEXT;
					vals[i].text = kv;
					vals[i].len = strlen(kv);
				}
				continue;
			}
			json_to_value(json_object_get(obj, wanted[i].name), &vals[i]);
		}
		if (fn(ctx, vals, nwanted) != 0)
			rc = -ECANCELED;
		json_decref(obj);
	}
	free(vals);
	return rc;
}

/* ---- Parquet ------------------------------------------------------------------------------ */

/* The file's column named NAME: exactly, else ignoring ASCII case; -1. */
static int parquet_column(const fmt_parquet *p, const char *name)
{
	size_t n = fmt_parquet_ncolumns(p);

	for (size_t c = 0; c < n; c++)
		if (strcmp(fmt_parquet_column_at(p, c)->name, name) == 0)
			return (int)c;
	for (size_t c = 0; c < n; c++)
		if (strcasecmp(fmt_parquet_column_at(p, c)->name, name) == 0)
			return (int)c;
	return -1;
}

/* Value R of V as the readers hand it over; TEXT is its CSV text's room. */
static void parquet_value(const fmt_vector *v, size_t r, char text[FMT_TEXT_MAX], pl_value *out)
{
	memset(out, 0, sizeof *out);
	if (fmt_vector_is_null(v, r))
		return;
	switch (store_type_base(v->type)) {
	case STORE_TYPE_STRING:
		out->kind = PL_V_TEXT;
		out->text = fmt_vector_str(v, r, &out->len);
		if (out->len == 0)
			out->text = "";
		return;
	case STORE_TYPE_BOOLEAN:
		out->kind = PL_V_BOOL;
		out->boolean = v->v.b[r] != 0;
		return;
	case STORE_TYPE_BIGINT:
	case STORE_TYPE_DOUBLE:
	case STORE_TYPE_DECIMAL:
		out->kind = PL_V_NUMBER;
		out->len = fmt_value_text(v, r, text);
		out->text = text;
		out->number = store_type_base(v->type) == STORE_TYPE_BIGINT ? (double)v->v.i64[r]
			      : store_type_base(v->type) == STORE_TYPE_DOUBLE ? v->v.f64[r]
									: strtod(text, NULL);
		return;
	default:   /* dates and timestamps: their text, as in a CSV file */
		out->kind = PL_V_TEXT;
		out->len = fmt_value_text(v, r, text);
		out->text = text;
		return;
	}
}

static int read_parquet(const char *file, const char *data, size_t len, pl_wanted *wanted,
			unsigned nwanted, char *const *keyvals, pl_row_fn fn, void *ctx, char *err,
			size_t errlen)
{
	fmt_parquet *p = NULL;
	fmt_error fe = {""};
	size_t n = nwanted ? nwanted : 1;
	pl_value *vals = calloc(n, sizeof *vals);
	fmt_vector *vecs = calloc(n, sizeof *vecs);
	char (*text)[FMT_TEXT_MAX] = calloc(n, sizeof *text);
	int rc;

	if (vals == NULL || vecs == NULL || text == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	rc = fmt_parquet_open_mem(data, len, file, &p, &fe);
	if (rc != 0) {
		snprintf(err, errlen, "%s", fe.msg);
		goto done;
	}
	for (unsigned i = 0; i < nwanted; i++) {
		wanted[i].pos = wanted[i].key >= 0 ? -1 : parquet_column(p, wanted[i].name);
		fmt_vector_init(&vecs[i], wanted[i].pos >= 0
						  ? fmt_parquet_column_at(p, (size_t)wanted[i].pos)->type
						  : STORE_TYPE_STRING);
	}
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p) && rc == 0; g++) {
		size_t rows = (size_t)fmt_parquet_rowgroup_at(p, g)->num_rows;

		for (unsigned i = 0; i < nwanted && rc == 0; i++) {
			fmt_vector_clear(&vecs[i]);
			if (wanted[i].pos < 0)
				continue;
			rc = fmt_parquet_read_column(p, g, (size_t)wanted[i].pos, &vecs[i], &fe);
			if (rc != 0)
				snprintf(err, errlen, "%s", fe.msg);
			else if (vecs[i].n != rows) {
				snprintf(err, errlen, "%s: row group %zu: column '%s' has %zu values, not %zu",
					 file, g, wanted[i].name, vecs[i].n, rows);
				rc = -EINVAL;
			}
		}
		for (size_t r = 0; r < rows && rc == 0; r++) {
			for (unsigned i = 0; i < nwanted; i++) {
				if (wanted[i].key >= 0) {
					const char *kv = keyvals ? keyvals[wanted[i].key] : NULL;

					memset(&vals[i], 0, sizeof vals[i]);
					if (kv) {
						vals[i].kind = PL_V_TEXT;
						vals[i].text = kv;
						vals[i].len = strlen(kv);
					}
				} else if (wanted[i].pos < 0) {
					memset(&vals[i], 0, sizeof vals[i]);
				} else {
					parquet_value(&vecs[i], r, text[i], &vals[i]);
				}
			}
			if (fn(ctx, vals, nwanted) != 0)
				rc = -ECANCELED;
		}
	}
done:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	else if (rc != 0 && rc != -ECANCELED)
		rc = -EINVAL;   /* a file the reader cannot decode is malformed data here */
	for (unsigned i = 0; vecs && i < nwanted; i++)
		fmt_vector_free(&vecs[i]);
	fmt_parquet_close(p);
	free(vals);
	free(vecs);
	free(text);
	return rc;
}

int pl_read_rows(const pl_table_info *info, const char *file, const char *text, size_t len,
		 pl_wanted *wanted, unsigned nwanted, char *const *keyvals, pl_row_fn fn,
		 void *ctx, char *err, size_t errlen)
{
	if (info->format == PL_DATA_PARQUET)
		return read_parquet(file, text, len, wanted, nwanted, keyvals, fn, ctx, err, errlen);
	if (info->format == PL_DATA_JSONL)
		return read_jsonl(file, text, len, wanted, nwanted, keyvals, fn, ctx, err, errlen);
	return read_csv(info, file, text, len, wanted, nwanted, keyvals, fn, ctx, err, errlen);
}
