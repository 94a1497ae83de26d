/*
 * mheap.c — the page heap (Go's mheap.go, without the garbage collector).
 *
 * Owns the arenas, the free runs of pages and the metadata allocators.  Free
 * runs live in 127 exact-size lists (1..127 pages, a bitmap says which are
 * non-empty) and one list of longer runs searched best-fit.  Freeing a span
 * merges it with free neighbours inside its arena, so two free spans never
 * touch.  Pages handed to an mcentral or to a large object are in use; their
 * bookkeeping (spans[] for every page, reached through esc_page_map) is what
 * span_of() reads without a lock.
 *
 * Invariants are listed in mheap.h; everything here runs under esc_heap.lock
 * (which guards the free lists, the arenas' page tables, the metadata
 * allocators and the heap's counters) except span_of().
 *
 * Layer: above base.c only (the OS's memory, fatal errors).  It knows spans
 * and pages, not size classes' uses: the tiny side tables and the cache
 * records are its callers' fixallocs (mcentral.c, mcache.c).
 */
#include "mheap.h"

#include <errno.h>
#include <string.h>

struct mheap esc_heap = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .span_alloc = {.size = sizeof(struct mspan)},
    .arena_alloc = {.size = sizeof(struct esc_arena)},
};

_Atomic(struct mspan *) *_Atomic esc_page_map[(uintptr_t)1 << (ESC_ADDR_BITS - ESC_ARENA_SHIFT)];

#define META_CHUNK ((size_t)256 << 10)

/* --- metadata ------------------------------------------------------------ */

/* Records are 64-byte aligned (a cache line: caches and spans of different
 * threads do not share one). */
#define META_ALIGN 64

static void *fixalloc_alloc_locked(struct esc_fixalloc *f) {
  void *p = f->free_list;
  if (p) {
    f->free_list = *(void **)p;
    memset(p, 0, f->size);
  } else {
    /* Fresh memory of the chunk reads as zero already: leaving it untouched
     * saves the page faults of records the caller writes only in part. */
    size_t size = (f->size + META_ALIGN - 1) & ~(size_t)(META_ALIGN - 1);
    if (esc_heap.meta_left < size) {
      char *c = esc_os_reserve(META_CHUNK);
      if (!c)
        return NULL;
      esc_heap.bytes_meta += META_CHUNK;
      esc_heap.meta_chunk = c;
      esc_heap.meta_left = META_CHUNK;
    }
    p = esc_heap.meta_chunk;
    esc_heap.meta_chunk += size;
    esc_heap.meta_left -= size;
  }
  f->inuse++;
  return p;
}

static void fixalloc_free_locked(struct esc_fixalloc *f, void *p) {
  *(void **)p = f->free_list;
  f->free_list = p;
  f->inuse--;
}

void *mheap_alloc_meta(struct esc_fixalloc *f) {
  pthread_mutex_lock(&esc_heap.lock);
  void *p = fixalloc_alloc_locked(f);
  pthread_mutex_unlock(&esc_heap.lock);
  return p;
}

void mheap_free_meta(struct esc_fixalloc *f, void *p) {
  pthread_mutex_lock(&esc_heap.lock);
  fixalloc_free_locked(f, p);
  pthread_mutex_unlock(&esc_heap.lock);
}

/* --- page bookkeeping ---------------------------------------------------- */

static uintptr_t page_index(const struct esc_arena *ar, uintptr_t addr) {
  return (addr - ar->base) >> ESC_PAGE_SHIFT;
}

static void set_spans(struct mspan *s, int every_page) {
  struct esc_arena *ar = s->arena;
  uintptr_t first = page_index(ar, s->base), n = s->npages;
  if (first + n == ar->npages)
    ar->last_recorded |= every_page;
  if (every_page) {
    for (uintptr_t i = 0; i < n; i++)
      atomic_store_explicit(&ar->spans[first + i], s, memory_order_relaxed);
  } else {
    atomic_store_explicit(&ar->spans[first], s, memory_order_relaxed);
    /* A fresh arena's free remainder leaves the last page of spans[]
     * untouched (mheap.h): nothing looks it up before a span in use ends
     * there, and any entry written since must not go stale. */
    if (first + n < ar->npages || ar->last_recorded)
      atomic_store_explicit(&ar->spans[first + n - 1], s, memory_order_relaxed);
  }
}

/* Released pages among [first, first+n) of the arena. */
static uintptr_t count_released(const struct esc_arena *ar, uintptr_t first, uintptr_t n) {
  uintptr_t count = 0;
  while (n) {
    uintptr_t bit = first & 63, take = 64 - bit < n ? 64 - bit : n;
    uint64_t mask = take == 64 ? ~0ull : ((1ull << take) - 1) << bit;
    count += (uintptr_t)__builtin_popcountll(ar->released[first >> 6] & mask);
    first += take;
    n -= take;
  }
  return count;
}

static void set_released(struct esc_arena *ar, uintptr_t first, uintptr_t n, int on) {
  while (n) {
    uintptr_t bit = first & 63, take = 64 - bit < n ? 64 - bit : n;
    uint64_t mask = take == 64 ? ~0ull : ((1ull << take) - 1) << bit;
    if (on)
      ar->released[first >> 6] |= mask;
    else
      ar->released[first >> 6] &= ~mask;
    first += take;
    n -= take;
  }
}

/* --- free lists ---------------------------------------------------------- */

static unsigned bucket_of(uintptr_t npages) { return npages < ESC_HEAP_BUCKETS ? (unsigned)npages : 0; }

static void free_insert(struct mspan *s) {
  unsigned b = bucket_of(s->npages);
  s->state = SPAN_FREE;
  s->prev = NULL;
  s->next = esc_heap.free[b];
  if (s->next)
    s->next->prev = s;
  esc_heap.free[b] = s;
  if (b)
    esc_heap.nonempty[b >> 6] |= 1ull << (b & 63);
  set_spans(s, 0);
  esc_heap.pages_free += s->npages;
  esc_heap.pages_released += s->released_pages;
}

static void free_remove(struct mspan *s) {
  unsigned b = bucket_of(s->npages);
  if (s->prev)
    s->prev->next = s->next;
  else
    esc_heap.free[b] = s->next;
  if (s->next)
    s->next->prev = s->prev;
  if (b && !esc_heap.free[b])
    esc_heap.nonempty[b >> 6] &= ~(1ull << (b & 63));
  s->next = s->prev = NULL;
  esc_heap.pages_free -= s->npages;
  esc_heap.pages_released -= s->released_pages;
}

/* For long runs: a run with no released page (no page faults to come)
 * before one with some, then the smaller. */
static int better_fit(const struct mspan *s, const struct mspan *best) {
  if (!best)
    return 1;
  int dirty = s->released_pages == 0, best_dirty = best->released_pages == 0;
  if (dirty != best_dirty)
    return dirty;
  return s->npages < best->npages;
}

/* A free span of n pages whose base is aligned, best fit; NULL if none.
 * Short runs come from exact-size lists, most recently freed first (their
 * pages are still resident); long runs prefer resident memory, then size. */
static struct mspan *find_free(uintptr_t npages, uintptr_t align) {
  if (align <= 1 && npages < ESC_HEAP_BUCKETS) {
    for (unsigned w = (unsigned)npages >> 6; w < ESC_HEAP_BUCKETS / 64; w++) {
      uint64_t m = esc_heap.nonempty[w];
      if (w == npages >> 6)
        m &= ~0ull << (npages & 63);
      if (m)
        return esc_heap.free[w * 64 + (unsigned)__builtin_ctzll(m)];
    }
  }
  struct mspan *best = NULL;
  for (unsigned b = align <= 1 ? 0 : (npages < ESC_HEAP_BUCKETS ? (unsigned)npages : 0);;) {
    for (struct mspan *s = esc_heap.free[b]; s; s = s->next) {
      uintptr_t page = s->base >> ESC_PAGE_SHIFT;
      uintptr_t lead = align > 1 ? (align - page % align) % align : 0;
      if (s->npages >= lead + npages && better_fit(s, best))
        best = s;
    }
    if (best || b == 0)
      return best;
    b = b + 1 < ESC_HEAP_BUCKETS ? b + 1 : 0;
  }
}

/* A span record for npages pages at base, `released` of them released. */
static struct mspan *new_span_locked(struct esc_arena *ar, uintptr_t base, uintptr_t npages,
                                     uintptr_t released) {
  struct mspan *s = fixalloc_alloc_locked(&esc_heap.span_alloc);
  if (!s)
    return NULL;
  s->arena = ar;
  s->base = base;
  s->npages = npages;
  s->released_pages = released;
  return s;
}

/* Splits [lead][npages][rest] out of the free span f; returns the middle,
 * no longer in any list.  Released pages are counted in the lead and the
 * middle only: the rest (often most of an arena) gets what remains of f's
 * count, so carving costs the size of the request, not of the run. */
static struct mspan *carve(struct mspan *f, uintptr_t lead, uintptr_t npages) {
  free_remove(f);
  struct esc_arena *ar = f->arena;
  uintptr_t rest = f->npages - lead - npages;
  uint8_t needzero = f->needzero;
  uintptr_t lead_rel = lead ? count_released(ar, page_index(ar, f->base), lead) : 0;
  uintptr_t first = page_index(ar, f->base) + lead;
  uintptr_t rel = count_released(ar, first, npages);
  if (lead) {
    struct mspan *l = new_span_locked(ar, f->base, lead, lead_rel);
    if (!l) {
      free_insert(f);
      return NULL;
    }
    l->needzero = needzero;
    l->free_time = f->free_time;
    free_insert(l);
  }
  if (rest) {
    struct mspan *r = new_span_locked(ar, f->base + ((lead + npages) << ESC_PAGE_SHIFT), rest,
                                      f->released_pages - lead_rel - rel);
    if (!r) {
      /* Undo the lead split: it is the only free neighbour, merge back. */
      if (lead) {
        struct mspan *l = atomic_load_explicit(&ar->spans[page_index(ar, f->base)], memory_order_relaxed);
        free_remove(l);
        fixalloc_free_locked(&esc_heap.span_alloc, l);
      }
      free_insert(f);
      return NULL;
    }
    r->needzero = needzero;
    r->free_time = f->free_time;
    free_insert(r);
  }
  f->base += lead << ESC_PAGE_SHIFT;
  f->npages = npages;
  /* Released pages read as zero: a run made only of them needs no memset. */
  f->needzero = rel == npages ? 0 : needzero;
  set_released(ar, first, npages, 0);
  f->released_pages = 0;
  return f;
}

/* bytes (a multiple of ESC_ARENA_SIZE) of address space aligned to
 * ESC_ARENA_SIZE; 0 when the OS refuses.  First at esc_heap.arena_hint (a
 * randomly chosen aligned address above 4 TiB for the first arena, then the end of
 * the last one, as Go's arena hints): the kernel gives the hint when it is
 * free, so an arena usually costs one mmap.  Else over-reserve by an arena
 * and trim both ends (one mmap and up to two munmaps). */
static uintptr_t reserve_aligned(uintptr_t bytes) {
  if (!esc_heap.arena_hint) {
    uintptr_t slot = (uintptr_t)esc_random_bits() & 0x7fff; /* 32 Ki arenas: 2 TiB */
    esc_heap.arena_hint = ((uintptr_t)1 << 42) + (slot << ESC_ARENA_SHIFT);
  }
  uintptr_t hint = esc_heap.arena_hint;
  if (hint + bytes > hint && ((hint + bytes - 1) >> ESC_ADDR_BITS) == 0) {
    char *p = esc_os_reserve_at((void *)hint, bytes);
    if (p && ((uintptr_t)p & (ESC_ARENA_SIZE - 1)) == 0 &&
        (((uintptr_t)p + bytes - 1) >> ESC_ADDR_BITS) == 0)
      return (uintptr_t)p;
    if (p)
      esc_os_release(p, bytes);
  }
  char *raw = esc_os_reserve(bytes + ESC_ARENA_SIZE);
  if (!raw)
    return 0;
  uintptr_t base = ((uintptr_t)raw + ESC_ARENA_SIZE - 1) & ~(ESC_ARENA_SIZE - 1);
  if (base > (uintptr_t)raw)
    esc_os_release(raw, base - (uintptr_t)raw);
  uintptr_t end = (uintptr_t)raw + bytes + ESC_ARENA_SIZE;
  if (end > base + bytes)
    esc_os_release((void *)(base + bytes), end - (base + bytes));
  if (((base + bytes - 1) >> ESC_ADDR_BITS) != 0) {
    esc_os_release((void *)base, bytes);
    return 0;
  }
  return base;
}

/* Reserves a new arena of at least npages pages and adds it as a free span. */
static int grow(uintptr_t npages) {
  uintptr_t bytes = (npages << ESC_PAGE_SHIFT) + ESC_ARENA_SIZE - 1;
  if (npages > ((uintptr_t)1 << (ESC_ADDR_BITS - ESC_PAGE_SHIFT)))
    return 0;
  bytes &= ~(ESC_ARENA_SIZE - 1);
  uintptr_t base = reserve_aligned(bytes);
  if (!base)
    return 0;
  esc_heap.arena_hint = base + bytes;

  /* The released bitmap first, then spans[]: a small heap's bookkeeping
   * starts in one page. */
  uintptr_t pages = bytes >> ESC_PAGE_SHIFT;
  size_t bitmap = (pages + 63) / 64 * sizeof(uint64_t);
  bitmap = (bitmap + 15) & ~(size_t)15;
  size_t meta = bitmap + pages * sizeof(struct mspan *);
  meta = (meta + 4095) & ~(size_t)4095;
  char *m = esc_os_reserve(meta);
  struct esc_arena *ar = m ? fixalloc_alloc_locked(&esc_heap.arena_alloc) : NULL;
  if (!ar) {
    if (m)
      esc_os_release(m, meta);
    esc_os_release((void *)base, bytes);
    return 0;
  }
  esc_heap.bytes_meta += meta;
  ar->base = base;
  ar->npages = pages;
  ar->released = (uint64_t *)m;
  ar->spans = (_Atomic(struct mspan *) *)(m + bitmap);
  /* Fresh pages are untouched: count them as released (they cost no RSS
   * and read as zero). */
  set_released(ar, 0, pages, 1);
  ar->next = esc_heap.arenas;
  esc_heap.arenas = ar;
  esc_heap.pages_sys += pages;

  struct mspan *s = new_span_locked(ar, base, pages, pages); /* all released, as set above */
  if (!s)
    return 0; /* the arena stays reserved and unused; harmless */
  s->free_time = 0;
  for (uintptr_t c = 0; c < bytes >> ESC_ARENA_SHIFT; c++)
    atomic_store_explicit(&esc_page_map[(base >> ESC_ARENA_SHIFT) + c], ar->spans + c * ESC_CHUNK_PAGES,
                          memory_order_release);
  free_insert(s);
  return 1;
}

struct mspan *mheap_alloc(uintptr_t npages, uintptr_t align_pages, uint8_t state) {
  pthread_mutex_lock(&esc_heap.lock);
  struct mspan *f = find_free(npages, align_pages);
  if (!f && grow(npages + (align_pages > 1 ? align_pages : 0)))
    f = find_free(npages, align_pages);
  struct mspan *s = NULL;
  if (f) {
    uintptr_t page = f->base >> ESC_PAGE_SHIFT;
    uintptr_t lead = align_pages > 1 ? (align_pages - page % align_pages) % align_pages : 0;
    s = carve(f, lead, npages);
  }
  if (s) {
    s->state = state;
    s->list = LIST_NONE;
    atomic_store_explicit(&s->prof_sampled, 0, memory_order_relaxed);
    set_spans(s, 1);
    esc_heap.pages_inuse += npages;
    mheap_scavenge_paced_locked();
  }
  pthread_mutex_unlock(&esc_heap.lock);
  if (!s)
    errno = ENOMEM;
  return s;
}

/* Merges the free span t into s (its neighbour) and recycles t's record. */
static void absorb(struct mspan *s, struct mspan *t) {
  free_remove(t);
  /* The merged run is as old as the part with more unreleased pages: a
   * small block freed next to a long idle run does not keep the run from
   * being released, and a span freed next to released pages (an arena's
   * untouched remainder) is as young as itself. */
  if (t->npages - t->released_pages > s->npages - s->released_pages)
    s->free_time = t->free_time;
  if (t->base < s->base)
    s->base = t->base;
  s->npages += t->npages;
  s->released_pages += t->released_pages;
  s->needzero |= t->needzero;
  fixalloc_free_locked(&esc_heap.span_alloc, t);
}

static void free_locked(struct mspan *s);

void mheap_free(struct mspan *s) {
  pthread_mutex_lock(&esc_heap.lock);
  free_locked(s);
  pthread_mutex_unlock(&esc_heap.lock);
}

void mheap_free_large(struct mspan *s, void *p) {
  pthread_mutex_lock(&esc_heap.lock);
  if (span_of(p) != s || s->state != SPAN_LARGE || s->base != (uintptr_t)p) {
    pthread_mutex_unlock(&esc_heap.lock);
    esc_fatal("double free", p);
  }
  free_locked(s);
  pthread_mutex_unlock(&esc_heap.lock);
}

uint64_t mheap_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void free_locked(struct mspan *s) {
  s->free_time = mheap_now();
  struct esc_arena *ar = s->arena;
  esc_heap.pages_inuse -= s->npages;
  s->state = SPAN_FREE;
  s->needzero = 1;
  s->released_pages = 0;
  s->list = LIST_NONE;
  atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
  atomic_store_explicit(&s->fast_owner, NULL, memory_order_relaxed);
  atomic_store_explicit(&s->xfree, 0, memory_order_relaxed);
  uintptr_t first = page_index(ar, s->base);
  /* Clear the interior entries so a stale pointer into a free run finds
   * nothing rather than a recycled record. */
  for (uintptr_t i = 1; i + 1 < s->npages; i++)
    atomic_store_explicit(&ar->spans[first + i], NULL, memory_order_relaxed);
  if (first > 0) {
    struct mspan *t = atomic_load_explicit(&ar->spans[first - 1], memory_order_relaxed);
    if (t && t->state == SPAN_FREE)
      absorb(s, t);
  }
  uintptr_t after = page_index(ar, s->base) + s->npages;
  if (after < ar->npages) {
    struct mspan *t = atomic_load_explicit(&ar->spans[after], memory_order_relaxed);
    if (t && t->state == SPAN_FREE)
      absorb(s, t);
  }
  free_insert(s);
  mheap_scavenge_paced_locked();
}

/* Scavenger hook: releases the pages of the free span s to the OS. */
void mheap_mark_released_locked(struct mspan *s) {
  if (s->released_pages == s->npages)
    return;
  esc_os_decommit((void *)s->base, s->npages << ESC_PAGE_SHIFT);
  esc_heap.scavenge_ops++;
  set_released(s->arena, page_index(s->arena, s->base), s->npages, 1);
  esc_heap.pages_released += s->npages - s->released_pages;
  s->released_pages = s->npages;
  s->needzero = 0;
}
