/*
 * test_release.c — memory goes back to the OS: after a 1 GiB working set is
 * freed, RSS (from /proc/self/statm) returns near its starting point, with
 * escalloc_free_os_memory() at once and through the scavenger's pacing
 * without it, and HeapReleased accounts for the difference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"

#define MiB ((size_t)1 << 20)
#define WORKING_SET ((size_t)1 << 30)
/* The scavenger keeps max(8 MiB, HeapInuse/8) unreleased (scavenge.c); the
 * rest of the slack is the test program's own pages. */
#define SLACK (16 * MiB)

static size_t rss(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * (size_t)sysconf(_SC_PAGESIZE);
}

/* Half the set in small objects of several classes, half in large ones. */
static void **fill_working_set(size_t *count) {
  size_t n = 0, bytes = 0, cap = 1 << 20;
  void **objs = malloc(cap * sizeof *objs);
  static const size_t sizes[] = {64, 256, 1024, 4000, 20000};
  for (size_t i = 0; bytes < WORKING_SET / 2; i++) {
    size_t sz = sizes[i % 5];
    objs[n] = malloc(sz);
    memset(objs[n++], 1, sz);
    bytes += sz;
  }
  while (bytes < WORKING_SET) {
    size_t sz = (size_t)1 << (16 + n % 5); /* 64 KiB .. 1 MiB */
    objs[n] = malloc(sz);
    memset(objs[n++], 1, sz);
    bytes += sz;
  }
  *count = n;
  return objs;
}

static void free_working_set(void **objs, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(objs[i]);
  free(objs);
}

static void free_os_memory_releases_everything(void **state) {
  (void)state;
  escalloc_free_os_memory();
  struct escalloc_memstats m0, m;
  escalloc_read_memstats(&m0);
  size_t start = rss();
  size_t n;
  void **objs = fill_working_set(&n);
  assert_true(rss() > start + WORKING_SET * 9 / 10);
  free_working_set(objs, n);
  escalloc_free_os_memory();
  size_t end = rss();
  print_message("rss start %zu MiB, end %zu MiB\n", start / MiB, end / MiB);
  escalloc_read_memstats(&m);
  /* Metadata (span records, per-arena page maps: Sys - HeapSys) is kept for
   * reuse, as Go keeps it; it is bounded by the peak heap's span count. */
  size_t meta = (size_t)((m.Sys - m.HeapSys) - (m0.Sys - m0.HeapSys));
  print_message("metadata grew by %zu KiB\n", meta >> 10);
  assert_true(meta < WORKING_SET / 100);
  assert_true(end < start + 4 * MiB + meta);
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  /* Everything idle is released. */
  assert_true(st.HeapReleased >= st.HeapIdle - 1 * MiB);
  assert_true(st.HeapReleased >= WORKING_SET * 9 / 10);
}

static void pacing_releases_without_the_call(void **state) {
  (void)state;
  escalloc_free_os_memory();
  size_t start = rss();
  size_t n;
  void **objs = fill_working_set(&n);
  free_working_set(objs, n);
  /* Freeing returned every span to the heap; the runs are released once
   * they have sat unused for ESC_SCAVENGE_AGE (256) page-heap operations,
   * up to 64 MiB per operation (scavenge.c).  Drive 2 * 200 operations. */
  size_t just_freed = rss();
  for (int i = 0; i < 200; i++)
    free(malloc(40000));
  size_t end = rss();
  print_message("rss start %zu MiB, after frees %zu MiB, after 400 heap operations %zu MiB\n",
                start / MiB, just_freed / MiB, end / MiB);
  assert_true(end < start + SLACK);
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  assert_true(st.HeapIdle - st.HeapReleased <= 8 * MiB + 1 * MiB);
}

static void retained_margin_is_kept(void **state) {
  (void)state;
  /* A 4 MiB object freed and reallocated is not released (below the 8 MiB
   * margin), so no madvise churn for a program that reuses memory. */
  escalloc_free_os_memory();
  struct escalloc_memstats a, b;
  void *p = malloc(4 * MiB);
  memset(p, 1, 4 * MiB);
  free(p);
  escalloc_read_memstats(&a);
  assert_true(a.HeapIdle - a.HeapReleased >= 4 * MiB);
  p = malloc(4 * MiB);
  free(p);
  escalloc_read_memstats(&b);
  assert_int_equal(b.HeapReleased, a.HeapReleased);
}

static void young_free_runs_wait_for_age(void **state) {
  (void)state;
  /* 64 MiB freed is above the retained margin, but it is released only once
   * it has been idle for 256 page-heap operations. */
  escalloc_free_os_memory();
  size_t start = rss();
  char *p = malloc(64 * MiB);
  memset(p, 1, 64 * MiB);
  free(p);
  size_t young = rss();
  assert_true(young > start + 60 * MiB);
  for (int i = 0; i < 100; i++) /* 200 operations: still young */
    free(malloc(40000));
  size_t middle = rss();
  assert_true(middle > start + 60 * MiB);
  for (int i = 0; i < 100; i++) /* 400 operations: released */
    free(malloc(40000));
  size_t old = rss();
  print_message("rss start %zu MiB, freed %zu MiB, after 200 operations %zu MiB, after 400 %zu MiB\n",
                start / MiB, young / MiB, middle / MiB, old / MiB);
  assert_true(old < start + SLACK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(free_os_memory_releases_everything),
      cmocka_unit_test(pacing_releases_without_the_call),
      cmocka_unit_test(retained_margin_is_kept),
      cmocka_unit_test(young_free_runs_wait_for_age),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
