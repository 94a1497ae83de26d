; Interprocedural: bottom-up parameter summaries in Go's words, used at the
; call sites; declarations by attributes (nocapture needs nofree too, or
; read-only argument memory).
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -pass-remarks-analysis=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare i64 @strlen(ptr nocapture) memory(argmem: read)
declare void @ext_nocapture_nofree(ptr nocapture) nofree
declare void @ext_readonly_arg(ptr nocapture readonly)

; The summaries come first, as analysis remarks.
; REMARK-DAG: remark: <unknown>:0:0: p does not escape
; REMARK-DAG: remark: <unknown>:0:0: leaking param: p{{$}}
; REMARK-DAG: remark: <unknown>:0:0: leaking param: p to result
; REMARK-DAG: remark: <unknown>:0:0: param p is freed
; REMARK-DAG: remark: <unknown>:0:0: leaking param content: p

; PRINT-LABEL: escalloc: function @reads
; PRINT-NEXT: param p does not escape
define i64 @reads(ptr %p) noinline {
  %v = load i64, ptr %p
  ret i64 %v
}

; PRINT-LABEL: escalloc: function @leaks
; PRINT-NEXT: param leaking param: p
define void @leaks(ptr %p) noinline {
  store ptr %p, ptr @g
  ret void
}

; PRINT-LABEL: escalloc: function @identity
; PRINT-NEXT: param leaking param: p to result
define ptr @identity(ptr %p) noinline {
  ret ptr %p
}

; PRINT-LABEL: escalloc: function @frees
; PRINT-NEXT: param param p is freed
define void @frees(ptr %p) noinline {
  call void @free(ptr %p)
  ret void
}

; PRINT-LABEL: escalloc: function @publishes_content
; PRINT-NEXT: param leaking param content: p
define void @publishes_content(ptr %p) noinline {
  %inner = load ptr, ptr %p
  store ptr %inner, ptr @g
  ret void
}

; A callee that forwards to a leaking callee leaks too (bottom-up).
; PRINT-LABEL: escalloc: function @forwards_to_leaks
; PRINT-NEXT: param leaking param: q
define void @forwards_to_leaks(ptr %q) noinline {
  call void @leaks(ptr %q)
  ret void
}

; Mutual recursion: summaries iterate to a fixed point; the pointer is only
; read, so it does not escape.
; PRINT-LABEL: escalloc: function @even
; PRINT-SAME: (recursive)
; PRINT-NEXT: param p does not escape
define i1 @even(ptr %p, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %yes, label %rec
yes:
  ret i1 true
rec:
  %m = sub i64 %n, 1
  %r = call i1 @odd(ptr %p, i64 %m)
  ret i1 %r
}
define i1 @odd(ptr %p, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %no, label %rec
no:
  %v = load i64, ptr %p
  %b = icmp eq i64 %v, 0
  ret i1 %b
rec:
  %m = sub i64 %n, 1
  %r = call i1 @even(ptr %p, i64 %m)
  ret i1 %r
}

; CHECK-LABEL: define i64 @caller_reads(
; CHECK: alloca [8 x i8], align 16
; CHECK-NOT: @malloc
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
define i64 @caller_reads() {
  %p = call ptr @malloc(i64 8)
  store i64 1, ptr %p
  %v = call i64 @reads(ptr %p)
  call void @free(ptr %p)
  ret i64 %v
}

; CHECK-LABEL: define void @caller_leaks(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: passed to leaks argument 1 which leaks it
define void @caller_leaks() {
  %p = call ptr @malloc(i64 8)
  call void @leaks(ptr %p)
  ret void
}

; Leaks to result: the result is the same object.
; CHECK-LABEL: define i64 @caller_identity_local(
; CHECK: alloca [8 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
define i64 @caller_identity_local() {
  %p = call ptr @malloc(i64 8)
  %q = call ptr @identity(ptr %p)
  store i64 4, ptr %q
  %v = load i64, ptr %p
  call void @free(ptr %q)
  ret i64 %v
}

; CHECK-LABEL: define void @caller_identity_published(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored to global g
define void @caller_identity_published() {
  %p = call ptr @malloc(i64 8)
  %q = call ptr @identity(ptr %p)
  store ptr %q, ptr @g
  ret void
}

; Freed in the callee: must stay on the heap (free of a stack address).
; CHECK-LABEL: define void @caller_frees(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: freed by frees argument 1
define void @caller_frees() {
  %p = call ptr @malloc(i64 8)
  call void @frees(ptr %p)
  ret void
}

; Content leaks: the holder stays local, what it holds escapes.
; CHECK-LABEL: define void @caller_content(
; CHECK: alloca [8 x i8], align 16
; CHECK: %inner = call ptr @malloc(i64 4)
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(4) escapes to heap: its contents leak through publishes_content argument 1
define void @caller_content() {
  %holder = call ptr @malloc(i64 8)
  %inner = call ptr @malloc(i64 4)
  store ptr %inner, ptr %holder
  call void @publishes_content(ptr %holder)
  ret void
}

; Through two levels of calls.
; CHECK-LABEL: define void @caller_forwards(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: passed to forwards_to_leaks argument 1 which leaks it
define void @caller_forwards() {
  %p = call ptr @malloc(i64 8)
  call void @forwards_to_leaks(ptr %p)
  ret void
}

; Declarations: nocapture + nofree, or nocapture + read-only: stays local.
; CHECK-LABEL: define i64 @caller_declarations(
; CHECK: alloca [32 x i8], align 16
; CHECK-NOT: @malloc
; REMARK: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
define i64 @caller_declarations() {
  %p = call ptr @malloc(i64 32)
  store i8 0, ptr %p
  %n = call i64 @strlen(ptr %p)
  call void @ext_readonly_arg(ptr %p)
  call void @free(ptr %p)
  ret i64 %n
}

; A declaration that is no library function may store its nocapture
; argument wherever it may write, here into the object itself, whose
; contents it may publish (the general rule, escape-lib-outputs.ll).
; CHECK-LABEL: define void @caller_nocapture_writer(
; CHECK: call ptr @malloc(i64 34)
; REMARK: remark: <unknown>:0:0: malloc(34) escapes to heap: passed to ext_nocapture_nofree argument 1 which may store it in memory its pointer arguments reach
define void @caller_nocapture_writer() {
  %p = call ptr @malloc(i64 34)
  store i8 0, ptr %p
  call void @ext_nocapture_nofree(ptr %p)
  call void @free(ptr %p)
  ret void
}

; An indirect callee is unknown: escapes.
; CHECK-LABEL: define void @caller_indirect(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: passed to an indirect call
define void @caller_indirect(ptr %fn) {
  %p = call ptr @malloc(i64 8)
  call void %fn(ptr %p)
  ret void
}

; The recursive pair does not leak its argument: the caller keeps it local.
; CHECK-LABEL: define i1 @caller_recursive_callee(
; CHECK: alloca [8 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
define i1 @caller_recursive_callee(i64 %n) {
  %p = call ptr @malloc(i64 8)
  store i64 0, ptr %p
  %r = call i1 @even(ptr %p, i64 %n)
  call void @free(ptr %p)
  ret i1 %r
}


; Content returned: as a pointer (next_of) or as its integer bits (get_bits).
; PRINT-LABEL: escalloc: function @next_of
; PRINT-NEXT: param leaking param content: n to result
define ptr @next_of(ptr %n) noinline {
  %next = load ptr, ptr %n
  ret ptr %next
}
define i64 @get_bits(ptr %p) noinline {
  %bits = load i64, ptr %p
  ret i64 %bits
}

; The returned content is the inner object: used locally, both stay local.
; CHECK-LABEL: define i64 @caller_next_local(
; CHECK-COUNT-2: alloca [16 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
define i64 @caller_next_local() {
  %holder = call ptr @malloc(i64 16)
  %inner = call ptr @malloc(i64 16)
  store ptr %inner, ptr %holder
  %r = call ptr @next_of(ptr %holder)
  store i64 1, ptr %r
  %v = load i64, ptr %inner
  ret i64 %v
}

; The pointer's bits come back as an integer and are turned into a pointer
; that is published: the inner object escapes, the holder does not.
; CHECK-LABEL: define void @caller_bits_published(
; CHECK: alloca [16 x i8], align 16
; CHECK: %inner = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: stored to global g
define void @caller_bits_published() {
  %holder = call ptr @malloc(i64 16)
  %inner = call ptr @malloc(i64 16)
  store ptr %inner, ptr %holder
  %b = call i64 @get_bits(ptr %holder)
  %q = inttoptr i64 %b to ptr
  store ptr %q, ptr @g
  ret void
}

; The same bits only compared: nothing escapes.
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack
define i1 @caller_bits_compared() {
  %holder = call ptr @malloc(i64 16)
  %inner = call ptr @malloc(i64 16)
  store ptr %inner, ptr %holder
  %b = call i64 @get_bits(ptr %holder)
  %z = icmp eq i64 %b, 0
  ret i1 %z
}

; Integer intrinsics do not turn their operands into pointers.
; PRINT-LABEL: escalloc: function @abs_field
; PRINT-NEXT: param p does not escape
declare i64 @llvm.abs.i64(i64, i1)
define i64 @abs_field(ptr %p) noinline {
  %x = load i64, ptr %p
  %a = call i64 @llvm.abs.i64(i64 %x, i1 false)
  ret i64 %a
}

; C library functions that return (a pointer into) their first argument and
; capture nothing else: the result is the same object.
declare ptr @strcpy(ptr returned, ptr nocapture readonly) nofree nocallback
declare ptr @strchr(ptr, i32) nofree nocallback memory(argmem: read)
@hello = private constant [6 x i8] c"hello\00"

; CHECK-LABEL: define i8 @caller_strcpy_local(
; CHECK: alloca [16 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
define i8 @caller_strcpy_local() {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @strcpy(ptr %p, ptr @hello)
  %e = call ptr @strchr(ptr %q, i32 108)
  %c = load i8, ptr %e
  call void @free(ptr %p)
  ret i8 %c
}

; CHECK-LABEL: define void @caller_strcpy_published(
; CHECK: call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) escapes to heap: stored to global g
define void @caller_strcpy_published() {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @strcpy(ptr %p, ptr @hello)
  %e = call ptr @strchr(ptr %q, i32 108)
  store ptr %e, ptr @g
  ret void
}
