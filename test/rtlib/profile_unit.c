/*
 * profile_unit.c — cmocka unit tests of the heap profiler alone: built from
 * rtlib/profile.c and rtlib/profwrite.c without the allocator, the tests call
 * the profiler as the allocator does (a countdown that calls esc_prof_expired
 * when it runs out, esc_prof_free_slow while a span count says a sample may
 * be live) on addresses they make up, so every figure is known exactly.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"
#include "profile.h"

/* Every malloc-family call in this process is counted, so a test can show
 * that the profiler's sampling and writing paths never call malloc (they
 * run inside the allocator, where that would recurse). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static unsigned long malloc_calls;
void *malloc(size_t n) { malloc_calls++; return __libc_malloc(n); }
void *calloc(size_t c, size_t n) { malloc_calls++; return __libc_calloc(c, n); }
void *realloc(void *p, size_t n) { malloc_calls++; return __libc_realloc(p, n); }
void *aligned_alloc(size_t a, size_t n) { malloc_calls++; return __libc_memalign(a, n); }
int posix_memalign(void **r, size_t a, size_t n) {
  malloc_calls++;
  *r = __libc_memalign(a, n);
  return *r ? 0 : ENOMEM;
}
void free(void *p) { __libc_free(p); }

/* Fake object addresses: never dereferenced, spread over many pages. */
static void *fake(uintptr_t i) { return (void *)(0x7e0000000000u + i * 4096 + 64); }

/* The allocator's side (malloc.c, mcache.h), for one countdown and one span
 * that holds every fake object.  unit 1 is the byte countdown of tiny and
 * large objects; a slot countdown counts allocations of `unit` bytes. */
static int64_t countdown;
static uint8_t countdown_on;
static _Atomic uint32_t span_sampled;

static void prof_malloc_unit(void *p, size_t size, size_t unit) {
  countdown -= unit == 1 ? (int64_t)size : 1;
  if (countdown < 0)
    countdown = esc_prof_expired(p, size, unit, &countdown_on, &span_sampled, 0);
}
static void prof_malloc(void *p, size_t size) { prof_malloc_unit(p, size, 1); }
static void prof_free(void *p) {
  if (span_sampled)
    esc_prof_free_slow(p, &span_sampled);
}
/* What escalloc_set_memprofile_rate does to the thread's countdowns
 * (malloc.c): they start over. */
static void restart_sampling(void) {
  countdown = 0;
  countdown_on = 0;
}
int64_t escalloc_set_memprofile_rate(int64_t rate) {
  int64_t old = esc_prof_set_rate(rate);
  if (old >= 0)
    restart_sampling();
  return old;
}

/* Sampled allocations and frees counted in the buckets of objects of `size`. */
static void counts_for(uint64_t size, uint64_t *allocs, uint64_t *frees) {
  struct esc_prof_record *r;
  size_t bytes;
  long n = esc_prof_snapshot(&r, &bytes);
  assert_true(n >= 0);
  *allocs = *frees = 0;
  for (long i = 0; i < n; i++)
    if (r[i].b->size == size) {
      *allocs += r[i].allocs;
      *frees += r[i].frees;
    }
  esc_prof_sysfree(r, bytes);
}

static void test_neg_log_matches_libm(void **state) {
  (void)state;
  for (double u = 1e-15; u <= 1; u *= 1.01) {
    double want = -log(u);
    assert_true(fabs(esc_prof_neg_log(u) - want) <= 1e-12 * (want > 1 ? want : 1));
  }
  assert_true(esc_prof_neg_log(1.0) == 0.0);
}

static void test_exp_neg_matches_libm(void **state) {
  (void)state;
  for (double x = 0; x < 700; x += 0.0173)
    assert_true(fabs(esc_prof_exp_neg(x) - exp(-x)) <= 1e-12 * exp(-x));
  assert_true(esc_prof_exp_neg(0) == 1.0);
  assert_true(esc_prof_exp_neg(1e6) == 0.0);
}

/* Go's scaleHeapSample: count and bytes divided by 1 - exp(-size/rate). */
static void test_scale_like_go(void **state) {
  (void)state;
  int64_t o, b;
  esc_prof_scale(0, 100, 524288, &o, &b);
  assert_true(o == 0 && b == 0);
  esc_prof_scale(7, 100, 1, &o, &b); /* rate 1: every allocation was sampled */
  assert_true(o == 7 && b == 700);
  esc_prof_scale(10, 524288, 524288, &o, &b);
  double s = 1 / (1 - exp(-1.0));
  assert_int_equal(o, (int64_t)(10 * s));
  assert_int_equal(b, (int64_t)(10 * 524288 * s));
  esc_prof_scale(3, 64, 524288, &o, &b); /* a small object stands for ~8192 */
  assert_true(o > 3 * 8192 - 3 && o < 3 * 8193);
}

static void test_rate_one_samples_every_allocation(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1);
  enum { N = 1000, SIZE = 12345 };
  for (uintptr_t i = 0; i < N; i++)
    prof_malloc(fake(i), SIZE);
  uint64_t a, f;
  counts_for(SIZE, &a, &f);
  assert_int_equal(a, N);
  assert_int_equal(f, 0);
  for (uintptr_t i = 0; i < N; i += 2)
    prof_free(fake(i));
  counts_for(SIZE, &a, &f);
  assert_int_equal(a, N);
  assert_int_equal(f, N / 2);
  for (uintptr_t i = 1; i < N; i += 2)
    prof_free(fake(i));
  counts_for(SIZE, &a, &f);
  assert_int_equal(f, N);
  /* The span's count is back to zero: its frees are fast again. */
  assert_int_equal(span_sampled, 0);
}

static void test_unsampled_free_is_ignored(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1);
  prof_malloc(fake(5000), 777);
  prof_free(fake(5001));        /* never sampled */
  esc_prof_free_slow((char *)fake(5000) + 8, &span_sampled); /* an interior address is not the object */
  uint64_t a, f;
  counts_for(777, &a, &f);
  assert_int_equal(a, 1);
  assert_int_equal(f, 0);
  prof_free(fake(5000));
  prof_free(fake(5000)); /* the second free finds no record */
  counts_for(777, &a, &f);
  assert_int_equal(f, 1);
}

/* An address sampled again without a free in between (an object the
 * allocator reused without esc_prof_free_slow): the old record counts as
 * freed, and one free clears the span's count. */
static void test_address_sampled_twice(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1);
  prof_malloc(fake(6000), 555);
  prof_malloc(fake(6000), 556);
  uint64_t a, f;
  counts_for(555, &a, &f);
  assert_true(a == 1 && f == 1);
  prof_free(fake(6000));
  counts_for(556, &a, &f);
  assert_true(a == 1 && f == 1);
  assert_int_equal(span_sampled, 0);
}

static void test_rate_zero_samples_nothing(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(0);
  for (uintptr_t i = 0; i < 100000; i++)
    prof_malloc(fake(i), 4321);
  uint64_t a, f;
  counts_for(4321, &a, &f);
  assert_int_equal(a, 0);
  /* The idle countdown re-reads the rate within ESC_PROF_IDLE_RECHECK bytes. */
  assert_true(countdown <= ESC_PROF_IDLE_RECHECK);
  assert_int_equal(countdown_on, 0);
  /* ... and a slot countdown within as many bytes of its slots. */
  restart_sampling();
  prof_malloc_unit(fake(1), 4096, 4096);
  assert_true(countdown > 0 && countdown <= ESC_PROF_IDLE_RECHECK / 4096);
}

/* Samples of `size`-byte objects (the bucket's allocation count). */
static uint64_t sampled_of(uint64_t size) {
  uint64_t a, f;
  counts_for(size, &a, &f);
  return a;
}

/* a samples of n allocations of size bytes at rate: within 5 standard
 * deviations of n * (1 - exp(-size/rate)). */
static void assert_sampled_fraction(const char *what, uint64_t a, uint64_t n, uint64_t size, int64_t rate) {
  double p = 1 - exp(-(double)size / rate), want = n * p, sd = sqrt(n * p * (1 - p));
  printf("%s: sampled %llu of %llu, expected %.0f +- %.0f\n", what, (unsigned long long)a,
         (unsigned long long)n, want, sd);
  assert_true(fabs(a - want) <= 5 * sd);
}

/* The sampled fraction is 1 - exp(-size/rate): within 5 standard deviations
 * over a million allocations (about 0.8%), so a biased sampler fails; for
 * the byte countdown and for a slot countdown (which counts allocations of
 * one slot size). */
static void test_sampling_probability(void **state) {
  (void)state;
  const int64_t rate = 4096;
  const uint64_t n = 1000000;
  const size_t sizes[2] = {64, 96}, units[2] = {1, 96};
  for (int k = 0; k < 2; k++) {
    escalloc_set_memprofile_rate(rate);
    for (uint64_t i = 0; i < n; i++) {
      prof_malloc_unit(fake(10000), sizes[k], units[k]);
      prof_free(fake(10000));
    }
    uint64_t a, f;
    counts_for(sizes[k], &a, &f);
    assert_sampled_fraction(units[k] == 1 ? "byte countdown" : "slot countdown", a, n, sizes[k], rate);
    assert_int_equal(a, f);
  }
}

/* A countdown that starts (a thread's first allocation of a class, a new
 * rate) samples its first allocation with the same probability as any
 * other: a sampler that never sampled it, or always did, fails. */
static void test_fresh_countdown_probability(void **state) {
  (void)state;
  const int64_t rate = 4096;
  const uint64_t n = 200000, size = 1000;
  for (uint64_t i = 0; i < n; i++) {
    escalloc_set_memprofile_rate(rate); /* starts the countdown over */
    prof_malloc_unit(fake(30000), size, size);
    prof_free(fake(30000));
  }
  assert_sampled_fraction("fresh countdowns", sampled_of(size), n, size, rate);
}

/* More sites than the first bucket table has heads: it grows (a rehash of
 * every bucket) past the first chunk, and every bucket is still found, so a
 * second sample of each site adds to its bucket instead of making another. */
static void test_many_buckets(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1);
  enum { SITES = 1000, BASE_SIZE = 200000 };
  for (int round = 0; round < 2; round++)
    for (uintptr_t i = 0; i < SITES; i++)
      prof_malloc(fake(40000 + round * SITES + i), BASE_SIZE + i);
  struct esc_prof_record *r;
  size_t bytes;
  long n = esc_prof_snapshot(&r, &bytes);
  assert_true(n >= 0);
  long buckets = 0;
  for (long i = 0; i < n; i++)
    if (r[i].b->size >= BASE_SIZE && r[i].b->size < BASE_SIZE + SITES) {
      buckets++;
      assert_int_equal(r[i].allocs, 2);
    }
  esc_prof_sysfree(r, bytes);
  assert_int_equal(buckets, SITES);
  for (uintptr_t i = 0; i < 2 * SITES; i++)
    prof_free(fake(40000 + i));
  assert_int_equal(span_sampled, 0);
}

static void test_set_rate(void **state) {
  (void)state;
  escalloc_set_memprofile_rate(1000);
  assert_int_equal(escalloc_set_memprofile_rate(2000), 1000);
  errno = 0;
  assert_int_equal(escalloc_set_memprofile_rate(-5), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(escalloc_set_memprofile_rate(ESC_PROF_DEFAULT_RATE), 2000);
}

static void test_write_errors(void **state) {
  (void)state;
  errno = 0;
  assert_int_equal(escalloc_write_heap_profile("/nonexistent-escalloc-dir/p.prof"), -1);
  assert_int_equal(errno, ENOENT);
  assert_int_equal(escalloc_write_heap_profile(""), -1);
  assert_int_equal(errno, EINVAL);
  assert_int_equal(escalloc_write_heap_profile(NULL), -1);
  assert_int_equal(errno, EINVAL);
}

static void test_write_gzip(void **state) {
  (void)state;
  char path[] = "/tmp/escalloc-profile-unit-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  escalloc_set_memprofile_rate(1);
  prof_malloc(fake(20000), 999);
  assert_int_equal(escalloc_write_heap_profile(path), 0);
  unsigned char magic[2] = {0};
  fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(read(fd, magic, 2), 2);
  close(fd);
  unlink(path);
  assert_true(magic[0] == 0x1f && magic[1] == 0x8b);
  prof_free(fake(20000));
}

/* Sampling (stack capture, new buckets, live-table growth) and writing a
 * profile never call malloc.  Two first-time costs are outside the measured
 * window: the first write opens zlib (dlopen allocates), and the thread's
 * first libunwind stack makes glibc allocate libunwind's thread-local
 * storage (the earlier tests sampled on this thread already). */
static void test_no_malloc_inside_the_profiler(void **state) {
  (void)state;
  char path[] = "/tmp/escalloc-profile-unit-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(escalloc_write_heap_profile(path), 0); /* opens zlib */
  escalloc_set_memprofile_rate(1);
  unsigned long before = malloc_calls;
  for (uintptr_t i = 0; i < 20000; i++) /* grows the live table several times */
    prof_malloc(fake(100000 + i), 100 + i % 50);
  int rc = escalloc_write_heap_profile(path);
  for (uintptr_t i = 0; i < 20000; i++)
    prof_free(fake(100000 + i));
  unsigned long calls = malloc_calls - before;
  unlink(path);
  assert_int_equal(rc, 0);
  assert_int_equal(calls, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_neg_log_matches_libm),
      cmocka_unit_test(test_exp_neg_matches_libm),
      cmocka_unit_test(test_scale_like_go),
      cmocka_unit_test(test_rate_one_samples_every_allocation),
      cmocka_unit_test(test_unsampled_free_is_ignored),
      cmocka_unit_test(test_address_sampled_twice),
      cmocka_unit_test(test_rate_zero_samples_nothing),
      cmocka_unit_test(test_sampling_probability),
      cmocka_unit_test(test_fresh_countdown_probability),
      cmocka_unit_test(test_many_buckets),
      cmocka_unit_test(test_set_rate),
      cmocka_unit_test(test_write_errors),
      cmocka_unit_test(test_write_gzip),
      cmocka_unit_test(test_no_malloc_inside_the_profiler),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
