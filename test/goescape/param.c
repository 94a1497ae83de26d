// Go's test/escape_param.go (function parameters), translated to C.
// Go's "leaking param" decisions show at the callers: each caller's boxes
// carry the decision Go makes for them there.
#include "goescape.h"

void *sink;

GO_NOINLINE int *param0(int *p) { return p; }

GO_NOINLINE void caller0a(void) {
  int *i = NEW(int);  // GO: stack
  *i = 0;
  (void)param0(i);
}

GO_NOINLINE void caller0b(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  sink = param0(i);
}

typedef struct { int *r0, *r1; } two;
GO_NOINLINE two param1(int *p1, int *p2) { return (two){p1, p2}; }

GO_NOINLINE void caller1(void) {
  int *i = NEW(int);  // GO: heap
  int *j = NEW(int);  // GO: stack
  *i = 0, *j = 0;
  sink = param1(i, j).r0;
}

GO_NOINLINE void param2(int *p1, int **p2) { *p2 = p1; }

GO_NOINLINE void caller2a(void) {
  int *i = NEW(int);  // GO: heap C: the store goes into a local box; Go's summary leaks p1
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  param2(i, p);
  (void)*p;
}

GO_NOINLINE void caller2b(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  param2(i, p);
  sink = *p;
}

typedef struct { int *p1, *p2; } Pair;

GO_NOINLINE void param3(Pair *p) { p->p1 = p->p2; }

GO_NOINLINE void caller3a(void) {
  int *i = NEW(int);  // GO: stack
  int *j = NEW(int);  // GO: stack
  *i = 0, *j = 0;
  Pair *p = NEW(Pair);  // GO: stack
  *p = (Pair){i, j};
  param3(p);
}

GO_NOINLINE void caller3b(void) {
  int *i = NEW(int);  // GO: heap
  int *j = NEW(int);  // GO: heap
  *i = 0, *j = 0;
  Pair *p = NEW(Pair);  // GO: stack
  *p = (Pair){i, j};
  param3(p);
  Pair *boxed = NEW(Pair);  // GO: heap
  *boxed = *p;
  sink = boxed;
}

GO_NOINLINE void param4(Pair *p, int *i) { p->p1 = i; }

GO_NOINLINE void caller4a(void) {
  int *i = NEW(int);  // GO: heap C: stored into a local pair; Go's summary leaks i
  *i = 0;
  Pair *p = NEW(Pair);  // GO: stack
  *p = (Pair){0};
  param4(p, i);
}

GO_NOINLINE void caller4b(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  Pair *p = NEW(Pair);  // GO: stack
  *p = (Pair){0};
  param4(p, i);
  Pair *boxed = NEW(Pair);  // GO: heap
  *boxed = *p;
  sink = boxed;
}

GO_NOINLINE void param5(int *i) { sink = i; }

GO_NOINLINE void caller5(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  param5(i);
}

GO_NOINLINE void param6(int ***i) { sink = *i; }

GO_NOINLINE void caller6a(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  param6(p2);
}

GO_NOINLINE void param7(int ***i) { sink = **i; }

GO_NOINLINE void caller7(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: stack
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  param7(p2);
}

GO_NOINLINE void param8(int **i) { sink = (void *)(long)**i; }

GO_NOINLINE void caller8(void) {
  int *i = NEW(int);  // GO: stack
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = i;
  param8(p);
}

GO_NOINLINE int **param9(int ***p) { return *p; }

GO_NOINLINE void caller9a(void) {
  int *i = NEW(int);  // GO: stack
  int **p = NEW(int *);  // GO: stack
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  (void)param9(p2);
}

GO_NOINLINE void caller9b(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  sink = param9(p2);
}

GO_NOINLINE int *param10(int ***p) { return **p; }

GO_NOINLINE void caller10a(void) {
  int *i = NEW(int);  // GO: stack
  int **p = NEW(int *);  // GO: stack
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  (void)param10(p2);
}

GO_NOINLINE void caller10b(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: stack
  int ***p2 = NEW(int **);  // GO: stack
  *i = 0, *p = i, *p2 = p;
  sink = param10(p2);
}

// Go moves the parameter itself to the heap: its address is returned.
GO_NOINLINE int ***param11(int **i) {
  int ***box = NEW(int **);  // GO: heap
  *box = i;
  return box;
}

GO_NOINLINE void caller11a(void) {
  int *i = NEW(int);  // GO: heap C: Go keeps the param's box; the discarded result leaves p local
  int **p = NEW(int *);  // GO: heap C: as above
  *i = 0, *p = i;
  (void)param11(p);
}

GO_NOINLINE void caller11b(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = i;
  sink = param11(p);
}

GO_NOINLINE void caller11c(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = i;
  sink = *param11(p);
}

typedef struct { int ***p; } Indir;

GO_NOINLINE void param12(Indir *r, int **i) {
  int ***box = NEW(int **);  // GO: heap C: Go's param box; in C it stays in the caller's Indir
  *box = i;
  r->p = box;
}

GO_NOINLINE void caller12b(void) {
  int *i = NEW(int);  // GO: heap C: reached only through the Indir, which stays local
  int **p = NEW(int *);  // GO: heap C: as above
  *i = 0, *p = i;
  Indir *r = NEW(Indir);  // GO: stack
  r->p = 0;
  param12(r, p);
}

GO_NOINLINE void caller12c(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = i;
  Indir r = {0};
  param12(&r, p);
  Indir *boxed = NEW(Indir);  // GO: heap
  *boxed = r;
  sink = boxed;
}

GO_NOINLINE void caller12d(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = i;
  Indir r = {0};
  param12(&r, p);
  sink = **r.p;
}

typedef struct { int **p; } Val;

GO_NOINLINE void param13(Val v, int *i) { *v.p = i; }

GO_NOINLINE void caller13a(void) {
  int *i = NEW(int);  // GO: heap C: stored into the local box p only
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  Val v = {p};
  param13(v, i);
}

GO_NOINLINE void caller13c(void) {
  int *i = NEW(int);  // GO: heap C: stored into the local box p only
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  Val *v = NEW(Val);  // GO: stack
  *v = (Val){p};
  param13(*v, i);
}

GO_NOINLINE void caller13d(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = 0;
  Val v = {p};
  param13(v, i);
  Val *boxed = NEW(Val);  // GO: heap
  *boxed = v;
  sink = boxed;
}

GO_NOINLINE void caller13f(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: heap
  *i = 0, *p = 0;
  Val *v = NEW(Val);  // GO: heap
  *v = (Val){p};
  param13(*v, i);
  sink = v;
}

GO_NOINLINE void caller13g(void) {
  int *i = NEW(int);  // GO: heap
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  Val v = {p};
  param13(v, i);
  sink = *v.p;
}

GO_NOINLINE void caller13h(void) {
  int *i = NEW(int);  // GO: heap C: only the int value leaves (Go's summary leaks i)
  int **p = NEW(int *);  // GO: stack
  *i = 0, *p = 0;
  Val *v = NEW(Val);  // GO: stack
  *v = (Val){p};
  param13(*v, i);
  sink = (void *)(long)**v->p;
}

typedef struct Node { struct Node *p; } Node;
Node *Sink;

GO_NOINLINE void f(Node *x) {
  Node *n = NEW(Node);  // GO: heap
  n->p = x->p;
  Sink = n;
}

GO_NOINLINE Node *g(Node *x) {
  Node *n = NEW(Node);  // GO: heap
  n->p = x->p;
  return n;
}

GO_NOINLINE void h(Node *x) {
  Node *y = NEW(Node);  // GO: stack
  y->p = x;
  Sink = g(y);
  f(y);
}
