/*
 * sync_refresh.c - the refresh component: a mirrored table's partition
 * list, read from its source metastore.
 *
 * Each call takes one fresh read snapshot of the source, so a listing is
 * the partitions as they were at one event id, which the trailer names; a
 * pipeline that passes that id back as SINCE next time gets exactly the
 * partitions added, changed or dropped in between, from the source's log.
 * The source table is found by the id the mirror recorded, not by name: a
 * source re-created under the same name is a different table until the
 * rule has applied it.
 *
 * A listing walks the pnodes one level at a time (each level is a cursor
 * range) and formats lines by hand: at 100,000 partitions printf's cost
 * would be most of the time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base_array.h"
#include "base_path.h"
#include "sync_int.h"

#define SPEC_MAX (STORE_MAX_PARTKEYS * (STORE_NAME_MAX + 2) + 3 * STORE_PSPEC_MAX)

const char *sync_table_property(const store_table *t, const char *key, size_t *len)
{
	const char *p, *nl, *v;
	size_t klen;

	if (t == NULL || key == NULL || t->properties == NULL)
		return NULL;
	klen = strlen(key);
	for (p = t->properties; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			v = p + klen + 1;
			if (len)
				*len = nl ? (size_t)(nl - v) : strlen(v);
			return v;
		}
		if (nl == NULL)
			break;
	}
	return NULL;
}

bool sync_property_reserved(const char *key, size_t len)
{
	static const char prefix[] = SYNC_PROP_RESERVED;
	size_t n = sizeof prefix - 1;

	while (len && (*key == ' ' || *key == '\t' || *key == '\r' || *key == '\n' ||
		       *key == '\v' || *key == '\f')) {
		key++;
		len--;
	}
	return len >= n && strncasecmp(key, prefix, n) == 0;
}

/* Is property KEY of T exactly VALUE (LEN bytes)? */
static bool property_is(const store_table *t, const char *key, const char *value, size_t len)
{
	size_t have = 0;
	const char *v = sync_table_property(t, key, &have);

	return v && have == len && memcmp(v, value, len) == 0;
}

bool sync_mirror_valid(const sync_rule *rule, const char *target, const store_table *t)
{
	char want[3 * (STORE_NAME_MAX + 1) + 1];
	textbuf policy = TEXTBUF_INIT;
	uint64_t sid, version;
	size_t plen = 0;
	const char *p;
	bool ok;
	int n;

	if (rule == NULL || target == NULL || t == NULL || !t->has_schema)
		return false;
	if (!property_is(t, SYNC_PROP_PREFIX "rule", rule->name, strlen(rule->name)) ||
	    strcmp(rule->target_platform, target) != 0 ||
	    strcmp(rule->source_platform, target) == 0 ||
	    !sync_rule_matches(rule, t->db, t->name))
		return false;
	n = snprintf(want, sizeof want, "%s.%s.%s", rule->source_platform, t->db, t->name);
	if (n < 0 || (size_t)n >= sizeof want ||
	    !property_is(t, SYNC_PROP_PREFIX "source", want, (size_t)n) ||
	    !sync_property_u64(t, SYNC_PROP_PREFIX "source_id", 10, &sid) || sid == 0)
		return false;
	for (uint32_t i = 0; i < t->ncolumns + t->npartkeys; i++)
		for (unsigned k = 0; k < rule->ndrop; k++)
			if (strcasecmp(t->columns[i].name, rule->drop_columns[k]) == 0)
				return false;
	/* The masks read through T are the ones it records: the rule's. */
	p = sync_table_property(t, SYNC_PROP_MASK_POLICY, &plen);
	if (!sync_property_u64(t, SYNC_PROP_MASK_VERSION, 10, &version))
		version = 0;
	if (rule->masks.n == 0)
		return p == NULL || plen == 0;
	if (p == NULL || version == 0)
		return false;
	sync_mask_format(&rule->masks, &policy);
	ok = !textbuf_error(&policy) && policy.len == plen && memcmp(policy.data, p, plen) == 0;
	textbuf_free(&policy);
	return ok;
}

const sync_platform *sync_source_of(const store_table *t, const sync_platform *platforms,
				    unsigned n)
{
	const sync_platform *best = NULL;
	size_t len, plen, blen = 0;
	const char *v = sync_table_property(t, SYNC_PROP_PREFIX "source", &len);

	if (v == NULL || platforms == NULL)
		return NULL;
	/* Platform names may hold dots: the longest "name." prefix wins. */
	for (unsigned i = 0; i < n; i++) {
		if (platforms[i].name == NULL)
			continue;
		plen = strlen(platforms[i].name);
		if (plen < len && v[plen] == '.' && memcmp(v, platforms[i].name, plen) == 0 &&
		    plen > blen) {
			best = &platforms[i];
			blen = plen;
		}
	}
	return best;
}

/* ---- formatting ------------------------------------------------------------------ */

static void put_u64(textbuf *out, uint64_t v)
{
	char buf[20];
	size_t i = sizeof buf;

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	textbuf_append(out, buf + i, sizeof buf - i);
}

static void put_hex64(textbuf *out, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[16];

	for (int i = 15; i >= 0; i--) {
		buf[i] = digits[v & 15];
		v >>= 4;
	}
	textbuf_append(out, buf, sizeof buf);
}

struct listing {
	textbuf *out;
	const store_table *st;      /* the source table */
	char prefix[3 * STORE_NAME_MAX + 4];  /* "TARGET/db/table/" */
	size_t prefix_len;
	char spec[SPEC_MAX];
};

/* SPEC PATH rows=N bytes=N etag=HEX */
static void line_put(struct listing *l, const char *mark, size_t speclen, const store_pnode *p)
{
	textbuf *out = l->out;

	if (mark)
		textbuf_append(out, mark, 2);
	textbuf_append(out, l->spec, speclen);
	textbuf_append(out, " ", 1);
	textbuf_append(out, l->prefix, l->prefix_len);
	textbuf_append(out, l->spec, speclen);
	if (p == NULL) {
		textbuf_append(out, "\n", 1);
		return;
	}
	textbuf_append(out, " rows=", 6);
	put_u64(out, p->rows);
	textbuf_append(out, " bytes=", 7);
	put_u64(out, p->bytes);
	textbuf_append(out, " etag=", 6);
	put_hex64(out, p->etag);
	textbuf_append(out, "\n", 1);
}

/* Append "key=escaped" for level DEPTH (0-based) at l->spec + AT. */
static int spec_add(struct listing *l, size_t at, uint32_t depth, const char *value, size_t *len)
{
	const char *key = l->st->columns[l->st->ncolumns + depth].name;
	size_t klen = strlen(key), n = at;
	int rc;

	if (n + klen + 3 >= sizeof l->spec)
		return -ENAMETOOLONG;
	if (depth)
		l->spec[n++] = '/';
	memcpy(l->spec + n, key, klen);
	n += klen;
	l->spec[n++] = '=';
	rc = store_hive_escape(value, l->spec + n, sizeof l->spec - n);
	if (rc != 0)
		return rc;
	*len = n + strlen(l->spec + n);
	return 0;
}

static int list_level(struct listing *l, store_txn *s, uint64_t parent, uint32_t depth,
		      size_t at)
{
	store_iter *it = NULL;
	store_pnode p;
	size_t len;
	int rc;

	rc = store_iter_pnodes(s, l->st->id, parent, NULL, &it);
	while (rc == 0 && (rc = store_iter_next(it, &p)) == 0) {
		if (depth >= l->st->npartkeys) {
			rc = -EIO;
			break;
		}
		rc = spec_add(l, at, depth, p.value, &len);
		if (rc != 0)
			break;
		if (p.leaf)
			line_put(l, NULL, len, &p);
		else
			rc = list_level(l, s, p.id, depth + 1, len);
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

/* ---- incremental ----------------------------------------------------------------- */

struct touched {
	char *spec;                 /* escaped, as in event paths */
	uint64_t seq;
	bool created;               /* the event creates the partition */
};

static int touched_cmp(const void *x, const void *y)
{
	const struct touched *a = x, *b = y;
	int c = strcmp(a->spec, b->spec);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The current leaf named by escaped SPEC ("k=v/k=v"), into *P. */
static int leaf_find(store_txn *s, const store_table *st, const char *spec, store_pnode *p)
{
	char comp[3 * STORE_NAME_MAX + 2], raw[STORE_NAME_MAX + 1];
	const char *c = spec, *slash, *eq;
	uint64_t parent = 0;
	size_t n;
	int rc;

	for (uint32_t d = 0; d < st->npartkeys; d++) {
		slash = strchr(c, '/');
		n = slash ? (size_t)(slash - c) : strlen(c);
		if (n >= sizeof comp)
			return -ENOENT;
		memcpy(comp, c, n);
		comp[n] = '\0';
		eq = strchr(comp, '=');
		if (eq == NULL || store_hive_unescape(eq + 1, raw, sizeof raw) != 0)
			return -ENOENT;
		rc = store_pnode_get(s, st->id, parent, raw, p);
		if (rc != 0)
			return rc;
		parent = p->id;
		c = slash ? slash + 1 : c + n;
	}
	return 0;
}

static unsigned components(const char *s, size_t n)
{
	unsigned k = n ? 1 : 0;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '/';
	return k;
}

static int list_changes(struct listing *l, store_txn *s, uint64_t since, uint64_t head)
{
	struct touched *tv = NULL;
	size_t nt = 0, cap = 0, tlen, rlen;
	char tpath[2 * STORE_NAME_MAX + 3];
	const char *rest;
	store_iter *it = NULL;
	store_event ev;
	store_pnode p;
	uint64_t first;
	int rc;

	rc = store_event_first(s, &first);
	if (rc != 0)
		return rc;
	/* The log no longer holds what happened right after SINCE. */
	if (first > since + 1 && since < head)
		return -ESTALE;
	tlen = (size_t)snprintf(tpath, sizeof tpath, "%s/%s/", l->st->db, l->st->name);
	rc = store_iter_events(s, since, &it);
	while (rc == 0 && (rc = store_iter_next(it, &ev)) == 0) {
		if (ev.seq > head)
			break;
		if (ev.kind == STORE_KIND_TABLE && ev.object_id == l->st->id &&
		    ev.op == STORE_OP_CREATE) {
			/* The table itself is newer than SINCE. */
			rc = -ESTALE;
			break;
		}
		if ((ev.kind != STORE_KIND_PNODE && ev.kind != STORE_KIND_FILE) ||
		    strncmp(ev.path, tpath, tlen) != 0)
			continue;
		rest = ev.path + tlen;
		rlen = strlen(rest);
		if (ev.kind == STORE_KIND_FILE) {
			const char *slash = strrchr(rest, '/');

			/* Not data: a record an older daemon made of a hidden file. */
			if (base_name_hidden(slash ? slash + 1 : rest))
				continue;
			rlen = slash ? (size_t)(slash - rest) : 0;
		}
		/* Partitions only: inner levels come and go with their leaves. */
		if (l->st->npartkeys == 0 || components(rest, rlen) != l->st->npartkeys)
			continue;
		if ((rc = BASE_ARRAY_RESERVE(tv, cap, nt + 1)))
			break;
		tv[nt].spec = strndup(rest, rlen);
		if (tv[nt].spec == NULL) {
			rc = -ENOMEM;
			break;
		}
		tv[nt].seq = ev.seq;
		tv[nt].created = ev.kind == STORE_KIND_PNODE && ev.op == STORE_OP_CREATE;
		nt++;
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && nt)
		qsort(tv, nt, sizeof *tv, touched_cmp);
	for (size_t i = 0; rc == 0 && i < nt; i++) {
		/* The first event of each partition tells whether it existed at
		 * SINCE; the snapshot tells whether it exists now. */
		if (i > 0 && strcmp(tv[i].spec, tv[i - 1].spec) == 0)
			continue;
		rlen = strlen(tv[i].spec);
		if (rlen >= sizeof l->spec)
			continue;
		memcpy(l->spec, tv[i].spec, rlen);
		rc = leaf_find(s, l->st, tv[i].spec, &p);
		if (rc == 0)
			line_put(l, tv[i].created ? "+ " : "~ ", rlen, &p);
		else if (rc == -ENOENT && !tv[i].created)
			line_put(l, "- ", rlen, NULL);
		if (rc == -ENOENT)
			rc = 0;
	}
	for (size_t i = 0; i < nt; i++)
		free(tv[i].spec);
	free(tv);
	return rc;
}

int sync_refresh(const store_table *t, const char *target_name, const sync_platform *source,
		 uint64_t since, textbuf *out)
{
	struct listing *l = NULL;
	store_txn *s = NULL;
	store_object o = { 0 };
	store_kind kind = STORE_KIND_NONE;
	uint64_t sid, head = 0;
	size_t start;
	int rc;

	if (t == NULL || target_name == NULL || source == NULL || source->store == NULL ||
	    out == NULL)
		return -EINVAL;
	if (!sync_property_u64(t, SYNC_PROP_PREFIX "source_id", 10, &sid))
		return -ENOENT;
	l = malloc(sizeof *l);
	if (l == NULL)
		return -ENOMEM;
	l->out = out;
	l->st = &o.table;
	rc = snprintf(l->prefix, sizeof l->prefix, "%s/%s/%s/", target_name, t->db, t->name);
	if (rc < 0 || (size_t)rc >= sizeof l->prefix) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	l->prefix_len = (size_t)rc;
	rc = store_read_begin(source->store, &s);
	if (rc == 0)
		rc = store_event_head(s, &head);
	if (rc == 0)
		rc = store_object_by_id(s, sid, &kind, &o);
	if (rc == 0 && kind != STORE_KIND_TABLE)
		rc = -ENOENT;
	if (rc != 0)
		goto out;
	start = out->len;
	if (since == 0)
		rc = list_level(l, s, 0, 0, 0);
	else
		rc = list_changes(l, s, since, head);
	if (rc == 0) {
		textbuf_append(out, "snapshot ", 9);
		put_u64(out, head);
		textbuf_append(out, "\n", 1);
		rc = textbuf_error(out);
	}
	if (rc != 0 && out->data && !out->failed) {
		/* All or nothing: no half listing without its trailer. */
		out->len = start;
		out->data[start] = '\0';
	}
out:
	if (kind == STORE_KIND_TABLE)
		store_table_clear(&o.table);
	store_abort(s);
	free(l);
	return rc;
}
