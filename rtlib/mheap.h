/*
 * mheap.h — the page heap: arenas of address space reserved from the OS, runs
 * of 8 KiB pages handed out as spans, and the lookup from any address to the
 * span that covers it.
 *
 * Invariants (all under mheap.lock unless noted):
 *   - Every arena is a multiple of 64 MiB, aligned to 64 MiB, registered in the
 *     arena index for each 64 MiB chunk it covers; arenas are never unmapped,
 *     so a span pointer read from the index without the lock stays readable.
 *   - An in-use span (SPAN_SMALL, SPAN_LARGE, SPAN_START) is recorded in spans[] for every
 *     page it covers, so any interior pointer finds it in O(1) without a lock.
 *   - A free span is recorded at its first and last page only, sits in exactly
 *     one free list, and never touches another free span (they coalesce).
 *     The exception is a free span that ends at its arena's end while no
 *     span in use ever covered the arena's last page (!last_recorded): that
 *     page's entry stays NULL, so that a small heap never faults the last
 *     page of spans[] in.  Only the merge of a freed span with the run
 *     before it reads a free span's last entry, and no span starts past
 *     the arena's end.
 *   - released[] has a bit per page returned to the OS (or never touched);
 *     such pages read as zero.  pages_released counts those bits in free spans.
 */
#ifndef ESCALLOC_MHEAP_H
#define ESCALLOC_MHEAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "runtime.h"

#define ESC_ARENA_SHIFT 26 /* 64 MiB */
#define ESC_ARENA_SIZE ((uintptr_t)1 << ESC_ARENA_SHIFT)
#define ESC_ADDR_BITS 47 /* x86-64 user space with 4-level page tables */
#define ESC_MAX_OBJS 1024 /* objects in the span of the smallest class */
#define ESC_SPAN_WORDS (ESC_MAX_OBJS / 64)

/* SPAN_START: the start-up span of mixed classes (startspan.h). */
enum esc_span_state { SPAN_FREE, SPAN_SMALL, SPAN_LARGE, SPAN_START };
/* Where an in-use small span sits (its owner or its mcentral list). */
enum esc_span_list { LIST_NONE, LIST_PARTIAL, LIST_FULL, LIST_OWNED };

/* xfree's low bits (objects are at least 8-aligned): OWNED, the span belongs
 * to an mcache, which collects the stack when it runs out of room; QUEUED,
 * the span is on its mcentral's pending stack (or about to be pushed there
 * by the free that set the bit), so that an unowned span's frees are
 * collected under the mcentral lock at its next refill (mcentral.h). */
#define ESC_XFREE_OWNED ((uintptr_t)1)
#define ESC_XFREE_QUEUED ((uintptr_t)2)
#define ESC_XFREE_FLAGS (ESC_XFREE_OWNED | ESC_XFREE_QUEUED)

struct mcache;
struct esc_arena;
struct esc_start_table;

/* A free slot on its span's free list, linked through its first word. */
typedef struct esc_link {
  struct esc_link *next;
} __attribute__((may_alias)) esc_link;

struct mspan {
  /* The first cache line holds what the malloc and free fast paths read and
   * the owner writes; xfree, which other threads write, is on the next. */
  uintptr_t base;
  /* Owner only: free slots for the owner's next allocations, pushed by the
   * owner's frees and filled from the bitmap by its refills.  A slot on the
   * list has its alloc bit SET (the bitmap sees it as taken), so the list is
   * the owner's private reserve; it is given back to the bitmap
   * (mcache.c's flush_list) before the span leaves its owner. */
  esc_link *freelist;
  _Atomic(struct mcache *) owner;
  /* = owner, except NULL while frees into the span must take the checked
   * path: tiny spans (their blocks are freed only through the tiny path) and
   * spans holding a sampled object (prof_sampled), so the free fast path
   * tests one field.  Set by mspan_set_fast_owner only. */
  _Atomic(struct mcache *) fast_owner;
  uint32_t elemsize;
  uint32_t divmagic;
  uint16_t nelems;
  uint16_t cur_word; /* owner's refill position in alloc_bits; it moves up, then wraps */
  uint8_t spanclass; /* small spans */
  uint8_t state;     /* enum esc_span_state */
  uint8_t needzero;  /* some page may hold old data (a small span: its first
                        pass is over, see mcache.c's take_from_bitmap) */
  uint8_t list;      /* enum esc_span_list */
  uint16_t nwords;   /* alloc_bits words in use */
  uint32_t alloc_count; /* live objects; kept while unowned */
  uintptr_t npages;
  /* Objects freed by threads other than the owner (or by any thread while no
   * mcache owns the span): a stack linked through the objects' first word,
   * | the ESC_XFREE_* flags.  Pushed with one CAS, never under a lock. */
  _Atomic uintptr_t xfree;
  /* Next span on the mcentral's pending stack (while xfree has QUEUED). */
  struct mspan *qnext;
  struct mspan *next, *prev; /* free list, mcentral list or mcache owned list */
  /* Live objects of this span that the heap profiler sampled; changed under
   * the profile lock (profile.h), read by frees off the fast path. */
  _Atomic uint32_t prof_sampled;
  /* 1 = allocated or on the owner's freelist.  Bits past nelems are set so
   * they are never handed out.  Written only by the owner, or under the
   * mcentral lock while unowned. */
  uint64_t alloc_bits[ESC_SPAN_WORDS];
  struct esc_arena *arena;
  uintptr_t released_pages; /* free spans: pages with their released bit set */
  uint64_t free_time;       /* free spans: mheap_now() when last freed */
  union {
    /* Tiny spans: one word per 16-byte block (see malloc.c). */
    _Atomic uint32_t *tiny;
    /* The start-up span: its objects' table (startspan.h). */
    struct esc_start_table *start;
  };
  /* Small spans but tiny ones: a bit per slot whose allocation expired a
   * sampling countdown (so may be sampled), set before the allocation
   * returns and cleared by the free of that slot before the profiler hears
   * of it.  A free into a span with samples calls the profiler (and its
   * lock) only for a slot with its bit set (malloc.c's prof_forget). */
  _Atomic uint64_t prof_bits[ESC_SPAN_WORDS];
};

struct esc_arena {
  uintptr_t base;
  uintptr_t npages;
  _Atomic(struct mspan *) *spans; /* per page */
  uint64_t *released;             /* per page bit */
  struct esc_arena *next;
  int last_recorded; /* spans[npages - 1] was ever written (see above) */
};

/* A free list of fixed-size metadata records (Go's fixalloc), carved from
 * the heap's metadata chunk, which every fixalloc shares (so a process's
 * first cache, arena and spans sit in the same few pages).  Guarded by
 * mheap.lock. */
struct esc_fixalloc {
  size_t size;
  void *free_list;
  uintptr_t inuse;
};

#define ESC_HEAP_BUCKETS 128 /* exact lists for 1..127 pages, [0] for longer runs */

struct mheap {
  pthread_mutex_t lock; /* guards everything in this struct */
  struct mspan *free[ESC_HEAP_BUCKETS];
  uint64_t nonempty[ESC_HEAP_BUCKETS / 64]; /* bit per non-empty exact bucket */
  struct esc_arena *arenas;
  uintptr_t pages_sys;      /* pages in arenas */
  uintptr_t pages_inuse;    /* pages in in-use spans */
  uintptr_t pages_free;     /* pages in free spans */
  uintptr_t pages_released; /* free pages returned to the OS */
  uint64_t bytes_meta;      /* metadata mapped from the OS */
  uint64_t scavenge_ops;    /* madvise calls, for the summary */
  uint64_t scavenge_after;  /* mheap_now() before which paced scavenging finds only young runs */
  char *meta_chunk;         /* the fixallocs' bump region: fresh, zeroed memory */
  size_t meta_left;
  uintptr_t arena_hint;     /* where the next arena is asked for (grow) */
  struct esc_fixalloc span_alloc, arena_alloc;
};

ESC_HIDDEN extern struct mheap esc_heap;

/* Allocates a span of npages pages whose base is aligned to align_pages
 * pages, in state `state`; NULL when the OS refuses memory. */
ESC_HIDDEN struct mspan *mheap_alloc(uintptr_t npages, uintptr_t align_pages, uint8_t state);
/* Returns an in-use span's pages to the heap. */
ESC_HIDDEN void mheap_free(struct mspan *s);
/* Frees the large object p (its span s), re-checked under the lock so two
 * frees of one object cannot both succeed. */
ESC_HIDDEN void mheap_free_large(struct mspan *s, void *p);
ESC_HIDDEN void *mheap_alloc_meta(struct esc_fixalloc *f);       /* locks */
ESC_HIDDEN void mheap_free_meta(struct esc_fixalloc *f, void *p); /* locks */

/* The scavenger's clock: CLOCK_MONOTONIC_COARSE in nanoseconds (a vDSO
 * read, a few milliseconds' resolution). */
ESC_HIDDEN uint64_t mheap_now(void);
/* Scavenging (scavenge.c), mheap.lock held: paced after each page-heap
 * operation, or every free run (escalloc_free_os_memory), up to max_pages. */
ESC_HIDDEN void mheap_scavenge_paced_locked(void);
ESC_HIDDEN uintptr_t mheap_scavenge_locked(uintptr_t max_pages);
ESC_HIDDEN void mheap_mark_released_locked(struct mspan *s);
/* Releases every free page now (takes mheap.lock). */
ESC_HIDDEN void mheap_scavenge_all(void);

/* 64 MiB chunk of the address space -> the part of its arena's spans[] that
 * covers the chunk (16 MiB of zero-fill BSS, touched only where arenas live).
 * Pointing at the page map rather than at the arena saves the free path a
 * dependent load. */
#define ESC_CHUNK_PAGES (ESC_ARENA_SIZE >> ESC_PAGE_SHIFT)
ESC_HIDDEN extern _Atomic(struct mspan *) *_Atomic esc_page_map[(uintptr_t)1 << (ESC_ADDR_BITS - ESC_ARENA_SHIFT)];

/* The span covering p, or NULL if p is not in an arena.  Lock-free; the
 * caller checks the span's state and range. */
static inline struct mspan *span_of(const void *p) {
  uintptr_t a = (uintptr_t)p;
  if (ESC_UNLIKELY((a >> ESC_ADDR_BITS) != 0))
    return NULL;
  _Atomic(struct mspan *) *chunk =
      atomic_load_explicit(&esc_page_map[a >> ESC_ARENA_SHIFT], memory_order_acquire);
  if (ESC_UNLIKELY(!chunk))
    return NULL;
  return atomic_load_explicit(&chunk[(a >> ESC_PAGE_SHIFT) & (ESC_CHUNK_PAGES - 1)],
                              memory_order_relaxed);
}

/* Sets fast_owner from owner, tiny class and prof_sampled (see struct
 * mspan).  Called by the owning thread, or under the mcentral lock when a
 * thread takes the span: no other thread can sample into it meanwhile. */
static inline void mspan_set_fast_owner(struct mspan *s) {
  struct mcache *c = atomic_load_explicit(&s->owner, memory_order_relaxed);
  if (s->state != SPAN_SMALL || s->spanclass == ESC_TINY_SPANCLASS ||
      atomic_load_explicit(&s->prof_sampled, memory_order_relaxed))
    c = NULL;
  atomic_store_explicit(&s->fast_owner, c, memory_order_relaxed);
}

static inline int span_contains(const struct mspan *s, const void *p) {
  uintptr_t a = (uintptr_t)p;
  return a >= s->base && a - s->base < (s->npages << ESC_PAGE_SHIFT);
}

#endif /* ESCALLOC_MHEAP_H */
