// Lowered code references escalloc_abi_v1: linking it against a runtime of
// another ABI version fails at link time, even with --gc-sections, and with
// the real runtime it links and runs.
// RUN: %escc -O2 -c %s -o %t.o
// RUN: %clang -O2 -DRUNTIME_V2 -I%include -c %s -o %t.v2.o
// RUN: not %clang %t.o %t.v2.o -o %t.bad 2>&1 | FileCheck %s
// RUN: not %clang %t.o %t.v2.o -Wl,--gc-sections -o %t.bad 2>&1 | FileCheck %s
// CHECK: {{undefined reference to .escalloc_abi_v1|undefined symbol: escalloc_abi_v1}}
// RUN: %escc %t.o -o %t.ok
// RUN: %t.ok | FileCheck %s --check-prefix=OK
// OK: hello from the lowered heap
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RUNTIME_V2
// A runtime of another ABI version: the same entry points, another marker.
#include <escalloc/abi.h>
const int escalloc_abi_v2 = 2;
static char arena[1 << 16];
static size_t used;
void *escalloc_mallocgc(size_t size, uint32_t flags) {
  (void)flags;
  void *p = arena + used;
  used += (size + 15) & ~(size_t)15;
  return p;
}
void *escalloc_mallocgc_class(size_t size, uint32_t sizeclass, uint32_t flags) {
  (void)sizeclass;
  return escalloc_mallocgc(size, flags);
}
void *escalloc_mallocgc_spc(size_t size, uint32_t spanclass) {
  (void)spanclass;
  return escalloc_mallocgc(size, 0);
}
void escalloc_free(void *p) { (void)p; }
#else
char *volatile keep; // makes the allocation escape, so it is lowered, not promoted

int main(void) {
  char *s = malloc(32);
  keep = s;
  if (!s)
    return 1;
  strcpy(s, "hello from the lowered heap");
  puts(s);
  free(s);
  return 0;
}
#endif
