; Allocation wrappers with a library fallback (issue 12, section 4;
; AllocHooks.h), as gawk's pma_malloc / pma_free: a called function whose
; side-effect-free path from its entry ends in `return malloc(n)` (`free(p);
; return`) is a hook whose test is that path's predicate, evaluated at the
; call from the same globals.  The stack when it holds, the wrapper's call
; otherwise; the wrapper free of a stack slot is skipped when its own path
; to free holds, else handed a heap copy.  Anything else on the path (a
; store, a test of a parameter, a volatile load, a result other than
; malloc's) is not a wrapper.
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S < %s | FileCheck %s --check-prefix=NOGUARD
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -escalloc-wrapper-hooks=false -pass-remarks=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=OFF --allow-empty

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @calloc(i64, i64) allocsize(0, 1)
declare ptr @realloc(ptr, i64)
declare ptr @pool_realloc(ptr, i64)
declare void @free(ptr nocapture) allockind("free")
declare i32 @fprintf(ptr, ptr, ...)
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)
declare ptr @pool_alloc(i64)
declare void @pool_free(ptr)

@state.init = internal global i32 0
@state.vrb = internal global i32 0
@calls = internal global i32 0
@vol = internal global i32 0
@stderr = external global ptr
@.fmt = private constant [4 x i8] c"%p\0A\00"

define void @set_state(i32 %i, i32 %v) {
  store i32 %i, ptr @state.init
  store i32 %v, ptr @state.vrb
  ret void
}

; pma_malloc's shape: a trace branch with side effects, a check with side
; effects on its other side, then the fallback.
define dso_local ptr @pma_malloc(i64 %size) noinline {
entry:
  %vrb = load i32, ptr @state.vrb
  %verbose = icmp sgt i32 %vrb, 2
  br i1 %verbose, label %trace, label %check
trace:
  %err = load ptr, ptr @stderr
  %t = call i32 (ptr, ptr, ...) @fprintf(ptr %err, ptr @.fmt, i64 %size)
  br label %check
check:
  %init = load i32, ptr @state.init
  %init.m1 = add i32 %init, -1
  %ok = icmp ult i32 %init.m1, 2
  br i1 %ok, label %inited, label %fail
fail:
  store i32 1, ptr @calls
  br label %ret
inited:
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  br label %ret
own:
  %o = call ptr @pool_alloc(i64 %size)
  br label %ret
ret:
  %r = phi ptr [ null, %fail ], [ %m, %lib ], [ %o, %own ]
  ret ptr %r
}

define dso_local void @pma_free(ptr %p) noinline {
entry:
  %vrb = load i32, ptr @state.vrb
  %verbose = icmp sgt i32 %vrb, 2
  br i1 %verbose, label %trace, label %check
trace:
  %err = load ptr, ptr @stderr
  %t = call i32 (ptr, ptr, ...) @fprintf(ptr %err, ptr @.fmt, ptr %p)
  br label %check
check:
  %init = load i32, ptr @state.init
  switch i32 %init, label %own [ i32 2, label %lib
                                 i32 0, label %done ]
lib:
  call void @free(ptr %p)
  ret void
own:
  call void @pool_free(ptr %p)
  br label %done
done:
  ret void
}

define dso_local ptr @pma_calloc(i64 %n, i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %m = call ptr @calloc(i64 %n, i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

define dso_local ptr @pma_realloc(ptr %p, i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %m = call ptr @realloc(ptr %p, i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_realloc(ptr %p, i64 %size)
  ret ptr %o
}

; Positive: allocated and freed through the wrappers.
; CHECK-LABEL: define i8 @through_wrappers(
; CHECK: %escalloc.w.vrb = load i32, ptr @state.vrb
; CHECK: %escalloc.w.verbose = icmp sgt i32 %escalloc.w.vrb, 2
; CHECK: %escalloc.w.init = load i32, ptr @state.init
; CHECK: %escalloc.w.fallback = icmp eq i32 %escalloc.w.init, 2
; CHECK: %escalloc.malloc = select i1
; CHECK: %escalloc.spec = and i1 %escalloc.ok, %escalloc.malloc
; CHECK: br i1 %escalloc.spec
; CHECK: %p = call ptr @pma_malloc(i64 64)
; CHECK: %escalloc.ptr = phi ptr [ %escalloc.base, {{.*}} ], [ %p, {{.*}} ]
; The wrapper free: called for a heap object (or NULL); for the stack slot,
; skipped while its path to free is taken, else handed a heap copy.
; CHECK: %escalloc.onheap = icmp ne ptr %escalloc.ptr, %escalloc.base
; CHECK: %escalloc.tohook = or i1 %escalloc.onheap,
; CHECK: br i1 %escalloc.tohook, label %[[HEAP:.*]], label %[[STACK:.*]]
; CHECK: [[HEAP]]:
; CHECK-NEXT: call void @pma_free(ptr %escalloc.ptr)
; CHECK: [[STACK]]:
; CHECK: load i32, ptr @state.vrb
; CHECK: %escalloc.w.init{{[0-9]*}} = load i32, ptr @state.init
; CHECK: icmp eq i32 %escalloc.w.init{{[0-9]*}}, 2
; CHECK: %escalloc.hooked = xor i1
; CHECK: br i1 %escalloc.hooked
; CHECK: %escalloc.copy = call ptr @malloc(i64 64)
; CHECK-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 1 %escalloc.copy, ptr align 1 %escalloc.ptr, i64 64, i1 false)
; CHECK-NEXT: call void @pma_free(ptr %escalloc.copy)
; NOGUARD-LABEL: define i8 @through_wrappers(
; NOGUARD: %escalloc.obj = alloca [64 x i8], align 16
; NOGUARD: %escalloc.hooked = xor i1
; NOGUARD: br i1 %escalloc.hooked
; NOGUARD: %p = call ptr @pma_malloc(i64 64)
; NOGUARD: %escalloc.ptr = phi ptr [ %escalloc.obj, {{.*}} ], [ %p, {{.*}} ]
; NOGUARD: icmp ne ptr %escalloc.ptr, %escalloc.obj
; REMARK-DAG: remark: <unknown>:0:0: pma_malloc(64) moved to stack when the stack has room; 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when state.vrb <= 2 && (state.init + -1) u< 2 && state.init == 2
; OFF-NOT: moved to stack
define i8 @through_wrappers() {
  %p = call ptr @pma_malloc(i64 64)
  store i8 1, ptr %p
  call void @reader(ptr %p)
  %v = load i8, ptr %p
  call void @pma_free(ptr %p)
  ret i8 %v
}

; Positive: calloc's wrapper, zeroed on the stack.
; CHECK-LABEL: define void @through_calloc(
; CHECK: %escalloc.w.init = load i32, ptr @state.init
; CHECK: call void @llvm.memset
; CHECK: %p = call ptr @pma_calloc(i64 4, i64 8)
; REMARK-DAG: remark: <unknown>:0:0: pma_calloc(4, 8) moved to stack when the stack has room; 1 free guarded; speculatively promoted: pma_calloc forwards to calloc when state.init == 2
define void @through_calloc() {
  %p = call ptr @pma_calloc(i64 4, i64 8)
  call void @reader(ptr %p)
  call void @pma_free(ptr %p)
  ret void
}

; Positive: a growable buffer through the wrappers.  In its slot, while
; the realloc wrapper's path to realloc is taken, it grows in place or moves
; to the heap; off that path the wrapper is handed a heap copy.
; CHECK-LABEL: define void @grown_through_wrappers(
; CHECK: %p = call ptr @pma_malloc(i64 16)
; CHECK: %escalloc.inslot = icmp eq ptr %escalloc.ptr, %escalloc.base
; CHECK: escalloc.grow.inslot:
; CHECK: %escalloc.w.init{{[0-9]*}} = load i32, ptr @state.init
; CHECK: %escalloc.hooked{{[0-9]*}} = xor i1
; CHECK: br i1 %escalloc.hooked{{[0-9]*}}, label %escalloc.grow.hooked, label %escalloc.grow.default
; CHECK: escalloc.grow.default:
; CHECK: %escalloc.fits = icmp ult
; CHECK: escalloc.grow.hooked:
; CHECK-NEXT: %escalloc.copy{{[0-9]*}} = call ptr @malloc(i64 16)
; CHECK-NEXT: call void @llvm.memcpy.p0.p0.i64(ptr align 1 %escalloc.copy{{[0-9]*}}, ptr align 1 %escalloc.base, i64 16, i1 false)
; CHECK-NEXT: [[H:%.*]] = call ptr @pma_realloc(ptr %escalloc.copy{{[0-9]*}}, i64 %n)
; CHECK: escalloc.grow.heap:
; CHECK-NEXT: %q = call ptr @pma_realloc(ptr %escalloc.ptr, i64 %n)
; CHECK: %escalloc.grown = phi ptr [ %escalloc.base, %escalloc.grow.default ], [ %escalloc.moved, %escalloc.grow.move ], [ %q, %escalloc.grow.heap ], [ [[H]], %escalloc.grow.hooked ]
; REMARK-DAG: remark: <unknown>:0:0: pma_malloc(16) moved to stack when the stack has room; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded; speculatively promoted: pma_malloc forwards to malloc when
define void @grown_through_wrappers(i64 %n) {
  %p = call ptr @pma_malloc(i64 16)
  call void @reader(ptr %p)
  %q = call ptr @pma_realloc(ptr %p, i64 %n)
  call void @reader(ptr %q)
  call void @pma_free(ptr %q)
  ret void
}

; Negative: what the wrapper's own allocator returns may be its own memory,
; which it may still reach: a pointer stored into it is published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(8) escapes to heap: stored into memory the analysis cannot follow
define void @stored_into_wrapper_memory() {
  %q = call ptr @malloc(i64 8)
  %p = call ptr @pma_malloc(i64 16)
  store ptr %q, ptr %p
  call void @reader(ptr %p)
  call void @free(ptr %q)
  ret void
}

; Negative: a side effect on the only path to malloc (the predicate would
; read a value the wrapper writes).
define dso_local ptr @counting_malloc(i64 %size) noinline {
entry:
  %c = load i32, ptr @calls
  %c1 = add i32 %c, 1
  store i32 %c1, ptr @calls
  %few = icmp slt i32 %c1, 100
  br i1 %few, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

; Negative: the test reads the argument.
define dso_local ptr @small_malloc(i64 %size) noinline {
entry:
  %small = icmp ult i64 %size, 100
  br i1 %small, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

; Negative: a volatile load in the test.
define dso_local ptr @volatile_malloc(i64 %size) noinline {
entry:
  %v = load volatile i32, ptr @vol
  %on = icmp eq i32 %v, 2
  br i1 %on, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

; Negative: the fallback returns something other than malloc's result, or
; allocates another size.
define dso_local ptr @header_malloc(i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %m = call ptr @malloc(i64 %size)
  %h = getelementptr i8, ptr %m, i64 16
  ret ptr %h
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}
define dso_local ptr @padded_malloc(i64 %size) noinline {
entry:
  %init = load i32, ptr @state.init
  %fallback = icmp eq i32 %init, 2
  br i1 %fallback, label %lib, label %own
lib:
  %padded = add i64 %size, 16
  %m = call ptr @malloc(i64 %padded)
  ret ptr %m
own:
  %o = call ptr @pool_alloc(i64 %size)
  ret ptr %o
}

; Negative: a free wrapper that counts before freeing is no free: the
; object passed to it escapes.
define dso_local void @counting_free(ptr %p) noinline {
entry:
  %c = load i32, ptr @calls
  %c1 = add i32 %c, 1
  store i32 %c1, ptr @calls
  call void @free(ptr %p)
  ret void
}

; Negative: replaceable at link time (not dso_local).
define ptr @preemptible_malloc(i64 %size) noinline {
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

; CHECK-LABEL: define void @not_wrappers(
; CHECK-NOT: escalloc.w
; CHECK-NOT: escalloc.obj
; CHECK: ret void
; REMARK-DAG: remark: <unknown>:0:0: malloc(48) escapes to heap: freed by counting_free argument 1
; REMARK-NOT: moved to stack when the stack has room; 1 free guarded; speculatively promoted: {{counting|small|volatile|header|padded|preemptible}}
define void @not_wrappers() {
  %a = call ptr @counting_malloc(i64 16)
  call void @reader(ptr %a)
  call void @pma_free(ptr %a)
  %b = call ptr @small_malloc(i64 16)
  call void @reader(ptr %b)
  call void @pma_free(ptr %b)
  %c = call ptr @volatile_malloc(i64 16)
  call void @reader(ptr %c)
  call void @pma_free(ptr %c)
  %d = call ptr @header_malloc(i64 16)
  call void @reader(ptr %d)
  call void @pma_free(ptr %d)
  %e = call ptr @padded_malloc(i64 16)
  call void @reader(ptr %e)
  call void @pma_free(ptr %e)
  %f = call ptr @preemptible_malloc(i64 16)
  call void @reader(ptr %f)
  call void @pma_free(ptr %f)
  %q = call ptr @malloc(i64 48)
  call void @reader(ptr %q)
  call void @counting_free(ptr %q)
  ret void
}
