// Stack guard: a coroutine stack or an alternate signal stack that is a
// local array, inside the thread's own stack.  Code running there has its
// stack pointer inside the thread's bounds, so without more the guard
// would promote there and run past the small stack's end into whatever
// lies below it.  The pass tells the runtime before each makecontext and
// sigaltstack call, and the runtime keeps the thread's promotion area
// above that stack.  Each small stack here has 64 KiB of canary bytes
// right below it (one struct: `below` then `stack`); the program reports
// whether they survived: on the main thread (its stack known from the
// rlimit), on a thread that allocated before (its stack recorded) and on
// one that did not (the stack above the caller's frame taken to be in it).
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh --lto \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
// RUN: %escc -O2 %s -o %t.o2
// RUN: %run %t.o2 | FileCheck %s
// CHECK: main coroutine: canary intact
// CHECK: main alternate stack: canary intact
// CHECK: thread that allocated coroutine: canary intact
// CHECK: fresh thread coroutine: canary intact
//
// The runtime is told before each call:
// RUN: %escc -O2 -S -emit-llvm %s -o %t.ll
// RUN: FileCheck %s --check-prefix=IR-CO < %t.ll
// RUN: FileCheck %s --check-prefix=IR-ALT < %t.ll
// IR-CO: call void @escalloc_stack_guard_makecontext(ptr {{.*}}, ptr
// IR-CO-NEXT: br label
// IR-CO: call void (ptr, ptr, i32, ...) @makecontext(
// IR-ALT: call void @escalloc_stack_guard_sigaltstack(ptr {{.*}}, ptr
// IR-ALT-NEXT: br label
// IR-ALT: call i32 @sigaltstack(
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "Inputs/checksum-mix.h"

#define LEVELS 6
#define SMALL (32 << 10)
#define CANARY (64 << 10)

struct small_stack {
  char below[CANARY]; // lower addresses: where an overflow of stack lands
  char stack[SMALL];
};

// Three 4000-byte buffers a level: 72 KiB over six levels if promoted,
// about 1 KiB a level on the heap.
static __attribute__((noinline)) long walk(int level) {
  volatile char pad[800];
  pad[level] = (char)level;
  // REMARK: guard-foreign-stack.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
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

static void fill(struct small_stack *s) { memset(s->below, 0x5a, CANARY); }

static void report(const char *what, const struct small_stack *s, long r) {
  int intact = 1;
  for (int i = 0; i < CANARY; i++)
    intact &= s->below[i] == 0x5a;
  printf("%s: canary %s, %ld\n", what, intact ? "intact" : "overwritten", r);
}

// --- a coroutine on a local array --------------------------------------
static _Thread_local ucontext_t caller_ctx, co_ctx;
static _Thread_local long co_result;

static void coroutine(void) { co_result = walk(0); }

static void run_coroutine(const char *what) {
  struct small_stack s;
  fill(&s);
  if (getcontext(&co_ctx) != 0)
    exit(1);
  co_ctx.uc_stack.ss_sp = s.stack;
  co_ctx.uc_stack.ss_size = SMALL;
  co_ctx.uc_link = &caller_ctx;
  makecontext(&co_ctx, coroutine, 0);
  if (swapcontext(&caller_ctx, &co_ctx) != 0)
    exit(1);
  report(what, &s, co_result);
}

// --- an alternate signal stack that is a local array -------------------
static long sig_result;

static void on_signal(int sig) {
  (void)sig;
  sig_result = walk(0);
}

static void run_altstack(const char *what) {
  struct small_stack s;
  fill(&s);
  stack_t ss = {.ss_sp = s.stack, .ss_size = SMALL, .ss_flags = 0};
  stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
    exit(1);
  raise(SIGUSR1);
  if (sigaltstack(&off, NULL) != 0)
    exit(1);
  report(what, &s, sig_result);
}

static void *allocating_thread(void *arg) {
  (void)arg;
  long r = walk(0) + walk(0); // allocates: the runtime records the stack
  run_coroutine("thread that allocated coroutine");
  return (void *)r;
}

static void *fresh_thread(void *arg) {
  (void)arg;
  run_coroutine("fresh thread coroutine");
  return NULL;
}

int main(void) {
  printf("main: %ld\n", walk(0));
  run_coroutine("main coroutine");
  run_altstack("main alternate stack");
  pthread_t t;
  void *r;
  if (pthread_create(&t, NULL, allocating_thread, NULL) != 0 || pthread_join(t, &r) != 0)
    return 1;
  if (pthread_create(&t, NULL, fresh_thread, NULL) != 0 || pthread_join(t, NULL) != 0)
    return 1;
  printf("thread: %ld\n", (long)r);
  return 0;
}
