/*
 * mgr_log.c - the daemon's log: stderr or syslog, plus a ring of the newest
 * lines that the mount serves at /.metafs/log, so a user who got EINVAL can
 * read why without access to the daemon's terminal.
 *
 * Each line of the ring records the uid it concerns: the caller of the
 * request, or the submitter or owner of the job run, rule run or pipeline
 * run, that the logging thread was serving (mgr_log_set_uid), or
 * MGR_LOG_NO_UID for the daemon's own lines.  The uid is not part of the
 * line's text; the mount shows each user only the lines of that user's uid.
 */
#include "manager.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define LOG_RING_LINES 1000
#define LOG_LINE_MAX 512

static struct {
	pthread_mutex_t lock;
	bool to_stderr;
	int level;
	unsigned next;      /* slot the next line goes to */
	unsigned count;
	uint32_t uids[LOG_RING_LINES];   /* whom each line concerns, or MGR_LOG_NO_UID */
	char lines[LOG_RING_LINES][LOG_LINE_MAX];
} mgr_log_state = {PTHREAD_MUTEX_INITIALIZER, true, MGR_LOG_INFO, 0, 0, {0}, {{0}}};

/* Whom the lines this thread logs concern. */
static _Thread_local uint32_t log_uid = MGR_LOG_NO_UID;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* The store's messages (store/ cannot call the manager) join the log, as
 * the daemon's own lines: they are about the metastore, not a request. */
static void store_message(const char *msg)
{
	uint32_t was = mgr_log_set_uid(MGR_LOG_NO_UID);
	mgr_log(MGR_LOG_ERROR, "store: %s", msg);
	mgr_log_set_uid(was);
}

uint32_t mgr_log_set_uid(uint32_t uid)
{
	uint32_t was = log_uid;
	log_uid = uid;
	return was;
}

void mgr_log_setup(bool to_stderr, int level)
{
	pthread_mutex_lock(&mgr_log_state.lock);
	mgr_log_state.to_stderr = to_stderr;
	mgr_log_state.level = level;
	pthread_mutex_unlock(&mgr_log_state.lock);
	if (!to_stderr)
		openlog("metafsd", LOG_PID, LOG_DAEMON);
	store_log_set_sink(store_message);
}

void mgr_log(int level, const char *fmt, ...)
{
	if (level > mgr_log_state.level)
		return;
	char msg[LOG_LINE_MAX - 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char when[40];
	mgr_format_time(store_now_ns(), when);
	pthread_mutex_lock(&mgr_log_state.lock);
	mgr_log_state.uids[mgr_log_state.next] = log_uid;
	snprintf(mgr_log_state.lines[mgr_log_state.next], LOG_LINE_MAX, "%s %s %s", when,
		 level_names[level], msg);
	mgr_log_state.next = (mgr_log_state.next + 1) % LOG_RING_LINES;
	if (mgr_log_state.count < LOG_RING_LINES)
		mgr_log_state.count++;
	bool to_stderr = mgr_log_state.to_stderr;
	pthread_mutex_unlock(&mgr_log_state.lock);
	if (to_stderr)
		fprintf(stderr, "metafsd: %s: %s\n", level_names[level], msg);
	else
		syslog(level == MGR_LOG_ERROR ? LOG_ERR
		       : level == MGR_LOG_WARN ? LOG_WARNING
		       : level == MGR_LOG_INFO ? LOG_INFO : LOG_DEBUG, "%s", msg);
}

int mgr_log_render(textbuf *out, bool all, uint32_t uid)
{
	pthread_mutex_lock(&mgr_log_state.lock);
	unsigned first = (mgr_log_state.next + LOG_RING_LINES - mgr_log_state.count) % LOG_RING_LINES;
	for (unsigned i = 0; i < mgr_log_state.count; i++) {
		unsigned slot = (first + i) % LOG_RING_LINES;
		if (!all && (uid == MGR_LOG_NO_UID || mgr_log_state.uids[slot] != uid))
			continue;
		textbuf_puts(out, mgr_log_state.lines[slot]);
		textbuf_append(out, "\n", 1);
	}
	pthread_mutex_unlock(&mgr_log_state.lock);
	return textbuf_error(out);
}
