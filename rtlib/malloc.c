/*
 * malloc.c — the allocation entry points of escalloc/abi.h (Go's malloc.go):
 * routing by size and flags, the tiny allocator, large objects, free, realloc,
 * aligned allocation, releasing memory to the OS, and the profiler's rate.
 *
 * Routing (as mallocgc does):
 *   - ESCALLOC_NOSCAN and size < 16: the tiny allocator packs the object into
 *     the thread's current 16-byte block.
 *   - size <= 32 KiB: a slot of the size class from sizeclasses.h, taken from
 *     the thread's mcache (small_fast is the fast path); the process's first
 *     objects of each class up to 2 KiB come from the start-up span of
 *     mixed classes (startspan.h), whose frees take free_slow.
 *   - larger: a span of its own from the page heap.
 *
 * Tiny blocks are slots of span class 1 (see runtime.h).  Go never frees a
 * tiny block explicitly; we must, so each block has a 32-bit word in its
 * span's side table:
 *     bits  0..15  an object starts at this offset
 *     bits 16..30  an object ends at offset (bit - 16); an object that ends at
 *                  offset 15 has no end bit
 *     bit  31      the block is some mcache's current tiny block
 * Allocation sets the start and end bits; free clears them after checking the
 * start bit (a second free of the same object finds it clear: double free);
 * the block itself is freed by whoever leaves the word with no start bit and
 * no active bit (one atomic fetch-and decides, so exactly one thread does).
 * usable_size of a tiny object is start..end: its own size.
 *
 * Heap profiling (profile.h): every allocation is counted by one of the
 * thread's sampling countdowns (a slot by its span class's, a tiny or large
 * object by its bytes), and where the countdown expires the profiler decides
 * whether to sample it (prof_countdown_expired).  A sampled object's span
 * loses its fast owner, so frees into it take the checked path
 * (free_small_sampled), which drops the sample (prof_forget) before the slot
 * is freed.  Both run with no allocator lock held.  A realloc in place keeps
 * the object, and so its sample.
 *
 * Layer: the top of the allocator (rtlib/README.md, Layers): it uses the
 * mcache, mcentral, page heap, profiler and base layers, and its neighbours
 * forward.c and valgrind.c; dropin.c and newdelete.c call it (entry.h).
 *
 * A copy of the runtime that is not the process's malloc forwards
 * (forward.h): it never has an mcache, so every entry point reaches a slow
 * path, and each slow path asks esc_forwarding() first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"
#include "escalloc/abi.h"
#include "escalloc/escalloc.h"
#include "forward.h"
#include "mcache.h"
#include "profile.h"
#include "stackguard.h"
#include "startspan.h"

const int escalloc_abi_v1 = ESCALLOC_ABI_VERSION;

/* Requests above 1 TiB fail with ENOMEM at once: no arithmetic can overflow,
 * and the page heap never builds metadata for an absurd reservation. */
#define ESC_MAX_ALLOC ((size_t)1 << 40)

#define DEBUG_FREE_BYTE 0xdf
#define DEBUG_ALLOC_BYTE 0xab

/* --- the thread's cache ------------------------------------------------- */

/* Creates the thread's cache; its fast paths stay off with ESCALLOC_DEBUG
 * (and under memcheck) and in a copy that forwards (forward.h). */
static ESC_NOINLINE struct mcache *cache_create(void) {
  esc_read_settings();
  struct mcache *c = mcache_create(!esc_settings.debug && !esc_forwarding());
  if (c)
    esc_stack_thread_start(); /* the guard's settings (also pulls stackguard.o) */
  return c;
}

static inline struct mcache *mcache_get(void) {
  struct mcache *c = esc_tls_cache;
  if (ESC_UNLIKELY(!c))
    c = cache_create();
  return c;
}

/* The cache a free counts in: the thread's, created at its first free
 * unless the thread is exiting (NULL then, or when out of memory). */
static inline struct mcache *mcache_for_free(void) {
  struct mcache *c = esc_tls_cache;
  if (ESC_UNLIKELY(!c) && !esc_tls_exited)
    c = cache_create();
  return c;
}

/* --- counting ------------------------------------------------------------ */

/* Counts an event in the thread's counters, or globally for a thread that
 * has no cache (one exiting). */
static void count_event(struct mcache *c, _Atomic uint64_t *mine, _Atomic uint64_t *global,
                       uint64_t n) {
  if (c)
    esc_count(mine, n);
  else
    atomic_fetch_add_explicit(global, n, memory_order_relaxed);
}

/* --- profiling ----------------------------------------------------------- */

/* A sampling countdown of c expired at the allocation of p (profile.h):
 * a slot of span class `which`, or `size` bytes for ESC_SAMPLE_BYTES.
 * Returns p, so that the caller need not keep it in a callee-saved register
 * (which gcc would save on the fast path too).  Not inlined, and called,
 * never tail-called (PROF_CALL), from the entry point the program called or
 * a function it tail-called, so that its return address tells the profiler
 * where the program's frames begin. */
/* The prof_bits word of p's slot in span s, and its bit; NULL where slots
 * are not tracked: a large object is its span's only one, tiny blocks share
 * slots. */
static inline _Atomic uint64_t *prof_bit_of(struct mspan *s, const void *p, uint64_t *bit) {
  if (s->state != SPAN_SMALL || s->spanclass == ESC_TINY_SPANCLASS)
    return NULL;
  uintptr_t idx = mspan_index(s, p);
  *bit = 1ull << (idx & 63);
  return &s->prof_bits[idx >> 6];
}

/* While the profiler opens libgcc_s from inside malloc (profile.h,
 * "allocations aside"), the thread's fast cache is ESC_NO_CACHE, so that
 * its allocations reach the slow paths, which serve them aside. */
static __thread struct mcache *aside_saved_fast;
static void aside_enter(void) {
  aside_saved_fast = esc_tls_fast;
  esc_tls_fast = ESC_NO_CACHE;
}
static void aside_leave(void) { esc_tls_fast = aside_saved_fast; }
static _Atomic int aside_hooks_set;

/* `which` comes last: the fast paths hold the span class in the fourth
 * argument's register already. */
static ESC_NOINLINE void *prof_countdown_expired(struct mcache *c, void *p, size_t size, uintptr_t which) {
  if (which != ESC_SAMPLE_BYTES)
    size = escalloc_class_to_size[esc_spanclass_sizeclass(which)];
  struct mspan *s = span_of(p);
  uint64_t bit;
  _Atomic uint64_t *word = prof_bit_of(s, p, &bit);
  if (word) /* may be sampled: its free must tell the profiler */
    atomic_fetch_or_explicit(word, bit, memory_order_relaxed);
  if (ESC_UNLIKELY(!atomic_load_explicit(&aside_hooks_set, memory_order_relaxed))) {
    esc_prof_set_aside_hooks(aside_enter, aside_leave); /* the same from every thread */
    atomic_store_explicit(&aside_hooks_set, 1, memory_order_relaxed);
  }
  int64_t left = esc_prof_expired(p, size, which == ESC_SAMPLE_BYTES ? 1 : size, &c->cls[which].sample_on,
                                  &s->prof_sampled, (uintptr_t)__builtin_return_address(0));
  mcache_arm_countdown(c, which, left);
  if (s->state == SPAN_SMALL)
    mspan_set_fast_owner(s); /* sampled: no fast frees into s (c owns it) */
  return p;
}

/* p = prof_countdown_expired(...), as a call: the empty asm consumes the
 * result, so the compiler cannot turn the call into a jump. */
#define PROF_CALL(p, ...)                                                                          \
  do {                                                                                             \
    (p) = prof_countdown_expired(__VA_ARGS__);                                                     \
    __asm__("" : "+r"(p));                                                                         \
  } while (0)

/* Counts slot p of span class spc, just handed out by c; returns p. */
static inline __attribute__((always_inline)) void *count_slot(struct mcache *c, uint32_t spc, void *p) {
  if (ESC_UNLIKELY(mcache_count_alloc(c, spc)))
    PROF_CALL(p, c, p, 0, spc); /* the callee looks up the slot size: no register kept for it here */
  return p;
}

/* s holds a sampled object (a frees' test: profile.h's invariants). */
static inline int span_has_samples(const struct mspan *s) {
  return ESC_UNLIKELY(atomic_load_explicit(&s->prof_sampled, memory_order_relaxed) != 0);
}

/* p, an object of the small span s (not tiny) that holds samples, may be
 * sampled itself: its prof_bits bit, which is then cleared.  Lock-free, so
 * that a busy span with one long-lived sample does not send every free
 * through the profiler's lock. */
static inline int slot_maybe_sampled(struct mspan *s, const void *p) {
  uint64_t bit;
  _Atomic uint64_t *w = prof_bit_of(s, p, &bit);
  if (!w)
    return 1;
  if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))
    return 0;
  atomic_fetch_and_explicit(w, ~bit, memory_order_relaxed);
  return 1;
}

/* Before p, an object of span s, is freed: drops its sample if it has one.
 * Only spans holding a sampled object pay more than this one load, and only
 * slots that may be sampled take the profiler's lock. */
static inline void prof_forget(struct mcache *c, struct mspan *s, void *p) {
  if (span_has_samples(s)) {
    if (slot_maybe_sampled(s, p))
      esc_prof_free_slow(p, &s->prof_sampled);
    if (c && atomic_load_explicit(&s->owner, memory_order_relaxed) == c)
      mspan_set_fast_owner(s); /* fast frees again once its last sample is gone */
  }
}

/* --- small objects ------------------------------------------------------- */

/* Frees slot idx of the small span s. */
static inline void slot_free(struct mcache *c, struct mspan *s, void *p, uintptr_t idx) {
  count_event(c, c ? &c->cls[s->spanclass].nfree : NULL, &esc_exited_stats.nfree[s->spanclass], 1);
  if (ESC_LIKELY(c && atomic_load_explicit(&s->owner, memory_order_relaxed) == c)) {
    uint64_t *word = &s->alloc_bits[idx >> 6], bit = 1ull << (idx & 63);
    if (ESC_UNLIKELY(!(*word & bit)))
      esc_fatal("double free", p);
    if (ESC_LIKELY(!esc_settings.debug)) {
      /* Onto the freelist, as the fast path does (its bit stays set): the
       * next allocation reuses this slot.  Clearing the bit instead left it
       * until the owner's scan wrapped around, so that a span holding a
       * sample walked through all its slots first: 100 KiB more of
       * glibc-thread's peak RSS at the default sampling rate (bench/README.md,
       * "Peak RSS of the profiler").  The fast path's one check. */
      if (ESC_UNLIKELY(s->freelist == (esc_link *)p))
        esc_fatal("double free", p);
      ((esc_link *)p)->next = s->freelist;
      s->freelist = (esc_link *)p;
      return;
    }
    *word &= ~bit; /* checked frees (ESCALLOC_DEBUG): found when the owner's scan wraps around */
    return;
  }
  mcache_free_remote(c, s, p);
}

static inline __attribute__((always_inline)) void *alloc_small(struct mcache *c, uint32_t cls, size_t size,
                                                                uint32_t flags) {
  uint32_t spc = esc_spanclass(cls, flags & ESCALLOC_NOSCAN);
  void *p = mcache_alloc(c, spc);
  if (ESC_UNLIKELY(!p)) {
    errno = ENOMEM;
    return NULL;
  }
  if (ESC_UNLIKELY((flags & ESCALLOC_NEEDZERO) | esc_settings.debug)) {
    if (flags & ESCALLOC_NEEDZERO)
      memset(p, 0, size);
    else
      memset(p, DEBUG_ALLOC_BYTE, escalloc_class_to_size[cls]);
  }
  return count_slot(c, spc, p);
}

/* --- tiny objects -------------------------------------------------------- */

static void *mallocgc_slow(size_t size, uint32_t flags);

/* Go's rule: a noscan object under ESCALLOC_TINY_SIZE goes to the tiny
 * allocator. */
static inline int tiny_request(size_t size, uint32_t flags) {
  return (flags & ESCALLOC_NOSCAN) & (size < ESCALLOC_TINY_SIZE);
}

static inline uint32_t tiny_start_bit(uint32_t off) { return 1u << off; }
static inline uint32_t tiny_end_bit(uint32_t end) { return end < 15 ? 1u << (16 + end) : 0; }
/* Offset of the last byte of the object starting at off. */
static inline uint32_t tiny_end(uint32_t word, uint32_t off) {
  uint32_t ends = (word >> 16) & 0x7fffu & (~0u << off);
  return ends ? (uint32_t)__builtin_ctz(ends) : 15;
}

/* Zeroes the n < 16 bytes at p without a call to memset. */
static inline void tiny_zero(char *p, uint32_t n) {
  static const char zeros[8];
  if (n & 8) {
    memcpy(p, zeros, 8);
    p += 8;
  }
  if (n & 4) {
    memcpy(p, zeros, 4);
    p += 4;
  }
  if (n & 2) {
    memcpy(p, zeros, 2);
    p += 2;
  }
  if (n & 1)
    *p = 0;
}

/* What every tiny allocation of n bytes at p ends with. */
static inline __attribute__((always_inline)) void *tiny_finish(struct mcache *c, void *p, uint32_t n,
                                                               uint32_t flags) {
  esc_count(&c->stats.tiny_allocs, 1);
  if (flags & ESCALLOC_NEEDZERO)
    tiny_zero(p, n);
  if (ESC_UNLIKELY(mcache_count_bytes(c, n)))
    PROF_CALL(p, c, p, n, ESC_SAMPLE_BYTES);
  return p;
}

/* A tiny object of n bytes at the start of a new block: the current one is
 * full (or there is none).  Tail-called, so that tiny_alloc's common case
 * saves no registers. */
static ESC_NOINLINE void *tiny_alloc_new_block(struct mcache *c, uint32_t n, uint32_t flags) {
  if (ESC_UNLIKELY(c == ESC_NO_CACHE)) /* the class entry's tiny path: start over */
    return mallocgc_slow(n, flags);
  void *block = mcache_alloc(c, ESC_TINY_SPANCLASS);
  if (ESC_UNLIKELY(!block)) {
    errno = ENOMEM;
    return NULL;
  }
  esc_count(&c->cls[ESC_TINY_SPANCLASS].nmalloc, 1); /* blocks are not sampled, objects are */
  struct mspan *s = c->alloc[ESC_TINY_SPANCLASS];
  mcache_tiny_retire(c);
  c->tiny_word = &s->tiny[mspan_index(s, block)];
  atomic_store_explicit(c->tiny_word, ESC_TINY_ACTIVE | tiny_start_bit(0) | tiny_end_bit(n - 1),
                        memory_order_relaxed);
  c->tiny = (uintptr_t)block;
  c->tiny_offset = n;
  return tiny_finish(c, block, n, flags);
}

/* Not inlined: the entries that call it keep their fast paths frameless. */
static ESC_NOINLINE void *tiny_alloc(struct mcache *c, size_t size, uint32_t flags) {
  uint32_t n = size ? (uint32_t)size : 1; /* a unique address even for 0 bytes */
  /* Natural alignment: the lowest set bit of n (1, 2, 4 or 8 under 16). */
  uint32_t align = n & -n;
  uint32_t off = (c->tiny_offset + align - 1) & -align;
  if (ESC_UNLIKELY(!c->tiny || off + n > ESC_TINY_BLOCK))
    return tiny_alloc_new_block(c, n, flags);
  atomic_fetch_or_explicit(c->tiny_word, tiny_start_bit(off) | tiny_end_bit(off + n - 1),
                           memory_order_relaxed);
  c->tiny_offset = off + n;
  return tiny_finish(c, (void *)(c->tiny + off), n, flags);
}

/* Checks that p starts a live tiny object; returns its block word. */
static inline _Atomic uint32_t *tiny_word_of(struct mspan *s, const void *p, uint32_t *snapshot) {
  uintptr_t off = (uintptr_t)p - s->base;
  if (ESC_UNLIKELY((off >> 4) >= s->nelems))
    esc_fatal("pointer into a tiny span's tail (not an object)", p);
  _Atomic uint32_t *w = &s->tiny[off >> 4];
  *snapshot = atomic_load_explicit(w, memory_order_relaxed);
  if (ESC_UNLIKELY(!(*snapshot & tiny_start_bit(off & 15))))
    esc_fatal("double free or invalid pointer (no tiny object starts here)", p);
  return w;
}

static void tiny_free(struct mcache *c, struct mspan *s, void *p) {
  uint32_t snap, off = (uint32_t)((uintptr_t)p & 15);
  _Atomic uint32_t *w = tiny_word_of(s, p, &snap);
  uint32_t mask = tiny_start_bit(off) | tiny_end_bit(tiny_end(snap, off));
  uint32_t old = atomic_fetch_and_explicit(w, ~mask, memory_order_acq_rel);
  if (ESC_UNLIKELY(!(old & tiny_start_bit(off))))
    esc_fatal("double free", p);
  count_event(c, c ? &c->stats.tiny_frees : NULL, &esc_exited_stats.bulk.tiny_frees, 1);
  if (!((old & ~mask) & (ESC_TINY_STARTS | ESC_TINY_ACTIVE))) {
    void *block = (void *)((uintptr_t)p & ~(uintptr_t)15);
    slot_free(c, s, block, mspan_index(s, block));
  }
}

/* --- large objects ------------------------------------------------------- */

static void *large_alloc(size_t size, uint32_t flags, uintptr_t align_pages) {
  if (ESC_UNLIKELY(size > ESC_MAX_ALLOC)) {
    errno = ENOMEM;
    return NULL;
  }
  struct mcache *c = mcache_get();
  uintptr_t npages = (size + ESC_PAGE_SIZE - 1) >> ESC_PAGE_SHIFT;
  if (!npages)
    npages = 1;
  struct mspan *s = mheap_alloc(npages, align_pages, SPAN_LARGE);
  if (!s)
    return NULL; /* errno = ENOMEM */
  void *p = (void *)s->base;
  if ((flags & ESCALLOC_NEEDZERO) && s->needzero)
    memset(p, 0, size);
  else if (!(flags & ESCALLOC_NEEDZERO) && ESC_UNLIKELY(esc_settings.debug))
    memset(p, DEBUG_ALLOC_BYTE, size);
  count_event(c, c ? &c->stats.large_allocs : NULL, &esc_exited_stats.bulk.large_allocs, 1);
  count_event(c, c ? &c->stats.large_alloc_bytes : NULL, &esc_exited_stats.bulk.large_alloc_bytes,
             npages << ESC_PAGE_SHIFT);
  if (c && ESC_UNLIKELY(mcache_count_bytes(c, npages << ESC_PAGE_SHIFT)))
    PROF_CALL(p, c, p, npages << ESC_PAGE_SHIFT, ESC_SAMPLE_BYTES);
  return p;
}

/* --- entry points -------------------------------------------------------- */

/* The public names are aliases of the hidden esc_* definitions, so calls from
 * inside the library (dropin.c, realloc) bind directly, not through the PLT. */
#define ESC_PUBLIC(name) __attribute__((alias(#name), visibility("default")))
void *escalloc_mallocgc(size_t, uint32_t) ESC_PUBLIC(esc_mallocgc);
void *escalloc_mallocgc_class(size_t, uint32_t, uint32_t) ESC_PUBLIC(esc_mallocgc_class);
ESC_HIDDEN void *esc_mallocgc_spc(size_t size, uint32_t spc);
void *escalloc_mallocgc_spc(size_t, uint32_t) ESC_PUBLIC(esc_mallocgc_spc);
void *escalloc_calloc(size_t, size_t, uint32_t) ESC_PUBLIC(esc_calloc);
void *escalloc_aligned_alloc(size_t, size_t, uint32_t) ESC_PUBLIC(esc_aligned_alloc);
void escalloc_free(void *) ESC_PUBLIC(esc_free);
size_t escalloc_usable_size(const void *) ESC_PUBLIC(esc_usable_size);
void *escalloc_realloc(void *, size_t) ESC_PUBLIC(esc_realloc);

/* A small object of class `sizeclass` (or a tiny one) through the thread's
 * cache, creating the cache on first use: the slow paths' common tail. */
static void *small_or_tiny_slow(size_t size, uint32_t sizeclass, uint32_t flags) {
  struct mcache *c = mcache_get();
  if (ESC_UNLIKELY(!c)) {
    errno = ENOMEM;
    return NULL;
  }
  if (tiny_request(size, flags))
    return tiny_alloc(c, size, flags);
  return alloc_small(c, sizeclass, size, flags);
}

/* Everything but the common case: large, tiny, flags, no cache yet, an
 * exhausted span, debugging. */
static ESC_NOINLINE void *mallocgc_slow(size_t size, uint32_t flags) {
  if (ESC_UNLIKELY(esc_prof_aside))
    return esc_prof_aside_alloc(size, 16); /* fresh mmap'ed memory: zeroed */
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_alloc(size, flags);
  if (ESC_LIKELY(size <= ESCALLOC_MAX_SMALL_SIZE))
    return small_or_tiny_slow(size, escalloc_size_class(size, flags), flags);
  return large_alloc(size, flags, 1);
}

/* The current span's freelist is empty, or c is ESC_NO_CACHE (then the
 * allocation of `size` bytes with `flags` starts over on the slow path). */
/* The parameters come in the order that leaves malloc's argument where it
 * is: gcc then sets up the call on the slow path only. */
static ESC_NOINLINE void *refill(size_t size, uint32_t flags, struct mcache *c, uintptr_t spc) {
  if (ESC_UNLIKELY(c == ESC_NO_CACHE))
    return mallocgc_slow(size, flags);
  void *p = mcache_refill_alloc(c, spc);
  if (ESC_UNLIKELY(!p)) {
    errno = ENOMEM;
    return NULL;
  }
  return count_slot(c, spc, p);
}

/* The fast path: the head of the class's current span's freelist.  spc
 * is pointer-sized so that gcc folds the countdown's address into one
 * operand instead of computing a 32-bit index first. */
static inline void *small_fast(struct mcache *c, uintptr_t spc, size_t size, uint32_t flags) {
  void *p = mspan_pop(c->alloc[spc]);
  if (ESC_LIKELY(p != NULL))
    return count_slot(c, spc, p);
  return refill(size, flags, c, spc);
}

/* malloc(size): flags 0, so no tiny objects, no zeroing, and the 16-byte
 * alignment contract (the 24-byte class is skipped). */
static inline __attribute__((always_inline)) void *malloc_body(size_t size) {
  struct mcache *c = esc_tls_fast;
  if (ESC_LIKELY(size <= ESCALLOC_SMALL_SIZE_MAX)) {
    uintptr_t spc = escalloc_size_to_spc8_a16[(size + ESCALLOC_SMALL_SIZE_DIV - 1) / ESCALLOC_SMALL_SIZE_DIV];
    return small_fast(c, spc, size, 0);
  }
  return mallocgc_slow(size, 0);
}
void *esc_malloc(size_t size) { return malloc_body(size); }

#ifndef ESCALLOC_NO_DROPIN /* newdelete.c is compiled out with the drop-in names */
/* operator new off its fast path: malloc, then new's failure handling. */
static ESC_NOINLINE void *new_slow(size_t size) {
  void *p = esc_malloc(size);
  if (ESC_LIKELY(p != NULL))
    return p;
  return esc_new_failed(size, 0, 0);
}

/* operator new(size) (newdelete.c's _Znwm and _Znam jump here): malloc's
 * fast path, whose result needs no test, so new costs one jump more than
 * malloc (it was a call to malloc and a test of its result). */
void *esc_new_plain(size_t size) {
  struct mcache *c = esc_tls_fast;
  if (ESC_LIKELY(size <= ESCALLOC_SMALL_SIZE_MAX)) {
    uintptr_t spc = escalloc_size_to_spc8_a16[(size + ESCALLOC_SMALL_SIZE_DIV - 1) / ESCALLOC_SMALL_SIZE_DIV];
    void *p = mspan_pop(c->alloc[spc]);
    if (ESC_LIKELY(p != NULL))
      return count_slot(c, spc, p);
  }
  return new_slow(size);
}
#endif

/* esc_mallocgc off the slot fast path: tiny objects as tail calls. */
static ESC_NOINLINE void *mallocgc_flags_slow(size_t size, uint32_t flags) {
  struct mcache *c = esc_tls_fast;
  if (c != ESC_NO_CACHE && tiny_request(size, flags))
    return tiny_alloc(c, size, flags);
  return mallocgc_slow(size, flags);
}

/* True when flags send an object of `size` bytes off the slot fast path:
 * zeroing, or a noscan object small enough for the tiny allocator. */
static inline int needs_slow_flags(size_t size, uint32_t flags) {
  return (flags & ESCALLOC_NEEDZERO) | tiny_request(size, flags);
}

void *esc_mallocgc(size_t size, uint32_t flags) {
  /* No flags (what the pass passes for a variable size that may hold
   * pointers and needs 16-byte alignment): malloc's own path, flag tests
   * and table choice skipped. */
  if (flags == 0)
    return esc_malloc(size);
  /* Noscan objects of 16 bytes or more take the same fast path as malloc,
   * in the noscan span class; the class lookup keeps the 24-byte class for
   * ALIGN8 callers only. */
  struct mcache *c = esc_tls_fast;
  if (ESC_LIKELY(size <= ESCALLOC_SMALL_SIZE_MAX && !needs_slow_flags(size, flags))) {
    const uint8_t *to_class = flags & ESCALLOC_ALIGN8 ? escalloc_size_to_class8 : escalloc_size_to_class8_a16;
    uint32_t cls = to_class[(size + ESCALLOC_SMALL_SIZE_DIV - 1) / ESCALLOC_SMALL_SIZE_DIV];
    return small_fast(c, esc_spanclass(cls, flags & ESCALLOC_NOSCAN), size, flags);
  }
  return mallocgc_flags_slow(size, flags);
}

static ESC_NOINLINE void *mallocgc_class_checked(size_t size, uint32_t sizeclass, uint32_t flags) {
  /* A class that cannot hold the object would be a pass bug: stay sound. */
  if (ESC_UNLIKELY(sizeclass - 1u >= ESCALLOC_NUM_CLASSES - 1u ||
                   size > escalloc_class_to_size[sizeclass]))
    return esc_mallocgc(size, flags);
  return small_or_tiny_slow(size, sizeclass, flags);
}

/* Off the slot fast path.  Tiny objects go straight to the tiny allocator
 * (their class plays no part), as tail calls: no frame is built for them. */
static ESC_NOINLINE void *mallocgc_class_slow(size_t size, uint32_t sizeclass, uint32_t flags) {
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_alloc(size, flags);
  struct mcache *c = esc_tls_fast;
  if (c != ESC_NO_CACHE && tiny_request(size, flags))
    return tiny_alloc(c, size, flags);
  return mallocgc_class_checked(size, sizeclass, flags);
}

void *esc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags) {
  /* The pass computed sizeclass from sizeclasses.h, so there is no size
   * lookup.  The class is still checked, for free: the slot size of the
   * class's current span is loaded anyway, and an object it cannot hold (a
   * wrong class, or the empty span of a class not used yet: elemsize 0)
   * takes the slow path, which validates the class and re-routes it. */
  struct mcache *c = esc_tls_fast;
  if (ESC_LIKELY(sizeclass - 1u < ESCALLOC_NUM_CLASSES - 1u)) {
    if (ESC_LIKELY(!needs_slow_flags(size, flags))) {
      uint32_t spc = esc_spanclass(sizeclass, flags & ESCALLOC_NOSCAN);
      if (ESC_LIKELY(size <= c->alloc[spc]->elemsize))
        return small_fast(c, spc, size, flags);
    } else if (tiny_request(size, flags)) {
      return tiny_alloc(c, size, flags); /* what the pass sends here most (ESC_NO_CACHE: tiny_alloc_new_block) */
    }
  }
  return mallocgc_class_slow(size, sizeclass, flags);
}

/* A span class the pass cannot have computed: lowered code built against
 * another table or corrupted.  Nothing sound can be guessed from it. */
static ESC_NOINLINE __attribute__((noreturn, cold)) void spc_fatal(size_t size, uint32_t spc) {
  char buf[24];
  esc_write_stderr("escalloc: fatal error: escalloc_mallocgc_spc: span class ");
  esc_write_stderr(esc_utoa(spc, 0, buf));
  esc_write_stderr(" is not one of this ABI's (2..");
  esc_write_stderr(esc_utoa(ESC_NUM_SPANCLASSES - 1, 0, buf));
  esc_write_stderr("), for a ");
  esc_write_stderr(esc_utoa(size, 0, buf));
  esc_write_stderr("-byte object\n");
  abort();
}

/* Off the fast path: no cache yet, debugging, the class's first span, or a
 * class too small for the object (a pass bug: re-routed to plain malloc's
 * contract, which is sound whatever the class said). */
static ESC_NOINLINE void *mallocgc_spc_slow(size_t size, uint32_t spc) {
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_alloc(size, 0);
  if (ESC_UNLIKELY(spc - 2u >= ESC_NUM_SPANCLASSES - 2u))
    spc_fatal(size, spc);
  uint32_t cls = spc >> 1;
  if (ESC_UNLIKELY(size > escalloc_class_to_size[cls]))
    return esc_mallocgc(size, 0);
  struct mcache *c = mcache_get();
  if (ESC_UNLIKELY(!c)) {
    errno = ENOMEM;
    return NULL;
  }
  return alloc_small(c, cls, size, spc & ESCALLOC_NOSCAN);
}

void *esc_mallocgc_spc(size_t size, uint32_t spc) {
  /* small_fast with the span class given: no flags to test, no class to
   * look up.  What remains checks the pass's word cheaply: the span class
   * must index alloc[] (class 0 and the tiny blocks' class 1 excluded), and
   * the object must fit the slots of the class's current span, whose slot
   * size the fast path needs anyway (the empty span before the class's first
   * allocation has slot size 0, so that goes to the slow path too). */
  struct mcache *c = esc_tls_fast;
  if (ESC_LIKELY(spc - 2u < ESC_NUM_SPANCLASSES - 2u)) {
    struct mspan *s = c->alloc[spc];
    uintptr_t elemsize = s->elemsize; /* loaded once: the counter's asm may write memory */
    if (ESC_LIKELY(size <= elemsize)) {
      void *p = mspan_pop(s);
      if (ESC_LIKELY(p != NULL))
        return count_slot(c, spc, p);
      if (ESC_LIKELY(c != ESC_NO_CACHE))
        return refill(size, spc & ESCALLOC_NOSCAN, c, spc);
    }
  }
  return mallocgc_spc_slow(size, spc);
}

void *esc_calloc(size_t count, size_t size, uint32_t flags) {
  size_t total;
  if (ESC_UNLIKELY(__builtin_mul_overflow(count, size, &total))) {
    errno = ENOMEM;
    return NULL;
  }
  return esc_mallocgc(total, flags | ESCALLOC_NEEDZERO);
}

void *esc_aligned_alloc(size_t alignment, size_t size, uint32_t flags) {
  if (ESC_UNLIKELY(alignment == 0 || (alignment & (alignment - 1)))) {
    errno = EINVAL;
    return NULL;
  }
  if (ESC_UNLIKELY(esc_prof_aside))
    return esc_prof_aside_alloc(size, alignment);
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_aligned_alloc(alignment, size);
  if (size <= ESCALLOC_MAX_SMALL_SIZE && alignment <= ESC_PAGE_SIZE) {
    /* A class whose size is a multiple of the alignment has aligned slots
     * (spans start on a page).  Tiny objects are never used here. */
    size_t want = size < alignment ? alignment : size;
    uint32_t cls = escalloc_size_class(want, alignment <= 8 ? flags & ESCALLOC_ALIGN8 : 0);
    while (cls < ESCALLOC_NUM_CLASSES && escalloc_class_to_size[cls] % alignment)
      cls++;
    if (cls < ESCALLOC_NUM_CLASSES) {
      struct mcache *c = mcache_get();
      if (ESC_UNLIKELY(!c)) {
        errno = ENOMEM;
        return NULL;
      }
      return alloc_small(c, cls, size, flags);
    }
  }
  return large_alloc(size, flags, alignment > ESC_PAGE_SIZE ? alignment >> ESC_PAGE_SHIFT : 1);
}

/* The span of a live object p, or NULL. */
static struct mspan *live_span(const void *p) {
  struct mspan *s = span_of(p);
  if (ESC_UNLIKELY(!s || !span_contains(s, p) || s->state == SPAN_FREE))
    return NULL;
  return s;
}

/* Index of the small object p in s, checked. */
static uintptr_t checked_index(struct mspan *s, const void *p) {
  uintptr_t idx = mspan_index(s, p);
  if (ESC_UNLIKELY(idx >= s->nelems || idx * s->elemsize != (uintptr_t)p - s->base))
    esc_fatal("pointer into the middle of an object, not its start", p);
  return idx;
}

/* Frees p, which lies in the in-use small span s, holding no sample. */
static inline void free_small_unsampled(struct mcache *c, struct mspan *s, void *p) {
  if (ESC_UNLIKELY(s->spanclass == ESC_TINY_SPANCLASS)) {
    tiny_free(c, s, p);
    return;
  }
  slot_free(c, s, p, checked_index(s, p));
}

/* Frees p, which lies in the in-use small span s. */
static inline void free_small(struct mcache *c, struct mspan *s, void *p) {
  prof_forget(c, s, p);
  free_small_unsampled(c, s, p);
}

/* free_small for a span that holds a sampled object: out of line, so that
 * the callers below save no registers for the profiler's call. */
static ESC_NOINLINE void free_small_sampled(struct mcache *c, struct mspan *s, void *p) {
  free_small(c, s, p);
}

/* free_small off esc_free's fast path: spans this thread does not own,
 * spans holding a sampled object. */
static ESC_NOINLINE void free_small_other(struct mcache *c, struct mspan *s, void *p) {
  if (span_has_samples(s))
    return free_small_sampled(c, s, p);
  free_small_unsampled(c, s, p);
}

/* A tiny object, from esc_free: one call, not two. */
static ESC_NOINLINE void free_tiny_object(struct mcache *c, struct mspan *s, void *p) {
  if (span_has_samples(s))
    return free_small_sampled(c, s, p);
  tiny_free(c, s, p);
}

/* Frees p, an object of the start-up span s (startspan.h): checked (a
 * second free aborts), counted in its class; its room is not reused. */
static void free_start(struct mcache *c, struct mspan *s, void *p) {
  uint32_t spc;
  _Atomic uint32_t *e = startspan_find(s, p, &spc); /* aborts before the profiler hears of a bad p */
  prof_forget(c, s, p);
  if (ESC_UNLIKELY(esc_settings.debug))
    memset(p, DEBUG_FREE_BYTE, escalloc_class_to_size[esc_spanclass_sizeclass(spc)]);
  spc = startspan_free_at(s, p, e); /* s may be gone after this */
  count_event(c, c ? &c->cls[spc].nfree : NULL, &esc_exited_stats.nfree[spc], 1);
}

static ESC_NOINLINE void free_slow(void *p) {
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_free(p);
  struct mspan *s = live_span(p);
  if (ESC_UNLIKELY(!s)) {
    if (esc_prof_aside_owns(p))
      return; /* the loader's, allocated aside (profile.h): kept */
    esc_fatal("free of a pointer escalloc did not allocate (or a double free)", p);
  }
  struct mcache *c = mcache_for_free();
  if (ESC_UNLIKELY(s->state == SPAN_START))
    return free_start(c, s, p);
  if (ESC_LIKELY(s->state == SPAN_SMALL)) {
    /* ESCALLOC_DEBUG sends every free here (its esc_tls_fast is ESC_NO_CACHE). */
    if (ESC_UNLIKELY(esc_settings.debug) && s->spanclass != ESC_TINY_SPANCLASS) {
      checked_index(s, p); /* only a slot's start is filled */
      if (s->elemsize > sizeof(void *))
        memset((char *)p + sizeof(void *), DEBUG_FREE_BYTE, s->elemsize - sizeof(void *));
    }
    free_small(c, s, p);
    return;
  }
  if (ESC_UNLIKELY((uintptr_t)p != s->base))
    esc_fatal("pointer into the middle of an object, not its start", p);
  prof_forget(c, s, p);
  uint64_t bytes = s->npages << ESC_PAGE_SHIFT;
  if (ESC_UNLIKELY(esc_settings.debug))
    memset(p, DEBUG_FREE_BYTE, bytes);
  count_event(c, c ? &c->stats.large_frees : NULL, &esc_exited_stats.bulk.large_frees, 1);
  count_event(c, c ? &c->stats.large_free_bytes : NULL, &esc_exited_stats.bulk.large_free_bytes, bytes);
  mheap_free_large(s, p);
}

/* s->fast_owner for the free fast path.  On x86-64 a plain load, which
 * the compiler folds into the compare: an aligned pointer load is
 * single-copy atomic there, all a relaxed load promises (as esc_count's
 * add).  ThreadSanitizer builds keep the C11 load. */
static inline struct mcache *fast_owner_of(const struct mspan *s) {
#if defined(__x86_64__) && !defined(ESC_TSAN)
  return *(struct mcache *const *)&s->fast_owner;
#else
  return atomic_load_explicit(&s->fast_owner, memory_order_relaxed);
#endif
}

static ESC_NOINLINE __attribute__((noreturn, cold)) void free_twice(void *p) { esc_fatal("double free", p); }

static inline __attribute__((always_inline)) void free_body(void *p) {
  /* Fast path: a small object of a span this thread owns.  fast_owner == c
   * implies an in-use small span that is not tiny and holds no sampled
   * object, and the page map covers every page of one.  Slow paths are tail
   * calls. */
  uintptr_t a = (uintptr_t)p, chunk_index = a >> ESC_ARENA_SHIFT;
  struct mcache *c = esc_tls_fast;
  /* The chunk's index is in range (one compare, not a test of the high
   * bits and a second shift). */
  if (ESC_LIKELY(chunk_index < ((uintptr_t)1 << (ESC_ADDR_BITS - ESC_ARENA_SHIFT)))) {
    _Atomic(struct mspan *) *chunk = atomic_load_explicit(&esc_page_map[chunk_index], memory_order_relaxed);
    if (ESC_LIKELY(chunk != NULL)) {
      struct mspan *s = atomic_load_explicit(&chunk[(a >> ESC_PAGE_SHIFT) & (ESC_CHUNK_PAGES - 1)],
                                             memory_order_relaxed);
      if (ESC_LIKELY(s && fast_owner_of(s) == c)) {
        /* Pushed onto the span's freelist.  The one check: p is not the
         * list's head (the object just freed), which catches free(p);
         * free(p).  Everything else is ESCALLOC_DEBUG's (see rtlib/README.md). */
        esc_link *head = s->freelist;
        if (ESC_UNLIKELY(head == (esc_link *)p))
          free_twice(p);
        ((esc_link *)p)->next = head;
        s->freelist = (esc_link *)p;
        esc_count(&c->cls[s->spanclass].nfree, 1);
        return;
      } else if (s && s->state == SPAN_SMALL && span_contains(s, p) && c != ESC_NO_CACHE) {
        if (s->spanclass == ESC_TINY_SPANCLASS)
          return free_tiny_object(c, s, p);
        /* A free into a span another thread owns (or that is queued):
         * checked, counted and pushed here, with no call (xmalloc-test's
         * every free); the rest (samples, unowned spans, this thread's
         * checked frees) in free_small_other. */
        if (ESC_LIKELY(!span_has_samples(s))) {
          uintptr_t idx = mspan_index(s, p);
          struct mcache *owner = atomic_load_explicit(&s->owner, memory_order_relaxed);
          if (ESC_LIKELY(idx < s->nelems && idx * s->elemsize == a - s->base && owner != c &&
                         mspan_push_remote(s, p))) {
            esc_count(&c->cls[s->spanclass].nfree, 1);
            return;
          }
        }
        return free_small_other(c, s, p);
      }
    }
  }
  if (p)
    free_slow(p);
}
void esc_free(void *p) { free_body(p); }

#ifndef ESCALLOC_NO_DROPIN
/* The drop-in malloc and free (dropin.c has the other names): weak, as all
 * of them, and each a copy of the fast path, so that a program's call
 * reaches it with no jump between.  Not aliases of esc_malloc and esc_free:
 * Valgrind redirects the address of `malloc`, and the runtime's own calls
 * of esc_malloc under Valgrind (valgrind.c) must reach the runtime.
 * esc_dropin_* name them for forward.c. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmissing-attributes" /* libc's attributes: not needed here */
#endif
__attribute__((weak, visibility("default"))) void *malloc(size_t size) { return malloc_body(size); }
__attribute__((weak, visibility("default"))) void free(void *p) { free_body(p); }
ESC_HIDDEN void *esc_dropin_malloc(size_t) __attribute__((alias("malloc")));
ESC_HIDDEN void esc_dropin_free(void *) __attribute__((alias("free")));
#endif

size_t esc_usable_size(const void *p) {
  if (!p)
    return 0;
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_usable_size(p);
  struct mspan *s = live_span(p);
  if (ESC_UNLIKELY(!s)) {
    if (esc_prof_aside_owns(p))
      return esc_prof_aside_size(p);
    esc_fatal("usable size of a pointer escalloc did not allocate", p);
  }
  if (s->state == SPAN_LARGE) {
    if ((uintptr_t)p != s->base)
      esc_fatal("pointer into the middle of an object, not its start", p);
    return s->npages << ESC_PAGE_SHIFT;
  }
  if (s->state == SPAN_START)
    return escalloc_class_to_size[esc_spanclass_sizeclass(startspan_spc_of(s, p))];
  if (s->spanclass == ESC_TINY_SPANCLASS) {
    uint32_t snap, off = (uint32_t)((uintptr_t)p & 15);
    tiny_word_of(s, p, &snap);
    return tiny_end(snap, off) - off + 1;
  }
  checked_index(s, p);
  return s->elemsize;
}

void *esc_realloc(void *p, size_t size) {
  if (ESC_UNLIKELY(esc_forwarding()))
    return esc_fwd_realloc(p, size);
  if (!p)
    return esc_mallocgc(size, 0);
  if (size == 0) { /* glibc's behaviour: free and return NULL */
    esc_free(p);
    return NULL;
  }
  size_t have = esc_usable_size(p);
  struct mspan *s = span_of(p);
  if (ESC_UNLIKELY(esc_prof_aside_owns(p))) {
    /* The loader's, allocated aside (profile.h): moved, never in place. */
  } else if (s->state == SPAN_LARGE) {
    if (size > ESCALLOC_MAX_SMALL_SIZE && size <= have && size >= have / 2)
      return p;
  } else if (s->state == SPAN_SMALL && s->spanclass == ESC_TINY_SPANCLASS) {
    /* In place only where the result also meets malloc's alignment. */
    if (size <= have && (uintptr_t)p % (size > 8 ? 16 : 8) == 0)
      return p;
  } else {
    /* A slot, of a span of its class or of the start-up span. */
    uint32_t cls = esc_spanclass_sizeclass(s->state == SPAN_START ? startspan_spc_of(s, p) : s->spanclass);
    /* Not for the 8-aligned class: the pass's ALIGN8 promise covered the old
     * object's accesses, and realloc's result must be 16-aligned. */
    if (size <= have && escalloc_size_class(size, 0) >= cls && cls != ESCALLOC_ALIGN8_CLASS)
      return p;
  }
  void *q = esc_mallocgc(size, 0);
  if (!q)
    return NULL; /* p is untouched, as realloc requires */
  memcpy(q, p, have < size ? have : size);
  esc_free(p);
  return q;
}

/* --- memory back to the OS, the profiler's rate ------------------------------ */

void esc_free_os_memory(void) {
  mcache_release_spans();
  mheap_scavenge_all();
}
void escalloc_free_os_memory(void) __attribute__((alias("esc_free_os_memory"), visibility("default")));

int64_t escalloc_set_memprofile_rate(int64_t rate) {
  int64_t old = esc_prof_set_rate(rate);
  /* This thread starts over at once; others within ESC_PROF_IDLE_RECHECK
   * bytes of each countdown or at their next sample. */
  if (old >= 0)
    mcache_restart_sampling();
  return old;
}
