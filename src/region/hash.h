/* hash.h - the tag hash of the frame table (ftab.h). */
#ifndef LFM_HASH_H
#define LFM_HASH_H

#include <stdint.h>

/* Fibonacci hashing: one multiply by 2^64 / phi, then the top `bits` bits
 * of the product, where every bit of the tag (page number and file) has
 * reached and consecutive page numbers land far apart. Page numbers of
 * one file are sequential: they must not share buckets in runs. Three
 * instructions: it is on every get. `shift` is 64 - log2(buckets). */
static inline uint64_t lfm__hash_bucket(uint64_t tag, uint32_t shift)
{
	/* 64 bits: a 32-bit result would cost a zero extension before its
	 * use as an index (shift >= 32 keeps it below 2^32 anyway). */
	return (tag * 0x9e3779b97f4a7c15ull) >> shift;
}

#endif
