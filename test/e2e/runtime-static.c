// A static executable built by escc runs (the runtime opens no libunwind or
// zlib where there is no dynamic loader), and heap profiling works in it:
// the first samples, taken inside libc's own start-up, before the
// constructors, must not call an unwinder that is not ready yet.
//
// RUN: %escc -O2 -static %s -o %t.static
// RUN: %run %t.static | FileCheck %s
// RUN: rm -f %t.static.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.static.prof %run %t.static | FileCheck %s
// RUN: test -s %t.static.prof
// RUN: %escc -O2 -static-pie %s -o %t.static-pie
// RUN: rm -f %t.static-pie.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.static-pie.prof %run %t.static-pie | FileCheck %s
// RUN: test -s %t.static-pie.prof
// CHECK: static: 100000 allocations, sum 0
#include <stdio.h>
#include <stdlib.h>

char *volatile keep; // makes every allocation escape: lowered, not promoted

int main(void) {
  long sum = 0;
  for (int i = 0; i < 100000; i++) {
    char *p = malloc(100 + i % 1000);
    keep = p;
    if (!p)
      return 1;
    p[0] = (char)(i % 8);
    sum = (sum + p[0]) % 8;
    free(p);
  }
  printf("static: 100000 allocations, sum %ld\n", sum);
  return 0;
}
