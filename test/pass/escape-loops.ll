; Loops: the alloca goes to the entry block, llvm.lifetime.start/end mark each
; iteration's live range, calloc's zeroing stays at the site; promoted only
; when no object of one iteration can be reached in the next.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @calloc(i64, i64) allocsize(0, 1)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree

; CHECK-LABEL: define i64 @malloc_free_in_loop(
; CHECK: entry:
; CHECK-NEXT: %escalloc.obj = alloca [64 x i8], align 16
; CHECK: loop:
; CHECK: call void @llvm.lifetime.start.p0(i64 64, ptr %escalloc.obj)
; CHECK-NEXT: store i64 %i, ptr %escalloc.obj
; CHECK: call void @llvm.lifetime.end.p0(i64 64, ptr %escalloc.obj)
; CHECK-NOT: @malloc
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: malloc(64) moved to stack; 1 free removed
define i64 @malloc_free_in_loop(i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]
  %p = call ptr @malloc(i64 64)
  store i64 %i, ptr %p
  call void @reader(ptr %p)
  %v = load i64, ptr %p
  %acc.next = add i64 %acc, %v
  call void @free(ptr %p)
  %i.next = add i64 %i, 1
  %c = icmp ult i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret i64 %acc.next
}

; calloc in a loop: the memset runs at the site on every iteration.
; CHECK-LABEL: define i64 @calloc_in_loop(
; CHECK: entry:
; CHECK-NEXT: %escalloc.obj = alloca [32 x i8], align 16
; CHECK: loop:
; CHECK: call void @llvm.lifetime.start.p0(i64 32, ptr %escalloc.obj)
; CHECK-NEXT: call void @llvm.memset.p0.i64(ptr align 16 %escalloc.obj, i8 0, i64 32, i1 false)
; CHECK: call void @llvm.lifetime.end.p0(i64 32, ptr %escalloc.obj)
; REMARK: remark: <unknown>:0:0: calloc(4, 8) moved to stack; 1 free removed
define i64 @calloc_in_loop(i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc.next, %loop ]
  %p = call ptr @calloc(i64 4, i64 8)
  %slot = getelementptr inbounds i64, ptr %p, i64 1
  %old = load i64, ptr %slot
  store i64 %i, ptr %slot
  %acc.next = add i64 %acc, %old
  call void @free(ptr %p)
  %i.next = add i64 %i, 1
  %c = icmp ult i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret i64 %acc.next
}

; Negative: the previous iteration's object is carried in a phi (a list).
; CHECK-LABEL: define ptr @carried_in_phi(
; CHECK: %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from carried_in_phi
define ptr @carried_in_phi(i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %head = phi ptr [ null, %entry ], [ %p, %loop ]
  %p = call ptr @malloc(i64 16)
  store ptr %head, ptr %p
  %i.next = add i64 %i, 1
  %c = icmp ult i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret ptr %p
}

; Negative: carried in a phi, but nothing else escapes: still unsafe to reuse
; the slot, the phi keeps last iteration's object alive.
; CHECK-LABEL: define i64 @carried_not_escaping(
; CHECK: %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: reachable from the next loop iteration
define i64 @carried_not_escaping(i64 %n) {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %prev = phi ptr [ null, %entry ], [ %p, %loop ]
  %p = call ptr @malloc(i64 16)
  store i64 %i, ptr %p
  %i.next = add i64 %i, 1
  %c = icmp ult i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  %v = load i64, ptr %p
  ret i64 %v
}

; Negative: stored into memory that lives across iterations.
; CHECK-LABEL: define i64 @stored_across_iterations(
; CHECK: %p = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: reachable from the next loop iteration (stored into local slot, which outlives the iteration)
define i64 @stored_across_iterations(i64 %n) {
entry:
  %slot = alloca ptr
  store ptr null, ptr %slot
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %p = call ptr @malloc(i64 8)
  store i64 %i, ptr %p
  store ptr %p, ptr %slot
  %i.next = add i64 %i, 1
  %c = icmp ult i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  %last = load ptr, ptr %slot
  %v = load i64, ptr %last
  ret i64 %v
}

; Negative: an irreducible cycle (two entries); loop analysis cannot place
; the lifetime markers, so it stays on the heap.
; CHECK-LABEL: define void @irreducible(
; CHECK: %p = call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: in an irreducible loop
define void @irreducible(i1 %c, i1 %d) {
entry:
  br i1 %c, label %a, label %b
a:
  %p = call ptr @malloc(i64 8)
  store i8 0, ptr %p
  call void @free(ptr %p)
  br label %b
b:
  br i1 %d, label %a, label %exit
exit:
  ret void
}
