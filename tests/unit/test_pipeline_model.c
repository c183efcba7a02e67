/*
 * test_pipeline_model.c - the AI operation: the seeded holdout split, AUC
 * and RMSE on known examples, and XGBoost learning a real signal (calls
 * drop more often when packet loss and jitter are high) well enough that
 * the holdout AUC is far above chance; the saved model scores the same rows
 * again.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "pipeline.h"
#include "testdir.h"

static void test_holdout_split_is_deterministic_for_a_seed(void **state)
{
	size_t n = 10000, held = 0, differ = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		bool a = pl_holdout_row(7, i, 0.2);

		assert_int_equal(a, pl_holdout_row(7, i, 0.2));
		held += a;
		differ += a != pl_holdout_row(8, i, 0.2);
	}
	/* about a fifth held out; another seed gives another split */
	assert_true(held > 1800 && held < 2200);
	assert_true(differ > 1000);
	/* share 0 holds nothing out */
	for (size_t i = 0; i < 100; i++)
		assert_false(pl_holdout_row(7, i, 0.0));
}

static void test_auc_of_a_known_example(void **state)
{
	/* The classic example: positives at 0.9, 0.8, 0.4; negatives at 0.7, 0.3,
	 * 0.2: 8 of the 9 positive/negative pairs are ordered right. */
	const float s[] = {0.9f, 0.8f, 0.7f, 0.4f, 0.3f, 0.2f};
	const float y[] = {1, 1, 0, 1, 0, 0};
	/* a tie between a positive and a negative counts one half */
	const float s2[] = {0.5f, 0.5f, 0.1f};
	const float y2[] = {1, 0, 0};
	const float perfect[] = {0.1f, 0.2f, 0.8f, 0.9f};
	const float yp[] = {0, 0, 1, 1};

	(void)state;
	assert_float_equal(pl_auc(s, y, 6), 8.0 / 9.0, 1e-9);
	assert_float_equal(pl_auc(s2, y2, 3), 0.75, 1e-9);
	assert_float_equal(pl_auc(perfect, yp, 4), 1.0, 1e-9);
	assert_float_equal(pl_auc(yp, perfect, 4), 1.0, 1e-9);   /* labels > 0.5 are positive */
	/* one class only: undefined */
	assert_true(isnan(pl_auc(s, (const float[]){1, 1, 1, 1, 1, 1}, 6)));
}

static void test_rmse_of_a_known_example(void **state)
{
	const float p[] = {1, 2, 3, 4};
	const float y[] = {1, 2, 3, 8};

	(void)state;
	assert_float_equal(pl_rmse(p, y, 4), 2.0, 1e-9);
}

/* A deterministic generator so the test data is the same on every run. */
static uint64_t rng_state;

static double uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* Calls with jitter, packet loss, latency and an irrelevant column; the
 * chance of a drop grows with loss and jitter; a few values are missing. */
static void make_calls(pl_dataset *ds, size_t n)
{
	pl_dataset_init(ds, 4);
	ds->cap = n;
	ds->x = malloc(n * 4 * sizeof *ds->x);
	ds->y = malloc(n * sizeof *ds->y);
	ds->ids = calloc(n, sizeof *ds->ids);
	ds->groups = calloc(n, sizeof *ds->groups);
	ds->part = calloc(n, sizeof *ds->part);
	assert_non_null(ds->x);
	rng_state = 12345;
	for (size_t i = 0; i < n; i++) {
		double jitter = uniform() * 100, loss = uniform() * 10, latency = uniform() * 300;
		double noise = uniform();
		double z = -4.0 + 0.04 * jitter + 0.5 * loss;
		double p = 1.0 / (1.0 + exp(-z));

		ds->x[i * 4 + 0] = (float)jitter;
		ds->x[i * 4 + 1] = uniform() < 0.05 ? NAN : (float)loss;
		ds->x[i * 4 + 2] = (float)latency;
		ds->x[i * 4 + 3] = (float)noise;
		ds->y[i] = uniform() < p ? 1.0f : 0.0f;
	}
	ds->nrows = n;
}

static pl_def model_def(void)
{
	static const char text[] = "[pipeline]\nsource = lake/ucaas/calls\noperation = train\n"
				   "features = jitter, loss, latency, noise\nlabel = dropped\n"
				   "[xgboost]\nobjective = binary:logistic\nmax_depth = 3\neta = 0.1\n"
				   "num_round = 60\nseed = 7\nholdout = 0.25\n";
	pl_def d;
	char err[PL_ERR_MAX];

	assert_int_equal(pl_def_parse("calls.ini", text, strlen(text), &d, err, sizeof err), 0);
	return d;
}

static void test_training_learns_a_real_signal(void **state)
{
	pl_def def = model_def();
	pl_dataset ds;
	pl_train_result res;
	char err[PL_ERR_MAX] = "";

	(void)state;
	make_calls(&ds, 4000);
	assert_int_equal(pl_model_train(&def, &ds, NULL, &res, err, sizeof err), 0);
	assert_string_equal(res.metric_name, "AUC");
	assert_int_equal(res.train_rows + res.holdout_rows, 4000);
	assert_true(res.holdout_rows > 800 && res.holdout_rows < 1200);
	assert_false(res.on_training_rows);
	printf("# holdout AUC %.4f on %zu rows\n", res.metric, res.holdout_rows);
	assert_true(res.metric > 0.75);
	pl_dataset_free(&ds);
}

static void test_saved_model_scores_rows_and_ranks_risky_calls_higher(void **state)
{
	pl_def def = model_def();
	pl_dataset ds;
	pl_train_result res;
	char dir[PATH_MAX], model[PATH_MAX + 16], err[PL_ERR_MAX] = "";
	float *scores = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(testdir_make(dir), 0);
	snprintf(model, sizeof model, "%s/model.json", dir);
	make_calls(&ds, 2000);
	assert_int_equal(pl_model_train(&def, &ds, model, &res, err, sizeof err), 0);
	assert_int_equal(stat(model, &st), 0);
	assert_true(st.st_size > 100);
	assert_int_equal(pl_model_predict(model, &ds, &scores, err, sizeof err), 0);
	assert_non_null(scores);
	for (size_t i = 0; i < ds.nrows; i++)
		assert_true(scores[i] >= 0 && scores[i] <= 1);
	assert_true(pl_auc(scores, ds.y, ds.nrows) > 0.75);
	free(scores);
	pl_dataset_free(&ds);

	/* a model of 4 features refuses rows of 3 */
	pl_dataset_init(&ds, 3);
	assert_int_equal(pl_model_predict(model, &ds, &scores, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "4 features"));
	testdir_remove(dir);
}

static void test_regression_reports_rmse(void **state)
{
	static const char text[] = "[pipeline]\nsource = lake/a/b\noperation = train\n"
				   "features = a, b, c, d\nlabel = y\n"
				   "[xgboost]\nobjective = reg:squarederror\nnum_round = 30\nseed = 1\n";
	pl_def def;
	pl_dataset ds;
	pl_train_result res;
	char err[PL_ERR_MAX] = "";

	(void)state;
	assert_int_equal(pl_def_parse("r.ini", text, strlen(text), &def, err, sizeof err), 0);
	make_calls(&ds, 1000);
	for (size_t i = 0; i < ds.nrows; i++)
		ds.y[i] = 2.0f * ds.x[i * 4] + 1.0f;   /* y = 2 * jitter + 1 */
	assert_int_equal(pl_model_train(&def, &ds, NULL, &res, err, sizeof err), 0);
	assert_string_equal(res.metric_name, "RMSE");
	assert_true(res.metric < 10.0);   /* the labels span 0..200 */
	pl_dataset_free(&ds);
}

static void test_logistic_refuses_labels_outside_0_1(void **state)
{
	pl_def def = model_def();
	pl_dataset ds;
	pl_train_result res;
	char err[PL_ERR_MAX] = "";

	(void)state;
	make_calls(&ds, 100);
	ds.y[3] = 5;
	def.holdout = 0;
	assert_int_equal(pl_model_train(&def, &ds, NULL, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "needs 0/1"));
	pl_dataset_free(&ds);
}

static void test_training_without_rows_fails(void **state)
{
	pl_def def = model_def();
	pl_dataset ds;
	pl_train_result res;
	char err[PL_ERR_MAX] = "";

	(void)state;
	pl_dataset_init(&ds, 4);
	assert_int_equal(pl_model_train(&def, &ds, NULL, &res, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no rows"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_holdout_split_is_deterministic_for_a_seed),
		cmocka_unit_test(test_auc_of_a_known_example),
		cmocka_unit_test(test_rmse_of_a_known_example),
		cmocka_unit_test(test_training_learns_a_real_signal),
		cmocka_unit_test(test_saved_model_scores_rows_and_ranks_risky_calls_higher),
		cmocka_unit_test(test_regression_reports_rmse),
		cmocka_unit_test(test_logistic_refuses_labels_outside_0_1),
		cmocka_unit_test(test_training_without_rows_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
