/*
 * test_manager.c - the manager's catalog operations over a real home: the
 * config file, .schema parsing, partition names, the file commit protocol,
 * scanning, repair and the renderings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "manager.h"

struct fixture {
	char home[64];
	mgr *m;
	mgr_platform *wh;
};

static int run(const char *cmd)
{
	return system(cmd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	snprintf(f->home, sizeof f->home, "/tmp/metafs-unit-XXXXXX");
	assert_non_null(mkdtemp(f->home));
	char err[512];
	const char *names[] = {"warehouse", "lake"};
	assert_int_equal(mgr_home_init(f->home, 2, names, NULL, err, sizeof err), 0);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
	assert_non_null(f->wh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_close(f->m);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->home);
	run(cmd);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void make_table(struct fixture *f, const char *schema, store_table *out)
{
	char err[256] = "";
	store_database db;
	int rc = mgr_database_create(f->wh, "sales", 0, 0, STORE_ORIGIN_TOOL, &db);
	assert_true(rc == 0 || rc == -EEXIST);
	assert_int_equal(mgr_table_create(f->wh, "sales", "orders", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_define(f->wh, "sales", "orders", schema, strlen(schema),
					  STORE_ORIGIN_TOOL, err, sizeof err), 0);
	store_txn *txn;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", out), 0);
	store_abort(txn);
}

static void test_init_refuses_existing_home(void **state)
{
	struct fixture *f = *state;
	char err[512];
	const char *names[] = {"a"};
	assert_int_equal(mgr_home_init(f->home, 1, names, NULL, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "already holds a metafs home"));
}

static void test_init_rejects_reserved_platform_names(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	const char *names[] = {"jobs"};
	assert_int_equal(mgr_home_init(dir, 1, names, NULL, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "reserved"));
	rmdir(dir);
}

static void test_config_unknown_key_names_file_and_line(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", path[128], err[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metafs.ini", dir);
	write_file(path, "[metafs]\nmapsize = 1G\n\n[platform a]\ndata = d\ncolour = blue\n");
	mgr_config cfg;
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "metafs.ini line 6"));
	assert_non_null(strstr(err, "unknown key \"colour\""));
	unlink(path);
	rmdir(dir);
}

static void test_config_reads_platforms_in_order_with_sizes(void **state)
{
	(void)state;
	char dir[] = "/tmp/metafs-unit-XXXXXX", path[128], err[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/metafs.ini", dir);
	write_file(path, "[metafs]\nmapsize = 2G\nentry_timeout = 5\n[platform zeta]\ndata = /srv/z\n"
			 "[platform alpha]\nmeta = m/a\n");
	mgr_config cfg;
	assert_int_equal(mgr_config_load(dir, &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.nplatforms, 2);
	assert_string_equal(cfg.platforms[0].name, "zeta");
	assert_string_equal(cfg.platforms[0].data_dir, "/srv/z");
	assert_string_equal(cfg.platforms[1].name, "alpha");
	assert_non_null(strstr(cfg.platforms[1].meta_dir, "/m/a"));
	assert_true(cfg.map_size == (size_t)2 << 30);
	assert_true(cfg.entry_timeout == 5.0);
	unlink(path);
	rmdir(dir);
}

static void test_schema_roundtrips_through_render(void **state)
{
	struct fixture *f = *state;
	const char *schema = "# orders\nformat csv\nheader true\ncolumn id BIGINT\n\ncolumn region string\n"
			     "partition dt date\npartition hour INT\nproperty team = sales eng\n";
	store_table t = {0};
	make_table(f, schema, &t);
	textbuf out = TEXTBUF_INIT;
	assert_int_equal(mgr_render_schema(&t, &out), 0);
	assert_string_equal(out.data, "format csv\nheader true\ncolumn id bigint\ncolumn region string\n"
				      "partition dt date\npartition hour bigint\nproperty team = sales eng\n");
	assert_int_equal(t.ncolumns, 2);
	assert_int_equal(t.npartkeys, 2);
	textbuf_free(&out);
	store_table_clear(&t);
}

static void expect_schema_error(struct fixture *f, const char *schema, const char *message)
{
	char err[256] = "";
	int rc = mgr_table_define(f->wh, "sales", "bad", schema, strlen(schema), STORE_ORIGIN_TOOL, err,
				  sizeof err);
	assert_int_equal(rc, -EINVAL);
	if (!strstr(err, message))
		fail_msg("expected \"%s\" in \"%s\"", message, err);
}

static void test_schema_errors_name_the_line(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(mgr_database_create(f->wh, "sales", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	assert_int_equal(mgr_table_create(f->wh, "sales", "bad", 0, 0, STORE_ORIGIN_TOOL, NULL), 0);
	expect_schema_error(f, "column id bigint\ncolumn name strin\n", "line 2: unknown type \"strin\"");
	expect_schema_error(f, "column id bigint\ncolumn ID int\n", "line 2: duplicate column");
	expect_schema_error(f, "partition dt date\n", "no columns");
	expect_schema_error(f, "column a int\npartition dt date\ncolumn b int\n",
			    "line 3: columns come before partition keys");
	expect_schema_error(f, "colum a int\n", "line 1: unknown keyword");
	expect_schema_error(f, "column a/b int\n", "line 1: bad column name");
	expect_schema_error(f, "format parquet\ncolumn a int\n", "line 1: unknown format");
	/* The table is left without a schema after every failure. */
	store_txn *txn;
	store_table t = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "bad", &t), 0);
	store_abort(txn);
	assert_false(t.has_schema);
	store_table_clear(&t);
}

static void test_schema_cannot_be_defined_twice(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\n", &t);
	char err[256];
	assert_int_equal(mgr_table_define(f->wh, "sales", "orders", "column b int\n", 13,
					  STORE_ORIGIN_TOOL, err, sizeof err), -EEXIST);
	store_table_clear(&t);
}

static void test_partition_name_checks_key_and_unescapes(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt string\npartition hour int\n", &t);
	char value[STORE_NAME_MAX + 1];
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=10%3A00", value), 0);
	assert_string_equal(value, "10:00");
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=10:00", value), 0);
	assert_string_equal(value, "10:00");
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "hour=1", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 2, "hour=1", value), 0);
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 1, "dt=%G1", value), -EINVAL);
	assert_int_equal(mgr_pnode_parse_name(&t, 3, "x=1", value), -EINVAL);
	store_pnode pn = {.depth = 1};
	snprintf(pn.value, sizeof pn.value, "a/b");
	char name[64];
	assert_int_equal(mgr_pnode_name(&t, &pn, name, sizeof name), 0);
	assert_string_equal(name, "dt=a%2Fb");
	store_table_clear(&t);
}

static void scan_text(const char *text, store_format format, bool header, uint64_t *rows)
{
	char path[] = "/tmp/metafs-scan-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	uint64_t bytes;
	uint8_t sum[16];
	assert_int_equal(store_file_scan(fd, format, header, rows, &bytes, sum), 0);
	assert_int_equal(bytes, strlen(text));
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(text, strlen(text)));
	assert_memory_equal(sum, c.digest, 16);
	close(fd);
	unlink(path);
}

static void test_scan_counts_csv_records_not_lines(void **state)
{
	(void)state;
	uint64_t rows;
	scan_text("a,b\n1,\"two\nlines\"\n3,x\n", STORE_FORMAT_CSV, true, &rows);
	assert_int_equal(rows, 2);
	scan_text("1,x\n2,y", STORE_FORMAT_CSV, false, &rows);
	assert_int_equal(rows, 2);
	scan_text("1,x\r\n2,y\r\n", STORE_FORMAT_CSV, false, &rows);
	assert_int_equal(rows, 2);
	scan_text("", STORE_FORMAT_CSV, true, &rows);
	assert_int_equal(rows, 0);
}

static void test_scan_counts_nonblank_jsonl_lines(void **state)
{
	(void)state;
	uint64_t rows;
	scan_text("{\"a\":1}\n\n  \n{\"a\":2}\n{\"a\":3}", STORE_FORMAT_JSONL, false, &rows);
	assert_int_equal(rows, 3);
}

static void test_writer_commit_records_file_and_stats(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "header true\ncolumn a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-05-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, pn.id, "part-0.csv", 0, false, 1, 2, &w), 0);
	const char *text = "a\n1\n2\n3\n";
	assert_int_equal(write(mgr_writer_fd(w), text, strlen(text)), (ssize_t)strlen(text));
	mgr_writer_touch(w);
	/* Nothing is visible before the commit. */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/sales/orders/dt=2024-05-01/part-0.csv", f->wh->data_dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(mgr_writer_commit(w, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(access(path, F_OK), 0);
	uint64_t id = mgr_writer_id(w);
	mgr_writer_close(w);

	store_txn *txn;
	store_file file;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, pn.id, "part-0.csv", &file), 0);
	assert_int_equal(file.id, id);
	assert_int_equal(file.rows, 3);
	assert_int_equal(file.bytes, strlen(text));
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	assert_int_equal(after.rows, 3);
	assert_int_equal(after.nfiles, 1);
	assert_int_equal(after.npartitions, 1);
	textbuf out = TEXTBUF_INIT;
	store_pnode now;
	assert_int_equal(store_pnode_get(txn, t.id, 0, "2024-05-01", &now), 0);
	assert_int_equal(mgr_render_partition(f->wh, txn, &after, &now, &out), 0);
	store_abort(txn);
	assert_non_null(strstr(out.data, "spec: dt=2024-05-01\n"));
	assert_non_null(strstr(out.data, "rows: 3\n"));
	assert_non_null(strstr(out.data, "file: part-0.csv bytes=8 rows=3 xxh128="));
	textbuf_free(&out);
	store_table_clear(&after);
	store_table_clear(&t);
}

static void test_writer_closed_without_commit_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\n", &t);
	mgr_writer *w;
	assert_int_equal(mgr_writer_open(f->wh, t.id, t.id, "x.csv", 0, false, 0, 0, &w), 0);
	assert_int_equal(write(mgr_writer_fd(w), "1\n", 2), 2);
	mgr_writer_close(w);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/.metafs-staging')\"", f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	store_txn *txn;
	store_file file;
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_file_get(txn, t.id, "x.csv", &file), -ENOENT);
	store_abort(txn);
	store_table_clear(&t);
}

static void test_open_cleans_staging_left_by_a_crash(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX + 64], err[512];
	snprintf(path, sizeof path, "%s/.metafs-staging/41.1.1", f->wh->data_dir);
	write_file(path, "half written");
	mgr_close(f->m);
	assert_int_equal(mgr_open(f->home, true, &f->m, err, sizeof err), 0);
	f->wh = mgr_platform_find(f->m, "warehouse");
	assert_int_equal(access(path, F_OK), -1);
}

static void test_repair_registers_and_forgets_files(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	char cmd[PATH_MAX * 2];
	snprintf(cmd, sizeof cmd,
		 "cd '%s/sales/orders' && mkdir -p dt=2024-01-01 dt=2024-01-02 && "
		 "printf '1\\n2\\n' > dt=2024-01-01/a.csv && printf '3\\n' > dt=2024-01-02/b.csv && "
		 "touch dt=2024-01-02/_SUCCESS",
		 f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	mgr_repair_stats st;
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.partitions_added, 2);
	assert_int_equal(st.files_added, 2);
	/* Repair twice is repair once. */
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.partitions_added + st.files_added + st.files_removed + st.files_updated, 0);
	snprintf(cmd, sizeof cmd, "rm '%s/sales/orders/dt=2024-01-01/a.csv'", f->wh->data_dir);
	assert_int_equal(run(cmd), 0);
	assert_int_equal(mgr_table_repair(f->wh, "sales", "orders", STORE_ORIGIN_TOOL, &st), 0);
	assert_int_equal(st.files_removed, 1);
	store_txn *txn;
	store_table after = {0};
	assert_int_equal(store_read_begin(f->wh->store, &txn), 0);
	assert_int_equal(store_table_get(txn, "sales", "orders", &after), 0);
	store_abort(txn);
	assert_int_equal(after.rows, 1);
	assert_int_equal(after.nfiles, 1);
	store_table_clear(&after);
	store_table_clear(&t);
}

static void test_table_drop_refuses_partitions(void **state)
{
	struct fixture *f = *state;
	store_table t = {0};
	make_table(f, "column a int\npartition dt date\n", &t);
	store_pnode pn;
	assert_int_equal(mgr_pnode_create(f->wh, &t, 0, "dt=2024-05-01", 0, 0, STORE_ORIGIN_TOOL, &pn), 0);
	assert_int_equal(mgr_table_drop(f->wh, "sales", "orders", STORE_ORIGIN_TOOL), -ENOTEMPTY);
	assert_int_equal(mgr_pnode_drop(f->wh, &t, pn.id, STORE_ORIGIN_TOOL), 0);
	assert_int_equal(mgr_table_drop(f->wh, "sales", "orders", STORE_ORIGIN_TOOL), 0);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/sales/orders", f->wh->data_dir);
	assert_int_equal(access(path, F_OK), -1);
	store_table_clear(&t);
}

static void test_textbuf_grows_and_steals(void **state)
{
	(void)state;
	textbuf b = TEXTBUF_INIT;
	for (int i = 0; i < 1000; i++)
		textbuf_printf(&b, "%04d\n", i);
	assert_int_equal(b.len, 5000);
	assert_int_equal(textbuf_error(&b), 0);
	assert_memory_equal(b.data + 4995, "0999\n", 5);
	size_t len;
	char *s = textbuf_steal(&b, &len);
	assert_int_equal(len, 5000);
	assert_null(b.data);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_refuses_existing_home, setup, teardown),
		cmocka_unit_test(test_init_rejects_reserved_platform_names),
		cmocka_unit_test(test_config_unknown_key_names_file_and_line),
		cmocka_unit_test(test_config_reads_platforms_in_order_with_sizes),
		cmocka_unit_test_setup_teardown(test_schema_roundtrips_through_render, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_errors_name_the_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_cannot_be_defined_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_name_checks_key_and_unescapes, setup, teardown),
		cmocka_unit_test(test_scan_counts_csv_records_not_lines),
		cmocka_unit_test(test_scan_counts_nonblank_jsonl_lines),
		cmocka_unit_test_setup_teardown(test_writer_commit_records_file_and_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_closed_without_commit_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_cleans_staging_left_by_a_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_registers_and_forgets_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_drop_refuses_partitions, setup, teardown),
		cmocka_unit_test(test_textbuf_grows_and_steals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
