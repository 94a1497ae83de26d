// clang with the plugin but without escc: a module whose allocations were
// lowered says once, at -Rpass-analysis level, what to link (the runtime
// next to the plugin); that line links.  escc links it itself and says nothing.
//
// RUN: %clang -O2 -fpass-plugin=%plugin -Rpass-analysis=escalloc -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// RUN: %clang %t.o -Wl,--whole-archive %rtlib -Wl,--no-whole-archive -lpthread -o %t
// RUN: %run %t | FileCheck %s --check-prefix=OUT
// RUN: %escc -O2 -m -c %s -o %t.escc.o 2>&1 | FileCheck %s --check-prefix=ESCC
// CHECK: lower-link-note.c:{{[0-9]+}}:1: remark: allocations lowered to the escalloc runtime: link it with -Wl,--whole-archive {{.*}}/libescalloc_rt.a -Wl,--no-whole-archive -lpthread (escc does this) [-Rpass-analysis=escalloc]
// CHECK-NOT: link it with
// ESCC-NOT: link it with
__attribute__((noinline)) char *make(unsigned n);
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) char *make(unsigned n) {
  char *p = malloc(n);
  memset(p, 'x', n - 1);
  p[n - 1] = 0;
  return p;
}

__attribute__((noinline)) int *pair(int a, int b) {
  int *p = malloc(2 * sizeof *p);
  p[0] = a;
  p[1] = b;
  return p;
}

int main(int argc, char **argv) {
  (void)argv;
  char *s = make(4 + (unsigned)argc);
  int *q = pair(1, 2);
  printf("%s %d\n", s, q[0] + q[1]);
  free(s);
  free(q);
  return 0;
}
// OUT: xxxx 3
