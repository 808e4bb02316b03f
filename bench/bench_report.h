/*
 * bench_report.h - the Markdown report on stdout (bench_report.c), from the
 * options and results in bench_state.h.
 */
#ifndef LFMPOOL_BENCH_REPORT_H
#define LFMPOOL_BENCH_REPORT_H

void print_header(void);
void print_report(void);
/* --data: the medians, minimum and maximum per cell and system as a
 * tab-separated table (bench/plot.sh draws it); dies on an error. */
void write_data(const char *path);
/* The lfmpool flushers' number that the default (-1) gives here. */
int lfm_default_flushers(void);

#endif /* LFMPOOL_BENCH_REPORT_H */
