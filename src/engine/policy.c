/*
 * policy.c - the table of replacement policies (policy.h) and the
 * region's policy part.
 *
 * The part LFM_PART_POLICY starts with a line holding the policy's id
 * (its index in `policies`, + 1 so that a zeroed part names none),
 * written once by the region's creator before the region is published;
 * the policy's own state follows, a line further.
 */
#include "policy.h"
#include "policy_select.h"

#include "pool.h"

#include <errno.h>
#include <stddef.h>

static const struct lfm__policy_methods *const policies[] = {
    &lfm__clock_policy,
    &lfm__fifo_policy,
};

#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

/* Relaxed: a test sets it before the pools it opens. */
static _Atomic unsigned selected;

struct policy_part {
	uint32_t id; /* index in policies + 1 */
} __attribute__((aligned(LFM_CACHELINE)));

unsigned lfm__policy_count(void)
{
	return NPOLICIES;
}

const char *lfm__policy_name(unsigned i)
{
	return i < NPOLICIES ? policies[i]->name : NULL;
}

int lfm__policy_select(unsigned i)
{
	if (i >= NPOLICIES)
		return EINVAL;
	atomic_store_explicit(&selected, i, memory_order_relaxed);
	return 0;
}

const struct lfm__policy_methods *lfm__policy_default(void)
{
	return policies[atomic_load_explicit(&selected, memory_order_relaxed)];
}

uint64_t lfm__policy_part_size(const struct lfm__policy_methods *m)
{
	return sizeof(struct policy_part) + m->state_size();
}

void lfm__policy_part_init(struct lfm__region_hdr *rh,
			   const struct lfm__policy_methods *m)
{
	struct policy_part *p = lfm__region_part(rh, LFM_PART_POLICY);
	uint32_t id = 0;
	while (id < NPOLICIES && policies[id] != m)
		id++;
	LFM_ASSERT(id < NPOLICIES);
	p->id = id + 1;
	m->state_init(p + 1);
}

const struct lfm__policy_methods *lfm__policy_of(struct lfm__region_hdr *rh,
						 void **state)
{
	struct policy_part *p = lfm__region_part(rh, LFM_PART_POLICY);
	if (rh->part_size[LFM_PART_POLICY] < sizeof(*p) || p->id == 0 ||
	    p->id > NPOLICIES ||
	    rh->part_size[LFM_PART_POLICY] !=
		lfm__policy_part_size(policies[p->id - 1]))
		return NULL;
	*state = p + 1;
	return policies[p->id - 1];
}
