// Fuzz finding (gen.py pattern retarg:ctermid; issue 11 class 3).
// ctermid(s) returns s (LLVM declares s nocapture): the returned alias,
// kept in a global, outlives the frame.
#include <stdio.h>
#include <stdlib.h>
static char *g;
__attribute__((noinline)) static void put(void) {
  char *b = malloc(64);
  g = ctermid(b);
}
__attribute__((noinline)) static void clobber(void) {
  volatile char b[4096]; for (int i = 0; i < 4096; i++) b[i] = (char)i;
}
int main(void) {
  put();
  clobber();
  printf("%s\n", g);
  free(g);
  return 0;
}
