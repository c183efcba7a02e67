/*
 * sql_lex.c - the tokenizer: job text in, tokens pointing into it out.
 *
 * Hand-written, as SQLite's: one switch on the first byte.  No token is
 * copied; the parser copies (and unescapes) only what it keeps.  Columns
 * count characters, not bytes, so a position under a UTF-8 name still
 * points at the right place in an editor.
 */
#include "sql_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Words that can never be names, sorted for bsearch.  Everything else that
 * the grammar treats as a keyword is matched by position (see sql_int.h). */
static const char *const sql_lex_reserved[] = {
	"ALL", "ALTER", "AND", "AS", "BETWEEN", "BY", "CASE", "CAST", "CREATE", "CROSS",
	"DISTINCT", "DROP", "ELSE", "END", "EXPLAIN", "FALSE", "FROM", "FULL", "GROUP",
	"HAVING", "IN", "INNER", "INSERT", "INTO", "IS", "JOIN", "LEFT", "LIKE", "LIMIT",
	"NOT", "NULL", "ON", "OR", "ORDER", "OUTER", "RIGHT", "SELECT", "THEN", "TRUE",
	"UNION", "VALUES", "WHEN", "WHERE", "WITH",
};

typedef struct sql_lex_word {
	const char *ptr;
	size_t len;
} sql_lex_word;

static int sql_lex_word_cmp(const void *key, const void *elem)
{
	const sql_lex_word *w = key;
	const char *kw = *(const char *const *)elem;
	size_t kl = strlen(kw);
	int c = strncasecmp(w->ptr, kw, w->len < kl ? w->len : kl);

	if (c)
		return c;
	return w->len < kl ? -1 : w->len > kl ? 1 : 0;
}

static bool sql_lex_is_reserved(const char *p, size_t n)
{
	sql_lex_word w = { p, n };

	return bsearch(&w, sql_lex_reserved, sizeof sql_lex_reserved / sizeof sql_lex_reserved[0],
		       sizeof sql_lex_reserved[0], sql_lex_word_cmp) != NULL;
}

void sql_lex_init(sql_lexer *lx, const char *text, size_t len)
{
	lx->text = text;
	lx->len = len;
	lx->pos = 0;
	lx->line = 1;
	lx->col = 1;
}

static int sql_lex_peek(const sql_lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->text[lx->pos + ahead] : -1;
}

/* Move one byte on, keeping line and column. */
static void sql_lex_advance(sql_lexer *lx)
{
	unsigned char c = (unsigned char)lx->text[lx->pos++];

	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		lx->col++;
	}
}

static bool sql_lex_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool sql_lex_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Skip blanks and comments.  Returns false, with TOK set to the error,
 * when a block comment does not end. */
static bool sql_lex_skip(sql_lexer *lx, sql_token *tok)
{
	for (;;) {
		int c = sql_lex_peek(lx, 0);

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			sql_lex_advance(lx);
		} else if (c == '-' && sql_lex_peek(lx, 1) == '-') {
			while (lx->pos < lx->len && lx->text[lx->pos] != '\n')
				sql_lex_advance(lx);
		} else if (c == '/' && sql_lex_peek(lx, 1) == '*') {
			size_t start = lx->pos;
			uint32_t line = lx->line, col = lx->col;

			sql_lex_advance(lx);
			sql_lex_advance(lx);
			for (;;) {
				if (lx->pos >= lx->len) {
					tok->type = SQL_TOK_ERROR;
					tok->ptr = lx->text + start;
					tok->len = (uint32_t)(lx->len - start);
					tok->line = line;
					tok->col = col;
					tok->offset = start;
					return false;
				}
				if (lx->text[lx->pos] == '*' && sql_lex_peek(lx, 1) == '/') {
					sql_lex_advance(lx);
					sql_lex_advance(lx);
					break;
				}
				sql_lex_advance(lx);
			}
		} else {
			return true;
		}
	}
}

/* A quoted string or `name` from the opening quote Q: '' (or ``, "")
 * stands for the quote itself and, in strings, a backslash escapes the
 * next character. */
static bool sql_lex_quoted(sql_lexer *lx, int q)
{
	sql_lex_advance(lx);
	while (lx->pos < lx->len) {
		int c = (unsigned char)lx->text[lx->pos];

		if (c == '\\' && q != '`' && lx->pos + 1 < lx->len) {
			sql_lex_advance(lx);
			sql_lex_advance(lx);
		} else if (c == q) {
			sql_lex_advance(lx);
			if (sql_lex_peek(lx, 0) != q)
				return true;
			sql_lex_advance(lx);
		} else {
			sql_lex_advance(lx);
		}
	}
	return false;
}

void sql_lex_next(sql_lexer *lx, sql_token *tok)
{
	size_t start;
	int c, c1;

	memset(tok, 0, sizeof *tok);
	if (!sql_lex_skip(lx, tok)) {
		/* Stay at the error: the caller reports it and stops. */
		lx->pos = tok->offset;
		lx->line = tok->line;
		lx->col = tok->col;
		return;
	}
	start = lx->pos;
	tok->line = lx->line;
	tok->col = lx->col;
	tok->offset = start;
	tok->ptr = lx->text + start;
	if (lx->pos >= lx->len) {
		tok->type = SQL_TOK_EOF;
		return;
	}
	c = (unsigned char)lx->text[start];
	c1 = sql_lex_peek(lx, 1);

	if (sql_lex_ident_start(c)) {
		while (lx->pos < lx->len) {
			int d = (unsigned char)lx->text[lx->pos];

			if (!sql_lex_ident_start(d) && !sql_lex_digit(d))
				break;
			sql_lex_advance(lx);
		}
		tok->len = (uint32_t)(lx->pos - start);
		tok->type = sql_lex_is_reserved(tok->ptr, tok->len) ? SQL_TOK_KEYWORD : SQL_TOK_IDENT;
		return;
	}
	if (sql_lex_digit(c) || (c == '.' && sql_lex_digit(c1))) {
		bool decimal = false;

		while (sql_lex_digit(sql_lex_peek(lx, 0)))
			sql_lex_advance(lx);
		if (sql_lex_peek(lx, 0) == '.') {
			decimal = true;
			sql_lex_advance(lx);
			while (sql_lex_digit(sql_lex_peek(lx, 0)))
				sql_lex_advance(lx);
		}
		c = sql_lex_peek(lx, 0);
		if (c == 'e' || c == 'E') {
			int s = sql_lex_peek(lx, 1);
			size_t digit = (s == '+' || s == '-') ? 2 : 1;

			/* Only an exponent with digits belongs to the number. */
			if (sql_lex_digit(sql_lex_peek(lx, digit))) {
				decimal = true;
				for (size_t i = 0; i < digit; i++)
					sql_lex_advance(lx);
				while (sql_lex_digit(sql_lex_peek(lx, 0)))
					sql_lex_advance(lx);
			}
		}
		tok->type = decimal ? SQL_TOK_DECIMAL : SQL_TOK_INTEGER;
		tok->len = (uint32_t)(lx->pos - start);
		return;
	}
	if (c == '\'' || c == '"' || c == '`') {
		if (!sql_lex_quoted(lx, c)) {
			tok->type = SQL_TOK_ERROR;
			tok->len = (uint32_t)(lx->pos - start);
			lx->pos = start;
			lx->line = tok->line;
			lx->col = tok->col;
			return;
		}
		tok->type = c == '`' ? SQL_TOK_IDENT : SQL_TOK_STRING;
		tok->quoted = c == '`';
		tok->ptr = lx->text + start + 1;
		tok->len = (uint32_t)(lx->pos - start - 2);
		return;
	}

	/* Operators: two characters first. */
	static const char *const two[] = { "<=", ">=", "<>", "!=", "==", "||" };
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
		if (c == two[i][0] && c1 == two[i][1]) {
			sql_lex_advance(lx);
			sql_lex_advance(lx);
			tok->type = SQL_TOK_OP;
			tok->len = 2;
			return;
		}
	}
	if (strchr("(),.;*+-/%=<>", c)) {
		sql_lex_advance(lx);
		tok->type = SQL_TOK_OP;
		tok->len = 1;
		return;
	}
	/* A stray character: the token is that character (all of it, when
	 * it is a multi-byte one), and the lexer stays there. */
	tok->type = SQL_TOK_ERROR;
	tok->len = 1;
	while (start + tok->len < lx->len && (lx->text[start + tok->len] & 0xc0) == 0x80)
		tok->len++;
}

bool sql_token_is(const sql_token *t, const char *word)
{
	size_t n = strlen(word);

	if (t->type != SQL_TOK_KEYWORD && (t->type != SQL_TOK_IDENT || t->quoted))
		return false;
	return t->len == n && strncasecmp(t->ptr, word, n) == 0;
}

const char *sql_lex_error_reason(const sql_token *t)
{
	if (t->type != SQL_TOK_ERROR || !t->len)
		return "invalid token";
	switch (t->ptr[0]) {
	case '\'':
	case '"':
		return "unterminated string literal";
	case '`':
		return "unterminated quoted identifier";
	case '/':
		return "unterminated comment";
	default:
		return "unexpected character";
	}
}
