; Hooks read through copies (AllocHooks.h, "Copies"): a hook slot in memory
; whose content at that offset provably comes only from a global's hook slot
; (cJSON's `parse_buffer.hooks = global_hooks`, read through a parameter in
; the recursive parse functions; `print(item, &global_hooks)`) is that hook:
; promoted speculatively as a load from the global is.  Where the copy may
; hold anything else, the call is an unknown indirect call.
; RUN: %opt -passes=escalloc -S < %s | FileCheck %s
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -pass-remarks-missed=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=NEVER
; NEVER-NOT: ({{64|72|80|88|96}}) moved
; A proof over its budget is a no: only the parameter that is the global
; itself (print's) is followed.
; RUN: %opt -passes=escalloc -escalloc-hook-copy-budget=3 -pass-remarks=escalloc \
; RUN:   -pass-remarks-missed=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=BUDGET
; BUDGET-NOT: (32) moved
; BUDGET: global_hooks(48) moved to stack
; BUDGET-NOT: (32) moved

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

declare noalias ptr @malloc(i64) allocsize(0)
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback memory(argmem: read)
declare void @my_free(ptr)
declare ptr @my_alloc(i64)
declare void @opaque(ptr)
declare void @llvm.memcpy.p0.p0.i64(ptr noalias nocapture writeonly, ptr noalias nocapture readonly, i64, i1 immarg)
declare void @llvm.memset.p0.i64(ptr nocapture writeonly, i8, i64, i1 immarg)

; { allocate, deallocate }
@global_hooks = internal global { ptr, ptr } { ptr @malloc, ptr @free }
@user_hooks = internal global { ptr, ptr } { ptr @my_alloc, ptr @free }
@fp = global ptr null

define void @init_hooks(ptr %a, ptr %f) {
  store ptr %a, ptr @global_hooks
  store ptr %f, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  ret void
}

; A buffer { ptr content, i64 offset, hooks } on the caller's stack, its
; hooks copied from global_hooks after a memset of the whole.
define i32 @parse_all(ptr %s) {
  %b = alloca { ptr, i64, { ptr, ptr } }, align 8
  call void @llvm.memset.p0.i64(ptr %b, i8 0, i64 32, i1 false)
  store ptr %s, ptr %b
  %hooks = getelementptr inbounds i8, ptr %b, i64 16
  call void @llvm.memcpy.p0.p0.i64(ptr %hooks, ptr @global_hooks, i64 16, i1 false)
  %r = call i32 @parse(ptr %b, i32 3)
  ret i32 %r
}

; Writes the offset (not the hooks) and returns the buffer.
define internal ptr @skip(ptr %b) {
  %off = getelementptr inbounds i8, ptr %b, i64 8
  store i64 1, ptr %off
  ret ptr %b
}

; Positive: through the copy, in a recursive function.
; CHECK-LABEL: define internal i32 @parse(
; CHECK: %alloc = load ptr, ptr %ha
; CHECK: %escalloc.malloc = icmp eq ptr %alloc, @malloc
; CHECK: %p = call ptr %alloc(i64 32)
; CHECK: %escalloc.hooked = icmp ne ptr %dealloc, @free
; CHECK: %escalloc.copy = call ptr @malloc(i64 32)
; CHECK: call void %dealloc(ptr %escalloc.copy)
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(32) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define internal i32 @parse(ptr %b, i32 %depth) {
  %s = call ptr @skip(ptr %b)
  %ha = getelementptr inbounds i8, ptr %b, i64 16
  %alloc = load ptr, ptr %ha
  %p = call ptr %alloc(i64 32)
  store i8 1, ptr %p
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %b, i64 24
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  %more = icmp ne i32 %depth, 0
  br i1 %more, label %rec, label %done
rec:
  %d1 = sub i32 %depth, 1
  %r = call i32 @parse(ptr %b, i32 %d1)
  ret i32 %r
done:
  ret i32 0
}

; Positive: a parameter that points to global_hooks at every call site
; (print(item, &global_hooks)), and a copy made from it.
; CHECK-LABEL: define internal void @print(
; CHECK: %escalloc.malloc = icmp eq ptr %alloc, @malloc
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(48) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(56) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define internal void @print(ptr %hooks) {
  %alloc = load ptr, ptr %hooks
  %p = call ptr %alloc(i64 48)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %hooks, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  %copy = alloca { ptr, ptr }
  call void @llvm.memcpy.p0.p0.i64(ptr %copy, ptr %hooks, i64 16, i1 false)
  call void @print_copy(ptr %copy)
  ret void
}
define internal void @print_copy(ptr %h) {
  %alloc = load ptr, ptr %h
  %p = call ptr %alloc(i64 56)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %h, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}
define void @print_all() {
  call void @print(ptr @global_hooks)
  call void @print(ptr @global_hooks)
  ret void
}

; Negative: a callee writes another function into the copy's free slot: it
; is no deallocation hook, and the object escapes through it.
; CHECK-LABEL: define internal void @rewritten(
; CHECK-NOT: escalloc.malloc
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(64) escapes to heap: passed to an indirect call
define internal void @rewritten(ptr %h) {
  %alloc = load ptr, ptr %h
  %p = call ptr %alloc(i64 64)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %h, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}
define internal void @clobber(ptr %h) {
  %hd = getelementptr inbounds i8, ptr %h, i64 8
  store ptr @my_free, ptr %hd
  ret void
}
define void @rewritten_all() {
  %copy = alloca { ptr, ptr }
  call void @llvm.memcpy.p0.p0.i64(ptr %copy, ptr @global_hooks, i64 16, i1 false)
  call void @clobber(ptr %copy)
  call void @rewritten(ptr %copy)
  ret void
}

; Negative: the copy's address reaches code the proof cannot see.
; CHECK-LABEL: define void @leaked_copy(
; CHECK-NOT: escalloc.malloc
; CHECK: %p = call ptr %alloc(i64 72)
; CHECK-NOT: escalloc.malloc
; CHECK-LABEL: define internal void @address_taken(
define void @leaked_copy() {
  %copy = alloca { ptr, ptr }
  call void @llvm.memcpy.p0.p0.i64(ptr %copy, ptr @global_hooks, i64 16, i1 false)
  call void @opaque(ptr %copy)
  %alloc = load ptr, ptr %copy
  %p = call ptr %alloc(i64 72)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %copy, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}

; Negative: a parameter of a function whose address is taken may be
; anything.
; CHECK-NOT: escalloc.malloc
; CHECK: %p = call ptr %alloc(i64 80)
; CHECK-NOT: escalloc.malloc
; CHECK-LABEL: define internal void @mixed(
define internal void @address_taken(ptr %h) {
  %alloc = load ptr, ptr %h
  %p = call ptr %alloc(i64 80)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %h, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}
define void @take_address() {
  call void @address_taken(ptr @global_hooks)
  store ptr @address_taken, ptr @fp
  ret void
}

; Negative: call sites disagree (one copy is of user_hooks, whose allocate
; is not malloc).
; CHECK-NOT: escalloc.malloc
; CHECK: %p = call ptr %alloc(i64 88)
; CHECK-NOT: escalloc.malloc
; CHECK-LABEL: define void @mixed_all(
define internal void @mixed(ptr %h) {
  %alloc = load ptr, ptr %h
  %p = call ptr %alloc(i64 88)
  call void @reader(ptr %p)
  %hd = getelementptr inbounds i8, ptr %h, i64 8
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}
define void @mixed_all() {
  %copy = alloca { ptr, ptr }
  call void @llvm.memcpy.p0.p0.i64(ptr %copy, ptr @user_hooks, i64 16, i1 false)
  call void @mixed(ptr %copy)
  call void @mixed(ptr @global_hooks)
  ret void
}

; Negative: a copy filled field by field, the free slot from an argument.
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(96) escapes to heap: passed to an indirect call
define void @field_copy(ptr %f) {
  %copy = alloca { ptr, ptr }
  %a = load ptr, ptr @global_hooks
  store ptr %a, ptr %copy
  %hd = getelementptr inbounds i8, ptr %copy, i64 8
  store ptr %f, ptr %hd
  %alloc = load ptr, ptr %copy
  %p = call ptr %alloc(i64 96)
  call void @reader(ptr %p)
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}

; Positive: the same, both slots from global_hooks.
; REMARK-DAG: remark: <unknown>:0:0: global_hooks(104) moved to stack when the stack has room; 1 free guarded; speculatively promoted: hook global_hooks equals malloc
define void @field_copy_ok() {
  %copy = alloca { ptr, ptr }
  %a = load ptr, ptr @global_hooks
  store ptr %a, ptr %copy
  %hd = getelementptr inbounds i8, ptr %copy, i64 8
  %f = load ptr, ptr getelementptr inbounds (i8, ptr @global_hooks, i64 8)
  store ptr %f, ptr %hd
  %alloc = load ptr, ptr %copy
  %p = call ptr %alloc(i64 104)
  call void @reader(ptr %p)
  %dealloc = load ptr, ptr %hd
  call void %dealloc(ptr %p)
  ret void
}
