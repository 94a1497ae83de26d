// nodes.c — constant-size objects that hold pointers (32-byte list nodes):
// not NOSCAN, so the lowering saves only the size -> class lookup.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

typedef struct Node {
  struct Node *next;
  struct Node *prev;
  int64_t key, value;
} Node;

int main(int argc, char **argv) {
  long n = ring_args(argc, argv);
  Node **ring = calloc(RING, sizeof *ring);
  if (!ring)
    return 1;
  Node *last = NULL;
  int64_t sum = 0;
  uint64_t seed = 88172645463325252ull;
  for (long i = 0; i < n; i++) {
    long slot = next_slot(i, &seed);
    Node *old = ring[slot];
    if (old) {
      sum += old->key;
      if (old->prev)
        old->prev->next = old->next;
      if (old->next)
        old->next->prev = old->prev;
      if (last == old)
        last = old->prev;
      free(old);
    }
    Node *x = malloc(sizeof *x);
    if (!x)
      return 1;
    x->key = i;
    x->value = -i;
    x->next = NULL;
    x->prev = last;
    if (last)
      last->next = x;
    last = x;
    ring[slot] = x;
  }
  for (long slot = 0; slot < RING; slot++)
    free(ring[slot]);
  free(ring);
  printf("allocations %ld sum %lld\n", n, (long long)sum);
  return 0;
}
