/*
 * mgr_job_result.c - the results of a run (see mgr_job.h): RUN/results/N.csv
 * for the Nth statement that produced rows, and RUN/result, a copy of the
 * last one.
 *
 * A result is written once its statement has ended, N.csv first and then
 * `result`, each replaced atomically; so a reader sees results/1.csv ..
 * results/K.csv with no gap, and `result` always equals one of them.  A
 * failed run's results are removed before its state says failed, so a
 * reader woken by the end of the run finds none.
 */
#include "base_fs.h"
#include "mgr_int.h"
#include "mgr_job.h"
#include "mgr_job_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESULTS_DIR "results"

/* N of a name "N.csv" (N from 1, no leading zero), else 0. */
static uint32_t result_number(const char *name)
{
	size_t digits = strspn(name, "0123456789");
	if (digits == 0 || digits > 9 || name[0] == '0' || strcmp(name + digits, ".csv"))
		return 0;
	return (uint32_t)strtoul(name, NULL, 10);
}

/* The path of result N (0: `result`) under the run directory DIR. */
static int result_path(const char *dir, uint32_t n, char *out, size_t cap)
{
	int len = n ? snprintf(out, cap, "%s/" RESULTS_DIR "/%u.csv", dir, n)
		    : snprintf(out, cap, "%s/%s", dir, mgr_job_file_names[MGR_JOB_FILE_RESULT]);
	return len < 0 || (size_t)len >= cap ? -ENAMETOOLONG : 0;
}

int mgr_job_write_result(const struct job *job, uint32_t run, uint32_t n, const char *text,
			 size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc = mgr_job_run_dir(job, run, dir, sizeof dir);
	if (rc == 0 && (rc = result_path(dir, n, path, sizeof path)) == 0) {
		*strrchr(path, '/') = '\0';
		rc = base_fs_mkdirs(path, BASE_MODE_DIR);
		path[strlen(path)] = '/';
	}
	if (rc == 0)
		rc = mgr_state_replace(path, text, len);
	if (rc == 0 && (rc = result_path(dir, 0, path, sizeof path)) == 0)
		rc = mgr_state_replace(path, text, len);
	return rc;
}

void mgr_job_drop_results(const struct job *job, uint32_t run)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	if (mgr_job_run_dir(job, run, dir, sizeof dir))
		return;
	/* `result` first: it is the copy of a file of results/. */
	if (result_path(dir, 0, path, sizeof path) == 0 && unlink(path) && errno != ENOENT)
		mgr_log(MGR_LOG_WARN, "cannot remove %s: %s", path, strerror(errno));
	snprintf(path, sizeof path, "%s/" RESULTS_DIR, dir);
	int rc = base_fs_tree_remove(path);
	if (rc && rc != -ENOENT)
		mgr_log(MGR_LOG_WARN, "cannot remove %s: %s", path, strerror(-rc));
}

int mgr_job_results(mgr *m, uint32_t job_id, uint32_t run, uint32_t *count)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	*count = 0;
	int rc = mgr_job_run_path(m, job_id, run, dir, sizeof dir);
	if (rc)
		return rc;
	snprintf(path, sizeof path, "%s/" RESULTS_DIR, dir);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	/* Results are written in order with no gap (see the top): their
	 * number is the highest N. */
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		uint32_t n = result_number(e->d_name);
		if (n > *count)
			*count = n;
	}
	closedir(d);
	return 0;
}

bool mgr_job_result_exists(mgr *m, uint32_t job_id, uint32_t run, uint32_t n)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	struct stat st;
	if (mgr_job_run_path(m, job_id, run, dir, sizeof dir) || result_path(dir, n, path, sizeof path) ||
	    stat(path, &st))
		return false;
	/* A run from before results/ has an empty `result` when it had none. */
	return n || st.st_size > 0;
}

int mgr_job_read_result(mgr *m, uint32_t job_id, uint32_t run, uint32_t n, textbuf *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	int rc = mgr_job_run_path(m, job_id, run, dir, sizeof dir);
	if (rc == 0)
		rc = result_path(dir, n, path, sizeof path);
	if (rc == 0)
		rc = mgr_state_read(path, out);
	if (rc == 0 && n == 0 && out->len == 0)
		rc = -ENOENT;   /* as mgr_job_result_exists */
	return rc;
}
