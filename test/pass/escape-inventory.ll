; The inventory tags every allocation call early; a site LLVM deletes before
; the decision gets a "removed as dead" remark at its own line, and every
; copy the inliner made gets its own decision naming the caller.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc-inventory -S %s -o - | FileCheck %s --check-prefix=TAG
; RUN: %opt -escalloc-stack-guard=false -passes='escalloc-inventory,always-inline,instcombine,escalloc' \
; RUN:   -pass-remarks=escalloc -pass-remarks-missed=escalloc -pass-remarks-analysis=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
; GlobalOpt turns an allocation whose only pointer lives in one internal
; global into a global of its own: that is what the remark says (an
; allocation GlobalOpt deletes as dead still reads "removed as dead").
; RUN: %opt -passes='escalloc-inventory,globalopt,escalloc' \
; RUN:   -pass-remarks-analysis=escalloc -disable-output %s 2>&1 | FileCheck %s --check-prefix=GLOBAL
; After the decision the tags are gone.
; RUN: %opt -escalloc-stack-guard=false -passes='escalloc-inventory,escalloc' -S %s -o - | FileCheck %s --check-prefix=STRIP

target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"
target triple = "x86_64-unknown-linux-gnu"

@g = global ptr null

; The attributes inferattrs gives malloc, so that instcombine may delete it.
declare noalias ptr @malloc(i64) allocsize(0) allockind("alloc,uninitialized") "alloc-family"="malloc"
declare void @free(ptr nocapture) allockind("free")
declare void @reader(ptr nocapture readonly) nofree nocallback

; TAG-LABEL: define void @dead(
; TAG: call ptr @malloc(i64 100), !dbg !{{[0-9]+}}, !escalloc.site ![[DEAD:[0-9]+]]
; REMARK-DAG: inventory.c:3:7: malloc(100) removed as dead by LLVM before escape analysis
define void @dead() !dbg !10 {
  %p = call ptr @malloc(i64 100), !dbg !13
  ret void
}

; Inlined into two callers: one copy stays local, the other escapes; each
; decision names its caller, at the helper's source line.
; REMARK-DAG: inventory.c:7:9: malloc(16) moved to stack; 1 free removed (inlined into local_user)
; REMARK-DAG: inventory.c:7:9: malloc(16) escapes to heap: stored to global g (inlined into escaping_user)
define internal ptr @helper() alwaysinline !dbg !20 {
  %p = call ptr @malloc(i64 16), !dbg !21
  call void @reader(ptr %p), !dbg !21
  ret ptr %p, !dbg !21
}

define void @local_user() !dbg !30 {
  %p = call ptr @helper(), !dbg !31
  call void @free(ptr %p), !dbg !31
  ret void, !dbg !31
}

define void @escaping_user() !dbg !40 {
  %p = call ptr @helper(), !dbg !41
  store ptr %p, ptr @g, !dbg !41
  ret void, !dbg !41
}

; optnone functions are not inventoried.
; TAG-LABEL: define void @skipped(
; TAG-NEXT: call ptr @malloc(i64 8){{$}}
define void @skipped() noinline optnone {
  %p = call ptr @malloc(i64 8)
  ret void
}

@table = internal global ptr null
@unread = internal global ptr null

; GLOBAL-DAG: inventory.c:19:11: malloc(64) turned into a global by LLVM before escape analysis (its only pointer was stored in table)
; GLOBAL-DAG: inventory.c:20:12: malloc(32) removed as dead by LLVM before escape analysis
; GLOBAL-NOT: malloc(64) removed as dead
; STRIP-LABEL: define void @init_table(
; STRIP: store ptr %p, ptr @table
define void @init_table() !dbg !50 {
  %p = call ptr @malloc(i64 64), !dbg !51
  store ptr %p, ptr @table, !dbg !51
  %q = call ptr @malloc(i64 32), !dbg !52
  store ptr %q, ptr @unread, !dbg !52
  ret void, !dbg !51
}

define void @set_table(i64 %i, i32 %v) {
  %t = load ptr, ptr @table
  %a = getelementptr i32, ptr %t, i64 %i
  store i32 %v, ptr %a
  ret void
}

define i32 @get_table(i64 %i) {
  %t = load ptr, ptr @table
  %a = getelementptr i32, ptr %t, i64 %i
  %v = load i32, ptr %a
  ret i32 %v
}

; STRIP-NOT: escalloc.site
; STRIP-NOT: escalloc.globalized

; TAG: !escalloc.sites = !{![[DEAD]], ![[HELPER:[0-9]+]], ![[TABLE:[0-9]+]], ![[UNREAD:[0-9]+]]}
; TAG: ![[DEAD]] = distinct !{!"malloc(100)", !"dead", !{{[0-9]+}}, i32 3, i32 7, null}
; TAG: ![[TABLE]] = distinct !{!"malloc(64)", !"init_table", !{{[0-9]+}}, i32 19, i32 11, ptr @table}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2, !3}
!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "inventory.c", directory: "/tmp")
!2 = !{i32 2, !"Debug Info Version", i32 3}
!3 = !{i32 7, !"Dwarf Version", i32 5}
!5 = !DISubroutineType(types: !{})
!10 = distinct !DISubprogram(name: "dead", scope: !1, file: !1, line: 2, type: !5, unit: !0, spFlags: DISPFlagDefinition)
!13 = !DILocation(line: 3, column: 7, scope: !10)
!20 = distinct !DISubprogram(name: "helper", scope: !1, file: !1, line: 6, type: !5, unit: !0, spFlags: DISPFlagDefinition)
!21 = !DILocation(line: 7, column: 9, scope: !20)
!30 = distinct !DISubprogram(name: "local_user", scope: !1, file: !1, line: 10, type: !5, unit: !0, spFlags: DISPFlagDefinition)
!31 = !DILocation(line: 11, column: 3, scope: !30)
!40 = distinct !DISubprogram(name: "escaping_user", scope: !1, file: !1, line: 14, type: !5, unit: !0, spFlags: DISPFlagDefinition)
!41 = !DILocation(line: 15, column: 3, scope: !40)
!50 = distinct !DISubprogram(name: "init_table", scope: !1, file: !1, line: 18, type: !5, unit: !0, spFlags: DISPFlagDefinition)
!51 = !DILocation(line: 19, column: 11, scope: !50)
!52 = !DILocation(line: 20, column: 12, scope: !50)
