// Stack guard: a signal handler running on an alternate signal stack
// (sigaltstack, SA_ONSTACK) of 32 KiB, mapped with a guard page below it.
// The handler re-enters itself (SA_NODEFER) four levels deep on that stack,
// each level holding three 4000-byte buffers: on the heap the levels fit
// (about 3 KiB each, mostly the kernel's signal frame); promoted they take
// 60 KiB and run into the guard page.  The guard's bounds describe the
// thread's own stack: on the alternate stack the stack pointer is outside
// them and every buffer takes the heap.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard (and with the frame budget the guard allows) the same
// build overflows the alternate stack:
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false -mllvm -escalloc-opaque-frame=16384 %s -o %t.noguard
// RUN: not %run %t.noguard
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "Inputs/checksum-mix.h"

#define LEVELS 4
#define ALT_SIZE (32 << 10)
#define PAGE 4096

static volatile sig_atomic_t depth;
static long total;

static void on_signal(int sig) {
  int level = depth;
  // REMARK: guard-sigaltstack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  unsigned char *b = malloc(4000);
  unsigned char *c = malloc(4000);
  if (!a || !b || !c)
    return;
  memset(a, level, 4000);
  memset(b, level + 1, 4000);
  memset(c, level + 2, 4000);
  if (level < LEVELS) {
    depth = level + 1;
    raise(sig);
  }
  total = total * 7 + checksum(a, 4000) + checksum(b, 4000) + checksum(c, 4000);
  free(a);
  free(b);
  free(c);
}

int main(void) {
  // The alternate stack with an inaccessible page below it: an overflow
  // faults instead of writing over whatever lies there.
  char *map = mmap(NULL, ALT_SIZE + PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map, PAGE, PROT_NONE) != 0)
    return 1;
  stack_t ss = {.ss_sp = map + PAGE, .ss_size = ALT_SIZE, .ss_flags = 0};
  if (sigaltstack(&ss, NULL) != 0)
    return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_NODEFER | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0)
    return 1;
  raise(SIGUSR1);
  printf("%d levels on the alternate stack, %ld\n", (int)depth, total);
  return 0;
}
