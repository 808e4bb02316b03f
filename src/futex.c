/* futex.c - futex system calls and the slow paths of lfm__mutex. */
#include "futex.h"

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

void lfm__mutex_lock_slow(lfm__mutex *m)
{
	ck_backoff_t backoff = CK_BACKOFF_INITIALIZER;
	uint32_t c;

	/* Brief spin: critical sections here are a few dozen instructions. */
	for (int i = 0; i < LFM_SPIN_ROUNDS; i++) {
		c = 0;
		if (atomic_compare_exchange_weak_explicit(&m->word, &c, 1,
							  memory_order_acquire,
							  memory_order_relaxed))
			return;
		ck_backoff_eb(&backoff);
	}
	c = atomic_exchange_explicit(&m->word, 2, memory_order_acquire);
	while (c != 0) {
		lfm__futex_wait(&m->word, 2);
		c = atomic_exchange_explicit(&m->word, 2, memory_order_acquire);
	}
}

void lfm__mutex_unlock_slow(lfm__mutex *m)
{
	atomic_store_explicit(&m->word, 0, memory_order_release);
	lfm__futex_wake_all(&m->word);
}
