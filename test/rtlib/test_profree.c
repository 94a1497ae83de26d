/*
 * test_profree.c — frees into a span that holds a sampled object do not take
 * the profiler's lock (issue 13 item 5): only the free of a slot that may be
 * sampled calls the profiler.  The program interposes pthread_mutex_lock (the
 * runtime is linked statically into it) and counts the locks taken while it
 * frees the unsampled neighbours of one sampled object; and the owner's free
 * of a slot in such a span is reused first, as a fast free is.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"
#include "mheap.h"

static _Atomic int counting;
static _Atomic long locks;
int pthread_mutex_lock(pthread_mutex_t *m) {
  static int (*real)(pthread_mutex_t *);
  if (!real)
    real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_lock");
  if (atomic_load_explicit(&counting, memory_order_relaxed))
    atomic_fetch_add_explicit(&locks, 1, memory_order_relaxed);
  return real(m);
}

enum { N = 48, SIZE = 256 };

static void sampled_span_frees_skip_the_profiler_lock(void **state) {
  (void)state;
  static void *objs[N];
  escalloc_set_memprofile_rate(1); /* the next 256-byte object is sampled */
  void *sampled = malloc(SIZE);
  escalloc_set_memprofile_rate(0); /* its neighbours are not */
  struct mspan *s = span_of(sampled);
  assert_int_equal(atomic_load(&s->prof_sampled), 1);
  int n = 0;
  for (int i = 0; i < N; i++) {
    void *p = malloc(SIZE);
    if (span_of(p) == s)
      objs[n++] = p;
    else
      free(p);
  }
  assert_true(n >= N / 2);
  atomic_store(&locks, 0);
  atomic_store(&counting, 1);
  for (int i = 0; i < n; i++)
    free(objs[i]);
  atomic_store(&counting, 0);
  /* At most the first neighbour, whose allocation saw the countdown the
   * rate-1 sample left expire, goes to the profiler. */
  print_message("%ld locks for %d frees\n", (long)atomic_load(&locks), n);
  assert_true(atomic_load(&locks) <= 1);
  assert_int_equal(atomic_load(&s->prof_sampled), 1);
  free(sampled); /* the sample itself is dropped, through the profiler */
  assert_int_equal(atomic_load(&s->prof_sampled), 0);
}

/* The owner's free of a slot in a span holding a sample goes onto the span's
 * freelist, as a fast free does: the next allocation of the class reuses it
 * (it once waited for the scan to wrap around, and a sampled span's
 * allocations walked through all its slots: more pages touched). */
static void sampled_span_reuses_a_freed_slot(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1);
  void *sampled = malloc(SIZE);
  escalloc_set_memprofile_rate(0);
  struct mspan *s = span_of(sampled);
  assert_int_equal(atomic_load(&s->prof_sampled), 1);
  void *p = malloc(SIZE);
  assert_ptr_equal(span_of(p), s);
  free(p);
  void *q = malloc(SIZE);
  assert_ptr_equal(q, p);
  free(q);
  free(sampled);
  assert_int_equal(atomic_load(&s->prof_sampled), 0);
}

int main(void) {
  /* The start-up span (rtlib/startspan.h) is retired: every object below
   * comes from a span of its class, the paths these tests are about. */
  void *volatile first = malloc(16); /* makes the first cache, which has the span */
  free(first);
  escalloc_free_os_memory();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(sampled_span_frees_skip_the_profiler_lock),
      cmocka_unit_test(sampled_span_reuses_a_freed_slot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
