/*
 * testdir.h - a fresh temporary directory per test, removed afterwards.
 */
#ifndef METAFS_TESTDIR_H
#define METAFS_TESTDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base_fs.h"

/* Create a directory under $TMPDIR (or /tmp) into BUF (PATH_MAX bytes). */
static inline int testdir_make(char *buf)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, PATH_MAX, "%s/metafs-unit-XXXXXX", base && base[0] ? base : "/tmp");
	return mkdtemp(buf) ? 0 : -1;
}

static inline int testdir_remove(const char *path)
{
	return base_fs_tree_remove(path);
}

#endif
