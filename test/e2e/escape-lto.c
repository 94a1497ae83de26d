// Across files: without LTO the analysis sees one translation unit, so a
// pointer passed to a function defined in another file escapes.  With -flto
// (full and thin) the decision runs at link time inside lld
// (--load-pass-plugin), where the callee's summary is known.
//
// RUN: %clang -O2 -c -DPART_B %s -o %t.b.o
// RUN: %clang -O2 -c -fpass-plugin=%plugin -fplugin=%plugin -Rpass=escalloc \
// RUN:   -Rpass-missed=escalloc %s -o %t.a.o 2> %t.nolto.remarks
// RUN: FileCheck %s --check-prefix=NOLTO < %t.nolto.remarks
//
// Full LTO, the pre-link compile defers the decision to the link.
// RUN: %clang -O2 -flto=full -c -fpass-plugin=%plugin -fplugin=%plugin -Rpass=escalloc %s -o %t.fa.o 2> %t.prelink
// RUN: count 0 < %t.prelink
// RUN: %clang -O2 -flto=full -c -fpass-plugin=%plugin -fplugin=%plugin -Rpass=escalloc -DPART_B %s -o %t.fb.o
// RUN: %clang -O2 -flto=full -fuse-ld=lld -Wl,--load-pass-plugin=%plugin \
// RUN:   -Wl,-mllvm,-pass-remarks=escalloc -Wl,-mllvm,-pass-remarks-missed=escalloc \
// RUN:   %t.fa.o %t.fb.o %rtlib -lpthread -o %t.full > %t.full.remarks 2>&1
// RUN: FileCheck %s --check-prefix=FULL < %t.full.remarks
// RUN: %run %t.full | FileCheck %s
//
// ThinLTO, each backend decides with the functions it imported; a noinline
// callee is not imported, so here it stays unknown (the decision still runs
// at link time, in the backend).
// RUN: %clang -O2 -flto=thin -c -fpass-plugin=%plugin -fplugin=%plugin -Rpass=escalloc %s -o %t.ta.o
// RUN: %clang -O2 -flto=thin -c -fpass-plugin=%plugin -fplugin=%plugin -Rpass=escalloc -DPART_B %s -o %t.tb.o
// RUN: %clang -O2 -flto=thin -fuse-ld=lld -Wl,--load-pass-plugin=%plugin \
// RUN:   -Wl,-mllvm,-pass-remarks-missed=escalloc \
// RUN:   %t.ta.o %t.tb.o %rtlib -lpthread -o %t.thin > %t.thin.remarks 2>&1
// RUN: FileCheck %s --check-prefix=THIN < %t.thin.remarks
// RUN: %run %t.thin | FileCheck %s
//
// escc does the same with -flto alone: it links with lld, loads the plugin
// into it, keeps source locations in the LTO objects, shows the link's
// remarks with -m, and hands -mllvm -escalloc-* knobs to the link through
// ESCALLOC_OPTIONS (lld parses -mllvm before it loads plugins).  Link-time
// remarks read as compile-time ones ("file:line:col: remark: ... [-Rpass=...]").
// RUN: %escc -O2 -flto -c -DPART_B %s -o %t.eb.o
// RUN: %escc -O2 -flto -c %s -o %t.ea.o
// RUN: %escc -O2 -flto -m %t.ea.o %t.eb.o -o %t.escc 2>&1 | FileCheck %s --check-prefix=FULL
// RUN: %run %t.escc | FileCheck %s
// RUN: %escc -O2 -flto -m -mllvm -escalloc-max-stack-size=64 %t.ea.o %t.eb.o -o %t.knob 2>&1 \
// RUN:   | FileCheck %s --check-prefix=KNOB
// RUN: %run %t.knob | FileCheck %s
// Knobs written for the linker (-Wl,-mllvm,..., its -mllvm=, --mllvm= and
// -plugin-opt= forms, -Xlinker pairs) would be rejected by lld: escc takes
// them out of the linker's arguments into ESCALLOC_OPTIONS too, and the rest
// of a -Wl list stays.
// RUN: %escc -O2 -flto -m -Wl,-mllvm,-escalloc-max-stack-size=64 %t.ea.o %t.eb.o -o %t.wl 2>&1 \
// RUN:   | FileCheck %s --check-prefix=KNOB
// RUN: %run %t.wl | FileCheck %s
// RUN: %escc -O2 -flto -m -v -Wl,--defsym=escc_wl_kept=0,--mllvm=-escalloc-max-stack-size=64 \
// RUN:   %t.ea.o %t.eb.o -o %t.wl2 2>&1 | FileCheck %s --check-prefixes=WLKEPT,KNOB
// WLKEPT-NOT: max-stack-size
// WLKEPT: -Wl,--defsym=escc_wl_kept=0{{ }}
// WLKEPT: {{ }}--defsym=escc_wl_kept=0{{ }}
// WLKEPT-NOT: max-stack-size
// RUN: %escc -O2 -flto -m -Xlinker -mllvm -Xlinker -escalloc-max-stack-size=64 %t.ea.o %t.eb.o \
// RUN:   -o %t.xl 2>&1 | FileCheck %s --check-prefix=KNOB
// RUN: %escc -O2 -flto -m -Wl,-plugin-opt=-escalloc-max-stack-size=64 %t.ea.o %t.eb.o \
// RUN:   -o %t.po 2>&1 | FileCheck %s --check-prefix=KNOB
// -m=2's knob (-escalloc-explain) goes the same way.
// RUN: %escc -O2 -flto -m=2 %t.ea.o %t.eb.o -o %t.m2 2>&1 | FileCheck %s --check-prefix=FULL
// RUN: %run %t.m2 | FileCheck %s
// An unknown knob at an LTO link is a clear error, not a crash.
// RUN: not %escc -O2 -flto -mllvm -escalloc-no-such-knob %t.ea.o %t.eb.o -o %t.bad 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// RUN: not %escc -O2 -flto -Wl,-mllvm,-escalloc-no-such-knob %t.ea.o %t.eb.o -o %t.bad 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// BAD: Unknown command line argument '-escalloc-no-such-knob'
// BAD: escalloc: invalid ESCALLOC_OPTIONS
// CHECK: sum=45
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) void fill(long *v, int n);

#ifdef PART_B
__attribute__((noinline)) void fill(long *v, int n) {
  for (int i = 0; i < n; i++)
    v[i] = i;
}
#else
int main(int argc, char **argv) {
  (void)argv;
  int n = 9 + argc;
  // KNOB: escape-lto.c:[[@LINE+4]]:{{[0-9]+}}: remark: malloc(80) escapes to heap: too large for stack (80 > 64) [-Rpass-missed=escalloc]
  // THIN: escape-lto.c:[[@LINE+3]]:{{[0-9]+}}: remark: malloc(80) escapes to heap: passed to fill argument 1 which may capture it [-Rpass-missed=escalloc]
  // NOLTO: escape-lto.c:[[@LINE+2]]:{{[0-9]+}}: remark: malloc(80) escapes to heap: passed to fill argument 1 which may capture it
  // FULL: escape-lto.c:[[@LINE+1]]:{{[0-9]+}}: remark: malloc(80) moved to stack when the stack has room; 1 free guarded [-Rpass=escalloc]
  long *v = malloc(10 * sizeof(long));
  fill(v, n);
  long s = 0;
  for (int i = 0; i < 10; i++)
    s += v[i];
  free(v);
  printf("sum=%ld\n", s);
  return 0;
}
#endif
