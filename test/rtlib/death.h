/*
 * death.h — the death tests' harness: runs a function in a forked child with
 * its stderr captured, so a test can check that the runtime aborted (SIGABRT)
 * and what it said.  Include after <cmocka.h>.
 */
#ifndef ESCALLOC_TEST_DEATH_H
#define ESCALLOC_TEST_DEATH_H

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn(arg) in a child; fills buf (NUL-terminated) with what it wrote to
 * stderr and returns its wait status. */
static int run_in_child(void (*fn)(void *), void *arg, char *buf, size_t cap) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    fn(arg);
    _exit(0); /* not reached if the runtime caught it */
  }
  close(fds[1]);
  memset(buf, 0, cap);
  size_t n = 0;
  ssize_t r;
  while (n < cap - 1 && (r = read(fds[0], buf + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  close(fds[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}

static int died_of_abort(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }

#endif
