// Go's test/escape_level.go (indirection levels), translated to C.
// Every address-taken Go local is a malloc'd box; a Go local whose address is
// never taken is a plain C variable (Go makes no decision about it).
#include "goescape.h"

void *sink;

GO_NOINLINE void level0(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: heap
  int ***p1 = NEW(int **);  // GO: heap
  int ****p2 = NEW(int ***);  // GO: heap
  *i = 0; *p0 = i; *p1 = p0; *p2 = p1;
  sink = p2;
}

GO_NOINLINE void level1(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: heap
  int ***p1 = NEW(int **);  // GO: heap
  *i = 0; *p0 = i; *p1 = p0;
  int ***p2 = p1;
  sink = p2;
}

GO_NOINLINE void level2(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: heap
  int ***p1 = NEW(int **);  // GO: stack
  *i = 0; *p0 = i; *p1 = p0;
  int ***p2 = p1;
  sink = *p2;
}

GO_NOINLINE void level3(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: stack
  int ***p1 = NEW(int **);  // GO: stack
  *i = 0; *p0 = i; *p1 = p0;
  int ***p2 = p1;
  sink = **p2;
}

GO_NOINLINE void level4(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: heap
  *i = 0; *p0 = i;
  int **p1 = p0;
  int ***p2 = NEW(int **);  // GO: heap
  *p2 = p1;
  sink = p2;
}

GO_NOINLINE void level5(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: heap
  *i = 0; *p0 = i;
  int **p1 = p0;
  int **p2 = p1;
  sink = p2;
}

GO_NOINLINE void level6(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: stack
  *i = 0; *p0 = i;
  int **p1 = p0;
  int **p2 = p1;
  sink = *p2;
}

GO_NOINLINE void level7(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: stack
  *i = 0; *p0 = i;
  int **p1 = p0;
  int **p2 = NEW(int *);  // GO: heap
  *p2 = *p1;
  sink = p2;
}

GO_NOINLINE void level8(void) {
  int *i = NEW(int);  // GO: heap
  int **p0 = NEW(int *);  // GO: stack
  *i = 0; *p0 = i;
  int **p1 = p0;
  int *p2 = *p1;
  sink = p2;
}

GO_NOINLINE void level9(void) {
  int *i = NEW(int);  // GO: stack
  int **p0 = NEW(int *);  // GO: stack
  *i = 0; *p0 = i;
  int **p1 = p0;
  int *p2 = *p1;
  sink = (void *)(long)*p2;  // a value: Go boxes it into the interface
}

GO_NOINLINE void level10(void) {
  int *i = NEW(int);  // GO: stack
  *i = 0;
  int *p0 = i;
  int *p1 = NEW(int);  // GO: stack
  *p1 = *p0;
  int *p2 = p1;
  sink = (void *)(long)*p2;
}

GO_NOINLINE void level11(void) {
  int *i = NEW(int);  // GO: stack
  int **p0 = NEW(int *);  // GO: stack
  *i = 0; *p0 = i;
  int **p1 = p0;
  int *p2 = NEW(int);  // GO: heap
  *p2 = **p1;
  sink = p2;
}
