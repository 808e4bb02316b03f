/*
 * unit_clock_test.c - what the CLOCK hand does in an elastic (mpool(3))
 * pool, observed through the hand itself: CLOCK's hand (lfm__clock_hand) moves
 * only when a sweep runs, so its position says how much work a get or put
 * did, without timing anything.
 *
 * Over budget (more pages pinned than maxcache) every unpinned frame was
 * evicted at its put, so a put evicts the frame it released instead of
 * sweeping for it, and a miss takes the frame the last put left free, or
 * grows: the hand must not move at all. At the budget with every frame
 * pinned, the first miss sweeps one turn (no candidate seen) and grows;
 * after that each miss takes the frame the previous put shed, so the hand
 * stays where that turn left it.
 */
#include "unit_check.h"

#include "getput.h"
#include "policy.h"
#include "pool.h"
#include "region.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PS	 4096
#define NPAGES	 256
#define MAXCACHE 16

static char path[512];

static void make_file(void)
{
	const char *base = getenv("TEST_TMPDIR");
	snprintf(path, sizeof(path), "%s/unit_clock.%d.db",
		 base ? base : "/tmp", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	unsigned char page[PS];
	for (uint32_t p = 0; p < NPAGES; p++) {
		memset(page, 0, sizeof(page));
		memcpy(page, &p, sizeof(p));
		if (pwrite(fd, page, PS, (off_t)p * PS) != PS)
			abort();
	}
	close(fd);
}

/* A private elastic pool as mpool_open makes it, with no flushers (they
 * would not move the hand, but nothing else should run either). */
static int open_pool(struct lfm__pool **mp, struct lfm__fh **mpf)
{
	struct lfm__region_geom g = {
	    .cache_bytes = (uint64_t)PS * MAXCACHE,
	    .nfiles_max = 1,
	    .nhandles = LFM_NHANDLES,
	    .elastic = 1,
	    .max_resident = MAXCACHE,
	    .extra_bytes = (uint64_t)PS * 256,
	};
	static const struct lfm__calls calls = {0}; /* no pgin, pgout, log */
	struct lfm__pool_opts o = {.calls = &calls};
	int rc = lfm__pool_open_region(NULL, &g, &o, mp);
	if (rc == 0) {
		struct lfm__attach a = {
		    .name = path, .pagesize = PS, .lsn_offset = -1};
		int fd = open(path, O_RDWR);
		rc = fd < 0 ? errno : lfm__file_attach(*mp, fd, &a, mpf);
	}
	return rc;
}

static uint64_t hand(struct lfm__pool *mp)
{
	return lfm__clock_hand(mp->rh);
}

static uint32_t resident(struct lfm__pool *mp)
{
	return atomic_load_explicit(&mp->rh->resident, memory_order_relaxed);
}

/* Gets page p (checking its number) and returns it, or NULL. */
static void *get(struct lfm__fh *mpf, uint32_t p)
{
	uint32_t pgno = p;
	void *page = NULL;
	if (lfm__buf_get(mpf, &pgno, 0, &page) != 0)
		return NULL;
	uint32_t seen;
	memcpy(&seen, page, sizeof(seen));
	return seen == p ? page : NULL;
}

/* Pins `held` pages (0 .. held-1), then gets and puts each of pages
 * held .. held+rounds-1 once (all misses); returns how far the hand moved
 * during the rounds, and leaves the pins held in pins[]. */
static uint64_t rounds_past(struct lfm__pool *mp, struct lfm__fh *mpf,
			    void **pins, uint32_t held, uint32_t rounds,
			    int *ok)
{
	*ok = 1;
	for (uint32_t p = 0; p < held; p++)
		if ((pins[p] = get(mpf, p)) == NULL)
			*ok = 0;
	uint64_t h0 = hand(mp);
	for (uint32_t p = held; p < held + rounds; p++) {
		void *page = get(mpf, p);
		if (page == NULL || lfm__buf_put(mpf, page, 0) != 0)
			*ok = 0;
	}
	return hand(mp) - h0;
}

static void test_over_budget_get_put_never_sweep(void)
{
	struct lfm__pool *mp = NULL;
	struct lfm__fh *mpf = NULL;
	REQUIRE(open_pool(&mp, &mpf) == 0);
	void *pins[MAXCACHE + 4];
	int ok;
	uint64_t moved = rounds_past(mp, mpf, pins, MAXCACHE + 4, 100, &ok);
	CHECK(ok);
	CHECK_EQ(moved, 0);
	/* Each round's page went at its put: only the pinned ones stay. */
	CHECK_EQ(resident(mp), MAXCACHE + 4);
	for (uint32_t p = 0; p < MAXCACHE + 4; p++)
		CHECK(pins[p] != NULL && lfm__buf_put(mpf, pins[p], 0) == 0);
	/* Unpinned, the pool is back within maxcache. */
	CHECK_EQ(resident(mp), MAXCACHE);
	/* And the pages kept are usable: every page still reads right. */
	for (uint32_t p = 0; p < NPAGES; p++) {
		void *page = get(mpf, p);
		CHECK(page != NULL);
		if (page != NULL)
			CHECK(lfm__buf_put(mpf, page, 0) == 0);
	}
	CHECK(resident(mp) <= MAXCACHE);
	lfm__file_detach(mpf);
	lfm__pool_close(mp);
}

static void test_at_budget_all_pinned_one_turn(void)
{
	struct lfm__pool *mp = NULL;
	struct lfm__fh *mpf = NULL;
	REQUIRE(open_pool(&mp, &mpf) == 0);
	void *pins[MAXCACHE];
	int ok;
	const uint32_t rounds = 50;
	uint64_t moved = rounds_past(mp, mpf, pins, MAXCACHE, rounds, &ok);
	CHECK(ok);
	/* One turn over the frame descriptors (the chunk's, reserve
	 * included), plus the rest of the hand's batch of 8, in all. */
	uint64_t nframes = atomic_load(&mp->rh->nframes);
	CHECK(moved <= nframes + 8);
	CHECK(moved > 0); /* the first miss at the budget does sweep */
	CHECK_EQ(resident(mp), MAXCACHE);
	for (uint32_t p = 0; p < MAXCACHE; p++)
		CHECK(pins[p] != NULL && lfm__buf_put(mpf, pins[p], 0) == 0);
	lfm__file_detach(mpf);
	lfm__pool_close(mp);
}

int main(void)
{
	make_file();
	RUN(test_over_budget_get_put_never_sweep);
	RUN(test_at_budget_all_pinned_one_turn);
	unlink(path);
	UNIT_MAIN_END("clock");
}
