/*
 * mcache.c — creating, refilling and retiring per-thread caches (Go's
 * mcache.go), the registry of live caches, thread exit and fork.
 *
 * A thread gets its cache at its first allocation and gives everything back
 * in a pthread key destructor: its spans go to their mcentrals, its counters
 * to esc_exited_stats, the cache record to the heap's metadata allocator.
 * fork() holds every lock across the call; in the child the caches of the
 * threads that did not survive are dropped from the registry (their spans
 * leak: see fork_child).
 *
 * registry_lock guards the registry list and esc_exited_stats.  The
 * sampling countdowns are re-armed without it, inside their sequence count
 * (mcache.h), so a class's first allocation takes no lock.
 *
 * The process's first cache takes the first objects of each small class
 * from the start-up span (startspan.h): mcache_refill_alloc of a class with
 * no current span carves there, within the class's budget, before it takes
 * a span of the class.  Later threads' caches have none: the span is for a
 * process's start-up, where each class's own first page is the cost.
 *
 * Layer: uses mcentral.h, startspan.h, mheap.h and base.h.  Whether a new cache may serve
 * the fast paths (not under ESCALLOC_DEBUG or in a forwarding copy) is its
 * caller's decision (malloc.c's cache_create).  It retires the tiny block
 * itself (mcache_tiny_retire), whose word format mcache.h defines.
 */
#include "mcache.h"

#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "escalloc/escalloc.h"
#include "profile.h"

/* No freelist, every bit set: the fast path always falls to
 * mcache_refill_alloc. */
struct mspan esc_empty_span = {
    .state = SPAN_SMALL,
    .nwords = 1,
    .alloc_bits = {~0ull},
};

_Thread_local struct mcache *esc_tls_cache __attribute__((tls_model("initial-exec")));
const uintptr_t esc_no_cache[ESC_NO_CACHE_WORDS] = {[0 ... ESC_NUM_SPANCLASSES - 1] = (uintptr_t)&esc_empty_span};
_Thread_local struct mcache *esc_tls_fast __attribute__((tls_model("initial-exec"))) = ESC_NO_CACHE;
_Thread_local int esc_tls_exited __attribute__((tls_model("initial-exec")));
struct esc_counters esc_exited_stats;

static ESC_EARLY pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static ESC_EARLY struct mcache *registry;
static ESC_EARLY pthread_key_t cache_key;
static ESC_EARLY esc_once_t key_once; /* pthread_key_create takes no lock */
struct esc_fixalloc mcache_records = {.size = sizeof(struct mcache)};

static void mcache_release(struct mcache *c);
static void uncache(struct mspan *s);

static void thread_exit(void *arg) {
  struct mcache *c = arg;
  esc_tls_cache = NULL;
  esc_tls_fast = ESC_NO_CACHE;
  esc_tls_exited = 1;
  mcache_release(c);
}

static void make_key(void) { pthread_key_create(&cache_key, thread_exit); }

/* Whether a cache was made in this process: only the first gets a start-up
 * span. */
static ESC_EARLY _Atomic int start_given;

struct mcache *mcache_create(int fast) {
  esc_once(&key_once, make_key);
  /* The start-up span first: its records (table, arena, spans) come first
   * in the fresh metadata chunk, and the cache's alloc[] and its low
   * classes' cls[] share the page where they end (mcache.h). */
  struct mspan *start = NULL;
  /* Not under memcheck, whose slots carry valgrind.c's gaps anyway. */
  if (!atomic_exchange_explicit(&start_given, 1, memory_order_relaxed) && !esc_vg_running())
    start = startspan_new(); /* NULL (out of memory): the classes' own spans */
  struct mcache *c = mheap_alloc_meta(&mcache_records);
  if (!c) {
    if (start)
      startspan_retire(start);
    return NULL;
  }
  for (unsigned i = 0; i < ESC_NUM_SPANCLASSES; i++)
    c->alloc[i] = &esc_empty_span;
  c->start = start;
  pthread_mutex_lock(&registry_lock);
  c->next = registry;
  if (registry)
    registry->prev = c;
  registry = c;
  pthread_mutex_unlock(&registry_lock);
  esc_tls_cache = c;
  esc_tls_fast = fast ? c : ESC_NO_CACHE;
  pthread_setspecific(cache_key, c);
  return c;
}

static void bulk_add(struct esc_bulk_counters *dst, struct esc_bulk_counters *src) {
#define ADD(f) atomic_fetch_add_explicit(&dst->f, atomic_load_explicit(&src->f, memory_order_relaxed), memory_order_relaxed)
  ADD(tiny_allocs);
  ADD(tiny_frees);
  ADD(large_allocs);
  ADD(large_frees);
  ADD(large_alloc_bytes);
  ADD(large_free_bytes);
#undef ADD
}

static void counters_add(struct esc_counters *dst, struct esc_counters *src) {
  for (unsigned i = 0; i < ESC_NUM_SPANCLASSES; i++) {
    atomic_fetch_add_explicit(&dst->nmalloc[i], atomic_load_explicit(&src->nmalloc[i], memory_order_relaxed), memory_order_relaxed);
    atomic_fetch_add_explicit(&dst->nfree[i], atomic_load_explicit(&src->nfree[i], memory_order_relaxed), memory_order_relaxed);
  }
  bulk_add(&dst->bulk, &src->bulk);
}

/* Slots of k handed out: nmalloc + sample_armed - sample_left, read between
 * two equal even arm_seq counts (mcache.h); any thread.  nowait: no thread
 * will finish a re-arm in progress, so an odd count is not waited for: k is
 * the calling thread's own (a signal handler interrupted its re-arming) or
 * its owner did not survive fork (fork_child).  Then nmalloc alone, the
 * count up to the last arming (a lag of at most the countdown's slots, as a
 * running thread's counters may lag anyway). */
static uint64_t class_nmalloc(struct mcache_class *k, int nowait) {
  for (;;) {
    uint32_t seq = atomic_load_explicit(&k->arm_seq, memory_order_acquire);
    if (seq & 1) {
      if (nowait)
        return atomic_load_explicit(&k->nmalloc, memory_order_relaxed);
      sched_yield(); /* the owner is re-arming */
      continue;
    }
    uint64_t n = atomic_load_explicit(&k->nmalloc, memory_order_relaxed) +
                 (uint64_t)(atomic_load_explicit(&k->sample_armed, memory_order_relaxed) -
                            atomic_load_explicit(&k->sample_left, memory_order_relaxed));
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&k->arm_seq, memory_order_relaxed) == seq)
      return n;
  }
}

/* Adds c's counters into dst, slots handed out included (the sampling
 * countdowns count them, see mcache.h); registry_lock held.  owner_gone:
 * c's thread did not survive fork. */
static void cache_counters_add(struct esc_counters *dst, struct mcache *c, int owner_gone) {
  int nowait = owner_gone || c == esc_tls_cache;
  bulk_add(&dst->bulk, &c->stats);
  for (unsigned spc = 0; spc < ESC_NUM_SPANCLASSES; spc++) {
    struct mcache_class *k = &c->cls[spc];
    atomic_fetch_add_explicit(&dst->nmalloc[spc], class_nmalloc(k, nowait), memory_order_relaxed);
    atomic_fetch_add_explicit(&dst->nfree[spc], atomic_load_explicit(&k->nfree, memory_order_relaxed),
                              memory_order_relaxed);
  }
}

void mcache_arm_countdown(struct mcache *c, uint32_t which, int64_t left) {
  struct mcache_class *k = &c->cls[which];
  if (which == ESC_SAMPLE_BYTES) { /* not part of any statistic */
    atomic_store_explicit(&k->sample_left, left, memory_order_relaxed);
    return;
  }
  /* The slots counted since the last arming move into nmalloc; no lock
   * (a class's first allocation arms its countdown): the sequence count
   * tells a reader (class_nmalloc) to retry. */
  uint32_t seq = atomic_load_explicit(&k->arm_seq, memory_order_relaxed);
  atomic_store_explicit(&k->arm_seq, seq + 1, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  int64_t used = atomic_load_explicit(&k->sample_armed, memory_order_relaxed) -
                 atomic_load_explicit(&k->sample_left, memory_order_relaxed);
  atomic_store_explicit(&k->nmalloc, atomic_load_explicit(&k->nmalloc, memory_order_relaxed) + (uint64_t)used,
                        memory_order_relaxed);
  atomic_store_explicit(&k->sample_armed, left, memory_order_relaxed);
  atomic_store_explicit(&k->sample_left, left, memory_order_relaxed);
  atomic_store_explicit(&k->arm_seq, seq + 2, memory_order_release);
}

void mcache_restart_sampling(void) {
  struct mcache *c = esc_tls_cache;
  if (!c)
    return;
  for (uint32_t which = 0; which < ESC_SAMPLE_COUNTDOWNS; which++) {
    c->cls[which].sample_on = 0; /* a fresh start: no sample owed */
    mcache_arm_countdown(c, which, 0);
  }
}

void mcache_tiny_retire(struct mcache *c) {
  if (!c->tiny)
    return;
  uint32_t old = atomic_fetch_and_explicit(c->tiny_word, ~ESC_TINY_ACTIVE, memory_order_acq_rel);
  void *block = (void *)c->tiny;
  c->tiny = 0;
  c->tiny_word = NULL;
  if (old & ESC_TINY_STARTS)
    return; /* the block's last free frees it */
  struct mspan *s = span_of(block);
  esc_count(&c->cls[ESC_TINY_SPANCLASS].nfree, 1);
  if (atomic_load_explicit(&s->owner, memory_order_relaxed) == c) {
    uintptr_t idx = mspan_index(s, block);
    uint64_t bit = 1ull << (idx & 63);
    if (ESC_UNLIKELY(!(s->alloc_bits[idx >> 6] & bit)))
      esc_fatal("double free", block);
    s->alloc_bits[idx >> 6] &= ~bit;
  } else {
    mcache_free_remote(c, s, block);
  }
}

/* Hands every span and the tiny block back to the mcentrals, and retires
 * the start-up span (its objects stay valid; it goes back to the heap with
 * the last of them). */
static void mcache_return_spans(struct mcache *c) {
  mcache_tiny_retire(c);
  if (c->start) {
    startspan_retire(c->start);
    c->start = NULL;
  }
  for (unsigned spc = 0; spc < ESC_NUM_SPANCLASSES; spc++) {
    if (c->alloc[spc] != &esc_empty_span)
      uncache(c->alloc[spc]);
    c->alloc[spc] = &esc_empty_span;
    while (c->owned[spc]) {
      struct mspan *s = c->owned[spc];
      c->owned[spc] = s->next;
      s->next = s->prev = NULL;
      uncache(s);
    }
    c->nowned[spc] = 0;
  }
  /* Collect what this thread queued, so that a thread that frees and exits
   * leaves no work (and no empty spans) behind. */
  mcache_drain_queued(c);
}

void mcache_free_remote_queue(struct mcache *c, struct mspan *s, void *p) {
  /* Read before the push: once p is pushed, another thread's collection
   * may give s back to the heap. */
  uint32_t spc = s->spanclass, npages = (uint32_t)s->npages;
  if (mcentral_free_remote(s, p) && c) {
    c->queued[spc >> 6] |= 1ull << (spc & 63);
    c->nqueued += npages;
    if (c->nqueued >= ESC_QUEUED_DRAIN_PAGES)
      mcache_drain_queued(c);
  }
}

void mcache_drain_queued(struct mcache *c) {
  for (unsigned i = 0; i < sizeof c->queued / sizeof c->queued[0]; i++)
    for (uint64_t b = c->queued[i]; b; b &= b - 1)
      mcentral_drain(i * 64 + (unsigned)__builtin_ctzll(b));
  memset(c->queued, 0, sizeof c->queued);
  c->nqueued = 0;
}

void mcache_release_spans(void) {
  struct mcache *c = esc_tls_cache;
  if (c)
    mcache_return_spans(c);
  mcentral_drain_all();
}

/* Removes c from the registry of caches; registry_lock held. */
static void registry_unlink(struct mcache *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    registry = c->next;
  if (c->next)
    c->next->prev = c->prev;
}

/* Hands everything back and unlinks c; registry_lock held. */
static void mcache_flush(struct mcache *c) {
  mcache_return_spans(c);
  cache_counters_add(&esc_exited_stats, c, 0);
  registry_unlink(c);
}

static void mcache_release(struct mcache *c) {
  pthread_mutex_lock(&registry_lock);
  mcache_flush(c);
  pthread_mutex_unlock(&registry_lock);
  mheap_free_meta(&mcache_records, c);
}

void mcache_fold_stats(struct esc_counters *sum) {
  pthread_mutex_lock(&registry_lock);
  counters_add(sum, &esc_exited_stats);
  for (struct mcache *c = registry; c; c = c->next)
    cache_counters_add(sum, c, 0);
  pthread_mutex_unlock(&registry_lock);
}

/* Gives s's freelist back to its bitmap (the owner, before s leaves it).
 * A slot whose bit is already clear was freed twice (the list may then be a
 * cycle: the cleared bit also ends the walk). */
static void flush_list(struct mspan *s) {
  for (esc_link *p = s->freelist; p; p = p->next) {
    uintptr_t idx = mspan_index(s, p);
    uint64_t bit = 1ull << (idx & 63);
    if (ESC_UNLIKELY(!(s->alloc_bits[idx >> 6] & bit)))
      esc_fatal("double free", p);
    s->alloc_bits[idx >> 6] &= ~bit;
  }
  s->freelist = NULL;
}

/* Gives up the calling thread's ownership of s. */
static void uncache(struct mspan *s) {
  flush_list(s);
  mcentral_uncache_span(s);
}

/* Slots a refill moves to the freelist at a time (see ESC_REFILL_BYTES):
 * one under ESCALLOC_DEBUG, so that every free is checked against the
 * bitmap there. */
static uint32_t refill_slots(const struct mspan *s) {
  uint32_t n = ESC_REFILL_BYTES / s->elemsize;
  return n == 0 || esc_settings.debug ? 1 : n;
}

/* Takes free slots of s's bitmap from word cur_word up (sets their bits):
 * returns the first and puts the others (refill_slots in all, at most) on
 * the freelist, which is empty; NULL when no word from cur_word up has a
 * free slot. */
static void *take_from_bitmap(struct mspan *s) {
  for (uint32_t w = s->cur_word; w < s->nwords; w++) {
    uint64_t holes = ~s->alloc_bits[w];
    if (!holes)
      continue;
    s->cur_word = (uint16_t)w;
    uint32_t left = refill_slots(s);
    uint64_t taken = holes & -holes;
    holes ^= taken;
    uintptr_t base = s->base + (uintptr_t)w * 64 * s->elemsize;
    void *first = (void *)(base + (uintptr_t)__builtin_ctzll(taken) * s->elemsize);
    /* Memory never used (a fresh span: needzero 0) is linked only up to the
     * end of the OS page of the first slot, which the caller touches anyway:
     * a process's first spans then fault one page each, not two. */
    uintptr_t limit = s->needzero ? UINTPTR_MAX : ((uintptr_t)first | (ESC_OS_PAGE_SIZE - 1)) + 1;
    esc_link **tail = &s->freelist;
    while (holes && --left) {
      uint64_t bit = holes & -holes;
      esc_link *p = (esc_link *)(base + (uintptr_t)__builtin_ctzll(bit) * s->elemsize);
      if ((uintptr_t)p >= limit)
        break;
      holes ^= bit;
      taken |= bit;
      *tail = p;
      tail = &p->next;
    }
    *tail = NULL;
    s->alloc_bits[w] |= taken;
    return first;
  }
  return NULL;
}

/* A slot of s, which c owns: its freelist's head, or from its bitmap. */
static void *take_slot(struct mspan *s) {
  void *p = mspan_pop(s);
  return p ? p : take_from_bitmap(s);
}

/* Puts `list`, s's remote stack just taken, in front of s's freelist as it
 * is linked (its slots' bits are set: they were allocated).  Returns its
 * length.  A slot freed twice before the collection made the stack a cycle
 * (its second push overwrote its link): a walk longer than the span's
 * slots is a double free. */
static uint32_t relink(struct mspan *s, esc_link *list) {
  uint32_t n = 1;
  esc_link *last = list;
  for (; last->next; last = last->next)
    if (ESC_UNLIKELY(++n > s->nelems))
      esc_fatal("double free (an object freed twice by other threads)", last);
  last->next = s->freelist;
  s->freelist = list;
  return n;
}

/* Makes s current again if it has room enough: picks up remote frees and,
 * with at least mspan_reuse_threshold free slots (on its freelist, and
 * counted in the bitmap: the frees keep no counter, which saved the free
 * fast path a write), moves its refill position to its first word with a
 * free slot. */
static int revive(struct mspan *s) {
  /* A plain load first: the exchange takes the line from the freeing
   * threads, so skip it when there is nothing to take. */
  uint32_t need = mspan_reuse_threshold(s), nfree = 0;
  esc_link *old = s->freelist;
  if (atomic_load_explicit(&s->xfree, memory_order_relaxed) & ~ESC_XFREE_FLAGS) {
    /* Takes the stack, keeps the flags (a QUEUED span stays queued). */
    uintptr_t list = atomic_fetch_and_explicit(&s->xfree, ESC_XFREE_FLAGS, memory_order_acquire) &
                     ~ESC_XFREE_FLAGS;
    /* Onto the freelist as it is linked: no refill has to find and link
     * its slots again, and the bitmap does not change. */
    nfree = relink(s, (esc_link *)list);
  }
  uint16_t first = s->nwords;
  for (uint16_t w = s->nwords; w-- > 0;) {
    uint64_t holes = ~s->alloc_bits[w];
    if (holes) {
      nfree += (uint32_t)__builtin_popcountll(holes);
      first = w;
    }
  }
  /* The freelist's older slots count too (walked no further than needed). */
  for (esc_link *p = old; p && nfree < need; p = p->next)
    nfree++;
  if (nfree < need)
    return 0;
  s->cur_word = first;
  s->needzero = 1; /* its first pass is over: refills link whole batches again */
  return 1;
}

/* owned[spc] is a FIFO: parked spans join at the tail and the refill looks
 * from the head, so a span gets time to collect frees before it is revived
 * (reviving the span just exhausted would yield the one or two objects freed
 * meanwhile, then exhaust again).  The head's prev is the tail. */
static void owned_push(struct mcache *c, uint32_t spc, struct mspan *s) {
  struct mspan *h = c->owned[spc];
  s->list = LIST_OWNED;
  s->next = NULL;
  if (!h) {
    s->prev = s;
    c->owned[spc] = s;
  } else {
    struct mspan *t = h->prev;
    t->next = s;
    s->prev = t;
    h->prev = s;
  }
  c->nowned[spc]++;
}

static void owned_remove(struct mcache *c, uint32_t spc, struct mspan *s) {
  struct mspan *h = c->owned[spc];
  if (s == h) {
    c->owned[spc] = s->next;
    if (s->next)
      s->next->prev = h->prev;
  } else {
    s->prev->next = s->next;
    if (s->next)
      s->next->prev = s->prev;
    else
      h->prev = s->prev;
  }
  s->next = s->prev = NULL;
  s->list = LIST_NONE;
  c->nowned[spc]--;
}

/* An object of span class spc from c's start-up span, or NULL: the class
 * has taken its budget, its slots are too large, or the span is full (then
 * it is retired). */
static void *start_alloc(struct mcache *c, uint32_t spc) {
  uint32_t size = escalloc_class_to_size[esc_spanclass_sizeclass(spc)];
  uint32_t budget = size * ESC_START_CLASS_OBJECTS;
  if (budget > ESC_START_CLASS_BYTES)
    budget = ESC_START_CLASS_BYTES;
  if (spc == ESC_TINY_SPANCLASS || size > ESC_START_MAX_SIZE || c->cls[spc].start_used + size > budget)
    return NULL;
  void *p = startspan_alloc(c->start, spc, size);
  if (!p) {
    startspan_retire(c->start);
    c->start = NULL;
    return NULL;
  }
  c->cls[spc].start_used = (uint16_t)(c->cls[spc].start_used + size);
  return p;
}

void *mcache_refill_alloc(struct mcache *c, uint32_t spc) {
  struct mspan *s = c->alloc[spc];
  if (ESC_UNLIKELY(c->start != NULL) && s == &esc_empty_span) {
    void *p = start_alloc(c, spc);
    if (p)
      return p;
  }
  if (s != &esc_empty_span) {
    /* The freelist is empty (the fast path came here).  The bitmap is taken
     * from the refill position up; at its end the span wraps around once to
     * pick up what others freed behind it. */
    void *p = take_from_bitmap(s);
    if (p)
      return p;
    if (revive(s))
      return take_slot(s);
    owned_push(c, spc, s);
    c->alloc[spc] = &esc_empty_span;
  }
  /* A span this thread still owns that has room again.  Look at a few from
   * the head (the longest parked); one with nothing goes to the tail, so the
   * next refill looks at others (xfree's line is shared with the freeing
   * threads: every look costs). */
  for (int tries = 0; tries < ESC_OWNED_LOOK && c->owned[spc]; tries++) {
    struct mspan *t = c->owned[spc];
    owned_remove(c, spc, t);
    if (revive(t)) {
      c->alloc[spc] = t;
      return take_slot(t);
    }
    owned_push(c, spc, t);
  }
  /* Keep at most mcache_owned_limit waiting: the one parked last (the
   * fullest) goes back to its mcentral. */
  while (c->nowned[spc] > mcache_owned_limit(spc)) {
    struct mspan *t = c->owned[spc]->prev;
    owned_remove(c, spc, t);
    uncache(t);
  }
  struct mspan *n = mcentral_cache_span(spc, c);
  if (!n)
    return NULL;
  c->alloc[spc] = n;
  return take_slot(n);
}

/* --- fork ---------------------------------------------------------------- */

static void fork_prepare(void) {
  pthread_mutex_lock(&registry_lock);
  mcentral_lock_all();
  pthread_mutex_lock(&esc_heap.lock);
}

static void fork_parent(void) {
  pthread_mutex_unlock(&esc_heap.lock);
  mcentral_unlock_all();
  pthread_mutex_unlock(&registry_lock);
}

/* Only the forking thread lives on, and its locks are re-created.  The
 * caches of the threads that did not survive are NOT reclaimed: fork() may
 * have stopped their owners in the middle of owner-only updates (a span
 * between the owned list and alloc[], a half-applied remote stack), which no
 * lock protects, so walking them could hand a span back twice.  The child
 * keeps their counters and leaks their spans and records instead: frees into
 * those spans go to remote stacks that nobody collects.  A child that
 * fork()s to exec() (the common case) loses nothing. */
static void fork_child(void) {
  pthread_mutex_init(&esc_heap.lock, NULL);
  mcentral_reinit_locks();
  pthread_mutex_init(&registry_lock, NULL);
  pthread_mutex_lock(&registry_lock);
  struct mcache *c = registry;
  while (c) {
    struct mcache *next = c->next;
    if (c != esc_tls_cache) {
      cache_counters_add(&esc_exited_stats, c, 1); /* it may have stopped mid re-arm */
      registry_unlink(c);
    }
    c = next;
  }
  pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void mcache_init(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}
