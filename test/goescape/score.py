#!/usr/bin/env python3
"""score.py — escalloc's decisions against Go's on the C translations of Go's
escape-analysis tests (test/goescape/*.c; conventions in goescape.h).

Each allocation line carries Go's decision (`// GO: heap` or `// GO: stack`,
optionally `C: <reason>` for a C-specific exception).  The script compiles each
file with `escc -O2 -m` and reads escalloc's remark at that line:

  stack   moved to stack
  dead    removed by LLVM before escape analysis (the object never exists)
  global  turned into a global by LLVM
  heap    escapes to heap, or lowered to mallocgc without a stack remark

A Go "stack" decision agrees when escalloc says stack, dead or global; a Go
"heap" decision agrees when escalloc says heap.  Lines marked `C:` are listed
as exceptions and not scored.  Exit status 1 when fewer than --min-stack Go
stack decisions agree, or when escalloc keeps off the heap an object Go sends
there (more than --max-heap-disagree of them): in C as in Go that object
outlives its frame, so promoting it would be a miscompile.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = re.compile(r"//.*\bGO:\s*(heap|stack)\b(?:.*\bC:\s*(.*))?")
REMARK = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):\d+: remark: (?P<text>.*)$")
# A promoted object may also get a "lowered" remark: the stack guard's heap
# fallback for when the stack has no room.  Alone, "lowered" means heap.
KINDS = [("heap", re.compile(r"escapes to heap|stays on (the )?heap")),
         ("stack", re.compile(r"moved to stack")),
         ("lowered", re.compile(r"lowered to mallocgc")),
         ("global", re.compile(r"into a global")),
         ("dead", re.compile(r"removed as dead|deleted as dead"))]


def decisions(path):
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = MARK.search(line)
            if m and "malloc" in line or m and "NEW" in line:
                out[n] = (m.group(1), (m.group(2) or "").strip())
    return out


def escalloc_kinds(escc, path, extra):
    cmd = [escc, "-O2", "-m", "-c", path, "-o", os.devnull] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("score.py: %s failed:\n%s" % (" ".join(cmd), p.stderr))
    kinds = {}
    base = os.path.basename(path)
    for line in p.stderr.splitlines():
        m = REMARK.match(line)
        if not m or os.path.basename(m.group("file")) != base:
            continue
        for kind, rx in KINDS:
            if rx.search(m.group("text")):
                kinds.setdefault(int(m.group("line")), set()).add(kind)
                break
    return kinds


def ours(kinds):
    # heap wins: one escaping copy is enough to keep the object on the heap.
    for k in ("heap", "stack", "lowered", "global", "dead"):
        if k in kinds:
            return "heap" if k == "lowered" else k
    return None


HEADERS = ("Go stack: agree", "Go heap: agree", "exceptions")


def row(name, width, stack, heap, nexc):
    """One table line: the name padded to the longest file name, each count
    pair right-aligned under its header with the slashes in one column."""
    cells = ["%4d / %-4d" % tuple(stack), "%4d / %-4d" % tuple(heap), "%d" % nexc]
    return " ".join([name.ljust(width)] + [c.rjust(len(h)) for c, h in zip(cells, HEADERS)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="translations (default: all of test/goescape/*.c)")
    ap.add_argument("--escc", default=os.path.join(HERE, "..", "..", "build", "bin", "escc"))
    ap.add_argument("--min-stack", type=int, default=0,
                    help="fail when fewer Go stack decisions agree")
    ap.add_argument("--max-heap-disagree", type=int, default=0,
                    help="fail when more Go heap decisions are kept off the heap")
    ap.add_argument("--verbose", "-v", action="store_true", help="list every disagreement")
    ap.add_argument("--cflags", default="", help="extra flags for escc")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(HERE, "*.c")))
    tot = {"stack": [0, 0], "heap": [0, 0]}
    exceptions, misses, unsound, undecided = [], [], [], []
    names = [os.path.basename(path)[:-2] for path in files]
    width = max([len("file"), len("total")] + [len(n) for n in names])
    print(" ".join(["file".ljust(width)] + list(HEADERS)))
    for path, name in zip(files, names):
        want = decisions(path)
        got = escalloc_kinds(a.escc, path, a.cflags.split())
        per = {"stack": [0, 0], "heap": [0, 0]}
        nexc = 0
        for line, (go, why) in sorted(want.items()):
            where = "%s:%d" % (os.path.basename(path), line)
            mine = ours(got.get(line, set()))
            if why:
                nexc += 1
                exceptions.append("%s Go %s, escalloc %s — %s" % (where, go, mine, why))
                continue
            if mine is None:
                undecided.append(where)
                continue
            agree = (mine != "heap") if go == "stack" else (mine == "heap")
            per[go][1] += 1
            per[go][0] += agree
            if not agree:
                (misses if go == "stack" else unsound).append("%s Go %s, escalloc %s" % (where, go, mine))
        for k in per:
            tot[k][0] += per[k][0]
            tot[k][1] += per[k][1]
        print(row(name, width, per["stack"], per["heap"], nexc))
    print(row("total", width, tot["stack"], tot["heap"], len(exceptions)))
    print("decisions scored: %d; C-specific exceptions: %d" % (tot["stack"][1] + tot["heap"][1],
                                                               len(exceptions)))
    if exceptions:
        print("\nC-specific exceptions:\n  " + "\n  ".join(exceptions))
    if a.verbose and misses:
        print("\nGo stack, escalloc heap:\n  " + "\n  ".join(misses))
    if unsound:
        print("\nGo heap, escalloc off the heap (check!):\n  " + "\n  ".join(unsound))
    if undecided:
        print("\nno remark at a marked line (a translation error?):\n  " + "\n  ".join(undecided))
    ok = tot["stack"][0] >= a.min_stack and len(unsound) <= a.max_heap_disagree and not undecided
    if not ok:
        print("\nFAIL: stack agreements %d (minimum %d), heap disagreements %d (maximum %d), "
              "undecided %d" % (tot["stack"][0], a.min_stack, len(unsound), a.max_heap_disagree,
                                len(undecided)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
