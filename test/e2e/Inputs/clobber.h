// clobber(): overwrites the stack below the caller, where a dead frame was, so
// that a read of a promoted object whose frame is gone sees 0xA5 bytes.  It
// writes global memory too, so no load is moved across a call to it.
// Included by the e2e soundness tests (never compiled on its own).
static volatile char g_sink;
__attribute__((noinline)) static void clobber(void) {
  volatile char buf[16384];
  for (int i = 0; i < (int)sizeof buf; i++)
    buf[i] = (char)0xA5;
  g_sink = buf[0];
}
