/*
 * parts.h - the engine's parts of a new region (pool.h's LFM_PART_*):
 * each module's size, asked when the region is laid out, and its
 * initialisation, before the region is published. As PostgreSQL's
 * CreateSharedMemoryAndSemaphores asks StrategyShmemSize and calls
 * StrategyInitialize, and nothing else reads what they lay out.
 */
#ifndef LFM_PARTS_H
#define LFM_PARTS_H

#include "region.h"

/* Fills g's part sizes and init_parts for a region whose replacement
 * policy is the process's choice now (lfm__policy_default). */
void lfm__parts_geom(struct lfm__region_geom *g);

#endif
