/*
 * pl_def.c - the pipeline definition: an ini file read with inih.
 *
 * Three sections: [pipeline] (what to read and do), [xgboost] (passed
 * through to XGBoosterSetParam, except num_round and holdout, which the
 * trainer uses) and [output] (where the message goes).  An unknown section
 * or key, or a value that does not parse, is refused with the file, the
 * line and the key, so a user editing pipelines/NAME.ini sees where.  inih
 * gives the line of the first error as its return value; the handler keeps
 * the reason of that first error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "pipeline.h"

struct parse {
	pl_def *def;
	char reason[512];             /* the first error's reason */
	bool failed;
	bool seen_source, seen_op;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	if (!p->failed) {
		va_start(ap, fmt);
		vsnprintf(p->reason, sizeof p->reason, fmt, ap);
		va_end(ap);
		p->failed = true;
	}
	return 0;   /* inih: an error on this line */
}

static bool copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (*s == '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A pipeline name: it becomes a directory name and part of messages. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PL_NAME_MAX || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return false;
	return true;
}

/* platform/db/table: three non-empty components, none "." or "..". */
static bool table_path_ok(const char *s, char *platform, size_t psize)
{
	const char *c = s, *slash;
	unsigned n = 0;

	if (*s == '/' || *s == '\0')
		return false;
	while (c) {
		size_t len;

		slash = strchr(c, '/');
		len = slash ? (size_t)(slash - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (n == 0 && platform) {
			if (len >= psize)
				return false;
			memcpy(platform, c, len);
			platform[len] = '\0';
		}
		n++;
		c = slash ? slash + 1 : NULL;
	}
	return n == 3;
}

static int parse_features(struct parse *p, const char *v)
{
	pl_def *d = p->def;
	const char *c = v;

	d->nfeatures = 0;
	while (*c) {
		const char *e = strchr(c, ',');
		size_t len = e ? (size_t)(e - c) : strlen(c);

		while (len && (*c == ' ' || *c == '\t')) {
			c++;
			len--;
		}
		while (len && (c[len - 1] == ' ' || c[len - 1] == '\t'))
			len--;
		if (len == 0)
			return fail(p, "key 'features': an empty column name");
		if (len >= PL_NAME_MAX)
			return fail(p, "key 'features': a column name is too long");
		if (d->nfeatures == PL_MAX_FEATURES)
			return fail(p, "key 'features': more than %d columns", PL_MAX_FEATURES);
		memcpy(d->features[d->nfeatures], c, len);
		d->features[d->nfeatures][len] = '\0';
		d->nfeatures++;
		if (e == NULL)
			break;
		c = e + 1;
	}
	if (d->nfeatures == 0)
		return fail(p, "key 'features': no columns");
	return 1;
}

#define COPY_KEY(field)                                                                  \
	do {                                                                             \
		if (!copy(d->field, sizeof d->field, value))                           \
			return fail(p, "key '%s': value too long", name);               \
		return 1;                                                                \
	} while (0)

static int on_pipeline(struct parse *p, const char *name, const char *value)
{
	pl_def *d = p->def;

	if (strcmp(name, "name") == 0) {
		if (!name_ok(value))
			return fail(p, "key 'name': '%s' is not a name (letters, digits, _ - .)", value);
		COPY_KEY(name);
	}
	if (strcmp(name, "source") == 0) {
		if (!table_path_ok(value, d->platform, sizeof d->platform))
			return fail(p, "key 'source': '%s' is not a table path platform/database/table", value);
		p->seen_source = true;
		COPY_KEY(source);
	}
	if (strcmp(name, "operation") == 0) {
		if (strcmp(value, "train") == 0)
			d->op = PL_OP_TRAIN;
		else if (strcmp(value, "predict") == 0)
			d->op = PL_OP_PREDICT;
		else
			return fail(p, "key 'operation': '%s' is not train or predict", value);
		p->seen_op = true;
		return 1;
	}
	if (strcmp(name, "features") == 0)
		return parse_features(p, value);
	if (strcmp(name, "label") == 0)
		COPY_KEY(label);
	if (strcmp(name, "id_column") == 0)
		COPY_KEY(id_column);
	if (strcmp(name, "group_by") == 0)
		COPY_KEY(group_by);
	if (strcmp(name, "threshold") == 0) {
		if (!parse_double(value, &d->threshold))
			return fail(p, "key 'threshold': '%s' is not a number", value);
		return 1;
	}
	if (strcmp(name, "since") == 0) {
		/* predict: where a run without a recorded snapshot starts */
		char *end;

		if (strcmp(value, "all") == 0) {
			d->since = 0;
		} else {
			errno = 0;
			d->since = strtoull(value, &end, 10);
			if (errno || end == value || *end || value[0] == '-')
				return fail(p, "key 'since': '%s' is not all or a snapshot number", value);
		}
		d->has_since = true;
		return 1;
	}
	if (strcmp(name, "timeout") == 0) {
		/* the daemon's time limit for a run: seconds, 0 for none */
		char *end;

		d->timeout = strtod(value, &end);
		if (end == value || (*end && strcmp(end, "s") != 0) || !(d->timeout >= 0) ||
		    d->timeout > 1e7)
			return fail(p, "key 'timeout': '%s' is not a number of seconds", value);
		return 1;
	}
	if (strcmp(name, "mount") == 0)
		COPY_KEY(mount);
	if (strcmp(name, "state") == 0) {
		if (value[0] != '/')
			return fail(p, "key 'state': '%s' is not an absolute path", value);
		COPY_KEY(state);
	}
	if (strcmp(name, "model") == 0) {
		if (value[0] == '\0')
			return fail(p, "key 'model': empty");
		COPY_KEY(model);
	}
	return fail(p, "unknown key '%s' in [pipeline]", name);
}

static int on_xgboost(struct parse *p, const char *name, const char *value)
{
	pl_def *d = p->def;
	long l;

	if (strcmp(name, "num_round") == 0) {
		if (!parse_long(value, 1, 100000, &l))
			return fail(p, "key 'num_round': '%s' is not a number of rounds (1 to 100000)", value);
		d->num_round = (int)l;
		return 1;
	}
	if (strcmp(name, "holdout") == 0) {
		if (!parse_double(value, &d->holdout) || d->holdout < 0 || d->holdout >= 1)
			return fail(p, "key 'holdout': '%s' is not a share in [0, 1)", value);
		return 1;
	}
	if (strcmp(name, "objective") == 0) {
		if (strcmp(value, "binary:logistic") != 0 && strcmp(value, "reg:squarederror") != 0)
			return fail(p, "key 'objective': '%s' is not binary:logistic or reg:squarederror", value);
		copy(d->objective, sizeof d->objective, value);
	}
	if (strcmp(name, "seed") == 0) {
		char *end;

		errno = 0;
		d->seed = strtoull(value, &end, 10);
		if (errno || value[0] == '\0' || value[0] == '-' || *end != '\0')
			return fail(p, "key 'seed': '%s' is not a non-negative integer", value);
	}
	if (name[0] == '\0' || strlen(name) >= sizeof d->params[0].key)
		return fail(p, "key '%s' in [xgboost]: name too long", name);
	if (strlen(value) >= sizeof d->params[0].value)
		return fail(p, "key '%s': value too long", name);
	for (unsigned i = 0; i < d->nparams; i++)
		if (strcmp(d->params[i].key, name) == 0) {
			strcpy(d->params[i].value, value);
			return 1;
		}
	if (d->nparams == PL_MAX_XGB_PARAMS)
		return fail(p, "key '%s': more than %d parameters in [xgboost]", name, PL_MAX_XGB_PARAMS);
	strcpy(d->params[d->nparams].key, name);
	strcpy(d->params[d->nparams].value, value);
	d->nparams++;
	return 1;
}

static int on_output(struct parse *p, const char *name, const char *value)
{
	pl_def *d = p->def;
	long l;

	if (strcmp(name, "webhook_url") == 0) {
		if (value[0] != '\0' && strncmp(value, "http://", 7) != 0 &&
		    strncmp(value, "https://", 8) != 0)
			return fail(p, "key 'webhook_url': '%s' is not an http:// or https:// URL", value);
		COPY_KEY(webhook_url);
	}
	if (strcmp(name, "webhook_token") == 0) {
		if (strpbrk(value, "\r\n"))
			return fail(p, "key 'webhook_token': a line break");
		COPY_KEY(webhook_token);
	}
	if (strcmp(name, "webhook_token_file") == 0) {
		if (value[0] != '/')
			return fail(p, "key 'webhook_token_file': '%s' is not an absolute path", value);
		COPY_KEY(webhook_token_file);
	}
	if (strcmp(name, "webhook_format") == 0) {
		if (strcmp(value, "full") == 0)
			d->format = PL_FORMAT_FULL;
		else if (strcmp(value, "slack") == 0)
			d->format = PL_FORMAT_SLACK;
		else
			return fail(p, "key 'webhook_format': '%s' is not full or slack", value);
		return 1;
	}
	if (strcmp(name, "outbox") == 0) {
		if (value[0] == '\0')
			return fail(p, "key 'outbox': empty");
		COPY_KEY(outbox);
	}
	if (strcmp(name, "table") == 0) {
		char platform[PL_NAME_MAX];

		if (!table_path_ok(value, platform, sizeof platform))
			return fail(p, "key 'table': '%s' is not a table path platform/database/table", value);
		COPY_KEY(table);
	}
	if (strcmp(name, "retries") == 0) {
		if (!parse_long(value, 0, 100, &l))
			return fail(p, "key 'retries': '%s' is not a count (0 to 100)", value);
		d->retries = (int)l;
		return 1;
	}
	if (strcmp(name, "backoff_ms") == 0) {
		if (!parse_long(value, 0, 3600000, &l))
			return fail(p, "key 'backoff_ms': '%s' is not milliseconds (0 to 3600000)", value);
		d->backoff_ms = l;
		return 1;
	}
	return fail(p, "unknown key '%s' in [output]", name);
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	if (p->failed)
		return 1;   /* only the first error matters; inih goes on */
	if (strcmp(section, "pipeline") == 0)
		return on_pipeline(p, name, value);
	if (strcmp(section, "xgboost") == 0)
		return on_xgboost(p, name, value);
	if (strcmp(section, "output") == 0)
		return on_output(p, name, value);
	if (section[0] == '\0')
		return fail(p, "key '%s' outside a section", name);
	return fail(p, "unknown section [%s] (key '%s')", section, name);
}

static void def_defaults(pl_def *d, const char *file)
{
	const char *base = strrchr(file, '/');
	size_t n;

	memset(d, 0, sizeof *d);
	copy(d->file, sizeof d->file, file);
	base = base ? base + 1 : file;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".ini") == 0)
		n -= 4;
	if (n < sizeof d->name) {
		memcpy(d->name, base, n);
		d->name[n] = '\0';
	}
	d->threshold = 0.5;
	d->timeout = -1;
	strcpy(d->model, "model.json");
	strcpy(d->objective, "binary:logistic");
	d->num_round = 50;
	d->holdout = 0.2;
	d->format = PL_FORMAT_FULL;
	strcpy(d->outbox, "outbox");
	d->retries = 5;
	d->backoff_ms = 200;
}

int pl_def_parse(const char *file, const char *text, size_t len, pl_def *def, char *err,
		 size_t errlen)
{
	struct parse p = {.def = def};
	char *copy_text;
	int line;

	def_defaults(def, file);
	copy_text = malloc(len + 1);
	if (copy_text == NULL)
		return -ENOMEM;
	memcpy(copy_text, text, len);
	copy_text[len] = '\0';
	if (memchr(text, '\0', len)) {
		free(copy_text);
		snprintf(err, errlen, "%s: a NUL byte in the definition", file);
		return -EINVAL;
	}
	line = ini_parse_string(copy_text, on_entry, &p);
	free(copy_text);
	if (line == -2)
		return -ENOMEM;
	if (line != 0) {
		if (p.failed)
			snprintf(err, errlen, "%s:%d: %s", file, line, p.reason);
		else
			snprintf(err, errlen, "%s:%d: not a 'key = value' line or a [section]", file, line);
		return -EINVAL;
	}
	if (!name_ok(def->name)) {
		snprintf(err, errlen, "%s: no valid pipeline name (set key 'name' in [pipeline])", file);
		return -EINVAL;
	}
	if (!p.seen_source) {
		snprintf(err, errlen, "%s: missing key 'source' in [pipeline]", file);
		return -EINVAL;
	}
	if (!p.seen_op) {
		snprintf(err, errlen, "%s: missing key 'operation' in [pipeline]", file);
		return -EINVAL;
	}
	if (def->nfeatures == 0) {
		snprintf(err, errlen, "%s: missing key 'features' in [pipeline]", file);
		return -EINVAL;
	}
	if (def->op == PL_OP_TRAIN && def->label[0] == '\0') {
		snprintf(err, errlen, "%s: missing key 'label' in [pipeline] (train needs it)", file);
		return -EINVAL;
	}
	if (def->has_since && def->op != PL_OP_PREDICT) {
		snprintf(err, errlen, "%s: key 'since' is for predict pipelines", file);
		return -EINVAL;
	}
	if (def->webhook_token[0] != '\0' && def->webhook_token_file[0] != '\0') {
		snprintf(err, errlen, "%s: keys 'webhook_token' and 'webhook_token_file' are both set",
			 file);
		return -EINVAL;
	}
	if (def->table[0] != '\0') {
		size_t n = strlen(def->platform);

		if (strncmp(def->table, def->platform, n) != 0 || def->table[n] != '/') {
			snprintf(err, errlen,
				 "%s: key 'table': '%s' is not in the source's platform '%s'", file,
				 def->table, def->platform);
			return -EINVAL;
		}
		if (strcmp(def->table, def->source) == 0) {
			snprintf(err, errlen, "%s: key 'table': the output table is the source", file);
			return -EINVAL;
		}
	}
	return 0;
}

int pl_def_load(const char *path, pl_def *def, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	rc = pl_read_file(path, &text, &len);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read definition '%s': %s", path, strerror(-rc));
		return rc;
	}
	rc = pl_def_parse(path, text, len, def, err, errlen);
	free(text);
	if (rc == 0 && def->webhook_token_file[0] != '\0')
		rc = pl_def_read_token(def, err, errlen);
	return rc;
}

int pl_def_read_token(pl_def *def, char *err, size_t errlen)
{
	const char *path = def->webhook_token_file;
	struct stat st;
	char *text;
	size_t len;
	int rc;

	if (stat(path, &st) != 0) {
		rc = -errno;
		snprintf(err, errlen, "webhook_token_file '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "webhook_token_file '%s': not a regular file", path);
		return -EINVAL;
	}
	if (st.st_mode & S_IRWXO) {
		snprintf(err, errlen, "webhook_token_file '%s': others may read or write it (mode %04o)",
			 path, (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	rc = pl_read_file(path, &text, &len);
	if (rc != 0) {
		snprintf(err, errlen, "webhook_token_file '%s': %s", path, strerror(-rc));
		return rc;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len > 0 && text[len - 1] == '\r')
		text[--len] = '\0';
	if (len == 0 || memchr(text, '\0', len) || strpbrk(text, "\r\n") ||
	    len >= sizeof def->webhook_token) {
		snprintf(err, errlen, "webhook_token_file '%s': not one line of 1 to %zu bytes", path,
			 sizeof def->webhook_token - 1);
		free(text);
		return -EINVAL;
	}
	memcpy(def->webhook_token, text, len + 1);
	free(text);
	return 0;
}
