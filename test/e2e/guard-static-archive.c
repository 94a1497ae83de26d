// Stack guard with the static runtime linked without --whole-archive (a
// plain `clang-19 prog.o libescalloc_rt.a`, as a build system that does not
// use escc's link line does): the guard reaches the runtime through a weak
// reference, which pulls nothing from an archive, so the runtime's object
// that every allocation pulls must pull the stack bounds too.  Otherwise
// the bounds stay empty and every guarded object silently takes the heap.
// The program counts the runtime's allocations across calls of a guarded
// function: none when its buffer is on the stack.
//
// RUN: %escc -O2 -c %s -o %t.o
// RUN: %clang %t.o %rtlib -lpthread -o %t.plain
// RUN: llvm-nm %t.plain | FileCheck %s --check-prefix=NM
// NM: T escalloc_stack_guard_init
// RUN: %run %t.plain | FileCheck %s
// The same with LTO (the plugin in lld), and through escc's own link line.
// RUN: %escc -O2 -flto=full -c %s -o %t.lto.o
// RUN: %clang -fuse-ld=lld -flto=full -Wl,--load-pass-plugin=%plugin %t.lto.o %rtlib -lpthread -o %t.lto
// RUN: %run %t.lto | FileCheck %s
// RUN: %escc -O2 %s -o %t.escc
// RUN: %run %t.escc | FileCheck %s
// The heap is what the guard falls back to: with no share of the stack the
// same binary allocates once a call.
// RUN: env ESCALLOC_STACK_SHARE=0 %run %t.plain | FileCheck %s --check-prefix=HEAP
// CHECK: 0 allocations in 100 calls, sum 19800000
// HEAP: 100 allocations in 100 calls, sum 19800000
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <escalloc/escalloc.h>

#include "Inputs/checksum.h"

// A 4000-byte buffer handed to a function: guarded (it takes stack).
static __attribute__((noinline)) long work(int k) {
  unsigned char *buf = malloc(4000);
  if (!buf)
    return -1;
  memset(buf, k & 0x7f, 4000);
  long s = checksum(buf, 4000);
  free(buf);
  return s;
}

static unsigned long long mallocs(void) {
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  return (unsigned long long)st.Mallocs;
}

int main(void) {
  long sum = 0;
  sum += work(0); // the thread's first guarded call fills its bounds
  unsigned long long before = mallocs();
  for (int k = 0; k < 100; k++)
    sum += work(k);
  unsigned long long after = mallocs();
  printf("%llu allocations in 100 calls, sum %ld\n", after - before, sum);
  return 0;
}
