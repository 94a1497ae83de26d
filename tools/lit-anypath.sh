#!/usr/bin/env bash
# tools/lit-anypath.sh SRC BUILD — runs the lit suite from a copy of the
# checkout SRC and of the build BUILD under a path made of the words the tests
# look for (escalloc, escalloc_mallocgc_spc, libescalloc_rt.a, note, warning,
# remark, malloc, free), so that a check which matches a filesystem path (the
# ModuleID, a file name in a remark, a directory in `escc -v`) fails here.  A
# clone into a folder named `escalloc` is the everyday case.
#
# The copy holds SRC's tracked and untracked (not ignored) files and BUILD's
# bin/, lib/, include/ and share/; lit.site.cfg.py is rewritten to point at it.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
lit=${LIT:-/usr/lib/llvm-19/build/utils/lit/lit.py}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lit-anypath.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/escalloc_mallocgc_spc-libescalloc_rt.a-note-warning-remark-malloc-free/escalloc
mkdir -p "$root/build/test"

git -C "$src" ls-files -z --cached --others --exclude-standard |
  (cd "$src" && xargs -0 -r tar -cf - --no-recursion --ignore-failed-read 2>/dev/null) |
  tar -C "$root" -xf -
cp -a "$build/bin" "$build/lib" "$build/include" "$build/share" "$root/build/"
# `cmake --install` (escc-install.test) reads the build's install scripts.
(cd "$build" && find . -name cmake_install.cmake -print0 | xargs -0 -r cp --parents -t "$root/build")
cp "$build/CMakeCache.txt" "$root/build/"
sed -e "s|$src|$root|g" -e "s|$build|$root/build|g" "$build/test/lit.site.cfg.py" \
  > "$root/build/test/lit.site.cfg.py"

python3 "$lit" -q "$root/build/test"
