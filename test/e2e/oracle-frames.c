// The promotion oracle (test/realworld/frameoracle.c) on a program whose
// answers are known: each function below allocates a counted number of
// objects and frees them at a known distance from the allocating frame.
//
//   local      10 objects freed by the allocating function  frame + caller
//   grow        1 object, realloc'ed 3 times, freed locally  frame + caller
//   made        5 objects returned, freed by the caller      caller only
//   escaped     3 objects freed after both frames returned   neither
//   leaked      2 objects never freed                        neither
//   in_thread   4 objects freed by another thread            neither
//   strdup      1 object allocated inside libc               unknown
//   pthread_create allocates 1 block inside glibc (bookworm)  unknown
//
// allocations = 10 + 1 + 5 + 3 + 2 + 4 + 1 + 1 = 27, frame = 11, caller = 16.
// `made` is the case that needs the return address in an activation's
// identity: free's frame sits where make's frame was.
// RUN: %clang -O0 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer %s -o %t -lpthread
// RUN: env LD_PRELOAD=%objroot/lib/libescalloc_frameoracle.so %t 2>&1 | FileCheck %s
// RUN: rm -f %t.out
// RUN: env LD_PRELOAD=%objroot/lib/libescalloc_frameoracle.so ESCALLOC_ORACLE_OUT=%t.out %t
// RUN: FileCheck %s < %t.out
// CHECK: frameoracle: pid={{[0-9]+}} prog={{.*}} allocations=27 frame=11 caller=16 unknown=2
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;
static void *keep[8];

__attribute__((noinline)) static void local(int i) {
  char *p = malloc(16);
  memset(p, i, 16);
  sink = p;
  free(p);
}

__attribute__((noinline)) static void grow(void) {
  char *p = malloc(8);
  for (size_t n = 16; n <= 64; n *= 2) p = realloc(p, n);
  sink = p;
  free(p);
}

__attribute__((noinline)) static char *make(int i) {
  char *p = malloc(32);
  p[0] = (char)i;
  return p;
}

__attribute__((noinline)) static void made(void) {
  for (int i = 0; i < 5; i++) {
    char *p = make(i);
    sink = p;
    free(p);
  }
}

__attribute__((noinline)) static void stash(int i) { keep[i] = make(i); }

__attribute__((noinline)) static void escaped(void) {
  for (int i = 0; i < 3; i++) stash(i);
}

static void *consumer(void *arg) {
  (void)arg;
  for (int i = 0; i < 4; i++) free(keep[i]);
  return NULL;
}

__attribute__((noinline)) static void in_thread(void) {
  for (int i = 0; i < 4; i++) keep[i] = make(i);
  pthread_t t;
  pthread_create(&t, NULL, consumer, NULL);
  pthread_join(t, NULL);
}

int main(void) {
  for (int i = 0; i < 10; i++) local(i);
  grow();
  made();
  escaped();
  for (int i = 0; i < 3; i++) free(keep[i]);
  sink = make(1);
  sink = make(2);
  in_thread();
  char *s = strdup("oracle");
  sink = s;
  free(s);
  return 0;
}
