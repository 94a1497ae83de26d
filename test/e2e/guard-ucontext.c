// Stack guard: a coroutine on its own 32 KiB stack (makecontext and
// swapcontext, the stack mapped with a guard page below it) runs a
// recursive function six levels deep, each level holding three 4000-byte
// buffers: on the heap the levels fit (about 1 KiB each); promoted they
// take 78 KiB and run into the guard page.  The guard's bounds describe the
// thread's own stack: on the coroutine's stack the stack pointer is outside
// them and every buffer takes the heap, while the same function called on
// the thread's stack promotes.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard (recursive functions promote only with
// -escalloc-allow-recursion then) the same build overflows the coroutine's
// stack:
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false -mllvm -escalloc-allow-recursion %s -o %t.noguard
// RUN: not %run %t.noguard
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "Inputs/checksum-mix.h"

#define LEVELS 6
#define CO_SIZE (32 << 10)
#define PAGE 4096

static ucontext_t main_ctx, co_ctx;
static long result;

// About 1 KiB of its own frame per level, at every optimisation level.
static __attribute__((noinline)) long walk(int level) {
  volatile char pad[800];
  pad[level] = (char)level;
  // REMARK: guard-ucontext.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  unsigned char *b = malloc(4000);
  unsigned char *c = malloc(4000);
  if (!a || !b || !c)
    return -1;
  memset(a, level, 4000);
  memset(b, level + 1, 4000);
  memset(c, level + 2, 4000);
  long s = level < LEVELS ? walk(level + 1) : 0;
  s = s * 7 + checksum(a, 4000) + checksum(b, 4000) + checksum(c, 4000) + pad[level];
  free(a);
  free(b);
  free(c);
  return s;
}

static void coroutine(void) {
  result = walk(0);
  swapcontext(&co_ctx, &main_ctx);
}

int main(void) {
  char *map = mmap(NULL, CO_SIZE + PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map, PAGE, PROT_NONE) != 0)
    return 1;
  if (getcontext(&co_ctx) != 0)
    return 1;
  co_ctx.uc_stack.ss_sp = map + PAGE;
  co_ctx.uc_stack.ss_size = CO_SIZE;
  co_ctx.uc_link = &main_ctx;
  makecontext(&co_ctx, coroutine, 0);
  long on_thread = walk(0); // the thread's own stack: promoted
  if (swapcontext(&main_ctx, &co_ctx) != 0)
    return 1;
  printf("thread %ld, coroutine %ld\n", on_thread, result);
  return 0;
}
