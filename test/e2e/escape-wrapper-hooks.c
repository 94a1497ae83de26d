// Allocation wrappers with a library fallback (issue 12, section 4), as
// gawk's persistent-memory allocator does it (support/pma.c, built in with
// `#define malloc pma_malloc`): pma_malloc / pma_calloc / pma_free forward
// to the C library unless a persistent heap is in use, after a trace that
// prints when verbose.  Promotion is speculative: the stack when the
// wrapper's own path to malloc is taken at the call, the wrapper otherwise;
// pma_free of a stack object is skipped when its path to free is taken,
// and handed a heap copy otherwise (persistent mode switched on between an
// allocation and its free).  The output, with persistent mode off, on, and
// switched in between, verbose or not, is what clang -O0's build prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %run %t.ref v > %t.expected.v
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %run %t.2 v > %t.2.v && diff %t.expected.v %t.2.v
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.ng && %run %t.ng > %t.ng.out && diff %t.expected %t.ng.out
// RUN: %escc --rt=none -O2 -mllvm -escalloc-lower=false %s -o %t.g && %run %t.g > %t.g.out && diff %t.expected %t.g.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// RUN: %escc -O2 -m -mllvm -escalloc-wrapper-hooks=false %s -o %t.off 2> %t.remarks.off
// RUN: FileCheck %s --check-prefix=OFF < %t.remarks.off
// Under ASan: free and the wrappers never get a stack address, and no
// promoted object is used outside its lifetime.
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A persistent heap of its own: a bump allocator over a static arena.
static struct {
  int init, vrb; // 2: forward to the C library; 1: the persistent heap
  char *heap;
  size_t used;
} state;
static long pallocs, pfrees, foreign;
static char arena[1 << 20];

#define FYI(...)                                                             \
  do {                                                                       \
    if (2 < state.vrb)                                                       \
      printf("FYI: " __VA_ARGS__);                                           \
  } while (0)
#define ASI(...)                                                             \
  do {                                                                       \
    if (!(1 == state.init || 2 == state.init)) {                             \
      printf("not initialized\n");                                           \
      return __VA_ARGS__;                                                    \
    }                                                                        \
  } while (0)

__attribute__((noinline)) void *pma_malloc(size_t size) {
  FYI("malloc(%zu)\n", size);
  ASI(NULL);
  if (2 == state.init)
    return malloc(size);
  void *r = state.heap + state.used;
  state.used += (size + 15) & ~(size_t)15;
  pallocs++;
  return r;
}

__attribute__((noinline)) void *pma_calloc(size_t n, size_t size) {
  FYI("calloc(%zu, %zu)\n", n, size);
  ASI(NULL);
  if (2 == state.init)
    return calloc(n, size);
  void *r = pma_malloc(n * size);
  memset(r, 0, n * size);
  return r;
}

static int foreign_object(void *p) {
  return (char *)p < arena || (char *)p >= arena + sizeof arena;
}

// The buffers reallocated here hold strings: what to keep is strlen + 1.
__attribute__((noinline)) void *pma_realloc(void *p, size_t n) {
  FYI("realloc(%zu)\n", n);
  ASI(NULL);
  if (2 == state.init)
    return realloc(p, n);
  void *r = pma_malloc(n);
  if (p) {
    size_t old = strlen(p) + 1;
    memcpy(r, p, old < n ? old : n);
    if (foreign_object(p)) {
      foreign += ((unsigned char *)p)[0];
      free(p);
    }
  }
  return r;
}

__attribute__((noinline)) void pma_free(void *p) {
  FYI("free\n");
  ASI();
  if (2 == state.init) {
    free(p);
    return;
  }
  if (!p)
    return;
  if (foreign_object(p)) {
    // What pma_free does with an object that is not its own (an object
    // malloc'ed before the persistent heap was switched on): it reports
    // it; gawk's asserts.  Read it as the wrapper would.
    foreign += ((unsigned char *)p)[0];
    free(p);
    return;
  }
  pfrees++;
}

__attribute__((noinline)) static long work(int k) {
  // CHECK-DAG: escape-wrapper-hooks.c:[[@LINE+2]]:{{[0-9]+}}: remark: pma_malloc(64) moved to stack when the stack has room; 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when
  // OFF-NOT: escape-wrapper-hooks.c:[[@LINE+1]]:{{.*}}moved to stack
  char *buf = pma_malloc(64);
  if (!buf)
    return -1;
  snprintf(buf, 64, "work %d", k);
  long n = (long)strlen(buf);
  pma_free(buf);
  return n;
}

__attribute__((noinline)) static long zeroed(int k) {
  // CHECK-DAG: escape-wrapper-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: pma_calloc(8, 4) moved to stack when the stack has room; 1 free guarded; speculatively promoted: pma_calloc forwards to calloc when
  int *v = pma_calloc(8, 4);
  if (!v)
    return -1;
  long s = 0;
  for (int i = 0; i < 8; i++)
    s += v[i];
  v[k % 8] = k;
  for (int i = 0; i < 8; i++)
    s += v[i];
  pma_free(v);
  return s;
}

// Persistent mode switched on between the allocation and its free: the
// wrapper free gets what it got before, an object of malloc.
__attribute__((noinline)) static long between(int k) {
  // CHECK-DAG: escape-wrapper-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: pma_malloc(32) moved to stack when the stack has room; 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when
  char *buf = pma_malloc(32);
  if (!buf)
    return -1;
  snprintf(buf, 32, "%c between %d", 'A' + k, k);
  state.init = 1;
  long n = printf("%s\n", buf);
  pma_free(buf);
  state.init = 2;
  return n;
}

// A growable buffer (gawk's erealloc): grown through pma_realloc, with
// persistent mode switched on at round \p on (never when negative).
__attribute__((noinline)) static long grow(int k, int on) {
  size_t cap = 16, len = 0;
  // CHECK-DAG: escape-wrapper-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: pma_malloc(16) moved to stack when the stack has room; grows on the stack up to {{[0-9]+}} bytes, then moves to the heap; 1 realloc and 2 frees guarded; speculatively promoted: pma_malloc forwards to malloc when
  char *buf = pma_malloc(cap);
  if (!buf)
    return -1;
  buf[0] = 0;
  for (int i = 0; i < k; i++) {
    if (i == on)
      state.init = 1;
    char piece[16];
    int m = snprintf(piece, sizeof piece, "%d,", i);
    if (len + m + 1 > cap) {
      cap *= 2;
      char *nb = pma_realloc(buf, cap);
      if (!nb) {
        pma_free(buf);
        return -1;
      }
      buf = nb;
    }
    memcpy(buf + len, piece, m + 1);
    len += m;
  }
  long h = (long)len;
  for (size_t i = 0; i < len; i++)
    h = h * 31 + buf[i];
  pma_free(buf);
  state.init = 2;
  return h;
}

// Negative: the object outlives the call.
static char *kept;
__attribute__((noinline)) static void keep(int k) {
  // CHECK-DAG: escape-wrapper-hooks.c:[[@LINE+1]]:{{[0-9]+}}: remark: pma_malloc(16) escapes to heap: stored to global kept
  char *p = pma_malloc(16);
  if (p)
    snprintf(p, 16, "kept %d", k);
  kept = p;
}

static long run(int rounds) {
  long s = 0;
  for (int i = 0; i < rounds; i++)
    s += work(i) + zeroed(i);
  return s;
}

int main(int argc, char **argv) {
  state.vrb = argc > 1 ? 3 : 0;
  state.init = 2;
  printf("library %ld pallocs %ld pfrees %ld\n", run(1000), pallocs, pfrees);
  state.init = 1;
  state.heap = arena;
  printf("persistent %ld pallocs %ld pfrees %ld\n", run(1000), pallocs,
         pfrees);
  state.init = 2;
  printf("between %ld foreign %ld\n", between(3), foreign);
  long g = 0;
  for (int k = 0; k < 40; k++)
    g += grow(k, -1) + grow(k, k / 2) + grow(k, 3);
  printf("grow %ld pallocs %ld pfrees %ld foreign %ld\n", g, pallocs, pfrees,
         foreign);
  state.init = 1;
  keep(5);
  printf("%s pallocs %ld pfrees %ld\n", kept, pallocs, pfrees);
  pma_free(kept);
  state.init = 0;
  printf("uninitialized %p\n", pma_malloc(8));
  return 0;
}
