/* base_crash.c - see base_crash.h. */
#include "base_crash.h"
#include "base_fs.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned long crash_at;   /* 0: never */
static int log_fd = -1;
static unsigned long reached;

static void crash_setup(void)
{
	const char *at = getenv("METAFS_CRASH_AT");
	const char *log = getenv("METAFS_CRASH_LOG");
	if (at && *at)
		crash_at = strtoul(at, NULL, 10);
	if (log && *log)
		log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, BASE_MODE_FILE);
}

void base_crash_point(const char *name)
{
	pthread_once(&once, crash_setup);
	if (crash_at == 0 && log_fd < 0)
		return;
	unsigned long n = __atomic_add_fetch(&reached, 1, __ATOMIC_SEQ_CST);
	if (log_fd >= 0) {
		char line[160];
		int len = snprintf(line, sizeof line, "%lu %s\n", n, name);
		if (len > 0 && write(log_fd, line, (size_t)len) < 0) {
			/* a lost log line only makes the test count fewer points */
		}
	}
	if (n == crash_at)
		_exit(BASE_CRASH_EXIT);
}
