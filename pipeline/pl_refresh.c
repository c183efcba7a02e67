/*
 * pl_refresh.c - the refresh client and the data readers.
 *
 * .refresh gives one line a partition, "SPEC PATH rows=N bytes=N etag=HEX",
 * then "snapshot N"; .refresh@N the same lines after "+ ", "~ " or "- ".
 * A partition value may hold a space (Hive escaping leaves it alone), so a
 * line is split from the right: the three statistics, then PATH, which is
 * always SOURCE/SPEC; SPEC is what comes before " SOURCE/SPEC".
 *
 * The readers hand each row's wanted values to a callback, read with
 * format/'s definitions: CSV records from its splitter (fmt_csv.h: RFC 4180,
 * quoted fields with "" and newlines; an unquoted empty field is NULL, a
 * quoted empty field the empty string; a malformed record is an error),
 * JSONL records and fields from fmt_jsonl.h (one object a line; null or a
 * missing key is NULL).  Parquet files are decoded with
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

#include "base_array.h"
#include "fmt.h"
#include "fmt_csv.h"
#include "fmt_jsonl.h"
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

/* The partition key's value for WANTED, or NULL into V. */
static void key_value(const pl_wanted *wanted, char *const *keyvals, pl_value *v)
{
	const char *kv = keyvals ? keyvals[wanted->key] : NULL;

	memset(v, 0, sizeof *v);
	if (kv) {
		v->kind = PL_V_TEXT;
		v->text = kv;
		v->len = strlen(kv);
	}
}

/* Records as format/'s splitter splits them (fmt_csv.h); the fields of a
 * record are all kept (the array grows to the widest record). */
static int read_csv(const pl_table_info *info, const char *file, const char *text, size_t len,
		    pl_wanted *wanted, unsigned nwanted, char *const *keyvals, pl_row_fn fn,
		    void *ctx, char *err, size_t errlen)
{
	store_csv c;
	store_csv_field *fields = NULL;
	uint32_t cap = info->ncolumns ? info->ncolumns : 1;
	size_t *unq = NULL;     /* nwanted: where an escaped field's text is in SCRATCH */
	textbuf scratch = TEXTBUF_INIT;
	pl_value *vals;
	size_t recno = 0;
	int rc = 0;

	vals = calloc(nwanted ? nwanted : 1, sizeof *vals);
	unq = calloc(nwanted ? nwanted : 1, sizeof *unq);
	fields = calloc(cap, sizeof *fields);
	if (vals == NULL || unq == NULL || fields == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	for (unsigned i = 0; i < nwanted; i++) {
		wanted[i].pos = -1;
		if (wanted[i].key >= 0 || info->header)
			continue;
		for (unsigned col = 0; col < info->ncolumns; col++)
			if (strcmp(info->columns[col].name, wanted[i].name) == 0)
				wanted[i].pos = (int)col;
	}
	store_csv_init(&c, text, len, fields, cap);
	for (;;) {
		size_t pos = c.pos;
		uint64_t line = c.line, start;
		uint32_t nf = 0;

		rc = store_csv_next(&c, &nf, &start);
		if (rc == 0 && nf > cap) {
			/* A wider record than any so far: split it again. */
			store_csv_field *more = realloc(fields, nf * sizeof *fields);
			if (more == NULL) {
				rc = -ENOMEM;
				break;
			}
			fields = more;
			cap = nf;
			c.pos = pos;
			c.line = line;
			c.fields = fields;
			c.cap = cap;
			rc = store_csv_next(&c, &nf, &start);
		}
		if (rc == 1) {
			rc = 0;
			break;
		}
		recno++;
		if (rc != 0)
			break;
		if (recno == 1 && info->header) {
			for (unsigned i = 0; i < nwanted; i++)
				for (unsigned f = 0; f < nf && wanted[i].key < 0; f++)
					if (fields[f].len == strlen(wanted[i].name) && !fields[f].escaped &&
					    memcmp(text + fields[f].off, wanted[i].name, fields[f].len) == 0) {
						wanted[i].pos = (int)f;
						break;
					}
			continue;
		}
		textbuf_reset(&scratch);
		for (unsigned i = 0; i < nwanted; i++) {
			pl_value *v = &vals[i];

			if (wanted[i].key >= 0) {
				key_value(&wanted[i], keyvals, v);
				continue;
			}
			memset(v, 0, sizeof *v);
			if (wanted[i].pos < 0 || (unsigned)wanted[i].pos >= nf)
				continue;
			const store_csv_field *f = &fields[wanted[i].pos];

			if (store_csv_null(f, true))
				continue;   /* NULL */
			v->kind = PL_V_TEXT;
			v->text = f->len ? text + f->off : "";
			v->len = f->len;
			if (f->escaped) {
				unq[i] = scratch.len;
				store_csv_unquote(text + f->off, f->len, &scratch);
				v->len = scratch.len - unq[i];
			}
		}
		if (textbuf_error(&scratch)) {
			rc = -ENOMEM;
			break;
		}
		/* The unescaped texts, now that SCRATCH no longer moves. */
		for (unsigned i = 0; i < nwanted; i++)
			if (wanted[i].key < 0 && wanted[i].pos >= 0 && (unsigned)wanted[i].pos < nf &&
			    fields[wanted[i].pos].escaped)
				vals[i].text = scratch.data + unq[i];
		if (fn(ctx, vals, nwanted) != 0) {
			rc = -ECANCELED;
			break;
		}
	}
	if (rc == -EINVAL)
		snprintf(err, errlen, "%s: record %zu: %s", file, recno,
			 strcmp(c.why, "unterminated quoted field") == 0 ? "a quoted field is not closed"
									  : c.why);
done:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	textbuf_free(&scratch);
	free(fields);
	free(unq);
	free(vals);
	return rc < 0 ? rc : 0;
}

/* ---- JSONL ------------------------------------------------------------------------------ */

/* Records and fields as format/ reads them (fmt_jsonl.h): a string is text,
 * a number a number (without text), a boolean a boolean; null, a missing
 * key, an object or an array are NULL. */
static int read_jsonl(const char *file, const char *text, size_t len, pl_wanted *wanted,
		      unsigned nwanted, char *const *keyvals, pl_row_fn fn, void *ctx, char *err,
		      size_t errlen)
{
	fmt_jsonl j;
	const char *rtext;
	size_t rlen;
	uint64_t line;
	pl_value *vals;
	int rc = 0;

	vals = calloc(nwanted ? nwanted : 1, sizeof *vals);
	if (vals == NULL)
		return -ENOMEM;
	fmt_jsonl_init(&j, text, len);
	while (rc == 0 && fmt_jsonl_next(&j, &rtext, &rlen, &line) == 0) {
		fmt_jsonl_record rec;
		char why[FMT_JSONL_WHY_MAX];
		bool syntax = false;

		if (fmt_jsonl_parse(rtext, rlen, false, &rec, why, &syntax)) {
			snprintf(err, errlen, "%s: line %llu: not a JSON object%s%s", file,
				 (unsigned long long)line, syntax ? ": " : "", syntax ? why : "");
			rc = -EINVAL;
			break;
		}
		for (unsigned i = 0; i < nwanted; i++) {
			pl_value *v = &vals[i];
			fmt_json_value jv;

			if (wanted[i].key >= 0) {
				key_value(&wanted[i], keyvals, v);
				continue;
			}
			memset(v, 0, sizeof *v);
			fmt_jsonl_get(&rec, wanted[i].name, &jv);
			switch (jv.kind) {
			case FMT_JSON_STRING:
				v->kind = PL_V_TEXT;
				v->text = jv.str;
				v->len = jv.len;
				break;
			case FMT_JSON_INTEGER:
			case FMT_JSON_REAL:
				v->kind = PL_V_NUMBER;
				v->number = jv.d;
				break;
			case FMT_JSON_BOOLEAN:
				v->kind = PL_V_BOOL;
				v->boolean = jv.b;
				break;
			default:
				break;   /* NULL */
			}
		}
		if (fn(ctx, vals, nwanted) != 0)
			rc = -ECANCELED;
		fmt_jsonl_record_free(&rec);
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
					key_value(&wanted[i], keyvals, &vals[i]);
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
