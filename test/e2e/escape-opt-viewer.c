// The YAML optimization record carries the decisions as structured
// arguments, so LLVM's opt-viewer renders them as HTML next to the source.
// (opt-viewer is found next to opt; it needs python3-yaml and
// python3-pygments, which tools/dev.sh installs.)
//
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: %escc -O2 -fno-discard-value-names -fsave-optimization-record -foptimization-record-file=%t.dir/rec.opt.yaml -c %s -o %t.dir/x.o
// RUN: %python -c "import os,runpy,shutil,sys; d=os.path.join(os.path.dirname(os.path.realpath(shutil.which('opt'))),'..','share','opt-viewer'); sys.path.insert(0,d); sys.argv=['opt-viewer','-j','1','--output-dir','%t.dir/html','--source-dir','%srcroot','%t.dir/rec.opt.yaml']; runpy.run_path(os.path.join(d,'opt-viewer.py'),run_name='__main__')"
// RUN: cat %t.dir/html/*escape-opt-viewer.c.html | FileCheck %s
// CHECK-DAG: moved to stack; 1 free removed
// CHECK-DAG: escapes to heap: returned from <a href={{[^>]*}}>make</a>
// A parameter summary reads as the terminal's remark (no flag number glued
// to the text: "does not escape0", "leaking param content: s8").
// CHECK-DAG: > p does not escape&nbsp;</span>
// CHECK-DAG: > leaking param content: s&nbsp;</span>
#include <stdlib.h>

__attribute__((noinline)) long sum2(const long *p) { return p[0] + p[1]; }

char *kept;
__attribute__((noinline)) void keep_first(char **s) { kept = s[0]; }

__attribute__((noinline)) long *make(long v) {
  long *p = malloc(sizeof *p);
  *p = v;
  return p;
}

__attribute__((noinline)) long twice(long v) {
  long *p = malloc(2 * sizeof *p);
  p[0] = v;
  p[1] = v;
  long s = sum2(p);
  free(p);
  return s;
}
