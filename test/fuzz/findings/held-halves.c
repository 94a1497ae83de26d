// Fuzz finding (gen.py pattern bits:held_halves; issue 11 class 2).
// The pointer is stored into a union holder (on the heap) and read back out of it as two
// 32-bit halves kept in globals; a later call rebuilds it.  escc promotes the
// object: the rebuilt pointer reads a dead frame and free() aborts.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
union holder { long *p; uint32_t w[2]; };
static uint32_t lo, hi;
__attribute__((noinline)) static void put(long a) {
  long *p = malloc(4 * sizeof *p);
  for (int i = 0; i < 4; i++) p[i] = a + i;
  union holder *h = malloc(sizeof *h); h->p = p;
  lo = h->w[0]; hi = h->w[1];
  free(h);
}
__attribute__((noinline)) static void clobber(void) {
  volatile char buf[4096]; for (int i = 0; i < 4096; i++) buf[i] = (char)i;
}
int main(void) {
  put(40);
  clobber();
  long *p = (long *)(((uintptr_t)hi << 32) | lo);
  long s = p[0] + p[3];
  free(p);
  printf("%ld\n", s);
  return 0;
}
