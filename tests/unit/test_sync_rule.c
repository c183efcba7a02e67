/*
 * test_sync_rule.c - the text of a sync rule: what parses, what is refused
 * (with the line), the canonical form, and which tables a source matches.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sync.h"

static int parse(const char *text, sync_rule *r, char *err)
{
	return sync_rule_parse("r1", text, strlen(text), r, err, 256);
}

static void test_rule_parses_the_issue_example(void **state)
{
	const char *text = "source      = warehouse.sales.*\n"
			   "target      = lake\n"
			   "mirror      = schema, properties        # the default\n"
			   "drop_columns = email                    # optional column subset\n"
			   "interval    = 5m                        # periodic\n"
			   "on_conflict = fail                      # fail | skip | overwrite\n";
	sync_rule r;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &r, err), 0);
	assert_string_equal(r.name, "r1");
	assert_string_equal(r.source_platform, "warehouse");
	assert_string_equal(r.source_db, "sales");
	assert_string_equal(r.source_table, "*");
	assert_string_equal(r.target_platform, "lake");
	assert_int_equal(r.mirror, SYNC_MIRROR_SCHEMA | SYNC_MIRROR_PROPERTIES);
	assert_int_equal(r.ndrop, 1);
	assert_string_equal(r.drop_columns[0], "email");
	assert_int_equal(r.interval_ms, 300000);
	assert_int_equal(r.on_conflict, SYNC_CONFLICT_FAIL);
}

static void test_rule_defaults_mirror_schema_and_properties_on_demand_fail(void **state)
{
	sync_rule r;
	char err[256];

	(void)state;
	assert_int_equal(parse("source = a.b.c\ntarget = d\n", &r, err), 0);
	assert_int_equal(r.mirror, SYNC_MIRROR_SCHEMA | SYNC_MIRROR_PROPERTIES);
	assert_int_equal(r.interval_ms, 0);
	assert_int_equal(r.on_conflict, SYNC_CONFLICT_FAIL);
	assert_int_equal(r.ndrop, 0);
}

static void test_rule_interval_units(void **state)
{
	static const struct {
		const char *v;
		uint64_t ms;
	} cases[] = { { "30s", 30000 }, { "5m", 300000 }, { "1h", 3600000 }, { "1d", 86400000 },
		      { "45", 45000 }, { "1500ms", 1500 }, { "1s", 1000 },
		      { "0", 0 } };
	char text[128], err[256];
	sync_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "source = a.b.c\ntarget = d\ninterval = %s\n", cases[i].v);
		assert_int_equal(parse(text, &r, err), 0);
		assert_int_equal(r.interval_ms, cases[i].ms);
	}
}

static void test_rule_mirror_partitions_and_conflict_policies(void **state)
{
	sync_rule r;
	char err[256];

	(void)state;
	assert_int_equal(parse("source = a.b.c\ntarget = d\nmirror = schema,properties,partitions\n"
			       "on_conflict = skip\n", &r, err), 0);
	assert_int_equal(r.mirror, SYNC_MIRROR_SCHEMA | SYNC_MIRROR_PROPERTIES | SYNC_MIRROR_PARTITIONS);
	assert_int_equal(r.on_conflict, SYNC_CONFLICT_SKIP);
	assert_int_equal(parse("source = a.b.c\ntarget = d\non_conflict = overwrite\n", &r, err), 0);
	assert_int_equal(r.on_conflict, SYNC_CONFLICT_OVERWRITE);
}

/* Each refusal: the text, and the start of the message. */
static void test_rule_errors_name_the_line(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "source = a.b.c\ntarget = d\ncolour = red\n", "line 3: unknown key 'colour'" },
		{ "# comment\n\nsource a.b.c\n", "line 3: expected 'key = value'" },
		{ "source = a.b\ntarget = d\n", "line 1: source 'a.b' is not platform.database.table" },
		{ "source = a.b.c.d\n", "line 1: source" },
		{ "target = d\nsource = *.b.c\n", "line 2: source platform '*'" },
		{ "source = a.b.c\ntarget = a\n", "line 2: target 'a' is the source platform" },
		{ "source = a.b.c\ntarget = d\ninterval = 5 weeks\n", "line 3: interval '5 weeks' has an unknown unit" },
		{ "source = a.b.c\ntarget = d\ninterval = soon\n", "line 3: interval 'soon' is not a duration" },
		{ "source = a.b.c\ntarget = d\ninterval = 1ms\n", "line 3: interval '1ms' is shorter than 1s (0 for none)" },
		{ "source = a.b.c\ntarget = d\ninterval = 999ms\n", "line 3: interval '999ms' is shorter than 1s" },
		{ "source = a.b.c\ntarget = d\nadopt = x, x\n", "line 3: adopt: 'x' is listed twice" },
		{ "source = a.b.c\ntarget = d\nadopt = s*\n", "line 3: adopt: 's*' is not a database name" },
		{ "source = a.b.c\ntarget = d\nadopt = a.b\n", "line 3: adopt: 'a.b' is not a database name" },
		{ "source = a.b.c\ntarget = d\non_conflict = maybe\n", "line 3: on_conflict 'maybe'" },
		{ "source = a.b.c\ntarget = d\nmirror = schema, stats\n", "line 3: unknown mirror item 'stats'" },
		{ "source = a.b.c\ntarget = d\nmirror = properties\n", "line 3: mirror must include schema" },
		{ "source = a.b.c\ntarget = d\ndrop_columns = a,,b\n", "line 3: empty item in drop_columns" },
		{ "source = a.b.c\ntarget = d\ndrop_columns = a, A\n", "line 3: drop_columns: 'A' is listed twice" },
		{ "source = a.b.c\nsource = a.b.d\n", "line 2: 'source' is given twice" },
		{ "source = a.b.c\ntarget =\n", "line 2: 'target' has no value" },
		{ "source = a.b.c\n# no target\n", "line 2: missing 'target = platform'" },
		{ "", "line 1: missing 'source" },
	};
	char err[256];
	sync_rule r;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(parse(cases[i].text, &r, err), -EINVAL);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].err);
	}
}

static void test_rule_format_parses_back_to_the_same_rule(void **state)
{
	const char *text = "source=w.s*.o?ders\ntarget=lake\nmirror=partitions,schema\n"
			   "drop_columns=email, phone\ninterval=90s\non_conflict=skip\nadopt=sales,ops\n";
	textbuf out = TEXTBUF_INIT;
	sync_rule r, back;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &r, err), 0);
	sync_rule_format(&r, &out);
	assert_int_equal(textbuf_error(&out), 0);
	assert_string_equal(out.data, "source = w.s*.o?ders\ntarget = lake\nmirror = schema, partitions\n"
				      "drop_columns = email, phone\nadopt = sales, ops\ninterval = 90s\n"
				      "on_conflict = skip\n");
	assert_true(sync_rule_adopts(&r, "ops"));
	assert_false(sync_rule_adopts(&r, "hr"));
	assert_int_equal(sync_rule_parse("r1", out.data, out.len, &back, err, sizeof err), 0);
	assert_memory_equal(&r, &back, sizeof r);
	textbuf_free(&out);
}

static void test_rule_masks_parse_and_format_back(void **state)
{
	const char *text = "source = w.s.t\ntarget = lake\n"
			   "mask = email:hash, phone : redact,name:truncate(2)\ndrop_columns = ssn\n";
	textbuf out = TEXTBUF_INIT;
	sync_rule r, back;
	char err[256];

	(void)state;
	assert_int_equal(parse(text, &r, err), 0);
	assert_int_equal(r.masks.n, 3);
	assert_string_equal(r.masks.masks[0].column, "email");
	assert_int_equal(r.masks.masks[0].kind, SYNC_MASK_HASH);
	assert_int_equal(r.masks.masks[1].kind, SYNC_MASK_REDACT);
	assert_int_equal(r.masks.masks[2].kind, SYNC_MASK_TRUNCATE);
	assert_int_equal(r.masks.masks[2].keep, 2);
	sync_rule_format(&r, &out);
	assert_string_equal(out.data, "source = w.s.t\ntarget = lake\nmirror = schema, properties\n"
				      "drop_columns = ssn\nmask = email:hash, phone:redact, name:truncate(2)\n"
				      "on_conflict = fail\n");
	assert_int_equal(sync_rule_parse("r1", out.data, out.len, &back, err, sizeof err), 0);
	assert_memory_equal(&r, &back, sizeof r);
	textbuf_free(&out);
}

static void test_rule_mask_errors_name_the_line(void **state)
{
	sync_rule r;
	char err[256];

	(void)state;
	assert_int_equal(parse("source = w.s.t\ntarget = lake\nmask = email:md5\n", &r, err), -EINVAL);
	assert_non_null(strstr(err, "line 3:"));
	assert_non_null(strstr(err, "md5"));
	assert_int_equal(parse("source = w.s.t\ntarget = lake\nmask = email\n", &r, err), -EINVAL);
	assert_non_null(strstr(err, "line 3:"));
	assert_int_equal(parse("source = w.s.t\nmask = a:hash\nmask = b:hash\ntarget = lake\n", &r, err),
			 -EINVAL);
	assert_non_null(strstr(err, "line 3:"));
	assert_int_equal(parse("source = w.s.t\ntarget = lake\nmask = ssn:hash\ndrop_columns = ssn\n", &r,
			       err),
			 -EINVAL);
	assert_non_null(strstr(err, "both masked and dropped"));
}

static void test_rule_matches_globs_on_database_and_table(void **state)
{
	sync_rule r;
	char err[256];

	(void)state;
	assert_int_equal(parse("source = w.sa*.ord?rs\ntarget = lake\n", &r, err), 0);
	assert_true(sync_rule_matches(&r, "sales", "orders"));
	assert_true(sync_rule_matches(&r, "sa", "ord3rs"));
	assert_false(sync_rule_matches(&r, "sales", "order"));
	assert_false(sync_rule_matches(&r, "hr", "orders"));
	assert_false(sync_rule_matches(&r, "sales", "ordxxrs"));
	assert_int_equal(parse("source = w.*.*\ntarget = lake\n", &r, err), 0);
	assert_true(sync_rule_matches(&r, "any", "thing"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_parses_the_issue_example),
		cmocka_unit_test(test_rule_defaults_mirror_schema_and_properties_on_demand_fail),
		cmocka_unit_test(test_rule_interval_units),
		cmocka_unit_test(test_rule_mirror_partitions_and_conflict_policies),
		cmocka_unit_test(test_rule_errors_name_the_line),
		cmocka_unit_test(test_rule_format_parses_back_to_the_same_rule),
		cmocka_unit_test(test_rule_masks_parse_and_format_back),
		cmocka_unit_test(test_rule_mask_errors_name_the_line),
		cmocka_unit_test(test_rule_matches_globs_on_database_and_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
