/*
 * Unit tests of the owner-plain guard (src/region/tcguard.h): when owners
 * may change their own entry words by plain stores, and that a thief who
 * needs another thread's entry waits for an owner in the middle of such
 * a change instead of acting on the word under it.
 *
 * The region is the unit tests' private one (unit_region.h), 16 frames
 * of 4 KiB and 4 entries a handle.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "membarrier.h"
#include "region.h"
#include "tcache.h"
#include "tcguard.h"
#include "testpoint.h"
#include "unit_check.h"
#include "unit_region.h"

#define NENT 4u

static struct lfm__region_hdr *new_region(void)
{
	return unit_region(4, 4, NENT);
}

static uint32_t plain(struct lfm__handle *h)
{
	return atomic_load(&h->plain);
}

/* h's entry for f, made CACHED: inserted (its ghost first) and put. */
static struct lfm__tc_entry *cached_entry(struct lfm__region_hdr *rh,
					  struct lfm__handle *h,
					  struct lfm__frame *f, uint64_t tag)
{
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, lfm__frame_idx(rh, f));
	e->tag = tag; /* the ghost of a first use */
	if (lfm__tcache_insert(rh, h, f, tag, NULL) != LFM_PIN_OK ||
	    lfm__tcache_put(rh, h, f, 0, 0, 0, NULL) != 0)
		return NULL;
	return e;
}

/* The region says whether owners may be plain: private, and membarrier(2)
 * accepted (these machines accept it; elsewhere the rest is skipped). */
static int plain_allowed(struct lfm__region_hdr *rh)
{
	CHECK_EQ(rh->tc_plain_ok, lfm__membarrier_init() == 0);
	if (!rh->tc_plain_ok)
		fprintf(stderr, "  membarrier refused: owners stay on CAS\n");
	return rh->tc_plain_ok;
}

/* A handle claimed while no thief is about is plain at once (the claim
 * opens the guard); the first thief in forbids it to all and it stays
 * forbidden after the thief leaves, until two tries with no thief between
 * them; a release forbids it again, and a claim while a thief is inside
 * starts on the CAS protocol. */
static void test_open_arm_and_reopen(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	if (!plain_allowed(rh)) {
		lfm__region_destroy_private(rh);
		return;
	}
	struct lfm__handle *a = unit_claim(rh, 0x11), *b = unit_claim(rh, 0x22);
	REQUIRE(a != NULL && b != NULL);
	CHECK_EQ(plain(a), 1);
	CHECK_EQ(plain(b), 1);
	CHECK_EQ(lfm__tcguard_begin(a), 1);
	CHECK_EQ(atomic_load(&a->busy), 1);
	lfm__tcguard_done(a);
	CHECK_EQ(atomic_load(&a->busy), 0);

	lfm__tcguard_enter(rh);
	CHECK_EQ(plain(a), 0);
	CHECK_EQ(plain(b), 0);
	/* An owner now withdraws at once, announcing nothing. */
	CHECK_EQ(lfm__tcguard_begin(a), 0);
	CHECK_EQ(atomic_load(&a->busy), 0);
	lfm__tcguard_try_open(rh); /* a thief inside: stays shut */
	CHECK_EQ(plain(a), 0);
	lfm__tcguard_exit(rh);
	/* No thief entered since that try: the next one opens. */
	lfm__tcguard_try_open(rh);
	CHECK_EQ(plain(a), 1);

	lfm__tcguard_enter(rh); /* arms again */
	lfm__tcguard_exit(rh);
	CHECK_EQ(plain(a), 0);
	lfm__tcguard_try_open(rh); /* a thief came since the last try */
	CHECK_EQ(plain(a), 0);
	lfm__tcguard_enter(rh); /* another, the guard still armed */
	lfm__tcguard_exit(rh);
	lfm__tcguard_try_open(rh);
	CHECK_EQ(plain(a), 0);
	lfm__tcguard_try_open(rh); /* none since: opens */
	CHECK_EQ(plain(a), 1);
	CHECK_EQ(plain(b), 1);

	/* A handle given back is forbidden; claimed while a thief is inside,
	 * it starts shut, and opens with the others. */
	CHECK_EQ(lfm__tcache_release(rh, b, NULL), 0);
	CHECK_EQ(plain(b), 0);
	lfm__tcguard_enter(rh);
	struct lfm__handle *c = unit_claim(rh, 0x33);
	REQUIRE(c != NULL);
	CHECK_EQ(plain(c), 0);
	CHECK_EQ(plain(a), 0);
	lfm__tcguard_exit(rh);
	lfm__tcguard_try_open(rh);
	lfm__tcguard_try_open(rh);
	CHECK_EQ(plain(c), 1);
	CHECK_EQ(plain(a), 1);
	lfm__region_destroy_private(rh);
}

/* A region whose owners may never be plain (a shared one, or membarrier
 * refused): nothing opens, and thieves pass without arming. */
static void test_never_plain_stays_shut(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	rh->tc_plain_ok = 0;
	struct lfm__handle *a = unit_claim(rh, 0x11);
	REQUIRE(a != NULL);
	lfm__tcguard_try_open(rh);
	CHECK_EQ(plain(a), 0);
	CHECK_EQ(lfm__tcguard_begin(a), 0);
	lfm__tcguard_enter(rh);
	CHECK_EQ(atomic_load(&rh->tc_guard), 0);
	lfm__tcguard_exit(rh);
	lfm__tcguard_try_open(rh);
	lfm__tcguard_try_open(rh);
	CHECK_EQ(plain(a), 0);
	lfm__region_destroy_private(rh);
}

/* The owner-in-the-middle race, made to happen: the owner has announced
 * itself and loaded its CACHED word; a thief then wants the frame. */
struct mid_change {
	struct lfm__region_hdr *rh;
	struct lfm__frame *f;
	pthread_mutex_t m;
	pthread_cond_t cv;
	int waiting;	/* the thief reached the guard's wait */
	int done;	/* the thief's steal returned */
	uint32_t stole; /* what it returned */
};
static struct mid_change *mid;

static void on_point(uint32_t at, uint32_t arg)
{
	(void)arg;
	if (at != LFM_TEST_GUARD_WAIT || mid == NULL)
		return;
	pthread_mutex_lock(&mid->m);
	mid->waiting = 1;
	pthread_cond_broadcast(&mid->cv);
	pthread_mutex_unlock(&mid->m);
}

static void *thief(void *p)
{
	struct mid_change *x = p;
	uint32_t n = lfm__tcache_steal(x->rh, x->f, NULL);
	pthread_mutex_lock(&x->m);
	x->stole = n;
	x->done = 1;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->m);
	return NULL;
}

/* The thief must wait until the owner's plain pin is stored, then see the
 * entry HELD and leave it: had it emptied the entry and dropped its
 * SLOTREF under the owner, the owner's store would bring back a word
 * naming a frame nobody holds a reference on. */
static void test_thief_waits_for_owner_mid_change(void)
{
#ifdef NDEBUG
	fprintf(stderr, "  (needs the test points: not in NDEBUG builds)\n");
#else
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	if (!plain_allowed(rh)) {
		lfm__region_destroy_private(rh);
		return;
	}
	uint64_t tag = lfm__tag(0, 9);
	struct lfm__frame *f = unit_valid_frame(rh, tag);
	struct lfm__handle *h = unit_claim(rh, 0x11);
	REQUIRE(f != NULL && h != NULL);
	struct lfm__tc_entry *e = cached_entry(rh, h, f, tag);
	REQUIRE(e != NULL);
	lfm__tcguard_try_open(rh);
	REQUIRE(plain(h) == 1);

	struct mid_change x = {.rh = rh, .f = f};
	pthread_mutex_init(&x.m, NULL);
	pthread_cond_init(&x.cv, NULL);
	mid = &x;
	lfm__test_hook_set(on_point);

	/* The owner, as the hit path: announce, load, (thief), store. */
	REQUIRE(lfm__tcguard_begin(h) == 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	CHECK_EQ(lfm__tc_count(w), 0);
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, thief, &x) == 0);
	pthread_mutex_lock(&x.m);
	while (!x.waiting && !x.done)
		pthread_cond_wait(&x.cv, &x.m);
	int finished_under_owner = x.done;
	pthread_mutex_unlock(&x.m);
	CHECK_EQ(finished_under_owner, 0);
	atomic_store_explicit(&e->word, (w + LFM_TC_PIN_USE) | LFM_TC_REF,
			      memory_order_relaxed);
	lfm__tcguard_done(h);
	pthread_join(th, NULL);
	lfm__test_hook_set(NULL);
	mid = NULL;

	CHECK_EQ(x.stole, 0); /* HELD when it looked */
	uint64_t now = atomic_load(&e->word);
	CHECK_EQ(lfm__tc_frame(now), lfm__frame_idx(rh, f) + 1);
	CHECK_EQ(lfm__tc_count(now), 1);
	CHECK_EQ(lfm__st_slotref(atomic_load(&f->state)), 1);
	/* The pin put back (the guard is armed now: by CAS), the entry is
	 * CACHED and a thief takes it. */
	CHECK_EQ(lfm__tcguard_begin(h), 0);
	CHECK_EQ(lfm__tcache_put(rh, h, f, 0, 0, 0, NULL), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1);
	CHECK_EQ(lfm__st_slotref(atomic_load(&f->state)), 0);
	pthread_cond_destroy(&x.cv);
	pthread_mutex_destroy(&x.m);
	lfm__region_destroy_private(rh);
#endif
}

int main(void)
{
	RUN(test_open_arm_and_reopen);
	RUN(test_never_plain_stays_shut);
	RUN(test_thief_waits_for_owner_mid_change);
	UNIT_MAIN_END("tcguard");
}
