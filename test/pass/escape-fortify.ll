; _FORTIFY_SOURCE: glibc's *_chk functions (and scanf's __isoc99_ names) are
; read exactly as the function the user wrote: memcpy for __memcpy_chk, with
; the checking arguments (flag, object size) skipped and the attributes LLVM
; infers for the unchecked name.  Declared as glibc's headers declare them
; (no attributes).  Functions that call only such library functions do not
; "call code outside the module".
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@gbuf = global [4 x ptr] zeroinitializer
@stdout = external global ptr
@fmt.s = private constant [3 x i8] c"%s\00"
@fmt.d = private constant [3 x i8] c"%d\00"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")

declare ptr @__memcpy_chk(ptr, ptr, i64, i64)
declare ptr @__memmove_chk(ptr, ptr, i64, i64)
declare ptr @__memset_chk(ptr, i32, i64, i64)
declare ptr @__strcpy_chk(ptr, ptr, i64)
declare ptr @__stpcpy_chk(ptr, ptr, i64)
declare ptr @__strncpy_chk(ptr, ptr, i64, i64)
declare ptr @__strcat_chk(ptr, ptr, i64)
declare ptr @__strncat_chk(ptr, ptr, i64, i64)
declare i32 @__sprintf_chk(ptr, i32, i64, ptr, ...)
declare i32 @__snprintf_chk(ptr, i64, i32, i64, ptr, ...)
declare i32 @__vsprintf_chk(ptr, i32, i64, ptr, ptr)
declare i32 @__vsnprintf_chk(ptr, i64, i32, i64, ptr, ptr)
declare i32 @__printf_chk(i32, ptr, ...)
declare i32 @__fprintf_chk(ptr, i32, ptr, ...)
declare ptr @__fgets_chk(ptr, i64, i32, ptr)
declare i64 @__read_chk(i32, ptr, i64, i64)
declare i32 @__isoc99_sscanf(ptr, ptr, ...)
; Not glibc's: unknown, so it may capture.
declare ptr @__frobnicate_chk(ptr, i64)
; A known name with a prototype that is not memcpy's plus a size.
declare ptr @__mempcpy_chk(ptr, ptr, i64, ptr)

; PRINT-LABEL: escalloc: function @strings frame 320/16384
; REMARK-COUNT-5: moved to stack; 1 free removed
define void @strings(ptr %src, i64 %n) {
  %a = call ptr @malloc(i64 64)
  %a1 = call ptr @__memcpy_chk(ptr %a, ptr %src, i64 %n, i64 64)
  %a2 = call ptr @__memmove_chk(ptr %a, ptr %src, i64 %n, i64 64)
  %a3 = call ptr @__memset_chk(ptr %a, i32 0, i64 %n, i64 64)
  %b = call ptr @malloc(i64 64)
  %b1 = call ptr @__strcpy_chk(ptr %b, ptr %src, i64 64)
  %b2 = call ptr @__strcat_chk(ptr %b, ptr %a, i64 64)
  %c = call ptr @malloc(i64 64)
  %c1 = call ptr @__stpcpy_chk(ptr %c, ptr %src, i64 64)
  %c2 = call ptr @__strncat_chk(ptr %c, ptr %b, i64 %n, i64 64)
  %d = call ptr @malloc(i64 64)
  %d1 = call ptr @__strncpy_chk(ptr %d, ptr %c, i64 %n, i64 64)
  %e = call ptr @malloc(i64 64)
  %e1 = call ptr @__fgets_chk(ptr %e, i64 64, i32 64, ptr %src)
  %e2 = call i64 @__read_chk(i32 0, ptr %e, i64 %n, i64 64)
  call void @free(ptr %a)
  call void @free(ptr %b)
  call void @free(ptr %c)
  call void @free(ptr %d)
  call void @free(ptr %e)
  ret void
}

; PRINT-LABEL: escalloc: function @formatted frame 256/16384
; REMARK-COUNT-4: moved to stack; 1 free removed
define void @formatted(ptr %ap, i64 %n) {
  %a = call ptr @malloc(i64 64)
  %a1 = call i32 (ptr, i32, i64, ptr, ...) @__sprintf_chk(ptr %a, i32 1, i64 64, ptr @fmt.d, i32 7)
  %b = call ptr @malloc(i64 64)
  %b1 = call i32 (ptr, i64, i32, i64, ptr, ...) @__snprintf_chk(ptr %b, i64 %n, i32 1, i64 64, ptr @fmt.s, ptr %a)
  %c = call ptr @malloc(i64 64)
  %c1 = call i32 @__vsprintf_chk(ptr %c, i32 1, i64 64, ptr @fmt.s, ptr %ap)
  %c2 = call i32 @__vsnprintf_chk(ptr %c, i64 %n, i32 1, i64 64, ptr @fmt.s, ptr %ap)
  %d = call ptr @malloc(i64 64)
  %d1 = call i32 (i32, ptr, ...) @__printf_chk(i32 1, ptr @fmt.s, ptr %d)
  %out = load ptr, ptr @stdout
  %d2 = call i32 (ptr, i32, ptr, ...) @__fprintf_chk(ptr %out, i32 1, ptr @fmt.s, ptr %b)
  %d3 = call i32 (ptr, ptr, ...) @__isoc99_sscanf(ptr %c, ptr @fmt.s, ptr %d)
  call void @free(ptr %a)
  call void @free(ptr %b)
  call void @free(ptr %c)
  call void @free(ptr %d)
  ret void
}

; What the unchecked function returns is still the destination.
; REMARK: malloc(32) escapes to heap: stored to global g
define void @returned_dst(ptr %src) {
  %a = call ptr @malloc(i64 32)
  %r = call ptr @__strcpy_chk(ptr %a, ptr %src, i64 32)
  store ptr %r, ptr @g
  ret void
}

; memcpy of the pointer's bytes into a global publishes it.
; REMARK: malloc(16) escapes to heap:
define void @bytes_published(i64 %n) {
  %slot = alloca ptr
  %a = call ptr @malloc(i64 16)
  store ptr %a, ptr %slot
  %r = call ptr @__memcpy_chk(ptr @gbuf, ptr %slot, i64 %n, i64 32)
  ret void
}

; PRINT-LABEL: escalloc: function @unknown_chk (calls outside the module)
; REMARK: malloc(24) escapes to heap: passed to __frobnicate_chk argument 1 which may capture it
define void @unknown_chk() {
  %a = call ptr @malloc(i64 24)
  %r = call ptr @__frobnicate_chk(ptr %a, i64 24)
  call void @free(ptr %a)
  ret void
}

; REMARK: malloc(40) escapes to heap: passed to __mempcpy_chk argument 1 which may capture it
define void @wrong_prototype(ptr %src) {
  %a = call ptr @malloc(i64 40)
  %r = call ptr @__mempcpy_chk(ptr %a, ptr %src, i64 8, ptr null)
  call void @free(ptr %a)
  ret void
}
