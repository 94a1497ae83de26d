/*
 * test_malloc.c — the entry points and the drop-in names on one thread:
 * routing and size classes, the alignment contract, the tiny allocator,
 * calloc/realloc/aligned allocation edge cases, out-of-memory behaviour and
 * the exactness of MemStats.  Linked with the static runtime, so cmocka's own
 * allocations go through it too.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "sizeclasses.h"

/* Opaque to the compiler, which would otherwise warn about (or fold) the
 * impossible sizes these tests pass on purpose. */
static volatile size_t size_max = SIZE_MAX;

static void every_size_gets_its_class_and_alignment(void **state) {
  (void)state;
  for (size_t size = 0; size <= ESCALLOC_MAX_SMALL_SIZE; size += size < 1100 ? 1 : 61) {
    unsigned char *p = malloc(size);
    assert_non_null(p);
    size_t slot = escalloc_class_to_size[escalloc_size_class(size, 0)];
    assert_int_equal(malloc_usable_size(p), slot);
    assert_int_equal((uintptr_t)p % (size > 8 ? 16 : 8), 0);
    memset(p, 0x5a, slot); /* the whole slot is usable */
    free(p);
  }
}

static void align8_class_only_on_request(void **state) {
  (void)state;
  void *a = escalloc_mallocgc(24, 0), *b = escalloc_mallocgc(24, ESCALLOC_ALIGN8);
  assert_int_equal(escalloc_usable_size(a), 32);
  assert_int_equal(escalloc_usable_size(b), 24);
  assert_int_equal((uintptr_t)a % 16, 0);
  void *c = escalloc_mallocgc_class(20, escalloc_size_class(20, ESCALLOC_ALIGN8), ESCALLOC_ALIGN8);
  assert_int_equal(escalloc_usable_size(c), 24);
  escalloc_free(a);
  escalloc_free(b);
  escalloc_free(c);
}

static void mallocgc_class_matches_mallocgc(void **state) {
  (void)state;
  for (size_t size = 16; size <= ESCALLOC_MAX_SMALL_SIZE; size += 97) {
    void *p = escalloc_mallocgc_class(size, escalloc_size_class(size, 0), 0);
    void *q = escalloc_mallocgc(size, 0);
    assert_int_equal(escalloc_usable_size(p), escalloc_usable_size(q));
    escalloc_free(p);
    escalloc_free(q);
  }
  /* A class too small for the size is not trusted. */
  void *p = escalloc_mallocgc_class(1000, 1, 0);
  assert_true(escalloc_usable_size(p) >= 1000);
  escalloc_free(p);
  p = escalloc_mallocgc_class(100, 999, 0);
  assert_true(escalloc_usable_size(p) >= 100);
  escalloc_free(p);
}

/* The lowered entries' fast paths: the class is checked against the slot
 * size of the class's current span, noscan objects under 16 bytes still go to
 * the tiny allocator, NEEDZERO still zeroes, and MemStats count each path. */
static void lowered_fast_paths_route_like_mallocgc(void **state) {
  (void)state;
  for (uint32_t flags = 0; flags <= ESCALLOC_NOSCAN; flags++) {
    void *warm = escalloc_mallocgc_class(16, 2, flags); /* class 2's span is current now */
    void *wrong = escalloc_mallocgc_class(100, 2, flags);
    assert_true(escalloc_usable_size(wrong) >= 100);
    escalloc_free(wrong);
    escalloc_free(warm);
  }
  struct escalloc_memstats a, b;
  escalloc_read_memstats(&a);
  void *t1 = escalloc_mallocgc_class(12, 2, ESCALLOC_NOSCAN);
  void *t2 = escalloc_mallocgc_class(8, 1, ESCALLOC_NOSCAN | ESCALLOC_ALIGN8);
  void *s16 = escalloc_mallocgc_class(16, 2, ESCALLOC_NOSCAN);
  void *n24 = escalloc_mallocgc(24, ESCALLOC_NOSCAN);
  void *a24 = escalloc_mallocgc(24, ESCALLOC_NOSCAN | ESCALLOC_ALIGN8);
  escalloc_read_memstats(&b);
  assert_int_equal(b.TinyAllocs - a.TinyAllocs, 2);
  assert_int_equal(b.BySize[3].mallocs - a.BySize[3].mallocs, 1);
  assert_int_equal(b.BySize[4].mallocs - a.BySize[4].mallocs, 1);
  assert_int_equal(escalloc_usable_size(t1), 12);
  assert_int_equal(escalloc_usable_size(s16), 16);
  assert_int_equal(escalloc_usable_size(n24), 32);
  assert_int_equal((uintptr_t)n24 % 16, 0);
  assert_int_equal(escalloc_usable_size(a24), 24);
  escalloc_free(t1);
  escalloc_free(t2);
  escalloc_free(s16);
  escalloc_free(n24);
  escalloc_free(a24);
  /* NEEDZERO through the class entry: a reused slot comes back zeroed. */
  for (int round = 0; round < 2; round++) {
    unsigned char *z = escalloc_mallocgc_class(48, escalloc_size_class(48, 0),
                                               ESCALLOC_NEEDZERO | ESCALLOC_NOSCAN);
    for (int i = 0; i < 48; i++)
      assert_int_equal(z[i], 0);
    memset(z, 0x5a, 48);
    escalloc_free(z);
  }
}

static void tiny_objects_share_a_block(void **state) {
  (void)state;
  /* Sizes 1, 2, 4, 8 in a fresh block: natural alignment, packed. */
  /* Allocate single bytes until one starts a block. */
  void *filler[16];
  int nfill = 0;
  char *a;
  while ((uintptr_t)(a = escalloc_mallocgc(1, ESCALLOC_NOSCAN)) % 16 != 0)
    filler[nfill++] = a;
  assert_true(nfill < 16);
  char *b = escalloc_mallocgc(2, ESCALLOC_NOSCAN);
  char *c = escalloc_mallocgc(4, ESCALLOC_NOSCAN);
  char *d = escalloc_mallocgc(8, ESCALLOC_NOSCAN);
  assert_int_equal((uintptr_t)a % 16, 0);
  assert_ptr_equal(b, a + 2);
  assert_ptr_equal(c, a + 4);
  assert_ptr_equal(d, a + 8);
  assert_int_equal(escalloc_usable_size(a), 1);
  assert_int_equal(escalloc_usable_size(b), 2);
  assert_int_equal(escalloc_usable_size(c), 4);
  assert_int_equal(escalloc_usable_size(d), 8);
  /* Zero bytes still get an address of their own. */
  char *z = escalloc_mallocgc(0, ESCALLOC_NOSCAN), *z2 = escalloc_mallocgc(0, ESCALLOC_NOSCAN);
  assert_ptr_not_equal(z, z2);
  /* NEEDZERO is honoured in reused blocks. */
  memset(a, 0xff, 1);
  escalloc_free(a);
  escalloc_free(b);
  escalloc_free(c);
  escalloc_free(d);
  escalloc_free(z);
  escalloc_free(z2);
  while (nfill)
    escalloc_free(filler[--nfill]);
  for (int i = 0; i < 1000; i++) {
    unsigned char *p = escalloc_mallocgc(7, ESCALLOC_NOSCAN | ESCALLOC_NEEDZERO);
    for (int j = 0; j < 7; j++)
      assert_int_equal(p[j], 0);
    memset(p, 0xee, 7);
    escalloc_free(p);
  }
  /* Without NOSCAN, or at 16 bytes, nothing is tiny. */
  void *n = escalloc_mallocgc(3, 0), *m = escalloc_mallocgc(16, ESCALLOC_NOSCAN);
  assert_int_equal(escalloc_usable_size(n), 8);
  assert_int_equal(escalloc_usable_size(m), 16);
  escalloc_free(n);
  escalloc_free(m);
}

static void tiny_blocks_are_freed_with_their_objects(void **state) {
  (void)state;
  struct escalloc_memstats before, mid, after;
  enum { N = 30000 };
  static void *p[N];
  escalloc_read_memstats(&before);
  for (int i = 0; i < N; i++)
    p[i] = escalloc_mallocgc(1 + i % 15, ESCALLOC_NOSCAN);
  escalloc_read_memstats(&mid);
  assert_int_equal(mid.TinyAllocs - before.TinyAllocs, N);
  assert_int_equal(mid.HeapObjects - before.HeapObjects, N);
  assert_true(mid.HeapAlloc - before.HeapAlloc >= (uint64_t)N * 16 / 3);
  for (int i = 0; i < N; i++)
    escalloc_free(p[i]);
  /* Force the current block to retire: a new block is needed for 15 bytes
   * after the block is half used. */
  void *x = escalloc_mallocgc(15, ESCALLOC_NOSCAN), *y = escalloc_mallocgc(15, ESCALLOC_NOSCAN);
  escalloc_free(x);
  escalloc_free(y);
  escalloc_read_memstats(&after);
  assert_int_equal(after.HeapObjects, before.HeapObjects);
  /* At most the thread's current block stays allocated. */
  assert_true(after.HeapAlloc - before.HeapAlloc <= 16);
}

static void memstats_count_slots_exactly(void **state) {
  (void)state;
  enum { N = 100000 };
  static void *p[N];
  struct escalloc_memstats a, b, c;
  escalloc_read_memstats(&a);
  for (int i = 0; i < N; i++)
    p[i] = malloc(16);
  escalloc_read_memstats(&b);
  assert_int_equal(b.HeapAlloc - a.HeapAlloc, 1600000);
  assert_int_equal(b.HeapObjects - a.HeapObjects, N);
  assert_int_equal(b.BySize[2].mallocs - a.BySize[2].mallocs, N);
  assert_int_equal(b.TotalAlloc - a.TotalAlloc, 1600000);
  assert_true(b.HeapInuse >= b.HeapAlloc);
  assert_int_equal(b.HeapIdle, b.HeapSys - b.HeapInuse);
  assert_true(b.Sys >= b.HeapSys);
  for (int i = 0; i < N; i++)
    free(p[i]);
  void *big = malloc(100000);
  escalloc_read_memstats(&c);
  assert_int_equal(c.HeapAlloc - a.HeapAlloc, 13 * 8192); /* 100000 bytes -> 13 pages */
  assert_int_equal(c.LargeAllocs - a.LargeAllocs, 1);
  free(big);
  escalloc_read_memstats(&c);
  assert_int_equal(c.HeapAlloc, a.HeapAlloc);
  assert_int_equal(c.Mallocs - a.Mallocs, c.Frees - a.Frees);
}

static void calloc_zeroes_and_checks_overflow(void **state) {
  (void)state;
  for (int round = 0; round < 2; round++)
    for (size_t n = 1; n < 70000; n = n * 3 + 1) {
      unsigned char *p = calloc(n, 1);
      for (size_t i = 0; i < n; i++)
        assert_int_equal(p[i], 0);
      memset(p, 0xff, n); /* dirty it for the second round */
      free(p);
    }
  errno = 0;
  assert_null(calloc(size_max / 2, 3));
  assert_int_equal(errno, ENOMEM);
  errno = 0;
  assert_null(escalloc_calloc((size_t)1 << 33, (size_t)1 << 33, 0));
  assert_int_equal(errno, ENOMEM);
}

static void realloc_edges(void **state) {
  (void)state;
  char *p = realloc(NULL, 10);
  assert_non_null(p);
  memcpy(p, "abcdefghi", 10);
  assert_ptr_equal(realloc(p, 16), p); /* same class */
  char *q = realloc(p, 5000);           /* grows: moves, keeps the bytes */
  assert_string_equal(q, "abcdefghi");
  char *r = realloc(q, 4000); /* 4096 class: smaller class, moves */
  assert_string_equal(r, "abcdefghi");
  char *s = realloc(r, 200000); /* large */
  assert_string_equal(s, "abcdefghi");
  assert_ptr_equal(realloc(s, 190000), s); /* large, in place */
  char *t = realloc(s, 100);                /* back to small */
  assert_string_equal(t, "abcdefghi");
  assert_int_equal(malloc_usable_size(t), 112);
  assert_null(realloc(t, 0)); /* glibc: frees */
  errno = 0;
  char *u = malloc(100);
  assert_null(realloc(u, size_max - 4096));
  assert_int_equal(errno, ENOMEM);
  free(u); /* still valid after a failed realloc */
  assert_null(reallocarray(NULL, size_max / 2, 4));
  char *v = reallocarray(NULL, 10, 10);
  assert_int_equal(malloc_usable_size(v), 112);
  free(v);
  /* An ALIGN8 object is never kept in place: realloc returns 16-aligned. */
  char *a8 = escalloc_mallocgc(24, ESCALLOC_ALIGN8);
  assert_int_equal(escalloc_usable_size(a8), 24);
  char *a16 = escalloc_realloc(a8, 20);
  assert_int_equal((uintptr_t)a16 % 16, 0);
  assert_int_equal(escalloc_usable_size(a16), 32);
  escalloc_free(a16);
  /* Tiny objects grow out of their block. */
  char *w;
  do /* a tiny object at an 8-aligned offset stays in place when it shrinks */
    w = escalloc_mallocgc(5, ESCALLOC_NOSCAN);
  while ((uintptr_t)w % 8);
  memcpy(w, "tiny", 5);
  assert_ptr_equal(escalloc_realloc(w, 3), w);
  char *odd;
  do /* one at an odd offset moves: realloc's result is 8-aligned */
    odd = escalloc_mallocgc(3, ESCALLOC_NOSCAN);
  while ((uintptr_t)odd % 2 == 0);
  char *moved = escalloc_realloc(odd, 2);
  assert_int_equal((uintptr_t)moved % 8, 0);
  escalloc_free(moved);
  char *x = escalloc_realloc(w, 40);
  assert_string_equal(x, "tiny");
  escalloc_free(x);
}

static void aligned_allocation(void **state) {
  (void)state;
  for (size_t align = 1; align <= ((size_t)1 << 21); align <<= 1)
    for (size_t size = 0; size < 70000; size = size * 5 + 3) {
      void *p = aligned_alloc(align, size);
      assert_non_null(p);
      assert_int_equal((uintptr_t)p % align, 0);
      assert_true(malloc_usable_size(p) >= size);
      memset(p, 1, size);
      free(p);
    }
  errno = 0;
  assert_null(aligned_alloc(24, 10));
  assert_int_equal(errno, EINVAL);
  void *p = NULL;
  assert_int_equal(posix_memalign(&p, 4, 10), EINVAL);
  assert_int_equal(posix_memalign(&p, 48, 10), EINVAL);
  assert_int_equal(posix_memalign(&p, 64, 10), 0);
  assert_int_equal((uintptr_t)p % 64, 0);
  free(p);
  p = memalign(24, 100); /* rounded up to 32, as glibc does */
  assert_int_equal((uintptr_t)p % 32, 0);
  free(p);
  p = valloc(10);
  assert_int_equal((uintptr_t)p % 4096, 0);
  free(p);
  p = pvalloc(10);
  assert_int_equal((uintptr_t)p % 4096, 0);
  assert_true(malloc_usable_size(p) >= 4096);
  free(p);
  /* An aligned tiny-eligible request is not packed. */
  p = escalloc_aligned_alloc(8, 3, ESCALLOC_NOSCAN);
  assert_int_equal((uintptr_t)p % 8, 0);
  escalloc_free(p);
}

static void large_objects(void **state) {
  (void)state;
  for (size_t size = 32769; size < ((size_t)64 << 20); size = size * 3) {
    unsigned char *p = malloc(size);
    assert_int_equal((uintptr_t)p % 8192, 0);
    assert_int_equal(malloc_usable_size(p), (size + 8191) & ~(size_t)8191);
    p[0] = 1;
    p[size - 1] = 2;
    free(p);
  }
  /* Bigger than an arena. */
  unsigned char *h = malloc((size_t)200 << 20);
  assert_non_null(h);
  h[((size_t)200 << 20) - 1] = 1;
  free(h);
  unsigned char *z = calloc(1, (size_t)100 << 20);
  assert_int_equal(z[12345678], 0);
  free(z);
}

static void out_of_memory_returns_null(void **state) {
  (void)state;
  errno = 0;
  assert_null(malloc(size_max));
  assert_int_equal(errno, ENOMEM);
  errno = 0;
  assert_null(malloc(size_max >> 2));
  assert_int_equal(errno, ENOMEM);
  /* Under an address-space limit every path fails cleanly. */
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit rl = {(rlim_t)768 << 20, (rlim_t)768 << 20};
    setrlimit(RLIMIT_AS, &rl);
    errno = 0;
    if (malloc((size_t)1 << 30) || errno != ENOMEM)
      _exit(1);
    size_t got = 0;
    for (;;) {
      void *p = malloc(4000);
      if (!p) {
        if (errno != ENOMEM)
          _exit(2);
        break;
      }
      got++;
    }
    _exit(got > 1000 ? 0 : 3);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

static void usable_size_of_null(void **state) {
  (void)state;
  assert_int_equal(malloc_usable_size(NULL), 0);
  free(NULL);
  escalloc_free(NULL);
}

/* NEEDZERO zeroes every tiny size (tiny_zero stores 8, 4, 2 and 1 bytes by
 * the bits of the size), in blocks that held dirty objects before. */
static void tiny_needzero_every_size(void **state) {
  (void)state;
  for (uint32_t n = 1; n < ESCALLOC_TINY_SIZE; n++)
    for (int round = 0; round < 64; round++) {
      unsigned char *p = escalloc_mallocgc(n, ESCALLOC_NOSCAN | ESCALLOC_NEEDZERO);
      for (uint32_t j = 0; j < n; j++)
        assert_int_equal(p[j], 0);
      memset(p, 0xee, n); /* dirty for the blocks reused later */
      escalloc_free(p);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tiny_needzero_every_size),
      cmocka_unit_test(every_size_gets_its_class_and_alignment),
      cmocka_unit_test(align8_class_only_on_request),
      cmocka_unit_test(mallocgc_class_matches_mallocgc),
      cmocka_unit_test(lowered_fast_paths_route_like_mallocgc),
      cmocka_unit_test(tiny_objects_share_a_block),
      cmocka_unit_test(tiny_blocks_are_freed_with_their_objects),
      cmocka_unit_test(memstats_count_slots_exactly),
      cmocka_unit_test(calloc_zeroes_and_checks_overflow),
      cmocka_unit_test(realloc_edges),
      cmocka_unit_test(aligned_allocation),
      cmocka_unit_test(large_objects),
      cmocka_unit_test(out_of_memory_returns_null),
      cmocka_unit_test(usable_size_of_null),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
