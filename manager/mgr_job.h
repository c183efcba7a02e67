/*
 * mgr_job.h - SQL jobs: submission, the queue, the workers that run them,
 * and the files each run leaves behind.
 *
 * A job is a name (jobs/NAME.sql) and a sequence of runs: every submission
 * under the same name is a new run, numbered from 1, and earlier runs stay
 * readable.  A run's artifacts live in HOME/manager/jobs/NAME/RUN/:
 *
 *   job.sql      the submitted text
 *   status       first line queued | running | succeeded | failed, then details
 *   plan         the four Catalyst sections of every statement
 *   resources    what the physical planner allocated and what was used
 *   progress     partitions, bytes and rows done (live while running)
 *   log          what happened, with times
 *   dag.dot      graphviz of the physical plans
 *   results/N.csv  the rows of the Nth statement that produces rows
 *                (SELECT, VALUES, WITH, SHOW ...): CSV with a header line
 *   result       the same bytes as the last results/N.csv; absent when
 *                no statement produced rows, and when the run failed
 *
 * Each file is replaced atomically (write, fsync, rename), so a reader sees
 * a whole old version or a whole new one, and a crash leaves every run
 * either with its last state or, if it was running, marked failed at the
 * next start ("the daemon stopped while the job ran"); the engine's staged
 * output of such a run is removed with the rest of the staging area.
 */
#ifndef METAFS_MGR_JOB_H
#define METAFS_MGR_JOB_H

#include "manager.h"

typedef enum mgr_job_state {
	MGR_JOB_QUEUED = 0,
	MGR_JOB_RUNNING = 1,
	MGR_JOB_SUCCEEDED = 2,
	MGR_JOB_FAILED = 3,
} mgr_job_state;

typedef enum mgr_job_file {
	MGR_JOB_FILE_SQL = 0,
	MGR_JOB_FILE_STATUS,
	MGR_JOB_FILE_PLAN,
	MGR_JOB_FILE_RESOURCES,
	MGR_JOB_FILE_PROGRESS,
	MGR_JOB_FILE_LOG,
	MGR_JOB_FILE_DOT,
	MGR_JOB_FILE_RESULT,
	MGR_JOB_FILE_COUNT
} mgr_job_file;

#define MGR_JOB_NAME_MAX 200
#define MGR_JOB_TEXT_MAX (16u << 20)

/* The file names, in mgr_job_file order ("job.sql", "status", ...). */
extern const char *const mgr_job_file_names[MGR_JOB_FILE_COUNT];

/* Load the jobs of the home (runs left running are marked failed) and start
 * WORKERS worker threads.  Called once by the daemon after mgr_open(). */
int mgr_jobs_start(mgr *m, unsigned workers);
/* Stop taking jobs: a running query is cancelled (its run fails and
 * commits nothing of the statement it was in); queued runs stay queued and
 * run at the next start. */
void mgr_jobs_stop(mgr *m);

/* A job name is what precedes ".sql": 1..200 bytes of letters, digits, '_',
 * '-' and '.', not starting with '.'. */
bool mgr_job_name_valid(const char *name, const char **why);

/* Job names are per submitter.  The user who first declares a name owns
 * the job for good (HOME/manager/jobs/NAME/owner holds the uid; a job kept
 * from before owners were recorded belongs to the submitter of its first
 * run), and only that user may submit runs of it: every run of a job is
 * its owner's, so NAME.sql and NAME/ never show another user's run.  No
 * exception is made for superusers, who read every run but submit under
 * names of their own. */

/* Find job NAME for UID, or create it for UID with no runs yet (so a file
 * being written under jobs/ already has its inode number).  -EACCES when
 * NAME belongs to another user; *OWNER (when given) is that user. */
int mgr_job_declare(mgr *m, const char *name, uint32_t uid, uint32_t *job_id, uint32_t *owner);
/* Queue TEXT as a new run of job NAME, submitted by UID:GID; *run is its
 * number.  -EACCES (and the owner in *HOLDER) as mgr_job_declare. */
int mgr_job_submit(mgr *m, const char *name, const char *text, size_t len, uint32_t uid,
		   uint32_t gid, uint32_t *job_id, uint32_t *run, uint32_t *holder);
/* The owner of job JOB_ID: -ENOENT when there is no such job or nobody
 * holds it yet (a job kept from before owners, without runs). */
int mgr_job_owner(mgr *m, uint32_t job_id, uint32_t *uid);

/* Jobs are numbered from 1 in the order they were first submitted; the
 * number is stable across restarts (it is part of inode numbers). */
uint32_t mgr_job_count(mgr *m);
/* Name and number of runs of job JOB_ID; -ENOENT if there is none. */
int mgr_job_info(mgr *m, uint32_t job_id, char name[MGR_JOB_NAME_MAX + 1], uint32_t *runs);
int mgr_job_find(mgr *m, const char *name, uint32_t *job_id, uint32_t *runs);
int mgr_job_run_state(mgr *m, uint32_t job_id, uint32_t run, mgr_job_state *state);
/* The same, also without the daemon's threads (metafs repair reads the
 * run's status file).  -ENOENT for a run that is not recorded. */
int mgr_job_run_recorded_state(mgr *m, uint32_t job_id, uint32_t run, mgr_job_state *state);
/* Whether NAME is how an INSERT or CREATE TABLE AS of a run names its output
 * file in a partition directory: part-JOB-RUN-STATEMENT-NNNNN.EXT.  Sets
 * *REF to that run. */
bool mgr_job_output_name(const char *name, mgr_job_run_ref *ref);
/* Who submitted run RUN of JOB_ID (0: the latest); -ENOENT when there is
 * no such run. */
int mgr_job_run_owner(mgr *m, uint32_t job_id, uint32_t run, uint32_t *uid, uint32_t *gid);
/* The text of one file of a run (RUN 0: the latest). */
int mgr_job_read(mgr *m, uint32_t job_id, uint32_t run, mgr_job_file file, textbuf *out);

/* Results.  Every statement that produces rows leaves them in
 * results/N.csv of its run, N counting those statements from 1 in job
 * order, as soon as it has ended; `result` is then replaced by a copy.  A
 * failed run keeps none of them.  A job produces at most
 * MGR_JOB_RESULTS_MAX results (a job with more fails before it runs). */
#define MGR_JOB_RESULTS_MAX 240
/* How many results run RUN of JOB_ID (0: the latest) has now. */
int mgr_job_results(mgr *m, uint32_t job_id, uint32_t run, uint32_t *count);
/* Whether result N (0: `result`) of the run is there now. */
bool mgr_job_result_exists(mgr *m, uint32_t job_id, uint32_t run, uint32_t n);
/* The bytes of result N (0: `result`); -ENOENT when it is not there. */
int mgr_job_read_result(mgr *m, uint32_t job_id, uint32_t run, uint32_t n, textbuf *out);

/* Block until run RUN of JOB_ID (0: the latest) has ended, and give its
 * final state.  STOP is asked about ten times a second whether to give up
 * (the reader was interrupted): then -EINTR. */
int mgr_job_wait_end(mgr *m, uint32_t job_id, uint32_t run, bool (*stop)(void *ctx), void *ctx,
		     mgr_job_state *state);


#endif
