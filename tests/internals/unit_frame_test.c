/*
 * Unit tests of the frame state word (src/region/frame.h, src/region/frame.c): the bit
 * budget and the pin / unpin / EXCL primitives, one thread, on a frame
 * descriptor in a zeroed, 64-byte aligned buffer (the primitives touch only
 * the descriptor).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "unit_check.h"

/* Every pair of fields is disjoint, not only the pairs frame.h asserts. */
#define DISJOINT(a, b) _Static_assert(((a) & (b)) == 0, #a " & " #b)
DISJOINT(LFM_F_DIRECT_MASK, LFM_F_SLOTREF_MASK);
DISJOINT(LFM_F_DIRECT_MASK, LFM_F_USAGE_MASK);
DISJOINT(LFM_F_SLOTREF_MASK, LFM_F_USAGE_MASK);
DISJOINT(LFM_F_REFS_MASK | LFM_F_USAGE_MASK, LFM_F_VALID | LFM_F_DIRTY |
						 LFM_F_EXCL | LFM_F_WAITERS |
						 LFM_F_DISCARD);
DISJOINT(LFM_F_VALID, LFM_F_DIRTY | LFM_F_EXCL | LFM_F_WAITERS | LFM_F_DISCARD);
DISJOINT(LFM_F_DIRTY, LFM_F_EXCL | LFM_F_WAITERS | LFM_F_DISCARD);
DISJOINT(LFM_F_EXCL, LFM_F_WAITERS | LFM_F_DISCARD);
DISJOINT(LFM_F_WAITERS, LFM_F_DISCARD);
_Static_assert(LFM_DIRECT_MAX == 4095, "DIRECT max");
_Static_assert(LFM_SLOTREF_MAX == 255, "SLOTREF max");
_Static_assert(LFM_F_USAGE_MAX == 3, "USAGE max");

#define T1 0x0000000100000007ull /* file slot 0, page 7 */
#define T2 0x0000000200000007ull /* file slot 1, page 7 */

static struct lfm__frame frame_buf __attribute__((aligned(64)));

/* A fresh descriptor with the given state word and tag. */
static struct lfm__frame *new_frame(uint32_t state, uint64_t tag)
{
	memset(&frame_buf, 0, sizeof(frame_buf));
	atomic_store(&frame_buf.state, state);
	atomic_store(&frame_buf.tag, tag);
	return &frame_buf;
}

static uint32_t st(struct lfm__frame *f)
{
	return atomic_load(&f->state);
}

static void test_bit_budget_runtime(void)
{
	const uint32_t fields[] = {
	    LFM_F_DIRECT_MASK, LFM_F_SLOTREF_MASK, LFM_F_USAGE_MASK,
	    LFM_F_VALID,       LFM_F_DIRTY,	   LFM_F_EXCL,
	    LFM_F_WAITERS,     LFM_F_DISCARD,
	};
	const int n = (int)(sizeof(fields) / sizeof(fields[0]));
	uint32_t all = 0;
	for (int i = 0; i < n; i++) {
		CHECK(fields[i] != 0);
		for (int j = i + 1; j < n; j++)
			CHECK_EQ(fields[i] & fields[j], 0);
		all |= fields[i];
	}
	/* Bits 0..26 used, contiguous; 27..31 free. */
	CHECK_EQ(all, (1u << 27) - 1);
	CHECK_EQ(LFM_F_REFS_MASK, LFM_F_DIRECT_MASK | LFM_F_SLOTREF_MASK);
	CHECK_EQ(LFM_F_DIRECT_MASK, 0xfffu);
	CHECK_EQ(LFM_F_SLOTREF_MASK, 0xff000u);
	CHECK_EQ(LFM_F_USAGE_MASK, 0x300000u);
	CHECK((LFM_F_DIRECT_ONE & LFM_F_DIRECT_MASK) == LFM_F_DIRECT_ONE);
	CHECK((LFM_F_SLOTREF_ONE & LFM_F_SLOTREF_MASK) == LFM_F_SLOTREF_ONE);
	CHECK((LFM_F_USAGE_ONE & LFM_F_USAGE_MASK) == LFM_F_USAGE_ONE);
	CHECK_EQ(LFM_DIRECT_MAX * LFM_F_DIRECT_ONE, LFM_F_DIRECT_MASK);
	CHECK_EQ(LFM_SLOTREF_MAX * LFM_F_SLOTREF_ONE, LFM_F_SLOTREF_MASK);
	CHECK_EQ(LFM_F_USAGE_MAX * LFM_F_USAGE_ONE, LFM_F_USAGE_MASK);
}

static void test_field_accessors_and_tags(void)
{
	uint32_t s = 5 * LFM_F_DIRECT_ONE + 7 * LFM_F_SLOTREF_ONE +
		     2 * LFM_F_USAGE_ONE + LFM_F_VALID + LFM_F_DISCARD;
	CHECK_EQ(lfm__st_direct(s), 5);
	CHECK_EQ(lfm__st_slotref(s), 7);
	CHECK_EQ(lfm__st_usage(s), 2);
	CHECK_EQ(lfm__st_usage(lfm__st_bump_usage(s)), 3);
	uint32_t s3 = s + LFM_F_USAGE_ONE;
	CHECK_EQ(lfm__st_bump_usage(s3), s3); /* capped, no carry into VALID */

	uint64_t t = lfm__tag(3, 0xfffffffeu);
	CHECK(t != 0); /* 0 means "no page" even for slot 0, page 0 */
	CHECK(lfm__tag(0, 0) != 0);
	CHECK_EQ(lfm__tag_slot(t), 3);
	CHECK_EQ(lfm__tag_pgno(t), 0xfffffffeu);
	CHECK_EQ(lfm__tag(0, 7), T1);
	CHECK_EQ(lfm__tag(1, 7), T2);
}

static void test_pin_direct_ok_bumps_usage_capped(void)
{
	struct lfm__frame *f = new_frame(LFM_F_VALID, T1);
	for (uint32_t i = 1; i <= 5; i++) {
		CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
		uint32_t usage = i < 3 ? i : 3;
		CHECK_EQ(st(f), LFM_F_VALID | i * LFM_F_DIRECT_ONE |
				    usage * LFM_F_USAGE_ONE);
	}
	CHECK_EQ(atomic_load(&f->tag), T1);
}

static void test_pin_slotref_ok_bumps_usage_capped(void)
{
	struct lfm__frame *f = new_frame(LFM_F_VALID | LFM_F_DIRTY, T1);
	for (uint32_t i = 1; i <= 4; i++) {
		CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_OK);
		uint32_t usage = i < 3 ? i : 3;
		CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRTY |
				    i * LFM_F_SLOTREF_ONE |
				    usage * LFM_F_USAGE_ONE);
	}
}

static void test_pin_clears_discard(void)
{
	struct lfm__frame *f =
	    new_frame(LFM_F_VALID | LFM_F_DISCARD | 3 * LFM_F_USAGE_ONE, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRECT_ONE | 3 * LFM_F_USAGE_ONE);

	f = new_frame(LFM_F_VALID | LFM_F_DISCARD, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_OK);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_SLOTREF_ONE | LFM_F_USAGE_ONE);
}

static void test_pin_busy_under_excl(void)
{
	uint32_t s0 = LFM_F_VALID | LFM_F_EXCL | LFM_F_USAGE_ONE;
	struct lfm__frame *f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_BUSY);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_BUSY);
	/* EXCL wins over a wrong tag: the holder may be retagging. */
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_DIRECT_ONE), LFM_PIN_BUSY);
	CHECK_EQ(st(f), s0);

	/* A carved placeholder / a frame being filled: EXCL, not VALID. */
	f = new_frame(LFM_F_EXCL | LFM_F_WAITERS, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_BUSY);
	CHECK_EQ(st(f), LFM_F_EXCL | LFM_F_WAITERS);
}

static void test_pin_mismatch_tag_leaves_no_pin(void)
{
	struct lfm__frame *f = new_frame(LFM_F_VALID, T1);
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	uint32_t s = st(f);
	CHECK_EQ(s & LFM_F_REFS_MASK, 0);
	CHECK_EQ(s & (LFM_F_VALID | LFM_F_DIRTY | LFM_F_EXCL), LFM_F_VALID);
	CHECK_EQ(atomic_load(&f->tag), T1);
	/* A failed pin is not a use of the page now in the frame: USAGE and
	 * DISCARD come back as they were (frame.h). */
	f = new_frame(LFM_F_VALID | LFM_F_DISCARD, T1);
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	s = st(f);
	CHECK_EQ(s, LFM_F_VALID | LFM_F_DISCARD);
	/* The frame is still pinnable (and unpinnable) for its own page. */
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(lfm__st_direct(st(f)), 1);

	/* With other pins present, a mismatch leaves exactly those. */
	f = new_frame(
	    LFM_F_VALID | 2 * LFM_F_DIRECT_ONE | 3 * LFM_F_SLOTREF_ONE, T1);
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_SLOTREF_ONE), LFM_PIN_MISMATCH);
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	s = st(f);
	CHECK_EQ(lfm__st_direct(s), 2);
	CHECK_EQ(lfm__st_slotref(s), 3);
	CHECK(lfm__frame_try_excl(f, 0, 0) == 0); /* still pinned */
}

static void test_pin_mismatch_not_valid_untouched(void)
{
	/* A free frame (tag 0), and a frame with a tag but not VALID: no
	 * pin taken, word untouched (DISCARD and USAGE stay as they are). */
	struct lfm__frame *f = new_frame(0, 0);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	CHECK_EQ(st(f), 0);
	f = new_frame(LFM_F_DISCARD | LFM_F_USAGE_ONE, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_MISMATCH);
	CHECK_EQ(st(f), LFM_F_DISCARD | LFM_F_USAGE_ONE);
}

static void test_pin_full_direct(void)
{
	uint32_t s0 = LFM_F_VALID | LFM_DIRECT_MAX * LFM_F_DIRECT_ONE;
	struct lfm__frame *f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_FULL);
	CHECK_EQ(st(f), s0); /* no carry into SLOTREF, no usage bump */
	/* The other field still has room. */
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_OK);
	CHECK_EQ(st(f), s0 | LFM_F_SLOTREF_ONE | LFM_F_USAGE_ONE);

	/* One below the maximum: the last pin fits exactly. */
	f = new_frame(LFM_F_VALID | (LFM_DIRECT_MAX - 1) * LFM_F_DIRECT_ONE,
		      T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRECT_MASK | LFM_F_USAGE_ONE);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_FULL);
}

static void test_pin_full_slotref(void)
{
	uint32_t s0 = LFM_F_VALID | LFM_SLOTREF_MAX * LFM_F_SLOTREF_ONE |
		      2 * LFM_F_USAGE_ONE;
	struct lfm__frame *f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_FULL);
	CHECK_EQ(st(f), s0); /* no carry into USAGE */
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(st(f), (s0 + LFM_F_USAGE_ONE) | LFM_F_DIRECT_ONE);
}

static void test_unpin_without_pin_fails(void)
{
	uint32_t s0 = LFM_F_VALID | LFM_F_SLOTREF_ONE | LFM_F_USAGE_ONE;
	struct lfm__frame *f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, LFM_F_DIRTY,
				  LFM_F_USAGE_MASK),
		 -1);
	CHECK_EQ(st(f), s0); /* set/clear not applied on failure */

	s0 = LFM_F_VALID | LFM_F_DIRECT_ONE;
	f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0), -1);
	CHECK_EQ(st(f), s0);

	f = new_frame(0, 0);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), -1);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0), -1);
	CHECK_EQ(st(f), 0);
}

static void test_unpin_applies_set_and_clear(void)
{
	struct lfm__frame *f =
	    new_frame(LFM_F_VALID | 2 * LFM_F_DIRECT_ONE | LFM_F_SLOTREF_ONE |
			  3 * LFM_F_USAGE_ONE,
		      T1);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, LFM_F_DIRTY,
				  LFM_F_USAGE_MASK),
		 0);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRTY | LFM_F_DIRECT_ONE |
			    LFM_F_SLOTREF_ONE);
	CHECK_EQ(
	    lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, LFM_F_DISCARD, LFM_F_DIRTY),
	    0);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DISCARD | LFM_F_DIRECT_ONE);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), 0);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DISCARD);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), -1);

	/* No borrow out of a full field into the next one. */
	f = new_frame(LFM_F_VALID | LFM_F_DIRECT_MASK | LFM_F_SLOTREF_MASK, T1);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0), 0);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRECT_MASK |
			    (LFM_SLOTREF_MAX - 1) * LFM_F_SLOTREF_ONE);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), 0);
	CHECK_EQ(lfm__st_direct(st(f)), LFM_DIRECT_MAX - 1);
}

static void test_pin_unpin_roundtrip(void)
{
	struct lfm__frame *f = new_frame(LFM_F_VALID, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_SLOTREF_ONE), LFM_PIN_OK);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), 0);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0), 0);
	CHECK_EQ(st(f), LFM_F_VALID | 2 * LFM_F_USAGE_ONE);
}

static void test_try_excl_refuses_pinned_or_excl(void)
{
	const uint32_t refused[] = {
	    LFM_F_VALID | LFM_F_DIRECT_ONE,  LFM_F_VALID | LFM_F_SLOTREF_ONE,
	    LFM_F_VALID | LFM_F_DIRECT_MASK, LFM_F_VALID | LFM_F_SLOTREF_MASK,
	    LFM_F_VALID | LFM_F_EXCL,	     LFM_F_EXCL,
	    LFM_F_EXCL | LFM_F_WAITERS,
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct lfm__frame *f = new_frame(refused[i], T1);
		CHECK_EQ(lfm__frame_try_excl(f, 0, 0), 0);
		CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID, 0), 0);
		CHECK_EQ(st(f), refused[i]);
	}
}

static void test_try_excl_honours_require(void)
{
	struct lfm__frame *f = new_frame(0, 0);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID, 0), 0);
	CHECK_EQ(st(f), 0);
	CHECK_EQ(lfm__frame_try_excl(f, 0, 0), 1); /* a free frame */
	CHECK_EQ(st(f), LFM_F_EXCL);
	CHECK_EQ(lfm__frame_try_excl(f, 0, 0), 0); /* not twice */

	uint32_t s0 = LFM_F_VALID | 2 * LFM_F_USAGE_ONE;
	f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID | LFM_F_DIRTY, 0), 0);
	CHECK_EQ(st(f), s0);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID, 0), 1);
	CHECK_EQ(st(f), s0 | LFM_F_EXCL);

	s0 = LFM_F_VALID | LFM_F_DIRTY | LFM_F_DISCARD;
	f = new_frame(s0, T1);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID | LFM_F_DIRTY, 0), 1);
	CHECK_EQ(st(f), s0 | LFM_F_EXCL);
	/* Under EXCL nothing pins. */
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_BUSY);
	CHECK_EQ(st(f), s0 | LFM_F_EXCL);
}

static void test_release_excl_clears_excl_waiters_applies_bits(void)
{
	struct lfm__frame *f = new_frame(
	    LFM_F_EXCL | LFM_F_WAITERS | LFM_F_VALID | 2 * LFM_F_USAGE_ONE, T1);
	/* WAITERS set with nobody asleep: the wake is harmless. */
	lfm__frame_release_excl(f, LFM_F_DIRTY, LFM_F_VALID);
	CHECK_EQ(st(f), LFM_F_DIRTY | 2 * LFM_F_USAGE_ONE);

	f = new_frame(LFM_F_EXCL, 0);
	atomic_store(&f->tag, T2); /* a retag under EXCL */
	lfm__frame_release_excl(f, LFM_F_VALID, 0);
	CHECK_EQ(st(f), LFM_F_VALID);
	CHECK_EQ(lfm__frame_pin(f, T2, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	CHECK_EQ(lfm__st_direct(st(f)), 1);

	/* "never WAITERS": asking to set it (or EXCL) has no effect. */
	f = new_frame(LFM_F_EXCL | LFM_F_VALID, T1);
	lfm__frame_release_excl(f, LFM_F_WAITERS | LFM_F_EXCL | LFM_F_DIRTY, 0);
	CHECK_EQ(st(f), LFM_F_VALID | LFM_F_DIRTY);

	/* clear may take out USAGE and DISCARD too. */
	f = new_frame(
	    LFM_F_EXCL | LFM_F_VALID | LFM_F_DISCARD | 3 * LFM_F_USAGE_ONE, T1);
	lfm__frame_release_excl(f, 0, LFM_F_USAGE_MASK | LFM_F_DISCARD);
	CHECK_EQ(st(f), LFM_F_VALID);
}

static void test_excl_cycle_then_pin(void)
{
	struct lfm__frame *f = new_frame(LFM_F_VALID | LFM_F_DIRTY, T1);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_OK);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID, 0), 0);
	CHECK_EQ(lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0), 0);
	CHECK_EQ(lfm__frame_try_excl(f, LFM_F_VALID, 0), 1);
	/* Evict: unlink, clear the tag and VALID/DIRTY. */
	atomic_store(&f->tag, 0);
	lfm__frame_release_excl(f, 0,
				LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK);
	CHECK_EQ(st(f), 0);
	CHECK_EQ(lfm__frame_pin(f, T1, LFM_F_DIRECT_ONE), LFM_PIN_MISMATCH);
	CHECK_EQ(st(f), 0);
}

static void test_frame_wait_returns_when_word_moved(void)
{
	/* Non-blocking case only: the word already differs from `seen`. */
	struct lfm__frame *f = new_frame(LFM_F_VALID, T1);
	lfm__frame_wait(f, LFM_F_VALID | LFM_F_EXCL);
	CHECK_EQ(st(f), LFM_F_VALID); /* WAITERS not left behind */
}

int main(void)
{
	RUN(test_bit_budget_runtime);
	RUN(test_field_accessors_and_tags);
	RUN(test_pin_direct_ok_bumps_usage_capped);
	RUN(test_pin_slotref_ok_bumps_usage_capped);
	RUN(test_pin_clears_discard);
	RUN(test_pin_busy_under_excl);
	RUN(test_pin_mismatch_tag_leaves_no_pin);
	RUN(test_pin_mismatch_not_valid_untouched);
	RUN(test_pin_full_direct);
	RUN(test_pin_full_slotref);
	RUN(test_unpin_without_pin_fails);
	RUN(test_unpin_applies_set_and_clear);
	RUN(test_pin_unpin_roundtrip);
	RUN(test_try_excl_refuses_pinned_or_excl);
	RUN(test_try_excl_honours_require);
	RUN(test_release_excl_clears_excl_waiters_applies_bits);
	RUN(test_excl_cycle_then_pin);
	RUN(test_frame_wait_returns_when_word_moved);
	UNIT_MAIN_END("frame");
}
