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
 * files from the scan's work list, parses them (sql_read.c), applies the
 * pushed-down data filter, copies the surviving rows into batches that own
 * their strings, and queues them; the rest of the plan runs in the calling
 * thread.  Parsing and filtering dominate a scan-filter-aggregate query, so
 * this is where the threads pay.  The queue is bounded, so a slow consumer
 * (or a LIMIT that stops early) holds the workers back instead of letting
 * batches pile up.
 *
 * Memory.  A hash aggregate, DISTINCT, a join's build side and a sort keep
 * rows; they count the bytes they hold (their arena plus their tables) and
 * fail the query once that passes phys.memory_budget, naming the operator and
 * the setting to raise.  Nothing spills.  A budget of 0 means no limit and 0
 * threads means one, so plans that never met the physical planner still run.
 *
 * Semantics.  NULL keys group together in GROUP BY and DISTINCT but never
 * match in a join (a null-aware anti join aside, see JOIN); a global
 * aggregate (no GROUP BY) yields one row even over
 * no input; count(x) counts non-NULL x; sum/min/max of only NULLs is NULL;
 * sum keeps bigint as bigint (wrapping) and double as double; avg is a double.
 */
#include "base_array.h"
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
	uint32_t *slots;          /* item + 1, 0 for empty */
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
	uint32_t *slots = calloc(cap, sizeof *slots);

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->n; i++) {
		uint32_t s = (uint32_t)h->hashes[i] & (cap - 1);
		while (slots[s])
			s = (s + 1) & (cap - 1);
		slots[s] = i + 1;
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
	for (uint32_t s = (uint32_t)hash & (h->cap - 1);; s = (s + 1) & (h->cap - 1)) {
		uint32_t it = h->slots[s];
		if (!it)
			return UINT32_MAX;
		if (h->hashes[it - 1] == hash && exec_row_equal(h->keys[it - 1], key, h->nkeys))
			return it - 1;
	}
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
	h->slots[s] = h->n + 1;
	h->hashes[h->n] = hash;
	h->keys[h->n] = key;
	*item = h->n++;
	return 0;
}

/* ---- operators -------------------------------------------------------------------- */

typedef struct exec_run {
	const sql_exec_ctx *ctx;
	sql_error *err;
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

/* Account BYTES held by N; fail once they pass the budget. */
static int exec_mem(exec_node *n, uint64_t bytes, const char *op)
{
	uint64_t budget = n->plan->phys.memory_budget;

	if (bytes > n->peak)
		n->peak = bytes;
	if (!budget || bytes <= budget)
		return 0;
	char size[32];
	if (budget % EXEC_MIB == 0)
		snprintf(size, sizeof size, "%llu", (unsigned long long)(budget / EXEC_MIB));
	else
		snprintf(size, sizeof size, "%.2f", (double)budget / (double)EXEC_MIB);
	/* Column 0: the message names the line of the operator's clause only. */
	sql_error_set(n->run->err, n->plan->line, 0,
		      "%s needs more than its memory budget of %s MiB (raise memory_per_operator in metafs.ini)",
		      exec_op_name(n, op), size);
	return -ENOMEM;
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
	if ((rc = store_iter_files(txn, id, NULL, &it)))
		return rc;
	while ((rc = store_iter_next(it, &f)) == 0) {
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
		uint64_t off = sql_reader_offset(r);
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

static int exec_scan_start(exec_scan *s)
{
	int rc = exec_scan_plan(s);

	if (rc)
		return rc;
	uint32_t threads = s->base.plan->phys.threads ? s->base.plan->phys.threads : 1;
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

typedef struct exec_agg {
	exec_node base;
	uint32_t child_cols;
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
} exec_agg;

/* Copy E, replacing each AGG node by a column at CHILD_COLS + its slot. */
static sql_expr *exec_agg_rewrite(exec_agg *g, const sql_expr *e)
{
	sql_arena *a = g->base.arena;

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
	return sql_arena_used(g->base.arena) + exec_hash_bytes(&g->groups) + exec_hash_bytes(&g->seen) +
	       (uint64_t)g->reps_cap * (sizeof *g->reps + sizeof *g->states);
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

static int exec_agg_build(exec_agg *g)
{
	exec_node *n = &g->base;
	uint32_t nkeys = g->distinct_node ? g->child_cols : n->plan->ngroups;
	sql_value *key = NULL;
	exec_batch *in;
	int rc;

	for (;;) {
		if ((rc = exec_pull(n->child[0], &in)) || !in)
			break;
		exec_new_scratch(n);
		if (n->run->ctx->progress && n->run->ctx->progress->cancel)
			return -ECANCELED;
		for (uint32_t r = 0; r < in->nrows && !rc; r++) {
			const sql_value *row = in->v + (size_t)r * in->ncols;
			uint32_t group;
			if (!key)
				key = sql_arena_alloc(n->arena, (nkeys ? nkeys : 1) * sizeof *key);
			if (g->distinct_node) {
				memcpy(key, row, nkeys * sizeof *key);
			} else {
				for (uint32_t k = 0; k < nkeys && !rc; k++)
					if ((rc = sql_eval(n->scratch, n->plan->groups[k], row, &key[k])))
						rc = exec_eval_error(n, n->plan->groups[k], rc);
			}
			if (rc)
				break;
			uint64_t h = exec_hash_row(key, nkeys);
			group = exec_hash_find(&g->groups, h, key);
			if (group == UINT32_MAX) {
				/* Keep the key: copy its strings, and start a fresh buffer for the next. */
				exec_copy_values(n->arena, key, key, nkeys);
				if ((rc = exec_agg_new_group(g, key, h, row, &group)))
					break;
				key = NULL;
				if (g->distinct_node) {
					/* DISTINCT streams: a row is output when first seen. */
					if ((rc = exec_batch_reserve(&n->out, n->out.nrows + 1)))
						break;
					memcpy(n->out.v + (size_t)n->out.nrows++ * n->ncols,
					       g->groups.keys[group], n->ncols * sizeof(sql_value));
				}
			}
			if (!g->distinct_node)
				rc = exec_agg_update(g, group, row);
		}
		if (!rc)
			rc = exec_mem(n, exec_agg_bytes(g), "HashAggregate");
		if (rc || (g->distinct_node && n->out.nrows))
			break;
	}
	return rc;
}

static int exec_distinct_next(exec_node *n, exec_batch **out)
{
	exec_agg *g = (exec_agg *)n;
	int rc;

	*out = NULL;
	n->out.nrows = 0;
	if (n->done)
		return 0;
	if ((rc = exec_agg_build(g)))
		return rc;
	if (!n->out.nrows) {
		n->done = true;
		return 0;
	}
	*out = &n->out;
	return 0;
}

static int exec_agg_next(exec_node *n, exec_batch **out)
{
	exec_agg *g = (exec_agg *)n;
	int rc;

	*out = NULL;
	if (!g->built) {
		g->built = true;
		if ((rc = exec_agg_build(g)))
			return rc;
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
	if (g->emitted >= g->groups.n)
		return 0;
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

typedef struct exec_join {
	exec_node base;
	uint32_t lcols, rcols;
	exec_join_table table;
	exec_join_cursor cur;
	exec_batch *in;           /* the left batch being probed, NULL between batches */
	sql_value *pair;          /* lcols + rcols: the row the residual reads */
	uint32_t unmatched;       /* RIGHT, FULL: next build row to check after the probe */
	bool built, probed;
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

/* Read the whole right side into J's table. */
static int exec_join_build(exec_join *j)
{
	exec_node *n = &j->base;
	uint32_t nk = n->plan->nkeys;
	bool keep_null = exec_join_keeps_unmatched_build(n->plan) || n->plan->null_aware;
	exec_batch *in;
	int rc;

	for (;;) {
		if ((rc = exec_pull(n->child[1], &in)) || !in)
			return rc;
		exec_new_scratch(n);
		for (uint32_t r = 0; r < in->nrows; r++) {
			const sql_value *row = in->v + (size_t)r * in->ncols;
			sql_value key[nk ? nk : 1];
			bool key_null;
			if ((rc = exec_join_keys(n, n->plan->rkeys, row, key, &key_null)))
				return rc;
			/* A NULL key matches nothing: an inner, left or semi join, and
			 * an anti join that is not null-aware, never need the row. */
			if (key_null && !keep_null)
				continue;
			if ((rc = exec_join_table_add(&j->table, j->rcols, nk, row, key, key_null)))
				return rc;
		}
		if ((rc = exec_mem(n, exec_join_table_bytes(&j->table), "HashJoin")))
			return rc;
	}
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
	int rc;

	*out = NULL;
	if (!j->built) {
		j->built = true;
		if ((rc = exec_join_build(j)))
			return rc;
	}
	n->out.nrows = 0;
	while (!j->probed) {
		if (!j->in) {
			/* Rows out point into the left batch: hand them over before
			 * the next pull invalidates it. */
			if (n->out.nrows)
				break;
			if ((rc = exec_pull(n->child[0], &j->in)))
				return rc;
			if (!j->in) {
				j->probed = true;
				break;
			}
			exec_new_scratch(n);
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
	if (n->out.nrows)
		*out = &n->out;
	return 0;
}

static void exec_join_close(exec_node *n)
{
	exec_join *j = (exec_join *)n;

	exec_join_table_free(&j->table);
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
typedef struct exec_sort {
	exec_node base;
	exec_sort_row *rows;
	size_t cap;
	uint64_t nrows, emitted, seq;
	uint64_t held;            /* TopN: bytes of the kept rows' blocks */
	bool built;
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

/* Keep one input row for a full sort. */
static int exec_sort_add(exec_sort *s, const sql_value *row, const sql_value *keys)
{
	exec_node *n = &s->base;
	int rc;

	if ((rc = BASE_ARRAY_RESERVE(s->rows, s->cap, (size_t)s->nrows + 1)))
		return rc;
	exec_sort_row *sr = &s->rows[s->nrows];
	sr->row = sql_arena_alloc(n->arena, (n->ncols + n->plan->nsort + 1) * sizeof(sql_value));
	sr->keys = sr->row + n->ncols;
	sr->bytes = 0;
	exec_copy_values(n->arena, sr->row, row, n->ncols);
	exec_copy_values(n->arena, sr->keys, keys, n->plan->nsort);
	sr->seq = s->seq++;
	s->nrows++;
	if (s->nrows > n->peak_rows)
		n->peak_rows = s->nrows;
	return 0;
}

static int exec_sort_next(exec_node *n, exec_batch **out)
{
	exec_sort *s = (exec_sort *)n;
	bool topn = n->plan->phys.topn;
	exec_batch *in;
	int rc;

	*out = NULL;
	if (!s->built) {
		s->built = true;
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
			}
			uint64_t bytes = (topn ? s->held : sql_arena_used(n->arena)) + s->cap * sizeof *s->rows;
			if ((rc = exec_mem(n, bytes, topn ? "TopN" : "Sort")))
				return rc;
		}
		if (s->nrows > 1)
			qsort_r(s->rows, s->nrows, sizeof *s->rows, exec_sort_cmp, n->plan);
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

	if (n->plan->phys.topn)
		for (uint64_t i = 0; i < s->nrows; i++)
			free(s->rows[i].row);
	free(s->rows);
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
		g->child_cols = n->child[0]->ncols;
		g->groups.nkeys = plan->kind == SQL_PLAN_DISTINCT ? g->child_cols : plan->ngroups;
		g->seen.nkeys = 3;
		g->distinct_node = plan->kind == SQL_PLAN_DISTINCT;
		n->close = exec_agg_close;
		if (g->distinct_node) {
			rc = exec_types_copy(n, n->child[0], NULL);
			n->next = exec_distinct_next;
			break;
		}
		g->needed = sql_arena_alloc(n->arena, (g->child_cols + 1) * sizeof *g->needed);
		g->outs = sql_arena_alloc(n->arena, (plan->nexprs + 1) * sizeof *g->outs);
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
		j->table.arena = n->arena;
		j->table.hash.nkeys = plan->nkeys;
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
	exec_run run = {.ctx = ctx, .err = err};
	exec_node *root = NULL;
	exec_batch *b;
	int rc;

	(void)text;
	err->message[0] = '\0';
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
