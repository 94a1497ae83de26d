; Issue 12 §2: dereference levels in parameter summaries (Go's `leaking param
; content` level=N).  A callee that publishes or returns what lies two loads
; below its parameter (`sink = **pp`, `return **pp`) lets out the object *pp
; points to, not *pp's own object: in the caller, the holders at the first
; two levels stay local.  Deeper levels are collapsed into the second.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -pass-remarks-analysis=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes='print<escalloc>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")

; sink = **pp
; REMARK-DAG: remark: <unknown>:0:0: leaking param content: pp level=2
define void @sink2(ptr %pp) noinline {
  %p = load ptr, ptr %pp
  %i = load ptr, ptr %p
  store ptr %i, ptr @g
  ret void
}

; sink = *pp
; REMARK-DAG: remark: <unknown>:0:0: leaking param content: pp{{$}}
define void @sink1(ptr %pp) noinline {
  %p = load ptr, ptr %pp
  store ptr %p, ptr @g
  ret void
}

; return **pp
; REMARK-DAG: remark: <unknown>:0:0: leaking param content: pp level=2 to result
define ptr @deref2(ptr %pp) noinline {
  %p = load ptr, ptr %pp
  %i = load ptr, ptr %p
  ret ptr %i
}

; return *pp
; REMARK-DAG: remark: <unknown>:0:0: leaking param content: pp to result
define ptr @deref1(ptr %pp) noinline {
  %p = load ptr, ptr %pp
  ret ptr %p
}

; sink = ***ppp: the second level stands for every level below.
define void @sink3(ptr %ppp) noinline {
  %pp = load ptr, ptr %ppp
  %p = load ptr, ptr %pp
  %i = load ptr, ptr %p
  store ptr %i, ptr @g
  ret void
}

; PRINT-LABEL: escalloc: function @caller_sink2
; PRINT-DAG: site malloc(301): heap: what its contents point to leaks through @sink2 argument 1
; PRINT-DAG: site malloc(302): stack
; PRINT-DAG: site malloc(303): stack
define void @caller_sink2() {
  %i = call ptr @malloc(i64 301)
  %p = call ptr @malloc(i64 302)
  %pp = call ptr @malloc(i64 303)
  store ptr %i, ptr %p
  store ptr %p, ptr %pp
  call void @sink2(ptr %pp)
  call void @free(ptr %p)
  call void @free(ptr %pp)
  ret void
}

; Negative: one level down, *pp's own object escapes, and what it holds.
; PRINT-LABEL: escalloc: function @caller_sink1
; PRINT-DAG: site malloc(311): heap: stored into an escaping object
; PRINT-DAG: site malloc(312): heap: its contents leak through @sink1 argument 1
; PRINT-DAG: site malloc(313): stack
define void @caller_sink1() {
  %i = call ptr @malloc(i64 311)
  %p = call ptr @malloc(i64 312)
  %pp = call ptr @malloc(i64 313)
  store ptr %i, ptr %p
  store ptr %p, ptr %pp
  call void @sink1(ptr %pp)
  call void @free(ptr %pp)
  ret void
}

; The result of deref2 is the object two levels down.
; PRINT-LABEL: escalloc: function @caller_deref2
; PRINT-DAG: site malloc(321): heap: stored to global @g
; PRINT-DAG: site malloc(322): stack
; PRINT-DAG: site malloc(323): stack
define void @caller_deref2() {
  %i = call ptr @malloc(i64 321)
  %p = call ptr @malloc(i64 322)
  %pp = call ptr @malloc(i64 323)
  store ptr %i, ptr %p
  store ptr %p, ptr %pp
  %r = call ptr @deref2(ptr %pp)
  store ptr %r, ptr @g
  call void @free(ptr %p)
  call void @free(ptr %pp)
  ret void
}

; Negative: deref1 returns *pp's own object.
; PRINT-LABEL: escalloc: function @caller_deref1
; PRINT-DAG: site malloc(331): heap: stored into an escaping object
; PRINT-DAG: site malloc(332): heap: stored to global @g
; PRINT-DAG: site malloc(333): stack
define void @caller_deref1() {
  %i = call ptr @malloc(i64 331)
  %p = call ptr @malloc(i64 332)
  %pp = call ptr @malloc(i64 333)
  store ptr %i, ptr %p
  store ptr %p, ptr %pp
  %r = call ptr @deref1(ptr %pp)
  store ptr %r, ptr @g
  call void @free(ptr %pp)
  ret void
}

; Three levels: the second level is collapsed, so *pp's object escapes too
; (conservative); ppp's and pp's own objects stay.
; PRINT-LABEL: escalloc: function @caller_sink3
; PRINT-DAG: site malloc(341): heap: {{.*}}
; PRINT-DAG: site malloc(342): heap: what its contents point to leaks through @sink3 argument 1
; PRINT-DAG: site malloc(343): stack
; PRINT-DAG: site malloc(344): stack
define void @caller_sink3() {
  %i = call ptr @malloc(i64 341)
  %p = call ptr @malloc(i64 342)
  %pp = call ptr @malloc(i64 343)
  %ppp = call ptr @malloc(i64 344)
  store ptr %i, ptr %p
  store ptr %p, ptr %pp
  store ptr %pp, ptr %ppp
  call void @sink3(ptr %ppp)
  call void @free(ptr %pp)
  call void @free(ptr %ppp)
  ret void
}
