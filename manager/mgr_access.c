/*
 * mgr_access.c - access control: privileges, decisions, roles and grants
 * (the contract is mgr_access.h; the audit log is mgr_audit.c).
 *
 * The snapshot.  A check runs on every open and lookup through the mount,
 * from up to 64 threads, so it must not touch the manager's environment.
 * All roles, memberships and grants are held in memory in one immutable
 * snapshot, read under a read lock.  Each snapshot remembers the stamp of
 * the manager's environment it was read at (store_stamp: LMDB's last
 * transaction id); a check that sees a newer stamp reloads first, so a
 * change committed by another process (the metafs tool) is seen at the
 * next check, and a management call here reloads before it returns.  Jobs
 * and rules commit in the same environment, so the stamp also moves for
 * them: a reload is a read of three small sub-databases, and only one
 * thread reloads at a time (the others keep using the snapshot they have).
 *
 * A decision.  Superusers hold everything.  Otherwise the grants that apply
 * to the object (on it or above: the grant's names are a prefix of the
 * object's) and to the principal (its uid, its gid, or a role either is a
 * member of) are ORed together; ADMIN among them means everything.  Only
 * when that is not enough are the owners looked up, in a read transaction
 * of the object's platform: the owner of the database (or of the table)
 * holds everything on it and below.
 *
 * Visibility.  A platform or a database is visible to whoever owns a
 * database or table in it, which a lookup or a listing must not find by
 * reading the platform's catalog each time: each platform keeps an index of
 * (owner uid, database) pairs, rebuilt the first time it is needed after
 * the platform's metastore committed (its stamp moved).
 *
 * Management calls (roles, grants) are serialised by one mutex, which
 * covers the write transaction and the reload after it, so snapshots are
 * installed in commit order.
 */
#include "base_array.h"
#include "mgr_access.h"
#include "mgr_int.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define NPRIVS 6

struct acl_snap {
	uint64_t stamp;
	size_t nroles, nmembers, ngrants;
	store_role *roles;          /* by name */
	store_member *members;      /* by role, kind, id */
	store_grant *grants;        /* by level, names, grantee */
	size_t *role_first;         /* per role: its first member, and how many */
	size_t *role_count;
	long *grant_role;           /* per grant: the role's index, -1 when not a role */
};

/* Who owns something where, in one platform (see "Visibility"). */
struct owner_pair {
	uint32_t uid;
	char db[STORE_NAME_MAX + 1];
};

struct owner_index {
	pthread_mutex_t lock;
	bool built;
	uint64_t stamp;             /* the platform's store_stamp it was built at */
	struct owner_pair *v;
	size_t n, cap;
};

struct mgr_access {
	pthread_rwlock_t lock;      /* guards the pointer SNAP */
	pthread_mutex_t manage;     /* one management call or reload at a time */
	struct acl_snap *snap;
	struct owner_index owners[MGR_MAX_PLATFORMS];
};

/* ---- privileges --------------------------------------------------------------------- */

static const char *const priv_names[NPRIVS] = {
	"SELECT", "MODIFY", "CREATE", "SUBMIT", "SYNC", "ADMIN",
};

/* "SELECT, MODIFY" for every set, built once. */
static char priv_sets[MGR_PRIV_ALL + 1][64];
static pthread_once_t priv_sets_once = PTHREAD_ONCE_INIT;

static void priv_sets_build(void)
{
	for (unsigned set = 0; set <= MGR_PRIV_ALL; set++) {
		char *p = priv_sets[set];
		size_t left = sizeof priv_sets[set];
		for (unsigned i = 0; i < NPRIVS; i++) {
			if (!(set & (1u << i)))
				continue;
			int n = snprintf(p, left, "%s%s", p == priv_sets[set] ? "" : ", ",
					 priv_names[i]);
			p += n;
			left -= (size_t)n;
		}
	}
}

const char *mgr_priv_name(unsigned one_priv)
{
	pthread_once(&priv_sets_once, priv_sets_build);
	return priv_sets[one_priv & MGR_PRIV_ALL];
}

int mgr_priv_parse(const char *name, unsigned *out)
{
	if (!name || !out)
		return -EINVAL;
	while (isspace((unsigned char)*name))
		name++;
	size_t len = strlen(name);
	while (len && isspace((unsigned char)name[len - 1]))
		len--;
	for (unsigned i = 0; i < NPRIVS; i++)
		if (len == strlen(priv_names[i]) && strncasecmp(name, priv_names[i], len) == 0) {
			*out = 1u << i;
			return 0;
		}
	if (len == 3 && strncasecmp(name, "ALL", 3) == 0) {
		*out = MGR_PRIV_ALL;
		return 0;
	}
	/* ALL PRIVILEGES, with any run of blanks between the words. */
	if (len > 3 && strncasecmp(name, "ALL", 3) == 0 && isspace((unsigned char)name[3])) {
		const char *rest = name + 3;
		while (isspace((unsigned char)*rest))
			rest++;
		if ((size_t)(name + len - rest) == 10 && strncasecmp(rest, "PRIVILEGES", 10) == 0) {
			*out = MGR_PRIV_ALL;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- objects ------------------------------------------------------------------------ */

static const char *obj_name(const mgr_object *o, unsigned i)
{
	return i == 0 ? o->platform : i == 1 ? o->db : o->table;
}

void mgr_object_path(const mgr_object *o, char *out, size_t cap)
{
	if (!cap)
		return;
	if (!o || o->level == MGR_OBJ_METASTORE || o->level > MGR_OBJ_TABLE) {
		snprintf(out, cap, "/");
		return;
	}
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < (unsigned)o->level && n < cap; i++) {
		const char *name = obj_name(o, i);
		int w = snprintf(out + n, cap - n, "/%s", name ? name : "?");
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

/* A well-formed object: a known level and a valid name for each step. */
static bool object_ok(const mgr_object *o)
{
	if (!o || o->level > MGR_OBJ_TABLE)
		return false;
	for (unsigned i = 0; i < (unsigned)o->level; i++)
		if (!obj_name(o, i) || !store_name_valid(obj_name(o, i), NULL))
			return false;
	return true;
}

/* Does grant G's object sit on O or above it? */
static bool grant_covers(const store_grant *g, const mgr_object *o)
{
	if (g->level > (uint32_t)o->level)
		return false;
	for (uint32_t i = 0; i < g->level; i++)
		if (strcmp(g->names[i], obj_name(o, i)) != 0)
			return false;
	return true;
}

/* Does grant G's object sit strictly below O? */
static bool grant_below(const store_grant *g, const mgr_object *o)
{
	if (g->level <= (uint32_t)o->level)
		return false;
	for (unsigned i = 0; i < (unsigned)o->level; i++)
		if (strcmp(g->names[i], obj_name(o, i)) != 0)
			return false;
	return true;
}

static void grant_set_object(store_grant *g, const mgr_object *o)
{
	g->level = (uint32_t)o->level;
	for (unsigned i = 0; i < (unsigned)o->level; i++)
		snprintf(g->names[i], sizeof g->names[i], "%s", obj_name(o, i));
}

static void grant_object(const store_grant *g, mgr_object *o)
{
	o->level = (mgr_object_level)g->level;
	o->platform = g->level > 0 ? g->names[0] : NULL;
	o->db = g->level > 1 ? g->names[1] : NULL;
	o->table = g->level > 2 ? g->names[2] : NULL;
}

/* ---- the snapshot ------------------------------------------------------------------- */

static void snap_free(struct acl_snap *s)
{
	if (!s)
		return;
	free(s->roles);
	free(s->members);
	free(s->grants);
	free(s->role_first);
	free(s->role_count);
	free(s->grant_role);
	free(s);
}

/* Append one element of SIZE bytes to *ARR (N used, *CAP allocated). */
static int arr_push(void **arr, size_t *n, size_t *cap, size_t size, const void *elem)
{
	int rc = base_array_reserve(arr, cap, *n + 1, size);

	if (rc)
		return rc;
	memcpy((char *)*arr + *n * size, elem, size);
	(*n)++;
	return 0;
}

struct snap_load {
	struct acl_snap *s;
	size_t rcap, mcap, gcap;
};

static int load_role(const store_role *r, void *arg)
{
	struct snap_load *l = arg;
	return arr_push((void **)&l->s->roles, &l->s->nroles, &l->rcap, sizeof *r, r);
}

static int load_member(const store_member *mb, void *arg)
{
	struct snap_load *l = arg;
	return arr_push((void **)&l->s->members, &l->s->nmembers, &l->mcap, sizeof *mb, mb);
}

static int load_grant(const store_grant *g, void *arg)
{
	struct snap_load *l = arg;
	return arr_push((void **)&l->s->grants, &l->s->ngrants, &l->gcap, sizeof *g, g);
}

static long snap_role_index(const struct acl_snap *s, const char *role)
{
	size_t lo = 0, hi = s->nroles;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->roles[mid].name, role);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Read everything from the manager's environment into a new snapshot. */
static int snap_load(mgr *m, struct acl_snap **out)
{
	struct acl_snap *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->stamp = store_stamp(m->manager_store);
	struct snap_load l = {.s = s};
	store_txn *txn;
	int rc = store_read_begin(m->manager_store, &txn);
	if (rc == 0) {
		rc = store_role_iter(txn, load_role, &l);
		if (rc == 0)
			rc = store_member_iter(txn, NULL, load_member, &l);
		if (rc == 0)
			rc = store_grant_iter(txn, load_grant, &l);
		store_abort(txn);
	}
	if (rc == 0) {
		s->role_first = calloc(s->nroles + 1, sizeof *s->role_first);
		s->role_count = calloc(s->nroles + 1, sizeof *s->role_count);
		s->grant_role = calloc(s->ngrants + 1, sizeof *s->grant_role);
		if (!s->role_first || !s->role_count || !s->grant_role)
			rc = -ENOMEM;
	}
	if (rc == 0) {
		/* Members come sorted by role: each role's members are one run. */
		for (size_t i = 0; i < s->nmembers; i++) {
			long r = snap_role_index(s, s->members[i].role);
			if (r < 0)
				continue;
			if (s->role_count[r] == 0)
				s->role_first[r] = i;
			s->role_count[r]++;
		}
		for (size_t i = 0; i < s->ngrants; i++)
			s->grant_role[i] = s->grants[i].kind == STORE_GRANTEE_ROLE
						   ? snap_role_index(s, s->grants[i].role)
						   : -1;
	}
	if (rc) {
		snap_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Reload into A (the manage mutex held). */
static int access_reload(mgr *m)
{
	struct mgr_access *a = m->access;
	struct acl_snap *s;
	int rc = snap_load(m, &s);
	if (rc) {
		mgr_log(MGR_LOG_ERROR, "access: cannot read the grants: %s", store_strerror(rc));
		return rc;
	}
	pthread_rwlock_wrlock(&a->lock);
	struct acl_snap *old = a->snap;
	a->snap = s;
	pthread_rwlock_unlock(&a->lock);
	snap_free(old);
	return 0;
}

/* The current snapshot, read-locked: release with snap_release. */
static const struct acl_snap *snap_acquire(mgr *m)
{
	struct mgr_access *a = m->access;
	uint64_t stamp = store_stamp(m->manager_store);
	pthread_rwlock_rdlock(&a->lock);
	if (a->snap->stamp == stamp)
		return a->snap;
	pthread_rwlock_unlock(&a->lock);
	/* Stale: one thread reloads, the others go on with what there is. */
	if (pthread_mutex_trylock(&a->manage) == 0) {
		pthread_rwlock_rdlock(&a->lock);
		bool stale = a->snap->stamp != stamp;
		pthread_rwlock_unlock(&a->lock);
		if (stale)
			access_reload(m);
		pthread_mutex_unlock(&a->manage);
	}
	pthread_rwlock_rdlock(&a->lock);
	return a->snap;
}

static void snap_release(mgr *m)
{
	pthread_rwlock_unlock(&m->access->lock);
}

int mgr_access_init(mgr *m)
{
	struct mgr_access *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	int rc = -pthread_rwlock_init(&a->lock, NULL);
	if (rc) {
		free(a);
		return rc;
	}
	rc = -pthread_mutex_init(&a->manage, NULL);
	if (rc) {
		pthread_rwlock_destroy(&a->lock);
		free(a);
		return rc;
	}
	rc = snap_load(m, &a->snap);
	if (rc) {
		pthread_mutex_destroy(&a->manage);
		pthread_rwlock_destroy(&a->lock);
		free(a);
		return rc;
	}
	for (unsigned i = 0; i < MGR_MAX_PLATFORMS; i++)
		pthread_mutex_init(&a->owners[i].lock, NULL);
	m->access = a;
	return 0;
}

void mgr_access_fini(mgr *m)
{
	struct mgr_access *a = m->access;
	if (!a)
		return;
	snap_free(a->snap);
	for (unsigned i = 0; i < MGR_MAX_PLATFORMS; i++) {
		free(a->owners[i].v);
		pthread_mutex_destroy(&a->owners[i].lock);
	}
	pthread_mutex_destroy(&a->manage);
	pthread_rwlock_destroy(&a->lock);
	free(a);
	m->access = NULL;
}

/* ---- decisions ---------------------------------------------------------------------- */

bool mgr_access_superuser(const mgr *m, const mgr_principal *who)
{
	if (!m || !who)
		return false;
	if (who->uid == m->superuser_uid)
		return true;
	for (unsigned i = 0; i < m->cfg.nadmins; i++)
		if (m->cfg.admins[i] == who->uid)
			return true;
	return false;
}

static bool member_is(const store_member *mb, const mgr_principal *who)
{
	return (mb->kind == STORE_GRANTEE_USER && mb->id == who->uid) ||
	       (mb->kind == STORE_GRANTEE_GROUP && mb->id == who->gid);
}

/* Is grant I of S to WHO (directly, by group, or through a role)? */
static bool grant_to(const struct acl_snap *s, size_t i, const mgr_principal *who)
{
	const store_grant *g = &s->grants[i];
	switch (g->kind) {
	case STORE_GRANTEE_USER:
		return g->id == who->uid;
	case STORE_GRANTEE_GROUP:
		return g->id == who->gid;
	case STORE_GRANTEE_ROLE: {
		long r = s->grant_role[i];
		if (r < 0)
			return false;
		for (size_t j = 0; j < s->role_count[r]; j++)
			if (member_is(&s->members[s->role_first[r] + j], who))
				return true;
		return false;
	}
	}
	return false;
}

/* What the grants of S give WHO on OBJ (on it or above). */
static unsigned granted(const struct acl_snap *s, const mgr_principal *who, const mgr_object *obj)
{
	unsigned held = 0;
	for (size_t i = 0; i < s->ngrants; i++)
		if (grant_covers(&s->grants[i], obj) && grant_to(s, i, who))
			held |= s->grants[i].privs;
	return (held & MGR_PRIV_ADMIN) ? MGR_PRIV_ALL : held & MGR_PRIV_ALL;
}

/* Does WHO own OBJ or the database above it?  A missing one is not owned. */
static bool owns(mgr *m, const mgr_principal *who, const mgr_object *obj)
{
	if (obj->level < MGR_OBJ_DATABASE)
		return false;
	mgr_platform *p = mgr_platform_find(m, obj->platform);
	store_txn *txn;
	if (!p || store_read_begin(p->store, &txn) != 0)
		return false;
	bool owner = false;
	store_database d;
	if (store_database_get(txn, obj->db, &d) == 0 && d.owner_uid == who->uid)
		owner = true;
	if (!owner && obj->level == MGR_OBJ_TABLE) {
		store_table t = {0};
		if (store_table_get(txn, obj->db, obj->table, &t) == 0 && t.owner_uid == who->uid)
			owner = true;
		store_table_clear(&t);
	}
	store_abort(txn);
	return owner;
}

/* Add (UID, DB) to X unless the pair is there already. */
static int owner_add(struct owner_index *x, uint32_t uid, const char *db)
{
	for (size_t i = x->n; i-- > 0 && strcmp(x->v[i].db, db) == 0;)
		if (x->v[i].uid == uid)
			return 0;   /* pairs of one database are adjacent */
	int rc = BASE_ARRAY_RESERVE(x->v, x->cap, x->n + 1);

	if (rc)
		return rc;
	x->v[x->n].uid = uid;
	snprintf(x->v[x->n].db, sizeof x->v[x->n].db, "%s", db);
	x->n++;
	return 0;
}

/* Rebuild X from P's catalog: one pair per owner of a database or of a
 * table in it. */
static int owner_index_build(struct owner_index *x, mgr_platform *p, uint64_t stamp)
{
	store_txn *txn = NULL;
	store_iter *dbs = NULL;
	store_database d;
	int rc = store_read_begin(p->store, &txn);
	x->n = 0;
	x->built = false;
	if (rc == 0)
		rc = store_iter_databases(txn, NULL, &dbs);
	while (rc == 0 && store_iter_next(dbs, &d) == 0) {
		store_iter *tables = NULL;
		store_table t = {0};
		rc = owner_add(x, d.owner_uid, d.name);
		if (rc == 0)
			rc = store_iter_tables(txn, d.name, NULL, &tables);
		while (rc == 0 && store_iter_next(tables, &t) == 0) {
			rc = owner_add(x, t.owner_uid, d.name);
			store_table_clear(&t);
		}
		store_iter_close(tables);
	}
	store_iter_close(dbs);
	if (txn)
		store_abort(txn);
	if (rc == 0) {
		x->built = true;
		x->stamp = stamp;
	}
	return rc;
}

/* Does WHO own a database or table of P (DB: a table of DB, or DB)? */
static bool owns_below_platform(mgr *m, mgr_platform *p, const mgr_principal *who, const char *db)
{
	struct owner_index *x = &m->access->owners[p->index];
	uint64_t stamp = store_stamp(p->store);
	bool found = false;
	pthread_mutex_lock(&x->lock);
	if ((x->built && x->stamp == stamp) || owner_index_build(x, p, stamp) == 0)
		for (size_t i = 0; i < x->n && !found; i++)
			found = x->v[i].uid == who->uid && (!db || strcmp(x->v[i].db, db) == 0);
	pthread_mutex_unlock(&x->lock);
	return found;
}

/* What WHO holds on OBJ; the owners are looked up only when the grants do
 * not already give NEED. */
static unsigned privs_held(mgr *m, const mgr_principal *who, const mgr_object *obj, unsigned need)
{
	if (!who || !object_ok(obj))
		return 0;
	if (mgr_access_superuser(m, who))
		return MGR_PRIV_ALL;
	const struct acl_snap *s = snap_acquire(m);
	unsigned held = granted(s, who, obj);
	snap_release(m);
	if ((held & need) != need && held != MGR_PRIV_ALL && owns(m, who, obj))
		held = MGR_PRIV_ALL;
	return held;
}

unsigned mgr_access_privs(mgr *m, const mgr_principal *who, const mgr_object *obj)
{
	return privs_held(m, who, obj, MGR_PRIV_ALL);
}

bool mgr_access_holds(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj)
{
	privs &= MGR_PRIV_ALL;
	return (privs_held(m, who, obj, privs) & privs) == privs && object_ok(obj) && who;
}

bool mgr_access_visible(mgr *m, const mgr_principal *who, const mgr_object *obj)
{
	if (!who || !object_ok(obj))
		return false;
	if (mgr_access_superuser(m, who))
		return true;
	const struct acl_snap *s = snap_acquire(m);
	bool seen = granted(s, who, obj) != 0;
	for (size_t i = 0; !seen && i < s->ngrants; i++)
		seen = grant_below(&s->grants[i], obj) && grant_to(s, i, who);
	snap_release(m);
	if (seen || owns(m, who, obj))
		return true;
	/* Creators own what they create: what they own makes its ancestors
	 * visible too. */
	switch (obj->level) {
	case MGR_OBJ_METASTORE:
		for (unsigned i = 0; i < m->nplatforms; i++)
			if (owns_below_platform(m, &m->platforms[i], who, NULL))
				return true;
		return false;
	case MGR_OBJ_PLATFORM:
	case MGR_OBJ_DATABASE: {
		mgr_platform *p = mgr_platform_find(m, obj->platform);
		return p && owns_below_platform(m, p, who, obj->level == MGR_OBJ_DATABASE ? obj->db : NULL);
	}
	case MGR_OBJ_TABLE:
		break;
	}
	return false;
}

/* Turn the audit entry of a decision into the result: an allowed action
 * whose entry was not written (AUDIT_RC) is denied to all but superusers. */
static int decided(mgr *m, const mgr_principal *who, const char *action, const char *path,
		   bool allowed, int audit_rc)
{
	if (!allowed)
		return -EACCES;
	if (audit_rc == 0 || mgr_access_superuser(m, who))
		return 0;
	mgr_log(MGR_LOG_WARN, "access: uid %u denied %s on %s: the audit log cannot be written (%s)",
		who ? (unsigned)who->uid : 0u, action ? action : "access", path ? path : "-",
		strerror(-audit_rc));
	return -EACCES;
}

int mgr_audit_decision(mgr *m, const mgr_principal *who, const char *action, const char *object,
		       bool allowed, unsigned privs, const char *detail)
{
	int rc = mgr_audit(m, who ? who->uid : UINT32_MAX, action, object, allowed, privs, detail);
	return decided(m, who, action, object, allowed, rc);
}

/* mgr_authorize with a DETAIL for the audit entry. */
static int authorize(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
		     const char *action, const char *path, const char *detail)
{
	char objpath[3 * (STORE_NAME_MAX + 1) + 2];
	privs &= MGR_PRIV_ALL;
	unsigned held = privs_held(m, who, obj, privs);
	bool allowed = who && object_ok(obj) && (held & privs) == privs;
	if (allowed && !mgr_audit_wanted(m, action, true))
		return 0;   /* nothing to record: no path to format */
	mgr_object_path(obj, objpath, sizeof objpath);
	if (!path)
		path = objpath;
	int rc = mgr_audit(m, who ? who->uid : UINT32_MAX, action, path, allowed, privs, detail);
	if (allowed)
		return decided(m, who, action, path, allowed, rc);
	mgr_log(MGR_LOG_WARN, "access: uid %u denied %s on %s: needs %s", who ? (unsigned)who->uid : 0u,
		action ? action : "access", path,
		privs & ~held ? mgr_priv_name(privs & ~held) : "a known object");
	return -EACCES;
}

int mgr_authorize(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
		  const char *action, const char *path)
{
	return authorize(m, who, privs, obj, action, path, NULL);
}

int mgr_authorize_detail(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
			 const char *action, const char *path, const char *detail)
{
	return authorize(m, who, privs, obj, action, path, detail);
}

/* ---- managing roles and grants -------------------------------------------------------- */

static const mgr_object metastore_object = {.level = MGR_OBJ_METASTORE};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A role name: a valid name without control characters. */
static int role_name_check(const char *role, char *err, size_t errlen)
{
	const char *why = NULL;
	if (!role || !store_name_valid(role, &why)) {
		set_err(err, errlen, "bad role name \"%.80s\": %s", role ? role : "",
			why ? why : "missing");
		return -EINVAL;
	}
	for (const char *c = role; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			set_err(err, errlen, "bad role name: control characters are not allowed");
			return -EINVAL;
		}
	return 0;
}

static void grantee_text(const mgr_grantee *g, char *out, size_t cap)
{
	switch (g->kind) {
	case MGR_GRANTEE_USER:
		snprintf(out, cap, "user %u", (unsigned)g->id);
		break;
	case MGR_GRANTEE_GROUP:
		snprintf(out, cap, "group %u", (unsigned)g->id);
		break;
	case MGR_GRANTEE_ROLE:
		snprintf(out, cap, "role %s", g->role);
		break;
	default:
		snprintf(out, cap, "?");
		break;
	}
}

/* Start a management call: the mutex, then a write transaction. */
static int manage_begin(mgr *m, store_txn **txn, char *err, size_t errlen)
{
	pthread_mutex_lock(&m->access->manage);
	int rc = store_write_begin(m->manager_store, txn);
	if (rc) {
		pthread_mutex_unlock(&m->access->manage);
		set_err(err, errlen, "cannot write the grants: %s", store_strerror(rc));
	}
	return rc;
}

/* End it when nothing changes (IF [NOT] EXISTS, a revoke of what was not
 * granted): abort, release the mutex, 0. */
static int manage_skip(mgr *m, store_txn *txn)
{
	store_abort(txn);
	pthread_mutex_unlock(&m->access->manage);
	return 0;
}

/* End it: commit when RC is 0 (else abort), reload, release the mutex. */
static int manage_end(mgr *m, store_txn *txn, int rc, char *err, size_t errlen)
{
	if (rc == 0) {
		rc = store_commit(txn);
		if (rc)
			set_err(err, errlen, "cannot commit: %s", store_strerror(rc));
	} else {
		store_abort(txn);
	}
	/* The commit was counted, and the kernel's caches told, by the
	 * manager's commit observer (mgr_catalog.c). */
	if (rc == 0)
		access_reload(m);
	pthread_mutex_unlock(&m->access->manage);
	return rc;
}

/* CREATE ROLE (CREATE true) or DROP ROLE; QUIET: IF NOT EXISTS / IF EXISTS. */
static int role_change(mgr *m, const mgr_principal *who, const char *role, bool create, bool quiet,
		       char *err, size_t errlen)
{
	int rc = role_name_check(role, err, errlen);
	if (rc)
		return rc;
	char detail[STORE_NAME_MAX + 16];
	snprintf(detail, sizeof detail, "role %s", role);
	rc = authorize(m, who, MGR_PRIV_ADMIN, &metastore_object, create ? "create-role" : "drop-role",
		       NULL, detail);
	if (rc) {
		set_err(err, errlen, "%s roles needs ADMIN on the metastore",
			create ? "creating" : "dropping");
		return rc;
	}
	store_txn *txn;
	rc = manage_begin(m, &txn, err, errlen);
	if (rc)
		return rc;
	if (create) {
		store_role r = {.creator_uid = who->uid, .created_ns = store_now_ns()};
		snprintf(r.name, sizeof r.name, "%s", role);
		rc = store_role_put(txn, &r);
	} else {
		rc = store_role_drop(txn, role);
	}
	int none = create ? -EEXIST : -ENOENT;   /* what IF [NOT] EXISTS forgives */
	if (rc == none && quiet)
		return manage_skip(m, txn);
	if (rc == none)
		set_err(err, errlen, create ? "role \"%s\" exists" : "no role \"%s\"", role);
	else if (rc)
		set_err(err, errlen, "cannot %s role \"%s\": %s", create ? "create" : "drop", role,
			store_strerror(rc));
	return manage_end(m, txn, rc, err, errlen);
}

int mgr_role_create(mgr *m, const mgr_principal *who, const char *role, bool if_not_exists,
		    char *err, size_t errlen)
{
	return role_change(m, who, role, true, if_not_exists, err, errlen);
}

int mgr_role_drop(mgr *m, const mgr_principal *who, const char *role, bool if_exists,
		  char *err, size_t errlen)
{
	return role_change(m, who, role, false, if_exists, err, errlen);
}

/* GRANT or REVOKE ROLE (GRANT true: grant). */
static int role_member_change(mgr *m, const mgr_principal *who, const char *role,
			      const mgr_grantee *g, bool grant, char *err, size_t errlen)
{
	int rc = role_name_check(role, err, errlen);
	if (rc)
		return rc;
	if (!g || (g->kind != MGR_GRANTEE_USER && g->kind != MGR_GRANTEE_GROUP)) {
		set_err(err, errlen, "a role is granted to a user or a group, not to a role");
		return -EINVAL;
	}
	char gt[STORE_NAME_MAX + 16], detail[STORE_NAME_MAX + 96];
	grantee_text(g, gt, sizeof gt);
	snprintf(detail, sizeof detail, "role %s %s %s", role, grant ? "to" : "from", gt);
	rc = authorize(m, who, MGR_PRIV_ADMIN, &metastore_object, grant ? "grant-role" : "revoke-role",
		       NULL, detail);
	if (rc) {
		set_err(err, errlen, "%s roles needs ADMIN on the metastore",
			grant ? "granting" : "revoking");
		return rc;
	}
	store_txn *txn;
	rc = manage_begin(m, &txn, err, errlen);
	if (rc)
		return rc;
	store_grantee_kind kind = g->kind == MGR_GRANTEE_USER ? STORE_GRANTEE_USER
							       : STORE_GRANTEE_GROUP;
	store_role r;
	rc = store_role_get(txn, role, &r);
	if (rc == 0 && grant) {
		store_member mb = {.kind = kind, .id = g->id, .grantor_uid = who->uid,
				   .created_ns = store_now_ns()};
		snprintf(mb.role, sizeof mb.role, "%s", role);
		rc = store_member_put(txn, &mb);
	} else if (rc == 0) {
		rc = store_member_drop(txn, role, kind, g->id);
		if (rc == -ENOENT)   /* revoking what was not granted */
			return manage_skip(m, txn);
	} else if (rc == -ENOENT) {
		set_err(err, errlen, "no role \"%s\"", role);
	}
	if (rc && rc != -ENOENT)
		set_err(err, errlen, "cannot change role \"%s\": %s", role, store_strerror(rc));
	return manage_end(m, txn, rc, err, errlen);
}

int mgr_role_grant(mgr *m, const mgr_principal *who, const char *role, const mgr_grantee *to,
		   char *err, size_t errlen)
{
	return role_member_change(m, who, role, to, true, err, errlen);
}

int mgr_role_revoke(mgr *m, const mgr_principal *who, const char *role,
		    const mgr_grantee *from, char *err, size_t errlen)
{
	return role_member_change(m, who, role, from, false, err, errlen);
}

/* Does OBJ exist?  0, or -ENOENT with the reason in ERR. */
static int object_exists(mgr *m, const mgr_object *obj, char *err, size_t errlen)
{
	if (obj->level == MGR_OBJ_METASTORE)
		return 0;
	mgr_platform *p = mgr_platform_find(m, obj->platform);
	if (!p) {
		set_err(err, errlen, "no platform \"%s\"", obj->platform);
		return -ENOENT;
	}
	if (obj->level == MGR_OBJ_PLATFORM)
		return 0;
	store_txn *txn;
	int rc = store_read_begin(p->store, &txn);
	if (rc) {
		set_err(err, errlen, "cannot read the metastore of \"%s\": %s", p->name,
			store_strerror(rc));
		return rc;
	}
	store_database d;
	rc = store_database_get(txn, obj->db, &d);
	if (rc == 0 && obj->level == MGR_OBJ_TABLE) {
		store_table t = {0};
		rc = store_table_get(txn, obj->db, obj->table, &t);
		store_table_clear(&t);
	}
	store_abort(txn);
	if (rc == -ENOENT) {
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		mgr_object_path(obj, path, sizeof path);
		set_err(err, errlen, "no %s %s", obj->level == MGR_OBJ_TABLE ? "table" : "database",
			path);
	} else if (rc) {
		set_err(err, errlen, "cannot read the metastore of \"%s\": %s", p->name,
			store_strerror(rc));
	}
	return rc;
}

static int grant_key_from(const mgr_object *obj, const mgr_grantee *g, store_grant *key)
{
	memset(key, 0, sizeof *key);
	grant_set_object(key, obj);
	switch (g->kind) {
	case MGR_GRANTEE_USER:
		key->kind = STORE_GRANTEE_USER;
		key->id = g->id;
		return 0;
	case MGR_GRANTEE_GROUP:
		key->kind = STORE_GRANTEE_GROUP;
		key->id = g->id;
		return 0;
	case MGR_GRANTEE_ROLE:
		key->kind = STORE_GRANTEE_ROLE;
		snprintf(key->role, sizeof key->role, "%s", g->role);
		return 0;
	}
	return -EINVAL;
}

/* GRANT (GRANT true) or REVOKE privileges. */
static int privs_change(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
			const mgr_grantee *g, bool grant, char *err, size_t errlen)
{
	if (!object_ok(obj)) {
		set_err(err, errlen, "bad object name");
		return -EINVAL;
	}
	if (!privs || (privs & ~(unsigned)MGR_PRIV_ALL)) {
		set_err(err, errlen, "no privilege named");
		return -EINVAL;
	}
	store_grant key;
	if (!g || grant_key_from(obj, g, &key)) {
		set_err(err, errlen, "bad grantee");
		return -EINVAL;
	}
	if (g->kind == MGR_GRANTEE_ROLE) {
		int rc = role_name_check(g->role, err, errlen);
		if (rc)
			return rc;
	}
	char gt[STORE_NAME_MAX + 16], detail[STORE_NAME_MAX + 128];
	grantee_text(g, gt, sizeof gt);
	snprintf(detail, sizeof detail, "%s %s %s", mgr_priv_name(privs), grant ? "to" : "from", gt);
	int rc = authorize(m, who, MGR_PRIV_ADMIN, obj, grant ? "grant" : "revoke", NULL, detail);
	if (rc) {
		char path[3 * (STORE_NAME_MAX + 1) + 2];
		mgr_object_path(obj, path, sizeof path);
		set_err(err, errlen, "%s on %s needs ADMIN on it", grant ? "GRANT" : "REVOKE", path);
		return rc;
	}
	if (grant) {
		rc = object_exists(m, obj, err, errlen);
		if (rc)
			return rc;
	}
	store_txn *txn;
	rc = manage_begin(m, &txn, err, errlen);
	if (rc)
		return rc;
	store_role r;
	if (g->kind == MGR_GRANTEE_ROLE && store_role_get(txn, g->role, &r) == -ENOENT) {
		set_err(err, errlen, "no role \"%s\"", g->role);
		rc = -ENOENT;
		return manage_end(m, txn, rc, err, errlen);
	}
	store_grant cur;
	rc = store_grant_get(txn, &key, &cur);
	unsigned had = rc == 0 ? cur.privs : 0;
	if (rc == -ENOENT)
		rc = 0;
	unsigned now = grant ? had | privs : had & ~privs;
	if (rc == 0 && !grant && now == had) {
		/* A revoke of what was not granted: nothing changes. */
		return manage_skip(m, txn);
	}
	if (rc == 0 && now) {
		key.privs = now;
		key.grantor_uid = who->uid;
		key.created_ns = store_now_ns();
		rc = store_grant_put(txn, &key);
	} else if (rc == 0) {
		rc = store_grant_drop(txn, &key);
	}
	if (rc == -ENAMETOOLONG)
		set_err(err, errlen, "the object's and the grantee's names are too long for a grant");
	else if (rc)
		set_err(err, errlen, "cannot write the grant: %s", store_strerror(rc));
	return manage_end(m, txn, rc, err, errlen);
}

int mgr_grant(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
	      const mgr_grantee *to, char *err, size_t errlen)
{
	return privs_change(m, who, privs, obj, to, true, err, errlen);
}

int mgr_revoke(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
	       const mgr_grantee *from, char *err, size_t errlen)
{
	return privs_change(m, who, privs, obj, from, false, err, errlen);
}

struct dropped_grants {
	store_grant *v;
	size_t n, cap;
};

static int dropped_grant_note(const store_grant *g, void *arg)
{
	struct dropped_grants *d = arg;
	return arr_push((void **)&d->v, &d->n, &d->cap, sizeof *g, g);
}

int mgr_grants_drop_object(mgr *m, const mgr_object *obj)
{
	if (!m || !obj || !object_ok(obj) || obj->level < MGR_OBJ_DATABASE)
		return -EINVAL;
	store_grant key;
	memset(&key, 0, sizeof key);
	grant_set_object(&key, obj);
	struct dropped_grants d = {0};
	char err[160] = "", path[3 * (STORE_NAME_MAX + 1) + 2];
	mgr_object_path(obj, path, sizeof path);
	store_txn *txn;
	int rc = manage_begin(m, &txn, err, sizeof err);
	if (rc == 0) {
		rc = store_grant_drop_object(txn, &key, dropped_grant_note, &d);
		if (rc == 0 && d.n == 0) {
			manage_skip(m, txn);
		} else {
			if (rc)
				set_err(err, sizeof err, "%s", store_strerror(rc));
			rc = manage_end(m, txn, rc, err, sizeof err);
		}
	}
	if (rc) {
		mgr_log(MGR_LOG_ERROR, "access: cannot remove the grants on %s, which is not "
			"dropped: %s", path, err);
		free(d.v);
		return rc;
	}
	/* Committed: each removal is a revoke by the daemon, all written at once. */
	mgr_audit_batch batch = MGR_AUDIT_BATCH_INIT;
	for (size_t i = 0; i < d.n; i++) {
		const store_grant *g = &d.v[i];
		mgr_grantee gt = {.kind = g->kind == STORE_GRANTEE_USER    ? MGR_GRANTEE_USER
					  : g->kind == STORE_GRANTEE_GROUP ? MGR_GRANTEE_GROUP
									   : MGR_GRANTEE_ROLE,
				  .id = g->id};
		snprintf(gt.role, sizeof gt.role, "%s", g->role);
		char who[STORE_NAME_MAX + 16], detail[STORE_NAME_MAX + 128], gpath[sizeof path];
		mgr_object o;
		grantee_text(&gt, who, sizeof who);
		snprintf(detail, sizeof detail, "%s from %s dropped with its object",
			 mgr_priv_name(g->privs), who);
		grant_object(g, &o);
		mgr_object_path(&o, gpath, sizeof gpath);
		mgr_audit_batch_add(m, &batch, m->superuser_uid, "revoke", gpath, true, 0, detail);
	}
	mgr_audit_batch_write(m, &batch);
	free(d.v);
	return 0;
}

/* ---- names of users and groups ---------------------------------------------------------- */

static bool parse_id(const char *s, uint32_t *out)
{
	if (!*s)
		return false;
	uint64_t v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return false;
		v = v * 10 + (uint64_t)(*c - '0');
		if (v > UINT32_MAX - 1)   /* (uid_t)-1 means "no user" */
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static size_t nss_bufsize(int which)
{
	long n = sysconf(which);
	return n > 0 ? (size_t)n : 16384;
}

int mgr_uid_resolve(const char *name, uint32_t *uid)
{
	if (!name || !*name)
		return -EINVAL;
	if (parse_id(name, uid))
		return 0;
	size_t len = nss_bufsize(_SC_GETPW_R_SIZE_MAX);
	char *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	struct passwd pw, *res = NULL;
	int rc = getpwnam_r(name, &pw, buf, len, &res);
	if (rc == 0 && res)
		*uid = (uint32_t)res->pw_uid;
	free(buf);
	return rc ? -rc : res ? 0 : -ENOENT;
}

int mgr_gid_resolve(const char *name, uint32_t *gid)
{
	if (!name || !*name)
		return -EINVAL;
	if (parse_id(name, gid))
		return 0;
	size_t len = nss_bufsize(_SC_GETGR_R_SIZE_MAX);
	char *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	struct group gr, *res = NULL;
	int rc = getgrnam_r(name, &gr, buf, len, &res);
	if (rc == 0 && res)
		*gid = (uint32_t)res->gr_gid;
	free(buf);
	return rc ? -rc : res ? 0 : -ENOENT;
}

/* A user (GROUP false) or group grantee by NAME or number. */
static int grantee_named(const char *name, bool group, mgr_grantee *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->kind = group ? MGR_GRANTEE_GROUP : MGR_GRANTEE_USER;
	int rc = group ? mgr_gid_resolve(name, &out->id) : mgr_uid_resolve(name, &out->id);
	if (rc)
		set_err(err, errlen, "no %s \"%.80s\"", group ? "group" : "user", name ? name : "");
	return rc == -EINVAL || rc == -ENOENT ? -ENOENT : rc;
}

int mgr_grantee_user(const char *name, mgr_grantee *out, char *err, size_t errlen)
{
	return grantee_named(name, false, out, err, errlen);
}

int mgr_grantee_group(const char *name, mgr_grantee *out, char *err, size_t errlen)
{
	return grantee_named(name, true, out, err, errlen);
}

/* The name of uid ID (or of gid ID with GROUP), or the number. */
static void id_name(bool group, uint32_t id, char *out, size_t cap)
{
	size_t len = nss_bufsize(group ? _SC_GETGR_R_SIZE_MAX : _SC_GETPW_R_SIZE_MAX);
	char *buf = malloc(len);
	const char *name = NULL;
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	if (buf && !group && getpwuid_r((uid_t)id, &pw, buf, len, &pres) == 0 && pres)
		name = pres->pw_name;
	if (buf && group && getgrgid_r((gid_t)id, &gr, buf, len, &gres) == 0 && gres)
		name = gres->gr_name;
	if (name && !strpbrk(name, "\t\n,"))
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%u", (unsigned)id);
	free(buf);
}

/* The primary gid of uid ID, when the user is known. */
static bool user_gid(uint32_t id, uint32_t *gid)
{
	size_t len = nss_bufsize(_SC_GETPW_R_SIZE_MAX);
	char *buf = malloc(len);
	struct passwd pw, *res = NULL;
	bool found = buf && getpwuid_r((uid_t)id, &pw, buf, len, &res) == 0 && res;
	if (found)
		*gid = (uint32_t)res->pw_gid;
	free(buf);
	return found;
}

/* ---- renderings ------------------------------------------------------------------------- */

struct grant_row {
	char path[3 * (STORE_NAME_MAX + 1) + 2];
	store_grant g;           /* a copy: visibility is decided outside the snapshot */
	bool mine;               /* to the viewer (directly, by group, through a role) */
};

static int grant_row_cmp(const void *a, const void *b)
{
	const struct grant_row *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	if (x->g.kind != y->g.kind)
		return x->g.kind < y->g.kind ? -1 : 1;
	if (x->g.kind == STORE_GRANTEE_ROLE)
		return strcmp(x->g.role, y->g.role);
	return x->g.id < y->g.id ? -1 : x->g.id > y->g.id;
}

/* Is grant I of S for the grantee F (a user: also through the user's roles,
 * and those of the user's primary group when the user is known)? */
static bool grant_for(const struct acl_snap *s, size_t i, const mgr_grantee *f,
		      const mgr_principal *as_user)
{
	const store_grant *g = &s->grants[i];
	switch (f->kind) {
	case MGR_GRANTEE_USER:
		if (g->kind == STORE_GRANTEE_USER)
			return g->id == f->id;
		return g->kind == STORE_GRANTEE_ROLE && grant_to(s, i, as_user);
	case MGR_GRANTEE_GROUP:
		return g->kind == STORE_GRANTEE_GROUP && g->id == f->id;
	case MGR_GRANTEE_ROLE:
		return g->kind == STORE_GRANTEE_ROLE && strcmp(g->role, f->role) == 0;
	}
	return false;
}

int mgr_grants_render(mgr *m, const mgr_object *on, const mgr_grantee *for_, textbuf *out)
{
	return mgr_grants_render_as(m, NULL, on, for_, out);
}

int mgr_grants_render_as(mgr *m, const mgr_principal *viewer, const mgr_object *on,
			 const mgr_grantee *for_, textbuf *out)
{
	if (on && !object_ok(on))
		return -EINVAL;
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	if (viewer && mgr_access_holds(m, viewer, MGR_PRIV_ADMIN, &all))
		viewer = NULL;   /* ADMIN on the metastore sees every grant */
	/* A user's roles come through the uid and, when known, the primary
	 * gid; a gid nobody has stands for "no group". */
	mgr_principal as_user = {.uid = for_ ? for_->id : 0, .gid = UINT32_MAX};
	if (for_ && for_->kind == MGR_GRANTEE_USER)
		user_gid(for_->id, &as_user.gid);
	const struct acl_snap *s = snap_acquire(m);
	struct grant_row *rows = calloc(s->ngrants + 1, sizeof *rows);
	size_t n = 0;
	for (size_t i = 0; rows && i < s->ngrants; i++) {
		if (on && !grant_covers(&s->grants[i], on))
			continue;
		if (for_ && !grant_for(s, i, for_, &as_user))
			continue;
		mgr_object o;
		grant_object(&s->grants[i], &o);
		mgr_object_path(&o, rows[n].path, sizeof rows[n].path);
		rows[n].g = s->grants[i];
		rows[n++].mine = viewer && grant_to(s, i, viewer);
	}
	snap_release(m);
	if (rows) {
		qsort(rows, n, sizeof *rows, grant_row_cmp);
		for (size_t i = 0; i < n; i++) {
			const store_grant *g = &rows[i].g;
			mgr_object o;
			grant_object(g, &o);
			if (viewer && !rows[i].mine && !mgr_access_visible(m, viewer, &o))
				continue;   /* on something the viewer cannot see */
			char who[STORE_NAME_MAX + 1], when[40];
			const char *kind = g->kind == STORE_GRANTEE_USER    ? "user"
					   : g->kind == STORE_GRANTEE_GROUP ? "group"
									    : "role";
			if (g->kind == STORE_GRANTEE_ROLE)
				snprintf(who, sizeof who, "%s", g->role);
			else
				id_name(g->kind == STORE_GRANTEE_GROUP, g->id, who, sizeof who);
			mgr_format_time(g->created_ns, when);
			textbuf_printf(out, "%s\t%s\t%s\t%s\t%u\t%s\n", rows[i].path, kind, who,
				       mgr_priv_name(g->privs), (unsigned)g->grantor_uid, when);
		}
	}
	free(rows);
	return rows ? textbuf_error(out) : -ENOMEM;
}

int mgr_roles_render(mgr *m, textbuf *out)
{
	const struct acl_snap *s = snap_acquire(m);
	for (size_t r = 0; r < s->nroles; r++) {
		textbuf_printf(out, "%s\t", s->roles[r].name);
		if (s->role_count[r] == 0)
			textbuf_puts(out, "-");
		for (size_t j = 0; j < s->role_count[r]; j++) {
			const store_member *mb = &s->members[s->role_first[r] + j];
			char name[STORE_NAME_MAX + 1];
			id_name(mb->kind == STORE_GRANTEE_GROUP, mb->id, name, sizeof name);
			textbuf_printf(out, "%s%s:%s", j ? "," : "",
				       mb->kind == STORE_GRANTEE_GROUP ? "group" : "user", name);
		}
		textbuf_puts(out, "\n");
	}
	snap_release(m);
	return textbuf_error(out);
}
