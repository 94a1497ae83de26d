// Caller-frame promotion through allocation hooks (issue 12, section 3;
// DestPassing.h): constructors that stay functions (noinline) and allocate
// through a hook the user may replace, cJSON's global_hooks.allocate and
// gawk's out-of-line emalloc over pma_malloc, build their object in the
// caller's frame only while the hook is malloc at the call; otherwise they
// call the hook.  The program replaces the allocator after some calls (the
// counting hooks, the persistent heap), and between an allocation and its
// free (the free hook then gets a heap copy, as it got malloc's object
// before), so each fallback runs.  Its output is what clang -O0 prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: FileCheck %s --check-prefix=OUT < %t.expected
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.ng && %run %t.ng > %t.ng.out && diff %t.expected %t.ng.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// RUN: %escc -O2 -m -mllvm -escalloc-hooks=false -mllvm -escalloc-wrapper-hooks=false %s -o %t.off 2> %t.remarks.off
// RUN: FileCheck %s --check-prefix=OFF < %t.remarks.off
// Under ASan: no hook and no free gets a stack address, and no promoted
// object is used outside its lifetime.
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/hooks.h"

typedef struct item {
  int type;
  long value;
  char name[40];
} item;

// cJSON_New_Item: through the allocation hook, zeroed, NULL on failure.
__attribute__((noinline)) static item *new_item(int type) {
  item *it = global_hooks.allocate(sizeof(item));
  if (it) {
    memset(it, 0, sizeof(item));
    it->type = type;
  }
  return it;
}

// OFF-NOT: moved to stack in the frame of score
// Freed through the deallocation hook.
__attribute__((noinline)) static long score(int k) {
  // CHECK-DAG: escape-dest-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: new_item(1) moved to stack in the frame of score: new_item builds it there (destination passing) when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  item *it = new_item(1);
  if (!it)
    return -1;
  it->value = k * 3;
  snprintf(it->name, sizeof it->name, "item %d", k);
  long s = it->value + (long)strlen(it->name);
  global_hooks.deallocate(it);
  return s;
}

// Freed by free (the program knows its hooks are malloc's when it does).
__attribute__((noinline)) static long plain(int k) {
  // CHECK-DAG: escape-dest-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: new_item(2) moved to stack in the frame of plain: new_item builds it there (destination passing) when the stack has room; 2 frees guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  item *it = new_item(2);
  if (!it)
    return -1;
  it->value = k;
  long s = it->value + it->type;
  if (global_hooks.deallocate == free)
    free(it);
  else
    global_hooks.deallocate(it);
  return s;
}

// The hooks change between the allocation and its free.
__attribute__((noinline)) static long between(int k) {
  // CHECK-DAG: escape-dest-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: new_item(3) moved to stack in the frame of between: new_item builds it there
  item *it = new_item(3);
  if (!it)
    return -1;
  snprintf(it->name, sizeof it->name, "between %d", k);
  init_hooks(count_malloc, count_free);
  long n = printf("%s\n", it->name);
  global_hooks.deallocate(it);
  init_hooks(NULL, NULL);
  return n;
}

// Negative: the object outlives the call.
static item *kept;
__attribute__((noinline)) static void keep(int k) {
  // CHECK-DAG: escape-dest-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: new_item(4) escapes to heap: stored to global kept
  item *it = new_item(4);
  if (it)
    it->value = k;
  kept = it;
}

// gawk's persistent-memory allocator: pma_malloc forwards to malloc unless
// the persistent heap (a bump allocator over a static arena) is on.
static struct {
  int init; // 2: forward to the C library; 1: the persistent heap
  size_t used;
} state = {2, 0};
static long pallocs, pfrees;
static char arena[1 << 20];

__attribute__((noinline)) void *pma_malloc(size_t size) {
  if (2 == state.init)
    return malloc(size);
  void *r = arena + state.used;
  state.used += (size + 15) & ~(size_t)15;
  pallocs++;
  return r;
}

__attribute__((noinline)) void pma_free(void *p) {
  if (2 == state.init) {
    free(p);
    return;
  }
  if (!p)
    return;
  if ((char *)p < arena || (char *)p >= arena + sizeof arena) {
    // Not the persistent heap's: malloc'ed before it was switched on.
    free(p);
    return;
  }
  pfrees++;
}

// gawk's emalloc_real: out of line, dies on failure.
__attribute__((noinline)) static void *emalloc(size_t n, const char *what) {
  if (n == 0) {
    printf("emalloc(0) for %s\n", what);
    exit(2);
  }
  void *r = pma_malloc(n);
  if (!r) {
    printf("cannot allocate %zu bytes for %s\n", n, what);
    exit(2);
  }
  return r;
}

__attribute__((noinline)) static long word(int k, size_t n) {
  // CHECK-DAG: escape-dest-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: emalloc(n) moved to stack in the frame of word: emalloc builds it there (destination passing) when its size fits {{[0-9]+}} bytes and the stack has room; 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when
  char *w = emalloc(n, "word");
  snprintf(w, n, "w%d-%d", k, k * k);
  long h = 0;
  for (char *c = w; *c; c++)
    h = (h * 31 + *c) % 1000003;
  pma_free(w);
  return h;
}

static long run(int rounds) {
  long s = 0;
  for (int i = 0; i < rounds; i++)
    s += score(i) + plain(i) + word(i, 8 + i % 24);
  return s;
}

int main(void) {
  // OUT: default [[SUM:[0-9]+]] allocs 0 frees 0 persistent 0 0
  long d = run(100);
  printf("default %ld allocs %ld frees %ld persistent %ld %ld\n", d, allocs,
         frees, pallocs, pfrees);
  // The user replaces the allocators after some calls.
  init_hooks(count_malloc, count_free);
  state.init = 1;
  long c = run(100);
  // OUT: replaced [[SUM]] allocs 200 frees 200 persistent 100 100
  printf("replaced %ld allocs %ld frees %ld persistent %ld %ld\n", c, allocs,
         frees, pallocs, pfrees);
  init_hooks(NULL, NULL);
  state.init = 2;
  allocs = frees = 0;
  // OUT: between 7
  between(7);
  // OUT: between allocs 0 frees 1
  printf("between allocs %ld frees %ld\n", allocs, frees);
  init_hooks(count_malloc, count_free);
  keep(3);
  printf("kept %ld allocs %ld frees %ld\n", kept->value, allocs, frees);
  global_hooks.deallocate(kept);
  // OUT: kept 3 allocs 1 frees 1
  // OUT: after allocs 1 frees 2
  printf("after allocs %ld frees %ld\n", allocs, frees);
  return 0;
}
