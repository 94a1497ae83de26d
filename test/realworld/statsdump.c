/*
 * statsdump.c — linked into every build of the real programs, so that
 * realworld.py can measure each of the program's own processes (not the make,
 * shell and perl processes of its test harness).
 *
 * At exit, each process appends one line
 *     pid mallocs frees total_alloc peak_rss_kib
 * to the file named by $ESCALLOC_RW_STATS (nothing when it is unset).  The
 * allocation counters come from the escalloc runtime's public statistics
 * (escalloc_read_memstats), referenced weakly: builds without the runtime
 * (glibc, Attributor) write -1 for them and still report their peak RSS.
 * A shared object linked with this file writes a second line for the same pid;
 * realworld.py keeps one line per pid.
 *
 * Limits, by design of a destructor: a process that ends by _exit, exec or a
 * signal writes nothing, and a child that forks and exits without exec reports
 * its parent's pre-fork counts again.
 *
 * Why not ESCALLOC_STATS=1: that prints to stderr, which several suites
 * compare against expected output.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "escalloc/escalloc.h"

extern void escalloc_read_memstats(struct escalloc_memstats *) __attribute__((weak));

__attribute__((destructor)) static void escalloc_rw_dump_stats(void) {
  const char *path = getenv("ESCALLOC_RW_STATS");
  if (!path || !*path)
    return;
  long long mallocs = -1, frees = -1, total = -1;
  if (escalloc_read_memstats) {
    struct escalloc_memstats s;
    escalloc_read_memstats(&s);
    mallocs = (long long)s.Mallocs;
    frees = (long long)s.Frees;
    total = (long long)s.TotalAlloc;
  }
  struct rusage ru;
  long rss = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
  char line[160];
  int n = snprintf(line, sizeof line, "%ld %lld %lld %lld %ld\n", (long)getpid(), mallocs, frees,
                   total, rss);
  /* One write(2) with O_APPEND: lines of concurrent processes never interleave. */
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  if (write(fd, line, (size_t)n) != n) {
    /* Nothing to do at exit; the missing line shows as a lower count. */
  }
  close(fd);
}
