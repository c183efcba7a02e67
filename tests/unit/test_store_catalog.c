/*
 * test_store_catalog.c - databases, tables, views, pnodes, files, ids, events and
 * listings, each against a fresh environment in its own temporary directory.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include <cmocka.h>

#include "store.h"
#include "store_int.h"
#include "store_fixture.h"

static store_txn *wbegin(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = NULL;

	assert_int_equal(store_write_begin(f->env, &txn), 0);
	return txn;
}

static store_txn *rbegin(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = NULL;

	assert_int_equal(store_read_begin(f->env, &txn), 0);
	return txn;
}

static void commit(store_txn *txn)
{
	assert_int_equal(store_commit(txn), 0);
}

/* Create DB (if needed) and table NAME with data columns c0..c{NCOLS-1} and
 * partition keys KEYS; returns the table id. */
static uint64_t make_table(store_txn *txn, const char *db, const char *name, uint32_t ncols,
			   const char *const *keys, uint32_t nkeys)
{
	store_column cols[64];
	store_table t;
	int rc;

	rc = store_database_create(txn, db, 1000, 100, STORE_ORIGIN_FS, NULL);
	assert_true(rc == 0 || rc == -EEXIST);
	assert_int_equal(store_table_create(txn, db, name, 1000, 100, STORE_ORIGIN_FS, &t), 0);
	assert_false(t.has_schema);
	for (uint32_t i = 0; i < ncols; i++) {
		snprintf(cols[i].name, sizeof cols[i].name, "c%u", (unsigned)i);
		cols[i].type = STORE_TYPE_BIGINT;
	}
	for (uint32_t i = 0; i < nkeys; i++) {
		snprintf(cols[ncols + i].name, sizeof cols[0].name, "%s", keys[i]);
		cols[ncols + i].type = STORE_TYPE_STRING;
	}
	t.format = STORE_FORMAT_CSV;
	t.header = true;
	t.ncolumns = ncols;
	t.npartkeys = nkeys;
	t.columns = cols;
	t.properties = NULL;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), 0);
	return t.id;
}

static const char *const dt_hour[] = { "dt", "hour" };

static uint64_t make_pnode(store_txn *txn, uint64_t table, uint64_t parent, const char *value)
{
	store_pnode p;

	assert_int_equal(store_pnode_create(txn, table, parent, value, 1000, 100, STORE_ORIGIN_JOB, &p), 0);
	return p.id;
}

static store_file put_file(store_txn *txn, uint64_t container, const char *name, uint64_t rows,
			   uint64_t bytes)
{
	store_file f = { 0 };

	f.pnode_id = container;
	snprintf(f.name, sizeof f.name, "%s", name);
	f.rows = rows;
	f.bytes = bytes;
	/* A stand-in for the data's checksum that differs per name and size. */
	XXH128_canonicalFromHash((XXH128_canonical_t *)f.checksum, XXH3_128bits_withSeed(name, strlen(name), bytes));
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_JOB), 0);
	return f;
}

static store_table get_table(store_txn *txn, const char *db, const char *name)
{
	store_table t;

	assert_int_equal(store_table_get(txn, db, name, &t), 0);
	return t;
}

static uint64_t head(store_txn *txn)
{
	uint64_t seq;

	assert_int_equal(store_event_head(txn, &seq), 0);
	return seq;
}

/* ---- databases ---------------------------------------------------------------- */

static void test_database_create_get_drop(void **state)
{
	store_database d, g;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "sales", 1000, 100, STORE_ORIGIN_FS, &d), 0);
	assert_true(d.id > 0 && d.id <= STORE_ID_MAX);
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_database_get(txn, "sales", &g), 0);
	assert_int_equal(g.id, d.id);
	assert_string_equal(g.name, "sales");
	assert_int_equal(g.owner_uid, 1000);
	assert_int_equal(g.owner_gid, 100);
	assert_int_equal(g.created_ns, d.created_ns);
	assert_int_equal(g.etag, d.etag);
	assert_int_equal(store_database_get(txn, "other", &g), -ENOENT);
	commit(txn);

	txn = wbegin(state);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_database_get(txn, "sales", &g), -ENOENT);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_TOOL), -ENOENT);
	commit(txn);
}

static void test_database_create_refuses_duplicates_and_bad_names(void **state)
{
	char toolong[STORE_NAME_MAX + 2];
	store_txn *txn = wbegin(state);

	memset(toolong, 'd', sizeof toolong - 1);
	toolong[sizeof toolong - 1] = '\0';
	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_FS, NULL), -EEXIST);
	assert_int_equal(store_database_create(txn, ".", 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, "..", 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, "a/b", 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, "", 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, toolong, 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, NULL, 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(store_database_create(txn, "x", 0, 0, (store_origin)0, NULL), -EINVAL);
	commit(txn);
}

static void test_database_drop_refuses_nonempty(void **state)
{
	store_database d;
	store_txn *txn = wbegin(state);

	make_table(txn, "sales", "orders", 1, NULL, 0);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_FS), -ENOTEMPTY);
	assert_int_equal(store_database_get(txn, "sales", &d), 0);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_FS), 0);
	commit(txn);
}

/* A database whose name extends another's ("sales" / "sales2") does not
 * count the other's tables as its own. */
static void test_database_drop_ignores_tables_of_similar_names(void **state)
{
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	make_table(txn, "sales2", "orders", 1, NULL, 0);
	make_table(txn, "sale", "orders", 1, NULL, 0);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_FS), 0);
	commit(txn);
}

/* ---- tables ------------------------------------------------------------------- */

static void test_table_create_requires_database(void **state)
{
	store_table t;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_table_create(txn, "nodb", "t", 0, 0, STORE_ORIGIN_FS, &t), -ENOENT);
	assert_int_equal(store_database_create(txn, "db", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_table_create(txn, "db", "t", 7, 8, STORE_ORIGIN_FS, &t), 0);
	assert_int_equal(store_table_create(txn, "db", "t", 7, 8, STORE_ORIGIN_FS, NULL), -EEXIST);
	assert_int_equal(store_table_create(txn, "db", "a/b", 7, 8, STORE_ORIGIN_FS, NULL), -EINVAL);
	commit(txn);

	txn = rbegin(state);
	t = get_table(txn, "db", "t");
	assert_false(t.has_schema);
	assert_int_equal(t.owner_uid, 7);
	assert_int_equal(t.owner_gid, 8);
	assert_int_equal(t.ncolumns + t.npartkeys, 0);
	assert_null(t.columns);
	store_table_clear(&t);
	assert_int_equal(store_table_get(txn, "db", "nope", &t), -ENOENT);
	assert_null(t.columns);
	commit(txn);
}

static int cmp_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_table_key_order_matches_listing_order(void **state)
{
	/* Names that order differently by length and by byte: a NUL separator
	 * must keep each database's tables together and sorted. */
	const char *dbs[] = { "b", "a!", "ab", "a", "a b" };
	const char *names[] = { "y", "x!", "xy", "x", "X", "x~", "\xc3\xa9" };
	const size_t ndb = sizeof dbs / sizeof dbs[0], nname = sizeof names / sizeof names[0];
	const char *sorted[16];
	store_database d;
	store_table t;
	store_iter *it;
	store_txn *txn = wbegin(state);
	size_t i;

	for (i = 0; i < ndb; i++) {
		assert_int_equal(store_database_create(txn, dbs[i], 0, 0, STORE_ORIGIN_FS, NULL), 0);
		for (size_t j = 0; j < nname; j++)
			assert_int_equal(store_table_create(txn, dbs[i], names[(j + i) % nname], 0, 0,
							    STORE_ORIGIN_FS, NULL), 0);
	}
	commit(txn);

	txn = rbegin(state);
	memcpy(sorted, dbs, sizeof dbs);
	qsort(sorted, ndb, sizeof sorted[0], cmp_bytes);
	assert_int_equal(store_iter_databases(txn, NULL, &it), 0);
	for (i = 0; store_iter_next(it, &d) == 0; i++)
		assert_string_equal(d.name, sorted[i]);
	assert_int_equal(i, ndb);
	store_iter_close(it);

	memcpy(sorted, names, sizeof names);
	qsort(sorted, nname, sizeof sorted[0], cmp_bytes);
	for (size_t k = 0; k < ndb; k++) {
		assert_int_equal(store_iter_tables(txn, dbs[k], NULL, &it), 0);
		for (i = 0; store_iter_next(it, &t) == 0; i++) {
			assert_string_equal(t.db, dbs[k]);
			assert_string_equal(t.name, sorted[i]);
			store_table_clear(&t);
		}
		assert_int_equal(i, nname);
		store_iter_close(it);
	}
	assert_int_equal(store_iter_tables(txn, "missing", NULL, &it), -ENOENT);
	commit(txn);
}

static void test_table_set_schema_once_with_properties(void **state)
{
	store_column cols[3] = { { "id", STORE_TYPE_BIGINT }, { "Region", STORE_TYPE_STRING },
				 { "dt", STORE_TYPE_DATE } };
	store_table t = { .db = "sales", .name = "orders", .format = STORE_FORMAT_JSONL,
			  .ncolumns = 2, .npartkeys = 1, .columns = cols,
			  .properties = "owner=ops\ncomment=a b\n" };
	store_table g;
	store_event ev;
	store_iter *it;
	uint64_t before;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -ENOENT);
	assert_int_equal(store_table_create(txn, "sales", "orders", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	before = head(txn);
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_SYNC), 0);
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_SYNC), -EEXIST);
	commit(txn);

	txn = rbegin(state);
	g = get_table(txn, "sales", "orders");
	assert_true(g.has_schema);
	assert_int_equal(g.format, STORE_FORMAT_JSONL);
	assert_false(g.header);
	assert_int_equal(g.ncolumns, 2);
	assert_int_equal(g.npartkeys, 1);
	assert_string_equal(g.columns[1].name, "Region");
	assert_int_equal(g.columns[2].type, STORE_TYPE_DATE);
	assert_string_equal(g.properties, t.properties);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_ALTER);
	assert_int_equal(ev.kind, STORE_KIND_TABLE);
	assert_int_equal(ev.origin, STORE_ORIGIN_SYNC);
	assert_int_equal(ev.object_id, g.id);
	assert_int_equal(ev.parent_id, g.db_id);
	assert_int_equal(ev.etag, g.etag);
	assert_string_equal(ev.path, "sales/orders");
	assert_int_equal(store_iter_next(it, &ev), -ENOENT);
	store_iter_close(it);
	store_table_clear(&g);
	commit(txn);
}

static void test_table_set_schema_rejects_invalid_schemas(void **state)
{
	store_column cols[STORE_MAX_PARTKEYS + 2];
	store_table t = { .db = "db", .name = "t", .format = STORE_FORMAT_CSV, .columns = cols };
	store_table g;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "db", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_table_create(txn, "db", "t", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	for (unsigned i = 0; i < sizeof cols / sizeof cols[0]; i++) {
		snprintf(cols[i].name, sizeof cols[i].name, "k%u", i);
		cols[i].type = STORE_TYPE_STRING;
	}
	/* no data columns */
	t.ncolumns = 0;
	t.npartkeys = 1;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	/* too many partition keys */
	t.ncolumns = 1;
	t.npartkeys = STORE_MAX_PARTKEYS + 1;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	t.npartkeys = 1;
	/* duplicate names, also across case and across data/partition columns */
	strcpy(cols[1].name, "K0");
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	strcpy(cols[1].name, "k1");
	/* bad names, and '=' which would make "key=value" ambiguous */
	strcpy(cols[0].name, "a=b");
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	strcpy(cols[0].name, "a/b");
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	strcpy(cols[0].name, "..");
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	strcpy(cols[0].name, "");
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	strcpy(cols[0].name, "order-id r\xc3\xa9gion");
	/* bad type, bad format */
	cols[0].type = (store_type)0;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	cols[0].type = STORE_TYPE_DOUBLE;
	t.format = (store_format)9;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	t.format = STORE_FORMAT_CSV;
	t.columns = NULL;
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), -EINVAL);
	t.columns = cols;

	g = get_table(txn, "db", "t");
	assert_false(g.has_schema);
	store_table_clear(&g);
	assert_int_equal(store_table_set_schema(txn, &t, STORE_ORIGIN_FS), 0);
	commit(txn);
}

static void test_table_drop_removes_pnodes_files_and_ids(void **state)
{
	uint64_t table, other, d1, h1, h2, ids[8], before;
	store_kind kind;
	store_object obj;
	store_pnode p;
	store_iter *it;
	size_t n = 0;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "sales", "orders", 2, dt_hour, 2);
	other = make_table(txn, "sales", "returns", 2, dt_hour, 2);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	h1 = make_pnode(txn, table, d1, "01");
	h2 = make_pnode(txn, table, d1, "02");
	ids[n++] = table;
	ids[n++] = d1;
	ids[n++] = h1;
	ids[n++] = h2;
	ids[n++] = put_file(txn, h1, "a.csv", 1, 10).id;
	ids[n++] = put_file(txn, h2, "b.csv", 2, 20).id;
	/* the neighbour table must survive */
	put_file(txn, make_pnode(txn, other, make_pnode(txn, other, 0, "x"), "y"), "c.csv", 3, 30);
	commit(txn);

	txn = wbegin(state);
	before = head(txn);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(head(txn), before + 1);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_TOOL), -ENOENT);
	commit(txn);

	txn = rbegin(state);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(store_object_by_id(txn, ids[i], &kind, &obj), -ENOENT);
	assert_int_equal(store_iter_pnodes(txn, table, 0, NULL, &it), -ENOENT);
	assert_int_equal(store_iter_pnodes(txn, other, 0, NULL, &it), 0);
	assert_int_equal(store_iter_next(it, &p), 0);
	assert_string_equal(p.value, "x");
	store_iter_close(it);
	commit(txn);

	/* the same name again is a new table with a new id and nothing in it */
	txn = wbegin(state);
	assert_true(make_table(txn, "sales", "orders", 1, dt_hour, 1) > ids[n - 1]);
	commit(txn);
}

/* ---- pnodes ------------------------------------------------------------------- */

static void test_pnode_create_requires_partitioned_schema(void **state)
{
	uint64_t flat, bare, table, other, d1, h1, od;
	store_pnode p;
	store_txn *txn = wbegin(state);

	flat = make_table(txn, "db", "flat", 1, NULL, 0);
	assert_int_equal(store_table_create(txn, "db", "bare", 0, 0, STORE_ORIGIN_FS, &(store_table){ 0 }), 0);
	bare = get_table(txn, "db", "bare").id;
	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	other = make_table(txn, "db", "u", 1, dt_hour, 2);
	assert_int_equal(store_pnode_create(txn, flat, 0, "v", 0, 0, STORE_ORIGIN_FS, &p), -EINVAL);
	assert_int_equal(store_pnode_create(txn, bare, 0, "v", 0, 0, STORE_ORIGIN_FS, &p), -EINVAL);
	assert_int_equal(store_pnode_create(txn, 999999, 0, "v", 0, 0, STORE_ORIGIN_FS, &p), -ENOENT);
	assert_int_equal(store_pnode_create(txn, table, 999999, "v", 0, 0, STORE_ORIGIN_FS, &p), -ENOENT);
	assert_int_equal(store_pnode_create(txn, table, 0, "", 0, 0, STORE_ORIGIN_FS, &p), -EINVAL);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	assert_int_equal(store_pnode_create(txn, table, 0, "2024-05-01", 0, 0, STORE_ORIGIN_FS, &p), -EEXIST);
	h1 = make_pnode(txn, table, d1, "01");
	/* deeper than the partition keys */
	assert_int_equal(store_pnode_create(txn, table, h1, "x", 0, 0, STORE_ORIGIN_FS, &p), -EINVAL);
	/* a parent from another table */
	od = make_pnode(txn, other, 0, "2024-05-01");
	assert_int_equal(store_pnode_create(txn, table, od, "02", 0, 0, STORE_ORIGIN_FS, &p), -ENOENT);
	/* a table id used as a parent */
	assert_int_equal(store_pnode_create(txn, table, other, "02", 0, 0, STORE_ORIGIN_FS, &p), -ENOENT);
	/* values may hold anything but NUL */
	make_pnode(txn, table, 0, "a/b=c%d ../\x01\xff");
	commit(txn);
}

static void test_pnode_get_and_values(void **state)
{
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	uint64_t table, d1, h1;
	store_table t;
	store_pnode p;
	uint32_t n;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	h1 = make_pnode(txn, table, d1, "03");
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_pnode_get(txn, table, 0, "2024-05-01", &p), 0);
	assert_int_equal(p.id, d1);
	assert_int_equal(p.depth, 1);
	assert_false(p.leaf);
	assert_int_equal(p.parent_id, 0);
	assert_int_equal(p.table_id, table);
	assert_int_equal(store_pnode_get(txn, table, d1, "03", &p), 0);
	assert_int_equal(p.id, h1);
	assert_int_equal(p.depth, 2);
	assert_true(p.leaf);
	assert_int_equal(p.parent_id, d1);
	assert_int_equal(p.owner_uid, 1000);
	assert_int_equal(store_pnode_get(txn, table, 0, "03", &p), -ENOENT);
	assert_int_equal(store_pnode_get(txn, table, d1, "04", &p), -ENOENT);
	assert_int_equal(store_pnode_values(txn, h1, values, STORE_MAX_PARTKEYS, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(values[0], "2024-05-01");
	assert_string_equal(values[1], "03");
	assert_int_equal(store_pnode_values(txn, h1, values, 1, &n), -ERANGE);
	assert_int_equal(n, 2);
	assert_int_equal(store_pnode_values(txn, table, values, 2, &n), -ENOENT);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.npartitions, 1);
	store_table_clear(&t);
	commit(txn);
}

static void test_pnode_listing_skips_deeper_levels(void **state)
{
	char v[32];
	uint64_t table, after, d[10];
	store_pnode p;
	store_iter *it;
	int i;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	for (i = 0; i < 10; i++) {
		snprintf(v, sizeof v, "2024-05-%02d", i + 1);
		d[i] = make_pnode(txn, table, 0, v);
		for (int h = 0; h < 24; h++) {
			snprintf(v, sizeof v, "%02d", h);
			make_pnode(txn, table, d[i], v);
		}
	}
	/* a table created later sorts right after this one's keys */
	after = make_table(txn, "db", "u", 1, dt_hour, 2);
	make_pnode(txn, after, 0, "zzz");
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_iter_pnodes(txn, table, 0, NULL, &it), 0);
	for (i = 0; store_iter_next(it, &p) == 0; i++) {
		snprintf(v, sizeof v, "2024-05-%02d", i + 1);
		assert_string_equal(p.value, v);
		assert_int_equal(p.depth, 1);
		assert_int_equal(p.id, d[i]);
	}
	assert_int_equal(i, 10);
	/* ten children and the one key past the range, none of the 240 below */
	assert_true(store_iter_reads(it) <= 11);
	store_iter_close(it);

	assert_int_equal(store_iter_pnodes(txn, table, d[4], NULL, &it), 0);
	for (i = 0; store_iter_next(it, &p) == 0; i++) {
		snprintf(v, sizeof v, "%02d", i);
		assert_string_equal(p.value, v);
		assert_int_equal(p.parent_id, d[4]);
		assert_true(p.leaf);
	}
	assert_int_equal(i, 24);
	store_iter_close(it);
	commit(txn);
}

static void test_pnode_listing_resumes_strictly_after(void **state)
{
	const char *values[] = { "a", "a\x01", "ab", "b", "b\xff", "c" };
	char longv[STORE_PSPEC_MAX + 50];
	uint64_t table, parent;
	store_pnode p;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		parent = make_pnode(txn, table, 0, values[i]);
		make_pnode(txn, table, parent, "x");
	}
	commit(txn);

	txn = rbegin(state);
	/* after an existing value: the next one, not its own children */
	assert_int_equal(store_iter_pnodes(txn, table, 0, "a", &it), 0);
	assert_int_equal(store_iter_next(it, &p), 0);
	assert_string_equal(p.value, "a\x01");
	assert_int_equal(store_iter_next(it, &p), 0);
	assert_string_equal(p.value, "ab");
	store_iter_close(it);
	/* after a value that does not exist: the first one above it */
	assert_int_equal(store_iter_pnodes(txn, table, 0, "aa", &it), 0);
	assert_int_equal(store_iter_next(it, &p), 0);
	assert_string_equal(p.value, "ab");
	store_iter_close(it);
	/* after the last: nothing, and nothing of the next table */
	assert_int_equal(store_iter_pnodes(txn, table, 0, "c", &it), 0);
	assert_int_equal(store_iter_next(it, &p), -ENOENT);
	assert_int_equal(store_iter_next(it, &p), -ENOENT);
	store_iter_close(it);
	/* a resume point longer than any key */
	memset(longv, 'b', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	assert_int_equal(store_iter_pnodes(txn, table, 0, longv, &it), 0);
	assert_int_equal(store_iter_next(it, &p), 0);
	assert_string_equal(p.value, "b\xff");
	store_iter_close(it);
	commit(txn);
}

static void test_pnode_drop_refuses_children_or_files(void **state)
{
	uint64_t table, d1, h1, before;
	store_event ev;
	store_table t;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	h1 = make_pnode(txn, table, d1, "03");
	put_file(txn, h1, "part-0.csv", 5, 50);
	assert_int_equal(store_pnode_drop(txn, d1, STORE_ORIGIN_FS), -ENOTEMPTY);
	assert_int_equal(store_pnode_drop(txn, h1, STORE_ORIGIN_FS), -ENOTEMPTY);
	assert_int_equal(store_file_drop(txn, h1, "part-0.csv", STORE_ORIGIN_FS), 0);
	before = head(txn);
	assert_int_equal(store_pnode_drop(txn, h1, STORE_ORIGIN_FS), 0);
	assert_int_equal(store_pnode_drop(txn, d1, STORE_ORIGIN_FS), 0);
	assert_int_equal(store_pnode_drop(txn, d1, STORE_ORIGIN_FS), -ENOENT);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.npartitions, 0);
	store_table_clear(&t);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_DROP);
	assert_int_equal(ev.kind, STORE_KIND_PNODE);
	assert_int_equal(ev.object_id, h1);
	assert_int_equal(ev.parent_id, d1);
	assert_int_equal(ev.etag, 0);
	assert_string_equal(ev.path, "db/t/dt=2024-05-01/hour=03");
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.object_id, d1);
	assert_int_equal(ev.parent_id, table);
	assert_string_equal(ev.path, "db/t/dt=2024-05-01");
	store_iter_close(it);
	commit(txn);
}

static void test_pnode_spec_too_long_rejected(void **state)
{
	char v255[STORE_NAME_MAX + 1], v256[STORE_NAME_MAX + 2], slashes[120];
	const char *keys[3] = { "a", "b", "c" };
	uint64_t table, d1, d2;
	store_pnode p;
	store_txn *txn = wbegin(state);

	memset(v255, 'v', sizeof v255 - 1);
	v255[sizeof v255 - 1] = '\0';
	memset(v256, 'v', sizeof v256 - 1);
	v256[sizeof v256 - 1] = '\0';
	table = make_table(txn, "db", "t", 1, keys, 3);
	assert_int_equal(store_pnode_create(txn, table, 0, v256, 0, 0, STORE_ORIGIN_FS, &p), -ENAMETOOLONG);
	/* "a=" plus 255 bytes does not fit a path component: 253 does */
	assert_int_equal(store_pnode_create(txn, table, 0, v255, 0, 0, STORE_ORIGIN_FS, &p), -ENAMETOOLONG);
	v255[253] = '\0';
	d1 = make_pnode(txn, table, 0, v255);
	/* 254 + 135 = 389 bytes of spec fit; another 12 do not (401 > 400) */
	v255[134] = '\0';
	d2 = make_pnode(txn, table, d1, v255);
	v255[134] = 'v';
	v255[11] = '\0';
	assert_int_equal(store_pnode_create(txn, table, d2, v255, 0, 0, STORE_ORIGIN_FS, &p), -ENAMETOOLONG);
	v255[10] = '\0';
	make_pnode(txn, table, d2, v255);
	/* escaping triples '/': 100 of them make a 300-byte component */
	memset(slashes, '/', 100);
	slashes[100] = '\0';
	assert_int_equal(store_pnode_create(txn, table, 0, slashes, 0, 0, STORE_ORIGIN_FS, &p), -ENAMETOOLONG);
	slashes[80] = '\0';
	make_pnode(txn, table, 0, slashes);
	commit(txn);
}

/* ---- files -------------------------------------------------------------------- */

static void expect_checksum(store_txn *txn, uint64_t container, uint8_t out[16])
{
	XXH3_state_t *st = XXH3_createState();
	XXH128_canonical_t canon;
	store_file f;
	store_iter *it;

	XXH3_128bits_reset(st);
	assert_int_equal(store_iter_files(txn, container, NULL, &it), 0);
	while (store_iter_next(it, &f) == 0) {
		XXH3_128bits_update(st, f.name, strlen(f.name) + 1);
		XXH3_128bits_update(st, f.checksum, 16);
	}
	store_iter_close(it);
	XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st));
	memcpy(out, canon.digest, 16);
	XXH3_freeState(st);
}

static void test_file_put_updates_partition_and_table_stats(void **state)
{
	uint64_t table, d1, h1, h2;
	store_pnode p;
	store_table t;
	store_file f, g;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	h1 = make_pnode(txn, table, d1, "01");
	h2 = make_pnode(txn, table, d1, "02");
	f = put_file(txn, h1, "part-0.csv", 10, 100);
	put_file(txn, h1, "part-1.csv", 20, 200);
	put_file(txn, h2, "part-0.csv", 40, 400);
	commit(txn);

	txn = rbegin(state);
	assert_true(f.id > h2);
	assert_int_equal(store_file_get(txn, h1, "part-0.csv", &g), 0);
	assert_int_equal(g.id, f.id);
	assert_int_equal(g.etag, f.etag);
	assert_int_equal(g.rows, 10);
	assert_int_equal(g.bytes, 100);
	assert_int_equal(g.pnode_id, h1);
	assert_true(g.created_ns > 0);
	assert_int_equal(store_pnode_get(txn, table, d1, "01", &p), 0);
	assert_int_equal(p.nfiles, 2);
	assert_int_equal(p.rows, 30);
	assert_int_equal(p.bytes, 300);
	assert_int_equal(store_pnode_get(txn, table, d1, "02", &p), 0);
	assert_int_equal(p.nfiles, 1);
	assert_int_equal(p.rows, 40);
	/* inner pnodes carry no statistics */
	assert_int_equal(store_pnode_get(txn, table, 0, "2024-05-01", &p), 0);
	assert_int_equal(p.nfiles, 0);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.npartitions, 2);
	assert_int_equal(t.nfiles, 3);
	assert_int_equal(t.rows, 70);
	assert_int_equal(t.bytes, 700);
	store_table_clear(&t);
	commit(txn);
}

static void test_file_rewrite_keeps_id_and_adjusts_stats(void **state)
{
	uint64_t table, leaf, before;
	store_file f, again;
	store_event ev;
	store_pnode p;
	store_table t;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "2024-05-01");
	f = put_file(txn, leaf, "part-0.csv", 10, 100);
	before = head(txn);
	again = f;
	again.rows = 15;
	again.bytes = 150;
	again.modified_ns = 0;
	assert_int_equal(store_file_put(txn, &again, STORE_ORIGIN_FS), 0);
	assert_int_equal(again.id, f.id);
	assert_int_equal(again.created_ns, f.created_ns);
	assert_true(again.etag != f.etag);
	assert_int_equal(store_pnode_get(txn, table, 0, "2024-05-01", &p), 0);
	assert_int_equal(p.nfiles, 1);
	assert_int_equal(p.rows, 15);
	assert_int_equal(p.bytes, 150);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.nfiles, 1);
	assert_int_equal(t.rows, 15);
	store_table_clear(&t);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_ALTER);
	assert_int_equal(ev.kind, STORE_KIND_FILE);
	assert_int_equal(ev.object_id, f.id);
	assert_int_equal(ev.etag, again.etag);
	assert_int_equal(store_iter_next(it, &ev), -ENOENT);
	store_iter_close(it);
	commit(txn);
}

static void test_file_set_mtime_is_no_change_event_or_version(void **state)
{
	uint64_t table, leaf, before;
	store_file f, g, moved;
	store_pnode p0, p;
	store_table t0, t;
	store_object o;
	store_kind kind;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "2024-05-01");
	f = put_file(txn, leaf, "part-0.csv", 10, 100);
	assert_int_equal(f.mtime_ns, 0);
	assert_int_equal(store_pnode_get(txn, table, 0, "2024-05-01", &p0), 0);
	t0 = get_table(txn, "db", "t");
	before = head(txn);
	assert_int_equal(store_file_set_mtime(txn, leaf, "part-0.csv", f.id, -5), 0);
	commit(txn);

	txn = wbegin(state);
	assert_int_equal(store_file_get(txn, leaf, "part-0.csv", &g), 0);
	assert_int_equal(g.mtime_ns, -5);
	assert_int_equal(g.modified_ns, f.modified_ns);
	assert_int_equal(g.etag, f.etag);
	assert_int_equal(store_object_by_id(txn, f.id, &kind, &o), 0);
	assert_int_equal(o.file.mtime_ns, -5);
	/* no event, and the partition and table are as they were */
	assert_int_equal(head(txn), before);
	assert_int_equal(store_pnode_get(txn, table, 0, "2024-05-01", &p), 0);
	assert_int_equal(p.modified_ns, p0.modified_ns);
	assert_int_equal(p.etag, p0.etag);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.modified_ns, t0.modified_ns);
	assert_int_equal(t.etag, t0.etag);
	store_table_clear(&t);
	store_table_clear(&t0);
	/* another id under the name: refused; a missing name too */
	assert_int_equal(store_file_set_mtime(txn, leaf, "part-0.csv", f.id + 1000, 7), -ENOENT);
	assert_int_equal(store_file_set_mtime(txn, leaf, "none.csv", f.id, 7), -ENOENT);
	/* a record put again as read (a rename does so) keeps the time */
	assert_int_equal(store_file_drop(txn, leaf, "part-0.csv", STORE_ORIGIN_FS), 0);
	moved = g;
	snprintf(moved.name, sizeof moved.name, "part-9.csv");
	assert_int_equal(store_file_put(txn, &moved, STORE_ORIGIN_FS), 0);
	assert_int_equal(store_file_get(txn, leaf, "part-9.csv", &g), 0);
	assert_int_equal(g.mtime_ns, -5);
	/* 0 clears it: the record is version 1 again */
	assert_int_equal(store_file_set_mtime(txn, leaf, "part-9.csv", g.id, 0), 0);
	assert_int_equal(store_file_get(txn, leaf, "part-9.csv", &g), 0);
	assert_int_equal(g.mtime_ns, 0);
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_file_set_mtime(txn, leaf, "part-9.csv", g.id, 1), -EROFS);
	commit(txn);
}

static void test_file_replaced_by_new_id_drops_old_id(void **state)
{
	uint64_t table, leaf, before;
	store_file f, g;
	store_event ev;
	store_kind kind;
	store_object obj;
	store_pnode p;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "x");
	f = put_file(txn, leaf, "part-0.csv", 10, 100);
	before = head(txn);
	g = put_file(txn, leaf, "part-0.csv", 3, 30);
	assert_true(g.id > f.id);
	assert_int_equal(store_object_by_id(txn, f.id, &kind, &obj), -ENOENT);
	assert_int_equal(store_object_by_id(txn, g.id, &kind, &obj), 0);
	assert_int_equal(kind, STORE_KIND_FILE);
	assert_int_equal(store_pnode_get(txn, table, 0, "x", &p), 0);
	assert_int_equal(p.nfiles, 1);
	assert_int_equal(p.rows, 3);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_DROP);
	assert_int_equal(ev.object_id, f.id);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_CREATE);
	assert_int_equal(ev.object_id, g.id);
	store_iter_close(it);
	commit(txn);
}

static void test_file_put_accepts_only_reserved_unused_ids(void **state)
{
	uint64_t table, leaf, reserved;
	store_file f = { .name = "part-0.csv" };
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "x");
	f.pnode_id = leaf;
	f.id = 1u << 30;        /* never handed out */
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EINVAL);
	f.id = table;           /* someone else's */
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EEXIST);
	assert_int_equal(store_id_reserve(txn, &reserved), 0);
	assert_true(reserved > leaf);
	f.id = reserved;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), 0);
	assert_int_equal(f.id, reserved);
	commit(txn);
}

static void test_file_put_refuses_inner_pnodes_and_partitioned_tables(void **state)
{
	uint64_t table, d1, db_id;
	store_database d;
	store_file f = { .name = "part-0.csv" };
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 2);
	d1 = make_pnode(txn, table, 0, "x");
	assert_int_equal(store_database_get(txn, "db", &d), 0);
	db_id = d.id;
	f.pnode_id = d1;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EINVAL);
	f.pnode_id = table;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EINVAL);
	f.pnode_id = db_id;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EINVAL);
	f.pnode_id = 424242;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -ENOENT);
	f.pnode_id = make_pnode(txn, table, d1, "y");
	strcpy(f.name, "..");
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EINVAL);
	commit(txn);
}

static void test_file_drop_restores_stats_and_checksum(void **state)
{
	uint8_t empty[16];
	uint64_t table, leaf, before;
	store_pnode p0, p;
	store_table t;
	store_event ev;
	store_file f;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "x");
	assert_int_equal(store_pnode_get(txn, table, 0, "x", &p0), 0);
	expect_checksum(txn, leaf, empty);
	assert_memory_equal(p0.checksum, empty, 16);
	f = put_file(txn, leaf, "a.csv", 10, 100);
	put_file(txn, leaf, "b.csv", 20, 200);
	assert_int_equal(store_file_drop(txn, leaf, "missing.csv", STORE_ORIGIN_FS), -ENOENT);
	before = head(txn);
	assert_int_equal(store_file_drop(txn, leaf, "a.csv", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_file_get(txn, leaf, "a.csv", &f), -ENOENT);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_DROP);
	assert_int_equal(ev.kind, STORE_KIND_FILE);
	assert_int_equal(ev.parent_id, leaf);
	assert_string_equal(ev.path, "db/t/dt=x/a.csv");
	store_iter_close(it);
	assert_int_equal(store_file_drop(txn, leaf, "b.csv", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_pnode_get(txn, table, 0, "x", &p), 0);
	assert_int_equal(p.nfiles, 0);
	assert_int_equal(p.rows, 0);
	assert_int_equal(p.bytes, 0);
	assert_memory_equal(p.checksum, p0.checksum, 16);
	t = get_table(txn, "db", "t");
	assert_int_equal(t.nfiles, 0);
	assert_int_equal(t.rows, 0);
	assert_int_equal(t.bytes, 0);
	assert_int_equal(t.npartitions, 1);
	store_table_clear(&t);
	commit(txn);
}

static void test_partition_checksum_is_xxh3_128_of_files_in_name_order(void **state)
{
	const char *names[] = { "part-3.csv", "part-1.csv", "a.csv", "part-10.csv", "Z.csv" };
	uint8_t want[16], before[16];
	uint64_t table, leaf;
	store_pnode p;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "x");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		put_file(txn, leaf, names[i], i, 100 * i);
	expect_checksum(txn, leaf, want);
	assert_int_equal(store_pnode_get(txn, table, 0, "x", &p), 0);
	assert_memory_equal(p.checksum, want, 16);
	memcpy(before, p.checksum, 16);
	/* a file's checksum is part of it */
	put_file(txn, leaf, "a.csv", 2, 999);
	assert_int_equal(store_pnode_get(txn, table, 0, "x", &p), 0);
	assert_memory_not_equal(p.checksum, before, 16);
	expect_checksum(txn, leaf, want);
	assert_memory_equal(p.checksum, want, 16);
	commit(txn);
}

static void test_unpartitioned_table_holds_files_directly(void **state)
{
	uint64_t table, before;
	store_file f, g;
	store_table t;
	store_event ev;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "flat", 2, NULL, 0);
	before = head(txn);
	f = put_file(txn, table, "data.csv", 7, 70);
	put_file(txn, table, "more.csv", 1, 10);
	t = get_table(txn, "db", "flat");
	assert_int_equal(t.nfiles, 2);
	assert_int_equal(t.rows, 8);
	assert_int_equal(t.bytes, 80);
	assert_int_equal(t.npartitions, 0);
	store_table_clear(&t);
	assert_int_equal(store_iter_files(txn, table, NULL, &it), 0);
	assert_int_equal(store_iter_next(it, &g), 0);
	assert_string_equal(g.name, "data.csv");
	assert_int_equal(g.id, f.id);
	store_iter_close(it);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.op, STORE_OP_CREATE);
	assert_int_equal(ev.kind, STORE_KIND_FILE);
	assert_int_equal(ev.parent_id, table);
	assert_string_equal(ev.path, "db/flat/data.csv");
	store_iter_close(it);
	assert_int_equal(store_table_drop(txn, "db", "flat", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_file_get(txn, table, "data.csv", &g), -ENOENT);
	commit(txn);
}

/* ---- ids, events, transactions ------------------------------------------------ */

static void test_object_by_id_resolves_every_kind(void **state)
{
	uint64_t table, leaf, reserved;
	store_database d;
	store_object obj;
	store_kind kind;
	store_file f;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "db", "t", 3, dt_hour, 1);
	leaf = make_pnode(txn, table, 0, "v");
	f = put_file(txn, leaf, "f.csv", 1, 2);
	assert_int_equal(store_database_get(txn, "db", &d), 0);
	assert_int_equal(store_id_reserve(txn, &reserved), 0);
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_object_by_id(txn, d.id, &kind, &obj), 0);
	assert_int_equal(kind, STORE_KIND_DATABASE);
	assert_string_equal(obj.database.name, "db");
	assert_int_equal(store_object_by_id(txn, table, &kind, &obj), 0);
	assert_int_equal(kind, STORE_KIND_TABLE);
	assert_string_equal(obj.table.name, "t");
	assert_int_equal(obj.table.ncolumns, 3);
	assert_string_equal(obj.table.columns[3].name, "dt");
	store_table_clear(&obj.table);
	assert_int_equal(store_object_by_id(txn, leaf, &kind, &obj), 0);
	assert_int_equal(kind, STORE_KIND_PNODE);
	assert_string_equal(obj.pnode.value, "v");
	assert_int_equal(store_object_by_id(txn, f.id, &kind, &obj), 0);
	assert_int_equal(kind, STORE_KIND_FILE);
	assert_int_equal(obj.file.etag, f.etag);
	/* a reserved id names nothing until its record is written */
	assert_int_equal(store_object_by_id(txn, reserved, &kind, &obj), -ENOENT);
	assert_int_equal(kind, STORE_KIND_NONE);
	assert_int_equal(store_object_by_id(txn, 0, &kind, &obj), -ENOENT);
	assert_int_equal(store_object_by_id(txn, STORE_ID_MAX + 1, &kind, &obj), -ENOENT);
	commit(txn);
}

static void test_ids_are_never_reused(void **state)
{
	uint64_t a, b, c;
	store_database d;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "x", 0, 0, STORE_ORIGIN_FS, &d), 0);
	a = d.id;
	assert_int_equal(store_database_drop(txn, "x", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_create(txn, "x", 0, 0, STORE_ORIGIN_FS, &d), 0);
	b = d.id;
	assert_true(b > a);
	commit(txn);
	txn = wbegin(state);
	assert_int_equal(store_id_reserve(txn, &c), 0);
	assert_true(c > b);
	commit(txn);
}

static void test_events_appended_in_commit_order(void **state)
{
	struct { store_op op; store_kind kind; const char *path; } want[] = {
		{ STORE_OP_CREATE, STORE_KIND_DATABASE, "sales" },
		{ STORE_OP_CREATE, STORE_KIND_TABLE, "sales/orders" },
		{ STORE_OP_ALTER, STORE_KIND_TABLE, "sales/orders" },
		{ STORE_OP_CREATE, STORE_KIND_PNODE, "sales/orders/dt=2024-05-01" },
		{ STORE_OP_CREATE, STORE_KIND_PNODE, "sales/orders/dt=2024-05-01/hour=03" },
		{ STORE_OP_CREATE, STORE_KIND_FILE, "sales/orders/dt=2024-05-01/hour=03/part-0.csv" },
		{ STORE_OP_DROP, STORE_KIND_FILE, "sales/orders/dt=2024-05-01/hour=03/part-0.csv" },
		{ STORE_OP_DROP, STORE_KIND_PNODE, "sales/orders/dt=2024-05-01/hour=03" },
		{ STORE_OP_DROP, STORE_KIND_TABLE, "sales/orders" },
		{ STORE_OP_DROP, STORE_KIND_DATABASE, "sales" },
	};
	const size_t n = sizeof want / sizeof want[0];
	uint64_t table, d1, h1, last_seq = 0;
	store_event ev;
	store_iter *it;
	size_t i;
	store_txn *txn;

	txn = wbegin(state);
	table = make_table(txn, "sales", "orders", 1, dt_hour, 2);
	commit(txn);
	txn = wbegin(state);
	d1 = make_pnode(txn, table, 0, "2024-05-01");
	h1 = make_pnode(txn, table, d1, "03");
	commit(txn);
	txn = wbegin(state);
	put_file(txn, h1, "part-0.csv", 1, 1);
	commit(txn);
	txn = wbegin(state);
	assert_int_equal(store_file_drop(txn, h1, "part-0.csv", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_pnode_drop(txn, h1, STORE_ORIGIN_FS), 0);
	commit(txn);
	txn = wbegin(state);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_drop(txn, "sales", STORE_ORIGIN_FS), 0);
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(head(txn), n);
	assert_int_equal(store_iter_events(txn, 0, &it), 0);
	for (i = 0; store_iter_next(it, &ev) == 0; i++) {
		assert_true(i < n);
		assert_int_equal(ev.seq, last_seq + 1);
		assert_true(ev.time_ns > 0);
		assert_int_equal(ev.op, want[i].op);
		assert_int_equal(ev.kind, want[i].kind);
		assert_string_equal(ev.path, want[i].path);
		if (ev.op == STORE_OP_DROP)
			assert_int_equal(ev.etag, 0);
		else
			assert_true(ev.etag != 0);
		last_seq = ev.seq;
	}
	assert_int_equal(i, n);
	store_iter_close(it);
	/* resume strictly after a sequence number */
	assert_int_equal(store_iter_events(txn, 7, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.seq, 8);
	store_iter_close(it);
	assert_int_equal(store_iter_events(txn, n, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), -ENOENT);
	store_iter_close(it);
	assert_int_equal(store_iter_events(txn, UINT64_MAX, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), -ENOENT);
	store_iter_close(it);
	commit(txn);
}

static void test_event_paths_use_partition_keys_and_escaping(void **state)
{
	const char *keys[] = { "dt", "city" };
	uint64_t table, d1, c1;
	store_database d;
	store_event ev;
	store_file f;
	store_iter *it;
	uint64_t before;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "sales", "orders", 1, keys, 2);
	assert_int_equal(store_database_get(txn, "sales", &d), 0);
	before = head(txn);
	d1 = make_pnode(txn, table, 0, "2024/05/01");
	c1 = make_pnode(txn, table, d1, "S\xc3\xa3o Paulo: #1=50%");
	f = put_file(txn, c1, "part 0.csv", 1, 1);
	assert_int_equal(store_iter_events(txn, before, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_string_equal(ev.path, "sales/orders/dt=2024%2F05%2F01");
	assert_int_equal(ev.parent_id, table);
	assert_int_equal(ev.object_id, d1);
	assert_int_equal(ev.origin, STORE_ORIGIN_JOB);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_string_equal(ev.path, "sales/orders/dt=2024%2F05%2F01/city=S\xc3\xa3o Paulo%3A %231%3D50%25");
	assert_int_equal(ev.parent_id, d1);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_string_equal(ev.path,
			    "sales/orders/dt=2024%2F05%2F01/city=S\xc3\xa3o Paulo%3A %231%3D50%25/part 0.csv");
	assert_int_equal(ev.parent_id, c1);
	assert_int_equal(ev.object_id, f.id);
	assert_int_equal(ev.etag, f.etag);
	store_iter_close(it);
	commit(txn);

	/* and the database and table events name their parents */
	txn = rbegin(state);
	assert_int_equal(store_iter_events(txn, 0, &it), 0);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.kind, STORE_KIND_DATABASE);
	assert_int_equal(ev.parent_id, 0);
	assert_int_equal(ev.object_id, d.id);
	assert_int_equal(ev.etag, d.etag);
	assert_int_equal(store_iter_next(it, &ev), 0);
	assert_int_equal(ev.kind, STORE_KIND_TABLE);
	assert_int_equal(ev.parent_id, d.id);
	assert_int_equal(ev.object_id, table);
	store_iter_close(it);
	commit(txn);
}

static void test_abort_leaves_no_event(void **state)
{
	uint64_t seq0, seq1, id0, id1;
	store_database d;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "kept", 0, 0, STORE_ORIGIN_FS, &d), 0);
	id0 = d.id;
	commit(txn);
	txn = rbegin(state);
	seq0 = head(txn);
	commit(txn);

	txn = wbegin(state);
	make_table(txn, "gone", "t", 1, dt_hour, 1);
	assert_true(head(txn) > seq0);
	store_abort(txn);

	txn = rbegin(state);
	assert_int_equal(head(txn), seq0);
	assert_int_equal(store_database_get(txn, "gone", &d), -ENOENT);
	commit(txn);
	/* the log continues without a gap */
	txn = wbegin(state);
	assert_int_equal(store_database_create(txn, "next", 0, 0, STORE_ORIGIN_FS, &d), 0);
	id1 = d.id;
	assert_true(id1 > id0);
	seq1 = head(txn);
	assert_int_equal(seq1, seq0 + 1);
	commit(txn);
	store_abort(NULL);
}

static void test_failed_operation_leaves_txn_usable(void **state)
{
	uint64_t table;
	store_database d;
	store_txn *txn = wbegin(state);
	uint64_t seq;

	table = make_table(txn, "db", "t", 1, dt_hour, 1);
	seq = head(txn);
	assert_int_equal(store_database_create(txn, "db", 0, 0, STORE_ORIGIN_FS, NULL), -EEXIST);
	assert_int_equal(store_table_create(txn, "nodb", "t", 0, 0, STORE_ORIGIN_FS, NULL), -ENOENT);
	assert_int_equal(store_database_drop(txn, "db", STORE_ORIGIN_FS), -ENOTEMPTY);
	assert_int_equal(store_pnode_create(txn, table, 0, "", 0, 0, STORE_ORIGIN_FS, NULL), -EINVAL);
	assert_int_equal(head(txn), seq);
	assert_int_equal(store_database_create(txn, "db2", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(head(txn), seq + 1);
	commit(txn);
	txn = rbegin(state);
	assert_int_equal(store_database_get(txn, "db2", &d), 0);
	commit(txn);
}

static void test_writes_refused_in_read_txn(void **state)
{
	store_file f = { .name = "x" };
	uint64_t id;
	store_txn *txn = rbegin(state);

	assert_int_equal(store_database_create(txn, "db", 0, 0, STORE_ORIGIN_FS, NULL), -EROFS);
	assert_int_equal(store_database_drop(txn, "db", STORE_ORIGIN_FS), -EROFS);
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_FS), -EROFS);
	assert_int_equal(store_id_reserve(txn, &id), -EROFS);
	commit(txn);
}

static void test_iterators_resume_strictly_after_name(void **state)
{
	uint64_t table, leaf;
	store_database d;
	store_table t;
	store_file f;
	store_iter *it;
	store_txn *txn = wbegin(state);

	table = make_table(txn, "b", "t1", 1, dt_hour, 1);
	make_table(txn, "b", "t2", 1, NULL, 0);
	make_table(txn, "b", "t3", 1, NULL, 0);
	assert_int_equal(store_database_create(txn, "a", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_database_create(txn, "c", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	leaf = make_pnode(txn, table, 0, "v");
	put_file(txn, leaf, "f1", 1, 1);
	put_file(txn, leaf, "f2", 1, 1);
	commit(txn);

	txn = rbegin(state);
	assert_int_equal(store_iter_databases(txn, "a", &it), 0);
	assert_int_equal(store_iter_next(it, &d), 0);
	assert_string_equal(d.name, "b");
	store_iter_close(it);
	assert_int_equal(store_iter_databases(txn, "bb", &it), 0);
	assert_int_equal(store_iter_next(it, &d), 0);
	assert_string_equal(d.name, "c");
	assert_int_equal(store_iter_next(it, &d), -ENOENT);
	store_iter_close(it);
	assert_int_equal(store_iter_tables(txn, "b", "t1", &it), 0);
	assert_int_equal(store_iter_next(it, &t), 0);
	assert_string_equal(t.name, "t2");
	store_table_clear(&t);
	assert_int_equal(store_iter_next(it, &t), 0);
	assert_string_equal(t.name, "t3");
	store_table_clear(&t);
	assert_int_equal(store_iter_next(it, &t), -ENOENT);
	store_iter_close(it);
	assert_int_equal(store_iter_files(txn, leaf, "f1", &it), 0);
	assert_int_equal(store_iter_next(it, &f), 0);
	assert_string_equal(f.name, "f2");
	assert_int_equal(store_iter_next(it, &f), -ENOENT);
	store_iter_close(it);
	assert_int_equal(store_iter_files(txn, leaf, "f2", &it), 0);
	assert_int_equal(store_iter_next(it, &f), -ENOENT);
	store_iter_close(it);
	assert_int_equal(store_iter_files(txn, 31337, NULL, &it), -ENOENT);
	commit(txn);
}

static void test_iterator_outliving_its_txn_is_refused(void **state)
{
	store_database d;
	store_iter *it, *it2;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "a", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_database_create(txn, "b", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(store_iter_databases(txn, NULL, &it), 0);
	assert_int_equal(store_iter_databases(txn, NULL, &it2), 0);
	assert_int_equal(store_iter_next(it, &d), 0);
	store_iter_close(it2);
	commit(txn);
	assert_int_equal(store_iter_next(it, &d), -EINVAL);
	store_iter_close(it);

	txn = rbegin(state);
	assert_int_equal(store_iter_databases(txn, NULL, &it), 0);
	store_abort(txn);
	assert_int_equal(store_iter_next(it, &d), -EINVAL);
	store_iter_close(it);
}

static void test_read_snapshot_does_not_see_later_commit(void **state)
{
	store_database d;
	store_txn *r, *w;

	r = rbegin(state);
	w = wbegin(state);
	assert_int_equal(store_database_create(w, "late", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	commit(w);
	assert_int_equal(store_database_get(r, "late", &d), -ENOENT);
	commit(r);
	r = rbegin(state);
	assert_int_equal(store_database_get(r, "late", &d), 0);
	commit(r);
}

/* ---- sync support: cursors, the log's tail, alter, bulk partitions ---------- */

static void test_cursor_reads_zero_until_put_then_round_trips(void **state)
{
	store_txn *txn = wbegin(state);
	uint64_t seq = 7;

	assert_int_equal(store_cursor_get(txn, "r1", &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(store_cursor_put(txn, "r1", UINT64_C(0x0102030405060708)), 0);
	assert_int_equal(store_cursor_put(txn, "r2", 5), 0);
	commit(txn);
	txn = rbegin(state);
	assert_int_equal(store_cursor_get(txn, "r1", &seq), 0);
	assert_int_equal(seq, UINT64_C(0x0102030405060708));
	assert_int_equal(store_cursor_put(txn, "r1", 1), -EROFS);
	assert_int_equal(store_cursor_get(txn, "bad/name", &seq), -EINVAL);
	store_abort(txn);
}

static void test_events_trim_keeps_the_newest_and_sequence_continues(void **state)
{
	store_txn *txn = wbegin(state);
	uint64_t first, last;

	assert_int_equal(store_event_first(txn, &first), 0);
	assert_int_equal(first, 0);
	make_table(txn, "d", "a", 1, NULL, 0);
	make_table(txn, "d", "b", 1, NULL, 0);
	last = head(txn);
	assert_int_equal(store_event_first(txn, &first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(store_events_trim(txn, 3), 0);
	assert_int_equal(store_event_first(txn, &first), 0);
	assert_int_equal(first, 3);
	assert_int_equal(store_events_trim(txn, UINT64_MAX), 0);
	assert_int_equal(store_event_first(txn, &first), 0);
	assert_int_equal(first, last);
	commit(txn);
	txn = wbegin(state);
	assert_int_equal(store_database_create(txn, "e", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	assert_int_equal(head(txn), last + 1);
	commit(txn);
}

static void test_table_alter_replaces_schema_keeping_id_and_stats(void **state)
{
	store_column cols[3] = { { "x", STORE_TYPE_STRING }, { "y", STORE_TYPE_DOUBLE },
				 { "dt", STORE_TYPE_STRING } };
	store_column other_key[2] = { { "x", STORE_TYPE_STRING }, { "day", STORE_TYPE_STRING } };
	store_txn *txn = wbegin(state);
	static const char *const dt[] = { "dt" };
	store_table t, a;
	uint64_t id, seq;

	id = make_table(txn, "d", "t", 1, dt, 1);
	put_file(txn, make_pnode(txn, id, 0, "2024"), "f", 3, 30);
	t = get_table(txn, "d", "t");
	seq = head(txn);
	a = t;
	a.columns = cols;
	a.ncolumns = 2;
	a.npartkeys = 1;
	a.properties = "k=v\n";
	assert_int_equal(store_table_alter(txn, &a, STORE_ORIGIN_SYNC), 0);
	assert_int_equal(head(txn), seq + 1);
	store_table_clear(&t);
	t = get_table(txn, "d", "t");
	assert_int_equal(t.id, id);
	assert_int_equal(t.ncolumns, 2);
	assert_string_equal(t.columns[1].name, "y");
	assert_string_equal(t.properties, "k=v\n");
	assert_int_equal(t.npartitions, 1);
	assert_int_equal(t.rows, 3);
	/* Other partition keys while partitions exist: refused. */
	a.columns = other_key;
	a.ncolumns = 1;
	assert_int_equal(store_table_alter(txn, &a, STORE_ORIGIN_SYNC), -ENOTEMPTY);
	store_table_clear(&t);
	commit(txn);
}

static void test_partition_create_equals_pnode_create_and_file_puts(void **state)
{
	static const char *const dt[] = { "dt" };
	store_txn *txn = wbegin(state);
	store_file files[2] = { { 0 }, { 0 } }, got;
	store_pnode bulk, slow;
	store_table t;
	uint64_t id, before;

	id = make_table(txn, "d", "t", 1, dt, 1);
	/* The slow way, as a reference. */
	slow.id = make_pnode(txn, id, 0, "a");
	put_file(txn, slow.id, "p1", 2, 20);
	put_file(txn, slow.id, "p0", 1, 10);
	assert_int_equal(store_pnode_get(txn, id, 0, "a", &slow), 0);
	strcpy(files[0].name, "p1");
	files[0].rows = 2;
	files[0].bytes = 20;
	XXH128_canonicalFromHash((XXH128_canonical_t *)files[0].checksum, XXH3_128bits_withSeed("p1", 2, 20));
	strcpy(files[1].name, "p0");
	files[1].rows = 1;
	files[1].bytes = 10;
	XXH128_canonicalFromHash((XXH128_canonical_t *)files[1].checksum, XXH3_128bits_withSeed("p0", 2, 10));
	before = head(txn);
	assert_int_equal(store_partition_create(txn, id, 0, "b", 0, 0, files, 2, STORE_ORIGIN_SYNC, &bulk), 0);
	assert_int_equal(head(txn), before + 3);
	assert_memory_equal(bulk.checksum, slow.checksum, 16);
	assert_int_equal(bulk.rows, 3);
	assert_int_equal(bulk.nfiles, 2);
	assert_int_equal(store_file_get(txn, bulk.id, "p0", &got), 0);
	assert_int_equal(got.id, files[1].id);
	t = get_table(txn, "d", "t");
	assert_int_equal(t.npartitions, 2);
	assert_int_equal(t.rows, 6);
	store_table_clear(&t);
	assert_int_equal(store_partition_create(txn, id, 0, "b", 0, 0, NULL, 0, STORE_ORIGIN_SYNC, NULL), -EEXIST);
	strcpy(files[1].name, "p1");
	assert_int_equal(store_partition_create(txn, id, 0, "c", 0, 0, files, 2, STORE_ORIGIN_SYNC, NULL), -EINVAL);
	commit(txn);
}

/* An intent survives its transaction, round-trips every field, lists in id
 * order and is gone once cleared (clearing twice is not an error). */
static void test_intents_round_trip_list_and_clear(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = NULL;
	store_intent a = {.file_id = 9, .table_id = 2, .container_id = 3, .bytes = 1234,
			  .rows = 56, .uid = 1001, .gid = 1002};
	store_intent b = a;
	for (int i = 0; i < 16; i++)
		a.checksum[i] = (uint8_t)(i * 7);
	snprintf(a.name, sizeof a.name, "part-0.csv");
	b.file_id = 4;
	b.remove = true;
	snprintf(b.name, sizeof b.name, "part-1.csv");
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_intent_put(txn, &a), 0);
	assert_int_equal(store_intent_put(txn, &b), 0);
	assert_int_equal(store_commit(txn), 0);

	store_intent *in = NULL;
	size_t n = 0;
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_intent_list(txn, &in, &n), 0);
	store_abort(txn);
	assert_int_equal(n, 2);
	assert_true(in[0].file_id == 4 && in[1].file_id == 9);
	assert_true(in[1].table_id == 2 && in[1].container_id == 3);
	assert_true(in[1].bytes == 1234 && in[1].rows == 56);
	assert_int_equal(in[1].uid, 1001);
	assert_int_equal(in[1].gid, 1002);
	assert_memory_equal(in[1].checksum, a.checksum, 16);
	assert_string_equal(in[1].name, "part-0.csv");
	assert_false(in[1].remove);
	assert_string_equal(in[0].name, "part-1.csv");
	assert_true(in[0].remove);
	free(in);

	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_intent_clear(txn, 9), 0);
	assert_int_equal(store_intent_clear(txn, 9), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_intent_list(txn, &in, &n), 0);
	store_abort(txn);
	assert_int_equal(n, 1);
	assert_true(in[0].file_id == 4);
	free(in);
}

static void test_intent_needs_a_write_txn_an_id_and_a_name(void **state)
{
	struct fixture *f = *state;
	store_txn *txn = NULL;
	store_intent a = {.file_id = 1};
	snprintf(a.name, sizeof a.name, "x.csv");
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_intent_put(txn, &a), -EROFS);
	store_abort(txn);
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	a.file_id = 0;
	assert_int_equal(store_intent_put(txn, &a), -EINVAL);
	a.file_id = 1;
	a.name[0] = '\0';
	assert_int_equal(store_intent_put(txn, &a), -EINVAL);
	store_abort(txn);
}

/* ---- views ------------------------------------------------------------------------------ */

static int collect_view(const store_view *v, void *arg)
{
	char *out = arg;

	strcat(out, v->name);
	strcat(out, ":");
	strcat(out, v->text);
	strcat(out, ";");
	return 0;
}

static void test_view_put_get_replace_drop_round_trip(void **state)
{
	char *cols[] = { "a", "b" };
	store_view v = { .owner_uid = 1001, .owner_gid = 1002, .text = "SELECT 1, 2",
			 .ncolumns = 2, .columns = cols }, got;
	char listed[256] = "";
	store_txn *txn = wbegin(state);

	snprintf(v.db, sizeof v.db, "sales");
	snprintf(v.name, sizeof v.name, "v");
	assert_int_equal(store_view_put(txn, &v, false), -ENOENT);    /* no database yet */
	assert_int_equal(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(store_view_put(txn, &v, false), 0);
	assert_int_equal(store_view_put(txn, &v, false), -EEXIST);
	commit(txn);
	txn = rbegin(state);
	assert_int_equal(store_view_get(txn, "sales", "v", &got), 0);
	assert_string_equal(got.text, "SELECT 1, 2");
	assert_int_equal(got.ncolumns, 2);
	assert_string_equal(got.columns[1], "b");
	assert_int_equal(got.owner_uid, 1001);
	assert_int_equal(got.owner_gid, 1002);
	assert_true(got.created_ns > 0);
	store_view_clear(&got);
	assert_int_equal(store_view_get(txn, "sales", "w", &got), -ENOENT);
	commit(txn);
	txn = wbegin(state);
	v.text = "SELECT 3";
	v.ncolumns = 0;
	assert_int_equal(store_view_put(txn, &v, true), 0);
	snprintf(v.name, sizeof v.name, "u");
	assert_int_equal(store_view_put(txn, &v, false), 0);
	assert_int_equal(store_view_iter(txn, "sales", collect_view, listed), 0);
	assert_string_equal(listed, "u:SELECT 3;v:SELECT 3;");
	assert_int_equal(store_view_drop(txn, "sales", "v"), 0);
	assert_int_equal(store_view_drop(txn, "sales", "v"), -ENOENT);
	assert_int_equal(store_view_get(txn, "sales", "v", &got), -ENOENT);
	commit(txn);
}

static void test_views_and_tables_share_names(void **state)
{
	store_view v = { .text = "SELECT 1" };
	store_txn *txn = wbegin(state);

	make_table(txn, "sales", "t", 1, NULL, 0);
	snprintf(v.db, sizeof v.db, "sales");
	snprintf(v.name, sizeof v.name, "t");
	assert_int_equal(store_view_put(txn, &v, true), -EEXIST);
	snprintf(v.name, sizeof v.name, "v");
	assert_int_equal(store_view_put(txn, &v, false), 0);
	assert_int_equal(store_table_create(txn, "sales", "v", 0, 0, STORE_ORIGIN_FS, NULL), -EEXIST);
	v.text = "";
	assert_int_equal(store_view_put(txn, &v, true), -EINVAL);
	commit(txn);
}

static void test_database_drop_drops_its_views_only(void **state)
{
	store_view v = { .text = "SELECT 1" }, got;
	store_txn *txn = wbegin(state);

	assert_int_equal(store_database_create(txn, "a", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(store_database_create(txn, "ab", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	snprintf(v.db, sizeof v.db, "a");
	snprintf(v.name, sizeof v.name, "v");
	assert_int_equal(store_view_put(txn, &v, false), 0);
	snprintf(v.db, sizeof v.db, "ab");
	assert_int_equal(store_view_put(txn, &v, false), 0);
	assert_int_equal(store_database_drop(txn, "a", STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_view_get(txn, "a", "v", &got), -ENOENT);
	assert_int_equal(store_view_get(txn, "ab", "v", &got), 0);
	store_view_clear(&got);
	commit(txn);
}

/* ---- column statistics ------------------------------------------------------------ */

/* A bigint statistics entry of column C: [MIN, MAX], NULLS (flags FLAGS). */
static store_colstat bigint_stat(uint32_t c, uint8_t flags, int64_t min, int64_t max,
				 uint64_t nulls)
{
	store_colstat s = {.column = c, .type = STORE_TYPE_BIGINT, .flags = flags, .nulls = nulls};
	if (flags & STORE_STAT_MIN) {
		s.min_len = 8;
		for (int i = 0; i < 8; i++)
			s.min[i] = (uint8_t)((uint64_t)min >> (8 * i));
	}
	if (flags & STORE_STAT_MAX) {
		s.max_len = 8;
		for (int i = 0; i < 8; i++)
			s.max[i] = (uint8_t)((uint64_t)max >> (8 * i));
	}
	return s;
}

static int64_t stat_i64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return (int64_t)v;
}

static void put_file_stats(store_txn *txn, uint64_t container, const char *name, uint64_t rows,
			   const store_colstat *st, uint32_t n)
{
	store_file f = {0};
	f.pnode_id = container;
	snprintf(f.name, sizeof f.name, "%s", name);
	f.rows = rows;
	f.bytes = rows * 10;
	f.stats = st;
	f.nstats = n;
	assert_int_equal(store_file_put(txn, &f, STORE_ORIGIN_JOB), 0);
}

/* Statistics are kept with the record (and through a set mtime), read back
 * with store_file_stats, and folded per partition and per table by
 * store_column_stats: all-NULL and empty files bound nothing, a file
 * without statistics makes the bounds unknown. */
static void test_column_stats_fold_over_files_and_partitions(void **state)
{
	static const char *const dt[] = {"dt"};
	store_txn *txn = wbegin(state);
	uint64_t table = make_table(txn, "db", "s", 2, dt, 1);
	uint64_t a = make_pnode(txn, table, 0, "a"), b = make_pnode(txn, table, 0, "b");
	store_colstat f1[2] = {
		bigint_stat(0, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS, -5, 10, 1),
		bigint_stat(1, STORE_STAT_NULLS, 0, 0, 4),   /* all NULL in its 4 rows */
	};
	store_colstat f2[2] = {
		bigint_stat(0, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS, 3, 42, 0),
		bigint_stat(1, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS, 7, 7, 0),
	};
	store_colstat f3[1] = {
		bigint_stat(0, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS, -100, 0, 2),
	};
	put_file_stats(txn, a, "1.parquet", 4, f1, 2);
	put_file_stats(txn, a, "2.parquet", 3, f2, 2);
	put_file_stats(txn, a, "empty.parquet", 0, f3, 1);   /* no rows: bounds nothing */
	put_file_stats(txn, b, "3.parquet", 5, f3, 1);
	commit(txn);

	txn = wbegin(state);
	store_file got;
	assert_int_equal(store_file_get(txn, a, "1.parquet", &got), 0);
	assert_int_equal(got.nstats, 2);
	assert_null(got.stats);
	assert_int_equal(store_file_set_mtime(txn, a, "1.parquet", got.id, 77), 0);
	store_colstat *st = NULL;
	uint32_t n = 0;
	assert_int_equal(store_file_stats(txn, a, "1.parquet", &st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(stat_i64(st[0].min), -5);
	assert_int_equal(st[1].nulls, 4);
	free(st);
	commit(txn);

	txn = rbegin(state);
	store_table t = get_table(txn, "db", "s");
	store_colstat out[2];
	uint64_t nfiles = 0;
	/* partition a */
	assert_int_equal(store_column_stats(txn, &t, a, out, &nfiles), 0);
	assert_int_equal(nfiles, 3);
	assert_int_equal(out[0].flags, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS);
	assert_int_equal(stat_i64(out[0].min), -5);
	assert_int_equal(stat_i64(out[0].max), 42);
	assert_int_equal(out[0].nulls, 1);
	assert_int_equal(out[1].flags, STORE_STAT_MIN | STORE_STAT_MAX | STORE_STAT_NULLS);
	assert_int_equal(stat_i64(out[1].min), 7);
	assert_int_equal(out[1].nulls, 4);
	/* the whole table: b's file has no statistics of column 1 */
	assert_int_equal(store_column_stats(txn, &t, 0, out, &nfiles), 0);
	assert_int_equal(nfiles, 4);
	assert_int_equal(stat_i64(out[0].min), -100);
	assert_int_equal(stat_i64(out[0].max), 42);
	assert_int_equal(out[0].nulls, 3);
	assert_int_equal(out[1].flags, 0);
	store_table_clear(&t);
	store_abort(txn);

	/* A file without statistics (a csv file) makes every bound unknown. */
	txn = wbegin(state);
	put_file(txn, b, "x.csv", 2, 20);
	commit(txn);
	txn = rbegin(state);
	t = get_table(txn, "db", "s");
	assert_int_equal(store_column_stats(txn, &t, b, out, NULL), 0);
	assert_int_equal(out[0].flags, 0);
	store_table_clear(&t);
	store_abort(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_column_stats_fold_over_files_and_partitions),
		TEST(test_cursor_reads_zero_until_put_then_round_trips),
		TEST(test_events_trim_keeps_the_newest_and_sequence_continues),
		TEST(test_table_alter_replaces_schema_keeping_id_and_stats),
		TEST(test_partition_create_equals_pnode_create_and_file_puts),
		TEST(test_database_create_get_drop),
		TEST(test_view_put_get_replace_drop_round_trip),
		TEST(test_views_and_tables_share_names),
		TEST(test_database_drop_drops_its_views_only),
		TEST(test_database_create_refuses_duplicates_and_bad_names),
		TEST(test_database_drop_refuses_nonempty),
		TEST(test_database_drop_ignores_tables_of_similar_names),
		TEST(test_table_create_requires_database),
		TEST(test_table_key_order_matches_listing_order),
		TEST(test_table_set_schema_once_with_properties),
		TEST(test_table_set_schema_rejects_invalid_schemas),
		TEST(test_table_drop_removes_pnodes_files_and_ids),
		TEST(test_pnode_create_requires_partitioned_schema),
		TEST(test_pnode_get_and_values),
		TEST(test_pnode_listing_skips_deeper_levels),
		TEST(test_pnode_listing_resumes_strictly_after),
		TEST(test_pnode_drop_refuses_children_or_files),
		TEST(test_pnode_spec_too_long_rejected),
		TEST(test_file_put_updates_partition_and_table_stats),
		TEST(test_file_rewrite_keeps_id_and_adjusts_stats),
		TEST(test_file_set_mtime_is_no_change_event_or_version),
		TEST(test_file_replaced_by_new_id_drops_old_id),
		TEST(test_file_put_accepts_only_reserved_unused_ids),
		TEST(test_file_put_refuses_inner_pnodes_and_partitioned_tables),
		TEST(test_file_drop_restores_stats_and_checksum),
		TEST(test_partition_checksum_is_xxh3_128_of_files_in_name_order),
		TEST(test_unpartitioned_table_holds_files_directly),
		TEST(test_object_by_id_resolves_every_kind),
		TEST(test_ids_are_never_reused),
		TEST(test_events_appended_in_commit_order),
		TEST(test_event_paths_use_partition_keys_and_escaping),
		TEST(test_abort_leaves_no_event),
		TEST(test_failed_operation_leaves_txn_usable),
		TEST(test_writes_refused_in_read_txn),
		TEST(test_iterators_resume_strictly_after_name),
		TEST(test_iterator_outliving_its_txn_is_refused),
		TEST(test_read_snapshot_does_not_see_later_commit),
		TEST(test_intents_round_trip_list_and_clear),
		TEST(test_intent_needs_a_write_txn_an_id_and_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
