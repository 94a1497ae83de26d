// -m reads as Go's -gcflags=-m: decisions sorted by file and line (a
// decision's flow lines under it), each inlined copy tagged on every remark
// kind, an identical line printed once, C names (no IR '@', no '?', C++
// demangled), a one-line summary at the end of the translation unit, and a
// note at -O0 that nothing is decided there.
//
// RUN: %escc -O2 -m=2 %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: not grep "@" %t.remarks
// RUN: not grep "(?" %t.remarks
// RUN: grep "moved to stack.*(inlined into twice)" %t.remarks | count 1
// RUN: tail -n 1 %t.remarks | FileCheck %s --check-prefix=SUMMARY
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe 3 > %t.out
// RUN: %t.ref 3 > %t.expected
// RUN: diff %t.expected %t.out
//
// RUN: %escc -O0 -m -c %s -o %t.O0.o 2>&1 | FileCheck %s --check-prefix=O0 --implicit-check-not=remark:
// O0: remark: escalloc: nothing is decided at -O0: every allocation stays on the heap (escape analysis runs at -O1 and above)
//
// RUN: %escc -O2 -m -x c++ -DCXX -c %s -o %t.cxx.o 2> %t.cxx
// RUN: FileCheck %s --check-prefix=CXX < %t.cxx
// RUN: not grep "_Z" %t.cxx
// CXX: remark: malloc(8) escapes to heap: returned from ns::mk(long)
// CXX: remark: ns::mk(v) moved to stack in the frame of use(long): ns::mk(long) builds it there (destination passing)
#ifdef CXX
#include <stdlib.h>
namespace ns {
__attribute__((noinline)) long *mk(long v) {
  long *p = (long *)malloc(sizeof *p);
  *p = v;
  return p;
}
} // namespace ns
long use(long v) {
  long *p = ns::mk(v);
  long r = *p;
  free(p);
  return r;
}
#else
#include <stdio.h>
#include <stdlib.h>

struct node { long v; struct node *next; };
struct node *registry;
long total(int n);

// main comes first in the file, but is decided last (callees first).
int main(int argc, char **argv) {
  // REMARK: escape-readable.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(<variable size>) moved to stack when its size fits 64 bytes
  char *b = malloc(argc * 10);
  snprintf(b, argc * 10, "%d", argc);
  puts(b);
  free(b);
  printf("%ld\n", total(argc));
  return 0;
}

static inline struct node *new_node(long v) {
  // REMARK: escape-readable.c:[[@LINE+4]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: stored to global registry (inlined into publish)
  // REMARK-NEXT: remark: flow: malloc(16) (line [[@LINE+3]]) escapes: stored to global registry
  // REMARK-NEXT: escape-readable.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(16) moved to stack{{.*}} (inlined into twice)
  // REMARK: escape-readable.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) lowered to mallocgc: {{.*}} (inlined into publish)
  struct node *n = malloc(sizeof *n);
  n->v = v;
  n->next = NULL;
  return n;
}

__attribute__((noinline)) long twice(long v) {
  struct node *n = new_node(v);
  struct node *m = new_node(v + 1);
  volatile long *pn = &n->v, *pm = &m->v;
  long s = *pn + *pm;
  free(n);
  free(m);
  return s;
}

__attribute__((noinline)) void publish(long v) { registry = new_node(v); }

long total(int n) {
  publish(n);
  return twice(n) + registry->v;
}
#endif
// SUMMARY: remark: escalloc: 4 allocation sites: 3 moved to stack, 1 escaping, {{[0-9]+}} heap paths lowered to mallocgc
