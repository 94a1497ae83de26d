// Stack guard: a thread whose first allocation is made by
// pthread_getattr_np (its CPU set), which holds the thread's descriptor
// lock meanwhile.  Finding the thread's stack for the guard takes that
// lock too, so the runtime must not do it from inside an allocation: it
// did at the thread's first allocation once, and this program hung.  The
// stack is recorded on a guarded site's heap path instead, in program code.
//
// RUN: %escc -O2 %s -o %t
// RUN: %run timeout 60 %t | FileCheck %s
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
// CHECK: stack of 1048576 bytes, sum 8000
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/checksum.h"

static __attribute__((noinline)) long work(int k) {
  unsigned char *buf = malloc(4000); // guarded
  if (!buf)
    return -1;
  memset(buf, k, 4000);
  long s = checksum(buf, 4000);
  free(buf);
  return s;
}

static size_t size;

static void *thread(void *arg) {
  (void)arg;
  pthread_attr_t attr;
  void *addr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
      pthread_attr_getstack(&attr, &addr, &size) != 0)
    return NULL;
  pthread_attr_destroy(&attr);
  return (void *)(work(1) + work(1));
}

int main(void) {
  pthread_attr_t attr;
  pthread_t t;
  void *r;
  if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, 1 << 20) != 0 ||
      pthread_create(&t, &attr, thread, NULL) != 0 || pthread_join(t, &r) != 0)
    return 1;
  printf("stack of %zu bytes, sum %ld\n", size, (long)r);
  return 0;
}
