// Every allocation call gets a decision at its own line: one LLVM deleted as
// dead, one per inlined copy (naming the caller), and with -escalloc-explain
// the flow from the allocation to where it escapes.  The YAML optimization
// record carries the same facts as structured arguments.
//
// RUN: %escc -O2 -m -mllvm -escalloc-explain %s -o %t.exe 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %escc -O2 -fsave-optimization-record -foptimization-record-file=%t.yaml %s -o %t.exe2
// RUN: FileCheck %s --check-prefix=YAML < %t.yaml
// RUN: %clang -O2 %s -o %t.ref
// RUN: %run %t.exe > %t.out
// RUN: %t.ref > %t.expected
// RUN: diff %t.expected %t.out
#include <stdio.h>
#include <stdlib.h>

struct node { long v; struct node *next; };
struct node *registry;

static int unused_work(int n) {
  // REMARK-DAG: escape-remarks.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) removed as dead by LLVM before escape analysis
  char *scratch = malloc(64);
  (void)scratch;
  return n + 1;
}

static inline struct node *new_node(long v) {
  // REMARK-DAG: escape-remarks.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(16) moved to stack when the stack has room; 1 free guarded (inlined into sum_local)
  // REMARK-DAG: escape-remarks.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: stored into an escaping object (inlined into publish)
  struct node *n = malloc(sizeof *n);
  n->v = v;
  n->next = NULL;
  return n;
}

__attribute__((noinline)) long sum_local(long v) {
  struct node *n = new_node(v);
  volatile long *pv = &n->v;
  long s = *pv * 2;
  free(n);
  return s;
}

__attribute__((noinline)) void publish(long v) {
  struct node *n = new_node(v);
  // REMARK-DAG: escape-remarks.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: stored to global registry
  struct node *holder = malloc(sizeof *holder);
  holder->v = 0;
  holder->next = n;
  registry = holder;
}
// The flow for the inner node: it was stored into the holder, which was
// stored to the global.
// REMARK-DAG: remark: flow: malloc(16) (line 30) flows into malloc(16) (line 47): stored into an escaping object
// REMARK-DAG: remark: flow: malloc(16) (line 47) escapes: stored to global registry

int main(int argc, char **argv) {
  (void)argv;
  publish(argc);
  printf("%d %ld %ld\n", unused_work(argc), sum_local(argc), registry->next->v);
  return 0;
}

// YAML: --- !Passed
// YAML: Pass: escalloc
// YAML: Name: MovedToStack
// YAML: - Allocation: 'malloc(16)'
// YAML: - FreesRemoved: '1'
// YAML: --- !Missed
// YAML: Pass: escalloc
// YAML: Name: EscapesToHeap
// YAML: - Allocation: 'malloc(16)'
// YAML: - Reason: 'stored to global '
// YAML: - Subject: registry
