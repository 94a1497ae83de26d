// Go's test/escape_field.go (field assignments), translated to C.
// Go's field-insensitive cases ("BAD" in the Go file) are C-specific
// exceptions: escalloc tracks fields of a plain local struct through SROA.
#include "goescape.h"

void *sink;

typedef struct { int *p1, *p2; int *a[2]; } X;
typedef struct { X x; } Y;

GO_NOINLINE void field0(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X x = {0};
  x.p1 = i;
  sink = x.p1;
}

GO_NOINLINE void field1(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  X x = {0};
  x.p1 = i;
  sink = x.p2;
}

GO_NOINLINE void field3(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X x = {0};
  x.p1 = i;
  X *boxed = NEW(X);  // GO: heap
  *boxed = x;
  sink = boxed;
}

GO_NOINLINE void field4(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  Y y = {{0}};
  y.x.p1 = i;
  X x = y.x;
  X *boxed = NEW(X);  // GO: heap
  *boxed = x;
  sink = boxed;
}

GO_NOINLINE void field5(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (array elements collapsed): &i does not escape
  *i = 0;
  X x = {0};
  x.a[0] = i;
  sink = x.a[1];
}

GO_NOINLINE void field6(X *x) { sink = x->p2; }

GO_NOINLINE void field6a(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  X *x = NEW(X);  // GO: stack
  *x = (X){0};
  x->p1 = i;
  field6(x);
}

GO_NOINLINE void field7(void) {
  int *i = NEW(int);  // GO: stack
  *i = 0;
  Y y = {{0}};
  y.x.p1 = i;
  X x = y.x;
  Y y1 = {{0}};
  y1.x = x;
  (void)y1.x.p1;
}

GO_NOINLINE void field8(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  Y y = {{0}};
  y.x.p1 = i;
  X x = y.x;
  Y y1 = {{0}};
  y1.x = x;
  sink = y1.x.p1;
}

GO_NOINLINE void field9(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  Y y = {{0}};
  y.x.p1 = i;
  X x = y.x;
  Y y1 = {{0}};
  y1.x = x;
  X *boxed = NEW(X);  // GO: heap
  *boxed = y1.x;
  sink = boxed;
}

GO_NOINLINE void field10(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  Y y = {{0}};
  y.x.p1 = i;
  X x = y.x;
  Y y1 = {{0}};
  y1.x = x;
  sink = y1.x.p2;
}

GO_NOINLINE void field11(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X x = {.p1 = i};
  sink = x.p1;
}

GO_NOINLINE void field12(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  X x = {.p1 = i};
  sink = x.p2;
}

GO_NOINLINE void field13(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X *x = NEW(X);  // GO: stack
  *x = (X){.p1 = i};
  sink = x->p1;
}

GO_NOINLINE void field14(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  X *x = NEW(X);  // GO: stack
  *x = (X){.p1 = i};
  sink = x->p2;
}

GO_NOINLINE void field15(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X *x = NEW(X);  // GO: heap
  *x = (X){.p1 = i};
  sink = x;
}

// Go's interface conversions become a boxed copy that does not escape.
GO_NOINLINE void field16(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (field-insensitive): &i does not escape
  *i = 0;
  X x = {0};
  x.p1 = i;
  X *iface = NEW(X);  // GO: stack
  *iface = x;
  X x1 = *iface;
  sink = x1.p2;
}

GO_NOINLINE void field17(void) {
  int *i = NEW(int);  // GO: heap
  *i = 0;
  X x = {0};
  x.p1 = i;
  X *iface = NEW(X);  // GO: stack
  *iface = x;
  X x1 = *iface;
  sink = x1.p1;
}

GO_NOINLINE void field18(void) {
  int *i = NEW(int);  // GO: heap C: Go's BAD (the failed type assertion yields a zero Y)
  *i = 0;
  X x = {0};
  x.p1 = i;
  X *iface = NEW(X);  // GO: stack
  *iface = x;
  Y *y = NEW(Y);  // GO: heap
  *y = (Y){{0}};
  sink = y;
}
