// Allocation through hooks the user may replace (issue 12, section 3), as
// cJSON does it: a global struct of function pointers initialised to malloc
// and free, rewritten by init_hooks.  Promotion is speculative: the stack
// when the hook is malloc at the site, the hook otherwise; a deallocation
// hook never gets a stack slot (a hook put in place between the allocation
// and the free gets a heap copy, as it got malloc's object before).  The
// counting allocator's counts, with the hooks left as they are, replaced
// before, and replaced between an allocation and its free, are what
// clang -O0's build prints.  A `static const` table is folded by LLVM: a
// plain malloc.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.ng && %run %t.ng > %t.ng.out && diff %t.expected %t.ng.out
// RUN: %escc --rt=none -O2 -mllvm -escalloc-lower=false %s -o %t.g && %run %t.g > %t.g.out && diff %t.expected %t.g.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// RUN: %escc -O2 -g -m %s -o %t.mg 2> %t.remarks.g
// RUN: FileCheck %s --check-prefix=DEBUG < %t.remarks.g
// RUN: %escc -O2 -m -mllvm -escalloc-hooks=false %s -o %t.off 2> %t.remarks.off
// RUN: FileCheck %s --check-prefix=OFF < %t.remarks.off
// Under ASan: free and the hooks never get a stack address, and no
// promoted object is used outside its lifetime.
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/hooks.h"

// A run-time size: on the stack when it fits.
__attribute__((noinline)) static long parse_number(const char *s) {
  size_t n = strlen(s);
  // CHECK-DAG: escape-hooks.c:[[@LINE+2]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(<variable size>) moved to stack when its size fits 64 bytes and the stack has room; 1 free guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  // OFF-NOT: escape-hooks.c:[[@LINE+1]]:{{.*}}moved to stack
  char *tmp = global_hooks.allocate(n + 1);
  if (!tmp)
    return 0;
  memcpy(tmp, s, n + 1);
  long v = strtol(tmp, NULL, 10);
  global_hooks.deallocate(tmp);
  return v;
}

__attribute__((noinline)) static size_t print_number(long k) {
  // CHECK-DAG: escape-hooks.c:[[@LINE+2]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(64) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  // DEBUG-DAG: escape-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: global_hooks.allocate(64) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks.allocate equals malloc
  char *buf = global_hooks.allocate(64);
  if (!buf)
    return 0;
  snprintf(buf, 64, "%ld", k);
  size_t n = strlen(buf);
  global_hooks.deallocate(buf);
  return n;
}

// The hooks change between the allocation and its free.
__attribute__((noinline)) static int between(int k) {
  // CHECK-DAG: escape-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(32) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  char *buf = global_hooks.allocate(32);
  if (!buf)
    return 0;
  snprintf(buf, 32, "between %d", k);
  init_hooks(count_malloc, count_free);
  int n = printf("%s\n", buf);
  global_hooks.deallocate(buf);
  init_hooks(NULL, NULL);
  return n;
}

// Negative: the object outlives the call.
static char *kept;
__attribute__((noinline)) static void keep(int k) {
  // CHECK-DAG: escape-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(16) escapes to heap: stored to global kept
  char *p = global_hooks.allocate(16);
  if (p)
    snprintf(p, 16, "kept %d", k);
  kept = p;
}

// Known target: LLVM folds the load from a constant table.
static const hooks_t const_hooks = {malloc, free};
__attribute__((noinline)) static size_t from_const(int k) {
  // CHECK-DAG: escape-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(48) moved to stack
  char *p = const_hooks.allocate(48);
  if (!p)
    return 0;
  snprintf(p, 48, "const %d", k);
  size_t n = strlen(p);
  const_hooks.deallocate(p);
  return n;
}

static long run(int rounds) {
  char text[32];
  long s = 0;
  for (int i = 0; i < rounds; i++) {
    snprintf(text, sizeof text, "%d", i * 37);
    s += parse_number(text) + (long)print_number(i) + (long)from_const(i);
  }
  return s;
}

int main(void) {
  printf("default %ld allocs %ld frees %ld\n", run(1000), allocs, frees);
  init_hooks(count_malloc, count_free);
  printf("counting %ld allocs %ld frees %ld\n", run(1000), allocs, frees);
  init_hooks(NULL, NULL);
  allocs = frees = 0;
  between(7);
  printf("between allocs %ld frees %ld\n", allocs, frees);
  init_hooks(count_malloc, count_free);
  keep(3);
  printf("%s allocs %ld frees %ld\n", kept, allocs, frees);
  global_hooks.deallocate(kept);
  printf("after allocs %ld frees %ld\n", allocs, frees);
  return 0;
}
