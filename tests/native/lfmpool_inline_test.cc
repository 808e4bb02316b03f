// The inline halves of lfmpool_get and lfmpool_put (include/lfmpool.h):
// which calls they serve themselves and which they hand to the library,
// and that the answers are the same either way. The library halves,
// lfmpool__get_slow2 and lfmpool__put_slow2, are wrapped at link time
// (BUILD: -Wl,--wrap) so that each thread counts the calls that reached
// them; the inline halves, compiled into this file, call the wrappers.
//
// What the header promises and the cases check: a page the calling thread
// has used before, in a pool of one page size, is pinned and released with
// no call into the library; a first use (a miss) is the library's; so is
// everything in a pool of several page sizes, a put of a pin the calling
// thread did not take, and every error.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"
#include "tests/native/native_fixture.h"

namespace {
// The calls of this thread that reached the library halves.
thread_local uint64_t get_slow_calls;
thread_local uint64_t put_slow_calls;
}  // namespace

// The linker's names for the wrapped functions (ld --wrap).
extern "C" int __real_lfmpool__get_slow2(lfmpool_file *file, uint32_t pgno,
                                         void **pagep);
extern "C" int __real_lfmpool__put_slow2(lfmpool_file *file, void *page);

extern "C" int __wrap_lfmpool__get_slow2(lfmpool_file *file, uint32_t pgno,
                                         void **pagep) {
  get_slow_calls++;
  return __real_lfmpool__get_slow2(file, pgno, pagep);
}

extern "C" int __wrap_lfmpool__put_slow2(lfmpool_file *file, void *page) {
  put_slow_calls++;
  return __real_lfmpool__put_slow2(file, page);
}

namespace lfmtest {
namespace {

// The calls that reached the library since it was made, on this thread.
struct SlowCalls {
  uint64_t get0 = get_slow_calls, put0 = put_slow_calls;
  uint64_t gets() const { return get_slow_calls - get0; }
  uint64_t puts() const { return put_slow_calls - put0; }
};

// A page used this many times by a thread is its thread's to pin inline
// (the first use is a miss or a direct pin, the second earns the page an
// entry in the thread's pin cache: docs/hit-path.md).
constexpr int kWarmUses = 4;

void Warm(lfmpool_file *f, uint32_t pgno) {
  for (int i = 0; i < kWarmUses; i++) {
    void *page = NGet(f, pgno);
    ASSERT_NE(page, nullptr);
    NPut(f, page);
  }
}

using NativeInline = NativeTest;

// The wrapping works: a call with a NULL argument is the library's.
TEST_F(NativeInline, ErrorsOfArgumentsAreTheLibrarys) {
  SlowCalls c;
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(nullptr, 0, &page), EINVAL);
  EXPECT_EQ(lfmpool_get(file_, 0, nullptr), EINVAL);
  EXPECT_EQ(lfmpool_put(nullptr, &page), EINVAL);
  EXPECT_EQ(c.gets(), 2u);
  EXPECT_EQ(c.puts(), 1u);
}

// The first get of a page (a miss) goes to the library; once the thread
// has used the page, gets and puts of it are inline: a thousand pairs, no
// call into the library, the same address and the file's bytes each time.
TEST_F(NativeInline, FirstUseIsTheLibrarysRepeatedUseIsInline) {
  SlowCalls first;
  void *page = NGet(file_, 3);
  ASSERT_NE(page, nullptr);
  const uint64_t first_gets = first.gets();
  EXPECT_EQ(first_gets, 1u) << "a miss was served inline";
  NPut(file_, page);
  Warm(file_, 3);
  SlowCalls c;
  for (int i = 0; i < 1000; i++) {
    void *again = nullptr;
    ASSERT_EQ(lfmpool_get(file_, 3, &again), 0);
    ASSERT_EQ(again, page);
    ASSERT_EQ(memcmp(again, PatternPage(3, kPage).data(), kPage), 0);
    ASSERT_EQ(lfmpool_put(file_, again), 0);
  }
  EXPECT_EQ(c.gets(), 0u) << "repeated gets reached the library";
  EXPECT_EQ(c.puts(), 0u) << "repeated puts reached the library";
  printf(
      "[   info   ] first use: %llu library gets; 1000 repeated uses: "
      "%llu gets, %llu puts\n",
      static_cast<unsigned long long>(first_gets),
      static_cast<unsigned long long>(c.gets()),
      static_cast<unsigned long long>(c.puts()));
}

// Every page of the pool used over and over: all inline once warm, and a
// page not used yet by the thread is the library's.
TEST_F(NativeInline, EveryWarmPageIsInline) {
  for (uint32_t p = 0; p < kPages; p++) Warm(file_, p);
  SlowCalls c;
  for (int round = 0; round < 20; round++) {
    for (uint32_t p = 0; p < kPages; p++) {
      void *page = nullptr;
      ASSERT_EQ(lfmpool_get(file_, p, &page), 0);
      ASSERT_EQ(static_cast<uint8_t *>(page)[100], PatternByte(p, 100));
      ASSERT_EQ(lfmpool_put(file_, page), 0);
    }
  }
  EXPECT_EQ(c.gets(), 0u);
  EXPECT_EQ(c.puts(), 0u);
  // A page past the end: the library's, EINVAL.
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(file_, kPages, &page), EINVAL);
  EXPECT_EQ(c.gets(), 1u);
}

// Nested inline pins of one page: each is a pin (the dirty page cannot be
// synced until the last is put), and a put too many is EINVAL.
TEST_F(NativeInline, InlinePinsAreCountedPins) {
  Warm(file_, 7);
  SlowCalls c;
  void *page = NGet(file_, 7);
  ASSERT_NE(page, nullptr);
  for (int i = 0; i < 9; i++) EXPECT_EQ(NGet(file_, 7), page);
  EXPECT_EQ(c.gets(), 0u);
  FillPattern(page, kPage, 7, 1);
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  for (int i = 0; i < 9; i++) {
    ASSERT_EQ(lfmpool_put(file_, page), 0);
    ASSERT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE) << "after put " << i;
  }
  ASSERT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(c.puts(), 0u);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 7, kPage) == PatternPage(7, kPage, 1));
  SlowCalls after;
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
  EXPECT_EQ(after.puts(), 1u) << "a put too many was answered inline";
}

// A pin taken inline and its bad puts: a pointer that is not the page's
// start, a page of another file, each EINVAL from the library with the pin
// kept; the good put is inline.
TEST_F(NativeInline, BadPutsOfAnInlinePinAreTheLibrarysEinval) {
  MakeFile(Path("b.db"), kPages, kPage, 2);
  lfmpool_file *fb = OpenNativeFile(pool_, Path("b.db"));
  ASSERT_NE(fb, nullptr);
  Warm(file_, 2);
  Warm(fb, 2);
  void *pa = NGet(file_, 2);
  void *pb = NGet(fb, 2);
  ASSERT_NE(pa, nullptr);
  ASSERT_NE(pb, nullptr);
  SlowCalls c;
  char *p = static_cast<char *>(pa);
  int bad = 0;
  for (char *q : {p + 1, p + 64, p + kPage - 1, p - 8}) {
    EXPECT_EQ(lfmpool_put(file_, q), EINVAL) << "page + " << (q - p);
    bad++;
  }
  EXPECT_EQ(lfmpool_put(fb, pa), EINVAL);
  EXPECT_EQ(lfmpool_put(file_, pb), EINVAL);
  bad += 2;
  EXPECT_EQ(c.puts(), static_cast<uint64_t>(bad));
  ASSERT_EQ(lfmpool_set(file_, pa, LFMPOOL_PUT_DIRTY), 0);
  ASSERT_EQ(lfmpool_set(fb, pb, LFMPOOL_PUT_DIRTY), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_fsync(fb), LFMPOOL_INCOMPLETE);
  SlowCalls good;
  EXPECT_EQ(lfmpool_put(file_, pa), 0);
  EXPECT_EQ(lfmpool_put(fb, pb), 0);
  EXPECT_EQ(good.puts(), 0u);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(lfmpool_fsync(fb), 0);
  EXPECT_EQ(lfmpool_fclose(fb), 0);
}

// A page's pin count at the most a thread's entry holds: further gets are
// the library's (direct pins) until the page is full, EAGAIN; every pin
// then goes back.
TEST_F(NativeInline, FullEntryFallsBackThenEagain) {
  Warm(file_, 1);
  SlowCalls c;
  void *page = NGet(file_, 1);
  ASSERT_NE(page, nullptr);
  unsigned long pins = 1;
  int rc = 0;
  while (pins < (1ul << 22)) {
    void *again = nullptr;
    rc = lfmpool_get(file_, 1, &again);
    if (rc != 0) break;
    ASSERT_EQ(again, page);
    pins++;
  }
  ASSERT_EQ(rc, EAGAIN);
  printf("[   info   ] %lu pins: %llu from the library\n", pins,
         static_cast<unsigned long long>(c.gets()));
  EXPECT_GE(pins, static_cast<unsigned long>(LFMPOOL__MAXPINS));
  // The entry's pins were inline; the rest, and the EAGAIN, the library's.
  EXPECT_EQ(c.gets(), pins - LFMPOOL__MAXPINS + 1);
  for (unsigned long i = 0; i < pins; i++) {
    rc = lfmpool_put(file_, page);
    if (rc != 0) {
      ADD_FAILURE() << "put " << i << " of " << pins << ": " << rc;
      break;
    }
  }
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
  ASSERT_EQ(lfmpool_set(file_, NGet(file_, 1), LFMPOOL_PUT_DIRTY), 0);
  NPut(file_, page);
  EXPECT_EQ(lfmpool_fsync(file_), 0) << "a pin was left";
}

// A pool of several page sizes: from the moment a second size has frames,
// every get and put is the library's, warm or not, and the pages are
// right.
TEST(NativeInlineSizes, SeveralPageSizesFallBackToTheLibrary) {
  TempDir dir;
  MakeFile(dir.File("a.db"), 8, 4096, 1);
  MakeFile(dir.File("b.db"), 8, 8192, 2);
  lfmpool *pool = OpenPrivatePool(kNativePool);
  ASSERT_NE(pool, nullptr);
  lfmpool_file *fa = OpenNativeFile(pool, dir.File("a.db"), 4096);
  lfmpool_file *fb = OpenNativeFile(pool, dir.File("b.db"), 8192);
  ASSERT_NE(fa, nullptr);
  ASSERT_NE(fb, nullptr);
  Warm(fa, 5);
  {
    SlowCalls c;
    void *page = NGet(fa, 5);
    ASSERT_NE(page, nullptr);
    NPut(fa, page);
    EXPECT_EQ(c.gets() + c.puts(), 0u) << "one page size: inline";
  }
  Warm(fb, 5);  // the first 8 KiB frame
  SlowCalls c;
  const int n = 100;
  for (int i = 0; i < n; i++) {
    void *a = NGet(fa, 5);
    void *b = NGet(fb, 5);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    ASSERT_EQ(memcmp(a, PatternPage(5, 4096, 1).data(), 4096), 0);
    ASSERT_EQ(memcmp(b, PatternPage(5, 8192, 2).data(), 8192), 0);
    NPut(fa, a);
    NPut(fb, b);
  }
  EXPECT_EQ(c.gets(), 2u * n);
  EXPECT_EQ(c.puts(), 2u * n);
  // Errors are the same there.
  void *page = NGet(fa, 6);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(lfmpool_put(fb, page), EINVAL);
  EXPECT_EQ(lfmpool_put(fa, static_cast<char *>(page) + 64), EINVAL);
  EXPECT_EQ(lfmpool_put(fa, page), 0);
  EXPECT_EQ(lfmpool_put(fa, page), EINVAL);
  EXPECT_EQ(lfmpool_fclose(fa), 0);
  EXPECT_EQ(lfmpool_fclose(fb), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// A thread moving from one pool to another: its first get in the pool it
// did not use last is the library's, the next ones inline again.
TEST(NativeInlinePools, SwitchingPoolsCostsOneLibraryCall) {
  TempDir dir;
  MakeFile(dir.File("a.db"), 4, kPage, 1);
  MakeFile(dir.File("b.db"), 4, kPage, 2);
  lfmpool *pa = OpenPrivatePool(kNativePool);
  lfmpool *pb = OpenPrivatePool(kNativePool);
  ASSERT_NE(pa, nullptr);
  ASSERT_NE(pb, nullptr);
  lfmpool_file *fa = OpenNativeFile(pa, dir.File("a.db"));
  lfmpool_file *fb = OpenNativeFile(pb, dir.File("b.db"));
  ASSERT_NE(fa, nullptr);
  ASSERT_NE(fb, nullptr);
  Warm(fa, 1);
  Warm(fb, 1);
  for (int round = 0; round < 3; round++) {
    for (lfmpool_file *f : {fa, fb}) {
      const uint32_t salt = f == fa ? 1 : 2;
      SlowCalls c;
      for (int i = 0; i < 5; i++) {
        void *page = NGet(f, 1);
        ASSERT_NE(page, nullptr);
        ASSERT_EQ(memcmp(page, PatternPage(1, kPage, salt).data(), kPage), 0);
        NPut(f, page);
      }
      EXPECT_EQ(c.gets(), 1u) << "round " << round;
      EXPECT_EQ(c.puts(), 0u) << "round " << round;
    }
  }
  EXPECT_EQ(lfmpool_fclose(fa), 0);
  EXPECT_EQ(lfmpool_fclose(fb), 0);
  EXPECT_EQ(lfmpool_close(pa), 0);
  EXPECT_EQ(lfmpool_close(pb), 0);
}

// Pins are fungible: a pin this thread took inline is put by another
// thread (through the library), after which it is gone here too; and the
// other thread's own warm pins are inline for it.
TEST_F(NativeInline, AnotherThreadPutsAnInlinePin) {
  Warm(file_, 4);
  void *page = NGet(file_, 4);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 4, 3);
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  ASSERT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  Runner other;
  uint64_t other_puts = 0, other_warm = 0;
  int rc = -1;
  other.Do([&] {
    SlowCalls c;
    rc = lfmpool_put(file_, page);
    other_puts = c.puts();
    Warm(file_, 5);
    SlowCalls w;
    void *p5 = NGet(file_, 5);
    if (p5 != nullptr) NPut(file_, p5);
    other_warm = w.gets() + w.puts();
  });
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(other_puts, 1u) << "another thread's pin was put inline";
  EXPECT_EQ(other_warm, 0u) << "the other thread's warm page was not inline";
  // This thread's entry for the page serves it inline still (a write of
  // the page, below, may take the entry away: it is only a cache).
  {
    SlowCalls c;
    EXPECT_EQ(NGet(file_, 4), page);
    NPut(file_, page);
    EXPECT_EQ(c.gets() + c.puts(), 0u);
  }
  EXPECT_EQ(lfmpool_fsync(file_), 0) << "the pin is still held";
  EXPECT_TRUE(ReadPage(Path(), 4, kPage) == PatternPage(4, kPage, 3));
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
}

// Another thread's put of this thread's pin shuts the guard (it writes
// this thread's entry). The warm page's hits stay inline, by CAS, but for
// one op in LFMPOOL__GUARD_PERIOD, which the library serves and counts;
// its second such op (no thief since the first) opens the guard, and the
// hits are plain stores again.
TEST_F(NativeInline, AShutGuardPinsInlineAndOpensAgain) {
  Warm(file_, 6);
  ASSERT_EQ(GuardPlain(), 1u) << "a private pool's new thread is plain";
  void *page = NGet(file_, 6);
  ASSERT_NE(page, nullptr);
  Runner other;
  int rc = -1;
  other.Do([&] { rc = lfmpool_put(file_, page); });
  ASSERT_EQ(rc, 0);
  ASSERT_EQ(GuardPlain(), 0u) << "a foreign put left the guard open";
  auto pair = [&] {
    void *again = nullptr;
    ASSERT_EQ(lfmpool_get(file_, 6, &again), 0);
    ASSERT_EQ(again, page);
    ASSERT_EQ(static_cast<uint8_t *>(again)[77], PatternByte(6, 77));
    ASSERT_EQ(lfmpool_put(file_, again), 0);
  };
  SlowCalls shut;
  const int kShutPairs = (LFMPOOL__GUARD_PERIOD - 2) / 2;
  for (int i = 0; i < kShutPairs; i++) pair();
  EXPECT_EQ(shut.gets() + shut.puts(), 0u) << "a shut guard's hits left";
  EXPECT_EQ(GuardPlain(), 0u);
  SlowCalls opening;
  int pairs = 0;
  while (GuardPlain() == 0 && pairs < 4 * (int)LFMPOOL__GUARD_PERIOD) {
    pair();
    pairs++;
  }
  EXPECT_EQ(GuardPlain(), 1u) << "the guard did not open";
  EXPECT_GE(opening.gets() + opening.puts(), 1u);
  EXPECT_LE(opening.gets() + opening.puts(), 2u) << "more than its ticks";
  EXPECT_LE(pairs, (int)LFMPOOL__GUARD_PERIOD + 1);
  SlowCalls open;
  for (int i = 0; i < 1000; i++) pair();
  EXPECT_EQ(open.gets() + open.puts(), 0u);
  EXPECT_EQ(GuardPlain(), 1u);
  printf("[   info   ] guard opened after %d more pairs, %llu library calls\n",
         pairs,
         static_cast<unsigned long long>(opening.gets() + opening.puts()));
  EXPECT_EQ(lfmpool_fsync(file_), 0) << "a pin was left";
}

// The library halves that programs built against LFMPOOL_FAST_ABI 1
// call (no longer declared by the header, still exported), and that
// header's inline halves, as it had them: they pin and release by CAS
// whatever the guard says.
extern "C" int lfmpool__get_slow(lfmpool_file *file, uint32_t pgno,
                                 void **pagep);
extern "C" int lfmpool__put_slow(lfmpool_file *file, void *page);

int AbiOneGet(lfmpool_file *file, uint32_t pgno, void **pagep) {
  auto *f = reinterpret_cast<const lfmpool__file *>(file);
  auto *t = static_cast<lfmpool__thread *>(lfmpool__tls_fast);
  if (t->serial != f->serial) return lfmpool__get_slow(file, pgno, pagep);
  uint64_t tag = f->tag_hi | pgno;
  uint32_t head = __atomic_load_n(
      &f->buckets[(tag * 0x9e3779b97f4a7c15ull) >> f->bshift].head,
      __ATOMIC_ACQUIRE);
  lfmpool__entry *e = &t->tc[(uint32_t)(head - 1) & t->tc_mask];
  uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
  uint32_t shift = __atomic_load_n(f->shiftp, __ATOMIC_RELAXED);
  if (e->tag != tag || (uint32_t)(w >> 32) != head || head == 0 ||
      (uint16_t)w == LFMPOOL__MAXPINS || shift == 0 ||
      !__atomic_compare_exchange_n(&e->word, &w, (w + 1) | LFMPOOL__REF, 0,
                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return lfmpool__get_slow(file, pgno, pagep);
  *pagep = const_cast<char *>(f->data) + ((uint64_t)(head - 1) << shift);
  return 0;
}

int AbiOnePut(lfmpool_file *file, void *page) {
  auto *f = reinterpret_cast<const lfmpool__file *>(file);
  auto *t = static_cast<lfmpool__thread *>(lfmpool__tls_fast);
  if (t->serial != f->put_serial) return lfmpool__put_slow(file, page);
  uint32_t shift = __atomic_load_n(f->shiftp, __ATOMIC_RELAXED);
  uint64_t rel = (uint64_t)((uintptr_t)page - (uintptr_t)f->data);
  uint64_t idx = (rel >> (shift & 63)) | (rel << ((64 - shift) & 63));
  if (shift == 0 || idx >= f->limit) return lfmpool__put_slow(file, page);
  lfmpool__entry *e = &t->tc[idx & t->tc_mask];
  uint64_t w = __atomic_load_n(&e->word, __ATOMIC_RELAXED);
  if ((w >> 32) != idx + 1 || (uint16_t)w == 0 ||
      (uint32_t)(e->tag >> 32) != (uint32_t)(f->tag_hi >> 32) ||
      !__atomic_compare_exchange_n(&e->word, &w, w - 1, 0, __ATOMIC_RELEASE,
                                   __ATOMIC_RELAXED))
    return lfmpool__put_slow(file, page);
  return 0;
}

// A program built against the first inline ABI runs on this library: its
// CAS pins and this header's plain ones of the same pages, by the same
// thread and by another, add up (a page stays unsyncable until the last
// pin of either kind is put, and a put too many is EINVAL), and its
// library halves give the answers the new ones give.
TEST_F(NativeInline, ProgramsOfTheFirstInlineAbiStillWork) {
  void *p = nullptr;
  EXPECT_EQ(lfmpool__get_slow(nullptr, 0, &p), EINVAL);
  EXPECT_EQ(lfmpool__put_slow(file_, nullptr), EINVAL);
  ASSERT_EQ(lfmpool__get_slow(file_, 9, &p), 0);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(Bytes(p, kPage) == PatternPage(9, kPage));
  ASSERT_EQ(lfmpool__put_slow(file_, p), 0);
  Warm(file_, 9);
  void *page = nullptr;
  ASSERT_EQ(AbiOneGet(file_, 9, &page), 0);
  ASSERT_EQ(page, p);
  FillPattern(page, kPage, 9, 5);
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  // Pins: one ABI 1 above; then per round one of each kind here.
  int pins = 1;
  for (int round = 0; round < 100; round++) {
    void *a = nullptr, *b = nullptr;
    ASSERT_EQ(AbiOneGet(file_, 9, &a), 0);
    ASSERT_EQ(lfmpool_get(file_, 9, &b), 0);
    ASSERT_EQ(a, page);
    ASSERT_EQ(b, page);
    pins += 2;
  }
  // Another thread (a foreign putter: it shuts the guard) puts half of
  // them with the first ABI's put, half with this one's.
  Runner other;
  int failed = 0;
  other.Do([&] {
    for (int i = 0; i < 100; i++)
      failed +=
          (i % 2 ? AbiOnePut(file_, page) : lfmpool_put(file_, page)) != 0;
  });
  EXPECT_EQ(failed, 0);
  pins -= 100;
  for (; pins > 1; pins--) {
    ASSERT_EQ(pins % 2 ? AbiOnePut(file_, page) : lfmpool_put(file_, page), 0);
    if (pins % 25 == 0) {
      ASSERT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE) << pins << " pins";
    }
  }
  ASSERT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE) << "the last pin";
  ASSERT_EQ(AbiOnePut(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 9, kPage) == PatternPage(9, kPage, 5));
  EXPECT_EQ(AbiOnePut(file_, page), EINVAL);
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
}

// A thread that exits holding inline pins: the pins stay (the page cannot
// be synced while dirty), and another thread puts them.
TEST_F(NativeInline, PinsOutliveTheThreadThatTookThem) {
  void *page = nullptr;
  uint64_t slow = 0;
  std::thread t([&] {
    Warm(file_, 8);
    SlowCalls c;
    page = NGet(file_, 8);
    if (page == nullptr) return;
    EXPECT_EQ(NGet(file_, 8), page);
    FillPattern(page, kPage, 8, 4);
    EXPECT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
    slow = c.gets();
  });
  t.join();
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(slow, 0u) << "the exiting thread's pins were not inline";
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
  EXPECT_TRUE(ReadPage(Path(), 8, kPage) == PatternPage(8, kPage, 4));
}

// lfmpool_fclose of a file's last handle drops the pins every thread took
// inline: a 5-frame pool pinned full through a.db, by two threads, has
// room for b.db's pages once a.db is closed.
TEST(NativeInlineClose, FcloseDropsInlinePinsOfEveryThread) {
  TempDir dir;
  MakeFile(dir.File("a.db"), 5, kPage, 1);
  MakeFile(dir.File("b.db"), 5, kPage, 2);
  lfmpool *pool = OpenPrivatePool(20 * 1024);
  ASSERT_NE(pool, nullptr);
  lfmpool_file *fa = OpenNativeFile(pool, dir.File("a.db"));
  lfmpool_file *fb = OpenNativeFile(pool, dir.File("b.db"));
  ASSERT_NE(fa, nullptr);
  ASSERT_NE(fb, nullptr);
  Runner other;
  uint64_t other_slow = 0;
  other.Do([&] {
    Warm(fa, 0);
    Warm(fa, 1);
    SlowCalls c;
    EXPECT_NE(NGet(fa, 0), nullptr);
    EXPECT_NE(NGet(fa, 1), nullptr);
    other_slow = c.gets();
  });
  for (uint32_t p = 2; p < 5; p++) Warm(fa, p);
  SlowCalls c;
  for (uint32_t p = 2; p < 5; p++) ASSERT_NE(NGet(fa, p), nullptr);
  EXPECT_EQ(c.gets() + other_slow, 0u) << "pins that were not inline";
  void *page = nullptr;
  ASSERT_EQ(lfmpool_get(fb, 0, &page), ENOMEM);
  ASSERT_EQ(lfmpool_fclose(fa), 0);
  std::vector<void *> held;
  for (uint32_t p = 0; p < 5; p++) {
    page = NGet(fb, p);
    ASSERT_NE(page, nullptr) << "page " << p << ": a.db's pins stayed";
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage, 2));
    held.push_back(page);
  }
  for (void *q : held) NPut(fb, q);
  // The other thread, alive all along, works on.
  other.Do([&] {
    void *q = NGet(fb, 1);
    if (q != nullptr) NPut(fb, q);
  });
  EXPECT_EQ(lfmpool_fclose(fb), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// 512-byte pages: more frames than a thread's pin cache has entries
// (frames share entries). Every page of the pool pinned at once by one
// thread, changed, put; then read again and again: the pages are right, a
// warm page is inline, and no pin is left (every frame pins at once again,
// one more page is ENOMEM, and every page made dirty syncs).
TEST(NativeInlineSmallPages, FramesSharingEntriesKeepTheirPins) {
  constexpr size_t kSmall = 512;
  constexpr uint32_t kFrames = kNativePool / kSmall;  // 512
  TempDir dir;
  MakeFile(dir.File("s.db"), kFrames + 1, kSmall, 1);
  lfmpool *pool = OpenPrivatePool(kNativePool);
  ASSERT_NE(pool, nullptr);
  lfmpool_file *f = OpenNativeFile(pool, dir.File("s.db"), kSmall);
  ASSERT_NE(f, nullptr);
  for (int round = 0; round < 3; round++) {
    std::vector<void *> held;
    for (uint32_t p = 0; p < kFrames; p++) {
      void *page = NGet(f, p);
      ASSERT_NE(page, nullptr) << "round " << round << " page " << p;
      held.push_back(page);
    }
    void *extra = nullptr;
    ASSERT_EQ(lfmpool_get(f, kFrames, &extra), ENOMEM) << "round " << round;
    for (uint32_t p = 0; p < kFrames; p++) {
      ASSERT_TRUE(Bytes(held[p], kSmall) == PatternPage(p, kSmall, 1 + round))
          << "round " << round << " page " << p;
      FillPattern(held[p], kSmall, p, 2 + round);
      ASSERT_EQ(lfmpool_put_flags(f, held[p], LFMPOOL_PUT_DIRTY), 0);
    }
    ASSERT_EQ(lfmpool_fsync(f), 0) << "round " << round << ": a pin was left";
  }
  SlowCalls c;
  const int kUses = 20;
  for (int i = 0; i < kUses; i++) {
    for (uint32_t p = 0; p < kFrames; p++) {
      void *page = NGet(f, p);
      ASSERT_NE(page, nullptr);
      ASSERT_EQ(static_cast<uint8_t *>(page)[7], PatternByte(p, 7, 4));
      NPut(f, page);
    }
  }
  // A cycle over more frames than entries finds its entries taken by the
  // frames that share them: a figure, not a promise.
  printf(
      "[   info   ] %u frames, a cycle over all: %llu of %u gets from "
      "the library\n",
      kFrames, static_cast<unsigned long long>(c.gets()), kUses * kFrames);
  // One page used again and again keeps its entry: inline.
  Warm(f, 77);
  SlowCalls one;
  for (int i = 0; i < 100; i++) {
    void *page = NGet(f, 77);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(static_cast<uint8_t *>(page)[7], PatternByte(77, 7, 4));
    NPut(f, page);
  }
  EXPECT_EQ(one.gets() + one.puts(), 0u) << "512-byte pages are not inline";
  for (uint32_t p = 0; p < kFrames; p++) {
    void *page = NGet(f, p);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(lfmpool_set(f, page, LFMPOOL_PUT_DIRTY), 0);
    NPut(f, page);
  }
  EXPECT_EQ(lfmpool_fsync(f), 0) << "a pin was left";
  EXPECT_EQ(lfmpool_fclose(f), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// More threads at once than the pool has pin caches (64): the others get
// and put through the library, with the same answers; once threads exit,
// their caches serve new threads.
TEST_F(NativeInline, ThreadsBeyondThePinCachesUseTheLibrary) {
  constexpr int kThreads = 72;
  std::vector<uint64_t> slow(kThreads, 0);
  std::vector<int> bad(kThreads, 0);
  std::mutex m;
  std::condition_variable cv;
  int arrived = 0;
  std::vector<std::thread> th;
  for (int t = 0; t < kThreads; t++) {
    th.emplace_back([&, t] {
      const uint32_t p = static_cast<uint32_t>(t) % kPages;
      Warm(file_, p);
      SlowCalls c;
      for (int i = 0; i < 50; i++) {
        void *page = nullptr;
        if (lfmpool_get(file_, p, &page) != 0 ||
            static_cast<uint8_t *>(page)[9] != PatternByte(p, 9) ||
            lfmpool_put(file_, page) != 0)
          bad[t]++;
      }
      slow[t] = c.gets() + c.puts();
      // Alive until every thread has measured: no cache is given back.
      std::unique_lock<std::mutex> l(m);
      arrived++;
      cv.notify_all();
      cv.wait(l, [&] { return arrived == kThreads; });
    });
  }
  for (auto &x : th) x.join();
  int inline_threads = 0, library_threads = 0;
  for (int t = 0; t < kThreads; t++) {
    EXPECT_EQ(bad[t], 0) << "thread " << t;
    if (slow[t] == 0) inline_threads++;
    if (slow[t] == 100) library_threads++;
  }
  printf("[   info   ] %d threads inline, %d through the library\n",
         inline_threads, library_threads);
  EXPECT_LE(inline_threads, 64);
  EXPECT_GE(library_threads, kThreads - 64);
  EXPECT_EQ(inline_threads + library_threads, kThreads);
  // Their caches were given back: a new thread's warm page is inline.
  uint64_t later = 1;
  std::thread([&] {
    Warm(file_, 0);
    SlowCalls c;
    void *page = NGet(file_, 0);
    if (page != nullptr) NPut(file_, page);
    later = c.gets() + c.puts();
  }).join();
  EXPECT_EQ(later, 0u);
}

}  // namespace
}  // namespace lfmtest
