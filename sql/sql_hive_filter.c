/*
 * sql_hive_filter.c - the Hive Metastore's partition filter
 * (get_partitions_by_filter, get_num_partitions_by_filter) over one
 * table's partition keys, decided by the engine's own partition pruning.
 *
 * A filter is what Hive's metastore grammar (Filter.g, PartitionFilter.g4)
 * accepts: comparisons of a partition key with a literal, BETWEEN, IN,
 * LIKE, IN over a STRUCT of keys, joined by AND, OR, NOT and parentheses.  It is read here into the
 * engine's IR, as the WHERE clause of a job over the table would be:
 *
 *   tokens     the SQL lexer's (sql_lex.c): both quote kinds are strings,
 *              `name` is a name, words compare in any case;
 *   tree       unresolved sql_expr nodes (COLUMN, LITERAL, BINARY, IN,
 *              BETWEEN, LIKE, NOT), key names checked against the table
 *              first so an unknown name or a data column is refused with a
 *              message that says which;
 *   analysis   the analyzer itself (sql_analyze), on a Filter over a scope
 *              that holds the partition columns only: the same coercions as
 *              a job's WHERE (an int key against '10' compares as a number,
 *              a date key against a string as a date);
 *   matching   sql_eval over sql_partition_value() of each raw value, as the
 *              optimizer's partition pruning (sql_optimize.c) does: a value
 *              that does not read as the key's type, and
 *              __HIVE_DEFAULT_PARTITION__, are NULL, and a partition passes
 *              only when the filter is TRUE.
 *
 * Choices where Hive versions differ: LIKE's pattern is read both as SQL's
 * LIKE (% and _ over characters, \ escapes), as Hive 4 and the engine read
 * it, and as the Java regular expression Hive 2 and 3 read and Spark 3
 * writes ("abc.*"); a partition passes when either reading matches (see
 * hf_like), since every client filters the partitions it gets again but
 * one left out is lost.  A string's value is its text between the quotes
 * as written, as Hive takes it: a backslash keeps the next character inside
 * the string and stays in the value.  AND and OR chains become balanced
 * trees (they are associative), so a long OR list, as Spark sends for IN,
 * is no deeper than its log.  The text comes from the network: nesting is
 * capped, and so are its length and its number of literals.
 */
#include "sql_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Nesting of parentheses and NOT: well below the analyzer's own cap
 * (expressions 200 deep), with room for the balanced AND/OR trees. */
#define HF_MAX_DEPTH 100
/* Literals in one filter: with SQL_HIVE_FILTER_MAX this bounds the memory
 * a filter takes (a few hundred bytes a literal) whatever the text. */
#define HF_MAX_VALUES 200000

struct sql_hive_filter {
	sql_arena *a;
	sql_expr *cond;          /* resolved, over the partition keys; NULL: every partition */
	uint32_t nkeys;
	sql_type *types;         /* of the partition keys, in order */
};

typedef struct hf_parser {
	sql_arena *a;
	const store_table *t;
	sql_lexer lx;
	sql_token tok;           /* current, not yet consumed */
	sql_error *err;
	unsigned depth;
	uint32_t nvalues;        /* literals read so far */
} hf_parser;

static void hf_advance(hf_parser *p)
{
	sql_lex_next(&p->lx, &p->tok);
}

/* The token N ahead of the current one (0: the next after it). */
static void hf_peek(const hf_parser *p, unsigned n, sql_token *out)
{
	sql_lexer lx = p->lx;

	for (unsigned i = 0; i <= n; i++)
		sql_lex_next(&lx, out);
}

static bool hf_is_op(const sql_token *t, const char *op)
{
	size_t n = strlen(op);

	return t->type == SQL_TOK_OP && t->len == n && memcmp(t->ptr, op, n) == 0;
}

/* How many of the N bytes at S a message quotes: at most 40, cut at the
 * start of a character, never inside one. */
static size_t hf_shown(const char *s, size_t n)
{
	size_t k = n > 40 ? 40 : n;

	while (k < n && k > 0 && (s[k] & 0xc0) == 0x80)
		k--;
	return k;
}

/* "found ..." for an error at token T: the token as written, shortened. */
static int hf_fail_at(hf_parser *p, const sql_token *t, const char *what)
{
	if (t->type == SQL_TOK_ERROR) {
		sql_error_set(p->err, t->line, t->col, "%s", sql_lex_error_reason(t));
	} else if (t->type == SQL_TOK_EOF) {
		sql_error_set(p->err, t->line, t->col, "expected %s, found the end of the filter",
			      what);
	} else {
		/* Strings and `names` with their quotes, as written. */
		bool q = t->type == SQL_TOK_STRING || t->quoted;
		const char *s = t->ptr - (q ? 1 : 0);
		size_t n = t->len + (q ? 2 : 0), shown = hf_shown(s, n);

		sql_error_set(p->err, t->line, t->col, "expected %s, found \"%.*s%s\"", what,
			      (int)shown, s, shown < n ? "..." : "");
	}
	return -EINVAL;
}

static int hf_enter(hf_parser *p)
{
	if (++p->depth > HF_MAX_DEPTH) {
		sql_error_set(p->err, p->tok.line, p->tok.col,
			      "partition filter nested too deeply (more than %d levels)", HF_MAX_DEPTH);
		return -EINVAL;
	}
	return 0;
}

/* Words of the filter grammar, never a key's name unless `quoted`. */
static bool hf_is_filter_word(const sql_token *t)
{
	static const char *const words[] = { "AND", "OR", "NOT", "IN", "BETWEEN", "LIKE",
					     "NULL", "TRUE", "FALSE" };

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (sql_token_is(t, words[i]))
			return true;
	return false;
}

/* DATE '...' or TIMESTAMP '...' at the current token. */
static bool hf_at_typed_literal(const hf_parser *p)
{
	sql_token next;

	if (!sql_token_is(&p->tok, "DATE") && !sql_token_is(&p->tok, "TIMESTAMP"))
		return false;
	hf_peek(p, 0, &next);
	return next.type == SQL_TOK_STRING;
}

static bool hf_at_key(const hf_parser *p)
{
	const sql_token *t = &p->tok;

	if (t->type != SQL_TOK_IDENT && t->type != SQL_TOK_KEYWORD)
		return false;
	return t->quoted || (!hf_is_filter_word(t) && !hf_at_typed_literal(p));
}

/* A bare YYYY-MM-DD (Hive's DateLiteral without DATE): the lexer reads it
 * as 2024 - 05 - 01, five tokens with nothing between them. */
static bool hf_at_bare_date(const hf_parser *p)
{
	const sql_token *t = &p->tok;
	sql_token n[4];
	/* "-", "05", "-", "01": where each starts after "2024", and its length. */
	static const uint32_t at[4] = { 4, 5, 7, 8 }, lens[4] = { 1, 2, 1, 2 };

	if (t->type != SQL_TOK_INTEGER || t->len != 4)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		hf_peek(p, i, &n[i]);
		if (n[i].offset != t->offset + at[i] || n[i].len != lens[i])
			return false;
	}
	return hf_is_op(&n[0], "-") && n[1].type == SQL_TOK_INTEGER && hf_is_op(&n[2], "-") &&
	       n[3].type == SQL_TOK_INTEGER;
}

static sql_expr *hf_literal_node(hf_parser *p, const sql_token *at, sql_type type)
{
	sql_expr *e = sql_expr_new(p->a, SQL_EXPR_LITERAL, at->line, at->col);

	e->value.type = type;
	e->type = type;
	e->resolved = true;
	return e;
}

/* A literal: 'string', "string", [-]integer, DATE '...', TIMESTAMP '...',
 * YYYY-MM-DD. */
static int hf_literal(hf_parser *p, sql_expr **out)
{
	static const char *what = "a string, integer, date or timestamp literal";
	sql_token at = p->tok;
	sql_expr *e;

	if (++p->nvalues > HF_MAX_VALUES) {
		sql_error_set(p->err, at.line, at.col,
			      "partition filter has more than %d literals", HF_MAX_VALUES);
		return -EINVAL;
	}
	if (at.type == SQL_TOK_STRING) {
		e = hf_literal_node(p, &at, SQL_TYPE_STRING);
		e->value.u.s.ptr = sql_arena_strndup(p->a, at.ptr, at.len);
		e->value.u.s.len = at.len;
		hf_advance(p);
		*out = e;
		return 0;
	}
	if (hf_at_typed_literal(p)) {
		bool ts = sql_token_is(&at, "TIMESTAMP");
		sql_token s;
		int rc;

		hf_advance(p);
		s = p->tok;
		e = hf_literal_node(p, &at, ts ? SQL_TYPE_TIMESTAMP : SQL_TYPE_DATE);
		rc = ts ? sql_timestamp_parse(s.ptr, s.len, &e->value.u.i)
			: sql_date_parse(s.ptr, s.len, &e->value.u.i);
		if (rc) {
			sql_error_set(p->err, at.line, at.col, "invalid %s literal '%.*s%s'",
				      ts ? "TIMESTAMP" : "DATE", (int)hf_shown(s.ptr, s.len), s.ptr,
				      hf_shown(s.ptr, s.len) < s.len ? "..." : "");
			return -EINVAL;
		}
		hf_advance(p);
		*out = e;
		return 0;
	}
	if (hf_at_bare_date(p)) {
		e = hf_literal_node(p, &at, SQL_TYPE_DATE);
		if (sql_date_parse(at.ptr, 10, &e->value.u.i)) {
			sql_error_set(p->err, at.line, at.col, "invalid date '%.10s'", at.ptr);
			return -EINVAL;
		}
		for (int i = 0; i < 5; i++)
			hf_advance(p);
		*out = e;
		return 0;
	}
	bool minus = hf_is_op(&at, "-");
	sql_token num = at;

	if (minus)
		hf_peek(p, 0, &num);
	if (num.type == SQL_TOK_INTEGER && (!minus || num.offset == at.offset + 1)) {
		size_t n = num.len + (minus ? 1 : 0);
		char s[24], *end;

		e = hf_literal_node(p, &at, SQL_TYPE_BIGINT);
		errno = 0;
		if (n < sizeof s) {
			memcpy(s, at.ptr, n);
			s[n] = '\0';
			e->value.u.i = strtoll(s, &end, 10);
		}
		if (n >= sizeof s || errno == ERANGE || *end) {
			sql_error_set(p->err, at.line, at.col, "integer %.*s%s out of range",
				      n > 40 ? 40 : (int)n, at.ptr, n > 40 ? "..." : "");
			return -EINVAL;
		}
		hf_advance(p);
		if (minus)
			hf_advance(p);
		*out = e;
		return 0;
	}
	return hf_fail_at(p, &at, what);
}

/* The partition key at the current token, as an unresolved column the
 * analyzer resolves.  A name that is no key is refused here, with the
 * reason: a data column cannot be filtered on in the metastore. */
static int hf_key(hf_parser *p, sql_expr **out)
{
	const store_table *t = p->t;
	sql_token at = p->tok;
	char *name;
	sql_expr *e;

	if (!hf_at_key(p))
		return hf_fail_at(p, &at, "a partition key");
	name = sql_arena_strndup(p->a, at.ptr, at.len);
	for (uint32_t i = 0; i < t->npartkeys; i++) {
		const char *key = t->columns[t->ncolumns + i].name;

		if (strcasecmp(key, name) == 0) {
			e = sql_expr_new(p->a, SQL_EXPR_COLUMN, at.line, at.col);
			e->name = sql_arena_strdup(p->a, key);   /* T is not kept */
			hf_advance(p);
			*out = e;
			return 0;
		}
	}
	for (uint32_t i = 0; i < t->ncolumns; i++) {
		if (strcasecmp(t->columns[i].name, name) == 0) {
			sql_error_set(p->err, at.line, at.col,
				      "\"%s\" is a data column of %s.%s, not a partition key: a "
				      "partition filter can only use partition keys",
				      t->columns[i].name, t->db, t->name);
			return -EINVAL;
		}
	}
	if (t->npartkeys == 0) {
		sql_error_set(p->err, at.line, at.col,
			      "unknown partition key \"%s\": %s.%s is not partitioned", name, t->db,
			      t->name);
		return -EINVAL;
	}
	textbuf keys = TEXTBUF_INIT;

	for (uint32_t i = 0; i < t->npartkeys; i++)
		textbuf_printf(&keys, "%s%s", i ? ", " : "", t->columns[t->ncolumns + i].name);
	sql_error_set(p->err, at.line, at.col,
		      "unknown partition key \"%s\" (the partition keys of %s.%s are %s)", name,
		      t->db, t->name, keys.data ? keys.data : "");
	textbuf_free(&keys);
	return -EINVAL;
}

/* A comparison operator at the current token: = == <> != < <= > >=, or
 * LIKE (*LIKE set). */
static bool hf_comparison(const hf_parser *p, sql_op *op, bool *like)
{
	static const struct {
		const char *text;
		sql_op op;
	} ops[] = {
		{ "=", SQL_OP_EQ }, { "==", SQL_OP_EQ }, { "<>", SQL_OP_NE }, { "!=", SQL_OP_NE },
		{ "<", SQL_OP_LT }, { "<=", SQL_OP_LE }, { ">", SQL_OP_GT }, { ">=", SQL_OP_GE },
	};

	*like = sql_token_is(&p->tok, "LIKE");
	if (*like)
		return true;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (hf_is_op(&p->tok, ops[i].text)) {
			*op = ops[i].op;
			return true;
		}
	}
	return false;
}

static sql_expr *hf_node(hf_parser *p, sql_expr_kind kind, const sql_expr *at, uint32_t nargs)
{
	sql_expr *e = sql_expr_new(p->a, kind, at->line, at->col);

	e->args = sql_arena_alloc(p->a, nargs * sizeof *e->args);
	e->nargs = nargs;
	return e;
}

/* NOT X, placed at LINE:COL. */
static sql_expr *hf_not(hf_parser *p, uint32_t line, uint32_t col, sql_expr *x)
{
	sql_expr *e = sql_expr_new(p->a, SQL_EXPR_UNARY, line, col);

	e->op = SQL_OP_NOT;
	e->args = sql_arena_alloc(p->a, sizeof *e->args);
	e->args[0] = x;
	e->nargs = 1;
	return e;
}

static sql_expr *hf_compare(hf_parser *p, bool like, sql_op op, sql_expr *l, sql_expr *r)
{
	sql_expr *e = hf_node(p, like ? SQL_EXPR_LIKE : SQL_EXPR_BINARY, l, 2);

	e->op = like ? (sql_op)0 : op;
	e->args[0] = l;
	e->args[1] = r;
	return e;
}

/* The LIKE pattern that matches what the Java regular expression P[0..N)
 * matches (Pattern.matches: the whole value), for the regular expressions
 * Spark writes (StartsWith as "abc.*", EndsWith ".*abc", Contains
 * ".*abc.*"): literal characters, "." (one character), ".*" (any run),
 * \ before punctuation, a leading ^ and a trailing $.  Anything else (a
 * class, a group, another quantifier) gives "%": every value, a superset
 * of what the regular expression could match.  A string in A. */
static const char *hf_regex_as_like(sql_arena *a, const char *pat, uint32_t n, uint32_t *len)
{
	char *out = sql_arena_alloc(a, 2 * (size_t)n + 1), *w = out;

	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)pat[i];

		if ((c == '^' && i == 0) || (c == '$' && i + 1 == n))
			continue;
		if (c == '.' && i + 1 < n && pat[i + 1] == '*') {
			*w++ = '%';
			i++;
			continue;
		}
		if (c == '.') {
			*w++ = '_';
			continue;
		}
		if (c == '\\') {
			if (i + 1 == n || (pat[i + 1] & 0x80) || isalnum((unsigned char)pat[i + 1]))
				goto any;   /* \d, \w, \Q...: not a literal character */
			c = (unsigned char)pat[++i];
		} else if (c && strchr("[](){}|+?*^$", c)) {
			goto any;
		}
		if (c == '%' || c == '_' || c == '\\')
			*w++ = '\\';
		*w++ = (char)c;
	}
	*len = (uint32_t)(w - out);
	return out;
any:
	*len = 1;
	return "%";
}

/* KEY LIKE PAT.  Hive 4 reads the pattern as SQL's LIKE, older versions as
 * a Java regular expression, and Spark writes it for those: the partition
 * passes when either reading matches (KEY LIKE PAT OR KEY LIKE the
 * pattern's regular expression as a LIKE pattern), so every client gets at
 * least the partitions it asks for.  Both run as the engine's LIKE. */
static sql_expr *hf_like(hf_parser *p, sql_expr *key, sql_expr *pat)
{
	sql_expr *e = hf_compare(p, true, SQL_OP_EQ, key, pat), *alt, *or;
	uint32_t n = 0;
	const char *s;

	if (pat->value.type != SQL_TYPE_STRING)
		return e;   /* the analyzer refuses it */
	s = hf_regex_as_like(p->a, pat->value.u.s.ptr, pat->value.u.s.len, &n);
	if (n == pat->value.u.s.len && memcmp(s, pat->value.u.s.ptr, n) == 0)
		return e;
	alt = sql_expr_new(p->a, SQL_EXPR_LITERAL, pat->line, pat->col);
	alt->value = pat->value;
	alt->value.u.s.ptr = s;
	alt->value.u.s.len = n;
	alt->type = SQL_TYPE_STRING;
	alt->resolved = true;
	or = hf_node(p, SQL_EXPR_BINARY, key, 2);
	or->op = SQL_OP_OR;
	or->args[0] = e;
	or->args[1] = hf_compare(p, true, SQL_OP_EQ, sql_expr_copy(p->a, key), alt);
	return or;
}

/* After KEY: OP literal, [NOT] BETWEEN a AND b, [NOT] IN (a, ...), [NOT] LIKE p. */
static int hf_key_predicate(hf_parser *p, sql_expr *key, sql_expr **out)
{
	bool negated = false, like;
	sql_op op = SQL_OP_EQ;
	sql_expr *e, *lit;
	int rc;

	if (sql_token_is(&p->tok, "NOT")) {
		negated = true;
		hf_advance(p);
		if (!sql_token_is(&p->tok, "IN") && !sql_token_is(&p->tok, "BETWEEN") &&
		    !sql_token_is(&p->tok, "LIKE"))
			return hf_fail_at(p, &p->tok, "IN, BETWEEN or LIKE after NOT");
	}
	if (sql_token_is(&p->tok, "BETWEEN")) {
		hf_advance(p);
		e = hf_node(p, SQL_EXPR_BETWEEN, key, 3);
		e->args[0] = key;
		rc = hf_literal(p, &e->args[1]);
		if (rc)
			return rc;
		if (!sql_token_is(&p->tok, "AND"))
			return hf_fail_at(p, &p->tok, "AND");
		hf_advance(p);
		rc = hf_literal(p, &e->args[2]);
		if (rc)
			return rc;
		e->negated = negated;
		*out = e;
		return 0;
	}
	if (sql_token_is(&p->tok, "IN")) {
		sql_expr **list = NULL;
		uint32_t n = 0, cap = 0;

		hf_advance(p);
		if (!hf_is_op(&p->tok, "("))
			return hf_fail_at(p, &p->tok, "\"(\" after IN");
		do {
			hf_advance(p);
			list = sql_array_push(p->a, list, &n, &cap, sizeof *list);
			rc = hf_literal(p, &list[n - 1]);
			if (rc)
				return rc;
		} while (hf_is_op(&p->tok, ","));
		if (!hf_is_op(&p->tok, ")"))
			return hf_fail_at(p, &p->tok, "\",\" or \")\" in the IN list");
		hf_advance(p);
		e = hf_node(p, SQL_EXPR_IN, key, n + 1);
		e->args[0] = key;
		memcpy(e->args + 1, list, n * sizeof *list);
		e->negated = negated;
		*out = e;
		return 0;
	}
	if (!hf_comparison(p, &op, &like) || (negated && !like))
		return hf_fail_at(p, &p->tok, "a comparison operator, IN, BETWEEN or LIKE");
	hf_advance(p);
	rc = hf_literal(p, &lit);
	if (rc)
		return rc;
	if (!like) {
		*out = hf_compare(p, like, op, key, lit);
		return 0;
	}
	e = hf_like(p, key, lit);
	*out = negated ? hf_not(p, key->line, key->col, e) : e;
	return 0;
}

static int hf_or(hf_parser *p, sql_expr **out);

/* V[LO..HI) joined by OP as a balanced tree. */
static sql_expr *hf_balanced(hf_parser *p, sql_op op, sql_expr **v, uint32_t lo, uint32_t hi)
{
	if (hi - lo == 1)
		return v[lo];
	uint32_t mid = lo + (hi - lo) / 2;
	sql_expr *e = hf_node(p, SQL_EXPR_BINARY, v[lo], 2);

	e->op = op;
	e->args[0] = hf_balanced(p, op, v, lo, mid);
	e->args[1] = hf_balanced(p, op, v, mid, hi);
	return e;
}

/* ( STRUCT ( k1, k2, ... ) ) [NOT] IN ( [CONST] STRUCT ( v1, v2, ... ), ... ):
 * Hive's IN over several keys, one STRUCT of values per combination. */
static bool hf_at_struct_in(const hf_parser *p)
{
	sql_token t[2];

	if (!hf_is_op(&p->tok, "("))
		return false;
	hf_peek(p, 0, &t[0]);
	hf_peek(p, 1, &t[1]);
	return sql_token_is(&t[0], "STRUCT") && hf_is_op(&t[1], "(");
}

static int hf_expect_op(hf_parser *p, const char *op, const char *what)
{
	if (!hf_is_op(&p->tok, op))
		return hf_fail_at(p, &p->tok, what);
	hf_advance(p);
	return 0;
}

/* k1 = v1 AND k2 = v2 ... for one STRUCT of values, KEYS[0..NKEYS). */
static int hf_struct_values(hf_parser *p, sql_expr **keys, uint32_t nkeys, sql_expr **out)
{
	sql_expr **eqs = sql_arena_alloc(p->a, nkeys * sizeof *eqs), *lit;
	sql_token at;
	uint32_t n = 0;
	int rc;

	at = p->tok;
	if (sql_token_is(&p->tok, "CONST"))
		hf_advance(p);
	if (!sql_token_is(&p->tok, "STRUCT"))
		return hf_fail_at(p, &p->tok, "STRUCT");
	hf_advance(p);
	rc = hf_expect_op(p, "(", "\"(\" after STRUCT");
	do {
		if (rc == 0 && n > 0)
			hf_advance(p);   /* "," */
		if (rc == 0)
			rc = hf_literal(p, &lit);
		if (rc == 0 && n < nkeys)
			eqs[n] = hf_compare(p, false, SQL_OP_EQ, sql_expr_copy(p->a, keys[n]), lit);
		n++;
	} while (rc == 0 && hf_is_op(&p->tok, ","));
	if (rc == 0)
		rc = hf_expect_op(p, ")", "\",\" or \")\" in the STRUCT");
	if (rc)
		return rc;
	if (n != nkeys) {
		sql_error_set(p->err, at.line, at.col, "STRUCT has %u value%s for %u keys", n,
			      n == 1 ? "" : "s", nkeys);
		return -EINVAL;
	}
	*out = hf_balanced(p, SQL_OP_AND, eqs, 0, nkeys);
	return 0;
}

static int hf_struct_in(hf_parser *p, sql_expr **out)
{
	sql_expr **keys = NULL, **alts = NULL, *e;
	uint32_t nkeys = 0, kcap = 0, nalts = 0, acap = 0;
	sql_token at = p->tok;
	bool negated = false;
	int rc;

	hf_advance(p);   /* "(" */
	hf_advance(p);   /* STRUCT */
	hf_advance(p);   /* "(" */
	do {
		if (nkeys > 0)
			hf_advance(p);   /* "," */
		if (nkeys == STORE_MAX_PARTKEYS) {
			sql_error_set(p->err, p->tok.line, p->tok.col,
				      "STRUCT of more than %d keys", STORE_MAX_PARTKEYS);
			return -EINVAL;
		}
		keys = sql_array_push(p->a, keys, &nkeys, &kcap, sizeof *keys);
		rc = hf_key(p, &keys[nkeys - 1]);
		if (rc)
			return rc;
	} while (hf_is_op(&p->tok, ","));
	if ((rc = hf_expect_op(p, ")", "\",\" or \")\" in the STRUCT")) ||
	    (rc = hf_expect_op(p, ")", "\")\"")))
		return rc;
	if (sql_token_is(&p->tok, "NOT")) {
		negated = true;
		hf_advance(p);
	}
	if (!sql_token_is(&p->tok, "IN"))
		return hf_fail_at(p, &p->tok, "IN");
	hf_advance(p);
	rc = hf_expect_op(p, "(", "\"(\" after IN");
	do {
		if (rc == 0 && nalts > 0)
			hf_advance(p);   /* "," */
		if (rc == 0) {
			alts = sql_array_push(p->a, alts, &nalts, &acap, sizeof *alts);
			rc = hf_struct_values(p, keys, nkeys, &alts[nalts - 1]);
		}
	} while (rc == 0 && hf_is_op(&p->tok, ","));
	if (rc == 0)
		rc = hf_expect_op(p, ")", "\",\" or \")\" in the IN list");
	if (rc)
		return rc;
	e = hf_balanced(p, SQL_OP_OR, alts, 0, nalts);
	*out = negated ? hf_not(p, at.line, at.col, e) : e;
	return 0;
}


/* ( KEY ) [NOT] IN (...): Hive's own client puts the key of IN in parentheses. */
static bool hf_at_paren_key_in(const hf_parser *p)
{
	sql_token t[4];

	if (!hf_is_op(&p->tok, "("))
		return false;
	for (unsigned i = 0; i < 4; i++)
		hf_peek(p, i, &t[i]);
	if (t[0].type != SQL_TOK_IDENT && t[0].type != SQL_TOK_KEYWORD)
		return false;
	if (!hf_is_op(&t[1], ")"))
		return false;
	return sql_token_is(&t[2], "IN") || (sql_token_is(&t[2], "NOT") && sql_token_is(&t[3], "IN"));
}

/* NOT x, ( x ), KEY predicate, literal OP KEY. */
static int hf_unary(hf_parser *p, sql_expr **out)
{
	sql_expr *e, *x;
	int rc;

	if (sql_token_is(&p->tok, "NOT")) {
		sql_token at = p->tok;

		rc = hf_enter(p);
		if (rc)
			return rc;
		hf_advance(p);
		rc = hf_unary(p, &x);
		p->depth--;
		if (rc)
			return rc;
		*out = hf_not(p, at.line, at.col, x);
		return 0;
	}
	if (hf_at_struct_in(p))
		return hf_struct_in(p, out);
	if (hf_at_paren_key_in(p)) {
		hf_advance(p);
		rc = hf_key(p, &x);
		if (rc)
			return rc;
		hf_advance(p);   /* ")" */
		return hf_key_predicate(p, x, out);
	}
	if (hf_is_op(&p->tok, "(")) {
		rc = hf_enter(p);
		if (rc)
			return rc;
		hf_advance(p);
		rc = hf_or(p, out);
		p->depth--;
		if (rc)
			return rc;
		if (!hf_is_op(&p->tok, ")"))
			return hf_fail_at(p, &p->tok, "\")\"");
		hf_advance(p);
		return 0;
	}
	if (hf_at_key(p)) {
		rc = hf_key(p, &x);
		if (rc)
			return rc;
		return hf_key_predicate(p, x, out);
	}
	/* literal OP KEY */
	bool like;
	sql_op op = SQL_OP_EQ;

	if (p->tok.type == SQL_TOK_EOF || p->tok.type == SQL_TOK_ERROR ||
	    (p->tok.type == SQL_TOK_OP && !hf_is_op(&p->tok, "-")) ||
	    (p->tok.type == SQL_TOK_KEYWORD && !hf_at_typed_literal(p)))
		return hf_fail_at(p, &p->tok, "a partition key, a literal, NOT or \"(\"");
	rc = hf_literal(p, &x);
	if (rc)
		return rc;
	if (!hf_comparison(p, &op, &like))
		return hf_fail_at(p, &p->tok, "a comparison operator");
	if (like) {
		/* As Hive: the pattern is the literal on the right. */
		sql_error_set(p->err, p->tok.line, p->tok.col,
			      "LIKE needs the partition key on its left (key LIKE 'pattern')");
		return -EINVAL;
	}
	hf_advance(p);
	rc = hf_key(p, &e);
	if (rc)
		return rc;
	*out = hf_compare(p, like, op, x, e);
	return 0;
}

/* x AND y AND ... (AND_LEVEL) or x OR y OR ... */
static int hf_chain(hf_parser *p, bool and_level, sql_expr **out)
{
	sql_expr **v = NULL;
	uint32_t n = 0, cap = 0;
	int rc;

	for (;;) {
		v = sql_array_push(p->a, v, &n, &cap, sizeof *v);
		rc = and_level ? hf_unary(p, &v[n - 1]) : hf_chain(p, true, &v[n - 1]);
		if (rc)
			return rc;
		if (!sql_token_is(&p->tok, and_level ? "AND" : "OR"))
			break;
		hf_advance(p);
	}
	*out = hf_balanced(p, and_level ? SQL_OP_AND : SQL_OP_OR, v, 0, n);
	return 0;
}

static int hf_or(hf_parser *p, sql_expr **out)
{
	return hf_chain(p, false, out);
}

/* Replace every CAST of a literal (the analyzer's coercions of the filter's
 * constants) by its value, so matching a partition casts only the key. */
static int hf_fold(sql_arena *a, sql_expr **slot)
{
	sql_expr *e = *slot;
	int rc;

	for (uint32_t i = 0; i < e->nargs; i++) {
		rc = hf_fold(a, &e->args[i]);
		if (rc)
			return rc;
	}
	if (e->kind == SQL_EXPR_CAST && e->args[0]->kind == SQL_EXPR_LITERAL) {
		sql_value v;

		rc = sql_eval_const(a, e, &v);
		if (rc)
			return rc;
		/* The CAST node becomes the literal: no memory for a new one. */
		e->kind = SQL_EXPR_LITERAL;
		e->value = v;
		e->value.type = e->type;
		e->args = NULL;
		e->nargs = 0;
	}
	return 0;
}

/* Resolve COND over the partition keys of T with the analyzer: the WHERE of
 * a SELECT over a relation whose output is the partition columns. */
static int hf_analyze(sql_arena *a, const store_table *t, sql_expr **cond, sql_error *err)
{
	sql_catalog cat = { 0 };
	sql_stmt *st = sql_arena_alloc(a, sizeof *st);
	sql_plan *filter = sql_plan_new(a, SQL_PLAN_FILTER, 1, 1);
	sql_plan *keys = sql_plan_new(a, SQL_PLAN_SCAN, 1, 1);
	int rc;

	keys->noutput = t->npartkeys;
	keys->output = sql_arena_alloc(a, (t->npartkeys + 1) * sizeof *keys->output);
	for (uint32_t i = 0; i < t->npartkeys; i++) {
		const store_column *c = &t->columns[t->ncolumns + i];

		keys->output[i].name = sql_arena_strdup(a, c->name);
		keys->output[i].qualifier = sql_arena_strdup(a, t->name);
		keys->output[i].type = sql_type_from_store(c->type);
		keys->output[i].id = i + 1;
		keys->output[i].nullable = true;
	}
	filter->child[0] = keys;
	filter->cond = *cond;
	st->kind = SQL_STMT_SELECT;
	st->line = 1;
	st->col = 1;
	st->query = filter;
	rc = sql_analyze(a, &cat, st, err);
	if (rc)
		return rc;
	if (st->query->kind != SQL_PLAN_FILTER || st->query->cond == NULL) {
		sql_error_set(err, 1, 1, "partition filter did not resolve to a condition");
		return -EINVAL;
	}
	*cond = st->query->cond;
	return hf_fold(a, cond);
}

int sql_hive_filter_parse(const store_table *t, const char *text, size_t len,
			  sql_hive_filter **out, sql_error *err)
{
	sql_hive_filter *f;
	hf_parser p = { 0 };
	int rc = 0;

	*out = NULL;
	if (t->npartkeys > STORE_MAX_PARTKEYS) {
		sql_error_set(err, 0, 0, "%s.%s has more than %d partition keys", t->db, t->name,
			      STORE_MAX_PARTKEYS);
		return -EINVAL;
	}
	if (len > SQL_HIVE_FILTER_MAX) {
		sql_error_set(err, 0, 0, "partition filter too long (%zu bytes, at most %d)", len,
			      SQL_HIVE_FILTER_MAX);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		sql_error_set(err, 0, 0, "partition filter holds a NUL byte");
		return -EINVAL;
	}
	f = calloc(1, sizeof *f);
	if (f == NULL)
		return -ENOMEM;
	f->a = sql_arena_new();
	if (f->a == NULL) {
		free(f);
		return -ENOMEM;
	}
	f->nkeys = t->npartkeys;
	f->types = sql_arena_alloc(f->a, (t->npartkeys + 1) * sizeof *f->types);
	for (uint32_t i = 0; i < t->npartkeys; i++)
		f->types[i] = sql_type_from_store(t->columns[t->ncolumns + i].type);

	p.a = f->a;
	p.t = t;
	p.err = err;
	sql_lex_init(&p.lx, text, len);
	hf_advance(&p);
	if (p.tok.type == SQL_TOK_EOF)
		goto out;   /* an empty filter: every partition, as in Hive */
	rc = hf_or(&p, &f->cond);
	if (rc == 0 && p.tok.type != SQL_TOK_EOF)
		rc = hf_fail_at(&p, &p.tok, "AND, OR or the end of the filter");
	if (rc == 0)
		rc = hf_analyze(f->a, t, &f->cond, err);
out:
	if (rc) {
		sql_hive_filter_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int sql_hive_filter_match(const sql_hive_filter *f, const char *const *values)
{
	sql_arena *scratch;
	sql_value row[STORE_MAX_PARTKEYS], out;
	int rc;

	if (f->cond == NULL)
		return 1;
	/* Memory only if the evaluation makes a string (a key cast to one). */
	scratch = sql_arena_new();
	if (scratch == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < f->nkeys; i++)
		sql_partition_value(values[i], f->types[i], &row[i]);
	rc = sql_eval(scratch, f->cond, row, &out);
	if (rc == 0)
		rc = !out.null && out.type == SQL_TYPE_BOOLEAN && out.u.b;
	sql_arena_free(scratch);
	return rc;
}

void sql_hive_filter_print(const sql_hive_filter *f, textbuf *out)
{
	if (f->cond == NULL)
		textbuf_printf(out, "true");
	else
		sql_expr_print(f->cond, true, out);
}

void sql_hive_filter_free(sql_hive_filter *f)
{
	if (f == NULL)
		return;
	sql_arena_free(f->a);
	free(f);
}
