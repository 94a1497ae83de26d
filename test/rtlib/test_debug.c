/*
 * test_debug.c — ESCALLOC_DEBUG=1 (set by ctest): every operation takes the
 * checked slow path, new memory is filled with 0xab, freed memory with 0xdf
 * (past the first word, which may link the object into a free stack), so a
 * use after free reads an obvious pattern instead of plausible data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escalloc/abi.h"
#include "mcache.h"

static void fast_paths_are_off(void **state) {
  (void)state;
  free(malloc(1));
  assert_non_null(esc_tls_cache);
  assert_ptr_equal(esc_tls_fast, ESC_NO_CACHE);
}

static void new_memory_is_junk_filled(void **state) {
  (void)state;
  unsigned char *p = malloc(100), *q = malloc(100000);
  for (int i = 0; i < 100; i++)
    assert_int_equal(p[i], 0xab);
  assert_int_equal(q[0], 0xab);
  assert_int_equal(q[99999], 0xab);
  unsigned char *z = calloc(1, 100); /* zeroing wins */
  for (int i = 0; i < 100; i++)
    assert_int_equal(z[i], 0);
  free(p);
  free(q);
  free(z);
}

static void freed_memory_is_poisoned(void **state) {
  (void)state;
  unsigned char *keep = malloc(64), *p = malloc(64);
  memset(p, 0x11, 64);
  free(p);
  /* Reading freed memory: undefined for a program, deterministic here. */
  volatile unsigned char *v = p;
  for (int i = 8; i < 64; i++)
    assert_int_equal(v[i], 0xdf);
  free(keep);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fast_paths_are_off),
      cmocka_unit_test(new_memory_is_junk_filled),
      cmocka_unit_test(freed_memory_is_poisoned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
