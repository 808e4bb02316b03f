/* scan.c - candidate storage for frame passes (see scan.h). */
#include "scan.h"

#include <errno.h>
#include <stdlib.h>

int lfm__scan_reserve(const struct lfm__scan *it, struct lfm__wb_buf *buf)
{
	uint32_t frames = it->end > it->next ? it->end - it->next : 0;
	if (frames == 0)
		frames = 1;
	if (buf->cap >= frames)
		return 0;
	void *p = realloc(buf->c, sizeof(*buf->c) * frames);
	if (p == NULL)
		return ENOMEM;
	buf->c = p;
	buf->cap = frames;
	return 0;
}
