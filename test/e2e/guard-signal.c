// Stack guard: a signal handler installed with SA_NODEFER that re-enters
// itself by raising its signal again: N nested handlers on the main stack,
// each holding three 4000-byte buffers.  raise is a C library call, so
// nothing in the module shows the recursion; the buffers are promoted.
// Without the guard they overflow the 8 MiB stack that the handlers alone
// fit (about 3 KiB a level, mostly the kernel's signal frame).
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard (and with the frame budget the guard allows, 16384,
// instead of 4096 for a function calling code outside the module) the
// same build overflows (the test exercises it):
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false -mllvm -escalloc-opaque-frame=16384 %s -o %t.noguard
// RUN: not %run %t.noguard
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum-mix.h"

#define LEVELS 700

static volatile sig_atomic_t depth;
static long total;

static void on_signal(int sig) {
  int level = depth;
  // REMARK: guard-signal.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  // REMARK: guard-signal.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *b = malloc(4000);
  // REMARK: guard-signal.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *c = malloc(4000);
  if (!a || !b || !c)
    return;
  memset(a, level & 0xff, 4000);
  memset(b, level >> 8, 4000);
  memset(c, 3, 4000);
  if (level < LEVELS) {
    depth = level + 1;
    raise(sig);
  }
  total = total * 7 + checksum(a, 4000) + checksum(b, 4000) + c[level % 4000];
  free(a);
  free(b);
  free(c);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0)
    return 1;
  raise(SIGUSR1);
  printf("%d levels, %ld\n", (int)depth, total);
  return 0;
}
