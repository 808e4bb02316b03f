/* membarrier.c - membarrier(2) for the asymmetric handshake (membarrier.h). */
#include "membarrier.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lfm_assert.h"

/* 0: not tried; 1: registered; else the errno + 2 of the refusal. */
static _Atomic int registered;

int lfm__membarrier_init(void)
{
	int r = atomic_load_explicit(&registered, memory_order_acquire);
	if (r == 0) {
		long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
		if (q < 0)
			r = errno + 2;
		else if (!(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
			r = EINVAL + 2;
		else if (syscall(SYS_membarrier,
				 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
				 0) != 0)
			r = errno + 2;
		else
			r = 1;
		atomic_store_explicit(&registered, r, memory_order_release);
	}
	return r == 1 ? 0 : r - 2;
}

void lfm__membarrier(void)
{
	LFM_ASSERT(atomic_load_explicit(&registered, memory_order_relaxed) ==
		   1);
	/* Cannot fail once registered: the command and the registration
	 * were both accepted. */
	long rc =
	    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	LFM_ASSERT(rc == 0);
	(void)rc;
}
