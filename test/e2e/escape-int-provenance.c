// Issue 12 §2: integers are data unless they carry a pointer.  An address
// turned into an integer (an alignment test, a compare, a pointer kept as a
// long next to data) keeps the object on the stack while the integer stays
// local; kept in a holder that is published, or hidden with xor in a global,
// the object stays on the heap.  Built by escc at every level, with and
// without LTO, the program must print what clang -O0 prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -Os %s -o %t.s && %run %t.s > %t.s.out && diff %t.expected %t.s.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -Os -flto %s -o %t.ls && %run %t.ls > %t.ls.out && diff %t.expected %t.ls.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/clobber.h"

// The address tested for alignment, and kept as a long next to data.
__attribute__((noinline)) static long local_bits(int k) {
  // CHECK-DAG: escape-int-provenance.c:[[@LINE+1]]:13: remark: malloc(40) moved to stack{{.*}}
  char *s = malloc(40);
  snprintf(s, 40, "value %d", k);
  // CHECK-DAG: escape-int-provenance.c:[[@LINE+1]]:15: remark: malloc(32) {{moved to stack|removed as dead}}
  long *arr = malloc(4 * sizeof(long));
  arr[0] = (long)(intptr_t)s;
  arr[1] = k;
  arr[2] = ((uintptr_t)s & 15) == 0;
  arr[3] = (long)strlen((char *)(intptr_t)arr[0]);
  long r = arr[1] * 100 + arr[2] * 10 + arr[3];
  free(s);
  free(arr);
  return r;
}

// The address kept as an integer in a holder that is published.
struct holder { uintptr_t addr; long len; };
static struct holder *g_holder;
__attribute__((noinline)) static void published_holder(void) {
  // CHECK-DAG: escape-int-provenance.c:[[@LINE+1]]:13: remark: malloc(24) escapes to heap: {{.*}}
  char *s = malloc(24);
  strcpy(s, "kept by address");
  struct holder *h = malloc(sizeof *h);
  h->addr = (uintptr_t)s;
  h->len = (long)strlen(s);
  g_holder = h;
}

// Hidden with xor in a global, rebuilt later.
static uintptr_t g_hidden;
__attribute__((noinline)) static void hidden(void) {
  // CHECK-DAG: escape-int-provenance.c:[[@LINE+1]]:13: remark: malloc(16) escapes to heap: {{.*}}
  char *s = malloc(16);
  strcpy(s, "hidden");
  g_hidden = (uintptr_t)s ^ 0x5a5a5a5aUL;
}

int main(void) {
  printf("local %ld\n", local_bits(7));
  published_holder();
  clobber();
  char *s = (char *)g_holder->addr;
  printf("holder %s %ld\n", s, g_holder->len);
  free(s);
  free(g_holder);
  hidden();
  clobber();
  s = (char *)(g_hidden ^ 0x5a5a5a5aUL);
  printf("hidden %s\n", s);
  free(s);
  return 0;
}
