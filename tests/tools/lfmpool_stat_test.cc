// lfmpool-stat against shared pools held by other processes:
//  - its figures equal what the holder's memp_stat reports at the same
//    moment (the holder pauses while both read), --json parses, --pages
//    lists exactly the resident pages, pins and dirty bits, and a holder
//    killed with SIGKILL shows as dead with the pins it held;
//  - an mpool(3) pool shared by key (-k);
//  - the pages the background flushers wrote;
//  - a thousand attaches and detaches (one process, -i 0 -c 1000) and
//    separate runs while two processes use the pool hard (gets and puts
//    in threads, opens and closes in a loop): no pool user sees an error;
//  - every bad input is one line on stderr and exit status 1.
// The tool is this test's data dependency; it runs as its own process.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/tools/mini_json.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"

#include "mpool.h"

extern char **environ;

namespace lfmtest {
namespace {

std::string ToolPath() {
  const char *src = getenv("TEST_SRCDIR");
  const char *ws = getenv("TEST_WORKSPACE");
  return std::string(src != nullptr ? src : ".") + "/" +
         (ws != nullptr ? ws : "lfmpool") + "/src/tools/lfmpool-stat";
}

struct ToolRun {
  int status = -1;  // wait status
  std::string out, err;
  bool Failed1() const {
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1;
  }
  bool Ok() const {
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
};

std::string Slurp(const std::string &path) {
  std::vector<uint8_t> v = ReadWhole(path);
  return std::string(v.begin(), v.end());
}

// Starts lfmpool-stat with `args`, its output in files under `scratch`.
// -1 (and a test failure) if it cannot be started.
pid_t SpawnTool(const std::string &scratch,
                const std::vector<std::string> &args) {
  std::string out = scratch + "/tool.out", err = scratch + "/tool.err";
  std::vector<std::string> all = {ToolPath()};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char *> argv;
  for (std::string &a : all) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << argv[0] << ": " << strerror(rc);
    return -1;
  }
  return pid;
}

// Waits for the tool started by SpawnTool; kills it (status -1) if it runs
// past the deadline: a hang fails the test.
ToolRun WaitTool(const std::string &scratch, pid_t pid,
                 int deadline_ms = kDeadlineMs) {
  ToolRun r;
  if (pid < 0) return r;
  const int64_t end = NowMs() + deadline_ms;
  for (;;) {
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      r.status = st;
      break;
    }
    if (NowMs() >= end) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      ADD_FAILURE() << "lfmpool-stat did not finish within " << deadline_ms
                    << " ms";
      break;
    }
    NapMs(1);
  }
  r.out = Slurp(scratch + "/tool.out");
  r.err = Slurp(scratch + "/tool.err");
  return r;
}

ToolRun RunTool(const std::string &scratch,
                const std::vector<std::string> &args,
                int deadline_ms = kDeadlineMs) {
  return WaitTool(scratch, SpawnTool(scratch, args), deadline_ms);
}

std::vector<std::string> Lines(const std::string &s) {
  std::vector<std::string> v;
  std::istringstream is(s);
  for (std::string l; std::getline(is, l);) v.push_back(l);
  return v;
}

// One JSON sample from the tool (a test failure if it does not parse).
Json Sample(const ToolRun &r) {
  Json j;
  EXPECT_TRUE(r.Ok()) << Child::Describe(r.status) << ": " << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(Lines(r.out).size(), 1u) << r.out;
  EXPECT_TRUE(ParseJson(r.out, &j)) << r.out;
  return j;
}

void Get(DB_MPOOLFILE *f, db_pgno_t p, void **pg, int flags = 0) {
  db_pgno_t q = p;
  C_OK(memp_fget(f, &q, flags, pg));
  C_CHECK(q == p);
}

class StatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0);
  }
  ToolRun Tool(const std::vector<std::string> &args,
               int deadline_ms = kDeadlineMs) {
    return RunTool(dir_.path(), args, deadline_ms);
  }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_;
};

// ------------------------------------------------------- known contents

// The holder: a.db (4 KiB pages, 20 on disk) and b.db (2 KiB, made with
// DB_MPOOL_NEW) in a 1 MiB pool, flushers off so nothing changes while it
// waits. Resident: a0..a11, b0..b3. Dirty: a2 a3 a4, b0 b1. Pinned: a8
// twice (its second pin goes through the thread cache), a9, b1.
void Holder(const std::string &pool, const std::string &a,
            const std::string &b) {
  DB_MPOOL *mp;
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, 1 << 20, &mp));
  C_OK(memp_set_flushers(mp, 0, 0));
  DB_MPOOLFILE *fa, *fb;
  C_OK(OpenFile(mp, a, 4096, &fa));
  C_OK(OpenFile(mp, b, 2048, &fb, DB_CREATE));
  void *pg;
  for (db_pgno_t p = 0; p < 12; p++) {
    Get(fa, p, &pg);
    C_OK(memp_fput(fa, pg, p >= 2 && p <= 4 ? DB_MPOOL_DIRTY : 0));
  }
  for (db_pgno_t p = 0; p < 6; p++) {
    Get(fa, p, &pg);
    C_OK(memp_fput(fa, pg, 0));
  }
  for (db_pgno_t p = 0; p < 4; p++) {
    Get(fb, p, &pg, DB_MPOOL_NEW);
    C_OK(memp_fput(fb, pg, p < 2 ? DB_MPOOL_DIRTY : 0));
  }
  void *a8, *a8b, *a9, *b1;
  Get(fa, 8, &a8);
  Get(fa, 8, &a8b);
  Get(fa, 9, &a9);
  Get(fb, 1, &b1);
  Tell("ready");
  for (;;) {
    std::string cmd = Hear();
    if (cmd == "exit") break;
    C_CHECK(cmd == "stat");
    DB_MPOOL_STAT *g = nullptr;
    DB_MPOOL_FSTAT **fs = nullptr;
    C_OK(memp_stat(mp, &g, reinterpret_cast<DB_MPOOL_FSTAT *(*)[]>(&fs),
                   nullptr));
    std::ostringstream os;
    os << "S " << g->st_pages << " " << g->st_page_dirty << " "
       << g->st_page_clean << " " << g->st_cache_hit << " " << g->st_cache_miss
       << " " << g->st_page_create << " " << g->st_page_in << " "
       << g->st_page_in_mapped << " " << g->st_page_out << " " << g->st_ro_evict
       << " " << g->st_rw_evict << " " << g->st_map << " " << g->st_map_faults
       << " " << g->st_hash_buckets << " " << g->st_hash_searches << " "
       << g->st_hash_examined << " " << g->st_hash_longest << " "
       << g->st_cachesize;
    // The counters beyond 2.x (ExtraNames below), in that order.
    for (unsigned long v :
         {g->st_alloc, g->st_alloc_pages, g->st_alloc_max_pages, g->st_io_wait,
          g->st_read_wait, g->st_nomem, g->st_fdatasync, g->st_fdatasync_errors,
          g->st_bg_write_errors, g->st_log_flush, g->st_ckpt,
          g->st_ckpt_incomplete, g->st_ckpt_pages, g->st_ckpt_last_usec})
      os << " " << v;
    Tell(os.str());
    for (size_t i = 0; fs != nullptr && fs[i] != nullptr; i++) {
      DB_MPOOL_FSTAT *f = fs[i];
      std::ostringstream fo;
      fo << "F " << f->st_pagesize << " " << f->st_cache_hit << " "
         << f->st_cache_miss << " " << f->st_page_create << " " << f->st_page_in
         << " " << f->st_page_in_mapped << " " << f->st_page_out << " "
         << f->st_map << " " << f->file_name;
      Tell(fo.str());
    }
    Tell("E");
    free(g);
    free(fs);
  }
  C_OK(memp_fput(fa, a8, 0));
  C_OK(memp_fput(fa, a8b, 0));
  C_OK(memp_fput(fa, a9, 0));
  C_OK(memp_fput(fb, b1, 0));
  C_OK(memp_close(mp));
}

// The JSON keys of memp_stat's counters beyond 2.x, in the holder's order.
const std::vector<std::string> &ExtraNames() {
  static const std::vector<std::string> v = {"alloc",
                                             "alloc_pages",
                                             "alloc_max_pages",
                                             "io_wait",
                                             "read_wait",
                                             "nomem",
                                             "fdatasync",
                                             "fdatasync_errors",
                                             "bg_write_errors",
                                             "log_flush",
                                             "ckpt",
                                             "ckpt_incomplete",
                                             "ckpt_pages",
                                             "ckpt_last_usec"};
  return v;
}
constexpr size_t kStatFields = 18 + 14;

// memp_stat's figures as the holder sent them: "S ..." then "F ..." lines.
struct Expected {
  std::vector<unsigned long long> g;
  std::map<std::string, std::vector<unsigned long long>> files;
};

Expected AskStat(Child *c) {
  Expected e;
  c->Send("stat");
  std::istringstream is(c->Recv());
  std::string tag;
  is >> tag;
  EXPECT_EQ(tag, "S");
  for (unsigned long long v; is >> v;) e.g.push_back(v);
  EXPECT_EQ(e.g.size(), kStatFields);
  for (std::string line; !(line = c->Recv()).empty() && line != "E";) {
    std::istringstream fs(line);
    fs >> tag;
    std::vector<unsigned long long> v(8);
    for (auto &x : v) fs >> x;
    std::string name;
    fs.get();
    std::getline(fs, name);
    e.files[name] = v;
  }
  return e;
}

TEST_F(StatTest, FiguresEqualMemPStatAndPagesAreTheResidentOnes) {
  std::string a = dir_.File("a.db"), b = dir_.File("b.db");
  MakeFile(a, 20, 4096);
  Child h;
  ASSERT_TRUE(h.Start([&] { Holder(pool_, a, b); }));
  ASSERT_TRUE(h.Expect("ready"));
  Expected e = AskStat(&h);
  ASSERT_EQ(e.g.size(), kStatFields);

  Json j = Sample(Tool({"-h", pool_, "--json", "--pages"}));
  const Json &p = j["pool"];
  ASSERT_EQ(p.type, Json::kObj);
  const char *gnames[] = {"pages",     "dirty",    "clean",    "hits",
                          "misses",    "created",  "read",     "read_mapped",
                          "written",   "ro_evict", "rw_evict", "mapped",
                          "map_faults"};
  for (size_t i = 0; i < 13; i++)
    EXPECT_EQ(p[gnames[i]].U(), e.g[i]) << "pool." << gnames[i];
  EXPECT_EQ(j["hash"]["buckets"].U(), e.g[13]);
  EXPECT_EQ(j["hash"]["searches"].U(), e.g[14]);
  EXPECT_EQ(j["hash"]["examined"].U(), e.g[15]);
  EXPECT_EQ(j["hash"]["longest_search"].U(), e.g[16]);
  // "longest chain" is memp_stat's st_hash_longest (issue 26).
  EXPECT_EQ(j["hash"]["longest_chain"].U(), e.g[16]);
  EXPECT_EQ(p["cache_bytes"].U(), e.g[17]);
  for (size_t i = 0; i < ExtraNames().size(); i++)
    EXPECT_EQ(p[ExtraNames()[i]].U(), e.g[18 + i])
        << "pool." << ExtraNames()[i];
  // What the holder did, independently of memp_stat.
  EXPECT_EQ(p["pages"].U(), 16u);
  EXPECT_EQ(p["frames"].U(), 16u);
  EXPECT_EQ(p["pinned"].U(), 3u);
  EXPECT_EQ(p["dirty"].U(), 5u);
  EXPECT_EQ(p["written_flushers"].U(), 0u);
  EXPECT_EQ(p["flushers"].U(), 0u);
  // Each resident page is on one hash chain.
  const Json &hash = j["hash"];
  EXPECT_GE(hash["longest_chain_now"].U(), 1u);
  EXPECT_NEAR(hash["mean_chain"].num * hash["occupied"].num, 16.0, 0.01);
  // Frames per page size: b.db's 2 KiB pages and a.db's 4 KiB ones.
  ASSERT_EQ(j["sizes"].arr.size(), 2u);
  const Json &s2 = j["sizes"].arr[0], &s4 = j["sizes"].arr[1];
  EXPECT_EQ(s2["bufsize"].U(), 2048u);
  EXPECT_EQ(s2["frames"].U(), 4u);
  EXPECT_EQ(s2["bytes"].U(), 4u * 2048);
  EXPECT_EQ(s2["pages"].U(), 4u);
  EXPECT_EQ(s2["dirty"].U(), 2u);
  EXPECT_EQ(s4["bufsize"].U(), 4096u);
  EXPECT_EQ(s4["frames"].U(), 12u);
  EXPECT_EQ(s4["bytes"].U(), 12u * 4096);
  EXPECT_EQ(s4["pages"].U(), 12u);
  EXPECT_EQ(s4["dirty"].U(), 3u);
  EXPECT_EQ(s2["retired"].U() + s4["retired"].U(), 0u);

  // Files: memp_stat's per-file figures, and pages held / dirty.
  ASSERT_EQ(j["files"].arr.size(), 2u);
  std::map<unsigned long long, std::string> slot_name;
  for (const Json &f : j["files"].arr) {
    std::string name = f["name"].str;
    slot_name[f["slot"].U()] = name;
    ASSERT_TRUE(e.files.count(name)) << name;
    const std::vector<unsigned long long> &v = e.files[name];
    const char *fnames[] = {"pagesize", "hits",        "misses",  "created",
                            "read",     "read_mapped", "written", "mapped"};
    for (size_t i = 0; i < 8; i++)
      EXPECT_EQ(f[fnames[i]].U(), v[i]) << name << " " << fnames[i];
    EXPECT_EQ(f["pages"].U(), name == a ? 12u : 4u) << name;
    EXPECT_EQ(f["dirty"].U(), name == a ? 3u : 2u) << name;
  }
  EXPECT_EQ(e.files[a][0], 4096u);
  EXPECT_EQ(e.files[b][0], 2048u);
  EXPECT_EQ(e.files[b][3], 4u);   // created
  EXPECT_EQ(e.files[a][2], 12u);  // misses

  // Processes: the holder, alive, with its four pins.
  ASSERT_EQ(j["procs"].arr.size(), 1u);
  const Json &pr = j["procs"].arr[0];
  EXPECT_EQ(pr["pid"].U(), static_cast<unsigned long long>(h.pid()));
  EXPECT_TRUE(pr["alive"].b);
  EXPECT_EQ(pr["pins"].U(), 4u);
  EXPECT_EQ(pr["io_engine"].str, "none");  // it never prefetched

  // Pages: exactly the resident ones, with their pins and dirty bits, each
  // in a frame of its own, with its file's page size and no LSN (the files
  // have no LSN offset).
  using Key = std::pair<std::string, unsigned long long>;
  std::map<Key, std::pair<unsigned, bool>> want;
  for (unsigned long long pg = 0; pg < 12; pg++)
    want[{a, pg}] = {pg == 8 ? 2u : pg == 9 ? 1u : 0u, pg >= 2 && pg <= 4};
  for (unsigned long long pg = 0; pg < 4; pg++)
    want[{b, pg}] = {pg == 1 ? 1u : 0u, pg < 2};
  std::map<Key, std::pair<unsigned, bool>> got;
  std::map<Key, unsigned long long> frame_of;
  std::set<unsigned long long> frames;
  for (const Json &g : j["pages"].arr) {
    Key k{slot_name[g["file"].U()], g["pgno"].U()};
    EXPECT_FALSE(got.count(k))
        << "listed twice: " << k.first << " " << k.second;
    got[k] = {static_cast<unsigned>(g["pins"].U()), g["dirty"].b};
    EXPECT_GE(g["usage"].U(), 1u);
    EXPECT_LE(g["usage"].U(), 3u);
    EXPECT_EQ(g["pagesize"].U(), k.first == a ? 4096u : 2048u);
    EXPECT_EQ(g["lsn"].type, Json::kNull);
    EXPECT_LT(g["frame"].U(), p["frames_max"].U());
    EXPECT_TRUE(frames.insert(g["frame"].U()).second) << "frame twice";
    frame_of[k] = g["frame"].U();
  }
  EXPECT_EQ(got, want);

  // The same list as text: a header, then "frame pgno pagesize pins dirty
  // usage lsn file" (the file last, as it is: names may hold spaces).
  ToolRun t = Tool({"-h", pool_, "--pages"});
  ASSERT_TRUE(t.Ok()) << t.err;
  std::vector<std::string> lines = Lines(t.out);
  ASSERT_EQ(lines.size(), 17u) << t.out;
  std::map<Key, std::pair<unsigned, bool>> text;
  for (size_t i = 1; i < lines.size(); i++) {
    std::istringstream is(lines[i]);
    std::string name, lsn;
    unsigned long long frame, pg;
    unsigned pagesize, pins, usage;
    int dirty;
    ASSERT_TRUE(is >> frame >> pg >> pagesize >> pins >> dirty >> usage >> lsn)
        << lines[i];
    is >> std::ws;
    std::getline(is, name);
    text[{name, pg}] = {pins, dirty != 0};
    EXPECT_EQ(frame, frame_of[Key(name, pg)]) << lines[i];
    EXPECT_EQ(pagesize, name == a ? 4096u : 2048u) << lines[i];
    EXPECT_EQ(lsn, "-") << lines[i];
  }
  EXPECT_EQ(text, want);

  // The default report: every section, the files and the live holder.
  ToolRun d = Tool({"-h", pool_});
  ASSERT_TRUE(d.Ok()) << d.err;
  EXPECT_EQ(d.err, "");
  for (const char *s :
       {"pool ", "files", "processes", "hash table", "page sizes",
        "16 held: 3 pinned, 5 dirty, 11 clean", " alive ", "0 flushers running",
        "16 carved (descriptors for "})
    EXPECT_NE(d.out.find(s), std::string::npos) << s << " in\n" << d.out;
  EXPECT_NE(d.out.find("longest chain " + std::to_string(e.g[16]) + " "),
            std::string::npos)
      << d.out;
  EXPECT_NE(d.out.find(a), std::string::npos);

  // Still the same figures after the tool ran: it changed nothing.
  Expected e2 = AskStat(&h);
  EXPECT_EQ(e2.g, e.g);

  // Killed with its pins: the pool is left by a dead process.
  pid_t pid = h.pid();
  h.Kill();
  Json k = Sample(Tool({"-h", pool_, "--json"}));
  ASSERT_EQ(k["procs"].arr.size(), 1u);
  EXPECT_EQ(k["procs"].arr[0]["pid"].U(), static_cast<unsigned long long>(pid));
  EXPECT_FALSE(k["procs"].arr[0]["alive"].b);
  EXPECT_EQ(k["procs"].arr[0]["pins"].U(), 4u);
  EXPECT_EQ(k["pool"]["pinned"].U(), 3u);
  EXPECT_EQ(k["pool"]["pages"].U(), 16u);
  ToolRun dd = Tool({"-h", pool_});
  EXPECT_TRUE(dd.Ok()) << dd.err;
  EXPECT_NE(dd.out.find(" dead "), std::string::npos) << dd.out;
}

// ------------------------------------------------------- -k KEY

TEST_F(StatTest, KeySharedMpoolPool) {
  std::string f = dir_.File("k.db");
  MakeFile(f, 10, 4096);
  Child c;
  ASSERT_TRUE(c.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "stat-key";
    MPOOL *m = mpool_open(key, fd, 4096, 8);
    C_CHECK(m != nullptr);
    void *held = nullptr;
    for (pgno_t p = 0; p < 5; p++) {
      void *pg = mpool_get(m, p, 0);
      C_CHECK(pg != nullptr);
      if (p == 2)
        held = pg;
      else
        C_CHECK(mpool_put(m, pg, 0) == 0);
    }
    Tell("ready");
    C_HEAR("exit");
    C_CHECK(mpool_put(m, held, 0) == 0);
    C_CHECK(mpool_close(m) == 0);
    ::close(fd);
  }));
  ASSERT_TRUE(c.Expect("ready"));
  Json j = Sample(Tool({"-k", "stat-key", "--json"}));
  ASSERT_EQ(j["files"].arr.size(), 1u);
  EXPECT_EQ(j["files"].arr[0]["pagesize"].U(), 4096u);
  EXPECT_EQ(j["files"].arr[0]["pages"].U(), 5u);
  EXPECT_EQ(j["files"].arr[0]["misses"].U(), 5u);
  EXPECT_EQ(j["pool"]["pinned"].U(), 1u);
  ASSERT_EQ(j["procs"].arr.size(), 1u);
  EXPECT_EQ(j["procs"].arr[0]["pins"].U(), 1u);
  EXPECT_TRUE(j["procs"].arr[0]["alive"].b);
  // Its file is known by descriptor ("(mpool fd N)"): printed readably,
  // with the path the region recorded.
  const std::string name = j["files"].arr[0]["name"].str;
  EXPECT_EQ(name.rfind("(mpool fd ", 0), 0u) << name;
  EXPECT_EQ(j["files"].arr[0]["path"].str, f);
  ToolRun t = Tool({"-k", "stat-key"});
  ASSERT_TRUE(t.Ok()) << t.err;
  EXPECT_NE(t.out.find("  " + name + " [" + f + "]\n"), std::string::npos)
      << t.out;
  EXPECT_EQ(t.out.find("\\040"), std::string::npos) << t.out;
  ToolRun tp = Tool({"-k", "stat-key", "--pages"});
  ASSERT_TRUE(tp.Ok()) << tp.err;
  EXPECT_NE(tp.out.find("  " + name + "\n"), std::string::npos) << tp.out;
  c.Send("exit");
  EXPECT_TRUE(c.WaitOk());
  // The last mpool_close removed the key's region.
  ToolRun r = Tool({"-k", "stat-key"});
  EXPECT_TRUE(r.Failed1()) << Child::Describe(r.status);
  EXPECT_NE(r.err.find("no pool shared by key"), std::string::npos) << r.err;
}

// ------------------------------------------------------- flushers

TEST_F(StatTest, PagesWrittenByFlushers) {
  std::string f = dir_.File("w.db");
  MakeFile(f, 16, 4096);
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 8 * 4096, &mp));
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mf;
    C_OK(OpenFile(mp, f, 4096, &mf));
    void *pg;
    for (db_pgno_t p = 0; p < 8; p++) {
      Get(mf, p, &pg);
      C_OK(memp_fput(mf, pg, DB_MPOOL_DIRTY));
    }
    // Every frame of the pool dirty; a flusher that keeps 99% of them
    // clean writes them all.
    C_OK(memp_set_flushers(mp, 1, 99));
    C_CHECK(PollUntil([&] {
      DB_MPOOL_STAT *g = nullptr;
      memp_stat(mp, &g, nullptr, nullptr);
      bool clean = g != nullptr && g->st_page_dirty == 0;
      free(g);
      return clean;
    }));
    C_OK(memp_set_flushers(mp, 0, 0));
    Tell("ready");
    C_HEAR("exit");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(c.Expect("ready"));
  Json j = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(j["pool"]["dirty"].U(), 0u);
  EXPECT_EQ(j["pool"]["written"].U(), 8u);
  EXPECT_EQ(j["pool"]["written_flushers"].U(), 8u);
  c.Send("exit");
  EXPECT_TRUE(c.WaitOk());
}

// ------------------------------------------------------- prefetch

// A process's prefetch reads show their engine (memp_stat's st_io_engine,
// lfmpool-stat's io_engine) and their pages (prefetched), each engine in
// turn (LFMPOOL_IO_ENGINE).
TEST_F(StatTest, PrefetchEngineAndPages) {
  std::string f = dir_.File("p.db");
  MakeFile(f, 16, 4096);
  for (const char *engine : {"io_uring", "threads"}) {
    Child c;
    ASSERT_TRUE(c.Start([&] {
      setenv("LFMPOOL_IO_ENGINE", engine, 1);
      DB_MPOOL *mp;
      C_OK(OpenShared(pool_.c_str(), DB_CREATE, 32 * 4096, &mp));
      DB_MPOOLFILE *mf;
      C_OK(OpenFile(mp, f, 4096, &mf));
      db_pgno_t want[] = {1, 2, 3, 9};
      size_t started = 0;
      C_OK(memp_fprefetch(mf, want, 4, &started));
      C_CHECK(started == 4);
      void *pg;
      for (db_pgno_t p : want) {  // each waits for its read, if need be
        Get(mf, p, &pg);
        C_OK(memp_fput(mf, pg, 0));
      }
      DB_MPOOL_STAT *g = nullptr;
      C_OK(memp_stat(mp, &g, nullptr, nullptr));
      C_CHECK(g->st_io_engine == (strcmp(engine, "io_uring") == 0 ? 1u : 2u));
      C_CHECK(g->st_prefetch == 4 && g->st_prefetch_lost == 0);
      free(g);
      Tell("ready");
      C_HEAR("exit");
      C_OK(memp_close(mp));
    }));
    ASSERT_TRUE(c.Expect("ready"));
    Json j = Sample(Tool({"-h", pool_, "--json"}));
    ASSERT_EQ(j["procs"].arr.size(), 1u);
    EXPECT_EQ(j["procs"].arr[0]["io_engine"].str, engine);
    EXPECT_EQ(j["pool"]["prefetched"].U(), 4u);
    c.Send("exit");
    EXPECT_TRUE(c.WaitOk());
    ASSERT_EQ(memp_unlink(pool_.c_str(), 1, nullptr), 0);
  }
}

// ------------------------------------------------------- flushers of the dead

// A process running flushers, killed without memp_close: its flushers died
// with it and are no longer counted, whether or not its slot was recovered
// yet; a new process running one shows one. (Before: every death left its
// flushers in the count, "7 shown with no process attached".)
TEST_F(StatTest, FlushersOfDeadProcessesAreNotCounted) {
  auto runner = [&](int n) {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 64 * 4096, &mp));
    C_OK(memp_set_flushers(mp, n, 20));
    Tell("ready");
    C_HEAR("exit");
    C_OK(memp_close(mp));
  };
  Child a;
  ASSERT_TRUE(a.Start([&] { runner(2); }));
  ASSERT_TRUE(a.Expect("ready"));
  Json j = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(j["pool"]["flushers"].U(), 2u);
  ASSERT_EQ(j["procs"].arr.size(), 1u);
  EXPECT_EQ(j["procs"].arr[0]["flushers"].U(), 2u);
  a.Kill();
  // Dead, not recovered yet (no other process): none running.
  j = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(j["pool"]["flushers"].U(), 0u);
  ASSERT_EQ(j["procs"].arr.size(), 1u);
  EXPECT_FALSE(j["procs"].arr[0]["alive"].b);
  EXPECT_EQ(j["procs"].arr[0]["flushers"].U(), 0u);
  // A second killed, then one that lives (its memp_open recovers both).
  Child b;
  ASSERT_TRUE(b.Start([&] { runner(3); }));
  ASSERT_TRUE(b.Expect("ready"));
  b.Kill();
  Child c;
  ASSERT_TRUE(c.Start([&] { runner(1); }));
  ASSERT_TRUE(c.Expect("ready"));
  j = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(j["pool"]["flushers"].U(), 1u);
  ToolRun d = Tool({"-h", pool_});
  ASSERT_TRUE(d.Ok()) << d.err;
  EXPECT_NE(d.out.find(", 1 flushers running"), std::string::npos) << d.out;
  c.Send("exit");
  EXPECT_TRUE(c.WaitOk());
  j = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(j["pool"]["flushers"].U(), 0u);
}

// ------------------------------------------------------- what the user did

// A process that checkpoints, evicts, runs out of frames and writes pages
// with LSNs: the tool's figures are its memp_stat's, and those are what it
// did (4 memp_sync calls, one DB_INCOMPLETE, 4 pages written by them, one
// ENOMEM, evictions by sweeping); --pages shows each page's LSN.
TEST_F(StatTest, CountersAreWhatTheUserDid) {
  std::string f = dir_.File("c.db");
  MakeFile(f, 32, 4096);
  Child h;
  ASSERT_TRUE(h.Start([&] {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 8 * 4096, &mp));
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mf;
    C_OK(OpenFile(mp, f, 4096, &mf, 0, 0, /*lsn_offset=*/8));
    void *pg;
    for (db_pgno_t p = 0; p < 4; p++) {
      Get(mf, p, &pg);
      const DB_LSN lsn = {7, 1000 + p};
      memcpy(static_cast<char *>(pg) + 8, &lsn, sizeof lsn);
      C_OK(memp_fput(mf, pg, DB_MPOOL_DIRTY));
    }
    LSN lsn = {1, 0};
    for (int i = 0; i < 3; i++) C_OK(memp_sync(mp, &lsn));
    void *held;
    Get(mf, 5, &held);
    lsn = {2, 0};
    C_CHECK(memp_sync(mp, &lsn) == DB_INCOMPLETE);
    C_OK(memp_fput(mf, held, 0));
    for (db_pgno_t p = 8; p < 24; p++) {  // 16 misses through 8 frames
      Get(mf, p, &pg);
      C_OK(memp_fput(mf, pg, 0));
    }
    std::vector<void *> pins;
    for (db_pgno_t p = 0; p < 8; p++) {
      Get(mf, p, &pg);
      pins.push_back(pg);
    }
    db_pgno_t q = 30;
    C_CHECK(memp_fget(mf, &q, 0, &pg) == ENOMEM);
    for (void *x : pins) C_OK(memp_fput(mf, x, 0));
    DB_MPOOL_STAT *g = nullptr;
    C_OK(memp_stat(mp, &g, nullptr, nullptr));
    std::ostringstream os;
    for (unsigned long v :
         {g->st_alloc, g->st_alloc_pages, g->st_alloc_max_pages, g->st_io_wait,
          g->st_read_wait, g->st_nomem, g->st_fdatasync, g->st_fdatasync_errors,
          g->st_bg_write_errors, g->st_log_flush, g->st_ckpt,
          g->st_ckpt_incomplete, g->st_ckpt_pages, g->st_ckpt_last_usec})
      os << v << " ";
    free(g);
    Tell(os.str());
    C_HEAR("exit");
    C_OK(memp_close(mp));
  }));
  std::istringstream is(h.Recv());
  std::vector<unsigned long long> e;
  for (unsigned long long v; is >> v;) e.push_back(v);
  ASSERT_EQ(e.size(), ExtraNames().size());
  Json j = Sample(Tool({"-h", pool_, "--json", "--pages"}));
  const Json &p = j["pool"];
  for (size_t i = 0; i < e.size(); i++)
    EXPECT_EQ(p[ExtraNames()[i]].U(), e[i]) << ExtraNames()[i];
  EXPECT_EQ(p["ckpt"].U(), 4u);
  EXPECT_EQ(p["ckpt_incomplete"].U(), 1u);
  EXPECT_EQ(p["ckpt_pages"].U(), 4u);
  EXPECT_EQ(p["nomem"].U(), 1u);
  EXPECT_GE(p["alloc"].U(), 8u);
  EXPECT_GE(p["alloc_pages"].U(), p["alloc"].U());
  EXPECT_GE(p["fdatasync"].U(), 1u);
  EXPECT_EQ(p["fdatasync_errors"].U(), 0u);
  EXPECT_EQ(p["bg_write_errors"].U(), 0u);
  ASSERT_EQ(j["files"].arr.size(), 1u);
  EXPECT_EQ(j["files"].arr[0]["nomem"].U(), 1u);
  EXPECT_EQ(j["files"].arr[0]["alloc"].U(), p["alloc"].U());
  // Pages 0..7 are resident (the last 8 pinned and put back): those with
  // an LSN written show it, the others the bytes of the file there.
  size_t seen = 0;
  for (const Json &g : j["pages"].arr) {
    const unsigned long long pg = g["pgno"].U();
    DB_LSN want = {7, static_cast<u_int32_t>(1000 + pg)};
    if (pg >= 4)
      memcpy(&want, PatternPage(static_cast<db_pgno_t>(pg), 4096).data() + 8,
             sizeof want);
    ASSERT_EQ(g["lsn"].type, Json::kObj) << "page " << pg;
    EXPECT_EQ(g["lsn"]["file"].U(), want.file) << "page " << pg;
    EXPECT_EQ(g["lsn"]["offset"].U(), want.offset) << "page " << pg;
    seen += pg < 4;
  }
  EXPECT_EQ(seen, 4u);
  ToolRun t = Tool({"-h", pool_, "--pages"});
  ASSERT_TRUE(t.Ok()) << t.err;
  EXPECT_NE(t.out.find(" 7/1002 "), std::string::npos) << t.out;
  ToolRun d = Tool({"-h", pool_});
  ASSERT_TRUE(d.Ok()) << d.err;
  EXPECT_NE(d.out.find("checkpoints 4 memp_sync calls (1 incomplete), 4 "
                       "pages written"),
            std::string::npos)
      << d.out;
  EXPECT_NE(d.out.find("1 gets failed with ENOMEM"), std::string::npos)
      << d.out;
  h.Send("exit");
  EXPECT_TRUE(h.WaitOk());
}

// ------------------------------------------------------- busy pool

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
// Each run starts a sanitizer runtime; each instrumented thread is slow.
constexpr int kSeparateRuns = 10;
constexpr int kBusyThreads = 1;
#else
constexpr int kSeparateRuns = 30;
constexpr int kBusyThreads = 2;
#endif

// Threads getting and putting (dirty, some of them) 64 pages through a
// 32-frame pool, so misses, evictions, writes and flusher passes go on.
void BusyUser(const std::string &pool, const std::string &f) {
  DB_MPOOL *mp;
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, 32 * 4096, &mp));
  DB_MPOOLFILE *mf;
  C_OK(OpenFile(mp, f, 4096, &mf));
  std::atomic<bool> stop{false};
  std::atomic<unsigned long long> ops{0}, errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kBusyThreads; t++)
    ts.emplace_back([&, t] {
      uint64_t x = 0x9e3779b97f4a7c15ull * (t + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        db_pgno_t p = static_cast<db_pgno_t>(x % 64);
        void *pg;
        if (memp_fget(mf, &p, 0, &pg) != 0) {
          errors++;
          continue;
        }
        if (memp_fput(mf, pg, (x >> 20) % 4 == 0 ? DB_MPOOL_DIRTY : 0) != 0)
          errors++;
        ops++;
      }
    });
  Tell("ready");
  for (;;) {
    std::string cmd = Hear();
    if (cmd == "count") {
      Tell(std::to_string(ops.load()));
      continue;
    }
    C_CHECK(cmd == "stop");
    break;
  }
  stop = true;
  for (auto &t : ts) t.join();
  if (memp_fclose(mf) != 0) errors++;
  if (memp_close(mp) != 0) errors++;
  Tell("done " + std::to_string(ops.load()) + " " +
       std::to_string(errors.load()));
}

// Opens and closes the pool (and a file in it) in a loop.
void Joiner(const std::string &pool, const std::string &f) {
  std::atomic<bool> stop{false};
  std::atomic<unsigned long long> ops{0}, errors{0};
  std::thread t([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      DB_MPOOL *mp;
      if (OpenShared(pool.c_str(), DB_THREAD, 0, &mp) != 0) {
        errors++;
        continue;
      }
      DB_MPOOLFILE *mf;
      void *pg;
      db_pgno_t p = static_cast<db_pgno_t>(ops.load() % 64);
      if (OpenFile(mp, f, 4096, &mf) != 0 || memp_fget(mf, &p, 0, &pg) != 0 ||
          memp_fput(mf, pg, 0) != 0 || memp_fclose(mf) != 0)
        errors++;
      if (memp_close(mp) != 0) errors++;
      ops++;
    }
  });
  Tell("ready");
  C_HEAR("stop");
  stop = true;
  t.join();
  Tell("done " + std::to_string(ops.load()) + " " +
       std::to_string(errors.load()));
}

unsigned long long Count(Child *c) {
  c->Send("count");
  return std::stoull("0" + c->Recv());
}

void ExpectDoneWithoutErrors(Child *c, const char *who) {
  std::istringstream is(c->Recv());
  std::string tag;
  unsigned long long ops = 0, errors = 1;
  is >> tag >> ops >> errors;
  EXPECT_EQ(tag, "done") << who;
  EXPECT_GT(ops, 0u) << who;
  EXPECT_EQ(errors, 0u) << who << " saw errors";
  EXPECT_TRUE(c->WaitOk()) << who;
}

TEST_F(StatTest, AThousandAttachesWhileBusyDisturbNobody) {
  std::string f = dir_.File("busy.db");
  MakeFile(f, 64, 4096);
  Child busy, joiner;
  ASSERT_TRUE(busy.Start([&] { BusyUser(pool_, f); }));
  ASSERT_TRUE(busy.Expect("ready"));
  ASSERT_TRUE(joiner.Start([&] { Joiner(pool_, f); }));
  ASSERT_TRUE(joiner.Expect("ready"));
  unsigned long long before = Count(&busy);

  // One process: a thousand samples, each an attach and a detach.
  // (A generous deadline: sanitizer builds on a loaded machine.)
  ToolRun r = Tool({"-h", pool_, "-i", "0", "-c", "1000", "--json"}, 240000);
  ASSERT_TRUE(r.Ok()) << Child::Describe(r.status) << ": " << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1000u);
  for (size_t i = 0; i < lines.size(); i++) {
    Json j;
    ASSERT_TRUE(ParseJson(lines[i], &j)) << "sample " << i << ": " << lines[i];
    const Json &p = j["pool"];
    ASSERT_EQ(p.type, Json::kObj) << lines[i];
    EXPECT_LE(p["pages"].U(), p["frames"].U()) << lines[i];
    EXPECT_LE(p["dirty"].U(), p["pages"].U()) << lines[i];
    EXPECT_EQ(j["rates"].type, i == 0 ? Json::kNull : Json::kObj) << lines[i];
    EXPECT_GE(j["procs"].arr.size(), 1u) << lines[i];
    for (const Json &pr : j["procs"].arr)
      EXPECT_TRUE(pr["alive"].b) << "a live user shown dead: " << lines[i];
  }
  // Separate processes, each one attach.
  for (int i = 0; i < kSeparateRuns; i++) {
    ToolRun s = Tool({"-h", pool_, i % 2 ? "--json" : "--pages"});
    ASSERT_TRUE(s.Ok()) << "run " << i << ": " << s.err;
  }
  // Rates, as vmstat prints them: a header and a line per sample.
  ToolRun v = Tool({"-h", pool_, "-i", "0.01", "-c", "3"});
  ASSERT_TRUE(v.Ok()) << v.err;
  EXPECT_EQ(Lines(v.out).size(), 4u) << v.out;
  EXPECT_NE(v.out.find("hits/s"), std::string::npos) << v.out;

  EXPECT_GT(Count(&busy), before) << "the pool was not busy meanwhile";
  busy.Send("stop");
  joiner.Send("stop");
  ExpectDoneWithoutErrors(&busy, "busy user");
  ExpectDoneWithoutErrors(&joiner, "joiner");
}

// ------------------------------------------------------- bad input

// Exit status 1 and one line on stderr that says `what`.
void ExpectRefusedErr(const ToolRun &r, const std::string &what) {
  EXPECT_TRUE(r.Failed1()) << Child::Describe(r.status) << " " << r.err;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r.err;
  EXPECT_TRUE(!r.err.empty() && r.err.back() == '\n') << r.err;
  EXPECT_NE(r.err.find(what), std::string::npos)
      << "wanted \"" << what << "\" in: " << r.err;
}

// The same, with nothing on stdout.
void ExpectRefused(const ToolRun &r, const std::string &what) {
  ExpectRefusedErr(r, what);
  EXPECT_EQ(r.out, "");
}

// A copy of region `src` in a new directory `name`: its first `head`
// bytes (altered by `edit`), sized `size` (the rest a hole).
std::string CopyRegion(
    const TempDir &d, const std::string &src, const std::string &name,
    size_t head, off_t size,
    const std::function<void(std::vector<uint8_t> &)> &edit) {
  std::string dir = d.File(name);
  EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::vector<uint8_t> v(head);
  int fd = ::open(src.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << src;
  ssize_t got = fd >= 0 ? ::pread(fd, v.data(), head, 0) : 0;
  if (fd >= 0) ::close(fd);
  v.resize(got > 0 ? static_cast<size_t>(got) : 0);
  if (edit) edit(v);
  std::string dst = dir + "/" + kRegionFile;
  EXPECT_TRUE(WriteAll(dst, v.data(), v.size()));
  EXPECT_EQ(::truncate(dst.c_str(), size), 0);
  return dir;
}

TEST_F(StatTest, BadInputIsOneLineAndExitStatusOne) {
  // A real region, left by a process that closed it.
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 64 * 1024, &mp));
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(c.WaitOk());
  Json ok = Sample(Tool({"-h", pool_, "--json"}));
  EXPECT_EQ(ok["procs"].arr.size(), 0u);
  std::string region = pool_ + "/" + kRegionFile;
  off_t size = static_cast<off_t>(FileSize(region));
  ASSERT_GT(size, 4096);

  ExpectRefused(Tool({"-h", dir_.File("nonexistent")}), "no such directory");
  std::string empty = dir_.File("empty");
  ASSERT_EQ(::mkdir(empty.c_str(), 0755), 0);
  ExpectRefused(Tool({"-h", empty}), "no pool in this directory");
  ExpectRefused(Tool({"-h", region}), "not a directory");
  ExpectRefused(Tool({"-k", "no-such-key"}), "no pool shared by key");

  // Truncated: shorter than a header, and cut in the middle.
  ExpectRefused(Tool({"-h", CopyRegion(dir_, region, "t0", 0, 0, nullptr)}),
                "truncated region file");
  ExpectRefused(Tool({"-h", CopyRegion(dir_, region, "t1", 100, 100, nullptr)}),
                "truncated region file");
  ExpectRefused(
      Tool({"-h", CopyRegion(dir_, region, "t2", 65536, size / 2, nullptr)}),
      "truncated region file");
  // The whole header copied, the rest a hole: read like the original.
  Sample(Tool({"-h", CopyRegion(dir_, region, "whole", 65536, size, nullptr),
               "--json"}));
  // Another version (the word after the magic).
  ExpectRefused(
      Tool({"-h", CopyRegion(dir_, region, "ver", 65536, size,
                             [](std::vector<uint8_t> &v) { v[4] ^= 0x40; })}),
      "region version");
  // Garbage, and all zeroes (a creator that died before its first write).
  ExpectRefused(Tool({"-h", CopyRegion(dir_, region, "junk", 65536, 65536,
                                       [](std::vector<uint8_t> &v) {
                                         uint32_t x = 12345;
                                         for (auto &b : v) {
                                           x = x * 1103515245u + 12345u;
                                           b = static_cast<uint8_t>(x >> 16);
                                         }
                                       })}),
                "not an lfmpool region");
  ExpectRefused(Tool({"-h", CopyRegion(dir_, region, "zero", 65536, size,
                                       [](std::vector<uint8_t> &v) {
                                         std::fill(v.begin(), v.end(), 0);
                                       })}),
                "not initialised");
  // Geometry that points outside the file: off_files (bytes 64..71 of the
  // header, region.h: four 32-bit words, three 64-bit sizes, six 32-bit
  // counts) raised by 2^40.
  ExpectRefused(Tool({"-h", CopyRegion(dir_, region, "geom", 65536, size,
                                       [](std::vector<uint8_t> &v) {
                                         v[64 + 5] ^= 0x7f;
                                       })}),
                "damaged region header");
  // A directory where the region file should be.
  std::string dirreg = dir_.File("dirreg");
  ASSERT_EQ(::mkdir(dirreg.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dirreg + "/" + kRegionFile).c_str(), 0755), 0);
  ExpectRefused(Tool({"-h", dirreg}), "not a regular file");

  // The command line.
  ExpectRefused(Tool({}), "give one of -h DIR and -k KEY");
  ExpectRefused(Tool({"-h", pool_, "-k", "x"}), "give one of");
  ExpectRefused(Tool({"-h"}), "needs a value");
  ExpectRefused(Tool({"-h", pool_, "-i", "soon"}), "-i soon");
  ExpectRefused(Tool({"-h", pool_, "-i", "1", "-c", "0"}), "-c 0");
  ExpectRefused(Tool({"-h", pool_, "-c", "3"}), "-c needs -i");
  ExpectRefused(Tool({"-h", pool_, "--bogus"}), "unknown option");
  ExpectRefused(Tool({"-h", pool_, "-x"}), "unknown option -x");
  ExpectRefused(Tool({"-h", pool_, "--json=yes"}), "takes no value");
  ExpectRefused(Tool({"-h", pool_, "-i", "0"}), "-i 0 needs -c");
  ExpectRefused(Tool({"-h", pool_, "extra"}), "unexpected argument");
}

// The tool's checks of a region's header are the ones a joining process
// makes (region_reader.h): a header whose geometry points outside the
// file is refused by memp_open (EINVAL) as by the tool, never joined; the
// same file undamaged is joined.
TEST_F(StatTest, ADamagedHeaderIsRefusedByAJoinerToo) {
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 64 * 1024, &mp));
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(c.WaitOk());
  std::string region = pool_ + "/" + kRegionFile;
  off_t size = static_cast<off_t>(FileSize(region));
  // off_files (bytes 64..71 of the header) raised past the file's end.
  // Whole copies: a joiner reads the region's parts (policy.h) past the
  // first 64 KiB too.
  std::string geom =
      CopyRegion(dir_, region, "geom", size, size,
                 [](std::vector<uint8_t> &v) { v[64 + 5] ^= 0x7f; });
  std::string whole = CopyRegion(dir_, region, "whole", size, size, nullptr);
  ExpectRefused(Tool({"-h", geom}), "damaged region header");
  Child j;
  ASSERT_TRUE(j.Start([&] {
    DB_MPOOL *mp = nullptr;
    C_RC(OpenShared(geom.c_str(), 0, 0, &mp), EINVAL);
    C_OK(OpenShared(whole.c_str(), 0, 0, &mp));
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(j.WaitOk());
}

// A region file cut short while the tool samples it in a loop: the sample
// in progress faults (SIGBUS, caught) or the next attach sees the size;
// either way one line and exit status 1, never a crash.
TEST_F(StatTest, RegionTruncatedWhileSampling) {
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, 64 * 1024, &mp));
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(c.WaitOk());
  std::string region = pool_ + "/" + kRegionFile;
  off_t size = static_cast<off_t>(FileSize(region));
  std::string live = CopyRegion(dir_, region, "live", 65536, size, nullptr);
  pid_t pid = SpawnTool(dir_.path(),
                        {"-h", live, "-i", "0", "-c", "1000000000", "--json"});
  ASSERT_GT(pid, 0);
  // Sampling: some output is there.
  EXPECT_TRUE(PollUntil([&] { return FileSize(dir_.File("tool.out")) > 0; }));
  ASSERT_EQ(::truncate((live + "/" + kRegionFile).c_str(), 8192), 0);
  ToolRun r = WaitTool(dir_.path(), pid);
  ExpectRefusedErr(r, "truncated");
}

}  // namespace
}  // namespace lfmtest
