// A small client of mpool(3): a chained hash table of records on linked
// pages, the way the db(3) access methods use the pool.
//
// Page 0 is the root: magic, bucket count, record count, and per bucket the
// head page, tail page and record count. Every other page is a data page:
//   bytes 0..3 magic, 4..7 its own page number, 8..11 next page (0: none),
//   12..13 record count, 14..15 bytes used, then records
//   (u16 key length, u16 value length, key, value).
// An insert gets the root, gets the bucket's tail page (a new page when it
// is full, linked from the old tail) and appends. With maxcache 3 pages are
// evicted all through the build. The pool and the fd are closed, a new fd
// and a new pool are opened, and every record is checked by walking the
// chains and by point lookups. A second run does it all through a pgin /
// pgout pair that stores the headers big-endian and XORs the record bytes.
#include <byteswap.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "mpool.h"

namespace lfmtest {
namespace {

constexpr pgno_t kPgSize = 512;
constexpr uint32_t kRootMagic = 0x544F4F52u;  // "ROOT"
constexpr uint32_t kDataMagic = 0x31475044u;  // "DPG1"
constexpr uint32_t kBuckets = 8;
constexpr size_t kHdr = 16;
constexpr size_t kRootBucketOff = 12;  // then {head, tail, count} per bucket

uint16_t GetU16(const void *p, size_t off) {
  uint16_t v;
  memcpy(&v, static_cast<const uint8_t *>(p) + off, sizeof v);
  return v;
}
void PutU16(void *p, size_t off, uint16_t v) {
  memcpy(static_cast<uint8_t *>(p) + off, &v, sizeof v);
}

uint32_t Hash(const std::string &s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

std::string KeyOf(int i) {
  char buf[32];
  snprintf(buf, sizeof buf, "key-%05d", i);
  return buf;
}

std::string ValueOf(int i, int gen) {
  std::string v;
  const int len = (i * 37 + gen * 11) % 61;
  for (int j = 0; j < len; j++)
    v.push_back(static_cast<char>('a' + (i + j * 3 + gen) % 26));
  return v;
}

// ------------------------------------------------------------ the codec

// pgout: header words to big-endian, record bytes XORed with a function of
// the page number; pgin undoes it. Page 0 (the root) is all 32-bit words.
struct Codec {
  std::atomic<int> ins{0};
  std::atomic<int> outs{0};
  std::atomic<int> bad{0};
};

uint8_t XorKey(pgno_t pgno, size_t i) {
  return static_cast<uint8_t>(pgno * 29u + i * 13u + 0x5Cu);
}

void SwapHeader(void *page, pgno_t pgno) {
  uint8_t *p = static_cast<uint8_t *>(page);
  if (pgno == 0) {
    for (size_t off = 0; off + 4 <= kPgSize; off += 4)
      PutU32(p, off, bswap_32(GetU32(p, off)));
    return;
  }
  for (size_t off = 0; off < 12; off += 4)
    PutU32(p, off, bswap_32(GetU32(p, off)));
  PutU16(p, 12, bswap_16(GetU16(p, 12)));
  PutU16(p, 14, bswap_16(GetU16(p, 14)));
}

void XorBody(void *page, pgno_t pgno) {
  if (pgno == 0) return;
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t i = kHdr; i < kPgSize; i++) p[i] ^= XorKey(pgno, i);
}

void CodecIn(void *cookie, pgno_t pgno, void *page) {
  Codec *c = static_cast<Codec *>(cookie);
  c->ins++;
  SwapHeader(page, pgno);
  XorBody(page, pgno);
}

void CodecOut(void *cookie, pgno_t pgno, void *page) {
  Codec *c = static_cast<Codec *>(cookie);
  c->outs++;
  XorBody(page, pgno);
  SwapHeader(page, pgno);
}

// ------------------------------------------------------------ the client

class Table {
 public:
  explicit Table(MPOOL *mp) : mp_(mp) {}

  // Creates the root (page 0) on an empty file.
  bool Create() {
    pgno_t pg = 99;
    void *root = mpool_new(mp_, &pg);  // the 4.4BSD form
    if (root == nullptr || pg != 0) return Fail("root new");
    PutU32(root, 0, kRootMagic);
    PutU32(root, 4, kBuckets);
    PutU32(root, 8, 0);
    return mpool_put(mp_, root, MPOOL_DIRTY) == 0 || Fail("root put");
  }

  bool Insert(const std::string &k, const std::string &v) {
    const size_t need = 4 + k.size() + v.size();
    if (need > kPgSize - kHdr) return Fail("record too big");
    void *root = mpool_get(mp_, 0, 0);
    if (root == nullptr || GetU32(root, 0) != kRootMagic)
      return Fail("root get");
    const uint32_t b = Hash(k) % kBuckets;
    const size_t bo = kRootBucketOff + b * 12;
    pgno_t tail = GetU32(root, bo + 4);
    void *page = nullptr;
    if (tail != 0) {
      page = mpool_get(mp_, tail, 0);
      if (page == nullptr) return Fail("tail get");
      if (!CheckData(page, tail)) return false;
      if (kHdr + GetU16(page, 14) + need > kPgSize) {
        // Full: a new page, linked from the old tail.
        pgno_t np = 0;
        void *fresh = NewPage(&np);
        if (fresh == nullptr) return false;
        PutU32(page, 8, np);
        if (mpool_put(mp_, page, MPOOL_DIRTY) != 0) return Fail("tail put");
        page = fresh;
        tail = np;
        PutU32(root, bo + 4, tail);
      }
    } else {
      pgno_t np = 0;
      page = NewPage(&np);
      if (page == nullptr) return false;
      tail = np;
      PutU32(root, bo, tail);
      PutU32(root, bo + 4, tail);
    }
    // Append.
    const uint16_t used = GetU16(page, 14);
    uint8_t *rec = static_cast<uint8_t *>(page) + kHdr + used;
    PutU16(rec, 0, static_cast<uint16_t>(k.size()));
    PutU16(rec, 2, static_cast<uint16_t>(v.size()));
    memcpy(rec + 4, k.data(), k.size());
    memcpy(rec + 4 + k.size(), v.data(), v.size());
    PutU16(page, 12, static_cast<uint16_t>(GetU16(page, 12) + 1));
    PutU16(page, 14, static_cast<uint16_t>(used + need));
    PutU32(root, bo + 8, GetU32(root, bo + 8) + 1);
    PutU32(root, 8, GetU32(root, 8) + 1);
    if (mpool_put(mp_, page, MPOOL_DIRTY) != 0) return Fail("page put");
    return mpool_put(mp_, root, MPOOL_DIRTY) == 0 || Fail("root put");
  }

  // Every record, by walking the chains; checks the structure on the way.
  bool Scan(std::map<std::string, std::string> *out) {
    void *root = mpool_get(mp_, 0, 0);
    if (root == nullptr) return Fail("root get");
    if (GetU32(root, 0) != kRootMagic || GetU32(root, 4) != kBuckets) {
      mpool_put(mp_, root, 0);
      return Fail("root magic");
    }
    const uint32_t total = GetU32(root, 8);
    std::vector<uint32_t> head(kBuckets), tail(kBuckets), count(kBuckets);
    for (uint32_t b = 0; b < kBuckets; b++) {
      head[b] = GetU32(root, kRootBucketOff + b * 12);
      tail[b] = GetU32(root, kRootBucketOff + b * 12 + 4);
      count[b] = GetU32(root, kRootBucketOff + b * 12 + 8);
    }
    if (mpool_put(mp_, root, 0) != 0) return Fail("root put");
    uint32_t seen_total = 0;
    for (uint32_t b = 0; b < kBuckets; b++) {
      uint32_t seen = 0;
      pgno_t pg = head[b], last = 0;
      int hops = 0;
      while (pg != 0) {
        if (++hops > 100000) return Fail("chain loop");
        void *page = mpool_get(mp_, pg, 0);
        if (page == nullptr) return Fail("chain get " + std::to_string(pg));
        if (!CheckData(page, pg)) return false;
        const uint16_t n = GetU16(page, 12);
        const uint8_t *rec = static_cast<const uint8_t *>(page) + kHdr;
        for (uint16_t i = 0; i < n; i++) {
          const uint16_t kl = GetU16(rec, 0), vl = GetU16(rec, 2);
          std::string k(reinterpret_cast<const char *>(rec + 4), kl);
          std::string v(reinterpret_cast<const char *>(rec + 4 + kl), vl);
          if (Hash(k) % kBuckets != b) return Fail("record in wrong bucket");
          if (!out->emplace(k, v).second) return Fail("duplicate " + k);
          rec += 4 + kl + vl;
          seen++;
        }
        last = pg;
        const pgno_t next = GetU32(page, 8);
        if (mpool_put(mp_, page, 0) != 0) return Fail("chain put");
        pg = next;
      }
      if (last != tail[b]) return Fail("tail mismatch");
      if (seen != count[b]) return Fail("bucket count mismatch");
      seen_total += seen;
    }
    return seen_total == total || Fail("total mismatch");
  }

  // A point lookup: the root and one chain page pinned at a time (two).
  bool Lookup(const std::string &k, std::string *v) {
    void *root = mpool_get(mp_, 0, 0);
    if (root == nullptr) return Fail("root get");
    pgno_t pg = GetU32(root, kRootBucketOff + (Hash(k) % kBuckets) * 12);
    bool found = false;
    while (pg != 0 && !found) {
      void *page = mpool_get(mp_, pg, 0);
      if (page == nullptr) {
        mpool_put(mp_, root, 0);
        return Fail("lookup get");
      }
      const uint8_t *rec = static_cast<const uint8_t *>(page) + kHdr;
      for (uint16_t i = 0, n = GetU16(page, 12); i < n && !found; i++) {
        const uint16_t kl = GetU16(rec, 0), vl = GetU16(rec, 2);
        if (kl == k.size() && memcmp(rec + 4, k.data(), kl) == 0) {
          v->assign(reinterpret_cast<const char *>(rec + 4 + kl), vl);
          found = true;
        }
        rec += 4 + kl + vl;
      }
      const pgno_t next = GetU32(page, 8);
      if (mpool_put(mp_, page, 0) != 0) return Fail("lookup put");
      pg = next;
    }
    if (mpool_put(mp_, root, 0) != 0) return Fail("root put");
    return found;
  }

  // Rewrites the value of k in place (same length); the page is put dirty.
  bool Update(const std::string &k, const std::string &v) {
    void *root = mpool_get(mp_, 0, MPOOL_IGNOREPIN);  // read once, unpinned
    if (root == nullptr) return Fail("root get");
    pgno_t pg = GetU32(root, kRootBucketOff + (Hash(k) % kBuckets) * 12);
    while (pg != 0) {
      void *page = mpool_get(mp_, pg, 0);
      if (page == nullptr) return Fail("update get");
      uint8_t *rec = static_cast<uint8_t *>(page) + kHdr;
      for (uint16_t i = 0, n = GetU16(page, 12); i < n; i++) {
        const uint16_t kl = GetU16(rec, 0), vl = GetU16(rec, 2);
        if (kl == k.size() && memcmp(rec + 4, k.data(), kl) == 0) {
          if (vl != v.size()) {
            mpool_put(mp_, page, 0);
            return Fail("update length");
          }
          memcpy(rec + 4 + kl, v.data(), vl);
          return mpool_put(mp_, page, MPOOL_DIRTY) == 0 || Fail("put");
        }
        rec += 4 + kl + vl;
      }
      const pgno_t next = GetU32(page, 8);
      if (mpool_put(mp_, page, 0) != 0) return Fail("update put");
      pg = next;
    }
    return Fail("update: no key " + k);
  }

  const std::string &error() const { return error_; }
  int pages_made() const { return pages_made_; }

 private:
  void *NewPage(pgno_t *np) {
    // Both forms of mpool_new, alternately.
    void *p = (pages_made_++ % 2) ? mpool_new(mp_, np)
                                  : mpool_new(mp_, np, MPOOL_PAGE_NEXT);
    if (p == nullptr) {
      Fail(std::string("new: ") + strerror(errno));
      return nullptr;
    }
    for (size_t i = 0; i < kPgSize; i++)
      if (static_cast<uint8_t *>(p)[i] != 0) {
        Fail("new page not zero");
        return nullptr;
      }
    PutU32(p, 0, kDataMagic);
    PutU32(p, 4, *np);
    return p;
  }
  bool CheckData(const void *page, pgno_t pg) {
    if (GetU32(page, 0) != kDataMagic) return Fail("data magic");
    if (GetU32(page, 4) != pg) return Fail("data self pgno");
    if (kHdr + GetU16(page, 14) > kPgSize) return Fail("data used");
    return true;
  }
  bool Fail(const std::string &what) {
    if (error_.empty()) error_ = what;
    return false;
  }

  MPOOL *mp_;
  std::string error_;
  int pages_made_ = 0;
};

// ------------------------------------------------------------ the tests

class ClientTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { path_ = dir_.File("table.db"); }
  void TearDown() override {
    if (mp_ != nullptr) {
      EXPECT_EQ(mpool_close(mp_), 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  bool filtered() const { return GetParam(); }

  // A new fd and a new pool on the table file.
  void Open(pgno_t maxcache) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd_, 0);
    mp_ = mpool_open(nullptr, fd_, kPgSize, maxcache);
    ASSERT_NE(mp_, nullptr) << strerror(errno);
    if (filtered()) mpool_filter(mp_, CodecIn, CodecOut, &codec_);
  }
  // mpool_sync (if asked), mpool_close, close(fd).
  void Close(bool sync) {
    if (sync) {
      EXPECT_EQ(mpool_sync(mp_), 0);
    }
    EXPECT_EQ(mpool_close(mp_), 0);
    mp_ = nullptr;
    EXPECT_EQ(::close(fd_), 0);
    fd_ = -1;
  }
  void Verify(const std::map<std::string, std::string> &want) {
    Table t(mp_);
    std::map<std::string, std::string> got;
    ASSERT_TRUE(t.Scan(&got)) << t.error();
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
    int i = 0;
    for (const auto &kv : want) {
      if (i++ % 7 != 0) continue;
      std::string v;
      ASSERT_TRUE(t.Lookup(kv.first, &v)) << kv.first << " " << t.error();
      EXPECT_EQ(v, kv.second) << kv.first;
    }
    std::string none;
    EXPECT_FALSE(t.Lookup("no-such-key", &none));
    EXPECT_EQ(t.error(), "");
  }

  TempDir dir_;
  std::string path_;
  int fd_ = -1;
  MPOOL *mp_ = nullptr;
  Codec codec_;
};

constexpr int kRecords = 1500;

TEST_P(ClientTest, BuildCloseReopenVerify) {
  std::map<std::string, std::string> want;
  // Build with 3 cached pages: the root and tails are evicted all along.
  Open(3);
  {
    Table t(mp_);
    ASSERT_TRUE(t.Create()) << t.error();
    for (int i = 0; i < kRecords; i++) {
      const std::string k = KeyOf(i), v = ValueOf(i, 0);
      ASSERT_TRUE(t.Insert(k, v)) << i << ": " << t.error();
      want[k] = v;
    }
    EXPECT_GT(t.pages_made(), 60);
  }
  Close(/*sync=*/true);
  const long long size = FileSize(path_);
  EXPECT_GT(size, 60LL * kPgSize);
  EXPECT_EQ(size % kPgSize, 0);

  // What is in the file: the root's magic, as stored.
  std::vector<uint8_t> raw0 = ReadPage(path_, 0, kPgSize);
  ASSERT_EQ(raw0.size(), kPgSize);
  std::vector<uint8_t> raw1 = ReadPage(path_, 1, kPgSize);
  ASSERT_EQ(raw1.size(), kPgSize);
  if (filtered()) {
    EXPECT_EQ(GetU32(raw0.data(), 0), bswap_32(kRootMagic));
    EXPECT_EQ(GetU32(raw1.data(), 0), bswap_32(kDataMagic));
    EXPECT_EQ(GetU32(raw1.data(), 4), bswap_32(1u));
    EXPECT_GT(codec_.outs.load(), 60);
  } else {
    EXPECT_EQ(GetU32(raw0.data(), 0), kRootMagic);
    EXPECT_EQ(GetU32(raw0.data(), 8), static_cast<uint32_t>(kRecords));
    EXPECT_EQ(GetU32(raw1.data(), 0), kDataMagic);
    EXPECT_EQ(GetU32(raw1.data(), 4), 1u);
  }

  // A new fd and a new pool: every record is there.
  Open(3);
  Verify(want);
  Close(/*sync=*/false);

  // Update a third of the values in place in a pool big enough that
  // nothing is evicted; close without sync: the updates are lost.
  Open(1000);
  {
    Table t(mp_);
    for (int i = 0; i < kRecords; i += 3)
      ASSERT_TRUE(t.Update(KeyOf(i), std::string(ValueOf(i, 0).size(), 'Z')))
          << t.error();
  }
  Close(/*sync=*/false);
  Open(4);
  Verify(want);
  // Again, with sync: kept.
  {
    Table t(mp_);
    for (int i = 0; i < kRecords; i += 3) {
      const std::string k = KeyOf(i);
      const std::string v(want[k].size(), 'Z');
      ASSERT_TRUE(t.Update(k, v)) << t.error();
      want[k] = v;
    }
  }
  Close(/*sync=*/true);
  Open(2);
  Verify(want);
  Close(false);
  if (filtered()) {
    EXPECT_GT(codec_.ins.load(), 100);
  }
}

// More records with a pool of 1 page: the root and a chain page are pinned
// together on every insert, past maxcache.
TEST_P(ClientTest, BuildWithMaxcacheOne) {
  std::map<std::string, std::string> want;
  Open(1);
  {
    Table t(mp_);
    ASSERT_TRUE(t.Create()) << t.error();
    for (int i = 0; i < 600; i++) {
      const std::string k = KeyOf(i * 7 + 3), v = ValueOf(i, 5);
      ASSERT_TRUE(t.Insert(k, v)) << i << ": " << t.error();
      want[k] = v;
    }
  }
  Close(true);
  Open(1);
  Verify(want);
}

INSTANTIATE_TEST_SUITE_P(Plain, ClientTest, ::testing::Values(false));
INSTANTIATE_TEST_SUITE_P(ByteOrderAndXor, ClientTest, ::testing::Values(true));

// Reading a filtered file without the filter sees the stored form, not the
// records: the codec really ran on every write.
TEST(ClientCodec, UnfilteredReadSeesStoredForm) {
  TempDir dir;
  const std::string path = dir.File("t.db");
  Codec codec;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  MPOOL *mp = mpool_open(nullptr, fd, kPgSize, 3);
  ASSERT_NE(mp, nullptr);
  mpool_filter(mp, CodecIn, CodecOut, &codec);
  {
    Table t(mp);
    ASSERT_TRUE(t.Create());
    for (int i = 0; i < 200; i++)
      ASSERT_TRUE(t.Insert(KeyOf(i), ValueOf(i, 1)));
  }
  ASSERT_EQ(mpool_sync(mp), 0);
  ASSERT_EQ(mpool_close(mp), 0);
  mp = mpool_open(nullptr, fd, kPgSize, 3);  // same fd, no filter
  ASSERT_NE(mp, nullptr);
  void *root = mpool_get(mp, 0, 0);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(GetU32(root, 0), bswap_32(kRootMagic));
  EXPECT_EQ(GetU32(root, 8), bswap_32(200u));
  EXPECT_EQ(mpool_put(mp, root, 0), 0);
  ASSERT_EQ(mpool_close(mp), 0);
  EXPECT_EQ(codec.bad.load(), 0);
  ::close(fd);
}

}  // namespace
}  // namespace lfmtest
