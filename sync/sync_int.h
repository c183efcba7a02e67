/*
 * sync_int.h - private to sync/: the pieces apply and refresh share.
 */
#ifndef METAFS_SYNC_INT_H
#define METAFS_SYNC_INT_H

#include "sync.h"

/* Parse the LEN bytes at S as an unsigned number in BASE (10 or 16), all
 * of them digits; false if they are not one. */
bool sync_parse_u64(const char *s, size_t len, int base, uint64_t *out);

/* The u64 value of property KEY of T (decimal, or hex for etags); false if
 * absent or malformed. */
bool sync_property_u64(const store_table *t, const char *key, int base, uint64_t *out);

#endif
