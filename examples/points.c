// points.c — escalloc's two halves in one program, after Go's classic demo.
//
//   escc -O2 -m examples/points.c -o points && ./points
//
// 1. Points that escape (stored into a heap array) are allocated by the
//    runtime: the heap grows by exactly 100,000 slots of one size class.
// 2. A Point that does not escape (distance) is moved to the stack: calling
//    it 100,000 times leaves no trace on the heap.
// 3. A scratch buffer nobody reads is deleted by LLVM itself; escc -m says so.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <escalloc/escalloc.h>

enum { N = 100000 };

typedef struct {
  int64_t x, y;
} Point;

typedef struct {
  int64_t x, y, z;
} Point3;

static struct escalloc_memstats stats(void) {
  struct escalloc_memstats s;
  escalloc_read_memstats(&s);
  return s;
}

static void report(const char *what, struct escalloc_memstats before,
                   struct escalloc_memstats after) {
  uint64_t grew = after.HeapAlloc - before.HeapAlloc;
  uint64_t objects = after.Mallocs - before.Mallocs;
  printf("%-26s heap +%llu bytes in use, %llu allocations", what, (unsigned long long)grew,
         (unsigned long long)objects);
  if (objects && grew)
    printf(" of %llu bytes", (unsigned long long)(grew / objects));
  printf("\n");
}

__attribute__((noinline)) static int64_t norm1(const Point *p) {
  return llabs(p->x) + llabs(p->y);
}

// p never leaves this frame: moved to stack, its free removed.
__attribute__((noinline)) static int64_t distance(int64_t x, int64_t y) {
  Point *p = malloc(sizeof *p);
  if (!p)
    abort();
  p->x = x;
  p->y = y;
  int64_t d = norm1(p);
  free(p);
  return d;
}

// Never used: LLVM deletes this allocation before escalloc decides.
__attribute__((noinline)) static void scratch(void) {
  char *buffer = malloc(64);
  free(buffer);
}

int main(void) {
  Point **points = malloc(N * sizeof *points);
  Point3 **points3 = malloc(N * sizeof *points3);
  if (!points || !points3)
    return 1;

  // Print once before measuring: stdio allocates its buffer on first use.
  printf("escalloc points demo: %d objects per step\n", N);
  struct escalloc_memstats s0 = stats();
  for (int64_t i = 0; i < N; i++) {
    Point *p = malloc(sizeof *p); // escapes: stored into points[]
    if (!p)
      return 1;
    p->x = i;
    p->y = -i;
    points[i] = p;
  }
  struct escalloc_memstats s1 = stats();
  report("100000 escaping Points:", s0, s1);

  for (int64_t i = 0; i < N; i++) {
    Point3 *q = malloc(sizeof *q); // escapes: stored into points3[]
    if (!q)
      return 1;
    q->x = i;
    q->y = 2 * i;
    q->z = 3 * i;
    points3[i] = q;
  }
  struct escalloc_memstats s2 = stats();
  report("100000 escaping Point3s:", s1, s2);

  int64_t total = 0;
  for (int64_t i = 0; i < N; i++)
    total += distance(i, points[i]->y);
  scratch();
  struct escalloc_memstats s3 = stats();
  report("100000 calls of distance:", s2, s3);

  int64_t sum3 = 0;
  for (int64_t i = 0; i < N; i++) {
    sum3 += points3[i]->z;
    free(points3[i]);
    free(points[i]);
  }
  free(points3);
  free(points);
  printf("total distance %lld, sum of z %lld\n", (long long)total, (long long)sum3);
  return 0;
}
