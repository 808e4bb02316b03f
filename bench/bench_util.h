/* bench_util.h - what every benchmark binary shares: random numbers
 * (splitmix64 seeds xoshiro256**, one generator per thread), the clock,
 * data files, medians. */
#ifndef LFM_BENCH_UTIL_H
#define LFM_BENCH_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Writes `pages` pages of `pagesize` bytes to fd, page p holding its
 * number at offset 0 and its low byte everywhere else: 0 or an errno. */
static inline int bench_fill(int fd, uint32_t pagesize, uint32_t pages)
{
	const uint32_t per = 64;
	unsigned char *buf = malloc((size_t)per * pagesize);
	int err = buf == NULL ? ENOMEM : 0;

	for (uint32_t pg = 0; pg < pages && err == 0; pg += per) {
		size_t n = (size_t)(pages - pg < per ? pages - pg : per);

		for (uint32_t k = 0; k < n; k++) {
			uint32_t pgno = pg + k;

			memset(buf + k * pagesize, (int)(pgno & 0xff),
			       pagesize);
			memcpy(buf + k * pagesize, &pgno, sizeof(pgno));
		}
		if (pwrite(fd, buf, n * pagesize, (off_t)pg * pagesize) !=
		    (ssize_t)(n * pagesize))
			err = errno != 0 ? errno : EIO;
	}
	free(buf);
	return err;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n-1] (n > 0), sorting v in place. */
static inline double median_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
