/*
 * store_data.c - opening data files without following symlinks.
 *
 * A data store is a plain directory that people with shell access on the
 * host can write to.  A symlink planted there (a file replaced by a link to
 * /etc/shadow, a partition directory linked to another table's, a relative
 * link climbing out with ../..) must never make the daemon or the engine
 * read or write something outside the table it serves.  So every open of a
 * data file goes through store_data_open(), which resolves the path below
 * the data store root refusing symlinks in any component, and refusing any
 * resolution that would leave the root:
 *
 *   - openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 *     RESOLVE_NO_MAGICLINKS does it in the kernel, atomically;
 *   - on kernels without openat2 (ENOSYS) the path is walked one component
 *     at a time with O_NOFOLLOW, ".." refused outright.
 *
 * The data store root itself may be a symlink (an administrator's choice,
 * made in metafs.ini): it is opened normally.
 */
#include "store.h"

#include "base_crash.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The fallback: walk RELPATH from ROOT, one component at a time. */
static int open_walk(int root, const char *relpath, int flags, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", relpath) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	int dir = root, rc = 0;
	char *comp = buf;
	for (;;) {
		while (*comp == '/')
			comp++;
		char *slash = strchr(comp, '/');
		char *rest = slash;
		while (rest && *rest == '/')
			rest++;
		if (rest && *rest == '\0')
			slash = NULL;   /* only trailing slashes follow */
		if (slash)
			*slash = '\0';
		if (!strcmp(comp, "..")) {
			rc = -EXDEV;   /* what openat2 answers for an escape */
			break;
		}
		if (!slash) {
			int fd = openat(dir, *comp ? comp : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
			rc = fd < 0 ? -errno : fd;
			break;
		}
		struct stat st;
		if (fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW)) {
			rc = -errno;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			rc = -ELOOP;
			break;
		}
		int next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			rc = -errno;
			break;
		}
		if (dir != root)
			close(dir);
		dir = next;
		comp = rest;
	}
	if (dir != root)
		close(dir);
	return rc;
}

int store_data_open(const char *data_dir, const char *relpath, int flags, mode_t mode)
{
	if (!relpath || relpath[0] == '/' || relpath[0] == '\0')
		return -EINVAL;
	int root = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
	how.mode = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	long fd = syscall(SYS_openat2, root, relpath, &how, sizeof how);
	int rc;
	if (fd >= 0)
		rc = (int)fd;
	else if (errno == ENOSYS)
		rc = open_walk(root, relpath, flags, mode);
	else
		rc = -errno;
	close(root);
	return rc;
}

const char *store_data_relative(const char *data_dir, const char *path)
{
	size_t n = strlen(data_dir);
	while (n > 1 && data_dir[n - 1] == '/')
		n--;
	if (strncmp(path, data_dir, n) || path[n] != '/')
		return NULL;
	path += n;
	while (*path == '/')
		path++;
	return *path ? path : NULL;
}

int store_data_open_path(const char *data_dir, const char *path, int flags, mode_t mode)
{
	const char *rel = store_data_relative(data_dir, path);
	return rel ? store_data_open(data_dir, rel, flags, mode) : -EXDEV;
}

/* fsync the directory DIR (absolute, below DATA_DIR or DATA_DIR itself). */
static int fsync_data_dir(const char *data_dir, const char *dir)
{
	int fd;

	if (store_data_relative(data_dir, dir)) {
		fd = store_data_open_path(data_dir, dir, O_RDONLY | O_DIRECTORY, 0);
	} else {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

int store_data_place(const char *data_dir, const char *staged, int fd, const char *path,
		     const char *top)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd = -1, rc = 0;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof dir)
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	/* The bytes first: a rename that reached the disk before them would
	 * show an empty or partial file after a crash. */
	int own = fd < 0 ? store_data_open_path(data_dir, staged, O_RDONLY, 0) : -1;
	if (fd < 0 && own < 0)
		return own;
	if (fsync(fd < 0 ? own : fd))
		rc = -errno;
	if (own >= 0)
		close(own);
	if (rc)
		return rc;
	base_crash_point("data.synced");
	dfd = store_data_open_path(data_dir, dir, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	if (renameat(AT_FDCWD, staged, dfd, slash + 1)) {
		rc = -errno;
		goto out;
	}
	base_crash_point("data.renamed");
	if (fsync(dfd)) {
		rc = -errno;
		goto out;
	}
	/* New directories between TOP and DIR: their entries in their parents. */
	while (top && strlen(dir) > strlen(top)) {
		char *up = strrchr(dir, '/');
		if (!up || up == dir)
			break;
		*up = '\0';
		if ((rc = fsync_data_dir(data_dir, dir)))
			goto out;
	}
out:
	close(dfd);
	return rc;
}
