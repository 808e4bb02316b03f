/*
 * unit_check.h - a minimal harness for the C unit tests of lfmpool's
 * internals (the src headers use C11 _Atomic qualifiers, which C++ cannot
 * parse).
 *
 * Each test is a function run by RUN(fn); a test passes when none of its
 * CHECKs fails. UNIT_MAIN_END prints "unit_<name>: N passed, M failed"
 * and returns non-zero when M > 0.
 */
#ifndef LFM_TESTS_UNIT_CHECK_H
#define LFM_TESTS_UNIT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int unit_passed, unit_failed, unit_cur_failed;
static const char *unit_cur_name;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			unit_cur_failed++;                                     \
			fprintf(stderr, "%s:%d: [%s] CHECK(%s) failed\n",      \
				__FILE__, __LINE__, unit_cur_name, #cond);     \
		}                                                              \
	} while (0)

/* Compares two integers (as int64_t), printing both on failure. */
#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		int64_t unit_a_ = (int64_t)(a), unit_b_ = (int64_t)(b);        \
		if (unit_a_ != unit_b_) {                                      \
			unit_cur_failed++;                                     \
			fprintf(stderr,                                        \
				"%s:%d: [%s] CHECK_EQ(%s, %s) failed: "        \
				"%" PRId64 " (0x%" PRIx64 ") != %" PRId64      \
				" (0x%" PRIx64 ")\n",                          \
				__FILE__, __LINE__, unit_cur_name, #a, #b,     \
				unit_a_, (uint64_t)unit_a_, unit_b_,           \
				(uint64_t)unit_b_);                            \
		}                                                              \
	} while (0)

/* A precondition the rest of the test needs: stop the test if it fails. */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		if (!(cond)) {                                                 \
			unit_cur_failed++;                                     \
			fprintf(stderr, "%s:%d: [%s] REQUIRE(%s) failed\n",    \
				__FILE__, __LINE__, unit_cur_name, #cond);     \
			return;                                                \
		}                                                              \
	} while (0)

#define RUN(fn)                                                                \
	do {                                                                   \
		unit_cur_name = #fn;                                           \
		unit_cur_failed = 0;                                           \
		fn();                                                          \
		if (unit_cur_failed == 0) {                                    \
			unit_passed++;                                         \
		} else {                                                       \
			unit_failed++;                                         \
			fprintf(stderr, "FAILED: %s\n", #fn);                  \
		}                                                              \
	} while (0)

#define UNIT_MAIN_END(name)                                                    \
	do {                                                                   \
		printf("unit_%s: %d passed, %d failed\n", name, unit_passed,   \
		       unit_failed);                                           \
		return unit_failed == 0 ? 0 : 1;                               \
	} while (0)

#endif
