; Growable buffers (issue 12 §3): `buf = malloc(16); ... buf = realloc(buf,
; 2 * cap); ... free(buf)` starts in a stack slot of the initial size; each
; realloc of it keeps it there while the new size fits, moves it to the heap
; (escalloc.grow.move: malloc + copy) beyond, and reallocs a heap buffer as
; before; its frees skip the slot.  Not when the buffer escapes, is stored,
; is reallocated by a callee, or shares a realloc with another buffer (a
; returned one: escape-move2heap.ll).
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s --check-prefix=GUARD
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -escalloc-grow=false -passes=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF
; OFF: remark: <unknown>:0:0: malloc(16) escapes to heap: passed to realloc
; RUN: %opt -escalloc-stack-guard=false -escalloc-grow-slot=256 -passes=escalloc -S < %s \
; RUN:   | FileCheck %s --check-prefix=ROOM
; RUN: %opt -escalloc-stack-guard=false -escalloc-grow-slot=256 -escalloc-max-stack-size=128 -passes=escalloc -S < %s \
; RUN:   | FileCheck %s --check-prefix=ROOMMAX

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @realloc(ptr allocptr, i64) allocsize(1)
declare noalias ptr @reallocf(ptr allocptr, i64) allocsize(1)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback

; The classic: grow by doubling while appending, then free.
; CHECK-LABEL: define void @append(
; CHECK: %escalloc.obj = alloca [16 x i8], align 16
; CHECK-NOT: call ptr @malloc
; CHECK: %escalloc.inslot = icmp eq ptr %buf, %escalloc.obj
; CHECK-NEXT: br i1 %escalloc.inslot, label %escalloc.grow.inslot, label %escalloc.grow.heap
; CHECK: escalloc.grow.inslot:
; CHECK-NEXT: %[[NM1:.*]] = sub i64 %cap2, 1
; CHECK-NEXT: %escalloc.fits = icmp ult i64 %[[NM1]], 16
; CHECK-NEXT: br i1 %escalloc.fits, label %escalloc.grow.join, label %escalloc.grow.move
; CHECK: escalloc.grow.move:
; CHECK-NEXT: %escalloc.moved = call ptr @escalloc.grow.move(ptr %escalloc.obj, i64 16, i64 %cap2)
; CHECK: escalloc.grow.heap:
; CHECK-NEXT: %grown = call ptr @realloc(ptr %buf, i64 %cap2)
; CHECK: escalloc.grow.join:
; CHECK-NEXT: %escalloc.grown = phi ptr [ %escalloc.obj, %escalloc.grow.inslot ], [ %escalloc.moved, %escalloc.grow.move ], [ %grown, %escalloc.grow.heap ]
; CHECK: %[[ONSTACK:.*]] = icmp eq ptr %buf2, %escalloc.obj
; CHECK-NEXT: %[[ARG:.*]] = select i1 %[[ONSTACK]], ptr null, ptr %buf2
; CHECK-NEXT: call void @free(ptr %[[ARG]])
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
; REMARK-NOT: realloc(
; -escalloc-grow-slot: headroom, so that the first growths stay in the slot
; too (within -escalloc-max-stack-size).
; ROOM-LABEL: define void @append(
; ROOM: %escalloc.obj = alloca [256 x i8], align 16
; ROOM: %escalloc.fits = icmp ult i64 %{{.*}}, 256
; ROOM: call ptr @escalloc.grow.move(ptr %escalloc.obj, i64 256, i64 %cap2)
; ROOMMAX-LABEL: define void @append(
; ROOMMAX: %escalloc.obj = alloca [128 x i8], align 16
; PRINT-LABEL: escalloc: function @append
; PRINT: site malloc(16): stack 16 bytes align 16, 1 free(s), grows by 1 realloc(s)
; GUARD-LABEL: define void @append(
; GUARD: %escalloc.inslot = icmp eq ptr %buf, %[[SLOT:.*]]
; GUARD-NEXT: %[[BOTH:.*]] = and i1 %{{.*}}, %escalloc.inslot
; GUARD-NEXT: br i1 %[[BOTH]], label %escalloc.grow.inslot, label %escalloc.grow.heap
; GUARD: %escalloc.onheap = icmp ne ptr %buf2, %[[SLOT]]
define void @append(i64 %n) {
entry:
  %first = call ptr @malloc(i64 16)
  br label %loop
loop:
  %buf = phi ptr [ %first, %entry ], [ %buf2, %next ]
  %cap = phi i64 [ 16, %entry ], [ %cap3, %next ]
  %i = phi i64 [ 0, %entry ], [ %i2, %next ]
  %full = icmp eq i64 %i, %cap
  br i1 %full, label %grow, label %next
grow:
  %cap2 = shl i64 %cap, 1
  %grown = call ptr @realloc(ptr %buf, i64 %cap2)
  br label %next
next:
  %buf2 = phi ptr [ %grown, %grow ], [ %buf, %loop ]
  %cap3 = phi i64 [ %cap2, %grow ], [ %cap, %loop ]
  %at = getelementptr i8, ptr %buf2, i64 %i
  store i8 1, ptr %at
  %i2 = add i64 %i, 1
  %done = icmp eq i64 %i2, %n
  br i1 %done, label %exit, label %loop
exit:
  call void @reader(ptr %buf2)
  call void @free(ptr %buf2)
  ret void
}

; ROOM-LABEL: define i32 @failure_path(
; ROOM: %escalloc.obj = alloca [256 x i8], align 16
; ROOM-LABEL: define void @two_paths(
; ROOM-LABEL: define void @mixed_free(
; ROOM: alloca [8 x i8]
; ROOM: alloca [256 x i8]

; realloc failure keeps the old buffer, which the program then frees: both
; frees guarded.
; REMARK: remark: <unknown>:0:0: malloc(32) moved to stack; grows on the stack up to 32 bytes, then moves to the heap; 1 realloc and 2 frees guarded
define i32 @failure_path(i64 %n) {
  %p = call ptr @malloc(i64 32)
  call void @reader(ptr %p)
  %q = call ptr @realloc(ptr %p, i64 %n)
  %fail = icmp eq ptr %q, null
  br i1 %fail, label %bad, label %good
bad:
  call void @free(ptr %p)
  ret i32 1
good:
  call void @reader(ptr %q)
  call void @free(ptr %q)
  ret i32 0
}

; A non-constant first size: the run-time fallback's slot, grown as well.
; REMARK: remark: <unknown>:0:0: malloc(n) moved to stack when its size fits 64 bytes; grows on the stack up to 64 bytes, then moves to the heap; 1 realloc and 1 free guarded
define void @fallback_grows(i64 %n, i64 %m) {
  %p = call ptr @malloc(i64 %n)
  %q = call ptr @realloc(ptr %p, i64 %m)
  call void @reader(ptr %q)
  call void @free(ptr %q)
  ret void
}

; Negative: the grown buffer is stored in a global.
; CHECK-LABEL: define void @stored_global(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: stored to global g
define void @stored_global() {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 32)
  store ptr %q, ptr @g
  ret void
}

; Grown in a loop, then returned: built on the stack and moved to the heap
; at the return (Go's move2heap; escape-move2heap.ll has the rule's cases).
; REMARK: remark: <unknown>:0:0: malloc(16) built on the stack, moved to heap at return; grows on the stack up to 16 bytes
define ptr @returned_in_loop(i64 %n) {
entry:
  %first = call ptr @malloc(i64 16)
  br label %loop
loop:
  %p = phi ptr [ %first, %entry ], [ %q, %loop ]
  %i = phi i64 [ 1, %entry ], [ %i2, %loop ]
  %sz = shl i64 %i, 4
  %q = call ptr @realloc(ptr %p, i64 %sz)
  %i2 = add i64 %i, 1
  %done = icmp eq i64 %i2, %n
  br i1 %done, label %exit, label %loop
exit:
  ret ptr %q
}

; Negative: reallocated by a callee (by value and through a pointer).
define ptr @grow(ptr %p, i64 %n) noinline {
  %q = call ptr @realloc(ptr %p, i64 %n)
  ret ptr %q
}
define void @grow_at(ptr %pp, i64 %n) noinline {
  %p = load ptr, ptr %pp
  %q = call ptr @realloc(ptr %p, i64 %n)
  store ptr %q, ptr %pp
  ret void
}
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: grown by realloc wrapper grow, which is not inlined: it is marked noinline
define void @callee_grows(i64 %n) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @grow(ptr %p, i64 %n)
  call void @free(ptr %q)
  ret void
}
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: {{.*}}grow_at
define void @callee_grows_at(i64 %n) {
  %slot = alloca ptr
  %p = call ptr @malloc(i64 16)
  store ptr %p, ptr %slot
  call void @grow_at(ptr %slot, i64 %n)
  %q = load ptr, ptr %slot
  call void @free(ptr %q)
  ret void
}

; Negative: one realloc for two buffers.
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: reallocated by a realloc that may also reallocate another pointer
; REMARK: remark: <unknown>:0:0: malloc(32) escapes to heap: reallocated by a realloc that may also reallocate another pointer
define void @mixed_realloc(i1 %c) {
  %a = call ptr @malloc(i64 16)
  %b = call ptr @malloc(i64 32)
  %p = select i1 %c, ptr %a, ptr %b
  %q = call ptr @realloc(ptr %p, i64 64)
  call void @free(ptr %q)
  %o = select i1 %c, ptr %b, ptr %a
  call void @free(ptr %o)
  ret void
}

; Freed on two paths, each once: promoted, both frees guarded.
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 2 frees guarded
define void @two_paths(i1 %c, i64 %n) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %n)
  br i1 %c, label %a, label %b
a:
  call void @free(ptr %q)
  ret void
b:
  call void @reader(ptr %q)
  call void @free(ptr %q)
  ret void
}

; Freed together with another buffer (one free of either): both promoted,
; the shared free skips both slots (a grown buffer is on the heap).
; CHECK-LABEL: define void @mixed_free(
; CHECK: %f = select i1 %c, ptr %escalloc.grown, ptr %[[OTHER:.*]]
; CHECK-NEXT: %escalloc.onheap = icmp ne ptr %f, %escalloc.obj
; CHECK-NEXT: %escalloc.onheap2 = icmp ne ptr %f, %[[OTHER]]
; CHECK-NEXT: %[[BOTH:.*]] = and i1 %escalloc.onheap, %escalloc.onheap2
; CHECK-NEXT: br i1 %[[BOTH]], label %[[FREE:.*]], label
; CHECK: [[FREE]]:
; CHECK-NEXT: call void @free(ptr %f)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
; REMARK-NEXT: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free guarded
define void @mixed_free(i1 %c, i64 %n) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %n)
  %o = call ptr @malloc(i64 8)
  %f = select i1 %c, ptr %q, ptr %o
  call void @free(ptr %f)
  ret void
}

; Negative: a buffer of one iteration still held in the next.
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: reachable from the next loop iteration
define void @carried(i64 %n) {
entry:
  br label %loop
loop:
  %prev = phi ptr [ null, %entry ], [ %q, %loop ]
  %i = phi i64 [ 0, %entry ], [ %i2, %loop ]
  call void @free(ptr %prev)
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %n)
  %i2 = add i64 %i, 1
  %done = icmp eq i64 %i2, %n
  br i1 %done, label %exit, label %loop
exit:
  call void @free(ptr %q)
  ret void
}

; A realloc laid out before the loop value it reallocates is defined: it
; waits for the value (no object of its own, the free is exact).
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
; REMARK-NOT: realloc(
; PRINT-LABEL: escalloc: function @late_defined
; PRINT-NEXT: site malloc(16): stack 16 bytes align 16, 1 free(s), grows by 1 realloc(s)
; PRINT-NEXT: escalloc: function
define void @late_defined(i64 %n) {
entry:
  %first = call ptr @malloc(i64 16)
  br label %head
grow:
  %g = call ptr @realloc(ptr %cur, i64 %sz)
  br label %latch
head:
  %cur = phi ptr [ %first, %entry ], [ %next, %latch ]
  %i = phi i64 [ 1, %entry ], [ %i2, %latch ]
  %sz = shl i64 %i, 4
  %small = icmp ult i64 %i, 3
  br i1 %small, label %grow, label %latch
latch:
  %next = phi ptr [ %g, %grow ], [ %cur, %head ]
  store i8 0, ptr %next
  %i2 = add i64 %i, 1
  %done = icmp eq i64 %i2, %n
  br i1 %done, label %exit, label %head
exit:
  call void @free(ptr %next)
  ret void
}

; Negative: realloc of NULL, or of a pointer that is none of ours (loaded
; from a slot that holds only NULL), is an allocation of its own (not moved),
; and reallocf frees on failure (kept as before).
; REMARK: remark: <unknown>:0:0: realloc(..., n) escapes to heap: realloc is not moved to the stack
; REMARK: remark: <unknown>:0:0: realloc(..., n) escapes to heap: stored to global g
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: passed to realloc
define void @not_grown(i64 %n) {
  %a = call ptr @realloc(ptr null, i64 %n)
  call void @free(ptr %a)
  %slot = alloca ptr
  store ptr null, ptr %slot
  %none = load volatile ptr, ptr %slot
  %b = call ptr @realloc(ptr %none, i64 %n)
  store ptr %b, ptr @g
  %p = call ptr @malloc(i64 16)
  %q = call ptr @reallocf(ptr %p, i64 %n)
  call void @free(ptr %q)
  ret void
}

; The module's move: malloc + copy of the slot; NULL (slot kept) when malloc
; fails; for n == 0 what realloc(heap object, 0) gives.
; CHECK-LABEL: define internal ptr @escalloc.grow.move(ptr %slot, i64 %slotsize, i64 %n)
; CHECK: icmp eq i64 %n, 0
; CHECK: %[[H:.*]] = call ptr @malloc(i64 %n)
; CHECK: call void @llvm.memcpy.p0.p0.i64(ptr %[[H]], ptr %slot, i64 %slotsize, i1 false)
; CHECK-NEXT: ret ptr %[[H]]
; CHECK: ret ptr null
; CHECK: %[[ONE:.*]] = call ptr @malloc(i64 1)
; CHECK: call ptr @realloc(ptr %[[ONE]], i64 0)
