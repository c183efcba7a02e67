/*
 * mgr_log.c - the daemon's log: stderr or syslog, plus a ring of the newest
 * lines that the mount serves at /.metafs/log, so a user who got EINVAL can
 * read why without access to the daemon's terminal.
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
	char lines[LOG_RING_LINES][LOG_LINE_MAX];
} mgr_log_state = {PTHREAD_MUTEX_INITIALIZER, true, MGR_LOG_INFO, 0, 0, {{0}}};

static const char *const level_names[] = {"error", "warning", "info", "debug"};

/* The store's messages (store/ cannot call the manager) join the log. */
static void store_message(const char *msg)
{
	mgr_log(MGR_LOG_ERROR, "store: %s", msg);
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

int mgr_log_render(textbuf *out)
{
	pthread_mutex_lock(&mgr_log_state.lock);
	unsigned first = (mgr_log_state.next + LOG_RING_LINES - mgr_log_state.count) % LOG_RING_LINES;
	for (unsigned i = 0; i < mgr_log_state.count; i++) {
		textbuf_puts(out, mgr_log_state.lines[(first + i) % LOG_RING_LINES]);
		textbuf_append(out, "\n", 1);
	}
	pthread_mutex_unlock(&mgr_log_state.lock);
	return textbuf_error(out);
}
