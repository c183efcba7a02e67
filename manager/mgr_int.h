/* mgr_int.h - private to manager/. */
#ifndef METAFS_MGR_INT_H
#define METAFS_MGR_INT_H

#include <time.h>

#include "base_fs.h"
#include "base_msg.h"
#include "base_path.h"
#include "manager.h"
#include "mgr_metrics.h"

struct mgr {
	mgr_config cfg;
	unsigned nplatforms;
	mgr_platform platforms[MGR_MAX_PLATFORMS];
	uint64_t commits;
	store_env *manager_store;   /* the manager's own environment: HOME/manager */
	int lock_fd;                /* HOME/.metafsd.lock, held by the daemon; -1 */
	struct mgr_jobs *jobs;      /* the job queue (daemon only), see mgr_job.c */
	struct mgr_syncs *syncs;    /* sync rules (daemon only), see mgr_sync.c */
	struct mgr_pipes *pipes;    /* pipelines (daemon only), see mgr_pipeline.c */
	struct mgr_follower *follower;  /* the change-log follower (daemon only), see mgr_daemon.c */
	uint32_t superuser_uid;     /* the uid the daemon (the opening process) runs as */
	struct mgr_access *access;  /* grants, roles and memberships in memory, see mgr_access.c */
	struct mgr_audit *audit;    /* the audit log, see mgr_audit.c */
	struct mgr_metrics *metrics;  /* see mgr_metrics.c; made on first use */
};

bool mgr_platform_name_valid(const char *name, const char **why);
/* Remove everything under DATASTORE/.metafs-staging (left by a crash). */
int mgr_staging_clean(mgr_platform *p);
/* Remove, from every table of every platform, the files named as output of
 * one of the N RUNS (runs the daemon stopped while they ran) that no record
 * lists: bytes such a run renamed into place before its commit (mgr_file.c).
 * Best effort: failures are logged. */
void mgr_output_sweep(mgr *m, const mgr_job_run_ref *runs, size_t n);
/* Install the manager's commit observer on every environment M has open
 * (see mgr_catalog.c): from then on every store_commit in this process is
 * counted and followed up in one place. */
void mgr_commit_observe(mgr *m);
/* Wake the change-log follower (mgr_daemon.c): something committed.  Takes
 * only a leaf lock; a no-op when the follower is not running. */
void mgr_follower_wake(mgr *m);
/* State files (mgr_state.c): replace PATH with TEXT atomically; read it whole. */
int mgr_state_replace(const char *path, const char *text, size_t len);
int mgr_state_read(const char *path, textbuf *out);
/* A definition (rule, pipeline, .schema) is text: -EINVAL, with the line and
 * column of the first NUL byte in ERR, when TEXT holds one. */
int mgr_definition_check_text(const char *text, size_t len, char *err, size_t errlen);
/* An absolute CLOCK_REALTIME deadline MS milliseconds from now, for
 * pthread_cond_timedwait. */
void mgr_deadline(struct timespec *ts, long ms);
/* Access control (mgr_access.c) and the audit log (mgr_audit.c): set up by
 * mgr_open after the manager's environment is open, torn down by mgr_close
 * (which tolerates a NULL state). */
int mgr_access_init(mgr *m);
void mgr_access_fini(mgr *m);
int mgr_audit_init(mgr *m);
void mgr_audit_fini(mgr *m);
/* Resolve a user name or a decimal uid (groups: gid) without a message. */
int mgr_uid_resolve(const char *name, uint32_t *uid);
int mgr_gid_resolve(const char *name, uint32_t *gid);

/* mgr_home.c: set the process's umask for the home CFG (see base_fs.h). */
void mgr_home_umask(const mgr_config *cfg);
/* mkdir -p PATH for the home CFG; a directory made now gets the home's
 * group and mode.  0 or -errno. */
int mgr_home_mkdir(const mgr_config *cfg, const char *path);

/* mgr_file.c: forget the ids of P's hidden files (at mgr_close: a platform
 * opened later at the same address is another one). */
void mgr_hidden_forget_platform(const mgr_platform *p);

#endif
