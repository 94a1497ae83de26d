; Caller-frame promotion through allocation hooks (DestPassing.h,
; AllocHooks.h; issue 12, section 3): a function that returns what a hook
; allocated (cJSON's global_hooks.allocate, gawk's out-of-line emalloc over
; pma_malloc) gets a clone taking the caller's slot, which it uses only when
; the hook does what malloc does at the call: the loaded pointer equals
; malloc, or the wrapper's path to malloc is taken (the test the in-frame
; promotion uses); otherwise it calls the hook.  The caller's result may be
; the user's allocator's memory; its frees through the deallocation hook
; are guarded as in-frame ones (`q != slot`, else a heap copy for a
; replaced hook), its plain frees by `q != slot`.
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - > %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=CLONE < %t.ll
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -S %s -o - | FileCheck %s --check-prefix=GUARD
; RUN: %opt -escalloc-stack-guard=false -escalloc-hooks=false -escalloc-wrapper-hooks=false -passes=escalloc -S %s -o - \
; RUN:   | FileCheck %s --check-prefix=OFF
; RUN: %opt -passes=escalloc %s -o /dev/null -verify-each

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)
declare void @touch(ptr)
declare void @fatal() noreturn
declare ptr @pool_alloc(i64)
declare void @pool_free(ptr)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)

%hooks = type { ptr, ptr }
@global_hooks = internal global %hooks { ptr @malloc, ptr @free }
@late_hooks = internal global %hooks zeroinitializer
@user_hooks = internal global %hooks { ptr @malloc, ptr @my_release }
@state.init = internal global i32 0
@calls = internal global i32 0
@released = internal global i32 0
@g = global ptr null

; The user may replace every hook at run time.
define void @init_hooks(ptr %a, ptr %f) {
  store ptr %a, ptr @global_hooks
  store ptr %f, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  store ptr %a, ptr @late_hooks
  store ptr %a, ptr @user_hooks
  store i32 2, ptr @state.init
  ret void
}

define void @my_release(ptr %p) {
  %n = load i32, ptr @released
  %n1 = add i32 %n, 1
  store i32 %n1, ptr @released
  call void @free(ptr %p)
  ret void
}

;--- A hook slot (cJSON's cJSON_New_Item over global_hooks.allocate).

; PRINT: escalloc: function @new_item (takes a destination, depth 1)
define ptr @new_item(i32 %v) noinline {
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 32)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
fail:
  ret ptr null
ok:
  store i32 %v, ptr %p
  ret ptr %p
}

; The clone: dst only when it fits and the hook is malloc at the call.
; CLONE-LABEL: define internal ptr @new_item.escalloc.into(
; CLONE-SAME: ptr %escalloc.dst, i64 %escalloc.cap, i32 %v)
; CLONE: %alloc = load ptr, ptr @global_hooks
; CLONE: %escalloc.fits = and i1
; CLONE: %escalloc.malloc = icmp eq ptr %alloc, @malloc
; CLONE: %escalloc.spec = and i1 %escalloc.fits, %escalloc.malloc
; CLONE: br i1 %escalloc.spec, label %[[STACK:.*]], label %[[HEAP:.*]]
; CLONE: [[HEAP]]:
; CLONE-NEXT: %p = call ptr %alloc(i64 32)
; CLONE: %escalloc.ptr = phi ptr [ %escalloc.dst, %[[STACK]] ], [ %p, %[[HEAP]] ]
; CLONE: ret ptr %escalloc.ptr

; Freed through the deallocation hook: called for a heap object (or NULL);
; for the slot, skipped while it is free, else handed a heap copy.
; PRINT-LABEL: escalloc: function @use_item
; PRINT: site new_item(v): stack 32 bytes align 16, 1 free(s) (1 may free another object), built by a copy of @new_item
; CHECK-LABEL: define void @use_item(
; CHECK: %escalloc.obj = alloca [32 x i8], align 16
; CHECK: %t = call ptr @new_item.escalloc.into(ptr %escalloc.obj, i64 32, i32 %v)
; CHECK: %dealloc = load ptr
; CHECK: %escalloc.onheap = icmp ne ptr %t, %escalloc.obj
; CHECK: %escalloc.tohook = or i1 %escalloc.onheap
; CHECK: br i1 %escalloc.tohook, label %[[HEAP:.*]], label %[[STACK:.*]]
; CHECK: [[HEAP]]:
; CHECK-NEXT: call void %dealloc(ptr %t)
; CHECK: [[STACK]]:
; CHECK-NEXT: %escalloc.hooked = icmp ne ptr %dealloc, @free
; CHECK: %escalloc.copy = call ptr @malloc(i64 32)
; CHECK: call void %dealloc(ptr %escalloc.copy)
; REMARK-DAG: remark: <unknown>:0:0: new_item(v) moved to stack in the frame of use_item: new_item builds it there (destination passing); 1 free guarded; speculatively promoted: hook global_hooks equals malloc
; GUARD-LABEL: define void @use_item(
; GUARD: %escalloc.dst = select i1 %escalloc.ok, ptr %escalloc.base, ptr null
; GUARD: %t = call ptr @new_item.escalloc.into(ptr %escalloc.dst, i64 32, i32 %v)
; OFF-LABEL: define void @use_item(
; OFF: %t = call ptr @new_item(i32 %v)
; OFF-NOT: escalloc.into
define void @use_item(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  call void @reader(ptr %t)
  %dealloc = load ptr, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  call void %dealloc(ptr %t)
  ret void
}

; Freed by free: `if (q != slot) free(q)`.
; CHECK-LABEL: define void @use_item_free(
; CHECK: %t = call ptr @new_item.escalloc.into(ptr %escalloc.obj, i64 32, i32 %v)
; CHECK: %escalloc.onheap = icmp ne ptr %t, %escalloc.obj
; CHECK: br i1 %escalloc.onheap
; CHECK: call void @free(ptr %t)
; REMARK-DAG: remark: <unknown>:0:0: new_item(v) moved to stack in the frame of use_item_free: new_item builds it there (destination passing); 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define void @use_item_free(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  call void @reader(ptr %t)
  call void @free(ptr %t)
  ret void
}

; A chain: the destination passes down to the hook's caller.
; PRINT: escalloc: function @new_pair (takes a destination, depth 2)
define ptr @new_pair(i32 %v) noinline {
  %p = call ptr @new_item(i32 %v)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
fail:
  ret ptr null
ok:
  %q = getelementptr i8, ptr %p, i64 4
  store i32 %v, ptr %q
  ret ptr %p
}

; CLONE-LABEL: define internal ptr @new_pair.escalloc.into(
; CLONE: %p = call ptr @new_item.escalloc.into(ptr %escalloc.dst, i64 %escalloc.cap, i32 %v)
; CHECK-LABEL: define void @use_pair(
; CHECK: %t = call ptr @new_pair.escalloc.into(ptr %escalloc.obj, i64 32, i32 %v)
; REMARK-DAG: remark: <unknown>:0:0: new_pair(v) moved to stack in the frame of use_pair: new_pair builds it there (destination passing); 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define void @use_pair(i32 %v) {
  %t = call ptr @new_pair(i32 %v)
  call void @reader(ptr %t)
  call void @free(ptr %t)
  ret void
}

;--- A wrapper hook (gawk's emalloc_real over pma_malloc, pma_free).

define dso_local ptr @pma_malloc(i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

define dso_local void @pma_free(ptr %p) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  call void @free(ptr %p)
  ret void
own:
  call void @pool_free(ptr %p)
  ret void
}

; PRINT: escalloc: function @emalloc (takes a destination, depth 1)
define ptr @emalloc(i64 %n) noinline {
entry:
  %z = icmp eq i64 %n, 0
  br i1 %z, label %die, label %go
go:
  %p = call ptr @pma_malloc(i64 %n)
  %null = icmp eq ptr %p, null
  br i1 %null, label %die, label %ok
die:
  call void @fatal()
  unreachable
ok:
  ret ptr %p
}

; The clone tests pma_malloc's path to malloc, read from the same globals.
; CLONE-LABEL: define internal ptr @emalloc.escalloc.into(
; CLONE-SAME: ptr %escalloc.dst, i64 %escalloc.cap, i64 %n)
; CLONE: %escalloc.fits = and i1
; CLONE: %escalloc.w.init = load i32, ptr @state.init
; CLONE: %escalloc.malloc = icmp eq i32 %escalloc.w.init, 2
; CLONE: %escalloc.spec = and i1 %escalloc.fits, %escalloc.malloc
; CLONE: br i1 %escalloc.spec, label %[[STACK:.*]], label %[[HEAP:.*]]
; CLONE: [[HEAP]]:
; CLONE-NEXT: %p = call ptr @pma_malloc(i64 %n)
; CLONE: %escalloc.ptr = phi ptr [ %escalloc.dst, %[[STACK]] ], [ %p, %[[HEAP]] ]

; CHECK-LABEL: define void @use_emalloc(
; CHECK: %escalloc.obj = alloca [24 x i8], align 16
; CHECK: %t = call ptr @emalloc.escalloc.into(ptr %escalloc.obj, i64 24, i64 24)
; CHECK: %escalloc.onheap = icmp ne ptr %t, %escalloc.obj
; CHECK: br i1 %escalloc.tohook, label %[[HEAP:.*]], label %[[STACK:.*]]
; CHECK: [[HEAP]]:
; CHECK-NEXT: call void @pma_free(ptr %t)
; CHECK: [[STACK]]:
; CHECK: %escalloc.copy = call ptr @malloc(i64 24)
; CHECK: call void @pma_free(ptr %escalloc.copy)
; REMARK-DAG: remark: <unknown>:0:0: emalloc(24) moved to stack in the frame of use_emalloc: emalloc builds it there (destination passing); 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when state.init == 2
; OFF-LABEL: define void @use_emalloc(
; OFF: %t = call ptr @emalloc(i64 24)
define void @use_emalloc() {
  %t = call ptr @emalloc(i64 24)
  store i64 1, ptr %t
  call void @reader(ptr %t)
  call void @pma_free(ptr %t)
  ret void
}

;--- What must stay on the heap.

; The hook slot is written elsewhere: a global not initialised to malloc
; (set at run time), or a copy whose address an unknown function gets.
; Neither call is a hook: no destination.
; PRINT: escalloc: function @new_late {{(\(calls|frame)}}
define ptr @new_late() noinline {
  %alloc = load ptr, ptr @late_hooks
  %p = call ptr %alloc(i64 32)
  ret ptr %p
}

; PRINT: escalloc: function @new_copied {{(\(calls|frame)}}
define ptr @new_copied() noinline {
  %h = alloca %hooks
  call void @llvm.memcpy.p0.p0.i64(ptr %h, ptr @global_hooks, i64 16, i1 false)
  call void @touch(ptr %h)
  %alloc = load ptr, ptr %h
  %p = call ptr %alloc(i64 32)
  ret ptr %p
}

; CHECK-LABEL: define void @slot_written_elsewhere(
; CHECK: call ptr @new_late()
; CHECK: call ptr @new_copied()
; CHECK-NOT: escalloc.into
; CHECK: ret void
define void @slot_written_elsewhere() {
  %a = call ptr @new_late()
  call void @reader(ptr %a)
  call void @free(ptr %a)
  %b = call ptr @new_copied()
  call void @reader(ptr %b)
  call void @free(ptr %b)
  ret void
}

; A wrapper whose path to malloc has a side effect (it counts) is no hook.
define dso_local ptr @counting_malloc(i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %c = load i32, ptr @calls
  %c1 = add i32 %c, 1
  store i32 %c1, ptr @calls
  %m = call ptr @malloc(i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

; PRINT: escalloc: function @emalloc_counting {{(\(calls|frame)}}
define ptr @emalloc_counting(i64 %n) noinline {
  %p = call ptr @counting_malloc(i64 %n)
  ret ptr %p
}

; CHECK-LABEL: define void @use_counting(
; CHECK: call ptr @emalloc_counting(i64 24)
; CHECK-NOT: escalloc.into
; CHECK: ret void
define void @use_counting() {
  %t = call ptr @emalloc_counting(i64 24)
  call void @reader(ptr %t)
  call void @pma_free(ptr %t)
  ret void
}

; Freed through a slot that does not default to free (my_release counts):
; an indirect call that may keep the object.
; REMARK-DAG: remark: <unknown>:0:0: new_item(v) escapes to heap: passed to an indirect call
; CHECK-LABEL: define void @other_free_hook(
; CHECK: call ptr @new_item(i32 %v)
; CHECK-NOT: escalloc.into
; CHECK: ret void
define void @other_free_hook(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  call void @reader(ptr %t)
  %release = load ptr, ptr getelementptr inbounds (i8, ptr @user_hooks, i64 8)
  call void %release(ptr %t)
  ret void
}

; The callee frees the object through the hook on one path: its user's
; deallocator would get what it got before, never a slot.
; PRINT: escalloc: function @new_or_drop {{(\(calls|frame)}}
define ptr @new_or_drop(i1 %c) noinline {
  %alloc = load ptr, ptr @global_hooks
  %p = call ptr %alloc(i64 32)
  br i1 %c, label %drop, label %keep
drop:
  %dealloc = load ptr, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  call void %dealloc(ptr %p)
  ret ptr null
keep:
  ret ptr %p
}

; CHECK-LABEL: define void @use_or_drop(
; CHECK: call ptr @new_or_drop(i1 %c)
; CHECK-NOT: escalloc.into
; CHECK: ret void
define void @use_or_drop(i1 %c) {
  %t = call ptr @new_or_drop(i1 %c)
  call void @reader(ptr %t)
  call void @free(ptr %t)
  ret void
}

; Stored to a global: the hook's object escapes.
; REMARK-DAG: remark: <unknown>:0:0: new_item(v) escapes to heap: stored to global g
; CHECK-LABEL: define void @to_global(
; CHECK: call ptr @new_item(i32 %v)
define void @to_global(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  store ptr %t, ptr @g
  ret void
}

; A recursive caller (without the stack guard).
; REMARK-DAG: remark: <unknown>:0:0: new_item(v) escapes to heap: in a recursive function
; CHECK-LABEL: define void @rec_caller(
; CHECK: call ptr @new_item(i32 %v)
define void @rec_caller(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  call void @free(ptr %t)
  %c = icmp sgt i32 %v, 0
  br i1 %c, label %again, label %done
again:
  %v1 = sub i32 %v, 1
  call void @rec_caller(i32 %v1)
  br label %done
done:
  ret void
}

; Something the caller stores into the result is published: the result may
; be the user's allocator's memory (a hook replaced at run time).
; REMARK-DAG: remark: <unknown>:0:0: malloc(8) escapes to heap: stored into memory the analysis cannot follow
; CHECK-LABEL: define void @stored_into_result(
; CHECK: %inner = call ptr @malloc(i64 8)
define void @stored_into_result(i32 %v) {
  %t = call ptr @new_item(i32 %v)
  %inner = call ptr @malloc(i64 8)
  %f = getelementptr i8, ptr %t, i64 8
  store ptr %inner, ptr %f
  call void @reader(ptr %t)
  call void @free(ptr %t)
  ret void
}
