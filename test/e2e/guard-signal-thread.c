// Stack guard, signal safety: a thread's first guarded call is in a signal
// handler, on a path that allocates nothing (the handler's buffer is only
// made for a nonzero argument).  Finding a thread's stack takes
// pthread_getattr_np, which allocates and takes a lock: called from the
// guard's check, it would allocate inside the handler where the program
// did not (a deadlock when the signal interrupted the allocator).  So the
// runtime records a thread's stack on a guarded site's heap path, right
// before the program's own allocation; until then its guarded objects take
// the heap.  The program counts the
// runtime's allocations around the handler (none), then around the
// thread's first ordinary call (the buffer on the heap, and what recording
// the stack allocates) and its second (none: the buffer on the stack).
//
// RUN: %escc -O1 %s -o %t.O1 && %run %t.O1 | FileCheck %s
// RUN: %escc -O2 %s -o %t.O2 && %run %t.O2 | FileCheck %s
// RUN: %escc -O3 %s -o %t.O3 && %run %t.O3 | FileCheck %s
// RUN: %escc -Os %s -o %t.Os && %run %t.Os | FileCheck %s
// RUN: %escc -O2 -flto=full %s -o %t.lto && %run %t.lto | FileCheck %s
// CHECK: in the handler: 0 allocations
// CHECK-NEXT: first call: {{[1-9][0-9]*}} allocations
// CHECK-NEXT: second call: 0 allocations
// CHECK-NEXT: sum 8000
//
// The result equals clang -O0's (without the lines above, which come from
// the runtime's statistics):
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "-DNO_COUNTS" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum.h"

#if !defined(NO_COUNTS) && __has_include(<escalloc/escalloc.h>)
#include <escalloc/escalloc.h>
#define COUNTS 1
#endif

static long sum;

// A 4000-byte buffer handed to a function: guarded.  With k == 0 nothing is
// allocated (the path a handler takes), but the guard checks at entry.
static __attribute__((noinline)) long work(int k) {
  if (k == 0)
    return 0;
  unsigned char *buf = malloc(4000);
  if (!buf)
    return -1;
  memset(buf, k, 4000);
  long s = checksum(buf, 4000);
  free(buf);
  return s;
}

static void on_signal(int sig) {
  (void)sig;
  sum += work(0);
}

static unsigned long long mallocs(void) {
#ifdef COUNTS
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  return (unsigned long long)st.Mallocs;
#else
  return 0;
#endif
}

static void report(const char *what, unsigned long long n) {
#ifdef COUNTS
  printf("%s: %llu allocations\n", what, n);
#else
  (void)what, (void)n;
#endif
}

static void *thread(void *arg) {
  (void)arg;
  unsigned long long a = mallocs();
  pthread_kill(pthread_self(), SIGUSR1); // delivered before it returns
  unsigned long long b = mallocs();
  sum += work(1);
  unsigned long long c = mallocs();
  sum += work(1);
  unsigned long long d = mallocs();
  report("in the handler", b - a);
  report("first call", c - b);
  report("second call", d - c);
  return NULL;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0)
    return 1;
  pthread_t t;
  if (pthread_create(&t, NULL, thread, NULL) != 0 || pthread_join(t, NULL) != 0)
    return 1;
  printf("sum %ld\n", sum);
  return 0;
}
