/*
 * hms.h - the network face of metafs: the Hive Metastore Thrift API
 * (ThriftHiveMetastore and fb303, binary protocol over a buffered socket)
 * for Spark, Trino and Hive clients.  Served when metafs.ini sets
 * [hms] listen = ADDRESS:PORT (see metafsd(8)).
 *
 * One thread per connection, at most [hms] max_connections at once; a
 * connection past that, or from a peer outside [hms] allow, is closed
 * unanswered.  Each call is decided by the manager's access control as the
 * user the connection named with set_ugi and audited like a request
 * through the mount.  The served calls and their field ids are those of
 * Hive's hive_metastore.thrift; hms/hive_metastore.thrift lists them.
 *
 * Catalogs.  Hive's default catalog "hive" (and a request that names no
 * catalog) is the first platform of metafs.ini; any other catalog name is
 * the platform of that name.
 *
 * Notifications (hms_misc.c).  The notification log is the change log of
 * the first platform (store_iter_events), the default catalog's: an
 * event's Hive eventId is its seq there.  So ids increase, are the same
 * after a restart, and name one event each.  Two platforms have two logs
 * that each count 1, 2, 3 ...; merging them would give ids that a client
 * polling from its last id could miss (a slower log's events would arrive
 * below it), so the other platforms' changes are not notified.  Events
 * without a Hive form (a pnode above the leaves) and those the set_ugi
 * user may not see (mgr_event_visible, as /.metafs/events) are left out:
 * ids have gaps, which Hive 4's getNextNotification(request, true, filter)
 * accepts.  A lastEvent older than the oldest event retained answers what
 * the log still holds, as Hive does.
 */
#ifndef METAFS_HMS_H
#define METAFS_HMS_H

#include <stddef.h>

#include "manager.h"

typedef struct hms_server hms_server;

/* Start serving M's platforms if [hms] listen is set (else *OUT = NULL and
 * 0).  MOUNTPOINT (may be NULL) makes the default location prefix
 * file://MOUNTPOINT.  On failure -errno with the reason in ERR.  *OUT is
 * yours: hms_server_stop() it before M is closed. */
int hms_server_start(mgr *m, const char *mountpoint, hms_server **out, char *err, size_t errlen);
/* The TCP port S listens on (the one the system chose for port 0). */
int hms_server_port(const hms_server *s);
/* Stop accepting, close every connection, wait for their threads, free S.
 * NULL is allowed. */
void hms_server_stop(hms_server *s);

/* Does NAME match Hive's PATTERN: alternatives separated by '|', each
 * matched whole and case-insensitively, '*' standing for any run of
 * characters?  A NULL or empty pattern matches everything. */
bool hms_pattern_match(const char *pattern, const char *name);

#endif
