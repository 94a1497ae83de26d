// The stack guard's cost per promoting call (run.sh counts instructions
// with callgrind).  argv[1] picks the function called N = argv[2] times:
//   one    one 64-byte buffer handed to a reader (so it needs the guard)
//   three  three buffers (64, 256, 1024 bytes): one check for all
//   regs   a 48-byte struct only loaded and stored (SROA: no guard)
// Built three ways by run.sh: guard on (the default), guard off
// (-escalloc-stack-guard=false: static allocas, frees removed), and the
// objects on the heap (-escalloc-max-stack-size=0).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static long reader(const unsigned char *p, long n) {
  return p[0] + p[n - 1];
}

__attribute__((noinline)) static long one(int i) {
  unsigned char *buf = malloc(64);
  if (!buf)
    abort();
  buf[0] = (unsigned char)i;
  buf[63] = 1;
  long r = reader(buf, 64);
  free(buf);
  return r;
}

__attribute__((noinline)) static long three(int i) {
  unsigned char *a = malloc(64), *b = malloc(256), *c = malloc(1024);
  if (!a || !b || !c)
    abort();
  a[0] = b[0] = c[0] = (unsigned char)i;
  a[63] = b[255] = c[1023] = 1;
  long r = reader(a, 64) + reader(b, 256) + reader(c, 1024);
  free(a);
  free(b);
  free(c);
  return r;
}

struct point {
  long x, y, z, w, u, v;
};

__attribute__((noinline)) static long regs(int i) {
  struct point *p = malloc(sizeof *p);
  if (!p)
    abort();
  p->x = i;
  p->y = i * 2;
  long r = p->x + p->y;
  free(p);
  return r;
}

int main(int argc, char **argv) {
  const char *which = argc > 1 ? argv[1] : "one";
  long n = argc > 2 ? atol(argv[2]) : 1000000;
  long (*f)(int) = strcmp(which, "three") == 0 ? three
                   : strcmp(which, "regs") == 0 ? regs
                                                : one;
  long s = 0;
  for (long i = 0; i < n; i++)
    s += f((int)i);
  printf("%ld\n", s);
  return 0;
}
