; Issue 12 §2: aggregates field by field.  A struct or array value of
; pointers ({ptr, ptr} returned in registers, built with insertvalue, taken
; apart with extractvalue, merged by a phi or a select, loaded or stored
; whole) has a points-to set per field, and a function returning one says in
; its summary which field of the result holds which parameter: a caller that
; publishes one field publishes only what that field may hold.  Each malloc
; has a size of its own, so that the remarks name it.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes='print<escalloc>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@gpair = global { ptr, ptr } zeroinitializer

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @take_pair({ ptr, ptr })

; Go's param1: return p1, p2 (a two-field struct in registers).
; PRINT-LABEL: escalloc: function @pair
; PRINT: param leaking param: p1 to result
; PRINT: param p1 in result field(s) 0
; PRINT: param p2 in result field(s) 1
define { ptr, ptr } @pair(ptr %p1, ptr %p2) noinline {
  %a = insertvalue { ptr, ptr } poison, ptr %p1, 0
  %b = insertvalue { ptr, ptr } %a, ptr %p2, 1
  ret { ptr, ptr } %b
}

; Go's caller1: sink = pair(i, j).r0 publishes i, not j.
; REMARK-DAG: remark: <unknown>:0:0: malloc(11) escapes to heap: stored to global g
; REMARK-DAG: remark: <unknown>:0:0: malloc(12) moved to stack; 1 free removed
define void @caller_field0() {
  %i = call ptr @malloc(i64 11)
  %j = call ptr @malloc(i64 12)
  %r = call { ptr, ptr } @pair(ptr %i, ptr %j)
  %f0 = extractvalue { ptr, ptr } %r, 0
  store ptr %f0, ptr @g
  call void @free(ptr %j)
  ret void
}

; The other field: j is published, i stays.
; REMARK-DAG: remark: <unknown>:0:0: malloc(13) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(14) escapes to heap: stored to global g
define void @caller_field1() {
  %i = call ptr @malloc(i64 13)
  %j = call ptr @malloc(i64 14)
  %r = call { ptr, ptr } @pair(ptr %i, ptr %j)
  %f1 = extractvalue { ptr, ptr } %r, 1
  store ptr %f1, ptr @g
  call void @free(ptr %i)
  ret void
}

; A field returned to the caller's caller escapes; the other stays.
; REMARK-DAG: remark: <unknown>:0:0: malloc(15) escapes to heap: returned from return_field
; REMARK-DAG: remark: <unknown>:0:0: malloc(16) moved to stack; 1 free removed
define ptr @return_field() {
  %i = call ptr @malloc(i64 15)
  %j = call ptr @malloc(i64 16)
  %r = call { ptr, ptr } @pair(ptr %i, ptr %j)
  %f0 = extractvalue { ptr, ptr } %r, 0
  call void @free(ptr %j)
  ret ptr %f0
}

; A callee that mixes both parameters into field 0: publishing field 0
; publishes both.
; PRINT-LABEL: escalloc: function @mixed
; PRINT: param p1 in result field(s) 0
; PRINT: param p2 in result field(s) 0
define { ptr, ptr } @mixed(ptr %p1, ptr %p2, i1 %c) noinline {
  %s = select i1 %c, ptr %p1, ptr %p2
  %a = insertvalue { ptr, ptr } zeroinitializer, ptr %s, 0
  ret { ptr, ptr } %a
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(17) escapes to heap: stored to global g
; REMARK-DAG: remark: <unknown>:0:0: malloc(18) escapes to heap: stored to global g
define void @caller_mixed(i1 %c) {
  %i = call ptr @malloc(i64 17)
  %j = call ptr @malloc(i64 18)
  %r = call { ptr, ptr } @mixed(ptr %i, ptr %j, i1 %c)
  %f0 = extractvalue { ptr, ptr } %r, 0
  store ptr %f0, ptr @g
  ret void
}

; Content levels by field: field 1 holds what p points to (*p).
; PRINT-LABEL: escalloc: function @deref_pair
; PRINT: param p content in result field(s) 1
define { ptr, ptr } @deref_pair(ptr %p) noinline {
  %v = load ptr, ptr %p
  %a = insertvalue { ptr, ptr } zeroinitializer, ptr %v, 1
  ret { ptr, ptr } %a
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(19) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(20) escapes to heap: stored to global g
define void @caller_deref() {
  %box = call ptr @malloc(i64 19)
  %x = call ptr @malloc(i64 20)
  store ptr %x, ptr %box
  %r = call { ptr, ptr } @deref_pair(ptr %box)
  %f1 = extractvalue { ptr, ptr } %r, 1
  store ptr %f1, ptr @g
  call void @free(ptr %box)
  ret void
}
; ... and field 0 holds nothing of it.
; REMARK-DAG: remark: <unknown>:0:0: malloc(21) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(22) moved to stack; 1 free removed
define void @caller_deref0() {
  %box = call ptr @malloc(i64 21)
  %x = call ptr @malloc(i64 22)
  store ptr %x, ptr %box
  %r = call { ptr, ptr } @deref_pair(ptr %box)
  %f0 = extractvalue { ptr, ptr } %r, 0
  store ptr %f0, ptr @g
  call void @free(ptr %x)
  call void @free(ptr %box)
  ret void
}

; Within one function: insertvalue, a phi of aggregates, extractvalue.
; REMARK-DAG: remark: <unknown>:0:0: malloc(23) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(24) escapes to heap: stored to global g
define void @local_pair(i1 %c) {
entry:
  %p = call ptr @malloc(i64 23)
  %q = call ptr @malloc(i64 24)
  %a = insertvalue { ptr, ptr } poison, ptr %p, 0
  %b = insertvalue { ptr, ptr } %a, ptr %q, 1
  br i1 %c, label %then, label %join
then:
  %s = insertvalue { ptr, ptr } %b, ptr null, 0
  br label %join
join:
  %m = phi { ptr, ptr } [ %b, %entry ], [ %s, %then ]
  %x = extractvalue { ptr, ptr } %m, 0
  store i8 1, ptr %x
  %y = extractvalue { ptr, ptr } %m, 1
  store ptr %y, ptr @g
  call void @free(ptr %p)
  ret void
}

; A nested aggregate: leaves are flattened in order ({p, [q, r]}: 0, 1, 2).
; REMARK-DAG: remark: <unknown>:0:0: malloc(25) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(26) escapes to heap: stored to global g
; REMARK-DAG: remark: <unknown>:0:0: malloc(27) moved to stack; 1 free removed
define void @nested() {
  %p = call ptr @malloc(i64 25)
  %q = call ptr @malloc(i64 26)
  %r = call ptr @malloc(i64 27)
  %a = insertvalue { ptr, [2 x ptr] } poison, ptr %p, 0
  %b = insertvalue { ptr, [2 x ptr] } %a, ptr %q, 1, 0
  %c = insertvalue { ptr, [2 x ptr] } %b, ptr %r, 1, 1
  %arr = extractvalue { ptr, [2 x ptr] } %c, 1
  %s = select i1 true, [2 x ptr] %arr, [2 x ptr] zeroinitializer
  %q2 = extractvalue [2 x ptr] %s, 0
  store ptr %q2, ptr @g
  call void @free(ptr %p)
  call void @free(ptr %r)
  ret void
}

; A whole aggregate stored into a local and loaded back: each field at its
; own offset (pointer loads read the whole object: either free may free either).
; REMARK-DAG: remark: <unknown>:0:0: malloc(28) moved to stack; 2 frees removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(29) moved to stack; 2 frees removed
define void @through_memory() {
  %slot = alloca { ptr, ptr }
  %p = call ptr @malloc(i64 28)
  %q = call ptr @malloc(i64 29)
  %a = insertvalue { ptr, ptr } poison, ptr %p, 0
  %b = insertvalue { ptr, ptr } %a, ptr %q, 1
  store { ptr, ptr } %b, ptr %slot
  %l = load { ptr, ptr }, ptr %slot
  %x = extractvalue { ptr, ptr } %l, 0
  %y = extractvalue { ptr, ptr } %l, 1
  call void @free(ptr %x)
  call void @free(ptr %y)
  ret void
}

; Stored whole into a global: both fields escape.
; REMARK-DAG: remark: <unknown>:0:0: malloc(30) escapes to heap: stored to global gpair
; REMARK-DAG: remark: <unknown>:0:0: malloc(31) escapes to heap: stored to global gpair
define void @store_global() {
  %p = call ptr @malloc(i64 30)
  %q = call ptr @malloc(i64 31)
  %a = insertvalue { ptr, ptr } poison, ptr %p, 0
  %b = insertvalue { ptr, ptr } %a, ptr %q, 1
  store { ptr, ptr } %b, ptr @gpair
  ret void
}

; Loaded whole from memory that holds them, then published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(32) escapes to heap: stored to global g
define void @load_publish() {
  %slot = alloca { ptr, ptr }
  %p = call ptr @malloc(i64 32)
  %f1 = getelementptr { ptr, ptr }, ptr %slot, i64 0, i32 1
  store ptr %p, ptr %f1
  %l = load { ptr, ptr }, ptr %slot
  %y = extractvalue { ptr, ptr } %l, 1
  store ptr %y, ptr @g
  ret void
}

; Passed as an aggregate to a function: published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(33) escapes to heap: passed in an aggregate to take_pair
define void @pass_aggregate() {
  %p = call ptr @malloc(i64 33)
  %a = insertvalue { ptr, ptr } zeroinitializer, ptr %p, 0
  call void @take_pair({ ptr, ptr } %a)
  ret void
}

; The result of a callee without a body is not followed: what comes out is
; external (a free of it frees no site of ours).
; REMARK-DAG: remark: <unknown>:0:0: malloc(34) escapes to heap: passed to opaque_pair argument 1 which may capture it
declare { ptr, ptr } @opaque_pair(ptr)
define void @caller_opaque() {
  %p = call ptr @malloc(i64 34)
  %r = call { ptr, ptr } @opaque_pair(ptr %p)
  %x = extractvalue { ptr, ptr } %r, 0
  call void @free(ptr %x)
  ret void
}

; A call whose aggregate result is not followed field by field (a variadic
; call passing more arguments than the summary has) publishes what the
; summary says the callee returns.
define { ptr, ptr } @vpair(ptr %p, ...) noinline {
  %a = insertvalue { ptr, ptr } zeroinitializer, ptr %p, 0
  ret { ptr, ptr } %a
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(35) escapes to heap: returned in an aggregate not followed from vpair
define void @caller_variadic() {
  %p = call ptr @malloc(i64 35)
  %r = call { ptr, ptr } (ptr, ...) @vpair(ptr %p, i32 1)
  %x = extractvalue { ptr, ptr } %r, 0
  call void @free(ptr %x)
  ret void
}
