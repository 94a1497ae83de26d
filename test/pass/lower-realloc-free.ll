; realloc, free and aligned_alloc go to their escalloc_ entries; free and
; realloc of pointers from anywhere (plain malloc in uninstrumented code)
; are lowered too: both reach the same runtime.
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @realloc(ptr, i64)
declare ptr @aligned_alloc(i64, i64)
declare void @free(ptr)
declare void @use(ptr)

; CHECK-LABEL: @grow(
; CHECK: %q = call ptr @escalloc_realloc(ptr %p, i64 %n)
; CHECK: call void @escalloc_free(ptr %q)
define void @grow(ptr %p, i64 %n) {
  %q = call ptr @realloc(ptr %p, i64 %n)
  call void @use(ptr %q)
  call void @free(ptr %q)
  ret void
}

; CHECK-LABEL: @free_foreign(
; CHECK: call void @escalloc_free(ptr %x)
define void @free_foreign(ptr %x) {
  call void @free(ptr %x)
  ret void
}

; The alignment is explicit; NOSCAN is still inferred.
; CHECK-LABEL: @aligned(
; CHECK: %p = call ptr @escalloc_aligned_alloc(i64 64, i64 256, i32 1)
; REMARK: aligned_alloc lowered to mallocgc, noscan
define void @aligned() {
  %p = call ptr @aligned_alloc(i64 64, i64 256)
  store i64 1, ptr %p, align 64
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @aligned_escapes(
; CHECK: call ptr @escalloc_aligned_alloc(i64 %a, i64 %n, i32 0)
define void @aligned_escapes(i64 %a, i64 %n) {
  %p = call ptr @aligned_alloc(i64 %a, i64 %n)
  call void @use(ptr %p)
  ret void
}

; CHECK-DAG: declare noalias noundef ptr @escalloc_realloc(ptr allocptr, i64 noundef) #[[REALLOC:[0-9]+]]
; CHECK-DAG: declare noalias noundef ptr @escalloc_aligned_alloc(i64 allocalign noundef, i64 noundef, i32 noundef) #[[ALIGNED:[0-9]+]]
; CHECK-DAG: attributes #[[REALLOC]] = { nounwind willreturn allockind("realloc") allocsize(1) memory(argmem: readwrite, inaccessiblemem: readwrite) "alloc-family"="malloc" }
; CHECK-DAG: attributes #[[ALIGNED]] = { nounwind willreturn allockind("alloc,uninitialized,aligned") allocsize(1) memory(inaccessiblemem: readwrite) "alloc-family"="malloc" }
