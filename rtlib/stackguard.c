/*
 * stackguard.c — the per-thread stack bounds behind the pass's stack guard.
 *
 * Owns: escalloc_stack_guard_init (declared in escalloc/abi.h), the record of
 * each thread's stack (escalloc_stack_guard_record) and the settings
 * ESCALLOC_STACK_SHARE and ESCALLOC_STACK_RESERVE.  The bounds the guard
 * compares with live in a thread-local pair that each compiled module
 * defines (`__escalloc_stack`, see pass/StackGuard.cpp), filled here on the
 * first guarded call of each thread.
 *
 * Invariants:
 *   - After a call, bounds[1] != 0 (a thread asks once per module copy),
 *     except on a thread whose stack is not recorded yet (below): {0, 0},
 *     that call takes the heap and the next asks again.
 *   - bounds describe the promotion area [top - share, top) of the current
 *     thread's stack, share = ESCALLOC_STACK_SHARE percent of its size (but
 *     at least ESCALLOC_STACK_RESERVE bytes below it stay the program's): a
 *     guarded function takes stack for its objects only while the stack
 *     pointer minus their size stays in that area, so promoted objects live
 *     only there and together never take more than the share.  Hence the
 *     guarantee: a program that runs in (100 - share)% of its stack with its
 *     objects on the heap runs with them promoted.  A stack no larger than
 *     the reserve (a small thread stack, e.g. 48 KiB with
 *     pthread_attr_setstacksize) promotes nothing.
 *   - Code running on another stack (sigaltstack, a coroutine) sees a stack
 *     pointer outside the range and takes the heap.  When that stack is a
 *     local array inside the thread's stack, the pass calls
 *     escalloc_stack_guard_makecontext/_sigaltstack before the program's
 *     makecontext/sigaltstack, and the area is kept above it (tls_floor):
 *     for the calling module's bounds at once, for other modules' (other
 *     shared objects) at their first check on the thread.
 *   - escalloc_stack_guard_init is async-signal-safe (the first guarded
 *     call of a thread may be in a signal handler, on a path that allocates
 *     nothing): no allocation, no lock.  The main thread's bounds come from
 *     AT_EXECFN and RLIMIT_STACK; another thread's from pthread_getattr_np
 *     (which allocates and locks), called only from
 *     escalloc_stack_guard_record: the pass calls it on a guarded site's
 *     heap path while the bounds are unset, in program code, right before
 *     the program's own allocation (never from inside the allocator, which
 *     pthread_getattr_np itself calls: that would deadlock on its lock).
 *     The record is kept in this file's thread-locals.  Until then the
 *     thread's guarded objects take the heap.
 *
 * Cost: once per thread, a getrlimit (main thread) or getpid, gettid and
 * pthread_getattr_np at its first guarded heap allocation (two small
 * allocations and a free).
 */
#include "base.h"
#include "runtime.h"
#include "stackguard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

/* glibc: the highest address of the main thread's stack that the program
 * uses (below it: argv, the environment, the auxiliary vector). */
extern void *__libc_stack_end;

/* What promoted objects may use of a stack: its top ESCALLOC_STACK_SHARE
 * percent (default 12: 983 KiB of 8 MiB).  Promoted objects lie only there,
 * so together they never take more than that share, whatever the depth: a
 * program that needs at most the rest of its stack with every object on the
 * heap (its own frames, signal frames, libc) still fits.  A program that
 * needs more may overflow where it did not: the check at a promotion cannot
 * know how deep the program goes while the objects live. */
#define ESC_STACK_SHARE_DEFAULT 12
/* ... and at least ESCALLOC_STACK_RESERVE bytes (default 64 KiB) stay for the
 * program below them: a stack no larger than that promotes nothing. */
#define ESC_STACK_RESERVE_DEFAULT ((uintptr_t)64 << 10)

/* A number from the environment, read once (\p cached: 0 = not read yet). */
static uintptr_t env_number(const char *name, uintptr_t dflt, uintptr_t max,
                            _Atomic uintptr_t *cached) {
  uintptr_t r = atomic_load_explicit(cached, memory_order_relaxed);
  if (r)
    return r - 1;
  r = dflt;
  const char *s = esc_getenv(name);
  if (s && *s) {
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end == '\0' && v <= max)
      r = (uintptr_t)v;
  }
  atomic_store_explicit(cached, r + 1, memory_order_relaxed);
  return r;
}

static uintptr_t stack_reserve(void) {
  static ESC_EARLY _Atomic uintptr_t cached;
  return env_number("ESCALLOC_STACK_RESERVE", ESC_STACK_RESERVE_DEFAULT,
                    UINTPTR_MAX - 1, &cached);
}

static uintptr_t stack_share(void) {
  static ESC_EARLY _Atomic uintptr_t cached;
  return env_number("ESCALLOC_STACK_SHARE", ESC_STACK_SHARE_DEFAULT, 100,
                    &cached);
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

/* The calling thread's stack as the runtime recorded it at the thread's first
 * heap allocation of a guarded site (escalloc_stack_guard_record):
 * {lowest address, size}, {0, 0} while
 * not recorded; and whether the thread is the process's main thread
 * (0: not asked yet, 1: main, 2: another). */
static _Thread_local uintptr_t tls_stack[2]
    __attribute__((tls_model("initial-exec")));
static _Thread_local int tls_is_main __attribute__((tls_model("initial-exec")));
/* The top of the highest other stack (a coroutine's, an alternate signal
 * stack) found inside this thread's stack: promotion stays above it. */
static _Thread_local uintptr_t tls_floor __attribute__((tls_model("initial-exec")));

static int is_main_thread(void) {
  if (!tls_is_main) /* two system calls, async-signal-safe */
    tls_is_main = getpid() == (pid_t)syscall(SYS_gettid) ? 1 : 2;
  return tls_is_main == 1;
}

/* pthread_getattr_np allocates (a CPU set, with malloc) and takes the
 * thread's descriptor lock: not async-signal-safe, and it deadlocks when the
 * thread is inside pthread_getattr_np already (an allocation made from there
 * must not call it).  So it runs only from escalloc_stack_guard_record, on a
 * guarded site's heap path in program code, right before the program's own
 * allocation: never in the check at entry, which may run in a signal handler
 * on a path that allocates nothing. */
static void record_thread_stack(void) {
  if (tls_stack[1] || is_main_thread())
    return;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0)
    return;
  void *a;
  size_t size;
  int err = pthread_attr_getstack(&attr, &a, &size);
  pthread_attr_destroy(&attr);
  if (err != 0 || a == NULL || size == 0)
    return;
  tls_stack[0] = (uintptr_t)a;
  tls_stack[1] = size;
}

/* Keeps bounds (when set) above tls_floor. */
static void apply_floor(uintptr_t bounds[2]) {
  if (bounds[1] <= 1 || tls_floor <= bounds[0])
    return; /* not set, never, or nothing below */
  uintptr_t end = bounds[0] + bounds[1];
  if (tls_floor >= end) {
    bounds[0] = 0;
    bounds[1] = 1;
    return;
  }
  bounds[0] = tls_floor;
  bounds[1] = end - tls_floor;
}

/* Async-signal-safe: no allocation, no lock, system calls only. */
void escalloc_stack_guard_init(uintptr_t bounds[2]) {
  uintptr_t addr;
  size_t size;
  if (is_main_thread()) {
    bounds[0] = 0; /* never: low - 0 < 1 only for low == 0 */
    bounds[1] = 1;
    if (!main_stack(&addr, &size))
      return;
  } else if (tls_stack[1]) {
    bounds[0] = 0;
    bounds[1] = 1;
    addr = tls_stack[0];
    size = tls_stack[1];
  } else {
    /* Not recorded yet: the thread has not allocated.  This call takes
     * the heap (its allocation, if it makes one, records the stack) and
     * the next asks again. */
    bounds[0] = bounds[1] = 0;
    return;
  }
  /* keep: the bytes below the promotion area, for the program alone. */
  uintptr_t keep = size - size / 100 * stack_share() - size % 100 * stack_share() / 100;
  if (keep < stack_reserve())
    keep = stack_reserve();
  if (size <= keep)
    return;
  bounds[0] = addr + keep;
  bounds[1] = size - keep;
  apply_floor(bounds);
}

/* A stack [lo, lo + size) that code is about to run on.  When it lies in
 * the thread's own stack (a local array), code running there has its stack
 * pointer inside the bounds, and so does code running deeper than the
 * array's frame: the promotion area shrinks to what lies above it, for
 * this module's bounds now and for every module's at its first check.
 * Where the thread's stack is not recorded yet, a stack above the caller's
 * frame is taken to be in it (a live local array is above the current
 * stack pointer; a wrong guess only promotes less). */
static void note_foreign(uintptr_t lo, uintptr_t size, uintptr_t bounds[2]) {
  if (!lo || !size)
    return;
  uintptr_t hi = lo + size, addr, ssize;
  int inside;
  if (is_main_thread() ? main_stack(&addr, &ssize)
                       : (addr = tls_stack[0], ssize = tls_stack[1]) != 0)
    inside = hi > addr && lo < addr + ssize;
  else
    inside = hi > (uintptr_t)__builtin_frame_address(0);
  if (!inside)
    return;
  if (hi > tls_floor)
    tls_floor = hi;
  apply_floor(bounds);
}

/* The settings are read at load (the constructor below) and at a thread's
 * first allocation, so that the guard never calls getenv in a signal
 * handler, not even for a guarded call in a handler that runs before the
 * program's first allocation.  (The call from the allocator is also what
 * pulls this object from a static archive: the pass's references are weak.) */
void esc_stack_thread_start(void) {
  (void)stack_share();
  (void)stack_reserve();
}

__attribute__((constructor)) static void stack_guard_settings(void) {
  esc_stack_thread_start();
}

void escalloc_stack_guard_record(uintptr_t bounds[2]) {
  record_thread_stack();
  escalloc_stack_guard_init(bounds);
}

void escalloc_stack_guard_makecontext(const void *context, uintptr_t bounds[2]) {
  const ucontext_t *ucp = context;
  if (ucp)
    note_foreign((uintptr_t)ucp->uc_stack.ss_sp, ucp->uc_stack.ss_size, bounds);
}

void escalloc_stack_guard_sigaltstack(const void *stack, uintptr_t bounds[2]) {
  const stack_t *ss = stack;
  if (ss && !(ss->ss_flags & SS_DISABLE))
    note_foreign((uintptr_t)ss->ss_sp, ss->ss_size, bounds);
}
