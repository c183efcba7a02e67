/* base_msg.c - see base_msg.h. */
#include "base_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t base_msg_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)n < cap)
		return (size_t)n;
	size_t len = cap - 1;
	if (len >= 3)
		memcpy(buf + len - 3, "...", 3);
	return len;
}
