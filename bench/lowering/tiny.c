// tiny.c — 8-byte pointer-free objects: lowered, they are NOSCAN and go to
// the tiny allocator, as in Go; through the drop-in malloc they cannot.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int main(int argc, char **argv) {
  long n = ring_args(argc, argv);
  int64_t **ring = calloc(RING, sizeof *ring);
  if (!ring)
    return 1;
  int64_t sum = 0;
  uint64_t seed = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    long slot = next_slot(i, &seed);
    if (ring[slot]) {
      sum += *ring[slot];
      free(ring[slot]);
    }
    int64_t *v = malloc(sizeof *v);
    if (!v)
      return 1;
    *v = i;
    ring[slot] = v;
  }
  for (long slot = 0; slot < RING; slot++)
    free(ring[slot]);
  free(ring);
  printf("allocations %ld sum %lld\n", n, (long long)sum);
  return 0;
}
