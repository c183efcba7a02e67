/*
 * sql_physical.c - from the optimized logical plan to the physical plan:
 * operator choice, pipeline stages, and the resources each stage gets.
 *
 * Resources come from the metastore's statistics, never from reading data:
 * a scan's partitions_selected, bytes_selected and rows_selected were
 * counted by partition pruning, so the planner knows how much input each
 * stage has before anything runs.  From that it derives
 *
 *   parallelism   input splits of a stage: the partitions a scan reads (a
 *                 partition is the unit the engine hands to a worker);
 *   threads       for a scan, min(parallelism, the daemon's worker threads):
 *                 the engine starts that many workers, each parsing and
 *                 filtering whole files; every other operator runs in the
 *                 job's one worker thread, and says so (threads=1);
 *   memory        for operators that hold rows (hash aggregate, hash join
 *                 build side, sort, distinct): an estimate of what they will
 *                 hold, at most memory_per_operator, and all of a job's
 *                 holders together at most memory_per_job (shared out in
 *                 proportion to their estimates).  An operator that needs
 *                 more fails with a message naming its budget: it never
 *                 takes the daemon down.
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
 * hash table overhead.  Deliberately generous. */
#define HELD_BYTES_PER_ROW 96
#define MIN_BUDGET ((uint64_t)4 << 20)

struct planner {
	const sql_limits *limits;
	uint32_t next_stage;
	uint64_t held_estimate_total;   /* sum over holders, for sharing memory_per_job */
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
		return p->scan->format == STORE_FORMAT_JSONL ? "FileScan json" : "FileScan csv";
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
	if (holds_rows(p)) {
		uint64_t want = held_rows(p) * held_bytes_per_row(p);
		if (want < MIN_BUDGET)
			want = MIN_BUDGET;
		p->phys.memory_budget = want;   /* capped in share_memory() */
		pl->held_estimate_total += want;
	}
	return 0;
}

/* Cap every holder at memory_per_operator, and all of them together at
 * memory_per_job, shared in proportion to what each expects to hold. */
static void share_memory(struct planner *pl, sql_plan *p)
{
	for (int i = 0; i < 2; i++)
		if (p->child[i])
			share_memory(pl, p->child[i]);
	if (!p->phys.memory_budget)
		return;
	uint64_t budget = p->phys.memory_budget;
	const sql_limits *lim = pl->limits;
	if (lim->memory_per_job && pl->held_estimate_total > lim->memory_per_job) {
		long double share = (long double)budget / (long double)pl->held_estimate_total;
		budget = (uint64_t)(share * (long double)lim->memory_per_job);
	}
	if (lim->memory_per_operator && budget > lim->memory_per_operator)
		budget = lim->memory_per_operator;
	if (budget < MIN_BUDGET)
		budget = MIN_BUDGET;
	p->phys.memory_budget = budget;
}

int sql_plan_physical(sql_arena *a, const sql_limits *limits, sql_plan *plan, sql_error *err)
{
	(void)a;
	struct planner pl = {.limits = limits};
	int rc = plan_node(&pl, plan, err);
	if (rc == 0)
		share_memory(&pl, plan);
	return rc;
}
