/*
 * test_sql_lex.c - the SQL tokenizer: token kinds, positions, comments,
 * quoting and the error tokens.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sql_int.h"

#define MAX_TOKENS 64

/* Every token of TEXT up to and including EOF or the first ERROR. */
static size_t lex_all(const char *text, sql_token *toks)
{
	sql_lexer lx;
	size_t n = 0;

	sql_lex_init(&lx, text, strlen(text));
	do {
		sql_lex_next(&lx, &toks[n]);
		n++;
	} while (n < MAX_TOKENS && toks[n - 1].type != SQL_TOK_EOF &&
		 toks[n - 1].type != SQL_TOK_ERROR);
	return n;
}

static void assert_token(const sql_token *t, sql_token_type type, const char *text)
{
	assert_int_equal(t->type, type);
	assert_int_equal(t->len, strlen(text));
	assert_memory_equal(t->ptr, text, t->len);
}

static void test_lex_splits_operators_and_punctuation(void **state)
{
	const char *ops[] = { "(", ")", ",", ".", ";", "*", "+", "-", "/", "%", "=", "<>", "!=",
			      "<", "<=", ">", ">=", "||", "==" };
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("( ) , . ; * + - / % = <> != < <= > >= || ==", toks);
	assert_int_equal(n, sizeof ops / sizeof ops[0] + 1);
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		assert_token(&toks[i], SQL_TOK_OP, ops[i]);
	assert_int_equal(toks[n - 1].type, SQL_TOK_EOF);
}

static void test_lex_operators_need_no_blanks(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("a<=b||'x'", toks);
	assert_int_equal(n, 6);
	assert_token(&toks[0], SQL_TOK_IDENT, "a");
	assert_token(&toks[1], SQL_TOK_OP, "<=");
	assert_token(&toks[2], SQL_TOK_IDENT, "b");
	assert_token(&toks[3], SQL_TOK_OP, "||");
	assert_token(&toks[4], SQL_TOK_STRING, "x");
}

static void test_lex_reserved_words_are_keywords_in_any_case(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("select SeLeCt FROM where", toks);
	for (int i = 0; i < 4; i++)
		assert_int_equal(toks[i].type, SQL_TOK_KEYWORD);
	assert_true(sql_token_is(&toks[0], "SELECT"));
	assert_true(sql_token_is(&toks[1], "select"));
	assert_true(sql_token_is(&toks[2], "from"));
	assert_false(sql_token_is(&toks[3], "wher"));
}

static void test_lex_contextual_words_are_identifiers(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("date table partition region selected", toks);
	for (int i = 0; i < 5; i++)
		assert_int_equal(toks[i].type, SQL_TOK_IDENT);
	assert_true(sql_token_is(&toks[0], "DATE"));
	assert_true(sql_token_is(&toks[2], "Partition"));
	/* A keyword as a prefix of a longer word does not make it one. */
	assert_false(sql_token_is(&toks[4], "SELECT"));
}

static void test_lex_backquoted_identifier_excludes_quotes_and_never_matches_words(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("`select` `a``b` `order id`", toks);
	assert_int_equal(n, 4);
	assert_token(&toks[0], SQL_TOK_IDENT, "select");
	assert_true(toks[0].quoted);
	assert_false(sql_token_is(&toks[0], "SELECT"));
	assert_token(&toks[1], SQL_TOK_IDENT, "a``b");
	assert_token(&toks[2], SQL_TOK_IDENT, "order id");
	assert_int_equal(toks[2].offset, 16);
	assert_int_equal(toks[2].col, 17);
}

static void test_lex_reports_line_column_and_offset_of_each_token(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("SELECT a,\n  bb\n\n\tc", toks);
	assert_int_equal(toks[0].line, 1);
	assert_int_equal(toks[0].col, 1);
	assert_int_equal(toks[0].offset, 0);
	assert_int_equal(toks[1].col, 8);
	assert_int_equal(toks[2].col, 9);
	assert_token(&toks[3], SQL_TOK_IDENT, "bb");
	assert_int_equal(toks[3].line, 2);
	assert_int_equal(toks[3].col, 3);
	assert_int_equal(toks[3].offset, 12);
	assert_int_equal(toks[4].line, 4);
	assert_int_equal(toks[4].col, 2);
	assert_int_equal(toks[5].type, SQL_TOK_EOF);
	assert_int_equal(toks[5].line, 4);
	assert_int_equal(toks[5].col, 3);
}

static void test_lex_columns_count_characters_not_utf8_bytes(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("'caf\xc3\xa9' x", toks);
	assert_int_equal(toks[0].type, SQL_TOK_STRING);
	assert_int_equal(toks[1].col, 8);
	assert_int_equal(toks[1].offset, 8);
}

static void test_lex_skips_line_and_block_comments(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("-- first\nSELECT /* a\n comment */ 1 -- tail", toks);
	assert_int_equal(n, 3);
	assert_token(&toks[0], SQL_TOK_KEYWORD, "SELECT");
	assert_int_equal(toks[0].line, 2);
	assert_token(&toks[1], SQL_TOK_INTEGER, "1");
	assert_int_equal(toks[1].line, 3);
	assert_int_equal(toks[1].col, 13);
}

static void test_lex_minus_minus_inside_string_is_not_a_comment(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("'a--b' /* 'x' */ c", toks);
	assert_int_equal(n, 3);
	assert_token(&toks[0], SQL_TOK_STRING, "a--b");
	assert_token(&toks[1], SQL_TOK_IDENT, "c");
}

static void test_lex_numbers_integer_decimal_and_exponent(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("42 1.5 .25 1e3 2E-2 7.", toks);
	assert_token(&toks[0], SQL_TOK_INTEGER, "42");
	assert_token(&toks[1], SQL_TOK_DECIMAL, "1.5");
	assert_token(&toks[2], SQL_TOK_DECIMAL, ".25");
	assert_token(&toks[3], SQL_TOK_DECIMAL, "1e3");
	assert_token(&toks[4], SQL_TOK_DECIMAL, "2E-2");
	assert_token(&toks[5], SQL_TOK_DECIMAL, "7.");
}

static void test_lex_exponent_without_digits_is_not_part_of_number(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("1e x", toks);
	assert_token(&toks[0], SQL_TOK_INTEGER, "1");
	assert_token(&toks[1], SQL_TOK_IDENT, "e");
}

static void test_lex_strings_keep_escapes_for_the_parser(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("'it''s' 'a\\'b' \"dq\"", toks);
	assert_int_equal(n, 4);
	assert_token(&toks[0], SQL_TOK_STRING, "it''s");
	assert_token(&toks[1], SQL_TOK_STRING, "a\\'b");
	assert_token(&toks[2], SQL_TOK_STRING, "dq");
	assert_int_equal(toks[2].offset, 15);
}

static void test_lex_unterminated_string_is_an_error_at_its_start(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("SELECT\n  'abc", toks);
	assert_int_equal(n, 2);
	assert_int_equal(toks[1].type, SQL_TOK_ERROR);
	assert_int_equal(toks[1].line, 2);
	assert_int_equal(toks[1].col, 3);
	assert_string_equal(sql_lex_error_reason(&toks[1]), "unterminated string literal");
}

static void test_lex_unterminated_comment_is_an_error_at_its_start(void **state)
{
	sql_token toks[MAX_TOKENS];
	size_t n;

	(void)state;
	n = lex_all("a /* never\nclosed", toks);
	assert_int_equal(n, 2);
	assert_int_equal(toks[1].type, SQL_TOK_ERROR);
	assert_int_equal(toks[1].col, 3);
	assert_string_equal(sql_lex_error_reason(&toks[1]), "unterminated comment");
}

static void test_lex_unterminated_quoted_identifier_is_an_error(void **state)
{
	sql_token toks[MAX_TOKENS];

	(void)state;
	lex_all("`abc", toks);
	assert_int_equal(toks[0].type, SQL_TOK_ERROR);
	assert_string_equal(sql_lex_error_reason(&toks[0]), "unterminated quoted identifier");
}

static void test_lex_stray_character_is_an_error_and_repeats(void **state)
{
	sql_lexer lx;
	sql_token t;

	(void)state;
	sql_lex_init(&lx, "a @ b", 5);
	sql_lex_next(&lx, &t);
	sql_lex_next(&lx, &t);
	assert_int_equal(t.type, SQL_TOK_ERROR);
	assert_token(&t, SQL_TOK_ERROR, "@");
	assert_int_equal(t.col, 3);
	assert_string_equal(sql_lex_error_reason(&t), "unexpected character");
	sql_lex_next(&lx, &t);
	assert_int_equal(t.type, SQL_TOK_ERROR);
	assert_int_equal(t.col, 3);
}

static void test_lex_end_of_input_repeats(void **state)
{
	sql_lexer lx;
	sql_token t;

	(void)state;
	sql_lex_init(&lx, "x  ", 3);
	sql_lex_next(&lx, &t);
	sql_lex_next(&lx, &t);
	assert_int_equal(t.type, SQL_TOK_EOF);
	assert_int_equal(t.offset, 3);
	sql_lex_next(&lx, &t);
	assert_int_equal(t.type, SQL_TOK_EOF);
}

static void test_lex_stops_at_the_given_length_not_at_nul(void **state)
{
	sql_lexer lx;
	sql_token t;

	(void)state;
	sql_lex_init(&lx, "abc def", 3);
	sql_lex_next(&lx, &t);
	assert_token(&t, SQL_TOK_IDENT, "abc");
	sql_lex_next(&lx, &t);
	assert_int_equal(t.type, SQL_TOK_EOF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lex_splits_operators_and_punctuation),
		cmocka_unit_test(test_lex_operators_need_no_blanks),
		cmocka_unit_test(test_lex_reserved_words_are_keywords_in_any_case),
		cmocka_unit_test(test_lex_contextual_words_are_identifiers),
		cmocka_unit_test(test_lex_backquoted_identifier_excludes_quotes_and_never_matches_words),
		cmocka_unit_test(test_lex_reports_line_column_and_offset_of_each_token),
		cmocka_unit_test(test_lex_columns_count_characters_not_utf8_bytes),
		cmocka_unit_test(test_lex_skips_line_and_block_comments),
		cmocka_unit_test(test_lex_minus_minus_inside_string_is_not_a_comment),
		cmocka_unit_test(test_lex_numbers_integer_decimal_and_exponent),
		cmocka_unit_test(test_lex_exponent_without_digits_is_not_part_of_number),
		cmocka_unit_test(test_lex_strings_keep_escapes_for_the_parser),
		cmocka_unit_test(test_lex_unterminated_string_is_an_error_at_its_start),
		cmocka_unit_test(test_lex_unterminated_comment_is_an_error_at_its_start),
		cmocka_unit_test(test_lex_unterminated_quoted_identifier_is_an_error),
		cmocka_unit_test(test_lex_stray_character_is_an_error_and_repeats),
		cmocka_unit_test(test_lex_end_of_input_repeats),
		cmocka_unit_test(test_lex_stops_at_the_given_length_not_at_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
