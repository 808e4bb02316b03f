/* kill_hooks.c - see kill_hooks.h. */
#include "tests/shared/kill_hooks.h"

#include "crashpoint.h"
#include "engine.h"
#include "pinlog.h"
#include "pool.h"
#include "tcache.h"

#include <stdio.h>

int lfm_test_crash_points(void)
{
#ifndef NDEBUG
	return 1;
#else
	return 0;
#endif
}

unsigned lfm_test_crash_npoints(void)
{
	return LFM_CRASH_NPOINTS;
}

const char *lfm_test_crash_name(unsigned at)
{
	switch (at) {
	case LFM_CRASH_LOG_HELD:
		return "LOG_HELD";
	case LFM_CRASH_PIN_COUNTED:
		return "PIN_COUNTED";
	case LFM_CRASH_ENTRY_COUNTED:
		return "ENTRY_COUNTED";
	case LFM_CRASH_ENTRY_FILLED:
		return "ENTRY_FILLED";
	case LFM_CRASH_ENTRY_EMPTIED:
		return "ENTRY_EMPTIED";
	case LFM_CRASH_RECOUNT_HELD:
		return "RECOUNT_HELD";
	case LFM_CRASH_RECOUNT_SET:
		return "RECOUNT_SET";
	case LFM_CRASH_CARVED:
		return "CARVED";
	}
	return "?";
}

int lfm_test_crash_in_recovery(unsigned at)
{
	return at == LFM_CRASH_RECOUNT_HELD || at == LFM_CRASH_RECOUNT_SET;
}

void lfm_test_crash_arm(unsigned at, unsigned nth)
{
#ifndef NDEBUG
	lfm__crash_arm(at, nth);
#else
	(void)at, (void)nth;
#endif
}

int lfm_test_audit_pins(DB_MPOOL *dbmp, int none_pinned, char *buf, size_t n)
{
	struct lfm__pool *mp = (struct lfm__pool *)(void *)dbmp;
	struct lfm__region_hdr *rh = mp->rh;
	if (rh->off_pins == 0) {
		snprintf(buf, n, "not a shared region");
		return -1;
	}
	if (atomic_load(&rh->recover_frame) != 0) {
		snprintf(buf, n, "recount of frame %u left half done",
			 atomic_load(&rh->recover_frame) - 1);
		return -1;
	}
	uint32_t nframes = atomic_load(&rh->nframes);
	struct lfm__frame *frames = lfm__frames(rh);
	for (uint32_t i = 0; i < nframes; i++) {
		uint32_t s = atomic_load(&frames[i].state);
		uint32_t logged = 0;
		for (uint32_t k = 0; k < LFM_NPROCS; k++) {
			uint16_t e = atomic_load(&lfm__pinlog_of(rh, k)[i]);
			if (e & LFM_PINLOG_LOCKS) {
				snprintf(buf, n,
					 "frame %u: slot %u's log entry held "
					 "(0x%x)",
					 i, k, e);
				return -1;
			}
			logged += e & LFM_PINLOG_COUNT;
		}
		uint32_t entries = 0, held = 0;
		for (uint32_t h = 0; h < rh->nhandles; h++) {
			struct lfm__handle *hd = lfm__handle_at(rh, h);
			struct lfm__tc_entry *e = lfm__tc_entries(hd);
			for (uint32_t k = 0; k < rh->tc_entries;
			     k++) {
				uint64_t w = atomic_load(&e[k].word);
				if (lfm__tc_frame(w) != i + 1)
					continue;
				entries++;
				held += lfm__tc_count(w);
				if (atomic_load(&hd->owner) == 0) {
					snprintf(buf, n,
						 "frame %u: named by an entry "
						 "of free handle %u",
						 i, h);
					return -1;
				}
			}
		}
		if (lfm__st_direct(s) != logged ||
		    lfm__st_slotref(s) != entries ||
		    (none_pinned && (logged != 0 || held != 0))) {
			snprintf(buf, n,
				 "frame %u: DIRECT %u SLOTREF %u, but %u "
				 "logged, %u entries (%u pins held through "
				 "them)",
				 i, lfm__st_direct(s), lfm__st_slotref(s),
				 logged, entries, held);
			return -1;
		}
	}
	return 0;
}

int lfm_test_stop_watch(DB_MPOOL *mp)
{
	return lfm__flushers_set((struct lfm__pool *)(void *)mp, 0, -1);
}
