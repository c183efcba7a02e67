/*
 * fmt.h - the data file formats of metafs tables: the one table (fmt.c) of
 * what each format is called (in .schema, in SQL's STORED AS / USING, in
 * plans, on the command line), which extension its files get, and the
 * functions that read a file of it at commit (rows, statistics, the check
 * that the bytes are of the format).  Every layer that names a format asks
 * here rather than spelling it out.  A new format is one file of its own
 * (fmt_NAME.c: its reader, writer and scan) and one entry in that table.
 */
#ifndef METAFS_FMT_H
#define METAFS_FMT_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>

struct fmt_file_stats;
struct fmt_error;

/* What each format is and does. */
typedef struct fmt_ops {
	store_format format;
	const char *name;       /* as .schema and plans write it */
	const char *ext;        /* of its data files, without the dot */
	bool text;              /* lines of text: a Parquet file is refused by its magic */
	bool random_access;     /* read by seeking (the footer first), not front to back */
	/* The rows (and statistics, where the format keeps them) of the LEN
	 * bytes at DATA as a file of table T, and the check that they are of
	 * the format (beyond the Parquet magic, which fmt_file_scan checks for
	 * text formats): 0, or -EINVAL with ERR (fmt_scan.h says what each
	 * format checks).  NAME is for messages. */
	int (*scan)(const char *data, size_t len, const char *name, const store_table *t,
		    struct fmt_file_stats *out, struct fmt_error *err);
} fmt_ops;

/* The entry of format F; NULL for a value that is no format. */
const fmt_ops *fmt_ops_of(store_format f);

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
