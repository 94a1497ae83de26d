// A deliberately wrong "translation" for goescape.test: the object that stays
// local is marked as Go sending it to the heap, so score.py must fail.
#include <stdlib.h>
void *sink;
__attribute__((noinline)) int local(void) {
  int *p = malloc(sizeof *p);  // GO: heap
  *p = 1;
  int v = *p;
  free(p);
  return v;
}
