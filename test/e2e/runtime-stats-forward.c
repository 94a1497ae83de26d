// ESCALLOC_STATS=1 in a copy of the runtime that is not the process's malloc
// (forward.c: here the shared runtime dlopen'ed by a host built without
// escc, so libc's malloc comes first): its summary says that it forwards,
// instead of an empty heap's zeros (before: "HeapAlloc 0 B", "Mallocs 0"
// while the library allocated 100 objects through it).
// RUN: %clang -O2 %s -o %t -ldl
// RUN: env ESCALLOC_STATS=1 %t %rtlib_shared 2>&1 | FileCheck %s
// CHECK: allocated 100 objects through the runtime
// CHECK: escalloc: heap statistics at exit of {{[^ ]+}} (pid {{[0-9]+}})
// CHECK-NEXT: this copy of the runtime is not the process's malloc: it forwards every
// CHECK-NOT: HeapAlloc
// CHECK-NOT: Mallocs
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  void *rt = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!rt) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  void *(*alloc)(size_t, uint32_t) = (void *(*)(size_t, uint32_t))dlsym(rt, "escalloc_mallocgc");
  void (*release)(void *) = (void (*)(void *))dlsym(rt, "escalloc_free");
  if (!alloc || !release)
    return 1;
  for (int i = 0; i < 100; i++)
    release(alloc(16 + (size_t)i * 8, 0));
  printf("allocated 100 objects through the runtime\n");
  fflush(stdout);
  return 0;
}
