// Allocation kinds end to end: calloc zeroes every iteration, aligned_alloc
// is promoted (its alignment is checked in pass/escape-alloc-kinds.ll: a
// check here would need ptrtoint, which is an escape), strdup of a literal is
// copied, and a size known only at run time uses the stack buffer when it
// fits and the heap otherwise.
//
// RUN: %escc -O2 -m %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe 3 > %t.out
// RUN: %t.ref 3 > %t.expected
// RUN: diff %t.expected %t.out
// RUN: %run %t.exe 500 > %t.out2
// RUN: %t.ref 500 > %t.expected2
// RUN: diff %t.expected2 %t.out2
// RUN: FileCheck %s < %t.out
// CHECK: zeros=1000 sum=2000 aligned=a dup=literal fits=aaa
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static long touch(long *v, int i) {
  v[i % 8] += i;
  long s = 0;
  for (int k = 0; k < 8; k++)
    s += v[k];
  return s;
}
__attribute__((noinline)) static void fill(char *b, size_t n) {
  memset(b, 'a', n - 1);
  b[n - 1] = 0;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)atoi(argv[1]) : 1;
  int zeros = 0;
  long sum = 0;
  for (int i = 0; i < 1000; i++) {
    // REMARK-DAG: escape-kinds.c:[[@LINE+1]]:{{[0-9]+}}: remark: calloc(8, 8) moved to stack when the stack has room; 1 free guarded
    long *v = calloc(8, sizeof(long));
    zeros += v[(i + 1) % 8] == 0;
    sum += touch(v, i) % 5;
    free(v);
  }
  // REMARK-DAG: escape-kinds.c:[[@LINE+1]]:{{[0-9]+}}: remark: aligned_alloc(64, 256) moved to stack when the stack has room; 1 free guarded
  char *a = aligned_alloc(64, 256);
  fill(a, 256);
  char al = a[argc];
  // REMARK-DAG: escape-kinds.c:[[@LINE+1]]:{{[0-9]+}}: remark: strdup(...) moved to stack when the stack has room; 1 free guarded
  char *d = strdup("literal");
  // REMARK-DAG: escape-kinds.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(<variable size>) moved to stack when its size fits 64 bytes and the stack has room; 1 free guarded
  char *b = malloc(n + 1);
  fill(b, n + 1);
  printf("zeros=%d sum=%ld aligned=%c dup=%s fits=%.3s\n", zeros, sum, al, d, b);
  free(b);
  free(d);
  free(a);
  return 0;
}
