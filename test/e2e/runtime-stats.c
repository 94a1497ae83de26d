// ESCALLOC_STATS=1: a header naming the program and its pid, sizes in human
// units, aligned columns; written to ESCALLOC_STATS_FILE when set (a program
// that closes stderr, as ls does, still reports), and also at a fatal error,
// with the heap profile.  Values other than 0 and 1 are reported.
// RUN: %escc -O2 %s -o %t
// RUN: env ESCALLOC_STATS=1 %t 2>&1 | FileCheck %s --check-prefix=EXIT
// Every allocation sampled: the program has no frame pointers, so samples
// are unwound by libgcc's unwinder, and neither it nor, in a build that
// opens libgcc_s for it, the loader adds to the counts (profile.h,
// allocations aside).
// RUN: env ESCALLOC_STATS=1 ESCALLOC_MEMPROFILE_RATE=1 %t 2>&1 | FileCheck %s --check-prefix=EXIT
// RUN: env ESCALLOC_STATS=abc ESCALLOC_DEBUG=2 %t 2>&1 | FileCheck %s --check-prefix=BADENV
// RUN: rm -f %t.stats
// RUN: env ESCALLOC_STATS=1 ESCALLOC_STATS_FILE=%t.stats %t closed 2>&1 | count 0
// RUN: FileCheck %s --check-prefix=EXIT --input-file=%t.stats
// RUN: rm -f %t.prof
// RUN: env ESCALLOC_DEBUG=1 ESCALLOC_STATS=1 ESCALLOC_MEMPROFILE=%t.prof not --crash %t fatal 2>&1 | FileCheck %s --check-prefix=FATAL
// RUN: test -s %t.prof
//
// EXIT: escalloc: heap statistics at exit of {{[^ ]+}} (pid {{[0-9]+}})
// EXIT-NEXT: {{^}}  HeapAlloc          2.0 MiB{{$}}
// EXIT-NEXT: {{^}}  TotalAlloc         2.0 MiB{{$}}
// EXIT: {{^}}  Mallocs               2000{{$}}
// EXIT: {{^}}  class   size     mallocs       frees{{$}}
// EXIT: {{^}}     32   1024        2000           0{{$}}
//
// BADENV-DAG: escalloc: invalid ESCALLOC_STATS='abc' (expected 0 or 1); using 0
// BADENV-DAG: escalloc: invalid ESCALLOC_DEBUG='2' (expected 0 or 1); using 0
// BADENV-NOT: heap statistics
//
// FATAL: escalloc: fatal error: double free
// FATAL-NEXT: escalloc: heap statistics at a fatal error of {{[^ ]+}} (pid {{[0-9]+}})
// FATAL-NEXT: HeapAlloc
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile sink;
void *keep[2000];

int main(int argc, char **argv) {
  for (int i = 0; i < 2000; i++)
    keep[i] = sink = malloc(1000);
  if (argc > 1 && !strcmp(argv[1], "closed"))
    close(2);
  if (argc > 1 && !strcmp(argv[1], "fatal")) {
    void *p = malloc(100);
    sink = p;
    free(p);
    free(sink);
  }
  return 0;
}
