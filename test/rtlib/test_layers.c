/*
 * test_layers.c — unit tests of the runtime's layers through their internal
 * interfaces (the headers in rtlib/): the page heap (coalescing, alignment, lookup,
 * release accounting), the mcentral ownership protocol (remote frees pushed
 * while owned, applied under the lock when not), the mcache (thread exit
 * hands everything back), and the profiler's hold on spans (a span with a
 * sampled object has no fast owner; MemStats counts exactly however the
 * sampling countdowns are re-armed).
 */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"
#include "mcache.h"
#include "mheap.h"
#include "profile.h"

static uintptr_t heap_free_pages(void) {
  pthread_mutex_lock(&esc_heap.lock);
  uintptr_t n = esc_heap.pages_free;
  pthread_mutex_unlock(&esc_heap.lock);
  return n;
}

static void heap_spans_coalesce(void **state) {
  (void)state;
  /* Three neighbours from one fresh run. */
  struct mspan *a = mheap_alloc(3, 1, SPAN_LARGE);
  struct mspan *b = mheap_alloc(5, 1, SPAN_LARGE);
  struct mspan *c = mheap_alloc(7, 1, SPAN_LARGE);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_int_equal(b->base, a->base + 3 * ESC_PAGE_SIZE);
  assert_int_equal(c->base, b->base + 5 * ESC_PAGE_SIZE);
  uintptr_t base = a->base;
  uintptr_t free_before = heap_free_pages();
  mheap_free(a);
  mheap_free(c);
  mheap_free(b); /* joins both neighbours */
  assert_int_equal(heap_free_pages(), free_before + 15);
  /* The merged run starts at a's base and holds all 15 pages in one span. */
  struct mspan *m = span_of((void *)base);
  assert_non_null(m);
  assert_int_equal(m->state, SPAN_FREE);
  assert_int_equal(m->base, base);
  assert_true(m->npages >= 15);
  struct mspan *d = mheap_alloc(15, 1, SPAN_LARGE);
  assert_int_equal(d->base, base);
  mheap_free(d);
}

static void heap_lookup_from_interior_pointers(void **state) {
  (void)state;
  struct mspan *s = mheap_alloc(9, 1, SPAN_LARGE);
  for (uintptr_t off = 0; off < 9 * ESC_PAGE_SIZE; off += 4097)
    assert_ptr_equal(span_of((void *)(s->base + off)), s);
  int local;
  assert_null(span_of(&local));
  assert_null(span_of((void *)(uintptr_t)-1));
  mheap_free(s);
}

static void heap_aligned_spans(void **state) {
  (void)state;
  for (uintptr_t align = 2; align <= 512; align *= 2) {
    struct mspan *s = mheap_alloc(3, align, SPAN_LARGE);
    assert_non_null(s);
    assert_int_equal(s->base % (align * ESC_PAGE_SIZE), 0);
    assert_int_equal(s->npages, 3);
    mheap_free(s);
  }
}

static void heap_release_accounting(void **state) {
  (void)state;
  struct mspan *s = mheap_alloc(4096, 1, SPAN_LARGE); /* 32 MiB */
  memset((void *)s->base, 1, 4096 * ESC_PAGE_SIZE);
  mheap_free(s);
  escalloc_free_os_memory();
  pthread_mutex_lock(&esc_heap.lock);
  assert_int_equal(esc_heap.pages_released, esc_heap.pages_free);
  assert_int_equal(esc_heap.pages_free + esc_heap.pages_inuse, esc_heap.pages_sys);
  pthread_mutex_unlock(&esc_heap.lock);
  /* Released pages come back zeroed and need no memset. */
  struct mspan *t = mheap_alloc(4096, 1, SPAN_LARGE);
  assert_int_equal(t->needzero, 0);
  assert_int_equal(((unsigned char *)t->base)[12345], 0);
  mheap_free(t);
}

/* Every free span's released_pages equals the released bits of its pages
 * (what carve's arithmetic relies on), and they add up to pages_released.
 * Checked under the heap lock, asserted after it (a failed assertion
 * leaves the test by longjmp). */
static void assert_free_spans_count_released(void) {
  uintptr_t total = 0, bad = 0;
  pthread_mutex_lock(&esc_heap.lock);
  for (unsigned b = 0; b < ESC_HEAP_BUCKETS; b++)
    for (struct mspan *s = esc_heap.free[b]; s; s = s->next) {
      struct esc_arena *ar = s->arena;
      uintptr_t first = (s->base - ar->base) / ESC_PAGE_SIZE, n = 0;
      for (uintptr_t i = first; i < first + s->npages; i++)
        n += (ar->released[i / 64] >> (i % 64)) & 1;
      bad += s->released_pages != n;
      total += n;
    }
  uintptr_t counted = esc_heap.pages_released;
  pthread_mutex_unlock(&esc_heap.lock);
  assert_int_equal(bad, 0);
  assert_int_equal(counted, total);
}

/* Carving from runs that are partly released: the lead, the request and the
 * rest each get the right count. */
static void heap_carving_keeps_released_counts(void **state) {
  (void)state;
  struct mspan *a = mheap_alloc(300, 1, SPAN_LARGE);
  mheap_free(a);
  escalloc_free_os_memory(); /* everything free is released */
  struct mspan *b = mheap_alloc(100, 1, SPAN_LARGE);
  memset((void *)b->base, 1, 100 * ESC_PAGE_SIZE);
  mheap_free(b); /* 100 dirty pages join released ones */
  struct mspan *c = mheap_alloc(30, 1, SPAN_LARGE);
  struct mspan *d = mheap_alloc(150, 1, SPAN_LARGE); /* across the dirty/released edge */
  struct mspan *e = mheap_alloc(8, 64, SPAN_LARGE); /* with a lead */
  assert_free_spans_count_released();
  mheap_free(d);
  mheap_free(c);
  mheap_free(e);
  assert_free_spans_count_released();
}

struct remote {
  void *p;
};

static void *free_it(void *arg) {
  free(arg);
  return NULL;
}

/* Frees the NULL-terminated list of objects arg. */
static void *free_all(void *arg) {
  for (void **p = arg; *p; p++)
    free(*p);
  return NULL;
}

static void central_remote_free_is_pushed_while_owned(void **state) {
  (void)state;
  void *q = malloc(700);
  struct mspan *s = span_of(q);
  assert_ptr_equal(atomic_load(&s->owner), esc_tls_cache);
  /* Enough objects of s for the owner to take it back (its reuse threshold). */
  static void *mine[ESC_MAX_OBJS + 1];
  uint32_t k = 0, threshold = mspan_reuse_threshold(s);
  while (k < threshold) {
    void *o = malloc(700);
    assert_ptr_equal(span_of(o), s); /* the current span, not full yet */
    mine[k++] = o;
  }
  mine[k] = NULL;
  void *p = mine[k - 1];
  pthread_t t;
  pthread_create(&t, NULL, free_all, mine);
  pthread_join(t, NULL);
  /* Owned: the frees wait on the span's remote stack, bits still set. */
  uintptr_t x = atomic_load(&s->xfree);
  assert_true(x & ESC_XFREE_OWNED);
  assert_ptr_equal((void *)(x & ~ESC_XFREE_OWNED), p);
  uintptr_t idx = mspan_index(s, p);
  assert_true(s->alloc_bits[idx / 64] & (1ull << (idx % 64)));
  /* The owner picks them up when it runs out of room (within two spans). */
  static void *ps[2 * ESC_MAX_OBJS];
  int n = 0, reused = 0, limit = 2 * s->nelems;
  while (n < limit) {
    ps[n] = malloc(700);
    reused |= ps[n] == p;
    n++;
  }
  assert_true(reused);
  while (n)
    free(ps[--n]);
  free(q);
}

/* Allocates objs[0 .. 1500) of 64 bytes and exits: their spans go back
 * to the mcentral, unowned. */
static void *fill_half(void *arg) {
  void **objs = arg;
  for (uint32_t i = 0; i < 1500; i++)
    objs[i] = malloc(64);
  return NULL;
}

static void *alloc_and_exit(void *arg) {
  (void)arg;
  return malloc(3000);
}

static void thread_exit_hands_spans_back(void **state) {
  (void)state;
  pthread_t t;
  void *p;
  pthread_create(&t, NULL, alloc_and_exit, NULL);
  pthread_join(t, &p);
  struct mspan *s = span_of(p);
  /* Nobody owns the span now. */
  assert_null(atomic_load(&s->owner));
  assert_int_equal(atomic_load(&s->xfree), 0);
  assert_int_equal(s->list, LIST_PARTIAL);
  assert_int_equal(s->alloc_count, 1);
  uintptr_t inuse = esc_heap.pages_inuse;
  /* A free pushes onto the span's stack and queues the span in its
   * mcentral, without the lock: held by this thread here, a free that
   * tried to take it would fail the test (an error-checking mutex would
   * say EDEADLK; a default one hangs, so trylock from another thread). */
  struct mcentral *m = &esc_central[s->spanclass];
  free(p);
  assert_int_equal(atomic_load(&s->xfree), (uintptr_t)p | ESC_XFREE_QUEUED);
  assert_ptr_equal(atomic_load(&m->pending), s);
  assert_int_equal(s->state, SPAN_SMALL);
  struct mcache *c = esc_tls_cache;
  assert_true(c->queued[s->spanclass / 64] & (1ull << (s->spanclass % 64)));
  mcentral_drain(s->spanclass); /* last object: the span returns to the heap */
  assert_null(atomic_load(&m->pending));
  assert_int_equal(s->state, SPAN_FREE);
  assert_true(esc_heap.pages_inuse < inuse);
}

/* The consumer of a producer/consumer pair: frees objects of spans it does
 * not own while another thread holds their class's mcentral lock. */
struct consumer {
  void **objs;
  uint32_t n;
  struct mcache *cache;
  uint64_t nfree;
  atomic_int done;
};
static void *consume(void *arg) {
  struct consumer *k = arg;
  for (uint32_t i = 0; i < k->n; i++)
    free(k->objs[i]);
  k->cache = esc_tls_cache;
  k->nfree = atomic_load(&k->cache->cls[esc_spanclass(escalloc_size_class(64, 0), 0)].nfree);
  atomic_store(&k->done, 1); /* its exit takes the lock: after the test's unlock */
  return NULL;
}

/* A thread that only frees gets a cache (its frees count there, not in a
 * shared counter) and never takes the class lock: owned or unowned spans,
 * its frees are pushes. */
static void free_only_thread_is_lock_free(void **state) {
  (void)state;
  enum { N = 3000 };
  static void *objs[N];
  uint32_t spc = esc_spanclass(escalloc_size_class(64, 0), 0);
  pthread_t t;
  /* Half the objects in spans that another thread owned and gave back. */
  pthread_create(&t, NULL, fill_half, objs);
  pthread_join(t, NULL);
  for (uint32_t i = N / 2; i < N; i++)
    objs[i] = malloc(64);
  struct mcentral *m = &esc_central[spc];
  uint64_t exited = atomic_load(&esc_exited_stats.nfree[spc]);
  pthread_mutex_lock(&m->lock); /* a free that locked would wait for it */
  struct consumer k = {objs, N, NULL, 0, 0};
  pthread_create(&t, NULL, consume, &k);
  for (int ms = 0; ms < 5000 && !atomic_load(&k.done); ms++)
    usleep(1000);
  int done = atomic_load(&k.done);
  pthread_mutex_unlock(&m->lock);
  pthread_join(t, NULL);
  assert_true(done); /* every free finished while the lock was held */
  assert_non_null(k.cache);
  assert_int_equal(k.nfree, N);
  /* Its exit collected the spans it queued and added its counts once. */
  assert_int_equal(atomic_load(&esc_exited_stats.nfree[spc]), exited + N);
  assert_null(atomic_load(&m->pending));
}

static void *churn(void *arg) {
  (void)arg;
  void *p[200];
  for (int i = 0; i < 200; i++)
    p[i] = malloc((size_t)(i * 37 % 4000));
  for (int i = 0; i < 200; i++)
    free(p[i]);
  void *t = escalloc_mallocgc(5, ESCALLOC_NOSCAN);
  escalloc_free(t);
  return NULL;
}

static void thread_churn_does_not_leak(void **state) {
  (void)state;
  struct escalloc_memstats a, b;
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < 200; i++) {
      pthread_t t;
      pthread_create(&t, NULL, churn, NULL);
      pthread_join(t, NULL);
    }
    escalloc_read_memstats(round ? &b : &a);
  }
  /* Every cache record was given back: only the main thread's remains. */
  assert_int_equal(mcache_records.inuse, 1);
  assert_int_equal(b.HeapAlloc, a.HeapAlloc);
  assert_true(b.HeapInuse <= a.HeapInuse);
  assert_int_equal(b.HeapSys, a.HeapSys);
}

/* A thread allocates 48-byte objects until one span holds nelems of them
 * (a span it filled entirely), frees every other object, and exits, leaving
 * that span unowned and full in its mcentral; its objects go to arg. */
static void *fill_one_span(void *arg) {
  void **objs = arg;
  uint32_t n = escalloc_class_to_nobjs[escalloc_size_class(48, 0)];
  enum { MAX = 4 * ESC_MAX_OBJS };
  static void *all[MAX];
  struct mspan *full = NULL;
  uint32_t count = 0;
  for (uint32_t i = 0; i < MAX && !full; i++) {
    all[count++] = malloc(48);
    struct mspan *s = span_of(all[count - 1]);
    uint32_t in_s = 0;
    for (uint32_t j = 0; j < count; j++)
      in_s += span_of(all[j]) == s;
    if (in_s == n)
      full = s;
  }
  uint32_t k = 0;
  for (uint32_t j = 0; j < count; j++) {
    if (full && span_of(all[j]) == full)
      objs[k++] = all[j];
    else
      free(all[j]);
  }
  return full;
}

/* An unowned span is offered to caches (mcentral partial) only with at
 * least mspan_reuse_threshold free slots; below that it waits on the full
 * list, so that one refill serves many allocations. */
static void unowned_span_waits_for_enough_free_slots(void **state) {
  (void)state;
  static void *objs[ESC_MAX_OBJS];
  struct mspan *s;
  pthread_t t;
  pthread_create(&t, NULL, fill_one_span, objs);
  pthread_join(t, (void **)&s);
  assert_non_null(s);
  assert_null(atomic_load(&s->owner));
  assert_int_equal(s->list, LIST_FULL);
  uint32_t threshold = mspan_reuse_threshold(s);
  assert_true(threshold > 1 && threshold < s->nelems);
  for (uint32_t i = 0; i + 1 < threshold; i++)
    free(objs[i]);
  mcentral_drain(s->spanclass);
  assert_int_equal(s->list, LIST_FULL); /* one short of the threshold */
  free(objs[threshold - 1]);
  mcentral_drain(s->spanclass);
  assert_int_equal(s->list, LIST_PARTIAL);
  for (uint32_t i = threshold; i < s->nelems; i++)
    free(objs[i]);
  mcentral_drain(s->spanclass); /* empty: back to the heap */
  assert_int_equal(s->state, SPAN_FREE);
}

/* Rate 1 samples every allocation: each sampled object keeps its span off
 * the free fast path until the span's last sample is freed. */
static void sampled_span_has_no_fast_owner(void **state) {
  (void)state;
  struct mcache *c = esc_tls_cache;
  int64_t old_rate = escalloc_set_memprofile_rate(1);
  void *p = malloc(48), *q = malloc(48);
  struct mspan *s = span_of(p);
  assert_ptr_equal(span_of(q), s);
  assert_ptr_equal(atomic_load(&s->owner), c);
  assert_int_equal(atomic_load(&s->prof_sampled), 2);
  assert_null(atomic_load(&s->fast_owner));
  free(p);
  assert_int_equal(atomic_load(&s->prof_sampled), 1);
  assert_null(atomic_load(&s->fast_owner));
  free(q); /* the last sample: fast frees again */
  assert_int_equal(atomic_load(&s->prof_sampled), 0);
  assert_ptr_equal(atomic_load(&s->fast_owner), c);
  escalloc_set_memprofile_rate(0);
  void *r = malloc(48);
  assert_ptr_equal(span_of(r), s);
  assert_int_equal(atomic_load(&s->prof_sampled), 0);
  assert_ptr_equal(atomic_load(&s->fast_owner), c);
  free(r);
  escalloc_set_memprofile_rate(old_rate);
}

/* Another thread frees the span's last sample: the span stays off the fast
 * path (only its owner may give it back) and frees into it stay correct. */
static void sampled_object_freed_by_another_thread(void **state) {
  (void)state;
  int64_t old_rate = escalloc_set_memprofile_rate(1);
  void *p = malloc(112);
  struct mspan *s = span_of(p);
  escalloc_set_memprofile_rate(0);
  void *q = malloc(112);
  assert_ptr_equal(span_of(q), s);
  assert_int_equal(atomic_load(&s->prof_sampled), 1);
  pthread_t t;
  pthread_create(&t, NULL, free_it, p);
  pthread_join(t, NULL);
  assert_int_equal(atomic_load(&s->prof_sampled), 0);
  assert_null(atomic_load(&s->fast_owner));
  free(q); /* the checked path */
  assert_int_equal(malloc_usable_size(malloc(112)), 112);
  escalloc_set_memprofile_rate(old_rate);
}

/* Slots are counted by the sampling countdowns (mcache.h): Mallocs and the
 * class's count are exact whatever the rate, across re-arming and rate
 * changes, and in a thread that exits. */
static void *alloc_n(void *arg) {
  size_t n = (size_t)(uintptr_t)arg;
  for (size_t i = 0; i < n; i++)
    free(malloc(80));
  return NULL;
}

static void memstats_exact_while_sampling(void **state) {
  (void)state;
  const int64_t rates[] = {0, 1, 100, 4096, ESC_PROF_DEFAULT_RATE};
  int64_t old_rate = escalloc_set_memprofile_rate(0);
  uint32_t cls = escalloc_size_class(80, 0);
  for (unsigned k = 0; k < sizeof rates / sizeof rates[0]; k++) {
    struct escalloc_memstats a, b;
    escalloc_read_memstats(&a);
    escalloc_set_memprofile_rate(rates[k]);
    alloc_n((void *)(uintptr_t)10007);
    pthread_t t;
    pthread_create(&t, NULL, alloc_n, (void *)(uintptr_t)5003);
    pthread_join(t, NULL);
    escalloc_set_memprofile_rate(0);
    alloc_n((void *)(uintptr_t)11);
    escalloc_read_memstats(&b);
    assert_int_equal(b.BySize[cls].mallocs - a.BySize[cls].mallocs, 10007 + 5003 + 11);
    assert_int_equal(b.BySize[cls].frees - a.BySize[cls].frees, 10007 + 5003 + 11);
    /* pthread_create allocates too (glibc's thread bookkeeping) */
    assert_true(b.Mallocs - a.Mallocs >= 10007 + 5003 + 11);
  }
  escalloc_set_memprofile_rate(old_rate);
}

/* A signal handler that reads MemStats while its own thread is in the
 * middle of re-arming a sampling countdown (arm_seq odd: the thread cannot
 * finish while the handler runs) returns, with that class's count up to its
 * last arming, instead of waiting forever.  Simulated on this thread (the
 * reader cannot tell); alarm() kills a reader that hangs. */
static void memstats_inside_own_rearm(void **state) {
  (void)state;
  uint32_t cls = escalloc_size_class(96, 0);
  struct mcache_class *k = &esc_tls_cache->cls[esc_spanclass(cls, 0)];
  /* Allocates until the class's countdown counts a slot since its arming. */
  void *objs[1000];
  unsigned n = 0;
  do
    objs[n++] = malloc(96);
  while (n < 1000 && atomic_load(&k->sample_armed) == atomic_load(&k->sample_left));
  struct escalloc_memstats a, b;
  escalloc_read_memstats(&a);
  atomic_fetch_add(&k->arm_seq, 1); /* "interrupted" inside mcache_arm_countdown */
  alarm(10);
  escalloc_read_memstats(&b);
  alarm(0);
  atomic_fetch_add(&k->arm_seq, 1);
  /* The slots counted by the countdown since its last arming are missing. */
  uint64_t since_armed = (uint64_t)(atomic_load(&k->sample_armed) - atomic_load(&k->sample_left));
  assert_true(since_armed > 0);
  assert_int_equal(b.BySize[cls].mallocs, a.BySize[cls].mallocs - since_armed);
  escalloc_read_memstats(&b); /* consistent again */
  assert_int_equal(b.BySize[cls].mallocs, a.BySize[cls].mallocs);
  while (n)
    free(objs[--n]);
}

/* fork() while another thread is in the middle of re-arming a sampling
 * countdown (arm_seq odd): the child folds that thread's counters without
 * waiting for a re-arm nobody will finish (it spun forever in fork_child,
 * about 1 run in 10 of profile_sites fork).  Simulated with a thread that
 * waits on a barrier. */
struct rearm_fork {
  pthread_barrier_t published, forked;
  struct mcache *cache;
};

static void *publish_cache(void *arg) {
  struct rearm_fork *f = arg;
  free(malloc(96));
  f->cache = esc_tls_cache;
  pthread_barrier_wait(&f->published);
  pthread_barrier_wait(&f->forked);
  return NULL;
}

static void fork_while_another_thread_rearms(void **state) {
  (void)state;
  struct rearm_fork f;
  pthread_barrier_init(&f.published, NULL, 2);
  pthread_barrier_init(&f.forked, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, publish_cache, &f);
  pthread_barrier_wait(&f.published);
  struct mcache_class *k = &f.cache->cls[esc_spanclass(escalloc_size_class(96, 0), 0)];
  atomic_fetch_add(&k->arm_seq, 1); /* "stopped" inside mcache_arm_countdown */
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  assert_true(pid > 0);
  int status = -1, waited = 0;
  while (waitpid(pid, &status, WNOHANG) == 0 && waited < 1000) { /* up to 10 s */
    usleep(10000);
    waited++;
  }
  if (waited == 1000) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  atomic_fetch_add(&k->arm_seq, 1);
  pthread_barrier_wait(&f.forked);
  pthread_join(t, NULL);
  pthread_barrier_destroy(&f.published);
  pthread_barrier_destroy(&f.forked);
  assert_true(waited < 1000);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
  free(malloc(1)); /* the main thread's cache exists from here on */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(heap_spans_coalesce),
      cmocka_unit_test(heap_lookup_from_interior_pointers),
      cmocka_unit_test(heap_aligned_spans),
      cmocka_unit_test(heap_release_accounting),
      cmocka_unit_test(heap_carving_keeps_released_counts),
      cmocka_unit_test(central_remote_free_is_pushed_while_owned),
      cmocka_unit_test(thread_exit_hands_spans_back),
      cmocka_unit_test(free_only_thread_is_lock_free),
      cmocka_unit_test(thread_churn_does_not_leak),
      cmocka_unit_test(unowned_span_waits_for_enough_free_slots),
      cmocka_unit_test(sampled_span_has_no_fast_owner),
      cmocka_unit_test(sampled_object_freed_by_another_thread),
      cmocka_unit_test(memstats_exact_while_sampling),
      cmocka_unit_test(memstats_inside_own_rearm),
      cmocka_unit_test(fork_while_another_thread_rearms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
