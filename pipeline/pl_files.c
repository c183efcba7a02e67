/*
 * pl_files.c - file primitives of the pipeline: whole reads, atomic writes
 * (temp + fsync + rename, so a reader sees the old file or the new one),
 * mkdir -p, path joining, and Hive's path unescaping of partition values.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base_array.h"
#include "pipeline.h"

int pl_read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	/* Virtual files (.refresh) report size 0: read to the end. */
	for (;;) {
		ssize_t r;

		/* Full up to the byte kept for the final NUL: double. */
		if (n + 1 >= cap && (rc = BASE_ARRAY_RESERVE(buf, cap, cap + 1)))
			break;
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int pl_path_resolve(const char *dir, const char *rel, char *out)
{
	int n;

	if (rel[0] == '/')
		n = snprintf(out, PATH_MAX, "%s", rel);
	else
		n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pl_hive_unescape(char *s)
{
	char *w = s;

	for (const char *r = s; *r; r++) {
		int hi, lo;

		if (*r != '%') {
			*w++ = *r;
			continue;
		}
		hi = hexval(r[1]);
		lo = hi < 0 ? -1 : hexval(r[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -EINVAL;
		*w++ = (char)(hi * 16 + lo);
		r += 2;
	}
	*w = '\0';
	return 0;
}
