/* pins.c - a shared region's direct pins, logged under the log's entry
 * for the frame (pins.h, pinlog.h). */
#include "pins.h"

enum lfm__pin_result lfm__pin_direct_logged(struct lfm__pool *mp,
					    struct lfm__frame *f, uint64_t tag)
{
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	uint32_t c = lfm__pinlog_lock(e);
	LFM_CRASH_POINT(LFM_CRASH_LOG_HELD);
	enum lfm__pin_result r = LFM_PIN_FULL;
	if (c < LFM_PINLOG_COUNT &&
	    (r = lfm__frame_pin(f, tag, LFM_F_DIRECT_ONE)) == LFM_PIN_OK) {
		c++;
		LFM_CRASH_POINT(LFM_CRASH_PIN_COUNTED);
	}
	lfm__pinlog_unlock(e, c);
	return r;
}

int lfm__unpin_direct_logged(struct lfm__pool *mp, struct lfm__frame *f,
			     uint32_t set, uint32_t clear, int wait)
{
	/* None of ours: not worth the entry. A caller that holds a logged
	 * pin keeps COUNT at 1 or more, except while another thread of ours
	 * moves its entry's pins here: COUNT shows them only when that
	 * thread lets the entry go, which `wait` waits for. */
	if (!wait && !lfm__pins_holds(mp, f))
		return -1;
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	uint32_t c = lfm__pinlog_lock(e);
	LFM_CRASH_POINT(LFM_CRASH_LOG_HELD);
	int rc = -1;
	if (c > 0 && lfm__frame_unpin(f, LFM_F_DIRECT_ONE, set, clear) == 0) {
		c--;
		rc = 0;
		LFM_CRASH_POINT(LFM_CRASH_PIN_COUNTED);
	}
	lfm__pinlog_unlock(e, c);
	return rc;
}

int lfm__pins_holds_logged(struct lfm__pool *mp, const struct lfm__frame *f)
{
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	uint32_t c = lfm__pinlog_lock(e);
	lfm__pinlog_unlock(e, c);
	return c != 0;
}

void lfm__pins_fill_done(struct lfm__pool *mp, struct lfm__frame *f)
{
	const uint32_t set = LFM_F_VALID | LFM_F_USAGE_ONE | LFM_F_DIRECT_ONE;
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	if (e == NULL) {
		lfm__frame_release_excl(f, set, 0);
		return;
	}
	/* Nobody else pins a frame in EXCL: the count has room. */
	uint32_t c = lfm__pinlog_lock(e);
	LFM_CRASH_POINT(LFM_CRASH_LOG_HELD);
	lfm__frame_release_excl(f, set, 0);
	LFM_CRASH_POINT(LFM_CRASH_PIN_COUNTED);
	lfm__pinlog_unlock(e, c + 1);
}

int lfm__pins_direct_to_excl(struct lfm__pool *mp, struct lfm__frame *f)
{
	_Atomic uint16_t *e = lfm__pins_log(mp, f);
	uint32_t c = e != NULL ? lfm__pinlog_lock(e) : 1;
	int took = 0;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	while (c > 0 && !(s & LFM_F_EXCL) && lfm__st_direct(s) == 1 &&
	       lfm__st_slotref(s) == 0) {
		if (atomic_compare_exchange_weak_explicit(
			&f->state, &s,
			(s - LFM_F_DIRECT_ONE) | LFM_F_EXCL | mp->owner_bits,
			memory_order_acq_rel, memory_order_acquire)) {
			took = 1;
			break;
		}
	}
	if (e != NULL) {
		if (took)
			LFM_CRASH_POINT(LFM_CRASH_PIN_COUNTED);
		lfm__pinlog_unlock(e, c - (uint32_t)took);
	}
	return took;
}
