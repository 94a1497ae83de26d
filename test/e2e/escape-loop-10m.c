// Ten million malloc/free pairs in a loop become one stack slot reused each
// iteration (lifetime markers per iteration).  An alloca left inside the loop
// would grow the stack by 1 KiB per iteration and overflow the 8 MiB stack
// after about 8000 iterations; the heap version is the reference output.
//
// RUN: %escc -O2 -m %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe > %t.out
// RUN: %t.ref > %t.expected
// RUN: diff %t.expected %t.out
// RUN: FileCheck %s < %t.out
// CHECK: sum=
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static void fill(long *v, long i) {
  for (int k = 0; k < 128; k++)
    v[k] = i + k;
}

int main(void) {
  unsigned long sum = 0;
  for (long i = 0; i < 10000000; i++) {
    // REMARK: escape-loop-10m.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(1024) moved to stack when the stack has room; 1 free guarded
    long *v = malloc(128 * sizeof(long));
    fill(v, i);
    sum += (unsigned long)v[i % 128];
    free(v);
  }
  printf("sum=%lu\n", sum);
  return 0;
}
