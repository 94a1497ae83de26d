/*
 * mcentral.h — the spans of one span class that no mcache owns (Go's
 * mcentral.go).
 *
 * A free never takes this lock (mimalloc's thread-free list): whoever frees
 * into a span it does not own pushes the object onto the span's xfree stack
 * with one CAS.  The owner collects its spans' stacks when it runs out of
 * room.  An unowned span is collected here: the free that pushes onto an
 * unowned span's stack while it is not QUEUED also sets QUEUED and pushes the
 * span onto `pending` (a second CAS, once per span per collection), and the
 * next thread that takes a span of the class (or mcentral_drain) applies the
 * pending spans' frees under the lock.
 *
 * Invariants, under mcentral.lock:
 *   - partial holds unowned spans with at least mspan_reuse_threshold free
 *     slots, full those with fewer (as of their last collection); span->list
 *     says which; an owned span is in neither.
 *   - An unowned span's alloc_bits and alloc_count are exact except for the
 *     objects on its xfree stack, which is non-empty only while QUEUED.
 *   - QUEUED is set only by the free that then pushes the span onto pending,
 *     and cleared only by the drain that popped it, so a span is on pending
 *     at most once; a QUEUED span never goes back to the heap.
 *   - A span changes owner (xfree's OWNED bit and span->owner) only under this
 *     lock; taking or giving up ownership keeps QUEUED.
 *   - A span whose last object is freed while unowned goes back to the heap
 *     when it is collected.
 * Lock order: mcache registry lock, then mcentral.lock, then mheap.lock.
 */
#ifndef ESCALLOC_MCENTRAL_H
#define ESCALLOC_MCENTRAL_H

#include <pthread.h>

#include "mheap.h"

struct mcentral {
  pthread_mutex_t lock; /* guards partial, full and ownership changes */
  struct mspan *partial;
  struct mspan *full;
  uint64_t nspans; /* small spans of this class taken from the heap, live */
  /* Unowned spans with frees to collect (linked through qnext): pushed
   * lock-free by frees, taken whole under the lock. */
  _Atomic(struct mspan *) pending;
};

ESC_HIDDEN extern struct mcentral esc_central[ESC_NUM_SPANCLASSES];

/* A span of class spc with a free slot, now owned by c; NULL when out of
 * memory. */
ESC_HIDDEN struct mspan *mcentral_cache_span(uint32_t spc, struct mcache *c);
/* Gives up c's ownership of s: applies remote frees, files it as partial or
 * full, or returns it to the heap when empty. */
ESC_HIDDEN void mcentral_uncache_span(struct mspan *s);
/* Frees object p of s from a thread that does not own s: pushes it onto
 * s's xfree stack, and s onto its mcentral's pending stack if nobody owns s
 * and it is not queued yet.  Lock-free.  Returns 1 when it queued s. */
ESC_HIDDEN int mcentral_free_remote(struct mspan *s, void *p);
/* mcentral_free_remote's common case, inline: s has an owner or is queued
 * already, so one CAS pushes p and nothing is queued.  Returns 0 when it did
 * not push (the caller then calls mcentral_free_remote). */
static inline int mspan_push_remote(struct mspan *s, void *p) {
  uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed);
  if (!(old & ESC_XFREE_FLAGS))
    return 0;
  ((esc_link *)p)->next = (esc_link *)(old & ~ESC_XFREE_FLAGS);
  return atomic_compare_exchange_weak_explicit(&s->xfree, &old, (uintptr_t)p | (old & ESC_XFREE_FLAGS),
                                               memory_order_release, memory_order_relaxed);
}
/* Collects the frees into the pending spans of span class spc (files them
 * again, returns empty ones to the heap). */
ESC_HIDDEN void mcentral_drain(uint32_t spc);
ESC_HIDDEN void mcentral_drain_all(void);
/* Applies the remote frees in stack `list` to s (owner or lock held); returns
 * how many objects were freed.  Aborts on a double free. */
ESC_HIDDEN uint32_t mspan_apply_frees(struct mspan *s, uintptr_t list);

ESC_HIDDEN void mcentral_lock_all(void);
ESC_HIDDEN void mcentral_unlock_all(void);
ESC_HIDDEN void mcentral_reinit_locks(void);

/* Free slots that make a span worth taking from the mcentral or reviving
 * from an mcache's owned list: an eighth of its slots (at least one).  A
 * span with fewer waits for more frees, so that a refill serves many
 * allocations instead of one: with random frees across many spans, taking
 * any span with a free slot made nearly every allocation a refill (700
 * instructions per malloc+free with 65536 live 16-byte objects).  At most
 * an eighth of a class's slots wait that way. */
static inline uint32_t mspan_reuse_threshold(const struct mspan *s) {
  return s->nelems >= 16 ? s->nelems / 8u : 1u;
}

static inline uintptr_t mspan_index(const struct mspan *s, const void *p) {
  return (uintptr_t)((((uint64_t)((uintptr_t)p - s->base)) * s->divmagic) >> 32);
}

#endif /* ESCALLOC_MCENTRAL_H */
