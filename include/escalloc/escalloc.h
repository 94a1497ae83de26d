/*
 * escalloc/escalloc.h — the runtime's public API for C programs: heap
 * statistics (Go's runtime.MemStats), returning memory to the OS (Go's
 * debug.FreeOSMemory) and heap profiles.
 *
 * The allocation entry points themselves are the standard ones (malloc, free,
 * ...), which the runtime replaces, and the prefixed ones in escalloc/abi.h.
 */
#ifndef ESCALLOC_ESCALLOC_H
#define ESCALLOC_ESCALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "escalloc/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* These functions never call back into the program: telling the compiler so
 * (leaf) keeps the escalloc pass from treating a call to them as code that
 * might re-enter the caller, which would shrink the caller's stack budget. */
#if defined(__GNUC__) || defined(__clang__)
#define ESCALLOC_LEAF __attribute__((leaf, nothrow))
#else
#define ESCALLOC_LEAF
#endif

/* Number of size classes including class 0 (large objects); matches Go. */
#define ESCALLOC_NUM_SIZE_CLASSES 68

/* Per size class counters, as Go's MemStats.BySize. */
struct escalloc_class_stats {
  uint32_t size;    /* object size of the class */
  uint64_t mallocs; /* objects allocated in this class, cumulative */
  uint64_t frees;   /* objects freed in this class, cumulative */
};

/* Go's runtime.MemStats, the fields that mean something without a collector.
 * Byte counts are of slots (size-class sizes), not of requested sizes: a
 * large object counts its whole pages, and a 16-byte tiny block counts 16
 * bytes (in BySize's 16-byte class) however many tiny objects it holds.
 * Object counts (Mallocs, Frees, HeapObjects) count what the program sees:
 * each tiny object once.  Counters are kept per thread and added up here. */
struct escalloc_memstats {
  uint64_t Alloc;        /* = HeapAlloc */
  uint64_t TotalAlloc;   /* bytes allocated, cumulative */
  uint64_t Sys;          /* bytes obtained from the OS (virtual, mapped) */
  uint64_t Mallocs;      /* objects allocated, cumulative */
  uint64_t Frees;        /* objects freed, cumulative */
  uint64_t HeapAlloc;    /* bytes in live objects (slot sizes) */
  uint64_t HeapSys;      /* bytes of heap memory obtained from the OS */
  uint64_t HeapIdle;     /* bytes in spans with no objects */
  uint64_t HeapInuse;    /* bytes in spans with at least one object */
  uint64_t HeapReleased; /* bytes of idle spans returned to the OS */
  uint64_t HeapObjects;  /* live objects */
  uint64_t TinyAllocs;   /* tiny objects allocated, cumulative */
  uint64_t LargeAllocs;  /* objects above 32 KiB allocated, cumulative */
  struct escalloc_class_stats BySize[ESCALLOC_NUM_SIZE_CLASSES];
};

/* Fills *stats.  Counters of threads that are still running may lag by the
 * allocations they have not yet flushed; once all other threads are joined the
 * figures are exact.  Not async-signal-safe: it takes the runtime's locks, so
 * a signal handler that calls it while its thread is inside malloc or free
 * may deadlock.  (A handler that interrupts only the re-arming of a heap
 * profiler countdown does not wait for it: that size class's count then lags
 * by up to the countdown's allocations.) */
ESCALLOC_LEAF void escalloc_read_memstats(struct escalloc_memstats *stats);

/* Returns every free page to the OS now (madvise), as Go's debug.FreeOSMemory. */
ESCALLOC_LEAF void escalloc_free_os_memory(void);

/* --- Heap profiling (Go's runtime.MemProfileRate, pprof.WriteHeapProfile) ---
 * The runtime samples about one allocation per `rate` bytes allocated (an
 * exponential interval, as Go does), records its call stack and follows it
 * until it is freed.  ESCALLOC_MEMPROFILE_RATE sets the rate at start-up
 * (default 524288; 0 = off; 1 = every allocation); ESCALLOC_MEMPROFILE=path
 * writes a profile at exit (%p in path expands to the pid; without it a forked
 * child writes none).  Read profiles with `go tool pprof`. */

/* Writes the heap profile now: pprof's profile.proto, gzip-compressed, with
 * alloc_objects, alloc_space, inuse_objects and inuse_space scaled as Go
 * scales them.  Returns 0, or -1 with errno set. */
ESCALLOC_LEAF int escalloc_write_heap_profile(const char *path);

/* Sets the sampling rate in bytes (0 = off, 1 = every allocation) and returns
 * the previous one; -1 with errno = EINVAL for a negative rate.  Set it early:
 * threads other than the caller switch at their next sample (or within 4 MiB
 * of allocation when the old rate was 0). */
ESCALLOC_LEAF int64_t escalloc_set_memprofile_rate(int64_t rate);

#ifdef __cplusplus
}
#endif

#endif /* ESCALLOC_ESCALLOC_H */
