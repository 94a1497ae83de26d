#!/usr/bin/env python3
"""bench/run.py — the runtime's benchmarks: escalloc against glibc, jemalloc,
tcmalloc and mimalloc, all measured in one run, reported as ratios.

Every workload of bench/workloads.c runs under each allocator (LD_PRELOAD;
glibc is the process's own), --runs times, the allocators interleaved within
each round so that drift on a shared machine hits all of them alike.  It
prints, as Markdown:
  - the median time and the median peak RSS per workload and allocator;
  - escalloc's ratios: speed against glibc (glibc time / escalloc time), time
    against mimalloc, peak RSS against mimalloc;
  - callgrind instructions for one small malloc+free (the `pair` workload,
    (Ir at N pairs - Ir at 0 pairs) / N), per allocator;
  - the targets of issue 3, each marked met or not met.

usage: run.py --workloads BIN --escalloc LIB [--runs N] [--scale K] [--no-callgrind]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

LIBDIR = "/usr/lib/x86_64-linux-gnu"
COMPETITORS = [
    ("glibc", None),
    ("jemalloc", os.path.join(LIBDIR, "libjemalloc.so.2")),
    ("tcmalloc", os.path.join(LIBDIR, "libtcmalloc_minimal.so.4")),
    ("mimalloc", os.path.join(LIBDIR, "libmimalloc.so.2")),
]
WORKLOADS = ["churn", "bigset", "mixed", "larson", "prodcons", "threads", "large"]


def environment(lib, extra):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("ESCALLOC_MEMPROFILE_RATE", None)
    if lib:
        env["LD_PRELOAD"] = lib
    env.update(extra)
    return env


def run_once(binary, workload, lib, extra, scale):
    env = environment(lib, extra)
    out = subprocess.run([binary, workload, str(scale)], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    if len(out) != 3 or out[0] != workload:
        sys.exit(f"run.py: error: unexpected output from {workload}: {out}")
    return float(out[1]), int(out[2])


def callgrind_ir(binary, lib, extra, pairs):
    env = environment(lib, extra)
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                        binary, "pair", str(pairs / 1e6)], env=env, capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        sys.exit(f"run.py: error: callgrind failed for {lib or 'glibc'}:\n{r.stderr[-2000:]}")
    return int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", required=True, help="the bench_workloads binary")
    ap.add_argument("--escalloc", required=True, help="libescalloc_rt.so")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--no-callgrind", action="store_true")
    args = ap.parse_args()

    allocators = []
    for name, lib in COMPETITORS:
        if lib and not os.path.exists(lib):
            print(f"<!-- {name}: {lib} not installed, skipped -->")
            continue
        allocators.append((name, lib, {}))
    esc = os.path.abspath(args.escalloc)
    # As shipped (heap profiling on at Go's default rate, 512 KiB), and with
    # the sampler off, to separate the allocator from the profiler.
    allocators.append(("escalloc", esc, {}))
    allocators.append(("escalloc-noprof", esc, {"ESCALLOC_MEMPROFILE_RATE": "0"}))
    names = [n for n, _, _ in allocators]

    times = {(w, n): [] for w in WORKLOADS for n in names}
    rss = {(w, n): [] for w in WORKLOADS for n in names}
    for r in range(args.runs):
        for w in WORKLOADS:
            order = allocators[r % len(allocators):] + allocators[:r % len(allocators)]
            for name, lib, extra in order:
                t, m = run_once(args.workloads, w, lib, extra, args.scale)
                times[(w, name)].append(t)
                rss[(w, name)].append(m)
    med_t = {k: statistics.median(v) for k, v in times.items()}
    med_m = {k: statistics.median(v) for k, v in rss.items()}

    print(f"### Time (median of {args.runs} runs, seconds; scale {args.scale})\n")
    print("| workload | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for w in WORKLOADS:
        print(f"| {w} | " + " | ".join(f"{med_t[(w, n)]:.3f}" for n in names) + " |")
    print(f"\n### Peak RSS (median, MiB)\n")
    print("| workload | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for w in WORKLOADS:
        print(f"| {w} | " + " | ".join(f"{med_m[(w, n)] / 1024:.1f}" for n in names) + " |")

    have_mi = "mimalloc" in names
    for variant in ("escalloc", "escalloc-noprof"):
        print(f"\n### {variant}: ratios\n")
        print("| workload | speed vs glibc (x) | time vs mimalloc | peak RSS vs mimalloc |")
        print("|---|---:|---:|---:|")
        for w in WORKLOADS:
            e = med_t[(w, variant)]
            sp = med_t[(w, "glibc")] / e
            tm = f"{e / med_t[(w, 'mimalloc')]:.2f}" if have_mi else "n/a"
            rm = f"{med_m[(w, variant)] / med_m[(w, 'mimalloc')]:.2f}" if have_mi else "n/a"
            print(f"| {w} | {sp:.2f} | {tm} | {rm} |")

    ir = {}
    if not args.no_callgrind and shutil.which("valgrind"):
        n = 200000
        print(f"\n### Instructions per small malloc(32)+free (callgrind, {n} pairs)\n")
        print("| allocator | instructions |")
        print("|---|---:|")
        for name, lib, extra in allocators:
            ir[name] = (callgrind_ir(args.workloads, lib, extra, n) -
                        callgrind_ir(args.workloads, lib, extra, 0)) / n
            print(f"| {name} | {ir[name]:.1f} |")

    print("\n### Targets (issue 3)\n")
    def verdict(ok):
        return "met" if ok else "NOT met"
    for variant in ("escalloc", "escalloc-noprof"):
        sp = med_t[("churn", "glibc")] / med_t[("churn", variant)]
        print(f"- {variant}: churn at least 1.5x glibc's speed: {sp:.2f}x, {verdict(sp >= 1.5)}")
        if have_mi:
            tm = med_t[("churn", variant)] / med_t[("churn", "mimalloc")]
            print(f"- {variant}: churn within 1.1x of mimalloc's time: {tm:.2f}x, {verdict(tm <= 1.1)}")
            worst = max(WORKLOADS, key=lambda w: med_m[(w, variant)] / med_m[(w, "mimalloc")])
            wr = med_m[(worst, variant)] / med_m[(worst, "mimalloc")]
            print(f"- {variant}: peak RSS within 1.2x of mimalloc's on every workload: worst {worst} "
                  f"{wr:.2f}x, {verdict(wr <= 1.2)}")
            if ir:
                r = ir[variant] / ir["mimalloc"]
                print(f"- {variant}: malloc+free instructions within 1.2x of mimalloc's: {r:.2f}x, "
                      f"{verdict(r <= 1.2)}")


if __name__ == "__main__":
    main()
