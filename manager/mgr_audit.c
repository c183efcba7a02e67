/*
 * mgr_audit.c - the audit log: HOME/manager/audit.log.
 *
 * One line per decision, seven tab-separated fields (format in metafs(5)):
 *     TIME  UID  ACTION  OBJECT  DECISION  PRIVILEGES  DETAIL
 * Each line is built whole in memory and written with a single write(2) on
 * a descriptor opened with O_APPEND, so lines from concurrent threads, and
 * from other processes of the same home, never interleave.  Tabs, newlines
 * and other control characters in the inputs become spaces and an empty
 * field becomes "-", so a line always splits into exactly seven fields.
 *
 * Rotation.  When the file passes [access] audit_max_bytes it is renamed to
 * audit.log.1 (replacing the previous one) and a fresh audit.log is opened.
 * The size is tracked in memory from the file's size at open plus what this
 * process wrote; the mutex covers the write, the size and the rotation, so
 * no thread writes into a descriptor that another is closing.  The file is
 * opened on the first entry, so a process that audits nothing creates
 * nothing.  An entry that cannot be written is reported once with mgr_log
 * and otherwise dropped: the audit log never makes an action fail.
 */
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_FIELD_MAX 1100   /* an object path: three names and slashes, with room */
#define AUDIT_LINE_MAX (40 + 12 + 4 * AUDIT_FIELD_MAX + 80)

struct mgr_audit {
	pthread_mutex_t lock;
	int fd;                     /* -1 until the first entry, or after a failure */
	uint64_t size;              /* of the current file */
	uint64_t max;
	bool complained;            /* a failure was logged already */
	char path[PATH_MAX];
	char rotated[PATH_MAX];
};

int mgr_audit_init(mgr *m)
{
	struct mgr_audit *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	int rc = -pthread_mutex_init(&a->lock, NULL);
	if (rc) {
		free(a);
		return rc;
	}
	a->fd = -1;
	a->max = m->cfg.audit_max_bytes ? m->cfg.audit_max_bytes : (uint64_t)64 << 20;
	if (snprintf(a->path, sizeof a->path, "%s/manager/audit.log", m->cfg.home) >=
		    (int)sizeof a->path ||
	    snprintf(a->rotated, sizeof a->rotated, "%s.1", a->path) >= (int)sizeof a->rotated) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return -ENAMETOOLONG;
	}
	m->audit = a;
	return 0;
}

void mgr_audit_fini(mgr *m)
{
	struct mgr_audit *a = m->audit;
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
	m->audit = NULL;
}

const char *mgr_audit_path(const mgr *m)
{
	return m->audit ? m->audit->path : "";
}

/* With the lock held: make sure a file is open. */
static int audit_open(struct mgr_audit *a)
{
	if (a->fd >= 0)
		return 0;
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, BASE_MODE_FILE);
	if (a->fd < 0)
		return -errno;
	struct stat st;
	a->size = fstat(a->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* With the lock held: the file passed its size; start a new one. */
static int audit_rotate(struct mgr_audit *a)
{
	if (rename(a->path, a->rotated) != 0)
		return -errno;
	close(a->fd);
	a->fd = -1;
	return audit_open(a);
}

/* Append S (NULL or empty: "-") as one field, control characters made
 * spaces, at most AUDIT_FIELD_MAX bytes. */
static void audit_field(textbuf *line, const char *s)
{
	if (!s || !*s) {
		textbuf_append(line, "-", 1);
		return;
	}
	char buf[AUDIT_FIELD_MAX + 1];
	size_t n = 0;
	for (; s[n] && n < AUDIT_FIELD_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		buf[n] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	textbuf_append(line, buf, n);
}

void mgr_audit(mgr *m, uint32_t uid, const char *action, const char *object, bool allowed,
	       unsigned privs, const char *detail)
{
	struct mgr_audit *a = m ? m->audit : NULL;
	if (!a)
		return;
	char when[40];
	mgr_format_time(store_now_ns(), when);
	textbuf line = TEXTBUF_INIT;
	textbuf_printf(&line, "%s\t%u\t", when, (unsigned)uid);
	audit_field(&line, action);
	textbuf_append(&line, "\t", 1);
	audit_field(&line, object);
	textbuf_puts(&line, allowed ? "\tallow\t" : "\tdeny\t");
	audit_field(&line, privs ? mgr_priv_name(privs) : NULL);
	textbuf_append(&line, "\t", 1);
	audit_field(&line, detail);
	textbuf_append(&line, "\n", 1);
	int rc = textbuf_error(&line);

	pthread_mutex_lock(&a->lock);
	if (rc == 0)
		rc = audit_open(a);
	if (rc == 0) {
		ssize_t n = write(a->fd, line.data, line.len);
		if (n < 0)
			rc = -errno;
		else if ((size_t)n != line.len)
			rc = -EIO;
		if (n > 0)
			a->size += (uint64_t)n;
	}
	if (rc == 0 && a->size >= a->max)
		rc = audit_rotate(a);
	bool complain = rc != 0 && !a->complained;
	if (complain)
		a->complained = true;
	pthread_mutex_unlock(&a->lock);
	if (complain)
		mgr_log(MGR_LOG_ERROR, "audit: cannot write '%s': %s", a->path, strerror(-rc));
	textbuf_free(&line);
}
