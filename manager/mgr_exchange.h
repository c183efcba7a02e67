/*
 * mgr_exchange.h - the data exchange between platforms as the daemon
 * serves it: masked views of a mirror's source files, and second-platform
 * jobs reading first-platform data through the same masks (sync_mask.h).
 *
 * What a mirror's exchange is comes from the mirror's record and its
 * source's, never from the rule text alone: the masks are the mirror's
 * metafs.mask.policy, the dropped columns are the source's data columns the
 * mirror's schema lacks.  So a mirror whose rule is gone still serves masked
 * data, and a mirror never serves a column its schema does not show.
 *
 * Materialized files.  The transformed bytes of one source file are written
 * once into HOME/manager/exchange/ (a temporary file, fsynced, renamed into
 * place) under a name that is a hash of everything they depend on: the
 * source file's identity (device, inode, size, modification time) and
 * checksum, the source schema, the dropped columns, the policy and its
 * version, and the key's id.  Any change gives a new name, so a stale
 * transform is never served.  A file used again gets its modification time
 * touched; files not used for a day are removed when the daemon starts.
 */
#ifndef METAFS_MGR_EXCHANGE_H
#define METAFS_MGR_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "manager.h"

struct sql_catalog;   /* sql.h */
struct sql_stmt;

#define MGR_EXCHANGE_DIR "manager/exchange"
#define MGR_EXCHANGE_KEY "manager/exchange.key"
#define MGR_EXCHANGE_MAX_AGE_S (24 * 3600)

/* For the file system: data file F of table T of platform P at PATH (in the
 * source's data store), seen through a mirror: VIEW_TARGET is the target
 * platform's index + 1 when T is the source table seen from the target's
 * tree (a view), 0 when T itself may be a mirror (its own file records).
 * Opens it as mgr_exchange_open does; a file of an ordinary table is simply
 * opened. */
int mgr_exchange_open_data(mgr *m, mgr_platform *p, const store_table *t, unsigned view_target,
			   const store_file *f, const char *path, uint32_t uid, int *fd_out,
			   bool *transformed);
/* Is that file served transformed?  1 with *SIZE the materialized size (0
 * when not materialized yet), 0 when it is served as it is, or -errno. */
int mgr_exchange_data_size(mgr *m, mgr_platform *p, const store_table *t, unsigned view_target,
			   const store_file *f, uint64_t *size);

/* Is DB.TABLE of platform SOURCE covered by a sync rule into TARGET that
 * masks or drops columns?  0 with the rule's name in NAME, or -ENOENT
 * (mgr_sync.c). */
int mgr_sync_exchange_rule(mgr *m, const char *source, const char *target, const char *db,
			   const char *table, char name[STORE_NAME_MAX + 1]);

/* Remove materialized files not used for MGR_EXCHANGE_MAX_AGE_S, and
 * temporary files a crash left (the daemon, at start). */
int mgr_exchange_clean(mgr *m);

/* Who a job's scans read for: the manager and the job's submitter. */
typedef struct mgr_exchange_scan {
	mgr *m;
	uint32_t uid;
} mgr_exchange_scan;

/* Make CAT's scans go through the manager (sql_catalog.scan_source): a
 * mirror reads its source's files through the mirror's exchange; a table of
 * another platform read by a statement whose engine_platform has a mirror
 * of it with an active exchange reads that mirror instead; every data file
 * is opened with mgr_data_open() as XS->uid, so a symlink planted in a data
 * store is refused and audited for the job's submitter.  XS must outlive
 * CAT's use.  The engine platform is chosen per statement by the job
 * runner (mgr_job_exec.c). */
void mgr_exchange_catalog(mgr_exchange_scan *xs, struct sql_catalog *cat);

#endif
