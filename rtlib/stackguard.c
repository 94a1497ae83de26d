/*
 * stackguard.c — the per-thread stack bounds behind the pass's stack guard.
 *
 * Owns: escalloc_stack_guard_init (declared in escalloc/abi.h) and the stack
 * reserve setting (ESCALLOC_STACK_RESERVE).  It keeps no state of its own: the
 * bounds live in a thread-local pair that each compiled module defines
 * (`__escalloc_stack`, see pass/StackGuard.cpp), filled here on the first
 * guarded call of each thread.
 *
 * Invariants:
 *   - After a call, bounds[1] != 0: a thread asks once (per module copy).
 *   - bounds describe [stack lowest address + reserve, stack top): a guarded
 *     function takes stack for its objects only while the stack pointer minus
 *     their size stays in that range, so promoted objects never use the
 *     reserve, and a stack no larger than the reserve (a small thread stack,
 *     e.g. 48 KiB with pthread_attr_setstacksize) promotes nothing.
 *   - Code running on another stack (sigaltstack, a coroutine) sees a stack
 *     pointer outside the range and takes the heap.
 *   - The main thread's bounds come from AT_EXECFN and RLIMIT_STACK (no
 *     allocation, async-signal-safe: the first guarded call may be in a
 *     signal handler); other threads' from pthread_getattr_np.
 *
 * Cost: once per thread, a getrlimit (main thread) or pthread_getattr_np
 * (which allocates a CPU set with malloc: the first guarded call of a
 * thread is one malloc and free more than the program made).
 */
#include "escalloc/abi.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc: the highest address of the main thread's stack that the program
 * uses (below it: argv, the environment, the auxiliary vector). */
extern void *__libc_stack_end;

/* The reserve: objects are promoted only while this much stack stays free
 * below them, for whatever the rest of the program needs (its own frames,
 * libc, signal handlers). */
#define ESC_STACK_RESERVE_DEFAULT ((uintptr_t)64 << 10)
/* ... and at least this fraction of the stack (1/4: 2 MiB of 8 MiB): the
 * guard cannot know how deep the program goes after its last promotion, so
 * promoted objects use at most three quarters of any stack. */
#define ESC_STACK_RESERVE_SHIFT 2

static uintptr_t stack_reserve(void) {
  static _Atomic uintptr_t cached; /* 0: not read yet */
  uintptr_t r = atomic_load_explicit(&cached, memory_order_relaxed);
  if (r)
    return r - 1;
  r = ESC_STACK_RESERVE_DEFAULT;
  const char *s = getenv("ESCALLOC_STACK_RESERVE");
  if (s && *s) {
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end == '\0')
      r = (uintptr_t)v;
  }
  atomic_store_explicit(&cached, r + 1, memory_order_relaxed);
  return r;
}

/* The main thread's stack: RLIMIT_STACK bytes below the top of its mapping
 * (an unlimited stack counts as 8 MiB).  The top is just above the program's
 * file name (AT_EXECFN), the highest string the kernel puts there; without
 * it, __libc_stack_end plus a quarter of the limit (the most the kernel
 * allows for arguments and environment) bounds it. */
static int main_stack(uintptr_t *addr, size_t *size) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) != 0)
    return 0;
  uintptr_t limit = rl.rlim_cur == RLIM_INFINITY ? (uintptr_t)8 << 20
                                                  : (uintptr_t)rl.rlim_cur;
  uintptr_t top = (uintptr_t)__libc_stack_end;
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  if (execfn && (uintptr_t)execfn > top)
    top = ((uintptr_t)execfn + strlen(execfn) + 1 + sizeof(void *) + 4095) &
          ~(uintptr_t)4095;
  else
    limit -= limit / 4;
  uintptr_t used = top - (uintptr_t)__libc_stack_end;
  if (limit <= used || top < limit)
    return 0;
  *addr = top - limit;
  *size = limit;
  return 1;
}

static int thread_stack(uintptr_t *addr, size_t *size) {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return 0;
  void *a;
  int err = pthread_attr_getstack(&attr, &a, size);
  pthread_attr_destroy(&attr);
  *addr = (uintptr_t)a;
  return err == 0 && a != NULL;
}

void escalloc_stack_guard_init(uintptr_t bounds[2]) {
  bounds[0] = 0; /* never: low - 0 < 1 only for low == 0 */
  bounds[1] = 1;
  uintptr_t addr;
  size_t size;
  int main_thread = getpid() == (pid_t)syscall(SYS_gettid);
  if (!(main_thread ? main_stack(&addr, &size) : thread_stack(&addr, &size)))
    return;
  uintptr_t reserve = stack_reserve();
  if (reserve < size >> ESC_STACK_RESERVE_SHIFT)
    reserve = size >> ESC_STACK_RESERVE_SHIFT;
  if (size <= reserve)
    return;
  bounds[0] = addr + reserve;
  bounds[1] = size - reserve;
}
