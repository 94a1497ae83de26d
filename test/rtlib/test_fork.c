/*
 * test_fork.c — fork() while other threads allocate and free: the child gets
 * a working allocator (no lock left held by a thread that does not exist in
 * it), can allocate, free, free objects the parent's threads allocated (they
 * go to remote stacks of caches nobody collects: a leak by design, see
 * mcache.c's fork_child), and start threads of its own.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "escalloc/escalloc.h"

#define LOADERS 3
#define FORKS 40

static atomic_int stop;
static void *shared[256];
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;

static void *load(void *arg) {
  uint64_t s = (uintptr_t)arg * 7919 + 1;
  void *mine[64] = {0};
  while (!atomic_load(&stop)) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    unsigned i = (unsigned)(s >> 33) % 64;
    free(mine[i]);
    size_t size = (s >> 20) % 3 == 0 ? (size_t)(s >> 40) % 100000 : (size_t)(s >> 40) % 600;
    mine[i] = malloc(size);
    memset(mine[i], 0x33, size);
    if ((s >> 50) % 8 == 0) { /* publish for cross-thread frees */
      pthread_mutex_lock(&shared_lock);
      unsigned j = (unsigned)(s >> 12) % 256;
      void *old = shared[j];
      shared[j] = mine[i];
      mine[i] = NULL;
      pthread_mutex_unlock(&shared_lock);
      free(old);
    }
  }
  for (int i = 0; i < 64; i++)
    free(mine[i]);
  return NULL;
}

static void *child_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < 10000; i++)
    free(malloc((size_t)i % 3000));
  return malloc(77);
}

static int child_work(void) {
  /* The locks the parent's threads might have held are usable. */
  void *p[1000];
  for (int i = 0; i < 1000; i++) {
    p[i] = malloc((size_t)(i * 131) % 40000);
    if (!p[i])
      return 1;
    memset(p[i], 0x44, (size_t)(i * 131) % 40000);
  }
  for (int i = 0; i < 1000; i++)
    free(p[i]);
  /* Objects published by threads that do not exist here. */
  for (int j = 0; j < 256; j++) {
    free(shared[j]);
    shared[j] = NULL;
  }
  pthread_t t;
  void *r;
  if (pthread_create(&t, NULL, child_thread, NULL) || pthread_join(t, &r))
    return 2;
  free(r);
  struct escalloc_memstats st;
  escalloc_read_memstats(&st);
  return st.HeapObjects > st.Mallocs ? 3 : 0;
}

static void fork_under_load(void **state) {
  (void)state;
  pthread_t t[LOADERS];
  for (uintptr_t i = 0; i < LOADERS; i++)
    pthread_create(&t[i], NULL, load, (void *)i);
  for (int f = 0; f < FORKS; f++) {
    usleep(2000);
    pthread_mutex_lock(&shared_lock);
    pid_t pid = fork();
    if (pid == 0) {
      pthread_mutex_unlock(&shared_lock);
      _exit(child_work());
    }
    pthread_mutex_unlock(&shared_lock);
    assert_true(pid > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      fail_msg("child %d: status %#x", f, status);
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < LOADERS; i++)
    pthread_join(t[i], NULL);
  for (int j = 0; j < 256; j++)
    free(shared[j]);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(fork_under_load)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
