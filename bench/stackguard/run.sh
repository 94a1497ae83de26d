#!/usr/bin/env bash
# bench/stackguard/run.sh — instructions per call of promoting functions
# with the stack guard, without it, and with their objects on the heap
# (callgrind, so the figures do not depend on the machine's load; see
# README.md).  Usage: run.sh [BUILD_DIR] [CALLS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
calls=${2:-1000000}
escc=$build/bin/escc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() { # binary case calls -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/vg.err"
  sed -n 's/^summary: //p' "$tmp/cg.out"
}

declare -A flags=(
  [guard]=""
  [noguard]="-mllvm -escalloc-stack-guard=false"
  [heap]="-mllvm -escalloc-max-stack-size=0"
)
for k in guard noguard heap; do
  # shellcheck disable=SC2086
  "$escc" -O2 ${flags[$k]} "$here/guardcost.c" -o "$tmp/$k"
done
echo "| case | guard | no guard | heap | guard - no guard | guard / no guard | guard / heap |"
echo "|---|---|---|---|---|---|---|"
for c in one three regs; do
  declare -A per=()
  for k in guard noguard heap; do
    base=$(count "$tmp/$k" "$c" 0)
    full=$(count "$tmp/$k" "$c" "$calls")
    per[$k]=$(python3 -c "print(($full - $base) / $calls)")
  done
  python3 - "$c" "${per[guard]}" "${per[noguard]}" "${per[heap]}" <<'PY'
import sys
c = sys.argv[1]
g, n, h = map(float, sys.argv[2:])
print(f"| {c} | {g:.1f} | {n:.1f} | {h:.1f} | {g - n:+.1f} | {g / n:.2f} | {g / h:.2f} |")
PY
done
