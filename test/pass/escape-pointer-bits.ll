; Issue 11, class 2: pointer bits that leave without a pointer type.  A value
; of any type and width loaded from memory that may hold pointer bits carries
; them; formatted output publishes what it prints; `tail` is cleared on every
; call that may receive a promoted object's bits.  Data is data only where no
; pointer bits can be in it (the negative cases at the end).
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -pass-remarks-analysis=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes='print<escalloc>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@glo = global i32 0
@ghi = global i32 0
@gd = global double 0.0
@gi = global i64 0
@buf = global [64 x i8] zeroinitializer
@fmt.p = private constant [3 x i8] c"%p\00"
@fmt.lx = private constant [4 x i8] c"%lx\00"
@fmt.s = private constant [4 x i8] c"%s\0A\00"
@fmt.d = private constant [3 x i8] c"%d\00"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare i32 @sprintf(ptr noalias nocapture, ptr nocapture readonly, ...)
declare i32 @printf(ptr nocapture readonly, ...)

; The holder's pointer read as two i32 halves and kept in globals.
; REMARK-DAG: remark: <unknown>:0:0: leaking param data: h
define void @keep_halves(ptr %h) {
  %lo = load i32, ptr %h
  %hp = getelementptr i8, ptr %h, i64 4
  %hi = load i32, ptr %hp
  store i32 %lo, ptr @glo
  store i32 %hi, ptr @ghi
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(24) escapes to heap: its bits leak through keep_halves argument 1
define void @halves() {
  %h = call ptr @malloc(i64 8)
  %p = call ptr @malloc(i64 24)
  store ptr %p, ptr %h
  call void @keep_halves(ptr %h)
  call void @free(ptr %h)
  ret void
}

; ... as a double.
define void @keep_double(ptr %h) {
  %d = load double, ptr %h
  store double %d, ptr @gd
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(32) escapes to heap: its bits leak through keep_double argument 1
define void @as_double() {
  %h = call ptr @malloc(i64 8)
  %p = call ptr @malloc(i64 32)
  store ptr %p, ptr %h
  call void @keep_double(ptr %h)
  call void @free(ptr %h)
  ret void
}

; ... as an i64 hidden with xor.
define void @keep_xor(ptr %h) {
  %x = load i64, ptr %h
  %k = xor i64 %x, 6510615555426900570
  store i64 %k, ptr @gi
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(40) escapes to heap: its bits leak through keep_xor argument 1
define void @xored() {
  %h = call ptr @malloc(i64 8)
  %p = call ptr @malloc(i64 40)
  store ptr %p, ptr %h
  call void @keep_xor(ptr %h)
  call void @free(ptr %h)
  ret void
}

; Printed with %p into a global buffer (sscanf("%p") can rebuild it).
; REMARK-DAG: remark: <unknown>:0:0: malloc(48) escapes to heap: printed with %p by sprintf argument 3
define void @printed_p() {
  %p = call ptr @malloc(i64 48)
  %r = call i32 (ptr, ptr, ...) @sprintf(ptr @buf, ptr @fmt.p, ptr %p)
  ret void
}

; Printed under a format that is not constant: it may hold %p.
; REMARK-DAG: remark: <unknown>:0:0: malloc(56) escapes to heap: printed by printf argument 2 under a format that is not constant
define void @printed_nonconst(ptr %fmt) {
  %p = call ptr @malloc(i64 56)
  %r = call i32 (ptr, ...) @printf(ptr %fmt, ptr %p)
  call void @free(ptr %p)
  ret void
}

; The bits of a pointer printed as a number ("%lx" can be read back).
; REMARK-DAG: remark: <unknown>:0:0: malloc(64) escapes to heap: its bits are printed by printf argument 2
define void @printed_bits() {
  %h = call ptr @malloc(i64 8)
  %p = call ptr @malloc(i64 64)
  store ptr %p, ptr %h
  %bits = load i64, ptr %h
  %r = call i32 (ptr, ...) @printf(ptr @fmt.lx, i64 %bits)
  call void @free(ptr %h)
  ret void
}

; A promoted object reaching a callee only as the bits of an integer (a
; union passed by value): `tail` is cleared there too, and kept on calls
; whose arguments are all constants.
declare void @noargs()
declare void @take_const(i64)
define i64 @use_bits(i64 %u) {
  %p = inttoptr i64 %u to ptr
  %v = load i64, ptr %p
  ret i64 %v
}
; CHECK-LABEL: define i64 @tail_union(
; CHECK: tail call void @noargs()
; CHECK: tail call void @take_const(i64 7)
; CHECK: {{^  }}%r = call i64 @use_bits(i64 %bits)
; REMARK-DAG: remark: <unknown>:0:0: malloc(16) moved to stack
; REMARK-DAG: remark: <unknown>:0:0: malloc(72) moved to stack
define i64 @tail_union() {
  %b = call ptr @malloc(i64 16)
  %p = call ptr @malloc(i64 72)
  store i64 45, ptr %p
  store ptr %p, ptr %b
  tail call void @noargs()
  tail call void @take_const(i64 7)
  %bits = load i64, ptr %b
  %r = tail call i64 @use_bits(i64 %bits)
  ret i64 %r
}

; Negative: an int field the object holds at bytes no pointer was stored to
; is data, kept in a global; the pointer's target stays on the stack.
; REMARK-DAG: remark: <unknown>:0:0: malloc(80) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(88) moved to stack; 1 free removed
define void @int_field_is_data() {
  %p = call ptr @malloc(i64 80)
  %r = call ptr @malloc(i64 88)
  store ptr %p, ptr %r
  %np = getelementptr i8, ptr %r, i64 8
  store i32 3, ptr %np
  %n = load i32, ptr %np
  store i32 %n, ptr @glo
  call void @free(ptr %p)
  call void @free(ptr %r)
  ret void
}

; Negative: a callee that returns, or prints, an int field read at a constant
; offset: the caller's object holds no pointer there, so its pointer's target
; stays on the stack.  (The callee's summary says which bytes: PRINT.)
; PRINT-LABEL: escalloc: function @count_of
; PRINT-NEXT: param leaking param data: r
; PRINT-NEXT: param r data at [8, 12) leaks to result
define i32 @count_of(ptr %r) {
  %np = getelementptr i8, ptr %r, i64 8
  %n = load i32, ptr %np
  %x = call i32 (ptr, ...) @printf(ptr @fmt.d, i32 %n)
  ret i32 %n
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(112) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(120) moved to stack; 1 free removed
define void @data_through_callee() {
  %p = call ptr @malloc(i64 112)
  %r = call ptr @malloc(i64 120)
  store ptr %p, ptr %r
  %np = getelementptr i8, ptr %r, i64 8
  store i32 3, ptr %np
  %n = call i32 @count_of(ptr %r)
  store i32 %n, ptr @glo
  call void @free(ptr %p)
  call void @free(ptr %r)
  ret void
}
; ... but the same callee handed the pointer's bytes publishes the pointer.
; REMARK-DAG: remark: <unknown>:0:0: malloc(128) escapes to heap: its bits leak through count_of argument 1
define void @pointer_through_callee() {
  %p = call ptr @malloc(i64 128)
  %r = call ptr @malloc(i64 16)
  %pp = getelementptr i8, ptr %r, i64 8
  store ptr %p, ptr %pp
  %n = call i32 @count_of(ptr %r)
  call void @free(ptr %p)
  call void @free(ptr %r)
  ret void
}

; Negative: a constant format without %p prints the string (its contents
; are published, it is not), and an int of an object without pointers.
; REMARK-DAG: remark: <unknown>:0:0: malloc(96) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(104) moved to stack; 1 free removed
define void @printed_data() {
  %s = call ptr @malloc(i64 96)
  store i8 0, ptr %s
  %r1 = call i32 (ptr, ...) @printf(ptr @fmt.s, ptr %s)
  %q = call ptr @malloc(i64 104)
  store i32 5, ptr %q
  %v = load i32, ptr %q
  %r2 = call i32 (ptr, ...) @printf(ptr @fmt.d, i32 %v)
  call void @free(ptr %s)
  call void @free(ptr %q)
  ret void
}
