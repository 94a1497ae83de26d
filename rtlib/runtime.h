/*
 * runtime.h — the span-class encoding every layer shares (part of the base
 * layer, with base.h, which it includes).  Nothing here allocates.
 *
 * Span classes: sizeclass << 1 | noscan, as in Go.  Span class 1 (size class
 * 0 with noscan) has no use in Go, because class 0 means "large"; we use it for
 * the spans that hold 16-byte tiny blocks (see malloc.c).
 */
#ifndef ESCALLOC_RUNTIME_H
#define ESCALLOC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "escalloc/abi.h"
#include "sizeclasses.h"

#define ESC_PAGE_SHIFT ESCALLOC_PAGE_SHIFT
#define ESC_PAGE_SIZE ((uintptr_t)ESCALLOC_PAGE_SIZE)
#define ESC_NUM_SPANCLASSES (ESCALLOC_NUM_CLASSES * 2)
#define ESC_TINY_SPANCLASS 1u
#define ESC_TINY_BLOCK 16u

static inline uint32_t esc_spanclass(uint32_t sizeclass, uint32_t noscan) {
  return sizeclass << 1 | (noscan & 1);
}
static inline uint32_t esc_spanclass_sizeclass(uint32_t spc) {
  return spc == ESC_TINY_SPANCLASS ? escalloc_size_class(ESC_TINY_BLOCK, 0) : spc >> 1;
}

#endif /* ESCALLOC_RUNTIME_H */
