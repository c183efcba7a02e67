#include "base_prog.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int base_prog_sibling_find(const char *const *rel, size_t nrel, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	for (size_t i = 0; i < nrel; i++) {
		if (snprintf(out, cap, "%s/%s", self, rel[i]) >= (int)cap)
			continue;
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}
