/*
 * mgr_state.c - the small state files of jobs, sync rules and pipelines:
 * read whole, and replaced atomically (write a temporary, fsync, rename), so
 * a reader or a crash sees the old version or the new one, never a mix.
 */
#include "mgr_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int mgr_state_replace(const char *path, const char *text, size_t len)
{
	int rc = base_fs_file_replace(path, text, len, BASE_MODE_FILE);
	if (rc)
		mgr_log(MGR_LOG_ERROR, "cannot write %s: %s", path, strerror(-rc));
	return rc;
}

int mgr_state_read(const char *path, textbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		textbuf_append(out, buf, (size_t)n);
	int rc = n < 0 ? -errno : textbuf_error(out);
	close(fd);
	return rc;
}

int mgr_definition_check_text(const char *text, size_t len, char *err, size_t errlen)
{
	/* The parsers read lines as C strings, so a NUL would silently cut the
	 * definition short there: refuse it instead, saying where it is. */
	const char *nul = memchr(text, '\0', len);
	if (!nul)
		return 0;
	unsigned line = 1, col = 1;
	for (const char *p = text; p < nul; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(err, errlen, "line %u, column %u: a NUL byte (a definition is text)", line, col);
	return -EINVAL;
}

void mgr_deadline(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
