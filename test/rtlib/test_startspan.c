/*
 * test_startspan.c — the start-up span of mixed classes (rtlib/startspan.h):
 * the process's first objects of each small class share it, within each
 * class's budget; its objects are freed, reallocated, sized, counted in
 * MemStats and checked for double and invalid frees like any slot; frees
 * into it work from other threads and in a forked child; the span goes back
 * to the page heap once retired and empty.  Also run with ESCALLOC_DEBUG=1
 * (ctest rtlib.test_startspan.debug).  Linked with the static runtime; the
 * process's first cache (this thread's) has the span.
 */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "death.h"
#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "mcache.h"
#include "startspan.h"

/* Classes this test allocates from the start-up span: cmocka allocates only
 * small structures and strings before and between the tests, far from
 * these classes' budgets. */
static const size_t sizes[] = {48, 80, 112, 176, 208, 240, 288, 352, 416, 480, 576, 704, 896, 1152, 1408, 1792};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static int in_start_span(const void *p) {
  struct mspan *s = span_of(p);
  return s && s->state == SPAN_START;
}

static size_t slot_alignment(size_t size) { return size & -size; }

static void first_objects_of_classes_share_the_span(void **state) {
  (void)state;
  void *p[NSIZES];
  for (size_t i = 0; i < NSIZES; i++) {
    p[i] = malloc(sizes[i]);
    assert_non_null(p[i]);
    assert_true(in_start_span(p[i]));
    assert_ptr_equal(span_of(p[i]), span_of(p[0]));
    assert_int_equal((uintptr_t)p[i] % slot_alignment(sizes[i]), 0);
    assert_int_equal(malloc_usable_size(p[i]), sizes[i]);
    memset(p[i], (int)i, sizes[i]);
  }
  /* Carved in order, never overlapping. */
  for (size_t i = 1; i < NSIZES; i++)
    assert_true((char *)p[i] >= (char *)p[i - 1] + sizes[i - 1]);
  for (size_t i = 0; i < NSIZES; i++) {
    for (size_t j = 0; j < sizes[i]; j++)
      assert_int_equal(((unsigned char *)p[i])[j], i);
    free(p[i]);
  }
  /* Classes above 2 KiB take their own spans from the first object. */
  void *big = malloc(4096);
  assert_false(in_start_span(big));
  free(big);
}

static void a_class_takes_its_budget_then_its_own_span(void **state) {
  (void)state;
  enum { SIZE = 1536, MAX = ESC_START_CLASS_BYTES / SIZE }; /* the bytes bound it here */
  _Static_assert(ESC_START_CLASS_BYTES <= SIZE * ESC_START_CLASS_OBJECTS, "bytes bound");
  void *p[MAX + 1];
  int n = 0;
  while (n <= MAX && in_start_span(p[n] = malloc(SIZE)))
    n++;
  assert_true(n >= 1 && n <= MAX);
  assert_false(in_start_span(p[n]));
  /* The budget is spent: freeing does not give it back. */
  for (int i = 0; i <= n; i++)
    free(p[i]);
  void *q = malloc(SIZE);
  assert_false(in_start_span(q));
  free(q);
}

static void realloc_and_aligned_alloc(void **state) {
  (void)state;
  char *p = malloc(200); /* the 208-byte class, budget left */
  assert_true(in_start_span(p));
  memset(p, 0x3c, 200);
  assert_ptr_equal(realloc(p, 208), p); /* same class: in place */
  assert_ptr_equal(realloc(p, 193), p); /* smaller, same class: in place */
  char *q = realloc(p, 3000);           /* larger: moved, copied, p freed */
  assert_ptr_not_equal(q, p);
  for (int i = 0; i < 100; i++)
    assert_int_equal((unsigned char)q[i], 0x3c);
  free(q);
  /* aligned_alloc's class is a multiple of the alignment: the slot keeps it. */
  for (size_t align = 16; align <= 1024; align *= 2) {
    void *a = aligned_alloc(align, align);
    assert_int_equal((uintptr_t)a % align, 0);
    free(a);
  }
  void *z = calloc(1, 416);
  for (int i = 0; i < 416; i++)
    assert_int_equal(((unsigned char *)z)[i], 0);
  free(z);
  assert_null(realloc(malloc(352), 0)); /* freed */
}

static void memstats_stay_exact(void **state) {
  (void)state;
  enum { K = 3, SIZE = 704 };
  uint32_t cls = escalloc_size_class(SIZE, 0);
  struct escalloc_memstats a, b, c;
  escalloc_read_memstats(&a);
  void *p[K];
  for (int i = 0; i < K; i++) {
    p[i] = malloc(SIZE);
    assert_true(in_start_span(p[i]));
  }
  escalloc_read_memstats(&b);
  assert_int_equal(b.BySize[cls].mallocs - a.BySize[cls].mallocs, K);
  assert_int_equal(b.HeapAlloc - a.HeapAlloc, K * SIZE);
  assert_int_equal(b.HeapObjects - a.HeapObjects, K);
  for (int i = 0; i < K; i++)
    free(p[i]);
  escalloc_read_memstats(&c);
  assert_int_equal(c.BySize[cls].frees - a.BySize[cls].frees, K);
  assert_int_equal(c.HeapAlloc, a.HeapAlloc);
  assert_int_equal(c.HeapObjects, a.HeapObjects);
}

static void *free_all(void *arg) {
  void **p = arg;
  for (int i = 0; p[i]; i++)
    free(p[i]);
  return NULL;
}

/* Another thread frees the span's objects and exits (its counters go to the
 * exited threads'): counted in the objects' classes. */
static void frees_by_another_thread(void **state) {
  (void)state;
  enum { SIZE = 576 };
  uint32_t cls = escalloc_size_class(SIZE, 0);
  void *p[4] = {malloc(SIZE), malloc(SIZE), malloc(SIZE), NULL};
  for (int i = 0; i < 3; i++)
    assert_true(in_start_span(p[i]));
  struct escalloc_memstats a, b;
  escalloc_read_memstats(&a);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, free_all, p), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  escalloc_read_memstats(&b);
  assert_int_equal(b.BySize[cls].frees - a.BySize[cls].frees, 3);
}

/* A child frees the parent's objects of the span and allocates more from
 * it; a second free there still aborts. */
static void fork_child_uses_the_span(void **state) {
  (void)state;
  void *p = malloc(480), *q = malloc(480);
  assert_true(in_start_span(p));
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    free(p);
    void *r = malloc(480);
    int ok = in_start_span(r) && malloc_usable_size(r) == 480;
    free(r);
    free(q);
    _exit(ok ? 0 : 1);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_int_equal(malloc_usable_size(p), 480); /* the parent's are still live */
  free(p);
  free(q);
}

static void *dying_p;
static void double_free(void *arg) {
  (void)arg;
  free(dying_p);
  free(dying_p);
}
static void interior_free(void *arg) {
  (void)arg;
  free((char *)dying_p + 16);
}
static void size_of_freed(void *arg) {
  (void)arg;
  free(dying_p);
  (void)malloc_usable_size(dying_p);
}

static void expect_death(void (*fn)(void *), const char *what) {
  char buf[512];
  int status = run_in_child(fn, NULL, buf, sizeof buf);
  if (!died_of_abort(status) || !strstr(buf, what))
    fail_msg("wanted SIGABRT and \"%s\"; status %#x, stderr: %s", what, status, buf);
}

static void bad_frees_abort(void **state) {
  (void)state;
  dying_p = malloc(288);
  assert_true(in_start_span(dying_p));
  expect_death(double_free, "double free");
  expect_death(interior_free, "not its start");
  expect_death(size_of_freed, "freed object");
  free(dying_p); /* the parent's copy is untouched */
}

/* The layer alone: carving, a full span, and release once retired and
 * empty (the page heap's pages in use go back). */
static void span_goes_back_when_retired_and_empty(void **state) {
  (void)state;
  uintptr_t inuse = esc_heap.pages_inuse;
  struct mspan *s = startspan_new();
  assert_non_null(s);
  assert_int_equal(esc_heap.pages_inuse, inuse + ESC_START_PAGES);
  void *a = startspan_alloc(s, 2 * 2, 32), *b = startspan_alloc(s, 2 * 5 + 1, 64);
  assert_ptr_equal(a, (void *)s->base);
  assert_ptr_equal(b, (char *)s->base + 64);
  assert_int_equal(startspan_spc_of(s, b), 2 * 5 + 1);
  /* No room for a slot past the span's end. */
  assert_null(startspan_alloc(s, 2, (uint32_t)(ESC_START_PAGES << ESC_PAGE_SHIFT)));
  assert_int_equal(startspan_free(s, a), 2 * 2);
  startspan_retire(s);
  assert_int_equal(esc_heap.pages_inuse, inuse + ESC_START_PAGES); /* b is live */
  assert_int_equal(startspan_free(s, b), 2 * 5 + 1);
  assert_int_equal(esc_heap.pages_inuse, inuse);

  /* The table holds ESC_START_ENTRIES objects. */
  s = startspan_new();
  for (uint32_t i = 0; i < ESC_START_ENTRIES; i++)
    assert_non_null(startspan_alloc(s, 2 * 1, 8));
  assert_null(startspan_alloc(s, 2 * 1, 8));
  for (uint32_t i = 0; i < ESC_START_ENTRIES; i++)
    startspan_free(s, (char *)s->base + 8 * (ESC_START_ENTRIES - 1 - i));
  startspan_retire(s);
  assert_int_equal(esc_heap.pages_inuse, inuse);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(first_objects_of_classes_share_the_span),
      cmocka_unit_test(a_class_takes_its_budget_then_its_own_span),
      cmocka_unit_test(realloc_and_aligned_alloc),
      cmocka_unit_test(memstats_stay_exact),
      cmocka_unit_test(frees_by_another_thread),
      cmocka_unit_test(fork_child_uses_the_span),
      cmocka_unit_test(bad_frees_abort),
      cmocka_unit_test(span_goes_back_when_retired_and_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
