/*
 * test_sql_output.c - staged output and its commit: partitioned writes made
 * visible in the metastore with the right statistics, OVERWRITE replacing
 * only the partitions that received rows, abort leaving nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sql_engine_fixture.h"

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);

	if (!f || fx_open(f))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	fx_close(f);
	free(f);
	return 0;
}

static sql_value S(const char *s)
{
	return (sql_value){.type = SQL_TYPE_STRING, .u.s = {s, (uint32_t)strlen(s)}};
}

static sql_value I(int64_t i)
{
	return (sql_value){.type = SQL_TYPE_BIGINT, .u.i = i};
}

static void put(sql_output *o, sql_value a, sql_value b, sql_value dt)
{
	sql_value row[3] = {a, b, dt};

	assert_int_equal(sql_output_row(o, row, 3), 0);
}

/* Names of the files the metastore lists in partition dt=VALUE, joined by
 * spaces, and their total rows. */
static void listed(fx *f, const char *table, const char *value, char *names, size_t cap,
		   uint64_t *rows)
{
	store_txn *txn;
	store_table t = {0};
	store_pnode p;
	store_iter *it;
	store_file file;

	names[0] = '\0';
	*rows = 0;
	assert_int_equal(store_read_begin(f->env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", table, &t), 0);
	uint64_t container = t.id;
	if (value) {
		if (store_pnode_get(txn, t.id, 0, value, &p)) {
			store_table_clear(&t);
			store_abort(txn);
			snprintf(names, cap, "(no partition)");
			return;
		}
		container = p.id;
	}
	assert_int_equal(store_iter_files(txn, container, NULL, &it), 0);
	while (store_iter_next(it, &file) == 0) {
		size_t n = strlen(names);
		snprintf(names + n, cap - n, "%s%s", n ? " " : "", file.name);
		*rows += file.rows;
	}
	store_iter_close(it);
	store_table_clear(&t);
	store_abort(txn);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	static char buf[8192];
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void make_daily(fx *f, store_format format, bool header)
{
	assert_int_equal(fx_table(f, "sales", "daily", format, header, "id:bigint,name:string",
				  "dt:string"), 0);
}

static void test_partitioned_write_commits_files_with_their_statistics(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char names[512], path[PATH_MAX + 64];
	uint64_t rows;

	make_daily(f, STORE_FORMAT_CSV, true);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "run1", &o, &err), 0);
	put(o, I(1), S("plain"), S("2024-05-01"));
	put(o, I(2), S("has,comma \"q\""), S("2024-05-02"));
	put(o, I(3), (sql_value){.type = SQL_TYPE_STRING, .null = true}, S("2024-05-01"));
	put(o, I(4), S(""), S("2024-05-01"));
	snprintf(path, sizeof path, "%s/.metafs-staging/run1", f->data);
	assert_true(exists(path));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);

	assert_int_equal(st.rows, 4);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.partitions_written, 2);
	assert_int_equal(st.partitions_created, 2);
	assert_int_equal(st.files_replaced, 0);
	listed(f, "daily", "2024-05-01", names, sizeof names, &rows);
	assert_string_equal(names, "part-run1-00000.csv");
	assert_int_equal(rows, 3);
	listed(f, "daily", "2024-05-02", names, sizeof names, &rows);
	assert_int_equal(rows, 1);
	snprintf(path, sizeof path, "%s/sales/daily/dt=2024-05-01/part-run1-00000.csv", f->data);
	assert_string_equal(slurp(path), "id,name\n1,plain\n3,\n4,\"\"\n");
	snprintf(path, sizeof path, "%s/sales/daily/dt=2024-05-02/part-run1-00000.csv", f->data);
	assert_string_equal(slurp(path), "id,name\n2,\"has,comma \"\"q\"\"\"\n");
	/* Staging is gone. */
	snprintf(path, sizeof path, "%s/.metafs-staging/run1", f->data);
	assert_false(exists(path));
}

static void test_written_partitions_read_back_through_the_engine(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	fx_rows rows = {0};
	sql_progress pg = {0};
	sql_exec_ctx ctx = {.catalog = &f->cat, .progress = &pg};
	sql_sink sink = {.ctx = &rows, .row = fx_rows_add};

	make_daily(f, STORE_FORMAT_JSONL, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "j1", &o, &err), 0);
	put(o, I(1), S("line\nbreak \"q\""), S("a/b"));
	put(o, I(2), (sql_value){.type = SQL_TYPE_STRING, .null = true}, S("x"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &err), 0);
	assert_int_equal(sql_engine_embedded.run_query(&ctx, fx_scan(f, "sales", "daily"), NULL, &sink, &err), 0);
	fx_rows_sort(&rows);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.rows[0], "1|line\nbreak \"q\"|a/b");
	assert_string_equal(rows.rows[1], "2|NULL|x");
	fx_rows_free(&rows);
}

static void test_overwrite_replaces_only_partitions_that_received_rows(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char names[512], path[PATH_MAX + 64];
	uint64_t rows;
	const char *a[] = {"A"}, *b[] = {"B"};

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(fx_add_file(f, "sales", "daily", a, "old-a.csv", "1,a\n2,a\n"), 0);
	assert_int_equal(fx_add_file(f, "sales", "daily", b, "old-b.csv", "3,b\n"), 0);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", true, NULL, "ow", &o, &err), 0);
	put(o, I(9), S("new"), S("A"));
	put(o, I(8), S("new"), S("C"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.files_replaced, 1);
	assert_int_equal(st.partitions_created, 1);
	listed(f, "daily", "A", names, sizeof names, &rows);
	assert_string_equal(names, "part-ow-00000.csv");
	assert_int_equal(rows, 1);
	listed(f, "daily", "B", names, sizeof names, &rows);
	assert_string_equal(names, "old-b.csv");
	listed(f, "daily", "C", names, sizeof names, &rows);
	assert_string_equal(names, "part-ow-00000.csv");
	/* The replaced file's bytes are gone; the untouched one's are not. */
	snprintf(path, sizeof path, "%s/sales/daily/dt=A/old-a.csv", f->data);
	assert_false(exists(path));
	snprintf(path, sizeof path, "%s/sales/daily/dt=B/old-b.csv", f->data);
	assert_true(exists(path));
}

static void test_insert_into_adds_files_beside_existing_ones(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char names[512];
	uint64_t rows;
	const char *a[] = {"A"};

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(fx_add_file(f, "sales", "daily", a, "old-a.csv", "1,a\n2,a\n"), 0);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "add", &o, &err), 0);
	put(o, I(9), S("new"), S("A"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &err), 0);
	listed(f, "daily", "A", names, sizeof names, &rows);
	assert_string_equal(names, "old-a.csv part-add-00000.csv");
	assert_int_equal(rows, 3);
}

static void test_static_partition_overwrite_with_no_rows_empties_it(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char names[512];
	uint64_t rows;
	const char *a[] = {"A"};
	const char *const statics[] = {"A"};

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(fx_add_file(f, "sales", "daily", a, "old-a.csv", "1,a\n"), 0);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", true, statics, "empty", &o, &err), 0);
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.files_replaced, 1);
	assert_int_equal(st.files, 0);
	listed(f, "daily", "A", names, sizeof names, &rows);
	assert_string_equal(names, "");
}

static void test_static_value_wins_over_the_row_value(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char names[512];
	uint64_t rows;
	const char *const statics[] = {"S"};

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, statics, "st", &o, &err), 0);
	put(o, I(1), S("x"), S("S"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &err), 0);
	listed(f, "daily", "S", names, sizeof names, &rows);
	assert_int_equal(rows, 1);
}

static void test_null_partition_value_goes_to_the_default_partition(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char names[512];
	uint64_t rows;

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "nul", &o, &err), 0);
	put(o, I(1), S("x"), (sql_value){.type = SQL_TYPE_STRING, .null = true});
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, NULL, &err), 0);
	listed(f, "daily", "__HIVE_DEFAULT_PARTITION__", names, sizeof names, &rows);
	assert_int_equal(rows, 1);
}

static void test_abort_leaves_nothing_behind(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char names[512], path[PATH_MAX + 64];
	uint64_t rows;

	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "gone", &o, &err), 0);
	for (int i = 0; i < 5000; i++)
		put(o, I(i), S("some text to pass the flush threshold"), S(i % 2 ? "A" : "B"));
	sql_output_abort(o);
	listed(f, "daily", "A", names, sizeof names, &rows);
	assert_string_equal(names, "(no partition)");
	snprintf(path, sizeof path, "%s/.metafs-staging/gone", f->data);
	assert_false(exists(path));
	snprintf(path, sizeof path, "%s/sales/daily/dt=A", f->data);
	assert_false(exists(path));
}

static void test_unpartitioned_overwrite_replaces_every_file(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char names[512];
	uint64_t rows;

	assert_int_equal(fx_table(f, "sales", "flat", STORE_FORMAT_CSV, false, "id:bigint,name:string", NULL), 0);
	assert_int_equal(fx_add_file(f, "sales", "flat", NULL, "a.csv", "1,a\n"), 0);
	assert_int_equal(fx_add_file(f, "sales", "flat", NULL, "b.csv", "2,b\n"), 0);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "flat", true, NULL, "flat1", &o, &err), 0);
	sql_value row[2] = {I(5), S("e")};
	assert_int_equal(sql_output_row(o, row, 2), 0);
	assert_int_equal(sql_output_row(o, row, 3), -EINVAL);
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.files_replaced, 2);
	listed(f, "flat", NULL, names, sizeof names, &rows);
	assert_string_equal(names, "part-flat1-00000.csv");
	assert_int_equal(rows, 1);
}

static void test_open_of_a_missing_table_fails_naming_it(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};

	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "nosuch", false, NULL, "x", &o, &err), -ENOENT);
	assert_non_null(strstr(err.message, "warehouse.sales.nosuch"));
	assert_null(o);
}

/* A static partition value too long for a directory name fails the open; the
 * partition being prepared is freed with the output (LeakSanitizer watches this
 * one) and the staging directory is gone. */
static void test_open_with_a_partition_value_too_long_fails_and_frees_it(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char value[451], path[PATH_MAX + 64];
	const char *const statics[] = {value};

	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	make_daily(f, STORE_FORMAT_CSV, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", true, statics, "long", &o, &err),
			 -ENAMETOOLONG);
	assert_null(o);
	assert_true(err.message[0] != '\0');
	snprintf(path, sizeof path, "%s/.metafs-staging/long", f->data);
	assert_false(exists(path));
}

/* ---- decimals ------------------------------------------------------------------------ */

static sql_value DEC(unsigned p, unsigned sc, const char *text)
{
	sql_value v = {.type = sql_type_decimal(p, sc)};

	assert_int_equal(sql_decimal_parse(text, strlen(text), v.type, &v.u.dec), 0);
	return v;
}

/* sales.prices (id bigint, p decimal(15,2)) PARTITIONED BY (rate decimal(4,3)) */
static void make_prices(fx *f, store_format format)
{
	store_column c[3] = {{"id", STORE_TYPE_BIGINT}, {"p", store_type_decimal(15, 2)},
			     {"rate", store_type_decimal(4, 3)}};

	assert_int_equal(fx_table_create(f->env, "sales", "prices", format, false, c, 2, 1, NULL), 0);
}

static void test_decimals_are_written_with_their_scale(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char path[PATH_MAX + 64];

	make_prices(f, STORE_FORMAT_CSV);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "prices", false, NULL, "d1", &o, &err), 0);
	put(o, I(1), DEC(15, 2, "1.5"), DEC(4, 3, "0.075"));
	put(o, I(2), DEC(15, 2, "-0.06"), DEC(4, 3, "0.075"));
	put(o, I(3), (sql_value){.type = sql_type_decimal(15, 2), .null = true}, DEC(4, 3, "0.075"));
	put(o, I(4), DEC(15, 2, "1234567890123.45"), DEC(4, 3, "1"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.partitions_created, 2);
	snprintf(path, sizeof path, "%s/sales/prices/rate=0.075/part-d1-00000.csv", f->data);
	assert_string_equal(slurp(path), "1,1.50\n2,-0.06\n3,\n");
	snprintf(path, sizeof path, "%s/sales/prices/rate=1.000/part-d1-00000.csv", f->data);
	assert_string_equal(slurp(path), "4,1234567890123.45\n");
}

static void test_jsonl_writes_decimals_as_exact_numbers(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char path[PATH_MAX + 64];

	make_prices(f, STORE_FORMAT_JSONL);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "prices", false, NULL, "j1", &o, &err), 0);
	put(o, I(1), DEC(15, 2, "1.5"), DEC(4, 3, "0.5"));
	put(o, I(2), DEC(15, 2, "9007199254740.99"), DEC(4, 3, "0.5"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	snprintf(path, sizeof path, "%s/sales/prices/rate=0.500/part-j1-00000.jsonl", f->data);
	assert_string_equal(slurp(path), "{\"id\":1,\"p\":1.50}\n{\"id\":2,\"p\":9007199254740.99}\n");
}

/* ---- Parquet ------------------------------------------------------------------------ */

static void test_parquet_write_commits_footer_rows_and_overwrite_replaces_a_partition(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	char names[512], path[PATH_MAX + 64], magic[4];
	uint64_t rows;
	fx_rows got = {0};
	sql_exec_ctx ctx = {.catalog = &f->cat};
	sql_sink sink = {.ctx = &got, .row = fx_rows_add};

	make_daily(f, STORE_FORMAT_PARQUET, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "run1", &o, &err), 0);
	put(o, I(1), S("plain"), S("2024-05-01"));
	put(o, I(2), S("line\nbreak,\"q\""), S("2024-05-02"));
	put(o, I(3), (sql_value){.type = SQL_TYPE_STRING, .null = true}, S("2024-05-01"));
	put(o, I(4), S(""), S("2024-05-01"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.rows, 4);
	assert_int_equal(st.files, 2);
	listed(f, "daily", "2024-05-01", names, sizeof names, &rows);
	assert_string_equal(names, "part-run1-00000.parquet");
	/* The footer's rows, where counting lines would find none or more. */
	assert_int_equal(rows, 3);
	listed(f, "daily", "2024-05-02", names, sizeof names, &rows);
	assert_int_equal(rows, 1);
	snprintf(path, sizeof path, "%s/sales/daily/dt=2024-05-01/part-run1-00000.parquet", f->data);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(magic, 1, 4, fp), 4);
	fclose(fp);
	assert_memory_equal(magic, "PAR1", 4);

	/* OVERWRITE replaces only the partition that receives rows. */
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", true, NULL, "run2", &o, &err), 0);
	put(o, I(9), S("new"), S("2024-05-01"));
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.files_replaced, 1);
	listed(f, "daily", "2024-05-01", names, sizeof names, &rows);
	assert_string_equal(names, "part-run2-00000.parquet");
	assert_int_equal(rows, 1);
	assert_false(exists(path));
	assert_int_equal(sql_engine_embedded.run_query(&ctx, fx_scan(f, "sales", "daily"), NULL, &sink, &err), 0);
	fx_rows_sort(&got);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.rows[0], "2|line\nbreak,\"q\"|2024-05-02");
	assert_string_equal(got.rows[1], "9|new|2024-05-01");
	fx_rows_free(&got);
}

static void test_parquet_abort_leaves_nothing_behind(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_error err = {0};
	char path[PATH_MAX + 64], names[512];
	uint64_t rows;

	make_daily(f, STORE_FORMAT_PARQUET, false);
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "ab", &o, &err), 0);
	for (int i = 0; i < 10000; i++)
		put(o, I(i), S("x"), S("2024-05-01"));
	sql_output_abort(o);
	snprintf(path, sizeof path, "%s/.metafs-staging/ab", f->data);
	assert_false(exists(path));
	listed(f, "daily", "2024-05-01", names, sizeof names, &rows);
	assert_string_equal(names, "(no partition)");
}

static void test_parquet_many_partitions_keep_few_writers_open(void **state)
{
	fx *f = *state;
	sql_output *o = NULL;
	sql_output_stats st = {0};
	sql_error err = {0};
	store_txn *txn;
	store_table t = {0};
	char names[2048], dt[32];
	uint64_t rows;
	fx_rows got = {0};
	sql_exec_ctx ctx = {.catalog = &f->cat};
	sql_sink sink = {.ctx = &got, .row = fx_rows_add};

	make_daily(f, STORE_FORMAT_PARQUET, false);
	/* Small row groups: rows go to the writers 16 at a time. */
	assert_int_equal(store_write_begin(f->env, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "daily", &t), 0);
	t.properties = strdup("parquet.block.size=1024\n");
	assert_int_equal(store_table_alter(txn, &t, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(store_commit(txn), 0);
	store_table_clear(&t);

	/* 40 partitions, their rows interleaved: more writers than stay open. */
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", false, NULL, "m1", &o, &err), 0);
	for (int i = 0; i < 4000; i++) {
		snprintf(dt, sizeof dt, "d%02d", i % 40);
		put(o, I(i), S("x"), S(dt));
	}
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_int_equal(st.rows, 4000);
	assert_int_equal(st.partitions_written, 40);
	assert_true(st.files > 40);
	bool several = false;
	for (int k = 0; k < 40; k++) {
		snprintf(dt, sizeof dt, "d%02d", k);
		listed(f, "daily", dt, names, sizeof names, &rows);
		assert_int_equal(rows, 100);
		assert_non_null(strstr(names, "part-m1-00000.parquet"));
		several |= strstr(names, "part-m1-00001.parquet") != NULL;
	}
	/* A partition whose writer was closed for another's went on in a second file. */
	assert_true(several);
	assert_int_equal(sql_engine_embedded.run_query(&ctx, fx_scan(f, "sales", "daily"), NULL, &sink, &err), 0);
	assert_int_equal(got.n, 4000);
	fx_rows_free(&got);

	/* OVERWRITE of those partitions replaces every file they hold. */
	assert_int_equal(sql_output_open(&f->cat, 0, "sales", "daily", true, NULL, "m2", &o, &err), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(dt, sizeof dt, "d%02d", i);
		put(o, I(i), S("y"), S(dt));
	}
	assert_int_equal(sql_output_commit(o, STORE_ORIGIN_JOB, &st, &err), 0);
	assert_true(st.files_replaced > 40);
	listed(f, "daily", "d07", names, sizeof names, &rows);
	assert_string_equal(names, "part-m2-00000.parquet");
	assert_int_equal(rows, 1);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_partitioned_write_commits_files_with_their_statistics),
		TEST(test_written_partitions_read_back_through_the_engine),
		TEST(test_overwrite_replaces_only_partitions_that_received_rows),
		TEST(test_insert_into_adds_files_beside_existing_ones),
		TEST(test_static_partition_overwrite_with_no_rows_empties_it),
		TEST(test_static_value_wins_over_the_row_value),
		TEST(test_null_partition_value_goes_to_the_default_partition),
		TEST(test_abort_leaves_nothing_behind),
		TEST(test_unpartitioned_overwrite_replaces_every_file),
		TEST(test_open_of_a_missing_table_fails_naming_it),
		TEST(test_open_with_a_partition_value_too_long_fails_and_frees_it),
		TEST(test_decimals_are_written_with_their_scale),
		TEST(test_jsonl_writes_decimals_as_exact_numbers),
		TEST(test_parquet_write_commits_footer_rows_and_overwrite_replaces_a_partition),
		TEST(test_parquet_abort_leaves_nothing_behind),
		TEST(test_parquet_many_partitions_keep_few_writers_open),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
