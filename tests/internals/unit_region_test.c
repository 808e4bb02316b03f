/*
 * Unit tests of the region layout and the carving of frames
 * (src/region/region.h, src/region/region.c): budget, chunks, page placement,
 * pointer -> frame mapping, the uniform-stride prefetch hint and the parts
 * the layers above own. One thread.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "region.h"
#include "unit_check.h"

#define CACHE (64u * 1024)

static struct lfm__region_hdr *new_region_extra(uint64_t cache, uint64_t extra)
{
	struct lfm__region_geom g;
	memset(&g, 0, sizeof(g));
	g.cache_bytes = cache;
	g.extra_bytes = extra;
	g.nfiles_max = 4;
	g.nhandles = 4;
	return lfm__region_create_private(&g);
}

static struct lfm__region_hdr *new_region(uint64_t cache)
{
	return new_region_extra(cache, 0);
}

static uint32_t align64(uint32_t v)
{
	return (v + 63u) & ~63u;
}

static char *page_of(struct lfm__region_hdr *rh, int64_t idx)
{
	return lfm__frame_page(rh, &lfm__frames(rh)[idx]);
}

/* Carves `n` frames of `pagesize` (expecting success), storing indexes. */
static int carve_n(struct lfm__region_hdr *rh, uint32_t pagesize, int n,
		   int64_t *out)
{
	for (int i = 0; i < n; i++) {
		int64_t idx = lfm__region_carve(rh, pagesize, 0);
		if (idx < 0)
			return i;
		if (out != NULL)
			out[i] = idx;
	}
	return n;
}

/* Every carved frame maps back; pointers inside a page do not. */
static void check_frame_of_all(struct lfm__region_hdr *rh, const int64_t *idx,
			       int n)
{
	struct lfm__frame *frames = lfm__frames(rh);
	for (int i = 0; i < n; i++) {
		struct lfm__frame *f = &frames[idx[i]];
		char *p = lfm__frame_page(rh, f);
		uint32_t bs = lfm__frame_bufsize(f);
		CHECK(lfm__region_frame_of(rh, p) == f);
		CHECK(lfm__region_frame_of(rh, p + 1) == NULL);
		CHECK(lfm__region_frame_of(rh, p + bs - 1) == NULL);
		if (bs > 64)
			CHECK(lfm__region_frame_of(rh, p + 64) == NULL);
		if (bs > 128)
			CHECK(lfm__region_frame_of(rh, p + bs / 2) == NULL);
	}
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return x < y ? -1 : x > y;
}

/* Pages are 64-aligned, inside the data area, and pairwise disjoint. */
static void check_pages_disjoint(struct lfm__region_hdr *rh, const int64_t *idx,
				 int n)
{
	uintptr_t *start = calloc((size_t)n, 2 * sizeof(uintptr_t));
	if (start == NULL) {
		CHECK(start != NULL);
		return;
	}
	uintptr_t lo = (uintptr_t)rh + rh->off_data;
	uintptr_t hi = (uintptr_t)rh + rh->size;
	for (int i = 0; i < n; i++) {
		struct lfm__frame *f = &lfm__frames(rh)[idx[i]];
		uintptr_t p = (uintptr_t)lfm__frame_page(rh, f);
		uint32_t bs = lfm__frame_bufsize(f);
		CHECK_EQ(p % 64, 0);
		CHECK(p >= lo && p + bs <= hi);
		start[2 * i] = p;
		start[2 * i + 1] = p + bs;
	}
	qsort(start, (size_t)n, 2 * sizeof(uintptr_t), cmp_ptr);
	for (int i = 1; i < n; i++)
		CHECK(start[2 * (i - 1) + 1] <= start[2 * i]);
	free(start);
}

static void test_create_layout(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	REQUIRE(rh != NULL);
	CHECK_EQ(rh->magic, LFM_REGION_MAGIC);
	CHECK_EQ(rh->version, LFM_REGION_VERSION);
	CHECK_EQ(rh->cache_bytes, CACHE);
	CHECK_EQ(rh->nfiles_max, 4);
	CHECK_EQ(rh->nhandles, 4);
	CHECK(rh->nbuckets != 0 && (rh->nbuckets & (rh->nbuckets - 1)) == 0);
	/* Descriptors for the smallest page (64 bytes) at least. */
	CHECK(rh->nframes_max >= CACHE / 64);
	CHECK(rh->nchunks_max >= 1);
	/* Areas in order, aligned, and the data area fits every chunk. */
	CHECK(rh->off_files >= sizeof(struct lfm__region_hdr));
	CHECK(rh->off_handles >= rh->off_files + 4 * sizeof(struct lfm__file));
	CHECK(rh->off_buckets >= rh->off_handles + 4 * rh->handle_size);
	CHECK(rh->off_chunks >=
	      rh->off_buckets + rh->nbuckets * sizeof(struct lfm__bucket));
	CHECK(rh->off_frames >= rh->off_chunks + (uint64_t)rh->nchunks_max *
						     sizeof(struct lfm__chunk));
	CHECK(rh->off_data >= rh->off_frames + (uint64_t)rh->nframes_max *
						   sizeof(struct lfm__frame));
	CHECK_EQ(rh->size,
		 rh->off_data + (uint64_t)rh->nchunks_max * LFM_CHUNK);
	CHECK_EQ(rh->off_files % 64, 0);
	CHECK_EQ(rh->off_handles % 64, 0);
	CHECK_EQ(rh->handle_size % 64, 0);
	CHECK_EQ(rh->off_buckets % 64, 0);
	CHECK_EQ(rh->off_frames % 64, 0);
	CHECK_EQ(rh->off_data % 4096, 0);
	CHECK_EQ((uintptr_t)rh % 4096, 0);
	/* Nothing carved yet. */
	CHECK_EQ(atomic_load(&rh->nframes), 0);
	CHECK_EQ(atomic_load(&rh->nchunks), 0);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 0);
	CHECK_EQ(atomic_load(&rh->uniform_stride), 0);
	CHECK(lfm__page_guess(rh, 0) == NULL);
	CHECK(lfm__region_frame_of(rh, (char *)rh + rh->off_data) == NULL);
	lfm__region_destroy_private(rh);
}

static void test_create_rejects_huge(void)
{
	struct lfm__region_geom g;
	memset(&g, 0, sizeof(g));
	g.cache_bytes = 1ull << 43;
	g.nfiles_max = 1;
	g.nhandles = 1;
	CHECK(lfm__region_create_private(&g) == NULL);
}

/* floor(cache / stride) frames, then -1 for good; each frame EXCL. */
static void carve_budget(uint32_t pagesize)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	REQUIRE(rh != NULL);
	uint32_t stride = align64(pagesize);
	int want = (int)(CACHE / stride);
	int64_t *idx = calloc((size_t)want + 1, sizeof(int64_t));
	REQUIRE(idx != NULL);
	int got = carve_n(rh, pagesize, want + 1, idx);
	CHECK_EQ(got, want);
	CHECK_EQ(lfm__region_carve(rh, pagesize, 0), -1);
	/* A smaller page still fits in what is left, if anything is. */
	if (CACHE - (uint64_t)want * stride < 64)
		CHECK_EQ(lfm__region_carve(rh, 64, 0), -1);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), (uint64_t)want * stride);
	CHECK_EQ(atomic_load(&rh->nchunks), 1);
	for (int i = 0; i < got; i++) {
		struct lfm__frame *f = &lfm__frames(rh)[idx[i]];
		CHECK_EQ(idx[i], i); /* first chunk starts at frame 0 */
		CHECK_EQ(atomic_load(&f->state), LFM_F_EXCL);
		CHECK_EQ(lfm__frame_bufsize(f), stride);
		CHECK((char *)lfm__frame_page(rh, f) ==
		      (char *)rh + rh->off_data + (uint64_t)i * stride);
	}
	check_frame_of_all(rh, idx, got);
	check_pages_disjoint(rh, idx, got);
	free(idx);
	lfm__region_destroy_private(rh);
}

static void test_carve_budget_4096(void)
{
	carve_budget(4096);
}

static void test_carve_budget_1000(void)
{
	carve_budget(1000); /* stride 1024 */
}

static void test_carve_budget_3000(void)
{
	carve_budget(3000); /* stride 3008: not a power of two */
}

static void test_carve_budget_1(void)
{
	carve_budget(1); /* stride 64: 1024 frames */
}

static void test_frame_of_rejects(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	REQUIRE(rh != NULL);
	int64_t idx[3];
	REQUIRE(carve_n(rh, 4096, 3, idx) == 3);
	char *data = (char *)rh + rh->off_data;
	int local;

	CHECK(lfm__region_frame_of(rh, NULL) == NULL);
	CHECK(lfm__region_frame_of(rh, &local) == NULL);
	CHECK(lfm__region_frame_of(rh, rh) == NULL);
	CHECK(lfm__region_frame_of(rh, lfm__frames(rh)) == NULL);
	CHECK(lfm__region_frame_of(rh, data - 64) == NULL);
	CHECK(lfm__region_frame_of(rh, data - 1) == NULL);
	CHECK(lfm__region_frame_of(rh, (char *)rh + rh->size) == NULL);
	CHECK(lfm__region_frame_of(rh, (char *)rh + rh->size - 4096) == NULL);
	CHECK(lfm__region_frame_of(rh, (char *)rh + rh->size + 4096) == NULL);
	/* Reserved for chunk 0 but not carved yet. */
	CHECK(lfm__region_frame_of(rh, page_of(rh, 3)) == NULL);
	CHECK(lfm__region_frame_of(rh, data + 3 * 4096) == NULL);
	CHECK(lfm__region_frame_of(rh, data + 15 * 4096) == NULL);
	/* Past chunk 0's reservation, and in chunks not opened. */
	CHECK(lfm__region_frame_of(rh, data + 16 * 4096) == NULL);
	CHECK(lfm__region_frame_of(rh, data + LFM_CHUNK) == NULL);
	CHECK(lfm__region_frame_of(rh, data + 2 * (uint64_t)LFM_CHUNK) == NULL);
	/* Once carved, the next page maps. */
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), 3);
	CHECK(lfm__region_frame_of(rh, page_of(rh, 3)) == &lfm__frames(rh)[3]);
	CHECK(lfm__region_frame_of(rh, page_of(rh, 3) + 4096) == NULL);
	lfm__region_destroy_private(rh);
}

static void test_two_strides_two_chunks(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	REQUIRE(rh != NULL);
	int64_t idx[5];
	REQUIRE(carve_n(rh, 4096, 2, idx) == 2);
	CHECK_EQ(atomic_load(&rh->nchunks), 1);
	CHECK_EQ(atomic_load(&rh->uniform_stride), 4096);
	REQUIRE(carve_n(rh, 512, 3, idx + 2) == 3);
	CHECK_EQ(atomic_load(&rh->nchunks), 2);
	struct lfm__chunk *c = lfm__chunks(rh);
	CHECK_EQ(c[0].stride, 4096);
	CHECK_EQ(c[0].first, 0);
	CHECK_EQ(atomic_load(&c[0].count), 2);
	CHECK_EQ(c[1].stride, 512);
	CHECK_EQ(c[1].first, c[0].cap);
	CHECK_EQ(atomic_load(&c[1].count), 3);
	CHECK_EQ(idx[0], 0);
	CHECK_EQ(idx[1], 1);
	CHECK_EQ(idx[2], c[1].first);
	CHECK_EQ(idx[3], c[1].first + 1);
	CHECK_EQ(idx[4], c[1].first + 2);
	/* Chunk 1 lies at the next LFM_CHUNK of the data area. */
	CHECK(page_of(rh, idx[2]) ==
	      (char *)rh + rh->off_data + (uint64_t)LFM_CHUNK);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 2 * 4096 + 3 * 512);
	/* The stride of each frame is its own. */
	CHECK_EQ(lfm__frame_bufsize(&lfm__frames(rh)[idx[0]]), 4096);
	CHECK_EQ(lfm__frame_bufsize(&lfm__frames(rh)[idx[2]]), 512);
	check_frame_of_all(rh, idx, 5);
	check_pages_disjoint(rh, idx, 5);
	/* Chunk 1's fourth 512-byte slot is not carved. */
	CHECK(lfm__region_frame_of(rh, page_of(rh, idx[2]) + 512 * 3) == NULL);
	/* More 4096 pages go to chunk 0 (it has room), not a new chunk. */
	int64_t more;
	REQUIRE(carve_n(rh, 4096, 1, &more) == 1);
	CHECK_EQ(more, 2);
	CHECK_EQ(atomic_load(&rh->nchunks), 2);
	CHECK(lfm__region_frame_of(rh, page_of(rh, more)) ==
	      &lfm__frames(rh)[more]);
	lfm__region_destroy_private(rh);
}

static void test_page_guess_uniform(void)
{
	const uint32_t sizes[] = {4096, 512, 64, 1000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct lfm__region_hdr *rh = new_region(CACHE);
		REQUIRE(rh != NULL);
		uint32_t stride = align64(sizes[s]);
		int n = (int)(CACHE / stride);
		int64_t *idx = calloc((size_t)n, sizeof(int64_t));
		REQUIRE(idx != NULL);
		CHECK_EQ(carve_n(rh, sizes[s], n, idx), n);
		CHECK_EQ(atomic_load(&rh->uniform_stride), stride);
		CHECK_EQ(1u << atomic_load(&rh->uniform_shift), stride);
		for (int i = 0; i < n; i++)
			CHECK(lfm__page_guess(rh, (uint32_t)idx[i]) ==
			      page_of(rh, idx[i]));
		free(idx);
		lfm__region_destroy_private(rh);
	}
}

static void test_page_guess_null_after_second_stride(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	REQUIRE(rh != NULL);
	int64_t idx[6];
	REQUIRE(carve_n(rh, 1024, 2, idx) == 2);
	CHECK(lfm__page_guess(rh, 1) == page_of(rh, 1));
	REQUIRE(carve_n(rh, 2048, 2, idx + 2) == 2);
	CHECK_EQ(atomic_load(&rh->uniform_stride), 0);
	CHECK_EQ(atomic_load(&rh->uniform_shift), 0);
	for (uint32_t i = 0; i < 8; i++)
		CHECK(lfm__page_guess(rh, i) == NULL);
	/* It stays off: more of either stride, and a third stride. */
	REQUIRE(carve_n(rh, 1024, 1, idx + 4) == 1);
	REQUIRE(carve_n(rh, 256, 1, idx + 5) == 1);
	CHECK_EQ(atomic_load(&rh->nchunks), 3);
	CHECK_EQ(atomic_load(&rh->uniform_stride), 0);
	CHECK_EQ(atomic_load(&rh->uniform_shift), 0);
	check_frame_of_all(rh, idx, 6);
	check_pages_disjoint(rh, idx, 6);
	lfm__region_destroy_private(rh);
}

/* Past the budget (over_budget): a second chunk of the same stride whose
 * frames do not follow i * stride, so the hint must switch off and
 * pointer mapping use the chunk table. */
static void test_over_budget_same_stride(void)
{
	/* Room for two frames past the budget. */
	struct lfm__region_hdr *rh = new_region_extra(CACHE, 2 * 4096);
	REQUIRE(rh != NULL);
	int64_t idx[18];
	REQUIRE(carve_n(rh, 4096, 16, idx) == 16);
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), -1);
	CHECK_EQ(atomic_load(&rh->uniform_stride), 4096);
	idx[16] = lfm__region_carve(rh, 4096, 1);
	idx[17] = lfm__region_carve(rh, 4096, 1);
	CHECK_EQ(idx[16], 16);
	CHECK_EQ(idx[17], 17);
	/* Past the budget by extra_bytes, no more. */
	CHECK_EQ(lfm__region_carve(rh, 4096, 1), -1);
	CHECK_EQ(atomic_load(&rh->nchunks), 2);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 18 * 4096);
	CHECK_EQ(atomic_load(&lfm__frames(rh)[16].state), LFM_F_EXCL);
	CHECK(page_of(rh, 16) ==
	      (char *)rh + rh->off_data + (uint64_t)LFM_CHUNK);
	/* Frame 16's page is not at 16 * 4096. */
	CHECK(lfm__page_guess(rh, 16) == NULL);
	CHECK_EQ(atomic_load(&rh->uniform_shift), 0);
	check_frame_of_all(rh, idx, 18);
	check_pages_disjoint(rh, idx, 18);
	CHECK(lfm__region_frame_of(rh, (char *)rh + rh->off_data + 16 * 4096) ==
	      NULL);
	/* Still no in-budget carving. */
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), -1);
	lfm__region_destroy_private(rh);
}

/* Mixed page sizes: retiring frames gives their bytes back to the budget;
 * a carve of their stride revives them (same index, same page) before it
 * carves new ones; a retired frame's pointer maps to no frame a caller
 * could use (its tag names no file), and pinning it is a mismatch. */
static void test_retire_and_revive(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	CHECK(rh != NULL);
	int64_t small[16];
	CHECK_EQ(carve_n(rh, 4096, 16, small), 16); /* the whole budget */
	CHECK_EQ(lfm__region_carve(rh, 8192, 0), -1);
	CHECK(lfm__region_could_carve(rh, 8192, 0));
	struct lfm__frame *frames = lfm__frames(rh);
	/* Carved frames are EXCL, tag 0, unlinked: what retire expects. */
	lfm__region_retire(rh, &frames[small[3]], 0);
	CHECK_EQ(atomic_load(&frames[small[3]].tag), LFM_TAG_RETIRED);
	CHECK_EQ(atomic_load(&frames[small[3]].state), LFM_F_EXCL);
	CHECK_EQ(lfm__frame_pin(&frames[small[3]], 0, LFM_F_DIRECT_ONE),
		 LFM_PIN_MISMATCH);
	CHECK_EQ(lfm__region_carve(rh, 8192, 0), -1); /* 4 KiB free only */
	lfm__region_retire(rh, &frames[small[9]], 0);
	int64_t big = lfm__region_carve(rh, 8192, 0);
	CHECK(big >= 0);
	CHECK_EQ(lfm__frame_bufsize(&frames[big]), 8192u);
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), -1); /* spent again */
	/* Retire the big one: two 4 KiB carves revive the two retired. */
	lfm__region_retire(rh, &frames[big], 0);
	int64_t r1 = lfm__region_carve(rh, 4096, 0);
	int64_t r2 = lfm__region_carve(rh, 4096, 0);
	CHECK((r1 == small[3] && r2 == small[9]) ||
	      (r1 == small[9] && r2 == small[3]));
	CHECK_EQ(atomic_load(&frames[r1].tag), 0u);
	CHECK_EQ(atomic_load(&frames[r2].tag), 0u);
	CHECK(lfm__region_frame_of(rh, page_of(rh, r1)) == &frames[r1]);
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), -1);
	/* An 8 KiB carve now revives the retired big frame. */
	lfm__region_retire(rh, &frames[small[0]], 0);
	lfm__region_retire(rh, &frames[small[1]], 0);
	CHECK_EQ(lfm__region_carve(rh, 8192, 0), big);
	lfm__region_destroy_private(rh);
}

/* Mixed page sizes, a miss's trade (lfm__region_trade, rule 24): the
 * frame of another size is retired and a frame of the miss's size carved
 * from its bytes under the same hold; a frame smaller than the new size
 * leaves the budget short (-1, retired), the next completes it; a bigger
 * one yields its replacement and leaves the rest to the next carve; a size
 * that cannot be carved at all leaves the frame untouched (-2). */
static void test_trade(void)
{
	struct lfm__region_hdr *rh = new_region(CACHE);
	CHECK(rh != NULL);
	int64_t small[16];
	CHECK_EQ(carve_n(rh, 4096, 16, small), 16); /* the whole budget */
	struct lfm__frame *frames = lfm__frames(rh);
	CHECK_EQ(lfm__region_trade(rh, &frames[small[5]], 8192, 0), -1);
	CHECK_EQ(atomic_load(&frames[small[5]].tag), LFM_TAG_RETIRED);
	CHECK_EQ(atomic_load(&frames[small[5]].state), LFM_F_EXCL);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 15 * 4096);
	int64_t big = lfm__region_trade(rh, &frames[small[6]], 8192, 0);
	CHECK(big >= 0);
	CHECK_EQ(lfm__frame_bufsize(&frames[big]), 8192u);
	CHECK(atomic_load(&frames[big].state) & LFM_F_EXCL); /* the caller's */
	CHECK_EQ(atomic_load(&frames[big].tag), 0u);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 16 * 4096);
	/* Back: the 8 KiB frame yields a 4 KiB one (a retired one revived),
	 * and its other 4 KiB stay in the budget for the next carve. */
	int64_t r1 = lfm__region_trade(rh, &frames[big], 4096, 0);
	CHECK(r1 == small[5] || r1 == small[6]);
	CHECK_EQ(atomic_load(&frames[big].tag), LFM_TAG_RETIRED);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 15 * 4096);
	int64_t r2 = lfm__region_carve(rh, 4096, 0);
	CHECK(r2 == (r1 == small[5] ? small[6] : small[5]));
	CHECK_EQ(lfm__region_carve(rh, 4096, 0), -1);
	/* A page larger than the budget can never have a frame: the frame
	 * offered stays as it was, not retired. */
	CHECK_EQ(lfm__region_trade(rh, &frames[small[0]], 2 * CACHE, 0), -2);
	CHECK_EQ(atomic_load(&frames[small[0]].tag), 0u);
	CHECK_EQ(atomic_load(&frames[small[0]].state), LFM_F_EXCL);
	CHECK_EQ(atomic_load(&rh->page_bytes_used), 16 * 4096);
	lfm__region_destroy_private(rh);
}

/* The parts modules above own (LFM_REGION_NPARTS): each where off_part
 * says, cache-line aligned, disjoint, past the descriptors and before the
 * data; zeroed when init_parts sees them, and initialised before the
 * magic is stored. */
static int parts_inited;
static void init_parts(struct lfm__region_hdr *rh, const void *arg)
{
	CHECK(arg == &parts_inited);
	CHECK_EQ(atomic_load(&rh->magic), 0u); /* not published yet */
	for (unsigned i = 0; i < LFM_REGION_NPARTS; i++) {
		unsigned char *p = lfm__region_part(rh, i);
		for (uint64_t k = 0; k < rh->part_size[i]; k++)
			CHECK_EQ(p[k], 0);
		memset(p, 0xa0 + i, rh->part_size[i]);
	}
	parts_inited++;
}

static void test_parts(void)
{
	static const uint64_t sizes[LFM_REGION_NPARTS] = {100, 8, 0, 64};
	struct lfm__region_geom g;
	memset(&g, 0, sizeof(g));
	g.cache_bytes = CACHE;
	g.nfiles_max = 4;
	g.nhandles = 4;
	memcpy(g.part_size, sizes, sizeof(sizes));
	g.init_parts = init_parts;
	g.init_arg = &parts_inited;
	parts_inited = 0;
	struct lfm__region_hdr *rh = lfm__region_create_private(&g);
	CHECK(rh != NULL);
	CHECK_EQ(parts_inited, 1);
	CHECK_EQ(atomic_load(&rh->magic), LFM_REGION_MAGIC);
	uint64_t end = rh->off_frames +
		       (uint64_t)rh->nframes_max * sizeof(struct lfm__frame);
	for (unsigned i = 0; i < LFM_REGION_NPARTS; i++) {
		CHECK_EQ(rh->part_size[i], sizes[i]);
		CHECK_EQ(rh->off_part[i] % LFM_CACHELINE, 0u);
		CHECK(rh->off_part[i] >= end);
		end = rh->off_part[i] + sizes[i];
		const unsigned char *p = lfm__region_part(rh, i);
		for (uint64_t k = 0; k < sizes[i]; k++)
			CHECK_EQ(p[k], 0xa0 + i); /* nobody wrote over it */
	}
	CHECK(rh->off_data >= end);
	lfm__region_destroy_private(rh);
	/* A part beyond 1 MiB is no part of a header's kind: refused. */
	g.part_size[2] = (1u << 20) + 1;
	CHECK(lfm__region_create_private(&g) == NULL);
}

int main(void)
{
	RUN(test_create_layout);
	RUN(test_create_rejects_huge);
	RUN(test_carve_budget_4096);
	RUN(test_carve_budget_1000);
	RUN(test_carve_budget_3000);
	RUN(test_carve_budget_1);
	RUN(test_frame_of_rejects);
	RUN(test_two_strides_two_chunks);
	RUN(test_page_guess_uniform);
	RUN(test_page_guess_null_after_second_stride);
	RUN(test_over_budget_same_stride);
	RUN(test_retire_and_revive);
	RUN(test_trade);
	RUN(test_parts);
	UNIT_MAIN_END("region");
}
