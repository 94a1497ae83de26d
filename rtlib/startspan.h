/*
 * startspan.h — the start-up span: one span of mixed size classes from which
 * the process's first cache takes the first objects of each small class, so
 * that a short process does not fault a fresh page per size class (issue 13;
 * rtlib/README.md, "The start-up span").
 *
 * The span (state SPAN_START, 128 KiB) is carved sequentially by its owner,
 * each object at the alignment its class's slots have in a span of their own
 * (the lowest set bit of the slot size: aligned_alloc relies on it), and
 * never reused: a freed object's room stays empty, and the span goes back to
 * the page heap when its owner has retired it and its last object is freed,
 * as Go's and mimalloc's tiny blocks are released.  Its table (from the
 * heap's metadata, mspan.start) records each object in carving order, so in
 * ascending address order:
 *     bits  0..13  offset from the span's base / 8
 *     bits 14..21  span class (its MemStats counters are the class's)
 *     bit  31      live
 * A free (any thread) finds the entry by binary search and clears `live`
 * with one atomic fetch-and, so a second free finds it clear; an address
 * with no entry is not an object start.
 *
 * Invariants:
 *   - Only the owner (the cache that made the span) carves and appends
 *     entries; it publishes the count with a release store after the entry
 *     is written, before the object is handed out.
 *   - refs = live objects + 1 while the owner may still carve.  Whoever
 *     brings it to 0 (a free, or the owner's retire) frees the span and its
 *     table; nothing touches either after that.
 *   - The span has no owner and no fast owner, and its state is not
 *     SPAN_SMALL, so every free of its objects takes the checked slow path
 *     and no span-class code (mcentral, refill, prof_bits) sees it.
 *
 * Layer: above the page heap (mheap_alloc, the metadata allocator) and the
 * base layer; the cache carves (mcache.c), the entry points free and ask the
 * size (malloc.c).  It counts nothing: its callers count in their caches.
 */
#ifndef ESCALLOC_STARTSPAN_H
#define ESCALLOC_STARTSPAN_H

#include <stdint.h>

#include "mheap.h"

#define ESC_START_PAGES 16u        /* 128 KiB of address space; pages are touched as carved */
#define ESC_START_ENTRIES 512u     /* objects per start-up span */
#define ESC_START_MAX_SIZE 2048u   /* slot sizes carved from it (larger classes: their own spans) */
/* What a span class takes from it before it takes a span of its own: at
 * most ESC_START_CLASS_OBJECTS objects and ESC_START_CLASS_BYTES bytes, so
 * that one busy class does not fill it (each of these objects takes the
 * refill's slow path, and its room is never reused). */
#define ESC_START_CLASS_OBJECTS 32u
#define ESC_START_CLASS_BYTES 16384u

struct esc_start_table {
  _Atomic uint32_t n;    /* entries published */
  _Atomic uint32_t refs; /* live objects, + 1 until retired */
  uint32_t pos;          /* owner only: the next free byte's offset */
  uint32_t unused;
  _Atomic uint32_t ent[ESC_START_ENTRIES];
};

/* A new start-up span (owner: the caller); NULL when out of memory. */
ESC_HIDDEN struct mspan *startspan_new(void);
/* An object of span class spc, slot size elemsize (<= ESC_START_MAX_SIZE),
 * carved from s (owner only); NULL when s has no room left for it. */
ESC_HIDDEN void *startspan_alloc(struct mspan *s, uint32_t spc, uint32_t elemsize);
/* The owner carves no more from s; frees s if no object of it is live. */
ESC_HIDDEN void startspan_retire(struct mspan *s);
/* Frees the object p of s (any thread): returns its span class; aborts if p
 * starts no live object (double or invalid free). */
ESC_HIDDEN uint32_t startspan_free(struct mspan *s, void *p);
/* The span class of the live object p of s; aborts if p starts none. */
ESC_HIDDEN uint32_t startspan_spc_of(const struct mspan *s, const void *p);
/* The same, *spc, and the entry of p, for startspan_free_at: a free that
 * checks p before it frees it searches the table once. */
ESC_HIDDEN _Atomic uint32_t *startspan_find(const struct mspan *s, const void *p, uint32_t *spc);
/* startspan_free of p, whose entry e startspan_find returned. */
ESC_HIDDEN uint32_t startspan_free_at(struct mspan *s, void *p, _Atomic uint32_t *e);

#endif /* ESCALLOC_STARTSPAN_H */
