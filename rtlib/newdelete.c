/*
 * newdelete.c — C++'s replaceable allocation functions (operator new and
 * delete in all their standard forms: plain, array, nothrow, sized and
 * aligned), so that a C++ program's `new` comes straight here instead of
 * through libstdc++'s operator new and then malloc (about 22 instructions
 * more per operation).  Written in C: each function is defined under its
 * Itanium C++ ABI name with an asm label, so the runtime needs no C++
 * compiler and links no C++ library.
 *
 * Contract (C++17 [new.delete]):
 *   - new never returns NULL: on failure it calls the installed new_handler
 *     and retries, or, without one, throws std::bad_alloc (through
 *     libstdc++'s std::__throw_bad_alloc, which is present whenever a C++
 *     program calls these; without libstdc++ in the process it aborts).
 *   - the nothrow forms return NULL instead of throwing (a handler is still
 *     called, as libstdc++ does; one that throws propagates, as there).
 *   - aligned forms honour any power-of-two alignment (escalloc's
 *     aligned_alloc); the sized deletes ignore the size (the span knows it).
 *   - new(0) returns a unique pointer.
 * Weak like dropin.c's names, and compiled out with ESCALLOC_NO_DROPIN.  Built
 * with -fexceptions (rtlib/CMakeLists.txt) so bad_alloc unwinds through it.
 */
#ifndef ESCALLOC_NO_DROPIN

#include <stddef.h>
#include <stdlib.h>

#include "entry.h"

/* libstdc++, weak: absent in a C process (where nothing calls new). */
typedef void (*esc_new_handler)(void);
extern esc_new_handler esc_get_new_handler(void) __asm__("_ZSt15get_new_handlerv") __attribute__((weak));
extern void esc_throw_bad_alloc(void) __asm__("_ZSt17__throw_bad_allocv") __attribute__((weak, noreturn));

#define ESC_NEW(name, sym) __attribute__((weak, visibility("default"))) name __asm__(sym)

/* Out of memory in a new of `size` bytes aligned to `align` (0: the default
 * alignment): the new_handler loop, then bad_alloc or NULL. */
ESC_NOINLINE void *esc_new_failed(size_t size, size_t align, int nothrow) {
  for (;;) {
    esc_new_handler h = esc_get_new_handler ? esc_get_new_handler() : NULL;
    if (!h)
      break;
    h();
    void *p = align ? esc_aligned_alloc(align, size, 0) : esc_malloc(size);
    if (p)
      return p;
  }
  if (nothrow)
    return NULL;
  if (esc_throw_bad_alloc)
    esc_throw_bad_alloc();
  esc_fatal("out of memory in operator new (and no libstdc++ to throw std::bad_alloc)", NULL);
}

static inline void *new_plain(size_t size, int nothrow) {
  void *p = esc_malloc(size);
  if (ESC_LIKELY(p != NULL))
    return p;
  return esc_new_failed(size, 0, nothrow);
}

static inline void *new_aligned(size_t size, size_t align, int nothrow) {
  void *p = esc_aligned_alloc(align, size, 0);
  if (ESC_LIKELY(p != NULL))
    return p;
  return esc_new_failed(size, align, nothrow);
}

/* std::nothrow_t and std::align_val_t: an empty struct passed by reference,
 * and an enum of size_t passed by value. */
typedef const void *nothrow_ref;
typedef size_t align_val;

ESC_NEW(void *esc_new(size_t n), "_Znwm");
ESC_NEW(void *esc_new_array(size_t n), "_Znam");
ESC_NEW(void *esc_new_nothrow(size_t n, nothrow_ref t), "_ZnwmRKSt9nothrow_t");
ESC_NEW(void *esc_new_array_nothrow(size_t n, nothrow_ref t), "_ZnamRKSt9nothrow_t");
ESC_NEW(void *esc_new_aligned(size_t n, align_val a), "_ZnwmSt11align_val_t");
ESC_NEW(void *esc_new_array_aligned(size_t n, align_val a), "_ZnamSt11align_val_t");
ESC_NEW(void *esc_new_aligned_nothrow(size_t n, align_val a, nothrow_ref t), "_ZnwmSt11align_val_tRKSt9nothrow_t");
ESC_NEW(void *esc_new_array_aligned_nothrow(size_t n, align_val a, nothrow_ref t),
        "_ZnamSt11align_val_tRKSt9nothrow_t");

ESC_NEW(void esc_delete(void *p), "_ZdlPv");
ESC_NEW(void esc_delete_array(void *p), "_ZdaPv");
ESC_NEW(void esc_delete_sized(void *p, size_t n), "_ZdlPvm");
ESC_NEW(void esc_delete_array_sized(void *p, size_t n), "_ZdaPvm");
ESC_NEW(void esc_delete_nothrow(void *p, nothrow_ref t), "_ZdlPvRKSt9nothrow_t");
ESC_NEW(void esc_delete_array_nothrow(void *p, nothrow_ref t), "_ZdaPvRKSt9nothrow_t");
ESC_NEW(void esc_delete_aligned(void *p, align_val a), "_ZdlPvSt11align_val_t");
ESC_NEW(void esc_delete_array_aligned(void *p, align_val a), "_ZdaPvSt11align_val_t");
ESC_NEW(void esc_delete_sized_aligned(void *p, size_t n, align_val a), "_ZdlPvmSt11align_val_t");
ESC_NEW(void esc_delete_array_sized_aligned(void *p, size_t n, align_val a), "_ZdaPvmSt11align_val_t");
ESC_NEW(void esc_delete_aligned_nothrow(void *p, align_val a, nothrow_ref t), "_ZdlPvSt11align_val_tRKSt9nothrow_t");
ESC_NEW(void esc_delete_array_aligned_nothrow(void *p, align_val a, nothrow_ref t),
        "_ZdaPvSt11align_val_tRKSt9nothrow_t");

/* malloc.c's fast path, with the failure handling in its slow path. */
void *esc_new(size_t n) { return esc_new_plain(n); }
void *esc_new_array(size_t n) { return esc_new_plain(n); }
void *esc_new_nothrow(size_t n, nothrow_ref t) { (void)t; return new_plain(n, 1); }
void *esc_new_array_nothrow(size_t n, nothrow_ref t) { (void)t; return new_plain(n, 1); }
void *esc_new_aligned(size_t n, align_val a) { return new_aligned(n, a, 0); }
void *esc_new_array_aligned(size_t n, align_val a) { return new_aligned(n, a, 0); }
void *esc_new_aligned_nothrow(size_t n, align_val a, nothrow_ref t) { (void)t; return new_aligned(n, a, 1); }
void *esc_new_array_aligned_nothrow(size_t n, align_val a, nothrow_ref t) { (void)t; return new_aligned(n, a, 1); }

void esc_delete(void *p) { esc_free(p); }
void esc_delete_array(void *p) { esc_free(p); }
void esc_delete_sized(void *p, size_t n) { (void)n; esc_free(p); }
void esc_delete_array_sized(void *p, size_t n) { (void)n; esc_free(p); }
void esc_delete_nothrow(void *p, nothrow_ref t) { (void)t; esc_free(p); }
void esc_delete_array_nothrow(void *p, nothrow_ref t) { (void)t; esc_free(p); }
void esc_delete_aligned(void *p, align_val a) { (void)a; esc_free(p); }
void esc_delete_array_aligned(void *p, align_val a) { (void)a; esc_free(p); }
void esc_delete_sized_aligned(void *p, size_t n, align_val a) { (void)n, (void)a; esc_free(p); }
void esc_delete_array_sized_aligned(void *p, size_t n, align_val a) { (void)n, (void)a; esc_free(p); }
void esc_delete_aligned_nothrow(void *p, align_val a, nothrow_ref t) { (void)a, (void)t; esc_free(p); }
void esc_delete_array_aligned_nothrow(void *p, align_val a, nothrow_ref t) { (void)a, (void)t; esc_free(p); }

#endif /* ESCALLOC_NO_DROPIN */
