// calloc with a run-time count: small requests take the stack buffer (zeroed
// at the site), large ones calloc, and an overflowing count * size still gets
// calloc's NULL.  The output must equal plain clang's at every level.
// RUN: %escc -O2 -Rpass=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected
// RUN: %run %t > %t.out && diff %t.expected %t.out
// RUN: %escc -O1 %s -o %t1 && %run %t1 | diff %t.expected -
// RUN: %escc -O3 %s -o %t3 && %run %t3 | diff %t.expected -
// RUN: %escc -Os %s -o %ts && %run %ts | diff %t.expected -
// RUN: %escc -O2 -flto %s -o %tl && %run %tl | diff %t.expected -
// REMARK: calloc-fallback.c:[[@LINE+6]]:{{[0-9]+}}: remark: calloc({{.*}}) moved to stack when its size fits 64 bytes
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) long sum_squares(size_t n) {
  long *a = calloc(n, sizeof *a);
  if (!a) return -1;
  long s = 0;
  for (size_t i = 0; i < n; i++) s += a[i];  // all zero: calloc's promise
  for (size_t i = 0; i < n; i++) a[i] += (long)(i * i);
  for (size_t i = 0; i < n; i++) s += a[i];
  free(a);
  return s;
}

int main(int argc, char **argv) {
  (void)argv;
  size_t sizes[] = {0, 1, 7, 8, 9, 100, 5000, SIZE_MAX / 4, SIZE_MAX};
  for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
    printf("%zu: %ld\n", sizes[k] / (size_t)argc, sum_squares(sizes[k] / (size_t)argc));
  return 0;
}
