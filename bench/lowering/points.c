// points.c — constant-size, pointer-free records (16 and 24 bytes of int64)
// allocated and freed through a ring of live objects: the case the lowering
// targets (compile-time size class, NOSCAN, and ALIGN8 for the 24-byte one).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

typedef struct {
  int64_t x, y;
} Point;

typedef struct {
  int64_t x, y, z;
} Point3;

int main(int argc, char **argv) {
  long n = ring_args(argc, argv);
  Point **ring2 = calloc(RING, sizeof *ring2);
  Point3 **ring3 = calloc(RING, sizeof *ring3);
  if (!ring2 || !ring3)
    return 1;
  int64_t sum = 0;
  uint64_t seed = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    long slot = next_slot(i, &seed);
    if (ring2[slot]) {
      sum += ring2[slot]->x + ring3[slot]->z;
      free(ring2[slot]);
      free(ring3[slot]);
    }
    Point *p = malloc(sizeof *p);
    Point3 *q = malloc(sizeof *q);
    if (!p || !q)
      return 1;
    p->x = i;
    p->y = -i;
    q->x = i;
    q->y = 2 * i;
    q->z = 3 * i;
    ring2[slot] = p;
    ring3[slot] = q;
  }
  for (long slot = 0; slot < RING; slot++) {
    free(ring2[slot]);
    free(ring3[slot]);
  }
  free(ring2);
  free(ring3);
  printf("allocations %ld sum %lld\n", 2 * n, (long long)sum);
  return 0;
}
