/*
 * stackguard.h — what the allocator tells the stack guard (stackguard.c,
 * above the base layer only; malloc.c calls it).
 */
#ifndef ESCALLOC_STACKGUARD_H
#define ESCALLOC_STACKGUARD_H

#include "base.h"

/* Reads the stack guard's settings, at the thread's first allocation (so
 * that the guard never reads the environment in a signal handler); never
 * allocates. */
ESC_HIDDEN void esc_stack_thread_start(void);

#endif /* ESCALLOC_STACKGUARD_H */
