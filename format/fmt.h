/*
 * fmt.h - the data file formats of metafs tables, by name: the one table of
 * what each format is called (in .schema, in SQL's STORED AS / USING, in
 * plans, on the command line) and which extension its files get.  Every
 * layer that names a format asks here rather than spelling it out.
 */
#ifndef METAFS_FMT_H
#define METAFS_FMT_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>

/* The name of format F as .schema and plans write it ("csv", "jsonl",
 * "parquet"); "?" for a value that is no format. */
const char *fmt_name(store_format f);
/* The extension of F's data files, without the dot ("csv", "jsonl",
 * "parquet"). */
const char *fmt_extension(store_format f);
/* The format named by the LEN bytes at NAME, ignoring ASCII case; the names
 * fmt_name() gives and the aliases engines use ("json" for jsonl).  false
 * when NAME names none. */
bool fmt_from_name(const char *name, size_t len, store_format *out);
/* The names fmt_from_name() takes, for messages: "csv, jsonl or parquet". */
const char *fmt_names_list(void);

#endif
