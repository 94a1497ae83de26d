/*
 * mksizeclasses.c — generates rtlib/sizeclasses.h, the size-class tables that
 * the runtime and the pass share (one source of truth for both).
 *
 * The algorithm is Go's (src/runtime/mksizeclasses.go), rewritten in C:
 *   1. Walk sizes in alignment steps (8, then 16 from 32, then size/8 from 128,
 *      then 256 from 2048), bumping the step at powers of two.
 *   2. For each size pick the smallest run of 8 KiB pages whose tail waste is
 *      at most 1/8 of the run.
 *   3. Merge a size into the previous class when both use the same pages and
 *      hold the same number of objects (keep the larger size).
 *   4. Grow each class to the largest multiple of 128 that keeps its object
 *      count in the same pages.
 *   5. Check that n / size is (n * (~0u / size + 1)) >> 32 for every offset n
 *      in the span (the "division magic" used for object indexes).
 * Steps 1-4 fix the classes (sizes) and Go's pages per span; the runtime's
 * spans are then chosen for explicit free (span_pages_for):
 *   6. At least Go's pages, at least MIN_SPAN_OBJS objects or MIN_SPAN_BYTES
 *      bytes (whichever is less), and tail waste at most 1/8 of the span, with
 *      the fewest pages that meet all three.
 *    Go's spans hold as few as 1..14 objects of 576..32768 bytes: fine for a
 *    collector that sweeps a span at once, but with explicit free a thread
 *    that runs through such a span refills every few allocations (larson:
 *    28% of mallocs refilled, 0.7 refills per malloc at 896 and 1024 bytes).
 *    mimalloc's small pages are 64 KiB for the same reason.
 *
 * Usage:
 *   mksizeclasses            write the C/C++ header to stdout
 *   mksizeclasses --tsv      write the table in the layout of
 *                            shared/reference/go-sizeclasses.tsv (data rows)
 *
 * Deviations from Go, both deliberate and documented in the header:
 *   - a request of 0 bytes maps to class 1 (malloc(0) returns a unique
 *     pointer; Go returns a shared zero-size base instead);
 *   - escalloc_size_class() honours the alignment contract of abi.h: the
 *     8-aligned 24-byte class serves only ESCALLOC_ALIGN8 requests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
  MAX_SMALL_SIZE = 32 << 10,
  SMALL_SIZE_DIV = 8,
  SMALL_SIZE_MAX = 1024,
  LARGE_SIZE_DIV = 128,
  PAGE_SHIFT = 13,
  PAGE_SIZE = 1 << PAGE_SHIFT,
  NUM_CLASSES = 68, /* Go's count; a change in the algorithm must be noticed */
  MIN_SPAN_OBJS = 64,
  MIN_SPAN_BYTES = 64 << 10,
};

/* Step 6: the runtime's pages per span for objects of `size` bytes whose Go
 * span has `go_pages` pages. */
static int span_pages_for(int size, int go_pages) {
  int want = MIN_SPAN_OBJS * size < MIN_SPAN_BYTES ? MIN_SPAN_OBJS * size : MIN_SPAN_BYTES;
  int npages = (want + PAGE_SIZE - 1) / PAGE_SIZE;
  if (npages < go_pages)
    npages = go_pages;
  while ((npages * PAGE_SIZE) % size > npages * PAGE_SIZE / 8)
    npages++;
  return npages;
}

struct sizeclass {
  int size;   /* object size in bytes */
  int npages; /* pages per span in Go (chosen for a sweeping collector) */
  int span_pages; /* pages per span in escalloc (chosen for explicit free) */
};

static int is_pow2(int x) { return x != 0 && (x & (x - 1)) == 0; }

static void die(const char *msg) {
  fprintf(stderr, "mksizeclasses: %s\n", msg);
  exit(1);
}

/* Steps 1-4; returns the number of classes (class 0 is the large-object dummy). */
static int make_classes(struct sizeclass *c, int cap) {
  int n = 0;
  c[n++] = (struct sizeclass){0, 0};
  int align = 8;
  for (int size = align; size <= MAX_SMALL_SIZE; size += align) {
    if (is_pow2(size)) {
      if (size >= 2048)
        align = 256;
      else if (size >= 128)
        align = size / 8;
      else if (size >= 32)
        align = 16;
    }
    if (!is_pow2(align))
      die("alignment step is not a power of two");

    int allocsize = PAGE_SIZE;
    while (allocsize % size > allocsize / 8)
      allocsize += PAGE_SIZE;
    int npages = allocsize / PAGE_SIZE;

    if (n > 1 && npages == c[n - 1].npages && allocsize / size == allocsize / c[n - 1].size) {
      c[n - 1].size = size;
      continue;
    }
    if (n == cap)
      die("too many size classes");
    c[n++] = (struct sizeclass){size, npages};
  }

  for (int i = 1; i < n; i++) {
    int span = c[i].npages * PAGE_SIZE;
    int grown = (span / (span / c[i].size)) & ~(LARGE_SIZE_DIV - 1);
    if (grown > c[i].size)
      c[i].size = grown;
  }
  for (int i = 1; i < n; i++)
    c[i].span_pages = span_pages_for(c[i].size, c[i].npages);
  return n;
}

/* Step 5: the 32-bit reciprocal must divide exactly over the whole span. */
static uint32_t div_magic(const struct sizeclass *c) {
  if (c->size == 0)
    return 0;
  uint32_t m = UINT32_MAX / (uint32_t)c->size + 1;
  uint32_t max = (uint32_t)c->span_pages * PAGE_SIZE;
  for (uint32_t x = 0; x <= max; x++)
    if ((uint32_t)(((uint64_t)x * m) >> 32) != x / (uint32_t)c->size) {
      fprintf(stderr, "mksizeclasses: size %d: magic %" PRIu32 " wrong at %" PRIu32 "\n",
              c->size, m, x);
      exit(1);
    }
  return m;
}

static int trailing_zeros(unsigned x) { return x ? __builtin_ctz(x) : 0; }

static int min_align(int size) {
  int bits = trailing_zeros((unsigned)size);
  return 1 << (bits > PAGE_SHIFT ? PAGE_SHIFT : bits);
}

static void print_tsv(const struct sizeclass *c, int n) {
  int prev = 0;
  for (int i = 1; i < n; i++) {
    int span = c[i].npages * PAGE_SIZE;
    int objs = span / c[i].size;
    int tail = span - objs * c[i].size;
    double max_waste = (double)((c[i].size - prev - 1) * objs + tail) / span;
    printf("%d\t%d\t%d\t%d\t%d\t%.2f%%\t%d\n", i, c[i].size, span, objs, tail, 100 * max_waste,
           min_align(c[i].size));
    prev = c[i].size;
  }
}

/* The smallest class (from 1: a 0-byte request still gets a slot) whose size
 * is at least `size`. */
static int class_for(const struct sizeclass *c, int n, int size) {
  for (int j = 1; j < n; j++)
    if (c[j].size >= size)
      return j;
  die("no class for size");
  return 0;
}

static void print_array(const char *type, const char *name, const char *dim, const int *v,
                        int len) {
  printf("static const %s %s[%s] = {", type, name, dim);
  for (int i = 0; i < len; i++)
    printf("%s%d,", i % 12 ? " " : "\n    ", v[i]);
  printf("\n};\n\n");
}

static void print_header(const struct sizeclass *c, int n) {
  int v[MAX_SMALL_SIZE / LARGE_SIZE_DIV + 1];
  int align8_class = 0; /* the class that breaks the 16-byte contract */
  for (int i = 1; i < n; i++)
    if (c[i].size > 8 && c[i].size % 16 != 0) {
      if (align8_class)
        die("more than one 8-aligned class above 8 bytes");
      align8_class = i;
    }
  if (!align8_class || align8_class + 1 >= n)
    die("expected exactly one 8-aligned class above 8 bytes");

  printf("/* generated by tools/mksizeclasses.c; do not edit. */\n");
  printf("/*\n * rtlib/sizeclasses.h — Go's malloc size classes, shared by the runtime and\n"
         " * the pass (C11 and C++17).  Regenerate with:\n"
         " *   build/bin/mksizeclasses > rtlib/sizeclasses.h\n *\n");
  printf(" * Sizes are Go's; pages per span are chosen for explicit free (at least\n"
         " * %d objects or %d KiB, tail waste at most 1/8; Go's span in the third\n"
         " * column): see tools/mksizeclasses.c.\n *\n", MIN_SPAN_OBJS, MIN_SPAN_BYTES >> 10);
  printf(" * class  bytes/obj  Go span  bytes/span  objects  tail waste  max waste  min align\n");
  int prev = 0;
  for (int i = 1; i < n; i++) {
    int span = c[i].span_pages * PAGE_SIZE;
    int objs = span / c[i].size;
    int tail = span - objs * c[i].size;
    double max_waste = (double)((c[i].size - prev - 1) * objs + tail) / span;
    printf(" * %5d  %9d  %7d  %10d  %7d  %10d  %8.2f%%  %9d\n", i, c[i].size, c[i].npages * PAGE_SIZE,
           span, objs, tail, 100 * max_waste, min_align(c[i].size));
    prev = c[i].size;
  }
  printf(" */\n#ifndef ESCALLOC_SIZECLASSES_H\n#define ESCALLOC_SIZECLASSES_H\n\n");
  printf("#include <stddef.h>\n#include <stdint.h>\n\n#include \"escalloc/abi.h\"\n\n");
  printf("#define ESCALLOC_NUM_CLASSES %d\n", n);
  printf("#define ESCALLOC_PAGE_SHIFT %d\n", PAGE_SHIFT);
  printf("#define ESCALLOC_SMALL_SIZE_DIV %d\n", SMALL_SIZE_DIV);
  printf("#define ESCALLOC_SMALL_SIZE_MAX %d\n", SMALL_SIZE_MAX);
  printf("#define ESCALLOC_LARGE_SIZE_DIV %d\n", LARGE_SIZE_DIV);
  printf("/* Largest pages-per-span of any class. */\n");
  int maxp = 0;
  for (int i = 1; i < n; i++)
    if (c[i].span_pages > maxp)
      maxp = c[i].span_pages;
  printf("#define ESCALLOC_MAX_CLASS_PAGES %d\n", maxp);
  printf("/* The only class above 8 bytes whose slots are not 16-aligned; it serves\n"
         " * ESCALLOC_ALIGN8 requests only (see abi.h's alignment contract). */\n");
  printf("#define ESCALLOC_ALIGN8_CLASS %d\n\n", align8_class);
  printf("#if ESCALLOC_PAGE_SIZE != %d || ESCALLOC_MAX_SMALL_SIZE != %d\n"
         "#error \"sizeclasses.h does not match escalloc/abi.h\"\n#endif\n\n",
         PAGE_SIZE, MAX_SMALL_SIZE);

  for (int i = 0; i < n; i++)
    v[i] = c[i].size;
  print_array("uint16_t", "escalloc_class_to_size", "ESCALLOC_NUM_CLASSES", v, n);
  for (int i = 0; i < n; i++)
    v[i] = c[i].span_pages;
  print_array("uint8_t", "escalloc_class_to_npages", "ESCALLOC_NUM_CLASSES", v, n);
  for (int i = 0; i < n; i++)
    v[i] = c[i].size ? c[i].span_pages * PAGE_SIZE / c[i].size : 0;
  print_array("uint16_t", "escalloc_class_to_nobjs", "ESCALLOC_NUM_CLASSES", v, n);

  printf("/* n / size == (n * magic) >> 32 for every offset n within a span. */\n");
  printf("static const uint32_t escalloc_class_to_divmagic[ESCALLOC_NUM_CLASSES] = {");
  for (int i = 0; i < n; i++)
    printf("%s%" PRIu32 "u,", i % 6 ? " " : "\n    ", div_magic(&c[i]));
  printf("\n};\n\n");

  int n8 = SMALL_SIZE_MAX / SMALL_SIZE_DIV + 1;
  for (int i = 0; i < n8; i++)
    v[i] = class_for(c, n, i * SMALL_SIZE_DIV);
  printf("/* Class of a request of up to %d bytes, indexed by ceil(size / %d). */\n",
         SMALL_SIZE_MAX, SMALL_SIZE_DIV);
  print_array("uint8_t", "escalloc_size_to_class8", "ESCALLOC_SMALL_SIZE_MAX / ESCALLOC_SMALL_SIZE_DIV + 1", v, n8);
  for (int i = 0; i < n8; i++)
    v[i] += v[i] == align8_class;
  printf("/* The same for callers without ESCALLOC_ALIGN8 (malloc's 16-byte contract):\n"
         " * the 8-aligned class is replaced by the next, so the fast path needs no test. */\n");
  print_array("uint8_t", "escalloc_size_to_class8_a16", "ESCALLOC_SMALL_SIZE_MAX / ESCALLOC_SMALL_SIZE_DIV + 1", v, n8);
  for (int i = 0; i < n8; i++)
    v[i] *= 2;
  printf("/* The same as span classes (class << 1, objects that may hold pointers):\n"
         " * malloc's fast path indexes the thread's spans with it directly. */\n");
  print_array("uint8_t", "escalloc_size_to_spc8_a16", "ESCALLOC_SMALL_SIZE_MAX / ESCALLOC_SMALL_SIZE_DIV + 1", v, n8);
  int n128 = (MAX_SMALL_SIZE - SMALL_SIZE_MAX) / LARGE_SIZE_DIV + 1;
  for (int i = 0; i < n128; i++)
    v[i] = class_for(c, n, SMALL_SIZE_MAX + i * LARGE_SIZE_DIV);
  printf("/* Class of a larger small request, indexed by ceil((size - %d) / %d). */\n",
         SMALL_SIZE_MAX, LARGE_SIZE_DIV);
  print_array("uint8_t", "escalloc_size_to_class128",
              "(ESCALLOC_MAX_SMALL_SIZE - ESCALLOC_SMALL_SIZE_MAX) / ESCALLOC_LARGE_SIZE_DIV + 1", v, n128);

  printf(
      "/* The size class the runtime uses for a request of `size` bytes with abi.h\n"
      " * `flags`: 1..ESCALLOC_NUM_CLASSES-1, or 0 for a large object (size >\n"
      " * ESCALLOC_MAX_SMALL_SIZE).  0 bytes get class 1 (a unique pointer).  Without\n"
      " * ESCALLOC_ALIGN8 a request above 8 bytes never gets the 8-aligned class.\n"
      " * Tiny objects (ESCALLOC_NOSCAN, size < ESCALLOC_TINY_SIZE) still get a class\n"
      " * here; the runtime packs them into tiny blocks whatever class it is given. */\n"
      "static inline uint32_t escalloc_size_class(size_t size, uint32_t flags) {\n"
      "  uint32_t c;\n"
      "  if (size <= ESCALLOC_SMALL_SIZE_MAX)\n"
      "    c = escalloc_size_to_class8[(size + ESCALLOC_SMALL_SIZE_DIV - 1) / ESCALLOC_SMALL_SIZE_DIV];\n"
      "  else if (size <= ESCALLOC_MAX_SMALL_SIZE)\n"
      "    c = escalloc_size_to_class128[(size - ESCALLOC_SMALL_SIZE_MAX + ESCALLOC_LARGE_SIZE_DIV - 1) /\n"
      "                                  ESCALLOC_LARGE_SIZE_DIV];\n"
      "  else\n"
      "    return 0;\n"
      "  if (c == ESCALLOC_ALIGN8_CLASS && !(flags & ESCALLOC_ALIGN8))\n"
      "    c++;\n"
      "  return c;\n"
      "}\n\n#endif /* ESCALLOC_SIZECLASSES_H */\n");
}

int main(int argc, char **argv) {
  struct sizeclass c[128];
  int n = make_classes(c, 128);
  if (n != NUM_CLASSES)
    die("number of size classes has changed");
  if (argc == 2 && strcmp(argv[1], "--tsv") == 0) {
    print_tsv(c, n);
    return 0;
  }
  if (argc != 1) {
    fprintf(stderr, "usage: mksizeclasses [--tsv]\n");
    return 2;
  }
  print_header(c, n);
  return 0;
}
