/*
 * fmt_jsonl.h - JSON Lines: the one definition of what a JSONL record is
 * and of what a field of one holds, for every layer that reads JSONL data
 * files (fmt_file_scan counts records, the SQL engine's reader converts
 * fields, the exchange transform masks them, metafs-pipeline reads them).
 *
 * Rules (as metafs(5) describes the jsonl format):
 *   - a record is a line holding something other than blanks (space, tab,
 *     CR): blank lines are not records;
 *   - a record is one JSON object (its text runs from the first byte that is
 *     not blank to the LF or the end of the data);
 *   - a field is the value of a top-level key (the last one when a key is
 *     repeated); a missing key reads as null.
 * Writers write one object a line, compact, ending in LF.
 */
#ifndef METAFS_FMT_JSONL_H
#define METAFS_FMT_JSONL_H

#include "textbuf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fmt_jsonl {
	const char *data;
	size_t size;
	size_t pos;         /* where the next record is looked for */
	uint64_t line;      /* physical line at pos, 1-based */
} fmt_jsonl;

static inline void fmt_jsonl_init(fmt_jsonl *j, const char *data, size_t size)
{
	*j = (fmt_jsonl){.data = data, .size = size, .line = 1};
}

/* The record at j->pos: 1 at the end of the data; 0 with its text (*TEXT,
 * *LEN: from its first byte that is not blank up to its LF, excluded) and
 * the physical line it is on (*LINE).  j->pos is left after the record. */
int fmt_jsonl_next(fmt_jsonl *j, const char **text, size_t *len, uint64_t *line);

/* The number of records in the LEN bytes at DATA. */
uint64_t fmt_jsonl_count(const char *data, size_t len);

/* A record parsed. */
typedef struct fmt_jsonl_record {
	json_t *obj;            /* the object; NULL when not parsed */
	const char *text;       /* the record's text, for number texts */
	size_t len;
	bool ints_as_real;      /* integers were parsed as reals (see fmt_jsonl_parse) */
} fmt_jsonl_record;

#define FMT_JSONL_WHY_MAX JSON_ERROR_TEXT_LENGTH

/* Parse the record TEXT (LEN bytes) into REC.  -EINVAL when it is not a
 * JSON object, with WHY: the parser's message, or "not a JSON object" for
 * valid JSON of another kind (*SYNTAX tells which; may be NULL).  With
 * BIG_INTS, a record holding an integer beyond 64 bits (which the parser
 * refuses) is parsed again with every integer as a real and
 * REC->ints_as_real set: a reader takes such numbers from their text
 * (fmt_jsonl_number_text).  REC holds nothing to free after an error. */
int fmt_jsonl_parse(const char *text, size_t len, bool big_ints, fmt_jsonl_record *rec,
		    char why[FMT_JSONL_WHY_MAX], bool *syntax);
void fmt_jsonl_record_free(fmt_jsonl_record *rec);

/* What a field holds. */
typedef enum fmt_json_kind {
	FMT_JSON_NULL = 0,      /* null, or the key is missing */
	FMT_JSON_STRING,
	FMT_JSON_INTEGER,       /* a number without fraction or exponent, in 64 bits */
	FMT_JSON_REAL,          /* any other number (every number under ints_as_real) */
	FMT_JSON_BOOLEAN,
	FMT_JSON_NESTED,        /* an object or an array */
} fmt_json_kind;

typedef struct fmt_json_value {
	fmt_json_kind kind;
	const char *str;        /* STRING: the text (UTF-8, may hold NUL), alive with the record */
	size_t len;
	int64_t i;              /* INTEGER */
	double d;               /* INTEGER and REAL: the number */
	bool b;                 /* BOOLEAN */
	json_t *json;           /* the value itself; NULL for a missing key */
} fmt_json_value;

/* The field KEY of REC into V. */
void fmt_jsonl_get(const fmt_jsonl_record *rec, const char *key, fmt_json_value *v);
/* What J holds, as fmt_jsonl_get() tells it. */
void fmt_json_classify(json_t *j, fmt_json_value *v);

/* The text of the number that is the value of top-level key KEY in REC's
 * text (the last one, as the parser keeps the last of duplicate keys), for
 * numbers that must not go through a double (decimals, integers beyond 64
 * bits).  False when there is none, or the key is written with escapes. */
bool fmt_jsonl_number_text(const fmt_jsonl_record *rec, const char *key, const char **txt,
			   size_t *tlen);

/* V as compact JSON text (a nested value, or any value for a message);
 * malloc'ed, NULL when out of memory or V is a missing key. */
char *fmt_json_value_text(const fmt_json_value *v);

/* ---- writing ---- */

/* Append to B the N bytes at S as a JSON string (quoted, escaped): 0, or
 * -EINVAL when they are not UTF-8 (JSON cannot carry them), -ENOMEM. */
int fmt_json_string_write(textbuf *b, const char *s, size_t n);
/* Append to B the object OBJ as one record: its compact text and LF. */
int fmt_jsonl_object_write(textbuf *b, const json_t *obj);

#endif
