; The first slice: a constant-size malloc, not in a loop, whose pointer is only
; loaded from, stored into, freed, or passed to callees that neither capture
; nor free it, becomes an entry-block alloca (align 16) with lifetime markers,
; and its free is deleted.  Everything else stays a malloc, with a reason.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree
declare void @capturer(ptr)
declare void @nocapture_may_free(ptr nocapture)

; CHECK-LABEL: define i64 @load_store_free(
; CHECK-NEXT:    %escalloc.obj = alloca [48 x i8], align 16
; CHECK-NEXT:    call void @llvm.lifetime.start.p0(i64 48, ptr %escalloc.obj)
; CHECK-NEXT:    store i64 7, ptr %escalloc.obj
; CHECK-NEXT:    %v = load i64, ptr %escalloc.obj
; CHECK-NEXT:    call void @llvm.lifetime.end.p0(i64 48, ptr %escalloc.obj)
; CHECK-NEXT:    ret i64 %v
; CHECK-NOT:     call {{.*}}@malloc
; REMARK: remark: <unknown>:0:0: malloc(48) moved to stack; 1 free removed
define i64 @load_store_free() {
  %p = call ptr @malloc(i64 48)
  store i64 7, ptr %p
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; A nocapture + nofree callee keeps it on the stack.
; CHECK-LABEL: define void @passed_to_reader(
; CHECK: alloca [16 x i8], align 16
; CHECK-NOT: @malloc
; CHECK: call void @reader(ptr %escalloc.obj)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
define void @passed_to_reader() {
  %p = call ptr @malloc(i64 16)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; No free at all: still promoted (the leak disappears with the frame).
; CHECK-LABEL: define void @no_free(
; CHECK: alloca [8 x i8], align 16
; CHECK-NOT: @malloc
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack{{$}}
define void @no_free() {
  %p = call ptr @malloc(i64 8)
  store i8 1, ptr %p
  ret void
}

; Negative: returned.
; CHECK-LABEL: define ptr @returned(
; CHECK: %p = call ptr @malloc(i64 16)
; CHECK-NOT: alloca
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from returned
define ptr @returned() {
  %p = call ptr @malloc(i64 16)
  ret ptr %p
}

; Negative: stored to a global.
; CHECK-LABEL: define void @stored_global(
; CHECK: %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: stored to global g
define void @stored_global() {
  %p = call ptr @malloc(i64 16)
  store ptr %p, ptr @g
  ret void
}

; Negative: a callee that may capture.
; CHECK-LABEL: define void @passed_to_capturer(
; CHECK: %p = call ptr @malloc(i64 16)
; CHECK: call void @free(ptr %p)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: passed to capturer argument 1 which may capture it
define void @passed_to_capturer() {
  %p = call ptr @malloc(i64 16)
  call void @capturer(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Negative: nocapture alone is not enough (free itself is nocapture).
; CHECK-LABEL: define void @passed_to_nocapture_may_free(
; CHECK: %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: passed to nocapture_may_free argument 1 which may free it
define void @passed_to_nocapture_may_free() {
  %p = call ptr @malloc(i64 16)
  call void @nocapture_may_free(ptr %p)
  ret void
}

; Negative: the address as an integer, returned (escape-int-provenance.ll).
; CHECK-LABEL: define i64 @ptrtoint(
; CHECK: %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from ptrtoint
define i64 @ptrtoint() {
  %p = call ptr @malloc(i64 16)
  %i = ptrtoint ptr %p to i64
  ret i64 %i
}

; Functions the pass must not touch: optnone.
; CHECK-LABEL: define void @optnone_fn(
; CHECK: %p = call ptr @malloc(i64 16)
; CHECK-NOT: alloca
define void @optnone_fn() noinline optnone {
  %p = call ptr @malloc(i64 16)
  call void @free(ptr %p)
  ret void
}
