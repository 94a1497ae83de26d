; The run-time stack guard (pass/StackGuard.cpp): a frame whose promoted
; objects may take stack checks at entry that the thread's stack has room for
; all of them, reserves one dynamic block when it has, and otherwise calls
; the original allocator at each site and frees the heap copy.  Objects used
; only by loads and stores at constant offsets (SROA makes them registers,
; up to -escalloc-unguarded-size bytes) need no guard.
; RUN: %opt -passes=escalloc -S %s -o - | FileCheck %s
; RUN: %opt -passes=escalloc -pass-remarks=escalloc -disable-output %s 2>&1 \
; RUN:   | FileCheck %s --check-prefix=REMARK
; RUN: %opt -passes=escalloc -escalloc-unguarded-size=0 -S %s -o - \
; RUN:   | FileCheck %s --check-prefix=ALL
; RUN: %opt -passes=escalloc -escalloc-stack-guard=false -S %s -o - \
; RUN:   | FileCheck %s --check-prefix=OFF

; The bounds and the helper are defined in every module that needs them,
; linkonce_odr so that one copy remains per linked image.
; CHECK: @__escalloc_stack = linkonce_odr hidden thread_local(initialexec) global [2 x i64] zeroinitializer, comdat, align 16
; OFF-NOT: __escalloc_stack
; OFF-NOT: stacksave

declare ptr @malloc(i64)
declare ptr @calloc(i64, i64)
declare ptr @aligned_alloc(i64, i64)
declare void @free(ptr)
declare void @reader(ptr nocapture readonly) nofree
declare void @keep(ptr)
declare void @abort()

; Passed to a callee: guarded.  The check, the slow path on a thread's first
; call, the block sized by the outcome, the site's two ways, the guarded free.
; CHECK-LABEL: define void @guarded_passed(
; CHECK-NEXT:    [[SP:%.*]] = call ptr @llvm.stacksave.p0()
; CHECK-NEXT:    [[SPI:%.*]] = ptrtoint ptr [[SP]] to i64
; CHECK-NEXT:    %escalloc.low = sub i64 [[SPI]], 1000
; CHECK-NEXT:    [[G:%.*]] = call align 16 ptr @llvm.threadlocal.address.p0(ptr align 16 @__escalloc_stack)
; CHECK-NEXT:    %escalloc.lo = load i64, ptr [[G]], align 8
; CHECK-NEXT:    [[GS:%.*]] = getelementptr inbounds i64, ptr [[G]], i64 1
; CHECK-NEXT:    %escalloc.size = load i64, ptr [[GS]], align 8
; CHECK-NEXT:    [[D:%.*]] = sub i64 %escalloc.low, %escalloc.lo
; CHECK-NEXT:    %escalloc.room = icmp ult i64 [[D]], %escalloc.size
; CHECK-NEXT:    br i1 %escalloc.room, label %escalloc.fast, label %escalloc.slow, !prof
; CHECK:       escalloc.slow:
; CHECK-NEXT:    %escalloc.ok.slow = call i1 @__escalloc_stack_room(i64 %escalloc.low)
; CHECK-NEXT:    br i1 %escalloc.ok.slow, label %escalloc.fast, label %escalloc.cont
; CHECK:       escalloc.fast:
; CHECK-NEXT:    %escalloc.block = alloca i8, i64 1000, align 16
; CHECK-NEXT:    br label %escalloc.cont
; CHECK:       escalloc.cont:
; CHECK-NEXT:    %escalloc.ok = phi i1 [ true, %escalloc.fast ], [ false, %escalloc.slow ]
; CHECK-NEXT:    %escalloc.base = phi ptr [ %escalloc.block, %escalloc.fast ], [ null, %escalloc.slow ]
; CHECK-NEXT:    br i1 %escalloc.ok, label %[[STACK:.*]], label %[[HEAP:.*]]
; On the heap path, while the thread's bounds are unset, the runtime records
; its stack right before the program's allocation (not at entry: a handler
; may take a path that allocates nothing).
; CHECK:       [[HEAP]]:
; CHECK-NEXT:    [[G2:%.*]] = call align 16 ptr @llvm.threadlocal.address.p0(ptr align 16 @__escalloc_stack)
; CHECK-NEXT:    [[GS2:%.*]] = getelementptr inbounds i64, ptr [[G2]], i64 1
; CHECK-NEXT:    [[SZ:%.*]] = load i64, ptr [[GS2]], align 8
; CHECK-NEXT:    %escalloc.unset = icmp eq i64 [[SZ]], 0
; CHECK-NEXT:    br i1 %escalloc.unset, label %[[REC:.*]], label %[[ALLOC:.*]], !prof
; CHECK:       [[REC]]:
; CHECK-NEXT:    call void @__escalloc_stack_record()
; CHECK-NEXT:    br label %[[ALLOC]]
; CHECK:       [[ALLOC]]:
; CHECK-NEXT:    %p = call ptr @malloc(i64 1000)
; CHECK:         %escalloc.ptr = phi ptr [ %escalloc.base, %[[STACK]] ], [ %p, %[[ALLOC]] ]
; CHECK-NEXT:    call void @reader(ptr %escalloc.ptr)
; CHECK-NEXT:    %escalloc.onheap = icmp ne ptr %escalloc.ptr, %escalloc.base
; CHECK-NEXT:    br i1 %escalloc.onheap, label %[[FREE:.*]], label
; CHECK:       [[FREE]]:
; CHECK-NEXT:    call void @free(ptr %escalloc.ptr)
; REMARK: remark: <unknown>:0:0: malloc(1000) moved to stack when the stack has room; 1 free guarded
; OFF-LABEL: define void @guarded_passed(
; OFF-NEXT:    %escalloc.obj = alloca [1000 x i8], align 16
define void @guarded_passed() {
  %p = call ptr @malloc(i64 1000)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Two sites share one block, laid out by alignment; static allocas stay in
; the entry block, before the check.  calloc zeroes its slot on the stack
; path only (calloc zeroes the heap copy).
; CHECK-LABEL: define void @two_sites(
; CHECK-NEXT:    %small = alloca i32
; CHECK-NEXT:    call ptr @llvm.stacksave.p0()
; CHECK:         %escalloc.low = sub i64 {{%.*}}, 192
; CHECK:         %escalloc.block = alloca i8, i64 192, align 64
; CHECK:         %escalloc.base = phi ptr
; CHECK-NEXT:    %escalloc.slot = getelementptr i8, ptr %escalloc.base, i64 64
; CHECK-NEXT:    br i1 %escalloc.ok, label %[[STACK:.*]], label %[[HEAP:.*]]
; CHECK:       [[STACK]]:
; CHECK-NEXT:    call void @llvm.memset.p0.i64(ptr align 16 %escalloc.base, i8 0, i64 32, i1 false)
; CHECK:       [[HEAP]]:
; CHECK:         %p = call ptr @calloc(i64 4, i64 8)
; CHECK:         %q = call ptr @aligned_alloc(i64 64, i64 128)
; CHECK:         %escalloc.ptr{{[0-9]+}} = phi ptr [ %escalloc.slot, {{%.*}} ], [ %q, {{%.*}} ]
define void @two_sites(i64 %n) {
  %small = alloca i32
  %p = call ptr @calloc(i64 4, i64 8)
  %q = call ptr @aligned_alloc(i64 64, i64 128)
  store i32 1, ptr %small
  call void @reader(ptr %p)
  call void @reader(ptr %q)
  call void @free(ptr %p)
  call void @free(ptr %q)
  ret void
}

; A run-time size: the stack buffer when the size fits and the stack has room.
; CHECK-LABEL: define void @fallback(
; CHECK:         %escalloc.block = alloca i8, i64 64, align 16
; CHECK:         %escalloc.base = phi ptr
; CHECK-NEXT:    [[FITS:%.*]] = icmp ule i64 %n, 64
; CHECK-NEXT:    %escalloc.fits = and i1 %escalloc.ok, [[FITS]]
; CHECK-NEXT:    br i1 %escalloc.fits,
; CHECK:         %p = call ptr @malloc(i64 %n)
; REMARK: remark: <unknown>:0:0: malloc(n) moved to stack when its size fits 64 bytes and the stack has room; 1 free guarded
define void @fallback(i64 %n) {
  %p = call ptr @malloc(i64 %n)
  call void @reader(ptr %p)
  call void @free(ptr %p)
  ret void
}

; Loads and stores at constant offsets only: SROA makes it registers, no
; guard (unless -escalloc-unguarded-size=0).
; CHECK-LABEL: define i64 @registers_only(
; CHECK-NEXT:    %escalloc.obj = alloca [48 x i8], align 16
; CHECK-NOT:     stacksave
; CHECK-NOT:     @malloc
; CHECK:         ret i64
; REMARK: remark: <unknown>:0:0: malloc(48) moved to stack; 1 free removed
; ALL-LABEL: define i64 @registers_only(
; ALL-NEXT:    call ptr @llvm.stacksave.p0()
define i64 @registers_only() {
  %p = call ptr @malloc(i64 48)
  %f = getelementptr i8, ptr %p, i64 8
  store i64 7, ptr %f
  %v = load i64, ptr %f
  call void @free(ptr %p)
  ret i64 %v
}

; A null check of the object itself does not keep it in memory: folded
; (an alloca is never null), so SROA can still make it registers.
; CHECK-LABEL: define i64 @null_checked(
; CHECK-NEXT:    %escalloc.obj = alloca [16 x i8], align 16
; CHECK-NOT:     icmp
; CHECK:         br i1 false, label %bad, label %ok
; ALL-LABEL: define i64 @null_checked(
; ALL:           %escalloc.ptr = phi ptr
; ALL-NEXT:      %c = icmp eq ptr %escalloc.ptr, null
define i64 @null_checked(i64 %x) {
  %p = call ptr @malloc(i64 16)
  %c = icmp eq ptr %p, null
  br i1 %c, label %bad, label %ok
bad:
  call void @abort()
  unreachable
ok:
  store i64 %x, ptr %p
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; The same above -escalloc-unguarded-size (256): guarded.
; CHECK-LABEL: define i64 @registers_only_large(
; CHECK-NEXT:    call ptr @llvm.stacksave.p0()
; CHECK:         %escalloc.low = sub i64 {{%.*}}, 512
define i64 @registers_only_large() {
  %p = call ptr @malloc(i64 512)
  store i64 7, ptr %p
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; A variable index keeps it in memory: guarded.
; CHECK-LABEL: define i64 @variable_index(
; CHECK-NEXT:    call ptr @llvm.stacksave.p0()
define i64 @variable_index(i64 %i) {
  %p = call ptr @malloc(i64 64)
  %f = getelementptr i64, ptr %p, i64 %i
  store i64 7, ptr %f
  %v = load i64, ptr %p
  call void @free(ptr %p)
  ret i64 %v
}

; Recursive: promoted, since the guard bounds the depth that takes stack,
; and guarded even when SROA could make it registers.  Without the guard
; (OFF) a recursive function promotes nothing.
; CHECK-LABEL: define i64 @recursive(
; CHECK-NEXT:    call ptr @llvm.stacksave.p0()
; CHECK:         %escalloc.low = sub i64 {{%.*}}, 16
; CHECK:         %p = call ptr @malloc(i64 16)
; REMARK: remark: <unknown>:0:0: malloc(16) moved to stack when the stack has room; 2 frees guarded
; OFF-LABEL: define i64 @recursive(
; OFF-NEXT:    %p = call ptr @malloc(i64 16)
define i64 @recursive(i64 %n) {
  %p = call ptr @malloc(i64 16)
  store i64 %n, ptr %p
  %c = icmp eq i64 %n, 0
  br i1 %c, label %done, label %more
more:
  %m = sub i64 %n, 1
  %r = call i64 @recursive(i64 %m)
  %v = load i64, ptr %p
  %s = add i64 %r, %v
  call void @free(ptr %p)
  ret i64 %s
done:
  call void @free(ptr %p)
  ret i64 0
}

; Nothing promoted: no guard.
; CHECK-LABEL: define void @escaping(
; CHECK-NEXT:    %p = call ptr @malloc(i64 100)
; CHECK-NOT:     stacksave
; CHECK:         ret void
define void @escaping() {
  %p = call ptr @malloc(i64 100)
  call void @keep(ptr %p)
  ret void
}

; The slow path: fills the bounds through the runtime's weak entry point on
; a thread's first call (not at all without the runtime), then checks.
; CHECK-LABEL: define linkonce_odr hidden zeroext i1 @__escalloc_stack_room(i64 %0) #{{[0-9]+}} comdat {
; CHECK:         %linked = icmp ne ptr @escalloc_stack_guard_init, null
; CHECK:       fill:
; CHECK-NEXT:    call void @escalloc_stack_guard_init(ptr
; CHECK:       check:
; CHECK:         [[D2:%.*]] = sub i64 %0, %lo
; CHECK-NEXT:    [[R:%.*]] = icmp ult i64 [[D2]], %size
; CHECK-NEXT:    ret i1 [[R]]
; CHECK: declare extern_weak void @escalloc_stack_guard_init(ptr)
; The record: through the runtime's weak entry point, nothing without it.
; CHECK-LABEL: define linkonce_odr hidden void @__escalloc_stack_record() #{{[0-9]+}} comdat {
; CHECK:         %linked = icmp ne ptr @escalloc_stack_guard_record, null
; CHECK:       record:
; CHECK-NEXT:    [[G3:%.*]] = call {{.*}}ptr @llvm.threadlocal.address.p0(ptr {{.*}}@__escalloc_stack)
; CHECK-NEXT:    call void @escalloc_stack_guard_record(ptr [[G3]])
; CHECK: declare extern_weak void @escalloc_stack_guard_record(ptr)
