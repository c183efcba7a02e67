/*
 * mgr_metrics.h - the manager's part of /.metafs/metrics: jobs, sync rules,
 * pipelines and commits by the path that made them.
 *
 * Counters live in memory and start at 0 when the daemon opens the home
 * (the Prometheus convention for a restarted process: rate() and
 * increase() see the reset).  Gauges (runs in progress, a rule's lag, a
 * pipeline's outbox) are computed when the file is rendered from the state
 * they describe: the source and target metastores, the outbox directory on
 * disk, the jobs the daemon holds.
 *
 * The code that does the work tells this file what happened with one call
 * at the place it happens (mgr_metrics_job_state, mgr_metrics_sync_run,
 * mgr_metrics_pipeline_run); every call is cheap and takes at most a leaf
 * lock of this file, so it may be made with the caller's locks held.
 *
 * Commits by path.  Every store_commit ends in the manager's commit
 * observer (mgr_catalog.c), which cannot see who committed; the committer's
 * thread says it instead.  The job workers, the sync scheduler and the
 * pipeline workers mark their thread once when they start
 * (mgr_commit_path_enter); the functions that commit a file through the
 * mount, drop or rename a file, repair a table or resolve intents mark
 * their own extent (MGR_COMMIT_PATH, undone when the function returns), so
 * the innermost mark wins: a job's MSCK REPAIR TABLE counts as repair.  A
 * thread with no mark (the FUSE threads: mkdir, .schema, grants ...) counts
 * its commits as "mount".
 */
#ifndef METAFS_MGR_METRICS_H
#define METAFS_MGR_METRICS_H

#include "manager.h"

typedef enum mgr_commit_path {
	MGR_COMMIT_MOUNT = 0,   /* unmarked: other requests through the mount */
	MGR_COMMIT_FILE,        /* a file written through the mount (create, close, fsync, mtime) */
	MGR_COMMIT_DROP,        /* a file unlinked through the mount */
	MGR_COMMIT_RENAME,      /* a file renamed through the mount */
	MGR_COMMIT_JOB,         /* a job's output and catalog changes */
	MGR_COMMIT_SYNC,        /* a sync rule's apply */
	MGR_COMMIT_PIPELINE,    /* a pipeline worker */
	MGR_COMMIT_REPAIR,      /* a table repair (MSCK REPAIR TABLE in a job) */
	MGR_COMMIT_RECOVERY,    /* intents resolved at start */
	MGR_COMMIT_PATH_COUNT
} mgr_commit_path;

/* Mark the calling thread's commits as PATH; returns the previous mark. */
int mgr_commit_path_enter(int path);
/* Restore the mark saved in *PREV (the cleanup of MGR_COMMIT_PATH). */
void mgr_commit_path_leave(int *prev);
/* Count the commits of the rest of the enclosing block as PATH. */
#define MGR_COMMIT_PATH(path)                                                                 \
	__attribute__((cleanup(mgr_commit_path_leave), unused)) int mgr_commit_path_prev_ = \
		mgr_commit_path_enter(path)

/* The commit observer's count: one commit by the calling thread's path. */
void mgr_metrics_commit(mgr *m);
/* A job run moved from state FROM to TO (mgr_job_state values); STARTED_NS
 * is when this daemon started running it (0: it did not). */
void mgr_metrics_job_state(mgr *m, int from, int to, int64_t started_ns);
/* Sync rule RULE ran: RC its result, APPLIED objects written, EVENTS read
 * from the source's log. */
void mgr_metrics_sync_run(mgr *m, const char *rule, int rc, uint64_t applied, uint64_t events);
/* Pipeline NAME ran: FAILED (non-zero exit or killed), DELIVERED (its
 * message was posted), SPOOLED (delivery failed, the message went to the
 * outbox). */
void mgr_metrics_pipeline_run(mgr *m, const char *name, bool failed, bool delivered, bool spooled);

/* metafs-pipeline's exit code for a message it could not post and spooled
 * to its outbox (pipeline.h, PL_EXIT_SPOOLED). */
#define MGR_PIPELINE_EXIT_SPOOLED 3

/* Append the manager's metric families to OUT (Prometheus text format,
 * HELP and TYPE before each family).  0 or -ENOMEM. */
int mgr_metrics_render(mgr *m, textbuf *out);
/* Release M's metrics (mgr_close). */
void mgr_metrics_free(mgr *m);

#endif
