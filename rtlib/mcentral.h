/*
 * mcentral.h — the spans of one span class that no mcache owns (Go's
 * mcentral.go).
 *
 * Invariants, under mcentral.lock:
 *   - partial holds unowned spans with at least mspan_reuse_threshold free
 *     slots, full those with fewer; span->list says which; an owned span is
 *     in neither.
 *   - An unowned span has an empty remote-free stack (xfree == 0): frees into
 *     it take this lock and clear its alloc bit directly, so its alloc_count
 *     and alloc_bits are exact.
 *   - A span changes owner (xfree's OWNED bit and span->owner) only under this
 *     lock, which is how a remote free decides between pushing and locking.
 *   - A span whose last object is freed while unowned goes back to the heap.
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
};

ESC_HIDDEN extern struct mcentral esc_central[ESC_NUM_SPANCLASSES];

/* A span of class spc with a free slot, now owned by c; NULL when out of
 * memory. */
ESC_HIDDEN struct mspan *mcentral_cache_span(uint32_t spc, struct mcache *c);
/* Gives up c's ownership of s: applies remote frees, files it as partial or
 * full, or returns it to the heap when empty. */
ESC_HIDDEN void mcentral_uncache_span(struct mspan *s);
/* Frees object `idx` of s from a thread that does not own s.  Pushes onto
 * the remote stack while some mcache owns s; else, for a thread with a cache
 * (c), queues it in c->deferred, applied under the lock a batch at a time;
 * without one, clears the bit under the lock now. */
ESC_HIDDEN void mcentral_free_remote(struct mspan *s, void *p, uintptr_t idx, struct mcache *c);
/* Applies c's queued frees of unowned spans (a lock round per class). */
ESC_HIDDEN void mcentral_flush_deferred(struct mcache *c);
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
