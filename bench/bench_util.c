/* bench_util.c - helpers shared by the benchmark drivers (bench_util.h). */
#include "bench_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

int bench_pread_full(int fd, unsigned char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* "42 s" under two minutes, "3 min 05 s" above. */
static void fmt_duration(char *buf, size_t len, double secs)
{
	long s = secs < 0 ? 0 : (long)(secs + 0.5);

	if (s < 120)
		snprintf(buf, len, "%ld s", s);
	else
		snprintf(buf, len, "%ld min %02ld s", s / 60, s % 60);
}

void bench_progress(const char *prog, int i, int n, const char *what,
		    double elapsed, double left)
{
	char e[32], l[32];

	fmt_duration(e, sizeof(e), elapsed);
	if (left < 0)
		snprintf(l, sizeof(l), "?");
	else
		fmt_duration(l, sizeof(l), left);
	fprintf(stderr, "%s: cell %d/%d done: %s; elapsed %s, ~%s left\n", prog,
		i, n, what, e, l);
}

FILE *bench_data_open(const char *path, const char *what, const char *date,
		      const char *machine, int runs, double seconds,
		      const char *columns)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return NULL;
	fprintf(f, "# %s\n# date: %s\n# machine: %s\n", what, date, machine);
	fprintf(f, "# runs: %d run%s of %.2f s per system and cell\n", runs,
		runs > 1 ? "s" : "", seconds);
	fprintf(f, "%s\n", columns);
	return f;
}
