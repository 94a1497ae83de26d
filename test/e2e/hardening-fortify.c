// Debian's hardening flags (dpkg-buildflags: -D_FORTIFY_SOURCE=2 and the rest)
// turn memcpy, strcpy, sprintf, ... into glibc's checked __*_chk variants,
// which neither capture nor free their pointer arguments: the decisions are
// the ones the plain build gets, and the checks still fire.
//
// RUN: %escc -O2 -m -c %s -o /dev/null 2>&1 | FileCheck %s --implicit-check-not="escapes to heap"
// RUN: %escc -O2 -Wdate-time -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wformat \
// RUN:   -Werror=format-security -m -c %s -o /dev/null 2>&1 | FileCheck %s --implicit-check-not="escapes to heap"
// RUN: %escc -O2 -Wdate-time -D_FORTIFY_SOURCE=2 -fstack-protector-strong -Wformat \
// RUN:   -Werror=format-security -Wl,-z,relro -Wl,-z,now %s -o %t
// RUN: %run %t 7 abcdefghijk | FileCheck %s --check-prefix=OUT
// RUN: not --crash %run %t 40 abcdefghijklmnopqrstuvwxyz0123456789abcdef 2>&1 | FileCheck %s --check-prefix=OVERFLOW
// OUT: 7 abcdefg 29
// OVERFLOW: buffer overflow detected
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static int render(int n, const char *word) {
  // CHECK-DAG: [[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) moved to stack
  char *s = malloc(32);
  // CHECK-DAG: [[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) moved to stack
  char *t = malloc(32);
  snprintf(s, 32, "%d ", n);                     // __snprintf_chk
  memcpy(t, word, (size_t)n);                    // __memcpy_chk (size unknown)
  t[n] = 0;
  strcat(s, t);                                  // __strcat_chk
  memset(t, ' ', (size_t)n);                     // __memset_chk
  int len = (int)strlen(s);
  sprintf(t, "%d", len + 20);                    // __sprintf_chk
  printf("%s %s\n", s, t);
  free(s);
  free(t);
  return len;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return 2;
  return render(atoi(argv[1]), argv[2]) > 0 ? 0 : 1;
}
