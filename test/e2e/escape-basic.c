// The first slice end to end: compiled with escc -O2 -m, run under an 8 MiB
// stack, same output as plain clang; the decisions on the lines FileCheck
// expects.
//
// RUN: %escc -O2 -m %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe > %t.out
// RUN: %t.ref > %t.expected
// RUN: diff %t.expected %t.out
// RUN: FileCheck %s < %t.out
#include <stdio.h>
#include <stdlib.h>

struct point { long x, y; };
struct point *global_point;

__attribute__((noinline)) struct point *make(long x) {
  // REMARK-DAG: escape-basic.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: returned from make
  struct point *p = malloc(sizeof *p);
  p->x = x;
  p->y = -x;
  return p;
}

__attribute__((noinline)) void publish(struct point *p) { global_point = p; }

int main(int argc, char **argv) {
  // REMARK-DAG: escape-basic.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(48) moved to stack when the stack has room; 1 free guarded
  char *buf = malloc(48);
  snprintf(buf, 48, "argc=%d", argc);
  puts(buf);
  free(buf);

  // REMARK-DAG: escape-basic.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: passed to publish argument 1 which leaks it
  struct point *q = malloc(sizeof *q);
  q->x = argc;
  q->y = 2;
  publish(q);

  struct point *m = make(5);
  printf("%ld %ld %ld\n", m->x + m->y, global_point->x, global_point->y);
  free(m);
  free(q);
  return 0;
}
// CHECK: argc=1
// CHECK-NEXT: 0 1 2
