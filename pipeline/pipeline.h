/*
 * pipeline.h - the internals of metafs-pipeline, the program that runs one
 * AI pipeline over a table of the second platform.
 *
 * The program talks to the daemon only through the mount, exactly as a
 * user's own pipeline would: it reads SOURCE/.table, SOURCE/.schema and
 * SOURCE/.refresh (or SOURCE/.refresh@LAST), lists and reads the partition
 * paths .refresh returns, and, if asked, writes an output table through the
 * mount.  It never includes a header of store/, sql/, sync/, manager/ or
 * fs/, and it refuses any path that leaves MOUNT/<platform of SOURCE>/.
 *
 * One run, in order (pl_main.c):
 *   1. parse the definition (pl_def.c): an error names file, line and key;
 *   2. re-send what an earlier run left in the outbox (pl_deliver.c);
 *   3. read the partition list and the rows (pl_refresh.c), extract the
 *      features (pl_features.c);
 *   4. train or predict with XGBoost (pl_model.c);
 *   5. build the message, POST it with retries, spool it if it is not
 *      delivered (pl_deliver.c); record the snapshot id in the state dir.
 *
 * Conventions: functions return 0 or a negative errno value; a caller's
 * ERR buffer (if any) receives a message without the program's prefix.
 * Whoever receives a pointer documented as "you own" frees it with the
 * matching _free function (or free() when none is named).
 */
#ifndef METAFS_PIPELINE_H
#define METAFS_PIPELINE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PL_NAME_MAX 256
#define PL_MAX_FEATURES 128
#define PL_MAX_XGB_PARAMS 64
#define PL_URL_MAX 2048
#define PL_ERR_MAX 1024

/* Exit statuses (the contract with the daemon). */
enum {
	PL_EXIT_OK = 0,        /* success, including "nothing new to do" */
	PL_EXIT_FAILED = 1,    /* bad data, model error, I/O */
	PL_EXIT_USAGE = 2,     /* usage or definition error */
	PL_EXIT_SPOOLED = 3,   /* data work done; the message is in the outbox */
};

/* ---- the definition (pl_def.c) ------------------------------------------------ */

typedef enum pl_op { PL_OP_TRAIN = 0, PL_OP_PREDICT = 1 } pl_op;
typedef enum pl_format { PL_FORMAT_FULL = 0, PL_FORMAT_SLACK = 1 } pl_format;

typedef struct pl_param {
	char key[64];
	char value[256];
} pl_param;

typedef struct pl_def {
	char file[PATH_MAX];          /* where it was read from (for messages) */
	char name[PL_NAME_MAX];
	char source[PATH_MAX];        /* platform/db/table, relative to the mount */
	char platform[PL_NAME_MAX];   /* the first component of source */
	pl_op op;
	char features[PL_MAX_FEATURES][PL_NAME_MAX];
	unsigned nfeatures;
	char label[PL_NAME_MAX];      /* "" when not set */
	char id_column[PL_NAME_MAX];
	char group_by[PL_NAME_MAX];
	double threshold;             /* default 0.5 */
	char mount[PATH_MAX];         /* the `mount` key ("" when not set) */
	char state[PATH_MAX];         /* the `state` key, absolute ("" when not set) */
	char model[PATH_MAX];         /* as written; default "model.json" */
	bool has_since;               /* the `since` key is set */
	uint64_t since;               /* predict: the first run reads what came after it (0: all) */
	double timeout;               /* the daemon's time limit, seconds (-1: not set, 0: none) */

	/* [xgboost]: every key except num_round and holdout, in file order */
	pl_param params[PL_MAX_XGB_PARAMS];
	unsigned nparams;
	char objective[64];           /* binary:logistic (default) | reg:squarederror */
	int num_round;                /* default 50 */
	double holdout;               /* default 0.2, in [0, 1) */
	uint64_t seed;                /* the `seed` parameter, default 0 */

	/* [output] */
	char webhook_url[PL_URL_MAX];
	char webhook_token[512];      /* as written, or read from webhook_token_file */
	char webhook_token_file[PATH_MAX];   /* absolute, or "" */
	pl_format format;
	char outbox[PATH_MAX];        /* as written; default "outbox" */
	char table[PATH_MAX];         /* platform/db/table or "" */
	int retries;                  /* default 5 */
	long backoff_ms;              /* default 200 */
} pl_def;

/* Parse the definition TEXT (LEN bytes); FILE names it in errors and gives
 * the default name (its base name without .ini).  -EINVAL with ERR set to
 * "FILE:LINE: unknown key 'k' in [section]" (or another reason naming the
 * line and key) when it is not a valid definition. */
int pl_def_parse(const char *file, const char *text, size_t len, pl_def *def, char *err,
		 size_t errlen);
/* Read and parse the definition at PATH; then, with webhook_token_file
 * set, read the token from that file (pl_def_read_token). */
int pl_def_load(const char *path, pl_def *def, char *err, size_t errlen);
/* The token of DEF's webhook_token_file into webhook_token: one line (a
 * final line break is dropped), not empty; the file must be a regular file
 * that others (neither its owner nor its group) can neither read nor
 * write.  -EINVAL, -EACCES or -errno with ERR set. */
int pl_def_read_token(pl_def *def, char *err, size_t errlen);

/* ---- small helpers shared by the parts ----------------------------------------- */

/* Read the whole file at PATH; *OUT (NUL-terminated, you own it), *LEN. */
int pl_read_file(const char *path, char **out, size_t *len);
/* Hive's path unescaping of S in place (%XX -> byte); -EINVAL on a bad escape. */
int pl_hive_unescape(char *s);
/* Join DIR and REL into OUT (PATH_MAX) unless REL is absolute. */
int pl_path_resolve(const char *dir, const char *rel, char *out);

/* ---- the refresh client and the readers (pl_refresh.c) ------------------------------ */

typedef struct pl_part {
	char spec[PATH_MAX];          /* key=value[/key=value...], escaped as listed */
	char path[PATH_MAX];          /* relative to the mount */
} pl_part;

typedef struct pl_refresh {
	pl_part *parts;               /* "+ ", "~ " or plain lines, in listed order */
	size_t nparts;
	size_t ndropped;              /* "- " lines, ignored */
	uint64_t snapshot;            /* the trailer */
	bool incremental;
} pl_refresh;

/* Parse a .refresh listing of table SOURCE (platform/db/table).  Every path
 * must lie inside SOURCE; -EINVAL (ERR says which line) otherwise or when the
 * trailer is missing. */
int pl_refresh_parse(const char *source, const char *text, size_t len, bool incremental,
		     pl_refresh *r, char *err, size_t errlen);
void pl_refresh_free(pl_refresh *r);

typedef enum pl_data_format { PL_DATA_CSV = 0, PL_DATA_JSONL = 1, PL_DATA_PARQUET = 2 } pl_data_format;

typedef struct pl_column {
	char name[PL_NAME_MAX];
	char type[32];
} pl_column;

typedef struct pl_table_info {
	pl_data_format format;
	bool header;
	pl_column *columns;           /* data columns, in order */
	unsigned ncolumns, capcolumns;
	pl_column *keys;              /* partition keys, in key order */
	unsigned nkeys, capkeys;
} pl_table_info;

/* Fill INFO from the text of .table (format, header) and .schema (column and
 * partition lines). */
int pl_table_info_parse(const char *table_text, const char *schema_text, pl_table_info *info,
			char *err, size_t errlen);
void pl_table_info_free(pl_table_info *info);

/* One value of a row as the readers see it: NULL, text or (JSON, Parquet)
 * a typed scalar.  TEXT is not NUL-terminated; it lives as long as the row.
 * A Parquet number also has its TEXT (as metafs writes it in CSV), which is
 * what pl_value_to_text gives; a JSON number has none (TEXT NULL). */
typedef enum pl_vkind {
	PL_V_NULL = 0, PL_V_TEXT, PL_V_NUMBER, PL_V_BOOL,
} pl_vkind;

typedef struct pl_value {
	pl_vkind kind;
	const char *text;
	size_t len;
	double number;
	bool boolean;
} pl_value;

/* The columns a pipeline asks for, and where each value comes from. */
typedef struct pl_wanted {
	const char *name;
	int key;                      /* >= 0: the partition key's index */
	int pos;                      /* CSV position (after header mapping), -1 if absent */
} pl_wanted;

/* Called once a row with VALS[i] for WANTED[i]; return non-zero to stop. */
typedef int (*pl_row_fn)(void *ctx, const pl_value *vals, unsigned n);

/* Read one data file (its LEN bytes at TEXT: CSV per RFC 4180 split by
 * format/'s splitter, JSONL read with fmt_jsonl.h, or a Parquet file, read
 * with format/'s reader, its columns selected by name,
 * exactly or else ignoring ASCII case) and call FN per row.  KEYVALS[k] is
 * the (unescaped) value of partition key k for every row.  FILE names the
 * data in errors.  -EINVAL on malformed data. */
int pl_read_rows(const pl_table_info *info, const char *file, const char *text, size_t len,
		 pl_wanted *wanted, unsigned nwanted, char *const *keyvals, pl_row_fn fn,
		 void *ctx, char *err, size_t errlen);

/* ---- feature extraction (pl_features.c) ---------------------------------------------- */

/* A value as a model input: numbers as they are, booleans 1/0, numeric text
 * parsed, NULL and everything else NaN (missing, for XGBoost). */
float pl_value_to_float(const pl_value *v);
/* A value as text (id, group): you own the result; NULL for a NULL value. */
char *pl_value_to_text(const pl_value *v);

typedef struct pl_dataset {
	unsigned nfeatures;
	size_t nrows, cap;
	float *x;                     /* nrows * nfeatures, row-major */
	float *y;                     /* label per row (NaN: none) */
	char **ids;                   /* per row, NULL when there is no id */
	char **groups;                /* per row, NULL when NULL or no group_by */
	unsigned *part;               /* index of the row's partition */
	size_t skipped;               /* rows without a label (train only) */
} pl_dataset;

/* Read every data file of the parts of R listed by the mount MOUNT into DS:
 * the features, label, id and group columns of DEF.  With NEED_LABEL, rows
 * without a label are skipped and counted. */
int pl_dataset_load(const char *mount, const pl_def *def, const pl_table_info *info,
		    const pl_refresh *r, bool need_label, pl_dataset *ds, char *err,
		    size_t errlen);
/* Add the rows of one data file's TEXT (for tests and the loader). */
int pl_dataset_add_text(pl_dataset *ds, const pl_def *def, const pl_table_info *info,
			const char *file, const char *text, size_t len, char *const *keyvals,
			unsigned part, bool need_label, char *err, size_t errlen);
void pl_dataset_init(pl_dataset *ds, unsigned nfeatures);
void pl_dataset_free(pl_dataset *ds);

/* ---- the model (pl_model.c) --------------------------------------------------------------- */

/* Whether row I (of any count) goes to the holdout: a seeded hash, so the
 * same seed and rows give the same split. */
bool pl_holdout_row(uint64_t seed, size_t i, double share);
/* Area under the ROC curve of SCORES against 0/1 LABELS (ties get half
 * credit); NaN when one class is absent. */
double pl_auc(const float *scores, const float *labels, size_t n);
double pl_rmse(const float *pred, const float *labels, size_t n);

typedef struct pl_train_result {
	size_t train_rows, holdout_rows;
	double metric;                /* AUC or RMSE on the holdout (NaN: n/a) */
	const char *metric_name;      /* "AUC" or "RMSE" */
	bool on_training_rows;        /* no holdout: the metric is on the training rows */
} pl_train_result;

/* Train on DS with DEF's parameters; write the model (JSON) atomically to
 * MODEL_PATH unless it is NULL. */
int pl_model_train(const pl_def *def, const pl_dataset *ds, const char *model_path,
		   pl_train_result *res, char *err, size_t errlen);
/* Score every row of DS with the model at MODEL_PATH into SCORES (you own
 * it, DS->nrows floats). */
int pl_model_predict(const char *model_path, const pl_dataset *ds, float **scores, char *err,
		     size_t errlen);

/* ---- messages, delivery, outbox (pl_deliver.c) ------------------------------------------- */

typedef struct pl_message {
	char *title;
	char **lines;
	size_t nlines, caplines;
	char key[17];                 /* idempotency key: 16 hex digits */
} pl_message;

void pl_message_init(pl_message *m);
/* Set the title (copied). */
int pl_message_title(pl_message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a body line (formatted and copied). */
int pl_message_line(pl_message *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* KEY = XXH3-64 of NAME, the snapshot id and the title, in hex. */
void pl_message_key(pl_message *m, const char *name, uint64_t snapshot);
void pl_message_free(pl_message *m);
/* The JSON payload in FORMAT (compact, keys in the documented order); you
 * own the result. */
char *pl_message_payload(const pl_message *m, pl_format format);

/* What one POST gave. */
typedef enum pl_send_result {
	PL_SENT = 0,                  /* 2xx */
	PL_SEND_RETRY = 1,            /* connection error, 5xx, 429: try again */
	PL_SEND_PERMANENT = 2,        /* any other status: do not retry */
} pl_send_result;

typedef struct pl_sender pl_sender;
/* One POST of BODY with KEY.  *STATUS: the HTTP status (0: no response);
 * *RETRY_AFTER_S: the Retry-After seconds of a 429/503, or -1. */
typedef pl_send_result (*pl_post_fn)(pl_sender *s, const char *body, const char *key,
				    long *status, long *retry_after_s);

struct pl_sender {
	const char *url;
	const char *token;            /* may be NULL or "" */
	int retries;
	long backoff_ms;
	pl_post_fn post;              /* pl_http_post unless a test replaces it */
	void (*sleep_ms)(long ms);    /* pl_sleep_ms unless a test replaces it */
	void *ctx;                    /* for a test's post */
	bool verbose;
	long timeout_s;               /* per request; default 30 */
	char last_error[256];
};

#define PL_BACKOFF_CAP_MS 30000L
#define PL_RETRY_AFTER_CAP_MS 60000L

void pl_sender_init(pl_sender *s, const pl_def *def);
/* The delay before retry number ATTEMPT (0: before the first retry):
 * BACKOFF_MS * 2^ATTEMPT capped at 30 s, or RETRY_AFTER_S (>= 0) seconds
 * capped at 60 s when the server sent one. */
long pl_retry_delay_ms(long backoff_ms, unsigned attempt, long retry_after_s);
/* POST with libcurl (the default post function). */
pl_send_result pl_http_post(pl_sender *s, const char *body, const char *key, long *status,
			    long *retry_after_s);
void pl_sleep_ms(long ms);
/* POST BODY with up to s->retries retries.  Returns PL_SENT, or the last
 * failure's kind. */
pl_send_result pl_send(pl_sender *s, const char *body, const char *key);

/* Write BODY to OUTBOX/KEY.json (temp + rename) unless that file exists
 * already; *WRITTEN says whether it wrote. */
int pl_outbox_spool(const char *outbox, const char *key, const char *body, bool *written);
/* Re-send every OUTBOX/KEY.json, oldest first; delete each delivered one.
 * Stops at the first that fails to be delivered for a reason worth retrying
 * (the channel is down), keeps it and the rest; a message refused for good
 * (4xx) is kept and the replay goes on.  *SENT, *KEPT count them; *BLOCKED
 * is set when the replay stopped because the channel is down. */
int pl_outbox_replay(const char *outbox, pl_sender *s, unsigned *sent, unsigned *kept,
		     bool *blocked);

#endif
