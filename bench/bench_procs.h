/*
 * bench_procs.h - the processes mode (bench_procs.c): the hit path with
 * several processes sharing one pool, lfmpool against a shared Berkeley DB
 * 5.3 environment, through the same backends (bench.h) and crews
 * (bench_run.h) as the threads mode.
 */
#ifndef LFMPOOL_BENCH_PROCS_H
#define LFMPOOL_BENCH_PROCS_H

/* Runs the cells opt names and reports them: the exit status. */
int procs_main(void);

#endif /* LFMPOOL_BENCH_PROCS_H */
