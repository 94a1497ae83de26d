// A process that never samples pays nothing for the heap profiler: no
// unwinder library is a dependency or opened at start-up, nor after 100 small
// allocations at the default rate.  libgcc's unwinder (the default for a
// program without frame pointers) is the runtime's own copy: no library is
// opened at the first sample either, nor when asked for by name.  escc does
// not add frame pointers unless asked (--frame-pointers); the user's flags
// come through as written.  The runtime carries no debug sections into a
// program built without -g.
// RUN: %escc -O2 %s -o %t
// RUN: llvm-readelf -d %t | FileCheck %s --check-prefix=NEEDED
// RUN: llvm-readelf -S %t | FileCheck %s --check-prefix=SECTIONS
// RUN: %t | FileCheck %s --check-prefix=DEFAULT
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 %t | FileCheck %s --check-prefix=SAMPLED
// RUN: env ESCALLOC_MEMPROFILE_UNWIND=libunwind %t | FileCheck %s --check-prefix=LIBUNWIND
// RUN: env ESCALLOC_MEMPROFILE_UNWIND=libgcc %t | FileCheck %s --check-prefix=LIBGCC
// RUN: %escc -O2 --frame-pointers %s -o %t.fp
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 %t.fp | FileCheck %s --check-prefix=DEFAULT
// RUN: %escc -O2 -v -c %s -o %t.o 2>&1 | FileCheck %s --check-prefix=FLAGS
// RUN: %escc -O2 -fno-omit-frame-pointer -v -c %s -o %t.o 2>&1 | FileCheck %s --check-prefix=USER
// RUN: %escc -O2 --frame-pointers -v -c %s -o %t.o 2>&1 | FileCheck %s --check-prefix=FP
// RUN: %escc -O2 --frame-pointers -fomit-frame-pointer -v -c %s -o %t.o 2>&1 | FileCheck %s --check-prefix=FP-USER
//
// NEEDED: (NEEDED)
// NEEDED-NOT: libgcc_s
// NEEDED-NOT: libunwind
// SECTIONS-NOT: .debug_
// DEFAULT: at main: libunwind no, libgcc_s no
// DEFAULT: after 100 allocations: libunwind no, libgcc_s no
// SAMPLED: after 100 allocations: libunwind no, libgcc_s no
// LIBUNWIND: at main: libunwind yes
// LIBGCC: at main: libunwind no, libgcc_s no
// FLAGS: escc: running:
// FLAGS-NOT: frame-pointer
// FLAGS-SAME: {{$}}
// USER: escc: running:
// USER-NOT: omit-leaf-frame-pointer
// USER-SAME: -fno-omit-frame-pointer
// USER-NOT: frame-pointer
// USER-SAME: {{$}}
// FP: escc: running: {{.*}} -fno-omit-frame-pointer -momit-leaf-frame-pointer
// FP-USER: escc: running: {{.*}} -fno-omit-frame-pointer -momit-leaf-frame-pointer {{.*}}-fomit-frame-pointer
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink;

static int mapped(const char *lib) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  while (f && fgets(line, sizeof line, f))
    found |= strstr(line, lib) != NULL;
  if (f)
    fclose(f);
  return found;
}

static void report(const char *when) {
  printf("%s: libunwind %s, libgcc_s %s\n", when, mapped("libunwind") ? "yes" : "no",
         mapped("libgcc_s") ? "yes" : "no");
}

int main(void) {
  report("at main");
  for (int i = 0; i < 100; i++)
    sink = malloc(24 + i);
  report("after 100 allocations");
  return 0;
}
