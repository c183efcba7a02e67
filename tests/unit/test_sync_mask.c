/*
 * test_sync_mask.c - masks and the exchange transform: each mask kind, NULL
 * staying NULL, the keyed hash (deterministic, key-dependent), UTF-8
 * truncation, policy parsing and its errors, the key file, and the file
 * transform of CSV (quoting, embedded commas and newlines, headers, dropped
 * columns) and JSONL, where a malformed row fails the whole file.
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
