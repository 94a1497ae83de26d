// calloc(n, 1) with a run-time count n (found by test/fuzz, gen seed 531): the
// count is the size.  The slot was sized by the constant 1, so the stores past
// the first byte overflowed it: wrong sums without the stack guard, a hang
// with it.  Both the bounded count (a % 299 + 1: an entry slot of 299 bytes)
// and an unbounded one must print what clang -O0
// prints, at every level and with LTO.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.O1
// RUN: %escc -O2 %s -o %t.O2
// RUN: %escc -O3 %s -o %t.O3
// RUN: %escc -Os %s -o %t.Os
// RUN: %escc -O2 -flto %s -o %t.lto
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.noguard
// RUN: %run timeout 60 %t.O1 > %t.out.O1 && diff %t.expected %t.out.O1
// RUN: %run timeout 60 %t.O2 > %t.out.O2 && diff %t.expected %t.out.O2
// RUN: %run timeout 60 %t.O3 > %t.out.O3 && diff %t.expected %t.out.O3
// RUN: %run timeout 60 %t.Os > %t.out.Os && diff %t.expected %t.out.Os
// RUN: %run timeout 60 %t.lto > %t.out.lto && diff %t.expected %t.out.lto
// RUN: %run timeout 60 %t.noguard > %t.out.noguard && diff %t.expected %t.out.noguard
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long bounded(unsigned long a) {
  long n = (long)(1 + a % 299);
  // CHECK: escape-calloc-count.c:[[@LINE+1]]:{{[0-9]+}}: remark: calloc({{[^,]*}}, 1) moved to stack
  unsigned char *p = calloc((size_t)n, 1);
  if (!p)
    abort();
  for (long i = 0; i < n; i++)
    p[i] = (unsigned char)(p[i] + a + (unsigned long)i * 31);
  unsigned long s = 0;
  for (long i = 0; i < n; i++)
    s = s * 31 + p[i];
  free(p);
  return s;
}

__attribute__((noinline)) static unsigned long unbounded(unsigned long n) {
  unsigned char *p = calloc((size_t)n, 1);
  if (!p)
    abort();
  for (unsigned long i = 0; i < n; i += 3)
    p[i] = (unsigned char)(i * 7);
  unsigned long s = 0;
  for (unsigned long i = 0; i < n; i++)
    s = s * 31 + p[i];
  free(p);
  return s;
}

int main(void) {
  unsigned long s = 0;
  for (unsigned long a = 0; a < 300; a++)
    s = s * 3 + bounded(a);
  printf("bounded %lu\n", s);
  s = 0;
  for (unsigned long n = 1; n < 200; n += 7)
    s = s * 3 + unbounded(n);
  printf("unbounded %lu\n", s);
  return 0;
}
