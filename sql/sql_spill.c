/*
 * sql_spill.c - spill files: rows an operator cannot hold in its memory
 * budget, written to disk and read back in the order they were written.
 *
 * Where.  In the directory the caller names (the daemon's spill directory,
 * spill_dir in metafs.ini).  A spill file never has a name anyone can see
 * once it exists: it is opened with O_TMPFILE where the file system allows
 * it, and otherwise created as "metafs-spill-PID-N" and unlinked at once.
 * Either way the kernel frees it when the descriptor closes, also when the
 * process is killed, so a crash leaves nothing behind; the daemon still
 * removes any metafs-spill-* name at start-up, for a crash that falls
 * between the create and the unlink.
 *
 * Format.  A row is its values one after another, each a tag byte: 0 for a
 * NULL (then its type, 4 bytes, parameters included), 1 for a value, followed by the whole
 * sql_value struct as it is in memory and, for a string, its bytes.  Every
 * field of sql_value round-trips, whatever types it gains, with no change
 * here; a string's pointer is replaced on reading.  Files live only as long
 * as one query in one process, so the in-memory layout is the file layout.
 *
 * Buffers.  Writes and reads go through a buffer of SQL_SPILL_BUFFER bytes,
 * which the operator counts as memory it holds.  The buffer exists only
 * while the file is being written or read: a file waiting to be read, or
 * read to its end, holds no memory.
 */
#include "sql_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL_PREFIX "metafs-spill-"

struct sql_spill_file {
	int fd;
	const char *dir;          /* for messages; the caller's string */
	uint32_t ncols;
	bool reading;
	char *buf;                /* SQL_SPILL_BUFFER bytes, or NULL between uses */
	size_t len, pos;          /* writing: bytes buffered; reading: bytes in buf, next byte */
	uint64_t bytes, rows;     /* written */
	uint64_t rows_read;
	sql_value *row;           /* reading: the current row */
	char *str;                /* reading: the current row's string bytes */
	size_t str_cap;
};

static atomic_uint_fast64_t spill_seq;

static int spill_fail(sql_spill_file *f, sql_error *err, int rc, const char *what)
{
	sql_error_set(err, 0, 0, "cannot %s a spill file in %s: %s%s", what, f->dir, strerror(-rc),
		      rc == -ENOSPC || rc == -EDQUOT
		      ? " (free space there, or set spill_dir in metafs.ini to a larger file system)" : "");
	return rc;
}

int sql_spill_create(const char *dir, uint32_t ncols, sql_spill_file **out, sql_error *err)
{
	sql_spill_file *f = calloc(1, sizeof *f);

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->dir = dir;
	f->ncols = ncols;
	f->row = calloc(ncols ? ncols : 1, sizeof *f->row);
	if (!f->row) {
		sql_spill_close(f);
		return -ENOMEM;
	}
	f->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (f->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE here: a name that lives only until the unlink below. */
		char path[4096];
		unsigned long long n = (unsigned long long)atomic_fetch_add(&spill_seq, 1);
		if (snprintf(path, sizeof path, "%s/" SPILL_PREFIX "%ld-%llu", dir, (long)getpid(), n) >=
		    (int)sizeof path) {
			errno = ENAMETOOLONG;
		} else {
			f->fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
			if (f->fd >= 0)
				unlink(path);
		}
	}
	if (f->fd < 0) {
		int rc = spill_fail(f, err, -errno, "create");
		sql_spill_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

static int spill_flush(sql_spill_file *f, sql_error *err)
{
	size_t off = 0;

	while (off < f->len) {
		ssize_t w = write(f->fd, f->buf + off, f->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return spill_fail(f, err, -errno, "write");
		}
		if (w == 0)
			return spill_fail(f, err, -ENOSPC, "write");
		off += (size_t)w;
	}
	f->len = 0;
	return 0;
}

static int spill_put(sql_spill_file *f, const void *p, size_t n, sql_error *err)
{
	const char *src = p;
	int rc;

	if (!f->buf && !(f->buf = malloc(SQL_SPILL_BUFFER)))
		return -ENOMEM;
	while (n) {
		if (f->len == SQL_SPILL_BUFFER && (rc = spill_flush(f, err)))
			return rc;
		size_t take = SQL_SPILL_BUFFER - f->len < n ? SQL_SPILL_BUFFER - f->len : n;
		memcpy(f->buf + f->len, src, take);
		f->len += take;
		f->bytes += take;
		src += take;
		n -= take;
	}
	return 0;
}

int sql_spill_write(sql_spill_file *f, const sql_value *row, sql_error *err)
{
	int rc;

	for (uint32_t i = 0; i < f->ncols; i++) {
		const sql_value *v = &row[i];
		if (v->null) {
			unsigned char tag = 0;
			uint32_t type = (uint32_t)v->type;   /* with a type's parameter bits */
			rc = spill_put(f, &tag, 1, err);
			if (!rc)
				rc = spill_put(f, &type, sizeof type, err);
		} else {
			unsigned char tag = 1;
			rc = spill_put(f, &tag, 1, err);
			if (!rc)
				rc = spill_put(f, v, sizeof *v, err);
			if (!rc && v->type == SQL_TYPE_STRING && v->u.s.len)
				rc = spill_put(f, v->u.s.ptr, v->u.s.len, err);
		}
		if (rc)
			return rc;
	}
	f->rows++;
	return 0;
}

int sql_spill_rewind(sql_spill_file *f, sql_error *err)
{
	int rc;

	if (!f->reading && (rc = spill_flush(f, err)))
		return rc;
	if (lseek(f->fd, 0, SEEK_SET) < 0)
		return spill_fail(f, err, -errno, "rewind");
	free(f->buf);
	f->buf = NULL;
	f->reading = true;
	f->len = f->pos = 0;
	f->rows_read = 0;
	return 0;
}

static int spill_get(sql_spill_file *f, void *p, size_t n, sql_error *err)
{
	char *dst = p;

	if (!f->buf && !(f->buf = malloc(SQL_SPILL_BUFFER)))
		return -ENOMEM;
	while (n) {
		if (f->pos == f->len) {
			ssize_t r = read(f->fd, f->buf, SQL_SPILL_BUFFER);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return spill_fail(f, err, -errno, "read");
			}
			if (r == 0) {
				sql_error_set(err, 0, 0, "a spill file in %s ends in the middle of a row", f->dir);
				return -EIO;
			}
			f->len = (size_t)r;
			f->pos = 0;
		}
		size_t take = f->len - f->pos < n ? f->len - f->pos : n;
		memcpy(dst, f->buf + f->pos, take);
		f->pos += take;
		dst += take;
		n -= take;
	}
	return 0;
}

int sql_spill_read(sql_spill_file *f, const sql_value **row, sql_error *err)
{
	size_t used = 0;
	int rc;

	if (f->rows_read == f->rows) {
		/* Read to its end: it holds nothing more (a rewind reads it again). */
		free(f->buf);
		free(f->str);
		f->buf = f->str = NULL;
		f->str_cap = 0;
		return 1;
	}
	/* Two passes over the row would need a seek: take the strings as they
	 * come, and point the values at them once the row is complete. */
	for (uint32_t i = 0; i < f->ncols; i++) {
		sql_value *v = &f->row[i];
		unsigned char tag;
		if ((rc = spill_get(f, &tag, 1, err)))
			return rc;
		if (tag == 0) {
			uint32_t type;
			if ((rc = spill_get(f, &type, sizeof type, err)))
				return rc;
			memset(v, 0, sizeof *v);
			v->type = (sql_type)type;
			v->null = true;
			continue;
		}
		if ((rc = spill_get(f, v, sizeof *v, err)))
			return rc;
		if (v->type != SQL_TYPE_STRING || !v->u.s.len)
			continue;
		if (used + v->u.s.len > f->str_cap) {
			size_t cap = f->str_cap ? f->str_cap : 256;
			while (cap < used + v->u.s.len)
				cap *= 2;
			char *s = realloc(f->str, cap);
			if (!s)
				return -ENOMEM;
			f->str = s;
			f->str_cap = cap;
		}
		if ((rc = spill_get(f, f->str + used, v->u.s.len, err)))
			return rc;
		/* An offset until the buffer stops moving. */
		v->u.s.ptr = (const char *)(uintptr_t)used;
		used += v->u.s.len;
	}
	for (uint32_t i = 0; i < f->ncols; i++) {
		sql_value *v = &f->row[i];
		if (!v->null && v->type == SQL_TYPE_STRING)
			v->u.s.ptr = v->u.s.len ? f->str + (uintptr_t)v->u.s.ptr : "";
	}
	f->rows_read++;
	*row = f->row;
	return 0;
}

uint64_t sql_spill_bytes(const sql_spill_file *f)
{
	return f->bytes;
}

uint64_t sql_spill_rows(const sql_spill_file *f)
{
	return f->rows;
}

uint64_t sql_spill_held(const sql_spill_file *f)
{
	return (f->buf ? SQL_SPILL_BUFFER : 0) + f->str_cap + (uint64_t)f->ncols * sizeof(sql_value);
}

void sql_spill_close(sql_spill_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	free(f->row);
	free(f->str);
	free(f);
}

int sql_spill_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, SPILL_PREFIX, strlen(SPILL_PREFIX)) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) && errno != ENOENT)
			rc = -errno;
	closedir(d);
	return rc;
}
