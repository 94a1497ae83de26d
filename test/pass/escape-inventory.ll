; The inventory tags every allocation call early; a site LLVM deletes before
; the decision gets a "removed as dead" remark at its own line, and every
; copy the inliner made gets its own decision naming the caller.
; RUN: %opt -escalloc-stack-guard=false -passes=escalloc-inventory -S %s -o - | FileCheck %s --check-prefix=TAG
; RUN: %opt -escalloc-stack-guard=false -passes='escalloc-inventory,always-inline,instcombine,escalloc' \
; RUN:   -pass-remarks=escalloc -pass-remarks-missed=escalloc -pass-remarks-analysis=escalloc \
; RUN:   -disable-output %s 2>&1 | FileCheck %s --check-prefix=REMARK
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
; REMARK-DAG: inventory.c:7:9: malloc(16) escapes to heap: stored to global @g (inlined into escaping_user)
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

; STRIP-NOT: escalloc.site

; TAG: !escalloc.sites = !{![[DEAD]], ![[HELPER:[0-9]+]]}
; TAG: ![[DEAD]] = distinct !{!"malloc(100)", !"dead", !{{[0-9]+}}, i32 3, i32 7}

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
