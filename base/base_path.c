/* base_path.c - see base_path.h. */
#include "base_path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int base_path_format(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

bool base_name_hidden(const char *name)
{
	return name != NULL && (name[0] == '.' || name[0] == '_');
}
