; Allocation functions through TargetLibraryInfo: calloc zeroes at the site,
; aligned_alloc keeps its alignment (at least 16), strdup of a constant string
; (and strndup) copies it; realloc and invalid requests stay on the heap.
; Non-constant sizes: a proven bound, or the run-time fallback.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -escalloc-fallback-size=0 -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=NOFALLBACK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@str = private constant [6 x i8] c"hello\00"

declare noalias ptr @malloc(i64) allocsize(0)
declare noalias ptr @calloc(i64, i64) allocsize(0, 1)
declare noalias ptr @aligned_alloc(i64 allocalign, i64) allocsize(1)
declare noalias ptr @realloc(ptr allocptr, i64) allocsize(1)
declare noalias ptr @strdup(ptr nocapture readonly)
declare noalias ptr @strndup(ptr nocapture readonly, i64)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback

; CHECK-LABEL: define i32 @calloc_zeroes(
; CHECK: %escalloc.obj = alloca [40 x i8], align 16
; CHECK: call void @llvm.lifetime.start.p0(i64 40, ptr %escalloc.obj)
; CHECK-NEXT: call void @llvm.memset.p0.i64(ptr align 16 %escalloc.obj, i8 0, i64 40, i1 false)
; REMARK: remark: <unknown>:0:0: calloc(10, 4) moved to stack; 1 free removed
define i32 @calloc_zeroes() {
  %p = call ptr @calloc(i64 10, i64 4)
  %v = load i32, ptr %p
  call void @free(ptr %p)
  ret i32 %v
}

; The product overflows: calloc returns NULL, which must stay observable.
; CHECK-LABEL: define ptr @calloc_overflow(
; CHECK: call ptr @calloc(i64 -1, i64 16)
; REMARK: remark: <unknown>:0:0: calloc(18446744073709551615, 16) escapes to heap: size overflows
define ptr @calloc_overflow() {
  %p = call ptr @calloc(i64 -1, i64 16)
  %c = icmp eq ptr %p, null
  call void @free(ptr %p)
  ret ptr null
}

; CHECK-LABEL: define void @aligned_64(
; CHECK: %escalloc.obj = alloca [256 x i8], align 64
; REMARK: remark: <unknown>:0:0: aligned_alloc(64, 256) moved to stack; 1 free removed
define void @aligned_64() {
  %p = call ptr @aligned_alloc(i64 64, i64 256)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; A small alignment still gets malloc's 16.
; CHECK-LABEL: define void @aligned_8(
; CHECK: %escalloc.obj = alloca [24 x i8], align 16
define void @aligned_8() {
  %p = call ptr @aligned_alloc(i64 8, i64 24)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Not a power of two: aligned_alloc fails with EINVAL; keep that.
; CHECK-LABEL: define void @aligned_invalid(
; CHECK: call ptr @aligned_alloc(i64 24, i64 48)
; REMARK: remark: <unknown>:0:0: aligned_alloc(24, 48) escapes to heap: invalid alignment 24
define void @aligned_invalid() {
  %p = call ptr @aligned_alloc(i64 24, i64 48)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @aligned_huge(
; CHECK: call ptr @aligned_alloc(i64 8192, i64 64)
; REMARK: remark: <unknown>:0:0: aligned_alloc(8192, 64) escapes to heap: alignment too large for the stack (8192 > 4096)
define void @aligned_huge() {
  %p = call ptr @aligned_alloc(i64 8192, i64 64)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @strdup_constant(
; CHECK: %escalloc.obj = alloca [6 x i8], align 16
; CHECK: call void @llvm.memcpy.p0.p0.i64(ptr align 16 %escalloc.obj, ptr align 1 @str, i64 5, i1 false)
; CHECK-NEXT: %[[END:.*]] = getelementptr inbounds i8, ptr %escalloc.obj, i64 5
; CHECK-NEXT: store i8 0, ptr %[[END]]
; REMARK: remark: <unknown>:0:0: strdup(...) moved to stack; 1 free removed
define void @strdup_constant() {
  %p = call ptr @strdup(ptr @str)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @strdup_unknown(
; CHECK: call ptr @strdup(ptr %s)
; REMARK: remark: <unknown>:0:0: strdup(...) escapes to heap: non-constant size
define void @strdup_unknown(ptr %s) {
  %p = call ptr @strdup(ptr %s)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; strndup copies at most n bytes and terminates the copy.
; CHECK-LABEL: define void @strndup_constant(
; CHECK: %escalloc.obj = alloca [4 x i8], align 16
; CHECK: call void @llvm.memcpy.p0.p0.i64(ptr align 16 %escalloc.obj, ptr align 1 @str, i64 3, i1 false)
; CHECK-NEXT: %[[END:.*]] = getelementptr inbounds i8, ptr %escalloc.obj, i64 3
; CHECK-NEXT: store i8 0, ptr %[[END]]
; REMARK: remark: <unknown>:0:0: strndup(..., 3) moved to stack; 1 free removed
define void @strndup_constant() {
  %p = call ptr @strndup(ptr @str, i64 3)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @strndup_unknown(
; CHECK: call ptr @strndup(ptr @str, i64 %n)
; REMARK: remark: <unknown>:0:0: strndup(..., n) escapes to heap: non-constant size
define void @strndup_unknown(i64 %n) {
  %p = call ptr @strndup(ptr @str, i64 %n)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; realloc of a candidate: a growable buffer (escape-grow.ll), which starts
; on the stack; the realloc keeps it there while it fits and moves it to the
; heap beyond, so the free is guarded.
; CHECK-LABEL: define void @realloc_of_candidate(
; CHECK: %escalloc.obj = alloca [16 x i8], align 16
; CHECK-NOT: call ptr @malloc
; CHECK: %q = call ptr @realloc(ptr %escalloc.obj, i64 32)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack; grows on the stack up to 16 bytes, then moves to the heap; 1 realloc and 1 free guarded
define void @realloc_of_candidate() {
  %p = call ptr @malloc(i64 16)
  call void @reader(ptr %p)
  %q = call ptr @realloc(ptr %p, i64 32)
  call void @reader(ptr %q)
  call void @free(ptr %q)
  ret void
}

; A non-constant size with a proven bound (n <= 100 on this path): an alloca
; of the bound.
; CHECK-LABEL: define void @bounded_size(
; CHECK: %escalloc.obj = alloca [100 x i8], align 16
; CHECK-NOT: call ptr @malloc
; REMARK: remark: <unknown>:0:0: malloc(n) moved to stack; 1 free removed
define void @bounded_size(i64 %n) {
entry:
  %small = icmp ule i64 %n, 100
  br i1 %small, label %then, label %exit
then:
  %p = call ptr @malloc(i64 %n)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  br label %exit
exit:
  ret void
}

; No bound: the stack buffer is used when the size fits at run time, malloc
; otherwise, and the free skips the stack buffer.
; CHECK-LABEL: define void @fallback_size(
; CHECK: %escalloc.obj = alloca [64 x i8], align 16
; CHECK: %escalloc.big = icmp ugt i64 %n, 64
; CHECK-NEXT: br i1 %escalloc.big, label %[[HEAP:.*]], label %[[JOIN:.*]]
; CHECK: [[HEAP]]:
; CHECK-NEXT: %p = call ptr @malloc(i64 %n)
; CHECK: [[JOIN]]:
; CHECK-NEXT: %escalloc.ptr = phi ptr [ %escalloc.obj, %{{.*}} ], [ %p, %[[HEAP]] ]
; CHECK: %[[ONSTACK:.*]] = icmp eq ptr %escalloc.ptr, %escalloc.obj
; CHECK-NEXT: %[[ARG:.*]] = select i1 %[[ONSTACK]], ptr null, ptr %escalloc.ptr
; CHECK-NEXT: call void @free(ptr %[[ARG]])
; REMARK: remark: <unknown>:0:0: malloc(n) moved to stack when its size fits 64 bytes; 1 free guarded
; NOFALLBACK: remark: <unknown>:0:0: malloc(n) escapes to heap: non-constant size
define void @fallback_size(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; calloc(1, n), what DSE makes of malloc + memset: the run-time fallback
; zeroes the n bytes of the stack buffer only when it is used.
; CHECK-LABEL: define void @calloc_fallback(
; CHECK: %escalloc.big = icmp ugt i64 %n, 64
; CHECK-NEXT: %[[LEN:.*]] = select i1 %escalloc.big, i64 0, i64 %n
; CHECK-NEXT: call void @llvm.memset.p0.i64(ptr align 16 %escalloc.obj, i8 0, i64 %[[LEN]], i1 false)
; CHECK: call ptr @calloc(i64 1, i64 %n)
; REMARK: remark: <unknown>:0:0: calloc(1, n) moved to stack when its size fits 64 bytes; 1 free guarded
define void @calloc_fallback(i64 %n) {
  %p = call ptr @calloc(i64 1, i64 %n)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; calloc(n, size) with a run-time product: the fallback on the product,
; saturated on overflow so that an overflowing request reaches calloc (which
; returns NULL, as the program expects) instead of fitting by wrap-around.
; CHECK-LABEL: define void @calloc_product_fallback(
; CHECK: %[[MUL:.*]] = call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %n, i64 12)
; CHECK-DAG: %[[OV:.*]] = extractvalue { i64, i1 } %[[MUL]], 1
; CHECK-DAG: %[[PROD:.*]] = extractvalue { i64, i1 } %[[MUL]], 0
; CHECK: %escalloc.bytes = select i1 %[[OV]], i64 -1, i64 %[[PROD]]
; CHECK-NEXT: %escalloc.big = icmp ugt i64 %escalloc.bytes, 64
; CHECK-NEXT: %[[LEN:.*]] = select i1 %escalloc.big, i64 0, i64 %escalloc.bytes
; CHECK-NEXT: call void @llvm.memset.p0.i64(ptr align 16 %escalloc.obj, i8 0, i64 %[[LEN]], i1 false)
; CHECK: call ptr @calloc(i64 %n, i64 12)
; REMARK: remark: <unknown>:0:0: calloc(n, 12) moved to stack when its size fits 64 bytes; 1 free guarded
; NOFALLBACK: remark: <unknown>:0:0: calloc(n, 12) escapes to heap: non-constant size
define void @calloc_product_fallback(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 12)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Both operands at run time; and a calloc that escapes stays on the heap
; whatever its size.
; CHECK-LABEL: define void @calloc_both_dynamic(
; CHECK: call { i64, i1 } @llvm.umul.with.overflow.i64(i64 %n, i64 %m)
; CHECK-LABEL: define ptr @calloc_dynamic_escapes(
; CHECK-NOT: escalloc.obj
; CHECK: call ptr @calloc(i64 %n, i64 8)
; REMARK: remark: <unknown>:0:0: calloc(n, m) moved to stack when its size fits 64 bytes; 1 free guarded
; REMARK: remark: <unknown>:0:0: calloc(n, 8) escapes to heap: returned
define void @calloc_both_dynamic(i64 %n, i64 %m) {
  %p = call ptr @calloc(i64 %n, i64 %m)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

define ptr @calloc_dynamic_escapes(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 8)
  ret ptr %p
}

; calloc(n, 1) with a run-time count (found by test/fuzz, gen seed 531): the
; size is the count, so a bound on n sizes the slot (it was sized by the
; constant 1, and the stores past the first byte overflowed it).
; CHECK-LABEL: define void @calloc_count_bounded(
; CHECK: %escalloc.obj = alloca [100 x i8], align 16
; CHECK-NOT: call ptr @calloc
; CHECK-LABEL: define void @calloc_count_fallback(
; CHECK: %escalloc.obj = alloca [64 x i8], align 16
; CHECK: %escalloc.big = icmp ugt i64 %n, 64
; CHECK: call ptr @calloc(i64 %n, i64 1)
define void @calloc_count_bounded(i64 %n) {
entry:
  %small = icmp ule i64 %n, 100
  br i1 %small, label %then, label %exit
then:
  %p = call ptr @calloc(i64 %n, i64 1)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  br label %exit
exit:
  ret void
}

define void @calloc_count_fallback(i64 %n) {
entry:
  %p = call ptr @calloc(i64 %n, i64 1)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}
