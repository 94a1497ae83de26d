// GlobalOpt turns an allocation whose only pointer lives in one static
// variable into a global of its own, before escape analysis runs: the remark
// says so instead of "removed as dead".  An allocation whose pointer nobody
// reads is still "removed as dead".
//
// RUN: %escc -O2 -m %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: not grep "malloc(64) removed as dead" %t.remarks
// With LTO the remark comes from the link, at the same line:
// RUN: %escc -O2 -flto -m %s -o %t.lto > %t.lto.remarks 2>&1
// RUN: FileCheck %s --check-prefix=LTO < %t.lto.remarks
// RUN: %escc -O1 %s -o %t.O1
// RUN: %escc -Os %s -o %t.Os
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.exe 3 > %t.out
// RUN: %t.ref 3 > %t.expected
// RUN: diff %t.expected %t.out
// RUN: %run %t.lto 3 > %t.out.lto && diff %t.expected %t.out.lto
// RUN: %run %t.O1 3 > %t.out.O1 && diff %t.expected %t.out.O1
// RUN: %run %t.Os 3 > %t.out.Os && diff %t.expected %t.out.Os
// RUN: FileCheck %s < %t.out
// CHECK: 4 13
#include <stdio.h>
#include <stdlib.h>

static int *table;
static char *unread;

__attribute__((noinline)) static void init(void) {
  // LTO: escape-globalized.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(64) turned into a global by LLVM
  // REMARK-DAG: escape-globalized.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) turned into a global by LLVM before escape analysis (its only pointer was stored in table)
  table = malloc(16 * sizeof *table);
  // REMARK-DAG: escape-globalized.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) removed as dead by LLVM before escape analysis
  unread = malloc(32);
}

__attribute__((noinline)) static void fill(int k) {
  for (int i = 0; i < 16; i++)
    table[i] = i * k;
}

int main(int argc, char **argv) {
  init();
  fill(argc + 1);
  int sum = 0;
  for (int i = 0; i < 7; i++)
    sum += table[i] > 6 ? 1 : table[i];
  printf("%d %d\n", table[3] / 2, sum);
  return 0;
}
