/*
 * profile_sites.c — a program with known allocation sites for the heap
 * profiler tests (profile_check.py reads its profiles with `go tool pprof`).
 *
 * Each site is a noinline function whose name the profile must show, and the
 * program prints one line per site with the truth the profile must
 * approximate:
 *   site NAME allocs N live L slot S
 * (S is the slot size the allocator charges, from malloc_usable_size's
 * counterpart escalloc_usable_size).
 *
 *   profile_sites sites [SCALE]  keep_1k keeps 20000*SCALE objects of 1000
 *                                bytes, churn_64 allocates and frees
 *                                200000*SCALE of 64, keep_large keeps 40*SCALE
 *                                of 100000 (large objects)
 *   profile_sites freeall        the same sites, then frees everything
 *   profile_sites threads        4 threads, each its own site; half of each
 *                                thread's objects are freed by another thread
 *   profile_sites fork DIR       parent_site, then fork while 3 threads keep
 *                                allocating; the child adds child_site and
 *                                writes DIR/child.prof, the parent DIR/parent.prof
 *   profile_sites ondemand PATH  writes PATH with escalloc_write_heap_profile
 *                                and checks that a bad path fails with errno
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escalloc/escalloc.h"

#define NOINLINE __attribute__((noinline))

static void **keep;
static size_t nkeep, capkeep;

NOINLINE static void hold(void *p) {
  if (!p) {
    perror("malloc");
    exit(1);
  }
  if (nkeep == capkeep) {
    /* The sink itself is allocated from sink_grow, a site of its own. */
    capkeep = capkeep ? capkeep * 2 : 1024;
    keep = realloc(keep, capkeep * sizeof *keep);
    if (!keep)
      exit(1);
  }
  keep[nkeep++] = p;
}

static void report(const char *name, size_t allocs, size_t live, void *sample) {
  printf("site %s allocs %zu live %zu slot %zu\n", name, allocs, live, escalloc_usable_size(sample));
}

NOINLINE void keep_1k(size_t n) {
  for (size_t i = 0; i < n; i++)
    hold(malloc(1000));
  report("keep_1k", n, n, keep[nkeep - 1]);
}

NOINLINE void churn_64(size_t n) {
  void *last = NULL;
  for (size_t i = 0; i < n; i++) {
    void *p = malloc(64);
    if (!p)
      exit(1);
    __asm__ volatile("" : : "r"(p) : "memory");
    if (i + 1 == n)
      last = p;
    else
      free(p);
  }
  report("churn_64", n, 0, last);
  free(last);
}

NOINLINE void keep_large(size_t n) {
  for (size_t i = 0; i < n; i++)
    hold(malloc(100000));
  report("keep_large", n, n, keep[nkeep - 1]);
}

static void free_all(void) {
  for (size_t i = 0; i < nkeep; i++)
    free(keep[i]);
  free(keep);
  keep = NULL;
  nkeep = capkeep = 0;
}

/* --- threads --------------------------------------------------------------- */

#define THREAD_OBJS 5000
static void *handoff[4][THREAD_OBJS];

#define THREAD_SITE(k)                                                              \
  NOINLINE void thread_site_##k(void) {                                             \
    for (int i = 0; i < THREAD_OBJS; i++)                                           \
      if (!(handoff[k][i] = malloc(200)))                                           \
        exit(1);                                                                    \
  }
THREAD_SITE(0)
THREAD_SITE(1)
THREAD_SITE(2)
THREAD_SITE(3)
static void (*const thread_sites[4])(void) = {thread_site_0, thread_site_1, thread_site_2, thread_site_3};

static void *thread_alloc(void *arg) {
  thread_sites[(size_t)arg]();
  return NULL;
}

/* Frees the even-numbered objects that thread (k+1)%4 allocated. */
static void *thread_free(void *arg) {
  size_t k = ((size_t)arg + 1) % 4;
  for (int i = 0; i < THREAD_OBJS; i += 2)
    free(handoff[k][i]);
  return NULL;
}

static int run_threads(void) {
  pthread_t t[4];
  for (size_t k = 0; k < 4; k++)
    pthread_create(&t[k], NULL, thread_alloc, (void *)k);
  for (size_t k = 0; k < 4; k++)
    pthread_join(t[k], NULL);
  for (size_t k = 0; k < 4; k++)
    pthread_create(&t[k], NULL, thread_free, (void *)k);
  for (size_t k = 0; k < 4; k++)
    pthread_join(t[k], NULL);
  for (int k = 0; k < 4; k++) {
    char name[32];
    snprintf(name, sizeof name, "thread_site_%d", k);
    report(name, THREAD_OBJS, THREAD_OBJS / 2, handoff[k][1]);
  }
  return 0;
}

/* --- fork -------------------------------------------------------------------- */

static volatile int stop_noise;

static void *noise(void *arg) {
  (void)arg;
  while (!stop_noise) {
    void *p = malloc(48);
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
  }
  return NULL;
}

NOINLINE void parent_site(void) {
  for (int i = 0; i < 1000; i++)
    hold(malloc(300));
  report("parent_site", 1000, 1000, keep[nkeep - 1]);
}

NOINLINE void child_site(void) {
  for (int i = 0; i < 700; i++)
    hold(malloc(500));
  report("child_site", 700, 700, keep[nkeep - 1]);
}

static int write_profile(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (escalloc_write_heap_profile(path) != 0) {
    fprintf(stderr, "profile_sites: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  return 0;
}

static int run_fork(const char *dir) {
  parent_site();
  fflush(stdout);
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, noise, NULL);
  int rc = 0;
  /* Fork repeatedly while the other threads sample, so a lock inherited held
   * would show up as a hung child. */
  for (int round = 0; round < 20 && rc == 0; round++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 1;
    }
    if (pid == 0) {
      if (round < 19)
        _exit(0);
      /* The last child leaves through exit(), so its exit handlers run. */
      child_site();
      exit(write_profile(dir, "child.prof"));
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
      rc = 1;
  }
  stop_noise = 1;
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  return rc ? rc : write_profile(dir, "parent.prof");
}

/* --- on demand --------------------------------------------------------------- */

static int run_ondemand(const char *path) {
  keep_1k(2000);
  if (escalloc_write_heap_profile(path) != 0) {
    fprintf(stderr, "profile_sites: cannot write %s: %s\n", path, strerror(errno));
    return 1;
  }
  errno = 0;
  if (escalloc_write_heap_profile("/nonexistent-dir/x.prof") != -1 || errno != ENOENT) {
    fprintf(stderr, "profile_sites: a bad path did not fail with ENOENT\n");
    return 1;
  }
  if (escalloc_write_heap_profile("") != -1 || errno != EINVAL) {
    fprintf(stderr, "profile_sites: an empty path did not fail with EINVAL\n");
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "sites";
  if (strcmp(mode, "sites") == 0 || strcmp(mode, "freeall") == 0) {
    size_t scale = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    if (strcmp(mode, "freeall") == 0)
      setvbuf(stdout, NULL, _IONBF, 0); /* stdio's buffer would stay live */
    keep_1k(20000 * scale);
    churn_64(200000 * scale);
    keep_large(40 * scale);
    if (strcmp(mode, "freeall") == 0)
      free_all();
    return 0;
  }
  if (strcmp(mode, "threads") == 0)
    return run_threads();
  if (strcmp(mode, "fork") == 0 && argc > 2)
    return run_fork(argv[2]);
  if (strcmp(mode, "ondemand") == 0 && argc > 2)
    return run_ondemand(argv[2]);
  fprintf(stderr, "usage: profile_sites sites|freeall [SCALE] | threads | fork DIR | ondemand PATH\n");
  return 2;
}
