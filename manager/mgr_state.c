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
	char tmp[PATH_MAX + 8];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int rc = 0;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (rc == 0 && fsync(fd))
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		mgr_log(MGR_LOG_ERROR, "cannot write %s: %s", path, strerror(-rc));
	}
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
