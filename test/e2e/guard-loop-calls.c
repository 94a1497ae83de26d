// Stack guard in loops: the guard's block is a dynamic alloca, taken at a
// guarded function's entry and given back at its return.  Three million
// calls of a guarded function from a loop (4000 bytes each: 12 GB if a
// block outlived its call), and the same function inlined into a loop
// before the pass runs (its object then the caller's, one slot reused every
// iteration), with and without LTO, print what clang -O0 prints.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALLS 3000000

static __attribute__((noinline)) long use(const unsigned char *p, int i) {
  return p[i % 4000] + p[(i * 7) % 4000];
}

static __attribute__((noinline)) long called(int i) {
  // REMARK: guard-loop-calls.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *p = malloc(4000);
  if (!p)
    return -1;
  memset(p, i & 0xff, 4000);
  long s = use(p, i);
  free(p);
  return s;
}

static inline long inlined(int i) {
  // REMARK: guard-loop-calls.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *p = malloc(4000);
  if (!p)
    return -1;
  p[i % 4000] = (unsigned char)i;
  p[(i * 7) % 4000] = (unsigned char)(i >> 8);
  long s = use(p, i);
  free(p);
  return s;
}

int main(void) {
  long a = 0, b = 0;
  for (int i = 0; i < CALLS; i++)
    a += called(i);
  for (int i = 0; i < CALLS; i++)
    b += inlined(i);
  printf("%ld %ld\n", a, b);
  return 0;
}
