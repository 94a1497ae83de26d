// The default unwinder of a program without frame pointers (libgcc's) is
// the runtime's own copy; a build without one opens libgcc_s from inside
// malloc at the first sample.  That sample may be one of the loader's own
// allocations inside the program's dlopen (here the first of the
// process), or several threads' first samples at once: nothing hangs
// or crashes, the opening's own allocations are not sampled, and the
// samples taken after it have whole stacks.
//
// RUN: %clang -O2 -fPIC -shared -DLIB %s -o %t.so
// RUN: %escc -O2 -g %s -o %t
// RUN: rm -f %t.dlopen.prof %t.race.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.dlopen.prof %t dlopen %t.so | FileCheck %s --check-prefix=OUT
// RUN: go tool pprof -traces -sample_index=alloc_objects %t %t.dlopen.prof > %t.dlopen.traces
// RUN: FileCheck %s --check-prefix=CTOR < %t.dlopen.traces
// RUN: FileCheck %s --check-prefix=AFTER < %t.dlopen.traces
// RUN: env ESCALLOC_MEMPROFILE_RATE=0 ESCALLOC_MEMPROFILE=%t.race.prof %t race | FileCheck %s --check-prefix=OUT
// RUN: go tool pprof -traces -sample_index=alloc_objects %t %t.race.prof | FileCheck %s --check-prefix=RACE
// RUN: go tool pprof -top -sample_index=alloc_objects %t %t.race.prof | FileCheck %s --check-prefix=RACE-TOTAL
//
// OUT: done
// CTOR: 100   lib_ctor_site
// CTOR: {{^ +}}dlopen{{$}}
// CTOR-NEXT: {{^ +}}main{{$}}
// AFTER: 500   after_dlopen
// AFTER-NEXT: {{^ +}}main{{$}}
// RACE: 2400   thread_site
// RACE-NEXT: {{^ +}}thread_main{{$}}
// RACE-TOTAL: 2400, 100% of 2400 total
#ifdef LIB
#include <stdlib.h>

void *volatile lib_sink;

__attribute__((noinline)) void lib_ctor_site(void) {
  for (int i = 0; i < 100; i++)
    lib_sink = malloc(777);
}

__attribute__((constructor)) static void lib_init(void) { lib_ctor_site(); }
#else
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalloc/escalloc.h"

void *volatile sink;

__attribute__((noinline)) void after_dlopen(void) {
  for (int i = 0; i < 500; i++)
    sink = malloc(555);
}

#define THREADS 8
static pthread_barrier_t start;

__attribute__((noinline)) void thread_site(void) {
  for (int i = 0; i < 300; i++)
    sink = malloc(333);
}

// No allocation before the barrier: each thread's first one, sampled at
// rate 1, comes at the same time as the others'.
__attribute__((noinline)) void *thread_main(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  thread_site();
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "dlopen") == 0) {
    if (!dlopen(argv[2], RTLD_NOW)) {
      fprintf(stderr, "%s\n", dlerror());
      return 1;
    }
    after_dlopen();
  } else if (argc > 1 && strcmp(argv[1], "race") == 0) {
    pthread_t t[THREADS];
    pthread_barrier_init(&start, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++)
      pthread_create(&t[i], NULL, thread_main, NULL);
    escalloc_set_memprofile_rate(1);
    pthread_barrier_wait(&start);
    for (int i = 0; i < THREADS; i++)
      pthread_join(t[i], NULL);
    escalloc_set_memprofile_rate(0);
  } else {
    return 2;
  }
  printf("done\n");
  return 0;
}
#endif
