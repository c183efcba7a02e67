/*
 * fmt_error.c - the messages of format/: "NAME: " and the text (see
 * fmt_errorv in fmt_parquet.h).
 */
#include "fmt_parquet.h"

#include <stdio.h>

void fmt_errorv(fmt_error *err, const char *name, const char *fmt, va_list ap)
{
	if (!err)
		return;
	int n = snprintf(err->msg, sizeof err->msg, "%s: ", name ? name : "file");
	if (n < 0 || (size_t)n >= sizeof err->msg)
		n = 0;
	vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
}
