#!/usr/bin/env bash
# bench/profile/run.sh — the heap profiler's overhead, as ratios against the
# same runtime built without the profiler's hooks, all measured in one run.
#
#   bench/profile/run.sh [--rounds N] [--scale K] [--no-callgrind]
#
# Builds rtlib/*.c twice (with the profiler, and with -DESCALLOC_NO_PROFILE,
# which counts nmalloc without sampling countdowns), links bench_alloc.c
# statically against each, and runs, round after round in rotating order:
#   none     the runtime without hooks (the baseline)
#   off      with hooks, ESCALLOC_MEMPROFILE_RATE=0
#   default  with hooks, nothing set: the default rate (one sample per
#            512 KiB), the default unwinder (auto: bench_alloc is not built
#            by the pass, so it carries no frame-pointer marker and its
#            stacks are unwound by libgcc's unwinder, opened at the first
#            sample; frame pointers were the default before f08119e)
#   fp       the same with ESCALLOC_MEMPROFILE_UNWIND=fp (bench_alloc is
#            built with frame pointers: what escc --frame-pointers gets)
#   libunwind the same with ESCALLOC_MEMPROFILE_UNWIND=libunwind (opened at
#            start-up; the default before 866b246)
#   libgcc   the same with ESCALLOC_MEMPROFILE_UNWIND=libgcc
# It prints the median seconds per workload and variant over N rounds, the
# ratios to `none`, and (callgrind) the instructions per malloc+free pair of
# the churn workload.  Output is Markdown, for bench/profile/README.md.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rounds=7
scale=1
callgrind=1
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --scale) scale=$2; shift 2 ;;
    --no-callgrind) callgrind=0; shift ;;
    *) echo "run.sh: error: unknown option '$1' (try --rounds N, --scale K, --no-callgrind)" >&2; exit 2 ;;
  esac
done

cc=${CC:-clang-19}
tmp=$(mktemp -d)
[[ -n ${KEEP_TMP:-} ]] || trap 'rm -rf "$tmp"' EXIT
flags=(-O2 -fno-strict-aliasing -ftls-model=initial-exec -D_GNU_SOURCE -fPIC -fno-omit-frame-pointer
  -I"$root/include" -I"$root/rtlib")

build_runtime() { # dir extra-flags...
  local dir=$1; shift
  mkdir -p "$dir"
  for src in "$root"/rtlib/*.c; do
    "$cc" "${flags[@]}" "$@" -c "$src" -o "$dir/$(basename "$src" .c).o"
  done
  ar rcs "$dir/libescalloc_rt.a" "$dir"/*.o
}

echo "building the runtime with and without the profiler's hooks ($cc)" >&2
build_runtime "$tmp/prof"
build_runtime "$tmp/noprof" -DESCALLOC_NO_PROFILE
for v in prof noprof; do
  "$cc" -O2 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer "$root/bench/profile/bench_alloc.c" -o "$tmp/bench_$v" \
    -Wl,--whole-archive "$tmp/$v/libescalloc_rt.a" -Wl,--no-whole-archive -lpthread
done

run_variant() { # variant workload -> "workload seconds"
  case $1 in
    none) env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE "$tmp/bench_noprof" "$2" -n "$scale" ;;
    off) env -u ESCALLOC_MEMPROFILE ESCALLOC_MEMPROFILE_RATE=0 "$tmp/bench_prof" "$2" -n "$scale" ;;
    default) env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE "$tmp/bench_prof" "$2" -n "$scale" ;;
    fp) env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE ESCALLOC_MEMPROFILE_UNWIND=fp \
      "$tmp/bench_prof" "$2" -n "$scale" ;;
    libunwind) env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE ESCALLOC_MEMPROFILE_UNWIND=libunwind \
      "$tmp/bench_prof" "$2" -n "$scale" ;;
    libgcc) env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE ESCALLOC_MEMPROFILE_UNWIND=libgcc \
      "$tmp/bench_prof" "$2" -n "$scale" ;;
  esac
}

# Each workload runs in its own process, the variants back to back in an
# order that rotates every round, so slow drifts of a shared machine hit all
# variants alike.
variants=(none off default fp libunwind libgcc)
: >"$tmp/times"
for ((r = 0; r < rounds; r++)); do
  echo "round $((r + 1))/$rounds" >&2
  for w in churn held threads large; do
    for ((i = 0; i < ${#variants[@]}; i++)); do
      v=${variants[$(((i + r) % ${#variants[@]}))]}
      run_variant "$v" "$w" | sed "s/^/$v /" >>"$tmp/times"
    done
  done
done

if ((callgrind)) && command -v valgrind >/dev/null; then
  n=$(awk -v s="$scale" 'BEGIN { printf "%.0f", 20000000 * s * 0.05 }')
  for v in none off default; do
    bin=$tmp/bench_prof rate=()
    [[ $v == none ]] && bin=$tmp/bench_noprof
    [[ $v == off ]] && rate=(ESCALLOC_MEMPROFILE_RATE=0)
    ir=$(env -u ESCALLOC_MEMPROFILE -u ESCALLOC_MEMPROFILE_RATE "${rate[@]}" \
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" churn -n "$(awk -v s="$scale" 'BEGIN{print s*0.05}')" 2>&1 |
      sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "callgrind $v $ir $n" >>"$tmp/times"
  done
fi

# Start-up: CPU time of a process that allocates nothing (bench_alloc with
# scale 0), per variant, over 300 runs each, interleaved.
python3 - "$tmp" >>"$tmp/times" <<'EOF'
import os, resource, subprocess, sys
tmp = sys.argv[1]
runs = {"none": ([tmp + "/bench_noprof"], {}), "off": ([tmp + "/bench_prof"], {"ESCALLOC_MEMPROFILE_RATE": "0"}),
        "default": ([tmp + "/bench_prof"], {}),
        "fp": ([tmp + "/bench_prof"], {"ESCALLOC_MEMPROFILE_UNWIND": "fp"}),
        "libunwind": ([tmp + "/bench_prof"], {"ESCALLOC_MEMPROFILE_UNWIND": "libunwind"}),
        "libgcc": ([tmp + "/bench_prof"], {"ESCALLOC_MEMPROFILE_UNWIND": "libgcc"})}
cpu = {v: 0.0 for v in runs}
for i in range(300):
    for v, (cmd, extra) in runs.items():
        env = {k: x for k, x in os.environ.items() if not k.startswith("ESCALLOC_MEMPROFILE")}
        env.update(extra)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd + ["churn", "-n", "0"], env=env, stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[v] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
for v in runs:
    print("startup %s %.1f" % (v, cpu[v] / 300 * 1e6))
EOF

echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Compiler: $("$cc" --version | head -1).  Stacks of the default variant unwound by libgcc's unwinder (auto, no frame-pointer marker)."
echo
python3 - "$tmp/times" "$rounds" "$scale" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
times, ir, startup = {}, {}, {}
for r in rows:
    if r[0] == "callgrind":
        ir[r[1]] = (int(r[2]), int(r[3]))
    elif r[0] == "startup":
        startup[r[1]] = float(r[2])
    else:
        times.setdefault((r[1], r[0]), []).append(float(r[2]))
workloads = ["churn", "held", "threads", "large"]
print("Median of %s rounds (scale %s), CPU seconds; ratio = variant / none." % (sys.argv[2], sys.argv[3]))
print()
V = ("none", "off", "default", "fp", "libunwind", "libgcc")
print("| workload | " + " | ".join("%s (s)" % v for v in V) + " | " +
      " | ".join("%s / none" % v for v in V[1:]) + " |")
print("|---|" + "---:|" * (2 * len(V) - 1))
for w in workloads:
    m = {v: statistics.median(times[(w, v)]) for v in V if (w, v) in times}
    if len(m) < len(V):
        continue
    print("| %s | " % w + " | ".join("%.3f" % m[v] for v in V) + " | " +
          " | ".join("%.3f" % (m[v] / m["none"]) for v in V[1:]) + " |")
if startup:
    print()
    print("Start-up of a process that allocates nothing, CPU microseconds (mean of 300 runs):")
    print()
    print("| " + " | ".join(V) + " |")
    print("|" + "---:|" * len(V))
    print("| " + " | ".join("%.0f" % startup[v] for v in V) + " |")
if ir:
    print()
    print("Instructions (callgrind) for the churn workload, whole program, and per malloc+free pair:")
    print()
    print("| variant | instructions | per pair | vs none |")
    print("|---|---:|---:|---:|")
    base = ir["none"][0] / ir["none"][1]
    for v in ("none", "off", "default"):
        total, n = ir[v]
        print("| %s | %d | %.1f | %+.1f |" % (v, total, total / n, total / n - base))
EOF
