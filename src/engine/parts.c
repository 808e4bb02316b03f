/* parts.c - the engine's parts of a new region (parts.h). */
#include "parts.h"

#include "ckpt_state.h"
#include "bgwriter.h"
#include "policy.h"
#include "pagewrite.h"

/* Called by the region layer on a new region's zeroed parts, before it
 * is published; `arg` is the policy's method table. */
static void init_parts(struct lfm__region_hdr *rh, const void *arg)
{
	lfm__policy_part_init(rh, arg);
	lfm__wb_part_init(rh);
	lfm__flushers_part_init(rh);
	lfm__ckpt_part_init(lfm__ckpt_part(rh));
}

void lfm__parts_geom(struct lfm__region_geom *g)
{
	const struct lfm__policy_methods *m = lfm__policy_default();
	g->part_size[LFM_PART_POLICY] = lfm__policy_part_size(m);
	g->part_size[LFM_PART_WAL] = lfm__wb_part_size();
	g->part_size[LFM_PART_FLUSH] = lfm__flushers_part_size();
	g->part_size[LFM_PART_CKPT] = lfm__ckpt_part_size();
	g->init_parts = init_parts;
	g->init_arg = m;
}
