; A module that defines its own malloc/free (glibc lets a program replace its
; allocator) is left alone: its calls keep their meaning, nothing is moved to
; the stack or lowered to the escalloc runtime, and a remark says why.  The
; same module with malloc/free only declared (the DECL lines uncommented, the
; definitions deleted) is promoted and lowered as usual.
; RUN: %opt -passes=escalloc-inventory,escalloc,escalloc-lower -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc-inventory,escalloc,escalloc-lower -pass-remarks-analysis=escalloc \
; RUN:   -pass-remarks=escalloc -pass-remarks-missed=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes='default<O2>' -pass-remarks-analysis=escalloc -S %s -o - 2>%t.remarks \
; RUN:   | FileCheck %s --check-prefix=PIPELINE
; RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
; RUN: sed -e '/^; DEF-BEGIN/,/^; DEF-END/d' -e 's/^;DECL //' %s \
; RUN:   | %opt -escalloc-stack-guard=false -passes=escalloc,escalloc-lower -S -o - \
; RUN:   | FileCheck %s --check-prefix=DECLARED

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@arena = global [4096 x i8] zeroinitializer
@used = global i64 0
@nmalloc = global i32 0

; DEF-BEGIN
define noalias ptr @malloc(i64 %n) noinline {
  %c = load i32, ptr @nmalloc
  %c1 = add i32 %c, 1
  store i32 %c1, ptr @nmalloc
  %u = load i64, ptr @used
  %p = getelementptr i8, ptr @arena, i64 %u
  %u1 = add i64 %u, %n
  store i64 %u1, ptr @used
  ret ptr %p
}

define void @free(ptr %p) noinline {
  ret void
}
; DEF-END
;DECL declare noalias ptr @malloc(i64) allocsize(0)
;DECL declare void @free(ptr nocapture) allockind("free")

declare void @reader(ptr nocapture readonly) nofree

; CHECK-LABEL: define void @local(
; CHECK: call ptr @malloc(i64 16)
; CHECK: call void @free(
; PIPELINE-LABEL: define void @local(
; PIPELINE: call {{.*}}ptr @malloc(i64 16)
; DECLARED-LABEL: define void @local(
; DECLARED-NOT: @malloc
; DECLARED: alloca
; DECLARED-NOT: @malloc
; DECLARED: ret void
define void @local() {
  %p = call ptr @malloc(i64 16)
  store i8 1, ptr %p
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: define void @escaping(
; CHECK: call ptr @malloc(i64 32)
; CHECK-NOT: escalloc_
; CHECK: ret void
; PIPELINE-NOT: escalloc_
; DECLARED-LABEL: define void @escaping(
; DECLARED: call ptr @escalloc_mallocgc_spc(i64 32
define void @escaping() {
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr @g
  ret void
}

; CHECK-NOT: escalloc_
; REMARK: remark: {{.*}}the program defines its own malloc: its allocations keep their calls (none moved to the stack or lowered
; REMARK-NOT: moved to stack
; REMARK-NOT: lowered to mallocgc
; REMARK-NOT: escapes
