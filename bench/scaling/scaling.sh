#!/bin/bash
# bench/scaling/scaling.sh — issue 13's 16-thread runs: larson and xmalloc-test
# (mimalloc-bench) at 1..16 threads with glibc, jemalloc, tcmalloc, mimalloc
# and escalloc, on a machine that may have nothing installed (the lent device:
# no network, no compiler, no Debian packages).
#
#   bench/scaling/scaling.sh pack MB_SRC BUNDLE   # here: build and collect
#   bench/scaling/scaling.sh run BUNDLE [THREADS] [RUNS]   # there: measure
#
# pack builds mimalloc-bench's larson and xmalloc-test (bench/mimalloc-bench/
# build.sh) and copies them, the competitors' shared objects and the libraries
# they need beyond libc, escalloc's libescalloc_rt.so (from ESCALLOC_BUILD,
# default build/) and bench/mimalloc-bench/run.py into BUNDLE (a few MiB: it
# travels with the working tree to the device, e.g. run's `carry`).
# run prints run.py's tables (medians of interleaved rounds, escalloc's ratio
# to mimalloc per round) and the absolute throughputs the issue's anchors use
# (larson: operations per second; xmalloc-test: frees per second).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

pack() {
  local src=${1:?mimalloc-bench checkout} bundle=${2:?bundle directory}
  local build=${ESCALLOC_BUILD:-$root/build}
  local libdir=/usr/lib/x86_64-linux-gnu
  rm -rf "$bundle"; mkdir -p "$bundle/bin" "$bundle/lib"
  "$root/bench/mimalloc-bench/build.sh" "$src" "$bundle/all" >/dev/null
  cp "$bundle/all/larson" "$bundle/all/xmalloc-test" "$bundle/bin/"
  rm -rf "$bundle/all"
  strip "$bundle/bin/"*
  cp -L "$build/lib/libescalloc_rt.so" "$bundle/lib/"
  local so
  for so in libjemalloc.so.2 libtcmalloc_minimal.so.4 libmimalloc.so.2; do
    [ -e "$libdir/$so" ] || { echo "scaling.sh: $libdir/$so is missing (install libjemalloc-dev, libgoogle-perftools-dev, libmimalloc-dev)" >&2; exit 1; }
    cp -L "$libdir/$so" "$bundle/lib/"
  done
  # What they need beyond glibc (libstdc++ for tcmalloc, ...): the device's
  # own may be older or absent.
  for so in "$bundle/lib/"*.so* "$bundle/bin/"*; do
    ldd "$so" | awk '/=> \// {print $3}'
  done | sort -u | grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' | while read -r dep; do
    [ -e "$bundle/lib/$(basename "$dep")" ] || cp -L "$dep" "$bundle/lib/"
  done
  cp "$root/bench/mimalloc-bench/run.py" "$bundle/"
  du -sh "$bundle" >&2
  echo "packed into $bundle; on the device: bench/scaling/scaling.sh run $bundle" >&2
}

run() {
  local bundle=${1:?bundle directory} threads=${2:-1,2,4,8,16} runs=${3:-3}
  bundle=$(cd "$bundle" && pwd)
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), load $(cut -d' ' -f1-3 /proc/loadavg)"
  # The bundled libstdc++ & co. for the programs and the preloaded allocators.
  export LD_LIBRARY_PATH=$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  python3 "$bundle/run.py" --bin "$bundle/bin" --libdir "$bundle/lib" \
    --escalloc "$bundle/lib/libescalloc_rt.so" --tests larson,xmalloc-test \
    --threads "$threads" --runs "$runs" --absolute
}

case ${1:-} in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
