// A shared library and an executable, both built with escc, free each other's
// memory, and the process holds one heap: the library's allocations show up
// in the statistics the executable reads.
//
// RUN: %escc -O2 -fPIC -shared -DBUILD_LIB %s -o %t.libpeer.so
// RUN: %escc -O2 %s %t.libpeer.so -o %t.exe
// RUN: %run %t.exe | FileCheck %s
// CHECK: library allocation freed by executable
// CHECK-NEXT: executable allocation freed by library
// CHECK-NEXT: one heap: yes
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <escalloc/escalloc.h>

char *peer_strdup(const char *s);
void peer_free(void *p);

#ifdef BUILD_LIB
char *peer_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p)
    memcpy(p, s, n);
  return p;
}
void peer_free(void *p) { free(p); }
#else
int main(void) {
  struct escalloc_memstats before, after;
  escalloc_read_memstats(&before);
  char *s = peer_strdup("library allocation freed by executable");
  escalloc_read_memstats(&after);
  puts(s);
  free(s);
  char *mine = malloc(64);
  strcpy(mine, "executable allocation freed by library");
  puts(mine);
  peer_free(mine);
  printf("one heap: %s\n", after.Mallocs > before.Mallocs ? "yes" : "no");
  return 0;
}
#endif
