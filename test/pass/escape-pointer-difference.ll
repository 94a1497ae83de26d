; `(intptr_t)p - (intptr_t)q` of two addresses inside one object is an
; offset, data (FunctionAnalyzer::isPointerDifference): cJSON's parse_number
; adds `end - buf` (strtod's end pointer) to its offset.  Both must derive
; from the same base value on every path: the value itself, an offset from
; it, or a load of a local slot last written by strtod(base, &slot) (or
; written only with such addresses), the base running once per call.
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare double @strtod(ptr readonly, ptr nocapture)
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)

@off = global i64 0
@other = global [8 x i8] zeroinitializer

; Positive: end = NULL; strtod(p, &end); off += end - p.
; CHECK-DAG: remark: <unknown>:0:0: malloc(16) moved to stack
define double @end_minus_start() {
  %end = alloca ptr
  %p = call ptr @malloc(i64 16)
  store i8 0, ptr %p
  store ptr null, ptr %end
  %d = call double @strtod(ptr %p, ptr %end)
  %e = load ptr, ptr %end
  %ei = ptrtoint ptr %e to i64
  %pi = ptrtoint ptr %p to i64
  %diff = sub i64 %ei, %pi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret double %d
}

; Positive: two offsets from the same pointer (an outside index).
; CHECK-DAG: remark: <unknown>:0:0: malloc(24) moved to stack
define void @gep_minus_gep(i64 %i) {
  %p = call ptr @malloc(i64 24)
  call void @reader(ptr %p)
  %a = getelementptr i8, ptr %p, i64 %i
  %b = getelementptr i8, ptr %p, i64 4
  %ai = ptrtoint ptr %a to i64
  %bi = ptrtoint ptr %b to i64
  %diff = sub i64 %ai, %bi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret void
}

; Negative: the slot's last write is another object's address: the
; difference is that object's address relative to ours.
; CHECK-DAG: remark: <unknown>:0:0: malloc(32) escapes to heap: stored to global off
define void @slot_overwritten() {
  %end = alloca ptr
  %p = call ptr @malloc(i64 32)
  store i8 0, ptr %p
  %d = call double @strtod(ptr %p, ptr %end)
  store ptr @other, ptr %end
  %e = load ptr, ptr %end
  %ei = ptrtoint ptr %e to i64
  %pi = ptrtoint ptr %p to i64
  %diff = sub i64 %ei, %pi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret void
}

; Negative: strtod may not have run (the slot may still hold NULL, and
; NULL - p is p's address).
; CHECK-DAG: remark: <unknown>:0:0: malloc(40) escapes to heap: stored to global off
define void @maybe_not_parsed(i1 %c) {
  %end = alloca ptr
  %p = call ptr @malloc(i64 40)
  store i8 0, ptr %p
  store ptr null, ptr %end
  br i1 %c, label %parse, label %join
parse:
  %d = call double @strtod(ptr %p, ptr %end)
  br label %join
join:
  %e = load ptr, ptr %end
  %ei = ptrtoint ptr %e to i64
  %pi = ptrtoint ptr %p to i64
  %diff = sub i64 %ei, %pi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret void
}

; Negative: an index holding the object's own bits: p + (0 - p) - p.
; CHECK-DAG: remark: <unknown>:0:0: malloc(48) escapes to heap: stored to global off
define void @index_with_pointer_bits() {
  %p = call ptr @malloc(i64 48)
  call void @reader(ptr %p)
  %pi = ptrtoint ptr %p to i64
  %neg = sub i64 0, %pi
  %a = getelementptr i8, ptr %p, i64 %neg
  %ai = ptrtoint ptr %a to i64
  %diff = sub i64 %ai, %pi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret void
}

; Negative: in a loop the slot may hold the previous iteration's object.
; CHECK-DAG: remark: <unknown>:0:0: malloc(56) escapes to heap: stored to global off
define void @previous_iteration(i32 %n) {
entry:
  %end = alloca ptr
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i1, %loop ]
  %p = call ptr @malloc(i64 56)
  store i8 0, ptr %p
  %e = load ptr, ptr %end
  %ei = ptrtoint ptr %e to i64
  %pi = ptrtoint ptr %p to i64
  %diff = sub i64 %ei, %pi
  store i64 %diff, ptr @off
  %d = call double @strtod(ptr %p, ptr %end)
  call void @free(ptr %p)
  %i1 = add i32 %i, 1
  %more = icmp slt i32 %i1, %n
  br i1 %more, label %loop, label %exit
exit:
  ret void
}

; Positive: the base's function has more blocks after it than LLVM's
; isPotentiallyReachable explores (32): no cycle is still no cycle.
; CHECK-DAG: remark: <unknown>:0:0: malloc(64) moved to stack
define double @long_function() {
entry:
  %end = alloca ptr
  %p = call ptr @malloc(i64 64)
  store i8 0, ptr %p
  br label %b0
b0:
  br label %b1
b1:
  br label %b2
b2:
  br label %b3
b3:
  br label %b4
b4:
  br label %b5
b5:
  br label %b6
b6:
  br label %b7
b7:
  br label %b8
b8:
  br label %b9
b9:
  br label %b10
b10:
  br label %b11
b11:
  br label %b12
b12:
  br label %b13
b13:
  br label %b14
b14:
  br label %b15
b15:
  br label %b16
b16:
  br label %b17
b17:
  br label %b18
b18:
  br label %b19
b19:
  br label %b20
b20:
  br label %b21
b21:
  br label %b22
b22:
  br label %b23
b23:
  br label %b24
b24:
  br label %b25
b25:
  br label %b26
b26:
  br label %b27
b27:
  br label %b28
b28:
  br label %b29
b29:
  br label %b30
b30:
  br label %b31
b31:
  br label %b32
b32:
  br label %b33
b33:
  br label %b34
b34:
  br label %b35
b35:
  br label %b36
b36:
  br label %b37
b37:
  br label %b38
b38:
  br label %b39
b39:
  br label %b40
b40:
  %d = call double @strtod(ptr %p, ptr %end)
  %e = load ptr, ptr %end
  %ei = ptrtoint ptr %e to i64
  %pi = ptrtoint ptr %p to i64
  %diff = sub i64 %ei, %pi
  store i64 %diff, ptr @off
  call void @free(ptr %p)
  ret double %d
}
