/* tcguard.c - the thieves' side of the owner-plain handshake (tcguard.h). */
#include "tcguard.h"

#include "lfm_assert.h"
#include "membarrier.h"
#include "spin.h"
#include "testpoint.h"

#define MODE_MASK   3ull
#define MODE_OFF    0ull
#define MODE_ARMING 1ull
#define MODE_ARMED  2ull
#define MODE_OPEN   3ull /* OPENING */
#define INSIDE_ONE  4ull
#define INSIDE_MASK 0xfffffffcull
#define GEN_ONE	    (1ull << 32)

static uint64_t mode(uint64_t g)
{
	return g & MODE_MASK;
}

/* The first thief in: no handle below hiwater may start a plain change
 * from now on, and none is in the middle of one when this returns. */
static void arm(struct lfm__region_hdr *rh)
{
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++)
		lfm__tcguard_forbid(lfm__handle_at(rh, i));
	lfm__membarrier();
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		/* An owner lets go within a few instructions, unless it was
		 * descheduled there. */
		ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
		int round = 0;
		if (atomic_load_explicit(&h->busy, memory_order_acquire))
			LFM_TEST_POINT(LFM_TEST_GUARD_WAIT, i);
		while (atomic_load_explicit(&h->busy, memory_order_acquire))
			lfm__spin_or_yield(&backoff, &round);
	}
}

/* The guard this thread holds, and how many times over: an enter inside
 * one of the same region (a sweep's claims inside the sweep) is counted
 * here, not in the shared word. Owner-only. */
static __thread struct {
	struct lfm__region_hdr *rh;
	uint32_t depth;
} held __attribute__((tls_model("initial-exec")));

static void enter_shared(struct lfm__region_hdr *rh);

void lfm__tcguard_enter(struct lfm__region_hdr *rh)
{
	if (!rh->tc_plain_ok)
		return; /* owners here are never plain */
	if (held.rh == rh) {
		held.depth++;
		return;
	}
	enter_shared(rh);
	if (held.rh == NULL) {
		held.rh = rh;
		held.depth = 1;
	}
}

static void enter_shared(struct lfm__region_hdr *rh)
{
	uint64_t g = atomic_load_explicit(&rh->tc_guard, memory_order_relaxed);
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	int round = 0;
	for (;;) {
		if (mode(g) == MODE_ARMED) {
			/* Acquire: what the arming thief waited for. */
			if (atomic_compare_exchange_weak_explicit(
				&rh->tc_guard, &g, g + INSIDE_ONE + GEN_ONE,
				memory_order_acquire, memory_order_relaxed))
				return;
			continue;
		}
		if (mode(g) == MODE_OFF) {
			uint64_t a = (g | MODE_ARMING) + INSIDE_ONE + GEN_ONE;
			if (atomic_compare_exchange_weak_explicit(
				&rh->tc_guard, &g, a, memory_order_acquire,
				memory_order_relaxed)) {
				arm(rh);
				/* Others inside meanwhile: none (they wait). */
				atomic_fetch_add_explicit(
				    &rh->tc_guard, MODE_ARMED - MODE_ARMING,
				    memory_order_release);
				return;
			}
			continue;
		}
		/* ARMING or OPENING: a moment. */
		lfm__spin_or_yield(&backoff, &round);
		g = atomic_load_explicit(&rh->tc_guard, memory_order_relaxed);
	}
}

void lfm__tcguard_exit(struct lfm__region_hdr *rh)
{
	if (!rh->tc_plain_ok)
		return;
	if (held.rh == rh) {
		LFM_ASSERT(held.depth > 0);
		if (--held.depth > 0)
			return;
		held.rh = NULL;
	}
	/* Release: the opener, which sees this exit, and the owners it then
	 * lets be plain see the words this thief changed. */
	uint64_t g = atomic_fetch_sub_explicit(&rh->tc_guard, INSIDE_ONE,
					       memory_order_release);
	LFM_ASSERT(mode(g) == MODE_ARMED && (g & INSIDE_MASK) != 0);
	(void)g;
}

void lfm__tcguard_try_open(struct lfm__region_hdr *rh)
{
	if (!rh->tc_plain_ok)
		return;
	uint64_t g = atomic_load_explicit(&rh->tc_guard, memory_order_relaxed);
	uint64_t seen = atomic_exchange_explicit(&rh->tc_guard_seen, g >> 32,
						 memory_order_relaxed);
	/* From OFF too: a handle claimed while the guard was open is not
	 * plain yet. From ARMED only if no thief came since the last try. */
	if ((mode(g) == MODE_ARMED && (seen != g >> 32 || (g & INSIDE_MASK))) ||
	    (mode(g) != MODE_ARMED && mode(g) != MODE_OFF))
		return;
	/* Acquire: the thieves' exits, so the owners let be plain below see
	 * their changes to the words (through plain's release). */
	if (!atomic_compare_exchange_strong_explicit(
		&rh->tc_guard, &g, (g & ~MODE_MASK) | MODE_OPEN,
		memory_order_acquire, memory_order_relaxed))
		return;
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) != 0)
			atomic_store_explicit(&h->plain, 1,
					      memory_order_release);
	}
	atomic_fetch_sub_explicit(&rh->tc_guard, MODE_OPEN - MODE_OFF,
				  memory_order_release);
}
