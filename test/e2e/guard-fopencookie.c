// Stack guard: an fopencookie stream whose writer writes to the same stream
// and flushes it, so that fflush calls the writer again: LEVELS nested
// writers, each holding three 4000-byte buffers.  The writer only calls
// the C library, so the module sees no cycle and promotes the buffers;
// without the guard they overflow the 8 MiB stack the writers alone fit.
//
// RUN: %escc -O2 -m -c %s -o %t.o 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: env ESCC=%escc CLANG=%clang %srcroot/test/e2e/Inputs/guard-matrix.sh \
// RUN:   %t "" -- %s | FileCheck %s --check-prefix=MATRIX
// MATRIX: all equal
//
// Without the guard the same build overflows (the test exercises it):
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.noguard
// RUN: not %run %t.noguard
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "Inputs/checksum-mix.h"

#define LEVELS 1000

struct sink {
  FILE *f;
  int depth;
  long sum;
};

static ssize_t on_write(void *cookie, const char *data, size_t n) {
  struct sink *s = cookie;
  int level = s->depth;
  // REMARK: guard-fopencookie.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *a = malloc(4000);
  // REMARK: guard-fopencookie.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *b = malloc(4000);
  // REMARK: guard-fopencookie.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(4000) moved to stack when the stack has room; 1 free guarded
  unsigned char *c = malloc(4000);
  if (!a || !b || !c)
    return -1;
  memset(a, 0, 4000);
  memcpy(a, data, n < 4000 ? n : 4000);
  memset(b, level & 0xff, 4000);
  memset(c, (int)n & 0xff, 4000);
  if (level < LEVELS) {
    s->depth = level + 1;
    fputc('a' + level % 26, s->f);
    fflush(s->f);
  }
  s->sum = s->sum * 7 + checksum(a, 4000) + checksum(b, 4000) + c[level % 4000];
  free(a);
  free(b);
  free(c);
  return (ssize_t)n;
}

int main(void) {
  struct sink s = {NULL, 0, 0};
  cookie_io_functions_t io = {NULL, on_write, NULL, NULL};
  s.f = fopencookie(&s, "w", io);
  if (!s.f)
    return 1;
  fputs("start", s.f);
  fflush(s.f);
  printf("%d levels, %ld\n", s.depth, s.sum);
  fclose(s.f);
  return 0;
}
