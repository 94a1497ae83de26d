// Under valgrind, memcheck sees escalloc's objects (valgrind.c): a real leak
// of lowered allocations is "definitely lost" with the allocating stack from
// the program's frame on, a use after free is an invalid read with both
// stacks, and the runtime's own work (tiny blocks, calloc, realloc,
// aligned_alloc, free lists) reports nothing.  -gdwarf-4: bookworm's valgrind
// 3.19 does not read all of clang's DWARF 5.  Heap-profile samples open no
// library, with frame pointers or without (libgcc's unwinder is linked into
// the runtime): before, a sample without them opened libgcc_s, whose loading
// memcheck reported as 4 blocks still reachable (the loader's).
// RUN: %escc -O1 -gdwarf-4 --frame-pointers -Rpass-analysis=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: valgrind --leak-check=full %t uaf 2>&1 | FileCheck %s
// RUN: %escc -O1 -gdwarf-4 %s -o %t.nofp
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 valgrind --leak-check=full %t.nofp uaf 2>&1 | FileCheck %s
//
// REMARK: {{.*}}runtime-valgrind.c:{{[0-9]+}}:{{[0-9]+}}: remark: malloc(48) lowered to mallocgc{{.*}}returned from mk
// CHECK: Invalid read of size 1
// CHECK-NEXT: at 0x{{[0-9A-F]+}}: main ({{.*}}runtime-valgrind.c:{{[0-9]+}})
// The freed block is malloc(100)'s, not an older block at the same address
// (freed slots wait in a quarantine before they are reused: before, this
// was "a block of size 104", a calloc of the loop above):
// CHECK-NEXT: Address 0x{{[0-9a-f]+}} is 1 bytes inside a block of size 100 free'd
// CHECK-NEXT: at 0x{{[0-9A-F]+}}: escalloc_valgrind_free
// CHECK-NEXT: by 0x{{[0-9A-F]+}}: main ({{.*}}runtime-valgrind.c:{{[0-9]+}})
// CHECK: definitely lost in loss record
// CHECK-NEXT: at 0x{{[0-9A-F]+}}: escalloc_valgrind_alloc
// CHECK-NEXT: by 0x{{[0-9A-F]+}}: mk ({{.*}}runtime-valgrind.c:{{[0-9]+}})
// CHECK: definitely lost: 480 bytes in 10 blocks
// CHECK: still reachable: 0 bytes in 0 blocks
// CHECK: ERROR SUMMARY: 2 errors from 2 contexts
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
  struct node *next;
  long v[5];
} node;

void *volatile sink;

__attribute__((noinline)) node *mk(long v) {
  node *n = malloc(sizeof *n);
  n->next = 0;
  n->v[0] = v;
  return n;
}

__attribute__((noinline)) void leak(int n) {
  for (int i = 0; i < n; i++)
    sink = mk(i); // all 10 lost: sink is overwritten below
}

int main(int argc, char **argv) {
  leak(10);
  // Tiny objects, calloc, realloc, aligned_alloc: used correctly, no reports.
  for (int i = 1; i < 200; i++) {
    char *t = malloc(i % 15 + 1), *z = calloc(i, 8);
    memset(t, 'x', i % 15 + 1);
    z[i * 8 - 1] += t[0];
    t = realloc(t, i * 3);
    t[i * 3 - 1] = z[0];
    void *a = aligned_alloc(64, 128);
    memset(a, 0, 128);
    sink = a;
    free(sink);
    free(z);
    free(t);
  }
  char *s = malloc(100);
  strcpy(s, "hello");
  sink = s;
  free(s);
  if (argc > 1)
    printf("%c\n", s[1]); // use after free
  return 0;
}
