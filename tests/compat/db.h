/*
 * A stand-in for a classic <db.h> (4.4BSD, glibc <= 2.1, Berkeley DB 1.85),
 * reduced to what matters to <mpool.h>: the _DB_H_ guard, pgno_t and DBT.
 * Used by mpool_compat_test.c (here) to show that <mpool.h> compiles
 * after it.
 */
#ifndef _DB_H_
#define _DB_H_

#include <stddef.h>

#define LFMPOOL_TEST_CLASSIC_DB_H 1 /* this stand-in, not a system db.h */

typedef unsigned int pgno_t;

typedef struct {
	void *data;
	size_t size;
} DBT;

#endif /* !_DB_H_ */
