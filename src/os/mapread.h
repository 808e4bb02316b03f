/*
 * mapread.h - misses served by copying the page from a read-only mapping of
 * its file instead of pread(2).
 *
 * Why: for a 4 KiB page in the page cache, pread costs about 830 ns on the
 * machines this was measured on and a memcpy from a MAP_SHARED mapping of
 * the same file about 310 ns (no system call; the page tables stay filled
 * once touched). Linux has one page cache, so the copy returns exactly the
 * bytes a pread at that moment would: our own pwrites, other processes'
 * writes and truncations are all seen the same way.
 *
 * The cost of mapping is SIGBUS: touching a mapped page past the end of the
 * file (someone truncated it) or one the kernel cannot read (a disk error)
 * raises it instead of returning an error. So every copy runs under a
 * guard: this module's SIGBUS handler, when the faulting thread is inside a
 * guarded copy and the address is in the range being copied, jumps back out
 * of the copy, and the caller then reads the page with pread, which says
 * what pread says (zeroes past the end, EIO for a bad sector). db_mpool(3)'s
 * errors stay return values. Any other SIGBUS goes to the handler that was
 * installed before ours, or takes the default action (the process dies as it
 * would have without us).
 *
 * The kernel turns a fault that the thread has blocked, or one under another
 * handler, into the default action, so every LFM_MAPREAD_RECHECK copies a
 * thread checks (two system calls, a fraction of a nanosecond a copy) that
 * SIGBUS is not blocked in it and that the pool's handler is still the
 * process's; until its next check a thread that fails preads. An
 * application that blocks SIGBUS in a thread, or replaces the handler, is
 * exposed only for that thread's copies before its next check, and only if
 * one of them faults; DB_NOMMAP turns mapped reads off altogether.
 *
 * One lfm__mapread per file slot per process (in lfm__pfile):
 *   base, len  written by the process's first attach of the slot, under
 *              struct lfm__pool.lock, before any handle of it is returned;
 * cleared at memp_close or when a temporary file's slot is released, when no
 * handle of it is open. Readers reach them through a handle, so plain fields
 * suffice (as for lfm__pfile.fd). valid      bytes of the file known to exist:
 * a copy is tried only when the page ends at or below it. A hint, not a
 * guarantee (the guard is the guarantee), so relaxed: raised to a page's end
 *              after a full pread of it (the file had that length then),
 *              lowered to the page's start after a fault. A stale value
 *              costs one fault or one pread, never a wrong byte.
 *   off        set (relaxed, never cleared) by a memp_fopen with DB_NOMMAP:
 *              no more copies from then on; the mapping stays until memp_close
 *              since a copy may be running.
 */
#ifndef LFM_MAPREAD_H
#define LFM_MAPREAD_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct lfm__mapread {
	const char *base; /* NULL: not mapped */
	uint64_t len;	  /* bytes mapped; may run past the end of the file */
	_Atomic uint64_t valid;
	_Atomic int off;
};

/* Copies a thread makes between checks of its signal mask and of the
 * process's SIGBUS handler (the first copy checks). */
#define LFM_MAPREAD_RECHECK 1024

enum lfm__mapread_rc {
	LFM_MAPREAD_COPIED, /* the page was copied from the mapping */
	LFM_MAPREAD_NO,	    /* not tried (see lfm__mapread_copy) */
	LFM_MAPREAD_FAULT   /* tried and faulted: read it with pread */
};

/* Maps file `fd`, of `size` bytes now, for mapped reads (PROT_READ,
 * MAP_SHARED), reserving room for it to grow. Failure (no address space,
 * a descriptor that cannot be mapped, the handler not installable) leaves
 * m unmapped: misses then use pread. */
void lfm__mapread_open(struct lfm__mapread *m, int fd, uint64_t size);

/* Unmaps; no copy from m may be running or start. */
void lfm__mapread_close(struct lfm__mapread *m);

/* Stops copies from m (DB_NOMMAP). */
void lfm__mapread_disable(struct lfm__mapread *m);

/* Copies `len` bytes at file offset `off` into dst, under the guard. NO
 * when m is unmapped or disabled, the range is not below `valid` or not
 * inside the mapping, the process's file I/O goes through a test table
 * (fileio.h: injected faults are pread's), or the thread's last check
 * found SIGBUS blocked or the pool's handler replaced. */
enum lfm__mapread_rc lfm__mapread_copy(struct lfm__mapread *m, void *dst,
				       size_t len, uint64_t off);

/* The file had at least `end` bytes a moment ago: raises `valid`. */
void lfm__mapread_learn(struct lfm__mapread *m, uint64_t end);

#endif
