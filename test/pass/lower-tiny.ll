; NOSCAN objects under 16 bytes may go to the tiny allocator, which gives them
; only their size's natural alignment (abi.h): 8 for multiples of 8, 4 for
; multiples of 4, 2 for even sizes, else 1.  C promises malloc(12) the
; alignment of a double, so NOSCAN is kept only where every access is content
; with what the size's known low zero bits guarantee.  Flags: 1 = NOSCAN,
; 4 = ALIGN8.  A constant-size tiny object keeps escalloc_mallocgc_class (its
; route depends on its flags); every other constant size takes
; escalloc_mallocgc_spc(size, class << 1 | noscan).
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare void @free(ptr)

; 12 bytes of ints: 4-aligned is enough.
; CHECK-LABEL: @twelve_ints(
; CHECK: call ptr @escalloc_mallocgc_class(i64 12, i32 2, i32 5)
define void @twelve_ints(i32 %x) {
  %p = call ptr @malloc(i64 12)
  store i32 %x, ptr %p, align 4
  %f = getelementptr inbounds i8, ptr %p, i64 8
  store i32 %x, ptr %f, align 4
  call void @free(ptr %p)
  ret void
}

; 12 bytes holding a double: a tiny block would give 4.
; CHECK-LABEL: @twelve_with_double(
; Not noscan, so not tiny: the span-class entry, scan span class 2 << 1.
; CHECK: call ptr @escalloc_mallocgc_spc(i64 12, i32 4)
; REMARK: malloc(12) lowered to mallocgc: size class 2, may hold pointers (as a tiny object it could be only 4-byte aligned, and an access needs 8)
define void @twelve_with_double(double %d) {
  %p = call ptr @malloc(i64 12)
  store double %d, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; 8 bytes: a multiple of 8, so 8-aligned even when tiny.
; CHECK-LABEL: @eight_with_int64(
; CHECK: call ptr @escalloc_mallocgc_class(i64 8, i32 1, i32 5)
define void @eight_with_int64(i64 %x) {
  %p = call ptr @malloc(i64 8)
  store i64 %x, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; 16 bytes is the first noscan size that is never tiny: noscan span class
; 2 << 1 | 1.
; CHECK-LABEL: @sixteen_ints(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 16, i32 5)
define void @sixteen_ints(i32 %x) {
  %p = call ptr @malloc(i64 16)
  store i32 %x, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; 15 bytes, the largest tiny size: the class entry.
; CHECK-LABEL: @fifteen_bytes(
; CHECK: call ptr @escalloc_mallocgc_class(i64 15, i32 2, i32 5)
define void @fifteen_bytes(i8 %x) {
  %p = call ptr @malloc(i64 15)
  store i8 %x, ptr %p, align 1
  call void @free(ptr %p)
  ret void
}

; A run-time size: any access wider than a byte is too much.
; CHECK-LABEL: @variable_ints(
; CHECK: call ptr @escalloc_mallocgc(i64 %n, i32 4)
define void @variable_ints(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  store i32 0, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; ... unless the size is a known multiple: n * 4 bytes of int.
; CHECK-LABEL: @variable_int_array(
; CHECK: call ptr @escalloc_mallocgc(i64 %bytes, i32 5)
define void @variable_int_array(i64 %n) {
  %bytes = shl i64 %n, 2
  %p = call ptr @malloc(i64 %bytes)
  store i32 0, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; ... or known to be at least 16 bytes (never tiny).
; CHECK-LABEL: @variable_at_least_16(
; CHECK: call ptr @escalloc_mallocgc(i64 %size, i32 5)
define void @variable_at_least_16(i64 %n) {
  %size = or i64 %n, 16
  %p = call ptr @malloc(i64 %size)
  store i64 0, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; Bytes only: any size will do.
; CHECK-LABEL: @variable_bytes(
; CHECK: call ptr @escalloc_mallocgc(i64 %n, i32 5)
define void @variable_bytes(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  store i8 0, ptr %p, align 1
  call void @free(ptr %p)
  ret void
}

; calloc: the product's low zero bits, n * 4.
; CHECK-LABEL: @calloc_int_array(
; CHECK: call ptr @escalloc_calloc(i64 %n, i64 4, i32 7)
define void @calloc_int_array(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 4)
  store i32 1, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @calloc_bytes_as_int64(
; CHECK: call ptr @escalloc_calloc(i64 %n, i64 1, i32 6)
define void @calloc_bytes_as_int64(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 1)
  store i64 1, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}
