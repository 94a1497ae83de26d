// Knobs reach the pass through clang (-mllvm, accepted because escc also
// loads the plugin with -fplugin=): the same allocation is promoted by
// default and stays on the heap with a 32-byte object limit.
//
// RUN: %escc -O2 -m %s -o %t.default 2> %t.default.remarks
// RUN: FileCheck %s --check-prefix=DEFAULT < %t.default.remarks
// RUN: %escc -O2 -m -mllvm -escalloc-max-stack-size=32 %s -o %t.small 2> %t.small.remarks
// RUN: FileCheck %s --check-prefix=SMALL < %t.small.remarks
// RUN: %clang -O2 -fpass-plugin=%plugin -fplugin=%plugin -mllvm -escalloc-max-stack-size=32 \
// RUN:   -Rpass-missed=escalloc -c %s -o %t.o 2> %t.clang.remarks
// RUN: FileCheck %s --check-prefix=SMALL < %t.clang.remarks
// RUN: %run %t.default | FileCheck %s
// RUN: %run %t.small | FileCheck %s
// CHECK: hello, 48
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  // DEFAULT: escape-knob.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(48) moved to stack when the stack has room; 1 free guarded
  // SMALL: escape-knob.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(48) escapes to heap: too large for stack (48 > 32)
  char *buf = malloc(48);
  snprintf(buf, 48, "hello, %d", 48);
  puts(buf);
  free(buf);
  return 0;
}
