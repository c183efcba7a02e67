/*
 * base_rng.h - the one pseudo-random generator of metafs's data generators
 * (metafs gen, metafs-tpch): xoshiro256** with splitmix64 for seeding.
 * Deterministic on every platform: integer arithmetic only.  Each tool
 * keeps its own seeding formula and helpers on top, as its output (and
 * the reference answers made from it) depends on their exact streams.
 */
#ifndef METAFS_BASE_RNG_H
#define METAFS_BASE_RNG_H

#include <stdint.h>

/* splitmix64: the next value of the sequence whose state is *X. */
static inline uint64_t base_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t base_rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: the next value of the generator whose state is S. */
static inline uint64_t base_xoshiro_next(uint64_t s[4])
{
	uint64_t result = base_rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = base_rotl64(s[3], 45);
	return result;
}

#endif
