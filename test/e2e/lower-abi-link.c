// A lowered object carries weak definitions of the entry points it calls, on
// the C allocator (the fallbacks), and a weak reference to escalloc_abi_v1
// (which ABI it was lowered for).  So it links with any compiler and no
// runtime, even with --gc-sections, and runs on malloc; linked with the
// runtime (escc) it runs on the runtime's heap, whose strong definitions win.
// With -mllvm -escalloc-fallbacks=false, linking without the runtime fails.
// RUN: %escc -O2 -c %s -o %t.o
// RUN: llvm-nm %t.o | FileCheck %s --check-prefix=SYMS
// SYMS-DAG: w escalloc_abi_v1
// SYMS-DAG: W escalloc_mallocgc_spc
// SYMS-DAG: W escalloc_free
// RUN: %clang %t.o -o %t.plain && %t.plain | FileCheck %s --check-prefix=PLAIN
// RUN: %clang %t.o -Wl,--gc-sections -o %t.gc && %t.gc | FileCheck %s --check-prefix=PLAIN
// PLAIN: hello from the lowered heap
// PLAIN-NEXT: on the escalloc runtime: no
// RUN: %escc %t.o -o %t.ok
// RUN: %t.ok | FileCheck %s --check-prefix=OK
// OK: hello from the lowered heap
// OK-NEXT: on the escalloc runtime: yes
// RUN: %escc -O2 -mllvm -escalloc-fallbacks=false -c %s -o %t.strict.o
// RUN: not %clang %t.strict.o -o %t.bad 2>&1 | FileCheck %s
// CHECK: {{undefined reference to .escalloc_|undefined symbol: escalloc_}}
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <escalloc/escalloc.h>

// Weak: this program also links without the runtime.
extern __typeof(escalloc_read_memstats) escalloc_read_memstats __attribute__((weak));

char *volatile keep; // makes the allocation escape, so it is lowered, not promoted

int main(void) {
  struct escalloc_memstats before = {0}, after = {0};
  if (escalloc_read_memstats)
    escalloc_read_memstats(&before);
  char *s = malloc(32);
  keep = s;
  if (!s)
    return 1;
  strcpy(s, "hello from the lowered heap");
  puts(s);
  if (escalloc_read_memstats)
    escalloc_read_memstats(&after);
  printf("on the escalloc runtime: %s\n", after.Mallocs > before.Mallocs ? "yes" : "no");
  free(s);
  return 0;
}
