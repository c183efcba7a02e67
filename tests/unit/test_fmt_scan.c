/*
 * test_fmt_scan.c - fmt_file_scan(): rows, bytes and checksum of each format,
 * the check that a file is of its table's format (what a commit refuses),
 * and the column statistics of a Parquet file taken from its footer.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fmt_parquet.h"
#include "fmt_scan.h"
#include "store.h"

#include <xxhash.h>

static const char *srcdir(void)
{
	const char *d = getenv("METAFS_TEST_SRCDIR");
	return d ? d : ".";
}

/* A file holding the LEN bytes at DATA, unlinked: its fd. */
static int tmp_file(const void *data, size_t len)
{
	char path[] = "/tmp/metafs-scan-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

static int fixture_fd(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/parquet/%s", srcdir(), name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

/* The columns of the DuckDB fixtures (see test_fmt_parquet.c). */
static store_column fixture_columns[11];

static store_table fixture_table(store_format format)
{
	static const struct {
		const char *name;
		store_type type;
	} cols[] = {{"id", STORE_TYPE_BIGINT},   {"d", STORE_TYPE_DOUBLE},
		    {"s", STORE_TYPE_STRING},    {"b", STORE_TYPE_BOOLEAN},
		    {"dt", STORE_TYPE_DATE},     {"ts", STORE_TYPE_TIMESTAMP},
		    {"dec9", 0},                 {"dec18", 0},
		    {"dec38", 0},                {"i32", STORE_TYPE_BIGINT},
		    {"u", STORE_TYPE_STRING}};
	for (size_t i = 0; i < 11; i++) {
		snprintf(fixture_columns[i].name, sizeof fixture_columns[i].name, "%s", cols[i].name);
		fixture_columns[i].type = cols[i].type;
	}
	fixture_columns[6].type = store_type_decimal(9, 2);
	fixture_columns[7].type = store_type_decimal(18, 3);
	fixture_columns[8].type = store_type_decimal(38, 4);
	store_table t = {.format = format, .has_schema = true, .ncolumns = 11,
			 .columns = fixture_columns, .db = "db", .name = "t"};
	return t;
}

static int64_t le_i64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return (int64_t)v;
}

static double le_f64(const uint8_t *b)
{
	uint64_t v = (uint64_t)le_i64(b);
	double d;
	memcpy(&d, &v, sizeof d);
	return d;
}

static void test_csv(void **state)
{
	(void)state;
	const char *text = "h\n1,\"a\nb\"\n\n2,x\r\n";
	int fd = tmp_file(text, strlen(text));
	store_table t = {.format = STORE_FORMAT_CSV, .header = true, .db = "db", .name = "t"};
	fmt_file_stats s;
	fmt_error err;
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, &err), 0);
	assert_int_equal(s.rows, 2);
	assert_int_equal(s.bytes, strlen(text));
	assert_null(s.stats);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(text, strlen(text)));
	assert_memory_equal(s.checksum, c.digest, 16);
	t.header = false;
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, &err), 0);
	assert_int_equal(s.rows, 3);
	close(fd);
	/* Text that only starts with the magic is text. */
	fd = tmp_file("PAR123,x\nPAR1\n", 14);
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, &err), 0);
	assert_int_equal(s.rows, 2);
	close(fd);
	/* A cut Parquet file: the magic, then a page header's first byte. */
	fd = tmp_file("PAR1\x15\x00\x15", 7);
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, &err), -EINVAL);
	close(fd);
	/* Not parsed beyond the splitter: a malformed row counts, and is the
	 * engine's to report. */
	fd = tmp_file("a,\"b\"c\n", 7);
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, &err), 0);
	assert_int_equal(s.rows, 1);
	close(fd);
}

static void test_jsonl(void **state)
{
	(void)state;
	store_table t = {.format = STORE_FORMAT_JSONL, .db = "db", .name = "t"};
	fmt_file_stats s;
	fmt_error err;
	const char *text = "\n  {\"a\": 1}\n\n{\"a\": 2}";
	int fd = tmp_file(text, strlen(text));
	assert_int_equal(fmt_file_scan(fd, "x.jsonl", &t, &s, &err), 0);
	assert_int_equal(s.rows, 2);
	close(fd);
	fd = tmp_file(" \n", 2);
	assert_int_equal(fmt_file_scan(fd, "x.jsonl", &t, &s, &err), 0);
	assert_int_equal(s.rows, 0);
	close(fd);
	fd = tmp_file("a,b\n1,2\n", 8);
	assert_int_equal(fmt_file_scan(fd, "x.jsonl", &t, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "x.jsonl: not JSON lines"));
	close(fd);
}

/* A Parquet file in a csv or jsonl table is refused, naming the file. */
static void test_parquet_in_text_tables(void **state)
{
	(void)state;
	fmt_file_stats s;
	fmt_error err;
	int fd = fixture_fd("duckdb_default.parquet");
	store_table t = {.format = STORE_FORMAT_CSV, .db = "db", .name = "t"};
	assert_int_equal(fmt_file_scan(fd, "/w/db/t/x.parquet", &t, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "/w/db/t/x.parquet: a Parquet file (it starts with PAR1), "
				     "in csv table db.t");
	t.format = STORE_FORMAT_JSONL;
	assert_int_equal(fmt_file_scan(fd, "x.parquet", &t, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a Parquet file"));
	close(fd);
}

/* Rows and statistics from the footer; the values DuckDB wrote. */
static void test_parquet_stats(void **state)
{
	(void)state;
	store_table t = fixture_table(STORE_FORMAT_PARQUET);
	const char *files[] = {"duckdb_default.parquet", "duckdb_row_groups.parquet",
			       "duckdb_zstd.parquet"};
	for (size_t k = 0; k < 3; k++) {
		fmt_file_stats s;
		fmt_error err;
		int fd = fixture_fd(files[k]);
		assert_int_equal(fmt_file_scan(fd, files[k], &t, &s, &err), 0);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		close(fd);
		assert_int_equal(s.rows, 120);
		assert_int_equal(s.bytes, (uint64_t)st.st_size);
		assert_int_equal(s.nstats, 11);
		const store_colstat *c = s.stats;
		for (uint32_t i = 0; i < 11; i++) {
			assert_int_equal(c[i].column, i);
			assert_int_equal(c[i].type, t.columns[i].type);
			assert_true(c[i].flags & STORE_STAT_NULLS);
		}
		/* id: 0 .. 119 */
		assert_int_equal(c[0].flags & (STORE_STAT_MIN | STORE_STAT_MAX),
				 STORE_STAT_MIN | STORE_STAT_MAX);
		assert_int_equal(le_i64(c[0].min), 0);
		assert_int_equal(le_i64(c[0].max), 119);
		assert_int_equal(c[0].nulls, 0);
		/* d: 1.5 .. 178.5, NULL when i % 5 = 0 */
		assert_true(le_f64(c[1].min) == 1.5);
		assert_true(le_f64(c[1].max) == 178.5);
		assert_int_equal(c[1].nulls, 24);
		/* s: "name0" .. "name9" bytewise */
		assert_int_equal(c[2].min_len, 5);
		assert_memory_equal(c[2].min, "name0", 5);
		assert_memory_equal(c[2].max, "name9", 5);
		assert_int_equal(c[2].nulls, 18);
		/* b */
		assert_int_equal(c[3].min[0], 0);
		assert_int_equal(c[3].max[0], 1);
		/* dt: 2024-01-01 (19723) .. +119 */
		assert_int_equal(le_i64(c[4].min), 19723);
		assert_int_equal(le_i64(c[4].max), 19723 + 119);
		/* ts: 2024-01-01 00:00:01 .. 00:01:59, in microseconds */
		assert_int_equal(le_i64(c[5].min), (int64_t)19723 * 86400000000 + 1000000);
		assert_int_equal(le_i64(c[5].max), (int64_t)19723 * 86400000000 + 119000000);
		assert_int_equal(c[5].nulls, 11);
		/* dec9: 0.00 .. 386.75 (unscaled, 16 bytes) */
		assert_int_equal(c[6].min_len, 16);
		assert_int_equal(le_i64(c[6].min), 0);
		assert_int_equal(le_i64(c[6].max), 38675);
		assert_int_equal(le_i64(c[6].max + 8), 0);
		/* dec38: NULL when i % 3 = 0 */
		assert_int_equal(c[8].nulls, 40);
		/* i32: -500 .. -381 */
		assert_int_equal(le_i64(c[9].min), -500);
		assert_int_equal(le_i64(c[9].min + 0), -500);
		assert_int_equal(le_i64(c[9].max), -381);
		/* u: "user-0" .. "user-95028" */
		assert_int_equal(c[10].min_len, 6);
		assert_memory_equal(c[10].min, "user-0", 6);
		assert_int_equal(c[10].max_len, 10);
		assert_memory_equal(c[10].max, "user-95028", 10);
		assert_false(c[10].flags & (STORE_STAT_MIN_TRUNCATED | STORE_STAT_MAX_TRUNCATED));
		fmt_file_stats_clear(&s);
	}
}

static void *fixture_bytes(size_t *len)
{
	int fd = fixture_fd("duckdb_default.parquet");
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	void *b = malloc(*len);
	assert_non_null(b);
	assert_int_equal(read(fd, b, *len), (ssize_t)*len);
	close(fd);
	return b;
}

/* A truncated Parquet file, one whose columns are not the table's, and
 * text in a Parquet table are all refused. */
static void test_parquet_refused(void **state)
{
	(void)state;
	store_table t = fixture_table(STORE_FORMAT_PARQUET);
	fmt_file_stats s;
	fmt_error err;
	size_t len;
	uint8_t *b = fixture_bytes(&len);

	assert_int_equal(fmt_file_scan_mem(b, len / 2, "half.parquet", &t, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "half.parquet"));
	assert_int_equal(fmt_file_scan_mem(b, len - 1, "cut.parquet", &t, &s, &err), -EINVAL);
	assert_int_equal(fmt_file_scan_mem("id,d\n1,2\n", 9, "x.csv", &t, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "x.csv: not a Parquet file"));
	assert_int_equal(fmt_file_scan_mem("", 0, "empty.parquet", &t, &s, &err), -EINVAL);
	/* another column name */
	snprintf(fixture_columns[3].name, sizeof fixture_columns[3].name, "flag");
	assert_int_equal(fmt_file_scan_mem(b, len, "x.parquet", &t, &s, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "x.parquet"));
	/* fewer columns */
	t = fixture_table(STORE_FORMAT_PARQUET);
	t.ncolumns = 3;
	assert_int_equal(fmt_file_scan_mem(b, len, "x.parquet", &t, &s, &err), -EINVAL);
	/* another type */
	t = fixture_table(STORE_FORMAT_PARQUET);
	fixture_columns[0].type = STORE_TYPE_STRING;
	assert_int_equal(fmt_file_scan_mem(b, len, "x.parquet", &t, &s, &err), -EINVAL);
	/* the table's own columns: accepted */
	t = fixture_table(STORE_FORMAT_PARQUET);
	assert_int_equal(fmt_file_scan_mem(b, len, "x.parquet", &t, &s, &err), 0);
	fmt_file_stats_clear(&s);
	free(b);
}

/* A string longer than STORE_STAT_VALUE_MAX is cut and marked; all-NULL
 * row groups leave the bounds of the others; a file metafs's writer made. */
static void test_parquet_writer_truncated(void **state)
{
	(void)state;
	char path[] = "/tmp/metafs-scan-pq-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	store_column cols[2] = {{"k", STORE_TYPE_BIGINT}, {"s", STORE_TYPE_STRING}};
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.codec = FMT_PQ_UNCOMPRESSED;
	o.row_group_rows = 2;
	fmt_parquet_writer *w = NULL;
	fmt_error err;
	assert_int_equal(fmt_parquet_writer_open(fd, "w.parquet", cols, 2, &o, &w, &err), 0);
	fmt_vector v[2];
	fmt_vector_init(&v[0], STORE_TYPE_BIGINT);
	fmt_vector_init(&v[1], STORE_TYPE_STRING);
	char longest[100];
	memset(longest, 'z', sizeof longest);
	/* group 1: both NULL strings; group 2: "a..." and 100 z's */
	assert_int_equal(fmt_vector_push_i64(&v[0], 5), 0);
	assert_int_equal(fmt_vector_push_null(&v[1]), 0);
	assert_int_equal(fmt_vector_push_null(&v[0]), 0);
	assert_int_equal(fmt_vector_push_null(&v[1]), 0);
	assert_int_equal(fmt_vector_push_i64(&v[0], -7), 0);
	assert_int_equal(fmt_vector_push_str(&v[1], "abc", 3), 0);
	assert_int_equal(fmt_vector_push_i64(&v[0], 9), 0);
	assert_int_equal(fmt_vector_push_str(&v[1], longest, sizeof longest), 0);
	assert_int_equal(fmt_parquet_writer_append(w, v, &err), 0);
	uint64_t rows = 0;
	assert_int_equal(fmt_parquet_writer_close(w, &rows, NULL, &err), 0);
	fmt_vector_free(&v[0]);
	fmt_vector_free(&v[1]);
	assert_int_equal(rows, 4);

	store_table t = {.format = STORE_FORMAT_PARQUET, .has_schema = true, .ncolumns = 2,
			 .columns = cols, .db = "db", .name = "t"};
	fmt_file_stats s;
	assert_int_equal(fmt_file_scan(fd, "w.parquet", &t, &s, &err), 0);
	close(fd);
	assert_int_equal(s.rows, 4);
	assert_int_equal(s.nstats, 2);
	assert_int_equal(le_i64(s.stats[0].min), -7);
	assert_int_equal(le_i64(s.stats[0].max), 9);
	assert_int_equal(s.stats[0].nulls, 1);
	assert_int_equal(s.stats[1].nulls, 2);
	assert_true(s.stats[1].flags & STORE_STAT_MIN);
	assert_true(s.stats[1].flags & STORE_STAT_MAX);
	assert_int_equal(s.stats[1].min_len, 3);
	assert_memory_equal(s.stats[1].min, "abc", 3);
	assert_false(s.stats[1].flags & STORE_STAT_MIN_TRUNCATED);
	assert_int_equal(s.stats[1].max_len, STORE_STAT_VALUE_MAX);
	assert_memory_equal(s.stats[1].max, longest, STORE_STAT_VALUE_MAX);
	assert_true(s.stats[1].flags & STORE_STAT_MAX_TRUNCATED);
	/* The record takes them. */
	store_file f = {0};
	fmt_file_stats_to_record(&s, &f);
	assert_int_equal(f.rows, 4);
	assert_ptr_equal(f.stats, s.stats);
	assert_int_equal(f.nstats, 2);
	fmt_file_stats_clear(&s);
}

/* A footer naming a codec the reader does not decode (LZ4) is refused at
 * once.  The codec is ColumnMetaData field 4, an i32 in Thrift's compact
 * protocol: after field 3 its header is 0x15 and UNCOMPRESSED is 0x00;
 * LZ4 (5) is zigzag 0x0a.  Each candidate pair of the footer is tried. */
static void test_parquet_codec_refused(void **state)
{
	(void)state;
	char path[] = "/tmp/metafs-scan-lz-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	store_column cols[1] = {{"k", STORE_TYPE_BIGINT}};
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.codec = FMT_PQ_UNCOMPRESSED;
	fmt_parquet_writer *w = NULL;
	fmt_error err;
	assert_int_equal(fmt_parquet_writer_open(fd, "w.parquet", cols, 1, &o, &w, &err), 0);
	fmt_vector v;
	fmt_vector_init(&v, STORE_TYPE_BIGINT);
	assert_int_equal(fmt_vector_push_i64(&v, 1), 0);
	assert_int_equal(fmt_parquet_writer_append(w, &v, &err), 0);
	uint64_t bytes = 0;
	assert_int_equal(fmt_parquet_writer_close(w, NULL, &bytes, &err), 0);
	fmt_vector_free(&v);
	uint8_t *b = malloc(bytes);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, bytes, 0), (ssize_t)bytes);
	close(fd);
	store_table t = {.format = STORE_FORMAT_PARQUET, .has_schema = true, .ncolumns = 1,
			 .columns = cols, .db = "db", .name = "t"};
	fmt_file_stats s;
	assert_int_equal(fmt_file_scan_mem(b, bytes, "w.parquet", &t, &s, &err), 0);
	fmt_file_stats_clear(&s);
	uint32_t flen = (uint32_t)b[bytes - 8] | (uint32_t)b[bytes - 7] << 8 |
			(uint32_t)b[bytes - 6] << 16 | (uint32_t)b[bytes - 5] << 24;
	int refused = 0;
	for (size_t i = bytes - 8 - flen; i + 1 < bytes - 8; i++) {
		if (b[i] != 0x15 || b[i + 1] != 0x00)
			continue;
		b[i + 1] = 0x0a;
		int rc = fmt_file_scan_mem(b, bytes, "w.parquet", &t, &s, &err);
		if (rc == 0)
			fmt_file_stats_clear(&s);
		else if (strstr(err.msg, "w.parquet: column 'k': LZ4 compression, which metafs does not read"))
			refused++;
		b[i + 1] = 0x00;
	}
	assert_int_equal(refused, 1);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_parquet_in_text_tables),
		cmocka_unit_test(test_parquet_stats),
		cmocka_unit_test(test_parquet_refused),
		cmocka_unit_test(test_parquet_writer_truncated),
		cmocka_unit_test(test_parquet_codec_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
