/*
 * ckpt_state.h - memp_sync's checkpoint state: the region's part
 * LFM_PART_CKPT (checkpoint.h describes the protocol).
 *
 * checkpoint.c moves it; filesync.c, which checkpoint.c calls and so cannot
 * call back, asks only lfm__ckpt_open_mark which mark a page made dirty
 * again must carry. Nobody else reads it.
 *
 *   state  generation << 2 | phase (LFM_CKPT_*), changed by CAS
 *          (acq_rel);
 *   lsn    the LSN the generation was started with;
 *   max    the largest page LSN it wrote (file << 32 | offset), and
 *   wrote  whether it wrote one. Relaxed: they are reported, not
 *          synchronised with.
 */
#ifndef LFM_CKPT_STATE_H
#define LFM_CKPT_STATE_H

#include "pool.h"

enum { LFM_CKPT_CLOSED = 0, LFM_CKPT_MARKING = 1, LFM_CKPT_OPEN = 2 };

struct lfm__ckpt_part {
	_Atomic uint64_t state;
	_Atomic uint64_t lsn;
	_Atomic uint64_t max;
	_Atomic uint32_t wrote;
} __attribute__((aligned(LFM_CACHELINE)));

static inline uint64_t lfm__ckpt_part_size(void)
{
	return sizeof(struct lfm__ckpt_part);
}

/* A new region: no checkpoint began (generation 0, CLOSED). */
static inline void lfm__ckpt_part_init(struct lfm__ckpt_part *c)
{
	atomic_init(&c->state, 0);
	atomic_init(&c->lsn, 0);
	atomic_init(&c->max, 0);
	atomic_init(&c->wrote, 0);
}

static inline struct lfm__ckpt_part *lfm__ckpt_part(struct lfm__region_hdr *rh)
{
	return lfm__region_part(rh, LFM_PART_CKPT);
}

/* The generation of the checkpoint open (or marking) now, whose set a page
 * dirtied again joins; 0 when none is. Acquire, as every read of state. */
static inline uint64_t lfm__ckpt_open_mark(struct lfm__region_hdr *rh)
{
	uint64_t st = atomic_load_explicit(&lfm__ckpt_part(rh)->state,
					   memory_order_acquire);
	return (st & 3) == LFM_CKPT_CLOSED ? 0 : st >> 2;
}

#endif
