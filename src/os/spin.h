/*
 * spin.h - bounded spinning before sleeping on a futex.
 *
 * ck's exponential backoff, with its ceiling lowered: the stock ceiling
 * (2^20 iterations a round) lets a waiter spin for tens of milliseconds,
 * which on an oversubscribed machine steals the CPU from the very thread
 * it waits for. LFM_SPIN_ROUNDS rounds of 512, 1024, 2048, 4096 compiler
 * barriers are a few microseconds: about one page read.
 */
#ifndef LFM_SPIN_H
#define LFM_SPIN_H

#ifdef CK_BACKOFF_H
#error "spin.h must be the first to include ck_backoff.h"
#endif
#define CK_BACKOFF_CEILING ((1u << 12) - 1)
#include <ck_backoff.h>

#define LFM_SPIN_ROUNDS 4

#include <sched.h>

/* One step of waiting for a holder that lets go within a few instructions
 * unless it was descheduled: back off for the first LFM_SPIN_ROUNDS
 * steps (`round` counts them), then yield the CPU to it. */
static inline void lfm__spin_or_yield(ck_backoff_t *backoff, int *round)
{
	if (*round < LFM_SPIN_ROUNDS) {
		++*round;
		ck_backoff_eb(backoff);
	} else {
		sched_yield();
	}
}

#endif
