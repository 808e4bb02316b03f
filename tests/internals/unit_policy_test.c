/*
 * unit_policy_test.c - a region's replacement policy is its creator's
 * (src/engine/policy.h): recorded in the region's policy part when it is
 * created, used by every process that joins it whatever that process
 * would choose for a region of its own, and a region naming a policy this
 * build lacks is refused with EINVAL. White-box: engine calls, a shared
 * region in $TEST_TMPDIR, the same process attaching twice (each attach
 * has a process slot of its own, as another process would).
 */
#include "unit_check.h"

#include "policy.h"
#include "policy_select.h"
#include "pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[512], path[600];
static const struct lfm__calls calls = {0}; /* no pgin, pgout, log */

static int open_shared(struct lfm__pool **mp)
{
	struct lfm__region_geom g = {
	    .cache_bytes = 64 * 1024,
	    .nfiles_max = 4,
	    .nhandles = 4,
	};
	struct lfm__pool_opts o = {.calls = &calls, .create = 1, .mode = 0600};
	return lfm__pool_open_region(path, &g, &o, mp);
}

static int open_private(struct lfm__pool **mp)
{
	struct lfm__region_geom g = {
	    .cache_bytes = 64 * 1024,
	    .nfiles_max = 4,
	    .nhandles = 4,
	};
	struct lfm__pool_opts o = {.calls = &calls};
	return lfm__pool_open_region(NULL, &g, &o, mp);
}

static unsigned index_of(const char *name)
{
	for (unsigned i = 0; i < lfm__policy_count(); i++)
		if (strcmp(lfm__policy_name(i), name) == 0)
			return i;
	return UINT32_MAX;
}

/* The policies' names and the hook's bounds. */
static void test_table(void)
{
	CHECK_EQ(lfm__policy_count(), 2);
	CHECK(strcmp(lfm__policy_name(0), "clock") == 0); /* the default */
	CHECK(strcmp(lfm__policy_name(1), "fifo") == 0);
	CHECK(lfm__policy_name(2) == NULL);
	CHECK_EQ(lfm__policy_select(2), EINVAL);
	CHECK(lfm__policy_default() == &lfm__clock_policy); /* unchanged */
}

/* Created under FIFO, joined under CLOCK: the joiner uses FIFO; a private
 * pool opened meanwhile gets the process's choice, CLOCK. */
static void test_joiner_uses_the_creators_policy(void)
{
	struct lfm__pool *a = NULL, *b = NULL, *p = NULL;
	CHECK_EQ(lfm__policy_select(index_of("fifo")), 0);
	CHECK_EQ(open_shared(&a), 0);
	CHECK_EQ(lfm__policy_select(index_of("clock")), 0);
	CHECK_EQ(open_shared(&b), 0);
	CHECK_EQ(open_private(&p), 0);
	if (a == NULL || b == NULL || p == NULL)
		return;
	CHECK(a->policy == &lfm__fifo_policy);
	CHECK(b->policy == &lfm__fifo_policy);
	CHECK(b->policy_state != NULL);
	CHECK(p->policy == &lfm__clock_policy);
	CHECK_EQ(lfm__pool_close(p), 0);
	CHECK_EQ(lfm__pool_close(b), 0);
	CHECK_EQ(lfm__pool_close(a), 0);
	CHECK_EQ(lfm__pool_unlink(path, 1), 0);
}

/* A region whose policy part names no policy of this build (a newer
 * build's, or damage): joining it fails with EINVAL, and the region is
 * left as it was for the processes that can use it. */
static void test_unknown_policy_refused(void)
{
	struct lfm__pool *a = NULL, *b = NULL;
	CHECK_EQ(open_shared(&a), 0);
	if (a == NULL)
		return;
	uint32_t *id = lfm__region_part(a->rh, LFM_PART_POLICY);
	uint32_t was = *id;
	*id = lfm__policy_count() + 1;
	CHECK_EQ(open_shared(&b), EINVAL);
	*id = was;
	CHECK_EQ(open_shared(&b), 0);
	if (b != NULL)
		CHECK_EQ(lfm__pool_close(b), 0);
	CHECK_EQ(lfm__pool_close(a), 0);
	CHECK_EQ(lfm__pool_unlink(path, 1), 0);
}

int main(void)
{
	const char *base = getenv("TEST_TMPDIR");
	snprintf(dir, sizeof(dir), "%s/policy.%d", base ? base : "/tmp",
		 (int)getpid());
	mkdir(dir, 0700);
	if (lfm__pool_dir_path(dir, path, sizeof(path)) != 0)
		return 1;
	RUN(test_table);
	RUN(test_joiner_uses_the_creators_policy);
	RUN(test_unknown_policy_refused);
	rmdir(dir);
	UNIT_MAIN_END("policy");
}
