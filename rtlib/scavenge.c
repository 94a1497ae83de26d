/*
 * scavenge.c — returning free pages to the OS (Go's mgcscavenge.go, paced
 * inline instead of by a background goroutine: a C program did not ask for a
 * thread, so we add none).
 *
 * Policy (documented in the README and bench/README.md):
 *   - The heap retains, un-released, at most
 *       retain = max(ESC_RETAIN_MIN, HeapInuse / ESC_RETAIN_DIV)
 *     bytes of free pages, as Go retains a margin over its heap goal, so a
 *     program that frees and reallocates does not fault its pages back in.
 *   - Every page-heap operation (a span allocated or freed: a large object, or
 *     a small-object span taken or emptied) that finds more than `retain`
 *     releases up to ESC_SCAVENGE_STEP bytes beyond it with
 *     madvise(MADV_DONTNEED), longest free runs first.  So an excess of X bytes
 *     is gone after ceil(X / ESC_SCAVENGE_STEP) further page-heap operations,
 *     and no single free() pays for more than ESC_SCAVENGE_STEP.
 *   - escalloc_free_os_memory() releases every free page at once.
 *
 * Everything here runs under esc_heap.lock.
 */
#include <pthread.h>

#include "escalloc/escalloc.h"
#include "mheap.h"

#define ESC_RETAIN_MIN ((uintptr_t)8 << 20)      /* 8 MiB */
#define ESC_RETAIN_DIV 8                         /* 12.5% of the in-use heap */
#define ESC_SCAVENGE_STEP ((uintptr_t)64 << 20) /* 64 MiB per heap operation */

static uintptr_t retain_pages(void) {
  uintptr_t retain = esc_heap.pages_inuse / ESC_RETAIN_DIV;
  uintptr_t min = ESC_RETAIN_MIN >> ESC_PAGE_SHIFT;
  return retain > min ? retain : min;
}

/* Releases free spans, longest first, until max_pages pages were released or
 * none is left; returns the pages released. */
uintptr_t mheap_scavenge_locked(uintptr_t max_pages) {
  uintptr_t done = 0;
  for (unsigned i = 0; i < ESC_HEAP_BUCKETS && done < max_pages; i++) {
    unsigned b = i == 0 ? 0 : ESC_HEAP_BUCKETS - i; /* long runs, then 127..1 */
    for (struct mspan *s = esc_heap.free[b]; s && done < max_pages; s = s->next) {
      uintptr_t before = s->released_pages;
      mheap_mark_released_locked(s);
      done += s->released_pages - before;
    }
  }
  return done;
}

void mheap_scavenge_paced_locked(void) {
  uintptr_t unreleased = esc_heap.pages_free - esc_heap.pages_released;
  uintptr_t retain = retain_pages();
  if (ESC_LIKELY(unreleased <= retain))
    return;
  uintptr_t excess = unreleased - retain, step = ESC_SCAVENGE_STEP >> ESC_PAGE_SHIFT;
  mheap_scavenge_locked(excess < step ? excess : step);
}

void esc_free_os_memory(void) {
  pthread_mutex_lock(&esc_heap.lock);
  mheap_scavenge_locked(UINTPTR_MAX);
  pthread_mutex_unlock(&esc_heap.lock);
}
void escalloc_free_os_memory(void) __attribute__((alias("esc_free_os_memory"), visibility("default")));
