/*
 * fmt.c - the data file formats: the one table of them (see fmt.h).
 */
#include "fmt.h"
#include "fmt_scan.h"

#include <string.h>
#include <strings.h>

static const fmt_ops formats[] = {
	{STORE_FORMAT_CSV, "csv", "csv", true, false, fmt_csv_scan},
	{STORE_FORMAT_JSONL, "jsonl", "jsonl", true, false, fmt_jsonl_scan},
	{STORE_FORMAT_PARQUET, "parquet", "parquet", false, true, fmt_parquet_scan},
};

/* Other names fmt_from_name() takes. */
static const struct {
	store_format format;
	const char *name;
} aliases[] = {
	{STORE_FORMAT_JSONL, "json"},
};

const fmt_ops *fmt_ops_of(store_format f)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i].format == f)
			return &formats[i];
	return NULL;
}

const char *fmt_name(store_format f)
{
	const fmt_ops *o = fmt_ops_of(f);

	return o ? o->name : "?";
}

const char *fmt_extension(store_format f)
{
	const fmt_ops *o = fmt_ops_of(f);

	return o ? o->ext : "?";
}

bool fmt_from_name(const char *name, size_t len, store_format *out)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strlen(formats[i].name) == len && strncasecmp(formats[i].name, name, len) == 0) {
			*out = formats[i].format;
			return true;
		}
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strlen(aliases[i].name) == len && strncasecmp(aliases[i].name, name, len) == 0) {
			*out = aliases[i].format;
			return true;
		}
	return false;
}

const char *fmt_names_list(void)
{
	return "csv, jsonl or parquet";
}
