/* futex.c - futex system calls and the slow paths of lfm__mutex. */
#include "futex.h"

#include "lfm_assert.h"
#include "spin.h"
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Not FUTEX_PRIVATE_FLAG: these words may be in a mapping shared between
 * processes. */
void lfm__futex_wait(_Atomic uint32_t *addr, uint32_t expected)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, expected, NULL, NULL,
		0);
}

void lfm__futex_wait_ns(_Atomic uint32_t *addr, uint32_t expected, uint64_t ns)
{
	struct timespec ts = {(time_t)(ns / 1000000000u),
			      (long)(ns % 1000000000u)};
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT, expected, &ts, NULL,
		0);
}

void lfm__futex_wake_all(_Atomic uint32_t *addr)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE, INT_MAX, NULL, NULL,
		0);
}

void lfm__mutex_lock_slow(lfm__mutex *m, uint32_t owner)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	uint32_t mine = owner << LFM_MUTEX_OWNER_SHIFT;
	uint32_t c;
	LFM_ASSERT(owner < 32); /* bits 2..6 */

	/* Brief spin: critical sections here are a few dozen instructions. */
	for (int i = 0; i < LFM_SPIN_ROUNDS; i++) {
		c = 0;
		if (atomic_compare_exchange_weak_explicit(
			&m->word, &c, 1 | mine, memory_order_acquire,
			memory_order_relaxed))
			return;
		ck_backoff_eb(&backoff);
	}
	for (;;) {
		c = atomic_load_explicit(&m->word, memory_order_relaxed);
		if (c == 0) {
			/* Taken as "contended": others may still sleep. */
			if (atomic_compare_exchange_weak_explicit(
				&m->word, &c, 2 | mine, memory_order_acquire,
				memory_order_relaxed))
				return;
			continue;
		}
		if ((c & LFM_MUTEX_STATE) != 2) {
			uint32_t w = (c & ~LFM_MUTEX_STATE) | 2;
			if (!atomic_compare_exchange_weak_explicit(
				&m->word, &c, w, memory_order_relaxed,
				memory_order_relaxed))
				continue;
			c = w;
		}
		lfm__futex_wait(&m->word, c);
	}
}

int lfm__mutex_break(lfm__mutex *m, uint32_t owner)
{
	LFM_ASSERT(owner != 0 && owner < 32); /* a shared region's process */
	uint32_t c = atomic_load_explicit(&m->word, memory_order_acquire);
	if (c == 0 || (c >> LFM_MUTEX_OWNER_SHIFT) != owner ||
	    !atomic_compare_exchange_strong_explicit(
		&m->word, &c, 0, memory_order_acq_rel, memory_order_relaxed))
		return 0;
	lfm__futex_wake_all(&m->word);
	return 1;
}
