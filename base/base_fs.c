#include "base_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int base_fs_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0)
		return -ENOENT;
	if (n >= sizeof buf)
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	/* Each parent in turn, then PATH itself; EEXIST means someone (maybe a
	 * concurrent caller) made it already. */
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int fs_sync(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) ? -errno : 0;
	close(fd);
	return rc;
}

int base_fs_file_sync(const char *path)
{
	return fs_sync(path, O_WRONLY);
}

int base_fs_dir_sync(const char *path)
{
	return fs_sync(path, O_RDONLY | O_DIRECTORY);
}

int base_fs_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	static unsigned counter;
	char tmp[PATH_MAX];
	const char *p = data;
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
			 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int rc = 0;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd))
		rc = -errno;
	if (close(fd) && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int base_fs_tree_remove(const char *path)
{
	/* O_NOFOLLOW: a link to a directory is removed, its target left alone. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ENOTDIR || errno == ELOOP)
			return unlink(path) && errno != ENOENT ? -errno : 0;
		return -errno;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char child[PATH_MAX];
		if (snprintf(child, sizeof child, "%s/%s", path, de->d_name) >= (int)sizeof child) {
			rc = -ENAMETOOLONG;
			continue;
		}
		unsigned char type = de->d_type;
		struct stat st;
		/* Some file systems do not fill d_type. */
		if (type == DT_UNKNOWN && lstat(child, &st) == 0)
			type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		if (type == DT_DIR) {
			int r = base_fs_tree_remove(child);
			if (r)
				rc = r;
		} else if (unlink(child) && errno != ENOENT) {
			rc = -errno;
		}
	}
	closedir(d);
	if (rmdir(path) && errno != ENOENT)
		rc = -errno;
	return rc;
}
