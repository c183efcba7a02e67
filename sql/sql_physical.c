/*
 * sql_physical.c - from the optimized logical plan to the physical plan:
 * operator choice, pipeline stages, and the resources each stage gets.
 *
 * Resources come from the metastore's statistics, never from reading data:
 * a scan's partitions_selected, bytes_selected and rows_selected were
 * counted by partition pruning (a CSV or JSONL scan: the selected
 * partitions' recorded rows and bytes; a Parquet scan with a pushed filter:
 * the recorded rows and bytes of the files left once those whose
 * statistics rule the filter out are skipped), so the planner knows how
 * much input each stage has before anything runs.  From that it derives
 *
 *   parallelism   input splits of a stage: the partitions a scan reads (a
 *                 partition is the unit the engine hands to a worker);
 *   threads       for a scan, min(parallelism, the daemon's worker threads):
 *                 the engine starts that many workers, each parsing and
 *                 filtering whole files (a Parquet scan gets every worker
 *                 thread, as its files split into row groups); every other
 *                 operator runs in the
 *                 job's one worker thread, and says so (threads=1);
 *   memory        memory_per_job is what a job may hold, and it is shared
 *                 out among the operators that hold rows (hash aggregate,
 *                 DISTINCT, the build side of a hash join, sort and TopN):
 *                 each gets a floor (1 MiB, or a sixteenth of the job's
 *                 memory when that is less) and the rest goes in proportion
 *                 to what each is estimated to hold, so the budgets add up
 *                 to memory_per_job.  memory_per_operator, when set, caps
 *                 each budget.  A budget is exactly what the operator may
 *                 hold: past it a sort writes sorted runs to spill files, an
 *                 aggregate or a join partitions its input into them
 *                 (sql_exec.c); only what cannot be split (one row, one
 *                 group) fails, naming memory_per_job.  Without
 *                 memory_per_job (a plan made outside the daemon) each gets
 *                 its estimate, at least 4 MiB.
 *
 * A sort right under a LIMIT is a TopN: it keeps the limit plus the offset
 * rows, and is sized for those.
 *
 * Stages follow Spark's whole-stage code generation boundaries: an operator
 * that must see all its input before producing output (aggregate, sort,
 * distinct, the build side of a join) ends the stage below it.
 */
#include "sql_int.h"

#include <errno.h>
#include <string.h>

/* Average bytes an operator holds per row it keeps: key and values plus
 * hash table overhead.  Only the ratio between operators matters. */
#define HELD_BYTES_PER_ROW 96
#define BUDGET_FLOOR ((uint64_t)1 << 20)
/* Without memory_per_job (plans made outside the daemon): the estimate, at
 * least this. */
#define UNSHARED_MIN_BUDGET ((uint64_t)4 << 20)

struct planner {
	const sql_limits *limits;
	uint32_t next_stage;
	uint64_t held_estimate_total;   /* sum over holders, for sharing memory_per_job */
	uint32_t holders;
	uint64_t level;                 /* share_memory()'s cap on a want; 0: in proportion */
};

uint64_t sql_plan_estimate_rows(const sql_plan *p)
{
	switch (p->kind) {
	case SQL_PLAN_SCAN: {
		const sql_scan *s = p->scan;
		uint64_t rows = s->rows_selected;
		if (rows == 0 && s->bytes_selected)
			rows = s->bytes_selected / 64 + 1;   /* no row counts: assume 64-byte rows */
		return s->data_filter ? rows / 2 + 1 : rows;
	}
	case SQL_PLAN_FILTER:
		return sql_plan_estimate_rows(p->child[0]) / 2 + 1;
	case SQL_PLAN_AGGREGATE:
		if (p->ngroups == 0)
			return 1;
		/* Group count is unknown without column statistics: assume a tenth
		 * of the input, the usual guess, bounded below by one. */
		return sql_plan_estimate_rows(p->child[0]) / 10 + 1;
	case SQL_PLAN_DISTINCT:
		return sql_plan_estimate_rows(p->child[0]) / 2 + 1;
	case SQL_PLAN_JOIN: {
		uint64_t l = sql_plan_estimate_rows(p->child[0]), r = sql_plan_estimate_rows(p->child[1]);
		if (p->join_type == SQL_JOIN_LEFT_SEMI || p->join_type == SQL_JOIN_LEFT_ANTI)
			return l;
		/* Without equi keys every pair is a candidate: a cross product
		 * unless a residual narrows it (assume it keeps a tenth). */
		if (p->nkeys == 0 && l && r) {
			uint64_t pairs = r > UINT64_MAX / l ? UINT64_MAX : l * r;
			return p->cond ? pairs / 10 + 1 : pairs;
		}
		return l > r ? l : r;
	}
	case SQL_PLAN_UNION:
		return sql_plan_estimate_rows(p->child[0]) + sql_plan_estimate_rows(p->child[1]);
	case SQL_PLAN_LIMIT: {
		uint64_t c = sql_plan_estimate_rows(p->child[0]);
		c = c > (uint64_t)p->offset ? c - (uint64_t)p->offset : 0;
		return p->limit >= 0 && (uint64_t)p->limit < c ? (uint64_t)p->limit : c;
	}
	case SQL_PLAN_VALUES:
		return p->nrows;
	case SQL_PLAN_ONE_ROW:
		return 1;
	default:
		return p->child[0] ? sql_plan_estimate_rows(p->child[0]) : 1;
	}
}

static bool holds_rows(const sql_plan *p)
{
	return p->kind == SQL_PLAN_AGGREGATE || p->kind == SQL_PLAN_SORT ||
	       p->kind == SQL_PLAN_DISTINCT || p->kind == SQL_PLAN_JOIN;
}

/* Rows an operator keeps in memory: groups, the sorted input, the distinct
 * set, or a join's build (right) side. */
static uint64_t held_rows(const sql_plan *p)
{
	switch (p->kind) {
	case SQL_PLAN_AGGREGATE:
	case SQL_PLAN_DISTINCT:
		return sql_plan_estimate_rows(p);
	case SQL_PLAN_SORT: {
		uint64_t c = sql_plan_estimate_rows(p->child[0]);
		return p->phys.topn && p->phys.topn_rows < c ? p->phys.topn_rows : c;
	}
	case SQL_PLAN_JOIN:
		return sql_plan_estimate_rows(p->child[1]);
	default:
		return 0;
	}
}

/* Average bytes of a row of P's data files, from the first scan down its
 * left spine (0 when unknown): the strings a held row copies. */
static uint64_t file_row_bytes(const sql_plan *p)
{
	while (p && p->kind != SQL_PLAN_SCAN)
		p = p->child[0];
	if (!p || !p->scan->rows_selected)
		return 0;
	return p->scan->bytes_selected / p->scan->rows_selected;
}

/* Bytes an operator holds per row it keeps.  A join keeps every column of
 * its build side and the evaluated keys (a value each), the row's strings
 * and its place in the hash table and chains, so its rows are wider than
 * the flat estimate of the others. */
static uint64_t held_bytes_per_row(const sql_plan *p)
{
	if (p->kind != SQL_PLAN_JOIN)
		return HELD_BYTES_PER_ROW;
	const sql_plan *build = p->child[1];
	return HELD_BYTES_PER_ROW + (uint64_t)(build->noutput + p->nkeys + 1) * sizeof(sql_value) +
	       file_row_bytes(build);
}

static const char *operator_name(const sql_plan *p)
{
	switch (p->kind) {
	case SQL_PLAN_SCAN:
		return p->scan->format == STORE_FORMAT_JSONL ? "FileScan json"
		       : p->scan->format == STORE_FORMAT_PARQUET ? "FileScan parquet"
							  : "FileScan csv";
	case SQL_PLAN_FILTER: return "Filter";
	case SQL_PLAN_PROJECT: return "Project";
	case SQL_PLAN_AGGREGATE: return "HashAggregate";
	case SQL_PLAN_JOIN:
		/* Every join builds a hash table from the right side and probes it
		 * with the left (printed BuildRight); the optimizer puts the smaller
		 * input on the right where the join type allows.  Without equi keys
		 * the table is one bucket: every left row meets every build row. */
		return p->nkeys ? "HashJoin" : "NestedLoopJoin";
	case SQL_PLAN_SORT: return p->phys.topn ? "TopN" : "Sort";
	case SQL_PLAN_LIMIT: return "CollectLimit";
	case SQL_PLAN_DISTINCT: return "HashAggregate";
	case SQL_PLAN_UNION: return "Union";
	case SQL_PLAN_ALIAS: return "SubqueryAlias";
	case SQL_PLAN_VALUES: return "LocalTableScan";
	case SQL_PLAN_ONE_ROW: return "Scan OneRowRelation";
	default: return NULL;
	}
}

/* The input splits of the stage NODE belongs to: the largest scan below it
 * within the stage decides. */
static uint32_t stage_parallelism(const sql_plan *p)
{
	if (p->kind == SQL_PLAN_SCAN)
		return p->scan->partitions_selected ? (uint32_t)p->scan->partitions_selected
		       : p->scan->npartkeys ? 0 : 1;
	uint32_t best = 1;
	for (int i = 0; i < 2; i++)
		if (p->child[i]) {
			uint32_t c = stage_parallelism(p->child[i]);
			if (c > best)
				best = c;
		}
	return best;
}

static int plan_node(struct planner *pl, sql_plan *p, sql_error *err)
{
	/* ORDER BY ... LIMIT n [OFFSET m]: the sort only ever needs its first
	 * n + m rows, so it becomes a TopN that keeps no more than those. */
	if (p->kind == SQL_PLAN_LIMIT && p->limit >= 0 && p->child[0] &&
	    p->child[0]->kind == SQL_PLAN_SORT) {
		p->child[0]->phys.topn = true;
		p->child[0]->phys.topn_rows = (uint64_t)p->limit + (uint64_t)p->offset;
	}
	for (int i = 0; i < 2; i++)
		if (p->child[i]) {
			int rc = plan_node(pl, p->child[i], err);
			if (rc)
				return rc;
		}
	const char *op = operator_name(p);
	if (!op) {
		sql_error_set(err, p->line, p->col, "internal error: a %s node reached the physical planner",
			      p->kind == SQL_PLAN_UNRESOLVED_RELATION ? "unresolved relation" : "logical-only");
		return -EINVAL;
	}
	p->phys.op = op;
	/* A leaf starts a stage; so does whatever sits on a pipeline breaker. */
	if (!p->child[0])
		p->phys.stage = ++pl->next_stage;
	else if (holds_rows(p->child[0]) || p->child[0]->kind == SQL_PLAN_UNION)
		p->phys.stage = ++pl->next_stage;
	else
		p->phys.stage = p->child[0]->phys.stage;
	uint32_t splits = stage_parallelism(p);
	p->phys.parallelism = splits ? splits : 1;
	/* Only a scan runs on several threads (sql_exec.c). */
	uint32_t threads = pl->limits->threads ? pl->limits->threads : 1;
	if (p->kind != SQL_PLAN_SCAN)
		threads = 1;
	p->phys.threads = p->phys.parallelism < threads ? p->phys.parallelism : threads;
	/* A Parquet file splits into its row groups (sql_exec.c), which the
	 * metastore does not count: such a scan gets every worker thread, and
	 * the engine starts no more than it has pieces of work. */
	if (p->kind == SQL_PLAN_SCAN && p->scan->format == STORE_FORMAT_PARQUET)
		p->phys.threads = threads;
	if (holds_rows(p)) {
		uint64_t want = held_rows(p) * held_bytes_per_row(p);
		p->phys.memory_budget = want;   /* the estimate, until share_memory() */
		pl->held_estimate_total += want;
		pl->holders++;
	}
	return 0;
}

/* What a holder asks for when memory_per_job cannot give every holder
 * that much: twice its estimate (the estimates are guesses; a small build
 * side that misses its budget by a little spills the whole probe side). */
static uint64_t holder_want(const sql_plan *p)
{
	uint64_t e = p->phys.memory_budget;
	return e > UINT64_MAX / 2 ? UINT64_MAX : e * 2;
}

/* The sum over the holders under P of min(want, CAP), saturating. */
static uint64_t capped_wants(const sql_plan *p, uint64_t cap)
{
	uint64_t sum = 0;

	for (int i = 0; i < 2; i++)
		if (p->child[i]) {
			uint64_t c = capped_wants(p->child[i], cap);
			sum = c > UINT64_MAX - sum ? UINT64_MAX : sum + c;
		}
	if (holds_rows(p)) {
		uint64_t w = holder_want(p);
		w = w < cap ? w : cap;
		sum = w > UINT64_MAX - sum ? UINT64_MAX : sum + w;
	}
	return sum;
}

/* Share memory_per_job among the holders: the floor each, then the rest:
 * when it covers every holder's want (holder_want()), in proportion to
 * their estimates (evenly when every estimate is 0); otherwise filled
 * from the smallest want up, each holder getting its want or the level
 * (pl->level) the rest allows, whichever is less: the small ones get what
 * they need and the large ones, which spill anyway, share what remains.
 * Then cap each at memory_per_operator.  Without memory_per_job (a plan
 * made outside the daemon), each gets its estimate, at least
 * UNSHARED_MIN_BUDGET, at most memory_per_operator. */
static void share_memory(struct planner *pl, sql_plan *p)
{
	for (int i = 0; i < 2; i++)
		if (p->child[i])
			share_memory(pl, p->child[i]);
	if (!holds_rows(p))
		return;
	const sql_limits *lim = pl->limits;
	uint64_t job = lim->memory_per_job, budget;
	if (!job) {
		budget = p->phys.memory_budget < UNSHARED_MIN_BUDGET ? UNSHARED_MIN_BUDGET : p->phys.memory_budget;
	} else {
		uint64_t floor = job / 16 < BUDGET_FLOOR ? job / 16 : BUDGET_FLOOR;
		uint64_t floors = floor * pl->holders;
		if (floors >= job) {
			budget = job / pl->holders;
		} else if (pl->level) {
			uint64_t w = holder_want(p);
			budget = floor + (w < pl->level ? w : pl->level);
		} else {
			long double share = pl->held_estimate_total
				? (long double)p->phys.memory_budget / (long double)pl->held_estimate_total
				: 1.0L / pl->holders;
			budget = floor + (uint64_t)(share * (long double)(job - floors));
		}
	}
	if (lim->memory_per_operator && budget > lim->memory_per_operator)
		budget = lim->memory_per_operator;
	p->phys.memory_budget = budget ? budget : 1;
}

int sql_plan_physical(sql_arena *a, const sql_limits *limits, sql_plan *plan, sql_error *err)
{
	(void)a;
	struct planner pl = {.limits = limits};
	int rc = plan_node(&pl, plan, err);
	if (rc)
		return rc;
	uint64_t job = limits->memory_per_job;
	uint64_t floor = job / 16 < BUDGET_FLOOR ? job / 16 : BUDGET_FLOOR;
	if (job && pl.holders && floor * pl.holders < job) {
		uint64_t avail = job - floor * pl.holders;
		if (capped_wants(plan, UINT64_MAX) > avail) {
			/* The highest level whose capped wants fit what is left. */
			uint64_t lo = 0, hi = avail;
			while (lo < hi) {
				uint64_t mid = lo + (hi - lo + 1) / 2;
				if (capped_wants(plan, mid) <= avail)
					lo = mid;
				else
					hi = mid - 1;
			}
			pl.level = lo ? lo : 1;
		}
	}
	share_memory(&pl, plan);
	return rc;
}
