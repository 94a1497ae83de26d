; ALIGN8: where the pass sees every access and none needs more than 8-byte
; alignment, a 24-byte object may use Go's 24-byte class 3 instead of the
; 32-byte class 4 that the 16-byte contract needs.  Flags: 1 = NOSCAN,
; 4 = ALIGN8.
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare void @free(ptr)
declare i64 @strlen(ptr nocapture readonly)
declare i64 @peek(ptr nocapture readonly)
declare void @take16(ptr nocapture readonly align 16)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare void @llvm.assume(i1)

; Three int64 fields, as examples/points.c's Point3.
; CHECK-LABEL: @three_int64(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 7)
; REMARK: malloc(24) lowered to mallocgc: size class 3, noscan, 8-byte aligned
define i64 @three_int64(i64 %x) {
  %p = call ptr @malloc(i64 24)
  store i64 %x, ptr %p, align 8
  %y = getelementptr inbounds i8, ptr %p, i64 8
  store i64 %x, ptr %y, align 8
  %z = getelementptr inbounds i8, ptr %p, i64 16
  store i64 %x, ptr %z, align 8
  %v = load i64, ptr %z, align 8
  call void @free(ptr %p)
  ret i64 %v
}

; A C library function reads bytes: no stronger alignment assumed.
; CHECK-LABEL: @libc_reader(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 7)
define i64 @libc_reader() {
  %p = call ptr @malloc(i64 24)
  call void @llvm.memset.p0.i64(ptr align 8 %p, i8 65, i64 23, i1 false)
  %e = getelementptr inbounds i8, ptr %p, i64 23
  store i8 0, ptr %e, align 1
  %n = call i64 @strlen(ptr %p)
  call void @free(ptr %p)
  ret i64 %n
}

; A variable size keeps the flag: the runtime picks the class.  (Not NOSCAN:
; at run time it might be a 12-byte tiny object, only 4-aligned; see
; lower-tiny.ll.)
; CHECK-LABEL: @variable_size(
; CHECK: call ptr @escalloc_mallocgc(i64 %n, i32 4)
define void @variable_size(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  store i64 0, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; --- not ALIGN8 ---------------------------------------------------------------

; A 16-byte vector access (SSE movaps) on the object.
; CHECK-LABEL: @vector_access_16(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
; REMARK: malloc(24) lowered to mallocgc: size class 4, noscan, 16-byte aligned (an access needs 16-byte alignment)
define void @vector_access_16() {
  %p = call ptr @malloc(i64 24)
  store <2 x i64> zeroinitializer, ptr %p, align 16
  call void @free(ptr %p)
  ret void
}

; long double needs 16.
; CHECK-LABEL: @long_double(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
define void @long_double(x86_fp80 %v) {
  %p = call ptr @malloc(i64 24)
  store x86_fp80 %v, ptr %p, align 16
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @memset_16(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
define void @memset_16() {
  %p = call ptr @malloc(i64 24)
  call void @llvm.memset.p0.i64(ptr align 16 %p, i8 0, i64 24, i1 false)
  call void @free(ptr %p)
  ret void
}

; A callee in the module that needs 16.
; CHECK-LABEL: @callee_needs_16(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
; REMARK: malloc(24) lowered to mallocgc: size class 4, noscan, 16-byte aligned (an access needs 16-byte alignment in load16)
define internal <2 x i64> @load16(ptr %o) {
  %v = load <2 x i64>, ptr %o, align 16
  ret <2 x i64> %v
}
define <2 x i64> @callee_needs_16() {
  %p = call ptr @malloc(i64 24)
  %v = call <2 x i64> @load16(ptr %p)
  call void @free(ptr %p)
  ret <2 x i64> %v
}

; An unknown reader might have been compiled for a 16-byte-aligned type.
; CHECK-LABEL: @unknown_reader(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
; REMARK: malloc(24) lowered to mallocgc: size class 4, noscan, 16-byte aligned (it is passed to peek, which may assume 16-byte alignment)
define i64 @unknown_reader() {
  %p = call ptr @malloc(i64 24)
  store i64 0, ptr %p, align 8
  %v = call i64 @peek(ptr %p)
  call void @free(ptr %p)
  ret i64 %v
}

; The parameter is declared 16-aligned.
; CHECK-LABEL: @param_align_16(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
define void @param_align_16() {
  %p = call ptr @malloc(i64 24)
  store i64 0, ptr %p, align 8
  call void @take16(ptr %p)
  call void @free(ptr %p)
  ret void
}

; An alignment assumption on the object.
; CHECK-LABEL: @assumed_alignment(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
define void @assumed_alignment() {
  %p = call ptr @malloc(i64 24)
  call void @llvm.assume(i1 true) [ "align"(ptr %p, i64 16) ]
  store i64 0, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; The call itself promised 16 to the code around it.
; CHECK-LABEL: @promised_on_call(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 9)
define void @promised_on_call() {
  %p = call align 16 ptr @malloc(i64 24)
  store i64 0, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; The address as an integer (e.g. an alignment test) is unknown use.
; CHECK-LABEL: @address_inspected(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 8)
define i64 @address_inspected() {
  %p = call ptr @malloc(i64 24)
  %a = ptrtoint ptr %p to i64
  %low = and i64 %a, 15
  call void @free(ptr %p)
  ret i64 %low
}
