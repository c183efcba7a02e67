/*
 * mgr_exchange.c - the exchange between platforms in the daemon (see
 * mgr_exchange.h): masked views of a mirror's source files, materialized
 * once into HOME/manager/exchange/, and the catalog hook by which jobs read
 * through the same transform.
 *
 * Nothing here trusts the caller to know whether a file is masked: every
 * read of a mirror's data (the file system's open of a view or mirrored
 * file, a job's scan of a mirror) asks exchange_build, which decides from
 * the mirror and source records.  When anything needed for the decision is
 * missing or malformed (the policy does not parse, a masked column is gone,
 * the key cannot be read) the read fails: the raw bytes are never the
 * fallback.
 */
#include "mgr_exchange.h"
#include "mgr_int.h"
#include "mgr_sync.h"
#include "sql.h"
#include "sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* The exchange's lines are the daemon's own, whoever's read met the trouble:
 * they name a mirror's source data paths and the exchange key, which the
 * readers of a mirror may not see (mgr_log_set_uid). */
#define exchange_log(...)                                               \
	do {                                                            \
		uint32_t log_was_ = mgr_log_set_uid(MGR_LOG_NO_UID);    \
		mgr_log(__VA_ARGS__);                                   \
		mgr_log_set_uid(log_was_);                              \
	} while (0)

/* The key, read once per home. */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static char key_home[PATH_MAX];
static uint8_t key_bytes[SYNC_MASK_KEY_BYTES];
static char key_ident[9];

static int exchange_key(mgr *m, uint8_t key[SYNC_MASK_KEY_BYTES], char id[9])
{
	char path[PATH_MAX + 32], err[512] = "";
	int rc = 0;

	pthread_mutex_lock(&key_lock);
	if (strcmp(key_home, m->cfg.home) != 0) {
		snprintf(path, sizeof path, "%s/" MGR_EXCHANGE_KEY, m->cfg.home);
		rc = sync_mask_key_load(path, key_bytes, key_ident, err, sizeof err);
		if (rc == 0)
			snprintf(key_home, sizeof key_home, "%s", m->cfg.home);
		else
			exchange_log(MGR_LOG_ERROR, "exchange: %s", err[0] ? err : strerror(-rc));
	}
	if (rc == 0) {
		memcpy(key, key_bytes, SYNC_MASK_KEY_BYTES);
		memcpy(id, key_ident, 9);
	}
	pthread_mutex_unlock(&key_lock);
	return rc;
}

/* ---- the exchange of one mirror --------------------------------------------------------- */

struct exchange {
	sync_exchange *x;          /* NULL when inactive */
	XXH3_state_t *h;           /* what the transform depends on, so far */
};

static bool has_column(const store_table *t, const char *name)
{
	for (uint32_t i = 0; i < t->ncolumns; i++)
		if (strcasecmp(t->columns[i].name, name) == 0)
			return true;
	return false;
}

static void hash_str(XXH3_state_t *h, const char *s, size_t n)
{
	XXH3_128bits_update(h, s, n);
	XXH3_128bits_update(h, "\n", 1);
}

/* The exchange of MIRROR over SRC: its masks (metafs.mask.policy) and the
 * data columns of SRC that MIRROR lacks.  *E->x stays NULL when nothing is
 * masked or dropped.  -EIO with the reason logged when it cannot be built. */
static int exchange_build(mgr *m, const store_table *mirror, const store_table *src,
			  struct exchange *e)
{
	const char *drop[STORE_MAX_COLUMNS];
	unsigned ndrop = 0;
	sync_mask_policy policy;
	size_t plen = 0;
	const char *ptext = sync_table_property(mirror, SYNC_PROP_MASK_POLICY, &plen);
	const char *ver;
	size_t vlen = 0;
	uint8_t key[SYNC_MASK_KEY_BYTES];
	char key_id[9] = "", err[512] = "";
	int rc;

	memset(e, 0, sizeof *e);
	memset(&policy, 0, sizeof policy);
	if (ptext && plen) {
		char *text = strndup(ptext, plen);

		if (text == NULL)
			return -ENOMEM;
		rc = sync_mask_parse(text, &policy, err, sizeof err);
		free(text);
		if (rc) {
			exchange_log(MGR_LOG_ERROR, "exchange: %s.%s: bad %s: %s", mirror->db, mirror->name,
				SYNC_PROP_MASK_POLICY, err);
			return -EIO;
		}
	}
	for (uint32_t i = 0; i < src->ncolumns; i++)
		if (!has_column(mirror, src->columns[i].name))
			drop[ndrop++] = src->columns[i].name;
	if (policy.n == 0 && ndrop == 0)
		return 0;
	if (policy.n && (rc = exchange_key(m, key, key_id)) != 0)
		return -EIO;
	rc = sync_exchange_new(src, drop, ndrop, &policy, policy.n ? key : NULL, &e->x, err,
			       sizeof err);
	explicit_bzero(key, sizeof key);
	if (rc) {
		exchange_log(MGR_LOG_ERROR, "exchange: %s.%s: %s", mirror->db, mirror->name, err);
		return -EIO;
	}
	if (!sync_exchange_active(e->x)) {
		sync_exchange_free(e->x);
		e->x = NULL;
		return 0;
	}
	e->h = XXH3_createState();
	if (e->h == NULL) {
		sync_exchange_free(e->x);
		e->x = NULL;
		return -ENOMEM;
	}
	XXH3_128bits_reset(e->h);
	hash_str(e->h, "metafs-exchange-1", 17);
	hash_str(e->h, ptext ? ptext : "", ptext ? plen : 0);
	ver = sync_table_property(mirror, SYNC_PROP_MASK_VERSION, &vlen);
	hash_str(e->h, ver ? ver : "", ver ? vlen : 0);
	hash_str(e->h, key_id, strlen(key_id));
	for (unsigned i = 0; i < ndrop; i++)
		hash_str(e->h, drop[i], strlen(drop[i]));
	XXH3_128bits_update(e->h, &src->format, sizeof src->format);
	XXH3_128bits_update(e->h, &src->header, sizeof src->header);
	for (uint32_t i = 0; i < src->ncolumns; i++) {
		hash_str(e->h, src->columns[i].name, strlen(src->columns[i].name));
		XXH3_128bits_update(e->h, &src->columns[i].type, sizeof src->columns[i].type);
	}
	return 0;
}

static void exchange_free(struct exchange *e)
{
	sync_exchange_free(e->x);
	if (e->h)
		XXH3_freeState(e->h);
	memset(e, 0, sizeof *e);
}

/* The cache path of the transform of the file whose stat is ST (record F). */
static void cache_path(mgr *m, const struct exchange *e, const struct stat *st,
		       const store_file *f, char *out, size_t cap)
{
	XXH3_state_t *h = XXH3_createState();
	XXH128_hash_t d = { 0, 0 };

	if (h) {
		uint64_t id[5] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
				   (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec };

		XXH3_copyState(h, e->h);
		XXH3_128bits_update(h, id, sizeof id);
		if (f)
			XXH3_128bits_update(h, f->checksum, sizeof f->checksum);
		d = XXH3_128bits_digest(h);
		XXH3_freeState(h);
	}
	snprintf(out, cap, "%s/" MGR_EXCHANGE_DIR "/%016" PRIx64 "%016" PRIx64 ".x", m->cfg.home,
		 d.high64, d.low64);
}

/* Materialize the transform of SRC_FD (path SRC_PATH) at PATH. */
static int materialize(mgr *m, const struct exchange *e, int src_fd, const char *src_path,
		       const char *path)
{
	char dir[PATH_MAX + 32], tmp[PATH_MAX + 64], err[512] = "";
	uint64_t rows = 0;
	int fd, rc;

	snprintf(dir, sizeof dir, "%s/" MGR_EXCHANGE_DIR, m->cfg.home);
	if ((rc = base_fs_mkdirs(dir, BASE_MODE_DIR)) != 0)
		return rc;
	snprintf(tmp, sizeof tmp, "%s/tmp.XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* mkostemp makes it 0600: the home's group may read it too. */
	if (m->cfg.has_home_group && fchmod(fd, BASE_MODE_FILE & ~(mode_t)BASE_UMASK_GROUP)) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	rc = sync_exchange_file(e->x, src_fd, fd, &rows, err, sizeof err);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		if (rc == -EINVAL) {
			exchange_log(MGR_LOG_ERROR, "exchange: cannot serve %s masked: %s", src_path, err);
			return -EIO;
		}
		exchange_log(MGR_LOG_ERROR, "exchange: cannot materialize %s: %s", src_path,
			err[0] ? err : strerror(-rc));
		return rc;
	}
	return 0;
}

/* Open a source data file without following symlinks below its data store
 * (mgr_data_open: refusals are logged and audited as UID's). */
static int source_open(mgr *m, const char *path, uint32_t uid)
{
	for (unsigned i = 0; i < m->nplatforms; i++) {
		mgr_platform *pl = &m->platforms[i];
		if (store_data_relative(pl->data_dir, path)) {
			int fd = mgr_data_open(pl, pl->data_dir, path, O_RDONLY, 0, uid);
			if (fd < 0 && fd != -ELOOP && fd != -EXDEV)
				mgr_log(MGR_LOG_ERROR, "cannot open data file %s: %s", path,
					strerror(-fd));
			return fd;
		}
	}
	mgr_log(MGR_LOG_ERROR, "data file %s is outside every data store", path);
	return -EXDEV;
}

/* A mirror's source file, opened as source_open does; its lines are the
 * daemon's own (they name the source's data path). */
static int mirror_source_open(mgr *m, const char *path, uint32_t uid)
{
	uint32_t log_was = mgr_log_set_uid(MGR_LOG_NO_UID);
	int fd = source_open(m, path, uid);
	mgr_log_set_uid(log_was);
	return fd;
}

static int exchange_fd(mgr *m, const struct exchange *e, const store_file *f, const char *src_path,
		       uint32_t uid, int *fd_out)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int src, fd, rc = 0;

	src = mirror_source_open(m, src_path, uid);
	if (src < 0)
		return src;
	if (fstat(src, &st) != 0) {
		rc = -errno;
		close(src);
		return rc;
	}
	cache_path(m, e, &st, f, path, sizeof path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = materialize(m, e, src, src_path, path);
		if (rc == 0)
			fd = open(path, O_RDONLY | O_CLOEXEC);
	} else if (fd >= 0) {
		futimens(fd, NULL);   /* used: keep it past the next cleaning */
	}
	if (rc == 0 && fd < 0)
		rc = -errno;
	close(src);
	if (rc == 0)
		*fd_out = fd;
	return rc;
}

/* Open source file SRC_PATH (record F, of table SRC_TABLE) as MIRROR shows
 * it: when the mirror has an active exchange, an fd (read-only) of the
 * materialized transform and *TRANSFORMED true; otherwise the source file
 * itself.  -EIO when the source cannot be transformed (a malformed row: the
 * reason is logged), never the raw bytes.  The source is opened without
 * following symlinks (a refusal is audited as UID's). */
static int exchange_open(mgr *m, const store_table *mirror, const store_table *src_table,
			 const store_file *f, const char *src_path, uint32_t uid, int *fd_out,
			 bool *transformed)
{
	struct exchange e;
	int rc;

	if (transformed)
		*transformed = false;
	rc = exchange_build(m, mirror, src_table, &e);
	if (rc)
		return rc;
	if (e.x == NULL) {
		int fd = mirror_source_open(m, src_path, uid);
		if (fd < 0)
			return fd;
		*fd_out = fd;
		return 0;
	}
	rc = exchange_fd(m, &e, f, src_path, uid, fd_out);
	exchange_free(&e);
	if (rc == 0 && transformed)
		*transformed = true;
	return rc;
}

/* ---- the file system's side ------------------------------------------------------------- */

/* The mirror of source table T (platform SP) on platform TP, if it is one:
 * same db and name, its metafs.mirror.source_id is T's id, and a rule made
 * it (mgr_is_mirror). */
static int mirror_of(mgr *m, mgr_platform *tp, mgr_platform *sp, const store_table *t,
		     store_table *out)
{
	store_txn *txn = NULL;
	uint64_t sid = 0;
	size_t len = 0;
	char want[3 * (STORE_NAME_MAX + 1) + 4];
	const char *v;
	int rc = store_read_begin(tp->store, &txn);

	if (rc == 0)
		rc = store_table_get(txn, t->db, t->name, out);
	store_abort(txn);
	if (rc)
		return rc;
	snprintf(want, sizeof want, "%s.%s.%s", sp->name, t->db, t->name);
	v = sync_table_property(out, SYNC_PROP_PREFIX "source", &len);
	if (v == NULL || len != strlen(want) || memcmp(v, want, len) != 0 ||
	    (v = sync_table_property(out, SYNC_PROP_PREFIX "source_id", &len)) == NULL ||
	    (sid = strtoull(v, NULL, 10)) != t->id || !mgr_is_mirror(m, tp, out)) {
		store_table_clear(out);
		return -ENOENT;
	}
	return 0;
}

/* The (mirror, source) pair behind a file of T: *MIRROR and *SRC are copies
 * (clear them) or, with *NONE, T is no mirror's. */
static int resolve(mgr *m, mgr_platform *p, const store_table *t, unsigned view_target,
		   store_table *mirror, mgr_platform **sp, store_table *src, bool *none)
{
	int rc;

	*none = false;
	memset(mirror, 0, sizeof *mirror);
	memset(src, 0, sizeof *src);
	if (view_target) {
		mgr_platform *tp = mgr_platform_at(m, view_target - 1);

		if (tp == NULL)
			return -ENOENT;
		rc = mirror_of(m, tp, p, t, mirror);
		if (rc)
			return rc;
		*sp = p;
		return 0;
	}
	if (!mgr_is_mirror(m, p, t)) {
		*none = true;
		return 0;
	}
	return mgr_mirror_source(m, p, t, sp, src);
}

int mgr_exchange_open_data(mgr *m, mgr_platform *p, const store_table *t, unsigned view_target,
			   const store_file *f, const char *path, uint32_t uid, int *fd_out,
			   bool *transformed)
{
	store_table mirror, src;
	mgr_platform *sp = NULL;
	bool none;
	int rc;

	if (transformed)
		*transformed = false;
	rc = resolve(m, p, t, view_target, &mirror, &sp, &src, &none);
	if (rc == 0 && none) {
		int fd = source_open(m, path, uid);
		if (fd < 0)
			return fd;
		*fd_out = fd;
		return 0;
	}
	if (rc == 0)
		rc = exchange_open(m, view_target ? &mirror : t, view_target ? t : &src, f, path, uid,
				   fd_out, transformed);
	store_table_clear(&mirror);
	store_table_clear(&src);
	return rc;
}

int mgr_exchange_data_size(mgr *m, mgr_platform *p, const store_table *t, unsigned view_target,
			   const store_file *f, uint64_t *size)
{
	store_table mirror, src, where;
	mgr_platform *sp = NULL;
	struct exchange e;
	char path[PATH_MAX], cpath[PATH_MAX + 64];
	struct stat st;
	store_txn *txn = NULL;
	bool none;
	int rc;

	*size = 0;
	rc = resolve(m, p, t, view_target, &mirror, &sp, &src, &none);
	if (rc || none)
		return rc;
	rc = exchange_build(m, view_target ? &mirror : t, view_target ? t : &src, &e);
	if (rc == 0 && e.x) {
		/* Where the bytes are: the source's data store. */
		where = *t;
		if (!view_target) {
			memcpy(where.db, src.db, sizeof where.db);
			memcpy(where.name, src.name, sizeof where.name);
		}
		rc = store_read_begin(p->store, &txn);
		if (rc == 0)
			rc = store_data_path(txn, sp->data_dir, &where, f->pnode_id, f->name, path,
					     sizeof path);
		store_abort(txn);
		if (rc == 0 && stat(path, &st) == 0) {
			cache_path(m, &e, &st, f, cpath, sizeof cpath);
			if (stat(cpath, &st) == 0)
				*size = (uint64_t)st.st_size;
		}
		rc = 1;
	}
	if (e.x || e.h)
		exchange_free(&e);
	store_table_clear(&mirror);
	store_table_clear(&src);
	return rc;
}

/* ---- jobs ------------------------------------------------------------------------------ */

struct scan_open {
	mgr *m;
	uint32_t uid;
	struct exchange e;
};

/* Why a data file could not be opened, for the job's error. */
static void open_refusal(int rc, char *err, size_t errlen)
{
	if (rc == -EIO)
		snprintf(err, errlen, "cannot be read through the exchange (see the daemon's log)");
	else if (rc == -ELOOP || rc == -EXDEV)
		snprintf(err, errlen, "refused: a symlink or a path leaving the data store (audited)");
}

static int scan_open_file(void *ctx, const store_file *f, const char *path, int *fd, char *err,
			  size_t errlen)
{
	struct scan_open *so = ctx;
	int rc = exchange_fd(so->m, &so->e, f, path, so->uid, fd);

	open_refusal(rc, err, errlen);
	return rc;
}

/* An ordinary table's file: opened as it is, without following symlinks. */
static int scan_open_plain(void *ctx, const store_file *f, const char *path, int *fd, char *err,
			   size_t errlen)
{
	const mgr_exchange_scan *xs = ctx;
	int rc = source_open(xs->m, path, xs->uid);

	(void)f;
	if (rc < 0) {
		open_refusal(rc, err, errlen);
		return rc;
	}
	*fd = rc;
	return 0;
}

static void scan_release(void *ctx)
{
	struct scan_open *so = ctx;

	if (so) {
		exchange_free(&so->e);
		free(so);
	}
}

static int catalog_index(const sql_catalog *cat, const char *name)
{
	for (unsigned i = 0; i < cat->nplatforms; i++)
		if (strcmp(cat->platforms[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int scan_source(void *ctx, const sql_catalog *cat, unsigned table_platform,
		       const store_table *t, sql_scan_source *out, sql_error *err)
{
	mgr_exchange_scan *xs = ctx;
	mgr *m = xs->m;
	mgr_platform *p, *ep;
	int rc;

	/* Unless said otherwise below: the table's own files, opened safely. */
	out->open_file = scan_open_plain;
	out->open_ctx = xs;
	if (table_platform >= cat->nplatforms)
		return 0;
	p = mgr_platform_find(m, cat->platforms[table_platform].name);
	if (p == NULL)
		return 0;
	if (mgr_is_mirror(m, p, t)) {
		/* A mirror's rows are its source's, through the mirror's exchange. */
		mgr_platform *sp = NULL;
		store_table src;
		struct scan_open *so;
		int idx;

		rc = mgr_mirror_source(m, p, t, &sp, &src);
		if (rc) {
			sql_error_set(err, 0, 0, "the source of mirror %s.%s.%s is gone", p->name, t->db,
				      t->name);
			return rc;
		}
		idx = catalog_index(cat, sp->name);
		so = calloc(1, sizeof *so);
		rc = so == NULL ? -ENOMEM : idx < 0 ? -ENOENT : exchange_build(m, t, &src, &so->e);
		if (rc) {
			sql_error_set(err, 0, 0, "cannot read mirror %s.%s.%s through its exchange%s",
				      p->name, t->db, t->name, rc == -EIO ? " (see the daemon's log)" : "");
			free(so);
			store_table_clear(&src);
			return rc;
		}
		out->from_source = true;
		out->platform = (unsigned)idx;
		memcpy(out->db, src.db, sizeof out->db);
		memcpy(out->table, src.name, sizeof out->table);
		out->table_id = src.id;
		store_table_clear(&src);
		if (so->e.x == NULL) {
			free(so);   /* nothing masked or dropped: the source's bytes */
			return 0;
		}
		so->m = m;
		so->uid = xs->uid;
		out->open_file = scan_open_file;
		out->transformed = true;
		out->open_ctx = so;
		out->release = scan_release;
		return 0;
	}
	/* A table of another platform, read by this engine: through the
	 * engine platform's mirror of it when that mirror masks or drops
	 * anything; refused when a rule says it should but has not mirrored
	 * it yet. */
	if (cat->engine_platform == table_platform || cat->engine_platform >= cat->nplatforms)
		return 0;
	ep = mgr_platform_find(m, cat->platforms[cat->engine_platform].name);
	if (ep == NULL)
		return 0;
	store_table mirror;
	char rule[STORE_NAME_MAX + 1] = "";
	rc = mirror_of(m, ep, p, t, &mirror);
	if (rc == 0) {
		store_table src;
		struct exchange e;
		bool active;

		/* T is the source itself (same id): its own record. */
		src = *t;
		rc = exchange_build(m, &mirror, &src, &e);
		active = rc == 0 && e.x != NULL;
		if (rc == 0)
			exchange_free(&e);
		if (rc == 0 && active) {
			out->redirect = true;
			out->platform = cat->engine_platform;
			memcpy(out->db, mirror.db, sizeof out->db);
			memcpy(out->table, mirror.name, sizeof out->table);
		}
		store_table_clear(&mirror);
		if (rc)
			sql_error_set(err, 0, 0, "cannot read %s.%s.%s through the exchange (see the daemon's log)",
				      p->name, t->db, t->name);
		return rc;
	}
	if (rc != -ENOENT)
		return rc;
	if (mgr_sync_exchange_rule(m, p->name, ep->name, t->db, t->name, rule) == 0) {
		sql_error_set(err, 0, 0,
			      "%s.%s.%s is masked for %s by sync rule %s but not mirrored yet: run the rule first",
			      p->name, t->db, t->name, ep->name, rule);
		return -EACCES;
	}
	return 0;
}

void mgr_exchange_catalog(mgr_exchange_scan *xs, sql_catalog *cat)
{
	cat->scan_source = scan_source;
	cat->scan_source_ctx = xs;
}

/* ---- cleaning ---------------------------------------------------------------------------- */

int mgr_exchange_clean(mgr *m)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 300];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	unsigned removed = 0;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/" MGR_EXCHANGE_DIR, m->cfg.home);
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		/* Temporaries are only ever left by a crash: the daemon is starting. */
		if (strncmp(de->d_name, "tmp.", 4) == 0 || now - st.st_mtime > MGR_EXCHANGE_MAX_AGE_S)
			removed += unlink(path) == 0;
	}
	closedir(d);
	if (removed)
		exchange_log(MGR_LOG_INFO, "exchange: removed %u materialized files not used for a day",
			removed);
	return 0;
}
