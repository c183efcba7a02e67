/*
 * testdir.h - a fresh temporary directory per test, removed afterwards.
 */
#ifndef METAFS_TESTDIR_H
#define METAFS_TESTDIR_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int testdir_unlink(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Create a directory under $TMPDIR (or /tmp) into BUF (PATH_MAX bytes). */
static inline int testdir_make(char *buf)
{
	const char *base = getenv("TMPDIR");

	snprintf(buf, PATH_MAX, "%s/metafs-unit-XXXXXX", base && base[0] ? base : "/tmp");
	return mkdtemp(buf) ? 0 : -1;
}

static inline int testdir_remove(const char *path)
{
	return nftw(path, testdir_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
