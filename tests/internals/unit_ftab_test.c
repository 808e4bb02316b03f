/*
 * Unit tests of the frame table chains (src/region/ftab.h, ftab.c): link
 * (at the tail), lock-free find with its `examined` count, unlink of
 * head / middle / tail / absent frames. One thread; link and unlink under the
 * bucket lock as the contract asks.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "ftab.h"
#include "hash.h"
#include "region.h"
#include "unit_check.h"
#include "unit_region.h"

#define T1	 0x0000000100000001ull
#define T2	 0x0000000100000002ull
#define T3	 0x0000000200000003ull
#define T_ABSENT 0x0000000300000004ull

struct fixture {
	struct lfm__region_hdr *rh;
	struct lfm__bucket *b;
	struct lfm__frame *f1, *f2, *f3;
};

static struct lfm__region_hdr *new_region(void)
{
	return unit_region(4, 4, 0);
}

static void link_locked(struct fixture *x, struct lfm__frame *f)
{
	lfm__mutex_lock_ranked(&x->b->lock, 0, LFM_RANK_BUCKET);
	lfm__ftab_link(x->rh, x->b, f);
	lfm__mutex_unlock_ranked(&x->b->lock);
}

static void unlink_locked(struct fixture *x, struct lfm__frame *f)
{
	lfm__mutex_lock_ranked(&x->b->lock, 0, LFM_RANK_BUCKET);
	lfm__ftab_unlink(x->rh, x->b, f);
	lfm__mutex_unlock_ranked(&x->b->lock);
}

/* Three carved frames tagged T1..T3 (tags set under their carve EXCL),
 * linked in order f1, f2, f3 into one bucket, each at the tail: chain
 * f1 -> f2 -> f3. */
static int setup(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	x->rh = new_region();
	if (x->rh == NULL)
		return -1;
	int64_t i1 = lfm__region_carve(x->rh, 4096, 0);
	int64_t i2 = lfm__region_carve(x->rh, 4096, 0);
	int64_t i3 = lfm__region_carve(x->rh, 4096, 0);
	if (i1 < 0 || i2 < 0 || i3 < 0)
		return -1;
	struct lfm__frame *fr = lfm__frames(x->rh);
	x->f1 = &fr[i1];
	x->f2 = &fr[i2];
	x->f3 = &fr[i3];
	atomic_store(&x->f1->tag, T1);
	atomic_store(&x->f2->tag, T2);
	atomic_store(&x->f3->tag, T3);
	/* All in T1's bucket, whatever the hashes of T2 and T3: find walks
	 * the bucket it is given. */
	x->b = lfm__ftab_bucket(x->rh, T1);
	link_locked(x, x->f1);
	link_locked(x, x->f2);
	link_locked(x, x->f3);
	return 0;
}

static void teardown(struct fixture *x)
{
	if (x->rh != NULL)
		lfm__region_destroy_private(x->rh);
}

static uint32_t idx1(struct fixture *x, struct lfm__frame *f)
{
	return lfm__frame_idx(x->rh, f) + 1;
}

/* find(tag) -> expected frame (NULL: absent) after exactly `n` frames. */
#define CHECK_FIND(x, tag, expect, n)                                          \
	do {                                                                   \
		uint32_t ex_ = 0;                                              \
		CHECK(lfm__ftab_find((x)->rh, (x)->b, (tag), &ex_) ==          \
		      (expect));                                               \
		CHECK_EQ(ex_, (n));                                            \
	} while (0)

static void test_bucket_of_tag(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	const uint64_t tags[] = {T1, T2, T3, T_ABSENT, lfm__tag(0, 0)};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct lfm__bucket *b = lfm__ftab_bucket(rh, tags[i]);
		CHECK(b ==
		      &lfm__buckets(
			  rh)[lfm__hash_bucket(tags[i], rh->bucket_shift)]);
		CHECK(b >= lfm__buckets(rh) &&
		      b < lfm__buckets(rh) + rh->nbuckets);
		CHECK_EQ(atomic_load(&b->head), LFM_NIL);
	}
	/* An empty bucket: nothing found, nothing examined. */
	uint32_t ex = 0;
	CHECK(lfm__ftab_find(rh, lfm__ftab_bucket(rh, T1), T1, &ex) == NULL);
	CHECK_EQ(ex, 0);
	lfm__region_destroy_private(rh);
}

static void test_link_and_find(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f1));
	CHECK_EQ(atomic_load(&x.f1->next), idx1(&x, x.f2));
	CHECK_EQ(atomic_load(&x.f2->next), idx1(&x, x.f3));
	CHECK_EQ(atomic_load(&x.f3->next), LFM_NIL);
	CHECK_FIND(&x, T1, x.f1, 1);
	CHECK_FIND(&x, T2, x.f2, 2);
	CHECK_FIND(&x, T3, x.f3, 3);
	CHECK_FIND(&x, T_ABSENT, NULL, 3);
	CHECK_FIND(&x, 0, NULL, 3); /* tag 0 is no page */
	/* `examined` accumulates across calls. */
	uint32_t ex = 10;
	CHECK(lfm__ftab_find(x.rh, x.b, T3, &ex) == x.f3);
	CHECK_EQ(ex, 13);
	/* Linking touches no state word. */
	CHECK_EQ(atomic_load(&x.f1->state), LFM_F_EXCL);
	teardown(&x);
}

static void test_unlink_middle(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	unlink_locked(&x, x.f2);
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f1));
	CHECK_EQ(atomic_load(&x.f1->next), idx1(&x, x.f3));
	/* f2 keeps its next: a walker standing on it reaches the rest. */
	CHECK_EQ(atomic_load(&x.f2->next), idx1(&x, x.f3));
	CHECK_FIND(&x, T1, x.f1, 1);
	CHECK_FIND(&x, T3, x.f3, 2);
	CHECK_FIND(&x, T2, NULL, 2);
	teardown(&x);
}

static void test_unlink_head(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	unlink_locked(&x, x.f1);
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f2));
	CHECK_FIND(&x, T2, x.f2, 1);
	CHECK_FIND(&x, T3, x.f3, 2);
	CHECK_FIND(&x, T1, NULL, 2);
	teardown(&x);
}

static void test_unlink_tail(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	unlink_locked(&x, x.f3);
	CHECK_EQ(atomic_load(&x.f2->next), LFM_NIL);
	CHECK_FIND(&x, T1, x.f1, 1);
	CHECK_FIND(&x, T2, x.f2, 2);
	CHECK_FIND(&x, T3, NULL, 2);
	teardown(&x);
}

static void test_unlink_all_then_relink(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	unlink_locked(&x, x.f2);
	unlink_locked(&x, x.f3);
	unlink_locked(&x, x.f1);
	CHECK_EQ(atomic_load(&x.b->head), LFM_NIL);
	CHECK_FIND(&x, T1, NULL, 0);
	/* An unlinked frame can be linked again (evict, then refill). */
	atomic_store(&x.f2->tag, T_ABSENT);
	link_locked(&x, x.f2);
	CHECK_EQ(atomic_load(&x.f2->next), LFM_NIL);
	CHECK_FIND(&x, T_ABSENT, x.f2, 1);
	CHECK_FIND(&x, T2, NULL, 1);
	teardown(&x);
}

static void test_unlink_absent_is_noop(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	int64_t i4 = lfm__region_carve(x.rh, 4096, 0);
	REQUIRE(i4 >= 0);
	struct lfm__frame *f4 = &lfm__frames(x.rh)[i4];
	atomic_store(&f4->tag, T_ABSENT);
	unlink_locked(&x, f4);
	/* Twice the same frame: the second is absent. */
	unlink_locked(&x, x.f2);
	unlink_locked(&x, x.f2);
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f1));
	CHECK_EQ(atomic_load(&x.f1->next), idx1(&x, x.f3));
	CHECK_EQ(atomic_load(&x.f3->next), LFM_NIL);
	CHECK_FIND(&x, T1, x.f1, 1);
	CHECK_FIND(&x, T3, x.f3, 2);
	/* Unlinking from another (empty) bucket leaves this one alone. */
	struct lfm__bucket *other = &lfm__buckets(x.rh)[0];
	if (other == x.b)
		other = &lfm__buckets(x.rh)[1];
	REQUIRE(x.rh->nbuckets > 1);
	lfm__mutex_lock_ranked(&other->lock, 0, LFM_RANK_BUCKET);
	lfm__ftab_unlink(x.rh, other, x.f1);
	lfm__mutex_unlock_ranked(&other->lock);
	CHECK_EQ(atomic_load(&other->head), LFM_NIL);
	CHECK_FIND(&x, T1, x.f1, 1);
	teardown(&x);
}

/* A frame stays where it was linked while others come and go after it
 * (the hit path looks at the head first: hit.c); one unlinked and linked
 * again goes to the tail. */
static void test_resident_keeps_its_place(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	for (int i = 0; i < 3; i++) {
		unlink_locked(&x, x.f2);
		link_locked(&x, x.f2);
		unlink_locked(&x, x.f3);
		link_locked(&x, x.f3);
	}
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f1));
	CHECK_FIND(&x, T1, x.f1, 1);
	CHECK_FIND(&x, T2, x.f2, 2);
	CHECK_FIND(&x, T3, x.f3, 3);
	unlink_locked(&x, x.f1);
	link_locked(&x, x.f1);
	CHECK_EQ(atomic_load(&x.b->head), idx1(&x, x.f2));
	CHECK_EQ(atomic_load(&x.f2->next), idx1(&x, x.f3));
	CHECK_EQ(atomic_load(&x.f3->next), idx1(&x, x.f1));
	CHECK_EQ(atomic_load(&x.f1->next), LFM_NIL);
	CHECK_FIND(&x, T1, x.f1, 3);
	teardown(&x);
}

/* Walks are bounded by the frame count even on a (corrupt) cycle. */
static void test_find_bounded_on_cycle(void)
{
	struct fixture x;
	if (setup(&x) != 0) {
		CHECK(!"setup");
		teardown(&x);
		return;
	}
	atomic_store(&x.f3->next, idx1(&x, x.f1)); /* f1->f2->f3->f1 ... */
	uint32_t ex = 0;
	CHECK(lfm__ftab_find(x.rh, x.b, T_ABSENT, &ex) == NULL);
	CHECK_EQ(ex, x.rh->nframes_max);
	atomic_store(&x.f3->next, LFM_NIL);
	teardown(&x);
}

int main(void)
{
	RUN(test_bucket_of_tag);
	RUN(test_link_and_find);
	RUN(test_unlink_middle);
	RUN(test_unlink_head);
	RUN(test_unlink_tail);
	RUN(test_unlink_all_then_relink);
	RUN(test_unlink_absent_is_noop);
	RUN(test_resident_keeps_its_place);
	RUN(test_find_bounded_on_cycle);
	UNIT_MAIN_END("ftab");
}
