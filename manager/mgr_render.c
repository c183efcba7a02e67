/*
 * mgr_render.c - the text of the read-only metadata files (.table,
 * .partition, /.metafs/events).  Formats are specified in metafs(5); keep
 * the two in step.
 */
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void mgr_format_time(int64_t ns, char out[40])
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%09lldZ", (long long)(ns % 1000000000));
}

void mgr_format_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

static void render_columns(textbuf *out, const char *label, const store_table *t, uint32_t from,
			   uint32_t to)
{
	textbuf_printf(out, "%s:", label);
	for (uint32_t i = from; i < to; i++)
		textbuf_printf(out, "%s %s %s", i > from ? "," : "", t->columns[i].name,
			       store_type_name(t->columns[i].type));
	textbuf_puts(out, "\n");
}

/* Is property KEY (N bytes) of a mirror about its source (metafs.mirror.*
 * but the rule's name)? */
static bool source_property(const char *key, size_t n)
{
	static const char prefix[] = "metafs.mirror.";
	static const char rule[] = "metafs.mirror.rule";
	return n >= sizeof prefix - 1 && !memcmp(key, prefix, sizeof prefix - 1) &&
	       !(n == sizeof rule - 1 && !memcmp(key, rule, n));
}

int mgr_render_table(mgr_platform *p, const store_table *t, bool show_source, textbuf *out)
{
	char created[40], modified[40];
	mgr_format_time(t->created_ns, created);
	mgr_format_time(t->modified_ns, modified);
	textbuf_printf(out,
		       "platform: %s\ndatabase: %s\ntable: %s\nid: %llu\nlocation: %s/%s/%s\n"
		       "format: %s\nheader: %s\nowner: %u:%u\ncreated: %s\nmodified: %s\n",
		       p->name, t->db, t->name, (unsigned long long)t->id, p->data_dir, t->db, t->name,
		       t->format == STORE_FORMAT_JSONL ? "jsonl" : "csv", t->header ? "true" : "false",
		       t->owner_uid, t->owner_gid, created, modified);
	render_columns(out, "columns", t, 0, t->has_schema ? t->ncolumns : 0);
	render_columns(out, "partition_keys", t, t->ncolumns,
		       t->has_schema ? t->ncolumns + t->npartkeys : t->ncolumns);
	textbuf_printf(out, "partitions: %llu\nfiles: %llu\nrows: %llu\nbytes: %llu\netag: %016llx\n",
		       (unsigned long long)t->npartitions, (unsigned long long)t->nfiles,
		       (unsigned long long)t->rows, (unsigned long long)t->bytes,
		       (unsigned long long)t->etag);
	for (const char *s = t->properties; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		const char *eq = memchr(s, '=', n);
		if (eq && (show_source || !source_property(s, (size_t)(eq - s))))
			textbuf_printf(out, "property.%.*s: %.*s\n", (int)(eq - s), s,
				       (int)(n - (size_t)(eq - s) - 1), eq + 1);
		s += n + (nl ? 1 : 0);
	}
	return textbuf_error(out);
}

int mgr_render_partition(mgr_platform *p, store_txn *txn, const store_table *t,
			 const store_pnode *pn, textbuf *out)
{
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	uint32_t nv = 0;
	int rc = store_pnode_values(txn, pn->id, values, STORE_MAX_PARTKEYS, &nv);
	if (rc)
		return rc;
	char location[PATH_MAX];
	rc = store_data_path(txn, p->data_dir, t, pn->id, NULL, location, sizeof location);
	if (rc)
		return rc;
	textbuf_printf(out, "table: %s.%s.%s\nspec: ", p->name, t->db, t->name);
	for (uint32_t i = 0; i < nv && i < t->npartkeys; i++) {
		char esc[3 * STORE_NAME_MAX + 1];
		if ((rc = store_hive_escape(values[i], esc, sizeof esc)))
			return rc;
		textbuf_printf(out, "%s%s=%s", i ? "/" : "", t->columns[t->ncolumns + i].name, esc);
	}
	char created[40], modified[40], sum[33];
	mgr_format_time(pn->created_ns, created);
	mgr_format_time(pn->modified_ns, modified);
	mgr_format_hex(pn->checksum, 16, sum);
	textbuf_printf(out,
		       "\nid: %llu\nlocation: %s\ncreated: %s\nmodified: %s\nfiles: %llu\nrows: %llu\n"
		       "bytes: %llu\nchecksum: %s\netag: %016llx\n",
		       (unsigned long long)pn->id, location, created, modified,
		       (unsigned long long)pn->nfiles, (unsigned long long)pn->rows,
		       (unsigned long long)pn->bytes, sum, (unsigned long long)pn->etag);
	store_iter *it = NULL;
	store_file f;
	rc = store_iter_files(txn, pn->id, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &f)) == 0) {
		mgr_format_hex(f.checksum, 16, sum);
		textbuf_printf(out, "file: %s bytes=%llu rows=%llu xxh128=%s\n", f.name,
			       (unsigned long long)f.bytes, (unsigned long long)f.rows, sum);
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	return rc ? rc : textbuf_error(out);
}

static const char *op_name(store_op op)
{
	switch (op) {
	case STORE_OP_CREATE: return "create";
	case STORE_OP_ALTER: return "alter";
	case STORE_OP_DROP: return "drop";
	}
	return "unknown";
}

static const char *kind_name(store_kind k)
{
	switch (k) {
	case STORE_KIND_DATABASE: return "database";
	case STORE_KIND_TABLE: return "table";
	case STORE_KIND_PNODE: return "partition";
	case STORE_KIND_FILE: return "file";
	case STORE_KIND_NONE: break;
	}
	return "unknown";
}

static const char *origin_name(store_origin o)
{
	switch (o) {
	case STORE_ORIGIN_FS: return "fs";
	case STORE_ORIGIN_JOB: return "job";
	case STORE_ORIGIN_SYNC: return "sync";
	case STORE_ORIGIN_TOOL: return "tool";
	}
	return "unknown";
}

/* May WHO see event EV: a database's if WHO sees the database, a table's
 * if WHO sees the table, a partition's or a file's (which name partition
 * values) if WHO holds SELECT on the table, as a listing would need. */
static bool event_visible(mgr *m, const mgr_principal *who, const mgr_platform *p,
			  const store_event *ev)
{
	char db[STORE_NAME_MAX + 1], table[STORE_NAME_MAX + 1];
	mgr_object o = {MGR_OBJ_DATABASE, p->name, db, NULL};
	const char *slash = strchr(ev->path, '/');
	size_t n = slash ? (size_t)(slash - ev->path) : strlen(ev->path);
	if (n > STORE_NAME_MAX)
		return false;
	memcpy(db, ev->path, n);
	db[n] = '\0';
	if (ev->kind == STORE_KIND_DATABASE)
		return mgr_access_visible(m, who, &o);
	if (!slash)
		return false;
	const char *end = strchr(slash + 1, '/');
	n = end ? (size_t)(end - slash - 1) : strlen(slash + 1);
	if (n > STORE_NAME_MAX)
		return false;
	memcpy(table, slash + 1, n);
	table[n] = '\0';
	o.level = MGR_OBJ_TABLE;
	o.table = table;
	if (ev->kind == STORE_KIND_TABLE)
		return mgr_access_visible(m, who, &o);
	return mgr_access_holds(m, who, MGR_PRIV_SELECT, &o);
}

int mgr_render_events(mgr *m, const mgr_principal *who, unsigned max, textbuf *out)
{
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < m->nplatforms; i++) {
		mgr_platform *p = &m->platforms[i];
		store_txn *txn = NULL;
		store_iter *it = NULL;
		uint64_t head = 0;
		store_event ev;
		rc = store_read_begin(p->store, &txn);
		if (rc == 0)
			rc = store_event_head(txn, &head);
		if (rc == 0)
			rc = store_iter_events(txn, head > max ? head - max : 0, &it);
		while (rc == 0 && (rc = store_iter_next(it, &ev)) == 0) {
			if (who && !event_visible(m, who, p, &ev))
				continue;
			char when[40];
			mgr_format_time(ev.time_ns, when);
			textbuf_printf(out, "%s %llu %s %s %s %s %s etag=%016llx\n", p->name,
				       (unsigned long long)ev.seq, when, op_name(ev.op), kind_name(ev.kind),
				       origin_name(ev.origin), ev.path, (unsigned long long)ev.etag);
		}
		if (rc == -ENOENT)
			rc = 0;
		store_iter_close(it);
		store_abort(txn);
	}
	return rc ? rc : textbuf_error(out);
}
