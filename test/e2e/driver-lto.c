// escc with -flto: the decision runs at link time inside lld, where the
// callee in the other file is visible; escc loads the plugin into lld, shows
// the remarks of the link with -m and forwards -mllvm -escalloc-* knobs.
//
// RUN: %escc -O2 -flto -c -DPART_B %s -o %t.b.o
// RUN: %escc -O2 -flto -c %s -o %t.a.o
// RUN: %escc -O2 -flto -m %t.a.o %t.b.o -o %t.exe 2>&1 | FileCheck %s --check-prefix=LINK
// RUN: %run %t.exe | FileCheck %s
// The knob reaches the link-time analysis.
// RUN: %escc -O2 -flto -m -mllvm -escalloc-max-stack-size=64 %t.a.o %t.b.o -o %t.knob 2>&1 | FileCheck %s --check-prefix=KNOB
// RUN: %run %t.knob | FileCheck %s
// CHECK: sum=45
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void fill(long *v, int n);

#ifdef PART_B
__attribute__((noinline)) void fill(long *v, int n) {
  for (int i = 0; i < n; i++)
    v[i] = i;
}
#else
int main(int argc, char **argv) {
  (void)argv;
  int n = 9 + argc;
  // LINK: driver-lto.c:[[@LINE+2]]:{{[0-9]+}}: malloc(80) moved to stack; 1 free removed
  // KNOB: driver-lto.c:[[@LINE+1]]:{{[0-9]+}}: malloc(80) escapes to heap: too large for stack (80 > 64)
  long *v = malloc(10 * sizeof(long));
  fill(v, n);
  long s = 0;
  for (int i = 0; i < 10; i++)
    s += v[i];
  free(v);
  printf("sum=%ld\n", s);
  return 0;
}
#endif
// An unknown knob at an LTO link is a clear error, not a crash.
// RUN: not %escc -O2 -flto -mllvm -escalloc-no-such-knob %t.a.o %t.b.o -o %t.bad 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: Unknown command line argument '-escalloc-no-such-knob'
// BAD: escalloc: invalid ESCALLOC_OPTIONS
