// The pipeline step keeps the analyses of the functions it does not rewrite
// (so the rest of -O2 need not recompute them module-wide) and drops those of
// every function it does rewrite: an object moved to the stack, a run-time
// fallback (new blocks), a wrapper inlined, an allocation lowered to
// mallocgc.  LLVM's -verify-analysis-invalidation hashes each function
// before and after the pass and stops the compile when one changed while its
// cached analyses were kept.
//
// RUN: %escc -O2 -c %s -o %t.o -mllvm -verify-analysis-invalidation \
// RUN:   -Rpass=escalloc -Rpass-missed=escalloc -Rpass-analysis=escalloc 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// The other end-to-end programs, for their mix of rewrites:
// RUN: %escc -O2 -c %S/escape-kinds.c -o %t.kinds.o -mllvm -verify-analysis-invalidation
// RUN: %escc -O2 -c %S/escape-interproc.c -o %t.interproc.o -mllvm -verify-analysis-invalidation
// RUN: %escc -O2 -c %S/escape-remarks.c -o %t.remarks.o -mllvm -verify-analysis-invalidation
// RUN: %escc -O2 -c %S/lower-mixed.c -o %t.mixed.o -mllvm -verify-analysis-invalidation
// And the program still computes what plain clang's does:
// RUN: %escc -O2 %s -o %t.exe
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe 5 > %t.out
// RUN: %t.ref 5 > %t.expected
// RUN: diff %t.expected %t.out
// RUN: FileCheck %s < %t.out
// CHECK: local=15 fallback=10 wrapped=7 kept=42 untouched=174
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int *published;

__attribute__((noinline)) static int sum(const int *v, int n) {
  int s = 0;
  for (int i = 0; i < n; i++)
    s += v[i];
  return s;
}

// REMARK-DAG: escape-invalidation.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(20) moved to stack
__attribute__((noinline)) static int local(void) {
  int *v = malloc(5 * sizeof *v);
  for (int i = 0; i < 5; i++)
    v[i] = i + 1;
  int s = sum(v, 5);
  free(v);
  return s;
}

// REMARK-DAG: escape-invalidation.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(<variable size>) moved to stack
__attribute__((noinline)) static int fallback(int n) {
  char *b = malloc(n);
  memset(b, 2, n);
  int s = 0;
  for (int i = 0; i < n; i++)
    s += b[i];
  free(b);
  return s;
}

// A wrapper LLVM's inliner declines (its error path costs too much) and
// escalloc inlines (a noinline one it would leave alone).
int *make(void) {
  int *p = malloc(sizeof *p);
  if (!p) {
    fprintf(stderr, "%s:%d: out of memory (%zu bytes): %s\n", __FILE__,
            __LINE__, sizeof *p, strerror(12));
    fflush(stderr);
    fprintf(stderr, "%s:%d: giving up\n", __FILE__, __LINE__);
    fflush(stdout);
    abort();
  }
  return p;
}

// REMARK-DAG: remark: malloc(4) moved to stack{{.*}}(inlined into wrapped)
__attribute__((noinline)) static int wrapped(void) {
  int *p = make();
  *p = 7;
  int r = *p;
  free(p);
  return r;
}

// REMARK-DAG: escape-invalidation.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(4) escapes to heap: stored to global published
__attribute__((noinline)) static int kept(void) {
  published = malloc(sizeof *published);
  *published = 42;
  return *published;
}

__attribute__((noinline)) static int untouched(int n) {
  int s = 0;
  for (int i = 0; i < n * 3; i++)
    s += i % 7;
  return s;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 5;
  printf("local=%d fallback=%d wrapped=%d kept=%d untouched=%d\n", local(),
         fallback(n), wrapped(), kept(), untouched(n * 4));
  free(published);
  return 0;
}
