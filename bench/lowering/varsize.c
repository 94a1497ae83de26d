// varsize.c — the control: sizes known only at run time (8..256 bytes), so
// the lowering can pass no size class; expect a ratio near 1.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int main(int argc, char **argv) {
  long n = ring_args(argc, argv);
  char **ring = calloc(RING, sizeof *ring);
  if (!ring)
    return 1;
  uint64_t sum = 0, seed = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    long slot = next_slot(i, &seed);
    if (ring[slot]) {
      sum += (unsigned char)ring[slot][0];
      free(ring[slot]);
    }
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    size_t size = 8 + (seed & 255);
    char *s = malloc(size);
    if (!s)
      return 1;
    memset(s, (int)(i & 127), size);
    ring[slot] = s;
  }
  for (long slot = 0; slot < RING; slot++)
    free(ring[slot]);
  free(ring);
  printf("allocations %ld sum %llu\n", n, (unsigned long long)sum);
  return 0;
}
