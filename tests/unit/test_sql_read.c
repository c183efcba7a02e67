/*
 * test_sql_read.c - the data file readers: CSV edge cases (quotes, embedded
 * newlines, "" escapes, headers, CRLF, NULLs), JSON Lines, partition values,
 * and malformed rows failing with file and line or being skipped and counted.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sql_engine_fixture.h"

struct rfx {
	char dir[PATH_MAX];
	char path[PATH_MAX + 16];
	sql_scan scan;
	sql_type types[8];
	const char *names[8];
	uint32_t columns[8];
	sql_progress progress;
	sql_exec_ctx ctx;
	char logged[16][512];
	int nlogged;
};

static void rfx_log(void *ctx, const char *line)
{
	struct rfx *r = ctx;

	if (r->nlogged < 16)
		snprintf(r->logged[r->nlogged], sizeof r->logged[0], "%s", line);
	r->nlogged++;
}

static int setup(void **state)
{
	struct rfx *r = calloc(1, sizeof *r);

	if (!r || testdir_make(r->dir))
		return -1;
	r->ctx.progress = &r->progress;
	r->ctx.log = rfx_log;
	r->ctx.log_ctx = r;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rfx *r = *state;

	testdir_remove(r->dir);
	free(r);
	return 0;
}

/* Data columns "id bigint, name string, amount double", then partition
 * keys as given (names "dt", "hour"); the scan outputs every column. */
static void rfx_scan(struct rfx *r, store_format format, bool header, uint32_t npartkeys)
{
	static const char *const names[] = {"id", "name", "amount", "dt", "hour"};
	static const sql_type types[] = {SQL_TYPE_BIGINT, SQL_TYPE_STRING, SQL_TYPE_DOUBLE,
					 SQL_TYPE_DATE, SQL_TYPE_BIGINT};

	memset(&r->scan, 0, sizeof r->scan);
	r->scan.format = format;
	r->scan.header = header;
	r->scan.ncolumns = 3;
	r->scan.npartkeys = npartkeys;
	r->scan.types = r->types;
	r->scan.names = r->names;
	r->scan.columns = r->columns;
	r->scan.nout = 3 + npartkeys;
	r->scan.db = "sales";
	r->scan.table = "orders";
	for (uint32_t i = 0; i < r->scan.nout; i++) {
		r->types[i] = types[i];
		r->names[i] = names[i];
		r->columns[i] = i;
	}
}

static void rfx_file(struct rfx *r, const char *name, const char *content)
{
	snprintf(r->path, sizeof r->path, "%s/%s", r->dir, name);
	assert_int_equal(fx_write(r->path, content), 0);
}

/* Read the whole file into rows of text; returns the reader's final code. */
static int rfx_read(struct rfx *r, const char *const *partvals, fx_rows *rows, sql_error *err)
{
	sql_reader *rd = NULL;
	const sql_value *row;
	int rc = sql_reader_open(&r->ctx, &r->scan, r->path, partvals, &rd, err);

	if (rc)
		return rc;
	while ((rc = sql_reader_next(rd, &row, err)) == 0)
		fx_rows_add(rows, row, r->scan.nout);
	sql_reader_close(rd);
	return rc == 1 ? 0 : rc;
}

static void test_csv_reads_typed_columns(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "a.csv", "1,east,2.5\n-2,west,10\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.rows[0], "1|east|2.5");
	assert_string_equal(rows.rows[1], "-2|west|10.0");
	fx_rows_free(&rows);
}

static void test_csv_quoted_fields_hold_commas_newlines_and_quotes(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "q.csv", "1,\"a,b\",1\n2,\"line one\nline two\",2\n3,\"say \"\"hi\"\"\",3\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 3);
	assert_string_equal(rows.rows[0], "1|a,b|1.0");
	assert_string_equal(rows.rows[1], "2|line one\nline two|2.0");
	assert_string_equal(rows.rows[2], "3|say \"hi\"|3.0");
	fx_rows_free(&rows);
}

static void test_csv_empty_unquoted_field_is_null_and_quoted_empty_is_empty(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "n.csv", ",,\n4,\"\",\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.rows[0], "NULL|NULL|NULL");
	assert_string_equal(rows.rows[1], "4||NULL");
	fx_rows_free(&rows);
}

static void test_csv_header_is_skipped_and_blank_lines_are_not_rows(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, true, 0);
	rfx_file(r, "h.csv", "id,name,amount\r\n\r\n5,north,1.5\r\n\n6,south,2\r\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.rows[0], "5|north|1.5");
	assert_string_equal(rows.rows[1], "6|south|2.0");
	fx_rows_free(&rows);
}

static void test_csv_last_line_without_newline_is_a_row(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "e.csv", "7,x,1");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.rows[0], "7|x|1.0");
	fx_rows_free(&rows);
}

static void test_malformed_value_fails_naming_file_line_and_column(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};
	char want[PATH_MAX + 128];

	rfx_scan(r, STORE_FORMAT_CSV, true, 0);
	/* The bad record starts on line 4: the header, a record spanning two lines, then it. */
	rfx_file(r, "bad.csv", "id,name,amount\n1,\"two\nlines\",1\n2,x,abc\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	snprintf(want, sizeof want, "malformed row at %s line 4: column \"amount\": \"abc\" is not a double",
		 r->path);
	assert_string_equal(err.message, want);
	assert_int_equal(rows.n, 1);
	fx_rows_free(&rows);
}

static void test_wrong_field_count_is_malformed(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "short.csv", "1,a,1\n2,b\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "line 2: expected 3 fields, found 2"));
	fx_rows_free(&rows);
}

static void test_unterminated_quote_is_malformed(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	rfx_file(r, "open.csv", "1,a,1\n2,\"never closed,3\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "line 2: unterminated quoted field"));
	fx_rows_free(&rows);
}

static void test_skip_mode_counts_bad_rows_and_logs_the_first_ten(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};
	textbuf content = TEXTBUF_INIT;

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	r->ctx.bad_rows = SQL_BAD_ROWS_SKIP;
	for (int i = 0; i < 12; i++)
		textbuf_printf(&content, "%d,ok,%d\nx%d,bad,1\n", i, i, i);
	rfx_file(r, "mixed.csv", content.data);
	textbuf_free(&content);
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 12);
	assert_int_equal(r->progress.rows_skipped, 12);
	assert_int_equal(r->nlogged, 10);
	assert_non_null(strstr(r->logged[0], "line 2: column \"id\": \"x0\" is not a bigint"));
	fx_rows_free(&rows);
}

static void test_partition_columns_come_from_the_partition_values(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};
	const char *const values[] = {"2024-05-01", "__HIVE_DEFAULT_PARTITION__"};

	rfx_scan(r, STORE_FORMAT_CSV, false, 2);
	rfx_file(r, "p.csv", "1,a,1\n");
	assert_int_equal(rfx_read(r, values, &rows, &err), 0);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.rows[0], "1|a|1.0|2024-05-01|NULL");
	fx_rows_free(&rows);
}

static void test_pruned_scan_parses_only_its_columns(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	/* Output only "name": a bad amount in an unread column does not matter. */
	r->columns[0] = 1;
	r->scan.nout = 1;
	rfx_file(r, "wide.csv", "1,a,notanumber\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.rows[0], "a");
	fx_rows_free(&rows);
}

static void test_jsonl_reads_objects_with_missing_keys_as_null(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_JSONL, false, 0);
	rfx_file(r, "a.jsonl",
		 "{\"id\": 1, \"name\": \"east\", \"amount\": 2}\n\n{\"name\": null, \"id\": 2}\n"
		 "{\"id\":3,\"name\":\"x\\ny\",\"amount\":\"NaN\",\"extra\":[1]}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 3);
	assert_string_equal(rows.rows[0], "1|east|2.0");
	assert_string_equal(rows.rows[1], "2|NULL|NULL");
	assert_string_equal(rows.rows[2], "3|x\ny|NaN");
	fx_rows_free(&rows);
}

static void test_jsonl_wrong_type_is_malformed(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_JSONL, false, 0);
	rfx_file(r, "b.jsonl", "{\"id\": 1}\n{\"id\": 2.5}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "b.jsonl line 2: column \"id\": 2.5 is not a bigint"));
	fx_rows_free(&rows);
}

static void test_jsonl_line_that_is_not_an_object_is_malformed(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_JSONL, false, 0);
	r->ctx.bad_rows = SQL_BAD_ROWS_SKIP;
	rfx_file(r, "c.jsonl", "[1,2]\n{\"id\": 5}\n{broken\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 1);
	assert_string_equal(rows.rows[0], "5|NULL|NULL");
	assert_int_equal(r->progress.rows_skipped, 2);
	fx_rows_free(&rows);
}

static void test_empty_file_has_no_rows(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, true, 0);
	rfx_file(r, "empty.csv", "");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 0);
}

static void test_missing_file_is_an_error_naming_it(void **state)
{
	struct rfx *r = *state;
	sql_reader *rd = NULL;
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_CSV, false, 0);
	assert_int_equal(sql_reader_open(&r->ctx, &r->scan, "/nonexistent/x.csv", NULL, &rd, &err),
			 -ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent/x.csv"));
}

/* The check mkdir makes: a partition value is one the engine reads as a value
 * of its key's type, not as NULL. */
static void test_partition_value_check_follows_the_engine(void **state)
{
	(void)state;
	assert_int_equal(sql_partition_value_check("2024-05-01", STORE_TYPE_DATE), 0);
	assert_int_equal(sql_partition_value_check("notadate", STORE_TYPE_DATE), -EINVAL);
	assert_int_equal(sql_partition_value_check("2024-02-30", STORE_TYPE_DATE), -EINVAL);
	assert_int_equal(sql_partition_value_check("-12", STORE_TYPE_BIGINT), 0);
	assert_int_equal(sql_partition_value_check("12x", STORE_TYPE_BIGINT), -EINVAL);
	assert_int_equal(sql_partition_value_check("yes", STORE_TYPE_BOOLEAN), 0);
	assert_int_equal(sql_partition_value_check("maybe", STORE_TYPE_BOOLEAN), -EINVAL);
	assert_int_equal(sql_partition_value_check("1.5e3", STORE_TYPE_DOUBLE), 0);
	assert_int_equal(sql_partition_value_check("0x10", STORE_TYPE_DOUBLE), -EINVAL);
	assert_int_equal(sql_partition_value_check("2024-05-01 10:00:00", STORE_TYPE_TIMESTAMP), 0);
	assert_int_equal(sql_partition_value_check("noon", STORE_TYPE_TIMESTAMP), -EINVAL);
	assert_int_equal(sql_partition_value_check("anything", STORE_TYPE_STRING), 0);
	assert_int_equal(sql_partition_value_check("__HIVE_DEFAULT_PARTITION__", STORE_TYPE_DATE), 0);
}

/* ---- decimals ------------------------------------------------------------------------ */

/* The amount column as decimal(P,S). */
static void rfx_decimal_amount(struct rfx *r, store_format format, unsigned p, unsigned s)
{
	rfx_scan(r, format, false, 0);
	r->types[2] = sql_type_decimal(p, s);
}

static void test_csv_decimals_are_read_exactly_and_rounded_half_up(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_decimal_amount(r, STORE_FORMAT_CSV, 15, 2);
	rfx_file(r, "d.csv", "1,a,0.1\n2,b,1234567890123.45\n3,c,-0.005\n4,d,7\n5,e,\n6,f,1.5E2\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 6);
	assert_string_equal(rows.rows[0], "1|a|0.10");
	assert_string_equal(rows.rows[1], "2|b|1234567890123.45");
	assert_string_equal(rows.rows[2], "3|c|-0.01");
	assert_string_equal(rows.rows[3], "4|d|7.00");
	assert_string_equal(rows.rows[4], "5|e|NULL");
	assert_string_equal(rows.rows[5], "6|f|150.00");
	/* More digits than a double holds, kept: no detour through double. */
	fx_rows_free(&rows);
	r->types[2] = sql_type_decimal(38, 2);
	rfx_file(r, "d.csv", "7,g,9007199254740993.01\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_string_equal(rows.rows[0], "7|g|9007199254740993.01");
	fx_rows_free(&rows);
}

static void test_csv_decimal_too_wide_or_not_a_number_is_malformed(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_decimal_amount(r, STORE_FORMAT_CSV, 4, 2);
	rfx_file(r, "e.csv", "1,a,99.99\n2,b,100.00\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "e.csv line 2: column \"amount\": \"100.00\" is not a "
					    "decimal(4,2)"));
	fx_rows_free(&rows);
	rfx_file(r, "e.csv", "1,a,1.2.3\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	fx_rows_free(&rows);
	rfx_file(r, "e.csv", "1,a, 1.5\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	fx_rows_free(&rows);
}

static void test_jsonl_decimals_come_from_the_number_text(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_decimal_amount(r, STORE_FORMAT_JSONL, 38, 18);
	rfx_file(r, "d.jsonl",
		 "{\"id\": 1, \"amount\": 0.1}\n"
		 "{\"amount\": 12345678901234567890.123456789012345678, \"id\": 2}\n"
		 "{\"id\": 3, \"name\": \"amount\", \"amount\" : \"-2.5\"}\n"
		 "{\"id\": 4, \"amount\": 7, \"x\": {\"amount\": 1}}\n"
		 "{\"id\": 5, \"amount\": null}\n"
		 "{\"id\": 6, \"amount\": 1e-3}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 6);
	assert_string_equal(rows.rows[0], "1|NULL|0.100000000000000000");
	assert_string_equal(rows.rows[1], "2|NULL|12345678901234567890.123456789012345678");
	assert_string_equal(rows.rows[2], "3|amount|-2.500000000000000000");
	assert_string_equal(rows.rows[3], "4|NULL|7.000000000000000000");
	assert_string_equal(rows.rows[4], "5|NULL|NULL");
	assert_string_equal(rows.rows[5], "6|NULL|0.001000000000000000");
	fx_rows_free(&rows);
	rfx_file(r, "e.jsonl", "{\"id\": 1, \"amount\": true}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	fx_rows_free(&rows);
}

static void test_jsonl_decimal_beyond_64_bits_is_read_with_the_other_integers(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_decimal_amount(r, STORE_FORMAT_JSONL, 38, 0);
	rfx_file(r, "g.jsonl",
		 "{\"id\": 9223372036854775807, \"amount\": 99999999999999999999999999999999999999}\n"
		 "{\"id\": -3, \"amount\": -12345678901234567890}\n");
	if (rfx_read(r, NULL, &rows, &err))
		fail_msg("%s", err.message);
	assert_int_equal(rows.n, 2);
	assert_string_equal(rows.rows[0], "9223372036854775807|NULL|99999999999999999999999999999999999999");
	assert_string_equal(rows.rows[1], "-3|NULL|-12345678901234567890");
	fx_rows_free(&rows);
	/* A bigint column still refuses a number that is not a 64-bit integer. */
	rfx_file(r, "h.jsonl", "{\"id\": 9223372036854775808, \"amount\": 1}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	fx_rows_free(&rows);
	rfx_file(r, "h.jsonl", "{\"id\": 1.0, \"amount\": 99999999999999999999}\n");
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	fx_rows_free(&rows);
}

static void test_decimal_partition_values(void **state)
{
	(void)state;
	assert_int_equal(sql_partition_value_check("12.50", store_type_decimal(4, 2)), 0);
	assert_int_equal(sql_partition_value_check("123.5", store_type_decimal(4, 2)), -EINVAL);
	assert_int_equal(sql_partition_value_check("x", store_type_decimal(4, 2)), -EINVAL);
}

/* ---- Parquet ---------------------------------------------------------------------- */

#include "fmt_parquet.h"

#include <fcntl.h>
#include <sys/stat.h>

/* Write R->path as a Parquet file of the rfx_scan columns (id bigint, name
 * string, amount double): N rows, id i, name "n<i>" (NULL when i % 7 == 3),
 * amount i / 2 (NULL when i % 5 == 4), in row groups of GROUP rows. */
static void rfx_parquet(struct rfx *r, const char *name, int n, uint64_t group)
{
	store_column cols[3] = {{"id", STORE_TYPE_BIGINT}, {"name", STORE_TYPE_STRING},
				{"amount", STORE_TYPE_DOUBLE}};
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	fmt_parquet_writer *w = NULL;
	fmt_error ferr;
	fmt_vector v[3];
	char text[32];

	o.row_group_rows = group;
	snprintf(r->path, sizeof r->path, "%s/%s", r->dir, name);
	int fd = open(r->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fmt_parquet_writer_open(fd, name, cols, 3, &o, &w, &ferr), 0);
	for (int c = 0; c < 3; c++)
		fmt_vector_init(&v[c], cols[c].type);
	for (int i = 0; i < n; i++) {
		snprintf(text, sizeof text, "n%d", i);
		assert_int_equal(fmt_vector_push_i64(&v[0], i), 0);
		assert_int_equal(i % 7 == 3 ? fmt_vector_push_null(&v[1])
					    : fmt_vector_push_str(&v[1], text, strlen(text)), 0);
		assert_int_equal(i % 5 == 4 ? fmt_vector_push_null(&v[2])
					    : fmt_vector_push_f64(&v[2], i / 2.0), 0);
	}
	assert_int_equal(fmt_parquet_writer_append(w, v, &ferr), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &ferr), 0);
	close(fd);
	for (int c = 0; c < 3; c++)
		fmt_vector_free(&v[c]);
}

static void test_parquet_reads_typed_columns_nulls_and_partition_values(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};
	const char *const values[] = {"2024-05-01", "__HIVE_DEFAULT_PARTITION__"};

	rfx_scan(r, STORE_FORMAT_PARQUET, false, 2);
	rfx_parquet(r, "a.parquet", 5, 1000);
	assert_int_equal(rfx_read(r, values, &rows, &err), 0);
	assert_int_equal(rows.n, 5);
	assert_string_equal(rows.rows[0], "0|n0|0.0|2024-05-01|NULL");
	assert_string_equal(rows.rows[1], "1|n1|0.5|2024-05-01|NULL");
	assert_string_equal(rows.rows[3], "3|NULL|1.5|2024-05-01|NULL");
	assert_string_equal(rows.rows[4], "4|n4|NULL|2024-05-01|NULL");
	fx_rows_free(&rows);
}

static void test_parquet_pruned_scan_decodes_only_its_columns(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};
	fmt_parquet *pq = NULL;
	fmt_error ferr;

	rfx_scan(r, STORE_FORMAT_PARQUET, false, 0);
	rfx_parquet(r, "p.parquet", 50, 1000);
	/* Spoil the pages of column amount, leaving the footer as it was. */
	int fd = open(r->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fmt_parquet_open_fd(fd, r->path, &pq, &ferr), 0);
	const fmt_parquet_chunk *ch = &fmt_parquet_rowgroup_at(pq, 0)->chunks[2];
	int64_t start = ch->dictionary_page_offset >= 0 ? ch->dictionary_page_offset : ch->data_page_offset;
	size_t len = (size_t)ch->total_compressed_size;
	fmt_parquet_close(pq);
	char *junk = malloc(len);
	memset(junk, 0xff, len);
	assert_int_equal(pwrite(fd, junk, len, (off_t)start), (ssize_t)len);
	free(junk);
	close(fd);

	/* Output only "name": the spoilt column is never decoded. */
	r->columns[0] = 1;
	r->scan.nout = 1;
	assert_int_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_int_equal(rows.n, 50);
	assert_string_equal(rows.rows[2], "n2");
	fx_rows_free(&rows);
	/* Reading amount fails, naming the file and the column. */
	r->columns[0] = 2;
	assert_int_not_equal(rfx_read(r, NULL, &rows, &err), 0);
	assert_non_null(strstr(err.message, "p.parquet"));
	assert_non_null(strstr(err.message, "amount"));
	fx_rows_free(&rows);
}

/* Read R->path's row groups [FIRST, FIRST + COUNT) with the scan's filter:
 * the rows, the bytes consumed, the row groups read and skipped. */
static void rfx_read_groups(struct rfx *r, uint32_t first, uint32_t count, uint32_t *nrows,
			   uint64_t *bytes, uint64_t *read, uint64_t *skipped)
{
	sql_reader *rd = NULL;
	const sql_value *row;
	sql_error err = {0};
	int rc;

	assert_int_equal(sql_reader_open(&r->ctx, &r->scan, r->path, NULL, &rd, &err), 0);
	if (count)
		sql_reader_set_rowgroups(rd, first, count);
	*nrows = 0;
	while ((rc = sql_reader_next(rd, &row, &err)) == 0)
		(*nrows)++;
	assert_int_equal(rc, 1);
	*bytes = sql_reader_offset(rd);
	sql_reader_rowgroup_counts(rd, read, skipped);
	sql_reader_close(rd);
}

static void test_parquet_row_group_ranges_add_up_to_the_file(void **state)
{
	struct rfx *r = *state;
	sql_error err = {0};
	struct stat st;
	uint32_t groups = 0, n1, n2;
	uint64_t b1, b2, read, skipped;

	rfx_scan(r, STORE_FORMAT_PARQUET, false, 0);
	rfx_parquet(r, "g.parquet", 35, 10);
	assert_int_equal(sql_reader_parquet_rowgroups(&r->ctx, r->path, &groups, &err), 0);
	assert_int_equal(groups, 4);
	assert_int_equal(stat(r->path, &st), 0);
	rfx_read_groups(r, 0, 2, &n1, &b1, &read, &skipped);
	assert_int_equal(n1, 20);
	assert_int_equal(read, 2);
	rfx_read_groups(r, 2, 2, &n2, &b2, &read, &skipped);
	assert_int_equal(n2, 15);
	assert_int_equal(read, 2);
	assert_int_equal(b1 + b2, (uint64_t)st.st_size);
	rfx_read_groups(r, 0, 0, &n1, &b1, &read, &skipped);
	assert_int_equal(n1, 35);
	assert_int_equal(b1, (uint64_t)st.st_size);
}

static void test_parquet_statistics_skip_row_groups(void **state)
{
	struct rfx *r = *state;
	fx f = {0};
	uint32_t n;
	uint64_t bytes, read, skipped;

	f.a = sql_arena_new();
	rfx_scan(r, STORE_FORMAT_PARQUET, false, 0);
	rfx_parquet(r, "s.parquet", 35, 10);
	/* id > 25: groups 0-9 and 10-19 cannot hold one. */
	r->scan.data_filter = fx_bin(&f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(&f, 0, SQL_TYPE_BIGINT),
				     fx_big(&f, 25));
	rfx_read_groups(r, 0, 0, &n, &bytes, &read, &skipped);
	assert_int_equal(n, 15);
	assert_int_equal(read, 2);
	assert_int_equal(skipped, 2);
	/* 5 >= id (the literal on the left): only the first group. */
	r->scan.data_filter = fx_bin(&f, SQL_OP_GE, SQL_TYPE_BOOLEAN, fx_big(&f, 5),
				     fx_col(&f, 0, SQL_TYPE_BIGINT));
	rfx_read_groups(r, 0, 0, &n, &bytes, &read, &skipped);
	assert_int_equal(read, 1);
	assert_int_equal(skipped, 3);
	/* id = 12 OR name = 'n33': group 1 by id, groups 0 ("n0" to "n9" hold
	 * "n33" as strings) and 3 by name; only group 2 ("n20" to "n29") goes. */
	r->scan.data_filter = fx_bin(&f, SQL_OP_OR, SQL_TYPE_BOOLEAN,
				     fx_bin(&f, SQL_OP_EQ, SQL_TYPE_BOOLEAN, fx_col(&f, 0, SQL_TYPE_BIGINT),
					    fx_big(&f, 12)),
				     fx_bin(&f, SQL_OP_EQ, SQL_TYPE_BOOLEAN, fx_col(&f, 1, SQL_TYPE_STRING),
					    fx_str(&f, "n33")));
	rfx_read_groups(r, 0, 0, &n, &bytes, &read, &skipped);
	assert_int_equal(n, 25);
	assert_int_equal(read, 3);
	assert_int_equal(skipped, 1);
	/* amount < 100 holds in every group: nothing skipped. */
	r->scan.data_filter = fx_bin(&f, SQL_OP_LT, SQL_TYPE_BOOLEAN, fx_col(&f, 2, SQL_TYPE_DOUBLE),
				     fx_lit(&f, (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = 100}));
	rfx_read_groups(r, 0, 0, &n, &bytes, &read, &skipped);
	assert_int_equal(read, 4);
	assert_int_equal(skipped, 0);
	/* amount > 1000: NaN could be there, so a double's upper bound never skips. */
	r->scan.data_filter = fx_bin(&f, SQL_OP_GT, SQL_TYPE_BOOLEAN, fx_col(&f, 2, SQL_TYPE_DOUBLE),
				     fx_lit(&f, (sql_value){.type = SQL_TYPE_DOUBLE, .u.d = 1000}));
	rfx_read_groups(r, 0, 0, &n, &bytes, &read, &skipped);
	assert_int_equal(read, 4);
	sql_arena_free(f.a);
}

static void test_parquet_file_of_another_schema_is_refused_naming_the_column(void **state)
{
	struct rfx *r = *state;
	fx_rows rows = {0};
	sql_error err = {0};

	rfx_scan(r, STORE_FORMAT_PARQUET, false, 0);
	rfx_parquet(r, "m.parquet", 3, 1000);
	r->types[2] = SQL_TYPE_STRING;
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "sales.orders"));
	assert_non_null(strstr(err.message, "m.parquet"));
	assert_non_null(strstr(err.message, "column 'amount' is double, the table's is string"));
	r->types[2] = SQL_TYPE_DOUBLE;
	r->names[1] = "label";
	assert_int_equal(rfx_read(r, NULL, &rows, &err), -EINVAL);
	assert_non_null(strstr(err.message, "column 2 is 'name', the table's is 'label'"));
	fx_rows_free(&rows);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_csv_reads_typed_columns),
		cmocka_unit_test(test_partition_value_check_follows_the_engine),
		TEST(test_csv_quoted_fields_hold_commas_newlines_and_quotes),
		TEST(test_csv_empty_unquoted_field_is_null_and_quoted_empty_is_empty),
		TEST(test_csv_header_is_skipped_and_blank_lines_are_not_rows),
		TEST(test_csv_last_line_without_newline_is_a_row),
		TEST(test_malformed_value_fails_naming_file_line_and_column),
		TEST(test_wrong_field_count_is_malformed),
		TEST(test_unterminated_quote_is_malformed),
		TEST(test_skip_mode_counts_bad_rows_and_logs_the_first_ten),
		TEST(test_partition_columns_come_from_the_partition_values),
		TEST(test_pruned_scan_parses_only_its_columns),
		TEST(test_jsonl_reads_objects_with_missing_keys_as_null),
		TEST(test_jsonl_wrong_type_is_malformed),
		TEST(test_jsonl_line_that_is_not_an_object_is_malformed),
		TEST(test_empty_file_has_no_rows),
		TEST(test_missing_file_is_an_error_naming_it),
		TEST(test_csv_decimals_are_read_exactly_and_rounded_half_up),
		TEST(test_csv_decimal_too_wide_or_not_a_number_is_malformed),
		TEST(test_jsonl_decimals_come_from_the_number_text),
		TEST(test_jsonl_decimal_beyond_64_bits_is_read_with_the_other_integers),
		cmocka_unit_test(test_decimal_partition_values),
		TEST(test_parquet_reads_typed_columns_nulls_and_partition_values),
		TEST(test_parquet_pruned_scan_decodes_only_its_columns),
		TEST(test_parquet_row_group_ranges_add_up_to_the_file),
		TEST(test_parquet_statistics_skip_row_groups),
		TEST(test_parquet_file_of_another_schema_is_refused_naming_the_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
