// A heap profile of a program built without -g names its functions: the
// writer reads the ELF symbol table of each file that has no DWARF (which
// pprof would leave as "[prog]") and emits Function and Line entries.
// RUN: %escc -O2 %s -o %t
// RUN: rm -f %t.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.prof %t
// RUN: go tool pprof -traces -sample_index=alloc_space %t %t.prof | FileCheck %s
// CHECK: 1000kB   alloc_site
// CHECK-NEXT: {{^ +}}main{{$}}
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) void alloc_site(int n) {
  for (int i = 0; i < n; i++)
    sink = malloc(1000);
}

int main(void) {
  alloc_site(1000);
  return 0;
}
