/*
 * policy_select.h - which replacement policy (policy.h) new regions get:
 * a test hook, not an API option. Plain C, no atomics: C++ tests include
 * it (the eviction conformance suite runs once per policy).
 */
#ifndef LFM_POLICY_SELECT_H
#define LFM_POLICY_SELECT_H

#ifdef __cplusplus
extern "C" {
#endif

/* The policies the library has, 0 (CLOCK, the default) first. */
unsigned lfm__policy_count(void);
/* Policy i's name ("clock", "fifo"), or NULL past the last. */
const char *lfm__policy_name(unsigned i);
/* Regions this process creates from now on use policy i (regions it
 * joins keep their creator's). 0, or EINVAL if there is no policy i. */
int lfm__policy_select(unsigned i);

#ifdef __cplusplus
}
#endif

#endif
