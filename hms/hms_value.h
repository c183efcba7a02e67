/*
 * hms_value.h - a call's arguments read whole into a tree of Thrift values,
 * so that a handler looks its fields up by id (hms_calls.c and the files
 * beside it) instead of reading the wire in field order.
 *
 * Reading keeps every limit of hms_thrift.h (string sizes, container
 * lengths, nesting at most HMS_DEPTH_MAX) and adds one for the whole tree:
 * at most HMS_VALUES_MAX values per call, so a hostile client cannot make
 * the daemon hold more memory than a small multiple of what it sent.
 */
#ifndef METAFS_HMS_VALUE_H
#define METAFS_HMS_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "hms_thrift.h"

#define HMS_VALUES_MAX ((uint32_t)4 << 20)

typedef struct hms_value {
	int type;                  /* HMS_T_* */
	int16_t id;                /* a struct member's field id, else 0 */
	int elem_type, key_type;   /* lists and sets: ELEM_TYPE; maps: KEY_TYPE and ELEM_TYPE (values) */
	int64_t i;                 /* bool, byte, i16, i32, i64 */
	double d;
	char *s;                   /* string or binary, NUL-terminated */
	uint32_t len;              /* its bytes */
	uint32_t n;                /* struct: fields; list/set: elements; map: 2 x entries (key, value, ...) */
	struct hms_value *v;
} hms_value;

/* Read one value of TYPE (a struct to its STOP) into *OUT: 0 or the
 * reader's error.  On error *OUT holds what was read; free it either way. */
int hms_value_read(hms_reader *r, int type, hms_value *out);
void hms_value_free(hms_value *v);

/* Member ID of struct S, or NULL (S NULL or not a struct, no such field). */
const hms_value *hms_field(const hms_value *s, int16_t id);
/* Member ID as a string: NULL when absent or of another type. */
char *hms_field_string(const hms_value *s, int16_t id);
/* Member ID as an integer (bool, byte, i16, i32 or i64): DEF when absent. */
int64_t hms_field_int(const hms_value *s, int16_t id, int64_t def);
/* Member ID if it is a list (or set) of ELEM_TYPE, else NULL. */
const hms_value *hms_field_list(const hms_value *s, int16_t id, int elem_type);

#endif
