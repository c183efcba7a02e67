/*
 * hms_thrift.h - a strict codec of the Thrift binary protocol, the wire
 * format of the Hive Metastore API (hms/).
 *
 * Reading.  An hms_reader takes bytes either from a buffer (tests) or from
 * a FILL callback (a socket).  Every length read from the wire is checked
 * against a limit before anything is allocated: strings at most
 * HMS_STRING_MAX bytes, containers at most HMS_ELEMS_MAX elements, and
 * skipped values nest at most HMS_DEPTH_MAX deep.  The first error sticks:
 * every later call returns it, so a handler may read a whole struct and
 * check once.  Errors are -EPROTO (bytes that are not the protocol),
 * -EMSGSIZE (a length over its limit), -EPIPE (the input ended inside a
 * value), -ETIMEDOUT / -EIO (the source failed) and -ENOMEM.  Nothing in
 * here aborts on bad input.
 *
 * Writing.  An hms_writer appends to a growing buffer; an allocation
 * failure sticks as -ENOMEM in its err and the bytes are then not to be
 * sent.
 */
#ifndef METAFS_HMS_THRIFT_H
#define METAFS_HMS_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HMS_STRING_MAX ((uint32_t)16 << 20)   /* bytes of one string or binary */
#define HMS_ELEMS_MAX ((uint32_t)1 << 20)     /* elements of one list, set or map */
#define HMS_DEPTH_MAX 64                      /* nesting of skipped values */

/* Thrift type ids. */
enum {
	HMS_T_STOP = 0, HMS_T_BOOL = 2, HMS_T_BYTE = 3, HMS_T_DOUBLE = 4, HMS_T_I16 = 6,
	HMS_T_I32 = 8, HMS_T_I64 = 10, HMS_T_STRING = 11, HMS_T_STRUCT = 12, HMS_T_MAP = 13,
	HMS_T_SET = 14, HMS_T_LIST = 15,
};
/* Message types. */
enum { HMS_CALL = 1, HMS_REPLY = 2, HMS_EXCEPTION = 3, HMS_ONEWAY = 4 };
/* TApplicationException types. */
enum { HMS_TAPP_UNKNOWN_METHOD = 1, HMS_TAPP_INVALID_MESSAGE_TYPE = 2,
       HMS_TAPP_INTERNAL_ERROR = 6, HMS_TAPP_PROTOCOL_ERROR = 7 };

/* FILL reads up to CAP bytes into BUF: the count, 0 at the end, or -errno. */
typedef long (*hms_fill_fn)(void *arg, uint8_t *buf, size_t cap);

typedef struct hms_reader {
	const uint8_t *data;      /* the bytes not yet consumed start at data + pos */
	size_t len, pos;
	hms_fill_fn fill;         /* NULL: DATA is all there is */
	void *fill_arg;
	uint8_t *buf;             /* FILL's buffer, owned */
	size_t cap;
	int err;                  /* the first error, sticky */
} hms_reader;

/* A reader of the LEN bytes at DATA (borrowed while it is used). */
void hms_reader_init_mem(hms_reader *r, const void *data, size_t len);
/* A reader that asks FILL(ARG, ...) for bytes; -ENOMEM when no buffer. */
int hms_reader_init_fill(hms_reader *r, hms_fill_fn fill, void *arg);
void hms_reader_free(hms_reader *r);
/* Whether input is buffered but not yet read (a client may pipeline). */
bool hms_reader_buffered(const hms_reader *r);

/* The message header, strict ("versioned", 0x8001 in the first two bytes)
 * or old-style (the name's length first).  *NAME is yours (free()). */
int hms_read_message_begin(hms_reader *r, char **name, int *type, int32_t *seqid);
/* *TYPE HMS_T_STOP at the end of a struct (*ID then 0). */
int hms_read_field_begin(hms_reader *r, int *type, int16_t *id);
int hms_read_bool(hms_reader *r, bool *v);
int hms_read_byte(hms_reader *r, int8_t *v);
int hms_read_i16(hms_reader *r, int16_t *v);
int hms_read_i32(hms_reader *r, int32_t *v);
int hms_read_i64(hms_reader *r, int64_t *v);
int hms_read_double(hms_reader *r, double *v);
/* A string (or binary): *OUT is yours, NUL-terminated, *LEN its bytes
 * (LEN may be NULL). */
int hms_read_string(hms_reader *r, char **out, uint32_t *len);
int hms_read_list_begin(hms_reader *r, int *elem_type, uint32_t *n);   /* lists and sets */
int hms_read_map_begin(hms_reader *r, int *key_type, int *value_type, uint32_t *n);
/* Read past one value of TYPE (a struct to its STOP, containers whole). */
int hms_skip(hms_reader *r, int type);

typedef struct hms_writer {
	uint8_t *data;            /* owned; hms_writer_free */
	size_t len, cap;
	int err;
} hms_writer;

void hms_writer_init(hms_writer *w);
void hms_writer_free(hms_writer *w);
void hms_writer_reset(hms_writer *w);
/* Strict (versioned) header unless OLD_STYLE. */
void hms_write_message_begin(hms_writer *w, const char *name, int type, int32_t seqid,
			     bool old_style);
void hms_write_field_begin(hms_writer *w, int type, int16_t id);
void hms_write_field_stop(hms_writer *w);
void hms_write_bool(hms_writer *w, bool v);
void hms_write_byte(hms_writer *w, int8_t v);
void hms_write_i16(hms_writer *w, int16_t v);
void hms_write_i32(hms_writer *w, int32_t v);
void hms_write_i64(hms_writer *w, int64_t v);
void hms_write_double(hms_writer *w, double v);
void hms_write_string(hms_writer *w, const char *s);
void hms_write_binary(hms_writer *w, const void *s, uint32_t len);
void hms_write_list_begin(hms_writer *w, int elem_type, uint32_t n);
void hms_write_map_begin(hms_writer *w, int key_type, int value_type, uint32_t n);
/* A field holding a string: the usual case, in one call. */
void hms_write_string_field(hms_writer *w, int16_t id, const char *s);

#endif
