/* region_reader.c - a region file checked and mapped read-only
 * (region_reader.h). */
#include "region_reader.h"

#include "lfm_assert.h"
#include "tcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bounds no region this build makes exceeds by far: a header past them is
 * damaged, and checking them first keeps the products below from
 * overflowing. */
#define MAX_FILES    65536u
#define MAX_HANDLES  65536u
#define MAX_FRAMES   (1u << 30)
#define MAX_BUCKETS  (1u << 30)
#define MAX_CHUNKS   (1u << 24)
#define MAX_HANDLE_B (1ull << 32)

/* [off, off + count * each) lies within [lo, hi). */
static int fits(uint64_t off, uint64_t count, uint64_t each, uint64_t lo,
		uint64_t hi)
{
	uint64_t len, end;
	if (off < lo || off % 8 != 0 ||
	    __builtin_mul_overflow(count, each, &len) ||
	    __builtin_add_overflow(off, len, &end))
		return 0;
	return end <= hi;
}

/* The header's geometry is consistent with itself and with a file of
 * `size` bytes: after this, every array the layout names lies inside the
 * file. NULL, or what is wrong. */
static const char *check_geometry(const struct lfm__region_hdr *h,
				  uint64_t size)
{
	if (h->nfiles_max == 0 || h->nfiles_max > MAX_FILES)
		return "file slots";
	if (h->nhandles > MAX_HANDLES)
		return "handles";
	if (h->nframes_max == 0 || h->nframes_max > MAX_FRAMES)
		return "frames";
	if (h->nbuckets == 0 || h->nbuckets > MAX_BUCKETS ||
	    (h->nbuckets & (h->nbuckets - 1)) != 0)
		return "buckets";
	if (h->nchunks_max == 0 || h->nchunks_max > MAX_CHUNKS)
		return "chunks";
	if (h->tc_entries == 0 || h->tc_entries > LFM_TC_MAX_ENTRIES ||
	    (h->tc_entries & (h->tc_entries - 1)) != 0)
		return "thread cache geometry";
	uint64_t entries_end =
	    sizeof(struct lfm__handle) +
	    (uint64_t)h->tc_entries * sizeof(struct lfm__tc_entry);
	if (h->handle_size > MAX_HANDLE_B ||
	    h->handle_size % LFM_CACHELINE != 0 ||
	    h->handle_stats_off < entries_end ||
	    !fits(h->handle_stats_off,
		  (uint64_t)h->nfiles_max * LFM_ST_NCOUNTERS, sizeof(uint64_t),
		  entries_end, h->handle_size + 1))
		return "handle layout";
	if (!h->shared || h->off_pins == 0)
		return "not a shared region";
	if (!fits(h->off_files, h->nfiles_max, sizeof(struct lfm__file),
		  sizeof(*h), h->off_handles + 1) ||
	    !fits(h->off_handles, h->nhandles, h->handle_size, h->off_files,
		  h->off_buckets + 1) ||
	    !fits(h->off_buckets, h->nbuckets, sizeof(struct lfm__bucket),
		  h->off_handles, h->off_chunks + 1) ||
	    !fits(h->off_chunks, h->nchunks_max, sizeof(struct lfm__chunk),
		  h->off_buckets, h->off_frames + 1) ||
	    !fits(h->off_frames, h->nframes_max, sizeof(struct lfm__frame),
		  h->off_chunks, h->off_pins + 1) ||
	    !fits(h->off_pins, (uint64_t)LFM_NPROCS * h->nframes_max,
		  sizeof(uint16_t), h->off_frames, h->off_data + 1) ||
	    !fits(h->off_data, h->nchunks_max, LFM_CHUNK, h->off_pins,
		  size + 1))
		return "offsets";
	return NULL;
}

enum lfm__region_fault lfm__region_check(const struct lfm__region_hdr *h,
					 uint64_t file_size, const char **what)
{
	LFM_ASSERT(h != NULL && what != NULL);
	/* The creator writes the rest before its release store of the
	 * magic. */
	uint32_t magic = atomic_load_explicit(
	    &((struct lfm__region_hdr *)h)->magic, memory_order_acquire);
	*what = NULL;
	if (magic == 0)
		return LFM_RF_UNINIT;
	if (magic != LFM_REGION_MAGIC)
		return LFM_RF_MAGIC;
	if (h->version != LFM_REGION_VERSION)
		return LFM_RF_VERSION;
	if (h->abi != LFM_REGION_ABI)
		return LFM_RF_ABI;
	if (h->size != file_size)
		return LFM_RF_SIZE;
	if ((*what = check_geometry(h, h->size)) != NULL)
		return LFM_RF_GEOMETRY;
	return LFM_RF_OK;
}

static int fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The reason for a fault other than LFM_RF_OK, in err. */
static void say_fault(enum lfm__region_fault f, const char *what,
		      const char *path, const struct lfm__region_hdr *h,
		      uint64_t file_size, char *err, size_t n)
{
	switch (f) {
	case LFM_RF_UNINIT:
		fail(err, n,
		     "%s: region not initialised (being created, or its "
		     "creator died)",
		     path);
		break;
	case LFM_RF_MAGIC:
		fail(err, n, "%s: not an lfmpool region (magic 0x%08x)", path,
		     atomic_load_explicit(&((struct lfm__region_hdr *)h)->magic,
					  memory_order_relaxed));
		break;
	case LFM_RF_VERSION:
		fail(err, n,
		     "%s: region version %u, this lfmpool-stat reads version "
		     "%u",
		     path, h->version, LFM_REGION_VERSION);
		break;
	case LFM_RF_ABI:
		fail(err, n,
		     "%s: region made by a build with another layout (abi "
		     "0x%x, this one 0x%x)",
		     path, h->abi, LFM_REGION_ABI);
		break;
	case LFM_RF_SIZE:
		fail(err, n,
		     "%s: %s region file (%lld bytes, its header says %llu)",
		     path, file_size < h->size ? "truncated" : "damaged",
		     (long long)file_size, (unsigned long long)h->size);
		break;
	case LFM_RF_GEOMETRY:
	default:
		fail(err, n, "%s: damaged region header (%s)", path,
		     what != NULL ? what : "?");
		break;
	}
}

/* The geometry is written once, before the magic; a mapped header that
 * differs from the checked copy was rewritten by something else. */
static int same_geometry(const struct lfm__region_hdr *a,
			 const struct lfm__region_hdr *b)
{
	return a->size == b->size && a->off_files == b->off_files &&
	       a->off_handles == b->off_handles &&
	       a->off_buckets == b->off_buckets &&
	       a->off_chunks == b->off_chunks &&
	       a->off_frames == b->off_frames && a->off_pins == b->off_pins &&
	       a->off_data == b->off_data && a->nfiles_max == b->nfiles_max &&
	       a->nhandles == b->nhandles && a->nframes_max == b->nframes_max &&
	       a->nbuckets == b->nbuckets && a->nchunks_max == b->nchunks_max &&
	       a->tc_entries == b->tc_entries &&
	       a->handle_size == b->handle_size &&
	       a->handle_stats_off == b->handle_stats_off;
}

int lfm__region_open_ro(const char *path, int with_pages,
			struct lfm__region_ro *r, char *err, size_t n)
{
	LFM_ASSERT(path != NULL && r != NULL && err != NULL && n > 0);
	/* O_NONBLOCK: a FIFO in the region file's place must not hang us
	 * (no effect on a regular file). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, n, "%s: %s", path, strerror(errno));
	struct stat st;
	struct lfm__region_hdr h;
	const char *what;
	enum lfm__region_fault f;
	ssize_t got = 0;
	if (fstat(fd, &st) != 0) {
		fail(err, n, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, n, "%s: not a region file (not a regular file)",
		     path);
		goto out;
	}
	/* Nothing past the header is looked at before the header is. */
	if ((uint64_t)st.st_size < sizeof(h)) {
		fail(err, n,
		     "%s: truncated region file (%lld bytes, less than a "
		     "header)",
		     path, (long long)st.st_size);
		goto out;
	}
	do
		got = pread(fd, &h, sizeof(h), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(h)) {
		fail(err, n, "%s: cannot read the header: %s", path,
		     got < 0 ? strerror(errno) : "short read");
		goto out;
	}
	if ((f = lfm__region_check(&h, (uint64_t)st.st_size, &what)) !=
	    LFM_RF_OK) {
		say_fault(f, what, path, &h, (uint64_t)st.st_size, err, n);
		goto out;
	}
	/* Up to the pages, unless they are wanted: a smaller mapping is
	 * cheaper to make and undo at every sample. */
	uint64_t len = with_pages ? h.size : h.off_data;
	void *m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		fail(err, n, "%s: mmap: %s", path, strerror(errno));
		goto out;
	}
	if (!same_geometry(m, &h)) {
		munmap(m, (size_t)len);
		fail(err, n, "%s: region header changed while being read",
		     path);
		goto out;
	}
	r->fd = fd;
	r->rh = m;
	r->size = h.size;
	r->mapped = len;
	return 0;
out:
	close(fd);
	return -1;
}

void lfm__region_close_ro(struct lfm__region_ro *r)
{
	munmap(r->rh, (size_t)r->mapped);
	close(r->fd);
	r->rh = NULL;
	r->fd = -1;
}
