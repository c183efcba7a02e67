/*
 * mgr_file.c - data files: staged writes, the commit protocol (see
 * manager.h), drops, renames, scanning, and repair from the data store.
 *
 * Symlinks.  Every data file and directory is reached through
 * store_data_open(), which refuses a symlink anywhere below the data store
 * root: a link planted by someone with a shell on the host never makes the
 * daemon read, overwrite, rename or unlink anything but the table's own
 * bytes.  Renames and unlinks act on a directory fd opened that way
 * (renameat/unlinkat), never on a path the kernel would resolve again.
 * Repair does not register symlinks (it logs each one it skips).  Every
 * refusal is logged and audited (action "open", decision deny, detail
 * "symlink in data store").
 */
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"
#include "mgr_job.h"
#include "base_array.h"
#include "base_path.h"
#include "fmt_scan.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

struct mgr_writer {
	mgr_platform *p;
	uint64_t table_id, container_id, id;
	char name[STORE_NAME_MAX + 1];
	uint32_t uid, gid;
	int fd;
	bool staged;                /* fd is the staging file, not yet renamed into place */
	pthread_mutex_t stage_lock; /* one thread at a time makes a new staging file */
	bool dirty;
	int failed;                 /* the first failed write or flush (-errno): never committed */
	char staging[PATH_MAX];
};

static uint64_t staging_counter;

/* Name locks.  A file's commit (intent, rename into place, record), its drop
 * (record, unlink) and its rename each hold the lock of the file's name from
 * their first metastore change to their last, so they never interleave on
 * one name: two writers of a name cannot rename in one order and record in
 * the other (the record naming bytes that are not in place), one writer
 * cannot clear the intent of another's rename, and a drop cannot unlink
 * bytes a writer has just put in place but not yet recorded.  Locks are
 * striped by a hash of the platform, container and name; commits of other
 * names go on in parallel.  Taken before LMDB's writer lock, never while a
 * write transaction is open. */
#define NAME_LOCKS 64
static pthread_mutex_t name_locks[NAME_LOCKS];
static pthread_once_t name_locks_once = PTHREAD_ONCE_INIT;

static void name_locks_init(void)
{
	for (unsigned i = 0; i < NAME_LOCKS; i++)
		pthread_mutex_init(&name_locks[i], NULL);
}

static unsigned name_lock_index(const mgr_platform *p, uint64_t container_id, const char *name)
{
	uint64_t h = XXH3_64bits_withSeed(name, strlen(name), container_id * NAME_LOCKS + p->index);
	return (unsigned)(h % NAME_LOCKS);
}

/* Lock the names A (and B, when not NULL) in CONTAINER_A (CONTAINER_B); the
 * stripes in index order, so two renames never deadlock. */
static void names_lock(const mgr_platform *p, uint64_t container_a, const char *a,
		       uint64_t container_b, const char *b, unsigned idx[2])
{
	pthread_once(&name_locks_once, name_locks_init);
	idx[0] = name_lock_index(p, container_a, a);
	idx[1] = b ? name_lock_index(p, container_b, b) : idx[0];
	if (idx[0] > idx[1]) {
		unsigned t = idx[0];
		idx[0] = idx[1];
		idx[1] = t;
	}
	pthread_mutex_lock(&name_locks[idx[0]]);
	if (idx[1] != idx[0])
		pthread_mutex_lock(&name_locks[idx[1]]);
}

static void names_unlock(const unsigned idx[2])
{
	if (idx[1] != idx[0])
		pthread_mutex_unlock(&name_locks[idx[1]]);
	pthread_mutex_unlock(&name_locks[idx[0]]);
}

/* ---- hidden files ----------------------------------------------------------------
 *
 * A file whose name base_name_hidden() calls hidden (".f.XXXXXX", ".x.swp",
 * "_SUCCESS") is never a data file: it has no record, so no listing, job,
 * statistic, sync or change event knows it.  Its bytes are staged like any
 * file's while it is open; a commit (fsync, close) puts them in the
 * partition's directory of the data store under the hidden name, where a
 * daemon restart finds them again, and where repair removes them once they
 * are older than the grace period.  A rename to a data name is that file's
 * one commit (intent, rename, record: one change event).
 *
 * The mount names a file by its store id.  A hidden file has none in the
 * store, so the ids the mount knows hidden files by are reserved ids kept
 * here, in memory: a restarted daemon (a new mount) hands out new ones as
 * it meets the files again.  After a rename over an existing data file the
 * record keeps that file's id (one change event, not a drop and a create),
 * and the hidden file's id stays here as an alias of the name, because the
 * kernel goes on calling the renamed file by it.
 *
 * A time set on a hidden file (rsync -a sets it between the close and the
 * rename) is kept here too, until its next commit of new bytes, and its
 * rename to a data name records it as that file's mtime_ns. */
struct hidden_file {
	const mgr_platform *p;
	uint64_t table_id, container_id, id;
	char name[STORE_NAME_MAX + 1];
	uint32_t uid, gid;          /* its writer's; the daemon's for a file met on disk */
	int64_t mtime_ns;           /* set by utimensat(2); 0: none, the mtime is its bytes' */
	bool alias;                 /* renamed onto a data file that kept its own id */
};

#define HIDDEN_ALIASES_MAX 1024
static pthread_mutex_t hidden_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hidden_file *hidden_files;
static size_t nhidden, hidden_cap, nhidden_aliases;

/* Under hidden_lock: the index of the entry of P with ID, or of
 * (CONTAINER_ID, NAME) when ID is 0; -1 when there is none. */
static long hidden_find(const mgr_platform *p, uint64_t id, uint64_t container_id, const char *name)
{
	for (size_t i = 0; i < nhidden; i++) {
		const struct hidden_file *h = &hidden_files[i];
		if (h->p != p)
			continue;
		if (id ? h->id == id
		       : !h->alias && h->container_id == container_id && name && !strcmp(h->name, name))
			return (long)i;
	}
	return -1;
}

static void hidden_remove_at(size_t i)
{
	nhidden_aliases -= hidden_files[i].alias;
	hidden_files[i] = hidden_files[--nhidden];
}

/* Remember that P's hidden file NAME in CONTAINER_ID is known by ID (an
 * alias: that the data file NAME is). */
static void hidden_remember(const mgr_platform *p, uint64_t table_id, uint64_t container_id,
			    const char *name, uint64_t id, uint32_t uid, uint32_t gid, bool alias)
{
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, id, 0, NULL);
	if (i < 0 && !alias)
		i = hidden_find(p, 0, container_id, name);
	if (i >= 0) {
		hidden_remove_at((size_t)i);
	} else if (alias && nhidden_aliases >= HIDDEN_ALIASES_MAX) {
		/* The oldest alias goes: the kernel has long looked the name up again. */
		for (size_t k = 0; k < nhidden; k++)
			if (hidden_files[k].alias) {
				hidden_remove_at(k);
				break;
			}
	}
	if (BASE_ARRAY_RESERVE(hidden_files, hidden_cap, nhidden + 1) == 0) {
		struct hidden_file *h = &hidden_files[nhidden++];
		*h = (struct hidden_file){.p = p, .table_id = table_id, .container_id = container_id,
					  .id = id, .uid = uid, .gid = gid, .alias = alias};
		snprintf(h->name, sizeof h->name, "%s", name);
		nhidden_aliases += alias;
	}
	pthread_mutex_unlock(&hidden_lock);
}

void mgr_hidden_forget_platform(const mgr_platform *p)
{
	pthread_mutex_lock(&hidden_lock);
	for (size_t i = 0; i < nhidden;)
		if (hidden_files[i].p == p)
			hidden_remove_at(i);
		else
			i++;
	if (nhidden == 0) {
		free(hidden_files);
		hidden_files = NULL;
		hidden_cap = 0;
	}
	pthread_mutex_unlock(&hidden_lock);
}

/* Set the time of P's hidden file NAME in CONTAINER_ID, known by ID:
 * -ENOENT if the name now holds another file. */
static int hidden_set_mtime(const mgr_platform *p, uint64_t container_id, const char *name,
			    uint64_t id, int64_t mtime_ns)
{
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, 0, container_id, name);
	int rc = i >= 0 && hidden_files[i].id == id ? 0 : -ENOENT;
	if (rc == 0)
		hidden_files[i].mtime_ns = mtime_ns;
	pthread_mutex_unlock(&hidden_lock);
	return rc;
}

static void hidden_forget(const mgr_platform *p, uint64_t container_id, const char *name)
{
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, 0, container_id, name);
	if (i >= 0)
		hidden_remove_at((size_t)i);
	pthread_mutex_unlock(&hidden_lock);
}


static int copy_fd(int from, int to)
{
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(from, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(to, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
	}
}

/* A refusal of a data-store path: log it and audit it.  The object is the
 * path as the mount shows it (the data store has the mount's layout). */
static void refuse_link(mgr_platform *p, const char *path, uint32_t uid, const char *action, int err)
{
	const char *rel = store_data_relative(p->data_dir, path);
	char object[PATH_MAX + STORE_NAME_MAX + 2];
	snprintf(object, sizeof object, "/%s/%s", p->name, rel ? rel : path);
	const char *detail = err == -EXDEV ? "path leaves the data store" : "symlink in data store";
	mgr_log(MGR_LOG_WARN, "refused to %s %s: %s (%s)", action, path, detail, store_strerror(err));
	mgr_audit(p->mgr, uid, action, object, false, 0, detail);
}

int mgr_data_open(mgr_platform *p, const char *data_dir, const char *path, int flags, mode_t mode,
		  uint32_t uid)
{
	int fd = store_data_open_path(data_dir, path, flags, mode);
	if (fd == -ELOOP || fd == -EXDEV) {
		/* A mirror's bytes live in the source's store: name that platform. */
		mgr_platform *owner = p;
		for (unsigned i = 0; i < p->mgr->nplatforms; i++)
			if (!strcmp(p->mgr->platforms[i].data_dir, data_dir))
				owner = &p->mgr->platforms[i];
		refuse_link(owner, path, uid, "open", fd);
	}
	return fd;
}

/* Open the directory holding PATH (a data file's path) without following
 * symlinks; *BASE points at the file's name in PATH. */
static int parent_open(mgr_platform *p, const char *path, uint32_t uid, const char **base)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (!slash || (size_t)(slash - path) >= sizeof dir)
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*base = slash + 1;
	return mgr_data_open(p, p->data_dir, dir, O_RDONLY | O_DIRECTORY, 0, uid);
}

/* Read table TABLE_ID and the data path of NAME in CONTAINER_ID. */
static int locate(mgr_platform *p, store_txn *txn, uint64_t table_id, uint64_t container_id,
		  const char *name, store_table *t, char *path, size_t cap)
{
	store_kind kind;
	store_object obj;
	int rc = store_object_by_id(txn, table_id, &kind, &obj);
	if (rc)
		return rc;
	if (kind != STORE_KIND_TABLE)
		return -ENOENT;
	*t = obj.table;
	return store_data_path(txn, p->data_dir, t, container_id, name, path, cap);
}

/* lstat the data-store file PATH of P without following a symlink below the
 * data store: 0 for a regular file, -ENOENT for anything else. */
static int hidden_stat(mgr_platform *p, const char *path, struct stat *st)
{
	const char *base;
	int dfd = parent_open(p, path, (uint32_t)getuid(), &base);
	if (dfd < 0)
		return dfd;
	int rc = fstatat(dfd, base, st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	close(dfd);
	if (rc == 0 && !S_ISREG(st->st_mode))
		rc = -ENOENT;
	return rc;
}

int mgr_hidden_lookup(mgr_platform *p, const store_table *t, uint64_t container_id,
		      const char *name, uint64_t *id)
{
	if (!base_name_hidden(name) || !store_name_valid(name, NULL))
		return -ENOENT;
	char path[PATH_MAX];
	struct stat st;
	store_txn *txn = NULL;
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_data_path(txn, p->data_dir, t, container_id, name, path, sizeof path);
	store_abort(txn);
	if (rc == 0)
		rc = hidden_stat(p, path, &st);
	if (rc) {
		hidden_forget(p, container_id, name);
		return rc;
	}
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, 0, container_id, name);
	if (i >= 0)
		*id = hidden_files[i].id;
	pthread_mutex_unlock(&hidden_lock);
	if (i >= 0)
		return 0;
	/* Met for the first time (made before this daemon started, or by
	 * someone on the host): it gets an id of its own. */
	rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_id_reserve(txn, id);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	if (rc == 0)
		hidden_remember(p, t->id, container_id, name, *id, st.st_uid, st.st_gid, false);
	return rc;
}

int mgr_hidden_get(mgr_platform *p, uint64_t id, store_file *out)
{
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, id, 0, NULL);
	struct hidden_file h = i >= 0 ? hidden_files[i] : (struct hidden_file){0};
	pthread_mutex_unlock(&hidden_lock);
	if (i < 0)
		return -ENOENT;
	store_txn *txn = NULL;
	store_table t = {0};
	char path[PATH_MAX];
	struct stat st;
	int rc = store_read_begin(p->store, &txn);
	if (rc)
		return rc;
	if (h.alias) {
		rc = store_file_get(txn, h.container_id, h.name, out);
		store_abort(txn);
		return rc;
	}
	rc = locate(p, txn, h.table_id, h.container_id, h.name, &t, path, sizeof path);
	store_abort(txn);
	store_table_clear(&t);
	if (rc == 0)
		rc = hidden_stat(p, path, &st);
	if (rc) {
		hidden_forget(p, h.container_id, h.name);
		return rc;
	}
	memset(out, 0, sizeof *out);
	out->id = h.id;
	out->pnode_id = h.container_id;
	snprintf(out->name, sizeof out->name, "%s", h.name);
	out->bytes = (uint64_t)st.st_size;
	out->owner_uid = h.uid;
	out->owner_gid = h.gid;
	out->mtime_ns = h.mtime_ns;
	out->modified_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	out->created_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	return 0;
}

void mgr_hidden_remove_all(mgr_platform *p, const char *dir)
{
	int fd = mgr_data_open(p, p->data_dir, dir, O_RDONLY | O_DIRECTORY, 0, (uint32_t)getuid());
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!base_name_hidden(de->d_name) || !strcmp(de->d_name, ".") ||
		    !strcmp(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0))
			mgr_log(MGR_LOG_WARN, "cannot remove hidden file %s/%s: %s", dir, de->d_name,
				strerror(errno));
	}
	closedir(d);
}

/* The path of the data-store file PATH as the mount shows it, for messages. */
static void mount_path(const mgr_platform *p, const char *path, char *out, size_t cap)
{
	const char *rel = store_data_relative(p->data_dir, path);
	snprintf(out, cap, "/%s/%s", p->name, rel ? rel : path);
}

/* Read FD, the bytes about to be committed as the data file PATH of table
 * T, into S (fmt_file_scan).  Bytes that are not of T's format (a Parquet
 * file in a csv table, a truncated Parquet file, one whose columns are not
 * the table's ...) are refused with -EINVAL, logged with the file and the
 * reason; the caller records nothing (and a writer removes the bytes it
 * staged). */
static int commit_scan(mgr_platform *p, int fd, const char *path, const store_table *t,
		       fmt_file_stats *s)
{
	char shown[PATH_MAX + STORE_NAME_MAX + 2];
	fmt_error err = {{0}};
	mount_path(p, path, shown, sizeof shown);
	int rc = fmt_file_scan(fd, shown, t, s, &err);
	if (rc == -EINVAL)
		mgr_log(MGR_LOG_WARN, "refused to commit %s", err.msg);
	else if (rc)
		mgr_log(MGR_LOG_ERROR, "cannot read back %s: %s", shown, strerror(-rc));
	return rc;
}

/* Create a new staging file for W, its name in PATH; the fd or -errno. */
static int staging_create(mgr_writer *w, char *path, size_t cap)
{
	mgr_platform *p = w->p;
	int rc = base_path_format(path, cap, "%s/%s/%llu.%d.%llu", p->data_dir, MGR_STAGING_DIR,
				  (unsigned long long)w->id, (int)getpid(),
				  (unsigned long long)__atomic_add_fetch(&staging_counter, 1,
									 __ATOMIC_RELAXED));
	if (rc)
		return rc;
	int fd = mgr_data_open(p, p->data_dir, path, O_RDWR | O_CREAT | O_EXCL, BASE_MODE_FILE, w->uid);
	if (fd < 0)
		mgr_log(MGR_LOG_ERROR, "cannot create staging file %s: %s", path, strerror(-fd));
	return fd;
}

int mgr_writer_open(mgr_platform *p, uint64_t table_id, uint64_t container_id,
		    const char *name, uint64_t file_id, bool keep, uint32_t uid, uint32_t gid,
		    mgr_writer **out)
{
	MGR_COMMIT_PATH(MGR_COMMIT_FILE);
	*out = NULL;
	const char *why = NULL;
	if (!store_name_valid(name, &why)) {
		mgr_log(MGR_LOG_WARN, "refused file name \"%.80s\": %s", name, why);
		return -EINVAL;
	}
	mgr_writer *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->stage_lock, NULL);
	w->p = p;
	w->table_id = table_id;
	w->container_id = container_id;
	w->id = file_id;
	w->uid = uid;
	w->gid = gid;
	w->fd = -1;
	snprintf(w->name, sizeof w->name, "%s", name);
	int rc = 0;
	if (w->id == 0) {
		store_txn *txn = NULL;
		rc = store_write_begin(p->store, &txn);
		if (rc == 0)
			rc = store_id_reserve(txn, &w->id);
		if (rc == 0)
			rc = store_commit(txn);
		else
			store_abort(txn);
		if (rc)
			goto out;
	}
	w->fd = staging_create(w, w->staging, sizeof w->staging);
	if (w->fd < 0) {
		rc = w->fd;
		goto out;
	}
	w->staged = true;
	w->dirty = true;   /* even an empty new file is committed on close */
	bool copied = false;
	if (keep) {
		store_txn *txn = NULL;
		store_table t = {0};
		char path[PATH_MAX];
		rc = store_read_begin(p->store, &txn);
		if (rc == 0)
			rc = locate(p, txn, table_id, container_id, name, &t, path, sizeof path);
		store_abort(txn);
		store_table_clear(&t);
		if (rc == 0) {
			int src = mgr_data_open(p, p->data_dir, path, O_RDONLY, 0, uid);
			if (src < 0) {
				rc = src == -ENOENT ? 0 : src;
			} else {
				rc = copy_fd(src, w->fd);
				close(src);
				copied = rc == 0;
			}
		}
		if (rc)
			goto out;
	}
	/* The committed bytes, unchanged until a write or size change
	 * (mgr_writer_touch): an open and close alone (touch(1)) is no new
	 * version of the file. */
	if (copied && file_id != 0)
		w->dirty = false;
	*out = w;
	w = NULL;
out:
	mgr_writer_close(w);
	return rc;
}

uint64_t mgr_writer_id(const mgr_writer *w)
{
	return w->id;
}

int mgr_writer_fd(const mgr_writer *w)
{
	return w->fd;
}

int mgr_writer_size(mgr_writer *w, uint64_t *size)
{
	struct stat st;
	if (fstat(w->fd, &st))
		return -errno;
	*size = (uint64_t)st.st_size;
	return 0;
}

bool mgr_writer_dirty(const mgr_writer *w)
{
	return w->dirty;
}

/* After a commit W's fd is the committed file itself, which readers open.
 * The first write or size change after that copies the committed bytes to a
 * new staging file and goes on there, so the next commit is again a
 * rename-over: a reader never sees the file half rewritten.  dup2() keeps
 * the fd's number, so a read or write in flight on another thread uses
 * either file, never a closed or reused descriptor. */
int mgr_writer_stage(mgr_writer *w)
{
	char path[PATH_MAX];
	int rc = 0, fd = -1;
	pthread_mutex_lock(&w->stage_lock);
	if (w->failed) {
		rc = w->failed;
		goto out;
	}
	if (w->staged)
		goto out;
	fd = staging_create(w, path, sizeof path);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	if (lseek(w->fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc == 0)
		rc = copy_fd(w->fd, fd);
	if (rc == 0 && dup2(fd, w->fd) < 0)
		rc = -errno;
	if (rc) {
		mgr_log(MGR_LOG_ERROR, "cannot copy %s to staging file %s: %s", w->name, path,
			strerror(-rc));
		unlink(path);
		goto out;
	}
	snprintf(w->staging, sizeof w->staging, "%s", path);
	w->staged = true;
out:
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&w->stage_lock);
	return rc;
}

void mgr_writer_touch(mgr_writer *w)
{
	w->dirty = true;
}

void mgr_writer_fail(mgr_writer *w, int err)
{
	if (w->failed == 0)
		w->failed = err < 0 ? err : -EIO;
}

int mgr_writer_failed(const mgr_writer *w)
{
	return w->failed;
}

/* A failed writer's staging file goes at once, not at the close: after
 * ENOSPC its bytes are the space the next writer needs. */
static void writer_discard(mgr_writer *w)
{
	if (!w->staged)
		return;
	if (ftruncate(w->fd, 0) == 0 && unlink(w->staging) == 0)
		w->staged = false;
}

/* Whether NAME is hidden and has no record.  A metastore written before
 * hidden files were kept apart may hold records of hidden names: those are
 * dropped and renamed as the data files they were recorded as. */
static bool hidden_unrecorded(mgr_platform *p, uint64_t container_id, const char *name)
{
	if (!base_name_hidden(name))
		return false;
	store_txn *txn = NULL;
	store_file f;
	bool recorded = store_read_begin(p->store, &txn) == 0 &&
			store_file_get(txn, container_id, name, &f) == 0;
	store_abort(txn);
	return !recorded;
}

/* The commit of a hidden file: its bytes go in place under its name, durably,
 * with no intent, no record and no change event (see "hidden files"). */
static int hidden_commit(mgr_writer *w, const char *path)
{
	mgr_platform *p = w->p;
	unsigned lk[2];
	int rc = 0;
	names_lock(p, w->container_id, w->name, 0, NULL, lk);
	if (w->staged) {
		rc = store_data_place(p->data_dir, w->staging, w->fd, path, NULL);
		if (rc == -ELOOP || rc == -EXDEV) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
			refuse_link(p, dir, w->uid, "open", rc);
		} else if (rc) {
			mgr_log(MGR_LOG_ERROR, "cannot move %s into place: %s", path, strerror(-rc));
		}
		if (rc) {
			mgr_writer_fail(w, rc);
			writer_discard(w);
			goto out;
		}
		w->staged = false;
	} else if (fsync(w->fd)) {
		rc = -errno;
		mgr_log(MGR_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
		mgr_writer_fail(w, rc);
		goto out;
	}
	hidden_remember(p, w->table_id, w->container_id, w->name, w->id, w->uid, w->gid, false);
	w->dirty = false;
out:
	names_unlock(lk);
	return rc;
}

int mgr_writer_commit(mgr_writer *w, store_origin origin)
{
	MGR_COMMIT_PATH(MGR_COMMIT_FILE);
	if (w->failed) {
		writer_discard(w);
		return w->failed;
	}
	if (!w->dirty)
		return 0;
	mgr_platform *p = w->p;
	store_txn *txn = NULL;
	store_table t = {0};
	char path[PATH_MAX];
	store_file f = {0};
	fmt_file_stats scan = {0};
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = locate(p, txn, w->table_id, w->container_id, w->name, &t, path, sizeof path);
	store_abort(txn);
	txn = NULL;
	if (rc)
		goto out;
	if (hidden_unrecorded(p, w->container_id, w->name)) {
		rc = hidden_commit(w, path);
		goto out;
	}
	struct stat st;
	if (fstat(w->fd, &st) == 0 && st.st_size == 0 && t.format == STORE_FORMAT_PARQUET) {
		/* No bytes yet, which no Parquet file is: this close is
		 * refused, but the writer goes on, for a shell's redirection
		 * (it closes its first descriptor of a new file before the
		 * command writes the bytes the last close commits). */
		mgr_log(MGR_LOG_DEBUG, "did not commit %s: empty, not a Parquet file", path);
		rc = -EINVAL;
		goto out;
	}
	rc = commit_scan(p, w->fd, path, &t, &scan);
	if (rc) {
		/* Refused bytes are never committed, and go at once. */
		mgr_writer_fail(w, rc);
		if (rc == -EINVAL)
			writer_discard(w);
		goto out;
	}
	fmt_file_stats_to_record(&scan, &f);
	unsigned lk[2];
	names_lock(p, w->container_id, w->name, 0, NULL, lk);
	if (w->staged) {
		/* The intent first: from the rename on, a crash must find out at
		 * start-up that these bytes were meant to be recorded. */
		store_intent in = {.file_id = w->id, .table_id = w->table_id,
				   .container_id = w->container_id, .bytes = f.bytes, .rows = f.rows,
				   .uid = w->uid, .gid = w->gid};
		memcpy(in.checksum, f.checksum, sizeof in.checksum);
		snprintf(in.name, sizeof in.name, "%s", w->name);
		rc = store_write_begin(p->store, &txn);
		if (rc == 0)
			rc = store_intent_put(txn, &in);
		if (rc == 0) {
			rc = store_commit(txn);
			txn = NULL;
		}
		store_abort(txn);
		txn = NULL;
		if (rc) {
			mgr_log(MGR_LOG_ERROR, "cannot record the intent to commit %s: %s", path,
				strerror(-rc));
			goto unlock;
		}
		rc = store_data_place(p->data_dir, w->staging, w->fd, path, NULL);
		if (rc == -ELOOP || rc == -EXDEV) {
			/* The file's directory was refused: audited like any open,
			 * once.  The refusal is final: the bytes go with their
			 * intent, and a later commit of this writer (the last
			 * close, which the kernel sends after close(2) returned)
			 * fails at once instead of trying, and auditing, again. */
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
			refuse_link(p, dir, w->uid, "open", rc);
			mgr_writer_fail(w, rc);
			writer_discard(w);
			if (store_write_begin(p->store, &txn) == 0) {
				if (store_intent_clear(txn, w->id) == 0) {
					store_commit(txn);   /* a failure leaves it to the start */
					txn = NULL;
				}
				store_abort(txn);
				txn = NULL;
			}
		} else if (rc) {
			/* The staged bytes may not be on disk (a failed fsync):
			 * they are never committed, not even by a later retry. */
			mgr_log(MGR_LOG_ERROR, "cannot move %s into place: %s", path, strerror(-rc));
			mgr_writer_fail(w, rc);
			writer_discard(w);
		}
		if (rc)
			goto unlock;
		w->staged = false;
	} else if (fsync(w->fd)) {
		rc = -errno;
		mgr_log(MGR_LOG_ERROR, "cannot write %s: %s", path, strerror(errno));
		mgr_writer_fail(w, rc);
		goto unlock;
	}
	rc = store_write_begin(p->store, &txn);
	if (rc)
		goto unlock;
	store_file old;
	int64_t now = store_now_ns();
	f.created_ns = now;
	if (store_file_get(txn, w->container_id, w->name, &old) == 0) {
		f.created_ns = old.created_ns;
		if (old.id != w->id) {
			/* Another file of this name was created meanwhile: the last close wins. */
			rc = store_file_drop(txn, w->container_id, w->name, origin);
			if (rc)
				goto unlock;
		}
	}
	f.id = w->id;
	f.pnode_id = w->container_id;
	snprintf(f.name, sizeof f.name, "%s", w->name);
	f.owner_uid = w->uid;
	f.owner_gid = w->gid;
	f.modified_ns = now;
	rc = store_file_put(txn, &f, origin);
	if (rc == 0)
		rc = store_intent_clear(txn, w->id);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	if (rc == 0)
		w->dirty = false;
unlock:
	store_abort(txn);
	txn = NULL;
	names_unlock(lk);
out:
	store_abort(txn);
	store_table_clear(&t);
	fmt_file_stats_clear(&scan);
	return rc;
}

void mgr_writer_close(mgr_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->staged)
		unlink(w->staging);
	pthread_mutex_destroy(&w->stage_lock);
	free(w);
}

/* The record goes first, with a removal intent that describes the file (as
 * an INSERT OVERWRITE's replaced files have): a crash before the unlink
 * leaves the bytes in place and the intent, and the next start (or repair
 * with no daemon) removes them, so a listed partition never keeps bytes its
 * listing lacks and a committed drop is never undone.  A crash after the
 * unlink leaves no file, and the start drops the intent. */
/* A hidden file has no record: its bytes go, and nothing else changes. */
static int hidden_drop(mgr_platform *p, const store_table *t, uint64_t container_id,
		       const char *name)
{
	char path[PATH_MAX];
	store_txn *txn = NULL;
	unsigned lk[2];
	names_lock(p, container_id, name, 0, NULL, lk);
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_data_path(txn, p->data_dir, t, container_id, name, path, sizeof path);
	store_abort(txn);
	const char *base = NULL;
	int dfd = rc ? rc : parent_open(p, path, (uint32_t)getuid(), &base);
	if (dfd >= 0) {
		rc = unlinkat(dfd, base, 0) ? -errno : 0;
		close(dfd);
	} else {
		rc = dfd;
	}
	if (rc == 0 || rc == -ENOENT)
		hidden_forget(p, container_id, name);
	names_unlock(lk);
	return rc;
}

int mgr_file_drop(mgr_platform *p, const store_table *t, uint64_t container_id,
		  const char *name, store_origin origin)
{
	MGR_COMMIT_PATH(MGR_COMMIT_DROP);
	if (hidden_unrecorded(p, container_id, name))
		return hidden_drop(p, t, container_id, name);
	char path[PATH_MAX];
	store_txn *txn = NULL;
	store_file old;
	unsigned lk[2];
	names_lock(p, container_id, name, 0, NULL, lk);
	int rc = store_write_begin(p->store, &txn);
	if (rc)
		goto out;
	rc = store_data_path(txn, p->data_dir, t, container_id, name, path, sizeof path);
	if (rc == 0)
		rc = store_file_get(txn, container_id, name, &old);
	if (rc == 0)
		rc = store_file_drop(txn, container_id, name, origin);
	if (rc == 0) {
		store_intent in = {.file_id = old.id, .table_id = t->id,
				   .container_id = container_id, .bytes = old.bytes,
				   .rows = old.rows, .uid = old.owner_uid, .gid = old.owner_gid,
				   .remove = true};
		memcpy(in.checksum, old.checksum, sizeof in.checksum);
		snprintf(in.name, sizeof in.name, "%s", name);
		rc = store_intent_put(txn, &in);
	}
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	txn = NULL;
	if (rc)
		goto out;
	const char *base;
	int dfd = parent_open(p, path, (uint32_t)getuid(), &base);
	int e = dfd < 0 ? -dfd : unlinkat(dfd, base, 0) ? errno : 0;
	if (dfd >= 0)
		close(dfd);
	if (e && e != ENOENT) {
		/* The intent stays: the next start removes the kept bytes. */
		mgr_log(MGR_LOG_WARN, "dropped file record but kept %s: %s", path, strerror(e));
		goto out;
	}
	/* The drop is done whether or not this commit is: a later start finds
	 * no file for the intent and drops it. */
	if (store_write_begin(p->store, &txn) == 0) {
		if (store_intent_clear(txn, old.id) == 0 && store_commit(txn) == 0)
			txn = NULL;
		store_abort(txn);
	}
out:
	names_unlock(lk);
	return rc;
}

/* Rename the hidden file FROM to the hidden name TO: bytes only. */
static int hidden_rename(mgr_platform *p, const store_table *t, uint64_t from_container,
			 const char *from, uint64_t to_container, const char *to, const char *src,
			 const char *dst)
{
	const char *sbase, *dbase;
	int rc = 0, sfd = -1, dfd = -1;
	(void)t;
	if ((sfd = parent_open(p, src, (uint32_t)getuid(), &sbase)) < 0 ||
	    (dfd = parent_open(p, dst, (uint32_t)getuid(), &dbase)) < 0)
		rc = sfd < 0 ? sfd : dfd;
	else if (renameat(sfd, sbase, dfd, dbase))
		rc = -errno;
	if (rc == 0) {
		struct hidden_file h = {0};
		pthread_mutex_lock(&hidden_lock);
		long i = hidden_find(p, 0, from_container, from);
		if (i >= 0)
			h = hidden_files[i];
		pthread_mutex_unlock(&hidden_lock);
		hidden_forget(p, from_container, from);
		if (h.id) {
			hidden_remember(p, t->id, to_container, to, h.id, h.uid, h.gid, false);
			hidden_set_mtime(p, to_container, to, h.id, h.mtime_ns);
		}
	}
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* The rename of the hidden file FROM (at SRC) over the data name TO (at
 * DST) is that file's commit, with the protocol of a writer's ("writing" in
 * manager.h; the rename is the move into place): an intent, the rename and
 * the directory's fsync, then the record.  An existing file TO keeps its id
 * (one change event, as an overwrite); a new one takes the id the mount
 * knows the hidden file by.  Called with both names locked. */
static int hidden_commit_rename(mgr_platform *p, const store_table *t, uint64_t from_container,
				const char *from, uint64_t to_container, const char *to,
				const char *src, const char *dst, store_origin origin)
{
	store_txn *txn = NULL;
	store_file f = {0}, old;
	fmt_file_stats scan = {0};
	const char *sbase, *dbase;
	int sfd = -1, dfd = -1, fd = -1, rc = 0;
	struct stat st;
	uint64_t hidden_id = 0;
	uint32_t uid = 0, gid = 0;
	int64_t mtime_ns = 0;
	bool known = false;
	pthread_mutex_lock(&hidden_lock);
	long i = hidden_find(p, 0, from_container, from);
	if (i >= 0) {
		hidden_id = hidden_files[i].id;
		uid = hidden_files[i].uid;
		gid = hidden_files[i].gid;
		mtime_ns = hidden_files[i].mtime_ns;
		known = true;
	}
	pthread_mutex_unlock(&hidden_lock);
	if ((sfd = parent_open(p, src, (uint32_t)getuid(), &sbase)) < 0 ||
	    (dfd = parent_open(p, dst, (uint32_t)getuid(), &dbase)) < 0) {
		rc = sfd < 0 ? sfd : dfd;
		goto out;
	}
	fd = openat(sfd, sbase, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto out;
	}
	if (!known) {
		uid = st.st_uid;
		gid = st.st_gid;
	}
	if (fsync(fd)) {
		rc = -errno;
		goto out;
	}
	/* Refused bytes: nothing is recorded or moved, and as with any failed
	 * rename(2) the hidden file stays as it was (a tool that retries the
	 * rename, as mv(1) does after EINVAL, is refused again, not told the
	 * file vanished); repair removes it once it is older than the grace. */
	rc = commit_scan(p, fd, dst, t, &scan);
	if (rc)
		goto out;
	fmt_file_stats_to_record(&scan, &f);
	rc = store_write_begin(p->store, &txn);
	bool exists = rc == 0 && store_file_get(txn, to_container, to, &old) == 0;
	if (rc == 0 && exists)
		f.id = old.id;
	else if (rc == 0 && hidden_id)
		f.id = hidden_id;
	else if (rc == 0)
		rc = store_id_reserve(txn, &f.id);
	store_intent in = {.file_id = f.id, .table_id = t->id, .container_id = to_container,
			   .bytes = f.bytes, .rows = f.rows, .uid = uid, .gid = gid};
	memcpy(in.checksum, f.checksum, sizeof in.checksum);
	snprintf(in.name, sizeof in.name, "%s", to);
	if (rc == 0)
		rc = store_intent_put(txn, &in);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	txn = NULL;
	if (rc)
		goto out;
	if (renameat(sfd, sbase, dfd, dbase)) {
		rc = -errno;
		mgr_log(MGR_LOG_ERROR, "cannot move %s into place as %s: %s", src, dst, strerror(-rc));
		/* Nothing moved: the intent goes (a failure leaves it to the start). */
		if (store_write_begin(p->store, &txn) == 0 && store_intent_clear(txn, f.id) == 0 &&
		    store_commit(txn) == 0)
			txn = NULL;
		goto out;
	}
	if (fsync(dfd)) {
		/* The rename may not survive a crash; the intent stays, and the
		 * next start records the file if it is in place. */
		rc = -errno;
		mgr_log(MGR_LOG_ERROR, "cannot make the rename of %s to %s durable: %s", src, dst,
			strerror(-rc));
		goto out;
	}
	rc = store_write_begin(p->store, &txn);
	if (rc)
		goto out;
	f.pnode_id = to_container;
	snprintf(f.name, sizeof f.name, "%s", to);
	f.owner_uid = exists ? old.owner_uid : uid;
	f.owner_gid = exists ? old.owner_gid : gid;
	f.created_ns = exists ? old.created_ns : 0;
	f.modified_ns = store_now_ns();
	f.mtime_ns = mtime_ns;   /* a time set on the hidden file (rsync -a) */
	rc = store_file_put(txn, &f, origin);
	if (rc == 0)
		rc = store_intent_clear(txn, f.id);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	if (rc == 0) {
		hidden_forget(p, from_container, from);
		if (hidden_id && hidden_id != f.id)
			hidden_remember(p, t->id, to_container, to, hidden_id, uid, gid, true);
	}
out:
	store_abort(txn);
	fmt_file_stats_clear(&scan);
	if (fd >= 0)
		close(fd);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* The rename of the data file FROM to the hidden name TO: the record goes
 * (a drop, as an unlink), the bytes stay under the new name, known to the
 * mount by the id the file had.  Called with both names locked. */
static int hidden_uncommit_rename(mgr_platform *p, const store_table *t, uint64_t from_container,
				  const char *from, uint64_t to_container, const char *to,
				  const char *src, const char *dst, store_origin origin)
{
	store_txn *txn = NULL;
	store_file f;
	const char *sbase, *dbase;
	int sfd = -1, dfd = -1;
	int rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_file_get(txn, from_container, from, &f);
	if (rc == 0)
		rc = store_file_drop(txn, from_container, from, origin);
	if (rc)
		goto out;
	if ((sfd = parent_open(p, src, (uint32_t)getuid(), &sbase)) < 0 ||
	    (dfd = parent_open(p, dst, (uint32_t)getuid(), &dbase)) < 0) {
		rc = sfd < 0 ? sfd : dfd;
		goto out;
	}
	/* Under the write transaction, as a data rename: no commit interleaves. */
	if (renameat(sfd, sbase, dfd, dbase)) {
		rc = -errno;
		goto out;
	}
	rc = store_commit(txn);
	txn = NULL;
	if (rc)
		renameat(dfd, dbase, sfd, sbase);
	else
		hidden_remember(p, t->id, to_container, to, f.id, f.owner_uid, f.owner_gid, false);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	store_abort(txn);
	return rc;
}

int mgr_file_rename(mgr_platform *p, const store_table *t, uint64_t from_container,
		    const char *from, uint64_t to_container, const char *to,
		    store_origin origin)
{
	MGR_COMMIT_PATH(MGR_COMMIT_RENAME);
	const char *why = NULL;
	if (!store_name_valid(to, &why)) {
		mgr_log(MGR_LOG_WARN, "refused file name \"%.80s\": %s", to, why);
		return -EINVAL;
	}
	bool from_hidden = hidden_unrecorded(p, from_container, from);
	if (from_hidden || base_name_hidden(to)) {
		char hsrc[PATH_MAX], hdst[PATH_MAX];
		store_txn *rtxn = NULL;
		unsigned hlk[2];
		names_lock(p, from_container, from, to_container, to, hlk);
		int hrc = store_read_begin(p->store, &rtxn);
		if (hrc == 0)
			hrc = store_data_path(rtxn, p->data_dir, t, from_container, from, hsrc,
					      sizeof hsrc);
		if (hrc == 0)
			hrc = store_data_path(rtxn, p->data_dir, t, to_container, to, hdst,
					      sizeof hdst);
		store_abort(rtxn);
		if (hrc == 0 && from_hidden && base_name_hidden(to))
			hrc = hidden_rename(p, t, from_container, from, to_container, to, hsrc, hdst);
		else if (hrc == 0 && from_hidden)
			hrc = hidden_commit_rename(p, t, from_container, from, to_container, to, hsrc,
						   hdst, origin);
		else if (hrc == 0)
			hrc = hidden_uncommit_rename(p, t, from_container, from, to_container, to,
						     hsrc, hdst, origin);
		names_unlock(hlk);
		return hrc;
	}
	char src[PATH_MAX], dst[PATH_MAX];
	store_txn *txn = NULL;
	store_file f, old;
	store_colstat *fstats = NULL;
	uint32_t nfstats = 0;
	int sfd = -1, dfd = -1;
	unsigned lk[2];
	names_lock(p, from_container, from, to_container, to, lk);
	int rc = store_write_begin(p->store, &txn);
	if (rc) {
		names_unlock(lk);
		return rc;
	}
	if ((rc = store_file_get(txn, from_container, from, &f)) ||
	    (rc = store_data_path(txn, p->data_dir, t, from_container, from, src, sizeof src)) ||
	    (rc = store_data_path(txn, p->data_dir, t, to_container, to, dst, sizeof dst)))
		goto out;
	/* The statistics go with the bytes. */
	if (f.nstats && (rc = store_file_stats(txn, from_container, from, &fstats, &nfstats)))
		goto out;
	f.stats = fstats;
	f.nstats = nfstats;
	if (store_file_get(txn, to_container, to, &old) == 0 &&
	    (rc = store_file_drop(txn, to_container, to, origin)))
		goto out;
	if ((rc = store_file_drop(txn, from_container, from, origin)))
		goto out;
	f.pnode_id = to_container;
	snprintf(f.name, sizeof f.name, "%s", to);
	f.modified_ns = store_now_ns();
	if ((rc = store_file_put(txn, &f, origin)))
		goto out;
	/* Hold the write lock across the rename so no other commit interleaves. */
	const char *sbase, *dbase;
	if ((sfd = parent_open(p, src, (uint32_t)getuid(), &sbase)) < 0 ||
	    (dfd = parent_open(p, dst, (uint32_t)getuid(), &dbase)) < 0) {
		rc = sfd < 0 ? sfd : dfd;
		goto out;
	}
	if (renameat(sfd, sbase, dfd, dbase)) {
		rc = -errno;
		goto out;
	}
	rc = store_commit(txn);
	txn = NULL;
	if (rc)     /* put the bytes back where the metastore still says they are */
		renameat(dfd, dbase, sfd, sbase);
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	store_abort(txn);
	free(fstats);
	names_unlock(lk);
	return rc;
}

/* ---- times ------------------------------------------------------------------- */

int mgr_file_set_mtime(mgr_platform *p, uint64_t container_id, const char *name, uint64_t id,
		       int64_t mtime_ns)
{
	MGR_COMMIT_PATH(MGR_COMMIT_FILE);
	store_txn *txn = NULL;
	unsigned lk[2];
	names_lock(p, container_id, name, 0, NULL, lk);
	if (hidden_unrecorded(p, container_id, name)) {
		int rc = hidden_set_mtime(p, container_id, name, id, mtime_ns);
		names_unlock(lk);
		return rc;
	}
	int rc = store_write_begin(p->store, &txn);
	if (rc == 0)
		rc = store_file_set_mtime(txn, container_id, name, id, mtime_ns);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	names_unlock(lk);
	return rc;
}

int mgr_writer_set_mtime(mgr_writer *w, int64_t mtime_ns)
{
	return mgr_file_set_mtime(w->p, w->container_id, w->name, w->id, mtime_ns);
}

/* ---- repair ------------------------------------------------------------------ */

struct repair {
	mgr_platform *p;
	store_table *t;
	store_origin origin;
	mgr_repair_stats *stats;
	store_txn *txn;
	unsigned pending;          /* changes in the open transaction */
	store_intent *intents;     /* the pending intents as TXN sees them */
	size_t nintents;
	mgr_repair_hidden_fn *on_hidden;
	mgr_repair_refused_fn *on_refused;
	void *on_hidden_arg;
};

/* Read the pending intents into R as the open write transaction sees them.
 * A commit records its intent (in a transaction of its own) before it
 * renames the file into place, and the write transaction keeps any other
 * commit out while it is open: a file the scan finds in place whose commit
 * is in progress is named by one of these. */
static int repair_intents_load(struct repair *r)
{
	free(r->intents);
	r->intents = NULL;
	r->nintents = 0;
	return store_intent_list(r->txn, &r->intents, &r->nintents);
}

/* Commit every few thousand changes: a repair of a huge table never holds one
 * enormous write transaction. */
static int repair_step(struct repair *r)
{
	if (++r->pending < 5000)
		return 0;
	int rc = store_commit(r->txn);
	r->txn = NULL;
	r->pending = 0;
	if (rc == 0)
		rc = store_write_begin(r->p->store, &r->txn);
	if (rc == 0)
		rc = repair_intents_load(r);
	return rc;
}

/* Whether a pending intent names NAME in CONTAINER: a commit of that file
 * is in progress (the daemon's, or one a crash cut short that the daemon
 * resolves at its next start), and it records the file, not repair. */
static bool repair_in_commit(struct repair *r, uint64_t container, const char *dir,
			     const char *name)
{
	for (size_t i = 0; i < r->nintents; i++) {
		if (r->intents[i].container_id != container || strcmp(r->intents[i].name, name))
			continue;
		mgr_log(MGR_LOG_WARN, "repair left %s/%s alone: a commit of it is in progress "
				      "(pending intent of file %llu)", dir, name,
			(unsigned long long)r->intents[i].file_id);
		r->stats->files_in_commit++;
		return true;
	}
	return false;
}

static bool repair_ignored(const char *name)
{
	/* Hive and Spark ignore hidden files and markers such as _SUCCESS. */
	return base_name_hidden(name);
}

/* A hidden file in a partition directory: never registered.  One older than
 * the grace period ([metafs] hidden_grace) was left behind by a writer that
 * never renamed it (an interrupted rsync, a crashed editor) and is removed;
 * a younger one may still be in use, and is only reported.  Both are given
 * to the caller's on_hidden. */
static void repair_hidden(struct repair *r, DIR *d, const char *dir, const char *name)
{
	struct stat st;
	if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	double grace = mgr_get_config(r->p->mgr)->hidden_grace;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	double age = (double)(store_now_ns() - mtime) / 1e9;
	bool removed = false;
	if (age > grace) {
		if (unlinkat(dirfd(d), name, 0) == 0) {
			removed = true;
			r->stats->hidden_removed++;
			mgr_log(MGR_LOG_INFO, "repair removed hidden file %s: unchanged for %.0f s, "
					      "longer than hidden_grace (%.0f s)", path, age, grace);
		} else {
			mgr_log(MGR_LOG_WARN, "repair cannot remove hidden file %s: %s", path,
				strerror(errno));
		}
	}
	if (!removed) {
		r->stats->hidden_kept++;
		mgr_log(MGR_LOG_INFO, "repair kept hidden file %s: unchanged for %.0f s, within "
				      "hidden_grace (%.0f s)", path, age, grace);
	}
	if (r->on_hidden)
		r->on_hidden(r->on_hidden_arg, path, age, removed);
}

/* Open a directory of the table for the scan, without following symlinks. */
static DIR *repair_opendir(struct repair *r, const char *dir)
{
	int fd = mgr_data_open(r->p, r->p->data_dir, dir, O_RDONLY | O_DIRECTORY, 0, (uint32_t)getuid());
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* A symlink found by the scan: never registered, logged and audited. */
static bool repair_symlink(struct repair *r, DIR *d, const char *dir, const struct dirent *de)
{
	struct stat st;
	if (de->d_type != DT_LNK &&
	    (de->d_type != DT_UNKNOWN || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
	     !S_ISLNK(st.st_mode)))
		return false;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
	refuse_link(r->p, path, (uint32_t)getuid(), "repair", -ELOOP);
	return true;
}

/* Whether NAME is output of a run not recorded as succeeded: that run never
 * committed it (see manager.h).  *RC is the state lookup's result. */
static bool uncommitted_output(mgr *m, const char *name, mgr_job_run_ref *ref,
			       mgr_job_state *state, int *rc)
{
	if (!mgr_job_output_name(name, ref))
		return false;
	*rc = mgr_job_run_recorded_state(m, ref->job, ref->run, state);
	return *rc || *state != MGR_JOB_SUCCEEDED;
}

/* An unlisted file named as a job run's output is that run's to commit: it
 * is registered only when the run succeeded. */
static bool repair_uncommitted_output(struct repair *r, const char *dir, const char *name)
{
	mgr_job_run_ref ref;
	mgr_job_state state = MGR_JOB_FAILED;
	int rc = 0;
	if (!uncommitted_output(r->p->mgr, name, &ref, &state, &rc))
		return false;
	mgr_log(MGR_LOG_WARN, "repair skipped %s/%s: output of job %u run %u, which %s", dir, name,
		ref.job, ref.run, rc ? "is not recorded" :
		state == MGR_JOB_FAILED ? "failed before committing it" : "has not committed it");
	r->stats->files_skipped++;
	return true;
}

/* Whether the partition directory DIR (DEPTH as in repair_level) holds
 * uncommitted job output and nothing else: a run made it for output it
 * never committed, so repair does not make it a partition.  Counts the
 * files in *N. */
static bool repair_only_uncommitted(struct repair *r, uint32_t depth, const char *dir, uint64_t *n)
{
	DIR *d = repair_opendir(r, dir);
	if (!d)
		return false;
	bool only = true;
	struct dirent *de;
	while (only && (de = readdir(d))) {
		if (repair_ignored(de->d_name))
			continue;   /* ".", "..", and hidden files, which are not data */
		char child[PATH_MAX];
		mgr_job_run_ref ref;
		mgr_job_state state;
		int rc = 0;
		if (depth <= r->t->npartkeys)
			only = de->d_type == DT_DIR &&
			       snprintf(child, sizeof child, "%s/%s", dir, de->d_name) < (int)sizeof child &&
			       repair_only_uncommitted(r, depth + 1, child, n);
		else if ((only = de->d_type == DT_REG &&
				 uncommitted_output(r->p->mgr, de->d_name, &ref, &state, &rc)))
			++*n;
	}
	closedir(d);
	return only && *n > 0;
}

static int repair_files(struct repair *r, uint64_t container, const char *dir)
{
	DIR *d = repair_opendir(r, dir);
	if (!d)
		return -errno;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || de->d_type == DT_DIR ||
		    repair_symlink(r, d, dir, de))
			continue;
		if (repair_ignored(de->d_name)) {
			repair_hidden(r, d, dir, de->d_name);
			continue;
		}
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		struct stat st;
		store_file f = {0}, old;
		fmt_file_stats scan = {0};
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !store_name_valid(de->d_name, NULL)) {
			close(fd);
			continue;
		}
		char path[PATH_MAX], shown[PATH_MAX + STORE_NAME_MAX + 2];
		fmt_error err = {{0}};
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		mount_path(r->p, path, shown, sizeof shown);
		rc = fmt_file_scan(fd, shown, r->t, &scan, &err);
		close(fd);
		if (rc == -EINVAL) {
			/* Not of the table's format: never registered. */
			mgr_log(MGR_LOG_WARN, "repair skipped %s", err.msg);
			r->stats->files_refused++;
			if (r->on_refused)
				r->on_refused(r->on_hidden_arg, path, err.msg);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		fmt_file_stats_to_record(&scan, &f);
		bool exists = store_file_get(r->txn, container, de->d_name, &old) == 0;
		if ((exists && old.bytes == f.bytes && !memcmp(old.checksum, f.checksum, 16) &&
		     (old.nstats || !f.nstats)) ||
		    repair_in_commit(r, container, dir, de->d_name) ||
		    (!exists && repair_uncommitted_output(r, dir, de->d_name))) {
			fmt_file_stats_clear(&scan);
			continue;
		}
		f.id = exists ? old.id : 0;
		f.pnode_id = container;
		snprintf(f.name, sizeof f.name, "%s", de->d_name);
		f.owner_uid = st.st_uid;
		f.owner_gid = st.st_gid;
		f.created_ns = exists ? old.created_ns : store_now_ns();
		f.modified_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		rc = store_file_put(r->txn, &f, r->origin);
		fmt_file_stats_clear(&scan);
		if (rc == 0) {
			if (exists)
				r->stats->files_updated++;
			else
				r->stats->files_added++;
			rc = repair_step(r);
		}
	}
	closedir(d);
	if (rc)
		return rc;
	/* Records whose file is gone. */
	char gone[64][STORE_NAME_MAX + 1];
	for (;;) {
		unsigned ngone = 0;
		store_iter *it = NULL;
		store_file f;
		rc = store_iter_files(r->txn, container, NULL, &it);
		while (rc == 0 && ngone < 64 && (rc = store_iter_next(it, &f)) == 0) {
			char path[PATH_MAX];
			snprintf(path, sizeof path, "%s/%s", dir, f.name);
			struct stat st;
			/* A file replaced by a symlink is gone too: links are never data. */
			if (lstat(path, &st) ? errno == ENOENT : S_ISLNK(st.st_mode))
				memcpy(gone[ngone++], f.name, sizeof gone[0]);
		}
		store_iter_close(it);
		if (rc && rc != -ENOENT)
			return rc;
		for (unsigned i = 0; i < ngone; i++) {
			rc = store_file_drop(r->txn, container, gone[i], r->origin);
			if (rc)
				return rc;
			r->stats->files_removed++;
		}
		if (ngone < 64)
			return 0;
	}
}

static int repair_level(struct repair *r, uint64_t parent, uint32_t depth, const char *dir)
{
	if (depth > r->t->npartkeys)
		return repair_files(r, parent ? parent : r->t->id, dir);
	DIR *d = repair_opendir(r, dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	int rc = 0;
	struct dirent *de;
	const char *key = r->t->columns[r->t->ncolumns + depth - 1].name;
	size_t klen = strlen(key);
	while (rc == 0 && (de = readdir(d))) {
		if (repair_ignored(de->d_name) || repair_symlink(r, d, dir, de))
			continue;
		if (de->d_type != DT_DIR ||
		    strncmp(de->d_name, key, klen) || de->d_name[klen] != '=')
			continue;
		char value[STORE_NAME_MAX + 1], child[PATH_MAX];
		if (mgr_pnode_parse_name(r->t, depth, de->d_name, value))
			continue;
		store_pnode pn;
		bool created;
		uint64_t skipped = 0;
		if (snprintf(child, sizeof child, "%s/%s", dir, de->d_name) >= (int)sizeof child)
			continue;
		if (store_pnode_get(r->txn, r->t->id, parent, value, &pn) &&
		    repair_only_uncommitted(r, depth + 1, child, &skipped)) {
			mgr_log(MGR_LOG_WARN, "repair skipped %s: it holds only output of job runs that "
					      "did not commit it", child);
			r->stats->files_skipped += skipped;
			continue;
		}
		rc = store_pnode_ensure(r->txn, r->t->id, parent, value, 0, 0, r->origin, &pn, &created);
		if (rc == 0 && created) {
			if (pn.leaf)
				r->stats->partitions_added++;
			rc = repair_step(r);
		}
		if (rc)
			break;
		rc = repair_level(r, pn.id, depth + 1, child);
	}
	closedir(d);
	return rc;
}

int mgr_table_repair(mgr_platform *p, const char *db, const char *name, store_origin origin,
		     mgr_repair_stats *stats)
{
	return mgr_table_repair_report(p, db, name, origin, stats, NULL, NULL, NULL);
}

int mgr_table_repair_report(mgr_platform *p, const char *db, const char *name,
			    store_origin origin, mgr_repair_stats *stats,
			    mgr_repair_hidden_fn *on_hidden, mgr_repair_refused_fn *on_refused,
			    void *arg)
{
	MGR_COMMIT_PATH(MGR_COMMIT_REPAIR);
	memset(stats, 0, sizeof *stats);
	store_table t = {0};
	struct repair r = {.p = p, .t = &t, .origin = origin, .stats = stats,
			   .on_hidden = on_hidden, .on_refused = on_refused, .on_hidden_arg = arg};
	int rc = store_write_begin(p->store, &r.txn);
	if (rc == 0)
		rc = store_table_get(r.txn, db, name, &t);
	if (rc == 0 && !t.has_schema)
		rc = -EINVAL;
	char dir[PATH_MAX];
	if (rc == 0)
		rc = store_data_path(r.txn, p->data_dir, &t, t.id, NULL, dir, sizeof dir);
	if (rc == 0)
		rc = repair_intents_load(&r);
	if (rc == 0)
		rc = repair_level(&r, 0, 1, dir);
	if (rc == 0) {
		rc = store_commit(r.txn);
		r.txn = NULL;
	}
	store_abort(r.txn);
	store_table_clear(&t);
	free(r.intents);
	return rc;
}

/* ---- output of interrupted runs ----------------------------------------------- */

struct sweep {
	mgr_platform *p;
	store_txn *txn;
	const store_table *t;
	const mgr_job_run_ref *runs;
	size_t nruns;
	uint64_t removed;
};

static bool sweep_interrupted(const struct sweep *s, const char *name, mgr_job_run_ref *ref)
{
	if (!mgr_job_output_name(name, ref))
		return false;
	for (size_t i = 0; i < s->nruns; i++)
		if (s->runs[i].job == ref->job && s->runs[i].run == ref->run)
			return true;
	return false;
}

/* CONTAINER 0: a directory the metastore does not know, so nothing in it
 * is listed. */
static void sweep_files(struct sweep *s, uint64_t container, int dfd, const char *dir)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		mgr_job_run_ref ref;
		store_file f;
		struct stat st;
		if (!sweep_interrupted(s, de->d_name, &ref) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (container && store_file_get(s->txn, container, de->d_name, &f) == 0)
			continue;   /* committed by an earlier statement of the run */
		if (unlinkat(dirfd(d), de->d_name, 0)) {
			mgr_log(MGR_LOG_WARN, "cannot remove %s/%s, uncommitted output of job %u run %u: %s",
				dir, de->d_name, ref.job, ref.run, strerror(errno));
			continue;
		}
		mgr_log(MGR_LOG_INFO, "removed %s/%s: output of job %u run %u, which the daemon "
				      "stopped before it committed", dir, de->d_name, ref.job, ref.run);
		s->removed++;
	}
	closedir(d);
}

static void sweep_level(struct sweep *s, uint64_t parent, bool known, uint32_t depth,
			const char *dir)
{
	int dfd = mgr_data_open(s->p, s->p->data_dir, dir, O_RDONLY | O_DIRECTORY, 0,
				(uint32_t)getuid());
	if (dfd < 0)
		return;
	if (depth > s->t->npartkeys) {
		sweep_files(s, known ? (parent ? parent : s->t->id) : 0, dfd, dir);
		return;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	const char *key = s->t->columns[s->t->ncolumns + depth - 1].name;
	size_t klen = strlen(key);
	struct dirent *de;
	while ((de = readdir(d))) {
		char value[STORE_NAME_MAX + 1], child[PATH_MAX];
		store_pnode pn = {0};
		if (de->d_type != DT_DIR || strncmp(de->d_name, key, klen) || de->d_name[klen] != '=' ||
		    mgr_pnode_parse_name(s->t, depth, de->d_name, value) ||
		    snprintf(child, sizeof child, "%s/%s", dir, de->d_name) >= (int)sizeof child)
			continue;
		bool found = known && store_pnode_get(s->txn, s->t->id, parent, value, &pn) == 0;
		sweep_level(s, pn.id, found, depth + 1, child);
		/* A directory no record knows, made by the run for its output:
		 * gone with it when nothing else is in it (ENOTEMPTY otherwise). */
		if (!found)
			unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

static void sweep_platform(struct sweep *s)
{
	store_iter *dbs = NULL;
	store_database db;
	int rc = store_iter_databases(s->txn, NULL, &dbs);
	while (rc == 0 && store_iter_next(dbs, &db) == 0) {
		store_iter *tables = NULL;
		store_table t;
		rc = store_iter_tables(s->txn, db.name, NULL, &tables);
		while (rc == 0 && store_iter_next(tables, &t) == 0) {
			char dir[PATH_MAX];
			s->t = &t;
			if (t.has_schema &&
			    store_data_path(s->txn, s->p->data_dir, &t, t.id, NULL, dir, sizeof dir) == 0)
				sweep_level(s, 0, true, 1, dir);
			store_table_clear(&t);
		}
		store_iter_close(tables);
		rc = 0;
	}
	store_iter_close(dbs);
}

void mgr_output_sweep(mgr *m, const mgr_job_run_ref *runs, size_t n)
{
	for (unsigned i = 0; i < m->nplatforms; i++) {
		struct sweep s = {.p = &m->platforms[i], .runs = runs, .nruns = n};
		if (store_read_begin(s.p->store, &s.txn)) {
			mgr_log(MGR_LOG_WARN, "cannot look for uncommitted job output in platform %s",
				s.p->name);
			continue;
		}
		sweep_platform(&s);
		store_abort(s.txn);
		if (s.removed)
			mgr_log(MGR_LOG_INFO, "removed %llu uncommitted output files of interrupted job "
					      "runs from platform %s", (unsigned long long)s.removed,
				s.p->name);
	}
}

/* ---- intents left by a crash ------------------------------------------------------- */

/* Finish or undo the intent IN of platform P (see store_intent in store.h):
 * if the file in place has exactly the bytes the intent names, the rename
 * happened and only the record is missing, so the commit is finished;
 * otherwise the rename never happened (the staged bytes went with the
 * staging area) and the intent is dropped.  Either way the data store and
 * the metastore agree afterwards. */
/* A removal intent (see store_intent): the record went in a committed
 * transaction, the bytes may still be in place.  They are removed when no
 * record of that name came back and they are still the intent's bytes. */
static int intent_remove(mgr_platform *p, const store_intent *in, mgr_intent_stats *stats)
{
	store_txn *txn = NULL;
	store_table t = {0};
	char path[PATH_MAX];
	store_file rec;
	bool removed = false;
	int rc = store_write_begin(p->store, &txn);
	if (rc)
		return rc;
	int e = locate(p, txn, in->table_id, in->container_id, in->name, &t, path, sizeof path);
	if (e == 0 && store_file_get(txn, in->container_id, in->name, &rec) == -ENOENT) {
		int fd = store_data_open_path(p->data_dir, path, O_RDONLY, 0);
		uint64_t bytes = 0;
		uint8_t sum[16];
		if (fd >= 0) {
			/* Compared by bytes alone, whatever they are. */
			bool same = fmt_file_checksum(fd, &bytes, sum) == 0 && bytes == in->bytes &&
				    memcmp(sum, in->checksum, sizeof sum) == 0;
			close(fd);
			const char *base;
			int dfd = same ? parent_open(p, path, (uint32_t)getuid(), &base) : -1;
			removed = dfd >= 0 && unlinkat(dfd, base, 0) == 0;
			if (dfd >= 0)
				close(dfd);
		}
	}
	rc = store_intent_clear(txn, in->file_id);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	store_abort(txn);
	if (rc == 0 && removed) {
		mgr_log(MGR_LOG_INFO, "removed %s: dropped or replaced by a commit a crash cut "
				      "short before it removed the bytes", path);
		stats->removed++;
	}
	store_table_clear(&t);
	return rc;
}

static int intent_resolve(mgr_platform *p, const store_intent *in, mgr_intent_stats *stats)
{
	if (in->remove)
		return intent_remove(p, in, stats);
	store_txn *txn = NULL;
	store_table t = {0};
	char path[PATH_MAX];
	bool finish = false;
	fmt_file_stats scan = {0};
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = locate(p, txn, in->table_id, in->container_id, in->name, &t, path, sizeof path);
	store_abort(txn);
	txn = NULL;
	if (rc == 0) {
		int fd = store_data_open_path(p->data_dir, path, O_RDONLY, 0);
		if (fd >= 0) {
			/* The commit checked the bytes before its intent. */
			finish = fmt_file_scan(fd, NULL, &t, &scan, NULL) == 0 &&
				 scan.bytes == in->bytes &&
				 memcmp(scan.checksum, in->checksum, sizeof scan.checksum) == 0;
			close(fd);
		}
	} else if (rc != -ENOENT) {
		goto out;
	}
	rc = store_write_begin(p->store, &txn);
	if (rc)
		goto out;
	store_file old, f = {0};
	bool recorded = false;
	if (finish && store_file_get(txn, in->container_id, in->name, &old) == 0) {
		recorded = old.id == in->file_id && old.bytes == in->bytes &&
			   memcmp(old.checksum, in->checksum, sizeof old.checksum) == 0;
		f.created_ns = old.created_ns;
		if (!recorded && old.id != in->file_id)
			rc = store_file_drop(txn, in->container_id, in->name, STORE_ORIGIN_FS);
	}
	if (rc == 0 && finish && !recorded) {
		f.id = in->file_id;
		f.pnode_id = in->container_id;
		snprintf(f.name, sizeof f.name, "%s", in->name);
		f.owner_uid = in->uid;
		f.owner_gid = in->gid;
		f.modified_ns = store_now_ns();
		if (!f.created_ns)
			f.created_ns = f.modified_ns;
		f.rows = in->rows;
		f.bytes = in->bytes;
		memcpy(f.checksum, in->checksum, sizeof f.checksum);
		f.stats = scan.stats;
		f.nstats = scan.nstats;
		rc = store_file_put(txn, &f, STORE_ORIGIN_FS);
	}
	if (rc == 0)
		rc = store_intent_clear(txn, in->file_id);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	if (rc == 0 && finish && !recorded) {
		mgr_log(MGR_LOG_INFO, "finished the commit of %s, cut short by a crash after its rename",
			path);
		stats->finished++;
	} else if (rc == 0 && !finish) {
		mgr_log(MGR_LOG_INFO, "dropped the intent to commit %s.%s file %s: it never reached "
				      "its place", t.db, t.name, in->name);
		stats->dropped++;
	} else if (rc == 0) {
		stats->finished++;   /* already recorded: only the intent was left */
	}
out:
	store_abort(txn);
	store_table_clear(&t);
	fmt_file_stats_clear(&scan);
	return rc;
}

int mgr_intents_resolve(mgr_platform *p, mgr_intent_stats *stats)
{
	MGR_COMMIT_PATH(MGR_COMMIT_RECOVERY);
	mgr_intent_stats ignored;
	if (!stats)
		stats = &ignored;
	memset(stats, 0, sizeof *stats);
	store_txn *txn = NULL;
	store_intent *in = NULL;
	size_t n = 0;
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_intent_list(txn, &in, &n);
	store_abort(txn);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = intent_resolve(p, &in[i], stats);
	free(in);
	return rc;
}
