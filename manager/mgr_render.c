/*
 * mgr_render.c - the text of the read-only metadata files (.table,
 * .partition, /.metafs/events).  Formats are specified in metafs(5); keep
 * the two in step.
 */
#include "base_date.h"
#include "fmt.h"
#include "fmt_text.h"
#include "manager.h"
#include "mgr_access.h"
#include "mgr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

static int64_t stat_i64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return (int64_t)v;
}

/* One statistics value of type T as .partition shows it (metafs(5)):
 * numbers and dates as SQL prints them (fmt_text.h), timestamps
 * YYYY-MM-DDTHH:MM:SS.ffffffZ, strings in double quotes with \", \\ and
 * \xHH for a control character or a byte of a non-text value. */
static void render_stat_value(textbuf *out, store_type t, const uint8_t *b, size_t len)
{
	char text[64];

	switch (store_type_base(t)) {
	case STORE_TYPE_BOOLEAN:
		textbuf_puts(out, b[0] ? "true" : "false");
		return;
	case STORE_TYPE_BIGINT:
		textbuf_printf(out, "%lld", (long long)stat_i64(b));
		return;
	case STORE_TYPE_DOUBLE: {
		uint64_t bits = (uint64_t)stat_i64(b);
		double d;
		memcpy(&d, &bits, sizeof d);
		fmt_double_text(d, text);
		textbuf_puts(out, text);
		return;
	}
	case STORE_TYPE_DATE:
		fmt_date_text(stat_i64(b), text);
		textbuf_puts(out, text);
		return;
	case STORE_TYPE_TIMESTAMP: {
		int64_t us = stat_i64(b), days = us / 86400000000LL, rest = us % 86400000000LL;
		if (rest < 0) {
			rest += 86400000000LL;
			days--;
		}
		fmt_date_text(days, text);
		int64_t secs = rest / 1000000;
		textbuf_printf(out, "%sT%02lld:%02lld:%02lld.%06lldZ", text, (long long)(secs / 3600),
			       (long long)(secs / 60 % 60), (long long)(secs % 60),
			       (long long)(rest % 1000000));
		return;
	}
	case STORE_TYPE_DECIMAL: {
		__extension__ typedef unsigned __int128 u128;
		u128 u = (u128)(uint64_t)stat_i64(b + 8) << 64 | (uint64_t)stat_i64(b);
		fmt_decimal_text((fmt_int128)u, store_type_scale(t), text);
		textbuf_puts(out, text);
		return;
	}
	default:
		textbuf_puts(out, "\"");
		for (size_t i = 0; i < len; i++) {
			uint8_t c = b[i];
			if (c == '"' || c == '\\')
				textbuf_printf(out, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				textbuf_printf(out, "\\x%02x", c);
			else
				textbuf_printf(out, "%c", c);
		}
		textbuf_puts(out, "\"");
		return;
	}
}

/* The "stats:" lines of table T's data columns (see metafs(5)). */
static void render_stats(textbuf *out, const store_table *t, const store_colstat *st)
{
	for (uint32_t c = 0; c < t->ncolumns; c++) {
		const store_colstat *s = &st[c];
		textbuf_printf(out, "stats: %s", t->columns[c].name);
		if (s->flags & STORE_STAT_MIN) {
			textbuf_puts(out, s->flags & STORE_STAT_MIN_TRUNCATED ? " min_prefix=" : " min=");
			render_stat_value(out, s->type, s->min, s->min_len);
		}
		if (s->flags & STORE_STAT_MAX) {
			textbuf_puts(out, s->flags & STORE_STAT_MAX_TRUNCATED ? " max_prefix=" : " max=");
			render_stat_value(out, s->type, s->max, s->max_len);
		}
		if (s->flags & STORE_STAT_NULLS)
			textbuf_printf(out, " nulls=%llu", (unsigned long long)s->nulls);
		textbuf_puts(out, "\n");
	}
}

/* The stats lines of the files of CONTAINER_ID of T (0: all of them), when
 * at least one has statistics recorded (see store_column_stats). */
static int render_container_stats(store_txn *txn, const store_table *t, uint64_t container_id,
				  textbuf *out)
{
	if (!t->has_schema || t->ncolumns == 0)
		return 0;
	store_colstat *st = calloc(t->ncolumns, sizeof *st);
	if (!st)
		return -ENOMEM;
	int rc = store_column_stats(txn, t, container_id, st, NULL);
	if (rc == 0)
		render_stats(out, t, st);
	free(st);
	return rc;
}

int mgr_column_stats(mgr_platform *p, const store_table *t, uint64_t container_id,
		     store_colstat *out, uint64_t *nfiles)
{
	store_txn *txn = NULL;
	int rc = store_read_begin(p->store, &txn);
	if (rc == 0)
		rc = store_column_stats(txn, t, container_id, out, nfiles);
	store_abort(txn);
	return rc;
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
		       fmt_name(t->format), t->header ? "true" : "false",
		       t->owner_uid, t->owner_gid, created, modified);
	render_columns(out, "columns", t, 0, t->has_schema ? t->ncolumns : 0);
	render_columns(out, "partition_keys", t, t->ncolumns,
		       t->has_schema ? t->ncolumns + t->npartkeys : t->ncolumns);
	textbuf_printf(out, "partitions: %llu\nfiles: %llu\nrows: %llu\nbytes: %llu\netag: %016llx\n",
		       (unsigned long long)t->npartitions, (unsigned long long)t->nfiles,
		       (unsigned long long)t->rows, (unsigned long long)t->bytes,
		       (unsigned long long)t->etag);
	/* A Parquet table's column statistics over all its files. */
	if (t->format == STORE_FORMAT_PARQUET && t->has_schema && t->nfiles > 0) {
		store_txn *txn = NULL;
		int rc = store_read_begin(p->store, &txn);
		if (rc == 0)
			rc = render_container_stats(txn, t, 0, out);
		store_abort(txn);
		if (rc)
			return rc;
	}
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
	bool stats = false;
	rc = store_iter_files(txn, pn->id, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &f)) == 0) {
		mgr_format_hex(f.checksum, 16, sum);
		textbuf_printf(out, "file: %s bytes=%llu rows=%llu xxh128=%s\n", f.name,
			       (unsigned long long)f.bytes, (unsigned long long)f.rows, sum);
		stats |= f.nstats > 0;
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && stats)
		rc = render_container_stats(txn, t, pn->id, out);
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
	case STORE_ORIGIN_HMS: return "hms";
	}
	return "unknown";
}

/* May WHO see event EV of P (manager.h). */
bool mgr_event_visible(mgr *m, const mgr_principal *who, const mgr_platform *p,
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

/* One platform's part of /.metafs/events.  Its read transaction is the
 * snapshot of both passes: the first reads the keys (time, seq) of the
 * platform's newest events, the second the events the merge keeps. */
typedef struct event_source {
	store_txn *txn;
	store_iter *it;
	struct event_key {
		int64_t time_ns;
		uint64_t seq;
	} *keys;
	size_t n, pos;
} event_source;

/* The source whose next event comes first in the merged stream: the
 * oldest commit time, then the platform's order, then seq (NULL: all are
 * done).  Each source is in seq order, so this is a k-way merge. */
static event_source *events_next_source(event_source *src, unsigned nsrc)
{
	event_source *best = NULL;
	for (unsigned i = 0; i < nsrc; i++) {
		event_source *s = &src[i];
		if (s->pos == s->n)
			continue;
		const struct event_key *k = &s->keys[s->pos];
		if (!best || k->time_ns < best->keys[best->pos].time_ns)
			best = s;   /* on equal times the earlier platform stays */
	}
	return best;
}

static int events_load_keys(mgr_platform *p, unsigned max, event_source *s)
{
	uint64_t head = 0;
	store_event ev;
	int rc = store_read_begin(p->store, &s->txn);
	if (rc == 0)
		rc = store_event_head(s->txn, &head);
	if (rc == 0 && head && max)
		rc = store_iter_events(s->txn, head > max ? head - max : 0, &s->it);
	if (rc == 0 && s->it && !(s->keys = calloc(max, sizeof *s->keys)))
		rc = -ENOMEM;
	while (rc == 0 && s->it && s->n < max && (rc = store_iter_next(s->it, &ev)) == 0)
		s->keys[s->n++] = (struct event_key){ev.time_ns, ev.seq};
	if (rc == -ENOENT)
		rc = 0;
	store_iter_close(s->it);
	s->it = NULL;
	return rc;
}

/* The newest MAX events of all platforms as one stream in commit order
 * (see metafs(5)), of which WHO (NULL: everyone) sees the visible ones. */
int mgr_render_events(mgr *m, const mgr_principal *who, unsigned max, textbuf *out)
{
	event_source src[MGR_MAX_PLATFORMS] = {0};
	unsigned nsrc = m->nplatforms;
	size_t total = 0;
	int rc = 0;
	for (unsigned i = 0; rc == 0 && i < nsrc; i++) {
		rc = events_load_keys(&m->platforms[i], max, &src[i]);
		total += src[i].n;
	}
	/* Skip the oldest of the merged stream, then start each platform's
	 * cursor at its first event kept. */
	for (size_t skip = total > max ? total - max : 0; rc == 0 && skip; skip--)
		events_next_source(src, nsrc)->pos++;
	for (unsigned i = 0; rc == 0 && i < nsrc; i++)
		if (src[i].pos < src[i].n)
			rc = store_iter_events(src[i].txn, src[i].keys[src[i].pos].seq - 1, &src[i].it);
	event_source *s;
	store_event ev;
	while (rc == 0 && (s = events_next_source(src, nsrc))) {
		mgr_platform *p = &m->platforms[s - src];
		if ((rc = store_iter_next(s->it, &ev)))
			break;
		if (ev.seq != s->keys[s->pos].seq) {
			rc = -EIO;   /* the snapshot does not change under its transaction */
			break;
		}
		s->pos++;
		if (who && !mgr_event_visible(m, who, p, &ev))
			continue;
		char when[40];
		mgr_format_time(ev.time_ns, when);
		textbuf_printf(out, "%s %llu %s %s %s %s %s etag=%016llx\n", p->name,
			       (unsigned long long)ev.seq, when, op_name(ev.op), kind_name(ev.kind),
			       origin_name(ev.origin), ev.path, (unsigned long long)ev.etag);
	}
	for (unsigned i = 0; i < nsrc; i++) {
		store_iter_close(src[i].it);
		store_abort(src[i].txn);
		free(src[i].keys);
	}
	return rc ? rc : textbuf_error(out);
}
