; Stack budgets (-escalloc-max-stack-size, -escalloc-max-frame,
; -escalloc-max-path, -escalloc-opaque-frame) and stack probes for a function
; that gains more than a page.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; Knobs: a smaller object limit and frame budget.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-max-stack-size=32 -escalloc-max-frame=48 \
; RUN:   -pass-remarks=escalloc -pass-remarks-missed=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=SMALL
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=POLICY
; POLICY: remark: <unknown>:0:0: opaque_budget calls code outside the module (callback_maybe): frame budget 4096 bytes
; POLICY: remark: <unknown>:0:0: callback_budget calls code outside the module (qsort): frame budget 4096 bytes
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-max-path=6000 -pass-remarks=escalloc \
; RUN:   -pass-remarks-missed=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=PATH

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback
declare void @callback_maybe()

; 4096 bytes is the default limit: promoted.  4097: too large.
; CHECK-LABEL: define void @at_limit(
; CHECK: alloca [4096 x i8], align 16
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; SMALL: remark: <unknown>:0:0: malloc(4096) escapes to heap: too large for stack (4096 > 32)
; PATH: remark: <unknown>:0:0: malloc(4096) moved to stack
define void @at_limit() {
  %p = call ptr @malloc(i64 4096)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @over_limit(
; CHECK: call ptr @malloc(i64 4097)
; REMARK: remark: <unknown>:0:0: malloc(4097) escapes to heap: too large for stack (4097 > 4096)
define void @over_limit() {
  %p = call ptr @malloc(i64 4097)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Five 4 KiB objects: four fit the 16 KiB frame budget, the fifth does not.
; The function gains more than a page, so it gets inline stack probes.
; CHECK-LABEL: define void @frame_budget(
; CHECK-COUNT-4: alloca [4096 x i8], align 16
; CHECK: %p5 = call ptr @malloc(i64 4096)
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) escapes to heap: stack frame budget exhausted (16384 + 4096 > 16384)
define void @frame_budget() {
  %p1 = call ptr @malloc(i64 4096)
  %p2 = call ptr @malloc(i64 4096)
  %p3 = call ptr @malloc(i64 4096)
  %p4 = call ptr @malloc(i64 4096)
  %p5 = call ptr @malloc(i64 4096)
  call void @reader(ptr %p1)
  call void @reader(ptr %p2)
  call void @reader(ptr %p3)
  call void @reader(ptr %p4)
  call void @reader(ptr %p5)
  call void @free(ptr %p1)
  call void @free(ptr %p2)
  call void @free(ptr %p3)
  call void @free(ptr %p4)
  call void @free(ptr %p5)
  ret void
}

; SMALL: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
; SMALL: remark: <unknown>:0:0: malloc(32) escapes to heap: stack frame budget exhausted (32 + 32 > 48)
define void @two_small() {
  %a = call ptr @malloc(i64 32)
  %b = call ptr @malloc(i64 32)
  call void @reader(ptr %a)
  call void @reader(ptr %b)
  call void @free(ptr %a)
  call void @free(ptr %b)
  ret void
}

; A small frame: no probes.
; CHECK-LABEL: define void @small_frame() {
; CHECK: alloca [64 x i8], align 16
define void @small_frame() {
  %a = call ptr @malloc(i64 64)
  call void @reader(ptr %a)
  call void @free(ptr %a)
  ret void
}

; The call path: @path_top calls @at_limit (4096 promoted below it); with a
; 6000-byte path budget only 1904 bytes are left for @path_top.
; PATH: remark: <unknown>:0:0: malloc(2048) escapes to heap: call-path stack budget exhausted (4096 + 2048 > 6000)
; REMARK: remark: <unknown>:0:0: malloc(2048) moved to stack
define void @path_top() {
  %a = call ptr @malloc(i64 2048)
  call void @reader(ptr %a)
  call void @at_limit()
  call void @free(ptr %a)
  ret void
}

; Opaque-call policy: a function that calls a declaration which may call back
; into the module (no nocallback, not a C library function) may sit on a cycle
; the module cannot see, so its frame budget is -escalloc-opaque-frame (4096).
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) escapes to heap: stack frame budget exhausted (4096 + 4096 > 4096)
define void @opaque_budget() {
  %a = call ptr @malloc(i64 4096)
  %b = call ptr @malloc(i64 4096)
  call void @callback_maybe()
  call void @reader(ptr %a)
  call void @reader(ptr %b)
  call void @free(ptr %a)
  call void @free(ptr %b)
  ret void
}

; The attribute appears on @frame_budget only.
; CHECK: attributes #[[#]] = { "probe-stack"="inline-asm" }
; CHECK-NOT: probe-stack

; A C library function handed one of our functions (qsort's comparator) may
; call back into the module: the opaque budget applies too.
declare void @qsort(ptr, i64, i64, ptr)
define i32 @cmp(ptr %a, ptr %b) {
  ret i32 0
}
; REMARK: remark: <unknown>:0:0: malloc(4096) moved to stack; 1 free removed
; REMARK: remark: <unknown>:0:0: malloc(4096) escapes to heap: stack frame budget exhausted (4096 + 4096 > 4096)
define void @callback_budget(ptr %arr) {
  %a = call ptr @malloc(i64 4096)
  %b = call ptr @malloc(i64 4096)
  call void @qsort(ptr %arr, i64 10, i64 8, ptr @cmp)
  call void @reader(ptr %a)
  call void @reader(ptr %b)
  call void @free(ptr %a)
  call void @free(ptr %b)
  ret void
}
