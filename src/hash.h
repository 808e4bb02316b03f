/* hash.h - the tag hash shared by the frame table and the thread caches. */
#ifndef LFM_HASH_H
#define LFM_HASH_H

#include <stdint.h>

/* Murmur3's 64-bit finaliser: page numbers of one file are sequential, and
 * every output bit must depend on every input bit so that both the bucket
 * index (low bits) and the cache set (higher bits) spread. */
static inline uint64_t lfm__hash_tag(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

#endif
