/*
 * mgr_audit.c - the audit log: HOME/manager/audit.log.
 *
 * One line per decision, seven tab-separated fields (format in metafs(5)):
 *     TIME  UID  ACTION  OBJECT  DECISION  PRIVILEGES  DETAIL
 * Each line (or batch of lines, mgr_audit_batch: the entries of one action
 * that nothing waits on one by one) is built whole in memory and written
 * with a single write(2) on
 * a descriptor opened with O_APPEND, so lines from concurrent threads, and
 * from other processes of the same home, never interleave.  Tabs, newlines
 * and other control characters in the inputs become spaces and an empty
 * field becomes "-", so a line always splits into exactly seven fields.
 *
 * Whole lines.  A write(2) that runs out of room (a full file system, a
 * file size limit) may store part of a line and return a short count; the
 * next line would then start in the middle of this one ("20" + "2026-...").
 * So every entry is appended under an exclusive flock(2) of the file (held
 * by every process of the home that audits), after an fstat that gives the
 * size the entry starts at.  After a short write the rest is written (a
 * signal may have cut the first write); when that fails (on a full disk,
 * with the errno that tells why) the part already written is cut off with
 * ftruncate(2) back to the starting size.  Should the truncation itself
 * fail, a newline ends the fragment so the lines after it are whole; that
 * is logged.
 *
 * Failing closed.  mgr_audit() returns 0 only when the line was written
 * whole.  The checks that allow an action (mgr_access.c's authorize,
 * mgr_audit_decision) turn a failed entry into a denial unless the caller
 * is a superuser, who is let through; either way the failure is counted
 * (mgr_audit_failures, /.metafs/metrics) and logged with mgr_log: the
 * first failure after a success, and the first success after failures
 * with how many entries were lost, so a full disk logs two lines, not one
 * per request.
 *
 * Rotation.  When the file passes [access] audit_max_bytes it is renamed to
 * audit.log.1 (replacing the previous one) and a fresh audit.log is opened.
 * The size is the file's, read under the flock before each entry; the
 * mutex covers the descriptor, the write and the rotation, so no thread
 * writes into a descriptor that another is closing.  A process whose file
 * was rotated by another one sees that under the flock (the path names
 * another inode) and reopens before it writes.  The file is opened on the
 * first entry, so a process that audits nothing creates nothing.
 *
 * Classes.  [access] audit names what is recorded besides denials (always
 * recorded): reads, changes, grants, admin (mgr_access.h; by default all
 * but reads).  The class of an entry follows from its action, so every
 * caller, in fs/, hms/ and manager/, is classified here in one table.  An
 * allowed entry of a class that is off returns before its line is built:
 * a walk of the tree by a user allowed to see it writes nothing.
 */
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_FIELD_MAX 1100   /* an object path: three names and slashes, with room */
#define AUDIT_LINE_MAX (40 + 12 + 4 * AUDIT_FIELD_MAX + 80)

struct mgr_audit {
	pthread_mutex_t lock;
	int fd;                     /* -1 until the first entry, or after a failure */
	uint64_t max;
	unsigned classes;           /* MGR_AUDIT_* of the allowed entries written */
	uint64_t failures;          /* entries not written, since the open (atomic reads) */
	uint64_t lost;              /* of them, since the last entry that was written */
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
	a->classes = m->cfg.audit_classes;
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

uint64_t mgr_audit_failures(const mgr *m)
{
	return m && m->audit ? __atomic_load_n(&m->audit->failures, __ATOMIC_RELAXED) : 0;
}

/* With the lock held: drop the descriptor (after a failure, a rotation). */
static void audit_close(struct mgr_audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

/* With the lock held: make sure a file is open. */
static int audit_open(struct mgr_audit *a)
{
	if (a->fd >= 0)
		return 0;
	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	return a->fd < 0 ? -errno : 0;
}

static int audit_flock(int fd, int op)
{
	while (flock(fd, op) != 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* With the lock held: open the file and flock it; *SIZE is where the next
 * line starts.  Reopens first when another process rotated the file. */
static int audit_lock_file(struct mgr_audit *a, uint64_t *size)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int rc = audit_open(a);
		if (rc == 0)
			rc = audit_flock(a->fd, LOCK_EX);
		if (rc) {
			audit_close(a);
			return rc;
		}
		struct stat fst, pst;
		if (fstat(a->fd, &fst) != 0) {
			rc = -errno;
			audit_close(a);
			return rc;
		}
		if (stat(a->path, &pst) == 0 && pst.st_ino == fst.st_ino && pst.st_dev == fst.st_dev) {
			*size = (uint64_t)fst.st_size;
			return 0;
		}
		audit_close(a);   /* rotated (or removed) under us: the lock goes with it */
	}
	return -ESTALE;
}

/* With the lock and the flock held: append LEN bytes of LINE at SIZE,
 * whole or not at all (see "Whole lines").  *BROKEN: a fragment could not
 * be removed. */
static int audit_append(struct mgr_audit *a, const char *line, size_t len, uint64_t size,
			bool *broken)
{
	size_t done = 0;
	int rc = 0;
	while (done < len) {
		ssize_t n = write(a->fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (rc == 0 || done == 0)
		return rc;
	/* Part of the line is in the file: cut it off again. */
	if (ftruncate(a->fd, (off_t)size) != 0) {
		*broken = true;
		if (write(a->fd, "\n", 1) != 1)
			audit_close(a);   /* reopened at the next entry */
	}
	return rc;
}

/* With the lock and the flock held: the file passed its size; start a new
 * one (the next entry opens it). */
static int audit_rotate(struct mgr_audit *a)
{
	int rc = rename(a->path, a->rotated) != 0 ? -errno : 0;
	audit_close(a);
	return rc;
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

/* ---- classes --------------------------------------------------------------------- */

/* Every action an entry is written for, by class.  An action not listed
 * is a change: recorded by default, so a new kind of entry is never lost
 * for want of a line here. */
static const struct {
	const char *action;
	unsigned cls;
} audit_actions[] = {
	{"list", MGR_AUDIT_READS},          /* readdir of the mount, HMS get_* that list */
	{"read", MGR_AUDIT_READS},          /* open for reading, HMS get_*, a job's SELECT */
	{"lookup", MGR_AUDIT_READS},        /* (only ever denied: not visible) */
	{"create", MGR_AUDIT_CHANGES},
	{"write", MGR_AUDIT_CHANGES},
	{"drop", MGR_AUDIT_CHANGES},
	{"delete", MGR_AUDIT_CHANGES},
	{"rename", MGR_AUDIT_CHANGES},
	{"submit", MGR_AUDIT_CHANGES},      /* a job */
	{"sync", MGR_AUDIT_CHANGES},        /* a sync rule's definition or run */
	{"pipeline", MGR_AUDIT_CHANGES},    /* a pipeline's definition or run */
	{"grant", MGR_AUDIT_GRANTS},
	{"revoke", MGR_AUDIT_GRANTS},
	{"grant-role", MGR_AUDIT_GRANTS},
	{"revoke-role", MGR_AUDIT_GRANTS},
	{"create-role", MGR_AUDIT_GRANTS},
	{"drop-role", MGR_AUDIT_GRANTS},
	{"hms set_ugi", MGR_AUDIT_ADMIN},   /* an HMS client speaking for another user */
};

/* The words of [access] audit; "denials" is always on. */
static const struct {
	const char *word;
	unsigned cls;
} audit_words[] = {
	{"denials", 0},
	{"reads", MGR_AUDIT_READS},
	{"changes", MGR_AUDIT_CHANGES},
	{"grants", MGR_AUDIT_GRANTS},
	{"admin", MGR_AUDIT_ADMIN},
	{"all", MGR_AUDIT_ALL},
};

unsigned mgr_audit_class(const char *action)
{
	if (action)
		for (size_t i = 0; i < sizeof audit_actions / sizeof *audit_actions; i++)
			if (strcmp(action, audit_actions[i].action) == 0)
				return audit_actions[i].cls;
	return MGR_AUDIT_CHANGES;
}

bool mgr_audit_wanted(const mgr *m, const char *action, bool allowed)
{
	const struct mgr_audit *a = m ? m->audit : NULL;
	if (!a)
		return false;
	return !allowed || (a->classes & mgr_audit_class(action)) != 0;
}

int mgr_audit_classes_parse(const char *value, unsigned *classes, char *err, size_t errlen)
{
	unsigned out = 0;
	const char *p = value;
	bool any = false;
	while (*p) {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		const char *w = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - w);
		size_t i = 0;
		for (; i < sizeof audit_words / sizeof *audit_words; i++)
			if (strlen(audit_words[i].word) == n && strncmp(w, audit_words[i].word, n) == 0)
				break;
		if (i == sizeof audit_words / sizeof *audit_words) {
			snprintf(err, errlen,
				 "audit: unknown class \"%.*s\" (a comma list of denials, reads, changes, "
				 "grants, admin, or all; default: denials, changes, grants, admin)",
				 (int)(n > 64 ? 64 : n), w);
			return -EINVAL;
		}
		out |= audit_words[i].cls;
		any = true;
	}
	if (!any) {
		snprintf(err, errlen, "audit: no class given (a comma list of denials, reads, changes, "
				      "grants, admin, or all; default: denials, changes, grants, admin)");
		return -EINVAL;
	}
	*classes = out;
	return 0;
}

/* ---- entries --------------------------------------------------------------------- */

/* Append one entry's line to TEXT. */
static void audit_format(textbuf *text, uint32_t uid, const char *action, const char *object,
			 bool allowed, unsigned privs, const char *detail)
{
	char when[40];
	mgr_format_time(store_now_ns(), when);
	textbuf_printf(text, "%s\t%u\t", when, (unsigned)uid);
	audit_field(text, action);
	textbuf_append(text, "\t", 1);
	audit_field(text, object);
	textbuf_puts(text, allowed ? "\tallow\t" : "\tdeny\t");
	audit_field(text, privs ? mgr_priv_name(privs) : NULL);
	textbuf_append(text, "\t", 1);
	audit_field(text, detail);
	textbuf_append(text, "\n", 1);
}

/* Append the N whole lines of TEXT to the log with one write(2), all or
 * none (RC: an error building them, counted as N lost entries). */
static int audit_write(struct mgr_audit *a, const textbuf *text, uint64_t n, int rc)
{
	uint64_t size = 0, lost = 0;
	bool broken = false;
	int rrc = 0;
	pthread_mutex_lock(&a->lock);
	if (rc == 0)
		rc = audit_lock_file(a, &size);
	if (rc == 0) {
		rc = audit_append(a, text->data, text->len, size, &broken);
		if (rc == 0 && size + text->len >= a->max)
			rrc = audit_rotate(a);
		if (a->fd >= 0)
			audit_flock(a->fd, LOCK_UN);
	}
	bool first = false;
	if (rc) {
		__atomic_add_fetch(&a->failures, n, __ATOMIC_RELAXED);
		first = a->lost == 0;
		a->lost += n;
	} else if (a->lost) {
		lost = a->lost;
		a->lost = 0;
	}
	pthread_mutex_unlock(&a->lock);
	/* The audit log's troubles are the daemon's, whoever's entry met them. */
	uint32_t log_was = mgr_log_set_uid(MGR_LOG_NO_UID);
	if (rrc)
		mgr_log(MGR_LOG_ERROR, "audit: cannot rotate '%s': %s", a->path, strerror(-rrc));
	if (broken)
		mgr_log(MGR_LOG_ERROR, "audit: cannot remove a partial line from '%s'", a->path);
	if (first)
		mgr_log(MGR_LOG_ERROR, "audit: cannot write '%s': %s; decisions are denied to all but "
				       "superusers until it can", a->path, strerror(-rc));
	if (lost)
		mgr_log(MGR_LOG_WARN, "audit: writing '%s' again; %llu entries could not be written",
			a->path, (unsigned long long)lost);
	mgr_log_set_uid(log_was);
	return rc;
}

int mgr_audit(mgr *m, uint32_t uid, const char *action, const char *object, bool allowed,
	      unsigned privs, const char *detail)
{
	struct mgr_audit *a = m ? m->audit : NULL;
	if (!a)
		return 0;   /* no audit log at all (not opened through mgr_open) */
	if (allowed && !(a->classes & mgr_audit_class(action)))
		return 0;   /* a class the configuration does not record */
	textbuf line = TEXTBUF_INIT;
	audit_format(&line, uid, action, object, allowed, privs, detail);
	int rc = audit_write(a, &line, 1, textbuf_error(&line));
	textbuf_free(&line);
	return rc;
}

void mgr_audit_batch_add(mgr *m, mgr_audit_batch *b, uint32_t uid, const char *action,
			 const char *object, bool allowed, unsigned privs, const char *detail)
{
	struct mgr_audit *a = m ? m->audit : NULL;
	if (!a || (allowed && !(a->classes & mgr_audit_class(action))))
		return;
	audit_format(&b->text, uid, action, object, allowed, privs, detail);
	b->n++;
}

int mgr_audit_batch_write(mgr *m, mgr_audit_batch *b)
{
	struct mgr_audit *a = m ? m->audit : NULL;
	int rc = a && b->n ? audit_write(a, &b->text, b->n, textbuf_error(&b->text)) : 0;
	textbuf_free(&b->text);
	b->text = (textbuf)TEXTBUF_INIT;
	b->n = 0;
	return rc;
}
