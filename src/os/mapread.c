/* mapread.c - guarded copies from a read-only file mapping (see mapread.h). */
#include "mapread.h"

#include "fileio.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

/* The reservation: twice the file, at least 1 GiB, so that it can grow
 * under the mapping (a page past the end faults until the file reaches
 * it; then the same address reads it). Pages past the reservation, or of a
 * file larger than the cap, are read with pread. Address space, not
 * memory: page tables are only filled for pages copied. */
#define MAP_MIN	  (1ull << 30)
#define MAP_MAX	  (1ull << 44)
#define MAP_ROUND (2ull << 20)

/* A copy in progress on this thread. Written only by the thread itself
 * and read by its SIGBUS handler, which runs on the same thread, so
 * relaxed atomics with signal fences order them (no other thread looks). */
struct guard {
	sigjmp_buf jb;
	uintptr_t lo, hi; /* the source range being copied */
};
static __thread _Atomic(struct guard *) guard_cur
    __attribute__((tls_model("initial-exec")));

/* The thread's last check (mapread.h): copies left before the next one,
 * and whether it may copy meanwhile. Owner-only. */
static __thread struct {
	uint32_t left;
	int ok;
} thr __attribute__((tls_model("initial-exec")));

/* The SIGBUS disposition found before ours, read once before ours is
 * installed and fixed afterwards. */
static struct sigaction prev_bus;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int installed;

/* Not ours: do what would have happened without us. */
static void pass_on(int sig, siginfo_t *si, void *uc)
{
	if (prev_bus.sa_flags & SA_SIGINFO) {
		prev_bus.sa_sigaction(sig, si, uc);
		return;
	}
	if (prev_bus.sa_handler != SIG_DFL && prev_bus.sa_handler != SIG_IGN) {
		prev_bus.sa_handler(sig);
		return;
	}
	/* Sent by kill(2) or alike (si_code <= 0) and ignored before us:
	 * still ignored. */
	if (prev_bus.sa_handler == SIG_IGN && si->si_code <= 0)
		return;
	/* Default action. A fault runs the instruction again on return and
	 * dies of it; a sent signal is raised again (blocked until this
	 * handler returns). */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		raise(SIGBUS);
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	struct guard *g =
	    atomic_load_explicit(&guard_cur, memory_order_relaxed);
	uintptr_t a = (uintptr_t)si->si_addr;
	if (g != NULL && si->si_code > 0 && a >= g->lo && a < g->hi) {
		atomic_store_explicit(&guard_cur, NULL, memory_order_relaxed);
		siglongjmp(g->jb, 1);
	}
	pass_on(sig, si, uc);
}

static void install(void)
{
	struct sigaction sa;
	if (sigaction(SIGBUS, NULL, &prev_bus) != 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	/* SA_ONSTACK: on the thread's alternate stack if it has one. No
	 * SA_NODEFER: SIGBUS is blocked while the handler runs, and the
	 * jump out leaves it blocked (sigsetjmp(.., 0) saves no mask: that
	 * would be a system call per copy), so the landing unblocks it. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == 0)
		installed = 1;
}

void lfm__mapread_open(struct lfm__mapread *m, int fd, uint64_t size)
{
	m->base = NULL;
	m->len = 0;
	atomic_store_explicit(&m->valid, 0, memory_order_relaxed);
	atomic_store_explicit(&m->off, 0, memory_order_relaxed);
	pthread_once(&install_once, install);
	if (!installed)
		return;
	uint64_t len = size <= MAP_MAX / 2 ? 2 * size : MAP_MAX;
	if (len < MAP_MIN)
		len = MAP_MIN;
	len = (len + MAP_ROUND - 1) & ~(MAP_ROUND - 1);
	void *p = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return;
	/* Misses are random by nature (the pool keeps the hot pages): a
	 * fault on a page not in the page cache reads that page only, as
	 * pread does, instead of reading around it. Sequential misses go to
	 * pread, which reads ahead (pagefill.c). Advice only: failure is
	 * harmless. */
	(void)madvise(p, (size_t)len, MADV_RANDOM);
	m->base = p;
	m->len = len;
	atomic_store_explicit(&m->valid, size, memory_order_relaxed);
}

void lfm__mapread_close(struct lfm__mapread *m)
{
	if (m->base != NULL)
		munmap((void *)m->base, (size_t)m->len);
	m->base = NULL;
	m->len = 0;
}

void lfm__mapread_disable(struct lfm__mapread *m)
{
	atomic_store_explicit(&m->off, 1, memory_order_relaxed);
}

/* Whether a fault in a copy on this thread would reach on_sigbus: SIGBUS
 * not blocked here (a blocked synchronous signal is delivered with the
 * default action), and on_sigbus still the process's handler. */
static int thread_may_copy(void)
{
	if (thr.left != 0) {
		thr.left--;
		return thr.ok;
	}
	thr.left = LFM_MAPREAD_RECHECK - 1;
	sigset_t cur;
	struct sigaction sa;
	thr.ok = pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 &&
		 !sigismember(&cur, SIGBUS) &&
		 sigaction(SIGBUS, NULL, &sa) == 0 &&
		 (sa.sa_flags & SA_SIGINFO) && sa.sa_sigaction == on_sigbus;
	return thr.ok;
}

static void unblock_sigbus(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGBUS);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* The guarded copy: its own frame, so that the jump lands here with
 * nothing of the caller's to restore. */
static __attribute__((noinline)) enum lfm__mapread_rc
guarded_copy(void *dst, const char *src, size_t len)
{
	struct guard g;
	g.lo = (uintptr_t)src;
	g.hi = (uintptr_t)src + len;
	if (sigsetjmp(g.jb, 0) != 0) {
		unblock_sigbus();
		return LFM_MAPREAD_FAULT;
	}
	atomic_store_explicit(&guard_cur, &g, memory_order_relaxed);
	/* The compiler must not move the copy's loads above the guard's
	 * store or below its removal: the handler runs between them. */
	atomic_signal_fence(memory_order_seq_cst);
	memcpy(dst, src, len);
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&guard_cur, NULL, memory_order_relaxed);
	return LFM_MAPREAD_COPIED;
}

enum lfm__mapread_rc lfm__mapread_copy(struct lfm__mapread *m, void *dst,
				       size_t len, uint64_t off)
{
	if (m->base == NULL || off + len > m->len ||
	    off + len > atomic_load_explicit(&m->valid, memory_order_relaxed) ||
	    atomic_load_explicit(&m->off, memory_order_relaxed) ||
	    lfm__fileio() != &lfm__fileio_sys || !thread_may_copy())
		return LFM_MAPREAD_NO;
	enum lfm__mapread_rc rc = guarded_copy(dst, m->base + off, len);
	if (rc == LFM_MAPREAD_FAULT) {
		/* The file is shorter than we thought, or the page cannot be
		 * read: stop trying at this page until a pread shows more. */
		uint64_t v =
		    atomic_load_explicit(&m->valid, memory_order_relaxed);
		while (v > off && !atomic_compare_exchange_weak_explicit(
				      &m->valid, &v, off, memory_order_relaxed,
				      memory_order_relaxed))
			;
	}
	return rc;
}

void lfm__mapread_learn(struct lfm__mapread *m, uint64_t end)
{
	uint64_t v = atomic_load_explicit(&m->valid, memory_order_relaxed);
	while (v < end && !atomic_compare_exchange_weak_explicit(
			      &m->valid, &v, end, memory_order_relaxed,
			      memory_order_relaxed))
		;
}
