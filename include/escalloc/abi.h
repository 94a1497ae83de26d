/*
 * escalloc/abi.h — the one contract between the escalloc pass and its runtime.
 *
 * Code compiled with the escalloc pass calls only the entry points declared
 * here; the runtime (libescalloc_rt) defines them.  Nothing else is shared.
 *
 * ABI versioning
 *   Every module that the pass lowers references the symbol named by
 *   ESCALLOC_ABI_SYMBOL, weakly (nm: "w escalloc_abi_v1"), and the runtime
 *   defines exactly that symbol: it says which ABI an object was lowered for.
 *   Every lowered module also carries weak definitions of the entry points it
 *   calls, on the C allocator (malloc, calloc, aligned_alloc, realloc, free),
 *   so that it links and runs without any runtime (a static archive linked
 *   by gcc; a shared library whose host is not built by escc); wherever the
 *   runtime is linked its strong definitions win.  (-mllvm
 *   -escalloc-fallbacks=false omits them: the object then needs the runtime.)
 *   So a changed contract cannot be caught by the marker alone: on any
 *   incompatible change, bump ESCALLOC_ABI_VERSION (and the symbol) AND give
 *   every entry point whose contract changed a new name, so that an old
 *   object never binds to a new definition (it keeps its own fallback, which
 *   is malloc: one heap with whatever the process's malloc is).
 *
 * Alignment contract
 *   - Every allocation of more than 8 bytes is aligned to 16 bytes (x86-64's
 *     alignof(max_align_t)): a 24-byte request may hold a long double, so it is
 *     served from the 32-byte size class.
 *   - Allocations of at most 8 bytes are aligned to 8 bytes (nothing larger
 *     than 8 bytes fits in them).
 *   - ESCALLOC_ALIGN8 waives the 16-byte guarantee: the caller promises that no
 *     access to the object needs more than 8-byte alignment.  The runtime may
 *     then use Go's 8-aligned 24-byte size class.  Only the pass sets it, and
 *     only where it sees every access.
 *   - Tiny objects (ESCALLOC_NOSCAN and size < ESCALLOC_TINY_SIZE) are packed
 *     into 16-byte blocks with natural alignment for their size (8 when the size
 *     is a multiple of 8, 4 for multiples of 4, 2 for even sizes, else 1), as in
 *     Go's tiny allocator.
 *   - escalloc_aligned_alloc honours any power-of-two alignment.
 *
 * Flags are a bit set; unknown bits are reserved and must be zero.
 */
#ifndef ESCALLOC_ABI_H
#define ESCALLOC_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ESCALLOC_ABI_VERSION 1
/* The symbol lowered code references; the runtime defines it. */
#define ESCALLOC_ABI_SYMBOL "escalloc_abi_v1"

/* The object holds no pointers (Go's noscan).  Must be exact: a collector may
 * rely on it.  Eligible for the tiny allocator when size < ESCALLOC_TINY_SIZE. */
#define ESCALLOC_NOSCAN 0x1u
/* The memory must be zeroed (calloc). */
#define ESCALLOC_NEEDZERO 0x2u
/* No access needs more than 8-byte alignment (see the alignment contract). */
#define ESCALLOC_ALIGN8 0x4u
/* All defined flag bits. */
#define ESCALLOC_FLAGS_MASK 0x7u

/* Go's constants: 8 KiB pages, objects up to 32 KiB in size classes, tiny
 * blocks of 16 bytes. */
#define ESCALLOC_PAGE_SIZE 8192u
#define ESCALLOC_MAX_SMALL_SIZE 32768u
#define ESCALLOC_TINY_SIZE 16u

/* The ABI version marker (its value is ESCALLOC_ABI_VERSION). */
extern const int escalloc_abi_v1;

/* General allocation: `size` bytes with `flags`.  Returns NULL with errno =
 * ENOMEM when memory is exhausted.  escalloc_mallocgc(0, f) returns a unique
 * pointer, as malloc(0) does. */
void *escalloc_mallocgc(size_t size, uint32_t flags);

/* Allocation whose size class was computed at compile time from the same
 * generated table (rtlib/sizeclasses.h) the runtime uses.  `sizeclass` is the
 * class that escalloc_size_class(size, flags) gives (1..ESCALLOC_NUM_CLASSES-1),
 * `size` the requested size (used for statistics and tiny objects).  The
 * pass uses it where flags remain to act on (NEEDZERO, tiny objects) and
 * escalloc_mallocgc_spc elsewhere. */
void *escalloc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags);

/* The lowered constant-size allocation with nothing left to decide at run
 * time: no NEEDZERO, and not a tiny object (not NOSCAN with size <
 * ESCALLOC_TINY_SIZE).  `spanclass` is Go's span class,
 *     escalloc_size_class(size, flags) << 1 | (flags & ESCALLOC_NOSCAN),
 * computed by the pass from rtlib/sizeclasses.h, so the ALIGN8 decision is
 * part of it (only ALIGN8 callers may name the 24-byte class 3, span classes
 * 6 and 7) and the runtime tests no flags and looks up no class.  The result
 * is as escalloc_mallocgc(size, flags) with those flags; its memory is not
 * zeroed.
 *   - spanclass must be 2..ESCALLOC_NUM_CLASSES*2-1; anything else is not a
 *     span class of this ABI, and the runtime aborts with a message naming
 *     the value ("escalloc: fatal error: escalloc_mallocgc_spc: ...").
 *   - a size larger than the class's objects is re-routed to
 *     escalloc_mallocgc(size, 0), the 16-byte contract and not noscan: the
 *     result is never too small or under-aligned, however wrong the class.
 *   - a NOSCAN span class with size < ESCALLOC_TINY_SIZE gets a slot of the
 *     class, not a tiny object (the pass sends those to mallocgc_class).
 * Every other constant-size case keeps escalloc_mallocgc_class: calloc
 * (NEEDZERO) and tiny objects, whose route depends on their flags. */
void *escalloc_mallocgc_spc(size_t size, uint32_t spanclass);

/* calloc with flags: NULL and errno = ENOMEM when count * size overflows. */
void *escalloc_calloc(size_t count, size_t size, uint32_t flags);

/* Power-of-two alignment; NULL and errno = EINVAL for a bad alignment. */
void *escalloc_aligned_alloc(size_t alignment, size_t size, uint32_t flags);

/* realloc: in place when the new size stays in the object's size class. */
void *escalloc_realloc(void *ptr, size_t size);

/* free: NULL is a no-op; a double free or a foreign pointer aborts with a
 * message naming the address. */
void escalloc_free(void *ptr);

/* The usable size of a live object (a tiny object's own size, not 16). */
size_t escalloc_usable_size(const void *ptr);

/* The stack guard (pass/StackGuard.cpp).  A function holding promoted
 * objects that need stack checks, at entry, that the stack pointer minus its
 * objects' bytes, `low`, satisfies  low - bounds[0] < bounds[1]  (unsigned):
 * in the promotion area at the top of the current thread's stack.  The
 * bounds are a thread-local pair each module defines for itself (`__escalloc_stack`, linkonce_odr, initial-exec); the
 * first check of a thread finds {0, 0} and calls this function (a weak
 * reference: without the runtime the bounds stay {0, 0} and every promoted
 * object of a guarded function takes the heap).  It stores
 *   bounds[0] = stack lowest address + keep, bounds[1] = size - keep,
 * or {0, 1} (never) when the stack is unknown or no larger than keep, where
 * keep = max(size - size * ESCALLOC_STACK_SHARE / 100 (default 12),
 *            ESCALLOC_STACK_RESERVE (default 65536)).
 * Not an ABI-versioned entry point: an old runtime without it only disables
 * the guarded promotions. */
void escalloc_stack_guard_init(uintptr_t bounds[2]);

/* Called (weakly) before the program's makecontext(context, ...) and
 * sigaltstack(stack, old) with the calling module's bounds: when that
 * stack (a ucontext_t's uc_stack, a stack_t) lies inside the thread's own
 * stack, the thread's promotion area shrinks to what lies above it, so
 * that code running there, or deeper than it on the thread's stack, takes
 * the heap. */
void escalloc_stack_guard_makecontext(const void *context, uintptr_t bounds[2]);
void escalloc_stack_guard_sigaltstack(const void *stack, uintptr_t bounds[2]);

#ifdef __cplusplus
}
#endif

#endif /* ESCALLOC_ABI_H */
