; calloc: NEEDZERO (2) always; a constant product that is a small size goes
; to the class entry (no overflow possible), anything else to escalloc_calloc,
; which keeps the count * size overflow -> NULL/ENOMEM check.
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; NEEDZERO leaves work for the runtime, so no calloc takes the span-class
; entry (escalloc_mallocgc_spc never zeroes):
; RUN: %opt -passes=escalloc-lower -S -o - < %s | FileCheck %s --check-prefix=NOSPC
; NOSPC-NOT: escalloc_mallocgc_spc
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @calloc(i64, i64)
declare void @free(ptr)
declare void @use(ptr)

; CHECK-LABEL: @constant(
; CHECK: %p = call ptr @escalloc_mallocgc_class(i64 24, i32 3, i32 7) #[[ZEROED:[0-9]+]]
; REMARK: calloc(3, 8) lowered to mallocgc: size class 3, zeroed, noscan, 8-byte aligned
define i64 @constant() {
  %p = call ptr @calloc(i64 3, i64 8)
  %v = load i64, ptr %p, align 8
  call void @free(ptr %p)
  ret i64 %v
}

; The product overflows: escalloc_calloc must see it and return NULL.
; CHECK-LABEL: @constant_overflow(
; CHECK: call ptr @escalloc_calloc(i64 -1, i64 16, i32 2)
; REMARK: calloc(18446744073709551615, 16) lowered to mallocgc: count * size overflows (NULL at run time), zeroed
define void @constant_overflow() {
  %p = call ptr @calloc(i64 -1, i64 16)
  call void @use(ptr %p)
  ret void
}

; CHECK-LABEL: @variable(
; CHECK: call ptr @escalloc_calloc(i64 %n, i64 8, i32 2)
; REMARK: calloc lowered to mallocgc: variable size, zeroed, may hold pointers (it is passed to use)
define void @variable(i64 %n) {
  %p = call ptr @calloc(i64 %n, i64 8)
  call void @use(ptr %p)
  ret void
}

; CHECK-LABEL: @large(
; CHECK: call ptr @escalloc_calloc(i64 1000, i64 100, i32 7)
; REMARK: calloc(1000, 100) lowered to mallocgc: large object, zeroed, noscan
define void @large() {
  %p = call ptr @calloc(i64 1000, i64 100)
  store i64 1, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; CHECK-DAG: declare noalias noundef ptr @escalloc_calloc(i64 noundef, i64 noundef, i32 noundef) #[[CALLOC:[0-9]+]]
; CHECK-DAG: attributes #[[CALLOC]] = { nounwind willreturn allockind("alloc,zeroed") allocsize(0,1) memory(inaccessiblemem: readwrite) "alloc-family"="malloc" }
; CHECK-DAG: attributes #[[ZEROED]] = { allockind("alloc,zeroed") }
