// Go's test/escape_indir.go (indirect stores), translated to C.
#include "goescape.h"

void *sink;

typedef struct ConstPtr2 { int *p; int i; } ConstPtr2;
typedef struct ConstPtr { int *p; ConstPtr2 c; struct ConstPtr **x; } ConstPtr;

GO_NOINLINE void constptr0(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD: i is stored only into the local x
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: stack
  *x = (ConstPtr){0};
  x->p = i;
}

GO_NOINLINE ConstPtr *constptr01(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: heap
  *x = (ConstPtr){0};
  x->p = i;
  return x;
}

GO_NOINLINE ConstPtr constptr02(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: stack
  *x = (ConstPtr){0};
  x->p = i;
  return *x;
}

GO_NOINLINE ConstPtr **constptr03(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: heap
  *x = (ConstPtr){0};
  x->p = i;
  ConstPtr **box = NEW(ConstPtr *);  // GO: heap
  *box = x;
  return box;
}

GO_NOINLINE void constptr1(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: heap
  *x = (ConstPtr){0};
  x->p = i;
  sink = x;
}

GO_NOINLINE void constptr2(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *x = NEW(ConstPtr);  // GO: stack
  *x = (ConstPtr){0};
  x->p = i;
  ConstPtr *boxed = NEW(ConstPtr);  // GO: heap
  *boxed = *x;
  sink = boxed;
}

GO_NOINLINE ConstPtr *constptr4(void) {
  ConstPtr *p = NEW(ConstPtr);  // GO: heap
  ConstPtr *tmp = NEW(ConstPtr);  // GO: stack
  *tmp = (ConstPtr){0};
  *p = *tmp;
  return p;
}

GO_NOINLINE ConstPtr *constptr5(void) {
  ConstPtr *p = NEW(ConstPtr);  // GO: heap
  ConstPtr *p1 = NEW(ConstPtr);  // GO: stack
  *p1 = (ConstPtr){0};
  *p = *p1;
  return p;
}

GO_NOINLINE void constptr6(ConstPtr *p) {
  ConstPtr *p1 = NEW(ConstPtr);  // GO: stack
  *p1 = *p;
  sink = (void *)(long)p1->c.i;
}

GO_NOINLINE ConstPtr **constptr7(void) {
  ConstPtr *p = NEW(ConstPtr);  // GO: heap
  *p = (ConstPtr){0};
  ConstPtr2 tmp = {0};
  ConstPtr2 *p1 = &tmp;
  p->c = *p1;
  ConstPtr **box = NEW(ConstPtr *);  // GO: heap
  *box = p;
  return box;
}

GO_NOINLINE ConstPtr *constptr8(void) {
  ConstPtr *p = NEW(ConstPtr);  // GO: heap
  *p = (ConstPtr){0};
  ConstPtr2 tmp = {0};
  p->c = tmp;
  return p;
}

GO_NOINLINE ConstPtr constptr9(void) {
  ConstPtr *p = NEW(ConstPtr);  // GO: stack
  *p = (ConstPtr){0};
  ConstPtr2 p1 = {0};
  int *i = NEW(int);  // GO: heap
  *i = 0;
  p1.p = i;
  p->c = p1;
  return *p;
}

GO_NOINLINE ConstPtr constptr10(void) {
  ConstPtr **x = NEW(ConstPtr *);  // GO: heap
  *x = NEW(ConstPtr);  // GO: heap
  **x = (ConstPtr){0};
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *p = NEW(ConstPtr);  // GO: stack
  *p = (ConstPtr){.p = i, .x = x};
  ConstPtr **pp = &p;
  return **pp;
}

GO_NOINLINE ConstPtr *constptr11(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  ConstPtr *p = NEW(ConstPtr);  // GO: heap
  ConstPtr *p1 = NEW(ConstPtr);  // GO: stack
  *p1 = (ConstPtr){0};
  p1->p = i;
  *p = *p1;
  return p;
}

GO_NOINLINE void foo(int **p) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  int **y = p;
  *y = i;
}

// Go's foo1 stores &i into its own parameter's box: nothing escapes in C.
GO_NOINLINE void foo1(int *p) {
  int *i = NEW(int);  // GO: heap C: Go's BAD: the store goes to the parameter's own box
  *i = 0;
  int **y = &p;
  *y = i;
  sink = (void *)(long)*p;
}

GO_NOINLINE void foo2(void) {
  int **x = NEW(int *);  // GO: heap
  *x = NEW(int);  // GO: heap C: overwritten through p before any read: LLVM deletes the store and the allocation
  sink = x;
  struct { int **f; } z = {x};
  int **p = z.f;
  int *i = NEW(int);  // GO: heap
  *i = 0;
  *p = i;
}

char *global;

GO_NOINLINE void fbyte(void) {
  char *x = NEW(char);  // GO: heap
  *x = 0;
  global = &*&*x;
}
