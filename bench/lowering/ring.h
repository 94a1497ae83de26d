// ring.h — the harness the lowering benchmarks share: a ring of RING live
// objects, the order in which they die, and the command line
// (`prog [iterations] [fifo|random]`).
#ifndef ESCALLOC_BENCH_LOWERING_RING_H
#define ESCALLOC_BENCH_LOWERING_RING_H

#include <stdint.h>
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

// Parses the command line; returns the number of iterations.
static long ring_args(int argc, char **argv) {
  random_order = argc > 2 && strcmp(argv[2], "random") == 0;
  return argc > 1 ? atol(argv[1]) : 1000000;
}

#endif
