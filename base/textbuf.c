#include "textbuf.h"

#include "base_array.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool textbuf_reserve(textbuf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra >= SIZE_MAX - b->len ||
	    base_array_reserve((void **)&b->data, &b->cap, b->len + extra + 1, 1)) {
		b->failed = true;
		return false;
	}
	return true;
}

void textbuf_append(textbuf *b, const char *s, size_t n)
{
	if (!textbuf_reserve(b, n))
		return;
	if (n)   /* S may be NULL when N is 0 */
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void textbuf_puts(textbuf *b, const char *s)
{
	textbuf_append(b, s, strlen(s));
}

void textbuf_vprintf(textbuf *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		b->failed = true;
	} else if (textbuf_reserve(b, (size_t)n)) {
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

void textbuf_printf(textbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	textbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

int textbuf_error(const textbuf *b)
{
	return b->failed ? -ENOMEM : 0;
}

void textbuf_reset(textbuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void textbuf_free(textbuf *b)
{
	free(b->data);
	*b = (textbuf)TEXTBUF_INIT;
}

char *textbuf_steal(textbuf *b, size_t *len)
{
	char *p = b->data;
	if (len)
		*len = b->len;
	*b = (textbuf)TEXTBUF_INIT;
	return p;
}
