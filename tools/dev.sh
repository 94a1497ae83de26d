#!/usr/bin/env bash
# tools/dev.sh — the one entry point for building and testing escalloc on a
# Debian bookworm machine.  Each command installs what is missing first.
#
#   tools/dev.sh demo       build, then compile examples/points.c with `escc -O2 -m` and run it
#   tools/dev.sh check      build, then run the check tier (runtime unit tests, lit, end-to-end, one real program)
#   tools/dev.sh build      configure and build only (build/)
#   tools/dev.sh realworld  the fuzzers' long ranges, then the real-programs comparison (slow; the report
#                           goes to the work directory; --update-docs rewrites docs/realworld.md instead),
#                           then the same programs built by escc with -flto and run (unless --flags is given)
#   tools/dev.sh fuzz       the fuzzers' long ranges only (gen.py 0-999, csmith 0-499; test/fuzz/README.md)
#   tools/dev.sh bench      the runtime and lowering benchmarks (slow; prints ratios)
#   tools/dev.sh deps       install the Debian packages the project needs
#
# Environment: BUILD_DIR (default: build), JOBS (default: nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${JOBS:-$(nproc)}

# Packages for building and the check tier.
check_packages=(clang-19 llvm-19-dev llvm-19-tools lld-19 libclang-rt-19-dev cmake ninja-build
  gcc python3 python3-yaml python3-pygments valgrind libcmocka-dev gnuplot-nox dpkg-dev file zlib1g-dev golang-go libunwind8
  pkgconf groff-base)
# Extra packages for the benchmarks (competitor allocators).
bench_packages=(libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev hyperfine)
# Extra packages for the realworld tier's fuzzing (test/fuzz) and reducing what it finds.
fuzz_packages=(csmith libcsmith-dev cvise)

say() { printf '==> %s\n' "$*" >&2; }

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing: ${missing[*]}"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

do_build() {
  install_missing "${check_packages[@]}"
  if [[ ! -f $build/build.ninja ]]; then
    say "configuring $build"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  say "building"
  ninja -C "$build" -j "$jobs"
}

# run.sh's arguments for the realworld tier's LTO pass, one a line, from the
# plain pass's: no report (--docs dropped), its own work directory (-lto added to
# --workdir's), then the pass's own flags (argparse: the last one wins).  Fails
# (no LTO pass) when the arguments name a flavour or only re-render a report.
realworld_lto_args() {
  local out=()
  while (($#)); do
    case $1 in
      --flags | --flags=* | --from-results | --from-results=* | -h | --help) return 1 ;;
      --docs) shift ;;
      --docs=*) ;;
      --workdir) out+=(--workdir "$2-lto"); shift ;;
      --workdir=*) out+=("$1-lto") ;;
      *) out+=("$1") ;;
    esac
    shift
  done
  out+=(--flags lto --builds escc --runs 1 --time-report-runs 0 --no-oracle --no-report)
  printf '%s\n' "${out[@]}"
}

cmd=${1:-}
case $cmd in
  deps) install_missing "${check_packages[@]}" ;;
  build) do_build ;;
  demo)
    do_build
    say "escc -O2 -m examples/points.c -o $build/points"
    "$build/bin/escc" -O2 -m "$root/examples/points.c" -o "$build/points"
    say "running $build/points"
    "$build/points"
    ;;
  check)
    do_build
    say "running the check tier (ctest -L check)"
    cd "$build" && ctest -L check --output-on-failure -j "$jobs"
    ;;
  fuzz)
    install_missing "${fuzz_packages[@]}"
    do_build
    ninja -C "$build" fuzz
    ;;
  realworld)
    install_missing "${fuzz_packages[@]}"
    do_build
    fuzz_status=0
    ninja -C "$build" fuzz || fuzz_status=$?
    # The repository's docs/ only when asked: run.sh's report defaults to its work directory.
    args=()
    for a in "${@:2}"; do
      if [[ $a == --update-docs ]]; then args+=(--docs "$root/docs"); else args+=("$a"); fi
    done
    rw_status=0
    "$root/test/realworld/run.sh" --build-dir "$build" "${args[@]}" || rw_status=$?
    # Then the same programs with -flto (unless a flavour was asked for): escalloc decides
    # at the link there, over the whole program, which no plain or Debian build exercises.
    # The escc build only, one run, no report: each must build and pass its suite.
    if lto_args=$(realworld_lto_args "${args[@]}"); then
      say "the same programs with -flto (escc build only)"
      mapfile -t lto < <(printf '%s\n' "$lto_args")
      "$root/test/realworld/run.sh" --build-dir "$build" "${lto[@]}" || rw_status=$?
    fi
    if ((fuzz_status)); then exit "$fuzz_status"; fi
    exit "$rw_status"
    ;;
  bench)
    install_missing "${bench_packages[@]}"
    do_build
    ninja -C "$build" bench
    ;;
  -h | --help | help | "")
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    [[ -n $cmd ]] || exit 2
    ;;
  *)
    echo "dev.sh: error: unknown command '$cmd' (try: tools/dev.sh --help)" >&2
    exit 2
    ;;
esac
