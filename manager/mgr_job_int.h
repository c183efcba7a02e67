/* mgr_job_int.h - private to the job code of manager/. */
#ifndef METAFS_MGR_JOB_INT_H
#define METAFS_MGR_JOB_INT_H

#include "mgr_job.h"
#include "sql.h"

struct mgr_jobs;

struct job_run {
	mgr_job_state state;
	uint32_t uid, gid;
	sql_progress *progress;     /* while running: the engine's counters; else NULL */
	int64_t started_ns;
};

/* A job: its name and runs.  runs[] may move when a run is added: touch it
 * only with the jobs lock held (mgr_job_lock). */
struct job {
	char name[MGR_JOB_NAME_MAX + 1];
	uint32_t id;
	bool owned;                 /* OWNER_UID holds the name (see mgr_job_declare) */
	uint32_t owner_uid;
	struct job_run *runs;
	uint32_t nruns, capruns;
	struct mgr_jobs *jobs;
};

int mgr_job_run_dir(const struct job *job, uint32_t run, char *out, size_t cap);
/* The same for run RUN of JOB_ID (0: its latest); -ENOENT when there is none. */
int mgr_job_run_path(mgr *m, uint32_t job_id, uint32_t run, char *out, size_t cap);
/* Create the spill directory (spill_dir) and empty it of what a killed
 * daemon's runs left there; problems are logged (a run that spills then
 * fails naming the directory).  Called at start-up, before any run. */
void mgr_job_spill_prepare(mgr *m);
int mgr_job_write_file(const struct job *job, uint32_t run, mgr_job_file file, const char *text,
		       size_t len);
/* mgr_job_result.c: result N (from 1) of a run is TEXT: results/N.csv,
 * and `result` becomes the same bytes. */
int mgr_job_write_result(const struct job *job, uint32_t run, uint32_t n, const char *text,
			 size_t len);
/* Remove every result of a run (it failed, or starts again). */
void mgr_job_drop_results(const struct job *job, uint32_t run);
/* Record a new state (status file, waits fired when the run ended). */
void mgr_job_set_state(struct job *job, uint32_t run, mgr_job_state state, const char *details);
void mgr_job_lock(struct job *job);
void mgr_job_unlock(struct job *job);

/* mgr_job_exec.c: the engine called NAME ("embedded"), or NULL. */
const sql_engine_methods *mgr_engine_find(const char *name);
/* mgr_job_exec.c: run every statement of one run; sets the final state. */
void mgr_job_execute(mgr *m, struct job *job, uint32_t run);
/* The progress text of a running run (called with the jobs lock held). */
void mgr_job_render_progress(const struct job *job, uint32_t run, textbuf *out);

#endif
