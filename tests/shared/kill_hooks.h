/*
 * kill_hooks.h - white-box help for the tests of processes killed in a
 * shared pool: the crash points (src/os/crashpoint.h), an audit of the
 * region's pin counts, and a pool without its recovery watch. C over the
 * engine's internals, callable from C++.
 */
#ifndef LFMPOOL_TESTS_SHARED_KILL_HOOKS_H
#define LFMPOOL_TESTS_SHARED_KILL_HOOKS_H

#include <stddef.h>

#include "db_mpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if this build has crash points (not under NDEBUG). */
int lfm_test_crash_points(void);
/* The points are 1 .. lfm_test_crash_npoints() - 1. */
unsigned lfm_test_crash_npoints(void);
const char *lfm_test_crash_name(unsigned at);
/* 1 for the points only a recovery reaches. */
int lfm_test_crash_in_recovery(unsigned at);
/* This process kills itself the nth time it reaches point `at`. */
void lfm_test_crash_arm(unsigned at, unsigned nth);

/* With nothing in flight (no other process attached, no thread of ours
 * inside a call): every frame's DIRECT equals the sum of the pin logs'
 * COUNTs, its SLOTREF the thread-cache entries naming it; no log entry is
 * held (OWN or REC) and no recount is left half done; and, if
 * `none_pinned`, no pin at all: no DIRECT, no COUNT, no HELD entry. 0 if
 * so, else -1 with the first discrepancy in buf. */
int lfm_test_audit_pins(DB_MPOOL *mp, int none_pinned, char *buf, size_t n);

/* Stops every thread of this process's pool, the recovery watch too, so
 * that no death is recovered here until memp_set_flushers starts one. */
int lfm_test_stop_watch(DB_MPOOL *mp);

#ifdef __cplusplus
}
#endif

#endif
