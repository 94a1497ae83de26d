; Recursion, setjmp (returns_twice), musttail, tail markers, and frees that
; may free several pointers.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-allow-recursion -pass-remarks=escalloc \
; RUN:   -pass-remarks-missed=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=ALLOW

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback
declare void @noargs() nofree nocallback
declare i32 @setjmp(ptr) returns_twice

; Self-recursive: stack growth is unbounded, nothing is promoted by default.
; CHECK-LABEL: define void @recursive(
; CHECK: call ptr @malloc(i64 32)
; REMARK: remark: <unknown>:0:0: malloc(32) escapes to heap: in a recursive function
; ALLOW: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
define void @recursive(i64 %n) {
  %p = call ptr @malloc(i64 32)
  call void @reader(ptr %p)
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  %m = sub i64 %n, 1
  call void @recursive(i64 %m)
  br label %done
done:
  call void @free(ptr %p)
  ret void
}

; Mutually recursive: same.
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: in a recursive function
define void @ping(i64 %n) {
  %p = call ptr @malloc(i64 8)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  call void @pong(i64 %n)
  ret void
}
define void @pong(i64 %n) {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  %m = sub i64 %n, 1
  call void @ping(i64 %m)
  br label %done
done:
  ret void
}

; CHECK-LABEL: define void @calls_setjmp(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: function calls setjmp (returns twice)
define void @calls_setjmp(ptr %buf) {
  %p = call ptr @malloc(i64 16)
  %r = call i32 @setjmp(ptr %buf)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @has_musttail(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: function contains a musttail call
define void @has_musttail(i64 %n) {
  %p = call ptr @malloc(i64 16)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  musttail call void @noargs_tail(i64 %n)
  ret void
}
define void @noargs_tail(i64 %n) {
  ret void
}

; `tail` promises the callee touches no caller alloca: cleared on calls that
; may receive a pointer, kept on calls without pointer arguments.
; CHECK-LABEL: define void @tail_markers(
; CHECK: alloca [16 x i8], align 16
; CHECK: {{^  }}call void @reader(ptr %escalloc.obj)
; CHECK: tail call void @noargs()
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
define void @tail_markers() {
  %p = call ptr @malloc(i64 16)
  tail call void @reader(ptr %p)
  tail call void @noargs()
  call void @free(ptr %p)
  ret void
}

; Without a promotion the markers stay.
; CHECK-LABEL: define ptr @tail_untouched(
; CHECK: tail call void @reader(ptr %p)
define ptr @tail_untouched() {
  %p = call ptr @malloc(i64 16)
  tail call void @reader(ptr %p)
  ret ptr %p
}

; One free reached by a candidate and by another heap pointer: promote all or
; none -- here none, with a reason.
; A free that may also free the caller's pointer: the candidate moves, the
; free stays behind a check (escape-shared-free.ll has the rest).
; CHECK-LABEL: define void @mixed_free(
; CHECK: %escalloc.onheap = icmp ne ptr %x, %escalloc.obj
; CHECK: call void @free(ptr %x)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free guarded
define void @mixed_free(i1 %c, ptr %other) {
  %a = call ptr @malloc(i64 16)
  call void @reader(ptr %a)
  %x = select i1 %c, ptr %a, ptr %other
  call void @free(ptr %x)
  ret void
}

; Two candidates reaching one free: both move, the free is removed.
; CHECK-LABEL: define void @two_candidates_one_free(
; CHECK-NOT: call void @free
; CHECK: ret void
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(24) moved to stack; 1 free removed
define void @two_candidates_one_free(i1 %c) {
  %a = call ptr @malloc(i64 8)
  %b = call ptr @malloc(i64 24)
  %x = select i1 %c, ptr %a, ptr %b
  call void @reader(ptr %x)
  call void @free(ptr %x)
  ret void
}

; A free on each path of the same object: both removed.
; CHECK-LABEL: define void @free_on_both_paths(
; CHECK-NOT: call void @free
; CHECK: ret void
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 2 frees removed
define void @free_on_both_paths(i1 %c) {
  %a = call ptr @malloc(i64 8)
  call void @reader(ptr %a)
  br i1 %c, label %l, label %r
l:
  call void @free(ptr %a)
  ret void
r:
  call void @free(ptr %a)
  ret void
}

; Recursion the call graph cannot see: @eval_node is reached through a table
; of function pointers and calls through it again, so it may recurse to any
; depth.  @dispatch_once makes an indirect call too, but nothing it can reach
; leads back to it: it is not on a cycle.
@table = global [1 x ptr] [ptr @eval_node]
; CHECK-LABEL: define void @eval_node(
; CHECK: call ptr @malloc(i64 64)
; REMARK: remark: <unknown>:0:0: malloc(64) escapes to heap: in a function that may recurse through an indirect call or a callback
; ALLOW: remark: <unknown>:0:0: malloc(64) moved to stack; 1 free removed
define void @eval_node(i64 %depth) {
  %p = call ptr @malloc(i64 64)
  call void @reader(ptr %p)
  %f = load ptr, ptr @table
  %d = sub i64 %depth, 1
  call void %f(i64 %d)
  call void @free(ptr %p)
  ret void
}
; CHECK-LABEL: define void @dispatch_once(
; CHECK: alloca [32 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
define void @dispatch_once() {
  %p = call ptr @malloc(i64 32)
  call void @reader(ptr %p)
  %f = load ptr, ptr @table
  call void %f(i64 3)
  call void @free(ptr %p)
  ret void
}
