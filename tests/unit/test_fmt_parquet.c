/*
 * test_fmt_parquet.c - Parquet files (format/fmt_parquet.h): what the writer
 * writes reads back the same, for every metafs type, with NULLs, across row
 * groups and pages, dictionary and plain, with every codec; files DuckDB
 * wrote (tests/unit/parquet/, made by tests/unit/parquet/duckdb_fixtures.mjs)
 * read as DuckDB wrote them; malformed files are errors, never crashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base_date.h"
#include "fmt_parquet.h"
#include "fmt_parquet_int.h"

/* ---- the sample table: column values are functions of the row number ---- */

enum { C_ID, C_PRICE, C_FLAG, C_CAT, C_NOTE, C_DAY, C_TS, C_D5, C_D15, C_D38, NCOLS };

static const store_column sample_cols[NCOLS] = {
	{"id", STORE_TYPE_BIGINT},
	{"price", STORE_TYPE_DOUBLE},
	{"flag", STORE_TYPE_BOOLEAN},
	{"cat", STORE_TYPE_STRING},
	{"note", STORE_TYPE_STRING},
	{"day", STORE_TYPE_DATE},
	{"ts", STORE_TYPE_TIMESTAMP},
	{"d5", (store_type)(STORE_TYPE_DECIMAL | (5 << 8) | (2 << 16))},
	{"d15", (store_type)(STORE_TYPE_DECIMAL | (15 << 8) | (3 << 16))},
	{"d38", (store_type)(STORE_TYPE_DECIMAL | (38 << 8) | (6 << 16))},
};

static bool sample_null(int col, size_t i)
{
	static const unsigned mod[NCOLS] = {11, 7, 5, 6, 9, 8, 10, 12, 13, 14};
	return i % mod[col] == (unsigned)col % mod[col];
}

static void sample_push(fmt_vector *v, int col, size_t i)
{
	if (sample_null(col, i)) {
		assert_int_equal(fmt_vector_push_null(v), 0);
		return;
	}
	char buf[64];
	int rc = 0;
	switch (col) {
	case C_ID:
		rc = fmt_vector_push_i64(v, (int64_t)i * 1000003 - 5000000);
		break;
	case C_PRICE:
		rc = fmt_vector_push_f64(v, i == 2 ? -0.0 : (double)i * 0.25 - 100.0);
		break;
	case C_FLAG:
		rc = fmt_vector_push_bool(v, i % 3 == 0);
		break;
	case C_CAT:
		snprintf(buf, sizeof buf, "cat-%zu", i % 4);
		rc = fmt_vector_push_str(v, buf, strlen(buf));
		break;
	case C_NOTE:
		if (i == 1) {
			rc = fmt_vector_push_str(v, "", 0);
		} else {
			snprintf(buf, sizeof buf, "note %zu \xc3\xa9t\xc3\xa9 %zu", i, i * i);
			rc = fmt_vector_push_str(v, buf, strlen(buf));
		}
		break;
	case C_DAY:
		rc = fmt_vector_push_i64(v, (int64_t)i - 500 + 19000);
		break;
	case C_TS:
		rc = fmt_vector_push_i64(v, INT64_C(1700000000000000) - (int64_t)i * INT64_C(86400000001));
		break;
	case C_D5:
		rc = fmt_vector_push_dec(v, (fmt_int128)((int64_t)(i * 37 % 99999) - 50000));
		break;
	case C_D15:
		rc = fmt_vector_push_dec(v, (fmt_int128)i * 123456789 - (fmt_int128)INT64_C(10000000000000));
		break;
	case C_D38: {
		fmt_int128 big = (fmt_int128)INT64_C(1000000000000000000) * INT64_C(1000000000000);
		fmt_int128 x = big * (fmt_int128)(i % 50) + (fmt_int128)i;
		rc = fmt_vector_push_dec(v, i % 2 ? -x : x);
		break;
	}
	}
	assert_int_equal(rc, 0);
}

static void sample_vectors(fmt_vector *v, size_t from, size_t n)
{
	for (int c = 0; c < NCOLS; c++) {
		fmt_vector_init(&v[c], sample_cols[c].type);
		for (size_t i = from; i < from + n; i++)
			sample_push(&v[c], c, i);
	}
}

static void vectors_free(fmt_vector *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fmt_vector_free(&v[i]);
}

/* A memfd with the sample table's N rows written by the writer with O,
 * appended in slices of SLICE rows. */
static int sample_file(size_t n, size_t slice, const fmt_parquet_write_options *o)
{
	int fd = memfd_create("sample.parquet", 0);
	assert_true(fd >= 0);
	fmt_parquet_writer *w;
	fmt_error err = {{0}};
	assert_int_equal(fmt_parquet_writer_open(fd, "sample.parquet", sample_cols, NCOLS, o, &w, &err), 0);
	for (size_t from = 0; from < n; from += slice) {
		fmt_vector v[NCOLS];
		sample_vectors(v, from, from + slice <= n ? slice : n - from);
		int rc = fmt_parquet_writer_append(w, v, &err);
		if (rc)
			fail_msg("%s", err.msg);
		vectors_free(v, NCOLS);
	}
	uint64_t rows = 0, bytes = 0;
	int rc = fmt_parquet_writer_close(w, &rows, &bytes, &err);
	if (rc)
		fail_msg("%s", err.msg);
	assert_int_equal(rows, n);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, bytes);
	return fd;
}

/* Read every column of every row group of P and compare with the sample's
 * rows, in order. */
static void check_sample(fmt_parquet *p, size_t n)
{
	assert_int_equal(fmt_parquet_ncolumns(p), NCOLS);
	assert_int_equal(fmt_parquet_nrows(p), (int64_t)n);
	for (int c = 0; c < NCOLS; c++) {
		const fmt_parquet_column *col = fmt_parquet_column_at(p, (size_t)c);
		assert_string_equal(col->name, sample_cols[c].name);
		assert_int_equal(col->type, sample_cols[c].type);
		fmt_vector want, got;
		fmt_vector_init(&want, sample_cols[c].type);
		fmt_vector_init(&got, sample_cols[c].type);
		for (size_t i = 0; i < n; i++)
			sample_push(&want, c, i);
		for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++) {
			fmt_error err = {{0}};
			if (fmt_parquet_read_column(p, g, (size_t)c, &got, &err))
				fail_msg("%s", err.msg);
		}
		assert_int_equal(got.n, n);
		for (size_t i = 0; i < n; i++)
			if (!fmt_vector_value_equal(&want, i, &got, i))
				fail_msg("column %s row %zu differs", col->name, i);
		fmt_vector_free(&want);
		fmt_vector_free(&got);
	}
}

/* The bytes of FD (a memfd). */
static uint8_t *fd_bytes(int fd, size_t *len)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	uint8_t *b = malloc((size_t)st.st_size);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
	*len = (size_t)st.st_size;
	return b;
}

static fmt_parquet *open_fd_ok(int fd)
{
	fmt_parquet *p = NULL;
	fmt_error err = {{0}};
	if (fmt_parquet_open_fd(fd, "sample.parquet", &p, &err))
		fail_msg("%s", err.msg);
	return p;
}

static void round_trip(fmt_pq_codec codec)
{
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.codec = codec;
	o.row_group_rows = 1000;
	o.page_bytes = 2048;
	int fd = sample_file(3500, 777, &o);
	fmt_parquet *p = open_fd_ok(fd);
	assert_int_equal(fmt_parquet_nrowgroups(p), 4);
	assert_int_equal(fmt_parquet_rowgroup_at(p, 3)->num_rows, 500);
	for (size_t g = 0; g < 4; g++) {
		const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, g);
		for (size_t c = 0; c < NCOLS; c++)
			assert_int_equal(rg->chunks[c].codec, codec);
		/* the 4-value column is a dictionary, the unique notes are plain */
		assert_true(rg->chunks[C_CAT].encodings & (1u << PQ_ENC_RLE_DICTIONARY));
		assert_true(rg->chunks[C_CAT].dictionary_page_offset > 0);
		assert_false(rg->chunks[C_NOTE].encodings & (1u << PQ_ENC_RLE_DICTIONARY));
		assert_int_equal(rg->chunks[C_NOTE].dictionary_page_offset, -1);
	}
	check_sample(p, 3500);
	fmt_parquet_close(p);
	close(fd);
}

static void test_round_trip_uncompressed(void **state)
{
	(void)state;
	round_trip(FMT_PQ_UNCOMPRESSED);
}

static void test_round_trip_snappy(void **state)
{
	(void)state;
	round_trip(FMT_PQ_SNAPPY);
}

static void test_round_trip_gzip(void **state)
{
	(void)state;
	round_trip(FMT_PQ_GZIP);
}

static void test_round_trip_zstd(void **state)
{
	(void)state;
	round_trip(FMT_PQ_ZSTD);
}

/* A chunk read a page at a time, the vector cleared between pages, gives
 * the same values as the whole chunk. */
static void test_pages_read_one_at_a_time(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 2000;
	o.page_bytes = 512;
	int fd = sample_file(2000, 2000, &o);
	fmt_parquet *p = open_fd_ok(fd);
	for (int c = 0; c < NCOLS; c++) {
		fmt_vector want, page, all;
		fmt_vector_init(&want, sample_cols[c].type);
		fmt_vector_init(&page, sample_cols[c].type);
		fmt_vector_init(&all, sample_cols[c].type);
		for (size_t i = 0; i < 2000; i++)
			sample_push(&want, c, i);
		fmt_parquet_pages *pg;
		fmt_error err = {{0}};
		assert_int_equal(fmt_parquet_pages_open(p, 0, (size_t)c, &pg, &err), 0);
		size_t n, pages = 0;
		for (;;) {
			fmt_vector_clear(&page);
			if (fmt_parquet_pages_next(pg, &page, &n, &err))
				fail_msg("%s", err.msg);
			if (n == 0)
				break;
			assert_int_equal(page.n, n);
			pages++;
			for (size_t i = 0; i < n; i++)
				assert_int_equal(fmt_vector_push_from(&all, &page, i), 0);
		}
		fmt_parquet_pages_close(pg);
		assert_true(pages > 1);
		assert_int_equal(all.n, 2000);
		for (size_t i = 0; i < 2000; i++)
			if (!fmt_vector_value_equal(&want, i, &all, i))
				fail_msg("column %s row %zu differs", sample_cols[c].name, i);
		fmt_vector_free(&want);
		fmt_vector_free(&page);
		fmt_vector_free(&all);
	}
	fmt_parquet_close(p);
	close(fd);
}

/* Data pages v2: levels apart and uncompressed, values compressed. */
static void test_round_trip_data_page_v2(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.data_page_v2 = true;
	o.row_group_rows = 600;
	o.page_bytes = 1024;
	for (int k = 0; k < 2; k++) {
		o.codec = k ? FMT_PQ_ZSTD : FMT_PQ_UNCOMPRESSED;
		int fd = sample_file(1500, 1500, &o);
		fmt_parquet *p = open_fd_ok(fd);
		size_t len;
		uint8_t *b = fd_bytes(fd, &len);
		const fmt_parquet_chunk *ch = &fmt_parquet_rowgroup_at(p, 0)->chunks[C_NOTE];
		pq_page_header h;
		size_t used;
		char msg[256];
		assert_int_equal(pq_page_header_decode(b + ch->data_page_offset, len - (size_t)ch->data_page_offset,
						       &h, &used, msg, sizeof msg), 0);
		assert_int_equal(h.type, PQ_PAGE_DATA_V2);
		assert_true(h.num_nulls > 0);
		free(b);
		check_sample(p, 1500);
		fmt_parquet_close(p);
		close(fd);
	}
}

static void test_dictionary_never_and_always(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 400;
	o.dictionary = FMT_PQ_DICT_NEVER;
	int fd = sample_file(1000, 1000, &o);
	fmt_parquet *p = open_fd_ok(fd);
	for (size_t c = 0; c < NCOLS; c++)
		assert_int_equal(fmt_parquet_rowgroup_at(p, 0)->chunks[c].dictionary_page_offset, -1);
	check_sample(p, 1000);
	fmt_parquet_close(p);
	close(fd);

	o.dictionary = FMT_PQ_DICT_ALWAYS;
	fd = sample_file(1000, 1000, &o);
	p = open_fd_ok(fd);
	for (size_t c = 0; c < NCOLS; c++) {
		const fmt_parquet_chunk *ch = &fmt_parquet_rowgroup_at(p, 0)->chunks[c];
		if (c == C_FLAG)
			assert_int_equal(ch->dictionary_page_offset, -1);
		else
			assert_true(ch->encodings & (1u << PQ_ENC_RLE_DICTIONARY));
	}
	check_sample(p, 1000);
	fmt_parquet_close(p);
	close(fd);
}

/* Row groups end at about row_group_bytes of values too. */
static void test_row_groups_by_bytes(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_bytes = 16 * 1024;
	int fd = sample_file(3000, 100, &o);
	fmt_parquet *p = open_fd_ok(fd);
	assert_true(fmt_parquet_nrowgroups(p) > 3);
	check_sample(p, 3000);
	fmt_parquet_close(p);
	close(fd);
}

/* The schema is Spark's: every column OPTIONAL, the logical and converted
 * types of each metafs type, decimals by precision. */
static void test_schema_maps_types_like_spark(void **state)
{
	(void)state;
	int fd = sample_file(10, 10, NULL);
	fmt_parquet *p = open_fd_ok(fd);
	const fmt_parquet_column *c;
	c = fmt_parquet_column_at(p, C_ID);
	assert_int_equal(c->physical, FMT_PQ_INT64);
	assert_int_equal(c->logical, FMT_PQ_LOGICAL_NONE);
	assert_true(c->optional);
	assert_int_equal(fmt_parquet_column_at(p, C_PRICE)->physical, FMT_PQ_DOUBLE);
	assert_int_equal(fmt_parquet_column_at(p, C_FLAG)->physical, FMT_PQ_BOOLEAN);
	c = fmt_parquet_column_at(p, C_CAT);
	assert_int_equal(c->physical, FMT_PQ_BYTE_ARRAY);
	assert_int_equal(c->logical, FMT_PQ_LOGICAL_STRING);
	assert_int_equal(c->converted, FMT_PQ_UTF8);
	c = fmt_parquet_column_at(p, C_DAY);
	assert_int_equal(c->physical, FMT_PQ_INT32);
	assert_int_equal(c->logical, FMT_PQ_LOGICAL_DATE);
	assert_int_equal(c->converted, FMT_PQ_CONV_DATE);
	c = fmt_parquet_column_at(p, C_TS);
	assert_int_equal(c->physical, FMT_PQ_INT64);
	assert_int_equal(c->logical, FMT_PQ_LOGICAL_TIMESTAMP);
	assert_int_equal(c->unit, FMT_PQ_MICROS);
	assert_true(c->utc);
	assert_int_equal(c->converted, FMT_PQ_TIMESTAMP_MICROS);
	c = fmt_parquet_column_at(p, C_D5);
	assert_int_equal(c->physical, FMT_PQ_INT32);
	assert_int_equal(c->logical, FMT_PQ_LOGICAL_DECIMAL);
	assert_int_equal(c->converted, FMT_PQ_CONV_DECIMAL);
	assert_int_equal(c->precision, 5);
	assert_int_equal(c->scale, 2);
	assert_int_equal(fmt_parquet_column_at(p, C_D15)->physical, FMT_PQ_INT64);
	c = fmt_parquet_column_at(p, C_D38);
	assert_int_equal(c->physical, FMT_PQ_FIXED_LEN_BYTE_ARRAY);
	assert_int_equal(c->type_length, 16);
	assert_string_equal(fmt_parquet_created_by(p), "metafs version " METAFS_VERSION);
	fmt_parquet_close(p);
	close(fd);
}

/* Footer statistics: null_count, and min_value/max_value that decode to the
 * chunk's smallest and largest values. */
static void test_statistics_in_footer(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 100;
	int fd = sample_file(200, 200, &o);
	fmt_parquet *p = open_fd_ok(fd);
	const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, 1);   /* rows 100..199 */
	for (int c = 0; c < NCOLS; c++) {
		const fmt_parquet_chunk *ch = &rg->chunks[c];
		const fmt_parquet_column *col = fmt_parquet_column_at(p, (size_t)c);
		fmt_vector vals, st;
		fmt_vector_init(&vals, col->type);
		fmt_vector_init(&st, col->type);
		size_t nulls = 0;
		for (size_t i = 100; i < 200; i++) {
			sample_push(&vals, c, i);
			nulls += sample_null(c, i);
		}
		assert_true(ch->stats.has_null_count);
		assert_int_equal(ch->stats.null_count, (int64_t)nulls);
		assert_true(ch->stats.has_min && ch->stats.has_max);
		assert_false(ch->stats.min_max_deprecated);
		assert_int_equal(fmt_parquet_stat_decode(col, ch->stats.min, ch->stats.min_len, &st), 0);
		assert_int_equal(fmt_parquet_stat_decode(col, ch->stats.max, ch->stats.max_len, &st), 0);
		/* the min is no greater than any value, and equal to one of them */
		bool min_seen = false, max_seen = false;
		for (size_t i = 0; i < vals.n; i++) {
			if (vals.nulls[i])
				continue;
			min_seen |= fmt_vector_value_equal(&vals, i, &st, 0);
			max_seen |= fmt_vector_value_equal(&vals, i, &st, 1);
			switch (store_type_base(col->type)) {
			case STORE_TYPE_DOUBLE:
				assert_true(st.v.f64[0] <= vals.v.f64[i] && vals.v.f64[i] <= st.v.f64[1]);
				break;
			case STORE_TYPE_DECIMAL:
				assert_true(st.v.dec[0] <= vals.v.dec[i] && vals.v.dec[i] <= st.v.dec[1]);
				break;
			case STORE_TYPE_BOOLEAN:
				assert_true(st.v.b[0] <= vals.v.b[i] && vals.v.b[i] <= st.v.b[1]);
				break;
			case STORE_TYPE_STRING:
				break;
			default:
				assert_true(st.v.i64[0] <= vals.v.i64[i] && vals.v.i64[i] <= st.v.i64[1]);
				break;
			}
		}
		assert_true(min_seen && max_seen);
		fmt_vector_free(&vals);
		fmt_vector_free(&st);
	}
	/* strings order bytewise: "cat-0" .. "cat-3" */
	const fmt_parquet_chunk *cat = &rg->chunks[C_CAT];
	assert_int_equal(cat->stats.min_len, 5);
	assert_memory_equal(cat->stats.min, "cat-0", 5);
	assert_memory_equal(cat->stats.max, "cat-3", 5);
	fmt_parquet_close(p);
	close(fd);
}

/* A file matches its table when its columns are the table's, by name
 * (any case) and type; a narrower decimal of the same scale fits. */
static void test_check_schema_against_table(void **state)
{
	(void)state;
	int fd = sample_file(5, 5, NULL);
	fmt_parquet *p = open_fd_ok(fd);
	store_column cols[NCOLS];
	memcpy(cols, sample_cols, sizeof cols);
	fmt_error err = {{0}};
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), 0);
	strcpy(cols[C_ID].name, "ID");
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), 0);
	cols[C_D5].type = store_type_decimal(7, 2);
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), 0);
	cols[C_D5].type = store_type_decimal(7, 3);
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), -EINVAL);
	assert_string_equal(err.msg, "sample.parquet: column 'd5' is decimal(5,2), the table's is decimal(7,3)");
	cols[C_D5].type = sample_cols[C_D5].type;
	cols[C_DAY].type = STORE_TYPE_TIMESTAMP;
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), -EINVAL);
	assert_string_equal(err.msg, "sample.parquet: column 'day' is date, the table's is timestamp");
	cols[C_DAY].type = STORE_TYPE_DATE;
	strcpy(cols[C_NOTE].name, "notes");
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS, &err), -EINVAL);
	assert_string_equal(err.msg, "sample.parquet: column 5 is 'note', the table's is 'notes'");
	assert_int_equal(fmt_parquet_check_schema(p, cols, NCOLS - 1, &err), -EINVAL);
	assert_string_equal(err.msg, "sample.parquet: 10 columns, the table has 9");
	fmt_parquet_close(p);
	close(fd);
}

/* A column of NULLs only, and a table of one row. */
static void test_all_nulls_and_one_row(void **state)
{
	(void)state;
	store_column cols[1] = {{"x", STORE_TYPE_STRING}};
	int fd = memfd_create("nulls.parquet", 0);
	fmt_parquet_writer *w;
	fmt_error err = {{0}};
	assert_int_equal(fmt_parquet_writer_open(fd, "nulls.parquet", cols, 1, NULL, &w, &err), 0);
	fmt_vector v;
	fmt_vector_init(&v, STORE_TYPE_STRING);
	for (int i = 0; i < 100; i++)
		assert_int_equal(fmt_vector_push_null(&v), 0);
	assert_int_equal(fmt_parquet_writer_append(w, &v, &err), 0);
	fmt_vector_free(&v);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &err), 0);
	fmt_parquet *p = open_fd_ok(fd);
	const fmt_parquet_chunk *ch = &fmt_parquet_rowgroup_at(p, 0)->chunks[0];
	assert_int_equal(ch->stats.null_count, 100);
	assert_false(ch->stats.has_min);
	fmt_vector got;
	fmt_vector_init(&got, STORE_TYPE_STRING);
	assert_int_equal(fmt_parquet_read_column(p, 0, 0, &got, &err), 0);
	assert_int_equal(got.n, 100);
	for (size_t i = 0; i < got.n; i++)
		assert_true(fmt_vector_is_null(&got, i));
	fmt_vector_free(&got);
	fmt_parquet_close(p);
	close(fd);

	fd = sample_file(1, 1, NULL);
	p = open_fd_ok(fd);
	check_sample(p, 1);
	fmt_parquet_close(p);
	close(fd);
}

/* A value that does not fit its Parquet type is an error naming the column. */
static void test_writer_refuses_out_of_range(void **state)
{
	(void)state;
	store_column cols[1] = {{"d", STORE_TYPE_DATE}};
	int fd = memfd_create("range.parquet", 0);
	fmt_parquet_writer *w;
	fmt_error err = {{0}};
	assert_int_equal(fmt_parquet_writer_open(fd, "range.parquet", cols, 1, NULL, &w, &err), 0);
	fmt_vector v;
	fmt_vector_init(&v, STORE_TYPE_DATE);
	assert_int_equal(fmt_vector_push_i64(&v, INT64_C(1) << 40), 0);
	assert_int_equal(fmt_parquet_writer_append(w, &v, &err), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "column 'd'"));
	fmt_vector_free(&v);
	close(fd);

	/* a decimal(5,2) of six digits */
	cols[0] = (store_column){"amount", store_type_decimal(5, 2)};
	fd = memfd_create("range.parquet", 0);
	assert_int_equal(fmt_parquet_writer_open(fd, "range.parquet", cols, 1, NULL, &w, &err), 0);
	fmt_vector_init(&v, cols[0].type);
	assert_int_equal(fmt_vector_push_dec(&v, -99999), 0);
	assert_int_equal(fmt_vector_push_dec(&v, 100000), 0);
	assert_int_equal(fmt_parquet_writer_append(w, &v, &err), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "column 'amount'"));
	fmt_vector_free(&v);
	close(fd);
}

/* A failed write is an error with the system's reason, and the writer
 * refuses to start anywhere but at offset 0. */
static void test_write_errors_reported(void **state)
{
	(void)state;
	store_column cols[1] = {{"x", STORE_TYPE_BIGINT}};
	int fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	fmt_parquet_writer *w = NULL;
	fmt_error err = {{0}};
	assert_int_equal(fmt_parquet_writer_open(fd, "ro.parquet", cols, 1, NULL, &w, &err), -EBADF);
	assert_null(w);
	assert_string_equal(err.msg, "ro.parquet: write: Bad file descriptor");
	close(fd);
	fd = memfd_create("off.parquet", 0);
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(fmt_parquet_writer_open(fd, "off.parquet", cols, 1, NULL, &w, &err), -EINVAL);
	assert_string_equal(err.msg, "off.parquet: writing must start at offset 0, not 1");
	close(fd);
}

/* ---- malformed files ---- */

/* Open LEN bytes and read every chunk: 0 when all of it worked, else the
 * first error (with its message in ERR). */
static int read_all(const uint8_t *b, size_t len, fmt_error *err)
{
	fmt_parquet *p;
	int rc = fmt_parquet_open_mem(b, len, "x.parquet", &p, err);
	if (rc)
		return rc;
	for (size_t g = 0; g < fmt_parquet_nrowgroups(p) && rc == 0; g++)
		for (size_t c = 0; c < fmt_parquet_ncolumns(p) && rc == 0; c++) {
			const fmt_parquet_column *col = fmt_parquet_column_at(p, c);
			if (col->type == 0)
				continue;
			fmt_vector v;
			fmt_vector_init(&v, col->type);
			rc = fmt_parquet_read_column(p, g, c, &v, err);
			fmt_vector_free(&v);
		}
	fmt_parquet_close(p);
	return rc;
}

static void test_truncated_files_are_errors(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 20;
	int fd = sample_file(40, 40, &o);
	size_t len;
	uint8_t *b = fd_bytes(fd, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), 0);
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, b, n);
		assert_int_equal(read_all(cut, n, &err), -EINVAL);
		free(cut);
	}
	free(b);
	close(fd);
}

static void test_bad_magic_and_footer_length(void **state)
{
	(void)state;
	int fd = sample_file(30, 30, NULL);
	size_t len;
	uint8_t *b = fd_bytes(fd, &len);
	fmt_error err;

	b[0] = 'X';
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_string_equal(err.msg, "x.parquet: not a Parquet file (no PAR1 at the start)");
	b[0] = 'P';
	b[len - 1] = 'X';
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "no PAR1 at the end"));
	b[len - 1] = '1';

	uint8_t save[4];
	memcpy(save, b + len - 8, 4);
	memcpy(b + len - 8, "\xff\xff\xff\x7f", 4);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "footer length 2147483647 does not fit"));
	memset(b + len - 8, 0, 4);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	/* one byte short: the footer parses from the wrong place */
	uint32_t flen = (uint32_t)save[0] | (uint32_t)save[1] << 8 | (uint32_t)save[2] << 16;
	flen -= 1;
	b[len - 8] = (uint8_t)flen;
	b[len - 7] = (uint8_t)(flen >> 8);
	b[len - 6] = (uint8_t)(flen >> 16);
	b[len - 5] = 0;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	memcpy(b + len - 8, save, 4);
	assert_int_equal(read_all(b, len, &err), 0);
	free(b);
	close(fd);
}

/* A file around FOOTER (the Thrift bytes of a FileMetaData) and BODY. */
static uint8_t *wrap_file(const void *body, size_t blen, const void *footer, size_t flen, size_t *len)
{
	*len = 4 + blen + flen + 8;
	uint8_t *b = malloc(*len);
	memcpy(b, "PAR1", 4);
	memcpy(b + 4, body, blen);
	memcpy(b + 4 + blen, footer, flen);
	uint8_t *t = b + 4 + blen + flen;
	t[0] = (uint8_t)flen;
	t[1] = (uint8_t)(flen >> 8);
	t[2] = (uint8_t)(flen >> 16);
	t[3] = (uint8_t)(flen >> 24);
	memcpy(t + 4, "PAR1", 4);
	return b;
}

/* A one-column (INT64, OPTIONAL) footer whose chunk starts at offset 4 and
 * holds SIZE bytes, of NROWS rows. */
static void one_chunk_footer(textbuf *out, int64_t size, int64_t nrows)
{
	pq_schema s[2];
	memset(s, 0, sizeof s);
	for (int i = 0; i < 2; i++) {
		s[i].type_length = s[i].converted = s[i].scale = s[i].precision = s[i].field_id = -1;
		s[i].repetition = s[i].num_children = s[i].physical = -1;
	}
	s[0].name = (char *)"schema";
	s[0].num_children = 1;
	s[1].name = (char *)"price";
	s[1].physical = FMT_PQ_INT64;
	s[1].repetition = PQ_OPTIONAL;
	fmt_parquet_chunk ch;
	memset(&ch, 0, sizeof ch);
	ch.path = "price";
	ch.physical = FMT_PQ_INT64;
	ch.codec = FMT_PQ_UNCOMPRESSED;
	ch.num_values = nrows;
	ch.data_page_offset = 4;
	ch.dictionary_page_offset = -1;
	ch.total_compressed_size = size;
	ch.total_uncompressed_size = size;
	ch.encodings = 1u << PQ_ENC_PLAIN;
	fmt_parquet_rowgroup g = {.num_rows = nrows, .nchunks = 1, .chunks = &ch};
	pq_footer f = {.version = 1, .schema = s, .nschema = 2, .num_rows = nrows, .rowgroups = &g,
		       .nrowgroups = 1};
	pq_footer_encode(&f, out);
	assert_int_equal(textbuf_error(out), 0);
}

/* ---- hand-made files: encodings and types the writer does not produce ---- */

static void put_uleb(textbuf *b, uint64_t v)
{
	do {
		char c = (char)(v & 0x7f);
		v >>= 7;
		if (v)
			c = (char)(c | 0x80);
		textbuf_append(b, &c, 1);
	} while (v);
}

static void put_zigzag(textbuf *b, int64_t v)
{
	put_uleb(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* DELTA_BINARY_PACKED of N (1..129) values: one block of 128 in 4
 * miniblocks of 32, every used miniblock at the same width. */
static void delta_encode(textbuf *b, const int64_t *v, size_t n)
{
	put_uleb(b, 128);
	put_uleb(b, 4);
	put_uleb(b, n);
	put_zigzag(b, v[0]);
	if (n < 2)
		return;
	int64_t min = v[1] - v[0];
	for (size_t i = 1; i < n; i++)
		if (v[i] - v[i - 1] < min)
			min = v[i] - v[i - 1];
	uint64_t max = 0;
	for (size_t i = 1; i < n; i++)
		if ((uint64_t)(v[i] - v[i - 1] - min) > max)
			max = (uint64_t)(v[i] - v[i - 1] - min);
	unsigned w = 0;
	while (w < 64 && (max >> w))
		w++;
	put_zigzag(b, min);
	size_t nd = n - 1, used = (nd + 31) / 32;
	for (size_t m = 0; m < 4; m++) {
		char c = (char)(m < used ? w : 0);
		textbuf_append(b, &c, 1);
	}
	for (size_t m = 0; m < used; m++) {
		uint8_t bytes[32 * 8];
		memset(bytes, 0, sizeof bytes);
		for (size_t i = 0; i < 32; i++) {
			size_t k = m * 32 + i;
			uint64_t x = k < nd ? (uint64_t)(v[k + 1] - v[k] - min) : 0;
			for (unsigned bit = 0; bit < w; bit++)
				if ((x >> bit) & 1)
					bytes[(i * w + bit) / 8] |= (uint8_t)(1u << ((i * w + bit) % 8));
		}
		textbuf_append(b, (const char *)bytes, 32 * w / 8);
	}
}

/* Append a page: header H (sizes from LEN, uncompressed) and its body. */
static void put_page(textbuf *out, pq_page_header h, const void *body, size_t len)
{
	h.uncompressed_size = h.compressed_size = (int32_t)len;
	pq_page_header_encode(&h, out);
	textbuf_append(out, body, len);
}

static pq_schema leaf_schema(const char *name, fmt_pq_physical physical, int repetition)
{
	pq_schema s;
	memset(&s, 0, sizeof s);
	s.type_length = s.converted = s.scale = s.precision = s.field_id = s.num_children = -1;
	s.name = (char *)name;
	s.physical = physical;
	s.repetition = repetition;
	return s;
}

/* A file of one column (LEAF) whose chunk is PAGES, of NROWS rows; the
 * first DICT_LEN bytes of PAGES are a dictionary page when DICT_LEN > 0. */
static uint8_t *one_column_file(const pq_schema *leaf, const textbuf *pages, int64_t nrows, size_t dict_len,
				size_t *len)
{
	pq_schema s[2] = {leaf_schema("schema", FMT_PQ_BOOLEAN, -1), *leaf};
	s[0].physical = -1;
	s[0].num_children = 1;
	fmt_parquet_chunk ch;
	memset(&ch, 0, sizeof ch);
	ch.path = leaf->name;
	ch.physical = (fmt_pq_physical)leaf->physical;
	ch.codec = FMT_PQ_UNCOMPRESSED;
	ch.num_values = nrows;
	ch.dictionary_page_offset = dict_len ? 4 : -1;
	ch.data_page_offset = 4 + (int64_t)dict_len;
	ch.total_compressed_size = ch.total_uncompressed_size = (int64_t)pages->len;
	ch.encodings = 1u << PQ_ENC_PLAIN;
	fmt_parquet_rowgroup g = {.num_rows = nrows, .nchunks = 1, .chunks = &ch};
	pq_footer f = {.version = 1, .schema = s, .nschema = 2, .num_rows = nrows, .rowgroups = &g,
		       .nrowgroups = 1};
	textbuf t = TEXTBUF_INIT;
	pq_footer_encode(&f, &t);
	assert_int_equal(textbuf_error(&t), 0);
	uint8_t *b = wrap_file(pages->data, pages->len, t.data, t.len, len);
	textbuf_free(&t);
	return b;
}

/* Read the one column of the file B into V (of the column's type). */
static void read_one(const uint8_t *b, size_t len, fmt_vector *v, store_type want)
{
	fmt_parquet *p;
	fmt_error err = {{0}};
	if (fmt_parquet_open_mem(b, len, "x.parquet", &p, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(fmt_parquet_column_at(p, 0)->type, want);
	fmt_vector_init(v, want);
	if (fmt_parquet_read_column(p, 0, 0, v, &err))
		fail_msg("%s", err.msg);
	fmt_parquet_close(p);
}

static void test_delta_byte_array_strings(void **state)
{
	(void)state;
	static const char *vals[] = {"apple", "applesauce", "apply", "banana", "", "band"};
	const int64_t prefix[] = {0, 5, 4, 0, 0, 0};
	const int64_t suffix[] = {5, 5, 1, 6, 0, 4};
	const char *bytes = "applesauceybananaband";
	textbuf body = TEXTBUF_INIT, pages = TEXTBUF_INIT;
	delta_encode(&body, prefix, 6);
	delta_encode(&body, suffix, 6);
	textbuf_append(&body, bytes, strlen(bytes));
	pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 6, .encoding = PQ_ENC_DELTA_BYTE_ARRAY,
			    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
	put_page(&pages, h, body.data, body.len);
	pq_schema leaf = leaf_schema("s", FMT_PQ_BYTE_ARRAY, PQ_REQUIRED);
	size_t len;
	uint8_t *b = one_column_file(&leaf, &pages, 6, 0, &len);
	fmt_vector v;
	read_one(b, len, &v, STORE_TYPE_STRING);
	assert_int_equal(v.n, 6);
	for (size_t i = 0; i < 6; i++) {
		size_t l;
		const char *x = fmt_vector_str(&v, i, &l);
		assert_int_equal(l, strlen(vals[i]));
		assert_memory_equal(x, vals[i], l);
	}
	fmt_vector_free(&v);
	free(b);

	/* a prefix longer than the value before it is an error */
	const int64_t bad_prefix[] = {0, 9, 4, 0, 0, 0};
	textbuf_reset(&body);
	textbuf_reset(&pages);
	delta_encode(&body, bad_prefix, 6);
	delta_encode(&body, suffix, 6);
	textbuf_append(&body, bytes, strlen(bytes));
	put_page(&pages, h, body.data, body.len);
	b = one_column_file(&leaf, &pages, 6, 0, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "prefix of 9 bytes of a value of 5"));
	free(b);
	textbuf_free(&body);
	textbuf_free(&pages);
}

/* DELTA_BINARY_PACKED across miniblocks, with negative and wide deltas. */
static void test_delta_binary_packed_wide_deltas(void **state)
{
	(void)state;
	int64_t vals[100];
	for (int i = 0; i < 100; i++)
		vals[i] = i % 3 == 0 ? INT64_C(1) << 50 : -(int64_t)i * 1000003;
	vals[99] = INT64_MIN / 4;
	textbuf body = TEXTBUF_INIT, pages = TEXTBUF_INIT;
	delta_encode(&body, vals, 100);
	pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 100, .encoding = PQ_ENC_DELTA_BINARY_PACKED,
			    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
	put_page(&pages, h, body.data, body.len);
	pq_schema leaf = leaf_schema("n", FMT_PQ_INT64, PQ_REQUIRED);
	size_t len;
	uint8_t *b = one_column_file(&leaf, &pages, 100, 0, &len);
	fmt_vector v;
	read_one(b, len, &v, STORE_TYPE_BIGINT);
	assert_int_equal(v.n, 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(v.v.i64[i], vals[i]);
	fmt_vector_free(&v);
	free(b);
	textbuf_free(&body);
	textbuf_free(&pages);
}

/* INT96 timestamps (Impala, Hive, old Spark): nanoseconds of the day, then
 * the Julian day. */
static void test_int96_timestamps(void **state)
{
	(void)state;
	const int64_t jd[] = {2440588, 2440588 + 19723, 2440587};
	const int64_t ns[] = {1000, INT64_C(43200000000000), 999};
	const int64_t want[] = {1, INT64_C(19723) * 86400000000 + INT64_C(43200000000), -INT64_C(86400000000)};
	uint8_t body[36];
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 8; k++)
			body[i * 12 + k] = (uint8_t)((uint64_t)ns[i] >> (8 * k));
		for (int k = 0; k < 4; k++)
			body[i * 12 + 8 + k] = (uint8_t)((uint64_t)jd[i] >> (8 * k));
	}
	textbuf pages = TEXTBUF_INIT;
	pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 3, .encoding = PQ_ENC_PLAIN,
			    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
	put_page(&pages, h, body, sizeof body);
	pq_schema leaf = leaf_schema("ts", FMT_PQ_INT96, PQ_REQUIRED);
	size_t len;
	uint8_t *b = one_column_file(&leaf, &pages, 3, 0, &len);
	fmt_vector v;
	read_one(b, len, &v, STORE_TYPE_TIMESTAMP);
	for (int i = 0; i < 3; i++)
		assert_int_equal(v.v.i64[i], want[i]);
	fmt_vector_free(&v);
	free(b);
	textbuf_free(&pages);
}

/* TIMESTAMP in milliseconds and nanoseconds becomes microseconds; unsigned
 * INT32 reads as unsigned; UINT_64 as decimal(20,0). */
static void test_timestamp_units_and_unsigned(void **state)
{
	(void)state;
	struct {
		fmt_pq_physical physical;
		int logical, unit, converted, bits;
		int64_t raw;
		store_type type;
		int64_t want;
	} cases[] = {
		{FMT_PQ_INT64, FMT_PQ_LOGICAL_TIMESTAMP, FMT_PQ_MILLIS, -1, 0, 1500, STORE_TYPE_TIMESTAMP, 1500000},
		{FMT_PQ_INT64, FMT_PQ_LOGICAL_TIMESTAMP, FMT_PQ_NANOS, -1, 0, -1500, STORE_TYPE_TIMESTAMP, -2},
		{FMT_PQ_INT64, 0, 0, FMT_PQ_TIMESTAMP_MILLIS, 0, -7, STORE_TYPE_TIMESTAMP, -7000},
		{FMT_PQ_INT32, FMT_PQ_LOGICAL_INTEGER, 0, -1, 32, -1, STORE_TYPE_BIGINT, 4294967295},
		{FMT_PQ_INT32, 0, 0, FMT_PQ_INT_16, 0, -5, STORE_TYPE_BIGINT, -5},
		{FMT_PQ_INT64, 0, 0, FMT_PQ_UINT_64, 0, -1, (store_type)(STORE_TYPE_DECIMAL | (20 << 8)), 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		pq_schema leaf = leaf_schema("x", cases[k].physical, PQ_REQUIRED);
		leaf.logical = cases[k].logical;
		leaf.l_unit = cases[k].unit;
		leaf.converted = cases[k].converted;
		leaf.l_bits = cases[k].bits;
		leaf.l_signed = false;
		uint8_t body[8];
		size_t w = cases[k].physical == FMT_PQ_INT32 ? 4 : 8;
		for (size_t i = 0; i < w; i++)
			body[i] = (uint8_t)((uint64_t)cases[k].raw >> (8 * i));
		textbuf pages = TEXTBUF_INIT;
		pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 1, .encoding = PQ_ENC_PLAIN,
				    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
		put_page(&pages, h, body, w);
		size_t len;
		uint8_t *b = one_column_file(&leaf, &pages, 1, 0, &len);
		fmt_vector v;
		read_one(b, len, &v, cases[k].type);
		if (store_type_base(cases[k].type) == STORE_TYPE_DECIMAL)
			assert_true(v.v.dec[0] == (fmt_int128)UINT64_MAX);
		else
			assert_int_equal(v.v.i64[0], cases[k].want);
		fmt_vector_free(&v);
		free(b);
		textbuf_free(&pages);
	}
}

/* The deprecated BIT_PACKED definition levels (most significant bit first)
 * and PLAIN_DICTIONARY pages, as parquet-mr 1.x wrote them. */
static void test_bit_packed_levels_and_plain_dictionary(void **state)
{
	(void)state;
	textbuf pages = TEXTBUF_INIT;
	const uint8_t dict[] = {7, 0, 0, 0, 9, 0, 0, 0};
	pq_page_header dh = {.type = PQ_PAGE_DICTIONARY, .num_values = 2, .encoding = PQ_ENC_PLAIN_DICTIONARY};
	put_page(&pages, dh, dict, sizeof dict);
	size_t dict_len = pages.len;
	/* levels 1 0 1 1 0 -> 10110000; indices 1 0 1: width 1, one bit-packed group */
	const uint8_t data[] = {0xb0, 0x01, 0x03, 0x05};
	pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 5, .encoding = PQ_ENC_PLAIN_DICTIONARY,
			    .def_encoding = PQ_ENC_BIT_PACKED, .rep_encoding = PQ_ENC_BIT_PACKED};
	put_page(&pages, h, data, sizeof data);
	pq_schema leaf = leaf_schema("k", FMT_PQ_INT32, PQ_OPTIONAL);
	size_t len;
	uint8_t *b = one_column_file(&leaf, &pages, 5, dict_len, &len);
	fmt_vector v;
	read_one(b, len, &v, STORE_TYPE_BIGINT);
	assert_int_equal(v.n, 5);
	assert_false(v.nulls[0]);
	assert_int_equal(v.v.i64[0], 9);
	assert_true(v.nulls[1]);
	assert_int_equal(v.v.i64[2], 7);
	assert_int_equal(v.v.i64[3], 9);
	assert_true(v.nulls[4]);
	fmt_vector_free(&v);
	free(b);

	/* an index past the dictionary */
	textbuf_reset(&pages);
	put_page(&pages, dh, dict, sizeof dict);
	const uint8_t bad[] = {0xb0, 0x02, 0x03, 0x07, 0x00};   /* width 2: indices 3 1 0 */
	put_page(&pages, h, bad, sizeof bad);
	b = one_column_file(&leaf, &pages, 5, dict_len, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "dictionary index 3 of a dictionary of 2"));
	free(b);
	textbuf_free(&pages);
}

/* A dictionary of one 1 MiB string and 2000 indices to it would decode to
 * 2 GiB from a 1 MiB file: refused before it is built. */
static void test_dictionary_bomb_refused(void **state)
{
	(void)state;
	size_t big = 1u << 20;
	uint8_t *dict = calloc(1, 4 + big);
	dict[2] = 0x10;    /* length 1 MiB, little-endian */
	textbuf pages = TEXTBUF_INIT;
	pq_page_header dh = {.type = PQ_PAGE_DICTIONARY, .num_values = 1, .encoding = PQ_ENC_PLAIN};
	put_page(&pages, dh, dict, 4 + big);
	size_t dict_len = pages.len;
	const uint8_t data[] = {0x01, 0xa0, 0x1f, 0x00};   /* width 1, a run of 2000 zeros */
	pq_page_header h = {.type = PQ_PAGE_DATA, .num_values = 2000, .encoding = PQ_ENC_RLE_DICTIONARY,
			    .def_encoding = PQ_ENC_RLE, .rep_encoding = PQ_ENC_RLE};
	put_page(&pages, h, data, sizeof data);
	pq_schema leaf = leaf_schema("s", FMT_PQ_BYTE_ARRAY, PQ_REQUIRED);
	size_t len;
	uint8_t *b = one_column_file(&leaf, &pages, 2000, dict_len, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "more than 1073741824 bytes of strings in one column chunk"));
	free(b);
	free(dict);
	textbuf_free(&pages);
}

/* Files of old writers carry only the deprecated min/max: they are read,
 * and marked so; min_value/max_value are not marked. */
static void test_deprecated_min_max(void **state)
{
	(void)state;
	textbuf footer = TEXTBUF_INIT;
	one_chunk_footer(&footer, 0, 0);
	pq_footer f;
	char msg[256];
	assert_int_equal(pq_footer_decode((const uint8_t *)footer.data, footer.len, &f, msg, sizeof msg), 0);
	fmt_parquet_stats *st = &f.rowgroups[0].chunks[0].stats;
	const uint8_t lo[8] = {1}, hi[8] = {9};
	*st = (fmt_parquet_stats){.has_min = true, .has_max = true, .min = lo, .max = hi, .min_len = 8,
				  .max_len = 8, .min_max_deprecated = true, .has_null_count = true};
	textbuf_reset(&footer);
	pq_footer_encode(&f, &footer);
	pq_footer g;
	assert_int_equal(pq_footer_decode((const uint8_t *)footer.data, footer.len, &g, msg, sizeof msg), 0);
	const fmt_parquet_stats *gs = &g.rowgroups[0].chunks[0].stats;
	assert_true(gs->has_min && gs->has_max && gs->min_max_deprecated);
	assert_int_equal(gs->min[0], 1);
	assert_int_equal(gs->max[0], 9);
	assert_int_equal(gs->null_count, 0);
	pq_footer_free(&g);
	st->min_max_deprecated = false;
	textbuf_reset(&footer);
	pq_footer_encode(&f, &footer);
	assert_int_equal(pq_footer_decode((const uint8_t *)footer.data, footer.len, &g, msg, sizeof msg), 0);
	assert_false(g.rowgroups[0].chunks[0].stats.min_max_deprecated);
	assert_int_equal(g.rowgroups[0].chunks[0].stats.max[0], 9);
	pq_footer_free(&g);
	/* the statistics pointed into FOOTER's old bytes: no free of them */
	memset(st, 0, sizeof *st);
	pq_footer_free(&f);
	textbuf_free(&footer);
}

static void test_page_size_past_the_file(void **state)
{
	(void)state;
	textbuf page = TEXTBUF_INIT, footer = TEXTBUF_INIT;
	pq_page_header h = {.type = PQ_PAGE_DATA, .uncompressed_size = 1234567, .compressed_size = 1234567,
			    .num_values = 3, .encoding = PQ_ENC_PLAIN, .def_encoding = PQ_ENC_RLE,
			    .rep_encoding = PQ_ENC_RLE};
	pq_page_header_encode(&h, &page);
	textbuf_append(&page, "\0\0\0\0\0\0\0\0", 8);
	one_chunk_footer(&footer, (int64_t)page.len, 3);
	size_t len;
	uint8_t *b = wrap_file(page.data, page.len, footer.data, footer.len, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_string_equal(err.msg, "x.parquet: column 'price': page size 1234567 past the end of the file");
	free(b);

	/* a chunk claimed larger than the file's data */
	textbuf_reset(&footer);
	one_chunk_footer(&footer, 1 << 20, 3);
	b = wrap_file(page.data, page.len, footer.data, footer.len, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "past the end of the file's data"));
	free(b);

	/* a page of more values than its chunk */
	textbuf_reset(&page);
	textbuf_reset(&footer);
	h.num_values = 1000000;
	h.uncompressed_size = h.compressed_size = 8;
	pq_page_header_encode(&h, &page);
	textbuf_append(&page, "\x02\0\0\0\x03\0\0\0", 8);
	one_chunk_footer(&footer, (int64_t)page.len, 3);
	b = wrap_file(page.data, page.len, footer.data, footer.len, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "page of 1000000 values where 3 are left"));
	free(b);

	/* definition levels (a run of 3 defined) claiming 3 values in 8 bytes of
	 * page: the values are not there */
	textbuf_reset(&page);
	textbuf_reset(&footer);
	h.num_values = 3;
	h.uncompressed_size = h.compressed_size = 7;
	pq_page_header_encode(&h, &page);
	textbuf_append(&page, "\x02\0\0\0\x06\x01\x00", 7);
	one_chunk_footer(&footer, (int64_t)page.len, 3);
	b = wrap_file(page.data, page.len, footer.data, footer.len, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "3 values of 8 bytes in 1 bytes"));
	free(b);
	textbuf_free(&page);
	textbuf_free(&footer);
}

static void test_absurd_counts_in_footer(void **state)
{
	(void)state;
	/* version 1, then schema: a list of structs claiming 2^40 elements */
	const uint8_t f1[] = {0x15, 0x02, 0x19, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00};
	size_t len;
	uint8_t *b = wrap_file("", 0, f1, sizeof f1, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "thrift list of 1099511627776 elements"));
	free(b);

	/* a string claiming 2^31 bytes */
	const uint8_t f2[] = {0x15, 0x02, 0x68, 0x80, 0x80, 0x80, 0x80, 0x08, 'x', 0x00};
	b = wrap_file("", 0, f2, sizeof f2, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "thrift binary of 2147483648 bytes"));
	free(b);

	/* a varint that never ends */
	uint8_t f3[40];
	f3[0] = 0x16;
	memset(f3 + 1, 0xff, sizeof f3 - 1);
	b = wrap_file("", 0, f3, sizeof f3, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "varint"));
	free(b);

	/* a map of 2^40 entries in an unknown field */
	const uint8_t f4[] = {0x15, 0x02, 0xbb, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x55, 0x00};
	b = wrap_file("", 0, f4, sizeof f4, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "thrift map"));
	free(b);
}

static void test_deep_nesting_in_thrift(void **state)
{
	(void)state;
	/* field 10 (unknown to FileMetaData) a struct whose field 1 is a struct ...
	 * 10000 deep: skipped, but not without a bound */
	size_t depth = 10000;
	uint8_t *f = malloc(depth + 16);
	size_t n = 0;
	f[n++] = 0x15;
	f[n++] = 0x02;
	f[n++] = 0x9c;      /* delta 9 -> id 10, struct */
	for (size_t i = 0; i < depth; i++)
		f[n++] = 0x1c;  /* field 1, struct */
	size_t len;
	uint8_t *b = wrap_file("", 0, f, n, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nesting deeper than"));
	free(b);

	/* and lists of lists */
	n = 0;
	f[n++] = 0x15;
	f[n++] = 0x02;
	f[n++] = 0x99;      /* field 10, list */
	for (size_t i = 0; i < depth; i++)
		f[n++] = 0x19;  /* one element, a list */
	b = wrap_file("", 0, f, n, &len);
	assert_int_equal(read_all(b, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "nesting deeper than"));
	free(b);
	free(f);
}

/* Nested schemas are refused naming the column. */
static void test_nested_schema_refused(void **state)
{
	(void)state;
	pq_schema s[3];
	memset(s, 0, sizeof s);
	for (int i = 0; i < 3; i++) {
		s[i].type_length = s[i].converted = s[i].scale = s[i].precision = s[i].field_id = -1;
		s[i].repetition = s[i].num_children = s[i].physical = -1;
	}
	s[0].name = (char *)"schema";
	s[0].num_children = 1;
	s[1].name = (char *)"tags";
	s[1].repetition = PQ_OPTIONAL;
	s[1].num_children = 1;
	s[2].name = (char *)"element";
	s[2].physical = FMT_PQ_BYTE_ARRAY;
	s[2].repetition = PQ_REPEATED;
	pq_footer f = {.version = 1, .schema = s, .nschema = 3, .num_rows = 0};
	textbuf t = TEXTBUF_INIT;
	pq_footer_encode(&f, &t);
	size_t len;
	uint8_t *b = wrap_file("", 0, t.data, t.len, &len);
	fmt_error err;
	assert_int_equal(read_all(b, len, &err), -ENOTSUP);
	assert_string_equal(err.msg, "x.parquet: column 'tags' is nested (a group), metafs reads flat files only");
	free(b);
	/* two flat children, the second repeated */
	s[0].num_children = 2;
	s[1].num_children = -1;
	s[1].physical = FMT_PQ_INT32;
	textbuf_reset(&t);
	pq_footer_encode(&f, &t);
	b = wrap_file("", 0, t.data, t.len, &len);
	assert_int_equal(read_all(b, len, &err), -ENOTSUP);
	assert_string_equal(err.msg, "x.parquet: column 'element' is repeated, metafs reads flat files only");
	free(b);
	textbuf_free(&t);
}

/* Every single-byte change of a small file opens and reads, or fails with a
 * message: never a crash (the sanitizer build checks the memory accesses). */
static void test_corrupted_bytes_never_crash(void **state)
{
	(void)state;
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	o.row_group_rows = 16;
	o.page_bytes = 64;
	for (int codec = 0; codec < 3; codec++) {
		o.codec = codec == 0 ? FMT_PQ_SNAPPY : codec == 1 ? FMT_PQ_UNCOMPRESSED : FMT_PQ_ZSTD;
		int fd = sample_file(40, 40, &o);
		size_t len;
		uint8_t *b = fd_bytes(fd, &len);
		uint8_t *c = malloc(len);
		for (size_t i = 0; i < len; i++) {
			static const uint8_t flips[] = {0xff, 0x01, 0x80};
			for (size_t k = 0; k < sizeof flips; k++) {
				memcpy(c, b, len);
				c[i] ^= flips[k];
				fmt_error err = {{0}};
				int rc = read_all(c, len, &err);
				if (rc)
					assert_true(err.msg[0] != 0);
			}
		}
		free(c);
		free(b);
		close(fd);
	}
}

/* ---- files DuckDB wrote ---- */

static const char *srcdir(void)
{
	const char *d = getenv("METAFS_TEST_SRCDIR");
	return d ? d : ".";
}

/*
 * The fixtures hold, for i in 0 .. n-1 (see duckdb_fixtures.mjs):
 *   id BIGINT = i; d DOUBLE = i * 1.5 (NULL when i % 5 = 0);
 *   s VARCHAR = 'name' || (i % 13) (NULL when i % 7 = 0);
 *   b BOOLEAN = i % 2 = 0; dt DATE = 2024-01-01 + i days;
 *   ts TIMESTAMP = 2024-01-01 00:00:00 + i seconds (NULL when i % 11 = 0);
 *   dec9 DECIMAL(9,2) = i * 3.25; dec18 DECIMAL(18,3) = i * 1000.125;
 *   dec38 DECIMAL(38,4) = i * 12345678901.5 (NULL when i % 3 = 0);
 *   i32 INTEGER = i - 500; u VARCHAR = 'user-' || (i * 7919).
 */
static void check_duckdb_file(const char *file, size_t nrows, size_t min_groups)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/parquet/%s", srcdir(), file);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("cannot open %s", path);
	fmt_parquet *p;
	fmt_error err = {{0}};
	if (fmt_parquet_open_fd(fd, file, &p, &err))
		fail_msg("%s", err.msg);
	close(fd);
	assert_int_equal(fmt_parquet_nrows(p), (int64_t)nrows);
	assert_true(fmt_parquet_nrowgroups(p) >= min_groups);
	assert_non_null(strstr(fmt_parquet_created_by(p), "DuckDB"));
	static const char *names[] = {"id", "d", "s", "b", "dt", "ts", "dec9", "dec18", "dec38", "i32", "u"};
	const store_type types[] = {STORE_TYPE_BIGINT, STORE_TYPE_DOUBLE, STORE_TYPE_STRING,
				    STORE_TYPE_BOOLEAN, STORE_TYPE_DATE, STORE_TYPE_TIMESTAMP,
				    store_type_decimal(9, 2), store_type_decimal(18, 3),
				    store_type_decimal(38, 4), STORE_TYPE_BIGINT, STORE_TYPE_STRING};
	assert_int_equal(fmt_parquet_ncolumns(p), 11);
	int64_t day0 = base_date_to_days(2024, 1, 1);
	for (size_t c = 0; c < 11; c++) {
		const fmt_parquet_column *col = fmt_parquet_column_at(p, c);
		assert_string_equal(col->name, names[c]);
		assert_int_equal(col->type, types[c]);
		fmt_vector v;
		fmt_vector_init(&v, col->type);
		for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++)
			if (fmt_parquet_read_column(p, g, c, &v, &err))
				fail_msg("%s", err.msg);
		assert_int_equal(v.n, nrows);
		for (size_t i = 0; i < nrows; i++) {
			bool null = (c == 1 && i % 5 == 0) || (c == 2 && i % 7 == 0) || (c == 5 && i % 11 == 0) ||
				    (c == 8 && i % 3 == 0);
			if (null) {
				if (!v.nulls[i])
					fail_msg("%s: %s row %zu is not NULL", file, names[c], i);
				continue;
			}
			if (v.nulls[i])
				fail_msg("%s: %s row %zu is NULL", file, names[c], i);
			char buf[32];
			size_t sl;
			const char *s;
			switch (c) {
			case 0: assert_int_equal(v.v.i64[i], (int64_t)i); break;
			case 1: assert_true(v.v.f64[i] == (double)i * 1.5); break;
			case 2:
				snprintf(buf, sizeof buf, "name%zu", i % 13);
				s = fmt_vector_str(&v, i, &sl);
				assert_int_equal(sl, strlen(buf));
				assert_memory_equal(s, buf, sl);
				break;
			case 3: assert_int_equal(v.v.b[i], i % 2 == 0); break;
			case 4: assert_int_equal(v.v.i64[i], day0 + (int64_t)i); break;
			case 5: assert_int_equal(v.v.i64[i], day0 * 86400000000 + (int64_t)i * 1000000); break;
			case 6: assert_true(v.v.dec[i] == (fmt_int128)i * 325); break;
			case 7: assert_true(v.v.dec[i] == (fmt_int128)i * 1000125); break;
			case 8: assert_true(v.v.dec[i] == (fmt_int128)i * 123456789015000); break;
			case 9: assert_int_equal(v.v.i64[i], (int64_t)i - 500); break;
			case 10:
				snprintf(buf, sizeof buf, "user-%zu", i * 7919);
				s = fmt_vector_str(&v, i, &sl);
				assert_int_equal(sl, strlen(buf));
				assert_memory_equal(s, buf, sl);
				break;
			}
		}
		fmt_vector_free(&v);
	}
	fmt_parquet_close(p);
}

static void test_duckdb_default(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_default.parquet", 120, 1);
}

/* DuckDB's footer statistics decode to the values it wrote. */
static void test_duckdb_statistics(void **state)
{
	(void)state;
	char path[4096];
	snprintf(path, sizeof path, "%s/parquet/duckdb_default.parquet", srcdir());
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	fmt_parquet *p = open_fd_ok(fd);
	close(fd);
	const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, 0);
	struct {
		size_t col;
		int64_t nulls;
	} want[] = {{0, 0}, {1, 24}, {2, 18}, {5, 11}, {8, 40}};
	for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
		const fmt_parquet_stats *st = &rg->chunks[want[k].col].stats;
		assert_true(st->has_null_count);
		assert_int_equal(st->null_count, want[k].nulls);
		assert_true(st->has_min && st->has_max);
		assert_false(st->min_max_deprecated);
	}
	fmt_vector v;
	const fmt_parquet_column *c = fmt_parquet_column_at(p, 0);
	fmt_vector_init(&v, c->type);
	assert_int_equal(fmt_parquet_stat_decode(c, rg->chunks[0].stats.min, rg->chunks[0].stats.min_len, &v), 0);
	assert_int_equal(fmt_parquet_stat_decode(c, rg->chunks[0].stats.max, rg->chunks[0].stats.max_len, &v), 0);
	assert_int_equal(v.v.i64[0], 0);
	assert_int_equal(v.v.i64[1], 119);
	fmt_vector_free(&v);
	c = fmt_parquet_column_at(p, 8);
	fmt_vector_init(&v, c->type);
	assert_int_equal(fmt_parquet_stat_decode(c, rg->chunks[8].stats.min, rg->chunks[8].stats.min_len, &v), 0);
	assert_int_equal(fmt_parquet_stat_decode(c, rg->chunks[8].stats.max, rg->chunks[8].stats.max_len, &v), 0);
	assert_true(v.v.dec[0] == (fmt_int128)1 * 123456789015000);
	assert_true(v.v.dec[1] == (fmt_int128)119 * 123456789015000);
	fmt_vector_free(&v);
	fmt_parquet_close(p);
}

static void test_duckdb_uncompressed(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_uncompressed.parquet", 120, 1);
}

static void test_duckdb_gzip(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_gzip.parquet", 120, 1);
}

static void test_duckdb_zstd(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_zstd.parquet", 120, 1);
}

static void test_duckdb_small_row_groups(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_row_groups.parquet", 120, 3);
}

static void test_duckdb_v2_pages_and_delta_encodings(void **state)
{
	(void)state;
	check_duckdb_file("duckdb_v2.parquet", 120, 1);
	/* the file is what this test means to cover: delta and
	 * byte-stream-split encodings (DuckDB writes them in v1 pages) */
	char path[4096];
	snprintf(path, sizeof path, "%s/parquet/duckdb_v2.parquet", srcdir());
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	fmt_parquet *p = open_fd_ok(fd);
	const fmt_parquet_rowgroup *rg = fmt_parquet_rowgroup_at(p, 0);
	assert_true(rg->chunks[0].encodings & (1u << PQ_ENC_DELTA_BINARY_PACKED));
	assert_true(rg->chunks[1].encodings & (1u << PQ_ENC_BYTE_STREAM_SPLIT));
	assert_true(rg->chunks[10].encodings & (1u << PQ_ENC_DELTA_LENGTH_BYTE_ARRAY));
	size_t len;
	uint8_t *b = fd_bytes(fd, &len);
	pq_page_header h;
	size_t used;
	char msg[256];
	int64_t off = rg->chunks[0].data_page_offset;
	assert_int_equal(pq_page_header_decode(b + off, len - (size_t)off, &h, &used, msg, sizeof msg), 0);
	assert_int_equal(h.encoding, PQ_ENC_DELTA_BINARY_PACKED);
	free(b);
	fmt_parquet_close(p);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_uncompressed),
		cmocka_unit_test(test_round_trip_snappy),
		cmocka_unit_test(test_round_trip_gzip),
		cmocka_unit_test(test_round_trip_zstd),
		cmocka_unit_test(test_round_trip_data_page_v2),
		cmocka_unit_test(test_pages_read_one_at_a_time),
		cmocka_unit_test(test_dictionary_never_and_always),
		cmocka_unit_test(test_row_groups_by_bytes),
		cmocka_unit_test(test_schema_maps_types_like_spark),
		cmocka_unit_test(test_statistics_in_footer),
		cmocka_unit_test(test_check_schema_against_table),
		cmocka_unit_test(test_all_nulls_and_one_row),
		cmocka_unit_test(test_writer_refuses_out_of_range),
		cmocka_unit_test(test_write_errors_reported),
		cmocka_unit_test(test_truncated_files_are_errors),
		cmocka_unit_test(test_bad_magic_and_footer_length),
		cmocka_unit_test(test_delta_byte_array_strings),
		cmocka_unit_test(test_delta_binary_packed_wide_deltas),
		cmocka_unit_test(test_int96_timestamps),
		cmocka_unit_test(test_timestamp_units_and_unsigned),
		cmocka_unit_test(test_bit_packed_levels_and_plain_dictionary),
		cmocka_unit_test(test_dictionary_bomb_refused),
		cmocka_unit_test(test_deprecated_min_max),
		cmocka_unit_test(test_page_size_past_the_file),
		cmocka_unit_test(test_absurd_counts_in_footer),
		cmocka_unit_test(test_deep_nesting_in_thrift),
		cmocka_unit_test(test_nested_schema_refused),
		cmocka_unit_test(test_corrupted_bytes_never_crash),
		cmocka_unit_test(test_duckdb_default),
		cmocka_unit_test(test_duckdb_statistics),
		cmocka_unit_test(test_duckdb_uncompressed),
		cmocka_unit_test(test_duckdb_gzip),
		cmocka_unit_test(test_duckdb_zstd),
		cmocka_unit_test(test_duckdb_small_row_groups),
		cmocka_unit_test(test_duckdb_v2_pages_and_delta_encodings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
