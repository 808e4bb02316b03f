/* The library's version string, from the header it was built with. */
#include "db_mpool.h"

#define LFM_STR2(x) #x
#define LFM_STR(x)  LFM_STR2(x)

const char *lfmpool_version(void)
{
	return "lfmpool " LFM_STR(LFMPOOL_VERSION_MAJOR) "." LFM_STR(
	    LFMPOOL_VERSION_MINOR) "." LFM_STR(LFMPOOL_VERSION_PATCH);
}
