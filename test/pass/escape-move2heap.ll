; Go's move2heap (issue 12 §3): a growable buffer whose only escape is being
; returned, by one return, as its start, from a site outside any loop, is
; built in its stack slot (grown there while it fits, moved to the heap
; beyond as any growable buffer) and, if it is still in the slot at that
; return, copied to a heap object of its live size (the site's request, then
; each in-slot realloc's size), which is returned instead.  Not when: it is
; returned by two returns, also stored in a global, returned as an interior
; pointer, stored into itself (or anywhere), or allocated in a loop; nor with
; -escalloc-move2heap=false.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s --check-prefix=GUARD
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -escalloc-move2heap=false -passes=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF
; RUN: %opt -escalloc-stack-guard=false -escalloc-grow-slot=256 -passes=escalloc -S < %s \
; RUN:   | FileCheck %s --check-prefix=ROOM

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @calloc(i64, i64) allocsize(0, 1)
declare noalias ptr @realloc(ptr allocptr, i64) allocsize(1)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback
declare i1 @more() nofree nocallback
declare void @keep(ptr)
declare void @abort() noreturn

; The builder: grown by doubling in a loop, returned after it, freed on the
; error path (realloc failure).  The slot is the initial 16 bytes; the live
; size starts at 16 and follows each realloc that stays in the slot.
; CHECK-LABEL: define ptr @build(
; CHECK: %escalloc.len = alloca i64
; CHECK: %escalloc.obj = alloca [16 x i8], align 16
; CHECK-NOT: call ptr @malloc
; CHECK: store i64 16, ptr %escalloc.len
; CHECK: escalloc.grow.inslot:
; CHECK: br i1 %escalloc.fits, label %escalloc.grow.fit, label %escalloc.grow.move
; CHECK: escalloc.grow.fit:
; CHECK-NEXT: store i64 %cap2, ptr %escalloc.len
; CHECK-NEXT: br label %escalloc.grow.join
; CHECK: %escalloc.grown = phi ptr [ %escalloc.obj, %escalloc.grow.fit ], [ %escalloc.moved, %escalloc.grow.move ], [ %grown, %escalloc.grow.heap ]
; CHECK: bad:
; CHECK-NEXT: %[[ONSTACK:.*]] = icmp eq ptr %buf, %escalloc.obj
; CHECK-NEXT: %[[ARG:.*]] = select i1 %[[ONSTACK]], ptr null, ptr %buf
; CHECK-NEXT: call void @free(ptr %[[ARG]])
; CHECK: exit:
; CHECK-NEXT: %[[IN:escalloc.inslot[0-9]*]] = icmp eq ptr %buf2, %escalloc.obj
; CHECK-NEXT: br i1 %[[IN]], label %escalloc.move2heap, label %escalloc.ret
; CHECK: escalloc.move2heap:
; CHECK-NEXT: %escalloc.live = load i64, ptr %escalloc.len
; CHECK-NEXT: %[[M:escalloc.moved[0-9]*]] = call ptr @escalloc.move2heap(ptr %escalloc.obj, i64 %escalloc.live)
; CHECK-NEXT: br label %escalloc.ret
; CHECK: escalloc.ret:
; CHECK-NEXT: %[[R:escalloc.ret[0-9]*]] = phi ptr [ %buf2, %exit ], [ %[[M]], %escalloc.move2heap ]
; CHECK-NEXT: ret ptr %[[R]]
; REMARK: remark: <unknown>:0:0: malloc(16) built on the stack, moved to heap at return; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
; PRINT-LABEL: escalloc: function @build
; PRINT: site malloc(16): stack 16 bytes align 16, 1 free(s), grows by 1 realloc(s), moved to heap at return
; OFF: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from build{{$}}
; GUARD-LABEL: define ptr @build(
; GUARD: store i64 16, ptr %escalloc.len
; GUARD: exit:
; GUARD-NEXT: %[[GIN:escalloc.inslot[0-9]*]] = icmp eq ptr %buf2, %[[SLOT:.*]]
; GUARD-NEXT: %[[BOTH:.*]] = and i1 %{{.*}}, %[[GIN]]
; GUARD-NEXT: br i1 %[[BOTH]], label %escalloc.move2heap, label %escalloc.ret
; GUARD: call ptr @escalloc.move2heap(ptr %[[SLOT]], i64 %escalloc.live)
; ROOM-LABEL: define ptr @build(
; ROOM: %escalloc.obj = alloca [256 x i8], align 16
; ROOM: store i64 16, ptr %escalloc.len
define ptr @build(i64 %n) {
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
  %fail = icmp eq ptr %grown, null
  br i1 %fail, label %bad, label %next
bad:
  call void @free(ptr %buf)
  ret ptr null
next:
  %buf2 = phi ptr [ %grown, %grow ], [ %buf, %loop ]
  %cap3 = phi i64 [ %cap2, %grow ], [ %cap, %loop ]
  %at = getelementptr i8, ptr %buf2, i64 %i
  store i8 1, ptr %at
  %i2 = add i64 %i, 1
  %done = icmp eq i64 %i2, %n
  br i1 %done, label %exit, label %loop
exit:
  ret ptr %buf2
}

; A run-time first size (the fallback's slot): the live size starts as n;
; the return merges a null (the loop never ran) with the buffer.
; CHECK-LABEL: define ptr @fallback_join(
; CHECK: store i64 %n, ptr %escalloc.len
; CHECK: call ptr @malloc(i64 %n)
; CHECK: store i64 %m, ptr %escalloc.len
; CHECK: %[[IN:.*]] = icmp eq ptr %r, %escalloc.obj
; CHECK: call ptr @escalloc.move2heap(ptr %escalloc.obj, i64 %escalloc.live)
; REMARK: remark: <unknown>:0:0: malloc(n) built on the stack when its size fits 64 bytes, moved to heap at return; grows on the stack up to 64 bytes, then moves to the heap; 1 realloc guarded
define ptr @fallback_join(i64 %n, i64 %m, i1 %c) {
entry:
  %p = call ptr @malloc(i64 %n)
  %q = call ptr @realloc(ptr %p, i64 %m)
  call void @reader(ptr %q)
  br i1 %c, label %out, label %none
none:
  br label %out
out:
  %r = phi ptr [ %q, %entry ], [ null, %none ]
  ret ptr %r
}

; calloc's live size is the product of its operands.
; CHECK-LABEL: define ptr @calloc_grown(
; CHECK: store i64 32, ptr %escalloc.len
; CHECK: call ptr @escalloc.move2heap(
; REMARK: remark: <unknown>:0:0: calloc(4, 8) built on the stack, moved to heap at return
define ptr @calloc_grown(i64 %m) {
  %p = call ptr @calloc(i64 4, i64 8)
  %q = call ptr @realloc(ptr %p, i64 %m)
  ret ptr %q
}

; A function that returned a provably non-null pointer may now return the
; NULL of the copy's failing malloc: its nonnull goes.
; CHECK-LABEL: define noalias ptr @nonnull_result(
; CHECK: call ptr @escalloc.move2heap(
define noalias nonnull dereferenceable(16) ptr @nonnull_result(i64 %m) {
entry:
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  %fail = icmp eq ptr %q, null
  br i1 %fail, label %bad, label %ok
bad:
  call void @abort()
  unreachable
ok:
  ret ptr %q
}

; A plain malloc returned without growing is not a growable buffer: it is
; left to the allocation-wrapper and destination-passing rules.
; CHECK-LABEL: define ptr @plain(
; CHECK: call ptr @malloc(i64 16)
; CHECK-NOT: escalloc.move2heap
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from plain
define ptr @plain() {
  %p = call ptr @malloc(i64 16)
  call void @reader(ptr %p)
  ret ptr %p
}

; Negative: returned by two returns.
; CHECK-LABEL: define ptr @returned_twice(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from returned_twice (by 2 returns: not moved to the heap at the return)
define ptr @returned_twice(i64 %m, i1 %c) {
entry:
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  br i1 %c, label %a, label %b
a:
  store i8 1, ptr %q
  ret ptr %q
b:
  ret ptr %q
}

; Negative: returned and stored in a global.
; CHECK-LABEL: define ptr @returned_and_global(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: {{.*}}
; REMARK-NOT: malloc(16) built on the stack
define ptr @returned_and_global(i64 %m) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  store ptr %q, ptr @g
  ret ptr %q
}

; Negative: returned and passed to a function that may keep it.
; CHECK-LABEL: define ptr @returned_and_passed(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: {{.*}}keep
define ptr @returned_and_passed(i64 %m) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  call void @keep(ptr %q)
  ret ptr %q
}

; Negative: an interior pointer returned (the copy would have to move it).
; CHECK-LABEL: define ptr @interior(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from interior (a pointer into it, not its start: not moved to the heap at the return)
define ptr @interior(i64 %m) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  %r = getelementptr i8, ptr %q, i64 4
  ret ptr %r
}

; Negative: self-referential (a pointer into it stored into itself would
; point into the dead slot after the copy).
; CHECK-LABEL: define ptr @self_ref(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from self_ref (a pointer to it is stored in memory: not moved to the heap at the return)
define ptr @self_ref(i64 %m) {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  %end = getelementptr i8, ptr %q, i64 8
  store ptr %end, ptr %q
  ret ptr %q
}

; Negative: allocated in a loop, returned from inside it.
; CHECK-LABEL: define ptr @in_loop(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: returned from in_loop (allocated in a loop: not moved to the heap at the return)
define ptr @in_loop(i64 %m) {
entry:
  br label %loop
loop:
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %m)
  %stop = call i1 @more()
  br i1 %stop, label %found, label %next
found:
  ret ptr %q
next:
  call void @free(ptr %q)
  br label %loop
}

; The module's helper: malloc of the live size and a copy of the slot; NULL
; when malloc fails.
; (Appended to the module, after every function.)
; CHECK-LABEL: define internal ptr @escalloc.move2heap(ptr %slot, i64 %n)
; CHECK: %[[H:.*]] = call ptr @malloc(i64 %n)
; CHECK: call void @llvm.memcpy.p0.p0.i64(ptr %[[H]], ptr %slot, i64 %n, i1 false)
; CHECK: ret ptr %[[H]]
