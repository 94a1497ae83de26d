// Built as Debian builds packages (-O2 -D_FORTIFY_SOURCE=2), memcpy,
// strcpy, sprintf, printf, ... become glibc's *_chk functions.  They are read
// as the functions the user wrote, so the buffers are promoted as they are
// without fortification, and a remark about such a call points at the
// user's line, not at the fortify header.
//
// The compile really calls the checked functions:
// RUN: %clang -O2 -D_FORTIFY_SOURCE=2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=IR
// IR-DAG: call {{.*}}@__memcpy_chk(
// IR-DAG: call {{.*}}@__strcpy_chk(
// IR-DAG: call {{.*}}@__strcat_chk(
// IR-DAG: call {{.*}}@__sprintf_chk(
// IR-DAG: call {{.*}}@__snprintf_chk(
// IR-DAG: call {{.*}}@__printf_chk(
// IR-DAG: call {{.*}}@__fprintf_chk(
// IR-DAG: call {{.*}}@__memset_chk(
//
// RUN: %escc -O2 -D_FORTIFY_SOURCE=2 -m -mllvm -escalloc-explain %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: FileCheck %s --check-prefix=HEADER < %t.remarks
// RUN: %clang -O2 -D_FORTIFY_SOURCE=2 %s -o %t.ref
// RUN: %run %t.exe one two > %t.out
// RUN: %t.ref one two > %t.expected
// RUN: diff %t.expected %t.out
// RUN: FileCheck %s < %t.out
// CHECK: one|two|onetwo
// CHECK-NEXT: 3 onetwo
// CHECK-NEXT: 3 onetwo|one
// CHECK-NEXT: onetwo
// CHECK-NEXT: 0 0
// HEADER-NOT: fortified.h
// HEADER-NOT: stdio2.h
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *keep[4];

int main(int argc, char **argv) {
  size_t n = strlen(argv[1]);
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) moved to stack
  char *a = malloc(64);
  memcpy(a, argv[1], n + 1);
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) moved to stack
  char *b = malloc(64);
  strcpy(b, argv[argc - 1]);
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(128) moved to stack
  char *c = malloc(128);
  strcpy(c, a);
  strcat(c, b);
  printf("%s|%s|%s\n", a, b, c);
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(128) moved to stack
  char *d = malloc(128);
  sprintf(d, "%d %s", argc, c);
  puts(d);
  snprintf(d + strlen(d), 128 - strlen(d), "|%s", a);
  fprintf(stdout, "%s\n", d);
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) moved to stack
  int *z = malloc(16 * sizeof *z);
  memset(z, 0, (argc + 1) * sizeof *z);
  // The pointer's own bytes copied into a global: it escapes, and the flow
  // points at this line.
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap
  char *e = malloc(16);
  strcpy(e, "onetwo");
  // REMARK-DAG: escape-fortify.c:[[@LINE+1]]:{{[0-9]+}}: remark: flow: malloc(16)
  memcpy(keep + argc - 3, &e, n * sizeof e / 3);
  puts(keep[0]);
  printf("%d %d\n", z[0], z[argc]);
  free(a);
  free(b);
  free(c);
  free(d);
  free(z);
  return 0;
}
