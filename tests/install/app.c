/*
 * app.c - a program built against an installed lfmpool (tests/install/run.sh
 * compiles it with pkg-config, once with the shared library and once with
 * the archive). It writes pages through both APIs, makes them durable and
 * reads the file back with pread(2) behind the pool's back. Exits 0 when
 * every byte and return value is as expected, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <db_mpool.h>
#include <mpool.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGESIZE 4096

static int failures;

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) {                                                      \
      fprintf(stderr, "app.c:%d: check failed: %s\n", __LINE__, #cond); \
      failures++;                                                       \
    }                                                                   \
  } while (0)

/* Page contents that differ per page and per API. */
static void fill(unsigned char *page, unsigned int pgno, unsigned int salt) {
  for (size_t i = 0; i < PAGESIZE; i++)
    page[i] = (unsigned char)(i * 31u + pgno * 7u + salt);
}

static int same(const unsigned char *page, unsigned int pgno,
                unsigned int salt) {
  unsigned char want[PAGESIZE];
  fill(want, pgno, salt);
  return memcmp(page, want, PAGESIZE) == 0;
}

/* On-disk page pgno of path, read without the pool. */
static int read_back(const char *path, unsigned int pgno, unsigned char *buf) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = pread(fd, buf, PAGESIZE, (off_t)pgno * PAGESIZE);
  close(fd);
  return n == PAGESIZE ? 0 : -1;
}

static int temp_file(char *path, size_t len) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, len, "%s/lfmpool-app-XXXXXX",
           dir != NULL && *dir != '\0' ? dir : "/tmp");
  return mkstemp(path);
}

static void db_mpool_api(void) {
  char path[4096];
  int fd = temp_file(path, sizeof(path));
  CHECK(fd >= 0);
  if (fd < 0) return;
  close(fd);

  DB_ENV env;
  memset(&env, 0, sizeof(env));
  env.mp_size = 1 << 20;
  DB_MPOOL *mp = NULL;
  int rc =
      memp_open(NULL, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0, &env, &mp);
  CHECK(rc == 0);
  if (rc != 0) {
    unlink(path);
    return;
  }
  DB_MPOOLFILE *mpf = NULL;
  rc = memp_fopen(mp, path, 0, DB_CREATE, 0600, PAGESIZE, -1, NULL, NULL, &mpf);
  CHECK(rc == 0);
  if (rc == 0) {
    db_pgno_t pgno = 3;
    void *page = NULL;
    CHECK(memp_fget(mpf, &pgno, DB_MPOOL_CREATE, &page) == 0);
    CHECK(page != NULL && pgno == 3);
    if (page != NULL) {
      fill(page, 3, 1);
      CHECK(memp_fput(mpf, page, DB_MPOOL_DIRTY) == 0);
    }
    CHECK(memp_fsync(mpf) == 0);

    unsigned char disk[PAGESIZE];
    CHECK(read_back(path, 3, disk) == 0);
    CHECK(same(disk, 3, 1));

    /* A page missing from the file is EINVAL without CREATE. */
    pgno = 9;
    page = NULL;
    CHECK(memp_fget(mpf, &pgno, 0, &page) == EINVAL);

    pgno = 3;
    CHECK(memp_fget(mpf, &pgno, 0, &page) == 0);
    CHECK(page != NULL && same(page, 3, 1));
    if (page != NULL) CHECK(memp_fput(mpf, page, 0) == 0);

    DB_MPOOL_STAT *gsp = NULL;
    CHECK(memp_stat(mp, &gsp, NULL, NULL) == 0);
    CHECK(gsp != NULL && gsp->st_page_create == 1 && gsp->st_page_out >= 1);
    free(gsp);
    CHECK(memp_fclose(mpf) == 0);
  }
  CHECK(memp_close(mp) == 0);
  unlink(path);
}

static void bsd_mpool_api(void) {
  char path[4096];
  int fd = temp_file(path, sizeof(path));
  CHECK(fd >= 0);
  if (fd < 0) return;

  MPOOL *mp = mpool_open(NULL, fd, PAGESIZE, 16);
  CHECK(mp != NULL);
  if (mp != NULL) {
    pgno_t p0 = 99, p1 = 99;
    unsigned char *page = mpool_new(mp, &p0, MPOOL_PAGE_NEXT);
    CHECK(page != NULL && p0 == 0);
    if (page != NULL) {
      fill(page, 0, 2);
      CHECK(mpool_put(mp, page, MPOOL_DIRTY) == 0);
    }
    /* The 4.4BSD two-argument form: the next page. */
    page = mpool_new(mp, &p1);
    CHECK(page != NULL && p1 == 1);
    if (page != NULL) {
      fill(page, 1, 2);
      CHECK(mpool_put(mp, page, MPOOL_DIRTY) == 0);
    }
    CHECK(mpool_sync(mp) == 0);

    unsigned char disk[PAGESIZE];
    CHECK(read_back(path, 0, disk) == 0 && same(disk, 0, 2));
    CHECK(read_back(path, 1, disk) == 0 && same(disk, 1, 2));

    page = mpool_get(mp, 1, 0);
    CHECK(page != NULL && same(page, 1, 2));
    if (page != NULL) CHECK(mpool_put(mp, page, 0) == 0);
    CHECK(mpool_close(mp) == 0);
  }
  /* The pool leaves the caller's descriptor open. */
  CHECK(fcntl(fd, F_GETFD) != -1);
  close(fd);
  unlink(path);
}

int main(void) {
  char want[64];
  snprintf(want, sizeof(want), "lfmpool %d.%d.%d", LFMPOOL_VERSION_MAJOR,
           LFMPOOL_VERSION_MINOR, LFMPOOL_VERSION_PATCH);
  CHECK(strcmp(lfmpool_version(), want) == 0);

  db_mpool_api();
  bsd_mpool_api();

  if (failures != 0) {
    fprintf(stderr, "app: %d checks failed\n", failures);
    return 1;
  }
  printf("app: ok (%s)\n", lfmpool_version());
  return 0;
}
