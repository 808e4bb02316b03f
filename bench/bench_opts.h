/*
 * bench_opts.h - the command line (bench_opts.c).
 */
#ifndef LFMPOOL_BENCH_OPTS_H
#define LFMPOOL_BENCH_OPTS_H

/* Fills opt (bench_state.h) from the command line; exits on a bad one. */
void parse_args(int argc, char **argv);

#endif /* LFMPOOL_BENCH_OPTS_H */
