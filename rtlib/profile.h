/*
 * profile.h — the sampled heap profiler (Go's MemProfileRate and
 * runtime/pprof's heap profile): the two hooks the allocator calls, and what
 * profile.c shares with the pprof writer (profwrite.c).
 *
 * The allocator's side is two inline hooks:
 *
 *   after an allocation of a slot of `size` bytes at p:  esc_prof_malloc(p, size);
 *   before the slot at p is freed (or reused in place):  esc_prof_free(p);
 *
 * Both must be called with no allocator lock held (the profiler takes its own
 * lock, and a fork handler takes it too), and `size` should be the slot size
 * so that sampled bytes add up to MemStats' byte counts.
 *
 * Cost model
 *   - esc_prof_malloc decrements a per-thread byte counter and branches.  When
 *     the counter goes negative the allocation is sampled (rate > 0) or the
 *     rate is re-read (rate 0, at most once per ESC_PROF_IDLE_RECHECK bytes),
 *     so with profiling off the fast path is one subtract and one branch that
 *     is never taken.
 *   - esc_prof_free loads the number of live sampled objects (one hot word;
 *     zero whenever profiling is off, so the branch is never taken), and only
 *     if that is non-zero one 16-bit counter of the page map: the number of
 *     live sampled objects whose address falls on a page congruent to p's page
 *     modulo ESC_PROF_PAGEMAP_SIZE.  Only a non-zero counter costs a lookup in
 *     the (locked) table of live sampled objects.  Counters that reach 0xffff
 *     stay saturated: that page slot then always takes the lookup, which is
 *     safe, merely slower.
 *
 * Invariants
 *   - A sampled object is in the live table, counted in esc_prof_nlive and
 *     in its page-map counter, from before esc_prof_malloc returns (so before
 *     the program can hand it to another thread) until esc_prof_free(p) for
 *     it.  Hence an unlocked read of a zero esc_prof_nlive or page-map counter
 *     in esc_prof_free proves p was not sampled.
 *   - The profiler never allocates through the runtime: its bookkeeping lives
 *     in memory from mmap (esc_prof_sysalloc), and stacks are unwound with
 *     libunwind (dlopen'ed) or libgcc's _Unwind_Backtrace, neither of which
 *     calls malloc.
 */
#ifndef ESCALLOC_PROFILE_H
#define ESCALLOC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#define ESC_PROF_HIDDEN __attribute__((visibility("hidden")))

/* Go's default MemProfileRate: one sample per 512 KiB allocated on average. */
#define ESC_PROF_DEFAULT_RATE 524288
/* With the rate at 0, how many bytes a thread allocates before it looks at
 * the rate again (so that escalloc_set_memprofile_rate takes effect). */
#define ESC_PROF_IDLE_RECHECK (4 << 20)
/* Frames kept per sampled stack (deeper stacks are truncated at the root). */
#define ESC_PROF_MAX_STACK 64
/* Page map: one counter per 8 KiB page, 512 MiB of address space before two
 * pages share a counter. */
#define ESC_PROF_PAGE_SHIFT 13
#define ESC_PROF_PAGEMAP_SIZE (1u << 16)

/* Bytes this thread may still allocate before the next sample. */
ESC_PROF_HIDDEN extern __thread int64_t esc_prof_next_sample;
/* Live sampled objects, all together and per page slot (see the cost model
 * above); written under the profile lock. */
ESC_PROF_HIDDEN extern uint32_t esc_prof_nlive;
ESC_PROF_HIDDEN extern uint16_t esc_prof_pagemap[ESC_PROF_PAGEMAP_SIZE];

ESC_PROF_HIDDEN void esc_prof_malloc_slow(void *p, size_t size);
ESC_PROF_HIDDEN void esc_prof_free_slow(void *p);

static inline uint32_t esc_prof_page_slot(const void *p) {
  return (uint32_t)((uintptr_t)p >> ESC_PROF_PAGE_SHIFT) & (ESC_PROF_PAGEMAP_SIZE - 1);
}

#ifndef ESCALLOC_NO_PROFILE
static inline void esc_prof_malloc(void *p, size_t size) {
  if (__builtin_expect((esc_prof_next_sample -= (int64_t)size) < 0, 0))
    esc_prof_malloc_slow(p, size);
}

static inline void esc_prof_free(void *p) {
  if (__builtin_expect(__atomic_load_n(&esc_prof_nlive, __ATOMIC_RELAXED) != 0, 0) &&
      __atomic_load_n(&esc_prof_pagemap[esc_prof_page_slot(p)], __ATOMIC_RELAXED) != 0)
    esc_prof_free_slow(p);
}
#else
/* The runtime without its hooks: the baseline of bench/profile only. */
static inline void esc_prof_malloc(void *p, size_t size) { (void)p, (void)size; }
static inline void esc_prof_free(void *p) { (void)p; }
#endif

/* --- Shared between profile.c and profwrite.c ------------------------------ */

/* Memory for the profiler's own bookkeeping, straight from mmap (zeroed).
 * esc_prof_sysfree takes the size that was passed to esc_prof_sysalloc. */
ESC_PROF_HIDDEN void *esc_prof_sysalloc(size_t size);
ESC_PROF_HIDDEN void esc_prof_sysfree(void *p, size_t size);

/* One call site and slot size (Go's bucket): never freed once created. */
struct esc_prof_bucket {
  struct esc_prof_bucket *hash_next; /* chain in the bucket hash table */
  struct esc_prof_bucket *all_next;  /* list of every bucket */
  uint64_t hash;
  uint64_t size; /* slot size of the objects counted here */
  uint64_t allocs, frees;           /* sampled objects, guarded by the profile lock */
  uint32_t nstk;
  uintptr_t stk[];                  /* return addresses, leaf first */
};

/* A copy of one bucket's counters, taken under the lock. */
struct esc_prof_record {
  const struct esc_prof_bucket *b; /* stack and size (immutable) */
  uint64_t allocs, frees;
};

/* Copies the counters of every bucket with at least one sampled allocation
 * into memory from esc_prof_sysalloc (*bytes says how much); returns the
 * number of records, or -1 when out of memory. */
ESC_PROF_HIDDEN long esc_prof_snapshot(struct esc_prof_record **out, size_t *bytes);

/* "libunwind" or "libgcc": the unwinder that samples use now. */
ESC_PROF_HIDDEN const char *esc_prof_unwinder(void);

/* The sampling rate now in force (bytes; 0 = off). */
ESC_PROF_HIDDEN int64_t esc_prof_rate(void);

/* Go's scaleHeapSample: the estimated number of objects and bytes that
 * `count` sampled objects of `size` bytes each stand for at `rate`. */
ESC_PROF_HIDDEN void esc_prof_scale(uint64_t count, uint64_t size, int64_t rate,
                                    int64_t *objects, int64_t *bytes);

/* exp(-x) for x >= 0 and -ln(u) for u in (0, 1], without libm (the runtime
 * links no libm); accurate to about 1e-9 relative. */
ESC_PROF_HIDDEN double esc_prof_exp_neg(double x);
ESC_PROF_HIDDEN double esc_prof_neg_log(double u);

/* Writes the profile of `records` (pprof profile.proto, gzip-compressed when
 * zlib can be loaded) to path.  Returns 0, or -1 with errno set. */
ESC_PROF_HIDDEN int esc_prof_write(const char *path, const struct esc_prof_record *records, long n,
                                   int64_t rate);

#endif /* ESCALLOC_PROFILE_H */
