; Allocation wrappers (an xmalloc that returns what malloc gave it), found
; through function summaries: where the caller keeps the result local, the
; wrapper is inlined there and the allocation inside is decided in the caller.
; Never a wrapper the user or LLVM says must stay a function (noinline on the
; function or the call, optnone), one compiled for target features the caller
; lacks (the backend cannot lower avx2 code in a plain x86-64 function), or
; one that reads its own frame or return address: those calls stay calls, to
; a copy of the wrapper that builds the object in the caller's frame
; (destination passing, escape-dest.ll); with -escalloc-dest-depth=0 they
; stay on the heap, and the remark says why (NODEST).
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-wrapper-size=0 -escalloc-dest-depth=0 -S %s -o - | FileCheck %s --check-prefix=OFF
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-dest-depth=0 -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=NODEST

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @abort() noreturn nounwind nocallback
; It only reads (a declaration that may write could store p below itself).
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)

; PRINT: escalloc: function @xmalloc (allocation wrapper)
define ptr @xmalloc(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  %null = icmp eq ptr %p, null
  br i1 %null, label %fail, label %ok
fail:
  call void @abort()
  unreachable
ok:
  ret ptr %p
}

; Not a wrapper: it also publishes the object.
; PRINT: escalloc: function @xmalloc_logged frame
define ptr @xmalloc_logged(i64 %n) noinline {
  %p = call ptr @malloc(i64 %n)
  store ptr %p, ptr @g
  ret ptr %p
}

; PRINT-LABEL: escalloc: function @local_use
; PRINT: site xmalloc(24): inline the wrapper, then decide
; CHECK-LABEL: define i64 @local_use(
; CHECK: %escalloc.obj = alloca [24 x i8], align 16
; CHECK-NOT: call ptr @xmalloc
; CHECK-NOT: call ptr @malloc
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: malloc(24) moved to stack; 1 free removed
; OFF-LABEL: define i64 @local_use(
; OFF: call ptr @xmalloc(i64 24)
define i64 @local_use() {
  %p = call ptr @xmalloc(i64 24)
  store i64 9, ptr %p
  call void @reader(ptr %p)
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; The caller lets it escape: the wrapper call stays.
; CHECK-LABEL: define void @escaping_use(
; CHECK: call ptr @xmalloc(i64 24)
; REMARK: remark: <unknown>:0:0: xmalloc(24) escapes to heap: stored to global g
define void @escaping_use() {
  %p = call ptr @xmalloc(i64 24)
  store ptr %p, ptr @g
  ret void
}

; A call to a non-wrapper is an ordinary call.
; CHECK-LABEL: define void @logged_use(
; CHECK: call ptr @xmalloc_logged(i64 24)
define void @logged_use() {
  %p = call ptr @xmalloc_logged(i64 24)
  call void @free(ptr %p)
  ret void
}

; PRINT: escalloc: function @xmalloc_noinline (allocation wrapper)
define ptr @xmalloc_noinline(i64 %n) noinline {
  %p = call ptr @malloc(i64 %n)
  ret ptr %p
}

; PRINT-LABEL: escalloc: function @noinline_use
; PRINT: site xmalloc_noinline(24): stack 24 bytes align 16, 1 free(s), built by a copy of @xmalloc_noinline
; CHECK-LABEL: define i64 @noinline_use(
; CHECK: call ptr @xmalloc_noinline.escalloc.into(ptr %escalloc.obj, i64 24, i64 24)
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: xmalloc_noinline(24) moved to stack in the frame of noinline_use: xmalloc_noinline builds it there (destination passing); 1 free guarded
; NODEST: remark: <unknown>:0:0: xmalloc_noinline(24) escapes to heap: allocated by xmalloc_noinline, which is not inlined: it is marked noinline, and cannot build its object in the caller's frame: destination passing is off (-escalloc-dest-depth=0)
define i64 @noinline_use() {
  %p = call ptr @xmalloc_noinline(i64 24)
  store i64 9, ptr %p
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; noinline on the call, not the function.
; CHECK-LABEL: define i64 @noinline_call_use(
; CHECK: call ptr @xmalloc.escalloc.into(ptr %escalloc.obj, i64 32, i64 32) #[[NOINLINE:[0-9]+]]
; REMARK: remark: <unknown>:0:0: xmalloc(32) moved to stack in the frame of noinline_call_use: xmalloc builds it there (destination passing); 1 free guarded
; NODEST: remark: <unknown>:0:0: xmalloc(32) escapes to heap: allocated by xmalloc, which is not inlined: it is marked noinline,
define i64 @noinline_call_use() {
  %p = call ptr @xmalloc(i64 32) noinline
  store i64 9, ptr %p
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; Compiled for AVX2 (its body may use 256-bit vectors); the caller is plain
; x86-64.
define ptr @xmalloc_avx2(i64 %n) #0 {
  %p = call ptr @malloc(i64 %n)
  store <8 x i32> zeroinitializer, ptr %p, align 1
  ret ptr %p
}

; CHECK-LABEL: define i64 @avx2_use(
; CHECK: call ptr @xmalloc_avx2.escalloc.into(ptr %escalloc.obj, i64 64, i64 64)
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: xmalloc_avx2(64) moved to stack in the frame of avx2_use: xmalloc_avx2 builds it there (destination passing); 1 free guarded
; NODEST: remark: <unknown>:0:0: xmalloc_avx2(64) escapes to heap: allocated by xmalloc_avx2, which is not inlined: it is compiled for other target features than the caller,
define i64 @avx2_use() #1 {
  %p = call ptr @xmalloc_avx2(i64 64)
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; The same features on both sides: inlined and promoted.
; CHECK-LABEL: define i64 @avx2_from_avx2(
; CHECK: %escalloc.obj = alloca [64 x i8]
; CHECK-NOT: call ptr @xmalloc_avx2
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: malloc(64) moved to stack; 1 free removed
define i64 @avx2_from_avx2() #0 {
  %p = call ptr @xmalloc_avx2(i64 64)
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

@frame = global ptr null
@ret = global ptr null

; Reads its own frame / return address: inlined, it would read the caller's.
define ptr @xmalloc_frame(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  %f = call ptr @llvm.frameaddress.p0(i32 0)
  store ptr %f, ptr @frame
  ret ptr %p
}

define ptr @xmalloc_ret(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  %r = call ptr @llvm.returnaddress(i32 0)
  store ptr %r, ptr @ret
  ret ptr %p
}

; CHECK-LABEL: define i64 @frame_use(
; CHECK: call ptr @xmalloc_frame.escalloc.into(ptr %escalloc.obj{{[0-9]*}}, i64 16, i64 16)
; CHECK: call ptr @xmalloc_ret.escalloc.into(ptr %escalloc.obj{{[0-9]*}}, i64 16, i64 16)
; CHECK: ret i64
; REMARK: remark: <unknown>:0:0: xmalloc_frame(16) moved to stack in the frame of frame_use: xmalloc_frame builds it there (destination passing); 1 free guarded
; REMARK: remark: <unknown>:0:0: xmalloc_ret(16) moved to stack in the frame of frame_use: xmalloc_ret builds it there (destination passing); 1 free guarded
; NODEST: remark: <unknown>:0:0: xmalloc_frame(16) escapes to heap: allocated by xmalloc_frame, which is not inlined: it reads its own frame address,
; NODEST: remark: <unknown>:0:0: xmalloc_ret(16) escapes to heap: allocated by xmalloc_ret, which is not inlined: it reads its return address,
define i64 @frame_use() {
  %p = call ptr @xmalloc_frame(i64 16)
  %q = call ptr @xmalloc_ret(i64 16)
  %v = load i64, ptr %p
  %w = load i64, ptr %q
  call void @free(ptr %p)
  call void @free(ptr %q)
  %s = add i64 %v, %w
  ret i64 %s
}

; What a wrapper that stays a call stored into its object is unknown to the
; caller: a pointer loaded from it may point anywhere, so an object stored
; through it escapes (it did not: the object's contents started empty).
@log = global ptr null

define ptr @xmalloc_logs(i64 %n) noinline {
  %p = call ptr @malloc(i64 %n)
  %h = load ptr, ptr @log
  store ptr %h, ptr %p
  ret ptr %p
}

; PRINT-LABEL: escalloc: function @wrapper_contents
; PRINT: site malloc(8): heap: stored into memory the analysis cannot follow
; CHECK-LABEL: define void @wrapper_contents(
; CHECK: call ptr @malloc(i64 8)
; REMARK: remark: <unknown>:0:0: malloc(8) escapes to heap: stored into memory the analysis cannot follow
define void @wrapper_contents() {
  %t = call ptr @xmalloc_logs(i64 16)
  %m = call ptr @malloc(i64 8)
  %f = load ptr, ptr %t
  store ptr %m, ptr %f
  call void @free(ptr %t)
  ret void
}

; The same through the pointer's bits, loaded as an integer.
; PRINT-LABEL: escalloc: function @wrapper_contents_bits
; PRINT: site malloc(8): heap:
; CHECK-LABEL: define void @wrapper_contents_bits(
; CHECK: call ptr @malloc(i64 8)
define void @wrapper_contents_bits() {
  %t = call ptr @xmalloc_logs(i64 16)
  %m = call ptr @malloc(i64 8)
  %i = load i64, ptr %t
  %f = inttoptr i64 %i to ptr
  store ptr %m, ptr %f
  call void @free(ptr %t)
  ret void
}

declare ptr @llvm.frameaddress.p0(i32)
declare ptr @llvm.returnaddress(i32)

attributes #0 = { "target-cpu"="x86-64" "target-features"="+avx,+avx2,+cx8,+fxsr,+mmx,+sse,+sse2,+x87" }
attributes #1 = { "target-cpu"="x86-64" "target-features"="+cx8,+fxsr,+mmx,+sse,+sse2,+x87" }

; CHECK: attributes #[[NOINLINE]] = { noinline }
