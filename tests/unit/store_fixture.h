/*
 * store_fixture.h - a store environment opened in a fresh temporary
 * directory for each test, closed and removed after it: the cmocka setup
 * and teardown of the store tests.  Include it after <cmocka.h>.
 */
#ifndef METAFS_STORE_FIXTURE_H
#define METAFS_STORE_FIXTURE_H

#include <limits.h>
#include <stdlib.h>

#include "store.h"
#include "testdir.h"

struct fixture {
	char dir[PATH_MAX];
	store_env *env;
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL || testdir_make(f->dir) != 0)
		return -1;
	if (store_open(f->dir, NULL, &f->env) != 0)
		return -1;
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->env);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
