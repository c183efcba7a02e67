/*
 * sql_arena_fixture.h - the arena of the SQL tests that need nothing else
 * (parser, printer, evaluator): made by setup, freed by teardown, for a
 * group or for each test as the file hands them to cmocka.
 */
#ifndef METAFS_SQL_ARENA_FIXTURE_H
#define METAFS_SQL_ARENA_FIXTURE_H

#include <stddef.h>

#include "sql_int.h"

static sql_arena *arena;

static inline int setup(void **state)
{
	(void)state;
	arena = sql_arena_new();
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	sql_arena_free(arena);
	arena = NULL;
	return 0;
}

#endif
