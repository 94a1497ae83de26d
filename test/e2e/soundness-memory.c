// Issue 11, class 3: where the model of memory was too coarse.  Objects
// returned through va_arg out-parameters, a library function that returns
// its argument (ctermid), and frees two levels below a holder (a callee
// writes o->in->data; a callee returns o->in->data).  Built by escc at every
// level, with and without LTO, the program must print what clang -O0 prints.
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/clobber.h"

// A variadic constructor: each object leaves through a char ** fetched with
// va_arg from va_start's save area.
__attribute__((noinline)) static void make_strings(int n, ...) {
  va_list ap;
  va_start(ap, n);
  for (int i = 0; i < n; i++) {
    char **out = va_arg(ap, char **);
    // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:15: remark: malloc(32) escapes to heap: {{.*}}
    char *s = malloc(32);
    snprintf(s, 32, "string %d", i);
    *out = s;
  }
  va_end(ap);
}

// ctermid(s) returns s: the result aliases the argument.
static char *g_term;
__attribute__((noinline)) static void term_name(void) {
  // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:13: remark: malloc(64) escapes to heap: {{.*}}
  char *s = malloc(64);
  g_term = ctermid(s);
}

struct inner { char *data; };
struct outer { struct inner *in; };

// Writes a fresh object two levels below its argument.
__attribute__((noinline)) static void refill(struct outer *o) {
  o->in->data = malloc(32);
  strcpy(o->in->data, "fresh");
}
__attribute__((noinline)) static void two_level_store(void) {
  struct inner *in = malloc(sizeof *in);
  struct outer *o = malloc(sizeof *o);
  // The free of in->data may free refill's object: kept, behind a check.
  // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:15: remark: malloc(32) moved to stack when the stack has room; 2 frees guarded
  char *old = malloc(32);
  strcpy(old, "old");
  in->data = old;
  o->in = in;
  refill(o);
  printf("store %s\n", in->data);
  free(in->data); // frees the fresh object, not old
  char *other = malloc(32);
  strcpy(other, "other");
  printf("store %s %s\n", other, old);
  free(other);
  free(old);
  free(o);
  free(in);
}

// Returns a pointer loaded two levels below its argument.
__attribute__((noinline)) static char *deep(struct outer *o) {
  return o->in->data;
}
__attribute__((noinline)) static void two_level_return(void) {
  struct inner *in = malloc(sizeof *in);
  struct outer *o = malloc(sizeof *o);
  // The free of d may free data only (two levels down): guarded.
  // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:16: remark: malloc(32) moved to stack{{.*}}; 1 free guarded
  char *data = malloc(32);
  strcpy(data, "deep");
  in->data = data;
  o->in = in;
  char *d = deep(o);
  printf("return %s\n", d);
  free(d); // frees data, not in
  in->data = "after";
  struct inner *y = malloc(sizeof *y);
  y->data = "other";
  printf("return %s %s\n", y->data, in->data);
  free(y);
  free(o);
  free(in);
}

// Plain data keeps the objects on the stack: a vararg int, a library call
// whose result is not an alias (strlen), one level frees.
__attribute__((noinline)) static int sum_ints(int n, ...) {
  va_list ap;
  va_start(ap, n);
  int s = 0;
  for (int i = 0; i < n; i++)
    s += va_arg(ap, int);
  va_end(ap);
  return s;
}
__attribute__((noinline)) static size_t show(struct inner *in) {
  return strlen(in->data);
}
__attribute__((noinline)) static void plain(void) {
  // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:13: remark: malloc(32) moved to stack{{.*}}
  char *s = malloc(32);
  strcpy(s, "plain");
  // CHECK-DAG: soundness-memory.c:[[@LINE+1]]:22: remark: malloc(8) moved to stack{{.*}}
  struct inner *in = malloc(sizeof *in);
  in->data = s;
  printf("plain %zu %d %s\n", show(in), sum_ints(3, 1, 2, 3), in->data);
  free(in->data);
  free(in);
}

int main(void) {
  char *a = NULL, *b = NULL;
  make_strings(2, &a, &b);
  clobber();
  printf("va %s %s\n", a, b);
  free(a);
  free(b);
  term_name();
  clobber();
  printf("term %s\n", g_term);
  free(g_term);
  two_level_store();
  two_level_return();
  plain();
  return 0;
}
