/*
 * mgr_registry.c - a table of named definitions with their files (see
 * mgr_registry.h).
 */
#include "mgr_registry.h"
#include "base_array.h"
#include "mgr_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *mgr_reg_state_name(mgr_reg_state state)
{
	switch (state) {
	case MGR_REG_IDLE:
		return "idle";
	case MGR_REG_RUNNING:
		return "running";
	case MGR_REG_FAILED:
		return "failed";
	}
	return "unknown";
}

/* HOME/manager/DIR/NAME followed by EXT. */
static void entry_path(const mgr_registry *reg, const char *name, const char *ext, char *out,
		       size_t cap)
{
	snprintf(out, cap, "%s/%s%s", reg->dir, name, ext);
}

int mgr_registry_init(mgr_registry *reg, const mgr_reg_type *type, mgr *m, void *owner,
		      pthread_mutex_t *lock, pthread_cond_t *done, const bool *stopping)
{
	memset(reg, 0, sizeof *reg);
	reg->type = type;
	reg->m = m;
	reg->owner = owner;
	reg->lock = lock;
	reg->done = done;
	reg->stopping = stopping;
	int rc = base_path_format(reg->dir, sizeof reg->dir, "%s/manager/%s", m->cfg.home, type->dir);
	return rc ? rc : base_fs_mkdirs(reg->dir, BASE_MODE_DIR);
}

void mgr_registry_fini(mgr_registry *reg)
{
	for (uint32_t i = 0; i < reg->n; i++) {
		if (reg->type->fini)
			reg->type->fini(reg->entries[i]);
		free(reg->entries[i]);
	}
	free(reg->entries);
	reg->entries = NULL;
	reg->n = reg->cap = 0;
}

mgr_reg_entry *mgr_registry_find_locked(mgr_registry *reg, const char *name)
{
	for (uint32_t i = 0; i < reg->n; i++)
		if (!reg->entries[i]->deleted && !strcmp(reg->entries[i]->name, name))
			return reg->entries[i];
	return NULL;
}

mgr_reg_entry *mgr_registry_get_locked(mgr_registry *reg, uint32_t id)
{
	if (id < 1 || id > reg->n || reg->entries[id - 1]->deleted)
		return NULL;
	return reg->entries[id - 1];
}

void mgr_registry_save_locked(mgr_registry *reg, const mgr_reg_entry *e)
{
	char path[PATH_MAX + 300];
	entry_path(reg, e->name, ".state", path, sizeof path);
	textbuf t = TEXTBUF_INIT;
	reg->type->state_format(e, &t);
	int rc = textbuf_error(&t);
	if (rc == 0)
		rc = mgr_state_replace(path, t.data ? t.data : "", t.len);
	if (rc)
		mgr_log(MGR_LOG_WARN, "cannot save the state of %s %s: %s", reg->type->noun, e->name,
			store_strerror(rc));
	textbuf_free(&t);
}

/* Restore what a previous daemon saved of E. */
static void load_state(mgr_registry *reg, mgr_reg_entry *e)
{
	char path[PATH_MAX + 300];
	entry_path(reg, e->name, ".state", path, sizeof path);
	textbuf t = TEXTBUF_INIT;
	if (mgr_state_read(path, &t) == 0 && t.data)
		reg->type->state_parse(e, t.data);
	textbuf_free(&t);
}

/* Add NAME with definition DEF, or give the entry that has the name DEF. */
static int install_locked(mgr_registry *reg, const char *name, const void *def)
{
	mgr_reg_entry *e = mgr_registry_find_locked(reg, name);
	if (e) {
		reg->type->assign(e, def, false);
		return 0;
	}
	int rc = BASE_ARRAY_RESERVE(reg->entries, reg->cap, (size_t)reg->n + 1);
	if (rc)
		return rc;
	if (!(e = calloc(1, reg->type->entry_size)))
		return -ENOMEM;
	e->id = reg->n + 1;
	e->state = MGR_REG_IDLE;
	/* Older states name no owner: such entries are the daemon's. */
	e->owner.uid = (uint32_t)getuid();
	e->owner.gid = (uint32_t)getgid();
	snprintf(e->name, sizeof e->name, "%s", name);
	if (reg->type->init)
		reg->type->init(e);
	reg->entries[reg->n++] = e;
	load_state(reg, e);
	reg->type->assign(e, def, true);
	return 0;
}

int mgr_registry_load(mgr_registry *reg)
{
	const mgr_reg_type *type = reg->type;
	size_t sl = strlen(type->suffix);
	void *def = malloc(type->def_size);
	DIR *d = NULL;
	int rc = 0;
	if (!def) {
		rc = -ENOMEM;
		goto out;
	}
	if (!(d = opendir(reg->dir))) {
		rc = -errno;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n <= sl || strcmp(de->d_name + n - sl, type->suffix) || de->d_name[0] == '.')
			continue;
		char name[STORE_NAME_MAX + 1], path[PATH_MAX + 300], err[512] = "cannot read it";
		snprintf(name, sizeof name, "%.*s", (int)(n - sl), de->d_name);
		entry_path(reg, de->d_name, "", path, sizeof path);
		textbuf t = TEXTBUF_INIT;
		if (mgr_state_read(path, &t) == 0 &&
		    type->parse(reg, name, t.data ? t.data : "", t.len, def, err, sizeof err) == 0) {
			pthread_mutex_lock(reg->lock);
			install_locked(reg, name, def);
			pthread_mutex_unlock(reg->lock);
		} else {
			mgr_log(MGR_LOG_WARN, "ignoring %s %s: %s", type->noun, path, err);
		}
		textbuf_free(&t);
	}
out:
	if (d)
		closedir(d);
	free(def);
	return rc;
}

/* May WHO replace what NAME is now?  Someone else's entry needs ADMIN on
 * the metastore (audited). */
static int owner_check(mgr_registry *reg, const mgr_principal *who, const char *name, char *err,
		       size_t errlen)
{
	const mgr_reg_type *type = reg->type;
	pthread_mutex_lock(reg->lock);
	mgr_reg_entry *old = mgr_registry_find_locked(reg, name);
	bool other = old && old->owner.uid != who->uid;
	pthread_mutex_unlock(reg->lock);
	if (!other)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof path, "/%s/%s%s", type->dir, name, type->suffix);
	mgr_object all = {MGR_OBJ_METASTORE, NULL, NULL, NULL};
	if (mgr_authorize(reg->m, who, MGR_PRIV_ADMIN, &all, type->action, path) == 0)
		return 0;
	snprintf(err, errlen, "permission denied: the %s belongs to another user", type->short_noun);
	return -EACCES;
}

int mgr_registry_define(mgr_registry *reg, const mgr_principal *who, const char *name,
			const char *text, size_t len, void *def, char *err, size_t errlen)
{
	const mgr_reg_type *type = reg->type;
	int rc = mgr_definition_check_text(text, len, err, errlen);
	if (rc == 0)
		rc = type->parse(reg, name, text, len, def, err, errlen);
	if (rc == 0 && type->validate)
		rc = type->validate(reg, def, err, errlen);
	if (rc == 0)
		rc = owner_check(reg, who, name, err, errlen);
	if (rc == 0 && type->authorize)
		rc = type->authorize(reg, who, def, err, errlen);
	if (rc) {
		mgr_log(MGR_LOG_WARN, "refused %s %s: %s", type->noun, name, err);
		return rc;
	}
	char path[PATH_MAX + 300];
	entry_path(reg, name, type->suffix, path, sizeof path);
	if ((rc = mgr_state_replace(path, text, len)))
		return rc;
	pthread_mutex_lock(reg->lock);
	rc = install_locked(reg, name, def);
	mgr_reg_entry *e = rc == 0 ? mgr_registry_find_locked(reg, name) : NULL;
	if (e) {
		e->owner = *who;
		mgr_registry_save_locked(reg, e);
		if (type->defined_locked)
			type->defined_locked(reg, e);
	}
	pthread_mutex_unlock(reg->lock);
	return rc;
}

int mgr_registry_delete(mgr_registry *reg, const char *name)
{
	pthread_mutex_lock(reg->lock);
	mgr_reg_entry *e = mgr_registry_find_locked(reg, name);
	if (e)
		e->deleted = true;
	pthread_mutex_unlock(reg->lock);
	if (!e)
		return -ENOENT;
	char path[PATH_MAX + 300];
	entry_path(reg, name, reg->type->suffix, path, sizeof path);
	unlink(path);
	entry_path(reg, name, ".state", path, sizeof path);
	unlink(path);
	return 0;
}

uint32_t mgr_registry_count(mgr_registry *reg)
{
	pthread_mutex_lock(reg->lock);
	uint32_t n = reg->n;
	pthread_mutex_unlock(reg->lock);
	return n;
}

int mgr_registry_find(mgr_registry *reg, const char *name, uint32_t *id)
{
	pthread_mutex_lock(reg->lock);
	mgr_reg_entry *e = mgr_registry_find_locked(reg, name);
	if (e)
		*id = e->id;
	pthread_mutex_unlock(reg->lock);
	return e ? 0 : -ENOENT;
}

int mgr_registry_lookup(mgr_registry *reg, uint32_t id, char name[STORE_NAME_MAX + 1],
			mgr_principal *owner)
{
	pthread_mutex_lock(reg->lock);
	mgr_reg_entry *e = mgr_registry_get_locked(reg, id);
	if (e && name)
		memcpy(name, e->name, STORE_NAME_MAX + 1);
	if (e && owner)
		*owner = e->owner;
	pthread_mutex_unlock(reg->lock);
	return e ? 0 : -ENOENT;
}

int mgr_registry_read_def(mgr_registry *reg, uint32_t id, textbuf *out)
{
	if (reg->type->format) {
		pthread_mutex_lock(reg->lock);
		mgr_reg_entry *e = mgr_registry_get_locked(reg, id);
		int rc = e ? reg->type->format(e, out) : -ENOENT;
		pthread_mutex_unlock(reg->lock);
		return rc;
	}
	char name[STORE_NAME_MAX + 1], path[PATH_MAX + 300];
	if (mgr_registry_lookup(reg, id, name, NULL))
		return -ENOENT;
	entry_path(reg, name, reg->type->suffix, path, sizeof path);
	return mgr_state_read(path, out);
}

int mgr_registry_run_now(mgr_registry *reg, uint32_t id, bool (*stop)(void *ctx), void *ctx,
			 textbuf *out)
{
	int rc = 0;
	pthread_mutex_lock(reg->lock);
	mgr_reg_entry *e = mgr_registry_get_locked(reg, id);
	if (!e) {
		rc = -ENOENT;
		goto out;
	}
	/* A run under way may have started before the request: wait for the
	 * one after it. */
	uint64_t target = e->runs + 1 + (e->state == MGR_REG_RUNNING ? 1 : 0);
	reg->type->request_locked(reg, e);
	while (e->runs < target) {
		if (*reg->stopping || (stop && stop(ctx))) {
			rc = -EINTR;
			goto out;
		}
		struct timespec until;
		mgr_deadline(&until, 100);
		pthread_cond_timedwait(reg->done, reg->lock, &until);
	}
	reg->type->result_locked(e, out);
	rc = textbuf_error(out);
out:
	pthread_mutex_unlock(reg->lock);
	return rc;
}
