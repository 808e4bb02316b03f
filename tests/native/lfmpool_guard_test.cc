// The inline halves' side of the owner-plain guard (include/lfmpool.h,
// docs/protocol.md rule 8b), made deterministic: an inline get or put is
// stopped between its load of the thread's entry word and its plain store
// (the header's LFMPOOL__PLAIN_WINDOW, defined here) while another thread
// must write that entry: a sync stealing it to write the dirty page, or
// a put of another of its pins. That thread must find the owner's `busy`
// set and wait (the library's test point LFM_TEST_GUARD_WAIT says when it
// does); had it gone on, the owner's store would bring back a pin nobody
// counts, or lose the other put's. White-box: the test point is the
// engine's.
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace {
void PlainWindow();
}  // namespace
#define LFMPOOL__PLAIN_WINDOW() PlainWindow()

#include "gtest/gtest.h"
#include "lfmpool.h"
#include "testpoint.h"
#include "tests/common/test_util.h"
#include "tests/native/native_fixture.h"

namespace {

// The stopped get's window and the thief, and what they tell each other.
struct Rendezvous {
  lfmpool_file *file = nullptr;
  std::mutex m;
  std::condition_variable cv;
  bool stop_owner = false;  // the next plain window runs the thief
  int (*thief_call)(Rendezvous *) = nullptr;
  void *page = nullptr;  // for a thief that puts
  bool thief_waiting = false, thief_done = false;
  bool waited_for_owner = false;  // the thief waited before it was done
  int thief_rc = -1;
  std::thread thief;
};
Rendezvous *rv;

// On the owner, between its load of the entry word and its store: starts
// the thief and lets the owner go on once the thief waits for it, or has
// finished without waiting.
void PlainWindow() {
  if (rv == nullptr) return;
  std::unique_lock<std::mutex> l(rv->m);
  if (!rv->stop_owner) return;
  rv->stop_owner = false;
  rv->thief = std::thread([] {
    int rc = rv->thief_call(rv);
    std::lock_guard<std::mutex> g(rv->m);
    rv->thief_rc = rc;
    rv->thief_done = true;
    rv->cv.notify_all();
  });
  rv->cv.wait(l, [] { return rv->thief_waiting || rv->thief_done; });
  rv->waited_for_owner = rv->thief_waiting && !rv->thief_done;
}

void OnPoint(uint32_t at, uint32_t) {
  if (at != LFM_TEST_GUARD_WAIT || rv == nullptr) return;
  std::lock_guard<std::mutex> g(rv->m);
  rv->thief_waiting = true;
  rv->cv.notify_all();
}

using NativeGuard = lfmtest::NativeTest;

TEST_F(NativeGuard, AThiefWaitsForAnInlineGetMidChange) {
#ifdef NDEBUG
  GTEST_SKIP() << "needs the library's test points (not in NDEBUG builds)";
#else
  using lfmtest::kPage;
  constexpr uint32_t kPg = 5;
  // Page kPg warm in this thread's cache and dirty, its pin put back: the
  // entry holds the frame's reference, which the sync must steal.
  for (int i = 0; i < 4; i++) {
    void *p = lfmtest::NGet(file_, kPg);
    ASSERT_NE(p, nullptr);
    if (i == 3) {
      lfmtest::FillPattern(p, kPage, kPg, 7);
      ASSERT_EQ(lfmpool_set(file_, p, LFMPOOL_PUT_DIRTY), 0);
    }
    lfmtest::NPut(file_, p);
  }
  // The guard open (its tries are counted ops of this thread).
  for (int i = 0; lfmtest::GuardPlain() == 0 && i < 4096; i++)
    lfmtest::NPut(file_, lfmtest::NGet(file_, kPg));
  ASSERT_EQ(lfmtest::GuardPlain(), 1u) << "the guard did not open";

  Rendezvous r;
  r.file = file_;
  r.thief_call = [](Rendezvous *x) { return lfmpool_fsync(x->file); };
  r.stop_owner = true;
  rv = &r;
  lfm__test_hook_set(OnPoint);
  void *page = nullptr;
  const int get_rc = lfmpool_get(file_, kPg, &page);  // runs the thief
  r.thief.join();
  lfm__test_hook_set(nullptr);
  rv = nullptr;
  ASSERT_EQ(get_rc, 0);
  EXPECT_TRUE(r.waited_for_owner)
      << "the sync went on while the inline get was mid-change";
  // The get's pin held: the sync could not write the page.
  EXPECT_EQ(r.thief_rc, LFMPOOL_INCOMPLETE);
  EXPECT_TRUE(lfmtest::Bytes(page, kPage) ==
              lfmtest::PatternPage(kPg, kPage, 7));
  ASSERT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(lfmtest::ReadPage(Path(), kPg, kPage) ==
              lfmtest::PatternPage(kPg, kPage, 7));
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL) << "a pin too many";
#endif
}

// The put's side: this thread holds two pins of a page in its entry and
// is stopped in the middle of putting one, after loading the count (2),
// while another thread puts the other (pins are fungible), which it must
// do through this thread's entry. Had it not waited, its decrement (2 to
// 1) would be overwritten by the owner's store (1): a pin nobody holds,
// and a page no sync could write again.
TEST_F(NativeGuard, AForeignPutWaitsForAnInlinePutMidChange) {
#ifdef NDEBUG
  GTEST_SKIP() << "needs the library's test points (not in NDEBUG builds)";
#else
  using lfmtest::kPage;
  constexpr uint32_t kPg = 6;
  for (int i = 0; i < 4; i++) lfmtest::NPut(file_, lfmtest::NGet(file_, kPg));
  for (int i = 0; lfmtest::GuardPlain() == 0 && i < 4096; i++)
    lfmtest::NPut(file_, lfmtest::NGet(file_, kPg));
  ASSERT_EQ(lfmtest::GuardPlain(), 1u) << "the guard did not open";
  void *page = lfmtest::NGet(file_, kPg);
  ASSERT_NE(page, nullptr);
  ASSERT_EQ(lfmtest::NGet(file_, kPg), page);
  lfmtest::FillPattern(page, kPage, kPg, 9);
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);

  Rendezvous r;
  r.file = file_;
  r.page = page;
  r.thief_call = [](Rendezvous *x) { return lfmpool_put(x->file, x->page); };
  r.stop_owner = true;
  rv = &r;
  lfm__test_hook_set(OnPoint);
  const int put_rc = lfmpool_put(file_, page);  // runs the other put
  r.thief.join();
  lfm__test_hook_set(nullptr);
  rv = nullptr;
  EXPECT_EQ(put_rc, 0);
  EXPECT_EQ(r.thief_rc, 0);
  EXPECT_TRUE(r.waited_for_owner)
      << "the foreign put went on while the inline put was mid-change";
  // Both pins gone: the page is written, and a third put is EINVAL.
  EXPECT_EQ(lfmpool_fsync(file_), 0) << "a pin was left";
  EXPECT_TRUE(lfmtest::ReadPage(Path(), kPg, kPage) ==
              lfmtest::PatternPage(kPg, kPage, 9));
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
#endif
}

}  // namespace
