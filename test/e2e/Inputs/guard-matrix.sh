#!/usr/bin/env bash
# guard-matrix.sh — build one program with clang -O0 (the reference) and with
# escc at -O1, -O2, -O3 and -Os (plus -flto=full and -flto=thin with --lto),
# run each and require the same stdout and exit status as the reference.
#
#   guard-matrix.sh [--lto] [--stack BYTES] OUT CFLAGS -- SRC...
#
# CFLAGS go to the escc builds only.  Each source is compiled separately (a multi-file program is several
# translation units, as without LTO the pass sees only one at a time).
# Runs use prlimit --stack=BYTES (default 8 MiB).  Used by the stack-guard
# tests (guard-*.c); prints one line per build that differs.
set -uo pipefail
lto=0 stack=8388608
while [[ $1 == --* ]]; do
  case $1 in
    --lto) lto=1; shift ;;
    --stack) stack=$2; shift 2 ;;
  esac
done
out=$1 cflags=$2
shift 2
[[ $1 == -- ]] && shift
srcs=("$@")
: "${ESCC:?}" "${CLANG:?}"

build() { # tag compiler flags...
  local tag=$1 cc=$2
  shift 2
  local objs=() i=0 extra=()
  # shellcheck disable=SC2206
  [[ $cc == "$ESCC" ]] && extra=($cflags)
  for s in "${srcs[@]}"; do
    "$cc" "$@" "${extra[@]}" -c "$s" -o "$out.$tag.$i.o" >> "$out.log" 2>&1 || return 1
    objs+=("$out.$tag.$i.o")
    i=$((i + 1))
  done
  "$cc" "$@" "${extra[@]}" "${objs[@]}" -lpthread -o "$out.$tag" >> "$out.log" 2>&1 || return 1
}

run() { # tag -> $out.$tag.out with the exit status appended
  prlimit --stack="$stack" -- "$out.$1" > "$out.$1.out" 2>/dev/null
  echo "exit $?" >> "$out.$1.out"
}

: > "$out.log"
build ref "$CLANG" -O0 || exit 1
run ref
fail=0
configs=(O1:-O1 O2:-O2 O3:-O3 Os:-Os)
((lto)) && configs+=(O2full:"-O2 -flto=full" Osfull:"-Os -flto=full" O2thin:"-O2 -flto=thin")
for c in "${configs[@]}"; do
  tag=${c%%:*}
  # shellcheck disable=SC2086
  build "$tag" "$ESCC" ${c#*:} || { echo "$tag: build failed"; fail=1; continue; }
  run "$tag"
  if ! cmp -s "$out.ref.out" "$out.$tag.out"; then
    echo "$tag: differs from clang -O0: $(tail -1 "$out.$tag.out")"
    fail=1
  fi
done
((fail)) || echo "all equal"
exit $fail
