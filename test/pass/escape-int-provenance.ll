; Issue 12 §2: integers are data unless they carry a pointer.  An integer
; carries pointer bits when it comes from a pointer (ptrtoint, bits copied as
; an i64) or is loaded from memory that may hold them, whatever its type or
; width; it then publishes the object only where it is stored, returned or
; passed on as such.  An address used in an alignment test, a compare or a
; local slot keeps the object on the stack; every way the bits can leave
; (issue 11 class 2) still publishes it.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@gi = global i64 0
@gb = global i1 false

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @ext_int(i64)

; --- positives: the address as data ----------------------------------------

; An alignment test.
; REMARK-DAG: remark: <unknown>:0:0: malloc(201) moved to stack; 1 free removed
; CHECK-LABEL: define void @align_test(
; CHECK-NOT: @malloc(
define void @align_test() {
  %p = call ptr @malloc(i64 201)
  %i = ptrtoint ptr %p to i64
  %a = and i64 %i, 15
  %c = icmp eq i64 %a, 0
  store i1 %c, ptr @gb
  call void @free(ptr %p)
  ret void
}

; Two addresses compared as integers, through a local slot.
; REMARK-DAG: remark: <unknown>:0:0: malloc(202) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(203) moved to stack; 1 free removed
define void @compare_through_slot() {
  %slot = alloca i64
  %p = call ptr @malloc(i64 202)
  %q = call ptr @malloc(i64 203)
  %i = ptrtoint ptr %p to i64
  store i64 %i, ptr %slot
  %j = ptrtoint ptr %q to i64
  %v = load i64, ptr %slot
  %c = icmp ult i64 %v, %j
  store i1 %c, ptr @gb
  call void @free(ptr %p)
  call void @free(ptr %q)
  ret void
}

; The address kept as a long in an array; another element is read out as
; data: the bytes that hold it are not the bytes read.
; REMARK-DAG: remark: <unknown>:0:0: malloc(204) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(64) moved to stack; 1 free removed
define void @address_in_long_array() {
  %nm = call ptr @malloc(i64 204)
  %arr = call ptr @malloc(i64 64)
  %i = ptrtoint ptr %nm to i64
  store i64 %i, ptr %arr
  %e1 = getelementptr i8, ptr %arr, i64 8
  store i64 5, ptr %e1
  %v = load i64, ptr %e1
  store i64 %v, ptr @gi
  call void @free(ptr %nm)
  call void @free(ptr %arr)
  ret void
}

; A pointer difference used as a length stays data where it stays local.
; REMARK-DAG: remark: <unknown>:0:0: malloc(205) moved to stack; 1 free removed
define i8 @difference_as_length() {
  %s = call ptr @malloc(i64 205)
  %e = getelementptr i8, ptr %s, i64 10
  %ei = ptrtoint ptr %e to i64
  %si = ptrtoint ptr %s to i64
  %n = sub i64 %ei, %si
  %last = getelementptr i8, ptr %s, i64 %n
  %c = load i8, ptr %last
  call void @free(ptr %s)
  ret i8 %c
}

; --- negatives: the bits leave ----------------------------------------------

; REMARK-DAG: remark: <unknown>:0:0: malloc(211) escapes to heap: stored to global gi
; CHECK-LABEL: define void @int_stored_global(
; CHECK: call ptr @malloc(i64 211)
define void @int_stored_global() {
  %p = call ptr @malloc(i64 211)
  %i = ptrtoint ptr %p to i64
  store i64 %i, ptr @gi
  ret void
}

; Through a local slot, then published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(212) escapes to heap: stored to global gi
define void @int_slot_published() {
  %slot = alloca i64
  %p = call ptr @malloc(i64 212)
  %i = ptrtoint ptr %p to i64
  store i64 %i, ptr %slot
  %v = load i64, ptr %slot
  store i64 %v, ptr @gi
  call void @free(ptr %p)
  ret void
}

; Hidden with xor, as two halves.
; REMARK-DAG: remark: <unknown>:0:0: malloc(213) escapes to heap: stored to global gi
define void @int_xor_halves() {
  %p = call ptr @malloc(i64 213)
  %i = ptrtoint ptr %p to i64
  %x = xor i64 %i, 12345
  %hi = lshr i64 %x, 32
  %lo = trunc i64 %x to i32
  %h32 = trunc i64 %hi to i32
  %lo64 = zext i32 %lo to i64
  store i64 %lo64, ptr @gi
  %h64 = zext i32 %h32 to i64
  store i64 %h64, ptr @gi
  ret void
}

; Passed as an integer to an unknown function.
; REMARK-DAG: remark: <unknown>:0:0: malloc(214) escapes to heap: passed as an integer to ext_int
define void @int_passed() {
  %p = call ptr @malloc(i64 214)
  %i = ptrtoint ptr %p to i64
  call void @ext_int(i64 %i)
  call void @free(ptr %p)
  ret void
}

; Turned back into a pointer and published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(215) escapes to heap: stored to global g
define void @int_round_trip() {
  %p = call ptr @malloc(i64 215)
  %i = ptrtoint ptr %p to i64
  %q = inttoptr i64 %i to ptr
  store ptr %q, ptr @g
  ret void
}

; The bits inside a holder that is published: the holder's contents escape.
; REMARK-DAG: remark: <unknown>:0:0: malloc(216) escapes to heap: stored into an escaping object
; REMARK-DAG: remark: <unknown>:0:0: malloc(217) escapes to heap: stored to global g
define void @int_in_published_holder() {
  %p = call ptr @malloc(i64 216)
  %h = call ptr @malloc(i64 217)
  %i = ptrtoint ptr %p to i64
  store i64 %i, ptr %h
  store ptr %h, ptr @g
  ret void
}

; A vector of addresses is not followed.
; REMARK-DAG: remark: <unknown>:0:0: malloc(218) escapes to heap: {{.*}}
define void @vector_of_addresses() {
  %p = call ptr @malloc(i64 218)
  %v = insertelement <2 x ptr> poison, ptr %p, i64 0
  %w = ptrtoint <2 x ptr> %v to <2 x i64>
  %e = extractelement <2 x i64> %w, i64 0
  store i64 %e, ptr @gi
  ret void
}
