/*
 * textbuf.h - a growable text buffer for the renderings the mount serves.
 *
 * A textbuf owns its bytes (NUL-terminated).  Appending never fails silently:
 * after an allocation failure the buffer is marked failed, further appends
 * are ignored, and textbuf_error() says -ENOMEM, so callers check once at the
 * end instead of after every line.
 */
#ifndef METAFS_TEXTBUF_H
#define METAFS_TEXTBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct textbuf {
	char *data;     /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	bool failed;
} textbuf;

#define TEXTBUF_INIT {NULL, 0, 0, false}

void textbuf_append(textbuf *b, const char *s, size_t n);
void textbuf_puts(textbuf *b, const char *s);
void textbuf_printf(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void textbuf_vprintf(textbuf *b, const char *fmt, va_list ap);
/* 0, or -ENOMEM if any append failed. */
int textbuf_error(const textbuf *b);
void textbuf_reset(textbuf *b);
/* Free the bytes; B is empty and reusable. */
void textbuf_free(textbuf *b);
/* Hand the bytes to the caller (you now own them; free()), leaving B empty. */
char *textbuf_steal(textbuf *b, size_t *len);

#endif
