// Issue 11, class 2: pointer bits that leave without a pointer type.  Each
// case hides the address of a would-be promoted object in data that is not
// a pointer (two 32-bit halves, a double, a uintptr_t xor-ed with a key, the
// text of sprintf "%p", a union passed by value as an i64 to a tail call),
// lets the allocating frame die, overwrites the stack, and reads the object
// back.  Built by escc at every level, with and without LTO, the program must
// print what clang -O0 prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -Os %s -o %t.s && %run %t.s > %t.s.out && diff %t.expected %t.s.out
// RUN: %escc -O1 -flto %s -o %t.l1 && %run %t.l1 > %t.l1.out && diff %t.expected %t.l1.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O3 -flto %s -o %t.l3 && %run %t.l3 > %t.l3.out && diff %t.expected %t.l3.out
// RUN: %escc -Os -flto %s -o %t.ls && %run %t.ls > %t.ls.out && diff %t.expected %t.ls.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct holder { long *p; };
static uint32_t g_lo, g_hi;
static double g_d;
static uintptr_t g_x;
static char g_text[64];
static volatile int g_never;
#define KEY ((uintptr_t)0x5a5a5a5a5a5a5a5aULL)

#include "Inputs/clobber.h"

__attribute__((noinline)) static void keep_halves(struct holder *h) {
  uint32_t w[2];
  memcpy(w, h, sizeof w);
  g_lo = w[0];
  g_hi = w[1];
}
__attribute__((noinline)) static void keep_double(struct holder *h) {
  double d;
  memcpy(&d, h, sizeof d);
  g_d = d;
}
__attribute__((noinline)) static void keep_xor(struct holder *h) {
  uintptr_t x;
  memcpy(&x, h, sizeof x);
  g_x = x ^ KEY;
}

__attribute__((noinline)) static void halves(long v) {
  struct holder *h = malloc(sizeof *h);
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:10: remark: malloc(32) escapes to heap: {{.*}}
  h->p = malloc(4 * sizeof(long));
  h->p[0] = v;
  keep_halves(h);
  free(h);
}
__attribute__((noinline)) static void as_double(long v) {
  struct holder *h = malloc(sizeof *h);
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:10: remark: malloc(32) escapes to heap: {{.*}}
  h->p = malloc(4 * sizeof(long));
  h->p[0] = v;
  keep_double(h);
  free(h);
}
__attribute__((noinline)) static void xored(long v) {
  struct holder *h = malloc(sizeof *h);
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:10: remark: malloc(32) escapes to heap: {{.*}}
  h->p = malloc(4 * sizeof(long));
  h->p[0] = v;
  keep_xor(h);
  free(h);
}
__attribute__((noinline)) static void printed(long v) {
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:13: remark: malloc(32) escapes to heap: printed with %p by sprintf{{.*}}
  long *p = malloc(4 * sizeof(long));
  p[0] = v;
  sprintf(g_text, "%p", (void *)p);
}

// A union passed by value travels as an i64 (its first member is an integer;
// external linkage keeps the signature): the callee reads through it
// after the caller's frame is gone if the call stays a sibling call.
union bits { uintptr_t u; long *p; };
__attribute__((noinline)) static void touch(union bits *b) {
  if (g_never)
    b->u = 0;
}
__attribute__((noinline)) long read_later(union bits b) {
  clobber();
  return b.p[0] + b.p[1];
}
__attribute__((noinline)) long tail_union(long v) {
  union bits *b = malloc(sizeof *b);
  long *p = malloc(2 * sizeof(long));
  p[0] = v;
  p[1] = 1;
  b->p = p;
  touch(b);
  return read_later(*b);
}

// Plain data: a copy of an int field (the holder holds no pointer there)
// and a constant format without %p keep their objects on the stack.
struct rec { long *p; int n; };
__attribute__((noinline)) static int count_of(struct rec *r) { return r->n; }
static int g_count;
__attribute__((noinline)) static long plain_data(long v) {
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:13: remark: malloc(32) moved to stack{{.*}}
  long *p = malloc(4 * sizeof(long));
  // CHECK-DAG: soundness-bits.c:[[@LINE+1]]:19: remark: malloc(16) moved to stack{{.*}}
  struct rec *r = malloc(sizeof *r);
  p[0] = v;
  r->p = p;
  r->n = (int)v;
  g_count = r->n;
  printf("plain %ld %d %s\n", r->p[0], count_of(r), "ok");
  long s = r->p[0];
  free(r);
  free(p);
  return s;
}

int main(void) {
  halves(41);
  clobber();
  long *p1 = (long *)(((uintptr_t)g_hi << 32) | g_lo);
  printf("halves %ld\n", p1[0]);
  as_double(42);
  clobber();
  long *p2;
  memcpy(&p2, &g_d, sizeof p2);
  printf("double %ld\n", p2[0]);
  xored(43);
  clobber();
  long *p3 = (long *)(g_x ^ KEY);
  printf("xor %ld\n", p3[0]);
  printed(44);
  clobber();
  void *q = NULL;
  sscanf(g_text, "%p", &q);
  printf("text %ld\n", ((long *)q)[0]);
  free(q);
  printf("union %ld\n", tail_union(45));
  printf("count %d\n", g_count + (int)plain_data(46));
  free(p1);
  free(p2);
  free(p3);
  return 0;
}
