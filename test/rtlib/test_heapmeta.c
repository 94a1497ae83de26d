/*
 * test_heapmeta.c — the pages a process's first allocations touch in the
 * runtime's metadata: the cache record's head holds what the first
 * allocations of the small classes write, its parked spans come last
 * (rtlib/mcache.h); a fresh arena's free remainder
 * leaves the last page of spans[] untouched (rtlib/mheap.h), and once a
 * span in use has covered that page, the free runs that end there are
 * recorded at it again, never leaving a stale record behind.  "Untouched"
 * is mincore's "not resident", checked before anything reads the page.
 * Linked with the static runtime; the process has one arena and one cache
 * (cmocka's few allocations stay in the start-up span).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"
#include "mcache.h"
#include "mheap.h"

static int resident(const void *p) {
  long pagesz = sysconf(_SC_PAGESIZE);
  uintptr_t page = (uintptr_t)p & ~(uintptr_t)(pagesz - 1);
  unsigned char vec = 1;
  assert_int_equal(mincore((void *)page, (size_t)pagesz, &vec), 0);
  return vec & 1;
}

static struct esc_arena *first_arena(void) {
  struct esc_arena *ar = esc_heap.arenas;
  assert_non_null(ar);
  while (ar->next)
    ar = ar->next;
  return ar;
}

static struct mspan *last_entry(struct esc_arena *ar) {
  return atomic_load_explicit(&ar->spans[ar->npages - 1], memory_order_relaxed);
}

/* The free run that ends at the arena's end, found from the arena's start
 * (spans are recorded at their first page). */
static struct mspan *tail_run(struct esc_arena *ar) {
  for (uintptr_t i = 0; i < ar->npages;) {
    struct mspan *s = atomic_load_explicit(&ar->spans[i], memory_order_relaxed);
    assert_non_null(s);
    if (i + s->npages == ar->npages)
      return s;
    i += s->npages;
  }
  fail_msg("no span ends at the arena's end");
  return NULL;
}

/* What the first allocation and free of a span class write in the cache
 * (alloc[], written whole when the cache is made, the scalars and the
 * class's cls[] record) lies within one page's worth of bytes for the size
 * classes up to 1 KiB slots (32), so that a process using a few
 * small classes touches at most two pages of its cache (one when it is
 * placed well, as the first cache is: mcache.c), and the parked spans
 * (owned[], nowned[]) come after all of it. */
static void cache_hot_head_fits_a_page(void **state) {
  (void)state;
  assert_int_equal(escalloc_class_to_size[32], 1024);
  size_t end = offsetof(struct mcache, cls) + (2 * 32 + 2) * sizeof(struct mcache_class);
  assert_true(end - offsetof(struct mcache, alloc) <= 4096);
  assert_true(offsetof(struct mcache, owned) >= offsetof(struct mcache, cls) + sizeof(((struct mcache *)0)->cls));
  assert_true(offsetof(struct mcache, nowned) > offsetof(struct mcache, owned));
}

static void fresh_arena_leaves_last_spans_page_untouched(void **state) {
  (void)state;
  void *volatile p = malloc(100);
  assert_non_null(p);
  struct esc_arena *ar = first_arena();
  assert_int_equal(ar->last_recorded, 0);
  /* Before anything reads the entry (a read maps the zero page in). */
  assert_false(resident(&ar->spans[ar->npages - 1]));
  assert_null(last_entry(ar));
  free(p);
}

static void arena_end_is_recorded_once_used(void **state) {
  (void)state;
  struct esc_arena *ar = first_arena();
  struct mspan *tail = tail_run(ar);
  assert_int_equal(tail->state, SPAN_FREE);
  uintptr_t pages = tail->npages, first = ar->npages - pages;
  assert_true(pages > 4);

  /* The whole run: a span in use covers the last page. */
  struct mspan *t = mheap_alloc(pages, 1, SPAN_LARGE);
  assert_non_null(t);
  assert_int_equal(t->base, ar->base + (first << ESC_PAGE_SHIFT));
  assert_ptr_equal(last_entry(ar), t);
  assert_int_equal(ar->last_recorded, 1);
  mheap_free(t);
  assert_ptr_equal(last_entry(ar), t);
  assert_int_equal(t->state, SPAN_FREE);

  /* All but two pages: the two-page remainder is a new record, which must
   * replace the entry of the span now in use at the last page. */
  struct mspan *u = mheap_alloc(pages - 2, 1, SPAN_LARGE);
  assert_non_null(u);
  assert_int_equal(u->base, ar->base + (first << ESC_PAGE_SHIFT));
  struct mspan *r = atomic_load_explicit(&ar->spans[ar->npages - 2], memory_order_relaxed);
  assert_non_null(r);
  assert_int_equal(r->state, SPAN_FREE);
  assert_int_equal(r->npages, 2);
  assert_ptr_equal(last_entry(ar), r);

  /* Freed, u absorbs the remainder and is recorded at the last page. */
  mheap_free(u);
  struct mspan *m = atomic_load_explicit(&ar->spans[first], memory_order_relaxed);
  assert_int_equal(m->state, SPAN_FREE);
  assert_int_equal(m->npages, pages);
  assert_ptr_equal(last_entry(ar), m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cache_hot_head_fits_a_page),
      cmocka_unit_test(fresh_arena_leaves_last_spans_page_untouched),
      cmocka_unit_test(arena_end_is_recorded_once_used),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
