// Frees that may release several objects (issue 12, section 2): a free of a
// phi or a select of promoted objects, and one that may also release an
// object on the heap (the caller's, a published one, one a callee put in
// place of ours).  Every build prints what clang -O0 prints; with glibc's
// malloc (--rt=none, nothing lowered) the bytes in use at the end are the
// same as at the start (tcache off: it keeps freed chunks counted in use): no
// heap object lost its free, and no stack slot was passed to free.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: env GLIBC_TUNABLES=glibc.malloc.tcache_count=0 %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.ng && %run %t.ng > %t.ng.out && diff %t.expected %t.ng.out
// RUN: %escc --rt=none -O2 -mllvm -escalloc-lower=false %s -o %t.g && env GLIBC_TUNABLES=glibc.malloc.tcache_count=0 %run %t.g > %t.g.out && diff %t.expected %t.g.out
// RUN: %escc --rt=none -O2 -mllvm -escalloc-lower=false -mllvm -escalloc-stack-guard=false %s -o %t.gn
// RUN: env GLIBC_TUNABLES=glibc.malloc.tcache_count=0 %run %t.gn > %t.gn.out && diff %t.expected %t.gn.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// Under ASan: no promoted object is used outside its lifetime, and free is
// never handed a stack address.
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t in_use(void) { return mallinfo2().uordblks; }

// Each of two objects is freed through a select of both.
__attribute__((noinline)) static long select_two(int c) {
  // CHECK-DAG: escape-shared-free.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(16) moved to stack when the stack has room; 2 frees guarded
  // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) moved to stack when the stack has room; 2 frees guarded
  long *a = malloc(2 * sizeof(long)), *b = malloc(4 * sizeof(long));
  a[0] = 1, a[1] = 3, b[0] = 20, b[1] = 40;
  long *x = c ? a : b;
  long v = x[0] + x[1];
  free(x);
  free(c ? b : a);
  return v;
}

// A phi of two candidates from two branches.
__attribute__((noinline)) static size_t phi_two(int n) {
  char *p;
  if (n > 3) {
    // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: calloc(1, 100) moved to stack when the stack has room; 1 free guarded
    p = calloc(1, 100);
    memset(p, 'x', (size_t)n);
  } else {
    // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(20) moved to stack when the stack has room; 1 free guarded
    p = malloc(20);
    snprintf(p, 20, "small %d", n);
  }
  size_t v = strlen(p);
  free(p);
  return v;
}

// The select mixes ours with the caller's object: the free stays for it.
__attribute__((noinline)) static void release(int c, char *other) {
  // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(24) moved to stack when the stack has room; 2 frees guarded
  char *mine = malloc(24);
  strcpy(mine, "mine");
  char *x = c ? mine : other;
  printf("release %s\n", x);
  free(x);
  if (!c)
    free(mine);
}

// The other object is published (stays on the heap); one free may free it.
static char *published;
__attribute__((noinline)) static void mixed_heap(int c) {
  // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(40) escapes to heap: stored to global published
  char *pub = malloc(40);
  strcpy(pub, "published");
  published = pub;
  // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(56) moved to stack when the stack has room; 2 frees guarded
  char *loc = malloc(56);
  strcpy(loc, "local");
  char *x = c ? loc : pub;
  printf("mixed %s %s\n", x, published);
  free(x);
  if (c)
    free(pub);
  else
    free(loc);
  published = NULL;
}

// A callee may put a fresh object in the holder in place of ours: the free
// of what the holder holds afterwards may free that one.
__attribute__((noinline)) static void maybe_replace(char **holder, int c) {
  if (c) {
    *holder = malloc(32);
    strcpy(*holder, "replaced");
  }
}
__attribute__((noinline)) static void after_replace(int c) {
  char *holder[1];
  // CHECK-DAG: escape-shared-free.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(12) moved to stack when the stack has room; 2 frees guarded
  char *mine = malloc(12);
  strcpy(mine, "mine");
  holder[0] = mine;
  maybe_replace(holder, c);
  printf("holder %s\n", holder[0]);
  free(holder[0]);
  if (c)
    free(mine);
}

int main(int argc, char **argv) {
  (void)argv;
  printf("shared frees\n"); // stdout's buffer: allocated before the count
  size_t before = in_use();
  long s = 0;
  for (int i = 0; i < 1000; i++)
    s += select_two(i & 1) + (long)phi_two(i % 8);
  printf("sum %ld\n", s);
  for (int c = 0; c < 2; c++) {
    char *o = malloc(16);
    strcpy(o, "theirs");
    release(c + argc - 1, o);
    if (c + argc - 1)
      free(o);
    mixed_heap(c);
    after_replace(c);
  }
  printf("%s\n", in_use() == before ? "balanced" : "unbalanced");
  return 0;
}
