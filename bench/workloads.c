/*
 * workloads.c — allocator benchmarks written for escalloc, modelled on the
 * published ones (mimalloc-bench's alloc-test, larson, xmalloc's
 * producer/consumer, thread churn).  Each workload uses only malloc/free, so
 * the allocator is chosen with LD_PRELOAD; it prints
 *     <workload> <seconds> <peak RSS KiB>
 * timing only the work (not process start-up).
 *
 * usage: workloads <churn|bigset|mixed|larson|prodcons|threads|large|pair> [scale]
 *   scale multiplies the iteration counts (default 1).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double scale = 1;
static volatile uintptr_t sink; /* keeps results observable */

static uint64_t next(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static long iters(long base) { return (long)(base * scale); }

/* Single thread: `n` random replacements in the working set slot[0..nslots)
 * of objects of min..min+spread-1 bytes, each written once. */
static void replace_at_random(char **slot, unsigned nslots, long n, size_t min, size_t spread,
                              uint64_t seed) {
  for (long i = 0; i < n; i++) {
    uint64_t r = next(&seed);
    unsigned k = (unsigned)(r % nslots);
    free(slot[k]);
    slot[k] = malloc(min + (r >> 32) % spread);
    slot[k][0] = (char)i;
  }
  for (unsigned k = 0; k < nslots; k++)
    free(slot[k]);
}

/* Small objects (16..128 bytes) replaced at random in a working set of 1000. */
static void churn(void) {
  enum { SLOTS = 1000 };
  char *slot[SLOTS] = {0};
  replace_at_random(slot, SLOTS, iters(20000000), 16, 113, 1);
}

/* Small objects (16..48 bytes) replaced at random in a working set of
 * 200000: each size class spans hundreds of spans, with holes scattered over
 * all of them (a hash table or cache that churns). */
static void bigset(void) {
  enum { SLOTS = 200000 };
  static char *slot[SLOTS];
  replace_at_random(slot, SLOTS, iters(10000000), 16, 33, 3);
}

/* Single thread, a spread of sizes (70% <= 256, 25% <= 4 KiB, 5% <= 32 KiB)
 * in a working set of 10000. */
static void mixed(void) {
  enum { SLOTS = 10000 };
  static char *slot[SLOTS];
  uint64_t s = 2;
  for (long i = 0, n = iters(5000000); i < n; i++) {
    uint64_t r = next(&s);
    unsigned k = (unsigned)(r % SLOTS), p = (unsigned)(r >> 20) % 100;
    size_t size = p < 70 ? 8 + (r >> 40) % 249 : p < 95 ? 256 + (r >> 40) % 3841 : 4096 + (r >> 40) % 28673;
    free(slot[k]);
    slot[k] = malloc(size);
    slot[k][0] = slot[k][size - 1] = 1;
  }
  for (int k = 0; k < SLOTS; k++)
    free(slot[k]);
}

/* larson: each thread replaces objects at random in its own set and, every
 * 5000 steps, swaps its whole set with the other thread's, so most objects
 * are freed by a thread that did not allocate them. */
enum { LARSON_THREADS = 2, LARSON_SLOTS = 2000 };
static char **larson_mailbox;
static pthread_mutex_t larson_lock = PTHREAD_MUTEX_INITIALIZER;

static void *larson_thread(void *arg) {
  uint64_t s = (uintptr_t)arg + 3;
  char **set = calloc(LARSON_SLOTS, sizeof *set);
  for (long i = 0, n = iters(4000000); i < n; i++) {
    uint64_t r = next(&s);
    unsigned k = (unsigned)(r % LARSON_SLOTS);
    free(set[k]);
    size_t size = 16 + (r >> 32) % 1009;
    set[k] = malloc(size);
    set[k][0] = 1;
    if (i % 5000 == 4999) {
      pthread_mutex_lock(&larson_lock);
      char **other = larson_mailbox;
      larson_mailbox = set;
      pthread_mutex_unlock(&larson_lock);
      set = other ? other : calloc(LARSON_SLOTS, sizeof *set);
    }
  }
  for (int k = 0; k < LARSON_SLOTS; k++)
    free(set[k]);
  free(set);
  return NULL;
}

static void larson(void) {
  pthread_t t[LARSON_THREADS];
  for (uintptr_t i = 0; i < LARSON_THREADS; i++)
    pthread_create(&t[i], NULL, larson_thread, (void *)i);
  for (int i = 0; i < LARSON_THREADS; i++)
    pthread_join(t[i], NULL);
  if (larson_mailbox) {
    for (int k = 0; k < LARSON_SLOTS; k++)
      free(larson_mailbox[k]);
    free(larson_mailbox);
  }
}

/* producer/consumer: one thread allocates 64..576-byte messages, the other
 * frees them; they travel in batches of 256 through a bounded queue (a mutex
 * and two condition variables, so a loaded machine does not turn the test
 * into a spinning contest). */
enum { BATCH = 256, QUEUE_BATCHES = 16 };
static struct {
  pthread_mutex_t lock;
  pthread_cond_t not_full, not_empty;
  char **q[QUEUE_BATCHES];
  unsigned head, tail;
} pc = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0};

static void *producer(void *arg) {
  (void)arg;
  uint64_t s = 5;
  long batches = iters(40000);
  for (long b = 0; b < batches; b++) {
    char **batch = malloc(BATCH * sizeof *batch);
    for (int i = 0; i < BATCH; i++) {
      size_t size = 64 + (next(&s) >> 40) % 513;
      batch[i] = malloc(size);
      batch[i][0] = 1;
    }
    pthread_mutex_lock(&pc.lock);
    while (pc.tail - pc.head == QUEUE_BATCHES)
      pthread_cond_wait(&pc.not_full, &pc.lock);
    pc.q[pc.tail++ % QUEUE_BATCHES] = batch;
    pthread_cond_signal(&pc.not_empty);
    pthread_mutex_unlock(&pc.lock);
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  long batches = iters(40000);
  for (long b = 0; b < batches; b++) {
    pthread_mutex_lock(&pc.lock);
    while (pc.tail == pc.head)
      pthread_cond_wait(&pc.not_empty, &pc.lock);
    char **batch = pc.q[pc.head++ % QUEUE_BATCHES];
    pthread_cond_signal(&pc.not_full);
    pthread_mutex_unlock(&pc.lock);
    for (int i = 0; i < BATCH; i++) {
      sink += (uintptr_t)batch[i][0];
      free(batch[i]);
    }
    free(batch);
  }
  return NULL;
}

static void prodcons(void) {
  pthread_t p, c;
  pthread_create(&c, NULL, consumer, NULL);
  pthread_create(&p, NULL, producer, NULL);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
}

/* thread churn: short-lived threads, two at a time, each allocating and
 * freeing a little (thread set-up and tear-down of the allocator). */
static void *short_thread(void *arg) {
  uint64_t s = (uintptr_t)arg + 7;
  void *p[100];
  for (int round = 0; round < 10; round++) {
    for (int i = 0; i < 100; i++)
      p[i] = malloc(8 + (next(&s) >> 40) % 2000);
    for (int i = 0; i < 100; i++)
      free(p[i]);
  }
  return NULL;
}

static void threads(void) {
  for (long i = 0, n = iters(4000); i < n; i++) {
    pthread_t a, b;
    pthread_create(&a, NULL, short_thread, (void *)i);
    pthread_create(&b, NULL, short_thread, (void *)(i + 1));
    pthread_join(a, NULL);
    pthread_join(b, NULL);
  }
}

/* large blocks: 64 KiB .. 4 MiB replaced at random in a set of 32, every
 * page written. */
static void large(void) {
  enum { SLOTS = 32 };
  char *slot[SLOTS] = {0};
  uint64_t s = 9;
  for (long i = 0, n = iters(20000); i < n; i++) {
    uint64_t r = next(&s);
    unsigned k = (unsigned)(r % SLOTS);
    free(slot[k]);
    size_t size = ((size_t)64 << 10) << ((r >> 32) % 7);
    size += (r >> 40) % 4096;
    slot[k] = malloc(size);
    for (size_t off = 0; off < size; off += 4096)
      slot[k][off] = 1;
  }
  for (int k = 0; k < SLOTS; k++)
    free(slot[k]);
}

/* One small malloc+free pair, repeated: what callgrind counts per pair. */
static void pair(void) {
  for (long i = 0, n = iters(1000000); i < n; i++) {
    char *p = malloc(32);
    p[0] = 0;
    sink += (uintptr_t)p;
    free(p);
  }
}

static const struct {
  const char *name;
  void (*run)(void);
} workloads[] = {
    {"churn", churn}, {"bigset", bigset}, {"mixed", mixed},     {"larson", larson}, {"prodcons", prodcons},
    {"threads", threads}, {"large", large}, {"pair", pair},
};

/* VmHWM: the peak resident set of this process image.  (getrusage's
 * ru_maxrss would carry over the peak of the parent that forked us, since
 * it survives execve.) */
static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: workloads <churn|bigset|mixed|larson|prodcons|threads|large|pair> [scale]\n");
    return 2;
  }
  if (argc == 3)
    scale = atof(argv[2]);
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
    if (strcmp(argv[1], workloads[i].name))
      continue;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    workloads[i].run();
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%s %.4f %ld\n", argv[1], (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
           peak_rss_kib());
    return 0;
  }
  fprintf(stderr, "workloads: unknown workload '%s'\n", argv[1]);
  return 2;
}
