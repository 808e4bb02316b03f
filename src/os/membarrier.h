/*
 * membarrier.h - a full memory barrier on every running thread of this
 * process, paid by the caller alone (membarrier(2), private expedited).
 *
 * It makes a Dekker-style handshake asymmetric: the frequent side (a
 * thread pinning through its own cache, tcache.h) orders its store before
 * its load with a compiler barrier only, and the rare side (a thief) calls
 * lfm__membarrier between its store and its load. Either the frequent
 * side's store is visible to the rare side's load, or the frequent side's
 * load sees the rare side's store: every thread of the process executes a
 * full barrier (or a context switch, which is one) at some point of its
 * program order while the call runs.
 */
#ifndef LFM_MEMBARRIER_H
#define LFM_MEMBARRIER_H

/* Registers the process for lfm__membarrier. 0, or the errno of the
 * kernel's refusal (ENOSYS, EINVAL: no such command; EPERM: filtered),
 * after which lfm__membarrier must not be called. Idempotent, any thread. */
int lfm__membarrier_init(void);

/* Precondition: lfm__membarrier_init returned 0. Returns when every other
 * thread of the process has passed a full barrier since the call began. */
void lfm__membarrier(void);

#endif
