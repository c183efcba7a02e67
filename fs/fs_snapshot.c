/*
 * fs_snapshot.c - the generated files' sizes: what a stat reports is what
 * the next read returns.
 *
 * A generated file (a metadata file, a job's or a rule's file, .refresh,
 * .metafs's files) has no bytes of its own: they are rendered.  A stat
 * renders them and reports their length; an open serves a rendering as its
 * snapshot (FS_HANDLE_TEXT), every read of that open from the same bytes.
 * Two renderings a moment apart can differ (metrics count the requests
 * between them, a job's log grows, the audit log takes the open's own
 * entry), and a reader that trusts st_size (tar, rsync, cp, DuckDB) stats,
 * opens, reads st_size bytes and stats again - tar says "file changed as we
 * read it" when the two stats differ.  So a rendering is kept, per node and
 * per caller (inode, uid, gid and the calling process), and serves:
 *   - the stats and the opens of that process for FS_SNAPSHOT_TTL_NS after
 *     it was made: stat, open and fstat see the same bytes;
 *   - while an open made from it is not released, every stat of that
 *     process (until a newer rendering is made): the fstat after the last
 *     read agrees with the first lstat, however long the reads took.
 * When the last open made from a rendering is released, the rendering is
 * dropped: the next stat renders afresh.  Another process never sees this
 * one's rendering, so a change (a run ending) shows at once to the next
 * reader; within one process it shows after the TTL or the close, or at
 * once when it was made through the mount (a definition written, a job
 * submitted: every rendering not being read is dropped then).
 *
 * The files whose bytes are made by the read itself (a job's `wait`, a
 * rule's `run`) have no rendering before it: they report size 0.
 */
#include "fs_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FS_SNAPSHOT_TTL_NS (1000 * 1000 * 1000LL)
#define BUCKETS 1024

struct fs_snapshot {
	struct fs_snapshot *next;
	fuse_ino_t ino;
	uint32_t uid, gid;
	pid_t pid;
	int64_t made_ns;
	unsigned opens;          /* opens made from it not yet released */
	uint64_t len;
	bool from_file;          /* the open serves a file, up to LEN (the audit log) */
	textbuf text;            /* empty when FROM_FILE */
};

static struct {
	pthread_mutex_t lock;
	struct fs_snapshot *bucket[BUCKETS];
	size_t count, sweep_at;
} snaps = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 4096};

static _Thread_local pid_t caller_pid;

void fs_snapshot_caller(pid_t pid)
{
	caller_pid = pid;
}

static unsigned bucket_of(fuse_ino_t ino, uint32_t uid, pid_t pid)
{
	uint64_t h = ino * UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)uid << 17) ^ (uint64_t)pid;
	h ^= h >> 29;
	return (unsigned)(h % BUCKETS);
}

static bool live(const struct fs_snapshot *s, int64_t now)
{
	return s->opens > 0 || now - s->made_ns < FS_SNAPSHOT_TTL_NS;
}

static void drop(struct fs_snapshot *s)
{
	textbuf_free(&s->text);
	free(s);
}

/* Drop the renderings of bucket B no one uses any more (lock held). */
static void prune(unsigned b, int64_t now)
{
	for (struct fs_snapshot **pp = &snaps.bucket[b]; *pp;) {
		struct fs_snapshot *s = *pp;
		if (live(s, now)) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		snaps.count--;
		drop(s);
	}
}

/* The newest rendering of INO kept for WHO in process PID: for a stat, one
 * made within the TTL or being read; for an open, one made within the TTL
 * (an open long after does not inherit an older open's bytes). */
static struct fs_snapshot *find(fuse_ino_t ino, const mgr_principal *who, pid_t pid, int64_t now,
				bool opening)
{
	for (struct fs_snapshot *s = snaps.bucket[bucket_of(ino, who->uid, pid)]; s; s = s->next)
		if (s->ino == ino && s->uid == who->uid && s->gid == who->gid && s->pid == pid &&
		    (opening ? now - s->made_ns < FS_SNAPSHOT_TTL_NS : live(s, now)))
			return s;
	return NULL;
}

/* Render N for WHO: the kind's snapshot member, or the rendering of a
 * metadata file; -ENODATA when N has no bytes before a read. */
static int generate(fs_node *n, const mgr_principal *who, textbuf *out, uint64_t *len)
{
	const struct fs_kind_ops *ops = fs_node_ops(n);
	int rc;
	*len = 0;
	if (ops->snapshot)
		return ops->snapshot(n, who, out, len);
	rc = fs_node_render(n, out);
	*len = out->len;
	return rc;
}

int fs_snapshot_take(fs_node *n, const mgr_principal *who, fs_handle *h, uint64_t *len)
{
	const struct fs_kind_ops *ops = fs_node_ops(n);
	if (!ops->snapshot && !(fs_node_flags(n) & FS_NODE_RENDERED))
		return -ENODATA;   /* not generated: asked of every node, answered at once */
	pid_t pid = caller_pid;
	int64_t now = store_now_ns();
	pthread_mutex_lock(&snaps.lock);
	struct fs_snapshot *s = find(n->ino, who, pid, now, h != NULL);
	if (!s) {
		pthread_mutex_unlock(&snaps.lock);
		struct fs_snapshot *fresh = calloc(1, sizeof *fresh);
		if (!fresh)
			return -ENOMEM;
		int rc = generate(n, who, &fresh->text, &fresh->len);
		if (rc == 1) {
			fresh->from_file = true;
			rc = 0;
		}
		if (rc == 0)
			rc = textbuf_error(&fresh->text);
		if (rc) {
			drop(fresh);
			return rc;
		}
		fresh->ino = n->ino;
		fresh->uid = who->uid;
		fresh->gid = who->gid;
		fresh->pid = pid;
		fresh->made_ns = now;
		unsigned b = bucket_of(n->ino, who->uid, pid);
		pthread_mutex_lock(&snaps.lock);
		prune(b, now);
		fresh->next = snaps.bucket[b];   /* first: found before an older one */
		snaps.bucket[b] = fresh;
		if (++snaps.count > snaps.sweep_at) {
			for (unsigned i = 0; i < BUCKETS; i++)
				prune(i, now);
			snaps.sweep_at = snaps.count * 2 > 4096 ? snaps.count * 2 : 4096;
		}
		s = fresh;
	}
	*len = s->len;
	int rc = s->from_file ? 1 : 0;
	if (h) {
		if (s->text.len)
			textbuf_append(&h->text, s->text.data, s->text.len);
		if (textbuf_error(&h->text)) {
			rc = -ENOMEM;
		} else {
			s->opens++;
			h->snapshot = s;
		}
	}
	pthread_mutex_unlock(&snaps.lock);
	return rc;
}

void fs_snapshot_forget(void)
{
	pthread_mutex_lock(&snaps.lock);
	for (unsigned b = 0; b < BUCKETS; b++)
		for (struct fs_snapshot *s = snaps.bucket[b]; s; s = s->next)
			if (s->opens == 0)
				s->made_ns = 0;   /* pruned as it is met */
	pthread_mutex_unlock(&snaps.lock);
}

void fs_snapshot_release(fs_handle *h)
{
	struct fs_snapshot *s = h->snapshot;
	if (!s)
		return;
	h->snapshot = NULL;
	pthread_mutex_lock(&snaps.lock);
	if (--s->opens == 0) {
		/* Read and closed: the next stat renders afresh. */
		s->made_ns = 0;
		prune(bucket_of(s->ino, s->uid, s->pid), store_now_ns());
	}
	pthread_mutex_unlock(&snaps.lock);
}
