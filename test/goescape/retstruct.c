// Go's test/escape_struct_return.go (a struct of two pointers returned by
// value), translated to C.  Go's `s := "cat"; sp := &s; spp := &sp` boxes s
// and sp: `ps` is &s, `pps` is &sp.  U is {ptr, ptr}, returned in registers;
// Go's println reads the string and publishes no pointer (puts).
#include <stdio.h>
#include "goescape.h"

void *sink;

typedef struct { const char **sp; const char ***spp; } U;

GO_NOINLINE U A(const char **sp, const char ***spp) { return (U){sp, spp}; }

GO_NOINLINE U B(const char ***spp) { return (U){*spp, spp}; }

GO_NOINLINE void tA1(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = A(ps, pps);
  (void)u;
  puts(*ps);
}

GO_NOINLINE void tA2(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = A(ps, pps);
  puts(*u.sp);
}

GO_NOINLINE void tA3(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = A(ps, pps);
  puts(**u.spp);
}

GO_NOINLINE void tB1(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = B(pps);
  (void)u;
  puts(*ps);
}

GO_NOINLINE void tB2(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = B(pps);
  puts(*u.sp);
}

GO_NOINLINE void tB3(void) {
  const char **ps = NEW(const char *);  // GO: stack
  const char ***pps = NEW(const char **);  // GO: stack
  *ps = "cat", *pps = ps;
  U u = B(pps);
  puts(**u.spp);
}
