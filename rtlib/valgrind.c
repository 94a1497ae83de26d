/*
 * valgrind.c — allocations described to Valgrind's memcheck.
 *
 * Under memcheck (base.c's esc_vg_running) memcheck sees none of escalloc's
 * objects by itself: its replacements cover libc's malloc, while an escc
 * program's malloc is the runtime's own, and lowered allocations call
 * escalloc_mallocgc* directly.  So, as mimalloc's valgrind mode does, the
 * runtime describes each object with memcheck's client requests: an object
 * is a MALLOCLIKE block of the requested size from allocation to free, a
 * FREELIKE one after, so memcheck reports leaks, reads of uninitialised or
 * freed memory, overruns past the requested size and invalid frees as it does
 * for glibc's heap.
 *
 * How: forward.c's decision sees Valgrind (ESC_FWD_VALGRIND) and routes every
 * entry point here through the forwarding slow paths; the runtime runs as
 * with ESCALLOC_DEBUG=1 (esc_settings.debug), so no fast path bypasses them.
 * The allocator's own work on the slots (free lists, debug fills, zeroing)
 * runs with memcheck's error reporting off and esc_vg_inside set, which sends
 * the nested entry points to the real allocator.  Each slow path tail-calls
 * into escalloc_valgrind_alloc / _free, and they make the request, so the
 * stacks memcheck records have that one runtime frame above the caller's
 * (as memcheck's own show its malloc replacement).
 *
 * Each object the program gets starts ESC_VG_HEADER bytes (or the asked
 * alignment, if larger) into a slot of its size plus that gap and
 * ESC_VG_TAIL; the gap ends with a header holding the offset and the
 * requested size.  The runtime's metadata holds slot
 * addresses (a span's base is its first slot, a large object's slot is its
 * span's base), which memcheck's leak search would otherwise take for
 * pointers to the object: a leaked first object of a span would be "still
 * reachable".  usable_size is the requested size, as memcheck's own
 * malloc_usable_size says.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"
#include "escalloc/abi.h"
#include "forward.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define ESC_HAVE_VALGRIND 1
#endif
#endif

__thread int esc_vg_inside;

#ifdef ESC_HAVE_VALGRIND

#define INSIDE_BEGIN()                                                                             \
  do {                                                                                             \
    esc_vg_inside++;                                                                               \
    VALGRIND_DISABLE_ERROR_REPORTING;                                                              \
  } while (0)
#define INSIDE_END()                                                                               \
  do {                                                                                             \
    VALGRIND_ENABLE_ERROR_REPORTING;                                                               \
    esc_vg_inside--;                                                                               \
  } while (0)

/* The gap before each object (holding the header in its last 16 bytes) and
 * after it: memcheck describes an address by the first block, live or
 * recently freed, within its redzone (16 bytes) of it, so neighbouring
 * objects must not come closer than that. */
#define ESC_VG_HEADER 32u
#define ESC_VG_TAIL 32u

struct vg_header { /* the last 16 bytes before the object */
  size_t offset;   /* from the slot's start to the object */
  size_t size;     /* requested */
};

static struct vg_header *header_of(const void *q) { return (struct vg_header *)q - 1; }

/* The slot an object of ours starts in; inside only. */
static void *slot_of(const void *q) { return (char *)q - header_of(q)->offset; }

ESC_NOINLINE void *escalloc_valgrind_alloc(size_t size, uint32_t flags, size_t alignment) {
  size_t off = alignment > ESC_VG_HEADER ? alignment : ESC_VG_HEADER;
  if (size > SIZE_MAX / 2)
    off = 0; /* fails below, as the runtime fails it */
  INSIDE_BEGIN();
  char *p = alignment ? esc_aligned_alloc(alignment, size + off + ESC_VG_TAIL, flags)
                      : esc_mallocgc(size + off + ESC_VG_TAIL, flags);
  if (p)
    *header_of(p + off) = (struct vg_header){off, size};
  INSIDE_END();
  if (!p)
    return NULL;
  VALGRIND_MALLOCLIKE_BLOCK(p + off, size, 0, (flags & ESCALLOC_NEEDZERO) != 0);
  return p + off;
}

/* Freed objects wait in a FIFO quarantine (up to ESC_VG_QUARANTINE_BYTES
 * of them, memcheck's own --freelist-vol default) before their slots go back
 * to the allocator, as memcheck's malloc replacement holds freed blocks back.
 * Without it a slot was reused at once, and memcheck, which describes an
 * address by the oldest freed block it remembers there, called a use after
 * free of malloc(100) "inside a block of size 104" (an older calloc at the
 * same address), and a read of it could hit the slot's next object instead
 * of freed memory.  Guarded by quarantine_lock; the ring is mapped at the
 * first free under memcheck, so other processes pay nothing. */
#define ESC_VG_QUARANTINE_BYTES ((size_t)20000000)
#define ESC_VG_QUARANTINE_SLOTS ((size_t)1 << 16)
#define ESC_VG_FREED SIZE_MAX /* header.size of an object in the quarantine */

static pthread_mutex_t quarantine_lock = PTHREAD_MUTEX_INITIALIZER;
static void **quarantine; /* ring of slots, oldest at q_head */
static size_t q_head, q_count, q_bytes;

/* Quarantines the slot of q, size bytes in all; frees the oldest slots
 * beyond the limits.  Inside. */
static void quarantine_push(void *slot, size_t bytes) {
  pthread_mutex_lock(&quarantine_lock);
  if (!quarantine)
    quarantine = esc_os_reserve(ESC_VG_QUARANTINE_SLOTS * sizeof(void *));
  if (!quarantine) {
    pthread_mutex_unlock(&quarantine_lock);
    esc_free(slot);
    return;
  }
  while (q_count && (q_count == ESC_VG_QUARANTINE_SLOTS || q_bytes + bytes > ESC_VG_QUARANTINE_BYTES)) {
    void *old = quarantine[q_head];
    q_head = (q_head + 1) % ESC_VG_QUARANTINE_SLOTS;
    q_count--;
    q_bytes -= esc_usable_size(old);
    esc_free(old);
  }
  quarantine[(q_head + q_count) % ESC_VG_QUARANTINE_SLOTS] = slot;
  q_count++;
  q_bytes += bytes;
  pthread_mutex_unlock(&quarantine_lock);
}

ESC_NOINLINE void escalloc_valgrind_free(void *q) {
  VALGRIND_FREELIKE_BLOCK(q, 0); /* a second free: memcheck reports it here */
  INSIDE_BEGIN();
  struct vg_header *h = header_of(q);
  if (h->size != ESC_VG_FREED) {
    h->size = ESC_VG_FREED;
    void *slot = slot_of(q);
    quarantine_push(slot, esc_usable_size(slot));
  }
  INSIDE_END();
}

size_t esc_vg_usable_size(const void *q) {
  INSIDE_BEGIN();
  esc_usable_size(slot_of(q)); /* validates it as escalloc's usable_size does */
  size_t n = header_of(q)->size;
  INSIDE_END();
  return n;
}

/* A new object and a copy, never in place: memcheck then knows the new
 * size exactly and reports reads of the old object. */
ESC_NOINLINE void *escalloc_valgrind_realloc(void *p, size_t size) {
  if (!p)
    return escalloc_valgrind_alloc(size, 0, 0);
  if (size == 0) {
    escalloc_valgrind_free(p);
    return NULL;
  }
  INSIDE_BEGIN();
  size_t have = header_of(p)->size;
  INSIDE_END();
  if (have == ESC_VG_FREED)
    have = 0; /* p was freed: memcheck reports the reads below */
  void *q = escalloc_valgrind_alloc(size, 0, 0);
  if (!q)
    return NULL;
  memcpy(q, p, have < size ? have : size); /* definedness travels with the bytes */
  escalloc_valgrind_free(p);
  return q;
}

#else /* no valgrind headers: never under Valgrind, as far as we can tell */

void *escalloc_valgrind_alloc(size_t size, uint32_t flags, size_t alignment) {
  return alignment ? esc_aligned_alloc(alignment, size, flags) : esc_mallocgc(size, flags);
}
void escalloc_valgrind_free(void *p) { esc_free(p); }
size_t esc_vg_usable_size(const void *p) { return esc_usable_size(p); }
void *escalloc_valgrind_realloc(void *p, size_t size) { return esc_realloc(p, size); }

#endif
