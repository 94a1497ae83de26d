; Issue 12 §2: aggregates through memory at calls.  A struct returned through
; an sret slot: what the callee stores into the slot is returned (the summary
; says "to result"), and the caller puts it into its own slot instead of
; letting it leak.  A struct passed byval: the callee reads a copy, so its
; copy leaking lets out what the caller stored in the struct, not the
; caller's object; inside the callee the copy is a local.  Each malloc has a
; size of its own, so that the remarks name it.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes='print<escalloc>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=PRINT

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

%struct.T = type { ptr, ptr, ptr }

@g = global ptr null
@gt = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @use(ptr nocapture readonly) nofree nounwind memory(read)

; struct T mk(p, q, r) { return (struct T){r, p, q}; } through sret.
; PRINT-LABEL: escalloc: function @mk
; PRINT: param leaking param: p to result
; PRINT: param leaking param: q to result
define void @mk(ptr noalias sret(%struct.T) %out, ptr %p, ptr %q, ptr %r) noinline {
  store ptr %r, ptr %out
  %f1 = getelementptr inbounds %struct.T, ptr %out, i64 0, i32 1
  store ptr %p, ptr %f1
  %f2 = getelementptr inbounds %struct.T, ptr %out, i64 0, i32 2
  store ptr %q, ptr %f2
  ret void
}

; The caller keeps the struct local and frees its fields: all stay (each free
; may also free what the callee could have written, so it is guarded).
; REMARK-DAG: remark: <unknown>:0:0: malloc(11) moved to stack; 3 frees guarded
; REMARK-DAG: remark: <unknown>:0:0: malloc(12) moved to stack; 3 frees guarded
; REMARK-DAG: remark: <unknown>:0:0: malloc(13) moved to stack; 3 frees guarded
define void @caller_sret() {
  %t = alloca %struct.T
  %x = call ptr @malloc(i64 11)
  %y = call ptr @malloc(i64 12)
  %z = call ptr @malloc(i64 13)
  call void @mk(ptr sret(%struct.T) %t, ptr %x, ptr %y, ptr %z)
  %a = load ptr, ptr %t
  call void @free(ptr %a)
  %b.p = getelementptr inbounds %struct.T, ptr %t, i64 0, i32 1
  %b = load ptr, ptr %b.p
  call void @free(ptr %b)
  %c.p = getelementptr inbounds %struct.T, ptr %t, i64 0, i32 2
  %c = load ptr, ptr %c.p
  call void @free(ptr %c)
  ret void
}

; A field of the slot returned to the caller's caller: what the slot holds
; escapes (pointer fields of one object are not told apart in memory).
; REMARK-DAG: remark: <unknown>:0:0: malloc(14) escapes to heap: returned from caller_sret_ret
; REMARK-DAG: remark: <unknown>:0:0: malloc(15) escapes to heap: returned from caller_sret_ret
define ptr @caller_sret_ret() {
  %t = alloca %struct.T
  %x = call ptr @malloc(i64 14)
  %y = call ptr @malloc(i64 15)
  call void @mk(ptr sret(%struct.T) %t, ptr %x, ptr %y, ptr null)
  %b.p = getelementptr inbounds %struct.T, ptr %t, i64 0, i32 1
  %b = load ptr, ptr %b.p
  ret ptr %b
}

; The slot itself published: what the callee put into it escapes.
; REMARK-DAG: remark: <unknown>:0:0: malloc(16) escapes to heap: stored into an escaping object
define void @caller_sret_pub() {
  %t = call ptr @malloc(i64 24)
  store ptr %t, ptr @gt
  %x = call ptr @malloc(i64 16)
  call void @mk(ptr sret(%struct.T) %t, ptr %x, ptr null, ptr null)
  ret void
}

; A callee that builds the result from its own allocation: that one escapes
; (returned), and the caller's slot holds memory it does not know.
; REMARK-DAG: remark: <unknown>:0:0: malloc(17) escapes to heap: returned from mk_fresh
define void @mk_fresh(ptr noalias sret(%struct.T) %out, ptr %p) noinline {
  %n = call ptr @malloc(i64 17)
  store ptr %n, ptr %out
  %f1 = getelementptr inbounds %struct.T, ptr %out, i64 0, i32 1
  store ptr %p, ptr %f1
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(18) moved to stack; 1 free guarded
define void @caller_fresh() {
  %t = alloca %struct.T
  %x = call ptr @malloc(i64 18)
  call void @mk_fresh(ptr sret(%struct.T) %t, ptr %x)
  %b.p = getelementptr inbounds %struct.T, ptr %t, i64 0, i32 1
  %b = load ptr, ptr %b.p
  call void @free(ptr %b)
  ret void
}

; An sret slot passed on to another sret callee (return mk(...)): what that
; callee stores is returned too.
; PRINT-LABEL: escalloc: function @mk_chain
; PRINT: param leaking param: p to result
define void @mk_chain(ptr noalias sret(%struct.T) %out, ptr %p) noinline {
  call void @mk(ptr sret(%struct.T) %out, ptr %p, ptr null, ptr null)
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(19) moved to stack; 1 free guarded
define void @caller_chain() {
  %t = alloca %struct.T
  %x = call ptr @malloc(i64 19)
  call void @mk_chain(ptr sret(%struct.T) %t, ptr %x)
  %b.p = getelementptr inbounds %struct.T, ptr %t, i64 0, i32 1
  %b = load ptr, ptr %b.p
  call void @free(ptr %b)
  ret void
}

; byval: the callee publishes the address of its copy.  The caller's object
; (the byval source, as MemCpyOpt forwards it) stays; what it holds escapes.
; PRINT-LABEL: escalloc: function @keep_copy
; PRINT: param leaking param: t
define void @keep_copy(ptr byval(%struct.T) %t) noinline {
  store ptr %t, ptr @g
  ret void
}
; REMARK-DAG: remark: <unknown>:0:0: malloc(24) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(20) escapes to heap: its copy leaks through keep_copy argument 1
define void @caller_byval() {
  %h = call ptr @malloc(i64 24)
  %x = call ptr @malloc(i64 20)
  store ptr %x, ptr %h
  call void @keep_copy(ptr byval(%struct.T) %h)
  call void @free(ptr %h)
  ret void
}

; Inside the callee the copy is a local: an allocation stored into one of
; its fields and freed there stays ...
; REMARK-DAG: remark: <unknown>:0:0: malloc(21) moved to stack; 1 free
define void @fill_copy(ptr byval(%struct.T) %t) noinline {
  %n = call ptr @malloc(i64 21)
  store ptr %n, ptr %t
  %l = load ptr, ptr %t
  call void @use(ptr %l)
  call void @free(ptr %n)
  ret void
}
; ... unless the copy's address is returned.
; REMARK-DAG: remark: <unknown>:0:0: malloc(22) escapes to heap: stored into an escaping object
define ptr @fill_ret(ptr byval(%struct.T) %t) noinline {
  %n = call ptr @malloc(i64 22)
  store ptr %n, ptr %t
  ret ptr %t
}

; An allocation stored into the copy and read back as an integer carries its
; bits: returning them publishes it.
; REMARK-DAG: remark: <unknown>:0:0: malloc(23) escapes to heap: returned from copy_bits
define i64 @copy_bits(ptr byval(%struct.T) %t) noinline {
  %n = call ptr @malloc(i64 23)
  store ptr %n, ptr %t
  %b = load i64, ptr %t
  ret i64 %b
}
