// frameoracle.c — a promotion oracle: how many of a process's heap
// allocations could have lived in a stack frame?
//
// LD_PRELOAD this library into a program built with frame pointers
// (-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer).  It interposes the
// malloc family, and at each allocation records two activations by their
// frame pointer and saved return address: the allocating function's (the
// function that called malloc, after inlining: a physical frame) and its
// caller's.  At each free it walks the frame-pointer chain of the freeing
// thread and asks whether each recorded activation is still on it.
//
//   frame-contained:        freed while the allocating activation is live
//                           (a heap-to-stack promotion could have held it)
//   caller-frame-contained: freed while the caller's activation is live
//                           (destination passing could have held it)
//
// At exit one line per process goes to $ESCALLOC_ORACLE_OUT (appended) or,
// without it, to stderr:
//
//   frameoracle: pid=123 prog=name allocations=N frame=F caller=C unknown=U
//
// Invariants and limits (why the shares are lower bounds):
// - An activation is identified by (frame address, saved return address).
//   Only frames whose return address lies in the main executable count: code
//   without frame pointers (libc's strdup, qsort callbacks) breaks the chain,
//   and such allocations count as neither (`unknown` counts allocations whose
//   allocating frame could not be identified).
// - A free from another thread, or through a chain broken by code without
//   frame pointers, counts as not contained.
// - realloc keeps the original allocation's activations (the object is the
//   same to the program); realloc(NULL, n) is an allocation, realloc(p, 0)
//   a free.
// - Allocations never freed are counted as allocations, contained by nothing.
// The real allocator is glibc's, reached through its __libc_* names, so the
// oracle never recurses into itself.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

// One live allocation: its address and the two activations.
typedef struct {
  uintptr_t ptr;  // 0: empty slot; 1: deleted
  uintptr_t alloc_fp, alloc_ret;
  uintptr_t caller_fp, caller_ret;
  pthread_t thread;
} record_t;

static record_t *table;       // open addressing, linear probing
static size_t table_cap;      // a power of two
static size_t table_used;     // live + deleted
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static uintptr_t exe_lo, exe_hi;  // the main executable's mapped range
static atomic_ulong n_alloc, n_frame, n_caller, n_unknown;

static __thread uintptr_t stack_lo, stack_hi;
// Set while the oracle itself runs on this thread: pthread_getattr_np and
// stdio allocate, and their allocations are the oracle's, not the program's.
static __thread int in_oracle;

static int find_exe(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size, (void)data;
  // The first object is the main executable.
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    if (start < lo) lo = start;
    if (start + ph->p_memsz > hi) hi = start + ph->p_memsz;
  }
  exe_lo = lo, exe_hi = hi;
  return 1;
}

static int in_exe(uintptr_t pc) { return pc >= exe_lo && pc < exe_hi; }

static void thread_stack(void) {
  if (stack_hi) return;
  in_oracle = 1;
  pthread_attr_t attr;
  void *addr;
  size_t size;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      stack_lo = (uintptr_t)addr;
      stack_hi = (uintptr_t)addr + size;
    }
    pthread_attr_destroy(&attr);
  }
  if (!stack_hi) stack_hi = 1;  // unknown: no frame will validate
  in_oracle = 0;
}

static int on_stack(uintptr_t fp) {
  return fp >= stack_lo && fp + 2 * sizeof(uintptr_t) <= stack_hi && !(fp & 7);
}

static size_t hash(uintptr_t p) { return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull); }

static void table_grow(void) {
  size_t cap = table_cap ? table_cap * 2 : 1 << 16;
  record_t *t = mmap(NULL, cap * sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (t == MAP_FAILED) abort();
  size_t used = 0;
  for (size_t i = 0; i < table_cap; i++) {
    if (table[i].ptr <= 1) continue;
    size_t j = hash(table[i].ptr) & (cap - 1);
    while (t[j].ptr) j = (j + 1) & (cap - 1);
    t[j] = table[i];
    used++;
  }
  if (table) munmap(table, table_cap * sizeof *table);
  table = t, table_cap = cap, table_used = used;
}

static record_t *table_find(uintptr_t p) {
  if (!table_cap) return NULL;
  for (size_t j = hash(p) & (table_cap - 1);; j = (j + 1) & (table_cap - 1)) {
    if (table[j].ptr == p) return &table[j];
    if (!table[j].ptr) return NULL;
  }
}

static void table_insert(const record_t *r) {
  if ((table_used + 1) * 2 > table_cap) table_grow();
  size_t j = hash(r->ptr) & (table_cap - 1);
  while (table[j].ptr > 1 && table[j].ptr != r->ptr) j = (j + 1) & (table_cap - 1);
  if (!table[j].ptr) table_used++;
  table[j] = *r;
}

// Records the activations above `fp`, the frame of the interposed function
// the program called.
__attribute__((noinline)) static void note_alloc(void *ptr, uintptr_t *fp) {
  if (!ptr || in_oracle) return;
  atomic_fetch_add_explicit(&n_alloc, 1, memory_order_relaxed);
  thread_stack();
  record_t r = {.ptr = (uintptr_t)ptr, .thread = pthread_self()};
  uintptr_t ret = fp[1];
  uintptr_t alloc_fp = fp[0];
  if (in_exe(ret) && on_stack(alloc_fp) && alloc_fp > (uintptr_t)fp) {
    const uintptr_t *a = (const uintptr_t *)alloc_fp;
    r.alloc_fp = alloc_fp, r.alloc_ret = a[1];
    if (in_exe(a[1]) && on_stack(a[0]) && a[0] > alloc_fp) {
      const uintptr_t *c = (const uintptr_t *)a[0];
      r.caller_fp = a[0], r.caller_ret = c[1];
    }
  } else {
    atomic_fetch_add_explicit(&n_unknown, 1, memory_order_relaxed);
  }
  pthread_mutex_lock(&table_lock);
  table_insert(&r);
  pthread_mutex_unlock(&table_lock);
}

// Is the activation (fp, ret) on the chain that starts at `from`?
static int live(uintptr_t from, uintptr_t fp, uintptr_t ret) {
  if (!fp) return 0;
  for (uintptr_t f = from; on_stack(f); ) {
    const uintptr_t *w = (const uintptr_t *)f;
    if (f == fp) return w[1] == ret;
    if (f > fp || w[0] <= f) return 0;
    f = w[0];
  }
  return 0;
}

__attribute__((noinline)) static void note_free(void *ptr, uintptr_t *fp) {
  if (!ptr || in_oracle) return;
  pthread_mutex_lock(&table_lock);
  record_t *found = table_find((uintptr_t)ptr);
  record_t r = {0};
  if (found) r = *found, found->ptr = 1;
  pthread_mutex_unlock(&table_lock);
  if (!found || !pthread_equal(r.thread, pthread_self())) return;
  thread_stack();
  uintptr_t from = (uintptr_t)fp;
  if (live(from, r.alloc_fp, r.alloc_ret))
    atomic_fetch_add_explicit(&n_frame, 1, memory_order_relaxed);
  if (live(from, r.caller_fp, r.caller_ret))
    atomic_fetch_add_explicit(&n_caller, 1, memory_order_relaxed);
}

#define FRAME() ((uintptr_t *)__builtin_frame_address(0))

__attribute__((noinline)) void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  note_alloc(p, FRAME());
  return p;
}

__attribute__((noinline)) void *calloc(size_t n, size_t size) {
  void *p = __libc_calloc(n, size);
  note_alloc(p, FRAME());
  return p;
}

__attribute__((noinline)) void *realloc(void *old, size_t n) {
  if (!old) {
    void *p = __libc_realloc(NULL, n);
    note_alloc(p, FRAME());
    return p;
  }
  if (n == 0) {
    note_free(old, FRAME());
    return __libc_realloc(old, 0);
  }
  void *p = __libc_realloc(old, n);
  if (p && p != old) {  // same object, new address: move its record
    pthread_mutex_lock(&table_lock);
    record_t *r = table_find((uintptr_t)old);
    if (r) {
      record_t moved = *r;
      r->ptr = 1;
      moved.ptr = (uintptr_t)p;
      table_insert(&moved);
    }
    pthread_mutex_unlock(&table_lock);
  }
  return p;
}

__attribute__((noinline)) void free(void *p) {
  note_free(p, FRAME());
  __libc_free(p);
}

__attribute__((noinline)) void *memalign(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  note_alloc(p, FRAME());
  return p;
}

__attribute__((noinline)) void *aligned_alloc(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  note_alloc(p, FRAME());
  return p;
}

__attribute__((noinline)) int posix_memalign(void **out, size_t align, size_t n) {
  if (align < sizeof(void *) || (align & (align - 1))) return 22;  // EINVAL
  void *p = __libc_memalign(align, n);
  if (!p) return 12;  // ENOMEM
  note_alloc(p, FRAME());
  *out = p;
  return 0;
}

static void report(void) {
  in_oracle = 1;
  char prog[256] = "?";
  ssize_t k = readlink("/proc/self/exe", prog, sizeof prog - 1);
  if (k > 0) prog[k] = 0;
  const char *base = strrchr(prog, '/');
  base = base ? base + 1 : prog;
  char line[512];
  int len = snprintf(line, sizeof line,
                     "frameoracle: pid=%d prog=%s allocations=%lu frame=%lu caller=%lu unknown=%lu\n",
                     (int)getpid(), base, atomic_load(&n_alloc), atomic_load(&n_frame),
                     atomic_load(&n_caller), atomic_load(&n_unknown));
  const char *out = getenv("ESCALLOC_ORACLE_OUT");
  FILE *f = out && *out ? fopen(out, "a") : NULL;
  if (f) {
    fputs(line, f);
    fclose(f);
  } else if (len > 0) {
    ssize_t unused = write(2, line, (size_t)len);
    (void)unused;
  }
}

__attribute__((constructor)) static void oracle_init(void) {
  dl_iterate_phdr(find_exe, NULL);
  atexit(report);
}
