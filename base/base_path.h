/*
 * base_path.h - building paths and names into fixed buffers, checked.
 *
 * Paths are built into PATH_MAX (or NAME_MAX) buffers.  A path cut short by
 * snprintf names another file than the one meant, which is worse than no
 * file at all, so every path is built here and a cut is an error the caller
 * must handle, never silent.
 */
#ifndef METAFS_BASE_PATH_H
#define METAFS_BASE_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* snprintf FMT into BUF of CAP bytes.  0, or -ENAMETOOLONG when the result
 * does not fit (BUF then holds a cut, terminated string the caller must not
 * use), or -EINVAL on an encoding error. */
int base_path_format(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Whether NAME, a file name in a table or partition directory, is hidden:
 * it begins with '.' or '_', the rule of Hadoop's FileInputFormat that Hive
 * and Spark follow ("_SUCCESS", "_temporary", ".part.crc", rsync's
 * ".f.XXXXXX", vim's ".f.swp").  A hidden file is never a data file: the
 * mount keeps it while it is written and renamed, and no listing, job,
 * sync, statistic or pipeline counts it (metafs(5), "Hidden files").  This
 * is the one place the rule is written; everything that decides whether a
 * name is data asks here.  NULL and "" are not hidden. */
bool base_name_hidden(const char *name);

#endif
