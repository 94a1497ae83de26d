// Fuzz finding (gen.py pattern bits:held_double; issue 11 class 2).
// The pointer's bits leave a union holder as a double stored in a global.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
union holder { long *p; double d; };
static double g;
__attribute__((noinline)) static void put(long a) {
  long *p = malloc(4 * sizeof *p);
  for (int i = 0; i < 4; i++) p[i] = a + i;
  union holder h; h.p = p;
  g = h.d;
}
__attribute__((noinline)) static void clobber(void) {
  volatile char buf[4096]; for (int i = 0; i < 4096; i++) buf[i] = (char)i;
}
int main(void) {
  put(40);
  clobber();
  long *p; memcpy(&p, &g, sizeof p);
  long s = p[0] + p[3];
  free(p);
  printf("%ld\n", s);
  return 0;
}
