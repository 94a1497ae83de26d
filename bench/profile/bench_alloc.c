/*
 * bench_alloc.c — allocation workloads for the heap profiler's overhead
 * (bench/profile/run.sh links it against the runtime with and without the
 * profiler's hooks).  Prints one line per workload: "NAME SECONDS", in CPU
 * seconds of the process.
 *
 *   churn    malloc + free of one small object (16..256 bytes), back to back
 *   held     a live set of 100000 objects of 8..1024 bytes; each step frees a
 *            random one and allocates its replacement
 *   threads  2 threads: a producer allocates 16..512 bytes, a consumer frees
 *            them (cross-thread frees), in batches of 256 through a queue
 *   large    64 KiB..1 MiB blocks, 64 live, replaced at random
 *
 * Usage: bench_alloc [WORKLOAD...] [-n SCALE]  (all workloads by default)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double scale = 1;

/* CPU time of the whole process (all threads): on a shared machine it is
 * far less disturbed by other processes than wall time. */
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t next_rand(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void touch(void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static void churn(void) {
  long n = (long)(20000000 * scale);
  for (long i = 0; i < n; i++) {
    void *p = malloc(16 + (i & 15) * 16);
    touch(p);
    free(p);
  }
}

static void held(void) {
  enum { LIVE = 100000 };
  static void *live[LIVE];
  long n = (long)(10000000 * scale);
  for (int i = 0; i < LIVE; i++)
    live[i] = malloc(8 + next_rand(&rng) % 1017);
  for (long i = 0; i < n; i++) {
    uint64_t r = next_rand(&rng);
    size_t k = r % LIVE;
    free(live[k]);
    live[k] = malloc(8 + (r >> 32) % 1017);
    touch(live[k]);
  }
  for (int i = 0; i < LIVE; i++)
    free(live[i]);
}

/* Batches of BATCH pointers pass from producer to consumer through a queue
 * of QUEUE batches under a mutex (no spinning: the machine may have fewer
 * cores than runnable threads). */
#define BATCH 256
#define QUEUE 8
static void *queue[QUEUE][BATCH];
static long q_head, q_tail; /* batches produced, consumed */
static long thread_batches;
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_changed = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
  (void)arg;
  uint64_t s = 12345;
  void *batch[BATCH];
  for (long b = 0; b < thread_batches; b++) {
    for (int i = 0; i < BATCH; i++)
      batch[i] = malloc(16 + next_rand(&s) % 497);
    pthread_mutex_lock(&q_lock);
    while (q_head - q_tail == QUEUE)
      pthread_cond_wait(&q_changed, &q_lock);
    memcpy(queue[q_head % QUEUE], batch, sizeof batch);
    q_head++;
    pthread_cond_broadcast(&q_changed);
    pthread_mutex_unlock(&q_lock);
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  void *batch[BATCH];
  for (long b = 0; b < thread_batches; b++) {
    pthread_mutex_lock(&q_lock);
    while (q_head == q_tail)
      pthread_cond_wait(&q_changed, &q_lock);
    memcpy(batch, queue[q_tail % QUEUE], sizeof batch);
    q_tail++;
    pthread_cond_broadcast(&q_changed);
    pthread_mutex_unlock(&q_lock);
    for (int i = 0; i < BATCH; i++)
      free(batch[i]);
  }
  return NULL;
}

static void threads(void) {
  thread_batches = (long)(5000000 * scale) / BATCH;
  q_head = q_tail = 0;
  pthread_t a, b;
  pthread_create(&a, NULL, producer, NULL);
  pthread_create(&b, NULL, consumer, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
}

static void large(void) {
  enum { LIVE = 64 };
  void *live[LIVE] = {0};
  long n = (long)(200000 * scale);
  for (long i = 0; i < n; i++) {
    uint64_t r = next_rand(&rng);
    size_t k = r % LIVE;
    free(live[k]);
    size_t size = (64 << 10) + (r >> 20) % (960 << 10);
    live[k] = malloc(size);
    memset(live[k], 1, 64); /* touch the first line only */
  }
  for (int i = 0; i < LIVE; i++)
    free(live[i]);
}

static const struct {
  const char *name;
  void (*fn)(void);
} workloads[] = {{"churn", churn}, {"held", held}, {"threads", threads}, {"large", large}};

int main(int argc, char **argv) {
  int chosen[4] = {0}, any = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      scale = atof(argv[++i]);
      continue;
    }
    int found = 0;
    for (int w = 0; w < 4; w++)
      if (strcmp(argv[i], workloads[w].name) == 0)
        chosen[w] = found = any = 1;
    if (!found) {
      fprintf(stderr, "bench_alloc: unknown workload '%s' (churn, held, threads, large)\n", argv[i]);
      return 2;
    }
  }
  for (int w = 0; w < 4; w++) {
    if (any && !chosen[w])
      continue;
    double t = now();
    workloads[w].fn();
    printf("%s %.6f\n", workloads[w].name, now() - t);
    fflush(stdout);
  }
  return 0;
}
