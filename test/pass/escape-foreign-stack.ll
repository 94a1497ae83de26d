; Stacks handed to code (pass/StackGuard.cpp, noteForeignStacks): before
; each call of makecontext and sigaltstack the runtime is told the stack
; and this module's bounds (a weak hook, called only when linked), so that
; the guard keeps promotion above a small stack that is a local array.
; Nothing without the guard, nothing for another function.
; RUN: %opt -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc -escalloc-stack-guard=false -S %s -o - \
; RUN:   | FileCheck %s --check-prefix=OFF

declare void @makecontext(ptr, ptr, i32, ...)
declare i32 @sigaltstack(ptr, ptr)
declare i32 @getcontext(ptr)
declare void @entry()

; CHECK-LABEL: define void @start(ptr %ucp)
; CHECK-NEXT:    [[L:%.*]] = icmp ne ptr @escalloc_stack_guard_makecontext, null
; CHECK-NEXT:    br i1 [[L]], label %[[THEN:.*]], label %[[CONT:.*]]
; CHECK:       [[THEN]]:
; CHECK-NEXT:    [[G:%.*]] = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__escalloc_stack)
; CHECK-NEXT:    call void @escalloc_stack_guard_makecontext(ptr %ucp, ptr [[G]])
; CHECK-NEXT:    br label %[[CONT]]
; CHECK:       [[CONT]]:
; CHECK-NEXT:    call void (ptr, ptr, i32, ...) @makecontext(ptr %ucp, ptr @entry, i32 0)
; OFF-LABEL: define void @start(ptr %ucp)
; OFF-NEXT:    call void (ptr, ptr, i32, ...) @makecontext(ptr %ucp, ptr @entry, i32 0)
define void @start(ptr %ucp) {
  call void (ptr, ptr, i32, ...) @makecontext(ptr %ucp, ptr @entry, i32 0)
  ret void
}

; CHECK-LABEL: define i32 @alt(ptr %ss)
; CHECK:         call void @escalloc_stack_guard_sigaltstack(ptr %ss, ptr
; CHECK:         call i32 @sigaltstack(ptr %ss, ptr null)
define i32 @alt(ptr %ss) {
  %r = call i32 @sigaltstack(ptr %ss, ptr null)
  ret i32 %r
}

; CHECK-LABEL: define i32 @other(ptr %ucp)
; CHECK-NEXT:    call i32 @getcontext(ptr %ucp)
define i32 @other(ptr %ucp) {
  %r = call i32 @getcontext(ptr %ucp)
  ret i32 %r
}

; CHECK: declare extern_weak void @escalloc_stack_guard_makecontext(ptr, ptr)
; CHECK: declare extern_weak void @escalloc_stack_guard_sigaltstack(ptr, ptr)
; OFF-NOT: escalloc_stack_guard
