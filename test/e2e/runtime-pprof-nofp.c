// Heap profiles of programs built without frame pointers (escc's default)
// have whole stacks: the profiler unwinds them with libgcc's unwinder (the
// runtime's own copy, or libgcc_s opened at the first sample), and by frame
// pointers only where the pass marked every object as having them
// (escalloc_frame_pointers; escc --frame-pointers).  Nothing the unwinder
// or a loader allocates is sampled: the profile holds exactly the
// program's 1000 objects.
//
// RUN: %escc -O2 -g -fomit-frame-pointer %s -o %t
// RUN: llvm-nm %t | FileCheck %s --check-prefix=NOFP-SYM
// RUN: rm -f %t.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.prof %t
// RUN: go tool pprof -comments %t %t.prof | FileCheck %s --check-prefix=LIBGCC
// RUN: go tool pprof -traces -sample_index=alloc_objects %t %t.prof | FileCheck %s
// RUN: go tool pprof -top -sample_index=alloc_objects %t %t.prof | FileCheck %s --check-prefix=TOTAL
//
// The same with frame pointers: walked, same stacks.
// RUN: %escc -O2 -g --frame-pointers %s -o %t.fp
// RUN: llvm-nm %t.fp | FileCheck %s --check-prefix=FP-SYM
// RUN: rm -f %t.fp.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.fp.prof %t.fp
// RUN: go tool pprof -comments %t.fp %t.fp.prof | FileCheck %s --check-prefix=FP
// RUN: go tool pprof -traces -sample_index=alloc_objects %t.fp %t.fp.prof | FileCheck %s
//
// One object without them makes the whole program unwind by libgcc's.
// RUN: %escc -O2 -g --frame-pointers -c %s -o %t.main.o
// RUN: printf 'int helper(int x) { return x + 1; }\n' | %escc -O2 -c -x c - -o %t.other.o
// RUN: %escc %t.main.o %t.other.o -o %t.mixed
// RUN: llvm-nm %t.mixed | FileCheck %s --check-prefix=MIXED-SYM
// RUN: rm -f %t.mixed.prof
// RUN: env ESCALLOC_MEMPROFILE_RATE=1 ESCALLOC_MEMPROFILE=%t.mixed.prof %t.mixed
// RUN: go tool pprof -comments %t.mixed %t.mixed.prof | FileCheck %s --check-prefix=LIBGCC
// RUN: go tool pprof -traces -sample_index=alloc_objects %t.mixed %t.mixed.prof | FileCheck %s
//
// NOFP-SYM: {{^ +}}w escalloc_frame_pointers
// NOFP-SYM: V escalloc_no_frame_pointers
// FP-SYM: V escalloc_frame_pointers
// FP-SYM: {{^ +}}w escalloc_no_frame_pointers
// MIXED-SYM: V escalloc_frame_pointers
// MIXED-SYM: V escalloc_no_frame_pointers
// LIBGCC: stacks unwound by libgcc
// FP: stacks unwound by fp
// CHECK: 1000   deep_leaf
// CHECK-NEXT: {{^ +}}deep_middle{{$}}
// CHECK-NEXT: {{^ +}}deep_outer{{$}}
// CHECK-NEXT: {{^ +}}main{{$}}
// TOTAL: 1000, 100% of 1000 total
#include <stdlib.h>

void *volatile sink;

__attribute__((noinline)) void deep_leaf(void) { sink = malloc(1000); }

// Six sums live across the call: without frame pointers one of them lives
// in rbp, which a frame-pointer walk would take for the caller's frame.
__attribute__((noinline)) long deep_middle(int n, long a, long b, long c, long d, long e) {
  long s0 = a, s1 = b, s2 = c, s3 = d, s4 = e, s5 = 0;
  for (int i = 0; i < n; i++) {
    deep_leaf();
    s0 += i;
    s1 ^= s0;
    s2 += s1 * 3;
    s3 ^= s2 >> 1;
    s4 += s3;
    s5 ^= s4 + i;
  }
  return s0 + s1 + s2 + s3 + s4 + s5;
}

__attribute__((noinline)) long deep_outer(int n) { return deep_middle(n, 1, 2, 3, 4, 5) + 1; }

int main(void) { return deep_outer(1000) == 0; }
