// Stack guard: recursion through a function address that comes out of
// inline asm.  rec calls itself through a pointer the asm loads, so the
// module sees an indirect call to a function whose address it never takes:
// no cycle, and rec's 4000-byte buffer is promoted; without the guard
// 3000 levels overflow the 8 MiB stack.  Not with LTO: there the asm's
// reference is invisible, rec is internalised and its argument propagated
// from main's only call (plain clang -O2 -flto crashes too).
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard the same build overflows (the test exercises it):
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.noguard
// RUN: not %run %t.noguard
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum-mix.h"

long rec(int n);

static long (*hidden_rec(void))(int) {
  long (*fp)(int);
  __asm__("leaq rec(%%rip), %0" : "=r"(fp));
  return fp;
}

__attribute__((noinline)) long rec(int n) {
  if (n == 0)
    return 0;
  // REMARK: guard-asm-address.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *buf = malloc(4000);
  if (!buf)
    return -1;
  memset(buf, n & 0xff, 4000);
  long r = hidden_rec()(n - 1) ^ checksum(buf, 4000);
  r += buf[n % 4000];
  free(buf);
  return r;
}

int main(void) {
  printf("%ld\n", rec(3000));
  return 0;
}
