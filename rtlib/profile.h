/*
 * profile.h — the sampled heap profiler (Go's MemProfileRate and
 * runtime/pprof's heap profile): the two hooks the allocator calls, and what
 * profile.c shares with the pprof writer (profwrite.c).
 *
 * The profiler uses only the base layer (base.h) and knows nothing of spans
 * or caches: the allocator passes it counters to update.  The allocator's
 * side (malloc.c) is one call at each end of a sample's life:
 *
 *   a sampling countdown expired at the allocation of p:
 *       left = esc_prof_expired(p, size, unit, &on, &span->prof_sampled, ret);
 *   a sampled object may be freed (its span's prof_sampled is not 0):
 *       esc_prof_free_slow(p, &span->prof_sampled);
 *
 * Both must be called with no allocator lock held (the profiler takes its own
 * lock, and a fork handler takes it too), and `size` should be the slot size
 * so that sampled bytes add up to MemStats' byte counts.
 *
 * Cost model
 *   - Each thread's mcache has one countdown per span class, counting slots,
 *     and one counting the bytes of tiny and large objects (mcache.h).  The
 *     slot countdowns also count MemStats' allocations, in place of the
 *     counter the fast path would increment anyway, so sampling adds one
 *     branch on the sign of that subtraction and nothing else: with
 *     sampling off the branch is taken once per ESC_PROF_IDLE_RECHECK bytes
 *     of a class, to look at the rate again.  Splitting Go's per-thread byte
 *     countdown by class changes nothing statistically: each is a Poisson
 *     process of rate 1/MemProfileRate over the bytes it counts, and so is
 *     their union; an allocation of s bytes is sampled with probability
 *     1 - exp(-s/rate) either way.
 *   - A span that holds a sampled object has no fast owner (mheap.h), so
 *     every free into it takes a checked path, which looks at prof_sampled
 *     and only when that is not 0 calls esc_prof_free_slow.  The free fast
 *     path (spans without samples: all of them, with sampling off) pays
 *     nothing; the checked paths (tiny objects, other threads' spans) pay
 *     one load and one branch.
 *
 * Invariants
 *   - A sampled object is in the live table and counted in its span's
 *     prof_sampled from before the allocation returns (so before the program
 *     can hand it to another thread) until esc_prof_free_slow for it.  Hence
 *     a free that reads a zero prof_sampled knows the object was not sampled.
 *   - The profiler never allocates through the runtime: its bookkeeping lives
 *     in memory from mmap (esc_prof_sysalloc), and stacks are unwound by
 *     frame pointers, or with libunwind or libgcc's _Unwind_Backtrace,
 *     neither of which calls malloc.  Opening them (dlopen, at start-up or
 *     at the first sample) allocates: plain allocations of a thread marked
 *     busy, never sampled.
 */
#ifndef ESCALLOC_PROFILE_H
#define ESCALLOC_PROFILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define ESC_PROF_HIDDEN __attribute__((visibility("hidden")))

/* Go's default MemProfileRate: one sample per 512 KiB allocated on average. */
#define ESC_PROF_DEFAULT_RATE 524288
/* With the rate at 0, how many bytes of one countdown (a span class, or tiny
 * and large objects) a thread allocates before it looks at the rate again
 * (so that escalloc_set_memprofile_rate takes effect). */
#define ESC_PROF_IDLE_RECHECK (4 << 20)
/* Frames kept per sampled stack (deeper stacks are truncated at the root). */
#define ESC_PROF_MAX_STACK 64

/* A sampling countdown expired at the allocation of p, `size` bytes.  The
 * countdown counts units of `unit` bytes (the slot size, or 1 for the byte
 * countdown); *on says whether its expiry samples (it was drawn at a rate
 * above 0), and is updated.  Samples p or not (a sample increments
 * *span_sampled under the profile lock) and returns the countdown to arm
 * next, in units.  hook_ret is the allocator's return address into the
 * function the program called: that frame and everything below it are left
 * out of the sample's stack (0 keeps them). */
ESC_PROF_HIDDEN int64_t esc_prof_expired(void *p, size_t size, size_t unit, uint8_t *on,
                                         _Atomic uint32_t *span_sampled, uintptr_t hook_ret);
/* Before p, an object of a span whose prof_sampled is not 0, is freed (or
 * reused in place): drops p's sample if it has one, decrementing
 * *span_sampled. */
ESC_PROF_HIDDEN void esc_prof_free_slow(void *p, _Atomic uint32_t *span_sampled);

/* A fatal error is about to abort the process: writes the ESCALLOC_MEMPROFILE
 * profile as at exit. */
ESC_PROF_HIDDEN void esc_prof_write_on_fatal(void);

/* Sets the sampling rate (escalloc_set_memprofile_rate, which malloc.c
 * defines: it then restarts the calling thread's countdowns); returns the
 * old rate, or -1 with errno = EINVAL for a negative rate. */
ESC_PROF_HIDDEN int64_t esc_prof_set_rate(int64_t rate);

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

/* "fp", "libunwind" or "libgcc": the unwinder that samples use now. */
ESC_PROF_HIDDEN const char *esc_prof_unwinder(void);
/* Whether dlopen is safe in this process (not a static executable). */
ESC_PROF_HIDDEN int esc_prof_can_dlopen(void);

/* Allocations aside.  The first sample of a program without frame pointers
 * opens libgcc_s (dlopen) from inside malloc; what the loader allocates then
 * is not the program's, so it comes from a region of its own (mmap), not
 * from the heap: MemStats, the heap and the profile never see it.  While
 * esc_prof_aside is set (the opening thread only), the entry points serve
 * that thread's allocations with esc_prof_aside_alloc; they must also accept
 * pointers esc_prof_aside_owns in free (a no-op: the loader keeps what it
 * allocates for a library that is never closed), realloc and usable_size.
 * The entry layer registers what sends the thread's allocations to its slow
 * paths around the opening (enter) and back (leave); without it the loader's
 * allocations are plain ones (the profiler's unit test). */
ESC_PROF_HIDDEN extern __thread int esc_prof_aside;
ESC_PROF_HIDDEN void esc_prof_set_aside_hooks(void (*enter)(void), void (*leave)(void));
/* size bytes aligned to align (a power of two), or NULL (errno ENOMEM). */
ESC_PROF_HIDDEN void *esc_prof_aside_alloc(size_t size, size_t align);
ESC_PROF_HIDDEN int esc_prof_aside_owns(const void *p);
/* The size p was allocated with. */
ESC_PROF_HIDDEN size_t esc_prof_aside_size(const void *p);

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
