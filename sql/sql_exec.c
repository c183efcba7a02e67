/*
 * sql_exec.c - the embedded engine: runs an analyzed, optimized plan
 * annotated by the physical planner, and hands its rows to a sink.
 *
 * Shape.  Each plan node becomes an operator with a pull interface that
 * moves batches of up to EXEC_BATCH rows (row-major sql_value arrays), so the
 * per-call costs (a virtual call, CPU-time sampling, cancellation checks) are
 * paid per batch, not per row.  A batch returned by an operator stays valid
 * until that operator is pulled again; strings in it may point into the
 * child's batch, the operator's per-batch scratch arena, or memory the
 * operator holds (hash tables, sort buffers).
 *
 * Parallelism.  A SCAN starts phys.threads worker threads.  Each takes whole
 * files from the scan's work list (or, for Parquet files when there are few
 * files for the threads, ranges of a file's row groups), parses them
 * (sql_read.c), applies the
 * pushed-down data filter, copies the surviving rows into batches that own
 * their strings, and queues them; the rest of the plan runs in the calling
 * thread.  Parsing and filtering dominate a scan-filter-aggregate query, so
 * this is where the threads pay.  The queue is bounded, so a slow consumer
 * (or a LIMIT that stops early) holds the workers back instead of letting
 * batches pile up.
 *
 * Memory.  A hash aggregate, DISTINCT, a join's build side and a sort keep
 * rows; they count the bytes they hold (their arena, their tables and their
 * spill files' buffers) and never hold more than phys.memory_budget: past it
 * a sort writes sorted runs to spill files and merges them, an aggregate,
 * DISTINCT and a join partition their input into spill files by hash
 * (sql_spill.c; each section says how).  Only what cannot be split (one
 * row, one group, a join that cannot be partitioned) fails the query,
 * naming the operator and memory_per_job.  phys records what was spilled.
 * A budget of 0 means no limit and 0 threads means one, so plans that never
 * met the physical planner still run.
 *
 * Semantics.  NULL keys group together in GROUP BY and DISTINCT but never
 * match in a join (a null-aware anti join aside, see JOIN); a global
 * aggregate (no GROUP BY) yields one row even over
 * no input; count(x) counts non-NULL x; sum/min/max of only NULLs is NULL;
 * sum keeps bigint as bigint (wrapping) and double as double; avg is a double.
 */
#include "base_array.h"
#include "base_path.h"
#include "sql_int.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXEC_BATCH 1024
#define EXEC_MIB (UINT64_C(1) << 20)

/* ---- batches and rows ------------------------------------------------------------ */

typedef struct exec_batch {
	sql_value *v;            /* nrows * ncols, row-major */
	uint32_t nrows, ncols;
	uint32_t cap;            /* rows allocated */
} exec_batch;

static int exec_batch_reserve(exec_batch *b, uint32_t rows)
{
	size_t cols = b->ncols ? b->ncols : 1;

	return base_array_reserve_u32((void **)&b->v, &b->cap, rows, cols * sizeof *b->v);
}

/* Copy N values into DST, strings into A: for rows an operator keeps. */
static void exec_copy_values(sql_arena *a, sql_value *dst, const sql_value *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		dst[i] = src[i];
		if (src[i].type == SQL_TYPE_STRING && !src[i].null && src[i].u.s.len)
			dst[i].u.s.ptr = sql_arena_strndup(a, src[i].u.s.ptr, src[i].u.s.len);
	}
}

/* ---- hashing rows ------------------------------------------------------------------ */

static uint64_t exec_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

static uint64_t exec_hash_value(const sql_value *v)
{
	if (v->null || v->type == SQL_TYPE_NULL)
		return UINT64_C(0x9e3779b97f4a7c15);
	switch (v->type) {
	case SQL_TYPE_STRING: {
		uint64_t h = UINT64_C(1469598103934665603);
		for (uint32_t i = 0; i < v->u.s.len; i++) {
			h ^= (unsigned char)v->u.s.ptr[i];
			h *= UINT64_C(1099511628211);
		}
		return exec_mix(h);
	}
	case SQL_TYPE_DOUBLE: {
		/* Values that compare equal must hash equal: -0.0 and 0.0, every NaN. */
		double d = v->u.d == 0 ? 0.0 : isnan(v->u.d) ? NAN : v->u.d;
		uint64_t bits;
		memcpy(&bits, &d, sizeof bits);
		return exec_mix(bits);
	}
	case SQL_TYPE_BOOLEAN:
		return exec_mix(v->u.b + 1);
	default:
		if (sql_type_is_decimal(v->type)) {
			/* Equal decimals of any scales (1.5 and 1.50) convert to
			 * the same double, the correctly rounded one, so they
			 * hash equal; distinct values almost never collide. */
			double d = sql_decimal_to_double(v->u.dec, sql_type_scale(v->type));
			uint64_t bits;
			d = d == 0 ? 0.0 : d;
			memcpy(&bits, &d, sizeof bits);
			return exec_mix(bits ^ UINT64_C(0x5bd1e9955bd1e995));
		}
		return exec_mix((uint64_t)v->u.i);
	}
}

static uint64_t exec_hash_row(const sql_value *v, uint32_t n)
{
	uint64_t h = n;

	for (uint32_t i = 0; i < n; i++)
		h = exec_mix(h * 31 + exec_hash_value(&v[i]));
	return h;
}

/* Equality for grouping: NULL equals NULL. */
static bool exec_row_equal(const sql_value *a, const sql_value *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (a[i].type == b[i].type && !a[i].null && !b[i].null) {
			/* The common case first: two non-NULL values of one type. */
			switch (a[i].type) {
			case SQL_TYPE_BIGINT:
			case SQL_TYPE_DATE:
			case SQL_TYPE_TIMESTAMP:
				if (a[i].u.i != b[i].u.i)
					return false;
				continue;
			case SQL_TYPE_STRING:
				if (a[i].u.s.len != b[i].u.s.len ||
				    (a[i].u.s.len && memcmp(a[i].u.s.ptr, b[i].u.s.ptr, a[i].u.s.len)))
					return false;
				continue;
			default:
				break;
			}
		}
		bool an = a[i].null || a[i].type == SQL_TYPE_NULL;
		bool bn = b[i].null || b[i].type == SQL_TYPE_NULL;
		if (an != bn)
			return false;
		if (!an && sql_value_compare(&a[i], &b[i]) != 0)
			return false;
	}
	return true;
}

/* An open-addressing table from keys (NKEYS values each) to item numbers
 * 0, 1, 2 ... in insertion order.  The keys live in the owner's arena; the
 * table keeps pointers to them. */
typedef struct exec_hash {
	uint32_t nkeys;
	uint32_t n, cap;          /* items; slots (a power of two) */
	uint64_t *slots;          /* the hash's high 32 bits << 32 | item + 1; 0 for empty */
	uint64_t *hashes;         /* per item */
	const sql_value **keys;   /* per item */
	uint32_t items_cap;
} exec_hash;

static void exec_hash_free(exec_hash *h)
{
	free(h->slots);
	free(h->hashes);
	free(h->keys);
	memset(h, 0, sizeof *h);
}

static uint64_t exec_hash_bytes(const exec_hash *h)
{
	return (uint64_t)h->cap * sizeof *h->slots +
	       (uint64_t)h->items_cap * (sizeof *h->hashes + sizeof *h->keys);
}

static int exec_hash_grow(exec_hash *h)
{
	uint32_t cap = h->cap ? h->cap * 2 : 1024;
	uint64_t *slots = calloc(cap, sizeof *slots);

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->n; i++) {
		uint32_t s = (uint32_t)h->hashes[i] & (cap - 1);
		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = (h->hashes[i] & UINT64_C(0xffffffff00000000)) | (i + 1);
	}
	free(h->slots);
	h->slots = slots;
	h->cap = cap;
	return 0;
}

/* The item holding KEY, or UINT32_MAX. */
static uint32_t exec_hash_find(const exec_hash *h, uint64_t hash, const sql_value *key)
{
	if (!h->cap)
		return UINT32_MAX;
	/* The slot's copy of the hash's high bits turns most other keys away
	 * without a look at the item's arrays. */
	uint64_t tag = hash & UINT64_C(0xffffffff00000000);
	for (uint32_t s = (uint32_t)hash & (h->cap - 1);; s = (s + 1) & (h->cap - 1)) {
		uint64_t e = h->slots[s];
		if (!e)
			return UINT32_MAX;
		uint32_t it = (uint32_t)e;
		if ((e & UINT64_C(0xffffffff00000000)) == tag &&
		    exec_row_equal(h->keys[it - 1], key, h->nkeys))
			return it - 1;
	}
}

/* Before a batch is looked up in H (a table too large for the cache): load,
 * for each row, the slot its key hashes to, then the item's key pointer,
 * then the key, each step as prefetches over the whole batch, so that the
 * rows' cache misses overlap instead of coming one after the other.  Only
 * for keys that are plain columns of the row, hashed as they are; anything
 * else (or a key whose value the evaluation would cast) only makes useless
 * prefetches. */
#define EXEC_HASH_PREFETCH_SLOTS ((uint32_t)1 << 17)
static void exec_hash_prefetch(const exec_hash *h, sql_expr *const *keys, uint32_t nkeys,
			       const exec_batch *in)
{
	static __thread uint64_t hashes[EXEC_BATCH];
	static __thread uint32_t items[EXEC_BATCH];
	sql_value key[4];
	uint32_t n = in->nrows < EXEC_BATCH ? in->nrows : EXEC_BATCH;

	if (h->cap < EXEC_HASH_PREFETCH_SLOTS || nkeys == 0 || nkeys > 4)
		return;
	for (uint32_t k = 0; k < nkeys; k++)
		if (keys[k]->kind != SQL_EXPR_COLUMN || keys[k]->ordinal < 0 ||
		    (uint32_t)keys[k]->ordinal >= in->ncols)
			return;
	for (uint32_t r = 0; r < n; r++) {
		const sql_value *row = in->v + (size_t)r * in->ncols;
		for (uint32_t k = 0; k < nkeys; k++)
			key[k] = row[keys[k]->ordinal];
		hashes[r] = exec_hash_row(key, nkeys);
		__builtin_prefetch(&h->slots[(uint32_t)hashes[r] & (h->cap - 1)]);
	}
	for (uint32_t r = 0; r < n; r++) {
		uint64_t e = h->slots[(uint32_t)hashes[r] & (h->cap - 1)];
		items[r] = (uint32_t)e;
		if (e)
			__builtin_prefetch(&h->keys[(uint32_t)e - 1]);
	}
	for (uint32_t r = 0; r < n; r++)
		if (items[r])
			__builtin_prefetch(h->keys[items[r] - 1]);
}

/* Add KEY (not present; it must outlive the table) as a new item. */
static int exec_hash_insert(exec_hash *h, uint64_t hash, const sql_value *key, uint32_t *item)
{
	int rc;

	if ((uint64_t)(h->n + 1) * 2 > h->cap && (rc = exec_hash_grow(h)))
		return rc;
	/* Parallel arrays: both grow from the same capacity to the same one. */
	uint32_t hcap = h->items_cap, kcap = h->items_cap;
	if ((rc = BASE_ARRAY_RESERVE(h->hashes, hcap, (size_t)h->n + 1)) ||
	    (rc = BASE_ARRAY_RESERVE(h->keys, kcap, (size_t)h->n + 1)))
		return rc;
	h->items_cap = hcap;
	uint32_t s = (uint32_t)hash & (h->cap - 1);
	while (h->slots[s])
		s = (s + 1) & (h->cap - 1);
	h->slots[s] = (hash & UINT64_C(0xffffffff00000000)) | (h->n + 1);
	h->hashes[h->n] = hash;
	h->keys[h->n] = key;
	*item = h->n++;
	return 0;
}

/* ---- operators -------------------------------------------------------------------- */

typedef struct exec_run {
	const sql_exec_ctx *ctx;
	sql_error *err;
	const char *spill_dir;   /* ctx->spill_dir, or $TMPDIR, or /tmp */
} exec_run;

typedef struct exec_node exec_node;
struct exec_node {
	sql_plan *plan;
	exec_run *run;
	exec_node *child[2];
	uint32_t nchildren;
	uint32_t ncols;
	sql_type *types;         /* ncols */
	/* 0 with *OUT a batch of at least one row, or *OUT NULL at the end. */
	int (*next)(exec_node *n, exec_batch **out);
	void (*close)(exec_node *n);
	exec_batch out;
	sql_arena *scratch;      /* per batch; recreated at each pull */
	sql_arena *arena;        /* what the operator keeps */
	uint64_t incl_ns;        /* CPU time inside next(), children included */
	uint64_t rows_in_extra;  /* rows consumed that do not come from a child (scan) */
	uint64_t worker_ns;      /* CPU time of scan workers */
	uint64_t peak;
	uint64_t peak_rows;      /* most rows held at once (SORT, TopN) */
	bool done;
};

static uint64_t exec_cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int exec_pull(exec_node *n, exec_batch **out)
{
	uint64_t t0 = exec_cpu_now();
	int rc = n->next(n, out);

	n->incl_ns += exec_cpu_now() - t0;
	if (!rc && *out)
		n->plan->phys.rows_out += (*out)->nrows;
	return rc;
}

static void exec_new_scratch(exec_node *n)
{
	sql_arena_free(n->scratch);
	n->scratch = sql_arena_new();
}

static const char *exec_op_name(const exec_node *n, const char *fallback)
{
	return n->plan->phys.op && n->plan->phys.op[0] ? n->plan->phys.op : fallback;
}

/* Note that N holds BYTES now (for its peak_memory). */
static void exec_held(exec_node *n, uint64_t bytes)
{
	if (bytes > n->peak)
		n->peak = bytes;
}

/* Fail N because WHAT needs more than its whole memory budget: spilling
 * cannot help, only a larger budget can. */
static int exec_mem_fail(exec_node *n, const char *op, const char *what)
{
	uint64_t budget = n->plan->phys.memory_budget;
	char size[32];

	if (budget % EXEC_MIB == 0)
		snprintf(size, sizeof size, "%llu", (unsigned long long)(budget / EXEC_MIB));
	else
		snprintf(size, sizeof size, "%.2f", (double)budget / (double)EXEC_MIB);
	/* Column 0: the message names the line of the operator's clause only. */
	sql_error_set(n->run->err, n->plan->line, 0,
		      "%s needs more than its memory budget of %s MiB %s (raise memory_per_job in metafs.ini)",
		      exec_op_name(n, op), size, what);
	return -ENOMEM;
}

/* A new spill file of NCOLS columns for N, counted in its phys. */
static int exec_spill_new(exec_node *n, uint32_t ncols, sql_spill_file **out)
{
	int rc = sql_spill_create(n->run->spill_dir, ncols, out, n->run->err);

	if (!rc)
		n->plan->phys.spill_files++;
	return rc;
}

/* Close F, counting what was written to it. */
static void exec_spill_close(exec_node *n, sql_spill_file *f)
{
	if (!f)
		return;
	n->plan->phys.spill_bytes += sql_spill_bytes(f);
	n->plan->phys.spill_rows += sql_spill_rows(f);
	sql_spill_close(f);
}

static int exec_eval_error(exec_node *n, const sql_expr *e, int rc)
{
	sql_error_set(n->run->err, e->line, e->col, "cannot evaluate expression: %s", strerror(-rc));
	return rc;
}

static int exec_build(exec_run *run, sql_plan *plan, exec_node **out);

/* ---- SCAN ---------------------------------------------------------------------------- */

typedef struct exec_work {
	char *path;
	uint64_t bytes;
	uint32_t part;            /* index into the scan's partitions */
	uint64_t file_id;         /* the file record, for the catalog's open_file */
	uint8_t checksum[16];
	/* A Parquet file split among the threads: its row groups
	 * [rg_first, rg_first + rg_count) (rg_count 0: the whole file). */
	uint32_t rg_first, rg_count;
} exec_work;

typedef struct exec_part {
	char **values;            /* npartkeys raw values (NULL when unpartitioned) */
	uint32_t files_left;      /* decremented by workers */
} exec_part;

typedef struct exec_qbatch {
	struct exec_qbatch *next;
	sql_arena *arena;         /* owns the values' strings */
	sql_value *v;
	uint32_t nrows;
	size_t bytes;
} exec_qbatch;

typedef struct exec_scan {
	exec_node base;
	sql_scan *scan;
	exec_work *work;
	uint32_t nwork, work_cap;
	exec_part *parts;
	uint32_t nparts, parts_cap;
	uint32_t next_work;       /* atomic */
	pthread_t *threads;
	uint32_t nthreads, running;
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	exec_qbatch *head, *tail;
	uint32_t queued, max_queued;
	uint64_t queued_bytes;
	bool stop;
	int wrc;                  /* the first worker error */
	sql_error werr;
	exec_qbatch *current;
	uint64_t rows_read;       /* atomic */
	uint64_t rg_read, rg_skipped;   /* atomic: Parquet row groups */
	uint64_t files_read, files_skipped, parts_skipped;   /* by recorded statistics */
	bool started;
	sql_scan_source source;   /* where the catalog says the files come from */
} exec_scan;

static void exec_qbatch_free(exec_qbatch *b)
{
	if (!b)
		return;
	sql_arena_free(b->arena);
	free(b->v);
	free(b);
}

static int exec_scan_add_part(exec_scan *s, char values[][STORE_NAME_MAX + 1], uint32_t nv,
			      uint32_t *idx)
{
	int rc = BASE_ARRAY_RESERVE(s->parts, s->parts_cap, (size_t)s->nparts + 1);

	if (rc)
		return rc;
	exec_part *p = &s->parts[s->nparts];
	memset(p, 0, sizeof *p);
	if (nv) {
		p->values = calloc(nv, sizeof *p->values);
		if (!p->values)
			return -ENOMEM;
		for (uint32_t i = 0; i < nv; i++)
			if (!(p->values[i] = strdup(values[i])))
				return -ENOMEM;
	}
	*idx = s->nparts++;
	return 0;
}

static int exec_scan_add_work(exec_scan *s, const char *path, uint64_t bytes, uint32_t part)
{
	int rc = BASE_ARRAY_RESERVE(s->work, s->work_cap, (size_t)s->nwork + 1);

	if (rc)
		return rc;
	memset(&s->work[s->nwork], 0, sizeof s->work[s->nwork]);
	if (!(s->work[s->nwork].path = strdup(path)))
		return -ENOMEM;
	s->work[s->nwork].bytes = bytes;
	s->work[s->nwork].part = part;
	s->nwork++;
	return 0;
}

/* Does the partition with raw VALUES pass the scan's partition filter? */
static int exec_scan_part_selected(exec_scan *s, char values[][STORE_NAME_MAX + 1], bool *keep)
{
	sql_scan *sc = s->scan;
	sql_value row[sc->nout ? sc->nout : 1];
	sql_value v;

	*keep = true;
	if (!sc->partition_filter)
		return 0;
	for (uint32_t j = 0; j < sc->nout; j++) {
		uint32_t c = sc->columns[j];
		row[j] = (sql_value){.type = sc->types[c], .null = true};
		if (c >= sc->ncolumns)
			sql_partition_value(values[c - sc->ncolumns], sc->types[c], &row[j]);
	}
	exec_new_scratch(&s->base);
	int rc = sql_eval(s->base.scratch, sc->partition_filter, row, &v);
	if (rc)
		return exec_eval_error(&s->base, sc->partition_filter, rc);
	*keep = !v.null && v.type == SQL_TYPE_BOOLEAN && v.u.b;
	return 0;
}

/* List the files of container ID (a leaf pnode, or the table) as work. */
static int exec_scan_list_files(exec_scan *s, store_txn *txn, const char *data_dir,
				const store_table *t, uint64_t id,
				char values[][STORE_NAME_MAX + 1], uint32_t nv)
{
	store_iter *it = NULL;
	store_file f;
	uint32_t part;
	char path[4096];
	int rc = exec_scan_add_part(s, values, nv, &part);

	if (rc)
		return rc;
	/* A Parquet file whose recorded statistics prove that no row passes
	 * the pushed filter is not opened.  Not through a transform (masks
	 * change values) nor another table's files (their statistics are of
	 * that table's columns). */
	bool by_stats = s->scan->format == STORE_FORMAT_PARQUET && s->scan->data_filter &&
			!s->source.from_source && !s->source.transformed;
	uint64_t skipped = 0;
	if ((rc = store_iter_files(txn, id, NULL, &it)))
		return rc;
	while ((rc = store_iter_next(it, &f)) == 0) {
		if (base_name_hidden(f.name))
			continue;   /* not data; recorded only by daemons before hidden files */
		if (by_stats && f.nstats) {
			store_colstat *st = NULL;
			uint32_t nst = 0;
			if ((rc = store_file_stats(txn, id, f.name, &st, &nst)))
				break;
			bool none = sql_stats_none(s->scan, s->scan->data_filter, st, nst, f.rows);
			free(st);
			if (none) {
				skipped++;
				continue;
			}
		}
		if ((rc = store_data_path(txn, data_dir, t, id, f.name, path, sizeof path)) ||
		    (rc = exec_scan_add_work(s, path, f.bytes, part)))
			break;
		s->work[s->nwork - 1].file_id = f.id;
		memcpy(s->work[s->nwork - 1].checksum, f.checksum, sizeof f.checksum);
		s->parts[part].files_left++;
		if (s->base.run->ctx->progress)
			__atomic_add_fetch(&s->base.run->ctx->progress->bytes_total, f.bytes,
					   __ATOMIC_RELAXED);
	}
	store_iter_close(it);
	if (rc == -ENOENT)
		rc = 0;
	if (by_stats) {
		s->files_read += s->parts[part].files_left;
		s->files_skipped += skipped;
		if (nv && skipped && s->parts[part].files_left == 0)
			s->parts_skipped++;
	}
	if (!rc && s->base.run->ctx->progress) {
		__atomic_add_fetch(&s->base.run->ctx->progress->partitions_total, 1, __ATOMIC_RELAXED);
		if (s->parts[part].files_left == 0)
			__atomic_add_fetch(&s->base.run->ctx->progress->partitions_done, 1,
					   __ATOMIC_RELAXED);
	}
	return rc;
}

/* Walk the pnodes under PARENT (at DEPTH, 1-based) down to the leaves. */
static int exec_scan_walk(exec_scan *s, store_txn *txn, const char *data_dir, const store_table *t,
			  uint64_t parent, uint32_t depth, char values[][STORE_NAME_MAX + 1])
{
	store_iter *it = NULL;
	store_pnode p;
	int rc = store_iter_pnodes(txn, t->id, parent, NULL, &it);

	if (rc)
		return rc;
	while ((rc = store_iter_next(it, &p)) == 0) {
		memcpy(values[depth - 1], p.value, sizeof p.value);
		if (depth < t->npartkeys) {
			rc = exec_scan_walk(s, txn, data_dir, t, p.id, depth + 1, values);
		} else {
			bool keep;
			rc = exec_scan_part_selected(s, values, &keep);
			if (!rc && keep)
				rc = exec_scan_list_files(s, txn, data_dir, t, p.id, values, depth);
		}
		if (rc)
			break;
	}
	store_iter_close(it);
	return rc == -ENOENT ? 0 : rc;
}

static bool exec_range_holds(const sql_prange *r, const char *v)
{
	if (r->lo) {
		int c = strcmp(v, r->lo);
		if (c < 0 || (c == 0 && r->lo_open))
			return false;
	}
	if (r->hi) {
		int c = strcmp(v, r->hi);
		if (c > 0 || (c == 0 && r->hi_open))
			return false;
	}
	return true;
}

typedef struct exec_first {
	uint64_t id;
	char value[STORE_NAME_MAX + 1];
} exec_first;

static int exec_first_cmp(const void *a, const void *b)
{
	return strcmp(((const exec_first *)a)->value, ((const exec_first *)b)->value);
}

/* The first-level pnodes inside the scan's ranges, each once, in key order:
 * each range is a cursor seek to its low end and a walk to its high end. */
static int exec_scan_first_level(exec_scan *s, store_txn *txn, uint64_t table_id,
				 exec_first **out, uint32_t *nout)
{
	sql_scan *sc = s->scan;
	exec_first *v = NULL;
	uint32_t n = 0, cap = 0;
	int rc = 0;

	for (uint32_t r = 0; r < sc->nranges && !rc; r++) {
		const sql_prange *pr = &sc->ranges[r];
		store_iter *it = NULL;
		store_pnode p;
		bool have = false;
		if (pr->lo && !pr->lo_open) {
			rc = store_pnode_get(txn, table_id, 0, pr->lo, &p);
			if (rc == 0)
				have = exec_range_holds(pr, p.value);
			else if (rc != -ENOENT)
				break;
			rc = 0;
		}
		if ((rc = store_iter_pnodes(txn, table_id, 0, pr->lo, &it)))
			break;
		for (;;) {
			if (have) {
				if ((rc = BASE_ARRAY_RESERVE(v, cap, (size_t)n + 1)))
					break;
				v[n].id = p.id;
				memcpy(v[n].value, p.value, sizeof p.value);
				n++;
			}
			rc = store_iter_next(it, &p);
			if (rc) {
				if (rc == -ENOENT)
					rc = 0;
				break;
			}
			if (pr->hi && (strcmp(p.value, pr->hi) > 0 ||
				       (pr->hi_open && !strcmp(p.value, pr->hi))))
				break;
			have = exec_range_holds(pr, p.value);
		}
		store_iter_close(it);
	}
	if (rc) {
		free(v);
		return rc;
	}
	if (n > 1) {
		qsort(v, n, sizeof *v, exec_first_cmp);
		uint32_t k = 1;
		for (uint32_t i = 1; i < n; i++)
			if (strcmp(v[i].value, v[k - 1].value))
				v[k++] = v[i];
		n = k;
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Enumerate the partitions and files the scan reads. */
static int exec_scan_plan(exec_scan *s)
{
	sql_scan *sc = s->scan;
	const sql_exec_ctx *ctx = s->base.run->ctx;
	store_table t = {0};
	store_txn *txn = NULL;
	char values[STORE_MAX_PARTKEYS][STORE_NAME_MAX + 1];
	int rc;

	if (!ctx->catalog || sc->platform >= ctx->catalog->nplatforms) {
		sql_error_set(s->base.run->err, s->base.plan->line, s->base.plan->col,
			      "no platform for table %s.%s", sc->db, sc->table);
		return -EINVAL;
	}
	const sql_platform *pf = &ctx->catalog->platforms[sc->platform];
	if ((rc = store_read_begin(pf->store, &txn)))
		goto out;
	rc = store_table_get(txn, sc->db, sc->table, &t);
	if (rc == -ENOENT) {
		sql_error_set(s->base.run->err, s->base.plan->line, s->base.plan->col,
			      "table %s.%s.%s no longer exists", pf->name, sc->db, sc->table);
		goto out;
	}
	if (rc)
		goto out;
	/* The catalog may say the files are another table's (a mirror reads its
	 * source's), read through a transform. */
	if (ctx->catalog->scan_source) {
		rc = ctx->catalog->scan_source(ctx->catalog->scan_source_ctx, ctx->catalog,
					       sc->platform, &t, &s->source, s->base.run->err);
		if (rc)
			goto out;
	}
	if (s->source.from_source) {
		if (s->source.platform >= ctx->catalog->nplatforms) {
			rc = -EINVAL;
			goto out;
		}
		store_table_clear(&t);
		store_abort(txn);
		txn = NULL;
		pf = &ctx->catalog->platforms[s->source.platform];
		if ((rc = store_read_begin(pf->store, &txn)))
			goto out;
		rc = store_table_get(txn, s->source.db, s->source.table, &t);
		if (rc == 0 && s->source.table_id && t.id != s->source.table_id)
			rc = -ENOENT;
		if (rc == -ENOENT) {
			sql_error_set(s->base.run->err, s->base.plan->line, s->base.plan->col,
				      "the source %s.%s.%s of %s.%s is gone", pf->name, s->source.db,
				      s->source.table, sc->db, sc->table);
			goto out;
		}
		if (rc)
			goto out;
		if (t.npartkeys != sc->npartkeys) {
			rc = -ESTALE;
			sql_error_set(s->base.run->err, s->base.plan->line, s->base.plan->col,
				      "the source %s.%s.%s of %s.%s has other partition keys than its mirror",
				      pf->name, s->source.db, s->source.table, sc->db, sc->table);
			goto out;
		}
	}
	if (t.npartkeys == 0) {
		rc = exec_scan_list_files(s, txn, pf->data_dir, &t, t.id, values, 0);
	} else if (sc->nranges == 0) {
		rc = exec_scan_walk(s, txn, pf->data_dir, &t, 0, 1, values);
	} else {
		exec_first *first = NULL;
		uint32_t nfirst = 0;
		rc = exec_scan_first_level(s, txn, t.id, &first, &nfirst);
		for (uint32_t i = 0; i < nfirst && !rc; i++) {
			memcpy(values[0], first[i].value, sizeof values[0]);
			if (t.npartkeys == 1) {
				bool keep;
				rc = exec_scan_part_selected(s, values, &keep);
				if (!rc && keep)
					rc = exec_scan_list_files(s, txn, pf->data_dir, &t, first[i].id,
								  values, 1);
			} else {
				rc = exec_scan_walk(s, txn, pf->data_dir, &t, first[i].id, 2, values);
			}
		}
		free(first);
	}
out:
	if (rc && !s->base.run->err->message[0])
		sql_error_set(s->base.run->err, s->base.plan->line, s->base.plan->col,
			      "cannot list the partitions of %s.%s: %s", sc->db, sc->table,
			      store_strerror(rc));
	store_table_clear(&t);
	store_abort(txn);
	return rc;
}

static void exec_scan_fail(exec_scan *s, int rc, const sql_error *err)
{
	pthread_mutex_lock(&s->lock);
	if (!s->wrc) {
		s->wrc = rc;
		s->werr = *err;
	}
	s->stop = true;
	pthread_cond_broadcast(&s->more);
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
}

/* Queue B; false when the scan is stopping (B is then freed). */
static bool exec_scan_push(exec_scan *s, exec_qbatch *b)
{
	pthread_mutex_lock(&s->lock);
	while (!s->stop && s->queued >= s->max_queued)
		pthread_cond_wait(&s->room, &s->lock);
	bool ok = !s->stop;
	if (ok) {
		b->next = NULL;
		if (s->tail)
			s->tail->next = b;
		else
			s->head = b;
		s->tail = b;
		s->queued++;
		s->queued_bytes += b->bytes;
		if (s->queued_bytes > s->base.peak)
			s->base.peak = s->queued_bytes;
		pthread_cond_signal(&s->more);
	}
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		exec_qbatch_free(b);
	return ok;
}

static exec_qbatch *exec_qbatch_new(uint32_t ncols)
{
	exec_qbatch *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	b->v = malloc((size_t)EXEC_BATCH * (ncols ? ncols : 1) * sizeof *b->v);
	b->arena = sql_arena_new();
	if (!b->v) {
		exec_qbatch_free(b);
		return NULL;
	}
	return b;
}

static void *exec_scan_worker(void *arg)
{
	exec_scan *s = arg;
	sql_scan *sc = s->scan;
	const sql_exec_ctx *ctx = s->base.run->ctx;
	sql_progress *pg = ctx->progress;
	uint32_t ncols = sc->nout;
	exec_qbatch *b = NULL;
	sql_arena *scratch = NULL;
	sql_error err = {0};
	uint64_t t0 = exec_cpu_now();
	int rc = 0;

	for (;;) {
		uint32_t w = __atomic_fetch_add(&s->next_work, 1, __ATOMIC_RELAXED);
		if (w >= s->nwork || __atomic_load_n(&s->stop, __ATOMIC_RELAXED))
			break;
		exec_work *wk = &s->work[w];
		sql_reader *r = NULL;
		if (s->source.open_file) {
			store_file f = {.id = wk->file_id, .bytes = wk->bytes};
			char why[400] = "";
			int fd = -1;
			const char *slash = strrchr(wk->path, '/');
			memcpy(f.checksum, wk->checksum, sizeof f.checksum);
			snprintf(f.name, sizeof f.name, "%s", slash ? slash + 1 : wk->path);
			if ((rc = s->source.open_file(s->source.open_ctx, &f, wk->path, &fd, why,
						      sizeof why))) {
				sql_error_set(&err, 0, 0, "cannot read %s: %s", wk->path,
					      why[0] ? why : strerror(-rc));
				break;
			}
			rc = sql_reader_open_fd(ctx, sc, wk->path, fd,
						(const char *const *)s->parts[wk->part].values, &r, &err);
		} else {
			rc = sql_reader_open(ctx, sc, wk->path,
					     (const char *const *)s->parts[wk->part].values, &r, &err);
		}
		if (rc)
			break;
		if (wk->rg_count)
			sql_reader_set_rowgroups(r, wk->rg_first, wk->rg_count);
		uint64_t last_off = 0, rows = 0;
		for (;;) {
			const sql_value *row;
			rc = sql_reader_next(r, &row, &err);
			if (rc)
				break;
			rows++;
			if (sc->data_filter) {
				sql_value v;
				if (!scratch || sql_arena_used(scratch) > EXEC_MIB) {
					sql_arena_free(scratch);
					scratch = sql_arena_new();
				}
				if ((rc = sql_eval(scratch, sc->data_filter, row, &v))) {
					sql_error_set(&err, sc->data_filter->line, sc->data_filter->col,
						      "cannot evaluate the filter: %s", strerror(-rc));
					break;
				}
				if (v.null || !v.u.b)
					continue;
			}
			if (!b && !(b = exec_qbatch_new(ncols))) {
				rc = -ENOMEM;
				break;
			}
			exec_copy_values(b->arena, b->v + (size_t)b->nrows * ncols, row, ncols);
			if (++b->nrows == EXEC_BATCH) {
				b->bytes = sql_arena_used(b->arena) + (size_t)EXEC_BATCH * ncols * sizeof(sql_value);
				uint64_t off = sql_reader_offset(r);
				if (pg) {
					__atomic_add_fetch(&pg->rows_read, rows, __ATOMIC_RELAXED);
					__atomic_add_fetch(&pg->bytes_read, off - last_off, __ATOMIC_RELAXED);
				}
				__atomic_add_fetch(&s->rows_read, rows, __ATOMIC_RELAXED);
				rows = 0;
				last_off = off;
				bool ok = exec_scan_push(s, b);
				b = NULL;
				if (!ok || (pg && pg->cancel)) {
					rc = 1;
					break;
				}
			}
		}
		uint64_t off = sql_reader_offset(r), rg_read, rg_skipped;
		sql_reader_rowgroup_counts(r, &rg_read, &rg_skipped);
		__atomic_add_fetch(&s->rg_read, rg_read, __ATOMIC_RELAXED);
		__atomic_add_fetch(&s->rg_skipped, rg_skipped, __ATOMIC_RELAXED);
		sql_reader_close(r);
		if (pg) {
			__atomic_add_fetch(&pg->rows_read, rows, __ATOMIC_RELAXED);
			__atomic_add_fetch(&pg->bytes_read, off - last_off, __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&s->rows_read, rows, __ATOMIC_RELAXED);
		if (rc != 1 || (pg && pg->cancel) || __atomic_load_n(&s->stop, __ATOMIC_RELAXED))
			break;
		/* rc 1: the end of this file. */
		rc = 0;
		if (__atomic_sub_fetch(&s->parts[wk->part].files_left, 1, __ATOMIC_RELAXED) == 0 && pg)
			__atomic_add_fetch(&pg->partitions_done, 1, __ATOMIC_RELAXED);
	}
	if (rc == 1)
		rc = 0;
	if (rc < 0) {
		exec_qbatch_free(b);
		if (!err.message[0])
			sql_error_set(&err, 0, 0, "cannot read %s: %s", sc->table, strerror(-rc));
		exec_scan_fail(s, rc, &err);
	} else if (b && b->nrows) {
		b->bytes = sql_arena_used(b->arena) + (size_t)EXEC_BATCH * ncols * sizeof(sql_value);
		exec_scan_push(s, b);
	} else {
		exec_qbatch_free(b);
	}
	sql_arena_free(scratch);
	uint64_t spent = exec_cpu_now() - t0;
	pthread_mutex_lock(&s->lock);
	s->base.worker_ns += spent;
	s->running--;
	pthread_cond_broadcast(&s->more);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* A Parquet scan on several threads over fewer files than it has threads
 * to keep busy: each file's row groups become several work items, ranges
 * of row groups, so that the threads share a large file.  (With many files
 * the files alone spread the work, and their footers are not read twice.) */
static int exec_scan_split_rowgroups(exec_scan *s, uint32_t threads)
{
	const sql_exec_ctx *ctx = s->base.run->ctx;
	exec_work *w = NULL;
	uint32_t n = 0, cap = 0;
	int rc = 0;

	if (s->scan->format != STORE_FORMAT_PARQUET || threads < 2 || s->source.open_file ||
	    s->nwork >= 2 * threads)
		return 0;
	for (uint32_t i = 0; i < s->nwork && !rc; i++) {
		exec_work *wk = &s->work[i];
		uint32_t groups = 0, pieces = 1;
		if (wk->bytes > 0) {
			if ((rc = sql_reader_parquet_rowgroups(ctx, wk->path, &groups, s->base.run->err)))
				break;
			pieces = groups < 2 * threads ? groups : 2 * threads;
			if (pieces < 1)
				pieces = 1;
		}
		if ((rc = BASE_ARRAY_RESERVE(w, cap, (size_t)n + pieces)))
			break;
		for (uint32_t k = 0; k < pieces; k++) {
			uint32_t lo = (uint32_t)((uint64_t)groups * k / pieces);
			uint32_t hi = (uint32_t)((uint64_t)groups * (k + 1) / pieces);
			w[n] = *wk;
			if (k) {
				/* The path is each piece's own copy. */
				if (!(w[n].path = strdup(wk->path))) {
					rc = -ENOMEM;
					break;
				}
				s->parts[wk->part].files_left++;
			}
			if (pieces > 1) {
				w[n].rg_first = lo;
				w[n].rg_count = hi - lo;
				/* Progress bytes stay per file: each piece's reader counts its share. */
			}
			n++;
		}
		if (!rc)
			wk->path = NULL;   /* now the first piece's */
	}
	if (rc) {
		/* The pieces made so far own copies except the first of each file,
		 * whose path is still in s->work unless moved. */
		for (uint32_t i = 0; i < n; i++) {
			bool moved = true;
			for (uint32_t j = 0; j < s->nwork; j++)
				if (s->work[j].path == w[i].path)
					moved = false;
			if (moved)
				free(w[i].path);
		}
		free(w);
		return rc;
	}
	free(s->work);
	s->work = w;
	s->nwork = n;
	s->work_cap = cap;
	return 0;
}

static int exec_scan_start(exec_scan *s)
{
	int rc = exec_scan_plan(s);

	if (rc)
		return rc;
	uint32_t threads = s->base.plan->phys.threads ? s->base.plan->phys.threads : 1;
	if ((rc = exec_scan_split_rowgroups(s, threads)))
		return rc;
	if (threads > s->nwork)
		threads = s->nwork;
	s->max_queued = 2 * threads + 2;
	if (!threads)
		return 0;
	s->threads = calloc(threads, sizeof *s->threads);
	if (!s->threads)
		return -ENOMEM;
	for (uint32_t i = 0; i < threads; i++) {
		pthread_mutex_lock(&s->lock);
		s->running++;
		pthread_mutex_unlock(&s->lock);
		if ((rc = pthread_create(&s->threads[i], NULL, exec_scan_worker, s))) {
			pthread_mutex_lock(&s->lock);
			s->running--;
			pthread_mutex_unlock(&s->lock);
			sql_error_set(s->base.run->err, 0, 0, "cannot start a scan thread: %s",
				      strerror(rc));
			return -rc;
		}
		s->nthreads++;
	}
	return 0;
}

static int exec_scan_next(exec_node *n, exec_batch **out)
{
	exec_scan *s = (exec_scan *)n;
	int rc;

	exec_qbatch_free(s->current);
	s->current = NULL;
	*out = NULL;
	if (!s->started) {
		s->started = true;
		if ((rc = exec_scan_start(s)))
			return rc;
	}
	pthread_mutex_lock(&s->lock);
	while (!s->head && s->running && !s->wrc)
		pthread_cond_wait(&s->more, &s->lock);
	rc = s->wrc;
	if (rc) {
		*n->run->err = s->werr;
	} else if (s->head) {
		s->current = s->head;
		s->head = s->head->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		s->queued_bytes -= s->current->bytes;
		pthread_cond_signal(&s->room);
	}
	pthread_mutex_unlock(&s->lock);
	if (rc || !s->current)
		return rc;
	n->out.v = s->current->v;
	n->out.nrows = s->current->nrows;
	*out = &n->out;
	return 0;
}

static void exec_scan_close(exec_node *n)
{
	exec_scan *s = (exec_scan *)n;

	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	for (uint32_t i = 0; i < s->nthreads; i++)
		pthread_join(s->threads[i], NULL);
	free(s->threads);
	while (s->head) {
		exec_qbatch *b = s->head;
		s->head = b->next;
		exec_qbatch_free(b);
	}
	exec_qbatch_free(s->current);
	n->out.v = NULL;  /* it pointed into a queued batch */
	for (uint32_t i = 0; i < s->nwork; i++)
		free(s->work[i].path);
	free(s->work);
	if (s->source.release)
		s->source.release(s->source.open_ctx);
	memset(&s->source, 0, sizeof s->source);
	for (uint32_t i = 0; i < s->nparts; i++) {
		for (uint32_t k = 0; s->parts[i].values && k < s->scan->npartkeys; k++)
			free(s->parts[i].values[k]);
		free(s->parts[i].values);
	}
	free(s->parts);
	n->rows_in_extra = s->rows_read;
	n->plan->phys.rowgroups_read = s->rg_read;
	n->plan->phys.rowgroups_skipped = s->rg_skipped;
	n->plan->phys.files_read = s->files_read;
	n->plan->phys.files_skipped = s->files_skipped;
	n->plan->phys.partitions_skipped = s->parts_skipped;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->more);
	pthread_cond_destroy(&s->room);
}

/* ---- FILTER, PROJECT, LIMIT, UNION, ALIAS ------------------------------------------------- */

static int exec_filter_next(exec_node *n, exec_batch **out)
{
	exec_batch *in;
	int rc;

	*out = NULL;
	for (;;) {
		if ((rc = exec_pull(n->child[0], &in)) || !in)
			return rc;
		exec_new_scratch(n);
		if ((rc = exec_batch_reserve(&n->out, in->nrows)))
			return rc;
		n->out.nrows = 0;
		for (uint32_t r = 0; r < in->nrows; r++) {
			const sql_value *row = in->v + (size_t)r * in->ncols;
			sql_value v;
			if ((rc = sql_eval(n->scratch, n->plan->cond, row, &v)))
				return exec_eval_error(n, n->plan->cond, rc);
			if (v.null || !v.u.b)
				continue;
			memcpy(n->out.v + (size_t)n->out.nrows++ * n->ncols, row, n->ncols * sizeof *row);
		}
		if (n->out.nrows) {
			*out = &n->out;
			return 0;
		}
	}
}

static int exec_project_next(exec_node *n, exec_batch **out)
{
	exec_batch *in;
	int rc;

	*out = NULL;
	if ((rc = exec_pull(n->child[0], &in)) || !in)
		return rc;
	exec_new_scratch(n);
	if ((rc = exec_batch_reserve(&n->out, in->nrows)))
		return rc;
	for (uint32_t r = 0; r < in->nrows; r++) {
		const sql_value *row = in->v + (size_t)r * in->ncols;
		for (uint32_t i = 0; i < n->ncols; i++) {
			const sql_expr *e = n->plan->exprs[i];
			if ((rc = sql_eval(n->scratch, e, row, &n->out.v[(size_t)r * n->ncols + i])))
				return exec_eval_error(n, e, rc);
		}
	}
	n->out.nrows = in->nrows;
	*out = &n->out;
	return 0;
}

typedef struct exec_limit {
	exec_node base;
	int64_t seen;
	int64_t skipped;          /* of the plan's offset */
} exec_limit;

static int exec_limit_next(exec_node *n, exec_batch **out)
{
	exec_limit *l = (exec_limit *)n;
	exec_batch *in;
	int rc;

	*out = NULL;
	for (;;) {
		if (n->plan->limit >= 0 && l->seen >= n->plan->limit)
			return 0;
		if ((rc = exec_pull(n->child[0], &in)) || !in)
			return rc;
		n->out = *in;
		n->out.cap = 0;  /* borrowed: never freed or grown here */
		if (l->skipped < n->plan->offset) {
			int64_t skip = n->plan->offset - l->skipped;
			if (skip > (int64_t)in->nrows)
				skip = in->nrows;
			l->skipped += skip;
			n->out.v += (size_t)skip * in->ncols;
			n->out.nrows -= (uint32_t)skip;
			if (!n->out.nrows)
				continue;
		}
		if (n->plan->limit >= 0 && (int64_t)n->out.nrows > n->plan->limit - l->seen)
			n->out.nrows = (uint32_t)(n->plan->limit - l->seen);
		l->seen += n->out.nrows;
		*out = &n->out;
		return 0;
	}
}

static void exec_borrowed_close(exec_node *n)
{
	n->out.v = NULL;
}

static int exec_union_next(exec_node *n, exec_batch **out)
{
	int rc;

	while (n->nchildren) {
		exec_node *c = n->child[2 - n->nchildren];
		if ((rc = exec_pull(c, out)))
			return rc;
		if (*out)
			return 0;
		n->nchildren--;
	}
	*out = NULL;
	return 0;
}

static int exec_pass_next(exec_node *n, exec_batch **out)
{
	return exec_pull(n->child[0], out);
}

/* ---- VALUES, ONE_ROW -------------------------------------------------------------------- */

static int exec_values_next(exec_node *n, exec_batch **out)
{
	int rc;

	*out = NULL;
	if (n->done)
		return 0;
	n->done = true;
	uint32_t nrows = n->plan->kind == SQL_PLAN_ONE_ROW ? 1 : n->plan->nrows;
	if (!nrows)
		return 0;
	if ((rc = exec_batch_reserve(&n->out, nrows)))
		return rc;
	for (uint32_t r = 0; r < n->plan->nrows && n->plan->kind == SQL_PLAN_VALUES; r++) {
		for (uint32_t i = 0; i < n->ncols; i++) {
			const sql_expr *e = n->plan->rows[r][i];
			if ((rc = sql_eval_const(n->arena, e, &n->out.v[(size_t)r * n->ncols + i])))
				return exec_eval_error(n, e, rc);
		}
	}
	n->out.nrows = nrows;
	*out = &n->out;
	return 0;
}

/* ---- AGGREGATE and DISTINCT ---------------------------------------------------------------- */

typedef struct exec_agg_state {
	int64_t count;
	int64_t i;
	double d;
	sql_int128 dec;           /* decimal sum/avg: unscaled, at the argument's scale */
	bool overflow;            /* the decimal sum left 38 digits: the result is NULL */
	sql_value v;              /* min/max */
	bool has;
} exec_agg_state;

/*
 * A hash aggregate or DISTINCT that reaches its memory budget (less a
 * quarter kept for the growth of the groups it holds: count(DISTINCT)
 * values, min and max strings) stops adding groups: the table it holds is
 * frozen.  Input rows of groups in the table still update them (or, for
 * DISTINCT, are dropped as seen); a row of any other group goes to one of
 * FANOUT spill files chosen by its key's hash.
 * When the input ends the frozen table's groups are complete and are
 * output; then each partition is read back and aggregated the same way
 * with an empty table, a partition that is still too big being partitioned
 * again with the next round's hash seed.  A group is never split, so
 * partial states are never merged, and exec_agg_update/exec_agg_result
 * work on whole groups whatever aggregates they compute.
 */
#define EXEC_AGG_MAX_FANOUT 16
#define EXEC_AGG_MAX_ROUNDS 8

typedef struct exec_agg_part {
	sql_spill_file *f;        /* rows of the child's columns */
	uint32_t level;           /* the partitioning round that wrote it, from 1 */
} exec_agg_part;

typedef struct exec_agg {
	exec_node base;
	uint32_t child_cols;
	sql_arena *fixed;         /* aggs, outs, needed: outlive each partition's table */
	sql_expr **aggs;          /* the AGG nodes of the output, one slot each */
	uint32_t naggs, aggs_cap;
	sql_expr **outs;          /* output exprs with AGG nodes replaced by slot columns */
	bool *needed;             /* child columns read outside aggregates */
	exec_hash groups;
	exec_hash seen;           /* DISTINCT aggregates: (group, slot, value) */
	sql_value **reps;         /* per group: the child row's needed columns */
	exec_agg_state **states;  /* per group: naggs states */
	uint32_t reps_cap;
	uint32_t emitted;
	bool built;
	bool distinct_node;       /* a DISTINCT: groups are whole rows, no aggregates */
	/* Spilling (see above). */
	uint32_t fanout;
	uint32_t level;           /* round of the input being read: 0 the child, else a partition's */
	sql_spill_file *src;      /* the partition being read, NULL: the child */
	bool frozen;
	sql_spill_file *parts[EXEC_AGG_MAX_FANOUT];
	exec_agg_part *pending;   /* partitions still to aggregate (a stack) */
	uint32_t npending, pending_cap;
} exec_agg;

/* Copy E, replacing each AGG node by a column at CHILD_COLS + its slot. */
static sql_expr *exec_agg_rewrite(exec_agg *g, const sql_expr *e)
{
	sql_arena *a = g->fixed;

	if (!e)
		return NULL;
	if (e->kind == SQL_EXPR_AGG) {
		uint32_t slot = g->naggs;
		if (g->naggs == g->aggs_cap) {
			g->aggs_cap = g->aggs_cap ? g->aggs_cap * 2 : 8;
			sql_expr **na = sql_arena_alloc(a, g->aggs_cap * sizeof *na);
			if (g->naggs)
				memcpy(na, g->aggs, g->naggs * sizeof *na);
			g->aggs = na;
		}
		g->aggs[g->naggs++] = (sql_expr *)e;
		sql_expr *c = sql_arena_alloc(a, sizeof *c);
		c->kind = SQL_EXPR_COLUMN;
		c->type = e->type;
		c->resolved = true;
		c->line = e->line;
		c->col = e->col;
		c->ordinal = (int32_t)(g->child_cols + slot);
		c->name = e->name;
		return c;
	}
	if (e->kind == SQL_EXPR_COLUMN && e->ordinal >= 0 && (uint32_t)e->ordinal < g->child_cols)
		g->needed[e->ordinal] = true;
	sql_expr *c = sql_arena_alloc(a, sizeof *c);
	*c = *e;
	if (e->nargs) {
		c->args = sql_arena_alloc(a, e->nargs * sizeof *c->args);
		for (uint32_t i = 0; i < e->nargs; i++)
			c->args[i] = exec_agg_rewrite(g, e->args[i]);
	}
	return c;
}

static uint64_t exec_agg_bytes(const exec_agg *g)
{
	uint64_t bytes = sql_arena_used(g->base.arena) + exec_hash_bytes(&g->groups) +
			 exec_hash_bytes(&g->seen) + (uint64_t)g->reps_cap * (sizeof *g->reps + sizeof *g->states);

	for (uint32_t p = 0; p < g->fanout; p++)
		if (g->parts[p])
			bytes += sql_spill_held(g->parts[p]);
	if (g->src)
		bytes += sql_spill_held(g->src);
	return bytes;
}

/* What one more group with key KEY (from input row ROW) will add to what
 * the aggregate holds, the tables' growth included. */
static uint64_t exec_agg_group_need(const exec_agg *g, const sql_value *key, const sql_value *row)
{
	const exec_hash *h = &g->groups;
	uint64_t need = (uint64_t)(h->nkeys + g->child_cols + 1) * sizeof(sql_value) +
			(uint64_t)g->naggs * sizeof(exec_agg_state);

	for (uint32_t i = 0; i < h->nkeys; i++)
		if (key[i].type == SQL_TYPE_STRING && !key[i].null)
			need += key[i].u.s.len;
	for (uint32_t i = 0; i < g->child_cols && !g->distinct_node; i++)
		if (g->needed[i] && row[i].type == SQL_TYPE_STRING && !row[i].null)
			need += row[i].u.s.len;
	if ((uint64_t)(h->n + 1) * 2 > h->cap)
		need += (uint64_t)(h->cap ? h->cap * 2 : 1024) * sizeof *h->slots;
	if (h->n + 1 > h->items_cap)
		need += (uint64_t)(h->items_cap ? h->items_cap : 16) * (sizeof *h->hashes + sizeof *h->keys);
	if (h->n + 1 > g->reps_cap)
		need += (uint64_t)(g->reps_cap ? g->reps_cap : 16) * (sizeof *g->reps + sizeof *g->states);
	return need;
}

static int exec_agg_new_group(exec_agg *g, const sql_value *key, uint64_t hash, const sql_value *row,
			      uint32_t *idx)
{
	sql_arena *a = g->base.arena;
	int rc = exec_hash_insert(&g->groups, hash, key, idx);

	if (rc)
		return rc;
	uint32_t rcap = g->reps_cap, scap = g->reps_cap;
	if ((rc = BASE_ARRAY_RESERVE(g->reps, rcap, (size_t)*idx + 1)) ||
	    (rc = BASE_ARRAY_RESERVE(g->states, scap, (size_t)*idx + 1)))
		return rc;
	g->reps_cap = rcap;
	g->reps[*idx] = NULL;
	if (row && !g->distinct_node) {
		sql_value *rep = sql_arena_alloc(a, (g->child_cols ? g->child_cols : 1) * sizeof *rep);
		for (uint32_t i = 0; i < g->child_cols; i++) {
			if (g->needed[i])
				exec_copy_values(a, &rep[i], &row[i], 1);
			else
				rep[i] = (sql_value){.type = SQL_TYPE_NULL, .null = true};
		}
		g->reps[*idx] = rep;
	}
	g->states[*idx] = g->naggs ? sql_arena_alloc(a, g->naggs * sizeof(exec_agg_state)) : NULL;
	return 0;
}

static int exec_agg_update(exec_agg *g, uint32_t group, const sql_value *row)
{
	for (uint32_t s = 0; s < g->naggs; s++) {
		const sql_expr *e = g->aggs[s];
		exec_agg_state *st = &g->states[group][s];
		sql_value v = {.type = SQL_TYPE_BIGINT};
		int rc;
		if (e->nargs == 0) {      /* count(*) */
			st->count++;
			continue;
		}
		if ((rc = sql_eval(g->base.scratch, e->args[0], row, &v)))
			return exec_eval_error(&g->base, e->args[0], rc);
		if (v.null || v.type == SQL_TYPE_NULL)
			continue;
		if (e->distinct) {
			sql_value key[3] = {{.type = SQL_TYPE_BIGINT, .u.i = group},
					    {.type = SQL_TYPE_BIGINT, .u.i = s}, v};
			uint64_t h = exec_hash_row(key, 3);
			if (exec_hash_find(&g->seen, h, key) != UINT32_MAX)
				continue;
			sql_value *kept = sql_arena_alloc(g->base.arena, sizeof key);
			exec_copy_values(g->base.arena, kept, key, 3);
			uint32_t item;
			if ((rc = exec_hash_insert(&g->seen, h, kept, &item)))
				return rc;
		}
		switch (e->agg) {
		case SQL_AGG_COUNT:
			st->count++;
			break;
		case SQL_AGG_SUM:
		case SQL_AGG_AVG:
			st->count++;
			if (sql_type_is_decimal(e->type) && sql_type_is_decimal(v.type)) {
				/* Exact: every value has the argument's scale.  The
				 * sum's type is decimal(p+10,s) (at most 38 digits),
				 * as Spark's; a sum that leaves it once is NULL. */
				unsigned p = sql_type_precision(e->args[0]->type) + 10;
				sql_int128 lim = sql_decimal_pow10(p < 38 ? p : 38);
				if (__builtin_add_overflow(st->dec, v.u.dec, &st->dec) ||
				    st->dec >= lim || st->dec <= -lim)
					st->overflow = true;
			} else if (e->agg == SQL_AGG_SUM && e->type == SQL_TYPE_BIGINT &&
				   v.type == SQL_TYPE_BIGINT)
				st->i = (int64_t)((uint64_t)st->i + (uint64_t)v.u.i);
			else if ((rc = sql_value_cast(NULL, &v, SQL_TYPE_DOUBLE, &v)) == 0 && !v.null)
				st->d += v.u.d;
			else if (rc)
				return exec_eval_error(&g->base, e, rc);
			break;
		case SQL_AGG_MIN:
		case SQL_AGG_MAX: {
			int c = st->has ? sql_value_compare(&v, &st->v) : 0;
			if (!st->has || (e->agg == SQL_AGG_MIN ? c < 0 : c > 0)) {
				exec_copy_values(g->base.arena, &st->v, &v, 1);
				st->has = true;
			}
			break;
		}
		}
	}
	return 0;
}

static sql_value exec_agg_result(const sql_expr *e, const exec_agg_state *st)
{
	sql_value r = {.type = e->type, .null = true};

	switch (e->agg) {
	case SQL_AGG_COUNT:
		r.null = false;
		r.u.i = st->count;
		r.type = SQL_TYPE_BIGINT;
		break;
	case SQL_AGG_SUM:
		if (!st->count)
			break;
		r.null = false;
		if (sql_type_is_decimal(e->type)) {
			unsigned sc = sql_type_scale(e->args[0]->type);
			r.null = st->overflow || !sql_decimal_rescale(st->dec, sc, e->type, &r.u.dec);
		} else if (e->type == SQL_TYPE_BIGINT) {
			r.u.i = st->i;
		} else {
			r.u.d = st->d;
		}
		break;
	case SQL_AGG_AVG:
		if (!st->count)
			break;
		r.null = false;
		if (sql_type_is_decimal(e->type)) {
			/* As Spark: the decimal(p+10,s) sum divided by the count as
			 * decimal(20,0) (DecimalPrecision's division type), then
			 * cast to decimal(p+4,s+4), both rounding HALF_UP. */
			sql_type at = e->args[0]->type, ct = sql_type_decimal(20, 0);
			sql_type st_type = sql_decimal_bounded((int)sql_type_precision(at) + 10,
							       (int)sql_type_scale(at));
			sql_type qt = sql_decimal_result_type(SQL_OP_DIV, st_type, ct);
			sql_int128 q;
			r.null = st->overflow ||
				 sql_decimal_arith(SQL_OP_DIV, st->dec, sql_type_scale(at),
						   st->count, 0, qt, &q) != 0 ||
				 !sql_decimal_rescale(q, sql_type_scale(qt), e->type, &r.u.dec);
			break;
		}
		r.type = SQL_TYPE_DOUBLE;
		r.u.d = st->d / (double)st->count;
		break;
	default:
		if (st->has)
			r = st->v;
		break;
	}
	return r;
}

/* Send ROW, of a group not in the frozen table, to its partition. */
static int exec_agg_spill_row(exec_agg *g, uint64_t hash, const sql_value *row)
{
	exec_node *n = &g->base;
	/* A seed per round, so a partition splits again in the next one. */
	uint64_t h = exec_mix(hash ^ (UINT64_C(0x9e3779b97f4a7c15) * (g->level + 1)));
	uint32_t p = (uint32_t)((h >> 32) % g->fanout);
	int rc;

	if (!g->parts[p] && (rc = exec_spill_new(n, g->child_cols, &g->parts[p])))
		return rc;
	return sql_spill_write(g->parts[p], row, n->run->err);
}

/* Aggregate one input row: update its group, start it, or spill it. */
static int exec_agg_consume(exec_agg *g, const sql_value *row)
{
	exec_node *n = &g->base;
	uint32_t nkeys = g->groups.nkeys;
	uint64_t budget = n->plan->phys.memory_budget;
	sql_value key[nkeys ? nkeys : 1];
	uint32_t group;
	int rc;

	if (g->distinct_node) {
		memcpy(key, row, nkeys * sizeof *key);
	} else {
		for (uint32_t k = 0; k < nkeys; k++)
			if ((rc = sql_eval(n->scratch, n->plan->groups[k], row, &key[k])))
				return exec_eval_error(n, n->plan->groups[k], rc);
	}
	uint64_t h = exec_hash_row(key, nkeys);
	group = exec_hash_find(&g->groups, h, key);
	if (group == UINT32_MAX) {
		if (!g->frozen && budget) {
			/* Room for the partitions' buffers, and a quarter of the
			 * budget for the groups held to grow as they are updated. */
			uint64_t reserve = (uint64_t)g->fanout *
					   (SQL_SPILL_BUFFER + (g->child_cols + 1) * sizeof(sql_value));
			uint64_t need = exec_agg_bytes(g) + exec_agg_group_need(g, key, row) + reserve;
			if (need > budget - budget / 4) {
				if (!g->groups.n)
					return exec_mem_fail(n, "HashAggregate", "for a single group");
				if (g->level >= EXEC_AGG_MAX_ROUNDS)
					return exec_mem_fail(n, "HashAggregate", "for groups of one hash");
				g->frozen = true;
				if (n->plan->phys.spill_passes < g->level + 1)
					n->plan->phys.spill_passes = g->level + 1;
			}
		}
		if (g->frozen)
			return exec_agg_spill_row(g, h, row);
		/* Keep the key: its values and their strings. */
		sql_value *kept = sql_arena_alloc(n->arena, (nkeys ? nkeys : 1) * sizeof *kept);
		exec_copy_values(n->arena, kept, key, nkeys);
		if ((rc = exec_agg_new_group(g, kept, h, row, &group)))
			return rc;
		if (g->distinct_node) {
			/* DISTINCT streams: a row is output when first seen. */
			if ((rc = exec_batch_reserve(&n->out, n->out.nrows + 1)))
				return rc;
			memcpy(n->out.v + (size_t)n->out.nrows++ * n->ncols, g->groups.keys[group],
			       n->ncols * sizeof(sql_value));
		}
	}
	if (!g->distinct_node)
		return exec_agg_update(g, group, row);
	return 0;
}

/* Aggregate one chunk of the input: a batch of the child's, or up to
 * EXEC_BATCH rows of the partition being read.  0, 1 when the input has
 * ended (nothing was read), or -errno. */
static int exec_agg_feed(exec_agg *g)
{
	exec_node *n = &g->base;
	uint32_t count = 0;
	exec_batch *in;
	int rc = 0;

	if (n->run->ctx->progress && n->run->ctx->progress->cancel)
		return -ECANCELED;
	if (!g->src) {
		if ((rc = exec_pull(n->child[0], &in)) || !in)
			return rc ? rc : 1;
		exec_new_scratch(n);
		if (!g->distinct_node)
			exec_hash_prefetch(&g->groups, n->plan->groups, g->groups.nkeys, in);
		for (uint32_t r = 0; r < in->nrows && !rc; r++)
			rc = exec_agg_consume(g, in->v + (size_t)r * in->ncols);
	} else {
		exec_new_scratch(n);
		for (; count < EXEC_BATCH && !rc; count++) {
			const sql_value *row;
			if ((rc = sql_spill_read(g->src, &row, n->run->err)))
				break;
			rc = exec_agg_consume(g, row);
		}
		if (rc == 1)
			rc = count ? 0 : 1;
	}
	if (rc)
		return rc;
	uint64_t bytes = exec_agg_bytes(g);
	exec_held(n, bytes);
	/* New groups never take it past its budget (exec_agg_consume); the
	 * groups held may still grow (count(DISTINCT) values, min and max
	 * strings), and that cannot be spilled. */
	if (n->plan->phys.memory_budget && bytes > n->plan->phys.memory_budget) {
		return exec_mem_fail(n, "HashAggregate", "for the groups it holds");
	}
	return 0;
}

/* The input has ended: what was spilled becomes partitions to aggregate. */
static int exec_agg_end_input(exec_agg *g)
{
	exec_node *n = &g->base;
	int rc;

	exec_spill_close(n, g->src);
	g->src = NULL;
	for (uint32_t p = 0; p < g->fanout; p++) {
		if (!g->parts[p])
			continue;
		if ((rc = BASE_ARRAY_RESERVE(g->pending, g->pending_cap, (size_t)g->npending + 1)))
			return rc;
		g->pending[g->npending++] = (exec_agg_part){g->parts[p], g->level + 1};
		g->parts[p] = NULL;
		if ((rc = sql_spill_rewind(g->pending[g->npending - 1].f, n->run->err)))
			return rc;
	}
	return 0;
}

/* Drop the table and start reading the next partition. */
static void exec_agg_next_partition(exec_agg *g)
{
	exec_node *n = &g->base;
	uint32_t nkeys = g->groups.nkeys;

	exec_hash_free(&g->groups);
	exec_hash_free(&g->seen);
	g->groups.nkeys = nkeys;
	g->seen.nkeys = 3;
	free(g->reps);
	free(g->states);
	g->reps = NULL;
	g->states = NULL;
	g->reps_cap = 0;
	g->emitted = 0;
	g->built = false;
	g->frozen = false;
	sql_arena_free(n->arena);
	n->arena = sql_arena_new();
	exec_agg_part part = g->pending[--g->npending];
	g->src = part.f;
	g->level = part.level;
}

static int exec_distinct_next(exec_node *n, exec_batch **out)
{
	exec_agg *g = (exec_agg *)n;
	int rc;

	*out = NULL;
	n->out.nrows = 0;
	while (!n->done) {
		if ((rc = exec_agg_feed(g)) < 0)
			return rc;
		if (rc == 1) {
			if ((rc = exec_agg_end_input(g)))
				return rc;
			if (g->npending)
				exec_agg_next_partition(g);
			else
				n->done = true;
		}
		if (n->out.nrows) {
			*out = &n->out;
			return 0;
		}
	}
	return 0;
}

static int exec_agg_next(exec_node *n, exec_batch **out)
{
	exec_agg *g = (exec_agg *)n;
	int rc;

	*out = NULL;
	while (!g->built) {
		while ((rc = exec_agg_feed(g)) == 0)
			;
		if (rc < 0 || (rc = exec_agg_end_input(g)))
			return rc;
		g->built = true;
		/* A global aggregate has one row even when its input had none. */
		if (n->plan->ngroups == 0 && g->groups.n == 0) {
			uint32_t idx;
			sql_value *none = sql_arena_alloc(n->arena, sizeof *none);
			sql_value *rep = sql_arena_alloc(n->arena, (g->child_cols + 1) * sizeof *rep);
			for (uint32_t i = 0; i < g->child_cols; i++)
				rep[i] = (sql_value){.type = SQL_TYPE_NULL, .null = true};
			if ((rc = exec_agg_new_group(g, none, 0, rep, &idx)))
				return rc;
		}
	}
	if (g->emitted >= g->groups.n) {
		if (!g->npending)
			return 0;
		exec_agg_next_partition(g);
		return exec_agg_next(n, out);
	}
	exec_new_scratch(n);
	uint32_t count = g->groups.n - g->emitted;
	if (count > EXEC_BATCH)
		count = EXEC_BATCH;
	if ((rc = exec_batch_reserve(&n->out, count)))
		return rc;
	sql_value ext[g->child_cols + g->naggs + 1];
	for (uint32_t r = 0; r < count; r++) {
		uint32_t gi = g->emitted + r;
		for (uint32_t i = 0; i < g->child_cols; i++)
			ext[i] = g->reps[gi] ? g->reps[gi][i] : (sql_value){.null = true};
		for (uint32_t s = 0; s < g->naggs; s++)
			ext[g->child_cols + s] = exec_agg_result(g->aggs[s], &g->states[gi][s]);
		for (uint32_t i = 0; i < n->ncols; i++)
			if ((rc = sql_eval(n->scratch, g->outs[i], ext, &n->out.v[(size_t)r * n->ncols + i])))
				return exec_eval_error(n, g->outs[i], rc);
	}
	g->emitted += count;
	n->out.nrows = count;
	*out = &n->out;
	return 0;
}

static void exec_agg_close(exec_node *n)
{
	exec_agg *g = (exec_agg *)n;

	exec_spill_close(n, g->src);
	for (uint32_t p = 0; p < EXEC_AGG_MAX_FANOUT; p++)
		exec_spill_close(n, g->parts[p]);
	for (uint32_t i = 0; i < g->npending; i++)
		exec_spill_close(n, g->pending[i].f);
	free(g->pending);
	sql_arena_free(g->fixed);
	exec_hash_free(&g->groups);
	exec_hash_free(&g->seen);
	free(g->reps);
	free(g->states);
}

/* ---- JOIN -------------------------------------------------------------------------------- */

/*
 * Every join type runs as a hash join that builds from the right side
 * (child[1]) and probes with the left (child[0]); a join without equi keys
 * puts every build row in one bucket, so it is a nested loop.
 *
 * For each left row the candidates are the build rows whose keys equal its
 * keys (a NULL key equals nothing); the residual condition (plan->cond),
 * evaluated on the left row followed by the build row, decides which
 * candidates match.  Then:
 *   INNER, LEFT, RIGHT, FULL  each match is an output row;
 *   LEFT, FULL                a left row without a match is output with
 *                             NULLs for the right columns;
 *   RIGHT, FULL               once the left side is exhausted, every build
 *                             row that never matched is output with NULLs
 *                             for the left columns;
 *   LEFT_SEMI                 a left row with a match is output once;
 *   LEFT_ANTI                 a left row without a match is output.
 * A null-aware anti join (NOT IN) also counts as matches the build rows
 * whose keys might equal the left row's: where a key of either row is NULL
 * and the other keys are equal.  Without a residual that means: a NULL key
 * on the right removes every left row, and a left row with a NULL key
 * survives only an empty right side.
 *
 * The table (exec_join_table) and the probe (exec_join_probe) know nothing
 * of where their rows come from: a join that partitions its input can build
 * one table per partition and probe it with that partition's rows.
 */

/* The build side in memory. */
typedef struct exec_join_table {
	sql_arena *arena;         /* owns the kept rows (not owned by the table) */
	exec_hash hash;           /* build keys -> item */
	uint32_t *head;           /* per item: first build row + 1 */
	uint32_t *next;           /* per build row: next row + 1 with the same key */
	sql_value **rows;         /* build rows: rcols values, then nkeys key values */
	uint8_t *matched;         /* per build row: matched a left row (RIGHT, FULL) */
	uint32_t *null_rows;      /* build rows with a NULL key */
	uint32_t nrows, rows_cap, next_cap, matched_cap, items_cap, nnull, null_cap;
} exec_join_table;

/* The candidates of a left row: the build rows of its bucket; then, for
 * NOT IN, the build rows with a NULL key; for NOT IN and a left row with a
 * NULL key, every build row instead; or none (a NULL key otherwise). */
enum { EXEC_JOIN_BUCKET, EXEC_JOIN_NULL_ROWS, EXEC_JOIN_ALL_ROWS, EXEC_JOIN_NONE };

/* Where the probe of one left batch stands, so that a left row with many
 * matches can fill several output batches. */
typedef struct exec_join_cursor {
	uint32_t row;             /* left row being probed */
	bool started;             /* its keys are evaluated and its candidates set up */
	bool key_null;            /* one of its keys is NULL */
	bool matched;             /* it matched at least once */
	uint8_t phase;            /* where its candidates come from (EXEC_JOIN_*) */
	uint32_t chain;           /* BUCKET: next build row + 1; NULL_ROWS, ALL_ROWS: next index */
	sql_value *key;           /* nkeys values (in the node's arena) */
} exec_join_cursor;

/*
 * Grace hash join.  When the build side outgrows the join's memory budget
 * (less room for the partitions' buffers), the rows held are written to
 * FANOUT build partitions by a hash of their keys, and so is the rest of
 * the right side; then the whole left side is written to left partitions
 * by the same hash.  Each pair of partitions is then joined as above: its
 * build partition becomes the table, its left partition is probed against
 * it, and (RIGHT, FULL) its unmatched build rows follow.  Equal keys hash
 * alike, so every match is within one pair; a row with a NULL key matches
 * nothing and goes to any pair, where it is output unmatched if the join
 * type wants it.  A build partition still too big is partitioned
 * again, with its left partition, with the next round's hash seed.
 *
 * A null-aware anti join (NOT IN) of one key and no residual partitions
 * too: a NULL key on the right removes every left row, so once one is
 * seen nothing is output; without one, a left row with a NULL key is
 * removed by the right side (not empty, since it outgrew the budget), and
 * the other left rows are those of a plain anti join.  A join without equi
 * keys, and a null-aware anti join of several keys or with a residual
 * (where a NULL key on one side may meet any row of the other), cannot be
 * partitioned: past their budget they fail, naming memory_per_job.
 */
#define EXEC_JOIN_MAX_FANOUT 16
#define EXEC_JOIN_MAX_ROUNDS 8

typedef struct exec_join_pair {
	sql_spill_file *build;    /* rcols + nkeys values a row; NULL: no rows */
	sql_spill_file *left;     /* lcols values a row; NULL: no rows */
	uint32_t level;           /* partitioning rounds behind it, from 1 */
} exec_join_pair;

typedef struct exec_join {
	exec_node base;
	uint32_t lcols, rcols;
	exec_join_table table;
	exec_join_cursor cur;
	exec_batch *in;           /* the left batch being probed, NULL between batches */
	sql_value *pair;          /* lcols + rcols: the row the residual reads */
	uint32_t unmatched;       /* RIGHT, FULL: next build row to check after the probe */
	bool built, probed;
	/* Grace hash join (see above). */
	bool grace;
	uint32_t fanout;
	sql_spill_file *bparts[EXEC_JOIN_MAX_FANOUT], *lparts[EXEC_JOIN_MAX_FANOUT];   /* being written */
	exec_join_pair *pending;  /* pairs still to join (a stack) */
	uint32_t npending, pending_cap;
	sql_spill_file *lsrc;     /* the left partition being probed */
	exec_batch lbatch;        /* its rows, strings in larena */
	sql_arena *larena;
	uint32_t null_turn;       /* where the next row with a NULL key goes */
	bool na_null;             /* partitioned NOT IN: the right side holds a NULL key */
} exec_join;

static bool exec_join_keeps_unmatched_build(const sql_plan *p)
{
	return p->join_type == SQL_JOIN_RIGHT || p->join_type == SQL_JOIN_FULL;
}

static bool exec_join_outputs_right(const sql_plan *p)
{
	return p->join_type != SQL_JOIN_LEFT_SEMI && p->join_type != SQL_JOIN_LEFT_ANTI;
}

static uint64_t exec_join_table_bytes(const exec_join_table *t)
{
	return sql_arena_used(t->arena) + exec_hash_bytes(&t->hash) +
	       (uint64_t)t->items_cap * sizeof *t->head +
	       (uint64_t)t->rows_cap * sizeof *t->rows + (uint64_t)t->next_cap * sizeof *t->next +
	       (uint64_t)t->matched_cap * sizeof *t->matched +
	       (uint64_t)t->null_cap * sizeof *t->null_rows;
}

static void exec_join_table_free(exec_join_table *t)
{
	exec_hash_free(&t->hash);
	free(t->head);
	free(t->next);
	free(t->rows);
	free(t->matched);
	free(t->null_rows);
	memset(t, 0, sizeof *t);
}

/* Evaluate N's key expressions KEYS over ROW into KEY (strings in the
 * scratch arena); *KEY_NULL tells whether one of them is NULL. */
static int exec_join_keys(exec_node *n, sql_expr *const *keys, const sql_value *row, sql_value *key,
			  bool *key_null)
{
	int rc;

	*key_null = false;
	for (uint32_t k = 0; k < n->plan->nkeys; k++) {
		if ((rc = sql_eval(n->scratch, keys[k], row, &key[k])))
			return exec_eval_error(n, keys[k], rc);
		*key_null |= key[k].null || key[k].type == SQL_TYPE_NULL;
	}
	return 0;
}

/* Keep build ROW (RCOLS values) with its evaluated KEY (NKEYS values) in T.
 * A row with a NULL key goes into no bucket: only the outer joins (to
 * output it unmatched) and the null-aware anti join (where it removes
 * left rows) need it. */
static int exec_join_table_add(exec_join_table *t, uint32_t rcols, uint32_t nkeys,
			       const sql_value *row, const sql_value *key, bool key_null)
{
	int rc;
	uint32_t rcap = t->rows_cap, ncap = t->next_cap, mcap = t->matched_cap;

	if ((rc = BASE_ARRAY_RESERVE(t->rows, rcap, (size_t)t->nrows + 1)) ||
	    (rc = BASE_ARRAY_RESERVE(t->next, ncap, (size_t)t->nrows + 1)) ||
	    (rc = BASE_ARRAY_RESERVE(t->matched, mcap, (size_t)t->nrows + 1)))
		return rc;
	t->rows_cap = rcap;
	t->next_cap = ncap;
	t->matched_cap = mcap;
	sql_value *kept = sql_arena_alloc(t->arena, (rcols + nkeys + 1) * sizeof *kept);
	exec_copy_values(t->arena, kept, row, rcols);
	exec_copy_values(t->arena, kept + rcols, key, nkeys);
	uint32_t rowi = t->nrows++;
	t->rows[rowi] = kept;
	t->matched[rowi] = 0;
	t->next[rowi] = 0;
	if (key_null) {
		if ((rc = BASE_ARRAY_RESERVE(t->null_rows, t->null_cap, (size_t)t->nnull + 1)))
			return rc;
		t->null_rows[t->nnull++] = rowi;
		return 0;
	}
	uint64_t h = exec_hash_row(kept + rcols, nkeys);
	uint32_t item = exec_hash_find(&t->hash, h, kept + rcols);
	if (item == UINT32_MAX) {
		if ((rc = exec_hash_insert(&t->hash, h, kept + rcols, &item)))
			return rc;
		if ((rc = BASE_ARRAY_RESERVE(t->head, t->items_cap, (size_t)item + 1)))
			return rc;
		t->head[item] = 0;
	}
	/* Prepend; the probe walks the chain backwards, so rows of one key
	 * come out in reverse build order (no order is promised). */
	t->next[rowi] = t->head[item];
	t->head[item] = rowi + 1;
	return 0;
}

/* What J holds: its table and the spill files it is writing or reading. */
static uint64_t exec_join_held(const exec_join *j)
{
	uint64_t bytes = exec_join_table_bytes(&j->table);

	for (uint32_t p = 0; p < j->fanout; p++) {
		if (j->bparts[p])
			bytes += sql_spill_held(j->bparts[p]);
		if (j->lparts[p])
			bytes += sql_spill_held(j->lparts[p]);
	}
	if (j->lsrc)
		bytes += sql_spill_held(j->lsrc) + sql_arena_used(j->larena) +
			 (uint64_t)j->lbatch.cap * j->lcols * sizeof(sql_value);
	return bytes;
}

/* Whether the table has outgrown the budget, less room for the buffers of
 * the partitions it would be written to. */
static bool exec_join_over(const exec_join *j)
{
	const exec_node *n = &j->base;
	uint64_t budget = n->plan->phys.memory_budget;
	uint32_t widest = j->lcols > j->rcols + n->plan->nkeys ? j->lcols : j->rcols + n->plan->nkeys;
	uint64_t reserve = (uint64_t)(j->fanout + 1) * (SQL_SPILL_BUFFER + (widest + 1) * sizeof(sql_value));

	return budget && exec_join_table_bytes(&j->table) + reserve > budget;
}

/* The partition of a row with KEY in the partitioning round SEED.  A row
 * with a NULL key matches nothing and may go anywhere: in turn to each. */
static uint32_t exec_join_part_of(exec_join *j, const sql_value *key, bool key_null, uint32_t seed)
{
	if (key_null)
		return j->null_turn++ % j->fanout;
	uint64_t h = exec_mix(exec_hash_row(key, j->base.plan->nkeys) ^
			      (UINT64_C(0x9e3779b97f4a7c15) * (seed + 1)));
	return (uint32_t)((h >> 32) % j->fanout);
}

/* Write ROWKEY (a build row's rcols values, then its keys) to its partition
 * among J's bparts. */
static int exec_join_spill_build(exec_join *j, const sql_value *rowkey, bool key_null, uint32_t seed)
{
	exec_node *n = &j->base;
	uint32_t p = exec_join_part_of(j, rowkey + j->rcols, key_null, seed);
	int rc;

	if (key_null && n->plan->null_aware) {
		j->na_null = true;   /* NOT IN (..., NULL, ...): no left row survives */
		return 0;
	}
	if (!j->bparts[p] && (rc = exec_spill_new(n, j->rcols + n->plan->nkeys, &j->bparts[p])))
		return rc;
	return sql_spill_write(j->bparts[p], rowkey, n->run->err);
}

/* Write the left row ROW to its partition among J's lparts. */
static int exec_join_spill_left(exec_join *j, const sql_value *row, uint32_t seed)
{
	exec_node *n = &j->base;
	sql_join_type type = n->plan->join_type;
	sql_value key[n->plan->nkeys ? n->plan->nkeys : 1];
	bool key_null;
	int rc;

	if ((rc = exec_join_keys(n, n->plan->lkeys, row, key, &key_null)))
		return rc;
	/* A left row with a NULL key is output only unmatched, and NOT IN over
	 * a right side that is not empty removes it. */
	if (key_null && ((type != SQL_JOIN_LEFT && type != SQL_JOIN_FULL && type != SQL_JOIN_LEFT_ANTI) ||
			 n->plan->null_aware))
		return 0;
	uint32_t p = exec_join_part_of(j, key, key_null, seed);
	if (!j->lparts[p] && (rc = exec_spill_new(n, j->lcols, &j->lparts[p])))
		return rc;
	return sql_spill_write(j->lparts[p], row, n->run->err);
}

static bool exec_key_null(const sql_value *key, uint32_t nk)
{
	for (uint32_t k = 0; k < nk; k++)
		if (key[k].null || key[k].type == SQL_TYPE_NULL)
			return true;
	return false;
}

/* Drop the table (its rows and their arena). */
static void exec_join_table_reset(exec_join *j)
{
	uint32_t nk = j->table.hash.nkeys;

	sql_arena_free(j->table.arena);
	exec_join_table_free(&j->table);
	j->table.arena = sql_arena_new();
	j->table.hash.nkeys = nk;
}

/* Move the table's rows to build partitions (round SEED), and drop it. */
static int exec_join_dump_table(exec_join *j, uint32_t seed)
{
	uint32_t nk = j->base.plan->nkeys;
	int rc;

	for (uint32_t i = 0; i < j->table.nrows; i++) {
		const sql_value *rowkey = j->table.rows[i];
		if ((rc = exec_join_spill_build(j, rowkey, exec_key_null(rowkey + j->rcols, nk), seed)))
			return rc;
	}
	exec_join_table_reset(j);
	return 0;
}

/* The partitions written (round SEED) become pairs to join, at LEVEL. */
static int exec_join_push_pairs(exec_join *j, uint32_t level)
{
	exec_node *n = &j->base;
	sql_join_type type = n->plan->join_type;
	/* A pair without left rows only matters for its unmatched build rows;
	 * one without build rows only for its unmatched left rows. */
	bool need_left = type != SQL_JOIN_RIGHT && type != SQL_JOIN_FULL;
	bool need_build = type == SQL_JOIN_INNER || type == SQL_JOIN_LEFT_SEMI || type == SQL_JOIN_RIGHT;
	int rc;

	if (n->plan->phys.spill_passes < level)
		n->plan->phys.spill_passes = level;
	for (uint32_t p = j->fanout; p-- > 0;) {
		exec_join_pair pair = {j->bparts[p], j->lparts[p], level};
		j->bparts[p] = j->lparts[p] = NULL;
		if ((!pair.left && need_left) || (!pair.build && need_build) || (!pair.left && !pair.build)) {
			exec_spill_close(n, pair.build);
			exec_spill_close(n, pair.left);
			continue;
		}
		if ((rc = BASE_ARRAY_RESERVE(j->pending, j->pending_cap, (size_t)j->npending + 1))) {
			exec_spill_close(n, pair.build);
			exec_spill_close(n, pair.left);
			return rc;
		}
		j->pending[j->npending++] = pair;
		if ((pair.build && (rc = sql_spill_rewind(pair.build, n->run->err))) ||
		    (pair.left && (rc = sql_spill_rewind(pair.left, n->run->err))))
			return rc;
	}
	return 0;
}

/* Fail: the table cannot be partitioned. */
static int exec_join_cannot_partition(exec_join *j)
{
	exec_node *n = &j->base;

	return exec_mem_fail(n, "HashJoin", n->plan->nkeys
			     ? "for the right side of a NOT IN of several columns or with a condition, "
			       "which it cannot partition"
			     : "for its right side, which it cannot partition without an equality key");
}

/* Read the whole right side into J's table; when it does not fit, into
 * build partitions, and then the left side into left partitions. */
static int exec_join_build(exec_join *j)
{
	exec_node *n = &j->base;
	uint32_t nk = n->plan->nkeys;
	bool keep_null = exec_join_keeps_unmatched_build(n->plan) || n->plan->null_aware;
	uint64_t seen = 0;
	exec_batch *in;
	int rc;

	for (;;) {
		if ((rc = exec_pull(n->child[1], &in)))
			return rc;
		if (!in)
			break;
		/* An uncorrelated scalar subquery: its second row fails the job,
		 * before the row is kept or spilled. */
		seen += in->nrows;
		if (n->plan->one_row && seen > 1) {
			sql_error_set(n->run->err, n->plan->line, n->plan->col,
				      "more than one row returned by a subquery used as an expression");
			return -EINVAL;
		}
		exec_new_scratch(n);
		for (uint32_t r = 0; r < in->nrows; r++) {
			const sql_value *row = in->v + (size_t)r * in->ncols;
			sql_value rowkey[j->rcols + nk + 1];
			bool key_null;
			if ((rc = exec_join_keys(n, n->plan->rkeys, row, rowkey + j->rcols, &key_null)))
				return rc;
			/* A NULL key matches nothing: an inner, left or semi join, and
			 * an anti join that is not null-aware, never need the row. */
			if (key_null && !keep_null)
				continue;
			if (j->grace) {
				memcpy(rowkey, row, j->rcols * sizeof *rowkey);
				rc = exec_join_spill_build(j, rowkey, key_null, 0);
			} else {
				rc = exec_join_table_add(&j->table, j->rcols, nk, row, rowkey + j->rcols, key_null);
			}
			if (rc)
				return rc;
			if (!j->grace && exec_join_over(j)) {
				if (!nk || (n->plan->null_aware && (nk != 1 || n->plan->cond)))
					return exec_join_cannot_partition(j);
				exec_held(n, exec_join_held(j));
				j->grace = true;
				if ((rc = exec_join_dump_table(j, 0)))
					return rc;
			}
		}
		exec_held(n, exec_join_held(j));
	}
	if (!j->grace)
		return 0;
	if (j->na_null) {
		/* NOT IN with a NULL on the right: no row to output, none to read. */
		for (uint32_t p = 0; p < j->fanout; p++) {
			exec_spill_close(n, j->bparts[p]);
			j->bparts[p] = NULL;
		}
		return 0;
	}
	for (;;) {
		if ((rc = exec_pull(n->child[0], &in)))
			return rc;
		if (!in)
			break;
		exec_new_scratch(n);
		for (uint32_t r = 0; r < in->nrows; r++)
			if ((rc = exec_join_spill_left(j, in->v + (size_t)r * in->ncols, 0)))
				return rc;
		exec_held(n, exec_join_held(j));
	}
	return exec_join_push_pairs(j, 1);
}

/* Make the next pair's build partition the table and its left partition
 * the probe's input, partitioning a pair again while its build side does
 * not fit.  1 when a pair is loaded, 0 when none is left, or -errno. */
static int exec_join_load_pair(exec_join *j)
{
	exec_node *n = &j->base;
	uint32_t nk = n->plan->nkeys;
	const sql_value *row;
	int rc;

	while (j->npending) {
		exec_join_pair pair = j->pending[--j->npending];
		bool split = false;
		rc = 0;
		exec_join_table_reset(j);
		while (pair.build && (rc = sql_spill_read(pair.build, &row, n->run->err)) == 0) {
			if (split) {
				rc = exec_join_spill_build(j, row, exec_key_null(row + j->rcols, nk), pair.level);
			} else {
				rc = exec_join_table_add(&j->table, j->rcols, nk, row, row + j->rcols,
							 exec_key_null(row + j->rcols, nk));
				if (!rc && exec_join_over(j)) {
					if (pair.level >= EXEC_JOIN_MAX_ROUNDS)
						rc = exec_mem_fail(n, "HashJoin", "for the rows of one join key");
					else if (!(rc = exec_join_dump_table(j, pair.level)))
						split = true;
				}
			}
			if (rc)
				break;
		}
		exec_held(n, exec_join_held(j));
		exec_spill_close(n, pair.build);
		if (rc < 0) {
			exec_spill_close(n, pair.left);
			return rc;
		}
		if (!split) {
			j->lsrc = pair.left;
			return 1;
		}
		for (uint32_t count = 0; pair.left && (rc = sql_spill_read(pair.left, &row, n->run->err)) == 0;) {
			if (count++ % EXEC_BATCH == 0)
				exec_new_scratch(n);
			if ((rc = exec_join_spill_left(j, row, pair.level)))
				break;
		}
		exec_held(n, exec_join_held(j));
		exec_spill_close(n, pair.left);
		if (rc < 0 || (rc = exec_join_push_pairs(j, pair.level + 1)))
			return rc;
	}
	return 0;
}

/* The next batch of the left partition being probed, or *IN NULL at its end. */
static int exec_join_read_left(exec_join *j, exec_batch **in)
{
	exec_node *n = &j->base;
	const sql_value *row;
	int rc = 0;

	*in = NULL;
	if (!j->lsrc)
		return 0;
	sql_arena_free(j->larena);
	j->larena = sql_arena_new();
	j->lbatch.ncols = j->lcols;
	j->lbatch.nrows = 0;
	if ((rc = exec_batch_reserve(&j->lbatch, EXEC_BATCH)))
		return rc;
	while (j->lbatch.nrows < EXEC_BATCH && (rc = sql_spill_read(j->lsrc, &row, n->run->err)) == 0)
		exec_copy_values(j->larena, j->lbatch.v + (size_t)j->lbatch.nrows++ * j->lcols, row, j->lcols);
	if (rc < 0)
		return rc;
	exec_held(n, exec_join_held(j));
	if (j->lbatch.nrows)
		*in = &j->lbatch;
	else {
		exec_spill_close(n, j->lsrc);
		j->lsrc = NULL;
	}
	return 0;
}

/* Whether build row B might have a key equal to the left key (NOT IN):
 * every pair of keys is equal or has a NULL. */
static bool exec_join_maybe_equal(const sql_value *lkey, const sql_value *bkey, uint32_t nk)
{
	for (uint32_t k = 0; k < nk; k++) {
		if (lkey[k].null || lkey[k].type == SQL_TYPE_NULL || bkey[k].null ||
		    bkey[k].type == SQL_TYPE_NULL)
			continue;
		if (sql_value_compare(&lkey[k], &bkey[k]) != 0)
			return false;
	}
	return true;
}

/* The next candidate build row for the cursor's left row, or UINT32_MAX. */
static uint32_t exec_join_candidate(const exec_join *j, const exec_join_table *t, exec_join_cursor *c)
{
	const sql_plan *p = j->base.plan;
	uint32_t nk = p->nkeys;

	switch (c->phase) {
	case EXEC_JOIN_BUCKET:
		if (c->chain) {
			uint32_t bi = c->chain - 1;
			c->chain = t->next[bi];
			return bi;
		}
		if (!p->null_aware)
			return UINT32_MAX;
		c->phase = EXEC_JOIN_NULL_ROWS;
		c->chain = 0;
		/* fall through */
	case EXEC_JOIN_NULL_ROWS:
		while (c->chain < t->nnull) {
			uint32_t bi = t->null_rows[c->chain++];
			if (exec_join_maybe_equal(c->key, t->rows[bi] + j->rcols, nk))
				return bi;
		}
		return UINT32_MAX;
	case EXEC_JOIN_ALL_ROWS:
		while (c->chain < t->nrows) {
			uint32_t bi = c->chain++;
			if (exec_join_maybe_equal(c->key, t->rows[bi] + j->rcols, nk))
				return bi;
		}
		return UINT32_MAX;
	default:
		return UINT32_MAX;
	}
}

/* Set the cursor up for its left row LEFT: keys and the first candidates. */
static int exec_join_start_row(exec_join *j, const exec_join_table *t, exec_join_cursor *c,
			       const sql_value *left)
{
	exec_node *n = &j->base;
	uint32_t nk = n->plan->nkeys;
	int rc;

	if ((rc = exec_join_keys(n, n->plan->lkeys, left, c->key, &c->key_null)))
		return rc;
	c->started = true;
	c->matched = false;
	c->chain = 0;
	if (c->key_null) {
		/* Only NOT IN looks further: any build row may be equal. */
		c->phase = n->plan->null_aware ? EXEC_JOIN_ALL_ROWS : EXEC_JOIN_NONE;
		return 0;
	}
	c->phase = EXEC_JOIN_BUCKET;
	uint32_t item = exec_hash_find(&t->hash, exec_hash_row(c->key, nk), c->key);
	c->chain = item == UINT32_MAX ? 0 : t->head[item];
	return 0;
}

/* Append a row to OUT: LEFT (or NULLs) then RIGHT (or NULLs), or only the
 * left columns for a semi or anti join. */
static int exec_join_emit(exec_join *j, exec_batch *out, const sql_value *left, const sql_value *right)
{
	exec_node *n = &j->base;
	int rc;

	if ((rc = exec_batch_reserve(out, out->nrows + 1)))
		return rc;
	sql_value *o = out->v + (size_t)out->nrows++ * out->ncols;
	if (left)
		memcpy(o, left, j->lcols * sizeof *o);
	else
		for (uint32_t i = 0; i < j->lcols; i++)
			o[i] = (sql_value){.type = n->types[i], .null = true};
	if (!exec_join_outputs_right(n->plan))
		return 0;
	if (right)
		memcpy(o + j->lcols, right, j->rcols * sizeof *o);
	else
		for (uint32_t i = 0; i < j->rcols; i++)
			o[j->lcols + i] = (sql_value){.type = n->types[j->lcols + i], .null = true};
	return 0;
}

/* Does build row BI match the left row LEFT under the residual? */
static int exec_join_residual(exec_join *j, const exec_join_table *t, const sql_value *left,
			      uint32_t bi, bool *ok)
{
	exec_node *n = &j->base;
	sql_value v;
	int rc;

	*ok = true;
	if (!n->plan->cond)
		return 0;
	memcpy(j->pair, left, j->lcols * sizeof *j->pair);
	memcpy(j->pair + j->lcols, t->rows[bi], j->rcols * sizeof *j->pair);
	if ((rc = sql_eval(n->scratch, n->plan->cond, j->pair, &v)))
		return exec_eval_error(n, n->plan->cond, rc);
	*ok = !v.null && v.type == SQL_TYPE_BOOLEAN && v.u.b;
	return 0;
}

/* Probe T with the rows of IN from the cursor on, appending output rows to
 * OUT until it holds EXEC_BATCH rows or IN is used up (*DONE). */
static int exec_join_probe(exec_join *j, exec_join_table *t, exec_join_cursor *c,
			   const exec_batch *in, exec_batch *out, bool *done)
{
	const sql_plan *p = j->base.plan;
	const sql_progress *pg = j->base.run->ctx->progress;
	sql_join_type type = p->join_type;
	uint32_t tried = 0;
	int rc;

	*done = false;
	for (; c->row < in->nrows; c->row++, c->started = false) {
		const sql_value *left = in->v + (size_t)c->row * in->ncols;
		if (!c->started && (rc = exec_join_start_row(j, t, c, left)))
			return rc;
		for (;;) {
			if (out->nrows >= EXEC_BATCH)
				return 0;
			/* A nested loop may try millions of pairs between batches. */
			if (++tried % 65536 == 0 && pg && pg->cancel)
				return -ECANCELED;
			uint32_t bi = exec_join_candidate(j, t, c);
			if (bi == UINT32_MAX)
				break;
			bool ok;
			if ((rc = exec_join_residual(j, t, left, bi, &ok)))
				return rc;
			if (!ok)
				continue;
			c->matched = true;
			if (type == SQL_JOIN_LEFT_SEMI || type == SQL_JOIN_LEFT_ANTI)
				break;
			t->matched[bi] = 1;
			if ((rc = exec_join_emit(j, out, left, t->rows[bi])))
				return rc;
		}
		if (out->nrows >= EXEC_BATCH)
			return 0;
		bool emit = false;
		if (type == SQL_JOIN_LEFT || type == SQL_JOIN_FULL || type == SQL_JOIN_LEFT_ANTI)
			emit = !c->matched;
		else if (type == SQL_JOIN_LEFT_SEMI)
			emit = c->matched;
		if (emit && (rc = exec_join_emit(j, out, left, NULL)))
			return rc;
	}
	*done = true;
	return 0;
}

/* RIGHT and FULL: after the probe, the build rows that never matched, from
 * *NEXT on, into OUT until it holds EXEC_BATCH rows; *DONE at the end. */
static int exec_join_unmatched(exec_join *j, exec_join_table *t, uint32_t *next, exec_batch *out,
			       bool *done)
{
	int rc;

	*done = false;
	for (; *next < t->nrows; (*next)++) {
		if (out->nrows >= EXEC_BATCH)
			return 0;
		if (!t->matched[*next] && (rc = exec_join_emit(j, out, NULL, t->rows[*next])))
			return rc;
	}
	*done = true;
	return 0;
}

static int exec_join_next(exec_node *n, exec_batch **out)
{
	exec_join *j = (exec_join *)n;
	bool done;
	int rc = 0;

	*out = NULL;
	if (!j->built) {
		j->built = true;
		if ((rc = exec_join_build(j)))
			return rc;
		if (j->grace && (rc = exec_join_load_pair(j)) <= 0) {
			j->probed = true;
			return rc;
		}
	}
	n->out.nrows = 0;
	for (;;) {
		while (!j->probed) {
			if (!j->in) {
				/* Rows out point into the left batch: hand them over before
				 * the next pull invalidates it. */
				if (n->out.nrows)
					break;
				if ((rc = j->grace ? exec_join_read_left(j, &j->in) : exec_pull(n->child[0], &j->in)))
					return rc;
				if (!j->in) {
					j->probed = true;
					break;
				}
				exec_new_scratch(n);
				exec_hash_prefetch(&j->table.hash, n->plan->lkeys, n->plan->nkeys, j->in);
				j->cur.row = 0;
				j->cur.started = false;
			}
			if ((rc = exec_join_probe(j, &j->table, &j->cur, j->in, &n->out, &done)))
				return rc;
			if (done)
				j->in = NULL;
			if (n->out.nrows >= EXEC_BATCH)
				break;
		}
		if (j->probed && n->out.nrows < EXEC_BATCH && exec_join_keeps_unmatched_build(n->plan) &&
		    (rc = exec_join_unmatched(j, &j->table, &j->unmatched, &n->out, &done)))
			return rc;
		if (n->out.nrows) {
			*out = &n->out;
			return 0;
		}
		/* Nothing more from this table: the next pair of partitions. */
		if (!j->grace || !j->probed || (rc = exec_join_load_pair(j)) <= 0)
			return rc < 0 ? rc : 0;
		j->probed = false;
		j->in = NULL;
		j->unmatched = 0;
	}
}

static void exec_join_close(exec_node *n)
{
	exec_join *j = (exec_join *)n;

	sql_arena_free(j->table.arena);
	exec_join_table_free(&j->table);
	for (uint32_t p = 0; p < EXEC_JOIN_MAX_FANOUT; p++) {
		exec_spill_close(n, j->bparts[p]);
		exec_spill_close(n, j->lparts[p]);
	}
	for (uint32_t i = 0; i < j->npending; i++) {
		exec_spill_close(n, j->pending[i].build);
		exec_spill_close(n, j->pending[i].left);
	}
	free(j->pending);
	exec_spill_close(n, j->lsrc);
	free(j->lbatch.v);
	sql_arena_free(j->larena);
}

/* ---- SORT and TopN ------------------------------------------------------------------------ */

typedef struct exec_sort_row {
	sql_value *row;
	sql_value *keys;
	uint64_t seq;             /* input order, for a stable sort */
	size_t bytes;             /* TopN: the malloc'ed block ROW is (keys follow the row) */
} exec_sort_row;

/* A full sort keeps every row in its arena and sorts them at the end.  A
 * TopN (phys.topn) keeps at most phys.topn_rows rows in a max-heap ordered by
 * exec_sort_cmp, the worst kept row on top: a row better than the top
 * replaces it, and the heap is sorted at the end.  exec_sort_cmp is a total
 * order (input order breaks ties), so the rows kept and their order are
 * exactly those of the full sort followed by the limit.  A TopN's rows are
 * blocks of their own, freed when replaced, so what it holds stays bounded
 * by topn_rows whatever the input. */
/*
 * A full sort that reaches its memory budget is an external merge sort: the
 * rows it holds are sorted and written to a spill file as one sorted run,
 * and it starts again with an empty arena.  At the end of its input the runs
 * are merged, at most fan_in at once (what the budget allows in read
 * buffers): while there are more runs than that, consecutive groups of them
 * are merged into longer runs (a pass each), and the last pass streams its
 * rows out.  Ties between runs go to the earlier run, so the order is the
 * in-memory sort's, input order breaking ties.
 */
typedef struct exec_sort {
	exec_node base;
	exec_sort_row *rows;
	size_t cap;
	uint64_t nrows, emitted, seq;
	uint64_t held;            /* TopN: bytes of the kept rows' blocks */
	bool built;
	bool blocks;              /* rows are malloc'ed blocks (a TopN's), not in the arena */
	/* External sort: sorted runs (ncols + nsort values a row), in input order. */
	sql_spill_file **runs;
	uint32_t nruns, runs_cap;
	/* The merge being read: its inputs and a min-heap of their current rows
	 * (seq: the input's index, which breaks ties). */
	sql_spill_file **in;
	exec_sort_row *heap;
	uint32_t nin, nheap;
	bool merging;
} exec_sort;

static int exec_sort_cmp(const void *pa, const void *pb, void *arg)
{
	const exec_sort_row *a = pa, *b = pb;
	const sql_plan *p = arg;

	for (uint32_t k = 0; k < p->nsort; k++) {
		const sql_value *x = &a->keys[k], *y = &b->keys[k];
		bool xn = x->null || x->type == SQL_TYPE_NULL, yn = y->null || y->type == SQL_TYPE_NULL;
		int c;
		if (xn || yn) {
			if (xn && yn)
				continue;
			/* NULLS FIRST/LAST holds whatever the direction. */
			c = xn ? -1 : 1;
			return p->sort[k].nulls_first ? c : -c;
		}
		c = sql_value_compare(x, y);
		if (c)
			return p->sort[k].desc ? -c : c;
	}
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* N values and their strings as one malloc'ed block at *OUT (BYTES long). */
static int exec_row_block(const sql_value *src, uint32_t n, sql_value **out, size_t *bytes)
{
	size_t size = (n ? n : 1) * sizeof(sql_value);

	for (uint32_t i = 0; i < n; i++)
		if (src[i].type == SQL_TYPE_STRING && !src[i].null)
			size += src[i].u.s.len;
	sql_value *v = malloc(size);
	if (!v)
		return -ENOMEM;
	char *str = (char *)(v + (n ? n : 1));
	for (uint32_t i = 0; i < n; i++) {
		v[i] = src[i];
		if (src[i].type == SQL_TYPE_STRING && !src[i].null && src[i].u.s.len) {
			memcpy(str, src[i].u.s.ptr, src[i].u.s.len);
			v[i].u.s.ptr = str;
			str += src[i].u.s.len;
		}
	}
	*out = v;
	*bytes = size;
	return 0;
}

static void exec_heap_down(exec_sort_row *h, uint64_t n, uint64_t i, const sql_plan *p)
{
	for (;;) {
		uint64_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < n && exec_sort_cmp(&h[l], &h[top], (void *)p) > 0)
			top = l;
		if (r < n && exec_sort_cmp(&h[r], &h[top], (void *)p) > 0)
			top = r;
		if (top == i)
			return;
		exec_sort_row t = h[i];
		h[i] = h[top];
		h[top] = t;
		i = top;
	}
}

static void exec_heap_up(exec_sort_row *h, uint64_t i, const sql_plan *p)
{
	while (i) {
		uint64_t up = (i - 1) / 2;
		if (exec_sort_cmp(&h[i], &h[up], (void *)p) <= 0)
			return;
		exec_sort_row t = h[i];
		h[i] = h[up];
		h[up] = t;
		i = up;
	}
}

/* Offer one input row (its values ROW and its sort KEYS) to a TopN. */
static int exec_topn_add(exec_sort *s, const sql_value *row, const sql_value *keys)
{
	exec_node *n = &s->base;
	const sql_plan *p = n->plan;
	uint32_t nv = n->ncols + p->nsort;
	exec_sort_row cand = {.keys = (sql_value *)keys, .seq = s->seq++};
	int rc;

	if (s->nrows >= p->phys.topn_rows) {
		/* Full: only a row that sorts before the worst kept one gets in. */
		if (!s->nrows || exec_sort_cmp(&cand, &s->rows[0], (void *)p) >= 0)
			return 0;
	}
	sql_value vals[nv ? nv : 1];
	memcpy(vals, row, n->ncols * sizeof *vals);
	memcpy(vals + n->ncols, keys, p->nsort * sizeof *vals);
	if ((rc = exec_row_block(vals, nv, &cand.row, &cand.bytes)))
		return rc;
	cand.keys = cand.row + n->ncols;
	s->held += cand.bytes;
	if (s->nrows >= p->phys.topn_rows) {
		s->held -= s->rows[0].bytes;
		free(s->rows[0].row);
		s->rows[0] = cand;
		exec_heap_down(s->rows, s->nrows, 0, p);
		return 0;
	}
	if ((rc = BASE_ARRAY_RESERVE(s->rows, s->cap, (size_t)s->nrows + 1))) {
		s->held -= cand.bytes;
		free(cand.row);
		return rc;
	}
	s->rows[s->nrows] = cand;
	exec_heap_up(s->rows, s->nrows++, p);
	if (s->nrows > n->peak_rows)
		n->peak_rows = s->nrows;
	return 0;
}

/* The bytes a full sort holds in memory. */
static uint64_t exec_sort_bytes(const exec_sort *s)
{
	return sql_arena_used(s->base.arena) + s->cap * sizeof *s->rows;
}

/* Write the rows held, sorted, as one more run, and start holding anew. */
static int exec_sort_spill_run(exec_sort *s)
{
	exec_node *n = &s->base;
	uint32_t nv = n->ncols + n->plan->nsort;
	sql_spill_file *f;
	int rc;

	if (s->nrows > 1)
		qsort_r(s->rows, s->nrows, sizeof *s->rows, exec_sort_cmp, n->plan);
	if ((rc = BASE_ARRAY_RESERVE(s->runs, s->runs_cap, (size_t)s->nruns + 1)) ||
	    (rc = exec_spill_new(n, nv, &f)))
		return rc;
	s->runs[s->nruns++] = f;
	/* Row and keys are one array (exec_sort_add). */
	for (uint64_t i = 0; i < s->nrows; i++)
		if ((rc = sql_spill_write(f, s->rows[i].row, n->run->err)))
			return rc;
	if ((rc = sql_spill_rewind(f, n->run->err)))
		return rc;
	exec_held(n, exec_sort_bytes(s) + sql_spill_held(f));
	sql_arena_free(n->arena);
	n->arena = sql_arena_new();
	s->nrows = 0;
	return 0;
}

/* Keep one input row for a full sort; first write a run when the row would
 * not fit in the budget beside the rows held. */
static int exec_sort_add(exec_sort *s, const sql_value *row, const sql_value *keys)
{
	exec_node *n = &s->base;
	uint64_t budget = n->plan->phys.memory_budget;
	uint32_t nv = n->ncols + n->plan->nsort;
	int rc;

	if (budget) {
		/* What the row will take, and a run file's buffer for when it spills. */
		uint64_t need = (nv + 1) * sizeof(sql_value) + SQL_SPILL_BUFFER;
		for (uint32_t i = 0; i < n->ncols; i++)
			if (row[i].type == SQL_TYPE_STRING && !row[i].null)
				need += row[i].u.s.len;
		for (uint32_t i = 0; i < n->plan->nsort; i++)
			if (keys[i].type == SQL_TYPE_STRING && !keys[i].null)
				need += keys[i].u.s.len;
		if (s->nrows == s->cap)
			need += (s->cap ? s->cap : 8) * sizeof *s->rows;
		if (exec_sort_bytes(s) + need > budget) {
			if (!s->nrows)
				return exec_mem_fail(n, "Sort", "for a single row");
			if ((rc = exec_sort_spill_run(s)))
				return rc;
		}
	}
	if ((rc = BASE_ARRAY_RESERVE(s->rows, s->cap, (size_t)s->nrows + 1)))
		return rc;
	exec_sort_row *sr = &s->rows[s->nrows];
	sr->row = sql_arena_alloc(n->arena, (nv + 1) * sizeof(sql_value));
	sr->keys = sr->row + n->ncols;
	sr->bytes = 0;
	exec_copy_values(n->arena, sr->row, row, n->ncols);
	exec_copy_values(n->arena, sr->keys, keys, n->plan->nsort);
	sr->seq = s->seq++;
	s->nrows++;
	if (s->nrows > n->peak_rows)
		n->peak_rows = s->nrows;
	exec_held(n, exec_sort_bytes(s));
	return 0;
}

static void exec_merge_down(exec_sort *s, uint32_t i)
{
	const sql_plan *p = s->base.plan;
	exec_sort_row *h = s->heap;

	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < s->nheap && exec_sort_cmp(&h[l], &h[top], (void *)p) < 0)
			top = l;
		if (r < s->nheap && exec_sort_cmp(&h[r], &h[top], (void *)p) < 0)
			top = r;
		if (top == i)
			return;
		exec_sort_row t = h[i];
		h[i] = h[top];
		h[top] = t;
		i = top;
	}
}

/* Read input I's next row into heap slot SLOT, or drop the slot at its end. */
static int exec_merge_fill(exec_sort *s, uint32_t slot, uint32_t i)
{
	exec_node *n = &s->base;
	const sql_value *row;
	int rc = sql_spill_read(s->in[i], &row, n->run->err);

	if (rc < 0)
		return rc;
	if (rc == 1) {
		s->heap[slot] = s->heap[--s->nheap];
		return 0;
	}
	s->heap[slot] = (exec_sort_row){.row = (sql_value *)row, .keys = (sql_value *)row + n->ncols,
					.seq = i};
	return 0;
}

/* Start merging the K runs at IN (which the merge now owns). */
static int exec_merge_open(exec_sort *s, sql_spill_file **in, uint32_t k)
{
	int rc;

	s->in = in;
	s->nin = k;
	s->heap = calloc(k ? k : 1, sizeof *s->heap);
	if (!s->heap)
		return -ENOMEM;
	s->nheap = k;
	uint64_t held = 0;
	for (uint32_t i = k; i-- > 0;) {
		if ((rc = sql_spill_rewind(in[i], s->base.run->err)) || (rc = exec_merge_fill(s, i, i)))
			return rc;
		held += sql_spill_held(in[i]);
	}
	exec_held(&s->base, held);
	for (uint32_t i = s->nheap / 2 + 1; i-- > 0;)
		exec_merge_down(s, i);
	return 0;
}

/* After the top row was used: the next row of its input. */
static int exec_merge_advance(exec_sort *s)
{
	int rc = exec_merge_fill(s, 0, (uint32_t)s->heap[0].seq);

	if (!rc)
		exec_merge_down(s, 0);
	return rc;
}

static void exec_merge_close(exec_sort *s)
{
	for (uint32_t i = 0; i < s->nin; i++)
		exec_spill_close(&s->base, s->in[i]);
	free(s->in);
	free(s->heap);
	s->in = NULL;
	s->heap = NULL;
	s->nin = s->nheap = 0;
}

/* Merge runs until at most FAN_IN are left, then open the last merge. */
static int exec_sort_merge_runs(exec_sort *s)
{
	exec_node *n = &s->base;
	uint64_t budget = n->plan->phys.memory_budget;
	uint64_t per = 2 * SQL_SPILL_BUFFER + 16 * (n->ncols + n->plan->nsort) * sizeof(sql_value);
	uint64_t fan = budget ? budget / per : 256;
	uint32_t fan_in = fan < 2 ? 2 : fan > 256 ? 256 : (uint32_t)fan;
	int rc;

	/* Nothing is held in memory any more but the runs' buffers. */
	free(s->rows);
	s->rows = NULL;
	s->cap = 0;
	sql_arena_free(n->arena);
	n->arena = sql_arena_new();
	while (s->nruns > fan_in) {
		uint32_t nout = (s->nruns + fan_in - 1) / fan_in;
		sql_spill_file **out = calloc(nout, sizeof *out);
		if (!out)
			return -ENOMEM;
		for (uint32_t g = 0; g < nout; g++) {
			uint32_t first = g * fan_in, k = s->nruns - first < fan_in ? s->nruns - first : fan_in;
			sql_spill_file **in = malloc(k * sizeof *in);
			if (!in)
				rc = -ENOMEM;
			else {
				memcpy(in, s->runs + first, k * sizeof *in);
				memset(s->runs + first, 0, k * sizeof *in);
				rc = exec_merge_open(s, in, k);
			}
			if (!rc)
				rc = exec_spill_new(n, n->ncols + n->plan->nsort, &out[g]);
			while (!rc && s->nheap) {
				if (!(rc = sql_spill_write(out[g], s->heap[0].row, n->run->err)))
					rc = exec_merge_advance(s);
			}
			if (!in)
				break;
			exec_merge_close(s);
			if (rc)
				break;
		}
		if (rc) {
			for (uint32_t g = 0; g < nout; g++)
				exec_spill_close(n, out[g]);
			free(out);
			return rc;
		}
		free(s->runs);
		s->runs = out;
		s->nruns = s->runs_cap = nout;
		n->plan->phys.spill_passes++;
	}
	sql_spill_file **in = s->runs;
	uint32_t k = s->nruns;
	s->runs = NULL;
	s->nruns = s->runs_cap = 0;
	n->plan->phys.spill_passes++;
	s->merging = true;
	return exec_merge_open(s, in, k);
}

/* A TopN whose limit's rows outgrow its budget: they become the first
 * sorted run of an external sort, which takes the rest of the input.  The
 * LIMIT above keeps the first rows of the order, which are the same: a row
 * the TopN dropped was behind limit rows it had already seen. */
static int exec_topn_to_sort(exec_sort *s)
{
	exec_node *n = &s->base;
	sql_spill_file *f;
	int rc;

	if (s->nrows > 1)
		qsort_r(s->rows, s->nrows, sizeof *s->rows, exec_sort_cmp, n->plan);
	if ((rc = BASE_ARRAY_RESERVE(s->runs, s->runs_cap, (size_t)s->nruns + 1)) ||
	    (rc = exec_spill_new(n, n->ncols + n->plan->nsort, &f)))
		return rc;
	s->runs[s->nruns++] = f;
	/* A block holds the row, then its keys. */
	for (uint64_t i = 0; i < s->nrows; i++)
		if ((rc = sql_spill_write(f, s->rows[i].row, n->run->err)))
			return rc;
	if ((rc = sql_spill_rewind(f, n->run->err)))
		return rc;
	for (uint64_t i = 0; i < s->nrows; i++)
		free(s->rows[i].row);
	s->nrows = 0;
	s->held = 0;
	s->blocks = false;
	return 0;
}

static int exec_sort_next(exec_node *n, exec_batch **out)
{
	exec_sort *s = (exec_sort *)n;
	bool topn = n->plan->phys.topn;
	uint64_t budget = n->plan->phys.memory_budget;
	exec_batch *in;
	int rc;

	*out = NULL;
	if (!s->built) {
		s->built = true;
		s->blocks = topn;
		/* TopN of no rows: nothing to read. */
		for (; !topn || n->plan->phys.topn_rows;) {
			if ((rc = exec_pull(n->child[0], &in)))
				return rc;
			if (!in)
				break;
			exec_new_scratch(n);
			for (uint32_t r = 0; r < in->nrows; r++) {
				const sql_value *row = in->v + (size_t)r * in->ncols;
				sql_value keys[n->plan->nsort ? n->plan->nsort : 1];
				for (uint32_t k = 0; k < n->plan->nsort; k++)
					if ((rc = sql_eval(n->scratch, n->plan->sort[k].expr, row, &keys[k])))
						return exec_eval_error(n, n->plan->sort[k].expr, rc);
				rc = topn ? exec_topn_add(s, row, keys) : exec_sort_add(s, row, keys);
				if (rc)
					return rc;
				if (topn) {
					uint64_t held = s->held + s->cap * sizeof *s->rows;
					exec_held(n, held);
					if (budget && held + SQL_SPILL_BUFFER > budget) {
						if ((rc = exec_topn_to_sort(s)))
							return rc;
						topn = false;
					}
				}
			}
		}
		if (s->nruns) {
			if ((s->nrows && (rc = exec_sort_spill_run(s))) || (rc = exec_sort_merge_runs(s)))
				return rc;
		} else if (s->nrows > 1) {
			qsort_r(s->rows, s->nrows, sizeof *s->rows, exec_sort_cmp, n->plan);
		}
	}
	if (s->merging) {
		if (!s->nheap)
			return 0;
		exec_new_scratch(n);
		uint32_t count = 0;
		if ((rc = exec_batch_reserve(&n->out, EXEC_BATCH)))
			return rc;
		while (count < EXEC_BATCH && s->nheap) {
			exec_copy_values(n->scratch, n->out.v + (size_t)count++ * n->ncols, s->heap[0].row,
					 n->ncols);
			if ((rc = exec_merge_advance(s)))
				return rc;
		}
		n->out.nrows = count;
		*out = &n->out;
		return 0;
	}
	if (s->emitted >= s->nrows)
		return 0;
	uint32_t count = (uint32_t)(s->nrows - s->emitted < EXEC_BATCH ? s->nrows - s->emitted : EXEC_BATCH);
	if ((rc = exec_batch_reserve(&n->out, count)))
		return rc;
	for (uint32_t r = 0; r < count; r++)
		memcpy(n->out.v + (size_t)r * n->ncols, s->rows[s->emitted + r].row, n->ncols * sizeof(sql_value));
	s->emitted += count;
	n->out.nrows = count;
	*out = &n->out;
	return 0;
}

static void exec_sort_close(exec_node *n)
{
	exec_sort *s = (exec_sort *)n;

	if (s->blocks)
		for (uint64_t i = 0; i < s->nrows; i++)
			free(s->rows[i].row);
	free(s->rows);
	exec_merge_close(s);
	for (uint32_t i = 0; i < s->nruns; i++)
		exec_spill_close(n, s->runs[i]);
	free(s->runs);
}

/* ---- building the operator tree ----------------------------------------------------------- */

static void exec_free(exec_node *n)
{
	if (!n)
		return;
	if (n->close)
		n->close(n);
	/* Exclusive CPU time: the children's share is theirs. */
	uint64_t ns = n->incl_ns + n->worker_ns, in = n->rows_in_extra;
	for (uint32_t i = 0; i < 2; i++) {
		if (n->child[i]) {
			ns -= ns >= n->child[i]->incl_ns ? n->child[i]->incl_ns : ns;
			in += n->child[i]->plan->phys.rows_out;
		}
	}
	n->plan->phys.cpu_ns = ns;
	n->plan->phys.rows_in = in;
	n->plan->phys.peak_memory = n->peak;
	n->plan->phys.peak_rows = n->peak_rows;
	for (uint32_t i = 0; i < 2; i++)
		exec_free(n->child[i]);
	free(n->out.v);
	free(n->types);
	sql_arena_free(n->scratch);
	sql_arena_free(n->arena);
	free(n);
}

static int exec_types_from_exprs(exec_node *n, sql_expr **exprs, uint32_t count)
{
	n->ncols = count;
	n->types = calloc(count ? count : 1, sizeof *n->types);
	if (!n->types)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		n->types[i] = exprs[i]->type;
	return 0;
}

static int exec_types_copy(exec_node *n, const exec_node *a, const exec_node *b)
{
	n->ncols = a->ncols + (b ? b->ncols : 0);
	n->types = calloc(n->ncols ? n->ncols : 1, sizeof *n->types);
	if (!n->types)
		return -ENOMEM;
	memcpy(n->types, a->types, a->ncols * sizeof *n->types);
	if (b)
		memcpy(n->types + a->ncols, b->types, b->ncols * sizeof *n->types);
	return 0;
}

static int exec_build(exec_run *run, sql_plan *plan, exec_node **out)
{
	size_t size = sizeof(exec_node);
	int rc = 0;

	switch (plan->kind) {
	case SQL_PLAN_SCAN: size = sizeof(exec_scan); break;
	case SQL_PLAN_AGGREGATE:
	case SQL_PLAN_DISTINCT: size = sizeof(exec_agg); break;
	case SQL_PLAN_JOIN: size = sizeof(exec_join); break;
	case SQL_PLAN_SORT: size = sizeof(exec_sort); break;
	case SQL_PLAN_LIMIT: size = sizeof(exec_limit); break;
	default: break;
	}
	exec_node *n = calloc(1, size);
	if (!n)
		return -ENOMEM;
	n->plan = plan;
	n->run = run;
	n->arena = sql_arena_new();
	memset(&plan->phys.rows_in, 0, sizeof plan->phys - offsetof(sql_phys, rows_in));
	for (uint32_t i = 0; i < 2; i++) {
		if (plan->child[i] && plan->kind != SQL_PLAN_SCAN && plan->kind != SQL_PLAN_VALUES) {
			if ((rc = exec_build(run, plan->child[i], &n->child[i])))
				goto out;
			n->nchildren++;
		}
	}
	switch (plan->kind) {
	case SQL_PLAN_SCAN: {
		exec_scan *s = (exec_scan *)n;
		pthread_mutex_init(&s->lock, NULL);
		pthread_cond_init(&s->more, NULL);
		pthread_cond_init(&s->room, NULL);
		n->close = exec_scan_close;
		s->scan = plan->scan;
		n->ncols = s->scan->nout;
		n->types = calloc(n->ncols ? n->ncols : 1, sizeof *n->types);
		if (!n->types) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t j = 0; j < n->ncols; j++)
			n->types[j] = s->scan->types[s->scan->columns[j]];
		n->next = exec_scan_next;
		break;
	}
	case SQL_PLAN_FILTER:
		rc = exec_types_copy(n, n->child[0], NULL);
		n->next = exec_filter_next;
		break;
	case SQL_PLAN_PROJECT:
		rc = exec_types_from_exprs(n, plan->exprs, plan->nexprs);
		n->next = exec_project_next;
		break;
	case SQL_PLAN_LIMIT:
		rc = exec_types_copy(n, n->child[0], NULL);
		n->next = exec_limit_next;
		n->close = exec_borrowed_close;
		break;
	case SQL_PLAN_ALIAS:
		rc = exec_types_copy(n, n->child[0], NULL);
		n->next = exec_pass_next;
		break;
	case SQL_PLAN_UNION:
		rc = exec_types_copy(n, n->child[0], NULL);
		n->next = exec_union_next;
		break;
	case SQL_PLAN_VALUES:
	case SQL_PLAN_ONE_ROW:
		n->ncols = plan->kind == SQL_PLAN_VALUES ? plan->ncols : 0;
		n->types = calloc(n->ncols ? n->ncols : 1, sizeof *n->types);
		if (!n->types) {
			rc = -ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < n->ncols && plan->nrows; i++)
			n->types[i] = plan->rows[0][i]->type;
		n->next = exec_values_next;
		break;
	case SQL_PLAN_AGGREGATE:
	case SQL_PLAN_DISTINCT: {
		exec_agg *g = (exec_agg *)n;
		uint64_t budget = plan->phys.memory_budget;
		g->child_cols = n->child[0]->ncols;
		g->fixed = sql_arena_new();
		/* Partition buffers take at most a quarter of the budget. */
		g->fanout = EXEC_AGG_MAX_FANOUT;
		while (budget && g->fanout > 2 && (uint64_t)g->fanout * SQL_SPILL_BUFFER * 4 > budget)
			g->fanout /= 2;
		g->groups.nkeys = plan->kind == SQL_PLAN_DISTINCT ? g->child_cols : plan->ngroups;
		g->seen.nkeys = 3;
		g->distinct_node = plan->kind == SQL_PLAN_DISTINCT;
		n->close = exec_agg_close;
		if (g->distinct_node) {
			rc = exec_types_copy(n, n->child[0], NULL);
			n->next = exec_distinct_next;
			break;
		}
		g->needed = sql_arena_alloc(g->fixed, (g->child_cols + 1) * sizeof *g->needed);
		g->outs = sql_arena_alloc(g->fixed, (plan->nexprs + 1) * sizeof *g->outs);
		for (uint32_t i = 0; i < plan->nexprs; i++)
			g->outs[i] = exec_agg_rewrite(g, plan->exprs[i]);
		rc = exec_types_from_exprs(n, plan->exprs, plan->nexprs);
		n->next = exec_agg_next;
		break;
	}
	case SQL_PLAN_JOIN: {
		exec_join *j = (exec_join *)n;
		j->lcols = n->child[0]->ncols;
		j->rcols = n->child[1]->ncols;
		j->table.arena = sql_arena_new();
		j->table.hash.nkeys = plan->nkeys;
		/* Partition buffers take at most a quarter of the budget. */
		j->fanout = EXEC_JOIN_MAX_FANOUT;
		while (plan->phys.memory_budget && j->fanout > 2 &&
		       (uint64_t)j->fanout * SQL_SPILL_BUFFER * 4 > plan->phys.memory_budget)
			j->fanout /= 2;
		j->cur.key = sql_arena_alloc(n->arena, (plan->nkeys + 1) * sizeof *j->cur.key);
		j->pair = sql_arena_alloc(n->arena, (j->lcols + j->rcols + 1) * sizeof *j->pair);
		rc = exec_types_copy(n, n->child[0], n->child[1]);
		/* A semi or anti join outputs only the left side's columns. */
		if (rc == 0 && !exec_join_outputs_right(plan))
			n->ncols = j->lcols;
		n->next = exec_join_next;
		n->close = exec_join_close;
		break;
	}
	case SQL_PLAN_SORT:
		rc = exec_types_copy(n, n->child[0], NULL);
		n->next = exec_sort_next;
		n->close = exec_sort_close;
		break;
	default:
		sql_error_set(run->err, plan->line, plan->col,
			      "the embedded engine cannot run a plan node of kind %d (the plan is not resolved)",
			      (int)plan->kind);
		rc = -EINVAL;
		goto out;
	}
	n->out.ncols = n->ncols;
out:
	if (rc) {
		exec_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

static int exec_run_query(const sql_exec_ctx *ctx, sql_plan *plan, const char *text, sql_sink *sink,
			  sql_error *err)
{
	exec_run run = {.ctx = ctx, .err = err, .spill_dir = ctx->spill_dir};
	exec_node *root = NULL;
	exec_batch *b;
	int rc;

	(void)text;
	err->message[0] = '\0';
	if (!run.spill_dir || !run.spill_dir[0])
		run.spill_dir = getenv("TMPDIR");
	if (!run.spill_dir || !run.spill_dir[0])
		run.spill_dir = "/tmp";
	if ((rc = exec_build(&run, plan, &root)))
		goto out;
	for (;;) {
		if (ctx->progress && ctx->progress->cancel) {
			rc = -ECANCELED;
			break;
		}
		if ((rc = exec_pull(root, &b)) || !b)
			break;
		for (uint32_t r = 0; r < b->nrows && !rc; r++)
			rc = sink->row(sink->ctx, b->v + (size_t)r * b->ncols, b->ncols);
		if (rc) {
			if (!err->message[0])
				sql_error_set(err, 0, 0, "cannot deliver result rows: %s", strerror(-rc));
			break;
		}
		if (ctx->progress)
			__atomic_add_fetch(&ctx->progress->rows_out, b->nrows, __ATOMIC_RELAXED);
	}
	/* Workers stop early when cancelled, which looks like the end of the data. */
	if (!rc && ctx->progress && ctx->progress->cancel)
		rc = -ECANCELED;
	if (rc == -ECANCELED && !err->message[0])
		sql_error_set(err, 0, 0, "query cancelled");
	if (rc && !err->message[0])
		sql_error_set(err, plan->line, plan->col, "query failed: %s", strerror(-rc));
out:
	exec_free(root);
	return rc;
}

const sql_engine_methods sql_engine_embedded = {
	.version = SQL_ENGINE_VERSION,
	.name = "embedded",
	.run_query = exec_run_query,
};
