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
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>

struct node { struct node *next; long v; };
struct box { long *p; };
static long *gp;
static struct node *gl;

__attribute__((noinline)) static void stash(long *p) { gp = p; }
__attribute__((noinline)) static struct box mkbox(void) { struct box b; b.p = malloc(sizeof(long)); *b.p = 7; return b; }
__attribute__((noinline)) static long *id(long *p) { return p; }
__attribute__((noinline)) static void outp(long **o) { long *p = malloc(sizeof *p); *p = 11; *o = p; }

static long list_sum(int n) {
  struct node *head = NULL;
  for (int i = 0; i < n; i++) { struct node *x = malloc(sizeof *x); x->v = i; x->next = head; head = x; }
  long s = 0;
  while (head) { struct node *n2 = head->next; s += head->v; free(head); head = n2; }
  return s;
}
static long rec(int d) {
  long *p = malloc(64);
  p[0] = d;
  long r = d > 0 ? rec(d - 1) + p[0] : 0;
  free(p);
  return r;
}
static jmp_buf jb;
static long sj(void) {
  long *p = malloc(16);
  p[0] = 5;
  if (setjmp(jb)) { long v = p[0]; free(p); return v; }
  p[0] = 6;
  longjmp(jb, 1);
}
static uintptr_t hashp(void) {
  long *p = malloc(16);
  uintptr_t h = (uintptr_t)p;
  free(p);
  return h != 0;
}
static void *thr(void *a) { long *p = a; *p += 1; return NULL; }
static long thread_case(void) {
  long *p = malloc(16); *p = 41;
  pthread_t t; pthread_create(&t, NULL, thr, p); pthread_join(t, NULL);
  long v = *p; free(p); return v;
}
static long memcpy_ptr(void) {
  long *p = malloc(16); *p = 3;
  long **holder = malloc(sizeof(long*) * 2);
  memcpy(holder, &p, sizeof p);
  long v = **holder;
  free(holder); free(p);
  return v;
}
static long cond_free(int c) {
  long *p = c ? malloc(16) : NULL;
  if (p) *p = 9;
  long v = p ? *p : 0;
  free(p);
  return v;
}
static long re(void) {
  long *p = malloc(16); p[0] = 1; p[1] = 2;
  p = realloc(p, 64); p[7] = 3;
  long v = p[0] + p[1] + p[7]; free(p); return v;
}
static long carried(int n) {
  long *prev = NULL; long s = 0;
  for (int i = 0; i < n; i++) {
    long *cur = malloc(16); cur[0] = i;
    if (prev) { s += prev[0]; free(prev); }
    prev = cur;
  }
  free(prev);
  return s;
}
static long varsize(int n) {
  long *p = malloc(n * sizeof(long));
  for (int i = 0; i < n; i++) p[i] = i;
  long s = 0; for (int i = 0; i < n; i++) s += p[i];
  free(p); return s;
}
static long cal(void) {
  long s = 0;
  for (int k = 0; k < 100; k++) {
    long *p = calloc(8, sizeof(long));
    for (int i = 0; i < 8; i++) s += p[i];
    p[k % 8] = k;
    free(p);
  }
  return s;
}
int main(int argc, char **argv) {
  (void)argv;
  stash(malloc(sizeof(long))); *gp = 4;
  struct box b = mkbox();
  long *q = id(malloc(sizeof(long))); *q = 5;
  long *o; outp(&o);
  printf("%ld %ld %ld %ld\n", *gp, *b.p, *q, *o);
  printf("list %ld\n", list_sum(1000));
  printf("rec %ld\n", rec(100));
  printf("sj %ld\n", sj());
  printf("hash %lu\n", (unsigned long)hashp());
  printf("thread %ld\n", thread_case());
  printf("memcpy %ld\n", memcpy_ptr());
  printf("cond %ld %ld\n", cond_free(argc), cond_free(0));
  printf("re %ld\n", re());
  printf("carried %ld\n", carried(1000));
  printf("var %ld %ld\n", varsize(argc * 10), varsize(argc * 100000));
  printf("cal %ld\n", cal());
  free(gp); free(b.p); free(q); free(o);
  return 0;
}
// CHECK-DAG: differential-1.c:34:50: remark: malloc(16) escapes to heap: its bits are printed by printf argument 2
// CHECK-DAG: differential-1.c:62:13: remark: malloc(16) escapes to heap: passed to pthread_create argument 4
// CHECK-DAG: differential-1.c:75:17: remark: malloc(16) moved to stack when the stack has room; 1 free guarded
// CHECK-DAG: differential-1.c:82:13: remark: malloc(16) moved to stack when the stack has room; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
// CHECK-DAG: differential-1.c:89:17: remark: malloc(16) escapes to heap: reachable from the next loop iteration
// CHECK-DAG: differential-1.c:97:13: remark: malloc({{.*}}) moved to stack when its size fits
// CHECK-DAG: differential-1.c:114:9: remark: malloc(8) escapes to heap: passed to stash argument 1 which leaks it
