; Allocation wrappers (an xmalloc that returns what malloc gave it), found
; through function summaries: where the caller keeps the result local, the
; wrapper is inlined there and the allocation inside is decided in the caller.
; RUN: %opt -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -escalloc-wrapper-size=0 -S %s -o - | FileCheck %s --check-prefix=OFF

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @abort() noreturn nounwind nocallback
declare void @reader(ptr nocapture readonly) nofree nocallback

; PRINT: escalloc: function @xmalloc (allocation wrapper)
define ptr @xmalloc(i64 %n) noinline {
  %p = call ptr @malloc(i64 %n)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
fail:
  call void @abort()
  unreachable
ok:
  ret ptr %p
}

; Not a wrapper: it also publishes the object.
; PRINT: escalloc: function @xmalloc_logged frame
define ptr @xmalloc_logged(i64 %n) noinline {
  %p = call ptr @malloc(i64 %n)
  store ptr %p, ptr @g
  ret ptr %p
}

; PRINT-LABEL: escalloc: function @local_use
; PRINT: site xmalloc(24): inline the wrapper, then decide
; CHECK-LABEL: define i64 @local_use(
; CHECK: %escalloc.obj = alloca [24 x i8], align 16
; CHECK-NOT: call ptr @xmalloc
; CHECK-NOT: call ptr @malloc
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: malloc(24) moved to stack; 1 free removed
; OFF-LABEL: define i64 @local_use(
; OFF: call ptr @xmalloc(i64 24)
define i64 @local_use() {
  %p = call ptr @xmalloc(i64 24)
  store i64 9, ptr %p
  call void @reader(ptr %p)
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; The caller lets it escape: the wrapper call stays.
; CHECK-LABEL: define void @escaping_use(
; CHECK: call ptr @xmalloc(i64 24)
; REMARK: remark: <unknown>:0:0: xmalloc(24) escapes to heap: stored to global @g
define void @escaping_use() {
  %p = call ptr @xmalloc(i64 24)
  store ptr %p, ptr @g
  ret void
}

; A call to a non-wrapper is an ordinary call.
; CHECK-LABEL: define void @logged_use(
; CHECK: call ptr @xmalloc_logged(i64 24)
define void @logged_use() {
  %p = call ptr @xmalloc_logged(i64 24)
  call void @free(ptr %p)
  ret void
}
