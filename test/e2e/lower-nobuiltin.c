// -fno-builtin means malloc may not be the C library's: nothing is lowered
// (TargetLibraryInfo says so), and the program still runs on the runtime's
// drop-in malloc.  -fno-builtin-malloc alone keeps free lowered (W: the
// object carries a weak fallback of the entry point, see lower-abi-link.c).
// RUN: %escc -O2 -fno-builtin -c %s -o %t.o
// RUN: llvm-nm %t.o | FileCheck %s
// RUN: %escc -O2 -fno-builtin-malloc -c %s -o %t.malloc.o
// RUN: llvm-nm %t.malloc.o | FileCheck %s --check-prefix=ONLYMALLOC
// RUN: %escc %t.o -o %t && %t | FileCheck %s --check-prefix=OUT
// (The object's one escalloc_ symbol is the pass's frame-pointer marker,
// a data object: V.)
// CHECK-NOT: {{[UWTw] escalloc_}}
// CHECK: U free
// CHECK-NOT: {{[UWTw] escalloc_}}
// CHECK: U malloc{{$}}
// CHECK-NOT: {{[UWTw] escalloc_}}
// ONLYMALLOC-DAG: W escalloc_free
// ONLYMALLOC-DAG: U malloc{{$}}
// OUT: hello
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *volatile keep;

int main(void) {
  char *s = malloc(16);
  if (!s)
    return 1;
  keep = s;
  strcpy(s, "hello");
  puts(s);
  free(s);
  return 0;
}
