// Structs of pointers returned or passed by value (issue 12 §2), on the x86-64
// ABI: a two-pointer struct comes back in registers ({ptr, ptr}), a larger one
// through an sret slot, and a four-pointer one is passed byval.  Each field is
// tracked on its own: the field that leaves its function stays on the heap and
// is read after clobber() overwrote the dead frame; the ones freed where they
// were allocated move to the stack.  Output equal to plain clang's.
// RUN: %escc -O2 -Rpass=escalloc -Rpass-missed=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected
// RUN: %run %t > %t.out && diff %t.expected %t.out
// RUN: %escc -O1 %s -o %t1 && %run %t1 | diff %t.expected -
// RUN: %escc -O3 %s -o %t3 && %run %t3 | diff %t.expected -
// RUN: %escc -O2 -flto %s -o %tl && %run %tl | diff %t.expected -
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "Inputs/clobber.h"

typedef struct { char *a, *b; } Pair;         // {ptr, ptr} in registers
typedef struct { char *a, *b, *c; } Triple;   // returned through sret
typedef struct { char *a, *b, *c, *d; } Quad; // passed byval

static char *fill(char *p, int n, char c) {
  memset(p, c, (size_t)n - 1);
  p[n - 1] = 0;
  return p;
}

__attribute__((noinline)) Pair pair(char *x, char *y) { return (Pair){x, y}; }
__attribute__((noinline)) Pair swap(char *x, char *y) { return (Pair){y, x}; }

// Field a leaves (returned to main); field b is freed here.
// REMARK-DAG: escape-aggregates.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(24) escapes to heap: returned from keep_a
__attribute__((noinline)) char *keep_a(int k) {
  char *x = fill(malloc(24), 24, 'a' + k);
  // REMARK-DAG: escape-aggregates.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) moved to stack
  char *y = fill(malloc(32), 32, 'b' + k);
  Pair p = pair(x, y);
  printf("keep_a freed %s\n", p.b);
  free(p.b);
  return p.a;
}

// The callee crossed the fields: now y leaves and x is freed.
// REMARK-DAG: escape-aggregates.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(40) moved to stack
__attribute__((noinline)) char *keep_swapped(int k) {
  char *x = fill(malloc(40), 40, 'c' + k);
  // REMARK-DAG: escape-aggregates.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(48) escapes to heap: returned from keep_swapped
  char *y = fill(malloc(48), 48, 'd' + k);
  Pair p = swap(x, y);
  printf("keep_swapped freed %s\n", p.b);
  free(p.b);
  return p.a;
}

__attribute__((noinline)) Triple triple(char *x, char *y, char *z) {
  return (Triple){z, x, y};
}

// Through the sret slot: the slot is local, so what the callee put in it
// stays local too; the field that is returned escapes with the slot's
// contents (one object's pointer fields are not told apart in memory).
// REMARK-DAG: escape-aggregates.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(56) moved to stack
__attribute__((noinline)) long sum_triple(int k) {
  char *x = fill(malloc(56), 56, 'e' + k);
  // REMARK-DAG: escape-aggregates.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) moved to stack
  char *y = fill(malloc(64), 64, 'f' + k);
  Triple t = triple(x, y, NULL);
  clobber();
  long n = (long)strlen(t.b) + (long)strlen(t.c) + (t.a == NULL);
  printf("sum_triple %s %s\n", t.b, t.c);
  free(t.b);
  free(t.c);
  return n;
}

// REMARK-DAG: escape-aggregates.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(72) escapes to heap: returned from leak_triple
__attribute__((noinline)) char *leak_triple(int k) {
  char *x = fill(malloc(72), 72, 'g' + k);
  Triple t = triple(x, NULL, NULL);
  return t.b;
}

static char *g_kept;
__attribute__((noinline)) long qlen(const Quad *q) {
  return (long)strlen(q->a) + (long)strlen(q->b) + (long)strlen(q->d);
}

// byval: pick works on its own copy.  An allocation stored into the copy
// and freed here stays in pick's frame, and the caller's x, only read
// through the copy, in by_value's.
__attribute__((noinline)) long pick(Quad q) {
  // REMARK-DAG: escape-aggregates.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(96) moved to stack
  char *d = fill(malloc(96), 96, 'j');
  q.d = d;
  long n = qlen(&q);
  free(d);
  return n;
}

__attribute__((noinline)) void publish(Quad q) { g_kept = q.c; }

// REMARK-DAG: escape-aggregates.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(80) moved to stack
__attribute__((noinline)) long by_value(int k) {
  char *x = fill(malloc(80), 80, 'h' + k);
  // REMARK-DAG: escape-aggregates.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(88) escapes to heap
  char *z = fill(malloc(88), 88, 'i' + k);
  Quad q = {x, x, NULL, NULL};
  long n = pick(q);
  Quad r = {NULL, NULL, z, NULL};
  publish(r); // the field it publishes leaves
  free(x);
  return n;
}

int main(void) {
  for (int k = 0; k < 3; k++) {
    char *a = keep_a(k);
    char *s = keep_swapped(k);
    long n = sum_triple(k);
    char *t = leak_triple(k);
    long m = by_value(k);
    clobber();
    printf("%d: %s %s %ld %s %ld %s\n", k, a, s, n, t, m, g_kept);
    free(a);
    free(s);
    free(t);
    free(g_kept);
  }
  return 0;
}
