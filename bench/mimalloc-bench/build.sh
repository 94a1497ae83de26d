#!/bin/bash
# Builds mimalloc-bench's C/C++ programs (daanx/mimalloc-bench) into a
# temporary directory, never into this repository.
#   bench/mimalloc-bench/build.sh SRC OUT
# SRC: a checkout of daanx/mimalloc-bench (git clone it to /tmp); OUT: where
# the binaries go.  Compiled as mimalloc-bench's own CMakeLists does (-O2,
# its defines), without CMake (its list names files the snapshot lacks).
set -euo pipefail
src=${1:?mimalloc-bench checkout}/bench
out=${2:?output directory}
mkdir -p "$out"
CC=${CC:-cc} CXX=${CXX:-c++}
W="-w -O2 -g"
b() { echo "  build $1" >&2; }
b larson;        $CXX $W -DCPP=1 "$src/larson/larson.cpp" -o "$out/larson" -lpthread
b larson-sized;  $CXX $W -DCPP=1 -DSIZED=1 -fsized-deallocation "$src/larson/larson.cpp" -o "$out/larson-sized" -lpthread
b xmalloc-test;  $CC $W "$src/xmalloc-test/xmalloc-test.c" -o "$out/xmalloc-test" -lpthread
b glibc-simple;  $CC $W "$src/glibc-bench/bench-malloc-simple.c" -o "$out/glibc-simple" -lpthread
b glibc-thread;  $CC $W "$src/glibc-bench/bench-malloc-thread.c" -o "$out/glibc-thread" -lpthread -lm
b cache-scratch; $CXX $W "$src/cache-scratch/cache-scratch.cpp" -o "$out/cache-scratch" -lpthread
b malloc-large;  $CXX $W "$src/malloc-large/malloc-large.cpp" -o "$out/malloc-large" -lpthread
b mstress;       $CC $W "$src/mstress/mstress.c" -o "$out/mstress" -lpthread
b rptest;        $CC $W -I"$src/rptest" "$src/rptest/rptest.c" "$src/rptest/thread.c" "$src/rptest/timer.c" -o "$out/rptest" -lpthread -lm
b alloc-test;    $CXX $W -DBENCH=4 "$src/alloc-test/test_common.cpp" "$src/alloc-test/allocator_tester.cpp" -o "$out/alloc-test" -lpthread
b cfrac;         (cd "$src/cfrac" && $CC $W -DNOMEMOPT=1 cfrac.c pops.c pconst.c pio.c pabs.c pneg.c pcmp.c podd.c phalf.c \
                   padd.c psub.c pmul.c pdivmod.c psqrt.c ppowmod.c atop.c ptoa.c itop.c utop.c ptou.c errorp.c \
                   pfloat.c pidiv.c pimod.c picmp.c primes.c pcfrac.c pgcd.c -o "$out/cfrac" -lm)
b espresso;      (cd "$src/espresso" && $CC $W *.c -o "$out/espresso" -lm)
b barnes;        (cd "$src/barnes" && $CC $W code.c code_io.c load.c grav.c getparam.c util.c -o "$out/barnes" -lm)
cp "$src/espresso/largest.espresso" "$src/barnes/input" "$out/" 2>/dev/null || true

# A short glibc-simple for callgrind (its iteration count is a constant).
sed 's/^#define NUM_ITERS 2000000/#define NUM_ITERS 20000/' "$src/glibc-bench/bench-malloc-simple.c" > "$out/glibc-simple-short.c"
$CC $W "$out/glibc-simple-short.c" -o "$out/glibc-simple-short" -lpthread && rm "$out/glibc-simple-short.c"
echo "built into $out" >&2
