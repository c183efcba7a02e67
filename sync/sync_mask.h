/*
 * sync_mask.h - the data exchange between platforms: column masks.
 *
 * A sync rule may declare masks on columns of its source tables:
 *
 *     mask = email:hash, phone:redact, name:truncate(3), ssn:null
 *
 *   hash          keyed hash: HMAC-SHA256 of the value's text under the
 *                 home's exchange key, as 32 lowercase hex digits (the first
 *                 16 bytes).  Equal values give equal hashes, so masked
 *                 columns still join and group; without the key the raw
 *                 value cannot be recovered or guessed by trying values.
 *   redact        the fixed text "REDACTED".
 *   truncate(N)   the first N characters (UTF-8 code points) of the value.
 *   null          NULL.
 * NULL stays NULL under every mask.  A masked column of any type but null
 * becomes `string` in the mirror's schema (its values are text now); a
 * `null` mask keeps the type.  Columns named in drop_columns are removed
 * from the data as well as from the schema.
 *
 * The second platform sees the source's data only through this transform:
 * files of a mirrored table read through the target's tree, and rows a
 * second-platform job reads from a first-platform table, are the source
 * rows with drop_columns removed and masks applied.  The raw values of a
 * masked or dropped column never appear in them.
 *
 * The policy (canonical text, "email:hash,name:truncate(3)" in the order
 * written) and its version are recorded in the mirrored table's properties
 *     metafs.mask.policy    the canonical text ("" when the rule has none)
 *     metafs.mask.version   1 for the first policy, +1 each time it changes
 *     metafs.mask.key       the key's id (first 8 hex digits of SHA-256 of
 *                           the key), so a reader can tell a re-keyed mirror
 * Partition key columns cannot be masked or dropped (their values are in
 * the paths): sync_rule_parse refuses that when it can tell, and apply
 * fails the rule with a clear reason otherwise.
 */
#ifndef METAFS_SYNC_MASK_H
#define METAFS_SYNC_MASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "textbuf.h"

#define SYNC_MAX_MASKS 64
#define SYNC_MASK_KEY_BYTES 32
#define SYNC_MASK_HASH_HEX 32
#define SYNC_PROP_MASK_POLICY "metafs.mask.policy"
#define SYNC_PROP_MASK_VERSION "metafs.mask.version"
#define SYNC_PROP_MASK_KEY "metafs.mask.key"

typedef enum sync_mask_kind {
	SYNC_MASK_HASH = 1,
	SYNC_MASK_REDACT = 2,
	SYNC_MASK_TRUNCATE = 3,
	SYNC_MASK_NULL = 4,
} sync_mask_kind;

typedef struct sync_mask {
	char column[STORE_NAME_MAX + 1];
	sync_mask_kind kind;
	uint32_t keep;               /* truncate(N): N */
} sync_mask;

typedef struct sync_mask_policy {
	sync_mask masks[SYNC_MAX_MASKS];
	unsigned n;
} sync_mask_policy;

/* The exchange key: 32 bytes in HOME/manager/exchange.key (mode 0600),
 * created with getrandom() the first time it is needed.  *KEY_ID is the
 * key's id (8 hex digits + NUL). */
int sync_mask_key_load(const char *path, uint8_t key[SYNC_MASK_KEY_BYTES], char key_id[9],
		       char *err, size_t errlen);

/* Parse the value of a rule's `mask =` line into POLICY (appending).  On
 * error -EINVAL with the reason in ERR (no "line N:" prefix). */
int sync_mask_parse(const char *value, sync_mask_policy *policy, char *err, size_t errlen);
/* Canonical text: "email:hash,name:truncate(3)". */
void sync_mask_format(const sync_mask_policy *policy, textbuf *out);
const sync_mask *sync_mask_find(const sync_mask_policy *policy, const char *column);

/* Mask one value (its text, LEN bytes; IS_NULL for NULL) into OUT (reset
 * first).  *OUT_NULL says the result is NULL. */
void sync_mask_value(const sync_mask *mask, const uint8_t key[SYNC_MASK_KEY_BYTES],
		     const char *value, size_t len, bool is_null, textbuf *out, bool *out_null);

/* The transform of one table's data files as the second platform sees
 * them.  Built from the SOURCE table (its columns, format and header), the
 * rule's dropped columns and its masks. */
typedef struct sync_exchange sync_exchange;
int sync_exchange_new(const store_table *source, const char *const *drop, unsigned ndrop,
		      const sync_mask_policy *policy, const uint8_t key[SYNC_MASK_KEY_BYTES],
		      sync_exchange **out, char *err, size_t errlen);
void sync_exchange_free(sync_exchange *x);
/* Does X change anything (a mask or a dropped data column)?  When it does
 * not, the source bytes may be served as they are. */
bool sync_exchange_active(const sync_exchange *x);
/* Transform the whole data file IN_FD (read from its start) into OUT_FD:
 * CSV keeps the source's quoting rules (RFC 4180) and header line (with the
 * dropped columns' names removed); JSONL objects lose the dropped keys and
 * carry masked values (strings, or null).  A malformed row fails the whole
 * transform (-EINVAL, "row N: reason" in ERR): a half-masked file is never
 * served.  *ROWS counts the data rows written. */
int sync_exchange_file(const sync_exchange *x, int in_fd, int out_fd, uint64_t *rows, char *err,
		       size_t errlen);
#endif
