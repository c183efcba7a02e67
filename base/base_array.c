#include "base_array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int array_reserve(void **items, size_t *cap, size_t need, size_t elem_size, size_t max)
{
	if (need <= *cap)
		return 0;
	if (need > max || elem_size == 0 || need > SIZE_MAX / elem_size)
		return -ENOMEM;
	size_t c = *cap ? *cap : BASE_ARRAY_MIN;
	while (c < need)
		c = c > max / 2 ? max : c * 2;
	if (c > SIZE_MAX / elem_size)
		c = need;
	/* The pointer is copied in and out as bytes: *ITEMS is really a T *,
	 * and reading it through a void * lvalue would break aliasing rules. */
	void *old;
	memcpy(&old, items, sizeof old);
	void *p = realloc(old, c * elem_size);
	if (!p)
		return -ENOMEM;
	memcpy(items, &p, sizeof p);
	*cap = c;
	return 0;
}

int base_array_reserve(void **items, size_t *cap, size_t need, size_t elem_size)
{
	return array_reserve(items, cap, need, elem_size, SIZE_MAX);
}

int base_array_reserve_u32(void **items, uint32_t *cap, size_t need, size_t elem_size)
{
	size_t c = *cap;
	int rc = array_reserve(items, &c, need, elem_size, UINT32_MAX);
	if (rc == 0)
		*cap = (uint32_t)c;
	return rc;
}
