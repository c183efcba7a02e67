/*
 * bench_sync_core.c - timings of the sync library itself for the sync goals (printed, never asserted):
 *   full sync of N partitions (a rule that mirrors partitions), from the
 *   log and by full compare; one incremental change on a table of M
 *   partitions; a .refresh of N partitions.
 * Usage: bench_sync_core [N [M]]   (defaults 100000 and 1000000)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sync.h"
#include "testdir.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench_sync: %s: %s\n", what, store_strerror(rc));
		exit(1);
	}
}

struct pair {
	char dir[PATH_MAX];
	sync_platform src, dst;
};

static void pair_open(struct pair *p)
{
	char a[PATH_MAX + 8], b[PATH_MAX + 8];

	if (testdir_make(p->dir) != 0)
		exit(1);
	snprintf(a, sizeof a, "%s/wh", p->dir);
	snprintf(b, sizeof b, "%s/lk", p->dir);
	mkdir(a, 0755);
	mkdir(b, 0755);
	p->src = (sync_platform){ .name = "warehouse", .data_dir = "/data/wh" };
	p->dst = (sync_platform){ .name = "lake", .data_dir = "/data/lake" };
	check(store_open(a, NULL, &p->src.store), "open");
	check(store_open(b, NULL, &p->dst.store), "open");
}

static void pair_close(struct pair *p)
{
	store_close(p->src.store);
	store_close(p->dst.store);
	testdir_remove(p->dir);
}

/* sales.orders partitioned by dt with N partitions of one file each. */
static uint64_t fill(store_env *env, unsigned n)
{
	store_column cols[2] = { { "id", STORE_TYPE_BIGINT }, { "dt", STORE_TYPE_STRING } };
	store_txn *txn;
	store_table t;
	store_pnode p;
	store_file f;
	char v[32];

	check(store_write_begin(env, &txn), "begin");
	check(store_database_create(txn, "sales", 0, 0, STORE_ORIGIN_TOOL, NULL), "db");
	check(store_table_create(txn, "sales", "orders", 0, 0, STORE_ORIGIN_TOOL, &t), "table");
	t.format = STORE_FORMAT_CSV;
	t.ncolumns = 1;
	t.npartkeys = 1;
	t.columns = cols;
	t.properties = NULL;
	check(store_table_set_schema(txn, &t, STORE_ORIGIN_TOOL), "schema");
	for (unsigned i = 0; i < n; i++) {
		snprintf(v, sizeof v, "%07u", i);
		check(store_pnode_create(txn, t.id, 0, v, 0, 0, STORE_ORIGIN_JOB, &p), "pnode");
		memset(&f, 0, sizeof f);
		f.pnode_id = p.id;
		strcpy(f.name, "part-0.csv");
		f.rows = i;
		f.bytes = 10 * (uint64_t)i;
		f.checksum[0] = (uint8_t)i;
		check(store_file_put(txn, &f, STORE_ORIGIN_JOB), "file");
		if (i % 50000 == 49999) {
			check(store_commit(txn), "commit");
			check(store_write_begin(env, &txn), "begin");
		}
	}
	check(store_commit(txn), "commit");
	return t.id;
}

static sync_rule rule(void)
{
	const char *text = "source = warehouse.sales.*\ntarget = lake\n"
			   "mirror = schema, properties, partitions\n";
	char err[256];
	sync_rule r;

	check(sync_rule_parse("bench", text, strlen(text), &r, err, sizeof err), err);
	return r;
}

static double apply(struct pair *p, bool full, sync_result *res)
{
	sync_rule r = rule();
	double t0 = now();

	check(sync_rule_apply(&r, &p->src, &p->dst, full, false, NULL, res), "apply");
	return now() - t0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	unsigned m = argc > 2 ? (unsigned)atoi(argv[2]) : 1000000;
	struct pair p;
	sync_result res;
	store_txn *txn;
	store_table t;
	textbuf out = TEXTBUF_INIT;
	double t0, dt;
	uint64_t id;
	store_pnode pn;
	store_file f;

	/* 1. Full sync of N partitions: from the log, then by full compare. */
	pair_open(&p);
	t0 = now();
	fill(p.src.store, n);
	printf("setup: %u source partitions in %.3f s\n", n, now() - t0);
	dt = apply(&p, false, &res);
	printf("full sync of %u partitions from the log: %.3f s (events %llu, applied %llu)\n", n, dt,
	       (unsigned long long)res.events_read, (unsigned long long)res.applied);
	dt = apply(&p, true, &res);
	printf("full compare of %u partitions, all unchanged: %.3f s (unchanged %llu)\n", n, dt,
	       (unsigned long long)res.unchanged);
	pair_close(&p);

	pair_open(&p);
	fill(p.src.store, n);
	dt = apply(&p, true, &res);
	printf("full sync of %u partitions by full compare (empty target): %.3f s (applied %llu)\n", n,
	       dt, (unsigned long long)res.applied);

	/* 3. Refresh of N partitions. */
	check(store_read_begin(p.dst.store, &txn), "read");
	check(store_table_get(txn, "sales", "orders", &t), "get");
	store_abort(txn);
	for (int i = 0; i < 3; i++) {
		textbuf_reset(&out);
		t0 = now();
		check(sync_refresh(&t, "lake", &p.src, 0, &out), "refresh");
		printf("refresh of %u partitions: %.1f ms (%zu bytes)\n", n, (now() - t0) * 1e3, out.len);
	}
	store_table_clear(&t);
	textbuf_free(&out);
	pair_close(&p);

	/* 2. One change on a table of M partitions. */
	if (m == 0)
		return 0;
	pair_open(&p);
	t0 = now();
	id = fill(p.src.store, m);
	printf("setup: %u source partitions in %.3f s\n", m, now() - t0);
	dt = apply(&p, false, &res);
	printf("initial sync of %u partitions: %.3f s\n", m, dt);
	for (int i = 0; i < 3; i++) {
		check(store_write_begin(p.src.store, &txn), "begin");
		snprintf(f.name, sizeof f.name, "new-%d", i);
		check(store_pnode_create(txn, id, 0, f.name, 0, 0, STORE_ORIGIN_JOB, &pn), "pnode");
		memset(&f, 0, sizeof f);
		f.pnode_id = pn.id;
		strcpy(f.name, "part-0.csv");
		f.rows = 1;
		check(store_file_put(txn, &f, STORE_ORIGIN_JOB), "file");
		check(store_commit(txn), "commit");
		dt = apply(&p, false, &res);
		printf("incremental apply of one new partition on %u: %.2f ms (events %llu, applied %llu)\n",
		       m, dt * 1e3, (unsigned long long)res.events_read,
		       (unsigned long long)res.applied);
	}
	pair_close(&p);
	return 0;
}
