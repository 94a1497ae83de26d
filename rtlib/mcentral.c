/*
 * mcentral.c — per-span-class lists of unowned spans and the ownership
 * protocol between mcaches (Go's mcentral.go; the remote-free stack is
 * mimalloc's thread-free list).  Invariants are in mcentral.h.
 *
 * Owns the unowned spans of each class, the lay-out of a fresh span (its
 * bitmap, and for tiny spans the side table of block words, tiny_tables)
 * and the giving back of empty spans to the page heap.
 * Locks: mcentral.lock (one per span class) guards its partial and full
 * lists and every change of a span's owner; the pending stack is lock-free.
 * Layer: uses mheap.h and base.h only; an mcache is an opaque owner here.
 */
#include "mcentral.h"

#include <stdatomic.h>
#include <string.h>

/* The tiny spans' side tables (a word per 16-byte block, see mcache.h),
 * from the page heap's metadata allocator. */
static struct esc_fixalloc tiny_tables = {.size = (ESCALLOC_PAGE_SIZE / ESC_TINY_BLOCK) * sizeof(uint32_t)};

struct mcentral esc_central[ESC_NUM_SPANCLASSES] = {
    [0 ... ESC_NUM_SPANCLASSES - 1] = {.lock = PTHREAD_MUTEX_INITIALIZER},
};

static struct mcentral *central(uint32_t spc) { return &esc_central[spc]; }

static void list_push(struct mspan **head, struct mspan *s, uint8_t which) {
  s->list = which;
  s->prev = NULL;
  s->next = *head;
  if (*head)
    (*head)->prev = s;
  *head = s;
}

static void list_remove(struct mcentral *m, struct mspan *s) {
  struct mspan **head = s->list == LIST_PARTIAL ? &m->partial : &m->full;
  if (s->prev)
    s->prev->next = s->next;
  else
    *head = s->next;
  if (s->next)
    s->next->prev = s->prev;
  s->next = s->prev = NULL;
  s->list = LIST_NONE;
}

static uint32_t count_allocated(const struct mspan *s) {
  uint32_t n = 0;
  for (unsigned w = 0; w < s->nwords; w++)
    n += (uint32_t)__builtin_popcountll(s->alloc_bits[w]);
  /* The padding bits past nelems are set, not objects. */
  return n - (uint32_t)(s->nwords * 64u - s->nelems);
}

/* Lays out a fresh span of class spc: all slots free. */
static int init_span(struct mspan *s, uint32_t spc) {
  uint32_t cls = esc_spanclass_sizeclass(spc);
  s->spanclass = (uint8_t)spc;
  s->elemsize = escalloc_class_to_size[cls];
  s->divmagic = escalloc_class_to_divmagic[cls];
  s->nelems = escalloc_class_to_nobjs[cls];
  s->nwords = (uint16_t)((s->nelems + 63) / 64);
  s->cur_word = 0;
  s->freelist = NULL;
  s->alloc_count = 0;
  memset(s->alloc_bits, 0, sizeof s->alloc_bits);
  memset((void *)s->prof_bits, 0, sizeof s->prof_bits);
  if (s->nelems % 64)
    s->alloc_bits[s->nwords - 1] = ~0ull << (s->nelems % 64);
  if (spc == ESC_TINY_SPANCLASS) {
    s->tiny = mheap_alloc_meta(&tiny_tables);
    if (!s->tiny)
      return 0;
  }
  return 1;
}

uint32_t mspan_apply_frees(struct mspan *s, uintptr_t list) {
  uint32_t n = 0;
  while (list) {
    uintptr_t p = list;
    list = *(uintptr_t *)p;
    uintptr_t idx = mspan_index(s, (void *)p);
    uint64_t bit = 1ull << (idx & 63);
    if (ESC_UNLIKELY(!(s->alloc_bits[idx >> 6] & bit)))
      esc_fatal("double free", (void *)p);
    s->alloc_bits[idx >> 6] &= ~bit;
    n++;
  }
  return n;
}

/* Enough free slots to be taken (mspan_reuse_threshold). */
static int worth_taking(const struct mspan *s) {
  return s->nelems - s->alloc_count >= mspan_reuse_threshold(s);
}

/* Gives the empty span s back to the page heap, its side table first. */
static void span_to_heap(struct mspan *s) {
  if (s->tiny) {
    mheap_free_meta(&tiny_tables, (void *)s->tiny);
    s->tiny = NULL;
  }
  mheap_free(s);
}

static void file_unowned(struct mcentral *m, struct mspan *s) {
  /* A queued span stays (as partial) until the drain that pops it. */
  if (s->alloc_count == 0 && !(atomic_load_explicit(&s->xfree, memory_order_relaxed) & ESC_XFREE_QUEUED)) {
    m->nspans--;
    span_to_heap(s);
  } else if (worth_taking(s)) {
    list_push(&m->partial, s, LIST_PARTIAL);
  } else {
    list_push(&m->full, s, LIST_FULL);
  }
}

static void drain_locked(struct mcentral *m);

static void take_ownership(struct mspan *s, struct mcache *c) {
  /* Frees pushed since the span was last collected are applied now. */
  uintptr_t x = atomic_load_explicit(&s->xfree, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&s->xfree, &x, ESC_XFREE_OWNED | (x & ESC_XFREE_QUEUED),
                                                memory_order_acquire, memory_order_relaxed))
    ;
  mspan_apply_frees(s, x & ~ESC_XFREE_FLAGS);
  atomic_store_explicit(&s->owner, c, memory_order_relaxed);
  mspan_set_fast_owner(s);
  s->list = LIST_NONE;
  uint16_t w = 0;
  while (w < s->nwords && s->alloc_bits[w] == ~0ull)
    w++;
  s->cur_word = w;
}

struct mspan *mcentral_cache_span(uint32_t spc, struct mcache *c) {
  struct mcentral *m = central(spc);
  pthread_mutex_lock(&m->lock);
  drain_locked(m);
  struct mspan *s = m->partial;
  if (s) {
    list_remove(m, s);
    take_ownership(s, c);
    pthread_mutex_unlock(&m->lock);
    return s;
  }
  pthread_mutex_unlock(&m->lock);

  uint32_t cls = esc_spanclass_sizeclass(spc);
  s = mheap_alloc(escalloc_class_to_npages[cls], 1, SPAN_SMALL);
  if (!s)
    return NULL;
  if (!init_span(s, spc)) {
    span_to_heap(s);
    return NULL;
  }
  pthread_mutex_lock(&m->lock);
  m->nspans++;
  take_ownership(s, c);
  pthread_mutex_unlock(&m->lock);
  return s;
}

void mcentral_uncache_span(struct mspan *s) {
  struct mcentral *m = central(s->spanclass);
  pthread_mutex_lock(&m->lock);
  /* From here on remote frees see no OWNED bit and queue the span. */
  uintptr_t x = atomic_load_explicit(&s->xfree, memory_order_relaxed);
  while (!atomic_compare_exchange_weak_explicit(&s->xfree, &x, x & ESC_XFREE_QUEUED, memory_order_acquire,
                                                memory_order_relaxed))
    ;
  uintptr_t list = x & ~ESC_XFREE_FLAGS;
  atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
  mspan_set_fast_owner(s);
  mspan_apply_frees(s, list);
  s->alloc_count = count_allocated(s);
  file_unowned(m, s);
  pthread_mutex_unlock(&m->lock);
}

int mcentral_free_remote(struct mspan *s, void *p) {
  uintptr_t old = atomic_load_explicit(&s->xfree, memory_order_relaxed), next;
  do {
    *(uintptr_t *)p = old & ~ESC_XFREE_FLAGS;
    next = (uintptr_t)p | (old & ESC_XFREE_FLAGS);
    if (!(old & ESC_XFREE_FLAGS))
      next |= ESC_XFREE_QUEUED; /* unowned and not queued: this free queues it */
  } while (!atomic_compare_exchange_weak_explicit(&s->xfree, &old, next, memory_order_release,
                                                  memory_order_relaxed));
  if (old & ESC_XFREE_FLAGS)
    return 0;
  /* QUEUED keeps s out of the heap until a drain pops it, and spanclass
   * stays valid meanwhile. */
  struct mcentral *m = central(s->spanclass);
  struct mspan *head = atomic_load_explicit(&m->pending, memory_order_relaxed);
  do
    s->qnext = head;
  while (!atomic_compare_exchange_weak_explicit(&m->pending, &head, s, memory_order_release,
                                                memory_order_relaxed));
  return 1;
}

/* Collects the pending spans of m; m->lock held. */
static void drain_locked(struct mcentral *m) {
  if (!atomic_load_explicit(&m->pending, memory_order_relaxed))
    return;
  struct mspan *s = atomic_exchange_explicit(&m->pending, NULL, memory_order_acquire);
  while (s) {
    struct mspan *next = s->qnext; /* before QUEUED is cleared: a free may queue s again */
    uintptr_t x = atomic_load_explicit(&s->xfree, memory_order_relaxed), keep;
    do /* an owned span's owner collects its stack: just unqueue it */
      keep = x & ESC_XFREE_OWNED ? x & ~ESC_XFREE_QUEUED : 0;
    while (!atomic_compare_exchange_weak_explicit(&s->xfree, &x, keep, memory_order_acquire,
                                                  memory_order_relaxed));
    if (!(x & ESC_XFREE_OWNED)) {
      int was_full = s->list == LIST_FULL;
      s->alloc_count -= mspan_apply_frees(s, x & ~ESC_XFREE_FLAGS);
      if ((was_full && worth_taking(s)) || s->alloc_count == 0) {
        list_remove(m, s);
        file_unowned(m, s);
      }
    }
    s = next;
  }
}

void mcentral_drain(uint32_t spc) {
  struct mcentral *m = central(spc);
  if (!atomic_load_explicit(&m->pending, memory_order_relaxed))
    return;
  pthread_mutex_lock(&m->lock);
  drain_locked(m);
  pthread_mutex_unlock(&m->lock);
}

void mcentral_drain_all(void) {
  for (uint32_t spc = 0; spc < ESC_NUM_SPANCLASSES; spc++)
    mcentral_drain(spc);
}

void mcentral_lock_all(void) {
  for (unsigned i = 0; i < ESC_NUM_SPANCLASSES; i++)
    pthread_mutex_lock(&esc_central[i].lock);
}

void mcentral_unlock_all(void) {
  for (unsigned i = ESC_NUM_SPANCLASSES; i-- > 0;)
    pthread_mutex_unlock(&esc_central[i].lock);
}

void mcentral_reinit_locks(void) {
  for (unsigned i = 0; i < ESC_NUM_SPANCLASSES; i++)
    pthread_mutex_init(&esc_central[i].lock, NULL);
}
