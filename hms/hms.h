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
