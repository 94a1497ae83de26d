// Hooks read through copies (AllocHooks.h, "Copies"), as cJSON 1.7.15 with
// Debian's patches parses: `buffer.hooks = global_hooks` on the caller's
// stack, the recursive parse functions allocating each number's text
// through `b->hooks.allocate` and freeing it through `b->hooks.deallocate`,
// the offset advanced by `end - text` (strtod's end pointer).  The counting
// allocator's counts, with the hooks left as they are, replaced before the
// parse, and replaced between an allocation and its free (the copy
// refreshed from global_hooks), are what clang -O0's build prints.
//
// RUN: %clang -O0 %s -o %t.ref
// RUN: %run %t.ref > %t.expected
// RUN: %escc -O1 %s -o %t.1 && %run %t.1 > %t.1.out && diff %t.expected %t.1.out
// RUN: %escc -O2 %s -o %t.2 && %run %t.2 > %t.2.out && diff %t.expected %t.2.out
// RUN: %escc -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong %s -o %t.d && %run %t.d > %t.d.out && diff %t.expected %t.d.out
// RUN: %escc -O2 -flto %s -o %t.l2 && %run %t.l2 > %t.l2.out && diff %t.expected %t.l2.out
// RUN: %escc -O2 -mllvm -escalloc-stack-guard=false %s -o %t.ng && %run %t.ng > %t.ng.out && diff %t.expected %t.ng.out
// RUN: %escc -O2 -m %s -o %t.m 2> %t.remarks
// RUN: FileCheck %s < %t.remarks
// Under ASan: free and the hooks never get a stack address, and no
// promoted object is used outside its lifetime.
// RUN: %escc --rt=none -O2 -fsanitize=address -mllvm -escalloc-lower=false %s -o %t.asan
// RUN: env ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=0 %run %t.asan > %t.asan.out
// RUN: diff %t.expected %t.asan.out
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "Inputs/hooks.h"

typedef struct {
  const char *content;
  size_t length, offset;
  hooks_t hooks;
} buffer_t;

static buffer_t *skip_space(buffer_t *b) {
  while (b->offset < b->length && b->content[b->offset] == ' ')
    b->offset++;
  return b;
}

static int switch_at = -1; // the number whose free sees other hooks

__attribute__((noinline)) static double parse_number(buffer_t *b, int k) {
  size_t n = 0;
  while (b->offset + n < b->length && strchr("0123456789.-", b->content[b->offset + n]))
    n++;
  // CHECK-DAG: escape-hook-copies.c:[[@LINE+1]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(<variable size>) moved to stack when its size fits 64 bytes and the stack has room; 1 free guarded; speculatively promoted: hook global_hooks{{[.0-9]*}} equals malloc
  char *text = b->hooks.allocate(n + 1);
  if (!text)
    return 0;
  memcpy(text, b->content + b->offset, n);
  text[n] = '\0';
  char *end = NULL;
  double d = strtod(text, &end);
  b->offset += (size_t)(end - text);
  if (k == switch_at) {
    init_hooks(count_malloc, count_free);
    b->hooks = global_hooks;
  }
  b->hooks.deallocate(text);
  return d;
}

// [n, n, [n, ...], ...]: recursive, as cJSON's parse_value.
__attribute__((noinline)) static double parse_value(buffer_t *b, int *k) {
  double s = 0;
  skip_space(b);
  if (b->offset < b->length && b->content[b->offset] == '[') {
    b->offset++;
    while (b->offset < b->length && b->content[b->offset] != ']') {
      s += parse_value(b, k);
      skip_space(b);
      if (b->offset < b->length && b->content[b->offset] == ',')
        b->offset++;
    }
    b->offset++;
    return s;
  }
  return parse_number(b, (*k)++);
}

__attribute__((noinline)) static double parse(const char *text) {
  buffer_t b = {0};
  b.content = text;
  b.length = strlen(text);
  b.hooks = global_hooks;
  int k = 0;
  return parse_value(&b, &k);
}

// Negative: a copy whose free slot the program rewrites is not a hook.
static void noisy_free(void *p) {
  printf("noisy free\n");
  free(p);
}
__attribute__((noinline)) static void set_free(buffer_t *b) {
  b->hooks.deallocate = noisy_free;
}
__attribute__((noinline)) static size_t use_hooks(buffer_t *b, const char *s) {
  // CHECK-DAG: escape-hook-copies.c:[[@LINE+1]]:{{[0-9]+}}: remark: global_hooks{{[.0-9]*}}(32) escapes to heap: passed to an indirect call
  char *p = b->hooks.allocate(32);
  if (!p)
    return 0;
  snprintf(p, 32, "%s", s);
  size_t n = strlen(p);
  b->hooks.deallocate(p);
  return n;
}
__attribute__((noinline)) static size_t rewritten(const char *s) {
  buffer_t b = {0};
  b.hooks = global_hooks;
  set_free(&b);
  return use_hooks(&b, s);
}

static const char *doc = "[1, 2.5, [3, -4, [5.25, 6]], 7, [8, [9, [10]]]]";

int main(void) {
  double s = 0;
  for (int i = 0; i < 100; i++)
    s += parse(doc);
  printf("default %g allocs %ld frees %ld\n", s, allocs, frees);
  init_hooks(count_malloc, count_free);
  s = 0;
  for (int i = 0; i < 100; i++)
    s += parse(doc);
  printf("counting %g allocs %ld frees %ld\n", s, allocs, frees);
  init_hooks(NULL, NULL);
  allocs = frees = 0;
  switch_at = 4;
  s = parse(doc);
  printf("between %g allocs %ld frees %ld\n", s, allocs, frees);
  init_hooks(NULL, NULL);
  switch_at = -1;
  printf("rewritten %zu\n", rewritten("abc"));
  return 0;
}
