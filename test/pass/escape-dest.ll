; Caller-frame promotion (destination passing, DestPassing.h): a function
; that returns a fresh malloc or calloc object and lets it escape no other
; way, and that is not inlined (noinline here), gets a clone taking the
; caller's slot: `F.escalloc.into(ptr dst, i64 cap, ...)` builds the object
; there when dst is not null and its size fits cap, and calls malloc
; otherwise; it keeps every other effect of F and returns what F returns.
; The caller's frees become `if (p != dst) free(p)`, and so do F's own.
; Chains pass the destination down, up to -escalloc-dest-depth.
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - > %t.ll
; RUN: FileCheck %s < %t.ll
; RUN: FileCheck %s --check-prefix=CLONE < %t.ll
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -S %s -o - | FileCheck %s --check-prefix=GUARD
; RUN: %opt -escalloc-stack-guard=false -escalloc-dest-depth=1 -passes=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=DEPTH1
; RUN: %opt -escalloc-stack-guard=false -escalloc-dest-depth=0 -passes=escalloc -S %s -o - | FileCheck %s --check-prefix=OFF
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc %s -o /dev/null -verify-each

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@count = global i32 0

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @calloc(i64, i64) allocsize(0, 1)
declare ptr @realloc(ptr, i64) allocsize(1)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)

; A constructor: initialises the object, counts, returns NULL when malloc does.
; PRINT: escalloc: function @mk (allocation wrapper) (takes a destination, depth 1)
define ptr @mk(i32 %v) noinline {
  %p = call ptr @malloc(i64 16)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
fail:
  ret ptr null
ok:
  store i32 %v, ptr %p
  %n = load i32, ptr @count
  %n1 = add i32 %n, 1
  store i32 %n1, ptr @count
  ret ptr %p
}

; The clone: the same body, the object in dst when it fits.
; CLONE-LABEL: define internal ptr @mk.escalloc.into(
; CLONE-SAME: ptr %escalloc.dst, i64 %escalloc.cap, i32 %v) #[[NOINL:[0-9]+]] {
; CLONE: %[[FITS_SZ:.*]] = icmp ule i64 16, %escalloc.cap
; CLONE: %[[NN:.*]] = icmp ne ptr %escalloc.dst, null
; CLONE: %escalloc.fits = and i1 %[[NN]], %[[FITS_SZ]]
; CLONE: br i1 %escalloc.fits
; CLONE: %p = call ptr @malloc(i64 16)
; CLONE: %escalloc.ptr = phi ptr [ %escalloc.dst, %{{.*}} ], [ %p, %{{.*}} ]
; CLONE: icmp eq ptr %escalloc.ptr, null
; CLONE: store i32 %v, ptr %escalloc.ptr
; CLONE: store i32 %n1, ptr @count
; CLONE: ret ptr %escalloc.ptr

; PRINT-LABEL: escalloc: function @use_mk
; PRINT: site mk(v): stack 16 bytes align 16, 1 free(s), built by a copy of @mk
; CHECK-LABEL: define i32 @use_mk(
; CHECK: %escalloc.obj = alloca [16 x i8], align 16
; CHECK: %t = call ptr @mk.escalloc.into(ptr %escalloc.obj, i64 16, i32 %v)
; CHECK: %escalloc.onheap = icmp ne ptr %t, %escalloc.obj
; CHECK: br i1 %escalloc.onheap
; CHECK: call void @free(ptr %t)
; REMARK: remark: <unknown>:0:0: mk(v) moved to stack in the frame of use_mk: mk builds it there (destination passing); 1 free guarded
; The stack guard: no room, no destination (the clone then calls malloc).
; GUARD-LABEL: define i32 @use_mk(
; GUARD: %escalloc.dst = select i1 %escalloc.ok, ptr %escalloc.base, ptr null
; GUARD: %t = call ptr @mk.escalloc.into(ptr %escalloc.dst, i64 16, i32 %v)
; GUARD: icmp ne ptr %t, %escalloc.base
; OFF-LABEL: define i32 @use_mk(
; OFF: call ptr @mk(i32 %v)
; OFF-NOT: escalloc.into
define i32 @use_mk(i32 %v) {
  %t = call ptr @mk(i32 %v)
  call void @reader(ptr %t)
  %x = load i32, ptr %t
  call void @free(ptr %t)
  ret i32 %x
}

; A chain of two: mk2 returns what mk allocated; its clone calls mk's.
; PRINT: escalloc: function @mk2 (allocation wrapper) (takes a destination, depth 2)
define ptr @mk2(i32 %v) noinline {
  %p = call ptr @mk(i32 %v)
  store i32 7, ptr @count
  ret ptr %p
}

; CLONE-LABEL: define internal ptr @mk2.escalloc.into(ptr %escalloc.dst, i64 %escalloc.cap, i32 %v)
; CLONE-NEXT: %p = call ptr @mk.escalloc.into(ptr %escalloc.dst, i64 %escalloc.cap, i32 %v)
; CLONE-NEXT: store i32 7, ptr @count
; CLONE-NEXT: ret ptr %p

; CHECK-LABEL: define i32 @use_chain(
; CHECK: %t = call ptr @mk2.escalloc.into(ptr %escalloc.obj, i64 16, i32 %v)
; REMARK: remark: <unknown>:0:0: mk2(v) moved to stack in the frame of use_chain: mk2 builds it there (destination passing); 1 free guarded
; DEPTH1: remark: <unknown>:0:0: mk2(v) escapes to heap: allocated by mk2, which is not inlined: it is marked noinline, and cannot build its object in the caller's frame: the chain of functions that return it is longer than -escalloc-dest-depth=1
define i32 @use_chain(i32 %v) {
  %t = call ptr @mk2(i32 %v)
  %x = load i32, ptr %t
  call void @free(ptr %t)
  ret i32 %x
}

; An error path after the allocation frees it and returns NULL: the clone's
; free is guarded too; calloc's stack path zeroes what it uses.
define ptr @mk_err(i64 %n, i32 %v) noinline {
  %p = call ptr @calloc(i64 %n, i64 8)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
ok:
  %bad = icmp slt i32 %v, 0
  br i1 %bad, label %undo, label %done
undo:
  call void @free(ptr %p)
  br label %fail
fail:
  ret ptr null
done:
  store i32 %v, ptr %p
  ret ptr %p
}

; CLONE-LABEL: define internal ptr @mk_err.escalloc.into(
; CLONE: %escalloc.bytes = select i1
; CLONE: %escalloc.fits = and i1
; CLONE: call void @llvm.memset.p0.i64(ptr align 1 %escalloc.dst, i8 0, i64 %escalloc.bytes, i1 false)
; CLONE: %p = call ptr @calloc(i64 %n, i64 8)
; CLONE: %escalloc.ptr = phi ptr
; CLONE: %escalloc.onheap = icmp ne ptr %escalloc.ptr, %escalloc.dst
; CLONE: call void @free(ptr %escalloc.ptr)
; CLONE: ret ptr null

; A size only known at run time: the fallback's buffer (the clone checks).
; PRINT-LABEL: escalloc: function @use_err
; PRINT: site mk_err(n, v): stack 64 bytes align 16, 1 free(s), run-time fallback, built by a copy of @mk_err
; REMARK: remark: <unknown>:0:0: mk_err(n, v) moved to stack in the frame of use_err: mk_err builds it there (destination passing) when its size fits 64 bytes; 1 free guarded
define i32 @use_err(i64 %n, i32 %v) {
  %t = call ptr @mk_err(i64 %n, i32 %v)
  %z = icmp eq ptr %t, null
  br i1 %z, label %none, label %some
some:
  %x = load i32, ptr %t
  call void @free(ptr %t)
  ret i32 %x
none:
  ret i32 -1
}

; PRINT-LABEL: escalloc: function @use_err_const
; PRINT: site mk_err(3, v): stack 24 bytes align 16, 1 free(s), built by a copy of @mk_err
define i32 @use_err_const(i32 %v) {
  %t = call ptr @mk_err(i64 3, i32 %v)
  %x = load i32, ptr %t
  call void @free(ptr %t)
  ret i32 %x
}

;--- What must stay on the heap.

; The caller stores the result to a global, or returns it.
; REMARK: remark: <unknown>:0:0: mk(v) escapes to heap: stored to global g
; CHECK-LABEL: define void @to_global(
; CHECK: call ptr @mk(i32 %v)
define void @to_global(i32 %v) {
  %t = call ptr @mk(i32 %v)
  store ptr %t, ptr @g
  ret void
}

; REMARK: remark: <unknown>:0:0: mk(v) escapes to heap: returned from returns_it
; CHECK-LABEL: define ptr @returns_it(
; CHECK: call ptr @mk(i32 %v)
define ptr @returns_it(i32 %v) {
  %t = call ptr @mk(i32 %v)
  ret ptr %t
}

; Freed on one path, published on the other.  (A path that only leaks it
; is a leak on the stack, as for malloc.)
; REMARK: remark: <unknown>:0:0: mk(v) escapes to heap: stored to global g
; CHECK-LABEL: define void @frees_on_one_path(
; CHECK: call ptr @mk(i32 %v)
define void @frees_on_one_path(i32 %v, i1 %c) {
  %t = call ptr @mk(i32 %v)
  br i1 %c, label %a, label %b
a:
  call void @free(ptr %t)
  ret void
b:
  store ptr %t, ptr @g
  ret void
}

; The callee stores the pointer before returning it: into a global (not a
; wrapper at all), or into the object itself (a caller that reads it back
; would not see its own slot).
define ptr @mk_global() noinline {
  %p = call ptr @malloc(i64 16)
  store ptr %p, ptr @g
  ret ptr %p
}

; PRINT: escalloc: function @mk_self (allocation wrapper) frame
define ptr @mk_self() noinline {
  %p = call ptr @malloc(i64 16)
  %q = getelementptr i8, ptr %p, i64 8
  store ptr %p, ptr %q
  ret ptr %p
}

; CHECK-LABEL: define void @stores_before_return(
; CHECK: call ptr @mk_global()
; CHECK: call ptr @mk_self()
; REMARK: remark: <unknown>:0:0: mk_self() escapes to heap: allocated by mk_self, which is not inlined: it is marked noinline, and cannot build its object in the caller's frame: a pointer to it is stored in memory
define void @stores_before_return() {
  %a = call ptr @mk_global()
  call void @free(ptr %a)
  %b = call ptr @mk_self()
  %q = getelementptr i8, ptr %b, i64 8
  %s = load ptr, ptr %q
  store ptr %s, ptr @g
  call void @free(ptr %b)
  ret void
}

; A recursive callee; a recursive caller (without the stack guard).
; PRINT: escalloc: function @mk_rec (recursive) frame
define ptr @mk_rec(i32 %d) noinline {
  %z = icmp eq i32 %d, 0
  br i1 %z, label %base, label %rec
base:
  %p = call ptr @malloc(i64 16)
  ret ptr %p
rec:
  %d1 = sub i32 %d, 1
  %r = call ptr @mk_rec(i32 %d1)
  ret ptr %r
}

; CHECK-LABEL: define void @use_rec(
; CHECK: call ptr @mk_rec(i32 3)
define void @use_rec() {
  %t = call ptr @mk_rec(i32 3)
  call void @free(ptr %t)
  ret void
}

; REMARK: remark: <unknown>:0:0: mk(v) escapes to heap: in a recursive function
; CHECK-LABEL: define void @rec_caller(
; CHECK: call ptr @mk(i32 %v)
define void @rec_caller(i32 %v) {
  %t = call ptr @mk(i32 %v)
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

; Called through a pointer: no callee to clone.
; CHECK-LABEL: define void @indirect(
; CHECK: call ptr %fp(i32 1)
define void @indirect(ptr %fp) {
  %t = call ptr %fp(i32 1)
  call void @free(ptr %t)
  ret void
}

; Too large for a frame, and a size without a bound when the run-time
; fallback is off (see FALLBACK0).
; REMARK: remark: <unknown>:0:0: mk_err(100000, v) escapes to heap: too large for stack (more than 4096 bytes)
; CHECK-LABEL: define void @too_big(
; CHECK: call ptr @mk_err(i64 100000, i32 %v)
define void @too_big(i32 %v) {
  %t = call ptr @mk_err(i64 100000, i32 %v)
  call void @free(ptr %t)
  ret void
}

; Allocated in a loop of the callee (each iteration's object would share the
; one slot), or by realloc.
define ptr @mk_loop(i32 %n) noinline {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i1, %retry ]
  %p = call ptr @malloc(i64 16)
  %i1 = add i32 %i, 1
  %more = icmp slt i32 %i1, %n
  br i1 %more, label %retry, label %out
retry:
  call void @free(ptr %p)
  br label %loop
out:
  ret ptr %p
}

define ptr @mk_realloc(ptr %old) noinline {
  %p = call ptr @realloc(ptr %old, i64 32)
  ret ptr %p
}

; REMARK: remark: <unknown>:0:0: mk_loop(n) escapes to heap: allocated by mk_loop, which is not inlined: it is marked noinline, and cannot build its object in the caller's frame: it is allocated in a loop
; CHECK-LABEL: define void @loop_callee(
; CHECK: call ptr @mk_loop(i32 %n)
define void @loop_callee(i32 %n) {
  %t = call ptr @mk_loop(i32 %n)
  call void @free(ptr %t)
  ret void
}

; CHECK-LABEL: define void @realloc_callee(
; CHECK: call ptr @mk_realloc(ptr null)
define void @realloc_callee() {
  %t = call ptr @mk_realloc(ptr null)
  call void @free(ptr %t)
  ret void
}

; The callee grows the object with realloc (a growable buffer there): the
; clone would pass the caller's slot to realloc.
define ptr @mk_grow(i64 %n) noinline {
  %p = call ptr @malloc(i64 16)
  %q = call ptr @realloc(ptr %p, i64 %n)
  ret ptr %q
}

; PRINT-LABEL: escalloc: function @grow_callee
; PRINT-NOT: site
; CHECK-LABEL: define void @grow_callee(
; CHECK: call ptr @mk_grow(i64 %n)
define void @grow_callee(i64 %n) {
  %t = call ptr @mk_grow(i64 %n)
  store i8 1, ptr %t
  call void @free(ptr %t)
  ret void
}

; CLONE: attributes #[[NOINL]] = { noinline }

; The call and its free in blocks that do not dominate one another (jq's
; jv_load_file under LTO: `if (!raw) parser = jv_parser_new(0); ... if (!raw)
; jv_parser_free(parser)`): the free compares with the slot, which the entry
; block defines, never with a value made at the call (which broke the
; module: "Instruction does not dominate all uses").
; PRINT-LABEL: escalloc: function @use_mk_later
; PRINT: site mk(v): stack 16 bytes align 16, 1 free(s), built by a copy of @mk
; GUARD-LABEL: define void @use_mk_later(
; GUARD: %escalloc.base = phi ptr
; GUARD: %escalloc.dst = select i1 %escalloc.ok, ptr %escalloc.base, ptr null
; GUARD: %t = call ptr @mk.escalloc.into(ptr %escalloc.dst, i64 16, i32 %v)
; GUARD: del:
; GUARD-NEXT: %escalloc.onheap{{.*}} = icmp ne ptr %p, %escalloc.base
; REMARK: remark: <unknown>:0:0: mk(v) moved to stack in the frame of use_mk_later: mk builds it there (destination passing); 1 free guarded
define void @use_mk_later(i32 %v, i1 %c) {
entry:
  br i1 %c, label %make, label %join
make:
  %t = call ptr @mk(i32 %v)
  call void @reader(ptr %t)
  br label %join
join:
  %p = phi ptr [ %t, %make ], [ null, %entry ]
  call void @reader(ptr %p)
  br i1 %c, label %del, label %done
del:
  call void @free(ptr %p)
  br label %done
done:
  ret void
}
