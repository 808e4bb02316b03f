/*
 * <lfmpool.h> from C99 under strict warnings (BUILD: -pedantic,
 * -Wconversion, -Wsign-conversion, -Wc++-compat and more, all errors), as
 * an embedder may compile it: the inline get and put are compiled here, in
 * C, and used: pages made, written, read back inline and synced, checked
 * with pread(2).
 *
 * Prints "lfmpool_c_test: N passed, M failed"; exits non-zero if M > 0.
 */
#include <lfmpool.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGESIZE 4096u
#define NPAGES 8u

static int passed, failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      passed++;                                                                \
    } else {                                                                   \
      failed++;                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

static unsigned char byte_of(uint32_t pgno, size_t i) {
  return (unsigned char)((pgno * 31u + (uint32_t)i) & 0xffu);
}

static void fill(void *page, uint32_t pgno) {
  unsigned char *p = (unsigned char *)page;
  size_t i;
  for (i = 0; i < PAGESIZE; i++) p[i] = byte_of(pgno, i);
}

static int same(const void *page, uint32_t pgno) {
  const unsigned char *p = (const unsigned char *)page;
  size_t i;
  for (i = 0; i < PAGESIZE; i++)
    if (p[i] != byte_of(pgno, i)) return 0;
  return 1;
}

static int on_disk(const char *path, uint32_t pgno) {
  unsigned char buf[PAGESIZE];
  int fd = open(path, O_RDONLY);
  ssize_t n;
  if (fd < 0) return 0;
  n = pread(fd, buf, sizeof(buf), (off_t)pgno * (off_t)PAGESIZE);
  close(fd);
  return n == (ssize_t)sizeof(buf) && same(buf, pgno);
}

int main(void) {
  const char *tmp = getenv("TEST_TMPDIR");
  char path[4096];
  lfmpool *pool = NULL;
  lfmpool_file *file = NULL;
  void *page = NULL, *again = NULL;
  uint32_t pgno, p;
  int i, rc;

  snprintf(path, sizeof(path), "%s/c.db", tmp != NULL ? tmp : "/tmp");
  unlink(path);
  CHECK(lfmpool_open(NULL, 256u * 1024u, LFMPOOL_PRIVATE, 0, &pool) == 0);
  CHECK(lfmpool_fopen(pool, path, PAGESIZE, LFMPOOL_FCREATE, 0644, &file) == 0);
  if (pool == NULL || file == NULL) {
    printf("lfmpool_c_test: %d passed, %d failed\n", passed, failed);
    return 1;
  }
  for (p = 0; p < NPAGES; p++) {
    pgno = 12345;
    rc = lfmpool_get_flags(file, &pgno, LFMPOOL_GET_NEW, &page);
    CHECK(rc == 0 && pgno == p);
    if (rc != 0) break;
    fill(page, p);
    CHECK(lfmpool_put_flags(file, page, LFMPOOL_PUT_DIRTY) == 0);
  }
  /* Each page used again and again: the inline calls, from C. */
  for (i = 0; i < 100; i++) {
    for (p = 0; p < NPAGES; p++) {
      rc = lfmpool_get(file, p, &page);
      if (rc != 0 || !same(page, p)) {
        CHECK(rc == 0 && same(page, p));
        break;
      }
      rc = lfmpool_put(file, page);
      if (rc != 0) {
        CHECK(rc == 0);
        break;
      }
    }
  }
  /* Two pins, a put too many, errors. */
  CHECK(lfmpool_get(file, 3, &page) == 0);
  CHECK(lfmpool_get(file, 3, &again) == 0 && again == page);
  CHECK(lfmpool_put(file, (char *)page + 1) == EINVAL);
  CHECK(lfmpool_put(file, page) == 0);
  CHECK(lfmpool_put(file, page) == 0);
  CHECK(lfmpool_put(file, page) == EINVAL);
  CHECK(lfmpool_get(file, NPAGES, &page) == EINVAL);
  CHECK(lfmpool_get(NULL, 0, &page) == EINVAL);
  CHECK(lfmpool_put(NULL, page) == EINVAL);
  CHECK(lfmpool_fsync(file) == 0);
  for (p = 0; p < NPAGES; p++) CHECK(on_disk(path, p));
  CHECK(lfmpool_fclose(file) == 0);
  CHECK(lfmpool_close(pool) == 0);
  CHECK(strncmp(lfmpool_version(), "lfmpool ", 8) == 0);
  unlink(path);
  printf("lfmpool_c_test: %d passed, %d failed\n", passed, failed);
  return failed != 0;
}
