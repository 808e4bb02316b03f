/* cold_bdb.c - Berkeley DB 5.3's side of the cold-storage benchmark
 * (cold.c): uniform random gets through a private environment's pool.
 * Its own file: BDB's db.h and lfmpool's db_mpool.h cannot meet. */
#include <db.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

double cold_bdb_gets(const char *path, size_t pool_bytes, uint32_t npages,
		     double seconds, uint64_t seed);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double cold_bdb_gets(const char *path, size_t pool_bytes, uint32_t npages,
		     double seconds, uint64_t seed)
{
	DB_ENV *env;
	DB_MPOOLFILE *mpf;
	uint64_t n = 0;
	if (db_env_create(&env, 0) != 0 ||
	    env->set_cachesize(env, 0, (u_int32_t)pool_bytes, 1) != 0 ||
	    env->open(env, NULL, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0) ||
	    env->memp_fcreate(env, &mpf, 0) != 0 ||
	    mpf->open(mpf, path, 0, 0, 4096) != 0) {
		fprintf(stderr, "cold: BDB 5.3 would not open %s\n", path);
		return 0;
	}
	double t0 = now(), t = t0;
	while (t - t0 < seconds) {
		for (int i = 0; i < 64; i++, n++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			db_pgno_t pg = (db_pgno_t)((seed >> 33) % npages);
			void *p;
			if (mpf->get(mpf, &pg, NULL, 0, &p) != 0)
				return 0;
			(void)*(volatile char *)p;
			mpf->put(mpf, p, DB_PRIORITY_UNCHANGED, 0);
		}
		t = now();
	}
	mpf->close(mpf, 0);
	env->close(env, 0);
	return n / (t - t0);
}
