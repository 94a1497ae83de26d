/*
 * test_death.c — misuse is reported, never silently absorbed: each case runs
 * in a forked child, which must die of SIGABRT after printing a message that
 * names the problem and the address on stderr.
 *
 * By default the free fast path checks one thing: the object is not the
 * head of its span's freelist (free(p); free(p)).  Interior pointers and
 * slots nobody allocated are found under ESCALLOC_DEBUG=1 (every free
 * checked against the span's bitmap), so those cases run only there (ctest
 * runs this program both ways; rtlib/README.md has the table).
 */
#include <malloc.h>
#include <pthread.h>
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

/* The cases only ESCALLOC_DEBUG=1 detects skip without it. */
static int debug_mode(void) {
  const char *v = getenv("ESCALLOC_DEBUG");
  return v && !strcmp(v, "1");
}
#define DEBUG_ONLY()                                                                               \
  do {                                                                                             \
    if (!debug_mode())                                                                             \
      skip();                                                                                      \
  } while (0)

/* Runs fn in a child with stderr captured; checks it aborted and that the
 * message contains `want` and the address *addr_out set by fn. */
static void expect_abort(void (*fn)(void *), void *arg, const char *want) {
  char buf[4096];
  int status = run_in_child(fn, arg, buf, sizeof buf);
  if (!died_of_abort(status) || !strstr(buf, want) || !strstr(buf, "escalloc: fatal error:"))
    fail_msg("wanted SIGABRT and \"%s\"; status %#x, stderr: %s", want, status, buf);
  /* The message names an address. */
  assert_non_null(strstr(buf, "(address 0x"));
}

static char addr_text[64];
static void note_addr(const void *p) { snprintf(addr_text, sizeof addr_text, "%p", p); }

static void double_free_small(void *arg) {
  (void)arg;
  void *p = malloc(100);
  free(p);
  free(p);
}

static void double_free_large(void *arg) {
  (void)arg;
  void *p = malloc(1 << 20);
  free(p);
  free(p);
}

static void double_free_tiny(void *arg) {
  (void)arg;
  void *keep = escalloc_mallocgc(3, ESCALLOC_NOSCAN); /* keeps the block alive */
  void *p = escalloc_mallocgc(3, ESCALLOC_NOSCAN);
  escalloc_free(p);
  escalloc_free(p);
  escalloc_free(keep);
}

static void *alloc_in_thread(void *arg) {
  (void)arg;
  return malloc(200);
}
static void *free_in_thread(void *p) {
  free(p);
  return NULL;
}

/* The owner exited; two other threads free the object. */
static void double_free_cross_thread(void *arg) {
  (void)arg;
  pthread_t t;
  void *p;
  pthread_create(&t, NULL, alloc_in_thread, NULL);
  pthread_join(t, &p);
  pthread_create(&t, NULL, free_in_thread, p);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, free_in_thread, p);
  pthread_join(t, NULL);
}

/* The owner is alive: the second remote free is caught when it collects. */
static void double_free_remote_while_owned(void *arg) {
  (void)arg;
  void *p = malloc(48);
  pthread_t t;
  pthread_create(&t, NULL, free_in_thread, p);
  pthread_join(t, NULL);
  pthread_create(&t, NULL, free_in_thread, p);
  pthread_join(t, NULL);
  for (int i = 0; i < 100000; i++) /* the owner refills and finds it */
    malloc(48);
}

static void free_stack_pointer(void *arg) {
  (void)arg;
  int x;
  free(&x);
}

static void free_interior_pointer(void *arg) {
  (void)arg;
  char *p = malloc(64);
  free(p + 16);
}

/* 48 bytes: a class whose size is not a power of two (its division magic
 * is not exact), 8 bytes in. */
static void free_interior_pointer_48(void *arg) {
  (void)arg;
  char *p = malloc(48);
  free(p + 8);
}

static void free_interior_large(void *arg) {
  (void)arg;
  char *p = malloc(100000);
  free(p + 8192);
}

static void free_static_pointer(void *arg) {
  (void)arg;
  static char buf[64];
  free(buf);
}

static void realloc_freed_pointer(void *arg) {
  (void)arg;
  void *p = malloc(5000);
  free(p);
  p = realloc(p, 10000);
  (void)p;
}

static void usable_size_of_freed_large(void *arg) {
  (void)arg;
  void *p = malloc(200000);
  free(p);
  malloc_usable_size(p);
}

static void free_never_allocated_slot(void *arg) {
  (void)arg;
  char *p = malloc(32);
  free(p + 32 * 5); /* a slot of the same span nobody allocated */
}

/* Sampled objects are freed through the profiler's path (their spans have
 * no fast owner); a second free is still caught, for every kind of object. */
static void double_free_sampled(void *arg) {
  size_t size = (size_t)(uintptr_t)arg;
  escalloc_set_memprofile_rate(1);
  void *keep = escalloc_mallocgc(size, ESCALLOC_NOSCAN); /* a tiny block stays alive */
  void *p = escalloc_mallocgc(size, ESCALLOC_NOSCAN);
  escalloc_free(p);
  escalloc_free(p);
  escalloc_free(keep);
}

static void test_double_free_sampled(void **s) {
  (void)s;
  const size_t sizes[] = {5, 64, 100000};
  for (unsigned i = 0; i < 3; i++)
    expect_abort(double_free_sampled, (void *)(uintptr_t)sizes[i], "double free");
}

static void test_double_free_small(void **s) { (void)s; expect_abort(double_free_small, NULL, "double free"); }
static void test_double_free_large(void **s) { (void)s; expect_abort(double_free_large, NULL, "double free"); }
static void test_double_free_tiny(void **s) { (void)s; expect_abort(double_free_tiny, NULL, "double free"); }
static void test_double_free_cross_thread(void **s) { (void)s; expect_abort(double_free_cross_thread, NULL, "double free"); }
static void test_double_free_remote_owned(void **s) { (void)s; expect_abort(double_free_remote_while_owned, NULL, "double free"); }
static void test_free_stack(void **s) { (void)s; expect_abort(free_stack_pointer, NULL, "did not allocate"); }
static void test_free_static(void **s) { (void)s; expect_abort(free_static_pointer, NULL, "did not allocate"); }
static void test_free_interior(void **s) { (void)s; DEBUG_ONLY(); expect_abort(free_interior_pointer, NULL, "middle of an object"); }
static void test_free_interior_48(void **s) { (void)s; DEBUG_ONLY(); expect_abort(free_interior_pointer_48, NULL, "middle of an object"); }
static void test_free_interior_large(void **s) { (void)s; expect_abort(free_interior_large, NULL, "middle of an object"); }
static void test_realloc_freed(void **s) { (void)s; expect_abort(realloc_freed_pointer, NULL, "double free"); }
static void test_usable_freed(void **s) { (void)s; expect_abort(usable_size_of_freed_large, NULL, "did not allocate"); }
static void test_free_unallocated_slot(void **s) { (void)s; DEBUG_ONLY(); expect_abort(free_never_allocated_slot, NULL, "double free"); }

/* The message carries the exact address. */
static void exact_address(void *arg) {
  (void)arg;
  char *p = malloc(64);
  note_addr(p + 16);
  free(p + 16);
}
static void test_message_names_address(void **s) {
  (void)s;
  DEBUG_ONLY();
  /* The child's address is the parent's: same layout after fork. */
  char *p = malloc(64);
  free(p);
  snprintf(addr_text, sizeof addr_text, "(address %p)", (void *)(p + 16));
  char want[64];
  strcpy(want, addr_text);
  expect_abort(exact_address, NULL, want);
}

int main(void) {
  /* The start-up span (rtlib/startspan.h) is retired: every object below
   * comes from a span of its class, the paths these tests are about. */
  void *volatile first = malloc(16); /* makes the first cache, which has the span */
  free(first);
  escalloc_free_os_memory();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_double_free_small),
      cmocka_unit_test(test_double_free_large),
      cmocka_unit_test(test_double_free_tiny),
      cmocka_unit_test(test_double_free_cross_thread),
      cmocka_unit_test(test_double_free_remote_owned),
      cmocka_unit_test(test_double_free_sampled),
      cmocka_unit_test(test_free_stack),
      cmocka_unit_test(test_free_static),
      cmocka_unit_test(test_free_interior),
      cmocka_unit_test(test_free_interior_48),
      cmocka_unit_test(test_free_interior_large),
      cmocka_unit_test(test_realloc_freed),
      cmocka_unit_test(test_usable_freed),
      cmocka_unit_test(test_free_unallocated_slot),
      cmocka_unit_test(test_message_names_address),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
