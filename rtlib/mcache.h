/*
 * mcache.h — the per-thread cache (Go's mcache.go): for each span class the
 * span it allocates from, plus a few more spans it owns, the tiny block, and
 * its statistics counters.
 *
 * Invariants:
 *   - Only the owning thread touches alloc[], owned[], the tiny fields and the
 *     freelist and alloc_bits of the spans it owns.  The allocation fast path
 *     pops the current span's freelist; the free fast path pushes onto the
 *     freelist of the object's span (any span the thread owns); a refill
 *     moves free slots of the bitmap to the list (at most
 *     ESC_REFILL_BYTES of them at a time, one under ESCALLOC_DEBUG), and a
 *     span's list goes back into its bitmap before the span leaves the
 *     thread.  Other threads free into those spans
 *     through the spans' remote stacks (xfree).
 *   - alloc[spc] is never NULL: a thread starts with esc_empty_span, whose
 *     bits are all set, so the fast path needs no extra test.
 *   - At most mcache_owned_limit(spc) spans wait in owned[spc] besides the
 *     current one; beyond that the one parked last goes back to its mcentral.
 *   - Frees into spans the thread does not own never lock (mcentral.h); a
 *     thread that only frees gets a cache at its first free, so that it
 *     counts its frees in its own counters.  queued[] records the span
 *     classes whose mcentral pending stack the thread pushed a span onto
 *     (nqueued pages of spans so far); every ESC_QUEUED_DRAIN_PAGES, and at its
 *     exit, the thread collects those classes, so that spans freed empty go
 *     back to the heap even when nobody allocates in their class.
 *   - Counters (cls[].nmalloc and .nfree, stats) are written by the owner only (relaxed stores) and read by
 *     escalloc_read_memstats under the registry lock; a thread that exits adds
 *     them to esc_exited_stats.
 *   - Slots handed out are counted by the heap profiler's sampling countdowns
 *     (profile.h): the fast path decrements cls[spc].sample_left, which it would
 *     otherwise have to do besides incrementing nmalloc, and
 *         allocations of spc = cls[spc].nmalloc + .sample_armed - .sample_left
 *     (mcache_nmalloc).  The owner re-arms a countdown without a lock, inside
 *     cls[spc].arm_seq (a sequence count, odd while it writes); a reader
 *     (registry lock held) retries until it read the triple between two equal
 *     even counts.
 */
#ifndef ESCALLOC_MCACHE_H
#define ESCALLOC_MCACHE_H

#include <stdatomic.h>
#include <stddef.h>

#include "mcentral.h"
#include "startspan.h"

/* Owned spans waiting per class: ESC_OWNED_MAX, or fewer for classes with
 * long spans so that they hold at most ESC_OWNED_PAGES pages (2 MiB).  More
 * spans per thread means more frees take the owner's lock-free paths
 * (larson, FIFO lifetimes: 16 -> 64 halved larson's time and lowered
 * `mixed`'s peak RSS); the page budget bounds what a thread that stops
 * allocating a class keeps. */
#define ESC_OWNED_MAX 64
#define ESC_OWNED_PAGES 256
#define ESC_OWNED_LOOK 4 /* owned spans a refill examines */
/* Pages of spans a thread queues (mcentral.h) before it collects them.  A
 * queued span takes its frees with one inline CAS until it is collected,
 * and is queued again by the first free after: with frees spread over more
 * spans than a collection covers, every free queued (expat's suite, whose
 * single thread frees into more than its 2 MiB of owned spans per class:
 * 64 spans a collection cost 190 instructions per such free; 16 MiB, 20).
 * It bounds what freed spans wait for before they go back to the heap,
 * where no refill of their class collects them first. */
#define ESC_QUEUED_DRAIN_PAGES 2048
/* Bytes of slots a refill moves from a span's bitmap to its freelist (at
 * least one slot): linking a slot writes its first word, so this bounds the
 * memory a refill touches ahead of the allocations. */
#define ESC_REFILL_BYTES 8192

/* Sampling countdowns per cache (cls[]): one per span class, and one of
 * bytes for tiny and large objects. */
#define ESC_SAMPLE_BYTES ESC_NUM_SPANCLASSES
#define ESC_SAMPLE_COUNTDOWNS (ESC_NUM_SPANCLASSES + 1)

/* Counters of tiny and large objects: a cache's, and the sums' last part. */
struct esc_bulk_counters {
  _Atomic uint64_t tiny_allocs, tiny_frees;
  _Atomic uint64_t large_allocs, large_frees, large_alloc_bytes, large_free_bytes;
};

struct esc_counters {
  _Atomic uint64_t nmalloc[ESC_NUM_SPANCLASSES]; /* slots handed out per span class */
  _Atomic uint64_t nfree[ESC_NUM_SPANCLASSES];
  struct esc_bulk_counters bulk;
};

/* What a cache keeps per span class besides alloc[], in one record: a
 * class's first allocation and free touch all of it (the countdown expires
 * and is armed, the slot may come from the start-up span, the free counts),
 * so a thread that uses a few small classes touches one page of its cache,
 * not one page of each per-class array.  [ESC_SAMPLE_BYTES] is the
 * countdown of bytes (only sample_left and sample_on). */
struct mcache_class {
  /* Sampling countdown (see the invariants above): slots (bytes for
   * ESC_SAMPLE_BYTES) before the next sampling decision, what it was last
   * armed with, and whether its expiry samples (profile.h's
   * esc_prof_expired). */
  _Atomic int64_t sample_left;
  _Atomic int64_t sample_armed;
  _Atomic uint64_t nmalloc; /* stats: slots handed out, up to the last arming */
  _Atomic uint64_t nfree;
  uint16_t start_used; /* bytes taken from the start-up span */
  uint8_t sample_on;
  _Atomic uint32_t arm_seq; /* odd while the owner re-arms the countdown */
};

struct mcache {
  /* alloc[] and the tiny fields first: esc_no_cache has only these. */
  struct mspan *alloc[ESC_NUM_SPANCLASSES];
  uintptr_t tiny;            /* current tiny block, 0 if none */
  _Atomic uint32_t *tiny_word; /* its start/end/active word */
  uint32_t tiny_offset;
  uint32_t nqueued; /* pages of the spans queued since the last collection */
  /* The start-up span (startspan.h), NULL once retired or for every cache
   * but the process's first: a class with no current span takes its
   * objects there until it has taken its budget (cls[].start_used). */
  struct mspan *start;
  struct mcache *next, *prev; /* registry, under its lock */
  struct esc_bulk_counters stats;
  /* Then what the first allocations touch per class, low classes first:
   * with the record placed after the start-up span's records (mcache.c),
   * alloc[] and the classes up to about 90 share the second page of the
   * metadata chunk. */
  struct mcache_class cls[ESC_SAMPLE_COUNTDOWNS];
  /* Colder: spans parked per class, and the span classes into whose
   * mcentral this thread queued a span (a bit per span class), collected
   * when it exits. */
  struct mspan *owned[ESC_NUM_SPANCLASSES];
  uint8_t nowned[ESC_NUM_SPANCLASSES];
  uint64_t queued[(ESC_NUM_SPANCLASSES + 63) / 64];
};

ESC_HIDDEN extern struct mspan esc_empty_span;
ESC_HIDDEN extern _Thread_local struct mcache *esc_tls_cache
    __attribute__((tls_model("initial-exec")));
/* What the inlined fast paths use: the same cache, or ESC_NO_CACHE (a
 * thread before its first allocation, ESCALLOC_DEBUG=1, a forwarding copy,
 * an exiting thread), so that every operation takes a slow path and the
 * fast paths carry no test for any of these: not even for NULL. */
ESC_HIDDEN extern _Thread_local struct mcache *esc_tls_fast
    __attribute__((tls_model("initial-exec")));
/* ESC_NO_CACHE: the head of a struct mcache (alloc[] and the tiny fields,
 * read-only) whose spans are all esc_empty_span, so an allocation fast path
 * finds no free slot, and whose tiny block is 0, so the tiny allocator
 * starts a block; no span's fast_owner is it, so the free fast path misses
 * too.  The slow paths compare with it before they use any other field. */
#define ESC_NO_CACHE_WORDS (ESC_NUM_SPANCLASSES + 3)
ESC_HIDDEN extern const uintptr_t esc_no_cache[ESC_NO_CACHE_WORDS];
#define ESC_NO_CACHE ((struct mcache *)(uintptr_t)esc_no_cache)
_Static_assert(offsetof(struct mcache, alloc) == 0 &&
                   offsetof(struct mcache, tiny_offset) + sizeof(uint32_t) <= ESC_NO_CACHE_WORDS * sizeof(uintptr_t),
               "esc_no_cache covers alloc[] and the tiny fields");
/* Counters of exited threads and of frees by threads without a cache (one
 * past its pthread key destructor). */
ESC_HIDDEN extern struct esc_counters esc_exited_stats;
/* Set when the thread's cache was released at its exit: later frees (other
 * destructors) do not create another. */
ESC_HIDDEN extern _Thread_local int esc_tls_exited __attribute__((tls_model("initial-exec")));

/* Creates the calling thread's cache and registers it for thread exit and
 * MemStats.  fast: whether the entry points' fast paths may use it
 * (esc_tls_fast); not with ESCALLOC_DEBUG or in a copy that forwards, which
 * the caller (malloc.c) knows.  NULL when out of memory. */
ESC_HIDDEN struct mcache *mcache_create(int fast);
/* The cache records, from the page heap's metadata allocator (esc_heap.lock):
 * inuse counts the live caches. */
ESC_HIDDEN extern struct esc_fixalloc mcache_records;
/* Slow path of an allocation in span class spc: finds a span with a free
 * slot and allocates from it (not counted, as mcache_alloc); NULL when out
 * of memory. */
ESC_HIDDEN void *mcache_refill_alloc(struct mcache *c, uint32_t spc);
/* Adds all counters (exited threads included) into *sum. */
ESC_HIDDEN void mcache_fold_stats(struct esc_counters *sum);
/* Arms sampling countdown `which` of the calling thread's cache c with
 * `left` (allocations, or bytes for ESC_SAMPLE_BYTES). */
ESC_HIDDEN void mcache_arm_countdown(struct mcache *c, uint32_t which, int64_t left);
/* Every sampling countdown of the calling thread expires at its next
 * allocation, so that a new profiling rate applies at once. */
ESC_HIDDEN void mcache_restart_sampling(void);
static inline uint32_t mcache_owned_limit(uint32_t spc) {
  uint32_t n = ESC_OWNED_PAGES / escalloc_class_to_npages[esc_spanclass_sizeclass(spc)];
  return n < ESC_OWNED_MAX ? n : ESC_OWNED_MAX;
}

/* Gives the calling thread's spans back to the mcentrals (empty ones go to
 * the heap), as Go's FreeOSMemory flushes the mcaches. */
ESC_HIDDEN void mcache_release_spans(void);
/* The tiny block's word in its span's side table (mspan.tiny; the tiny
 * allocator in malloc.c sets and clears the bits):
 *     bits  0..15  an object starts at this offset (ESC_TINY_STARTS)
 *     bits 16..30  an object ends at offset (bit - 16)
 *     bit  31      the block is some mcache's current tiny block
 * Whoever leaves the word with no start bit and no active bit frees the
 * block. */
#define ESC_TINY_STARTS 0xffffu
#define ESC_TINY_ACTIVE 0x80000000u
/* Retires c's current tiny block: clears its active bit, and frees the block
 * if no object in it is live. */
ESC_HIDDEN void mcache_tiny_retire(struct mcache *c);

/* Collects the spans c queued (mcentral_drain of each class in queued[]). */
ESC_HIDDEN void mcache_drain_queued(struct mcache *c);

/* mcache_free_remote off its one-CAS case: p goes onto the stack of a span
 * nobody owns, which this free queues on its mcentral (and c records). */
ESC_HIDDEN void mcache_free_remote_queue(struct mcache *c, struct mspan *s, void *p);

/* Frees p into s, which c (NULL: an exiting thread) does not own.  The
 * queueing case is a tail call, so that the callers build no frame. */
static inline void mcache_free_remote(struct mcache *c, struct mspan *s, void *p) {
  if (ESC_LIKELY(mspan_push_remote(s, p)))
    return;
  mcache_free_remote_queue(c, s, p);
}

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ESC_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define ESC_TSAN 1
#endif

/* Owner-only counter increment: a plain read-modify-write, made of relaxed
 * atomics so the memstats reader may load it concurrently.  Compilers emit a
 * relaxed load and store as three instructions; on x86-64 one unlocked add
 * to memory is the same thing (its load and its store are each single-copy
 * atomic, and no other thread writes the counter), and it is on both fast
 * paths.  ThreadSanitizer builds keep the C11 form, which TSan can see. */
static inline void esc_count(_Atomic uint64_t *ctr, uint64_t n) {
#if defined(__x86_64__) && !defined(ESC_TSAN)
  __asm__("addq %1, %0" : "+m"(*(uint64_t *)ctr) : "er"(n));
#else
  atomic_store_explicit(ctr, atomic_load_explicit(ctr, memory_order_relaxed) + n,
                        memory_order_relaxed);
#endif
}

/* Owner-only countdown: subtracts n from *ctr and says whether it went
 * negative.  On x86-64 one subtract from memory and the branch on its sign
 * flag (the same add-to-memory as esc_count, see there); elsewhere and
 * under ThreadSanitizer relaxed atomics. */
static inline int esc_countdown(_Atomic int64_t *ctr, int64_t n) {
#if defined(__x86_64__) && !defined(ESC_TSAN)
  __asm__ goto("subq %1, %0\n\tjs %l[expired]" : "+m"(*(int64_t *)ctr) : "er"(n) : "cc" : expired);
  return 0;
expired:
  return 1;
#else
  int64_t v = atomic_load_explicit(ctr, memory_order_relaxed) - n;
  atomic_store_explicit(ctr, v, memory_order_relaxed);
  return v < 0;
#endif
}

/* Counts one slot of span class spc handed out; true when the class's
 * sampling countdown expired (the caller then calls the profiler).  The
 * runtime built without the profiler counts nmalloc directly. */
static inline int mcache_count_alloc(struct mcache *c, uint32_t spc) {
#ifndef ESCALLOC_NO_PROFILE
  return esc_countdown(&c->cls[spc].sample_left, 1);
#else
  esc_count(&c->cls[spc].nmalloc, 1);
  return 0;
#endif
}

/* Counts n bytes of tiny or large objects; true when that countdown expired. */
static inline int mcache_count_bytes(struct mcache *c, size_t n) {
#ifndef ESCALLOC_NO_PROFILE
  return esc_countdown(&c->cls[ESC_SAMPLE_BYTES].sample_left, (int64_t)n);
#else
  (void)c, (void)n;
  return 0;
#endif
}

/* Pops the head of span s's free list (owner only); NULL when empty. */
static inline void *mspan_pop(struct mspan *s) {
  esc_link *p = s->freelist;
  if (ESC_LIKELY(p != NULL))
    s->freelist = p->next;
  return p;
}

/* The fast path: the head of the current span's free list, not yet counted
 * (the caller counts it with mcache_count_alloc). */
static inline void *mcache_alloc(struct mcache *c, uint32_t spc) {
  void *p = mspan_pop(c->alloc[spc]);
  if (ESC_LIKELY(p != NULL))
    return p;
  return mcache_refill_alloc(c, spc);
}

#endif /* ESCALLOC_MCACHE_H */
