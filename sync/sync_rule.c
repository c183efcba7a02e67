/*
 * sync_rule.c - the text of a sync rule: parsing, the canonical form and
 * source matching.
 *
 * A definition is `key = value` lines; `#` starts a comment anywhere on a
 * line (no value needs the character); blank lines are ignored.  Every
 * refusal names its line, so a user editing sync/NAME.rule sees where.  A
 * missing required key is reported on the last line of the text.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sync.h"

#define LINE_MAX_BYTES 4096

struct parse {
	sync_rule *rule;
	char *err;
	size_t errlen;
	unsigned line;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "line %u: %s", p->line, reason);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A glob part of the source: a name that may hold * ? [ ]; no '.', which
 * separates the parts. */
static bool glob_part_ok(const char *s)
{
	return store_name_valid(s, NULL) && strchr(s, '.') == NULL;
}

static int parse_source(struct parse *p, char *v)
{
	char *db, *table;

	db = strchr(v, '.');
	table = db ? strchr(db + 1, '.') : NULL;
	if (db == NULL || table == NULL || strchr(table + 1, '.') != NULL)
		return fail(p, "source '%s' is not platform.database.table", v);
	*db++ = '\0';
	*table++ = '\0';
	if (!store_name_valid(v, NULL) || strpbrk(v, "*?[]") != NULL)
		return fail(p, "source platform '%s' is not a platform name", v);
	if (!glob_part_ok(db))
		return fail(p, "source database '%s' is not a name or glob", db);
	if (!glob_part_ok(table))
		return fail(p, "source table '%s' is not a name or glob", table);
	strcpy(p->rule->source_platform, v);
	strcpy(p->rule->source_db, db);
	strcpy(p->rule->source_table, table);
	return 0;
}

/* Split V at commas into trimmed, non-empty items; ITEM_FN takes each. */
static int each_item(struct parse *p, char *v, const char *what,
		     int (*item_fn)(struct parse *, const char *))
{
	char *save = NULL, *tok;
	const char *end = v + strlen(v);
	int rc;

	if (v[0] == ',' || end[-1] == ',' || strstr(v, ",,") != NULL)
		return fail(p, "empty item in %s", what);
	for (tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if (tok[0] == '\0')
			return fail(p, "empty item in %s", what);
		rc = item_fn(p, tok);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int mirror_item(struct parse *p, const char *s)
{
	if (strcmp(s, "schema") == 0)
		p->rule->mirror |= SYNC_MIRROR_SCHEMA;
	else if (strcmp(s, "properties") == 0)
		p->rule->mirror |= SYNC_MIRROR_PROPERTIES;
	else if (strcmp(s, "partitions") == 0)
		p->rule->mirror |= SYNC_MIRROR_PARTITIONS;
	else
		return fail(p, "unknown mirror item '%s' (expected schema, properties or partitions)", s);
	return 0;
}

static int drop_item(struct parse *p, const char *s)
{
	sync_rule *r = p->rule;

	if (!store_name_valid(s, NULL) || strchr(s, '=') != NULL)
		return fail(p, "drop_columns: '%s' is not a column name", s);
	for (unsigned i = 0; i < r->ndrop; i++)
		if (strcasecmp(r->drop_columns[i], s) == 0)
			return fail(p, "drop_columns: '%s' is listed twice", s);
	if (r->ndrop >= SYNC_MAX_DROP_COLUMNS)
		return fail(p, "drop_columns: more than %d columns", SYNC_MAX_DROP_COLUMNS);
	strcpy(r->drop_columns[r->ndrop++], s);
	return 0;
}

static int adopt_item(struct parse *p, const char *s)
{
	sync_rule *r = p->rule;

	if (!store_name_valid(s, NULL) || strpbrk(s, "*?[]") != NULL || strchr(s, '.') != NULL)
		return fail(p, "adopt: '%s' is not a database name", s);
	for (unsigned i = 0; i < r->nadopt; i++)
		if (strcmp(r->adopt[i], s) == 0)
			return fail(p, "adopt: '%s' is listed twice", s);
	if (r->nadopt >= SYNC_MAX_ADOPT)
		return fail(p, "adopt: more than %d databases", SYNC_MAX_ADOPT);
	strcpy(r->adopt[r->nadopt++], s);
	return 0;
}

static int parse_interval(struct parse *p, const char *v)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *s = v;
	uint64_t n = 0;

	if (*s < '0' || *s > '9')
		return fail(p, "interval '%s' is not a duration (e.g. 30s, 5m, 1h, 1d)", v);
	while (*s >= '0' && *s <= '9') {
		if (n > (UINT64_MAX - 9) / 10)
			return fail(p, "interval '%s' is too long", v);
		n = n * 10 + (uint64_t)(*s++ - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s, units[i].suffix) != 0)
			continue;
		if (n > UINT64_MAX / units[i].ms)
			return fail(p, "interval '%s' is too long", v);
		if (n && n * units[i].ms < SYNC_MIN_INTERVAL_MS)
			return fail(p, "interval '%s' is shorter than %ds (0 for none)", v,
				    SYNC_MIN_INTERVAL_MS / 1000);
		p->rule->interval_ms = n * units[i].ms;
		return 0;
	}
	return fail(p, "interval '%s' has an unknown unit (expected ms, s, m, h or d)", v);
}

static int parse_conflict(struct parse *p, const char *v)
{
	if (strcmp(v, "fail") == 0)
		p->rule->on_conflict = SYNC_CONFLICT_FAIL;
	else if (strcmp(v, "skip") == 0)
		p->rule->on_conflict = SYNC_CONFLICT_SKIP;
	else if (strcmp(v, "overwrite") == 0)
		p->rule->on_conflict = SYNC_CONFLICT_OVERWRITE;
	else
		return fail(p, "on_conflict '%s' is not fail, skip or overwrite", v);
	return 0;
}

enum { K_SOURCE, K_TARGET, K_MIRROR, K_DROP, K_INTERVAL, K_CONFLICT, K_MASK, K_ADOPT, K_COUNT };

static const char *const key_names[K_COUNT] = {
	"source", "target", "mirror", "drop_columns", "interval", "on_conflict", "mask", "adopt",
};

static int parse_mask(struct parse *p, const char *v)
{
	char reason[400] = "";

	if (sync_mask_parse(v, &p->rule->masks, reason, sizeof reason) != 0)
		return fail(p, "%s", reason[0] ? reason : "bad mask");
	return 0;
}

static int parse_line(struct parse *p, char *line, bool seen[K_COUNT])
{
	char *hash, *eq, *key, *val;
	int k;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	line = trim(line);
	if (line[0] == '\0')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL)
		return fail(p, "expected 'key = value', got '%s'", line);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	for (k = 0; k < K_COUNT; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == K_COUNT)
		return fail(p, "unknown key '%s'", key);
	if (seen[k])
		return fail(p, "'%s' is given twice", key);
	seen[k] = true;
	if (val[0] == '\0')
		return fail(p, "'%s' has no value", key);
	switch (k) {
	case K_SOURCE:
		return parse_source(p, val);
	case K_TARGET:
		if (!store_name_valid(val, NULL) || strpbrk(val, "*?[]") != NULL)
			return fail(p, "target '%s' is not a platform name", val);
		strcpy(p->rule->target_platform, val);
		return 0;
	case K_MIRROR:
		p->rule->mirror = 0;
		return each_item(p, val, "mirror", mirror_item);
	case K_DROP:
		return each_item(p, val, "drop_columns", drop_item);
	case K_INTERVAL:
		return parse_interval(p, val);
	case K_MASK:
		return parse_mask(p, val);
	case K_ADOPT:
		return each_item(p, val, "adopt", adopt_item);
	default:
		return parse_conflict(p, val);
	}
}

int sync_rule_parse(const char *name, const char *text, size_t len, sync_rule *rule, char *err,
		    size_t errlen)
{
	struct parse p = { rule, err, errlen, 0 };
	bool seen[K_COUNT] = { false };
	char line[LINE_MAX_BYTES];
	const char *s = text, *end = text + len, *nl;
	size_t n;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (rule == NULL || (text == NULL && len > 0))
		return -EINVAL;
	memset(rule, 0, sizeof *rule);
	rule->mirror = SYNC_MIRROR_SCHEMA | SYNC_MIRROR_PROPERTIES;
	rule->on_conflict = SYNC_CONFLICT_FAIL;
	p.line = 1;
	if (name == NULL || !store_name_valid(name, NULL))
		return fail(&p, "the rule name is not a valid name");
	strcpy(rule->name, name);
	p.line = 0;
	while (s < end) {
		p.line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		n = (size_t)((nl ? nl : end) - s);
		if (n >= sizeof line)
			return fail(&p, "line is longer than %d bytes", LINE_MAX_BYTES - 1);
		if (memchr(s, '\0', n) != NULL)
			return fail(&p, "NUL byte in the definition");
		memcpy(line, s, n);
		line[n] = '\0';
		rc = parse_line(&p, line, seen);
		if (rc != 0)
			return rc;
		s = nl ? nl + 1 : end;
	}
	if (p.line == 0)
		p.line = 1;
	if (!seen[K_SOURCE])
		return fail(&p, "missing 'source = platform.database.table'");
	if (!seen[K_TARGET])
		return fail(&p, "missing 'target = platform'");
	if (strcmp(rule->source_platform, rule->target_platform) == 0)
		return fail(&p, "target '%s' is the source platform", rule->target_platform);
	/* A mirror is at least a table with its columns: properties or
	 * partitions cannot hang on a table without a schema. */
	if (!(rule->mirror & SYNC_MIRROR_SCHEMA))
		return fail(&p, "mirror must include schema");
	for (unsigned i = 0; i < rule->masks.n; i++)
		for (unsigned j = 0; j < rule->ndrop; j++)
			if (strcasecmp(rule->masks.masks[i].column, rule->drop_columns[j]) == 0)
				return fail(&p, "column '%s' is both masked and dropped",
					    rule->drop_columns[j]);
	return 0;
}

static void format_interval(uint64_t ms, textbuf *out)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = { { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ms % units[i].ms == 0) {
			textbuf_printf(out, "%" PRIu64 "%s", ms / units[i].ms, units[i].suffix);
			return;
		}
	}
	textbuf_printf(out, "%" PRIu64 "ms", ms);
}

void sync_rule_format(const sync_rule *rule, textbuf *out)
{
	static const char *const conflict[] = { "fail", "skip", "overwrite" };
	const char *sep = "";

	textbuf_printf(out, "source = %s.%s.%s\n", rule->source_platform, rule->source_db,
		       rule->source_table);
	textbuf_printf(out, "target = %s\n", rule->target_platform);
	textbuf_puts(out, "mirror = ");
	if (rule->mirror & SYNC_MIRROR_SCHEMA) {
		textbuf_puts(out, "schema");
		sep = ", ";
	}
	if (rule->mirror & SYNC_MIRROR_PROPERTIES) {
		textbuf_printf(out, "%sproperties", sep);
		sep = ", ";
	}
	if (rule->mirror & SYNC_MIRROR_PARTITIONS)
		textbuf_printf(out, "%spartitions", sep);
	textbuf_puts(out, "\n");
	if (rule->ndrop) {
		textbuf_puts(out, "drop_columns = ");
		for (unsigned i = 0; i < rule->ndrop; i++)
			textbuf_printf(out, "%s%s", i ? ", " : "", rule->drop_columns[i]);
		textbuf_puts(out, "\n");
	}
	if (rule->masks.n) {
		textbuf_puts(out, "mask = ");
		for (unsigned i = 0; i < rule->masks.n; i++) {
			sync_mask_policy one = { .n = 1 };

			one.masks[0] = rule->masks.masks[i];
			textbuf_puts(out, i ? ", " : "");
			sync_mask_format(&one, out);
		}
		textbuf_puts(out, "\n");
	}
	if (rule->nadopt) {
		textbuf_puts(out, "adopt = ");
		for (unsigned i = 0; i < rule->nadopt; i++)
			textbuf_printf(out, "%s%s", i ? ", " : "", rule->adopt[i]);
		textbuf_puts(out, "\n");
	}
	if (rule->interval_ms) {
		textbuf_puts(out, "interval = ");
		format_interval(rule->interval_ms, out);
		textbuf_puts(out, "\n");
	}
	textbuf_printf(out, "on_conflict = %s\n",
		       (unsigned)rule->on_conflict < 3 ? conflict[rule->on_conflict] : "fail");
}

bool sync_rule_adopts(const sync_rule *rule, const char *db)
{
	for (unsigned i = 0; rule && db && i < rule->nadopt; i++)
		if (strcmp(rule->adopt[i], db) == 0)
			return true;
	return false;
}

bool sync_rule_matches(const sync_rule *rule, const char *db, const char *table)
{
	if (rule == NULL || db == NULL || table == NULL)
		return false;
	return fnmatch(rule->source_db, db, 0) == 0 && fnmatch(rule->source_table, table, 0) == 0;
}
