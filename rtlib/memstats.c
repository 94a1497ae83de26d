/*
 * memstats.c — Go's runtime.MemStats for escalloc (escalloc_read_memstats)
 * and the ESCALLOC_STATS=1 summary printed at exit.
 *
 * Counters are per thread (mcache.h) and folded here on read, so keeping them
 * costs the allocation paths one owner-only increment.  Bytes are slot bytes:
 * a tiny block counts 16 bytes in the 16-byte class however many tiny objects
 * it holds; a large object counts its whole pages.  Objects (Mallocs, Frees,
 * HeapObjects) are what the program sees: each tiny object counts once.
 */
#include <string.h>

#include "escalloc/escalloc.h"
#include "mcache.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void escalloc_read_memstats(struct escalloc_memstats *st) {
  memset(st, 0, sizeof *st);
  static struct esc_counters zero;
  struct esc_counters sum = zero;
  mcache_fold_stats(&sum);

  uint32_t tiny_class = esc_spanclass_sizeclass(ESC_TINY_SPANCLASS);
  for (uint32_t spc = 2; spc < ESC_NUM_SPANCLASSES; spc++) {
    uint32_t cls = spc >> 1;
    uint64_t m = LOAD(sum.nmalloc[spc]), f = LOAD(sum.nfree[spc]);
    st->BySize[cls].mallocs += m;
    st->BySize[cls].frees += f;
    st->Mallocs += m;
    st->Frees += f;
  }
  /* Tiny blocks are slots of the 16-byte class; the objects are counted by
   * TinyAllocs / tiny_frees. */
  st->BySize[tiny_class].mallocs += LOAD(sum.nmalloc[ESC_TINY_SPANCLASS]);
  st->BySize[tiny_class].frees += LOAD(sum.nfree[ESC_TINY_SPANCLASS]);
  for (uint32_t cls = 1; cls < ESCALLOC_NUM_CLASSES; cls++) {
    uint64_t size = escalloc_class_to_size[cls];
    st->BySize[cls].size = (uint32_t)size;
    st->TotalAlloc += st->BySize[cls].mallocs * size;
    st->HeapAlloc += (st->BySize[cls].mallocs - st->BySize[cls].frees) * size;
  }
  st->TinyAllocs = LOAD(sum.tiny_allocs);
  st->LargeAllocs = LOAD(sum.large_allocs);
  st->Mallocs += st->TinyAllocs + st->LargeAllocs;
  st->Frees += LOAD(sum.tiny_frees) + LOAD(sum.large_frees);
  st->TotalAlloc += LOAD(sum.large_alloc_bytes);
  st->HeapAlloc += LOAD(sum.large_alloc_bytes) - LOAD(sum.large_free_bytes);
  st->Alloc = st->HeapAlloc;
  st->HeapObjects = st->Mallocs - st->Frees;

  pthread_mutex_lock(&esc_heap.lock);
  st->HeapSys = (uint64_t)esc_heap.pages_sys << ESC_PAGE_SHIFT;
  st->HeapInuse = (uint64_t)esc_heap.pages_inuse << ESC_PAGE_SHIFT;
  st->HeapReleased = (uint64_t)esc_heap.pages_released << ESC_PAGE_SHIFT;
  st->Sys = st->HeapSys + esc_heap.bytes_meta;
  pthread_mutex_unlock(&esc_heap.lock);
  st->HeapIdle = st->HeapSys - st->HeapInuse;
}

static void put(const char *label, uint64_t v) {
  char buf[24];
  esc_write_stderr(label);
  esc_write_stderr(esc_utoa(v, 0, buf));
  esc_write_stderr("\n");
}

/* A byte count, with its size in MiB to one decimal. */
static void put_bytes(const char *label, uint64_t v) {
  char buf[24];
  esc_write_stderr(label);
  esc_write_stderr(esc_utoa(v, 0, buf));
  esc_write_stderr(" (");
  esc_write_stderr(esc_utoa(v >> 20, 0, buf));
  esc_write_stderr(".");
  esc_write_stderr(esc_utoa((v & ((1u << 20) - 1)) * 10 >> 20, 0, buf));
  esc_write_stderr(" MiB)\n");
}

/* ESCALLOC_STATS=1: a readable summary on stderr when the program exits. */
__attribute__((destructor)) static void print_summary(void) {
  esc_read_settings();
  if (!esc_settings.stats)
    return;
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  esc_write_stderr("escalloc: heap statistics at exit\n");
  put_bytes("  HeapAlloc     ", st.HeapAlloc);
  put_bytes("  TotalAlloc    ", st.TotalAlloc);
  put_bytes("  Sys           ", st.Sys);
  put_bytes("  HeapSys       ", st.HeapSys);
  put_bytes("  HeapInuse     ", st.HeapInuse);
  put_bytes("  HeapIdle      ", st.HeapIdle);
  put_bytes("  HeapReleased  ", st.HeapReleased);
  put("  HeapObjects   ", st.HeapObjects);
  put("  Mallocs       ", st.Mallocs);
  put("  Frees         ", st.Frees);
  put("  TinyAllocs    ", st.TinyAllocs);
  put("  LargeAllocs   ", st.LargeAllocs);
  put("  madvise calls ", esc_heap.scavenge_ops);
  esc_write_stderr("  class  size  mallocs  frees\n");
  for (uint32_t cls = 1; cls < ESCALLOC_NUM_CLASSES; cls++) {
    if (!st.BySize[cls].mallocs)
      continue;
    char a[24], b[24], c[24], d[24];
    esc_write_stderr("  ");
    esc_write_stderr(esc_utoa(cls, 0, a));
    esc_write_stderr("  ");
    esc_write_stderr(esc_utoa(st.BySize[cls].size, 0, b));
    esc_write_stderr("  ");
    esc_write_stderr(esc_utoa(st.BySize[cls].mallocs, 0, c));
    esc_write_stderr("  ");
    esc_write_stderr(esc_utoa(st.BySize[cls].frees, 0, d));
    esc_write_stderr("\n");
  }
}
