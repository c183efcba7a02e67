/*
 * test_sync_apply.c - applying a rule from the warehouse metastore into the
 * lake metastore: what is mirrored, idempotence, the cursor committing with
 * its records, drops, re-creates, schema changes, conflicts, the fallback
 * to a full compare, dry runs and partition mirroring.
 */
#include "sync_fixture.h"

#include <unistd.h>

/* Tables of the target's own in sales meet the rules of most tests, which
 * therefore adopt the database (a conflict otherwise). */
#define RULE "source = warehouse.sales.*\ntarget = lake\nadopt = sales\n"
#define RULE_PARTS RULE "mirror = schema, properties, partitions\n"

static int apply(struct fixture *f, const char *text, bool full, bool dry, textbuf *diff,
		 sync_result *res)
{
	sync_rule r = rule_of(text);

	return sync_rule_apply(&r, &f->src, &f->dst, full, dry, diff, res);
}

static uint64_t cursor_of(struct fixture *f)
{
	uint64_t seq = 99;

	assert_int_equal(sync_cursor_get(f->dst.store, "r1", &seq), 0);
	return seq;
}

static void test_apply_creates_mirror_with_its_properties_and_without_dropped_columns(void **state)
{
	struct fixture *f = *state;
	char want[PATH_MAX + 64], idbuf[32];
	sync_result res;
	store_table t;
	uint64_t id;

	id = make_table(f->src.store, "sales", "orders", "id:bigint,email:string,amount:double", "dt",
			"owner=team-a\n");
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, RULE "drop_columns = EMAIL\n", false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.ncolumns, 2);
	assert_string_equal(t.columns[0].name, "id");
	assert_string_equal(t.columns[1].name, "amount");
	assert_int_equal(t.npartkeys, 1);
	assert_string_equal(t.columns[2].name, "dt");
	assert_true(has_property(&t, "owner", "team-a"));
	assert_true(has_property(&t, "metafs.mirror.rule", "r1"));
	assert_true(has_property(&t, "metafs.mirror.source", "warehouse.sales.orders"));
	snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)id);
	assert_true(has_property(&t, "metafs.mirror.source_id", idbuf));
	snprintf(want, sizeof want, "%s/sales/orders", f->src_data);
	assert_true(has_property(&t, "metafs.mirror.location", want));
	assert_non_null(sync_table_property(&t, "metafs.mirror.source_etag", NULL));
	assert_non_null(sync_table_property(&t, "metafs.mirror.event", NULL));
	assert_int_equal(t.npartitions, 0);
	store_table_clear(&t);
	/* Outside the source glob: not mirrored. */
	assert_int_equal(target_table(f, "hr", "people", &t), -ENOENT);
	assert_int_equal(res.cursor, event_head(f->src.store));
	assert_int_equal(cursor_of(f), res.cursor);
	assert_false(res.full_compare);
}

static void test_apply_twice_writes_nothing_the_second_time(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	uint64_t head;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_true(res.applied > 0);
	head = event_head(f->dst.store);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(res.applied, 0);
	assert_int_equal(res.events_read, 0);
	assert_int_equal(event_head(f->dst.store), head);
	/* A full compare finds every mirror unchanged by etag. */
	assert_int_equal(apply(f, RULE, true, false, NULL, &res), 0);
	assert_true(res.full_compare);
	assert_int_equal(res.applied, 0);
	assert_int_equal(res.dropped, 0);
	assert_true(res.unchanged > 0);
	assert_int_equal(event_head(f->dst.store), head);
}

static void test_apply_commits_cursor_and_records_together(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;
	uint64_t cursor;

	/* The first table mirrors; the second is refused by the target, in the
	 * same batch: neither it, nor the first table, nor the cursor moves. */
	make_table(f->src.store, "sales", "a", "id:bigint", "", NULL);
	make_table(f->src.store, "sales", "b", "id:bigint", "", NULL);
	make_table(f->dst.store, "sales", "b", "x:string", "", NULL);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), -EEXIST);
	assert_non_null(strstr(res.conflict, "sales.b"));
	assert_int_equal(target_table(f, "sales", "a", &t), -ENOENT);
	assert_int_equal(cursor_of(f), 0);
	assert_int_equal(res.cursor, 0);
	/* Once the obstacle is gone both land, with the cursor. */
	{
		store_txn *txn = wbegin(f->dst.store);

		assert_int_equal(store_table_drop(txn, "sales", "b", STORE_ORIGIN_FS), 0);
		commit(txn);
	}
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	cursor = cursor_of(f);
	assert_int_equal(cursor, event_head(f->src.store));
	assert_int_equal(target_table(f, "sales", "a", &t), 0);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "b", &t), 0);
	store_table_clear(&t);
}

static void test_apply_commits_each_batch_with_its_cursor(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;
	uint64_t id, cursor;
	char v[32];

	/* More events than one batch, then a conflict: the first batch stays
	 * committed with its cursor, the failing one leaves nothing. */
	id = make_table(f->src.store, "sales", "big", "id:bigint", "dt", NULL);
	txn = wbegin(f->src.store);
	for (int i = 0; i < SYNC_BATCH_EVENTS + 100; i++) {
		snprintf(v, sizeof v, "%06d", i);
		add_pnode_in(txn, id, 0, v, NULL, 0);
	}
	commit(txn);
	make_table(f->src.store, "sales", "zz", "id:bigint", "", NULL);
	make_table(f->dst.store, "sales", "zz", "x:string", "", NULL);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), -EEXIST);
	cursor = cursor_of(f);
	assert_int_equal(cursor, SYNC_BATCH_EVENTS);
	assert_int_equal(res.cursor, cursor);
	assert_int_equal(target_table(f, "sales", "big", &t), 0);
	/* Events 1..3 made the database and the table: the rest of the batch
	 * were partitions. */
	assert_int_equal(t.npartitions, SYNC_BATCH_EVENTS - 3);
	store_table_clear(&t);
}

static void test_apply_propagates_a_table_drop(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	commit(txn);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(res.dropped, 1);
	assert_int_equal(target_table(f, "sales", "orders", &t), -ENOENT);
}

/* What the target's dropping hook was told, one "db[.table]" a line. */
static int dropping_note(void *arg, const char *db, const char *table)
{
	char *seen = arg;
	size_t n = strlen(seen);

	snprintf(seen + n, 256 - n, "%s%s%s\n", db, table ? "." : "", table ? table : "");
	return table && strcmp(table, "refused") == 0 ? -EIO : 0;
}

static void test_apply_tells_the_target_what_it_drops(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;
	char seen[256] = "";

	f->dst.dropping = dropping_note;
	f->dst.dropping_arg = seen;
	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "sales", "refused", "id:bigint", "", NULL);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_string_equal(seen, "");
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	commit(txn);
	/* A dry run drops nothing: not told. */
	assert_int_equal(apply(f, RULE, false, true, NULL, &res), 0);
	assert_string_equal(seen, "");
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_string_equal(seen, "sales.orders\n");
	assert_int_equal(target_table(f, "sales", "orders", &t), -ENOENT);
	/* A refusal fails the run, and the mirror stays. */
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "refused", STORE_ORIGIN_FS), 0);
	commit(txn);
	seen[0] = '\0';
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), -EIO);
	assert_string_equal(seen, "sales.refused\n");
	assert_int_equal(target_table(f, "sales", "refused", &t), 0);
	store_table_clear(&t);
	f->dst.dropping = NULL;
}

static void test_apply_recognises_a_recreated_source_table_by_id(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;
	uint64_t old_id, new_id, old_mirror;
	char idbuf[32];

	old_id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, old_id, "2024-01-01", 5);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	old_mirror = t.id;
	assert_int_equal(t.npartitions, 1);
	store_table_clear(&t);

	/* Dropped and re-created under the same name, in one go. */
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "orders", STORE_ORIGIN_FS), 0);
	new_id = make_table_in(txn, "sales", "orders", "id:bigint,note:string", "dt", NULL);
	commit(txn);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)new_id);
	assert_true(has_property(&t, "metafs.mirror.source_id", idbuf));
	assert_int_equal(t.ncolumns, 2);
	assert_int_equal(t.npartitions, 0);      /* nothing of the old table */
	assert_int_not_equal(t.id, old_mirror);
	store_table_clear(&t);

	/* A full compare agrees, and sees a mirror of the old id as stale. */
	assert_int_equal(apply(f, RULE_PARTS, true, false, NULL, &res), 0);
	assert_int_equal(res.applied, 0);
	assert_int_equal(res.dropped, 0);
}

static void test_apply_propagates_a_schema_change(void **state)
{
	struct fixture *f = *state;
	store_column cols[3] = { { "id", STORE_TYPE_BIGINT }, { "total", STORE_TYPE_DOUBLE },
				 { "dt", STORE_TYPE_STRING } };
	store_txn *txn;
	sync_result res;
	store_table t, s;
	uint64_t mirror_id;

	make_table(f->src.store, "sales", "orders", "id:bigint", "dt", "a=1\n");
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	mirror_id = t.id;
	store_table_clear(&t);

	txn = wbegin(f->src.store);
	assert_int_equal(store_table_get(txn, "sales", "orders", &s), 0);
	store_table_clear(&s);   /* keep the names and ids; new columns and properties below */
	s.columns = cols;
	s.ncolumns = 2;
	s.npartkeys = 1;
	s.properties = "a=2\n";
	assert_int_equal(store_table_alter(txn, &s, STORE_ORIGIN_FS), 0);
	commit(txn);

	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(res.applied, 1);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.id, mirror_id);
	assert_int_equal(t.ncolumns, 2);
	assert_string_equal(t.columns[1].name, "total");
	assert_true(has_property(&t, "a", "2"));
	store_table_clear(&t);
}

static void test_conflict_fail_stops_and_names_the_object(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->dst.store, "sales", "orders", "x:string", "", "mine=yes\n");
	assert_int_equal(apply(f, RULE "on_conflict = fail\n", false, false, NULL, &res), -EEXIST);
	assert_non_null(strstr(res.conflict, "sales.orders"));
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_true(has_property(&t, "mine", "yes"));
	assert_string_equal(t.columns[0].name, "x");
	store_table_clear(&t);
}

static void test_conflict_skip_leaves_the_object_and_counts_it(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "sales", "returns", "id:bigint", "", NULL);
	make_table(f->dst.store, "sales", "orders", "x:string", "", "mine=yes\n");
	assert_int_equal(apply(f, RULE "on_conflict = skip\n", false, false, NULL, &res), 0);
	assert_int_equal(res.conflicts_skipped, 1);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_true(has_property(&t, "mine", "yes"));
	assert_null(sync_table_property(&t, "metafs.mirror.rule", NULL));
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "returns", &t), 0);
	store_table_clear(&t);
	assert_int_equal(cursor_of(f), event_head(f->src.store));
}

static void test_conflict_overwrite_takes_the_object(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;
	uint64_t id;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	id = make_table(f->dst.store, "sales", "orders", "x:string", "", "mine=yes\n");
	assert_int_equal(apply(f, RULE "on_conflict = overwrite\n", false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	/* Made again: none of the old table (its owner) is kept. */
	assert_int_not_equal(t.id, id);
	assert_int_equal(t.owner_uid, (uint32_t)getuid());
	assert_string_equal(t.columns[0].name, "id");
	assert_true(has_property(&t, "metafs.mirror.rule", "r1"));
	assert_null(sync_table_property(&t, "mine", NULL));
	store_table_clear(&t);
}

static void test_apply_falls_back_to_full_compare_when_the_log_was_trimmed(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;
	uint64_t head, first;

	make_table(f->src.store, "sales", "old", "id:bigint", "", NULL);
	make_table(f->src.store, "sales", "kept", "id:bigint", "", NULL);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "sales", "old", STORE_ORIGIN_FS), 0);
	make_table_in(txn, "sales", "new", "id:bigint", "", NULL);
	commit(txn);
	head = event_head(f->src.store);
	txn = wbegin(f->src.store);
	assert_int_equal(store_events_trim(txn, head), 0);
	assert_int_equal(store_event_first(txn, &first), 0);
	assert_int_equal(first, head);
	commit(txn);

	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_true(res.full_compare);
	assert_int_equal(res.cursor, head);
	assert_int_equal(cursor_of(f), head);
	assert_int_equal(target_table(f, "sales", "old", &t), -ENOENT);
	assert_int_equal(target_table(f, "sales", "new", &t), 0);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "kept", &t), 0);
	store_table_clear(&t);
	/* Caught up: the next apply is incremental again. */
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_false(res.full_compare);
}

static void test_dry_run_writes_nothing_and_lists_the_changes(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	sync_result res;
	store_table t;
	uint64_t id;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "2024-05-01", 3);
	assert_int_equal(apply(f, RULE_PARTS, false, true, &diff, &res), 0);
	assert_int_equal(textbuf_error(&diff), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "create database sales\n"));
	assert_non_null(strstr(diff.data, "create table sales.orders\n"));
	assert_non_null(strstr(diff.data, "create partition sales.orders/dt=2024-05-01\n"));
	assert_non_null(strstr(diff.data, "put file sales.orders/dt=2024-05-01/part-0.csv\n"));
	assert_true(res.applied >= 4);
	assert_int_equal(event_head(f->dst.store), 0);
	assert_int_equal(cursor_of(f), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), -ENOENT);
	textbuf_free(&diff);
}

static void test_apply_mirrors_no_partitions_by_default(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;
	uint64_t id;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "2024-05-01", 3);
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 0);
	assert_int_equal(t.nfiles, 0);
	store_table_clear(&t);
}

static void test_apply_mirrors_partitions_when_asked(void **state)
{
	struct fixture *f = *state;
	store_file sf = { 0 }, tf;
	store_pnode p, q;
	store_txn *txn;
	sync_result res;
	store_table t;
	uint64_t id, day, keep;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt,hour", NULL);
	txn = wbegin(f->src.store);
	day = add_pnode_in(txn, id, 0, "2024-05-01", NULL, 0);
	keep = add_pnode_in(txn, id, day, "03", "part-0.csv", 7);
	add_pnode_in(txn, id, day, "04", "part-0.csv", 8);
	commit(txn);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 2);
	assert_int_equal(t.nfiles, 2);
	assert_int_equal(t.rows, 15);

	/* A rewrite and a dropped partition follow. */
	txn = wbegin(f->src.store);
	sf.pnode_id = keep;
	strcpy(sf.name, "part-0.csv");
	assert_int_equal(store_file_get(txn, keep, "part-0.csv", &sf), 0);
	sf.rows = 70;
	sf.checksum[3] = 9;
	assert_int_equal(store_file_put(txn, &sf, STORE_ORIGIN_JOB), 0);
	assert_int_equal(store_pnode_get(txn, id, day, "04", &p), 0);
	assert_int_equal(store_file_drop(txn, p.id, "part-0.csv", STORE_ORIGIN_JOB), 0);
	assert_int_equal(store_pnode_drop(txn, p.id, STORE_ORIGIN_JOB), 0);
	commit(txn);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	store_table_clear(&t);

	txn = rbegin(f->dst.store);
	assert_int_equal(store_table_get(txn, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 1);
	assert_int_equal(t.rows, 70);
	assert_int_equal(store_pnode_get(txn, t.id, 0, "2024-05-01", &p), 0);
	assert_int_equal(store_pnode_get(txn, t.id, p.id, "03", &q), 0);
	assert_int_equal(store_file_get(txn, q.id, "part-0.csv", &tf), 0);
	assert_int_equal(tf.rows, 70);
	assert_memory_equal(tf.checksum, sf.checksum, 16);
	assert_int_equal(store_pnode_get(txn, t.id, p.id, "04", &q), -ENOENT);
	store_abort(txn);
	store_table_clear(&t);

	/* A full compare finds nothing left to do. */
	assert_int_equal(apply(f, RULE_PARTS, true, false, NULL, &res), 0);
	assert_int_equal(res.applied, 0);
	assert_int_equal(res.dropped, 0);
}

static void test_full_compare_restores_partitions_changed_on_the_target(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;
	store_table t;
	store_pnode p;
	uint64_t id;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "a", 1);
	add_partition(f->src.store, id, "b", 2);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	/* Someone removes one mirrored partition and adds another. */
	txn = wbegin(f->dst.store);
	assert_int_equal(store_table_get(txn, "sales", "orders", &t), 0);
	assert_int_equal(store_pnode_get(txn, t.id, 0, "a", &p), 0);
	assert_int_equal(store_file_drop(txn, p.id, "part-0.csv", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_pnode_drop(txn, p.id, STORE_ORIGIN_FS), 0);
	add_pnode_in(txn, t.id, 0, "zz", "x.csv", 1);
	commit(txn);
	store_table_clear(&t);

	assert_int_equal(apply(f, RULE_PARTS, true, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 2);
	assert_int_equal(t.rows, 3);
	txn = rbegin(f->dst.store);
	assert_int_equal(store_pnode_get(txn, t.id, 0, "a", &p), 0);
	assert_int_equal(store_pnode_get(txn, t.id, 0, "zz", &p), -ENOENT);
	store_abort(txn);
	store_table_clear(&t);
}

#define RULE_MASK RULE "mask = email:hash, amount:null, note:truncate(2)\ndrop_columns = ssn\n"

static void test_apply_masks_type_masked_columns_and_record_the_policy(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders",
		   "id:bigint,email:string,amount:double,note:string,ssn:string", "dt", NULL);
	assert_int_equal(apply(f, RULE_MASK, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.ncolumns, 4);
	assert_string_equal(t.columns[1].name, "email");
	assert_int_equal(t.columns[1].type, STORE_TYPE_STRING);
	assert_string_equal(t.columns[2].name, "amount");
	assert_int_equal(t.columns[2].type, STORE_TYPE_DOUBLE);   /* a null mask keeps the type */
	assert_string_equal(t.columns[3].name, "note");
	assert_true(has_property(&t, "metafs.mask.policy", "email:hash,amount:null,note:truncate(2)"));
	assert_true(has_property(&t, "metafs.mask.version", "1"));
	assert_true(has_property(&t, "metafs.mask.key", "0badcafe"));
	store_table_clear(&t);
	/* The same policy again: nothing to write, the same version. */
	assert_int_equal(apply(f, RULE_MASK, true, false, NULL, &res), 0);
	assert_int_equal(res.applied, 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_true(has_property(&t, "metafs.mask.version", "1"));
	store_table_clear(&t);
}

static void test_apply_a_new_policy_bumps_the_version(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint,email:string,amount:double", "", NULL);
	assert_int_equal(apply(f, RULE "mask = email:hash\n", false, false, NULL, &res), 0);
	/* The source did not change: a full compare still sees the new policy. */
	assert_int_equal(apply(f, RULE "mask = email:redact\n", true, false, NULL, &res), 0);
	assert_int_equal(res.applied, 1);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_true(has_property(&t, "metafs.mask.policy", "email:redact"));
	assert_true(has_property(&t, "metafs.mask.version", "2"));
	store_table_clear(&t);
	/* Removing the masks is a new version too, with an empty policy. */
	assert_int_equal(apply(f, RULE, true, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_true(has_property(&t, "metafs.mask.policy", ""));
	assert_true(has_property(&t, "metafs.mask.version", "3"));
	store_table_clear(&t);
}

static void test_apply_refuses_masks_on_partition_keys_and_missing_columns(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint,email:string", "dt", NULL);
	assert_int_equal(apply(f, RULE "mask = dt:hash\n", false, false, NULL, &res), -EINVAL);
	assert_non_null(strstr(res.conflict, "partition key 'dt'"));
	assert_int_equal(target_table(f, "sales", "orders", &t), -ENOENT);
	assert_int_equal(apply(f, RULE "mask = phone:redact\n", false, false, NULL, &res), -EINVAL);
	assert_non_null(strstr(res.conflict, "'phone'"));
	assert_non_null(strstr(res.conflict, "sales.orders"));
	/* Without a key on the target, a rule with masks fails and says why. */
	f->dst.mask_key = NULL;
	assert_int_equal(apply(f, RULE "mask = email:hash\n", false, false, NULL, &res), -EINVAL);
	assert_non_null(strstr(res.conflict, "exchange key"));
}

/* ---- redefinitions ---------------------------------------------------------------- */

static void test_redefining_partitions_to_schema_removes_the_mirrored_partitions(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;
	uint64_t id, head;

	id = make_table(f->src.store, "sales", "orders", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "2024-05-01", 3);
	add_partition(f->src.store, id, "2024-05-02", 4);
	assert_int_equal(apply(f, RULE_PARTS, false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 2);
	store_table_clear(&t);
	head = cursor_of(f);

	/* No source event follows: the change of definition alone is work. */
	assert_int_equal(apply(f, RULE "mirror = schema\n", false, false, NULL, &res), 0);
	assert_true(res.full_compare);
	assert_true(res.redefined);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.npartitions, 0);
	assert_int_equal(t.nfiles, 0);
	assert_int_equal(t.rows, 0);
	store_table_clear(&t);
	assert_int_equal(cursor_of(f), head);
	/* Applied: the next run has nothing to do. */
	assert_int_equal(apply(f, RULE "mirror = schema\n", false, false, NULL, &res), 0);
	assert_false(res.full_compare);
	assert_int_equal(res.applied + res.dropped, 0);
}

static void test_redefining_a_narrower_source_drops_the_mirrors_it_no_longer_matches(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "sales", "returns", "id:bigint", "", NULL);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "hr", "people", &t), 0);
	store_table_clear(&t);

	/* hr no longer matches the database glob, returns the table glob. */
	assert_int_equal(apply(f, "source = warehouse.sales.o*\ntarget = lake\n", false, false, NULL,
			       &res), 0);
	assert_true(res.redefined);
	assert_int_equal(target_table(f, "hr", "people", &t), -ENOENT);
	assert_int_equal(target_table(f, "sales", "returns", &t), -ENOENT);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	store_table_clear(&t);
}

static void test_redefining_drop_columns_removes_the_column_from_the_mirror(void **state)
{
	struct fixture *f = *state;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint,email:string", "", "owner=a\n");
	assert_int_equal(apply(f, RULE, false, false, NULL, &res), 0);
	assert_int_equal(apply(f, RULE "drop_columns = email\nmirror = schema\n", false, false, NULL,
			       &res), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	assert_int_equal(t.ncolumns, 1);
	assert_string_equal(t.columns[0].name, "id");
	/* Properties are no longer mirrored either. */
	assert_false(has_property(&t, "owner", "a"));
	assert_true(has_property(&t, "metafs.mirror.rule", "r1"));
	store_table_clear(&t);
}

static void test_an_interrupted_redefinition_is_finished_by_the_next_apply(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	store_txn *txn;
	sync_result res;
	store_table t;
	uint64_t id, head;
	char v[32];

	/* The old definition mirrors sales.old with its partitions. */
	id = make_table(f->src.store, "sales", "old", "id:bigint", "dt", NULL);
	add_partition(f->src.store, id, "2024-05-01", 3);
	id = make_table(f->src.store, "sales", "big", "id:bigint", "dt", NULL);
	txn = wbegin(f->src.store);
	for (int i = 0; i < SYNC_BATCH_EVENTS + 100; i++) {
		snprintf(v, sizeof v, "%06d", i);
		add_pnode_in(txn, id, 0, v, NULL, 0);
	}
	commit(txn);
	make_table(f->src.store, "sales", "zz", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.sales.old\ntarget = lake\n"
				  "mirror = schema, partitions\n", false, false, NULL, &res), 0);
	head = cursor_of(f);
	assert_int_equal(head, event_head(f->src.store));

	/* The new one takes big and zz instead.  A table of lake's own in the
	 * way of zz stops the compare after its first batch was committed: the
	 * stand-in for a crash in the middle. */
	make_table(f->dst.store, "sales", "zz", "x:string", "", NULL);
#define NEW_RULE "source = warehouse.sales.[bz]*\ntarget = lake\nmirror = schema, partitions\n"
	assert_int_equal(apply(f, NEW_RULE, false, false, NULL, &res), -EEXIST);
	assert_int_equal(target_table(f, "sales", "big", &t), 0);
	assert_true(t.npartitions > 0);
	assert_true(t.npartitions < SYNC_BATCH_EVENTS + 100);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "old", &t), 0);
	store_table_clear(&t);
	assert_int_equal(cursor_of(f), head);

	/* The difference is still seen, by a dry run and by the next apply. */
	assert_int_equal(apply(f, NEW_RULE "on_conflict = overwrite\n", false, true, &diff, &res), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "drop table sales.old\n"));
	assert_non_null(strstr(diff.data, "create partition sales.big/dt=005099\n"));
	assert_null(strstr(diff.data, "create partition sales.big/dt=000000\n"));
	textbuf_free(&diff);
	txn = wbegin(f->dst.store);
	assert_int_equal(store_table_drop(txn, "sales", "zz", STORE_ORIGIN_FS), 0);
	commit(txn);
	assert_int_equal(apply(f, NEW_RULE, false, false, NULL, &res), 0);
	assert_true(res.redefined);
	assert_int_equal(target_table(f, "sales", "big", &t), 0);
	assert_int_equal(t.npartitions, SYNC_BATCH_EVENTS + 100);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "zz", &t), 0);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "sales", "old", &t), -ENOENT);
	assert_int_equal(cursor_of(f), head);
	/* Done: nothing is left to apply. */
	assert_int_equal(apply(f, NEW_RULE, false, false, NULL, &res), 0);
	assert_false(res.redefined);
	assert_int_equal(res.applied + res.dropped, 0);
#undef NEW_RULE
}

static bool target_db(store_env *env, const char *db)
{
	store_txn *txn = rbegin(env);
	store_database d;
	int rc = store_database_get(txn, db, &d);

	store_abort(txn);
	assert_true(rc == 0 || rc == -ENOENT);
	return rc == 0;
}

static bool stale(store_env *env)
{
	bool st = false;

	assert_int_equal(sync_rule_stale(env, "r1", &st), 0);
	return st;
}

static void test_narrowing_drops_the_databases_the_rule_made_and_no_longer_fills(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	store_txn *txn;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	make_table(f->src.store, "ops", "events", "id:bigint", "", NULL);
	make_table(f->src.store, "fin", "ledger", "id:bigint", "", NULL);
	/* lake's own database fin was there first: the rule skips it. */
	txn = wbegin(f->dst.store);
	assert_int_equal(store_database_create(txn, "fin", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	commit(txn);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\non_conflict = skip\n", false,
			       false, NULL, &res), 0);
	assert_int_equal(res.conflicts_skipped, 1);
	assert_int_equal(target_table(f, "ops", "events", &t), 0);
	store_table_clear(&t);
	/* A table of lake's own in ops, which the rule created. */
	make_table(f->dst.store, "ops", "mine", "x:string", "", NULL);

	/* A dry run lists the databases and changes nothing. */
	assert_int_equal(apply(f, "source = warehouse.sales.*\ntarget = lake\n", false, true, &diff,
			       &res), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "drop table hr.people\n"));
	assert_non_null(strstr(diff.data, "drop database hr\n"));
	assert_non_null(strstr(diff.data, "keep database ops (holds tables not created by rule r1)\n"));
	assert_null(strstr(diff.data, "database fin"));
	assert_null(strstr(diff.data, "database sales"));
	textbuf_free(&diff);
	assert_true(target_db(f->dst.store, "hr"));

	assert_int_equal(apply(f, "source = warehouse.sales.*\ntarget = lake\n", false, false, NULL,
			       &res), 0);
	assert_true(res.redefined);
	assert_false(target_db(f->dst.store, "hr"));
	assert_true(target_db(f->dst.store, "ops"));
	assert_int_equal(res.kept_dbs, 1);
	assert_string_equal(res.kept, "ops");
	assert_int_equal(target_table(f, "ops", "events", &t), -ENOENT);
	assert_int_equal(target_table(f, "ops", "mine", &t), 0);
	store_table_clear(&t);
	/* Not made by the rule: left although empty. */
	assert_true(target_db(f->dst.store, "fin"));
	assert_int_equal(target_table(f, "fin", "ledger", &t), -ENOENT);
	assert_true(target_db(f->dst.store, "sales"));
	/* ops is no longer the rule's: not reported again. */
	assert_int_equal(apply(f, "source = warehouse.sales.*\ntarget = lake\n", true, false, NULL,
			       &res), 0);
	assert_int_equal(res.kept_dbs, 0);
	assert_int_equal(res.dropped, 0);
	assert_true(target_db(f->dst.store, "ops"));
}

static void test_a_database_recreated_on_the_target_is_not_the_rules(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res), 0);
	/* lake's hr dropped and made again by someone else. */
	txn = wbegin(f->dst.store);
	assert_int_equal(store_table_drop(txn, "hr", "people", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_drop(txn, "hr", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_create(txn, "hr", 0, 0, STORE_ORIGIN_FS, NULL), 0);
	commit(txn);
	assert_int_equal(apply(f, "source = warehouse.sales.*\ntarget = lake\n", false, false, NULL,
			       &res), 0);
	assert_true(target_db(f->dst.store, "hr"));
	assert_int_equal(res.kept_dbs, 0);
}

static void test_a_dropped_source_database_drops_the_rules_empty_database(void **state)
{
	struct fixture *f = *state;
	store_txn *txn;
	sync_result res;

	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res), 0);
	assert_true(target_db(f->dst.store, "hr"));
	txn = wbegin(f->src.store);
	assert_int_equal(store_table_drop(txn, "hr", "people", STORE_ORIGIN_FS), 0);
	assert_int_equal(store_database_drop(txn, "hr", STORE_ORIGIN_FS), 0);
	commit(txn);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res), 0);
	assert_false(res.full_compare);
	assert_false(target_db(f->dst.store, "hr"));
}

static void test_an_interrupted_narrowing_still_shows_the_database_to_drop(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	store_txn *txn;
	sync_result res;
	uint64_t head;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.*.orders\ntarget = lake\n", false, false, NULL,
			       &res), 0);
	assert_true(target_db(f->dst.store, "hr"));
	head = cursor_of(f);
	/* The narrowed rule meets a table of lake's own in its way: it stops
	 * before it gets to the databases (the stand-in for a crash). */
	make_table(f->src.store, "sales", "zz", "id:bigint", "", NULL);
	make_table(f->dst.store, "sales", "zz", "x:string", "", NULL);
#define NARROW "source = warehouse.sales.*\ntarget = lake\n"
	assert_int_equal(apply(f, NARROW, false, false, NULL, &res), -EEXIST);
	assert_true(target_db(f->dst.store, "hr"));
	assert_int_equal(cursor_of(f), head);
	assert_int_equal(apply(f, NARROW "on_conflict = overwrite\n", false, true, &diff, &res), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "drop database hr\n"));
	textbuf_free(&diff);
	txn = wbegin(f->dst.store);
	assert_int_equal(store_table_drop(txn, "sales", "zz", STORE_ORIGIN_FS), 0);
	commit(txn);
	assert_int_equal(apply(f, NARROW, false, false, NULL, &res), 0);
	assert_true(res.redefined);
	assert_false(target_db(f->dst.store, "hr"));
	assert_int_equal(apply(f, NARROW, false, false, NULL, &res), 0);
	assert_int_equal(res.applied + res.dropped, 0);
#undef NARROW
}

/* A third platform, lake2, in the fixture's directory. */
static sync_platform open_lake2(struct fixture *f, char *dir, size_t cap)
{
	sync_platform p = { .name = "lake2", .data_dir = f->dst_data };

	snprintf(dir, cap, "%s/lake2", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(store_open(dir, NULL, &p.store), 0);
	return p;
}

static void test_changing_the_target_retires_the_mirrors_on_the_former_one(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	char dir[PATH_MAX + 16];
	sync_platform lake2;
	sync_rule r;
	sync_result res;
	store_table t;
	uint64_t head;

	make_table(f->src.store, "sales", "orders", "id:bigint", "", NULL);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res), 0);
	/* lake's own objects: a table in sales (made by the rule), a database
	 * of its own, a mirror of another rule. */
	make_table(f->dst.store, "sales", "mine", "x:string", "", NULL);
	make_table(f->dst.store, "own", "t", "x:string", "", NULL);
	make_table(f->dst.store, "other", "m", "x:string", "", "metafs.mirror.rule=r2\n");
	/* lake holds the rule's work (it is its target); lake2 none yet. */
	assert_true(stale(f->dst.store));

	lake2 = open_lake2(f, dir, sizeof dir);
	assert_false(stale(lake2.store));
	r = rule_of("source = warehouse.*.*\ntarget = lake2\n");
	assert_int_equal(sync_rule_apply(&r, &f->src, &lake2, false, false, NULL, &res), 0);
	assert_int_equal(sync_cursor_get(lake2.store, "r1", &head), 0);
	assert_true(head > 0);
	assert_true(stale(lake2.store));
	/* lake still holds the rule's work. */
	assert_true(stale(f->dst.store));

	/* A dry run lists what goes, and changes nothing. */
	assert_int_equal(sync_rule_retire(&r, &f->dst, true, &diff, &res), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "drop table sales.orders on lake\n"));
	assert_non_null(strstr(diff.data, "drop table hr.people on lake\n"));
	assert_non_null(strstr(diff.data, "drop database hr on lake\n"));
	assert_non_null(strstr(diff.data, "keep database sales on lake (holds tables not created by rule r1)\n"));
	assert_null(strstr(diff.data, "own"));
	assert_null(strstr(diff.data, "other"));
	textbuf_free(&diff);
	assert_true(stale(f->dst.store));
	assert_int_equal(target_table(f, "sales", "orders", &t), 0);
	store_table_clear(&t);

	/* Part of it done (what a retirement cut short committed): still
	 * stale, and the rest is finished by the next one. */
	store_txn *txn = wbegin(f->dst.store);
	assert_int_equal(store_table_drop(txn, "hr", "people", STORE_ORIGIN_SYNC), 0);
	commit(txn);
	assert_true(stale(f->dst.store));
	assert_int_equal(sync_rule_retire(&r, &f->dst, false, NULL, &res), 0);
	assert_int_equal(res.dropped, 2);   /* sales.orders and the database hr */
	assert_int_equal(res.kept_dbs, 1);
	assert_string_equal(res.kept, "sales");
	assert_false(stale(f->dst.store));
	assert_int_equal(cursor_of(f), 0);
	assert_int_equal(target_table(f, "sales", "orders", &t), -ENOENT);
	assert_false(target_db(f->dst.store, "hr"));
	assert_int_equal(target_table(f, "sales", "mine", &t), 0);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "own", "t", &t), 0);
	store_table_clear(&t);
	assert_int_equal(target_table(f, "other", "m", &t), 0);
	store_table_clear(&t);
	/* lake2 is untouched by it. */
	assert_int_equal(sync_rule_apply(&r, &f->src, &lake2, false, false, NULL, &res), 0);
	assert_int_equal(res.applied + res.dropped, 0);

	/* Back to lake: a rule starting afresh there, where sales is no longer
	 * its own (it holds mine): a conflict unless adopted. */
	r = rule_of("source = warehouse.*.*\ntarget = lake\n");
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\n", false, false, NULL, &res),
			 -EEXIST);
	assert_string_equal(res.conflict, "database sales exists on lake and was not created by rule r1");
	r = rule_of("source = warehouse.*.*\ntarget = lake\nadopt = sales\n");
	assert_int_equal(apply(f, "source = warehouse.*.*\ntarget = lake\nadopt = sales\n", false, false,
			       NULL, &res), 0);
	assert_false(res.redefined);
	assert_int_equal(target_table(f, "hr", "people", &t), 0);
	store_table_clear(&t);
	assert_true(stale(lake2.store));
	assert_int_equal(sync_rule_retire(&r, &lake2, false, NULL, &res), 0);
	assert_false(target_db(lake2.store, "hr"));
	assert_false(target_db(lake2.store, "sales"));
	assert_false(stale(lake2.store));
	store_close(lake2.store);
}

static void test_a_database_the_rule_did_not_create_is_a_conflict(void **state)
{
	struct fixture *f = *state;
	textbuf diff = TEXTBUF_INIT;
	store_database d;
	store_txn *txn;
	sync_result res;
	store_table t;

	make_table(f->src.store, "sec", "secret", "id:bigint", "", NULL);
	/* Someone made lake's sec first (owned by uid 4242). */
	txn = wbegin(f->dst.store);
	assert_int_equal(store_database_create(txn, "sec", 4242, 4242, STORE_ORIGIN_FS, NULL), 0);
	commit(txn);
#define SEC "source = warehouse.sec.*\ntarget = lake\n"
	/* fail, and overwrite alike: nothing is mirrored there. */
	assert_int_equal(apply(f, SEC, false, true, &diff, &res), -EEXIST);
	assert_string_equal(res.conflict, "database sec exists on lake and was not created by rule r1");
	textbuf_free(&diff);
	assert_int_equal(apply(f, SEC "on_conflict = overwrite\n", false, false, NULL, &res), -EEXIST);
	assert_string_equal(res.conflict, "database sec exists on lake and was not created by rule r1");
	assert_int_equal(target_table(f, "sec", "secret", &t), -ENOENT);
	assert_int_equal(cursor_of(f), 0);
	/* skip: its tables are skipped and counted. */
	assert_int_equal(apply(f, SEC "on_conflict = skip\n", false, true, &diff, &res), 0);
	assert_non_null(diff.data);
	assert_non_null(strstr(diff.data, "skip table sec.secret (database not created by this rule)\n"));
	textbuf_free(&diff);
	assert_int_equal(apply(f, SEC "on_conflict = skip\n", false, false, NULL, &res), 0);
	assert_int_equal(res.conflicts_skipped, 1);
	assert_int_equal(target_table(f, "sec", "secret", &t), -ENOENT);
	/* adopt: the rule takes it, and it is the rule's from then on. */
	assert_int_equal(apply(f, SEC "adopt = sec\n", false, true, &diff, &res), 0);
	assert_non_null(strstr(diff.data, "adopt database sec\ncreate table sec.secret\n"));
	textbuf_free(&diff);
	assert_int_equal(apply(f, SEC "adopt = sec\n", false, false, NULL, &res), 0);
	assert_int_equal(target_table(f, "sec", "secret", &t), 0);
	assert_int_equal(t.owner_uid, (uint32_t)getuid());
	store_table_clear(&t);
	/* Its owner stays who made it. */
	txn = rbegin(f->dst.store);
	assert_int_equal(store_database_get(txn, "sec", &d), 0);
	assert_int_equal(d.owner_uid, 4242);
	store_abort(txn);
#undef SEC
	/* A table that names the rule does not make its database the rule's. */
	make_table(f->src.store, "sec2", "t", "id:bigint", "", NULL);
	make_table(f->dst.store, "sec2", "t", "id:bigint", "", "metafs.mirror.rule=r1\n");
	assert_int_equal(apply(f, "source = warehouse.sec2.*\ntarget = lake\n", false, false, NULL, &res),
			 -EEXIST);
	assert_string_equal(res.conflict, "database sec2 exists on lake and was not created by rule r1");
}

static void test_what_the_rule_creates_is_owned_by_the_process_user(void **state)
{
	struct fixture *f = *state;
	store_database d;
	store_txn *txn;
	sync_result res;
	store_table t;

	txn = wbegin(f->src.store);
	assert_int_equal(store_database_create(txn, "hr", 4242, 4243, STORE_ORIGIN_FS, NULL), 0);
	commit(txn);
	make_table(f->src.store, "hr", "people", "id:bigint", "", NULL);
	assert_int_equal(apply(f, "source = warehouse.hr.*\ntarget = lake\n", false, false, NULL, &res), 0);
	txn = rbegin(f->dst.store);
	assert_int_equal(store_database_get(txn, "hr", &d), 0);
	assert_int_equal(d.owner_uid, (uint32_t)getuid());
	assert_int_equal(d.owner_gid, (uint32_t)getgid());
	store_abort(txn);
	assert_int_equal(target_table(f, "hr", "people", &t), 0);
	assert_int_equal(t.owner_uid, (uint32_t)getuid());
	store_table_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_apply_creates_mirror_with_its_properties_and_without_dropped_columns),
		TEST(test_apply_twice_writes_nothing_the_second_time),
		TEST(test_apply_commits_cursor_and_records_together),
		TEST(test_apply_commits_each_batch_with_its_cursor),
		TEST(test_apply_propagates_a_table_drop),
		TEST(test_apply_tells_the_target_what_it_drops),
		TEST(test_apply_recognises_a_recreated_source_table_by_id),
		TEST(test_apply_propagates_a_schema_change),
		TEST(test_conflict_fail_stops_and_names_the_object),
		TEST(test_conflict_skip_leaves_the_object_and_counts_it),
		TEST(test_conflict_overwrite_takes_the_object),
		TEST(test_apply_falls_back_to_full_compare_when_the_log_was_trimmed),
		TEST(test_dry_run_writes_nothing_and_lists_the_changes),
		TEST(test_apply_mirrors_no_partitions_by_default),
		TEST(test_apply_mirrors_partitions_when_asked),
		TEST(test_full_compare_restores_partitions_changed_on_the_target),
		TEST(test_apply_masks_type_masked_columns_and_record_the_policy),
		TEST(test_apply_a_new_policy_bumps_the_version),
		TEST(test_apply_refuses_masks_on_partition_keys_and_missing_columns),
		TEST(test_redefining_partitions_to_schema_removes_the_mirrored_partitions),
		TEST(test_redefining_a_narrower_source_drops_the_mirrors_it_no_longer_matches),
		TEST(test_redefining_drop_columns_removes_the_column_from_the_mirror),
		TEST(test_an_interrupted_redefinition_is_finished_by_the_next_apply),
		TEST(test_narrowing_drops_the_databases_the_rule_made_and_no_longer_fills),
		TEST(test_a_database_recreated_on_the_target_is_not_the_rules),
		TEST(test_a_database_the_rule_did_not_create_is_a_conflict),
		TEST(test_what_the_rule_creates_is_owned_by_the_process_user),
		TEST(test_a_dropped_source_database_drops_the_rules_empty_database),
		TEST(test_an_interrupted_narrowing_still_shows_the_database_to_drop),
		TEST(test_changing_the_target_retires_the_mirrors_on_the_former_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
