// The random driver the model-based tests share (memp_model_test.cc,
// mpool_model_test.cc): a seeded generator, the position of the call being
// made, and a trace of every call, so that a failure names its seed, round
// and op and can be replayed call by call.
//
// Env: LFM_SEED (the generator's seed), LFM_MODEL_OPS (ops per round),
// LFM_MODEL_TRACE=1 (print every call).
#ifndef LFMPOOL_TESTS_MODEL_DRIVER_H
#define LFMPOOL_TESTS_MODEL_DRIVER_H

#include <stdarg.h>
#include <stdio.h>

#include <random>
#include <string>

#include "tests/common/test_util.h"

namespace lfmtest {

class ModelDriver {
 protected:
  // Reads LFM_SEED and LFM_MODEL_OPS (given the defaults), seeds the
  // generator and prints both, with the number of rounds.
  unsigned long long Start(unsigned long long default_seed,
                           unsigned long long default_ops, int rounds) {
    seed_ = EnvU64("LFM_SEED", default_seed);
    const unsigned long long ops = EnvU64("LFM_MODEL_OPS", default_ops);
    std::printf("[ model    ] LFM_SEED=%llu LFM_MODEL_OPS=%llu rounds=%d\n",
                seed_, ops, rounds);
    rng_.seed(seed_);
    return ops;
  }
  unsigned Rand(unsigned n) { return static_cast<unsigned>(rng_() % n); }
  std::string Where() const {
    return "seed " + std::to_string(seed_) + " round " +
           std::to_string(round_) + " op " + std::to_string(op_);
  }
  void Trace(const char *fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!trace_) return;
    va_list ap;
    va_start(ap, fmt);
    std::printf("[%d.%llu] ", round_, op_);
    std::vprintf(fmt, ap);
    std::printf("\n");
    va_end(ap);
    std::fflush(stdout);
  }

  bool trace_ = EnvU64("LFM_MODEL_TRACE", 0) != 0;
  unsigned long long seed_ = 0;
  int round_ = 0;
  unsigned long long op_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_MODEL_DRIVER_H
