// A program that defines its own malloc family (glibc allows interposition)
// links with escc and keeps its calls' meaning: the module that defines
// malloc is left alone (a remark says so), and the runtime's weak drop-in
// names give way to the program's.  Before, the link failed ("multiple
// definition of `malloc'") and, with the definitions in the module, the
// pass moved the program's malloc calls to the stack.
//
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.o1 && %run %t.o1 | diff %t.expected -
// RUN: %escc -O2 %s -o %t.o2 && %run %t.o2 | diff %t.expected -
// RUN: %escc -O3 %s -o %t.o3 && %run %t.o3 | diff %t.expected -
// RUN: %escc -Os %s -o %t.os && %run %t.os | diff %t.expected -
// RUN: %escc -O2 -flto %s -o %t.lto && %run %t.lto | diff %t.expected -
// RUN: %escc -O2 -m -c %s -o %t.m.o 2>&1 | FileCheck %s --check-prefix=REMARK
// REMARK: remark: the program defines its own malloc: its allocations keep their calls
// REMARK-NOT: moved to stack
// RUN: FileCheck %s < %t.expected
// CHECK: round 9
// CHECK-NEXT: own allocator: 21 mallocs, 20 frees, last object ours
//
// In two files without LTO, the file that calls malloc cannot know whose it
// is: its escaping allocations are lowered, and the runtime, not the
// process's malloc, forwards them to the program's allocator.
// RUN: %escc -O2 -DPART=1 -c %s -o %t.part1.o
// RUN: %escc -O2 -DPART=2 -c %s -o %t.part2.o
// RUN: %escc %t.part1.o %t.part2.o -o %t.parts && %run %t.parts | FileCheck %s --check-prefix=PARTS
// RUN: %escc -O2 -flto -DPART=1 -c %s -o %t.lto1.o
// RUN: %escc -O2 -flto -DPART=2 -c %s -o %t.lto2.o
// RUN: %escc -O2 -flto %t.lto1.o %t.lto2.o -o %t.lto-parts && %run %t.lto-parts | diff %t.expected -
// PARTS: round 9
// PARTS-NEXT: own allocator: {{[0-9]+}} mallocs, {{[0-9]+}} frees, last object ours
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PART
#define PART 0
#endif

extern char arena[1 << 20];
extern int nmalloc, nfree;

#if PART != 2
char arena[1 << 20];
static size_t used;
int nmalloc, nfree;

__attribute__((noinline)) void *malloc(size_t n) {
  nmalloc++;
  void *p = arena + used;
  used += (n + 15) & ~(size_t)15;
  return p;
}
__attribute__((noinline)) void free(void *p) {
  if (p)
    nfree++;
}
void *calloc(size_t c, size_t n) {
  void *p = malloc(c * n);
  memset(p, 0, c * n);
  return p;
}
void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (p)
    memcpy(q, p, n);
  free(p);
  return q;
}
#endif

#if PART != 1
char *volatile keep;

int main(void) {
  for (int i = 0; i < 10; i++) {
    char *local = malloc(32); // does not escape
    snprintf(local, 32, "round %d", i);
    if (i == 9)
      puts(local);
    free(local);
    char *escaping = malloc(64);
    keep = escaping;
    free(escaping);
  }
  uintptr_t k = (uintptr_t)keep, a = (uintptr_t)arena;
  printf("own allocator: %d mallocs, %d frees, last object %s\n", nmalloc, nfree,
         k >= a && k < a + sizeof arena ? "ours" : "NOT ours");
  return 0;
}
#endif
