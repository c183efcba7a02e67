/*
 * mgr_sync.h - sync rules in the daemon: their definitions and state, the
 * scheduler that runs them, and the refresh component.
 *
 * A rule's definition and state live in HOME/manager/sync/:
 *   NAME.rule      the definition, as written (replaced atomically)
 *   NAME.state     status, last run, history (replaced atomically)
 * NAME.state also records the rule's owner (the user who defined it): the
 * rule reads and writes as that user.  Defining a rule needs SYNC on its
 * source (the database, or the platform when the database part is a glob)
 * and on its target platform; `adopt = DB` also ADMIN on each target
 * database named and SELECT on the source; `on_conflict = overwrite` also
 * ADMIN on the target platform.  Every run checks the owner still holds
 * them all (the run fails with "permission denied: ..." otherwise).
 * Its cursor lives in the target metastore, committed with the records it
 * covers (see sync.h): the state files only report.
 *
 * The scheduler (one thread) runs a rule
 *   - on demand: when the source's change log has moved past the rule's
 *     cursor (the change-log follower wakes it whenever a platform's log
 *     moves, by a commit in the daemon or another process; a rule that
 *     failed is retried only once the source has moved on);
 *   - periodically: every `interval`, with a full compare by etag, which
 *     also catches what reached the source by other routes;
 *   - when asked (mgr_sync_run_now).
 */
#ifndef METAFS_MGR_SYNC_H
#define METAFS_MGR_SYNC_H

#include "manager.h"
#include "mgr_access.h"

typedef enum mgr_sync_file {
	MGR_SYNC_STATUS = 0,  /* idle | running | failed, then details */
	MGR_SYNC_CURSOR,      /* the last source event applied */
	MGR_SYNC_LAG,         /* source head - cursor, in events */
	MGR_SYNC_LAST_RUN,    /* time, duration, objects applied, mode */
	MGR_SYNC_HISTORY,     /* one line a run, newest last (the last 100) */
	MGR_SYNC_DIFF,        /* what a run would change now (dry run) */
	MGR_SYNC_RUN,         /* reading runs the rule now and gives the result */
	MGR_SYNC_FILE_COUNT
} mgr_sync_file;

extern const char *const mgr_sync_file_names[MGR_SYNC_FILE_COUNT];

int mgr_sync_start(mgr *m);
void mgr_sync_stop(mgr *m);
/* Wake the scheduler (after a commit). */
void mgr_sync_kick(mgr *m);

/* Define (or redefine) rule NAME from TEXT, as WHO; on a bad definition
 * -EINVAL with the reason ("line N: ...") in ERR.  WHO needs SYNC on the
 * source and the target (-EACCES otherwise, audited, the reason in ERR), and
 * to redefine an existing rule WHO must own it or hold ADMIN on the
 * metastore.  WHO becomes the owner. */
int mgr_sync_define_as(mgr *m, const mgr_principal *who, const char *name, const char *text,
		       size_t len, char *err, size_t errlen);
/* The owner of rule ID (the daemon's user for rules defined before owners
 * were recorded). */
int mgr_sync_owner(mgr *m, uint32_t id, mgr_principal *owner);
/* Forget rule NAME (its mirrored objects stay, no longer maintained). */
int mgr_sync_delete(mgr *m, const char *name);

/* Rules are numbered from 1 in the order they were defined; the number is
 * stable for the daemon's lifetime and part of inode numbers. */
uint32_t mgr_sync_count(mgr *m);
int mgr_sync_info(mgr *m, uint32_t id, char name[STORE_NAME_MAX + 1]);
int mgr_sync_find(mgr *m, const char *name, uint32_t *id);
/* The canonical definition, or one of the state files. */
int mgr_sync_read_rule(mgr *m, uint32_t id, textbuf *out);
int mgr_sync_read(mgr *m, uint32_t id, mgr_sync_file file, textbuf *out);
/* May WHO run rule ID now (a read of sync/NAME/run)?  Its owner, a user
 * holding SYNC on its source and its target, or ADMIN on the metastore.
 * Audited (action sync, object /sync/NAME/run); 0, -EACCES or -ENOENT. */
int mgr_sync_may_run(mgr *m, const mgr_principal *who, uint32_t id);
/* Run rule ID now and wait for it; its result text in OUT.  STOP as in
 * mgr_job_wait_end. */
int mgr_sync_run_now(mgr *m, uint32_t id, bool (*stop)(void *ctx), void *ctx, textbuf *out);

/* The refresh component: the partition list of mirrored table T of platform
 * P (see sync_refresh); -ENOENT if T is not a mirror (mgr_is_mirror). */
int mgr_refresh(mgr *m, mgr_platform *p, const store_table *t, uint64_t since, textbuf *out);
/* Is T, a table of platform P, a mirror (its partitions and bytes are the
 * source's)?  Only when a rule of the registry made it: the rule its
 * metafs.mirror.rule names exists, targets P, agrees with T's properties
 * (sync_mirror_valid: source, masks, dropped columns) and P holds the
 * rule's work (its cursor or recorded definition).  A table that only
 * carries metafs.mirror.* properties is a plain table.  Who reads through
 * a mirror needs SELECT on the mirror (the caller checks it). */
bool mgr_is_mirror(mgr *m, const mgr_platform *p, const store_table *t);
/* Is T maintained by a sync rule that exists (read-only for everyone else)? */
bool mgr_mirror_maintained(mgr *m, const store_table *t);
/* The source of mirrored table T of platform P: its platform and table (a
 * copy: clear it).  -ENOENT unless mgr_is_mirror, or when the source is
 * gone (or re-created: another id). */
int mgr_mirror_source(mgr *m, const mgr_platform *p, const store_table *t, mgr_platform **source,
		      store_table *st);

#endif
