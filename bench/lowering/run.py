#!/usr/bin/env python3
"""bench/lowering/run.py — what lowering to mallocgc saves, as ratios against
the same program with the runtime merely linked as a drop-in malloc, both
measured in the same run.

    bench/lowering/run.py [--build-dir DIR] [--rounds N] [--scale K] [--no-time]

Each program in this directory is compiled twice with the build's escc -O2:
  lowered   the default: constant sizes call escalloc_mallocgc_spc with the
            span class computed at compile time (escalloc_mallocgc_class with
            the inferred flags for tiny objects and calloc)
  drop-in   -mllvm -escalloc-lower=false: the same pipeline (heap-to-stack
            included), but every allocation stays a call to malloc/free, which
            the runtime defines

Instructions (callgrind): each binary runs at two sizes, and the figures are
the differences divided by the difference in allocations, so start-up,
printf and the like cancel out:
  alloc path   inclusive instructions of the allocation entry the program
               calls (malloc/calloc for drop-in, escalloc_mallocgc_spc,
               escalloc_mallocgc_class, escalloc_mallocgc, escalloc_calloc for
               lowered), per allocation
  free path    the same for free (drop-in) or escalloc_free (lowered)
  total        all instructions per allocation: the loop's own work and the
               caller's argument set-up (one more for the span-class entry,
               two more for the class entry) too
Every program keeps 4096 objects alive in a ring and replaces one per
iteration, in allocation order (fifo) or at random (random); both orders are
measured, because the runtime's free path depends on it.
Time: the median wall time of --rounds runs at the larger size, alternating
the variants.  Output is Markdown, for bench/lowering/README.md.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = [
    ("points", "16- and 24-byte int64 records (noscan, align8)"),
    ("tiny", "8-byte int64 (noscan: tiny allocator)"),
    ("nodes", "32-byte list nodes holding pointers"),
    ("varsize", "run-time sizes 8..263 (control)"),
]
VARIANTS = [("lowered", []), ("drop-in", ["-mllvm", "-escalloc-lower=false"])]
# The order in which objects die (each program's second argument).
ORDERS = ["fifo", "random"]
# Iterations of each program's loop for the two callgrind runs.
SMALL, LARGE = 100_000, 300_000


def die(msg):
    sys.exit(f"run.py: error: {msg}")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def allocations(stdout):
    m = re.search(r"allocations (\d+)", stdout)
    if not m:
        die(f"no allocation count in the output: {stdout!r}")
    return int(m.group(1))


# The entry points each variant's program calls (callgrind shows the runtime's
# internal names: the public escalloc_* symbols are aliases of esc_*).
ENTRIES = {
    "lowered": {"alloc": ("esc_mallocgc_spc", "esc_mallocgc_class", "esc_mallocgc", "esc_calloc"),
                "free": ("esc_free",)},
    "drop-in": {"alloc": ("malloc", "calloc"), "free": ("free",)},
}


def callgrind(binary, variant, n, order, tmp):
    """{"total", "alloc", "free", "allocs"} of one run."""
    out = os.path.join(tmp, f"cg.{os.path.basename(binary)}.{n}.{order}")
    res = run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, str(n),
               order], cwd=tmp)
    # Outside the source tree, so that callgrind_annotate does not shorten some
    # paths of a file and not others (which splits one function in two).
    ann = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out], cwd=tmp).stdout
    fig = {"total": None, "alloc": 0, "free": 0}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m:
            continue  # also skips the "=> callee" lines
        ir, what = int(m.group(1).replace(",", "")), m.group(2)
        if what.startswith("PROGRAM TOTALS"):
            fig["total"] = ir
            continue
        # A function's own line names its object file in brackets; the lines
        # without one are the parts inlined from other files, already in it.
        fn = re.match(r"\S*:([^ :]+) \[", what)
        for path in ("alloc", "free"):
            if fn and fn.group(1) in ENTRIES[variant][path]:
                fig[path] += ir
    if fig["total"] is None or not fig["alloc"]:
        die(f"could not read callgrind_annotate's output for {binary}")
    fig["allocs"] = allocations(res.stdout)
    return fig


def per_alloc(binary, variant, order, tmp, scale):
    a = callgrind(binary, variant, SMALL * scale, order, tmp)
    b = callgrind(binary, variant, LARGE * scale, order, tmp)
    n = b["allocs"] - a["allocs"]
    return {k: (b[k] - a[k]) / n for k in ("alloc", "free", "total")}


def wall(binary, n, order):
    start = time.perf_counter()
    run([binary, str(n), order])
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=int, default=1, help="multiplies the iteration counts")
    ap.add_argument("--no-time", action="store_true", help="instructions only")
    args = ap.parse_args()

    escc = os.path.join(args.build_dir, "bin", "escc")
    if not os.access(escc, os.X_OK):
        die(f"{escc} not found: build first (tools/dev.sh build) or pass --build-dir")
    for tool in ("valgrind", "callgrind_annotate"):
        if not shutil.which(tool):
            die(f"{tool} not found (apt-get install valgrind)")

    with tempfile.TemporaryDirectory() as tmp:
        bins = {}
        for prog, _ in PROGRAMS:
            for variant, flags in VARIANTS:
                out = os.path.join(tmp, f"{prog}.{variant}")
                run([escc, "-O2", "-g", *flags, os.path.join(HERE, f"{prog}.c"), "-o", out])
                bins[prog, variant] = out

        print("Instructions per allocation (lowered / drop-in = ratio):\n")
        print("| program | alloc path | free path | total |")
        print("|---|---:|---:|---:|")
        for order in ORDERS:
            for prog, what in PROGRAMS:
                lo = per_alloc(bins[prog, "lowered"], "lowered", order, tmp, args.scale)
                dr = per_alloc(bins[prog, "drop-in"], "drop-in", order, tmp, args.scale)
                cells = [f"{lo[k]:.1f} / {dr[k]:.1f} = **{lo[k] / dr[k]:.3f}**"
                         for k in ("alloc", "free", "total")]
                print(f"| {prog} ({order}): {what} | " + " | ".join(cells) + " |", flush=True)

        if args.no_time:
            return
        n = 20 * LARGE * args.scale
        print(f"\nWall time, median of {args.rounds} runs of {n} iterations:\n")
        print("| program | lowered s | drop-in s | ratio |")
        print("|---|---:|---:|---:|")
        for order in ORDERS:
            for prog, what in PROGRAMS:
                times = {v: [] for v, _ in VARIANTS}
                for r in range(args.rounds):
                    for variant, _ in (VARIANTS if r % 2 == 0 else VARIANTS[::-1]):
                        times[variant].append(wall(bins[prog, variant], n, order))
                lo, dr = statistics.median(times["lowered"]), statistics.median(times["drop-in"])
                print(f"| {prog} ({order}) | {lo:.3f} | {dr:.3f} | {lo / dr:.3f} |", flush=True)


if __name__ == "__main__":
    main()
