/*
 * hms_int.h - private to hms/: the connection and the call table.
 */
#ifndef METAFS_HMS_INT_H
#define METAFS_HMS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "hms.h"
#include "hms_thrift.h"
#include "mgr_access.h"

typedef struct hms_conn {
	mgr *m;
	const char *location_prefix;  /* the server's; no trailing '/' */
	bool allow_daemon_user;
	int64_t started_s;            /* the server's start, for aliveSince */
	bool old_style;               /* the client sends old-style message headers */
	bool has_user;                /* set_ugi named a known user */
	char user[256];
	mgr_principal who;
} hms_conn;

/* Serve one call of method NAME: read its arguments from R (the args
 * struct, to its STOP) and write the whole reply message to W.  0;
 * HMS_NOT_SERVED, having read nothing, when NAME is not served; or -errno
 * when the connection must close (malformed arguments). */
#define HMS_NOT_SERVED 1
int hms_call(hms_conn *c, hms_reader *r, hms_writer *w, const char *name, int32_t seqid);
/* Write an exception reply TApplicationException(TYPE, MESSAGE). */
void hms_write_app_exception(hms_writer *w, bool old_style, const char *name, int32_t seqid,
			     int type, const char *message);

#endif
