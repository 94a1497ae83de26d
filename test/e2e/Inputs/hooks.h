// cJSON-style allocation hooks: a global struct of function pointers
// initialised to malloc and free, rewritten by init_hooks, and a counting
// allocator to put in their place.  Included by the e2e hook tests (never
// compiled on its own; needs <stdlib.h>).
typedef struct {
  void *(*allocate)(size_t);
  void (*deallocate)(void *);
} hooks_t;

static hooks_t global_hooks = {malloc, free};

__attribute__((noinline)) void init_hooks(void *(*a)(size_t),
                                          void (*d)(void *)) {
  global_hooks.allocate = a ? a : malloc;
  global_hooks.deallocate = d ? d : free;
}

static long allocs, frees;
static void *count_malloc(size_t n) {
  allocs++;
  return malloc(n);
}
static void count_free(void *p) {
  if (p)
    frees++;
  free(p);
}
