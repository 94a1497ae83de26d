// Instrumented and plain object files linked into one program: memory
// allocated by lowered code is freed and reallocated by plain code and the
// reverse, malloc_usable_size agrees with escalloc_usable_size, and the heap
// balances at the end.  The plain half is this file compiled with -DPLAIN
// by clang without the plugin.  The lowered half is built without its weak
// fallbacks (lower-abi-link.c), so that nm shows it calls no malloc itself.
// RUN: %escc -O2 -mllvm -escalloc-fallbacks=false -c %s -o %t.inst.o
// RUN: %clang -O2 -DPLAIN -I%include -c %s -o %t.plain.o
// RUN: llvm-nm %t.inst.o | FileCheck %s --check-prefix=INST
// RUN: llvm-nm %t.plain.o | FileCheck %s --check-prefix=PLAINSYMS
// RUN: %escc %t.inst.o %t.plain.o -o %t
// RUN: %t | FileCheck %s
//
// INST-DAG: w escalloc_abi_v1
// INST-DAG: U escalloc_mallocgc_spc
// INST-DAG: U escalloc_mallocgc
// INST-DAG: U escalloc_calloc
// INST-DAG: U escalloc_realloc
// INST-DAG: U escalloc_free
// INST-NOT: U malloc{{$}}
// INST-NOT: U free{{$}}
// PLAINSYMS-NOT: escalloc_mallocgc
// PLAINSYMS-DAG: U malloc
// PLAINSYMS-DAG: U free
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <escalloc/escalloc.h>

void *plain_alloc(size_t n);
void *plain_realloc(void *p, size_t n);
void plain_free(void *p);
size_t plain_usable(void *p);

#ifdef PLAIN
void *plain_alloc(size_t n) { return malloc(n); }
void *plain_realloc(void *p, size_t n) { return realloc(p, n); }
void plain_free(void *p) { free(p); }
size_t plain_usable(void *p) { return malloc_usable_size(p); }
#else
__attribute__((noinline)) static int check(const char *what, void *p, size_t want) {
  size_t a = malloc_usable_size(p), b = escalloc_usable_size(p), c = plain_usable(p);
  int ok = a == b && b == c && a >= want;
  printf("%s: %s\n", what, ok ? "ok" : "MISMATCH");
  return ok;
}

void *volatile keep;

int main(int argc, char **argv) {
  struct escalloc_memstats before, after;
  // CHECK: start
  puts("start"); // stdout's buffer is allocated before the first count
  escalloc_read_memstats(&before);
  size_t n = (size_t)argc * 1000; // a size the compiler cannot see

  // CHECK: lowered constant, plain free: ok
  char *a = malloc(24);
  memset(a, 1, 24);
  check("lowered constant, plain free", a, 24);
  plain_free(a);

  // CHECK: lowered variable, plain realloc: ok
  char *b = malloc(n);
  memset(b, 2, n);
  b = plain_realloc(b, 2 * n);
  check("lowered variable, plain realloc", b, 2 * n);
  plain_free(b);

  // CHECK: plain malloc, lowered realloc and free: ok
  char *c = plain_alloc(40);
  memset(c, 3, 40);
  c = realloc(c, 5000);
  int same = c[39] == 3;
  check("plain malloc, lowered realloc and free", c, 5000);
  free(c);

  // CHECK: lowered calloc, plain free: ok
  int *d = calloc(n, sizeof *d);
  for (size_t i = 0; i < n; i++)
    same &= d[i] == 0;
  check("lowered calloc, plain free", d, n * sizeof *d);
  plain_free(d);

  // calloc's overflow keeps its meaning.  (The result must be used: LLVM
  // folds an allocation that is only compared with NULL, with or without
  // escalloc.)
  // (errno is not checked: LLVM models the malloc family, and so our entry
  // points, as touching only memory the program cannot see, so a read of
  // errno right after the call may be folded, with or without escalloc.)
  // CHECK: overflow: NULL
  void *e = calloc((size_t)-1 / 2, n);
  keep = e;
  printf("overflow: %s\n", e ? "not NULL" : "NULL");

  // CHECK: balanced 1 contents 1
  escalloc_read_memstats(&after);
  printf("balanced %d contents %d\n", after.HeapObjects == before.HeapObjects, same);
  return 0;
}
#endif
