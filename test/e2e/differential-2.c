// Differential soundness check: the program built by escc (promotion and
// lowering) prints exactly what plain clang's build prints, and an ASan build
// with promotion only and stack-use-after-return detection finds no promoted
// object used outside its frame.
//
// RUN: %clang -O2 %s -o %t.plain -lpthread
// RUN: %run %t.plain > %t.expected
// RUN: %escc -O2 -m %s -o %t.escc -lpthread 2> %t.remarks
// RUN: %run %t.escc > %t.out
// RUN: diff %t.expected %t.out
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan -lpthread
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
// RUN: FileCheck %s < %t.remarks
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static long *g;
__attribute__((noinline)) static void use(long *p) { p[1] += p[0]; }
__attribute__((noinline)) static void maybe_free(long *p, int c) { if (c) free(p); }
static long box_carry(int n) {
  long **box = malloc(sizeof(long *));
  *box = NULL;
  long s = 0;
  for (int i = 0; i < n; i++) {
    long *x = malloc(16);
    x[0] = i;
    if (*box) { s += (*box)[0]; free(*box); }
    *box = x;
  }
  free(*box);
  free(box);
  return s;
}
static long phi_case(int c) {
  long *a = malloc(16), *b = malloc(16);
  a[0] = 1; b[0] = 2; a[1] = b[1] = 0;
  long *p = c ? a : b;
  use(p);
  if (c) g = b; 
  long v = p[0] + p[1];
  free(a);
  if (!c) free(b);
  return v;
}
static long callee_free(int c) {
  long *p = malloc(16); p[0] = 3; p[1] = 0;
  use(p);
  long v = p[1];
  maybe_free(p, c);
  if (!c) free(p);
  return v;
}
static long arr_of_ptrs(void) {
  long *ptrs[4];
  for (int i = 0; i < 4; i++) { ptrs[i] = malloc(32); ptrs[i][0] = i; }
  long s = 0;
  for (int i = 0; i < 4; i++) { s += ptrs[i][0]; free(ptrs[i]); }
  return s;
}
static char *retbuf(int n) {
  char *b = malloc(32);
  snprintf(b, 32, "n=%d", n);
  return b;
}
static long twolevel(void) {
  long **pp = malloc(sizeof(long *));
  *pp = malloc(16);
  (*pp)[0] = 42;
  long v = (*pp)[0];
  g = *pp;  /* inner escapes via outer's content */
  free(pp);
  return v;
}
static long big_loop(long n) {
  long s = 0;
  for (long i = 0; i < n; i++) {
    char *b = malloc(2048);
    memset(b, (int)(i & 0x7f), 2048);
    use((long *)b);
    s += b[100];
    free(b);
  }
  return s;
}
int main(int argc, char **argv) {
  (void)argv;
  printf("box %ld\n", box_carry(100));
  printf("phi %ld %ld\n", phi_case(argc), phi_case(0));
  printf("callee %ld %ld\n", callee_free(1), callee_free(0));
  printf("arr %ld\n", arr_of_ptrs());
  char *r = retbuf(argc); printf("%s\n", r); free(r);
  printf("two %ld %ld\n", twolevel(), *g);
  printf("big %ld\n", big_loop(2000000));
  return 0;
}
// CHECK-DAG: differential-2.c:26:15: remark: malloc(16) escapes to heap: reachable from the next loop iteration
// CHECK-DAG: differential-2.c:36:13: remark: malloc(16) moved to stack when the stack has room; {{[0-9]+}} frees guarded
// CHECK-DAG: differential-2.c:36:30: remark: malloc(16) escapes to heap: stored to global g
// CHECK-DAG: differential-2.c:47:13: remark: malloc(16) escapes to heap: freed by maybe_free argument 1
// CHECK-DAG: differential-2.c:62:13: remark: malloc(32) moved to stack when the stack has room; 1 free guarded
// CHECK-DAG: differential-2.c:68:9: remark: malloc(16) escapes to heap: stored to global g
// CHECK-DAG: differential-2.c:78:15: remark: malloc(2048) moved to stack when the stack has room; 1 free guarded
