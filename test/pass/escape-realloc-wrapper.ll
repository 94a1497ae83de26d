; Realloc wrappers (an xrealloc, jq's jv_mem_realloc): a function whose body
; passes its pointer parameter to one realloc and nowhere else, and only
; tests the result against null and returns it, grows a growable buffer as
; realloc does.  The call is inlined where the buffer would be promoted (its
; die() on failure stays), and the buffer is decided again with the realloc
; now its own.  Not when the user forbids inlining (noinline), nor when the
; wrapper lets the pointer go elsewhere, reallocates twice, or returns
; something else.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @realloc(ptr allocptr, i64) allocsize(1)
declare void @free(ptr nocapture) allockind("free")
declare void @die() noreturn

define ptr @xrealloc(ptr %p, i64 %n) {
  %q = call ptr @realloc(ptr %p, i64 %n)
  %bad = icmp eq ptr %q, null
  br i1 %bad, label %oom, label %ok
oom:
  call void @die()
  unreachable
ok:
  ret ptr %q
}

define ptr @xrealloc_ni(ptr %p, i64 %n) noinline {
  %q = call ptr @realloc(ptr %p, i64 %n)
  %bad = icmp eq ptr %q, null
  br i1 %bad, label %oom, label %ok
oom:
  call void @die()
  unreachable
ok:
  ret ptr %q
}

; The old pointer is published before the realloc: not a wrapper.
define ptr @xrealloc_leak(ptr %p, i64 %n) {
  store ptr %p, ptr @g
  %q = call ptr @realloc(ptr %p, i64 %n)
  ret ptr %q
}

; Two reallocs of the pointer: not one realloc's meaning.
define ptr @xrealloc_twice(ptr %p, i64 %n) {
  %q = call ptr @realloc(ptr %p, i64 %n)
  %r = call ptr @realloc(ptr %q, i64 %n)
  ret ptr %r
}

; The result is also published: not a wrapper.
define ptr @xrealloc_pub(ptr %p, i64 %n) {
  %q = call ptr @realloc(ptr %p, i64 %n)
  store ptr %q, ptr @g
  ret ptr %q
}

; CHECK-LABEL: define i8 @grow(
; CHECK: %escalloc.obj = alloca
; CHECK-NOT: call ptr @malloc
; CHECK-NOT: call ptr @xrealloc(
; CHECK: call ptr @escalloc.grow.move(
; CHECK: call void @die()
; CHECK: ret i8
; REMARK-DAG: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
define i8 @grow(i64 %n) {
  %b = call ptr @malloc(i64 16)
  store i8 1, ptr %b
  %c = call ptr @xrealloc(ptr %b, i64 %n)
  %v = load i8, ptr %c
  call void @free(ptr %c)
  ret i8 %v
}

; CHECK-LABEL: define i8 @grow_noinline(
; CHECK: call ptr @malloc(i64 17)
; CHECK: call ptr @xrealloc_ni(
; REMARK-DAG: remark: <unknown>:0:0: malloc(17) escapes to heap: grown by realloc wrapper xrealloc_ni, which is not inlined: it is marked noinline
define i8 @grow_noinline(i64 %n) {
  %b = call ptr @malloc(i64 17)
  store i8 1, ptr %b
  %c = call ptr @xrealloc_ni(ptr %b, i64 %n)
  %v = load i8, ptr %c
  call void @free(ptr %c)
  ret i8 %v
}

; CHECK-LABEL: define i8 @grow_leak(
; CHECK: call ptr @malloc(i64 18)
; REMARK-DAG: remark: <unknown>:0:0: malloc(18) escapes to heap: stored to global g
define i8 @grow_leak(i64 %n) {
  %b = call ptr @malloc(i64 18)
  %c = call ptr @xrealloc_leak(ptr %b, i64 %n)
  %v = load i8, ptr %c
  call void @free(ptr %c)
  ret i8 %v
}

; CHECK-LABEL: define i8 @grow_twice(
; CHECK: call ptr @malloc(i64 19)
; CHECK: call ptr @xrealloc_twice(
; REMARK-DAG: remark: <unknown>:0:0: malloc(19) escapes to heap: freed by xrealloc_twice argument 1
define i8 @grow_twice(i64 %n) {
  %b = call ptr @malloc(i64 19)
  %c = call ptr @xrealloc_twice(ptr %b, i64 %n)
  %v = load i8, ptr %c
  call void @free(ptr %c)
  ret i8 %v
}

; CHECK-LABEL: define i8 @grow_pub(
; CHECK: call ptr @malloc(i64 20)
; CHECK: call ptr @xrealloc_pub(
; REMARK-DAG: remark: <unknown>:0:0: malloc(20) escapes to heap: freed by xrealloc_pub argument 1
define i8 @grow_pub(i64 %n) {
  %b = call ptr @malloc(i64 20)
  %c = call ptr @xrealloc_pub(ptr %b, i64 %n)
  %v = load i8, ptr %c
  call void @free(ptr %c)
  ret i8 %v
}
