; Allocation through hooks (issue 12, section 3; AllocHooks.h): a call
; through a pointer loaded from a global slot initialised to malloc is an
; allocation site, promoted speculatively (the stack when the pointer is
; malloc at run time); a call through a slot initialised to free is its free,
; and never receives a stack slot.
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s --check-prefix=NOGUARD
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -escalloc-hooks=false -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF --allow-empty

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare ptr @realloc(ptr, i64)
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)
declare ptr @my_alloc(i64)

%hooks = type { ptr, ptr, ptr }
@global_hooks = internal global %hooks { ptr @malloc, ptr @free, ptr @realloc }
@user_hooks = internal global %hooks { ptr @my_alloc, ptr @free, ptr @realloc }
@g = global ptr null

; The user may replace them: nothing about their values is known.
define void @init_hooks(ptr %a, ptr %f) {
  store ptr %a, ptr @global_hooks
  store ptr %f, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  store ptr %a, ptr @user_hooks
  ret void
}

; Positive: allocated and freed through the hooks.
; CHECK-LABEL: define i8 @through_hooks(
; CHECK: %alloc = load ptr, ptr @global_hooks
; CHECK: %escalloc.malloc = icmp eq ptr %alloc, @malloc
; CHECK: %escalloc.spec = and i1 %escalloc.ok, %escalloc.malloc
; CHECK: br i1 %escalloc.spec
; CHECK: %p = call ptr %alloc(i64 64)
; CHECK: %escalloc.ptr = phi ptr [ %escalloc.base, {{.*}} ], [ %p, {{.*}} ]
; The free hook: called for a heap object (or NULL); for the stack slot,
; skipped while it is free, else handed a heap copy.
; CHECK: %dealloc = load ptr
; CHECK: %escalloc.onheap = icmp ne ptr %escalloc.ptr, %escalloc.base
; CHECK: [[NULL:%.*]] = icmp eq ptr %escalloc.ptr, null
; CHECK: %escalloc.tohook = or i1 %escalloc.onheap, [[NULL]]
; CHECK: br i1 %escalloc.tohook, label %[[HEAP:.*]], label %[[STACK:.*]]
; CHECK: [[HEAP]]:
; CHECK-NEXT: call void %dealloc(ptr %escalloc.ptr)
; CHECK: [[STACK]]:
; CHECK-NEXT: %escalloc.hooked = icmp ne ptr %dealloc, @free
; CHECK: %escalloc.copy = call ptr @malloc(i64 64)
; CHECK-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 1 %escalloc.copy, ptr align 1 %escalloc.ptr, i64 64, i1 false)
; CHECK-NEXT: call void %dealloc(ptr %escalloc.copy)
; NOGUARD-LABEL: define i8 @through_hooks(
; NOGUARD: %escalloc.obj = alloca [64 x i8], align 16
; NOGUARD: %escalloc.hooked = icmp ne ptr %alloc, @malloc
; NOGUARD: br i1 %escalloc.hooked
; NOGUARD: %p = call ptr %alloc(i64 64)
; NOGUARD: %escalloc.ptr = phi ptr [ %escalloc.obj, {{.*}} ], [ %p, {{.*}} ]
; NOGUARD: icmp ne ptr %escalloc.ptr, %escalloc.obj
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(64) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
; OFF-NOT: moved to stack
define i8 @through_hooks() {
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 64)
  store i8 1, ptr %p
  call void @reader(ptr %p)
  %v = load i8, ptr %p
  %dealloc = load ptr, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  call void %dealloc(ptr %p)
  ret i8 %v
}

; Positive: a plain free of a hook's object stays for the user's memory.
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(24) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define void @hook_then_free() {
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 24)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Negative: what the user's allocator returns may be its own memory, which
; it may still reach: a pointer stored into it is published.
; CHECK-LABEL: define void @stored_into_hook_memory(
; CHECK: %q = call ptr @malloc(i64 8)
; REMARK-DAG: remark: <unknown>:0:0: malloc(8) escapes to heap: stored into memory the analysis cannot follow
define void @stored_into_hook_memory() {
  %q = call ptr @malloc(i64 8)
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 16)
  store ptr %q, ptr %p
  call void @reader(ptr %p)
  call void @free(ptr %q)
  ret void
}

; Negative: published.
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(32) escapes to heap: stored to global g
define void @hook_published() {
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 32)
  store ptr %p, ptr @g
  ret void
}

; Negative: a slot initialised to another function is no allocation hook;
; a pointer passed through a slot that is not free's (realloc's) escapes.
; CHECK-LABEL: define void @not_hooks(
; CHECK: %p = call ptr %alloc(i64 40)
; CHECK: %q = call ptr @malloc(i64 48)
; REMARK-DAG: remark: <unknown>:0:0: malloc(48) escapes to heap: passed to an indirect call
; REMARK-NOT: (40) moved
define void @not_hooks() {
  %alloc = load ptr, ptr @user_hooks
  %p = call ptr %alloc(i64 40)
  call void @reader(ptr %p)
  %q = call ptr @malloc(i64 48)
  %re = load ptr, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 16)
  %r = call ptr %re(ptr %q, i64 0)
  ret void
}
