// tiny.c — 8-byte pointer-free objects: lowered, they are NOSCAN and go to
// the tiny allocator, as in Go; through the drop-in malloc they cannot.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RING = 4096 };

// The slot whose object dies next: in allocation order ("fifo", the default)
// or at random ("random": objects die in no particular order, which scatters
// free slots over many spans).
static int random_order;
static long next_slot(long i, uint64_t *seed) {
  if (!random_order)
    return i & (RING - 1);
  *seed ^= *seed << 13;
  *seed ^= *seed >> 7;
  *seed ^= *seed << 17;
  return (long)(*seed >> 52) & (RING - 1);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  random_order = argc > 2 && strcmp(argv[2], "random") == 0;
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
