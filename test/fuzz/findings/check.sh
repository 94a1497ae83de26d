#!/usr/bin/env bash
# test/fuzz/findings/check.sh BUILD_DIR [FILE.c...] — builds each reduced finding
# with clang-19 -O0 and with escc at -O1/-O2/-O3/-Os (with and without -flto),
# runs both under an 8 MiB stack and says which configurations differ.
# Exit status 1 when any does.  A finding whose class is fixed passes here.
set -u
build=${1:?usage: check.sh BUILD_DIR [FILE.c...]}; shift
here=$(cd "$(dirname "$0")" && pwd)
(($#)) || set -- "$here"/*.c
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for f in "$@"; do
  extra=(); [[ -f ${f%.c}.ext.c ]] && extra=("${f%.c}.ext.c")
  clang-19 -O0 -w "$f" "${extra[@]}" -lpthread -o "$tmp/ref" || { echo "$f: reference does not build"; status=1; continue; }
  { prlimit --stack=8388608 -- "$tmp/ref" > "$tmp/ref.out"; } 2>/dev/null; ref=$?
  bad=()
  for o in -O1 -O2 -O3 -Os; do
    for lto in "" -flto; do
      "$build/bin/escc" $o $lto -w "$f" "${extra[@]}" -lpthread -o "$tmp/t" >/dev/null 2>&1 || { bad+=("$o$lto(build)"); continue; }
      { prlimit --stack=8388608 -- "$tmp/t" > "$tmp/t.out"; } 2>/dev/null; rc=$?
      [[ $rc == "$ref" ]] && cmp -s "$tmp/ref.out" "$tmp/t.out" || bad+=("$o$lto(exit $rc)")
    done
  done
  if ((${#bad[@]})); then echo "$(basename "$f"): differs: ${bad[*]}"; status=1; else echo "$(basename "$f"): ok"; fi
done
exit $status
