// The byte sum the stack-guard tests hand their 4000-byte buffer to
// (guard-thread-getattr.c, guard-signal-thread.c, guard-static-archive.c):
// a call the compiler may not inline or see through, so the buffer stays a
// guarded promotion.  The other guard tests use Inputs/checksum-mix.h, an
// order-sensitive sum.  Included by those tests (never compiled on its own).
static __attribute__((noinline)) long checksum(const unsigned char *p, int n) {
  long s = 0;
  for (int i = 0; i < n; i++)
    s += p[i];
  return s;
}
