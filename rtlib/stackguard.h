/*
 * stackguard.h — what the allocator tells the stack guard (stackguard.c,
 * above the base layer only; malloc.c calls it).
 */
#ifndef ESCALLOC_STACKGUARD_H
#define ESCALLOC_STACKGUARD_H

#include "base.h"

/* Records the calling thread's stack for the stack guard; called at the
 * thread's first allocation, with its cache in place (it allocates). */
ESC_HIDDEN void esc_stack_thread_start(void);

#endif /* ESCALLOC_STACKGUARD_H */
