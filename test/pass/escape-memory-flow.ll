; Flow through memory (Go's location graph with dereference levels): a pointer
; stored into an object that does not escape keeps both on the stack; stored
; into anything that may escape, it escapes with it.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-explain -pass-remarks-missed=escalloc \
; RUN:   -pass-remarks-analysis=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=EXPLAIN

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@gi = global i64 0

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

; Both objects stay local: the outer holds the inner, neither escapes.
; CHECK-LABEL: define i32 @nested_local(
; CHECK-DAG: %[[D:escalloc.obj[0-9]*]] = alloca [40 x i8], align 16
; CHECK-DAG: %[[S:escalloc.obj[0-9]*]] = alloca [16 x i8], align 16
; CHECK: store ptr %[[D]], ptr %f
; CHECK-NOT: call {{.*}}@malloc
; CHECK-NOT: call void @free
; CHECK: ret i32
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(40) moved to stack; 1 free removed
define i32 @nested_local() {
  %s = call ptr @malloc(i64 16)
  %d = call ptr @malloc(i64 40)
  store i32 10, ptr %s
  %f = getelementptr inbounds i8, ptr %s, i64 8
  store ptr %d, ptr %f
  %n = load i32, ptr %s
  %d2 = load ptr, ptr %f
  store i32 %n, ptr %d2
  %v = load i32, ptr %d2
  call void @free(ptr %d2)
  call void @free(ptr %s)
  ret i32 %v
}

; The outer object escapes, so what it holds escapes too.
; CHECK-LABEL: define void @outer_escapes(
; CHECK: %s = call ptr @malloc(i64 16)
; CHECK: %d = call ptr @malloc(i64 40)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: stored to global g
; REMARK: remark: <unknown>:0:0: malloc(40) escapes to heap: stored into an escaping object
; EXPLAIN-LABEL: malloc(40) escapes to heap: stored into an escaping object
; EXPLAIN-NEXT: flow: malloc(40) flows into malloc(16): stored into an escaping object
; EXPLAIN-NEXT: flow: malloc(16) escapes: stored to global g
define void @outer_escapes() {
  %s = call ptr @malloc(i64 16)
  %d = call ptr @malloc(i64 40)
  %f = getelementptr inbounds i8, ptr %s, i64 8
  store ptr %d, ptr %f
  store ptr %s, ptr @g
  ret void
}

; Through a local variable (an alloca that does not escape): still local.
; CHECK-LABEL: define i64 @through_local_slot(
; CHECK: alloca [8 x i8], align 16
; CHECK-NOT: @malloc
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
define i64 @through_local_slot() {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 8)
  store ptr %p, ptr %slot
  %q = load ptr, ptr %slot
  store i64 5, ptr %q
  %v = load i64, ptr %q
  call void @free(ptr %q)
  ret i64 %v
}

; memcpy of the pointer's bytes into a global: escapes.
; CHECK-LABEL: define void @memcpy_publishes(
; CHECK: %p = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored into memory the analysis cannot follow
define void @memcpy_publishes() {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 8)
  store ptr %p, ptr %slot
  call void @llvm.memcpy.p0.p0.i64(ptr @g, ptr %slot, i64 8, i1 false)
  ret void
}

; The pointer read back as an i64 (a struct copy InstCombine turned into an
; integer load/store) and stored to a global: escapes.
; CHECK-LABEL: define void @int_copy_publishes(
; CHECK: %p = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored to global gi
define void @int_copy_publishes() {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 8)
  store ptr %p, ptr %slot
  %bits = load i64, ptr %slot
  store i64 %bits, ptr @gi
  ret void
}

; An integer field next to a pointer field is plain data: reading it does not
; make the pointer escape.
; CHECK-LABEL: define i64 @int_field_is_data(
; CHECK-DAG: alloca [16 x i8], align 16
; CHECK-DAG: alloca [8 x i8], align 16
; CHECK-NOT: @malloc
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack
define i64 @int_field_is_data() {
  %s = call ptr @malloc(i64 16)
  %d = call ptr @malloc(i64 8)
  store i64 3, ptr %s
  %f = getelementptr inbounds i8, ptr %s, i64 8
  store ptr %d, ptr %f
  %n = load i64, ptr %s
  store i64 %n, ptr @gi
  ret i64 %n
}

; A stored pointer loaded and published: the inner escapes, the outer not.
; CHECK-LABEL: define void @loaded_then_published(
; CHECK: alloca [16 x i8], align 16
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored to global g
define void @loaded_then_published() {
  %s = call ptr @malloc(i64 16)
  %d = call ptr @malloc(i64 8)
  store ptr %d, ptr %s
  %d2 = load ptr, ptr %s
  store ptr %d2, ptr @g
  ret void
}

; Stored through a parameter: escapes (the caller's memory outlives us).
; CHECK-LABEL: define void @stored_through_param(
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored through parameter out
define void @stored_through_param(ptr %out) {
  %d = call ptr @malloc(i64 8)
  store ptr %d, ptr %out
  ret void
}

; Atomics and inline asm publish.
; CHECK-LABEL: define void @atomic_store(
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored atomically
define void @atomic_store() {
  %slot = alloca ptr
  %d = call ptr @malloc(i64 8)
  store atomic ptr %d, ptr %slot seq_cst, align 8
  ret void
}

; CHECK-LABEL: define void @inline_asm(
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: passed to inline asm
define void @inline_asm() {
  %d = call ptr @malloc(i64 8)
  call void asm sideeffect "", "r"(ptr %d)
  ret void
}

; CHECK-LABEL: define void @cmpxchg(
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: used in an atomic operation
define void @cmpxchg() {
  %slot = alloca ptr
  %d = call ptr @malloc(i64 8)
  %r = cmpxchg ptr %slot, ptr null, ptr %d seq_cst seq_cst
  ret void
}

; A callee that may write through the holder may replace the pointer in it
; (memmove copies an unknown pointer over it): the free of the loaded pointer
; may free something else, so it stays, behind a check that the pointer is
; not the inner object's slot.  (A declaration that is no library function
; may also store the holder into itself: escape-lib-outputs.ll.)
declare ptr @memmove(ptr returned, ptr nocapture readonly, i64) nofree nocallback memory(argmem: readwrite)
; CHECK-LABEL: define void @free_after_clobber(
; CHECK: %p = load ptr, ptr
; CHECK: %escalloc.onheap = icmp ne ptr %p, %escalloc.obj
; CHECK: call void @free(ptr %p)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free guarded
define void @free_after_clobber(ptr %src) {
  %holder = call ptr @malloc(i64 16)
  %inner = call ptr @malloc(i64 8)
  store ptr %inner, ptr %holder
  %m = call ptr @memmove(ptr %holder, ptr %src, i64 8)
  %p = load ptr, ptr %holder
  call void @free(ptr %p)
  call void @free(ptr %holder)
  ret void
}

; An aggregate value is followed field by field (escape-aggregates.ll):
; returning one publishes what its fields hold.
; CHECK-LABEL: define { ptr, i64 } @into_aggregate(
; CHECK: %p = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: returned from into_aggregate
define { ptr, i64 } @into_aggregate() {
  %p = call ptr @malloc(i64 8)
  %a = insertvalue { ptr, i64 } undef, ptr %p, 0
  ret { ptr, i64 } %a
}

; A vector read out of an object (after the vectorizers, as in the full LTO
; link) is not followed: what the object holds escapes.
declare <2 x ptr> @llvm.masked.load.v2p0.p0(ptr, i32, <2 x i1>, <2 x ptr>)
; CHECK-LABEL: define <2 x ptr> @vector_read(
; CHECK: %d = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: read into a vector or aggregate
define <2 x ptr> @vector_read() {
  %s = call ptr @malloc(i64 16)
  %d = call ptr @malloc(i64 8)
  store ptr %d, ptr %s
  %v = call <2 x ptr> @llvm.masked.load.v2p0.p0(ptr %s, i32 8, <2 x i1> <i1 true, i1 true>, <2 x ptr> zeroinitializer)
  ret <2 x ptr> %v
}
