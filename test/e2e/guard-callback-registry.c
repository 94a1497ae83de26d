// Stack guard: recursion through a callback registry in another file.
// visit (this file) is registered in a table that dispatch
// (Inputs/guard-registry.c) searches and calls; visit calls dispatch again:
// 3000 levels, each holding a 4000-byte buffer that only visit's own code
// touches.  The module sees only a call to an external function (budget
// 4096), so the buffer is promoted; without the guard 12 MB of buffers
// overflow the 8 MiB stack.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s %S/Inputs/guard-registry.c | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard the same build overflows (the test exercises it):
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s %S/Inputs/guard-registry.c -o %t.noguard
// RUN: not %run %t.noguard
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum-mix.h"

struct entry {
  const char *name;
  long (*fn)(int);
};
long dispatch(const char *name, int n);

static long visit(int n) {
  if (n == 0)
    return 0;
  // REMARK: guard-callback-registry.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *buf = malloc(4000);
  if (!buf)
    return -1;
  memset(buf, n & 0xff, 4000);
  long r = dispatch("visit", n - 1) ^ checksum(buf, 4000);
  r += buf[n % 4000];
  free(buf);
  return r;
}

const struct entry registry[] = {{"visit", visit}, {NULL, NULL}};

int main(void) {
  printf("%ld\n", dispatch("visit", 3000));
  return 0;
}
