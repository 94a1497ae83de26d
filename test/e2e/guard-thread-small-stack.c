// Stack guard: a thread started on a 48 KiB stack (pthread_attr_setstacksize)
// whose work function holds four 4000-byte buffers and then goes DEPTH
// levels deep (about 1 KiB each).  On the heap the buffers leave the thread
// enough stack; promoted, 16000 more bytes overflow it, and no budget can
// know which stack a function runs on.  The guard sees a stack no larger
// than its reserve (max(64 KiB, a quarter)) and keeps the buffers on the
// heap for this thread, while the main thread's call promotes them.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard the same build overflows the thread's stack:
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.noguard
// RUN: not %run %t.noguard
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum-mix.h"

#define DEPTH 34

// About 1 KiB of stack per level, at every optimisation level.
static __attribute__((noinline)) long deep(int n) {
  volatile char pad[1000];
  pad[n % 1000] = (char)n;
  if (n == 0)
    return pad[0];
  return deep(n - 1) + pad[n % 1000];
}

static __attribute__((noinline)) long work(int seed) {
  // REMARK: guard-thread-small-stack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  // REMARK: guard-thread-small-stack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *b = malloc(4000);
  // REMARK: guard-thread-small-stack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *c = malloc(4000);
  // REMARK: guard-thread-small-stack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *d = malloc(4000);
  if (!a || !b || !c || !d)
    return -1;
  memset(a, seed & 0xff, 4000);
  memset(b, 2, 4000);
  memset(c, 3, 4000);
  memset(d, 4, 4000);
  long r = deep(DEPTH);
  r += checksum(a, 4000) + checksum(b, 4000) + checksum(c, 4000) + checksum(d, 4000);
  free(a);
  free(b);
  free(c);
  free(d);
  return r;
}

static void *start(void *arg) {
  *(long *)arg = work(7);
  return NULL;
}

int main(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  if (pthread_attr_setstacksize(&attr, 48 * 1024) != 0)
    return 1;
  long result = 0;
  pthread_t t;
  if (pthread_create(&t, &attr, start, &result) != 0)
    return 1;
  pthread_join(t, NULL);
  printf("thread %ld, main %ld\n", result, work(9));
  return 0;
}
