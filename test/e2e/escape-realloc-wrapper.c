// Realloc wrappers (pass/README.md): a buffer grown through an xrealloc that
// the inliner keeps out of line (here: -inline-threshold) starts on the
// stack, the pass inlining the wrapper (its die() on failure stays); one
// grown through a noinline wrapper stays on the heap.  The output must equal
// plain clang's.
// RUN: %escc -O2 -mllvm -inline-threshold=-1000 -Rpass=escalloc -Rpass-missed=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected && %t.ref 1 2 3 >> %t.expected
// RUN: %run %t > %t.out && %run %t 1 2 3 >> %t.out && diff %t.expected %t.out
// RUN: %escc -O2 %s -o %t2 && %run %t2 > %t2.out && %run %t2 1 2 3 >> %t2.out && diff %t.expected %t2.out
// RUN: %escc -O2 -flto %s -o %tl && %run %tl > %tl.out && %run %tl 1 2 3 >> %tl.out && diff %t.expected %tl.out
// REMARK-DAG: escape-realloc-wrapper.c:[[@LINE+18]]:{{[0-9]+}}: remark: malloc(16) moved to stack when the stack has room; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
// REMARK-DAG: escape-realloc-wrapper.c:[[@LINE+29]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: grown by realloc wrapper xrealloc_ni, which is not inlined: it is marked noinline
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void die(void) { fputs("oom\n", stderr); exit(1); }
void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) die();
  return q;
}
__attribute__((noinline)) void *xrealloc_ni(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) die();
  return q;
}
__attribute__((noinline)) int sum(int n) {
  int cap = 4, len = 0;
  int *b = malloc(cap * sizeof(int));
  for (int i = 0; i < n; i++) {
    if (len == cap) { cap *= 2; b = xrealloc(b, cap * sizeof(int)); }
    b[len++] = i;
  }
  int s = 0;
  for (int i = 0; i < len; i++) s += b[i];
  free(b);
  return s;
}
__attribute__((noinline)) int sum_ni(int n) {
  int cap = 4, len = 0;
  int *b = malloc(cap * sizeof(int));
  for (int i = 0; i < n; i++) {
    if (len == cap) { cap *= 2; b = xrealloc_ni(b, cap * sizeof(int)); }
    b[len++] = i;
  }
  int s = 0;
  for (int i = 0; i < len; i++) s += b[i];
  free(b);
  return s;
}

int main(int argc, char **argv) { printf("%d %d\n", sum(argc * 10), sum_ni(argc * 10)); return 0; }
