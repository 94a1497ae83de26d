// Caller-frame promotion (destination passing): constructors that stay
// functions (noinline) build their object in the caller's frame, through a
// copy that takes the caller's slot; their other effects (a counter, a
// formatted name, calloc's zeroes) and their NULL paths are kept, a chain
// of two passes the slot down, a caller in a loop reuses one slot, a deep
// recursion falls back to the heap when the stack guard finds no room, and
// objects that outlive the caller (stored to a global, returned) stay on the
// heap.  The program prints what clang -O0 prints, at every level, with LTO.
//
// RUN: %escc -O2 -m %s -o %t.O2 2> %t.remarks
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: tail -n 1 %t.remarks | FileCheck %s --check-prefix=SUMMARY
// SUMMARY: remark: escalloc: 13 allocation sites: 8 moved to stack, 5 escaping,
// RUN: %escc -O1 %s -o %t.O1
// RUN: %escc -O3 %s -o %t.O3
// RUN: %escc -Os %s -o %t.Os
// RUN: %escc -O2 -flto %s -o %t.lto
// RUN: %escc -Os -flto %s -o %t.lto.Os
// RUN: %clang -O0 %s -o %t.ref
// RUN: %t.ref > %t.expected
// RUN: FileCheck %s < %t.expected
// RUN: %run %t.O1 > %t.out.O1 && diff %t.expected %t.out.O1
// RUN: %run %t.O2 > %t.out.O2 && diff %t.expected %t.out.O2
// RUN: %run %t.O3 > %t.out.O3 && diff %t.expected %t.out.O3
// RUN: %run %t.Os > %t.out.Os && diff %t.expected %t.out.Os
// RUN: %run %t.lto > %t.out.lto && diff %t.expected %t.out.lto
// RUN: %run %t.lto.Os > %t.out.lto.Os && diff %t.expected %t.out.lto.Os
// CHECK: points 808
// CHECK-NEXT: ints 60 -1 -1 2080
// CHECK-NEXT: deep 1250025000
// CHECK-NEXT: kept kept-7 21 passed-1 6
// CHECK-NEXT: made 50024 failed 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
  int x, y;
  char name[24];
  struct point *next;
};
static int made, failed;

__attribute__((noinline)) struct point *point_new(int x, int y,
                                                  const char *name) {
  struct point *p = malloc(sizeof *p);
  if (!p)
    return NULL;
  p->x = x;
  p->y = y;
  p->next = NULL;
  snprintf(p->name, sizeof p->name, "%s-%d", name, x);
  made++;
  return p;
}

// A chain: returns what point_new allocated.
__attribute__((noinline)) struct point *point_origin(const char *name) {
  struct point *p = point_new(0, 0, name);
  if (p)
    p->y = 100;
  return p;
}

// An error path after the allocation: freed, NULL returned.
__attribute__((noinline)) int *ints_new(size_t n, int fill) {
  int *v = calloc(n, sizeof *v);
  if (!v)
    return NULL;
  if (fill < 0) {
    free(v);
    failed++;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    v[i] += fill + (int)i;
  return v;
}

static long sum_point(const struct point *p) {
  return p->x + p->y + (long)strlen(p->name);
}

static long use_points(int k) {
  long s = 0;
  for (int i = 0; i < k; i++) {
    // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: point_new({{.*}}) moved to stack in the frame of {{main|use_points}}: point_new builds it there (destination passing)
    struct point *p = point_new(i, 2 * i, "loop");
    s += sum_point(p);
    free(p);
  }
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: point_origin({{.*}}) moved to stack in the frame of {{main|use_points}}: point_origin builds it there (destination passing)
  struct point *o = point_origin("origin");
  s += sum_point(o);
  free(o);
  return s;
}

static long use_ints(size_t n, int fill) {
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: ints_new(5, 10) moved to stack in the frame of {{main|use_ints}}: ints_new builds it there (destination passing)
  int *v = ints_new(n, fill);
  if (!v)
    return -1;
  long s = 0;
  for (size_t i = 0; i < n; i++)
    s += v[i];
  free(v);
  return s;
}

// Deep enough that the stack guard sends the deepest frames to the heap.
static long deep(int d) {
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: point_new(d, d, ...) moved to stack in the frame of deep: point_new builds it there (destination passing) when the stack has room
  struct point *p = point_new(d, d, "deep");
  long s = p->x;
  if (d > 0)
    s += deep(d - 1);
  free(p);
  return s;
}

static struct point *kept;

static void keep(void) {
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: point_new(7, 8, ...) escapes to heap: stored to global kept
  kept = point_new(7, 8, "kept");
}

__attribute__((noinline)) static struct point *pass_on(int x) {
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: point_new(x, x, ...) escapes to heap: returned from pass_on
  return point_new(x, x, "passed");
}

int main(int argc, char **argv) {
  printf("points %ld\n", use_points(argc + 19));
  printf("ints %ld %ld %ld %ld\n", use_ints(5, 10), use_ints(5, -1),
         use_ints(0, 3) == 0 ? -1L : 0L, use_ints(64, 1));
  printf("deep %ld\n", deep(50000));
  keep();
  // A chain through a static function: pass_on returns point_new's object.
  // REMARK-DAG: escape-dest.c:[[@LINE+1]]:{{[0-9]+}}: remark: pass_on(argc) moved to stack in the frame of main: pass_on builds it there (destination passing)
  struct point *p = pass_on(argc);
  printf("kept %s %ld %s %ld\n", kept->name, sum_point(kept), p->name,
         sum_point(p) - (long)strlen(p->name) + 4);
  free(kept);
  free(p);
  printf("made %d failed %d\n", made, failed);
  return 0;
}
