/*
 * bench_dist.c - Zipf(ZIPF_THETA) over FILE_PAGES pages: Walker's alias
 * table (Vose's build), one 64-bit draw per sample: the high half picks a
 * column, the low half decides between the column and its alias.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench_dist.h"

uint32_t zipf_prob[FILE_PAGES]; /* keep column if low32 < prob */
uint32_t zipf_alias[FILE_PAGES];
static double zipf_p[FILE_PAGES]; /* exact probabilities */

void zipf_build(void)
{
	static double q[FILE_PAGES];
	static uint32_t small[FILE_PAGES], large[FILE_PAGES];
	const uint32_t n = FILE_PAGES;
	uint32_t ns = 0, nl = 0;
	double zeta = 0;

	for (uint32_t i = 0; i < n; i++)
		zeta += 1.0 / pow((double)(i + 1), ZIPF_THETA);
	for (uint32_t i = 0; i < n; i++) {
		zipf_p[i] = 1.0 / pow((double)(i + 1), ZIPF_THETA) / zeta;
		q[i] = zipf_p[i] * n;
		zipf_alias[i] = i;
		if (q[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		uint32_t s = small[--ns], l = large[nl - 1];

		long long fixed = llround(q[s] * 4294967296.0);

		zipf_prob[s] = fixed > (long long)UINT32_MAX ? UINT32_MAX
							     : (uint32_t)fixed;
		zipf_alias[s] = l;
		q[l] -= 1.0 - q[s];
		if (q[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	/* What is left has probability 1 (up to rounding). */
	while (nl > 0)
		zipf_prob[large[--nl]] = UINT32_MAX;
	while (ns > 0)
		zipf_prob[small[--ns]] = UINT32_MAX;
}

/* The table must give back the distribution it was built from. */
int zipf_check(void)
{
	static double got[FILE_PAGES];
	const double n = FILE_PAGES;
	double worst = 0, total = 0;

	memset(got, 0, sizeof(got));
	for (uint32_t i = 0; i < FILE_PAGES; i++) {
		double keep = zipf_prob[i] == UINT32_MAX
				  ? 1.0
				  : zipf_prob[i] / 4294967296.0;

		got[i] += keep / n;
		got[zipf_alias[i]] += (1.0 - keep) / n;
	}
	for (uint32_t i = 0; i < FILE_PAGES; i++) {
		double e = fabs(got[i] - zipf_p[i]) / zipf_p[i];

		total += got[i];
		if (e > worst)
			worst = e;
	}
	if (worst > 1e-6 || fabs(total - 1.0) > 1e-9) {
		fprintf(
		    stderr,
		    "mpool_bench: Zipf table is wrong (worst relative error "
		    "%g, total %.12f)\n",
		    worst, total);
		return -1;
	}
	return 0;
}
