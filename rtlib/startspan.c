/*
 * startspan.c — the start-up span of mixed size classes (startspan.h has
 * its layout and invariants).
 *
 * Layer: uses the page heap (mheap.h) and the base layer only.
 */
#include "startspan.h"

#include <stdatomic.h>

#define ENT_OFF_BITS 14u
#define ENT_OFF_MASK ((1u << ENT_OFF_BITS) - 1)
#define ENT_SPC_SHIFT ENT_OFF_BITS
#define ENT_LIVE 0x80000000u

_Static_assert(((uintptr_t)ESC_START_PAGES << ESC_PAGE_SHIFT) / 8 <= (1u << ENT_OFF_BITS),
               "an offset / 8 fits the entry");
_Static_assert(ESC_NUM_SPANCLASSES <= 256, "a span class fits the entry");

static struct esc_fixalloc start_tables = {.size = sizeof(struct esc_start_table)};

struct mspan *startspan_new(void) {
  struct esc_start_table *t = mheap_alloc_meta(&start_tables);
  if (!t)
    return NULL;
  struct mspan *s = mheap_alloc(ESC_START_PAGES, 1, SPAN_START);
  if (!s) {
    mheap_free_meta(&start_tables, t);
    return NULL;
  }
  atomic_store_explicit(&t->n, 0, memory_order_relaxed);
  atomic_store_explicit(&t->refs, 1, memory_order_relaxed);
  t->pos = 0;
  s->spanclass = 0;
  s->elemsize = 0;
  s->nelems = 0;
  atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
  atomic_store_explicit(&s->fast_owner, NULL, memory_order_relaxed);
  /* Published to other threads with the first object (its entry's release). */
  s->start = t;
  return s;
}

static void release(struct mspan *s) {
  struct esc_start_table *t = s->start;
  s->start = NULL;
  mheap_free_meta(&start_tables, t);
  mheap_free(s);
}

static void unref(struct mspan *s) {
  if (atomic_fetch_sub_explicit(&s->start->refs, 1, memory_order_acq_rel) == 1)
    release(s);
}

void *startspan_alloc(struct mspan *s, uint32_t spc, uint32_t elemsize) {
  struct esc_start_table *t = s->start;
  uint32_t n = atomic_load_explicit(&t->n, memory_order_relaxed);
  uint32_t align = elemsize & -elemsize; /* a slot's alignment in a span of its own */
  uint32_t off = (t->pos + align - 1) & -align;
  if (n == ESC_START_ENTRIES || off + elemsize > (ESC_START_PAGES << ESC_PAGE_SHIFT))
    return NULL;
  t->pos = off + elemsize;
  atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
  atomic_store_explicit(&t->ent[n], ENT_LIVE | spc << ENT_SPC_SHIFT | off >> 3, memory_order_relaxed);
  atomic_store_explicit(&t->n, n + 1, memory_order_release);
  return (void *)(s->base + off);
}

void startspan_retire(struct mspan *s) { unref(s); }

/* The entry of the object starting at p, or NULL. */
static _Atomic uint32_t *entry_of(const struct mspan *s, const void *p) {
  uintptr_t off = (uintptr_t)p - s->base;
  if (off & 7)
    return NULL;
  struct esc_start_table *t = s->start;
  uint32_t lo = 0, hi = atomic_load_explicit(&t->n, memory_order_acquire);
  uint32_t want = (uint32_t)(off >> 3);
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    uint32_t o = atomic_load_explicit(&t->ent[mid], memory_order_relaxed) & ENT_OFF_MASK;
    if (o == want)
      return &t->ent[mid];
    if (o < want)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

_Atomic uint32_t *startspan_find(const struct mspan *s, const void *p, uint32_t *spc) {
  _Atomic uint32_t *e = entry_of(s, p);
  uint32_t v = e ? atomic_load_explicit(e, memory_order_relaxed) : 0;
  if (ESC_UNLIKELY(!(v & ENT_LIVE)))
    esc_fatal(e ? "double free or use of a freed object" : "pointer into the middle of an object, not its start", p);
  *spc = (v >> ENT_SPC_SHIFT) & 0xffu;
  return e;
}

uint32_t startspan_spc_of(const struct mspan *s, const void *p) {
  uint32_t spc;
  startspan_find(s, p, &spc);
  return spc;
}

uint32_t startspan_free_at(struct mspan *s, void *p, _Atomic uint32_t *e) {
  uint32_t old = atomic_fetch_and_explicit(e, ~ENT_LIVE, memory_order_relaxed);
  if (ESC_UNLIKELY(!(old & ENT_LIVE)))
    esc_fatal("double free", p);
  unref(s);
  return (old >> ENT_SPC_SHIFT) & 0xffu;
}

uint32_t startspan_free(struct mspan *s, void *p) {
  _Atomic uint32_t *e = entry_of(s, p);
  if (ESC_UNLIKELY(!e))
    esc_fatal("pointer into the middle of an object, not its start", p);
  return startspan_free_at(s, p, e);
}
