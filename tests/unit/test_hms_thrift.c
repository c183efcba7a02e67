/*
 * test_hms_thrift.c - the Thrift binary codec of hms/: values round-trip,
 * both message header styles are read, every length is bounded before
 * anything is allocated, unknown fields of any type are skipped (with a
 * nesting cap), and malformed or cut-off input is an error, never a crash.
 * Also Hive's name patterns (hms_pattern_match).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hms.h"
#include "hms_thrift.h"
#include "hms_value.h"

static void reader_of(hms_reader *r, const hms_writer *w)
{
	hms_reader_init_mem(r, w->data, w->len);
}

static void test_values_round_trip(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_bool(&w, true);
	hms_write_byte(&w, -5);
	hms_write_i16(&w, -12345);
	hms_write_i32(&w, INT32_MIN);
	hms_write_i64(&w, INT64_MAX - 7);
	hms_write_double(&w, -2.5e300);
	hms_write_string(&w, "héllo");
	hms_write_binary(&w, "a\0b", 3);
	assert_int_equal(w.err, 0);

	hms_reader r;
	reader_of(&r, &w);
	bool b;
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;
	double d;
	char *s;
	uint32_t len;
	assert_int_equal(hms_read_bool(&r, &b), 0);
	assert_true(b);
	assert_int_equal(hms_read_byte(&r, &i8), 0);
	assert_int_equal(i8, -5);
	assert_int_equal(hms_read_i16(&r, &i16), 0);
	assert_int_equal(i16, -12345);
	assert_int_equal(hms_read_i32(&r, &i32), 0);
	assert_int_equal(i32, INT32_MIN);
	assert_int_equal(hms_read_i64(&r, &i64), 0);
	assert_true(i64 == INT64_MAX - 7);
	assert_int_equal(hms_read_double(&r, &d), 0);
	assert_true(d == -2.5e300);
	assert_int_equal(hms_read_string(&r, &s, &len), 0);
	assert_string_equal(s, "héllo");
	assert_int_equal(len, strlen("héllo"));
	free(s);
	assert_int_equal(hms_read_string(&r, &s, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\0b", 3);
	free(s);
	assert_false(hms_reader_buffered(&r));
	hms_writer_free(&w);
}

static void test_integers_are_big_endian(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_i32(&w, 0x01020304);
	hms_write_string(&w, "ab");
	static const uint8_t want[] = {1, 2, 3, 4, 0, 0, 0, 2, 'a', 'b'};
	assert_int_equal(w.len, sizeof want);
	assert_memory_equal(w.data, want, sizeof want);
	hms_writer_free(&w);
}

static void test_strict_message_header_round_trips(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "get_table", HMS_CALL, 42, false);
	assert_int_equal(w.data[0], 0x80);
	assert_int_equal(w.data[1], 0x01);
	hms_reader r;
	reader_of(&r, &w);
	char *name;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), 0);
	assert_string_equal(name, "get_table");
	assert_int_equal(type, HMS_CALL);
	assert_int_equal(seq, 42);
	free(name);
	hms_writer_free(&w);
}

static void test_old_style_message_header_is_read(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "getName", HMS_CALL, 7, true);
	assert_int_equal(w.data[0], 0);
	hms_reader r;
	reader_of(&r, &w);
	char *name;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), 0);
	assert_string_equal(name, "getName");
	assert_int_equal(type, HMS_CALL);
	assert_int_equal(seq, 7);
	free(name);
	hms_writer_free(&w);
}

static void test_bad_version_is_a_protocol_error(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	char *name = (char *)1;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), -EPROTO);
	assert_null(name);
}

static void test_bad_message_type_is_a_protocol_error(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "x", 9, 1, false);
	hms_reader r;
	reader_of(&r, &w);
	char *name;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), -EPROTO);
	assert_null(name);
	hms_writer_free(&w);
}

static void test_string_over_limit_is_refused_before_allocating(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {0x7f, 0xff, 0xff, 0xff, 'a'};
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	char *s = (char *)1;
	assert_int_equal(hms_read_string(&r, &s, NULL), -EMSGSIZE);
	assert_null(s);
	/* The error sticks. */
	int32_t v;
	assert_int_equal(hms_read_i32(&r, &v), -EMSGSIZE);
}

static void test_old_style_name_over_limit_is_refused(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {'G', 'E', 'T', ' ', '/'};
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	char *name;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), -EMSGSIZE);
}

static void test_negative_length_is_a_protocol_error(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {HMS_T_STRING, 0xff, 0xff, 0xff, 0xfe};
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	int et;
	uint32_t n;
	assert_int_equal(hms_read_list_begin(&r, &et, &n), -EPROTO);
}

static void test_list_over_limit_is_refused(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_list_begin(&w, HMS_T_I32, HMS_ELEMS_MAX + 1);
	hms_reader r;
	reader_of(&r, &w);
	int et;
	uint32_t n;
	assert_int_equal(hms_read_list_begin(&r, &et, &n), -EMSGSIZE);
	hms_writer_free(&w);
}

static void test_map_over_limit_is_refused_in_skip(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_map_begin(&w, HMS_T_STRING, HMS_T_STRING, 0x7fffffff);
	hms_reader r;
	reader_of(&r, &w);
	assert_int_equal(hms_skip(&r, HMS_T_MAP), -EMSGSIZE);
	hms_writer_free(&w);
}

static void test_list_of_unknown_type_is_a_protocol_error(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {99, 0, 0, 0, 1};
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	assert_int_equal(hms_skip(&r, HMS_T_LIST), -EPROTO);
}

/* A struct holding one field of every type, then the field we want. */
static void test_skip_passes_every_type(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_field_begin(&w, HMS_T_BOOL, 1);
	hms_write_bool(&w, true);
	hms_write_field_begin(&w, HMS_T_BYTE, 2);
	hms_write_byte(&w, 1);
	hms_write_field_begin(&w, HMS_T_I16, 3);
	hms_write_i16(&w, 1);
	hms_write_field_begin(&w, HMS_T_I32, 4);
	hms_write_i32(&w, 1);
	hms_write_field_begin(&w, HMS_T_I64, 5);
	hms_write_i64(&w, 1);
	hms_write_field_begin(&w, HMS_T_DOUBLE, 6);
	hms_write_double(&w, 1);
	hms_write_string_field(&w, 7, "skip me");
	hms_write_field_begin(&w, HMS_T_STRUCT, 8);
	hms_write_string_field(&w, 1, "inner");
	hms_write_field_stop(&w);
	hms_write_field_begin(&w, HMS_T_MAP, 9);
	hms_write_map_begin(&w, HMS_T_STRING, HMS_T_LIST, 1);
	hms_write_string(&w, "k");
	hms_write_list_begin(&w, HMS_T_I32, 2);
	hms_write_i32(&w, 1);
	hms_write_i32(&w, 2);
	hms_write_field_begin(&w, HMS_T_SET, 10);
	hms_write_list_begin(&w, HMS_T_STRING, 1);
	hms_write_string(&w, "s");
	hms_write_field_begin(&w, HMS_T_MAP, 11);
	hms_write_map_begin(&w, 0, 0, 0);          /* an empty map without types */
	hms_write_string_field(&w, 12, "wanted");
	hms_write_field_stop(&w);
	hms_write_i32(&w, 4242);                   /* after the struct */

	hms_reader r;
	reader_of(&r, &w);
	char *wanted = NULL;
	for (;;) {
		int t;
		int16_t id;
		assert_int_equal(hms_read_field_begin(&r, &t, &id), 0);
		if (t == HMS_T_STOP)
			break;
		if (id == 12)
			assert_int_equal(hms_read_string(&r, &wanted, NULL), 0);
		else
			assert_int_equal(hms_skip(&r, t), 0);
	}
	assert_string_equal(wanted, "wanted");
	free(wanted);
	int32_t after;
	assert_int_equal(hms_read_i32(&r, &after), 0);
	assert_int_equal(after, 4242);
	hms_writer_free(&w);
}

static void test_skip_of_whole_struct_reaches_its_stop(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_field_begin(&w, HMS_T_STRUCT, 1);
	hms_write_field_begin(&w, HMS_T_LIST, 1);
	hms_write_list_begin(&w, HMS_T_STRUCT, 2);
	hms_write_field_stop(&w);
	hms_write_string_field(&w, 2, "x");
	hms_write_field_stop(&w);
	hms_write_field_stop(&w);
	hms_write_field_stop(&w);
	hms_write_byte(&w, 9);
	hms_reader r;
	reader_of(&r, &w);
	assert_int_equal(hms_skip(&r, HMS_T_STRUCT), 0);
	int8_t b;
	assert_int_equal(hms_read_byte(&r, &b), 0);
	assert_int_equal(b, 9);
	hms_writer_free(&w);
}

static void test_skip_nesting_is_capped(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	for (int i = 0; i < HMS_DEPTH_MAX + 10; i++)
		hms_write_field_begin(&w, HMS_T_STRUCT, 1);
	for (int i = 0; i < HMS_DEPTH_MAX + 11; i++)
		hms_write_field_stop(&w);
	hms_reader r;
	reader_of(&r, &w);
	assert_int_equal(hms_skip(&r, HMS_T_STRUCT), -EMSGSIZE);
	hms_writer_free(&w);
}

static void test_nesting_within_the_cap_is_skipped(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	for (int i = 0; i < HMS_DEPTH_MAX - 1; i++)
		hms_write_field_begin(&w, HMS_T_STRUCT, 1);
	for (int i = 0; i < HMS_DEPTH_MAX; i++)
		hms_write_field_stop(&w);
	hms_reader r;
	reader_of(&r, &w);
	assert_int_equal(hms_skip(&r, HMS_T_STRUCT), 0);
	assert_false(hms_reader_buffered(&r));
	hms_writer_free(&w);
}

static void test_truncated_input_at_every_length_is_an_error(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "get_table", HMS_CALL, 1, false);
	hms_write_string_field(&w, 1, "sales");
	hms_write_field_begin(&w, HMS_T_MAP, 2);
	hms_write_map_begin(&w, HMS_T_STRING, HMS_T_I64, 1);
	hms_write_string(&w, "k");
	hms_write_i64(&w, 5);
	hms_write_field_stop(&w);
	for (size_t cut = 0; cut < w.len; cut++) {
		hms_reader r;
		hms_reader_init_mem(&r, w.data, cut);
		char *name = NULL;
		int type;
		int32_t seq;
		int rc = hms_read_message_begin(&r, &name, &type, &seq);
		if (rc == 0)
			rc = hms_skip(&r, HMS_T_STRUCT);
		assert_int_equal(rc, -EPIPE);
		free(name);
	}
	hms_writer_free(&w);
}

static void test_bad_field_type_is_a_protocol_error(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {1, 0, 1};   /* type 1 does not exist */
	hms_reader r;
	hms_reader_init_mem(&r, bytes, sizeof bytes);
	int t;
	int16_t id;
	assert_int_equal(hms_read_field_begin(&r, &t, &id), -EPROTO);
}

struct chunks {
	const uint8_t *data;
	size_t len, pos;
};

/* A source that gives one byte at a time, as a slow socket might. */
static long fill_one(void *arg, uint8_t *buf, size_t cap)
{
	struct chunks *c = arg;
	(void)cap;
	if (c->pos == c->len)
		return 0;
	buf[0] = c->data[c->pos++];
	return 1;
}

static long fill_fails(void *arg, uint8_t *buf, size_t cap)
{
	(void)arg;
	(void)buf;
	(void)cap;
	return -ETIMEDOUT;
}

static void test_fill_reader_reads_across_refills(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_message_begin(&w, "set_ugi", HMS_CALL, 3, false);
	hms_write_string_field(&w, 1, "alice");
	hms_write_field_stop(&w);
	struct chunks c = {w.data, w.len, 0};
	hms_reader r;
	assert_int_equal(hms_reader_init_fill(&r, fill_one, &c), 0);
	char *name;
	int type;
	int32_t seq;
	assert_int_equal(hms_read_message_begin(&r, &name, &type, &seq), 0);
	assert_string_equal(name, "set_ugi");
	free(name);
	int t;
	int16_t id;
	char *user;
	assert_int_equal(hms_read_field_begin(&r, &t, &id), 0);
	assert_int_equal(hms_read_string(&r, &user, NULL), 0);
	assert_string_equal(user, "alice");
	free(user);
	assert_int_equal(hms_skip(&r, HMS_T_STRUCT), 0);   /* the STOP */
	assert_int_equal(hms_read_field_begin(&r, &t, &id), -EPIPE);
	hms_reader_free(&r);
	hms_writer_free(&w);
}

static void test_fill_error_is_returned(void **state)
{
	(void)state;
	hms_reader r;
	assert_int_equal(hms_reader_init_fill(&r, fill_fails, NULL), 0);
	int32_t v;
	assert_int_equal(hms_read_i32(&r, &v), -ETIMEDOUT);
	hms_reader_free(&r);
}

static void test_pattern_star_and_alternatives(void **state)
{
	(void)state;
	assert_true(hms_pattern_match("*", "sales"));
	assert_true(hms_pattern_match(NULL, "sales"));
	assert_true(hms_pattern_match("", "sales"));
	assert_true(hms_pattern_match("sal*", "sales"));
	assert_true(hms_pattern_match("*es", "sales"));
	assert_true(hms_pattern_match("s*l*s", "sales"));
	assert_true(hms_pattern_match("SALES", "sales"));
	assert_true(hms_pattern_match("x|sales", "sales"));
	assert_true(hms_pattern_match("x | sa*", "sales"));
	assert_false(hms_pattern_match("sale", "sales"));
	assert_false(hms_pattern_match("x|y", "sales"));
	assert_false(hms_pattern_match("s*x", "sales"));
	assert_false(hms_pattern_match("a.les", "sales"));
}

/* An args struct {1: "db", 2: [ "a", "b" ], 3: {4: i16 -1}, 5: map {"k": "v"}} read
 * whole, looked up by id; missing fields and wrong types give the defaults. */
static void test_value_tree_reads_a_struct_whole(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_string_field(&w, 1, "db");
	hms_write_field_begin(&w, HMS_T_LIST, 2);
	hms_write_list_begin(&w, HMS_T_STRING, 2);
	hms_write_string(&w, "a");
	hms_write_string(&w, "b");
	hms_write_field_begin(&w, HMS_T_STRUCT, 3);
	hms_write_field_begin(&w, HMS_T_I16, 4);
	hms_write_i16(&w, -1);
	hms_write_field_stop(&w);
	hms_write_field_begin(&w, HMS_T_MAP, 5);
	hms_write_map_begin(&w, HMS_T_STRING, HMS_T_STRING, 1);
	hms_write_string(&w, "k");
	hms_write_string(&w, "v");
	hms_write_field_stop(&w);
	hms_reader r;
	reader_of(&r, &w);
	hms_value v;
	assert_int_equal(hms_value_read(&r, HMS_T_STRUCT, &v), 0);
	assert_int_equal(r.pos, w.len);
	assert_string_equal(hms_field_string(&v, 1), "db");
	const hms_value *l = hms_field_list(&v, 2, HMS_T_STRING);
	assert_non_null(l);
	assert_int_equal(l->n, 2);
	assert_string_equal(l->v[1].s, "b");
	assert_null(hms_field_list(&v, 2, HMS_T_I32));
	assert_int_equal(hms_field_int(hms_field(&v, 3), 4, 7), -1);
	assert_int_equal(hms_field_int(hms_field(&v, 3), 5, 7), 7);
	assert_null(hms_field_string(&v, 3));
	assert_null(hms_field(&v, 9));
	const hms_value *m = hms_field(&v, 5);
	assert_int_equal(m->n, 2);
	assert_string_equal(m->v[0].s, "k");
	assert_string_equal(m->v[1].s, "v");
	hms_value_free(&v);

	/* Cut anywhere: an error, never a crash or a leak. */
	for (size_t cut = 0; cut < w.len; cut++) {
		hms_reader_init_mem(&r, w.data, cut);
		assert_int_not_equal(hms_value_read(&r, HMS_T_STRUCT, &v), 0);
		hms_value_free(&v);
	}
	hms_writer_free(&w);
}

/* A list that announces a million structs and sends two bytes ends as an
 * error after reading what came; nothing is allocated for the promise. */
static void test_value_tree_announced_length_is_not_trusted(void **state)
{
	(void)state;
	hms_writer w;
	hms_writer_init(&w);
	hms_write_field_begin(&w, HMS_T_LIST, 1);
	hms_write_list_begin(&w, HMS_T_STRUCT, 1000000);
	hms_write_field_stop(&w);
	hms_reader r;
	reader_of(&r, &w);
	hms_value v;
	assert_int_equal(hms_value_read(&r, HMS_T_STRUCT, &v), -EPIPE);
	const hms_value *l = hms_field(&v, 1);
	assert_non_null(l);
	assert_true(l->n <= 2);
	hms_value_free(&v);
	hms_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_round_trip),
		cmocka_unit_test(test_integers_are_big_endian),
		cmocka_unit_test(test_strict_message_header_round_trips),
		cmocka_unit_test(test_old_style_message_header_is_read),
		cmocka_unit_test(test_bad_version_is_a_protocol_error),
		cmocka_unit_test(test_bad_message_type_is_a_protocol_error),
		cmocka_unit_test(test_string_over_limit_is_refused_before_allocating),
		cmocka_unit_test(test_old_style_name_over_limit_is_refused),
		cmocka_unit_test(test_negative_length_is_a_protocol_error),
		cmocka_unit_test(test_list_over_limit_is_refused),
		cmocka_unit_test(test_map_over_limit_is_refused_in_skip),
		cmocka_unit_test(test_list_of_unknown_type_is_a_protocol_error),
		cmocka_unit_test(test_skip_passes_every_type),
		cmocka_unit_test(test_skip_of_whole_struct_reaches_its_stop),
		cmocka_unit_test(test_skip_nesting_is_capped),
		cmocka_unit_test(test_nesting_within_the_cap_is_skipped),
		cmocka_unit_test(test_truncated_input_at_every_length_is_an_error),
		cmocka_unit_test(test_bad_field_type_is_a_protocol_error),
		cmocka_unit_test(test_fill_reader_reads_across_refills),
		cmocka_unit_test(test_fill_error_is_returned),
		cmocka_unit_test(test_pattern_star_and_alternatives),
		cmocka_unit_test(test_value_tree_reads_a_struct_whole),
		cmocka_unit_test(test_value_tree_announced_length_is_not_trusted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
