/*
 * sql_parse.c - job text to statements with unresolved plans.
 *
 * Recursive descent, one function per clause, over the tokens of
 * sql_lex.c; expressions by precedence climbing, from loosest to
 * tightest:
 *
 *   OR < AND < NOT < comparison, IS, IN, BETWEEN, LIKE < || < + - < * / % < unary -
 *
 * The plans are built as Spark's parser builds them: names as written,
 * relations unresolved (a one-part name is a CTE_REF, which the analyzer
 * turns into a CTE or an error), count(*) as an AGG without arguments.
 * A SELECT becomes Project (or Aggregate, when it groups or aggregates)
 * over Filter over the FROM relations; HAVING is a Filter above the
 * Aggregate; Distinct, Sort and Limit stack on top in that order.
 *
 * Every nesting construct (parentheses, calls, CASE, subqueries, prefix
 * operators) counts against SQL_PARSE_MAX_DEPTH, so a hostile job file
 * gets an error instead of overflowing the stack of the thread that
 * parses it.
 *
 * The first error stops the parse; everything allocated lives in the
 * arena, so error paths free nothing.
 */
#include "fmt.h"
#include "sql_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SQL_PARSE_MAX_DEPTH 200
/* Trees the later stages walk recursively grow deep without nesting too:
 * a OR b OR c ... is a left-deep tree as tall as the chain is long.  Each
 * link of such a chain counts against this larger budget, with the
 * nesting levels. */
#define SQL_PARSE_MAX_TREE 2000

/* Binding strength of the binary and postfix operators. */
enum {
	SQL_PREC_OR = 1,
	SQL_PREC_AND,
	SQL_PREC_NOT,
	SQL_PREC_CMP,
	SQL_PREC_CONCAT,
	SQL_PREC_ADD,
	SQL_PREC_MUL,
	SQL_PREC_UNARY,
};

typedef struct sql_parser {
	sql_arena *a;
	const char *text;
	size_t len;
	sql_lexer lx;
	sql_token tok;           /* the current token, not yet consumed */
	size_t prev_end;         /* where the last consumed token ends */
	sql_error *err;
	unsigned depth;          /* nesting levels entered */
	unsigned tree;           /* nesting levels plus links of the chains open */
	/* The last implicit alias (`expr name`, `table name`): when the next
	 * token is an error, the alias was more likely a misspelt keyword. */
	sql_token alias;
	size_t alias_end;
	bool alias_in_select;
} sql_parser;

/* ---- tokens and errors --------------------------------------------------------- */

/* Where token T ends in the text (quotes included). */
static size_t sql_parse_tok_end(const sql_parser *p, const sql_token *t)
{
	size_t end = (size_t)(t->ptr - p->text) + t->len;

	if (t->type == SQL_TOK_STRING || t->quoted)
		end++;
	return end;
}

static void sql_parse_advance(sql_parser *p)
{
	if (p->tok.type == SQL_TOK_EOF || p->tok.type == SQL_TOK_ERROR)
		return;
	p->prev_end = sql_parse_tok_end(p, &p->tok);
	sql_lex_next(&p->lx, &p->tok);
}

/* The token N places after the current one (N >= 1). */
static void sql_parse_peek(const sql_parser *p, unsigned n, sql_token *out)
{
	sql_lexer lx = p->lx;

	*out = p->tok;
	while (n-- && out->type != SQL_TOK_EOF && out->type != SQL_TOK_ERROR)
		sql_lex_next(&lx, out);
}

static bool sql_parse_is(const sql_parser *p, const char *word)
{
	return sql_token_is(&p->tok, word);
}

static bool sql_parse_tok_is_op(const sql_token *t, const char *op)
{
	size_t n = strlen(op);

	return t->type == SQL_TOK_OP && t->len == n && memcmp(t->ptr, op, n) == 0;
}

static bool sql_parse_is_op(const sql_parser *p, const char *op)
{
	return sql_parse_tok_is_op(&p->tok, op);
}

static bool sql_parse_accept(sql_parser *p, const char *word)
{
	if (!sql_parse_is(p, word))
		return false;
	sql_parse_advance(p);
	return true;
}

static bool sql_parse_accept_op(sql_parser *p, const char *op)
{
	if (!sql_parse_is_op(p, op))
		return false;
	sql_parse_advance(p);
	return true;
}

/* Whether WORD is KW mistyped: one letter off, or two neighbours swapped. */
static bool sql_parse_typo_of(const char *word, size_t n, const char *kw)
{
	size_t kn = strlen(kw);
	char buf[32];

	if (n < 3 || n >= sizeof buf)
		return false;
	memcpy(buf, word, n);
	buf[n] = '\0';
	if (sql_edit_distance(buf, kw) == 1)
		return true;
	if (n != kn)
		return false;
	for (size_t i = 0; i + 1 < n; i++) {
		char t = buf[i];

		buf[i] = buf[i + 1];
		buf[i + 1] = t;
		if (strcasecmp(buf, kw) == 0)
			return true;
		buf[i + 1] = buf[i];
		buf[i] = t;
	}
	return false;
}

/* If the token just consumed was an implicit alias that looks like a
 * misspelt clause keyword, report that instead: `SELECT a FORM t` is far
 * more likely a typo than a column aliased FORM followed by garbage. */
static bool sql_parse_alias_typo(sql_parser *p)
{
	static const char *const in_select[] = {
		"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", NULL };
	static const char *const in_from[] = {
		"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "JOIN", "LEFT", "INNER",
		"RIGHT", "FULL", "CROSS", "ON", NULL };
	const char *const *list = p->alias_in_select ? in_select : in_from;

	if (!p->alias_end || p->alias_end != p->prev_end)
		return false;
	for (size_t i = 0; list[i]; i++) {
		if (sql_parse_typo_of(p->alias.ptr, p->alias.len, list[i])) {
			sql_error_set(p->err, p->alias.line, p->alias.col, "expected %s, found \"%.*s\"",
				      list[i], (int)p->alias.len, p->alias.ptr);
			return true;
		}
	}
	return false;
}

/* "expected WHAT, found "x"" at the current token.  Always -EINVAL. */
static int sql_parse_expected(sql_parser *p, const char *what)
{
	const sql_token *t = &p->tok;
	size_t raw, end;

	if (t->type == SQL_TOK_ERROR) {
		const char *why = sql_lex_error_reason(t);

		if (t->ptr[0] == '\'' || t->ptr[0] == '"' || t->ptr[0] == '`' || t->ptr[0] == '/')
			sql_error_set(p->err, t->line, t->col, "%s", why);
		else
			sql_error_set(p->err, t->line, t->col, "%s \"%.*s\"", why, (int)t->len, t->ptr);
		return -EINVAL;
	}
	if (sql_parse_alias_typo(p))
		return -EINVAL;
	if (t->type == SQL_TOK_EOF) {
		sql_error_set(p->err, t->line, t->col, "unexpected end of input: expected %s", what);
		return -EINVAL;
	}
	raw = t->offset;
	end = sql_parse_tok_end(p, t);
	if (end - raw > 40)
		sql_error_set(p->err, t->line, t->col, "expected %s, found \"%.*s...\"", what, 37,
			      p->text + raw);
	else
		sql_error_set(p->err, t->line, t->col, "expected %s, found \"%.*s\"", what,
			      (int)(end - raw), p->text + raw);
	return -EINVAL;
}

static int sql_parse_expect(sql_parser *p, const char *word)
{
	if (sql_parse_accept(p, word))
		return 0;
	return sql_parse_expected(p, word);
}

static int sql_parse_expect_op(sql_parser *p, const char *op)
{
	char what[8];

	if (sql_parse_accept_op(p, op))
		return 0;
	snprintf(what, sizeof what, "\"%s\"", op);
	return sql_parse_expected(p, what);
}

/* Enter one level of nesting; -EINVAL past the cap. */
static int sql_parse_enter(sql_parser *p)
{
	if (p->depth >= SQL_PARSE_MAX_DEPTH) {
		sql_error_set(p->err, p->tok.line, p->tok.col,
			      "too deeply nested: more than %d levels", SQL_PARSE_MAX_DEPTH);
		return -EINVAL;
	}
	p->depth++;
	p->tree++;
	return 0;
}

static void sql_parse_leave(sql_parser *p)
{
	p->depth--;
	p->tree--;
}

/* One more link in a chain of binary operators, unions or joins (each
 * makes the tree one level taller); the caller gives back what it took
 * with sql_parse_unchain(). */
static int sql_parse_chain(sql_parser *p, unsigned *links)
{
	if (p->tree >= SQL_PARSE_MAX_TREE) {
		sql_error_set(p->err, p->tok.line, p->tok.col, "expression too long: more than %d "
			      "operators deep (use IN (...) for long lists)", SQL_PARSE_MAX_TREE);
		return -EINVAL;
	}
	p->tree++;
	(*links)++;
	return 0;
}

static void sql_parse_unchain(sql_parser *p, unsigned links)
{
	p->tree -= links;
}

/* ---- names and literals ------------------------------------------------------------ */

/* An identifier: an unreserved word or a `quoted name` (`` stands for `). */
static int sql_parse_ident(sql_parser *p, const char *what, const char **out)
{
	const sql_token *t = &p->tok;
	char *s;
	size_t n = 0;

	if (t->type != SQL_TOK_IDENT)
		return sql_parse_expected(p, what);
	if (t->quoted && t->len == 0) {
		sql_error_set(p->err, t->line, t->col, "empty quoted name");
		return -EINVAL;
	}
	s = sql_arena_alloc(p->a, (size_t)t->len + 1);
	for (uint32_t i = 0; i < t->len; i++) {
		s[n++] = t->ptr[i];
		if (t->quoted && t->ptr[i] == '`')
			i++;
	}
	s[n] = '\0';
	*out = s;
	sql_parse_advance(p);
	return 0;
}

/* A dotted name of 1 to MAX parts. */
static int sql_parse_name(sql_parser *p, unsigned max, const char *what, const char **parts,
			  uint32_t *n)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	int rc;

	*n = 0;
	rc = sql_parse_ident(p, what, &parts[0]);
	if (rc)
		return rc;
	*n = 1;
	while (sql_parse_accept_op(p, ".")) {
		if (*n == max) {
			sql_error_set(p->err, line, col, "%s has more than %u parts", what, max);
			return -EINVAL;
		}
		rc = sql_parse_ident(p, what, &parts[*n]);
		if (rc)
			return rc;
		(*n)++;
	}
	return 0;
}

/* A string literal's text: '' (or "") is the quote, and backslash escapes
 * are Spark's: \n \t \r \b \0 \Z, \% and \_ kept for LIKE, any other \x is x. */
static char *sql_parse_unescape(sql_parser *p, const sql_token *t, uint32_t *len)
{
	char q = t->ptr[-1];
	char *s = sql_arena_alloc(p->a, (size_t)t->len + 1);
	uint32_t n = 0;

	for (uint32_t i = 0; i < t->len; i++) {
		char c = t->ptr[i];

		if (c == q) {
			i++;            /* the lexer only lets a doubled quote through */
		} else if (c == '\\' && i + 1 < t->len) {
			char e = t->ptr[++i];

			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case '0': c = '\0'; break;
			case 'Z': c = '\032'; break;
			case '%':
			case '_':
				s[n++] = '\\';
				c = e;
				break;
			default: c = e; break;
			}
		}
		s[n++] = c;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/* One integer of DECIMAL(p, s) into *V; 0 or -EINVAL. */
static int sql_parse_type_param(sql_parser *p, unsigned *v)
{
	const sql_token *t = &p->tok;

	if (t->type != SQL_TOK_INTEGER || t->len > 3)
		return sql_parse_expected(p, "an integer");
	*v = 0;
	for (uint32_t i = 0; i < t->len; i++)
		*v = *v * 10 + (unsigned)(t->ptr[i] - '0');
	sql_parse_advance(p);
	return 0;
}

/* DECIMAL, DECIMAL(p), DECIMAL(p, s) (also NUMERIC and DEC), as Spark:
 * decimal alone is decimal(10,0), decimal(p) is decimal(p,0); 1 <= p <= 38
 * and s <= p. */
static int sql_parse_decimal_type(sql_parser *p, sql_type *out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	unsigned prec = 10, scale = 0;
	int rc;

	sql_parse_advance(p);
	if (sql_parse_accept_op(p, "(")) {
		if ((rc = sql_parse_type_param(p, &prec)))
			return rc;
		if (sql_parse_accept_op(p, ",") && (rc = sql_parse_type_param(p, &scale)))
			return rc;
		if ((rc = sql_parse_expect_op(p, ")")))
			return rc;
	}
	if (prec < 1 || prec > SQL_DECIMAL_MAX_PRECISION) {
		sql_error_set(p->err, line, col, "decimal precision %u is out of range: it must be "
			      "1 to 38", prec);
		return -EINVAL;
	}
	if (scale > prec) {
		sql_error_set(p->err, line, col, "decimal scale %u is larger than its precision %u",
			      scale, prec);
		return -EINVAL;
	}
	*out = sql_type_decimal(prec, scale);
	return 0;
}

static int sql_parse_type(sql_parser *p, sql_type *out)
{
	static const struct { const char *name; sql_type type; } types[] = {
		{ "string", SQL_TYPE_STRING }, { "bigint", SQL_TYPE_BIGINT },
		{ "int", SQL_TYPE_BIGINT }, { "integer", SQL_TYPE_BIGINT },
		{ "double", SQL_TYPE_DOUBLE }, { "boolean", SQL_TYPE_BOOLEAN },
		{ "date", SQL_TYPE_DATE }, { "timestamp", SQL_TYPE_TIMESTAMP },
	};
	const sql_token *t = &p->tok;

	if (t->type != SQL_TOK_IDENT || t->quoted)
		return sql_parse_expected(p, "a type");
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (sql_token_is(t, types[i].name)) {
			*out = types[i].type;
			sql_parse_advance(p);
			return 0;
		}
	}
	if (sql_token_is(t, "decimal") || sql_token_is(t, "numeric") || sql_token_is(t, "dec"))
		return sql_parse_decimal_type(p, out);
	sql_error_set(p->err, t->line, t->col, "unknown type \"%.*s\": expected string, bigint, int, "
		      "double, decimal(p,s), boolean, date or timestamp", (int)t->len, t->ptr);
	return -EINVAL;
}

/* ---- expressions ----------------------------------------------------------------------- */

static int sql_parse_expr(sql_parser *p, sql_expr **out);
static int sql_parse_binary(sql_parser *p, int minprec, sql_expr **out);
static int sql_parse_query(sql_parser *p, sql_plan **out);

static sql_expr *sql_parse_node(sql_parser *p, sql_expr_kind kind, uint32_t line, uint32_t col,
				uint32_t nargs)
{
	sql_expr *e = sql_expr_new(p->a, kind, line, col);

	if (nargs) {
		e->args = sql_arena_alloc(p->a, nargs * sizeof *e->args);
		e->nargs = nargs;
	}
	return e;
}

/* Comma-separated expressions up to (not including) the closing ")". */
static int sql_parse_expr_list(sql_parser *p, sql_expr ***list, uint32_t *n)
{
	uint32_t cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	do {
		*list = sql_array_push(p->a, *list, n, &cap, sizeof **list);
		rc = sql_parse_expr(p, &(*list)[*n - 1]);
		if (rc)
			return rc;
	} while (sql_parse_accept_op(p, ","));
	return 0;
}

/* A number without exponent (12, 1.5, 0.06, .5) as Spark types it: a
 * decimal with as many fraction digits as written and the precision its
 * digits need, so 0.06 is decimal(2,2), 1.50 decimal(3,2) and a too-big
 * integer decimal(p,0).  False when it has an exponent or more than 38
 * digits. */
static bool sql_parse_decimal_literal(const char *s, sql_value *v)
{
	unsigned digits = 0, scale = 0;
	bool point = false, lead = true;

	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			point = true;
			continue;
		}
		if (*c < '0' || *c > '9')
			return false;
		if (point)
			scale++;
		if (lead && *c == '0')
			continue;
		lead = false;
		digits++;
	}
	if (digits == 0)
		digits = 1;
	unsigned prec = digits > scale ? digits : scale;
	if (prec > SQL_DECIMAL_MAX_PRECISION)
		return false;
	v->type = sql_type_decimal(prec, scale);
	return sql_decimal_parse(s, strlen(s), v->type, &v->u.dec) == 0;
}

static int sql_parse_number(sql_parser *p, sql_expr **out)
{
	const sql_token *t = &p->tok;
	sql_expr *e = sql_parse_node(p, SQL_EXPR_LITERAL, t->line, t->col, 0);
	char *s = sql_arena_strndup(p->a, t->ptr, t->len);
	bool exact = t->type == SQL_TOK_INTEGER;

	if (exact) {
		char *end;

		errno = 0;
		e->value.u.i = strtoll(s, &end, 10);
		/* Spark makes a too-big integer a decimal (a double beyond
		 * 38 digits). */
		exact = errno != ERANGE;
	}
	if (exact) {
		e->value.type = SQL_TYPE_BIGINT;
	} else if (!sql_parse_decimal_literal(s, &e->value)) {
		/* An exponent (1e3), or more than 38 digits: a double. */
		e->value.type = SQL_TYPE_DOUBLE;
		e->value.u.d = strtod(s, NULL);
	}
	e->resolved = true;
	e->type = e->value.type;
	*out = e;
	sql_parse_advance(p);
	return 0;
}

/* Whether T is the integer 9223372036854775808 (2^63, leading zeros
 * allowed): out of bigint range, so a double on its own, but a bigint after
 * a minus. */
static bool sql_parse_is_int_min(const sql_token *t)
{
	static const char digits[] = "9223372036854775808";
	uint32_t i = 0;

	if (t->type != SQL_TOK_INTEGER)
		return false;
	while (i + 1 < t->len && t->ptr[i] == '0')
		i++;
	return t->len - i == sizeof digits - 1 && memcmp(t->ptr + i, digits, sizeof digits - 1) == 0;
}

/* DATE '...' or TIMESTAMP '...': the current token is the word. */
static int sql_parse_typed_literal(sql_parser *p, bool timestamp, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	sql_expr *e = sql_parse_node(p, SQL_EXPR_LITERAL, line, col, 0);
	uint32_t n;
	char *s;

	sql_parse_advance(p);
	s = sql_parse_unescape(p, &p->tok, &n);
	/* The literal reads its text as a cast would, as in Spark. */
	if ((timestamp ? sql_timestamp_parse(s, n, &e->value.u.i)
		       : sql_date_parse(s, n, &e->value.u.i)) != 0) {
		sql_error_set(p->err, line, col, "invalid %s literal '%s'",
			      timestamp ? "TIMESTAMP" : "DATE", s);
		return -EINVAL;
	}
	e->value.type = timestamp ? SQL_TYPE_TIMESTAMP : SQL_TYPE_DATE;
	e->type = e->value.type;
	e->resolved = true;
	sql_parse_advance(p);
	*out = e;
	return 0;
}

static int sql_parse_case(sql_parser *p, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col, n = 0, cap = 0;
	sql_expr *e = sql_parse_node(p, SQL_EXPR_CASE, line, col, 0);
	sql_expr **args = NULL;
	int rc;

	sql_parse_advance(p);
	if (!sql_parse_is(p, "WHEN")) {
		e->case_operand = true;
		args = sql_array_push(p->a, args, &n, &cap, sizeof *args);
		rc = sql_parse_expr(p, &args[n - 1]);
		if (rc)
			return rc;
	}
	if (!sql_parse_is(p, "WHEN"))
		return sql_parse_expected(p, "WHEN");
	while (sql_parse_accept(p, "WHEN")) {
		args = sql_array_push(p->a, args, &n, &cap, sizeof *args);
		rc = sql_parse_expr(p, &args[n - 1]);
		if (rc)
			return rc;
		rc = sql_parse_expect(p, "THEN");
		if (rc)
			return rc;
		args = sql_array_push(p->a, args, &n, &cap, sizeof *args);
		rc = sql_parse_expr(p, &args[n - 1]);
		if (rc)
			return rc;
	}
	if (sql_parse_accept(p, "ELSE")) {
		e->case_else = true;
		args = sql_array_push(p->a, args, &n, &cap, sizeof *args);
		rc = sql_parse_expr(p, &args[n - 1]);
		if (rc)
			return rc;
	}
	rc = sql_parse_expect(p, "END");
	if (rc)
		return rc;
	e->args = args;
	e->nargs = n;
	*out = e;
	return 0;
}

static int sql_parse_cast(sql_parser *p, sql_expr **out)
{
	sql_expr *e = sql_parse_node(p, SQL_EXPR_CAST, p->tok.line, p->tok.col, 1);
	int rc;

	sql_parse_advance(p);
	rc = sql_parse_expect_op(p, "(");
	if (!rc)
		rc = sql_parse_expr(p, &e->args[0]);
	if (!rc)
		rc = sql_parse_expect(p, "AS");
	if (!rc)
		rc = sql_parse_type(p, &e->cast_type);
	if (!rc)
		rc = sql_parse_expect_op(p, ")");
	*out = e;
	return rc;
}

static sql_agg_fn sql_parse_agg_fn(const char *name)
{
	static const struct { const char *name; sql_agg_fn fn; } aggs[] = {
		{ "count", SQL_AGG_COUNT }, { "sum", SQL_AGG_SUM }, { "avg", SQL_AGG_AVG },
		{ "min", SQL_AGG_MIN }, { "max", SQL_AGG_MAX },
	};

	for (size_t i = 0; i < sizeof aggs / sizeof aggs[0]; i++)
		if (strcasecmp(name, aggs[i].name) == 0)
			return aggs[i].fn;
	return 0;
}

/* ---- special call syntax: EXTRACT(f FROM x), SUBSTRING(s FROM a FOR b), INTERVAL ---------- */

/* EXTRACT's fields and the functions they are, as Spark maps them. */
static const struct { const char *field; const char *func; } sql_parse_extract_fields[] = {
	{ "YEAR", "year" }, { "YEARS", "year" }, { "Y", "year" }, { "YR", "year" },
	{ "YRS", "year" }, { "QUARTER", "quarter" }, { "QTR", "quarter" },
	{ "MONTH", "month" }, { "MONTHS", "month" }, { "MON", "month" }, { "MONS", "month" },
	{ "WEEK", "weekofyear" }, { "WEEKS", "weekofyear" }, { "W", "weekofyear" },
	{ "DAY", "day" }, { "DAYS", "day" }, { "D", "day" },
	{ "DAYOFWEEK", "dayofweek" }, { "DOW", "dayofweek" }, { "DAYOFYEAR", "dayofyear" },
	{ "DOY", "dayofyear" }, { "HOUR", "hour" }, { "HOURS", "hour" }, { "H", "hour" },
	{ "HR", "hour" }, { "HRS", "hour" }, { "MINUTE", "minute" }, { "MINUTES", "minute" },
	{ "MIN", "minute" }, { "MINS", "minute" }, { "M", "minute" }, { "SECOND", "second" },
	{ "SECONDS", "second" }, { "S", "second" }, { "SEC", "second" }, { "SECS", "second" },
};

/* Whether the tokens are EXTRACT ( field FROM: the current token is EXTRACT. */
static bool sql_parse_at_extract(const sql_parser *p)
{
	sql_token t2, t3;

	if (!sql_parse_is(p, "EXTRACT"))
		return false;
	sql_parse_peek(p, 2, &t2);
	sql_parse_peek(p, 3, &t3);
	return t2.type == SQL_TOK_IDENT && !t2.quoted && sql_token_is(&t3, "FROM");
}

/* EXTRACT(field FROM x): the function of the field (year(x), ...). */
static int sql_parse_extract(sql_parser *p, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	const char *func = NULL;
	sql_expr *e;

	sql_parse_advance(p);   /* EXTRACT */
	sql_parse_advance(p);   /* ( */
	for (size_t i = 0; i < sizeof sql_parse_extract_fields / sizeof sql_parse_extract_fields[0];
	     i++)
		if (sql_parse_is(p, sql_parse_extract_fields[i].field))
			func = sql_parse_extract_fields[i].func;
	if (func == NULL) {
		sql_error_set(p->err, p->tok.line, p->tok.col, "EXTRACT cannot take \"%.*s\": "
			      "use YEAR, QUARTER, MONTH, WEEK, DAY, DAYOFWEEK, DAYOFYEAR, HOUR, MINUTE "
			      "or SECOND", (int)p->tok.len, p->tok.ptr);
		return -EINVAL;
	}
	sql_parse_advance(p);   /* the field */
	sql_parse_advance(p);   /* FROM */
	e = sql_parse_node(p, SQL_EXPR_FUNC, line, col, 1);
	e->name = func;
	*out = e;
	if (sql_parse_expr(p, &e->args[0]))
		return -EINVAL;
	return sql_parse_expect_op(p, ")");
}

/* SUBSTRING(s FROM a [FOR b]) or SUBSTRING(s, a [, b]) (also SUBSTR): the
 * current token is the name. */
static int sql_parse_substring(sql_parser *p, sql_expr **out)
{
	sql_expr *e = sql_parse_node(p, SQL_EXPR_FUNC, p->tok.line, p->tok.col, 0);
	uint32_t cap = 0;
	int rc;

	rc = sql_parse_ident(p, "a function name", &e->name);
	if (rc)
		return rc;
	sql_parse_advance(p);   /* ( */
	*out = e;
	e->args = sql_array_push(p->a, e->args, &e->nargs, &cap, sizeof *e->args);
	rc = sql_parse_expr(p, &e->args[0]);
	if (rc)
		return rc;
	if (sql_parse_accept(p, "FROM")) {
		e->args = sql_array_push(p->a, e->args, &e->nargs, &cap, sizeof *e->args);
		rc = sql_parse_expr(p, &e->args[1]);
		if (!rc && sql_parse_accept(p, "FOR")) {
			e->args = sql_array_push(p->a, e->args, &e->nargs, &cap, sizeof *e->args);
			rc = sql_parse_expr(p, &e->args[2]);
		}
	} else {
		while (!rc && sql_parse_accept_op(p, ",")) {
			e->args = sql_array_push(p->a, e->args, &e->nargs, &cap, sizeof *e->args);
			rc = sql_parse_expr(p, &e->args[e->nargs - 1]);
		}
	}
	return rc ? rc : sql_parse_expect_op(p, ")");
}

/* Interval units: months or microseconds per unit. */
static const struct { const char *unit; int64_t months, micros; } sql_parse_interval_units[] = {
	{ "YEAR", 12, 0 }, { "YEARS", 12, 0 }, { "MONTH", 1, 0 }, { "MONTHS", 1, 0 },
	{ "WEEK", 0, INT64_C(604800000000) }, { "WEEKS", 0, INT64_C(604800000000) },
	{ "DAY", 0, INT64_C(86400000000) }, { "DAYS", 0, INT64_C(86400000000) },
	{ "HOUR", 0, INT64_C(3600000000) }, { "HOURS", 0, INT64_C(3600000000) },
	{ "MINUTE", 0, 60000000 }, { "MINUTES", 0, 60000000 },
	{ "SECOND", 0, 1000000 }, { "SECONDS", 0, 1000000 },
	{ "MILLISECOND", 0, 1000 }, { "MILLISECONDS", 0, 1000 },
	{ "MICROSECOND", 0, 1 }, { "MICROSECONDS", 0, 1 },
};

/* Whether the current token starts an interval literal: INTERVAL followed
 * by a number or a quoted number (either may follow a minus) and a word.
 * A column named interval still reads as one (interval - 1). */
static bool sql_parse_at_interval(const sql_parser *p)
{
	sql_token next, unit;
	unsigned at = 1;

	if (!sql_parse_is(p, "INTERVAL"))
		return false;
	sql_parse_peek(p, at, &next);
	if (sql_parse_tok_is_op(&next, "-"))
		sql_parse_peek(p, ++at, &next);
	sql_parse_peek(p, at + 1, &unit);
	if (next.type == SQL_TOK_STRING && at == 1)
		return true;    /* INTERVAL '1 day' too */
	return (next.type == SQL_TOK_STRING || next.type == SQL_TOK_INTEGER ||
		next.type == SQL_TOK_DECIMAL) && unit.type == SQL_TOK_IDENT;
}

/* The N bytes at S as a signed decimal number of units in millionths: "90",
 * "-3", "1.5" (at most six decimals).  False when it is not one or too big. */
static bool sql_parse_interval_number(const char *s, size_t n, int64_t *millionths)
{
	size_t i = 0, digits = 0;
	int64_t whole = 0, frac = 0, scale = 100000;
	bool neg = false;

	while (i < n && s[i] == ' ')
		i++;
	while (n > i && s[n - 1] == ' ')
		n--;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		if (__builtin_mul_overflow(whole, 10, &whole) ||
		    __builtin_add_overflow(whole, s[i] - '0', &whole))
			return false;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i != n || digits == 0 || __builtin_mul_overflow(whole, 1000000, &whole))
		return false;
	*millionths = neg ? -(whole + frac) : whole + frac;
	return true;
}

/* The unit named by the N bytes at S (any case), an index into
 * sql_parse_interval_units, or -1. */
static int sql_parse_interval_unit(const char *s, size_t n)
{
	for (size_t u = 0; u < sizeof sql_parse_interval_units / sizeof sql_parse_interval_units[0];
	     u++)
		if (strlen(sql_parse_interval_units[u].unit) == n &&
		    strncasecmp(sql_parse_interval_units[u].unit, s, n) == 0)
			return (int)u;
	return -1;
}

/* Add N millionths of unit U to ACC (months, days, microseconds): 0,
 * -EDOM for a fraction of a month or year, -ERANGE on overflow.  Whole
 * days and weeks stay days: a date plus days is a date. */
static int sql_parse_interval_add(int64_t n, int u, int64_t acc[3])
{
	int64_t amount, per = sql_parse_interval_units[u].micros;

	if (sql_parse_interval_units[u].months) {
		if (n % 1000000)
			return -EDOM;
		amount = n / 1000000 * sql_parse_interval_units[u].months;
		return __builtin_add_overflow(acc[0], amount, &acc[0]) ? -ERANGE : 0;
	}
	if (per % INT64_C(86400000000) == 0 && n % 1000000 == 0) {
		if (__builtin_mul_overflow(n / 1000000, per / INT64_C(86400000000), &amount) ||
		    __builtin_add_overflow(acc[1], amount, &acc[1]))
			return -ERANGE;
		return 0;
	}
	__extension__ __int128 x = (__int128)n * per / 1000000;
	if (x > INT64_MAX || x < INT64_MIN || __builtin_add_overflow(acc[2], (int64_t)x, &acc[2]))
		return -ERANGE;
	return 0;
}

/* The quoted form INTERVAL '1 year 2 months': pairs of a number and a unit
 * in TEXT (LEN bytes), added to ACC.  0, or -EINVAL with the reason in
 * WHY. */
static int sql_parse_interval_text(const char *text, size_t len, int64_t acc[3], const char **why)
{
	size_t i = 0, pairs = 0;

	for (;;) {
		size_t a, b;
		int64_t n;
		int u, rc;

		while (i < len && text[i] == ' ')
			i++;
		if (i == len)
			break;
		for (a = i; i < len && text[i] != ' '; i++)
			;
		if (!sql_parse_interval_number(text + a, i - a, &n)) {
			*why = "a number";
			return -EINVAL;
		}
		while (i < len && text[i] == ' ')
			i++;
		for (b = i; i < len && text[i] != ' '; i++)
			;
		u = sql_parse_interval_unit(text + b, i - b);
		if (u < 0) {
			*why = "a unit";
			return -EINVAL;
		}
		rc = sql_parse_interval_add(n, u, acc);
		if (rc) {
			*why = rc == -EDOM ? "whole months and years" : "a value in range";
			return -EINVAL;
		}
		pairs++;
	}
	if (pairs == 0) {
		*why = "a number and a unit";
		return -EINVAL;
	}
	return 0;
}

/* INTERVAL n unit [(precision)] [n unit ...], n an integer or a quoted one
 * (either may have a sign; seconds may have decimals), or INTERVAL 'n unit
 * ...'.  Becomes the unresolved call interval(months, days, microseconds). */
static int sql_parse_interval(sql_parser *p, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	int64_t acc[3] = { 0, 0, 0 };
	sql_expr *e;

	sql_parse_advance(p);   /* INTERVAL */
	do {
		uint32_t nline = p->tok.line, ncol = p->tok.col;
		bool neg = sql_parse_accept_op(p, "-");
		const char *text, *why = NULL;
		sql_token unit;
		int64_t n;
		uint32_t len;
		int u, rc;

		if (p->tok.type == SQL_TOK_STRING) {
			text = sql_parse_unescape(p, &p->tok, &len);
		} else if (p->tok.type == SQL_TOK_INTEGER || p->tok.type == SQL_TOK_DECIMAL) {
			text = p->tok.ptr;
			len = p->tok.len;
		} else {
			return sql_parse_expected(p, "a number after INTERVAL");
		}
		sql_parse_peek(p, 1, &unit);
		if (p->tok.type == SQL_TOK_STRING && !neg && unit.type != SQL_TOK_IDENT) {
			/* INTERVAL '1 year 2 months' */
			if (sql_parse_interval_text(text, len, acc, &why)) {
				sql_error_set(p->err, nline, ncol, "invalid interval '%.*s': expected %s",
					      (int)len, text, why);
				return -EINVAL;
			}
			sql_parse_advance(p);
			break;
		}
		if (!sql_parse_interval_number(text, len, &n)) {
			sql_error_set(p->err, nline, ncol, "invalid interval value '%.*s'", (int)len,
				      text);
			return -EINVAL;
		}
		if (neg)
			n = -n;
		sql_parse_advance(p);
		u = p->tok.type == SQL_TOK_IDENT && !p->tok.quoted
			    ? sql_parse_interval_unit(p->tok.ptr, p->tok.len) : -1;
		if (u < 0)
			return sql_parse_expected(p, "an interval unit (YEAR, MONTH, WEEK, DAY, HOUR, "
						  "MINUTE or SECOND)");
		rc = sql_parse_interval_add(n, u, acc);
		if (rc == -EDOM) {
			sql_error_set(p->err, nline, ncol, "an interval of %.*s must be a whole number",
				      (int)p->tok.len, p->tok.ptr);
			return -EINVAL;
		}
		if (rc) {
			sql_error_set(p->err, line, col, "interval out of range");
			return -EINVAL;
		}
		sql_parse_advance(p);   /* the unit */
		/* DAY(3): SQL's leading field precision, accepted and ignored. */
		if (sql_parse_is_op(p, "(")) {
			sql_token next;

			sql_parse_peek(p, 1, &next);
			if (next.type == SQL_TOK_INTEGER) {
				sql_parse_advance(p);
				sql_parse_advance(p);
				if (sql_parse_expect_op(p, ")"))
					return -EINVAL;
			}
		}
	} while (p->tok.type == SQL_TOK_STRING || p->tok.type == SQL_TOK_INTEGER ||
		 p->tok.type == SQL_TOK_DECIMAL);
	e = sql_parse_node(p, SQL_EXPR_FUNC, line, col, 3);
	e->name = "interval";
	e->func = SQL_FUNC_INTERVAL;
	for (int i = 0; i < 3; i++) {
		sql_expr *v = sql_parse_node(p, SQL_EXPR_LITERAL, line, col, 0);

		v->value.type = v->type = SQL_TYPE_BIGINT;
		v->value.u.i = acc[i];
		v->resolved = true;
		e->args[i] = v;
	}
	*out = e;
	return 0;
}

/* name(args): the current token is the name, the next "(". */
static int sql_parse_call(sql_parser *p, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	const char *name;
	sql_agg_fn agg;
	sql_expr *e;
	bool distinct;
	int rc;

	if (sql_parse_at_extract(p))
		return sql_parse_extract(p, out);
	if (sql_parse_is(p, "SUBSTRING") || sql_parse_is(p, "SUBSTR"))
		return sql_parse_substring(p, out);
	rc = sql_parse_ident(p, "a function name", &name);
	if (rc)
		return rc;
	sql_parse_advance(p);   /* ( */
	agg = sql_parse_agg_fn(name);
	e = sql_parse_node(p, agg ? SQL_EXPR_AGG : SQL_EXPR_FUNC, line, col, 0);
	e->name = name;
	e->agg = agg;
	*out = e;
	distinct = sql_parse_accept(p, "DISTINCT");
	if (!distinct)
		sql_parse_accept(p, "ALL");
	if (distinct && !agg) {
		sql_error_set(p->err, line, col, "DISTINCT is only allowed in aggregate functions, "
			      "not in %s()", name);
		return -EINVAL;
	}
	e->distinct = distinct;
	if (agg == SQL_AGG_COUNT && !distinct && sql_parse_is_op(p, "*")) {
		sql_parse_advance(p);
		return sql_parse_expect_op(p, ")");
	}
	if (sql_parse_is_op(p, ")")) {
		if (agg) {
			sql_error_set(p->err, line, col, "%s() needs an argument", name);
			return -EINVAL;
		}
		sql_parse_advance(p);
		return 0;
	}
	rc = sql_parse_expr_list(p, &e->args, &e->nargs);
	if (rc)
		return rc;
	if (agg && e->nargs != 1) {
		sql_error_set(p->err, line, col, "%s() takes one argument, not %" PRIu32, name,
			      e->nargs);
		return -EINVAL;
	}
	return sql_parse_expect_op(p, ")");
}

/* A column reference: name, or qualifier.name with a dotted qualifier. */
static int sql_parse_column(sql_parser *p, sql_expr **out)
{
	sql_expr *e = sql_parse_node(p, SQL_EXPR_COLUMN, p->tok.line, p->tok.col, 0);
	const char *name;
	int rc;

	rc = sql_parse_ident(p, "a column name", &name);
	if (rc)
		return rc;
	while (sql_parse_accept_op(p, ".")) {
		const char *next;

		if (sql_parse_is_op(p, "*")) {
			sql_error_set(p->err, p->tok.line, p->tok.col,
				      "%s.* is only allowed in the select list", name);
			return -EINVAL;
		}
		rc = sql_parse_ident(p, "a column name", &next);
		if (rc)
			return rc;
		e->qualifier = e->qualifier ? sql_arena_printf(p->a, "%s.%s", e->qualifier, name)
					    : name;
		name = next;
	}
	e->name = name;
	*out = e;
	return 0;
}

/* Is the token after T's "(" the start of a query (SELECT or WITH)? */
static bool sql_parse_at_subquery(const sql_parser *p, unsigned n)
{
	sql_token open, next;

	sql_parse_peek(p, n, &open);
	if (!sql_parse_tok_is_op(&open, "("))
		return false;
	sql_parse_peek(p, n + 1, &next);
	return sql_token_is(&next, "SELECT") || sql_token_is(&next, "WITH");
}

/* ( query ) at the current "(": a subquery expression of KIND at LINE:COL. */
static int sql_parse_subquery(sql_parser *p, sql_expr_kind kind, uint32_t line, uint32_t col,
			      sql_expr **out)
{
	sql_expr *e;
	int rc = sql_parse_enter(p);

	if (rc)
		return rc;
	sql_parse_advance(p);
	e = sql_parse_node(p, kind, line, col, 0);
	rc = sql_parse_query(p, &e->subquery);
	if (!rc)
		rc = sql_parse_expect_op(p, ")");
	sql_parse_leave(p);
	if (rc)
		return rc;
	*out = e;
	return 0;
}

static int sql_parse_primary(sql_parser *p, sql_expr **out)
{
	const sql_token *t = &p->tok;
	sql_token next;
	sql_expr *e;
	int rc;

	switch (t->type) {
	case SQL_TOK_INTEGER:
	case SQL_TOK_DECIMAL:
		return sql_parse_number(p, out);
	case SQL_TOK_STRING:
		e = sql_parse_node(p, SQL_EXPR_LITERAL, t->line, t->col, 0);
		e->value.type = SQL_TYPE_STRING;
		e->value.u.s.ptr = sql_parse_unescape(p, t, &e->value.u.s.len);
		e->type = SQL_TYPE_STRING;
		e->resolved = true;
		sql_parse_advance(p);
		*out = e;
		return 0;
	case SQL_TOK_KEYWORD:
		if (sql_parse_is(p, "TRUE") || sql_parse_is(p, "FALSE") || sql_parse_is(p, "NULL")) {
			e = sql_parse_node(p, SQL_EXPR_LITERAL, t->line, t->col, 0);
			if (sql_parse_is(p, "NULL")) {
				e->value.type = SQL_TYPE_NULL;
				e->value.null = true;
			} else {
				e->value.type = SQL_TYPE_BOOLEAN;
				e->value.u.b = sql_parse_is(p, "TRUE");
			}
			e->type = e->value.type;
			e->resolved = true;
			sql_parse_advance(p);
			*out = e;
			return 0;
		}
		if (sql_parse_is(p, "CASE") || sql_parse_is(p, "CAST")) {
			bool is_case = sql_parse_is(p, "CASE");

			rc = sql_parse_enter(p);
			if (rc)
				return rc;
			rc = is_case ? sql_parse_case(p, out) : sql_parse_cast(p, out);
			sql_parse_leave(p);
			return rc;
		}
		break;
	case SQL_TOK_IDENT:
		sql_parse_peek(p, 1, &next);
		if (sql_parse_is(p, "EXISTS") && sql_parse_at_subquery(p, 1)) {
			uint32_t line = t->line, col = t->col;

			sql_parse_advance(p);
			return sql_parse_subquery(p, SQL_EXPR_EXISTS, line, col, out);
		}
		if (next.type == SQL_TOK_STRING && (sql_parse_is(p, "DATE") ||
						    sql_parse_is(p, "TIMESTAMP")))
			return sql_parse_typed_literal(p, sql_parse_is(p, "TIMESTAMP"), out);
		if (sql_parse_at_interval(p))
			return sql_parse_interval(p, out);
		if (sql_parse_tok_is_op(&next, "(")) {
			rc = sql_parse_enter(p);
			if (rc)
				return rc;
			rc = sql_parse_call(p, out);
			sql_parse_leave(p);
			return rc;
		}
		return sql_parse_column(p, out);
	case SQL_TOK_OP:
		if (sql_parse_is_op(p, "(")) {
			if (sql_parse_at_subquery(p, 0))
				return sql_parse_subquery(p, SQL_EXPR_SCALAR_SUBQUERY, t->line, t->col,
							  out);
			rc = sql_parse_enter(p);
			if (rc)
				return rc;
			sql_parse_advance(p);
			rc = sql_parse_expr(p, out);
			if (!rc)
				rc = sql_parse_expect_op(p, ")");
			sql_parse_leave(p);
			return rc;
		}
		break;
	default:
		break;
	}
	return sql_parse_expected(p, "an expression");
}

/* Prefix operators: NOT (only where a boolean operand may start), unary
 * minus and plus.  A minus before a number literal folds into it, so
 * -1 is a literal, as a partition value must be. */
static int sql_parse_unary(sql_parser *p, int minprec, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col, min_line, min_col;
	bool is_not = sql_parse_is(p, "NOT");
	bool minus = sql_parse_is_op(p, "-"), int_min;
	sql_expr *arg, *e;
	int rc;

	if (!(is_not && minprec <= SQL_PREC_NOT) && !minus && !sql_parse_is_op(p, "+"))
		return sql_parse_primary(p, out);
	rc = sql_parse_enter(p);
	if (rc)
		return rc;
	sql_parse_advance(p);
	min_line = p->tok.line;
	min_col = p->tok.col;
	int_min = minus && sql_parse_is_int_min(&p->tok);
	rc = sql_parse_binary(p, is_not ? SQL_PREC_NOT : SQL_PREC_UNARY, &arg);
	sql_parse_leave(p);
	if (rc)
		return rc;
	if (!is_not && !minus) {
		*out = arg;
		return 0;
	}
	if (int_min && arg->kind == SQL_EXPR_LITERAL && arg->line == min_line &&
	    arg->col == min_col) {
		/* -9223372036854775808: the one bigint whose magnitude is not one. */
		arg->value.type = arg->type = SQL_TYPE_BIGINT;
		arg->value.u.i = INT64_MIN;
		arg->line = line;
		arg->col = col;
		*out = arg;
		return 0;
	}
	if (minus && arg->kind == SQL_EXPR_LITERAL && !arg->value.null &&
	    (arg->value.type == SQL_TYPE_BIGINT || arg->value.type == SQL_TYPE_DOUBLE ||
	     sql_type_is_decimal(arg->value.type)) &&
	    !(arg->value.type == SQL_TYPE_BIGINT && arg->value.u.i == INT64_MIN)) {
		if (sql_type_is_decimal(arg->value.type))
			arg->value.u.dec = -arg->value.u.dec;
		else if (arg->value.type == SQL_TYPE_BIGINT)
			arg->value.u.i = -arg->value.u.i;
		else
			arg->value.u.d = -arg->value.u.d;
		arg->line = line;
		arg->col = col;
		*out = arg;
		return 0;
	}
	e = sql_parse_node(p, SQL_EXPR_UNARY, line, col, 1);
	e->op = is_not ? SQL_OP_NOT : SQL_OP_NEG;
	e->args[0] = arg;
	*out = e;
	return 0;
}

/* The binary operator at the current token and its precedence; 0 if none. */
static int sql_parse_binop(const sql_parser *p, sql_op *op)
{
	static const struct { const char *text; sql_op op; int prec; } ops[] = {
		{ "=", SQL_OP_EQ, SQL_PREC_CMP }, { "==", SQL_OP_EQ, SQL_PREC_CMP },
		{ "<>", SQL_OP_NE, SQL_PREC_CMP }, { "!=", SQL_OP_NE, SQL_PREC_CMP },
		{ "<", SQL_OP_LT, SQL_PREC_CMP }, { "<=", SQL_OP_LE, SQL_PREC_CMP },
		{ ">", SQL_OP_GT, SQL_PREC_CMP }, { ">=", SQL_OP_GE, SQL_PREC_CMP },
		{ "||", SQL_OP_CONCAT, SQL_PREC_CONCAT },
		{ "+", SQL_OP_ADD, SQL_PREC_ADD }, { "-", SQL_OP_SUB, SQL_PREC_ADD },
		{ "*", SQL_OP_MUL, SQL_PREC_MUL }, { "/", SQL_OP_DIV, SQL_PREC_MUL },
		{ "%", SQL_OP_MOD, SQL_PREC_MUL },
	};

	if (sql_parse_is(p, "OR")) {
		*op = SQL_OP_OR;
		return SQL_PREC_OR;
	}
	if (sql_parse_is(p, "AND")) {
		*op = SQL_OP_AND;
		return SQL_PREC_AND;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (sql_parse_is_op(p, ops[i].text)) {
			*op = ops[i].op;
			return ops[i].prec;
		}
	}
	return 0;
}

/* IS [NOT] NULL, [NOT] IN (...), [NOT] BETWEEN a AND b, [NOT] LIKE p
 * after LEFT; the current token is IS, NOT, IN, BETWEEN or LIKE. */
static int sql_parse_predicate(sql_parser *p, sql_expr *left, sql_expr **out)
{
	bool negated = false;
	sql_expr *e;
	int rc;

	if (sql_parse_accept(p, "IS")) {
		e = sql_parse_node(p, SQL_EXPR_IS_NULL, left->line, left->col, 1);
		e->negated = sql_parse_accept(p, "NOT");
		e->args[0] = left;
		*out = e;
		return sql_parse_expect(p, "NULL");
	}
	if (sql_parse_accept(p, "NOT"))
		negated = true;
	if (sql_parse_accept(p, "IN")) {
		sql_expr **list;
		uint32_t n;

		if (!sql_parse_is_op(p, "("))
			return sql_parse_expected(p, "\"(\"");
		if (sql_parse_at_subquery(p, 0)) {
			rc = sql_parse_subquery(p, SQL_EXPR_IN_SUBQUERY, left->line, left->col, &e);
			if (rc)
				return rc;
			e->args = sql_arena_alloc(p->a, sizeof *e->args);
			e->args[0] = left;
			e->nargs = 1;
			e->negated = negated;
			*out = e;
			return 0;
		}
		rc = sql_parse_enter(p);
		if (rc)
			return rc;
		sql_parse_advance(p);
		rc = sql_parse_expr_list(p, &list, &n);
		if (!rc)
			rc = sql_parse_expect_op(p, ")");
		sql_parse_leave(p);
		if (rc)
			return rc;
		e = sql_parse_node(p, SQL_EXPR_IN, left->line, left->col, n + 1);
		e->args[0] = left;
		memcpy(e->args + 1, list, n * sizeof *list);
	} else if (sql_parse_accept(p, "BETWEEN")) {
		e = sql_parse_node(p, SQL_EXPR_BETWEEN, left->line, left->col, 3);
		e->args[0] = left;
		rc = sql_parse_binary(p, SQL_PREC_CMP + 1, &e->args[1]);
		if (!rc)
			rc = sql_parse_expect(p, "AND");
		if (!rc)
			rc = sql_parse_binary(p, SQL_PREC_CMP + 1, &e->args[2]);
		if (rc)
			return rc;
	} else if (sql_parse_accept(p, "LIKE")) {
		e = sql_parse_node(p, SQL_EXPR_LIKE, left->line, left->col, 2);
		e->args[0] = left;
		rc = sql_parse_binary(p, SQL_PREC_CMP + 1, &e->args[1]);
		if (rc)
			return rc;
	} else {
		return sql_parse_expected(p, "IN, BETWEEN or LIKE");
	}
	e->negated = negated;
	*out = e;
	return 0;
}

static bool sql_parse_at_predicate(const sql_parser *p)
{
	sql_token next;

	if (sql_parse_is(p, "IS") || sql_parse_is(p, "IN") || sql_parse_is(p, "BETWEEN") ||
	    sql_parse_is(p, "LIKE"))
		return true;
	if (!sql_parse_is(p, "NOT"))
		return false;
	sql_parse_peek(p, 1, &next);
	return sql_token_is(&next, "IN") || sql_token_is(&next, "BETWEEN") ||
	       sql_token_is(&next, "LIKE");
}

/* Precedence climbing: operands bind to operators of at least MINPREC;
 * all binary operators are left-associative. */
static int sql_parse_binary(sql_parser *p, int minprec, sql_expr **out)
{
	sql_expr *left, *right, *e;
	sql_op op = 0;
	unsigned links = 0;
	int prec, rc;

	rc = sql_parse_unary(p, minprec, &left);
	if (rc)
		return rc;
	for (;;) {
		if (sql_parse_at_predicate(p)) {
			if (SQL_PREC_CMP < minprec)
				break;
			rc = sql_parse_chain(p, &links);
			if (!rc)
				rc = sql_parse_predicate(p, left, &left);
			if (rc)
				goto out;
			continue;
		}
		prec = sql_parse_binop(p, &op);
		if (!prec || prec < minprec)
			break;
		rc = sql_parse_chain(p, &links);
		if (rc)
			goto out;
		sql_parse_advance(p);
		rc = sql_parse_binary(p, prec + 1, &right);
		if (rc)
			goto out;
		e = sql_parse_node(p, SQL_EXPR_BINARY, left->line, left->col, 2);
		e->op = op;
		e->args[0] = left;
		e->args[1] = right;
		left = e;
	}
	*out = left;
out:
	sql_parse_unchain(p, links);
	return rc;
}

static int sql_parse_expr(sql_parser *p, sql_expr **out)
{
	return sql_parse_binary(p, SQL_PREC_OR, out);
}

/* ---- queries ------------------------------------------------------------------------------ */

static bool sql_parse_expr_has_agg(const sql_expr *e)
{
	if (!e)
		return false;
	if (e->kind == SQL_EXPR_AGG)
		return true;
	for (uint32_t i = 0; i < e->nargs; i++)
		if (sql_parse_expr_has_agg(e->args[i]))
			return true;
	return false;
}

/* The word that may follow a relation or a select item instead of an
 * implicit alias.  Only IDENT tokens can be aliases, so this is short. */
static bool sql_parse_at_alias(const sql_parser *p)
{
	return p->tok.type == SQL_TOK_IDENT;
}

/* [AS] alias after a select item or relation; *name stays NULL if none. */
static int sql_parse_alias(sql_parser *p, bool in_select, const char **name)
{
	*name = NULL;
	if (sql_parse_accept(p, "AS"))
		return sql_parse_ident(p, "an alias", name);
	if (!sql_parse_at_alias(p))
		return 0;
	p->alias = p->tok;
	p->alias_in_select = in_select;
	if (sql_parse_ident(p, "an alias", name))
		return -EINVAL;
	p->alias_end = p->prev_end;
	return 0;
}

static int sql_parse_select_item(sql_parser *p, sql_expr **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	sql_token t1, t2;
	const char *alias;
	sql_expr *e, *a;
	int rc;

	if (sql_parse_is_op(p, "*")) {
		*out = sql_parse_node(p, SQL_EXPR_STAR, line, col, 0);
		sql_parse_advance(p);
		return 0;
	}
	sql_parse_peek(p, 1, &t1);
	sql_parse_peek(p, 2, &t2);
	if (p->tok.type == SQL_TOK_IDENT && sql_parse_tok_is_op(&t1, ".") &&
	    sql_parse_tok_is_op(&t2, "*")) {
		e = sql_parse_node(p, SQL_EXPR_STAR, line, col, 0);
		rc = sql_parse_ident(p, "a table name", &e->qualifier);
		if (rc)
			return rc;
		sql_parse_advance(p);
		sql_parse_advance(p);
		*out = e;
		return 0;
	}
	rc = sql_parse_expr(p, &e);
	if (rc)
		return rc;
	rc = sql_parse_alias(p, true, &alias);
	if (rc)
		return rc;
	if (alias) {
		a = sql_parse_node(p, SQL_EXPR_ALIAS, line, col, 1);
		a->args[0] = e;
		a->name = alias;
		e = a;
	}
	*out = e;
	return 0;
}

static sql_plan *sql_parse_wrap(sql_parser *p, sql_plan_kind kind, sql_plan *child,
				uint32_t line, uint32_t col)
{
	sql_plan *n = sql_plan_new(p->a, kind, line, col);

	n->child[0] = child;
	return n;
}

static int sql_parse_join_chain(sql_parser *p, sql_plan **out);

/* (a, b, ...): the column names of an alias (ALIAS node R), after a
 * relation's alias or a WITH query's name; the current token is "(". */
static int sql_parse_alias_columns(sql_parser *p, sql_plan *r)
{
	uint32_t cap = 0;
	int rc;

	sql_parse_advance(p);   /* ( */
	do {
		uint32_t line = p->tok.line, col = p->tok.col;
		const char *name;

		rc = sql_parse_ident(p, "a column name", &name);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < r->nalias_columns; i++) {
			if (strcasecmp(r->alias_columns[i], name) == 0) {
				sql_error_set(p->err, line, col, "column \"%s\" is named twice", name);
				return -EINVAL;
			}
		}
		r->alias_columns = sql_array_push(p->a, r->alias_columns, &r->nalias_columns, &cap,
						  sizeof *r->alias_columns);
		r->alias_columns[r->nalias_columns - 1] = name;
	} while (sql_parse_accept_op(p, ","));
	return sql_parse_expect_op(p, ")");
}

/* A table name, (subquery) or (join), each with an optional alias. */
static int sql_parse_relation(sql_parser *p, sql_plan **out)
{
	uint32_t line = p->tok.line, col = p->tok.col;
	const char *alias;
	sql_plan *r;
	int rc;

	if (sql_parse_is_op(p, "(")) {
		sql_token next;

		sql_parse_peek(p, 1, &next);
		rc = sql_parse_enter(p);
		if (rc)
			return rc;
		sql_parse_advance(p);
		if (sql_token_is(&next, "SELECT") || sql_token_is(&next, "WITH") ||
		    sql_token_is(&next, "VALUES") || sql_parse_tok_is_op(&next, "("))
			rc = sql_parse_query(p, &r);
		else
			rc = sql_parse_join_chain(p, &r);
		if (!rc)
			rc = sql_parse_expect_op(p, ")");
		sql_parse_leave(p);
		if (rc)
			return rc;
	} else if (p->tok.type == SQL_TOK_IDENT) {
		r = sql_plan_new(p->a, SQL_PLAN_UNRESOLVED_RELATION, line, col);
		rc = sql_parse_name(p, 3, "a table name", r->names, &r->nnames);
		if (rc)
			return rc;
		if (r->nnames == 1)
			r->kind = SQL_PLAN_CTE_REF;
	} else {
		return sql_parse_expected(p, "a table name or subquery");
	}
	rc = sql_parse_alias(p, false, &alias);
	if (rc)
		return rc;
	if (alias) {
		r = sql_parse_wrap(p, SQL_PLAN_ALIAS, r, line, col);
		r->alias = alias;
		/* (query) AS t (a, b): the alias names the columns too. */
		if (sql_parse_is_op(p, "(")) {
			rc = sql_parse_alias_columns(p, r);
			if (rc)
				return rc;
		}
	}
	*out = r;
	return 0;
}

static int sql_parse_join_chain(sql_parser *p, sql_plan **out)
{
	sql_plan *left, *j;
	unsigned links = 0;
	int rc;

	rc = sql_parse_relation(p, &left);
	if (rc)
		return rc;
	for (;;) {
		uint32_t line = p->tok.line, col = p->tok.col;
		sql_join_type type = SQL_JOIN_INNER;
		bool cross = false;

		if (sql_parse_accept(p, "LEFT")) {
			/* Spark's LEFT SEMI JOIN and LEFT ANTI JOIN: the left rows
			 * with (without) a match, and only their columns. */
			if (sql_parse_accept(p, "SEMI"))
				type = SQL_JOIN_LEFT_SEMI;
			else if (sql_parse_accept(p, "ANTI"))
				type = SQL_JOIN_LEFT_ANTI;
			else {
				type = SQL_JOIN_LEFT;
				sql_parse_accept(p, "OUTER");
			}
		} else if (sql_parse_accept(p, "RIGHT")) {
			type = SQL_JOIN_RIGHT;
			sql_parse_accept(p, "OUTER");
		} else if (sql_parse_accept(p, "FULL")) {
			type = SQL_JOIN_FULL;
			sql_parse_accept(p, "OUTER");
		} else if (sql_parse_accept(p, "CROSS")) {
			cross = true;
		} else if (!sql_parse_accept(p, "INNER") && !sql_parse_is(p, "JOIN")) {
			break;
		}
		rc = sql_parse_expect(p, "JOIN");
		if (!rc)
			rc = sql_parse_chain(p, &links);
		if (rc)
			goto out;
		j = sql_plan_new(p->a, SQL_PLAN_JOIN, line, col);
		j->join_type = type;
		j->child[0] = left;
		rc = sql_parse_relation(p, &j->child[1]);
		if (rc)
			goto out;
		if (!cross) {
			rc = sql_parse_expect(p, "ON");
			if (!rc)
				rc = sql_parse_expr(p, &j->cond);
			if (rc)
				goto out;
		}
		left = j;
	}
	*out = left;
out:
	sql_parse_unchain(p, links);
	return rc;
}

/* FROM a, b, c: inner joins without a condition, left to right.  The
 * WHERE clause usually relates them; the optimizer turns its equalities
 * into join keys and orders the relations so that each join has some. */
static int sql_parse_from(sql_parser *p, sql_plan **out)
{
	sql_plan *left, *j;
	unsigned links = 0;
	int rc;

	rc = sql_parse_join_chain(p, &left);
	while (!rc && sql_parse_is_op(p, ",") && !(rc = sql_parse_chain(p, &links))) {
		j = sql_plan_new(p->a, SQL_PLAN_JOIN, p->tok.line, p->tok.col);
		sql_parse_advance(p);
		j->join_type = SQL_JOIN_INNER;
		j->child[0] = left;
		rc = sql_parse_join_chain(p, &j->child[1]);
		left = j;
	}
	*out = left;
	sql_parse_unchain(p, links);
	return rc;
}

/* What may follow the select list of a SELECT without FROM. */
static bool sql_parse_at_select_end(const sql_parser *p)
{
	static const char *const words[] = {
		"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", NULL };

	if (p->tok.type == SQL_TOK_EOF || sql_parse_is_op(p, ";") || sql_parse_is_op(p, ")"))
		return true;
	for (size_t i = 0; words[i]; i++)
		if (sql_parse_is(p, words[i]))
			return true;
	return false;
}

static int sql_parse_select(sql_parser *p, sql_plan **out)
{
	uint32_t line = p->tok.line, col = p->tok.col, n = 0, cap = 0;
	sql_expr **items = NULL, *having = NULL;
	sql_plan *rel, *top;
	bool distinct, agg = false;
	uint32_t hline = 0, hcol = 0;
	int rc;

	sql_parse_advance(p);   /* SELECT */
	distinct = sql_parse_accept(p, "DISTINCT");
	if (!distinct)
		sql_parse_accept(p, "ALL");
	do {
		items = sql_array_push(p->a, items, &n, &cap, sizeof *items);
		rc = sql_parse_select_item(p, &items[n - 1]);
		if (rc)
			return rc;
		agg = agg || sql_parse_expr_has_agg(items[n - 1]);
	} while (sql_parse_accept_op(p, ","));

	if (sql_parse_is(p, "FROM")) {
		sql_parse_advance(p);
		rc = sql_parse_from(p, &rel);
		if (rc)
			return rc;
	} else {
		if (!sql_parse_at_select_end(p))
			return sql_parse_expected(p, "FROM");
		rel = sql_plan_new(p->a, SQL_PLAN_ONE_ROW, line, col);
	}
	top = rel;
	if (sql_parse_is(p, "WHERE")) {
		top = sql_parse_wrap(p, SQL_PLAN_FILTER, rel, p->tok.line, p->tok.col);
		sql_parse_advance(p);
		rc = sql_parse_expr(p, &top->cond);
		if (rc)
			return rc;
	}
	if (sql_parse_is(p, "GROUP")) {
		sql_plan *g = sql_parse_wrap(p, SQL_PLAN_AGGREGATE, top, line, col);

		sql_parse_advance(p);
		rc = sql_parse_expect(p, "BY");
		if (!rc)
			rc = sql_parse_expr_list(p, &g->groups, &g->ngroups);
		if (rc)
			return rc;
		top = g;
		agg = true;
	}
	if (sql_parse_is(p, "HAVING")) {
		hline = p->tok.line;
		hcol = p->tok.col;
		sql_parse_advance(p);
		rc = sql_parse_expr(p, &having);
		if (rc)
			return rc;
		/* HAVING without GROUP BY aggregates the whole input, as in Spark. */
		agg = true;
	}
	if (agg && top->kind != SQL_PLAN_AGGREGATE)
		top = sql_parse_wrap(p, SQL_PLAN_AGGREGATE, top, line, col);
	if (!agg)
		top = sql_parse_wrap(p, SQL_PLAN_PROJECT, top, line, col);
	top->exprs = items;
	top->nexprs = n;
	if (having) {
		top = sql_parse_wrap(p, SQL_PLAN_FILTER, top, hline, hcol);
		top->cond = having;
	}
	if (distinct)
		top = sql_parse_wrap(p, SQL_PLAN_DISTINCT, top, line, col);
	*out = top;
	return 0;
}

static int sql_parse_values(sql_parser *p, sql_plan **out)
{
	sql_plan *v = sql_plan_new(p->a, SQL_PLAN_VALUES, p->tok.line, p->tok.col);
	uint32_t cap = 0;
	int rc;

	sql_parse_advance(p);   /* VALUES */
	do {
		uint32_t line = p->tok.line, col = p->tok.col, n;
		sql_expr **row;

		if (sql_parse_is_op(p, "(")) {
			rc = sql_parse_enter(p);
			if (rc)
				return rc;
			sql_parse_advance(p);
			rc = sql_parse_expr_list(p, &row, &n);
			if (!rc)
				rc = sql_parse_expect_op(p, ")");
			sql_parse_leave(p);
		} else {
			/* VALUES 1, 2: one column, one row per value. */
			n = 1;
			row = sql_arena_alloc(p->a, sizeof *row);
			rc = sql_parse_expr(p, &row[0]);
		}
		if (rc)
			return rc;
		if (v->nrows && n != v->ncols) {
			sql_error_set(p->err, line, col, "VALUES row %" PRIu32 " has %" PRIu32
				      " values, expected %" PRIu32 " as in the first row",
				      v->nrows + 1, n, v->ncols);
			return -EINVAL;
		}
		v->ncols = n;
		v->rows = sql_array_push(p->a, v->rows, &v->nrows, &cap, sizeof *v->rows);
		v->rows[v->nrows - 1] = row;
	} while (sql_parse_accept_op(p, ","));
	*out = v;
	return 0;
}

/* SELECT ..., VALUES ..., or a parenthesised query. */
static int sql_parse_query_term(sql_parser *p, sql_plan **out)
{
	int rc;

	if (sql_parse_is(p, "SELECT"))
		return sql_parse_select(p, out);
	if (sql_parse_is(p, "VALUES"))
		return sql_parse_values(p, out);
	if (sql_parse_is_op(p, "(")) {
		rc = sql_parse_enter(p);
		if (rc)
			return rc;
		sql_parse_advance(p);
		rc = sql_parse_query(p, out);
		if (!rc)
			rc = sql_parse_expect_op(p, ")");
		sql_parse_leave(p);
		return rc;
	}
	return sql_parse_expected(p, "SELECT");
}

static int sql_parse_order_by(sql_parser *p, sql_plan *sort)
{
	uint32_t cap = 0;
	int rc;

	do {
		sql_sort_key *k;

		sort->sort = sql_array_push(p->a, sort->sort, &sort->nsort, &cap, sizeof *sort->sort);
		k = &sort->sort[sort->nsort - 1];
		rc = sql_parse_expr(p, &k->expr);
		if (rc)
			return rc;
		if (sql_parse_accept(p, "DESC"))
			k->desc = true;
		else
			sql_parse_accept(p, "ASC");
		k->nulls_first = !k->desc;
		if (sql_parse_accept(p, "NULLS")) {
			if (sql_parse_accept(p, "FIRST"))
				k->nulls_first = true;
			else if (sql_parse_accept(p, "LAST"))
				k->nulls_first = false;
			else
				return sql_parse_expected(p, "FIRST or LAST");
		}
	} while (sql_parse_accept_op(p, ","));
	return 0;
}

static int sql_parse_with(sql_parser *p, sql_plan **out)
{
	sql_plan *w = sql_plan_new(p->a, SQL_PLAN_WITH, p->tok.line, p->tok.col);
	uint32_t cap = 0, ncap = 0, nnames = 0;
	int rc;

	sql_parse_advance(p);   /* WITH */
	do {
		uint32_t line = p->tok.line, col = p->tok.col;
		const char *name;
		sql_plan *body, *alias;

		rc = sql_parse_ident(p, "a name for the WITH query", &name);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < w->nctes; i++) {
			if (strcasecmp(w->cte_names[i], name) == 0) {
				sql_error_set(p->err, line, col, "WITH query \"%s\" is defined twice",
					      name);
				return -EINVAL;
			}
		}
		alias = sql_plan_new(p->a, SQL_PLAN_ALIAS, line, col);
		alias->alias = name;
		/* WITH t (a, b) AS (...) */
		if (sql_parse_is_op(p, "(")) {
			rc = sql_parse_alias_columns(p, alias);
			if (rc)
				return rc;
		}
		rc = sql_parse_expect(p, "AS");
		if (rc)
			return rc;
		if (!sql_parse_is_op(p, "("))
			return sql_parse_expected(p, "\"(\"");
		rc = sql_parse_enter(p);
		if (rc)
			return rc;
		sql_parse_advance(p);
		rc = sql_parse_query(p, &body);
		if (!rc)
			rc = sql_parse_expect_op(p, ")");
		sql_parse_leave(p);
		if (rc)
			return rc;
		/* Each CTE is a SubqueryAlias of its name, as in Spark, so that
		 * inlining it yields columns qualified by the CTE's name. */
		alias->child[0] = body;
		w->ctes = sql_array_push(p->a, w->ctes, &w->nctes, &cap, sizeof *w->ctes);
		w->ctes[w->nctes - 1] = alias;
		w->cte_names = sql_array_push(p->a, w->cte_names, &nnames, &ncap,
					      sizeof *w->cte_names);
		w->cte_names[nnames - 1] = name;
	} while (sql_parse_accept_op(p, ","));
	*out = w;
	return 0;
}

/* The row count after LIMIT or OFFSET (WHAT) into *OUT. */
static int sql_parse_row_count(sql_parser *p, const char *what, int64_t *out)
{
	char buf[32];

	if (p->tok.type != SQL_TOK_INTEGER) {
		snprintf(buf, sizeof buf, "a row count after %s", what);
		return sql_parse_expected(p, buf);
	}
	if (p->tok.len >= sizeof buf) {
		sql_error_set(p->err, p->tok.line, p->tok.col, "%s is too large", what);
		return -EINVAL;
	}
	memcpy(buf, p->tok.ptr, p->tok.len);
	buf[p->tok.len] = '\0';
	errno = 0;
	*out = strtoll(buf, NULL, 10);
	if (errno == ERANGE) {
		sql_error_set(p->err, p->tok.line, p->tok.col, "%s is too large", what);
		return -EINVAL;
	}
	sql_parse_advance(p);
	return 0;
}

/* [WITH ...] term [UNION [ALL] term]... [ORDER BY ...] [LIMIT n [OFFSET m]] */
static int sql_parse_query(sql_parser *p, sql_plan **out)
{
	sql_plan *with = NULL, *top, *right, *u;
	unsigned links = 0;
	int rc;

	if (sql_parse_is(p, "WITH")) {
		rc = sql_parse_with(p, &with);
		if (rc)
			return rc;
	}
	rc = sql_parse_query_term(p, &top);
	if (rc)
		return rc;
	while (sql_parse_is(p, "UNION")) {
		uint32_t line = p->tok.line, col = p->tok.col;
		bool all;

		rc = sql_parse_chain(p, &links);
		if (!rc) {
			sql_parse_advance(p);
			all = sql_parse_accept(p, "ALL");
			if (!all)
				sql_parse_accept(p, "DISTINCT");
			rc = sql_parse_query_term(p, &right);
		}
		if (rc) {
			sql_parse_unchain(p, links);
			return rc;
		}
		u = sql_parse_wrap(p, SQL_PLAN_UNION, top, line, col);
		u->child[1] = right;
		/* UNION without ALL is UNION ALL then Distinct, as Spark plans it. */
		top = all ? u : sql_parse_wrap(p, SQL_PLAN_DISTINCT, u, line, col);
	}
	sql_parse_unchain(p, links);
	if (sql_parse_is(p, "ORDER")) {
		top = sql_parse_wrap(p, SQL_PLAN_SORT, top, p->tok.line, p->tok.col);
		sql_parse_advance(p);
		rc = sql_parse_expect(p, "BY");
		if (!rc)
			rc = sql_parse_order_by(p, top);
		if (rc)
			return rc;
	}
	if (sql_parse_is(p, "LIMIT")) {
		uint32_t line = p->tok.line, col = p->tok.col;

		sql_parse_advance(p);
		top = sql_parse_wrap(p, SQL_PLAN_LIMIT, top, line, col);
		rc = sql_parse_row_count(p, "LIMIT", &top->limit);
		if (!rc && sql_parse_is(p, "OFFSET")) {
			sql_parse_advance(p);
			rc = sql_parse_row_count(p, "OFFSET", &top->offset);
		}
		if (rc)
			return rc;
	}
	if (with) {
		with->child[0] = top;
		top = with;
	}
	*out = top;
	return 0;
}

static bool sql_parse_at_query(const sql_parser *p)
{
	return sql_parse_is(p, "SELECT") || sql_parse_is(p, "WITH") || sql_parse_is(p, "VALUES") ||
	       sql_parse_is_op(p, "(");
}

/* ---- statements ------------------------------------------------------------------------------ */

static int sql_parse_if_not_exists(sql_parser *p, bool *out)
{
	*out = false;
	if (!sql_parse_accept(p, "IF"))
		return 0;
	*out = true;
	if (sql_parse_expect(p, "NOT") || sql_parse_expect(p, "EXISTS"))
		return -EINVAL;
	return 0;
}

static int sql_parse_if_exists(sql_parser *p, bool *out)
{
	*out = false;
	if (!sql_parse_accept(p, "IF"))
		return 0;
	*out = true;
	return sql_parse_expect(p, "EXISTS");
}

/* (name type, ...), or (name, ...) when TYPED is false. */
static int sql_parse_columns(sql_parser *p, bool typed, sql_column_def **out, uint32_t *n)
{
	uint32_t cap = 0;
	int rc;

	rc = sql_parse_expect_op(p, "(");
	if (rc)
		return rc;
	do {
		sql_column_def *c;

		*out = sql_array_push(p->a, *out, n, &cap, sizeof **out);
		c = &(*out)[*n - 1];
		c->line = p->tok.line;
		c->col = p->tok.col;
		rc = sql_parse_ident(p, "a column name", &c->name);
		if (!rc && typed)
			rc = sql_parse_type(p, &c->type);
		if (rc)
			return rc;
		for (uint32_t i = 0; i + 1 < *n; i++) {
			if (strcasecmp((*out)[i].name, c->name) == 0) {
				sql_error_set(p->err, c->line, c->col,
					      "column \"%s\" is defined twice", c->name);
				return -EINVAL;
			}
		}
	} while (sql_parse_accept_op(p, ","));
	return sql_parse_expect_op(p, ")");
}

/* PARTITION (k[=v], ...); VALUES_REQUIRED refuses a dynamic key. */
static int sql_parse_pspec(sql_parser *p, bool values_required, sql_stmt *s)
{
	uint32_t cap = 0, scap = s->npspecs;
	sql_pspec *spec;
	int rc;

	/* A statement has a handful of specs at most: growing by copying
	 * each time costs nothing and needs no capacity in sql_stmt. */
	s->pspecs = sql_array_push(p->a, s->pspecs, &s->npspecs, &scap, sizeof *s->pspecs);
	spec = &s->pspecs[s->npspecs - 1];
	sql_parse_advance(p);   /* PARTITION */
	rc = sql_parse_expect_op(p, "(");
	if (rc)
		return rc;
	do {
		sql_pspec_item *it;

		spec->items = sql_array_push(p->a, spec->items, &spec->nitems, &cap,
					     sizeof *spec->items);
		it = &spec->items[spec->nitems - 1];
		it->line = p->tok.line;
		it->col = p->tok.col;
		rc = sql_parse_ident(p, "a partition key", &it->key);
		if (rc)
			return rc;
		if (sql_parse_accept_op(p, "=")) {
			uint32_t line = p->tok.line, col = p->tok.col;

			rc = sql_parse_binary(p, SQL_PREC_CMP + 1, &it->value);
			if (rc)
				return rc;
			if (it->value->kind != SQL_EXPR_LITERAL) {
				sql_error_set(p->err, line, col,
					      "partition value of \"%s\" must be a literal", it->key);
				return -EINVAL;
			}
		} else if (values_required) {
			sql_error_set(p->err, it->line, it->col,
				      "partition key \"%s\" needs a value", it->key);
			return -EINVAL;
		}
		for (uint32_t i = 0; i + 1 < spec->nitems; i++) {
			if (strcasecmp(spec->items[i].key, it->key) == 0) {
				sql_error_set(p->err, it->line, it->col,
					      "partition key \"%s\" is given twice", it->key);
				return -EINVAL;
			}
		}
	} while (sql_parse_accept_op(p, ","));
	return sql_parse_expect_op(p, ")");
}

static int sql_parse_target(sql_parser *p, unsigned max, const char *what, sql_stmt *s)
{
	return sql_parse_name(p, max, what, s->target, &s->ntarget);
}

static int sql_parse_insert(sql_parser *p, sql_stmt *s)
{
	int rc;

	s->kind = SQL_STMT_INSERT;
	sql_parse_advance(p);   /* INSERT */
	if (sql_parse_accept(p, "OVERWRITE"))
		s->overwrite = true;
	else if (!sql_parse_accept(p, "INTO"))
		return sql_parse_expected(p, "INTO or OVERWRITE");
	sql_parse_accept(p, "TABLE");
	rc = sql_parse_target(p, 3, "a table name", s);
	if (rc)
		return rc;
	if (sql_parse_is(p, "PARTITION")) {
		rc = sql_parse_pspec(p, false, s);
		if (rc)
			return rc;
	}
	if (!sql_parse_at_query(p))
		return sql_parse_expected(p, "SELECT or VALUES");
	return sql_parse_query(p, &s->query);
}

/* ('k'='v', ...) after TBLPROPERTIES, appended to S's properties. */
static int sql_parse_props(sql_parser *p, sql_stmt *s)
{
	uint32_t cap = 0;
	int rc;

	rc = sql_parse_expect_op(p, "(");
	if (rc)
		return rc;
	do {
		sql_property *pr;
		uint32_t kn, vn, line = p->tok.line, col = p->tok.col;
		char why[160];

		s->props = sql_array_push(p->a, s->props, &s->nprops, &cap, sizeof *s->props);
		pr = &s->props[s->nprops - 1];
		if (p->tok.type != SQL_TOK_STRING)
			return sql_parse_expected(p, "a property name in quotes");
		pr->key = sql_parse_unescape(p, &p->tok, &kn);
		sql_parse_advance(p);
		rc = sql_parse_expect_op(p, "=");
		if (rc)
			return rc;
		if (p->tok.type != SQL_TOK_STRING)
			return sql_parse_expected(p, "a property value in quotes");
		pr->value = sql_parse_unescape(p, &p->tok, &vn);
		sql_parse_advance(p);
		/* A property becomes a line of the table's .schema: refuse what
		 * would not read back as itself (a newline would add lines). */
		if (store_property_check(pr->key, kn, pr->value, vn, why, sizeof why)) {
			sql_error_set(p->err, line, col, "%s", why);
			return -EINVAL;
		}
	} while (sql_parse_accept_op(p, ","));
	return sql_parse_expect_op(p, ")");
}

/* PARTITIONED BY (...) of CREATE TABLE S. */
static int sql_parse_partitioned_by(sql_parser *p, sql_stmt *s)
{
	sql_parse_advance(p);
	int rc = sql_parse_expect(p, "BY");
	if (rc)
		return rc;
	/* Hive style: typed keys after a column list; a CREATE TABLE AS
	 * names its keys among the query's columns. */
	rc = sql_parse_columns(p, s->ncolumns > 0, &s->partcols, &s->npartcols);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < s->npartcols; i++) {
		for (uint32_t j = 0; j < s->ncolumns; j++) {
			if (strcasecmp(s->partcols[i].name, s->columns[j].name) == 0) {
				sql_error_set(p->err, s->partcols[i].line, s->partcols[i].col,
					      "partition column \"%s\" is also a data column: "
					      "list it only in PARTITIONED BY",
					      s->partcols[i].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* STORED AS FORMAT or USING FORMAT of CREATE TABLE S. */
static int sql_parse_stored_as(sql_parser *p, sql_stmt *s)
{
	if (sql_parse_accept(p, "STORED")) {
		int rc = sql_parse_expect(p, "AS");
		if (rc)
			return rc;
	} else {
		sql_parse_advance(p);
	}
	if (p->tok.type != SQL_TOK_IDENT || !fmt_from_name(p->tok.ptr, p->tok.len, &s->format))
		return sql_parse_expected(p, "CSV, JSONL or PARQUET");
	s->format_given = true;
	sql_parse_advance(p);
	return 0;
}

static int sql_parse_create_table(sql_parser *p, sql_stmt *s)
{
	int rc;

	s->kind = SQL_STMT_CREATE_TABLE;
	rc = sql_parse_if_not_exists(p, &s->if_not_exists);
	if (!rc)
		rc = sql_parse_target(p, 3, "a table name", s);
	if (!rc && sql_parse_is_op(p, "("))
		rc = sql_parse_columns(p, true, &s->columns, &s->ncolumns);
	if (rc)
		return rc;
	/* The clauses in any order, each once, as Spark takes them
	 * (USING parquet PARTITIONED BY (dt) AS ...) and Hive writes them
	 * (PARTITIONED BY (...) STORED AS ... TBLPROPERTIES (...)). */
	bool partitioned = false, stored = false, props = false;
	for (;;) {
		uint32_t line = p->tok.line, col = p->tok.col;
		bool *seen;
		const char *clause;
		if (sql_parse_is(p, "PARTITIONED")) {
			seen = &partitioned;
			clause = "PARTITIONED BY";
		} else if (sql_parse_is(p, "STORED") || sql_parse_is(p, "USING")) {
			seen = &stored;
			clause = "the format (STORED AS or USING)";
		} else if (sql_parse_is(p, "TBLPROPERTIES")) {
			seen = &props;
			clause = "TBLPROPERTIES";
		} else {
			break;
		}
		if (*seen) {
			sql_error_set(p->err, line, col, "%s is given twice", clause);
			return -EINVAL;
		}
		*seen = true;
		if (seen == &partitioned) {
			rc = sql_parse_partitioned_by(p, s);
		} else if (seen == &stored) {
			rc = sql_parse_stored_as(p, s);
		} else {
			sql_parse_advance(p);
			rc = sql_parse_props(p, s);
		}
		if (rc)
			return rc;
	}
	if (sql_parse_is(p, "AS")) {
		if (s->ncolumns) {
			sql_error_set(p->err, p->tok.line, p->tok.col, "CREATE TABLE AS SELECT takes "
				      "its columns from the query: drop the column list");
			return -EINVAL;
		}
		sql_parse_advance(p);
		s->kind = SQL_STMT_CREATE_TABLE_AS;
		if (!sql_parse_at_query(p))
			return sql_parse_expected(p, "SELECT");
		return sql_parse_query(p, &s->query);
	}
	if (!s->ncolumns)
		return sql_parse_expected(p, s->npartcols ? "AS" : "\"(\" or AS");
	return 0;
}

/* CREATE [OR REPLACE] [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS
 * query: the current token is VIEW. */
static int sql_parse_create_view(sql_parser *p, sql_stmt *s)
{
	int rc;

	s->kind = SQL_STMT_CREATE_VIEW;
	sql_parse_advance(p);   /* VIEW */
	rc = sql_parse_if_not_exists(p, &s->if_not_exists);
	if (rc)
		return rc;
	if (s->if_not_exists && s->or_replace) {
		sql_error_set(p->err, s->line, s->col,
			      "CREATE OR REPLACE VIEW cannot have IF NOT EXISTS");
		return -EINVAL;
	}
	rc = sql_parse_target(p, 3, "a view name", s);
	/* A one-part name has no database to be kept in: the view lives for
	 * the job, as TPC-H's Q15 (create view revenue0 ...; drop view
	 * revenue0) needs. */
	if (!rc && s->ntarget == 1)
		s->temporary = true;
	if (!rc && sql_parse_is_op(p, "("))
		rc = sql_parse_columns(p, false, &s->columns, &s->ncolumns);
	if (!rc)
		rc = sql_parse_expect(p, "AS");
	if (rc)
		return rc;
	if (!sql_parse_at_query(p))
		return sql_parse_expected(p, "SELECT");
	s->query_start = p->tok.offset;
	return sql_parse_query(p, &s->query);
}

static int sql_parse_role_name(sql_parser *p, sql_stmt *s, uint32_t *cap);

static int sql_parse_create(sql_parser *p, sql_stmt *s)
{
	sql_parse_advance(p);   /* CREATE */
	if (sql_parse_accept(p, "OR")) {
		if (sql_parse_expect(p, "REPLACE"))
			return -EINVAL;
		s->or_replace = true;
	}
	s->temporary = sql_parse_accept(p, "TEMPORARY") || sql_parse_accept(p, "TEMP");
	if (sql_parse_is(p, "VIEW"))
		return sql_parse_create_view(p, s);
	if (s->or_replace || s->temporary)
		return sql_parse_expected(p, "VIEW");
	if (sql_parse_accept(p, "TABLE"))
		return sql_parse_create_table(p, s);
	if (sql_parse_accept(p, "ROLE")) {
		uint32_t cap = 0;

		s->kind = SQL_STMT_CREATE_ROLE;
		if (sql_parse_if_not_exists(p, &s->if_not_exists))
			return -EINVAL;
		return sql_parse_role_name(p, s, &cap);
	}
	if (sql_parse_accept(p, "DATABASE") || sql_parse_accept(p, "SCHEMA")) {
		s->kind = SQL_STMT_CREATE_DATABASE;
		if (sql_parse_if_not_exists(p, &s->if_not_exists))
			return -EINVAL;
		return sql_parse_target(p, 2, "a database name", s);
	}
	return sql_parse_expected(p, "TABLE, VIEW, DATABASE or ROLE");
}

static int sql_parse_drop(sql_parser *p, sql_stmt *s)
{
	unsigned max;

	sql_parse_advance(p);   /* DROP */
	if (sql_parse_accept(p, "ROLE")) {
		uint32_t cap = 0;

		s->kind = SQL_STMT_DROP_ROLE;
		if (sql_parse_if_exists(p, &s->if_exists))
			return -EINVAL;
		return sql_parse_role_name(p, s, &cap);
	}
	if (sql_parse_accept(p, "TABLE")) {
		s->kind = SQL_STMT_DROP_TABLE;
		max = 3;
	} else if (sql_parse_accept(p, "VIEW")) {
		s->kind = SQL_STMT_DROP_VIEW;
		max = 3;
	} else if (sql_parse_accept(p, "DATABASE") || sql_parse_accept(p, "SCHEMA")) {
		s->kind = SQL_STMT_DROP_DATABASE;
		max = 2;
	} else {
		return sql_parse_expected(p, "TABLE, VIEW, DATABASE or ROLE");
	}
	if (sql_parse_if_exists(p, &s->if_exists))
		return -EINVAL;
	return sql_parse_target(p, max, s->kind == SQL_STMT_DROP_VIEW ? "a view name" :
				max == 3 ? "a table name" : "a database name", s);
}

static int sql_parse_alter(sql_parser *p, sql_stmt *s)
{
	int rc;

	sql_parse_advance(p);   /* ALTER */
	rc = sql_parse_expect(p, "TABLE");
	if (!rc)
		rc = sql_parse_target(p, 3, "a table name", s);
	if (rc)
		return rc;
	if (sql_parse_accept(p, "ADD")) {
		s->kind = SQL_STMT_ADD_PARTITION;
		rc = sql_parse_if_not_exists(p, &s->if_not_exists);
	} else if (sql_parse_accept(p, "DROP")) {
		s->kind = SQL_STMT_DROP_PARTITION;
		rc = sql_parse_if_exists(p, &s->if_exists);
	} else if (sql_parse_accept(p, "SET")) {
		s->kind = SQL_STMT_SET_PROPERTIES;
		rc = sql_parse_expect(p, "TBLPROPERTIES");
		return rc ? rc : sql_parse_props(p, s);
	} else {
		return sql_parse_expected(p, "ADD, DROP or SET");
	}
	if (rc)
		return rc;
	if (!sql_parse_is(p, "PARTITION"))
		return sql_parse_expected(p, "PARTITION");
	do {
		rc = sql_parse_pspec(p, true, s);
		if (rc)
			return rc;
		/* Hive separates ADD's specs by blanks and DROP's by commas;
		 * take either. */
		if (sql_parse_is_op(p, ",")) {
			sql_parse_advance(p);
			if (!sql_parse_is(p, "PARTITION"))
				return sql_parse_expected(p, "PARTITION");
		}
	} while (sql_parse_is(p, "PARTITION"));
	return 0;
}

/* ---- access control -------------------------------------------------------------------------- */

/* Whether the current token is the word WORD used as a keyword: not the
 * first part of a dotted name (`table`.x.y names a platform "table"). */
static bool sql_parse_is_kw(const sql_parser *p, const char *word)
{
	sql_token next;

	if (!sql_parse_is(p, word))
		return false;
	sql_parse_peek(p, 1, &next);
	return !sql_parse_tok_is_op(&next, ".");
}

/* A role name, appended to S's roles. */
static int sql_parse_role_name(sql_parser *p, sql_stmt *s, uint32_t *cap)
{
	sql_grantee *g;

	s->roles = sql_array_push(p->a, s->roles, &s->nroles, cap, sizeof *s->roles);
	g = &s->roles[s->nroles - 1];
	g->kind = SQL_GRANTEE_ROLE;
	g->line = p->tok.line;
	g->col = p->tok.col;
	return sql_parse_ident(p, "a role name", &g->name);
}

/* One privilege of GRANT or REVOKE, ORed into *PRIVS. */
static int sql_parse_privilege(sql_parser *p, unsigned *privs)
{
	static const struct { const char *name; unsigned bit; } privileges[] = {
		{ "SELECT", SQL_PRIV_SELECT }, { "MODIFY", SQL_PRIV_MODIFY },
		{ "INSERT", SQL_PRIV_MODIFY }, { "CREATE", SQL_PRIV_CREATE },
		{ "SUBMIT", SQL_PRIV_SUBMIT }, { "SYNC", SQL_PRIV_SYNC },
		{ "ADMIN", SQL_PRIV_ADMIN },
	};
	const sql_token *t = &p->tok;

	if (sql_parse_accept(p, "ALL")) {
		sql_parse_accept(p, "PRIVILEGES");
		*privs |= SQL_PRIV_ALL;
		return 0;
	}
	for (size_t i = 0; i < sizeof privileges / sizeof privileges[0]; i++) {
		if (sql_token_is(t, privileges[i].name)) {
			*privs |= privileges[i].bit;
			sql_parse_advance(p);
			return 0;
		}
	}
	if ((t->type == SQL_TOK_IDENT || t->type == SQL_TOK_KEYWORD) && !sql_parse_is(p, "ON")) {
		sql_error_set(p->err, t->line, t->col, "unknown privilege \"%.*s\": expected SELECT, "
			      "MODIFY, CREATE, SUBMIT, SYNC, ADMIN, INSERT or ALL [PRIVILEGES]",
			      (int)t->len, t->ptr);
		return -EINVAL;
	}
	return sql_parse_expected(p, "a privilege");
}

/* The object after ON. */
static int sql_parse_object(sql_parser *p, sql_object *o)
{
	unsigned max = 3;
	const char *what = "a table name";
	int rc;

	memset(o, 0, sizeof *o);
	o->line = p->tok.line;
	o->col = p->tok.col;
	if (sql_parse_is_kw(p, "METASTORE")) {
		sql_parse_advance(p);
		o->kind = SQL_OBJECT_METASTORE;
		return 0;
	}
	if (sql_parse_is_kw(p, "PLATFORM") || sql_parse_is_kw(p, "CATALOG")) {
		o->kind = SQL_OBJECT_PLATFORM;
		max = 1;
		what = "a platform name";
	} else if (sql_parse_is_kw(p, "DATABASE") || sql_parse_is_kw(p, "SCHEMA")) {
		o->kind = SQL_OBJECT_DATABASE;
		max = 2;
		what = "a database name";
	} else {
		o->kind = SQL_OBJECT_TABLE;
	}
	if (o->kind != SQL_OBJECT_TABLE || sql_parse_is_kw(p, "TABLE"))
		sql_parse_advance(p);
	o->line = p->tok.line;
	o->col = p->tok.col;
	rc = sql_parse_name(p, max, what, o->names, &o->nnames);
	if (rc)
		return rc;
	if (o->kind == SQL_OBJECT_TABLE && o->nnames == 1) {
		sql_error_set(p->err, o->line, o->col, "table name \"%s\" needs a database (db.table)",
			      o->names[0]);
		return -EINVAL;
	}
	return 0;
}

/* The name of a grantee of kind KIND: a role is an identifier; a user or a
 * group may also be a quoted string or a number. */
static int sql_parse_grantee_name(sql_parser *p, sql_grantee *g)
{
	const sql_token *t = &p->tok;
	uint32_t n;

	g->line = t->line;
	g->col = t->col;
	if (g->kind == SQL_GRANTEE_ROLE)
		return sql_parse_ident(p, "a role name", &g->name);
	if (t->type == SQL_TOK_STRING) {
		g->name = sql_parse_unescape(p, t, &n);
		if (n == 0 || strlen(g->name) != n) {
			sql_error_set(p->err, t->line, t->col, "empty or invalid %s name",
				      g->kind == SQL_GRANTEE_USER ? "user" : "group");
			return -EINVAL;
		}
		sql_parse_advance(p);
		return 0;
	}
	if (t->type == SQL_TOK_INTEGER) {
		g->name = sql_arena_strndup(p->a, t->ptr, t->len);
		sql_parse_advance(p);
		return 0;
	}
	return sql_parse_ident(p, g->kind == SQL_GRANTEE_USER ? "a user name" : "a group name",
			       &g->name);
}

static bool sql_parse_tok_is_name(const sql_token *t)
{
	return t->type == SQL_TOK_IDENT || t->type == SQL_TOK_STRING || t->type == SQL_TOK_INTEGER;
}

/* USER|GROUP|ROLE name; KIND (0: none yet) is the kind of the previous
 * grantee of the list, which a name without a kind word keeps. */
static int sql_parse_grantee(sql_parser *p, sql_grantee_kind kind, sql_grantee *g)
{
	static const struct { const char *word; sql_grantee_kind kind; } kinds[] = {
		{ "USER", SQL_GRANTEE_USER }, { "GROUP", SQL_GRANTEE_GROUP },
		{ "ROLE", SQL_GRANTEE_ROLE },
	};
	sql_token next;

	sql_parse_peek(p, 1, &next);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (sql_parse_is(p, kinds[i].word) && sql_parse_tok_is_name(&next)) {
			kind = kinds[i].kind;
			sql_parse_advance(p);
			break;
		}
	}
	if (!kind)
		return sql_parse_expected(p, "USER, GROUP or ROLE");
	g->kind = kind;
	return sql_parse_grantee_name(p, g);
}

/* grantee [, grantee ...] into S; ROLES_ALLOWED false refuses ROLE. */
static int sql_parse_grantees(sql_parser *p, sql_stmt *s, bool roles_allowed)
{
	uint32_t cap = 0;
	sql_grantee_kind kind = 0;
	int rc;

	do {
		sql_grantee *g;
		uint32_t line = p->tok.line, col = p->tok.col;

		s->grantees = sql_array_push(p->a, s->grantees, &s->ngrantees, &cap,
					     sizeof *s->grantees);
		g = &s->grantees[s->ngrantees - 1];
		rc = sql_parse_grantee(p, kind, g);
		if (rc)
			return rc;
		if (g->kind == SQL_GRANTEE_ROLE && !roles_allowed) {
			sql_error_set(p->err, line, col, "a role is granted to users and groups, not to "
				      "a role");
			return -EINVAL;
		}
		kind = g->kind;
	} while (sql_parse_accept_op(p, ","));
	return 0;
}

/* GRANT ... TO ... and REVOKE ... FROM ... (the first word consumed). */
static int sql_parse_grant(sql_parser *p, sql_stmt *s, bool revoke)
{
	int rc;

	if (sql_parse_is(p, "ROLE")) {
		uint32_t cap = 0;

		sql_parse_advance(p);
		s->kind = revoke ? SQL_STMT_REVOKE_ROLE : SQL_STMT_GRANT_ROLE;
		do {
			rc = sql_parse_role_name(p, s, &cap);
			if (rc)
				return rc;
		} while (sql_parse_accept_op(p, ","));
	} else {
		s->kind = revoke ? SQL_STMT_REVOKE : SQL_STMT_GRANT;
		do {
			rc = sql_parse_privilege(p, &s->privs);
			if (rc)
				return rc;
		} while (sql_parse_accept_op(p, ","));
		rc = sql_parse_expect(p, "ON");
		if (!rc)
			rc = sql_parse_object(p, &s->object);
		if (rc)
			return rc;
	}
	rc = sql_parse_expect(p, revoke ? "FROM" : "TO");
	if (rc)
		return rc;
	return sql_parse_grantees(p, s, s->kind == SQL_STMT_GRANT || s->kind == SQL_STMT_REVOKE);
}

/* SHOW GRANTS [ON object] [FOR|TO grantee], the clauses in either order. */
static int sql_parse_show_grants(sql_parser *p, sql_stmt *s)
{
	int rc;

	s->kind = SQL_STMT_SHOW_GRANTS;
	for (;;) {
		if (!s->object.kind && sql_parse_accept(p, "ON")) {
			rc = sql_parse_object(p, &s->object);
		} else if (!s->ngrantees && (sql_parse_accept(p, "FOR") ||
					     sql_parse_accept(p, "TO"))) {
			s->grantees = sql_arena_alloc(p->a, sizeof *s->grantees);
			s->ngrantees = 1;
			rc = sql_parse_grantee(p, 0, &s->grantees[0]);
		} else {
			return 0;
		}
		if (rc)
			return rc;
	}
}

static int sql_parse_stmt(sql_parser *p, sql_stmt **out);

static int sql_parse_stmt_body(sql_parser *p, sql_stmt *s)
{
	int rc;

	if (sql_parse_is(p, "EXPLAIN")) {
		s->kind = SQL_STMT_EXPLAIN;
		sql_parse_advance(p);
		s->extended = sql_parse_accept(p, "EXTENDED");
		if (sql_parse_is(p, "EXPLAIN")) {
			sql_error_set(p->err, p->tok.line, p->tok.col, "EXPLAIN cannot explain EXPLAIN");
			return -EINVAL;
		}
		rc = sql_parse_stmt(p, &s->inner);
		if (!rc)
			s->inner->index = s->index;
		return rc;
	}
	if (sql_parse_at_query(p)) {
		s->kind = SQL_STMT_SELECT;
		return sql_parse_query(p, &s->query);
	}
	if (sql_parse_is(p, "INSERT"))
		return sql_parse_insert(p, s);
	if (sql_parse_is(p, "CREATE"))
		return sql_parse_create(p, s);
	if (sql_parse_is(p, "DROP"))
		return sql_parse_drop(p, s);
	if (sql_parse_is(p, "ALTER"))
		return sql_parse_alter(p, s);
	if (sql_parse_accept(p, "MSCK")) {
		s->kind = SQL_STMT_MSCK_REPAIR;
		rc = sql_parse_expect(p, "REPAIR");
		if (!rc)
			rc = sql_parse_expect(p, "TABLE");
		if (!rc)
			rc = sql_parse_target(p, 3, "a table name", s);
		return rc;
	}
	if (sql_parse_accept(p, "SHOW")) {
		if (sql_parse_accept(p, "GRANTS") || sql_parse_accept(p, "GRANT"))
			return sql_parse_show_grants(p, s);
		if (sql_parse_accept(p, "ROLES")) {
			s->kind = SQL_STMT_SHOW_ROLES;
			return 0;
		}
		if (sql_parse_accept(p, "VIEWS")) {
			s->kind = SQL_STMT_SHOW_VIEWS;
			if (!sql_parse_accept(p, "IN") && !sql_parse_accept(p, "FROM"))
				return sql_parse_expected(p, "IN");
			return sql_parse_target(p, 2, "a database name", s);
		}
		s->kind = SQL_STMT_SHOW_PARTITIONS;
		if (!sql_parse_accept(p, "PARTITIONS"))
			return sql_parse_expected(p, "PARTITIONS, VIEWS, GRANTS or ROLES");
		return sql_parse_target(p, 3, "a table name", s);
	}
	if (sql_parse_accept(p, "GRANT"))
		return sql_parse_grant(p, s, false);
	if (sql_parse_accept(p, "REVOKE"))
		return sql_parse_grant(p, s, true);
	return sql_parse_expected(p, "a statement (SELECT, INSERT, CREATE, DROP, ALTER, MSCK, "
				  "SHOW, GRANT, REVOKE or EXPLAIN)");
}

static int sql_parse_stmt(sql_parser *p, sql_stmt **out)
{
	sql_stmt *s = sql_arena_alloc(p->a, sizeof *s);
	int rc;

	s->line = p->tok.line;
	s->col = p->tok.col;
	s->start = p->tok.offset;
	s->format = STORE_FORMAT_CSV;
	rc = sql_parse_stmt_body(p, s);
	s->end = p->prev_end;
	*out = s;
	return rc;
}

int sql_parse(sql_arena *a, const char *text, size_t len, sql_script *out, sql_error *err)
{
	sql_parser p;
	uint32_t cap = 0;
	int rc = 0;

	memset(&p, 0, sizeof p);
	memset(out, 0, sizeof *out);
	p.a = a;
	p.text = text;
	p.len = len;
	p.err = err;
	/* SQL text never holds a NUL byte, not even in a literal; one there is a
	 * file that is not the SQL it seems, and anything read past it would run
	 * as something other than what the writer sees. */
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		uint32_t line = 1, col = 1;
		for (const char *c = text; c < nul; c++) {
			line += *c == '\n';
			col = *c == '\n' ? 1 : col + 1;
		}
		sql_error_set(err, line, col, "a NUL byte in the SQL text");
		return -EINVAL;
	}
	sql_lex_init(&p.lx, text, len);
	sql_lex_next(&p.lx, &p.tok);
	for (;;) {
		sql_stmt *s;

		while (sql_parse_accept_op(&p, ";"))
			;
		if (p.tok.type == SQL_TOK_EOF)
			break;
		rc = sql_parse_stmt(&p, &s);
		if (rc)
			goto out;
		out->stmts = sql_array_push(a, out->stmts, &out->nstmts, &cap, sizeof *out->stmts);
		out->stmts[out->nstmts - 1] = s;
		s->index = out->nstmts;
		if (s->inner)
			s->inner->index = s->index;
		if (p.tok.type != SQL_TOK_EOF && !sql_parse_is_op(&p, ";")) {
			rc = sql_parse_expected(&p, "\";\"");
			goto out;
		}
	}
out:
	return rc;
}
