// The order-sensitive checksum (s * 31 + byte) most stack-guard tests hand
// their 4000-byte buffer to: a call the compiler may not inline or see
// through, so the buffer stays a guarded promotion, and a sum that a
// misplaced or overlapping buffer would change.  Inputs/checksum.h is the
// plain byte sum of three others.  Included by those tests (never compiled on
// its own).
static __attribute__((noinline)) long checksum(const unsigned char *p, int n) {
  long s = 0;
  for (int i = 0; i < n; i++)
    s = s * 31 + p[i];
  return s;
}
