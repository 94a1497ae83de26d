/* alloc100.c — the start-up benchmark's program: allocates 100 objects of
 * 16..1600 bytes (kept in a global array, so they escape and escc lowers
 * them to escalloc_mallocgc), frees half of them, and exits.  Everything it
 * costs beyond an empty main is the allocator's start-up and first use. */
#include <stdlib.h>
#include <string.h>

void *keep[100];

int main(void) {
  for (int i = 0; i < 100; i++) {
    keep[i] = malloc(16 + 16 * (size_t)i);
    if (!keep[i])
      return 1;
    memset(keep[i], i, 16);
  }
  for (int i = 0; i < 100; i += 2)
    free(keep[i]);
  return 0;
}
