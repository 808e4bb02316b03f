/*
 * region.h - the layout of a pool's shared region.
 *
 * Everything that threads (and, later, processes) share lives in one
 * contiguous region and refers to other parts of it by index or by byte
 * offset from the region base, never by pointer, so the same region can be
 * mapped at different addresses:
 *
 *   +----------------+  offset 0
 *   | lfm__region_hdr|  geometry, carve cursor, clock hand, global counters
 *   +----------------+  off_files
 *   | lfm__file[]    |  nfiles_max entries: identity, page size, page count,
 *   |                |  striped statistics
 *   +----------------+  off_handles
 *   | lfm__handle[]  |  nhandles per-thread pin caches (see tcache.h)
 *   +----------------+  off_buckets
 *   | lfm__bucket[]  |  nbuckets (power of two): lock word + chain head
 *   +----------------+  off_chunks
 *   | lfm__chunk[]   |  one per LFM_CHUNK of the data area
 *   +----------------+  off_frames
 *   | lfm__frame[]   |  nframes_max descriptors, one cache line each
 *   +----------------+  off_pins (shared regions)
 *   | pin logs       |  LFM_NPROCS x nframes_max (pinlog.h)
 *   +----------------+  off_part[0 .. LFM_REGION_NPARTS-1]
 *   | parts          |  the layers above's own shared state, each
 *   |                |  sized and initialised by its module
 *   +----------------+  off_data
 *   | chunk | chunk  |  LFM_CHUNK bytes each; a chunk holds pages of one
 *   |                |  stride (page size rounded up to 64), back to back
 *   +----------------+  size
 *
 * A page pointer maps to its frame with arithmetic alone: chunk = offset /
 * LFM_CHUNK, k = offset in chunk / stride, frame = chunk.first + k. That is
 * how memp_fput finds (and validates) a page without touching other memory.
 *
 * Fields written after creation are _Atomic or guarded by a lock word in
 * the region; the rest are written once by the creator before the region is
 * handed to anyone (the handoff itself is the release/acquire edge).
 */
#ifndef LFM_REGION_H
#define LFM_REGION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "futex.h"
#include "stat_table.h"

#define LFM_CACHELINE	   64
#define LFM_REGION_MAGIC   0x6c666d70u /* "lfmp" */
#define LFM_REGION_VERSION 12u
#define LFM_CHUNK_SHIFT	   20
#define LFM_CHUNK	   (1u << LFM_CHUNK_SHIFT) /* also the largest page */
#define LFM_NIL		   0u /* chain end; frame indexes are stored +1 */
#define LFM_ID_LEN	   20 /* DB_FILE_ID_LEN */
#define LFM_PATH_MAX	   256
#define LFM_STAT_STRIPES   8
#define LFM_NPROCS	   31  /* processes attached to one shared region */
#define LFM_COOKIE_MAX	   256 /* bytes of a file's pgcookie (fcookie.h) */
/* Parts of the region that modules above this layer own (the engine's
 * replacement policy, write-back, flushers, checkpoints): the region
 * places each, cache-line aligned and zeroed, at off_part[i], and knows
 * nothing else of them (PostgreSQL's StrategyShmemSize and
 * StrategyInitialize: each module sizes and initialises its own). */
#define LFM_REGION_NPARTS 4

/* Per-file counters, striped so that threads on different stripes never
 * share a cache line on the hit path. Relaxed increments: they are
 * statistics, read without ordering. LFM_ST_<counter> for each SUM and
 * MAX line of the statistics table (stat_table.h), in its order. Those
 * after the hit path's (LFM_ST_MISS on) are counted off the hit path
 * only (misses, waits, writes, syncs). */
enum {
#define LFM__ST_ENUM(f, c, k, s, n, t) LFM__IF_FILEC_##k(LFM_ST_##c, )
	LFM_STATS(LFM__ST_ENUM)
#undef LFM__ST_ENUM
	    LFM_ST_NUSED,
	/* Rounded up to whole cache lines: a file's counters in a handle
	 * (and in a stripe) never share a line with the next file's. */
	LFM_ST_NCOUNTERS = (LFM_ST_NUSED + 7) & ~7
};

struct lfm__stripe {
	_Atomic uint64_t c[LFM_ST_NCOUNTERS];
} __attribute__((aligned(LFM_CACHELINE)));

enum { LFM_FILE_FREE = 0, LFM_FILE_ACTIVE = 1 };

/* A file known to the pool. Written under hdr->files_lock except the
 * atomics; `state` is read without the lock (acquire) to find live files. */
struct lfm__file {
	_Atomic uint32_t state;
	uint32_t pagesize;
	/* Set by the file's first memp_fopen in the region (again, once no
	 * handle of it is open in any process: `openers`), while other
	 * processes may sync: relaxed atomics (each read stands alone). */
	_Atomic int32_t lsn_offset;
	_Atomic int32_t ftype;
	uint32_t temporary; /* created for memp_fopen(file NULL) */
	uint32_t has_uid;   /* identity is uid[], not dev/ino */
	uint64_t dev, ino;
	uint8_t uid[LFM_ID_LEN];
	char path[LFM_PATH_MAX];  /* as given, for statistics */
	char apath[LFM_PATH_MAX]; /* absolute, for other processes; "" none */
	/* The attachments with a handle of the file open: bit `lock_owner`
	 * (0 private, process slot + 1 shared). Set (fetch_or) under
	 * files_lock by an attachment's first handle, cleared (fetch_and)
	 * by its last, at memp_close, and when a new process claims the
	 * slot; a dead process's bit is ignored (its slot is dead or free).
	 * An open that finds no live bit sets ftype, lsn_offset and the
	 * cookie. */
	_Atomic uint32_t openers;
	/* The pgcookie every process's pgin/pgout gets (fcookie.h): two
	 * buffers, the current one cookie_gen & 1. Written under files_lock.
	 */
	_Atomic uint32_t cookie_gen;
	_Atomic uint32_t cookie_size[2];
	_Atomic uint64_t cookie[2][LFM_COOKIE_MAX / 8];
	/* Some handle, in any process, opened the file for writing: its
	 * pages may be newer in the cache than in the file, so mapped
	 * read-only handles read through the cache from then on. Set
	 * (release) before the writer's handle exists; read (acquire) by
	 * every memp_fget of a mapped handle. Never cleared while known. */
	_Atomic uint32_t rw_opened;
	/* Pages 0..npages-1 exist. Grows only (NEW: fetch_add; CREATE past the
	 * end: CAS to the larger value). Relaxed: a page's existence is decided
	 * once, by the thread that then inserts it under the bucket lock. */
	_Atomic uint64_t npages;
	/* 1 when a page of the file was written since the last fdatasync
	 * began: set (relaxed) by every writer before it clears DIRTY
	 * (release), taken (exchange, acq_rel) by a sync before it calls
	 * fdatasync. A sync that sees a page clean thus also sees that its
	 * write still needs the fdatasync. */
	_Atomic uint32_t unsynced;
	struct lfm__stripe stats[LFM_STAT_STRIPES];
	/* Totals when the slot was given to this file (stats.h); written
	 * before `state` is set ACTIVE (release). */
	uint64_t stat_base[LFM_ST_NCOUNTERS];
	/* Failed fdatasync calls of the file (filesync.c): bumped (release)
	 * by the syncer that saw one, after `sync_err` (relaxed) holds the
	 * error, twice: at once, and once every cached page of the file is
	 * dirty again. A sync compares the count at its start with the
	 * count after its own fdatasync: a failure in between may have
	 * dropped writes it covers (another sync's fdatasync took the
	 * kernel's report), so it returns sync_err too. */
	_Atomic uint32_t sync_fails;
	_Atomic int32_t sync_err;
};

/* Hash bucket: `lock` serialises chain changes (inserts, removals); readers
 * walk the chain without it. `head` is a frame index + 1 (LFM_NIL: empty). */
struct lfm__bucket {
	lfm__mutex lock;
	_Atomic uint32_t head;
};

/* Frame descriptor. See frame.h for the state word and the protocol. */
struct lfm__frame {
	_Atomic uint32_t state;
	/* Next frame in the hash chain (+1). Written under the bucket lock;
	 * read by lock-free walkers (acquire). */
	_Atomic uint32_t next;
	/* Which page the frame holds: (file slot + 1) << 32 | pgno; 0 = none.
	 * Changed only by the holder of LFM_F_EXCL with no pins. */
	_Atomic uint64_t tag;
	/* Where the page is (offset from the region base, bits 0..43) and
	 * its buffer size / 64 (bits 44..58). Written once when the frame's
	 * chunk opens, before the frame is published. */
	uint64_t place;
	/* The memp_sync checkpoint generation that must write this page
	 * (checkpoint.h); 0: none. Set only under the page's bucket lock,
	 * while the frame is linked with its tag, so a mark never names an
	 * evicted page; cleared (relaxed store) when the frame is unlinked
	 * for good (eviction, recovery) and before it is relinked, and by CAS
	 * from the generation seen when a sync wrote the page or found it
	 * clean and unpinned, so a newer checkpoint's mark is never lost.
	 * Relaxed: a sync reads the state word (acquire) to judge the page;
	 * the mark only says which pages to judge. */
	_Atomic uint64_t ckpt;
} __attribute__((aligned(32)));

/* Two descriptors a cache line: half the footprint of the hit path's
 * random descriptor reads, at the price of rare false sharing between
 * neighbours. Measured: see docs/protocol.md (Memory). */
_Static_assert(sizeof(struct lfm__frame) == 32, "descriptor size");

#define LFM_PLACE_SHIFT 44

/* A run of the data area holding pages of one stride. Opened under
 * carve_lock: stride, first and cap are written before nchunks is
 * published (release); `count` grows under carve_lock and is published
 * with release after the frame it adds is initialised. Frames first ..
 * first+cap-1 are reserved for the chunk; those not carved yet stay in
 * EXCL so no sweep can take them.
 *
 * Pools that mix page sizes: when the budget is spent and the coldest
 * frame a miss finds is another size's, it is evicted and *retired*
 * (lfm__region_trade, lfm__region_retire): back to a placeholder (EXCL,
 * no owner, tag LFM_TAG_RETIRED), its bytes returned to the budget, from
 * which a frame of the miss's size is carved (docs/protocol.md rule 24). A
 * carve of a stride revives its retired frames before it carves new ones.
 * `retired` counts them; under carve_lock. */
struct lfm__chunk {
	uint32_t stride;
	uint32_t first;
	uint32_t cap;
	_Atomic uint32_t count;
	uint32_t retired;
};

/* The tag of a retired frame: no file slot, so no lookup matches it. */
#define LFM_TAG_RETIRED UINT64_MAX

struct lfm__region_hdr {
	/* Set last, with release, when the region is ready (region.c); a
	 * process joining a shared region reads it with acquire. */
	_Atomic uint32_t magic;
	uint32_t version;
	uint32_t abi;	 /* LFM_REGION_ABI of the creator: layout sizes */
	uint32_t shared; /* a file-backed region other processes may map */
	uint64_t size;
	uint64_t cache_bytes; /* page budget: mp_size */
	/* Elastic regions: how far past the budget a carve for a miss with
	 * every page pinned may go (lfm__region_carve's over_budget). */
	uint64_t extra_bytes;
	uint32_t nframes_max;
	uint32_t nbuckets; /* a power of two, at least 2 */
	uint32_t nfiles_max;
	uint32_t nhandles;
	uint32_t tc_entries;   /* per-handle cache geometry (tcache.h): a power
				  of two; frame i's entry is i & (tc_entries-1) */
	uint32_t bucket_shift; /* 64 - log2(nbuckets): hash.h */
	uint64_t off_files, off_handles, off_buckets, off_chunks, off_frames,
	    off_data;
	/* Shared regions: LFM_NPROCS pin logs of nframes_max entries each
	 * (pinlog.h); 0 in private regions. */
	uint64_t off_pins;
	/* The parts (LFM_REGION_NPARTS), each off_part[i] bytes from the
	 * base, part_size[i] long (0: no such part). */
	uint64_t off_part[LFM_REGION_NPARTS];
	uint64_t part_size[LFM_REGION_NPARTS];
	uint64_t handle_size;
	uint64_t handle_stats_off; /* per-handle counters, see tcache.h */
	uint32_t nchunks_max;

	lfm__mutex files_lock;
	lfm__mutex carve_lock;
	/* Descriptors reserved so far (0..nframes-1 are initialised, carved
	 * or EXCL placeholders). Store-release by the carver; load-acquire by
	 * sweepers and flushers. */
	_Atomic uint32_t nframes;
	_Atomic uint32_t nchunks;	  /* chunks opened (release/acquire) */
	_Atomic uint64_t page_bytes_used; /* strides carved; under carve_lock */
	/* While every chunk has one stride that divides LFM_CHUNK, frame i's
	 * page is at off_data + i * stride (lfm__page_guess): set when the
	 * first chunk opens, cleared (0) before a chunk that breaks the
	 * pattern publishes a frame, and never set again. Relaxed: whoever
	 * reads it unordered uses it to prefetch (a wrong guess fetches a
	 * useless line); a thread that pinned frame i after its publication
	 * and still reads a nonzero stride has i's true page address (the
	 * cached hit, hit.c). */
	_Atomic uint32_t uniform_stride;
	_Atomic uint32_t uniform_shift; /* log2(uniform_stride) if a power of
					   two, else 0: memp_fput divides by
					   shifting */

	/* Fixed at creation and read on the miss path: a line of their own,
	 * away from the counters below that misses write. */
	uint32_t elastic __attribute__((aligned(LFM_CACHELINE)));
	/* High-water mark of claimed handles: thieves scan 0..hiwater-1. */
	_Atomic uint32_t handles_hiwater;
	/* Raised (CAS) by each mpool_open that shares the region by key:
	 * the largest maxcache any of them asked for. Relaxed. */
	_Atomic uint32_t max_resident;
	/* Elastic (mpool(3)) regions only: frames holding a page (VALID),
	 * +1 when a fill succeeds, -1 when an eviction clears VALID. Relaxed;
	 * read to decide shrinking. Other regions never read it, so their
	 * misses do not write it (one contended line less per miss). */
	_Atomic uint32_t resident __attribute__((aligned(LFM_CACHELINE)));
	/* Elastic regions only: index + 1 of the frame a put last shed (left
	 * free) while over budget; the next miss takes it before it carves
	 * or sweeps (victim.c), 0: none. Cleared by a put within budget: the
	 * cached pages are no longer all pinned, and a miss must evict one
	 * rather than grow. A hint, relaxed: the taker checks the frame's
	 * state word and claims it by CAS like any victim. */
	_Atomic uint32_t shed_hint;
	/* Victims evicted clean / written first (st_ro_evict, st_rw_evict),
	 * striped like the per-file counters: a miss adds to its thread's
	 * stripe (relaxed fetch_add), memp_stat sums them. */
	struct lfm__evict_stripe {
		_Atomic uint64_t ro, rw;
	} __attribute__((aligned(LFM_CACHELINE))) evict[LFM_STAT_STRIPES];

	/* The owner-plain guard (tcguard.h): its state word (CAS by thieves
	 * entering and leaving and by the opener), the generation its last
	 * opening attempt saw (relaxed, a hint), and whether owners may ever
	 * be plain (a private region in a process membarrier(2) accepted;
	 * fixed at creation). A line of its own: thieves write it, the hit
	 * path never reads it. */
	_Atomic uint64_t tc_guard __attribute__((aligned(LFM_CACHELINE)));
	_Atomic uint64_t tc_guard_seen;
	uint32_t tc_plain_ok;

	/* Flusher threads running on the region (any process): misses skip
	 * a few dirty victims while it is non-zero. Relaxed: a stale view
	 * only changes which victim is chosen. (The log's durable LSN, the
	 * flushers' wake-up word and the checkpoint's state are parts of
	 * their modules': pagewrite.c, bgwriter.c, ckpt_state.h.) */
	_Atomic uint32_t nflushers __attribute__((aligned(LFM_CACHELINE)));

	/* Processes attached to a shared region (shm.h): a slot is claimed
	 * by CAS of `state` 0 -> 1 and its owner then holds a lock on the
	 * slot's byte of the region file for as long as it is attached. */
	struct lfm__proc {
		_Atomic uint32_t state;
		_Atomic int32_t pid; /* for diagnostics only, never liveness */
	} procs[LFM_NPROCS];
	/* Pages the background flushers wrote (of the files' LFM_ST_OUT):
	 * added by each flusher pass (relaxed fetch_add), read by
	 * lfmpool-stat. Last, in the header's tail padding, so that no other
	 * field moves. */
	_Atomic uint64_t flush_wrote;
	/* Flusher threads (not watchers) each process slot runs: raised and
	 * lowered with `nflushers` by lfm__flushers_set, given back by the
	 * recovery of a dead slot (its threads died with it). lfmpool-stat
	 * sums the live slots'. Relaxed, as `nflushers`. */
	_Atomic uint32_t proc_flushers[LFM_NPROCS];
	/* The engine of each process slot's prefetch reads (src/os/aio's
	 * kind: 0 none yet), stored by the process when it opens its I/O
	 * queue and cleared when it closes it; lfmpool-stat shows the live
	 * slots'. Relaxed: a report, read by no code path. */
	_Atomic uint32_t proc_io[LFM_NPROCS];
	/* memp_sync statistics (checkpoint.c): calls, DB_INCOMPLETE
	 * answers, pages written, and the last call's duration in
	 * nanoseconds. Relaxed: counted once a call, off every hot path. */
	_Atomic uint64_t ckpt_calls, ckpt_incomplete, ckpt_pages, ckpt_last_ns;
	/* Recovery's frame while it holds other processes' pin-log entries
	 * (pinrecount.h), index + 1 (0: none): a recoverer that dies leaves
	 * it for the next, which redoes that recount first. Written and read
	 * by recovery only, one process at a time. */
	_Atomic uint32_t recover_frame;
};

/* Layout sizes of this build: a region made by another build with other
 * sizes is refused (EINVAL), never misread. */
#define LFM_REGION_ABI                                                         \
	((uint32_t)(sizeof(struct lfm__region_hdr) ^                           \
		    (sizeof(struct lfm__frame) << 12) ^                        \
		    (sizeof(struct lfm__file) << 16)))

static inline void *lfm__at(void *base, uint64_t off)
{
	return (char *)base + off;
}

/* Part i of the region (see LFM_REGION_NPARTS): for its owner only. */
static inline void *lfm__region_part(struct lfm__region_hdr *rh, unsigned i)
{
	return lfm__at(rh, rh->off_part[i]);
}

static inline struct lfm__frame *lfm__frames(struct lfm__region_hdr *rh)
{
	return lfm__at(rh, rh->off_frames);
}

static inline struct lfm__bucket *lfm__buckets(struct lfm__region_hdr *rh)
{
	return lfm__at(rh, rh->off_buckets);
}

static inline struct lfm__file *lfm__files(struct lfm__region_hdr *rh)
{
	return lfm__at(rh, rh->off_files);
}

static inline void *lfm__frame_page(struct lfm__region_hdr *rh,
				    const struct lfm__frame *f)
{
	return lfm__at(rh, f->place & ((1ull << LFM_PLACE_SHIFT) - 1));
}

static inline uint32_t lfm__frame_bufsize(const struct lfm__frame *f)
{
	return (uint32_t)(f->place >> LFM_PLACE_SHIFT) * LFM_CACHELINE;
}

static inline uint32_t lfm__frame_idx(struct lfm__region_hdr *rh,
				      const struct lfm__frame *f)
{
	return (uint32_t)(f - lfm__frames(rh));
}

/* The file slots and thread caches a pool's region has unless its API
 * asks otherwise. */
#define LFM_NFILES   256
#define LFM_NHANDLES 64

/* Geometry of a new region, computed from the cache budget. */
struct lfm__region_geom {
	uint64_t cache_bytes;
	uint32_t nfiles_max;
	uint32_t nhandles;
	/* mpool(3): while every cached page is pinned, carve past the budget
	 * (up to extra_bytes more), and give frames back as pages are
	 * unpinned, down to max_resident pages. */
	uint32_t elastic;
	uint32_t max_resident;
	uint64_t extra_bytes;
	/* A region other processes map: it gets per-process pin logs. */
	uint32_t shared;
	/* Entries of each thread cache (a power of two); 0:
	 * lfm__tcache_geometry's choice. Unit tests set it to make frames
	 * share an entry. */
	uint32_t tc_entries;
	/* The most entries a thread cache may have (DB_ENV.mp_tcache_size);
	 * 0: LFM_TC_DEFAULT_ENTRIES. */
	uint64_t tc_cap_entries;
	/* The parts the layers above own: part i gets part_size[i] bytes
	 * (0: none). A new region's parts are zeroed, then handed to
	 * init_parts(rh, init_arg) (when set) before the region is
	 * published; a region joined is used as its creator laid it out. */
	uint64_t part_size[LFM_REGION_NPARTS];
	void (*init_parts)(struct lfm__region_hdr *rh, const void *init_arg);
	const void *init_arg;
};

/* Where frame idx's page is, without reading its descriptor, when the
 * pool has one uniform stride (NULL when it mixes page sizes); exact only
 * for a frame the caller pinned (uniform_stride above), a guess for
 * prefetching otherwise. The walk (ftab.h) and the hit path compute the
 * same from copies of the base and a stride they load once. */
static inline const void *lfm__page_guess(struct lfm__region_hdr *rh,
					  uint32_t idx)
{
	uint32_t stride =
	    atomic_load_explicit(&rh->uniform_stride, memory_order_relaxed);
	if (stride == 0)
		return NULL;
	return (const char *)rh + rh->off_data + (uint64_t)idx * stride;
}

static inline struct lfm__chunk *lfm__chunks(struct lfm__region_hdr *rh)
{
	return lfm__at(rh, rh->off_chunks);
}

/* Computes a region's geometry and offsets into *l (zeroed first).
 * 0 or EINVAL. */
int lfm__region_layout(const struct lfm__region_geom *g,
		       struct lfm__region_hdr *l);

/* Initialises zeroed memory of l->size bytes as region l, laid out from
 * g (whose init_parts it calls); sets the magic last. */
void lfm__region_init(struct lfm__region_hdr *rh,
		      const struct lfm__region_hdr *l,
		      const struct lfm__region_geom *g);

/* Allocates and initialises a private region (jemalloc arena memory, or
 * calloc under ASan). Returns NULL with errno set. */
struct lfm__region_hdr *
lfm__region_create_private(const struct lfm__region_geom *g);
void lfm__region_destroy_private(struct lfm__region_hdr *rh);

/* Carves a new frame whose buffer holds `pagesize` bytes, if the budget
 * allows. Returns its index with the frame in state LFM_F_EXCL (owned by the
 * caller, whose process slot + 1 `owner` is in its OWNER bits), or -1 when
 * the budget is spent. */
int64_t lfm__region_carve(struct lfm__region_hdr *rh, uint32_t pagesize,
			  int over_budget);
/* The same, holding carve_lock as `owner` (futex.h). */
int64_t lfm__region_carve_as(struct lfm__region_hdr *rh, uint32_t pagesize,
			     int over_budget, uint32_t owner);

/* Whether a carve of `pagesize` could succeed once the budget allows: a
 * chunk of its stride has room (or retired frames), or a new chunk can
 * open. Decides whether retiring frames of other sizes is worth it. */
int lfm__region_could_carve(struct lfm__region_hdr *rh, uint32_t pagesize,
			    uint32_t owner);

/* Retires frame f, which the caller holds in EXCL, evicted (not VALID,
 * no tag, unlinked, no references): it becomes a placeholder and its
 * bytes go back to the budget. Sleepers on its state word are woken. */
void lfm__region_retire(struct lfm__region_hdr *rh, struct lfm__frame *f,
			uint32_t owner);

/* Shared regions' recovery, when a dead process held carve_lock: the
 * chunks' retired counts and the budget used are recomputed from the
 * frames, and a carved frame the carver had not yet marked as its own
 * (EXCL, no owner, not retired) is freed. Takes carve_lock as `owner`. */
void lfm__region_carve_repair(struct lfm__region_hdr *rh, uint32_t owner);

/* Pools mixing page sizes (docs/protocol.md rule 24): trades frame f for
 * one of `pagesize`'s stride. f is held in EXCL by the caller, evicted (as
 * for lfm__region_retire), and its buffer is another size. Under one hold
 * of carve_lock: if a frame of the stride can be had at all
 * (lfm__region_could_carve), f is retired and a frame of the stride is
 * carved if the budget now allows. Returns the carved frame's index (in
 * EXCL, the caller's), -1 when f was retired but the budget is still
 * short of the stride (the caller retires more), or -2 when no frame of
 * the stride can be made: f is untouched, still the caller's. */
int64_t lfm__region_trade(struct lfm__region_hdr *rh, struct lfm__frame *f,
			  uint32_t pagesize, uint32_t owner);

/* Maps a page pointer to its frame, or NULL if it is not the start of a
 * page buffer of this region. */
struct lfm__frame *lfm__region_frame_of(struct lfm__region_hdr *rh,
					const void *page);

/* A thread cache ("handle", tcache.h) as the region lays it out. */
/* An entry word (tcache.h): count in bits 0..15, so that a pin and a
 * put add and subtract a small constant; REF bit 16; uses (hits not yet
 * added to a counter) in bits 17..31, below the frame so that the add
 * after their last carries into it; frame index + 1 in bits 32..63. */
#define LFM_TC_COUNT_ONE 1ull
#define LFM_TC_COUNT_MAX 0xffffu
#define LFM_TC_REF	 (1ull << 16)
#define LFM_TC_USE_SHIFT 17
#define LFM_TC_USE_ONE	 (1ull << LFM_TC_USE_SHIFT)
#define LFM_TC_USE_MAX	 0x7fffu
#define LFM_TC_USE_MASK	 ((uint64_t)LFM_TC_USE_MAX << LFM_TC_USE_SHIFT)
/* An owner's pin through its entry: one more pin, one more use. */
#define LFM_TC_PIN_USE	   (LFM_TC_COUNT_ONE + LFM_TC_USE_ONE)
#define LFM_TC_FRAME_SHIFT 32
/* A thread cache's entries: at most LFM_TC_DEFAULT_ENTRIES (1 MiB a
 * thread) unless DB_ENV.mp_tcache_size asks for more, and never more than
 * LFM_TC_MAX_ENTRIES (16 MiB: an entry per frame of a 4 GiB pool). */
#define LFM_TC_DEFAULT_ENTRIES 65536
#define LFM_TC_MAX_ENTRIES     (1u << 20)
#define LFM_TC_MIN_ENTRIES     4 /* DB_ENV.mp_tcache_size of at least 64 bytes */

struct lfm__tc_entry {
	_Atomic uint64_t word;
	uint64_t tag;
};

struct lfm__handle {
	_Atomic uint32_t owner; /* 0: free */
	/* Statistics stripe for threads sharing it: written by the claimer,
	 * read by the owner. */
	uint32_t stripe;
	uint32_t pad0;
	/* The process slot + 1 of the owner in a shared region (0: private):
	 * written by the claimer before anyone can see the claim matter; read
	 * at memp_close and by recovery of a dead process (shm.h). */
	_Atomic uint32_t proc;
	uint32_t pad[12];
	/* The owner-plain handshake (tcguard.h), a line of its own right
	 * before the entries, so that the hit path reaches it from their
	 * address: `busy` (owner-only) is 1 while the owner may be between
	 * its load of `plain` and its last plain store to an entry word;
	 * `plain` lets the owner change its words by plain stores (written
	 * 0 by thieves arming, the claimer and the releaser; 1 only by the
	 * guard's opener). */
	_Atomic uint32_t busy __attribute__((aligned(LFM_CACHELINE)));
	_Atomic uint32_t plain;
	uint32_t pad1[14];
	/* followed by: struct lfm__tc_entry entries[tc_entries]
	 *              (the region's geometry: fixed for its life, so
	 *              thieves read it without synchronising with owners);
	 *              _Atomic uint64_t stats[nfiles][LFM_ST_NCOUNTERS]; */
} __attribute__((aligned(LFM_CACHELINE)));

/* Handle i (tcache.h). */
static inline struct lfm__handle *lfm__handle_at(struct lfm__region_hdr *rh,
						 uint32_t i)
{
	return lfm__at(rh, rh->off_handles + (uint64_t)i * rh->handle_size);
}

/* Entries of each thread cache for a pool of about `nframes` frames
 * (entries_wanted: 0, or the entries to have, rounded up to a power of
 * two), with at most `cap_entries` entries (0: LFM_TC_DEFAULT_ENTRIES;
 * else the largest power of two within it and LFM_TC_MAX_ENTRIES). */
uint32_t lfm__tcache_geometry(uint64_t nframes, uint32_t entries_wanted,
			      uint64_t cap_entries);
uint64_t lfm__tcache_handle_size(uint32_t entries, uint32_t nfiles,
				 uint64_t *stats_off);

#endif
