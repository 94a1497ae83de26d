#!/usr/bin/env python3
"""xmalloc-test (or larson) under `perf stat`, allocators interleaved in a
shuffled order each round: throughput, CPU time per operation (task-clock),
system time per operation, context switches, page faults and futex calls
(lock waits and wakes), medians over
the rounds.  On a shared machine the CPU and kernel numbers move much less
than the throughput (bench/README.md, "Scavenger age in time").

    python3 bench/mimalloc-bench/perfstat.py --bin /tmp/mb/bin \\
        --alloc mimalloc=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 \\
        --alloc escalloc=build/lib/libescalloc_rt.so [--runs 10] [--threads 1,2] [--test larson] \\
        [--alloc escalloc-noprof=build/lib/libescalloc_rt.so --env escalloc-noprof:ESCALLOC_MEMPROFILE_RATE=0]

--env NAME:VAR=VALUE sets VAR only in the runs of the allocator named NAME
(the same .so under two names, e.g. with and without heap-profile sampling).
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys

ARGV = {
    "xmalloc-test": (["xmalloc-test", "-w", "{T}", "-t", "2", "-s", "64"], r"free/sec:\s*([\d.]+)", 1e6),
    "larson": (["larson", "2", "8", "1000", "5000", "100", "4141", "{T}"], r"Throughput\s*=\s*([\d.]+)", 1.0),
}
EVENTS = "task-clock,context-switches,page-faults,system_time,syscalls:sys_enter_futex"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--alloc", action="append", required=True, help="name=path.so")
    ap.add_argument("--env", action="append", default=[], help="name:VAR=VALUE, for that allocator's runs only")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--test", default="xmalloc-test", choices=sorted(ARGV))
    a = ap.parse_args()
    allocs = [(n, os.path.abspath(p)) for n, p in (x.split("=", 1) for x in a.alloc)]
    envs = {}
    for e in a.env:
        name, kv = e.split(":", 1)
        var, val = kv.split("=", 1)
        envs.setdefault(name, {})[var] = val
    argv, pattern, unit = ARGV[a.test]
    res = {}
    for r in range(a.runs):
        for t in (int(x) for x in a.threads.split(",")):
            order = allocs[:]
            random.shuffle(order)
            for name, so in order:
                cmd = [x.replace("{T}", str(t)) for x in argv]
                cmd[0] = os.path.join(a.bin, cmd[0])
                p = subprocess.run(["perf", "stat", "-x,", "-e", EVENTS] + cmd, cwd=a.bin,
                                   env=dict(os.environ, LD_PRELOAD=so, **envs.get(name, {})), capture_output=True, text=True)
                rate = float(re.search(pattern, p.stdout).group(1)) * unit  # operations per second
                st = {}
                for line in p.stderr.splitlines():
                    f = line.split(",")
                    if len(f) > 3 and f[0][:1].isdigit():
                        st[f[2]] = float(f[0])
                ops = rate * 2.0  # both programs run 2 s
                d = res.setdefault((t, name), {"rate": [], "cpu": [], "sys": [], "cs": [], "pf": [], "futex": []})
                d["rate"].append(rate / 1e6)
                d["cpu"].append(st["task-clock"] * 1e6 / ops)  # ms -> ns per operation
                d["sys"].append(st.get("system_time", 0.0) / ops)
                d["cs"].append(st["context-switches"])
                d["pf"].append(st["page-faults"])
                d["futex"].append(st.get("syscalls:sys_enter_futex", 0.0))
        print("round %d done, load %s" % (r + 1, open("/proc/loadavg").read().split()[0]), file=sys.stderr)
    print("| %s | allocator | M ops/s (median) | CPU ns/op | system ns/op | context switches | page faults | futex calls |"
          % ("threads"))
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for (t, name), d in sorted(res.items()):
        print("| %d | %s | %.1f | %.1f | %.1f | %d | %d | %d |" % (
            t, name, statistics.median(d["rate"]), statistics.median(d["cpu"]), statistics.median(d["sys"]),
            statistics.median(d["cs"]), statistics.median(d["pf"]), statistics.median(d["futex"])))


if __name__ == "__main__":
    main()
