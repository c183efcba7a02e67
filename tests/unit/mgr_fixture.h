/*
 * mgr_fixture.h - the start and end of a manager test: a fresh metafs home
 * in a temporary directory with the given platforms, opened.  Include after
 * cmocka.h.
 */
#ifndef METAFS_MGR_FIXTURE_H
#define METAFS_MGR_FIXTURE_H

#include <stdbool.h>

#include "manager.h"
#include "testdir.h"

/* Make a home in HOME (PATH_MAX bytes) with the N platforms NAMES and open
 * it (DAEMON as mgr_open takes it); the first platform is *FIRST. */
static inline mgr *mgr_fx_open(char *home, unsigned n, const char *const *names, bool daemon,
			       mgr_platform **first)
{
	char err[512] = "";
	mgr *m = NULL;

	assert_int_equal(testdir_make(home), 0);
	assert_int_equal(mgr_home_init(home, n, names, NULL, err, sizeof err), 0);
	assert_int_equal(mgr_open(home, daemon, &m, err, sizeof err), 0);
	*first = mgr_platform_find(m, names[0]);
	assert_non_null(*first);
	return m;
}

/* Close M and remove its home. */
static inline void mgr_fx_close(mgr *m, const char *home)
{
	mgr_close(m);
	assert_int_equal(testdir_remove(home), 0);
}

#endif
