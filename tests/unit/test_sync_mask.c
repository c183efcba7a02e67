/*
 * test_sync_mask.c - masks and the exchange transform: each mask kind, NULL
 * staying NULL, the keyed hash (deterministic, key-dependent), UTF-8
 * truncation, policy parsing and its errors, the key file, and the file
 * transform of CSV (quoting, embedded commas and newlines, headers, dropped
 * columns) and JSONL, where a malformed row fails the whole file, and of
 * Parquet: masked columns become strings with the same masked values the
 * CSV path gives for the same rows, other columns keep types and values,
 * NULLs stay NULL; a typed value's text is the SQL engine's CSV text.
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
#include "fmt_text.h"
#include "sql_int.h"
#include "sync_mask.h"
#include "testdir.h"

static const uint8_t KEY1[SYNC_MASK_KEY_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
static const uint8_t KEY2[SYNC_MASK_KEY_BYTES] = { 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };

static sync_mask mask_of(const char *text)
{
	sync_mask_policy p = { .n = 0 };
	char err[256] = "";

	assert_int_equal(sync_mask_parse(text, &p, err, sizeof err), 0);
	assert_int_equal(p.n, 1);
	return p.masks[0];
}

/* The masked text of VALUE (NULL: SQL NULL); "<null>" for a NULL result. */
static char *masked(const char *kind, const uint8_t *key, const char *value)
{
	static char buf[256];
	sync_mask m = mask_of(kind);
	textbuf out = TEXTBUF_INIT;
	bool is_null = false;

	sync_mask_value(&m, key, value ? value : "", value ? strlen(value) : 0, value == NULL, &out,
			&is_null);
	snprintf(buf, sizeof buf, "%s", is_null ? "<null>" : out.data ? out.data : "");
	textbuf_free(&out);
	return buf;
}

static void test_each_mask_kind(void **state)
{
	char h[64];

	(void)state;
	snprintf(h, sizeof h, "%s", masked("e:hash", KEY1, "alice@example.com"));
	assert_int_equal(strlen(h), SYNC_MASK_HASH_HEX);
	assert_int_equal(strspn(h, "0123456789abcdef"), SYNC_MASK_HASH_HEX);
	assert_string_equal(masked("e:redact", KEY1, "secret"), "REDACTED");
	assert_string_equal(masked("e:truncate(3)", KEY1, "abcdef"), "abc");
	assert_string_equal(masked("e:truncate(10)", KEY1, "abc"), "abc");
	assert_string_equal(masked("e:truncate(0)", KEY1, "abc"), "");
	assert_string_equal(masked("e:null", KEY1, "abc"), "<null>");
}

/* Known answers (RFC 2104 HMAC-SHA256, first 16 bytes in hex), computed
 * independently of OpenSSL; the key 0, 1, ..., 31.  Alternating keys in one
 * thread must not reuse the other key's state. */
static void test_hash_known_answers(void **state)
{
	uint8_t k[SYNC_MASK_KEY_BYTES];

	(void)state;
	for (unsigned i = 0; i < SYNC_MASK_KEY_BYTES; i++)
		k[i] = (uint8_t)i;
	for (int round = 0; round < 2; round++) {
		assert_string_equal(masked("e:hash", k, "alice@example.com"),
				    "a59fc578d4cb46faab1d6eb348e7c74b");
		assert_string_equal(masked("e:hash", k, ""), "d38b42096d80f45f826b44a9d5607de7");
		assert_string_not_equal(masked("e:hash", KEY1, "alice@example.com"),
					"a59fc578d4cb46faab1d6eb348e7c74b");
	}
}

static void test_null_stays_null_under_every_mask(void **state)
{
	(void)state;
	assert_string_equal(masked("e:hash", KEY1, NULL), "<null>");
	assert_string_equal(masked("e:redact", KEY1, NULL), "<null>");
	assert_string_equal(masked("e:truncate(2)", KEY1, NULL), "<null>");
	assert_string_equal(masked("e:null", KEY1, NULL), "<null>");
}

static void test_hash_is_deterministic_and_depends_on_the_key(void **state)
{
	char a[64], b[64], c[64], d[64];

	(void)state;
	snprintf(a, sizeof a, "%s", masked("e:hash", KEY1, "alice@example.com"));
	snprintf(b, sizeof b, "%s", masked("e:hash", KEY1, "alice@example.com"));
	snprintf(c, sizeof c, "%s", masked("e:hash", KEY2, "alice@example.com"));
	snprintf(d, sizeof d, "%s", masked("e:hash", KEY1, "bob@example.com"));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
}

static void test_truncate_counts_utf8_code_points(void **state)
{
	(void)state;
	assert_string_equal(masked("e:truncate(2)", KEY1, "Émilie"), "Ém");
	assert_string_equal(masked("e:truncate(1)", KEY1, "日本語"), "日");
	assert_string_equal(masked("e:truncate(3)", KEY1, "a😀bc"), "a😀b");
}

static void test_policy_parse_format_and_find(void **state)
{
	sync_mask_policy p = { .n = 0 };
	textbuf out = TEXTBUF_INIT;
	char err[256] = "";

	(void)state;
	assert_int_equal(sync_mask_parse(" email : hash , phone:redact,name:truncate( 3 ), ssn:null",
					 &p, err, sizeof err), 0);
	assert_int_equal(p.n, 4);
	sync_mask_format(&p, &out);
	assert_string_equal(out.data, "email:hash,phone:redact,name:truncate(3),ssn:null");
	assert_non_null(sync_mask_find(&p, "EMAIL"));
	assert_int_equal(sync_mask_find(&p, "name")->keep, 3);
	assert_null(sync_mask_find(&p, "id"));
	textbuf_free(&out);
}

static void test_policy_parse_errors(void **state)
{
	static const char *const bad[] = {
		"email",              /* no kind */
		"email:md5",          /* unknown kind */
		"email:truncate",     /* no length */
		"email:truncate(x)",  /* not a number */
		"email:truncate(3",   /* unclosed */
		"email:hash,",        /* empty item */
		"email:hash,email:redact",  /* twice */
		":hash",              /* no column */
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sync_mask_policy p = { .n = 0 };

		err[0] = '\0';
		assert_int_equal(sync_mask_parse(bad[i], &p, err, sizeof err), -EINVAL);
		assert_true(err[0] != '\0');
	}
}

static void test_key_file_is_created_once_with_mode_0600(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], id1[9], id2[9];
	uint8_t k1[SYNC_MASK_KEY_BYTES], k2[SYNC_MASK_KEY_BYTES];
	struct stat st;
	char err[256];

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	snprintf(path, sizeof path, "%s/exchange.key", dir);
	assert_int_equal(sync_mask_key_load(path, k1, id1, err, sizeof err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, SYNC_MASK_KEY_BYTES);
	assert_int_equal(strlen(id1), 8);
	assert_int_equal(sync_mask_key_load(path, k2, id2, err, sizeof err), 0);
	assert_memory_equal(k1, k2, sizeof k1);
	assert_string_equal(id1, id2);
	/* A damaged key is refused, not replaced. */
	assert_int_equal(truncate(path, 5), 0);
	assert_int_equal(sync_mask_key_load(path, k2, id2, err, sizeof err), -EINVAL);
	testdir_remove(dir);
}

/* ---- the file transform --------------------------------------------------------------- */

static store_column cols5[] = {
	{ "id", STORE_TYPE_BIGINT },   { "name", STORE_TYPE_STRING }, { "email", STORE_TYPE_STRING },
	{ "phone", STORE_TYPE_BIGINT }, { "ssn", STORE_TYPE_STRING }, { "dt", STORE_TYPE_DATE },
};

static store_table table_of(store_format format, bool header)
{
	store_table t;

	memset(&t, 0, sizeof t);
	strcpy(t.db, "s");
	strcpy(t.name, "t");
	t.format = format;
	t.header = header;
	t.ncolumns = 5;
	t.npartkeys = 1;
	t.columns = cols5;
	return t;
}

/* Transform TEXT with X; the output in a static buffer, or NULL on failure
 * (the reason in ERR). */
static char *transform(sync_exchange *x, const char *text, int *rc, char *err, uint64_t *rows)
{
	static char out[4096];
	FILE *in = tmpfile(), *o = tmpfile();
	size_t n;

	assert_non_null(in);
	assert_non_null(o);
	fputs(text, in);
	fflush(in);
	*rc = sync_exchange_file(x, fileno(in), fileno(o), rows, err, 256);
	rewind(o);
	n = fread(out, 1, sizeof out - 1, o);
	out[n] = '\0';
	fclose(in);
	fclose(o);
	return *rc ? NULL : out;
}

static sync_exchange *exchange(store_format format, bool header, const char *policy,
			       const char *drop)
{
	sync_mask_policy p = { .n = 0 };
	store_table t = table_of(format, header);
	const char *d[1] = { drop };
	sync_exchange *x = NULL;
	char err[256] = "";

	if (policy)
		assert_int_equal(sync_mask_parse(policy, &p, err, sizeof err), 0);
	assert_int_equal(sync_exchange_new(&t, d, drop ? 1 : 0, &p, KEY1, &x, err, sizeof err), 0);
	return x;
}

static void test_csv_masks_quotes_commas_newlines_and_drops(void **state)
{
	sync_exchange *x = exchange(STORE_FORMAT_CSV, true, "name:truncate(2),phone:redact,email:hash",
				    "ssn");
	char err[256] = "", h[64], want[1024];
	uint64_t rows = 0;
	int rc;
	const char *in = "id,name,email,phone,ssn\n"
			 "1,\"Bob, Jr.\",a@x.com,555,111\r\n"
			 "\n"
			 "2,\"multi\nline \"\"q\"\"\",\"a@x.com\",,\"22,2\"\n"
			 "3,,\"\",7,\n";
	char *out;

	(void)state;
	assert_true(sync_exchange_active(x));
	snprintf(h, sizeof h, "%s", masked("e:hash", KEY1, "a@x.com"));
	out = transform(x, in, &rc, err, &rows);
	assert_int_equal(rc, 0);
	/* "Bo" needs no quotes: a masked value is written bare when it can be. */
	snprintf(want, sizeof want,
		 "id,name,email,phone\n"
		 "1,Bo,%s,REDACTED\n"
		 "2,mu,%s,\n"
		 "3,,%s,REDACTED\n",
		 h, h, masked("e:hash", KEY1, ""));
	assert_string_equal(out, want);
	assert_int_equal(rows, 3);
	assert_null(strstr(out, "111"));
	assert_null(strstr(out, "22,2"));
	assert_null(strstr(out, "a@x.com"));
	sync_exchange_free(x);
}

static void test_csv_masked_values_needing_quotes_are_quoted(void **state)
{
	sync_exchange *x = exchange(STORE_FORMAT_CSV, false, "name:truncate(4)", NULL);
	char err[256] = "";
	int rc;
	char *out;

	(void)state;
	out = transform(x, "1,\"a,b\"\"cd\",e,2,s\n", &rc, err, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "1,\"a,b\"\"\",e,2,s\n");
	sync_exchange_free(x);
}

static void test_csv_without_header_masks_the_first_row(void **state)
{
	sync_exchange *x = exchange(STORE_FORMAT_CSV, false, "phone:redact", "ssn");
	char err[256] = "";
	int rc;
	char *out;

	(void)state;
	out = transform(x, "id,name,email,phone,ssn\n1,n,e,5,s\n", &rc, err, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "id,name,email,REDACTED\n1,n,e,REDACTED\n");
	sync_exchange_free(x);
}

static void test_csv_malformed_row_fails_the_whole_file(void **state)
{
	sync_exchange *x = exchange(STORE_FORMAT_CSV, true, "email:hash", "ssn");
	char err[256] = "";
	int rc;

	(void)state;
	assert_null(transform(x, "id,name,email,phone,ssn\n1,n,e,5,s\n2,n,e,5\n", &rc, err, NULL));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "row 2"));
	assert_null(transform(x, "id,name,email,phone,ssn\n1,\"n,e,5,s\n", &rc, err, NULL));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "unterminated"));
	sync_exchange_free(x);
}

static void test_jsonl_masks_and_drops_keys(void **state)
{
	sync_exchange *x = exchange(STORE_FORMAT_JSONL, false, "email:hash,phone:redact,name:null",
				    "ssn");
	char err[256] = "", want[512];
	uint64_t rows = 0;
	int rc;
	char *out;

	(void)state;
	out = transform(x,
			"{\"id\":1,\"name\":\"A\",\"email\":\"a@x.com\",\"phone\":555,\"ssn\":\"1\",\"extra\":\"raw\"}\n"
			"\n"
			"{\"id\":2,\"email\":null}\n",
			&rc, err, &rows);
	assert_int_equal(rc, 0);
	snprintf(want, sizeof want,
		 "{\"id\":1,\"name\":null,\"email\":\"%s\",\"phone\":\"REDACTED\"}\n"
		 "{\"id\":2,\"email\":null}\n",
		 masked("e:hash", KEY1, "a@x.com"));
	assert_string_equal(out, want);
	assert_int_equal(rows, 2);
	assert_null(transform(x, "{\"id\":1}\nnot json\n", &rc, err, NULL));
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, "row 2"));
	sync_exchange_free(x);
}

static void test_exchange_refuses_partition_keys_and_unknown_columns(void **state)
{
	sync_mask_policy p = { .n = 0 };
	store_table t = table_of(STORE_FORMAT_CSV, true);
	sync_exchange *x = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(sync_mask_parse("dt:hash", &p, err, sizeof err), 0);
	assert_int_equal(sync_exchange_new(&t, NULL, 0, &p, KEY1, &x, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "partition key"));
	p.n = 0;
	assert_int_equal(sync_mask_parse("nope:hash", &p, err, sizeof err), 0);
	assert_int_equal(sync_exchange_new(&t, NULL, 0, &p, KEY1, &x, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "nope"));
	p.n = 0;
	assert_int_equal(sync_exchange_new(&t, NULL, 0, &p, KEY1, &x, err, sizeof err), 0);
	assert_false(sync_exchange_active(x));
	sync_exchange_free(x);
}

/* ---- Parquet -------------------------------------------------------------------------- */

/* The columns of the Parquet tests: every type, one dropped (secret). */
static store_column pqcols[] = {
	{ "id", STORE_TYPE_BIGINT },     { "name", STORE_TYPE_STRING },
	{ "amount", STORE_TYPE_DOUBLE }, { "ok", STORE_TYPE_BOOLEAN },
	{ "day", STORE_TYPE_DATE },      { "ts", STORE_TYPE_TIMESTAMP },
	{ "price", 0 },                  { "score", STORE_TYPE_DOUBLE },
	{ "secret", STORE_TYPE_STRING }, { "dt", STORE_TYPE_DATE },
};
#define PQ_NCOLS 9
#define PQ_NROWS 7

static store_table pq_table(store_format format)
{
	store_table t;

	pqcols[6].type = store_type_decimal(10, 2);
	memset(&t, 0, sizeof t);
	strcpy(t.db, "s");
	strcpy(t.name, "p");
	t.format = format;
	t.header = format == STORE_FORMAT_CSV;
	t.ncolumns = PQ_NCOLS;
	t.npartkeys = 1;
	t.columns = pqcols;
	return t;
}

/* The rows, as the SQL engine writes them to CSV (an empty field is NULL). */
static const char *const pq_csv_rows[PQ_NROWS][PQ_NCOLS] = {
	{ "1", "ann", "12.3", "true", "2024-05-01", "2024-05-01 10:00:00", "12.30", "1.5", "s1" },
	{ "-7", "", "0.1", "false", "1969-12-31", "2024-05-01 10:00:00.5", "-0.05", "", "s2" },
	{ "", "bo b", "", "", "", "", "", "2.0", "" },
	{ "9007199254740993", "c", "1.0E7", "true", "2000-02-29", "1970-01-01 00:00:00.000001",
	  "99999999.99", "3.25", "s4" },
	{ "0", "d", "1.0E-4", "false", "2024-12-31", "1999-12-31 23:59:59", "0.00", "", "s5" },
	{ "42", "e", "-0.0", "true", "1970-01-01", "1969-12-31 23:59:59.9", "1.00", "4.0", "s6" },
	{ "3", "f", "123456.789", "false", "2024-02-29", "2024-05-01 00:00:00", "7.07", "", "" },
};

/* The same rows as vectors (the values the CSV text reads as). */
static void pq_vectors(fmt_vector *v)
{
	static const int64_t ids[] = { 1, -7, 0, 9007199254740993LL, 0, 42, 3 };
	static const double amounts[] = { 12.3, 0.1, 0, 1e7, 1e-4, -0.0, 123456.789 };
	static const int64_t days[] = { 19844, -1, 0, 11016, 20088, 0, 19782 };
	static const int64_t ts[] = { 1714557600000000LL, 1714557600500000LL, 0, 1,
				      946684799000000LL, -100000LL, 1714521600000000LL };
	static const int64_t prices[] = { 1230, -5, 0, 9999999999LL, 0, 100, 707 };
	static const double scores[] = { 1.5, 0, 2.0, 3.25, 0, 4.0, 0 };

	for (unsigned c = 0; c < PQ_NCOLS; c++)
		fmt_vector_init(&v[c], pqcols[c].type);
	for (unsigned r = 0; r < PQ_NROWS; r++) {
		const char *const *row = pq_csv_rows[r];
		bool null[PQ_NCOLS];

		for (unsigned c = 0; c < PQ_NCOLS; c++)
			null[c] = row[c][0] == '\0' && c != 1;
		assert_int_equal(null[0] ? fmt_vector_push_null(&v[0]) : fmt_vector_push_i64(&v[0], ids[r]), 0);
		assert_int_equal(fmt_vector_push_str(&v[1], row[1], strlen(row[1])), 0);
		assert_int_equal(null[2] ? fmt_vector_push_null(&v[2]) : fmt_vector_push_f64(&v[2], amounts[r]), 0);
		assert_int_equal(null[3] ? fmt_vector_push_null(&v[3])
					 : fmt_vector_push_bool(&v[3], strcmp(row[3], "true") == 0), 0);
		assert_int_equal(null[4] ? fmt_vector_push_null(&v[4]) : fmt_vector_push_i64(&v[4], days[r]), 0);
		assert_int_equal(null[5] ? fmt_vector_push_null(&v[5]) : fmt_vector_push_i64(&v[5], ts[r]), 0);
		assert_int_equal(null[6] ? fmt_vector_push_null(&v[6]) : fmt_vector_push_dec(&v[6], prices[r]), 0);
		assert_int_equal(null[7] ? fmt_vector_push_null(&v[7]) : fmt_vector_push_f64(&v[7], scores[r]), 0);
		assert_int_equal(null[8] ? fmt_vector_push_null(&v[8])
					 : fmt_vector_push_str(&v[8], row[8], strlen(row[8])), 0);
	}
}

/* A Parquet file of the rows in row groups of 3, open for reading. */
static FILE *pq_source(void)
{
	fmt_parquet_write_options o = FMT_PARQUET_WRITE_OPTIONS_INIT;
	fmt_parquet_writer *w = NULL;
	fmt_vector v[PQ_NCOLS];
	fmt_error fe;
	FILE *f = tmpfile();

	assert_non_null(f);
	o.row_group_rows = 3;
	pq_table(STORE_FORMAT_PARQUET);
	pq_vectors(v);
	assert_int_equal(fmt_parquet_writer_open(fileno(f), "src.parquet", pqcols, PQ_NCOLS, &o, &w, &fe), 0);
	assert_int_equal(fmt_parquet_writer_append(w, v, &fe), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &fe), 0);
	for (unsigned c = 0; c < PQ_NCOLS; c++)
		fmt_vector_free(&v[c]);
	rewind(f);
	return f;
}

static sync_exchange *pq_exchange(store_format format, const char *policy)
{
	sync_mask_policy p = { .n = 0 };
	store_table t = pq_table(format);
	const char *d[1] = { "secret" };
	sync_exchange *x = NULL;
	char err[256] = "";

	assert_int_equal(sync_mask_parse(policy, &p, err, sizeof err), 0);
	assert_int_equal(sync_exchange_new(&t, d, 1, &p, KEY1, &x, err, sizeof err), 0);
	return x;
}

/* The fields of one line of the CSV path's output (no quoted fields in it). */
static unsigned split_line(char *line, char **fields, unsigned max)
{
	unsigned n = 0;

	for (char *p = line; n < max; p++) {
		fields[n++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			break;
		*p = '\0';
	}
	return n;
}

static void test_parquet_masks_like_csv_and_keeps_the_rest(void **state)
{
	const char *policy = "id:hash,amount:hash,ok:redact,day:truncate(7),ts:hash,price:hash,"
			     "score:null";
	sync_exchange *xc = pq_exchange(STORE_FORMAT_CSV, policy);
	sync_exchange *xp = pq_exchange(STORE_FORMAT_PARQUET, policy);
	static char csv[8192];
	char err[256] = "", *lines[PQ_NROWS + 2], *csv_out;
	uint64_t rows = 0;
	int rc;
	size_t n = 0;

	(void)state;
	/* The CSV path over the same rows. */
	n += (size_t)snprintf(csv + n, sizeof csv - n, "id,name,amount,ok,day,ts,price,score,secret\n");
	for (unsigned r = 0; r < PQ_NROWS; r++)
		for (unsigned c = 0; c < PQ_NCOLS; c++)
			n += (size_t)snprintf(csv + n, sizeof csv - n, "%s%s%s", c == 1 && !pq_csv_rows[r][c][0] ? "\"\"" : "",
					      pq_csv_rows[r][c], c + 1 < PQ_NCOLS ? "," : "\n");
	csv_out = transform(xc, csv, &rc, err, &rows);
	assert_int_equal(rc, 0);
	assert_int_equal(rows, PQ_NROWS);
	csv_out = strdup(csv_out);
	assert_non_null(csv_out);
	lines[0] = strtok(csv_out, "\n");
	for (unsigned r = 1; r <= PQ_NROWS; r++)
		assert_non_null(lines[r] = strtok(NULL, "\n"));

	/* The Parquet path. */
	FILE *src = pq_source(), *dst = tmpfile();
	assert_non_null(dst);
	rows = 0;
	rc = sync_exchange_file(xp, fileno(src), fileno(dst), &rows, err, sizeof err);
	assert_int_equal(rc, 0);
	assert_int_equal(rows, PQ_NROWS);
	fflush(dst);
	fmt_parquet *p = NULL;
	fmt_error fe;
	assert_int_equal(fmt_parquet_open_fd(fileno(dst), "masked.parquet", &p, &fe), 0);
	assert_int_equal(fmt_parquet_nrows(p), PQ_NROWS);
	assert_int_equal(fmt_parquet_ncolumns(p), PQ_NCOLS - 1);   /* secret is dropped */
	static const store_type want_types[] = {
		STORE_TYPE_STRING, STORE_TYPE_STRING, STORE_TYPE_STRING, STORE_TYPE_STRING,
		STORE_TYPE_STRING, STORE_TYPE_STRING, STORE_TYPE_STRING, STORE_TYPE_DOUBLE,
	};
	fmt_vector got[PQ_NCOLS - 1], orig[PQ_NCOLS];
	pq_vectors(orig);
	for (unsigned c = 0; c < PQ_NCOLS - 1; c++) {
		const fmt_parquet_column *pc = fmt_parquet_column_at(p, c);

		assert_string_equal(pc->name, pqcols[c].name);
		assert_int_equal(pc->type, want_types[c]);
		fmt_vector_init(&got[c], pc->type);
		for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++)
			assert_int_equal(fmt_parquet_read_column(p, g, c, &got[c], &fe), 0);
		assert_int_equal(got[c].n, PQ_NROWS);
	}
	for (unsigned r = 0; r < PQ_NROWS; r++) {
		char *f[PQ_NCOLS];
		char line[1024];

		snprintf(line, sizeof line, "%s", lines[r + 1]);
		assert_int_equal(split_line(line, f, PQ_NCOLS), PQ_NCOLS - 1);
		/* name is kept as it was: the same value, NULL-ness and type. */
		assert_true(fmt_vector_value_equal(&got[1], r, &orig[1], r));
		/* score (null mask) keeps its type, every value NULL. */
		assert_true(fmt_vector_is_null(&got[7], r));
		for (unsigned c = 0; c < PQ_NCOLS - 1; c++) {
			if (c == 1 || c == 7)
				continue;
			if (pq_csv_rows[r][c][0] == '\0') {
				/* NULL stays NULL, in both paths. */
				assert_true(fmt_vector_is_null(&got[c], r));
				assert_string_equal(f[c], "");
				continue;
			}
			size_t len;
			const char *s = fmt_vector_str(&got[c], r, &len);
			assert_false(fmt_vector_is_null(&got[c], r));
			assert_int_equal(len, strlen(f[c]));
			assert_memory_equal(s, f[c], len);
		}
	}
	/* Spot checks that the masks did what they say. */
	size_t len;
	const char *s = fmt_vector_str(&got[4], 0, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(s, "2024-05", 7);
	s = fmt_vector_str(&got[0], 3, &len);
	assert_memory_equal(s, masked("e:hash", KEY1, "9007199254740993"), SYNC_MASK_HASH_HEX);
	s = fmt_vector_str(&got[2], 1, &len);
	assert_memory_equal(s, masked("e:hash", KEY1, "0.1"), SYNC_MASK_HASH_HEX);
	s = fmt_vector_str(&got[6], 0, &len);
	assert_memory_equal(s, masked("e:hash", KEY1, "12.30"), SYNC_MASK_HASH_HEX);
	s = fmt_vector_str(&got[3], 0, &len);
	assert_memory_equal(s, "REDACTED", 8);

	for (unsigned c = 0; c < PQ_NCOLS - 1; c++)
		fmt_vector_free(&got[c]);
	for (unsigned c = 0; c < PQ_NCOLS; c++)
		fmt_vector_free(&orig[c]);
	fmt_parquet_close(p);
	fclose(src);
	fclose(dst);
	free(csv_out);
	sync_exchange_free(xc);
	sync_exchange_free(xp);
}

/* Without masks, dropping a column: the kept columns' types and values. */
static void test_parquet_drop_only_keeps_types_and_values(void **state)
{
	sync_mask_policy none = { .n = 0 };
	store_table t = pq_table(STORE_FORMAT_PARQUET);
	const char *d[1] = { "secret" };
	sync_exchange *x = NULL;
	char err[256] = "";
	uint64_t rows = 0;
	fmt_vector orig[PQ_NCOLS];
	fmt_error fe;
	fmt_parquet *p = NULL;

	(void)state;
	assert_int_equal(sync_exchange_new(&t, d, 1, &none, KEY1, &x, err, sizeof err), 0);
	assert_true(sync_exchange_active(x));
	FILE *src = pq_source(), *dst = tmpfile();
	assert_int_equal(sync_exchange_file(x, fileno(src), fileno(dst), &rows, err, sizeof err), 0);
	assert_int_equal(rows, PQ_NROWS);
	fflush(dst);
	assert_int_equal(fmt_parquet_open_fd(fileno(dst), "kept.parquet", &p, &fe), 0);
	assert_int_equal(fmt_parquet_check_schema(p, pqcols, PQ_NCOLS - 1, &fe), 0);
	pq_vectors(orig);
	for (unsigned c = 0; c < PQ_NCOLS - 1; c++) {
		fmt_vector got;

		fmt_vector_init(&got, pqcols[c].type);
		for (size_t g = 0; g < fmt_parquet_nrowgroups(p); g++)
			assert_int_equal(fmt_parquet_read_column(p, g, c, &got, &fe), 0);
		assert_int_equal(got.n, PQ_NROWS);
		for (unsigned r = 0; r < PQ_NROWS; r++)
			assert_true(fmt_vector_value_equal(&got, r, &orig[c], r));
		fmt_vector_free(&got);
	}
	for (unsigned c = 0; c < PQ_NCOLS; c++)
		fmt_vector_free(&orig[c]);
	fmt_parquet_close(p);
	fclose(src);
	fclose(dst);
	sync_exchange_free(x);
}

/* A file that is not Parquet, or whose columns are not the table's, fails
 * the whole transform. */
static void test_parquet_malformed_or_foreign_file_fails(void **state)
{
	sync_exchange *x = pq_exchange(STORE_FORMAT_PARQUET, "id:hash");
	char err[256] = "";
	int rc;

	(void)state;
	assert_null(transform(x, "id,name\n1,a\n", &rc, err, NULL));
	assert_int_equal(rc, -EINVAL);
	assert_true(err[0] != '\0');

	/* A Parquet file of other columns. */
	fmt_parquet_writer *w = NULL;
	fmt_error fe;
	fmt_vector v;
	store_column other = { "other", STORE_TYPE_BIGINT };
	FILE *src = tmpfile(), *dst = tmpfile();
	fmt_vector_init(&v, STORE_TYPE_BIGINT);
	assert_int_equal(fmt_vector_push_i64(&v, 5), 0);
	assert_int_equal(fmt_parquet_writer_open(fileno(src), "o.parquet", &other, 1, NULL, &w, &fe), 0);
	assert_int_equal(fmt_parquet_writer_append(w, &v, &fe), 0);
	assert_int_equal(fmt_parquet_writer_close(w, NULL, NULL, &fe), 0);
	fmt_vector_free(&v);
	rewind(src);
	err[0] = '\0';
	assert_int_equal(sync_exchange_file(x, fileno(src), fileno(dst), NULL, err, sizeof err), -EINVAL);
	assert_true(err[0] != '\0');
	fclose(src);
	fclose(dst);
	sync_exchange_free(x);
}

/* fmt_value_text of a vector and the engine's sql_value_print of the same
 * value give the same text: each picks the form by the value's type. */
static void check_text(const fmt_vector *v, size_t i, const sql_value *sv)
{
	char buf[FMT_TEXT_MAX];
	textbuf tb = TEXTBUF_INIT;
	size_t n = fmt_value_text(v, i, buf);

	sql_value_print(sv, &tb);
	textbuf_append(&tb, "", 0);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, tb.data);
	textbuf_free(&tb);
}

static void test_value_text_is_the_engines_csv_text(void **state)
{
	static const double doubles[] = {
		0.0, -0.0, 0.1, 12.3, 1e7, 9999999.999, 1e-3, 9.99e-4, 1e-4, 123456.789, -2.5,
		1.0 / 3.0, 1e300, -1e-300, 4.9e-324, 1.7976931348623157e308, 100.0, 0.30000000000000004,
	};
	static const int64_t ints[] = { 0, 1, -1, INT64_MAX, INT64_MIN, 9007199254740993LL };
	static const int64_t days[] = { 0, -1, 19844, -719162, 2932896, -800000 };
	static const int64_t micros[] = { 0, 1, -1, 500000, -100000, 1714557600123400LL,
					  -62135596800000000LL, 253402300799999999LL };
	static const int64_t decs[] = { 0, 1, -1, 5, -5, 1230, 999999999, -100 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	fmt_vector v;
	sql_value sv;

	(void)state;
	fmt_vector_init(&v, STORE_TYPE_DOUBLE);
	for (unsigned i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
		assert_int_equal(fmt_vector_push_f64(&v, doubles[i]), 0);
		sv = (sql_value){ .type = SQL_TYPE_DOUBLE, .u.d = doubles[i] };
		check_text(&v, v.n - 1, &sv);
	}
	for (unsigned i = 0; i < 2000; i++) {
		/* Random bit patterns: every kind of double there is. */
		double d;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memcpy(&d, &seed, sizeof d);
		assert_int_equal(fmt_vector_push_f64(&v, d), 0);
		sv = (sql_value){ .type = SQL_TYPE_DOUBLE, .u.d = d };
		check_text(&v, v.n - 1, &sv);
	}
	fmt_vector_free(&v);
	fmt_vector_init(&v, STORE_TYPE_BIGINT);
	for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		assert_int_equal(fmt_vector_push_i64(&v, ints[i]), 0);
		sv = (sql_value){ .type = SQL_TYPE_BIGINT, .u.i = ints[i] };
		check_text(&v, v.n - 1, &sv);
	}
	fmt_vector_free(&v);
	fmt_vector_init(&v, STORE_TYPE_DATE);
	for (unsigned i = 0; i < sizeof days / sizeof days[0]; i++) {
		assert_int_equal(fmt_vector_push_i64(&v, days[i]), 0);
		sv = (sql_value){ .type = SQL_TYPE_DATE, .u.i = days[i] };
		check_text(&v, v.n - 1, &sv);
	}
	fmt_vector_free(&v);
	fmt_vector_init(&v, STORE_TYPE_TIMESTAMP);
	for (unsigned i = 0; i < sizeof micros / sizeof micros[0]; i++) {
		assert_int_equal(fmt_vector_push_i64(&v, micros[i]), 0);
		sv = (sql_value){ .type = SQL_TYPE_TIMESTAMP, .u.i = micros[i] };
		check_text(&v, v.n - 1, &sv);
	}
	fmt_vector_free(&v);
	fmt_vector_init(&v, STORE_TYPE_BOOLEAN);
	for (int b = 0; b < 2; b++) {
		assert_int_equal(fmt_vector_push_bool(&v, b), 0);
		sv = (sql_value){ .type = SQL_TYPE_BOOLEAN, .u.b = b };
		check_text(&v, v.n - 1, &sv);
	}
	fmt_vector_free(&v);
	for (unsigned scale = 0; scale <= 4; scale += 2) {
		fmt_vector_init(&v, store_type_decimal(18, scale));
		for (unsigned i = 0; i < sizeof decs / sizeof decs[0]; i++) {
			assert_int_equal(fmt_vector_push_dec(&v, decs[i]), 0);
			sv = (sql_value){ .type = sql_type_decimal(18, scale), .u.dec = decs[i] };
			check_text(&v, v.n - 1, &sv);
		}
		fmt_vector_free(&v);
	}
	fmt_vector_init(&v, store_type_decimal(38, 3));
	fmt_int128 big = 1;
	for (int i = 0; i < 37; i++)
		big *= 10;
	assert_int_equal(fmt_vector_push_dec(&v, -big), 0);
	sv = (sql_value){ .type = sql_type_decimal(38, 3), .u.dec = -big };
	check_text(&v, 0, &sv);
	fmt_vector_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_mask_kind),
		cmocka_unit_test(test_hash_known_answers),
		cmocka_unit_test(test_null_stays_null_under_every_mask),
		cmocka_unit_test(test_hash_is_deterministic_and_depends_on_the_key),
		cmocka_unit_test(test_truncate_counts_utf8_code_points),
		cmocka_unit_test(test_policy_parse_format_and_find),
		cmocka_unit_test(test_policy_parse_errors),
		cmocka_unit_test(test_key_file_is_created_once_with_mode_0600),
		cmocka_unit_test(test_csv_masks_quotes_commas_newlines_and_drops),
		cmocka_unit_test(test_csv_masked_values_needing_quotes_are_quoted),
		cmocka_unit_test(test_csv_without_header_masks_the_first_row),
		cmocka_unit_test(test_csv_malformed_row_fails_the_whole_file),
		cmocka_unit_test(test_jsonl_masks_and_drops_keys),
		cmocka_unit_test(test_exchange_refuses_partition_keys_and_unknown_columns),
		cmocka_unit_test(test_parquet_masks_like_csv_and_keeps_the_rest),
		cmocka_unit_test(test_parquet_drop_only_keeps_types_and_values),
		cmocka_unit_test(test_parquet_malformed_or_foreign_file_fails),
		cmocka_unit_test(test_value_text_is_the_engines_csv_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
