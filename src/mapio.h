/*
 * mapio.h - pages read and written by copying them from and to a mapping of
 * their file instead of pread(2) and pwrite(2).
 *
 * Why: for a 4 KiB page in the page cache, pread costs about 830 ns on the
 * machines this was measured on and a memcpy from a MAP_SHARED mapping of
 * the same file about 310 ns (no system call; the page tables stay filled
 * once touched). pwrite costs 2.4 us, and 7.5 us when the page cache holds
 * the file in large folios (ext4 walks the folio's buffers on every write),
 * against 0.6 us for a memcpy into the mapping, its write faults included.
 * Linux has one page cache, so a copy from the mapping returns exactly the
 * bytes a pread at that moment would, and a copy to it changes exactly what
 * a pwrite would: fdatasync writes both to the disk alike, other processes
 * see both alike.
 *
 * The cost of mapping is SIGBUS: touching a mapped page past the end of the
 * file (someone truncated it), one the kernel cannot read (a disk error) or,
 * for a write, one it cannot allocate blocks for (ENOSPC, EDQUOT) raises it
 * instead of returning an error. So every copy runs under a guard: this
 * module's SIGBUS handler, when the faulting thread is inside a guarded copy
 * and the address is in the mapped range being copied, jumps back out of
 * the copy, and the caller then uses pread or pwrite, which say what they
 * say (zeroes past the end, EIO, ENOSPC; pwrite extends the file). A write
 * that faulted may have changed the page's first bytes in the page cache;
 * the pwrite that follows rewrites the whole page, or fails and leaves the
 * frame dirty, as a short pwrite would. db_mpool(3)'s errors stay return
 * values. Any other SIGBUS goes to the handler that was installed before
 * ours, or takes the default action (the process dies as it would have
 * without us).
 *
 * The kernel turns a fault that the thread has blocked, or one under another
 * handler, into the default action, so every LFM_MAPIO_RECHECK copies a
 * thread checks (two system calls, a fraction of a nanosecond a copy) that
 * SIGBUS is not blocked in it and that the pool's handler is still the
 * process's; until its next check a thread that fails uses the system
 * calls. An application that blocks SIGBUS in a thread, or replaces the
 * handler, is exposed only for that thread's copies before its next check,
 * and only if one of them faults; DB_NOMMAP turns mapped I/O off altogether.
 *
 * One lfm__mapio per file slot per process (in lfm__pfile):
 *   base, len,  written by the process's first attach of the slot, under
 *   writable    DB_MPOOL.lock, before any handle of it is returned; cleared
 *               at memp_close or when a temporary file's slot is released,
 *               when no handle of it is open. Readers reach them through a
 *               handle, so plain fields suffice (as for lfm__pfile.fd).
 *               Writable when that attach's descriptor was read-write;
 *               otherwise writes use pwrite.
 *   valid       bytes of the file known to exist: a copy is tried only when
 *               the page ends at or below it. A hint, not a guarantee (the
 *               guard is the guarantee), so relaxed: raised to a page's end
 *               after a full pread or a pwrite of it (the file had that
 *               length then), lowered to the page's start after a fault. A
 *               stale value costs one fault or one system call, never a
 *               wrong byte. Writes past it (appended pages) use pwrite, which
 *               extends the file.
 *   off         set (relaxed, never cleared) by a memp_fopen with DB_NOMMAP:
 *               no more copies from then on; the mapping stays until
 *               memp_close since a copy may be running.
 *
 * Ordering of the bytes: a copy reads or writes memory that other threads
 * copy too, so it needs the order pread and pwrite needed, which the pool
 * already gives (protocol rules 4, 7, 23): a page is written only under its
 * frame's EXCL, and the frame is unlinked from its chain only after the
 * write, under the bucket lock; a page is read from the file only by the
 * filler of a new frame for it, after confirming the miss under that same
 * lock. So a read of a page happens after the last write of it.
 */
#ifndef LFM_MAPIO_H
#define LFM_MAPIO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct lfm__mapio {
	const char *base; /* NULL: not mapped */
	uint64_t len;	  /* bytes mapped; may run past the end of the file */
	int writable;	  /* mapped PROT_WRITE too (fd was read-write) */
	_Atomic uint64_t valid;
	_Atomic int off;
};

/* Copies a thread makes between checks of its signal mask and of the
 * process's SIGBUS handler (the first copy checks). */
#define LFM_MAPIO_RECHECK 1024

enum lfm__mapio_rc {
	LFM_MAPIO_COPIED, /* copied from or to the mapping */
	LFM_MAPIO_NO,	  /* not tried (see lfm__mapio_read) */
	LFM_MAPIO_FAULT	  /* tried and faulted: use pread or pwrite */
};

/* Maps file `fd`, of `size` bytes now (MAP_SHARED; PROT_WRITE too if fd is
 * read-write), reserving room for it to grow. Failure (no address space,
 * a descriptor that cannot be mapped, the handler not installable) leaves
 * m unmapped: pages then go through pread and pwrite. */
void lfm__mapio_open(struct lfm__mapio *m, int fd, uint64_t size);

/* Unmaps; no copy from m may be running or start. */
void lfm__mapio_close(struct lfm__mapio *m);

/* Stops copies from m (DB_NOMMAP). */
void lfm__mapio_disable(struct lfm__mapio *m);

/* Copies `len` bytes at file offset `off` into dst, under the guard. NO
 * when m is unmapped or disabled, the range is not below `valid` or not
 * inside the mapping, the process's file I/O goes through a test table
 * (fileio.h: injected faults are pread's), or the thread's last check
 * found SIGBUS blocked or the pool's handler replaced. */
enum lfm__mapio_rc lfm__mapio_read(struct lfm__mapio *m, void *dst, size_t len,
				   uint64_t off);

/* Copies `len` bytes from src to file offset `off` through the mapping,
 * under the guard. NO as for lfm__mapio_read, or when the mapping is
 * read-only. */
enum lfm__mapio_rc lfm__mapio_write(struct lfm__mapio *m, uint64_t off,
				    const void *src, size_t len);

/* The file had at least `end` bytes a moment ago: raises `valid`. */
void lfm__mapio_learn(struct lfm__mapio *m, uint64_t end);

#endif
