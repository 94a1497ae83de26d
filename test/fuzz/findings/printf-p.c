// Fuzz finding (gen.py pattern bits:printf; issue 11 class 2).
// sprintf("%p") into a global buffer publishes the pointer; sscanf("%p")
// brings it back after the frame that made it returned.
#include <stdio.h>
#include <stdlib.h>
static char buf[64];
__attribute__((noinline)) static void put(long a) {
  long *p = malloc(4 * sizeof *p);
  for (int i = 0; i < 4; i++) p[i] = a + i;
  sprintf(buf, "%p", (void *)p);
}
__attribute__((noinline)) static void clobber(void) {
  volatile char b[4096]; for (int i = 0; i < 4096; i++) b[i] = (char)i;
}
int main(void) {
  put(40);
  clobber();
  void *v = 0;
  if (sscanf(buf, "%p", &v) != 1) return 2;
  long *p = v;
  printf("%ld\n", p[0] + p[3]);
  free(p);
  return 0;
}
