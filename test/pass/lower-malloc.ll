; Lowering of malloc to the runtime's mallocgc entry points: a constant size
; gets its span class (size class << 1 | noscan) at compile time (Go's table,
; rtlib/sizeclasses.h) and goes to escalloc_mallocgc_spc, which takes no
; flags; a variable or large size goes to escalloc_mallocgc.  Flags: 1 =
; NOSCAN, 2 = NEEDZERO, 4 = ALIGN8.  (Tiny objects and calloc keep
; escalloc_mallocgc_class: lower-tiny.ll, lower-calloc.ll.)
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; No malloc here is tiny: the flag-taking class entry is not even declared.
; RUN: %opt -passes=escalloc-lower -S -o - < %s | FileCheck %s --check-prefix=NOCLASS
; NOCLASS-NOT: escalloc_mallocgc_class
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK
; The remark's YAML record carries each fact as its own argument.
; RUN: %opt -passes=escalloc-lower -pass-remarks-output=%t.yaml -disable-output %s
; RUN: FileCheck %s --check-prefix=YAML < %t.yaml
; The knob turns lowering off: plain malloc stays, no ABI reference.
; RUN: %opt -passes=escalloc-lower -escalloc-lower=false -S -o - < %s | FileCheck %s --check-prefix=OFF

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; OFF-NOT: escalloc_
; OFF-LABEL: @const_24_noscan_align8(
; OFF: call ptr @malloc(i64 24)
; OFF-NOT: escalloc_

declare ptr @malloc(i64)
declare void @free(ptr)
declare void @use(ptr)

; 24 bytes of int64s, every access 8-aligned: Go's 24-byte class 3.
; CHECK-LABEL: @const_24_noscan_align8(
; Span class 3 << 1 | 1 = 7: ALIGN8 is in the class, NOSCAN in the low bit.
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 24, i32 7) #[[UNINIT:[0-9]+]]
; CHECK-NOT: @malloc
; CHECK: call void @escalloc_free(ptr %p)
; REMARK: remark: <unknown>:0:0: malloc(24) lowered to mallocgc: size class 3, noscan, 8-byte aligned
; YAML: --- !Analysis
; YAML-NEXT: Pass: escalloc
; YAML-NEXT: Name: LoweredToMallocgc
; YAML-NEXT: Function: const_24_noscan_align8
; YAML-NEXT: Args:
; YAML-NEXT:   - Callee: malloc
; YAML-NEXT:   - String: '('
; YAML-NEXT:   - Size: '24'
; YAML-NEXT:   - String: ')'
; YAML-NEXT:   - String: ' lowered to mallocgc: '
; YAML-NEXT:   - String: 'size class '
; YAML-NEXT:   - SizeClass: '3'
; YAML-NEXT:   - String: ', '
; YAML-NEXT:   - NoScan: noscan
; YAML-NEXT:   - String: ', '
; YAML-NEXT:   - Align8: 8-byte aligned
; YAML-NEXT: ...
define i64 @const_24_noscan_align8(i64 %x) {
  %p = call ptr @malloc(i64 24)
  store i64 %x, ptr %p, align 8
  %f1 = getelementptr inbounds i8, ptr %p, i64 8
  store i64 1, ptr %f1, align 8
  %f2 = getelementptr inbounds i8, ptr %p, i64 16
  store i64 2, ptr %f2, align 8
  %v = load i64, ptr %f1, align 8
  call void @free(ptr %p)
  ret i64 %v
}

; Escapes to unknown code: neither noscan nor 8-aligned; 24 bytes -> 32.
; CHECK-LABEL: @const_24_escapes(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 24, i32 8)
; REMARK: remark: <unknown>:0:0: malloc(24) lowered to mallocgc: size class 4, may hold pointers (it is passed to use), 16-byte aligned (it is passed to use)
define void @const_24_escapes() {
  %p = call ptr @malloc(i64 24)
  call void @use(ptr %p)
  ret void
}

; Sizes at the class boundaries.
; CHECK-LABEL: @const_sizes(
; Objects that may hold pointers are never tiny, however small: span class
; 2 for 1 and 8 bytes.
; CHECK: call ptr @escalloc_mallocgc_spc(i64 1, i32 2)
; CHECK: call ptr @escalloc_mallocgc_spc(i64 8, i32 2)
; CHECK: call ptr @escalloc_mallocgc_spc(i64 9, i32 4)
; CHECK: call ptr @escalloc_mallocgc_spc(i64 1025, i32 66)
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32768, i32 134)
; Large objects and malloc(0) have no class: the general entry.
; CHECK: call ptr @escalloc_mallocgc(i64 32769, i32 0)
; CHECK: call ptr @escalloc_mallocgc(i64 0, i32 0)
; REMARK: malloc(32769) lowered to mallocgc: large object
; REMARK: malloc(0) lowered to mallocgc: zero size
define void @const_sizes() {
  %a = call ptr @malloc(i64 1)
  call void @use(ptr %a)
  %b = call ptr @malloc(i64 8)
  call void @use(ptr %b)
  %c = call ptr @malloc(i64 9)
  call void @use(ptr %c)
  %d = call ptr @malloc(i64 1025)
  call void @use(ptr %d)
  %e = call ptr @malloc(i64 32768)
  call void @use(ptr %e)
  %f = call ptr @malloc(i64 32769)
  call void @use(ptr %f)
  %g = call ptr @malloc(i64 0)
  call void @use(ptr %g)
  ret void
}

; A variable size: the runtime looks the class up; the flags still apply.
; CHECK-LABEL: @variable_size(
; CHECK: %p = call ptr @escalloc_mallocgc(i64 %n, i32 5) #[[UNINIT]]
; REMARK: remark: <unknown>:0:0: malloc lowered to mallocgc: variable size, noscan, 8-byte aligned
define void @variable_size(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @llvm.memset.p0.i64(ptr align 1 %p, i8 0, i64 %n, i1 false)
  call void @free(ptr %p)
  ret void
}

; A call marked nobuiltin is not the library malloc: left alone.
; CHECK-LABEL: @nobuiltin_call(
; CHECK: call ptr @malloc(i64 16) #[[NOBUILTIN:[0-9]+]]
; CHECK: call void @free(ptr %p) #[[NOBUILTIN]]
define void @nobuiltin_call() {
  %p = call ptr @malloc(i64 16) nobuiltin
  call void @use(ptr %p)
  call void @free(ptr %p) nobuiltin
  ret void
}

; -O0 code (optnone) is left alone, as the rest of escalloc does.
; CHECK-LABEL: @optnone_fn(
; CHECK: call ptr @malloc(i64 16)
define void @optnone_fn() noinline optnone {
  %p = call ptr @malloc(i64 16)
  call void @use(ptr %p)
  ret void
}

; CHECK-DAG: declare noalias noundef ptr @escalloc_mallocgc_spc(i64 noundef, i32 noundef) #[[SPC:[0-9]+]]
; CHECK-DAG: declare noalias noundef ptr @escalloc_mallocgc(i64 noundef, i32 noundef) #[[ALLOC:[0-9]+]]
; CHECK-DAG: declare void @escalloc_free(ptr allocptr nocapture) #[[FREE:[0-9]+]]
; CHECK-DAG: attributes #[[ALLOC]] = { nounwind willreturn allockind("alloc") allocsize(0) memory(inaccessiblemem: readwrite) "alloc-family"="malloc" }
; The span-class entry never zeroes, so its declaration says so.
; CHECK-DAG: attributes #[[SPC]] = { nounwind willreturn allockind("alloc,uninitialized") allocsize(0) memory(inaccessiblemem: readwrite) "alloc-family"="malloc" }
; CHECK-DAG: attributes #[[FREE]] = { nounwind willreturn allockind("free") memory(argmem: readwrite, inaccessiblemem: readwrite) "alloc-family"="malloc" }
; CHECK-DAG: attributes #[[UNINIT]] = { allockind("alloc,uninitialized") }
; CHECK-DAG: attributes #[[NOBUILTIN]] = { nobuiltin }

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
