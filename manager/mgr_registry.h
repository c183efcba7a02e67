/*
 * mgr_registry.h - private to manager/: a table of named definitions (sync
 * rules, pipelines, and later kinds) kept in a directory of the manager's
 * home.
 *
 * Every kind keeps the same things the same way:
 *   HOME/manager/DIR/NAME.SUFFIX   the definition, as written (replaced atomically)
 *   HOME/manager/DIR/NAME.state    the kind's state and the owner (replaced atomically)
 * and serves them at MOUNT/DIR/.  Entries are numbered from 1 in the order
 * they were defined; a deleted entry keeps its number (marked deleted), so
 * a number is stable for the daemon's lifetime and can be part of inode
 * numbers.
 *
 * A kind describes itself with a mgr_reg_type, in the manner of Redis's
 * dictType: what differs between kinds (the directory and suffix, how a
 * definition is parsed, checked and authorized, what the state file holds)
 * is a callback, and a NULL callback means the default.  A kind's entry
 * embeds mgr_reg_entry as its first member, so the registry allocates and
 * frees whole entries of ENTRY_SIZE bytes and the kind casts back.
 *
 * Locking.  The registry does not own a lock: it borrows its kind's mutex
 * and "run finished" condition, because the kind's worker thread reads and
 * changes the same entries while it holds that mutex.  Functions named
 * _locked expect the caller to hold it; the others take it themselves.
 */
#ifndef METAFS_MGR_REGISTRY_H
#define METAFS_MGR_REGISTRY_H

#include <pthread.h>

#include "manager.h"
#include "mgr_access.h"

/* What an entry is doing; mgr_reg_state_name gives the word its status
 * file shows. */
typedef enum mgr_reg_state {
	MGR_REG_IDLE = 0,
	MGR_REG_RUNNING,
	MGR_REG_FAILED,
} mgr_reg_state;

/* "idle", "running" or "failed". */
const char *mgr_reg_state_name(mgr_reg_state state);

/* The part every kind's entry shares; the kind's own fields follow it. */
typedef struct mgr_reg_entry {
	uint32_t id;                       /* from 1, stable */
	bool deleted;
	char name[STORE_NAME_MAX + 1];
	mgr_reg_state state;
	uint64_t runs;                     /* completed runs: what run-now waits on */
	mgr_principal owner;               /* who defined it: it runs as this user */
} mgr_reg_entry;

typedef struct mgr_registry mgr_registry;

typedef struct mgr_reg_type {
	const char *dir;          /* below HOME/manager, and below the mount: "sync" */
	const char *suffix;       /* of the definition file: ".rule" */
	const char *noun;         /* in log lines: "sync rule" */
	const char *short_noun;   /* in refusals: "the rule belongs to another user" */
	const char *action;       /* the audit log's action: "sync" */
	size_t entry_size;        /* of the kind's entry, which starts with mgr_reg_entry */
	size_t def_size;          /* of the kind's parsed definition */

	/* Parse TEXT (the definition of NAME) into DEF, the kind's definition
	 * (the caller's storage).  -EINVAL with "line N: ..." in ERR.  Runs
	 * for every definition, also the ones loaded at start. */
	int (*parse)(mgr_registry *reg, const char *name, const char *text, size_t len, void *def,
		     char *err, size_t errlen);
	/* Further checks for a new definition only (NULL: none): what the
	 * loaded ones are not refused for, so a rule whose platform left the
	 * configuration is kept, and fails when it runs. */
	int (*validate)(mgr_registry *reg, const void *def, char *err, size_t errlen);
	/* May WHO define DEF?  Audited by the callback; -EACCES with the reason
	 * in ERR.  NULL: anyone may. */
	int (*authorize)(mgr_registry *reg, const mgr_principal *who, const void *def, char *err,
			 size_t errlen);
	/* Defaults of a new entry, before its saved state is read (NULL: none). */
	void (*init)(mgr_reg_entry *e);
	/* Make DEF the entry's definition; FRESH for an entry just added. */
	void (*assign)(mgr_reg_entry *e, const void *def, bool fresh);
	/* The state file: write it (the owner included) into OUT; read what a
	 * previous daemon wrote (the owner keeps the daemon's user when TEXT
	 * names none). */
	void (*state_format)(const mgr_reg_entry *e, textbuf *out);
	void (*state_parse)(mgr_reg_entry *e, const char *text);
	/* The definition as the mount shows it; NULL: the file as written. */
	int (*format)(const mgr_reg_entry *e, textbuf *out);
	/* A definition was installed, with the lock held (NULL: nothing). */
	void (*defined_locked)(mgr_registry *reg, mgr_reg_entry *e);
	/* Ask the kind's worker to run E once more, with the lock held. */
	void (*request_locked)(mgr_registry *reg, mgr_reg_entry *e);
	/* What a run-now read gives once the run is done, with the lock held. */
	void (*result_locked)(const mgr_reg_entry *e, textbuf *out);
	/* Free what the kind's fields hold (NULL: nothing); not the entry. */
	void (*fini)(mgr_reg_entry *e);
} mgr_reg_type;

struct mgr_registry {
	const mgr_reg_type *type;
	mgr *m;
	void *owner;                  /* the kind's state, for its callbacks */
	pthread_mutex_t *lock;        /* borrowed: the kind's */
	pthread_cond_t *done;         /* borrowed: broadcast by the kind after every run */
	const bool *stopping;         /* borrowed: the kind's worker is stopping */
	char dir[PATH_MAX];           /* HOME/manager/DIR */
	mgr_reg_entry **entries;      /* by id - 1, deleted ones included */
	uint32_t n, cap;
};

/* Set REG (the caller's storage) up for TYPE in M's home and create its
 * directory.  TYPE, LOCK, DONE and STOPPING are borrowed and must outlive
 * REG; OWNER is handed to the callbacks as reg->owner.  Whatever this
 * returns, mgr_registry_fini may be called. */
int mgr_registry_init(mgr_registry *reg, const mgr_reg_type *type, mgr *m, void *owner,
		      pthread_mutex_t *lock, pthread_cond_t *done, const bool *stopping);
/* Free every entry (the registry owns them).  The kind's worker must have
 * stopped: no pointer to an entry survives this. */
void mgr_registry_fini(mgr_registry *reg);
/* Install every definition in the directory (those that do not parse are
 * logged and skipped), with their saved state. */
int mgr_registry_load(mgr_registry *reg);

/* Define (or redefine) NAME from TEXT as WHO: parse into DEF (the caller's
 * storage, of the kind's definition type; it holds the definition
 * afterwards), validate, authorize (redefining another user's entry needs
 * ADMIN on the metastore), write the file, install with WHO as the owner.
 * A refusal is logged with its reason in ERR. */
int mgr_registry_define(mgr_registry *reg, const mgr_principal *who, const char *name,
			const char *text, size_t len, void *def, char *err, size_t errlen);
/* Forget NAME and remove its files; its number is not reused. */
int mgr_registry_delete(mgr_registry *reg, const char *name);
/* How many numbers are taken (deleted entries included). */
uint32_t mgr_registry_count(mgr_registry *reg);
int mgr_registry_find(mgr_registry *reg, const char *name, uint32_t *id);
/* The name and the owner (each when not NULL) of entry ID. */
int mgr_registry_lookup(mgr_registry *reg, uint32_t id, char name[STORE_NAME_MAX + 1],
			mgr_principal *owner);
/* The definition of ID as the mount shows it, appended to OUT. */
int mgr_registry_read_def(mgr_registry *reg, uint32_t id, textbuf *out);
/* Ask for a run of ID and wait until one that began after the request has
 * finished; the kind's result in OUT.  -EINTR when the kind stops or
 * STOP(CTX) says so (checked every 100 ms). */
int mgr_registry_run_now(mgr_registry *reg, uint32_t id, bool (*stop)(void *ctx), void *ctx,
			 textbuf *out);

/* Entry ID, or NULL if there is none or it was deleted; the pointer is
 * valid while the lock is held and until mgr_registry_fini. */
mgr_reg_entry *mgr_registry_get_locked(mgr_registry *reg, uint32_t id);
mgr_reg_entry *mgr_registry_find_locked(mgr_registry *reg, const char *name);
/* Replace E's state file from the entry; a failure is logged and the
 * previous file stays (the state files only report). */
void mgr_registry_save_locked(mgr_registry *reg, const mgr_reg_entry *e);

#endif
