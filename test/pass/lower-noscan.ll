; NOSCAN inference: an allocation is noscan only when the pass sees every
; store into it and each stores pointer-free data.  Flags: 1 = NOSCAN,
; 4 = ALIGN8.  Every object here is 32 bytes (class 4), so the flags
; argument alone shows the decision.
; RUN: %opt -passes=escalloc-lower -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc-lower -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK
; A walk over its budget of uses assumes the worst.
; RUN: %opt -passes=escalloc-lower -escalloc-lower-max-uses=2 -S %s -o - \
; RUN:   | FileCheck %s --check-prefix=BUDGET

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare ptr @malloc(i64)
declare ptr @realloc(ptr, i64)
declare void @free(ptr)
declare void @use(ptr)
declare i64 @peek(ptr nocapture readonly)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare ptr @strcpy(ptr, ptr)
declare ptr @fgets(ptr, i32, ptr)

@gp = global ptr null
@text = private unnamed_addr constant [32 x i8] c"0123456789abcdef0123456789abcde\00"
@with_ptr = private constant { ptr, i64 } { ptr @gp, i64 1 }

; --- noscan ---------------------------------------------------------------

; CHECK-LABEL: @ints(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
; BUDGET-LABEL: @ints(
; BUDGET: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @ints(i64 %x, i32 %y) {
  %p = call ptr @malloc(i64 32)
  store i64 %x, ptr %p, align 8
  %f = getelementptr inbounds i8, ptr %p, i64 8
  store i32 %y, ptr %f, align 4
  call void @free(ptr %p)
  ret void
}

; A null pointer is no pointer to anything.
; CHECK-LABEL: @null_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @null_pointer() {
  %p = call ptr @malloc(i64 32)
  store ptr null, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; An induction variable: a cycle through a phi of integers.
; CHECK-LABEL: @loop_counter(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @loop_counter(i64 %n) {
entry:
  %p = call ptr @malloc(i64 32)
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %slot = getelementptr inbounds i64, ptr %p, i64 %i
  %sq = mul i64 %i, %i
  store i64 %sq, ptr %slot, align 8
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, 4
  br i1 %done, label %exit, label %loop
exit:
  call void @free(ptr %p)
  ret void
}

; Bytes loaded from a constant string are data.
; CHECK-LABEL: @byte_from_literal(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @byte_from_literal(i64 %i) {
  %p = call ptr @malloc(i64 32)
  %src = getelementptr inbounds i8, ptr @text, i64 %i
  %c = load i8, ptr %src, align 1
  %dst = getelementptr inbounds i8, ptr %p, i64 %i
  store i8 %c, ptr %dst, align 1
  call void @free(ptr %p)
  ret void
}

; An int typed so by TBAA.
; CHECK-LABEL: @load_int_tbaa(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @load_int_tbaa(ptr %src) {
  %p = call ptr @malloc(i64 32)
  %v = load i32, ptr %src, align 4, !tbaa !6
  store i32 %v, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; A 64-bit load that TBAA types as `long` cannot read a pointer.
; CHECK-LABEL: @load_long_tbaa(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @load_long_tbaa(ptr %src) {
  %p = call ptr @malloc(i64 32)
  %v = load i64, ptr %src, align 8, !tbaa !0
  store i64 %v, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; Bytes from a constant string and memset.
; CHECK-LABEL: @memcpy_constant_text(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @memcpy_constant_text() {
  %p = call ptr @malloc(i64 32)
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %p, ptr align 1 @text, i64 32, i1 false)
  call void @llvm.memset.p0.i64(ptr align 8 %p, i8 7, i64 16, i1 false)
  call void @free(ptr %p)
  ret void
}

; A callee (with an exact definition) that stores only integers.
; CHECK-LABEL: @callee_writes_int(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define internal void @set_int(ptr %o, i64 %v) {
  %f = getelementptr inbounds i8, ptr %o, i64 16
  store i64 %v, ptr %f, align 8
  ret void
}
define void @callee_writes_int(i64 %v) {
  %p = call ptr @malloc(i64 32)
  call void @set_int(ptr %p, i64 %v)
  call void @free(ptr %p)
  ret void
}

; An unknown callee that only reads and keeps no copy: still noscan, but it
; may have been compiled for a 16-byte-aligned type, so not ALIGN8.
; CHECK-LABEL: @readonly_callee(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define i64 @readonly_callee() {
  %p = call ptr @malloc(i64 32)
  store i64 1, ptr %p, align 8
  %r = call i64 @peek(ptr %p)
  call void @free(ptr %p)
  ret i64 %r
}

; The object's address kept in a local array that never escapes: loads of
; pointers from the array are followed, and they only store integers.
; CHECK-LABEL: @local_container(
; CHECK: %arr = call ptr @escalloc_mallocgc_spc(i64 80, i32 14)
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
; REMARK: malloc(80) lowered to mallocgc: size class 7, may hold pointers (a pointer is stored into it)
define i64 @local_container(i64 %i, i64 %j) {
  %arr = call ptr @malloc(i64 80)
  %p = call ptr @malloc(i64 32)
  %slot = getelementptr inbounds ptr, ptr %arr, i64 %i
  store ptr %p, ptr %slot, align 8
  %slot2 = getelementptr inbounds ptr, ptr %arr, i64 %j
  %q = load ptr, ptr %slot2, align 8
  store i64 5, ptr %q, align 8
  %v = load i64, ptr %q, align 8
  call void @free(ptr %q)
  call void @free(ptr %arr)
  ret i64 %v
}

; The same through an alloca (unoptimised code keeps pointers there).
; CHECK-LABEL: @alloca_container(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @alloca_container() {
  %slot = alloca ptr, align 8
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %slot, align 8
  %q = load ptr, ptr %slot, align 8
  store i64 5, ptr %q, align 8
  call void @free(ptr %q)
  ret void
}

; A container duplicated by jump threading and merged by a phi: both copies
; are followed.
; CHECK-LABEL: @phi_of_containers(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @phi_of_containers(i1 %c) {
entry:
  br i1 %c, label %left, label %right
left:
  %arr1 = call ptr @malloc(i64 80)
  br label %join
right:
  %arr2 = call ptr @malloc(i64 80)
  br label %join
join:
  %arr = phi ptr [ %arr1, %left ], [ %arr2, %right ]
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  %q = load ptr, ptr %arr, align 8
  store i64 1, ptr %q, align 8
  ret void
}

; Text read from a file or copied from a C string is data.
; CHECK-LABEL: @text_from_libc(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 9)
define void @text_from_libc(ptr %file) {
  %p = call ptr @malloc(i64 32)
  %r = call ptr @fgets(ptr %p, i32 32, ptr %file)
  %s = call ptr @strcpy(ptr %p, ptr @text)
  call void @free(ptr %p)
  ret void
}

; --- not noscan -------------------------------------------------------------

; CHECK-LABEL: @direct_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (a pointer is stored into it), 8-byte aligned
define void @direct_pointer(ptr %q) {
  %p = call ptr @malloc(i64 32)
  store ptr %q, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @through_field(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @through_field(ptr %q) {
  %p = call ptr @malloc(i64 32)
  %f = getelementptr inbounds i8, ptr %p, i64 24
  store ptr %q, ptr %f, align 8
  call void @free(ptr %p)
  ret void
}

; The object points to itself.  (It is then its own container, whose address
; is stored away: the walk gives up on ALIGN8 too, conservatively.)
; CHECK-LABEL: @self_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @self_pointer() {
  %p = call ptr @malloc(i64 32)
  %f = getelementptr inbounds i8, ptr %p, i64 8
  store ptr %p, ptr %f, align 8
  call void @free(ptr %p)
  ret void
}

; A pointer laundered through an integer is still a pointer.
; CHECK-LABEL: @ptrtoint_value(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (a value that may hold a pointer is stored into it)
define void @ptrtoint_value(ptr %q) {
  %p = call ptr @malloc(i64 32)
  %i = ptrtoint ptr %q to i64
  %j = add i64 %i, 8
  store i64 %j, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; Half a pointer is still half a pointer: two truncated halves make one again.
; CHECK-LABEL: @truncated_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @truncated_pointer(ptr %q) {
  %p = call ptr @malloc(i64 32)
  %i = ptrtoint ptr %q to i64
  %t = trunc i64 %i to i32
  store i32 %t, ptr %p, align 4
  call void @free(ptr %p)
  ret void
}

; A byte loop copying unknown memory (a pointer's bytes go through char).
; CHECK-LABEL: @byte_copy_loop(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (a value that may hold a pointer is stored into it)
define void @byte_copy_loop(ptr %src) {
entry:
  %p = call ptr @malloc(i64 32)
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %next, %loop ]
  %s = getelementptr inbounds i8, ptr %src, i64 %i
  %c = load i8, ptr %s, align 1, !tbaa !7
  %d = getelementptr inbounds i8, ptr %p, i64 %i
  store i8 %c, ptr %d, align 1, !tbaa !7
  %next = add i64 %i, 1
  %done = icmp eq i64 %next, 32
  br i1 %done, label %exit, label %loop
exit:
  call void @free(ptr %p)
  ret void
}

; A 64-bit load without a TBAA type: InstCombine makes these from memcpys
; of pointers, so it may carry one.
; CHECK-LABEL: @load_i64_untyped(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @load_i64_untyped(ptr %src) {
  %p = call ptr @malloc(i64 32)
  %v = load i64, ptr %src, align 8
  store i64 %v, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; CHECK-LABEL: @load_i64_any_pointer_tbaa(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @load_i64_any_pointer_tbaa(ptr %src) {
  %p = call ptr @malloc(i64 32)
  %v = load i64, ptr %src, align 8, !tbaa !4
  store i64 %v, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

; memcpy from memory the pass knows nothing about.
; CHECK-LABEL: @memcpy_unknown(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (memory that may hold pointers is copied into it)
define void @memcpy_unknown(ptr %src) {
  %p = call ptr @malloc(i64 32)
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %p, ptr align 8 %src, i64 32, i1 false)
  call void @free(ptr %p)
  ret void
}

; memcpy from a constant that holds an address.
; CHECK-LABEL: @memcpy_constant_with_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @memcpy_constant_with_pointer() {
  %p = call ptr @malloc(i64 32)
  call void @llvm.memcpy.p0.p0.i64(ptr align 8 %p, ptr align 8 @with_ptr, i64 16, i1 false)
  call void @free(ptr %p)
  ret void
}

; A callee stores a pointer into it.
; CHECK-LABEL: @callee_writes_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (a pointer is stored into it in set_ptr)
define internal void @set_ptr(ptr %o, ptr %v) {
  store ptr %v, ptr %o, align 8
  ret void
}
define void @callee_writes_pointer(ptr %q) {
  %p = call ptr @malloc(i64 32)
  call void @set_ptr(ptr %p, ptr %q)
  call void @free(ptr %p)
  ret void
}

; An internal function's integer parameter is what its callers pass: here an
; untyped 64-bit load (ArgumentPromotion makes such parameters from pointers).
; CHECK-LABEL: @internal_param_from_untyped_load(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (a value that may hold a pointer is stored into it in store_param)
define internal void @store_param(ptr %o, i64 %v) {
  store i64 %v, ptr %o, align 8
  ret void
}
define void @internal_param_from_untyped_load(ptr %src) {
  %p = call ptr @malloc(i64 32)
  %v = load i64, ptr %src, align 8
  call void @store_param(ptr %p, i64 %v)
  call void @free(ptr %p)
  ret void
}

; Unknown code may store anything.
; CHECK-LABEL: @unknown_callee(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @unknown_callee() {
  %p = call ptr @malloc(i64 32)
  call void @use(ptr %p)
  ret void
}

; CHECK-LABEL: @returned(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (it is returned from returned)
define ptr @returned() {
  %p = call ptr @malloc(i64 32)
  store i64 1, ptr %p, align 8
  ret ptr %p
}

; CHECK-LABEL: @stored_to_global(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; REMARK: malloc(32) lowered to mallocgc: size class 4, may hold pointers (its address is stored into memory the pass cannot follow)
define void @stored_to_global() {
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr @gp, align 8
  ret void
}

; The container is followed, but a pointer is stored through an address
; loaded from it.
; CHECK-LABEL: @container_alias_gets_pointer(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @container_alias_gets_pointer(ptr %x) {
  %arr = call ptr @malloc(i64 80)
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  %q = load ptr, ptr %arr, align 8
  store ptr %x, ptr %q, align 8
  ret void
}

; One of the memories a phi may point to is not a fresh object.
; CHECK-LABEL: @phi_with_foreign_memory(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @phi_with_foreign_memory(i1 %c, ptr %foreign) {
entry:
  br i1 %c, label %left, label %join
left:
  %arr1 = call ptr @malloc(i64 80)
  br label %join
join:
  %arr = phi ptr [ %arr1, %left ], [ %foreign, %entry ]
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  ret void
}

; The container itself escapes: whoever gets it may write through p.
; CHECK-LABEL: @container_escapes(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @container_escapes() {
  %arr = call ptr @malloc(i64 80)
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  call void @use(ptr %arr)
  ret void
}

; The container read byte by byte: the address could be put together again.
; CHECK-LABEL: @container_read_as_bytes(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define i8 @container_read_as_bytes() {
  %arr = call ptr @malloc(i64 80)
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  %b = load i8, ptr %arr, align 1, !tbaa !7
  ret i8 %b
}

; The address may come back out of the container as an integer.
; CHECK-LABEL: @container_reloaded_as_int(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define i64 @container_reloaded_as_int() {
  %arr = call ptr @malloc(i64 80)
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %arr, align 8
  %i = load i64, ptr %arr, align 8
  ret i64 %i
}

; realloc keeps the contents: what is stored into the new object counts.
; CHECK-LABEL: @realloc_result_gets_pointer(
; CHECK: %p = call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
; CHECK: %r = call ptr @escalloc_realloc(ptr %p, i64 64)
define void @realloc_result_gets_pointer(ptr %x) {
  %p = call ptr @malloc(i64 32)
  store i64 1, ptr %p, align 8
  %r = call ptr @realloc(ptr %p, i64 64)
  store ptr %x, ptr %r, align 8
  call void @free(ptr %r)
  ret void
}

; strcpy returns its destination: a pointer stored through the result lands
; in the object.
; CHECK-LABEL: @strcpy_result_gets_pointer(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @strcpy_result_gets_pointer(ptr %x) {
  %p = call ptr @malloc(i64 32)
  %s = call ptr @strcpy(ptr %p, ptr @text)
  store ptr %x, ptr %s, align 8
  call void @free(ptr %p)
  ret void
}

; A vector of pointers.
; CHECK-LABEL: @pointer_vector(
; CHECK: call ptr @escalloc_mallocgc_spc(i64 32, i32 8)
define void @pointer_vector(<2 x ptr> %v) {
  %p = call ptr @malloc(i64 32)
  store <2 x ptr> %v, ptr %p, align 8
  call void @free(ptr %p)
  ret void
}

!0 = !{!1, !1, i64 0}
!1 = !{!"long", !2, i64 0}
!2 = !{!"omnipotent char", !3, i64 0}
!3 = !{!"Simple C/C++ TBAA"}
!4 = !{!5, !5, i64 0}
!5 = !{!"any pointer", !2, i64 0}
!6 = !{!8, !8, i64 0}
!7 = !{!2, !2, i64 0}
!8 = !{!"int", !2, i64 0}
