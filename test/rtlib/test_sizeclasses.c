/*
 * test_sizeclasses.c — rtlib/sizeclasses.h against Go's table
 * (shared/reference/go-sizeclasses.tsv, passed as argv[1]) and the mapping
 * escalloc_size_class() against the alignment contract of abi.h.
 *
 * The classes (sizes) are Go's; the pages per span are escalloc's own, chosen
 * for explicit free: the fewest pages, at least Go's, that hold at least 64
 * objects or 64 KiB (whichever is less) with a tail waste of at most 1/8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sizeclasses.h"

static const char *tsv_path;

/* A span of `pages` pages for objects of `size` bytes (Go's span: go_span
 * bytes) meets the runtime's rules. */
static int span_pages_ok(int size, int go_span, int pages) {
  int span = pages * ESCALLOC_PAGE_SIZE;
  int objs = span / size;
  return span >= go_span && (objs >= 64 || span >= 64 * 1024) && span - objs * size <= span / 8;
}

static void rows_match_go(void **state) {
  (void)state;
  FILE *f = fopen(tsv_path, "r");
  assert_non_null(f);
  char line[256];
  int rows = 0;
  while (fgets(line, sizeof line, f)) {
    int cls, size, span, objs, tail, align;
    double waste;
    if (sscanf(line, "%d\t%d\t%d\t%d\t%d\t%lf%%\t%d", &cls, &size, &span, &objs, &tail, &waste,
               &align) != 7)
      continue; /* comments and the column header */
    assert_in_range(cls, 1, ESCALLOC_NUM_CLASSES - 1);
    (void)objs, (void)tail, (void)waste, (void)align;
    assert_int_equal(escalloc_class_to_size[cls], size);
    int pages = escalloc_class_to_npages[cls];
    assert_true(span_pages_ok(size, span, pages));
    /* The fewest pages: one page less breaks a rule (or is below Go's). */
    assert_true(pages * ESCALLOC_PAGE_SIZE == span || !span_pages_ok(size, span, pages - 1));
    assert_int_equal(escalloc_class_to_nobjs[cls], pages * ESCALLOC_PAGE_SIZE / size);
    rows++;
  }
  fclose(f);
  assert_int_equal(rows, ESCALLOC_NUM_CLASSES - 1);
  assert_int_equal(escalloc_class_to_size[0], 0);
}

static void divmagic_divides_exactly(void **state) {
  (void)state;
  for (int c = 1; c < ESCALLOC_NUM_CLASSES; c++) {
    uint32_t span = escalloc_class_to_npages[c] * ESCALLOC_PAGE_SIZE;
    for (uint32_t n = 0; n <= span; n += 8)
      assert_int_equal((uint32_t)(((uint64_t)n * escalloc_class_to_divmagic[c]) >> 32),
                       n / escalloc_class_to_size[c]);
  }
}

/* The free fast path's slot-start test (rtlib/malloc.c): the low half of
 * n * magic is below magic exactly when n is a multiple of the size, for
 * every offset n within a span. */
static void divmagic_low_half_finds_slot_starts(void **state) {
  (void)state;
  for (int c = 1; c < ESCALLOC_NUM_CLASSES; c++) {
    uint32_t span = escalloc_class_to_npages[c] * ESCALLOC_PAGE_SIZE, magic = escalloc_class_to_divmagic[c];
    for (uint32_t n = 0; n < span; n++)
      if (((uint32_t)((uint64_t)n * magic) < magic) != (n % escalloc_class_to_size[c] == 0))
        fail_msg("class %d, offset %u", c, n);
  }
}

/* Every size gets the smallest class that fits it and keeps the contract. */
static void mapping_is_smallest_fitting_class(void **state) {
  (void)state;
  for (size_t size = 0; size <= ESCALLOC_MAX_SMALL_SIZE; size++) {
    for (uint32_t flags = 0; flags <= ESCALLOC_FLAGS_MASK; flags++) {
      uint32_t c = escalloc_size_class(size, flags);
      assert_in_range(c, 1, ESCALLOC_NUM_CLASSES - 1);
      uint32_t slot = escalloc_class_to_size[c];
      assert_true(slot >= size);
      if (size > 8 && !(flags & ESCALLOC_ALIGN8))
        assert_int_equal(slot % 16, 0);
      /* No smaller class that keeps the contract would do. */
      if (c > 1) {
        uint32_t prev = c - 1;
        int prev_ok = escalloc_class_to_size[prev] >= size &&
                      (size <= 8 || (flags & ESCALLOC_ALIGN8) || escalloc_class_to_size[prev] % 16 == 0);
        assert_false(prev_ok);
        if (prev == ESCALLOC_ALIGN8_CLASS && prev > 1 && !(flags & ESCALLOC_ALIGN8))
          assert_true(escalloc_class_to_size[prev - 1] < size);
      }
    }
  }
}

static void align8_class_is_24_bytes(void **state) {
  (void)state;
  assert_int_equal(escalloc_class_to_size[ESCALLOC_ALIGN8_CLASS], 24);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(24, 0)], 32);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(24, ESCALLOC_ALIGN8)], 24);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(17, ESCALLOC_NOSCAN)], 32);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(0, 0)], 8);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(8, 0)], 8);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(1017, 0)], 1024);
  assert_int_equal(escalloc_class_to_size[escalloc_size_class(1025, 0)], 1152);
}

static void large_sizes_are_class_0(void **state) {
  (void)state;
  assert_int_equal(escalloc_size_class(ESCALLOC_MAX_SMALL_SIZE + 1, 0), 0);
  assert_int_equal(escalloc_size_class(SIZE_MAX, ESCALLOC_ALIGN8), 0);
  assert_int_equal(escalloc_size_class(ESCALLOC_MAX_SMALL_SIZE, 0), ESCALLOC_NUM_CLASSES - 1);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_sizeclasses go-sizeclasses.tsv\n");
    return 2;
  }
  tsv_path = argv[1];
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rows_match_go),
      cmocka_unit_test(divmagic_divides_exactly),
      cmocka_unit_test(divmagic_low_half_finds_slot_starts),
      cmocka_unit_test(mapping_is_smallest_fitting_class),
      cmocka_unit_test(align8_class_is_24_bytes),
      cmocka_unit_test(large_sizes_are_class_0),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
