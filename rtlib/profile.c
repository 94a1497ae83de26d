/*
 * profile.c — the sampled heap profiler: which allocations are sampled, their
 * call stacks, the per-site counters (buckets), the table of live sampled
 * objects, and when profiles are written (ESCALLOC_MEMPROFILE at exit,
 * escalloc_write_heap_profile on demand).  The pprof encoding is profwrite.c.
 *
 * Sampling follows Go's mcache.nextSample: each countdown (one per span class
 * and thread, and one for the bytes of a thread's tiny and large objects, see
 * profile.h) draws the number of bytes until its next sample from an
 * exponential distribution with mean `rate`, so an allocation of s bytes is
 * sampled with probability 1 - exp(-s/rate) whatever the allocation pattern,
 * which is what the scaling at write time (esc_prof_scale, Go's
 * scaleHeapSample) undoes.  Rate 1 samples every allocation.
 *
 * Locks
 *   prof_lock guards the bucket hash table, the bucket counters, the live
 *   table and the spans' prof_sampled counts.  Nothing that holds it calls malloc, and
 *   it is taken across fork (prof_atfork_*), so a child never inherits it
 *   held.  sysalloc needs no lock (each call is its own mmap).
 *
 * Invariants: see profile.h.  In addition, buckets are never freed, so a
 * snapshot can read a bucket's stack after dropping the lock.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

#include "base.h"
#include "escalloc/escalloc.h"
#include "profile.h"

/* The sampling rate in bytes (0 = off); written by settings and
 * escalloc_set_memprofile_rate, read by every thread's slow path. */
static _Atomic int64_t prof_rate = ESC_PROF_DEFAULT_RATE;

/* Per-thread sampler state, touched only on the slow path. */
static __thread uint64_t prof_rand_state; /* xorshift64*; 0 = thread not yet seeded */
static __thread int prof_busy;            /* this thread is inside the profiler */

static ESC_EARLY pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;

/* --- Bookkeeping memory ------------------------------------------------------ */

void *esc_prof_sysalloc(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void esc_prof_sysfree(void *p, size_t size) {
  if (p)
    munmap(p, size);
}

/* Buckets come from 64 KiB chunks that are never returned (as Go's
 * persistentalloc); guarded by prof_lock.  The first chunk is in .bss and
 * holds the first (small) bucket hash table and live table too, so that a
 * process's first sample makes no system call and writes one or two pages
 * (three mmaps and about five page faults before, 40 us per sampled process
 * of bench/startup's alloc100, sampled once in seven runs at the default
 * rate). */
static ESC_EARLY char *chunk_next, *chunk_end;
static _Alignas(64) char first_chunk[16 << 10];

static void *persistent_alloc(size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (!chunk_end) {
    chunk_next = first_chunk;
    chunk_end = first_chunk + sizeof first_chunk;
  }
  if ((size_t)(chunk_end - chunk_next) < size) {
    size_t chunk = size > (64 << 10) ? size : (64 << 10);
    char *c = esc_prof_sysalloc(chunk);
    if (!c)
      return NULL;
    chunk_next = c;
    chunk_end = c + chunk;
  }
  void *p = chunk_next;
  chunk_next += size;
  return p;
}

/* --- Allocations aside (profile.h) ------------------------------------------------
 * A bump region from mmap, reserved at the first opening and touched as used;
 * only the opening thread allocates (one at a time: lazy_state), any thread
 * may test ownership.  Frees are no-ops: the loader keeps almost all of what
 * it allocates for libgcc_s (about 3 KiB, in a few objects). */
#define ASIDE_BYTES ((size_t)256 << 10)
__thread int esc_prof_aside;
static ESC_EARLY char *_Atomic aside_base;
static ESC_EARLY size_t aside_used;
static ESC_EARLY void (*_Atomic aside_enter)(void), (*_Atomic aside_leave)(void);

void esc_prof_set_aside_hooks(void (*enter)(void), void (*leave)(void)) {
  atomic_store_explicit(&aside_enter, enter, memory_order_relaxed);
  atomic_store_explicit(&aside_leave, leave, memory_order_relaxed);
}

void *esc_prof_aside_alloc(size_t size, size_t align) {
  char *base = aside_base;
  if (!base) {
    base = esc_prof_sysalloc(ASIDE_BYTES);
    if (!base) {
      errno = ENOMEM;
      return NULL;
    }
    aside_base = base;
  }
  if (align < 16)
    align = 16;
  size_t off = (aside_used + sizeof(size_t) + align - 1) & ~(align - 1); /* the size just below */
  if (off > ASIDE_BYTES || size > ASIDE_BYTES - off) {
    errno = ENOMEM;
    return NULL;
  }
  memcpy(base + off - sizeof(size_t), &size, sizeof size);
  aside_used = off + size;
  return base + off;
}

int esc_prof_aside_owns(const void *p) {
  const char *base = aside_base;
  return base && (const char *)p >= base && (const char *)p < base + ASIDE_BYTES;
}

size_t esc_prof_aside_size(const void *p) {
  size_t size;
  memcpy(&size, (const char *)p - sizeof size, sizeof size);
  return size;
}

/* --- Math without libm --------------------------------------------------------- */

static double pow2i(int k) { /* 2^k for -1022 <= k <= 1023 */
  union { uint64_t u; double d; } v = {(uint64_t)(k + 1023) << 52};
  return v.d;
}

#define LN2 0.69314718055994530942

double esc_prof_exp_neg(double x) {
  if (x <= 0)
    return 1;
  if (x > 700)
    return 0;
  int k = (int)(x / LN2);
  double r = x - k * LN2; /* exp(-x) = 2^-k * exp(-r), 0 <= r < ln 2 */
  double term = 1, sum = 1;
  for (int i = 1; i < 20; i++) {
    term *= -r / i;
    sum += term;
  }
  return sum * pow2i(-k);
}

double esc_prof_neg_log(double u) {
  union { double d; uint64_t u; } v = {u};
  int e = (int)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & ~(0x7ffull << 52)) | (1023ull << 52); /* mantissa m in [1, 2) */
  double m = v.d;
  if (m > 1.41421356237309504880) { /* centre m on 1 for a short series */
    m /= 2;
    e++;
  }
  /* ln m = 2 atanh t = 2 (t + t^3/3 + t^5/5 + ...), |t| <= 0.172: eight
   * terms leave an error below 1e-14, and multiplying by 1/i saves the
   * divisions (every thread's first allocation of a class draws a countdown:
   * this is on the start-up path). */
  static const double inv_odd[] = {1.0,       1.0 / 3,  1.0 / 5,  1.0 / 7,
                                   1.0 / 9,   1.0 / 11, 1.0 / 13, 1.0 / 15};
  double t = (m - 1) / (m + 1), t2 = t * t, term = t, sum = 0;
  for (unsigned i = 0; i < sizeof inv_odd / sizeof *inv_odd; i++) {
    sum += term * inv_odd[i];
    term *= t2;
  }
  return -(e * LN2 + 2 * sum);
}

void esc_prof_scale(uint64_t count, uint64_t size, int64_t rate, int64_t *objects, int64_t *bytes) {
  if (count == 0 || size == 0) {
    *objects = *bytes = 0;
    return;
  }
  if (rate <= 1) {
    *objects = (int64_t)count;
    *bytes = (int64_t)(count * size);
    return;
  }
  /* Each object of `size` bytes was sampled with probability 1-exp(-size/rate). */
  double scale = 1 / (1 - esc_prof_exp_neg((double)size / (double)rate));
  *objects = (int64_t)((double)count * scale);
  *bytes = (int64_t)((double)(count * size) * scale);
}

/* --- Sampling -------------------------------------------------------------------- */

int64_t esc_prof_rate(void) { return prof_rate; }

static uint64_t prof_rand(void) {
  uint64_t x = prof_rand_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  prof_rand_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* From getrandom (esc_random_bits) and the thread's TLS address. */
static void prof_seed_thread(void) {
  uint64_t s = esc_random_bits() ^ ((uint64_t)(uintptr_t)&prof_rand_state * 0x9E3779B97F4A7C15ull);
  prof_rand_state = s ? s : 0x9E3779B97F4A7C15ull;
  prof_rand();
}

/* Bytes until the next sample: exponential with mean rate (Go's nextSample). */
static int64_t next_sample_distance(int64_t rate) {
  if (rate <= 0)
    return ESC_PROF_IDLE_RECHECK;
  if (rate == 1)
    return 0;
  double u = (double)((prof_rand() >> 11) + 1) * (1.0 / 9007199254740992.0); /* (0, 1] */
  double d = esc_prof_neg_log(u) * (double)rate;
  const double cap = (double)((int64_t)1 << 40); /* a few hundred thousand means */
  return d > cap ? (int64_t)cap : (int64_t)d;
}

/* Unwinding.  ESCALLOC_MEMPROFILE_UNWIND chooses:
 *
 *   auto (the default) frame pointers where the program says it has them
 *                     (below), else libgcc's unwinder, from the program's
 *                     link or the runtime's own copy (no library opened).
 *   fp                walks the frame-pointer chain: about 1 ns a frame and
 *                     no library.  Frames of code built without frame
 *                     pointers are skipped, end the walk early or come out
 *                     wrong.
 *   libunwind         unw_backtrace from libunwind.so.8, opened with dlopen
 *                     (programs need no -lunwind): DWARF CFI, cached per
 *                     return address, about 100 ns for ten frames.
 *   libgcc            _Unwind_Backtrace: DWARF CFI interpreted on every call,
 *                     a few microseconds a stack; right in any code that has
 *                     unwind tables (C and C++ on x86-64 and AArch64 by
 *                     default).  The runtime links a private copy of
 *                     libgcc_eh's (rtlib/CMakeLists.txt: every symbol local
 *                     but esc_prof_unwind_backtrace and _getip), which finds
 *                     unwind tables with _dl_find_object; a program that
 *                     links libgcc_s or libgcc_eh (C++, -static) uses its
 *                     own.  A build without libgcc_eh.a opens libgcc_s.so.1
 *                     instead, as below.
 *
 * Which programs have frame pointers.  escc does not change the program's
 * code for the profiler: frame pointers are the program's choice
 * (-fno-omit-frame-pointer, or escc --frame-pointers).  The escalloc pass
 * says what it compiled: each object it optimises defines, weakly, one byte
 * escalloc_frame_pointers when every function of the object keeps its frame
 * pointer (in non-leaf functions at least: a leaf is never on a stack the
 * allocator walks) and escalloc_no_frame_pointers otherwise.  auto walks
 * frame pointers when the first is defined and the second is not: one object
 * without them, or none compiled by the pass (-O0, a plain clang or gcc
 * build, a preloaded runtime), sends the process to libgcc's unwinder.
 * Code the pass never saw (a library) is not counted: a frame-pointer
 * program calling into such code can lose those frames, as with fp.
 *
 * A process that never samples pays nothing: nothing is opened at start-up
 * unless libunwind was asked for (then the constructor opens it), and the
 * runtime's references to libgcc_s's unwinder are weak, so libgcc_s is not
 * a dependency of every program (it is there anyway in C++ programs).  With
 * the private copy, no sample opens anything (the first costs a few page
 * faults of its code and the program's unwind tables, about 25 us, where
 * opening libgcc_s cost about 130).  Without it, auto opens libgcc_s at the
 * first sample that needs it, from inside malloc (lazy_open_libgcc says why
 * that is safe); the explicit choices open their library only where dlopen
 * is always safe: from the constructor, from escalloc_set_memprofile_rate
 * and from escalloc_write_heap_profile.  A static executable opens nothing
 * (dlopen there is unusable): it unwinds with libgcc's unwinder when the
 * program or the runtime links it, else by frame pointers.  Where the unwinder asked for is
 * unavailable, a one-line warning says so and samples use frame pointers.
 *
 * The frame-pointer walk reads only the calling thread's stack: from its own
 * frame upwards, each saved frame pointer strictly above the last and below
 * the top of the stack (__libc_stack_end for the main thread, the thread
 * descriptor, which glibc keeps at the top of a thread's stack, for the
 * others), so a bad frame pointer ends the walk instead of faulting.  A
 * sample taken on some other stack (a coroutine's, a signal stack) is unwound
 * with libgcc's unwinder where it is linked (or the runtime's copy), else
 * keeps no frames.
 *
 * Neither DWARF unwinder calls the profiler back: libgcc's needs no memory,
 * and libunwind takes its caches from mmap, for exactly this use (gperftools'
 * heap profiler relies on it).  What allocates is the loader (dlopen) and
 * glibc's thread-local storage (the first libunwind stack of each thread
 * touches libunwind's, which glibc allocates with malloc, once per thread).
 * Those are never sampled: the thread is marked busy (prof_busy), and the
 * allocator is consistent when it samples (the object is handed out; its
 * countdown is re-armed after), so they nest safely.  auto's opening, the
 * only one inside a program's malloc, puts the loader's allocations aside
 * (profile.h); the explicit choices open before main, where they are plain
 * allocations. */
enum unwinder { UNWIND_AUTO, UNWIND_FP, UNWIND_LIBUNWIND, UNWIND_LIBGCC };
static ESC_EARLY _Atomic int unwinder_kind = UNWIND_AUTO;
static ESC_EARLY int (*_Atomic unw_backtrace_fn)(void **, int);
static ESC_EARLY _Unwind_Reason_Code (*_Atomic gcc_backtrace_fn)(_Unwind_Trace_Fn, void *);
static ESC_EARLY uintptr_t (*_Atomic gcc_getip_fn)(struct _Unwind_Context *);
static ESC_EARLY pthread_once_t unwinder_once = PTHREAD_ONCE_INIT;

/* Weak: linked from libgcc_s or libgcc_eh only if the program links them for
 * another reason (C++, or -static's libgcc_eh). */
#pragma weak _Unwind_Backtrace
#pragma weak _Unwind_GetIP
/* Weak, so that a static link does not pull in libc.a's dlopen (and its
 * warning): a static executable never opens a library. */
#pragma weak dlopen
#pragma weak dlsym
/* The main thread's stack top (glibc's ld.so and libc.a define it). */
extern void *__libc_stack_end __attribute__((weak));
/* The loader's state for debuggers (<link.h>): r_state is RT_CONSISTENT
 * except while a library is being mapped or unmapped. */
#pragma weak _r_debug

/* The escalloc pass's markers (above); weak references, defined by the
 * program's objects or nowhere. */
extern const char escalloc_frame_pointers __attribute__((weak));
extern const char escalloc_no_frame_pointers __attribute__((weak));

/* The program was compiled with frame pointers, by its own say. */
static int program_has_frame_pointers(void) {
  return &escalloc_frame_pointers && !&escalloc_no_frame_pointers;
}

/* libunwind's first stack in a thread builds that thread's frame cache (a
 * fresh mmap, about 55 page faults: more than libgcc's unwinder costs for a
 * few stacks).  A thread therefore takes its first ESC_PROF_COLD_SAMPLES
 * samples by frame pointers, and only a thread that keeps sampling (one that
 * lives long enough to amortise the cache) switches to libunwind.  The thread
 * that opened libunwind has its cache already (unw_warm = 1). */
#define ESC_PROF_COLD_SAMPLES 8
static __thread uint32_t unw_warm;

static void say(const char *a, const char *b, const char *c, const char *d);

/* Static executables (-static, -static-pie) have no dynamic loader: dlopen
 * crashes in them, so they never open a library (nor zlib, profwrite.c).
 * And libgcc's unwinder aborts when called during libc's own start-up there,
 * before the constructors run (prof_constructed): samples on a stack that
 * frame pointers cannot walk then get no stack. */
static ESC_EARLY int prof_constructed;

/* Whether the program has a dynamic loader (its headers have PT_INTERP). */
static int has_loader(void) {
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
  unsigned long n = getauxval(AT_PHNUM);
  for (unsigned long i = 0; ph && i < n; i++)
    if (ph[i].p_type == PT_INTERP)
      return 1;
  return 0;
}

int esc_prof_can_dlopen(void) { return &dlopen && &dlsym && has_loader(); }
#define process_is_static() (!has_loader())

static void *esc_prof_dlopen(const char *name) {
  return esc_prof_can_dlopen() ? dlopen(name, RTLD_NOW | RTLD_LOCAL) : NULL;
}

static int open_libunwind(void) {
  void *h = esc_prof_dlopen("libunwind.so.8");
  int (*unw)(void **, int) = h ? (int (*)(void **, int))dlsym(h, "unw_backtrace") : NULL;
  if (!unw)
    return -1;
  /* Touch libunwind's thread-local storage now: glibc allocates it with
   * malloc on a thread's first use, and in the opening thread (the main
   * thread, from the constructor) that allocation belongs before main, not
   * in the middle of the program's statistics at its first sample. */
  void *warm[4];
  unw(warm, 4);
  unw_warm = ESC_PROF_COLD_SAMPLES;
  unw_backtrace_fn = unw;
  return 0;
}

#ifdef ESC_PRIVATE_UNWINDER
/* libgcc's unwinder linked into the runtime (rtlib/CMakeLists.txt): a copy
 * whose other symbols are all local, so it shares nothing with the
 * program's libgcc_s or libgcc_eh. */
_Unwind_Reason_Code esc_prof_unwind_backtrace(_Unwind_Trace_Fn, void *);
uintptr_t esc_prof_unwind_getip(struct _Unwind_Context *);
#endif

/* libgcc's unwinder, from the program's own link when it has it, else the
 * runtime's own copy where the build has one (no dlopen either way), else
 * from libgcc_s.so.1 when `may_open`. */
static int find_libgcc(int may_open) {
  if (gcc_backtrace_fn)
    return 0;
  void *bt = (void *)&_Unwind_Backtrace, *ip = (void *)&_Unwind_GetIP;
#ifdef ESC_PRIVATE_UNWINDER
  (void)may_open;
  if (!bt || !ip) {
    bt = (void *)esc_prof_unwind_backtrace;
    ip = (void *)esc_prof_unwind_getip;
  }
#else
  if (!bt || !ip) {
    void *h = may_open ? esc_prof_dlopen("libgcc_s.so.1") : NULL;
    bt = h ? dlsym(h, "_Unwind_Backtrace") : NULL;
    ip = h ? dlsym(h, "_Unwind_GetIP") : NULL;
    if (!bt || !ip)
      return -1;
  }
#endif
  gcc_getip_fn = (uintptr_t(*)(struct _Unwind_Context *))ip;
  gcc_backtrace_fn = (_Unwind_Reason_Code(*)(_Unwind_Trace_Fn, void *))bt;
  return 0;
}

static int open_libgcc(void) { return find_libgcc(1); }

/* auto's libgcc_s, opened at the first sample that needs it. */
enum { LAZY_CLOSED, LAZY_OPENING, LAZY_OPEN, LAZY_FAILED };
static ESC_EARLY _Atomic int lazy_state;

/* How long a sample waits for another thread's opening of libgcc_s (which
 * takes well under a millisecond) before it goes without a stack. */
#define LAZY_WAIT_NS 100000000

/* lazy_open_libgcc's answer once another thread has opened the library. */
static int lazy_wait_for_opener(void) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int state = atomic_load_explicit(&lazy_state, memory_order_acquire);
    if (state != LAZY_OPENING)
      return state == LAZY_OPEN ? 1 : state == LAZY_FAILED ? -1 : 0;
    sched_yield();
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000000000 + (now.tv_nsec - start.tv_nsec) > LAZY_WAIT_NS)
      return 0;
  }
}

/* Opens libgcc's unwinder from inside malloc, at most once per process.
 * Returns 1 when it is ready, 0 when this sample must go without a stack
 * (try again later), -1 when it cannot be had (use frame pointers).
 *
 * Why dlopen is safe here.  The thread is marked busy, the profiler holds no
 * lock while it unwinds, and the loader's allocations go aside (profile.h):
 * the entry layer sends them to its slow paths, which take them from a
 * region of their own, so they touch neither the heap nor MemStats.  A thread that
 * finds another opening the library waits for it, but not forever
 * (LAZY_WAIT_NS, then the sample goes without a stack): the opener may be
 * waiting for the loader's lock, held by the waiter itself (a library's
 * constructor allocating inside dlopen).  No sample opens while the loader
 * is half-way through mapping or unmapping a library (r_debug's r_state is
 * not RT_CONSISTENT): that may be this thread's own dlopen allocating, and a
 * nested dlopen there would change the loader's lists under its feet; the
 * sample goes without a stack and a later one opens.  Past mapping
 * (relocation, a library's constructors, which may call dlopen themselves)
 * the loader's lock is recursive.  libgcc_s.so.1 is a C library whose
 * loading registers nothing under a libc lock (no atexit, no TLS
 * destructors). */
static int lazy_open_libgcc(void) {
  int state = atomic_load_explicit(&lazy_state, memory_order_acquire);
  if (ESC_LIKELY(state == LAZY_OPEN))
    return 1;
  if (state == LAZY_FAILED)
    return -1;
  if (state == LAZY_OPENING)
    return lazy_wait_for_opener();
  if (&_r_debug && _r_debug.r_state != RT_CONSISTENT)
    return 0;
  if (!prof_constructed && process_is_static())
    return 0; /* inside libc's start-up, where libgcc's unwinder aborts */
  if (!atomic_compare_exchange_strong(&lazy_state, &state, LAZY_OPENING))
    return state == LAZY_OPENING ? lazy_wait_for_opener() : lazy_open_libgcc();
  /* The loader's allocations, from here to the end of the dlopen, go aside. */
  void (*enter)(void) = atomic_load_explicit(&aside_enter, memory_order_relaxed);
  void (*leave)(void) = atomic_load_explicit(&aside_leave, memory_order_relaxed);
  if (enter && leave)
    enter();
  esc_prof_aside = 1;
  int rc = find_libgcc(1);
  esc_prof_aside = 0;
  if (enter && leave)
    leave();
  atomic_store_explicit(&lazy_state, rc == 0 ? LAZY_OPEN : LAZY_FAILED, memory_order_release);
  return rc == 0 ? 1 : -1;
}

/* Reads ESCALLOC_MEMPROFILE_UNWIND and opens what it names, once. */
static void open_unwinder_once(void) {
  const char *want = esc_getenv("ESCALLOC_MEMPROFILE_UNWIND");
  if (!want || !*want || strcmp(want, "auto") == 0)
    return;
  int kind = strcmp(want, "fp") == 0          ? UNWIND_FP
             : strcmp(want, "libunwind") == 0 ? UNWIND_LIBUNWIND
             : strcmp(want, "libgcc") == 0    ? UNWIND_LIBGCC
                                              : -1;
  if (kind < 0) {
    say("invalid ESCALLOC_MEMPROFILE_UNWIND='", want,
        "' (expected auto, fp, libunwind or libgcc); ", "using auto");
    return;
  }
  if (kind != UNWIND_FP &&
      (kind == UNWIND_LIBUNWIND ? open_libunwind() : open_libgcc()) != 0) {
    say("ESCALLOC_MEMPROFILE_UNWIND=", want,
        process_is_static() ? ": cannot load it into a static executable; "
                            : ": the library cannot be loaded; ",
        "using fp");
    kind = UNWIND_FP;
  }
  unwinder_kind = kind;
}

/* Opens the unwinder asked for, once; only from contexts where dlopen is
 * safe. */
static void open_unwinder(void) {
  prof_busy++; /* the loader's allocations are not the program's */
  pthread_once(&unwinder_once, open_unwinder_once);
  prof_busy--;
}

const char *esc_prof_unwinder(void) {
  static const char *const names[] = {"auto", "fp", "libunwind", "libgcc"};
  int kind = unwinder_kind;
  if (kind == UNWIND_AUTO)
    kind = program_has_frame_pointers() || lazy_state == LAZY_FAILED ? UNWIND_FP : UNWIND_LIBGCC;
  return names[kind];
}

#define RAW_FRAMES (ESC_PROF_MAX_STACK + 16) /* room for the profiler's and allocator's frames */

struct unwind_state {
  void **pc;
  int n;
};

static _Unwind_Reason_Code unwind_frame(struct _Unwind_Context *ctx, void *arg) {
  struct unwind_state *s = arg;
  uintptr_t pc = gcc_getip_fn(ctx);
  if (pc == 0)
    return _URC_END_OF_STACK;
  s->pc[s->n] = (void *)pc;
  return ++s->n == RAW_FRAMES ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static int libgcc_backtrace(void **raw) {
  struct unwind_state s = {raw, 0};
  if (find_libgcc(0) != 0) /* linked into the program, or opened already: no dlopen here */
    return 0;
  gcc_backtrace_fn(unwind_frame, &s);
  return s.n;
}

/* A stack this far below its top is not the thread's own. */
#define FP_MAX_STACK ((uintptr_t)1 << 30)

/* The frame-pointer walk, from fp (a frame of the caller) to the top of the
 * thread's stack.  Returns the number of return addresses, or -1 when fp is
 * not on the thread's stack. */
static int fp_backtrace(uintptr_t fp, void **raw) {
  uintptr_t top = (uintptr_t)-1, self = (uintptr_t)pthread_self();
  if (&__libc_stack_end && (uintptr_t)__libc_stack_end > fp)
    top = (uintptr_t)__libc_stack_end;
  if (self > fp && self < top)
    top = self;
  if (top == (uintptr_t)-1 || top - fp > FP_MAX_STACK)
    return -1;
  int n = 0;
  while (n < RAW_FRAMES && fp % sizeof(uintptr_t) == 0 && fp + 2 * sizeof(uintptr_t) <= top) {
    const uintptr_t *frame = (const uintptr_t *)fp; /* {caller's fp, return address} */
    if (!frame[1])
      break;
    raw[n++] = (void *)frame[1];
    if (frame[0] <= fp)
      break;
    fp = frame[0];
  }
  return n;
}

/* Return addresses of the program's frames above the allocation, leaf first.
 * `hook_ret` (see esc_prof_expired) lies inside the allocator function the
 * program called.  That function and everything it called are dropped
 * (0 matches no frame: everything is kept), so the leaf is the program's call
 * into the allocator
 * (the entry points tail-call into it, so they usually have no frame; when
 * one does, say realloc's, the profile's drop_frames names it). */
static inline __attribute__((always_inline)) int capture_stack(uintptr_t *pcs, uintptr_t hook_ret) {
  void *raw[RAW_FRAMES];
  int n = -1;
  switch (unwinder_kind) {
  case UNWIND_AUTO:
    if (!program_has_frame_pointers()) {
      int ready = lazy_open_libgcc();
      n = ready > 0 ? libgcc_backtrace(raw) : ready; /* 0: no stack this time; -1: fp */
    }
    break;
  case UNWIND_LIBUNWIND:
    if (unw_warm >= ESC_PROF_COLD_SAMPLES || ++unw_warm > ESC_PROF_COLD_SAMPLES)
      n = unw_backtrace_fn(raw, RAW_FRAMES);
    break;
  case UNWIND_LIBGCC:
    n = libgcc_backtrace(raw);
    break;
  }
  if (n < 0)
    n = fp_backtrace((uintptr_t)__builtin_frame_address(0), raw);
  if (n < 0)
    n = __builtin_expect(prof_constructed || has_loader(), 1) ? libgcc_backtrace(raw) : 0;
  int i = 0;
  while (i < n && (uintptr_t)raw[i] != hook_ret)
    i++;
  i = i < n ? i + 1 : 0; /* not found (no unwind info?, hook_ret 0): keep everything */
  int k = 0;
  for (; i < n && k < ESC_PROF_MAX_STACK; i++)
    pcs[k++] = (uintptr_t)raw[i];
  return k;
}

/* The bucket hash table: BUCKET_HEADS_FIRST heads from the first chunk on
 * first use, grown to BUCKET_HEADS_MAX (from sysalloc) once there are more
 * buckets than heads. */
#define BUCKET_HEADS_FIRST 128u
#define BUCKET_HEADS_MAX (1u << 14)
static ESC_EARLY struct esc_prof_bucket **bucket_heads;
static ESC_EARLY uint32_t bucket_nheads, bucket_count;
static ESC_EARLY struct esc_prof_bucket *bucket_all;

/* Zeroed memory for a small table from the first chunk: written now, so
 * that its page faults once (a fresh page read first maps the zero page,
 * then faults again at the first write). */
static void *persistent_zalloc(size_t size) {
  void *p = persistent_alloc(size);
  if (p)
    memset(p, 0, size);
  return p;
}

static uint64_t hash_stack(const uintptr_t *pcs, int n, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull ^ size;
  for (int i = 0; i < n; i++) {
    h ^= pcs[i];
    h *= 0x100000001b3ull;
    h ^= h >> 29;
  }
  return h;
}

/* Rehashes every bucket into BUCKET_HEADS_MAX heads; prof_lock held.  On
 * failure the small table stays. */
static void bucket_grow(void) {
  struct esc_prof_bucket **n = esc_prof_sysalloc(BUCKET_HEADS_MAX * sizeof *n);
  if (!n)
    return;
  for (struct esc_prof_bucket *b = bucket_all; b; b = b->all_next) {
    struct esc_prof_bucket **head = &n[b->hash & (BUCKET_HEADS_MAX - 1)];
    b->hash_next = *head;
    *head = b;
  }
  bucket_heads = n; /* the first table stays in the first chunk */
  bucket_nheads = BUCKET_HEADS_MAX;
}

/* Finds or makes the bucket for (stack, size); prof_lock held. */
static struct esc_prof_bucket *bucket_for(const uintptr_t *pcs, int n, uint64_t size) {
  if (!bucket_heads) {
    if (!(bucket_heads = persistent_zalloc(BUCKET_HEADS_FIRST * sizeof *bucket_heads)))
      return NULL;
    bucket_nheads = BUCKET_HEADS_FIRST;
  }
  uint64_t h = hash_stack(pcs, n, size);
  struct esc_prof_bucket **head = &bucket_heads[h & (bucket_nheads - 1)];
  for (struct esc_prof_bucket *b = *head; b; b = b->hash_next)
    if (b->hash == h && b->size == size && b->nstk == (uint32_t)n &&
        memcmp(b->stk, pcs, n * sizeof *pcs) == 0)
      return b;
  struct esc_prof_bucket *b = persistent_alloc(sizeof *b + n * sizeof *pcs);
  if (!b)
    return NULL;
  b->hash = h;
  b->size = size;
  b->nstk = (uint32_t)n;
  memcpy(b->stk, pcs, n * sizeof *pcs);
  b->hash_next = *head;
  *head = b;
  b->all_next = bucket_all;
  bucket_all = b;
  if (++bucket_count > bucket_nheads && bucket_nheads < BUCKET_HEADS_MAX)
    bucket_grow();
  return b;
}

/* --- The live table: sampled object address -> bucket -------------------------
 * Open addressing with linear probing and backward-shift deletion, so there
 * are no tombstones; grown at half load.  Guarded by prof_lock. */
struct live_slot {
  uintptr_t addr; /* 0 = empty */
  struct esc_prof_bucket *b;
};
static ESC_EARLY struct live_slot *live;
static ESC_EARLY size_t live_cap, live_count;

static size_t live_index(uintptr_t a) { return (size_t)((a >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (live_cap - 1); }

/* The first table (LIVE_FIRST_CAP slots) comes from the first chunk, the
 * next ones (LIVE_SYS_CAP slots and more) from sysalloc. */
#define LIVE_FIRST_CAP 128u
#define LIVE_SYS_CAP 4096u

static int live_grow(void) {
  size_t ncap = !live_cap ? LIVE_FIRST_CAP : live_cap < LIVE_SYS_CAP ? LIVE_SYS_CAP : live_cap * 2;
  struct live_slot *n = live_cap ? esc_prof_sysalloc(ncap * sizeof *n) : persistent_zalloc(ncap * sizeof *n);
  struct live_slot *old = live;
  size_t ocap = live_cap;
  if (!n)
    return -1;
  live = n;
  live_cap = ncap;
  for (size_t i = 0; i < ocap; i++)
    if (old[i].addr) {
      size_t j = live_index(old[i].addr);
      while (live[j].addr)
        j = (j + 1) & (live_cap - 1);
      live[j] = old[i];
    }
  if (ocap > LIVE_FIRST_CAP)
    esc_prof_sysfree(old, ocap * sizeof *old);
  return 0;
}

/* Records a as sampled in b.  *old is the bucket of a record the address
 * already had (an object freed without esc_prof_free_slow, which should not
 * happen), now replaced. */
static int live_insert(uintptr_t a, struct esc_prof_bucket *b, struct esc_prof_bucket **old) {
  *old = NULL;
  if ((live_count + 1) * 2 > live_cap && live_grow() != 0)
    return -1;
  size_t i = live_index(a);
  while (live[i].addr && live[i].addr != a)
    i = (i + 1) & (live_cap - 1);
  if (live[i].addr)
    *old = live[i].b;
  else
    live_count++;
  live[i].addr = a;
  live[i].b = b;
  return 0;
}

static struct esc_prof_bucket *live_remove(uintptr_t a) {
  if (!live_cap)
    return NULL;
  size_t i = live_index(a);
  while (live[i].addr != a) {
    if (!live[i].addr)
      return NULL;
    i = (i + 1) & (live_cap - 1);
  }
  struct esc_prof_bucket *b = live[i].b;
  live_count--;
  /* Backward shift: pull later entries of the probe run into the hole unless
   * their home slot lies cyclically after the hole. */
  size_t hole = i, j = i;
  for (;;) {
    j = (j + 1) & (live_cap - 1);
    if (!live[j].addr)
      break;
    size_t home = live_index(live[j].addr);
    if (((j - home) & (live_cap - 1)) >= ((j - hole) & (live_cap - 1))) {
      live[hole] = live[j];
      hole = j;
    }
  }
  live[hole].addr = 0;
  live[hole].b = NULL;
  return b;
}

static void prof_init(void);

/* Adds delta to a span's count of sampled objects; prof_lock held. */
static void span_sampled_add(_Atomic uint32_t *span_sampled, int delta) {
  if (span_sampled)
    atomic_store_explicit(span_sampled, atomic_load_explicit(span_sampled, memory_order_relaxed) + delta,
                          memory_order_relaxed);
}

/* Records one sampled allocation. */
static inline __attribute__((always_inline)) void record_sample(void *p, size_t size,
                                                                _Atomic uint32_t *span_sampled,
                                                                uintptr_t hook_ret) {
  uintptr_t pcs[ESC_PROF_MAX_STACK];
  int n = capture_stack(pcs, hook_ret);
  pthread_mutex_lock(&prof_lock);
  struct esc_prof_bucket *b = bucket_for(pcs, n, size), *old;
  if (b && live_insert((uintptr_t)p, b, &old) == 0) {
    b->allocs++;
    if (old)
      old->frees++; /* the earlier object at p is gone (its slot, so its span's count, is p's) */
    else
      span_sampled_add(span_sampled, +1);
  }
  pthread_mutex_unlock(&prof_lock);
}

__attribute__((noinline)) int64_t esc_prof_expired(void *p, size_t size, size_t unit, uint8_t *on,
                                                   _Atomic uint32_t *span_sampled, uintptr_t hook_ret) {
  /* Allocations the profiler itself causes (atexit's table, the loader's
   * when zlib is opened) are not sampled: the countdown expires again at the
   * next allocation. */
  if (prof_busy)
    return 0;
  prof_busy = 1;
  if (!prof_rand_state) {
    prof_init();
    prof_seed_thread();
  }
  int64_t rate = prof_rate;
  int64_t bytes = next_sample_distance(rate);
  int sample;
  if (*on && rate > 0) {
    sample = 1; /* this allocation is where the countdown's draw fell */
  } else {
    /* A fresh countdown (the thread's first allocation of its kind, a new
     * rate, or the rate was 0): it starts at a random point of the
     * distribution, so this allocation is sampled only if the draw falls
     * inside it, and otherwise counts against the draw. */
    sample = rate > 0 && bytes < (int64_t)size;
    bytes = sample ? 0 : bytes - (int64_t)size;
    if (bytes < 0)
      bytes = 0;
  }
  if (sample)
    bytes = next_sample_distance(rate); /* the next draw starts after p */
  *on = rate > 0;
  if (sample && p)
    record_sample(p, size, span_sampled, hook_ret);
  prof_busy = 0;
  return bytes / (int64_t)(unit ? unit : 1);
}

void esc_prof_free_slow(void *p, _Atomic uint32_t *span_sampled) {
  pthread_mutex_lock(&prof_lock);
  struct esc_prof_bucket *b = live_remove((uintptr_t)p);
  if (b) {
    b->frees++;
    span_sampled_add(span_sampled, -1);
  }
  pthread_mutex_unlock(&prof_lock);
}

long esc_prof_snapshot(struct esc_prof_record **out, size_t *bytes) {
  pthread_mutex_lock(&prof_lock);
  long n = 0;
  for (struct esc_prof_bucket *b = bucket_all; b; b = b->all_next)
    n += b->allocs != 0;
  *bytes = (n ? n : 1) * sizeof **out;
  struct esc_prof_record *r = esc_prof_sysalloc(*bytes);
  if (r) {
    long i = 0;
    for (struct esc_prof_bucket *b = bucket_all; b; b = b->all_next)
      if (b->allocs)
        r[i++] = (struct esc_prof_record){b, b->allocs, b->frees};
  }
  pthread_mutex_unlock(&prof_lock);
  *out = r;
  return r ? n : -1;
}

/* --- Settings, exit and fork ------------------------------------------------------ */

static char exit_path[4096]; /* ESCALLOC_MEMPROFILE; "" = no profile at exit */
/* The process that read it (see write_at_exit), 0 when none did: what every
 * process tests, not exit_path[0], whose .bss page that read would fault in
 * (base.h, ESC_EARLY). */
static ESC_EARLY pid_t exit_pid;
static ESC_EARLY _Atomic int prof_inited;

/* Writes "escalloc: a b c d" and a newline to stderr without allocating. */
static void say(const char *a, const char *b, const char *c, const char *d) {
  const char *parts[] = {"escalloc: ", a, b, c, d, "\n"};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    if (parts[i] && write(2, parts[i], strlen(parts[i]))) {
    }
}

static int write_profile(const char *path);

static void write_at_exit(void) {
  /* Without %p only the process that was started with the variable writes,
   * so a forked child that calls exit() does not overwrite its parent's file. */
  if (!strstr(exit_path, "%p") && getpid() != exit_pid)
    return;
  char path[sizeof exit_path + 32];
  if (esc_expand_pid(exit_path, path, sizeof path) != 0) {
    say("ESCALLOC_MEMPROFILE path too long: ", exit_path, NULL, NULL);
    return;
  }
  if (write_profile(path) != 0)
    say("cannot write the heap profile to ", path, ": ", strerror(errno));
}

void esc_prof_write_on_fatal(void) {
  if (exit_pid)
    write_at_exit();
}

static void prof_atfork_prepare(void) { pthread_mutex_lock(&prof_lock); }
static void prof_atfork_parent(void) { pthread_mutex_unlock(&prof_lock); }
static void prof_atfork_child(void) {
  pthread_mutex_unlock(&prof_lock);
  /* A thread that was opening libgcc_s is not in the child (glibc resets
   * the loader's lock there): the child opens it at its own first sample. */
  int opening = LAZY_OPENING;
  atomic_compare_exchange_strong(&lazy_state, &opening, LAZY_CLOSED);
  /* A new process gets a new random sequence. */
  prof_seed_thread();
}

/* Reads ESCALLOC_MEMPROFILE_RATE (a byte count; 0 = off) and
 * ESCALLOC_MEMPROFILE (a path, %p = pid). */
static void read_settings(void) {
  const char *r = esc_getenv("ESCALLOC_MEMPROFILE_RATE");
  if (r && *r) {
    char *end;
    errno = 0;
    long long v = strtoll(r, &end, 10);
    if (*end || errno || v < 0)
      say("invalid ESCALLOC_MEMPROFILE_RATE='", r, "' (expected a byte count >= 0); ",
          "using the default, 524288");
    else
      prof_rate = v;
  }
  const char *path = esc_getenv("ESCALLOC_MEMPROFILE");
  if (path && *path) {
    if (strlen(path) >= sizeof exit_path) {
      say("ESCALLOC_MEMPROFILE path too long: ", path, NULL, NULL);
    } else {
      strcpy(exit_path, path);
      exit_pid = getpid();
    }
  }
}

static ESC_EARLY esc_once_t prof_once; /* its init reads the environment only */

/* Reads the settings: from the first slow path of any thread or from the
 * constructor, whichever comes first.  Nothing here allocates or takes a
 * libc lock, so it is safe inside any malloc. */
static void prof_init_once(void) {
  read_settings();
  prof_inited = 1;
}

static void prof_init(void) {
  if (!prof_inited)
    esc_once(&prof_once, prof_init_once);
}

/* Before main, so the rate holds from the first allocation the program makes
 * and the exit handler runs after the program's own.  atexit and
 * pthread_atfork are called here, not from inside malloc: both take a libc
 * lock under which libc itself may call malloc. */
__attribute__((constructor)) static void prof_constructor(void) {
  prof_init();
  prof_busy++; /* atexit and pthread_atfork may allocate */
  pthread_atfork(prof_atfork_prepare, prof_atfork_parent, prof_atfork_child);
  if (exit_pid)
    atexit(write_at_exit);
  prof_busy--;
#ifndef ESCALLOC_NO_PROFILE /* without the hooks nothing is ever sampled */
  /* Opens nothing unless ESCALLOC_MEMPROFILE_UNWIND names a library; not
   * called at all without it (pthread_once's futex wake is a system call). */
  const char *want = esc_getenv("ESCALLOC_MEMPROFILE_UNWIND");
  if (prof_rate > 0 && want && *want)
    open_unwinder();
#endif
  prof_constructed = 1;
}

/* --- Public API ------------------------------------------------------------------- */

int64_t esc_prof_set_rate(int64_t rate) {
  if (rate < 0) {
    errno = EINVAL;
    return -1;
  }
  prof_init();
  if (rate > 0)
    open_unwinder();
  int64_t old = prof_rate;
  prof_rate = rate;
  return old;
}

/* Snapshot, then encode and write outside the lock. */
static int write_profile(const char *path) {
  if (!path || !*path) {
    errno = EINVAL;
    return -1;
  }
  prof_init();
  struct esc_prof_record *records;
  size_t bytes;
  prof_busy++;
  long n = esc_prof_snapshot(&records, &bytes);
  int rc = -1;
  if (n < 0)
    errno = ENOMEM;
  else
    rc = esc_prof_write(path, records, n, prof_rate);
  int saved = errno;
  esc_prof_sysfree(records, bytes);
  prof_busy--;
  errno = saved;
  return rc;
}

int escalloc_write_heap_profile(const char *path) {
  open_unwinder(); /* reads ESCALLOC_MEMPROFILE_UNWIND if the constructor did not */
  return write_profile(path);
}
