// Growable buffers (issue 12 §3): `buf = malloc(16); ... buf = realloc(buf,
// cap *= 2); ... free(buf)` starts in a stack slot, grows in place while the
// new size fits the slot and moves to the heap beyond.  Growth far past the
// slot, realloc to a smaller size, realloc(p, 0), realloc failure (NULL, the
// old buffer kept) and many iterations under an 8 MiB stack: the output
// must equal plain clang's at every level, with and without LTO.
// RUN: %escc -O2 -Rpass=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %escc -O2 -m %s -o %t.m 2>&1 | FileCheck %s --check-prefix=M
// M-NOT: escalloc.grow
// M-NOT: realloc({{.*}}) escapes
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected
// RUN: %run %t > %t.out && diff %t.expected %t.out
// RUN: %escc -O1 %s -o %t1 && %run %t1 | diff %t.expected -
// RUN: %escc -O3 %s -o %t3 && %run %t3 | diff %t.expected -
// RUN: %escc -Os %s -o %ts && %run %ts | diff %t.expected -
// RUN: %escc -O2 -flto %s -o %tl && %run %tl | diff %t.expected -
// RUN: %escc -Os -flto=thin %s -o %tt && %run %tt | diff %t.expected -
// RUN: %escc -O2 -mllvm -escalloc-grow-slot=256 %s -o %tg && %run %tg | diff %t.expected -
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t huge = SIZE_MAX / 2; // realloc must fail on it

// The classic append loop: grows by doubling from 16 bytes.
__attribute__((noinline)) unsigned long append(unsigned n) {
  size_t cap = 16, len = 0;
  // REMARK: grow-buffer.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) moved to stack when the stack has room; grows on the stack up to 16 bytes, then moves to the heap
  char *buf = malloc(cap);
  if (!buf)
    return 0;
  for (unsigned i = 0; i < n; i++) {
    if (len == cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        return 0;
      }
      buf = nb;
    }
    buf[len++] = (char)('a' + i % 26);
  }
  unsigned long h = 5381;
  for (size_t i = 0; i < len; i++)
    h = h * 33 + (unsigned char)buf[i];
  free(buf);
  return h ^ len;
}

// Shrink in place, grow past the slot, fail (old kept), free.
__attribute__((noinline)) void shrink_grow_fail(int k) {
  // REMARK: grow-buffer.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(64) moved to stack when the stack has room; grows on the stack up to 64 bytes, then moves to the heap
  char *p = malloc(64);
  if (!p)
    return;
  for (int i = 0; i < 64; i++)
    p[i] = (char)('A' + (i + k) % 26);
  char *q = realloc(p, 8); // smaller: in place
  if (!q) {
    free(p);
    return;
  }
  printf("shrunk: %.8s\n", q);
  char *r = realloc(q, 4000 + (size_t)k); // far past the slot
  if (!r) {
    free(q);
    return;
  }
  memset(r + 8, 'z', 3992);
  printf("grown: %.8s %c %c\n", r, r[100], r[3999]);
  char *s = realloc(r, huge); // fails: r stays valid
  printf("huge: %s, kept: %.8s\n", s ? "allocated" : "failed", r);
  free(s ? s : r);
}

// realloc(p, 0) of a buffer still in its slot and of one on the heap.
__attribute__((noinline)) void to_zero(size_t first) {
  // REMARK: grow-buffer.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(32) moved to stack when the stack has room; grows on the stack up to 32 bytes, then moves to the heap
  char *p = malloc(32);
  if (!p)
    return;
  strcpy(p, "slot");
  if (first > 32) {
    char *q = realloc(p, first);
    if (!q) {
      free(p);
      return;
    }
    p = q;
  }
  char *z = realloc(p, 0);
  printf("zero after %zu: %s\n", first, z ? "object" : "null");
  free(z);
}

// A non-constant first size (the run-time fallback's slot), grown in a loop
// that allocates a new buffer each iteration: one slot for every iteration.
__attribute__((noinline)) unsigned long per_iteration(unsigned rounds, size_t first) {
  unsigned long total = 0;
  for (unsigned r = 0; r < rounds; r++) {
    size_t cap = first + r % 3;
    // REMARK: grow-buffer.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc({{.*}}) moved to stack when its size fits 64 bytes and the stack has room; grows on the stack up to 64 bytes, then moves to the heap
    unsigned *v = malloc(cap * sizeof *v);
    if (!v)
      return 0;
    size_t len = 0;
    for (unsigned i = 0; i < r % 97; i++) {
      if (len == cap) {
        unsigned *nv = realloc(v, (cap += cap / 2 + 1) * sizeof *v);
        if (!nv) {
          free(v);
          return 0;
        }
        v = nv;
      }
      v[len++] = i * r;
    }
    for (size_t i = 0; i < len; i++)
      total += v[i];
    free(v);
  }
  return total;
}

// A string builder in a struct on the stack, grown by an inlined push (its
// reallocs laid out before the loop values they reallocate).
struct sb { char *p; size_t len, cap; };
static void sb_push(struct sb *b, char c) {
  if (b->len == b->cap) {
    b->cap *= 2;
    char *q = realloc(b->p, b->cap);
    if (!q)
      abort();
    b->p = q;
  }
  b->p[b->len++] = c;
}
static void sb_puts(struct sb *b, const char *s) {
  while (*s)
    sb_push(b, *s++);
}
__attribute__((noinline)) int join(int n, char **v) {
  // REMARK: grow-buffer.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(8) moved to stack when the stack has room; grows on the stack up to 8 bytes, then moves to the heap; 3 reallocs and 1 free guarded
  struct sb b = {malloc(8), 0, 8};
  if (!b.p)
    return -1;
  for (int i = 0; i < n; i++) {
    sb_puts(&b, v[i]);
    sb_push(&b, ',');
  }
  sb_push(&b, 0);
  int r = printf("joined: %s\n", b.p);
  free(b.p);
  return r;
}

int main(int argc, char **argv) {
  (void)argv;
  char *words[] = {"a", "bb", "a much longer word than the slot holds", "", "z"};
  printf("join = %d\n", join(5, words));
  printf("join = %d\n", join(argc, words));
  unsigned sizes[] = {0, 1, 15, 16, 17, 33, 1000, 1u << 20};
  for (unsigned k = 0; k < sizeof sizes / sizeof *sizes; k++)
    printf("append(%u) = %lu\n", sizes[k], append(sizes[k] / (unsigned)argc));
  unsigned long many = 0;
  for (unsigned i = 0; i < 200000; i++)
    many += append(i % 64);
  printf("many = %lu\n", many);
  shrink_grow_fail(argc);
  to_zero(0);
  to_zero(100 * (size_t)argc);
  printf("per_iteration = %lu\n", per_iteration(100000, (size_t)argc));
  printf("per_iteration(20) = %lu\n", per_iteration(1000, 20 * (size_t)argc));
  return 0;
}
