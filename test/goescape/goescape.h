// goescape.h — shared conventions of the C translations of Go's escape tests.
//
// Go                         C
// x := v; ... &x             T *x = NEW(T); *x = v;   (the box Go moves to heap or not)
// new(T), &T{...}            NEW(T)
// make([]T, n) (constant n)  NEWN(T, n)
// var sink interface{}       void *sink (a pointer stored there escapes)
// -l (no inlining)           GO_NOINLINE on every function
//
// Each allocation line carries Go's decision for it as a trailing comment:
//   GO: heap   Go says "moved to heap" / "escapes to heap"
//   GO: stack  Go says "does not escape", or is silent about an address-taken local
// optionally followed by "C: <reason>" when C semantics differ (score.py lists
// these as the C-specific exceptions instead of counting them).
#ifndef GOESCAPE_H
#define GOESCAPE_H
#include <stdlib.h>

#define GO_NOINLINE __attribute__((noinline))
#define NEW(T) ((T *)malloc(sizeof(T)))
#define NEWN(T, n) ((T *)malloc(sizeof(T) * (n)))

extern void *sink;
#endif
