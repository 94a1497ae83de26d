; Issue 11: library output pointers.  A call to a declaration may store a
; pointer derived from one argument into memory reachable from another
; (strtol's endptr, strtok_r's save pointer, getline's reallocated buffer).
; Unless a model says otherwise, a declaration may write any of its pointer
; arguments into memory reachable from any of its pointer arguments; the C
; library functions with output parameters get exact models (LibCalls.cpp),
; so an object stays local exactly while what the call wrote stays local.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@sp = private constant [2 x i8] c" \00"
@fmt = private constant [3 x i8] c"%s\00"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare i64 @strtol(ptr readonly, ptr nocapture, i32)
declare double @strtod(ptr readonly, ptr nocapture)
declare ptr @strtok_r(ptr, ptr nocapture readonly, ptr)
declare ptr @strsep(ptr, ptr)
declare i64 @getline(ptr, ptr, ptr)
declare i64 @__getdelim(ptr, ptr, i32, ptr)
declare ptr @realpath(ptr nocapture readonly, ptr)
declare i32 @posix_memalign(ptr, i64, i64) nofree
declare i32 @asprintf(ptr, ptr, ...)
declare ptr @memccpy(ptr noalias writeonly, ptr noalias nocapture readonly, i32, i64)
declare i64 @iconv(ptr, ptr, ptr, ptr, ptr)
; Not library functions: only their attributes are known.
declare void @split(ptr nocapture, ptr nocapture) nofree
declare void @fill(ptr nocapture, ptr nocapture readonly) nofree memory(argmem: readwrite)

; --- strtol family: endptr receives a pointer into s -----------------------

; The end pointer stays local: s is promoted.
; REMARK-DAG: remark: <unknown>:0:0: malloc(101) moved to stack; 1 free removed
; CHECK-LABEL: define i64 @strtol_local(
; CHECK-NOT: @malloc(
; CHECK: call i64 @strtol(
define i64 @strtol_local() {
  %end = alloca ptr
  %s = call ptr @malloc(i64 101)
  store i8 0, ptr %s
  %n = call i64 @strtol(ptr %s, ptr %end, i32 10)
  %e = load ptr, ptr %end
  %c = load i8, ptr %e
  %z = zext i8 %c to i64
  %r = add i64 %n, %z
  call void @free(ptr %s)
  ret i64 %r
}

; Negative: the end pointer is published after the call.
; REMARK-DAG: remark: <unknown>:0:0: malloc(102) escapes to heap: stored to global g
define void @strtol_end_published() {
  %end = alloca ptr
  %s = call ptr @malloc(i64 102)
  store i8 0, ptr %s
  %n = call i64 @strtol(ptr %s, ptr %end, i32 10)
  %e = load ptr, ptr %end
  store ptr %e, ptr @g
  ret void
}

; Negative: the end pointer is returned.
; REMARK-DAG: remark: <unknown>:0:0: malloc(103) escapes to heap: returned from strtod_end_returned
define ptr @strtod_end_returned() {
  %end = alloca ptr
  %s = call ptr @malloc(i64 103)
  store i8 0, ptr %s
  %d = call double @strtod(ptr %s, ptr %end)
  %e = load ptr, ptr %end
  ret ptr %e
}

; Negative: endptr points into a holder that is itself published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(104) escapes to heap: stored by strtol through argument 2
define void @strtol_holder_published(ptr %out) {
  %s = call ptr @malloc(i64 104)
  store i8 0, ptr %s
  %n = call i64 @strtol(ptr %s, ptr %out, i32 10)
  ret void
}

; --- strtok_r: the save pointer and the result point into s ----------------

; REMARK-DAG: remark: <unknown>:0:0: malloc(111) moved to stack; 1 free removed
define i8 @strtok_r_local() {
  %save = alloca ptr
  %s = call ptr @malloc(i64 111)
  store i8 0, ptr %s
  %t = call ptr @strtok_r(ptr %s, ptr @sp, ptr %save)
  %t2 = call ptr @strtok_r(ptr null, ptr @sp, ptr %save)
  %c = load i8, ptr %t2
  call void @free(ptr %s)
  ret i8 %c
}

; Negative: the save pointer is published after the call.
; REMARK-DAG: remark: <unknown>:0:0: malloc(112) escapes to heap: stored to global g
define void @strtok_r_save_published() {
  %save = alloca ptr
  %s = call ptr @malloc(i64 112)
  store i8 0, ptr %s
  %t = call ptr @strtok_r(ptr %s, ptr @sp, ptr %save)
  %v = load ptr, ptr %save
  store ptr %v, ptr @g
  ret void
}

; Negative: a later token (from the save pointer alone) is published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(113) escapes to heap: stored to global g
define void @strtok_r_next_published() {
  %save = alloca ptr
  %s = call ptr @malloc(i64 113)
  store i8 0, ptr %s
  %t = call ptr @strtok_r(ptr %s, ptr @sp, ptr %save)
  %t2 = call ptr @strtok_r(ptr null, ptr @sp, ptr %save)
  store ptr %t2, ptr @g
  ret void
}

; --- strsep: *stringp and the result point into the string ----------------

; REMARK-DAG: remark: <unknown>:0:0: malloc(121) moved to stack; 1 free removed
define i8 @strsep_local() {
  %p = alloca ptr
  %s = call ptr @malloc(i64 121)
  store i8 0, ptr %s
  store ptr %s, ptr %p
  %t = call ptr @strsep(ptr %p, ptr @sp)
  %c = load i8, ptr %t
  call void @free(ptr %s)
  ret i8 %c
}

; Negative: the token is published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(122) escapes to heap: stored to global g
define void @strsep_token_published() {
  %p = alloca ptr
  %s = call ptr @malloc(i64 122)
  store i8 0, ptr %s
  store ptr %s, ptr %p
  %t = call ptr @strsep(ptr %p, ptr @sp)
  store ptr %t, ptr @g
  ret void
}

; --- getline/getdelim reallocate *lineptr ----------------------------------

; A promoted *lineptr would be passed to realloc: it stays on the heap.
; REMARK-DAG: remark: <unknown>:0:0: malloc(131) escapes to heap: reallocated by getline argument 1
; CHECK-LABEL: define i64 @getline_buffer(
; CHECK: call ptr @malloc(i64 131)
define i64 @getline_buffer(ptr %f) {
  %buf = alloca ptr
  %n = alloca i64
  %b = call ptr @malloc(i64 131)
  store ptr %b, ptr %buf
  store i64 131, ptr %n
  %r = call i64 @getline(ptr %buf, ptr %n, ptr %f)
  %b2 = load ptr, ptr %buf
  call void @free(ptr %b2)
  ret i64 %r
}

; The same through glibc's inline getline (__getdelim).
; REMARK-DAG: remark: <unknown>:0:0: malloc(132) escapes to heap: reallocated by __getdelim argument 1
define i64 @getdelim_buffer(ptr %f) {
  %buf = alloca ptr
  %n = alloca i64
  %b = call ptr @malloc(i64 132)
  store ptr %b, ptr %buf
  store i64 132, ptr %n
  %r = call i64 @__getdelim(ptr %buf, ptr %n, i32 10, ptr %f)
  %b2 = load ptr, ptr %buf
  call void @free(ptr %b2)
  ret i64 %r
}

; A holder of {buf, n} is not captured by getline: it is promoted, and the
; line getline allocated is freed as the unknown pointer it is.
; REMARK-DAG: remark: <unknown>:0:0: malloc(133) moved to stack; 1 free removed
define i64 @getline_holder(ptr %f) {
  %h = call ptr @malloc(i64 133)
  store ptr null, ptr %h
  %np = getelementptr i8, ptr %h, i64 8
  store i64 0, ptr %np
  %r = call i64 @getline(ptr %h, ptr %np, ptr %f)
  %line = load ptr, ptr %h
  call void @free(ptr %line)
  call void @free(ptr %h)
  ret i64 %r
}

; --- fresh memory through an output parameter --------------------------------

; REMARK-DAG: remark: <unknown>:0:0: malloc(141) moved to stack; 1 free removed
define i32 @posix_memalign_holder() {
  %h = call ptr @malloc(i64 141)
  %r = call i32 @posix_memalign(ptr %h, i64 64, i64 256)
  %p = load ptr, ptr %h
  call void @free(ptr %p)
  call void @free(ptr %h)
  ret i32 %r
}

; asprintf's %s argument is only read; the holder is not captured.
; REMARK-DAG: remark: <unknown>:0:0: malloc(142) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(143) moved to stack; 1 free removed
define i32 @asprintf_holder() {
  %h = call ptr @malloc(i64 142)
  %s = call ptr @malloc(i64 143)
  store i8 0, ptr %s
  %r = call i32 (ptr, ptr, ...) @asprintf(ptr %h, ptr @fmt, ptr %s)
  %p = load ptr, ptr %h
  call void @free(ptr %p)
  call void @free(ptr %s)
  call void @free(ptr %h)
  ret i32 %r
}

; --- results into an argument ------------------------------------------------

; Negative: memccpy returns a pointer into dst.
; REMARK-DAG: remark: <unknown>:0:0: malloc(151) escapes to heap: stored to global g
; REMARK-DAG: remark: <unknown>:0:0: malloc(152) moved to stack; 1 free removed
define void @memccpy_result_published() {
  %d = call ptr @malloc(i64 151)
  %s = call ptr @malloc(i64 152)
  store i8 0, ptr %s
  %r = call ptr @memccpy(ptr %d, ptr %s, i32 0, i64 16)
  store ptr %r, ptr @g
  call void @free(ptr %s)
  ret void
}

; Negative: memccpy copies the pointers held in src into dst, a parameter.
; REMARK-DAG: remark: <unknown>:0:0: malloc(153) escapes to heap: stored by memccpy through argument 1
define void @memccpy_copies_pointers(ptr %d) {
  %box = alloca ptr
  %o = call ptr @malloc(i64 153)
  store ptr %o, ptr %box
  %r = call ptr @memccpy(ptr %d, ptr %box, i32 0, i64 8)
  %l = load ptr, ptr %d
  store ptr %l, ptr @g
  ret void
}

; realpath: the result is resolved (or fresh memory).
; REMARK-DAG: remark: <unknown>:0:0: malloc(161) moved to stack; 1 free removed
define i8 @realpath_local(ptr %path) {
  %res = call ptr @malloc(i64 161)
  %r = call ptr @realpath(ptr %path, ptr %res)
  %c = load i8, ptr %res
  call void @free(ptr %res)
  ret i8 %c
}

; Negative: realpath's result is published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(162) escapes to heap: stored to global g
define void @realpath_result_published(ptr %path) {
  %res = call ptr @malloc(i64 162)
  %r = call ptr @realpath(ptr %path, ptr %res)
  store ptr %r, ptr @g
  ret void
}

; Negative: iconv advances *inbuf inside the input; the input pointer left in
; the cursor is published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(171) escapes to heap: stored to global g
define void @iconv_cursor_published(ptr %cd, ptr %out, ptr %outleft) {
  %in = alloca ptr
  %inleft = alloca i64
  %s = call ptr @malloc(i64 171)
  store i8 0, ptr %s
  store ptr %s, ptr %in
  store i64 1, ptr %inleft
  %r = call i64 @iconv(ptr %cd, ptr %in, ptr %inleft, ptr %out, ptr %outleft)
  %v = load ptr, ptr %in
  store ptr %v, ptr @g
  ret void
}

; iconv with local cursors: the input and the output stay local.
; REMARK-DAG: remark: <unknown>:0:0: malloc(172) moved to stack; 1 free removed
; REMARK-DAG: remark: <unknown>:0:0: malloc(173) moved to stack; 1 free removed
define i8 @iconv_local(ptr %cd) {
  %in = alloca ptr
  %out = alloca ptr
  %inleft = alloca i64
  %outleft = alloca i64
  %s = call ptr @malloc(i64 172)
  %d = call ptr @malloc(i64 173)
  store i8 0, ptr %s
  store ptr %s, ptr %in
  store ptr %d, ptr %out
  store i64 1, ptr %inleft
  store i64 8, ptr %outleft
  %r = call i64 @iconv(ptr %cd, ptr %in, ptr %inleft, ptr %out, ptr %outleft)
  %c = load i8, ptr %d
  call void @free(ptr %s)
  call void @free(ptr %d)
  ret i8 %c
}

; --- the general rule, for declarations no model knows ---------------------

; Negative: `split` is nocapture and nofree, yet it may store its first
; argument through its second; the slot is then published.
; REMARK-DAG: remark: <unknown>:0:0: malloc(181) escapes to heap: passed to split argument 1 which may store it in memory its pointer arguments reach
define void @general_published() {
  %slot = alloca ptr
  %s = call ptr @malloc(i64 181)
  call void @split(ptr %s, ptr %slot)
  %v = load ptr, ptr %slot
  store ptr %v, ptr @g
  ret void
}

; Negative: what `fill` may store into dst (argument memory only) is
; published through dst afterwards.
; REMARK-DAG: remark: <unknown>:0:0: malloc(182) escapes to heap: {{.*}}
define void @general_argmem_published() {
  %dst = alloca ptr
  %s = call ptr @malloc(i64 182)
  call void @fill(ptr %dst, ptr %s)
  %v = load ptr, ptr %dst
  store ptr %v, ptr @g
  ret void
}

; Positive: with argument memory only and a local destination, nothing leaves.
; REMARK-DAG: remark: <unknown>:0:0: malloc(183) moved to stack; 1 free removed
define void @general_argmem_local() {
  %dst = alloca ptr
  %s = call ptr @malloc(i64 183)
  call void @fill(ptr %dst, ptr %s)
  call void @free(ptr %s)
  ret void
}
