/*
 * entry.h — the abi.h entry points under hidden names (malloc.c defines
 * them; the escalloc_* symbols are aliases), for the files above malloc.c
 * or beside it: dropin.c, newdelete.c (C++'s entry points, malloc.c's
 * neighbour: operator new's failure path is there), valgrind.c.  Calls from inside the
 * library bind directly, not through the PLT.
 */
#ifndef ESCALLOC_ENTRY_H
#define ESCALLOC_ENTRY_H

#include "runtime.h"

ESC_HIDDEN void *esc_mallocgc(size_t size, uint32_t flags);
ESC_HIDDEN void *esc_malloc(size_t size); /* esc_mallocgc(size, 0) */
ESC_HIDDEN void *esc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags);
ESC_HIDDEN void *esc_calloc(size_t count, size_t size, uint32_t flags);
ESC_HIDDEN void *esc_aligned_alloc(size_t alignment, size_t size, uint32_t flags);
ESC_HIDDEN void esc_free(void *p);
ESC_HIDDEN size_t esc_usable_size(const void *p);
ESC_HIDDEN void *esc_realloc(void *p, size_t size);
/* Gives the calling thread's cached spans back and every free page to the
 * OS (escalloc_free_os_memory, malloc_trim). */
ESC_HIDDEN void esc_free_os_memory(void);
/* operator new's allocation (malloc.c; the C++ names are newdelete.c's):
 * esc_malloc, and on failure esc_new_failed (newdelete.c: the new_handler
 * loop, then std::bad_alloc, or NULL if `nothrow`). */
ESC_HIDDEN void *esc_new_plain(size_t size);
ESC_HIDDEN void *esc_new_failed(size_t size, size_t align, int nothrow);

#endif /* ESCALLOC_ENTRY_H */
