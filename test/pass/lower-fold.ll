; The lowered calls are still allocations to LLVM: an unused one folds away
; with its free, a load from calloc'd memory is zero, and one from malloc'd
; memory is undefined (each call site carries its own allockind, because
; NEEDZERO decides).
; RUN: %opt -passes='escalloc-lower,instcombine,gvn' -S %s -o - | FileCheck %s
; Without the lowering the same pipeline gives the same result (the check that
; our declarations lose nothing):
; RUN: %opt -passes='instcombine,gvn' -S %s -o - | FileCheck %s --check-prefix=PLAIN

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64) allockind("alloc,uninitialized") allocsize(0) "alloc-family"="malloc"
declare ptr @calloc(i64, i64) allockind("alloc,zeroed") allocsize(0,1) "alloc-family"="malloc"
declare void @free(ptr allocptr nocapture) allockind("free") "alloc-family"="malloc"

; CHECK-LABEL: @unused_constant(
; CHECK-NEXT: ret void
; PLAIN-LABEL: @unused_constant(
; PLAIN-NEXT: ret void
define void @unused_constant() {
  %p = call ptr @malloc(i64 24)
  store i64 1, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @unused_variable(
; CHECK-NEXT: ret void
define void @unused_variable(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @calloc_reads_zero(
; CHECK: call {{.*}}ptr @escalloc_mallocgc_class(i64 64, i32 6, i32 2)
; CHECK: ret i64 0
define i64 @calloc_reads_zero(ptr %out) {
  %p = call ptr @calloc(i64 8, i64 8)
  store ptr %p, ptr %out, align 8
  %f = getelementptr inbounds i8, ptr %p, i64 8
  %v = load i64, ptr %f, align 8
  ret i64 %v
}

; A malloc'd object still escapes here, so it stays; only the load folds.
; CHECK-LABEL: @malloc_reads_undef(
; CHECK: call {{.*}}ptr @escalloc_mallocgc_spc(i64 64, i32 12)
; CHECK: ret i64 undef
define i64 @malloc_reads_undef(ptr %out) {
  %p = call ptr @malloc(i64 64)
  store ptr %p, ptr %out, align 8
  %v = load i64, ptr %p, align 8
  ret i64 %v
}
