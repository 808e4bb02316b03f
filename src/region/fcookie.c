/* fcookie.c - a file's pgcookie in the region (see fcookie.h). */
#include "fcookie.h"

#include "lfm_assert.h"

#include <string.h>

#define WORDS (LFM_COOKIE_MAX / 8)
_Static_assert(LFM_COOKIE_MAX % 8 == 0, "whole words");

void lfm__fcookie_set(struct lfm__file *f, const void *data, uint32_t size)
{
	LFM_ASSERT(size <= LFM_COOKIE_MAX);
	uint64_t w[WORDS] = {0};
	if (size > 0)
		memcpy(w, data, size);
	uint32_t g = atomic_load_explicit(&f->cookie_gen, memory_order_relaxed);
	uint32_t b = (g + 1) & 1;
	/* Ordered before the stores below for a reader that sees one of
	 * them (fcookie.h). */
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&f->cookie_size[b], size, memory_order_relaxed);
	for (uint32_t i = 0; i < (size + 7) / 8; i++)
		atomic_store_explicit(&f->cookie[b][i], w[i],
				      memory_order_relaxed);
	atomic_store_explicit(&f->cookie_gen, g + 1, memory_order_release);
}

uint32_t lfm__fcookie_get(struct lfm__file *m, uint64_t buf[LFM_COOKIE_MAX / 8])
{
	for (;;) {
		uint32_t g =
		    atomic_load_explicit(&m->cookie_gen, memory_order_acquire);
		uint32_t b = g & 1;
		uint32_t size = atomic_load_explicit(&m->cookie_size[b],
						     memory_order_relaxed);
		if (size > LFM_COOKIE_MAX)
			size = 0; /* torn: retried below */
		for (uint32_t i = 0; i < (size + 7) / 8; i++)
			buf[i] = atomic_load_explicit(&m->cookie[b][i],
						      memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&m->cookie_gen,
					 memory_order_relaxed) == g)
			return size;
	}
}
