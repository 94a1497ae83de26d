// A library built by escc, shared or static, works in a host built by
// anything: objects pass both ways (malloc in one, free or realloc in the
// other).  Its runtime
// is not the process's malloc there (libc comes first in the lookup order),
// so the escalloc_* entry points forward to the process's allocator.
// Before, gcc's host crashed in glibc's free, and the library aborted with
// "free of a pointer escalloc did not allocate".
//
// RUN: %escc -O2 -fPIC -shared -DBUILD_LIB %s -o %t.libdup.so
// RUN: nm -D %t.libdup.so | FileCheck %s --check-prefix=LOWERED
// LOWERED-DAG: W escalloc_free
// LOWERED-DAG: W escalloc_mallocgc
// LOWERED-DAG: W escalloc_realloc
//
// A gcc host, a clang host, and Python's ctypes (dlopen, RTLD_LOCAL), also
// with the shared runtime loaded first with RTLD_GLOBAL:
// RUN: %gcc -O2 -DHOST %s %t.libdup.so -o %t.gcc-host
// RUN: %run %t.gcc-host | FileCheck %s
// RUN: %clang -O2 -DHOST %s %t.libdup.so -o %t.clang-host
// RUN: %run %t.clang-host | FileCheck %s
// RUN: %python %S/Inputs/lib_any_host.py %t.libdup.so | FileCheck %s --check-prefix=PY
// RUN: %python %S/Inputs/lib_any_host.py %t.libdup.so %rtlib_shared | FileCheck %s --check-prefix=PY
// CHECK: library's object freed by the host
// CHECK-NEXT: host's object grown by the library
// CHECK-NEXT: done: 1000 rounds
// PY: library's object reallocated and freed by python
// PY-NEXT: python's object grown and freed by the library
// PY-NEXT: done: 1000 rounds
//
// An escc host still holds one heap with the library (driver-shared-lib.c);
// here too, with the same library:
// RUN: %escc -O2 -DHOST %s %t.libdup.so -o %t.escc-host
// RUN: %run %t.escc-host | FileCheck %s
//
// A static archive built by escc links with gcc and no runtime (each lowered
// object carries weak fallbacks of the entry points it calls, on malloc and
// free; before: "undefined reference to `escalloc_mallocgc'"), and with escc
// its allocations go to the runtime, whose strong definitions win.
// RUN: rm -f %t.libdup.a
// RUN: %escc -O2 -DBUILD_LIB -c %s -o %t.dup.o
// RUN: ar rcs %t.libdup.a %t.dup.o
// RUN: %gcc -O2 -DHOST %s %t.libdup.a -o %t.gcc-static-host
// RUN: %run %t.gcc-static-host | FileCheck %s
// RUN: %clang -O2 -DHOST %s %t.libdup.a -o %t.clang-static-host
// RUN: %run %t.clang-static-host | FileCheck %s
// RUN: %escc -O2 -DHOST %s %t.libdup.a -o %t.escc-static-host
// RUN: env ESCALLOC_STATS=1 %run %t.escc-static-host 2>&1 | FileCheck %s --check-prefix=RUNTIME
// RUNTIME-DAG: done: 1000 rounds
// RUNTIME-DAG: Mallocs {{[1-9][0-9][0-9][0-9]}}
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dupstr(const char *s);
void *lib_calloc(size_t n);
void *lib_aligned(size_t alignment, size_t n);
char *lib_grow(char *p, size_t n);
void lib_free(void *p);

#ifdef BUILD_LIB
char *dupstr(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}
void *lib_calloc(size_t n) { return calloc(n, 1); }
void *lib_aligned(size_t alignment, size_t n) { return aligned_alloc(alignment, n); }
char *lib_grow(char *p, size_t n) { return realloc(p, n); }
void lib_free(void *p) { free(p); }
#elif defined(HOST)
int main(void) {
  int i;
  for (i = 0; i < 1000; i++) {
    char *s = dupstr("library's object freed by the host");
    if (i == 0)
      puts(s);
    free(s);
    char *h = malloc(64);
    strcpy(h, "host's object grown by the library");
    h = lib_grow(h, 4096 + i);
    if (i == 0)
      puts(h);
    lib_free(h);
    char *z = lib_calloc(100 + i);
    if (z[99 + i])
      return 1;
    z = realloc(z, 10000);
    free(z);
    void *a = lib_aligned(64, 100);
    if ((uintptr_t)a % 64)
      return 2;
    free(a);
  }
  printf("done: %d rounds\n", i);
  return 0;
}
#endif
