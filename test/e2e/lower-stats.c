// The lowering's flags seen through the runtime's statistics: noscan 8-byte
// objects go to the tiny allocator (TinyAllocs), objects that hold a pointer
// do not; 24-byte objects whose every access is visible use Go's 24-byte
// class 3, others the 32-byte class 4.  With -escalloc-lower=false the same
// program reaches the runtime through plain malloc: no tiny objects, no
// 24-byte class.
// RUN: %escc -O2 -Rpass-analysis=escalloc %s -o %t 2>&1 | FileCheck %s --check-prefix=REMARK
// RUN: %t | FileCheck %s --check-prefix=LOWERED
// RUN: %escc -O2 -mllvm -escalloc-lower=false %s -o %t.off
// RUN: %t.off | FileCheck %s --check-prefix=PLAIN
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <escalloc/escalloc.h>

enum { N = 1000 };

typedef struct {
  int64_t x, y, z;
} Point3;

void *volatile sink;

static struct escalloc_memstats s[5];

static void delta(const char *what, int i) {
  const struct escalloc_memstats *a = &s[i], *b = &s[i + 1];
  printf("%s: tiny %llu class1 %llu class3 %llu class4 %llu\n", what,
         (unsigned long long)(b->TinyAllocs - a->TinyAllocs),
         (unsigned long long)(b->BySize[1].mallocs - a->BySize[1].mallocs),
         (unsigned long long)(b->BySize[3].mallocs - a->BySize[3].mallocs),
         (unsigned long long)(b->BySize[4].mallocs - a->BySize[4].mallocs));
}

int main(void) {
  int64_t **ints = malloc(N * sizeof *ints);
  void ***links = malloc(N * sizeof *links);
  Point3 **points = malloc(N * sizeof *points);
  if (!ints || !links || !points)
    return 1;

  escalloc_read_memstats(&s[0]);
  for (int i = 0; i < N; i++) {
    // REMARK: lower-stats.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(8) lowered to mallocgc: size class 1, noscan
    int64_t *v = malloc(sizeof *v);
    if (!v)
      return 1;
    *v = i;
    ints[i] = v;
  }
  escalloc_read_memstats(&s[1]);
  for (int i = 0; i < N; i++) {
    // REMARK: lower-stats.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(8) lowered to mallocgc: size class 1, may hold pointers (a pointer is stored into it
    void **l = malloc(sizeof *l);
    if (!l)
      return 1;
    *l = i ? (void *)links[i - 1] : NULL;
    links[i] = l;
  }
  escalloc_read_memstats(&s[2]);
  for (int i = 0; i < N; i++) {
    // REMARK: lower-stats.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(24) lowered to mallocgc: size class 3, noscan, 8-byte aligned
    Point3 *p = malloc(sizeof *p);
    if (!p)
      return 1;
    p->x = i;
    p->y = 2 * i;
    p->z = 3 * i;
    points[i] = p;
  }
  escalloc_read_memstats(&s[3]);
  for (int i = 0; i < N; i++) {
    // REMARK: lower-stats.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(24) lowered to mallocgc: size class 4, may hold pointers (its address is stored into memory the pass cannot follow{{.*}}), 16-byte aligned
    Point3 *p = malloc(sizeof *p);
    if (!p)
      return 1;
    p->x = i;
    sink = p;
    free(p);
  }
  escalloc_read_memstats(&s[4]);

  // LOWERED: noscan int64: tiny 1000 class1 0 class3 0 class4 0
  // The first link (its iteration peeled: it stores NULL) moves to the stack;
  // the free of links[i] below stays for the others, behind a check.
  // LOWERED: pointer: tiny 0 class1 999 class3 0 class4 0
  // LOWERED: visible Point3: tiny 0 class1 0 class3 1000 class4 0
  // LOWERED: escaping Point3: tiny 0 class1 0 class3 0 class4 1000
  // PLAIN: noscan int64: tiny 0 class1 1000 class3 0 class4 0
  // PLAIN: pointer: tiny 0 class1 999 class3 0 class4 0
  // PLAIN: visible Point3: tiny 0 class1 0 class3 0 class4 1000
  // PLAIN: escaping Point3: tiny 0 class1 0 class3 0 class4 1000
  delta("noscan int64", 0);
  delta("pointer", 1);
  delta("visible Point3", 2);
  delta("escaping Point3", 3);

  // LOWERED: sum 1998000 chain 1000
  // PLAIN: sum 1998000 chain 1000
  int64_t sum = 0;
  for (int i = 0; i < N; i++) {
    sum += *ints[i] + points[i]->z;
    free(ints[i]);
    free(points[i]);
  }
  int chain = 0;
  for (void **l = links[N - 1]; l; l = *l)
    chain++;
  for (int i = 0; i < N; i++)
    free(links[i]);
  free(ints);
  free(links);
  free(points);
  printf("sum %lld chain %d\n", (long long)sum, chain);
  return 0;
}
