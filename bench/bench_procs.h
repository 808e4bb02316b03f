/*
 * bench_procs.h - the interface between the multi-process hit-path
 * benchmark (bench_procs.c) and the two shared pools it compares.
 *
 * lfmpool's <db_mpool.h> and Berkeley DB's <db.h> both define DB_ENV, DBT
 * and friends, so each system lives in its own translation unit
 * (bench_procs_lfm.c, bench_procs_bdb.c) and the driver sees only this
 * header. Unlike bench.h (private pools, one process), a pool here lives in
 * a directory: one process creates it, others join it, each with its own
 * handle.
 */
#ifndef LFMPOOL_BENCH_PROCS_H
#define LFMPOOL_BENCH_PROCS_H

#include <stddef.h>
#include <stdint.h>

#define PROCS_PAGE_SIZE 4096u

/* One process's handle on a shared pool with one open file. */
typedef struct procs_pool procs_pool;

struct procs_sys {
	const char *name;	      /* as printed: "lfmpool", "BDB 5.3" */
	const char *(*version)(void); /* the library's own version string */
	/*
	 * Create a shared pool (cache of `cache_bytes`) in the empty
	 * directory `home`, thread-safe, and open the existing file `path`
	 * (of 4 KiB pages) in it. 0 or an error code for ->strerror.
	 */
	int (*create)(const char *home, const char *path, size_t cache_bytes,
		      procs_pool **out);
	/* Join the pool another process created in `home` (no create flag)
	 * with a handle of this process's own, and open `path` in it. */
	int (*join)(const char *home, const char *path, size_t cache_bytes,
		    procs_pool **out);
	/* Pin page `pgno` read-only; unpin it. Any number of threads. */
	int (*get)(procs_pool *pp, uint32_t pgno, void **page);
	int (*put)(procs_pool *pp, void *page);
	/* The pool-wide miss count and the pages held now. */
	int (*stats)(procs_pool *pp, uint64_t *misses, uint64_t *pages);
	int (*close)(procs_pool *pp);
	/* Remove every file the pool put in `home` (forcibly: also when a
	 * handle is still open, or a process died holding one). */
	int (*remove)(const char *home);
	const char *(*strerror)(int err);
};

extern const struct procs_sys procs_lfm_sys;
extern const struct procs_sys procs_bdb_sys;

/* ------------------------------------------------------------------ */
/* A worker process (bench_procs_child.c) and its messages: one write of
 * at most PIPE_BUF bytes each, to the pipe its parent reads.           */

#define PROCS_MAX_THREADS 16

enum { PROCS_MSG_READY = 1, PROCS_MSG_RESULT, PROCS_MSG_ERROR };

struct procs_msg {
	int kind;
	uint64_t ops;	 /* RESULT: gets (each with its put) in `secs` */
	uint64_t minflt; /* RESULT: minor page faults in the timed phase */
	double secs;
	char text[200]; /* ERROR: what went wrong */
};

struct procs_child_args {
	const struct procs_sys *sys;
	const char *home, *path; /* the pool's directory, the data file */
	size_t cache_bytes;
	double seconds; /* the timed phase */
	uint32_t range; /* pages drawn uniformly from [0, range) */
	int warm;	/* get/put [0, range) once before READY */
	int nthreads;
	uint64_t seed; /* thread i uses seed + i */
	int go_fd;     /* read end: its end of file starts the timed phase */
	int out_fd;    /* write end: READY, then RESULT or ERROR */
};

/* Joins the pool (sys->join), warms up, starts the threads, sends READY,
 * waits for the go pipe's end of file, runs, sends RESULT (or ERROR at
 * any point) and _exits: 0 after a RESULT, 1 otherwise. */
_Noreturn void procs_child_main(const struct procs_child_args *a);

/* CLOCK_MONOTONIC in seconds. */
double procs_now(void);

#endif /* LFMPOOL_BENCH_PROCS_H */
