/*
 * sql_print.c - plans as text, in the shape of Catalyst's EXPLAIN EXTENDED,
 * and as Graphviz.
 *
 * The tree drawing is TreeNode.generateTreeString's: a child that is not
 * the last one is introduced by ":- " and its subtree indented by ":  ";
 * the last child by "+- " and its subtree by "   ".  Inner children (the
 * definitions of a WITH) come before the children, two levels down, as
 * Spark prints a CTE.  Someone used to reading Spark plans reads ours
 * without a legend:
 *
 *   'Aggregate ['region], ['region, 'count(1) AS n#?]
 *   +- 'Filter ('dt >= 2024-05-01)
 *      +- 'UnresolvedRelation [sales, orders], [], false
 *
 * Parsed plans mark every unresolved node and name with a leading "'";
 * resolved ones show attributes as name#id.  Physical lines show the
 * operator the planner chose, its pipeline stage as *(N), and the
 * resources it was given.
 */
#include "fmt.h"
#include "sql_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- pieces ---------------------------------------------------------------------- */

/* Byte counts as Spark's Utils.bytesToString writes them: 64.0 MiB. */
static void sql_print_bytes(uint64_t n, textbuf *out)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		textbuf_printf(out, "%" PRIu64 " B", n);
		return;
	}
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	textbuf_printf(out, "%.1f %s", v, units[u]);
}

static void sql_print_exprs(sql_expr *const *list, uint32_t n, bool resolved, textbuf *out)
{
	textbuf_puts(out, "[");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			textbuf_puts(out, ", ");
		sql_expr_print(list[i], resolved, out);
	}
	textbuf_puts(out, "]");
}

/* Output attributes as a Relation line lists them: [a#1,b#2]. */
static void sql_print_attrs(const sql_plan *p, const char *sep, textbuf *out)
{
	textbuf_puts(out, "[");
	for (uint32_t i = 0; i < p->noutput; i++) {
		if (i)
			textbuf_puts(out, sep);
		textbuf_printf(out, "%s#%" PRIu32, p->output[i].name, p->output[i].id);
	}
	textbuf_puts(out, "]");
}

/* The conjuncts of E, comma separated, as Spark lists pushed filters. */
static void sql_print_conjuncts(const sql_expr *e, bool *first, textbuf *out)
{
	if (!e)
		return;
	if (e->kind == SQL_EXPR_BINARY && e->op == SQL_OP_AND) {
		sql_print_conjuncts(e->args[0], first, out);
		sql_print_conjuncts(e->args[1], first, out);
		return;
	}
	if (!*first)
		textbuf_puts(out, ", ");
	*first = false;
	sql_expr_print(e, true, out);
}

static void sql_print_filter_list(const char *label, const sql_expr *e, textbuf *out)
{
	bool first = true;

	textbuf_printf(out, "%s: [", label);
	sql_print_conjuncts(e, &first, out);
	textbuf_puts(out, "]");
}

static void sql_print_sort_keys(const sql_plan *p, bool resolved, textbuf *out)
{
	textbuf_puts(out, "[");
	for (uint32_t i = 0; i < p->nsort; i++) {
		const sql_sort_key *k = &p->sort[i];

		if (i)
			textbuf_puts(out, ", ");
		sql_expr_print(k->expr, resolved, out);
		textbuf_printf(out, " %s NULLS %s", k->desc ? "DESC" : "ASC",
			       k->nulls_first ? "FIRST" : "LAST");
	}
	textbuf_puts(out, "]");
}

static const char *sql_print_format(store_format f)
{
	return fmt_name(f);
}

static void sql_print_table_name(const sql_scan *s, textbuf *out)
{
	if (s->platform_name)
		textbuf_printf(out, "%s.", s->platform_name);
	textbuf_printf(out, "%s.%s", s->db ? s->db : "?", s->table ? s->table : "?");
}

/* The scan's columns: its output attributes when analyzed, else the
 * names of the columns it reads. */
static void sql_print_scan_columns(const sql_plan *p, textbuf *out)
{
	const sql_scan *s = p->scan;

	if (p->noutput || !s->names) {
		sql_print_attrs(p, ",", out);
		return;
	}
	textbuf_puts(out, "[");
	for (uint32_t i = 0; i < s->nout; i++)
		textbuf_printf(out, "%s%s", i ? "," : "", s->names[s->columns[i]]);
	textbuf_puts(out, "]");
}

static void sql_print_join_type(sql_join_type t, textbuf *out)
{
	static const char *const names[] = {
		[SQL_JOIN_INNER] = "Inner", [SQL_JOIN_LEFT] = "LeftOuter",
		[SQL_JOIN_RIGHT] = "RightOuter", [SQL_JOIN_FULL] = "FullOuter",
		[SQL_JOIN_LEFT_SEMI] = "LeftSemi", [SQL_JOIN_LEFT_ANTI] = "LeftAnti",
	};
	textbuf_puts(out, (unsigned)t < sizeof names / sizeof names[0] && names[t] ? names[t] : "Inner");
}

/* Every aggregate call under E, for HashAggregate's functions=[...]. */
static void sql_print_aggs(const sql_expr *e, bool *first, textbuf *out)
{
	if (!e)
		return;
	if (e->kind == SQL_EXPR_AGG) {
		if (!*first)
			textbuf_puts(out, ", ");
		*first = false;
		sql_expr_print(e, true, out);
		return;
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		sql_print_aggs(e->args[i], first, out);
}

/* One equi key of join P as Catalyst writes it: (l = r); for NOT IN
 * ((l = r) OR isnull((l = r))). */
static void sql_print_join_key(const sql_plan *p, uint32_t k, bool resolved, textbuf *out)
{
	for (int i = 0; i < (p->null_aware ? 2 : 1); i++) {
		textbuf_puts(out, i ? " OR isnull((" : p->null_aware ? "((" : "(");
		sql_expr_print(p->lkeys[k], resolved, out);
		textbuf_puts(out, " = ");
		sql_expr_print(p->rkeys[k], resolved, out);
		textbuf_puts(out, i ? ")))" : ")");
	}
}

/* Join P's condition as Catalyst's one expression: its equi keys, then its
 * residual, ANDed left to right (", " first; nothing when there is none). */
static void sql_print_join_condition(const sql_plan *p, bool resolved, textbuf *out)
{
	uint32_t nterms = p->nkeys + (p->cond ? 1u : 0u);

	if (nterms == 0)
		return;
	textbuf_puts(out, ", ");
	for (uint32_t i = 1; i < nterms; i++)
		textbuf_puts(out, "(");
	for (uint32_t k = 0; k < p->nkeys; k++) {
		if (k)
			textbuf_puts(out, " AND ");
		sql_print_join_key(p, k, resolved, out);
		if (k)
			textbuf_puts(out, ")");
	}
	if (p->cond) {
		if (p->nkeys)
			textbuf_puts(out, " AND ");
		sql_expr_print(p->cond, resolved, out);
		if (p->nkeys)
			textbuf_puts(out, ")");
	}
}

/* ---- one node ---------------------------------------------------------------------- */

static void sql_print_logical(const sql_plan *p, bool resolved, textbuf *out)
{
	const char *q = resolved || p->kind == SQL_PLAN_ONE_ROW || p->kind == SQL_PLAN_WITH ? "" : "'";

	textbuf_puts(out, q);
	switch (p->kind) {
	case SQL_PLAN_UNRESOLVED_RELATION:
	case SQL_PLAN_CTE_REF:
		textbuf_puts(out, "UnresolvedRelation [");
		for (uint32_t i = 0; i < p->nnames; i++)
			textbuf_printf(out, "%s%s", i ? ", " : "", p->names[i]);
		textbuf_puts(out, "], [], false");
		break;
	case SQL_PLAN_SCAN:
		textbuf_puts(out, "Relation ");
		if (!p->scan) {
			textbuf_puts(out, "?");
			break;
		}
		sql_print_table_name(p->scan, out);
		sql_print_scan_columns(p, out);
		textbuf_printf(out, " %s", sql_print_format(p->scan->format));
		/* Our optimizer moves filters into the scan, so the logical
		 * plan would hide them if the Relation line did not show them. */
		if (p->scan->partition_filter) {
			textbuf_puts(out, ", ");
			sql_print_filter_list("PartitionFilters", p->scan->partition_filter, out);
		}
		if (p->scan->data_filter) {
			textbuf_puts(out, ", ");
			sql_print_filter_list("PushedFilters", p->scan->data_filter, out);
		}
		break;
	case SQL_PLAN_FILTER:
		textbuf_puts(out, "Filter ");
		sql_expr_print(p->cond, resolved, out);
		break;
	case SQL_PLAN_PROJECT:
		textbuf_puts(out, "Project ");
		sql_print_exprs(p->exprs, p->nexprs, resolved, out);
		break;
	case SQL_PLAN_AGGREGATE:
		textbuf_puts(out, "Aggregate ");
		sql_print_exprs(p->groups, p->ngroups, resolved, out);
		textbuf_puts(out, ", ");
		sql_print_exprs(p->exprs, p->nexprs, resolved, out);
		break;
	case SQL_PLAN_JOIN:
		textbuf_puts(out, "Join ");
		sql_print_join_type(p->join_type, out);
		sql_print_join_condition(p, resolved, out);
		if (p->one_row)
			textbuf_puts(out, ", one row");
		break;
	case SQL_PLAN_SORT:
		textbuf_puts(out, "Sort ");
		sql_print_sort_keys(p, resolved, out);
		textbuf_puts(out, ", true");
		break;
	case SQL_PLAN_LIMIT:
		textbuf_printf(out, "Limit %" PRId64, p->limit);
		if (p->offset)
			textbuf_printf(out, ", offset=%" PRId64, p->offset);
		break;
	case SQL_PLAN_DISTINCT:
		textbuf_puts(out, "Distinct");
		break;
	case SQL_PLAN_UNION:
		textbuf_puts(out, "Union");
		break;
	case SQL_PLAN_ALIAS:
		textbuf_printf(out, "SubqueryAlias %s", p->alias);
		break;
	case SQL_PLAN_VALUES:
		if (resolved && p->noutput) {
			textbuf_puts(out, "LocalRelation ");
			sql_print_attrs(p, ", ", out);
			break;
		}
		textbuf_puts(out, "UnresolvedInlineTable [");
		for (uint32_t i = 0; i < p->ncols; i++)
			textbuf_printf(out, "%scol%" PRIu32, i ? ", " : "", i + 1);
		textbuf_puts(out, "], [");
		for (uint32_t r = 0; r < p->nrows; r++) {
			if (r)
				textbuf_puts(out, ", ");
			sql_print_exprs(p->rows[r], p->ncols, resolved, out);
		}
		textbuf_puts(out, "]");
		break;
	case SQL_PLAN_WITH:
		textbuf_puts(out, "CTE [");
		for (uint32_t i = 0; i < p->nctes; i++)
			textbuf_printf(out, "%s%s", i ? ", " : "", p->cte_names[i]);
		textbuf_puts(out, "]");
		break;
	case SQL_PLAN_ONE_ROW:
		textbuf_puts(out, "OneRowRelation");
		break;
	}
}

/* A node the physical planner annotated: operator, details, resources. */
static void sql_print_physical(const sql_plan *p, textbuf *out)
{
	const sql_phys *ph = &p->phys;
	bool first = true;

	if (ph->stage)
		textbuf_printf(out, "*(%" PRIu32 ") ", ph->stage);
	textbuf_puts(out, ph->op);
	switch (p->kind) {
	case SQL_PLAN_SCAN:
		if (!p->scan)
			break;
		textbuf_puts(out, " ");
		sql_print_table_name(p->scan, out);
		sql_print_scan_columns(p, out);
		textbuf_puts(out, " ");
		sql_print_filter_list("PartitionFilters", p->scan->partition_filter, out);
		textbuf_puts(out, ", ");
		sql_print_filter_list("PushedFilters", p->scan->data_filter, out);
		textbuf_printf(out, ", partitions: %" PRIu64 " of %" PRIu64,
			       p->scan->partitions_selected, p->scan->partitions_total);
		/* Parquet files left out by their recorded statistics. */
		if (p->scan->stats_planned)
			textbuf_printf(out, ", files=%" PRIu64 " skipped_by_stats=%" PRIu64,
				       p->scan->files_total - p->scan->files_skipped_by_stats,
				       p->scan->files_skipped_by_stats);
		break;
	case SQL_PLAN_FILTER:
		textbuf_puts(out, " ");
		sql_expr_print(p->cond, true, out);
		break;
	case SQL_PLAN_PROJECT:
		textbuf_puts(out, " ");
		sql_print_exprs(p->exprs, p->nexprs, true, out);
		break;
	case SQL_PLAN_AGGREGATE:
		textbuf_puts(out, "(keys=");
		sql_print_exprs(p->groups, p->ngroups, true, out);
		textbuf_puts(out, ", functions=[");
		for (uint32_t i = 0; i < p->nexprs; i++)
			sql_print_aggs(p->exprs[i], &first, out);
		textbuf_puts(out, "], output=");
		if (p->noutput)
			sql_print_attrs(p, ", ", out);
		else
			sql_print_exprs(p->exprs, p->nexprs, true, out);
		textbuf_puts(out, ")");
		break;
	case SQL_PLAN_JOIN:
		textbuf_puts(out, " ");
		if (p->nkeys) {
			sql_print_exprs(p->lkeys, p->nkeys, true, out);
			textbuf_puts(out, ", ");
			sql_print_exprs(p->rkeys, p->nkeys, true, out);
			textbuf_puts(out, ", ");
			sql_print_join_type(p->join_type, out);
		} else {
			sql_print_join_type(p->join_type, out);
			if (p->cond) {
				textbuf_puts(out, ", ");
				sql_expr_print(p->cond, true, out);
			}
		}
		/* The engine builds its hash table from the right side. */
		textbuf_puts(out, ", BuildRight");
		if (p->null_aware)
			textbuf_puts(out, ", true");   /* Spark's isNullAwareAntiJoin */
		if (p->one_row)
			textbuf_puts(out, ", one row");  /* fails on a second right row */
		break;
	case SQL_PLAN_SORT:
		textbuf_puts(out, " ");
		sql_print_sort_keys(p, true, out);
		if (ph->topn)
			textbuf_printf(out, ", limit=%" PRIu64, ph->topn_rows);
		else
			textbuf_puts(out, ", true");
		break;
	case SQL_PLAN_LIMIT:
		textbuf_printf(out, " %" PRId64, p->limit);
		if (p->offset)
			textbuf_printf(out, ", offset=%" PRId64, p->offset);
		break;
	case SQL_PLAN_ALIAS:
		textbuf_printf(out, " %s", p->alias);
		break;
	case SQL_PLAN_VALUES:
	case SQL_PLAN_DISTINCT:
		if (p->noutput) {
			textbuf_puts(out, " ");
			sql_print_attrs(p, ", ", out);
		}
		break;
	default:
		break;
	}
	textbuf_printf(out, ", threads=%" PRIu32, ph->threads);
	if (ph->memory_budget) {
		textbuf_puts(out, ", memory=");
		sql_print_bytes(ph->memory_budget, out);
	}
	if (ph->parallelism)
		textbuf_printf(out, ", parallelism=%" PRIu32, ph->parallelism);
	/* A Parquet scan that ran: row groups decoded and skipped by statistics. */
	if (p->kind == SQL_PLAN_SCAN && p->scan && p->scan->format == STORE_FORMAT_PARQUET &&
	    (ph->rowgroups_read || ph->rowgroups_skipped))
		textbuf_printf(out, ", row groups: %" PRIu64 " read, %" PRIu64 " skipped",
			       ph->rowgroups_read, ph->rowgroups_skipped);
	if (p->kind == SQL_PLAN_SCAN && (ph->files_read || ph->files_skipped))
		textbuf_printf(out, ", files: %" PRIu64 " read, %" PRIu64 " skipped by statistics",
			       ph->files_read, ph->files_skipped);
	/* What the engine measured, once it ran. */
	if (ph->rows_in || ph->rows_out || ph->peak_memory || ph->cpu_ns) {
		textbuf_printf(out, ", rows: %" PRIu64 " in, %" PRIu64 " out, peak=",
			       ph->rows_in, ph->rows_out);
		sql_print_bytes(ph->peak_memory, out);
		textbuf_printf(out, ", cpu=%.1f ms", (double)ph->cpu_ns / 1e6);
	}
}

static void sql_print_node(const sql_plan *p, bool resolved, bool physical, textbuf *out)
{
	if (physical && p->phys.op)
		sql_print_physical(p, out);
	else
		sql_print_logical(p, resolved || physical, out);
}

/* ---- the tree ------------------------------------------------------------------------- */

static uint32_t sql_print_nchildren(const sql_plan *p)
{
	return p->child[1] ? 2 : p->child[0] ? 1 : 0;
}

static void sql_print_tree(const sql_plan *p, bool resolved, bool physical, textbuf *prefix,
			   const char *connector, textbuf *out);

/* The plans of the subquery expressions under E, each drawn as Spark draws
 * them: below the node, before its children, behind ":  ". */
static void sql_print_subqueries(const sql_expr *e, bool resolved, bool physical, textbuf *prefix,
				 uint32_t nchild, textbuf *out)
{
	if (e == NULL)
		return;
	if (e->subquery) {
		size_t inner = prefix->len;

		textbuf_puts(prefix, nchild ? ":  " : "   ");
		sql_print_tree(e->subquery, resolved, physical, prefix, "+- ", out);
		prefix->len = inner;
		if (prefix->data)
			prefix->data[inner] = '\0';
	}
	for (uint32_t i = 0; i < e->nargs; i++)
		sql_print_subqueries(e->args[i], resolved, physical, prefix, nchild, out);
}

/* PREFIX holds the drawing in front of this node's connector; CONNECTOR
 * is "" for the root, ":- " or "+- " below it. */
static void sql_print_tree(const sql_plan *p, bool resolved, bool physical, textbuf *prefix,
			   const char *connector, textbuf *out)
{
	size_t mark = prefix->len;
	uint32_t nchild = sql_print_nchildren(p);

	if (prefix->len)
		textbuf_append(out, prefix->data, prefix->len);
	textbuf_puts(out, connector);
	sql_print_node(p, resolved, physical, out);
	textbuf_puts(out, "\n");

	if (*connector)
		textbuf_puts(prefix, connector[0] == '+' ? "   " : ":  ");
	if (p->kind == SQL_PLAN_WITH) {
		size_t inner = prefix->len;

		textbuf_puts(prefix, nchild ? ":  " : "   ");
		for (uint32_t i = 0; i < p->nctes; i++)
			sql_print_tree(p->ctes[i], resolved, physical, prefix,
				       i + 1 == p->nctes ? "+- " : ":- ", out);
		prefix->len = inner;
	}
	sql_print_subqueries(p->cond, resolved, physical, prefix, nchild, out);
	for (uint32_t i = 0; i < p->nexprs; i++)
		sql_print_subqueries(p->exprs[i], resolved, physical, prefix, nchild, out);
	for (uint32_t i = 0; i < p->ngroups; i++)
		sql_print_subqueries(p->groups[i], resolved, physical, prefix, nchild, out);
	for (uint32_t i = 0; i < p->nsort; i++)
		sql_print_subqueries(p->sort[i].expr, resolved, physical, prefix, nchild, out);
	for (uint32_t i = 0; i < nchild; i++) {
		if (!p->child[i])
			continue;
		sql_print_tree(p->child[i], resolved, physical, prefix,
			       i + 1 == nchild ? "+- " : ":- ", out);
	}
	prefix->len = mark;
	if (prefix->data)
		prefix->data[mark] = '\0';
}

void sql_plan_print(const sql_plan *plan, bool resolved, bool physical, textbuf *out)
{
	textbuf prefix = TEXTBUF_INIT;

	if (!plan)
		return;
	sql_print_tree(plan, resolved, physical, &prefix, "", out);
	if (textbuf_error(&prefix))
		out->failed = true;
	textbuf_free(&prefix);
}

void sql_plan_print_schema(const sql_plan *plan, textbuf *out)
{
	if (!plan)
		return;
	for (uint32_t i = 0; i < plan->noutput; i++)
		textbuf_printf(out, "%s%s: %s", i ? ", " : "", plan->output[i].name,
			       sql_type_name(plan->output[i].type));
	textbuf_puts(out, "\n");
}

/* ---- Graphviz ------------------------------------------------------------------------------ */

static void sql_print_dot_escaped(const char *s, size_t n, textbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			textbuf_append(out, "\\", 1);
		if (s[i] == '\n')
			textbuf_puts(out, "\\n");
		else
			textbuf_append(out, &s[i], 1);
	}
}

/* Nodes in preorder; returns this node's number.  Edges run from child
 * to parent, the way rows flow. */
static uint32_t sql_print_dot_node(const sql_plan *p, uint32_t *next, textbuf *line, textbuf *out)
{
	uint32_t id = (*next)++;

	textbuf_reset(line);
	sql_print_node(p, true, true, line);
	textbuf_printf(out, "  n%" PRIu32 " [label=\"", id);
	sql_print_dot_escaped(line->data ? line->data : "", line->len, out);
	textbuf_puts(out, "\"];\n");
	if (p->kind == SQL_PLAN_WITH) {
		for (uint32_t i = 0; i < p->nctes; i++) {
			uint32_t c = sql_print_dot_node(p->ctes[i], next, line, out);

			textbuf_printf(out, "  n%" PRIu32 " -> n%" PRIu32 " [style=dashed];\n", c, id);
		}
	}
	for (uint32_t i = 0; i < 2; i++) {
		if (!p->child[i])
			continue;
		uint32_t c = sql_print_dot_node(p->child[i], next, line, out);

		textbuf_printf(out, "  n%" PRIu32 " -> n%" PRIu32 ";\n", c, id);
	}
	return id;
}

void sql_plan_dot(const sql_plan *plan, textbuf *out)
{
	textbuf line = TEXTBUF_INIT;
	uint32_t next = 0;

	textbuf_puts(out, "digraph plan {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n");
	if (plan)
		sql_print_dot_node(plan, &next, &line, out);
	textbuf_puts(out, "}\n");
	if (textbuf_error(&line))
		out->failed = true;
	textbuf_free(&line);
}
