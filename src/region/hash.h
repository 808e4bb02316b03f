/* hash.h - the tag hash shared by the frame table and the thread caches. */
#ifndef LFM_HASH_H
#define LFM_HASH_H

#include <stdint.h>

/* One multiply by an odd constant spreads every input bit upwards; folding
 * the high half down gives the low bits (the bucket index) all of them too,
 * and bits 40.. (the thread cache's set) depend on every input bit as well.
 * Page numbers of one file are sequential: they must not share buckets or
 * sets in runs. Four instructions: it is on every get. */
static inline uint64_t lfm__hash_tag(uint64_t k)
{
	k *= 0x9e3779b97f4a7c15ull;
	return k ^ (k >> 29);
}

#endif
