/*
 * tls.c - which pin cache (handle) each thread uses in each pool.
 *
 * A thread keeps a list of (pool serial, handle) nodes, most recent first,
 * so the hit path finds its handle with one compare. Pools are named by a
 * serial number, never by address: a pool closed and another opened at the
 * same address must not inherit stale nodes. live_lock orders thread-exit
 * cleanup against memp_close: a dying thread releases its handles only in
 * pools still registered, and memp_close unregisters before freeing.
 */
#include "pool.h"
#include "pinlog.h"
#include "shm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct lfm__tls_node *lfm__tls_head;

/* Never written: its fast_serial (0) matches no handle and its last_page
 * (NULL) no page, so the hit path needs no test for "no node". */
static struct lfm__tls_node tls_none;
__attribute__((visibility("default"))) __thread void *lfmpool__tls_fast =
    &tls_none;

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lfm__pool *live_list;
static uint64_t next_serial;
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static struct lfm__pool *live_find(uint64_t serial)
{
	for (struct lfm__pool *mp = live_list; mp != NULL; mp = mp->live_next)
		if (mp->serial == serial)
			return mp;
	return NULL;
}

/* Thread exit: give back every handle in pools that are still open. */
static void tls_destroy(void *arg)
{
	struct lfm__tls_node *n = arg;
	lfm__pmutex_lock_ranked(&live_lock, LFM_RANK_ALONE);
	while (n != NULL) {
		struct lfm__tls_node *next = n->next;
		struct lfm__pool *mp = live_find(n->serial);
		if (mp != NULL && n->h != NULL)
			(void)lfm__tcache_release(mp->rh, n->h, mp->plog);
		free(n);
		n = next;
	}
	lfm__pmutex_unlock_ranked(&live_lock);
	lfm__tls_head = NULL;
	lfmpool__tls_fast = &tls_none;
}

/* A forked child inherits the parent's descriptors of shared regions, and
 * with them the open file descriptions that carry the parent's liveness
 * locks (shm.h): were the child to keep them, the parent's death would go
 * unseen while the child lives. The child closes its copies; pool handles
 * do not cross fork (as in Berkeley DB): the child opens its own. */
static void tls_atfork_prepare(void)
{
	pthread_mutex_lock(&live_lock); /* not held across fork by anyone */
}

static void tls_atfork_parent(void)
{
	pthread_mutex_unlock(&live_lock);
}

static void tls_atfork_child(void)
{
	pthread_mutex_unlock(&live_lock);
	for (struct lfm__pool *mp = live_list; mp != NULL; mp = mp->live_next) {
		if (mp->shm != NULL && mp->shm->fd >= 0) {
			close(mp->shm->fd);
			mp->shm->fd = -1;
		}
	}
	live_list = NULL;
	lfm__tls_head = NULL;
	lfmpool__tls_fast = &tls_none;
}

static void tls_init(void)
{
	(void)pthread_key_create(&tls_key, tls_destroy);
	(void)pthread_atfork(tls_atfork_prepare, tls_atfork_parent,
			     tls_atfork_child);
}

void lfm__tls_register_pool(struct lfm__pool *mp)
{
	pthread_once(&tls_once, tls_init);
	lfm__pmutex_lock_ranked(&live_lock, LFM_RANK_ALONE);
	mp->serial = ++next_serial;
	mp->live_next = live_list;
	live_list = mp;
	lfm__pmutex_unlock_ranked(&live_lock);
}

void lfm__tls_unregister_pool(struct lfm__pool *mp)
{
	lfm__pmutex_lock_ranked(&live_lock, LFM_RANK_ALONE);
	for (struct lfm__pool **pp = &live_list; *pp != NULL;
	     pp = &(*pp)->live_next) {
		if (*pp == mp) {
			*pp = mp->live_next;
			break;
		}
	}
	lfm__pmutex_unlock_ranked(&live_lock);
}

struct lfm__tls_node *lfm__tls_slow(struct lfm__pool *mp)
{
	struct lfm__tls_node **pp = &lfm__tls_head;
	for (; *pp != NULL; pp = &(*pp)->next) {
		struct lfm__tls_node *n = *pp;
		if (n->serial == mp->serial) {
			*pp = n->next;
			n->next = lfm__tls_head;
			lfm__tls_head = n;
			lfmpool__tls_fast = n;
			return n;
		}
	}

	/* A line of its own: the hit path writes its record on every get. */
	struct lfm__tls_node *n = aligned_alloc(LFM_CACHELINE, sizeof(*n));
	if (n != NULL)
		memset(n, 0, sizeof(*n));
	lfm__pmutex_lock_ranked(&live_lock, LFM_RANK_ALONE);
	/* Drop nodes of pools closed since; their regions are gone. */
	for (pp = &lfm__tls_head; *pp != NULL;) {
		struct lfm__tls_node *old = *pp;
		if (live_find(old->serial) == NULL) {
			*pp = old->next;
			free(old);
		} else {
			pp = &old->next;
		}
	}
	uint32_t tid = (uint32_t)syscall(SYS_gettid);
	if (n != NULL) {
		int i =
		    lfm__tcache_claim(mp->rh, tid ? tid : 1,
				      mp->shm != NULL ? mp->shm->proc + 1 : 0);
		n->serial = mp->serial;
		n->h = i >= 0 ? lfm__handle_at(mp->rh, (uint32_t)i) : NULL;
		n->stripe = n->h ? n->h->stripe : tid % LFM_STAT_STRIPES;
		if (n->h != NULL) {
			n->fast_serial = mp->serial;
			n->tc = lfm__tc_entries(n->h);
			n->tc_mask = mp->rh->tc_entries - 1;
		}
		n->next = lfm__tls_head;
		lfm__tls_head = n;
	}
	lfm__pmutex_unlock_ranked(&live_lock);
	lfmpool__tls_fast = lfm__tls_head != NULL ? lfm__tls_head : &tls_none;
	pthread_setspecific(tls_key, lfm__tls_head);
	return n;
}
