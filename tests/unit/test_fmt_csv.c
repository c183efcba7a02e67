/*
 * test_fmt_csv.c - the CSV record splitter (fmt_csv.h), the record counts
 * fmt_file_scan() derives from it, and the field writer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "fmt_csv.h"
#include "fmt_scan.h"

/* The text of field I of the last record, unescaped. */
static char *field_text(const store_csv *c, uint32_t i)
{
	static char buf[256];
	const store_csv_field *f = &c->fields[i];
	textbuf b = TEXTBUF_INIT;

	if (f->escaped) {
		store_csv_unquote(c->data + f->off, f->len, &b);
		snprintf(buf, sizeof buf, "%.*s", (int)b.len, b.data ? b.data : "");
		textbuf_free(&b);
	} else {
		snprintf(buf, sizeof buf, "%.*s", (int)f->len, c->data + f->off);
	}
	return buf;
}

static void test_fields(void **state)
{
	(void)state;
	const char *d = "a,\"b,1\",,\"\"\r\n\n\r\n\"x\"\"y\",\"two\nlines\",z\nlast";
	store_csv_field f[4];
	store_csv c;
	uint32_t nf = 0;
	uint64_t line = 0;

	store_csv_init(&c, d, strlen(d), f, 4);
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(nf, 4);
	assert_int_equal(line, 1);
	assert_string_equal(field_text(&c, 0), "a");
	assert_false(f[0].quoted);
	assert_string_equal(field_text(&c, 1), "b,1");
	assert_true(f[1].quoted);
	assert_false(f[1].escaped);
	assert_int_equal(f[2].len, 0);
	assert_false(f[2].quoted);
	assert_int_equal(f[3].len, 0);
	assert_true(f[3].quoted);

	/* Blank lines (LF, CRLF) are skipped; "" is one quote; a newline in
	 * quotes is part of the field and counts as a line. */
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(line, 4);
	assert_int_equal(nf, 3);
	assert_true(f[0].escaped);
	assert_string_equal(field_text(&c, 0), "x\"y");
	size_t rawlen;
	const char *raw = store_csv_raw(&c, &f[0], &rawlen);
	assert_int_equal(rawlen, 6);
	assert_memory_equal(raw, "\"x\"\"y\"", 6);
	assert_string_equal(field_text(&c, 1), "two\nlines");
	assert_string_equal(field_text(&c, 2), "z");

	/* The last record needs no newline. */
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(line, 6);
	assert_int_equal(nf, 1);
	assert_string_equal(field_text(&c, 0), "last");
	assert_int_equal(store_csv_next(&c, &nf, &line), 1);
}

static void test_extra_fields_counted(void **state)
{
	(void)state;
	const char *d = "1,2,3,4,5\n";
	store_csv_field f[2];
	store_csv c;
	uint32_t nf = 0;
	uint64_t line = 0;

	store_csv_init(&c, d, strlen(d), f, 2);
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(nf, 5);
	assert_string_equal(field_text(&c, 1), "2");
}

static void test_malformed(void **state)
{
	(void)state;
	const char *d = "\"a\"b,c\n1,2\n\"open,\nx\n";
	store_csv_field f[2];
	store_csv c;
	uint32_t nf = 0;
	uint64_t line = 0;

	store_csv_init(&c, d, strlen(d), f, 2);
	assert_int_equal(store_csv_next(&c, &nf, &line), -EINVAL);
	assert_string_equal(c.why, "unexpected text after a closing quote");
	assert_int_equal(line, 1);
	/* The rest of the line is skipped: the next record is clean. */
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(line, 2);
	assert_int_equal(nf, 2);
	assert_string_equal(field_text(&c, 1), "2");
	assert_int_equal(store_csv_next(&c, &nf, &line), -EINVAL);
	assert_string_equal(c.why, "unterminated quoted field");
	assert_int_equal(line, 3);
	assert_int_equal(store_csv_next(&c, &nf, &line), 1);
}

static void test_unquote_runs(void **state)
{
	(void)state;
	textbuf b = TEXTBUF_INIT;

	textbuf_puts(&b, ">");
	store_csv_unquote("\"\"a\"\"\"\"b\"\"", 10, &b);
	assert_int_equal(textbuf_error(&b), 0);
	assert_string_equal(b.data, ">\"a\"\"b\"");
	textbuf_free(&b);
}

static uint64_t scan_rows(const char *text, bool header)
{
	char path[] = "/tmp/metafs-csv-XXXXXX";
	int fd = mkstemp(path);
	uint64_t rows = 0, bytes = 0;
	uint8_t sum[16];

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	store_table t = {.format = STORE_FORMAT_CSV, .header = header, .db = "db", .name = "t"};
	fmt_file_stats s;
	assert_int_equal(fmt_file_scan(fd, "x.csv", &t, &s, NULL), 0);
	rows = s.rows;
	bytes = s.bytes;
	memcpy(sum, s.checksum, sizeof sum);
	assert_int_equal(bytes, strlen(text));
	close(fd);
	return rows;
}

/* fmt_file_scan counts what the splitter splits, a malformed record as one. */
static void test_scan_counts_records(void **state)
{
	(void)state;
	assert_int_equal(scan_rows("h\n1,\"a\nb\"\n\n2,x\r\n", true), 2);
	assert_int_equal(scan_rows("\"a\"b,c\n1,2\n", false), 2);
	assert_int_equal(scan_rows("1,\"never closed\n2\n3\n", false), 1);
	assert_int_equal(scan_rows("\n\r\n", false), 0);
}

/* FIELD written by fmt_csv_field (LEN bytes; NULL for NULL), as text. */
static char *written(const char *field, size_t len)
{
	static char buf[256];
	textbuf b = TEXTBUF_INIT;

	fmt_csv_field(&b, field, len);
	assert_int_equal(textbuf_error(&b), 0);
	snprintf(buf, sizeof buf, "%.*s", (int)b.len, b.data ? b.data : "");
	textbuf_free(&b);
	return buf;
}

/* The writer quotes only what needs it; NULL and "" differ. */
static void test_field_writer(void **state)
{
	(void)state;
	assert_string_equal(written("plain", 5), "plain");
	assert_string_equal(written(NULL, 0), "");
	assert_string_equal(written("", 0), "\"\"");
	assert_string_equal(written("a,b", 3), "\"a,b\"");
	assert_string_equal(written("say \"hi\"", 8), "\"say \"\"hi\"\"\"");
	assert_string_equal(written("\"", 1), "\"\"\"\"");
	assert_string_equal(written("two\nlines", 9), "\"two\nlines\"");
	assert_string_equal(written("cr\r", 3), "\"cr\r\"");
	assert_string_equal(written(" spaced ", 8), " spaced ");
	assert_string_equal(written("abc", 2), "ab");
}

/* What the writer writes, the splitter reads back as the same text. */
static void test_field_writer_round_trip(void **state)
{
	static const char *const values[] = {"x", "", "a,b", "\"q\"", "l1\nl2", "\"\",\r\n"};
	const size_t n = sizeof values / sizeof values[0];
	textbuf b = TEXTBUF_INIT;
	store_csv_field fields[8];
	store_csv c;
	uint32_t nf;
	uint64_t line;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		if (i)
			textbuf_append(&b, ",", 1);
		fmt_csv_field(&b, values[i], strlen(values[i]));
	}
	textbuf_append(&b, ",", 1);
	fmt_csv_field(&b, NULL, 0);
	textbuf_append(&b, "\n", 1);
	store_csv_init(&c, b.data, b.len, fields, 8);
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(nf, n + 1);
	for (size_t i = 0; i < n; i++) {
		assert_true(fields[i].quoted == (i != 0));
		assert_string_equal(field_text(&c, (uint32_t)i), values[i]);
	}
	assert_false(fields[n].quoted);
	assert_int_equal(fields[n].len, 0);
	assert_int_equal(store_csv_next(&c, &nf, &line), 1);
	textbuf_free(&b);
}

/* NULL is an empty unquoted field; "" is the empty string in a string
 * column and NULL in any other. */
static void test_null_rule(void **state)
{
	const char *d = ",\"\",x,\"\"\"\"\n";
	store_csv_field fields[4];
	store_csv c;
	uint32_t nf;
	uint64_t line;

	(void)state;
	store_csv_init(&c, d, strlen(d), fields, 4);
	assert_int_equal(store_csv_next(&c, &nf, &line), 0);
	assert_int_equal(nf, 4);
	assert_true(store_csv_null(&fields[0], true));
	assert_true(store_csv_null(&fields[0], false));
	assert_false(store_csv_null(&fields[1], true));
	assert_true(store_csv_null(&fields[1], false));
	assert_false(store_csv_null(&fields[2], false));
	assert_false(store_csv_null(&fields[3], true));
	assert_false(store_csv_null(&fields[3], false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_extra_fields_counted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unquote_runs),
		cmocka_unit_test(test_scan_counts_records),
		cmocka_unit_test(test_field_writer),
		cmocka_unit_test(test_null_rule),
		cmocka_unit_test(test_field_writer_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
