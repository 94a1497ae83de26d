; A free that may release several objects (issue 12, section 2): a free of
; a phi or a select whose every incoming pointer is promoted is removed; a
; free that may also release an object staying on the heap is kept behind a
; check that the pointer is none of the frame's stack slots.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc \
; RUN:   -pass-remarks-missed=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s --check-prefix=GUARD
; RUN: %opt -passes='print<escalloc>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback
declare void @rewrites(ptr nocapture) nofree nocallback memory(argmem: readwrite)
declare i32 @__gxx_personality_v0(...)
@g = global ptr null

; Positive: a select of two candidates, freed once: both on the stack, the
; free removed (with the guard: kept for the case where either took the heap).
; CHECK-LABEL: define void @select_two(
; CHECK-NOT: call ptr @malloc
; CHECK-NOT: call void @free
; CHECK: ret void
; REMARK-DAG: remark: <unknown>:0:0: malloc(8) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(24) moved to stack; 1 free removed
; PRINT-LABEL: function @select_two
; PRINT: site malloc(8): stack 8 bytes align 16, 1 free(s)
; PRINT: site malloc(24): stack 24 bytes align 16, 1 free(s)
; GUARD-LABEL: define void @select_two(
; GUARD: [[NE0:%.*]] = icmp ne ptr %x, %escalloc.base
; GUARD: [[NE1:%.*]] = icmp ne ptr %x, %escalloc.slot
; GUARD: [[BOTH:%.*]] = and i1 [[NE0]], [[NE1]]
; GUARD: br i1 [[BOTH]]
; GUARD: call void @free(ptr %x)
define void @select_two(i1 %c) {
  %a = call ptr @malloc(i64 8)
  %b = call ptr @malloc(i64 24)
  %x = select i1 %c, ptr %a, ptr %b
  call void @reader(ptr %x)
  call void @free(ptr %x)
  ret void
}

; Positive: a phi of candidates from two branches, and a free of each on its
; own path besides: every free removed.
; CHECK-LABEL: define i8 @phi_two(
; CHECK-NOT: call void @free
; CHECK: ret i8
; REMARK-DAG: remark: <unknown>:0:0: malloc(32) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(48) moved to stack; 2 frees removed
define i8 @phi_two(i1 %c, i1 %d) {
  br i1 %c, label %l, label %r
l:
  %a = call ptr @malloc(i64 32)
  store i8 1, ptr %a
  br label %join
r:
  %b = call ptr @malloc(i64 48)
  store i8 2, ptr %b
  br i1 %d, label %early, label %join
early:
  call void @free(ptr %b)
  ret i8 0
join:
  %p = phi ptr [ %a, %l ], [ %b, %r ]
  %v = load i8, ptr %p
  call void @free(ptr %p)
  ret i8 %v
}

; Negative: the select mixes a candidate with a pointer from the caller.  The
; candidate moves; the free stays, behind a check that it is not the slot.
; CHECK-LABEL: define void @mixed_param(
; CHECK: %escalloc.obj = alloca [16 x i8]
; CHECK: %x = select i1 %c, ptr %escalloc.obj, ptr %other
; CHECK: %escalloc.onheap = icmp ne ptr %x, %escalloc.obj
; CHECK: br i1 %escalloc.onheap
; CHECK: call void @free(ptr %x)
; REMARK-DAG: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free guarded
; PRINT-LABEL: function @mixed_param
; PRINT: param param other is freed
; PRINT: site malloc(16): stack 16 bytes align 16, 1 free(s) (1 may free another object)
define void @mixed_param(i1 %c, ptr %other) {
  %a = call ptr @malloc(i64 16)
  call void @reader(ptr %a)
  %x = select i1 %c, ptr %a, ptr %other
  call void @free(ptr %x)
  ret void
}

; Negative: the other object stays on the heap (published), so the shared
; free stays for it; the candidate's own free is removed.
; CHECK-LABEL: define void @mixed_heap_site(
; CHECK: %b = call ptr @malloc(i64 40)
; CHECK: %escalloc.onheap = icmp ne ptr %x, %escalloc.obj
; CHECK: call void @free(ptr %x)
; CHECK-NOT: call void @free
; CHECK: ret void
; REMARK-DAG: remark: <unknown>:0:0: malloc(40) escapes to heap: stored to global g
; REMARK-DAG: remark: <unknown>:0:0: malloc(56) moved to stack; 1 free removed, 1 guarded
define void @mixed_heap_site(i1 %c, i1 %d) {
  %a = call ptr @malloc(i64 56)
  %b = call ptr @malloc(i64 40)
  store ptr %b, ptr @g
  call void @reader(ptr %a)
  %x = select i1 %c, ptr %a, ptr %b
  br i1 %d, label %one, label %other
one:
  call void @free(ptr %x)
  ret void
other:
  call void @free(ptr %a)
  ret void
}

; Negative: a callee may have replaced the pointer in the holder; the free of
; what it holds afterwards may free that one: kept, guarded.
; CHECK-LABEL: define void @after_clobber(
; CHECK: %p = load ptr, ptr
; CHECK: %escalloc.onheap = icmp ne ptr %p, %escalloc.obj
; CHECK: call void @free(ptr %p)
; REMARK-DAG: remark: <unknown>:0:0: malloc(12) moved to stack; 1 free guarded
define void @after_clobber() {
  %holder = alloca ptr
  %inner = call ptr @malloc(i64 12)
  store ptr %inner, ptr %holder
  call void @rewrites(ptr %holder)
  %p = load ptr, ptr %holder
  call void @free(ptr %p)
  ret void
}

; A run-time size (stack when it fits) and a constant one share a free: it
; stays, checked against both slots.
; CHECK-LABEL: define void @fallback_shared(
; CHECK: [[NE0:%.*]] = icmp ne ptr %x, %escalloc.obj{{[0-9]*}}
; CHECK: [[NE1:%.*]] = icmp ne ptr %x, %escalloc.obj{{[0-9]*}}
; CHECK: and i1 [[NE0]], [[NE1]]
; CHECK: call void @free(ptr %x)
; REMARK-DAG: remark: <unknown>:0:0: malloc(n) moved to stack when its size fits 64 bytes; 1 free guarded
; REMARK-DAG: remark: <unknown>:0:0: malloc(20) moved to stack; 1 free guarded
define void @fallback_shared(i1 %c, i64 %n) {
  %a = call ptr @malloc(i64 %n)
  %b = call ptr @malloc(i64 20)
  %x = select i1 %c, ptr %a, ptr %b
  call void @reader(ptr %x)
  call void @free(ptr %x)
  ret void
}

; Negative: a free by an invoke cannot be deleted; both stay on the heap.
; CHECK-LABEL: define void @invoke_free(
; CHECK: %a = call ptr @malloc(i64 8)
; CHECK: %b = call ptr @malloc(i64 8)
; REMARK-DAG: remark: <unknown>:0:0: malloc(8) escapes to heap: freed by an invoke
define void @invoke_free(i1 %c) personality ptr @__gxx_personality_v0 {
  %a = call ptr @malloc(i64 8)
  %b = call ptr @malloc(i64 8)
  %x = select i1 %c, ptr %a, ptr %b
  invoke void @free(ptr %x) to label %ok unwind label %lp
ok:
  ret void
lp:
  %l = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %l
}
