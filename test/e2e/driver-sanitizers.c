// With a sanitizer that owns malloc, escc links no escalloc runtime and lowers
// nothing (a note says so, once), so the program runs and the sanitizer
// reports what it reports for clang's program.  Before, ASan's program exited
// with a segfault and no report, TSan's crashed in mcache_create, MSan's in
// env_flag.  HWASan is left out: on x86-64 it needs a kernel with the tagged
// address ABI, and clang-19's own program fails the same way without one.
//
// RUN: %escc -O1 -g -fsanitize=address -DOVERFLOW %s -o %t.asan 2>&1 | FileCheck %s --check-prefix=NOTE-ASAN
// RUN: not %t.asan 2>&1 | FileCheck %s --check-prefix=ASAN
// NOTE-ASAN: escc: note: -fsanitize=address owns malloc: escalloc's runtime is not linked and no allocation is lowered
// NOTE-ASAN-NOT: note
// ASAN: ERROR: AddressSanitizer: heap-buffer-overflow
// ASAN: {{WRITE of size 1 .*}}
// ASAN: 0 bytes after 16-byte region
//
// The same with LTO, where the decision is taken inside lld.
// RUN: %escc -O2 -flto -g -fsanitize=address -DOVERFLOW %s -o %t.asan-lto 2>/dev/null
// RUN: not %t.asan-lto 2>&1 | FileCheck %s --check-prefix=ASAN
//
// MemorySanitizer: the program reads a malloc'ed byte it never wrote.
// RUN: %escc -O1 -g -fsanitize=memory -fsanitize-memory-track-origins -DUNINIT %s -o %t.msan 2>&1 | FileCheck %s --check-prefix=NOTE-MSAN
// RUN: not %t.msan 2>&1 | FileCheck %s --check-prefix=MSAN
// NOTE-MSAN: escc: note: -fsanitize=memory owns malloc
// MSAN: WARNING: MemorySanitizer: use-of-uninitialized-value
// MSAN: Uninitialized value was created by a heap allocation
//
// ThreadSanitizer: two threads write one heap object without a lock.
// RUN: %escc -O1 -g -fsanitize=thread -DRACE %s -o %t.tsan -lpthread 2>/dev/null
// RUN: env TSAN_OPTIONS=halt_on_error=1 not %t.tsan 2>&1 | FileCheck %s --check-prefix=TSAN
// TSAN: WARNING: ThreadSanitizer: data race
// TSAN: Location is heap block of size 16
//
// -fno-sanitize= takes it back: the runtime is linked again, silently.
// RUN: %escc -O1 -fsanitize=address -fno-sanitize=address %s -o %t.plain 2>&1 | count 0
// RUN: %t.plain | FileCheck %s --check-prefix=PLAIN
// PLAIN: escalloc runtime linked: yes
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *volatile keep; // makes the allocation escape: it stays on the heap

#if defined(RACE)
static void *writer(void *arg) {
  char *p = arg;
  for (int i = 0; i < 1000; i++)
    p[0] = (char)i;
  return NULL;
}
#endif

// Whether the escalloc runtime is in the program (a weak reference).
extern const int escalloc_abi_v1 __attribute__((weak));

int main(int argc, char **argv) {
  (void)argv;
  char *p = malloc(16);
  keep = p;
#if defined(OVERFLOW)
  memset(p, 'x', 16);
  p[15 + argc] = 'y'; // one past the end
  printf("%c\n", p[15 + argc]);
#elif defined(UNINIT)
  if (p[argc])
    puts("set");
#elif defined(RACE)
  pthread_t a, b;
  pthread_create(&a, NULL, writer, p);
  pthread_create(&b, NULL, writer, p);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
#else
  printf("escalloc runtime linked: %s\n", &escalloc_abi_v1 ? "yes" : "no");
#endif
  free(p);
  return 0;
}
