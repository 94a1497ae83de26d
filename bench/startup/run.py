#!/usr/bin/env python3
"""bench/startup/run.py — per-process start-up cost of escc-built programs.

Builds alloc100.c (100 allocations, then exit) with `escc -O2` and with plain
`clang-19 -O2` (glibc's malloc), then runs each variant --runs times (default
1000), the variants interleaved one run at a time so that load changes hit them
alike.  Prints per-process medians of wall time (fork+exec+exit, measured
around posix_spawn/waitpid) and of CPU time (user+sys of the child, from
wait4's rusage), and escc's difference to glibc's in microseconds.

  python3 bench/startup/run.py --build-dir build [--runs 1000] [--runtime NAME=LIB.a ...]

Variants: glibc (clang-19 -O2), escc (defaults: heap profiling at Go's
rate, libgcc's unwinder opened at the first sample, which 100 allocations
rarely reach), escc with ESCALLOC_MEMPROFILE_RATE=0, and
escc with ESCALLOC_MEMPROFILE_UNWIND=libunwind (libunwind opened at start-up:
what every process paid before frame pointers became the default), and one
variant per --runtime NAME=LIB.a: the same escc build (this build's pass)
linked with another runtime archive, e.g. an older commit's
build/lib/libescalloc_rt.a, so that two runtimes are compared in one run.
With --rate N, escc and each --runtime run a second time with
ESCALLOC_MEMPROFILE_RATE=N: a process that samples (N=1 samples every
allocation; 30000 about 1 in 7 runs' processes' first sample).
Page faults are the child's minor faults (wait4's ru_minflt), medians too.
No timed assertions: this prints numbers for bench/README.md.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def build(build_dir, tmp, runtimes):
    src = os.path.join(HERE, "alloc100.c")
    escc = os.path.join(build_dir, "bin", "escc")
    out = {}
    out["glibc"] = os.path.join(tmp, "alloc100-glibc")
    subprocess.run(["clang-19", "-O2", src, "-o", out["glibc"]], check=True)
    out["escc"] = os.path.join(tmp, "alloc100-escc")
    subprocess.run([escc, "-O2", src, "-o", out["escc"]], check=True)
    for i, (name, lib) in enumerate(runtimes):
        out[name] = os.path.join(tmp, "alloc100-rt%d" % i)
        subprocess.run([escc, "-O2", "--rt=none", src, "-Wl,--whole-archive", lib,
                        "-Wl,--no-whole-archive", "-lpthread", "-o", out[name]], check=True)
    return out


def run_once(prog, env):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(prog, [prog], env)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    if status != 0:
        sys.exit("%s exited with status %d" % (prog, status))
    return (t1 - t0) / 1000.0, (ru.ru_utime + ru.ru_stime) * 1e6, ru.ru_minflt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--runtime", action="append", default=[], metavar="NAME=LIB.a",
                    help="also run escc's program linked with this runtime archive")
    ap.add_argument("--rate", type=int, default=None,
                    help="also run escc and each --runtime with ESCALLOC_MEMPROFILE_RATE=RATE")
    args = ap.parse_args()
    runtimes = []
    for r in args.runtime:
        name, sep, lib = r.partition("=")
        if not sep or not os.path.isfile(lib):
            ap.error("--runtime wants NAME=path/to/libescalloc_rt.a, got %r" % r)
        runtimes.append(("escc, runtime " + name, os.path.abspath(lib)))
    base = {k: v for k, v in os.environ.items() if not k.startswith("ESCALLOC_")}
    with tempfile.TemporaryDirectory() as tmp:
        progs = build(os.path.abspath(args.build_dir), tmp, runtimes)
        variants = [
            ("glibc", progs["glibc"], base),
            ("escc", progs["escc"], base),
            ("escc, ESCALLOC_MEMPROFILE_RATE=0", progs["escc"], dict(base, ESCALLOC_MEMPROFILE_RATE="0")),
            ("escc, ESCALLOC_MEMPROFILE_UNWIND=libunwind", progs["escc"],
             dict(base, ESCALLOC_MEMPROFILE_UNWIND="libunwind")),
        ] + [(name, progs[name], base) for name, _ in runtimes]
        if args.rate is not None:
            sampled = dict(base, ESCALLOC_MEMPROFILE_RATE=str(args.rate))
            variants += [(name + ", ESCALLOC_MEMPROFILE_RATE=%d" % args.rate, progs[key], sampled)
                         for name, key in [("escc", "escc")] + [(n, n) for n, _ in runtimes]]
        wall = {v[0]: [] for v in variants}
        cpu = {v[0]: [] for v in variants}
        faults = {v[0]: [] for v in variants}
        for name, prog, env in variants:  # warm the page cache
            for _ in range(20):
                run_once(prog, env)
        for _ in range(args.runs):  # one run of each variant after the other
            for name, prog, env in variants:
                w, c, f = run_once(prog, env)
                wall[name].append(w)
                cpu[name].append(c)
                faults[name].append(f)
        g_wall = statistics.median(wall["glibc"])
        g_cpu = statistics.median(cpu["glibc"])
        print("| variant | wall, median (us) | - glibc (us) | CPU, median (us) | - glibc (us) | page faults |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, _, _ in variants:
            w, c = statistics.median(wall[name]), statistics.median(cpu[name])
            print("| %s | %.0f | %+.0f | %.0f | %+.0f | %.0f |" %
                  (name, w, w - g_wall, c, c - g_cpu, statistics.median(faults[name])))
        print("\n%d runs of each, interleaved one by one; load average %s" %
              (args.runs, " ".join("%.2f" % x for x in os.getloadavg())))


if __name__ == "__main__":
    main()
