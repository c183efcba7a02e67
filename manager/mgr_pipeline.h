/*
 * mgr_pipeline.h - pipelines attached to tables of the second platform, and
 * their activation.
 *
 * A pipeline is a definition (the ini file metafs-pipeline(1) reads) whose
 * `source` names a table inside the mount (PLATFORM/db/table).  The daemon
 * keeps it in HOME/manager/pipelines/NAME.ini and serves it at
 * MOUNT/pipelines/NAME.ini.  After a sync run that brought changes into the
 * pipeline's platform, the daemon activates the pipeline: it fork/execs
 * `metafs-pipeline --mount MOUNT MOUNT/pipelines/NAME.ini` with an
 * environment that carries only the mount (and a state directory), so the
 * pipeline sees the second platform through the mount and nothing else.
 * Its output and exit code are kept for MOUNT/pipelines/NAME/.
 *
 * Owners.  Defining a pipeline needs SELECT on its source table; the user
 * who defines it owns it (recorded in its state) and the process runs as
 * that user: a daemon running as root switches to the owner's uid and gid
 * (no supplementary groups) in the child; a daemon not running as root
 * cannot, and an activation of a pipeline owned by someone else fails with
 * the reason in its status.  The owner needs allow_other on the mount to
 * read it at all.
 */
#ifndef METAFS_MGR_PIPELINE_H
#define METAFS_MGR_PIPELINE_H

#include "manager.h"
#include "mgr_access.h"

typedef enum mgr_pipeline_file {
	MGR_PIPELINE_STATUS = 0,   /* idle | running | failed, last_run, exit_code, runs */
	MGR_PIPELINE_LOG,          /* the newest runs' output, with times */
	MGR_PIPELINE_DELIVERED,    /* runs that delivered their message (exit 0 with a webhook) */
	MGR_PIPELINE_RUN,          /* reading it runs the pipeline now; gives exit code and output */
	MGR_PIPELINE_FILE_COUNT
} mgr_pipeline_file;

extern const char *const mgr_pipeline_file_names[MGR_PIPELINE_FILE_COUNT];

/* Start the activation worker; MOUNTPOINT is what pipelines are given. */
int mgr_pipelines_start(mgr *m, const char *mountpoint);
void mgr_pipelines_stop(mgr *m);
/* A sync run brought changes into PLATFORM: activate its pipelines. */
void mgr_pipelines_notify(mgr *m, const char *platform);

/* Define (or redefine) pipeline NAME from TEXT, as WHO (SELECT on the
 * source table, audited; the reason in ERR); WHO becomes the owner.  Redefining another user's pipeline needs
 * ADMIN on the metastore. */
int mgr_pipeline_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
			   size_t len, char *err, size_t errlen);
int mgr_pipeline_owner(mgr *m, uint32_t id, mgr_principal *owner);
int mgr_pipeline_delete(mgr *m, const char *name);
uint32_t mgr_pipeline_count(mgr *m);
int mgr_pipeline_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1]);
int mgr_pipeline_find(mgr *m, const char *name, uint32_t *id);
int mgr_pipeline_read_def(mgr *m, uint32_t id, textbuf *out);
int mgr_pipeline_read(mgr *m, uint32_t id, mgr_pipeline_file file, textbuf *out);
/* May WHO run pipeline ID now (a read of pipelines/NAME/run)?  Its owner
 * or ADMIN on the metastore.  Audited (action pipeline, object
 * /pipelines/NAME/run); 0, -EACCES or -ENOENT. */
int mgr_pipeline_may_run(mgr *m, const mgr_principal *who, uint32_t id);
int mgr_pipeline_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out);

#endif
