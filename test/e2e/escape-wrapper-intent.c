// The wrapper inliner keeps what the user and the target ask for: a wrapper
// marked noinline (that reads its own frame address here) stays a call, and
// one compiled for AVX2 is not inlined into plain x86-64 code (the backend
// cannot lower it there: "Do not know how to split the result of this
// operator!").  Each stays a call, to a copy that builds the object in the
// caller's frame (destination passing); the copy keeps its own frame (the
// frame address it reads is below main's) and its target features.  The
// program prints what clang -O0 prints, at every level and with LTO (the
// same branch is taken by both: AVX2 code runs only where the CPU has it).
//
// RUN: %escc -O2 -m %s -o %t.O2 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: %escc -O1 %s -o %t.O1
// RUN: %escc -O3 %s -o %t.O3
// RUN: %escc -Os %s -o %t.Os
// RUN: %escc -O2 -flto %s -o %t.lto
// RUN: %clang -O0 %s -o %t.ref
// RUN: %t.ref > %t.expected
// RUN: FileCheck %s < %t.expected
// RUN: %run %t.O1 > %t.out.O1 && diff %t.expected %t.out.O1
// RUN: %run %t.O2 > %t.out.O2 && diff %t.expected %t.out.O2
// RUN: %run %t.O3 > %t.out.O3 && diff %t.expected %t.out.O3
// RUN: %run %t.Os > %t.out.Os && diff %t.expected %t.out.Os
// RUN: %run %t.lto > %t.out.lto && diff %t.expected %t.out.lto
// CHECK: framed: callee frame below caller: 1
// CHECK-NEXT: sum {{-?[0-9]+}}
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *callee_frame;

__attribute__((noinline)) char *mk_framed(size_t n) {
  char *p = malloc(n);
  callee_frame = __builtin_frame_address(0);
  return p;
}

__attribute__((target("avx2"))) long long *mk_avx2(long long seed) {
  __m256i *p = malloc(4 * sizeof *p);
  __m256i s = _mm256_set_epi64x(seed + 3, seed + 2, seed + 1, seed);
  for (int i = 0; i < 4; i++) {
    p[i] = _mm256_shuffle_epi8(_mm256_madd_epi16(s, s), s);
    s = _mm256_add_epi64(s, _mm256_set1_epi64x(4));
  }
  return (long long *)p;
}

static long long total(const long long *v) {
  long long sum = 0;
  for (int i = 0; i < 16; i++)
    sum += v[i];
  return sum;
}

int main(int argc, char **argv) {
  void *own = __builtin_frame_address(0);
  // REMARK-DAG: escape-wrapper-intent.c:[[@LINE+1]]:{{[0-9]+}}: remark: mk_framed(32) moved to stack in the frame of main: mk_framed builds it there (destination passing)
  char *s = mk_framed(32);
  strcpy(s, "framed");
  printf("%s: callee frame below caller: %d\n", s,
         (char *)callee_frame < (char *)own);
  free(s);

  long long sum = 0;
  if (__builtin_cpu_supports("avx2")) {
    // REMARK-DAG: escape-wrapper-intent.c:[[@LINE+1]]:{{[0-9]+}}: remark: mk_avx2(<variable size>) moved to stack in the frame of main: mk_avx2 builds it there (destination passing)
    long long *v = mk_avx2(argc);
    sum = total(v);
    free(v);
  }
  printf("sum %lld\n", sum);
  return 0;
}
