; Issue 11, class 3: where the model of memory was too coarse.  va_start's
; save area holds the caller's pointers; a call to a declaration may return
; an alias of its pointer arguments; a callee may write, or return, pointers
; at any depth below its argument, so a free through them is deleted only if
; it must free the promoted object.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

%struct.va = type { i32, i32, ptr, ptr }
@g = global ptr null
@gi = global i64 0
@mode = private constant [2 x i8] c"r\00"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @llvm.va_start.p0(ptr)
declare void @llvm.va_end.p0(ptr)
declare ptr @ctermid(ptr nocapture) nofree
declare i64 @strlen(ptr nocapture) nounwind memory(argmem: read)
declare noalias ptr @fopen(ptr nocapture readonly, ptr nocapture readonly) nofree

; A variadic constructor returns its object through a char ** fetched from
; va_start's save area (clang's inline va_arg for x86-64).
; REMARK-DAG: remark: <unknown>:0:0: malloc(24) escapes to heap: stored into memory the analysis cannot follow
define void @make(i32 %n, ...) {
  %ap = alloca %struct.va
  call void @llvm.va_start.p0(ptr %ap)
  %area.p = getelementptr %struct.va, ptr %ap, i64 0, i32 3
  %area = load ptr, ptr %area.p
  %out = load ptr, ptr %area
  %s = call ptr @malloc(i64 24)
  store ptr %s, ptr %out
  call void @llvm.va_end.p0(ptr %ap)
  ret void
}

; Negative: a variadic function's own object, filled with an int fetched
; with va_arg, stays on the stack.
; REMARK-DAG: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
define i32 @sum(i32 %n, ...) {
  %ap = alloca %struct.va
  call void @llvm.va_start.p0(ptr %ap)
  %area.p = getelementptr %struct.va, ptr %ap, i64 0, i32 3
  %area = load ptr, ptr %area.p
  %v = load i32, ptr %area
  %t = call ptr @malloc(i64 32)
  store i32 %v, ptr %t
  %r = load i32, ptr %t
  call void @free(ptr %t)
  call void @llvm.va_end.p0(ptr %ap)
  ret i32 %r
}

; ctermid(s) returns s (LLVM says nocapture): the result is an alias.
; REMARK-DAG: remark: <unknown>:0:0: malloc(40) escapes to heap: stored to global g
define void @term() {
  %s = call ptr @malloc(i64 40)
  %r = call ptr @ctermid(ptr %s)
  store ptr %r, ptr @g
  ret void
}

; Negative: an integer result (strlen) and a noalias result (fopen) are not
; aliases of the argument.
; REMARK-DAG: remark: <unknown>:0:0: malloc(48) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(56) moved to stack; 1 free removed
define void @not_aliases() {
  %s = call ptr @malloc(i64 48)
  store i8 0, ptr %s
  %n = call i64 @strlen(ptr %s)
  store i64 %n, ptr @gi
  %name = call ptr @malloc(i64 56)
  store i8 0, ptr %name
  %f = call ptr @fopen(ptr %name, ptr @mode)
  store ptr %f, ptr @g
  call void @free(ptr %s)
  call void @free(ptr %name)
  ret void
}

; A callee writes a fresh pointer two levels below its argument (LLVM may
; mark the argument readonly: it writes o->in->data, not o).
define void @refill(ptr readonly %o) {
  %in = load ptr, ptr %o
  %m = call ptr @malloc(i64 8)
  store ptr %m, ptr %in
  ret void
}
; The free of what `in` holds after the call may free the callee's object:
; it stays, behind a check that the pointer is not old's slot.
; CHECK-LABEL: define void @two_level_store(
; CHECK: %d = load ptr
; CHECK: %escalloc.onheap = icmp ne ptr %d, %escalloc.obj2
; CHECK: call void @free(ptr %d)
; REMARK-DAG: remark: <unknown>:0:0: malloc(64) moved to stack; 1 free removed, 1 guarded
define void @two_level_store() {
  %in = call ptr @malloc(i64 16)
  %o = call ptr @malloc(i64 16)
  %old = call ptr @malloc(i64 64)
  store ptr %old, ptr %in
  store ptr %in, ptr %o
  call void @refill(ptr %o)
  %d = load ptr, ptr %in
  call void @free(ptr %d)
  call void @free(ptr %old)
  call void @free(ptr %o)
  call void @free(ptr %in)
  ret void
}

; Negative: a callee that only reads leaves the free exact.
define i8 @peek(ptr %o) memory(read) {
  %in = load ptr, ptr %o
  %d = load ptr, ptr %in
  %c = load i8, ptr %d
  ret i8 %c
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(72) moved to stack; 1 free removed
define void @two_level_read() {
  %in = call ptr @malloc(i64 16)
  %o = call ptr @malloc(i64 16)
  %data = call ptr @malloc(i64 72)
  store i8 0, ptr %data
  store ptr %data, ptr %in
  store ptr %in, ptr %o
  %c = call i8 @peek(ptr %o)
  %d = load ptr, ptr %in
  call void @free(ptr %d)
  call void @free(ptr %o)
  call void @free(ptr %in)
  ret void
}

; A callee returns a pointer loaded two levels below its argument; the
; caller frees it: that free may free another object (kept, behind a check
; against the one object two levels down: `in` is one level down, and the
; summary's dereference level says it is not returned).
define ptr @deep(ptr %o) {
  %in = load ptr, ptr %o
  %d = load ptr, ptr %in
  ret ptr %d
}
; CHECK-LABEL: define void @two_level_return(
; CHECK: %d = call ptr @deep(
; CHECK: %escalloc.onheap = icmp ne ptr %d, %escalloc.obj2
; CHECK-NEXT: br i1 %escalloc.onheap
; CHECK: call void @free(ptr %d)
; REMARK-DAG: remark: <unknown>:0:0: malloc(80) moved to stack; 1 free guarded
define void @two_level_return() {
  %in = call ptr @malloc(i64 16)
  %o = call ptr @malloc(i64 16)
  %data = call ptr @malloc(i64 80)
  store ptr %data, ptr %in
  store ptr %in, ptr %o
  %d = call ptr @deep(ptr %o)
  call void @free(ptr %d)
  ret void
}
