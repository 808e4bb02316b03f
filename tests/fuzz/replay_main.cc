// Replays fuzz inputs through a target's LLVMFuzzerTestOneInput without
// libFuzzer, so the corpus found by fuzzing (tests/fuzz/fuzz.sh) runs as a
// regression test in every Bazel configuration, TSan included, with gcc.
//
// Usage: <binary> DIR|FILE...  Every file named, or found in a directory
// named, is one input. Then $LFM_FUZZ_RANDOM (default 200) inputs of
// random bytes and lengths, from $LFM_SEED (printed), exercise the target
// beyond the corpus. Any failed check aborts (fuzz_bytes.h), as does a
// sanitizer report under the sanitizer configurations; a failing random
// input is saved to $TEST_UNDECLARED_OUTPUTS_DIR (or .) as
// replay-failed-input.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
    __attribute__((weak));

namespace {

// The input being run, named by the SIGABRT handler when a check fails;
// a random one is also saved, to replay alone (or under libFuzzer).
char g_current[4096];
char g_save[4096];
const std::vector<uint8_t> *g_data;

void NameInput(int sig) {
  const char pre[] = "replay: failed on input ";
  ssize_t r = write(2, pre, sizeof(pre) - 1);
  r = write(2, g_current, strlen(g_current));
  r = write(2, "\n", 1);
  if (g_data != nullptr && g_save[0] != '\0') {
    const int fd = open(g_save, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      r = write(fd, g_data->data(), g_data->size());
      close(fd);
      const char saved[] = "replay: saved it as ";
      r = write(2, saved, sizeof(saved) - 1);
      r = write(2, g_save, strlen(g_save));
      r = write(2, "\n", 1);
    }
  }
  (void)r;
  signal(sig, SIG_DFL);
  raise(sig);
}

void Collect(const std::string &path, std::vector<std::string> *out) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    fprintf(stderr, "replay: cannot stat %s\n", path.c_str());
    exit(2);
  }
  if (!S_ISDIR(st.st_mode)) {
    out->push_back(path);
    return;
  }
  DIR *d = opendir(path.c_str());
  if (d == nullptr) {
    fprintf(stderr, "replay: cannot open %s\n", path.c_str());
    exit(2);
  }
  while (struct dirent *e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    Collect(path + "/" + name, out);
  }
  closedir(d);
}

unsigned long long EnvU64(const char *name, unsigned long long dflt) {
  const char *v = getenv(name);
  return v != nullptr && *v != '\0' ? strtoull(v, nullptr, 0) : dflt;
}

}  // namespace

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) Collect(argv[i], &files);
  std::sort(files.begin(), files.end());
  signal(SIGABRT, NameInput);
  for (const std::string &f : files) {
    snprintf(g_current, sizeof(g_current), "%s", f.c_str());
    std::ifstream in(f, std::ios::binary);
    std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  const unsigned long long seed = EnvU64("LFM_SEED", 0xf022ULL);
  const unsigned long long n = EnvU64("LFM_FUZZ_RANDOM", 200);
  std::mt19937_64 rng(seed);
  const char *dir = getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  snprintf(g_save, sizeof(g_save), "%s/replay-failed-input",
           dir != nullptr ? dir : ".");
  for (unsigned long long i = 0; i < n; i++) {
    snprintf(g_current, sizeof(g_current), "random #%llu", i);
    std::vector<uint8_t> data(rng() % 2048);
    for (uint8_t &b : data) b = static_cast<uint8_t>(rng());
    g_data = &data;
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  printf("replay: %zu corpus inputs, %llu random inputs (LFM_SEED=%llu): ok\n",
         files.size(), n, seed);
  return files.empty() && argc > 1 ? 1 : 0;
}
