/*
 * base_msg.h - messages into fixed buffers.
 *
 * Error and status messages (a conflict, a refusal, the last run of a rule)
 * are kept in fixed buffers and name objects whose names may each be 255
 * bytes long.  A message too long for its buffer is still worth showing, so
 * it is cut, and the cut is marked with "..." so that a reader knows text is
 * missing.  Paths never go through here: a cut path names another file
 * (base_path.h).
 */
#ifndef METAFS_BASE_MSG_H
#define METAFS_BASE_MSG_H

#include <stddef.h>

/* snprintf FMT into BUF of CAP bytes (CAP > 0); when it does not fit, the
 * last bytes that fit become "...".  Returns the length written. */
size_t base_msg_format(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
