// An LTO link with escc reads like a compile: the same remark lines
// ("file:line:col: remark: ... [-Rpass=escalloc]", parameters by name, on
// stderr), nothing at all without -m, and -mllvm -escalloc-* knobs accepted at
// the link without "argument unused" (an error under -Werror).
//
// The same file decided at a compile (no LTO) and at an LTO link, full and thin:
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.compile
// RUN: FileCheck %s --input-file=%t.compile
// RUN: %escc -O2 -flto -c %s -o %t.lto.o 2>&1 | count 0
// RUN: %escc -O2 -flto -m %t.lto.o -o %t.full 2> %t.link > %t.link.stdout
// RUN: FileCheck %s --input-file=%t.link
// RUN: count 0 < %t.link.stdout
// RUN: %escc -O2 -flto=thin -c %s -o %t.thin.o
// RUN: %escc -O2 -flto=thin -m %t.thin.o -o %t.thin 2>&1 | FileCheck %s
//
// A plain LTO link prints nothing, as a plain compile does, in one step too.
// RUN: %escc -O2 -flto %t.lto.o -o %t.plain 2>&1 | count 0
// RUN: %escc -O2 -flto %s -o %t.onestep 2>&1 | count 0
//
// A knob at the link, under -Werror: accepted, and it takes effect.
// RUN: %escc -O2 -flto -Werror -m -mllvm -escalloc-max-stack-size=16 %t.lto.o -o %t.knob 2>&1 \
// RUN:   | FileCheck %s --check-prefix=KNOB
// RUN: %escc -O2 -flto -Werror -mllvm -escalloc-max-stack-size=16 %t.lto.o -o %t.knob 2>&1 | count 0
// RUN: %run %t.full | FileCheck %s --check-prefix=OUT
// RUN: %run %t.knob | FileCheck %s --check-prefix=OUT
// OUT: 6
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// CHECK-DAG: escape-lto-remarks.c:[[@LINE+1]]:1: remark: s does not escape [-Rpass-analysis=escalloc]
__attribute__((noinline)) size_t measure(const char *s) { return strlen(s); }

// CHECK-DAG: escape-lto-remarks.c:[[@LINE+1]]:1: remark: argv does not escape [-Rpass-analysis=escalloc]
int main(int argc, char **argv) {
  (void)argv;
  // CHECK-DAG: escape-lto-remarks.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(32) moved to stack{{.*}} [-Rpass=escalloc]
  // KNOB: escape-lto-remarks.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) escapes to heap: too large for stack (32 > 16) [-Rpass-missed=escalloc]
  char *buf = malloc(32);
  snprintf(buf, 32, "%d%s", argc, "abcde");
  size_t n = measure(buf);
  free(buf);
  printf("%zu\n", n);
  return 0;
}
