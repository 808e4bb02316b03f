/*
 * unit_region.h - the small private region the C unit tests build their
 * frames and handles in: 64 KiB of pages, the given file slots and
 * handles, and (tc_entries != 0) thread caches of that many entries.
 */
#ifndef LFM_TESTS_UNIT_REGION_H
#define LFM_TESTS_UNIT_REGION_H

#include <string.h>

#include "region.h"

static inline struct lfm__region_hdr *
unit_region(uint32_t nfiles, uint32_t nhandles, uint32_t tc_entries)
{
	struct lfm__region_geom g;
	memset(&g, 0, sizeof(g));
	g.cache_bytes = 64 * 1024;
	g.nfiles_max = nfiles;
	g.nhandles = nhandles;
	g.tc_entries = tc_entries;
	return lfm__region_create_private(&g);
}

#endif
