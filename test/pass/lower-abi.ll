; Every lowered module references the runtime's ABI symbol (escalloc_abi_v1),
; weakly, from a hidden linkonce_odr constant kept by llvm.used: the object
; says which ABI it was lowered for.  escalloc-fallbacks (run by the plugin
; after the lowering) gives each entry point the module calls a weak
; definition, in a comdat, on the C allocator (nobuiltin calls), so that the
; object also links without the runtime (lower-abi-link.c); the knob
; -escalloc-fallbacks=false keeps declarations.  A module with nothing to
; lower gets no reference; a module that defines the entry points (the
; runtime itself) is not lowered and gets no fallbacks; a clashing
; declaration is a clear error.
; RUN: split-file %s %t
; RUN: %opt -passes=escalloc-lower -S %t/lowered.ll -o - | FileCheck %s --check-prefix=LOWERED
; RUN: %opt -passes=escalloc-lower,escalloc-fallbacks -S %t/lowered.ll -o - | FileCheck %s --check-prefix=FALLBACK
; RUN: %opt -passes=escalloc-lower,escalloc-fallbacks -escalloc-fallbacks=false -S %t/lowered.ll -o - \
; RUN:   | FileCheck %s --check-prefix=NOFALLBACK
; RUN: %opt -passes=escalloc-lower -S -o - < %t/nothing.ll | FileCheck %s --check-prefix=NOTHING
; RUN: %opt -passes=escalloc-lower,escalloc-fallbacks -S %t/runtime.ll -o - | FileCheck %s --check-prefix=RUNTIME
; RUN: %opt -passes=escalloc-lower -S %t/runtime-spc.ll -o - | FileCheck %s --check-prefix=RUNTIME-SPC
; RUN: not %opt -passes=escalloc-lower -S %t/clash.ll -o /dev/null 2>&1 | FileCheck %s --check-prefix=CLASH

;--- lowered.ll
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

; Entries already in llvm.used stay.
@keep = global i32 0
@llvm.used = appending global [1 x ptr] [ptr @keep], section "llvm.metadata"

; LOWERED: $__escalloc_abi_ref = comdat any
; LOWERED: @escalloc_abi_v1 = extern_weak constant i32
; LOWERED: @__escalloc_abi_ref = linkonce_odr hidden constant ptr @escalloc_abi_v1, comdat
; LOWERED: @llvm.used = appending global [2 x ptr] [ptr @keep, ptr @__escalloc_abi_ref], section "llvm.metadata"
; LOWERED: declare noalias noundef ptr @escalloc_mallocgc_spc(
; FALLBACK: $escalloc_mallocgc_spc = comdat any
; FALLBACK-LABEL: define void @f(
; FALLBACK: call ptr @escalloc_mallocgc_spc(i64 16, i32 4)
; FALLBACK-LABEL: define weak noalias noundef ptr @escalloc_mallocgc_spc(i64 noundef %0, i32 noundef %1) #{{[0-9]+}} comdat {
; FALLBACK-NEXT: entry:
; FALLBACK-NEXT: call ptr @malloc(i64 %0) #[[NB:[0-9]+]]
; FALLBACK-NEXT: ret ptr
; FALLBACK: attributes #[[NB]] = { nobuiltin }
; NOFALLBACK: declare noalias noundef ptr @escalloc_mallocgc_spc(
; NOFALLBACK-NOT: define weak
declare ptr @malloc(i64)
declare void @use(ptr)
define void @f() {
  %p = call ptr @malloc(i64 16)
  call void @use(ptr %p)
  ret void
}

;--- nothing.ll
target triple = "x86_64-unknown-linux-gnu"
; NOTHING-NOT: escalloc
define i32 @g(i32 %x) {
  ret i32 %x
}

;--- runtime.ll
target triple = "x86_64-unknown-linux-gnu"
; RUNTIME-LABEL: define ptr @escalloc_mallocgc(
; RUNTIME: call ptr @malloc(i64 %size)
; RUNTIME-NOT: __escalloc_abi_ref
declare ptr @malloc(i64)
define ptr @escalloc_mallocgc(i64 %size, i32 %flags) {
  %p = call ptr @malloc(i64 %size)
  ret ptr %p
}

;--- runtime-spc.ll
target triple = "x86_64-unknown-linux-gnu"
; The span-class entry alone also marks the runtime.
; RUNTIME-SPC-LABEL: define ptr @escalloc_mallocgc_spc(
; RUNTIME-SPC: call ptr @malloc(i64 %size)
; RUNTIME-SPC-NOT: __escalloc_abi_ref
declare ptr @malloc(i64)
define ptr @escalloc_mallocgc_spc(i64 %size, i32 %spanclass) {
  %p = call ptr @malloc(i64 %size)
  ret ptr %p
}

;--- clash.ll
target triple = "x86_64-unknown-linux-gnu"
; CLASH: error: escalloc: escalloc_mallocgc_spc is declared with a type other than escalloc/abi.h's; allocations not lowered
; CLASH-NOT: error
declare ptr @malloc(i64)
declare void @use(ptr)
declare ptr @escalloc_mallocgc_spc(i64)
define void @f() {
  %p = call ptr @malloc(i64 16)
  call void @use(ptr %p)
  %q = call ptr @malloc(i64 32)
  call void @use(ptr %q)
  ret void
}
