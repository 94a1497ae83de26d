#!/usr/bin/env bash
# Reproducer (performance, not a failure): escc's per-invocation overhead.
#
# Found by run.sh: build 3's configure-and-build CPU time is 1.2-1.3x build 1's
# on zlib, cJSON, Expat, jq and gawk (many small compiles and configure probes),
# while the plugin costs about 7% on the one big sqlite3.c.  Each escc call
# forks `clang -dumpversion` (tools/escc.c, clang_major_version) before it runs
# clang itself: one extra clang start-up per compile.
#
# Usage: test/realworld/reduced/escc-startup.sh [BUILD_DIR]   (default: build)
# Prints the CPU seconds of 50 compiles of a one-line file three ways.
set -euo pipefail
build=${1:-build}
escc=$build/bin/escc
plugin=$build/lib/EscallocPass.so
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo 'int f(int x) { return x + 1; }' > "$tmp/tiny.c"
cpu() { # command... -> user+sys CPU seconds of 50 runs
  /usr/bin/time -f '%U %S' bash -c "for i in \$(seq 50); do $* -O2 -c $tmp/tiny.c -o $tmp/tiny.o; done" 2>&1 |
    awk '{printf "%.2f", $1 + $2}'
}
base=$(cpu clang-19)
plug=$(cpu clang-19 -fpass-plugin="$plugin" -fplugin="$plugin")
esc=$(cpu "$escc")
echo "clang-19:                 $base s"
echo "clang-19 + plugin loaded: $plug s ($(awk "BEGIN{printf \"%.2f\", $plug/$base}")x)"
echo "escc:                     $esc s ($(awk "BEGIN{printf \"%.2f\", $esc/$base}")x)"
