// Stack guard, its guarantee (README "Stack safety"): promoted objects lie
// only in the top ESCALLOC_STACK_SHARE percent of a stack (default 12), so a
// program that runs in the rest of its stack with its objects on the heap
// runs with them promoted.  A signal handler installed with SA_NODEFER
// re-enters itself by raising its signal again, deep enough to fill 80% of
// the main thread's 8 MiB stack with its own frames (mostly the kernel's
// signal frames), each level holding three 4000-byte buffers, promoted.
// The depth is measured, not fixed: a pilot handler without buffers gives
// the stack one level takes on this machine (the signal frame's size
// depends on the CPU's register state), and the program goes to 80% of the
// stack with that.  Its output does not depend on the depth.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// What no guard can know: when the promotion area may take more than the
// program leaves free (here 75%, the share before this guarantee), the
// same build overflows; with no share at all nothing is promoted.
// RUN: %escc -O2 %s -o %t.o2
// RUN: prlimit --stack=8388608 %t.o2 | FileCheck %s --check-prefix=OUT
// RUN: env ESCALLOC_STACK_SHARE=0 prlimit --stack=8388608 %t.o2 | FileCheck %s --check-prefix=OUT
// RUN: env ESCALLOC_STACK_SHARE=75 not prlimit --stack=8388608 %t.o2
// OUT: done, checksum
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "Inputs/checksum-mix.h"

#define PERCENT 80

static volatile sig_atomic_t depth, levels;
static uintptr_t pilot_at[3];
static long total;

static void pilot(int sig) {
  volatile char here = 0;
  int level = depth;
  pilot_at[level] = (uintptr_t)&here;
  if (level < 2) {
    depth = level + 1;
    raise(sig);
  }
}

static void on_signal(int sig) {
  int level = depth;
  // REMARK: guard-signal-deep.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  // REMARK: guard-signal-deep.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *b = malloc(4000);
  // REMARK: guard-signal-deep.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *c = malloc(4000);
  if (!a || !b || !c)
    return;
  memset(a, level & 0xff, 4000);
  memset(b, level >> 8, 4000);
  memset(c, 3, 4000);
  if (level < levels) {
    depth = level + 1;
    raise(sig);
  }
  // Only the first levels count: the output does not depend on the depth.
  if (level < 100)
    total = total * 7 + checksum(a, 4000) + checksum(b, 4000) + c[level % 4000];
  free(a);
  free(b);
  free(c);
}

static int install(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  return sigaction(sig, &sa, NULL);
}

int main(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return 1;
  if (install(SIGUSR2, pilot) != 0 || install(SIGUSR1, on_signal) != 0)
    return 1;
  raise(SIGUSR2);
  uintptr_t per_level = pilot_at[1] - pilot_at[2];
  levels = (int)(rl.rlim_cur / 100 * PERCENT / per_level);
  depth = 0;
  raise(SIGUSR1);
  printf("done, checksum %ld\n", total);
  return 0;
}
