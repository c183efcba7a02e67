/*
 * mgr_home.c - the home is private: the modes it is made with, the check
 * the daemon makes before it mounts one, and the repair of an older home.
 *
 * Only the daemon's user may use the home, and the home's group
 * ([access] home_group) read it: the data, metastores, exchange cache,
 * jobs, logs and pipeline state behind the mount are reachable only through
 * the mount.  Everything is created with BASE_MODE_DIR and BASE_MODE_FILE
 * under a umask that clears the group's bits unless a group is configured;
 * with one, directories carry it and their set-group-ID bit, so that what
 * is created below them is the group's too.
 */
#include "manager.h"
#include "mgr_int.h"
#include "mgr_exchange.h"   /* MGR_EXCHANGE_DIR */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define FUSE_SUPER_MAGIC 0x65735546

/* Directories of the home below which each user's own pipeline state lies. */
#define PIPELINE_STATE_DIR "pipeline-state"

void mgr_home_umask(const mgr_config *cfg)
{
	umask(cfg->has_home_group ? BASE_UMASK_GROUP : BASE_UMASK_PRIVATE);
}

/* The mode a directory of the home has when it is the home's own. */
static mode_t dir_mode(const mgr_config *cfg)
{
	return cfg->has_home_group ? (S_ISGID | (BASE_MODE_DIR & ~(mode_t)BASE_UMASK_GROUP))
				   : (BASE_MODE_DIR & ~(mode_t)BASE_UMASK_PRIVATE);
}

int mgr_home_mkdir(const mgr_config *cfg, const char *path)
{
	struct stat st;
	bool existed = stat(path, &st) == 0;
	int rc = base_fs_mkdirs(path, BASE_MODE_DIR);
	if (rc || existed)
		return rc;
	/* Made now: outside the home (a data store elsewhere) its parent
	 * hands nothing on, so give it the group and the mode here. */
	if (cfg->has_home_group && chown(path, (uid_t)-1, (gid_t)cfg->home_gid))
		return -errno;
	if (chmod(path, dir_mode(cfg)))
		return -errno;
	return 0;
}

/* ---- the daemon's check ---------------------------------------------------------- */

/* The bits of MODE (a file's, its group GID) that users other than the
 * owner may not have. */
static mode_t open_bits(const mgr_config *cfg, mode_t mode, gid_t gid)
{
	mode_t bad = mode & (S_IRWXG | S_IRWXO);
	if (cfg->has_home_group && gid == (gid_t)cfg->home_gid)
		bad &= ~(mode_t)(S_IRGRP | S_IXGRP);
	return bad;
}

static int check_path(const mgr_config *cfg, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st))
		return 0;   /* not made yet: it will be, privately */
	mode_t bad = open_bits(cfg, st.st_mode, st.st_gid);
	if (!bad)
		return 0;
	const char *how = bad & (S_IRGRP | S_IROTH) ? "readable"
			  : bad & (S_IWGRP | S_IWOTH) ? "writable" : "open";
	base_msg_format(err, errlen, "%s is %s by other users (mode %04o); run `metafs repair "
			"--fix-permissions --home %s`", path, how, (unsigned)(st.st_mode & 07777),
			cfg->home);
	return -EACCES;
}

int mgr_home_check(const mgr_config *cfg, char *err, size_t errlen)
{
	static const char *const own[] = {
		"", "metafs.ini", ".metafsd.lock", "data", "meta", "manager",
		"manager/data.mdb", "manager/lock.mdb", MGR_EXCHANGE_DIR, "manager/exchange.key",
		"manager/jobs", "manager/audit.log", "manager/audit.log.1", "manager/pipelines",
		"manager/pipelines/state", "manager/sync", PIPELINE_STATE_DIR,
	};
	char path[PATH_MAX + 64];
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof own / sizeof own[0]; i++) {
		if (base_path_format(path, sizeof path, "%s%s%s", cfg->home, own[i][0] ? "/" : "",
				     own[i]))
			continue;
		rc = check_path(cfg, path, err, errlen);
	}
	for (unsigned i = 0; rc == 0 && i < cfg->nplatforms; i++) {
		static const char *const in_meta[] = {"", "data.mdb", "lock.mdb"};
		rc = check_path(cfg, cfg->platforms[i].data_dir, err, errlen);
		for (size_t j = 0; rc == 0 && j < sizeof in_meta / sizeof in_meta[0]; j++)
			if (base_path_format(path, sizeof path, "%s%s%s", cfg->platforms[i].meta_dir,
					     in_meta[j][0] ? "/" : "", in_meta[j]) == 0)
				rc = check_path(cfg, path, err, errlen);
	}
	return rc;
}

/* ---- metafs repair --fix-permissions ------------------------------------------------ */

struct fix {
	const mgr_config *cfg;
	uint64_t changed;
	int rc;             /* the last failure, or 0 */
	char *err;
	size_t errlen;
};

static void fix_fail(struct fix *f, const char *path, const char *what, int e)
{
	f->rc = -e;
	base_msg_format(f->err, f->errlen, "cannot %s %s: %s", what, path, strerror(e));
}

/* Give FD (PATH, ST) the home's mode: OWN_ONLY for a pipeline owner's state,
 * which nobody else gets. */
static void fix_one(struct fix *f, int fd, const char *path, const struct stat *st, bool own_only)
{
	const mgr_config *cfg = f->cfg;
	bool group = cfg->has_home_group && !own_only;
	bool dir = S_ISDIR(st->st_mode);
	mode_t want = st->st_mode & S_IRWXU;
	/* The exchange key is the daemon's alone, group or not. */
	size_t n = strlen(path), kn = strlen("/" MGR_EXCHANGE_KEY);
	bool key = n > kn && !strcmp(path + n - kn, "/" MGR_EXCHANGE_KEY) &&
		   !strncmp(path, cfg->home, n - kn) && cfg->home[n - kn] == '\0';
	if (group && dir)
		want |= S_ISGID | S_IRGRP | S_IXGRP;
	else if (group && !key)
		want |= S_IRGRP;
	bool changed = false;
	if (group && st->st_gid != (gid_t)cfg->home_gid) {
		if (fchown(fd, (uid_t)-1, (gid_t)cfg->home_gid)) {
			fix_fail(f, path, "give the home's group to", errno);
			return;
		}
		changed = true;
	}
	/* chown may clear the set-group-ID bit: compare with what it was. */
	if ((st->st_mode & 07777) != want || changed) {
		if (fchmod(fd, want)) {
			fix_fail(f, path, "change the mode of", errno);
			return;
		}
		changed = changed || (st->st_mode & 07777) != want;
	}
	if (changed)
		f->changed++;
}

/* What a directory of the walk is: the home, its pipeline-state (whose
 * children are each a user's own), or any other. */
enum fix_dir { FIX_OTHER, FIX_HOME, FIX_PSTATE };

/* Fix PATH, open as FD (O_NOFOLLOW), and below it when it is a directory.
 * Takes FD. */
static void fix_tree(struct fix *f, int fd, const char *path, bool own_only, enum fix_dir kind)
{
	struct stat st;
	struct statfs sfs;
	if (fstat(fd, &st)) {
		fix_fail(f, path, "stat", errno);
		close(fd);
		return;
	}
	if (S_ISDIR(st.st_mode) && fstatfs(fd, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC) {
		close(fd);   /* a mount (a metafs mount, maybe): not the home's */
		return;
	}
	fix_one(f, fd, path, &st, own_only);
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		fix_fail(f, path, "read", errno);
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char child[PATH_MAX];
		if (base_path_format(child, sizeof child, "%s/%s", path, de->d_name)) {
			fix_fail(f, path, "walk", ENAMETOOLONG);
			continue;
		}
		struct stat cst;
		if (fstatat(dirfd(d), de->d_name, &cst, AT_SYMLINK_NOFOLLOW))
			continue;   /* gone meanwhile */
		if (!S_ISDIR(cst.st_mode) && !S_ISREG(cst.st_mode))
			continue;   /* links (never followed), sockets, fifos */
		int cfd = openat(dirfd(d), de->d_name,
				 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (cfd < 0) {
			if (errno != ENOENT && errno != ELOOP)
				fix_fail(f, child, "open", errno);
			continue;
		}
		/* Below HOME/pipeline-state each user's own directory. */
		bool pstate = kind == FIX_HOME && !strcmp(de->d_name, PIPELINE_STATE_DIR);
		fix_tree(f, cfd, child, own_only || kind == FIX_PSTATE, pstate ? FIX_PSTATE : FIX_OTHER);
	}
	closedir(d);
}

static void fix_root(struct fix *f, const char *root, bool is_home)
{
	int fd = open(root, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			fix_fail(f, root, "open", errno);
		return;
	}
	fix_tree(f, fd, root, false, is_home ? FIX_HOME : FIX_OTHER);
}

/* Is PATH HOME or below it? */
static bool under(const char *path, const char *home)
{
	size_t n = strlen(home);
	return !strncmp(path, home, n) && (path[n] == '\0' || path[n] == '/');
}

int mgr_home_fix_permissions(const char *home, uint64_t *changed, char *err, size_t errlen)
{
	mgr_config cfg;
	int rc = mgr_config_load(home, &cfg, err, errlen);
	if (rc)
		return rc;
	mgr_home_umask(&cfg);
	struct fix f = {.cfg = &cfg, .err = err, .errlen = errlen};
	fix_root(&f, cfg.home, true);
	for (unsigned i = 0; i < cfg.nplatforms; i++) {
		const char *dirs[2] = {cfg.platforms[i].data_dir, cfg.platforms[i].meta_dir};
		for (unsigned j = 0; j < 2; j++) {
			bool seen = under(dirs[j], cfg.home);
			for (unsigned k = 0; k < i && !seen; k++)
				seen = under(dirs[j], cfg.platforms[k].data_dir) ||
				       under(dirs[j], cfg.platforms[k].meta_dir);
			if (!seen)
				fix_root(&f, dirs[j], false);
		}
	}
	*changed = f.changed;
	return f.rc;
}
