// A pass knob set through clang (escc passes -fplugin= so that clang accepts
// -mllvm -escalloc-*): with a stack limit of 8 bytes the 16-byte object stays
// on the heap and the remark says why; by default it moves to the stack.
//
// RUN: %escc -O2 -m -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: %escc -O2 -m -mllvm -escalloc-max-stack-size=8 -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=KNOB
// The same knob through plain clang, with the plugin loaded both ways.
// RUN: %clang -O2 -fpass-plugin=%plugin -fplugin=%plugin -Rpass-missed=escalloc -mllvm -escalloc-max-stack-size=8 -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=KNOB
// An unknown knob is clang's clear error, not a crash.
// RUN: not %escc -O2 -mllvm -escalloc-no-such-knob -c %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=UNKNOWN
#include <stdlib.h>

__attribute__((noinline)) long sum(const long *v) { return v[0] + v[1]; }

long pair(long a, long b) {
  long *v = malloc(2 * sizeof *v);
  // DEFAULT: driver-knob.c:[[@LINE-1]]:13: remark: malloc(16) moved to stack when the stack has room; 1 free guarded
  // KNOB: driver-knob.c:[[@LINE-2]]:13: remark: malloc(16) escapes to heap: too large for stack (16 > 8)
  if (!v)
    return -1;
  v[0] = a;
  v[1] = b;
  long s = sum(v);
  free(v);
  return s;
}
// UNKNOWN: Unknown command line argument '-escalloc-no-such-knob'
