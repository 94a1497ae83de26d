// Go's move2heap (issue 12 §3): a growable buffer whose only escape is one
// return is built on the stack and copied to the heap at that return when it
// is still in its slot.  The shapes C code returns built strings in:
// read_all(FILE *), a strbuf builder, join(), each with error paths that
// free the buffer, growth past the slot before the return, a shrink in the
// slot before it, realloc failure, and many calls under an 8 MiB stack.  The
// caller frees (or reallocs) every result: a stack address there would
// crash.  Output equal to plain clang's at every level, with and without
// LTO, and with the rule off.
// RUN: %escc -O2 -g -Rpass=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %clang -O0 %s -o %t.ref && %t.ref > %t.expected
// RUN: %run %t > %t.out && diff %t.expected %t.out
// RUN: %escc -O1 %s -o %t1 && %run %t1 | diff %t.expected -
// RUN: %escc -O3 %s -o %t3 && %run %t3 | diff %t.expected -
// RUN: %escc -Os %s -o %ts && %run %ts | diff %t.expected -
// RUN: %escc -O2 -flto %s -o %tl && %run %tl | diff %t.expected -
// RUN: %escc -Os -flto=thin %s -o %tt && %run %tt | diff %t.expected -
// RUN: %escc -O2 -mllvm -escalloc-grow-slot=256 %s -o %tg && %run %tg | diff %t.expected -
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %tn && %run %tn | diff %t.expected -
// RUN: %escc -O2 -mllvm -escalloc-move2heap=false -Rpass-missed=escalloc %s -o %to 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OFF
// RUN: %run %to | diff %t.expected -
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile size_t huge = SIZE_MAX / 2; // realloc must fail on it

// read_all: grows by doubling while reading, returns the text.
__attribute__((noinline)) char *read_all(FILE *f) {
  size_t cap = 16, len = 0;
  // REMARK: move2heap.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(16) built on the stack when the stack has room, moved to heap at return (line [[@LINE+18]]); grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
  // OFF: move2heap.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(16) escapes to heap: returned from read_all
  char *buf = malloc(cap);
  if (!buf)
    return NULL;
  int c;
  while ((c = fgetc(f)) != EOF) {
    if (len + 1 >= cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
    }
    buf[len++] = (char)c;
  }
  buf[len] = 0;
  return buf;
}

// A strbuf builder (inlined helpers) returning its string, or NULL (the
// buffer freed) when asked to fail half way.
struct strbuf { char *p; size_t len, cap; };
static int sb_grow(struct strbuf *b, size_t need) {
  if (b->len + need <= b->cap)
    return 0;
  size_t cap = b->cap;
  while (cap < b->len + need)
    cap = cap * 2 + 1;
  char *q = realloc(b->p, cap);
  if (!q)
    return -1;
  b->p = q;
  b->cap = cap;
  return 0;
}
static int sb_add(struct strbuf *b, const char *s) {
  size_t n = strlen(s);
  if (sb_grow(b, n + 1))
    return -1;
  memcpy(b->p + b->len, s, n + 1);
  b->len += n;
  return 0;
}
__attribute__((noinline)) char *number_list(unsigned n, int fail_at) {
  // REMARK: move2heap.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(8) built on the stack when the stack has room, moved to heap at return (line {{[0-9]+}})
  struct strbuf b = {malloc(8), 0, 8};
  if (!b.p)
    return NULL;
  b.p[0] = 0;
  for (unsigned i = 0; i < n; i++) {
    char num[32];
    snprintf(num, sizeof num, i ? ",%u" : "%u", i * 7);
    if ((int)i == fail_at || sb_add(&b, num)) {
      free(b.p);
      return NULL;
    }
  }
  // Shrink to fit: in place while in the slot (the copy takes len + 1).
  char *fit = realloc(b.p, b.len + 1);
  if (!fit)
    return b.p;
  return fit;
}

// join: the words with a separator, grown by exact sizes.
__attribute__((noinline)) char *join(int n, char **v, const char *sep) {
  size_t len = 0, slen = strlen(sep);
  // REMARK: move2heap.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(1) built on the stack when the stack has room, moved to heap at return (line {{[0-9]+}})
  char *out = malloc(1);
  if (!out)
    return NULL;
  out[0] = 0;
  for (int i = 0; i < n; i++) {
    size_t w = strlen(v[i]) + (i ? slen : 0);
    char *q = realloc(out, len + w + 1);
    if (!q) {
      free(out);
      return NULL;
    }
    out = q;
    if (i)
      memcpy(out + len, sep, slen);
    strcpy(out + len + (i ? slen : 0), v[i]);
    len += w;
  }
  return out;
}

// Growth that fails: the old buffer is freed and NULL returned.
__attribute__((noinline)) char *fails(int k) {
  char *p = malloc(32);
  if (!p)
    return NULL;
  memset(p, 'a' + k, 32);
  char *q = realloc(p, huge);
  if (!q) {
    free(p);
    return NULL;
  }
  return q;
}

static unsigned long hash(const char *s) {
  unsigned long h = 5381;
  while (*s)
    h = h * 33 + (unsigned char)*s++;
  return h;
}

int main(int argc, char **argv) {
  (void)argv;
  static const char text[] = "line one\nline two is longer than the slot\n";
  for (size_t cut = 0; cut <= sizeof text - 1; cut += 7) {
    FILE *f = fmemopen((void *)text, cut ? cut : 1, "r");
    if (cut == 0)
      fgetc(f); // empty
    char *s = read_all(f);
    fclose(f);
    printf("read_all(%zu) = [%s] %zu\n", cut, s, strlen(s));
    free(s);
  }
  for (unsigned n = 0; n < 12; n += 3) {
    char *s = number_list(n * (unsigned)argc, -1);
    printf("number_list(%u) = %s\n", n, s);
    s = realloc(s, 4096); // the caller owns a heap object
    strcat(s, "!");
    printf("  grown: %s\n", s);
    free(s);
  }
  printf("number_list fails: %s\n", number_list(9, 5) ? "object" : "null");
  char *words[] = {"a", "bb", "a much longer word than the slot holds", "", "z"};
  for (int n = 0; n <= 5; n++) {
    char *s = join(n, words, ", ");
    printf("join(%d) = [%s]\n", n, s);
    free(s);
  }
  printf("fails: %s\n", fails(argc) ? "object" : "null");
  unsigned long many = 0;
  for (unsigned i = 0; i < 200000; i++) {
    char *s = number_list(i % 5, -1);
    char *t = join((int)(i % 4), words, "-");
    many += hash(s) ^ hash(t);
    free(s);
    free(t);
  }
  printf("many = %lu\n", many);
  return 0;
}
