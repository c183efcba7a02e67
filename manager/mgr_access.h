/*
 * mgr_access.h - access control (principals, roles, grants) and the audit
 * log.  Public to fs/ and to the rest of manager/.
 *
 * Principals.  The uid and gid that FUSE reports for the calling process
 * (a job: its submitter; a sync rule: the user who defined it; a pipeline:
 * its owner).  Only the primary gid counts.
 *
 * Objects form one tree: the metastore (every platform), a platform, a
 * database, a table.  Partitions and files are covered by their table.
 *
 * Privileges (a bit set).  A privilege granted on an object holds on every
 * object below it (inherited downwards).  A user holds a privilege on an
 * object when any of these is true:
 *   - the user is a superuser: the uid the daemon runs as, or a uid listed
 *     in metafs.ini [access] admins;
 *   - the user owns the object or an object above it (owner_uid of the
 *     database or table record: creators own what they create); owners
 *     hold every privilege, ADMIN included;
 *   - it is granted on the object or above to the user (by uid), to the
 *     user's primary group (by gid), or to a role granted to the user or
 *     to that group;
 *   - ADMIN is granted on the object or above (ADMIN implies the others).
 *
 * Grants live in the manager's environment (HOME/manager), in sub-databases
 * of their own, and survive restarts.  Every function takes the caller's
 * principal and audits its decision (see mgr_audit()).  All return 0 or a
 * negative errno: -EACCES when the principal may not, -ENOENT for an unknown
 * role or object, -EINVAL for a bad name; the reason goes into ERR when ERR
 * is given.
 */
#ifndef METAFS_MGR_ACCESS_H
#define METAFS_MGR_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.h"

typedef enum mgr_priv {
	MGR_PRIV_SELECT = 1u << 0,   /* list and read data and metadata */
	MGR_PRIV_MODIFY = 1u << 1,   /* write data, add or drop partitions, INSERT */
	MGR_PRIV_CREATE = 1u << 2,   /* create databases (on a platform), tables (on a database) */
	MGR_PRIV_SUBMIT = 1u << 3,   /* submit jobs to the platform's engine */
	MGR_PRIV_SYNC = 1u << 4,     /* be the source or the target of a sync rule */
	MGR_PRIV_ADMIN = 1u << 5,    /* all of the above, drop, GRANT and REVOKE */
	MGR_PRIV_ALL = (1u << 6) - 1,
} mgr_priv;

/* "SELECT", "MODIFY", ... for one bit; "SELECT, MODIFY" style for a set
 * (in bit order; "" for none).  Static strings: safe from any thread. */
const char *mgr_priv_name(unsigned one_priv);
/* Parse one privilege name (case-insensitive; ALL and ALL PRIVILEGES give
 * MGR_PRIV_ALL).  -EINVAL when unknown. */
int mgr_priv_parse(const char *name, unsigned *out);

typedef struct mgr_principal {
	uint32_t uid, gid;
} mgr_principal;

typedef enum mgr_object_level {
	MGR_OBJ_METASTORE = 0,
	MGR_OBJ_PLATFORM = 1,
	MGR_OBJ_DATABASE = 2,
	MGR_OBJ_TABLE = 3,
} mgr_object_level;

/* An object by name.  Members past LEVEL are ignored (may be NULL). */
typedef struct mgr_object {
	mgr_object_level level;
	const char *platform, *db, *table;
} mgr_object;

/* "/", "/warehouse", "/warehouse/sales", "/warehouse/sales/orders": the
 * object as a path of the mount (the audit log's form). */
void mgr_object_path(const mgr_object *o, char *out, size_t cap);

typedef enum mgr_grantee_kind {
	MGR_GRANTEE_USER = 1,        /* by uid */
	MGR_GRANTEE_GROUP = 2,       /* by gid */
	MGR_GRANTEE_ROLE = 3,        /* by name */
} mgr_grantee_kind;

typedef struct mgr_grantee {
	mgr_grantee_kind kind;
	uint32_t id;                 /* uid or gid */
	char role[STORE_NAME_MAX + 1];
} mgr_grantee;

/* ---- decisions ---------------------------------------------------------------------- */

/* Does WHO hold every privilege in PRIVS on OBJ?  No audit entry: for
 * internal questions.  OBJ is looked up in its platform's metastore for the
 * owners (a missing database or table counts as not owned). */
bool mgr_access_holds(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj);

/* Every privilege WHO holds on OBJ (MGR_PRIV_ALL for a superuser or an
 * owner; 0 for a malformed object).  No audit entry. */
unsigned mgr_access_privs(mgr *m, const mgr_principal *who, const mgr_object *obj);

/* Does WHO hold any privilege on OBJ, on an object above it, or on an
 * object below it?  Decides what a listing shows and which names a lookup
 * resolves.  No audit entry. */
bool mgr_access_visible(mgr *m, const mgr_principal *who, const mgr_object *obj);

/* The check that guards an action: WHO needs every privilege in PRIVS on
 * OBJ to do ACTION (a short verb: "list", "read", "write", "create",
 * "drop", "submit", "sync", "refresh", "grant", ...) on PATH (what was
 * acted on, a mount path; NULL: OBJ's path).  Appends an audit entry either
 * way; a denial is also logged with mgr_log() naming the missing
 * privilege.  0 or -EACCES; also -EACCES when the audit entry of an
 * allowed action cannot be written and WHO is not a superuser. */
int mgr_authorize(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
		  const char *action, const char *path);
/* mgr_authorize with DETAIL (may be NULL) as the audit entry's detail: what
 * asked (the Hive Metastore API writes give their call's name). */
int mgr_authorize_detail(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
			 const char *action, const char *path, const char *detail);

/* Is WHO a superuser (see above)? */
bool mgr_access_superuser(const mgr *m, const mgr_principal *who);

/* ---- managing roles and grants (SQL: CREATE ROLE, GRANT, REVOKE, ...) ---------------- */
/* Roles are global: creating, dropping, granting and revoking them needs
 * ADMIN on the metastore.  GRANT and REVOKE of privileges on an object need
 * ADMIN on it (owners have it).  Each call is one transaction of the
 * manager's environment and is audited. */

int mgr_role_create(mgr *m, const mgr_principal *who, const char *role, bool if_not_exists,
		    char *err, size_t errlen);
/* Also drops the role's grants and memberships. */
int mgr_role_drop(mgr *m, const mgr_principal *who, const char *role, bool if_exists,
		  char *err, size_t errlen);
/* GRANT ROLE r TO USER u | GROUP g.  (A role is not granted to a role.) */
int mgr_role_grant(mgr *m, const mgr_principal *who, const char *role, const mgr_grantee *to,
		   char *err, size_t errlen);
int mgr_role_revoke(mgr *m, const mgr_principal *who, const char *role,
		    const mgr_grantee *from, char *err, size_t errlen);
/* GRANT privs ON obj TO grantee: adds PRIVS to what GRANTEE holds on OBJ.
 * The object must exist (-ENOENT otherwise); the role too. */
int mgr_grant(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
	      const mgr_grantee *to, char *err, size_t errlen);
/* REVOKE privs ON obj FROM grantee: removes them (the record goes when
 * none is left).  Revoking what was not granted is not an error. */
int mgr_revoke(mgr *m, const mgr_principal *who, unsigned privs, const mgr_object *obj,
	       const mgr_grantee *from, char *err, size_t errlen);

/* Grants go with their object.  Before a database or a table is dropped,
 * whatever the path (rmdir on the mount, SQL DROP, a sync rule), the grants
 * on it and on every object below it are removed, in one transaction of
 * the manager's environment, and each removal is audited as a revoke by
 * the daemon's uid with the detail "... dropped with its object".  So a
 * new object of the same name starts without grants.  The drop itself
 * commits in the platform's environment, after this: the caller has made
 * the drop in its open write transaction (so it is known to succeed) and
 * commits it once this returned 0; a crash or a failure in between leaves
 * the object without grants, which fails closed.  OBJ is a database or a
 * table; platforms are never dropped.  0 or a negative errno, when the
 * caller must not drop. */
int mgr_grants_drop_object(mgr *m, const mgr_object *obj);

/* Resolve a user or group name (or a decimal id) for GRANT ... TO USER x.
 * -ENOENT with a message when unknown. */
int mgr_grantee_user(const char *name, mgr_grantee *out, char *err, size_t errlen);
int mgr_grantee_group(const char *name, mgr_grantee *out, char *err, size_t errlen);

/* SHOW GRANTS [ON obj] [FOR grantee] and the /.metafs/grants node: one
 * line per grant, tab-separated, sorted by object then grantee:
 *     OBJECT-PATH  GRANTEE-KIND  GRANTEE  PRIVILEGES  GRANTOR-UID  TIME
 * e.g. "/warehouse/sales/orders\trole\tanalysts\tSELECT\t0\t2026-...Z".
 * ON: grants on OBJ and above (what applies to it); FOR: grants to that
 * grantee (for a user, also through the user's roles).  Either may be NULL.
 * Format in metafs(5). */
int mgr_grants_render(mgr *m, const mgr_object *on, const mgr_grantee *for_, textbuf *out);
/* The same as VIEWER may see it: the grants on objects VIEWER can see
 * (mgr_access_visible) and the grants to VIEWER (directly, by the primary
 * group, through a role); all of them for ADMIN on the metastore or a NULL
 * VIEWER. */
int mgr_grants_render_as(mgr *m, const mgr_principal *viewer, const mgr_object *on,
			 const mgr_grantee *for_, textbuf *out);
/* SHOW ROLES and the /.metafs/roles node: "ROLE\tMEMBERS" a line, members
 * as user:NAME or group:NAME (numeric when the name is unknown). */
int mgr_roles_render(mgr *m, textbuf *out);

/* ---- the audit log ------------------------------------------------------------------- */
/* HOME/manager/audit.log, appended with one write(2) per entry (O_APPEND,
 * so concurrent entries never interleave), rotated to audit.log.1 when it
 * passes [access] audit_max_bytes (default 64 MiB).  One line per entry,
 * tab-separated, the format in metafs(5):
 *     TIME  UID  ACTION  OBJECT  DECISION  PRIVILEGES  DETAIL
 * TIME RFC 3339 UTC with nanoseconds; DECISION "allow" or "deny";
 * PRIVILEGES the ones required ("-" when none); DETAIL free text without
 * tabs or newlines ("-" when none).  Names never hold tabs or newlines
 * (control characters are refused in names), so the fields split safely.
 *
 * The audit fails closed.  mgr_audit returns 0 when the line was written
 * whole, else a negative errno; a line is never left in part (a short
 * write is cut off again), the failure is counted (mgr_audit_failures) and
 * logged.  What allows an action on the strength of an entry must not go
 * on when the entry was not written: mgr_authorize and mgr_audit_decision
 * then deny, except to a superuser. */
int mgr_audit(mgr *m, uint32_t uid, const char *action, const char *object, bool allowed,
	      unsigned privs, const char *detail);

/* Several entries of one action written together: one write(2) for all,
 * whole or none (for entries nothing waits on one by one, such as the
 * revokes of the grants an object is dropped with).  Start with
 * MGR_AUDIT_BATCH_INIT, add, then write (which also frees it): 0, or a
 * negative errno when none could be written (each counted as lost). */
typedef struct mgr_audit_batch {
	textbuf text;
	uint64_t n;
} mgr_audit_batch;
#define MGR_AUDIT_BATCH_INIT {TEXTBUF_INIT, 0}
void mgr_audit_batch_add(mgr *m, mgr_audit_batch *b, uint32_t uid, const char *action,
			 const char *object, bool allowed, unsigned privs, const char *detail);
int mgr_audit_batch_write(mgr *m, mgr_audit_batch *b);

/* What the audit log records ([access] audit, metafs(5)).  A denial is
 * always recorded; an allowed entry only when its class is configured.
 * The class follows from the action (mgr_audit_class):
 *   reads    list, read, lookup: looking at what exists (opt-in)
 *   changes  create, write, drop, delete, rename, submit, sync, pipeline
 *            and any action not named here
 *   grants   grant, revoke, grant-role, revoke-role, create-role, drop-role
 *   admin    hms set_ugi (an HMS client acting as another user)
 * An allowed entry of a class that is off costs nothing: mgr_audit returns
 * 0 before the line is built and writes nothing. */
enum {
	MGR_AUDIT_READS = 1u << 0,
	MGR_AUDIT_CHANGES = 1u << 1,
	MGR_AUDIT_GRANTS = 1u << 2,
	MGR_AUDIT_ADMIN = 1u << 3,
	MGR_AUDIT_DEFAULT = MGR_AUDIT_CHANGES | MGR_AUDIT_GRANTS | MGR_AUDIT_ADMIN,
	MGR_AUDIT_ALL = MGR_AUDIT_READS | MGR_AUDIT_DEFAULT,
};
/* The class of ACTION (one MGR_AUDIT_* bit). */
unsigned mgr_audit_class(const char *action);
/* Would an entry for ACTION with this decision be written? */
bool mgr_audit_wanted(const mgr *m, const char *action, bool allowed);
/* Parse the value of [access] audit: a comma list of denials, reads,
 * changes, grants, admin, all.  0 with *CLASSES set, or -EINVAL with the
 * bad word and the choices in ERR. */
int mgr_audit_classes_parse(const char *value, unsigned *classes, char *err, size_t errlen);
/* Audit a decision taken by the caller (ALLOWED) and give the result: 0
 * when allowed and audited (or allowed to a superuser whose entry could
 * not be written), else -EACCES.  A denial for want of the audit is also
 * logged, like every denial this returns for an allowed decision. */
int mgr_audit_decision(mgr *m, const mgr_principal *who, const char *action, const char *object,
		       bool allowed, unsigned privs, const char *detail);
/* The current audit file's path (for the /.metafs/audit node). */
const char *mgr_audit_path(const mgr *m);
/* Entries that could not be written since the manager was opened. */
uint64_t mgr_audit_failures(const mgr *m);

#endif
