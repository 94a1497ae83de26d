; A recursive SCC solves again only the functions whose callees' summaries
; changed (EscapeAnalysis.cpp, Analyze); the fixed point must be the one that
; full rounds reach.  Four functions in a ring: %p goes around one way
; (r1 -> r2 -> r3 -> r4 -> r1), %q the other way (r1 -> r4 -> r3 -> r2 -> r1);
; r3 publishes both.  Whatever order the SCC is solved in, one of the two leaks
; must travel against it and reach its callers in a later round: every %p
; and %q leaks, every %s (only read) does not escape.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s -o - | FileCheck %s

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null
@h = global ptr null

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")

define i64 @r1(ptr %p, ptr %q, ptr %s, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  %m = sub i64 %n, 1
  %a = call i64 @r2(ptr %p, ptr null, ptr %s, i64 %m)
  %b = call i64 @r4(ptr null, ptr %q, ptr %s, i64 %m)
  %c = add i64 %a, %b
  ret i64 %c
done:
  %v = load i64, ptr %s
  ret i64 %v
}

define i64 @r2(ptr %p, ptr %q, ptr %s, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  %m = sub i64 %n, 1
  %a = call i64 @r3(ptr %p, ptr null, ptr %s, i64 %m)
  %b = call i64 @r1(ptr null, ptr %q, ptr %s, i64 %m)
  %c = add i64 %a, %b
  ret i64 %c
done:
  %v = load i64, ptr %s
  ret i64 %v
}

define i64 @r3(ptr %p, ptr %q, ptr %s, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  store ptr %p, ptr @g
  store ptr %q, ptr @h
  %m = sub i64 %n, 1
  %a = call i64 @r4(ptr %p, ptr null, ptr %s, i64 %m)
  %b = call i64 @r2(ptr null, ptr %q, ptr %s, i64 %m)
  %c = add i64 %a, %b
  ret i64 %c
done:
  %v = load i64, ptr %s
  ret i64 %v
}

define i64 @r4(ptr %p, ptr %q, ptr %s, i64 %n) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %done, label %rec
rec:
  %m = sub i64 %n, 1
  %a = call i64 @r1(ptr %p, ptr null, ptr %s, i64 %m)
  %b = call i64 @r3(ptr null, ptr %q, ptr %s, i64 %m)
  %c = add i64 %a, %b
  ret i64 %c
done:
  %v = load i64, ptr %s
  ret i64 %v
}

; CHECK-LABEL: define i64 @use_r1_p(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r1_p(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r1(ptr %x, ptr null, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r1_q(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r1_q(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r1(ptr null, ptr %x, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r1_s(
; CHECK-NOT: @malloc
; CHECK: ret i64
define i64 @use_r1_s(i64 %n) {
  %x = call ptr @malloc(i64 8)
  store i64 7, ptr %x
  %r = call i64 @r1(ptr null, ptr null, ptr %x, i64 %n)
  call void @free(ptr %x)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r2_p(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r2_p(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r2(ptr %x, ptr null, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r2_q(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r2_q(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r2(ptr null, ptr %x, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r2_s(
; CHECK-NOT: @malloc
; CHECK: ret i64
define i64 @use_r2_s(i64 %n) {
  %x = call ptr @malloc(i64 8)
  store i64 7, ptr %x
  %r = call i64 @r2(ptr null, ptr null, ptr %x, i64 %n)
  call void @free(ptr %x)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r3_p(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r3_p(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r3(ptr %x, ptr null, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r3_q(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r3_q(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r3(ptr null, ptr %x, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r3_s(
; CHECK-NOT: @malloc
; CHECK: ret i64
define i64 @use_r3_s(i64 %n) {
  %x = call ptr @malloc(i64 8)
  store i64 7, ptr %x
  %r = call i64 @r3(ptr null, ptr null, ptr %x, i64 %n)
  call void @free(ptr %x)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r4_p(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r4_p(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r4(ptr %x, ptr null, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r4_q(
; CHECK: call ptr @malloc(i64 8)
; CHECK: ret i64
define i64 @use_r4_q(ptr %y, i64 %n) {
  %x = call ptr @malloc(i64 8)
  %r = call i64 @r4(ptr null, ptr %x, ptr %y, i64 %n)
  ret i64 %r
}

; CHECK-LABEL: define i64 @use_r4_s(
; CHECK-NOT: @malloc
; CHECK: ret i64
define i64 @use_r4_s(i64 %n) {
  %x = call ptr @malloc(i64 8)
  store i64 7, ptr %x
  %r = call i64 @r4(ptr null, ptr null, ptr %x, i64 %n)
  call void @free(ptr %x)
  ret i64 %r
}
