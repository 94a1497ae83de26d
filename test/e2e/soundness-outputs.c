// Issue 11: library output pointers.  strtol's endptr, strtok_r's save
// pointer and strsep's token point into the string; getline reallocates
// *lineptr; realpath and memccpy return into their destination;
// posix_memalign and asprintf store fresh memory through their first
// argument.  Where what the call wrote is published after it, the object
// stays on the heap; where it stays local, the object is promoted.  Built by
// escc at every level, with and without LTO, the program must print what
// clang -O0 prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O3 %s -o %t.3 && %run %t.3 > %t.3.out && diff %t.expected %t.3.out
// RUN: %escc -Os %s -o %t.s && %run %t.s > %t.s.out && diff %t.expected %t.s.out
// RUN: %escc -O1 -flto %s -o %t.l1 && %run %t.l1 > %t.l1.out && diff %t.expected %t.l1.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O3 -flto %s -o %t.l3 && %run %t.l3 > %t.l3.out && diff %t.expected %t.l3.out
// RUN: %escc -Os -flto %s -o %t.ls && %run %t.ls > %t.ls.out && diff %t.expected %t.ls.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// Promotion alone under ASan: no promoted object is used outside its
// lifetime (use-after-scope, use-after-return).
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/clobber.h"

static char *g_end, *g_save, *g_tok, *g_res, *g_copy;

// The end pointer is published: the string stays on the heap.
__attribute__((noinline)) static long end_published(void) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:13: remark: malloc(32) escapes to heap: stored by strtol through argument 2
  char *s = malloc(32);
  strcpy(s, "1234 rest of it");
  return strtol(s, &g_end, 10);
}

// The end pointer stays local: promoted.
__attribute__((noinline)) static long end_local(const char *text) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:13: remark: malloc(48) moved to stack{{.*}}
  char *s = malloc(48);
  strcpy(s, text);
  char *end;
  long n = strtol(s, &end, 10);
  n += strtol(end, &end, 10);
  long r = n * 100 + (long)strlen(end);
  free(s);
  return r;
}

// strtok_r's save pointer, published after the first call.
__attribute__((noinline)) static char *save_published(void) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:13: remark: malloc(40) escapes to heap: {{.*}}
  char *s = malloc(40);
  strcpy(s, "alpha beta gamma");
  char *save;
  char *t = strtok_r(s, " ", &save);
  g_save = save;
  return t;
}

// strtok_r's tokens stay local: promoted.
__attribute__((noinline)) static int tokens_local(const char *text) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:13: remark: malloc(56) moved to stack{{.*}}
  char *s = malloc(56);
  strcpy(s, text);
  char *save;
  int n = 0;
  for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save))
    n = n * 10 + (int)strlen(t);
  free(s);
  return n;
}

// strsep's token is published.
__attribute__((noinline)) static void token_published(void) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:13: remark: malloc(24) escapes to heap: stored to global g_tok
  char *s = malloc(24);
  strcpy(s, "key=value");
  char *p = s;
  strsep(&p, "=");
  g_tok = strsep(&p, "=");
}

// getline reallocates *lineptr: a buffer it may grow stays on the heap.
__attribute__((noinline)) static void lines(FILE *f) {
  size_t cap = 8;
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:15: remark: malloc(8) escapes to heap: reallocated by {{(getline|__getdelim)}} argument 1
  char *buf = malloc(cap);
  ssize_t n;
  while ((n = getline(&buf, &cap, f)) > 0)
    printf("line %zd %s", n, buf);
  free(buf);
}

// realpath's result is its second argument, published.
__attribute__((noinline)) static void resolved_published(void) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:15: remark: malloc(4096) escapes to heap: stored to global g_res
  char *res = malloc(4096);
  g_res = realpath("/", res);
}

// memccpy returns a pointer into its destination, published.
__attribute__((noinline)) static void copy_published(const char *text) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:15: remark: malloc(64) escapes to heap: stored to global g_copy
  char *dst = malloc(64);
  memset(dst, 'x', 63);
  dst[63] = 0;
  g_copy = memccpy(dst, text, ',', 64);
}

// Fresh memory through a local holder: the holder is promoted.
__attribute__((noinline)) static void fresh_outputs(int k) {
  // CHECK-DAG: soundness-outputs.c:[[@LINE+1]]:14: remark: malloc(16) moved to stack{{.*}}
  void **h = malloc(2 * sizeof(void *));
  if (posix_memalign(&h[0], 64, 128) != 0 ||
      asprintf((char **)&h[1], "fresh %d", k) < 0)
    return;
  memset(h[0], 0, 128);
  printf("aligned %d %s\n", (int)((unsigned long)h[0] % 64), (char *)h[1]);
  free(h[0]);
  free(h[1]);
  free(h);
}

int main(void) {
  long n = end_published();
  clobber();
  printf("end %ld [%s]\n", n, g_end);
  free(g_end - 4);
  printf("local %ld\n", end_local("12 34 tail"));
  char *t = save_published();
  clobber();
  printf("save [%s] [%s]\n", t, g_save);
  free(t);
  printf("tokens %d\n", tokens_local("a bb ccc dddd"));
  token_published();
  clobber();
  printf("token [%s]\n", g_tok);
  free(g_tok - 4);
  static char text[] = "first line\na much longer second line than eight bytes\n";
  FILE *f = fmemopen(text, strlen(text), "r");
  if (f) {
    lines(f);
    fclose(f);
  }
  resolved_published();
  clobber();
  printf("resolved [%s]\n", g_res ? g_res : "(null)");
  free(g_res);
  copy_published("ab,cd");
  clobber();
  printf("copy [%s]\n", g_copy);
  free(g_copy - 3);
  fresh_outputs(7);
  return 0;
}
