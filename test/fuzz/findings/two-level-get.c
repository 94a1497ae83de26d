// Fuzz finding (gen.py pattern two:get; issue 11 class 3).
// A callee returns a pointer loaded two levels below its parameter; the
// caller frees it: that free is not a free of `in`, yet escc deletes it as one
// (or keeps `in` promoted while freeing it).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct in { char *data; };
struct out { struct in *in; };
__attribute__((noinline)) static char *get(struct out *o) { return o->in->data; }
int main(void) {
  struct in *in = malloc(sizeof *in);
  in->data = malloc(16);
  memset(in->data, 'k', 15); in->data[15] = 0;
  struct out o = { in };
  char *d = get(&o);
  long h = 0;
  for (int i = 0; d[i]; i++) h = h * 31 + d[i];
  printf("%ld\n", h);
  free(d);
  free(in);
  return 0;
}
