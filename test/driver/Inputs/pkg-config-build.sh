#!/bin/sh
# Builds a program with plain clang and the flags pkg-config gives for the
# installed escalloc (test/driver/escc-package.test): CC SOURCE OUTPUT.
set -eu
cc=$1 src=$2 out=$3
"$cc" -O2 $(pkg-config --variable=plugin_cflags escalloc) $(pkg-config --cflags escalloc) \
  "$src" $(pkg-config --libs escalloc) -Wl,-rpath,"$(pkg-config --variable=libdir escalloc)" -o "$out"
