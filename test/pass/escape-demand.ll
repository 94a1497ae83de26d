; Without remarks the analysis solves only the SCCs a decision needs: those
; with a site and every SCC they reach.  A summary two calls down must still
; be known (positive), and a leak two calls down must still be seen
; (negative); functions with no site anywhere above them are not reported
; because nothing asks.  With remarks every function is summarised.
;
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -S %s | FileCheck %s
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc -pass-remarks-analysis=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARKS
; RUN: %opt -escalloc-stack-guard=false -passes='print<escalloc>' -disable-output %s | FileCheck %s --check-prefix=PRINT

@g = global ptr null

define internal void @store_deep(ptr %p) {
  store ptr %p, ptr @g
  ret void
}
define internal void @leak_mid(ptr %p) {
  call void @store_deep(ptr %p)
  ret void
}
define internal i32 @read_deep(ptr %p) {
  %v = load i32, ptr %p
  ret i32 %v
}
define internal i32 @read_mid(ptr %p) {
  %v = call i32 @read_deep(ptr %p)
  ret i32 %v
}
; No site, called by no function with a site.
define void @unrelated(ptr %p) {
  call void @leak_mid(ptr %p)
  ret void
}

; CHECK-LABEL: define i32 @local_through_two_calls(
; CHECK: alloca [4 x i8]
; CHECK-NOT: call ptr @malloc
define i32 @local_through_two_calls() {
  %m = call ptr @malloc(i64 4)
  store i32 7, ptr %m
  %v = call i32 @read_mid(ptr %m)
  call void @free(ptr %m)
  ret i32 %v
}

; CHECK-LABEL: define void @leaks_two_calls_down(
; CHECK: call ptr @malloc(i64 4)
define void @leaks_two_calls_down() {
  %m = call ptr @malloc(i64 4)
  call void @leak_mid(ptr %m)
  ret void
}

; Every function's summary, @unrelated's included:
; REMARKS-COUNT-3: remark: {{.*}}: leaking param: p
; REMARKS-COUNT-2: remark: {{.*}}: p does not escape
; REMARKS-NOT: remark

; PRINT-DAG: escalloc: function @unrelated
; PRINT-DAG: param leaking param: p
; PRINT-DAG: escalloc: function @read_deep
; PRINT-DAG: site malloc(4){{.*}}: stack 4 bytes
; PRINT-DAG: site malloc(4){{.*}}: heap: passed to @leak_mid argument 1 which leaks it

declare noalias ptr @malloc(i64)
declare void @free(ptr)
