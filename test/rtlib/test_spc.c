/*
 * test_spc.c — escalloc_mallocgc_spc(size, spanclass), the entry the pass
 * calls for constant sizes with no flag work left: every span class gives a
 * slot of its class with the class's alignment, scan and noscan span classes
 * of one size class use different spans (visible in MemStats), a class too
 * small for the object is re-routed to malloc's contract, and a value that
 * is no span class aborts with a message naming it.
 *
 * Also run with ESCALLOC_DEBUG=1 (every call takes the slow path).
 */
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "death.h"
#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "mcache.h"

static uint32_t spanclass_of(const void *p) { return span_of(p)->spanclass; }

/* The alignment a slot of the class has: spans start on a page, so the
 * largest power of two dividing the slot size, at most 16 by contract. */
static uintptr_t class_alignment(uint32_t cls) {
  uint32_t size = escalloc_class_to_size[cls];
  uintptr_t a = size & -size;
  return a > 16 ? 16 : a;
}

static void every_span_class_gives_its_slot(void **state) {
  (void)state;
  for (uint32_t cls = 1; cls < ESCALLOC_NUM_CLASSES; cls++) {
    for (uint32_t noscan = 0; noscan <= 1; noscan++) {
      uint32_t spc = cls << 1 | noscan;
      size_t size = escalloc_class_to_size[cls];
      /* Twice: the class's first allocation (slow path, empty span) and one
       * from its current span (fast path). */
      void *p = escalloc_mallocgc_spc(size, spc), *q = escalloc_mallocgc_spc(size, spc);
      assert_non_null(p);
      assert_non_null(q);
      assert_ptr_not_equal(p, q);
      assert_int_equal(escalloc_usable_size(p), size);
      assert_int_equal(malloc_usable_size(q), size);
      assert_int_equal((uintptr_t)p % class_alignment(cls), 0);
      assert_int_equal((uintptr_t)q % class_alignment(cls), 0);
      assert_int_equal(spanclass_of(p), spc);
      assert_int_equal(spanclass_of(q), spc);
      /* The same slot size as mallocgc with the flags the pass folded in. */
      uint32_t flags = noscan | (cls == ESCALLOC_ALIGN8_CLASS ? ESCALLOC_ALIGN8 : 0);
      void *r = escalloc_mallocgc(size, flags);
      assert_int_equal(escalloc_usable_size(r), size);
      memset(p, 0x11, size);
      memset(q, 0x22, size);
      escalloc_free(p);
      free(q); /* the drop-in name frees it too */
      escalloc_free(r);
    }
  }
  /* The 16-byte contract holds for every class above 8 bytes but Go's
   * 24-byte class, which only ALIGN8 callers name. */
  for (uint32_t cls = 2; cls < ESCALLOC_NUM_CLASSES; cls++)
    if (cls != ESCALLOC_ALIGN8_CLASS)
      assert_int_equal(class_alignment(cls), 16);
}

/* A noscan span class is a slot, never the tiny allocator: the pass sends
 * tiny objects to escalloc_mallocgc_class, so small ones reaching this entry
 * keep their class's alignment. */
static void noscan_small_objects_are_not_tiny(void **state) {
  (void)state;
  struct escalloc_memstats a, b;
  escalloc_read_memstats(&a);
  void *p = escalloc_mallocgc_spc(8, 1 << 1 | 1);
  void *q = escalloc_mallocgc_spc(12, 2 << 1 | 1);
  escalloc_read_memstats(&b);
  assert_int_equal(b.TinyAllocs, a.TinyAllocs);
  assert_int_equal(b.BySize[1].mallocs - a.BySize[1].mallocs, 1);
  assert_int_equal(b.BySize[2].mallocs - a.BySize[2].mallocs, 1);
  assert_int_equal(escalloc_usable_size(p), 8);
  assert_int_equal(escalloc_usable_size(q), 16);
  assert_int_equal((uintptr_t)q % 16, 0);
  escalloc_free(p);
  escalloc_free(q);
  /* ... whereas the class entry with the same facts packs them. */
  escalloc_read_memstats(&a);
  void *t = escalloc_mallocgc_class(8, 1, ESCALLOC_NOSCAN);
  escalloc_read_memstats(&b);
  assert_int_equal(b.TinyAllocs - a.TinyAllocs, 1);
  escalloc_free(t);
}

/* Go keeps noscan objects in spans of their own (a collector skips them);
 * so does escalloc: a scan and a noscan object of one size class take two
 * spans, two objects of one span class take one.  Classes 50 and 49 (several
 * pages and objects per span) are used by nothing before this test, so their
 * spans are fresh. */
static void scan_and_noscan_spans_are_segregated(void **state) {
  (void)state;
  const uint32_t mixed = 50, same = 49;
  size_t mixed_size = escalloc_class_to_size[mixed], same_size = escalloc_class_to_size[same];
  uint64_t mixed_span = (uint64_t)escalloc_class_to_npages[mixed] * ESCALLOC_PAGE_SIZE;
  uint64_t same_span = (uint64_t)escalloc_class_to_npages[same] * ESCALLOC_PAGE_SIZE;
  struct escalloc_memstats a, b, c;

  escalloc_read_memstats(&a);
  void *scan = escalloc_mallocgc_spc(mixed_size, mixed << 1);
  void *noscan = escalloc_mallocgc_spc(mixed_size, mixed << 1 | 1);
  escalloc_read_memstats(&b);
  assert_int_equal(b.BySize[mixed].mallocs - a.BySize[mixed].mallocs, 2);
  assert_int_equal(b.HeapInuse - a.HeapInuse, 2 * mixed_span);
  assert_int_equal(spanclass_of(scan), mixed << 1);
  assert_int_equal(spanclass_of(noscan), mixed << 1 | 1);
  assert_ptr_not_equal(span_of(scan), span_of(noscan));

  void *x = escalloc_mallocgc_spc(same_size, same << 1 | 1);
  void *y = escalloc_mallocgc_spc(same_size, same << 1 | 1);
  escalloc_read_memstats(&c);
  assert_int_equal(c.BySize[same].mallocs - b.BySize[same].mallocs, 2);
  assert_int_equal(c.HeapInuse - b.HeapInuse, same_span);
  assert_ptr_equal(span_of(x), span_of(y));

  escalloc_free(scan);
  escalloc_free(noscan);
  escalloc_free(x);
  escalloc_free(y);
}

/* A class too small for the object is a pass bug; the runtime re-routes it
 * to malloc's contract (big enough, 16-aligned, not noscan), whether the
 * class's span is current (fast-path check) or not (slow path). */
static void a_class_too_small_is_rerouted(void **state) {
  (void)state;
  void *warm = escalloc_mallocgc_spc(16, 2 << 1 | 1); /* span class 5 is current now */
  void *wrong = escalloc_mallocgc_spc(100, 2 << 1 | 1);
  assert_true(escalloc_usable_size(wrong) >= 100);
  assert_int_equal((uintptr_t)wrong % 16, 0);
  assert_int_equal(spanclass_of(wrong) & 1, 0);
  memset(wrong, 0x33, 100);
  escalloc_free(wrong);
  escalloc_free(warm);
  /* The 8-byte class for a 9-byte object; the largest class for a large one. */
  void *p = escalloc_mallocgc_spc(9, 1 << 1);
  assert_true(escalloc_usable_size(p) >= 9);
  assert_int_equal((uintptr_t)p % 16, 0);
  escalloc_free(p);
  p = escalloc_mallocgc_spc(ESCALLOC_MAX_SMALL_SIZE + 1, (ESCALLOC_NUM_CLASSES - 1) << 1);
  assert_true(escalloc_usable_size(p) > ESCALLOC_MAX_SMALL_SIZE);
  escalloc_free(p);
}

/* malloc(0) semantics hold: a unique pointer that can be freed. */
static void zero_bytes(void **state) {
  (void)state;
  void *p = escalloc_mallocgc_spc(0, 1 << 1), *q = escalloc_mallocgc_spc(0, 1 << 1);
  assert_non_null(p);
  assert_non_null(q);
  assert_ptr_not_equal(p, q);
  escalloc_free(p);
  escalloc_free(q);
}

/* --- values that are no span class: a clear abort ------------------------ */

static void call_with_bad_spc(void *arg) {
  void *volatile p = escalloc_mallocgc_spc(24, *(const uint32_t *)arg);
  (void)p;
}

/* Runs call_with_bad_spc in a child with stderr captured; it must die of
 * SIGABRT after a message naming the entry and the value. */
static void expect_abort_for(uint32_t spc) {
  char want[128];
  snprintf(want, sizeof want,
           "escalloc: fatal error: escalloc_mallocgc_spc: span class %u is not one of this ABI's",
           spc);
  char buf[4096];
  int status = run_in_child(call_with_bad_spc, &spc, buf, sizeof buf);
  if (!died_of_abort(status) || !strstr(buf, want) || !strstr(buf, "for a 24-byte object"))
    fail_msg("span class %u: wanted SIGABRT and \"%s\"; status %#x, stderr: %s", spc, want, status,
             buf);
}

static void a_value_that_is_no_span_class_aborts(void **state) {
  (void)state;
  /* Class 0 (large objects), the tiny blocks' span class 1, one past the
   * last, and a value far out. */
  const uint32_t bad[] = {0, 1, ESCALLOC_NUM_CLASSES * 2, 0x80000002u, UINT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_abort_for(bad[i]);
  /* The last valid span class still works. */
  void *p = escalloc_mallocgc_spc(ESCALLOC_MAX_SMALL_SIZE, ESCALLOC_NUM_CLASSES * 2 - 1);
  assert_int_equal(escalloc_usable_size(p), ESCALLOC_MAX_SMALL_SIZE);
  escalloc_free(p);
}

int main(void) {
  /* The start-up span (rtlib/startspan.h) is retired: every object below
   * comes from a span of its class, the paths these tests are about. */
  void *volatile first = malloc(16); /* makes the first cache, which has the span */
  free(first);
  escalloc_free_os_memory();
  const struct CMUnitTest tests[] = {
      /* First: it needs classes no test has used yet. */
      cmocka_unit_test(scan_and_noscan_spans_are_segregated),
      cmocka_unit_test(every_span_class_gives_its_slot),
      cmocka_unit_test(noscan_small_objects_are_not_tiny),
      cmocka_unit_test(a_class_too_small_is_rerouted),
      cmocka_unit_test(zero_bytes),
      cmocka_unit_test(a_value_that_is_no_span_class_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
