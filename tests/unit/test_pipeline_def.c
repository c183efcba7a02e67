/*
 * test_pipeline_def.c - the pipeline definition: the example
 * parses with every key, defaults fill what is left out, and every refusal
 * names the file, the line and the key.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "pipeline.h"
#include "testdir.h"

static pl_def def;
static char err[PL_ERR_MAX];

static int parse(const char *text)
{
	err[0] = '\0';
	return pl_def_parse("/etc/p/call_quality.ini", text, strlen(text), &def, err, sizeof err);
}

static const char example[] =
	"[pipeline]\n"
	"name       = call_quality            ; defaults to the file name without .ini\n"
	"source     = lake/ucaas/call_features ; table path relative to the mount\n"
	"operation  = train                   ; train | predict\n"
	"features   = jitter_ms, packet_loss_pct, latency_ms, participants, duration_s\n"
	"label      = dropped\n"
	"id_column  = meeting_id\n"
	"group_by   = region\n"
	"threshold  = 0.5\n"
	"state      = /var/lib/metafs/pipelines/call_quality\n"
	"model      = model.json\n"
	"\n"
	"[xgboost]\n"
	"objective  = binary:logistic\n"
	"max_depth  = 4\n"
	"eta        = 0.3\n"
	"num_round  = 50\n"
	"seed       = 7\n"
	"holdout    = 0.2\n"
	"\n"
	"[output]\n"
	"webhook_url    = http://127.0.0.1:8099/hook\n"
	"webhook_token  = s3cret\n"
	"webhook_format = full\n"
	"outbox         = outbox\n"
	"table          = lake/ml/call_scores\n"
	"retries        = 5\n"
	"backoff_ms     = 200\n";

static void test_def_parses_the_contract_example(void **state)
{
	(void)state;
	assert_int_equal(parse(example), 0);
	assert_string_equal(def.name, "call_quality");
	assert_string_equal(def.source, "lake/ucaas/call_features");
	assert_string_equal(def.platform, "lake");
	assert_int_equal(def.op, PL_OP_TRAIN);
	assert_int_equal(def.nfeatures, 5);
	assert_string_equal(def.features[0], "jitter_ms");
	assert_string_equal(def.features[4], "duration_s");
	assert_string_equal(def.label, "dropped");
	assert_string_equal(def.id_column, "meeting_id");
	assert_string_equal(def.group_by, "region");
	assert_true(def.threshold == 0.5);
	assert_string_equal(def.state, "/var/lib/metafs/pipelines/call_quality");
	assert_string_equal(def.objective, "binary:logistic");
	assert_int_equal(def.num_round, 50);
	assert_true(def.holdout == 0.2);
	assert_int_equal(def.seed, 7);
	assert_string_equal(def.webhook_url, "http://127.0.0.1:8099/hook");
	assert_string_equal(def.webhook_token, "s3cret");
	assert_int_equal(def.format, PL_FORMAT_FULL);
	assert_string_equal(def.table, "lake/ml/call_scores");
	assert_int_equal(def.retries, 5);
	assert_int_equal(def.backoff_ms, 200);
}

static void test_def_passes_xgboost_keys_through_except_num_round_and_holdout(void **state)
{
	(void)state;
	assert_int_equal(parse(example), 0);
	assert_int_equal(def.nparams, 4);
	assert_string_equal(def.params[0].key, "objective");
	assert_string_equal(def.params[1].key, "max_depth");
	assert_string_equal(def.params[1].value, "4");
	assert_string_equal(def.params[2].key, "eta");
	assert_string_equal(def.params[3].key, "seed");
}

static void test_def_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = predict\nfeatures = x\n"), 0);
	assert_string_equal(def.name, "call_quality");
	assert_true(def.threshold == 0.5);
	assert_string_equal(def.model, "model.json");
	assert_string_equal(def.outbox, "outbox");
	assert_string_equal(def.objective, "binary:logistic");
	assert_int_equal(def.num_round, 50);
	assert_true(def.holdout == 0.2);
	assert_int_equal(def.retries, 5);
	assert_int_equal(def.backoff_ms, 200);
	assert_int_equal(def.format, PL_FORMAT_FULL);
	assert_string_equal(def.webhook_url, "");
	assert_string_equal(def.label, "");
	assert_false(def.has_since);
	assert_true(def.since == 0);
	assert_true(def.timeout == -1);
}

static void test_def_since_and_timeout(void **state)
{
	(void)state;
	const char *head = "[pipeline]\nsource = lake/a/b\noperation = predict\nfeatures = x\n";
	char text[512];

	snprintf(text, sizeof text, "%ssince = 41\ntimeout = 90\n", head);
	assert_int_equal(parse(text), 0);
	assert_true(def.has_since);
	assert_true(def.since == 41);
	assert_true(def.timeout == 90);
	snprintf(text, sizeof text, "%ssince = all\ntimeout = 2.5s\n", head);
	assert_int_equal(parse(text), 0);
	assert_true(def.has_since);
	assert_true(def.since == 0);
	assert_true(def.timeout == 2.5);
	snprintf(text, sizeof text, "%stimeout = 0\n", head);
	assert_int_equal(parse(text), 0);
	assert_true(def.timeout == 0);
	snprintf(text, sizeof text, "%ssince = yesterday\n", head);
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini:5: key 'since': 'yesterday' is not all or a "
				 "snapshot number");
	snprintf(text, sizeof text, "%ssince = -3\n", head);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(err, ":5: key 'since'"));
	snprintf(text, sizeof text, "%stimeout = soon\n", head);
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini:5: key 'timeout': 'soon' is not a number of "
				 "seconds");
	snprintf(text, sizeof text, "%stimeout = -1\n", head);
	assert_int_equal(parse(text), -EINVAL);
	/* since says where a predict pipeline starts: a train pipeline reads
	 * every partition */
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = train\nfeatures = x\n"
			       "label = y\nsince = 4\n"),
			 -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini: key 'since' is for predict pipelines");
}

static void test_def_unknown_key_names_file_line_and_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = train\nlabel = y\n"
			       "featurs = x\n"),
			 -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini:5: unknown key 'featurs' in [pipeline]");
}

static void test_def_unknown_key_in_output(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = predict\nfeatures = x\n"
			       "[output]\nwebhook = http://x/\n"),
			 -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini:6: unknown key 'webhook' in [output]");
}

static void test_def_unknown_section_names_it(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\n[model]\ndepth = 3\n"), -EINVAL);
	assert_non_null(strstr(err, ":4: unknown section [model] (key 'depth')"));
}

static void test_def_bad_value_names_line_and_key(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\nthreshold = high\n"), -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini:3: key 'threshold': 'high' is not a number");
	assert_int_equal(parse("[pipeline]\noperation = score\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'operation'"));
	assert_int_equal(parse("[xgboost]\nholdout = 1.5\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'holdout'"));
	assert_int_equal(parse("[xgboost]\n\nnum_round = 0\n"), -EINVAL);
	assert_non_null(strstr(err, ":3: key 'num_round'"));
	assert_int_equal(parse("[output]\nwebhook_format = teams\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'webhook_format'"));
	assert_int_equal(parse("[output]\nretries = -1\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'retries'"));
	assert_int_equal(parse("[output]\nwebhook_url = ftp://x/\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'webhook_url'"));
}

static void test_def_source_must_be_a_table_path(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/ucaas\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: key 'source'"));
	assert_int_equal(parse("[pipeline]\nsource = lake/../warehouse/t\n"), -EINVAL);
	assert_int_equal(parse("[pipeline]\nsource = /lake/a/b\n"), -EINVAL);
}

static void test_def_first_error_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nbogus = 1\nthreshold = x\n"), -EINVAL);
	assert_non_null(strstr(err, ":2: unknown key 'bogus'"));
}

static void test_def_missing_keys_are_named(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\noperation = predict\nfeatures = x\n"), -EINVAL);
	assert_string_equal(err, "/etc/p/call_quality.ini: missing key 'source' in [pipeline]");
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = train\nfeatures = x\n"), -EINVAL);
	assert_non_null(strstr(err, "missing key 'label'"));
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = train\n"), -EINVAL);
	assert_non_null(strstr(err, "missing key 'features'"));
}

static void test_def_output_table_stays_in_the_source_platform(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = predict\nfeatures = x\n"
			       "[output]\ntable = warehouse/ml/scores\n"),
			 -EINVAL);
	assert_non_null(strstr(err, "not in the source's platform 'lake'"));
}

static void test_def_features_list_is_trimmed_and_checked(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\noperation = predict\n"
			       "features =  a ,b,\tc  \n"),
			 0);
	assert_int_equal(def.nfeatures, 3);
	assert_string_equal(def.features[0], "a");
	assert_string_equal(def.features[1], "b");
	assert_string_equal(def.features[2], "c");
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\nfeatures = a,,b\n"), -EINVAL);
	assert_non_null(strstr(err, ":3: key 'features'"));
}

static void test_def_syntax_error_names_the_line(void **state)
{
	(void)state;
	assert_int_equal(parse("[pipeline]\nsource = lake/a/b\nthis is not ini\n"), -EINVAL);
	assert_non_null(strstr(err, ":3: "));
}

static const char minimal[] =
	"[pipeline]\nsource = lake/a/b\noperation = predict\nfeatures = a\n[output]\n";

/* A definition with "webhook_token_file = PATH" and the token file at PATH
 * holding TEXT with MODE; pl_def_load's result. */
static int load_with_token_file(const char *dir, const char *text, mode_t mode)
{
	char token[PATH_MAX], ini[PATH_MAX];
	FILE *f;

	snprintf(token, sizeof token, "%s/token", dir);
	snprintf(ini, sizeof ini, "%s/p.ini", dir);
	f = fopen(token, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(token, mode), 0);
	f = fopen(ini, "w");
	assert_non_null(f);
	fprintf(f, "%swebhook_token_file = %s\n", minimal, token);
	fclose(f);
	err[0] = '\0';
	return pl_def_load(ini, &def, err, sizeof err);
}

static void test_def_webhook_token_file(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	assert_int_equal(load_with_token_file(dir, "t0k3n\n", 0600), 0);
	assert_string_equal(def.webhook_token, "t0k3n");
	assert_int_equal(load_with_token_file(dir, "t0k3n", 0640), 0);
	assert_string_equal(def.webhook_token, "t0k3n");
	/* others may read it: refused, and the token is not repeated */
	assert_int_equal(load_with_token_file(dir, "t0k3n\n", 0644), -EACCES);
	assert_non_null(strstr(err, "others may read or write it"));
	assert_null(strstr(err, "t0k3n"));
	assert_int_equal(load_with_token_file(dir, "a\nb\n", 0600), -EINVAL);
	assert_int_equal(load_with_token_file(dir, "", 0600), -EINVAL);
	testdir_remove(dir);
	/* parsed only: an absolute path, and not beside webhook_token */
	char text[512];
	snprintf(text, sizeof text, "%swebhook_token_file = token\n", minimal);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(err, "key 'webhook_token_file'"));
	snprintf(text, sizeof text, "%swebhook_token = x\nwebhook_token_file = /t\n", minimal);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(err, "are both set"));
	snprintf(text, sizeof text, "%swebhook_token_file = /t\n", minimal);
	assert_int_equal(parse(text), 0);
	assert_string_equal(def.webhook_token_file, "/t");
	assert_string_equal(def.webhook_token, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_def_parses_the_contract_example),
		cmocka_unit_test(test_def_passes_xgboost_keys_through_except_num_round_and_holdout),
		cmocka_unit_test(test_def_defaults),
		cmocka_unit_test(test_def_since_and_timeout),
		cmocka_unit_test(test_def_unknown_key_names_file_line_and_key),
		cmocka_unit_test(test_def_unknown_key_in_output),
		cmocka_unit_test(test_def_unknown_section_names_it),
		cmocka_unit_test(test_def_bad_value_names_line_and_key),
		cmocka_unit_test(test_def_source_must_be_a_table_path),
		cmocka_unit_test(test_def_first_error_wins),
		cmocka_unit_test(test_def_missing_keys_are_named),
		cmocka_unit_test(test_def_output_table_stays_in_the_source_platform),
		cmocka_unit_test(test_def_features_list_is_trimmed_and_checked),
		cmocka_unit_test(test_def_syntax_error_names_the_line),
		cmocka_unit_test(test_def_webhook_token_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
