/*
 * lfmpool-stat - look into a live shared pool, read-only: the counterpart
 * of Berkeley DB's `db_stat -m` and PostgreSQL's pg_buffercache.
 *
 *   lfmpool-stat -h DIR | -k KEY [-i SECS [-c COUNT]] [--json] [--pages]
 *
 * This file is the command line and the output; what reads the region is
 * region_view.c, which takes no process slot and no lock and writes
 * nothing. Each sample attaches afresh (open, map, read, unmap), so the
 * tool follows a pool that is removed and made again, and never keeps a
 * removed region's file alive. Any failure, a usage error included, is
 * one line on stderr and exit status 1.
 */
#include "region_view.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PROG "lfmpool-stat"

struct opts {
	const char *dir, *key;
	double interval; /* < 0: one sample */
	long long count; /* samples; 0: until killed */
	int json, pages;
};

/* A process's prefetch I/O engine (src/os/aio's kinds). */
static const char *io_name(uint32_t k)
{
	return k == 1 ? "io_uring" : k == 2 ? "threads" : "none";
}

static void usage(FILE *to)
{
	fprintf(to,
		"usage: " PROG " -h DIR | -k KEY [-i SECS [-c COUNT]] [--json] "
		"[--pages]\n");
}

static int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {{"json", no_argument, NULL, 'J'},
					      {"pages", no_argument, NULL, 'P'},
					      {"help", no_argument, NULL, 'H'},
					      {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->interval = -1;
	opterr = 0;
	int c, have_count = 0;
	while ((c = getopt_long(argc, argv, ":h:k:i:c:", longs, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			o->dir = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'i':
			errno = 0;
			o->interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(o->interval >= 0) || o->interval > 86400)
				return die("-i %s: not a number of seconds "
					   "(0 to 86400)",
					   optarg);
			break;
		case 'c':
			errno = 0;
			o->count = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    o->count < 1)
				return die("-c %s: not a positive count",
					   optarg);
			have_count = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'P':
			o->pages = 1;
			break;
		case 'H':
			usage(stdout);
			exit(0);
		case ':':
			return die("option -%c needs a value", optopt);
		default:
			if (optopt == 'J' || optopt == 'P' || optopt == 'H')
				return die("option %s takes no value",
					   argv[optind - 1]);
			if (optopt != 0)
				return die("unknown option -%c (try --help)",
					   optopt);
			return die("unknown option %s (try --help)",
				   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return die("unexpected argument %s (try --help)", argv[optind]);
	if ((o->dir == NULL) == (o->key == NULL))
		return die("give one of -h DIR and -k KEY (try --help)");
	if (have_count && o->interval < 0)
		return die("-c needs -i");
	if (o->interval == 0 && !have_count)
		return die("-i 0 needs -c (it samples without a pause)");
	return 0;
}

/* The region file, after the checks that give the clearest message. */
static int region_path(const struct opts *o, char *path, size_t n)
{
	struct stat st;
	if (o->dir != NULL) {
		if (stat(o->dir, &st) != 0)
			return errno == ENOENT
				   ? die("%s: no such directory", o->dir)
				   : die("%s: %s", o->dir, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return die("%s: not a directory", o->dir);
	}
	if (rview_path(o->dir, o->key, path, n) != 0)
		return die("%s: name too long", o->dir ? o->dir : o->key);
	if (stat(path, &st) != 0 && errno == ENOENT)
		return o->dir != NULL
			   ? die("%s: no pool in this directory (no %s)",
				 o->dir, path)
			   : die("no pool shared by key \"%s\" (no %s)", o->key,
				 path);
	return 0;
}

/* ------------------------------------------------------------- text */

/* A file name as the last thing on a line: printed as it is, except
 * control bytes and backslashes, as \ooo, so that a line stays one line
 * (spaces stay: the name ends the line). `buf` holds 4 bytes a byte of
 * the name, and one more. */
static const char *line_name(const char *s, char *buf)
{
	char *o = buf;
	if (*s == '\0')
		return "(temporary)";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p == '\\' || *p == 0x7f)
			o += sprintf(o, "\\%03o", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return buf;
}

#define LINE_NAME_MAX (4 * RVIEW_NAME_MAX + 1)

/* The file's name, and its absolute path in brackets when that says more
 * (a relative name, or mpool(3)'s "(mpool fd N)"). */
static void print_file_name(const struct rview_file *f)
{
	char buf[LINE_NAME_MAX];
	printf("%s", line_name(f->name, buf));
	if (f->path[0] != '\0' && strcmp(f->path, f->name) != 0)
		printf(" [%s]", line_name(f->path, buf));
	putchar('\n');
}

static double ratio(uint64_t a, uint64_t b)
{
	return b == 0 ? 0.0 : (double)a / (double)b;
}

#define U(x) ((unsigned long long)(x))

/* A counter none of the report's sentences says: a line of its own. */
static void text_counter(const char *name, uint64_t v, const char *words)
{
	if (words != NULL)
		printf("  %-10s %llu %s\n", name, U(v), words);
}

/* The table's counters with words of their own (stat_table.h), in its
 * order. */
static void text_counters(const struct rview_pool *p)
{
#define TEXT_LINE(f, c, k, sc, n, t)                                           \
	LFM__IF_POOLOBJ_##sc(text_counter(#n, p->n, t);)
	LFM_STATS(TEXT_LINE)
#undef TEXT_LINE
}

static void text_report(const char *path, const struct rview_sample *s)
{
	const struct rview_pool *p = &s->pool;
	printf("pool %s\n", path);
	printf("  size       %llu bytes of pages (%llu carved), region %llu "
	       "bytes\n",
	       U(p->cache_bytes), U(p->page_bytes), U(p->region_bytes));
	printf("  frames     %u carved (descriptors for %u), %u flushers "
	       "running\n",
	       p->frames, p->frames_max, p->flushers);
	printf("  pages      %llu held: %llu pinned, %llu dirty, %llu clean\n",
	       U(p->pages), U(p->pinned), U(p->dirty), U(p->clean));
	printf("  gets       %llu hits, %llu misses, hit rate %.1f%%\n",
	       U(p->hits), U(p->misses),
	       100.0 * ratio(p->hits, p->hits + p->misses));
	printf("  pages      %llu created, %llu read (%llu through the "
	       "mapping), %llu written (%llu by flushers)\n",
	       U(p->created), U(p->read), U(p->read_mapped), U(p->written),
	       U(p->written_flushers));
	printf("  evictions  %llu clean, %llu dirty; %llu taken by sweeping, "
	       "%.1f frames examined each (at most %llu)\n",
	       U(p->ro_evict), U(p->rw_evict), U(p->alloc),
	       ratio(p->alloc_pages, p->alloc), U(p->alloc_max_pages));
	printf("  waits      %llu gets slept on a frame held for I/O (%llu on "
	       "a read), %llu gets failed with ENOMEM\n",
	       U(p->io_wait), U(p->read_wait), U(p->nomem));
	printf("  syncs      %llu fdatasync calls (%llu failed), %llu "
	       "background write errors, %llu log flushes\n",
	       U(p->fdatasync), U(p->fdatasync_errors), U(p->bg_write_errors),
	       U(p->log_flush));
	printf("  checkpoints %llu memp_sync calls (%llu incomplete), %llu "
	       "pages written, the last took %.3f ms\n",
	       U(p->ckpt), U(p->ckpt_incomplete), U(p->ckpt_pages),
	       (double)p->ckpt_last_usec / 1000.0);
	text_counters(p);
	printf("page sizes\n  %8s %8s %12s %8s %8s %8s\n", "BUFFER", "FRAMES",
	       "BYTES", "PAGES", "DIRTY", "RETIRED");
	for (size_t i = 0; i < s->nsizes; i++) {
		const struct rview_size *z = &s->sizes[i];
		printf("  %8u %8u %12llu %8u %8u %8u\n", z->bufsize, z->frames,
		       U((uint64_t)z->frames * z->bufsize), z->pages, z->dirty,
		       z->retired);
	}
	printf("files\n  %4s %8s %8s %8s %10s %10s  %s\n", "SLOT", "PAGESIZE",
	       "PAGES", "DIRTY", "HITS", "MISSES", "NAME");
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct rview_file *f = &s->files[i];
		printf("  %4u %8u %8llu %8llu %10llu %10llu  ", f->slot,
		       f->pagesize, U(f->pages), U(f->dirty), U(f->hits),
		       U(f->misses));
		print_file_name(f);
	}
	printf("processes\n  %4s %8s %5s %8s %8s %9s\n", "SLOT", "PID", "STATE",
	       "PINS", "FLUSHERS", "IO");
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct rview_proc *r = &s->procs[i];
		printf("  %4u %8d %5s %8llu %8u %9s\n", r->slot, r->pid,
		       r->alive ? "alive" : "dead", U(r->pins), r->flushers,
		       io_name(r->io));
	}
	printf("hash table\n  %u buckets, %u occupied, longest chain %llu "
	       "(the longest a lookup walked), %u now, mean chain %.2f (of "
	       "the occupied)\n",
	       p->buckets, p->occupied, U(p->hash_longest), p->chain_longest,
	       ratio(p->chain_frames, p->occupied));
}

static void text_pages(const struct rview_sample *s)
{
	/* Names by slot (files[] is in slot order), escaped once. */
	uint32_t nslots = s->nfiles ? s->files[s->nfiles - 1].slot + 1 : 0;
	char **names = calloc(nslots ? nslots : 1, sizeof(*names));
	for (size_t k = 0; names != NULL && k < s->nfiles; k++) {
		char buf[LINE_NAME_MAX];
		names[s->files[k].slot] =
		    strdup(line_name(s->files[k].name, buf));
	}
	printf("%8s %10s %8s %5s %5s %5s %21s  %s\n", "FRAME", "PGNO",
	       "PAGESIZE", "PINS", "DIRTY", "USAGE", "LSN", "FILE");
	for (size_t i = 0; i < s->npages; i++) {
		const struct rview_page *g = &s->pages[i];
		const char *name =
		    names != NULL && g->file < nslots && names[g->file] != NULL
			? names[g->file]
			: "?";
		char lsn[32] = "-";
		if (g->has_lsn)
			snprintf(lsn, sizeof(lsn), "%u/%u", g->lsn_file,
				 g->lsn_offset);
		printf("%8u %10u %8u %5u %5d %5u %21s  %s\n", g->frame, g->pgno,
		       g->pagesize, g->pins, g->dirty, g->usage, lsn, name);
	}
	for (uint32_t k = 0; names != NULL && k < nslots; k++)
		free(names[k]);
	free(names);
}

/* ------------------------------------------------------------- rates */

/* The counters rates are given for. */
#define RATE_FIELDS(X)                                                         \
	X(hits)                                                                \
	X(misses)                                                              \
	X(created)                                                             \
	X(read)                                                                \
	X(read_mapped) X(written) X(written_flushers) X(ro_evict) X(rw_evict)

struct rates {
	double secs;
#define DECL(f) double f;
	RATE_FIELDS(DECL)
#undef DECL
};

/* Per second over `secs`; a counter that went down (a file closed, the
 * pool made again) counts as no change. */
static void compute_rates(const struct rview_pool *a,
			  const struct rview_pool *b, double secs,
			  struct rates *r)
{
	r->secs = secs;
#define RATE(f)                                                                \
	r->f = b->f > a->f && secs > 0 ? (double)(b->f - a->f) / secs : 0.0;
	RATE_FIELDS(RATE)
#undef RATE
}

static void text_rates_header(void)
{
	printf("%8s %7s %7s %10s %10s %6s %9s %9s %9s %9s %9s\n", "pages",
	       "dirty", "pinned", "hits/s", "misses/s", "hit%", "read/s",
	       "write/s", "flush/s", "evclean/s", "evdirty/s");
}

static void text_rates(const struct rview_pool *p, const struct rates *r)
{
	printf("%8llu %7llu %7llu ", (unsigned long long)p->pages,
	       (unsigned long long)p->dirty, (unsigned long long)p->pinned);
	if (r == NULL) {
		printf("%10s %10s %6s %9s %9s %9s %9s %9s\n", "-", "-", "-",
		       "-", "-", "-", "-", "-");
		return;
	}
	printf(
	    "%10.0f %10.0f %6.1f %9.0f %9.0f %9.0f %9.0f %9.0f\n", r->hits,
	    r->misses,
	    100.0 * (r->hits + r->misses > 0 ? r->hits / (r->hits + r->misses)
					     : 0.0),
	    r->read, r->written, r->written_flushers, r->ro_evict, r->rw_evict);
}

/* ------------------------------------------------------------- JSON */

static int utf8_ok(const unsigned char *s)
{
	while (*s) {
		int n = *s < 0x80	      ? 0
			: (*s & 0xe0) == 0xc0 ? 1
			: (*s & 0xf0) == 0xe0 ? 2
			: (*s & 0xf8) == 0xf0 ? 3
					      : -1;
		if (n < 0)
			return 0;
		s++;
		for (int i = 0; i < n; i++, s++)
			if ((*s & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* A JSON string; a name that is not UTF-8 has its high bytes as \u00XX. */
static void json_str(const char *s)
{
	int ok = utf8_ok((const unsigned char *)s);
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || (*p >= 0x80 && !ok))
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

#define JU(name, v) printf("\"%s\":%llu", name, (unsigned long long)(v))

/* The tool's own figures that sit among the table's in the "pool" object,
 * after the counter `after`, where they have always been. */
static void json_pool_own(int after, const struct rview_pool *p)
{
	switch (after) {
	case LFM_STAT_cache_miss:
		printf(",\"hit_rate\":%.4f",
		       ratio(p->hits, p->hits + p->misses));
		break;
	case LFM_STAT_page_out:
		putchar(','), JU("written_flushers", p->written_flushers);
		break;
	case LFM_STAT_rw_evict:
		putchar(','), JU("file_slots", p->nfiles_max);
		putchar(','), JU("handles", p->nhandles);
		putchar(','), JU("handles_in_use", p->handles_in_use);
		break;
	default:
		break;
	}
}

/* The pool's counters, in the statistics table's order and by its names
 * (stat_table.h), each after a comma. */
static void json_pool_counters(const struct rview_pool *p)
{
#define POOL_KEY(f, c, k, sc, n, t)                                            \
	LFM__IF_POOLOBJ_##sc(putchar(','), JU(#n, p->n),                       \
			     json_pool_own(LFM_STAT_##f, p);)
	LFM_STATS(POOL_KEY)
#undef POOL_KEY
}

static void json_sample(const char *path, const struct rview_sample *s,
			double when, const struct rates *r, int pages)
{
	const struct rview_pool *p = &s->pool;
	printf("{\"region\":");
	json_str(path);
	printf(",\"time\":%.3f,\"pool\":{", when);
	JU("cache_bytes", p->cache_bytes), putchar(',');
	JU("page_bytes", p->page_bytes), putchar(',');
	JU("region_bytes", p->region_bytes), putchar(',');
	JU("frames", p->frames), putchar(',');
	JU("frames_max", p->frames_max), putchar(',');
	JU("flushers", p->flushers), putchar(',');
	JU("pages", p->pages), putchar(',');
	JU("pinned", p->pinned), putchar(',');
	JU("dirty", p->dirty), putchar(',');
	JU("clean", p->clean);
	json_pool_counters(p);
	printf("},\"sizes\":[");
	for (size_t i = 0; i < s->nsizes; i++) {
		const struct rview_size *z = &s->sizes[i];
		printf("%s{", i ? "," : "");
		JU("bufsize", z->bufsize), putchar(',');
		JU("frames", z->frames), putchar(',');
		JU("bytes", (uint64_t)z->frames * z->bufsize), putchar(',');
		JU("pages", z->pages), putchar(',');
		JU("dirty", z->dirty), putchar(',');
		JU("retired", z->retired);
		putchar('}');
	}
	printf("],\"files\":[");
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct rview_file *f = &s->files[i];
		printf("%s{", i ? "," : "");
		JU("slot", f->slot);
		printf(",\"name\":");
		json_str(f->name);
		printf(",\"path\":");
		json_str(f->path);
		putchar(',');
		JU("pagesize", f->pagesize), putchar(',');
		JU("pages", f->pages), putchar(',');
		JU("dirty", f->dirty);
#define FILE_KEY(fl, c, k, sc, n, t)                                           \
	LFM__IF_FILE_##sc(putchar(','), JU(#n, f->n);)
		LFM_STATS(FILE_KEY)
#undef FILE_KEY
		putchar('}');
	}
	printf("],\"procs\":[");
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct rview_proc *q = &s->procs[i];
		printf("%s{\"slot\":%u,\"pid\":%d,\"alive\":%s,", i ? "," : "",
		       q->slot, q->pid, q->alive ? "true" : "false");
		JU("pins", q->pins), putchar(',');
		JU("flushers", q->flushers);
		printf(",\"io_engine\":\"%s\"}", io_name(q->io));
	}
	printf("],\"hash\":{");
	JU("buckets", p->buckets), putchar(',');
	JU("occupied", p->occupied), putchar(',');
	JU("longest_chain", p->hash_longest), putchar(',');
	JU("longest_chain_now", p->chain_longest), putchar(',');
	printf("\"mean_chain\":%.4f,", ratio(p->chain_frames, p->occupied));
	JU("searches", p->hash_searches), putchar(',');
	JU("examined", p->hash_examined), putchar(',');
	JU("longest_search", p->hash_longest);
	printf("},\"rates\":");
	if (r == NULL) {
		printf("null");
	} else {
		printf("{\"interval\":%.6f", r->secs);
#define JR(f) printf(",\"" #f "\":%.3f", r->f);
		RATE_FIELDS(JR)
#undef JR
		putchar('}');
	}
	if (pages) {
		printf(",\"pages\":[");
		for (size_t i = 0; i < s->npages; i++) {
			const struct rview_page *g = &s->pages[i];
			printf("%s{\"frame\":%u,\"file\":%u,\"pgno\":%u,"
			       "\"pagesize\":%u,\"pins\":%u,\"dirty\":%s,"
			       "\"usage\":%u,\"lsn\":",
			       i ? "," : "", g->frame, g->file, g->pgno,
			       g->pagesize, g->pins,
			       g->dirty ? "true" : "false", g->usage);
			if (g->has_lsn)
				printf("{\"file\":%u,\"offset\":%u}}",
				       g->lsn_file, g->lsn_offset);
			else
				printf("null}");
		}
		putchar(']');
	}
	printf("}\n");
}

/* ------------------------------------------------------------- main */

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_real(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(double secs)
{
	struct timespec ts;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	char path[PATH_MAX], err[PATH_MAX + 256];
	if (parse_args(argc, argv, &o) != 0 ||
	    region_path(&o, path, sizeof(path)) != 0)
		return 1;
	struct rview_sample prev, cur;
	double prev_t = 0;
	int have_prev = 0;
	memset(&prev, 0, sizeof(prev));
	for (long long n = 0; o.interval < 0 ? n < 1
			      : o.count == 0 ? 1
					     : n < o.count;
	     n++) {
		if (n > 0 && o.interval > 0)
			nap(o.interval);
		if (rview_read(path, o.pages, &cur, err, sizeof(err)) != 0) {
			rview_free(&prev);
			return die("%s", err);
		}
		double t = now_mono();
		struct rates r;
		if (have_prev)
			compute_rates(&prev.pool, &cur.pool, t - prev_t, &r);
		if (o.json)
			json_sample(path, &cur, now_real(),
				    have_prev ? &r : NULL, o.pages);
		else if (o.pages)
			printf("%s", n > 0 ? "\n" : ""), text_pages(&cur);
		else if (o.interval < 0)
			text_report(path, &cur);
		else {
			if (n % 20 == 0)
				text_rates_header();
			text_rates(&cur.pool, have_prev ? &r : NULL);
		}
		rview_free(&prev);
		prev = cur;
		prev_t = t;
		have_prev = 1;
		if (fflush(stdout) != 0 || ferror(stdout)) {
			rview_free(&prev);
			return die("writing the output: %s", strerror(errno));
		}
	}
	rview_free(&prev);
	return 0;
}
