/*
 * fmt_jsonl.c - JSON Lines records and fields (fmt_jsonl.h).
 */
#include "fmt_jsonl.h"
#include "fmt_scan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONL_BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r')

int fmt_jsonl_next(fmt_jsonl *j, const char **text, size_t *len, uint64_t *line)
{
	const char *d = j->data;
	size_t p = j->pos, n = j->size;

	while (p < n && (d[p] == '\n' || JSONL_BLANK(d[p]))) {
		if (d[p] == '\n')
			j->line++;
		p++;
	}
	if (p >= n) {
		j->pos = p;
		return 1;
	}
	const char *nl = memchr(d + p, '\n', n - p);
	size_t e = nl ? (size_t)(nl - d) : n;
	*text = d + p;
	*len = e - p;
	*line = j->line;
	j->pos = nl ? e + 1 : e;
	if (nl)
		j->line++;
	return 0;
}

uint64_t fmt_jsonl_count(const char *data, size_t len)
{
	fmt_jsonl j;
	const char *t;
	size_t n;
	uint64_t line, records = 0;

	fmt_jsonl_init(&j, data, len);
	while (fmt_jsonl_next(&j, &t, &n, &line) == 0)
		records++;
	return records;
}

/* The records; the first byte that is not blank must open an object. */
int fmt_jsonl_scan(const char *data, size_t len, const char *name, const store_table *t,
		   fmt_file_stats *out, fmt_error *err)
{
	size_t i = 0;

	while (i < len && (JSONL_BLANK(data[i]) || data[i] == '\n'))
		i++;
	if (i < len && data[i] != '{')
		return fmt_refuse(err, name,
				  "not JSON lines (the first byte that is not blank is not '{'), "
				  "in jsonl table %s.%s", t->db, t->name);
	out->rows = fmt_jsonl_count(data, len);
	return 0;
}

int fmt_jsonl_parse(const char *text, size_t len, bool big_ints, fmt_jsonl_record *rec,
		    char why[FMT_JSONL_WHY_MAX], bool *syntax)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, len, 0, &jerr);

	*rec = (fmt_jsonl_record){.text = text, .len = len};
	if (!obj && big_ints && strstr(jerr.text, "too big")) {
		/* A decimal(p,0) beyond 64 bits is a valid JSON number the
		 * parser refuses as an integer: parse the record again with
		 * integers as reals; numbers are then read from their text. */
		obj = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &jerr);
		rec->ints_as_real = obj != NULL;
	}
	if (!obj || !json_is_object(obj)) {
		snprintf(why, FMT_JSONL_WHY_MAX, "%s", obj ? "not a JSON object" : jerr.text);
		if (syntax)
			*syntax = obj == NULL;
		json_decref(obj);
		rec->obj = NULL;
		rec->ints_as_real = false;
		return -EINVAL;
	}
	rec->obj = obj;
	return 0;
}

void fmt_jsonl_record_free(fmt_jsonl_record *rec)
{
	if (rec->obj)
		json_decref(rec->obj);
	rec->obj = NULL;
}

void fmt_json_classify(json_t *j, fmt_json_value *v)
{
	*v = (fmt_json_value){.json = j};
	switch (j ? json_typeof(j) : JSON_NULL) {
	case JSON_STRING:
		v->kind = FMT_JSON_STRING;
		v->str = json_string_value(j);
		v->len = json_string_length(j);
		break;
	case JSON_INTEGER:
		v->kind = FMT_JSON_INTEGER;
		v->i = json_integer_value(j);
		v->d = json_number_value(j);
		break;
	case JSON_REAL:
		v->kind = FMT_JSON_REAL;
		v->d = json_real_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->kind = FMT_JSON_BOOLEAN;
		v->b = json_is_true(j);
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		v->kind = FMT_JSON_NESTED;
		break;
	default:
		v->kind = FMT_JSON_NULL;
		break;
	}
}

void fmt_jsonl_get(const fmt_jsonl_record *rec, const char *key, fmt_json_value *v)
{
	fmt_json_classify(rec->obj ? json_object_get(rec->obj, key) : NULL, v);
}

char *fmt_json_value_text(const fmt_json_value *v)
{
	return v->json ? json_dumps(v->json, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

bool fmt_jsonl_number_text(const fmt_jsonl_record *rec, const char *key, const char **txt,
			   size_t *tlen)
{
	const char *line = rec->text;
	size_t n = rec->len, klen = strlen(key), i = 0;
	bool found = false;

#define JSON_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
	while (i < n && JSON_WS(line[i]))
		i++;
	if (i >= n || line[i++] != '{')
		return false;
	for (;;) {
		while (i < n && JSON_WS(line[i]))
			i++;
		if (i >= n || line[i] != '"')
			return found;
		size_t ks = ++i;
		bool escaped = false;
		while (i < n && line[i] != '"') {
			if (line[i] == '\\') {
				escaped = true;
				i++;
			}
			i++;
		}
		if (i >= n)
			return found;
		bool match = !escaped && i - ks == klen && !memcmp(line + ks, key, klen);
		i++;
		while (i < n && JSON_WS(line[i]))
			i++;
		if (i >= n || line[i++] != ':')
			return found;
		while (i < n && JSON_WS(line[i]))
			i++;
		size_t vs = i;
		int depth = 0;
		bool in_str = false;
		for (; i < n; i++) {
			char c = line[i];
			if (in_str) {
				if (c == '\\')
					i++;
				else if (c == '"')
					in_str = false;
				continue;
			}
			if (c == '"')
				in_str = true;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && depth > 0)
				depth--;
			else if (depth == 0 && (c == ',' || c == '}' || JSON_WS(c)))
				break;
		}
		if (match && i > vs && (line[vs] == '-' || (line[vs] >= '0' && line[vs] <= '9'))) {
			*txt = line + vs;
			*tlen = i - vs;
			found = true;
		} else if (match) {
			found = false;
		}
		while (i < n && JSON_WS(line[i]))
			i++;
		if (i >= n || line[i++] != ',')
			return found;
	}
#undef JSON_WS
}

int fmt_json_string_write(textbuf *b, const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);

	if (!j)
		return -EINVAL;
	char *txt = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (!txt)
		return -ENOMEM;
	textbuf_puts(b, txt);
	free(txt);
	return 0;
}

int fmt_jsonl_object_write(textbuf *b, const json_t *obj)
{
	char *txt = json_dumps(obj, JSON_COMPACT);

	if (!txt)
		return -ENOMEM;
	textbuf_puts(b, txt);
	textbuf_append(b, "\n", 1);
	free(txt);
	return 0;
}
