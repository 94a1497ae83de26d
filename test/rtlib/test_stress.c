/*
 * test_stress.c — multi-threaded stress of the escalloc_* entry points: every
 * thread allocates objects of random sizes and flags, fills them with a
 * pattern derived from address and seed, checks the pattern before freeing,
 * reallocs, and hands a share of its objects to other threads through a
 * queue so they are freed by a thread that does not own their span.  At the
 * end every object is freed and the heap statistics must read zero.
 *
 * Built twice: against the runtime (with the drop-in names) and with
 * -fsanitize=thread against a TSan build of the runtime compiled with
 * -DESCALLOC_NO_DROPIN.  argv[1] scales the iteration count.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "sizeclasses.h"

#define THREADS 4
#define SLOTS 512
#define QUEUE 1024

static long iterations = 200000;

struct obj {
  unsigned char *p;
  size_t size;
  uint32_t seed;
};

static struct {
  pthread_mutex_t lock;
  struct obj q[QUEUE];
  unsigned head, tail;
} handoff = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static unsigned char pattern(const struct obj *o, size_t i) {
  return (unsigned char)((o->seed * 2654435761u) >> 24) ^ (unsigned char)i;
}

static void fill(struct obj *o) {
  for (size_t i = 0; i < o->size; i++)
    o->p[i] = pattern(o, i);
}

static int check(const struct obj *o) {
  for (size_t i = 0; i < o->size; i++)
    if (o->p[i] != pattern(o, i))
      return 0;
  return 1;
}

static size_t random_size(uint64_t *s) {
  uint64_t r = rng(s);
  switch (r % 16) {
  case 0:
    return r >> 40 & 15; /* tiny range */
  case 1:
    return 32768 + (r >> 32) % 200000; /* large */
  case 2:
  case 3:
    return (r >> 32) % 32769; /* any small class */
  default:
    return (r >> 32) % 512;
  }
}

static uint32_t random_flags(uint64_t *s) {
  return (uint32_t)(rng(s) >> 50) & ESCALLOC_FLAGS_MASK;
}

static int alloc_obj(struct obj *o, uint64_t *s) {
  o->size = random_size(s);
  o->seed = (uint32_t)rng(s);
  uint32_t flags = random_flags(s);
  switch (rng(s) % 8) {
  case 0:
    o->p = escalloc_calloc(1, o->size, flags & ~ESCALLOC_NEEDZERO);
    for (size_t i = 0; i < o->size; i++)
      if (o->p[i])
        return 0;
    break;
  case 1: {
    size_t align = (size_t)16 << (rng(s) % 10);
    o->p = escalloc_aligned_alloc(align, o->size, flags);
    if ((uintptr_t)o->p % align)
      return 0;
    break;
  }
  case 2:
    o->p = escalloc_mallocgc_class(o->size > 32768 ? 100 : o->size,
                                   escalloc_size_class(o->size > 32768 ? 100 : o->size, flags), flags);
    if (o->size > 32768)
      o->size = 100;
    break;
  default:
    o->p = escalloc_mallocgc(o->size, flags);
  }
  if (!o->p)
    return 0;
  if ((flags & ESCALLOC_NEEDZERO))
    for (size_t i = 0; i < o->size; i++)
      if (o->p[i])
        return 0;
  if (escalloc_usable_size(o->p) < o->size)
    return 0;
  fill(o);
  return 1;
}

static void *worker(void *arg) {
  uint64_t s = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
  struct obj slots[SLOTS] = {{0}};
  long bad = 0;
  for (long it = 0; it < iterations; it++) {
    struct obj *o = &slots[rng(&s) % SLOTS];
    if (o->p) {
      bad += !check(o);
      uint64_t r = rng(&s) % 8;
      if (r == 0) { /* grow or shrink in place or by moving */
        size_t keep = o->size;
        size_t n = random_size(&s);
        unsigned char *q = escalloc_realloc(o->p, n ? n : 1);
        if (!q) {
          bad++;
          continue;
        }
        o->p = q;
        o->size = n ? n : 1;
        for (size_t i = 0; i < keep && i < o->size; i++)
          bad += o->p[i] != pattern(o, i);
        fill(o);
        continue;
      }
      if (r <= 2) { /* hand it to another thread */
        pthread_mutex_lock(&handoff.lock);
        if (handoff.tail - handoff.head < QUEUE) {
          handoff.q[handoff.tail++ % QUEUE] = *o;
          o->p = NULL;
        }
        pthread_mutex_unlock(&handoff.lock);
        if (!o->p)
          continue;
      }
      escalloc_free(o->p);
      o->p = NULL;
    } else {
      bad += !alloc_obj(o, &s);
    }
    if (it % 4 == 0) { /* free what another thread handed over */
      struct obj got = {0};
      pthread_mutex_lock(&handoff.lock);
      if (handoff.head != handoff.tail)
        got = handoff.q[handoff.head++ % QUEUE];
      pthread_mutex_unlock(&handoff.lock);
      if (got.p) {
        bad += !check(&got);
        escalloc_free(got.p);
      }
    }
  }
  for (int i = 0; i < SLOTS; i++)
    if (slots[i].p) {
      bad += !check(&slots[i]);
      escalloc_free(slots[i].p);
    }
  return (void *)bad;
}

static void *nothing(void *arg) { return arg; }

static void threads_with_cross_thread_frees(void **state) {
  (void)state;
  struct escalloc_memstats before, after;
  pthread_t t[THREADS];
  /* Warm-up: glibc keeps a thread's stack and its TLS vector (allocated
   * through us) in a cache for the next thread; let it fill first. */
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, nothing, NULL), 0);
  for (int i = 0; i < THREADS; i++)
    pthread_join(t[i], NULL);
  escalloc_free_os_memory(); /* also returns this thread's cached spans */
  escalloc_read_memstats(&before);
  for (uintptr_t i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
  long bad = 0;
  for (int i = 0; i < THREADS; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  while (handoff.head != handoff.tail) {
    struct obj *o = &handoff.q[handoff.head++ % QUEUE];
    bad += !check(o);
    escalloc_free(o->p);
  }
  assert_int_equal(bad, 0);
  escalloc_free_os_memory();
  escalloc_read_memstats(&after);
  /* No object was lost on the way (a remote free dropped from a span's
   * stack would keep its span in use): the spans are all back. */
  print_message("HeapInuse before %llu after %llu\n", (unsigned long long)before.HeapInuse,
                (unsigned long long)after.HeapInuse);
  assert_true(after.HeapInuse <= before.HeapInuse + 64 * 1024);
  /* Every object is freed and every thread joined: the books balance. */
  assert_int_equal(after.HeapAlloc, before.HeapAlloc);
  assert_int_equal(after.HeapObjects, before.HeapObjects);
  assert_true(after.Mallocs - before.Mallocs >= (uint64_t)iterations);
  assert_int_equal(after.Mallocs - before.Mallocs, after.Frees - before.Frees);
}

int main(int argc, char **argv) {
  if (argc > 1)
    iterations = atol(argv[1]);
  const struct CMUnitTest tests[] = {cmocka_unit_test(threads_with_cross_thread_frees)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
