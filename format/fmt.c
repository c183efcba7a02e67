/*
 * fmt.c - the data file formats by name (see fmt.h).
 */
#include "fmt.h"

#include <string.h>
#include <strings.h>

static const struct {
	store_format format;
	const char *name;       /* the first one of a format is its own name */
	const char *ext;
} formats[] = {
	{STORE_FORMAT_CSV, "csv", "csv"},
	{STORE_FORMAT_JSONL, "jsonl", "jsonl"},
	{STORE_FORMAT_PARQUET, "parquet", "parquet"},
	{STORE_FORMAT_JSONL, "json", "jsonl"},
};

const char *fmt_name(store_format f)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i].format == f)
			return formats[i].name;
	return "?";
}

const char *fmt_extension(store_format f)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i].format == f)
			return formats[i].ext;
	return "?";
}

bool fmt_from_name(const char *name, size_t len, store_format *out)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strlen(formats[i].name) == len && strncasecmp(formats[i].name, name, len) == 0) {
			*out = formats[i].format;
			return true;
		}
	return false;
}

const char *fmt_names_list(void)
{
	return "csv, jsonl or parquet";
}
