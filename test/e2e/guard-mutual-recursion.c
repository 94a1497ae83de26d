// Stack guard: mutual recursion the module cannot see.  walk (this file)
// calls step (Inputs/guard-step.c), which calls walk: 3000 levels, each
// holding a 4000-byte buffer.  Without LTO walk only calls code outside the
// module (budget 4096), so the buffer is promoted; 3000 x 4000 bytes would
// overflow the 8 MiB stack.  The guard keeps promoting only while the stack
// has room and the rest go to the heap: the output equals clang -O0's at
// every level, with and without LTO.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s %S/Inputs/guard-step.c | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the runtime (plain malloc, nothing linked but libc) the guard's
// weak reference to the runtime is null: every guarded object takes the
// heap, and the program still runs as at -O0.
// RUN: %escc -O2 --rt=none -mllvm -escalloc-lower=false %s %S/Inputs/guard-step.c -o %t.nort
// RUN: %clang -O0 %s %S/Inputs/guard-step.c -o %t.ref
// RUN: %t.ref > %t.expected
// RUN: %run %t.nort > %t.nort.out
// RUN: diff %t.expected %t.nort.out
//
// Without the guard the same build overflows (the test exercises it):
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s %S/Inputs/guard-step.c -o %t.noguard
// RUN: not %run %t.noguard
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum-mix.h"

long step(int n, long acc);

long walk(int n, long acc) {
  if (n == 0)
    return acc;
  // REMARK: guard-mutual-recursion.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *buf = malloc(4000);
  if (!buf)
    return -1;
  memset(buf, n & 0xff, 4000);
  buf[n % 4000] ^= 1;
  long r = step(n - 1, acc ^ checksum(buf, 4000)) + buf[n % 4000];
  free(buf);
  return r;
}

int main(void) {
  printf("%ld\n", walk(3000, 0));
  return 0;
}
