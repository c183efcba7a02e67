/*
 * test_mgr_metrics.c - the manager's metric families: commits counted by
 * the path the committing thread is marked with, the job counters and
 * duration histogram, and the text they render.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"
#include "mgr_job.h"
#include "mgr_metrics.h"
#include "mgr_fixture.h"
#include "testdir.h"

struct fixture {
	char home[PATH_MAX];
	mgr *m;
	mgr_platform *wh;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *names[] = {"warehouse"};
	f->m = mgr_fx_open(f->home, 1, names, true, &f->wh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	mgr_fx_close(f->m, f->home);
	free(f);
	return 0;
}

/* The value of the sample SERIES (name and labels as rendered) in M's
 * metrics; -1 when there is none. */
static double metric(mgr *m, const char *series)
{
	textbuf out = TEXTBUF_INIT;
	assert_int_equal(mgr_metrics_render(m, &out), 0);
	double v = -1;
	size_t n = strlen(series);
	for (const char *line = out.data; line && *line;) {
		const char *nl = strchr(line, '\n');
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			v = strtod(line + n + 1, NULL);
		line = nl ? nl + 1 : NULL;
	}
	textbuf_free(&out);
	return v;
}

#define COMMITS(path) "metafs_store_commits_by_path_total{path=\"" path "\"}"

static void create_db(struct fixture *f, const char *name)
{
	assert_int_equal(mgr_database_create(f->wh, name, 0, 0, STORE_ORIGIN_FS, NULL), 0);
}

static void test_unmarked_thread_counts_its_commits_as_mount(void **state)
{
	struct fixture *f = *state;
	double mount = metric(f->m, COMMITS("mount")), job = metric(f->m, COMMITS("job"));
	create_db(f, "a");
	assert_true(metric(f->m, COMMITS("mount")) == mount + 1);
	assert_true(metric(f->m, COMMITS("job")) == job);
}

/* The mark holds for the block that made it, then the earlier one is back. */
static void test_marked_block_counts_its_commits_and_restores_the_mark(void **state)
{
	struct fixture *f = *state;
	double mount = metric(f->m, COMMITS("mount"));
	double job = metric(f->m, COMMITS("job")), repair = metric(f->m, COMMITS("repair"));
	{
		MGR_COMMIT_PATH(MGR_COMMIT_JOB);
		create_db(f, "b");
		{
			MGR_COMMIT_PATH(MGR_COMMIT_REPAIR);
			create_db(f, "c");
		}
		create_db(f, "d");
	}
	create_db(f, "e");
	assert_true(metric(f->m, COMMITS("job")) == job + 2);
	assert_true(metric(f->m, COMMITS("repair")) == repair + 1);
	assert_true(metric(f->m, COMMITS("mount")) == mount + 1);
}

static void *commit_as_sync(void *arg)
{
	struct fixture *f = arg;
	mgr_commit_path_enter(MGR_COMMIT_SYNC);
	create_db(f, "s");
	return NULL;
}

/* A mark is the thread's own: another thread's does not leak into this one. */
static void test_mark_belongs_to_its_thread(void **state)
{
	struct fixture *f = *state;
	double mount = metric(f->m, COMMITS("mount")), sync = metric(f->m, COMMITS("sync"));
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, commit_as_sync, f), 0);
	pthread_join(t, NULL);
	create_db(f, "m");
	assert_true(metric(f->m, COMMITS("sync")) == sync + 1);
	assert_true(metric(f->m, COMMITS("mount")) == mount + 1);
}

static void test_commits_by_path_add_up_to_the_total(void **state)
{
	struct fixture *f = *state;
	create_db(f, "x");
	{
		MGR_COMMIT_PATH(MGR_COMMIT_DROP);
		assert_int_equal(mgr_database_drop(f->wh, "x", STORE_ORIGIN_FS), 0);
	}
	static const char *const paths[] = {"mount", "file", "drop", "rename", "job",
					    "sync", "pipeline", "repair", "recovery"};
	double sum = 0;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char series[96];
		snprintf(series, sizeof series, "metafs_store_commits_by_path_total{path=\"%s\"}", paths[i]);
		double v = metric(f->m, series);
		assert_true(v >= 0);
		sum += v;
	}
	assert_true(sum == (double)mgr_commit_count(f->m));
}

static void test_job_transitions_move_counters_and_histogram(void **state)
{
	struct fixture *f = *state;
	mgr_metrics_job_state(f->m, MGR_JOB_QUEUED, MGR_JOB_QUEUED, 0);
	mgr_metrics_job_state(f->m, MGR_JOB_QUEUED, MGR_JOB_RUNNING, 0);
	/* A run that took 2 s: in the buckets from le="10" up. */
	mgr_metrics_job_state(f->m, MGR_JOB_RUNNING, MGR_JOB_SUCCEEDED,
			      store_now_ns() - 2000000000LL);
	assert_true(metric(f->m, "metafs_jobs_submitted_total") == 1);
	assert_true(metric(f->m, "metafs_jobs_succeeded_total") == 1);
	assert_true(metric(f->m, "metafs_jobs_failed_total") == 0);
	assert_true(metric(f->m, "metafs_job_duration_seconds_bucket{le=\"1\"}") == 0);
	assert_true(metric(f->m, "metafs_job_duration_seconds_bucket{le=\"10\"}") == 1);
	assert_true(metric(f->m, "metafs_job_duration_seconds_bucket{le=\"3600\"}") == 1);
	assert_true(metric(f->m, "metafs_job_duration_seconds_bucket{le=\"+Inf\"}") == 1);
	assert_true(metric(f->m, "metafs_job_duration_seconds_count") == 1);
	double sum = metric(f->m, "metafs_job_duration_seconds_sum");
	assert_true(sum >= 2.0);
	/* A run found interrupted at start (it never ran in this daemon):
	 * failed, without a duration. */
	mgr_metrics_job_state(f->m, MGR_JOB_RUNNING, MGR_JOB_FAILED, 0);
	assert_true(metric(f->m, "metafs_jobs_failed_total") == 1);
	assert_true(metric(f->m, "metafs_job_duration_seconds_count") == 1);
	assert_true(metric(f->m, "metafs_job_duration_seconds_sum") == sum);
}

/* Every family has HELP and TYPE lines before its samples. */
static void test_every_family_is_declared_before_its_samples(void **state)
{
	struct fixture *f = *state;
	textbuf out = TEXTBUF_INIT;
	assert_int_equal(mgr_metrics_render(f->m, &out), 0);
	char declared[64][96];
	unsigned ndeclared = 0;
	for (char *line = out.data; line && *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		char name[96];
		if (sscanf(line, "# TYPE %95s", name) == 1) {
			assert_true(ndeclared < 64);
			snprintf(declared[ndeclared++], sizeof declared[0], "%s", name);
		} else if (line[0] != '#') {
			size_t n = strcspn(line, "{ ");
			bool found = false;
			for (unsigned i = 0; i < ndeclared && !found; i++)
				found = strncmp(line, declared[i], strlen(declared[i])) == 0 &&
					(n == strlen(declared[i]) || line[strlen(declared[i])] == '_');
			if (!found)
				fail_msg("no TYPE before \"%s\"", line);
		}
		line = nl + 1;
	}
	textbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unmarked_thread_counts_its_commits_as_mount, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_marked_block_counts_its_commits_and_restores_the_mark,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_belongs_to_its_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commits_by_path_add_up_to_the_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_transitions_move_counters_and_histogram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_every_family_is_declared_before_its_samples, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
