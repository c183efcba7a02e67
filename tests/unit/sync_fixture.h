/*
 * sync_fixture.h - two platforms, "warehouse" (the source) and "lake" (the
 * target), each a fresh metastore in its own temporary directory, and
 * helpers to build catalogs in them.
 */
#ifndef METAFS_SYNC_FIXTURE_H
#define METAFS_SYNC_FIXTURE_H

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sync.h"
#include "testdir.h"

struct fixture {
	char dir[PATH_MAX];
	char src_dir[PATH_MAX + 16], dst_dir[PATH_MAX + 16];
	char src_data[PATH_MAX + 16], dst_data[PATH_MAX + 16];
	sync_platform src, dst;
	uint8_t key[SYNC_MASK_KEY_BYTES];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL || testdir_make(f->dir) != 0)
		return -1;
	snprintf(f->src_dir, sizeof f->src_dir, "%s/wh", f->dir);
	snprintf(f->dst_dir, sizeof f->dst_dir, "%s/lake", f->dir);
	snprintf(f->src_data, sizeof f->src_data, "%s/wh-data", f->dir);
	snprintf(f->dst_data, sizeof f->dst_data, "%s/lake-data", f->dir);
	if (mkdir(f->src_dir, 0755) || mkdir(f->dst_dir, 0755))
		return -1;
	f->src = (sync_platform){ .name = "warehouse", .data_dir = f->src_data };
	/* The target holds a fixed exchange key, for rules with masks. */
	for (int i = 0; i < SYNC_MASK_KEY_BYTES; i++)
		f->key[i] = (uint8_t)(i * 7 + 1);
	f->dst = (sync_platform){ .name = "lake", .data_dir = f->dst_data, .mask_key = f->key,
				  .mask_key_id = "0badcafe" };
	if (store_open(f->src_dir, NULL, &f->src.store) || store_open(f->dst_dir, NULL, &f->dst.store))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->src.store);
	store_close(f->dst.store);
	testdir_remove(f->dir);
	free(f);
	return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static inline store_txn *wbegin(store_env *env)
{
	store_txn *txn = NULL;

	assert_int_equal(store_write_begin(env, &txn), 0);
	return txn;
}

static inline store_txn *rbegin(store_env *env)
{
	store_txn *txn = NULL;

	assert_int_equal(store_read_begin(env, &txn), 0);
	return txn;
}

static inline void commit(store_txn *txn)
{
	assert_int_equal(store_commit(txn), 0);
}

/* Create DB (if needed) and table NAME with COLS ("id:bigint,email:string")
 * and partition keys KEYS ("dt,hour" or ""), properties PROPS (may be
 * NULL); returns the table id. */
static inline uint64_t make_table_in(store_txn *txn, const char *db, const char *name,
				     const char *cols, const char *keys, const char *props)
{
	store_column c[32];
	store_table t;
	uint32_t n = 0, k = 0;
	char buf[512], *save = NULL, *tok;
	int rc;

	rc = store_database_create(txn, db, 1000, 100, STORE_ORIGIN_FS, NULL);
	assert_true(rc == 0 || rc == -EEXIST);
	assert_int_equal(store_table_create(txn, db, name, 1000, 100, STORE_ORIGIN_FS, &t), 0);
	snprintf(buf, sizeof buf, "%s", cols);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');

		*colon = '\0';
		snprintf(c[n].name, sizeof c[n].name, "%s", tok);
		assert_int_equal(store_type_parse(colon + 1, &c[n].type), 0);
		n++;
	}
	snprintf(buf, sizeof buf, "%s", keys);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		snprintf(c[n + k].name, sizeof c[0].name, "%s", tok);
		c[n + k].type = STORE_TYPE_STRING;
		k++;
	}
	t.format = STORE_FORMAT_CSV;
	t.header = true;
	t.ncolumns = n;
	t.npartkeys = k;
	t.columns = c;
	t.properties = (char *)props;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), 0);
	return t.id;
}

static inline uint64_t make_table(store_env *env, const char *db, const char *name,
				  const char *cols, const char *keys, const char *props)
{
	store_txn *txn = wbegin(env);
	uint64_t id = make_table_in(txn, db, name, cols, keys, props);

	commit(txn);
	return id;
}

/* A pnode VALUE under PARENT; with FILE, a file in it of ROWS rows. */
static inline uint64_t add_pnode_in(store_txn *txn, uint64_t table, uint64_t parent,
				    const char *value, const char *file, uint64_t rows)
{
	store_pnode p;
	store_file fr = { 0 };

	assert_int_equal(store_pnode_create(txn, table, parent, value, 1000, 100, STORE_ORIGIN_JOB, &p), 0);
	if (file) {
		fr.pnode_id = p.id;
		snprintf(fr.name, sizeof fr.name, "%s", file);
		fr.rows = rows;
		fr.bytes = rows * 10;
		fr.checksum[0] = (uint8_t)rows;
		fr.checksum[15] = (uint8_t)(rows >> 8);
		assert_int_equal(store_file_put(txn, &fr, STORE_ORIGIN_JOB), 0);
	}
	return p.id;
}

static inline uint64_t add_partition(store_env *env, uint64_t table, const char *value,
				     uint64_t rows)
{
	store_txn *txn = wbegin(env);
	uint64_t id = add_pnode_in(txn, table, 0, value, "part-0.csv", rows);

	commit(txn);
	return id;
}

static inline sync_rule rule_of(const char *text)
{
	sync_rule r;
	char err[256];

	if (sync_rule_parse("r1", text, strlen(text), &r, err, sizeof err) != 0)
		fail_msg("rule: %s", err);
	return r;
}

/* The target's table DB.NAME (-ENOENT if absent); clear it after use. */
static inline int target_table(struct fixture *f, const char *db, const char *name, store_table *t)
{
	store_txn *txn = rbegin(f->dst.store);
	int rc = store_table_get(txn, db, name, t);

	store_abort(txn);
	return rc;
}

static inline uint64_t event_head(store_env *env)
{
	store_txn *txn = rbegin(env);
	uint64_t head = 0;

	assert_int_equal(store_event_head(txn, &head), 0);
	store_abort(txn);
	return head;
}

static inline bool has_property(const store_table *t, const char *key, const char *value)
{
	size_t len;
	const char *v = sync_table_property(t, key, &len);

	return v && len == strlen(value) && memcmp(v, value, len) == 0;
}

#endif
