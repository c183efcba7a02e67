/*
 * base_array.h - growth of heap arrays kept as (items, count, capacity).
 *
 * Every growing array in metafs (result rows, partitions of a scan, names
 * collected while an iterator is open, a pipeline's data set...) grows the
 * same way: doubling, so that appending N elements costs O(N) copies.  The
 * arithmetic lives here once, with the overflow checks a hand-written
 * "cap * 2 * sizeof" forgets.
 */
#ifndef METAFS_BASE_ARRAY_H
#define METAFS_BASE_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* The first allocation holds at least this many elements. */
#define BASE_ARRAY_MIN 16

/*
 * Make room for NEED elements of ELEM_SIZE bytes in the array *ITEMS of *CAP
 * elements: when NEED > *CAP, *ITEMS is reallocated (it may move; *ITEMS may
 * be NULL with *CAP 0) and *CAP set to the new capacity.  Elements already
 * there are kept; new ones are uninitialised.  The array stays owned by the
 * caller (free()).
 *
 * The new capacity depends only on *CAP and NEED (doubling from
 * BASE_ARRAY_MIN until NEED fits), so parallel arrays reserved from the same
 * capacity grow to the same length.
 *
 * Returns 0, or -ENOMEM when memory is short or the size would overflow;
 * then *ITEMS and *CAP are unchanged.
 */
int base_array_reserve(void **items, size_t *cap, size_t need, size_t elem_size);

/* The same for a 32-bit capacity: refuses (-ENOMEM) a capacity that does not
 * fit in uint32_t. */
int base_array_reserve_u32(void **items, uint32_t *cap, size_t need, size_t elem_size);

/*
 * BASE_ARRAY_RESERVE(items, cap, need): the type-safe form, for lvalues
 * ITEMS (a T * pointer) and CAP (size_t or uint32_t); the element size is
 * taken from the pointer's type.
 *     if ((rc = BASE_ARRAY_RESERVE(s->parts, s->parts_cap, s->nparts + 1)))
 *             return rc;
 */
#define BASE_ARRAY_RESERVE(items, cap, need)                                              \
	_Generic(&(cap), size_t *: base_array_reserve, uint32_t *: base_array_reserve_u32)( \
		(void **)&(items), &(cap), (need), sizeof *(items))

#endif
