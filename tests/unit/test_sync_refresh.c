/*
 * test_sync_refresh.c - a mirrored table's .refresh: the source's
 * partitions from a fresh snapshot, with target paths and a trailer, and
 * the incremental form after adds, rewrites and drops.
 */
#include "sync_fixture.h"

#define RULE "source = warehouse.sales.*\ntarget = lake\nadopt = sales\n"

/* Mirror everything, then fill *T with the mirror of sales.orders. */
static void mirror(struct fixture *f, store_table *t)
{
	sync_rule r = rule_of(RULE);
	sync_result res;

	assert_int_equal(sync_rule_apply(&r, &f->src, &f->dst, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", t), 0);
}

static char *refresh(struct fixture *f, const store_table *t, uint64_t since)
{
	textbuf out = TEXTBUF_INIT;

	assert_int_equal(sync_refresh(t, "lake", &f->src, since, &out), 0);
	assert_int_equal(textbuf_error(&out), 0);
	return textbuf_steal(&out, NULL);
}

static uint64_t etag_of(struct fixture *f, uint64_t table, uint64_t parent, const char *value)
{
	store_txn *txn = rbegin(f->src.store);
	store_pnode p;

	assert_int_equal(store_pnode_get(txn, table, parent, value, &p), 0);
	store_abort(txn);
	return p.etag;
}

static void test_refresh_lists_partitions_with_target_paths_and_trailer(void **state)
{
	struct fixture *f = *state;
	char want[1024];
	store_table t;
	store_txn *txn;
	uint64_t id, day;
	char *text;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt,region", NULL);
	txn = wbegin(f->src.store);
	day = add_pnode_in(txn, id, 0, "2024-05-01", NULL, 0);
	add_pnode_in(txn, id, day, "eu/west", "part-0.csv", 3);
	add_pnode_in(txn, id, day, "us", "part-0.csv", 4);
	commit(txn);
	mirror(f, &t);
	text = refresh(f, &t, 0);
	snprintf(want, sizeof want,
		 "dt=2024-05-01/region=eu%%2Fwest lake/sales/orders/dt=2024-05-01/region=eu%%2Fwest rows=3 bytes=30 etag=%016llx\n"
		 "dt=2024-05-01/region=us lake/sales/orders/dt=2024-05-01/region=us rows=4 bytes=40 etag=%016llx\n"
		 "snapshot %llu\n",
		 (unsigned long long)etag_of(f, id, day, "eu/west"),
		 (unsigned long long)etag_of(f, id, day, "us"),
		 (unsigned long long)event_head(f->src.store));
	assert_string_equal(text, want);
	free(text);
	store_table_clear(&t);
}

static void test_refresh_reads_a_fresh_snapshot_each_time(void **state)
{
	struct fixture *f = *state;
	store_table t;
	uint64_t id;
	char *text;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	mirror(f, &t);
	text = refresh(f, &t, 0);
	assert_int_equal(strncmp(text, "snapshot ", 9), 0);
	free(text);
	/* No apply in between: refresh reads the source, not the mirror. */
	add_partition(f->src.store, id, "2024-05-02", 1);
	text = refresh(f, &t, 0);
	assert_non_null(strstr(text, "dt=2024-05-02 lake/sales/orders/dt=2024-05-02 rows=1 "));
	free(text);
	store_table_clear(&t);
}

static void test_refresh_since_lists_partitions_added_changed_and_dropped(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	store_file fl;
	store_pnode p;
	store_table t;
	uint64_t id, since, gone;
	char *text, want[1024];

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "a", 1);
	add_partition(f->src.store, id, "b", 2);
	gone = add_partition(f->src.store, id, "c", 3);
	mirror(f, &t);
	since = event_head(f->src.store);

	txn = wbegin(f->src.store);
	add_pnode_in(txn, id, 0, "d", "part-0.csv", 4);                 /* added */
	assert_int_equal(store_pnode_get(txn, id, 0, "b", &p), 0);     /* rewritten */
	assert_int_equal(store_file_get(txn, p.id, "part-0.csv", &fl), 0);
	fl.rows = 20;
	assert_int_equal(store_file_put(txn, &fl, STORE_ORIGIN_JOB), 0);
	assert_int_equal(store_file_drop(txn, gone, "part-0.csv", STORE_ORIGIN_JOB), 0);
	assert_int_equal(store_pnode_drop(txn, gone, STORE_ORIGIN_JOB), 0);  /* dropped */
	add_pnode_in(txn, id, 0, "e", NULL, 0);                          /* added, then dropped */
	assert_int_equal(store_pnode_get(txn, id, 0, "e", &p), 0);
	assert_int_equal(store_pnode_drop(txn, p.id, STORE_ORIGIN_JOB), 0);
	commit(txn);

	text = refresh(f, &t, since);
	snprintf(want, sizeof want,
		 "~ dt=b lake/sales/orders/dt=b rows=20 bytes=20 etag=%016llx\n"
		 "- dt=c lake/sales/orders/dt=c\n"
		 "+ dt=d lake/sales/orders/dt=d rows=4 bytes=40 etag=%016llx\n"
		 "snapshot %llu\n",
		 (unsigned long long)etag_of(f, id, 0, "b"), (unsigned long long)etag_of(f, id, 0, "d"),
		 (unsigned long long)event_head(f->src.store));
	assert_string_equal(text, want);
	free(text);

	/* Since the newest snapshot: nothing but the trailer. */
	text = refresh(f, &t, event_head(f->src.store));
	snprintf(want, sizeof want, "snapshot %llu\n", (unsigned long long)event_head(f->src.store));
	assert_string_equal(text, want);
	free(text);
	store_table_clear(&t);
}

static void test_refresh_since_a_trimmed_event_is_stale(void **state)
{
	struct fixture *f = *state;
	textbuf out = TEXTBUF_INIT;
	store_txn *txn;
	store_table t;
	uint64_t id;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "a", 1);
	mirror(f, &t);
	add_partition(f->src.store, id, "b", 1);
	txn = wbegin(f->src.store);
	assert_int_equal(store_events_trim(txn, event_head(f->src.store)), 0);
	commit(txn);
	assert_int_equal(sync_refresh(&t, "lake", &f->src, 1, &out), -ESTALE);
	textbuf_free(&out);
	store_table_clear(&t);
}

static void test_refresh_of_a_table_that_is_not_a_mirror_is_enoent(void **state)
{
	struct fixture *f = *state;
	textbuf out = TEXTBUF_INIT;
	store_txn *txn;
	store_table t;

	make_table(f->dst.store, "sales", "local", "id:bigint", "", NULL);
	assert_int_equal(target_table(f, "sales", "local", &t), 0);
	assert_int_equal(sync_refresh(&t, "lake", &f->src, 0, &out), -ENOENT);
	assert_null(sync_source_of(&t, &f->src, 1));
	store_table_clear(&t);

	/* A mirror whose source table was dropped (and re-created: a different
	 * table) has no source until the rule applies again. */
	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	mirror(f, &t);
	assert_ptr_equal(sync_source_of(&t, &f->src, 1), &f->src);
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	make_table_in(txn, "sales", "orders", "id:bigint", "", NULL);
	commit(txn);
	assert_int_equal(sync_refresh(&t, "lake", &f->src, 0, &out), -ENOENT);
	textbuf_free(&out);
	store_table_clear(&t);
}

static void test_source_of_picks_the_platform_named_in_the_mirror(void **state)
{
	struct fixture *f = *state;
	sync_platform ps[3] = { { .name = "ware", .data_dir = "/x" }, f->src,
				{ .name = "warehouse.old", .data_dir = "/y" } };
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	mirror(f, &t);
	assert_ptr_equal(sync_source_of(&t, ps, 3), &ps[1]);
	store_table_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_refresh_lists_partitions_with_target_paths_and_trailer),
		TEST(test_refresh_reads_a_fresh_snapshot_each_time),
		TEST(test_refresh_since_lists_partitions_added_changed_and_dropped),
		TEST(test_refresh_since_a_trimmed_event_is_stale),
		TEST(test_refresh_of_a_table_that_is_not_a_mirror_is_enoent),
		TEST(test_source_of_picks_the_platform_named_in_the_mirror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
