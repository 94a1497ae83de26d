// Fuzz finding (gen.py pattern vaout; issue 11 class 3).
// A variadic constructor returns objects through char ** fetched with va_arg.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
__attribute__((noinline)) static void make(int n, ...) {
  va_list ap; va_start(ap, n);
  for (int i = 0; i < n; i++) {
    char **out = va_arg(ap, char **);
    *out = malloc(32);
    snprintf(*out, 32, "v%d", i);
  }
  va_end(ap);
}
__attribute__((noinline)) static void clobber(void) {
  volatile char b[4096]; for (int i = 0; i < 4096; i++) b[i] = (char)i;
}
int main(void) {
  char *x, *y;
  make(2, &x, &y);
  clobber();
  printf("%s %s\n", x, y);
  free(x); free(y);
  return 0;
}
