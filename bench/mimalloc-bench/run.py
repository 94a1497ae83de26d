#!/usr/bin/env python3
"""Runs mimalloc-bench's programs (built by build.sh into a temporary
directory) with glibc, jemalloc, tcmalloc, mimalloc and escalloc through
LD_PRELOAD.

    python3 bench/mimalloc-bench/run.py --bin /tmp/mb/bin \
        --escalloc build/lib/libescalloc_rt.so [--alloc name=path.so ...] \
        [--runs 5] [--threads 1,2] [--tests larson,xmalloc-test,...] [--callgrind]

Every round runs each allocator once per test, in turn (interleaved), so that
the machine's load moves all of them alike; the tables give medians over the
rounds of the score (seconds, or the inverse of the program's own rate), of
escalloc's ratio to each other allocator taken within each round, and of peak
RSS (ru_maxrss).  --callgrind adds instruction counts of the single-thread
runs: the instructions executed inside allocator entry points (inclusive,
counted at calls from the program) per call.  No timed assertions anywhere.
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
OTHERS = [
    ("glibc", None),
    ("jemalloc", LIBDIR + "/libjemalloc.so.2"),
    ("tcmalloc", LIBDIR + "/libtcmalloc_minimal.so.4"),
    ("mimalloc", LIBDIR + "/libmimalloc.so.2"),
]

# name -> (argv with {T} for the thread count, how to score the output).
# Scores are "lower is better": seconds, or 1/rate.  Arguments are
# mimalloc-bench's (bench.sh), shortened where it runs for a fixed time.
TESTS = {
    "larson": (["larson", "2", "8", "1000", "5000", "100", "4141", "{T}"], "larson"),
    "larson-sized": (["larson-sized", "2", "8", "1000", "5000", "100", "4141", "{T}"], "larson"),
    "xmalloc-test": (["xmalloc-test", "-w", "{T}", "-t", "2", "-s", "64"], "xmalloc"),
    "glibc-simple": (["glibc-simple"], "time"),
    "glibc-thread": (["glibc-thread", "{T}"], "glibc-thread"),
    "cache-scratch": (["cache-scratch", "{T}", "1000", "1", "2000000", "{T}"], "time"),
    "malloc-large": (["malloc-large"], "time"),
    "mstress": (["mstress", "{T}", "50", "25"], "time"),
    "rptest": (["rptest", "{T}", "0", "1", "2", "500", "1000", "100", "8", "16000"], "time"),
    "alloc-test": (["alloc-test", "{T}"], "time"),
    "cfrac": (["cfrac", "17545186520507317056371138836327483792789528"], "time"),
    "espresso": (["espresso", "{BIN}/largest.espresso"], "time"),
    "barnes": (["barnes"], "time-stdin:input"),
}
SINGLE = {"glibc-simple", "malloc-large", "cfrac", "espresso", "barnes"}  # no thread argument
# Callgrind workloads (single thread, short): name -> argv.
CALLGRIND = {
    "glibc-simple": ["glibc-simple-short"],
    "larson": ["larson", "1", "8", "1000", "5000", "100", "4141", "1"],
    "xmalloc-test": ["xmalloc-test", "-w", "1", "-t", "1", "-s", "64"],
    "glibc-thread": ["glibc-thread", "1"],
    "cfrac": TESTS["cfrac"][0],
    "espresso": TESTS["espresso"][0],
}
ENTRIES = re.compile(r"^(malloc|free|calloc|realloc|posix_memalign|aligned_alloc|memalign|cfree|"
                     r"_Zn[wa]m.*|_Zd[la]Pv.*)$")


def score(kind, out, wall):
    if kind.startswith("time"):
        return wall
    if kind == "larson":
        m = re.search(r"Throughput\s*=\s*([\d.]+)", out)
        return 1e6 / float(m.group(1))  # seconds per million operations
    if kind == "xmalloc":
        m = re.search(r"free/sec:\s*([\d.]+)\s*M", out)
        return 1.0 / float(m.group(1))  # seconds per million frees
    if kind == "glibc-thread":
        m = re.search(r"(\d+) iterations", out)
        return 1e6 / float(m.group(1))  # micro-seconds per iteration (2 s run)
    raise ValueError(kind)


def run_one(binary_dir, argv, preload, kind):
    env = dict(os.environ)
    if preload:
        env["LD_PRELOAD"] = preload  # /usr/bin/time allocates too: it runs under the same allocator
    stdin = subprocess.DEVNULL
    if kind.startswith("time-stdin:"):
        stdin = open(os.path.join(binary_dir, kind.split(":", 1)[1]))
    # /usr/bin/time reports the peak RSS of the program itself (a child of
    # this script would inherit Python's in its ru_maxrss).
    # A bare machine (the lent device) may lack /usr/bin/time: no RSS there.
    timer = ["/usr/bin/time", "-f", "%M", "-o"] if os.path.exists("/usr/bin/time") else None
    with tempfile.NamedTemporaryFile("r") as rf:
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        p = subprocess.run((timer + [rf.name] if timer else []) +
                           [os.path.join(binary_dir, argv[0])] + argv[1:], cwd=binary_dir, env=env,
                           stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wall = time.monotonic() - start
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # user+sys of the program (and /usr/bin/time, a few ms at most).
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        out = p.stdout.decode(errors="replace")
        if p.returncode != 0:
            raise RuntimeError("%s under %s failed (%d): %s" % (argv[0], preload, p.returncode, out[-500:]))
        maxrss = int(rf.read().split()[-1]) if timer else float("nan")
    sc = score(kind, out, wall)
    # CPU per unit of work: the CPU time itself for a fixed amount of work;
    # for a rate over a fixed time, the score times the CPUs busy on average
    # (CPU time / wall time), so both are CPU seconds per unit.  Another
    # job's load lengthens the wall time but much less the CPU time.
    cpu_score = cpu if kind.startswith("time") else sc * cpu / wall
    return sc, maxrss, cpu_score


def callgrind_per_call(binary_dir, argv, preload):
    """Instructions inside allocator entry points per call, counted at the
    calls from outside them (inclusive cost of each such call)."""
    with tempfile.TemporaryDirectory() as d:
        outf = os.path.join(d, "cg.out")
        env = dict(os.environ)
        if preload:
            env["LD_PRELOAD"] = preload
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outf, "--demangle=no",
                        "--dump-instr=no", "--compress-strings=no", "--compress-pos=no"]
                       + [os.path.join(binary_dir, argv[0])] + argv[1:], cwd=binary_dir, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        calls = cost = total = 0
        fn = cfn = None
        pending = None
        for line in open(outf, errors="replace"):
            if pending is not None:
                parts = line.split()
                if ENTRIES.match(cfn or "") and not ENTRIES.match(fn or ""):
                    calls += pending
                    cost += int(parts[1]) if len(parts) > 1 else 0
                pending = None
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("cfn="):
                cfn = line[4:].strip()
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0])
            elif line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
        return cost / max(calls, 1), calls, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--escalloc", required=True)
    ap.add_argument("--alloc", action="append", default=[], help="more allocators, name=path.so")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--tests", default="larson,xmalloc-test,glibc-simple,glibc-thread")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--no-others", action="store_true", help="escalloc builds only, plus mimalloc")
    ap.add_argument("--libdir", default=LIBDIR,
                    help="where the competitors' shared objects are (default: %s)" % LIBDIR)
    ap.add_argument("--absolute", action="store_true",
                    help="also print absolute throughputs (larson: M operations/s; xmalloc-test: "
                         "M frees/s), the units of issue 13's 16-thread anchors")
    a = ap.parse_args()
    others = [(n, so and os.path.join(a.libdir, os.path.basename(so))) for n, so in OTHERS]
    allocs = [o for o in others if not a.no_others or o[0] == "mimalloc"]
    # Absolute: the programs run in --bin, where a relative path would not
    # resolve and the run would silently measure glibc.
    allocs += [(n, os.path.abspath(p)) for n, p in (x.split("=", 1) for x in a.alloc)]
    allocs.append(("escalloc", os.path.abspath(a.escalloc)))
    names = [n for n, _ in allocs]
    threads = [int(t) for t in a.threads.split(",")]
    cases = []
    for t in a.tests.split(","):
        for n in ([1] if t in SINGLE else threads):
            cases.append((t if t in SINGLE else "%s T=%d" % (t, n), t, n))
    res = {c[0]: {n: [] for n in names} for c in cases}
    rss = {c[0]: {n: [] for n in names} for c in cases}
    cpu = {c[0]: {n: [] for n in names} for c in cases}
    loads = []
    for r in range(a.runs):
        for label, t, n in cases:
            argv = [x.replace("{T}", str(n)).replace("{BIN}", a.bin) for x in TESTS[t][0]]
            for name, so in allocs:
                s, m, c = run_one(a.bin, argv, so, TESTS[t][1])
                res[label][name].append(s)
                rss[label][name].append(m)
                cpu[label][name].append(c)
        loads.append(open("/proc/loadavg").read().split()[0])
        print("round %d done, load %s" % (r + 1, loads[-1]), file=sys.stderr)
    print("Load average at the end: %s; %d rounds, allocators interleaved in each;\n"
          "1-minute load after each round: %s.\n"
          % (open("/proc/loadavg").read().split()[:3], a.runs, " ".join(loads)))
    print("#### Score (median; seconds, or seconds per million operations for larson and\n"
          "#### xmalloc-test, microseconds per iteration for glibc-thread: lower is better)\n")
    print("| test | " + " | ".join(names) + " | escalloc/mimalloc (median of per-round ratios) |")
    print("|---|" + "---:|" * (len(names) + 1))
    for label, _, _ in cases:
        ratios = [e / m for e, m in zip(res[label]["escalloc"], res[label]["mimalloc"])]
        print("| %s | %s | %.2f |" % (label, " | ".join("%.3f" % statistics.median(res[label][n])
                                                       for n in names), statistics.median(ratios)))
    print("\n#### escalloc/mimalloc in each round\n")
    print("| test | " + " | ".join("round %d" % (r + 1) for r in range(a.runs)) + " |")
    print("|---|" + "---:|" * a.runs)
    for label, _, _ in cases:
        print("| %s | %s |" % (label, " | ".join(
            "%.2f" % (e / m) for e, m in zip(res[label]["escalloc"], res[label]["mimalloc"]))))
    print("\n#### CPU time (user+sys) per unit of work: escalloc/mimalloc in each round, median\n")
    print("(CPU seconds for fixed work; for rates, the score times the CPUs busy on average.)\n")
    print("| test | " + " | ".join("round %d" % (r + 1) for r in range(a.runs)) + " | median |")
    print("|---|" + "---:|" * (a.runs + 1))
    for label, _, _ in cases:
        ratios = [e / m for e, m in zip(cpu[label]["escalloc"], cpu[label]["mimalloc"])]
        print("| %s | %s | %.2f |" % (label, " | ".join("%.2f" % x for x in ratios), statistics.median(ratios)))
    others_cpu = [n for n in names if n not in ("escalloc", "mimalloc")]
    for o in others_cpu:
        print("\n%s/mimalloc, CPU per unit of work, median of per-round ratios: %s" % (o, ", ".join(
            "%s %.2f" % (label, statistics.median([e / m for e, m in zip(cpu[label][o], cpu[label]["mimalloc"])]))
            for label, _, _ in cases)))
    print("\n#### Peak RSS (median, MiB)\n")
    print("| test | " + " | ".join(names) + " | escalloc/mimalloc |")
    print("|---|" + "---:|" * (len(names) + 1))
    for label, _, _ in cases:
        med = {n: statistics.median(rss[label][n]) / 1024 for n in names}
        print("| %s | %s | %.2f |" % (label, " | ".join("%.1f" % med[n] for n in names),
                                      med["escalloc"] / med["mimalloc"]))
    if a.absolute:
        print("\n#### Throughput (median; M operations/s for larson, M frees/s for xmalloc-test: "
              "higher is better)\n")
        print("| test | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for label, t, _ in cases:
            if TESTS[t][1] not in ("larson", "xmalloc"):
                continue
            # Both scores are seconds per million: the rate is the inverse.
            print("| %s | %s |" % (label, " | ".join("%.1f" % (1.0 / statistics.median(res[label][n]))
                                                     for n in names)))
    if a.callgrind:
        print("\n#### Callgrind: allocator instructions per call (malloc, free, new, delete, ...)\n")
        print("| workload | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for t in a.tests.split(","):
            if t not in CALLGRIND:
                continue
            row = []
            for name, so in allocs:
                per, calls, _ = callgrind_per_call(a.bin, CALLGRIND[t], so)
                row.append("%.1f" % per)
            print("| %s (%s) | %s |" % (t, " ".join(CALLGRIND[t]), " | ".join(row)))


if __name__ == "__main__":
    main()
