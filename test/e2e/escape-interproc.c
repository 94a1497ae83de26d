// Parameter summaries across functions, in Go's words, and their use at call
// sites: the same struct stays on the stack when handed to a reader and goes
// to the heap when handed to a function that keeps it.
//
// RUN: %escc -O2 -m %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe > %t.out
// RUN: %t.ref > %t.expected
// RUN: diff %t.expected %t.out
// RUN: FileCheck %s < %t.out
// CHECK: 7 7 11
#include <stdio.h>
#include <stdlib.h>

struct pair { long a, b; };
static struct pair *kept;

// REMARK-DAG: escape-interproc.c:[[@LINE+1]]:{{[0-9]+}}: remark: {{.*}} does not escape
__attribute__((noinline)) long total(const struct pair *p) { return p->a + p->b; }

// REMARK-DAG: escape-interproc.c:[[@LINE+1]]:{{[0-9]+}}: remark: leaking param: {{.*}}
__attribute__((noinline)) void keep(struct pair *p) { kept = p; }

// REMARK-DAG: escape-interproc.c:[[@LINE+1]]:{{[0-9]+}}: remark: leaking param: {{.*}} to result
__attribute__((noinline)) struct pair *same(struct pair *p) { return p; }

int main(int argc, char **argv) {
  (void)argv;
  // REMARK-DAG: escape-interproc.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) moved to stack when the stack has room; 1 free guarded
  struct pair *local = malloc(sizeof *local);
  local->a = 3 + argc;
  local->b = 3;
  long t1 = total(same(local));
  free(local);

  // REMARK-DAG: escape-interproc.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: passed to keep argument 1 which leaks it
  struct pair *held = malloc(sizeof *held);
  held->a = 6;
  held->b = 1;
  keep(held);
  printf("%ld %ld %ld\n", t1 - argc + 1, total(kept), t1 + 5 - argc);
  free(held);
  return 0;
}
